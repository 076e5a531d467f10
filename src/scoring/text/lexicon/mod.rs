//! The scorer's vocabulary: function-word classes, stemming, and the synonym groups that let a
//! paraphrase match a cue ("at the same time" for "parallel"). All of it is data, in
//! `tools/scorer/lexicon.toml`, embedded at build time and parsed once.

use rust_stemmers::{Algorithm, Stemmer};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

mod rejection;
mod words;

use words::americanise;
pub use words::{
    SYMBOL_WORDS, continues_word, is_decimal_point, is_word_char, push_words, split_words,
    symbol_at,
};

pub use rejection::Rejection;
use rejection::RejectionFile;

const LEXICON_TOML: &str = include_str!("../../../../tools/scorer/lexicon.toml");
/// The longest synonym phrase, in words.
pub const MAX_PHRASE_WORDS: usize = 6;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LexiconFile {
    stopwords: Vec<String>,
    negations: Vec<String>,
    connectives: Vec<String>,
    explanation_markers: Vec<String>,
    auxiliaries: Vec<String>,
    pronouns: Vec<String>,
    contrasts: Vec<String>,
    list_lead_ins: Vec<String>,
    list_trailers: Vec<String>,
    /// Spoken fillers ("you know"): they neither earn nor cost.
    #[serde(default)]
    fillers: Vec<String>,
    /// Self-corrections ("no wait"): they retract the words just before them.
    #[serde(default)]
    self_corrections: Vec<String>,
    /// Self-corrections that say the whole statement just made was the wrong way round.
    #[serde(default)]
    reversals: Vec<String>,
    /// Words a self-correction may follow at the start of its sentence ("Well, no, that's
    /// backwards") and still take back the sentence before.
    #[serde(default)]
    correction_openers: Vec<String>,
    /// Pronouns that carry the previous sentence's subject into a sentence they open.
    #[serde(default)]
    carriers: Vec<String>,
    /// Words a sentence may open with before such a pronoun ("So it ...").
    #[serde(default)]
    carrier_openers: Vec<String>,
    /// Hedges ("I think", "if I remember"): an answer that hedges is worth a little less.
    #[serde(default)]
    hedges: Vec<String>,
    /// Disclaimers ("I don't know this well"): an answer that opens with one is a guess.
    #[serde(default)]
    disclaimers: Vec<String>,
    /// Admitted gaps ("I don't remember exactly how"): the answer says part of it is missing.
    #[serde(default)]
    gaps: Vec<String>,
    /// Words that put what follows on the far side of a comparison ("than", "unlike").
    #[serde(default)]
    comparisons: Vec<String>,
    /// Degree words a cue may be written with ("more", "most"), and their opposites.
    #[serde(default)]
    degree_up: Vec<String>,
    #[serde(default)]
    degree_down: Vec<String>,
    /// Words that make what follows a time, not a claim ("after training, ...").
    #[serde(default)]
    time_prepositions: Vec<String>,
    /// Prepositions that make the noun after them a setting ("in the RNN, ...").
    #[serde(default)]
    setting_prepositions: Vec<String>,
    /// Other prepositions: the noun after one is a complement, not a clause's subject ("per
    /// layer", "of the heads").
    #[serde(default)]
    prepositions: Vec<String>,
    /// Words that report what follows in their clause as a mistake ("accidentally").
    #[serde(default)]
    mishaps: Vec<String>,
    /// Determiners: after "and", one opens a conjunct of its own ("X stretch and the Y stay").
    #[serde(default)]
    determiners: Vec<String>,
    /// Personal pronouns that are a verb's own subject ("the draft's, and you resample").
    #[serde(default)]
    persons: Vec<String>,
    /// How a claim is kept at arm's length (see [`rejection`]).
    #[serde(default)]
    rejection: RejectionFile,
    #[serde(default)]
    synonyms: Vec<SynonymGroup>,
    /// One-word comparatives and the adjective they compare: "more sharp" matches as "sharper".
    #[serde(default)]
    comparatives: HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SynonymGroup {
    /// The first phrase names the concept; every phrase matches as that concept.
    words: Vec<String>,
}

/// The parsed lexicon.
pub struct Lexicon {
    stopwords: HashSet<String>,
    negations: HashSet<String>,
    connectives: HashSet<String>,
    markers: HashSet<String>,
    auxiliaries: HashSet<String>,
    pronouns: HashSet<String>,
    contrasts: HashSet<String>,
    lead_ins: HashSet<String>,
    /// Trailing phrases that close a list ("and so on", "all of that"), as word sequences.
    trailers: Phrases,
    /// Spoken fillers, as word sequences.
    fillers: Phrases,
    /// Self-correction phrases, as word sequences.
    corrections: Phrases,
    /// Reversal phrases ("got that backwards"), as word sequences.
    reversals: Phrases,
    carriers: HashSet<String>,
    carrier_openers: HashSet<String>,
    correction_openers: HashSet<String>,
    /// Hedges, as word sequences.
    hedges: Phrases,
    disclaimers: Phrases,
    gaps: Phrases,
    comparisons: HashSet<String>,
    /// Two-word comparisons ("preferred over"), as word pairs.
    comparison_pairs: Vec<(String, String)>,
    degree_up: HashSet<String>,
    degree_down: HashSet<String>,
    time_prepositions: HashSet<String>,
    setting_prepositions: HashSet<String>,
    prepositions: HashSet<String>,
    mishaps: Phrases,
    determiners: HashSet<String>,
    persons: HashSet<String>,
    /// Synonym phrases by their first form: (the phrase's forms, the concept).
    phrases: HashMap<String, Vec<(Vec<String>, String)>>,
    /// How a claim is kept at arm's length: rejected, reported, asked about, avoided.
    pub rejection: Rejection,
}

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

/// The lexicon, parsed on first use. The file is part of the binary and checked by the tests, so
/// a broken copy degrades to an empty lexicon rather than failing a user's command.
pub fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(|| match toml::from_str::<LexiconFile>(LEXICON_TOML) {
        Ok(file) => Lexicon::build(file),
        Err(e) => {
            tracing::error!("tools/scorer/lexicon.toml is invalid: {e}");
            Lexicon::build(LexiconFile::default())
        }
    })
}

