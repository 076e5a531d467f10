//! A scripted OpenAI-compatible server for integration tests (wiremock), response builders,
//! request capture and a checker for the tool-call protocol.
//!
//! Typical use:
//! ```ignore
//! let server = ScriptedServer::start(Script::new(vec![sse_tool_call("c1", "ask", &["{}"]), sse_text(&["Hi"])])).await;
//! let model = OpenAiModel::new(fast_config(&server.base_url(), true)).unwrap();
//! // ... drive the model or the agent loop ...
//! assert_tool_protocol(&server.requests().await);
//! ```
#![allow(dead_code)]

pub mod cli;
pub mod wiring;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use interviewer::model::openai::OpenAiConfig;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The path every scripted response is mounted on.
pub const COMPLETIONS_PATH: &str = "/v1/chat/completions";
/// The model name the helpers put in configs.
pub const TEST_MODEL: &str = "test-model";

// ---------------------------------------------------------------------------------------------
// Stream chunks
// ---------------------------------------------------------------------------------------------

/// A `chat.completion.chunk` with one choice carrying `delta`.
pub fn chunk(delta: Value) -> Value {
    json!({
        "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": TEST_MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": null}]
    })
}

/// The usual first chunk: `{"role": "assistant"}`.
pub fn role_chunk() -> Value {
    chunk(json!({"role": "assistant", "content": ""}))
}

/// A text delta.
pub fn text_chunk(text: &str) -> Value {
    chunk(json!({"content": text}))
}

/// A tool-call delta for call `index`; `id`/`name` usually only in the first fragment.
pub fn tool_chunk(index: u32, id: Option<&str>, name: Option<&str>, arguments: &str) -> Value {
    let mut call = json!({"index": index, "function": {"arguments": arguments}});
    if let Some(id) = id {
        call["id"] = json!(id);
        call["type"] = json!("function");
    }
    if let Some(name) = name {
        call["function"]["name"] = json!(name);
    }
    chunk(json!({"tool_calls": [call]}))
}

/// The chunk closing the choice with `reason` (`stop`, `tool_calls`, ...).
pub fn finish_chunk(reason: &str) -> Value {
    json!({
        "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": TEST_MODEL,
        "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]
    })
}

/// The `include_usage` chunk: usage and an empty `choices` array.
pub fn usage_chunk(prompt_tokens: u32, completion_tokens: u32) -> Value {
    json!({
        "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": TEST_MODEL,
        "choices": [],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens}
    })
}

/// An SSE body from JSON chunks, optionally terminated by `data: [DONE]`.
pub fn sse_body(chunks: &[Value], done: bool) -> String {
    let events: Vec<String> = chunks.iter().map(Value::to_string).collect();
    sse_body_raw(&events, done)
}

/// An SSE body from raw `data:` payloads (for malformed or non-JSON events).
pub fn sse_body_raw(events: &[String], done: bool) -> String {
    let mut body: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
    if done {
        body.push_str("data: [DONE]\n\n");
    }
    body
}

