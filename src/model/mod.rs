//! Chat model backends: the narrow [`ChatModel`] trait the agent loop talks to, an
//! OpenAI-compatible implementation ([`openai`]) and the text-tool protocol ([`text_tools`]).

pub mod openai;
pub mod schema;
pub mod text_tools;

pub use schema::schema_for;

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Opens the interview-state block the agent puts at the head of the newest candidate message (after
/// the stable system prompt and history, so servers can reuse their cached prompt prefix).
pub const STATE_OPEN: &str = "[Interview state, kept up to date for you]";
/// Closes it; the candidate's own words follow.
pub const STATE_CLOSE: &str = "[End of interview state]";

/// Split a message's text into its state block (if any) and the words after it.
pub fn split_state(text: &str) -> (Option<&str>, &str) {
    match (text.strip_prefix(STATE_OPEN), text.find(STATE_CLOSE)) {
        (Some(_), Some(end)) => (
            Some(text[STATE_OPEN.len()..end].trim()),
            text[end + STATE_CLOSE.len()..].trim_start(),
        ),
        _ => (None, text),
    }
}

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

/// A tool call requested by the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// The raw JSON argument text, as the model produced it (may be invalid).
    pub arguments: String,
}

/// One chat message, in the shape every OpenAI-compatible server understands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Tool calls of an assistant message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// The call a tool message answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    pub fn system(text: impl Into<String>) -> Self {
        Self {
            role: Role::System,
            content: Some(text.into()),
            tool_calls: vec![],
            tool_call_id: None,
        }
    }
    pub fn user(text: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: Some(text.into()),
            tool_calls: vec![],
            tool_call_id: None,
        }
    }
    pub fn assistant(text: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: Some(text.into()),
            tool_calls: vec![],
            tool_call_id: None,
        }
    }
    pub fn assistant_calls(content: Option<String>, calls: Vec<ToolCall>) -> Self {
        Self {
            role: Role::Assistant,
            content,
            tool_calls: calls,
            tool_call_id: None,
        }
    }
    pub fn tool(call_id: impl Into<String>, result: impl Into<String>) -> Self {
        Self {
            role: Role::Tool,
            content: Some(result.into()),
            tool_calls: vec![],
            tool_call_id: Some(call_id.into()),
        }
    }
    pub fn text(&self) -> &str {
        self.content.as_deref().unwrap_or("")
    }
}

/// A tool the model may call: name, description and a JSON schema for its arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub parameters: serde_json::Value,
}

/// Ask for output matching a JSON schema (OpenAI `response_format: json_schema`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseFormat {
    pub name: String,
    pub schema: serde_json::Value,
}

/// One request to a chat model.
#[derive(Debug, Clone, Copy)]
pub struct ChatRequest<'a> {
    pub messages: &'a [Message],
    /// Empty when the model should not call tools (or tools travel in the prompt, text mode).
    pub tools: &'a [ToolSpec],
    pub response_format: Option<&'a ResponseFormat>,
    /// Sampling temperature; `None` lets the server choose.
    pub temperature: Option<f32>,
    /// Cap on generated tokens (a small local model can otherwise ramble for minutes).
    pub max_tokens: Option<u32>,
    /// Ask for the log-probabilities of this many alternatives per generated token (`logprobs` and
    /// `top_logprobs`); servers that cannot give them answer without.
    pub top_logprobs: Option<u8>,
}

impl<'a> ChatRequest<'a> {
    pub fn new(messages: &'a [Message], tools: &'a [ToolSpec]) -> Self {
        Self {
            messages,
            tools,
            response_format: None,
            temperature: None,
            max_tokens: None,
            top_logprobs: None,
        }
    }
}

/// Token usage of one call, as the server reported it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    /// Prompt tokens the server served from its prompt cache (0 when it does not say).
    #[serde(default)]
    pub cached_prompt_tokens: u32,
}

/// What the model said in one call: text, tool calls, or both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AssistantTurn {
    pub content: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    /// `None` when the server did not report usage.
    pub usage: Option<Usage>,
    pub finish_reason: Option<String>,
    /// Per generated token, its most likely alternatives, when asked for and the server gave them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logprobs: Vec<TokenChoices>,
}

impl AssistantTurn {
    pub fn text(&self) -> &str {
        self.content.as_deref().unwrap_or("")
    }
}

/// One generated token and the alternatives the server considered there, with log-probabilities.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenChoices {
    pub token: String,
    pub logprob: f32,
    /// The most likely tokens at this position (the generated one among them), best first.
    pub top: Vec<(String, f32)>,
}

