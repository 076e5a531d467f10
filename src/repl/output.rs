//! What the candidate sees: the interviewer's words, a spinner while the model thinks, notes and
//! errors from the tool.
//!
//! Model text is untrusted: escape sequences and control characters are removed before anything
//! reaches the terminal, even when a sequence is split across streamed chunks. On a terminal the
//! interviewer's lines are wrapped at its width on word boundaries, as they stream.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use unicode_width::UnicodeWidthChar;

const LABEL: &str = "interviewer> ";
const BOLD_CYAN: &str = "\x1b[1;36m";
const DIM: &str = "\x1b[2m";
const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

/// Prints the interviewer's side of the conversation. Cheap to clone; clones share one state.
#[derive(Clone)]
pub struct Printer {
    interactive: bool,
    color: bool,
    width: Width,
    state: Arc<Mutex<State>>,
}

/// Where the interviewer's lines are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Width {
    /// Not at all (standard output is not a terminal: the words go out as they are).
    None,
    /// At the terminal's width, read at the start of each turn (it may have been resized).
    Terminal,
    /// At a fixed width (tests).
    Fixed(usize),
}

impl Width {
    fn columns(self) -> Option<usize> {
        match self {
            Width::None => None,
            Width::Terminal => console::Term::stdout()
                .size_checked()
                .map(|(_, cols)| usize::from(cols)),
            Width::Fixed(n) => Some(n),
        }
    }
}

struct State {
    out: Box<dyn Write + Send>,
    err: Box<dyn Write + Send>,
    spinner: Option<ProgressBar>,
    in_reply: bool,
    at_line_start: bool,
    filter: ControlFilter,
    wrap: LineWrap,
}

impl Printer {
    /// A printer on standard output (interviewer) and standard error (notes, errors, spinner);
    /// the interviewer's lines are wrapped at the terminal's width when standard output is one.
    pub fn new(interactive: bool, color: bool) -> Printer {
        let mut p = Printer::with_writers(
            interactive,
            color,
            Box::new(io::stdout()),
            Box::new(io::stderr()),
        );
        if io::stdout().is_terminal() {
            p.width = Width::Terminal;
        }
        p
    }

    /// Wrap the interviewer's lines at `columns` (none: as they are).
    pub fn wrapping_at(mut self, columns: Option<usize>) -> Printer {
        self.width = columns.map_or(Width::None, Width::Fixed);
        self
    }

    /// A printer on the given writers (tests, embedding). The spinner still draws on stderr, and
    /// only when `interactive`.
    pub fn with_writers(
        interactive: bool,
        color: bool,
        out: Box<dyn Write + Send>,
        err: Box<dyn Write + Send>,
    ) -> Printer {
        Printer {
            interactive,
            color,
            width: Width::None,
            state: Arc::new(Mutex::new(State {
                out,
                err,
                spinner: None,
                in_reply: false,
                at_line_start: true,
                filter: ControlFilter::default(),
                wrap: LineWrap::default(),
            })),
        }
    }

    /// Whether this printer decorates for a terminal (labels, spinner).
    pub fn is_interactive(&self) -> bool {
        self.interactive
    }

