//! The embedded offline interviewer: a deterministic policy that plays the model's part in the same
//! ReAct loop, with the same tools and state. It reads the conversation and the tool results and
//! emits the tool calls a good interviewer would (pick → look up rubric → ask → score → probe or
//! move on → end); its words come from `prompts/phrases.toml`.

use super::{AssistantTurn, ChatModel, ChatRequest, Message, ModelError, Role, TextSink, ToolCall};
use crate::prompts::phrases::{Phrases, acknowledgement, fill, pick};
use serde_json::{Value, json};

/// The offline interviewer. `seed` picks the wording variants.
#[derive(Debug, Clone)]
pub struct OfflineModel {
    seed: u64,
}

impl OfflineModel {
    pub fn new(seed: u64) -> Self {
        Self { seed }
    }
}

#[async_trait::async_trait]
impl ChatModel for OfflineModel {
    fn name(&self) -> String {
        "offline".to_string()
    }

    async fn complete(
        &self,
        req: ChatRequest<'_>,
        on_text: TextSink<'_>,
    ) -> Result<AssistantTurn, ModelError> {
        let turn = Policy {
            seed: self.seed,
            messages: req.messages,
        }
        .next();
        if let Some(text) = &turn.content {
            on_text(text);
        }
        Ok(turn)
    }
}

struct Policy<'a> {
    seed: u64,
    messages: &'a [Message],
}

