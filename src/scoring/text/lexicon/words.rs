//! Words as the lexicon reads them: where a word starts and ends in a text (decimal points,
//! apostrophes, signs written as words), and British spellings mapped onto American ones.

/// A British "-ise" ending is respelled only after a stem this long ("organise", not "raise").
const BRITISH_STEM_MIN: usize = 4;

/// Map the common British spellings onto American ones (-ise → -ize, -isation → -ization, -our → -or).
pub(super) fn americanise(w: &str) -> String {
    for (gb, us) in [
        ("isation", "ization"),
        ("ising", "izing"),
        ("ised", "ized"),
        ("ises", "izes"),
        ("iser", "izer"),
    ] {
        // The same floor as for "-ise", so "raising" stays with "raise".
        if let Some(stem) = w.strip_suffix(gb)
            && stem.len() >= BRITISH_STEM_MIN
        {
            return format!("{stem}{us}");
        }
    }
    if let Some(stem) = w.strip_suffix("ise")
        && stem.len() >= BRITISH_STEM_MIN
    {
        return format!("{stem}ize");
    }
    let mut s = w.to_string();
    for (gb, us) in [
        ("behaviour", "behavior"),
        ("colour", "color"),
        ("favour", "favor"),
    ] {
        if s.starts_with(gb) {
            s = s.replacen(gb, us, 1);
        }
    }
    s
}

/// Whether a character belongs to a word.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Whether the `c` at byte `i` of `text` belongs to a word: a word character, or, inside a word
/// (`in_word`), an apostrophe ("don't") or a decimal point ("0.95").
pub fn continues_word(text: &str, i: usize, c: char, in_word: bool) -> bool {
    is_word_char(c) || (in_word && (c == '\'' || c == '’' || is_decimal_point(text, i, c)))
}

/// Whether the `c` at byte `i` of `text` is a decimal point inside a number ("0.95", "1.5x"): it
/// belongs to the word, so "temperature 0.7" is not "temperature 0".
pub fn is_decimal_point(text: &str, i: usize, c: char) -> bool {
    c == '.'
        && text[..i].ends_with(|p: char| p.is_ascii_digit())
        && text[i + 1..].starts_with(|n: char| n.is_ascii_digit())
}

/// Mathematical signs that practitioners write in place of a word (`√d_k`, `x ⊙ W`, `∇L`): each
/// is a word of its own, so the lexicon's synonym groups can give it a meaning.
pub const SYMBOL_WORDS: &[char] = &['√', '⊙', '∇', '‖', '∝', '≠'];

/// The byte length of a sign written as a word at `i` (`c` is the character there): one of
/// [`SYMBOL_WORDS`], or `!=` ("QLoRA != PTQ"), which negates like `≠` rather than ending a sentence.
pub fn symbol_at(text: &str, i: usize, c: char) -> Option<usize> {
    if SYMBOL_WORDS.contains(&c) {
        Some(c.len_utf8())
    } else if c == '!' && text[i + 1..].starts_with('=') {
        Some(2)
    } else {
        None
    }
}

/// Split a raw word (may contain apostrophes) into lowercased words: "don't" → "do", "not".
pub fn push_words(raw: &str, start: usize, out: &mut Vec<(String, std::ops::Range<usize>)>) {
    let lower = raw.to_lowercase().replace('’', "'");
    let end = start + raw.len();
    if let Some(base) = lower.strip_suffix("n't") {
        let base = base.trim_matches('\'');
        if !base.is_empty() {
            out.push((base.to_string(), start..end));
        }
        out.push(("not".to_string(), start..end));
        return;
    }
    let word = lower.split('\'').next().unwrap_or_default().to_string();
    if !word.is_empty() {
        out.push((word, start..end));
    }
}

/// The lowercased words of a short text with their byte ranges.
pub fn split_words(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = vec![];
    let mut start = None;
    for (i, c) in text.char_indices() {
        if continues_word(text, i, c, start.is_some()) {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            push_words(&text[s..i], s, &mut out);
        }
        if let Some(len) = symbol_at(text, i, c) {
            out.push((text[i..i + len].to_string(), i..i + len));
        }
    }
    if let Some(s) = start {
        push_words(&text[s..], s, &mut out);
    }
    out
}
