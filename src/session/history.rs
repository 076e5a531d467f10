//! What past sessions say together: score trends per domain and the rubric points missed most.
//!
//! [`weak_points`] feeds the planner (`start --focus weak`); both feed `interviewer history`.

use super::store::LoadedSession;
use crate::bank::Domain;
use crate::scoring::{Verdict, round_score};
use crate::session::{Delivery, Speaker};
use crate::spoken::SpokenStats;
use crate::state::InterviewState;
use serde::Serialize;
use std::collections::HashMap;

/// A rubric point the candidate missed or only partly made in past sessions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeakPoint {
    /// The question id.
    pub question: String,
    /// The rubric point id.
    pub point: String,
    /// In how many answered questions (over all sessions) the point was missed.
    pub misses: u32,
    /// ... and in how many it was only partly made.
    pub partials: u32,
    /// How weak it is: a miss counts 1, a partial half.
    pub weight: f32,
}

/// Rubric points missed or partly made in the final score of answered questions, weakest first
/// (a partial counts half a miss; ties by question id, then point id).
pub fn weak_points(sessions: &[LoadedSession]) -> Vec<WeakPoint> {
    let mut counts: HashMap<(&str, &str), (u32, u32)> = HashMap::new();
    for state in sessions.iter().filter_map(LoadedSession::state) {
        for q in state.counted() {
            let Some(score) = q.score() else { continue };
            for p in &score.points {
                let entry = counts.entry((q.id.as_str(), p.id.as_str())).or_default();
                match p.verdict {
                    Verdict::Missed => entry.0 += 1,
                    Verdict::Partial => entry.1 += 1,
                    Verdict::Covered => {}
                }
            }
        }
    }
    let mut out: Vec<WeakPoint> = counts
        .into_iter()
        .filter(|(_, (m, p))| m + p > 0)
        .map(|((question, point), (misses, partials))| WeakPoint {
            question: question.to_string(),
            point: point.to_string(),
            misses,
            partials,
            weight: misses as f32 + 0.5 * partials as f32,
        })
        .collect();
    out.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| a.question.cmp(&b.question))
            .then_with(|| a.point.cmp(&b.point))
    });
    out
}

/// One session's mean score in a domain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    pub session: String,
    pub score: f32,
}

/// A domain's scores over recent sessions, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainTrend {
    pub domain: Domain,
    /// The domain's mean score in each recent session that asked about it, oldest first.
    pub points: Vec<TrendPoint>,
    /// The mean over those sessions.
    pub mean: f32,
}

/// Per-domain score trends over the last `last` sessions that have a score (something was
/// answered; the input is oldest first, as [`super::SessionStore::load_all`] returns it). Domains
/// never asked are left out.
pub fn domain_trends(sessions: &[LoadedSession], last: usize) -> Vec<DomainTrend> {
    let asked: Vec<&LoadedSession> = sessions
        .iter()
        .filter(|s| s.state().is_some_and(InterviewState::answered_any))
        .collect();
    let recent = &asked[asked.len().saturating_sub(last)..];
    Domain::ALL
        .into_iter()
        .filter_map(|domain| {
            let points: Vec<TrendPoint> = recent
                .iter()
                .filter_map(|s| {
                    let state = s.state()?;
                    let (_, score) = state.by_domain().into_iter().find(|(d, _)| *d == domain)?;
                    Some(TrendPoint {
                        session: s.id().to_string(),
                        score,
                    })
                })
                .collect();
            if points.is_empty() {
                return None;
            }
            let mean =
                round_score(points.iter().map(|p| p.score).sum::<f32>() / points.len() as f32);
            Some(DomainTrend {
                domain,
                points,
                mean,
            })
        })
        .collect()
}

/// How one session's answers were given: time per answer and, when some were spoken, pace,
/// fillers and the longest pause.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryPoint {
    pub session: String,
    pub answers_timed: usize,
    pub mean_answer_s: f64,
    pub spoken_answers: usize,
    /// Over the spoken answers (`None` when none was spoken).
    pub words_per_minute: Option<f64>,
    pub fillers_per_minute: Option<f64>,
    pub longest_pause_s: Option<f64>,
}

