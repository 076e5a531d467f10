//! The review as JSON. This shape is a contract for scripts: the keys below are always present
//! (extra keys may be added, none removed or renamed).
//!
//! `{id, mode, status, model, started_at, ended_at, overall, by_domain: {domain: score},
//! questions: [{id, domain, score, points: [{id, verdict, evidence}], probes, why_depth, answers,
//! feedback}], turns: [{speaker, text, at}], usage: {llm_calls, prompt_tokens, completion_tokens,
//! max_prompt_tokens}}`. Each question also has `seconds` and `answer_seconds` (time per timed
//! answer) and `spoken: {seconds, words, words_per_minute, fillers: {word: count},
//! fillers_per_minute, longest_pause_s}` (`null` unless an answer was spoken); `delivery` sums
//! them over the session. `overall` is `null` when nothing was answered, and a question's `score`
//! is `null` when it was not reached. Text is stored verbatim (JSON escaping makes it safe to
//! embed).

use super::Review;
use crate::bank::{Domain, Mode};
use crate::scoring::Verdict;
use crate::session::{SessionStatus, Speaker, UsageTotals};
use crate::spoken::SpokenStats;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct JsonReview<'a> {
    id: &'a str,
    mode: Mode,
    status: SessionStatus,
    model: &'a str,
    started_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
    end_reason: Option<&'a str>,
    duration_secs: i64,
    /// `null` when nothing was answered.
    overall: Option<f32>,
    by_domain: BTreeMap<&'static str, f32>,
    questions: Vec<JsonQuestion<'a>>,
    study_next: Vec<JsonStudy<'a>>,
    turns: Vec<JsonTurn<'a>>,
    usage: UsageTotals,
    warnings: &'a [String],
    /// Time answering over the session, and the spoken answers together (`null` when none).
    delivery: JsonDelivery<'a>,
}

#[derive(Serialize)]
struct JsonDelivery<'a> {
    answers_timed: usize,
    answer_seconds: f64,
    spoken_answers: usize,
    spoken: Option<JsonSpoken<'a>>,
}

/// `{seconds, words, words_per_minute, fillers: {word: count}, fillers_per_minute,
/// longest_pause_s}`.
#[derive(Serialize)]
struct JsonSpoken<'a> {
    #[serde(flatten)]
    stats: &'a SpokenStats,
    fillers_per_minute: f64,
}

fn spoken(s: Option<&SpokenStats>) -> Option<JsonSpoken<'_>> {
    s.map(|stats| JsonSpoken {
        stats,
        fillers_per_minute: stats.fillers_per_minute(),
    })
}

#[derive(Serialize)]
struct JsonQuestion<'a> {
    id: &'a str,
    domain: Domain,
    ask: Option<&'a str>,
    /// `null` for a question not reached.
    score: Option<f32>,
    /// "answered", "skipped" (before any answer; counts 0) or "not_reached" (not counted).
    status: &'static str,
    scored: bool,
    skipped: bool,
    hints: u32,
    points: Vec<JsonPoint<'a>>,
    probes: &'a [String],
    why_depth: usize,
    answers: &'a [String],
    feedback: &'a str,
    /// Every wrong claim made in the answers: those the score holds, then those corrected.
    misconceptions: Vec<&'a str>,
    /// The wrong claims a later answer corrected (also in `misconceptions`).
    corrected_misconceptions: &'a [String],
    /// Wrong claims found on weaker evidence: worth checking, not counted as wrong.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    doubts: &'a [String],
    scorer: Option<&'static str>,
    judge_note: Option<&'a str>,
    /// Seconds over the question's timed answers (`null` when none was timed).
    seconds: Option<f64>,
    /// Seconds each answer took, in order.
    answer_seconds: &'a [f64],
    /// The spoken answers together (`null` when none was spoken).
    spoken: Option<JsonSpoken<'a>>,
}

#[derive(Serialize)]
struct JsonPoint<'a> {
    id: &'a str,
    verdict: Verdict,
    evidence: &'a str,
    expect: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonStudy<'a> {
    question: &'a str,
    point: &'a str,
    verdict: Verdict,
    expect: &'a str,
    not_reached: bool,
}

#[derive(Serialize)]
struct JsonTurn<'a> {
    speaker: Speaker,
    text: &'a str,
    at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    question: Option<&'a str>,
}

