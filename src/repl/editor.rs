//! The interactive source: a line editor with a prompt showing where the interview is, multi-line
//! answers, persistent history and completion of slash commands.
//!
//! Keys: Enter submits; Ctrl-J or Alt-Enter inserts a line break; a line ending in `\` continues on
//! the next line; pasted text (bracketed paste) is inserted whole; Tab completes a slash command;
//! Ctrl-C abandons the line; Ctrl-D on an empty line ends the input.

use super::helper::{CandidateHelper, join_continuations};
use super::output::Printer;
use super::{LineSource, Notifier, PromptInfo, ReadResult};
use rustyline::ExternalPrinter;
use rustyline::config::{ColorMode, CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{Cmd, Editor, EventHandler, KeyCode, KeyEvent, Modifiers};
use std::io::ErrorKind;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

const HISTORY_SIZE: usize = 1000;

/// The prompt shows the time on the question only from this much on. The prompt is drawn once, as
/// the question is put, and does not tick: there it would always read 0:00. Drawn again later (after
/// a hint, a command or a cancelled line), it tells how long the question has been open.
const CLOCK_SHOWN_FROM: std::time::Duration = std::time::Duration::from_secs(10);

/// The prompt text without colour, e.g. `[first-round 2/6] you> `.
pub fn prompt_text(info: &PromptInfo) -> String {
    format!("[{}] you> ", prompt_position(info))
}

/// The prompt with colour; the same width on screen as [`prompt_text`].
pub fn styled_prompt(info: &PromptInfo) -> String {
    format!(
        "\x1b[2m[{}]\x1b[0m \x1b[1;32myou>\x1b[0m ",
        prompt_position(info)
    )
}

fn prompt_position(info: &PromptInfo) -> String {
    let position = match (info.question, info.total) {
        (0, _) => info.mode.as_str().to_string(),
        (q, 0) => format!("{} {q}", info.mode),
        (q, t) => format!("{} {q}/{t}", info.mode),
    };
    match info.elapsed {
        Some(e) if e >= CLOCK_SHOWN_FROM => {
            format!("{position} {}", crate::spoken::clock(e.as_secs_f64()))
        }
        _ => position,
    }
}

/// Reads candidate input through rustyline.
pub struct EditorSource {
    editor: Editor<CandidateHelper, FileHistory>,
    history: Option<PathBuf>,
    color: bool,
    notes: Printer,
    /// Prints notes above the line being edited (created on first use).
    external: Option<Arc<Mutex<Box<dyn ExternalPrinter + Send>>>>,
}

impl EditorSource {
    /// Set up the editor, loading history from `history` if given. History problems are reported
    /// once as a note and otherwise ignored.
    pub fn new(history: Option<PathBuf>, color: bool) -> Result<EditorSource, ReadlineError> {
        let config = Config::builder()
            .auto_add_history(false)
            .max_history_size(HISTORY_SIZE)?
            .history_ignore_dups(true)?
            .completion_type(CompletionType::List)
            .color_mode(if color {
                ColorMode::Enabled
            } else {
                ColorMode::Disabled
            })
            .bracketed_paste(true)
            .build();
        let mut editor: Editor<CandidateHelper, FileHistory> = Editor::with_config(config)?;
        editor.set_helper(Some(CandidateHelper { color }));
        editor.bind_sequence(KeyEvent::ctrl('J'), EventHandler::Simple(Cmd::Newline));
        editor.bind_sequence(
            KeyEvent(KeyCode::Enter, Modifiers::ALT),
            EventHandler::Simple(Cmd::Newline),
        );
        let notes = Printer::new(true, color);
        let mut source = EditorSource {
            editor,
            history: None,
            color,
            notes,
            external: None,
        };
        if let Some(path) = history {
            source.history = source.load_history(path);
        }
        Ok(source)
    }

    /// Load history; `None` (after one note) if the file cannot be used.
    fn load_history(&mut self, path: PathBuf) -> Option<PathBuf> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            self.history_note(&path, &e.to_string());
            return None;
        }
        match self.editor.load_history(&path) {
            Ok(()) => Some(path),
            Err(ReadlineError::Io(e)) if e.kind() == ErrorKind::NotFound => Some(path),
            Err(e) => {
                self.history_note(&path, &e.to_string());
                None
            }
        }
    }

    fn history_note(&self, path: &std::path::Path, why: &str) {
        self.notes.info(&format!(
            "input history disabled ({}: {why})",
            path.display()
        ));
    }

    fn remember(&mut self, entry: &str) {
        if entry.trim().is_empty() {
            return;
        }
        if self.editor.add_history_entry(entry).is_err() {
            return;
        }
        if let Some(path) = self.history.clone()
            && let Err(e) = self.editor.append_history(&path)
        {
            self.history_note(&path, &e.to_string());
            self.history = None;
        }
    }
}

