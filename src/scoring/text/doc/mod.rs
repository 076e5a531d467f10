//! An analysed answer: tokens with stems and byte offsets, sentences and clauses, the terms that sit
//! in enumerations. Cue matching within a window of content words is in [`find`].

mod find;
mod negation;
mod quotes;
mod stance;
mod tokenize;

use super::lexicon::lexicon;
use super::marks::number_items;
use super::{MAX_ANSWER_BYTES, cap};
use std::collections::HashMap;
use std::ops::Range;

/// All words of a cue must fall within this many content words of each other (keywords, tests).
pub const CUE_WINDOW: usize = 12;

/// One word of a text.
#[derive(Debug, Clone)]
pub struct Token {
    /// The matching form (stem, or `not` for negations); empty for stopwords.
    pub stem: String,
    /// The concept of a synonym phrase starting here, if any ("all at once" → parallel).
    pub concept: Option<String>,
    /// The lowercased surface word.
    pub word: String,
    /// Byte range in the original text.
    pub span: Range<usize>,
    pub stop: bool,
    pub negation: bool,
    /// Index of its sentence.
    pub sentence: usize,
    /// Index of its clause (sentences are further cut at `;`, `:`, dashes, brackets and contrasts).
    pub clause: usize,
    /// A comma-like separator comes right before it.
    pub sep_before: bool,
    /// Part of an enumeration of terms ("advantages like X, Y, Z, all of that").
    pub listed: bool,
    /// Index of its item: the stretch between separators (commas, "and", "or"), across the text.
    pub item: usize,
    /// For the first word of a synonym phrase, the phrase's length in words: the phrase counts
    /// as one content word when cue words are measured apart ("feed-forward block" is one).
    pub phrase_len: usize,
    /// A spoken filler ("you know", "um"): it neither earns nor costs, and what it interrupts
    /// reads on across it.
    pub filler: bool,
    /// Taken back by a self-correction: it no longer counts.
    pub retracted: bool,
    /// Inside quotation marks: mentioned, not claimed.
    pub quoted: bool,
    /// Opens a question inside its sentence ("whether", "check if"): what follows is asked.
    pub asks: bool,
    /// Part of a short label before a colon ("vLLM: PagedAttention, …"): what follows is
    /// said of it.
    pub label: bool,
}

/// One sentence (ended by `.`, `!`, `?` or a line break) with the features the scorer uses.
#[derive(Debug, Clone)]
pub struct Sentence {
    /// Byte range in the original text, trimmed of surrounding whitespace.
    pub span: Range<usize>,
    /// Token indices.
    pub tokens: Range<usize>,
    pub commas: usize,
    /// Number of words that explain (because, which, so, means, ...).
    pub connectives: usize,
    /// Has an auxiliary verb (is, are, can, ...).
    pub auxiliary: bool,
    /// Rejects a claim ("a common misconception is ...").
    pub rejection: bool,
    /// Writes a relation as a formula (`softmax(QK^T/√d_k)V`, `h = 8d/3`).
    pub formula: bool,
    /// Addressed to the grader rather than the interviewer; ignored when scoring.
    pub injection: bool,
}

impl Sentence {
    /// A bare list of terms: several short comma-separated items or mostly content words, with no
    /// word that explains.
    pub fn list_like(&self, tokens: &[Token]) -> bool {
        if self.formula {
            return false;
        }
        let toks = &tokens[self.tokens.clone()];
        let content = toks.iter().filter(|t| !t.stop).count();
        let stop = toks.len() - content;
        if content == 0 {
            return false;
        }
        let ratio = stop as f32 / toks.len() as f32;
        let items = self.commas + 1;
        let per_item = content as f32 / items as f32;
        let listed = toks.iter().filter(|t| t.listed && !t.stop).count();
        // Many short items: a list even if a connective slipped into one of them ("step by step").
        let long_list =
            self.commas >= 4 && per_item <= 3.0 && ratio < 0.3 && self.connectives * 4 <= items;
        long_list
            || listed * 10 >= content * 7
            || (self.connectives == 0
                && ((self.commas >= 2 && per_item <= 3.0 && ratio < 0.3)
                    || (content >= 6 && ratio < 0.12)
                    || (content <= 3 && stop <= 1 && !self.auxiliary)))
    }
}

