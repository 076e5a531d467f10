//! How much of an answer is about its question: the share of its content words that the
//! question's own text uses (its ask, reference answer, expectations and keywords), with the
//! words only its cues use counting part way. A list of the right items is mostly such words;
//! padding and name-dropping are mostly not.

use super::points::Cues;
use crate::bank::Question;
use crate::scoring::text::Doc;
use std::collections::HashMap;

/// How much each stem or concept of a question's vocabulary counts as being about it.
pub type Vocabulary = HashMap<String, f32>;

/// How much a word that only the question's cues use (the other names practitioners give its
/// concepts: "ALiBi", "T5 bias", "MinHash") counts, against a word of its own text.
const CUE_WORD: f32 = 0.5;

/// The share (0-1) of `doc`'s scored content words whose stem or concept `question` uses; 0 for
/// an answer without content words.
pub fn relevance(question: &Question, doc: &Doc<'_>, cues: &mut Cues) -> f32 {
    let vocabulary = cues.vocabulary(question);
    let (mut total, mut known) = (0usize, 0.0f32);
    for s in doc.scored_sentences() {
        for t in doc.tokens[s.tokens.clone()].iter().filter(|t| !t.stop) {
            total += 1;
            let weight = |w: &str| vocabulary.get(w).copied().unwrap_or(0.0);
            known += t
                .concept
                .as_deref()
                .map_or(0.0, weight)
                .max(weight(&t.stem));
        }
    }
    if total == 0 {
        0.0
    } else {
        known / total as f32
    }
}

/// The stems and concepts of a question's own text (weight 1) and of its cues ([`CUE_WORD`]).
pub(super) fn vocabulary_of(question: &Question, cues: &mut Cues) -> Vocabulary {
    let mut texts: Vec<&str> = vec![&question.ask, &question.reference];
    for p in &question.points {
        texts.push(&p.expect);
        texts.extend(p.keywords.iter().map(String::as_str));
    }
    let mut out = Vocabulary::new();
    for p in &question.points {
        for text in &p.cues {
            for w in &cues.get(text).words {
                out.insert(w.clone(), CUE_WORD);
            }
        }
    }
    for text in texts {
        for w in &cues.get(text).words {
            out.insert(w.clone(), 1.0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::load_builtin;

    #[test]
    fn words_only_the_cues_use_count_part_way() {
        let bank = load_builtin().expect("the built-in bank loads");
        let mut q = bank.get("kv-cache").expect("kv-cache").clone();
        q.ask = "How does the cache work?".into();
        q.reference = "The cache.".into();
        q.points.truncate(1);
        q.points[0].expect = "Explain.".into();
        q.points[0].keywords = vec![];
        q.points[0].cues = vec!["paged blocks".into()];
        let mut cues = Cues::default();
        let r = |text: &str, cues: &mut Cues| relevance(&q, &Doc::new(text), cues);
        assert_eq!(r("cache cache", &mut cues), 1.0);
        assert_eq!(r("cache blocks", &mut cues), (1.0 + CUE_WORD) / 2.0);
        assert_eq!(r("banana blocks", &mut cues), CUE_WORD / 2.0);
        assert_eq!(r("banana apple", &mut cues), 0.0);
    }
}
