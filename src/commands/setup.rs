//! Choosing the model backend and assembling the agent, shared by `start` and `resume`.

use crate::agent::memory::{Extractive, LlmSummarizer, Memory, Summarizer};
use crate::agent::tokens::TokenCounter;
use crate::agent::usage::UsageMeter;
use crate::agent::{Agent, AgentConfig, AgentParts};
use crate::bank::Bank;
use crate::cli::{BackendArgs, ServerArgs, ToolModeArg};
use crate::model::openai::{OpenAiConfig, OpenAiModel};
use crate::model::text_tools::ToolMode;
use crate::model::{ChatModel, ModelError};
use crate::offline::OfflineModel;
use crate::scoring::ScorerKind;
use crate::scoring::fusion::{DEFAULT_WEIGHTS, JUDGE_ONLY, Weights, judge_only};
use crate::scoring::judge::{LlmJudge, concurrency_for};
use crate::scoring::reconcile::Grader;
use crate::session::UsageTotals;
use crate::session::calibrations::SavedCalibration;
use crate::state::InterviewState;
use std::sync::Arc;
use std::time::Duration;

/// The environment variable holding the API key (never stored in any file).
pub const API_KEY_VAR: &str = "OPENAI_API_KEY";
/// The model requested when none is configured.
pub const DEFAULT_MODEL: &str = "gpt-4o-mini";

/// The chosen model backend.
pub struct Backend {
    pub model: Arc<dyn ChatModel>,
    /// True for a real model server, false for the offline interviewer.
    pub llm: bool,
    /// The model name (for token counting); "offline" offline.
    pub model_name: String,
    /// The server's base URL (none offline).
    pub base_url: Option<String>,
    /// A one-line note for the user about the choice, if any.
    pub notice: Option<String>,
}

/// A configured OpenAI-compatible server.
pub struct Server {
    pub client: OpenAiModel,
    pub model_name: String,
    pub base_url: String,
}

/// The server the flags and environment select: a base URL or an API key; `None` when neither
/// is set.
pub fn server(args: &ServerArgs) -> Result<Option<Server>, ModelError> {
    let key = std::env::var(API_KEY_VAR)
        .ok()
        .filter(|k| !k.trim().is_empty());
    let base_url = args.base_url.clone().filter(|u| !u.trim().is_empty());
    if base_url.is_none() && key.is_none() {
        return Ok(None);
    }
    let named = args.model.clone().filter(|m| !m.trim().is_empty());
    let own_server = base_url.is_some();
    let base_url = base_url.unwrap_or_else(|| OpenAiConfig::default().base_url);
    let mut cfg = OpenAiConfig::new(base_url.clone(), DEFAULT_MODEL).with_api_key(key);
    cfg.request_timeout = Duration::from_secs(args.timeout.max(1));
    let client = OpenAiModel::new(cfg)?;
    let model_name = match named {
        Some(name) => name,
        // A server of one's own serves what it loaded: ask it rather than send OpenAI's default.
        None if own_server => served_model(&client)?,
        None => DEFAULT_MODEL.to_string(),
    };
    Ok(Some(Server {
        client: client.with_model(model_name.clone()),
        model_name,
        base_url,
    }))
}

/// The model to ask for when `--model` is not given: the server's only model, or [`DEFAULT_MODEL`]
/// when it lists that one or cannot list any (the first request then says what is wrong). A server
/// listing several others needs `--model`.
fn served_model(client: &OpenAiModel) -> Result<String, ModelError> {
    let listed = match tokio::runtime::Handle::try_current() {
        // Inside a runtime (never from the commands) a blocking wait would panic: no listing.
        Ok(_) => Ok(vec![]),
        Err(_) => match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(client.served_models()),
            Err(_) => Ok(vec![]),
        },
    };
    let ids = listed.unwrap_or_else(|e| {
        tracing::debug!(error = %e, "the server did not list its models");
        vec![]
    });
    pick_served(&ids)
}

