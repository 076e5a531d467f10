use super::*;
use crate::scoring::judge::{JudgedClaim, JudgedPoint};
use crate::scoring::test_question;

fn judged(yes: [f32; 3], claims: Vec<JudgedClaim>) -> Judgement {
    let q = test_question();
    Judgement {
        question: q.id.clone(),
        points: q
            .points
            .iter()
            .zip(yes)
            .map(|(p, yes)| JudgedPoint {
                id: p.id.clone(),
                yes,
                evidence: format!("{} works like this.", p.id),
            })
            .collect(),
        claims,
        said_yes: 0,
        grounded: 0,
        requests: 0,
    }
}

fn claim(listed: Option<&str>, confirmed: bool) -> JudgedClaim {
    JudgedClaim {
        listed: listed.map(str::to_string),
        sentence: "Alpha is slow because it scans.".into(),
        confirmed,
    }
}

#[test]
fn points_and_scores_blend_by_the_judges_weight() {
    let q = test_question();
    let rubric = rubric::score(
        &q,
        "Alpha works by caching, so repeated reads are cheap.",
        &[],
    );
    assert_eq!(rubric.verdict("alpha"), Some(Verdict::Covered));
    let j = judged([1.0, 1.0, 0.0], vec![]);
    let w = Weights {
        judge: 0.5,
        unlisted_errors: false,
    };
    let s = combine(&q, &rubric, &j, w);
    assert_eq!(s.scorer, ScorerKind::Combined);
    assert_eq!(s.score, round_score(0.5 * rubric.score + 0.5 * 7.5));
    assert_eq!(s.verdict("alpha"), Some(Verdict::Covered));
    assert_eq!(s.verdict("beta"), Some(Verdict::Partial), "half the credit");
    assert_eq!(s.verdict("gamma"), Some(Verdict::Missed));
    assert_eq!(
        s.points[1].evidence, "beta works like this.",
        "the judge's sentence"
    );
    let zero = Weights {
        judge: 0.0,
        unlisted_errors: true,
    };
    assert_eq!(
        combine(&q, &rubric, &j, zero),
        rubric,
        "weight 0 is the rubric"
    );
    assert_eq!(combine(&q, &rubric, &j, JUDGE_ONLY).score, 7.5);
}

#[test]
fn a_claim_is_told_only_when_two_signals_agree() {
    let q = test_question();
    let clean = rubric::score(&q, "Alpha works by caching.", &[]);
    let stated = rubric::score(&q, "Alpha is slow.", &[]);
    assert_eq!(stated.misconceptions, ["Alpha is slow."]);
    let w = DEFAULT_WEIGHTS;
    // The judge alone, unconfirmed: not told.
    let j = judged([1.0; 3], vec![claim(Some("Alpha is slow."), false)]);
    assert!(agreed_claims(&q, &clean, &j, w).is_empty());
    assert!(combine(&q, &clean, &j, w).score > 3.0);
    // The judge and the rubric agree, or the judge and its confirm step.
    assert_eq!(agreed_claims(&q, &stated, &j, w), ["Alpha is slow."]);
    let confirmed = judged([1.0; 3], vec![claim(Some("Alpha is slow."), true)]);
    let s = combine(&q, &clean, &confirmed, w);
    assert_eq!(s.misconceptions, ["Alpha is slow."]);
    assert!(s.score <= rubric::MISCONCEPTION_CAP);
    assert!(
        s.feedback.starts_with("Not right: Alpha is slow."),
        "{}",
        s.feedback
    );
    // Not when the judge cites the very sentence the rubric read as making that point right.
    let contradicted = judged(
        [1.0; 3],
        vec![JudgedClaim {
            listed: Some("Alpha is slow.".into()),
            sentence: "Alpha works by caching.".into(),
            confirmed: true,
        }],
    );
    assert_eq!(clean.verdict("alpha"), Some(Verdict::Covered));
    assert!(agreed_claims(&q, &clean, &contradicted, w).is_empty());
    assert!(
        combine(&q, &clean, &contradicted, w)
            .misconceptions
            .is_empty()
    );
    // An unlisted error counts only where the weights say so, in the candidate's own words.
    let unlisted = judged([1.0; 3], vec![claim(None, true)]);
    assert!(agreed_claims(&q, &clean, &unlisted, w).is_empty());
    let counted = Weights {
        unlisted_errors: true,
        ..w
    };
    assert_eq!(
        agreed_claims(&q, &clean, &unlisted, counted),
        ["Alpha is slow because it scans."]
    );
}

