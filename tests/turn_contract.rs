//! The turn contract against a model that ignores every instruction: the real binary, driven line
//! by line, over a local scripted OpenAI-compatible server whose only reply is "Great!".

mod common;

use common::cli::{Home, Live, answer};
use common::{ScriptedServer, sse_text};

/// The words of praise a low-scoring answer must never get.
const PRAISE: [&str; 4] = ["great", "excellent", "perfect", "exactly"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_that_only_says_great_still_asks_every_turn_and_end_ends_the_session() {
    let server = ScriptedServer::always(sse_text(&["Great!"])).await;
    let base = server.base_url();
    let checked = tokio::task::spawn_blocking(move || {
        let home = Home::new();
        let mut live = Live::start(
            &home,
            &[
                "start",
                "--base-url",
                &base,
                "--model",
                "stubborn",
                "--questions",
                "3",
                "--seed",
                "2",
                "--judge",
                "rubric",
            ],
        );
        let opening = live.turn();
        let mut on_table = opening
            .waiting
            .clone()
            .unwrap_or_else(|| panic!("the opening asks a question: {:?}", opening.lines));
        let mut turns = 0;
        // Weak answers, then a wrong one: every turn after an answer asks something, and none
        // opens with praise.
        for kind in ["vague", "vague", "wrong", "vague"] {
            live.send(&answer(&on_table.question, kind));
            let turn = live.turn();
            let waiting = turn
                .waiting
                .clone()
                .unwrap_or_else(|| panic!("no question after a {kind} answer: {:?}", turn.lines));
            let said = turn.lines.join(" ").to_lowercase();
            for word in PRAISE {
                assert!(
                    !said.contains(word),
                    "a {kind} answer was met with {word:?}: {said}"
                );
            }
            on_table = waiting;
            turns += 1;
        }
        // /end with stdin still open: the process ends within that turn.
        live.send("/end");
        let mut rest = vec![];
        while let Some(line) = live.line() {
            rest.push(line);
        }
        assert!(
            rest.iter().any(|l| l.starts_with("Overall you scored")),
            "{rest:?}"
        );
        let (ok, stderr, _) = live.finish();
        assert!(ok, "{stderr}");
        let review = home.review();
        assert_eq!(review["status"], "finished");
        assert!(
            review["end_reason"]
                .as_str()
                .is_some_and(|r| r.contains("candidate")),
            "{}",
            review["end_reason"]
        );
        // What the state says is asked matches what was said: every question's probes were
        // spoken, and the answers line up with the prompts.
        let turns_text: Vec<String> = review["turns"]
            .as_array()
            .expect("turns")
            .iter()
            .filter(|t| t["speaker"] == "interviewer")
            .filter_map(|t| t["text"].as_str().map(str::to_string))
            .collect();
        for q in review["questions"].as_array().expect("questions") {
            for probe in q["probes"].as_array().expect("probes") {
                let probe = probe.as_str().expect("text");
                assert!(
                    turns_text.iter().any(|t| t.contains(probe)),
                    "probe recorded but never said: {probe}"
                );
            }
        }
        turns
    })
    .await
    .expect("the driver thread");
    assert_eq!(checked, 4);
}

/// Fails the first `times` requests that carry `answer` with a 400 (not retried by the client),
/// and answers every other request with "Great!".
struct FailsOn {
    answer: String,
    times: usize,
    failed: std::sync::atomic::AtomicUsize,
}

impl FailsOn {
    fn new(answer: &str, times: usize) -> Self {
        FailsOn {
            answer: answer.to_string(),
            times,
            failed: Default::default(),
        }
    }
}

impl wiremock::Respond for FailsOn {
    fn respond(&self, request: &wiremock::Request) -> wiremock::ResponseTemplate {
        use std::sync::atomic::Ordering;
        let body = String::from_utf8_lossy(&request.body);
        if body.contains(&self.answer) && self.failed.fetch_add(1, Ordering::SeqCst) < self.times {
            return common::error_response(400, "scripted failure", None, None);
        }
        sse_text(&["Great!"])
    }
}

/// Everything a run printed, standard output then standard error.
fn output_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_piped_answer_whose_turn_fails_once_is_sent_once_more_and_saved_once() {
    let kept =
        "The cache keeps every past key and value so each step attends without recomputing them.";
    let server = ScriptedServer::start(FailsOn::new(kept, 1)).await;
    let base = server.base_url();
    let home = tokio::task::spawn_blocking(move || {
        let home = Home::new();
        let args = [
            "start",
            "--base-url",
            &base,
            "--model",
            "m",
            "--topics",
            "kv-cache",
            "--questions",
            "1",
            "--judge",
            "rubric",
        ];
        // The answer, then /end: nobody presses Enter, the interview sends the answer again.
        let out = home.run(&args, &format!("{kept}\n/end\n"));
        let printed = output_text(&out);
        assert!(out.status.success(), "{printed}");
        assert!(
            printed.contains("Your answer is kept: sending it once more"),
            "{printed}"
        );
        home
    })
    .await
    .expect("the interview ran");

    let bodies = server.requests().await;
    let carrying = bodies
        .iter()
        .filter(|b| b.to_string().contains(kept))
        .count();
    assert!(carrying >= 2, "the kept answer was sent again ({carrying})");
    let session = std::fs::read_to_string(home.session_file()).expect("the session file");
    let said = session
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|r| r["type"] == "turn" && r["speaker"] == "candidate" && r["text"] == kept)
        .count();
    assert_eq!(said, 1, "the answer is in the transcript once:\n{session}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn piped_input_sends_a_failed_answer_once_more_then_stops_saved_for_resume() {
    let kept =
        "The cache keeps every past key and value so each step attends without recomputing them.";
    let next = "A line written for the next question, never to be taken for this one.";
    let failing = ScriptedServer::start(FailsOn::new(kept, usize::MAX)).await;
    let working = ScriptedServer::always(sse_text(&["Great!"])).await;
    let (base, good) = (failing.base_url(), working.base_url());
    tokio::task::spawn_blocking(move || {
        let home = Home::new();
        let args = |base: &str| {
            ["--base-url", base, "--model", "m", "--judge", "rubric"].map(String::from)
        };
        let mut start: Vec<String> = ["start", "--topics", "kv-cache", "--questions", "1"]
            .map(String::from)
            .to_vec();
        start.extend(args(&base));
        let start: Vec<&str> = start.iter().map(String::as_str).collect();
        let out = home.run(&start, &format!("{kept}\n{next}\n"));
        let printed = output_text(&out);
        assert!(
            !out.status.success(),
            "a turn that cannot be sent stops: {printed}"
        );
        assert!(printed.contains("sending it once more"), "{printed}");
        assert!(!printed.contains("press Enter"), "nobody can: {printed}");
        assert!(printed.contains("resume"), "how to go on: {printed}");
        let session = std::fs::read_to_string(home.session_file()).expect("the session file");
        let said: Vec<String> = session
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|r| r["type"] == "turn" && r["speaker"] == "candidate")
            .filter_map(|r| r["text"].as_str().map(String::from))
            .collect();
        assert_eq!(said, [kept], "the kept answer once, the next line never");

        // Once the server answers, resume sends the kept answer and the interview goes on.
        let mut resume: Vec<String> = vec!["resume".into()];
        resume.extend(args(&good));
        let resume: Vec<&str> = resume.iter().map(String::as_str).collect();
        let out = home.run(&resume, "/end\n");
        let printed = output_text(&out);
        assert!(out.status.success(), "{printed}");
        assert!(
            printed.contains("Continuing with your last answer"),
            "{printed}"
        );
    })
    .await
    .expect("the interview ran");
    assert!(
        failing
            .requests()
            .await
            .iter()
            .filter(|b| b.to_string().contains(kept))
            .count()
            >= 2,
        "sent, then sent once more"
    );
}
