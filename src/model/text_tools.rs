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
/// `native_tools()` stays `true`: the wrapper accepts tool specs in [`ChatRequest`] and returns
/// real [`ToolCall`]s, so the agent loop needs no special handling. The reply is not streamed
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

// ---------------------------------------------------------------------------------------------
// Rendering the conversation as text
// ---------------------------------------------------------------------------------------------

/// The tool block for the system prompt.
pub fn tools_prompt(tools: &[ToolSpec]) -> String {
    let list: Vec<String> = tools
        .iter()
        .map(|t| {
            format!(
                "- {}: {}\n  Arguments (JSON schema): {}",
                t.name,
                t.description.trim(),
                t.parameters
            )
        })
        .collect();
    PROMPT.replace("{tools}", &list.join("\n"))
}

/// The conversation without native tool messages: calls become `Action:` text, results become
/// user messages `Observation (NAME): ...` (consecutive results merged), and the tool block is
/// appended to the first system message when `tools` is not empty.
pub fn render_messages(messages: &[Message], tools: &[ToolSpec]) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::with_capacity(messages.len() + 1);
    let mut names: Vec<(String, String)> = Vec::new();
    let mut last_was_observation = false;
    for m in messages {
        match m.role {
            Role::Assistant if !m.tool_calls.is_empty() => {
                let mut parts: Vec<String> = m
                    .content
                    .iter()
                    .filter(|c| !c.trim().is_empty())
                    .cloned()
                    .collect();
                for c in &m.tool_calls {
                    names.push((c.id.clone(), c.name.clone()));
                    let args = if c.arguments.trim().is_empty() {
                        "{}"
                    } else {
                        c.arguments.trim()
                    };
                    parts.push(format!("Action: {}\nAction Input: {}", c.name, args));
                }
                out.push(Message::assistant(parts.join("\n")));
                last_was_observation = false;
            }
            Role::Tool => {
                let id = m.tool_call_id.as_deref().unwrap_or("");
                let name = names
                    .iter()
                    .rev()
                    .find(|(i, _)| i == id)
                    .map_or("tool", |(_, n)| n.as_str());
                let text = format!("Observation ({name}): {}", m.text());
                match out.last_mut() {
                    Some(prev) if last_was_observation => {
                        let merged = format!("{}\n\n{text}", prev.text());
                        prev.content = Some(merged);
                    }
                    _ => out.push(Message::user(text)),
                }
                last_was_observation = true;
            }
            _ => {
                out.push(Message {
                    tool_calls: Vec::new(),
                    tool_call_id: None,
                    ..m.clone()
                });
                last_was_observation = false;
            }
        }
    }
    if !tools.is_empty() {
        let block = tools_prompt(tools);
        match out.iter_mut().find(|m| m.role == Role::System) {
            Some(system) => {
                let text = format!("{}\n\n{block}", system.text().trim_end());
                system.content = Some(text);
            }
            None => out.insert(0, Message::system(block)),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Parsing replies
// ---------------------------------------------------------------------------------------------

/// Reads tool calls out of a reply: `Action:` / `Action Input:` pairs (text before the first
/// `Action:` is reasoning and dropped), or else a bare JSON object naming a tool
/// (`{"name","arguments"}`, `{"tool","args"|"parameters"}`, `{"function":{...}}`, also in
/// fences, `<tool_call>` tags or arrays). Only names in `tools` count. Invalid JSON arguments
/// are kept raw so the caller can report them. Anything else is the spoken reply.
pub fn parse_reply(text: &str, tools: &[ToolSpec]) -> ParsedReply {
    let known = |name: &str| -> Option<String> {
        let name = name.trim();
        tools
            .iter()
            .find(|t| t.name == name)
            .or_else(|| tools.iter().find(|t| t.name.eq_ignore_ascii_case(name)))
            .map(|t| t.name.clone())
    };
    if let Some(actions) = parse_actions(text) {
        let calls: Vec<ToolCall> = actions
            .into_iter()
            .filter_map(|(name, args)| {
                known(&name).map(|name| ToolCall {
                    id: String::new(),
                    name,
                    arguments: args,
                })
            })
            .collect();
        if !calls.is_empty() {
            return ParsedReply {
                spoken: None,
                calls: with_ids(calls),
            };
        }
        // Only unknown tools: what came before the first Action is all there is to say.
        let before = text
            .lines()
            .take_while(|l| action_name(l).is_none())
            .collect::<Vec<_>>()
            .join("\n");
        return ParsedReply {
            spoken: spoken_text(&before),
            calls: Vec::new(),
        };
    }
    if let Some((calls, rest)) = parse_bare_json(text, &known) {
        return ParsedReply {
            spoken: spoken_text(&rest),
            calls: with_ids(calls),
        };
    }
    // Small models often drop the closing braces of a JSON tool call.
    if let Some(repaired) = close_braces(text)
        && let Some((calls, rest)) = parse_bare_json(&repaired, &known)
    {
        return ParsedReply {
            spoken: spoken_text(&rest),
            calls: with_ids(calls),
        };
    }
    // A broken tool call is never read out to the candidate.
    if looks_like_tool_json(text) {
        return ParsedReply::default();
    }
    ParsedReply {
        spoken: spoken_text(text),
        calls: Vec::new(),
    }
}

/// `text` with the braces left open after its first `{` closed (at most three).
fn close_braces(text: &str) -> Option<String> {
    let start = text.find('{')?;
    let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
    for c in text[start..].chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_str => escaped = true,
            '"' => in_str = !in_str,
            '{' if !in_str => depth += 1,
            '}' if !in_str => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    (!in_str && (1..=3).contains(&depth))
        .then(|| format!("{}{}", text.trim_end(), "}".repeat(depth)))
}

/// Text that is data (a broken tool call, an echo of a tool result) rather than words.
fn looks_like_tool_json(text: &str) -> bool {
    let t = strip_tags(text);
    !t.is_empty() && super::speakable(&t).is_empty()
}

fn with_ids(calls: Vec<ToolCall>) -> Vec<ToolCall> {
    calls
        .into_iter()
        .enumerate()
        .map(|(i, c)| ToolCall {
            id: format!("call_{i}"),
            ..c
        })
        .collect()
}

/// Plain words for the candidate: trimmed, a `Final Answer:` label or leading `Thought:` removed.
fn spoken_text(text: &str) -> Option<String> {
    let cleaned = super::speakable(text);
    let mut t = cleaned.trim();
    if let Some(i) = find_ci(t, "final answer:") {
        t = t[i + "final answer:".len()..].trim();
    } else if starts_with_ci(t, "thought:") && t.lines().count() > 1 {
        // "Thought: ..." on the first line is reasoning; keep what follows.
        t = t.split_once('\n').map_or("", |(_, rest)| rest).trim();
    }
    (!t.is_empty()).then(|| t.to_string())
}

fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack.to_ascii_lowercase().find(needle)
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Strips markdown emphasis and list markers from the start of a line.
fn strip_line_marks(line: &str) -> &str {
    line.trim()
        .trim_start_matches(['*', '_', '-', '>', '#', ' '])
}

/// The tool name of an `Action:` line (not `Action Input:`).
fn action_name(line: &str) -> Option<String> {
    let l = strip_line_marks(line);
    if !starts_with_ci(l, "action")
        || starts_with_ci(l, "action input")
        || starts_with_ci(l, "action_input")
    {
        return None;
    }
    let rest = l["action".len()..]
        .trim_start_matches(['*', '_'])
        .trim_start();
    let rest = rest
        .strip_prefix(':')?
        .trim_start_matches(['*', '_'])
        .trim();
    // "Action: name Action Input: {...}" on one line.
    let rest = match find_ci(rest, "action input") {
        Some(i) => rest[..i].trim(),
        None => rest,
    };
    let name = rest.trim_matches(|c: char| {
        c == '`' || c == '"' || c == '\'' || c == '*' || c == '.' || c.is_whitespace()
    });
    let name = name.split(['(', ' ']).next().unwrap_or("");
    (!name.is_empty()).then(|| name.to_string())
}

/// The text after `Action Input:` on a line, if the line has it.
fn action_input_start(line: &str) -> Option<&str> {
    let i = find_ci(line, "action input").or_else(|| find_ci(line, "action_input"))?;
    let rest = line[i + "action input".len()..]
        .trim_start_matches(['*', '_'])
        .trim_start();
    Some(
        rest.strip_prefix(':')
            .unwrap_or(rest)
            .trim_start_matches(['*', '_'])
            .trim(),
    )
}

/// `(name, arguments)` of every `Action:` block, or `None` when there is no `Action:` line.
fn parse_actions(text: &str) -> Option<Vec<(String, String)>> {
    let lines: Vec<&str> = text.lines().collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| action_name(lines[i]).is_some())
        .collect();
    if starts.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(lines.len());
        let name = action_name(lines[start]).unwrap_or_default();
        let mut input: Option<String> = None;
        for (j, line) in lines.iter().enumerate().take(end).skip(start) {
            if let Some(first) = action_input_start(line) {
                let mut block = vec![first];
                for more in &lines[j + 1..end] {
                    let m = strip_line_marks(more);
                    if starts_with_ci(m, "observation") || starts_with_ci(m, "thought:") {
                        break;
                    }
                    block.push(more);
                }
                input = Some(block.join("\n"));
                break;
            }
        }
        out.push((name, arguments_text(input.as_deref().unwrap_or(""))));
    }
    Some(out)
}

