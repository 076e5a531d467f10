//! Driving the real `interviewer` binary: a temporary `INTERVIEWER_HOME` with commands isolated
//! from the caller's environment, an interview running as a child process read line by line, the
//! built-in bank, the graded fixture answers, and recognition of the line the interviewer waits on.
//!
//! Typical use:
//! ```ignore
//! let home = Home::new();
//! let mut live = Live::start(&home, &["--offline", "--seed", "3"]);
//! let first = live.turn().waiting.expect("a first question");
//! live.send(&answer(&first.question, "strong"));
//! let (ok, stderr, stdout) = live.finish();
//! let review = home.review();
//! ```

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use assert_cmd::Command;
use interviewer::bank::{Bank, load_builtin};
use serde_json::Value;
use tempfile::TempDir;

/// Guard against a hung child (not a timing assertion: the interview answers in milliseconds).
pub const STUCK: Duration = Duration::from_secs(60);

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_interviewer");

// ---------------------------------------------------------------------------------------------
// Data: the bank and the graded fixture answers
// ---------------------------------------------------------------------------------------------

/// The built-in bank, loaded once.
pub fn bank() -> &'static Bank {
    static BANK: OnceLock<Bank> = OnceLock::new();
    BANK.get_or_init(|| load_builtin().expect("the built-in bank loads"))
}

/// What the interviewer is waiting on: a question (`point == None`) or a probe on one of its points.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub question: String,
    pub point: Option<String>,
}

/// Every line the interviewer can wait on ends with one of these bank texts.
fn prompt_texts() -> &'static Vec<(String, Prompt)> {
    static TEXTS: OnceLock<Vec<(String, Prompt)>> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let mut texts = vec![];
        for q in &bank().questions {
            texts.push((
                q.ask.trim().to_string(),
                Prompt {
                    question: q.id.clone(),
                    point: None,
                },
            ));
            for p in &q.points {
                for t in p.probes.iter().chain(p.derivations.iter()) {
                    texts.push((
                        t.trim().to_string(),
                        Prompt {
                            question: q.id.clone(),
                            point: Some(p.id.clone()),
                        },
                    ));
                }
            }
        }
        // Longest first, so a text that ends another one cannot shadow it.
        texts.sort_by_key(|(t, _)| std::cmp::Reverse(t.len()));
        texts
    })
}

/// The prompt a printed line ends with (a question's `ask`, or a probe / derivation of one of its
/// rubric points), if any.
pub fn classify(line: &str) -> Option<Prompt> {
    let line = line.trim_end();
    prompt_texts()
        .iter()
        .find(|(t, _)| line.ends_with(t.as_str()))
        .map(|(_, p)| p.clone())
}

/// Graded answers (`tests/fixtures/graded_answers.jsonl`, in file order):
/// (question id, kind) -> the first fixture answer of that kind.
fn fixtures() -> &'static HashMap<(String, String), String> {
    static FIX: OnceLock<HashMap<(String, String), String>> = OnceLock::new();
    FIX.get_or_init(|| {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/graded_answers.jsonl");
        let text = std::fs::read_to_string(&path).expect("fixture file");
        let mut map = HashMap::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: Value = serde_json::from_str(line).expect("fixture line is JSON");
            let key = (
                v["question"].as_str().unwrap().to_string(),
                v["kind"].as_str().unwrap().to_string(),
            );
            map.entry(key)
                .or_insert_with(|| v["answer"].as_str().unwrap().to_string());
        }
        map
    })
}

/// The fixture answer of `kind` (`strong`, `partial`, `vague`, `wrong`) for `question`, on one line.
pub fn answer(question: &str, kind: &str) -> String {
    fixtures()
        .get(&(question.to_string(), kind.to_string()))
        .unwrap_or_else(|| panic!("no {kind} fixture for {question}"))
        .replace(['\n', '\r'], " ")
}

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

/// The same environment calls for assert_cmd and std commands.
pub trait EnvCmd {
    fn set(&mut self, k: &str, v: &Path);
    fn unset(&mut self, k: &str);
}

impl EnvCmd for Command {
    fn set(&mut self, k: &str, v: &Path) {
        self.env(k, v);
    }
    fn unset(&mut self, k: &str) {
        self.env_remove(k);
    }
}

impl EnvCmd for std::process::Command {
    fn set(&mut self, k: &str, v: &Path) {
        self.env(k, v);
    }
    fn unset(&mut self, k: &str) {
        self.env_remove(k);
    }
}

