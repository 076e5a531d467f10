//! `interviewer calibrate [FILE]`: run a graded set through a grader and report its agreement:
//! n, Spearman, MAE, mean score beside mean grade per kind, and the worst disagreements. With
//! `--judge llm` it reports the rubric scorer, the judge alone and the two combined side by side,
//! chooses the combining weights on these answers and saves them for that model: interviews and
//! `score` with it then grade with those weights.

use super::{llm_judge, open_bank, runtime};
use crate::cli::{BankArgs, CalibrateArgs};
use crate::scoring::ScorerKind;
use crate::scoring::agreement::Agreement;
use crate::scoring::calibrate::{self, Calibration};
use crate::scoring::fusion::{DEFAULT_WEIGHTS, Weights};
use crate::scoring::graded::{self, GradedAnswer, TEST_SPLIT, TEST_SPLIT_NAME};
use crate::scoring::reconcile::Grader;
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
        ScorerKind::Llm | ScorerKind::Combined => {
            Some(llm_judge(&args.server, "calibrate --judge llm")?)
        }
    };
    // The judge is asked about every answer; the figure "as used" combines with the weights an
    // interview with this model would use until now (saved, or the defaults).
    let store = SessionStore::open(None).context("cannot open the data directory")?;
    let calibrations = Calibrations::in_home(store.home());
    let grader = judge.as_ref().map(|j| {
        let saved = calibrations.get(&j.base_url, &j.model_name).ok().flatten();
        let weights = saved.as_ref().and_then(SavedCalibration::weights);
        Grader {
            // Calibration asks everything, so that every way of combining can be measured.
            judge: j.judge(true),
            // A judge weighted 0 is not asked; calibration needs its verdicts.
            weights: weights.filter(|w| w.judge > 0.0).unwrap_or(DEFAULT_WEIGHTS),
            calibrated: weights.is_some(),
        }
    });
    let bar = progress_bar(rows.len() as u64, judge.is_some() && !args.json);
    let started = std::time::Instant::now();
    let graded = runtime()?
        .block_on(calibrate::run(
            &bank,
            &rows,
            grader.as_ref(),
            args.concurrency,
            &|| bar.inc(1),
        ))
        .context("the LLM judge cannot grade")?;
    bar.finish_and_clear();
    if let Some(path) = &args.verdicts {
        std::fs::write(path, calibrate::verdict_lines(&rows, &graded))
            .with_context(|| format!("cannot write the verdicts to {}", path.display()))?;
    }
    let mut report = calibrate::report(&bank, &set, &rows, &graded);
    // The default run of the rubric scorer also reports the splits written by outside writers:
    // the built-in test split shares its writer with the dev split it was tuned on.
    if args.file.is_none() && judge.is_none() && args.limit.is_none() {
        report.held_out = calibrate::held_out(&bank);
    }
    if let (Some(j), Some(rubric), Some(alone), Some(fitted)) =
        (&judge, &report.rubric, &report.judge_alone, &report.fitted)
    {
        let saved = SavedCalibration {
            base_url: j.base_url.clone(),
            model: j.model_name.clone(),
            set: set.clone(),
            n: report.agreement.n,
            judge_spearman: alone.spearman,
            rubric_spearman: rubric.spearman,
            combined_spearman: Some(fitted.spearman),
            weights: Some(fitted.weights),
            at: chrono::Utc::now(),
        };
        calibrations
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

fn weights_line(w: Weights) -> String {
    if w.judge <= 0.0 {
        "the rubric scorer alone (the judge added nothing)".to_string()
    } else {
        format!(
            "judge weight {:.1}{}",
            w.judge,
            if w.unlisted_errors {
                ", errors the rubric does not list count"
            } else {
                ""
            }
        )
    }
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
    if let (Some(r), Some(j), Some(f)) = (&report.rubric, &report.judge_alone, &report.fitted) {
        let _ = writeln!(
            out,
            "\n  {:<34} {:>8}  {:>5}",
            "on the same answers", "Spearman", "MAE"
        );
        let _ = writeln!(
            out,
            "  {:<34} {:>8.3}  {:>5.2}",
            "rubric scorer", r.spearman, r.mae
        );
        let _ = writeln!(
            out,
            "  {:<34} {:>8.3}  {:>5.2}",
            "LLM judge alone", j.spearman, j.mae
        );
        let _ = writeln!(
            out,
            "  {:<34} {:>8.3}  {:>5.2}",
            "combined (cross-fitted)", f.spearman, f.mae
        );
        let _ = writeln!(out, "  saved for this model: {}", weights_line(f.weights));
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
    if !report.held_out.is_empty() {
        let _ = writeln!(
            out,
            "\n  Held out, written outside the project (the split above shares its writer with the\n  dev split the scorer was tuned on, so these say more):"
        );
        for h in &report.held_out {
            let _ = writeln!(
                out,
                "  {:<34} n = {:>3}  Spearman = {:.3}  MAE = {:.2}",
                h.set, h.n, h.spearman, h.mae
            );
        }
    }
    if elapsed.as_secs() >= 1 {
        let _ = writeln!(out, "\n  Took {:.0} s.", elapsed.as_secs_f64());
    }
    out
}
