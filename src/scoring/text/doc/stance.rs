//! Where a sentence stands to what it says: whether it rejects its claims ("a common misconception
//! is ...", "people often think ...", "First, that ..." after such a sentence), and which of its
//! words open a question it only asks ("whether"). The words are the lexicon's `[rejection]` table.

use super::{Sentence, Token};
use crate::scoring::text::lexicon::Lexicon;

/// Whether the sentence of `toks` (with their `words`) rejects what it says, given the sentences
/// `before` it.
pub(super) fn rejects(lex: &Lexicon, toks: &[Token], words: &[&str], before: &[Sentence]) -> bool {
    let r = &lex.rejection;
    // "That's wrong" rejects a claim; "wrong answers" only describes something.
    toks.iter().enumerate().any(|(i, t)| {
        r.is_rejection_noun(&t.word)
            || (r.is_rejection(&t.word)
                && toks
                    .get(i + 1)
                    .is_none_or(|n| n.stop || n.sep_before || n.clause != t.clause))
    }) || (0..words.len())
        .any(|i| r.reported_belief_at(&words[i..]).is_some() && !contrasted(&words[..i]))
        // "Two misconceptions are common. First, that more data is always better."
        // "... Second, that SFT teaches new knowledge": any sentence before may open the list.
        || (before.iter().any(|s| s.rejection) && r.continues_rejection(words))
        // "Two beliefs I have to unpick. One: RAG stops hallucination." (or "The second, ...").
        || (before.last().is_some_and(|s| s.rejection) && opens_list_item(lex, toks))
}

/// Whether a reported belief after `before` is the far side of a contrast the candidate draws
/// ("it's cheaper than people assume: ...", "the opposite of what people expect: ..."): what the
/// sentence says is then the candidate's own claim, set against the belief.
fn contrasted(before: &[&str]) -> bool {
    matches!(
        before,
        [.., "than"] | [.., "to" | "from" | "of" | "with", "what"]
    )
}

/// Whether the sentence opens with a list marker set off by a comma or colon, after an optional
/// "the" ("One: ...", "The second, the mirror image, is that ...").
fn opens_list_item(lex: &Lexicon, toks: &[Token]) -> bool {
    let at = usize::from(toks.first().is_some_and(|t| t.word == "the"));
    toks.get(at)
        .is_some_and(|t| lex.rejection.is_list_marker(&t.word))
        && toks.get(at + 1).is_some_and(|t| t.sep_before)
}

/// The positions in `words` that open a question the sentence only asks ("I check whether ...").
pub(super) fn question_openers(lex: &Lexicon, words: &[&str]) -> Vec<usize> {
    (0..words.len())
        .filter(|&i| lex.rejection.open_question_at(&words[i..]).is_some())
        .collect()
}

/// Whether the sentence of `words` answers no to `asked`, the text of the sentence before:
/// "Does DPO need a reward model? No, ..." puts the question in order to reject it.
pub(super) fn answers_no_to(lex: &Lexicon, words: &[&str], asked: &str) -> bool {
    asked.ends_with('?') && lex.rejection.answers_no(words)
}
