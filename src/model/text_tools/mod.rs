//! Text-mode tool calling for models or servers without native `tools` support.
//!
//! [`TextToolModel`] describes the tools in the system prompt (`prompts/text_tools.md`), renders
//! earlier tool calls and results as plain text (`Action:` / `Observation (NAME):`), and parses
//! the reply back into [`ToolCall`]s with [`parse_reply`]. [`AutoToolModel`] starts with native
//! tools and switches to text mode for good when the server shows it cannot handle them.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde_json::Value;

use super::{
    AssistantTurn, ChatModel, ChatRequest, Message, ModelError, Role, TextSink, ToolCall, ToolSpec,
};

/// The tool-description block appended to the system message; `{tools}` is replaced.
const PROMPT: &str = crate::prompts::TEXT_TOOLS;

/// How tools reach the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ToolMode {
    /// Native tool calls, switching to text mode when the server cannot handle them.
    #[default]
    Auto,
    /// Native `tools` only.
    Native,
    /// Tools described in the prompt, calls parsed from the reply text.
    Text,
}

impl ToolMode {
    /// Wraps `model` for this mode.
    pub fn wrap<M: ChatModel + 'static>(self, model: M) -> Box<dyn ChatModel> {
        match self {
            ToolMode::Native => Box::new(model),
            ToolMode::Text => Box::new(TextToolModel::new(model)),
            ToolMode::Auto => Box::new(AutoToolModel::new(model)),
        }
    }
}

/// What a reply says: tool calls and/or words for the candidate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedReply {
    /// Text meant for the candidate (`None` when the reply only calls tools).
    pub spoken: Option<String>,
    /// Calls of known tools, ids `call_0`, `call_1`, ... in order of appearance.
    pub calls: Vec<ToolCall>,
}

/// Wraps a model so that tools travel in the prompt instead of the `tools` field.
///
/// The wrapper accepts tool specs in [`ChatRequest`] and returns real [`ToolCall`]s, so the agent
/// loop needs no special handling. The reply is not streamed
/// while it is generated (it may be an `Action:`); its spoken part goes to `on_text` at the end.
pub struct TextToolModel<M> {
    inner: M,
    ids: AtomicU64,
}

impl<M: ChatModel> TextToolModel<M> {
    pub fn new(inner: M) -> Self {
        Self {
            inner,
            ids: AtomicU64::new(0),
        }
    }

    /// The wrapped model.
    pub fn inner(&self) -> &M {
        &self.inner
    }
}

#[async_trait::async_trait]
impl<M: ChatModel> ChatModel for TextToolModel<M> {
    fn name(&self) -> String {
        format!("{} (text tools)", self.inner.name())
    }

    async fn complete(
        &self,
        req: ChatRequest<'_>,
        on_text: TextSink<'_>,
    ) -> Result<AssistantTurn, ModelError> {
        complete_in_text_mode(&self.inner, req, on_text, &self.ids).await
    }
}

/// Native tools first; text mode for good once the server rejects `tools` (a 400 mentioning
/// tools/functions) or answers with a tool call written as text.
pub struct AutoToolModel<M> {
    inner: M,
    text_mode: AtomicBool,
    ids: AtomicU64,
}

impl<M: ChatModel> AutoToolModel<M> {
    pub fn new(inner: M) -> Self {
        Self {
            inner,
            text_mode: AtomicBool::new(false),
            ids: AtomicU64::new(0),
        }
    }

    /// Whether the wrapper has switched to text mode.
    pub fn is_text_mode(&self) -> bool {
        self.text_mode.load(Ordering::Relaxed)
    }

    fn switch_to_text(&self, why: &str) {
        if !self.text_mode.swap(true, Ordering::Relaxed) {
            tracing::warn!(model = %self.inner.name(), reason = why, "switching to text-mode tool calls");
        }
    }
}

#[async_trait::async_trait]
impl<M: ChatModel> ChatModel for AutoToolModel<M> {
    fn name(&self) -> String {
        if self.is_text_mode() {
            format!("{} (text tools)", self.inner.name())
        } else {
            self.inner.name()
        }
    }

