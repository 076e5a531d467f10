//! The interviewer agent: the ReAct loop, the interview state and the bounded context memory.

pub mod contract;
pub mod memory;
pub mod phrases;
pub mod plan;
pub mod probing;
pub mod prompt;
pub mod react;
pub mod state;
pub mod tokens;
pub mod usage;
pub mod wrapup;

pub use react::{Agent, AgentConfig, AgentParts, CandidateInput, TurnError, TurnOutput};
