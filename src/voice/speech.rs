//! Speaking the interviewer's lines in the background, so speech never blocks typing.
//!
//! A worker thread takes lines in order and speaks each through a command (the text on its
//! standard input) or an OpenAI-compatible `/v1/audio/speech` endpoint (the audio played by a
//! player command). [`Speech::stop`] silences the line being spoken and drops the queued ones.
//! The first failure is reported once through the reporter and the voice falls silent: the
//! interview goes on in text.

use super::{AUDIO_PATH_ENV, PLAY_COMMAND_ENV, TTS_COMMAND_ENV, VoiceError, command_failed};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Where the voice comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Voice {
    /// A shell command that speaks the text on its standard input (e.g. `espeak-ng --stdin`).
    Command(String),
    /// An OpenAI-compatible speech endpoint; `player` plays the WAV file it returns.
    Endpoint {
        /// The base URL (e.g. `https://api.openai.com/v1`) or the endpoint's own URL.
        url: String,
        model: String,
        voice: String,
        key: Option<String>,
        player: String,
        timeout: Duration,
    },
}

impl Voice {
    /// A short description for the one line that says which voice speaks.
    pub fn describe(&self) -> String {
        match self {
            Voice::Command(c) => format!("the command `{c}`"),
            Voice::Endpoint { url, voice, .. } => {
                format!("{} (voice {voice})", super::endpoint(url, SPEECH_PATH))
            }
        }
    }
}

const SPEECH_PATH: &str = "/audio/speech";

/// Reports a failure of the voice, once (e.g. prints it as a note).
pub type Reporter = Box<dyn Fn(String) + Send + Sync>;

struct Shared {
    /// Bumped by [`Speech::stop`]: lines queued under an older generation are dropped.
    generation: AtomicU64,
    /// The process speaking now.
    child: Mutex<Option<Child>>,
    /// After a failure the voice is silent.
    broken: AtomicBool,
    report: Reporter,
}

