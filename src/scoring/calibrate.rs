//! Grading answers the way an interview does (the rubric scorer, and the LLM judge when there is
//! one, reconciled), and running a graded set through it to measure agreement.

use super::agreement::{self, Agreement, Pair};
use super::fusion::{self, Fitted, Sample};
use super::graded::{self, GradedAnswer, HELD_OUT_SPLITS};
use super::judge::JudgeError;
use super::reconcile::{Graded, Grader, grade};
use super::{Score, ScorerKind, rubric};
use crate::bank::Bank;
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

/// `count` of `len` rows, drawn with a fixed seed (the same sample every time), in row order;
/// every row when `count >= len`. Drawn at random rather than every k-th, so a set sorted by
/// question and kind still gives every kind its share.
pub fn sample(len: usize, count: Option<usize>) -> Vec<usize> {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    match count {
        Some(k) if k < len => {
            let mut all: Vec<usize> = (0..len).collect();
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(SAMPLE_SEED);
            all.shuffle(&mut rng);
            let mut picked: Vec<usize> = all.into_iter().take(k).collect();
            picked.sort_unstable();
            picked
        }
        _ => (0..len).collect(),
    }
}

/// The seed of `--limit` samples.
const SAMPLE_SEED: u64 = 20261201;

/// Grade every row (at most `concurrency` judge calls at once), calling `progress` after each.
/// Results are in row order; the first fatal judge error stops the run. Rows whose question is
/// not in `bank` score 0 (the parser rejects them before this point).
pub async fn run(
    bank: &Bank,
    rows: &[GradedAnswer],
    grader: Option<&Grader>,
    concurrency: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<Graded>, JudgeError> {
    let jobs = rows.iter().enumerate().map(|(i, row)| async move {
        let graded = match bank.get(&row.question) {
            Some(q) => grade(q, &row.answer, &[], grader).await?,
            None => Graded {
                used: Score {
                    question: row.question.clone(),
                    score: 0.0,
                    points: vec![],
                    misconceptions: vec![],
                    doubts: vec![],
                    feedback: "unknown question".into(),
                    scorer: ScorerKind::Rubric,
                },
                judge: None,
                judgement: None,
            },
        };
        progress();
        Ok::<_, JudgeError>((i, graded))
    });
    let mut out: Vec<(usize, Graded)> = futures::stream::iter(jobs)
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, g)| g).collect())
}

/// What `interviewer calibrate` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// The graded set's name.
    pub set: String,
    #[serde(flatten)]
    pub agreement: Agreement,
    /// With the judge: answers where the rubric score stood (judge failed or was ungrounded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallbacks: Option<usize>,
    /// With the judge: the rubric scorer on the same rows, for comparison.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rubric: Option<Agreement>,
    /// With the judge: the judge alone on the same rows (the rubric score where it gave no verdict).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judge_alone: Option<Agreement>,
    /// With the judge: the weights these rows choose, and the combined figure cross-fitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fitted: Option<Fitted>,
    /// Rubric only: grader-injection rows that scored above the same answer without the injection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub injection_above_base: Option<usize>,
    /// The built-in held-out splits by outside writers, measured beside the default set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held_out: Vec<SplitFigure>,
}

/// One held-out split's agreement, for the summary beside the main report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SplitFigure {
    pub set: String,
    pub n: usize,
    pub spearman: f64,
    pub mae: f64,
}

fn pairs(rows: &[GradedAnswer], scores: impl Iterator<Item = f32>) -> Vec<Pair> {
    rows.iter()
        .zip(scores)
        .map(|(r, score)| Pair {
            label: r.label(),
            question: r.question.clone(),
            kind: r.kind.clone(),
            grade: r.grade,
            score,
        })
        .collect()
}

