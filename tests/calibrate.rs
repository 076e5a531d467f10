//! `interviewer calibrate` and `interviewer score --judge llm`: the real binary, with the rubric
//! scorer offline and with the LLM judge of a local scripted OpenAI-compatible server.

mod common;

use common::cli::{Home, STUCK, bank};
use common::{JUDGE_PREFIX, JudgeChecks, ScriptedServer, judge_check, sse_text};
use interviewer::scoring::agreement::{Pair, measure};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const DEV: &str = include_str!("../tools/graded/dev.jsonl");

/// The first `n` rows of the dev split, each on one line.
fn dev_rows(n: usize) -> Vec<Value> {
    DEV.lines()
        .filter(|l| !l.trim().is_empty())
        .take(n)
        .map(|l| serde_json::from_str(l).expect("dev row"))
        .collect()
}

/// Rows spread over the dev split (every `step`-th), for a mix of questions and kinds.
fn spread_rows(count: usize, step: usize) -> Vec<Value> {
    DEV.lines()
        .filter(|l| !l.trim().is_empty())
        .step_by(step)
        .take(count)
        .map(|l| serde_json::from_str(l).expect("dev row"))
        .collect()
}

fn write_set(home: &Home, name: &str, rows: &[Value]) -> PathBuf {
    let path = home.path().join(name);
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&path, text).expect("write set");
    path
}

