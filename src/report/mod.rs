//! The scored-transcript review of a session, rendered as text, Markdown, HTML or JSON.
//!
//! [`Review::build`] turns a [`LoadedSession`] and the [`Bank`] into a view model (questions in
//! asked order with answers, probes, per-point verdicts, reference answers and scores); one
//! module per format renders it. Stored text is untrusted: every renderer passes it through
//! [`sanitize`] (and HTML escapes it).

pub mod delivery;
pub mod html;
pub mod json;
pub mod markdown;
pub mod sanitize;
pub mod text;

use crate::agent::wrapup;
use crate::bank::{Bank, Domain, Mode};
use crate::scoring::{ScorerKind, Verdict};
use crate::session::{LoadedSession, SessionStatus, Speaker, Turn, UsageTotals};
use crate::state::{InterviewState, QuestionRecord, QuestionStatus};
use chrono::{DateTime, TimeDelta, Utc};

/// The formats a review renders to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Html,
    Json,
}

/// How many points "what to study next" lists at most.
pub const STUDY_ITEMS: usize = 3;

/// Everything a review shows, independent of the output format.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub id: String,
    pub mode: Mode,
    pub model: String,
    pub status: SessionStatus,
    pub started_at: DateTime<Utc>,
    /// When the end record was written (finished sessions).
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    /// From the start to the end, or to the last activity of an unfinished session.
    pub duration: TimeDelta,
    /// The mean of the counted questions; `None` when nothing was answered.
    pub overall: Option<f32>,
    /// Mean score per asked domain, in domain order.
    pub by_domain: Vec<(Domain, f32)>,
    /// Questions in the order they were asked.
    pub questions: Vec<QuestionReview>,
    /// The highest-weight missed or partial points, to study next.
    pub study_next: Vec<StudyItem>,
    pub turns: Vec<Turn>,
    pub usage: UsageTotals,
    /// Load warnings (e.g. a dropped incomplete last line).
    pub warnings: Vec<String>,
    /// Time answering and how the spoken answers went, over the session.
    pub delivery: delivery::SessionDelivery,
}

/// One asked question with everything said about it.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionReview {
    pub id: String,
    pub domain: Domain,
    /// The question as asked (from the bank, else the transcript).
    pub ask: Option<String>,
    /// What the question assesses (from the bank).
    pub assesses: Option<String>,
    /// The bank's reference answer.
    pub reference: Option<String>,
    /// The candidate's answers; the first answers the question, the rest the probes.
    pub answers: Vec<String>,
    pub probes: Vec<String>,
    /// Each probe with the answer it got.
    pub followups: Vec<(String, Option<String>)>,
    /// The reported score: 0 when skipped before any answer, `None` when not reached.
    pub score: Option<f32>,
    /// Answered, skipped before any answer, or not reached (left out of the averages).
    pub status: QuestionStatus,
    /// Whether any answer was scored.
    pub scored: bool,
    pub skipped: bool,
    pub hints: u32,
    pub why_depth: usize,
    /// Every rubric point with its final verdict, in rubric order.
    pub points: Vec<PointReview>,
    pub misconceptions: Vec<String>,
    /// Wrong claims of earlier answers that a later answer corrected (the score no longer holds
    /// them).
    pub corrected: Vec<String>,
    /// Wrong claims found on weaker evidence (one grader, or a wrong attribute without the
    /// claim's wording): worth checking, not counted as wrong.
    pub doubts: Vec<String>,
    pub feedback: String,
    /// Which grader produced the shown score.
    pub scorer: Option<ScorerKind>,
    /// Set when the judge failed, was overruled or disagreed.
    pub judge_note: Option<String>,
    /// Time per answer and, for spoken answers, how they were spoken.
    pub timing: delivery::Timing,
}

/// A rubric point's verdict in the final score.
#[derive(Debug, Clone, PartialEq)]
pub struct PointReview {
    pub id: String,
    pub verdict: Verdict,
    /// The words of the answer that earned the verdict (empty when missed).
    pub evidence: String,
    /// What the point expects (from the bank).
    pub expect: Option<String>,
    pub weight: Option<f32>,
}

