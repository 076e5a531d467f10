//! Session files written by earlier releases keep working: a finished one (format 1, written on
//! 2026-12-01 with an answered question and its probe, a hinted and skipped question, and an
//! unanswered probe) reviews exactly as it did then, and the same session cut before its end
//! resumes with its scores intact. The same holds for format 2 (every checkpoint whole, written on
//! 2026-12-04 by the release before checkpoints were saved as updates): resuming one appends to it
//! and keeps every earlier question exactly as it was.

mod common;

use common::cli::Home;
use serde_json::Value;
use std::path::{Path, PathBuf};

const ID: &str = "20261201-122528-0266";
const ID2: &str = "20261204-213244-b6b9";

fn install(home: &Home, fixture: &str) {
    install_as(home, fixture, ID);
}

fn install_as(home: &Home, fixture: &str, id: &str) -> PathBuf {
    let dir = home.path().join("sessions");
    std::fs::create_dir_all(&dir).expect("sessions dir");
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    let to = dir.join(format!("{id}.jsonl"));
    std::fs::copy(&src, &to).expect("copy the fixture");
    to
}

fn fixture_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(path).expect("read the fixture")
}

/// `actual` says everything `expected` said, the same way: objects may have gained keys (the JSON
/// contract allows new keys), nothing else changed.
fn assert_holds(actual: &Value, expected: &Value, at: &str) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            for (k, v) in e {
                assert_holds(a.get(k).unwrap_or(&Value::Null), v, &format!("{at}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(e)) => {
            assert_eq!(a.len(), e.len(), "review field {at} changed length");
            for (i, (x, y)) in a.iter().zip(e).enumerate() {
                assert_holds(x, y, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(actual, expected, "review field {at} changed"),
    }
}

fn review_json(home: &Home) -> Value {
    review_of(home, ID)
}

fn review_of(home: &Home, id: &str) -> Value {
    let out = home.run(&["review", "--format", "json", id], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("review json parses")
}

/// Session `id`, installed from `fixture` (`NAME.jsonl`), reviews as recorded beside it: the JSON
/// review holds `NAME.review.json` at `keys`, and the text review is `NAME.review.txt` exactly.
fn assert_reviews_as_written(fixture: &str, id: &str, keys: &[&str]) {
    let home = Home::new();
    install_as(&home, &format!("{fixture}.jsonl"), id);
    let review = review_of(&home, id);
    let expected: Value =
        serde_json::from_str(&fixture_text(&format!("{fixture}.review.json"))).expect("json");
    for key in keys {
        assert_holds(&review[*key], &expected[*key], key);
    }
    let out = home.run(&["review", id], "");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        fixture_text(&format!("{fixture}.review.txt")),
        "the text review changed"
    );
}

const REVIEW_KEYS: [&str; 7] = [
    "id",
    "mode",
    "status",
    "overall",
    "by_domain",
    "questions",
    "study_next",
];

#[test]
fn an_old_finished_session_reviews_as_it_did_when_written() {
    assert_reviews_as_written("session-format1-finished", ID, &REVIEW_KEYS);
}

#[test]
fn an_old_unfinished_session_resumes_with_its_scores() {
    let home = Home::new();
    install(&home, "session-format1-unfinished.jsonl");
    let before = review_json(&home);
    assert_eq!(before["status"], "unfinished");
    // The candidate answers the waiting probe, then ends.
    let out = home.run(
        &["resume", ID, "--offline"],
        "Past the trained length the rotation angles are ones the model never saw, so attention \
         scores at those distances are out of distribution.\n/end\n",
    );
    assert!(
        out.status.success(),
        "resume failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = review_json(&home);
    assert_eq!(after["status"], "finished");
    let q = |r: &Value, i: usize, k: &str| r["questions"][i][k].clone();
    // Earlier questions keep exactly what they had.
    for i in 0..2 {
        assert_eq!(q(&after, i, "score"), q(&before, i, "score"));
        assert_eq!(q(&after, i, "status"), q(&before, i, "status"));
        assert_eq!(q(&after, i, "answers"), q(&before, i, "answers"));
        assert_eq!(q(&after, i, "hints"), q(&before, i, "hints"));
    }
    assert_eq!(q(&after, 0, "score"), 7.6);
    assert_eq!(q(&after, 1, "status"), "skipped");
    // The probe answer joined the third question.
    let answers = q(&after, 2, "answers");
    assert_eq!(answers.as_array().map(Vec::len), Some(2), "{answers}");
    assert_eq!(q(&after, 2, "why_depth"), 1);
}

#[test]
fn a_format_2_finished_session_reviews_as_it_did_when_written() {
    let mut keys = REVIEW_KEYS.to_vec();
    keys.extend(["turns", "usage"]);
    assert_reviews_as_written("session-format2-finished", ID2, &keys);
}

#[test]
fn a_format_2_unfinished_session_resumes_exactly_and_is_appended_to() {
    let home = Home::new();
    let path = install_as(&home, "session-format2-unfinished.jsonl", ID2);
    let old = std::fs::read(&path).expect("the fixture");
    let before = review_of(&home, ID2);
    assert_eq!(before["status"], "unfinished");
    let out = home.run(
        &["resume", ID2],
        "The reward is implicit in the policy: beta times the log-ratio of the policy to the \
         reference model.\n/end\n",
    );
    assert!(
        out.status.success(),
        "resume failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new = std::fs::read(&path).expect("the session file");
    assert!(
        new.starts_with(&old),
        "resuming appends to the file instead of rewriting it"
    );
    let appended = String::from_utf8_lossy(&new[old.len()..]).to_string();
    let kinds: Vec<String> = appended
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("a JSON line")["type"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "checkpoint").count(),
        1,
        "one whole checkpoint as the base, then updates: {kinds:?}"
    );
    assert!(kinds.iter().any(|k| k == "update"), "{kinds:?}");

    let after = review_of(&home, ID2);
    assert_eq!(after["status"], "finished");
    let questions = |r: &Value| r["questions"].as_array().cloned().expect("questions");
    let (was, now) = (questions(&before), questions(&after));
    assert_eq!(now.len(), 3);
    // The questions finished before the crash are exactly as they were, every field of them.
    assert_eq!(now[..2], was[..2]);
    assert_eq!(now[1]["status"], "skipped");
    // The waiting probe got its answer.
    assert_eq!(now[2]["answers"].as_array().map(Vec::len), Some(2));
    assert_eq!(now[2]["why_depth"], 1);
    // The transcript before the resume is kept word for word.
    let turns = |r: &Value| r["turns"].as_array().cloned().expect("turns");
    assert_eq!(turns(&after)[..turns(&before).len()], turns(&before)[..]);
}
