//! How much of an answer is about its question: the share of its content words that the
//! question's own text uses (its ask, reference answer, expectations and keywords). A list of the
//! right items is mostly such words; padding and name-dropping are mostly not.

use super::points::Cues;
use crate::bank::Question;
use crate::scoring::text::Doc;
use std::collections::HashSet;

/// The share (0-1) of `doc`'s scored content words whose stem or concept `question` uses; 0 for
/// an answer without content words.
pub fn relevance(question: &Question, doc: &Doc<'_>, cues: &mut Cues) -> f32 {
    let vocabulary = cues.vocabulary(question);
    let (mut total, mut known) = (0usize, 0usize);
    for s in doc.scored_sentences() {
        for t in doc.tokens[s.tokens.clone()].iter().filter(|t| !t.stop) {
            total += 1;
            let concept = t.concept.as_deref().is_some_and(|c| vocabulary.contains(c));
            known += usize::from(concept || vocabulary.contains(&t.stem));
        }
    }
    if total == 0 {
        0.0
    } else {
        known as f32 / total as f32
    }
}

/// The stems and concepts of a question's own text.
pub(super) fn vocabulary_of(question: &Question, cues: &mut Cues) -> HashSet<String> {
    let mut texts: Vec<&str> = vec![&question.ask, &question.reference];
    for p in &question.points {
        texts.push(&p.expect);
        texts.extend(p.keywords.iter().map(String::as_str));
    }
    let mut out = HashSet::new();
    for text in texts {
        out.extend(cues.get(text).words.iter().cloned());
    }
    out
}
