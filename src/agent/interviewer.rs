//! The interviewer agent and what a turn works on: its configuration, its parts, the candidate's
//! input and the turn's result. The modules above it add the agent's behaviour: [`super::react`]
//! runs a turn, [`super::turn`] calls the model, [`super::compose`] checks and says the line,
//! [`super::context`] keeps the request within its budget.

use super::acknowledgement::Vocabulary;
use super::memory::{Memory, Summarizer};
use super::tokens::{CachedCounter, TokenCounter};
use super::usage::UsageMeter;
use crate::bank::Bank;
use crate::model::{ChatModel, ModelError, ToolSpec};
use crate::state::InterviewState;
use crate::state::UsageTotals;
use crate::tools::{Grader, ToolRegistry};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Message framing of a request beyond its texts (roles, separators).
const FRAMING_TOKENS: usize = 8;

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
    /// The interviewer's words are the project's own (the offline interviewer): its fields are
    /// said as they are; the plan's and the verdict's checks still hold.
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
    /// The bank's technical words, which an acknowledgement does not use.
    pub(super) vocabulary: OnceLock<Vocabulary>,
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
    /// The question the candidate's answer this turn was to (it stays the one acknowledged after
    /// the interview moves on to the next).
    pub(super) answered: Option<String>,
    /// What the candidate did this turn.
    pub(super) heard: Heard,
    /// Words the model wrote beside its tool calls (the least trusted).
    pub(super) beside: String,
    /// The question the turn put (for `/repeat`).
    pub(super) last_line: String,
}

/// What the candidate did this turn, for the acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Heard {
    /// The interview starts or resumes.
    #[default]
    Began,
    Answered,
    Skipped,
    Ended,
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
            vocabulary: OnceLock::new(),
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
}