/// Normalises an `Action Input`: the first JSON value found (fences removed), compact; the raw
/// text when it is not valid JSON; `{}` when empty.
fn arguments_text(raw: &str) -> String {
    let unfenced = strip_fences(raw);
    let t = unfenced.trim();
    if t.is_empty() {
        return "{}".to_string();
    }
    if let Ok(v) = serde_json::from_str::<Value>(t) {
        return v.to_string();
    }
    if let Some((start, end)) = first_json_object(t)
        && let Ok(v) = serde_json::from_str::<Value>(&t[start..end])
    {
        return v.to_string();
    }
    t.to_string()
}

/// The content of the first ``` fence, or the text unchanged.
fn strip_fences(text: &str) -> String {
    let Some(open) = text.find("```") else {
        return text.to_string();
    };
    let after = &text[open + 3..];
    // Skip a language tag such as ```json.
    let body_start = after.find('\n').map_or(0, |i| i + 1);
    let tag = &after[..body_start];
    let body = if tag.trim().chars().all(|c| c.is_ascii_alphanumeric()) {
        &after[body_start..]
    } else {
        after
    };
    match body.find("```") {
        Some(close) => body[..close].to_string(),
        None => body.to_string(),
    }
}

/// Byte range of the first balanced `{...}` (strings and escapes respected).
fn first_json_object(text: &str) -> Option<(usize, usize)> {
    json_spans(text).into_iter().next()
}