/// A point worth studying: missed or partial, with what a good answer says.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyItem {
    pub question: String,
    pub point: String,
    pub verdict: Verdict,
    pub expect: String,
    /// From a question that was asked but never answered.
    pub not_reached: bool,
}

impl StudyItem {
    /// "missed", "partial" or "not reached".
    pub fn label(&self) -> &'static str {
        if self.not_reached {
            "not reached"
        } else {
            self.verdict.as_str()
        }
    }
}

impl QuestionReview {
    /// The score as a number (0 when there is none).
    pub fn value(&self) -> f32 {
        self.score.unwrap_or(0.0)
    }

    /// "7.5/10", "7.5/10 (probe skipped)", "skipped (0.0/10)", "not reached" or "not scored":
    /// the same label in every format.
    pub fn score_label(&self) -> String {
        match self.status {
            QuestionStatus::Skipped => "skipped (0.0/10)".to_string(),
            QuestionStatus::NotReached => "not reached".to_string(),
            QuestionStatus::Answered if !self.scored => "not scored".to_string(),
            QuestionStatus::Answered if self.skipped => {
                format!("{}/10 (probe skipped)", fmt_score(self.value()))
            }
            QuestionStatus::Answered => format!("{}/10", fmt_score(self.value())),
        }
    }
}

