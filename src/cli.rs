//! Command-line interface (clap derive). Parsing only: handlers live in `commands`.

use crate::scoring::ScorerKind;
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "interviewer",
    version,
    about = "A mock interviewer for LLM-engineering jobs: it asks, probes \"why?\", scores every answer against a rubric and keeps a scored transcript."
)]
pub struct Cli {
    #[command(flatten)]
    pub bank: BankArgs,

    #[command(subcommand)]
    pub command: Option<Command>,

    /// Options of `start`, the default command.
    #[command(flatten)]
    pub start: StartArgs,
}

impl Cli {
    /// Parse the process's arguments, exiting with clap's message on an error. The bank options
    /// are global (before or after a subcommand); the options of `start` may stand at the top
    /// level only when no subcommand follows.
    pub fn parse_args() -> Cli {
        Self::try_parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// [`Cli::parse_args`] over given arguments (the first is the program name).
    pub fn try_parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = Cli::command().try_get_matches_from(args)?;
        start_options_before_a_subcommand(&matches)?;
        Cli::from_arg_matches(&matches)
    }
}

/// `interviewer --mode deep-dive review` is an error naming the option, not a silently ignored flag.
fn start_options_before_a_subcommand(m: &ArgMatches) -> Result<(), clap::Error> {
    let Some(sub) = m.subcommand_name() else {
        return Ok(());
    };
    let cmd = Cli::command();
    for arg in cmd.get_arguments() {
        let id = arg.get_id().as_str();
        if arg.is_global_set() || m.value_source(id) != Some(ValueSource::CommandLine) {
            continue;
        }
        let flag = format!("--{}", id.replace('_', "-"));
        let hint = if sub == "start" || sub == "resume" {
            format!("put it after `{sub}`")
        } else {
            format!("it is an option of `start`, not of `{sub}`")
        };
        return Err(Cli::command().error(
            clap::error::ErrorKind::ArgumentConflict,
            format!("{flag} cannot come before the `{sub}` subcommand: {hint}"),
        ));
    }
    Ok(())
}

