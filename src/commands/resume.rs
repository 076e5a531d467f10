//! `interviewer resume [ID]`: continue an unfinished interview with its mode, plan, scores and context.

use super::open_bank;
use super::setup;
use super::start::{choose_grader, drive};
use crate::agent::CandidateInput;
use crate::agent::memory::Memory;
use crate::cli::{BankArgs, ResumeArgs};
use crate::interview::Interview;
use crate::repl::{self, Printer};
use crate::session::store::LoadedSession;
use crate::session::store::{SessionStore, SessionWriter};
use crate::session::{BackendKind, Speaker};
use crate::strings::command;
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
            None => bail!(
                "no unfinished session to resume; start one with: {}",
                command("start")
            ),
        },
    };
    let id = session.id().to_string();
    if session.end.is_some() {
        bail!(
            "session {id} is already finished; review it with: {}",
            command(&format!("review {id}"))
        );
    }
    let Some(checkpoint) = session.checkpoint.clone() else {
        bail!("session {id} has no saved state to resume from");
    };
    let interactive = repl::is_interactive();
    let printer = Printer::new(interactive, repl::color_enabled());
    for w in &session.warnings {
        printer.info(w);
    }
    let was_offline = session.header.options.backend == Some(BackendKind::Offline);
    if was_offline && args.backend.server.base_url.is_none() {
        args.backend.offline = true;
    }
    let backend = setup::backend(&args.backend, checkpoint.state.seed)?;
    if let Some(notice) = &backend.notice {
        printer.info(notice);
    }
    let grading = choose_grader(&store, &args.backend, &backend, &printer);
    let writer = SessionWriter::reopen(&session.path).context("cannot reopen the session file")?;
    let agent = setup::agent(
        &args.backend,
        &backend,
        &grading,
        bank,
        checkpoint.state,
        Memory::from_snapshot(checkpoint.memory),
        checkpoint.usage,
    );
    let options = &session.header.options;
    args.voice.speak |= options.speak;
    args.voice.listen |= options.listen;
    let voice = super::voice::voice(
        &args.voice,
        &args.backend.server,
        options.time_limit_secs,
        &id,
        &printer,
    );
    let mut interview = Interview::new(agent, writer, printer.clone()).with_voice(voice);
    if let Some(lost) = lost_input(&session) {
        printer.info("Continuing with your last answer, which was saved but not yet scored.");
        interview = interview.replaying(lost);
    }
    drive(interview, &printer, &store, interactive)
}

/// The candidate's last line when the transcript holds it but the last checkpoint came before it
/// (the process died before the answer was scored and saved): it is sent again on resume rather
/// than re-asking the question and recording the answer twice.
fn lost_input(session: &LoadedSession) -> Option<CandidateInput> {
    let saved_at = session.checkpoint.as_ref()?.at;
    let last = session
        .turns
        .iter()
        .rev()
        .take_while(|t| t.at > saved_at)
        .find(|t| t.speaker == Speaker::Candidate)?;
    match last.text.trim() {
        "/end" => Some(CandidateInput::End),
        "/skip" => Some(CandidateInput::Skip),
        "" => None,
        text => Some(CandidateInput::Answer(text.to_string())),
    }
}
