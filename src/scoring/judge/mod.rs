//! The LLM judge: a model asked one thing at a time about an answer, whose every verdict is checked
//! against the answer before it counts.
//!
//! For each rubric point: does the answer state it, and in which sentence? For each wrong claim the
//! rubric lists that the answer could be making: does it make it, and where? Then: is any sentence
//! technically wrong? A sentence flagged as wrong gets a second, separate check of its own. Every
//! request about one answer shares its prefix (instructions, question, numbered answer), so servers
//! serve it from their prompt cache, and the requests run concurrently within a bound.
//!
//! Nothing counts until it is verified: a point needs a sentence of the answer that shares the
//! point's terms ([`evidence::Terms`]), a wrong claim a sentence the candidate said that shares the
//! claim's terms. Text addressed to the grader never reaches the model; the candidate's words travel
//! between per-answer random markers and are declared data; sentence numbers are resolved to the
//! candidate's own words, so no marker is ever shown.

pub mod ask;
pub mod evidence;

use super::{PointVerdict, Score, ScorerKind, Verdict, feedback_line, round_score, rubric};
use crate::bank::Question;
use crate::model::{ChatModel, ModelError};
use crate::prompts::judge::{Check, headings};
use ask::{Asker, Reply};
use evidence::{Numbered, Terms};
use rand::RngExt;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

pub use evidence::without_grader_text;

/// A YES at or above this probability is a YES.
pub const YES: f32 = 0.5;
/// Listed wrong claims checked per answer: those whose words the answer comes closest to.
pub const MAX_CLAIM_CHECKS: usize = 2;
/// Checks of one answer in flight at once (after the first, which warms the server's cache) on a
/// hosted server. A server on this machine is bound by its CPU or GPU: one at a time is faster
/// there (measured on llama.cpp, 2 cores: two at once took 1.7 s, one after the other 1.3 s).
pub const REMOTE_CONCURRENCY: usize = 4;

/// How many checks to have in flight at once against the server at `base_url`.
pub fn concurrency_for(base_url: &str) -> usize {
    let host = base_url
        .split("://")
        .nth(1)
        .unwrap_or(base_url)
        .split(['/', '?'])
        .next()
        .unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let local = matches!(host, "localhost" | "[::1]" | "0.0.0.0") || host.starts_with("127.");
    if local { 1 } else { REMOTE_CONCURRENCY }
}

/// A grader that checks an answer against the rubric with a model.
#[async_trait::async_trait]
pub trait Judge: Send + Sync {
    /// Judge `answer` (with `earlier` answers to the same question as further evidence for points).
    /// An error says why no verdict could be had; the caller falls back to the rubric scorer.
    async fn judge(
        &self,
        question: &Question,
        answer: &str,
        earlier: &[&str],
    ) -> Result<Judgement, JudgeError>;
}

/// Why a judge gave no verdict.
#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    /// The model call failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The model answered, but not with usable verdicts.
    #[error("{0}")]
    Reply(String),
    /// Nothing to grade once text addressed to the grader is removed.
    #[error("the answer is empty")]
    EmptyAnswer,
}

impl JudgeError {
    /// No later call can succeed either (bad key, no quota, unknown model, nothing at the URL):
    /// grading many answers should stop rather than fail each one.
    pub fn is_fatal(&self) -> bool {
        match self {
            JudgeError::Model(e) => e.is_fatal() || matches!(e, ModelError::Unreachable { .. }),
            _ => false,
        }
    }
}

/// The judge on one rubric point.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JudgedPoint {
    pub id: String,
    /// The model's probability that the point is made (0 when it was not asked: no sentence of the
    /// answer shares the point's terms).
    pub yes: f32,
    /// The sentence that makes it, verified to relate to the point; empty when none does.
    pub evidence: String,
}

impl JudgedPoint {
    /// The credit the judge gives: its probability, when the evidence holds.
    pub fn credit(&self) -> f32 {
        if self.evidence.is_empty() {
            0.0
        } else {
            self.yes
        }
    }
}

/// A wrong claim the judge found in the answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JudgedClaim {
    /// The rubric's wording of a listed claim; `None` for an error the rubric does not list.
    pub listed: Option<String>,
    /// The candidate's sentence that makes it.
    pub sentence: String,
    /// A second check of the sentence alone found it technically wrong.
    pub confirmed: bool,
}

impl JudgedClaim {
    /// How the claim is named to the candidate: the rubric's words, or their own sentence.
    pub fn text(&self) -> &str {
        self.listed.as_deref().unwrap_or(&self.sentence)
    }
}

