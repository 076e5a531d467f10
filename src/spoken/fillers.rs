//! Filler words in a transcript: "um", "uh", "er", "you know", "I mean", "sort of", "kind of",
//! and "like" when it fills rather than compares or means "enjoy".
//!
//! Multi-word fillers are matched as phrases first, so "you know" counts once as "you know" and
//! never as "you" and "know". Spelling variants the recogniser writes ("umm", "uhh", "erm") count
//! as the filler they spell. "you know" and "I mean" count only where they stand apart from the
//! sentence (at its start or end, or between commas): "do you know why" is a question, not a
//! filler. "sort of" and "kind of" count unless they name a kind ("what kind of model", "a sort
//! of cache"); "like" counts unless it is a verb ("I like it") or a comparison ("looks like",
//! "like this").

use std::collections::BTreeMap;

/// The fillers counted, as they are reported.
pub const FILLERS: [&str; 8] = [
    "um", "uh", "er", "you know", "i mean", "sort of", "kind of", "like",
];

/// One word of a transcript: lower-cased letters and apostrophes, and whether punctuation stood
/// right before it or right after it.
#[derive(Debug, Clone, PartialEq)]
struct Word {
    text: String,
    pause_before: bool,
    pause_after: bool,
}

fn words(text: &str) -> Vec<Word> {
    let mut out: Vec<Word> = vec![];
    let mut pending_pause = true;
    let mut current = String::new();
    let flush = |current: &mut String, out: &mut Vec<Word>, pause_before: &mut bool| {
        if !current.is_empty() {
            out.push(Word {
                text: std::mem::take(current),
                pause_before: *pause_before,
                pause_after: false,
            });
            *pause_before = false;
        }
    };
    for c in text.chars() {
        if c.is_alphanumeric() || c == '\'' || c == '’' {
            if c == '’' {
                current.push('\'');
            } else {
                current.extend(c.to_lowercase());
            }
        } else if c.is_whitespace() || c == '-' {
            flush(&mut current, &mut out, &mut pending_pause);
        } else {
            flush(&mut current, &mut out, &mut pending_pause);
            if let Some(last) = out.last_mut() {
                last.pause_after = true;
            }
            pending_pause = true;
        }
    }
    flush(&mut current, &mut out, &mut pending_pause);
    if let Some(last) = out.last_mut() {
        last.pause_after = true;
    }
    out
}

/// The filler a single word spells, if any ("umm" is "um").
fn hesitation(word: &str) -> Option<&'static str> {
    let squeezed: String = {
        let mut s = String::new();
        for c in word.chars() {
            if !s.ends_with(c) {
                s.push(c);
            }
        }
        s
    };
    match squeezed.as_str() {
        "um" | "uhm" | "hm" | "hum" | "mm" => Some("um"),
        "uh" | "ah" => Some("uh"),
        "er" | "erm" => Some("er"),
        _ => None,
    }
}

/// Words before "like" that make it a verb or a comparison.
const LIKE_NOT_FILLER_BEFORE: [&str; 24] = [
    "i", "you", "we", "they", "would", "i'd", "you'd", "we'd", "they'd", "don't", "didn't", "do",
    "does", "to", "look", "looks", "looked", "sound", "sounds", "seem", "seems", "feel", "feels",
    "just",
];
/// Words after "like" that make it a comparison or an example ("like this", "like a queue").
const LIKE_NOT_FILLER_AFTER: [&str; 12] = [
    "this", "that", "these", "those", "a", "an", "the", "it", "when", "how", "what", "so",
];

/// Whether "like" at `i` is a filler: set off by pauses, or not a verb or comparison.
fn like_is_filler(w: &[Word], i: usize) -> bool {
    let before = i.checked_sub(1).map(|j| w[j].text.as_str());
    let after = w.get(i + 1).map(|x| x.text.as_str());
    // "..., like, ..." is always a filler.
    if w[i].pause_before && w[i].pause_after {
        return true;
    }
    if before.is_some_and(|b| LIKE_NOT_FILLER_BEFORE.contains(&b) || b.ends_with("s'")) {
        // "just like that" compares; "it was just, like, ..." was caught above.
        return false;
    }
    // "...is like a queue" compares; "like, the keys" was caught above.
    if after.is_some_and(|a| LIKE_NOT_FILLER_AFTER.contains(&a)) && !w[i].pause_after {
        return false;
    }
    // "things like RoPE" gives an example; "it's like very fast" fills.
    if !w[i].pause_before && before.is_some_and(|b| !is_function_word(b)) && !w[i].pause_after {
        return after.is_some_and(|a| is_function_word(a) || a.ends_with("ly"));
    }
    true
}

