//! Grading one answer: the rubric scorer always, and with a model the LLM judge, combined with the
//! weights calibration chose for that model ([`fusion`](super::fusion)). The rubric score stands
//! alone when the judge fails, errors, or cites no real sentence for most of the points it calls
//! made. Both scores are kept in the record; a review shows both when they differ by more than
//! [`SHOW_BOTH_ABOVE`].

use super::fusion::{Weights, combine};
use super::judge::{Judge, JudgeError, Judgement};
use super::{Score, ScorerKind, rubric};
use crate::bank::Question;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Judge and rubric scores further apart than this are both shown.
pub const SHOW_BOTH_ABOVE: f32 = 3.0;

/// What the judge said about an answer and which score the interview used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgeRecord {
    /// The judge's own score when it succeeded.
    pub score: Option<Score>,
    /// The rubric scorer's score of the same answer (both are always kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rubric: Option<Score>,
    /// Which score the interview used.
    pub used: ScorerKind,
    /// The judge's share of a combined score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge_weight: Option<f32>,
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

/// A model judge and how much it counts.
#[derive(Clone)]
pub struct Grader {
    pub judge: Arc<dyn Judge>,
    pub weights: Weights,
    /// The weights were measured for this model (`interviewer calibrate --judge llm`), not defaults.
    pub calibrated: bool,
}

