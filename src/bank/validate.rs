//! Validation of a bank: every problem names its file, question id and field.
//!
//! [`validate`] checks the content of parsed questions (ids, weights, cues, probes, sizes);
//! syntax and type errors are found while loading (see `load`) and use the same [`Problem`].

use super::{Question, RubricPoint};
use std::collections::HashMap;
use std::fmt;

/// Fewest rubric points a question may have.
pub const MIN_POINTS: usize = 3;
/// Most rubric points a question may have.
pub const MAX_POINTS: usize = 7;

/// One problem found in a bank, e.g.
/// `inference.toml: question "kv-cache": point "gqa": weight must be > 0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file's name (as listed in its bank directory).
    pub file: String,
    /// 1-based line and column, when the problem has a position in the file.
    pub position: Option<(usize, usize)>,
    /// The question's id, when the problem is inside a question.
    pub question: Option<String>,
    /// What is wrong, naming the point and field (e.g. `point "gqa": weight must be > 0`).
    pub message: String,
}

impl Problem {
    /// A problem about a whole file or a question in it.
    pub fn new(file: &str, question: Option<&str>, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_string(),
            position: None,
            question: question.map(str::to_string),
            message: message.into(),
        }
    }

    /// The same problem at a line and column of its file.
    pub fn at(mut self, position: Option<(usize, usize)>) -> Problem {
        self.position = position;
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        f.write_str(": ")?;
        if let Some(q) = &self.question {
            write!(f, "question \"{q}\": ")?;
        }
        f.write_str(&self.message)
    }
}

/// Check parsed questions, each paired with the name of the file it came from.
///
/// Finds duplicate question ids (naming both files), duplicate point ids, empty text fields,
/// empty cue lists and strings, points without probes, bad weights, too few or too many points,
/// questions without modes and misconceptions without cues. Returns every problem, in file order.
pub fn validate<'a>(questions: impl IntoIterator<Item = (&'a str, &'a Question)>) -> Vec<Problem> {
    let mut problems = vec![];
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (file, q) in questions {
        let mut msgs: Vec<String> = vec![];
        let mut push = |msg: String| msgs.push(msg);
        if q.id.trim().is_empty() {
            push("id must not be empty".to_string());
        } else if !is_kebab(&q.id) {
            push("id must be kebab-case (lowercase letters, digits and '-')".to_string());
        }
        match seen.get(q.id.as_str()) {
            Some(first) if *first == file => {
                push("duplicate question id (defined twice in this file)".to_string())
            }
            Some(first) => push(format!("duplicate question id (also defined in {first})")),
            None => {
                seen.insert(&q.id, file);
            }
        }
        for (field, text) in [
            ("ask", &q.ask),
            ("assesses", &q.assesses),
            ("reference", &q.reference),
        ] {
            if text.trim().is_empty() {
                push(format!("{field} must not be empty"));
            }
        }
        if q.modes.is_empty() {
            push("modes must name at least one mode (first-round, deep-dive)".to_string());
        }
        let n = q.points.len();
        if !(MIN_POINTS..=MAX_POINTS).contains(&n) {
            push(format!(
                "has {n} points; a question needs {MIN_POINTS} to {MAX_POINTS}"
            ));
        }
        let mut point_ids: HashMap<&str, usize> = HashMap::new();
        for p in &q.points {
            *point_ids.entry(p.id.as_str()).or_default() += 1;
            for msg in check_point(p) {
                push(msg);
            }
        }
        let mut dups: Vec<&str> = point_ids
            .into_iter()
            .filter(|(_, c)| *c > 1)
            .map(|(id, _)| id)
            .collect();
        dups.sort_unstable();
        for id in dups {
            push(format!("duplicate point id \"{id}\""));
        }
        problems.extend(msgs.into_iter().map(|m| Problem::new(file, Some(&q.id), m)));
    }
    problems
}

