//! `interviewer bank list | show | check`: inspect and validate question banks.

use super::score::{shorten, unknown_question};
use crate::bank::{Bank, BankError, Domain, Mode, Question, load_bank, load_dir};
use crate::cli::{BankArgs, BankCommand};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

/// Run a `bank` subcommand.
pub fn run(args: &BankArgs, cmd: BankCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BankCommand::List { domain, mode } => list(args, domain.as_deref(), mode.as_deref()),
        BankCommand::Show { id } => show(args, &id),
        BankCommand::Check { dir } => check(args, dir.as_deref()),
    }
}

fn list(args: &BankArgs, domain: Option<&str>, mode: Option<&str>) -> anyhow::Result<ExitCode> {
    let domain = match domain.map(|d| (d, Domain::parse(d))) {
        Some((d, None)) => {
            let valid: Vec<&str> = Domain::ALL.iter().map(|d| d.as_str()).collect();
            anyhow::bail!("unknown domain \"{d}\" (valid: {})", valid.join(", "));
        }
        Some((_, parsed)) => parsed,
        None => None,
    };
    let mode = match mode.map(|m| (m, Mode::parse(m))) {
        Some((m, None)) => anyhow::bail!("unknown mode \"{m}\" (valid: first-round, deep-dive)"),
        Some((_, parsed)) => parsed,
        None => None,
    };
    let bank = super::open_bank(args)?;
    let rows: Vec<&Question> = bank
        .questions
        .iter()
        .filter(|q| domain.is_none_or(|d| q.domain == d))
        .filter(|q| mode.is_none_or(|m| q.suits(m)))
        .collect();
    print!("{}", table(&rows));
    Ok(ExitCode::SUCCESS)
}

/// An aligned table: id, domain, difficulty, modes, points, the question shortened.
fn table(rows: &[&Question]) -> String {
    let header = ["ID", "DOMAIN", "DIFFICULTY", "MODES", "POINTS", "QUESTION"];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|q| {
            let modes: Vec<&str> = q.modes.iter().map(|m| m.as_str()).collect();
            [
                q.id.clone(),
                q.domain.to_string(),
                q.difficulty.to_string(),
                modes.join(","),
                q.points.len().to_string(),
                shorten(&q.ask, 70),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cols: [&str; 6]| {
        let mut l = String::new();
        for (i, c) in cols.iter().enumerate() {
            if i + 1 == cols.len() {
                l.push_str(c);
            } else {
                let pad = widths[i] - c.chars().count();
                let _ = write!(l, "{c}{}  ", " ".repeat(pad));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header);
    for row in &cells {
        line([&row[0], &row[1], &row[2], &row[3], &row[4], &row[5]]);
    }
    let n = rows.len();
    out.push_str(&format!("{n} question{}\n", if n == 1 { "" } else { "s" }));
    out
}

fn show(args: &BankArgs, id: &str) -> anyhow::Result<ExitCode> {
    let bank = super::open_bank(args)?;
    let Some(q) = bank.get(id.trim()) else {
        eprintln!("interviewer: {}", unknown_question(&bank, id));
        return Ok(ExitCode::from(2));
    };
    print!("{}", describe(q));
    Ok(ExitCode::SUCCESS)
}

/// The question, what it assesses, every point with its cues and probes, and the reference.
fn describe(q: &Question) -> String {
    let modes: Vec<&str> = q.modes.iter().map(|m| m.as_str()).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  ({}, {}; {})",
        q.id,
        q.domain.title(),
        q.difficulty,
        modes.join(", ")
    );
    let _ = writeln!(out, "\nQuestion: {}", q.ask.trim());
    let _ = writeln!(out, "Assesses: {}", q.assesses.trim());
    let _ = writeln!(out, "\nRubric points (total weight {}):", q.total_weight());
    let quoted = |items: &[String]| {
        items
            .iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (i, p) in q.points.iter().enumerate() {
        let _ = writeln!(out, "\n{}. {}  (weight {})", i + 1, p.id, p.weight);
        let _ = writeln!(out, "   Expect: {}", p.expect.trim());
        if !p.keywords.is_empty() {
            let _ = writeln!(out, "   Keywords: {}", p.keywords.join(", "));
        }
        let _ = writeln!(out, "   Cues: {}", quoted(&p.cues));
        for m in &p.misconceptions {
            let _ = writeln!(out, "   Misconception: {}", m.claim.trim());
            let _ = writeln!(out, "     cues: {}", quoted(&m.cues));
        }
        let _ = writeln!(out, "   Probes:");
        for probe in &p.probes {
            let _ = writeln!(out, "     - {}", probe.trim());
        }
        if !p.derivations.is_empty() {
            let _ = writeln!(out, "   Derivations:");
            for d in &p.derivations {
                let _ = writeln!(out, "     - {}", d.trim());
            }
        }
        if let Some(h) = &p.hint {
            let _ = writeln!(out, "   Hint: {}", h.trim());
        }
    }
    let _ = writeln!(out, "\nReference answer:");
    for line in q.reference.trim().lines() {
        let _ = writeln!(out, "  {}", line.trim_end());
    }
    out
}

fn check(args: &BankArgs, dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    let loaded = match dir {
        Some(dir) => load_dir(dir),
        None => load_bank(&super::bank_source(args)),
    };
    match loaded {
        Ok(bank) => {
            println!("{}", summary(&bank));
            Ok(ExitCode::SUCCESS)
        }
        Err(BankError::Invalid(problems)) => {
            for p in &problems {
                println!("{p}");
            }
            let n = problems.len();
            println!("{n} problem{} found", if n == 1 { "" } else { "s" });
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

/// "20 questions in 5 domains: ok".
fn summary(bank: &Bank) -> String {
    let domains: BTreeSet<Domain> = bank.questions.iter().map(|q| q.domain).collect();
    let (nq, nd) = (bank.questions.len(), domains.len());
    format!(
        "{nq} question{} in {nd} domain{}: ok",
        if nq == 1 { "" } else { "s" },
        if nd == 1 { "" } else { "s" }
    )
}