/// Point `cmd` at `home` and clear every variable that would select a model server, another
/// bank or forced colours, or make the binary think `cargo run` started it (its hints would then
/// name `cargo run`).
pub fn isolate(cmd: &mut impl EnvCmd, home: &Path) {
    cmd.set("INTERVIEWER_HOME", home);
    for k in [
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "INTERVIEWER_MODEL",
        "INTERVIEWER_BANK",
        "CLICOLOR_FORCE",
        "CARGO",
        "CARGO_PKG_NAME",
    ] {
        cmd.unset(k);
    }
}

/// A temporary `INTERVIEWER_HOME`.
pub struct Home {
    dir: TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `interviewer ARGS` with only this home and no model server configured.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        isolate(&mut cmd, self.path());
        cmd.args(args);
        cmd
    }

    /// Run with all of `input` on stdin at once.
    pub fn run(&self, args: &[&str], input: &str) -> std::process::Output {
        self.cmd(args)
            .write_stdin(input.to_string())
            .timeout(STUCK)
            .output()
            .expect("run interviewer")
    }

    /// `review --format json` of the latest session.
    pub fn review(&self) -> Value {
        let out = self
            .cmd(&["review", "--format", "json"])
            .timeout(STUCK)
            .output()
            .expect("run review");
        assert!(
            out.status.success(),
            "review failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("review json parses")
    }

    /// The session files (`sessions/*.jsonl`), none when the directory does not exist.
    fn session_paths(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.path().join("sessions"))
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How many session files there are.
    pub fn session_files(&self) -> usize {
        self.session_paths().len()
    }

    /// The single session file (panics unless there is exactly one).
    pub fn session_file(&self) -> PathBuf {
        let files = self.session_paths();
        assert_eq!(files.len(), 1, "{files:?}");
        files[0].clone()
    }
}

/// One interviewer turn as read from stdout.
#[derive(Debug, Default)]
pub struct Turn {
    pub lines: Vec<String>,
    /// What the interviewer now waits on; `None` when the process closed stdout.
    pub waiting: Option<Prompt>,
}

/// An interview running as a child process, driven line by line.
pub struct Live {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Option<JoinHandle<String>>,
    /// Everything read from stdout so far.
    transcript: Vec<String>,
}

impl Live {
    /// Spawn `interviewer ARGS` in `home` with piped stdio.
    pub fn start(home: &Home, args: &[&str]) -> Live {
        let mut cmd = std::process::Command::new(BIN);
        isolate(&mut cmd, home.path());
        let mut child = cmd
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn interviewer");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut err = child.stderr.take().expect("piped stderr");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut err, &mut s);
            s
        });
        Live {
            stdin: child.stdin.take(),
            child,
            lines: rx,
            stderr: Some(stderr),
            transcript: vec![],
        }
    }

    /// The next stdout line, `None` at the end of output.
    pub fn line(&mut self) -> Option<String> {
        match self.lines.recv_timeout(STUCK) {
            Ok(l) => {
                self.transcript.push(l.clone());
                Some(l)
            }
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => panic!(
                "interviewer stuck; stdout so far:\n{}",
                self.transcript.join("\n")
            ),
        }
    }

    /// Read until the interviewer waits on a question or probe, or stdout closes.
    pub fn turn(&mut self) -> Turn {
        let mut turn = Turn::default();
        while let Some(line) = self.line() {
            let waiting = classify(&line);
            turn.lines.push(line);
            if waiting.is_some() {
                turn.waiting = waiting;
                return turn;
            }
        }
        turn
    }

    /// Send one line of input.
    pub fn send(&mut self, input: &str) {
        assert!(!input.contains('\n'), "one input is one line");
        if let Some(stdin) = self.stdin.as_mut() {
            // The child may already have exited (e.g. after /end): that is for the caller to check.
            let _ = writeln!(stdin, "{input}");
            let _ = stdin.flush();
        }
    }

    /// Close stdin (EOF), drain stdout, wait for the exit; returns (success, stderr, stdout).
    pub fn finish(mut self) -> (bool, String, Vec<String>) {
        drop(self.stdin.take());
        while self.line().is_some() {}
        let status = self.child.wait().expect("wait for interviewer");
        let stderr = self
            .stderr
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        (status.success(), stderr, self.transcript)
    }

    /// SIGKILL, as a crash would.
    pub fn kill(mut self) {
        self.child.kill().expect("kill the interview");
        let _ = self.child.wait();
    }
}