/// What the judge found, verified against the answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Judgement {
    pub question: String,
    /// One per rubric point, in rubric order.
    pub points: Vec<JudgedPoint>,
    pub claims: Vec<JudgedClaim>,
    /// Points the model called made (P(YES) ≥ [`YES`]).
    pub said_yes: usize,
    /// Of those, the points whose sentence holds up.
    pub grounded: usize,
    /// Requests sent.
    pub requests: usize,
}

impl Judgement {
    /// Most of the points the model called made have no sentence that relates to them.
    pub fn ungrounded(&self) -> bool {
        self.said_yes > 0 && self.grounded * 2 < self.said_yes
    }

    /// The claims two signals agree on: the judge and its confirm step.
    pub fn confirmed(&self) -> impl Iterator<Item = &JudgedClaim> {
        self.claims.iter().filter(|c| c.confirmed)
    }

    /// The judge's own score: the weighted credit of its verified points, capped when a wrong
    /// claim is confirmed.
    pub fn score(&self, q: &Question) -> Score {
        let points: Vec<PointVerdict> = self
            .points
            .iter()
            .map(|p| PointVerdict {
                id: p.id.clone(),
                verdict: Verdict::of_credit(p.credit()),
                evidence: p.evidence.clone(),
            })
            .collect();
        let earned: f32 = q
            .points
            .iter()
            .zip(&self.points)
            .map(|(rp, jp)| rp.weight * jp.credit())
            .sum();
        let mut value = 10.0 * earned / q.total_weight().max(f32::EPSILON);
        let misconceptions: Vec<String> = self.confirmed().map(|c| c.text().to_string()).collect();
        if !misconceptions.is_empty() {
            value = value.min(rubric::MISCONCEPTION_CAP);
        }
        Score {
            question: q.id.clone(),
            score: round_score(value),
            feedback: feedback_line(q, &points, &misconceptions),
            points,
            misconceptions,
            doubts: vec![],
            scorer: ScorerKind::Llm,
        }
    }
}

/// The judge, over any chat model.
pub struct LlmJudge {
    model: Arc<dyn ChatModel>,
    /// Cleared once the server rejected `logprobs`.
    logprobs: AtomicBool,
    concurrency: usize,
    /// Ask for errors the rubric does not list (and confirm them).
    unlisted_errors: bool,
}

impl LlmJudge {
    pub fn new(model: Arc<dyn ChatModel>) -> Self {
        Self {
            model,
            logprobs: AtomicBool::new(true),
            concurrency: 1,
            unlisted_errors: true,
        }
    }

    /// Whether to look for errors the rubric does not list: not worth two requests per answer
    /// when the weights do not count them.
    pub fn with_unlisted_errors(mut self, ask: bool) -> Self {
        self.unlisted_errors = ask;
        self
    }

    /// At most `n` checks of one answer in flight at once.
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Ask `checks`, the first alone (it fills the server's prompt cache), the rest concurrently.
    async fn ask_all<'c>(
        &self,
        asker: &Asker<'_>,
        checks: Vec<Check<'c>>,
    ) -> Result<Vec<Reply>, ModelError> {
        let mut replies = Vec::with_capacity(checks.len());
        let Some((first, rest)) = checks.split_first() else {
            return Ok(replies);
        };
        replies.push(asker.ask(*first).await?);
        for chunk in rest.chunks(self.concurrency) {
            let asked: Vec<_> = chunk.iter().map(|c| asker.ask(*c)).collect();
            for r in futures::future::join_all(asked).await {
                replies.push(r?);
            }
        }
        Ok(replies)
    }
}

/// Where the evidence for a YES is: the cited sentence when it relates; when the model cited
/// nothing usable, the sentence that relates most; an unrelated citation counts for nothing.
fn evidence_for(
    terms: &Terms,
    numbered: &Numbered,
    reply: &Reply,
    allowed: impl Fn(usize) -> bool,
) -> Option<usize> {
    match reply
        .sentence
        .filter(|&n| allowed(n) && numbered.get(n).is_some())
    {
        Some(n) => numbered
            .get(n)
            .is_some_and(|s| terms.relates(s))
            .then_some(n),
        None => terms.best(numbered, allowed),
    }
}