/// Where the question bank comes from.
#[derive(Debug, Clone, Args)]
pub struct BankArgs {
    /// A directory of bank TOML files extending the built-in bank (same id replaces).
    #[arg(long, global = true, env = "INTERVIEWER_BANK", value_name = "DIR")]
    pub bank: Option<PathBuf>,
    /// Use only the --bank directory, not the built-in questions.
    #[arg(long, global = true, requires = "bank")]
    pub replace_bank: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start an interview (the default).
    Start(StartArgs),
    /// Continue an unfinished interview (default: the latest).
    Resume(ResumeArgs),
    /// Render a session's scored transcript.
    Review(ReviewArgs),
    /// Past sessions, trends per domain and the points missed most often.
    History(HistoryArgs),
    /// Score one answer against a question's rubric.
    Score(ScoreArgs),
    /// Measure a grader against graded answers (default: the built-in test split).
    Calibrate(CalibrateArgs),
    /// Inspect and check question banks.
    #[command(subcommand)]
    Bank(BankCommand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    FirstRound,
    DeepDive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ToolModeArg {
    /// Native tool calls, falling back to text when the server does not support them.
    #[default]
    Auto,
    Native,
    Text,
}

/// `--judge`: parsed straight into the grader the rest of the program uses.
fn grader() -> impl clap::builder::TypedValueParser<Value = ScorerKind> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new([
        PossibleValue::new("llm")
            .help("The model alone judges answers against the rubric (LLM backends only)"),
        PossibleValue::new("rubric").help("The deterministic rubric scorer alone"),
    ])
    .map(|s| match s.as_str() {
        "llm" => ScorerKind::Llm,
        _ => ScorerKind::Rubric,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FocusArg {
    /// Plan around the rubric points you missed most often in past sessions.
    Weak,
}

/// Which model server to talk to (the key comes from `OPENAI_API_KEY` only).
#[derive(Debug, Clone, Args, Default)]
pub struct ServerArgs {
    /// Base URL of an OpenAI-compatible server (e.g. http://localhost:11434/v1).
    #[arg(long, env = "OPENAI_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Model name to request.
    #[arg(long, env = "INTERVIEWER_MODEL", value_name = "NAME")]
    pub model: Option<String>,
    /// Request timeout in seconds.
    #[arg(long, default_value_t = 120, value_name = "SECS")]
    pub timeout: u64,
}

/// Model backend settings, shared by `start` and `resume`.
#[derive(Debug, Clone, Args, Default)]
pub struct BackendArgs {
    /// Use the embedded offline interviewer even when a server is configured.
    #[arg(long)]
    pub offline: bool,
    #[command(flatten)]
    pub server: ServerArgs,
    /// How tools reach the model.
    #[arg(long, value_enum, default_value_t = ToolModeArg::Auto)]
    pub tool_mode: ToolModeArg,
    /// Who scores answers (default: offline the rubric scorer; with a server the rubric scorer and
    /// the model as judge combined, weighted as `calibrate --judge llm` measured for the model).
    #[arg(long, value_parser = grader())]
    pub judge: Option<ScorerKind>,
    /// Token budget for each request's context.
    #[arg(long, default_value_t = 6000, value_name = "TOKENS")]
    pub context_tokens: usize,
}

#[derive(Debug, Clone, Args, Default)]
pub struct StartArgs {
    /// Interview mode.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// Number of questions (first-round default 6, deep-dive 3).
    #[arg(long, value_name = "N")]
    pub questions: Option<usize>,
    /// Question ids or domains to cover, comma-separated (e.g. rope,dpo,kv-cache).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub topics: Vec<String>,
    /// Seed for the plan and the offline wording (same seed, same interview).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Build the plan from past weak points.
    #[arg(long, value_enum)]
    pub focus: Option<FocusArg>,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub voice: VoiceArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ResumeArgs {
    /// Session id (default: the latest unfinished).
    pub id: Option<String>,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub voice: VoiceArgs,
}

/// Speaking, listening and the timer, shared by `start` and `resume`.
#[derive(Debug, Clone, Args, Default)]
pub struct VoiceArgs {
    /// Speak the interviewer's lines: through --tts-url, INTERVIEWER_TTS_COMMAND, OpenAI's
    /// speech endpoint (with OPENAI_API_KEY), or espeak-ng when installed.
    #[arg(long)]
    pub speak: bool,
    /// Answer aloud: Enter on an empty line starts recording, Enter stops it, and the transcript
    /// comes back to edit (INTERVIEWER_RECORD_COMMAND records; unattended without a terminal).
    #[arg(long)]
    pub listen: bool,
    /// Base URL of an OpenAI-compatible /v1/audio/speech endpoint.
    #[arg(long, value_name = "URL")]
    pub tts_url: Option<String>,
    /// The voice asked of the speech endpoint.
    #[arg(long, default_value = "alloy", value_name = "NAME")]
    pub tts_voice: String,
    /// The model asked of the speech endpoint.
    #[arg(long, default_value = "tts-1", value_name = "NAME")]
    pub tts_model: String,
    /// Base URL of an OpenAI-compatible /v1/audio/transcriptions endpoint (e.g. a local
    /// faster-whisper-server at http://127.0.0.1:8090/v1).
    #[arg(long, value_name = "URL")]
    pub stt_url: Option<String>,
    /// The transcription model.
    #[arg(long, default_value = "whisper-1", value_name = "NAME")]
    pub stt_model: String,
    /// Keep every recording in DIR (by default each is deleted once transcribed).
    #[arg(long, value_name = "DIR")]
    pub keep_audio: Option<PathBuf>,
    /// Time per answer (e.g. 2m, 90s): a warning 30 s before, never a cut-off.
    #[arg(long, value_name = "DURATION", value_parser = crate::repl::clock::parse_limit)]
    pub time_limit: Option<std::time::Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReviewFormat {
    #[default]
    Text,
    Markdown,
    Html,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ReviewArgs {
    /// Session id or path to a session file (default: the latest).
    pub session: Option<String>,
    #[arg(long, value_enum, default_value_t = ReviewFormat::Text)]
    pub format: ReviewFormat,
    /// Print the JSON contract (the same as `--format json`).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Write to a file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ScoreArgs {
    /// Question id (see `interviewer bank list`).
    #[arg(long, short)]
    pub question: String,
    /// The answer text (default: read standard input).
    #[arg(long, conflicts_with = "answer_file")]
    pub answer: Option<String>,
    /// Read the answer from a file.
    #[arg(long, value_name = "PATH")]
    pub answer_file: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Who scores (default: as an interview would: with a server the rubric scorer and the model
    /// as judge combined, without one the rubric scorer).
    #[arg(long, value_parser = grader())]
    pub judge: Option<ScorerKind>,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Clone, Args)]
pub struct CalibrateArgs {
    /// A graded set, JSON Lines of {"question", "answer", "grade", "kind"?} (default: the
    /// built-in test split).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The grader to measure: the rubric scorer (default) or the LLM judge of a model server.
    #[arg(long, value_parser = grader(), default_value = "rubric")]
    pub judge: ScorerKind,
    /// Grade only N rows, spread evenly over the set.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Answers graded at once.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub concurrency: usize,
    /// Also write each answer's scores and verdicts to FILE (JSON Lines), to study disagreements.
    #[arg(long, value_name = "FILE")]
    pub verdicts: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Subcommand)]
pub enum BankCommand {
    /// List questions as a table.
    List {
        #[arg(long)]
        domain: Option<String>,
        #[arg(long)]
        mode: Option<String>,
    },
    /// Show a question with its rubric points and probes.
    Show { id: String },
    /// Check a bank directory (default: the bank in use); exit 1 listing every problem.
    Check { dir: Option<PathBuf> },
}
