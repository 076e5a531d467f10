//! Interview plans: which questions a mode asks, in which order.
//!
//! `first-round` sweeps the domains (fundamentals first, `core` questions preferred, at least four
//! domains in six questions); `deep-dive` takes fewer topics from distinct domains, preferring the
//! harder ones. The seed makes a plan reproducible.

use crate::bank::{Bank, Difficulty, Domain, Mode, Question};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct PlanRequest {
    pub mode: Mode,
    /// Number of questions; `None` = the mode's default.
    pub questions: Option<usize>,
    /// Question ids or domain names to cover.
    pub topics: Vec<String>,
    pub seed: u64,
    /// Question ids to prefer, most important first (from past weak points).
    pub focus: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PlanError {
    #[error("unknown topic \"{topic}\": not a question id or a domain{suggestion}")]
    UnknownTopic { topic: String, suggestion: String },
    #[error("the question bank has no questions for {0} mode")]
    Empty(Mode),
    #[error("--questions must be at least 1")]
    Zero,
}

/// Default number of questions per mode.
pub fn default_questions(mode: Mode) -> usize {
    match mode {
        Mode::FirstRound => 6,
        Mode::DeepDive => 3,
    }
}

/// Why-probes allowed per question.
pub fn max_probes(mode: Mode) -> usize {
    match mode {
        Mode::FirstRound => 1,
        Mode::DeepDive => 3,
    }
}

/// Build the plan: a list of question ids.
pub fn build(bank: &Bank, req: &PlanRequest) -> Result<Vec<String>, PlanError> {
    let n = req
        .questions
        .unwrap_or_else(|| default_questions(req.mode).max(req.topics.len()));
    if n == 0 {
        return Err(PlanError::Zero);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(req.seed);
    let mut plan: Vec<String> = vec![];
    let push = |plan: &mut Vec<String>, id: &str| {
        if !plan.iter().any(|p| p == id) {
            plan.push(id.to_string());
        }
    };

    // Explicit topics first, in the order given.
    let mut named_domains: Vec<Domain> = vec![];
    for topic in req
        .topics
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
    {
        if let Some(q) = bank.get(topic) {
            push(&mut plan, &q.id);
        } else if let Some(domain) = Domain::parse(topic) {
            named_domains.push(domain);
            let mut pool: Vec<&Question> = bank
                .in_domain(domain)
                .filter(|q| !plan.contains(&q.id))
                .collect();
            order_pool(&mut pool, req.mode, &mut rng);
            if let Some(q) = pool.first() {
                push(&mut plan, &q.id);
            }
        } else {
            let close = bank.close_ids(topic);
            let suggestion = if close.is_empty() {
                format!("; domains: {}", Domain::ALL.map(Domain::as_str).join(", "))
            } else {
                format!("; did you mean: {}", close.join(", "))
            };
            return Err(PlanError::UnknownTopic {
                topic: topic.to_string(),
                suggestion,
            });
        }
    }
    // Then past weak points.
    for id in &req.focus {
        if plan.len() >= n {
            break;
        }
        if bank.get(id).is_some_and(|q| q.suits(req.mode)) {
            push(&mut plan, id);
        }
    }
    // Then the mode's sweep: over the domains named as topics when there are any, else all.
    let mut per_domain: Vec<Vec<&Question>> = Domain::ALL
        .into_iter()
        .filter(|d| named_domains.is_empty() || named_domains.contains(d))
        .map(|d| {
            let mut pool: Vec<&Question> =
                bank.in_domain(d).filter(|q| q.suits(req.mode)).collect();
            order_pool(&mut pool, req.mode, &mut rng);
            pool
        })
        .collect();
    if req.mode == Mode::DeepDive {
        // Distinct domains in a seeded order, so three topics come from three domains.
        per_domain.shuffle(&mut rng);
    }
    let depth = per_domain.iter().map(Vec::len).max().unwrap_or(0);
    'sweep: for round in 0..depth {
        for pool in &per_domain {
            if plan.len() >= n {
                break 'sweep;
            }
            if let Some(q) = pool.get(round) {
                push(&mut plan, &q.id);
            }
        }
    }
    if plan.is_empty() {
        return Err(PlanError::Empty(req.mode));
    }
    plan.truncate(n.max(req.topics.len()));
    Ok(plan)
}

/// Seeded shuffle, then the mode's preference: core first for a first round, hard first for a deep dive.
fn order_pool(pool: &mut Vec<&Question>, mode: Mode, rng: &mut ChaCha8Rng) {
    pool.shuffle(rng);
    match mode {
        Mode::FirstRound => pool.sort_by_key(|q| q.difficulty),
        Mode::DeepDive => {
            pool.sort_by_key(|q| std::cmp::Reverse(q.difficulty.max(Difficulty::Intermediate)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(mode: Mode, topics: &[&str], questions: Option<usize>, seed: u64) -> PlanRequest {
        PlanRequest {
            mode,
            questions,
            topics: topics.iter().map(|t| t.to_string()).collect(),
            seed,
            focus: vec![],
        }
    }

    #[test]
    fn domains_named_as_topics_bound_the_whole_plan() {
        let bank = crate::bank::load_builtin().expect("bank");
        for seed in 0..20 {
            for mode in [Mode::FirstRound, Mode::DeepDive] {
                let req = request(mode, &["transformer", "inference"], Some(3), seed);
                let plan = build(&bank, &req).expect("a plan");
                assert_eq!(plan.len(), 3, "{plan:?}");
                for id in &plan {
                    let d = bank.get(id).map(|q| q.domain);
                    assert!(
                        matches!(d, Some(Domain::Transformer | Domain::Inference)),
                        "seed {seed} {mode:?}: {id} is outside the named domains"
                    );
                }
            }
        }
    }

    #[test]
    fn question_ids_come_first_and_the_sweep_fills_from_every_domain() {
        let bank = crate::bank::load_builtin().expect("bank");
        let plan = build(&bank, &request(Mode::FirstRound, &["dpo"], Some(5), 3)).expect("plan");
        assert_eq!(plan[0], "dpo");
        let domains: std::collections::HashSet<Domain> = plan
            .iter()
            .filter_map(|id| bank.get(id).map(|q| q.domain))
            .collect();
        assert!(domains.len() >= 4, "{plan:?}");
    }
}