    async fn complete(
        &self,
        req: ChatRequest<'_>,
        on_text: TextSink<'_>,
    ) -> Result<AssistantTurn, ModelError> {
        if self.is_text_mode() {
            return complete_in_text_mode(&self.inner, req, on_text, &self.ids).await;
        }
        if req.tools.is_empty() {
            return self.inner.complete(req, on_text).await;
        }
        let mut guard = SniffingSink::new(on_text);
        let result = {
            let mut sink = |t: &str| guard.push(t);
            self.inner.complete(req, &mut sink).await
        };
        match result {
            Err(ModelError::BadRequest { detail }) if mentions_tools(&detail) => {
                self.switch_to_text("the server rejected native tools");
                complete_in_text_mode(&self.inner, req, guard.into_inner(), &self.ids).await
            }
            Err(e) => Err(e),
            Ok(turn) if !turn.tool_calls.is_empty() => Ok(turn),
            Ok(mut turn) => {
                let parsed = parse_reply(turn.text(), req.tools);
                if parsed.calls.is_empty() {
                    if parsed.spoken.is_none() && guard.held() {
                        // A broken tool call: never shown; the loop treats the turn as empty.
                        turn.content = None;
                        return Ok(turn);
                    }
                    guard.flush_held();
                    return Ok(turn);
                }
                // A tool call written as text: take it as a call this time, and stay native (one
                // slip is not a reason to give up the server's tool support).
                if guard.held()
                    && let Some(spoken) = &parsed.spoken
                {
                    guard.into_inner()(spoken);
                }
                turn.tool_calls = number_calls(parsed.calls, &self.ids);
                turn.content = parsed.spoken;
                turn.finish_reason = Some("tool_calls".to_string());
                Ok(turn)
            }
        }
    }
}

/// A 400 detail that blames tools, functions or tool_choice.
fn mentions_tools(detail: &str) -> bool {
    let lower = detail.to_lowercase();
    lower.contains("tool") || lower.contains("function")
}

/// One text-mode call: render, ask without `tools`, parse.
async fn complete_in_text_mode<M: ChatModel + ?Sized>(
    inner: &M,
    req: ChatRequest<'_>,
    on_text: TextSink<'_>,
    ids: &AtomicU64,
) -> Result<AssistantTurn, ModelError> {
    let messages = render_messages(req.messages, req.tools);
    let text_req = ChatRequest {
        messages: &messages,
        tools: &[],
        response_format: req.response_format,
        temperature: req.temperature,
        max_tokens: req.max_tokens,
        top_logprobs: req.top_logprobs,
    };
    if req.tools.is_empty() {
        return inner.complete(text_req, on_text).await;
    }
    let mut turn = inner.complete(text_req, &mut |_: &str| {}).await?;
    let parsed = parse_reply(turn.text(), req.tools);
    if let Some(spoken) = &parsed.spoken {
        on_text(spoken);
    }
    if !parsed.calls.is_empty() {
        turn.finish_reason = Some("tool_calls".to_string());
    }
    turn.tool_calls = number_calls(parsed.calls, ids);
    turn.content = parsed.spoken;
    Ok(turn)
}

/// Gives parsed calls ids unique for the wrapper's lifetime (`text_call_N`).
fn number_calls(calls: Vec<ToolCall>, ids: &AtomicU64) -> Vec<ToolCall> {
    calls
        .into_iter()
        .map(|c| ToolCall {
            id: format!("text_call_{}", ids.fetch_add(1, Ordering::Relaxed)),
            ..c
        })
        .collect()
}

/// Passes text through unless its start looks like a tool call written as text; such text is
/// held back until the caller knows what it was.
struct SniffingSink<'a, 'b> {
    out: &'a mut (dyn FnMut(&str) + Send + 'b),
    buffer: String,
    state: Sniff,
}

#[derive(PartialEq)]
enum Sniff {
    Undecided,
    Pass,
    Hold,
}

const TOOLISH_STARTS: [&str; 6] = ["{", "[", "```", "action", "thought", "<tool_call"];

impl<'a, 'b> SniffingSink<'a, 'b> {
    fn new(out: &'a mut (dyn FnMut(&str) + Send + 'b)) -> Self {
        Self {
            out,
            buffer: String::new(),
            state: Sniff::Undecided,
        }
    }

    fn push(&mut self, text: &str) {
        match self.state {
            Sniff::Pass => (self.out)(text),
            Sniff::Hold => self.buffer.push_str(text),
            Sniff::Undecided => {
                self.buffer.push_str(text);
                let head = self.buffer.trim_start().to_lowercase();
                if head.is_empty() {
                    return;
                }
                if TOOLISH_STARTS.iter().any(|p| head.starts_with(p)) {
                    self.state = Sniff::Hold;
                } else if !TOOLISH_STARTS.iter().any(|p| p.starts_with(head.as_str())) {
                    self.state = Sniff::Pass;
                    let held = std::mem::take(&mut self.buffer);
                    (self.out)(&held);
                }
            }
        }
    }

    fn held(&self) -> bool {
        self.state != Sniff::Pass
    }

    /// Emits held-back text (it turned out not to be a tool call).
    fn flush_held(&mut self) {
        if self.state != Sniff::Pass && !self.buffer.is_empty() {
            let held = std::mem::take(&mut self.buffer);
            (self.out)(&held);
        }
        self.state = Sniff::Pass;
    }

    fn into_inner(self) -> &'a mut (dyn FnMut(&str) + Send + 'b) {
        self.out
    }
}

mod parse;
mod render;

pub use parse::parse_reply;
pub use render::{render_messages, tools_prompt};

#[cfg(test)]
mod tests;
