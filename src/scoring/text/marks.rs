//! What the tokenizer marks on a sentence's tokens: contrastive negations, synonym concepts,
//! enumerations of terms, and the comma-separated items.

use super::doc::Token;
use super::lexicon::{Lexicon, MAX_PHRASE_WORDS};
use std::ops::Range;

/// An enumeration item holds at most this many content words.
const ITEM_CONTENT_WORDS: usize = 3;
/// Items in a row that make an enumeration without a lead-in or trailer ("A, B, C, D").
const BARE_LIST_ITEMS: usize = 4;
/// Items that make an enumeration after a lead-in or before a trailer ("like A, B, C").
const MARKED_LIST_ITEMS: usize = 3;

/// "instead" and "rather" negate only what they contrast: "instead of X", "rather than X". The
/// pair negates as one, so its reach starts after "of" or "than" ("rather than a squared-error
/// regression").
pub(super) fn mark_negations(tokens: &mut [Token]) {
    for i in 0..tokens.len() {
        let next = tokens.get(i + 1).map(|t| t.word.clone());
        let t = &mut tokens[i];
        let pair = match t.word.as_str() {
            "instead" => next.as_deref() == Some("of"),
            "rather" => next.as_deref() == Some("than"),
            _ => continue,
        };
        if !pair {
            t.negation = false;
            if t.stem == "not" {
                t.stem = t.word.clone();
            }
        } else if let Some(second) = tokens.get_mut(i + 1) {
            second.negation = true;
        }
    }
}

/// Give the first token of every synonym phrase its concept (longest phrase first).
pub(super) fn mark_concepts(lex: &Lexicon, tokens: &mut [Token]) {
    let forms: Vec<&str> = tokens
        .iter()
        .map(|t| {
            if t.stop {
                t.word.as_str()
            } else {
                t.stem.as_str()
            }
        })
        .collect();
    let mut found = vec![];
    let mut i = 0;
    while i < forms.len() {
        let end = (i + MAX_PHRASE_WORDS).min(forms.len());
        match lex.phrase_at(&forms[i..end]) {
            Some((len, concept)) => {
                found.push((i, len, concept.to_string()));
                i += len;
            }
            None => i += 1,
        }
    }
    for (i, len, concept) in found {
        let t = &mut tokens[i];
        t.phrase_len = len;
        if t.stem != concept {
            t.concept = Some(concept);
            // A phrase of stopwords ("at once") becomes a content word for its concept.
            t.stop = false;
        }
    }
}

/// Mark the terms of enumerations: runs of short, verbless items between commas ("X, Y, Z and W"),
/// of [`BARE_LIST_ITEMS`] or more, or of [`MARKED_LIST_ITEMS`] after a lead-in ("like", "such as")
/// or before a trailer ("and so on", "all of that").
pub(super) fn mark_enumerations(lex: &Lexicon, tokens: &mut [Token]) {
    // Cut the sentence into items at separators and at "and" / "or".
    let mut items: Vec<Range<usize>> = vec![];
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        let conj = matches!(t.word.as_str(), "and" | "or" | "plus");
        if (t.sep_before || conj) && i > start {
            items.push(start..i);
            start = i;
        }
        if conj {
            start = i + 1;
        }
    }
    if start < tokens.len() {
        items.push(start..tokens.len());
    }
    let owned: Vec<String> = tokens.iter().map(|t| t.word.clone()).collect();
    let words: Vec<&str> = owned.iter().map(String::as_str).collect();
    let termlike = |r: &Range<usize>| {
        let toks = &tokens[r.clone()];
        let content = toks.iter().filter(|t| !t.stop).count();
        (1..=ITEM_CONTENT_WORDS).contains(&content)
            && toks.len() <= ITEM_CONTENT_WORDS + 2
            && !toks.iter().any(|t| {
                lex.is_auxiliary(&t.word) || lex.is_connective(&t.word) || lex.is_pronoun(&t.word)
            })
    };
    let trailer = |r: &Range<usize>| lex.trailer_at(&words[r.start..]).is_some();
    let mut runs: Vec<(usize, usize)> = vec![];
    let mut i = 0;
    while i < items.len() {
        if !termlike(&items[i]) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < items.len() && termlike(&items[j + 1]) && !trailer(&items[j + 1]) {
            j += 1;
        }
        let run = j - i + 1;
        let commas = (i + 1..=j)
            .filter(|&k| tokens[items[k].start].sep_before)
            .count();
        // The item before the run may end with a lead-in ("advantages like X").
        let lead_at = items[i].start.checked_sub(1).filter(|&p| {
            lex.is_lead_in(&tokens[p].word) || (p > 0 && lex.is_lead_in(&tokens[p - 1].word))
        });
        let led = lead_at.is_some();
        let trailed = items.get(j + 1).is_some_and(&trailer)
            || lex
                .trailer_at(&words[items[j].end.min(words.len())..])
                .is_some();
        let enumerated = commas >= 1
            && (run >= BARE_LIST_ITEMS || ((led || trailed) && run >= MARKED_LIST_ITEMS));
        if enumerated {
            runs.push((i, j));
        }
        i = j + 1;
    }
    for (i, j) in runs {
        for r in &items[i..=j] {
            for t in &mut tokens[r.clone()] {
                t.listed = true;
            }
        }
        // The first term often sits in the item with the lead-in: "advantages like X, Y, Z".
        if i > 0 {
            mark_tail_after_lead_in(lex, &mut tokens[items[i - 1].clone()]);
        }
    }
}

/// In the item before an enumeration, the words after its last lead-in are the list's first term.
fn mark_tail_after_lead_in(lex: &Lexicon, item: &mut [Token]) {
    let Some(lead) = item.iter().rposition(|t| lex.is_lead_in(&t.word)) else {
        return;
    };
    let tail = &mut item[lead + 1..];
    let content = tail.iter().filter(|t| !t.stop).count();
    if (1..=ITEM_CONTENT_WORDS).contains(&content) {
        for t in tail {
            t.listed = true;
        }
    }
}

/// A word that joins two items of a sequence ("X and Y", "X or Y", "X plus Y").
pub(super) fn is_conjunction(word: &str) -> bool {
    matches!(word, "and" | "or" | "plus")
}

/// A word that can open a clause with a subject of its own: a conjunction, or "so" of a
/// consequence ("the reference model, so you train on pairs": "you" trains). Words of time, cause
/// and condition ("when you need", "because they act") go on with the claim they are part of.
pub(crate) fn opens_clause(word: &str) -> bool {
    is_conjunction(word) || word == "so"
}

/// Number the items: a new one starts at every separator, conjunction and sentence.
pub(super) fn number_items(tokens: &mut [Token]) {
    let mut item = 0;
    let mut sentence = usize::MAX;
    for t in tokens.iter_mut() {
        let conj = is_conjunction(&t.word);
        if t.sep_before || conj || t.sentence != sentence {
            item += 1;
        }
        sentence = t.sentence;
        t.item = item;
        if conj {
            item += 1;
        }
    }
}
