//! Loading banks: the embedded built-in one and users' directories of TOML files.
//!
//! Every file is parsed with spans, so syntax and type errors point at `file:line:col`; unknown
//! domains, modes and difficulties are reported with the valid values; missing lists and texts
//! become empty so that [`validate`](super::validate) reports them by name. Loading fails with
//! [`BankError::Invalid`] listing every problem found.

use super::validate::{Problem, validate};
use super::{Bank, Difficulty, Domain, Mode, Question};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue, ValueDeserializer};

/// The built-in bank, one file per domain, embedded at build time.
const BUILTIN: &[(&str, &str)] = &[
    (
        "transformer.toml",
        include_str!("../../tools/transformer.toml"),
    ),
    (
        "pretraining.toml",
        include_str!("../../tools/pretraining.toml"),
    ),
    (
        "finetuning.toml",
        include_str!("../../tools/finetuning.toml"),
    ),
    ("inference.toml", include_str!("../../tools/inference.toml")),
    (
        "applications.toml",
        include_str!("../../tools/applications.toml"),
    ),
];

/// At most this many syntax errors are reported per file (later ones are usually knock-on errors).
const MAX_SYNTAX_ERRORS: usize = 5;

/// Where a bank comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankSource {
    Builtin,
    /// A user's directory extending the built-in bank (same id replaces).
    Extend(PathBuf),
    /// A user's directory replacing the built-in bank.
    Replace(PathBuf),
}

/// Why a bank could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum BankError {
    /// The bank's files have problems; every one is listed.
    #[error("{}", ProblemList(.0))]
    Invalid(Vec<Problem>),
    /// The bank directory could not be listed.
    #[error("cannot read bank directory {}: {error}", path.display())]
    Io {
        path: PathBuf,
        /// Not a `source`: the message already says it, and chains would repeat it.
        error: std::io::Error,
    },
}

impl BankError {
    /// The problems of an invalid bank (empty for I/O errors).
    pub fn problems(&self) -> &[Problem] {
        match self {
            BankError::Invalid(p) => p,
            BankError::Io { .. } => &[],
        }
    }
}

struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "{n} problem{}:", if n == 1 { "" } else { "s" })?;
        for p in self.0 {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

/// The embedded bank (validated; an invalid built-in bank is a bug caught by the tests).
pub fn load_builtin() -> Result<Bank, BankError> {
    load_texts(
        BUILTIN
            .iter()
            .map(|(name, text)| ((*name).to_string(), Ok((*text).to_string()))),
    )
}

/// Every `*.toml` file of `dir` (in name order) as one bank, validated on its own.
pub fn load_dir(dir: &Path) -> Result<Bank, BankError> {
    let io = |source| BankError::Io {
        path: dir.to_path_buf(),
        error: source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        let problem = Problem::new(
            &dir.display().to_string(),
            None,
            "no question files (*.toml) in this directory",
        );
        return Err(BankError::Invalid(vec![problem]));
    }
    load_texts(files.into_iter().map(|f| {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&f);
        (name, text)
    }))
}

/// The bank a source describes: the built-in one, extended or replaced by a user's directory.
pub fn load_bank(source: &BankSource) -> Result<Bank, BankError> {
    match source {
        BankSource::Builtin => load_builtin(),
        BankSource::Replace(dir) => load_dir(dir),
        BankSource::Extend(dir) => {
            let mut bank = load_builtin()?;
            for q in load_dir(dir)?.questions {
                match bank.questions.iter_mut().find(|b| b.id == q.id) {
                    Some(slot) => *slot = q,
                    None => bank.questions.push(q),
                }
            }
            bank.questions.sort_by_key(|q| q.domain);
            Ok(bank)
        }
    }
}

