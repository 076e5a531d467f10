//! Whether a match is negated: a negation just before it, inside it, earlier in its stretch of
//! the sentence, or just after it.

use super::Doc;
use crate::scoring::text::Cue;
use crate::scoring::text::lexicon::lexicon;
use crate::scoring::text::marks::is_conjunction;
use std::ops::Range;

/// A negation this many words before a match (or inside it) negates it.
const NEGATION_REACH: usize = 4;
/// The form every negation word takes ("no", "not", "doesn't").
pub(super) const NEGATION: &str = "not";

impl Doc<'_> {
    /// Whether a negation follows the match within two words of its clause ("bf16 would not",
    /// "GQA doesn't").
    pub fn negated_after(&self, window: &Range<usize>) -> bool {
        let clause = self.tokens[window.end - 1].clause;
        self.tokens[window.end..]
            .iter()
            .take(2)
            .take_while(|t| t.clause == clause && !t.sep_before)
            .any(|t| t.negation)
    }

    /// Whether a negation stands just before the match at `window`, in its clause ("without
    /// QAT", "no reward model"): what it names is absent.
    pub fn negated_before(&self, window: &Range<usize>) -> bool {
        let clause = self.tokens[window.start].clause;
        let from = self.words_back(window.start, 3, self.sentence_of(window.start).tokens.start);
        self.tokens[from..window.start]
            .iter()
            .rev()
            .take_while(|t| t.clause == clause)
            .any(|t| t.negation)
    }

    /// Whether the match at `window` is negated: a negation just before it or inside it (other
    /// than the cue's own words), in its clause.
    pub fn negated(&self, window: &Range<usize>, cue: &Cue) -> bool {
        let sentence = &self.sentences[self.tokens[window.start].sentence];
        let mut from = self.words_back(window.start, NEGATION_REACH, sentence.tokens.start);
        // A negation reaches through "or": "can't explore or correct on its own samples".
        if self.tokens[from..window.start]
            .iter()
            .any(|t| t.word == "or")
        {
            from = self.words_back(from, NEGATION_REACH, sentence.tokens.start);
        }
        // A negation does not reach across a comma into the match ("if you're not careful, it ...").
        let from = (from..=window.start)
            .rev()
            .find(|&i| self.tokens[i].sep_before)
            .unwrap_or(from);
        let cue_has_not = cue.words.iter().any(|w| w == "not");
        let clause = self.tokens[window.start].clause;
        self.tokens[from..window.end]
            .iter()
            .any(|t| t.negation && !cue_has_not && t.clause == clause)
    }

    /// Whether a negation earlier in the match's own stretch of its sentence bears on it, however
    /// far before it: "RoPE does not let a model run at any context length for free", "trained on
    /// pairs, not by regression on 1-10 ratings". The stretch ends at a comma, a conjunction, a
    /// contrast or a word of reason or consequence ("because", "so", "that"), which open a
    /// statement of their own ("you don't need YaRN because RoPE ..." still says RoPE does).
    pub fn negated_in_stretch(&self, window: &Range<usize>, cue: &Cue) -> bool {
        if cue.words.iter().any(|w| w == NEGATION) {
            return false;
        }
        let lex = lexicon();
        let start = self.sentence_of(window.start).tokens.start;
        let mut i = window.start;
        // Fillers set off by commas right after the negation do not end the stretch ("it's
        // not, uh, swapping ..."): the negation reaches through them.
        let through_fillers = |i: usize| {
            let mut k = i;
            while k > start && self.tokens[k - 1].filler {
                k -= 1;
            }
            k < i && k > start && self.tokens[k - 1].negation
        };
        let cut =
            |i: usize| self.tokens[i].sep_before && !self.tokens[i].filler && !through_fillers(i);
        while i > start && !cut(i) {
            i -= 1;
            let t = &self.tokens[i];
            let opens = is_conjunction(&t.word)
                || matches!(t.word.as_str(), "that" | "which" | "as" | "who")
                || lex.is_explanation_marker(&t.word)
                || lex.is_contrast(&t.word);
            if opens {
                return false;
            }
            if t.negation {
                return true;
            }
        }
        false
    }

    /// The token `n` words before token `at` (not before `floor`), a hyphenated word
    /// ("mean-squared-error") counting as one.
    fn words_back(&self, at: usize, n: usize, floor: usize) -> usize {
        let mut from = at;
        let mut words = 0;
        while from > floor && words < n {
            from -= 1;
            let joined = self
                .text
                .get(self.tokens[from].span.end..self.tokens[from + 1].span.start)
                .is_some_and(|gap| gap == "-");
            words += usize::from(!joined);
        }
        from
    }
}
