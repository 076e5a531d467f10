//! The ReAct loop: for each candidate message, call the model, run its tool calls, feed the results
//! back, and repeat until the model speaks the interviewer's next line.
//!
//! A turn is all-or-nothing: it works on copies of the state and memory and commits them only when
//! it completes, so a cancelled (Ctrl-C) or failed turn leaves the interview exactly as it was and
//! can be retried.

use super::contract;
use super::memory::{self, Memory, Summarizer};
use super::tokens::{CachedCounter, TokenCounter};
use super::turn::TurnRun;
use super::usage::UsageMeter;
use crate::bank::Bank;
use crate::model::{ChatModel, Message, ModelError, TextSink, ToolSpec};
use crate::prompts::stage::Stage;
use crate::state::InterviewState;
use crate::state::UsageTotals;
use crate::tools::{Grader, ToolRegistry};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Message framing of a request beyond its texts (roles, separators).
const FRAMING_TOKENS: usize = 8;
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
    /// Words of commentary a model's turn keeps between its opening and its question (see
    /// [`contract::brief`]).
    pub comment_words: usize,
    /// The interviewer's words are the project's own (the offline interviewer): said whole, and
    /// its follow-ups taken as asked.
    pub own_words: bool,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            max_steps: 8,
            turn_deadline: Duration::from_secs(300),
            context_tokens: 6000,
            max_same_failure: 3,
            max_reply_tokens: 512,
            comment_words: contract::COMMENT_WORDS,
            own_words: false,
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
    /// The candidate's input ended (Ctrl-D, a closed pipe): as `/end`.
    EndOfInput,
    /// `/hint`: a nudge on what is on the table (it caps the question's score).
    Hint,
    /// `/repeat`: say the latest question or probe again.
    Repeat,
}

/// The result of a completed turn.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TurnOutput {
    /// Everything the interviewer said this turn.
    pub reply: String,
    /// Notes for the transcript (e.g. the loop ran out of steps, a judge fell back).
    pub notes: Vec<String>,
    pub ended: bool,
    /// The reply says again what was already said (`/repeat`): shown, not recorded again.
    pub repeated: bool,
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
    pub(super) model: Arc<dyn ChatModel>,
    pub(super) bank: Arc<Bank>,
    pub(super) tools: ToolRegistry,
    pub(super) specs: Vec<ToolSpec>,
    pub(super) judge: Option<Arc<Grader>>,
    pub(super) summarizer: Box<dyn Summarizer>,
    pub(super) counter: CachedCounter,
    /// Tokens of the system prompt and tool specs, which never change.
    pub(super) fixed_tokens: usize,
    pub(super) system_prompt: String,
    pub(super) config: AgentConfig,
    pub state: InterviewState,
    pub memory: Memory,
    /// Token usage of every model call so far (zero for the offline interviewer).
    pub usage: UsageTotals,
    pub(super) meter: Option<Arc<UsageMeter>>,
    /// The latest line the interviewer spoke in a turn (the question or probe), for `/repeat`.
    pub(super) last_line: String,
    /// What each question of the bank is about, to tell the model's follow-ups from other questions.
    pub(super) topics: OnceLock<super::topic::Topics>,
}

/// Builder inputs for an [`Agent`].
pub struct AgentParts {
    pub model: Arc<dyn ChatModel>,
    pub bank: Arc<Bank>,
    pub judge: Option<Arc<Grader>>,
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
pub(super) struct Work {
    pub(super) state: InterviewState,
    pub(super) memory: Memory,
    pub(super) reply: String,
    pub(super) notes: Vec<String>,
    /// The turn's state block and the candidate's words, to restate them after a fold.
    pub(super) pinned: String,
    pub(super) said: String,
    /// The question the candidate's answer this turn was to (it stays the one acknowledged after
    /// the interview moves on to the next).
    pub(super) answered: Option<String>,
}

impl Work {
    /// After old turns were folded into the summary: give the newest candidate message the new
    /// summary (a fold rewrites the prefix anyway).
    pub(super) fn restate(&mut self) {
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
            last_line: String::new(),
            topics: OnceLock::new(),
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
        let said = |reply: String, repeated: bool, sink: TextSink<'_>| {
            sink(&reply);
            sink("\n");
            TurnOutput {
                reply,
                repeated,
                ..TurnOutput::default()
            }
        };
        match input {
            CandidateInput::Hint => return Ok(said(self.hint(), false, sink)),
            CandidateInput::Repeat => {
                let line = if self.last_line.is_empty() {
                    crate::prompts::phrases::Phrases::get().no_question.clone()
                } else {
                    self.last_line.clone()
                };
                return Ok(said(line, true, sink));
            }
            _ => {}
        }
        let mut w = Work {
            state: self.state.clone(),
            memory: self.memory.clone(),
            reply: String::new(),
            notes: vec![],
            pinned: String::new(),
            said: String::new(),
            answered: None,
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
        if let Some(last) = reply.lines().last() {
            self.last_line = last.to_string();
        }
        Ok(TurnOutput {
            reply,
            notes: w.notes,
            ended: self.state.is_over(),
            repeated: false,
        })
    }

    /// The interview is over: record why (the candidate ended it, unless it ended by itself) and
    /// give the spoken wrap-up.
    pub fn finish(&mut self) -> String {
        if self.state.ended.is_none() {
            self.state.ended = Some("the candidate ended the interview".into());
        }
        super::wrapup::summary(&self.state, &self.bank)
    }

    async fn run_turn(&self, w: &mut Work, input: CandidateInput) -> Result<(), TurnError> {
        let answered = matches!(input, CandidateInput::Answer(_));
        self.apply_input(w, input);
        let ran = TurnRun::new(self).run(w).await?;
        if !self.config.own_words {
            let open = self.on_table(&w.state);
            w.reply = contract::brief(&w.reply, open.as_deref(), self.config.comment_words);
        }
        if ran.completed {
            self.ensure_progress(w, ran.moved).await;
        } else {
            self.fallback(w).await;
        }
        self.keep_contract(w, answered, ran.moved).await;
        w.memory.said_this_turn(&w.reply);
        Ok(())
    }

    /// Apply the candidate's input to the state, then remember it with the turn's state block at
    /// its head (fixed for the turn: tool results tell the model what changes during it).
    pub(super) fn apply_input(&self, w: &mut Work, input: CandidateInput) {
        let over = w.state.is_over();
        let text = match input {
            CandidateInput::Begin if w.state.questions.is_empty() => Stage::Ready.render(),
            CandidateInput::Begin => match self.on_table(&w.state) {
                Some(open) => Stage::BackOpen { open }.render(),
                None => Stage::Back.render(),
            },
            CandidateInput::Answer(text) => {
                if let Some(cur) = w.state.current_mut().filter(|_| !over) {
                    cur.add_answer(text.clone());
                    w.answered = Some(cur.id.clone());
                }
                text
            }
            CandidateInput::Skip => {
                if let Some(cur) = w.state.current_mut().filter(|_| !over) {
                    cur.skip();
                }
                Stage::Skipped.render()
            }
            // Answered by `respond` itself, without the model.
            CandidateInput::Hint | CandidateInput::Repeat => return,
            CandidateInput::End | CandidateInput::EndOfInput => {
                w.state.end_requested = true;
                Stage::End.render()
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
    pub(super) async fn fit_context(&self, w: &mut Work) -> usize {
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
    pub(super) async fn fold_all(&self, w: &mut Work) {
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
}
