//! An `Agent` assembled as `interviewer start` assembles it (`setup::agent`), over any model, and
//! a whole scripted interview served to it: shared by the agent-loop tests and the benchmarks.
//!
//! Typical use:
//! ```ignore
//! let st = planned_state(&bank, Mode::FirstRound, &[], 20, 7)?;
//! let (server, script) = serve_interview(&bank, &st.plan, 3, 60, "Earlier: ...").await;
//! let model = OpenAiModel::new(fast_config(&server.base_url(), false))?;
//! let mut agent = wired_agent(Arc::new(model), bank, st, false, 6000);
//! for input in interview_inputs(script.answers) { /* agent.respond(input, ...) */ }
//! ```

use std::sync::Arc;

use interviewer::agent::memory::Memory;
use interviewer::agent::plan::{self, PlanError, PlanRequest};
use interviewer::agent::state::InterviewState;
use interviewer::agent::{Agent, CandidateInput};
use interviewer::bank::{Bank, Mode, load_builtin};
use interviewer::cli::BackendArgs;
use interviewer::commands::setup::{self, Backend};
use interviewer::model::ChatModel;
use interviewer::scoring::ScorerKind;
use interviewer::session::UsageTotals;

use super::{
    InterviewScript, SUMMARIZER_PREFIX, Script, ScriptedServer, TEST_MODEL, interview_script,
    summary_reply,
};

/// A fresh state whose plan of `n` questions starts with `topics` (then the mode's sweep).
pub fn planned_state(
    bank: &Bank,
    mode: Mode,
    topics: &[&str],
    n: usize,
    seed: u64,
) -> Result<InterviewState, PlanError> {
    let req = PlanRequest {
        mode,
        questions: Some(n),
        topics: topics.iter().map(|t| t.to_string()).collect(),
        seed,
        focus: vec![],
    };
    let plan = plan::build(bank, &req)?;
    Ok(InterviewState::new(
        mode,
        seed,
        plan,
        plan::max_probes(mode),
    ))
}

/// An agent over `model` (an LLM backend named [`TEST_MODEL`]) with the LLM summariser, the LLM
/// judge when `judge` is on (the rubric scorer otherwise), and a `context_tokens` budget.
pub fn wired_agent(
    model: Arc<dyn ChatModel>,
    bank: Arc<Bank>,
    state: InterviewState,
    judge: bool,
    context_tokens: usize,
) -> Agent {
    let backend = Backend {
        model,
        llm: true,
        model_name: TEST_MODEL.into(),
        base_url: None,
        notice: None,
    };
    let args = BackendArgs {
        judge: Some(if judge {
            ScorerKind::Llm
        } else {
            ScorerKind::Rubric
        }),
        context_tokens,
        ..Default::default()
    };
    setup::agent(
        &args,
        &backend,
        &if judge {
            setup::GraderChoice::judge_only()
        } else {
            setup::GraderChoice::rubric()
        },
        bank,
        state,
        Memory::default(),
        UsageTotals::default(),
    )
}

/// A server playing the [`interview_script`] over `plan` to the interviewer and answering every
/// summariser call with `summary`. The returned script's `responses` are moved into the server.
pub async fn serve_interview(
    bank: &Bank,
    plan: &[String],
    per_question: usize,
    total: usize,
    summary: &str,
) -> (ScriptedServer, InterviewScript) {
    let mut script = interview_script(bank, plan, per_question, total);
    let responses = std::mem::take(&mut script.responses);
    let server = ScriptedServer::start(Script::new(responses)).await;
    server
        .route_system_prefix(SUMMARIZER_PREFIX, summary_reply(summary))
        .await;
    (server, script)
}

/// The candidate's side of a scripted interview: the opening, then every answer.
pub fn interview_inputs(answers: Vec<String>) -> impl Iterator<Item = CandidateInput> {
    std::iter::once(CandidateInput::Begin).chain(answers.into_iter().map(CandidateInput::Answer))
}

/// A 2-worker runtime and the built-in bank for a benchmark's `main`; prints why and returns
/// `None` when either cannot be had.
pub fn bench_runtime_and_bank() -> Option<(tokio::runtime::Runtime, Arc<Bank>)> {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return None;
        }
    };
    match load_builtin() {
        Ok(b) => Some((runtime, Arc::new(b))),
        Err(e) => {
            eprintln!("cannot load the bank: {e}");
            None
        }
    }
}
