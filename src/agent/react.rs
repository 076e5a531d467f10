//! The ReAct loop: for each candidate message, call the model, run its tool calls, feed the results
//! back, and repeat until the model speaks the interviewer's next line.
//!
//! A turn is all-or-nothing: it works on copies of the state and memory and commits them only when
//! it completes, so a cancelled (Ctrl-C) or failed turn leaves the interview exactly as it was and
//! can be retried.

use super::contract;
use super::memory::{self, Memory, Summarizer};
use super::tokens::{CachedCounter, TokenCounter};
use super::usage::UsageMeter;
use crate::bank::Bank;
use crate::model::{ChatModel, ChatRequest, Message, ModelError, TextSink, ToolSpec};
use crate::prompts::phrases::{self, Phrases, fill, pick};
use crate::state::InterviewState;
use crate::state::UsageTotals;
use crate::state::probing;
use crate::tools::{
    EndInterview, Judge, PickQuestion, ScoreAnswer, Tool, ToolContext, ToolRegistry, score_latest,
};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Message framing of a request beyond its texts (roles, separators).
const FRAMING_TOKENS: usize = 8;
/// Empty replies in one turn before the loop stops asking.
const MAX_EMPTY_REPLIES: usize = 2;
/// Characters per token, for sizing the summary in characters.
const CHARS_PER_TOKEN: f32 = 3.5;

/// Limits of one turn.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Model calls per candidate message.
    pub max_steps: usize,
    /// Wall-clock limit of one turn.
    pub turn_deadline: Duration,
    /// Token budget of each request.
    pub context_tokens: usize,
    /// The same failing tool call this many times stops the turn.
    pub max_same_failure: usize,
    /// Cap on tokens per model reply: spoken turns are short, tool arguments carry an answer.
    pub max_reply_tokens: u32,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            max_steps: 8,
            turn_deadline: Duration::from_secs(300),
            context_tokens: 6000,
            max_same_failure: 3,
            max_reply_tokens: 512,
        }
    }
}

/// What the candidate did.
#[derive(Debug, Clone, PartialEq)]
pub enum CandidateInput {
    /// The interview starts (or resumes): the interviewer speaks first.
    Begin,
    /// An answer (to the current question or a probe).
    Answer(String),
    /// `/skip`: skip what is on the table: a question not yet answered scores 0; a probe is
    /// skipped and the answers already given keep their score.
    Skip,
    /// `/end`: the candidate wants to stop.
    End,
}

/// The result of a completed turn.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TurnOutput {
    /// Everything the interviewer said this turn.
    pub reply: String,
    /// Notes for the transcript (e.g. the loop ran out of steps, a judge fell back).
    pub notes: Vec<String>,
    pub ended: bool,
}

/// Why a turn did not complete. Nothing of the turn was kept; the interview can go on.
#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    /// A configuration problem (key, quota, model name): the session must stop.
    #[error("{0}")]
    Fatal(ModelError),
    /// The model call failed after retries, timed out or was cancelled: retry the turn.
    #[error("{0}")]
    Failed(ModelError),
}

/// The interviewer agent.
pub struct Agent {
    model: Arc<dyn ChatModel>,
    bank: Arc<Bank>,
    tools: ToolRegistry,
    specs: Vec<ToolSpec>,
    judge: Option<Arc<dyn Judge>>,
    summarizer: Box<dyn Summarizer>,
    counter: CachedCounter,
    /// Tokens of the system prompt and tool specs, which never change.
    fixed_tokens: usize,
    system_prompt: String,
    config: AgentConfig,
    pub state: InterviewState,
    pub memory: Memory,
    /// Token usage of every model call so far (zero for the offline interviewer).
    pub usage: UsageTotals,
    meter: Option<Arc<UsageMeter>>,
}

