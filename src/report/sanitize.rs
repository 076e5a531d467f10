//! Making stored text safe to show: terminal escape sequences and control characters removed.
//!
//! Candidate answers and model output are stored verbatim; anything that prints them to a
//! terminal or a document passes them through [`strip_ansi`] first.

/// Remove ANSI/VT escape sequences and every control character except newline and tab
/// (the REPL's streaming filter, applied to a whole text).
pub fn strip_ansi(text: &str) -> String {
    crate::repl::strip_controls(text)
}

/// [`strip_ansi`], then all whitespace runs (newlines included) collapsed to one space.
pub fn one_line(text: &str) -> String {
    strip_ansi(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_colour_codes_and_keeps_text() {
        assert_eq!(
            strip_ansi("\x1b[31mred\x1b[0m and \x1b[1;32mbold green\x1b[m"),
            "red and bold green"
        );
    }

    #[test]
    fn strips_osc_titles_hyperlinks_and_cursor_moves() {
        assert_eq!(strip_ansi("a\x1b]0;title\x07b"), "ab");
        assert_eq!(
            strip_ansi("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"),
            "link"
        );
        assert_eq!(strip_ansi("x\x1b[2J\x1b[Hy\x1bcz\x1b(Bw"), "xyzw");
        assert_eq!(strip_ansi("c1\u{9b}31mcsi"), "c1csi");
    }

    #[test]
    fn drops_control_characters_but_keeps_newlines_tabs_and_unicode() {
        assert_eq!(strip_ansi("a\r\nb\tc\u{7}\u{0}d — √d_k"), "a\nb\tcd — √d_k");
    }

    #[test]
    fn unterminated_sequences_do_not_panic() {
        assert_eq!(strip_ansi("end\x1b"), "end");
        assert_eq!(strip_ansi("end\x1b["), "end");
        assert_eq!(strip_ansi("end\x1b]unterminated"), "end");
    }

    #[test]
    fn one_line_collapses_whitespace() {
        assert_eq!(one_line("  a\n\n b\x1b[31m  c "), "a b c");
    }
}
