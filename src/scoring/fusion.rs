//! Combining the rubric scorer and the LLM judge: per point and per score, with a weight that
//! calibration sets per model ([`choose`]), and the rule that a candidate is told a claim is wrong
//! only when two signals agree (the judge and the rubric, or the judge and its confirm step).

use super::agreement::spearman;
use super::judge::Judgement;
use super::{PointVerdict, Score, ScorerKind, Verdict, feedback_line, round_score, rubric};
use crate::bank::Question;
use crate::strings::one_line;
use serde::{Deserialize, Serialize};

/// How much the judge counts, for one model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    /// The judge's share of each point's credit and of the score, 0 (rubric only) to 1 (judge only).
    pub judge: f32,
    /// Errors the rubric does not list, found by the judge and confirmed, cap the score.
    pub unlisted_errors: bool,
}

/// The weights of a model nobody has calibrated, chosen by [`choose`] on dev answers (64 of the
/// external and the old dev splits) with a small local model, Qwen2.5-Coder-1.5B on llama.cpp:
/// with the current rubric scorer, Spearman 0.810 and MAE 1.19 combined at 0.1, against 0.814 and
/// 1.27 for the rubric alone and 0.597 for the judge alone (0.2 gave 0.802). Errors the rubric
/// does not list did not help (the model flags right sentences), so they do not count.
pub const DEFAULT_WEIGHTS: Weights = Weights {
    judge: 0.1,
    unlisted_errors: false,
};

/// The judge alone (`--judge llm`) for a model nobody has calibrated. Errors the rubric does not
/// list do not count: a model that flags and then confirms its own finding is one signal asked twice,
/// and a small one confirms right sentences (Qwen2.5-Coder-0.5B told three right sentences of three
/// strong answers "it isn't right that ..."). Where `calibrate --judge llm` found they help for a
/// model, they count for it ([`judge_only`]).
pub const JUDGE_ONLY: Weights = Weights {
    judge: 1.0,
    unlisted_errors: false,
};

/// The judge alone, counting errors the rubric does not list only when `calibrated` (the weights
/// `calibrate --judge llm` measured for the model) counts them.
pub fn judge_only(calibrated: Option<Weights>) -> Weights {
    Weights {
        unlisted_errors: calibrated.is_some_and(|w| w.unlisted_errors),
        ..JUDGE_ONLY
    }
}

impl Weights {
    /// Which grader a score combined with these weights comes from.
    pub fn kind(&self) -> ScorerKind {
        if self.judge <= 0.0 {
            ScorerKind::Rubric
        } else if self.judge >= 1.0 {
            ScorerKind::Llm
        } else {
            ScorerKind::Combined
        }
    }
}

/// The wrong claims the candidate is told about: a listed claim the judge found and its confirm
/// step or the rubric scorer also found; an unlisted one the confirm step agreed on, when the
/// weights count those. A listed claim the model alone found is not told when the sentence it
/// cites is the one the rubric scorer read as making the claim's own point right: one sentence
/// cannot state a relation and its opposite ("the partition function cancels, so you never
/// compute it" is not "DPO has to estimate the partition function").
pub fn agreed_claims(q: &Question, rubric: &Score, judged: &Judgement, w: Weights) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for c in &judged.claims {
        let agreed = match &c.listed {
            Some(claim)
                if rubric.misconceptions.contains(claim) || rubric.doubts.contains(claim) =>
            {
                true
            }
            Some(claim) => c.confirmed && !made_right_by(q, rubric, claim, &c.sentence),
            None => c.confirmed && w.unlisted_errors,
        };
        if agreed && !out.iter().any(|t| t == c.text()) {
            out.push(c.text().to_string());
        }
    }
    out
}

/// Whether the rubric scorer took `sentence` as the evidence that the point `claim` belongs to is
/// made (covered).
fn made_right_by(q: &Question, rubric: &Score, claim: &str, sentence: &str) -> bool {
    let Some(point) = q
        .points
        .iter()
        .find(|p| p.misconceptions.iter().any(|m| m.claim == claim))
    else {
        return false;
    };
    let norm = |t: &str| -> String {
        one_line(t)
            .trim_end_matches(['.', '!', '?', '…'])
            .to_lowercase()
    };
    let sentence = norm(sentence);
    rubric.points.iter().any(|v| {
        let evidence = norm(&v.evidence);
        v.id == point.id
            && v.verdict == Verdict::Covered
            && !evidence.is_empty()
            && !sentence.is_empty()
            && (sentence.contains(&evidence) || evidence.contains(&sentence))
    })
}