/// [`served_model`]'s choice among the listed `ids`.
fn pick_served(ids: &[String]) -> Result<String, ModelError> {
    match ids {
        [] => Ok(DEFAULT_MODEL.to_string()),
        [only] => Ok(only.clone()),
        _ if ids.iter().any(|id| id == DEFAULT_MODEL) => Ok(DEFAULT_MODEL.to_string()),
        _ => {
            const SHOWN: usize = 5;
            let mut names = ids
                .iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if ids.len() > SHOWN {
                names.push_str(", …");
            }
            Err(ModelError::ModelNotFound {
                model: DEFAULT_MODEL.to_string(),
                detail: format!(": the server lists {} models ({names})", ids.len()),
            })
        }
    }
}

/// Pick the backend: `--offline` forces the embedded interviewer; a base URL or an API key selects
/// an OpenAI-compatible server; otherwise offline, with a note on how to use a real model.
pub fn backend(args: &BackendArgs, seed: u64) -> Result<Backend, ModelError> {
    let offline = |notice: Option<String>| Backend {
        model: Arc::new(OfflineModel::new(seed)),
        llm: false,
        model_name: "offline".into(),
        base_url: None,
        notice,
    };
    if args.offline {
        return Ok(offline(None));
    }
    let Some(server) = server(&args.server)? else {
        return Ok(offline(Some(format!(
            "Using the embedded offline interviewer. For a real model set {API_KEY_VAR} (OpenAI) or pass --base-url (Ollama, vLLM, llama.cpp, LM Studio)."
        ))));
    };
    let mode = match args.tool_mode {
        ToolModeArg::Auto => ToolMode::Auto,
        ToolModeArg::Native => ToolMode::Native,
        ToolModeArg::Text => ToolMode::Text,
    };
    Ok(Backend {
        model: Arc::from(mode.wrap(server.client)),
        llm: true,
        model_name: server.model_name,
        base_url: Some(server.base_url),
        notice: None,
    })
}

/// Who grades an interview, and the one line that says so.
pub struct GraderChoice {
    /// The judge's weights; `None` grades with the rubric scorer alone.
    pub weights: Option<Weights>,
    /// The weights were measured for this model.
    pub calibrated: bool,
    pub notice: Option<String>,
}

impl GraderChoice {
    /// The rubric scorer alone.
    pub fn rubric() -> Self {
        Self {
            weights: None,
            calibrated: false,
            notice: None,
        }
    }

    /// The model judge alone (as `--judge llm`).
    pub fn judge_only() -> Self {
        Self {
            weights: Some(JUDGE_ONLY),
            calibrated: false,
            notice: None,
        }
    }

    /// The grader recorded in the session header.
    pub fn kind(&self) -> ScorerKind {
        self.weights.map_or(ScorerKind::Rubric, |w| w.kind())
    }
}

/// The grader: `--judge rubric` the rubric scorer, `--judge llm` the model judge alone; by default
/// offline the rubric scorer, and with a server both combined, with the weights `calibrate --judge
/// llm` measured for this model or the defaults. Says in one line which, and whether measured.
pub fn grader(
    judge: Option<ScorerKind>,
    llm: bool,
    name: &str,
    saved: Option<&SavedCalibration>,
) -> GraderChoice {
    let choice = |weights, calibrated, notice: Option<String>| GraderChoice {
        weights,
        calibrated,
        notice,
    };
    match judge {
        _ if !llm => choice(None, false, None),
        Some(ScorerKind::Rubric) => choice(None, false, None),
        Some(_) => {
            let measured = saved.and_then(|c| c.weights());
            let weights = judge_only(measured);
            let unlisted = if weights.unlisted_errors {
                ""
            } else {
                " Of wrong claims it counts only those the rubric lists (`interviewer calibrate --judge llm` tests whether it finds others reliably)."
            };
            choice(
                Some(weights),
                measured.is_some(),
                Some(format!(
                    "Grading with the model \"{name}\" as the only judge (--judge llm); the rubric scorer's score is kept beside it.{unlisted}"
                )),
            )
        }
        None => match saved.and_then(|c| c.weights().map(|w| (c, w))) {
            Some((cal, w)) if w.judge <= 0.0 => choice(
                None,
                true,
                Some(format!(
                    "Grading with the rubric scorer: as a judge, the model \"{name}\" added nothing to it on graded answers (Spearman {:.2} alone, the rubric scorer {:.2}; interviewer calibrate, {} answers).",
                    cal.judge_spearman, cal.rubric_spearman, cal.n
                )),
            ),
            Some((cal, w)) => choice(
                Some(w),
                true,
                Some(format!(
                    "Grading with the rubric scorer and the model \"{name}\" as judge (weight {:.1}), measured on {} graded answers: Spearman {:.2} combined, the rubric scorer {:.2}.",
                    w.judge,
                    cal.n,
                    cal.combined_spearman.unwrap_or(cal.judge_spearman),
                    cal.rubric_spearman
                )),
            ),
            None => choice(
                Some(DEFAULT_WEIGHTS),
                false,
                Some(format!(
                    "Grading with the rubric scorer and the model \"{name}\" as judge at the default weight {:.1}, not yet measured for this model: `interviewer calibrate --judge llm` measures it.",
                    DEFAULT_WEIGHTS.judge
                )),
            ),
        },
    }
}

