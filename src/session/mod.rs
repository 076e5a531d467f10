//! Durable sessions: every turn is appended to a JSON Lines file as it happens.
//!
//! A session file holds one record per line: a [`Header`] first, then [`Turn`]s, the interview
//! state after each exchange, and an [`End`] record when the interview is over. The state is
//! saved whole once ([`Checkpoint`]) and then as [`Update`]s holding only what changed, so the
//! file grows with what was said. Resume reads the latest state; review reads turns and the
//! latest state.

pub mod calibrations;
pub mod history;
pub mod store;

pub use history::{
    DeliveryPoint, DomainTrend, TrendPoint, WeakPoint, delivery_trend, domain_trends, weak_points,
};
pub use store::{
    Listing, Loaded, LoadedSession, SessionStatus, SessionStore, SessionSummary, SessionWriter,
    StoreError,
};

use crate::bank::Mode;
use crate::scoring::ScorerKind;
pub use crate::spoken::Delivery;
use crate::state::InterviewState;
pub use crate::state::{MemorySnapshot, UsageTotals};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Bumped when the record format changes incompatibly (2: question records hold exchanges; 3:
/// checkpoints after the first are saved as updates). Files of formats 1 and 2 still load, and
/// resume by appending updates.
pub const FORMAT_VERSION: u32 = 3;

/// Who spoke a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    Interviewer,
    Candidate,
    /// Notes from the tool itself (errors shown to the user, judge fallbacks).
    System,
}

/// The first record of a session file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    /// Time-sortable id, e.g. `20261128-130839-4f2a`.
    pub id: String,
    pub mode: Mode,
    /// The model label (`offline`, or `MODEL @ HOST`); never a key.
    pub model: String,
    pub seed: u64,
    pub started_at: DateTime<Utc>,
    /// Options needed to resume the same way.
    #[serde(default)]
    pub options: SessionOptions,
}

/// How a session was run, so it resumes the same way. Only these fields are ever written (a
/// credential cannot be); unknown fields of older files are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<BackendKind>,
    /// Who graded the answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<ScorerKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_tokens: Option<usize>,
    /// Questions planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub questions: Option<usize>,
    /// `--time-limit`: seconds per answer before a warning (never a cut-off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit_secs: Option<u64>,
    /// `--speak`: the interviewer's lines were spoken.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub speak: bool,
    /// `--listen`: answers were spoken.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub listen: bool,
}

/// Which kind of model ran the interview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    OpenaiCompatible,
    Offline,
}

/// One spoken line of the interview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    pub speaker: Speaker,
    pub text: String,
    pub at: DateTime<Utc>,
    /// The question this turn belongs to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// For a candidate's answer: how long it took and, when spoken, how it was spoken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
}

/// The full state after an exchange: enough to resume exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub at: DateTime<Utc>,
    pub state: InterviewState,
    #[serde(default)]
    pub memory: MemorySnapshot,
    #[serde(default)]
    pub usage: UsageTotals,
}

/// The changes to the previous checkpoint (whole or updated) that make the state after an
/// exchange: see [`store::delta`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Update {
    pub at: DateTime<Utc>,
    pub changes: Vec<store::delta::Change>,
}

/// The interview is over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct End {
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// One line of a session file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Header(Header),
    Turn(Turn),
    Checkpoint(Box<Checkpoint>),
    Update(Update),
    End(End),
}
