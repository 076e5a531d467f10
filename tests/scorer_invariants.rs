//! Invariants of the rubric scorer on the built-in bank: properties of the rubric's own words
//! that no tuning on graded answers can satisfy by accident.
//!
//! - every reference answer scores at least 9;
//! - each point's `expect` sentence, alone, covers that point and states no misconception;
//! - each misconception's `claim`, alone, is detected, and its correction (after the `;`) is not;
//! - "I don't know" scores at most 1;
//! - a correct statement of a relation is not read as the misconception about it.
//!
//! Each test gathers every failure before asserting, so one run shows all of them.

use interviewer::bank::{Bank, Question, load_builtin};
use interviewer::prompts::phrases::claim_parts;
use interviewer::scoring::Verdict;
use interviewer::scoring::rubric;

fn bank() -> Bank {
    load_builtin().expect("the built-in bank loads")
}

/// Every wrong claim a score holds, told as a verdict or as a doubt.
fn claims(s: &interviewer::scoring::Score) -> Vec<String> {
    s.misconceptions.iter().chain(&s.doubts).cloned().collect()
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
                    q.id,
                    s.score,
                    claims(&s)
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
            if !claims(&s).is_empty() {
                failures.push(format!("{}/{}: states {:?}", q.id, p.id, claims(&s)));
            }
        }
    }
    report(failures);
}

/// Every wrong claim of the bank with its question and point: `(question, "question/point", claim)`.
fn each_claim(bank: &Bank) -> Vec<(&Question, String, &str)> {
    bank.questions
        .iter()
        .flat_map(|q| {
            q.points.iter().flat_map(move |p| {
                p.misconceptions
                    .iter()
                    .map(move |m| (q, format!("{}/{}", q.id, p.id), m.claim.as_str()))
            })
        })
        .collect()
}

#[test]
fn each_misconception_claim_alone_is_detected() {
    let bank = bank();
    let failures = each_claim(&bank)
        .into_iter()
        .filter(|(q, _, claim)| {
            !claims(&rubric::score(q, claim, &[]))
                .iter()
                .any(|c| c == claim)
        })
        .map(|(_, at, claim)| format!("{at}: {claim:?} not detected"))
        .collect();
    report(failures);
}

/// What the interviewer says is right after a doubt ("As I understand it, ...") is the claim's
/// half after its `;`: it must not itself be the wrong claim.
#[test]
fn each_misconception_correction_alone_is_not_that_misconception() {
    let bank = bank();
    let failures = each_claim(&bank)
        .into_iter()
        .filter_map(|(q, at, claim)| {
            let right = claim_parts(claim).1?;
            let s = rubric::score(q, right, &[]);
            claims(&s)
                .iter()
                .any(|c| c == claim)
                .then(|| format!("{at}: {right:?} is read as its claim"))
        })
        .collect();
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
            if s.score > 1.0 || !claims(&s).is_empty() {
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
        if !claims(&s).is_empty() {
            failures.push(format!("{} reference: states {:?}", q.id, claims(&s)));
        }
    }
    // Statements that share a misconception's words, right ones and wrong ones, written while the
    // catalogue was: a right one states no misconception, a wrong one at least one.
    for (file, line, case) in statements() {
        let q = bank.get(&case.question).expect("question");
        let s = rubric::score(q, &case.answer, &[]);
        if claims(&s).is_empty() == case.wrong {
            failures.push(format!(
                "{file}:{line} {} {:?} (wrong: {}): states {:?}",
                case.question,
                case.answer,
                case.wrong,
                claims(&s)
            ));
        }
    }
    report(failures);
}

/// One statement of `tests/fixtures/statements/*.jsonl`.
#[derive(serde::Deserialize)]
struct Statement {
    question: String,
    answer: String,
    /// Whether it states a misconception.
    wrong: bool,
}

/// Every statement, with its file name and line number.
fn statements() -> Vec<(String, usize, Statement)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/statements");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("statements directory")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let mut out = vec![];
    for path in files {
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        let text = std::fs::read_to_string(&path).expect("statements file");
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let case: Statement =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}:{}: {e}", i + 1));
            out.push((name.clone(), i + 1, case));
        }
    }
    assert!(!out.is_empty(), "no statements in {}", dir.display());
    out
}

/// An attribute's `subject` and `wrong` entries say what they match: none of several words is
/// left with one word or none once its stopwords are dropped ("each step" would match every
/// "step", "more precise" every "less precise").
#[test]
fn no_attribute_entry_shrinks_to_one_word() {
    use interviewer::scoring::text::Cue;
    let bank = bank();
    let mut failures = vec![];
    for q in &bank.questions {
        for m in q.points.iter().flat_map(|p| &p.misconceptions) {
            let Some(a) = &m.attribute else { continue };
            for entry in a.subject.iter().chain(&a.wrong) {
                let words: Vec<&str> = entry
                    .split(|c: char| c.is_whitespace() || c == '>')
                    .filter(|w| !w.is_empty())
                    .collect();
                let content: Vec<&&str> = words
                    .iter()
                    .filter(|w| !Cue::new(w).words.is_empty())
                    .collect();
                // A synonym phrase ("chain of thought") is one word of its own, not a shrunk one.
                let whole = Cue::new(entry).words;
                let shrunk = content.iter().all(|w| Cue::new(w).words == whole);
                if words.len() > 1 && content.len() <= 1 && shrunk {
                    failures.push(format!("{} {:?}: {entry:?}", q.id, m.claim));
                }
            }
        }
    }
    report(failures);
}
