//! Bounded context: the model sees the system prompt, the running summary right after it (frozen
//! until the next fold), and the newest exchanges that fit the budget, each candidate message
//! with the state block of its turn at its head. Old exchanges fold into the summary only when the
//! budget needs it; scores never do (they live in the state).

use crate::model::{ChatModel, ChatRequest, Message, ModelError, Role};
use crate::scoring::Verdict;
use crate::state::InterviewState;
use crate::state::MemorySnapshot;
use std::fmt::Write as _;
use std::sync::Arc;

/// The part of the budget past which old exchanges are folded into the summary: a fold rewrites
/// the request after the fixed prefix, so it waits until the budget needs it.
pub const FOLD_AT: f32 = 1.0;
/// Folding continues until the request is under this part of the budget.
pub const FOLD_TO: f32 = 0.5;
/// The summary may use at most this part of the budget.
pub const SUMMARY_SHARE: f32 = 0.15;

/// The conversation as the model remembers it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Memory {
    pub summary: String,
    pub recent: Vec<Message>,
}

impl Memory {
    pub fn from_snapshot(s: MemorySnapshot) -> Self {
        Self {
            summary: s.summary,
            recent: s.recent,
        }
    }

    pub fn snapshot(&self) -> MemorySnapshot {
        MemorySnapshot {
            summary: self.summary.clone(),
            recent: self.recent.clone(),
        }
    }

    pub fn push(&mut self, m: Message) {
        self.recent.push(m);
    }

    /// The interviewer's line of the current turn, as it was finally said: a `say` call with the
    /// checked fields and its result (the model then continues from what the candidate heard, not
    /// from its draft). Words the model wrote last without a tool call, never yet sent, go.
    pub fn said_this_turn(&mut self, (call, result): (Message, Message)) {
        let turn = self
            .recent
            .iter()
            .rposition(|m| m.role == Role::User)
            .map_or(0, |i| i + 1);
        let mut i = self.recent.len();
        while i > turn
            && self.recent[i - 1].role == Role::Assistant
            && self.recent[i - 1].tool_calls.is_empty()
        {
            i -= 1;
        }
        self.recent.truncate(i);
        self.recent.push(call);
        self.recent.push(result);
    }

    /// What the interviewer said in the turn before the current one (the words of the last
    /// assistant message before the newest candidate message), empty when nothing was.
    pub fn previous_reply(&self) -> &str {
        crate::model::previous_reply(&self.recent)
    }

    /// Number of exchanges (a user message and everything up to the next one).
    pub fn exchanges(&self) -> usize {
        self.recent.iter().filter(|m| m.role == Role::User).count()
    }

    /// Remove the oldest exchange, keeping at least `keep` exchanges. An exchange starts at a user
    /// message, so an assistant tool call and its tool results always leave together.
    pub fn evict_oldest(&mut self, keep: usize) -> Option<Vec<Message>> {
        if self.exchanges() <= keep {
            return None;
        }
        let first_user = self.recent.iter().position(|m| m.role == Role::User)?;
        let next_user = self
            .recent
            .iter()
            .skip(first_user + 1)
            .position(|m| m.role == Role::User)?
            + first_user
            + 1;
        Some(self.recent.drain(..next_user).collect())
    }

    /// The messages of one request: the system prompt (byte-identical all session long), the
    /// summary of folded turns (the same until the next fold), then the remembered messages
    /// exactly as they were sent before. So a request extends the previous one and servers reuse
    /// their cached prompt prefix; only a fold changes earlier text.
    pub fn request(&self, system: &str) -> Vec<Message> {
        let mut out = Vec::with_capacity(self.recent.len() + 2);
        out.push(Message::system(system));
        if let Some(summary) = summary_message(&self.summary) {
            out.push(summary);
        }
        out.extend(self.recent.iter().cloned());
        out
    }
}

/// The message that carries the summary of folded turns, if there is one.
pub fn summary_message(summary: &str) -> Option<Message> {
    let summary = summary.trim();
    (!summary.is_empty())
        .then(|| Message::user(format!("[Summary of the earlier conversation: {summary}]")))
}

/// A candidate message with the turn's state block at its head.
pub fn with_state(pinned: &str, text: &str) -> String {
    format!(
        "{}\n{}\n{}\n\n{text}",
        crate::model::STATE_OPEN,
        pinned.trim_end(),
        crate::model::STATE_CLOSE
    )
}

