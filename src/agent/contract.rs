//! The turn contract's words: what every field the candidate hears is checked with, structurally
//! (sentences, content words, runs of words shared with another text, markers and names that are
//! not speech). The checks themselves live with their field: [`super::acknowledgement`],
//! [`super::question`] and [`super::follow_up`].

use crate::scoring::text::lexicon::{lexicon, split_words};
use std::collections::HashSet;

/// The sentences of a spoken line, each with its trailing punctuation.
pub fn sentences(line: &str) -> Vec<&str> {
    let mut out = vec![];
    let mut start = 0;
    let bytes = line.as_bytes();
    for (i, c) in line.char_indices() {
        if matches!(c, '.' | '!' | '?') {
            let next = bytes.get(i + 1).copied();
            if next.is_none_or(|b| b == b' ' || b == b'\n') {
                let s = line[start..=i].trim();
                if !s.is_empty() {
                    out.push(s);
                }
                start = i + 1;
            }
        }
    }
    let rest = line[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// A line without the quotes a model wrapped around all of it.
pub fn unquote(line: &str) -> &str {
    let t = line.trim();
    for (open, close) in [('"', '"'), ('“', '”'), ('\'', '\''), ('«', '»')] {
        if let Some(inner) = t.strip_prefix(open).and_then(|r| r.strip_suffix(close))
            && !inner.contains(open)
            && !inner.contains(close)
        {
            return inner.trim();
        }
    }
    t
}

/// The lowercased words of a text, in order.
pub fn tokens(text: &str) -> Vec<String> {
    split_words(text)
        .into_iter()
        .map(|(w, _)| w.to_lowercase().replace('’', "'"))
        .collect()
}

/// The stemmed content words of a text (no stopwords, no numbers, at least three letters).
pub fn content_words(text: &str) -> HashSet<String> {
    let lex = lexicon();
    tokens(text)
        .into_iter()
        .filter(|w| w.chars().count() >= 3 && !lex.is_stopword(w))
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .map(|w| lex.stem(&w))
        .collect()
}

/// The longest run of consecutive words `a` and `b` share.
pub fn shared_run(a: &str, b: &str) -> usize {
    let (a, b) = (tokens(a), tokens(b));
    let mut best = 0;
    let mut prev = vec![0usize; b.len() + 1];
    for x in &a {
        let mut cur = vec![0usize; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            if x == y {
                cur[j + 1] = prev[j] + 1;
                best = best.max(cur[j + 1]);
            }
        }
        prev = cur;
    }
    best
}

/// The share of `line`'s content words that `other` uses too, and how many that is.
pub fn overlap(line: &str, other: &str) -> (f32, usize) {
    let own = content_words(line);
    if own.is_empty() {
        return (0.0, 0);
    }
    let theirs = content_words(other);
    let shared = own.intersection(&theirs).count();
    (shared as f32 / own.len() as f32, shared)
}

/// Words that are not speech to the candidate: they name the interview's machinery or speak
/// about the candidate instead of to them.
const NOT_SPOKEN: [&str; 6] = [
    "candidate",
    "candidate's",
    "rubric",
    "probe",
    "probes",
    "interviewee",
];

/// Why a text is not speech, if it is not: a reference marker ("[4]"), markdown, a tool or field
/// name (`score_answer`), or a word of [`NOT_SPOKEN`].
pub fn not_speech(text: &str) -> Option<&'static str> {
    if text.contains(['[', ']', '【', '*', '#', '`', '|', '{', '}', '<', '>']) {
        return Some("a marker or markup");
    }
    // `score_answer`, `question_id`; not `d_k`.
    let field_name = |w: &str| {
        let parts: Vec<&str> = w
            .trim_matches(|c: char| !c.is_alphanumeric())
            .split('_')
            .collect();
        parts.len() > 1 && parts.iter().all(|p| p.len() >= 2)
    };
    if text.split_whitespace().any(field_name) {
        return Some("a tool or field name");
    }
    let words = tokens(text);
    if words.iter().any(|w| NOT_SPOKEN.contains(&w.as_str())) {
        return Some("words about the interview, not to the candidate");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_runs_and_speech() {
        assert_eq!(
            sentences("Good. Why is that? And how?"),
            vec!["Good.", "Why is that?", "And how?"]
        );
        assert_eq!(unquote("\"Hi there.\""), "Hi there.");
        assert!(
            shared_run(
                "Why? I guess you'd collect instruction-response pairs.",
                "I guess you'd collect instruction-response pairs, maybe from humans."
            ) >= 6
        );
        assert!(not_speech("As shown in [4], it works.").is_some());
        assert!(not_speech("What did the candidate mean?").is_some());
        assert!(not_speech("Call score_answer now.").is_some());
        assert!(not_speech("Why does the cache grow with length?").is_none());
        let (share, n) = overlap(
            "How does it compute the output, and what is its significance compared to recurrent networks?",
            "Can you walk me through how self-attention actually computes its output, and why it pushed recurrent networks aside for language modelling?",
        );
        assert!(share >= 0.5 && n >= 3, "{share} {n}");
    }
}
