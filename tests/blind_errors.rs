//! Errors the rubric scorer catches in wordings it was never tuned on.
//!
//! `tools/sayings/blind-errors-test.jsonl` holds sentences written by helpers who saw only the
//! source article and the question list: for each of 240 common errors, two of its wordings
//! (plain, spoken, terse notation, or embedded in right context) and one right statement about
//! the same concept. The other wordings of the same errors were the catalogue's dev half (they
//! are statement fixtures); these were split off before any cue was written and never tuned on.
//! The test guards the measured floor: how many wrong wordings are flagged, and how few right
//! statements are.

use interviewer::bank::load_builtin;
use interviewer::scoring::rubric;

#[derive(serde::Deserialize)]
struct Saying {
    question: String,
    answer: String,
    /// Whether it states the error.
    wrong: bool,
    /// The error, in one line (for the report).
    error: String,
}

/// Least share of the wrong wordings flagged (measured 0.42 when the set was added).
const MIN_CAUGHT: f64 = 0.40;
/// Most share of the right statements flagged (measured 0.025 when the set was added).
const MAX_FALSE_ALARMS: f64 = 0.04;

#[test]
fn errors_in_unseen_wordings_are_caught_and_right_statements_are_not() {
    let bank = load_builtin().expect("the built-in bank loads");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tools/sayings/blind-errors-test.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("sayings file");
    let sayings: Vec<Saying> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("line {}: {e}", i + 1)))
        .collect();
    let (mut wrong, mut caught, mut right, mut alarms) = (0usize, 0usize, 0usize, vec![]);
    for s in &sayings {
        let q = bank.get(&s.question).expect("question of the bank");
        let score = rubric::score(q, &s.answer, &[]);
        let flagged = !score.misconceptions.is_empty() || !score.doubts.is_empty();
        if s.wrong {
            wrong += 1;
            caught += usize::from(flagged);
        } else {
            right += 1;
            if flagged {
                alarms.push(format!("{} ({}): {:?}", s.question, s.error, s.answer));
            }
        }
    }
    assert!(wrong >= 400 && right >= 200, "{wrong} wrong, {right} right");
    let caught_share = caught as f64 / wrong as f64;
    let alarm_share = alarms.len() as f64 / right as f64;
    eprintln!(
        "wrong wordings flagged {caught} of {wrong} ({caught_share:.3}); right statements flagged {} of {right} ({alarm_share:.3})",
        alarms.len()
    );
    assert!(
        caught_share >= MIN_CAUGHT,
        "only {caught} of {wrong} wrong wordings flagged"
    );
    assert!(
        alarm_share <= MAX_FALSE_ALARMS,
        "{} of {right} right statements flagged:\n{}",
        alarms.len(),
        alarms.join("\n")
    );
}
