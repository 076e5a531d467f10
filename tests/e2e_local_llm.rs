//! End-to-end: a 3-question interview through a real OpenAI-compatible server, with the LLM judge
//! and the summariser on. It needs a server, so it is ignored by a plain `cargo test` (reported as
//! ignored, with the reason); `.ci/run` starts the local llama.cpp server when one is set up, sets
//! `INTERVIEWER_E2E_BASE_URL` and runs `cargo test --test e2e_local_llm -- --ignored`. Run that way
//! without the variable, it fails saying what is missing rather than passing without a server.

use assert_cmd::Command;
use interviewer::agent::plan::{self, PlanRequest};
use interviewer::bank::{Mode, load_builtin};
use serde_json::Value;
use std::time::Duration;

fn strong_answer(question: &str) -> String {
    let fixtures = include_str!("fixtures/graded_answers.jsonl");
    fixtures
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["question"] == question && v["kind"] == "strong")
        .and_then(|v| v["answer"].as_str().map(str::to_string))
        .unwrap_or_else(|| format!("I would explain {question} step by step."))
}

#[test]
#[ignore = "needs a model server: set INTERVIEWER_E2E_BASE_URL and run with --ignored (.ci/run does when a local server is set up)"]
fn three_question_interview_through_a_real_server() {
    let url = std::env::var("INTERVIEWER_E2E_BASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .expect("INTERVIEWER_E2E_BASE_URL is not set: this test needs a model server (.ci/run starts one)");
    let model = std::env::var("INTERVIEWER_E2E_MODEL").unwrap_or_else(|_| "local".into());
    let home = tempfile::tempdir().expect("tempdir");
    let bank = load_builtin().expect("built-in bank");
    let req = PlanRequest {
        mode: Mode::FirstRound,
        questions: Some(3),
        seed: 1,
        ..Default::default()
    };
    let ids = plan::build(&bank, &req).expect("plan");
    // An answer and a probe answer per planned question; extra lines end up as extra answers.
    let mut input: String = ids
        .iter()
        .flat_map(|id| [strong_answer(id), strong_answer(id)])
        .map(|a| a.replace('\n', " ") + "\n")
        .collect();
    // The candidate ends the interview; whatever the model does, /end ends it.
    input.push_str("/end\n");

    let out = Command::cargo_bin("interviewer")
        .expect("binary")
        .args([
            "start",
            "--base-url",
            &url,
            "--model",
            &model,
            "--questions",
            "3",
            "--seed",
            "1",
        ])
        .args([
            "--context-tokens",
            "3000",
            "--timeout",
            "600",
            "--judge",
            "llm",
        ])
        .env("INTERVIEWER_HOME", home.path())
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("INTERVIEWER_MODEL")
        .write_stdin(input)
        .timeout(Duration::from_secs(1500))
        .output()
        .expect("run interviewer");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("--- interviewer stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
    assert!(out.status.success(), "exit status {:?}", out.status);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.to_lowercase().contains("error"))
        .collect();
    assert!(errors.is_empty(), "errors reached the user: {errors:?}");

    let review = Command::cargo_bin("interviewer")
        .expect("binary")
        .args(["review", "--format", "json"])
        .env("INTERVIEWER_HOME", home.path())
        .output()
        .expect("review");
    assert!(review.status.success());
    let json: Value = serde_json::from_slice(&review.stdout).expect("review json");
    eprintln!(
        "--- review: overall {} usage {} ---",
        json["overall"], json["usage"]
    );
    let questions = json["questions"].as_array().expect("questions");
    assert_eq!(questions.len(), 3, "three questions asked: {questions:?}");
    for q in questions {
        let score = q["score"].as_f64().expect("every question has a score");
        assert!((0.0..=10.0).contains(&score));
        assert!(!q["answers"].as_array().expect("answers").is_empty(), "{q}");
        eprintln!(
            "{}: {score} (scorer {}, judge note {})",
            q["id"], q["scorer"], q["judge_note"]
        );
    }
    assert_eq!(json["status"], "finished");
    assert!(json["usage"]["llm_calls"].as_u64().unwrap_or(0) > 0);

    // The turn contract on a real small model: every interviewer turn after an answer asks
    // something (a question mark, or a bank question or probe, which may be an instruction).
    let bank_texts: Vec<String> = bank
        .questions
        .iter()
        .flat_map(|q| {
            std::iter::once(q.ask.clone()).chain(
                q.points
                    .iter()
                    .flat_map(|p| p.probes.iter().chain(p.derivations.iter()).cloned()),
            )
        })
        .collect();
    let turns = json["turns"].as_array().expect("turns");
    let mut after_answers = 0;
    for (i, t) in turns.iter().enumerate() {
        let text = t["text"].as_str().unwrap_or_default();
        if t["speaker"] != "candidate" || text.starts_with('/') {
            continue;
        }
        let Some(reply) = turns[i + 1..]
            .iter()
            .find(|u| u["speaker"] == "interviewer")
            .and_then(|u| u["text"].as_str())
        else {
            continue;
        };
        if reply.starts_with("Overall you scored") {
            continue;
        }
        let ended = turns[i + 1..].iter().all(|u| u["speaker"] != "candidate");
        let asks = reply.contains('?') || bank_texts.iter().any(|b| reply.contains(b.as_str()));
        assert!(
            asks || ended,
            "an interviewer turn after an answer asked nothing: {reply:?}"
        );
        after_answers += 1;
        eprintln!("turn after answer {after_answers}: {reply}");
    }
    assert!(after_answers >= 3, "{after_answers}");

    // No sentence of these strong answers is told back as wrong: the judge alone, not calibrated,
    // does not count errors the rubric does not list (a 0.5B model once confirmed its own flags on
    // three right sentences: "I have to stop you there: it isn't right that so each token's
    // embedding gets multiplied by three learned weight matrices ...").
    let answered: Vec<String> = turns
        .iter()
        .filter(|t| t["speaker"] == "candidate")
        .filter_map(|t| t["text"].as_str())
        .flat_map(|a| a.split(". ").map(|s| s.trim().to_lowercase()))
        .filter(|s| s.split_whitespace().count() >= 6)
        .collect();
    let verdicts = [
        "isn't right",
        "isn't correct",
        "not the case",
        "double-check",
        "not sure about",
        "look at again",
    ];
    for t in turns.iter().filter(|t| t["speaker"] == "interviewer") {
        let said = t["text"].as_str().unwrap_or_default().to_lowercase();
        if !verdicts.iter().any(|v| said.contains(v)) {
            continue;
        }
        for sentence in &answered {
            let tail: String = sentence
                .split_whitespace()
                .skip(1)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                !said.contains(&tail),
                "the candidate's own sentence was said back as a verdict: {said:?}"
            );
        }
    }
    assert!(
        json["end_reason"].as_str().is_some(),
        "the session ended: {}",
        json["end_reason"]
    );
}
