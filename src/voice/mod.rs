//! The interview out loud: the interviewer's lines spoken ([`speech`]), the candidate's answers
//! recorded ([`record`]) and transcribed ([`transcribe`]).
//!
//! Every backend is either an OpenAI-compatible endpoint or a shell command, so users and tests
//! can plug in whatever they have. Every failure is one [`VoiceError`] line saying what to fix;
//! the interview then carries on typed.

pub mod record;
pub mod speech;
pub mod transcribe;

use std::path::{Path, PathBuf};

/// The environment variable naming the command that speaks text from standard input.
pub const TTS_COMMAND_ENV: &str = "INTERVIEWER_TTS_COMMAND";
/// The environment variable naming the command that records one answer to a WAV file.
pub const RECORD_COMMAND_ENV: &str = "INTERVIEWER_RECORD_COMMAND";
/// The environment variable naming the command that plays a WAV file (for a speech endpoint).
pub const PLAY_COMMAND_ENV: &str = "INTERVIEWER_PLAY_COMMAND";
/// The variable a record or play command finds the audio file's path in.
pub const AUDIO_PATH_ENV: &str = "INTERVIEWER_AUDIO_PATH";

/// Failures of the voice backends; each displays as one line saying what to fix.
#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    #[error("cannot reach the {what} server at {url} ({error}): start it or fix {flag}")]
    Unreachable {
        what: &'static str,
        url: String,
        flag: &'static str,
        error: String,
    },
    #[error("the {what} server at {url} refused the key (HTTP {status}): check OPENAI_API_KEY")]
    Refused {
        what: &'static str,
        url: String,
        status: u16,
    },
    #[error("the {what} server has no endpoint at {url} (HTTP 404): fix {flag}")]
    NotFound {
        what: &'static str,
        url: String,
        flag: &'static str,
    },
    #[error("the {what} server at {url} answered HTTP {status}: {body}")]
    Http {
        what: &'static str,
        url: String,
        status: u16,
        body: String,
    },
    #[error("unexpected reply from the {what} server at {url}: {error}")]
    BadReply {
        what: &'static str,
        url: String,
        error: String,
    },
    #[error(
        "the {what} command `{command}` was not found (exit status 127): install it or set {env}"
    )]
    CommandNotFound {
        what: &'static str,
        command: String,
        env: &'static str,
    },
    #[error("the {what} command `{command}` failed ({status}): check it, or set {env}")]
    CommandFailed {
        what: &'static str,
        command: String,
        status: String,
        env: &'static str,
    },
    #[error("cannot start the {what} command `{command}`: {error}")]
    Spawn {
        what: &'static str,
        command: String,
        error: String,
    },
    #[error("the recorder wrote no audio to {}: check {RECORD_COMMAND_ENV}", path.display())]
    NoAudio { path: PathBuf },
    #[error("cannot {action} {}: {error}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        error: String,
    },
}

impl VoiceError {
    fn io(action: &'static str, path: &Path, error: std::io::Error) -> VoiceError {
        VoiceError::Io {
            action,
            path: path.to_path_buf(),
            error: error.to_string(),
        }
    }
}

/// Whether `program` is an executable file on the `PATH`.
pub fn installed(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        let candidate = dir.join(program);
        std::fs::metadata(&candidate)
            .map(|m| {
                use std::os::unix::fs::PermissionsExt;
                m.is_file() && m.permissions().mode() & 0o111 != 0
            })
            .unwrap_or(false)
    })
}

/// A non-empty environment variable.
pub fn env_command(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|c| !c.trim().is_empty())
}

/// `base` joined with an endpoint path, unless `base` already ends with it.
pub fn endpoint(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with(path) {
        base.to_string()
    } else {
        format!("{base}{path}")
    }
}

/// An exit status as words: "exit status 1" or "killed by signal 9".
fn status_words(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        (None, None) => status.to_string(),
    }
}

/// The error for a command that exited unsuccessfully.
fn command_failed(
    what: &'static str,
    command: &str,
    env: &'static str,
    status: std::process::ExitStatus,
) -> VoiceError {
    if status.code() == Some(127) {
        VoiceError::CommandNotFound {
            what,
            command: command.to_string(),
            env,
        }
    } else {
        VoiceError::CommandFailed {
            what,
            command: command.to_string(),
            status: status_words(status),
            env,
        }
    }
}

/// The error for an HTTP failure status.
fn http_error(
    what: &'static str,
    flag: &'static str,
    url: &str,
    status: u16,
    body: &str,
) -> VoiceError {
    match status {
        401 | 403 => VoiceError::Refused {
            what,
            url: url.to_string(),
            status,
        },
        404 => VoiceError::NotFound {
            what,
            url: url.to_string(),
            flag,
        },
        _ => VoiceError::Http {
            what,
            url: url.to_string(),
            status,
            body: crate::strings::preview(body.split('\n').next().unwrap_or_default(), 160),
        },
    }
}

/// The error for a request that got no answer.
fn unreachable(
    what: &'static str,
    flag: &'static str,
    url: &str,
    e: &reqwest::Error,
) -> VoiceError {
    let why = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "connection refused or no route".to_string()
    } else {
        e.to_string()
    };
    VoiceError::Unreachable {
        what,
        url: url.to_string(),
        flag,
        error: why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_join_once() {
        assert_eq!(
            endpoint("http://h:1/v1/", "/audio/speech"),
            "http://h:1/v1/audio/speech"
        );
        assert_eq!(
            endpoint("http://h:1/v1/audio/speech", "/audio/speech"),
            "http://h:1/v1/audio/speech"
        );
    }

    #[test]
    fn http_failures_say_what_to_fix() {
        let e = http_error("speech-to-text", "--stt-url", "http://h/x", 404, "");
        assert_eq!(
            e.to_string(),
            "the speech-to-text server has no endpoint at http://h/x (HTTP 404): fix --stt-url"
        );
        let e = http_error("speech", "--tts-url", "http://h/x", 401, "");
        assert!(e.to_string().contains("check OPENAI_API_KEY"));
        let e = http_error("speech", "--tts-url", "u", 500, "boom\nmore");
        assert_eq!(
            e.to_string(),
            "the speech server at u answered HTTP 500: boom"
        );
    }

    #[test]
    fn sh_is_installed_and_nonsense_is_not() {
        assert!(installed("sh"));
        assert!(!installed("no-such-program-interviewer"));
    }
}
