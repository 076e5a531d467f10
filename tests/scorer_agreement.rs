//! The rubric scorer against human grades (`tests/fixtures/graded_answers.jsonl`).
//!
//! Run with `cargo test --test scorer_agreement -- --nocapture` to see the figures.

use interviewer::bank::load_builtin;
use interviewer::scoring::rubric;
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Deserialize)]
struct Graded {
    id: String,
    question: String,
    kind: String,
    grade: f32,
    answer: String,
    #[serde(default)]
    base: Option<String>,
}

fn fixtures() -> Vec<Graded> {
    let text = include_str!("fixtures/graded_answers.jsonl");
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("graded_answers.jsonl line {}: {e}", i + 1))
        })
        .collect()
}

/// Ranks starting at 1, ties sharing their average rank.
fn ranks(xs: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut out = vec![0.0; xs.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && xs[order[j + 1]] == xs[order[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            out[k] = avg;
        }
        i = j + 1;
    }
    out
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    if va == 0.0 || vb == 0.0 {
        0.0
    } else {
        cov / (va * vb).sqrt()
    }
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    pearson(&ranks(a), &ranks(b))
}

#[test]
fn spearman_handles_ties_with_average_ranks() {
    assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0]);
    assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-12);
    assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
}

#[test]
fn the_rubric_scorer_agrees_with_human_grades() {
    let bank = load_builtin().expect("the built-in bank loads");
    let graded = fixtures();
    let mut failures = vec![];
    let mut scores: HashMap<&str, f32> = HashMap::new();
    let mut rows = vec![];
    for g in &graded {
        let Some(q) = bank.get(&g.question) else {
            failures.push(format!("{}: unknown question {}", g.id, g.question));
            continue;
        };
        let s = rubric::score(q, &g.answer, &[]);
        scores.insert(&g.id, s.score);
        rows.push((g, s));
    }
    for (g, s) in &rows {
        match g.kind.as_str() {
            "wrong" if s.score > 3.0 => {
                failures.push(format!("{}: wrong answer scored {} (> 3)", g.id, s.score))
            }
            "stuffed" if s.score > 4.0 => {
                failures.push(format!("{}: stuffed answer scored {} (> 4)", g.id, s.score))
            }
            "injection" => match g.base.as_deref().and_then(|b| scores.get(b)) {
                Some(base) if s.score > *base => failures.push(format!(
                    "{}: injection scored {} > its base {}",
                    g.id, s.score, base
                )),
                None => failures.push(format!("{}: injection without a known base", g.id)),
                _ => {}
            },
            _ => {}
        }
    }
    let human: Vec<f64> = rows.iter().map(|(g, _)| f64::from(g.grade)).collect();
    let machine: Vec<f64> = rows.iter().map(|(_, s)| f64::from(s.score)).collect();
    let n = rows.len();
    let rho = spearman(&human, &machine);
    let mae = human
        .iter()
        .zip(&machine)
        .map(|(h, m)| (h - m).abs())
        .sum::<f64>()
        / n.max(1) as f64;
    let covered: BTreeSet<&str> = rows.iter().map(|(g, _)| g.question.as_str()).collect();

    eprintln!(
        "scorer agreement: n = {n}, questions = {}, spearman = {rho:.3}, mean abs error = {mae:.2}",
        covered.len()
    );
    let mut by_kind: HashMap<&str, Vec<f64>> = HashMap::new();
    for (g, s) in &rows {
        by_kind
            .entry(g.kind.as_str())
            .or_default()
            .push(f64::from(s.score) - f64::from(g.grade));
    }
    let mut kinds: Vec<_> = by_kind.into_iter().collect();
    kinds.sort_by(|a, b| a.0.cmp(b.0));
    for (kind, diffs) in kinds {
        let bias = diffs.iter().sum::<f64>() / diffs.len() as f64;
        eprintln!(
            "  {kind:<10} n = {:>3}  mean (scorer - human) = {bias:+.2}",
            diffs.len()
        );
    }
    let mut worst: Vec<_> = rows.iter().collect();
    worst.sort_by(|a, b| {
        (b.1.score - b.0.grade)
            .abs()
            .total_cmp(&(a.1.score - a.0.grade).abs())
    });
    eprintln!("  worst cases:");
    for (g, s) in worst.iter().take(12) {
        eprintln!(
            "    {:<36} human {:>4.1}  scorer {:>4.1}",
            g.id, g.grade, s.score
        );
    }
    for f in &failures {
        eprintln!("  FAIL {f}");
    }

    assert!(n >= 80, "at least 80 graded answers are needed, found {n}");
    assert_eq!(
        covered.len(),
        20,
        "graded answers must cover all 20 questions: {covered:?}"
    );
    assert!(
        failures.is_empty(),
        "{} check(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(rho >= 0.80, "spearman {rho:.3} < 0.80");
}
