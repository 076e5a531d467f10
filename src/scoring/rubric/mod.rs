//! The deterministic rubric scorer: finds each rubric point in an answer and turns the verdicts
//! into a score.
//!
//! A point is `covered` when the answer states it: one of its cues of two or more words matches in
//! a compact window of one sentence, not negated and not inside an enumeration of terms; `partial`
//! when it is only named (a keyword, a one-word cue, listed terms) or when its clause already gave
//! two points; `missed` otherwise or when one of its misconceptions is stated. The score is the
//! weighted share of credit on 0-10, capped when a misconception is found, when the answer is a
//! list of terms, and when it names many points but explains almost none (padding does not pay).
//! Sentences addressed to the grader are ignored, so they never raise a score.

mod attribute;
mod points;
mod relevance;

use super::text::Doc;
use super::text::injection::{MAX_ASIDE, asides};
use super::{PointVerdict, Score, ScorerKind, Verdict, round_score};
use crate::bank::Question;
use points::{Found, assign, match_points, with_cues};
use relevance::relevance;

/// Highest score an answer stating a misconception can get.
pub const MISCONCEPTION_CAP: f32 = 3.5;
/// Highest score an answer can get when a wrong claim is found only as its wrong attribute said
/// of its subject (not in its own words): less sure, so it weighs less.
pub const DOUBT_CAP: f32 = 4.0;
/// Each such claim scales what is left of the score by this factor (before the cap).
const DOUBT_FACTOR: f32 = 0.6;
/// Highest score an answer that only lists terms can get.
pub const STUFFED_CAP: f32 = 2.5;
/// Highest score an answer that names many points and explains at most one can get.
pub const PADDING_CAP: f32 = 3.5;
/// Share of content words in lists above which an answer counts as a list of terms.
const STUFFED_SHARE: f32 = 0.6;
/// Each misconception found scales what is left of the score by this factor (before the cap).
const MISCONCEPTION_FACTOR: f32 = 0.5;
/// A fluent list: at least this many words, fewer explanation markers per 100 words than
/// [`FLUENT_LIST_MARKERS`] and more separators per 100 words than [`FLUENT_LIST_SEPARATORS`].
const FLUENT_LIST_WORDS: usize = 60;
const FLUENT_LIST_MARKERS: f32 = 1.0;
const FLUENT_LIST_SEPARATORS: f32 = 10.0;
/// Named-only points at or above which an answer that explains at most one point is padding.
const PADDING_NAMED: usize = 3;
/// Highest score a list of the right items, named without the why, can get.
pub const LIST_CAP: f32 = 4.0;
/// Relevance (share of the answer's content words the question's own text uses) at or below
/// which a list earns nothing beyond the padding rules, and at or above which it earns its
/// named credit in full (up to [`LIST_CAP`]).
const RELEVANCE_FLOOR: f32 = 0.35;
const RELEVANCE_FULL: f32 = 0.65;
/// Each hedge ("I think", "if I remember") takes this share off the score, up to [`HEDGE_MAX`].
const HEDGE_COST: f32 = 0.025;
const HEDGE_MAX: f32 = 0.1;
/// Each admitted gap ("I don't remember exactly how that part works", "I'd have to think about
/// the rest") takes this share off the score, up to [`GAP_MAX`].
const GAP_COST: f32 = 0.15;
const GAP_MAX: f32 = 0.3;
/// An answer that opens by disclaiming the subject and explains at most
/// [`DISCLAIMED_MAX_COVERED`] points keeps this share of its score: what follows is a guess.
const DISCLAIMED_FACTOR: f32 = 0.5;
/// The most points a disclaimed answer may explain and still count as a guess.
const DISCLAIMED_MAX_COVERED: usize = 2;
/// The score an answer can reach grows with its length against the question's reference answer:
/// [`LENGTH_CAP_BASE`] plus this much times the ratio, so an answer as long as the reference can
/// reach 10 and one a quarter as long about 6.4 (for the built-in bank: a 50-word answer).
const LENGTH_CAP_PER_REFERENCE: f32 = 5.5;
/// See [`LENGTH_CAP_PER_REFERENCE`].
const LENGTH_CAP_BASE: f32 = 5.0;

