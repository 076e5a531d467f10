//! `interviewer resume` after a hard crash: an offline interview runs as a child process, is
//! killed with SIGKILL while it waits for input, and is continued with `interviewer resume`.

mod common;

use common::cli::{Home, Live, STUCK, answer, bank};
use interviewer::session::store::load_file;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// Read until a line asks something; returns the question id, `None` when stdout closed.
fn next_question(live: &mut Live) -> Option<String> {
    live.turn().waiting.map(|p| p.question)
}

/// Answer strongly until the interview moves to a question not in `done`; returns it.
fn answer_until_new(live: &mut Live, current: &str, done: &[String]) -> Option<String> {
    let mut q = current.to_string();
    while q == current || done.contains(&q) {
        live.send(&answer(&q, "strong"));
        q = next_question(live)?;
    }
    Some(q)
}

/// Wait until the session file ends with a saved state holding `asked` questions (the
/// interviewer prints its line before saving the state, so the line alone does not mean it is
/// saved).
fn wait_for_checkpoint(path: &Path, asked: usize) {
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let last: Option<Value> = text
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .and_then(|l| serde_json::from_str(l).ok());
        let saved_last = last.is_some_and(|v| is_save(&v));
        if saved_last
            && load_file(path)
                .is_ok_and(|s| s.state().is_some_and(|st| st.questions.len() == asked))
        {
            return;
        }
        assert!(
            started.elapsed() < STUCK,
            "no saved state with {asked} questions:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A record that saves the interview state: whole, or the changes since the last save.
fn is_save(record: &Value) -> bool {
    record["type"] == "checkpoint" || record["type"] == "update"
}

/// Start a 3-question interview, answer two questions, and kill it while it waits on the third.
/// Returns the id of the third question.
fn crash_after_two_answers(home: &Home) -> String {
    let mut live = Live::start(home, &["--offline", "--questions", "3", "--seed", "17"]);
    let first = next_question(&mut live).expect("a first question");
    let second = answer_until_new(&mut live, &first, &[]).expect("a second question");
    let third = answer_until_new(&mut live, &second, std::slice::from_ref(&first))
        .expect("a third question");
    wait_for_checkpoint(&home.session_file(), 3);
    live.kill();
    third
}

/// Each question's id, score (-1 for a question not reached, whose score is null) and answers.
fn scores(review: &Value) -> Vec<(String, f64, usize)> {
    review["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| {
            let score = match q["status"].as_str() {
                Some("not_reached") => {
                    assert!(q["score"].is_null(), "{q}");
                    -1.0
                }
                _ => q["score"].as_f64().expect("a score"),
            };
            (
                q["id"].as_str().unwrap().to_string(),
                score,
                q["answers"].as_array().unwrap().len(),
            )
        })
        .collect()
}

/// Resume the latest unfinished session and answer until it ends; checks that it continues with
/// `expect_first` when given. Returns (stderr, stdout).
fn resume_and_finish(home: &Home, expect_first: Option<&str>) -> (String, Vec<String>) {
    let mut live = Live::start(home, &["resume"]);
    let q = next_question(&mut live).expect("the resumed interview asks a question");
    if let Some(expect_first) = expect_first {
        assert_eq!(
            q, expect_first,
            "resume continues with the question that was on the table"
        );
    }
    let mut current = q;
    let mut answered = vec![];
    while let Some(next) = answer_until_new(&mut live, &current, &answered) {
        answered.push(current);
        current = next;
    }
    let (ok, stderr, stdout) = live.finish();
    assert!(ok, "resume failed: {stderr}");
    (stderr, stdout)
}

#[test]
fn a_killed_interview_resumes_with_its_scores_intact() {
    let home = Home::new();
    let third = crash_after_two_answers(&home);

    let before = home.review();
    assert_ne!(before["status"], "finished");
    let before_scores = scores(&before);
    assert_eq!(before_scores.len(), 3);
    assert_eq!(before_scores[2].0, third);
    assert!(
        before_scores[..2]
            .iter()
            .all(|(_, s, n)| *s >= 7.5 && *n >= 1),
        "{before_scores:?}"
    );

    let (_, stdout) = resume_and_finish(&home, Some(&third));
    assert!(
        stdout.iter().any(|l| l.starts_with("Overall you scored")),
        "{stdout:?}"
    );
    // The resumed interview does not ask the answered questions again.
    for (id, _, _) in &before_scores[..2] {
        let ask = bank().get(id).unwrap().ask.trim().to_string();
        assert!(
            !stdout.iter().any(|l| l.ends_with(&ask)),
            "{id} asked again"
        );
    }

    let after = home.review();
    assert_eq!(after["status"], "finished");
    let after_scores = scores(&after);
    assert_eq!(after_scores.len(), 3);
    assert_eq!(
        after_scores[..2],
        before_scores[..2],
        "earlier scores changed"
    );
    assert_eq!(after_scores[2].0, third);
    assert!(
        after_scores[2].1 >= 7.5,
        "the third answer was scored: {after_scores:?}"
    );

    // Finished now: nothing left to resume.
    let again = home.run(&["resume"], "");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no unfinished session"));
}

#[test]
fn resume_with_nothing_to_resume_fails_clearly() {
    let home = Home::new();
    let out = home.run(&["resume"], "");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no unfinished session to resume"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one clear line: {stderr}");
    assert!(out.stdout.is_empty());

    let unknown = home.run(&["resume", "20000101-000000-dead"], "");
    assert!(!unknown.status.success());
    assert!(!unknown.stderr.is_empty());
}

