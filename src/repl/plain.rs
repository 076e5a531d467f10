//! The non-interactive source: one line of input is one answer or command, no prompt at all, so
//! standard output carries only the interviewer's words.

use super::{LineSource, PromptInfo, ReadResult};
use std::io::{BufRead, ErrorKind};

/// Reads candidate input line by line from any buffered reader (standard input in practice).
pub struct PlainSource<R> {
    reader: R,
    done: bool,
}

impl<R: BufRead> PlainSource<R> {
    /// A source reading from `reader`.
    pub fn new(reader: R) -> PlainSource<R> {
        PlainSource {
            reader,
            done: false,
        }
    }

    /// The next line without its line ending (`\n` or `\r\n`), decoded lossily; `None` at the end
    /// of input or on a read error.
    pub fn next_line(&mut self) -> Option<String> {
        if self.done {
            return None;
        }
        let mut buf = Vec::new();
        loop {
            match self.reader.read_until(b'\n', &mut buf) {
                Ok(0) if buf.is_empty() => {
                    self.done = true;
                    return None;
                }
                Ok(_) => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.done = true;
                    if buf.is_empty() {
                        return None;
                    }
                    break;
                }
            }
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        Some(String::from_utf8_lossy(&buf).into_owned())
    }
}

impl<R: BufRead> LineSource for PlainSource<R> {
    fn read(&mut self, _info: &PromptInfo) -> ReadResult {
        match self.next_line() {
            Some(line) => ReadResult::Line(line),
            None => ReadResult::Eof,
        }
    }

    fn can_resend(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::Mode;
    use std::io::{BufReader, Cursor, Read};

    fn info() -> PromptInfo {
        PromptInfo {
            mode: Mode::FirstRound,
            question: 1,
            total: 6,
            elapsed: None,
        }
    }

    fn lines(bytes: &[u8]) -> Vec<String> {
        let mut src = PlainSource::new(Cursor::new(bytes.to_vec()));
        let mut got = Vec::new();
        loop {
            match src.read(&info()) {
                ReadResult::Line(l) => got.push(l),
                ReadResult::Eof => break,
                ReadResult::Interrupted => panic!("plain input is never interrupted"),
            }
        }
        // Reading past the end keeps answering Eof.
        assert!(matches!(src.read(&info()), ReadResult::Eof));
        got
    }

    #[test]
    fn one_line_per_read_without_line_endings() {
        assert_eq!(
            lines(b"first\n/skip\r\n\nlast\n"),
            ["first", "/skip", "", "last"]
        );
    }

    #[test]
    fn final_line_without_newline_is_kept() {
        assert_eq!(lines(b"answer\n/end"), ["answer", "/end"]);
    }

    #[test]
    fn empty_input_is_eof_at_once() {
        assert!(lines(b"").is_empty());
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        assert_eq!(
            lines(b"caf\xe9 ok\n\xff\xfe\n"),
            ["caf\u{fffd} ok", "\u{fffd}\u{fffd}"]
        );
    }

    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("device gone"))
        }
    }

    #[test]
    fn read_errors_end_the_input() {
        let mut src = PlainSource::new(BufReader::new(Failing));
        assert!(matches!(src.read(&info()), ReadResult::Eof));
    }
}
