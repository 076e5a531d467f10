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

use crate::strings::one_line;
use async_openai::config::OpenAIConfig;
use async_openai::error::{OpenAIError, StreamError};
use async_openai::middleware::HttpRequestFactory;
use futures::StreamExt;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use super::{
    AssistantTurn, ChatModel, ChatRequest, Message, ModelError, Role, TextSink, TokenChoices,
    ToolCall, Usage,
};

/// Longest wait a `Retry-After` header can impose.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Longest computed backoff between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Longest server message quoted in an error.
const MAX_DETAIL_CHARS: usize = 160;
/// Deadline of the model listing asked once at start.
const LIST_TIMEOUT: Duration = Duration::from_secs(10);
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
    /// The server's host and port, for the label.
    host: String,
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
        Ok(Self {
            cfg,
            client,
            host,
            observer: None,
        })
    }

    /// The same client asking for `model` (the HTTP client is kept).
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.cfg.model = model.into();
        self
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
        if let Some(n) = req.top_logprobs {
            body.insert("logprobs".into(), json!(true));
            body.insert("top_logprobs".into(), json!(n.min(20)));
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

    /// The ids of the models the server lists (`GET /models`), in its order: one attempt within
    /// [`LIST_TIMEOUT`], errors classified as a chat call's are.
    pub async fn served_models(&self) -> Result<Vec<String>, ModelError> {
        let models = self.client.models();
        let call = models.list_byot::<WireModelList>();
        let failure = match tokio::time::timeout(LIST_TIMEOUT, call).await {
            Ok(Ok(list)) => {
                return Ok(list
                    .data
                    .into_iter()
                    .map(|m| m.id.trim().to_string())
                    .filter(|id| !id.is_empty())
                    .collect());
            }
            Ok(Err(e)) => self.triage(Failure::from_openai(e)),
            Err(_) => Failure::Timeout(LIST_TIMEOUT),
        };
        Err(self.final_error(failure, 1))
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
        acc.add_logprobs(choice.logprobs.as_ref());
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
                acc.add_logprobs(choice.logprobs.as_ref());
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
        format!("{} @ {}", self.cfg.model, self.host)
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

mod failure;
mod http;
mod wire;

use failure::*;
use http::*;
use wire::*;

#[cfg(test)]
mod tests;