/// Parse and validate named file texts as one bank.
fn load_texts(
    files: impl IntoIterator<Item = (String, std::io::Result<String>)>,
) -> Result<Bank, BankError> {
    let mut problems = vec![];
    let mut parsed: Vec<(String, Question)> = vec![];
    for (name, text) in files {
        match text {
            Ok(text) => {
                let (questions, mut found) = parse_file(&name, &text);
                problems.append(&mut found);
                parsed.extend(questions.into_iter().map(|q| (name.clone(), q)));
            }
            Err(e) => problems.push(Problem::new(&name, None, format!("cannot read file: {e}"))),
        }
    }
    problems.extend(validate(parsed.iter().map(|(f, q)| (f.as_str(), q))));
    if !problems.is_empty() {
        return Err(BankError::Invalid(problems));
    }
    let mut questions: Vec<Question> = parsed.into_iter().map(|(_, q)| q).collect();
    questions.sort_by_key(|q| q.domain);
    Ok(Bank { questions })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Parse one file's questions; returns the questions that deserialised and the problems found.
fn parse_file(name: &str, text: &str) -> (Vec<Question>, Vec<Problem>) {
    let pos = |span: std::ops::Range<usize>| Some(line_col(text, span.start));
    let (root, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        let problems = errors
            .iter()
            .take(MAX_SYNTAX_ERRORS)
            .map(|e| {
                Problem::new(name, None, format!("syntax error: {}", e.message().trim()))
                    .at(e.span().and_then(pos))
            })
            .collect();
        return (vec![], problems);
    }
    let mut problems = vec![];
    let mut questions = vec![];
    for (key, value) in root.get_ref().iter() {
        if key.get_ref() != "questions" {
            let msg = format!(
                "unknown top-level key `{}` (a bank file holds only [[questions]])",
                key.get_ref()
            );
            problems.push(Problem::new(name, None, msg).at(pos(key.span())));
            continue;
        }
        let Some(items) = value.get_ref().as_array() else {
            problems.push(
                Problem::new(
                    name,
                    None,
                    "`questions` must be an array of tables ([[questions]])",
                )
                .at(pos(value.span())),
            );
            continue;
        };
        for item in items.iter() {
            let span = item.span();
            let Some(table) = item.get_ref().as_table() else {
                problems.push(
                    Problem::new(name, None, "each entry of `questions` must be a table")
                        .at(pos(span)),
                );
                continue;
            };
            let id = field(table, "id")
                .and_then(|v| v.get_ref().as_str())
                .map(str::to_string);
            let mut patched = table.clone();
            let mut found = vec![];
            patch_question(&mut patched, span.clone(), &mut found);
            for (at, msg) in found {
                problems.push(Problem::new(name, id.as_deref(), msg).at(pos(at)));
            }
            let value = Spanned::new(span.clone(), DeValue::Table(patched.clone()));
            match Question::deserialize(ValueDeserializer::from(value)) {
                Ok(q) => questions.push(q),
                Err(e) => {
                    let at = e.span().unwrap_or(span);
                    let msg = match point_at(&patched, at.start) {
                        Some(point) => format!("point \"{point}\": {}", e.message().trim()),
                        None => e.message().trim().to_string(),
                    };
                    problems.push(Problem::new(name, id.as_deref(), msg).at(pos(at)));
                }
            }
        }
    }
    (questions, problems)
}

/// The id of the rubric point whose table contains a byte offset (to name it in type errors).
fn point_at(question: &DeTable<'_>, offset: usize) -> Option<String> {
    let points = field(question, "points")?.get_ref().as_array()?;
    // A `[[questions.points]]` table's span may cover only its header: take the last one starting before.
    let point = points
        .iter()
        .filter(|p| p.span().start <= offset)
        .max_by_key(|p| p.span().start)?;
    let id = field(point.get_ref().as_table()?, "id")?
        .get_ref()
        .as_str()?;
    (!id.is_empty()).then(|| id.to_string())
}

type Found = Vec<(std::ops::Range<usize>, String)>;

fn field<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
    table
        .iter()
        .find(|(k, _)| k.get_ref() == key)
        .map(|(_, v)| v)
}

