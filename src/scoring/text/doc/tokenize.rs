//! The tokenizer: an answer's text cut into words, sentences, clauses and items, with the
//! features each word carries.

use super::{Sentence, Token, stance};
use crate::scoring::text::injection::addressed_to_grader;
use crate::scoring::text::lexicon::{
    Lexicon, continues_word, is_word_char, lexicon, push_words, symbol_at,
};
use crate::scoring::text::marks::{mark_concepts, mark_enumerations, mark_negations};
use crate::scoring::text::spoken::mark_spoken;
use std::ops::Range;

/// A colon after at most this many words of a sentence ends a label ("vLLM:", "Plan-and-Execute:"),
/// not a clause.
const LABEL_MAX_WORDS: usize = 3;

/// Signs that make a sentence a formula or a chain of arrows ("query → retrieve → rerank"), a
/// stated relation rather than a list of terms.
const FORMULA_SIGNS: &[char] = &[
    '=', '^', '√', '⊙', '·', '×', '∝', '²', '≈', '‖', '∇', '→', '⇒', '>', '<',
];
/// Operators after which a bracket opens notation (`∝ (H/p)`, `= (a + b)`), not an aside.
const OPERATORS: &[char] = &[
    '=', '∝', '×', '*', '+', '−', '^', '≈', '~', '·', '≤', '≥', '<', '>',
];

/// Raw words of one sentence, as the tokenizer collects them.
struct RawWord {
    word: String,
    span: Range<usize>,
    clause: usize,
    sep_before: bool,
    label: bool,
}

/// The tokenizer's running state.
struct Builder<'t> {
    body: &'t str,
    lex: &'static Lexicon,
    words: Vec<RawWord>,
    tokens: Vec<Token>,
    sentences: Vec<Sentence>,
    sent_start: usize,
    commas: usize,
    clause: usize,
    sep: bool,
}

impl Builder<'_> {
    fn push_raw(&mut self, raw: Range<usize>) {
        let mut out = vec![];
        push_words(&self.body[raw.clone()], raw.start, &mut out);
        for (word, span) in out {
            if self.lex.is_contrast(&word) && !self.words.is_empty() {
                self.clause += 1;
            }
            self.words.push(RawWord {
                word,
                span,
                clause: self.clause,
                sep_before: std::mem::take(&mut self.sep),
                label: false,
            });
        }
    }

    /// Close the sentence ending at byte `end`.
    fn flush(&mut self, end: usize) {
        let idx = self.sentences.len();
        let first = self.tokens.len();
        for w in self.words.drain(..) {
            let stop = self.lex.is_stopword(&w.word);
            let negation = self.lex.is_negation(&w.word);
            let stem = if stop {
                String::new()
            } else {
                self.lex.stem(&w.word)
            };
            self.tokens.push(Token {
                stem,
                concept: None,
                word: w.word,
                span: w.span,
                stop,
                negation,
                sentence: idx,
                clause: w.clause,
                sep_before: w.sep_before,
                listed: false,
                item: 0,
                phrase_len: 0,
                filler: false,
                retracted: false,
                quoted: false,
                asks: false,
                label: w.label,
            });
        }
        if self.tokens.len() > first {
            mark_spoken(self.lex, &mut self.tokens, first);
            mark_negations(&mut self.tokens[first..]);
            mark_concepts(self.lex, &mut self.tokens[first..]);
            let raw = &self.body[self.sent_start..end];
            let lead = raw.len() - raw.trim_start().len();
            let span = (self.sent_start + lead)..(self.sent_start + raw.trim_end().len());
            // A formula's commas and dots separate its terms, not the items of a list.
            let formula = self.body[span.clone()].contains(FORMULA_SIGNS);
            if !formula {
                mark_enumerations(self.lex, &mut self.tokens[first..]);
            }
            let toks = &self.tokens[first..];
            let connectives = toks
                .iter()
                .enumerate()
                .filter(|(i, t)| self.lex.is_connective(&t.word) && !(t.word == "so" && *i == 0))
                .count();
            let auxiliary = toks.iter().any(|t| self.lex.is_auxiliary(&t.word));
            let words: Vec<&str> = toks.iter().map(|t| t.word.as_str()).collect();
            let rejection = stance::rejects(self.lex, toks, &words, &self.sentences);
            let asking = stance::question_openers(self.lex, &words);
            if let Some(asked) = self.sentences.last_mut()
                && stance::answers_no_to(self.lex, &words, &self.body[asked.span.clone()])
            {
                asked.rejection = true;
            }
            let injection = addressed_to_grader(toks, &self.body[span.clone()]);
            self.sentences.push(Sentence {
                span,
                tokens: first..self.tokens.len(),
                commas: self.commas,
                connectives,
                auxiliary,
                formula,
                rejection,
                injection,
            });
            for i in asking {
                self.tokens[first + i].asks = true;
            }
        }
        self.sent_start = end;
        self.commas = 0;
        self.sep = false;
        self.clause += 1;
    }
}

