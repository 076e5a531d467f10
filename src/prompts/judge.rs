//! The judge's wording (`prompts/judge.md`, `judge_answer.md`, `judge_checks.toml`): one system
//! prompt, one answer message, and the check that ends each request.

use super::phrases::fill;
use serde::Deserialize;
use std::sync::OnceLock;

/// The judge's system prompt: the same for every answer and every check.
pub const SYSTEM: &str = include_str!("../../prompts/judge.md");
const ANSWER: &str = include_str!("../../prompts/judge_answer.md");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Checks {
    earlier_heading: String,
    answer_heading: String,
    point: String,
    claim: String,
    error: String,
    confirm: String,
}

fn checks() -> &'static Checks {
    static C: OnceLock<Checks> = OnceLock::new();
    C.get_or_init(
        || match toml::from_str(include_str!("../../prompts/judge_checks.toml")) {
            Ok(c) => c,
            Err(e) => panic!("prompts/judge_checks.toml is invalid (caught by unit tests): {e}"),
        },
    )
}

/// The headings put before earlier answers and before the answer being graded.
pub fn headings() -> (&'static str, &'static str) {
    let c = checks();
    (&c.earlier_heading, &c.answer_heading)
}

/// One check at the end of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check<'a> {
    /// Does the answer state this rubric point (its `expect`)?
    Point(&'a str),
    /// Does the answer make this listed wrong claim?
    Claim(&'a str),
    /// Which sentence, if any, is technically wrong?
    AnyError,
    /// Is this sentence of the answer technically correct?
    Confirm(&'a str),
}

impl Check<'_> {
    pub fn render(&self) -> String {
        let c = checks();
        match self {
            Check::Point(expect) => fill(&c.point, &[("expect", expect.trim())]),
            // The wrong half only: the correction after the `;` is what is right.
            Check::Claim(claim) => {
                fill(&c.claim, &[("claim", super::phrases::claim_parts(claim).0)])
            }
            Check::AnyError => c.error.trim().to_string(),
            Check::Confirm(sentence) => fill(&c.confirm, &[("sentence", sentence.trim())]),
        }
    }
}

/// The user message of one check: the question, the numbered answer between `tag` markers, then
/// the check. Everything before the check is the same for every check of an answer.
pub fn request(question: &str, answer: &str, tag: &str, check: &Check<'_>) -> String {
    // The candidate's words go in last, so braces in them are never taken for placeholders.
    fill(
        ANSWER,
        &[
            ("check", &check.render()),
            ("question", question.trim()),
            ("tag", tag),
            ("answer", answer),
        ],
    )
    .trim_end()
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_renders_and_shares_the_prefix() {
        let a = request("Q?", "[1] A.", "t", &Check::Point("caches keys"));
        let b = request(
            "Q?",
            "[1] A.",
            "t",
            &Check::Claim("caches queries; only keys and values are cached"),
        );
        let c = request("Q?", "[1] A.", "t", &Check::AnyError);
        let d = request("Q?", "[1] A.", "t", &Check::Confirm("A."));
        let prefix = "Interview question: Q?\n\n<<<ANSWER t>>>\n[1] A.\n<<<END ANSWER t>>>\n\n";
        for r in [&a, &b, &c, &d] {
            assert!(r.starts_with(prefix), "{r}");
            assert!(!r.contains('{'), "a placeholder is left: {r}");
        }
        assert!(a.contains("caches keys") && b.contains("caches queries") && d.contains("A."));
        assert!(
            !b.contains("only keys"),
            "the correction is no part of the wrong idea: {b}"
        );
        let (e, n) = headings();
        assert!(!e.is_empty() && !n.is_empty());
    }
}
