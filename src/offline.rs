//! The embedded offline interviewer: a deterministic policy that plays the model's part in the same
//! ReAct loop, with the same tools and state. It reads the conversation as a model would (the
//! stage directions of [`Stage`], the tool messages read back into the tools' typed outcomes) and
//! emits the tool calls a good interviewer would (pick → look up rubric → ask → score → probe or
//! move on → end); its words come from `prompts/phrases.toml`, said through the `say` tool as
//! any model says them.

use crate::model::{
    AssistantTurn, ChatModel, ChatRequest, Message, ModelError, Role, TextSink, ToolCall,
    split_state,
};
use crate::prompts::phrases::{Claim, Phrases, acknowledgement, closing, fill, greeting, pick};
use crate::prompts::stage::Stage;
use crate::state::probing::NextStep;
use crate::tools::{
    EndInterview, LookupRubric, PickQuestion, PickedQuestion, Say, SayArgs, SayKind, ScoreAnswer,
    ScoreReport, Tool, ToolOutcome,
};
use serde_json::{Value, json};

/// The reason the offline interviewer gives when it closes a finished plan.
const ALL_ASKED: &str = "all planned questions asked";

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
            .find_map(|m| split_state(m.text()).0)
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
            Some(m) if m.role == Role::User => self.after_candidate(split_state(m.text()).1),
            _ => say(Phrases::get().fallback_continue.clone()),
        }
    }

    fn after_candidate(&self, text: &str) -> AssistantTurn {
        let p = Phrases::get();
        let pick_next = |words: Option<String>| call(words, PickQuestion::NAME, json!({}));
        match Stage::parse(text) {
            Some(Stage::Ready) => {
                let (mode, count) = self.mode_and_count();
                pick_next(Some(greeting(&mode, &count, self.key(1))))
            }
            Some(Stage::Back) => pick_next(Some(p.welcome_back.clone())),
            // What was on the table when the interview stopped is put again, not skipped.
            Some(Stage::BackOpen { open }) => say_line(&p.welcome_back, &open, None, None),
            Some(Stage::Skipped) => pick_next(Some(pick(&p.skip_ack, self.key(2)).to_string())),
            Some(Stage::End) => call(
                None,
                EndInterview::NAME,
                json!({"reason": "the candidate ended the interview"}),
            ),
            Some(Stage::Hint { .. } | Stage::Speak) => say(p.fallback_continue.clone()),
            None => match self.state_field("current_question") {
                Some(id) => call(
                    None,
                    ScoreAnswer::NAME,
                    json!({"question_id": id, "answer": text}),
                ),
                None => pick_next(None),
            },
        }
    }

    /// React to the result of the latest tool call.
    fn after_tools(&self) -> AssistantTurn {
        let p = Phrases::get();
        let end =
            |words: Option<String>| call(words, EndInterview::NAME, json!({"reason": ALL_ASKED}));
        let Some((name, reply)) = self.last_call_result() else {
            return say(p.fallback_continue.clone());
        };
        match reply {
            Some(Err(err)) => match name.as_str() {
                PickQuestion::NAME => end(None),
                EndInterview::NAME => say(closing(self.candidate_ended(), self.key(3))),
                _ if err.contains("not answered") => say(p.fallback_continue.clone()),
                _ => call(None, PickQuestion::NAME, json!({})),
            },
            Some(Ok(ToolOutcome::Picked(picked))) => call(
                None,
                LookupRubric::NAME,
                json!({"question_id": picked.question_id}),
            ),
            Some(Ok(ToolOutcome::Rubric(_))) => self.ask_picked(),
            Some(Ok(ToolOutcome::Scored(report))) => self.after_score(&report),
            Some(Ok(ToolOutcome::Ended(_))) => say_line(
                "",
                &closing(self.candidate_ended(), self.key(4)),
                Some(SayKind::Closing),
                None,
            ),
            Some(Ok(ToolOutcome::Said(_))) => say(p.fallback_continue.clone()),
            None => say(p.fallback_continue.clone()),
        }
    }

    /// Ask the question the latest pick_question returned, with a transition.
    fn ask_picked(&self) -> AssistantTurn {
        let p = Phrases::get();
        let Some(picked) = self.latest_pick() else {
            return say(p.fallback_continue.clone());
        };
        if picked.still_current {
            let again = fill(&p.fallback_repeat, &[("ask", &picked.ask)]);
            return say_line("", &again, Some(SayKind::NextQuestion), None);
        }
        let title = picked.domain.title();
        let lead = if picked.number <= 1 {
            fill(pick(&p.first_question, self.key(5)), &[("domain", title)])
        } else if picked.previous_domain.is_some() {
            fill(pick(&p.transition, self.key(6)), &[("domain", title)])
        } else {
            pick(&p.next_same_domain, self.key(7)).to_string()
        };
        say_line(
            "",
            &format!("{lead} {}", picked.ask),
            Some(SayKind::NextQuestion),
            None,
        )
    }

    fn after_score(&self, report: &ScoreReport) -> AssistantTurn {
        let p = Phrases::get();
        let ack = self.acknowledge(report);
        let (hint, end) = match &report.next {
            NextStep::Probe {
                point,
                probe,
                derivation,
                ..
            } => {
                // Deeper only on what the candidate made: a gap is probed, not "gone deeper" on.
                let covered = report
                    .points
                    .iter()
                    .any(|v| &v.id == point && v.verdict == crate::scoring::Verdict::Covered);
                let lead = pick(
                    if *derivation || covered {
                        &p.probe_deeper
                    } else {
                        &p.probe_lead
                    },
                    self.key(8),
                );
                return say_line(
                    &ack,
                    &format!("{lead} {probe}"),
                    Some(SayKind::FollowUp),
                    Some(point.clone()),
                );
            }
            NextStep::MoveOn { hint, .. } => (hint, false),
            NextStep::End { hint, .. } => (hint, true),
        };
        let text = match hint {
            Some(hint) => format!(
                "{ack} {}",
                fill(pick(&p.hint_lead, self.key(9)), &[("hint", hint)])
            ),
            None if end => ack,
            None => format!("{ack} {}", pick(&p.move_on, self.key(10))),
        };
        if end {
            call(Some(text), EndInterview::NAME, json!({"reason": ALL_ASKED}))
        } else {
            call(Some(text), PickQuestion::NAME, json!({}))
        }
    }

    /// An acknowledgement that matches the score: never praise a wrong answer. A probe answer is
    /// acknowledged on its own merit, not on the question's running score.
    /// A wrong claim an earlier answer made was spoken to then, and is not said again.
    fn acknowledge(&self, report: &ScoreReport) -> String {
        let new = |c: &&String| !report.already_said.contains(c);
        acknowledgement(
            acknowledged_score(report),
            report
                .misconceptions
                .iter()
                .find(new)
                .map(|c| Claim::Wrong(c.as_str()))
                .or(report
                    .doubts
                    .iter()
                    .find(new)
                    .map(|c| Claim::Doubted(c.as_str()))),
            self.last_candidate_text(),
            self.key(12),
            self.previous_reply(),
        )
    }

    /// What the interviewer said before the newest candidate message.
    fn previous_reply(&self) -> &str {
        crate::model::previous_reply(self.messages)
    }

    /// Whether the candidate asked to end the interview (`/end`, Ctrl-D) in the newest message.
    fn candidate_ended(&self) -> bool {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .is_some_and(|m| Stage::parse(split_state(m.text()).1) == Some(Stage::End))
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
            .map(|m| split_state(m.text()).1)
            .unwrap_or("")
    }

    /// The name of the tool whose call `call_id` was.
    fn tool_of(&self, call_id: &str) -> Option<&str> {
        self.messages
            .iter()
            .rev()
            .flat_map(|m| m.tool_calls.iter())
            .find(|c| c.id == call_id)
            .map(|c| c.name.as_str())
    }

    /// The name and typed result of the tool call answered at the end of the conversation.
    fn last_call_result(&self) -> Option<(String, Option<Result<ToolOutcome, String>>)> {
        let last = self.messages.last()?;
        let name = self.tool_of(last.tool_call_id.as_deref()?)?;
        Some((name.to_string(), ToolOutcome::read(name, last.text())))
    }

    /// The latest successful pick_question result.
    fn latest_pick(&self) -> Option<PickedQuestion> {
        self.messages
            .iter()
            .rev()
            .filter(|m| m.role == Role::Tool)
            .find_map(|m| {
                let name = self.tool_of(m.tool_call_id.as_deref()?)?;
                match ToolOutcome::read(name, m.text()) {
                    Some(Ok(ToolOutcome::Picked(p))) => Some(p),
                    _ => None,
                }
            })
    }
}

/// The score an acknowledgement reflects: the latest reply's own for a probe answer, else the question's.
fn acknowledged_score(report: &ScoreReport) -> f32 {
    if report.answers > 1 {
        report.latest_answer_score
    } else {
        report.score
    }
}

/// Words with no field to go in (the loop then goes on in its own words).
fn say(text: String) -> AssistantTurn {
    say_line("", &text, None, None)
}

/// The interviewer's line, through the `say` tool.
fn say_line(
    acknowledgement: &str,
    question: &str,
    kind: Option<SayKind>,
    point: Option<String>,
) -> AssistantTurn {
    let args = SayArgs {
        acknowledgement: acknowledgement.to_string(),
        question: question.to_string(),
        kind,
        point,
    };
    call(
        None,
        Say::NAME,
        serde_json::to_value(args).unwrap_or_default(),
    )
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
        finish_reason: Some("tool_calls".into()),
        ..AssistantTurn::default()
    }
}
