//! The question field: the one question put to the candidate. It is a question (a sentence ending
//! in "?", or a probe of the bank said whole), not the candidate's own words, not the question on
//! the table again, and plain speech. The words around it go: a preamble is where a model
//! restates, lectures or makes claims of its own.

use super::contract::{not_speech, overlap, sentences, shared_run, unquote};
use super::draft::Trust;

/// Words a question has at most.
pub const QUESTION_WORDS: usize = 40;
/// Consecutive words shared with the candidate's answer that make a question theirs.
const THEIR_WORDS: usize = 5;
/// Share of a question's content words (at least two) found in a question already asked that make
/// it that question again.
const RESTATED: f32 = 0.5;

/// What a question is checked against.
#[derive(Debug, Default)]
pub struct Context<'a> {
    /// The candidate's latest words.
    pub answer: Option<&'a str>,
    /// What was already put on this question: its text and its probes.
    pub asked: Vec<&'a str>,
    /// The bank's probes and derivations for the question: said whole when the model uses one.
    pub bank: Vec<&'a str>,
}

/// The question to say, from the model's field, or why it cannot be said.
pub fn check(text: &str, ctx: &Context<'_>, trust: Trust) -> Result<String, &'static str> {
    let text = unquote(text);
    if text.is_empty() {
        return Err("no question");
    }
    if trust == Trust::Own {
        return Ok(text.to_string());
    }
    if ctx
        .answer
        .is_some_and(|a| shared_run(text, a) >= THEIR_WORDS)
    {
        return Err("the candidate's own words");
    }
    if let Some(own) = ctx.bank.iter().find(|b| text.contains(**b)) {
        if ctx.asked.contains(own) {
            return Err("asked already");
        }
        return Ok(own.to_string());
    }
    let Some(asked) = sentences(text).into_iter().find(|s| s.ends_with('?')) else {
        return Err("it asks nothing");
    };
    if asked.split_whitespace().count() > QUESTION_WORDS {
        return Err("too long to be one question");
    }
    if let Some(why) = not_speech(asked) {
        return Err(why);
    }
    let restates = ctx.asked.iter().any(|before| {
        let (share, n) = overlap(asked, before);
        (share >= RESTATED && n >= 2) || shared_run(asked, before) > THEIR_WORDS
    });
    if restates {
        return Err("the question on the table again");
    }
    Ok(asked.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASK: &str = "Can you walk me through how self-attention actually computes its output, and why it pushed recurrent networks aside for language modelling?";

    #[test]
    fn a_question_is_neither_the_candidates_words_nor_the_open_question_again() {
        let answer = "I guess you'd collect instruction-response pairs, maybe from humans or from a bigger model, and make sure they're diverse?";
        let ctx = Context {
            answer: Some(answer),
            asked: vec![ASK],
            bank: vec!["Why do we divide the scores by the square root of d_k?"],
        };
        let theirs = format!("Why? {answer}");
        assert_eq!(
            check(&theirs, &ctx, Trust::Typed),
            Err("the candidate's own words")
        );
        let restated = "I understand your question about self-attention in the transformer model. How does it compute the output, and what is its significance compared to recurrent networks?";
        assert_eq!(
            check(restated, &ctx, Trust::Typed),
            Err("the question on the table again")
        );
        assert_eq!(
            check(ASK, &ctx, Trust::Typed),
            Err("the question on the table again")
        );
        // A preamble goes; a bank probe is said whole.
        assert_eq!(
            check(
                "Softmax saturates for large logits. Why would large dot products hurt training?",
                &ctx,
                Trust::Typed
            )
            .as_deref(),
            Ok("Why would large dot products hurt training?")
        );
        assert_eq!(
            check(
                "Quick one. Why do we divide the scores by the square root of d_k?",
                &ctx,
                Trust::Typed
            )
            .as_deref(),
            Ok("Why do we divide the scores by the square root of d_k?")
        );
        assert_eq!(
            check(
                "That's a good approach to data cleaning.",
                &ctx,
                Trust::Typed
            ),
            Err("it asks nothing")
        );
        assert!(check("What did the candidate mean by [4]?", &ctx, Trust::Typed).is_err());
    }
}
