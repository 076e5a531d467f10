//! Finding each rubric point in an answer: explained (a cue's words stated together, as a
//! relation, outside any enumeration), named (a keyword, a one-word cue, or terms in a list), or
//! contradicted by a stated misconception. One clause earns at most [`POINTS_PER_CLAUSE`] points.

use super::attribute::{self, Subjects};
use crate::bank::{Misconception, Question, RubricPoint};
use crate::scoring::Verdict;
use crate::scoring::text::lexicon::split_words;
use crate::scoring::text::{Cue, Doc};
use std::collections::HashMap;
use std::ops::Range;

/// One clause is evidence for at most this many points; further points it matches are named only.
pub const POINTS_PER_CLAUSE: usize = 2;
/// A misconception cue's words may be spread over this many extra content words.
const MISCONCEPTION_SLACK: usize = 2;
/// A relation cue's words may be spread over this many content words per cue word, plus one.
const RELATION_SPREAD: usize = 2;
/// An item between commas with this many content words can state a relation on its own.
const STATEMENT_WORDS: usize = 4;
/// ... and at most this many words (a longer stretch without a comma is run-on, not an item).
const MAX_STATEMENT_WORDS: usize = 14;
/// ... but never wider than this.
const MAX_RELATION_WINDOW: usize = 10;

/// Where a point was found.
#[derive(Debug, Clone)]
pub struct Found {
    /// Which of the docs (0 = the answer being scored, then the earlier ones).
    pub doc: usize,
    pub window: Range<usize>,
    /// Where the match sits in its doc, for the budget of points per clause: (sentence, clause),
    /// or (sentence, item) offset past every clause index when all its words sit in one item.
    pub clause: (usize, usize),
}

/// What the answer does with one point.
#[derive(Debug, Clone, Default)]
pub struct PointMatch {
    /// Matches that state the point as a relation, in text order (answer first).
    pub explained: Vec<Found>,
    /// A match that only names the point (keyword, one-word cue, or listed terms).
    pub named: Option<Found>,
    /// The claim of a misconception stated in the answer.
    pub misconception: Option<Stated>,
}

/// A misconception found in an answer, and how surely.
#[derive(Debug, Clone)]
pub struct Stated {
    pub claim: String,
    /// In the claim's own words (one of its cues), rather than only as its wrong attribute said
    /// of its subject: the surer sign, told as a verdict; an attribute alone is told as a doubt.
    pub worded: bool,
}

/// Prepared cues, cached by text: a rubric is matched many times (every answer, every probe), and
/// preparing a cue (stemming, synonym phrases) costs more than matching it.
#[derive(Default)]
pub struct Cues {
    cache: HashMap<String, Cue>,
    /// Each question's vocabulary, by question id and reference answer.
    vocabularies: HashMap<(String, String), std::rc::Rc<super::relevance::Vocabulary>>,
    /// Whether a question's ask names a subject, by ask and subject text.
    asked: HashMap<(String, String), bool>,
    /// The number of words of each reference answer, by its text.
    reference_words: HashMap<String, usize>,
}

/// Cues this thread prepared before; bounded, so a stream of user banks cannot grow it forever.
const MAX_CACHED_CUES: usize = 50_000;

impl Cues {
    pub fn get(&mut self, text: &str) -> &Cue {
        if !self.cache.contains_key(text) {
            if self.cache.len() >= MAX_CACHED_CUES {
                self.cache.clear();
            }
            self.cache.insert(text.to_string(), Cue::new(text));
        }
        &self.cache[text]
    }

    /// Whether `question` asks about the subject named `text` (its cue, in order, in the ask),
    /// worked out once per question and subject.
    pub fn asked(&mut self, question: &Question, text: &str) -> bool {
        let key = (question.ask.clone(), text.to_string());
        if let Some(&known) = self.asked.get(&key) {
            return known;
        }
        if self.asked.len() >= MAX_CACHED_CUES {
            self.asked.clear();
        }
        let ask = Doc::new(&question.ask);
        let cue = self.get(text);
        let known = ask
            .find_within(cue, cue.words.len() + 1, true)
            .iter()
            .any(|w| ask.in_order(w, cue));
        self.asked.insert(key, known);
        known
    }