/// An analysed text.
#[derive(Debug, Clone)]
pub struct Doc<'a> {
    /// The original text (the analysis covers only its first [`MAX_ANSWER_BYTES`]).
    pub text: &'a str,
    pub tokens: Vec<Token>,
    pub sentences: Vec<Sentence>,
    /// Stem or concept → indices of content tokens (not in grader-addressed sentences).
    index: HashMap<String, Vec<usize>>,
    /// Token index → position among the indexed content tokens.
    content_pos: Vec<usize>,
    /// An aside inside a sentence spoke to the grader and was blanked out before analysis.
    blanked_aside: bool,
}

impl<'a> Doc<'a> {
    /// Analyse `text` (its first [`MAX_ANSWER_BYTES`]).
    pub fn new(text: &'a str) -> Doc<'a> {
        let capped = cap(text, MAX_ANSWER_BYTES);
        let blanked = super::injection::blank_asides(capped);
        let blanked_aside = matches!(blanked, std::borrow::Cow::Owned(_));
        let body: &str = &blanked;
        let (mut tokens, sentences) = tokenize::tokenize(body);
        number_items(&mut tokens);
        let quotes = quotes::quoted_spans(body);
        for t in &mut tokens {
            t.quoted = quotes.iter().any(|q| q.contains(&t.span.start));
        }

        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        let mut content_pos = vec![usize::MAX; tokens.len()];
        let mut n = 0;
        // Words still inside the current synonym phrase: they share its position.
        let mut inside = 0usize;
        for (ti, t) in tokens.iter().enumerate() {
            let within = inside > 0;
            inside = inside.saturating_sub(1);
            if t.phrase_len > 1 {
                inside = t.phrase_len - 1;
            }
            if t.stop || sentences[t.sentence].injection {
                continue;
            }
            if within && n > 0 {
                content_pos[ti] = n - 1;
            } else {
                content_pos[ti] = n;
                n += 1;
            }
            if !t.stem.is_empty() {
                index.entry(t.stem.clone()).or_default().push(ti);
            }
            if let Some(c) = &t.concept {
                index.entry(c.clone()).or_default().push(ti);
            }
        }
        Doc {
            text,
            tokens,
            sentences,
            index,
            content_pos,
            blanked_aside,
        }
    }

    /// Sentences scored (not addressed to the grader).
    pub fn scored_sentences(&self) -> impl Iterator<Item = &Sentence> {
        self.sentences.iter().filter(|s| !s.injection)
    }

    /// Whether some sentence was addressed to the grader.
    pub fn has_injection(&self) -> bool {
        self.blanked_aside || self.sentences.iter().any(|s| s.injection)
    }

    /// Whether the text addresses or names whoever grades it.
    pub fn mentions_grader(&self) -> bool {
        self.has_injection() || super::injection::names_grader(&self.tokens)
    }

    /// The sentence holding a token.
    pub fn sentence_of(&self, token: usize) -> &Sentence {
        &self.sentences[self.tokens[token].sentence]
    }

    /// The byte span of the clause holding a match, trimmed (the whole sentence for a one-clause
    /// sentence).
    fn clause_span(&self, window: &Range<usize>) -> Range<usize> {
        let s = self.sentence_of(window.start);
        let clause = self.tokens[window.start].clause;
        let toks = &self.tokens[s.tokens.clone()];
        let first = toks.iter().position(|t| t.clause == clause).unwrap_or(0);
        let last = toks.iter().rposition(|t| t.clause == clause).unwrap_or(0);
        if first == 0 && last + 1 == toks.len() {
            return s.span.clone();
        }
        toks[first].span.start..toks[last].span.end
    }

    /// A verbatim quote for a match: its clause, or (for a long clause) the words around it.
    pub fn evidence(&self, window: &Range<usize>) -> String {
        let span = self.clause_span(window);
        let quote = &self.text[span.clone()];
        if quote.len() <= 240 && !quote.contains('\u{1b}') {
            return trim_quote(quote).to_string();
        }
        let s = self.sentence_of(window.start);
        let first = window.start.saturating_sub(4).max(s.tokens.start);
        let last = (window.end + 3).min(s.tokens.end).max(first + 1) - 1;
        let span = self.tokens[first].span.start..self.tokens[last].span.end;
        trim_quote(&self.text[span]).to_string()
    }

    /// The clause of a match, as (sentence, clause) indices.
    pub fn clause_of(&self, window: &Range<usize>) -> (usize, usize) {
        let t = &self.tokens[window.start];
        (t.sentence, t.clause)
    }

    /// Number of hedges ("I think", "if I remember") in the scored sentences.
    pub fn hedge_count(&self) -> usize {
        let lex = lexicon();
        self.scored_sentences()
            .map(|s| self.phrase_count(s, |w| lex.hedge_at(w)))
            .sum()
    }

    /// Number of admitted gaps ("I don't remember exactly how that part works", "I'd have to
    /// think about the rest") in the scored sentences.
    pub fn gap_count(&self) -> usize {
        let lex = lexicon();
        self.scored_sentences()
            .map(|s| self.phrase_count(s, |w| lex.gap_at(w)))
            .sum()
    }

    /// Whether the answer opens by disclaiming the subject ("Honestly, I haven't gone deep on
    /// this", "Sorry, I don't know KV caching very well"): a disclaimer in its first sentence.
    pub fn opens_with_disclaimer(&self) -> bool {
        let lex = lexicon();
        self.scored_sentences()
            .next()
            .is_some_and(|s| self.phrase_count(s, |w| lex.disclaimer_at(w)) > 0)
    }

    /// Non-overlapping phrases in `sentence`, each found by `at` (its length in words).
    fn phrase_count(&self, sentence: &Sentence, at: impl Fn(&[&str]) -> Option<usize>) -> usize {
        let words: Vec<&str> = self.tokens[sentence.tokens.clone()]
            .iter()
            .map(|t| t.word.as_str())
            .collect();
        let (mut i, mut n) = (0, 0);
        while i < words.len() {
            match at(&words[i..]) {
                Some(len) => {
                    n += 1;
                    i += len;
                }
                None => i += 1,
            }
        }
        n
    }

    /// Number of words (all tokens) in the scored sentences.
    pub fn word_count(&self) -> usize {
        self.scored_sentences().map(|s| s.tokens.len()).sum()
    }

    /// Words that mark a reason or consequence ("because", "so", "which means"), and separators
    /// (commas and the like), in the scored sentences.
    pub fn markers_and_separators(&self) -> (usize, usize) {
        let lex = lexicon();
        let mut markers = 0;
        let mut seps = 0;
        for s in self.scored_sentences() {
            let toks = &self.tokens[s.tokens.clone()];
            markers += toks
                .iter()
                .filter(|t| lex.is_explanation_marker(&t.word))
                .count();
            seps += s.commas;
        }
        (markers, seps)
    }

    /// Number of stopwords in the scored sentences (a crude sign of English prose).
    pub fn stopword_count(&self) -> usize {
        self.scored_sentences()
            .map(|s| {
                self.tokens[s.tokens.clone()]
                    .iter()
                    .filter(|t| t.stop)
                    .count()
            })
            .sum()
    }

    /// Share of content words that sit in list-like sentences or enumerations (0 when none).
    pub fn list_share(&self) -> f32 {
        let mut total = 0usize;
        let mut listed = 0usize;
        for s in self.scored_sentences() {
            let toks = &self.tokens[s.tokens.clone()];
            let content = toks.iter().filter(|t| !t.stop).count();
            total += content;
            listed += if s.list_like(&self.tokens) {
                content
            } else {
                toks.iter().filter(|t| !t.stop && t.listed).count()
            };
        }
        if total == 0 {
            0.0
        } else {
            listed as f32 / total as f32
        }
    }
}

fn trim_quote(s: &str) -> &str {
    s.trim()
        .trim_start_matches(['-', '*', '•', '>', ','])
        .trim_end_matches([',', ';'])
        .trim()
}
