//! Command handlers: one file per subcommand. `anyhow` lives here, at the binary's edge.

pub mod bank;
pub mod calibrate;
pub mod history;
pub mod resume;
pub mod review;
pub mod score;
pub mod setup;
pub mod start;
pub mod voice;

use crate::bank::{Bank, BankSource, load_bank};
use crate::cli::{BankArgs, Cli, Command, ServerArgs};

use crate::model::ChatModel;
use crate::scoring::judge::{LlmJudge, concurrency_for};
use anyhow::Context;
use std::process::ExitCode;
use std::sync::Arc;

/// Run the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Bank(cmd)) => bank::run(&cli.bank, cmd),
        Some(Command::Score(args)) => score::run(&cli.bank, args),
        Some(Command::Calibrate(args)) => calibrate::run(&cli.bank, args),
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
    match load_bank(&source) {
        Ok(bank) => Ok(bank),
        // "cannot read bank directory DIR: ..." says it all.
        Err(e @ crate::bank::BankError::Io { .. }) => Err(e.into()),
        Err(e) => Err(e).with_context(|| match &source {
            BankSource::Builtin => "the built-in question bank is invalid".to_string(),
            BankSource::Extend(d) | BankSource::Replace(d) => {
                format!("invalid question bank in {}", d.display())
            }
        }),
    }
}

/// The model server the flags select, as a judge.
pub struct ServerJudge {
    model: Arc<dyn ChatModel>,
    pub base_url: String,
    pub model_name: String,
}

impl ServerJudge {
    /// The judge, asking for errors the rubric does not list when `unlisted_errors`.
    pub fn judge(&self, unlisted_errors: bool) -> Arc<LlmJudge> {
        Arc::new(
            LlmJudge::new(self.model.clone())
                .with_concurrency(concurrency_for(&self.base_url))
                .with_unlisted_errors(unlisted_errors),
        )
    }
}

/// The model server of the flags as a judge, if one is configured.
pub fn server_judge(args: &ServerArgs) -> anyhow::Result<Option<ServerJudge>> {
    Ok(setup::server(args)?.map(|server| ServerJudge {
        model: Arc::new(server.client),
        base_url: server.base_url,
        model_name: server.model_name,
    }))
}

/// The LLM judge of the configured server; an error naming the flags when none is configured.
pub fn llm_judge(args: &ServerArgs, what: &str) -> anyhow::Result<ServerJudge> {
    server_judge(args)?.ok_or_else(|| {
        anyhow::anyhow!(
            "{what} needs a model server: pass --base-url (Ollama, vLLM, llama.cpp, LM Studio) or set {} (OpenAI)",
            setup::API_KEY_VAR
        )
    })
}

/// A runtime for a command's model calls.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
