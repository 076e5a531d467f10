//! The acknowledgement field: a few words on the latest answer, whose tone is the verdict's. The
//! model's words are kept only when they are short, plain speech with no technical content and
//! cannot disagree with the verdict; otherwise the policy's wording for the verdict is said.
//!
//! Below a score of 6, for a stated wrong claim, an empty answer or "I don't know", the words are
//! always the policy's: no model wording can then praise, credit or correct. From 6 the model's
//! words stay unless they contrast or negate (a strong answer is not called wrong).

use super::contract::{content_words, not_speech, overlap, sentences, tokens, unquote};
use super::draft::Trust;
use crate::bank::Bank;
use crate::prompts::phrases::{
    Claim, PARTIAL_FROM, PRAISE_FROM, Phrases, acknowledgement, is_unsure,
};
use crate::scoring::Score;
use crate::scoring::Verdict as PointVerdict;
use crate::scoring::text::lexicon::lexicon;
use crate::state::QuestionRecord;
use std::collections::HashSet;

/// Words an acknowledgement has at most.
pub const ACK_WORDS: usize = 12;
/// Share of an acknowledgement's content words (at least two) taken from the stage direction it
/// answers that make it the direction said back ("Hello, I'm ready to start the interview.").
const ECHOED: f32 = 0.5;

/// How the answer being acknowledged went.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The answer's score (a probe answer's own).
    pub score: f32,
    /// A wrong claim the graders agreed on, if any.
    pub claim: Option<String>,
    /// A wrong claim one grader found and the other did not confirm, if any.
    pub doubt: Option<String>,
    /// The candidate's words.
    pub answer: String,
}

impl Verdict {
    /// The policy's acknowledgement of this verdict, not the variant `previous` (the interviewer's
    /// last line) already said.
    pub fn policy_words(&self, key: u64, previous: &str) -> String {
        acknowledgement(
            self.score,
            self.claim
                .as_deref()
                .map(Claim::Wrong)
                .or(self.doubt.as_deref().map(Claim::Doubted)),
            &self.answer,
            key,
            previous,
        )
    }

    /// Whether only the policy may acknowledge it: a low score, a wrong claim, no real answer.
    fn policy_only(&self) -> bool {
        self.score < PRAISE_FROM
            || self.claim.is_some()
            || self.doubt.is_some()
            || is_unsure(&self.answer)
            || self.answer.split_whitespace().count() < 3
    }
}

/// How an answer to a probe went: judged by the point the probe was after, since it answers that
/// point and not the whole question ("Why is duplicated data harmful?" answered well is not "most of
/// what I was after" missed). Its words alone (`alone`: the answer scored on the whole question by
/// itself) decide otherwise.
pub fn probe_answer_score(cur: &QuestionRecord, alone: &Score) -> f32 {
    match cur.latest_probed_point().and_then(|p| alone.verdict(p)) {
        Some(PointVerdict::Covered) => alone.score.max(PRAISE_FROM),
        Some(PointVerdict::Partial) => alone.score.max(PARTIAL_FROM),
        _ => alone.score,
    }
}

/// The technical vocabulary: content words of the bank that the policy's own spoken phrases never
/// use. An acknowledgement with one of them says something technical.
#[derive(Debug, Default)]
pub struct Vocabulary {
    technical: HashSet<String>,
}

impl Vocabulary {
    pub fn new(bank: &Bank) -> Self {
        let mut technical = HashSet::new();
        for q in &bank.questions {
            technical.extend(content_words(&q.ask));
            technical.extend(content_words(&q.reference));
            for p in &q.points {
                technical.extend(content_words(&p.expect));
                for k in &p.keywords {
                    technical.extend(content_words(k));
                }
            }
        }
        let p = Phrases::get();
        for list in [
            &p.greeting,
            &p.orientation,
            &p.ack_strong,
            &p.plain_praise,
            &p.ack_good,
            &p.ack_partial,
            &p.ack_weak,
            &p.ack_unsure,
            &p.ack_empty,
            &p.skip_ack,
            &p.closing,
            &p.move_on,
        ] {
            for phrase in list {
                for w in content_words(phrase) {
                    technical.remove(&w);
                }
            }
        }
        Self { technical }
    }

