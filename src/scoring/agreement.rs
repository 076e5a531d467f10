//! How well a grader's scores agree with reference grades: Spearman's rank correlation (ties share
//! their average rank), mean absolute error, the means per kind of answer, and the worst
//! disagreements.

use serde::Serialize;
use std::collections::BTreeMap;

/// How many of the worst disagreements a report lists.
pub const WORST: usize = 5;

/// One graded row and the score a grader gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub label: String,
    pub question: String,
    pub kind: Option<String>,
    pub grade: f32,
    pub score: f32,
}

/// Mean score beside mean grade for one kind of answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindStats {
    pub n: usize,
    pub mean_score: f64,
    pub mean_grade: f64,
}

/// One of the largest disagreements.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disagreement {
    pub id: String,
    pub question: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub grade: f32,
    pub score: f32,
}

/// The agreement of one grader with a graded set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    pub n: usize,
    pub spearman: f64,
    pub mae: f64,
    pub scorer: String,
    pub by_kind: BTreeMap<String, KindStats>,
    pub worst: Vec<Disagreement>,
}

/// Ranks starting at 1, ties sharing their average rank.
pub fn ranks(xs: &[f64]) -> Vec<f64> {
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

/// Pearson's correlation; 0 when either side is constant or empty.
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return 0.0;
    }
    let (a, b) = (&a[..n], &b[..n]);
    let nf = n as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / nf, b.iter().sum::<f64>() / nf);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    if va == 0.0 || vb == 0.0 {
        0.0
    } else {
        cov / (va * vb).sqrt()
    }
}

/// Spearman's rank correlation.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    pearson(&ranks(a), &ranks(b))
}

/// Round to three decimals (reports stay stable and readable).
fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Measure `pairs` as graded by `scorer`.
pub fn measure(pairs: &[Pair], scorer: &str) -> Agreement {
    let grades: Vec<f64> = pairs.iter().map(|p| f64::from(p.grade)).collect();
    let scores: Vec<f64> = pairs.iter().map(|p| f64::from(p.score)).collect();
    let n = pairs.len();
    let mae = if n == 0 {
        0.0
    } else {
        grades
            .iter()
            .zip(&scores)
            .map(|(g, s)| (g - s).abs())
            .sum::<f64>()
            / n as f64
    };
    let mut kinds: BTreeMap<String, (usize, f64, f64)> = BTreeMap::new();
    for p in pairs {
        let Some(kind) = &p.kind else { continue };
        let e = kinds.entry(kind.clone()).or_default();
        e.0 += 1;
        e.1 += f64::from(p.score);
        e.2 += f64::from(p.grade);
    }
    let by_kind = kinds
        .into_iter()
        .map(|(k, (n, s, g))| {
            let stats = KindStats {
                n,
                mean_score: r3(s / n as f64),
                mean_grade: r3(g / n as f64),
            };
            (k, stats)
        })
        .collect();
    let mut worst: Vec<&Pair> = pairs.iter().collect();
    worst.sort_by(|a, b| {
        (b.score - b.grade)
            .abs()
            .total_cmp(&(a.score - a.grade).abs())
            .then_with(|| a.label.cmp(&b.label))
    });
    Agreement {
        n,
        spearman: r3(spearman(&grades, &scores)),
        mae: r3(mae),
        scorer: scorer.to_string(),
        by_kind,
        worst: worst
            .into_iter()
            .take(WORST)
            .map(|p| Disagreement {
                id: p.label.clone(),
                question: p.question.clone(),
                kind: p.kind.clone(),
                grade: p.grade,
                score: p.score,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(label: &str, kind: &str, grade: f32, score: f32) -> Pair {
        Pair {
            label: label.into(),
            question: "q".into(),
            kind: Some(kind.into()),
            grade,
            score,
        }
    }

    #[test]
    fn spearman_handles_ties_with_average_ranks() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0]);
        assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert_eq!(spearman(&[1.0, 1.0], &[2.0, 3.0]), 0.0, "a constant side");
        assert_eq!(spearman(&[], &[]), 0.0);
    }

    #[test]
    fn a_report_has_means_by_kind_and_the_worst_rows_first() {
        let pairs = [
            pair("a", "strong", 9.0, 8.0),
            pair("b", "strong", 8.0, 9.0),
            pair("c", "wrong", 1.0, 7.0),
            pair("d", "wrong", 2.0, 2.0),
        ];
        let r = measure(&pairs, "rubric");
        assert_eq!(r.n, 4);
        assert_eq!(r.mae, 2.0);
        assert_eq!(r.by_kind["wrong"].n, 2);
        assert_eq!(r.by_kind["wrong"].mean_score, 4.5);
        assert_eq!(r.by_kind["wrong"].mean_grade, 1.5);
        assert_eq!(r.worst[0].id, "c");
        assert_eq!(r.worst.len(), 4);
        let json = serde_json::to_value(&r).expect("serialises");
        for key in ["n", "spearman", "mae", "scorer", "by_kind"] {
            assert!(json.get(key).is_some(), "{key}");
        }
    }
}
