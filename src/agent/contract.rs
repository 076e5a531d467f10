//! The turn contract, as text: what the interviewer says is cleaned and checked after the model
//! spoke, so it holds whatever the model does. Wrapping quotes go, a transition right after another
//! goes, an opening that praises an answer scoring below 6, faults one scoring 8 or more, or lets a
//! stated misconception pass is replaced with the acknowledgement for the score, commentary is cut
//! short ([`brief`]), the interview is not closed while it goes on, and a turn that waits for an
//! answer must ask something (the loop adds the question on the table when it does not).

use crate::prompts::phrases::{
    PRAISE_FROM, Phrases, STRONG_FROM, closes, credits, faults, is_one_of, leads_into_probe,
    moves_on, names_internals, praises, says_not_right, sets_up_question,
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
    is_one_of(&s, [&p.move_on, &p.skip_ack, &p.next_same_domain])
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
/// 6, faults one scoring 8 or more, or passes over a stated misconception without saying it is not
/// right. Praise below 6 and faulting from 8 later in the reply ("... Great job!") go too.
pub fn honest_opening(reply: &str, ack: &Acknowledged, replacement: &str) -> String {
    let Some(first_line) = reply.lines().next() else {
        return replacement.to_string();
    };
    let Some(first) = sentences(first_line).first().copied() else {
        return reply.to_string();
    };
    let low = ack.score < PRAISE_FROM;
    let strong = ack.score >= STRONG_FROM && ack.claim.is_none();
    let flatters = |s: &str| (low && (praises(s) || credits(s))) || (strong && faults(s));
    let unflagged = ack.claim.is_some() && !says_not_right(reply);
    let replace = flatters(first) || unflagged;
    rebuild(reply, |i, s| match i {
        0 if replace => Some(replacement),
        0 => Some(s),
        _ => (!flatters(s)).then_some(s),
    })
}

/// The reply without the questions in it: when the loop puts its own question on the table (the
/// next planned question), a question the model asked as well would make two. A lead into a
/// follow-up ("Quick follow-up.") goes with them.
pub fn without_questions(reply: &str) -> String {
    keep_sentences(reply, |s| {
        !s.ends_with('?') && !leads_into_probe(s) && !sets_up_question(s)
    })
}

/// The reply without sentences that close the interview, said while it goes on.
pub fn without_closings(reply: &str) -> String {
    keep_sentences(reply, |s| !closes(s))
}

/// The reply without sentences that move the interview on: when the loop stays on the question
/// with a follow-up, "Let's move on to SFT data." would say otherwise.
pub fn without_moves(reply: &str) -> String {
    keep_sentences(reply, |s| !moves_on(s))
}

/// The reply without sentences about the interviewer's own machinery ("the why-probes you may
/// ask", "the rubric says"): the candidate never hears them, and a question among them is not
/// one the interview can record.
pub fn without_internals(reply: &str) -> String {
    keep_sentences(reply, |s| !names_internals(s))
}

/// The reply's lines with only the sentences `keep` accepts (lines left empty go).
fn keep_sentences(reply: &str, keep: impl Fn(&str) -> bool) -> String {
    rebuild(reply, |_, s| keep(s).then_some(s))
}

/// The reply's sentences, numbered across its lines, each kept, replaced or dropped by `each`; the
/// kept ones stay on their lines, and lines left empty go.
fn rebuild<'a>(reply: &'a str, mut each: impl FnMut(usize, &'a str) -> Option<&'a str>) -> String {
    let mut index = 0;
    let mut lines: Vec<String> = vec![];
    for line in reply.lines() {
        let mut kept: Vec<&str> = vec![];
        for s in sentences(line) {
            kept.extend(each(index, s));
            index += 1;
        }
        if !kept.is_empty() {
            lines.push(kept.join(" "));
        }
    }
    lines.join("\n")
}

/// Words of commentary a model's turn keeps between its opening and its question, by default.
pub const COMMENT_WORDS: usize = 20;

/// The reply as an interviewer says it: briefly, one question at a time. What is on the table
/// (`on_table`: a probe or question, possibly of several sentences), else the first question the
/// reply asks, ends it: later questions and anything said after it ("Great job!") go. The opening
/// sentence stays; of the commentary in between (a small model restates the answer, or lectures),
/// only the sentences nearest the question that fit in `words` stay, and a sentence cut off by the
/// token limit goes.
pub fn brief(reply: &str, on_table: Option<&str>, words: usize) -> String {
    let all: Vec<&str> = reply.lines().flat_map(sentences).collect();
    let finished = |s: &str| s.ends_with(['.', '!', '?', ':', '"', ')']);
    let tabled: Vec<usize> = (0..all.len())
        .filter(|&i| on_table.is_some_and(|t| t.contains(all[i])))
        .collect();
    let ask = if tabled.is_empty() {
        all.iter()
            .position(|s| s.ends_with('?'))
            .into_iter()
            .collect()
    } else {
        tabled
    };
    let end = ask.last().map_or(all.len(), |&i| i + 1);
    let mut keep = vec![false; end];
    let mut left = words;
    let mut filling = true;
    for i in (0..end).rev() {
        let s = all[i];
        if i == 0 || ask.contains(&i) {
            keep[i] = true;
        } else if s.ends_with('?') || (i + 1 == all.len() && !finished(s)) {
            continue;
        } else if filling && s.split_whitespace().count() <= left {
            left -= s.split_whitespace().count();
            keep[i] = true;
        } else {
            filling = false;
        }
    }
    rebuild(reply, |i, s| {
        keep.get(i).copied().unwrap_or(false).then_some(s)
    })
}

/// What a spoken line asks: its first question, else its last sentence (a probe can be an
/// instruction, "Show that ..."), without the commentary around it (as [`brief`] says it).
pub fn asked_part(line: &str) -> String {
    let all: Vec<&str> = line.lines().flat_map(sentences).collect();
    all.iter()
        .find(|s| s.ends_with('?'))
        .or(all.last())
        .map(|s| s.to_string())
        .unwrap_or_default()
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
    fn a_strong_answer_is_not_faulted() {
        // As a 1.5B model said of an answer the rubric scored 10.
        let fixed = honest_opening(
            "I appreciate the details, but I think the question still needs more depth.\nLet's move on.",
            &ack(10.0, None),
            "Clear and complete, thanks.",
        );
        assert_eq!(fixed, "Clear and complete, thanks.\nLet's move on.");
        let fixed = honest_opening(
            "I appreciate the explanation, but I'm not sure if it directly answers the question.",
            &ack(9.0, None),
            "Clear and complete, thanks.",
        );
        assert_eq!(fixed, "Clear and complete, thanks.");
        let kept = honest_opening("Good. It's missing one piece though.", &ack(7.0, None), "x");
        assert_eq!(kept, "Good. It's missing one piece though.");
    }

    #[test]
    fn below_six_praise_later_in_the_reply_goes_too() {
        let fixed = honest_opening(
            "I'm not sure about MinHash.\nDo you have other steps? Great job!",
            &ack(3.0, None),
            "x",
        );
        assert_eq!(
            fixed,
            "I'm not sure about MinHash.\nDo you have other steps?"
        );
        let kept = honest_opening("Right.\nWhy? Great job!", &ack(8.0, None), "x");
        assert_eq!(kept, "Right.\nWhy? Great job!");
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
    fn a_lecture_is_cut_to_the_opening_a_short_comment_and_the_question() {
        // As a 1.5B model replied to a partly-right answer about data cleaning.
        let said = brief(
            "That's not quite it. Duplicating data can indeed lead to memorisation, so it's important \
             to remove it to prevent overfitting. MinHash is a technique used to find near duplicates \
             in large datasets by creating a hash of the data and comparing them. Filtering out low \
             quality stuff, like spam pages, can also help improve the performance of the model. It's \
             good to keep these in mind.\nWhy is duplicated data harmful rather than just wasteful?",
            None,
            COMMENT_WORDS,
        );
        assert_eq!(
            said,
            "That's not quite it. It's good to keep these in mind.\n\
             Why is duplicated data harmful rather than just wasteful?"
        );
        // A short turn is said as it was, on its lines.
        let short =
            "That's pretty thin, I'm afraid. Let's dig into that a bit.\nWhy three projections?";
        assert_eq!(brief(short, None, COMMENT_WORDS), short);
        // A derivation asked without a question mark is the last sentence, and stays.
        let derive = "Right. Now derive it: show that the variance of q·k grows with d_k.";
        assert_eq!(brief(derive, None, COMMENT_WORDS), derive);
        // A sentence cut off by the token limit goes; the opening always stays.
        assert_eq!(
            brief(
                "We're done. Thank you for your answers. Here are a few things to keep in",
                None,
                COMMENT_WORDS
            ),
            "We're done. Thank you for your answers."
        );
        assert_eq!(brief("Hello", None, COMMENT_WORDS), "Hello");
        assert_eq!(brief("", None, COMMENT_WORDS), "");
        // A probe on the table that takes several sentences is said whole.
        let probe = "Take a 7B model with 32 layers, 32 heads of 128 dimensions, fp16 and a 4k context. \
                     Estimate the KV cache per sequence. What changes with 8 KV heads?";
        let said = format!("Good, that covers it. Let's work through it. {probe}");
        assert_eq!(brief(&said, Some(probe), COMMENT_WORDS), said);
        assert!(brief(&said, None, COMMENT_WORDS).len() < said.len());
        // One question at a time, and nothing after it; as a 1.5B model wrote.
        assert_eq!(
            brief(
                "Not quite. Can you elaborate on the weights?\nAdditionally, could you give \
                 examples?\nGreat job!",
                None,
                COMMENT_WORDS
            ),
            "Not quite. Can you elaborate on the weights?"
        );
        // What a follow-up asks, without what comes around it.
        assert_eq!(
            asked_part("Good point. MinHash is common. Why is that? And how?"),
            "Why is that?"
        );
        assert_eq!(
            asked_part("Right. Show that it holds."),
            "Show that it holds."
        );
    }

    #[test]
    fn a_lead_without_its_question_and_a_move_on_before_a_follow_up_go() {
        assert_eq!(
            without_questions("I understand now.\nQuick follow-up. Why three projections?"),
            "I understand now."
        );
        assert_eq!(
            without_moves("That's pretty thin, I'm afraid. Let's move on to SFT data."),
            "That's pretty thin, I'm afraid."
        );
        assert_eq!(
            without_moves("Why does it move the loss?"),
            "Why does it move the loss?"
        );
        // As a 1.5B model said before the loop put the next planned question.
        assert_eq!(
            without_questions(
                "That's a thorough answer.\nSuppose you're building an inference pipeline."
            ),
            "That's a thorough answer."
        );
        assert_eq!(
            without_closings("That's a start.\nThank you for the interview!\nWhy is that?"),
            "That's a start.\nWhy is that?"
        );
    }

    #[test]
    fn a_question_is_a_question_mark() {
        assert!(asks("Why is that?"));
        assert!(!asks("Great!"));
    }
}
