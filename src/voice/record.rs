//! Recording one answer: a command, run through `sh`, writes a WAV file to the path in
//! `$INTERVIEWER_AUDIO_PATH`. In a terminal it runs until the candidate stops it (it gets SIGINT,
//! as Ctrl-C would give it, so it can finish the file); unattended it ends by itself.
//!
//! `INTERVIEWER_RECORD_COMMAND` sets the command; without it `arecord` (alsa-utils) or `rec`
//! (sox) serve when installed. No audio library is linked, so the build needs no system headers.

use super::{AUDIO_PATH_ENV, RECORD_COMMAND_ENV, VoiceError, command_failed};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a stopped recorder gets to finish its file before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// The command that records answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorder {
    command: String,
}

/// The recorder the environment selects: `INTERVIEWER_RECORD_COMMAND`, else `arecord` or `rec`
/// when installed.
pub fn default_recorder() -> Option<Recorder> {
    if let Some(command) = super::env_command(RECORD_COMMAND_ENV) {
        return Some(Recorder::new(command));
    }
    [
        (
            "arecord",
            "arecord -q -f S16_LE -r 16000 -c 1 -t wav \"$INTERVIEWER_AUDIO_PATH\"",
        ),
        ("rec", "rec -q -c 1 -r 16000 \"$INTERVIEWER_AUDIO_PATH\""),
    ]
    .into_iter()
    .find(|(program, _)| super::installed(program))
    .map(|(_, command)| Recorder::new(command.to_string()))
}

impl Recorder {
    pub fn new(command: impl Into<String>) -> Recorder {
        Recorder {
            command: command.into(),
        }
    }

    pub fn command(&self) -> &str {
        &self.command
    }

    /// Start recording to `path` (any file already there is removed first).
    pub fn start(&self, path: &Path) -> Result<Recording, VoiceError> {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(VoiceError::io("replace", path, e)),
        }
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(&self.command)
            .env(AUDIO_PATH_ENV, path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            // Its own process group, so stopping it reaches the recorder under `sh`.
            .process_group(0);
        // SIGINT is how a recording is stopped. An interviewer started in the background (`&`,
        // nohup, some CI runners) ignores SIGINT, and the recorder would inherit that and only be
        // killed at the end of the grace, losing the audio: give it the default action back.
        // SAFETY: between fork and exec the closure only calls `signal`, which is
        // async-signal-safe, and allocates nothing.
        unsafe {
            command.pre_exec(|| {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                Ok(())
            });
        }
        let child = command.spawn().map_err(|e| VoiceError::Spawn {
            what: "record",
            command: self.command.clone(),
            error: e.to_string(),
        })?;
        Ok(Recording {
            child,
            path: path.to_path_buf(),
            command: self.command.clone(),
            started: Instant::now(),
        })
    }
}

/// A recorder running.
#[derive(Debug)]
pub struct Recording {
    child: Child,
    path: PathBuf,
    command: String,
    started: Instant,
}

impl Recording {
    /// How long it has been recording.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Stop recording (SIGINT to its process group, then a kill if it lingers) and return the
    /// file it wrote.
    pub fn stop(mut self) -> Result<PathBuf, VoiceError> {
        if let Ok(Some(status)) = self.child.try_wait() {
            // It ended on its own before the candidate stopped it: only a failure matters.
            if !status.success() {
                return Err(self.failed(status));
            }
            return self.audio();
        }
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: `kill` has no memory effects; `-pid` names the group spawned above.
            unsafe {
                libc::kill(-pid, libc::SIGINT);
            }
        }
        let deadline = Instant::now() + STOP_GRACE;
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
            }
        }
        self.audio()
    }

    /// Wait for the recorder to end by itself; a failure means there is no more audio.
    pub fn wait(mut self) -> Result<PathBuf, VoiceError> {
        let status = self
            .child
            .wait()
            .map_err(|e| VoiceError::io("wait for the recorder writing", &self.path, e))?;
        if !status.success() {
            return Err(self.failed(status));
        }
        self.audio()
    }

    fn failed(&self, status: std::process::ExitStatus) -> VoiceError {
        command_failed("record", &self.command, RECORD_COMMAND_ENV, status)
    }

    /// The recorded file, if the recorder wrote anything.
    fn audio(&self) -> Result<PathBuf, VoiceError> {
        match std::fs::metadata(&self.path) {
            Ok(m) if m.len() > 0 => Ok(self.path.clone()),
            _ => Err(VoiceError::NoAudio {
                path: self.path.clone(),
            }),
        }
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_writes_the_file_it_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let rec = Recorder::new("printf RIFF > \"$INTERVIEWER_AUDIO_PATH\"");
        let got = rec.start(&path).unwrap().wait().unwrap();
        assert_eq!(std::fs::read(got).unwrap(), b"RIFF");
    }

    #[test]
    fn a_failing_command_is_the_end_of_the_audio() {
        let dir = tempfile::tempdir().unwrap();
        let e = Recorder::new("exit 3")
            .start(&dir.path().join("a.wav"))
            .unwrap()
            .wait()
            .unwrap_err();
        assert!(e.to_string().contains("exit status 3"), "{e}");
        let e = Recorder::new("true")
            .start(&dir.path().join("b.wav"))
            .unwrap()
            .wait()
            .unwrap_err();
        assert!(matches!(e, VoiceError::NoAudio { .. }), "{e}");
    }

    #[test]
    fn stopping_interrupts_a_recorder_that_would_run_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let rec = Recorder::new(
            "trap 'printf DONE > \"$INTERVIEWER_AUDIO_PATH\"; exit 0' INT; touch \"$INTERVIEWER_AUDIO_PATH.ready\"; while true; do sleep 0.05; done",
        );
        let recording = rec.start(&path).unwrap();
        let ready = dir.path().join("a.wav.ready");
        while !ready.exists() {
            std::thread::sleep(Duration::from_millis(10));
        }
        let got = recording.stop().unwrap();
        assert_eq!(std::fs::read(got).unwrap(), b"DONE");
    }
}
