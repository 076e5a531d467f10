//! What went wrong in one attempt, how the retry loop treats it, and the error texts users see.

use super::*;

// ---------------------------------------------------------------------------------------------
// Failures of one attempt
// ---------------------------------------------------------------------------------------------

/// What went wrong in one attempt, before the retry decision.
#[derive(Debug)]
pub(super) enum Failure {
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
    pub(super) fn retryable(&self) -> bool {
        matches!(
            self,
            Failure::Status { .. } | Failure::Timeout(_) | Failure::Dropped(_)
        )
    }

    pub(super) fn retry_after(&self) -> Option<Duration> {
        match self {
            Failure::Status {
                status: 429 | 503,
                retry_after,
                ..
            } => *retry_after,
            _ => None,
        }
    }

    pub(super) fn reason(&self) -> String {
        match self {
            Failure::Status { status, .. } => format!("HTTP {status}"),
            Failure::Timeout(d) => format!("no answer within {d:?}"),
            Failure::Connect(d) | Failure::Dropped(d) | Failure::Protocol(d) => d.clone(),
            Failure::Fatal(e) => e.to_string(),
        }
    }

    pub(super) fn from_openai(e: OpenAIError) -> Failure {
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

    pub(super) fn from_reqwest(e: &reqwest::Error) -> Failure {
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
    pub(super) fn from_body_error(err: &Value) -> Failure {
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
pub(super) struct HttpFailure {
    pub(super) status: u16,
    pub(super) retry_after: Option<Duration>,
    pub(super) body: String,
}

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}", self.status)
    }
}

impl std::error::Error for HttpFailure {}

// ---------------------------------------------------------------------------------------------
// Error text helpers
// ---------------------------------------------------------------------------------------------

/// The server's message and code from an error body (OpenAI, Ollama, vLLM, FastAPI shapes).
pub(super) fn error_message(body: &str) -> (String, String) {
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

pub(super) fn is_context_message(lower: &str) -> bool {
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

pub(super) fn is_model_missing_message(lower: &str) -> bool {
    lower.contains("model_not_found")
        || (lower.contains("model")
            && (lower.contains("not found")
                || lower.contains("does not exist")
                || lower.contains("no such model")))
}

/// One line, key and `sk-` tokens redacted, at most [`MAX_DETAIL_CHARS`].
pub(super) fn scrub(message: &str, key: Option<&str>) -> String {
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

pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// A short single-line preview of an unparseable body.
pub(super) fn preview(raw: &str) -> String {
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

pub(super) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}

pub(super) fn connect_reason(chain: &str) -> String {
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

pub(super) fn short_reason(chain: &str) -> String {
    let lower = chain.to_lowercase();
    if lower.contains("reset") {
        "connection reset".to_string()
    } else if lower.contains("closed") || lower.contains("eof") || lower.contains("incomplete") {
        "connection closed early".to_string()
    } else {
        truncate(&one_line(chain), 80)
    }
}
