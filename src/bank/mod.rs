//! The question bank: interview questions and their rubrics, loaded from TOML data.
//!
//! The built-in bank (one file per domain under `tools/`) is embedded in the binary; a user's bank
//! in the same format can replace or extend it (`--bank DIR` / `INTERVIEWER_BANK`).

mod load;
mod validate;

pub use load::{BankError, BankSource, load_bank, load_builtin, load_dir};
pub use validate::{MAX_POINTS, MIN_POINTS, Problem, validate};

use serde::{Deserialize, Serialize};
use std::fmt;

/// The five domains of an LLM-engineering interview, in the order a first round sweeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Domain {
    Transformer,
    Pretraining,
    Finetuning,
    Inference,
    Applications,
}

impl Domain {
    pub const ALL: [Domain; 5] = [
        Domain::Transformer,
        Domain::Pretraining,
        Domain::Finetuning,
        Domain::Inference,
        Domain::Applications,
    ];

    /// The identifier used in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Transformer => "transformer",
            Domain::Pretraining => "pretraining",
            Domain::Finetuning => "finetuning",
            Domain::Inference => "inference",
            Domain::Applications => "applications",
        }
    }

    /// A human title, as an interviewer would say it.
    pub fn title(self) -> &'static str {
        match self {
            Domain::Transformer => "Transformer fundamentals",
            Domain::Pretraining => "pre-training",
            Domain::Finetuning => "fine-tuning and alignment",
            Domain::Inference => "inference",
            Domain::Applications => "applications",
        }
    }

    pub fn parse(s: &str) -> Option<Domain> {
        let s = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        Domain::ALL.into_iter().find(|d| {
            d.as_str() == s
                || d.as_str() == s.replace('-', "")
                || (s == "fine-tuning" && *d == Domain::Finetuning)
                || (s == "pre-training" && *d == Domain::Pretraining)
        })
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The two kinds of interview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Breadth over the fundamentals, few probes.
    #[default]
    FirstRound,
    /// Fewer topics, chains of why-probes and derivations.
    DeepDive,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::FirstRound => "first-round",
            Mode::DeepDive => "deep-dive",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "first-round" | "first" | "firstround" => Some(Mode::FirstRound),
            "deep-dive" | "deep" | "deepdive" => Some(Mode::DeepDive),
            _ => None,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How hard a question is; a first round starts with the `core` ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Difficulty {
    Core,
    Intermediate,
    Advanced,
}

impl Difficulty {
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Core => "core",
            Difficulty::Intermediate => "intermediate",
            Difficulty::Advanced => "advanced",
        }
    }

    pub fn parse(s: &str) -> Option<Difficulty> {
        match s.trim().to_ascii_lowercase().as_str() {
            "core" | "basic" | "easy" => Some(Difficulty::Core),
            "intermediate" | "medium" => Some(Difficulty::Intermediate),
            "advanced" | "hard" => Some(Difficulty::Advanced),
            _ => None,
        }
    }
}

impl fmt::Display for Difficulty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A statement that reveals a wrong mental model; finding it costs the point and caps the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Misconception {
    /// The wrong claim, in plain words (shown in reviews).
    pub claim: String,
    /// Phrasings of the wrong claim that candidates use (may be empty when `attribute` is set).
    #[serde(default)]
    pub cues: Vec<String>,
    /// The claim as a wrong attribute said of a subject ("the connector is kept frozen"), found
    /// however it is phrased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<Attribute>,
}

/// A wrong attribute said of a subject: a `wrong` cue stated within a few words of a `subject`
/// cue in one clause, with no other subject of the question nearer to it. Every entry is a cue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    /// What the claim is about ("connector", "projector").
    pub subject: Vec<String>,
    /// What is wrongly said of it ("frozen", "fixed").
    pub wrong: Vec<String>,
    /// What is rightly said of it ("trained"): an answer that says both of it is not caught.
    #[serde(default)]
    pub right: Vec<String>,
    /// Other subjects the same words are said of ("encoder", "LLM"): an attribute nearer to one
    /// of them is said of that one.
    #[serde(default)]
    pub rivals: Vec<String>,
}

/// One thing a good answer must say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RubricPoint {
    pub id: String,
    /// Relative weight within the question (> 0).
    pub weight: f32,
    /// What must be said, in one sentence.
    pub expect: String,
    /// Topic terms: naming them without explanation earns at most a partial.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Phrasings, synonyms and paraphrases that make the point.
    pub cues: Vec<String>,
    #[serde(default)]
    pub misconceptions: Vec<Misconception>,
    /// Why-probes: follow-ups that test the reason behind the point.
    pub probes: Vec<String>,
    /// Derivation-level probes, used in deep-dive.
    #[serde(default)]
    pub derivations: Vec<String>,
    /// A nudge for `/hint` that does not give the answer away.
    #[serde(default)]
    pub hint: Option<String>,
}

/// One interview question and its rubric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub domain: Domain,
    pub difficulty: Difficulty,
    pub modes: Vec<Mode>,
    /// The question as an interviewer says it aloud.
    pub ask: String,
    /// What the question assesses.
    pub assesses: String,
    /// A reference answer (what a strong answer says).
    pub reference: String,
    pub points: Vec<RubricPoint>,
}

impl Question {
    pub fn point(&self, id: &str) -> Option<&RubricPoint> {
        self.points.iter().find(|p| p.id == id)
    }

    pub fn total_weight(&self) -> f32 {
        self.points.iter().map(|p| p.weight).sum()
    }

    pub fn suits(&self, mode: Mode) -> bool {
        self.modes.contains(&mode)
    }
}

/// The whole bank, questions in a stable order (domain order, then file order).
#[derive(Debug, Clone, Default)]
pub struct Bank {
    pub questions: Vec<Question>,
}

impl Bank {
    pub fn get(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.questions.iter().map(|q| q.id.as_str())
    }

    pub fn in_domain(&self, domain: Domain) -> impl Iterator<Item = &Question> {
        self.questions.iter().filter(move |q| q.domain == domain)
    }

    /// Ids that look like `id` (for "unknown question" messages), closest first.
    pub fn close_ids(&self, id: &str) -> Vec<&str> {
        let needle = id.trim().to_ascii_lowercase();
        let mut scored: Vec<(f64, &str)> = self
            .ids()
            .map(|cand| {
                let mut s = strsim::jaro_winkler(&needle, cand);
                if !needle.is_empty() && (cand.contains(&needle) || needle.contains(cand)) {
                    s += 0.2;
                }
                (s, cand)
            })
            .filter(|(s, _)| *s >= 0.7)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored.into_iter().take(5).map(|(_, c)| c).collect()
    }
}
