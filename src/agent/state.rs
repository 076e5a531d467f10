//! The interview state: the source of truth for the plan, what was asked, answers and scores.
//!
//! Tools read and change it; the model never holds scores in its memory. It is saved with every
//! checkpoint of the session, so a resumed interview continues with exactly the same state.

use crate::bank::{Domain, Mode};
use crate::scoring::Score;
use serde::{Deserialize, Serialize};

/// Everything known about one question once it has been asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionRecord {
    pub id: String,
    pub domain: Domain,
    /// The candidate's answers to the question and its probes, in order.
    #[serde(default)]
    pub answers: Vec<String>,
    /// The follow-up probes asked, in order.
    #[serde(default)]
    pub probes: Vec<String>,
    /// Rubric point ids the probes targeted (same order as `probes`).
    #[serde(default)]
    pub probed_points: Vec<String>,
    /// The score after each scored answer; the last one is the question's score.
    #[serde(default)]
    pub scores: Vec<Score>,
    /// The LLM judge's score when one was used, next to the rubric scorer's (`scores`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<JudgeRecord>,
    /// Hints given (each caps the score).
    #[serde(default)]
    pub hints: u32,
    #[serde(default)]
    pub skipped: bool,
}

pub use crate::scoring::reconcile::JudgeRecord;

impl QuestionRecord {
    pub fn new(id: impl Into<String>, domain: Domain) -> Self {
        Self {
            id: id.into(),
            domain,
            answers: vec![],
            probes: vec![],
            probed_points: vec![],
            scores: vec![],
            judge: None,
            hints: 0,
            skipped: false,
        }
    }

    /// The question's current score (the latest), if any answer was scored.
    pub fn score(&self) -> Option<&Score> {
        self.scores.last()
    }

    /// The score value to report: 0 when skipped or never answered.
    pub fn value(&self) -> f32 {
        if self.skipped {
            return 0.0;
        }
        self.score().map(|s| s.score).unwrap_or(0.0)
    }

    /// How many why-probes deep the candidate went (probes that were answered).
    pub fn why_depth(&self) -> usize {
        self.probes.len().min(self.answers.len().saturating_sub(1))
    }
}

/// The explicit state every tool acts on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterviewState {
    pub mode: Mode,
    pub seed: u64,
    /// Question ids in the order they will be asked.
    pub plan: Vec<String>,
    /// Questions asked so far, in order; the last one is the current question.
    #[serde(default)]
    pub questions: Vec<QuestionRecord>,
    /// Why-probes allowed per question.
    pub max_probes: usize,
    /// Set when the interview is over, with the reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    /// The candidate asked to stop (`/end`, end of input): the interviewer may end early.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub end_requested: bool,
}

impl InterviewState {
    pub fn new(mode: Mode, seed: u64, plan: Vec<String>, max_probes: usize) -> Self {
        Self {
            mode,
            seed,
            plan,
            questions: vec![],
            max_probes,
            ended: None,
            end_requested: false,
        }
    }

    pub fn current(&self) -> Option<&QuestionRecord> {
        self.questions.last()
    }

    pub fn current_mut(&mut self) -> Option<&mut QuestionRecord> {
        self.questions.last_mut()
    }

    pub fn record(&self, id: &str) -> Option<&QuestionRecord> {
        self.questions.iter().find(|q| q.id == id)
    }

    pub fn record_mut(&mut self, id: &str) -> Option<&mut QuestionRecord> {
        self.questions.iter_mut().find(|q| q.id == id)
    }

    pub fn was_asked(&self, id: &str) -> bool {
        self.questions.iter().any(|q| q.id == id)
    }

    /// Plan entries not yet asked, in plan order.
    pub fn remaining(&self) -> impl Iterator<Item = &str> {
        self.plan
            .iter()
            .map(String::as_str)
            .filter(|id| !self.was_asked(id))
    }

    pub fn is_over(&self) -> bool {
        self.ended.is_some()
    }

    /// Mean of the asked questions' scores (0 when none).
    pub fn overall(&self) -> f32 {
        if self.questions.is_empty() {
            return 0.0;
        }
        let sum: f32 = self.questions.iter().map(QuestionRecord::value).sum();
        crate::scoring::round_score(sum / self.questions.len() as f32)
    }

    /// Mean score per domain, in domain order, for domains that were asked.
    pub fn by_domain(&self) -> Vec<(Domain, f32)> {
        Domain::ALL
            .into_iter()
            .filter_map(|d| {
                let vals: Vec<f32> = self
                    .questions
                    .iter()
                    .filter(|q| q.domain == d)
                    .map(QuestionRecord::value)
                    .collect();
                (!vals.is_empty()).then(|| {
                    (
                        d,
                        crate::scoring::round_score(vals.iter().sum::<f32>() / vals.len() as f32),
                    )
                })
            })
            .collect()
    }
}
