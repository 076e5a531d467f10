//! `interviewer review [ID|PATH] [--format F] [--output FILE]`: render a scored transcript.

use crate::bank::Bank;
use crate::cli::{BankArgs, ReviewArgs, ReviewFormat};
use crate::report::{Format, Review};
use crate::session::SessionStore;
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

/// Render a session (default: the latest) in the requested format, to stdout or `--output`.
pub fn run(bank_args: &BankArgs, args: ReviewArgs) -> anyhow::Result<ExitCode> {
    let store = SessionStore::open(None)?;
    let session = match &args.session {
        Some(id) => store.load(id)?,
        None => match store.ids()?.last() {
            Some(id) => store.load(id)?,
            None => {
                eprintln!(
                    "No sessions yet: start an interview with `{}`, then review it here.",
                    crate::strings::invocation()
                );
                return Ok(ExitCode::from(1));
            }
        },
    };
    for w in &session.warnings {
        eprintln!("warning: {w}");
    }
    let bank = match super::open_bank(bank_args) {
        Ok(bank) => bank,
        Err(e) => {
            let first = format!("{e:#}");
            let first = first.lines().next().unwrap_or_default();
            eprintln!("warning: {first}; showing the review without reference answers");
            Bank::default()
        }
    };
    let review = Review::build(&session, &bank);
    let format = match args.format {
        _ if args.json => Format::Json,
        ReviewFormat::Text => Format::Text,
        ReviewFormat::Markdown => Format::Markdown,
        ReviewFormat::Html => Format::Html,
        ReviewFormat::Json => Format::Json,
    };
    match &args.output {
        Some(path) => {
            let text = review.render(format, false);
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("Wrote the review of {} to {}", review.id, path.display());
        }
        None => {
            let color = format == Format::Text && color_forced();
            let text = review.render(format, color);
            print_stdout(&text)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Write to standard output; a closed pipe (`| head`) is not an error worth reporting.
pub(crate) fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e).context("cannot write to standard output");
    }
    Ok(())
}

/// Colour is off unless asked for with `CLICOLOR_FORCE` (and `NO_COLOR` is not set).
fn color_forced() -> bool {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty() && v != "0");
    set("CLICOLOR_FORCE") && !set("NO_COLOR")
}
