//! The terminal front end driven through a real pseudo-terminal.
//!
//! `line_editor_in_a_pty` runs this test binary's own ignored `pty_child_echo` test in a pty: it
//! reads with the real line editor and echoes what each read produced, so multi-line input, paste,
//! Ctrl-C, completion and history are checked key by key. `interview_in_a_pty` drives the real
//! `interviewer` binary through an offline interview.

#![cfg(unix)]

use interviewer::bank::Mode;
use interviewer::repl::{PromptInfo, ReadResult, open_source};
use rexpect::session::{Options, PtySession, spawn_with_options};
use std::path::Path;
use std::process::Command;

const TIMEOUT_MS: u64 = 30_000;
const ENTER: &str = "\r";
const CTRL_J: &str = "\n";
const PASTE_START: &str = "\x1b[200~";
const PASTE_END: &str = "\x1b[201~";

fn spawn(cmd: Command) -> PtySession {
    let options = Options::new()
        .timeout_ms(Some(TIMEOUT_MS))
        .strip_ansi_escape_codes(true);
    spawn_with_options(cmd, options).expect("spawn in a pty")
}

fn terminal_env(cmd: &mut Command) {
    cmd.env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG");
}

/// Child side: echo what each read returns, one marker line per read, until end of input.
#[test]
#[ignore = "run inside a pty by line_editor_in_a_pty"]
fn pty_child_echo() {
    let history = std::env::var_os("REPL_PTY_HISTORY").map(Into::into);
    let mut source = open_source(true, history, false);
    let mut question = 1;
    loop {
        let info = PromptInfo {
            mode: Mode::FirstRound,
            question,
            total: 6,
            elapsed: None,
        };
        match source.read(&info) {
            ReadResult::Line(line) => {
                println!("GOT<{}>", line.escape_debug());
                question += 1;
            }
            ReadResult::Interrupted => println!("INTERRUPTED"),
            ReadResult::Eof => {
                println!("END-OF-INPUT");
                break;
            }
        }
    }
}

fn echo_child(history: &Path) -> PtySession {
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = Command::new(exe);
    cmd.args([
        "--ignored",
        "--exact",
        "pty_child_echo",
        "--nocapture",
        "--test-threads=1",
    ]);
    cmd.env("REPL_PTY_HISTORY", history);
    terminal_env(&mut cmd);
    spawn(cmd)
}

#[test]
fn line_editor_in_a_pty() {
    let home = tempfile::tempdir().expect("tempdir");
    let history = home.path().join("nested").join("history.txt");
    let mut p = echo_child(&history);

    // A trailing backslash continues the answer; the lines join with a line break.
    p.exp_string("[first-round 1/6] you> ")
        .expect("first prompt");
    p.send("attention is softmax \\").unwrap();
    p.send(ENTER).unwrap();
    p.flush().unwrap();
    p.send("of QK^T over sqrt(d_k)").unwrap();
    p.send(ENTER).unwrap();
    p.flush().unwrap();
    p.exp_string("GOT<attention is softmax \\nof QK^T over sqrt(d_k)>")
        .expect("continued answer joined");

    // Ctrl-J inserts a line break instead of submitting.
    p.exp_string("[first-round 2/6] you> ")
        .expect("prompt advances");
    p.send("line one").unwrap();
    p.send(CTRL_J).unwrap();
    p.send("line two").unwrap();
    p.send(ENTER).unwrap();
    p.flush().unwrap();
    p.exp_string("GOT<line one\\nline two>")
        .expect("ctrl-j newline");

    // So does Alt-Enter (ESC then CR).
    p.exp_string("[first-round 3/6] you> ")
        .expect("third prompt");
    p.send("alt one\x1b\ralt two").unwrap();
    p.send(ENTER).unwrap();
    p.flush().unwrap();
    p.exp_string("GOT<alt one\\nalt two>")
        .expect("alt-enter newline");

    // Bracketed paste keeps pasted line breaks instead of submitting at each.
    p.exp_string("[first-round 4/6] you> ")
        .expect("fourth prompt");
    p.send(PASTE_START).unwrap();
    p.send("pasted one\rpasted two\npasted three").unwrap();
    p.send(PASTE_END).unwrap();
    p.send(ENTER).unwrap();
    p.flush().unwrap();
    p.exp_string("GOT<pasted one\\npasted two\\npasted three>")
        .expect("paste kept whole");

    // Ctrl-C abandons the line; the next read starts clean at the same question.
    p.exp_string("[first-round 5/6] you> ")
        .expect("fifth prompt");
    p.send("half an ans").unwrap();
    p.flush().unwrap();
    p.send_control('c').unwrap();
    p.exp_string("INTERRUPTED").expect("ctrl-c reported");
    p.exp_string("[first-round 5/6] you> ")
        .expect("same question after ctrl-c");

    // Tab completes a slash command.
    p.send("/sk\t").unwrap();
    p.send(ENTER).unwrap();
    p.flush().unwrap();
    p.exp_string("GOT</skip>").expect("tab completion");

    // Ctrl-D on an empty line ends the input.
    p.exp_string("[first-round 6/6] you> ")
        .expect("sixth prompt");
    p.send_control('d').unwrap();
    p.exp_string("END-OF-INPUT")
        .expect("ctrl-d is end of input");
    p.exp_eof().expect("child exits");

    // Every answer went to the history file, created with its directory; multi-line entries whole.
    let saved = std::fs::read_to_string(&history).expect("history file written");
    assert!(saved.contains("line one\\nline two"), "history: {saved}");
    assert!(saved.contains("/skip"), "history: {saved}");
    assert!(
        !saved.contains("half an ans"),
        "interrupted line kept in history: {saved}"
    );
}

