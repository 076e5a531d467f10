//! The line editor's helper: completion and hints for slash commands, and the validator that lets
//! a trailing `\` continue an answer on the next line.

use super::commands::{all_spellings, command_names};
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};
use std::borrow::Cow;

/// Completer, hinter, highlighter and validator for the candidate's prompt.
#[derive(Debug, Clone, Copy, Default)]
pub struct CandidateHelper {
    /// Colour the inline hint.
    pub color: bool,
}

/// Whether the input ends in a continuation backslash (trailing spaces and tabs allowed), so the
/// editor should take another line instead of submitting.
pub fn needs_continuation(input: &str) -> bool {
    input.trim_end_matches([' ', '\t']).ends_with('\\')
}

/// Join continued lines: every line break preceded by a continuation backslash keeps the line
/// break and loses the backslash (and any spaces after it). Other text is unchanged.
pub fn join_continuations(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut lines = input.split('\n').peekable();
    while let Some(line) = lines.next() {
        let is_last = lines.peek().is_none();
        let trimmed = line.trim_end_matches([' ', '\t']);
        match trimmed.strip_suffix('\\') {
            Some(head) if !is_last => out.push_str(head),
            _ => out.push_str(line),
        }
        if !is_last {
            out.push('\n');
        }
    }
    out
}

/// Completion of a slash command being typed at the start of the input: the start of the word
/// and the matching spellings (canonical names first; aliases only when no name matches).
pub fn complete_command(line: &str, pos: usize) -> (usize, Vec<&'static str>) {
    let Some(typed) = line.get(..pos) else {
        return (0, Vec::new());
    };
    if !typed.starts_with('/') || typed.contains(char::is_whitespace) {
        return (0, Vec::new());
    }
    let prefix = typed.to_ascii_lowercase();
    let names: Vec<&str> = command_names().filter(|n| n.starts_with(&prefix)).collect();
    if !names.is_empty() {
        return (0, names);
    }
    (
        0,
        all_spellings().filter(|n| n.starts_with(&prefix)).collect(),
    )
}

/// The rest of the only command the input can still become, shown greyed after the cursor.
pub fn command_hint(line: &str, pos: usize) -> Option<String> {
    if pos != line.len() {
        return None;
    }
    let (_, matches) = complete_command(line, pos);
    match matches.as_slice() {
        [only] if only.len() > line.len() => only.get(line.len()..).map(str::to_string),
        _ => None,
    }
}

impl Completer for CandidateHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, names) = complete_command(line, pos);
        let pairs = names
            .into_iter()
            .map(|n| Pair {
                display: n.to_string(),
                replacement: n.to_string(),
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for CandidateHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<String> {
        command_hint(line, pos)
    }
}

impl Highlighter for CandidateHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }
}

impl Validator for CandidateHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        if needs_continuation(ctx.input()) {
            Ok(ValidationResult::Incomplete)
        } else {
            Ok(ValidationResult::Valid(None))
        }
    }
}

impl Helper for CandidateHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_backslash_continues() {
        assert!(needs_continuation("first part \\"));
        assert!(needs_continuation("first part\\  \t"));
        assert!(needs_continuation("line one\\\nline two\\"));
        assert!(needs_continuation("\\"));
    }

    #[test]
    fn other_input_is_complete() {
        assert!(!needs_continuation(""));
        assert!(!needs_continuation("an answer"));
        assert!(!needs_continuation("a \\ in the middle"));
        assert!(!needs_continuation("line one\\\nline two"));
        assert!(!needs_continuation("/skip"));
    }

    #[test]
    fn continued_lines_join_with_a_newline() {
        assert_eq!(join_continuations("first \\\nsecond"), "first \nsecond");
        assert_eq!(join_continuations("a\\  \nb\\\nc"), "a\nb\nc");
    }

    #[test]
    fn text_without_continuations_is_unchanged() {
        for s in [
            "plain",
            "two\nlines",
            "back\\slash inside",
            "",
            "ends with\\",
            "a\n\nb",
        ] {
            assert_eq!(join_continuations(s), s);
        }
    }

    #[test]
    fn completes_command_names_at_the_start() {
        assert_eq!(complete_command("/s", 2), (0, vec!["/skip"]));
        assert_eq!(complete_command("/H", 2), (0, vec!["/hint", "/help"]));
        assert_eq!(complete_command("/", 1).1.len(), 5);
        assert_eq!(complete_command("/qu", 3), (0, vec!["/quit"]));
    }

    #[test]
    fn no_completion_in_answers_or_after_a_space() {
        assert!(complete_command("answer /s", 9).1.is_empty());
        assert!(complete_command("/skip now", 9).1.is_empty());
        assert!(complete_command("/zzz", 4).1.is_empty());
        assert!(complete_command("", 0).1.is_empty());
        // A position inside a multi-byte character is not a place to complete.
        assert!(complete_command("/é", 2).1.is_empty());
    }

    #[test]
    fn hints_the_rest_of_a_unique_command() {
        assert_eq!(command_hint("/sk", 3), Some("ip".into()));
        assert_eq!(command_hint("/h", 2), None);
        assert_eq!(command_hint("/skip", 5), None);
        assert_eq!(command_hint("/sk", 1), None);
    }
}
