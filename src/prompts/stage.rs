//! Stage directions (`prompts/stage.toml`): what the loop tells the model the candidate did
//! (ready, back after a break, skipped, wants to end, asked for a hint), written as the
//! candidate's message. The offline interviewer reads them back with [`Stage::parse`].

use super::phrases::fill;
use serde::Deserialize;
use std::sync::OnceLock;

#[derive(Debug, Deserialize)]
struct Templates {
    ready: String,
    back: String,
    back_open: String,
    skipped: String,
    end: String,
    hint: String,
    speak: String,
}

fn templates() -> &'static Templates {
    static T: OnceLock<Templates> = OnceLock::new();
    T.get_or_init(
        || match toml::from_str(include_str!("../../prompts/stage.toml")) {
            Ok(t) => t,
            Err(e) => panic!("prompts/stage.toml is invalid (caught by unit tests): {e}"),
        },
    )
}

/// A stage direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// The interview starts.
    Ready,
    /// A resumed interview with nothing waiting for an answer.
    Back,
    /// A resumed interview: `open` (a question or probe) still waits for an answer.
    BackOpen {
        open: String,
    },
    Skipped,
    End,
    /// `/hint`: the interviewer said `line`.
    Hint {
        line: String,
    },
    /// The model wrote nothing after its tool results: a reminder to speak (sent once, never
    /// remembered).
    Speak,
}

impl Stage {
    /// The message the model reads.
    pub fn render(&self) -> String {
        let t = templates();
        match self {
            Stage::Ready => t.ready.clone(),
            Stage::Back => t.back.clone(),
            Stage::BackOpen { open } => fill(&t.back_open, &[("open", open)]),
            Stage::Skipped => t.skipped.clone(),
            Stage::End => t.end.clone(),
            Stage::Hint { line } => fill(&t.hint, &[("line", line)]),
            Stage::Speak => t.speak.clone(),
        }
    }

    /// The stage direction a candidate message holds, if it is one.
    pub fn parse(text: &str) -> Option<Stage> {
        let t = templates();
        let text = text.trim();
        let fixed = [
            (&t.ready, Stage::Ready),
            (&t.back, Stage::Back),
            (&t.skipped, Stage::Skipped),
            (&t.end, Stage::End),
            (&t.speak, Stage::Speak),
        ];
        if let Some((_, stage)) = fixed.into_iter().find(|(t, _)| t.as_str() == text) {
            return Some(stage);
        }
        if let Some(open) = slot(&t.back_open, "{open}", text) {
            return Some(Stage::BackOpen { open });
        }
        slot(&t.hint, "{line}", text).map(|line| Stage::Hint { line })
    }
}

/// The text standing in `template`'s one `placeholder`, when `text` is that template filled.
fn slot(template: &str, placeholder: &str, text: &str) -> Option<String> {
    let (before, after) = template.split_once(placeholder)?;
    let inner = text.strip_prefix(before)?.strip_suffix(after)?;
    Some(inner.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_reads_back_as_itself() {
        for stage in [
            Stage::Ready,
            Stage::Back,
            Stage::BackOpen {
                open: "Why scale by the square root of d?".into(),
            },
            Stage::Skipped,
            Stage::End,
            Stage::Hint {
                line: "Think about the softmax.".into(),
            },
            Stage::Speak,
        ] {
            assert_eq!(Stage::parse(&stage.render()), Some(stage));
        }
        assert_eq!(Stage::parse("It caches keys and values."), None);
    }
}