/// Builder inputs for an [`Agent`].
pub struct AgentParts {
    pub model: Arc<dyn ChatModel>,
    pub bank: Arc<Bank>,
    pub judge: Option<Arc<dyn Judge>>,
    pub summarizer: Box<dyn Summarizer>,
    pub counter: TokenCounter,
    pub system_prompt: String,
    pub config: AgentConfig,
    pub state: InterviewState,
    pub memory: Memory,
    /// Counts the usage of the calls through `model` (and the judge and summariser sharing it).
    pub meter: Option<Arc<UsageMeter>>,
    /// The usage so far when there is no meter (a session resumed offline keeps its totals).
    pub usage: UsageTotals,
}

/// Mutable copies a turn works on.
struct Work {
    state: InterviewState,
    memory: Memory,
    reply: String,
    notes: Vec<String>,
    /// The turn's state block and the candidate's words, to restate them after a fold.
    pinned: String,
    said: String,
}

impl Work {
    /// After old turns were folded into the summary: give the newest candidate message the new
    /// summary (a fold rewrites the prefix anyway).
    fn restate(&mut self) {
        let message = memory::with_state(&self.pinned, &self.memory.summary, &self.said);
        if let Some(newest) = self
            .memory
            .recent
            .iter_mut()
            .rev()
            .find(|m| m.role == crate::model::Role::User)
        {
            newest.content = Some(message);
        }
    }
}

impl Agent {
    pub fn new(p: AgentParts) -> Self {
        let tools = ToolRegistry::interviewer();
        let specs = tools.specs();
        let fixed_tokens =
            p.counter.text(&p.system_prompt) + p.counter.tools(&specs) + FRAMING_TOKENS;
        Self {
            model: p.model,
            bank: p.bank,
            tools,
            specs,
            judge: p.judge,
            summarizer: p.summarizer,
            counter: CachedCounter::new(p.counter),
            fixed_tokens,
            system_prompt: p.system_prompt,
            config: p.config,
            state: p.state,
            memory: p.memory,
            usage: p.meter.as_ref().map(|m| m.totals()).unwrap_or(p.usage),
            meter: p.meter,
        }
    }

    pub fn bank(&self) -> &Bank {
        &self.bank
    }

    pub fn model_name(&self) -> String {
        self.model.name()
    }

    pub fn tool_specs(&self) -> &[ToolSpec] {
        &self.specs
    }

    /// Run one turn. On success the state, memory and usage are updated; on error nothing changed.
    pub async fn respond(
        &mut self,
        input: CandidateInput,
        sink: TextSink<'_>,
    ) -> Result<TurnOutput, TurnError> {
        let mut w = Work {
            state: self.state.clone(),
            memory: self.memory.clone(),
            reply: String::new(),
            notes: vec![],
            pinned: String::new(),
            said: String::new(),
        };
        let result = self.run_turn(&mut w, input).await;
        // Usage is real spending even when the turn fails.
        if let Some(meter) = &self.meter {
            self.usage = meter.totals();
        }
        result?;
        // The words are shown once the turn has kept its contract (see `keep_contract`).
        let reply = w.reply.trim().to_string();
        if !reply.is_empty() {
            sink(&reply);
            sink("\n");
        }
        self.state = w.state;
        self.memory = w.memory;
        Ok(TurnOutput {
            reply,
            notes: w.notes,
            ended: self.state.is_over(),
        })
    }

