//! `interviewer resume` after a hard crash: an offline interview runs as a child process, is
//! killed with SIGKILL while it waits for input, and is continued with `interviewer resume`.

use assert_cmd::Command;
use interviewer::bank::{Bank, load_builtin};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Guard against a hung child (not a timing assertion).
const STUCK: Duration = Duration::from_secs(60);

const BIN: &str = env!("CARGO_BIN_EXE_interviewer");

fn bank() -> &'static Bank {
    static BANK: OnceLock<Bank> = OnceLock::new();
    BANK.get_or_init(|| load_builtin().expect("the built-in bank loads"))
}

/// The question a printed line asks (its `ask` or a probe of one of its points), if any.
fn asked_question(line: &str) -> Option<String> {
    let line = line.trim_end();
    bank()
        .questions
        .iter()
        .find(|q| {
            line.ends_with(q.ask.trim())
                || q.points
                    .iter()
                    .flat_map(|p| p.probes.iter().chain(p.derivations.iter()))
                    .any(|t| line.ends_with(t.trim()))
        })
        .map(|q| q.id.clone())
}

/// The strong graded answer for each question.
fn strong(question: &str) -> String {
    static FIX: OnceLock<HashMap<String, String>> = OnceLock::new();
    let map = FIX.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/graded_parts");
        let mut map = HashMap::new();
        for entry in std::fs::read_dir(dir).expect("fixture directory") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("fixture file");
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let v: Value = serde_json::from_str(line).expect("fixture line is JSON");
                if v["kind"] == "strong" {
                    map.entry(v["question"].as_str().unwrap().to_string())
                        .or_insert_with(|| v["answer"].as_str().unwrap().replace('\n', " "));
                }
            }
        }
        map
    });
    map.get(question)
        .unwrap_or_else(|| panic!("no strong fixture for {question}"))
        .clone()
}

struct Home {
    dir: TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env("INTERVIEWER_HOME", self.path());
        for k in [
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
            "INTERVIEWER_MODEL",
            "INTERVIEWER_BANK",
        ] {
            cmd.env_remove(k);
        }
        cmd.args(args);
        cmd
    }

    fn review(&self) -> Value {
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

    /// The single session file.
    fn session_file(&self) -> PathBuf {
        let files: Vec<PathBuf> = std::fs::read_dir(self.path().join("sessions"))
            .expect("sessions directory")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        files[0].clone()
    }
}

/// A child interview read line by line.
struct Live {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Option<JoinHandle<String>>,
    stdout: Vec<String>,
}

impl Live {
    fn start(home: &Home, args: &[&str]) -> Live {
        let mut cmd = std::process::Command::new(BIN);
        cmd.env("INTERVIEWER_HOME", home.path());
        for k in [
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
            "INTERVIEWER_MODEL",
            "INTERVIEWER_BANK",
        ] {
            cmd.env_remove(k);
        }
        let mut child = cmd
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn interviewer");
        let out = child.stdout.take().expect("stdout");
        let mut err = child.stderr.take().expect("stderr");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
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
            stdout: vec![],
        }
    }

    /// Read until a line asks something; returns the question id, `None` when stdout closed.
    fn next_prompt(&mut self) -> Option<String> {
        loop {
            match self.lines.recv_timeout(STUCK) {
                Ok(line) => {
                    let q = asked_question(&line);
                    self.stdout.push(line);
                    if q.is_some() {
                        return q;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return None,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("interviewer stuck; stdout:\n{}", self.stdout.join("\n"))
                }
            }
        }
    }

    fn send(&mut self, line: &str) {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = writeln!(stdin, "{line}");
            let _ = stdin.flush();
        }
    }

    /// Answer strongly until the interview moves to a question not in `done`; returns it.
    fn answer_until_new(&mut self, current: &str, done: &[String]) -> Option<String> {
        let mut q = current.to_string();
        while q == current || done.contains(&q) {
            self.send(&strong(&q));
            q = self.next_prompt()?;
        }
        Some(q)
    }

    /// Close stdin, drain stdout, wait: (success, stderr, stdout).
    fn finish(mut self) -> (bool, String, Vec<String>) {
        drop(self.stdin.take());
        while let Ok(line) = self.lines.recv_timeout(STUCK) {
            self.stdout.push(line);
        }
        let ok = self.child.wait().expect("wait").success();
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        (ok, stderr, self.stdout)
    }

    /// SIGKILL, as a crash would.
    fn kill(mut self) {
        self.child.kill().expect("kill the interview");
        let _ = self.child.wait();
    }
}

