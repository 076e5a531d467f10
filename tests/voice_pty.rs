//! Push to talk in a real pseudo-terminal: Enter on an empty line starts recording (the time is
//! shown), Enter stops it, the transcript comes back on the prompt to edit, and Enter sends it.

#![cfg(unix)]

use rexpect::session::{Options, spawn_with_options};
use serde_json::{Value, json};
use std::process::Command;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HEARD: &str =
    "Um, queries are compared with keys, you know, and the softmax weights mix the values.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enter_records_enter_stops_and_the_transcript_is_edited_then_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "text": HEARD, "duration": 6.0,
            "segments": [{"start": 0.0, "end": 6.0, "text": HEARD}]
        })))
        .mount(&server)
        .await;
    let home = tempfile::tempdir().expect("tempdir");
    let url = format!("{}/v1", server.uri());
    let home_path = home.path().to_path_buf();
    let pty = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_interviewer"));
        cmd.args([
            "--offline",
            "--questions",
            "1",
            "--seed",
            "1",
            "--listen",
            "--stt-url",
            &url,
        ])
        .env("INTERVIEWER_HOME", &home_path)
        // Writes its file at once, then records until it is stopped.
        .env(
            "INTERVIEWER_RECORD_COMMAND",
            "printf 'RIFF fake' > \"$INTERVIEWER_AUDIO_PATH\"; while true; do sleep 0.05; done",
        )
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL");
        let options = Options::new()
            .timeout_ms(Some(30_000))
            .strip_ansi_escape_codes(true);
        let mut p = spawn_with_options(cmd, options).expect("spawn in a pty");
        p.exp_regex(r"\[first-round 1/1( \d+:\d\d)?\] you> ")
            .expect("the prompt (the time on the question shows once it has been open a while)");
        p.send("\r").unwrap();
        p.flush().unwrap();
        p.exp_string("recording").expect("recording is shown");
        p.send("\r").unwrap();
        p.flush().unwrap();
        p.exp_string("Transcribed in").expect("transcribed");
        p.exp_string("the softmax weights mix the values.")
            .expect("the transcript is on the prompt");
        // A quick edit: one more word at the end, then Enter sends it.
        p.send(" Done").unwrap();
        p.send("\r").unwrap();
        p.flush().unwrap();
        p.exp_regex(r"\[first-round 1/1( \d+:\d\d)?\] you> ")
            .expect("the next prompt");
        p.send_control('d').unwrap();
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
    let out = Command::new(env!("CARGO_BIN_EXE_interviewer"))
        .args(["review", "--format", "json"])
        .env("INTERVIEWER_HOME", home.path())
        .output()
        .expect("review");
    let review: Value = serde_json::from_slice(&out.stdout).expect("review json");
    let q = &review["questions"][0];
    assert_eq!(q["answers"][0], format!("{HEARD} Done"));
    assert_eq!(q["spoken"]["fillers"]["you know"], 1, "{q}");
    assert_eq!(q["spoken"]["words_per_minute"], 150.0, "{q}");
}
