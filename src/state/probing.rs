//! The probing policy: after a scored answer, probe "why?" on the most important gap, go deeper
//! while answers hold up, and move on (with a hint) when the candidate is lost.

use super::interview::QuestionRecord;
use crate::bank::{Mode, Question, RubricPoint};
use crate::scoring::{Score, Verdict};
use serde::{Deserialize, Serialize};

/// First round: a strong answer needs no probe.
const FIRST_ROUND_GOOD_ENOUGH: f32 = 7.5;
/// Deep dive: below this on the first answer the candidate starts out lost.
const DEEP_DIVE_LOST: f32 = 2.5;
/// Deep dive: a probe answer scoring this much on its own holds up.
const HOLDS_UP_ALONE: f32 = 3.0;
/// Deep dive: at or above this, only a derivation can find the edge.
const DEEP_DIVE_STRONG: f32 = 8.0;

/// The next step after a scored answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum NextStep {
    /// Ask this follow-up about `point`.
    Probe {
        point: String,
        probe: String,
        derivation: bool,
        reason: String,
    },
    /// Acknowledge and pick the next question; `hint` is a short pointer when the candidate was lost.
    MoveOn {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hint: Option<String>,
        reason: String,
    },
    /// No questions left: close the interview (after the hint, if any).
    End {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hint: Option<String>,
        reason: String,
    },
}

impl NextStep {
    /// The rubric point this step probes, if it is a probe.
    pub fn probe_point(&self) -> Option<String> {
        match self {
            NextStep::Probe { point, .. } => Some(point.clone()),
            _ => None,
        }
    }
}

/// Decide the next step for `record` (whose latest score is the answer just given); `latest_alone`
/// is the rubric score of that latest answer on its own.
pub fn decide(
    mode: Mode,
    q: &Question,
    record: &QuestionRecord,
    latest_alone: &Score,
    max_probes: usize,
    remaining: usize,
) -> NextStep {
    let move_on = |hint: Option<String>, reason: &str| {
        if remaining == 0 {
            NextStep::End {
                hint,
                reason: format!("{reason}; no questions left"),
            }
        } else {
            NextStep::MoveOn {
                hint,
                reason: reason.to_string(),
            }
        }
    };
    let Some(score) = record.score() else {
        return move_on(None, "nothing scored");
    };
    if record.skipped() {
        return move_on(None, "skipped");
    }
    if record.probe_count() >= max_probes {
        return move_on(None, "probes used up");
    }
    // "I don't know" is met with a hint or a move on, never with a deeper probe.
    if record
        .latest_answer()
        .is_some_and(crate::prompts::phrases::is_unsure)
    {
        let hint = q
            .points
            .iter()
            .filter(|p| score.verdict(&p.id) != Some(Verdict::Covered))
            .max_by(|a, b| a.weight.total_cmp(&b.weight))
            .map(hint_for);
        return move_on(hint, "the candidate does not know");
    }
    let first_answer = record.scores().count() <= 1;
    match mode {
        Mode::FirstRound => {
            if score.score >= FIRST_ROUND_GOOD_ENOUGH {
                return move_on(None, "the answer is strong");
            }
            match why_probe(q, record, score) {
                Some(p) => p,
                None => move_on(None, "nothing left to probe"),
            }
        }
        Mode::DeepDive if first_answer => {
            if score.score >= DEEP_DIVE_STRONG {
                derivation_probe(q, record, score, None)
                    .or_else(|| why_probe(q, record, score))
                    .unwrap_or_else(|| move_on(None, "the answer is complete"))
            } else if let Some(p) = why_probe(q, record, score) {
                p
            } else {
                derivation_probe(q, record, score, None)
                    .unwrap_or_else(|| move_on(None, "nothing left to probe"))
            }
        }
        Mode::DeepDive => {
            // The point of the latest probe; "" when the model chose the probe itself.
            let probed = record
                .exchanges
                .iter()
                .rev()
                .find(|e| e.probe.is_some())
                .map(|e| e.point.as_deref().unwrap_or(""));
            if !held_up(record, latest_alone, probed) {
                let hint = probed
                    .and_then(|id| q.point(id))
                    .or_else(|| {
                        q.points
                            .iter()
                            .find(|p| score.verdict(&p.id) != Some(Verdict::Covered))
                    })
                    .map(hint_for);
                return move_on(hint, "the candidate is lost on this chain");
            }
            if score.score < DEEP_DIVE_LOST && record.answer_count() >= 2 {
                return move_on(None, "the answers stay weak");
            }
            derivation_probe(q, record, score, probed)
                .or_else(|| why_probe(q, record, score))
                .or_else(|| derivation_probe(q, record, score, None))
                .unwrap_or_else(|| move_on(None, "the chain reached its end"))
        }
    }
}