/// Byte ranges of the top-level balanced `{...}` / `[...]` spans.
fn json_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if (bytes[i] == b'{' || bytes[i] == b'[')
            && let Some(end) = balanced_end(bytes, i)
        {
            spans.push((i, end));
            i = end;
            continue;
        }
        i += 1;
    }
    spans
}

fn balanced_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (k, &b) in bytes.iter().enumerate().skip(start) {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(k + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Tool calls from a JSON object (or array of them) in the text, plus the text around it.
fn parse_bare_json(
    text: &str,
    known: &dyn Fn(&str) -> Option<String>,
) -> Option<(Vec<ToolCall>, String)> {
    let mut calls: Vec<ToolCall> = Vec::new();
    let mut rest = String::new();
    let mut last = 0;
    for (start, end) in json_spans(text) {
        let Ok(value) = serde_json::from_str::<Value>(&text[start..end]) else {
            continue;
        };
        let items: Vec<&Value> = match &value {
            Value::Array(items) => items.iter().collect(),
            Value::Object(o) => match o.get("tool_calls").and_then(Value::as_array) {
                Some(items) => items.iter().collect(),
                None => vec![&value],
            },
            _ => continue,
        };
        let found: Vec<ToolCall> = items
            .into_iter()
            .filter_map(json_call)
            .filter_map(|(name, args)| {
                known(&name).map(|name| ToolCall {
                    id: String::new(),
                    name,
                    arguments: args,
                })
            })
            .collect();
        if found.is_empty() {
            continue;
        }
        // Every tool-call object is taken out of the words; a model that repeats the same call
        // over and over gets it run once, and at most a few calls per reply.
        rest.push_str(&text[last..start]);
        rest.push('\n');
        last = end;
        for call in found {
            let repeat = calls
                .iter()
                .any(|c| c.name == call.name && c.arguments == call.arguments);
            if !repeat && calls.len() < MAX_TEXT_CALLS {
                calls.push(call);
            }
        }
    }
    if calls.is_empty() {
        return None;
    }
    let tail = &text[last..];
    // A call cut off at the end of the reply (the token limit) is not words either.
    if !looks_like_tool_json(tail) {
        rest.push_str(tail);
    }
    Some((calls, strip_tags(&rest)))
}

/// Tool calls taken from one text reply at most.
const MAX_TEXT_CALLS: usize = 4;

/// Removes `<tool_call>` tags and empty code fences left around an extracted JSON object.
fn strip_tags(text: &str) -> String {
    let mut t = text.replace("<tool_call>", "").replace("</tool_call>", "");
    for fence in ["```json", "```JSON", "```"] {
        t = t.replace(fence, "");
    }
    t.trim().to_string()
}

/// `(name, arguments)` of one JSON call object in any of the accepted shapes.
fn json_call(v: &Value) -> Option<(String, String)> {
    let obj = v.as_object()?;
    if let Some(f) = obj.get("function").filter(|f| f.is_object()) {
        return json_call(f);
    }
    // `{"end_interview": {"reason": "..."}}`: the tool's name as the only key.
    if obj.len() == 1
        && let Some((name, args)) = obj.iter().next().filter(|(_, v)| v.is_object())
    {
        return Some((name.clone(), args.to_string()));
    }
    let name = ["name", "tool", "tool_name", "action"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(Value::as_str))?
        .to_string();
    let args = ["arguments", "args", "parameters", "input", "action_input"]
        .iter()
        .find_map(|k| obj.get(*k));
    let args = match args {
        None | Some(Value::Null) => "{}".to_string(),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.is_empty() {
                "{}".to_string()
            } else {
                s.to_string()
            }
        }
        Some(other) => other.to_string(),
    };
    Some((name, args))
}

#[cfg(test)]
mod repair_tests {
    use super::*;
    use serde_json::json;

    fn tools() -> Vec<ToolSpec> {
        ["pick_question", "score_answer"]
            .iter()
            .map(|n| ToolSpec {
                name: n.to_string(),
                description: String::new(),
                parameters: json!({"type": "object"}),
            })
            .collect()
    }

    #[test]
    fn a_tool_call_missing_its_closing_brace_is_repaired() {
        let r = parse_reply(
            r#"{"name": "pick_question", "arguments": {"domain": "inference"}"#,
            &tools(),
        );
        assert_eq!(r.calls.len(), 1, "{r:?}");
        assert_eq!(r.calls[0].name, "pick_question");
        assert_eq!(r.spoken, None);
    }

    #[test]
    fn repeated_calls_run_once_and_no_json_is_spoken() {
        let text = concat!(
            "{\"name\": \"pick_question\", \"arguments\": {}}\n",
            "{\"name\": \"score_answer\", \"arguments\": {\"question_id\": \"rope\"}}\n",
            "{\"name\": \"score_answer\", \"arguments\": {\"question_id\": \"rope\"}}\n",
            "{\"name\": \"sc"
        );
        let r = parse_reply(text, &tools());
        let names: Vec<&str> = r.calls.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["pick_question", "score_answer"]);
        assert_eq!(r.spoken, None, "{r:?}");
    }

    #[test]
    fn a_tool_name_as_the_only_key_is_a_call() {
        let r = parse_reply(r#"{"pick_question": {"domain": "inference"}}"#, &tools());
        assert_eq!(r.calls.len(), 1);
        assert_eq!(r.calls[0].arguments, r#"{"domain":"inference"}"#);
        assert!(parse_reply(r#"{"weight": 2.5}"#, &tools()).calls.is_empty());
    }

    #[test]
    fn broken_tool_json_is_never_spoken() {
        let r = parse_reply(
            r#"{"name": "pick_question", "arguments": {"question_id": "x"#,
            &tools(),
        );
        assert_eq!(r, ParsedReply::default());
        let plain = parse_reply("What is a KV cache?", &tools());
        assert_eq!(plain.spoken.as_deref(), Some("What is a KV cache?"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tools() -> Vec<ToolSpec> {
        ["ask_question", "record_score"]
            .iter()
            .map(|n| ToolSpec {
                name: n.to_string(),
                description: format!("{n} tool"),
                parameters: json!({"type": "object"}),
            })
            .collect()
    }

    #[test]
    fn action_with_fenced_input_drops_reasoning() {
        let text = "Thought: the candidate skipped RoPE.\nAction: ask_question\nAction Input: ```json\n{\"question_id\": \"rope\"}\n```";
        let r = parse_reply(text, &tools());
        assert_eq!(r.spoken, None);
        assert_eq!(r.calls.len(), 1);
        assert_eq!(r.calls[0].name, "ask_question");
        assert_eq!(r.calls[0].arguments, r#"{"question_id":"rope"}"#);
        assert_eq!(r.calls[0].id, "call_0");
    }

    #[test]
    fn several_actions_and_markdown() {
        let text = "**Action:** record_score\n**Action Input:** {\"score\": 3}\nAction: `ask_question`\nAction Input: {\"question_id\": \"dpo\"}\nObservation: (invented)";
        let r = parse_reply(text, &tools());
        let names: Vec<&str> = r.calls.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["record_score", "ask_question"]);
        assert_eq!(r.calls[1].arguments, r#"{"question_id":"dpo"}"#);
        assert_eq!(r.calls[1].id, "call_1");
    }

    #[test]
    fn multi_line_json_input() {
        let text = "Action: ask_question\nAction Input: {\n  \"question_id\": \"kv-cache\"\n}";
        let r = parse_reply(text, &tools());
        assert_eq!(r.calls[0].arguments, r#"{"question_id":"kv-cache"}"#);
    }

    #[test]
    fn invalid_json_kept_raw_and_missing_input_is_empty_object() {
        let r = parse_reply(
            "Action: ask_question\nAction Input: {question_id: rope",
            &tools(),
        );
        assert_eq!(r.calls[0].arguments, "{question_id: rope");
        let r = parse_reply("Action: record_score", &tools());
        assert_eq!(r.calls[0].arguments, "{}");
    }

    #[test]
    fn unknown_names_ignored() {
        let r = parse_reply(
            "Let me search.\nAction: web_search\nAction Input: {\"q\": \"x\"}",
            &tools(),
        );
        assert!(r.calls.is_empty());
        assert_eq!(r.spoken.as_deref(), Some("Let me search."));
        let r = parse_reply(r#"{"name": "web_search", "arguments": {}}"#, &tools());
        assert!(r.calls.is_empty());
    }

    #[test]
    fn bare_json_shapes() {
        let t = tools();
        let cases = [
            r#"{"name": "ask_question", "arguments": {"question_id": "rope"}}"#,
            r#"{"tool": "ask_question", "args": {"question_id": "rope"}}"#,
            r#"{"tool": "ask_question", "parameters": {"question_id": "rope"}}"#,
            r#"{"type": "function", "function": {"name": "ask_question", "arguments": "{\"question_id\": \"rope\"}"}}"#,
            "```json\n{\"name\": \"ask_question\", \"arguments\": {\"question_id\": \"rope\"}}\n```",
            "<tool_call>\n{\"name\": \"ask_question\", \"arguments\": {\"question_id\": \"rope\"}}\n</tool_call>",
        ];
        for case in cases {
            let r = parse_reply(case, &t);
            assert_eq!(r.calls.len(), 1, "{case}");
            assert_eq!(r.calls[0].name, "ask_question");
            let args: Value = serde_json::from_str(&r.calls[0].arguments).expect("valid JSON");
            assert_eq!(args, json!({"question_id": "rope"}), "{case}");
            assert_eq!(r.spoken, None, "{case}");
        }
    }

    #[test]
    fn bare_json_array_and_surrounding_words() {
        let text = r#"Good. [{"name": "record_score", "arguments": {"score": 2}}, {"name": "ask_question", "arguments": {}}]"#;
        let r = parse_reply(text, &tools());
        assert_eq!(r.calls.len(), 2);
        assert_eq!(r.spoken.as_deref(), Some("Good."));
    }

    #[test]
    fn plain_text_is_spoken_and_non_tool_json_is_not() {
        let r = parse_reply("  Why does RoPE extrapolate poorly?  ", &tools());
        assert_eq!(
            r.spoken.as_deref(),
            Some("Why does RoPE extrapolate poorly?")
        );
        assert!(r.calls.is_empty());
        // JSON that is not a tool call is not words for the candidate either.
        let r = parse_reply(r#"{"score": 3, "missed": []}"#, &tools());
        assert!(r.calls.is_empty());
        assert!(r.spoken.is_none());
        let r = parse_reply(
            "Thought: easy one.\nFinal Answer: Tell me about DPO.",
            &tools(),
        );
        assert_eq!(r.spoken.as_deref(), Some("Tell me about DPO."));
    }

    #[test]
    fn rendering_turns_tool_history_into_text() {
        let calls = vec![
            ToolCall {
                id: "a".into(),
                name: "record_score".into(),
                arguments: r#"{"score":2}"#.into(),
            },
            ToolCall {
                id: "b".into(),
                name: "ask_question".into(),
                arguments: String::new(),
            },
        ];
        let msgs = vec![
            Message::system("You interview."),
            Message::user("hi"),
            Message::assistant_calls(Some("Noted.".into()), calls),
            Message::tool("a", "saved"),
            Message::tool("b", "What is DPO?"),
        ];
        let out = render_messages(&msgs, &tools());
        assert_eq!(out.len(), 4);
        assert!(out[0].text().starts_with("You interview."));
        assert!(out[0].text().contains("- ask_question: ask_question tool"));
        assert!(!out[0].text().contains("{tools}"));
        assert_eq!(
            out[2].text(),
            "Noted.\nAction: record_score\nAction Input: {\"score\":2}\nAction: ask_question\nAction Input: {}"
        );
        assert!(out[2].tool_calls.is_empty());
        assert_eq!(out[3].role, Role::User);
        assert_eq!(
            out[3].text(),
            "Observation (record_score): saved\n\nObservation (ask_question): What is DPO?"
        );
        assert!(
            out.iter()
                .all(|m| m.role != Role::Tool && m.tool_call_id.is_none())
        );
    }

    #[test]
    fn sniffing_sink_holds_toolish_text_only() {
        let mut seen = String::new();
        {
            let mut out = |t: &str| seen.push_str(t);
            let mut s = SniffingSink::new(&mut out);
            s.push(" Hel");
            s.push("lo");
            assert!(!s.held());
        }
        assert_eq!(seen, " Hello");
        let mut seen = String::new();
        {
            let mut out = |t: &str| seen.push_str(t);
            let mut s = SniffingSink::new(&mut out);
            s.push("Act");
            s.push("ion: x");
            assert!(s.held());
        }
        assert_eq!(seen, "");
    }
}
