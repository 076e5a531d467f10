//! The candidate's answers out loud: a recording per answer (push to talk in a terminal,
//! unattended otherwise), transcribed and measured. Every failure comes back as one line saying
//! what to fix, and the interview goes on typed; a recording that could not be transcribed is
//! kept and its path named.

use crate::repl::Printer;
use crate::spoken::SpokenStats;
use crate::voice::VoiceError;
use crate::voice::record::Recorder;
use crate::voice::transcribe::Transcriber;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How answers are recorded and transcribed.
pub struct Listening {
    pub recorder: Recorder,
    pub transcriber: Transcriber,
    /// Keep every recording in this directory (otherwise each is deleted once transcribed).
    pub keep_audio: Option<PathBuf>,
    /// Standard input is not a terminal: recording starts as soon as an answer is awaited and
    /// the recorder ends by itself.
    pub unattended: bool,
    /// A name for the recordings (the session id).
    pub label: String,
    count: u32,
}

/// What listening to one answer gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Heard {
    Answer {
        text: String,
        stats: SpokenStats,
    },
    /// The recording held no words.
    Nothing,
    /// The recorder failed or wrote nothing while unattended: no more audio.
    NoMoreAudio(String),
    /// Listening failed; the line says what to fix.
    Failed(String),
}

impl Listening {
    pub fn new(
        recorder: Recorder,
        transcriber: Transcriber,
        keep_audio: Option<PathBuf>,
        unattended: bool,
        label: &str,
    ) -> Listening {
        Listening {
            recorder,
            transcriber,
            keep_audio,
            unattended,
            label: label.to_string(),
            count: 0,
        }
    }

    /// A fresh file for the next recording (a resumed session does not overwrite the ones it
    /// kept before).
    fn audio_path(&mut self) -> Result<PathBuf, VoiceError> {
        let (dir, prefix) = match &self.keep_audio {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| VoiceError::Io {
                    action: "create",
                    path: dir.clone(),
                    error: e.to_string(),
                })?;
                (dir.clone(), "")
            }
            None => (std::env::temp_dir(), "interviewer-"),
        };
        loop {
            self.count += 1;
            let path = dir.join(format!("{prefix}{}-answer-{}.wav", self.label, self.count));
            if !path.exists() {
                return Ok(path);
            }
        }
    }

    /// Record until the record command ends by itself, then transcribe.
    pub fn unattended_answer(&mut self, printer: &Printer) -> Heard {
        let path = match self.audio_path() {
            Ok(p) => p,
            Err(e) => return Heard::Failed(e.to_string()),
        };
        let recorded = self.recorder.start(&path).and_then(|r| r.wait());
        match recorded {
            Ok(path) => self.transcribe(path, printer),
            Err(VoiceError::CommandFailed { status, .. }) => Heard::NoMoreAudio(format!(
                "No more audio (the record command ended with {status}): the interview ends."
            )),
            Err(e) => Heard::NoMoreAudio(format!("No more audio ({e}): the interview ends.")),
        }
    }

    /// Push to talk: record until the candidate presses Enter, showing for how long, then
    /// transcribe.
    pub fn push_to_talk(&mut self, printer: &Printer) -> Heard {
        let path = match self.audio_path() {
            Ok(p) => p,
            Err(e) => return Heard::Failed(e.to_string()),
        };
        let recording = match self.recorder.start(&path) {
            Ok(r) => r,
            Err(e) => return Heard::Failed(e.to_string()),
        };
        let started = Instant::now();
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let color = printer.color();
        let status = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                let mark = if color { "\x1b[31m●\x1b[0m" } else { "●" };
                eprint!(
                    "\r\x1b[2K{mark} recording {} — press Enter to stop",
                    crate::spoken::clock(started.elapsed().as_secs_f64())
                );
                let _ = std::io::stderr().flush();
                std::thread::sleep(Duration::from_millis(250));
            }
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        });
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        done.store(true, Ordering::SeqCst);
        let _ = status.join();
        match recording.stop() {
            Ok(path) => self.transcribe(path, printer),
            Err(e) => Heard::Failed(e.to_string()),
        }
    }

    /// Transcribe a recording; it is deleted once transcribed unless audio is kept.
    fn transcribe(&self, path: PathBuf, printer: &Printer) -> Heard {
        printer.info("Transcribing…");
        let started = Instant::now();
        let call = self.transcriber.transcribe(&path);
        let result = match tokio::runtime::Handle::try_current() {
            Ok(handle) => handle.block_on(call),
            Err(_) => match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(call),
                Err(e) => return Heard::Failed(format!("cannot start the async runtime: {e}")),
            },
        };
        match result {
            Ok(t) => {
                if self.keep_audio.is_none() {
                    let _ = std::fs::remove_file(&path);
                }
                tracing::debug!(
                    seconds = started.elapsed().as_secs_f64(),
                    "transcribed {}",
                    path.display()
                );
                let took = started.elapsed().as_secs_f64();
                if self.unattended {
                    printer.info(&format!("Heard (transcribed in {took:.1} s): {}", t.text));
                } else {
                    printer.info(&format!(
                        "Transcribed in {took:.1} s: edit it if needed, then press Enter to send."
                    ));
                }
                if t.text.trim().is_empty() {
                    return Heard::Nothing;
                }
                let stats = SpokenStats::measure(&t.text, &t.segments, t.duration);
                Heard::Answer {
                    text: t.text.replace(['\n', '\r'], " "),
                    stats,
                }
            }
            Err(e) => Heard::Failed(format!(
                "{e} (your recording is kept at {})",
                path.display()
            )),
        }
    }
}
