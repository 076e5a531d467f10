//! Session files written by earlier releases keep working: a finished one (format 1, written on
//! 2026-12-01 with an answered question and its probe, a hinted and skipped question, and an
//! unanswered probe) reviews exactly as it did then, and the same session cut before its end
//! resumes with its scores intact.

mod common;

use common::cli::Home;
use serde_json::Value;
use std::path::Path;

const ID: &str = "20261201-122528-0266";

fn install(home: &Home, fixture: &str) {
    let dir = home.path().join("sessions");
    std::fs::create_dir_all(&dir).expect("sessions dir");
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    std::fs::copy(&src, dir.join(format!("{ID}.jsonl"))).expect("copy the fixture");
}

fn fixture_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(path).expect("read the fixture")
}

fn review_json(home: &Home) -> Value {
    let out = home.run(&["review", "--format", "json", ID], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("review json parses")
}

#[test]
fn an_old_finished_session_reviews_as_it_did_when_written() {
    let home = Home::new();
    install(&home, "session-format1-finished.jsonl");
    let review = review_json(&home);
    let expected: Value =
        serde_json::from_str(&fixture_text("session-format1-finished.review.json")).expect("json");
    for key in [
        "id",
        "mode",
        "status",
        "overall",
        "by_domain",
        "questions",
        "study_next",
    ] {
        assert_eq!(review[key], expected[key], "review field {key} changed");
    }
    let out = home.run(&["review", ID], "");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        fixture_text("session-format1-finished.review.txt"),
        "the text review changed"
    );
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
