use std::process::ExitCode;

fn main() -> ExitCode {
    init_logging();
    let cli = interviewer::cli::Cli::parse_args();
    match interviewer::commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("interviewer: {err:#}");
            ExitCode::from(1)
        }
    }
}

/// Diagnostics go to stderr only when asked for with `INTERVIEWER_LOG` (e.g. `debug`,
/// `interviewer=trace`); by default nothing is logged, so the interview stays clean.
fn init_logging() {
    let Ok(filter) = std::env::var("INTERVIEWER_LOG") else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_new(format!("{filter},async_openai=off"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true)
        .init();
}
