//! `interviewer score`: score one answer against a question's rubric as an interview would: the
//! rubric scorer, and with a model server the model as judge, combined with the weights measured
//! for it (`--judge` picks one grader alone).

use super::{runtime, server_judge, setup};
use crate::bank::Bank;
use crate::cli::{BankArgs, ScoreArgs};
use crate::scoring::ScorerKind;
use crate::scoring::reconcile::{Graded, Grader, grade};
use crate::scoring::{Score, Verdict};
use crate::session::calibrations::Calibrations;
use crate::session::store::SessionStore;
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
    let (grader, calibrated) = grader(&score)?;
    let graded = runtime()?
        .block_on(grade(question, &answer, &[], grader.as_ref()))
        .context("the LLM judge cannot grade")?;
    if score.json {
        println!(
            "{}",
            serde_json::to_string(&ScoreOutput::of(&graded, calibrated))
                .context("cannot encode the score as JSON")?
        );
    } else {
        print!("{}", render(&graded.used));
        if let Some(j) = &graded.judge {
            if let (Some(r), true) = (&j.rubric, j.used != ScorerKind::Rubric) {
                println!("Rubric scorer: {:.1}/10", r.score);
            }
            if let (Some(s), true) = (&j.score, j.used == ScorerKind::Combined) {
                println!("LLM judge: {:.1}/10", s.score);
            }
            if let Some(note) = &j.note {
                println!("Note: {note}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The grader an interview with these server flags would use (the saved calibration's weights, or
/// the defaults), or the one `--judge` names, and with a server whether its weights were measured;
/// the line saying which goes to stderr.
fn grader(score: &ScoreArgs) -> anyhow::Result<(Option<Grader>, Option<bool>)> {
    let server = server_judge(&score.server)?;
    let Some(server) = server else {
        if score.judge == Some(ScorerKind::Llm) {
            anyhow::bail!(
                "score --judge llm needs a model server: pass --base-url (Ollama, vLLM, llama.cpp, LM Studio) or set {} (OpenAI)",
                setup::API_KEY_VAR
            );
        }
        return Ok((None, None));
    };
    // `--judge llm` reads it too: whether the model's own finds of unlisted errors count.
    let saved = if score.judge != Some(ScorerKind::Rubric) {
        let store = SessionStore::open(None).context("cannot open the data directory")?;
        Calibrations::in_home(store.home())
            .get(&server.base_url, &server.model_name)
            .unwrap_or_else(|e| {
                eprintln!("interviewer: ignoring the saved calibrations: {e}");
                None
            })
    } else {
        None
    };
    let choice = setup::grader(score.judge, true, &server.model_name, saved.as_ref());
    if let Some(notice) = &choice.notice
        && !score.json
    {
        eprintln!("{notice}");
    }
    let grader = choice.weights.map(|weights| Grader {
        judge: server.judge(weights.unlisted_errors),
        weights,
        calibrated: choice.calibrated,
    });
    Ok((grader, Some(choice.calibrated)))
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
    judge_weight: Option<f32>,
    /// With a model judge: whether its weights were measured for this model.
    #[serde(skip_serializing_if = "Option::is_none")]
    calibrated: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

impl<'a> ScoreOutput<'a> {
    fn of(graded: &'a Graded, calibrated: Option<bool>) -> Self {
        let judge = graded.judge.as_ref();
        Self {
            score: &graded.used,
            rubric_score: judge.and(graded.rubric_score()),
            judge_score: judge.and_then(|j| j.score.as_ref()).map(|s| s.score),
            judge_weight: judge.and_then(|j| j.judge_weight),
            calibrated,
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
    if !score.doubts.is_empty() {
        out.push_str("Possibly wrong, worth checking:\n");
        for m in &score.doubts {
            out.push_str(&format!("  - {m}\n"));
        }
    }
    out.push_str(&format!("Feedback: {}\n", score.feedback));
    out
}

/// At most `max` characters of a one-line version of `s`, with an ellipsis when cut.
pub fn shorten(s: &str, max: usize) -> String {
    let flat = crate::strings::one_line(s);
    // Keep terminals safe: drop control characters (e.g. ANSI escapes quoted from an answer).
    let flat: String = flat.chars().filter(|c| !c.is_control()).collect();
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}
