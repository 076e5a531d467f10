//! A wrong attribute said of a subject ("the connector is kept frozen", "the KV cache grows
//! quadratically"), found however the sentence is phrased: a `wrong` cue within [`REACH`] content
//! words of a `subject` cue in one clause, with no other subject the question knows nearer to it.
//! The nearest subject is the one an attribute is said of, so "the connector is trained while the
//! encoder stays frozen" says nothing wrong of the connector.

use super::points::Cues;
use crate::bank::{Attribute, Question};
use crate::scoring::text::Doc;
use crate::scoring::text::lexicon::lexicon;
use crate::scoring::text::marks::opens_clause;
use std::collections::HashSet;
use std::ops::Range;

/// An attribute is said of a subject at most this many content words away.
const REACH: usize = 3;

/// One place a subject is named: its tokens, and the subject cues it matches.
type SubjectMatch = (Range<usize>, HashSet<String>);

/// Where the question's subjects sit in one answer: each match with the subject cues it holds.
pub struct Subjects {
    found: Vec<SubjectMatch>,
}

impl Subjects {
    /// Every subject of every attribute of `question`, found in `doc` (not on the far side of a
    /// comparison: in "faster than X", X is not what "faster" is said of).
    pub fn find(question: &Question, doc: &Doc<'_>, cues: &mut Cues) -> Subjects {
        let mut found: Vec<SubjectMatch> = vec![];
        let subjects = question
            .points
            .iter()
            .flat_map(|p| &p.misconceptions)
            .filter_map(|m| m.attribute.as_ref())
            .flat_map(|a| a.subject.iter().chain(&a.rivals));
        for text in subjects {
            let cue = cues.get(text);
            for w in doc.find_within(cue, cue.words.len() + 1, true) {
                // A subject is a name, said in its order: "heads with grouped-query" is not
                // "query heads".
                if doc.compared(&w) || !doc.in_order(&w, cue) {
                    continue;
                }
                match found.iter_mut().find(|(r, _)| *r == w) {
                    Some((_, set)) => {
                        set.insert(text.clone());
                    }
                    None => found.push((w, HashSet::from([text.clone()]))),
                }
            }
        }
        let carried = carried_subjects(question, doc, &found, cues);
        let within = clause_subjects(question, doc, &found, cues);
        found.extend(carried);
        found.extend(within);
        Subjects { found }
    }

    /// The subjects nearest to `at` in its clause, within [`REACH`]: those of its own item when
    /// there are any ("TensorRT-LLM, and for local use llama.cpp": "local" is llama.cpp's).
    fn nearest(&self, doc: &Doc<'_>, at: &Range<usize>) -> Vec<(&Range<usize>, &HashSet<String>)> {
        let mut near: Vec<(usize, &Range<usize>, &HashSet<String>)> = self
            .found
            .iter()
            .filter_map(|(r, s)| doc.gap(r, at).map(|g| (g, r, s)))
            .filter(|(g, _, _)| *g <= REACH)
            .collect();
        let item = |r: &Range<usize>| doc.tokens[r.start].item;
        if near.iter().any(|(_, r, _)| item(r) == item(at)) {
            near.retain(|(_, r, _)| item(r) == item(at));
        }
        let Some(best) = near.iter().map(|(g, _, _)| *g).min() else {
            return vec![];
        };
        near.into_iter()
            .filter(|(g, _, _)| *g == best)
            .map(|(_, r, s)| (r, s))
            .collect()
    }
}

