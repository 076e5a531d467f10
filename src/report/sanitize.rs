//! Making stored text safe to show: terminal escape sequences and control characters removed.
//!
//! Candidate answers and model output are stored verbatim; anything that prints them to a
//! terminal or a document passes them through [`strip_ansi`] first.

/// Remove ANSI/VT escape sequences (CSI, OSC, DCS and two-byte escapes) and every control
/// character except newline and tab. `\r\n` becomes `\n`; a lone `\r` is dropped.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters and intermediates, then one final byte in @..~
                Some('[') => skip_csi(&mut chars),
                // OSC, DCS, SOS, PM, APC: a string ended by BEL or ESC \
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars),
                // Two-byte escapes (ESC c, ESC 7, ESC ( B ...): drop the next char too,
                // and a designator's charset byte.
                Some('(' | ')' | '*' | '+' | '-' | '.' | '/' | '#' | '%' | ' ') => {
                    chars.next();
                }
                Some(_) | None => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return;
        }
        // A stray non-ASCII char cannot belong to a CSI sequence: stop without eating more.
        if !c.is_ascii() {
            return;
        }
    }
}

fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
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
