//! Text analysis for the rubric scorer: the vocabulary ([`lexicon`]), analysed answers ([`doc`]),
//! cues prepared for matching, and the detection of text addressed to the grader ([`injection`]).
//!
//! Words are lowercased, stemmed (Snowball English) and stopwords are dropped for matching;
//! negations (not, no, never, without, n't, ...) all stem to `not`; synonym phrases from the
//! lexicon also match as their concept. Only the first [`MAX_ANSWER_BYTES`] of a text are
//! analysed, so the work per answer is bounded.

pub mod doc;
pub mod injection;
pub mod lexicon;
pub(crate) mod marks;
mod spoken;

pub use doc::{CUE_WINDOW, Doc, Sentence, Token};

use lexicon::{lexicon, split_words};

/// Only this many bytes of an answer are analysed (a spoken answer is far shorter).
pub const MAX_ANSWER_BYTES: usize = 16 * 1024;

/// The first `max` bytes of `text`, cut at a character boundary.
pub fn cap(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A cue (or keyword) prepared for matching: its distinct content stems, with synonym phrases
/// replaced by their concept.
///
/// A cue written with ` > ` between its parts (`"fp16 > wider range > bf16"`) is ordered: its words
/// match only in that order, so a relation and its reverse ("bf16 has a wider range than fp16") are
/// told apart. A word written with a leading `=` (`=bf16`) matches only itself, not the other
/// members of its synonym group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub words: Vec<String>,
    pub ordered: bool,
    /// Written with "more" or "most" (stopwords, so not among `words`): the cue does not match
    /// where the answer says "less", "fewer" or "least" instead.
    pub up: bool,
}

/// What separates the parts of an ordered cue.
pub const ORDER_MARK: &str = " > ";
/// What marks a cue word that matches only itself.
pub const LITERAL_MARK: char = '=';

impl Cue {
    /// Prepare a cue the same way answers are analysed.
    pub fn new(text: &str) -> Cue {
        let lex = lexicon();
        let ordered = text.contains(ORDER_MARK);
        let raw = split_words(text);
        let forms: Vec<String> = raw.iter().map(|(w, _)| lex.form(w)).collect();
        let refs: Vec<&str> = forms.iter().map(String::as_str).collect();
        let mut words: Vec<String> = vec![];
        let mut push = |w: String| {
            if !words.contains(&w) {
                words.push(w);
            }
        };
        let literal = |i: usize| text[..raw[i].1.start].ends_with(LITERAL_MARK);
        let mut i = 0;
        while i < refs.len() {
            if literal(i) {
                push(forms[i].clone());
                i += 1;
                continue;
            }
            let end = (i + lexicon::MAX_PHRASE_WORDS).min(refs.len());
            if let Some((len, concept)) = lex.phrase_at(&refs[i..end]) {
                push(concept.to_string());
                i += len;
                continue;
            }
            if !lex.is_stopword(&raw[i].0) {
                push(forms[i].clone());
            }
            i += 1;
        }
        let up = raw.iter().any(|(w, _)| lex.is_degree_up(w));
        Cue { words, ordered, up }
    }
}

#[cfg(test)]
mod tests;
