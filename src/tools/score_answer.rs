//! `score_answer`: scores the candidate's answer against the rubric, records the score in the
//! interview state (the source of truth) and advises the next step (probe, move on, end).

use super::{Tool, ToolContext, ToolError};
use crate::bank::Question;
use crate::scoring::fusion::DEFAULT_WEIGHTS;
use crate::scoring::reconcile::{Graded, Grader, grade, reconcile};
use crate::scoring::{PointVerdict, Score, ScorerKind, round_score, rubric};
use crate::state::QuestionRecord;
use crate::state::probing::{self, NextStep};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::state::HINT_CAPS;

pub struct ScoreAnswer;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ScoreArgs {
    /// The id of the question being answered.
    pub question_id: String,
    /// The candidate's answer. Optional: the answer recorded verbatim in the interview is what gets
    /// scored, so there is no need to copy it.
    #[serde(default)]
    pub answer: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ScoreReport {
    pub question_id: String,
    /// The question's score over all its answers so far.
    pub score: f32,
    /// How many answers (first answer and probe answers) the score covers.
    pub answers: usize,
    /// The latest answer on its own, by the rubric (how the last reply went).
    pub latest_answer_score: f32,
    pub points: Vec<PointVerdict>,
    pub misconceptions: Vec<String>,
    /// Wrong claims found on weaker evidence: said to the candidate as a doubt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub doubts: Vec<String>,
    /// Of those, the claims of earlier answers that were already spoken to and that the latest
    /// answer does not repeat: not to be said again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub already_said: Vec<String>,
    pub feedback: String,
    pub scorer: ScorerKind,
    pub probes_used: usize,
    pub probes_left: usize,
    pub remaining_questions: usize,
    /// What a good interviewer does next.
    pub next: NextStep,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[async_trait::async_trait]
impl Tool for ScoreAnswer {
    const NAME: &'static str = "score_answer";
    type Args = ScoreArgs;
    type Output = ScoreReport;

    async fn call(
        &self,
        args: ScoreArgs,
        ctx: &mut ToolContext<'_>,
    ) -> Result<ScoreReport, ToolError> {
        let id = args.question_id.trim();
        let q = ctx
            .bank
            .get(id)
            .ok_or_else(|| ToolError::unknown_question(ctx.bank, id))?;
        let mode = ctx.state.mode;
        let max_probes = ctx.state.max_probes;
        let remaining = ctx.state.remaining().count();
        let record = ctx.state.record_mut(id).ok_or_else(|| {
            ToolError::Rejected(format!(
                "question \"{id}\" has not been asked yet; call pick_question first"
            ))
        })?;
        // The recorded, verbatim answers are the truth: a model cannot score words the candidate
        // never said (nor a paraphrase of them).
        tracing::trace!(
            given_chars = args.answer.len(),
            "score_answer scores the recorded answers"
        );
        if record.awaiting_first_answer() {
            return Err(ToolError::Rejected(
                "the candidate has not answered this question yet; ask it and wait for the answer"
                    .into(),
            ));
        }
        let note = score_latest(q, record, ctx.judge).await;
        // The latest answer on its own: how the reply went, and whether a probe chain holds up.
        let alone = record.latest_answer().map(|a| rubric::score(q, a, &[]));
        let alone = alone.unwrap_or_else(|| rubric::score(q, "", &[]));
        let next = probing::decide(mode, q, record, &alone, max_probes, remaining);
        let Some(score) = record.score() else {
            return Err(ToolError::Rejected("nothing to score".into()));
        };
        let latest_answer_score = latest_answer_score(record, &alone);
        let already_said = record.claims_said_before(&alone);
        Ok(ScoreReport {
            question_id: q.id.clone(),
            score: score.score,
            answers: record.answer_count(),
            latest_answer_score,
            points: score.points.clone(),
            misconceptions: score.misconceptions.clone(),
            doubts: score.doubts.clone(),
            already_said,
            feedback: score.feedback.clone(),
            scorer: score.scorer,
            probes_used: record.probe_count(),
            probes_left: max_probes.saturating_sub(record.probe_count()),
            remaining_questions: remaining,
            next,
            note,
        })
    }
}

/// How the latest reply went on its own: its rubric score, or for a probe answer the credit of the
/// probed point if that is higher (a probe asks about one point, not the whole question).
fn latest_answer_score(record: &QuestionRecord, alone: &Score) -> f32 {
    let probed = record
        .latest_probed_point()
        .filter(|_| record.answer_count() > 1);
    let point = probed
        .and_then(|p| alone.verdict(p))
        .map(|v| 10.0 * v.credit())
        .unwrap_or(0.0);
    if alone.misconceptions.is_empty() {
        alone.score.max(point)
    } else {
        alone.score
    }
}

/// Score the record's latest answer if it is not scored yet (rubric scorer, the judge when there
/// is one, the hint cap). Returns a note for the transcript when the judge fell back or a cap applied.
/// The loop relies on this to make sure every answer is scored, even when a model forgets to.
pub async fn score_latest(
    q: &Question,
    record: &mut QuestionRecord,
    judge: Option<&Grader>,
) -> Option<String> {
    let latest = record.unscored_answer()?.to_string();
    let latest = latest.as_str();
    let answers: Vec<&str> = record.answers().collect();
    let earlier = &answers[..answers.len().saturating_sub(1)];
    let graded = match grade(q, latest, earlier, judge).await {
        Ok(graded) => graded,
        // An interview goes on with the rubric score whatever the judge's trouble.
        Err(e) => {
            let weights = judge.map(|g| g.weights).unwrap_or(DEFAULT_WEIGHTS);
            let (used, rec) = reconcile(q, rubric::score(q, latest, earlier), Err(&e), weights);
            Graded {
                used,
                judge: Some(rec),
                judgement: None,
            }
        }
    };
    let mut note = graded.judge.as_ref().and_then(|j| j.note.clone());
    if graded.judge.is_some() {
        record.judge = graded.judge;
    }
    let mut score = graded.used;
    let hints = record.hints();
    if hints > 0 {
        let cap = HINT_CAPS[(hints as usize - 1).min(HINT_CAPS.len() - 1)];
        if score.score > cap {
            score.score = cap;
            note.get_or_insert_with(|| format!("capped at {cap} because a hint was given"));
        }
    }
    score.score = round_score(score.score);
    record.set_score(score);
    note
}
