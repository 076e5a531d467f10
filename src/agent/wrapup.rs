//! The spoken wrap-up: overall score, strongest and weakest domain, what to study next.

use super::phrases::{Phrases, fill};
use super::state::InterviewState;
use crate::bank::Bank;
use crate::scoring::Verdict;

/// The highest-weight points missed or only partly made, as study items (at most `n`).
pub fn study_items(state: &InterviewState, bank: &Bank, n: usize) -> Vec<String> {
    let mut gaps: Vec<(f32, String)> = vec![];
    for rec in &state.questions {
        let Some(q) = bank.get(&rec.id) else { continue };
        for p in &q.points {
            let v = rec
                .score()
                .and_then(|s| s.verdict(&p.id))
                .unwrap_or(Verdict::Missed);
            if v != Verdict::Covered {
                let missing = 1.0 - v.credit();
                gaps.push((
                    p.weight * missing,
                    p.expect.trim().trim_end_matches('.').to_string(),
                ));
            }
        }
    }
    gaps.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut items: Vec<String> = vec![];
    for (_, e) in gaps {
        if items.len() >= n {
            break;
        }
        if !items.contains(&e) {
            items.push(e);
        }
    }
    items
}

/// The wrap-up, spoken in a few short sentences.
pub fn summary(state: &InterviewState, bank: &Bank) -> String {
    let p = Phrases::get();
    if state.questions.is_empty() {
        return p.wrapup_none.clone();
    }
    let overall = format!("{:.1}", state.overall());
    let count = super::phrases::questions(state.questions.len());
    let mut parts = vec![fill(
        &p.wrapup_overall,
        &[("overall", &overall), ("questions", &count)],
    )];
    let domains = state.by_domain();
    let best = domains.iter().max_by(|a, b| a.1.total_cmp(&b.1));
    let worst = domains.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    match (best, worst) {
        (Some(b), Some(w)) if domains.len() > 1 => parts.push(fill(
            &p.wrapup_domains,
            &[
                ("best", b.0.title()),
                ("best_score", &format!("{:.1}", b.1)),
                ("worst", w.0.title()),
                ("worst_score", &format!("{:.1}", w.1)),
            ],
        )),
        (Some(b), _) => parts.push(fill(&p.wrapup_one_domain, &[("best", b.0.title())])),
        _ => {}
    }
    let items = study_items(state, bank, 3);
    if items.is_empty() {
        parts.push(p.wrapup_nothing_to_study.clone());
    } else {
        let lowered: Vec<String> = items
            .iter()
            .map(|i| super::phrases::inline_claim(i))
            .collect();
        parts.push(fill(&p.wrapup_study, &[("items", &lowered.join("; "))]));
    }
    parts.join(" ")
}