/// Delivery over the last `last` sessions that timed any answer, oldest first (sessions from
/// before answers were timed are left out).
pub fn delivery_trend(sessions: &[LoadedSession], last: usize) -> Vec<DeliveryPoint> {
    let points: Vec<DeliveryPoint> = sessions
        .iter()
        .filter_map(|s| {
            let given: Vec<&Delivery> = s
                .turns
                .iter()
                .filter(|t| t.speaker == Speaker::Candidate)
                .filter_map(|t| t.delivery.as_ref())
                .collect();
            if given.is_empty() {
                return None;
            }
            let total: f64 = given.iter().map(|d| d.seconds).sum();
            let spoken: Vec<&SpokenStats> =
                given.iter().filter_map(|d| d.spoken.as_ref()).collect();
            let spoken_answers = spoken.len();
            let together = SpokenStats::combine(spoken);
            Some(DeliveryPoint {
                session: s.id().to_string(),
                answers_timed: given.len(),
                mean_answer_s: (total / given.len() as f64 * 10.0).round() / 10.0,
                spoken_answers,
                words_per_minute: together.as_ref().map(|t| t.words_per_minute),
                fillers_per_minute: together.as_ref().map(SpokenStats::fillers_per_minute),
                longest_pause_s: together.as_ref().map(|t| t.longest_pause_s),
            })
        })
        .collect();
    points[points.len().saturating_sub(last)..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::Mode;
    use crate::scoring::{PointVerdict, Score, ScorerKind};
    use crate::session::{Checkpoint, FORMAT_VERSION, Header};
    use crate::state::{InterviewState, QuestionRecord};
    use chrono::Utc;

    fn score(q: &str, value: f32, verdicts: &[(&str, Verdict)]) -> Score {
        Score {
            question: q.into(),
            score: value,
            points: verdicts
                .iter()
                .map(|(id, v)| PointVerdict {
                    id: id.to_string(),
                    verdict: *v,
                    evidence: String::new(),
                })
                .collect(),
            misconceptions: vec![],
            doubts: vec![],
            feedback: String::new(),
            scorer: ScorerKind::Rubric,
        }
    }

    fn session(id: &str, questions: Vec<QuestionRecord>) -> LoadedSession {
        let mut state = InterviewState::new(Mode::FirstRound, 1, vec![], 2);
        state.questions = questions;
        LoadedSession {
            path: format!("{id}.jsonl").into(),
            header: Header {
                format: FORMAT_VERSION,
                id: id.into(),
                mode: Mode::FirstRound,
                model: "offline".into(),
                seed: 1,
                started_at: Utc::now(),
                options: Default::default(),
            },
            turns: vec![],
            checkpoint: Some(Checkpoint {
                at: Utc::now(),
                state,
                memory: Default::default(),
                usage: Default::default(),
            }),
            end: None,
            warnings: vec![],
        }
    }

    fn record(id: &str, domain: Domain, s: Score) -> QuestionRecord {
        let mut q = QuestionRecord::new(id, domain);
        q.add_answer("answer");
        q.set_score(s);
        q
    }

    #[test]
    fn weak_points_count_final_misses_across_sessions() {
        use Verdict::*;
        let a = session(
            "a",
            vec![record(
                "rope",
                Domain::Transformer,
                score("rope", 3.0, &[("rotate", Missed), ("relative", Partial)]),
            )],
        );
        let mut early = record(
            "kv",
            Domain::Inference,
            score("kv", 0.0, &[("cache", Missed)]),
        );
        early.add_answer("a better answer");
        early.set_score(score("kv", 10.0, &[("cache", Covered)]));
        let b = session(
            "b",
            vec![
                record(
                    "rope",
                    Domain::Transformer,
                    score("rope", 5.0, &[("rotate", Missed), ("relative", Missed)]),
                ),
                early,
            ],
        );
        let weak = weak_points(&[a, b]);
        let got: Vec<(&str, u32, u32, f32)> = weak
            .iter()
            .map(|w| (w.point.as_str(), w.misses, w.partials, w.weight))
            .collect();
        assert_eq!(
            got,
            vec![("rotate", 2, 0, 2.0), ("relative", 1, 1, 1.5)],
            "a partial counts half a miss; a point made in the final score is not weak"
        );
    }

    #[test]
    fn partial_points_rank_by_half_weight_and_unreached_questions_are_left_out() {
        use Verdict::*;
        let partly = session(
            "a",
            vec![record(
                "rope",
                Domain::Transformer,
                score("rope", 5.0, &[("rotate", Partial), ("relative", Partial)]),
            )],
        );
        let mut unreached = record(
            "dpo",
            Domain::Finetuning,
            score("dpo", 0.0, &[("loss", Missed)]),
        );
        for e in &mut unreached.exchanges {
            e.answer = None;
        }
        let missed_once = session(
            "b",
            vec![
                record(
                    "kv",
                    Domain::Inference,
                    score("kv", 5.0, &[("cache", Missed), ("gqa", Partial)]),
                ),
                unreached,
            ],
        );
        let partly_again = session(
            "c",
            vec![record(
                "rope",
                Domain::Transformer,
                score("rope", 5.0, &[("rotate", Partial)]),
            )],
        );
        let weak = weak_points(&[partly, missed_once, partly_again]);
        let order: Vec<(&str, f32)> = weak.iter().map(|w| (w.point.as_str(), w.weight)).collect();
        assert_eq!(
            order,
            vec![
                ("cache", 1.0),
                ("rotate", 1.0),
                ("gqa", 0.5),
                ("relative", 0.5)
            ]
        );
        assert!(
            weak.iter().all(|w| w.question != "dpo"),
            "not reached: not weak"
        );
    }

    #[test]
    fn trends_are_oldest_first_per_domain_over_the_last_sessions() {
        let s = |id: &str, v: f32| {
            session(
                id,
                vec![record("rope", Domain::Transformer, score("rope", v, &[]))],
            )
        };
        let only_inf = session(
            "d",
            vec![record("kv", Domain::Inference, score("kv", 8.0, &[]))],
        );
        let sessions = vec![s("a", 2.0), s("b", 4.0), s("c", 6.0), only_inf];
        let trends = domain_trends(&sessions, 3);
        assert_eq!(trends.len(), 2);
        assert_eq!(trends[0].domain, Domain::Transformer);
        let ids: Vec<&str> = trends[0]
            .points
            .iter()
            .map(|p| p.session.as_str())
            .collect();
        assert_eq!(ids, ["b", "c"]);
        assert_eq!(trends[0].mean, 5.0);
        assert_eq!(trends[1].domain, Domain::Inference);
        assert_eq!(trends[1].mean, 8.0);
    }
}
