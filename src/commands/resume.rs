//! `interviewer resume [ID]`: continue an unfinished interview with its mode, plan, scores and context.

use super::open_bank;
use super::start::{choose_grader, drive};
use crate::agent::memory::Memory;
use crate::cli::{BankArgs, ResumeArgs};
use crate::interview::{Interview, setup};
use crate::repl::{self, Printer};
use crate::session::store::{SessionStore, SessionWriter};
use anyhow::{Context, bail};
use std::process::ExitCode;
use std::sync::Arc;

pub fn run(bank_args: &BankArgs, mut args: ResumeArgs) -> anyhow::Result<ExitCode> {
    let bank = Arc::new(open_bank(bank_args)?);
    let store = SessionStore::open(None).context("cannot open the data directory")?;
    let session = match &args.id {
        Some(id) => store.load(id)?,
        None => match store.latest_unfinished()? {
            Some(s) => s,
            None => bail!("no unfinished session to resume; start one with: interviewer start"),
        },
    };
    let id = session.id().to_string();
    if session.end.is_some() {
        bail!("session {id} is already finished; review it with: interviewer review {id}");
    }
    let Some(checkpoint) = session.checkpoint.clone() else {
        bail!("session {id} has no saved state to resume from");
    };
    let interactive = repl::is_interactive();
    let printer = Printer::new(interactive, repl::color_enabled());
    for w in &session.warnings {
        printer.info(w);
    }
    let was_offline = session
        .header
        .options
        .get("backend")
        .and_then(|v| v.as_str())
        == Some("offline");
    if was_offline && args.backend.server.base_url.is_none() {
        args.backend.offline = true;
    }
    let backend = setup::backend(&args.backend, checkpoint.state.seed)?;
    if let Some(notice) = &backend.notice {
        printer.info(notice);
    }
    let llm_judge = choose_grader(&store, &args.backend, &backend, &printer);
    let writer = SessionWriter::reopen(&session.path).context("cannot reopen the session file")?;
    let agent = setup::agent(
        &args.backend,
        &backend,
        llm_judge,
        bank,
        checkpoint.state,
        Memory::from_snapshot(checkpoint.memory),
        checkpoint.usage,
    );
    let interview = Interview::new(agent, writer, printer.clone());
    drive(interview, &printer, &store, interactive)
}