/// Score `answer` against `question`'s rubric. `earlier` answers to the same question (e.g. the
/// answer before a probe) also count as evidence for points; a misconception an earlier answer
/// stated counts too, until a later answer states its point right (a correction): "I'm not sure"
/// to a probe does not take it back. Deterministic.
pub fn score(question: &Question, answer: &str, earlier: &[&str]) -> Score {
    let current = Doc::new(answer);
    let before: Vec<Doc<'_>> = earlier.iter().map(|e| Doc::new(e)).collect();
    let docs: Vec<&Doc<'_>> = std::iter::once(&current).chain(before.iter()).collect();
    let (matches, relevant, reference_words) = with_cues(|cues| {
        (
            match_points(question, &docs, cues),
            relevance(question, &current, cues),
            cues.reference_words(question),
        )
    });
    let verdicts = assign(question, &matches);
    let claims = |worded: bool| -> Vec<String> {
        matches
            .iter()
            .filter_map(|m| m.misconception.as_ref())
            .filter(|m| m.worded == worded)
            .map(|m| m.claim.clone())
            .collect()
    };
    let (misconceptions, doubts) = (claims(true), claims(false));
    let evidence = |f: &Option<Found>| {
        f.as_ref()
            .map(|f| docs[f.doc].evidence(&f.window))
            .unwrap_or_default()
    };
    let points: Vec<PointVerdict> = question
        .points
        .iter()
        .zip(&verdicts)
        .map(|(p, (verdict, found))| PointVerdict {
            id: p.id.clone(),
            verdict: *verdict,
            evidence: evidence(found),
        })
        .collect();

    let readable =
        docs.iter().any(|d| readable(d)) || points.iter().any(|p| p.verdict != Verdict::Missed);
    if !readable {
        let feedback = if answer.trim().is_empty() {
            "No answer to score: the answer was empty."
        } else if current.has_injection() {
            "No answer to score: the text only addressed the grader, and that was ignored."
        } else {
            "No answer to score: the text could not be read as an English answer."
        };
        return Score {
            question: question.id.clone(),
            score: 0.0,
            points: question.points.iter().map(|p| missed(&p.id)).collect(),
            misconceptions,
            doubts,
            feedback: feedback.to_string(),
            scorer: ScorerKind::Rubric,
        };
    }

    let total = question.total_weight();
    let count = |v: Verdict| points.iter().filter(|p| p.verdict == v).count();
    let (covered, named) = (count(Verdict::Covered), count(Verdict::Partial));
    // Padding does not pay: naming points earns their partial credit only in proportion to the
    // points the answer explains, unless the answer is about the question (a list of the right
    // items, named without the why).
    // An answer that also addresses the grader gets no such benefit of the doubt.
    let on_topic = if current.mentions_grader() {
        0.0
    } else {
        ((relevant - RELEVANCE_FLOOR) / (RELEVANCE_FULL - RELEVANCE_FLOOR)).clamp(0.0, 1.0)
    };
    let named_factor = if named == 0 {
        1.0
    } else {
        ((1 + covered) as f32 / named as f32).min(1.0).max(on_topic)
    };
    let earned: f32 = question
        .points
        .iter()
        .zip(&points)
        .map(|(p, v)| match v.verdict {
            Verdict::Partial => p.weight * v.verdict.credit() * named_factor,
            _ => p.weight * v.verdict.credit(),
        })
        .sum();
    let mut value = if total > 0.0 {
        10.0 * earned / total
    } else {
        0.0
    };
    // A list of terms that states (almost) no relation; terse items that do are not capped.
    value *= 1.0 - (HEDGE_COST * current.hedge_count() as f32).min(HEDGE_MAX);
    // An admitted gap says part of the answer is missing: graders mark it down more than a hedge.
    value *= 1.0 - (GAP_COST * current.gap_count() as f32).min(GAP_MAX);
    // Only when this answer carries the question alone: "I'm not sure" to a follow-up does not
    // make a guess of what the answer before it showed.
    let alone = before.iter().all(|d| d.word_count() == 0);
    if alone && covered <= DISCLAIMED_MAX_COVERED && current.opens_with_disclaimer() {
        value *= DISCLAIMED_FACTOR;
    }
    // Stuffing names rubric terms: a short answer that names none ("I'm not sure.") is not it.
    let stuffed =
        covered < 2 && covered + named > 0 && current.list_share() >= STUFFED_SHARE && alone;
    // An answer that explains most of its points is not padding, however list-like its style.
    tracing::debug!(
        question = %question.id,
        relevant,
        covered,
        named,
        "rubric scorer: relevance"
    );
    let padded = covered <= 1 && (named >= PADDING_NAMED || fluent_list(&current));
    if stuffed {
        value = value.min(STUFFED_CAP + (LIST_CAP - STUFFED_CAP) * on_topic);
    }
    if padded {
        value = value.min(PADDING_CAP + (LIST_CAP - PADDING_CAP) * on_topic);
    }
    // A short answer can only be so complete: graders give a two-sentence answer to a broad
    // question about half marks, however right it is.
    let words = answering_words(&docs, &matches);
    let length_cap = if reference_words == 0 {
        10.0
    } else {
        LENGTH_CAP_BASE + LENGTH_CAP_PER_REFERENCE * words as f32 / reference_words as f32
    };
    tracing::debug!(words, reference_words, length_cap, "rubric scorer: length");
    let brief = value > length_cap;
    value = value.min(length_cap);
    if !doubts.is_empty() {
        value *= DOUBT_FACTOR.powi(doubts.len() as i32);
        value = value.min(DOUBT_CAP);
    }
    if !misconceptions.is_empty() {
        value *= MISCONCEPTION_FACTOR.powi(misconceptions.len() as i32);
        value = value.min(MISCONCEPTION_CAP);
    }

    let feedback = feedback(
        question,
        &points,
        (&misconceptions, &doubts),
        stuffed || padded,
        brief,
        current.has_injection(),
    );
    Score {
        question: question.id.clone(),
        score: round_score(value),
        points,
        misconceptions,
        doubts,
        feedback,
        scorer: ScorerKind::Rubric,
    }
}