    /// The stems and concepts of `question`'s own text and cues, prepared once.
    pub fn vocabulary(&mut self, question: &Question) -> std::rc::Rc<super::relevance::Vocabulary> {
        let key = (question.id.clone(), question.reference.clone());
        if let Some(v) = self.vocabularies.get(&key) {
            return v.clone();
        }
        if self.vocabularies.len() >= MAX_CACHED_VOCABULARIES {
            self.vocabularies.clear();
        }
        let v = std::rc::Rc::new(super::relevance::vocabulary_of(question, self));
        self.vocabularies.insert(key, v.clone());
        v
    }

    /// The number of words of `question`'s reference answer, counted once.
    pub fn reference_words(&mut self, question: &Question) -> usize {
        if let Some(&n) = self.reference_words.get(question.reference.as_str()) {
            return n;
        }
        if self.reference_words.len() >= MAX_CACHED_VOCABULARIES {
            self.reference_words.clear();
        }
        let n = split_words(&question.reference).len();
        self.reference_words.insert(question.reference.clone(), n);
        n
    }
}

/// Question vocabularies this thread prepared before; bounded like the cues.
const MAX_CACHED_VOCABULARIES: usize = 1_000;

thread_local! {
    static CUES: std::cell::RefCell<Cues> = std::cell::RefCell::new(Cues::default());
}

/// Run `f` with this thread's cue cache.
pub fn with_cues<R>(f: impl FnOnce(&mut Cues) -> R) -> R {
    CUES.with(|c| f(&mut c.borrow_mut()))
}

fn relation_window(cue: &Cue) -> usize {
    (cue.words.len() * RELATION_SPREAD + 1).min(MAX_RELATION_WINDOW)
}

