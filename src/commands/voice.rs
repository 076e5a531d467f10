//! Choosing the voice backends and the timer for `start` and `resume`. Whatever is missing is
//! one line saying what to fix; the interview then runs without it (typed, silent).

use super::setup::API_KEY_VAR;
use crate::cli::{ServerArgs, VoiceArgs};
use crate::interview::Voice;
use crate::interview::listen::Listening;
use crate::model::openai::OpenAiConfig;
use crate::repl::Printer;
use crate::voice::record::{Recorder, default_recorder};
use crate::voice::speech::{self, Speech};
use crate::voice::transcribe::{DEFAULT_MODEL, Transcriber};
use crate::voice::{RECORD_COMMAND_ENV, TTS_COMMAND_ENV, env_command};
use std::io::IsTerminal;
use std::time::Duration;

/// The key and chat base URL when they point at OpenAI, whose speech endpoints then serve.
struct OpenAi {
    key: Option<String>,
    base_url: String,
    serves: bool,
}

fn openai(server: &ServerArgs) -> OpenAi {
    let key = std::env::var(API_KEY_VAR)
        .ok()
        .filter(|k| !k.trim().is_empty());
    let base_url = server
        .base_url
        .clone()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| OpenAiConfig::default().base_url);
    let serves = key.is_some() && base_url.contains("api.openai.com");
    OpenAi {
        key,
        base_url,
        serves,
    }
}

impl OpenAi {
    /// The key for a speech endpoint at `url`: only a host the key is already sent to (the chat
    /// server's) or OpenAI's own gets it, so `--stt-url` on another host never receives it.
    fn key_for(&self, url: &str) -> Option<String> {
        let host = |u: &str| {
            reqwest::Url::parse(u)
                .ok()
                .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        };
        let to = host(url)?;
        let trusted = host(&self.base_url).is_some_and(|h| h == to) || to == "api.openai.com";
        self.key.clone().filter(|_| trusted)
    }
}

fn non_empty(s: &str, default: &str) -> String {
    if s.trim().is_empty() {
        default.to_string()
    } else {
        s.trim().to_string()
    }
}

/// The voice, listening and timer the flags ask for; `label` names the recordings.
pub fn voice(
    args: &VoiceArgs,
    server: &ServerArgs,
    saved_limit: Option<u64>,
    label: &str,
    printer: &Printer,
) -> Voice {
    let openai = openai(server);
    let timeout = Duration::from_secs(server.timeout.max(1));
    let speech = if args.speak {
        speaker(args, &openai, timeout, printer)
    } else {
        None
    };
    let listening = if args.listen {
        listener(args, &openai, timeout, label, printer)
    } else {
        None
    };
    Voice {
        speech,
        listening,
        time_limit: args
            .time_limit
            .or_else(|| saved_limit.map(Duration::from_secs)),
    }
}

fn speaker(
    args: &VoiceArgs,
    openai: &OpenAi,
    timeout: Duration,
    printer: &Printer,
) -> Option<Speech> {
    let endpoint = |url: &str| -> Option<speech::Voice> {
        let Some(player) = speech::default_player() else {
            printer.error(
                "--speak: the speech endpoint's audio needs a player: install alsa-utils (aplay) or ffmpeg (ffplay), or set INTERVIEWER_PLAY_COMMAND; going on without the voice",
            );
            return None;
        };
        Some(speech::Voice::Endpoint {
            url: url.to_string(),
            model: non_empty(&args.tts_model, "tts-1"),
            voice: non_empty(&args.tts_voice, "alloy"),
            key: openai.key_for(url),
            player,
            timeout,
        })
    };
    let voice = if let Some(url) = args.tts_url.as_deref().filter(|u| !u.trim().is_empty()) {
        endpoint(url)?
    } else if let Some(command) = env_command(TTS_COMMAND_ENV) {
        speech::Voice::Command(command)
    } else if openai.serves {
        endpoint(&openai.base_url)?
    } else if let Some(command) = speech::local_voice() {
        speech::Voice::Command(command)
    } else {
        printer.error(&format!(
            "--speak needs a voice: install espeak-ng, set {TTS_COMMAND_ENV} (e.g. to a piper command), or pass --tts-url; going on without the voice"
        ));
        return None;
    };
    printer.info(&format!(
        "Speaking through {} (Enter on an empty line silences it).",
        voice.describe()
    ));
    let reporter = printer.clone();
    Some(Speech::start(
        voice,
        printer.is_interactive(),
        Box::new(move |msg| reporter.error(&msg)),
    ))
}

fn listener(
    args: &VoiceArgs,
    openai: &OpenAi,
    timeout: Duration,
    label: &str,
    printer: &Printer,
) -> Option<Listening> {
    let unattended = !std::io::stdin().is_terminal();
    let recorder = if unattended {
        let Some(command) = env_command(RECORD_COMMAND_ENV) else {
            printer.error(&format!(
                "--listen without a terminal needs {RECORD_COMMAND_ENV} (a command writing a WAV file to $INTERVIEWER_AUDIO_PATH); reading typed answers"
            ));
            return None;
        };
        Recorder::new(command)
    } else {
        let Some(recorder) = default_recorder() else {
            printer.error(&format!(
                "--listen needs a recorder: install alsa-utils (arecord) or sox (rec), or set {RECORD_COMMAND_ENV}; type your answers meanwhile"
            ));
            return None;
        };
        recorder
    };
    let url = match args.stt_url.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(url) => url.to_string(),
        None if openai.serves => openai.base_url.clone(),
        None => {
            printer.error(&format!(
                "--listen needs a speech-to-text server: pass --stt-url (e.g. a local faster-whisper-server) or set {API_KEY_VAR} for OpenAI's; type your answers meanwhile"
            ));
            return None;
        }
    };
    let transcriber = Transcriber::new(
        &url,
        &non_empty(&args.stt_model, DEFAULT_MODEL),
        openai.key_for(&url),
        timeout,
    );
    if unattended {
        printer.info(&format!(
            "Listening: each answer is recorded by `{}` and transcribed at {}.",
            recorder.command(),
            transcriber.url()
        ));
    } else {
        printer.info(&format!(
            "Listening: press Enter on an empty line to record an answer, Enter again to stop (transcribed at {}). You can always type instead.",
            transcriber.url()
        ));
    }
    Some(Listening::new(
        recorder,
        transcriber,
        args.keep_audio.clone(),
        unattended,
        label,
    ))
}

/// How long the interviewer may finish speaking after the interview ends.
pub fn finish_limit(interactive: bool) -> Duration {
    if interactive {
        Duration::from_secs(15)
    } else {
        Duration::from_secs(60)
    }
}

#[cfg(test)]
mod tests {
    use super::OpenAi;

    #[test]
    fn the_key_goes_only_to_the_chat_host_or_openai() {
        let chat = |base: &str| OpenAi {
            key: Some("sk-test".into()),
            base_url: base.into(),
            serves: false,
        };
        let local = chat("http://127.0.0.1:8089/v1");
        assert_eq!(
            local.key_for("http://127.0.0.1:8000/v1").as_deref(),
            Some("sk-test")
        );
        assert_eq!(local.key_for("https://stt.example.com/v1"), None);
        assert_eq!(local.key_for("not a url"), None);
        let openai = chat("https://api.openai.com/v1");
        assert_eq!(
            openai.key_for("https://API.openai.com/v1").as_deref(),
            Some("sk-test")
        );
        assert_eq!(openai.key_for("http://localhost:9000/v1"), None);
    }
}
