//! LLM judge speed against a real OpenAI-compatible server: wall time per judged answer (median
//! and p90), checks per answer, and the share of prompt tokens the server served from its cache.
//! Answers come from the external dev split, grouped by question as an interview meets them.
//!
//! ```sh
//! INTERVIEWER_BENCH_BASE_URL=http://127.0.0.1:8089/v1 INTERVIEWER_BENCH_ANSWERS=24 \
//!     cargo bench --bench judge
//! ```
//!
//! Without `INTERVIEWER_BENCH_BASE_URL` it says how to run it and does nothing (CI has no server).

use interviewer::agent::tokens::TokenCounter;
use interviewer::agent::usage::UsageMeter;
use interviewer::bank::load_builtin;
use interviewer::model::openai::{OpenAiConfig, OpenAiModel};
use interviewer::scoring::fusion::DEFAULT_WEIGHTS;
use interviewer::scoring::judge::{Judge, LlmJudge, concurrency_for};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let Ok(base_url) = std::env::var("INTERVIEWER_BENCH_BASE_URL") else {
        println!(
            "judge bench: set INTERVIEWER_BENCH_BASE_URL (e.g. http://127.0.0.1:8089/v1) to time the judge on a real server"
        );
        return;
    };
    let count: usize = std::env::var("INTERVIEWER_BENCH_ANSWERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(24);
    let model_name = std::env::var("INTERVIEWER_MODEL").unwrap_or_else(|_| "local".into());
    let bank = match load_builtin() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("the built-in bank is invalid: {e}");
            std::process::exit(1);
        }
    };
    let inner = match OpenAiModel::new(OpenAiConfig::new(&base_url, &model_name)) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("cannot set up the client: {e}");
            std::process::exit(1);
        }
    };
    // Counts the prompt tokens the server reports, and those it served from its cache.
    let metered = Arc::new(UsageMeter::new(
        Arc::new(inner),
        TokenCounter::Heuristic,
        Default::default(),
    ));
    // The judge as an interview with the default weights runs it.
    let judge = LlmJudge::new(metered.clone())
        .with_concurrency(concurrency_for(&base_url))
        .with_unlisted_errors(DEFAULT_WEIGHTS.unlisted_errors);
    // Answers grouped by question, as consecutive answers to one question meet them.
    let mut rows: Vec<(String, String)> = include_str!("../tools/graded/external-dev.jsonl")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| Some((v["question"].as_str()?.into(), v["answer"].as_str()?.into())))
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let step = (rows.len() / count.max(1)).max(1);
    let picked: Vec<&(String, String)> = rows.iter().step_by(step).take(count).collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    let mut times: Vec<Duration> = vec![];
    let mut checks = 0usize;
    for (qid, answer) in picked {
        let Some(q) = bank.get(qid) else { continue };
        let start = Instant::now();
        match runtime.block_on(judge.judge(q, answer, &[])) {
            Ok(j) => checks += j.requests,
            Err(e) => eprintln!("{qid}: {e}"),
        }
        times.push(start.elapsed());
    }
    if times.is_empty() {
        eprintln!("nothing was judged");
        std::process::exit(1);
    }
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    let usage = metered.totals();
    let (prompt, cached) = (usage.prompt_tokens, usage.cached_prompt_tokens);
    println!(
        "judge on {base_url} ({model_name}): {} answers, median {:.1} s, p90 {:.1} s per answer, {:.1} checks per answer, {:.0}% of {prompt} prompt tokens served from cache",
        times.len(),
        at(0.5).as_secs_f64(),
        at(0.9).as_secs_f64(),
        checks as f64 / times.len() as f64,
        if prompt > 0 {
            100.0 * cached as f64 / prompt as f64
        } else {
            0.0
        },
    );
}
