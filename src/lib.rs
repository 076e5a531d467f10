//! `interviewer`: a terminal mock interviewer for LLM-engineering jobs.

pub mod agent;
pub mod bank;
pub mod cli;
pub mod commands;
pub mod interview;
pub mod model;
pub mod repl;
pub mod report;
pub mod scoring;
pub mod session;
pub mod strings;
pub mod tools;