impl Review {
    /// Build the review of a session; questions missing from the bank are shown without
    /// reference material.
    pub fn build(session: &LoadedSession, bank: &Bank) -> Review {
        let state = session.state();
        let questions: Vec<QuestionReview> = state
            .map(|s| {
                s.questions
                    .iter()
                    .map(|q| question_review(q, bank, &session.turns))
                    .collect()
            })
            .unwrap_or_default();
        let study_next = state
            .map(|s| {
                wrapup::study_gaps(s, bank, STUDY_ITEMS)
                    .into_iter()
                    .map(|g| StudyItem {
                        question: g.question,
                        point: g.point,
                        verdict: g.verdict,
                        expect: g.expect,
                        not_reached: g.not_reached,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Review {
            id: session.id().to_string(),
            mode: session.header.mode,
            model: session.header.model.clone(),
            status: session.status(),
            started_at: session.header.started_at,
            ended_at: session.end.as_ref().map(|e| e.at),
            end_reason: session
                .end
                .as_ref()
                .map(|e| e.reason.clone())
                .or_else(|| state.and_then(|s| s.ended.clone())),
            duration: (session.last_activity() - session.header.started_at).max(TimeDelta::zero()),
            overall: state.and_then(InterviewState::overall),
            by_domain: state.map(|s| s.by_domain()).unwrap_or_default(),
            questions,
            study_next,
            turns: session.turns.clone(),
            usage: session.usage(),
            warnings: session.warnings.clone(),
            delivery: delivery::SessionDelivery::default(),
        }
        .with_delivery()
    }

    fn with_delivery(mut self) -> Review {
        self.delivery = delivery::session_delivery(self.questions.iter().map(|q| &q.timing));
        self
    }

    /// Render in one of the formats; `color` only affects the text format.
    pub fn render(&self, format: Format, color: bool) -> String {
        match format {
            Format::Text => text::render(self, color),
            Format::Markdown => markdown::render(self),
            Format::Html => html::render(self),
            Format::Json => json::render(self),
        }
    }
}

fn question_review(q: &QuestionRecord, bank: &Bank, turns: &[Turn]) -> QuestionReview {
    let bq = bank.get(&q.id);
    let score = q.score();
    let mut points: Vec<PointReview> = vec![];
    if let Some(bq) = bq {
        for p in &bq.points {
            let given = score.and_then(|s| s.points.iter().find(|v| v.id == p.id));
            points.push(PointReview {
                id: p.id.clone(),
                verdict: given.map_or(Verdict::Missed, |v| v.verdict),
                evidence: given.map(|v| v.evidence.clone()).unwrap_or_default(),
                expect: Some(p.expect.clone()),
                weight: Some(p.weight),
            });
        }
    }
    if let Some(s) = score {
        for v in &s.points {
            if points.iter().any(|p| p.id == v.id) {
                continue;
            }
            points.push(PointReview {
                id: v.id.clone(),
                verdict: v.verdict,
                evidence: v.evidence.clone(),
                expect: None,
                weight: None,
            });
        }
    }
    let asked_in_transcript = || {
        turns
            .iter()
            .find(|t| {
                t.speaker == Speaker::Interviewer && t.question.as_deref() == Some(q.id.as_str())
            })
            .map(|t| t.text.clone())
    };
    QuestionReview {
        id: q.id.clone(),
        domain: q.domain,
        ask: bq.map(|b| b.ask.clone()).or_else(asked_in_transcript),
        assesses: bq.map(|b| b.assesses.clone()),
        reference: bq.map(|b| b.reference.clone()),
        answers: q.answers().map(String::from).collect(),
        probes: q.probes().map(String::from).collect(),
        followups: q
            .probe_answers()
            .map(|(p, a)| (p.to_string(), a.map(String::from)))
            .collect(),
        score: q.reported(),
        status: q.status(),
        scored: score.is_some(),
        skipped: q.skipped(),
        hints: q.hints(),
        why_depth: q.why_depth(),
        points,
        misconceptions: score.map(|s| s.misconceptions.clone()).unwrap_or_default(),
        corrected: q.corrected_misconceptions(),
        doubts: score.map(|s| s.doubts.clone()).unwrap_or_default(),
        feedback: score.map(|s| s.feedback.clone()).unwrap_or_default(),
        scorer: score.map(|s| s.scorer),
        judge_note: judge_note(q),
        timing: delivery::question_timing(q, turns),
    }
}

/// A note when the judge's score was not used, or when the judge and the rubric scorer differ by
/// more than [`SHOW_BOTH_ABOVE`](crate::scoring::reconcile::SHOW_BOTH_ABOVE): it names the shown
/// score and gives the other one.
fn judge_note(q: &QuestionRecord) -> Option<String> {
    let judge = q.judge.as_ref()?;
    let used_rubric = judge.used == ScorerKind::Rubric;
    if !used_rubric && !judge.disagree() {
        return None;
    }
    let shown = q.score().map_or(judge.used, |s| s.scorer);
    let mut note = if shown == ScorerKind::Combined {
        let said =
            |s: Option<&crate::scoring::Score>| s.map_or("no score".into(), |s| fmt_score(s.score));
        format!(
            "Shown: the rubric scorer and the LLM judge combined (judge weight {:.1}); the rubric scorer gave {}, the LLM judge {}",
            judge.judge_weight.unwrap_or(0.0),
            said(judge.rubric.as_ref()),
            said(judge.score.as_ref()),
        )
    } else if shown == ScorerKind::Llm {
        match &judge.rubric {
            Some(r) => format!(
                "Shown: the LLM judge's score; the rubric scorer gave {}",
                fmt_score(r.score)
            ),
            None => "Shown: the LLM judge's score".to_string(),
        }
    } else {
        let judge_said = match &judge.score {
            Some(s) => format!("the LLM judge gave {}", fmt_score(s.score)),
            None => "the LLM judge gave no score".to_string(),
        };
        format!("Shown: the rubric scorer's score; {judge_said}")
    };
    if used_rubric && let Some(why) = judge.note.as_deref().filter(|n| !n.trim().is_empty()) {
        note.push_str(" (");
        note.push_str(why.trim());
        note.push(')');
    }
    note.push('.');
    Some(note)
}

/// The usage line shared by every format: calls, prompt tokens (and the share the server served
/// from its prompt cache, when it says), completion tokens and the largest prompt.
pub fn usage_line(u: &UsageTotals) -> String {
    let cached = if u.cached_prompt_tokens > 0 && u.prompt_tokens > 0 {
        format!(
            " ({} cached, {:.0}%)",
            u.cached_prompt_tokens,
            100.0 * u.cached_prompt_tokens as f64 / u.prompt_tokens as f64
        )
    } else {
        String::new()
    };
    format!(
        "{} model calls, {} prompt{cached} + {} completion tokens (largest prompt {})",
        u.llm_calls, u.prompt_tokens, u.completion_tokens, u.max_prompt_tokens
    )
}

/// A score with one decimal.
pub fn fmt_score(score: f32) -> String {
    format!("{score:.1}")
}

/// The overall line of every format: "6.5 / 10", or why there is no score.
pub fn overall_label(overall: Option<f32>) -> String {
    match overall {
        Some(v) => format!("{} / 10", fmt_score(v)),
        None => "no score (nothing was answered)".to_string(),
    }
}

/// A duration like `1h 02m`, `23m 10s` or `45s`.
pub fn fmt_duration(d: TimeDelta) -> String {
    let secs = d.num_seconds().max(0);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

/// A UTC timestamp for humans.
pub fn fmt_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The label of a speaker.
pub fn speaker_label(s: Speaker) -> &'static str {
    match s {
        Speaker::Interviewer => "Interviewer",
        Speaker::Candidate => "Candidate",
        Speaker::System => "Note",
    }
}

/// A verdict's one-character mark.
pub fn verdict_mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Covered => "✓",
        Verdict::Partial => "~",
        Verdict::Missed => "✗",
    }
}

/// The status line of a review header.
pub fn status_line(review: &Review) -> String {
    match (&review.status, review.end_reason.as_deref()) {
        (SessionStatus::Finished, Some(reason)) if !reason.trim().is_empty() => {
            format!("finished ({})", sanitize::one_line(reason))
        }
        (status, _) => status.as_str().to_string(),
    }
}

/// Pairs of (probe, its answer), in order.
pub fn probe_pairs(q: &QuestionReview) -> Vec<(&str, Option<&str>)> {
    q.followups
        .iter()
        .map(|(p, a)| (p.as_str(), a.as_deref()))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::bank::{Difficulty, Question, RubricPoint};
    use crate::scoring::{PointVerdict, Score};
    use crate::session::{Checkpoint, End, FORMAT_VERSION, Header};
    use crate::state::{InterviewState, JudgeRecord};

    fn point(id: &str, weight: f32) -> RubricPoint {
        RubricPoint {
            id: id.into(),
            weight,
            expect: format!("Expect {id}."),
            keywords: vec![],
            cues: vec!["cue".into()],
            misconceptions: vec![],
            probes: vec!["Why?".into()],
            derivations: vec![],
            hint: None,
        }
    }

    pub(crate) fn bank() -> Bank {
        Bank {
            questions: vec![Question {
                id: "kv-cache".into(),
                domain: Domain::Inference,
                difficulty: Difficulty::Core,
                modes: vec![Mode::FirstRound],
                ask: "What does a KV cache store?".into(),
                assesses: "Decoding mechanics.".into(),
                reference: "Keys & values of past tokens <so they are not recomputed>.".into(),
                points: vec![
                    point("stores-kv", 3.0),
                    point("saves-compute", 2.0),
                    point("memory-cost", 1.0),
                ],
            }],
        }
    }

    /// A finished session: kv-cache (in the bank) and an unknown question, with hostile text.
    pub(crate) fn session() -> LoadedSession {
        let t0: DateTime<Utc> = "2026-01-02T10:00:00Z".parse().unwrap();
        let mut state = InterviewState::new(
            Mode::FirstRound,
            3,
            vec!["kv-cache".into(), "mystery".into()],
            2,
        );
        let mut q = QuestionRecord::new("kv-cache", Domain::Inference);
        q.add_answer("It stores \x1b[31mkeys and values\x1b[0m <script>alert(1)</script>");
        q.add_probe("Why cache them?", None);
        q.add_answer("Because recomputing is slow");
        q.set_score(Score {
            question: "kv-cache".into(),
            score: 6.5,
            points: vec![
                PointVerdict {
                    id: "stores-kv".into(),
                    verdict: Verdict::Covered,
                    evidence: "keys and values".into(),
                },
                PointVerdict {
                    id: "saves-compute".into(),
                    verdict: Verdict::Partial,
                    evidence: "recomputing".into(),
                },
                PointVerdict {
                    id: "memory-cost".into(),
                    verdict: Verdict::Missed,
                    evidence: String::new(),
                },
            ],
            misconceptions: vec![],
            doubts: vec![],
            feedback: "Say what it costs in memory.".into(),
            scorer: ScorerKind::Rubric,
        });
        q.judge = Some(JudgeRecord {
            score: None,
            rubric: None,
            used: ScorerKind::Rubric,
            judge_weight: None,
            note: Some("judge timed out".into()),
        });
        state.questions.push(q);
        let mut unknown = QuestionRecord::new("mystery", Domain::Transformer);
        unknown.skip();
        state.questions.push(unknown);
        state.ended = Some("plan complete".into());
        LoadedSession {
            path: "s.jsonl".into(),
            header: Header {
                format: FORMAT_VERSION,
                id: "20260102-100000-abcd".into(),
                mode: Mode::FirstRound,
                model: "offline".into(),
                seed: 3,
                started_at: t0,
                options: Default::default(),
            },
            turns: vec![
                Turn {
                    speaker: Speaker::Interviewer,
                    text: "What does a KV cache store?".into(),
                    at: t0,
                    question: Some("kv-cache".into()),
                    delivery: None,
                },
                Turn {
                    speaker: Speaker::Interviewer,
                    text: "Tell me about the mystery.".into(),
                    at: t0,
                    question: Some("mystery".into()),
                    delivery: None,
                },
            ],
            checkpoint: Some(Checkpoint {
                at: t0 + TimeDelta::seconds(90),
                state,
                memory: Default::default(),
                usage: UsageTotals {
                    llm_calls: 4,
                    prompt_tokens: 1000,
                    completion_tokens: 200,
                    max_prompt_tokens: 400,
                    cached_prompt_tokens: 600,
                },
            }),
            end: Some(End {
                at: t0 + TimeDelta::seconds(125),
                reason: "plan complete".into(),
            }),
            warnings: vec![],
        }
    }

    #[test]
    fn build_orders_points_by_rubric_and_fills_missing_from_the_bank() {
        let r = Review::build(&session(), &bank());
        assert_eq!(r.questions.len(), 2);
        let kv = &r.questions[0];
        assert_eq!(
            kv.points.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            ["stores-kv", "saves-compute", "memory-cost"]
        );
        assert_eq!(kv.why_depth, 1);
        assert_eq!(kv.score, Some(6.5));
        let mystery = &r.questions[1];
        assert_eq!(mystery.ask.as_deref(), Some("Tell me about the mystery."));
        assert!(mystery.reference.is_none() && mystery.skipped && !mystery.scored);
        assert_eq!(r.duration, TimeDelta::seconds(125));
        assert_eq!(r.status, SessionStatus::Finished);
        assert_eq!(r.overall, Some(3.3));
    }

    #[test]
    fn study_next_takes_heaviest_missed_or_partial_points() {
        let r = Review::build(&session(), &bank());
        let ids: Vec<&str> = r.study_next.iter().map(|s| s.point.as_str()).collect();
        assert_eq!(ids, ["saves-compute", "memory-cost"]);
    }

    #[test]
    fn judge_note_names_the_shown_score() {
        let r = Review::build(&session(), &bank());
        let note = r.questions[0].judge_note.as_deref().unwrap();
        assert!(
            note.contains("rubric scorer's score") && note.contains("judge timed out"),
            "{note}"
        );
        assert!(r.questions[1].judge_note.is_none());
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(fmt_duration(TimeDelta::seconds(45)), "45s");
        assert_eq!(fmt_duration(TimeDelta::seconds(125)), "2m 05s");
        assert_eq!(fmt_duration(TimeDelta::seconds(3720)), "1h 02m");
    }
}