    async fn run_turn(&self, w: &mut Work, input: CandidateInput) -> Result<(), TurnError> {
        let answered = matches!(input, CandidateInput::Answer(_));
        self.apply_input(w, input);
        let started = Instant::now();
        let mut failures: HashMap<(String, String), usize> = HashMap::new();
        // Follow-up tracking: a spoken line after score_answer, with no move in between, is a probe.
        let mut suggested_probe: Option<Option<String>> = None;
        let mut context_retry_used = false;
        let mut completed = false;
        // Whether the model moved the interview on (picked a question or ended) this turn.
        let mut moved = false;
        let mut empty_replies = 0;
        let mut step = 0;
        loop {
            if step >= self.config.max_steps {
                w.notes
                    .push("the interviewer ran out of steps; moving on".into());
                break;
            }
            step += 1;
            let Some(left) = self.config.turn_deadline.checked_sub(started.elapsed()) else {
                w.notes
                    .push("the interviewer took too long to answer; moving on".into());
                break;
            };
            let estimate = self.fit_context(w).await;
            let messages = w.memory.request(&self.system_prompt);
            let call = {
                // Streamed words are held back: the turn's reply is checked before it is shown.
                let mut tee = |_: &str| {};
                let mut req = ChatRequest::new(&messages, &self.specs);
                req.max_tokens = Some(self.config.max_reply_tokens);
                tokio::time::timeout(left, self.model.complete(req, &mut tee)).await
            };
            tracing::debug!(
                step,
                estimate,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "model call done"
            );
            let turn = match call {
                Err(_) => {
                    w.notes
                        .push("the interviewer took too long to answer; moving on".into());
                    break;
                }
                Ok(Err(e)) if memory::is_context_error(&e) && !context_retry_used => {
                    context_retry_used = true;
                    self.fold_all(w).await;
                    step -= 1;
                    continue;
                }
                Ok(Err(e)) if e.is_fatal() => return Err(TurnError::Fatal(e)),
                Ok(Err(e)) => return Err(TurnError::Failed(e)),
                Ok(Ok(t)) => t,
            };

            // Only words are spoken and remembered: JSON lines a weak model writes are dropped.
            let text = crate::model::speakable(turn.text());
            if !text.is_empty() {
                if !w.reply.is_empty() {
                    w.reply.push('\n');
                }
                w.reply.push_str(&text);
            }
            if turn.tool_calls.is_empty() {
                if text.is_empty() {
                    // An empty (or data-only) reply is garbage: ask again, but not forever.
                    empty_replies += 1;
                    if empty_replies >= MAX_EMPTY_REPLIES {
                        w.notes
                            .push("the model gave no usable reply; moving on".into());
                        break;
                    }
                    continue;
                }
                w.memory.push(Message::assistant(text.clone()));
                // A spoken line after score_answer, with no move in between, is a follow-up when the
                // tool advised a probe or the line asks something.
                if let Some(point) = suggested_probe.take()
                    && (point.is_some() || text.trim_end().ends_with('?'))
                {
                    record_probe(&mut w.state, &self.bank, point, &text);
                }
                completed = true;
                break;
            }
            w.memory.push(Message::assistant_calls(
                (!text.is_empty()).then_some(text),
                turn.tool_calls.clone(),
            ));
            let mut stop = false;
            for call in &turn.tool_calls {
                let mut ctx = ToolContext {
                    bank: &self.bank,
                    state: &mut w.state,
                    judge: self.judge.as_deref(),
                };
                let result = self.tools.call(&call.name, &call.arguments, &mut ctx).await;
                tracing::debug!(tool = %call.name, ok = result.is_ok(), "tool call");
                let content = match result {
                    Ok(value) => {
                        match call.name.as_str() {
                            ScoreAnswer::NAME => {
                                suggested_probe = Some(probe_point(&value));
                                if let Some(note) = value.get("note").and_then(Value::as_str) {
                                    w.notes.push(note.to_string());
                                }
                            }
                            PickQuestion::NAME | EndInterview::NAME => {
                                moved = true;
                                suggested_probe = None;
                            }
                            _ => suggested_probe = None,
                        }
                        value.to_string()
                    }
                    Err(err) => {
                        let key = (call.name.clone(), call.arguments.trim().to_string());
                        let n = failures.entry(key).or_insert(0);
                        *n += 1;
                        if *n >= self.config.max_same_failure {
                            stop = true;
                        }
                        serde_json::json!({ "error": err.to_string() }).to_string()
                    }
                };
                w.memory.push(Message::tool(call.id.clone(), content));
            }
            if stop {
                w.notes
                    .push("the same tool call kept failing; the turn was stopped".into());
                break;
            }
        }
        if !completed {
            self.fallback(w).await;
        } else {
            self.ensure_progress(w, moved).await;
        }
        self.keep_contract(w, answered, moved).await;
        Ok(())
    }

