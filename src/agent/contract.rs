//! The turn contract, as text: what the interviewer says is cleaned and checked after the model
//! spoke, so it holds whatever the model does. Wrapping quotes go, a transition right after another
//! goes, an opening that praises an answer scoring below 6 (or lets a stated misconception pass) is
//! replaced with the acknowledgement for the score, and a turn that waits for an answer must ask
//! something (the loop adds the question on the table when it does not).

use crate::prompts::phrases::{
    PRAISE_FROM, Phrases, credits, names_internals, praises, says_not_right,
};

/// How the latest answer went, for its acknowledgement.
#[derive(Debug, Clone, PartialEq)]
pub struct Acknowledged {
    /// The answer's score (a probe answer's own score).
    pub score: f32,
    /// A wrong claim it stated, if any.
    pub claim: Option<String>,
}

/// The sentences of a spoken line, each with its trailing punctuation.
fn sentences(line: &str) -> Vec<&str> {
    let mut out = vec![];
    let mut start = 0;
    let bytes = line.as_bytes();
    for (i, c) in line.char_indices() {
        if matches!(c, '.' | '!' | '?') {
            let next = bytes.get(i + 1).copied();
            if next.is_none_or(|b| b == b' ') {
                let s = line[start..=i].trim();
                if !s.is_empty() {
                    out.push(s);
                }
                start = i + 1;
            }
        }
    }
    let rest = line[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// A line without the quotes a model wrapped around all of it.
pub fn unquote(line: &str) -> &str {
    let t = line.trim();
    for (open, close) in [('"', '"'), ('“', '”'), ('\'', '\''), ('«', '»')] {
        if let Some(inner) = t.strip_prefix(open).and_then(|r| r.strip_suffix(close))
            && !inner.contains(open)
            && !inner.contains(close)
        {
            return inner.trim();
        }
    }
    t
}

/// Whether a sentence is one of the interviewer's transitions ("Let's move on.", "Moving on.").
fn is_transition(sentence: &str) -> bool {
    let p = Phrases::get();
    let s = sentence.trim().to_lowercase();
    let known = p
        .move_on
        .iter()
        .chain(p.skip_ack.iter())
        .chain(p.next_same_domain.iter())
        .any(|t| t.to_lowercase() == s);
    known
        || [
            "understood.",
            "ok.",
            "okay.",
            "alright.",
            "moving on.",
            "let's move on.",
            "let's leave that there.",
            "next question.",
            "sure.",
        ]
        .contains(&s.as_str())
}

/// Clean the reply: unquote every line, drop empty lines and transitions that follow another
/// transition ("Understood. Moving on. Let's leave that there." keeps only the first).
pub fn clean(reply: &str) -> String {
    let mut out: Vec<String> = vec![];
    let mut last_was_transition = false;
    for line in reply.lines() {
        let line = unquote(line);
        if line.is_empty() {
            continue;
        }
        let mut kept: Vec<&str> = vec![];
        for s in sentences(line) {
            let t = is_transition(s);
            if t && last_was_transition {
                continue;
            }
            last_was_transition = t;
            kept.push(s);
        }
        if !kept.is_empty() {
            out.push(kept.join(" "));
        }
    }
    out.join("\n")
}

/// Replace the reply's opening sentence with `replacement` when it praises an answer scoring below
/// 6, or passes over a stated misconception without saying it is not right.
pub fn honest_opening(reply: &str, ack: &Acknowledged, replacement: &str) -> String {
    let Some(first_line) = reply.lines().next() else {
        return replacement.to_string();
    };
    let opening = sentences(first_line);
    let Some(first) = opening.first() else {
        return reply.to_string();
    };
    let low = ack.score < PRAISE_FROM;
    let praised = (praises(first) || credits(first)) && low;
    let unflagged = ack.claim.is_some() && !says_not_right(reply);
    if !praised && !unflagged {
        return reply.to_string();
    }
    // Keep the rest of the opening line unless it praises or credits the answer too.
    let rest: Vec<&str> = opening[1..]
        .iter()
        .copied()
        .filter(|s| !(low && (praises(s) || credits(s))))
        .collect();
    let mut line = replacement.to_string();
    if !rest.is_empty() {
        line.push(' ');
        line.push_str(&rest.join(" "));
    }
    let tail: Vec<&str> = reply.lines().skip(1).collect();
    if tail.is_empty() {
        line
    } else {
        format!("{line}\n{}", tail.join("\n"))
    }
}

/// The reply without the questions in it: when the loop puts its own question on the table (the
/// next planned question), a question the model asked as well would make two.
pub fn without_questions(reply: &str) -> String {
    keep_sentences(reply, |s| !s.ends_with('?'))
}

/// The reply without sentences about the interviewer's own machinery ("the why-probes you may
/// ask", "the rubric says"): the candidate never hears them, and a question among them is not
/// one the interview can record.
pub fn without_internals(reply: &str) -> String {
    keep_sentences(reply, |s| !names_internals(s))
}

/// The reply's lines with only the sentences `keep` accepts (lines left empty go).
fn keep_sentences(reply: &str, keep: impl Fn(&str) -> bool) -> String {
    let lines: Vec<String> = reply
        .lines()
        .map(|line| {
            sentences(line)
                .into_iter()
                .filter(|s| keep(s))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("\n")
}

/// Whether the reply puts a question to the candidate.
pub fn asks(reply: &str) -> bool {
    reply.contains('?')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(score: f32, claim: Option<&str>) -> Acknowledged {
        Acknowledged {
            score,
            claim: claim.map(str::to_string),
        }
    }

    #[test]
    fn wrapping_quotes_and_doubled_transitions_go() {
        assert_eq!(
            unquote("\"Hi, welcome to the interview.\""),
            "Hi, welcome to the interview."
        );
        assert_eq!(unquote("He said \"hi\" twice"), "He said \"hi\" twice");
        assert_eq!(
            clean("Understood. Moving on. Let's leave that there. What is RoPE?"),
            "Understood. What is RoPE?"
        );
        assert_eq!(
            clean("\"Let's move on.\"\n\n\"Let's move on.\""),
            "Let's move on."
        );
    }

    #[test]
    fn praise_below_six_is_replaced_with_the_acknowledgement_for_the_score() {
        let fixed = honest_opening(
            "Great, let me explain that further. Why do we scale by sqrt(d)?",
            &ack(4.2, None),
            "Partly right.",
        );
        assert_eq!(fixed, "Partly right. Why do we scale by sqrt(d)?");
        let kept = honest_opening("Great, that covers it.", &ack(8.5, None), "x");
        assert_eq!(kept, "Great, that covers it.");
        // "Exactly!" and "spot on" are praise; "exact" in "exact match" is not.
        assert!(honest_opening("Exactly! Next one.", &ack(2.0, None), "No.").starts_with("No."));
        assert_eq!(
            honest_opening("An exact match is needed here.", &ack(2.0, None), "No."),
            "An exact match is needed here."
        );
    }

    #[test]
    fn below_six_the_model_does_not_credit_the_answer_with_what_it_lacked() {
        // As a 1.5B model wrote after a partly-right answer (rubric score below 6).
        let fixed = honest_opening(
            "Great! You explained the key points about self-attention. It's a fascinating topic. Why three projections?",
            &ack(4.0, None),
            "Partly there.",
        );
        assert_eq!(fixed, "Partly there. Why three projections?");
        let fixed = honest_opening(
            "You explained the key points. Thanks for sharing.",
            &ack(3.0, None),
            "Not quite.",
        );
        assert_eq!(fixed, "Not quite.");
        let kept = honest_opening("You explained the key points.", &ack(7.0, None), "x");
        assert_eq!(kept, "You explained the key points.");
    }

    #[test]
    fn sentences_about_the_interviewers_machinery_are_not_said() {
        let said = without_internals(
            "Not quite. Can you provide a brief overview of the why-probes you may ask about self-attention?",
        );
        assert_eq!(said, "Not quite.");
        assert!(!asks(&said), "the loop then puts its own question");
        let kept = "How does the agent emit a tool call, and who executes it?";
        assert_eq!(without_internals(kept), kept);
        // Nothing the interview itself asks is taken for machinery.
        let bank = crate::bank::load_builtin().expect("bank");
        for q in &bank.questions {
            assert!(!names_internals(&q.ask), "{}", q.id);
            for p in &q.points {
                for t in p.probes.iter().chain(p.derivations.iter()) {
                    assert!(!names_internals(t), "{} {}: {t}", q.id, p.id);
                }
            }
        }
    }

    #[test]
    fn a_stated_misconception_is_called_not_right() {
        let fixed = honest_opening(
            "Interesting. Let's move on.",
            &ack(1.0, Some("the cache stores queries")),
            "Careful: the cache stores queries isn't correct.",
        );
        assert!(fixed.starts_with("Careful:"), "{fixed}");
        let kept = honest_opening(
            "That's not right: the cache holds keys and values. Next.",
            &ack(1.0, Some("the cache stores queries")),
            "x",
        );
        assert!(kept.starts_with("That's not right"));
    }

    #[test]
    fn the_models_questions_go_when_the_loop_asks_its_own() {
        assert_eq!(
            without_questions("That's right. Can you explain MinHash?\nGood."),
            "That's right.\nGood."
        );
        assert_eq!(without_questions("How can I assist you today?"), "");
    }

    #[test]
    fn a_question_is_a_question_mark() {
        assert!(asks("Why is that?"));
        assert!(!asks("Great!"));
    }
}
