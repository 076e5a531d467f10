//! Token accounting: tiktoken encodings (embedded, no download) chosen by model family, with an
//! approximate count plus a safety margin for models tiktoken does not know.

use crate::model::{Message, ToolSpec};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;
use tiktoken_rs::CoreBPE;
use tiktoken_rs::tokenizer::{Tokenizer, get_tokenizer};

/// Per-message framing overhead (role, separators), as in OpenAI's accounting.
const PER_MESSAGE: usize = 4;
/// Safety margin for models whose tokenizer is unknown (Qwen, Llama, Mistral...).
const UNKNOWN_MODEL_MARGIN: f32 = 1.25;

/// Counts tokens for one model.
#[derive(Clone, Copy)]
pub enum TokenCounter {
    /// The model's own encoding.
    Exact(&'static CoreBPE),
    /// A stand-in encoding times a safety margin.
    Approx(&'static CoreBPE, f32),
    /// No encoder at all (offline): about 3.5 characters per token, rounded up.
    Heuristic,
}

impl std::fmt::Debug for TokenCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenCounter::Exact(_) => f.write_str("Exact"),
            TokenCounter::Approx(_, m) => write!(f, "Approx(x{m})"),
            TokenCounter::Heuristic => f.write_str("Heuristic"),
        }
    }
}

impl TokenCounter {
    /// The counter for `model`: its tiktoken encoding when known, else cl100k with a margin.
    pub fn for_model(model: &str) -> TokenCounter {
        let name = model.rsplit('/').next().unwrap_or(model);
        match get_tokenizer(name) {
            Some(t) => match tiktoken_rs::bpe_for_tokenizer(t) {
                Ok(bpe) => TokenCounter::Exact(bpe),
                Err(_) => TokenCounter::Heuristic,
            },
            None => match tiktoken_rs::bpe_for_tokenizer(Tokenizer::Cl100kBase) {
                Ok(bpe) => TokenCounter::Approx(bpe, UNKNOWN_MODEL_MARGIN),
                Err(_) => TokenCounter::Heuristic,
            },
        }
    }

    pub fn text(&self, text: &str) -> usize {
        match self {
            TokenCounter::Exact(bpe) => bpe.encode_ordinary(text).len(),
            TokenCounter::Approx(bpe, margin) => {
                (bpe.encode_ordinary(text).len() as f32 * margin).ceil() as usize
            }
            TokenCounter::Heuristic => (text.chars().count() as f32 / 3.5).ceil() as usize,
        }
    }

    pub fn message(&self, m: &Message) -> usize {
        let calls: usize = m
            .tool_calls
            .iter()
            .map(|c| self.text(&c.name) + self.text(&c.arguments) + PER_MESSAGE)
            .sum();
        PER_MESSAGE + self.text(m.text()) + calls
    }

    pub fn messages(&self, msgs: &[Message]) -> usize {
        msgs.iter().map(|m| self.message(m)).sum::<usize>() + 3
    }

    pub fn tools(&self, tools: &[ToolSpec]) -> usize {
        tools
            .iter()
            .map(|t| {
                self.text(&t.name)
                    + self.text(&t.description)
                    + self.text(&t.parameters.to_string())
                    + PER_MESSAGE
            })
            .sum()
    }
}

/// A [`TokenCounter`] that remembers the count of every message it has seen: past messages never
/// change, so each request only counts what is new (the state block, the summary, the latest turn).
#[derive(Debug)]
pub struct CachedCounter {
    pub counter: TokenCounter,
    cache: Mutex<HashMap<u64, usize>>,
}

/// Entries kept before the cache starts over (a 60-turn interview has a few hundred messages).
const CACHE_LIMIT: usize = 4096;

impl CachedCounter {
    pub fn new(counter: TokenCounter) -> Self {
        Self {
            counter,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Tokens of a text (the state block and the summary repeat across requests).
    pub fn text(&self, text: &str) -> usize {
        let mut h = DefaultHasher::new();
        0u8.hash(&mut h);
        text.hash(&mut h);
        self.cached(h.finish(), || self.counter.text(text))
    }

    pub fn message(&self, m: &Message) -> usize {
        let mut h = DefaultHasher::new();
        1u8.hash(&mut h);
        m.role.hash(&mut h);
        m.text().hash(&mut h);
        m.tool_call_id.hash(&mut h);
        for c in &m.tool_calls {
            (&c.id, &c.name, &c.arguments).hash(&mut h);
        }
        self.cached(h.finish(), || self.counter.message(m))
    }

    fn cached(&self, key: u64, count: impl FnOnce() -> usize) -> usize {
        let Ok(mut cache) = self.cache.lock() else {
            return count();
        };
        if let Some(n) = cache.get(&key) {
            return *n;
        }
        let n = count();
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, n);
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_models_count_exactly_and_unknown_ones_with_a_margin() {
        let exact = TokenCounter::for_model("gpt-4o-mini");
        assert!(matches!(exact, TokenCounter::Exact(_)));
        let n = exact.text("hello world, this is an interview");
        assert!((5..=10).contains(&n), "{n}");
        let approx = TokenCounter::for_model("qwen2.5-coder-0.5b-instruct");
        assert!(matches!(approx, TokenCounter::Approx(_, _)));
        assert!(approx.text("hello world, this is an interview") >= n);
        assert_eq!(TokenCounter::Heuristic.text("abcdefg"), 2);
    }

    #[test]
    fn cached_counts_equal_fresh_counts() {
        let cached = CachedCounter::new(TokenCounter::for_model("gpt-4o"));
        let m = Message::user("why does RoPE extrapolate to longer contexts?");
        let fresh = cached.counter.message(&m);
        assert_eq!(cached.message(&m), fresh);
        assert_eq!(cached.message(&m), fresh);
        assert_ne!(
            cached.message(&Message::assistant(
                "why does RoPE extrapolate to longer contexts?"
            )),
            0
        );
    }
}