/// The score of `q`'s answer from the rubric's and the judge's verdicts.
pub fn combine(q: &Question, rubric: &Score, judged: &Judgement, w: Weights) -> Score {
    let a = w.judge.clamp(0.0, 1.0);
    if a <= 0.0 {
        return rubric.clone();
    }
    let told = agreed_claims(q, rubric, judged, w);
    let judge_points: f32 = q
        .points
        .iter()
        .zip(&judged.points)
        .map(|(p, j)| p.weight * j.credit())
        .sum::<f32>()
        * 10.0
        / q.total_weight().max(f32::EPSILON);
    let mut value = (1.0 - a) * rubric.score + a * judge_points;
    if !told.is_empty() {
        value = value.min(rubric::MISCONCEPTION_CAP);
    }
    let points: Vec<PointVerdict> = rubric
        .points
        .iter()
        .zip(&judged.points)
        .map(|(r, j)| {
            let credit = (1.0 - a) * r.verdict.credit() + a * j.credit();
            let verdict = Verdict::of_credit(credit);
            let evidence = if verdict == Verdict::Missed {
                String::new()
            } else if r.verdict != Verdict::Missed && !r.evidence.is_empty() {
                r.evidence.clone()
            } else {
                j.evidence.clone()
            };
            PointVerdict {
                id: r.id.clone(),
                verdict,
                evidence,
            }
        })
        .collect();
    // Where the verdicts and the claims told are the rubric's own, so is its feedback: it also
    // says when every point is there only in brief, or names padding and doubts.
    let unchanged = told == rubric.misconceptions
        && points
            .iter()
            .zip(&rubric.points)
            .all(|(c, r)| c.verdict == r.verdict);
    let feedback = if unchanged {
        rubric.feedback.clone()
    } else {
        feedback_line(q, &points, &told)
    };
    Score {
        question: q.id.clone(),
        score: round_score(value),
        feedback,
        points,
        doubts: rubric
            .misconceptions
            .iter()
            .chain(&rubric.doubts)
            .filter(|c| !told.contains(c))
            .cloned()
            .collect(),
        misconceptions: told,
        scorer: w.kind(),
    }
}

/// One graded answer as calibration sees it: its reference grade, the rubric's score and the
/// judge's verdicts (none when the judge failed or was ungrounded: the rubric score then stands).
pub struct Sample<'a> {
    pub question: &'a Question,
    pub grade: f32,
    pub rubric: &'a Score,
    pub judged: Option<&'a Judgement>,
}

impl Sample<'_> {
    pub fn score(&self, w: Weights) -> f32 {
        match self.judged {
            Some(j) => combine(self.question, self.rubric, j, w).score,
            None => self.rubric.score,
        }
    }
}

/// The weights tried: the judge's share in steps of 0.1, with and without unlisted errors.
fn grid() -> impl Iterator<Item = Weights> {
    (0..=10).flat_map(|i| {
        [false, true].map(|unlisted_errors| Weights {
            judge: i as f32 / 10.0,
            unlisted_errors,
        })
    })
}

/// Spearman and mean absolute error of the scores `w` gives against the grades.
fn agreement(samples: &[&Sample<'_>], w: Weights) -> (f64, f64) {
    let grades: Vec<f64> = samples.iter().map(|s| f64::from(s.grade)).collect();
    let scores: Vec<f64> = samples.iter().map(|s| f64::from(s.score(w))).collect();
    (spearman(&grades, &scores), mae(&grades, &scores))
}

fn mae(grades: &[f64], scores: &[f64]) -> f64 {
    if scores.is_empty() {
        return 0.0;
    }
    scores
        .iter()
        .zip(grades)
        .map(|(s, g)| (s - g).abs())
        .sum::<f64>()
        / scores.len() as f64
}

/// Weights within this much of the best Spearman count as equally good at ranking; among them the
/// lowest mean absolute error wins (Spearman alone is satisfied by any share that breaks ties).
const RANK_TOLERANCE: f64 = 0.01;

/// The weights that agree best with the grades of `samples`: the best ranking, then the closest
/// scores, then the smaller judge share.
pub fn choose(samples: &[&Sample<'_>]) -> Weights {
    let tried: Vec<(Weights, (f64, f64))> = grid().map(|w| (w, agreement(samples, w))).collect();
    let best = tried
        .iter()
        .map(|(_, (s, _))| *s)
        .fold(f64::NEG_INFINITY, f64::max);
    tried
        .into_iter()
        .filter(|(_, (s, _))| *s >= best - RANK_TOLERANCE)
        // The grid runs from the smallest share up: a strictly lower error is needed to move on.
        .reduce(|a, b| if b.1.1 < a.1.1 - 1e-9 { b } else { a })
        .map_or(
            Weights {
                judge: 0.0,
                unlisted_errors: false,
            },
            |(w, _)| w,
        )
}

/// What calibration reports about combining: the weights chosen on all the samples, and an honest
/// figure for them, each half's scores computed with the weights chosen on the other half.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Fitted {
    pub weights: Weights,
    /// Spearman of the combined scores, cross-fitted (never scored with weights tuned on itself).
    pub spearman: f64,
    /// Mean absolute error of the same cross-fitted scores.
    pub mae: f64,
}

pub fn fit(samples: &[Sample<'_>]) -> Fitted {
    let all: Vec<&Sample<'_>> = samples.iter().collect();
    let weights = choose(&all);
    let half = |parity: usize| -> Vec<&Sample<'_>> {
        samples
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == parity)
            .map(|(_, s)| s)
            .collect()
    };
    let (even, odd) = (half(0), half(1));
    let (for_even, for_odd) = (choose(&odd), choose(&even));
    let scores: Vec<f64> = samples
        .iter()
        .enumerate()
        .map(|(i, s)| f64::from(s.score(if i % 2 == 0 { for_even } else { for_odd })))
        .collect();
    let grades: Vec<f64> = samples.iter().map(|s| f64::from(s.grade)).collect();
    Fitted {
        weights,
        spearman: spearman(&grades, &scores),
        mae: mae(&grades, &scores),
    }
}

#[cfg(test)]
mod tests;