#[test]
fn chosen_weights_follow_the_grades_and_the_figure_is_cross_fitted() {
    let q = test_question();
    let answers = [
        ("Nothing to say.", [0.0, 0.0, 0.0], 0.0),
        ("Alpha works by caching.", [1.0, 1.0, 1.0], 9.0),
        ("It is about alpha.", [1.0, 1.0, 0.0], 7.0),
        ("Beta works.", [0.0, 0.0, 0.0], 1.0),
        ("Gamma.", [1.0, 0.0, 1.0], 6.0),
        ("Alpha beta gamma.", [0.0, 1.0, 0.0], 2.0),
    ];
    let rubrics: Vec<Score> = answers
        .iter()
        .map(|(a, _, _)| rubric::score(&q, a, &[]))
        .collect();
    let judgements: Vec<Judgement> = answers.iter().map(|(_, y, _)| judged(*y, vec![])).collect();
    let samples: Vec<Sample<'_>> = answers
        .iter()
        .zip(&rubrics)
        .zip(&judgements)
        .map(|(((_, _, grade), r), j)| Sample {
            question: &q,
            grade: *grade,
            rubric: r,
            judged: Some(j),
        })
        .collect();
    let fitted = fit(&samples);
    assert!(
        fitted.weights.judge >= 0.5,
        "the judge tracks these grades: {fitted:?}"
    );
    assert!(fitted.spearman > 0.5, "{fitted:?}");
    // A judge that says the opposite of the grades gets no weight.
    let reversed: Vec<Judgement> = answers
        .iter()
        .map(|(_, y, _)| judged(y.map(|v| 1.0 - v), vec![]))
        .collect();
    let samples: Vec<Sample<'_>> = samples
        .iter()
        .zip(&reversed)
        .map(|(s, j)| Sample {
            judged: Some(j),
            ..*s
        })
        .collect();
    let all: Vec<&Sample<'_>> = samples.iter().collect();
    assert!(choose(&all).judge <= 0.2, "{:?}", choose(&all));
}

#[test]
fn a_rubric_claim_the_judge_does_not_find_is_a_doubt_not_a_verdict() {
    let q = test_question();
    let stated = rubric::score(&q, "Alpha is slow.", &[]);
    let silent = judged([1.0; 3], vec![]);
    let s = combine(&q, &stated, &silent, DEFAULT_WEIGHTS);
    assert!(s.misconceptions.is_empty(), "{s:?}");
    assert_eq!(s.doubts, ["Alpha is slow."]);
    // Once the judge agrees it is a verdict, and no longer a doubt.
    let agreeing = judged([1.0; 3], vec![claim(Some("Alpha is slow."), false)]);
    let s = combine(&q, &stated, &agreeing, DEFAULT_WEIGHTS);
    assert_eq!(s.misconceptions, ["Alpha is slow."]);
    assert!(s.doubts.is_empty());
}

#[test]
fn the_rubrics_feedback_stands_when_the_judge_changes_no_verdict() {
    let q = test_question();
    // Every point made, but in a few words: the rubric caps the score and says so.
    let mut rubric = rubric::score(&q, "Alpha caches reads, so they are cheap.", &[]);
    for p in &mut rubric.points {
        p.verdict = Verdict::Covered;
    }
    rubric.feedback =
        "Every point is there, but only in brief: give the how and the why behind each.".into();
    let weights = |judge| Weights {
        judge,
        unlisted_errors: false,
    };
    let s = combine(&q, &rubric, &judged([1.0, 1.0, 1.0], vec![]), weights(0.1));
    assert!(s.points.iter().all(|p| p.verdict == Verdict::Covered));
    assert_eq!(s.feedback, rubric.feedback, "not \"Complete answer\"");
    // A verdict the judge changes gets feedback from the combined verdicts.
    let s = combine(&q, &rubric, &judged([0.0, 1.0, 1.0], vec![]), weights(0.9));
    assert!(
        s.feedback.starts_with("Most important gap"),
        "{}",
        s.feedback
    );
}

#[test]
fn the_judge_alone_counts_unlisted_errors_only_where_calibration_found_they_help() {
    assert!(!judge_only(None).unlisted_errors);
    assert_eq!(judge_only(None).judge, 1.0);
    let measured = |unlisted_errors| {
        Some(Weights {
            judge: 0.3,
            unlisted_errors,
        })
    };
    assert!(!judge_only(measured(false)).unlisted_errors);
    let counted = judge_only(measured(true));
    assert!(counted.unlisted_errors);
    assert_eq!(counted.judge, 1.0, "still the judge alone");
}
