//! OpenAI-compatible chat backend over `async-openai` (bring-your-own-types calls).
//!
//! The request JSON is built here and responses are parsed into lenient types, so servers that
//! deviate from OpenAI (llama.cpp, Ollama, vLLM, LM Studio, proxies) still work. Retries,
//! timeouts and error classification live in one place, [`OpenAiModel::complete`]:
//! async-openai's own retry layer is replaced by a plain transport service that reports every
//! non-2xx answer with its status, `Retry-After` header and body.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_openai::config::OpenAIConfig;
use async_openai::error::{OpenAIError, StreamError};
use async_openai::middleware::HttpRequestFactory;
use futures::StreamExt;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use super::{
    AssistantTurn, ChatModel, ChatRequest, Message, ModelError, Role, TextSink, ToolCall, Usage,
};

/// Longest wait a `Retry-After` header can impose.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Longest computed backoff between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Longest server message quoted in an error.
const MAX_DETAIL_CHARS: usize = 160;
/// Longest preview of an unparseable body.
const MAX_PREVIEW_CHARS: usize = 200;
/// How much of an error body is read.
const MAX_ERROR_BODY_BYTES: usize = 16 * 1024;

/// Settings of an OpenAI-compatible server connection.
#[derive(Clone)]
pub struct OpenAiConfig {
    /// Base URL including the version path, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// Model name sent with every request.
    pub model: String,
    /// Bearer key; `None` sends no `Authorization` header (local servers).
    pub api_key: Option<String>,
    /// Deadline of one attempt: the whole response (non-streamed) or the whole stream.
    pub request_timeout: Duration,
    /// Deadline for establishing the TCP/TLS connection.
    pub connect_timeout: Duration,
    /// Longest silence allowed while streaming: until the response headers and between chunks.
    pub idle_timeout: Duration,
    /// Retries after the first attempt (so at most `1 + max_retries` requests).
    pub max_retries: u32,
    /// First backoff delay; it doubles per retry (with jitter, capped at 30 s).
    pub backoff_base: Duration,
    /// Stream the answer over SSE (`stream: true`).
    pub stream: bool,
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        Self {
            base_url: "https://api.openai.com/v1".to_string(),
            model: "gpt-4o-mini".to_string(),
            api_key: None,
            request_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_retries: 5,
            backoff_base: Duration::from_millis(500),
            stream: true,
        }
    }
}

impl OpenAiConfig {
    /// Defaults with the given server and model.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            ..Self::default()
        }
    }

    /// Sets the API key (blank keys count as none).
    pub fn with_api_key(mut self, key: Option<String>) -> Self {
        self.api_key = key.map(|k| k.trim().to_string()).filter(|k| !k.is_empty());
        self
    }
}

impl std::fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_retries", &self.max_retries)
            .field("backoff_base", &self.backoff_base)
            .field("stream", &self.stream)
            .finish()
    }
}

/// A retry about to happen, reported to the observer set with [`OpenAiModel::with_retry_observer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryNotice {
    /// The attempt that failed (1-based).
    pub attempt: u32,
    /// Attempts allowed in total.
    pub max_attempts: u32,
    /// How long the model waits before the next attempt.
    pub delay: Duration,
    /// Whether `delay` came from the server's `Retry-After` header.
    pub from_retry_after: bool,
    /// Short description of the failure (e.g. `HTTP 503`, `timeout`).
    pub reason: String,
}

/// Receives [`RetryNotice`]s (e.g. to show "server busy, retrying" in the UI).
pub type RetryObserver = Arc<dyn Fn(&RetryNotice) + Send + Sync>;

/// A [`ChatModel`] talking to an OpenAI-compatible `/chat/completions` endpoint.
pub struct OpenAiModel {
    cfg: OpenAiConfig,
    client: async_openai::Client<OpenAIConfig>,
    label: String,
    observer: Option<RetryObserver>,
}

