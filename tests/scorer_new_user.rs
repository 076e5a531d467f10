//! What a new user meets first, as tests: answers tried by hand against the built-in bank
//! (issue 18), a spoken answer with fillers and a self-correction, and a list of the right items.

use interviewer::bank::{Bank, Question, load_builtin};
use interviewer::scoring::rubric;
use interviewer::scoring::{Score, Verdict};

fn bank() -> Bank {
    load_builtin().expect("the built-in bank loads")
}

fn question<'b>(bank: &'b Bank, id: &str) -> &'b Question {
    bank.get(id).unwrap_or_else(|| panic!("no question {id}"))
}

fn score(bank: &Bank, id: &str, answer: &str) -> Score {
    rubric::score(question(bank, id), answer, &[])
}

const KV_STEP: &str = "At each step we compute the query, key and value only for the new token, append the \
    new key and value to the cache, and attend with the new query over the cached keys and values.";

#[test]
fn computing_the_query_for_the_new_token_is_not_caching_queries() {
    let bank = bank();
    let s = score(&bank, "kv-cache", KV_STEP);
    assert!(s.misconceptions.is_empty(), "{:?}", s.misconceptions);
    assert_eq!(s.verdict("reuse-past-kv"), Some(Verdict::Covered));

    let full = format!(
        "The keys and values of earlier tokens never change, because a past token never attends to later \
         ones, so we keep them per layer. {KV_STEP} The price is memory that grows linearly with the \
         sequence length and the batch, and it becomes the main bottleneck of serving. Grouped-query \
         attention lets several query heads share one KV head, the cache can be stored in 8-bit, \
         PagedAttention allocates it in fixed-size blocks so memory is not fragmented, and sliding-window \
         attention keeps only the most recent tokens."
    );
    let s = score(&bank, "kv-cache", &full);
    assert!(s.misconceptions.is_empty(), "{:?}", s.misconceptions);
    assert!(s.score >= 8.0, "{} {:?}", s.score, s.points);
}

#[test]
fn the_loss_spikes_reference_scores_as_a_reference() {
    let bank = bank();
    let q = question(&bank, "loss-spikes");
    let s = rubric::score(q, &q.reference, &[]);
    assert!(s.score >= 9.0, "{} {:?}", s.score, s.points);
    assert!(!s.feedback.contains("Naming terms"), "{}", s.feedback);
}

#[test]
fn a_list_of_the_right_cleaning_steps_earns_partial_credit() {
    let bank = bank();
    let s = score(
        &bank,
        "data-cleaning",
        "Dedup with MinHash, quality filtering with a classifier, PII removal, language ID, and stripping \
         HTML boilerplate.",
    );
    assert!((2.5..=4.5).contains(&s.score), "{} {:?}", s.score, s.points);
    let partial = s
        .points
        .iter()
        .filter(|p| p.verdict == Verdict::Partial)
        .count();
    assert!(partial >= 4, "{:?}", s.points);
}

#[test]
fn a_data_cleaning_answer_covering_every_step_is_complete() {
    let bank = bank();
    let s = score(
        &bank,
        "data-cleaning",
        "First I extract the text from the HTML and strip the navigation menus and boilerplate, so only \
         the real content of each page remains. Then I run a language identifier such as fastText on \
         every document and keep the languages we want in the mix. Next come heuristic filters and a \
         small quality classifier that scores each document, for example by perplexity against a \
         reference corpus like Wikipedia, and low-scoring pages are dropped. Deduplication matters a \
         lot: exact hashing catches identical copies and MinHash with LSH catches near-duplicates, \
         because repeated text wastes compute, skews the distribution and makes the model memorise. I \
         also run toxicity classifiers to remove hateful or sexual content, and detect personal \
         information such as emails and phone numbers and mask it. All of this matters because data \
         quality sets the ceiling of the model: no architecture trick makes up for a dirty corpus.",
    );
    assert!(s.score >= 8.5, "{} {:?}", s.score, s.points);
    assert!(!s.feedback.contains("Most important gap"), "{}", s.feedback);
}

#[test]
fn a_self_correction_replaces_the_claim_it_corrects() {
    let bank = bank();
    let wrong = score(
        &bank,
        "kv-cache",
        "So the KV cache, it stores the queries of the earlier tokens, so we don't recompute them.",
    );
    assert!(!wrong.misconceptions.is_empty(), "{:?}", wrong.points);
    let corrected = score(
        &bank,
        "kv-cache",
        "Um, so the KV cache, it stores the, uh, the queries, no wait, the keys and values of the earlier \
         tokens, you know, so we don't recompute them.",
    );
    assert!(
        corrected.misconceptions.is_empty(),
        "{:?}",
        corrected.misconceptions
    );
    assert_eq!(corrected.verdict("reuse-past-kv"), Some(Verdict::Covered));
}

#[test]
fn fillers_neither_earn_nor_cost() {
    let bank = bank();
    let plain = "The keys and values of earlier tokens are stored and reused, so each new token only \
        computes its own key and value instead of recomputing the prefix.";
    let spoken = "Um, so the keys and values of, you know, earlier tokens are, uh, stored and reused, \
        so each new token only computes, I mean, its own key and value instead of, like, recomputing \
        the prefix.";
    let (a, b) = (
        score(&bank, "kv-cache", plain),
        score(&bank, "kv-cache", spoken),
    );
    assert_eq!(a.score, b.score, "{:?} vs {:?}", a.points, b.points);
}
