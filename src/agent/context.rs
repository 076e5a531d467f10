//! The request within its budget: old exchanges fold into the summary only when the budget needs
//! it (see [`super::memory`]).

use super::interviewer::{Agent, Work};
use super::memory;

/// Characters per token, for sizing the summary in characters.
const CHARS_PER_TOKEN: f32 = 3.5;

impl Agent {
    /// The estimated tokens of a request built from `w`.
    pub(super) fn request_tokens(&self, w: &Work) -> usize {
        let summary = memory::summary_message(&w.memory.summary);
        self.fixed_tokens
            + summary.map_or(0, |m| self.counter.message(&m))
            + w.memory
                .recent
                .iter()
                .map(|m| self.counter.message(m))
                .sum::<usize>()
    }

    /// The summary's share of the budget, in characters.
    fn summary_chars(&self) -> usize {
        (self.config.context_tokens as f32 * memory::SUMMARY_SHARE * CHARS_PER_TOKEN) as usize
    }

    /// Fold the oldest exchanges into the summary while the request is past the budget's threshold.
    /// Returns the request's estimated size afterwards.
    pub(super) async fn fit_context(&self, w: &mut Work) -> usize {
        let budget = self.config.context_tokens as f32;
        let mut size = self.request_tokens(w);
        if size as f32 <= budget * memory::FOLD_AT {
            return size;
        }
        let mut evicted = vec![];
        while size as f32 > budget * memory::FOLD_TO {
            match w.memory.evict_oldest(1) {
                Some(batch) => {
                    size -= batch
                        .iter()
                        .map(|m| self.counter.message(m))
                        .sum::<usize>()
                        .min(size);
                    evicted.extend(batch);
                }
                None => break,
            }
        }
        if !evicted.is_empty() {
            w.memory.summary = self
                .summarizer
                .fold(&w.memory.summary, &evicted, self.summary_chars())
                .await;
        }
        self.request_tokens(w)
    }

    /// After a context-length error: keep only the newest exchange.
    pub(super) async fn fold_all(&self, w: &mut Work) {
        let mut evicted = vec![];
        while let Some(batch) = w.memory.evict_oldest(1) {
            evicted.extend(batch);
        }
        w.memory.summary = self
            .summarizer
            .fold(&w.memory.summary, &evicted, self.summary_chars() / 2)
            .await;
    }
}
