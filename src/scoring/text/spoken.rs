//! Spoken answers: fillers ("you know", "I mean") and self-corrections ("the keys, no wait, the
//! values"). A filler neither earns nor costs: its words become stopwords. A self-correction
//! replaces what it corrects: the phrase and the item it follows (back to the previous separator
//! in the sentence) are dropped from matching, and its "no" negates nothing.

use super::doc::Token;
use super::lexicon::Lexicon;

/// A self-correction retracts at most this many words before it (a false start, not a sentence).
const MAX_RETRACTED_WORDS: usize = 24;
/// A reversal this many words into its sentence ("No, that's Flamingo, I'm mixing them up") still
/// takes back the sentence before: the words name what was meant.
const MAX_NAMING_WORDS: usize = 2;

/// Mark the fillers and self-corrections of the sentence starting at token `first` (the last
/// sentence of `all`). A self-correction that opens its sentence ("... sorry, no, that's not
/// right.") retracts the end of the sentence before.
pub(super) fn mark_spoken(lex: &Lexicon, all: &mut [Token], first: usize) {
    let (before, tokens) = all.split_at_mut(first);
    let words: Vec<String> = tokens.iter().map(|t| t.word.clone()).collect();
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    let mut i = 0;
    while i < tokens.len() {
        let reversal = lex.reversal_at(&refs[i..]);
        // "faster than the, no, slower": a bare "no" set off inside a sentence takes back what
        // it follows; after an opening word ("Well, no, strictly speaking ...") it takes back
        // the sentence before. A "No," that opens its sentence answers what came before.
        let opened = || {
            i > 0
                && tokens[..i]
                    .iter()
                    .all(|t| lex.is_correction_opener(&t.word))
        };
        let bare_no = (refs[i] == "no"
            && (tokens[..i].iter().any(|t| !t.stop) || opened())
            && tokens.get(i + 1).is_some_and(|t| t.sep_before)
            && (tokens[i].sep_before || tokens[i - 1].clause != tokens[i].clause))
            .then_some(1);
        if let Some(len) = reversal
            .or_else(|| lex.correction_at(&refs[i..]))
            .or(bare_no)
        {
            let whole = reversal.is_some();
            let from = retracted_from(lex, tokens, i, whole);
            // A correction opening its sentence takes back the end of the sentence before; so does
            // a reversal after a word or two naming what was meant ("No, that's Flamingo, I'm
            // mixing them up."). A bare "sorry" opening a sentence is an apology more often than a
            // correction.
            let before_it = tokens[..i]
                .iter()
                .filter(|t| !((t.stem.is_empty() && t.stop) || lex.is_correction_opener(&t.word)))
                .count();
            let opens = before_it == 0 || (whole && before_it <= MAX_NAMING_WORDS);
            if opens && (len > 1 || refs[i] != "sorry") {
                retract_sentence_end(lex, before, whole);
            }
            for t in &mut tokens[from..i + len] {
                silence(t);
            }
            i += len;
        } else if let Some(len) = lex.filler_at(&refs[i..]) {
            for t in &mut tokens[i..i + len] {
                silence(t);
                t.retracted = false;
                t.filler = true;
            }
            i += len;
        } else {
            i += 1;
        }
    }
}

/// The first token a self-correction at `at` retracts: its clause up to it ("the small model
/// checks the big one's tokens, no wait, other way round"), or, when that is longer than a false
/// start, only the item just before it (from the last separator). A reversal (`whole`) retracts
/// every clause before it back to the sentence's start or its last `;` or `:`, when they hold no
/// more content words than a false start.
fn retracted_from(lex: &Lexicon, tokens: &[Token], at: usize, whole: bool) -> usize {
    // Fillers and a dangling connective just before it ("— hmm, no, that's not right",
    // "because — no wait") are part of the correction: it retracts what was said before them.
    let at = tokens[..at]
        .iter()
        .rposition(|t| !(t.filler || (t.stop && lex.is_connective(&t.word))))
        .map_or(0, |i| i + 1);
    let Some(before) = at.checked_sub(1) else {
        return at;
    };
    if whole {
        // Back to the sentence's start or its last `;` or `:` (a separator that starts a clause):
        // "X; it is the other way round" states the reversal of X, it does not retract it.
        let mut from = at;
        while from > 0 {
            from -= 1;
            let t = &tokens[from];
            // A clause already taken back (by a correction just before) is not what it judges.
            let clause = &tokens[from..at];
            let judged = !(clause.iter().any(|t| t.retracted) && clause.iter().all(|t| t.stop));
            if t.sep_before && from > 0 && tokens[from - 1].clause != t.clause && judged {
                break;
            }
        }
        if tokens[from..at].iter().filter(|t| !t.stop).count() <= MAX_RETRACTED_WORDS {
            return from;
        }
    }
    let clause = tokens[before].clause;
    let mut from = at;
    while from > 0 && tokens[from - 1].clause == clause {
        from -= 1;
    }
    if at - from <= MAX_RETRACTED_WORDS {
        return from;
    }
    let mut from = at;
    while from > 0 {
        from -= 1;
        if tokens[from].sep_before {
            break;
        }
    }
    if at - from > MAX_RETRACTED_WORDS {
        at
    } else {
        from
    }
}

