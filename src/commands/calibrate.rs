//! `interviewer calibrate [FILE]`: run a graded set through a grader and report its agreement:
//! n, Spearman, MAE, mean score beside mean grade per kind, and the worst disagreements. With
//! `--judge llm` the result is saved for that model, and interviews then grade with whichever of
//! the judge and the rubric scorer agreed better.

use super::{llm_judge, open_bank, runtime};
use crate::cli::{BankArgs, CalibrateArgs};
use crate::scoring::ScorerKind;
use crate::scoring::agreement::Agreement;
use crate::scoring::calibrate::{self, Calibration};
use crate::scoring::graded::{self, GradedAnswer, TEST_SPLIT, TEST_SPLIT_NAME};
use crate::session::calibrations::{Calibrations, SavedCalibration};
use crate::session::store::SessionStore;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::process::ExitCode;

pub fn run(bank_args: &BankArgs, args: CalibrateArgs) -> anyhow::Result<ExitCode> {
    let bank = open_bank(bank_args)?;
    let (name, text) = match &args.file {
        Some(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read graded set {}", path.display()))?,
        ),
        None => (TEST_SPLIT_NAME.to_string(), TEST_SPLIT.to_string()),
    };
    let all = graded::parse(&text, &name, |q| bank.get(q).is_some())?;
    let rows: Vec<GradedAnswer> = calibrate::sample(all.len(), args.limit)
        .into_iter()
        .map(|i| all[i].clone())
        .collect();
    let set = match args.limit {
        Some(k) if k < all.len() => format!("{name} (a sample of {} of {})", rows.len(), all.len()),
        _ => name.clone(),
    };
    let judge = match args.judge {
        ScorerKind::Rubric => None,
        ScorerKind::Llm => Some(llm_judge(&args.server, "calibrate --judge llm")?),
    };
    let bar = progress_bar(rows.len() as u64, judge.is_some() && !args.json);
    let started = std::time::Instant::now();
    let graded = runtime()?
        .block_on(calibrate::run(
            &bank,
            &rows,
            judge.as_ref().map(|j| j.judge.as_ref()),
            args.concurrency,
            &|| bar.inc(1),
        ))
        .context("the LLM judge cannot grade")?;
    bar.finish_and_clear();
    let report = calibrate::report(&bank, &set, &rows, &graded);
    if let (Some(j), Some(rubric)) = (&judge, &report.rubric) {
        let saved = SavedCalibration {
            base_url: j.base_url.clone(),
            model: j.model_name.clone(),
            set: set.clone(),
            n: report.agreement.n,
            judge_spearman: report.agreement.spearman,
            rubric_spearman: rubric.spearman,
            at: chrono::Utc::now(),
        };
        let store = SessionStore::open(None).context("cannot open the data directory")?;
        Calibrations::in_home(store.home())
            .save(&saved)
            .context("cannot save the calibration")?;
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).context("cannot encode the report as JSON")?
        );
    } else {
        print!("{}", render(&report, started.elapsed()));
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on stderr when it is a terminal (and asked for); hidden otherwise.
fn progress_bar(len: u64, show: bool) -> ProgressBar {
    if !show || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("grading {bar:30} {pos}/{len} answers  {elapsed} (eta {eta})")
    {
        bar.set_style(style);
    }
    bar
}

fn agreement_line(a: &Agreement) -> String {
    format!(
        "n = {}  Spearman = {:.3}  MAE = {:.2}",
        a.n, a.spearman, a.mae
    )
}

/// The report as text.
pub fn render(report: &Calibration, elapsed: std::time::Duration) -> String {
    let a = &report.agreement;
    let mut out = String::new();
    let _ = writeln!(out, "Grader: {}  on {}", a.scorer, report.set);
    let _ = writeln!(out, "  {}", agreement_line(a));
    if let Some(r) = &report.rubric {
        let _ = writeln!(
            out,
            "  rubric scorer on the same answers: Spearman = {:.3}  MAE = {:.2}",
            r.spearman, r.mae
        );
    }
    if let Some(f) = report.fallbacks {
        let _ = writeln!(
            out,
            "  rubric score used for {f} of {} answers (judge failed or quoted evidence not in the answer)",
            a.n
        );
    }
    if let Some(raised) = report.injection_above_base {
        let _ = writeln!(
            out,
            "  grader-injection answers scored above the same answer without it: {raised}"
        );
    }
    if !a.by_kind.is_empty() {
        let _ = writeln!(
            out,
            "\n  {:<12} {:>4}  {:>10}  {:>10}",
            "kind", "n", "mean score", "mean grade"
        );
        for (kind, k) in &a.by_kind {
            let _ = writeln!(
                out,
                "  {kind:<12} {:>4}  {:>10.2}  {:>10.2}",
                k.n, k.mean_score, k.mean_grade
            );
        }
    }
    if !a.worst.is_empty() {
        let _ = writeln!(out, "\n  Largest disagreements:");
        for d in &a.worst {
            let _ = writeln!(
                out,
                "    {:<40} grade {:>4.1}  score {:>4.1}",
                d.id, d.grade, d.score
            );
        }
    }
    if elapsed.as_secs() >= 1 {
        let _ = writeln!(out, "\n  Took {:.0} s.", elapsed.as_secs_f64());
    }
    out
}
