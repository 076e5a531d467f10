//! `end_interview`: closes the interview.

use super::{Tool, ToolContext, ToolError};
use crate::bank::Domain;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub struct EndInterview;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct EndArgs {
    /// Why the interview ends (e.g. "all planned questions asked").
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Ended {
    pub ended: bool,
    pub questions_asked: usize,
    /// `None` when nothing was answered.
    pub overall: Option<f32>,
    pub by_domain: Vec<(Domain, f32)>,
    pub instruction: String,
}

#[async_trait::async_trait]
impl Tool for EndInterview {
    const NAME: &'static str = "end_interview";
    type Args = EndArgs;
    type Output = Ended;

    async fn call(&self, args: EndArgs, ctx: &mut ToolContext<'_>) -> Result<Ended, ToolError> {
        let state = &mut *ctx.state;
        // The plan is the candidate's interview: the interviewer does not cut it short on its own.
        if state.ended.is_none() && !state.end_requested {
            let remaining = state.remaining().count();
            if remaining > 0 {
                return Err(ToolError::Rejected(format!(
                    "{remaining} planned question(s) remain; call pick_question (end only when all are asked or the candidate asks to stop)"
                )));
            }
            if state.current().is_some_and(|c| c.awaiting_first_answer()) {
                return Err(ToolError::Rejected(
                    "the current question has not been answered yet; wait for the candidate's answer".into(),
                ));
            }
        }
        if let Some(cur) = state.current_mut()
            && let Some(q) = ctx.bank.get(&cur.id)
        {
            super::score_answer::score_latest(q, cur, ctx.judge).await;
        }
        if state.ended.is_none() {
            let reason = args.reason.trim();
            state.ended = Some(if reason.is_empty() {
                "ended by the interviewer".to_string()
            } else {
                reason.to_string()
            });
        }
        Ok(Ended {
            ended: true,
            questions_asked: state.questions.len(),
            overall: state.overall(),
            by_domain: state.by_domain(),
            instruction: "Thank the candidate in one short sentence; the written summary is shown to them separately.".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{Mode, load_builtin};
    use crate::state::{InterviewState, QuestionRecord};

    #[tokio::test]
    async fn the_interviewer_cannot_cut_the_plan_short_but_the_candidate_can() {
        let bank = load_builtin().expect("bank");
        let mut state =
            InterviewState::new(Mode::FirstRound, 1, vec!["rope".into(), "dpo".into()], 1);
        let mut rope = QuestionRecord::new("rope", crate::bank::Domain::Transformer);
        rope.add_answer("It rotates queries and keys.");
        state.questions.push(rope);
        let args = || EndArgs {
            reason: "done".into(),
        };
        let mut ctx = ToolContext {
            bank: &bank,
            state: &mut state,
            judge: None,
        };
        let err = EndInterview
            .call(args(), &mut ctx)
            .await
            .expect_err("one question remains");
        assert!(
            err.to_string().contains("1 planned question(s) remain"),
            "{err}"
        );
        assert!(ctx.state.ended.is_none());

        ctx.state.end_requested = true;
        let out = EndInterview
            .call(args(), &mut ctx)
            .await
            .expect("the candidate asked to stop");
        assert!(out.ended);
        assert_eq!(ctx.state.ended.as_deref(), Some("done"));
        assert!(
            ctx.state.questions[0].score().is_some(),
            "the last answer was scored on the way out"
        );
    }
}