impl Policy<'_> {
    /// A wording key that varies along the conversation but is fixed for a given seed.
    fn key(&self, salt: u64) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ self.seed;
        for m in self.messages.iter().filter(|m| m.role != Role::System) {
            for b in m.text().bytes().take(64) {
                h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
            }
        }
        h ^ salt.wrapping_mul(0x9E37_79B9)
    }

    /// The state block: at the head of the newest candidate message (or, from older callers, in
    /// the system prompt).
    fn system(&self) -> &str {
        self.messages
            .iter()
            .rev()
            .filter(|m| m.role == Role::User)
            .find_map(|m| super::split_state(m.text()).0)
            .or_else(|| {
                self.messages
                    .iter()
                    .find(|m| m.role == Role::System)
                    .map(Message::text)
            })
            .unwrap_or("")
    }

    /// A `name: value` field of the pinned state block.
    fn state_field(&self, name: &str) -> Option<String> {
        let prefix = format!("{name}: ");
        self.system()
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map(|v| v.split(" | ").next().unwrap_or(v).trim().to_string())
    }

    fn next(&self) -> AssistantTurn {
        match self.messages.last() {
            Some(m) if m.role == Role::Tool => self.after_tools(),
            Some(m) if m.role == Role::User => self.after_candidate(super::split_state(m.text()).1),
            _ => say(Phrases::get().fallback_continue.clone()),
        }
    }

    fn after_candidate(&self, text: &str) -> AssistantTurn {
        let p = Phrases::get();
        let current = self.state_field("current_question");
        if text.starts_with("[The candidate is ready") {
            let (mode, count) = self.mode_and_count();
            let greeting = fill(
                pick(&p.greeting, self.key(1)),
                &[("mode_name", &mode), ("questions", &count)],
            );
            return call(Some(greeting), "pick_question", json!({}));
        }
        if text.starts_with("[The candidate is back") {
            return call(
                Some("Welcome back, let's pick up where we left off.".into()),
                "pick_question",
                json!({}),
            );
        }
        if text.starts_with("[The candidate skipped") {
            return call(
                Some(pick(&p.skip_ack, self.key(2)).to_string()),
                "pick_question",
                json!({}),
            );
        }
        if text.starts_with("[The candidate wants to end") {
            return call(
                None,
                "end_interview",
                json!({"reason": "the candidate ended the interview"}),
            );
        }
        match current {
            Some(id) => call(
                None,
                "score_answer",
                json!({"question_id": id, "answer": text}),
            ),
            None => call(None, "pick_question", json!({})),
        }
    }

    /// React to the results of the latest tool calls (the last call decides).
    fn after_tools(&self) -> AssistantTurn {
        let p = Phrases::get();
        let Some((name, result)) = self.last_call_result() else {
            return say(p.fallback_continue.clone());
        };
        if let Some(err) = result.get("error").and_then(Value::as_str) {
            return match name.as_str() {
                "pick_question" => call(
                    None,
                    "end_interview",
                    json!({"reason": "all planned questions asked"}),
                ),
                "end_interview" => say(pick(&p.closing, self.key(3)).to_string()),
                _ if err.contains("not answered") => say(p.fallback_continue.clone()),
                _ => call(None, "pick_question", json!({})),
            };
        }
        match name.as_str() {
            "pick_question" => {
                let id = result
                    .get("question_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                call(None, "lookup_rubric", json!({"question_id": id}))
            }
            "lookup_rubric" => self.ask_picked(),
            "score_answer" => self.after_score(&result),
            "end_interview" => say(pick(&p.closing, self.key(4)).to_string()),
            _ => say(p.fallback_continue.clone()),
        }
    }

    /// Ask the question the latest pick_question returned, with a transition.
    fn ask_picked(&self) -> AssistantTurn {
        let p = Phrases::get();
        let Some(picked) = self.latest_result_of("pick_question") else {
            return say(p.fallback_continue.clone());
        };
        let ask = picked
            .get("ask")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if picked.get("still_current").and_then(Value::as_bool) == Some(true) {
            return say(fill(&p.fallback_repeat, &[("ask", ask)]));
        }
        let domain = picked
            .get("domain")
            .and_then(Value::as_str)
            .and_then(crate::bank::Domain::parse);
        let title = domain.map(|d| d.title()).unwrap_or("the next topic");
        let number = picked.get("number").and_then(Value::as_u64).unwrap_or(1);
        let lead = if number <= 1 {
            fill(pick(&p.first_question, self.key(5)), &[("domain", title)])
        } else if picked.get("previous_domain").is_some_and(|v| !v.is_null()) {
            fill(pick(&p.transition, self.key(6)), &[("domain", title)])
        } else {
            pick(&p.next_same_domain, self.key(7)).to_string()
        };
        say(format!("{lead} {ask}"))
    }

    fn after_score(&self, result: &Value) -> AssistantTurn {
        let p = Phrases::get();
        let ack = self.acknowledge(result);
        let next = result.get("next").cloned().unwrap_or(Value::Null);
        match next
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or("move_on")
        {
            "probe" => {
                let probe = next
                    .get("probe")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let deeper = acknowledged_score(result) >= 6.0;
                let lead = pick(
                    if deeper {
                        &p.probe_deeper
                    } else {
                        &p.probe_lead
                    },
                    self.key(8),
                );
                say(format!("{ack} {lead} {probe}"))
            }
            action => {
                let hint = next.get("hint").and_then(Value::as_str);
                let text = match hint {
                    Some(hint) => format!(
                        "{ack} {}",
                        fill(pick(&p.hint_lead, self.key(9)), &[("hint", hint)])
                    ),
                    None if action == "end" => ack,
                    None => format!("{ack} {}", pick(&p.move_on, self.key(10))),
                };
                if action == "end" {
                    call(
                        Some(text),
                        "end_interview",
                        json!({"reason": "all planned questions asked"}),
                    )
                } else {
                    call(Some(text), "pick_question", json!({}))
                }
            }
        }
    }

    /// An acknowledgement that matches the score: never praise a wrong answer. A probe answer is
    /// acknowledged on its own merit, not on the question's running score.
    fn acknowledge(&self, result: &Value) -> String {
        let claim = result
            .get("misconceptions")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find_map(Value::as_str));
        acknowledgement(
            acknowledged_score(result) as f32,
            claim,
            self.last_candidate_text(),
            self.key(12),
        )
    }

    fn mode_and_count(&self) -> (String, String) {
        let mode = self
            .state_field("mode")
            .unwrap_or_else(|| "first-round".into())
            .replace('-', " ");
        let count = self
            .system()
            .lines()
            .find_map(|l| {
                l.split(" | ")
                    .find_map(|part| part.strip_prefix("planned questions: "))
            })
            .and_then(|n| n.trim().parse().ok())
            .map(crate::prompts::phrases::questions)
            .unwrap_or_else(|| "a few questions".to_string());
        (mode, count)
    }

    fn last_candidate_text(&self) -> &str {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(|m| super::split_state(m.text()).1)
            .unwrap_or("")
    }

    /// The name and parsed result of the last tool call answered at the end of the conversation.
    fn last_call_result(&self) -> Option<(String, Value)> {
        let last = self.messages.last()?;
        let call_id = last.tool_call_id.as_deref()?;
        let name = self
            .messages
            .iter()
            .rev()
            .flat_map(|m| m.tool_calls.iter())
            .find(|c| c.id == call_id)
            .map(|c| c.name.clone())?;
        let value = serde_json::from_str(last.text()).unwrap_or(Value::Null);
        Some((name, value))
    }

    /// The latest successful result of the named tool.
    fn latest_result_of(&self, tool: &str) -> Option<Value> {
        self.messages
            .iter()
            .rev()
            .filter(|m| m.role == Role::Tool)
            .find_map(|m| {
                let id = m.tool_call_id.as_deref()?;
                let is_tool = self
                    .messages
                    .iter()
                    .flat_map(|a| a.tool_calls.iter())
                    .any(|c| c.id == id && c.name == tool);
                let v: Value = serde_json::from_str(m.text()).ok()?;
                (is_tool && v.get("error").is_none()).then_some(v)
            })
    }
}

/// The score an acknowledgement reflects: the latest reply's own for a probe answer, else the question's.
fn acknowledged_score(result: &Value) -> f64 {
    let num = |k: &str| result.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    if num("answers") > 1.0 {
        num("latest_answer_score")
    } else {
        num("score")
    }
}

fn say(text: String) -> AssistantTurn {
    AssistantTurn {
        content: Some(text),
        tool_calls: vec![],
        usage: None,
        finish_reason: Some("stop".into()),
    }
}

fn call(content: Option<String>, name: &str, args: Value) -> AssistantTurn {
    // Call ids only need to be unique within a session, across resumes too: a process tag and a counter.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    static TAG: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let tag = TAG.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() ^ d.as_secs() as u32)
            .unwrap_or(0)
    });
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    AssistantTurn {
        content,
        tool_calls: vec![ToolCall {
            id: format!("call_{tag:x}_{n}"),
            name: name.to_string(),
            arguments: args.to_string(),
        }],
        usage: None,
        finish_reason: Some("tool_calls".into()),
    }
}