    /// Whatever the model did: `/end` ends the interview in this turn; the reply is cleaned; an
    /// answer is acknowledged as it scored; and a turn that waits for an answer asks something:
    /// the model's own follow-up (recorded as the probe), else the question on the table in the
    /// offline interviewer's words: the probe the policy chooses, or the next planned question.
    async fn keep_contract(&self, w: &mut Work, answered: bool, moved: bool) {
        let p = Phrases::get();
        let key = w.state.seed ^ w.memory.recent.len() as u64;
        if w.state.end_requested && !w.state.is_over() {
            w.state.ended = Some("the candidate ended the interview".into());
        }
        w.reply = contract::clean(&w.reply);
        if w.state.is_over() {
            // A goodbye does not ask anything.
            if w.reply.is_empty() || contract::asks(&w.reply) {
                w.reply = pick(&p.closing, key).to_string();
            }
            return;
        }
        if answered
            && let Some(ack) = self.acknowledged(&w.state)
            && !w.reply.is_empty()
        {
            let said = w.said.clone();
            let replacement = phrases::acknowledgement(ack.score, ack.claim.as_deref(), &said, key);
            w.reply = contract::honest_opening(&w.reply, &ack, &replacement);
        }
        let Some(cur) = w.state.current() else {
            let line = self.next_question_line(w, false).await;
            say(w, line);
            return;
        };
        // A probe can be an instruction ("Show that ..."): the words ask when they hold what is
        // on the table, or a question mark.
        let on_table = if cur.answers.is_empty() {
            self.bank.get(&cur.id).map(|q| q.ask.clone())
        } else if cur.probes.len() >= cur.answers.len() {
            cur.probes.last().cloned()
        } else {
            None
        };
        let holds_it = on_table
            .as_deref()
            .is_some_and(|t| !t.is_empty() && w.reply.contains(t));
        if holds_it || contract::asks(&w.reply) {
            // The model asked its own follow-up after an answer without moving on: it is the probe.
            let unprobed = cur.answers.len() > cur.probes.len() && !cur.answers.is_empty();
            if answered && !moved && unprobed && !cur.skipped {
                let text = w.reply.lines().last().unwrap_or_default().to_string();
                record_probe(&mut w.state, &self.bank, None, &text);
            }
            return;
        }
        // Nothing asked: put the question on the table.
        if cur.answers.is_empty() && !cur.skipped {
            if let Some(q) = self.bank.get(&cur.id) {
                let ask = q.ask.clone();
                say(w, ask);
            }
            return;
        }
        let line = match self.policy_probe(&w.state) {
            Some((point, probe)) => {
                let lead = pick(&p.probe_lead, key);
                record_probe(&mut w.state, &self.bank, Some(point), &probe);
                format!("{lead} {probe}")
            }
            None => self.next_question_line(w, true).await,
        };
        say(w, line);
        // The added line may repeat a transition the model already made.
        w.reply = contract::clean(&w.reply);
    }

    /// How the latest answer to the current question went: its own score and wrong claim.
    fn acknowledged(&self, state: &InterviewState) -> Option<contract::Acknowledged> {
        let cur = state.current()?;
        let q = self.bank.get(&cur.id)?;
        let latest = cur.answers.last()?;
        let alone = crate::scoring::rubric::score(q, latest, &[]);
        let score = if cur.answers.len() > 1 {
            alone.score
        } else {
            cur.score().map_or(alone.score, |s| s.score)
        };
        let claim = cur
            .score()
            .and_then(|s| s.misconceptions.first().cloned())
            .or_else(|| alone.misconceptions.first().cloned());
        Some(contract::Acknowledged { score, claim })
    }

