//! Slash commands a candidate can type instead of an answer, and the parser that tells them apart.
//!
//! Pure functions only: the editor and the plain source hand their lines here.

/// What a candidate can ask of the interviewer besides answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidateCommand {
    /// Move on to the next question without answering.
    Skip,
    /// Ask for a nudge on the current question.
    Hint,
    /// Hear the interviewer's last line again.
    Repeat,
    /// Finish the interview now.
    End,
    /// List the commands.
    Help,
}

/// One line (or multi-line block) of candidate input, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Answer text, trimmed; may span several lines.
    Answer(String),
    /// A recognised slash command.
    Command(CandidateCommand),
    /// A slash word that is no command, as typed (e.g. `/foo`).
    Unknown(String),
    /// Nothing but whitespace.
    Empty,
}

/// Every spelling of every command; the first spelling of each is the canonical one.
const SPELLINGS: &[(CandidateCommand, &[&str])] = &[
    (CandidateCommand::Skip, &["/skip", "/pass"]),
    (CandidateCommand::Hint, &["/hint"]),
    (CandidateCommand::Repeat, &["/repeat", "/again"]),
    (CandidateCommand::End, &["/end", "/quit", "/q", "/exit"]),
    (CandidateCommand::Help, &["/help", "/?"]),
];

impl CandidateCommand {
    /// Every command, in the order the help lists them.
    pub const ALL: [CandidateCommand; 5] = [
        CandidateCommand::Skip,
        CandidateCommand::Hint,
        CandidateCommand::Repeat,
        CandidateCommand::End,
        CandidateCommand::Help,
    ];

    /// The canonical spelling, with its slash (`/skip`).
    pub fn name(self) -> &'static str {
        self.spellings()[0]
    }

    /// All accepted spellings, canonical first.
    pub fn spellings(self) -> &'static [&'static str] {
        SPELLINGS
            .iter()
            .find(|(c, _)| *c == self)
            .map(|(_, s)| *s)
            .unwrap_or(&[])
    }

    /// The command a single word names (case-insensitive), if any.
    pub fn from_word(word: &str) -> Option<CandidateCommand> {
        let word = word.to_ascii_lowercase();
        SPELLINGS
            .iter()
            .find(|(_, s)| s.contains(&word.as_str()))
            .map(|(c, _)| *c)
    }
}

/// Canonical command names (`/skip`, `/hint`, ...) for completion.
pub fn command_names() -> impl Iterator<Item = &'static str> {
    CandidateCommand::ALL
        .into_iter()
        .map(CandidateCommand::name)
}

/// Every accepted spelling, for completion of aliases too.
pub fn all_spellings() -> impl Iterator<Item = &'static str> {
    SPELLINGS.iter().flat_map(|(_, s)| s.iter().copied())
}

/// Classify candidate input.
///
/// - Surrounding whitespace is trimmed; blank input is [`Input::Empty`].
/// - Input spanning several lines is always an answer (pasted text may start with a slash).
/// - A single line starting with `//` is an answer with one slash removed.
/// - A single line starting with `/` is a command, matched case-insensitively on its first word
///   (any words after it are ignored), or [`Input::Unknown`] with that first word.
/// - Anything else is an answer.
pub fn parse(line: &str) -> Input {
    let text = line.trim();
    if text.is_empty() {
        return Input::Empty;
    }
    if text.contains('\n') {
        return Input::Answer(text.to_string());
    }
    if let Some(rest) = text.strip_prefix("//") {
        let answer = format!("/{rest}");
        return Input::Answer(answer);
    }
    if text.starts_with('/') {
        let word = text.split_whitespace().next().unwrap_or(text);
        return match CandidateCommand::from_word(word) {
            Some(cmd) => Input::Command(cmd),
            None => Input::Unknown(word.to_string()),
        };
    }
    Input::Answer(text.to_string())
}

