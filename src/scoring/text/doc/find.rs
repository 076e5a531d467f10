//! Cue matching on an analysed answer: the minimal windows of content words that hold a cue's words
//! (in order, for an ordered cue), and whether a match is rejected (negation is in [`super::negation`]).

use super::negation::NEGATION;
use super::{CUE_WINDOW, Doc, Token};
use crate::scoring::text::Cue;
use crate::scoring::text::lexicon::{MAX_PHRASE_WORDS, lexicon};
use crate::scoring::text::marks::{is_conjunction, opens_clause};
use std::ops::Range;

/// A prohibition ("too expensive") this many words after a match puts it out of reach.
const PROHIBITION_REACH: usize = 3;

/// A sentence of at least this many items between commas is an enumeration.
const MIN_ENUMERATION_ITEMS: usize = 3;
/// A negation in a cue bears on a word at most this many content words from it.
const CUE_NEGATION_REACH: usize = 3;

impl Doc<'_> {
    /// Every minimal window of content tokens (same sentence, within [`CUE_WINDOW`]) holding all
    /// the cue's words, as token-index ranges, in text order.
    pub fn find(&self, cue: &Cue) -> Vec<Range<usize>> {
        self.find_within(cue, CUE_WINDOW, false)
    }

    /// Every minimal window of content tokens holding all the cue's words, within `window` content
    /// words of each other and in one sentence (or one clause, if `same_clause`), in text order.
    pub fn find_within(&self, cue: &Cue, window: usize, same_clause: bool) -> Vec<Range<usize>> {
        if cue.words.is_empty() {
            return vec![];
        }
        let mut lists: Vec<&[usize]> = Vec::with_capacity(cue.words.len());
        for w in &cue.words {
            match self.index.get(w) {
                Some(l) => lists.push(l),
                None => return vec![],
            }
        }
        if lists.len() == 1 {
            return lists[0].iter().map(|&t| t..t + 1).collect();
        }
        // Merge the occurrence lists into (token, word) events in text order.
        let mut events: Vec<(usize, usize)> = lists
            .iter()
            .enumerate()
            .flat_map(|(w, l)| l.iter().map(move |&t| (t, w)))
            .collect();
        events.sort_unstable();
        let k = lists.len();
        let mut counts = vec![0usize; k];
        let mut covered = 0;
        let mut left = 0;
        let mut out = vec![];
        for right in 0..events.len() {
            let (rt, rw) = events[right];
            // Drop events from another sentence or clause, or too far back.
            while left < right {
                let (lt, _) = events[left];
                let far = self.content_pos[rt] - self.content_pos[lt] >= window;
                let (l, r) = (&self.tokens[lt], &self.tokens[rt]);
                if l.sentence != r.sentence || (same_clause && l.clause != r.clause) || far {
                    let lw = events[left].1;
                    counts[lw] -= 1;
                    if counts[lw] == 0 {
                        covered -= 1;
                    }
                    left += 1;
                } else {
                    break;
                }
            }
            counts[rw] += 1;
            if counts[rw] == 1 {
                covered += 1;
            }
            if covered == k {
                // Shrink from the left while every word stays covered.
                let wide = events[left].0..rt + 1;
                while counts[events[left].1] > 1 {
                    counts[events[left].1] -= 1;
                    left += 1;
                }
                let window = events[left].0..rt + 1;
                if !cue.ordered || self.in_order(&window, cue) {
                    out.push(window);
                } else if self.in_order(&wide, cue) {
                    // A word seen twice: the order holds with its earlier occurrence.
                    out.push(wide);
                }
            }
        }
        if cue.up {
            out.retain(|w| !self.says_less(w));
        }
        if let Some(k) = cue.words.iter().position(|w| w == NEGATION) {
            out.retain(|w| self.negates_next(w, cue, k));
        }
        out
    }

    /// Whether a negation in the match bears on the cue word after it (or, for a cue ending in
    /// one, the word before it): "no reward model" is not "doesn't drift into text that fools
    /// the RM".
    fn negates_next(&self, window: &Range<usize>, cue: &Cue, k: usize) -> bool {
        let Some(other) = cue
            .words
            .get(k + 1)
            .or(k.checked_sub(1).and_then(|j| cue.words.get(j)))
        else {
            return true;
        };
        let at = |w: &str| -> Vec<usize> {
            window
                .clone()
                .filter(|&i| !self.tokens[i].stop && says(&self.tokens[i], w))
                .collect()
        };
        let (nots, others) = (at(NEGATION), at(other));
        nots.iter().any(|&n| {
            others
                .iter()
                .any(|&o| self.content_pos[n].abs_diff(self.content_pos[o]) <= CUE_NEGATION_REACH)
        })
    }

    /// Whether a match says "less", "fewer" or "least": the opposite of a cue written with "more".
    fn says_less(&self, window: &Range<usize>) -> bool {
        let lex = lexicon();
        self.tokens[window.clone()]
            .iter()
            .any(|t| lex.is_degree_down(&t.word))
    }

    /// Whether the cue's words occur in the cue's order inside `window`.
    pub fn in_order(&self, window: &Range<usize>, cue: &Cue) -> bool {
        let mut next = 0;
        for t in &self.tokens[window.clone()] {
            let Some(want) = cue.words.get(next) else {
                break;
            };
            if !t.stop && says(t, want) {
                next += 1;
            }
        }
        next == cue.words.len()
    }

    /// The content tokens of a match that carry one of the cue's words.
    pub fn matched<'c>(
        &'c self,
        window: &Range<usize>,
        cue: &'c Cue,
    ) -> impl Iterator<Item = &'c Token> + 'c {
        self.tokens[window.clone()]
            .iter()
            .filter(move |t| carries(t, cue))
    }

    /// Whether a claim at `window` is rejected: negated, in a sentence that calls something a
    /// misconception, a myth or wrong, quoted, or asked about.
    pub fn rejected(&self, window: &Range<usize>, cue: &Cue) -> bool {
        self.sentence_of(window.start).rejection
            || self.negated(window, cue)
            || self.prohibited(window)
            || self.alternatives(window, cue)
            || self.matched(window, cue).all(|t| t.quoted)
            || self.asked(window)
            || self.opposed(window, cue)
    }

    /// Whether the match's words are set against each other ("GPTQ, AWQ and so on, versus
    /// quantization-aware training"): an opposition among its words that is not one of the cue's.
    pub fn opposed(&self, window: &Range<usize>, cue: &Cue) -> bool {
        let lex = lexicon();
        self.tokens[window.clone()]
            .iter()
            .any(|t| !carries(t, cue) && lex.rejection.is_opposition(&t.word))
    }

    /// Whether the match is what an open question asks about ("I check whether the loss recovers
    /// by itself"): an opener earlier in its clause, with no comma between.
    pub fn asked(&self, window: &Range<usize>) -> bool {
        let clause = self.tokens[window.start].clause;
        self.tokens[..window.start]
            .iter()
            .rev()
            .take_while(|t| t.clause == clause)
            .scan(self.tokens[window.start].sep_before, |cut, t| {
                // Stop at the first comma between the opener and the match.
                let blocked = *cut;
                *cut = t.sep_before;
                (!blocked).then_some(t)
            })
            .any(|t| t.asks)
    }

    /// Whether the cue's words at `window` are offered as alternatives ("a single agent or even a
    /// fixed workflow", "do I need an agent, or is a workflow enough"): the word right after the
    /// cue's first word, which opens the match, is an "or" that the rest follow.
    pub fn alternatives(&self, window: &Range<usize>, cue: &Cue) -> bool {
        let tokens = &self.tokens[window.clone()];
        let Some(first) = tokens.iter().position(|t| carries(t, cue)) else {
            return false;
        };
        let opens = cue.words.first().is_some_and(|w| says(&tokens[first], w));
        opens && tokens.get(first + 1).is_some_and(|t| t.word == "or")
    }

    /// Whether what the match says is put out of reach just after it ("PTQ, because retraining
    /// is too expensive"): a prohibition within [`PROHIBITION_REACH`] words after the match, with
    /// no comma between.
    pub fn prohibited(&self, window: &Range<usize>) -> bool {
        let lex = lexicon();
        let sentence = self.sentence_of(window.start).tokens.clone();
        // The words after the match, read across fillers ("retraining a 70B is, you know, not
        // happening"): a comma that only sets off a filler separates nothing.
        let (mut words, mut separated) = (vec![], vec![]);
        let mut after_filler = false;
        for t in &self.tokens[window.end.min(sentence.end)..sentence.end] {
            if t.filler {
                after_filler = true;
                continue;
            }
            words.push(t.word.as_str());
            separated.push(t.sep_before && !after_filler);
            after_filler = false;
            if words.len() > PROHIBITION_REACH + MAX_PHRASE_WORDS {
                break;
            }
        }
        (0..words.len().min(PROHIBITION_REACH + 1))
            .take_while(|&i| !separated[i])
            .any(|i| lex.rejection.prohibition_at(&words[i..]).is_some())
    }

    /// How many content words apart two matches are, when they sit in one clause (0 when they
    /// overlap).
    pub fn gap(&self, a: &Range<usize>, b: &Range<usize>) -> Option<usize> {
        let (ta, tb) = (&self.tokens[a.start], &self.tokens[b.start]);
        if ta.sentence != tb.sentence || ta.clause != tb.clause {
            return None;
        }
        // A stop word ("it" standing for a subject) sits where the next content word would.
        let pos = |t: usize| match self.content_pos[t] {
            usize::MAX => self.content_pos[..t]
                .iter()
                .rev()
                .find(|&&p| p != usize::MAX)
                .map_or(0, |p| p + 1),
            p => p,
        };
        Some(if a.end <= b.start {
            pos(b.start).saturating_sub(pos(a.end - 1))
        } else if b.end <= a.start {
            pos(a.start).saturating_sub(pos(b.end - 1))
        } else {
            0
        })
    }

    /// Whether the match at `window` runs across an arrow: the steps of a pipeline
    /// ("PPO with a KL penalty → optionally repeat") are not one claim.
    pub fn crosses_arrow(&self, window: &Range<usize>) -> bool {
        let between = self.tokens[window.start].span.end..self.tokens[window.end - 1].span.start;
        self.text
            .get(between)
            .is_some_and(|t| t.contains(['→', '⇒', '⟶']) || t.contains("->"))
    }

    /// Whether the sentence of token `at` opens with a short label ("Fixes: ...", "vLLM: ...").
    pub fn labelled(&self, at: usize) -> bool {
        self.tokens[self.sentence_of(at).tokens.clone()]
            .iter()
            .any(|t| t.label)
    }

    /// Whether the match at `first` is joined to the later match at `then` as a sibling in a
    /// sequence: a conjunction between them ("exact matching and then MinHash").
    pub fn conjoined(&self, first: &Range<usize>, then: &Range<usize>) -> bool {
        first.end <= then.start
            && self.tokens[first.end..then.start]
                .iter()
                .any(|t| is_conjunction(&t.word))
    }

    /// Whether the match at `window` is the last word of its item: a separator or the sentence's
    /// end follows it.
    pub fn ends_item(&self, window: &Range<usize>) -> bool {
        let last = &self.tokens[window.end - 1];
        self.tokens
            .get(window.end)
            .is_none_or(|n| n.sep_before || n.sentence != last.sentence)
    }

    /// Whether the match at `window` opens an item of an enumeration (a sentence of at least
    /// [`MIN_ENUMERATION_ITEMS`] items): only stop words stand between it and the separator (or
    /// sentence start) before it.
    pub fn opens_item(&self, window: &Range<usize>) -> bool {
        // Only in an enumeration: "for the first pass, precision matters" opens with a topic.
        if self.sentence_of(window.start).commas + 1 < MIN_ENUMERATION_ITEMS {
            return false;
        }
        let sentence = self.tokens[window.start].sentence;
        // Back from the match to its item's start: only stop words on the way.
        for i in (0..=window.start).rev() {
            let t = &self.tokens[i];
            if t.sentence != sentence || t.sep_before {
                return true;
            }
            if i < window.start && !t.stop {
                return false;
            }
        }
        true
    }

    /// Whether the match at `then` has a subject of its own, in a later conjunct than the match
    /// at `first`: a conjunction (or "so"), then a personal pronoun (not a filler's, as in "you
    /// know"), stand between them ("q is the draft's, and at a rejection you resample"; "the
    /// reference model, so you train on pairs"; but "in bf16 we scale the loss" is said of bf16).
    pub fn own_subject_between(&self, first: &Range<usize>, then: &Range<usize>) -> bool {
        let lex = lexicon();
        if first.end > then.start {
            return false;
        }
        let between = &self.tokens[first.end..then.start];
        between
            .iter()
            .position(|t| opens_clause(&t.word))
            .is_some_and(|c| {
                between[c..]
                    .iter()
                    .any(|t| !t.filler && lex.is_person(&t.word))
            })
    }

    /// Whether the match at `window` leaps a whole listed term between its words ("query rewriting
    /// or HyDE, multi-query, fine-tuning the embedding model"): its words are items of an
    /// enumeration, not one claim.
    pub fn spans_list(&self, window: &Range<usize>, cue: &Cue) -> bool {
        let items: Vec<usize> = self.matched(window, cue).map(|t| t.item).collect();
        let (Some(&lo), Some(&hi)) = (items.iter().min(), items.iter().max()) else {
            return false;
        };
        // In a sentence of several comma-separated items, any item between counts as a term.
        let enumeration = self.sentence_of(window.start).commas + 1 >= MIN_ENUMERATION_ITEMS;
        self.tokens[window.clone()].iter().any(|t| {
            (t.listed || (enumeration && !t.stop))
                && lo < t.item
                && t.item < hi
                && !items.contains(&t.item)
        })
    }

    /// Whether the match at `window` runs across "and" (or a relative "that"/"which") that opens
    /// a conjunct of its own with a determiner, with a single word of the cue before it ("the low
    /// frequencies stretch and the high frequencies stay"; "it reranks a shortlist that a
    /// bi-encoder retrieved"): that word belongs to its own clause. A claim with words on both
    /// sides ("the large model drafts and the small model verifies") is one claim.
    /// So does one across a conjunction whose conjunct has a person of its own as subject
    /// ("interpolate the positions, which is Position Interpolation, or you change the base").
    pub fn crosses_conjunct(&self, window: &Range<usize>, cue: &Cue) -> bool {
        let lex = lexicon();
        (window.start + 1..window.end.saturating_sub(1)).any(|i| {
            let next = &self.tokens[i + 1];
            (self.opens_conjunct(i)
                && lex.is_determiner(&next.word)
                && self.matched(&(window.start..i), cue).count() == 1)
                || (opens_clause(&self.tokens[i].word) && !next.filler && lex.is_person(&next.word))
        })
    }

    /// Whether token `i` can open a conjunct or relative clause: "and", or "that"/"which" as
    /// written out ("that's the output" is a pronoun and its verb).
    fn opens_conjunct(&self, i: usize) -> bool {
        let t = &self.tokens[i];
        match t.word.as_str() {
            "and" => true,
            "that" | "which" => !self
                .text
                .get(t.span.clone())
                .is_some_and(|w| w.contains(['\'', '\u{2019}'])),
            _ => false,
        }
    }

    /// Whether the match at `window` is the far side of a comparison ("faster than X", "X
    /// versus Y"): one of the lexicon's comparison words is among the two words before it.
    pub fn compared(&self, window: &Range<usize>) -> bool {
        let lex = lexicon();
        let sentence = self.sentence_of(window.start).tokens.start;
        // Numbers do not count: in "vs ~0.15n for MLM", MLM is the far side.
        let mut before = self.tokens[sentence..window.start]
            .iter()
            .rev()
            .filter(|t| !t.word.starts_with(|c: char| c.is_ascii_digit()))
            .map(|t| t.word.as_str());
        let (last, one_before) = (before.next(), before.next());
        // A two-word comparison reads in text order: "preferred over", "instead of".
        last.is_some_and(|w| lex.is_comparison(w))
            || one_before.is_some_and(|w| lex.is_comparison(w))
            || last
                .zip(one_before)
                .is_some_and(|(second, first)| lex.is_comparison_pair(first, second))
    }

    /// Whether the match at `window` has its words in separate items of an enumeration
    /// ("position interpolation, a larger base via NTK, or YaRN" is not "larger positions").
    pub fn splits_items(&self, window: &Range<usize>, cue: &Cue) -> bool {
        let mut items = self.matched(window, cue).map(|t| t.item);
        let first = items.next();
        self.sentence_of(window.start).commas + 1 >= MIN_ENUMERATION_ITEMS
            && items.any(|i| Some(i) != first)
    }

    /// Whether the match at `window` is an operand inside a formula: written as the base of a
    /// power or with a subscript (`base^(−2i/d)`, `base_i`), or right after an `=`. In
    /// "θ_i = base^(−2i/d) shrinks as i grows" what shrinks is θ_i, not the base.
    pub fn operand(&self, window: &Range<usize>) -> bool {
        let (start, end) = (
            self.tokens[window.start].span.start,
            self.tokens[window.end - 1].span.end,
        );
        let after = self.text.get(end..).unwrap_or("");
        let before = self.text.get(..start).unwrap_or("");
        after.starts_with(['^', '_']) || before.trim_end().ends_with(['=', '≈'])
    }

    /// Whether the match's items are split only by "and" between two past participles ("stored
    /// and trained"): two verbs of one statement, not two entries of a list.
    pub fn joins_participles(&self, window: &Range<usize>) -> bool {
        let inner = window.start + 1..window.end;
        let participle = |i: usize| self.tokens.get(i).is_some_and(|t| t.word.ends_with("ed"));
        let mut joined = false;
        for i in inner {
            let t = &self.tokens[i];
            if t.sep_before {
                return false;
            }
            if is_conjunction(&t.word) {
                if !(participle(i - 1) && participle(i + 1)) {
                    return false;
                }
                joined = true;
            }
        }
        joined
    }

    /// Whether the clause before the match reports it as a mistake ("over-aggressive filters
    /// quietly drop dialects, code and minority topics"): a risk described, not a claim.
    pub fn mishap(&self, window: &Range<usize>) -> bool {
        let clause = self.tokens[window.start].clause;
        let sentence = self.sentence_of(window.start).tokens.start;
        let first = (sentence..window.start)
            .find(|&i| self.tokens[i].clause == clause)
            .unwrap_or(window.start);
        let words: Vec<&str> = self.tokens[first..window.start]
            .iter()
            .map(|t| t.word.as_str())
            .collect();
        (0..words.len()).any(|i| lexicon().mishap_at(&words[i..]).is_some())
    }

    /// Whether a later `b` is offered as the alternative to `a`: ", or" stands between them
    /// ("all short answers, or GPT-ish verbosity").
    pub fn or_else(&self, a: &Range<usize>, b: &Range<usize>) -> bool {
        a.end <= b.start
            && self.tokens[a.end..b.start]
                .iter()
                .any(|t| t.sep_before && t.word == "or")
    }

    /// Whether `b` comes after `a` past a separator (a comma) that opens a phrase with a
    /// preposition making it a setting: in "connected directly in one step, in the RNN the
    /// information has to pass", what is connected is not the RNN.
    pub fn set_apart(&self, a: &Range<usize>, b: &Range<usize>) -> bool {
        a.end <= b.start
            && self.tokens[a.end..=b.start]
                .iter()
                .rev()
                .find(|t| t.sep_before)
                .is_some_and(|t| lexicon().is_setting_preposition(&t.word))
    }

    /// Whether the match at `window` names a time rather than says something: it follows "after",
    /// "during" and the like ("after training, W0 and BA merge" does not say W0 is trained).
    pub fn timed(&self, window: &Range<usize>) -> bool {
        let sentence = self.sentence_of(window.start).tokens.start;
        window.start > sentence
            && lexicon().is_time_preposition(&self.tokens[window.start - 1].word)
    }
}

/// Whether a content token carries one of the cue's words.
fn carries(t: &Token, cue: &Cue) -> bool {
    !t.stop && cue.words.iter().any(|w| says(t, w))
}

/// Whether a token says the cue word `w`, by its stem or by its synonym concept.
fn says(t: &Token, w: &str) -> bool {
    t.stem == w || t.concept.as_deref() == Some(w)
}