/// The subject a sentence opening with "it"/"its" is about: the previous sentence's own subject,
/// the first thing it names ("The KV cache stores keys and values. Its main benefit is that it
/// reduces memory": both pronouns are the KV cache). Only such a sentence, and only its pronouns
/// before any subject of its own, so "Quantizing it helps because it …" is not read this way; and
/// only a subject the question asks about.
fn carried_subjects(
    question: &Question,
    doc: &Doc<'_>,
    found: &[SubjectMatch],
    cues: &mut Cues,
) -> Vec<SubjectMatch> {
    let lex = lexicon();
    let mut carried = vec![];
    for pair in doc.sentences.windows(2) {
        let (before, this) = (&pair[0], &pair[1]);
        let opening = doc.tokens[this.tokens.clone()]
            .iter()
            .position(|t| !t.filler && !lex.is_carrier_opener(&t.word))
            .map(|i| this.tokens.start + i);
        let Some(opening) = opening.filter(|&i| lex.is_carrier(&doc.tokens[i].word)) else {
            continue;
        };
        // Only the question's own subject: "Attention gathers, and the FFN transforms. It also
        // holds …" asked about the FFN is not about attention.
        let Some(subject) = opening_subject(question, doc, &before.tokens, found, cues) else {
            continue;
        };
        let own_subject = found
            .iter()
            .filter(|(r, _)| this.tokens.contains(&r.start))
            .map(|(r, _)| r.start)
            .min()
            .unwrap_or(this.tokens.end);
        for i in opening..own_subject {
            if lex.is_carrier(&doc.tokens[i].word) {
                carried.push((i..i + 1, subject.1.clone()));
            }
        }
    }
    carried
}

/// The subject a later clause of the same sentence takes up with "it"/"its" right after "and",
/// "so" or "but": the sentence's own subject, the first thing it names ("The cache is per layer,
/// per head, per token, and it grows quadratically": the cache grows). Only when no other subject
/// stands between them, and only a subject the question asks about.
fn clause_subjects(
    question: &Question,
    doc: &Doc<'_>,
    found: &[SubjectMatch],
    cues: &mut Cues,
) -> Vec<SubjectMatch> {
    let lex = lexicon();
    let mut carried = vec![];
    for sentence in &doc.sentences {
        let Some(subject) = opening_subject(question, doc, &sentence.tokens, found, cues) else {
            continue;
        };
        for i in subject.0.end + 1..sentence.tokens.end {
            let (before, t) = (&doc.tokens[i - 1], &doc.tokens[i]);
            if !lex.is_carrier(&t.word) || !(opens_clause(&before.word) || before.word == "but") {
                continue;
            }
            // Another subject named in between may be what the pronoun stands for; a noun after
            // a preposition ("per token") is a complement, not a subject.
            let complement = |r: &Range<usize>| {
                lex.is_preposition(&doc.tokens[r.start].word)
                    || (r.start > 0 && lex.is_preposition(&doc.tokens[r.start - 1].word))
            };
            if found.iter().any(|(r, set)| {
                // Right after the subject is more of its name ("KV cache").
                subject.0.end < r.start
                    && r.start < i
                    && !complement(r)
                    && !set.is_subset(&subject.1)
            }) {
                break;
            }
            carried.push((i..i + 1, subject.1.clone()));
        }
    }
    carried
}

/// The subject a sentence (its `tokens`) opens with: a subject match before any other content
/// word, and one the question asks about.
fn opening_subject<'f>(
    question: &Question,
    doc: &Doc<'_>,
    tokens: &Range<usize>,
    found: &'f [SubjectMatch],
    cues: &mut Cues,
) -> Option<&'f SubjectMatch> {
    let first_content = doc.tokens[tokens.clone()]
        .iter()
        .position(|t| !t.stop && !t.filler)
        .map(|i| tokens.start + i);
    found
        .iter()
        .filter(|(r, _)| Some(r.start) == first_content)
        .max_by_key(|(r, _)| r.len())
        .filter(|(_, set)| set.iter().any(|text| cues.asked(question, text)))
}