    /// The probe the policy would ask on the current question now, if any.
    fn policy_probe(&self, state: &InterviewState) -> Option<(String, String)> {
        let cur = state.current()?;
        let q = self.bank.get(&cur.id)?;
        let latest = cur.answers.last()?;
        let alone = crate::scoring::rubric::score(q, latest, &[]);
        let remaining = state.remaining().count();
        match probing::decide(state.mode, q, cur, &alone, state.max_probes, remaining) {
            probing::NextStep::Probe { point, probe, .. } => Some((point, probe)),
            _ => None,
        }
    }

    /// Progress guarantees that hold whatever the model does: every answer is scored, a question
    /// is on the table, and the interview moves on once a question's probes are used up.
    async fn ensure_progress(&self, w: &mut Work, moved: bool) {
        if w.state.is_over() || w.state.end_requested {
            return;
        }
        if let Some(cur) = w.state.current_mut()
            && let Some(q) = self.bank.get(&cur.id)
            && let Some(note) = score_latest(q, cur, self.judge.as_deref()).await
        {
            w.notes.push(note);
        }
        let max_probes = w.state.max_probes;
        let stuck = match w.state.current() {
            None => true,
            // One turn of slack past the probe budget before the loop steps in.
            Some(cur) => !moved && (cur.skipped || cur.answers.len() > max_probes + 1),
        };
        if stuck {
            // Before the first question there is nothing to move on from: just ask it.
            let first = w.state.current().is_none();
            if !first {
                w.notes.push(
                    "the model did not move on; the interviewer moved to the next question".into(),
                );
            }
            let line = self.next_question_line(w, !first).await;
            say(w, line);
        }
    }

    /// Move to the next planned question and return the line that asks it (or the closing line
    /// when none is left, ending the interview).
    async fn next_question_line(&self, w: &mut Work, lead: bool) -> String {
        let p = Phrases::get();
        let key = w.state.seed ^ w.memory.recent.len() as u64;
        let first = w.state.questions.is_empty() || !lead;
        let mut ctx = ToolContext {
            bank: &self.bank,
            state: &mut w.state,
            judge: self.judge.as_deref(),
        };
        match PickQuestion
            .call(crate::tools::PickArgs::default(), &mut ctx)
            .await
        {
            Ok(next) if first => next.ask,
            Ok(next) => format!("{} {}", pick(&p.move_on, key), next.ask),
            Err(_) => {
                w.state
                    .ended
                    .get_or_insert_with(|| "all planned questions asked".into());
                pick(&p.closing, key).to_string()
            }
        }
    }

    /// Apply the candidate's input to the state, then remember it with the turn's state block at
    /// its head (fixed for the turn: tool results tell the model what changes during it).
    fn apply_input(&self, w: &mut Work, input: CandidateInput) {
        let over = w.state.is_over();
        let text = match input {
            CandidateInput::Begin => if w.state.questions.is_empty() {
                "[The candidate is ready. Greet them in one sentence, then start the interview.]"
            } else {
                "[The candidate is back after a break. Welcome them back in one sentence and continue where you left off.]"
            }
            .to_string(),
            CandidateInput::Answer(text) => {
                if let Some(cur) = w.state.current_mut().filter(|_| !over) {
                    cur.answers.push(text.clone());
                }
                text
            }
            CandidateInput::Skip => {
                if let Some(cur) = w.state.current_mut().filter(|_| !over) {
                    cur.skipped = true;
                }
                "[The candidate skipped this question. Acknowledge briefly and move on.]".to_string()
            }
            CandidateInput::End => {
                w.state.end_requested = true;
                "[The candidate wants to end the interview now. Call end_interview.]".to_string()
            }
        };
        w.pinned = memory::render_state(&w.state);
        let message = memory::with_state(&w.pinned, &w.memory.summary, &text);
        w.said = text;
        w.memory.push(Message::user(message));
    }

    /// The estimated tokens of a request built from `w`.
    fn request_tokens(&self, w: &Work) -> usize {
        self.fixed_tokens
            + w.memory
                .recent
                .iter()
                .map(|m| self.counter.message(m))
                .sum::<usize>()
    }