#[async_trait::async_trait]
impl Judge for LlmJudge {
    async fn judge(
        &self,
        q: &Question,
        answer: &str,
        earlier: &[&str],
    ) -> Result<Judgement, JudgeError> {
        let numbered = Numbered::new(answer, earlier);
        if numbered.is_empty() {
            return Err(JudgeError::EmptyAnswer);
        }
        let (earlier_heading, answer_heading) = headings();
        let shown = numbered.render(earlier_heading, answer_heading);
        let tag = format!("{:016x}", rand::rng().random::<u64>());
        let asker = Asker {
            model: self.model.as_ref(),
            question: &q.ask,
            answer: &shown,
            tag: &tag,
            logprobs: &self.logprobs,
        };
        let current = |n: usize| numbered.is_current(n);
        let anywhere = |_: usize| true;

        // Points some sentence relates to, the listed claims some sentence of this answer relates
        // to, and the open question for errors: nothing else can be verified, so nothing else is asked.
        let point_terms: Vec<Terms> = q.points.iter().map(Terms::of_point).collect();
        let asked_points: Vec<usize> = (0..q.points.len())
            .filter(|&i| point_terms[i].best(&numbered, anywhere).is_some())
            .collect();
        let mut claims: Vec<(usize, &str, Terms)> = q
            .points
            .iter()
            .flat_map(|p| &p.misconceptions)
            .filter_map(|m| {
                let t = Terms::of_claim(m);
                let n = t.best(&numbered, current)?;
                Some((t.relation(numbered.get(n)?), m.claim.as_str(), t))
            })
            .collect();
        // The claims the answer's words come closest to, strongest first.
        claims.sort_by_key(|c| std::cmp::Reverse(c.0));
        claims.truncate(MAX_CLAIM_CHECKS);
        let claims: Vec<(&str, Terms)> = claims.into_iter().map(|(_, c, t)| (c, t)).collect();
        let question_terms = Terms::of_question(q);
        let ask_error = self.unlisted_errors && question_terms.best(&numbered, current).is_some();
        let mut checks: Vec<Check<'_>> = asked_points
            .iter()
            .map(|&i| Check::Point(&q.points[i].expect))
            .collect();
        checks.extend(claims.iter().map(|(claim, _)| Check::Claim(claim)));
        if ask_error {
            checks.push(Check::AnyError);
        }
        let mut requests = checks.len();
        let replies = self.ask_all(&asker, checks).await?;
        // No check asked (no sentence relates to anything) is a verdict: nothing was made.
        if !replies.is_empty() && replies.iter().all(|r| r.yes.is_none()) {
            return Err(JudgeError::Reply(
                "the model answered none of the checks with YES, NO or a number".into(),
            ));
        }
        let (point_replies, rest) = replies.split_at(asked_points.len());
        let (claim_replies, error_reply) = rest.split_at(claims.len());

        let mut points: Vec<JudgedPoint> = q
            .points
            .iter()
            .map(|p| JudgedPoint {
                id: p.id.clone(),
                yes: 0.0,
                evidence: String::new(),
            })
            .collect();
        let (mut said_yes, mut grounded) = (0, 0);
        for (&i, reply) in asked_points.iter().zip(point_replies) {
            let yes = reply.yes.unwrap_or(0.0);
            let found = evidence_for(&point_terms[i], &numbered, reply, anywhere);
            if yes >= YES {
                said_yes += 1;
                grounded += usize::from(found.is_some());
            }
            points[i].yes = yes;
            points[i].evidence = found
                .and_then(|n| numbered.get(n))
                .unwrap_or_default()
                .to_string();
        }

        // Wrong claims: a listed claim the model says is made, or the sentence it calls wrong,
        // each in a sentence of this answer that relates to it; then each sentence checked alone.
        let mut found: Vec<(Option<String>, usize)> = vec![];
        for ((claim, terms), reply) in claims.iter().zip(claim_replies) {
            if reply.yes.unwrap_or(0.0) >= YES
                && let Some(n) = evidence_for(terms, &numbered, reply, current)
            {
                found.push((Some(claim.to_string()), n));
            }
        }
        if let Some(reply) = error_reply.first()
            && reply.yes.unwrap_or(0.0) >= YES
            && let Some(n) = reply.sentence.filter(|&n| current(n))
            && numbered.get(n).is_some_and(|s| question_terms.relates(s))
            && !found.iter().any(|(_, m)| *m == n)
        {
            found.push((None, n));
        }
        let sentences: Vec<&str> = found
            .iter()
            .map(|(_, n)| numbered.get(*n).unwrap_or_default())
            .collect();
        requests += sentences.len();
        let confirms = self
            .ask_all(
                &asker,
                sentences.iter().map(|s| Check::Confirm(s)).collect(),
            )
            .await?;
        let claims = found
            .into_iter()
            .zip(sentences)
            .zip(confirms)
            .map(|(((listed, _), sentence), correct)| JudgedClaim {
                listed,
                sentence: sentence.to_string(),
                // "Is it correct?" answered NO.
                confirmed: correct.yes.is_some_and(|p| p < YES),
            })
            .collect();
        Ok(Judgement {
            question: q.id.clone(),
            points,
            claims,
            said_yes,
            grounded,
            requests,
        })
    }
}

#[cfg(test)]
mod tests;
