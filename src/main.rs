use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = interviewer::cli::Cli::parse();
    match interviewer::commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("interviewer: {err:#}");
            ExitCode::from(1)
        }
    }
}