/// Wait until the session file ends with a checkpoint holding `asked` questions (the interviewer
/// prints its line before saving the checkpoint, so the line alone does not mean it is saved).
fn wait_for_checkpoint(path: &Path, asked: usize) {
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let last: Option<Value> = text
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .and_then(|l| serde_json::from_str(l).ok());
        if let Some(v) = last
            && v["type"] == "checkpoint"
            && v["state"]["questions"]
                .as_array()
                .is_some_and(|q| q.len() == asked)
        {
            return;
        }
        assert!(
            started.elapsed() < STUCK,
            "no checkpoint with {asked} questions:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Start a 3-question interview, answer two questions, and kill it while it waits on the third.
/// Returns the id of the third question.
fn crash_after_two_answers(home: &Home) -> String {
    let mut live = Live::start(home, &["--offline", "--questions", "3", "--seed", "17"]);
    let first = live.next_prompt().expect("a first question");
    let second = live
        .answer_until_new(&first, &[])
        .expect("a second question");
    let third = live
        .answer_until_new(&second, std::slice::from_ref(&first))
        .expect("a third question");
    wait_for_checkpoint(&home.session_file(), 3);
    live.kill();
    third
}

fn scores(review: &Value) -> Vec<(String, f64, usize)> {
    review["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| {
            (
                q["id"].as_str().unwrap().to_string(),
                q["score"].as_f64().unwrap(),
                q["answers"].as_array().unwrap().len(),
            )
        })
        .collect()
}

/// Resume the latest unfinished session and answer until it ends.
fn resume_and_finish(home: &Home, expect_first: &str) -> (String, Vec<String>) {
    let mut live = Live::start(home, &["resume"]);
    let q = live
        .next_prompt()
        .expect("the resumed interview asks a question");
    assert_eq!(
        q, expect_first,
        "resume continues with the question that was on the table"
    );
    let mut current = q;
    let mut answered = vec![];
    while let Some(next) = live.answer_until_new(&current, &answered) {
        answered.push(current);
        current = next;
    }
    let (ok, stderr, stdout) = live.finish();
    assert!(ok, "resume failed: {stderr}");
    (stderr, stdout)
}

#[test]
fn a_killed_interview_resumes_with_its_scores_intact() {
    let home = Home::new();
    let third = crash_after_two_answers(&home);

    let before = home.review();
    assert_ne!(before["status"], "finished");
    let before_scores = scores(&before);
    assert_eq!(before_scores.len(), 3);
    assert_eq!(before_scores[2].0, third);
    assert!(
        before_scores[..2]
            .iter()
            .all(|(_, s, n)| *s >= 7.5 && *n >= 1),
        "{before_scores:?}"
    );

    let (_, stdout) = resume_and_finish(&home, &third);
    assert!(
        stdout.iter().any(|l| l.starts_with("Overall you scored")),
        "{stdout:?}"
    );
    // The resumed interview does not ask the answered questions again.
    for (id, _, _) in &before_scores[..2] {
        let ask = bank().get(id).unwrap().ask.trim().to_string();
        assert!(
            !stdout.iter().any(|l| l.ends_with(&ask)),
            "{id} asked again"
        );
    }

    let after = home.review();
    assert_eq!(after["status"], "finished");
    let after_scores = scores(&after);
    assert_eq!(after_scores.len(), 3);
    assert_eq!(
        after_scores[..2],
        before_scores[..2],
        "earlier scores changed"
    );
    assert_eq!(after_scores[2].0, third);
    assert!(
        after_scores[2].1 >= 7.5,
        "the third answer was scored: {after_scores:?}"
    );

    // Finished now: nothing left to resume.
    let again = home
        .cmd(&["resume"])
        .write_stdin("")
        .timeout(STUCK)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no unfinished session"));
}

#[test]
fn resume_with_nothing_to_resume_fails_clearly() {
    let home = Home::new();
    let out = home
        .cmd(&["resume"])
        .write_stdin("")
        .timeout(STUCK)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no unfinished session to resume"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one clear line: {stderr}");
    assert!(out.stdout.is_empty());

    let unknown = home
        .cmd(&["resume", "20000101-000000-dead"])
        .write_stdin("")
        .timeout(STUCK)
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(!unknown.stderr.is_empty());
}

#[test]
fn a_half_written_last_line_is_dropped_with_a_warning() {
    let home = Home::new();
    let third = crash_after_two_answers(&home);
    let path = home.session_file();
    let before = scores(&home.review());
    // A crash in the middle of appending the next record.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(br#"{"type":"turn","speaker":"candidate","text":"I was saying that the ca"#)
        .unwrap();
    drop(f);

    let (stderr, _) = resume_and_finish(&home, &third);
    assert!(
        stderr.contains("incomplete last line"),
        "no warning: {stderr}"
    );
    let after = home.review();
    assert_eq!(after["status"], "finished");
    assert_eq!(scores(&after)[..2], before[..2]);
    // The repaired file has only complete JSON lines.
    let text = std::fs::read_to_string(&path).unwrap();
    for (i, line) in text.lines().enumerate() {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "line {} is not JSON: {line}",
            i + 1
        );
    }
}

#[test]
fn a_truncated_last_checkpoint_resumes_from_the_one_before() {
    let home = Home::new();
    crash_after_two_answers(&home);
    let path = home.session_file();
    // Cut the last record (the newest checkpoint) in half, as a crash mid-write would.
    let text = std::fs::read_to_string(&path).unwrap();
    let body = text.trim_end_matches('\n');
    let last_start = body.rfind('\n').map_or(0, |i| i + 1);
    let cut = last_start + (body.len() - last_start) / 2;
    std::fs::write(&path, &text.as_bytes()[..cut]).unwrap();

    let loaded = home.review();
    assert!(
        loaded["warnings"].as_array().is_some_and(|w| w
            .iter()
            .any(|x| x.as_str().unwrap_or("").contains("incomplete"))),
        "review reports the dropped line: {}",
        loaded["warnings"]
    );
    let first = scores(&loaded)[0].clone();

    let mut live = Live::start(&home, &["resume"]);
    let q = live
        .next_prompt()
        .expect("the resumed interview asks a question");
    let mut current = q;
    let mut answered = vec![];
    while let Some(next) = live.answer_until_new(&current, &answered) {
        answered.push(current);
        current = next;
    }
    let (ok, stderr, _) = live.finish();
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("incomplete last line"),
        "no warning: {stderr}"
    );
    let after = home.review();
    assert_eq!(after["status"], "finished");
    assert_eq!(
        scores(&after)[0],
        first,
        "the first question's score is intact"
    );
    assert_eq!(scores(&after).len(), 3);
}
