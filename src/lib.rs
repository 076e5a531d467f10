//! `interviewer`: a terminal mock interviewer for LLM-engineering jobs.
//!
//! Layers, bottom to top; a module uses only the modules below it (checked by `tests/layers.rs`):
//!
//! layers: bank, strings, spoken, prompts, model, scoring, state, session, tools, offline, agent, voice, repl, report, interview, cli, commands
//!
//! - `bank`: questions and rubrics, loading and validation
//! - `strings`: small text helpers shared by every layer
//! - `spoken`: how the candidate spoke (pace, pauses, fillers) and how long each answer took
//! - `prompts`: everything under `prompts/` (system prompts, phrases, help)
//! - `model`: the `ChatModel` trait, the OpenAI-compatible client, text tools
//! - `scoring`: the rubric scorer, the LLM judge, grading and calibration
//! - `state`: the interview state, the probing policy, memory and usage records
//! - `session`: session files, history, saved calibrations
//! - `tools`: the agent's tools and their typed outcomes
//! - `offline`: the embedded offline interviewer, a `ChatModel` that reads the tools' typed outcomes
//! - `agent`: the ReAct loop, its memory, the turn contract and what a follow-up is about
//! - `voice`: speaking the interviewer's lines, recording and transcribing the candidate's
//! - `repl`: line editing, commands, output
//! - `report`: reviews in text, Markdown, HTML and JSON
//! - `interview`: a running interview (agent + REPL + session file)
//! - `cli`: the command line (clap)
//! - `commands`: one file per subcommand; `anyhow` lives here

pub mod agent;
pub mod bank;
pub mod cli;
pub mod commands;
pub mod interview;
pub mod model;
pub mod offline;
pub mod prompts;
pub mod repl;
pub mod report;
pub mod scoring;
pub mod session;
pub mod spoken;
pub mod state;
pub mod strings;
pub mod tools;
pub mod voice;
