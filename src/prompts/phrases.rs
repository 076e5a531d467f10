//! The interviewer's spoken phrases (`prompts/phrases.toml`), with seeded variant choice.

use serde::Deserialize;
use std::sync::OnceLock;

/// Every phrase list and template of `prompts/phrases.toml`.
#[derive(Debug, Deserialize)]
pub struct Phrases {
    pub greeting: Vec<String>,
    pub orientation: Vec<String>,
    pub first_question: Vec<String>,
    pub transition: Vec<String>,
    pub next_same_domain: Vec<String>,
    pub ack_strong: Vec<String>,
    pub plain_praise: Vec<String>,
    pub ack_good: Vec<String>,
    pub ack_partial: Vec<String>,
    pub ack_weak: Vec<String>,
    pub ack_wrong: Vec<String>,
    pub ack_doubt: Vec<String>,
    pub ack_empty: Vec<String>,
    pub ack_unsure: Vec<String>,
    pub probe_lead: Vec<String>,
    pub probe_deeper: Vec<String>,
    pub hint_lead: Vec<String>,
    pub move_on: Vec<String>,
    pub skip_ack: Vec<String>,
    pub hint_given: Vec<String>,
    pub no_hint: String,
    pub no_question: String,
    pub welcome_back: String,
    pub closing: Vec<String>,
    pub closing_early: Vec<String>,
    pub fallback_continue: String,
    pub fallback_repeat: String,
    pub wrapup_overall: String,
    pub wrapup_domains: String,
    pub wrapup_one_domain: String,
    pub wrapup_even_domains: String,
    pub wrapup_study: String,
    pub wrapup_nothing_to_study: String,
    pub wrapup_low_without_gaps: String,
    pub wrapup_none: String,
    pub wrapup_all_skipped: String,
}

impl Phrases {
    /// The embedded phrases (validated by a unit test, so parsing cannot fail at run time).
    pub fn get() -> &'static Phrases {
        static PHRASES: OnceLock<Phrases> = OnceLock::new();
        PHRASES.get_or_init(
            || match toml::from_str(include_str!("../../prompts/phrases.toml")) {
                Ok(p) => p,
                Err(e) => panic!("prompts/phrases.toml is invalid (caught by unit tests): {e}"),
            },
        )
    }
}

/// The acknowledgement for an answer scoring `score` (0-10), one variant picked by `key`, not one
/// the interviewer's `previous` line already said: a stated wrong `claim` is called not right; an
/// empty or "don't know" answer is acknowledged as such; otherwise by score band. Never praise
/// below 6.
/// A wrong claim as the graders hold it: verified (the candidate is told it is wrong) or found
/// by one grader only (the candidate hears a doubt).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Claim<'a> {
    Wrong(&'a str),
    Doubted(&'a str),
}

pub fn acknowledgement(
    score: f32,
    claim: Option<Claim<'_>>,
    answer: &str,
    key: u64,
    previous: &str,
) -> String {
    let p = Phrases::get();
    let words = answer.split_whitespace().count();
    // "I'm not sure how to go deeper on that one" states no claim to correct.
    if words < 15 && score < PRAISE_FROM && is_unsure(answer) {
        return pick(&p.ack_unsure, key).to_string();
    }
    if let Some(claim) = claim {
        let (list, text) = match claim {
            Claim::Wrong(c) => (&p.ack_wrong, c),
            Claim::Doubted(c) => (&p.ack_doubt, c),
        };
        let (wrong, right) = claim_parts(text);
        let fix = match (claim, right) {
            (Claim::Wrong(_), Some(r)) => sentence(r),
            (Claim::Doubted(_), Some(r)) => format!("As I understand it, {}.", inline_claim(r)),
            (_, None) => String::new(),
        };
        let line = fill(
            pick_fresh(list, key, previous),
            &[("claim", &inline_claim(wrong)), ("fix", &fix)],
        );
        return line.trim_end().to_string();
    }
    let list = if words < 3 && score < 1.0 {
        &p.ack_empty
    } else if score >= STRONG_FROM {
        &p.ack_strong
    } else if score >= PRAISE_FROM {
        &p.ack_good
    } else if score >= PARTIAL_FROM {
        &p.ack_partial
    } else {
        &p.ack_weak
    };
    pick_fresh(list, key, previous).to_string()
}

/// Below this score an acknowledgement never praises.
pub const PRAISE_FROM: f32 = 6.0;

/// From this score an answer is partly right: its acknowledgement says so, never that it missed.
pub const PARTIAL_FROM: f32 = 3.5;

/// From this score an answer is strong: its acknowledgement never faults it.
pub const STRONG_FROM: f32 = 8.0;

/// "I don't know", "not sure", "no idea"...
pub fn is_unsure(answer: &str) -> bool {
    let a = answer.to_lowercase().replace('’', "'");
    [
        "don't know",
        "dont know",
        "not sure",
        "no idea",
        "no clue",
        "can't remember",
        "cannot remember",
        "forgot",
    ]
    .iter()
    .any(|p| a.contains(p))
}

/// The closing line: thanks for a plan that was through, or a plain stop when the candidate ended
/// the interview early (never "That's all I had" after their `/end`).
pub fn closing(candidate_ended: bool, key: u64) -> String {
    let p = Phrases::get();
    let list = if candidate_ended {
        &p.closing_early
    } else {
        &p.closing
    };
    pick(list, key).to_string()
}

/// The opening greeting of a `mode_name` interview ("first round") of `count` ("6 questions"):
/// a salutation, then what the interview will be like ([`orientation`]).
pub fn greeting(mode_name: &str, count: &str, key: u64) -> String {
    format!(
        "{} {}",
        pick(&Phrases::get().greeting, key),
        orientation(mode_name, count, key)
    )
}

/// What a `mode_name` interview of `count` questions will be like, and where the commands are:
/// said after any greeting that opens an interview, the model's included.
pub fn orientation(mode_name: &str, count: &str, key: u64) -> String {
    fill(
        pick(&Phrases::get().orientation, key),
        &[("mode_name", mode_name), ("questions", count)],
    )
}

/// [`pick`], but not a variant `previous` already says when another one is left (the same praise
/// twice in a row sounds canned).
pub fn pick_fresh<'a>(list: &'a [String], key: u64, previous: &str) -> &'a str {
    let first = pick(list, key);
    let said = |v: &str| !v.is_empty() && previous.contains(v);
    if !said(first) {
        return first;
    }
    let start = list.iter().position(|v| v == first).unwrap_or(0);
    (1..list.len())
        .map(|i| list[(start + i) % list.len()].as_str())
        .find(|v| !said(v))
        .unwrap_or(first)
}

