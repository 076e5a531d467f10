//! Graded answer sets: JSON Lines of `{"question", "answer", "grade", "kind"?}` rows that a grader
//! is measured against. The project's held-out test split ships embedded (`tools/graded/test.jsonl`);
//! its dev split (`tools/graded/dev.jsonl`) is the one the rubric scorer was tuned on.

use serde::Deserialize;
use std::fmt;

/// The held-out test split: `interviewer calibrate` runs it by default.
pub const TEST_SPLIT: &str = include_str!("../../tools/graded/test.jsonl");
/// How the embedded test split is named in reports.
pub const TEST_SPLIT_NAME: &str = "built-in test split";
/// The held-out splits written by people outside the project (who saw only the source article
/// and the questions), by name: `interviewer calibrate` reports them beside the test split.
pub const HELD_OUT_SPLITS: &[(&str, &str)] = &[
    (
        "external test split",
        include_str!("../../tools/graded/external-test.jsonl"),
    ),
    (
        "second external set",
        include_str!("../../tools/graded/external2-test.jsonl"),
    ),
    (
        "fourth external set, test half",
        include_str!("../../tools/graded/external4-test.jsonl"),
    ),
    (
        "fifth external set, test half",
        include_str!("../../tools/graded/external5-test.jsonl"),
    ),
    (
        "sixth external set, test half",
        include_str!("../../tools/graded/external6-test.jsonl"),
    ),
    (
        "seventh external set, test half",
        include_str!("../../tools/graded/external7-test.jsonl"),
    ),
    (
        "eighth external set, test half",
        include_str!("../../tools/graded/external8-test.jsonl"),
    ),
    (
        "ninth external set, test half",
        include_str!("../../tools/graded/external9-test.jsonl"),
    ),
    (
        "tenth external set, test half",
        include_str!("../../tools/graded/external10-test.jsonl"),
    ),
    (
        "eleventh external set, test half",
        include_str!("../../tools/graded/external11-test.jsonl"),
    ),
    (
        "twelfth external set, test half",
        include_str!("../../tools/graded/external12-test.jsonl"),
    ),
    (
        "thirteenth external set, test half",
        include_str!("../../tools/graded/external13-test.jsonl"),
    ),
    (
        "fourteenth external set, test half",
        include_str!("../../tools/graded/external14-test.jsonl"),
    ),
    (
        "fifteenth external set, test half",
        include_str!("../../tools/graded/external15-test.jsonl"),
    ),
    (
        "sixteenth external set, test half",
        include_str!("../../tools/graded/external16-test.jsonl"),
    ),
    (
        "seventeenth external set, test half",
        include_str!("../../tools/graded/external17-test.jsonl"),
    ),
    (
        "eighteenth external set, test half",
        include_str!("../../tools/graded/external18-test.jsonl"),
    ),
];

/// One graded answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradedAnswer {
    /// An identifier for reports (default: `line N`).
    #[serde(default)]
    pub id: Option<String>,
    /// The question id.
    pub question: String,
    pub answer: String,
    /// The reference grade, 0-10.
    pub grade: f32,
    /// The kind of answer (strong, partial, wrong, ...), for the per-kind figures.
    #[serde(default)]
    pub kind: Option<String>,
    /// For grader-injection answers: the same answer without the injected text.
    #[serde(default)]
    pub base: Option<String>,
    /// A free-text note (ignored).
    #[serde(default)]
    pub note: Option<String>,
    /// The 1-based line of the row in its file (set when parsing).
    #[serde(skip)]
    pub line: usize,
}

impl GradedAnswer {
    /// The row's name in reports: its id, else its line.
    pub fn label(&self) -> String {
        self.id
            .clone()
            .unwrap_or_else(|| format!("line {}", self.line))
    }
}

/// A row that cannot be used, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Why a graded set cannot be used: every bad row, by line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GradedSetError {
    #[error("{source_name}: {}", .rows.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    BadRows {
        source_name: String,
        rows: Vec<RowError>,
    },
    #[error("{0}: no graded answers in it")]
    Empty(String),
}

/// At most this many bad rows are listed.
const MAX_ROW_ERRORS: usize = 5;

/// Parse a graded set. Blank lines are skipped; every other line must be a row whose grade is a
/// number from 0 to 10 and whose question and answer are not empty. `known` says whether a
/// question id exists (so a typo is reported by line, not as a poor score).
pub fn parse(
    text: &str,
    source_name: &str,
    known: impl Fn(&str) -> bool,
) -> Result<Vec<GradedAnswer>, GradedSetError> {
    let mut rows = vec![];
    let mut errors = vec![];
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| RowError {
            line: line_no,
            message,
        };
        match serde_json::from_str::<GradedAnswer>(line) {
            Err(e) => errors.push(bad(format!("not a graded row ({e})"))),
            Ok(mut row) => {
                row.line = line_no;
                row.question = row.question.trim().to_string();
                if !(0.0..=10.0).contains(&row.grade) || !row.grade.is_finite() {
                    errors.push(bad(format!("grade {} is not between 0 and 10", row.grade)));
                } else if row.question.is_empty() {
                    errors.push(bad("\"question\" is empty".into()));
                } else if !known(&row.question) {
                    errors.push(bad(format!("unknown question \"{}\"", row.question)));
                } else if row.answer.trim().is_empty() {
                    errors.push(bad("\"answer\" is empty".into()));
                } else {
                    rows.push(row);
                }
            }
        }
        if errors.len() >= MAX_ROW_ERRORS {
            break;
        }
    }
    if !errors.is_empty() {
        return Err(GradedSetError::BadRows {
            source_name: source_name.to_string(),
            rows: errors,
        });
    }
    if rows.is_empty() {
        return Err(GradedSetError::Empty(source_name.to_string()));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(_: &str) -> bool {
        true
    }

    #[test]
    fn rows_parse_with_optional_fields_and_blank_lines() {
        let text = "{\"question\":\"rope\",\"answer\":\"It rotates q and k.\",\"grade\":6.5}\n\n{\"question\":\"dpo\",\"answer\":\"x\",\"grade\":1,\"kind\":\"wrong\",\"id\":\"d1\"}\n";
        let rows = parse(text, "set", any).expect("valid");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 1);
        assert_eq!(rows[0].label(), "line 1");
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[1].kind.as_deref(), Some("wrong"));
        assert_eq!(rows[1].label(), "d1");
    }

    #[test]
    fn bad_rows_are_named_by_line() {
        let text = "{\"question\":\"rope\",\"answer\":\"a\",\"grade\":5}\nnot json\n{\"question\":\"rope\",\"answer\":\"a\",\"grade\":11}\n{\"question\":\"rope\",\"grade\":3}\n{\"question\":\"ropee\",\"answer\":\"a\",\"grade\":3}\n";
        let err = parse(text, "mine.jsonl", |q| q == "rope").expect_err("bad rows");
        let msg = err.to_string();
        assert!(
            msg.starts_with("mine.jsonl: line 2: not a graded row"),
            "{msg}"
        );
        assert!(
            msg.contains("line 3: grade 11 is not between 0 and 10"),
            "{msg}"
        );
        assert!(
            msg.contains("line 4: not a graded row (missing field `answer`"),
            "{msg}"
        );
        assert!(msg.contains("line 5: unknown question \"ropee\""), "{msg}");
    }

    #[test]
    fn an_empty_set_is_an_error() {
        assert_eq!(
            parse("\n\n", "e.jsonl", any),
            Err(GradedSetError::Empty("e.jsonl".into()))
        );
    }
}
