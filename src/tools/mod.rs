//! The agent's tools: each one a [`Tool`] with typed, schema-described arguments, acting on the
//! explicit [`InterviewState`]. The [`ToolRegistry`] turns them into OpenAI tool specs and runs
//! the model's raw calls, turning every failure into an error the model can read and correct.

mod end_interview;
mod lookup_rubric;
mod pick_question;
mod say;
mod score_answer;

pub use crate::model::schema_for;
pub use crate::scoring::reconcile::Grader;
pub use crate::strings::preview;
pub use end_interview::{EndInterview, Ended};
pub use lookup_rubric::{LookupRubric, RubricView};
pub use pick_question::{PickArgs, PickQuestion, PickedQuestion};
pub use say::{Say, SayArgs, SayKind};
pub use score_answer::{ScoreAnswer, ScoreReport, score_latest};

use crate::bank::Bank;
use crate::model::ToolSpec;
use crate::state::InterviewState;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// What a tool may touch while it runs.
pub struct ToolContext<'a> {
    pub bank: &'a Bank,
    pub state: &'a mut InterviewState,
    /// The LLM judge and its weight, when scoring uses one.
    pub judge: Option<&'a Grader>,
}

/// A failed tool call. Every variant is reported back to the model as a tool result so it can
/// correct itself; none of them ends the interview.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ToolError {
    #[error("arguments are not valid JSON ({reason}); got: {preview}")]
    InvalidJson { reason: String, preview: String },
    #[error("arguments must be a JSON object, got {0}")]
    NotAnObject(&'static str),
    #[error("arguments do not match the schema: {0}")]
    Schema(String),
    #[error("unknown tool \"{name}\"; valid tools: {valid}")]
    UnknownTool { name: String, valid: String },
    #[error("unknown question id \"{id}\"{suggestion}")]
    UnknownQuestion { id: String, suggestion: String },
    /// The call is well-formed but not allowed now (e.g. nothing left to ask).
    #[error("{0}")]
    Rejected(String),
}

impl ToolError {
    pub fn unknown_question(bank: &Bank, id: &str) -> Self {
        let close = bank.close_ids(id);
        let suggestion = if close.is_empty() {
            String::new()
        } else {
            format!("; did you mean: {}", close.join(", "))
        };
        ToolError::UnknownQuestion {
            id: id.to_string(),
            suggestion,
        }
    }
}

/// What a tool call did, typed until it is written into the tool message for the model.
#[derive(Debug)]
pub enum ToolOutcome {
    Picked(PickedQuestion),
    Rubric(RubricView),
    Scored(Box<ScoreReport>),
    Ended(Ended),
    /// The interviewer's line (`say`): the turn's last word, checked by the loop.
    Said(SayArgs),
}

impl ToolOutcome {
    /// The tool message the model reads.
    pub fn to_json(&self) -> String {
        let value = match self {
            ToolOutcome::Picked(o) => serde_json::to_string(o),
            ToolOutcome::Rubric(o) => serde_json::to_string(o),
            ToolOutcome::Scored(o) => serde_json::to_string(o),
            ToolOutcome::Ended(o) => serde_json::to_string(o),
            ToolOutcome::Said(o) => serde_json::to_string(o),
        };
        value.unwrap_or_else(|e| {
            serde_json::json!({ "error": format!("internal error encoding the result: {e}") })
                .to_string()
        })
    }

    /// A tool message read back as a model reads it: the named tool's typed outcome, or the error
    /// it reported. `None` when the text is neither (another tool's, or not JSON).
    pub fn read(tool: &str, text: &str) -> Option<Result<ToolOutcome, String>> {
        #[derive(serde::Deserialize)]
        struct Failed {
            error: String,
        }
        if let Ok(Failed { error }) = serde_json::from_str(text) {
            return Some(Err(error));
        }
        let outcome = match tool {
            PickQuestion::NAME => serde_json::from_str(text).ok().map(ToolOutcome::Picked),
            LookupRubric::NAME => serde_json::from_str(text).ok().map(ToolOutcome::Rubric),
            ScoreAnswer::NAME => serde_json::from_str(text)
                .ok()
                .map(|r| ToolOutcome::Scored(Box::new(r))),
            EndInterview::NAME => serde_json::from_str(text).ok().map(ToolOutcome::Ended),
            Say::NAME => serde_json::from_str(text).ok().map(ToolOutcome::Said),
            _ => None,
        };
        outcome.map(Ok)
    }

    /// The interview moved: a question was picked or the interview ended.
    pub fn moved(&self) -> bool {
        matches!(self, ToolOutcome::Picked(_) | ToolOutcome::Ended(_))
    }
}