/// How every point of `question` fares in `docs` (the answer first, then earlier answers, oldest
/// first).
pub fn match_points(question: &Question, docs: &[&Doc<'_>], cues: &mut Cues) -> Vec<PointMatch> {
    let subjects: Vec<Subjects> = docs
        .iter()
        .map(|d| Subjects::find(question, d, cues))
        .collect();
    question
        .points
        .iter()
        .map(|p| match_point(p, docs, &subjects, cues))
        .collect()
}

fn match_point(
    point: &RubricPoint,
    docs: &[&Doc<'_>],
    subjects: &[Subjects],
    cues: &mut Cues,
) -> PointMatch {
    // The answer's own claim, else the latest claim an earlier answer made (the newest first).
    let stated = std::iter::once(0)
        .chain((1..docs.len()).rev())
        .find_map(|di| misconception_in(point, docs[di], &subjects[di], cues).map(|m| (di, m)));
    let mut m = PointMatch::default();
    for (di, doc) in docs.iter().enumerate() {
        for text in &point.cues {
            let cue = cues.get(text);
            let relation = cue.words.len() >= 2;
            let window = if relation { relation_window(cue) } else { 1 };
            for w in doc.find_within(cue, window, false) {
                if doc.negated(&w, cue) {
                    continue;
                }
                let own_item = within_item(doc, &w) || labels_item(doc, &w, cue);
                let found = Found {
                    doc: di,
                    clause: budget_key(doc, &w, own_item),
                    window: w.clone(),
                };
                if relation && explains(doc, &w, cue, own_item) {
                    m.explained.push(found);
                } else if m.named.is_none() {
                    m.named = Some(found);
                }
            }
        }
    }
    if m.named.is_none() {
        m.named = docs.iter().enumerate().find_map(|(di, doc)| {
            point.keywords.iter().find_map(|k| {
                let cue = cues.get(k);
                doc.find(cue)
                    .into_iter()
                    .find(|w| !doc.negated(w, cue))
                    .map(|window| Found {
                        doc: di,
                        clause: doc.clause_of(&window),
                        window,
                    })
            })
        });
    }
    m.explained
        .sort_by_key(|f| (f.doc, f.window.start, f.window.end));
    m.explained
        .dedup_by_key(|f| (f.doc, f.window.start, f.window.end));
    // A claim an earlier answer made stands until a later answer states the point right: "I'm not
    // sure" to a probe does not take back what was said before it.
    m.misconception = stated
        .filter(|(di, _)| *di == 0 || !m.explained.iter().any(|f| f.doc == 0 || f.doc > *di))
        .map(|(_, claim)| claim);
    m
}

/// A relation match explains when it is stated, not assembled from listed terms: it states its
/// own item (`own_item`: all its words in one statement between two commas, or in one item of a
/// labelled list), or its sentence is not a list and at most one of its words sits in an
/// enumeration.
fn explains(doc: &Doc<'_>, window: &Range<usize>, cue: &Cue, own_item: bool) -> bool {
    if own_item {
        return true;
    }
    if doc.sentence_of(window.start).list_like(&doc.tokens) {
        return false;
    }
    let listed = doc.matched(window, cue).filter(|t| t.listed).count();
    listed <= 1
}

/// A match whose words are a short label and one item of the list after its colon ("vLLM:
/// PagedAttention, continuous batching") states that the item belongs to the label; so does a
/// match of two or more words inside one item of a labelled list ("Context management: summarise
/// old steps, drop stale observations"): each item is a step of what the label names.
fn labels_item(doc: &Doc<'_>, window: &Range<usize>, cue: &Cue) -> bool {
    let (mut labelled, mut item, mut rest) = (false, None, 0);
    for t in doc.matched(window, cue) {
        if t.label {
            labelled = true;
        } else if *item.get_or_insert(t.item) != t.item {
            return false;
        } else {
            rest += 1;
        }
    }
    rest > 0 && (labelled || (rest >= 2 && doc.labelled(window.start)))
}

/// All of a match's words sit in one item that is a statement, not a listed term: it is not part
/// of an enumeration and holds at least [`STATEMENT_WORDS`] content words.
fn within_item(doc: &Doc<'_>, window: &Range<usize>) -> bool {
    let item = doc.tokens[window.start].item;
    if doc.tokens[window.end - 1].item != item {
        return false;
    }
    let sentence = doc.sentence_of(window.start);
    let toks = &doc.tokens[sentence.tokens.clone()];
    let (mut content, mut words, mut listed) = (0, 0, false);
    for t in toks.iter().filter(|t| t.item == item) {
        content += usize::from(!t.stop);
        words += 1;
        listed |= t.listed;
    }
    // A run-on string of terms with no separator at all is one "item" too: not a statement.
    let delimited = words < toks.len() && words <= MAX_STATEMENT_WORDS;
    delimited && !listed && content >= STATEMENT_WORDS
}

/// A match that states its own item (`own_item`: one comma-separated statement, or one item of a
/// labelled list, "Cheaper: GQA to share KV heads, an 8-bit cache, ...") is its own clause for
/// the budget.
fn budget_key(doc: &Doc<'_>, window: &Range<usize>, own_item: bool) -> (usize, usize) {
    let (sentence, clause) = doc.clause_of(window);
    if own_item {
        (sentence, usize::MAX / 2 + doc.tokens[window.start].item)
    } else {
        (sentence, clause)
    }
}

/// The claim of the misconception of `point` stated (not negated) in `doc`: the first whose cues
/// match (its own wording is the surer sign), else the first whose wrong attribute is said of
/// its subject.
fn misconception_in(
    point: &RubricPoint,
    doc: &Doc<'_>,
    subjects: &Subjects,
    cues: &mut Cues,
) -> Option<Stated> {
    let worded = point.misconceptions.iter().find(|m| {
        m.cues.iter().any(|c| {
            let cue = cues.get(c);
            // A wrong claim is stated compactly, in one clause.
            let window = cue.words.len() + MISCONCEPTION_SLACK;
            let said: Vec<Range<usize>> = doc
                .find_within(cue, window, true)
                .into_iter()
                // A claim made only of listed terms is a list, not a claim.
                .filter(|w| !doc.rejected(w, cue) && !doc.negated_in_stretch(w, cue))
                .filter(|w| !doc.matched(w, cue).all(|t| t.listed))
                // Nor is one whose words are items of an enumeration or separate conjuncts.
                .filter(|w| !doc.spans_list(w, cue) && !doc.crosses_conjunct(w, cue))
                // Nor one split over entries of a labelled list ("Fixes: online DPO, an SFT term
                // on chosen responses, IPO"); two verbs joined by "and" are not entries ("The key
                // one: the adapters are stored and trained in 4-bit ..., so ...").
                .filter(|w| {
                    !(doc.labelled(w.start)
                        && doc.splits_items(w, cue)
                        && !doc.joins_participles(w))
                })
                .filter(|w| !doc.crosses_arrow(w))
                // Nor one that opens on the far side of a comparison: in "richer than a causal
                // model, because each token sees both sides", the causal model sees nothing.
                .filter(|w| !doc.compared(w))
                .collect();
            let stated = said
                .iter()
                .find(|w| !interrupted(m, w, doc, cues) && !alternative(m, w, doc, cues));
            if let Some(w) = stated {
                tracing::debug!(cue = %c, sentence = %doc.evidence(w), "rubric scorer: wrong claim worded");
            }
            stated.is_some()
        })
    });
    if let Some(m) = worded {
        return Some(Stated {
            claim: m.claim.clone(),
            worded: true,
        });
    }
    point
        .misconceptions
        .iter()
        .find(|m| {
            m.attribute
                .as_ref()
                .is_some_and(|a| attribute::stated(a, subjects, doc, cues))
        })
        .map(|m| Stated {
            claim: m.claim.clone(),
            worded: false,
        })
}

/// Whether a match offers its words as alternatives rather than stating a claim: "or" joins
/// them and the claim's right word is one of them ("gradients vanish or explode").
fn alternative(m: &Misconception, window: &Range<usize>, doc: &Doc<'_>, cues: &mut Cues) -> bool {
    let joined = doc.tokens[window.start + 1..window.end]
        .iter()
        .any(|t| t.word == "or");
    if !joined {
        return false;
    }
    m.attribute.as_ref().is_some_and(|a| {
        a.right.iter().any(|text| {
            let right = cues.get(text);
            doc.find_within(right, right.words.len() + 1, true)
                .iter()
                .any(|r| window.start <= r.start && r.end <= window.end)
        })
    })
}

/// Whether a match runs across a comma with a rival of the claim's subject between its words: "the
/// weights mix the value vectors, and the keys only score" is not "a weighted sum of the keys".
fn interrupted(m: &Misconception, window: &Range<usize>, doc: &Doc<'_>, cues: &mut Cues) -> bool {
    let Some(attribute) = &m.attribute else {
        return false;
    };
    if !doc.tokens[window.start + 1..window.end]
        .iter()
        .any(|t| t.sep_before)
    {
        return false;
    }
    attribute.rivals.iter().any(|text| {
        let cue = cues.get(text);
        doc.find_within(cue, cue.words.len() + 1, true)
            .iter()
            .any(|r| window.start < r.start && r.end < window.end)
    })
}

/// The verdict per point after the clause budget: points are served heaviest first, each taking
/// its first explained match in a clause that has not yet given [`POINTS_PER_CLAUSE`] points.
/// Returns (verdict, the match quoted as evidence) per point.
pub fn assign(question: &Question, matches: &[PointMatch]) -> Vec<(Verdict, Option<Found>)> {
    let mut order: Vec<usize> = (0..matches.len()).collect();
    order.sort_by(|&a, &b| {
        question.points[b]
            .weight
            .total_cmp(&question.points[a].weight)
            .then(a.cmp(&b))
    });
    let mut used: HashMap<(usize, usize, usize), usize> = HashMap::new();
    let mut out: Vec<(Verdict, Option<Found>)> = vec![(Verdict::Missed, None); matches.len()];
    for i in order {
        let m = &matches[i];
        if m.misconception.is_some() {
            continue;
        }
        let mut taken = None;
        for f in &m.explained {
            let n = used.entry((f.doc, f.clause.0, f.clause.1)).or_default();
            if *n < POINTS_PER_CLAUSE {
                *n += 1;
                taken = Some(f.clone());
                break;
            }
        }
        out[i] = match (taken, &m.named, m.explained.first()) {
            (Some(f), _, _) => (Verdict::Covered, Some(f)),
            (None, Some(n), _) => (Verdict::Partial, Some(n.clone())),
            (None, None, Some(f)) => (Verdict::Partial, Some(f.clone())),
            (None, None, None) => (Verdict::Missed, None),
        };
    }
    out
}
