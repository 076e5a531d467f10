//! Prompt size per request over a 60-answer scripted interview: bounded context
//! (`context_tokens` 6000, old exchanges folded into a summary) against an unbounded baseline.
//!
//! Sizes are counted on the requests the scripted server received, with the agent's own token
//! counter. Prints both series, their summaries and the ratio of the last-20 means.
//! Run with `cargo bench --bench context`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;

use common::wiring::{
    bench_runtime_and_bank, interview_inputs, planned_state, serve_interview, wired_agent,
};
use common::*;
use interviewer::agent::tokens::TokenCounter;
use interviewer::bank::{Bank, Mode};
use interviewer::model::openai::OpenAiModel;

const ANSWERS: usize = 60;
const BOUNDED: usize = 6000;
const UNBOUNDED: usize = 10_000_000;

/// Sizes of the interviewer's requests, in order, and of the summariser's calls.
struct Series {
    interviewer: Vec<usize>,
    summarizer_calls: usize,
}

async fn run(bank: Arc<Bank>, context_tokens: usize) -> Result<Series, String> {
    let st = planned_state(&bank, Mode::FirstRound, &[], 20, 7).map_err(|e| e.to_string())?;
    let (server, script) = serve_interview(
        &bank,
        &st.plan,
        3,
        ANSWERS,
        "Earlier: the candidate answered several questions; follow-ups probed the reasons behind their claims.",
    )
    .await;
    let model =
        OpenAiModel::new(fast_config(&server.base_url(), false)).map_err(|e| e.to_string())?;
    let mut agent = wired_agent(Arc::new(model), bank, st, false, context_tokens);
    let inputs = interview_inputs(script.answers);
    for input in inputs {
        let mut sink = |_: &str| {};
        agent
            .respond(input, &mut sink)
            .await
            .map_err(|e| e.to_string())?;
    }
    let requests = server.requests().await;
    let counter = TokenCounter::for_model(TEST_MODEL);
    Ok(Series {
        interviewer: requests_from(&requests, Caller::Interviewer)
            .iter()
            .map(|r| request_tokens(&counter, r))
            .collect(),
        summarizer_calls: requests_from(&requests, Caller::Summarizer).len(),
    })
}

fn mean(xs: &[usize]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.iter().sum::<usize>() as f64 / xs.len() as f64
}

fn last20(xs: &[usize]) -> &[usize] {
    &xs[xs.len().saturating_sub(20)..]
}

fn summarise(label: &str, s: &Series) {
    let mut sorted = s.interviewer.clone();
    sorted.sort_unstable();
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0);
    println!(
        "{label:<10} requests {:>4}  min {:>6}  median {:>6}  max {:>6}  mean {:>8.1}  last-20 mean {:>8.1}  summariser calls {}",
        s.interviewer.len(),
        sorted.first().copied().unwrap_or(0),
        median,
        sorted.last().copied().unwrap_or(0),
        mean(&s.interviewer),
        mean(last20(&s.interviewer)),
        s.summarizer_calls,
    );
}

fn print_series(label: &str, s: &Series) {
    println!("{label} prompt tokens per request:");
    for row in s.interviewer.chunks(20) {
        let cells: Vec<String> = row.iter().map(|n| format!("{n:>6}")).collect();
        println!("  {}", cells.join(""));
    }
}

fn main() {
    let Some((runtime, bank)) = bench_runtime_and_bank() else {
        return;
    };
    let bounded = runtime.block_on(run(bank.clone(), BOUNDED));
    let unbounded = runtime.block_on(run(bank, UNBOUNDED));
    let (bounded, unbounded) = match (bounded, unbounded) {
        (Ok(b), Ok(u)) => (b, u),
        (b, u) => {
            eprintln!(
                "a run failed: bounded {:?}, unbounded {:?}",
                b.err(),
                u.err()
            );
            return;
        }
    };
    println!(
        "prompt tokens per interviewer request over a {ANSWERS}-answer interview (opening + {ANSWERS} turns)"
    );
    print_series(&format!("bounded (context_tokens {BOUNDED})"), &bounded);
    print_series("unbounded", &unbounded);
    summarise("bounded", &bounded);
    summarise("unbounded", &unbounded);
    let ratio = mean(last20(&bounded.interviewer)) / mean(last20(&unbounded.interviewer)).max(1.0);
    println!("last-20 mean ratio bounded/unbounded: {ratio:.3}");
}