fn json_out(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn run(home: &Home, args: &[&str]) -> std::process::Output {
    home.cmd(args).timeout(STUCK).output().expect("run")
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn calibrate_json_agrees_with_scoring_the_rows_one_by_one() {
    let home = Home::new();
    let rows = spread_rows(16, 7);
    let set = write_set(&home, "set.jsonl", &rows);
    let report = json_out(&run(&home, &["calibrate", path_str(&set), "--json"]));
    assert!(
        report.get("held_out").is_none(),
        "a given set is measured alone"
    );

    let mut pairs = vec![];
    for r in &rows {
        let q = r["question"].as_str().expect("question");
        let answer = r["answer"].as_str().expect("answer");
        let one = json_out(&home.run(&["score", "--question", q, "--json"], answer));
        pairs.push(Pair {
            label: r["id"].as_str().expect("id").to_string(),
            question: q.to_string(),
            kind: r["kind"].as_str().map(str::to_string),
            grade: r["grade"].as_f64().expect("grade") as f32,
            score: one["score"].as_f64().expect("score") as f32,
        });
    }
    let expected = measure(&pairs, "rubric");
    assert_eq!(report["n"], json!(rows.len()));
    assert_eq!(report["scorer"], "rubric");
    assert_eq!(report["spearman"].as_f64(), Some(expected.spearman));
    assert_eq!(report["mae"].as_f64(), Some(expected.mae));
    for (kind, stats) in &expected.by_kind {
        assert_eq!(
            report["by_kind"][kind]["mean_score"].as_f64(),
            Some(stats.mean_score),
            "{kind}"
        );
        assert_eq!(report["by_kind"][kind]["n"], json!(stats.n), "{kind}");
    }
    assert_eq!(report["set"], path_str(&set));
}

#[test]
fn calibrate_runs_the_built_in_test_split_by_default_and_samples_with_limit() {
    let home = Home::new();
    let report = json_out(&run(&home, &["calibrate", "--json"]));
    assert_eq!(report["set"], "built-in test split");
    assert!(report["n"].as_u64().is_some_and(|n| n >= 240), "{report}");
    let kinds = report["by_kind"].as_object().expect("by_kind");
    for k in [
        "strong",
        "paraphrase",
        "partial",
        "vague",
        "wrong",
        "buzzword",
        "injection",
        "offtopic",
    ] {
        assert!(kinds.contains_key(k), "{k}: {report}");
    }
    assert_eq!(report["worst"].as_array().map(Vec::len), Some(5));
    // Beside it, every split written outside the project, each measured.
    let held_out = report["held_out"].as_array().expect("held_out");
    assert_eq!(held_out.len(), 17, "{report}");
    for h in held_out {
        assert!(h["n"].as_u64().is_some_and(|n| n >= 60), "{h}");
        assert!(
            h["spearman"].as_f64().is_some_and(|r| r > 0.0 && r <= 1.0),
            "{h}"
        );
    }

    let sample = json_out(&run(&home, &["calibrate", "--json", "--limit", "10"]));
    assert_eq!(sample["n"], 10);
    assert!(
        sample.get("held_out").is_none(),
        "a sample is only the sample"
    );
    assert!(
        sample["set"]
            .as_str()
            .is_some_and(|s| s.contains("a sample of 10")),
        "{sample}"
    );

    let text = run(&home, &["calibrate"]);
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Spearman"), "{text}");
    assert!(text.contains("Largest disagreements"), "{text}");
    assert!(text.contains("fifth external set, test half"), "{text}");
    assert!(text.contains("sixth external set, test half"), "{text}");
    assert!(text.contains("seventh external set, test half"), "{text}");
}

#[test]
fn bad_calibrate_rows_are_errors_naming_their_lines() {
    let home = Home::new();
    let good = dev_rows(1).remove(0);
    let path = home.path().join("bad.jsonl");
    let text = format!(
        "{good}\n{{\"question\": \"rope\", \"answer\": \"x\"}}\n\n{{\"question\": \"no-such-question\", \"answer\": \"x\", \"grade\": 3}}\n{{\"question\": \"rope\", \"answer\": \"x\", \"grade\": 12}}\nnot json at all\n"
    );
    std::fs::write(&path, text).expect("write");
    let out = run(&home, &["calibrate", path_str(&path)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2: not a graded row"), "{err}");
    assert!(err.contains("missing field `grade`"), "{err}");
    assert!(
        err.contains("line 4: unknown question \"no-such-question\""),
        "{err}"
    );
    assert!(err.contains("line 5: grade 12"), "{err}");
    assert!(err.contains("line 6: not a graded row"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");

    let out = run(&home, &["calibrate", "/nonexistent/set.jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read graded set /nonexistent/set.jsonl"),
        "{err}"
    );
}

#[test]
fn the_llm_judge_needs_a_server() {
    let home = Home::new();
    for args in [
        &[
            "score",
            "--question",
            "rope",
            "--answer",
            "x",
            "--judge",
            "llm",
        ][..],
        &["calibrate", "--judge", "llm", "--limit", "2"][..],
    ] {
        let out = run(&home, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("needs a model server"), "{err}");
        assert!(err.contains("--base-url"), "{err}");
    }
}

/// Run the binary off the async runtime that serves the scripted server.
async fn run_async(home: &Home, args: Vec<String>, stdin: &str) -> std::process::Output {
    let mut cmd = home.cmd(&[]);
    cmd.args(&args)
        .write_stdin(stdin.to_string())
        .timeout(STUCK);
    tokio::task::spawn_blocking(move || cmd.output().expect("run"))
        .await
        .expect("join")
}

fn args(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// `score --question kv-cache --json` with the server flags, and `extra` flags.
fn score_on(base: &str, model: &str, extra: &[&str]) -> Vec<String> {
    let mut a = args(&[
        "score",
        "--question",
        "kv-cache",
        "--json",
        "--base-url",
        base,
        "--model",
        model,
    ]);
    a.extend(args(extra));
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn score_with_the_judge_alone_shows_its_score_beside_the_rubric() {
    let answer = bank().get("kv-cache").expect("kv-cache").reference.clone();
    // The judge finds no point made.
    let server = ScriptedServer::start(JudgeChecks(|_| "NO 0".into())).await;
    let home = Home::new();
    let cmd = score_on(&server.base_url(), "judge-model", &["--judge", "llm"]);
    let out = json_out(&run_async(&home, cmd.clone(), &answer).await);
    assert_eq!(out["scorer"], "llm", "{out}");
    assert_eq!(out["score"], 0.0, "the judge's score stands: {out}");
    assert_eq!(out["judge_score"], 0.0, "{out}");
    assert_eq!(out["calibrated"], false, "{out}");
    let rubric = out["rubric_score"]
        .as_f64()
        .expect("the rubric's score beside");
    assert!(
        rubric >= 7.0,
        "precondition: the rubric rates the reference highly: {out}"
    );
    assert!(
        out["note"]
            .as_str()
            .is_some_and(|n| n.contains("the rubric scorer gave")),
        "{out}"
    );
    let requests = server.requests().await;
    assert!(requests.len() >= 4, "a check per point and one for errors");
    assert!(requests.iter().all(|r| r["model"] == "judge-model"));
    // Every check of the answer shares its prefix: the same system prompt, and the same user
    // message up to the check, so a server serves it from its prompt cache.
    let prefix = |r: &Value| {
        let user = r["messages"][1]["content"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let cut = user.find("<<<END ANSWER").expect("the answer's end marker");
        (r["messages"][0].clone(), user[..cut].to_string())
    };
    let first = prefix(&requests[0]);
    assert!(first.1.contains("[1] "), "numbered sentences: {}", first.1);
    assert!(requests.iter().all(|r| prefix(r) == first));
    let checks: std::collections::BTreeSet<String> = requests.iter().map(judge_check).collect();
    assert_eq!(
        checks.len(),
        requests.len(),
        "each request asks a different check"
    );

    // Text output names both scores.
    let text_cmd: Vec<String> = cmd.into_iter().filter(|a| a != "--json").collect();
    let out = run_async(&home, text_cmd, &answer).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(llm scorer)"), "{text}");
    assert!(text.contains("Rubric scorer:"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_judge_alone_does_not_call_a_right_sentence_wrong_on_its_own_say_so() {
    // A model that names sentence 1 of a right answer as wrong and, asked about it alone, calls it
    // incorrect again: one model asked twice (a real 0.5B model did this to three strong answers).
    // Not calibrated, `--judge llm` neither asks for errors the rubric does not list nor tells one.
    let answer = bank().get("kv-cache").expect("kv-cache").reference.clone();
    let server = ScriptedServer::start(JudgeChecks(|check| {
        if check.contains("technically wrong") {
            "1".into()
        } else if check.contains("technically correct") {
            "NO".into()
        } else {
            "NO 0".into()
        }
    }))
    .await;
    let home = Home::new();
    let cmd = score_on(&server.base_url(), "judge-model", &["--judge", "llm"]);
    let out = json_out(&run_async(&home, cmd, &answer).await);
    assert_eq!(out["scorer"], "llm", "{out}");
    assert_eq!(out["misconceptions"], serde_json::json!([]), "{out}");
    assert!(
        !out["feedback"]
            .as_str()
            .unwrap_or_default()
            .contains("wrong"),
        "{out}"
    );
    let requests = server.requests().await;
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| !judge_check(r).contains("technically")),
        "no check for unlisted errors: {:?}",
        requests.iter().map(judge_check).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn score_falls_back_to_the_rubric_when_the_judge_cites_sentences_about_something_else() {
    let answer = "I'm honestly not sure. The cache keeps the keys and values of earlier tokens, so each step only computes the new token.";
    // YES to everything, citing the hedge.
    let server = ScriptedServer::start(JudgeChecks(|_| "YES 1".into())).await;
    let home = Home::new();
    let cmd = score_on(&server.base_url(), "judge-model", &[]);
    let out = json_out(&run_async(&home, cmd, answer).await);
    assert_eq!(out["scorer"], "rubric", "{out}");
    assert!(
        out["note"].as_str().is_some_and(
            |n| n.contains("cited no sentence about") && n.contains("rubric score used")
        ),
        "{out}"
    );
    let alone = json_out(&home.run(&["score", "--question", "kv-cache", "--json"], answer));
    assert_eq!(out["score"], alone["score"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calibrate_with_the_judge_saves_weights_that_score_and_interviews_then_use() {
    // The interviewer says hello; the judge says YES to points and NO to everything else.
    let server = ScriptedServer::always(sse_text(&["Hello! Tell me about yourself?"])).await;
    server
        .route_system_prefix(
            JUDGE_PREFIX,
            JudgeChecks(|check| {
                if check.contains("state this point") {
                    "YES".into()
                } else {
                    "NO 0".into()
                }
            }),
        )
        .await;
    let home = Home::new();
    let rows = spread_rows(8, 29);
    let set = write_set(&home, "small.jsonl", &rows);
    let base = server.base_url();
    let start = [
        "start",
        "--base-url",
        &base,
        "--model",
        "tiny",
        "--questions",
        "1",
    ];
    // Before any calibration: the default weight, said once to be unmeasured; `score` with the
    // same server grades the same way.
    let out = run_async(&home, args(&start), "").await;
    let all = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        all.matches("not yet measured for this model").count(),
        1,
        "{all}"
    );
    let answer = "The cache keeps the keys and values of earlier tokens, so each step only computes the new token.";
    let before = json_out(&run_async(&home, score_on(&base, "tiny", &[]), answer).await);
    assert_eq!(before["scorer"], "combined", "{before}");
    assert_eq!(before["calibrated"], false, "{before}");
    assert!(
        before["judge_weight"]
            .as_f64()
            .is_some_and(|w| w > 0.0 && w < 1.0),
        "{before}"
    );

    let cmd = [
        "calibrate",
        path_str(&set),
        "--judge",
        "llm",
        "--base-url",
        &base,
        "--model",
        "tiny",
        "--json",
    ];
    let report = json_out(&run_async(&home, args(&cmd), "").await);
    assert_eq!(report["n"], 8, "{report}");
    for figure in ["rubric", "judge_alone", "fitted"] {
        assert!(report[figure]["spearman"].is_number(), "{figure}: {report}");
    }
    let saved: Value = serde_json::from_str(
        &std::fs::read_to_string(home.path().join("calibrations.json")).expect("saved"),
    )
    .expect("calibrations.json parses");
    let entry = saved
        .as_object()
        .and_then(|m| m.values().next())
        .expect("one entry");
    assert_eq!(entry["model"], "tiny");
    assert_eq!(entry["n"], 8);
    assert_eq!(entry["weights"], report["fitted"]["weights"], "{entry}");
    let weight = entry["weights"]["judge"].as_f64().expect("a saved weight");

    // `score` and interviews with that model now use the saved weights, and say they are measured.
    let after = json_out(&run_async(&home, score_on(&base, "tiny", &[]), answer).await);
    assert_eq!(after["calibrated"], true, "{after}");
    let out = run_async(&home, args(&start), "").await;
    let all = String::from_utf8_lossy(&out.stderr).to_string();
    if weight > 0.0 {
        assert!(
            (after["judge_weight"].as_f64().unwrap_or(-1.0) - weight).abs() < 1e-6,
            "{after}"
        );
        assert_eq!(
            all.matches("measured on 8 graded answers").count(),
            1,
            "{all}"
        );
    } else {
        assert_eq!(after["scorer"], "rubric", "{after}");
        assert_eq!(
            all.matches("Grading with the rubric scorer").count(),
            1,
            "{all}"
        );
    }
    // --judge llm overrides the saved choice.
    let mut forced = args(&start);
    forced.extend(args(&["--judge", "llm"]));
    let out = run_async(&home, forced, "").await;
    let all = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(all.contains("as the only judge"), "{all}");
}

#[test]
fn calibrate_against_an_unreachable_server_stops_with_one_line() {
    let home = Home::new();
    let out = run(
        &home,
        &[
            "calibrate",
            "--judge",
            "llm",
            "--limit",
            "5",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--timeout",
            "5",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach the model server"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!home.path().join("calibrations.json").exists());
}
