//! The model's line as drafted, before any check: its `say` fields, or free text read into them,
//! and how far they are trusted.

use crate::tools::SayArgs;

/// How far a field's words are trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// The project's own words (the offline interviewer).
    Own,
    /// A typed field of `say`.
    Typed,
    /// Free text: the least trusted.
    Free,
}

/// What the model gave to be said this turn.
#[derive(Debug, Clone)]
pub struct Draft {
    pub args: SayArgs,
    pub trust: Trust,
    /// The id of the model's `say` call, when it made one.
    pub call_id: Option<String>,
}

impl Draft {
    /// A draft from free text: its opening sentence may acknowledge, its first question asks.
    pub fn free(text: &str) -> Self {
        let all = super::contract::sentences(text);
        let acknowledgement = all
            .first()
            .filter(|s| !s.ends_with('?'))
            .map(|s| s.to_string())
            .unwrap_or_default();
        Self {
            args: SayArgs {
                acknowledgement,
                question: text.to_string(),
                kind: None,
                point: None,
            },
            trust: Trust::Free,
            call_id: None,
        }
    }
}
