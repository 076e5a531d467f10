//! The agent loop's own overhead per turn, against a local scripted OpenAI-compatible server.
//!
//! Each turn's wall time minus the time spent inside the model (timed by a thin `ChatModel`
//! wrapper around the real `OpenAiModel`, so HTTP, JSON and the server's work are excluded).
//! What is left is the loop: context fitting and token counting, tool calls, state updates.
//! Prints median and p95 (target: median < 1 ms). Run with `cargo bench --bench agent_loop`.
//!
//! Also the prefix share of a scripted 6-question interview: for each request to the interviewer,
//! the share of it that the previous request's messages begin (what a server's prompt cache can
//! reuse). Target: mean >= 0.90; when only the new turn is new it is about 0.95.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::wiring::{
    bench_runtime_and_bank, interview_inputs, planned_state, serve_interview, wired_agent,
};
use common::*;
use interviewer::agent::tokens::TokenCounter;
use interviewer::bank::{Bank, Mode};
use interviewer::model::openai::OpenAiModel;
use interviewer::model::{AssistantTurn, ChatModel, ChatRequest, ModelError, TextSink};

/// Interviews per configuration (each one opening + 60 answers).
const RUNS: usize = 5;
const ANSWERS: usize = 60;

/// Times every call into the wrapped model.
struct TimedModel {
    inner: OpenAiModel,
    waited: Mutex<Duration>,
}

impl TimedModel {
    fn waited(&self) -> Duration {
        *self.waited.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait::async_trait]
impl ChatModel for TimedModel {
    fn name(&self) -> String {
        self.inner.name()
    }