/// Did the answer to the last probe hold up? Judged on that answer alone (the question's running
/// score can plateau while a deep answer is right): it makes the probed point at least partly, or
/// says something substantive, without a wrong claim; or the question's score rose.
fn held_up(record: &QuestionRecord, alone: &Score, probed: Option<&str>) -> bool {
    if record.answer_count() == 0 || !alone.misconceptions.is_empty() {
        return false;
    }
    let point_made = probed
        .and_then(|p| alone.verdict(p))
        .is_some_and(|v| v != Verdict::Missed);
    let rose = match (record.score(), record.previous_score()) {
        (Some(now), Some(before)) => now.score >= before.score + 1.0,
        _ => false,
    };
    point_made || rose || alone.score >= HOLDS_UP_ALONE
}

/// A why-probe on the most important point not yet made (and not yet probed with that text).
fn why_probe(q: &Question, record: &QuestionRecord, score: &Score) -> Option<NextStep> {
    let mut gaps: Vec<&RubricPoint> = q
        .points
        .iter()
        .filter(|p| score.verdict(&p.id).unwrap_or(Verdict::Missed) != Verdict::Covered)
        .collect();
    gaps.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then(verdict_rank(score, a).cmp(&verdict_rank(score, b)))
    });
    gaps.into_iter().find_map(|p| {
        let text = p.probes.iter().find(|t| !record.asked_probe(t))?;
        let why = match score.verdict(&p.id) {
            Some(Verdict::Partial) => "shallow",
            _ => "missed",
        };
        Some(NextStep::Probe {
            point: p.id.clone(),
            probe: text.clone(),
            derivation: false,
            reason: format!("the most important {why} point: {}", p.expect),
        })
    })
}

/// Partial before missed at equal weight (a shallow point is the better place to dig).
fn verdict_rank(score: &Score, p: &RubricPoint) -> u8 {
    match score.verdict(&p.id) {
        Some(Verdict::Partial) => 0,
        _ => 1,
    }
}

/// A derivation probe: on `prefer` if given, else on the heaviest covered point that has one.
fn derivation_probe(
    q: &Question,
    record: &QuestionRecord,
    score: &Score,
    prefer: Option<&str>,
) -> Option<NextStep> {
    let mut candidates: Vec<&RubricPoint> = match prefer {
        Some(id) => q.point(id).into_iter().collect(),
        None => q
            .points
            .iter()
            .filter(|p| score.verdict(&p.id) == Some(Verdict::Covered))
            .collect(),
    };
    candidates.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    candidates.into_iter().find_map(|p| {
        // A point the candidate made is taken further by a derivation, not asked again.
        let made = score.verdict(&p.id) == Some(Verdict::Covered);
        let why = p.probes.iter().filter(|_| !made);
        let text = p
            .derivations
            .iter()
            .chain(why)
            .find(|t| !record.asked_probe(t))?;
        Some(NextStep::Probe {
            point: p.id.clone(),
            probe: text.clone(),
            derivation: p.derivations.contains(text),
            reason: format!("go deeper on: {}", p.expect),
        })
    })
}

/// A nudge for a point that does not give the answer away.
pub fn hint_for(point: &RubricPoint) -> String {
    point
        .hint
        .clone()
        .unwrap_or_else(|| match point.keywords.first() {
            Some(k) => format!("Think about the role of {k}."),
            None => "Think about the mechanism behind it, step by step.".to_string(),
        })
}