/// Retract the end of the last sentence in `tokens` as a self-correction would from its end.
fn retract_sentence_end(lex: &Lexicon, tokens: &mut [Token], whole: bool) {
    let Some(last) = tokens.last().map(|t| t.sentence) else {
        return;
    };
    let start = tokens
        .iter()
        .rposition(|t| t.sentence != last)
        .map_or(0, |i| i + 1);
    let sentence = &mut tokens[start..];
    let from = retracted_from(lex, sentence, sentence.len(), whole);
    for t in &mut sentence[from..] {
        silence(t);
    }
}

/// A word that no longer counts: a stopword that negates nothing.
fn silence(t: &mut Token) {
    t.retracted = true;
    t.stop = true;
    t.negation = false;
    t.stem.clear();
}

#[cfg(test)]
mod tests {
    use crate::scoring::text::{Cue, Doc};

    fn matches(text: &str, cue: &str) -> bool {
        !Doc::new(text).find(&Cue::new(cue)).is_empty()
    }

    #[test]
    fn a_self_correction_replaces_what_it_corrects() {
        let text = "The cache keeps the queries, no wait, the values of earlier tokens.";
        assert!(!matches(text, "cache queries"));
        assert!(matches(text, "values earlier tokens"));
        let doc = Doc::new(text);
        let cue = Cue::new("values earlier tokens");
        let m = doc.find(&cue);
        assert_eq!(m.len(), 1);
        assert!(
            !doc.negated(&m[0], &cue),
            "the 'no' of 'no wait' negates nothing"
        );
    }

    #[test]
    fn a_bare_no_set_off_inside_a_sentence_takes_back_what_it_follows() {
        let text = "The cross-encoder is, uh, faster than the, no, slower, so it only reranks.";
        assert!(!matches(text, "faster reranks"));
        assert!(matches(text, "slower reranks"));
        // Opening its sentence, "No," answers what came before; "no" before a word negates it.
        assert!(matches(
            "No, the cross-encoder is slower.",
            "cross encoder slower"
        ));
        assert!(matches(
            "There is no cache of queries, the cache is slower.",
            "cache slower"
        ));
    }

    #[test]
    fn a_self_correction_retracts_its_clause() {
        let text = "During generation the cache stores the queries of previous tokens so the new \
                    token can - wait, no, past queries are never needed again.";
        assert!(!matches(text, "cache stores queries"));
        let swapped = "So the big model proposes a few tokens and the small model checks them, \
                       no wait, other way round: the small draft model proposes them.";
        assert!(!matches(swapped, "big model proposes"));
        assert!(matches(swapped, "draft model proposes"));
        let spoken = "We divide by d_k - sorry, by the square root of d_k.";
        assert!(matches(spoken, "square root"));
        // A filler before the correction does not stand in for the clause it retracts.
        let hmm = "Each head has projections of size d_model, so eight heads means eight times \
                   the parameters — hmm, no, that's not right. Each head gets d_model/h.";
        assert!(!matches(hmm, "eight times parameters"));
        assert!(matches(hmm, "head gets d_model/h"));
        let because = "We also cache the queries, because — no wait, queries are not needed later; \
                       only K and V are cached.";
        assert!(!matches(because, "also cache > queries"));
        assert!(matches(because, "k v cached"));
    }