    /// Whether this printer colours its output.
    pub fn color(&self) -> bool {
        self.color
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Start a spinner on stderr while the model thinks (interactive only; idempotent).
    pub fn waiting(&self) {
        if !self.interactive {
            return;
        }
        let mut st = self.lock();
        if st.spinner.is_some() {
            return;
        }
        let bar = ProgressBar::new_spinner();
        bar.set_draw_target(ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
            bar.set_style(style);
        }
        bar.set_message("thinking");
        bar.enable_steady_tick(Duration::from_millis(100));
        st.spinner = Some(bar);
    }

    /// Print interviewer text as it streams. The first chunk of a turn stops the spinner and, when
    /// interactive, prints the speaker label.
    pub fn chunk(&self, text: &str) {
        let mut st = self.lock();
        if let Some(bar) = st.spinner.take() {
            bar.finish_and_clear();
        }
        let clean = st.filter.push(text);
        let mut buf = String::new();
        if !st.in_reply {
            st.in_reply = true;
            let mut col = if st.at_line_start { 0 } else { usize::MAX };
            if self.interactive {
                if !st.at_line_start {
                    buf.push('\n');
                }
                buf.push_str(&self.paint(BOLD_CYAN, LABEL));
                col = LABEL.chars().count();
            }
            // Continuation lines stand under the first word, after the label.
            let indent = if self.interactive { col } else { 0 };
            st.wrap = LineWrap::start(self.width.columns(), col, indent);
        }
        let wrapped = st.wrap.push(&clean);
        buf.push_str(&wrapped);
        if buf.is_empty() {
            return;
        }
        st.at_line_start = buf.ends_with('\n');
        let _ = st.out.write_all(buf.as_bytes());
        let _ = st.out.flush();
    }

    /// Finish the interviewer's turn: end the line if needed and stop a spinner no chunk stopped.
    pub fn end_reply(&self) {
        let mut st = self.lock();
        if let Some(bar) = st.spinner.take() {
            bar.finish_and_clear();
        }
        st.filter.finish();
        let tail = st.wrap.finish();
        if !tail.is_empty() {
            let _ = st.out.write_all(tail.as_bytes());
            st.at_line_start = tail.ends_with('\n');
        }
        if st.in_reply && !st.at_line_start {
            let _ = st.out.write_all(b"\n");
            st.at_line_start = true;
        }
        st.in_reply = false;
        let _ = st.out.flush();
    }

    /// A whole interviewer line at once.
    pub fn say(&self, text: &str) {
        self.chunk(text);
        self.end_reply();
    }

    /// A note from the tool (dim when coloured), to stderr.
    pub fn info(&self, text: &str) {
        let line = format!("{}\n", self.paint(DIM, &strip_controls(text)));
        self.to_stderr(&line);
    }

    /// A one-line error, to stderr (line breaks in `text` become spaces).
    pub fn error(&self, text: &str) {
        let one_line = strip_controls(&text.replace(['\n', '\r'], " "));
        let line = format!("{}\n", self.paint(RED, one_line.trim_end()));
        self.to_stderr(&line);
    }

    fn to_stderr(&self, line: &str) {
        let mut st = self.lock();
        let st = &mut *st;
        let err = &mut st.err;
        let mut write = || {
            let _ = err.write_all(line.as_bytes());
            let _ = err.flush();
        };
        match &st.spinner {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}

/// Word wrapping of streamed text: a word is held until the space after it shows whether it
/// still fits on the line; words longer than a line are left whole.
#[derive(Debug, Default)]
struct LineWrap {
    /// Columns of the terminal; `None` passes text through untouched.
    width: Option<usize>,
    /// Spaces before a continuation line.
    indent: usize,
    /// The column the next character goes to.
    col: usize,
    /// A line break was written and its continuation's indent is still to come (it is only
    /// written before more words, never as trailing spaces).
    indent_due: bool,
    word: String,
    word_w: usize,
    /// The spaces between the last word written and the held one.
    gap: String,
}

impl LineWrap {
    fn start(width: Option<usize>, col: usize, indent: usize) -> LineWrap {
        // Past the line's start (`usize::MAX`): a fresh line is not known, so nothing is wrapped.
        let width = width.filter(|_| col != usize::MAX);
        LineWrap {
            width,
            indent,
            col,
            ..LineWrap::default()
        }
    }

    fn push(&mut self, text: &str) -> String {
        let Some(width) = self.width else {
            return text.to_string();
        };
        let mut out = String::new();
        for c in text.chars() {
            match c {
                '\n' => {
                    self.flush(&mut out, width);
                    self.gap.clear();
                    out.push('\n');
                    self.col = self.indent;
                    self.indent_due = self.indent > 0;
                }
                ' ' | '\t' => {
                    self.flush(&mut out, width);
                    self.gap.push(c);
                }
                c => {
                    self.word.push(c);
                    self.word_w += c.width().unwrap_or(0);
                }
            }
        }
        out
    }

    /// The held word, at the end of the text.
    fn finish(&mut self) -> String {
        let mut out = String::new();
        if let Some(width) = self.width {
            self.flush(&mut out, width);
        }
        self.gap.clear();
        out
    }

    fn flush(&mut self, out: &mut String, width: usize) {
        if self.word.is_empty() {
            return;
        }
        let gap_w = self.gap.chars().count();
        let on_line = self.col > self.indent;
        if on_line && self.col + gap_w + self.word_w > width {
            out.push('\n');
            out.push_str(&" ".repeat(self.indent));
            self.col = self.indent;
            self.indent_due = false;
        } else {
            if self.indent_due {
                out.push_str(&" ".repeat(self.indent));
                self.indent_due = false;
            }
            out.push_str(&self.gap);
            self.col += gap_w;
        }
        self.gap.clear();
        out.push_str(&self.word);
        self.col += self.word_w;
        self.word.clear();
        self.word_w = 0;
    }
}

/// Remove escape sequences and control characters from `text`, keeping `\n` and `\t`.
pub fn strip_controls(text: &str) -> String {
    let mut filter = ControlFilter::default();
    let out = filter.push(text);
    filter.finish();
    out
}

/// A streaming filter for escape sequences and control characters, carrying an unfinished
/// sequence from one chunk to the next.
#[derive(Debug, Default, Clone)]
pub struct ControlFilter {
    state: Seq,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Seq {
    #[default]
    Text,
    /// After ESC.
    Esc,
    /// After ESC and an intermediate byte (e.g. `ESC ( B`).
    EscIntermediate,
    /// Control sequence: `ESC [` ... final byte.
    Csi,
    /// OSC / DCS / PM / APC string, ended by BEL or ST.
    Str,
    /// ESC inside such a string (the start of ST).
    StrEsc,
}

impl ControlFilter {
    /// Filter the next piece of text.
    pub fn push(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            self.feed(c, &mut out);
        }
        out
    }

    /// Drop any unfinished sequence; the next text starts clean.
    pub fn finish(&mut self) {
        self.state = Seq::Text;
    }

    fn feed(&mut self, c: char, out: &mut String) {
        match self.state {
            Seq::Text => self.text_char(c, out),
            Seq::Esc => {
                self.state = match c {
                    '[' => Seq::Csi,
                    ']' | 'P' | 'X' | '^' | '_' => Seq::Str,
                    ' '..='/' => Seq::EscIntermediate,
                    '\x1b' => Seq::Esc,
                    c if c.is_control() || !c.is_ascii() => {
                        self.state = Seq::Text;
                        return self.text_char(c, out);
                    }
                    _ => Seq::Text,
                };
            }
            Seq::EscIntermediate => match c {
                ' '..='/' => {}
                '0'..='~' => self.state = Seq::Text,
                _ => {
                    self.state = Seq::Text;
                    self.text_char(c, out);
                }
            },
            Seq::Csi => match c {
                // Parameter and intermediate bytes.
                ' '..='?' => {}
                // Final byte.
                '@'..='~' => self.state = Seq::Text,
                // Not a well-formed sequence: drop what came so far, keep this character.
                _ => {
                    self.state = Seq::Text;
                    self.text_char(c, out);
                }
            },
            Seq::Str => match c {
                '\x07' | '\u{9c}' => self.state = Seq::Text,
                '\x1b' => self.state = Seq::StrEsc,
                // A line break never belongs to a terminal string: treat it as the end.
                '\n' => {
                    self.state = Seq::Text;
                    out.push('\n');
                }
                _ => {}
            },
            Seq::StrEsc => {
                self.state = if c == '\\' { Seq::Text } else { Seq::Str };
            }
        }
    }

    fn text_char(&mut self, c: char, out: &mut String) {
        match c {
            '\n' | '\t' => out.push(c),
            '\x1b' => self.state = Seq::Esc,
            '\u{9b}' => self.state = Seq::Csi,
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => self.state = Seq::Str,
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn printer(interactive: bool, color: bool) -> (Printer, Shared, Shared) {
        let (out, err) = (Shared::default(), Shared::default());
        let p = Printer::with_writers(
            interactive,
            color,
            Box::new(out.clone()),
            Box::new(err.clone()),
        );
        (p, out, err)
    }

    #[test]
    fn strips_colour_and_cursor_sequences() {
        assert_eq!(strip_controls("\x1b[1;31mred\x1b[0m text"), "red text");
        assert_eq!(strip_controls("a\x1b[2Jb\x1b[Hc"), "abc");
        assert_eq!(strip_controls("\x1b(Bplain"), "plain");
        assert_eq!(strip_controls("x\x1b7y\x1b8z"), "xyz");
    }

    #[test]
    fn strips_osc_strings_such_as_titles_and_links() {
        assert_eq!(strip_controls("\x1b]0;evil title\x07after"), "after");
        assert_eq!(
            strip_controls("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"),
            "link"
        );
        assert_eq!(strip_controls("\x1bPq#0;2;0\x1b\\ok"), "ok");
    }

    #[test]
    fn keeps_newlines_tabs_and_unicode_drops_other_controls() {
        assert_eq!(strip_controls("a\tb\nc"), "a\tb\nc");
        assert_eq!(strip_controls("line\r\nnext\r"), "line\nnext");
        assert_eq!(
            strip_controls("bell\x07 back\x08 nul\0 del\x7f"),
            "bell back nul del"
        );
        assert_eq!(
            strip_controls("softmax → √d_k, é, 注意"),
            "softmax → √d_k, é, 注意"
        );
        assert_eq!(strip_controls("c1\u{9b}31mx\u{85}y"), "c1xy");
    }

    #[test]
    fn malformed_sequences_do_not_swallow_text() {
        assert_eq!(strip_controls("\x1b[12é rest"), "é rest");
        assert_eq!(
            strip_controls("\x1b]unterminated\nnext line"),
            "\nnext line"
        );
        assert_eq!(strip_controls("tail\x1b"), "tail");
        assert_eq!(strip_controls("tail\x1b[3"), "tail");
    }

    #[test]
    fn sequences_split_across_chunks_are_removed() {
        let mut f = ControlFilter::default();
        let mut out = f.push("hello \x1b[");
        out += &f.push("1;3");
        out += &f.push("2mworld\x1b");
        out += &f.push("]0;t\x1b");
        out += &f.push("\\!");
        assert_eq!(out, "hello world!");
    }

    #[test]
    fn plain_printer_writes_text_exactly_and_ends_the_line() {
        let (p, out, err) = printer(false, false);
        p.waiting();
        p.chunk("What is ");
        p.chunk("RoPE?");
        p.end_reply();
        p.say("Next.\n");
        p.end_reply();
        assert_eq!(out.text(), "What is RoPE?\nNext.\n");
        assert_eq!(err.text(), "");
    }

    #[test]
    fn plain_printer_strips_model_escapes() {
        let (p, out, _) = printer(false, false);
        p.say("\x1b[31mred\x1b[0m\x07");
        assert_eq!(out.text(), "red\n");
    }

    #[test]
    fn end_reply_without_chunks_prints_nothing() {
        let (p, out, _) = printer(false, false);
        p.waiting();
        p.end_reply();
        let (q, qout, _) = printer(true, false);
        q.end_reply();
        assert_eq!(out.text(), "");
        assert_eq!(qout.text(), "");
    }

    #[test]
    fn interactive_printer_labels_each_turn_once() {
        let (p, out, _) = printer(true, false);
        p.chunk("Hello");
        p.chunk(", candidate.");
        p.end_reply();
        p.say("Second turn");
        assert_eq!(
            out.text(),
            "interviewer> Hello, candidate.\ninterviewer> Second turn\n"
        );
    }

    #[test]
    fn coloured_label_and_dim_info() {
        let (p, out, err) = printer(true, true);
        p.say("Hi");
        p.info("saved");
        assert_eq!(out.text(), format!("{BOLD_CYAN}{LABEL}{RESET}Hi\n"));
        assert_eq!(err.text(), format!("{DIM}saved{RESET}\n"));
    }

    #[test]
    fn info_and_error_go_to_stderr_plain_and_one_line() {
        let (p, out, err) = printer(false, false);
        p.info("note \x1b[1mbold\x1b[0m");
        p.error("server said:\nbad gateway\n");
        assert_eq!(out.text(), "");
        assert_eq!(err.text(), "note bold\nserver said: bad gateway\n");
    }

    #[test]
    fn a_terminal_gets_lines_wrapped_on_word_boundaries_as_they_stream() {
        let (p, out, _) = printer(true, false);
        let p = p.wrapping_at(Some(30));
        // Chunks split words, as a model streams them.
        for piece in [
            "Let's talk about data clea",
            "ning: how would you ",
            "deduplicate a web crawl?",
        ] {
            p.chunk(piece);
        }
        p.end_reply();
        let text = out.text();
        assert_eq!(
            text,
            "interviewer> Let's talk about\n             data cleaning:\n             how would you\n             deduplicate a web\n             crawl?\n"
        );
        for line in text.lines() {
            assert!(line.chars().count() <= 30, "{line:?}");
        }
    }

    #[test]
    fn wrapping_keeps_line_breaks_long_words_and_unicode_widths() {
        let (p, out, _) = printer(false, false);
        let p = p.wrapping_at(Some(12));
        p.say("注意力 is all\nyou need, supercalifragilistic words");
        assert_eq!(
            out.text(),
            "注意力 is\nall\nyou need,\nsupercalifragilistic\nwords\n"
        );
    }

    #[test]
    fn no_wrapping_when_not_a_terminal() {
        let (p, out, _) = printer(false, false);
        let long = "word ".repeat(60);
        p.say(long.trim());
        assert_eq!(out.text(), format!("{}\n", long.trim()));
        assert_eq!(out.text().lines().count(), 1);
    }

    #[test]
    fn clones_share_state() {
        let (p, out, _) = printer(true, false);
        let q = p.clone();
        p.chunk("one ");
        q.chunk("two");
        q.end_reply();
        assert_eq!(out.text(), "interviewer> one two\n");
    }
}