/// Assemble the agent for a state (new or resumed).
pub fn agent(
    args: &BackendArgs,
    backend: &Backend,
    grading: &GraderChoice,
    bank: Arc<Bank>,
    state: InterviewState,
    memory: Memory,
    usage: UsageTotals,
) -> Agent {
    let counter = if backend.llm {
        TokenCounter::for_model(&backend.model_name)
    } else {
        TokenCounter::Heuristic
    };
    // A real model's calls are metered (interviewer, judge and summariser alike); offline costs nothing.
    let meter = backend
        .llm
        .then(|| Arc::new(UsageMeter::new(backend.model.clone(), counter, usage)));
    let model: Arc<dyn ChatModel> = match &meter {
        Some(m) => m.clone(),
        None => backend.model.clone(),
    };
    let judge = grading.weights.map(|weights| {
        Arc::new(Grader {
            judge: Arc::new(
                LlmJudge::new(model.clone())
                    .with_concurrency(backend.base_url.as_deref().map_or(1, concurrency_for))
                    .with_unlisted_errors(weights.unlisted_errors),
            ),
            weights,
            calibrated: grading.calibrated,
        })
    });
    let summarizer: Box<dyn Summarizer> = if backend.llm {
        Box::new(LlmSummarizer {
            model: model.clone(),
        })
    } else {
        Box::new(Extractive)
    };
    Agent::new(AgentParts {
        model,
        bank,
        judge,
        summarizer,
        counter,
        system_prompt: crate::prompts::interviewer(state.mode),
        config: AgentConfig {
            context_tokens: args.context_tokens.max(1000),
            // A turn may take a few slow calls (a tool step, the judge, the reply).
            turn_deadline: Duration::from_secs(args.server.timeout.max(1) * 3),
            // The offline interviewer's wordings are the project's own, said whole.
            own_words: !backend.llm,
            ..AgentConfig::default()
        },
        state,
        memory,
        meter,
        usage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_served_model_is_the_only_one_or_the_default_when_listed() {
        assert_eq!(pick_served(&ids(&[])).ok().as_deref(), Some(DEFAULT_MODEL));
        assert_eq!(pick_served(&ids(&["local"])).ok().as_deref(), Some("local"));
        let with_default = ids(&["gpt-4o", DEFAULT_MODEL]);
        assert_eq!(
            pick_served(&with_default).ok().as_deref(),
            Some(DEFAULT_MODEL)
        );
        let many = ids(&["a", "b", "c", "d", "e", "f", "g"]);
        let err = pick_served(&many).expect_err("several").to_string();
        assert!(
            err.contains("--model") && err.contains("lists 7 models (a, b, c, d, e, …)"),
            "{err}"
        );
    }

    #[test]
    fn the_notice_names_the_judge_as_a_model() {
        let notice = grader(None, true, "local", None).notice.unwrap_or_default();
        assert!(
            notice.starts_with("Grading with the rubric scorer and the model \"local\" as judge"),
            "{notice}"
        );
        assert!(grader(None, false, "local", None).notice.is_none());
    }
}
