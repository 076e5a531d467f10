//! The interview state: the source of truth for the plan, what was asked, answers and scores.
//!
//! Tools read and change it; the model never holds scores in its memory. It is saved with every
//! checkpoint of the session, so a resumed interview continues with exactly the same state.

use crate::bank::{Domain, Mode};
use serde::{Deserialize, Serialize};

pub use super::record::{Exchange, JudgeRecord, QuestionRecord, QuestionStatus};

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

    /// The questions that count in averages: answered, or skipped before any answer (questions
    /// asked but never answered are not reached and left out).
    pub fn counted(&self) -> impl Iterator<Item = &QuestionRecord> {
        self.questions.iter().filter(|q| q.counts())
    }

    /// Whether the candidate answered anything at all.
    pub fn answered_any(&self) -> bool {
        self.questions
            .iter()
            .any(|q| q.status() == super::QuestionStatus::Answered)
    }

    /// Mean of the counted questions' scores; `None` when nothing was answered (a session ended at
    /// its first question, or with every question skipped, has no score).
    pub fn overall(&self) -> Option<f32> {
        if !self.answered_any() {
            return None;
        }
        let vals: Vec<f32> = self.counted().map(QuestionRecord::value).collect();
        Some(crate::scoring::round_score(
            vals.iter().sum::<f32>() / vals.len() as f32,
        ))
    }

    /// Mean score per domain, in domain order, for domains with counted questions (none when
    /// nothing was answered).
    pub fn by_domain(&self) -> Vec<(Domain, f32)> {
        if !self.answered_any() {
            return vec![];
        }
        Domain::ALL
            .into_iter()
            .filter_map(|d| {
                let vals: Vec<f32> = self
                    .counted()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::record::answered as scored;

    #[test]
    fn unreached_questions_are_left_out_of_the_averages_and_skipped_ones_count_zero() {
        let mut st = InterviewState::new(Mode::FirstRound, 1, vec![], 1);
        st.questions.push(scored("rope", Domain::Transformer, 8.0));
        st.questions
            .push(scored("kv-cache", Domain::Inference, 4.0));
        let mut skipped = QuestionRecord::new("dpo", Domain::Finetuning);
        skipped.skip();
        st.questions.push(skipped);
        st.questions
            .push(QuestionRecord::new("rag", Domain::Applications));
        assert_eq!(
            st.overall(),
            Some(4.0),
            "(8 + 4 + 0) / 3, the unreached one left out"
        );
        let domains: Vec<Domain> = st.by_domain().into_iter().map(|(d, _)| d).collect();
        assert!(!domains.contains(&Domain::Applications), "{domains:?}");
        assert!(domains.contains(&Domain::Finetuning));
        assert_eq!(st.questions[3].status(), QuestionStatus::NotReached);
        assert_eq!(st.questions[2].status(), QuestionStatus::Skipped);
    }

    #[test]
    fn nothing_answered_has_no_score_at_all() {
        let mut st = InterviewState::new(Mode::FirstRound, 1, vec![], 1);
        assert_eq!(st.overall(), None);
        st.questions
            .push(QuestionRecord::new("rope", Domain::Transformer));
        assert_eq!(st.overall(), None, "asked, never answered");
        let mut skipped = QuestionRecord::new("dpo", Domain::Finetuning);
        skipped.skip();
        st.questions.insert(0, skipped);
        assert_eq!(st.overall(), None, "skipped, nothing answered");
        assert!(st.by_domain().is_empty());
        st.questions
            .push(scored("kv-cache", Domain::Inference, 6.0));
        assert_eq!(
            st.overall(),
            Some(3.0),
            "(0 + 6) / 2 once something is answered"
        );
        assert_eq!(st.by_domain().len(), 2);
    }

    #[test]
    fn skipping_a_probe_keeps_the_score_of_the_answers_given() {
        let mut q = scored("rope", Domain::Transformer, 6.5);
        q.add_probe("Why?", None);
        q.skip();
        assert_eq!(q.status(), QuestionStatus::Answered);
        assert_eq!(q.value(), 6.5);
    }
}