/// Parse errors of the embedded lexicon (for the tests).
pub fn check_embedded() -> Result<(), String> {
    toml::from_str::<LexiconFile>(LEXICON_TOML)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The two-word comparisons of the lexicon's list ("preferred over"), as word pairs; the
/// one-word ones go in a set.
fn comparison_pairs(comparisons: &[String]) -> Vec<(String, String)> {
    comparisons
        .iter()
        .filter_map(|c| {
            c.to_lowercase()
                .split_once(' ')
                .map(|(a, b)| (a.into(), b.into()))
        })
        .collect()
}

fn set(words: Vec<String>) -> HashSet<String> {
    words.into_iter().map(|w| w.to_lowercase()).collect()
}

impl Lexicon {
    fn build(file: LexiconFile) -> Lexicon {
        let mut lex = Lexicon {
            stopwords: set(file.stopwords),
            negations: set(file.negations),
            connectives: set(file.connectives),
            markers: set(file.explanation_markers),
            auxiliaries: set(file.auxiliaries),
            pronouns: set(file.pronouns),
            contrasts: set(file.contrasts),
            lead_ins: set(file.list_lead_ins),
            trailers: phrases(&file.list_trailers),
            fillers: phrases(&file.fillers),
            corrections: phrases(&file.self_corrections),
            reversals: phrases(&file.reversals),
            carriers: set(file.carriers),
            carrier_openers: set(file.carrier_openers),
            correction_openers: set(file.correction_openers),
            hedges: phrases(&file.hedges),
            disclaimers: phrases(&file.disclaimers),
            gaps: phrases(&file.gaps),
            comparison_pairs: comparison_pairs(&file.comparisons),
            comparisons: set(file
                .comparisons
                .into_iter()
                .filter(|c| !c.contains(' '))
                .collect()),
            degree_up: set(file.degree_up),
            degree_down: set(file.degree_down),
            time_prepositions: set(file.time_prepositions),
            setting_prepositions: set(file.setting_prepositions),
            prepositions: set(file.prepositions),
            mishaps: phrases(&file.mishaps),
            determiners: set(file.determiners),
            persons: set(file.persons),
            phrases: HashMap::new(),
            rejection: Rejection::new(file.rejection),
        };
        for group in &file.synonyms {
            let forms: Vec<Vec<String>> = group.words.iter().map(|p| lex.forms(p)).collect();
            let Some(concept) = forms.first().map(|f| lex.concept_name(f)) else {
                continue;
            };
            for f in forms {
                if f.is_empty() || f.len() > MAX_PHRASE_WORDS {
                    continue;
                }
                // A one-word phrase equal to the concept adds nothing.
                if f.len() == 1 && f[0] == concept {
                    continue;
                }
                lex.phrases
                    .entry(f[0].clone())
                    .or_default()
                    .push((f, concept.clone()));
            }
        }
        lex.add_comparatives(&file.comparatives);
        // Longest phrases first, so the most specific one wins.
        for list in lex.phrases.values_mut() {
            list.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
        }
        lex
    }

    /// "more sharp" said for "sharper": each comparative's "more" form matches as the comparative
    /// (as the concept of the comparative's synonym group, when it has one), unless a synonym
    /// group already gives that phrase a meaning.
    fn add_comparatives(&mut self, comparatives: &HashMap<String, String>) {
        let more = "more".to_string();
        if !self.degree_up.contains(&more) {
            return;
        }
        for (comparative, adjective) in comparatives {
            let one = self.stem(&comparative.to_lowercase());
            let phrase = vec![more.clone(), self.form(&adjective.to_lowercase())];
            let concept = self
                .phrase_at(&[one.as_str()])
                .map_or(one.clone(), |(_, c)| c.to_string());
            let taken = self.phrase_at(&[phrase[0].as_str(), phrase[1].as_str()]);
            if taken.is_some_and(|(len, _)| len == 2) {
                continue;
            }
            self.phrases
                .entry(more.clone())
                .or_default()
                .push((phrase, concept));
        }
    }

    /// The matching forms of a phrase: stopwords as written, other words stemmed.
    fn forms(&self, phrase: &str) -> Vec<String> {
        split_words(phrase)
            .into_iter()
            .map(|(w, _)| self.form(&w))
            .collect()
    }

    /// A concept's name: the content stems of its first phrase, joined by `_`.
    fn concept_name(&self, forms: &[String]) -> String {
        let content: Vec<&str> = forms
            .iter()
            .filter(|f| !self.is_stopword(f))
            .map(String::as_str)
            .collect();
        if content.is_empty() {
            forms.join("_")
        } else {
            content.join("_")
        }
    }

    /// The matching form of one lowercased word: as written for stopwords, `not` for negations,
    /// otherwise its stem.
    pub fn form(&self, w: &str) -> String {
        if self.is_stopword(w) {
            w.to_string()
        } else {
            self.stem(w)
        }
    }

    pub fn is_stopword(&self, w: &str) -> bool {
        self.stopwords.contains(w)
    }
    pub fn is_negation(&self, w: &str) -> bool {
        self.negations.contains(w)
    }
    pub fn is_connective(&self, w: &str) -> bool {
        self.connectives.contains(w)
    }
    pub fn is_explanation_marker(&self, w: &str) -> bool {
        self.markers.contains(w)
    }
    pub fn is_auxiliary(&self, w: &str) -> bool {
        self.auxiliaries.contains(w)
    }
    pub fn is_pronoun(&self, w: &str) -> bool {
        self.pronouns.contains(w)
    }
    pub fn is_comparison(&self, w: &str) -> bool {
        self.comparisons.contains(w)
    }
    /// `first second` is a two-word comparison ("preferred over", "instead of").
    pub fn is_comparison_pair(&self, first: &str, second: &str) -> bool {
        self.comparison_pairs
            .iter()
            .any(|(a, b)| a == first && b == second)
    }
    /// "more", "most": a degree word a cue may be written with.
    pub fn is_degree_up(&self, w: &str) -> bool {
        self.degree_up.contains(w)
    }
    /// "less", "fewer", "least": the opposite degree.
    pub fn is_degree_down(&self, w: &str) -> bool {
        self.degree_down.contains(w)
    }
    /// "after", "during": what follows is a time ("after training"), not a claim.
    pub fn is_time_preposition(&self, w: &str) -> bool {
        self.time_prepositions.contains(w)
    }
    /// "in", "for": the noun after it is a setting ("in the RNN"), not a subject.
    pub fn is_setting_preposition(&self, w: &str) -> bool {
        self.setting_prepositions.contains(w)
    }
    /// Any preposition (of setting, of time or other): the noun after it is not a subject.
    pub fn is_preposition(&self, w: &str) -> bool {
        self.prepositions.contains(w)
            || self.is_setting_preposition(w)
            || self.is_time_preposition(w)
    }
    /// Whether a word that reports a mistake ("over-aggressive") starts at `words[0]`; returns
    /// its length.
    pub fn mishap_at(&self, words: &[&str]) -> Option<usize> {
        phrase_at(&self.mishaps, words)
    }
    pub fn is_determiner(&self, w: &str) -> bool {
        self.determiners.contains(w)
    }
    pub fn is_person(&self, w: &str) -> bool {
        self.persons.contains(w)
    }
    pub fn is_contrast(&self, w: &str) -> bool {
        self.contrasts.contains(w)
    }
    pub fn is_carrier(&self, w: &str) -> bool {
        self.carriers.contains(w)
    }
    pub fn is_carrier_opener(&self, w: &str) -> bool {
        self.carrier_openers.contains(w)
    }
    pub fn is_correction_opener(&self, w: &str) -> bool {
        self.correction_openers.contains(w)
    }
    pub fn is_lead_in(&self, w: &str) -> bool {
        self.lead_ins.contains(w)
    }

    /// Whether the words starting at `words[0]` close a list ("and so on"); returns its length.
    pub fn trailer_at(&self, words: &[&str]) -> Option<usize> {
        phrase_at(&self.trailers, words)
    }

    /// Whether a spoken filler ("you know") starts at `words[0]`; returns its length.
    pub fn filler_at(&self, words: &[&str]) -> Option<usize> {
        phrase_at(&self.fillers, words)
    }

    /// Whether a disclaimer ("I don't know") starts at `words[0]`; returns its length.
    pub fn disclaimer_at(&self, words: &[&str]) -> Option<usize> {
        phrase_at(&self.disclaimers, words)
    }
    /// Whether an admitted gap ("I don't remember exactly") starts at `words[0]`; returns its
    /// length.
    pub fn gap_at(&self, words: &[&str]) -> Option<usize> {
        phrase_at(&self.gaps, words)
    }

    /// Whether a hedge ("I think") starts at `words[0]`; returns its length.
    pub fn hedge_at(&self, words: &[&str]) -> Option<usize> {
        phrase_at(&self.hedges, words)
    }

    /// Whether a self-correction ("no wait") starts at `words[0]`; returns its length.
    pub fn correction_at(&self, words: &[&str]) -> Option<usize> {
        phrase_at(&self.corrections, words)
    }

    /// Whether a reversal ("I've got that backwards") starts at `words[0]`; returns its length.
    pub fn reversal_at(&self, words: &[&str]) -> Option<usize> {
        phrase_at(&self.reversals, words)
    }

    /// The matching form (stem, or `not` for negations) of a lowercased content word.
    pub fn stem(&self, w: &str) -> String {
        if self.is_negation(w) {
            return "not".to_string();
        }
        // British and American spellings stem differently ("optimise" / "optimize").
        let w = if w.len() > 5 && (w.contains("is") || w.contains("our")) {
            americanise(w)
        } else {
            w.to_string()
        };
        stemmer().stem(&w).into_owned()
    }

    /// The longest synonym phrase starting at `forms[0]`: its length in words and its concept.
    pub fn phrase_at(&self, forms: &[&str]) -> Option<(usize, &str)> {
        let first = forms.first()?;
        self.phrases.get(*first)?.iter().find_map(|(f, concept)| {
            (f.len() <= forms.len() && f.iter().zip(forms).all(|(a, b)| a.as_str() == *b))
                .then_some((f.len(), concept.as_str()))
        })
    }
}

/// Lowercased phrases as word sequences, grouped by their first word (in list order within a
/// group), so looking one up at every word of a text costs one hash lookup.
struct Phrases {
    by_first: HashMap<String, Vec<Vec<String>>>,
}

/// Lowercased phrases as word sequences (empty ones dropped).
fn phrases(list: &[String]) -> Phrases {
    let mut by_first: HashMap<String, Vec<Vec<String>>> = HashMap::new();
    for t in list {
        let words: Vec<String> = split_words(t).into_iter().map(|(w, _)| w).collect();
        if let Some(first) = words.first() {
            by_first.entry(first.clone()).or_default().push(words);
        }
    }
    Phrases { by_first }
}

/// The length of the first of `list` that `words` starts with.
fn phrase_at(list: &Phrases, words: &[&str]) -> Option<usize> {
    list.by_first
        .get(*words.first()?)?
        .iter()
        .find(|t| t.len() <= words.len() && t.iter().zip(words).all(|(a, b)| a.as_str() == *b))
        .map(Vec::len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decimal_number_is_one_word() {
        let words =
            |t: &str| -> Vec<String> { split_words(t).into_iter().map(|(w, _)| w).collect() };
        assert_eq!(words("temperature 0.7"), ["temperature", "0.7"]);
        assert_eq!(
            words("β2 = 0.95, not 0.999."),
            ["β2", "0.95", "not", "0.999"]
        );
        // A full stop after a number still ends it.
        assert_eq!(
            words("at temperature 0. Then"),
            ["at", "temperature", "0", "then"]
        );
    }

    #[test]
    fn the_embedded_lexicon_parses() {
        assert_eq!(check_embedded(), Ok(()));
        assert!(lexicon().is_stopword("the"));
        assert!(lexicon().is_negation("never"));
    }

    #[test]
    fn no_two_synonym_groups_share_a_name() {
        // A group is named by the content words of its first phrase: two groups with the same
        // name would merge ("off policy" and "on policy" are both "policy").
        let file: LexiconFile = toml::from_str(LEXICON_TOML).expect("lexicon parses");
        let lex = lexicon();
        let mut seen = HashMap::new();
        let mut clashes = vec![];
        for group in &file.synonyms {
            let Some(first) = group.words.first() else {
                continue;
            };
            let name = lex.concept_name(&lex.forms(first));
            // Two groups opening with the same phrase are one concept on purpose.
            if let Some(other) = seen.insert(name.clone(), first.clone())
                && other != *first
            {
                clashes.push(format!("{first:?} and {other:?} are both named {name:?}"));
            }
        }
        assert!(clashes.is_empty(), "{}", clashes.join("\n"));
    }

    #[test]
    fn synonym_phrases_name_their_concept() {
        let lex = lexicon();
        let forms = lex.forms("at the same time");
        let refs: Vec<&str> = forms.iter().map(String::as_str).collect();
        let (len, concept) = lex.phrase_at(&refs).expect("a synonym of parallel");
        assert_eq!(len, 4);
        assert_eq!(concept, lex.stem("parallel"));
    }

    #[test]
    fn british_spellings_stem_like_american_ones() {
        let lex = lexicon();
        assert_eq!(lex.stem("optimise"), lex.stem("optimize"));
        assert_eq!(lex.stem("normalisation"), lex.stem("normalization"));
        assert_eq!(lex.stem("isn"), lex.stem("isn"));
        assert_eq!(lex.stem("cannot"), "not");
    }
}
