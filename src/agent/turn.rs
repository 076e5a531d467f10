//! One turn of the ReAct loop as a small state machine: ask the model, then either take its
//! spoken line (the turn is done) or run its tool calls and ask again, until a limit stops it.

use super::memory;
use super::progress::record_probe;
use super::react::{Agent, TurnError, Work};
use crate::model::{AssistantTurn, ChatRequest, Message, ToolCall};
use crate::tools::{ToolContext, ToolOutcome};
use std::collections::HashMap;
use std::time::Instant;

/// Empty replies in one turn before the loop stops asking.
const MAX_EMPTY_REPLIES: usize = 2;

/// How a turn's model calls ended.
pub(super) struct Ran {
    /// The model spoke the interviewer's line (else a limit stopped it, noted in the work).
    pub completed: bool,
    /// The model moved the interview on: it picked a question or ended the interview.
    pub moved: bool,
}

/// Whether a spoken line now would follow up on the answer.
enum FollowUp {
    /// Nothing scored since the last move.
    No,
    /// score_answer ran with no move since: a line that asks is the probe (on the point the
    /// tool advised, when it advised one).
    AfterScore { advised: Option<String> },
}

/// What one model call gave.
enum Asked {
    Reply(AssistantTurn),
    /// The context was too long and has been folded: ask again (this does not use a step).
    Again,
    /// The turn's deadline passed.
    TimedOut,
}

pub(super) struct TurnRun<'a> {
    agent: &'a Agent,
    started: Instant,
    step: usize,
    failures: HashMap<(String, String), usize>,
    follow_up: FollowUp,
    context_retry_used: bool,
    moved: bool,
    empty_replies: usize,
}

const TOO_LONG: &str = "the interviewer took too long to answer; moving on";

impl<'a> TurnRun<'a> {
    pub(super) fn new(agent: &'a Agent) -> Self {
        Self {
            agent,
            started: Instant::now(),
            step: 0,
            failures: HashMap::new(),
            follow_up: FollowUp::No,
            context_retry_used: false,
            moved: false,
            empty_replies: 0,
        }
    }

    /// Call the model until it speaks the interviewer's line or a limit stops the turn.
    pub(super) async fn run(mut self, w: &mut Work) -> Result<Ran, TurnError> {
        let completed = loop {
            if self.step >= self.agent.config.max_steps {
                w.notes
                    .push("the interviewer ran out of steps; moving on".into());
                break false;
            }
            self.step += 1;
            let turn = match self.ask(w).await? {
                Asked::Reply(turn) => turn,
                Asked::Again => continue,
                Asked::TimedOut => {
                    w.notes.push(TOO_LONG.into());
                    break false;
                }
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
                match self.spoke(w, text) {
                    Some(done) => break done,
                    None => continue,
                }
            }
            if !self.run_calls(w, text, turn.tool_calls).await {
                w.notes
                    .push("the same tool call kept failing; the turn was stopped".into());
                break false;
            }
        };
        Ok(Ran {
            completed,
            moved: self.moved,
        })
    }

    /// One model call on the current memory, within what is left of the turn's deadline.
    async fn ask(&mut self, w: &mut Work) -> Result<Asked, TurnError> {
        let agent = self.agent;
        let Some(left) = agent
            .config
            .turn_deadline
            .checked_sub(self.started.elapsed())
        else {
            return Ok(Asked::TimedOut);
        };
        let estimate = agent.fit_context(w).await;
        let messages = w.memory.request(&agent.system_prompt);
        let call = {
            // Streamed words are held back: the turn's reply is checked before it is shown.
            let mut tee = |_: &str| {};
            let mut req = ChatRequest::new(&messages, &agent.specs);
            req.max_tokens = Some(agent.config.max_reply_tokens);
            tokio::time::timeout(left, agent.model.complete(req, &mut tee)).await
        };
        tracing::debug!(
            step = self.step,
            estimate,
            elapsed_ms = self.started.elapsed().as_millis() as u64,
            "model call done"
        );
        match call {
            Err(_) => Ok(Asked::TimedOut),
            Ok(Err(e)) if memory::is_context_error(&e) && !self.context_retry_used => {
                self.context_retry_used = true;
                agent.fold_all(w).await;
                self.step -= 1;
                Ok(Asked::Again)
            }
            Ok(Err(e)) if e.is_fatal() => Err(TurnError::Fatal(e)),
            Ok(Err(e)) => Err(TurnError::Failed(e)),
            Ok(Ok(t)) => Ok(Asked::Reply(t)),
        }
    }

    /// The model spoke without calling a tool: the turn is done (`Some(true)`), or the reply was
    /// empty and is asked for again (`None`) until that happened too often (`Some(false)`).
    fn spoke(&mut self, w: &mut Work, text: String) -> Option<bool> {
        if text.is_empty() {
            // An empty (or data-only) reply is garbage: ask again, but not forever.
            self.empty_replies += 1;
            if self.empty_replies >= MAX_EMPTY_REPLIES {
                w.notes
                    .push("the model gave no usable reply; moving on".into());
                return Some(false);
            }
            return None;
        }
        w.memory.push(Message::assistant(text.clone()));
        // A spoken line after score_answer, with no move in between, is a follow-up when the
        // tool advised a probe or the line asks something, about the question on the table.
        if let FollowUp::AfterScore { advised } =
            std::mem::replace(&mut self.follow_up, FollowUp::No)
            && (advised.is_some() || text.trim_end().ends_with('?'))
            && self.agent.follows_up(&w.state, &text)
        {
            record_probe(&mut w.state, &self.agent.bank, advised, &text);
        }
        Some(true)
    }

    /// Run the model's tool calls and remember their results. False when the same failing call
    /// came too often and the turn should stop.
    async fn run_calls(&mut self, w: &mut Work, text: String, calls: Vec<ToolCall>) -> bool {
        let agent = self.agent;
        w.memory.push(Message::assistant_calls(
            (!text.is_empty()).then_some(text),
            calls.clone(),
        ));
        let mut go_on = true;
        for call in &calls {
            let mut ctx = ToolContext {
                bank: &agent.bank,
                state: &mut w.state,
                judge: agent.judge.as_deref(),
            };
            let result = agent
                .tools
                .call(&call.name, &call.arguments, &mut ctx)
                .await;
            tracing::debug!(tool = %call.name, ok = result.is_ok(), "tool call");
            let content = match result {
                Ok(outcome) => {
                    self.track(w, &outcome);
                    outcome.to_json()
                }
                Err(err) => {
                    let key = (call.name.clone(), call.arguments.trim().to_string());
                    let n = self.failures.entry(key).or_insert(0);
                    *n += 1;
                    if *n >= agent.config.max_same_failure {
                        go_on = false;
                    }
                    serde_json::json!({ "error": err.to_string() }).to_string()
                }
            };
            w.memory.push(Message::tool(call.id.clone(), content));
        }
        go_on
    }

    /// What a tool's outcome means for the rest of the turn.
    fn track(&mut self, w: &mut Work, outcome: &ToolOutcome) {
        match outcome {
            ToolOutcome::Scored(report) => {
                self.follow_up = FollowUp::AfterScore {
                    advised: report.next.probe_point(),
                };
                if let Some(note) = &report.note {
                    w.notes.push(note.clone());
                }
            }
            o if o.moved() => {
                self.moved = true;
                self.follow_up = FollowUp::No;
            }
            _ => self.follow_up = FollowUp::No,
        }
    }
}