impl std::fmt::Debug for OpenAiModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiModel")
            .field("config", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl OpenAiModel {
    /// Builds the HTTP client. Fails on an unusable base URL or API key.
    pub fn new(mut cfg: OpenAiConfig) -> Result<Self, ModelError> {
        cfg.base_url = cfg.base_url.trim().trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&cfg.base_url).map_err(|e| ModelError::Unreachable {
            url: cfg.base_url.clone(),
            detail: format!("not a valid URL ({e})"),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ModelError::Unreachable {
                url: cfg.base_url.clone(),
                detail: "the URL must start with http:// or https://".to_string(),
            });
        }
        let auth = match cfg
            .api_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            None => None,
            Some(key) => {
                let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {key}"))
                    .map_err(|_| ModelError::Auth {
                        status: 0,
                        detail:
                            ": the key contains characters that cannot be sent in an HTTP header"
                                .to_string(),
                    })?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .build()
            .map_err(|e| ModelError::Unreachable {
                url: cfg.base_url.clone(),
                detail: one_line(&e.to_string()),
            })?;
        // The key is not given to async-openai: `RawHttp` sets (or removes) the header itself, so
        // no environment variable leaks in and local servers get no empty `Bearer`.
        let server = OpenAIConfig::new()
            .with_api_base(cfg.base_url.clone())
            .with_api_key("")
            .with_org_id("")
            .with_project_id("");
        let client = async_openai::Client::build(http.clone(), server)
            .with_http_service(RawHttp { http, auth });
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => cfg.base_url.clone(),
        };
        let label = format!("{} @ {}", cfg.model, host);
        Ok(Self {
            cfg,
            client,
            label,
            observer: None,
        })
    }

    /// Calls `observer` before every retry wait.
    pub fn with_retry_observer(mut self, observer: RetryObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The configuration in use (base URL normalised).
    pub fn config(&self) -> &OpenAiConfig {
        &self.cfg
    }

    /// The JSON body sent for `req` (also used by tests and `--debug` output).
    pub fn request_body(&self, req: &ChatRequest<'_>) -> Value {
        let mut body = serde_json::Map::new();
        body.insert("model".into(), json!(self.cfg.model));
        body.insert(
            "messages".into(),
            Value::Array(req.messages.iter().map(wire_message).collect()),
        );
        if !req.tools.is_empty() {
            let tools = req
                .tools
                .iter()
                .map(|t| {
                    json!({
                        "type": "function",
                        "function": {"name": t.name, "description": t.description, "parameters": t.parameters}
                    })
                })
                .collect();
            body.insert("tools".into(), Value::Array(tools));
        }
        if let Some(rf) = req.response_format {
            body.insert(
                "response_format".into(),
                json!({"type": "json_schema", "json_schema": {"name": rf.name, "schema": rf.schema, "strict": false}}),
            );
        }
        if let Some(t) = req.temperature {
            // Through f64 with rounding so 0.2 is sent as 0.2, not 0.20000000298.
            let t = (f64::from(t) * 1e6).round() / 1e6;
            body.insert("temperature".into(), json!(t));
        }
        if let Some(n) = req.max_tokens {
            body.insert("max_tokens".into(), json!(n));
        }
        body.insert("stream".into(), json!(self.cfg.stream));
        if self.cfg.stream {
            body.insert("stream_options".into(), json!({"include_usage": true}));
        }
        Value::Object(body)
    }

    fn notify(&self, notice: &RetryNotice) {
        tracing::warn!(
            attempt = notice.attempt,
            max_attempts = notice.max_attempts,
            delay_ms = notice.delay.as_millis() as u64,
            reason = %notice.reason,
            "model call failed; retrying"
        );
        if let Some(observer) = &self.observer {
            observer(notice);
        }
    }

    fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .cfg
            .backoff_base
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        let capped = exp.min(MAX_BACKOFF);
        // Equal jitter: between half and all of the exponential delay.
        let factor: f64 = 0.5 + rand::random_range(0.0..0.5);
        capped.mul_f64(factor)
    }

    async fn attempt_plain(&self, body: &Value) -> Result<AssistantTurn, Failure> {
        let chat = self.client.chat();
        let call = chat.create_byot::<&Value, WireCompletion>(body);
        let completion = match tokio::time::timeout(self.cfg.request_timeout, call).await {
            Err(_) => return Err(Failure::Timeout(self.cfg.request_timeout)),
            Ok(Err(e)) => return Err(Failure::from_openai(e)),
            Ok(Ok(c)) => c,
        };
        if let Some(err) = completion.error {
            return Err(Failure::from_body_error(&err));
        }
        let usage = completion.usage.as_ref().map(WireUsage::to_usage);
        let Some(choice) = pick_choice(completion.choices) else {
            return Err(Failure::Protocol("the response has no choices".to_string()));
        };
        let message = choice.message.or(choice.delta).unwrap_or_default();
        let mut acc = Accumulator::default();
        if let Some(text) = message.content.as_ref().and_then(content_text) {
            acc.text.push_str(&text);
        } else if let Some(text) = choice.text {
            acc.text.push_str(&text);
        }
        for call in message.tool_calls {
            acc.add_call_delta(&call);
        }
        if let Some(f) = message.function_call {
            acc.add_call_delta(&WireToolCall {
                function: Some(f),
                ..WireToolCall::default()
            });
        }
        acc.finish = choice.finish_reason;
        acc.usage = usage;
        Ok(acc.into_turn())
    }

    async fn attempt_stream(
        &self,
        body: &Value,
        on_text: TextSink<'_>,
        shown: &mut bool,
    ) -> Result<AssistantTurn, Failure> {
        let started = Instant::now();
        let deadline = self.cfg.request_timeout;
        let idle = self.cfg.idle_timeout.min(deadline);
        let chat = self.client.chat();
        let open = chat.create_stream_byot::<&Value, WireCompletion>(body);
        let mut stream = match tokio::time::timeout(idle, open).await {
            Err(_) => return Err(Failure::Timeout(idle)),
            Ok(Err(e)) => return Err(Failure::from_openai(e)),
            Ok(Ok(s)) => s,
        };
        let mut acc = Accumulator::default();
        let mut events = 0usize;
        let mut bad_event: Option<String> = None;
        loop {
            let left = deadline.saturating_sub(started.elapsed());
            let (wait, limit) = if left < idle {
                (left, deadline)
            } else {
                (idle, idle)
            };
            let next = match tokio::time::timeout(wait, stream.next()).await {
                Err(_) => return Err(Failure::Timeout(limit)),
                Ok(None) => break,
                Ok(Some(n)) => n,
            };
            let chunk = match next {
                Ok(c) => c,
                Err(OpenAIError::JSONDeserialize(_, raw)) => {
                    // Skip a stray non-JSON event (keep-alives, comments); fail only if nothing else came.
                    tracing::debug!(preview = %preview(&raw), "skipping unparseable stream event");
                    bad_event.get_or_insert(raw);
                    continue;
                }
                Err(e) => return Err(Failure::from_openai(e)),
            };
            events += 1;
            if let Some(err) = chunk.error {
                return Err(Failure::from_body_error(&err));
            }
            if let Some(u) = &chunk.usage {
                acc.usage = Some(u.to_usage());
            }
            for choice in chunk.choices {
                if choice.index.unwrap_or(0) != 0 {
                    continue;
                }
                let delta = choice.delta.or(choice.message).unwrap_or_default();
                let text = delta
                    .content
                    .as_ref()
                    .and_then(content_text)
                    .or(choice.text);
                if let Some(text) = text.filter(|t| !t.is_empty()) {
                    on_text(&text);
                    *shown = true;
                    acc.text.push_str(&text);
                }
                for call in &delta.tool_calls {
                    acc.add_call_delta(call);
                }
                if let Some(f) = delta.function_call {
                    acc.add_call_delta(&WireToolCall {
                        function: Some(f),
                        ..WireToolCall::default()
                    });
                }
                if let Some(reason) = choice.finish_reason {
                    acc.finish = Some(reason);
                }
            }
        }
        if events == 0 {
            return Err(match bad_event {
                Some(raw) => Failure::Protocol(preview(&raw)),
                None => Failure::Protocol(
                    "the server closed the stream without sending any event".to_string(),
                ),
            });
        }
        Ok(acc.into_turn())
    }

    fn final_error(&self, failure: Failure, attempts: u32) -> ModelError {
        match failure {
            Failure::Status {
                status,
                retry_after,
                message,
            } => {
                if status == 429 {
                    ModelError::RateLimited {
                        attempts,
                        retry_after,
                    }
                } else {
                    ModelError::Unavailable {
                        status,
                        attempts,
                        detail: self.detail(&message),
                    }
                }
            }
            Failure::Timeout(d) => ModelError::Timeout(if d.is_zero() {
                self.cfg.request_timeout
            } else {
                d
            }),
            Failure::Connect(detail) => ModelError::Unreachable {
                url: self.cfg.base_url.clone(),
                detail,
            },
            Failure::Dropped(detail) => ModelError::Unreachable {
                url: self.cfg.base_url.clone(),
                detail: format!(
                    "the connection dropped before a complete answer ({detail}; {attempts} attempts)"
                ),
            },
            Failure::Protocol(msg) => ModelError::Protocol(msg),
            Failure::Fatal(e) => e,
        }
    }

    /// `": message"` with the key scrubbed, on one short line; empty when there is no message.
    fn detail(&self, message: &str) -> String {
        let clean = scrub(message, self.cfg.api_key.as_deref());
        if clean.is_empty() {
            String::new()
        } else {
            format!(": {clean}")
        }
    }

    /// Turns a non-2xx status into a fatal error, or `None` when it is worth retrying.
    fn classify_status(&self, status: u16, message: &str, code: &str) -> Option<ModelError> {
        let lower = message.to_lowercase();
        let detail = self.detail(message);
        if code == "insufficient_quota"
            || lower.contains("insufficient_quota")
            || lower.contains("exceeded your current quota")
        {
            return Some(ModelError::Quota { detail });
        }
        if status == 401 || status == 403 || code == "invalid_api_key" {
            return Some(ModelError::Auth { status, detail });
        }
        if status != 429
            && (code == "context_length_exceeded"
                || code == "exceed_context_size_error"
                || is_context_message(&lower))
        {
            return Some(ModelError::ContextLength { detail });
        }
        if status == 404 || code == "model_not_found" || is_model_missing_message(&lower) {
            let detail = if status == 404 && !lower.contains("model") {
                format!("{detail} (check that the base URL ends in /v1)")
            } else {
                detail
            };
            return Some(ModelError::ModelNotFound {
                model: self.cfg.model.clone(),
                detail,
            });
        }
        if status == 413 {
            return Some(ModelError::ContextLength { detail });
        }
        if matches!(status, 408 | 409 | 429) || status >= 500 {
            return None;
        }
        Some(ModelError::BadRequest { detail })
    }

    /// Classifies a raw failure: fatal ones become `Failure::Fatal`, the rest stay retryable.
    fn triage(&self, failure: Failure) -> Failure {
        match failure {
            Failure::Status {
                status,
                retry_after,
                message,
            } => {
                let (msg, code) = error_message(&message);
                match self.classify_status(status, &msg, &code) {
                    Some(fatal) => Failure::Fatal(fatal),
                    None => Failure::Status {
                        status,
                        retry_after,
                        message: msg,
                    },
                }
            }
            other => other,
        }
    }
}

