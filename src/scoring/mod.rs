//! Scoring a candidate's answer against a question's rubric.
//!
//! [`rubric`] is the deterministic offline scorer (the default grader and the fallback);
//! the LLM judge (`judge`) asks a model for the same verdicts.

pub mod agreement;
pub mod calibrate;
pub mod fusion;
pub mod graded;
pub mod judge;
pub mod reconcile;
pub mod rubric;
pub mod text;

use crate::strings::one_line;
use serde::{Deserialize, Serialize};

/// How well one rubric point was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Covered,
    Partial,
    Missed,
}

impl Verdict {
    /// The share of the point's weight this verdict earns.
    pub fn credit(self) -> f32 {
        match self {
            Verdict::Covered => 1.0,
            Verdict::Partial => 0.5,
            Verdict::Missed => 0.0,
        }
    }

    /// The verdict a share of credit stands for (a blend of two graders, or a probability).
    pub fn of_credit(credit: f32) -> Verdict {
        if credit >= 0.75 {
            Verdict::Covered
        } else if credit >= 0.25 {
            Verdict::Partial
        } else {
            Verdict::Missed
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Covered => "covered",
            Verdict::Partial => "partial",
            Verdict::Missed => "missed",
        }
    }
}

/// The verdict on one rubric point, with the words of the answer that earned it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointVerdict {
    pub id: String,
    pub verdict: Verdict,
    /// A span quoted from the answer (empty when missed).
    pub evidence: String,
}

/// Which grader produced a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScorerKind {
    /// The deterministic rubric scorer.
    Rubric,
    /// The LLM judge alone.
    Llm,
    /// The rubric scorer and the LLM judge, weighted ([`fusion`]).
    Combined,
}

impl ScorerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScorerKind::Rubric => "rubric",
            ScorerKind::Llm => "llm",
            ScorerKind::Combined => "combined",
        }
    }
}

/// A scored answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub question: String,
    /// 0–10, one decimal.
    pub score: f32,
    pub points: Vec<PointVerdict>,
    /// The wrong claims found (their `claim` text).
    pub misconceptions: Vec<String>,
    /// Wrong claims one grader found and the other did not confirm: the candidate hears them as a
    /// doubt, never as a verdict, and they are not counted as wrong.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub doubts: Vec<String>,
    /// One line naming the most important missed point (or praising a complete answer).
    pub feedback: String,
    pub scorer: ScorerKind,
}

impl Score {
    pub fn verdict(&self, point: &str) -> Option<Verdict> {
        self.points
            .iter()
            .find(|p| p.id == point)
            .map(|p| p.verdict)
    }
}

/// One line of feedback: the first wrong claim, then the most important gap (by weight), or praise.
pub fn feedback_line(
    q: &crate::bank::Question,
    points: &[PointVerdict],
    misconceptions: &[String],
) -> String {
    feedback_line_with(q, points, misconceptions, None)
}

/// [`feedback_line`] with `after_claim` said right after the wrong claim (before the gap).
pub fn feedback_line_with(
    q: &crate::bank::Question,
    points: &[PointVerdict],
    misconceptions: &[String],
    after_claim: Option<&str>,
) -> String {
    let heaviest = |verdict: Verdict| {
        q.points
            .iter()
            .zip(points)
            .filter(|(_, v)| v.verdict == verdict)
            .map(|(p, _)| p)
            .reduce(|best, p| if p.weight > best.weight { p } else { best })
    };
    let mut parts = vec![];
    if let Some(claim) = misconceptions.first() {
        parts.push(format!("Not right: {}", one_line(claim)));
    }
    parts.extend(after_claim.map(str::to_string));
    if let Some(p) = heaviest(Verdict::Missed) {
        parts.push(format!("Most important gap: {}", one_line(&p.expect)));
    } else if let Some(p) = heaviest(Verdict::Partial) {
        parts.push(format!("Explain more fully: {}", one_line(&p.expect)));
    } else if misconceptions.is_empty() {
        parts.push("Complete answer: every rubric point was covered and explained.".to_string());
    }
    parts.join(" ")
}

/// Round to one decimal, clamped to 0–10.
pub fn round_score(x: f32) -> f32 {
    ((x.clamp(0.0, 10.0)) * 10.0).round() / 10.0
}

/// A small question for unit tests: points `alpha` (weight 2), `beta` and `gamma`, each with a
/// cue naming it; `alpha` lists the misconception "alpha is slow".
#[cfg(test)]
pub fn test_question() -> crate::bank::Question {
    use crate::bank::{Difficulty, Domain, Misconception, Mode, Question, RubricPoint};
    let point = |id: &str, weight: f32, misconceptions: Vec<Misconception>| RubricPoint {
        id: id.into(),
        weight,
        expect: format!("The answer explains how {id} works."),
        keywords: vec![id.into()],
        cues: vec![format!("{id} works")],
        misconceptions,
        probes: vec!["Why?".into()],
        derivations: vec![],
        hint: None,
    };
    Question {
        id: "q".into(),
        domain: Domain::Inference,
        difficulty: Difficulty::Core,
        modes: vec![Mode::FirstRound],
        ask: "How do alpha, beta and gamma work?".into(),
        assesses: "x".into(),
        reference: "ref".into(),
        points: vec![
            point(
                "alpha",
                2.0,
                vec![Misconception {
                    claim: "Alpha is slow.".into(),
                    cues: vec!["alpha slow".into()],
                    attribute: None,
                }],
            ),
            point("beta", 1.0, vec![]),
            point("gamma", 1.0, vec![]),
        ],
    }
}