/// A remembered message's words, without its state block.
fn words(m: &Message) -> &str {
    crate::model::split_state(m.text()).1
}

/// Folds evicted exchanges into the running summary: new summary = f(old summary, evicted).
#[async_trait::async_trait]
pub trait Summarizer: Send + Sync {
    async fn fold(&self, summary: &str, evicted: &[Message], max_chars: usize) -> String;
}

/// Offline: keeps one short line per exchange, dropping the oldest lines past the cap.
pub struct Extractive;

impl Extractive {
    fn line(evicted: &[Message]) -> String {
        let first_words = |t: &str, n: usize| {
            let words: Vec<&str> = t.split_whitespace().take(n).collect();
            let more = t.split_whitespace().count() > n;
            format!("{}{}", words.join(" "), if more { "…" } else { "" })
        };
        let mut line = String::new();
        for m in evicted {
            match m.role {
                Role::User if !words(m).is_empty() => {
                    let _ = write!(line, "Candidate: \"{}\" ", first_words(words(m), 14));
                }
                Role::Assistant if !m.text().is_empty() => {
                    let _ = write!(line, "Interviewer: \"{}\" ", first_words(m.text(), 14));
                }
                _ => {}
            }
        }
        line.trim().to_string()
    }
}

/// Keep the newest lines of `text` within `max_chars`.
pub fn cap_lines(text: &str, max_chars: usize) -> String {
    let mut kept: Vec<&str> = vec![];
    let mut used = 0;
    for line in text.lines().rev().filter(|l| !l.trim().is_empty()) {
        if used + line.len() + 1 > max_chars {
            if kept.is_empty() {
                // One long paragraph: keep its end, cut at a character boundary.
                let mut start = line.len().saturating_sub(max_chars);
                while !line.is_char_boundary(start) {
                    start += 1;
                }
                return line[start..].trim_start().to_string();
            }
            break;
        }
        used += line.len() + 1;
        kept.push(line);
    }
    kept.reverse();
    kept.join("\n")
}

#[async_trait::async_trait]
impl Summarizer for Extractive {
    async fn fold(&self, summary: &str, evicted: &[Message], max_chars: usize) -> String {
        let line = Self::line(evicted);
        let joined = if summary.trim().is_empty() {
            line
        } else {
            format!("{}\n{line}", summary.trim())
        };
        cap_lines(&joined, max_chars)
    }
}

/// LLM mode: the model rewrites the summary with `prompts/summarizer.md`; falls back to extractive.
pub struct LlmSummarizer {
    pub model: Arc<dyn ChatModel>,
}

const SUMMARIZER_PROMPT: &str = crate::prompts::SUMMARIZER;

#[async_trait::async_trait]
impl Summarizer for LlmSummarizer {
    async fn fold(&self, summary: &str, evicted: &[Message], max_chars: usize) -> String {
        let mut transcript = String::new();
        for m in evicted {
            let who = match m.role {
                Role::User => "Candidate",
                Role::Assistant if !m.text().is_empty() => "Interviewer",
                _ => continue,
            };
            let _ = writeln!(transcript, "{who}: {}", words(m).trim());
        }
        let prompt = SUMMARIZER_PROMPT
            .replace(
                "{summary}",
                if summary.trim().is_empty() {
                    "(none yet)"
                } else {
                    summary.trim()
                },
            )
            .replace("{turns}", transcript.trim())
            .replace("{max_words}", &(max_chars / 7).max(40).to_string());
        let msgs = [
            Message::system(prompt),
            Message::user("Write the updated summary now."),
        ];
        let mut sink = |_: &str| {};
        let mut req = ChatRequest::new(&msgs, &[]);
        req.max_tokens = Some((max_chars / 3).clamp(64, 600) as u32);
        match self.model.complete(req, &mut sink).await {
            Ok(turn) if is_summary(turn.text()) => cap_lines(turn.text().trim(), max_chars),
            _ => Extractive.fold(summary, evicted, max_chars).await,
        }
    }
}

/// Whether a model's reply reads like a summary (not empty, not an echo of the prompt's labels,
/// not data); otherwise the extractive summary is used.
fn is_summary(text: &str) -> bool {
    let t = crate::model::speakable(text);
    let lower = t.to_lowercase();
    t.split_whitespace().count() >= 8
        && ![
            "current summary",
            "(none",
            "new turns",
            "write the updated summary",
        ]
        .iter()
        .any(|p| lower.starts_with(p))
}

