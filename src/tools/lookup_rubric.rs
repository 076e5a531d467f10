//! `lookup_rubric`: what a question assesses, its rubric points and why-probes — for the
//! interviewer's eyes only.

use super::{Tool, ToolContext, ToolError};
use crate::scoring::Verdict;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub struct LookupRubric;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LookupArgs {
    /// The question id, as returned by pick_question.
    pub question_id: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RubricView {
    pub question_id: String,
    pub assesses: String,
    pub points: Vec<PointView>,
    /// Why-probes still allowed on this question.
    pub probes_left: usize,
    pub reminder: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PointView {
    pub id: String,
    pub weight: f32,
    pub expect: String,
    pub probes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub derivations: Vec<String>,
    /// The verdict so far, when the question has been scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Verdict>,
}

#[async_trait::async_trait]
impl Tool for LookupRubric {
    const NAME: &'static str = "lookup_rubric";
    type Args = LookupArgs;
    type Output = RubricView;

    async fn call(
        &self,
        args: LookupArgs,
        ctx: &mut ToolContext<'_>,
    ) -> Result<RubricView, ToolError> {
        let id = args.question_id.trim();
        let q = ctx
            .bank
            .get(id)
            .ok_or_else(|| ToolError::unknown_question(ctx.bank, id))?;
        let record = ctx.state.record(id);
        let score = record.and_then(|r| r.score());
        let probes_used = record.map(|r| r.probe_count()).unwrap_or(0);
        Ok(RubricView {
            question_id: q.id.clone(),
            assesses: q.assesses.clone(),
            points: q
                .points
                .iter()
                .map(|p| PointView {
                    id: p.id.clone(),
                    weight: p.weight,
                    expect: p.expect.clone(),
                    probes: p.probes.clone(),
                    derivations: if ctx.state.mode == crate::bank::Mode::DeepDive {
                        p.derivations.clone()
                    } else {
                        vec![]
                    },
                    status: score.and_then(|s| s.verdict(&p.id)),
                })
                .collect(),
            probes_left: ctx.state.max_probes.saturating_sub(probes_used),
            reminder: "For your eyes only: never read the rubric or the expected answers out to the candidate.".into(),
        })
    }
}