/// A 200 `text/event-stream` response with `body`.
pub fn sse_response(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

/// Chunks of a streamed text answer: role, one chunk per piece, `stop`, usage (7/N).
pub fn text_chunks(pieces: &[&str]) -> Vec<Value> {
    let mut chunks = vec![role_chunk()];
    chunks.extend(pieces.iter().map(|p| text_chunk(p)));
    chunks.push(finish_chunk("stop"));
    chunks.push(usage_chunk(7, pieces.len() as u32));
    chunks
}

/// A streamed text answer delivered in `pieces`, with usage and `[DONE]`.
pub fn sse_text(pieces: &[&str]) -> ResponseTemplate {
    sse_response(sse_body(&text_chunks(pieces), true))
}

/// Chunks of streamed tool calls `(id, name, argument pieces)`, one call after the other.
pub fn tool_call_chunks(calls: &[(&str, &str, &[&str])]) -> Vec<Value> {
    let mut chunks = vec![role_chunk()];
    for (index, (id, name, pieces)) in calls.iter().enumerate() {
        let index = index as u32;
        chunks.push(tool_chunk(index, Some(id), Some(name), ""));
        chunks.extend(pieces.iter().map(|p| tool_chunk(index, None, None, p)));
    }
    chunks.push(finish_chunk("tool_calls"));
    chunks.push(usage_chunk(11, 5));
    chunks
}

/// One streamed tool call whose arguments arrive split over `arg_pieces`.
pub fn sse_tool_call(id: &str, name: &str, arg_pieces: &[&str]) -> ResponseTemplate {
    sse_tool_calls(&[(id, name, arg_pieces)])
}

/// Several (parallel) streamed tool calls.
pub fn sse_tool_calls(calls: &[(&str, &str, &[&str])]) -> ResponseTemplate {
    sse_response(sse_body(&tool_call_chunks(calls), true))
}

// ---------------------------------------------------------------------------------------------
// Non-streamed completions and errors
// ---------------------------------------------------------------------------------------------

/// A `chat.completion` with optional text, tool calls `(id, name, arguments)` and usage.
pub fn completion_json(
    text: Option<&str>,
    calls: &[(&str, &str, &str)],
    usage: Option<(u32, u32)>,
) -> Value {
    let tool_calls: Vec<Value> = calls
        .iter()
        .map(|(id, name, args)| json!({"id": id, "type": "function", "function": {"name": name, "arguments": args}}))
        .collect();
    let mut message = json!({"role": "assistant", "content": text});
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::Array(tool_calls);
    }
    let finish = if calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    let mut body = json!({
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": TEST_MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}]
    });
    if let Some((p, c)) = usage {
        body["usage"] = json!({"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c});
    }
    body
}

/// A 200 JSON response.
pub fn json_response(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// A non-streamed text answer with usage (5/3).
pub fn json_text(text: &str) -> ResponseTemplate {
    json_response(completion_json(Some(text), &[], Some((5, 3))))
}

/// A non-streamed answer with tool calls `(id, name, arguments)` and `content: null`.
pub fn json_tool_calls(calls: &[(&str, &str, &str)]) -> ResponseTemplate {
    json_response(completion_json(None, calls, Some((9, 4))))
}

/// An OpenAI-style error: `{"error": {"message", "type", "code"}}`.
pub fn error_response(
    status: u16,
    message: &str,
    kind: Option<&str>,
    code: Option<&str>,
) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "error": {"message": message, "type": kind, "param": null, "code": code}
    }))
}

// ---------------------------------------------------------------------------------------------
// Script and server
// ---------------------------------------------------------------------------------------------

/// Plays responses in order, one per request. When the script is exhausted it answers
/// `500 {"error": {"message": "scripted server: script exhausted"}}` (so an unexpected extra
/// request shows up as a failure), unless built with [`Script::repeat_last`].
pub struct Script {
    steps: Mutex<VecDeque<ResponseTemplate>>,
    last: Mutex<Option<ResponseTemplate>>,
    repeat_last: bool,
    served: AtomicUsize,
}

impl Script {
    pub fn new(steps: Vec<ResponseTemplate>) -> Self {
        Self {
            steps: Mutex::new(steps.into()),
            last: Mutex::new(None),
            repeat_last: false,
            served: AtomicUsize::new(0),
        }
    }

    /// Keeps answering with the last step once the script is exhausted.
    pub fn repeat_last(mut self) -> Self {
        self.repeat_last = true;
        self
    }
}

impl Respond for Script {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        self.served.fetch_add(1, Ordering::SeqCst);
        let mut steps = self.steps.lock().unwrap_or_else(|e| e.into_inner());
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        match steps.pop_front() {
            Some(step) => {
                *last = Some(step.clone());
                step
            }
            None => match (&*last, self.repeat_last) {
                (Some(step), true) => step.clone(),
                _ => error_response(
                    500,
                    "scripted server: script exhausted",
                    Some("server_error"),
                    None,
                ),
            },
        }
    }
}

/// A wiremock server answering `POST /v1/chat/completions` from a [`Script`].
pub struct ScriptedServer {
    pub server: MockServer,
}

impl ScriptedServer {
    /// Starts a server answering from `responder` (usually a [`Script`]).
    pub async fn start(responder: impl Respond + 'static) -> Self {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(COMPLETIONS_PATH))
            .respond_with(responder)
            .mount(&server)
            .await;
        Self { server }
    }

    /// Starts a server answering every request with `response`.
    pub async fn always(response: ResponseTemplate) -> Self {
        Self::start(Script::new(vec![response]).repeat_last()).await
    }

    /// The base URL to configure (`http://127.0.0.1:PORT/v1`).
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.server.uri())
    }

    /// Bodies of all received requests, parsed as JSON (`Null` for non-JSON bodies).
    pub async fn requests(&self) -> Vec<Value> {
        self.raw_requests()
            .await
            .iter()
            .map(|r| r.body_json().unwrap_or(Value::Null))
            .collect()
    }

    /// All received requests with headers.
    pub async fn raw_requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }

    pub async fn request_count(&self) -> usize {
        self.raw_requests().await.len()
    }
}

