//! How a candidate keeps a claim at arm's length: rejecting it ("a common misconception is ...",
//! "that's wrong"), reporting it as someone else's belief ("people often think", "a junior once
//! told me"), going on with a list of such beliefs ("First, that ..."), answering no to a question
//! that put it ("Does LoRA update the base weights? No, ..."), asking about it ("whether"),
//! setting it against another ("A versus B"), or putting it out of reach ("too expensive"). The
//! words are data: the `[rejection]` table of `tools/scorer/lexicon.toml`.

use super::{Phrases, phrase_at, phrases, set};
use serde::Deserialize;
use std::collections::HashSet;

/// Words at most between a believer and the verb that reports the belief ("people still often
/// assume").
const BELIEVER_REACH: usize = 2;

/// The `[rejection]` table as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RejectionFile {
    /// Adjectives that reject what their sentence says before a stopword or a break ("that's
    /// wrong"; "wrong answers" only describes).
    #[serde(default)]
    rejections: Vec<String>,
    /// Nouns that name a rejected belief wherever they stand ("a misconception worth ...").
    #[serde(default)]
    rejection_nouns: Vec<String>,
    /// Phrases that report a belief in order to reject it ("it's tempting to think").
    #[serde(default)]
    reported_beliefs: Vec<String>,
    /// Who may hold such a belief ("candidates", "many").
    #[serde(default)]
    believers: Vec<String>,
    /// What they do with it ("assume", "tell"): a believer and one of these, at most
    /// [`BELIEVER_REACH`] words apart, report a belief.
    #[serde(default)]
    belief_verbs: Vec<String>,
    /// Sentence openings that go on listing what a sentence before rejected ("First, that ...").
    #[serde(default)]
    rejection_continuations: Vec<String>,
    /// Words that open an item of a list when a comma or colon follows ("One: ...").
    #[serde(default)]
    list_markers: Vec<String>,
    /// Words that set two things against each other ("A versus B").
    #[serde(default)]
    oppositions: Vec<String>,
    /// Sentence openings that answer no to a question put just before ("No, ...").
    #[serde(default)]
    negative_answers: Vec<String>,
    /// Words that open a question inside a sentence ("whether", "check if").
    #[serde(default)]
    open_questions: Vec<String>,
    /// Phrases that, just after something, say it is avoided ("... is too expensive").
    #[serde(default)]
    prohibitions: Vec<String>,
}

/// The rejection vocabulary, ready to look up.
pub struct Rejection {
    rejections: HashSet<String>,
    nouns: HashSet<String>,
    reported_beliefs: Phrases,
    believers: HashSet<String>,
    belief_verbs: HashSet<String>,
    continuations: Phrases,
    list_markers: HashSet<String>,
    oppositions: HashSet<String>,
    negative_answers: Phrases,
    open_questions: Phrases,
    prohibitions: Phrases,
}

impl Rejection {
    pub(super) fn new(file: RejectionFile) -> Rejection {
        Rejection {
            rejections: set(file.rejections),
            nouns: set(file.rejection_nouns),
            reported_beliefs: phrases(&file.reported_beliefs),
            believers: set(file.believers),
            belief_verbs: set(file.belief_verbs),
            continuations: phrases(&file.rejection_continuations),
            list_markers: set(file.list_markers),
            oppositions: set(file.oppositions),
            negative_answers: phrases(&file.negative_answers),
            open_questions: phrases(&file.open_questions),
            prohibitions: phrases(&file.prohibitions),
        }
    }

    /// A word that rejects what its sentence says when a stopword or a break follows ("that's
    /// wrong", not "wrong answers").
    pub fn is_rejection(&self, w: &str) -> bool {
        self.rejections.contains(w)
    }

    /// A noun that names a rejected belief wherever it stands ("a misconception worth ...").
    pub fn is_rejection_noun(&self, w: &str) -> bool {
        self.nouns.contains(w)
    }

    /// A word that opens an item of a list when a comma or colon follows ("One: ...").
    pub fn is_list_marker(&self, w: &str) -> bool {
        self.list_markers.contains(w)
    }

    /// A word that sets two things against each other ("A versus B").
    pub fn is_opposition(&self, w: &str) -> bool {
        self.oppositions.contains(w)
    }

    /// Whether a reported belief ("people often think", "plenty of candidates assume") starts at
    /// `words[0]`; returns its length.
    pub fn reported_belief_at(&self, words: &[&str]) -> Option<usize> {
        phrase_at(&self.reported_beliefs, words).or_else(|| {
            let holder = words.first().is_some_and(|w| self.believers.contains(*w));
            let verb = words
                .iter()
                .take(BELIEVER_REACH + 2)
                .skip(1)
                .position(|w| self.belief_verbs.contains(*w));
            verb.filter(|_| holder).map(|i| i + 2)
        })
    }

    /// Whether `words` opens by going on with what a sentence before rejected ("First, that
    /// ...").
    pub fn continues_rejection(&self, words: &[&str]) -> bool {
        phrase_at(&self.continuations, words).is_some()
    }

    /// Whether `words` opens by answering no to a question put just before ("No.", "Not at
    /// all").
    pub fn answers_no(&self, words: &[&str]) -> bool {
        phrase_at(&self.negative_answers, words).is_some()
    }

    /// Whether an open question ("whether", "check if") starts at `words[0]`; returns its length.
    pub fn open_question_at(&self, words: &[&str]) -> Option<usize> {
        phrase_at(&self.open_questions, words)
    }

    /// Whether a prohibition ("too expensive") starts at `words[0]`; returns its length.
    pub fn prohibition_at(&self, words: &[&str]) -> Option<usize> {
        phrase_at(&self.prohibitions, words)
    }
}
