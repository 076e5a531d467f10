//! Token accounting over every model call of a session — interviewer turns, the judge and the
//! summariser alike: the usage the server reports for each call, or an estimate when it reports none.

use super::tokens::TokenCounter;
use crate::model::{AssistantTurn, ChatModel, ChatRequest, ModelError, TextSink};
use crate::state::UsageTotals;
use std::sync::{Arc, Mutex};

/// A [`ChatModel`] wrapper that adds up the usage of the calls that go through it.
pub struct UsageMeter {
    inner: Arc<dyn ChatModel>,
    counter: TokenCounter,
    totals: Mutex<UsageTotals>,
}

impl UsageMeter {
    /// Start counting from `start` (a resumed session's totals).
    pub fn new(inner: Arc<dyn ChatModel>, counter: TokenCounter, start: UsageTotals) -> Self {
        Self {
            inner,
            counter,
            totals: Mutex::new(start),
        }
    }

    pub fn totals(&self) -> UsageTotals {
        self.totals.lock().map(|t| *t).unwrap_or_default()
    }

    fn record(&self, req: &ChatRequest<'_>, turn: &AssistantTurn) {
        let reported = turn.usage.filter(|u| u.prompt_tokens > 0);
        let prompt = match reported {
            Some(u) => u64::from(u.prompt_tokens),
            None => (self.counter.messages(req.messages) + self.counter.tools(req.tools)) as u64,
        };
        let completion = match reported {
            Some(u) => u64::from(u.completion_tokens),
            None => {
                let calls: usize = turn
                    .tool_calls
                    .iter()
                    .map(|c| self.counter.text(&c.arguments))
                    .sum();
                (self.counter.text(turn.text()) + calls) as u64
            }
        };
        tracing::debug!(
            prompt,
            completion,
            reported = reported.is_some(),
            "model call usage"
        );
        if let Ok(mut t) = self.totals.lock() {
            t.llm_calls += 1;
            t.prompt_tokens += prompt;
            t.completion_tokens += completion;
            t.max_prompt_tokens = t.max_prompt_tokens.max(prompt);
            t.cached_prompt_tokens += reported.map_or(0, |u| u64::from(u.cached_prompt_tokens));
        }
    }
}

#[async_trait::async_trait]
impl ChatModel for UsageMeter {
    fn name(&self) -> String {
        self.inner.name()
    }

    async fn complete(
        &self,
        req: ChatRequest<'_>,
        on_text: TextSink<'_>,
    ) -> Result<AssistantTurn, ModelError> {
        let turn = self.inner.complete(req, on_text).await?;
        self.record(&req, &turn);
        Ok(turn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Message, Usage};

    struct Fixed(Option<Usage>);

    #[async_trait::async_trait]
    impl ChatModel for Fixed {
        fn name(&self) -> String {
            "fixed".into()
        }
        async fn complete(
            &self,
            _: ChatRequest<'_>,
            _: TextSink<'_>,
        ) -> Result<AssistantTurn, ModelError> {
            Ok(AssistantTurn {
                content: Some("hello there".into()),
                usage: self.0,
                ..Default::default()
            })
        }
    }

    #[tokio::test]
    async fn reported_usage_is_added_up_and_missing_usage_estimated() {
        let reported = UsageMeter::new(
            Arc::new(Fixed(Some(Usage {
                prompt_tokens: 100,
                completion_tokens: 7,
                cached_prompt_tokens: 60,
            }))),
            TokenCounter::Heuristic,
            UsageTotals {
                llm_calls: 1,
                prompt_tokens: 50,
                completion_tokens: 5,
                max_prompt_tokens: 50,
                cached_prompt_tokens: 10,
            },
        );
        let msgs = [Message::user("a question about attention")];
        let mut sink = |_: &str| {};
        for _ in 0..2 {
            reported
                .complete(ChatRequest::new(&msgs, &[]), &mut sink)
                .await
                .expect("ok");
        }
        let t = reported.totals();
        assert_eq!(
            (
                t.llm_calls,
                t.prompt_tokens,
                t.completion_tokens,
                t.max_prompt_tokens
            ),
            (3, 250, 19, 100)
        );
        assert_eq!(t.cached_prompt_tokens, 130, "cached tokens add up too");

        let estimated = UsageMeter::new(
            Arc::new(Fixed(None)),
            TokenCounter::Heuristic,
            UsageTotals::default(),
        );
        estimated
            .complete(ChatRequest::new(&msgs, &[]), &mut sink)
            .await
            .expect("ok");
        let t = estimated.totals();
        assert_eq!(t.llm_calls, 1);
        assert!(t.prompt_tokens > 0 && t.completion_tokens > 0);
    }
}
