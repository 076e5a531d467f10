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

#[derive(Debug, Serialize)]
pub struct Ended {
    pub ended: bool,
    pub questions_asked: usize,
    pub overall: f32,
    pub by_domain: Vec<(Domain, f32)>,
    pub instruction: &'static str,
}

#[async_trait::async_trait]
impl Tool for EndInterview {
    const NAME: &'static str = "end_interview";
    type Args = EndArgs;
    type Output = Ended;

    async fn call(&self, args: EndArgs, ctx: &mut ToolContext<'_>) -> Result<Ended, ToolError> {
        let state = &mut *ctx.state;
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
            instruction: "Thank the candidate in one short sentence; the written summary is shown to them separately.",
        })
    }
}