/// The words of a model reply that can be read out: lines that are JSON (tool calls written as
/// text, echoes of tool results) and tool-call tags are dropped. Spoken lines never look like data.
pub fn speakable(text: &str) -> String {
    text.lines()
        .map(str::trim_end)
        .filter(|l| {
            let t = l.trim();
            !(t.starts_with('{')
                || t.starts_with('[')
                || t.ends_with('}')
                || t.starts_with("<tool_call")
                || t.starts_with("</tool_call"))
        })
        .map(|l| {
            // A whole line in quotes is a quoted reply, not a quotation.
            let t = l.trim();
            match t.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
                Some(inner) if !inner.contains('"') => inner.to_string(),
                _ => l.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// What the interviewer said before the newest candidate message: the last non-empty assistant
/// text before the last user message (empty when there is none).
pub fn previous_reply(messages: &[Message]) -> &str {
    let turn = messages
        .iter()
        .rposition(|m| m.role == Role::User)
        .unwrap_or(0);
    messages[..turn]
        .iter()
        .rev()
        .filter(|m| m.role == Role::Assistant)
        .map(Message::text)
        .find(|t| !t.trim().is_empty())
        .unwrap_or("")
}

/// Receives the model's text as it streams in.
pub type TextSink<'a> = &'a mut (dyn FnMut(&str) + Send);

/// Every way a model call can fail, and how the agent loop treats it.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// 401/403: the key is missing, wrong or lacks access. Fatal: the user must fix configuration.
    #[error("the server rejected the API key ({status}): check OPENAI_API_KEY{detail}")]
    Auth { status: u16, detail: String },
    /// The account has no quota left. Fatal.
    #[error(
        "the account has no quota left (insufficient_quota): add credit or use another key/server{detail}"
    )]
    Quota { detail: String },
    /// 404 or a model-not-found error. Fatal: names the model so the user can fix `--model`.
    #[error(
        "the server does not know model \"{model}\": pass --model or set INTERVIEWER_MODEL{detail}"
    )]
    ModelNotFound { model: String, detail: String },
    /// The prompt exceeded the model's context window. The loop summarises and retries once.
    #[error("the request exceeded the model's context window{detail}")]
    ContextLength { detail: String },
    /// Any other 400: the request was malformed for this server. Fatal for the turn.
    #[error("the server rejected the request (400){detail}")]
    BadRequest { detail: String },
    /// 408/409/429/5xx after all retries. The turn fails; the interview and its state are kept.
    #[error("the server kept failing ({status}) after {attempts} attempts{detail}")]
    Unavailable {
        status: u16,
        attempts: u32,
        detail: String,
    },
    /// Rate limited after all retries.
    #[error("rate limited by the server after {attempts} attempts; wait a moment and try again")]
    RateLimited {
        attempts: u32,
        retry_after: Option<Duration>,
    },
    /// Connection refused / DNS / TLS: nothing answers at the base URL.
    #[error("cannot reach the model server at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    /// No (complete) answer within the request timeout, after retries.
    #[error("the model server did not answer within {0:?}")]
    Timeout(Duration),
    /// The server answered with something that is not a valid chat completion, or its stream was
    /// cut off after part of the answer was shown.
    #[error("the model server's answer could not be used: {0}")]
    Protocol(String),
    /// The user cancelled the call (Ctrl-C). The interview goes on.
    #[error("cancelled")]
    Cancelled,
}

impl ModelError {
    /// Errors that no retry or next turn can fix: the session should stop (after saving).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            ModelError::Auth { .. } | ModelError::Quota { .. } | ModelError::ModelNotFound { .. }
        )
    }
}

/// A chat model: messages and tool specs in, the assistant's turn out, text streamed to `on_text`.
#[async_trait::async_trait]
pub trait ChatModel: Send + Sync {
    /// A short label for transcripts (e.g. `gpt-4o-mini @ api.openai.com`, `offline`).
    fn name(&self) -> String;

    async fn complete(
        &self,
        req: ChatRequest<'_>,
        on_text: TextSink<'_>,
    ) -> Result<AssistantTurn, ModelError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_are_not_speakable() {
        let text = "Good answer.\n{\"number\":2,\"question_id\":\"rope\"}\n[1, 2]\nWhy does it extrapolate?\n<tool_call>";
        assert_eq!(speakable(text), "Good answer.\nWhy does it extrapolate?");
        assert_eq!(speakable("{\"name\": \"pick_question\""), "");
        assert_eq!(speakable("Attention costs O(n^2) {roughly}"), "");
        assert_eq!(speakable("Plain words."), "Plain words.");
        assert_eq!(speakable("\"Good to see you!\""), "Good to see you!");
        assert_eq!(speakable("He said \"hi\" twice."), "He said \"hi\" twice.");
    }

    #[test]
    fn messages_serialise_in_the_openai_shape_session_files_rely_on() {
        let m = Message::tool("call_1", "{}");
        let v = serde_json::to_value(&m).expect("serialise");
        assert_eq!(v["role"], "tool");
        assert_eq!(v["tool_call_id"], "call_1");
        let back: Message = serde_json::from_str(r#"{"role":"assistant","content":null,"tool_calls":[{"id":"c","name":"pick_question","arguments":"{}"}]}"#)
            .expect("deserialise");
        assert_eq!(back.role, Role::Assistant);
        assert_eq!(back.tool_calls[0].name, "pick_question");
    }
}