    /// The summary's share of the budget, in characters.
    fn summary_chars(&self) -> usize {
        (self.config.context_tokens as f32 * memory::SUMMARY_SHARE * CHARS_PER_TOKEN) as usize
    }

    /// Fold the oldest exchanges into the summary while the request is past the budget's threshold.
    /// Returns the request's estimated size afterwards.
    async fn fit_context(&self, w: &mut Work) -> usize {
        let budget = self.config.context_tokens as f32;
        let mut size = self.request_tokens(w);
        if size as f32 <= budget * memory::FOLD_AT {
            return size;
        }
        let mut evicted = vec![];
        while size as f32 > budget * memory::FOLD_TO {
            match w.memory.evict_oldest(1) {
                Some(batch) => {
                    size -= batch
                        .iter()
                        .map(|m| self.counter.message(m))
                        .sum::<usize>()
                        .min(size);
                    evicted.extend(batch);
                }
                None => break,
            }
        }
        if !evicted.is_empty() {
            w.memory.summary = self
                .summarizer
                .fold(&w.memory.summary, &evicted, self.summary_chars())
                .await;
            w.restate();
        }
        self.request_tokens(w)
    }

    /// After a context-length error: keep only the newest exchange.
    async fn fold_all(&self, w: &mut Work) {
        let mut evicted = vec![];
        while let Some(batch) = w.memory.evict_oldest(1) {
            evicted.extend(batch);
        }
        w.memory.summary = self
            .summarizer
            .fold(&w.memory.summary, &evicted, self.summary_chars() / 2)
            .await;
        w.restate();
    }

    /// The loop ran out of steps or time: say something sensible so the interview goes on.
    async fn fallback(&self, w: &mut Work) {
        let p = Phrases::get();
        let key = w.state.seed ^ w.memory.recent.len() as u64;
        let line = if w.state.is_over() || w.state.end_requested {
            pick(&p.closing, key).to_string()
        } else if let Some(q) = w
            .state
            .current()
            .filter(|c| c.answers.is_empty() && !c.skipped)
            .and_then(|c| self.bank.get(&c.id))
        {
            fill(&p.fallback_repeat, &[("ask", &q.ask)])
        } else {
            let next = self.next_question_line(w, false).await;
            if w.state.is_over() {
                next
            } else {
                format!("{} {}", p.fallback_continue, next)
            }
        };
        say(w, line);
    }
}

/// Speak a line the loop itself adds: part of the reply, remembered.
fn say(w: &mut Work, line: String) {
    if !w.reply.is_empty() {
        w.reply.push('\n');
    }
    w.reply.push_str(&line);
    w.memory.push(Message::assistant(line));
}

/// The rubric point a score_answer result suggests probing, if any.
fn probe_point(result: &Value) -> Option<String> {
    let next = result.get("next")?;
    (next.get("action")?.as_str()? == "probe").then(|| {
        next.get("point")
            .and_then(Value::as_str)
            .map(str::to_string)
    })?
}

/// The interviewer followed up on the current question: record the probe in the state.
fn record_probe(state: &mut InterviewState, bank: &Bank, point: Option<String>, text: &str) {
    if state.is_over() {
        return;
    }
    let Some(cur) = state.current_mut() else {
        return;
    };
    let point = point.or_else(|| {
        let q = bank.get(&cur.id)?;
        let score = cur.score()?;
        q.points
            .iter()
            .find(|p| score.verdict(&p.id) != Some(crate::scoring::Verdict::Covered))
            .map(|p| p.id.clone())
    });
    // Store the probe as the rubric's wording when the interviewer used it, else as spoken.
    let q = bank.get(&cur.id);
    let canonical = point
        .as_deref()
        .and_then(|pid| q.and_then(|q| q.point(pid)))
        .and_then(|p| {
            p.probes
                .iter()
                .chain(p.derivations.iter())
                .find(|t| text.contains(t.as_str()))
        })
        .cloned();
    cur.probes
        .push(canonical.unwrap_or_else(|| text.to_string()));
    cur.probed_points.push(point.unwrap_or_default());
}
