//! Offline interview benchmark: runs the binary on a scripted 20-answer first-round interview and
//! reports medians over several runs of
//! - process start to exit (target < 0.3 s),
//! - time to the first interviewer line and to the first question (target < 50 ms),
//! - peak resident memory of the child (`ru_maxrss` from `wait4`; target < 30 MB).
//!
//! Run with `cargo bench --bench offline` (the bench profile builds an optimised binary).
//! Set `OFFLINE_BENCH_RUNS` to change the number of runs (default 10). No assertions on time.

use interviewer::agent::plan::{self, PlanRequest};
use interviewer::bank::{Mode, load_builtin};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_interviewer");
const SEED: u64 = 7;
const QUESTIONS: usize = 20;

/// One measured run.
struct Sample {
    total: Duration,
    first_line: Duration,
    first_question: Duration,
    max_rss_kb: i64,
    lines: usize,
    wrapped_up: bool,
    success: bool,
}

fn main() {
    let runs: usize = std::env::var("OFFLINE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
        .max(1);
    let (script, first_ask) = script();
    println!("offline interview benchmark: {BIN}");
    println!(
        "scripted first round: {QUESTIONS} questions, seed {SEED}, {} bytes of answers, {runs} runs (+1 warm-up)",
        script.len()
    );

    let warm = run_once(&script, &first_ask);
    if !warm.success || !warm.wrapped_up {
        println!(
            "warning: the warm-up run did not finish cleanly (success {}, wrap-up {})",
            warm.success, warm.wrapped_up
        );
    }
    let samples: Vec<Sample> = (0..runs).map(|_| run_once(&script, &first_ask)).collect();
    let failed = samples
        .iter()
        .filter(|s| !s.success || !s.wrapped_up)
        .count();
    if failed > 0 {
        println!("warning: {failed} run(s) did not end with a wrap-up and exit 0");
    }

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let total: Vec<f64> = samples.iter().map(|s| ms(s.total)).collect();
    let first_line: Vec<f64> = samples.iter().map(|s| ms(s.first_line)).collect();
    let first_q: Vec<f64> = samples.iter().map(|s| ms(s.first_question)).collect();
    let rss: Vec<f64> = samples
        .iter()
        .map(|s| s.max_rss_kb as f64 / 1024.0)
        .collect();
    println!("stdout lines per run: {}", samples[0].lines);
    println!();
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>10}  target",
        "metric", "median", "min", "max", ""
    );
    report("start to exit (ms)", &total, 300.0);
    report("start to first line (ms)", &first_line, 50.0);
    report("start to first question (ms)", &first_q, 50.0);
    report("peak RSS (MB)", &rss, 30.0);
}

fn report(name: &str, values: &[f64], target: f64) {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let median = if v.len() % 2 == 1 {
        v[v.len() / 2]
    } else {
        (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
    };
    let verdict = if median < target { "ok" } else { "MISSED" };
    println!(
        "{name:<28} {median:>10.1} {:>10.1} {:>10.1} {:>10}  < {target} {verdict}",
        v[0],
        v[v.len() - 1],
        ""
    );
}

/// The scripted answers (the strong graded answer for each planned question, in plan order) and
/// the first question's text.
fn script() -> (String, String) {
    let bank = load_builtin().expect("the built-in bank loads");
    let req = PlanRequest {
        mode: Mode::FirstRound,
        questions: Some(QUESTIONS),
        seed: SEED,
        ..PlanRequest::default()
    };
    let plan = plan::build(&bank, &req).expect("a plan");
    let strong = strong_answers();
    let mut script = String::new();
    for id in &plan {
        let answer = strong
            .get(id)
            .map(String::as_str)
            .unwrap_or("I am not sure about this one.");
        script.push_str(&answer.replace(['\n', '\r'], " "));
        script.push('\n');
    }
    let first_ask = plan
        .first()
        .and_then(|id| bank.get(id))
        .map(|q| q.ask.trim().to_string())
        .unwrap_or_default();
    (script, first_ask)
}

fn strong_answers() -> HashMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/graded_answers.jsonl");
    let mut map = HashMap::new();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    for v in text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
    {
        if v["kind"] == "strong"
            && let (Some(q), Some(a)) = (v["question"].as_str(), v["answer"].as_str())
        {
            map.entry(q.to_string()).or_insert_with(|| a.to_string());
        }
    }
    map
}

fn run_once(script: &str, first_ask: &str) -> Sample {
    let home = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args([
            "--offline",
            "--mode",
            "first-round",
            "--questions",
            &QUESTIONS.to_string(),
            "--seed",
            &SEED.to_string(),
        ])
        .env("INTERVIEWER_HOME", home.path())
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("INTERVIEWER_BANK")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the interviewer");
    let pid = child.id() as libc::pid_t;
    let mut stdin = child.stdin.take().expect("stdin");
    let input = script.to_string();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let stdout = child.stdout.take().expect("stdout");
    let mut first_line = None;
    let mut first_question = None;
    let mut lines = 0;
    let mut wrapped_up = false;
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        let now = started.elapsed();
        lines += 1;
        first_line.get_or_insert(now);
        if first_question.is_none() && !first_ask.is_empty() && line.trim_end().ends_with(first_ask)
        {
            first_question = Some(now);
        }
        wrapped_up |= line.starts_with("Overall you scored");
    }
    let (success, max_rss_kb) = wait_with_rusage(pid);
    let total = started.elapsed();
    let _ = writer.join();
    // The child was reaped by wait4; dropping `child` does not wait again.
    drop(child);
    Sample {
        total,
        first_line: first_line.unwrap_or(total),
        first_question: first_question.unwrap_or(total),
        max_rss_kb,
        lines,
        wrapped_up,
        success,
    }
}

/// Reap `pid` with `wait4` to get its own resource usage: (exited 0, peak RSS in KiB).
fn wait_with_rusage(pid: libc::pid_t) -> (bool, i64) {
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value, and both pointers are valid for the call.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if r != pid {
        return (false, 0);
    }
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    // Linux reports ru_maxrss in KiB (macOS in bytes).
    let kb = if cfg!(target_os = "macos") {
        usage.ru_maxrss / 1024
    } else {
        usage.ru_maxrss
    };
    (ok, kb as i64)
}
