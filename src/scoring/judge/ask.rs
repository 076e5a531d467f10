//! One check, one short request: the shared prefix (system prompt, question, numbered answer) and
//! the check at its end. The reply is read as a probability from the server's log-probabilities
//! of its first word where the server gives them, and from the word itself where it does not.

use crate::model::{ChatModel, ChatRequest, Message, ModelError, TokenChoices};
use crate::prompts::judge::{Check, SYSTEM, request};
use std::sync::atomic::{AtomicBool, Ordering};

/// Enough for "YES 12".
const CHECK_MAX_TOKENS: u32 = 4;
/// Alternatives asked for at each generated token.
const TOP_LOGPROBS: u8 = 10;

/// What one check said.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reply {
    /// For a YES/NO check: the probability of YES. For the error check: the probability that some
    /// sentence is wrong (that the reply is not 0). `None` when the reply could not be read.
    pub yes: Option<f32>,
    /// The sentence number the reply gave, if any (0 is none).
    pub sentence: Option<usize>,
}

/// Asks checks about one answer; every request shares the prefix up to the check.
pub struct Asker<'a> {
    pub model: &'a dyn ChatModel,
    /// The question as asked.
    pub question: &'a str,
    /// The numbered sentences as the judge reads them.
    pub answer: &'a str,
    /// The marker around the answer, the same for every check of it.
    pub tag: &'a str,
    /// Cleared once the server rejected `logprobs`: later requests go without.
    pub logprobs: &'a AtomicBool,
}

impl Asker<'_> {
    /// The messages of one check (exposed for tests of the shared prefix).
    pub fn messages(&self, check: &Check<'_>) -> [Message; 2] {
        [
            Message::system(SYSTEM.trim()),
            Message::user(request(self.question, self.answer, self.tag, check)),
        ]
    }

    pub async fn ask(&self, check: Check<'_>) -> Result<Reply, ModelError> {
        let msgs = self.messages(&check);
        let mut req = ChatRequest::new(&msgs, &[]);
        req.temperature = Some(0.0);
        req.max_tokens = Some(CHECK_MAX_TOKENS);
        if self.logprobs.load(Ordering::Relaxed) {
            req.top_logprobs = Some(TOP_LOGPROBS);
        }
        let mut sink = |_: &str| {};
        let turn = match self.model.complete(req, &mut sink).await {
            Err(ModelError::BadRequest { .. }) if req.top_logprobs.is_some() => {
                self.logprobs.store(false, Ordering::Relaxed);
                req.top_logprobs = None;
                self.model.complete(req, &mut sink).await
            }
            other => other,
        }?;
        let text = turn.text();
        let reply = match check {
            Check::AnyError => read_number(text, &turn.logprobs),
            _ => read_yes_no(text, &turn.logprobs),
        };
        tracing::debug!(check = ?check, reply = %crate::strings::preview(text, 40), ?reply, "judge check");
        Ok(reply)
    }
}

/// The first generated token that carries a letter or digit (servers may emit a space or a quote
/// first).
fn first_word(logprobs: &[TokenChoices]) -> Option<&TokenChoices> {
    logprobs
        .iter()
        .find(|t| t.token.chars().any(char::is_alphanumeric))
}

fn normal(token: &str) -> String {
    token
        .trim()
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

/// The first number in `text` after its first word.
fn number_after_first_word(text: &str) -> Option<usize> {
    let rest = text
        .trim_start()
        .trim_start_matches(|c: char| c.is_alphabetic());
    first_number(rest)
}

fn first_number(text: &str) -> Option<usize> {
    let digits: String = text
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// A YES/NO reply: P(YES) from the alternatives at the first word, else 1 or 0 from the word.
pub fn read_yes_no(text: &str, logprobs: &[TokenChoices]) -> Reply {
    let from_logprobs = first_word(logprobs).and_then(|t| {
        let (mut yes, mut no) = (0.0f32, 0.0f32);
        for (token, lp) in &t.top {
            let w = normal(token);
            if w.starts_with("yes") || w == "y" {
                yes += lp.exp();
            } else if w.starts_with("no") || w == "n" {
                no += lp.exp();
            }
        }
        (yes + no > 0.0).then(|| yes / (yes + no))
    });
    let word = normal(text);
    let from_word = if word.starts_with("yes") {
        Some(1.0)
    } else if word.starts_with("no") {
        Some(0.0)
    } else {
        None
    };
    Reply {
        yes: from_logprobs.or(from_word),
        sentence: number_after_first_word(text),
    }
}

/// A sentence-number reply: P(not 0) from the alternatives at the first digit, else from the
/// number itself.
pub fn read_number(text: &str, logprobs: &[TokenChoices]) -> Reply {
    let sentence = first_number(text);
    let from_logprobs = first_word(logprobs).and_then(|t| {
        let (mut zero, mut other) = (0.0f32, 0.0f32);
        for (token, lp) in &t.top {
            let w = normal(token);
            match w.chars().next() {
                Some('0') => zero += lp.exp(),
                Some(c) if c.is_ascii_digit() => other += lp.exp(),
                _ if w.starts_with("no") => zero += lp.exp(),
                _ => {}
            }
        }
        (zero + other > 0.0).then(|| other / (zero + other))
    });
    let from_text = match sentence {
        Some(0) => Some(0.0),
        Some(_) => Some(1.0),
        None if normal(text).starts_with("no") => Some(0.0),
        None => None,
    };
    Reply {
        yes: from_logprobs.or(from_text),
        sentence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(token: &str, top: &[(&str, f32)]) -> TokenChoices {
        TokenChoices {
            token: token.into(),
            logprob: top.first().map(|t| t.1).unwrap_or(0.0),
            top: top.iter().map(|(t, p)| (t.to_string(), p.ln())).collect(),
        }
    }

    #[test]
    fn yes_no_is_read_from_the_first_words_alternatives_then_from_the_word() {
        let lp = [
            tok(" ", &[(" ", 0.9)]),
            tok(
                "YES",
                &[("YES", 0.6), ("NO", 0.2), ("Yes", 0.1), ("The", 0.1)],
            ),
        ];
        let r = read_yes_no("YES 3", &lp);
        let yes = r.yes.expect("read");
        assert!((yes - 0.7 / 0.9).abs() < 1e-4, "{yes}");
        assert_eq!(r.sentence, Some(3));
        assert_eq!(read_yes_no("No, 0", &[]).yes, Some(0.0));
        assert_eq!(read_yes_no("\"Yes\" (sentence 2)", &[]).sentence, Some(2));
        assert_eq!(
            read_yes_no("Yes.", &[]),
            Reply {
                yes: Some(1.0),
                sentence: None
            }
        );
        assert_eq!(read_yes_no("The answer states it", &[]).yes, None);
        // Alternatives that name neither word fall back to the word.
        let odd = [tok("Sure", &[("Sure", 0.9)])];
        assert_eq!(read_yes_no("Sure", &odd).yes, None);
    }

    #[test]
    fn the_error_check_reads_the_chance_of_a_non_zero_sentence() {
        let lp = [tok("0", &[("0", 0.75), ("3", 0.2), ("4", 0.05)])];
        let r = read_number("0", &lp);
        assert!((r.yes.expect("read") - 0.25).abs() < 1e-4);
        assert_eq!(r.sentence, Some(0));
        let r = read_number("Sentence 4 is wrong", &[]);
        assert_eq!((r.yes, r.sentence), (Some(1.0), Some(4)));
        assert_eq!(read_number("None of them.", &[]).yes, Some(0.0));
        assert_eq!(read_number("I cannot tell", &[]).yes, None);
    }
}
