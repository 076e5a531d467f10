//! Everything under `prompts/`, loaded in one place: the interviewer's system prompt per mode, the
//! judge, summariser and text-tool prompts, the tool descriptions, the help text, the spoken
//! phrases and the stage directions.

pub mod interviewer;
pub mod judge;
pub mod phrases;
pub mod stage;

pub use interviewer::interviewer;

/// The summariser's prompt.
pub const SUMMARIZER: &str = include_str!("../../prompts/summarizer.md");
/// The text tool protocol, for servers without native tool calls.
pub const TEXT_TOOLS: &str = include_str!("../../prompts/text_tools.md");
/// The agent's tool descriptions (TOML, one table per tool).
pub const TOOLS: &str = include_str!("../../prompts/tools.toml");
/// The REPL's `/help` text.
pub const HELP: &str = include_str!("../../prompts/help.txt");
