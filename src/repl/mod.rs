//! The terminal front end of an interview: where the candidate's input comes from and how the
//! interviewer's words are printed.
//!
//! Interactive sessions (standard input and output both terminals) use a line editor with a
//! prompt, history and multi-line answers, a spinner while the model thinks and speaker labels.
//! Otherwise input is read line by line with no prompt, and standard output carries only the
//! interviewer's words, so sessions can be scripted and piped.

pub mod clock;
pub mod commands;
pub mod editor;
pub mod helper;
pub mod output;
pub mod plain;

pub use commands::{CandidateCommand, Input, help_text, parse};
pub use output::{Printer, strip_controls};

use crate::bank::Mode;
use std::ffi::OsStr;
use std::io::{BufReader, IsTerminal};
use std::path::PathBuf;
use std::time::Duration;

/// What one read of candidate input produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadResult {
    /// A line (possibly several joined lines) of input.
    Line(String),
    /// The candidate pressed Ctrl-C at the prompt: the line is abandoned.
    Interrupted,
    /// No more input (Ctrl-D, end of a pipe).
    Eof,
}

/// Where the interview stands, for the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptInfo {
    /// The kind of interview.
    pub mode: Mode,
    /// 1-based number of the current question; 0 before the first.
    pub question: usize,
    /// Questions planned.
    pub total: usize,
    /// How long the candidate has been on what is on the table (shown in the prompt).
    pub elapsed: Option<Duration>,
}

/// Shows a note to the candidate while input is being read (from another thread).
pub type Notifier = Box<dyn FnMut(String) + Send>;

/// A source of candidate input.
pub trait LineSource {
    /// Read the next answer or command, showing a prompt built from `info` when interactive.
    fn read(&mut self, info: &PromptInfo) -> ReadResult;

    /// Read with `text` already typed in, for the candidate to edit and send (a transcript).
    /// Sources that cannot edit send it as it is.
    fn edit(&mut self, _info: &PromptInfo, text: &str) -> ReadResult {
        ReadResult::Line(text.to_string())
    }

    /// Whether someone can send a kept answer again (Enter after a failed turn). Piped input
    /// cannot: its next line is the next answer, so the interview sends the kept one itself.
    fn can_resend(&self) -> bool {
        true
    }

    /// Where notes go while a read is waiting (the timer's warnings): standard error by default.
    fn notifier(&mut self) -> Notifier {
        Box::new(|note| eprintln!("{note}"))
    }
}

/// Whether standard input and standard output are both terminals.
pub fn is_interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

/// Whether to colour: standard output is a terminal and `NO_COLOR` is unset or empty.
pub fn color_enabled() -> bool {
    color_allowed(
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

/// The colour rule as a pure function of its inputs.
pub fn color_allowed(stdout_is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    stdout_is_terminal && no_color.is_none_or(OsStr::is_empty)
}

/// The input source for a session: the line editor when `interactive` (falling back to plain
/// lines, with a note, if the terminal cannot be driven), otherwise plain lines from standard
/// input. `history` is the file for the editor's input history.
pub fn open_source(
    interactive: bool,
    history: Option<PathBuf>,
    color: bool,
) -> Box<dyn LineSource + Send> {
    if interactive {
        match editor::EditorSource::new(history, color) {
            Ok(source) => return Box::new(source),
            Err(e) => Printer::new(false, false).info(&format!(
                "line editing unavailable ({e}); reading plain lines"
            )),
        }
    }
    Box::new(plain::PlainSource::new(BufReader::new(std::io::stdin())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_needs_a_terminal_and_no_no_color() {
        assert!(color_allowed(true, None));
        assert!(color_allowed(true, Some(OsStr::new(""))));
        assert!(!color_allowed(true, Some(OsStr::new("1"))));
        assert!(!color_allowed(false, None));
    }

    #[test]
    fn sources_are_send() {
        fn is_send<T: Send>() {}
        is_send::<editor::EditorSource>();
        is_send::<plain::PlainSource<BufReader<std::io::Stdin>>>();
        is_send::<Printer>();
        fn is_sync<T: Sync>() {}
        is_sync::<Printer>();
    }
}