#[test]
fn a_half_written_last_line_is_dropped_with_a_warning() {
    let home = Home::new();
    let third = crash_after_two_answers(&home);
    let path = home.session_file();
    let before = scores(&home.review());
    // A crash in the middle of appending the next record.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(br#"{"type":"turn","speaker":"candidate","text":"I was saying that the ca"#)
        .unwrap();
    drop(f);

    let (stderr, _) = resume_and_finish(&home, Some(&third));
    assert!(
        stderr.contains("incomplete last line"),
        "no warning: {stderr}"
    );
    let after = home.review();
    assert_eq!(after["status"], "finished");
    assert_eq!(scores(&after)[..2], before[..2]);
    // The repaired file has only complete JSON lines.
    let text = std::fs::read_to_string(&path).unwrap();
    for (i, line) in text.lines().enumerate() {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "line {} is not JSON: {line}",
            i + 1
        );
    }
}

#[test]
fn a_truncated_last_checkpoint_resumes_from_the_one_before() {
    let home = Home::new();
    crash_after_two_answers(&home);
    let path = home.session_file();
    // Cut the last record (the newest saved state, an update) in half, as a crash mid-write would.
    let text = std::fs::read_to_string(&path).unwrap();
    let body = text.trim_end_matches('\n');
    let last_start = body.rfind('\n').map_or(0, |i| i + 1);
    let cut = last_start + (body.len() - last_start) / 2;
    std::fs::write(&path, &text.as_bytes()[..cut]).unwrap();

    let loaded = home.review();
    assert!(
        loaded["warnings"].as_array().is_some_and(|w| w
            .iter()
            .any(|x| x.as_str().unwrap_or("").contains("incomplete"))),
        "review reports the dropped line: {}",
        loaded["warnings"]
    );
    let first = scores(&loaded)[0].clone();

    let (stderr, _) = resume_and_finish(&home, None);
    assert!(
        stderr.contains("incomplete last line"),
        "no warning: {stderr}"
    );
    let after = home.review();
    assert_eq!(after["status"], "finished");
    assert_eq!(
        scores(&after)[0],
        first,
        "the first question's score is intact"
    );
    assert_eq!(scores(&after).len(), 3);
}

#[test]
fn an_answer_whose_checkpoint_was_lost_is_scored_on_resume_not_asked_again() {
    let home = Home::new();
    let mut live = Live::start(&home, &["--offline", "--questions", "2", "--seed", "17"]);
    let first = next_question(&mut live).expect("a first question");
    let ans = answer(&first, "strong").replace('\n', " ");
    live.send(&ans);
    // Wait until the answer's turn is saved, then drop everything after it: the process died
    // after logging the answer and before scoring and checkpointing it.
    let path = home.session_file();
    let deadline = Instant::now() + STUCK;
    loop {
        let text = std::fs::read_to_string(&path).unwrap();
        let saves = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(is_save)
            .count();
        if saves >= 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the answer was never checkpointed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    live.kill();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let answer_line = lines
        .iter()
        .rposition(|l| l.contains("\"candidate\""))
        .unwrap_or_else(|| panic!("no answer's turn in:\n{text}"));
    let mut file = std::fs::File::create(&path).unwrap();
    for l in &lines[..=answer_line] {
        writeln!(file, "{l}").unwrap();
    }
    drop(file);

    let mut live = Live::start(&home, &["resume"]);
    let turn = live.turn();
    assert!(
        turn.waiting
            .as_ref()
            .is_some_and(|p| p.question != first || p.point.is_some()),
        "resume went on from the saved answer instead of asking the question again: {turn:?}"
    );
    live.send("/end");
    let (ok, stderr, _) = live.finish();
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("Continuing with your last answer"),
        "{stderr}"
    );
    let review = home.review();
    let q = &review["questions"][0];
    assert_eq!(q["id"], first.as_str());
    assert_eq!(q["answers"].as_array().map(Vec::len), Some(1), "{q}");
    let said: usize = review["turns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["speaker"] == "candidate" && t["text"] == ans.as_str())
        .count();
    assert_eq!(said, 1, "the answer is in the transcript once");
    assert!(q["score"].as_f64().unwrap() > 0.0);
}

#[test]
fn each_save_appends_what_is_new_so_a_long_answer_is_not_written_again() {
    let home = Home::new();
    // A long first answer, then five more exchanges.
    let long = format!(
        "zqx-long-answer {}",
        "the cache keeps the keys and values of earlier tokens ".repeat(400)
    );
    let mut input = format!("{long}\n");
    for i in 0..5 {
        input.push_str(&format!(
            "answer number {i}, about keys, values and memory\n"
        ));
    }
    let out = home.run(&["--offline", "--questions", "4", "--seed", "5"], &input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(home.session_file()).unwrap();
    let copies = text.matches(long.trim()).count();
    // Said once (the transcript), kept once in the scored state and in the model's context, and
    // quoted once by the offline interviewer's score_answer call: never again on later saves
    // (every save used to repeat it: 11 copies here).
    assert!(copies <= 4, "the long answer is written {copies} times");
    assert!(
        text.len() < 5 * long.len() + 100_000,
        "{} bytes for a {}-byte answer",
        text.len(),
        long.len()
    );
    let review = home.review();
    assert_eq!(review["status"], "finished");
    assert!(
        review["questions"][0]["answers"][0]
            .as_str()
            .is_some_and(|a| a.starts_with("zqx-long-answer"))
    );
}