/// Measure the graded rows.
pub fn report(bank: &Bank, set: &str, rows: &[GradedAnswer], graded: &[Graded]) -> Calibration {
    let with_judge = graded.iter().any(|g| g.judge.is_some());
    // Named for the grader the rows were graded with (where the judge gave a verdict).
    let scorer = graded
        .iter()
        .map(|g| g.used.scorer)
        .find(|k| *k != ScorerKind::Rubric)
        .unwrap_or(ScorerKind::Rubric);
    let agreement = agreement::measure(
        &pairs(rows, graded.iter().map(|g| g.used.score)),
        scorer.as_str(),
    );
    if with_judge {
        let fallbacks = graded
            .iter()
            .filter(|g| {
                g.judge
                    .as_ref()
                    .is_some_and(|j| j.used == ScorerKind::Rubric)
            })
            .count();
        let rubric_scores = graded.iter().map(|g| g.rubric_score().unwrap_or(0.0));
        let alone =
            rows.iter()
                .zip(graded)
                .map(|(r, g)| match (&g.judgement, bank.get(&r.question)) {
                    (Some(j), Some(q)) => j.score(q).score,
                    _ => g.rubric().score,
                });
        return Calibration {
            set: set.to_string(),
            agreement,
            fallbacks: Some(fallbacks),
            rubric: Some(agreement::measure(&pairs(rows, rubric_scores), "rubric")),
            judge_alone: Some(agreement::measure(&pairs(rows, alone), "llm")),
            fitted: Some(fit(bank, rows, graded)),
            injection_above_base: None,
            held_out: vec![],
        };
    }
    let raised = rows
        .iter()
        .zip(graded)
        .filter(|(r, g)| {
            let (Some(base), Some(q)) = (r.base.as_deref(), bank.get(&r.question)) else {
                return false;
            };
            g.used.score > rubric::score(q, base, &[]).score
        })
        .count();
    Calibration {
        set: set.to_string(),
        agreement,
        fallbacks: None,
        rubric: None,
        judge_alone: None,
        fitted: None,
        injection_above_base: Some(raised),
        held_out: vec![],
    }
}

/// The rubric scorer on each built-in held-out split whose questions `bank` holds (a bank that
/// replaces the built-in one skips them).
pub fn held_out(bank: &Bank) -> Vec<SplitFigure> {
    HELD_OUT_SPLITS
        .iter()
        .filter_map(|(name, text)| {
            let rows = graded::parse(text, name, |q| bank.get(q).is_some()).ok()?;
            let scores = rows.iter().map(|r| {
                bank.get(&r.question)
                    .map_or(0.0, |q| rubric::score(q, &r.answer, &[]).score)
            });
            let a = agreement::measure(&pairs(&rows, scores), "rubric");
            Some(SplitFigure {
                set: name.to_string(),
                n: a.n,
                spearman: a.spearman,
                mae: a.mae,
            })
        })
        .collect()
}

/// One line of JSON per row: its grade, the score used, the rubric's and (with a judge) the
/// judge's score, and the judge's verified verdicts.
pub fn verdict_lines(rows: &[GradedAnswer], graded: &[Graded]) -> String {
    rows.iter()
        .zip(graded)
        .map(|(r, g)| {
            serde_json::json!({
                "id": r.label(),
                "question": r.question,
                "kind": r.kind,
                "grade": r.grade,
                "score": g.used.score,
                "scorer": g.used.scorer,
                "rubric": g.rubric().score,
                "rubric_misconceptions": g.rubric().misconceptions,
                "rubric_doubts": g.rubric().doubts,
                "judge": g.judge.as_ref().and_then(|j| j.score.as_ref()).map(|s| s.score),
                "note": g.judge.as_ref().and_then(|j| j.note.as_deref()),
                "judgement": g.judgement,
            })
            .to_string()
                + "\n"
        })
        .collect()
}

/// Choose the weights of combining on these rows, with a cross-fitted figure for them.
fn fit(bank: &Bank, rows: &[GradedAnswer], graded: &[Graded]) -> Fitted {
    let samples: Vec<Sample<'_>> = rows
        .iter()
        .zip(graded)
        .filter_map(|(r, g)| {
            Some(Sample {
                question: bank.get(&r.question)?,
                grade: r.grade,
                rubric: g.rubric(),
                judged: g.judgement.as_ref(),
            })
        })
        .collect();
    fusion::fit(&samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_is_fixed_in_order_and_not_aligned_with_the_sets_order() {
        let a = sample(240, Some(30));
        assert_eq!(a, sample(240, Some(30)), "the same sample every time");
        assert_eq!(a.len(), 30);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        // Rows sorted by question and kind (8 kinds in a cycle): every kind is drawn.
        let kinds: std::collections::BTreeSet<usize> = a.iter().map(|i| i % 8).collect();
        assert_eq!(kinds.len(), 8, "{a:?}");
        assert_eq!(sample(3, Some(10)), [0, 1, 2]);
        assert_eq!(sample(4, None), [0, 1, 2, 3]);
        assert!(sample(0, Some(2)).is_empty());
    }
}
