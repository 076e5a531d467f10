//! Whether a question the model asks follows up on the question on the table. A follow-up asks
//! back about what was just said ("Why is that?"), or names something of that question: a word
//! few other questions of the bank use ("MinHash", "dedup" for data cleaning), or a word of the
//! candidate's latest answer the bank seldom uses. "Is there anything else you'd like to discuss?"
//! or a question about another topic is not one, and the loop puts the question on the table
//! instead.

use crate::bank::{Bank, Question};
use crate::prompts::phrases::Phrases;
use crate::scoring::text::lexicon::{lexicon, split_words};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// The words of each question, and in how many questions each word occurs.
#[derive(Debug, Default)]
pub struct Topics {
    by_question: HashMap<String, HashSet<String>>,
    questions_with: HashMap<String, usize>,
    /// A word in at most this many questions (a third of the bank) is distinctive of each of them.
    distinctive_up_to: usize,
}

/// The stemmed content words of a text, without the everyday ones (`generic_words`).
fn words(text: &str) -> HashSet<String> {
    static GENERIC: OnceLock<HashSet<String>> = OnceLock::new();
    let lex = lexicon();
    let generic = GENERIC.get_or_init(|| {
        let p = Phrases::get();
        p.generic_words.iter().map(|w| lex.stem(w)).collect()
    });
    split_words(text)
        .into_iter()
        .map(|(w, _)| w)
        .filter(|w| w.chars().count() >= 3 && !lex.is_stopword(w))
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .map(|w| lex.stem(&w))
        .filter(|w| !generic.contains(w))
        .collect()
}

/// What a question's bank entry says it is about: the question, its points and their probes (not
/// the reference answer or the phrasings candidates use, which are full of everyday words).
fn question_text(q: &Question) -> String {
    let mut text = vec![q.ask.as_str()];
    for p in &q.points {
        text.push(&p.expect);
        text.extend(p.keywords.iter().map(String::as_str));
        text.extend(p.probes.iter().map(String::as_str));
        text.extend(p.derivations.iter().map(String::as_str));
    }
    text.join(" ")
}

impl Topics {
    pub fn new(bank: &Bank) -> Self {
        let by_question: HashMap<String, HashSet<String>> = bank
            .questions
            .iter()
            .map(|q| (q.id.clone(), words(&question_text(q))))
            .collect();
        let mut questions_with: HashMap<String, usize> = HashMap::new();
        for ws in by_question.values() {
            for w in ws {
                *questions_with.entry(w.clone()).or_default() += 1;
            }
        }
        Self {
            distinctive_up_to: (by_question.len() / 3).max(1),
            by_question,
            questions_with,
        }
    }

    /// Whether `line`, asked after `answer` to question `id`, is about that question. A question
    /// the bank does not hold is never second-guessed.
    pub fn follows_up(&self, id: &str, answer: Option<&str>, line: &str) -> bool {
        let Some(own) = self.by_question.get(id) else {
            return true;
        };
        if asks_back(line) {
            return true;
        }
        let seldom =
            |w: &String| self.questions_with.get(w).copied().unwrap_or(0) <= self.distinctive_up_to;
        let said = answer.map(words).unwrap_or_default();
        words(line)
            .iter()
            .any(|w| seldom(w) && (own.contains(w) || said.contains(w)))
    }
}

/// Words a short question about what was just said has at most.
const ASK_BACK_WORDS: usize = 12;

/// Whether `line` is a short question about what was just said: it opens with a question word
/// and refers back ("Why is that?", "Could you say more about that?").
fn asks_back(line: &str) -> bool {
    let p = Phrases::get();
    let ws: Vec<String> = split_words(line).into_iter().map(|(w, _)| w).collect();
    let opens = ws.iter().take(2).any(|w| p.follow_up_openers.contains(w));
    let refers = ws.iter().skip(1).any(|w| p.back_references.contains(w));
    opens && refers && ws.len() <= ASK_BACK_WORDS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics() -> (Topics, Bank) {
        let bank = crate::bank::load_builtin().expect("bank");
        (Topics::new(&bank), bank)
    }

    #[test]
    fn questions_about_the_topic_follow_up_and_open_floor_or_other_topics_do_not() {
        let (t, _) = topics();
        // As a 1.5B model asked after answers on data cleaning and SFT data.
        assert!(!t.follows_up(
            "sft-data",
            None,
            "Is there anything else you'd like to discuss?"
        ));
        assert!(!t.follows_up(
            "data-cleaning",
            None,
            "Moving on, how do you plan to incorporate self-attention into the training process?"
        ));
        assert!(!t.follows_up(
            "self-attention",
            None,
            "Do you have any questions about transformer models or other aspects of LLM-engineering?"
        ));
        assert!(!t.follows_up(
            "sft-data",
            None,
            "In your experience, what's the most challenging aspect of building a large language model?"
        ));
        assert!(!t.follows_up(
            "sft-data",
            None,
            "Suppose you have to build a large language model using a transformer architecture?"
        ));
        // "pre" of "pre-training" is no word of its own.
        assert!(!t.follows_up(
            "data-cleaning",
            None,
            "What are the key factors that affect a self-supervised pre-training method?"
        ));
        assert!(t.follows_up(
            "data-cleaning",
            None,
            "How does MinHash find near-duplicate documents?"
        ));
        assert!(t.follows_up(
            "self-attention",
            None,
            "Why divide the scores by the square root of d_k?"
        ));
        // A word from the candidate's own answer that the bank seldom uses is on topic too.
        assert!(t.follows_up(
            "sft-data",
            Some("I would start from Dolly and filter it."),
            "How would you filter Dolly, then?"
        ));
        assert!(t.follows_up("no-such-question", None, "Anything else?"));
        // Asking back about what was just said is a follow-up, whatever its words.
        for line in [
            "Why is that?",
            "How so?",
            "Could you say more about that?",
            "And why does it hold?",
        ] {
            assert!(t.follows_up("kv-cache", None, line), "{line}");
        }
        assert!(!t.follows_up("kv-cache", None, "How can I assist you today?"));
        assert!(!t.follows_up("kv-cache", None, "What would you like to talk about?"));
        // Follow-ups a strong model might ask, in words of its own.
        for (id, line) in [
            (
                "kv-cache",
                "What happens to memory as the batch size grows?",
            ),
            (
                "rope",
                "What goes wrong when you run past the training length?",
            ),
            (
                "dpo",
                "What role does the reference model play in that loss?",
            ),
            (
                "self-attention",
                "What would break if we dropped the softmax?",
            ),
            (
                "lora",
                "Where in the network would you put the adapters, and why?",
            ),
            (
                "data-cleaning",
                "What about personal information in the crawl?",
            ),
            (
                "rope",
                "How do the rotation frequencies differ across dimensions?",
            ),
            ("dpo", "Why might it overfit compared with PPO?"),
            ("multi-head", "So how would you pick the head dimension?"),
            (
                "data-cleaning",
                "How would you decide what counts as low quality?",
            ),
            (
                "rope",
                "What goes wrong when you run past the training length?",
            ),
        ] {
            assert!(t.follows_up(id, None, line), "{id}: {line}");
        }
    }

    #[test]
    fn every_bank_probe_follows_up_on_its_own_question() {
        let (t, bank) = topics();
        for q in &bank.questions {
            assert!(t.follows_up(&q.id, None, &q.ask), "{}", q.id);
            for p in &q.points {
                for probe in p.probes.iter().chain(p.derivations.iter()) {
                    assert!(
                        t.follows_up(&q.id, None, probe),
                        "{} {}: {probe}",
                        q.id,
                        p.id
                    );
                }
            }
        }
    }
}