#[test]
fn line_editor_recalls_history_from_a_previous_run() {
    let home = tempfile::tempdir().expect("tempdir");
    let history = home.path().join("history.txt");

    let mut first = echo_child(&history);
    first.exp_string("[first-round 1/6] you> ").expect("prompt");
    first.send("remember me").unwrap();
    first.send(ENTER).unwrap();
    first.flush().unwrap();
    first.exp_string("GOT<remember me>").unwrap();
    first.exp_string("[first-round 2/6] you> ").unwrap();
    first.send_control('d').unwrap();
    first.exp_eof().unwrap();

    let mut second = echo_child(&history);
    second
        .exp_string("[first-round 1/6] you> ")
        .expect("prompt");
    // Up arrow recalls the previous session's answer.
    second.send("\x1b[A").unwrap();
    second.send(ENTER).unwrap();
    second.flush().unwrap();
    second
        .exp_string("GOT<remember me>")
        .expect("history recalled");
    second.exp_string("[first-round 2/6] you> ").unwrap();
    second.send_control('d').unwrap();
    second.exp_eof().unwrap();
}

/// Wait for the next interview prompt; returns (question, total).
fn interview_prompt(p: &mut PtySession) -> (usize, usize) {
    let (_, question, total) = interview_prompt_after(p);
    (question, total)
}

/// Wait for the next interview prompt; returns the output before it, the question and the total.
fn interview_prompt_after(p: &mut PtySession) -> (String, usize, usize) {
    let (before, found) = p
        .exp_regex(r"\[first-round \d+/\d+( \d+:\d\d)?\] you> ")
        .expect(
            "an interview prompt (with the time on the question once it has been open a while)",
        );
    let numbers: Vec<usize> = found
        .trim_start_matches("[first-round ")
        .trim_end_matches("] you> ")
        .split(' ')
        .next()
        .unwrap_or_default()
        .split('/')
        .filter_map(|n| n.parse().ok())
        .collect();
    match numbers.as_slice() {
        [q, t] => (before, *q, *t),
        _ => panic!("unexpected prompt {found:?}"),
    }
}

/// Wait for the interviewer's labelled reply, then the prompt after it.
fn reply_then_prompt(p: &mut PtySession) -> (usize, usize) {
    p.exp_string("interviewer> ")
        .expect("the interviewer replies");
    interview_prompt(p)
}

