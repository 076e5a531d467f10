//! One turn of the ReAct loop as a small state machine: ask the model, then either take its line
//! (a `say` call, else free text: the turn is done) or run its tool calls and ask again, until a
//! limit stops it. Nothing the model drafts is said or recorded here: [`super::compose`] checks it.

use super::draft::{Draft, Trust};
use super::interviewer::{Agent, TurnError, Work};
use super::memory;
use crate::model::{AssistantTurn, ChatRequest, Message, ToolCall};
use crate::prompts::stage::Stage;
use crate::tools::{Say, Tool, ToolContext, ToolOutcome};
use std::collections::HashMap;
use std::time::Instant;

/// Empty replies in one turn before the loop stops asking.
const MAX_EMPTY_REPLIES: usize = 2;

/// How a turn's model calls ended.
pub(super) struct Ran {
    /// The model's line, unchecked (`None` when a limit stopped the turn, noted in the work).
    pub draft: Option<Draft>,
    /// The model moved the interview on: it picked a question or ended the interview.
    pub moved: bool,
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
            context_retry_used: false,
            moved: false,
            empty_replies: 0,
        }
    }

    /// Call the model until it gives the interviewer's line or a limit stops the turn.
    pub(super) async fn run(mut self, w: &mut Work) -> Result<Ran, TurnError> {
        let draft = loop {
            if self.step >= self.agent.config.max_steps {
                w.notes
                    .push("the interviewer ran out of steps; moving on".into());
                break None;
            }
            self.step += 1;
            let turn = match self.ask(w).await? {
                Asked::Reply(turn) => turn,
                Asked::Again => continue,
                Asked::TimedOut => {
                    w.notes.push(TOO_LONG.into());
                    break None;
                }
            };
            // Only words count: JSON lines a weak model writes are dropped.
            let text = crate::model::speakable(turn.text());
            if turn.tool_calls.is_empty() {
                match self.spoke(w, text) {
                    Some(done) => break done,
                    None => continue,
                }
            }
            if !text.is_empty() {
                if !w.beside.is_empty() {
                    w.beside.push(' ');
                }
                w.beside.push_str(&text);
            }
            match self.run_calls(w, text, turn.tool_calls).await {
                Calls::Said(draft) => break Some(draft),
                Calls::GoOn => {}
                Calls::Stop => {
                    w.notes
                        .push("the same tool call kept failing; the turn was stopped".into());
                    break None;
                }
            }
        };
        Ok(Ran {
            draft,
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
        let mut messages = w.memory.request(&agent.system_prompt);
        if self.empty_replies > 0 {
            // A weak model often stops after its tool results: remind it, in this request only.
            messages.push(Message::user(Stage::Speak.render()));
        }
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

    /// The model wrote words without calling a tool: its free text is the turn's draft
    /// (`Some(Some(..))`), or the reply was empty and is asked for again (`None`) until that
    /// happened too often (`Some(None)`).
    fn spoke(&mut self, w: &mut Work, text: String) -> Option<Option<Draft>> {
        if text.is_empty() {
            // An empty (or data-only) reply is garbage: ask again, but not forever.
            self.empty_replies += 1;
            if self.empty_replies >= MAX_EMPTY_REPLIES {
                w.notes
                    .push("the model gave no usable reply; moving on".into());
                return Some(None);
            }
            return None;
        }
        let mut draft = Draft::free(&text);
        // Words beside earlier tool calls are the only acknowledgement free text has.
        if draft.args.acknowledgement.is_empty() && !w.beside.is_empty() {
            draft.args.acknowledgement = w.beside.clone();
        }
        Some(Some(draft))
    }

    /// Run the model's tool calls and remember their results; a `say` call ends the turn (it is
    /// remembered as it is finally said, not as drafted).
    async fn run_calls(&mut self, w: &mut Work, text: String, calls: Vec<ToolCall>) -> Calls {
        let agent = self.agent;
        let (said, calls): (Vec<ToolCall>, Vec<ToolCall>) =
            calls.into_iter().partition(|c| c.name == Say::NAME);
        let mut go_on = true;
        if !calls.is_empty() {
            w.memory.push(Message::assistant_calls(
                (!text.is_empty()).then_some(text),
                calls.clone(),
            ));
        }
        for call in &calls {
            let content = match self.run_one(w, call).await {
                Ok(content) => content,
                Err(content) => {
                    let key = (call.name.clone(), call.arguments.trim().to_string());
                    let n = self.failures.entry(key).or_insert(0);
                    *n += 1;
                    if *n >= agent.config.max_same_failure {
                        go_on = false;
                    }
                    content
                }
            };
            w.memory.push(Message::tool(call.id.clone(), content));
        }
        // The last `say` is the line; arguments that do not parse leave free text to go on with.
        if let Some(call) = said.last() {
            let args = crate::tools::parse_arguments(&call.arguments)
                .ok()
                .and_then(|v| serde_json::from_value(v).ok());
            let draft = match args {
                Some(args) => Draft {
                    args,
                    trust: Trust::Typed,
                    call_id: Some(call.id.clone()),
                },
                None => Draft::free(&call.arguments),
            };
            return Calls::Said(draft);
        }
        if go_on { Calls::GoOn } else { Calls::Stop }
    }

    /// Run one tool call: its result for the model, or the error it reported.
    async fn run_one(&mut self, w: &mut Work, call: &ToolCall) -> Result<String, String> {
        let agent = self.agent;
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
        match result {
            Ok(outcome) => {
                self.track(w, &outcome);
                Ok(outcome.to_json())
            }
            Err(err) => Err(serde_json::json!({ "error": err.to_string() }).to_string()),
        }
    }

    /// What a tool's outcome means for the rest of the turn.
    fn track(&mut self, w: &mut Work, outcome: &ToolOutcome) {
        match outcome {
            ToolOutcome::Scored(report) => {
                if let Some(note) = &report.note {
                    w.notes.push(note.clone());
                }
            }
            o if o.moved() => self.moved = true,
            _ => {}
        }
    }
}

/// What a batch of tool calls left to do.
enum Calls {
    /// The model said its line.
    Said(Draft),
    GoOn,
    /// The same failing call came too often.
    Stop,
}