/// Cut `body` into tokens and sentences.
pub(super) fn tokenize(body: &str) -> (Vec<Token>, Vec<Sentence>) {
    let mut b = Builder {
        body,
        lex: lexicon(),
        words: vec![],
        tokens: vec![],
        sentences: vec![],
        sent_start: 0,
        commas: 0,
        clause: 0,
        sep: false,
    };
    let bytes = body.as_bytes();
    let mut word_start: Option<usize> = None;
    let mut chars = body.char_indices().peekable();
    let mut notation = 0usize;
    while let Some((i, c)) = chars.next() {
        if continues_word(body, i, c, word_start.is_some()) {
            word_start.get_or_insert(i);
            continue;
        }
        if let Some(s) = word_start.take() {
            b.push_raw(s..i);
        }
        if let Some(len) = symbol_at(body, i, c) {
            b.push_raw(i..i + len);
            if len > c.len_utf8() {
                chars.next();
            }
            continue;
        }
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            ';' | ':' => {
                b.commas += 1;
                // A short label before a colon names what the rest is about ("vLLM:
                // PagedAttention, continuous batching"): one clause with it.
                if c == ';' || b.words.len() > LABEL_MAX_WORDS {
                    b.clause += 1;
                } else {
                    b.words.iter_mut().for_each(|w| w.label = true);
                }
                b.sep = true;
            }
            // A bracket right after a word or a closing bracket, or after an operator, is
            // notation (`O(n²)`, `softmax(QK^T)`, `∝ (H/p)(W/p)`): the clause goes on through it.
            '(' if opens_notation(&body[..i]) => notation += 1,
            ')' if notation > 0 => notation -= 1,
            '(' | ')' | '[' | ']' | '{' | '}' => b.clause += 1,
            // A dash opens a clause and a new item: "hyperparameters — clip range, learning
            // rate, …" lists from the dash on.
            '—' | '–' => {
                b.clause += 1;
                b.sep = true;
            }
            // "65,504": a thousands separator is part of the number, not of a list.
            ',' if is_thousands_separator(body, i) => {}
            ',' | '/' | '|' | '·' | '•' => {
                b.commas += 1;
                b.sep = true;
            }
            '.' | '!' | '?' | '\n' | '。' | '！' | '？' => {
                let next = bytes.get(i + c.len_utf8()).copied();
                let ends = c != '.'
                    || next.is_none_or(|n| {
                        n.is_ascii_whitespace() || matches!(n, b'"' | b'\'' | b')' | b']' | b'}')
                    });
                let abbrev = c == '.' && {
                    let before = body[..i].to_ascii_lowercase();
                    before.ends_with("e.g")
                        || before.ends_with("i.e")
                        || before.ends_with(" vs")
                        || before.ends_with("etc")
                };
                if ends && !abbrev {
                    b.flush(i + c.len_utf8());
                }
            }
            _ => {}
        }
    }
    if let Some(s) = word_start.take() {
        b.push_raw(s..body.len());
    }
    b.flush(body.len());
    let Builder {
        tokens, sentences, ..
    } = b;
    (tokens, sentences)
}

/// Whether a "(" after `before` opens notation rather than an aside: it follows a word or a
/// closing bracket directly (`f(x)`, `(H/p)(W/p)`), or an operator (`∝ (H/p)`, `= (a + b)`).
fn opens_notation(before: &str) -> bool {
    if before.ends_with(is_word_char) || before.ends_with(')') {
        return true;
    }
    before.trim_end().ends_with(OPERATORS)
}

/// Skip an ANSI escape sequence (CSI `ESC [ ... final`, OSC `ESC ] ... BEL`, or a two-byte one).
fn skip_escape(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) {
    match chars.peek().map(|(_, c)| *c) {
        Some('[') => {
            chars.next();
            for (_, c) in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&c) {
                    break;
                }
            }
        }
        Some(']') => {
            chars.next();
            while let Some((_, c)) = chars.next() {
                if c == '\u{7}' {
                    break;
                }
                if c == '\u{1b}' {
                    chars.next();
                    break;
                }
            }
        }
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

/// Whether the comma at byte `i` separates thousands in a number: a digit before it and exactly
/// three digits after it ("65,504", "1,000,000").
fn is_thousands_separator(text: &str, i: usize) -> bool {
    let after = text.as_bytes().get(i + 1..).unwrap_or_default();
    let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
    text[..i].ends_with(|p: char| p.is_ascii_digit()) && digits == 3
}
