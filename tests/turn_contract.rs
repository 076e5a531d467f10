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
