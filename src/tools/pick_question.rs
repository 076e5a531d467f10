//! `pick_question`: the next question from the mode's plan, never one already asked.

use super::{Tool, ToolContext, ToolError};
use crate::bank::{Difficulty, Domain, Question};
use crate::state::QuestionRecord;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub struct PickQuestion;

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct PickArgs {
    /// Prefer a question from this domain (transformer, pretraining, finetuning, inference, applications).
    #[serde(default)]
    pub domain: Option<String>,
    /// Prefer this difficulty (core, intermediate, advanced).
    #[serde(default)]
    pub difficulty: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PickedQuestion {
    pub question_id: String,
    pub domain: Domain,
    pub difficulty: Difficulty,
    /// The question to ask, in spoken form.
    pub ask: String,
    /// 1-based position in the interview.
    pub number: usize,
    pub total: usize,
    /// The domain of the previous question, when this one changes domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_domain: Option<Domain>,
    /// True when the previous question was not answered yet, so it is asked again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub still_current: bool,
    /// Why a requested domain/difficulty could not be honoured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl PickedQuestion {
    fn new(q: &Question, number: usize, total: usize) -> Self {
        Self {
            question_id: q.id.clone(),
            domain: q.domain,
            difficulty: q.difficulty,
            ask: q.ask.clone(),
            number,
            total,
            previous_domain: None,
            still_current: false,
            note: None,
        }
    }
}

#[async_trait::async_trait]
impl Tool for PickQuestion {
    const NAME: &'static str = "pick_question";
    type Args = PickArgs;
    type Output = PickedQuestion;

    async fn call(
        &self,
        args: PickArgs,
        ctx: &mut ToolContext<'_>,
    ) -> Result<PickedQuestion, ToolError> {
        let state = &mut *ctx.state;
        if state.is_over() {
            return Err(ToolError::Rejected(
                "the interview has ended; say goodbye".into(),
            ));
        }
        if state.end_requested {
            return Err(ToolError::Rejected(
                "the candidate asked to end the interview; call end_interview and say goodbye"
                    .into(),
            ));
        }
        let total = state.plan.len();
        // An unanswered current question stays current: picking again must not burn the plan.
        if let Some(cur) = state.current().filter(|c| c.awaiting_first_answer()) {
            let q = ctx
                .bank
                .get(&cur.id)
                .ok_or_else(|| ToolError::unknown_question(ctx.bank, &cur.id))?;
            let mut out = PickedQuestion::new(q, state.questions.len(), total);
            out.still_current = true;
            return Ok(out);
        }
        let domain = match args
            .domain
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(d) => Some(Domain::parse(d).ok_or_else(|| {
                ToolError::Schema(format!(
                    "unknown domain \"{d}\"; valid: {}",
                    Domain::ALL.map(Domain::as_str).join(", ")
                ))
            })?),
            None => None,
        };
        let difficulty = match args
            .difficulty
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(d) => Some(Difficulty::parse(d).ok_or_else(|| {
                ToolError::Schema(format!(
                    "unknown difficulty \"{d}\"; valid: core, intermediate, advanced"
                ))
            })?),
            None => None,
        };
        // Every answer is scored before moving on, even when the model forgot to call score_answer.
        if let Some(cur) = state.current_mut()
            && let Some(q) = ctx.bank.get(&cur.id)
        {
            super::score_answer::score_latest(q, cur, ctx.judge).await;
        }
        let remaining: Vec<&Question> = state
            .remaining()
            .filter_map(|id| ctx.bank.get(id))
            .collect();
        let Some(first) = remaining.first() else {
            return Err(ToolError::Rejected(
                "every planned question has been asked; call end_interview".into(),
            ));
        };
        let wanted = remaining.iter().find(|q| {
            domain.is_none_or(|d| q.domain == d) && difficulty.is_none_or(|d| q.difficulty == d)
        });
        let note = match (wanted, domain.is_some() || difficulty.is_some()) {
            (None, true) => Some(
                "no planned question matches that domain/difficulty; took the next one in the plan"
                    .to_string(),
            ),
            _ => None,
        };
        let q = wanted.copied().unwrap_or(first);
        let previous_domain = state.current().map(|c| c.domain).filter(|d| *d != q.domain);
        state
            .questions
            .push(QuestionRecord::new(q.id.clone(), q.domain));
        let mut out = PickedQuestion::new(q, state.questions.len(), total);
        out.previous_domain = previous_domain;
        out.note = note;
        Ok(out)
    }
}