/// Short words that carry grammar rather than content.
fn is_function_word(w: &str) -> bool {
    const WORDS: [&str; 26] = [
        "is",
        "was",
        "are",
        "were",
        "be",
        "it's",
        "that's",
        "and",
        "but",
        "so",
        "or",
        "it",
        "very",
        "really",
        "super",
        "totally",
        "kind",
        "basically",
        "we",
        "they",
        "he",
        "she",
        "there",
        "then",
        "just",
        "um",
    ];
    WORDS.contains(&w) || hesitation(w).is_some()
}

/// Whether a two-word phrase at `i` stands apart from the sentence.
fn set_off(w: &[Word], i: usize) -> bool {
    w[i].pause_before || w[i + 1].pause_after
}

/// Words before "kind of" / "sort of" that make it name a kind.
const KIND_NOUN_BEFORE: [&str; 9] = [
    "what", "which", "a", "the", "this", "that", "some", "any", "every",
];

/// Count the fillers of `text`, multi-word fillers as one.
pub fn count(text: &str) -> BTreeMap<String, u32> {
    let w = words(text);
    let mut out: BTreeMap<String, u32> = BTreeMap::new();
    let mut add = |f: &str| *out.entry(f.to_string()).or_default() += 1;
    let mut i = 0;
    while i < w.len() {
        let here = w[i].text.as_str();
        let next = w.get(i + 1).map(|x| x.text.as_str());
        let phrase = match (here, next) {
            ("you", Some("know")) if set_off(&w, i) => Some("you know"),
            ("i", Some("mean")) if set_off(&w, i) => Some("i mean"),
            ("sort" | "kind", Some("of")) => {
                let before = i.checked_sub(1).map(|j| w[j].text.as_str());
                let names_a_kind =
                    !w[i].pause_before && before.is_some_and(|b| KIND_NOUN_BEFORE.contains(&b));
                (!names_a_kind).then_some(if here == "sort" { "sort of" } else { "kind of" })
            }
            _ => None,
        };
        if let Some(p) = phrase {
            add(p);
            i += 2;
            continue;
        }
        if let Some(h) = hesitation(here) {
            add(h);
        } else if here == "like" && like_is_filler(&w, i) {
            add("like");
        }
        i += 1;
    }
    out
}

/// How many words `text` has (what words per minute counts), fillers included.
pub fn word_count(text: &str) -> usize {
    words(text).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str, filler: &str) -> u32 {
        count(text).get(filler).copied().unwrap_or(0)
    }

    #[test]
    fn hesitations_and_their_spellings() {
        let c = count("Um, so, uh, it caches keys. Umm... er, erm, uhh.");
        assert_eq!(c.get("um"), Some(&2));
        assert_eq!(c.get("uh"), Some(&2));
        assert_eq!(c.get("er"), Some(&2));
        assert_eq!(n("The user and the umpire err.", "um"), 0);
    }

    #[test]
    fn you_know_counts_once_as_a_phrase() {
        let c = count("It scales, you know, quadratically. You know, that is the cost.");
        assert_eq!(c.get("you know"), Some(&2));
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(n("Do you know why it is quadratic?", "you know"), 0);
        assert_eq!(n("It is quadratic, you know", "you know"), 1);
    }

    #[test]
    fn i_mean_apart_from_the_sentence() {
        assert_eq!(n("I mean, it is a cache.", "i mean"), 1);
        assert_eq!(n("It is fast, I mean, mostly.", "i mean"), 1);
        assert_eq!(n("What I mean is the cache.", "i mean"), 0);
    }

    #[test]
    fn sort_of_and_kind_of_unless_they_name_a_kind() {
        assert_eq!(n("It sort of caches the keys.", "sort of"), 1);
        assert_eq!(n("It's kind of like a lookup.", "kind of"), 1);
        assert_eq!(n("What kind of model is it?", "kind of"), 0);
        assert_eq!(n("It is a sort of cache.", "sort of"), 0);
    }

    #[test]
    fn like_as_a_filler_but_not_as_a_verb_or_comparison() {
        assert_eq!(n("So, like, the keys are cached.", "like"), 1);
        assert_eq!(n("It's like very fast.", "like"), 1);
        assert_eq!(n("Like, attention is quadratic.", "like"), 1);
        assert_eq!(n("I like this model.", "like"), 0);
        assert_eq!(n("It looks like a queue.", "like"), 0);
        assert_eq!(n("Do it like this.", "like"), 0);
        assert_eq!(n("Methods like RoPE and ALiBi.", "like"), 0);
        assert_eq!(n("We would like to cache it.", "like"), 0);
        assert_eq!(n("It works just like that.", "like"), 0);
    }

    #[test]
    fn words_are_counted_with_hyphens_split_and_apostrophes_kept() {
        assert_eq!(word_count("Self-attention isn't, um, cheap."), 5);
        assert_eq!(word_count(""), 0);
    }
}
