//! Rubric scorer speed: every graded answer (both splits of `tools/graded/`) scored many times;
//! prints the median and p95 time per answer (target: median < 1 ms). Run with
//! `cargo bench --bench scorer`.

use interviewer::bank::load_builtin;
use interviewer::scoring::rubric;
use std::hint::black_box;
use std::time::{Duration, Instant};

const ROUNDS: usize = 20;

fn main() {
    let bank = match load_builtin() {
        Ok(bank) => bank,
        Err(e) => {
            eprintln!("the built-in bank is invalid: {e}");
            std::process::exit(1);
        }
    };
    let sets = concat!(
        include_str!("../tools/graded/dev.jsonl"),
        include_str!("../tools/graded/test.jsonl")
    );
    let fixtures: Vec<(String, String)> = sets
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            Some((
                v["question"].as_str()?.to_string(),
                v["answer"].as_str()?.to_string(),
            ))
        })
        .collect();
    let cases: Vec<_> = fixtures
        .iter()
        .filter_map(|(q, a)| Some((bank.get(q)?, a.as_str())))
        .collect();
    if cases.is_empty() {
        eprintln!("no graded fixtures to score");
        std::process::exit(1);
    }
    let mut times: Vec<Duration> = Vec::with_capacity(cases.len() * ROUNDS);
    for _ in 0..ROUNDS {
        for (q, a) in &cases {
            let start = Instant::now();
            black_box(rubric::score(q, black_box(a), &[]));
            times.push(start.elapsed());
        }
    }
    let big = "The keys and values are cached so we avoid recomputing them. ".repeat(20_000);
    let (q, _) = cases[0];
    let start = Instant::now();
    black_box(rubric::score(q, &big, &[]));
    let big_time = start.elapsed();

    times.sort_unstable();
    let pick = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    println!("rubric scorer: {} answers x {ROUNDS} rounds", cases.len());
    println!("  median per answer: {:?}", pick(0.5));
    println!("  p95 per answer:    {:?}", pick(0.95));
    println!("  max per answer:    {:?}", pick(1.0));
    println!("  one {} KB answer:  {big_time:?}", big.len() / 1024);
}