#[async_trait::async_trait]
impl ChatModel for OpenAiModel {
    fn name(&self) -> String {
        self.label.clone()
    }

    /// Retries 408/409/429/5xx, timeouts and dropped connections with jittered exponential
    /// backoff (or the server's `Retry-After`, capped at 60 s); never after text was streamed.
    /// In non-streamed mode the whole answer text is passed to `on_text` once.
    async fn complete(
        &self,
        req: ChatRequest<'_>,
        on_text: TextSink<'_>,
    ) -> Result<AssistantTurn, ModelError> {
        let body = self.request_body(&req);
        tracing::debug!(model = %self.cfg.model, messages = req.messages.len(), tools = req.tools.len(), stream = self.cfg.stream, "chat completion request");
        let max_attempts = self.cfg.max_retries.saturating_add(1);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut shown = false;
            let outcome = if self.cfg.stream {
                self.attempt_stream(&body, &mut *on_text, &mut shown).await
            } else {
                self.attempt_plain(&body).await
            };
            let failure = match outcome {
                Ok(turn) => {
                    if !self.cfg.stream && !turn.text().is_empty() {
                        on_text(turn.text());
                    }
                    return Ok(turn);
                }
                Err(f) => self.triage(f),
            };
            if shown && failure.retryable() {
                // Part of the answer is already on screen: a retry would repeat it.
                return Err(ModelError::Protocol(format!(
                    "the answer stream was cut off mid-way ({}); the partial answer was discarded",
                    failure.reason()
                )));
            }
            if !failure.retryable() || attempt >= max_attempts {
                return Err(self.final_error(failure, attempt));
            }
            let (delay, from_header) = match failure.retry_after() {
                Some(d) => (d.min(MAX_RETRY_AFTER), true),
                None => (self.backoff(attempt), false),
            };
            self.notify(&RetryNotice {
                attempt,
                max_attempts,
                delay,
                from_retry_after: from_header,
                reason: failure.reason(),
            });
            tokio::time::sleep(delay).await;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Failures of one attempt
// ---------------------------------------------------------------------------------------------

/// What went wrong in one attempt, before the retry decision.
#[derive(Debug)]
enum Failure {
    /// Non-2xx status; `message` is the raw body until triage, the server's message after.
    Status {
        status: u16,
        retry_after: Option<Duration>,
        message: String,
    },
    Timeout(Duration),
    /// Nothing answered (refused, DNS, TLS). Not retried.
    Connect(String),
    /// The connection broke before a complete answer.
    Dropped(String),
    Protocol(String),
    Fatal(ModelError),
}

impl Failure {
    fn retryable(&self) -> bool {
        matches!(
            self,
            Failure::Status { .. } | Failure::Timeout(_) | Failure::Dropped(_)
        )
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Failure::Status {
                status: 429 | 503,
                retry_after,
                ..
            } => *retry_after,
            _ => None,
        }
    }

    fn reason(&self) -> String {
        match self {
            Failure::Status { status, .. } => format!("HTTP {status}"),
            Failure::Timeout(d) => format!("no answer within {d:?}"),
            Failure::Connect(d) | Failure::Dropped(d) | Failure::Protocol(d) => d.clone(),
            Failure::Fatal(e) => e.to_string(),
        }
    }

    fn from_openai(e: OpenAIError) -> Failure {
        match e {
            OpenAIError::Boxed(boxed) => match boxed.downcast::<HttpFailure>() {
                Ok(f) => Failure::Status { status: f.status, retry_after: f.retry_after, message: f.body },
                Err(other) => Failure::Dropped(one_line(&other.to_string())),
            },
            OpenAIError::Reqwest(e) => Failure::from_reqwest(&e),
            OpenAIError::JSONDeserialize(_, raw) => {
                if raw.trim().is_empty() {
                    Failure::Protocol("the response body was empty".to_string())
                } else {
                    Failure::Protocol(preview(&raw))
                }
            }
            OpenAIError::StreamError(e) => match *e {
                StreamError::EventStream(msg) => Failure::Dropped(one_line(&msg)),
                StreamError::UnknownEvent(ev) => Failure::Protocol(preview(&ev.data)),
            },
            OpenAIError::ApiError(api) => Failure::Status {
                status: api.status_code.as_u16(),
                retry_after: None,
                message: json!({"error": {"message": api.api_error.message, "type": api.api_error.r#type, "code": api.api_error.code}})
                    .to_string(),
            },
            other => Failure::Protocol(one_line(&other.to_string())),
        }
    }

    fn from_reqwest(e: &reqwest::Error) -> Failure {
        let chain = error_chain(e);
        if e.is_connect() {
            return Failure::Connect(connect_reason(&chain));
        }
        if e.is_timeout() {
            // Zero stands for "the configured request timeout" (see `final_error`).
            return Failure::Timeout(Duration::ZERO);
        }
        Failure::Dropped(short_reason(&chain))
    }

    /// An `{"error": ...}` object inside a 200 body or a stream chunk.
    fn from_body_error(err: &Value) -> Failure {
        let status = err
            .get("code")
            .and_then(|c| {
                c.as_u64()
                    .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
            })
            .filter(|c| (400..600).contains(c))
            .map(|c| c as u16);
        let body = json!({ "error": err }).to_string();
        let lower = body.to_lowercase();
        // Without a status, let the message decide; otherwise assume a transient server fault.
        let status = status.unwrap_or_else(|| {
            if is_context_message(&lower) || is_model_missing_message(&lower) {
                400
            } else {
                500
            }
        });
        Failure::Status {
            status,
            retry_after: None,
            message: body,
        }
    }
}

/// A non-2xx HTTP answer, carried through async-openai as `OpenAIError::Boxed`.
#[derive(Debug)]
struct HttpFailure {
    status: u16,
    retry_after: Option<Duration>,
    body: String,
}

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}", self.status)
    }
}

impl std::error::Error for HttpFailure {}

// ---------------------------------------------------------------------------------------------
// Transport: a tower service without async-openai's built-in retry layer
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct RawHttp {
    http: reqwest::Client,
    /// `Bearer KEY`, marked sensitive so it never shows in Debug output.
    auth: Option<reqwest::header::HeaderValue>,
}

type HttpFuture = Pin<Box<dyn Future<Output = Result<reqwest::Response, OpenAIError>> + Send>>;

impl tower_service::Service<HttpRequestFactory> for RawHttp {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = HttpFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        let http = self.http.clone();
        let auth = self.auth.clone();
        Box::pin(async move {
            let mut request = factory.build().await?;
            let headers = request.headers_mut();
            headers.remove(reqwest::header::AUTHORIZATION);
            if let Some(auth) = auth {
                headers.insert(reqwest::header::AUTHORIZATION, auth);
            }
            let response = http.execute(request).await.map_err(OpenAIError::Reqwest)?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            let body = read_limited(response).await;
            Err(OpenAIError::Boxed(Box::new(HttpFailure {
                status: status.as_u16(),
                retry_after,
                body,
            })))
        })
    }
}

