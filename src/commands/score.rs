//! `interviewer score`: score one answer against a question's rubric, with the rubric scorer or
//! (`--judge llm`) the LLM judge of a model server, whose grounded verdict then stands.

use super::{llm_judge, runtime};
use crate::bank::Bank;
use crate::cli::{BankArgs, ScoreArgs};
use crate::scoring::ScorerKind;
use crate::scoring::reconcile::{Graded, grade};
use crate::scoring::{Score, Verdict};
use anyhow::Context;
use serde::Serialize;
use std::io::{IsTerminal, Read};
use std::path::Path;
use std::process::ExitCode;

/// Answers longer than this are truncated when read (the scorer reads far less anyway).
const MAX_READ_BYTES: u64 = 8 * 1024 * 1024;

/// Score the answer given by `--answer`, `--answer-file` or standard input.
pub fn run(args: &BankArgs, score: ScoreArgs) -> anyhow::Result<ExitCode> {
    let bank = super::open_bank(args)?;
    let Some(question) = bank.get(score.question.trim()) else {
        eprintln!("interviewer: {}", unknown_question(&bank, &score.question));
        return Ok(ExitCode::from(2));
    };
    let answer = match (&score.answer, &score.answer_file) {
        (Some(text), _) => text.clone(),
        (None, Some(path)) => read_file(path)?,
        (None, None) => read_stdin()?,
    };
    let judge = match score.judge {
        ScorerKind::Rubric => None,
        ScorerKind::Llm => Some(llm_judge(&score.server, "score --judge llm")?),
    };
    let graded = runtime()?
        .block_on(grade(
            question,
            &answer,
            &[],
            judge.as_ref().map(|j| j.judge.as_ref()),
        ))
        .context("the LLM judge cannot grade")?;
    if score.json {
        println!(
            "{}",
            serde_json::to_string(&ScoreOutput::of(&graded))
                .context("cannot encode the score as JSON")?
        );
    } else {
        print!("{}", render(&graded.used));
        if let Some(j) = &graded.judge {
            if let (Some(r), ScorerKind::Llm) = (&j.rubric, j.used) {
                println!("Rubric scorer: {:.1}/10", r.score);
            }
            if let Some(note) = &j.note {
                println!("Note: {note}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `score --json`: the score that stands, with the rubric's score and the judge's note beside it
/// when a judge was asked.
#[derive(Serialize)]
struct ScoreOutput<'a> {
    #[serde(flatten)]
    score: &'a Score,
    #[serde(skip_serializing_if = "Option::is_none")]
    rubric_score: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    judge_score: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

impl<'a> ScoreOutput<'a> {
    fn of(graded: &'a Graded) -> Self {
        let judge = graded.judge.as_ref();
        Self {
            score: &graded.used,
            rubric_score: judge.and(graded.rubric_score()),
            judge_score: judge.and_then(|j| j.score.as_ref()).map(|s| s.score),
            note: judge.and_then(|j| j.note.as_deref()),
        }
    }
}

/// `unknown question "x"; did you mean: a, b` (or every id when none is close).
pub fn unknown_question(bank: &Bank, id: &str) -> String {
    let close = bank.close_ids(id);
    if close.is_empty() {
        let all: Vec<&str> = bank.ids().collect();
        format!(
            "unknown question \"{id}\"; known questions: {}",
            all.join(", ")
        )
    } else {
        format!(
            "unknown question \"{id}\"; did you mean: {}",
            close.join(", ")
        )
    }
}

fn read_limited(reader: impl Read) -> std::io::Result<String> {
    let mut bytes = vec![];
    reader.take(MAX_READ_BYTES).read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn read_file(path: &Path) -> anyhow::Result<String> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read answer file {}", path.display()))?;
    read_limited(file).with_context(|| format!("cannot read answer file {}", path.display()))
}

fn read_stdin() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("Type or paste the answer, then press Ctrl-D:");
    }
    read_limited(stdin.lock()).context("cannot read the answer from standard input")
}

/// A readable report: score, each point's verdict and evidence, misconceptions, feedback.
pub fn render(score: &Score) -> String {
    let mut out = format!(
        "{}: {:.1}/10 ({} scorer)\n",
        score.question,
        score.score,
        score.scorer.as_str()
    );
    let width = score.points.iter().map(|p| p.id.len()).max().unwrap_or(0);
    for p in &score.points {
        let mark = match p.verdict {
            Verdict::Covered => "covered",
            Verdict::Partial => "partial",
            Verdict::Missed => "missed ",
        };
        if p.evidence.is_empty() {
            out.push_str(&format!("  {mark}  {}\n", p.id));
        } else {
            out.push_str(&format!(
                "  {mark}  {:width$}  \"{}\"\n",
                p.id,
                shorten(&p.evidence, 100)
            ));
        }
    }
    if !score.misconceptions.is_empty() {
        out.push_str("Misconceptions:\n");
        for m in &score.misconceptions {
            out.push_str(&format!("  - {m}\n"));
        }
    }
    out.push_str(&format!("Feedback: {}\n", score.feedback));
    out
}

/// At most `max` characters of a one-line version of `s`, with an ellipsis when cut.
pub fn shorten(s: &str, max: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    // Keep terminals safe: drop control characters (e.g. ANSI escapes quoted from an answer).
    let flat: String = flat.chars().filter(|c| !c.is_control()).collect();
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}