impl From<PickedQuestion> for ToolOutcome {
    fn from(o: PickedQuestion) -> Self {
        ToolOutcome::Picked(o)
    }
}
impl From<RubricView> for ToolOutcome {
    fn from(o: RubricView) -> Self {
        ToolOutcome::Rubric(o)
    }
}
impl From<ScoreReport> for ToolOutcome {
    fn from(o: ScoreReport) -> Self {
        ToolOutcome::Scored(Box::new(o))
    }
}
impl From<Ended> for ToolOutcome {
    fn from(o: Ended) -> Self {
        ToolOutcome::Ended(o)
    }
}
impl From<SayArgs> for ToolOutcome {
    fn from(o: SayArgs) -> Self {
        ToolOutcome::Said(o)
    }
}

/// An agent tool with typed arguments and output.
#[async_trait::async_trait]
pub trait Tool: Send + Sync {
    /// The name the model calls it by.
    const NAME: &'static str;
    type Args: DeserializeOwned + JsonSchema + Send;
    type Output: Serialize + Into<ToolOutcome>;

    async fn call(
        &self,
        args: Self::Args,
        ctx: &mut ToolContext<'_>,
    ) -> Result<Self::Output, ToolError>;
}

/// Object-safe face of [`Tool`], used by the registry.
#[async_trait::async_trait]
trait ErasedTool: Send + Sync {
    fn name(&self) -> &'static str;
    fn parameters(&self) -> Value;
    async fn call_typed(
        &self,
        args: Value,
        ctx: &mut ToolContext<'_>,
    ) -> Result<ToolOutcome, ToolError>;
}

#[async_trait::async_trait]
impl<T: Tool> ErasedTool for T {
    fn name(&self) -> &'static str {
        T::NAME
    }

    fn parameters(&self) -> Value {
        schema_for::<T::Args>()
    }

    async fn call_typed(
        &self,
        args: Value,
        ctx: &mut ToolContext<'_>,
    ) -> Result<ToolOutcome, ToolError> {
        let args: T::Args =
            serde_json::from_value(args).map_err(|e| ToolError::Schema(e.to_string()))?;
        Ok(self.call(args, ctx).await?.into())
    }
}

/// Tool descriptions, kept as data in `prompts/tools.toml`.
fn descriptions() -> &'static BTreeMap<String, String> {
    static DESCRIPTIONS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    DESCRIPTIONS.get_or_init(|| {
        #[derive(serde::Deserialize)]
        struct Entry {
            description: String,
        }
        let parsed: BTreeMap<String, Entry> =
            toml::from_str(crate::prompts::TOOLS).unwrap_or_default();
        parsed
            .into_iter()
            .map(|(k, v)| (k, v.description.trim().to_string()))
            .collect()
    })
}

/// The tools of the interviewer agent, by name.
pub struct ToolRegistry {
    tools: Vec<Box<dyn ErasedTool>>,
}

impl Default for ToolRegistry {
    fn default() -> Self {
        Self::interviewer()
    }
}

impl ToolRegistry {
    /// The interviewer's tools: four that act on the interview, and `say`, its line.
    pub fn interviewer() -> Self {
        Self {
            tools: vec![
                Box::new(PickQuestion),
                Box::new(LookupRubric),
                Box::new(ScoreAnswer),
                Box::new(EndInterview),
                Box::new(Say),
            ],
        }
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.tools.iter().map(|t| t.name()).collect()
    }

    /// OpenAI tool specs, with schemars-generated parameter schemas.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools
            .iter()
            .map(|t| ToolSpec {
                name: t.name().to_string(),
                description: descriptions().get(t.name()).cloned().unwrap_or_default(),
                parameters: t.parameters(),
            })
            .collect()
    }

    /// Run one raw tool call (name + the model's argument text).
    pub async fn call(
        &self,
        name: &str,
        raw_args: &str,
        ctx: &mut ToolContext<'_>,
    ) -> Result<ToolOutcome, ToolError> {
        let tool = self
            .tools
            .iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| ToolError::UnknownTool {
                name: preview(name, 60),
                valid: self.names().join(", "),
            })?;
        let args = parse_arguments(raw_args)?;
        tool.call_typed(args, ctx).await
    }
}

/// Parse a model's argument text: empty means `{}`; anything else must be a JSON object.
pub fn parse_arguments(raw: &str) -> Result<Value, ToolError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    let value: Value = serde_json::from_str(trimmed).map_err(|e| ToolError::InvalidJson {
        reason: e.to_string(),
        preview: preview(trimmed, 80),
    })?;
    // Some models double-encode: a JSON string holding the object.
    let value = match value {
        Value::String(inner) => serde_json::from_str(&inner).unwrap_or(Value::String(inner)),
        other => other,
    };
    match value {
        Value::Object(_) => Ok(value),
        Value::Null => Ok(Value::Object(Default::default())),
        Value::Array(_) => Err(ToolError::NotAnObject("an array")),
        Value::String(_) => Err(ToolError::NotAnObject("a string")),
        Value::Number(_) => Err(ToolError::NotAnObject("a number")),
        Value::Bool(_) => Err(ToolError::NotAnObject("a boolean")),
    }
}