async fn read_limited(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        bytes.extend_from_slice(&chunk);
        if bytes.len() >= MAX_ERROR_BODY_BYTES {
            bytes.truncate(MAX_ERROR_BODY_BYTES);
            break;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `Retry-After` in (possibly fractional) seconds; HTTP dates are ignored.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0)
        .then(|| Duration::from_secs_f64(secs.min(MAX_RETRY_AFTER.as_secs_f64())))
}

// ---------------------------------------------------------------------------------------------
// Request shape
// ---------------------------------------------------------------------------------------------

fn wire_message(m: &Message) -> Value {
    match m.role {
        Role::System => json!({"role": "system", "content": m.text()}),
        Role::User => json!({"role": "user", "content": m.text()}),
        Role::Tool => {
            json!({"role": "tool", "tool_call_id": m.tool_call_id.as_deref().unwrap_or(""), "content": m.text()})
        }
        Role::Assistant => {
            if m.tool_calls.is_empty() {
                json!({"role": "assistant", "content": m.text()})
            } else {
                let calls: Vec<Value> = m
                    .tool_calls
                    .iter()
                    .map(|c| {
                        let args = if c.arguments.trim().is_empty() { "{}" } else { c.arguments.as_str() };
                        json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": args}})
                    })
                    .collect();
                let content = match m.content.as_deref() {
                    Some(t) if !t.is_empty() => json!(t),
                    _ => Value::Null,
                };
                json!({"role": "assistant", "content": content, "tool_calls": calls})
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lenient response shape (non-streamed completion and stream chunk alike)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireCompletion {
    #[serde(deserialize_with = "nullable")]
    choices: Vec<WireChoice>,
    usage: Option<WireUsage>,
    error: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireChoice {
    #[serde(deserialize_with = "lenient_u64")]
    index: Option<u64>,
    message: Option<WireMessage>,
    delta: Option<WireMessage>,
    /// Legacy completions-style text.
    #[serde(deserialize_with = "lenient_string")]
    text: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    finish_reason: Option<String>,
}

/// A message or delta. `reasoning_content` and other extras are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireMessage {
    content: Option<Value>,
    #[serde(deserialize_with = "nullable")]
    tool_calls: Vec<WireToolCall>,
    function_call: Option<WireFunction>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireToolCall {
    #[serde(deserialize_with = "lenient_u64")]
    index: Option<u64>,
    #[serde(deserialize_with = "lenient_string")]
    id: Option<String>,
    function: Option<WireFunction>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireFunction {
    #[serde(deserialize_with = "lenient_string")]
    name: Option<String>,
    /// Usually a JSON string; some servers send an object.
    arguments: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireUsage {
    #[serde(deserialize_with = "lenient_u64")]
    prompt_tokens: Option<u64>,
    #[serde(deserialize_with = "lenient_u64")]
    completion_tokens: Option<u64>,
    /// OpenAI, llama.cpp and vLLM report the prompt tokens served from the prompt cache here.
    prompt_tokens_details: Option<WirePromptDetails>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WirePromptDetails {
    #[serde(deserialize_with = "lenient_u64")]
    cached_tokens: Option<u64>,
}

impl WireUsage {
    fn to_usage(&self) -> Usage {
        let clamp = |n: Option<u64>| u32::try_from(n.unwrap_or(0)).unwrap_or(u32::MAX);
        Usage {
            prompt_tokens: clamp(self.prompt_tokens),
            completion_tokens: clamp(self.completion_tokens),
            cached_prompt_tokens: clamp(
                self.prompt_tokens_details
                    .as_ref()
                    .and_then(|d| d.cached_tokens),
            ),
        }
    }
}

fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// Text of a `content` value: a string or an array of `{type: "text", text}` parts.
fn content_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let text: String = parts
                .iter()
                .filter_map(|p| p.as_str().or_else(|| p.get("text").and_then(Value::as_str)))
                .collect();
            Some(text)
        }
        _ => None,
    }
}

fn pick_choice(choices: Vec<WireChoice>) -> Option<WireChoice> {
    let mut first = None;
    for c in choices {
        if c.index.unwrap_or(0) == 0 {
            return Some(c);
        }
        first.get_or_insert(c);
    }
    first
}

/// Collects text and tool-call fragments into one turn.
#[derive(Default)]
struct Accumulator {
    text: String,
    calls: Vec<PartialCall>,
    finish: Option<String>,
    usage: Option<Usage>,
}

struct PartialCall {
    slot: u64,
    id: Option<String>,
    name: String,
    arguments: String,
}

impl Accumulator {
    /// Merges one tool-call fragment: by `index` when given, else into the last call; a new `id`
    /// always starts a new call.
    fn add_call_delta(&mut self, delta: &WireToolCall) {
        let id = delta.id.as_deref().filter(|s| !s.is_empty());
        let position = match delta.index {
            Some(i) => self.calls.iter().rposition(|c| c.slot == i),
            None => self.calls.len().checked_sub(1),
        };
        let position = position.filter(|&p| match (id, self.calls[p].id.as_deref()) {
            (Some(new), Some(old)) => new == old,
            _ => true,
        });
        let p = match position {
            Some(p) => p,
            None => {
                let slot = delta
                    .index
                    .unwrap_or_else(|| self.calls.iter().map(|c| c.slot + 1).max().unwrap_or(0));
                self.calls.push(PartialCall {
                    slot,
                    id: None,
                    name: String::new(),
                    arguments: String::new(),
                });
                self.calls.len() - 1
            }
        };
        let call = &mut self.calls[p];
        if call.id.is_none() {
            call.id = id.map(str::to_string);
        }
        if let Some(f) = &delta.function {
            if let Some(name) = f.name.as_deref().filter(|n| !n.is_empty()) {
                // Some servers repeat the full name in every fragment.
                if call.name.is_empty() {
                    call.name = name.to_string();
                } else if call.name != name {
                    call.name.push_str(name);
                }
            }
            match &f.arguments {
                Some(Value::String(s)) => call.arguments.push_str(s),
                Some(Value::Null) | None => {}
                Some(other) => call.arguments.push_str(&other.to_string()),
            }
        }
    }

    fn into_turn(mut self) -> AssistantTurn {
        self.calls.sort_by_key(|c| c.slot);
        let tool_calls: Vec<ToolCall> = self
            .calls
            .into_iter()
            .filter(|c| !c.name.is_empty() || !c.arguments.is_empty())
            .enumerate()
            .map(|(i, c)| ToolCall {
                id: c.id.unwrap_or_else(|| format!("call_{i}")),
                name: c.name,
                arguments: if c.arguments.trim().is_empty() {
                    "{}".to_string()
                } else {
                    c.arguments
                },
            })
            .collect();
        AssistantTurn {
            content: if self.text.is_empty() {
                None
            } else {
                Some(self.text)
            },
            tool_calls,
            usage: self.usage,
            finish_reason: self.finish,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Error text helpers
// ---------------------------------------------------------------------------------------------

/// The server's message and code from an error body (OpenAI, Ollama, vLLM, FastAPI shapes).
fn error_message(body: &str) -> (String, String) {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return (body.to_string(), String::new());
    };
    let err = v.get("error").filter(|e| !e.is_null()).unwrap_or(&v);
    let text = |x: Option<&Value>| match x {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let message = match err {
        Value::String(s) => s.clone(),
        _ => {
            let m = text(err.get("message"));
            if !m.is_empty() {
                m
            } else {
                match err.get("detail") {
                    Some(Value::String(s)) => s.clone(),
                    Some(d) => d.to_string(),
                    None => body.to_string(),
                }
            }
        }
    };
    let mut code = text(err.get("code"));
    let kind = text(err.get("type"));
    if code.is_empty() || code.parse::<u16>().is_ok() {
        code = kind;
    }
    (message, code)
}

fn is_context_message(lower: &str) -> bool {
    [
        "context_length_exceeded",
        "maximum context length",
        "context length",
        "exceeds the available context size",
        "exceed_context_size",
        "context window",
        "prompt is too long",
        "too many tokens",
    ]
    .iter()
    .any(|p| lower.contains(p))
}

fn is_model_missing_message(lower: &str) -> bool {
    lower.contains("model_not_found")
        || (lower.contains("model")
            && (lower.contains("not found")
                || lower.contains("does not exist")
                || lower.contains("no such model")))
}

/// One line, key and `sk-` tokens redacted, at most [`MAX_DETAIL_CHARS`].
fn scrub(message: &str, key: Option<&str>) -> String {
    let mut text = one_line(message);
    if let Some(key) = key.map(str::trim).filter(|k| k.len() >= 4) {
        text = text.replace(key, "[redacted]");
    }
    let words: Vec<String> = text
        .split(' ')
        .map(|w| {
            let bare =
                w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-' && c != '_' && c != '*');
            if bare.starts_with("sk-") && bare.len() > 6 {
                w.replace(bare, "sk-[redacted]")
            } else {
                w.to_string()
            }
        })
        .collect();
    truncate(&words.join(" "), MAX_DETAIL_CHARS)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// A short single-line preview of an unparseable body.
fn preview(raw: &str) -> String {
    let line = one_line(raw);
    if line.is_empty() {
        "an empty body".to_string()
    } else {
        format!(
            "unexpected body \"{}\"",
            truncate(&line, MAX_PREVIEW_CHARS - 20)
        )
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}

fn connect_reason(chain: &str) -> String {
    let lower = chain.to_lowercase();
    if lower.contains("refused") {
        "connection refused (is the server running?)".to_string()
    } else if lower.contains("dns")
        || lower.contains("resolve")
        || lower.contains("lookup")
        || lower.contains("name or service")
    {
        "the host name could not be resolved".to_string()
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("ssl") {
        "the TLS handshake failed".to_string()
    } else if lower.contains("timed out") || lower.contains("timeout") {
        "the connection timed out".to_string()
    } else {
        truncate(&one_line(chain), MAX_DETAIL_CHARS)
    }
}

fn short_reason(chain: &str) -> String {
    let lower = chain.to_lowercase();
    if lower.contains("reset") {
        "connection reset".to_string()
    } else if lower.contains("closed") || lower.contains("eof") || lower.contains("incomplete") {
        "connection closed early".to_string()
    } else {
        truncate(&one_line(chain), 80)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ResponseFormat, ToolSpec};

    fn model() -> OpenAiModel {
        let cfg = OpenAiConfig::new("http://localhost:8080/v1/", "qwen")
            .with_api_key(Some("sk-secret-123456".into()));
        OpenAiModel::new(cfg).expect("valid config")
    }

    #[test]
    fn name_and_debug_hide_key() {
        let m = model();
        assert_eq!(m.name(), "qwen @ localhost:8080");
        let debug = format!("{m:?} {:?}", m.config());
        assert!(!debug.contains("sk-secret"), "{debug}");
        assert!(debug.contains("[redacted]"));
    }

    #[test]
    fn body_shapes_tools_and_calls() {
        let m = model();
        let calls = vec![ToolCall {
            id: "c1".into(),
            name: "lookup".into(),
            arguments: String::new(),
        }];
        let msgs = vec![
            Message::user("hi"),
            Message::assistant_calls(None, calls),
            Message::tool("c1", "ok"),
        ];
        let tools = vec![ToolSpec {
            name: "lookup".into(),
            description: "d".into(),
            parameters: json!({"type": "object"}),
        }];
        let rf = ResponseFormat {
            name: "verdict".into(),
            schema: json!({"type": "object"}),
        };
        let mut req = ChatRequest::new(&msgs, &tools);
        req.response_format = Some(&rf);
        req.temperature = Some(0.2);
        let body = m.request_body(&req);
        assert_eq!(body["messages"][1]["content"], Value::Null);
        assert_eq!(body["messages"][1]["tool_calls"][0]["type"], "function");
        assert_eq!(
            body["messages"][1]["tool_calls"][0]["function"]["arguments"],
            "{}"
        );
        assert_eq!(body["messages"][2]["tool_call_id"], "c1");
        assert_eq!(
            body["tools"][0]["function"]["parameters"],
            json!({"type": "object"})
        );
        assert_eq!(body["response_format"]["json_schema"]["strict"], false);
        assert_eq!(body["temperature"], json!(0.2));
        assert_eq!(body["stream_options"]["include_usage"], true);
        let bare = m.request_body(&ChatRequest::new(&msgs, &[]));
        assert!(bare.get("tools").is_none());
        assert!(bare.get("response_format").is_none());
    }

    #[test]
    fn deltas_without_index_and_new_ids() {
        let mut acc = Accumulator::default();
        let frag = |id: Option<&str>, name: Option<&str>, args: &str| WireToolCall {
            index: None,
            id: id.map(str::to_string),
            function: Some(WireFunction {
                name: name.map(str::to_string),
                arguments: Some(json!(args)),
            }),
        };
        acc.add_call_delta(&frag(Some("a"), Some("f"), "{\"x\":"));
        acc.add_call_delta(&frag(None, None, "1}"));
        acc.add_call_delta(&frag(Some("b"), Some("g"), "{}"));
        let turn = acc.into_turn();
        assert_eq!(turn.tool_calls.len(), 2);
        assert_eq!(turn.tool_calls[0].arguments, "{\"x\":1}");
        assert_eq!(turn.tool_calls[1].id, "b");
    }

    #[test]
    fn error_bodies_are_classified() {
        let m = model();
        let fatal = |status, body: &str| {
            let (msg, code) = error_message(body);
            m.classify_status(status, &msg, &code)
        };
        assert!(
            matches!(fatal(401, r#"{"error":{"message":"Incorrect API key provided: sk-secret-123456"}}"#),
            Some(ModelError::Auth { ref detail, .. }) if !detail.contains("secret"))
        );
        assert!(matches!(
            fatal(
                429,
                r#"{"error":{"message":"quota","type":"insufficient_quota"}}"#
            ),
            Some(ModelError::Quota { .. })
        ));
        assert!(matches!(
            fatal(
                400,
                r#"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error"}}"#
            ),
            Some(ModelError::ContextLength { .. })
        ));
        assert!(matches!(
            fatal(
                404,
                r#"{"error":"model \"qwen\" not found, try pulling it first"}"#
            ),
            Some(ModelError::ModelNotFound { .. })
        ));
        assert!(
            matches!(fatal(400, r#"{"detail":"bad field"}"#), Some(ModelError::BadRequest { ref detail }) if detail == ": bad field")
        );
        assert!(fatal(503, "upstream busy").is_none());
        assert!(
            fatal(
                429,
                r#"{"error":{"message":"slow down","type":"rate_limit"}}"#
            )
            .is_none()
        );
    }

    #[test]
    fn retry_after_and_scrub() {
        assert_eq!(parse_retry_after("1"), Some(Duration::from_secs(1)));
        assert_eq!(parse_retry_after("9999"), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        let s = scrub("bad key sk-abcdef1234\nsecond line", None);
        assert_eq!(s, "bad key sk-[redacted] second line");
        assert!(truncate(&"x".repeat(500), 10).chars().count() <= 10);
    }
}
