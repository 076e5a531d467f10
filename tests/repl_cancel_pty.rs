//! Ctrl-C during a model call, in a real pseudo-terminal: the call is cancelled, the answer is kept,
//! the interview goes on, and Enter sends the answer again.

#![cfg(unix)]

mod common;

use common::{Script, ScriptedServer, sse_text};
use rexpect::session::{Options, spawn_with_options};
use std::process::Command;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_cancels_a_model_call_and_the_interview_goes_on() {
    let server = ScriptedServer::start(Script::new(vec![
        sse_text(&["Hello. ", "What does self-attention compute?"]),
        // The answer's first call hangs long enough for Ctrl-C.
        sse_text(&["too late"]).set_delay(Duration::from_secs(60)),
        sse_text(&["Thanks, ", "that is a fair start."]),
        sse_text(&["Goodbye."]),
    ]))
    .await;
    let home = tempfile::tempdir().expect("tempdir");
    let url = server.base_url();
    let home_path = home.path().to_path_buf();
    let pty = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_interviewer"));
        cmd.args([
            "start",
            "--base-url",
            &url,
            "--model",
            "test-model",
            "--judge",
            "rubric",
            "--seed",
            "3",
        ])
        .env("INTERVIEWER_HOME", &home_path)
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env_remove("OPENAI_API_KEY");
        let options = Options::new()
            .timeout_ms(Some(30_000))
            .strip_ansi_escape_codes(true);
        let mut p = spawn_with_options(cmd, options).expect("spawn in a pty");
        // The model greets and asks something of its own without picking a question: the loop
        // keeps the greeting and puts the first planned question on the table instead.
        p.exp_string("Hello.").expect("the greeting");
        p.exp_string("?").expect("the first planned question");
        p.exp_regex(r"\[first-round[^\]]*\] you> ").expect("prompt");
        p.send("Queries are compared with keys and the softmax weights mix the values.")
            .unwrap();
        p.send("\r").unwrap();
        p.flush().unwrap();
        // Wait until the answer has gone out, then cancel the hanging call.
        std::thread::sleep(Duration::from_millis(800));
        p.send_control('c').unwrap();
        p.exp_string("Cancelled").expect("the call is cancelled");
        p.exp_regex(r"\[first-round[^\]]*\] you> ")
            .expect("the prompt comes back");
        // Enter on an empty line sends the kept answer again.
        p.send("\r").unwrap();
        p.flush().unwrap();
        // Its free-text acknowledgement of a weak answer is the policy's to say; a question follows.
        p.exp_string("?").expect("the retried call answers");
        p.exp_regex(r"\[first-round[^\]]*\] you> ")
            .expect("prompt after the reply");
        p.send_control('d').unwrap();
        // The goodbye is the interviewer's own, then the wrap-up.
        p.exp_string("Overall you scored").expect("a closing line");
        p.exp_eof().expect("exit");
        p.process().wait().expect("exit status")
    })
    .await
    .expect("pty task");
    assert!(
        matches!(pty, rexpect::process::WaitStatus::Exited(_, 0)),
        "{pty:?}"
    );
    // The retried answer reached the server once more: the cancelled request, then the retry.
    let answers = server
        .requests()
        .await
        .iter()
        .filter(|r| r.to_string().contains("softmax weights mix the values"))
        .count();
    assert!(
        answers >= 2,
        "the kept answer was sent again ({answers} requests carried it)"
    );
    let session = std::fs::read_dir(home.path().join("sessions"))
        .expect("sessions")
        .count();
    assert_eq!(session, 1);
}