/// Combine the rubric scorer's and the judge's verdicts; say why in the record.
pub fn reconcile(
    q: &Question,
    by_rubric: Score,
    by_judge: Result<&Judgement, &JudgeError>,
    weights: Weights,
) -> (Score, JudgeRecord) {
    let rubric_only = |note: String, judge: Option<Score>| {
        (
            by_rubric.clone(),
            JudgeRecord {
                score: judge,
                rubric: Some(by_rubric.clone()),
                used: ScorerKind::Rubric,
                judge_weight: None,
                note: Some(note),
            },
        )
    };
    match by_judge {
        Err(err) => rubric_only(format!("LLM judge failed ({err}); rubric score used"), None),
        Ok(j) if j.ungrounded() => rubric_only(
            format!(
                "the LLM judge cited no sentence about {} of the {} points it called made; rubric score used",
                j.said_yes - j.grounded,
                j.said_yes
            ),
            Some(j.score(q)),
        ),
        Ok(j) => {
            let used = combine(q, &by_rubric, j, weights);
            let mut rec = JudgeRecord {
                score: Some(j.score(q)),
                rubric: Some(by_rubric.clone()),
                used: used.scorer,
                judge_weight: Some(weights.judge),
                note: None,
            };
            if rec.disagree() {
                rec.note = Some(format!(
                    "the rubric scorer gave {:.1}, the LLM judge {:.1}",
                    by_rubric.score,
                    rec.score.as_ref().map_or(0.0, |s| s.score)
                ));
            }
            (used, rec)
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
    /// The judge's verified verdicts, when it gave any (calibration refits the weights on them).
    pub judgement: Option<Judgement>,
}

impl Graded {
    /// The rubric scorer's score (kept beside the judge's).
    pub fn rubric_score(&self) -> Option<f32> {
        match &self.judge {
            Some(j) => j.rubric.as_ref().map(|s| s.score),
            None => Some(self.used.score),
        }
    }

    /// The rubric scorer's whole score.
    pub fn rubric(&self) -> &Score {
        self.judge
            .as_ref()
            .and_then(|j| j.rubric.as_ref())
            .unwrap_or(&self.used)
    }
}

/// Grade `answer` to `q` (earlier answers to the same question count as evidence): by the rubric
/// scorer, and by the `grader`'s judge when given and it counts at all. A judge error that no
/// later call can fix either is returned (see [`JudgeError::is_fatal`]); any other falls back to
/// the rubric score, with a note.
pub async fn grade(
    q: &Question,
    answer: &str,
    earlier: &[&str],
    grader: Option<&Grader>,
) -> Result<Graded, JudgeError> {
    let by_rubric = rubric::score(q, answer, earlier);
    let Some(grader) = grader.filter(|g| g.weights.judge > 0.0) else {
        return Ok(Graded {
            used: by_rubric,
            judge: None,
            judgement: None,
        });
    };
    let verdict = match grader.judge.judge(q, answer, earlier).await {
        Err(e) if e.is_fatal() => return Err(e),
        other => other,
    };
    let (used, record) = reconcile(q, by_rubric, verdict.as_ref(), grader.weights);
    Ok(Graded {
        used,
        judge: Some(record),
        judgement: verdict.ok().filter(|j| !j.ungrounded()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::fusion::{DEFAULT_WEIGHTS, JUDGE_ONLY};
    use crate::scoring::judge::JudgedPoint;
    use crate::scoring::test_question;

    /// A judgement on the test question: `yes` per point, with evidence where `grounded`.
    fn judged(yes: [f32; 3], grounded: [bool; 3]) -> Judgement {
        let q = test_question();
        let points: Vec<JudgedPoint> = q
            .points
            .iter()
            .zip(yes.iter().zip(grounded))
            .map(|(p, (&yes, g))| JudgedPoint {
                id: p.id.clone(),
                yes,
                evidence: if g {
                    format!("about {}", p.id)
                } else {
                    String::new()
                },
            })
            .collect();
        let said_yes = yes.iter().filter(|&&y| y >= 0.5).count();
        let grounded = yes
            .iter()
            .zip(grounded)
            .filter(|(y, g)| **y >= 0.5 && *g)
            .count();
        Judgement {
            question: q.id.clone(),
            points,
            claims: vec![],
            said_yes,
            grounded,
            requests: 3,
        }
    }

    #[test]
    fn a_grounded_judge_is_combined_with_the_rubric_by_its_weight() {
        let q = test_question();
        let rubric = rubric::score(&q, "Nothing relevant here at all.", &[]);
        assert_eq!(rubric.score, 0.0);
        let j = judged([1.0, 1.0, 1.0], [true, true, true]);
        let (used, rec) = reconcile(&q, rubric.clone(), Ok(&j), JUDGE_ONLY);
        assert_eq!((used.score, used.scorer), (10.0, ScorerKind::Llm));
        assert!(rec.disagree());
        assert_eq!(
            rec.note.as_deref(),
            Some("the rubric scorer gave 0.0, the LLM judge 10.0")
        );
        let (used, rec) = reconcile(&q, rubric, Ok(&j), DEFAULT_WEIGHTS);
        assert_eq!(used.scorer, ScorerKind::Combined);
        assert_eq!(used.score, 10.0 * DEFAULT_WEIGHTS.judge);
        assert_eq!(rec.judge_weight, Some(DEFAULT_WEIGHTS.judge));
        assert_eq!(
            rec.score.map(|s| s.score),
            Some(10.0),
            "the judge's own score is kept"
        );
    }

    #[test]
    fn ungrounded_evidence_or_a_failed_judge_falls_back_to_the_rubric() {
        let q = test_question();
        let rubric = rubric::score(&q, "It does alpha.", &[]);
        let j = judged([0.9, 0.9, 0.9], [true, false, false]);
        assert!(j.ungrounded());
        let (used, rec) = reconcile(&q, rubric.clone(), Ok(&j), JUDGE_ONLY);
        assert_eq!(used, rubric);
        assert_eq!(rec.used, ScorerKind::Rubric);
        assert!(
            rec.note
                .as_deref()
                .is_some_and(|n| n.contains("2 of the 3")),
            "{rec:?}"
        );
        let err = JudgeError::Reply("timed out".into());
        let (used, rec) = reconcile(&q, rubric.clone(), Err(&err), JUDGE_ONLY);
        assert_eq!(used.scorer, ScorerKind::Rubric);
        assert_eq!(rec.score, None);
        assert!(rec.note.as_deref().is_some_and(|n| n.contains("timed out")));
    }

    #[test]
    fn old_records_with_a_string_grader_still_load() {
        let old = r#"{"score":null,"rubric":null,"used":"rubric","note":"judge timed out"}"#;
        let rec: JudgeRecord = serde_json::from_str(old).expect("old record");
        assert_eq!(rec.used, ScorerKind::Rubric);
        assert_eq!(rec.judge_weight, None);
    }
}