/// Whether `doc` says the wrong attribute of the subject: a `wrong` cue, not negated or rejected,
/// whose nearest subjects are all this attribute's, and no `right` cue said of the same subject in
/// that clause (an answer that says both is left to the judge).
pub fn stated(attribute: &Attribute, subjects: &Subjects, doc: &Doc<'_>, cues: &mut Cues) -> bool {
    let own = |set: &HashSet<String>| attribute.subject.iter().any(|s| set.contains(s));
    for text in &attribute.wrong {
        let cue = cues.get(text);
        let said: Vec<Range<usize>> = doc
            .find_within(cue, cue.words.len() + 1, true)
            .into_iter()
            // "one q-vs-cache attention": a word on the far side of a comparison is compared
            // with the subject, not said of it; "after training" names a time; words in
            // separate items of an enumeration are not one attribute; nor is a mistake reported.
            .filter(|w| !doc.rejected(w, cue) && !doc.compared(w) && !doc.timed(w))
            .filter(|w| !doc.splits_items(w, cue) && !doc.mishap(w))
            .collect();
        for w in said {
            let nearest = subjects.nearest(doc, &w);
            if nearest.is_empty() || !nearest.iter().all(|(_, s)| own(s)) {
                continue;
            }
            // "advantage whitening, reward scaling, clip range": neighbouring items of a list
            // are named side by side, not said of each other.
            let listed = |r: &Range<usize>| doc.tokens[r.start].listed;
            if listed(&w)
                && nearest
                    .iter()
                    .all(|(r, _)| listed(r) && doc.tokens[r.start].item != doc.tokens[w.start].item)
            {
                continue;
            }
            // "θ_i = base^(−2i/d) shrinks": an operand of a formula is not what the word is
            // said of.
            if nearest.iter().all(|(r, _)| doc.operand(r)) {
                continue;
            }
            // "degradation grows quickly without QAT": an absent subject has nothing said of it.
            if nearest.iter().all(|(r, _)| doc.negated_before(r)) {
                continue;
            }
            // "fp16 overflows where bf16 would not": a subject after the word, itself negated,
            // is the contrast to it.
            if nearest
                .iter()
                .all(|(r, _)| w.end <= r.start && doc.negated_after(r))
            {
                continue;
            }
            // "all short answers, or GPT-ish verbosity": a word offered as the alternative to its
            // subject is not said of it.
            if nearest.iter().all(|(r, _)| doc.or_else(r, &w)) {
                continue;
            }
            // "connected directly in one step, in the RNN the information has to pass": a subject
            // set apart after the word is the setting of a clause of its own.
            if nearest.iter().all(|(r, _)| doc.set_apart(&w, r)) {
                continue;
            }
            // "exact matching and then MinHash": a wrong word joined to a later subject is a
            // sibling in a sequence, not said of the subject.
            if nearest.iter().all(|(r, _)| doc.conjoined(&w, r)) {
                continue;
            }
            // "the draft's, and at a rejection you resample": a word in a later conjunct with a
            // person as its subject is not said of the subject.
            if nearest.iter().all(|(r, _)| doc.own_subject_between(r, &w)) {
                continue;
            }
            // "lines end in terminal punctuation, drop 'lorem ipsum'": a subject closing its
            // item and a wrong word opening the next are steps of a sequence, not one claim.
            if nearest
                .iter()
                .all(|(r, _)| doc.ends_item(r) && doc.opens_item(&w))
            {
                continue;
            }
            if !says_right(attribute, subjects, nearest[0].0, doc, cues) {
                tracing::debug!(
                    word = %words(doc, &w),
                    subject = %words(doc, nearest[0].0),
                    sentence = %doc.evidence(&w),
                    "rubric scorer: wrong attribute said"
                );
                return true;
            }
        }
    }
    false
}

/// Whether a `right` cue is said of the subject at `subject` (it is among the cue's nearest).
fn says_right(
    attribute: &Attribute,
    subjects: &Subjects,
    subject: &Range<usize>,
    doc: &Doc<'_>,
    cues: &mut Cues,
) -> bool {
    attribute.right.iter().any(|text| {
        let cue = cues.get(text);
        doc.find_within(cue, cue.words.len() + 1, true)
            .iter()
            // A right word inside the subject's own name ("masked" of "masked LM") says nothing,
            // and a right phrase is said in its order ("memory use" is not "uses memory").
            .filter(|r| !doc.negated(r, cue) && (r.end <= subject.start || subject.end <= r.start))
            .filter(|r| doc.in_order(r, cue))
            .any(|r| subjects.nearest(doc, r).iter().any(|(s, _)| *s == subject))
    })
}

/// The words of `range`, for diagnostics.
fn words(doc: &Doc<'_>, range: &Range<usize>) -> String {
    doc.tokens[range.clone()]
        .iter()
        .map(|t| t.word.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}
