//! Command handlers: one file per subcommand. `anyhow` lives here, at the binary's edge.

pub mod bank;
pub mod history;
pub mod resume;
pub mod review;
pub mod score;
pub mod start;

use crate::bank::{Bank, BankSource, load_bank};
use crate::cli::{BankArgs, Cli, Command};
use anyhow::Context;
use std::process::ExitCode;

/// Run the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Bank(cmd)) => bank::run(&cli.bank, cmd),
        Some(Command::Score(args)) => score::run(&cli.bank, args),
        Some(Command::Review(args)) => review::run(&cli.bank, args),
        Some(Command::History(args)) => history::run(args),
        Some(Command::Start(args)) => start::run(&cli.bank, args),
        None => start::run(&cli.bank, cli.start),
        Some(Command::Resume(args)) => resume::run(&cli.bank, args),
    }
}

/// The bank source the flags and environment ask for.
pub fn bank_source(args: &BankArgs) -> BankSource {
    match (&args.bank, args.replace_bank) {
        (None, _) => BankSource::Builtin,
        (Some(dir), false) => BankSource::Extend(dir.clone()),
        (Some(dir), true) => BankSource::Replace(dir.clone()),
    }
}

/// Load the bank in use, with a one-line context on failure.
pub fn open_bank(args: &BankArgs) -> anyhow::Result<Bank> {
    let source = bank_source(args);
    load_bank(&source).with_context(|| match &source {
        BankSource::Builtin => "the built-in question bank is invalid".to_string(),
        BankSource::Extend(d) | BankSource::Replace(d) => {
            format!("invalid question bank in {}", d.display())
        }
    })
}