    async fn complete(
        &self,
        req: ChatRequest<'_>,
        on_text: TextSink<'_>,
    ) -> Result<AssistantTurn, ModelError> {
        let started = Instant::now();
        let result = self.inner.complete(req, on_text).await;
        *self.waited.lock().unwrap_or_else(|e| e.into_inner()) += started.elapsed();
        result
    }
}

/// One scripted interview; returns the loop overhead of every turn (wall minus model time).
async fn run(bank: Arc<Bank>, context_tokens: usize) -> Result<Run, String> {
    let st = planned_state(&bank, Mode::FirstRound, &[], 20, 7).map_err(|e| e.to_string())?;
    let (server, script) = serve_interview(
        &bank,
        &st.plan,
        3,
        ANSWERS,
        "Earlier: several topics were discussed and probed.",
    )
    .await;
    let inner =
        OpenAiModel::new(fast_config(&server.base_url(), false)).map_err(|e| e.to_string())?;
    let timed = Arc::new(TimedModel {
        inner,
        waited: Mutex::new(Duration::ZERO),
    });
    let mut agent = wired_agent(timed.clone(), bank, st, false, context_tokens);

    let inputs = interview_inputs(script.answers);
    let mut overheads = vec![];
    let mut shown = 0usize;
    for input in inputs {
        let waited_before = timed.waited();
        let started = Instant::now();
        let result = {
            let mut sink = |t: &str| shown += t.len();
            agent.respond(input, &mut sink).await
        };
        let wall = started.elapsed();
        result.map_err(|e| e.to_string())?;
        overheads.push(wall.saturating_sub(timed.waited() - waited_before));
    }
    std::hint::black_box(shown);
    // Attribution: what one count of a request's size costs with the agent's token counter.
    let counter = TokenCounter::for_model(TEST_MODEL);
    let requests = requests_from(&server.requests().await, Caller::Interviewer);
    let mut counting = vec![];
    for r in &requests {
        let (msgs, tools) = (wire_messages(r), wire_tools(r));
        let started = Instant::now();
        std::hint::black_box(counter.messages(&msgs) + counter.tools(&tools));
        counting.push(started.elapsed());
    }
    Ok(Run {
        overheads,
        counting,
        requests: requests.len(),
    })
}

/// How much of `prev`'s serialized messages `next` begins with: as a share of `prev` (what a
/// server that cached `prev` reuses) and as a share of `next`.
fn prefix_share(prev: &serde_json::Value, next: &serde_json::Value) -> (f64, f64) {
    let a = serde_json::to_string(&prev["messages"]).unwrap_or_default();
    let b = serde_json::to_string(&next["messages"]).unwrap_or_default();
    let a = a.strip_suffix(']').unwrap_or(&a);
    let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count() as f64;
    (
        common / a.len().max(1) as f64,
        common / b.len().max(1) as f64,
    )
}

/// The scripted 6-question first round (two answers a question): the prefix share of every
/// interviewer request after the first, and how many times the context was folded.
async fn prefix_shares(bank: Arc<Bank>) -> Result<(Vec<(f64, f64)>, usize), String> {
    let st = planned_state(&bank, Mode::FirstRound, &[], 6, 7).map_err(|e| e.to_string())?;
    let (server, script) = serve_interview(&bank, &st.plan, 2, 12, "unused").await;
    let model =
        OpenAiModel::new(fast_config(&server.base_url(), false)).map_err(|e| e.to_string())?;
    let mut agent = wired_agent(Arc::new(model), bank, st, false, 6000);
    for input in interview_inputs(script.answers) {
        let mut sink = |_: &str| {};
        agent
            .respond(input, &mut sink)
            .await
            .map_err(|e| e.to_string())?;
    }
    let requests = server.requests().await;
    let folds = requests_from(&requests, Caller::Summarizer).len();
    let interviewer = requests_from(&requests, Caller::Interviewer);
    let shares = interviewer
        .windows(2)
        .map(|w| prefix_share(&w[0], &w[1]))
        .collect();
    Ok((shares, folds))
}

/// Figures of one interview.
struct Run {
    /// Loop overhead per turn.
    overheads: Vec<Duration>,
    /// Time to count one request's tokens, per request.
    counting: Vec<Duration>,
    requests: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(label: &str, unit: &str, mut all: Vec<Duration>) {
    all.sort();
    let mean = all.iter().sum::<Duration>() / all.len().max(1) as u32;
    println!(
        "{label:<34} {unit:>8} {:>4}  median {:>9.3} ms  p95 {:>9.3} ms  mean {:>9.3} ms  max {:>9.3} ms",
        all.len(),
        percentile(&all, 0.5).as_secs_f64() * 1e3,
        percentile(&all, 0.95).as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
        all.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

fn main() {
    let Some((runtime, bank)) = bench_runtime_and_bank() else {
        return;
    };
    println!(
        "agent loop overhead per turn (turn wall time minus model/server time), {RUNS} x (1 + {ANSWERS}) turns"
    );
    for (label, context_tokens) in [
        ("bounded (context_tokens 6000)", 6000),
        ("unbounded (context_tokens 10M)", 10_000_000),
    ] {
        let (mut all, mut counting, mut requests) = (vec![], vec![], 0);
        // One warm-up interview (tokenizer tables, connection pool), not counted.
        if let Err(e) = runtime.block_on(run(bank.clone(), context_tokens)) {
            eprintln!("{label}: warm-up failed: {e}");
            continue;
        }
        for _ in 0..RUNS {
            match runtime.block_on(run(bank.clone(), context_tokens)) {
                Ok(run) => {
                    all.extend(run.overheads);
                    counting.extend(run.counting);
                    requests += run.requests;
                }
                Err(e) => eprintln!("{label}: run failed: {e}"),
            }
        }
        let turns = all.len().max(1);
        report(label, "turns", all);
        report("  of which: one token count/request", "requests", counting);
        println!(
            "  ({:.2} model requests per turn)",
            requests as f64 / turns as f64
        );
    }
    println!("target: median < 1 ms");
    match runtime.block_on(prefix_shares(bank)) {
        Ok((shares, folds)) => {
            let n = shares.len().max(1) as f64;
            let mean = shares.iter().map(|s| s.0).sum::<f64>() / n;
            let min = shares.iter().map(|s| s.0).fold(1.0, f64::min);
            let of_next = shares.iter().map(|s| s.1).sum::<f64>() / n;
            println!(
                "prefix share, scripted 6-question interview: the previous request reused, mean {mean:.3} (min {min:.3}); as a share of the new request, mean {of_next:.3}; {} requests, {folds} folds (target: mean >= 0.90)",
                shares.len()
            );
        }
        Err(e) => eprintln!("prefix share: the interview failed: {e}"),
    }
}
