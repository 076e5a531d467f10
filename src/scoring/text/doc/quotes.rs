//! What the candidate quotes: a belief put in quotation marks ("A common myth is 'RAG removes
//! hallucination'") is mentioned, not claimed.

use std::ops::Range;

/// A quotation runs at most this many bytes; an unmatched mark quotes nothing.
const MAX_QUOTE_BYTES: usize = 400;

/// The byte ranges of `text` inside quotation marks: straight or curly double quotes, curly
/// single quotes, and straight single quotes that open after a space and close before one (not
/// the apostrophes of "don't" or "models'"). A quotation does not run across a line break.
pub(super) fn quoted_spans(text: &str) -> Vec<Range<usize>> {
    let mut spans = vec![];
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        spans.extend(
            quotes_in(line)
                .into_iter()
                .map(|r| r.start + line_start..r.end + line_start),
        );
        line_start += line.len();
    }
    spans
}

/// How a character can take part in a quotation.
#[derive(Clone, Copy, PartialEq)]
enum Mark {
    /// `"`: opens or closes by turns.
    Straight,
    /// `“` or `‘`: opens.
    Open(char),
    /// `”` or `’`: closes what its partner opened.
    Close(char),
}

fn quotes_in(line: &str) -> Vec<Range<usize>> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut spans = vec![];
    let mut open: Option<(usize, Mark)> = None;
    for (k, &(i, c)) in chars.iter().enumerate() {
        let before = k.checked_sub(1).map(|j| chars[j].1);
        let after = chars.get(k + 1).map(|&(_, n)| n);
        let Some(mark) = mark(c, before, after) else {
            continue;
        };
        match (open, mark) {
            (None, Mark::Straight | Mark::Open(_)) => open = Some((i + c.len_utf8(), mark)),
            (Some((start, Mark::Straight)), Mark::Straight)
            | (Some((start, Mark::Open('“'))), Mark::Close('”'))
            | (Some((start, Mark::Open('‘'))), Mark::Close('’')) => {
                if i - start <= MAX_QUOTE_BYTES {
                    spans.push(start..i);
                }
                open = None;
            }
            _ => {}
        }
    }
    spans
}

/// The part `c` can play between the characters `before` and `after`. A single quote between
/// two letters is an apostrophe; a straight one opens only after a space or a bracket and before
/// a word, and closes only after a word and before a space or punctuation.
fn mark(c: char, before: Option<char>, after: Option<char>) -> Option<Mark> {
    let letter = |x: Option<char>| x.is_some_and(char::is_alphanumeric);
    let opens = before.is_none_or(|b| b.is_whitespace() || "([{".contains(b)) && letter(after);
    let closes = before.is_some_and(|b| !b.is_whitespace()) && !letter(after);
    match c {
        '"' => Some(Mark::Straight),
        '“' => Some(Mark::Open('“')),
        '”' => Some(Mark::Close('”')),
        '‘' => Some(Mark::Open('‘')),
        '’' if closes => Some(Mark::Close('’')),
        '\'' if opens => Some(Mark::Open('‘')),
        '\'' if closes => Some(Mark::Close('’')),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::quoted_spans;

    fn quoted(text: &str) -> Vec<&str> {
        quoted_spans(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn quotation_marks_of_every_kind_are_found() {
        assert_eq!(
            quoted(r#"A myth: "RAG removes hallucination". Another: “more data is better”."#),
            ["RAG removes hallucination", "more data is better"]
        );
        assert_eq!(
            quoted("People say 'you are an expert' works; it doesn't."),
            ["you are an expert"]
        );
        assert_eq!(
            quoted("One trap is ‘magic phrases’, really."),
            ["magic phrases"]
        );
    }

    #[test]
    fn apostrophes_and_unmatched_marks_quote_nothing() {
        assert!(quoted("The models' outputs don't change; it's the cache.").is_empty());
        assert!(quoted("He said \"the cache grows\nand then stopped.").is_empty());
        assert!(quoted("An unmatched \" mark quotes nothing here.").is_empty());
    }
}
