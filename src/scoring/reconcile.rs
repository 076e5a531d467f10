//! Grading one answer, and which score stands when an LLM judge and the rubric scorer both graded it.
//!
//! A grounded judge decides: its verdict stands when the evidence for the points it calls covered
//! is found verbatim in the answer. The rubric score is kept beside it as a cross-check (a review
//! shows both when they differ by more than [`SHOW_BOTH_ABOVE`]). The rubric score is used only
//! when the judge fails, errors, or quotes evidence that is not in the answer for most of the
//! points it calls covered.

use super::judge::{Judge, JudgeError, Judgement};
use super::{Score, ScorerKind, rubric};
use crate::bank::Question;
use serde::{Deserialize, Serialize};

/// Judge and rubric scores further apart than this are both shown.
pub const SHOW_BOTH_ABOVE: f32 = 3.0;

/// What the judge said about an answer and which score the interview used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgeRecord {
    /// The judge's score when it succeeded.
    pub score: Option<Score>,
    /// The rubric scorer's score of the same answer (both are always kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rubric: Option<Score>,
    /// Which score the interview used.
    pub used: ScorerKind,
    /// Why the rubric score was used, or that the two disagree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl JudgeRecord {
    /// The two scores differ by more than [`SHOW_BOTH_ABOVE`].
    pub fn disagree(&self) -> bool {
        match (&self.score, &self.rubric) {
            (Some(j), Some(r)) => (j.score - r.score).abs() > SHOW_BOTH_ABOVE,
            _ => false,
        }
    }
}

/// Choose between the judge's and the rubric scorer's verdicts; say why in the record.
pub fn reconcile(
    by_rubric: Score,
    by_judge: Result<Judgement, JudgeError>,
) -> (Score, JudgeRecord) {
    let rubric = Some(by_rubric.clone());
    match by_judge {
        Err(err) => (
            by_rubric,
            JudgeRecord {
                score: None,
                rubric,
                used: ScorerKind::Rubric,
                note: Some(format!("LLM judge failed ({err}); rubric score used")),
            },
        ),
        Ok(j) if j.ungrounded() => {
            let note = format!(
                "the LLM judge's evidence for {} of the {} points it called covered is not in the answer; rubric score used",
                j.claimed_covered - j.grounded_covered,
                j.claimed_covered
            );
            (
                by_rubric,
                JudgeRecord {
                    score: Some(j.score),
                    rubric,
                    used: ScorerKind::Rubric,
                    note: Some(note),
                },
            )
        }
        Ok(j) => {
            let mut rec = JudgeRecord {
                score: Some(j.score.clone()),
                rubric,
                used: ScorerKind::Llm,
                note: None,
            };
            if rec.disagree() {
                rec.note = Some(format!(
                    "the rubric scorer gave {:.1}, the LLM judge {:.1}",
                    by_rubric.score, j.score.score
                ));
            }
            (j.score, rec)
        }
    }
}

/// How one answer was graded.
#[derive(Debug, Clone, PartialEq)]
pub struct Graded {
    /// The score that stands.
    pub used: Score,
    /// The judge's side, when a judge was asked.
    pub judge: Option<JudgeRecord>,
}

impl Graded {
    /// The rubric scorer's score (kept beside the judge's).
    pub fn rubric_score(&self) -> Option<f32> {
        match &self.judge {
            Some(j) => j.rubric.as_ref().map(|s| s.score),
            None => Some(self.used.score),
        }
    }
}

/// Grade `answer` to `q` (earlier answers to the same question count as evidence): by the rubric
/// scorer, and by `judge` when given, whose grounded verdict then stands. A judge error that no
/// later call can fix either is returned (see [`JudgeError::is_fatal`]); any other falls back to
/// the rubric score, with a note.
pub async fn grade(
    q: &Question,
    answer: &str,
    earlier: &[&str],
    judge: Option<&dyn Judge>,
) -> Result<Graded, JudgeError> {
    let by_rubric = rubric::score(q, answer, earlier);
    let Some(judge) = judge else {
        return Ok(Graded {
            used: by_rubric,
            judge: None,
        });
    };
    let verdict = match judge.judge(q, answer, earlier).await {
        Err(e) if e.is_fatal() => return Err(e),
        other => other,
    };
    let (used, record) = reconcile(by_rubric, verdict);
    Ok(Graded {
        used,
        judge: Some(record),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::{PointVerdict, Verdict};

    fn score(value: f32, scorer: ScorerKind) -> Score {
        Score {
            question: "rope".into(),
            score: value,
            points: vec![PointVerdict {
                id: "a".into(),
                verdict: Verdict::Covered,
                evidence: "x".into(),
            }],
            misconceptions: vec![],
            feedback: String::new(),
            scorer,
        }
    }

    fn judged(value: f32, claimed: usize, grounded: usize) -> Result<Judgement, JudgeError> {
        Ok(Judgement {
            score: score(value, ScorerKind::Llm),
            claimed_covered: claimed,
            grounded_covered: grounded,
        })
    }

    #[test]
    fn a_grounded_judge_decides_even_against_the_rubric() {
        let (used, rec) = reconcile(score(9.4, ScorerKind::Rubric), judged(0.6, 0, 0));
        assert_eq!(used.score, 0.6);
        assert_eq!(used.scorer, ScorerKind::Llm);
        assert_eq!(rec.used, ScorerKind::Llm);
        assert!(rec.disagree());
        assert_eq!(
            rec.note.as_deref(),
            Some("the rubric scorer gave 9.4, the LLM judge 0.6")
        );
        let (used, rec) = reconcile(score(6.0, ScorerKind::Rubric), judged(7.0, 3, 2));
        assert_eq!(used.score, 7.0);
        assert_eq!(rec.note, None, "close scores need no note");
    }

    #[test]
    fn ungrounded_evidence_or_a_failed_judge_falls_back_to_the_rubric() {
        let (used, rec) = reconcile(score(4.0, ScorerKind::Rubric), judged(9.0, 4, 1));
        assert_eq!(used.score, 4.0);
        assert_eq!(rec.used, ScorerKind::Rubric);
        assert!(
            rec.note
                .as_deref()
                .is_some_and(|n| n.contains("3 of the 4"))
        );
        let (used, rec) = reconcile(
            score(4.0, ScorerKind::Rubric),
            Err(JudgeError::Reply("timed out".into())),
        );
        assert_eq!(used.scorer, ScorerKind::Rubric);
        assert_eq!(rec.score, None);
        assert!(rec.note.as_deref().is_some_and(|n| n.contains("timed out")));
    }

    #[test]
    fn old_records_with_a_string_grader_still_load() {
        let old = r#"{"score":null,"rubric":null,"used":"rubric","note":"judge timed out"}"#;
        let rec: JudgeRecord = serde_json::from_str(old).expect("old record");
        assert_eq!(rec.used, ScorerKind::Rubric);
    }
}
