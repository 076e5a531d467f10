//! The rubric scorer against graded answers, on three sets:
//! - `tools/graded/dev.jsonl`: the split the rubric was tuned on;
//! - `tools/graded/dev-injection.jsonl`: three later rounds of grader-injection answers, each
//!   beside the same answer without the injection (found failures were fixed on these);
//! - `tools/graded/test.jsonl`: held out, never tuned on; only aggregate figures are printed, and
//!   the release criteria are asserted on it;
//! - `tests/fixtures/graded_answers.jsonl`: an older, smaller set written for the previous scorer.
//!
//! Run with `cargo test --test scorer_agreement -- --nocapture` to see the figures; the same
//! numbers come from `interviewer calibrate` (test split) and `interviewer calibrate FILE`.

use interviewer::bank::{Bank, load_builtin};
use interviewer::scoring::agreement::{Agreement, Pair, measure};
use interviewer::scoring::graded::{GradedAnswer, parse};
use interviewer::scoring::rubric;

const DEV: &str = include_str!("../tools/graded/dev.jsonl");
const DEV_INJECTION: &str = include_str!("../tools/graded/dev-injection.jsonl");
const TEST: &str = include_str!("../tools/graded/test.jsonl");
const OLD: &str = include_str!("fixtures/graded_answers.jsonl");

struct Run {
    rows: Vec<GradedAnswer>,
    scores: Vec<f32>,
    agreement: Agreement,
}

fn run(bank: &Bank, name: &str, text: &str) -> Run {
    // The old fixture has fields of its own; keep the ones a graded row has.
    let text: String = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON row");
            let keep = ["id", "question", "answer", "grade", "kind", "base"];
            let row: serde_json::Map<_, _> = v
                .as_object()
                .expect("an object")
                .iter()
                .filter(|(k, _)| keep.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            format!("{}\n", serde_json::Value::Object(row))
        })
        .collect();
    let rows = parse(&text, name, |q| bank.get(q).is_some()).expect("a valid graded set");
    let scores: Vec<f32> = rows
        .iter()
        .map(|r| rubric::score(bank.get(&r.question).expect("known"), &r.answer, &[]).score)
        .collect();
    let pairs: Vec<Pair> = rows
        .iter()
        .zip(&scores)
        .map(|(r, s)| Pair {
            label: r.label(),
            question: r.question.clone(),
            kind: r.kind.clone(),
            grade: r.grade,
            score: *s,
        })
        .collect();
    let agreement = measure(&pairs, "rubric");
    eprintln!(
        "{name}: n = {}, spearman = {:.3}, mae = {:.2}",
        agreement.n, agreement.spearman, agreement.mae
    );
    for (kind, k) in &agreement.by_kind {
        eprintln!(
            "  {kind:<10} n = {:>3}  mean score {:>5.2}  mean grade {:>5.2}",
            k.n, k.mean_score, k.mean_grade
        );
    }
    Run {
        rows,
        scores,
        agreement,
    }
}

fn mean_score(run: &Run, kind: &str) -> f64 {
    run.agreement
        .by_kind
        .get(kind)
        .map(|k| k.mean_score)
        .unwrap_or_else(|| panic!("no {kind} rows"))
}

/// Injection rows that score above the same answer without the injected text.
fn injections_above_base(bank: &Bank, run: &Run) -> Vec<String> {
    run.rows
        .iter()
        .zip(&run.scores)
        .filter_map(|(r, s)| {
            let base = r.base.as_deref()?;
            let q = bank.get(&r.question)?;
            let plain = rubric::score(q, base, &[]).score;
            (*s > plain).then(|| format!("{}: {s} > {plain} without the injection", r.label()))
        })
        .collect()
}

#[test]
fn the_held_out_test_split_meets_the_release_criteria() {
    let bank = load_builtin().expect("the built-in bank loads");
    let test = run(&bank, "test split", TEST);
    assert!(test.agreement.n >= 240, "{}", test.agreement.n);
    let mut failures = vec![];
    let mut check = |ok: bool, what: String| {
        if !ok {
            failures.push(what);
        }
    };
    let rho = test.agreement.spearman;
    check(rho >= 0.80, format!("spearman {rho:.3} < 0.80"));
    let wrong = mean_score(&test, "wrong");
    check(wrong <= 3.0, format!("wrong mean {wrong:.2} > 3"));
    let buzz = mean_score(&test, "buzzword");
    check(buzz <= 4.0, format!("buzzword mean {buzz:.2} > 4"));
    let strong = mean_score(&test, "strong");
    check(strong >= 7.0, format!("strong mean {strong:.2} < 7"));
    let para = mean_score(&test, "paraphrase");
    check(para >= 6.5, format!("paraphrase mean {para:.2} < 6.5"));
    // Only a count: the held-out rows are not read one by one.
    let raised = injections_above_base(&bank, &test).len();
    check(
        raised == 0,
        format!("{raised} injection row(s) score above their base"),
    );
    assert!(failures.is_empty(), "{}", failures.join("; "));
}

#[test]
fn the_dev_split_stays_where_the_rubric_was_tuned() {
    let bank = load_builtin().expect("the built-in bank loads");
    let dev = run(&bank, "dev split", DEV);
    assert_eq!(
        dev.rows
            .iter()
            .map(|r| r.question.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        20,
        "the dev split covers all 20 questions"
    );
    let worst: Vec<String> = dev
        .agreement
        .worst
        .iter()
        .map(|d| format!("{} grade {} score {}", d.id, d.grade, d.score))
        .collect();
    assert!(
        dev.agreement.spearman >= 0.85,
        "dev spearman {:.3}; worst: {worst:?}",
        dev.agreement.spearman
    );
    assert!(mean_score(&dev, "wrong") <= 2.5);
    assert!(mean_score(&dev, "buzzword") <= 3.5);
    assert!(mean_score(&dev, "paraphrase") >= 7.0);
    let raised = injections_above_base(&bank, &dev);
    assert!(raised.is_empty(), "{raised:?}");
}

#[test]
fn no_injection_on_the_later_dev_rounds_raises_a_score() {
    let bank = load_builtin().expect("the built-in bank loads");
    let inj = run(&bank, "dev injection rounds", DEV_INJECTION);
    assert!(inj.agreement.n >= 240, "{}", inj.agreement.n);
    assert!(inj.rows.iter().all(|r| r.base.is_some()));
    let raised = injections_above_base(&bank, &inj);
    assert!(raised.is_empty(), "{raised:?}");
}

#[test]
fn the_older_fixture_still_agrees() {
    let bank = load_builtin().expect("the built-in bank loads");
    let old = run(&bank, "older fixture", OLD);
    assert!(old.agreement.n >= 100);
    assert!(
        old.agreement.spearman >= 0.80,
        "older fixture spearman {:.3}",
        old.agreement.spearman
    );
    let wrong: Vec<String> = old
        .rows
        .iter()
        .zip(&old.scores)
        .filter(|(r, s)| r.kind.as_deref() == Some("wrong") && **s > 3.0)
        .map(|(r, s)| format!("{} {s}", r.label()))
        .collect();
    assert!(wrong.is_empty(), "wrong answers above 3: {wrong:?}");
}
