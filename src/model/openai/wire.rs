//! The wire format: request messages as OpenAI expects them, and lenient response types that accept
//! what llama.cpp, Ollama, vLLM, LM Studio and proxies actually send (completion and stream chunk
//! alike), accumulated into one assistant turn.

use super::*;

// ---------------------------------------------------------------------------------------------
// Request shape
// ---------------------------------------------------------------------------------------------

pub(super) fn wire_message(m: &Message) -> Value {
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

/// A `GET /models` listing; only the ids matter.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WireModelList {
    #[serde(deserialize_with = "nullable")]
    pub(super) data: Vec<WireModelEntry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WireModelEntry {
    pub(super) id: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WireCompletion {
    #[serde(deserialize_with = "nullable")]
    pub(super) choices: Vec<WireChoice>,
    pub(super) usage: Option<WireUsage>,
    pub(super) error: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WireChoice {
    #[serde(deserialize_with = "lenient_u64")]
    pub(super) index: Option<u64>,
    pub(super) message: Option<WireMessage>,
    pub(super) delta: Option<WireMessage>,
    /// Legacy completions-style text.
    #[serde(deserialize_with = "lenient_string")]
    pub(super) text: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) finish_reason: Option<String>,
    /// `{content: [{token, logprob, top_logprobs: [{token, logprob}]}]}` when asked for.
    pub(super) logprobs: Option<WireLogprobs>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WireLogprobs {
    #[serde(deserialize_with = "nullable")]
    pub(super) content: Vec<WireTokenLogprob>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WireTokenLogprob {
    #[serde(deserialize_with = "lenient_string")]
    pub(super) token: Option<String>,
    pub(super) logprob: Option<f64>,
    #[serde(deserialize_with = "nullable")]
    pub(super) top_logprobs: Vec<WireTopLogprob>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WireTopLogprob {
    #[serde(deserialize_with = "lenient_string")]
    pub(super) token: Option<String>,
    pub(super) logprob: Option<f64>,
}

impl WireTokenLogprob {
    /// The token and its alternatives; `None` without a token or a finite log-probability.
    fn to_choices(&self) -> Option<TokenChoices> {
        let finite = |l: Option<f64>| l.filter(|l| l.is_finite()).map(|l| l as f32);
        let token = self.token.clone()?;
        let logprob = finite(self.logprob)?;
        let mut top: Vec<(String, f32)> = self
            .top_logprobs
            .iter()
            .filter_map(|t| Some((t.token.clone()?, finite(t.logprob)?)))
            .collect();
        if !top.iter().any(|(t, _)| *t == token) {
            top.push((token.clone(), logprob));
        }
        top.sort_by(|a, b| b.1.total_cmp(&a.1));
        Some(TokenChoices {
            token,
            logprob,
            top,
        })
    }
}

/// A message or delta. `reasoning_content` and other extras are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WireMessage {
    pub(super) content: Option<Value>,
    #[serde(deserialize_with = "nullable")]
    pub(super) tool_calls: Vec<WireToolCall>,
    pub(super) function_call: Option<WireFunction>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WireToolCall {
    #[serde(deserialize_with = "lenient_u64")]
    pub(super) index: Option<u64>,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) id: Option<String>,
    pub(super) function: Option<WireFunction>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WireFunction {
    #[serde(deserialize_with = "lenient_string")]
    pub(super) name: Option<String>,
    /// Usually a JSON string; some servers send an object.
    pub(super) arguments: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WireUsage {
    #[serde(deserialize_with = "lenient_u64")]
    pub(super) prompt_tokens: Option<u64>,
    #[serde(deserialize_with = "lenient_u64")]
    pub(super) completion_tokens: Option<u64>,
    /// OpenAI, llama.cpp and vLLM report the prompt tokens served from the prompt cache here.
    pub(super) prompt_tokens_details: Option<WirePromptDetails>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WirePromptDetails {
    #[serde(deserialize_with = "lenient_u64")]
    pub(super) cached_tokens: Option<u64>,
}

impl WireUsage {
    pub(super) fn to_usage(&self) -> Usage {
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

pub(super) fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

pub(super) fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

pub(super) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// Text of a `content` value: a string or an array of `{type: "text", text}` parts.
pub(super) fn content_text(v: &Value) -> Option<String> {
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

pub(super) fn pick_choice(choices: Vec<WireChoice>) -> Option<WireChoice> {
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
pub(super) struct Accumulator {
    pub(super) text: String,
    pub(super) calls: Vec<PartialCall>,
    pub(super) finish: Option<String>,
    pub(super) usage: Option<Usage>,
    pub(super) logprobs: Vec<TokenChoices>,
}

pub(super) struct PartialCall {
    pub(super) slot: u64,
    pub(super) id: Option<String>,
    pub(super) name: String,
    pub(super) arguments: String,
}

impl Accumulator {
    /// Keeps the log-probabilities of the tokens in one completion or stream chunk.
    pub(super) fn add_logprobs(&mut self, logprobs: Option<&WireLogprobs>) {
        if let Some(lp) = logprobs {
            self.logprobs
                .extend(lp.content.iter().filter_map(WireTokenLogprob::to_choices));
        }
    }

    /// Merges one tool-call fragment: by `index` when given, else into the last call; a new `id`
    /// always starts a new call.
    pub(super) fn add_call_delta(&mut self, delta: &WireToolCall) {
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

    pub(super) fn into_turn(mut self) -> AssistantTurn {
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
            logprobs: self.logprobs,
        }
    }
}