#[test]
fn interview_in_a_pty() {
    let home = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_interviewer"));
    cmd.args(["start", "--offline", "--seed", "7"]);
    cmd.env("INTERVIEWER_HOME", home.path())
        .env_remove("OPENAI_BASE_URL")
        .env_remove("INTERVIEWER_MODEL");
    terminal_env(&mut cmd);
    let mut p = spawn(cmd);

    // The interviewer speaks first, labelled, then the prompt shows question 1.
    let (before, question, total) = interview_prompt_after(&mut p);
    assert!(
        before.contains("interviewer> "),
        "no interviewer label before the prompt: {before:?}"
    );
    assert_eq!(question, 1, "first prompt");
    assert!(
        total >= 2,
        "a first round plans several questions, got {total}"
    );

    // A multi-line answer: a line ending in a backslash, then the rest.
    p.send("We divide by sqrt(d_k) because the dot products grow with dimension \\")
        .unwrap();
    p.send(ENTER).unwrap();
    p.flush().unwrap();
    p.send("and large logits saturate the softmax, so gradients vanish.")
        .unwrap();
    p.send(ENTER).unwrap();
    p.flush().unwrap();

    // The interviewer may probe the same question before moving on; skip probes until question 2.
    // (The editor redraws the prompt while the candidate types, so a fresh prompt is one that
    // follows the interviewer's labelled reply.)
    let mut at = reply_then_prompt(&mut p);
    let mut guard = 0;
    while at.0 < 2 {
        guard += 1;
        assert!(guard < 6, "the interview never reached question 2");
        p.send("/skip").unwrap();
        p.send(ENTER).unwrap();
        p.flush().unwrap();
        at = reply_then_prompt(&mut p);
    }
    assert_eq!(at.0, 2, "prompt should advance to question 2");
    let question_two = at;

    // Ctrl-C at the prompt abandons the line; the interview continues at the same question.
    p.send("a half-typed thought").unwrap();
    p.flush().unwrap();
    p.exp_string("a half-typed thought")
        .expect("typed text echoed");
    p.send_control('c').unwrap();
    let (after_ctrl_c, question, total) = interview_prompt_after(&mut p);
    assert_eq!(
        (question, total),
        question_two,
        "ctrl-c must not move the interview"
    );
    assert!(
        !after_ctrl_c.contains("interviewer> "),
        "ctrl-c at the prompt must not send anything to the interviewer: {after_ctrl_c:?}"
    );

    // Ctrl-D ends the session: exit status 0 and a saved session file.
    p.send_control('d').unwrap();
    p.exp_eof().expect("the interviewer exits after ctrl-d");
    let status = p.process().wait().expect("exit status");
    assert!(
        matches!(status, rexpect::process::WaitStatus::Exited(_, 0)),
        "exit status {status:?}"
    );
    let sessions = home.path().join("sessions");
    let saved: Vec<_> = std::fs::read_dir(&sessions)
        .unwrap_or_else(|e| panic!("no sessions directory {}: {e}", sessions.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .collect();
    assert!(
        !saved.is_empty(),
        "no session file under {}",
        sessions.display()
    );
    // The continued answer was stored as one answer with a line break (JSON-escaped).
    let stored: String = saved
        .iter()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    assert!(
        stored.contains(r"grow with dimension \nand large logits saturate"),
        "multi-line answer not stored whole"
    );
}

#[test]
fn interviewer_lines_wrap_at_the_terminal_width_on_word_boundaries() {
    const COLS: usize = 50;
    let home = tempfile::tempdir().expect("tempdir");
    // A 50-column terminal: `stty` sets the pty's size, then the interviewer runs in it.
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        &format!("stty cols {COLS} rows 40 && exec \"$0\" start --offline --seed 7"),
        env!("CARGO_BIN_EXE_interviewer"),
    ]);
    cmd.env("INTERVIEWER_HOME", home.path())
        .env_remove("OPENAI_BASE_URL")
        .env_remove("INTERVIEWER_MODEL");
    terminal_env(&mut cmd);
    let mut p = spawn(cmd);
    let (before, _, _) = interview_prompt_after(&mut p);
    let label = "interviewer> ";
    let indent = " ".repeat(label.len());
    let said: Vec<&str> = before
        .split('\n')
        .map(|l| l.trim_end_matches('\r'))
        // What a carriage return overwrote (a spinner's frame) is not on the screen.
        .map(|l| l.rsplit('\r').next().unwrap_or(l))
        .skip_while(|l| !l.starts_with(label))
        .take_while(|l| l.starts_with(label) || l.starts_with(&indent))
        .collect();
    assert!(
        said.len() >= 3,
        "the greeting and the first question take several lines: {before:?}"
    );
    for line in &said {
        assert!(
            line.chars().count() <= COLS,
            "{line:?} is wider than the terminal: {said:#?}"
        );
    }
    assert!(
        said[1..].iter().all(|l| l.starts_with(&indent)),
        "continuation lines stand under the first word: {said:#?}"
    );
    // Joined back, the lines are the words as said: none was split at the edge.
    let words: Vec<&str> = said
        .iter()
        .flat_map(|l| l.trim_start_matches(label).split_whitespace())
        .collect();
    let joined = words.join(" ");
    let bank = interviewer::bank::load_builtin().expect("bank");
    assert!(
        bank.questions
            .iter()
            .any(|q| joined.contains(&q.ask.split_whitespace().collect::<Vec<_>>().join(" "))),
        "the first question is there word for word: {joined}"
    );
    p.send_control('d').unwrap();
    p.exp_eof().expect("the interviewer exits after ctrl-d");
}