/// Problems of one rubric point, each message starting with `point "id": `.
fn check_point(p: &RubricPoint) -> Vec<String> {
    let mut out = vec![];
    let label = if p.id.trim().is_empty() {
        "point with an empty id".to_string()
    } else {
        format!("point \"{}\"", p.id)
    };
    let mut push = |m: String| out.push(format!("{label}: {m}"));
    if !p.id.trim().is_empty() && !is_kebab(&p.id) {
        push("id must be kebab-case (lowercase letters, digits and '-')".to_string());
    }
    if !p.weight.is_finite() {
        push("weight must be a finite number".to_string());
    } else if p.weight <= 0.0 {
        push("weight must be > 0".to_string());
    }
    if p.expect.trim().is_empty() {
        push("expect must not be empty".to_string());
    }
    if p.cues.is_empty() {
        push("cues must list at least one phrasing".to_string());
    }
    if p.cues.iter().any(|c| c.trim().is_empty()) {
        push("cues contains an empty string".to_string());
    }
    if p.keywords.iter().any(|c| c.trim().is_empty()) {
        push("keywords contains an empty string".to_string());
    }
    if p.probes.iter().all(|c| c.trim().is_empty()) {
        push("has no probes (at least one why-probe is needed)".to_string());
    } else if p.probes.iter().any(|c| c.trim().is_empty()) {
        push("probes contains an empty string".to_string());
    }
    if p.derivations.iter().any(|c| c.trim().is_empty()) {
        push("derivations contains an empty string".to_string());
    }
    if p.hint.as_deref().is_some_and(|h| h.trim().is_empty()) {
        push("hint must not be empty when given".to_string());
    }
    for (i, m) in p.misconceptions.iter().enumerate() {
        let n = i + 1;
        if m.claim.trim().is_empty() {
            push(format!("misconception {n}: claim must not be empty"));
        }
        if m.cues.is_empty() && m.attribute.is_none() {
            push(format!(
                "misconception {n}: cues must list at least one phrasing (or give an attribute)"
            ));
        } else if m.cues.iter().any(|c| c.trim().is_empty()) {
            push(format!("misconception {n}: cues contains an empty string"));
        }
        if let Some(a) = &m.attribute {
            for (field, list) in [("subject", &a.subject), ("wrong", &a.wrong)] {
                if list.is_empty() {
                    push(format!(
                        "misconception {n}: attribute.{field} must list a cue"
                    ));
                }
            }
            let all = a
                .subject
                .iter()
                .chain(&a.wrong)
                .chain(&a.right)
                .chain(&a.rivals);
            if all.into_iter().any(|c| c.trim().is_empty()) {
                push(format!(
                    "misconception {n}: attribute contains an empty string"
                ));
            }
        }
    }
    out
}

/// Lowercase ASCII letters and digits separated by single hyphens.
fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{Difficulty, Domain, Misconception, Mode};

    fn point(id: &str) -> RubricPoint {
        RubricPoint {
            id: id.to_string(),
            weight: 1.0,
            expect: "Say it.".into(),
            keywords: vec!["term".into()],
            cues: vec!["some cue".into()],
            misconceptions: vec![],
            probes: vec!["Why?".into()],
            derivations: vec![],
            hint: None,
        }
    }

    fn question(id: &str) -> Question {
        Question {
            id: id.to_string(),
            domain: Domain::Inference,
            difficulty: Difficulty::Core,
            modes: vec![Mode::FirstRound],
            ask: "Ask?".into(),
            assesses: "Assesses.".into(),
            reference: "Reference.".into(),
            points: vec![point("a"), point("b"), point("c")],
        }
    }

    fn messages(problems: &[Problem]) -> Vec<String> {
        problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_valid_question_has_no_problems() {
        let q = question("kv-cache");
        assert!(validate([("inference.toml", &q)]).is_empty());
    }

    #[test]
    fn every_problem_is_reported_with_file_question_and_field() {
        let mut q = question("kv-cache");
        q.points[0].weight = 0.0;
        q.points[1].probes.clear();
        q.points[2].cues = vec![" ".into()];
        q.points[2].misconceptions.push(Misconception {
            claim: "Wrong.".into(),
            cues: vec![],
            attribute: None,
        });
        q.modes.clear();
        q.ask = " ".into();
        let msgs = messages(&validate([("inference.toml", &q)]));
        for want in [
            "inference.toml: question \"kv-cache\": point \"a\": weight must be > 0",
            "inference.toml: question \"kv-cache\": point \"b\": has no probes (at least one why-probe is needed)",
            "inference.toml: question \"kv-cache\": point \"c\": cues contains an empty string",
            "inference.toml: question \"kv-cache\": point \"c\": misconception 1: cues must list at least one phrasing (or give an attribute)",
            "inference.toml: question \"kv-cache\": modes must name at least one mode (first-round, deep-dive)",
            "inference.toml: question \"kv-cache\": ask must not be empty",
        ] {
            assert!(
                msgs.iter().any(|m| m == want),
                "missing {want:?} in {msgs:#?}"
            );
        }
        assert_eq!(msgs.len(), 6, "{msgs:#?}");
    }

    #[test]
    fn duplicates_and_sizes_and_non_finite_weights() {
        let a = question("rope");
        let mut b = question("rope");
        b.points.push(point("a"));
        b.points[1].weight = f32::NAN;
        let mut c = question("lora");
        c.points.truncate(2);
        c.points.extend((0..7).map(|i| point(&format!("p{i}"))));
        c.points[0].cues.clear();
        let msgs = messages(&validate([("a.toml", &a), ("b.toml", &b), ("c.toml", &c)]));
        for want in [
            "b.toml: question \"rope\": duplicate question id (also defined in a.toml)",
            "b.toml: question \"rope\": duplicate point id \"a\"",
            "b.toml: question \"rope\": point \"b\": weight must be a finite number",
            "c.toml: question \"lora\": has 9 points; a question needs 3 to 7",
            "c.toml: question \"lora\": point \"a\": cues must list at least one phrasing",
        ] {
            assert!(
                msgs.iter().any(|m| m == want),
                "missing {want:?} in {msgs:#?}"
            );
        }
    }

    #[test]
    fn positions_are_shown_after_the_file() {
        let p = Problem::new("x.toml", None, "syntax error: expected `=`").at(Some((3, 7)));
        assert_eq!(p.to_string(), "x.toml:3:7: syntax error: expected `=`");
    }
}