/// A config for tests: no key, tiny backoff, short timeouts, 3 retries.
pub fn fast_config(base_url: &str, stream: bool) -> OpenAiConfig {
    OpenAiConfig {
        base_url: base_url.to_string(),
        model: TEST_MODEL.to_string(),
        api_key: None,
        request_timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(5),
        max_retries: 3,
        backoff_base: Duration::from_millis(1),
        stream,
    }
}

// ---------------------------------------------------------------------------------------------
// Request inspection
// ---------------------------------------------------------------------------------------------

/// The `messages` array of a captured request.
pub fn messages(request: &Value) -> Vec<Value> {
    request["messages"].as_array().cloned().unwrap_or_default()
}

/// Names of the tools offered in a captured request.
pub fn tool_names(request: &Value) -> Vec<String> {
    request["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .filter_map(|t| t["function"]["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// An interview's opening: the model's `greeting`, what the interview will be like (the policy's
/// words, naming /help), then `question` on a line of its own.
pub fn assert_opening(reply: &str, greeting: &str, question: &str) {
    let (first, asked) = reply
        .split_once('\n')
        .expect("a greeting line, then the question");
    assert!(first.starts_with(&format!("{greeting} ")), "{first}");
    assert!(
        first.contains("/help"),
        "what the interview is like: {first}"
    );
    assert_eq!(asked, question);
}

/// Panics unless, in every request, each `tool` message answers a `tool_calls` id of the
/// preceding assistant message (once), and each assistant tool call is answered before the next
/// assistant, user or system message (or the end of the request).
pub fn assert_tool_protocol(requests: &[Value]) {
    for (r, request) in requests.iter().enumerate() {
        let mut pending: Vec<String> = Vec::new();
        let mut open_turn = false;
        for (i, m) in messages(request).iter().enumerate() {
            let role = m["role"].as_str().unwrap_or("");
            if role == "tool" {
                let id = m["tool_call_id"].as_str().unwrap_or("");
                assert!(
                    open_turn,
                    "request {r}, message {i}: tool message {id:?} without a preceding assistant tool call"
                );
                let pos = pending.iter().position(|p| p == id);
                assert!(
                    pos.is_some(),
                    "request {r}, message {i}: tool message answers unknown or already answered call {id:?} (open: {pending:?})"
                );
                if let Some(pos) = pos {
                    pending.remove(pos);
                }
                continue;
            }
            assert!(
                pending.is_empty(),
                "request {r}, message {i} ({role}): tool calls {pending:?} were never answered"
            );
            open_turn = false;
            if role == "assistant"
                && let Some(calls) = m["tool_calls"].as_array().filter(|c| !c.is_empty())
            {
                pending = calls
                    .iter()
                    .map(|c| c["id"].as_str().unwrap_or("").to_string())
                    .collect();
                open_turn = true;
            }
        }
        assert!(
            pending.is_empty(),
            "request {r}: tool calls {pending:?} at the end were never answered"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Raw TCP server (for cut streams, which wiremock cannot produce)
// ---------------------------------------------------------------------------------------------

/// A bare HTTP/1.1 server: connection N gets the N-th raw response (the last repeats), after
/// the request was read in full; then the socket is closed.
pub struct RawServer {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl RawServer {
    pub async fn start(responses: Vec<Vec<u8>>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port");
        let addr = listener.local_addr().expect("local address");
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let Some(response) = responses.get(n).or(responses.last()).cloned() else {
                    continue;
                };
                tokio::spawn(async move {
                    read_request(&mut socket).await;
                    let _ = socket.write_all(&response).await;
                    let _ = socket.flush().await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self {
            addr,
            connections,
            task,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Connections accepted so far (one per request: every response closes the connection).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let Ok(n) = socket.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return;
            }
        }
    }
}

const SSE_HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";

/// A chunked SSE response that is cut after `chunks` (no final chunk, no `[DONE]`).
pub fn raw_sse_cut(chunks: &[Value]) -> Vec<u8> {
    let body = sse_body(chunks, false);
    format!("{SSE_HEAD}{:x}\r\n{body}\r\n", body.len()).into_bytes()
}

/// A complete chunked SSE response.
pub fn raw_sse_complete(chunks: &[Value]) -> Vec<u8> {
    let body = sse_body(chunks, true);
    format!("{SSE_HEAD}{:x}\r\n{body}\r\n0\r\n\r\n", body.len()).into_bytes()
}

// ---------------------------------------------------------------------------------------------
// Routing side calls (LLM judge, LLM summariser) by their system prompt
// ---------------------------------------------------------------------------------------------

/// The judge's system prompt starts with this (`prompts/judge.md`).
pub const JUDGE_PREFIX: &str = "You check one thing at a time";

/// The check at the end of a captured judge request (after the answer's end marker).
pub fn judge_check(request: &Value) -> String {
    let user = state_block(request);
    user.rsplit("<<<END ANSWER")
        .next()
        .unwrap_or("")
        .to_string()
}

/// Answers each judge check by a rule on the check's text: streamed when the request asks for a
/// stream, a plain completion otherwise.
pub struct JudgeChecks(pub fn(&str) -> String);

impl Respond for JudgeChecks {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = request.body_json().unwrap_or(Value::Null);
        let reply = (self.0)(&judge_check(&body));
        if body["stream"] == true {
            sse_text(&[&reply])
        } else {
            json_text(&reply)
        }
    }
}
/// The LLM summariser's system prompt starts with this (`prompts/summarizer.md`).
pub const SUMMARIZER_PREFIX: &str = "You keep the running summary";

/// The text of a captured request's newest user message, which carries the interview-state block.
pub fn state_block(request: &Value) -> String {
    request["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_string()
}

/// The text of a captured request's first message when it is a system message ("" otherwise).
pub fn system_text(request: &Value) -> String {
    let first = &request["messages"][0];
    if first["role"] == "system" {
        first["content"].as_str().unwrap_or("").to_string()
    } else {
        String::new()
    }
}

/// Matches requests whose system prompt starts with the given prefix.
pub struct SystemPrefix(pub String);

impl wiremock::Match for SystemPrefix {
    fn matches(&self, request: &Request) -> bool {
        request
            .body_json::<Value>()
            .map(|body| system_text(&body).starts_with(&self.0))
            .unwrap_or(false)
    }
}

/// Who sent a captured request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Interviewer,
    Judge,
    Summarizer,
}

/// Classifies a captured request by its system prompt.
pub fn caller(request: &Value) -> Caller {
    let system = system_text(request);
    if system.starts_with(JUDGE_PREFIX) {
        Caller::Judge
    } else if system.starts_with(SUMMARIZER_PREFIX) {
        Caller::Summarizer
    } else {
        Caller::Interviewer
    }
}

/// The captured requests that came from `who`, in arrival order.
pub fn requests_from(requests: &[Value], who: Caller) -> Vec<Value> {
    requests
        .iter()
        .filter(|r| caller(r) == who)
        .cloned()
        .collect()
}

impl ScriptedServer {
    /// Answers requests whose system prompt starts with `prefix` from `responder`, ahead of the
    /// main script (so judge or summariser calls do not consume interviewer steps).
    pub async fn route_system_prefix(&self, prefix: &str, responder: impl Respond + 'static) {
        Mock::given(method("POST"))
            .and(path(COMPLETIONS_PATH))
            .and(SystemPrefix(prefix.to_string()))
            .respond_with(responder)
            .with_priority(1)
            .mount(&self.server)
            .await;
    }
}

/// A non-streamed summariser reply.
pub fn summary_reply(text: &str) -> ResponseTemplate {
    json_text(text)
}

// ---------------------------------------------------------------------------------------------
// Token size of captured requests
// ---------------------------------------------------------------------------------------------

/// The `messages` of a captured request as library [`Message`]s (wire tool calls unwrapped).
pub fn wire_messages(request: &Value) -> Vec<interviewer::model::Message> {
    use interviewer::model::{Message, Role, ToolCall};
    messages(request)
        .iter()
        .map(|m| {
            let role = match m["role"].as_str().unwrap_or("") {
                "system" => Role::System,
                "assistant" => Role::Assistant,
                "tool" => Role::Tool,
                _ => Role::User,
            };
            let calls = m["tool_calls"]
                .as_array()
                .map(|calls| {
                    calls
                        .iter()
                        .map(|c| ToolCall {
                            id: c["id"].as_str().unwrap_or("").to_string(),
                            name: c["function"]["name"].as_str().unwrap_or("").to_string(),
                            arguments: c["function"]["arguments"]
                                .as_str()
                                .unwrap_or("")
                                .to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            Message {
                role,
                content: m["content"].as_str().map(str::to_string),
                tool_calls: calls,
                tool_call_id: m["tool_call_id"].as_str().map(str::to_string),
            }
        })
        .collect()
}

/// The `tools` of a captured request as library [`ToolSpec`]s.
pub fn wire_tools(request: &Value) -> Vec<interviewer::model::ToolSpec> {
    request["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .map(|t| interviewer::model::ToolSpec {
                    name: t["function"]["name"].as_str().unwrap_or("").to_string(),
                    description: t["function"]["description"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    parameters: t["function"]["parameters"].clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The estimated prompt size of a captured request (messages + tools), counted as the agent does.
pub fn request_tokens(
    counter: &interviewer::agent::tokens::TokenCounter,
    request: &Value,
) -> usize {
    counter.messages(&wire_messages(request)) + counter.tools(&wire_tools(request))
}

// ---------------------------------------------------------------------------------------------
// A whole scripted interview
// ---------------------------------------------------------------------------------------------

/// The interviewer's side of a long interview, generated for a plan, and the candidate's answers.
pub struct InterviewScript {
    /// Interviewer responses, in order (non-streamed).
    pub responses: Vec<ResponseTemplate>,
    /// The candidate's answers, in order.
    pub answers: Vec<String>,
    /// Model calls per turn: `[0]` is the opening (`Begin`) turn, `[n]` the turn of answer n.
    pub steps_per_turn: Vec<usize>,
    /// For every answer, the question it answers.
    pub answered: Vec<String>,
}

/// A scripted interview over `plan` with `per_question` answers per question and `total` answers:
/// the opening picks the first question and looks up its rubric; every answer gets a
/// `score_answer` call, then a follow-up through `say` on the next rubric point, or (after the last answer on a question)
/// `pick_question` + `lookup_rubric` + the next question, or `end_interview` + a goodbye.
/// Answers are taken from the bank: each makes one rubric point, in the point's own words.
pub fn interview_script(
    bank: &interviewer::bank::Bank,
    plan: &[String],
    per_question: usize,
    total: usize,
) -> InterviewScript {
    let per_question = per_question.max(1);
    let mut responses = Vec::new();
    let mut steps_per_turn = Vec::new();
    let mut answers = Vec::new();
    let mut answered = Vec::new();
    let ask = |id: &str| bank.get(id).map(|q| q.ask.clone()).unwrap_or_default();
    let call = |id: String, name: &str, args: String| {
        json_response(completion_json(
            None,
            &[(id.as_str(), name, args.as_str())],
            Some((9, 4)),
        ))
    };
    let id_args = |id: &str| json!({ "question_id": id }).to_string();

    let first = plan.first().cloned().unwrap_or_default();
    responses.push(call("c0-pick".into(), "pick_question", "{}".into()));
    responses.push(call("c0-rubric".into(), "lookup_rubric", id_args(&first)));
    responses.push(json_text(&format!(
        "Hello, and welcome. Let's begin: {}",
        ask(&first)
    )));
    steps_per_turn.push(3);

    for n in 0..total {
        let qi = (n / per_question).min(plan.len().saturating_sub(1));
        let pos = n % per_question;
        let id = plan.get(qi).cloned().unwrap_or_default();
        let q = bank.get(&id);
        // Each answer makes one more point (the first answer the first point), so every
        // follow-up is about a point not yet made.
        let answer = match (pos, q) {
            (k, Some(q)) => {
                let p = &q.points[k % q.points.len()];
                format!(
                    "Let me expand on that. {} I think that is the key reason here.",
                    p.expect
                )
            }
            (_, None) => format!("My answer number {n}."),
        };
        answers.push(answer);
        answered.push(id.clone());
        responses.push(call(
            format!("c{}-score", n + 1),
            "score_answer",
            id_args(&id),
        ));
        let last = n + 1 == total;
        if pos + 1 < per_question && !last {
            // A typed follow-up on the next point, in the bank's wording.
            let point = q.map(|q| &q.points[(pos + 1) % q.points.len()]);
            let args = json!({
                "acknowledgement": "Good.",
                "question": point.and_then(|p| p.probes.first()).cloned().unwrap_or_default(),
                "kind": "follow_up",
                "point": point.map(|p| p.id.clone()),
            });
            responses.push(call(format!("c{}-say", n + 1), "say", args.to_string()));
            steps_per_turn.push(2);
        } else if qi + 1 < plan.len() && !last {
            let next = &plan[qi + 1];
            responses.push(call(
                format!("c{}-pick", n + 1),
                "pick_question",
                "{}".into(),
            ));
            responses.push(call(
                format!("c{}-rubric", n + 1),
                "lookup_rubric",
                id_args(next),
            ));
            responses.push(json_text(&format!("Thanks. Next question: {}", ask(next))));
            steps_per_turn.push(4);
        } else {
            responses.push(call(
                format!("c{}-end", n + 1),
                "end_interview",
                json!({"reason": "all planned questions asked"}).to_string(),
            ));
            responses.push(json_text("Thank you, that is the end of the interview."));
            steps_per_turn.push(3);
        }
    }
    InterviewScript {
        responses,
        answers,
        steps_per_turn,
        answered,
    }
}
