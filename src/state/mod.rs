//! The interview's state, the source of truth the tools act on and every checkpoint saves: the
//! plan, the questions asked with their answers, probes and scores ([`interview`]), the probing
//! policy that reads it ([`probing`]), and the memory and usage records saved beside it.

pub mod interview;
pub mod probing;
pub mod record;

pub use interview::InterviewState;
pub use record::{Exchange, JudgeRecord, QuestionRecord, QuestionStatus};

use crate::model::Message;

/// Score caps after `/hint`: one hint, two or more.
pub const HINT_CAPS: [f32; 2] = [7.0, 5.0];
use serde::{Deserialize, Serialize};

/// Token accounting over the whole session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageTotals {
    pub llm_calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub max_prompt_tokens: u64,
    /// Prompt tokens the server reported as served from its prompt cache.
    #[serde(default)]
    pub cached_prompt_tokens: u64,
}

/// The model's bounded context, as kept between turns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemorySnapshot {
    /// The running summary of turns folded out of the context.
    #[serde(default)]
    pub summary: String,
    /// The newest messages (never split between a tool call and its results).
    #[serde(default)]
    pub recent: Vec<Message>,
}
