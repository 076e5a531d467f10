//! The spoken wrap-up: overall score, strongest and weakest domain, what to study next.

use crate::bank::Bank;
use crate::prompts::phrases::{Phrases, fill};
use crate::scoring::Verdict;
use crate::state::InterviewState;

/// A rubric point the candidate missed or only partly made.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyGap {
    pub question: String,
    pub point: String,
    pub verdict: Verdict,
    /// What a good answer says.
    pub expect: String,
    /// The question was asked but never answered (ranked after every real gap).
    pub not_reached: bool,
}

/// What to study next, shared by the spoken wrap-up and the review: the heaviest points missed or
/// partly made in answered questions (missed before partial at equal weight, then in interview
/// order), then the points of questions not reached; one per distinct expectation, at most `n`.
pub fn study_gaps(state: &InterviewState, bank: &Bank, n: usize) -> Vec<StudyGap> {
    let mut gaps: Vec<(bool, f32, u8, usize, StudyGap)> = vec![];
    for (order, rec) in state.questions.iter().enumerate() {
        let not_reached = !rec.counts();
        let Some(q) = bank.get(&rec.id) else { continue };
        for p in &q.points {
            let verdict = rec
                .score()
                .and_then(|s| s.verdict(&p.id))
                .unwrap_or(Verdict::Missed);
            let rank = match verdict {
                Verdict::Missed => 0,
                Verdict::Partial => 1,
                Verdict::Covered => continue,
            };
            if gaps.iter().any(|(.., g)| g.expect == p.expect) {
                continue;
            }
            let gap = StudyGap {
                question: rec.id.clone(),
                point: p.id.clone(),
                verdict,
                expect: p.expect.clone(),
                not_reached,
            };
            gaps.push((not_reached, p.weight, rank, order, gap));
        }
    }
    gaps.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(b.1.total_cmp(&a.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.cmp(&b.3))
    });
    gaps.into_iter().take(n).map(|(.., g)| g).collect()
}

/// The study items as short phrases for the spoken wrap-up.
pub fn study_items(state: &InterviewState, bank: &Bank, n: usize) -> Vec<String> {
    study_gaps(state, bank, n)
        .into_iter()
        .map(|g| g.expect.trim().trim_end_matches('.').to_string())
        .collect()
}

/// The wrap-up, spoken in a few short sentences.
pub fn summary(state: &InterviewState, bank: &Bank) -> String {
    let p = Phrases::get();
    let counted = state.counted().count();
    let count = crate::prompts::phrases::questions(counted);
    let Some(overall) = state.overall() else {
        // Nothing answered: no score to claim.
        return if counted == 0 {
            p.wrapup_none.clone()
        } else {
            fill(&p.wrapup_all_skipped, &[("questions", &count)])
        };
    };
    let overall = format!("{overall:.1}");
    let mut parts = vec![fill(
        &p.wrapup_overall,
        &[("overall", &overall), ("questions", &count)],
    )];
    let domains = state.by_domain();
    let best = domains.iter().max_by(|a, b| a.1.total_cmp(&b.1));
    let worst = domains.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    match (best, worst) {
        // Naming a strongest and a weakest area at the same score says nothing.
        (Some(b), Some(w))
            if domains.len() > 1 && format!("{:.1}", b.1) == format!("{:.1}", w.1) =>
        {
            parts.push(fill(
                &p.wrapup_even_domains,
                &[("score", &format!("{:.1}", b.1))],
            ))
        }
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
    if items.is_empty()
        && state
            .overall()
            .is_some_and(|o| o < crate::prompts::phrases::PRAISE_FROM)
    {
        parts.push(p.wrapup_low_without_gaps.clone());
    } else if items.is_empty() {
        parts.push(p.wrapup_nothing_to_study.clone());
    } else {
        let lowered: Vec<String> = items
            .iter()
            .map(|i| crate::prompts::phrases::inline_claim(i))
            .collect();
        parts.push(fill(&p.wrapup_study, &[("items", &lowered.join("; "))]));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{Domain, Mode};
    use crate::state::record::answered;

    #[test]
    fn areas_at_the_same_score_are_not_called_strongest_and_weakest() {
        let bank = crate::bank::load_builtin().expect("bank");
        let mut st = InterviewState::new(Mode::FirstRound, 1, vec![], 1);
        st.questions
            .push(answered("rope", Domain::Transformer, 8.0));
        st.questions
            .push(answered("kv-cache", Domain::Inference, 8.0));
        let even = summary(&st, &bank);
        assert!(
            even.contains("Every area came out the same, at 8.0"),
            "{even}"
        );
        assert!(!even.contains("weakest"), "{even}");
        st.questions[1] = answered("kv-cache", Domain::Inference, 4.0);
        let uneven = summary(&st, &bank);
        assert!(uneven.contains("weakest was inference at 4.0"), "{uneven}");
    }

    #[test]
    fn nothing_answered_claims_no_score() {
        let bank = crate::bank::load_builtin().expect("bank");
        let mut st = InterviewState::new(Mode::FirstRound, 1, vec![], 1);
        st.questions.push(crate::state::QuestionRecord::new(
            "rope",
            Domain::Transformer,
        ));
        let none = summary(&st, &bank);
        assert_eq!(none, "We didn't get through any questions this time.");
        st.questions[0].skip();
        let skipped = summary(&st, &bank);
        assert!(!skipped.contains("scored"), "{skipped}");
        assert!(skipped.contains("skipped 1 question"), "{skipped}");
    }

    #[test]
    fn expectations_read_as_statements_not_labelled_notes() {
        // "Most important gap: Advanced: meta-prompting ..." and "To study next: ...; Advanced:
        // ..." read badly: an expectation does not open with a one-word label.
        let bank = crate::bank::load_builtin().expect("bank");
        for q in &bank.questions {
            for p in &q.points {
                let first = p.expect.split_whitespace().next().unwrap_or_default();
                assert!(!first.ends_with(':'), "{} / {}: {:?}", q.id, p.id, p.expect);
            }
        }
    }

    #[test]
    fn the_study_list_reads_as_one_sentence() {
        let bank = crate::bank::load_builtin().expect("bank");
        let mut st = InterviewState::new(Mode::FirstRound, 1, vec![], 1);
        st.questions
            .push(answered("quantization", Domain::Inference, 2.0));
        st.questions
            .push(answered("kv-cache", Domain::Inference, 2.0));
        let text = summary(&st, &bank);
        let study = text.split("To study next: ").nth(1).expect(&text);
        for item in study.split("; ").skip(1) {
            let first = item.split_whitespace().next().unwrap_or_default();
            let mut chars = first.chars();
            let capital = chars.next().is_some_and(char::is_uppercase);
            let acronym = chars.any(char::is_uppercase);
            assert!(
                !capital || acronym,
                "{first:?} starts a new sentence mid-list: {text}"
            );
        }
    }
}