    #[test]
    fn a_self_correction_opening_a_sentence_retracts_the_one_before() {
        let text = "The runtime hands over the call, so the model runs the tool inside its forward \
                    pass... sorry, no, that's not right. The runtime executes the tool call.";
        assert!(!matches(text, "model runs tool"));
        assert!(matches(text, "runtime executes tool"));
        // A trailing "let me fix that" takes its sentence back too.
        let fix = "And the model executes the tool directly... well, no, let me fix that. The \
                   runtime executes it and feeds the result back.";
        assert!(!matches(fix, "model executes tool"));
        assert!(matches(fix, "runtime executes"));
        // An apology is not a correction.
        let apology = "The cache stores keys and values. Sorry, I'm not sure about the rest.";
        assert!(matches(apology, "cache stores keys values"));
    }

    #[test]
    fn saying_it_was_wrong_takes_back_the_whole_statement() {
        // "that's wrong" judges the statement, not only its last clause.
        let heads = "Each head looks at a different chunk of the sequence, head one takes the \
                     first part, and that's how it gets parallel... actually no, wait, that's \
                     wrong. Every head sees all the tokens.";
        assert!(!matches(heads, "head > different chunk > sequence"));
        assert!(matches(heads, "every head sees all tokens"));
        // A correction just before it already took its own clause back: the verdict reaches the
        // clause before that one.
        let dpo = "So DPO still trains a reward model first, but instead of PPO it uses... hmm, \
                   no, actually that's not right, there's no separate reward model.";
        assert!(!matches(dpo, "dpo trains reward model"));
        // A word or two naming what was meant still take back the sentence before.
        let named = "In LLaVA the features go through gated cross-attention layers... no, that's \
                     Flamingo, I'm mixing them up. LLaVA projects them into the input.";
        assert!(!matches(named, "llava > cross-attention layers"));
        assert!(matches(named, "llava projects input"));
        // A rejected belief is not the candidate's: nor is it kept.
        let myth = "People say attention is linear in length. That's wrong: it is quadratic.";
        assert!(!matches(myth, "attention linear length"));
        assert!(matches(myth, "quadratic"));
    }

    #[test]
    fn a_reversal_retracts_its_whole_sentence() {
        // "hang on, I've got that backwards" takes back both halves, not only the last clause.
        let text = "The argument is that MLM gives a loss on every token while CLM only gets the \
                    masked ones - hang on, I've got that backwards. CLM gets a loss at every \
                    position.";
        assert!(!matches(text, "mlm loss every token"));
        assert!(matches(text, "clm loss every position"));
        // A plain correction keeps the clauses before its own.
        let plain = "MLM predicts masked tokens while CLM sees the future, no wait, the past.";
        assert!(matches(plain, "mlm predicts masked tokens"));
        assert!(!matches(plain, "clm sees future"));
    }

    #[test]
    fn a_correction_after_an_opening_word_takes_back_the_sentence_before() {
        // "Well, no, ..." and "No, ..." open the sentence that corrects the one before.
        let well = "Position interpolation extrapolates the rotation frequencies. Well, no, that's \
                    backwards: it interpolates the positions into the trained range.";
        assert!(!matches(well, "interpolation extrapolates frequencies"));
        assert!(matches(well, "interpolates positions trained range"));
        let no = "In QLoRA the adapters are quantised to 4-bit. No, other way round. The base is \
                  4-bit and the adapters stay bf16.";
        assert!(!matches(no, "adapters quantised 4-bit"));
        assert!(matches(no, "adapters stay bf16"));
        let well = "The LLM executes the tool call itself... well, no, strictly speaking the \
                    model only emits a request. The orchestrator executes it.";
        assert!(!matches(well, "llm executes tool call"));
        assert!(matches(well, "orchestrator executes"));
        // A "No," opening a sentence on its own answers what came before.
        let answer = "Does the LLM execute the tool call itself? No, the orchestrator does.";
        assert!(matches(answer, "orchestrator"));
        assert!(matches(answer, "llm execute tool call"));
        // An opening word with content before the correction is not such an opening.
        let later =
            "The adapters are quantised to 4-bit. Training them, no wait, tuning them is cheap.";
        assert!(matches(later, "adapters quantised 4-bit"));
    }

    #[test]
    fn fillers_neither_earn_nor_cost() {
        let plain = Doc::new("The keys and values of past tokens are stored.");
        let spoken = Doc::new(
            "Um, the keys and, you know, values of, like, past tokens are, I mean, stored.",
        );
        let cue = Cue::new("keys values past tokens stored");
        assert_eq!(plain.find(&cue).len(), 1);
        assert_eq!(spoken.find(&cue).len(), 1);
        assert_eq!(spoken.find(&Cue::new("mean")).len(), 0);
        assert_eq!(spoken.find(&Cue::new("know")).len(), 0);
    }
}