/// The command list shown by `/help`, one line per command (the hint caps filled in from the
/// state's own values).
pub fn help_text() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        let [first, second] = crate::state::HINT_CAPS;
        crate::prompts::HELP
            .trim_end()
            .replace("{first_cap}", &first.to_string())
            .replace("{second_cap}", &second.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(c: CandidateCommand) -> Input {
        Input::Command(c)
    }

    #[test]
    fn every_command_and_alias_parses() {
        use CandidateCommand::*;
        let cases = [
            ("/skip", Skip),
            ("/pass", Skip),
            ("/hint", Hint),
            ("/repeat", Repeat),
            ("/again", Repeat),
            ("/end", End),
            ("/quit", End),
            ("/q", End),
            ("/exit", End),
            ("/help", Help),
            ("/?", Help),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), cmd(want), "{text}");
        }
    }

    #[test]
    fn help_says_what_repeat_repeats() {
        let line = help_text()
            .lines()
            .find(|l| l.starts_with("/repeat"))
            .expect("/repeat is listed");
        assert!(line.contains("the interviewer's last line"), "{line}");
        assert!(!line.contains("current question"), "{line}");
    }

    #[test]
    fn case_and_surrounding_space_do_not_matter() {
        assert_eq!(parse("/SKIP "), cmd(CandidateCommand::Skip));
        assert_eq!(parse("  /Hint\t"), cmd(CandidateCommand::Hint));
        assert_eq!(parse("\n/QUIT\r\n"), cmd(CandidateCommand::End));
        assert_eq!(parse("/Help"), cmd(CandidateCommand::Help));
    }

    #[test]
    fn words_after_a_command_are_ignored() {
        assert_eq!(parse("/hint please"), cmd(CandidateCommand::Hint));
        assert_eq!(
            parse("/skip   I don't know this one"),
            cmd(CandidateCommand::Skip)
        );
    }

    #[test]
    fn unknown_slash_words_keep_the_word() {
        assert_eq!(parse("/foo"), Input::Unknown("/foo".into()));
        assert_eq!(parse(" /Foo bar "), Input::Unknown("/Foo".into()));
        assert_eq!(parse("/"), Input::Unknown("/".into()));
        assert_eq!(parse("/h"), Input::Unknown("/h".into()));
        assert_eq!(parse("/skipping"), Input::Unknown("/skipping".into()));
        assert_eq!(
            parse("/usr/bin is a path"),
            Input::Unknown("/usr/bin".into())
        );
    }

    #[test]
    fn blank_input_is_empty() {
        assert_eq!(parse(""), Input::Empty);
        assert_eq!(parse("   "), Input::Empty);
        assert_eq!(parse("\t\n  \n"), Input::Empty);
    }

    #[test]
    fn plain_text_is_a_trimmed_answer() {
        assert_eq!(
            parse("  Attention scales by sqrt(d_k).  "),
            Input::Answer("Attention scales by sqrt(d_k).".into())
        );
        assert_eq!(parse("skip"), Input::Answer("skip".into()));
        assert_eq!(parse("a/b testing"), Input::Answer("a/b testing".into()));
    }

    #[test]
    fn double_slash_escapes_one_slash() {
        assert_eq!(parse("//skip"), Input::Answer("/skip".into()));
        assert_eq!(
            parse("  //usr/bin holds it "),
            Input::Answer("/usr/bin holds it".into())
        );
        assert_eq!(parse("///"), Input::Answer("//".into()));
        assert_eq!(parse("//"), Input::Answer("/".into()));
    }

    #[test]
    fn multi_line_input_is_always_an_answer() {
        assert_eq!(
            parse("first line\n  second line\n"),
            Input::Answer("first line\n  second line".into())
        );
        assert_eq!(
            parse("/skip\nbut really"),
            Input::Answer("/skip\nbut really".into())
        );
        assert_eq!(
            parse("// code\nfn x()"),
            Input::Answer("// code\nfn x()".into())
        );
    }

    #[test]
    fn names_and_spellings_agree() {
        for c in CandidateCommand::ALL {
            assert!(c.name().starts_with('/'));
            assert_eq!(CandidateCommand::from_word(c.name()), Some(c));
            for s in c.spellings() {
                assert_eq!(parse(s), cmd(c));
            }
        }
        assert_eq!(command_names().count(), CandidateCommand::ALL.len());
        assert!(all_spellings().count() > command_names().count());
    }

    #[test]
    fn help_lists_every_command_once_per_line() {
        let help = help_text();
        for c in CandidateCommand::ALL {
            let lines = help.lines().filter(|l| l.starts_with(c.name())).count();
            assert_eq!(lines, 1, "{} in help", c.name());
        }
        assert!(!help.ends_with('\n'));
    }
}