fn field_mut<'a, 'i>(
    table: &'a mut DeTable<'i>,
    key: &str,
) -> Option<&'a mut Spanned<DeValue<'i>>> {
    table
        .iter_mut()
        .find(|(k, _)| k.get_ref() == key)
        .map(|(_, v)| v)
}

/// Insert an empty string or array for a missing key, so validation can name the empty field.
fn default_missing(
    table: &mut DeTable<'_>,
    key: &'static str,
    span: &std::ops::Range<usize>,
    array: bool,
) {
    if field(table, key).is_none() {
        let value = if array {
            DeValue::Array(DeArray::new())
        } else {
            DeValue::String(Cow::Borrowed(""))
        };
        table.insert(
            Spanned::new(span.clone(), Cow::Borrowed(key)),
            Spanned::new(span.clone(), value),
        );
    }
}

/// Replace an unknown enum string with a valid one after reporting it, so the rest still parses.
fn check_enum(
    value: &mut Spanned<DeValue<'_>>,
    field_name: &str,
    valid: &[&'static str],
    found: &mut Found,
) {
    let Some(s) = value.get_ref().as_str() else {
        return;
    };
    if valid.contains(&s) {
        return;
    }
    found.push((
        value.span(),
        format!(
            "{field_name} \"{s}\" is unknown (valid: {})",
            valid.join(", ")
        ),
    ));
    *value.get_mut() = DeValue::String(Cow::Borrowed(valid[0]));
}

fn patch_question(q: &mut DeTable<'_>, span: std::ops::Range<usize>, found: &mut Found) {
    let domains: Vec<&'static str> = Domain::ALL.iter().map(|d| d.as_str()).collect();
    let modes = [Mode::FirstRound.as_str(), Mode::DeepDive.as_str()];
    let difficulties = [
        Difficulty::Core,
        Difficulty::Intermediate,
        Difficulty::Advanced,
    ]
    .map(Difficulty::as_str);
    if let Some(v) = field_mut(q, "domain") {
        check_enum(v, "domain", &domains, found);
    }
    if let Some(v) = field_mut(q, "difficulty") {
        check_enum(v, "difficulty", &difficulties, found);
    }
    if let Some(v) = field_mut(q, "modes")
        && let DeValue::Array(items) = v.get_mut()
    {
        for item in items.iter_mut() {
            check_enum(item, "mode", &modes, found);
        }
    }
    for key in ["id", "ask", "assesses", "reference"] {
        default_missing(q, key, &span, false);
    }
    for key in ["modes", "points"] {
        default_missing(q, key, &span, true);
    }
    if let Some(points) = field_mut(q, "points")
        && let DeValue::Array(points) = points.get_mut()
    {
        for point in points.iter_mut() {
            let pspan = point.span();
            let DeValue::Table(p) = point.get_mut() else {
                continue;
            };
            for key in ["id", "expect"] {
                default_missing(p, key, &pspan, false);
            }
            for key in ["cues", "probes"] {
                default_missing(p, key, &pspan, true);
            }
            if let Some(ms) = field_mut(p, "misconceptions")
                && let DeValue::Array(ms) = ms.get_mut()
            {
                for m in ms.iter_mut() {
                    let mspan = m.span();
                    if let DeValue::Table(m) = m.get_mut() {
                        default_missing(m, "claim", &mspan, false);
                        default_missing(m, "cues", &mspan, true);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[questions]]
id = "kv-cache"
domain = "inference"
difficulty = "core"
modes = ["first-round"]
ask = "How does a KV cache work?"
assesses = "Caching."
reference = "It stores keys and values."

[[questions.points]]
id = "reuse"
weight = 2.0
expect = "Keys and values of earlier tokens are stored and reused."
cues = ["store keys values"]
probes = ["Why not queries?"]

[[questions.points.misconceptions]]
claim = "Queries are cached."
cues = ["cache queries"]

[[questions.points]]
id = "memory"
weight = 1.0
expect = "It costs memory."
cues = ["memory grows"]
probes = ["How much?"]

[[questions.points]]
id = "shrink"
weight = 1.0
expect = "GQA shrinks it."
cues = ["share kv heads"]
probes = ["Why does sharing work?"]
"#;

    fn texts(files: &[(&str, &str)]) -> Result<Bank, BankError> {
        load_texts(
            files
                .iter()
                .map(|(n, t)| (n.to_string(), Ok(t.to_string()))),
        )
    }

    fn problems(files: &[(&str, &str)]) -> Vec<String> {
        match texts(files) {
            Ok(_) => vec![],
            Err(e) => e.problems().iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_good_file_loads() {
        let bank = texts(&[("inference.toml", GOOD)]).unwrap();
        assert_eq!(bank.questions.len(), 1);
        assert_eq!(
            bank.questions[0].points[0].misconceptions[0].cues,
            ["cache queries"]
        );
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let broken = GOOD.replace("weight = 2.0", "weight = = 2.0");
        let p = problems(&[("inference.toml", &broken)]);
        assert!(!p.is_empty());
        assert!(
            p[0].starts_with("inference.toml:13:10: syntax error"),
            "{p:?}"
        );
        assert!(p[0].contains("syntax error"), "{p:?}");
    }

    #[test]
    fn type_errors_name_the_question_and_position() {
        let broken = GOOD.replace(
            "weight = 1.0\nexpect = \"It costs",
            "weight = \"heavy\"\nexpect = \"It costs",
        );
        let p = problems(&[("inference.toml", &broken)]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(
            p[0],
            "inference.toml:24:10: question \"kv-cache\": point \"memory\": invalid type: string \"heavy\", expected f32"
        );
    }

    #[test]
    fn unknown_enums_list_valid_values_and_all_problems_are_collected() {
        let broken = GOOD
            .replace("domain = \"inference\"", "domain = \"serving\"")
            .replace("modes = [\"first-round\"]", "modes = [\"final\"]")
            .replace("probes = [\"How much?\"]", "");
        let p = problems(&[("inference.toml", &broken)]);
        assert!(
            p.iter().any(|m| m.starts_with("inference.toml:4:10: question \"kv-cache\": domain \"serving\" is unknown (valid: transformer, pretraining, finetuning, inference, applications)")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|m| m.contains("mode \"final\" is unknown (valid: first-round, deep-dive)")),
            "{p:?}"
        );
        assert!(p.iter().any(|m| m == "inference.toml: question \"kv-cache\": point \"memory\": has no probes (at least one why-probe is needed)"), "{p:?}");
        assert_eq!(p.len(), 3, "{p:?}");
    }

    #[test]
    fn duplicate_ids_across_files_name_both_files() {
        let p = problems(&[("a.toml", GOOD), ("b.toml", GOOD)]);
        assert_eq!(
            p,
            ["b.toml: question \"kv-cache\": duplicate question id (also defined in a.toml)"]
        );
    }

    #[test]
    fn unknown_fields_are_type_errors() {
        let broken = GOOD.replace("difficulty = \"core\"", "difficulty = \"core\"\nlevel = 3");
        let p = problems(&[("inference.toml", &broken)]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("inference.toml:6:1: question \"kv-cache\": unknown field `level`"),
            "{p:?}"
        );
    }

    #[test]
    fn the_builtin_bank_is_valid() {
        let bank = match load_builtin() {
            Ok(b) => b,
            Err(e) => panic!("built-in bank is invalid:\n{e}"),
        };
        // While the data files are being written the bank may still be empty.
        if !bank.questions.is_empty() {
            assert_eq!(
                bank.questions.len(),
                20,
                "the built-in bank has the article's 20 questions"
            );
            for d in Domain::ALL {
                assert_eq!(bank.in_domain(d).count(), 4, "4 questions in {d}");
            }
        }
    }
}
