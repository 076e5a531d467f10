//! What the plan and the verdict allow a line to do: a follow-up only on an answer not yet
//! followed up, within the question's budget, never on "I don't know", and about a point the
//! verdict marks missed or partial (or the one the policy chose to go deeper on), in the model's
//! own words only when they do not ask again what the answer made; the next question
//! only once the question on the table was answered and one is left; the goodbye only when the
//! interview can end.

use crate::bank::Question;
use crate::prompts::phrases::is_unsure;
use crate::scoring::{Verdict, rubric};
use crate::state::{InterviewState, QuestionRecord};

/// Whether the current question may be followed up now.
pub fn allowed(state: &InterviewState, cur: &QuestionRecord) -> Result<(), &'static str> {
    if state.is_over() {
        return Err("the interview is over");
    }
    if cur.skipped() {
        return Err("the question was skipped");
    }
    if !cur.unprobed_answer() {
        return Err("no answer waits for a follow-up");
    }
    if cur.probe_count() >= state.max_probes || cur.answer_count() > state.max_probes {
        return Err("the question's follow-ups are used up");
    }
    if cur.latest_answer().is_some_and(is_unsure) {
        return Err("the candidate does not know: a hint or a move on, not a deeper probe");
    }
    Ok(())
}

/// Whether a follow-up may be about `point`: a point of the question that the verdict does not
/// mark covered, or the one the policy advises (a derivation goes deeper on a covered point).
pub fn about(
    q: &Question,
    cur: &QuestionRecord,
    point: &str,
    advised: Option<&str>,
) -> Result<(), &'static str> {
    if q.point(point).is_none() {
        return Err("no such point on this question");
    }
    if advised == Some(point) {
        return Ok(());
    }
    if cur.made(point) {
        return Err("a point the candidate already made");
    }
    Ok(())
}

/// Whether a follow-up on `point` may be asked in the model's own words `text`: a point already
/// made goes deeper only by the bank's derivation (a model's own "why?" on it asks again what the
/// answer said), and a question labelled with an open point may not ask about one already made
/// (read by the rubric scorer).
pub fn in_own_words(
    q: &Question,
    cur: &QuestionRecord,
    point: &str,
    text: &str,
) -> Result<(), &'static str> {
    let derivation = q
        .point(point)
        .is_some_and(|p| p.derivations.iter().any(|d| d == text));
    if cur.made(point) && !derivation {
        return Err("a point already made goes deeper only by a derivation");
    }
    let asks = rubric::score(q, text, &[]);
    let names = |id: &str| asks.verdict(id).is_some_and(|v| v != Verdict::Missed);
    let elsewhere = q
        .points
        .iter()
        .any(|p| p.id != point && names(&p.id) && cur.made(&p.id));
    if elsewhere && !names(point) {
        return Err("it asks about a point already made");
    }
    Ok(())
}

/// The heaviest point the verdict does not mark covered.
pub fn open_point(q: &Question, cur: &QuestionRecord) -> Option<String> {
    let score = cur.score()?;
    let mut open: Vec<_> = q
        .points
        .iter()
        .filter(|p| score.verdict(&p.id) != Some(Verdict::Covered))
        .collect();
    open.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    open.first().map(|p| p.id.clone())
}

/// The bank's own wording for a follow-up on `point` that was not asked yet.
pub fn bank_probe(q: &Question, cur: &QuestionRecord, point: &str) -> Option<String> {
    let p = q.point(point)?;
    let covered = cur.made(point);
    let texts: Vec<&String> = if covered {
        p.derivations.iter().collect()
    } else {
        p.probes.iter().chain(p.derivations.iter()).collect()
    };
    texts.into_iter().find(|t| !cur.asked_probe(t)).cloned()
}

/// Whether the plan allows the next question now.
pub fn next_allowed(state: &InterviewState) -> bool {
    let answered = state.current().is_none_or(|c| !c.awaiting_first_answer());
    !state.is_over() && answered && state.remaining().next().is_some()
}

/// Whether the plan allows the interview to end now.
pub fn closing_allowed(state: &InterviewState) -> bool {
    state.is_over()
        || state.end_requested
        || (state.remaining().next().is_none()
            && state.current().is_some_and(|c| !c.awaiting_first_answer()))
}