/// Pick a variant deterministically from `key` (seed mixed with a position in the interview).
pub fn pick(list: &[String], key: u64) -> &str {
    if list.is_empty() {
        return "";
    }
    let mixed = key.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ (key >> 7);
    &list[(mixed % list.len() as u64) as usize]
}

/// "1 question", "6 questions".
pub fn questions(n: usize) -> String {
    if n == 1 {
        "1 question".to_string()
    } else {
        format!("{n} questions")
    }
}

/// Fill `{name}` placeholders.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// A catalogue claim's two halves: the wrong statement and, after its first `;`, what is right
/// ("Queries are cached; only keys and values are").
pub fn claim_parts(claim: &str) -> (&str, Option<&str>) {
    match claim.split_once(';') {
        Some((wrong, right)) if !right.trim().is_empty() => (wrong.trim(), Some(right.trim())),
        _ => (claim.trim(), None),
    }
}

/// A clause as a sentence of its own: first letter capitalised, one final period.
fn sentence(text: &str) -> String {
    let t = text.trim().trim_end_matches(['.', '!']);
    let mut chars = t.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// A claim as it reads inside a sentence: first letter lowercased (unless an acronym), no final period.
pub fn inline_claim(claim: &str) -> String {
    let c = claim.trim().trim_end_matches(['.', '!']);
    let first_word = c.split_whitespace().next().unwrap_or("");
    let mut chars = first_word.chars();
    // Lowercase "The" and "Post-training" but keep "LoRA", "RoPE", "KV", "GPT-4".
    let plain_word = chars.next().is_some_and(char::is_uppercase)
        && chars.all(|ch| !ch.is_alphabetic() || ch.is_lowercase());
    if plain_word {
        let mut it = c.chars();
        it.next()
            .map(|a| a.to_lowercase().chain(it).collect())
            .unwrap_or_default()
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_phrases_parse_and_lists_are_not_empty() {
        let p = Phrases::get();
        for list in [
            &p.greeting,
            &p.orientation,
            &p.ack_strong,
            &p.ack_wrong,
            &p.transition,
            &p.closing,
            &p.probe_lead,
        ] {
            assert!(!list.is_empty());
        }
        assert!(p.ack_wrong.iter().all(|s| s.contains("{claim}")));
    }

    #[test]
    fn the_same_praise_is_not_said_twice_in_a_row() {
        let p = Phrases::get();
        for key in 0..40 {
            let first = acknowledgement(9.0, None, "a long enough answer here", key, "");
            let previous = format!("{first} Let's go further. Why?");
            let second = acknowledgement(9.5, None, "another long answer here", key, &previous);
            assert_ne!(first, second, "key {key}");
            assert!(p.ack_strong.contains(&second));
        }
        let list: Vec<String> = vec!["only".into()];
        assert_eq!(pick_fresh(&list, 3, "only"), "only", "nothing else to say");
    }

    #[test]
    fn a_low_score_without_a_wrong_claim_is_not_called_wrong() {
        // A right statement that makes one point of six scores low: the line may say it is
        // incomplete, never that it is wrong or misses the core (no grader found anything wrong).
        let verdicts = [
            "not quite",
            "wrong",
            "incorrect",
            "not right",
            "core",
            "off",
        ];
        for key in 0..40 {
            let line = acknowledgement(
                1.5,
                None,
                "Each new token's key and value are appended to the cache.",
                key,
                "",
            )
            .to_lowercase();
            assert!(
                Phrases::get()
                    .ack_weak
                    .iter()
                    .any(|p| p.to_lowercase() == line)
            );
            let words: Vec<&str> = line
                .split(|c: char| !c.is_alphanumeric() && c != '\'')
                .collect();
            let said = format!(" {} ", words.join(" "));
            for v in verdicts {
                assert!(!said.contains(&format!(" {v} ")), "{line}");
            }
        }
    }

    #[test]
    fn a_strong_score_praises_coverage_and_never_vouches_for_every_word() {
        // A strong rubric score means the points were made and no listed error was found: an
        // error the rubric does not list may still be in the answer.
        let vouching = [
            "right", "correct", "complete", "solid", "exactly", "perfect",
        ];
        for line in &Phrases::get().ack_strong {
            let lower = line.to_lowercase();
            let words: Vec<&str> = lower
                .split(|c: char| !c.is_alphanumeric() && c != '\'')
                .collect();
            for v in vouching {
                assert!(!words.contains(&v), "{line}");
            }
        }
    }

    #[test]
    fn closings_after_the_candidate_ends_do_not_say_the_plan_is_through() {
        for key in 0..20 {
            let early = closing(true, key);
            assert!(!early.contains("all I had"), "{early}");
            assert!(Phrases::get().closing_early.contains(&early));
        }
    }

    #[test]
    fn pick_is_deterministic_and_varies() {
        let list: Vec<String> = (0..4).map(|i| i.to_string()).collect();
        assert_eq!(pick(&list, 42), pick(&list, 42));
        let distinct: std::collections::HashSet<&str> = (0..40).map(|k| pick(&list, k)).collect();
        assert!(distinct.len() > 1);
        assert_eq!(pick(&[], 1), "");
    }

    #[test]
    fn a_wrong_claim_is_said_apart_from_what_is_right() {
        assert_eq!(
            claim_parts("The cache stores queries; it stores keys and values."),
            (
                "The cache stores queries",
                Some("it stores keys and values.")
            )
        );
        assert_eq!(
            claim_parts("RoPE adds a learned vector."),
            ("RoPE adds a learned vector.", None)
        );
        for key in 0..6 {
            let line = acknowledgement(
                1.0,
                Some(Claim::Wrong(
                    "The cache stores queries; it stores keys and values.",
                )),
                "The cache stores the queries of earlier tokens so they are reused.",
                key,
                "",
            );
            assert!(line.contains("the cache stores queries"), "{line}");
            assert!(line.ends_with("It stores keys and values."), "{line}");
            assert!(!line.contains(';'), "{line}");
        }
        let plain = acknowledgement(
            1.0,
            Some(Claim::Wrong("RoPE adds a learned vector.")),
            "x y z w",
            0,
            "",
        );
        assert!(plain.ends_with('.') && !plain.ends_with(" ."), "{plain}");
        for key in 0..6 {
            let line = acknowledgement(
                2.0,
                Some(Claim::Doubted(
                    "The cache stores queries; it stores keys and values.",
                )),
                "The cache stores the queries of earlier tokens so they are reused.",
                key,
                "",
            );
            assert!(line.contains("the cache stores queries"), "{line}");
            assert!(
                line.ends_with("As I understand it, it stores keys and values."),
                "{line}"
            );
            for certain in ["isn't", "not right", "wrong", "misconception"] {
                assert!(!line.contains(certain), "a doubt is no verdict: {line}");
            }
        }
        assert!(plain.ends_with('.') && !plain.ends_with(" ."), "{plain}");
    }

    #[test]
    fn fill_and_inline_claim() {
        assert_eq!(fill("a {x} b {x}", &[("x", "1")]), "a 1 b 1");
        assert_eq!(
            inline_claim("RoPE adds a learned vector."),
            "RoPE adds a learned vector"
        );
        assert_eq!(
            inline_claim("The cache stores queries."),
            "the cache stores queries"
        );
        assert_eq!(
            inline_claim("LoRA updates everything"),
            "LoRA updates everything"
        );
        assert_eq!(
            inline_claim("Post-training quantization converts a trained model."),
            "post-training quantization converts a trained model"
        );
        assert_eq!(inline_claim("GPT-4 is big."), "GPT-4 is big");
    }
}
