//! Invariants of the rubric scorer on the built-in bank: properties of the rubric's own words
//! that no tuning on graded answers can satisfy by accident.
//!
//! - every reference answer scores at least 9;
//! - each point's `expect` sentence, alone, covers that point and states no misconception;
//! - each misconception's `claim`, alone, is detected;
//! - "I don't know" scores at most 1;
//! - a correct statement of a relation is not read as the misconception about it.
//!
//! Each test gathers every failure before asserting, so one run shows all of them.

use interviewer::bank::{Bank, load_builtin};
use interviewer::scoring::Verdict;
use interviewer::scoring::rubric;

fn bank() -> Bank {
    load_builtin().expect("the built-in bank loads")
}

fn report(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_reference_answer_scores_at_least_nine() {
    let bank = bank();
    let failures = bank
        .questions
        .iter()
        .filter_map(|q| {
            let s = rubric::score(q, &q.reference, &[]);
            (s.score < 9.0).then(|| {
                let open: Vec<_> = s
                    .points
                    .iter()
                    .filter(|p| p.verdict != Verdict::Covered)
                    .map(|p| format!("{} {}", p.id, p.verdict.as_str()))
                    .collect();
                format!(
                    "{}: {} (not covered: {open:?}; misconceptions {:?})",
                    q.id, s.score, s.misconceptions
                )
            })
        })
        .collect();
    report(failures);
}

#[test]
fn each_expect_sentence_alone_covers_its_point() {
    let bank = bank();
    let mut failures = vec![];
    for q in &bank.questions {
        for p in &q.points {
            let s = rubric::score(q, &p.expect, &[]);
            if s.verdict(&p.id) != Some(Verdict::Covered) {
                failures.push(format!("{}/{}: {:?}", q.id, p.id, s.verdict(&p.id)));
            }
            if !s.misconceptions.is_empty() {
                failures.push(format!("{}/{}: states {:?}", q.id, p.id, s.misconceptions));
            }
        }
    }
    report(failures);
}

#[test]
fn each_misconception_claim_alone_is_detected() {
    let bank = bank();
    let mut failures = vec![];
    for q in &bank.questions {
        for p in &q.points {
            for m in &p.misconceptions {
                let s = rubric::score(q, &m.claim, &[]);
                if !s.misconceptions.contains(&m.claim) {
                    failures.push(format!("{}/{}: {:?} not detected", q.id, p.id, m.claim));
                }
            }
        }
    }
    report(failures);
}

#[test]
fn not_knowing_scores_at_most_one() {
    let bank = bank();
    let mut failures = vec![];
    for answer in [
        "I don't know.",
        "I'm not sure, I haven't worked with this.",
        "Honestly I have no idea.",
        "Sorry, I don't know the answer to that one.",
    ] {
        for q in &bank.questions {
            let s = rubric::score(q, answer, &[]);
            if s.score > 1.0 || !s.misconceptions.is_empty() {
                failures.push(format!("{} {answer:?}: {}", q.id, s.score));
            }
        }
    }
    report(failures);
}

/// A correct statement of a relation with the concepts of a misconception is not that
/// misconception: for every point, the expect sentence states the right relation, and the
/// reference answer (which names the wrong claims to reject some of them) states none.
#[test]
fn a_correct_relation_is_not_read_as_its_misconception() {
    let bank = bank();
    let mut failures = vec![];
    for q in &bank.questions {
        let s = rubric::score(q, &q.reference, &[]);
        if !s.misconceptions.is_empty() {
            failures.push(format!("{} reference: states {:?}", q.id, s.misconceptions));
        }
    }
    // Right statements that share a wrong claim's words, found while the catalogue was written.
    for (id, answer) in [
        (
            "agent",
            "Cap max_iterations so a confused agent can't loop forever.",
        ),
        (
            "multimodal",
            "LAION alt-text is noisy and rarely describes the image.",
        ),
        (
            "ffn-glu",
            "The FFN has 8d² weights versus 4d² in attention, so most parameters and stored knowledge are in the FFN.",
        ),
        (
            "multi-head",
            "Many heads can be pruned at test time without significant loss.",
        ),
        ("dpo", "DPO skips RM training entirely."),
        (
            "sft-data",
            "Add red-team prompts with safe refusal responses, plus borderline-benign prompts answered helpfully to avoid over-refusal.",
        ),
        (
            "agent",
            "Strict mode guarantees arguments conform to the schema, and we still validate them.",
        ),
        (
            "clm-vs-mlm",
            "The cost of CLM is losing bidirectional context, which is why encoders remain the choice for classification.",
        ),
        (
            "quantization",
            "Within PTQ you can quantize only the weights (for example W4A16, four-bit weights with 16-bit activations) or both weights and activations (W8A8).",
        ),
    ] {
        let q = bank.get(id).expect("question");
        let s = rubric::score(q, answer, &[]);
        if !s.misconceptions.is_empty() {
            failures.push(format!("{id} {answer:?}: states {:?}", s.misconceptions));
        }
    }
    let kv = bank.get("kv-cache").expect("kv-cache");
    for answer in [
        "At each step we compute the query, key and value only for the new token, append the new key and \
         value to the cache, and attend with the new query over the cached keys and values.",
        "The cache holds the keys and values of earlier tokens, not their queries: only the current \
         token's query is ever needed.",
    ] {
        let s = rubric::score(kv, answer, &[]);
        if !s.misconceptions.is_empty() {
            failures.push(format!(
                "kv-cache {answer:?}: states {:?}",
                s.misconceptions
            ));
        }
    }
    report(failures);
}