impl EditorSource {
    fn read_with(&mut self, info: &PromptInfo, initial: &str) -> ReadResult {
        let raw = prompt_text(info);
        let result = if self.color {
            self.editor
                .readline_with_initial(&(raw, styled_prompt(info)), (initial, ""))
        } else {
            self.editor
                .readline_with_initial(raw.as_str(), (initial, ""))
        };
        match result {
            Ok(line) => {
                let line = join_continuations(&line);
                self.remember(&line);
                ReadResult::Line(line)
            }
            Err(ReadlineError::Interrupted) => ReadResult::Interrupted,
            Err(ReadlineError::Eof) => ReadResult::Eof,
            Err(e) => {
                self.notes.error(&format!("cannot read input: {e}"));
                ReadResult::Eof
            }
        }
    }
}

impl LineSource for EditorSource {
    fn read(&mut self, info: &PromptInfo) -> ReadResult {
        self.read_with(info, "")
    }

    fn edit(&mut self, info: &PromptInfo, text: &str) -> ReadResult {
        self.read_with(info, text)
    }

    fn notifier(&mut self) -> Notifier {
        if self.external.is_none() {
            self.external = self
                .editor
                .create_external_printer()
                .ok()
                .map(|p| Arc::new(Mutex::new(Box::new(p) as Box<dyn ExternalPrinter + Send>)));
        }
        let Some(external) = self.external.clone() else {
            return Box::new(|note| eprintln!("{note}"));
        };
        let notes = self.notes.clone();
        Box::new(move |note| {
            let printed = external
                .lock()
                .map(|mut p| p.print(format!("{note}\n")).is_ok())
                .unwrap_or(false);
            if !printed {
                notes.info(&note);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::Mode;

    fn info(mode: Mode, question: usize, total: usize) -> PromptInfo {
        PromptInfo {
            mode,
            question,
            total,
            elapsed: None,
        }
    }

    /// Question 2 of 6 of a first round, open for `elapsed`.
    fn open_for(elapsed: std::time::Duration) -> PromptInfo {
        PromptInfo {
            elapsed: Some(elapsed),
            ..info(Mode::FirstRound, 2, 6)
        }
    }

    #[test]
    fn prompt_shows_mode_and_position() {
        assert_eq!(
            prompt_text(&info(Mode::FirstRound, 2, 6)),
            "[first-round 2/6] you> "
        );
        assert_eq!(
            prompt_text(&info(Mode::DeepDive, 1, 3)),
            "[deep-dive 1/3] you> "
        );
    }

    #[test]
    fn prompt_before_the_first_question_and_without_a_total() {
        assert_eq!(
            prompt_text(&info(Mode::FirstRound, 0, 6)),
            "[first-round] you> "
        );
        assert_eq!(
            prompt_text(&info(Mode::DeepDive, 4, 0)),
            "[deep-dive 4] you> "
        );
    }

    #[test]
    fn prompt_shows_the_time_on_the_question() {
        let i = open_for(std::time::Duration::from_secs(65));
        assert_eq!(prompt_text(&i), "[first-round 2/6 1:05] you> ");
    }

    #[test]
    fn a_prompt_drawn_as_the_question_is_put_shows_no_clock() {
        // It would read 0:00 for as long as the candidate takes: the prompt does not tick.
        let i = open_for(std::time::Duration::from_millis(40));
        assert_eq!(prompt_text(&i), "[first-round 2/6] you> ");
    }

    #[test]
    fn styled_prompt_has_the_same_visible_text() {
        let i = info(Mode::FirstRound, 2, 6);
        let styled = styled_prompt(&i);
        assert_ne!(styled, prompt_text(&i));
        assert_eq!(
            super::super::output::strip_controls(&styled),
            prompt_text(&i)
        );
    }
}
