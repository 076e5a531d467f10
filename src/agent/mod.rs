//! The interviewer agent: the ReAct loop, the interview state and the bounded context memory.

pub mod acknowledgement;
mod compose;
mod context;
pub mod contract;
pub mod draft;
pub mod follow_up;
mod interviewer;
pub mod memory;
pub mod plan;
mod progress;
pub mod question;
mod react;
pub mod tokens;
mod turn;
pub mod usage;
pub mod wrapup;

/// The spoken phrases live with the other prompts.
pub use crate::prompts::phrases;
/// The interview state and the probing policy live a layer below the agent.
pub use crate::state::{self, probing};

pub use interviewer::{Agent, AgentConfig, AgentParts, CandidateInput, TurnError, TurnOutput};
