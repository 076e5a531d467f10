//! `interviewer start` (the default command): plan an interview and run it.

use super::open_bank;
use super::setup;
use crate::agent::memory::Memory;
use crate::agent::plan::{self, PlanRequest};
use crate::bank::Mode;
use crate::cli::{BackendArgs, BankArgs, FocusArg, ModeArg, StartArgs};
use crate::interview::{Interview, Outcome};
use crate::repl::{self, Printer};
use crate::session::calibrations::Calibrations;
use crate::session::store::SessionStore;
use crate::session::{BackendKind, FORMAT_VERSION, Header, SessionOptions, UsageTotals, history};
use crate::state::InterviewState;
use anyhow::Context;
use chrono::Utc;
use std::process::ExitCode;
use std::sync::Arc;

pub fn run(bank_args: &BankArgs, args: StartArgs) -> anyhow::Result<ExitCode> {
    let bank = Arc::new(open_bank(bank_args)?);
    let mode = match args.mode {
        Some(ModeArg::DeepDive) => Mode::DeepDive,
        Some(ModeArg::FirstRound) | None => Mode::FirstRound,
    };
    let seed = args.seed.unwrap_or_else(rand::random);
    let store = SessionStore::open(None).context("cannot open the data directory")?;
    let focus = match args.focus {
        Some(FocusArg::Weak) => {
            let loaded = store.load_all().context("cannot read past sessions")?;
            let mut ids: Vec<String> = vec![];
            for w in history::weak_points(&loaded.sessions) {
                if !ids.contains(&w.question) {
                    ids.push(w.question);
                }
            }
            ids
        }
        None => vec![],
    };
    let plan = plan::build(
        &bank,
        &PlanRequest {
            mode,
            questions: args.questions,
            topics: args.topics.clone(),
            seed,
            focus,
        },
    )?;
    let state = InterviewState::new(mode, seed, plan, plan::max_probes(mode));
    let backend = setup::backend(&args.backend, seed)?;
    let interactive = repl::is_interactive();
    let printer = Printer::new(interactive, repl::color_enabled());
    if let Some(notice) = &backend.notice {
        printer.info(notice);
    }
    let grading = choose_grader(&store, &args.backend, &backend, &printer);
    let header = Header {
        format: FORMAT_VERSION,
        id: String::new(),
        mode,
        model: backend.model.name(),
        seed,
        started_at: Utc::now(),
        options: SessionOptions {
            backend: Some(if backend.llm {
                BackendKind::OpenaiCompatible
            } else {
                BackendKind::Offline
            }),
            judge: Some(grading.kind()),
            context_tokens: Some(args.backend.context_tokens),
            questions: Some(state.plan.len()),
        },
    };
    let writer = store
        .create(header)
        .context("cannot create the session file")?;
    let agent = setup::agent(
        &args.backend,
        &backend,
        &grading,
        bank,
        state,
        Memory::default(),
        UsageTotals::default(),
    );
    let mut interview = Interview::new(agent, writer, printer.clone());
    interview
        .checkpoint()
        .context("cannot write the session file")?;
    drive(interview, &printer, &store, interactive)
}

/// Who grades this interview (see [`setup::grader`]); prints the one line that says so. An
/// unreadable calibration file is reported and ignored.
pub fn choose_grader(
    store: &SessionStore,
    args: &BackendArgs,
    backend: &setup::Backend,
    printer: &Printer,
) -> setup::GraderChoice {
    let saved = match &backend.base_url {
        Some(url) if backend.llm => {
            match Calibrations::in_home(store.home()).get(url, &backend.model_name) {
                Ok(saved) => saved,
                Err(e) => {
                    printer.info(&format!("Ignoring the saved calibrations: {e}"));
                    None
                }
            }
        }
        _ => None,
    };
    let choice = setup::grader(args.judge, backend.llm, &backend.model_name, saved.as_ref());
    if let Some(notice) = &choice.notice {
        printer.info(notice);
    }
    choice
}

/// Run an interview to its end on a fresh runtime and report where it was saved.
pub fn drive(
    mut interview: Interview,
    printer: &Printer,
    store: &SessionStore,
    interactive: bool,
) -> anyhow::Result<ExitCode> {
    let mut source = repl::open_source(
        interactive,
        interactive.then(|| store.history_file()),
        repl::color_enabled(),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(interview.run(source.as_mut()));
    let id = interview.session_id().to_string();
    match outcome {
        Ok(Outcome::Finished) => {
            printer.info(&format!(
                "Session {id} saved. Review it with: interviewer review {id}"
            ));
            Ok(ExitCode::SUCCESS)
        }
        Ok(Outcome::Stopped(msg)) => {
            printer.error(&msg);
            printer.info(&format!(
                "Session {id} is saved; fix that and continue with: interviewer resume {id}"
            ));
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e).with_context(|| format!("session {id}")),
    }
}