    fn is_technical(&self, text: &str) -> bool {
        content_words(text)
            .iter()
            .any(|w| self.technical.contains(w))
    }
}

/// The model's acknowledgement if it may be said as it is, else why not.
/// `direction` is the stage direction the model was answering, when it was one.
pub fn check(
    text: &str,
    verdict: Option<&Verdict>,
    direction: Option<&str>,
    trust: Trust,
    vocab: &Vocabulary,
) -> Result<String, &'static str> {
    let text = unquote(text).to_string();
    if text.is_empty() {
        return Err("empty");
    }
    if trust == Trust::Own {
        return Ok(text);
    }
    if verdict.is_some_and(Verdict::policy_only) {
        return Err("the verdict is the policy's to acknowledge");
    }
    if verdict.is_some() && trust == Trust::Free {
        return Err("free text does not acknowledge an answer");
    }
    if sentences(&text).len() > 1 || text.contains('?') {
        return Err("more than a few words");
    }
    if text.split_whitespace().count() > ACK_WORDS {
        return Err("more than a few words");
    }
    if let Some(why) = not_speech(&text) {
        return Err(why);
    }
    if vocab.is_technical(&text) {
        return Err("a technical claim");
    }
    if direction.is_some_and(|d| {
        let (share, n) = overlap(&text, d);
        share >= ECHOED && n >= 2
    }) {
        return Err("the stage direction said back");
    }
    let lex = lexicon();
    if verdict.is_some()
        && tokens(&text)
            .iter()
            .any(|w| lex.is_negation(w) || lex.is_contrast(w) || w.ends_with("n't"))
    {
        return Err("it finds fault with an answer that held up");
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(score: f32, answer: &str) -> Verdict {
        Verdict {
            score,
            claim: None,
            doubt: None,
            answer: answer.into(),
        }
    }

    #[test]
    fn the_models_words_stay_only_where_they_cannot_disagree_with_the_verdict() {
        let bank = crate::bank::load_builtin().expect("bank");
        let v = Vocabulary::new(&bank);
        let typed = |text: &str, verdict: Option<&Verdict>, direction: Option<&str>| {
            check(text, verdict, direction, Trust::Typed, &v)
        };
        let good = verdict(8.5, "A long enough answer about the cache and its keys.");
        assert_eq!(
            typed("Good, that's clear.", Some(&good), None).as_deref(),
            Ok("Good, that's clear.")
        );
        // Praise after "not sure", a lecture, a technical claim, a fault on a strong answer.
        let unsure = verdict(0.0, "I'm honestly not sure.");
        assert!(typed("That's a reasonable approach.", Some(&unsure), None).is_err());
        assert!(
            typed(
                "Great answer!",
                Some(&verdict(3.0, "It caches stuff for speed.")),
                None
            )
            .is_err()
        );
        assert!(
            typed(
                "You could also remove stop words and punctuation.",
                Some(&good),
                None
            )
            .is_err()
        );
        assert!(typed("Good, but it needs more depth.", Some(&good), None).is_err());
        assert!(typed("Nice, the candidate did well.", Some(&good), None).is_err());
        // A greeting is the model's to say.
        assert!(typed("Hi, welcome, good to meet you.", None, None).is_ok());
        // Seen on the 1.5B: the stage direction said back as the interviewer's greeting.
        let ready = crate::prompts::stage::Stage::Ready.render();
        assert!(
            typed(
                "Hello, I'm ready to start the interview.",
                None,
                Some(&ready)
            )
            .is_err()
        );
        assert!(typed("Hi, welcome, good to meet you.", None, Some(&ready)).is_ok());
    }
}