/// Render the review as pretty-printed JSON.
pub fn render(review: &Review) -> String {
    let doc = JsonReview {
        id: &review.id,
        mode: review.mode,
        status: review.status,
        model: &review.model,
        started_at: review.started_at,
        ended_at: review.ended_at,
        end_reason: review.end_reason.as_deref(),
        duration_secs: review.duration.num_seconds(),
        overall: review.overall,
        by_domain: review
            .by_domain
            .iter()
            .map(|(d, s)| (d.as_str(), *s))
            .collect(),
        questions: review
            .questions
            .iter()
            .map(|q| JsonQuestion {
                id: &q.id,
                domain: q.domain,
                ask: q.ask.as_deref(),
                score: q.score,
                status: q.status.as_str(),
                scored: q.scored,
                skipped: q.skipped,
                hints: q.hints,
                points: q
                    .points
                    .iter()
                    .map(|p| JsonPoint {
                        id: &p.id,
                        verdict: p.verdict,
                        evidence: &p.evidence,
                        expect: p.expect.as_deref(),
                    })
                    .collect(),
                probes: &q.probes,
                why_depth: q.why_depth,
                answers: &q.answers,
                feedback: &q.feedback,
                misconceptions: q
                    .misconceptions
                    .iter()
                    .chain(&q.corrected)
                    .map(String::as_str)
                    .collect(),
                corrected_misconceptions: &q.corrected,
                doubts: &q.doubts,
                scorer: q.scorer.map(|s| s.as_str()),
                judge_note: q.judge_note.as_deref(),
                seconds: q.timing.total().map(|t| (t * 10.0).round() / 10.0),
                answer_seconds: &q.timing.answer_seconds,
                spoken: spoken(q.timing.spoken.as_ref()),
            })
            .collect(),
        study_next: review
            .study_next
            .iter()
            .map(|s| JsonStudy {
                question: &s.question,
                point: &s.point,
                verdict: s.verdict,
                expect: &s.expect,
                not_reached: s.not_reached,
            })
            .collect(),
        turns: review
            .turns
            .iter()
            .map(|t| JsonTurn {
                speaker: t.speaker,
                text: &t.text,
                at: t.at,
                question: t.question.as_deref(),
            })
            .collect(),
        usage: review.usage,
        warnings: &review.warnings,
        delivery: JsonDelivery {
            answers_timed: review.delivery.answers_timed,
            answer_seconds: review.delivery.answer_seconds,
            spoken_answers: review.delivery.spoken_answers,
            spoken: spoken(review.delivery.spoken.as_ref()),
        },
    };
    // Serialising these plain structs cannot fail; fall back to an empty object rather than panic.
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_string());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{bank, session};
    use serde_json::Value;

    #[test]
    fn json_has_the_contract_keys() {
        let v: Value = serde_json::from_str(&render(&Review::build(&session(), &bank()))).unwrap();
        for key in [
            "id",
            "mode",
            "status",
            "model",
            "started_at",
            "ended_at",
            "overall",
            "by_domain",
            "questions",
            "turns",
            "usage",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["status"], "finished");
        assert_eq!(v["mode"], "first-round");
        assert_eq!(v["by_domain"]["inference"], 6.5);
        let q = &v["questions"][0];
        assert_eq!(q["points"][2]["verdict"], "missed");
        assert_eq!(q["why_depth"], 1);
        assert_eq!(v["usage"]["max_prompt_tokens"], 400);
        assert_eq!(v["usage"]["cached_prompt_tokens"], 600);
        assert_eq!(v["turns"][0]["speaker"], "interviewer");
    }

    #[test]
    fn what_was_never_answered_has_no_score() {
        use crate::state::QuestionRecord;
        let mut s = session();
        let state = &mut s.checkpoint.as_mut().unwrap().state;
        state
            .questions
            .push(QuestionRecord::new("kv-cache", Domain::Inference));
        let v: Value = serde_json::from_str(&render(&Review::build(&s, &bank()))).unwrap();
        assert_eq!(v["questions"][2]["status"], "not_reached");
        assert_eq!(v["questions"][2]["score"], Value::Null);
        assert_eq!(v["questions"][1]["status"], "skipped");
        assert_eq!(v["questions"][1]["score"], 0.0, "a skip counts 0");
        assert_eq!(v["overall"], 3.3);

        // Ended at the first question: nothing answered, no overall.
        let state = &mut s.checkpoint.as_mut().unwrap().state;
        state.questions = vec![QuestionRecord::new("kv-cache", Domain::Inference)];
        let review = Review::build(&s, &bank());
        let v: Value = serde_json::from_str(&render(&review)).unwrap();
        assert_eq!(v["overall"], Value::Null);
        assert_eq!(v["questions"][0]["score"], Value::Null);
        assert_eq!(v["by_domain"], serde_json::json!({}));
        let text = crate::report::text::render(&review, false);
        assert!(
            text.contains("Overall    no score (nothing was answered)"),
            "{text}"
        );
    }

    #[test]
    fn a_corrected_wrong_claim_is_kept_and_marked() {
        use crate::scoring::Score;
        let mut s = session();
        let q = &mut s.checkpoint.as_mut().unwrap().state.questions[0];
        let first = q.exchanges[0]
            .score
            .clone()
            .expect("the first answer took the score");
        q.exchanges[0].score = Some(Score {
            misconceptions: vec!["The cache stores queries.".into()],
            doubts: vec![],
            score: 3.0,
            ..first
        });
        let review = Review::build(&s, &bank());
        let v: Value = serde_json::from_str(&render(&review)).unwrap();
        let kv = &v["questions"][0];
        assert_eq!(kv["score"], 6.5, "the corrected answer keeps its score");
        assert_eq!(
            kv["misconceptions"],
            serde_json::json!(["The cache stores queries."])
        );
        assert_eq!(
            kv["corrected_misconceptions"],
            serde_json::json!(["The cache stores queries."])
        );
        let text = crate::report::text::render(&review, false);
        assert!(
            text.contains("Corrected  The cache stores queries. (a wrong claim, put right"),
            "{text}"
        );
        let html = crate::report::html::render(&review);
        assert!(
            html.contains("Wrong claim, corrected in a later answer: The cache stores queries.")
        );
    }
}
