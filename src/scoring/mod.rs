//! Scoring a candidate's answer against a question's rubric.
//!
//! [`rubric`] is the deterministic offline scorer (the default grader and the fallback);
//! the LLM judge (`judge`) asks a model for the same verdicts.

pub mod agreement;
pub mod calibrate;
pub mod graded;
pub mod judge;
pub mod reconcile;
pub mod rubric;
pub mod text;

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
    Rubric,
    Llm,
}

impl ScorerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScorerKind::Rubric => "rubric",
            ScorerKind::Llm => "llm",
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

/// Round to one decimal, clamped to 0–10.
pub fn round_score(x: f32) -> f32 {
    ((x.clamp(0.0, 10.0)) * 10.0).round() / 10.0
}
