//! `interviewer start` (the default command): plan an interview and run it.

use super::open_bank;
use super::setup;
use crate::agent::memory::Memory;
use crate::agent::plan::{self, PlanError, PlanRequest};
use crate::bank::Mode;
use crate::cli::{BackendArgs, BankArgs, FocusArg, ModeArg, StartArgs};
use crate::interview::{Interview, Outcome};
use crate::repl::{self, Printer};
use crate::session::calibrations::Calibrations;
use crate::session::store::SessionStore;
use crate::session::{BackendKind, FORMAT_VERSION, Header, SessionOptions, UsageTotals, history};
use crate::state::InterviewState;
use crate::strings::command;
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
    let weak = match args.focus {
        Some(FocusArg::Weak) => {
            let loaded = store.load_all().context("cannot read past sessions")?;
            Some(history::weak_points(&loaded.sessions))
        }
        None => None,
    };
    let mut focus: Vec<String> = vec![];
    for w in weak.iter().flatten() {
        if !focus.contains(&w.question) {
            focus.push(w.question.clone());
        }
    }
    let request = PlanRequest {
        mode,
        questions: args.questions,
        topics: args.topics.clone(),
        seed,
        focus,
    };
    let plan = match plan::build(&bank, &request) {
        Ok(plan) => plan,
        // A bad --topics or --questions is a bad command line: one line, exit 2.
        Err(e @ (PlanError::UnknownTopic { .. } | PlanError::Zero)) => {
            eprintln!("interviewer: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    let backend = setup::backend(&args.backend, seed)?;
    let interactive = repl::is_interactive();
    let printer = Printer::new(interactive, repl::color_enabled());
    if let Some(weak) = &weak {
        printer.info(&focus_notice(weak, &plan));
    }
    let state = InterviewState::new(mode, seed, plan, plan::max_probes(mode));
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
            time_limit_secs: args.voice.time_limit.map(|d| d.as_secs()),
            speak: args.voice.speak,
            listen: args.voice.listen,
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
    let id = writer.id().to_string();
    let voice = super::voice::voice(&args.voice, &args.backend.server, None, &id, &printer);
    let mut interview = Interview::new(agent, writer, printer.clone()).with_voice(voice);
    interview
        .checkpoint()
        .context("cannot write the session file")?;
    drive(interview, &printer, &store, interactive)
}

/// How many weak points `start --focus weak` names.
const FOCUS_NAMED: usize = 3;

/// The line `start --focus weak` prints: the weak points the plan is built around (the weakest
/// first, of the questions planned), or that there are none yet.
pub fn focus_notice(weak: &[history::WeakPoint], plan: &[String]) -> String {
    let planned: Vec<&history::WeakPoint> =
        weak.iter().filter(|w| plan.contains(&w.question)).collect();
    if planned.is_empty() {
        return "No weak points yet (no past answers missed a rubric point): planning a usual interview.".to_string();
    }
    let named: Vec<String> = planned
        .iter()
        .take(FOCUS_NAMED)
        .map(|w| {
            let how = match (w.misses, w.partials) {
                (m, 0) => format!("missed {}", times(m)),
                (0, p) => format!("partly made {}", times(p)),
                (m, p) => format!("missed {}, partly made {}", times(m), times(p)),
            };
            format!("{} / {} ({how})", w.question, w.point)
        })
        .collect();
    let more = match planned.len().saturating_sub(FOCUS_NAMED) {
        0 => String::new(),
        n => format!(", and {n} more"),
    };
    format!(
        "Planning around the points you missed most: {}{more}.",
        named.join("; ")
    )
}

fn times(n: u32) -> String {
    match n {
        1 => "once".to_string(),
        2 => "twice".to_string(),
        n => format!("{n} times"),
    }
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
    interview.finish_speaking(super::voice::finish_limit(interactive));
    let id = interview.session_id().to_string();
    match outcome {
        Ok(Outcome::Finished) => {
            printer.info(&format!(
                "Session {id} saved. Review it with: {}",
                command(&format!("review {id}"))
            ));
            Ok(ExitCode::SUCCESS)
        }
        Ok(Outcome::Stopped(msg)) => {
            printer.error(&msg);
            printer.info(&format!(
                "Session {id} is saved; fix that and continue with: {}",
                command(&format!("resume {id}"))
            ));
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e).with_context(|| format!("session {id}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weak(question: &str, point: &str, misses: u32, partials: u32) -> history::WeakPoint {
        history::WeakPoint {
            question: question.into(),
            point: point.into(),
            misses,
            partials,
            weight: misses as f32 + 0.5 * partials as f32,
        }
    }

    #[test]
    fn focus_weak_names_the_points_it_plans_around() {
        let points = [
            weak("rope", "no-params-cheap", 2, 0),
            weak("dpo", "implicit-reward", 1, 1),
            weak("not-planned", "x", 5, 0),
            weak("kv-cache", "gqa", 0, 1),
            weak("rope", "extrapolation", 0, 1),
        ];
        let plan: Vec<String> = ["rope", "dpo", "kv-cache"].map(String::from).to_vec();
        let line = focus_notice(&points, &plan);
        assert_eq!(
            line,
            "Planning around the points you missed most: rope / no-params-cheap (missed twice); \
             dpo / implicit-reward (missed once, partly made once); kv-cache / gqa (partly made \
             once), and 1 more."
        );
        assert!(focus_notice(&[], &plan).starts_with("No weak points yet"));
    }
}