impl Shared {
    fn child(&self) -> std::sync::MutexGuard<'_, Option<Child>> {
        self.child.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn kill(&self) {
        if let Some(mut child) = self.child().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The interviewer's voice: lines are spoken one after another on a worker thread.
pub struct Speech {
    tx: Option<mpsc::Sender<(u64, String)>>,
    shared: Arc<Shared>,
    worker: Option<JoinHandle<()>>,
    /// A new line cuts the one being spoken short (interactive); otherwise lines queue.
    interrupt: bool,
}

impl Speech {
    /// Start the worker. `interrupt`: each new line silences the previous one.
    pub fn start(voice: Voice, interrupt: bool, report: Reporter) -> Speech {
        let shared = Arc::new(Shared {
            generation: AtomicU64::new(0),
            child: Mutex::new(None),
            broken: AtomicBool::new(false),
            report,
        });
        let (tx, rx) = mpsc::channel::<(u64, String)>();
        let worker_shared = shared.clone();
        let worker = std::thread::Builder::new()
            .name("speech".into())
            .spawn(move || work(voice, rx, worker_shared))
            .ok();
        Speech {
            tx: Some(tx),
            shared,
            worker,
            interrupt,
        }
    }

    /// Speak `text` (in the background).
    pub fn say(&self, text: &str) {
        if self.shared.broken.load(Ordering::SeqCst) || text.trim().is_empty() {
            return;
        }
        if self.interrupt {
            self.stop();
        }
        let generation = self.shared.generation.load(Ordering::SeqCst);
        if let Some(tx) = &self.tx {
            let _ = tx.send((generation, text.to_string()));
        }
    }

    /// Silence the line being spoken and drop the queued ones.
    pub fn stop(&self) {
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
        self.shared.kill();
    }

    /// Let the queued lines be spoken, waiting at most `limit`, then silence what is left.
    pub fn finish(mut self, limit: Duration) {
        self.tx = None;
        let deadline = Instant::now() + limit;
        if let Some(worker) = self.worker.take() {
            while !worker.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            self.stop();
            if worker.is_finished() {
                let _ = worker.join();
            }
        }
    }
}

impl Drop for Speech {
    fn drop(&mut self) {
        self.tx = None;
        self.stop();
    }
}

fn work(voice: Voice, rx: mpsc::Receiver<(u64, String)>, shared: Arc<Shared>) {
    let runtime = match &voice {
        Voice::Endpoint { .. } => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok(),
        Voice::Command(_) => None,
    };
    let mut n = 0u32;
    for (generation, text) in rx {
        if shared.broken.load(Ordering::SeqCst)
            || generation != shared.generation.load(Ordering::SeqCst)
        {
            continue;
        }
        n += 1;
        let result = match &voice {
            Voice::Command(command) => run(
                &shared,
                "speech",
                TTS_COMMAND_ENV,
                command,
                Some(&text),
                None,
            ),
            Voice::Endpoint { .. } => match &runtime {
                Some(rt) => speak_endpoint(&shared, &voice, rt, &text, n),
                None => Ok(()),
            },
        };
        if let Err(e) = result
            && generation == shared.generation.load(Ordering::SeqCst)
            && !shared.broken.swap(true, Ordering::SeqCst)
        {
            (shared.report)(format!("{e}; the interview goes on without the voice"));
        }
    }
}

/// Run `command` through `sh`, feeding it `stdin`, until it exits or is stopped.
fn run(
    shared: &Shared,
    what: &'static str,
    env: &'static str,
    command: &str,
    stdin: Option<&str>,
    audio: Option<&PathBuf>,
) -> Result<(), VoiceError> {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(path) = audio {
        cmd.env(AUDIO_PATH_ENV, path);
    }
    let mut child = cmd.spawn().map_err(|e| VoiceError::Spawn {
        what,
        command: command.to_string(),
        error: e.to_string(),
    })?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A command that stops reading early is not an error of ours.
        let _ = pipe.write_all(text.as_bytes());
        let _ = pipe.write_all(b"\n");
    }
    *shared.child() = Some(child);
    loop {
        {
            let mut guard = shared.child();
            let Some(child) = guard.as_mut() else {
                return Ok(()); // stopped
            };
            match child.try_wait() {
                Ok(Some(status)) => {
                    guard.take();
                    return if status.success() {
                        Ok(())
                    } else {
                        Err(command_failed(what, command, env, status))
                    };
                }
                Ok(None) => {}
                Err(_) => {
                    guard.take();
                    return Ok(());
                }
            }
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Fetch `text` as WAV from the endpoint and play it.
fn speak_endpoint(
    shared: &Shared,
    voice: &Voice,
    runtime: &tokio::runtime::Runtime,
    text: &str,
    n: u32,
) -> Result<(), VoiceError> {
    let Voice::Endpoint {
        url,
        model,
        voice,
        key,
        player,
        timeout,
    } = voice
    else {
        return Ok(());
    };
    let url = super::endpoint(url, SPEECH_PATH);
    let audio = runtime.block_on(fetch(&url, model, voice, key.as_deref(), *timeout, text))?;
    let path =
        std::env::temp_dir().join(format!("interviewer-speech-{}-{n}.wav", std::process::id()));
    std::fs::write(&path, &audio).map_err(|e| VoiceError::io("write", &path, e))?;
    let played = run(
        shared,
        "player",
        PLAY_COMMAND_ENV,
        player,
        None,
        Some(&path),
    );
    let _ = std::fs::remove_file(&path);
    played
}

async fn fetch(
    url: &str,
    model: &str,
    voice: &str,
    key: Option<&str>,
    timeout: Duration,
    text: &str,
) -> Result<Vec<u8>, VoiceError> {
    const WHAT: &str = "speech";
    const FLAG: &str = "--tts-url";
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| super::unreachable(WHAT, FLAG, url, &e))?;
    let mut req = client.post(url).json(&serde_json::json!({
        "model": model,
        "input": text,
        "voice": voice,
        "response_format": "wav",
    }));
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| super::unreachable(WHAT, FLAG, url, &e))?;
    let status = resp.status();
    if !status.is_success() {
        let body = resp.text().await.unwrap_or_default();
        return Err(super::http_error(WHAT, FLAG, url, status.as_u16(), &body));
    }
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| super::unreachable(WHAT, FLAG, url, &e))?;
    if bytes.is_empty() {
        return Err(VoiceError::BadReply {
            what: WHAT,
            url: url.to_string(),
            error: "no audio in the reply".into(),
        });
    }
    Ok(bytes.to_vec())
}

/// The player for a speech endpoint's WAV: `INTERVIEWER_PLAY_COMMAND`, else the first of
/// `aplay`, `paplay`, `ffplay`, `afplay` that is installed.
pub fn default_player() -> Option<String> {
    if let Some(c) = super::env_command(PLAY_COMMAND_ENV) {
        return Some(c);
    }
    [
        ("aplay", "aplay -q \"$INTERVIEWER_AUDIO_PATH\""),
        ("paplay", "paplay \"$INTERVIEWER_AUDIO_PATH\""),
        (
            "ffplay",
            "ffplay -nodisp -autoexit -loglevel quiet \"$INTERVIEWER_AUDIO_PATH\"",
        ),
        ("afplay", "afplay \"$INTERVIEWER_AUDIO_PATH\""),
    ]
    .into_iter()
    .find(|(program, _)| super::installed(program))
    .map(|(_, command)| command.to_string())
}

/// The local voice: `INTERVIEWER_TTS_COMMAND`, else `espeak-ng` (or `espeak`) when installed.
pub fn local_voice() -> Option<String> {
    if let Some(c) = super::env_command(TTS_COMMAND_ENV) {
        return Some(c);
    }
    ["espeak-ng", "espeak"]
        .into_iter()
        .find(|p| super::installed(p))
        .map(|p| format!("{p} --stdin"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect() -> (Reporter, Arc<Mutex<Vec<String>>>) {
        let seen = Arc::new(Mutex::new(vec![]));
        let s = seen.clone();
        (Box::new(move |m| s.lock().unwrap().push(m)), seen)
    }

    #[test]
    fn queued_lines_all_reach_the_command_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("spoken.txt");
        let (report, seen) = collect();
        let speech = Speech::start(
            Voice::Command(format!("cat >> '{}'", out.display())),
            false,
            report,
        );
        speech.say("first line");
        speech.say("second line");
        speech.finish(Duration::from_secs(20));
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "first line\nsecond line\n"
        );
        assert!(seen.lock().unwrap().is_empty());
    }

    #[test]
    fn a_missing_command_is_reported_once_and_silences_the_voice() {
        let (report, seen) = collect();
        let speech = Speech::start(
            Voice::Command("no-such-voice-interviewer".into()),
            false,
            report,
        );
        speech.say("one");
        speech.say("two");
        speech.finish(Duration::from_secs(20));
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(seen[0].contains("was not found"), "{}", seen[0]);
        assert!(seen[0].contains("INTERVIEWER_TTS_COMMAND"), "{}", seen[0]);
    }

    #[test]
    fn stop_silences_a_long_line_without_reporting_it() {
        let (report, seen) = collect();
        let speech = Speech::start(Voice::Command("sleep 30".into()), true, report);
        speech.say("a long line");
        // Wait until the command runs, then stop it.
        for _ in 0..200 {
            if speech.shared.child().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        speech.stop();
        speech.finish(Duration::from_secs(20));
        assert!(seen.lock().unwrap().is_empty());
    }
}
