//! `say`: the interviewer's line to the candidate, as typed fields. It changes nothing in the
//! state: the loop checks each field against the verdict and the plan, replaces what fails with the
//! policy's own wording, and records exactly what the candidate then hears.

use super::{Tool, ToolContext, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

pub struct Say;

/// What the line does with the interview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SayKind {
    /// A follow-up on the question on the table, about one rubric point (`point`).
    FollowUp,
    /// The next planned question (after pick_question), or the first one.
    NextQuestion,
    /// The goodbye, once the interview has ended.
    Closing,
}

/// The interviewer's line, field by field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SayArgs {
    /// A few words on the candidate's latest answer (or a greeting), in keeping with its score.
    /// No technical content, no corrections, no question.
    #[serde(default, deserialize_with = "text_or_null")]
    pub acknowledgement: String,
    /// The one question now put to the candidate, in one sentence.
    #[serde(default, deserialize_with = "text_or_null")]
    pub question: String,
    /// follow_up, next_question or closing.
    #[serde(default)]
    pub kind: Option<SayKind>,
    /// For a follow_up: the id of the rubric point it is about (one score_answer reported as
    /// missed or partial).
    #[serde(default, deserialize_with = "point_or_null")]
    pub point: Option<String>,
}

fn text_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

fn point_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let p = Option::<String>::deserialize(d)?;
    Ok(p.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
}

#[async_trait::async_trait]
impl Tool for Say {
    const NAME: &'static str = "say";
    type Args = SayArgs;
    type Output = SayArgs;

    async fn call(&self, args: SayArgs, _ctx: &mut ToolContext<'_>) -> Result<SayArgs, ToolError> {
        Ok(args)
    }
}