/// The state block of a turn: plan, questions asked with their scores and open points, the
/// current question and its probes left. Rendered from the state at the start of every turn (the
/// rubric itself comes from lookup_rubric), so scores are never summarised.
pub fn render_state(state: &InterviewState) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "mode: {} | planned questions: {} | asked: {} | why-probes allowed per question: {}",
        state.mode,
        state.plan.len(),
        state.questions.len(),
        state.max_probes
    );
    let remaining: Vec<&str> = state.remaining().collect();
    let _ = writeln!(
        s,
        "still to ask: {}",
        if remaining.is_empty() {
            "none".to_string()
        } else {
            remaining.join(", ")
        }
    );
    for (i, rec) in state.questions.iter().enumerate() {
        let score = match (rec.skipped(), rec.score()) {
            (true, _) => "skipped".to_string(),
            (false, Some(sc)) => {
                let missed: Vec<&str> = sc
                    .points
                    .iter()
                    .filter(|p| p.verdict != Verdict::Covered)
                    .map(|p| p.id.as_str())
                    .collect();
                format!(
                    "score {:.1}/10, not covered: {}",
                    sc.score,
                    if missed.is_empty() {
                        "-".into()
                    } else {
                        missed.join(", ")
                    }
                )
            }
            (false, None) => "not scored yet".to_string(),
        };
        let _ = writeln!(
            s,
            "{}. {} ({}): {}; probes asked {}",
            i + 1,
            rec.id,
            rec.domain,
            score,
            rec.probe_count()
        );
    }
    if let Some(cur) = state.current().filter(|_| !state.is_over()) {
        let _ = writeln!(
            s,
            "current_question: {} | answers: {} | probes left on this question: {}",
            cur.id,
            cur.answer_count(),
            state.max_probes.saturating_sub(cur.probe_count())
        );
    }
    if let Some(reason) = &state.ended {
        let _ = writeln!(s, "the interview has ended: {reason}");
    }
    s
}

/// A failed model call during summarisation is never fatal; this only reports context errors.
pub fn is_context_error(e: &ModelError) -> bool {
    matches!(e, ModelError::ContextLength { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ToolCall;

    fn call(id: &str) -> Message {
        Message::assistant_calls(
            None,
            vec![ToolCall {
                id: id.into(),
                name: "score_answer".into(),
                arguments: "{}".into(),
            }],
        )
    }

    #[test]
    fn eviction_takes_whole_exchanges_and_keeps_tool_results_with_their_calls() {
        let mut m = Memory::default();
        for i in 0..3 {
            m.push(Message::user(format!("answer {i}")));
            m.push(call(&format!("c{i}")));
            m.push(Message::tool(format!("c{i}"), "{}"));
            m.push(Message::assistant(format!("question {i}")));
        }
        let evicted = m.evict_oldest(1).expect("evicts");
        assert_eq!(evicted.len(), 4);
        assert_eq!(evicted[0].text(), "answer 0");
        assert_eq!(m.recent[0].text(), "answer 1");
        assert!(m.evict_oldest(1).is_some());
        assert!(
            m.evict_oldest(1).is_none(),
            "the newest exchange always stays"
        );
    }

    #[test]
    fn a_single_long_summary_line_is_cut_not_dropped() {
        let long = "word ".repeat(100);
        let capped = cap_lines(&long, 50);
        assert!(!capped.is_empty() && capped.len() <= 50);
        assert_eq!(cap_lines("a\nb\nc", 4), "b\nc");
    }

    #[test]
    fn echoes_and_fragments_are_not_summaries() {
        assert!(!is_summary("Current summary:"));
        assert!(!is_summary("(none yet)"));
        assert!(!is_summary("{\"summary\": \"x\"}"));
        assert!(is_summary(
            "The candidate explained self-attention well and was probed on why RoPE extrapolates."
        ));
    }

    #[tokio::test]
    async fn extractive_summary_is_bounded_and_keeps_newest_lines() {
        let mut summary = String::new();
        for i in 0..50 {
            let ev = [
                Message::user(format!("my answer number {i} about attention")),
                Message::assistant("why?"),
            ];
            summary = Extractive.fold(&summary, &ev, 400).await;
        }
        assert!(summary.len() <= 400);
        assert!(summary.contains("number 49"));
        assert!(!summary.contains("number 0 "));
    }
}