/// A long answer with many commas and almost no word of reason or consequence: a fluent list of
/// terms, however many it names ("it has advantages like X, Y and Z, plus W, V ...").
fn fluent_list(doc: &Doc<'_>) -> bool {
    let words = doc.word_count();
    let (markers, seps) = doc.markers_and_separators();
    words >= FLUENT_LIST_WORDS
        && (markers as f32) < FLUENT_LIST_MARKERS * words as f32 / 100.0
        && (seps as f32) > FLUENT_LIST_SEPARATORS * words as f32 / 100.0
}

fn missed(id: &str) -> PointVerdict {
    PointVerdict {
        id: id.to_string(),
        verdict: Verdict::Missed,
        evidence: String::new(),
    }
}

/// Some English prose: a few words including function words.
fn readable(doc: &Doc<'_>) -> bool {
    let ascii_words = doc
        .tokens
        .iter()
        .filter(|t| t.word.len() >= 2 && t.word.bytes().all(|b| b.is_ascii_alphanumeric()))
        .count();
    ascii_words >= 2 && doc.stopword_count() >= 1
}

/// The words of the sentences that say something the rubric looks for (a point named or
/// explained), asides that name the grader left out: a note to the grader, in a sentence of its
/// own or in brackets, adds length but not completeness.
fn answering_words(docs: &[&Doc<'_>], matches: &[points::PointMatch]) -> usize {
    let sentences: std::collections::BTreeSet<(usize, usize)> = matches
        .iter()
        .flat_map(|m| m.explained.iter().chain(&m.named))
        .map(|f| (f.doc, f.clause.0))
        .collect();
    let to_grader = |d: &Doc<'_>| -> Vec<std::ops::Range<usize>> {
        if !d.mentions_grader() {
            return vec![];
        }
        asides(d.text)
            .into_iter()
            .filter(|(_, inside)| {
                inside.len() <= MAX_ASIDE && Doc::new(&d.text[inside.clone()]).mentions_grader()
            })
            .map(|(whole, _)| whole)
            .collect()
    };
    let asides: Vec<_> = docs.iter().map(|d| to_grader(d)).collect();
    sentences
        .into_iter()
        .map(|(d, s)| {
            docs[d].tokens[docs[d].sentences[s].tokens.clone()]
                .iter()
                .filter(|t| !t.filler && !asides[d].iter().any(|a| a.contains(&t.span.start)))
                .count()
        })
        .sum()
}

/// One line: the wrong claim (or the one in doubt), that naming is not explaining, the most
/// important gap (by weight) or praise (or that a complete answer is brief), and a word when text
/// addressed to the grader was ignored.
fn feedback(
    question: &Question,
    points: &[PointVerdict],
    (misconceptions, doubts): (&[String], &[String]),
    stuffed: bool,
    brief: bool,
    injection: bool,
) -> String {
    let naming = stuffed.then_some("Naming terms is not an explanation: say how it works and why.");
    let mut line = super::feedback_line_with(question, points, misconceptions, naming);
    if brief && points.iter().all(|p| p.verdict == Verdict::Covered) {
        line = "Every point is there, but only in brief: give the how and the why behind each."
            .to_string();
    }
    if misconceptions.is_empty()
        && let Some(doubt) = doubts.first()
    {
        line = format!("Possibly not right: {doubt} {line}");
    }
    if injection {
        line.push_str(" (Text addressed to the grader was ignored.)");
    }
    line.trim_start().to_string()
}

#[cfg(test)]
mod tests;
