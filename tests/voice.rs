//! A spoken interview driven through the real binary: answers come from a record command,
//! transcripts from a scripted OpenAI-compatible `/v1/audio/transcriptions` server, and the
//! interviewer's lines go to a speech command or a scripted `/v1/audio/speech` endpoint. Failures
//! of any part give one line saying what to fix, and the interview goes on typed.

mod common;

use common::cli::{Home, STUCK};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Transcripts in order, as `verbose_json` with two segments and a pause of 1.5 s between them.
struct Transcripts {
    texts: Vec<&'static str>,
    next: Arc<AtomicUsize>,
}

impl Respond for Transcripts {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let i = self.next.fetch_add(1, Ordering::SeqCst);
        let text = self.texts.get(i).copied().unwrap_or("I am not sure.");
        ResponseTemplate::new(200).set_body_json(json!({
            "task": "transcribe", "language": "en", "duration": 12.0, "text": format!(" {text}"),
            "segments": [
                {"id": 0, "start": 0.0, "end": 5.0, "text": text},
                {"id": 1, "start": 6.5, "end": 12.0, "text": ""}
            ]
        }))
    }
}

const ANSWERS: [&str; 3] = [
    "Um, every token is projected to a query, a key and a value, you know, and the softmax of the scaled query key dot products weights the values.",
    "Uh, separate projections let a token ask for something different from what it offers.",
    "I mean, deduplicate with MinHash, filter low quality pages with a classifier, and remove personal data.",
];

async fn stt_server(texts: Vec<&'static str>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .respond_with(Transcripts {
            texts,
            next: Arc::new(AtomicUsize::new(0)),
        })
        .mount(&server)
        .await;
    server
}

/// A record command serving `n` fake recordings, then failing (no more audio).
fn record_command(dir: &Path, n: usize) -> String {
    let counter = dir.join("count");
    format!(
        "c=$(cat '{c}' 2>/dev/null || echo 0); c=$((c+1)); echo $c > '{c}'; \
         [ $c -le {n} ] || exit 1; printf 'RIFF fake audio' > \"$INTERVIEWER_AUDIO_PATH\"",
        c = counter.display()
    )
}

struct Run {
    out: std::process::Output,
    spoken: String,
    tmp: tempfile::TempDir,
}

impl Run {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
}

/// `interviewer ARGS` with no terminal, the record command and a speech command that appends
/// what it is given to a file; `TMPDIR` is private so left-over recordings can be seen.
/// The arguments of a one-question offline interview with seed 1, then `extra`.
fn one_offline_question<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--offline", "--questions", "1", "--seed", "1"];
    args.extend_from_slice(extra);
    args
}

fn run(home: &Home, args: &[&str], envs: &[(&str, String)], input: &str) -> Run {
    let tmp = tempfile::tempdir().expect("tmp");
    let spoken = tmp.path().join("spoken.txt");
    let mut cmd = home.cmd(args);
    cmd.env("TMPDIR", tmp.path())
        .env(
            "INTERVIEWER_TTS_COMMAND",
            format!("cat >> '{}'", spoken.display()),
        )
        .env_remove("INTERVIEWER_RECORD_COMMAND")
        .env_remove("INTERVIEWER_PLAY_COMMAND")
        .env_remove("INTERVIEWER_STT_PROMPT");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd
        .write_stdin(input.to_string())
        .timeout(STUCK)
        .output()
        .expect("run interviewer");
    let spoken = std::fs::read_to_string(&spoken).unwrap_or_default();
    Run { out, spoken, tmp }
}

fn recordings_left(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "wav"))
                .collect()
        })
        .unwrap_or_default()
}

fn interviewer_lines(review: &Value) -> Vec<String> {
    review["turns"]
        .as_array()
        .expect("turns")
        .iter()
        .filter(|t| t["speaker"] == "interviewer")
        .map(|t| t["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unattended_spoken_interview_is_transcribed_scored_measured_and_spoken() {
    let server = stt_server(ANSWERS.to_vec()).await;
    let home = Home::new();
    let scratch = tempfile::tempdir().unwrap();
    let url = format!("{}/v1", server.uri());
    let run = run(
        &home,
        &[
            "--offline",
            "--questions",
            "2",
            "--seed",
            "1",
            "--speak",
            "--listen",
            "--stt-url",
            &url,
        ],
        &[(
            "INTERVIEWER_RECORD_COMMAND",
            record_command(scratch.path(), 3),
        )],
        "",
    );
    assert!(run.out.status.success(), "{}", run.stderr());
    let stderr = run.stderr();
    assert!(
        stderr.contains("No more audio (the record command ended with exit status 1)"),
        "{stderr}"
    );

    let review = home.review();
    let q0 = &review["questions"][0];
    assert_eq!(q0["answers"][0], ANSWERS[0], "the transcript is the answer");
    assert!(q0["score"].as_f64().is_some_and(|s| s > 0.0), "{q0}");
    let spoken = &q0["spoken"];
    assert_eq!(spoken["seconds"], 24.0, "two answers of 12 s");
    assert_eq!(spoken["longest_pause_s"], 1.5);
    assert_eq!(spoken["fillers"]["um"], 1);
    assert_eq!(spoken["fillers"]["uh"], 1);
    assert_eq!(spoken["fillers"]["you know"], 1);
    assert!(spoken["fillers"].get("you").is_none() && spoken["fillers"].get("know").is_none());
    let wpm = spoken["words_per_minute"].as_f64().expect("wpm");
    assert!(wpm > 0.0, "{spoken}");
    assert_eq!(q0["answer_seconds"].as_array().map(Vec::len), Some(2));
    assert_eq!(review["delivery"]["spoken_answers"], 3);
    assert_eq!(review["delivery"]["spoken"]["fillers"]["i mean"], 1);

    // Every interviewer line reached the speech command.
    for line in interviewer_lines(&review) {
        assert!(
            run.spoken.contains(&line),
            "not spoken: {line}\n{}",
            run.spoken
        );
    }
    // Recordings are deleted once transcribed (the one the failing command never wrote aside).
    assert!(recordings_left(run.tmp.path()).is_empty());

    // The request: multipart, verbose_json, the model and a disfluent prompt.
    let requests = server.received_requests().await.expect("requests");
    assert_eq!(requests.len(), 3);
    let body = String::from_utf8_lossy(&requests[0].body).into_owned();
    let ctype = requests[0]
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(ctype.starts_with("multipart/form-data"), "{ctype}");
    for part in ["verbose_json", "whisper-1", "RIFF fake audio", "you know"] {
        assert!(body.contains(part), "{part} missing from {body}");
    }

    // The review shows it in every format.
    let text = home.cmd(&["review"]).output().expect("review");
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(text.contains("How you answered"), "{text}");
    assert!(text.contains("Spoken answers: 3"), "{text}");
    for format in ["markdown", "html"] {
        let out = home
            .cmd(&["review", "--format", format])
            .output()
            .expect("review");
        let out = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.contains("How you answered") && out.contains("wpm"),
            "{format}: {out}"
        );
    }
    let history = home.cmd(&["history", "--json"]).output().expect("history");
    let history: Value = serde_json::from_slice(&history.stdout).expect("history json");
    assert_eq!(history["delivery"][0]["spoken_answers"], 3, "{history}");
}

#[tokio::test(flavor = "multi_thread")]
async fn keep_audio_keeps_every_recording() {
    let server = stt_server(ANSWERS.to_vec()).await;
    let home = Home::new();
    let scratch = tempfile::tempdir().unwrap();
    let keep = scratch.path().join("kept");
    let url = format!("{}/v1", server.uri());
    let run = run(
        &home,
        &one_offline_question(&[
            "--listen",
            "--stt-url",
            &url,
            "--keep-audio",
            keep.to_str().unwrap(),
        ]),
        &[(
            "INTERVIEWER_RECORD_COMMAND",
            record_command(scratch.path(), 2),
        )],
        "",
    );
    assert!(run.out.status.success(), "{}", run.stderr());
    assert_eq!(recordings_left(&keep).len(), 2, "{}", run.stderr());
}

/// A typed answer good enough to score.
const TYPED: &str = "Each token gets a query, key and value from learned projections; softmax of scaled dot products weights the values.\n";

#[test]
fn an_unreachable_speech_server_is_one_line_and_the_candidate_types_instead() {
    let home = Home::new();
    let scratch = tempfile::tempdir().unwrap();
    // Nothing listens on port 9 of the loopback.
    let run = run(
        &home,
        &one_offline_question(&["--listen", "--stt-url", "http://127.0.0.1:9/v1"]),
        &[(
            "INTERVIEWER_RECORD_COMMAND",
            record_command(scratch.path(), 5),
        )],
        &format!("{TYPED}{TYPED}"),
    );
    assert!(run.out.status.success(), "{}", run.stderr());
    let stderr = run.stderr();
    let failures: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("cannot reach the speech-to-text server"))
        .collect();
    assert_eq!(failures.len(), 1, "{stderr}");
    assert!(failures[0].contains("--stt-url") && failures[0].contains("type your answers instead"));
    assert!(
        failures[0].contains("your recording is kept at"),
        "{}",
        failures[0]
    );
    let review = home.review();
    assert_eq!(review["questions"][0]["answers"][0], TYPED.trim_end());
    assert!(review["questions"][0]["spoken"].is_null());
    assert_eq!(
        review["questions"][0]["answer_seconds"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_speech_server_is_one_line_and_typing_goes_on() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .respond_with(ResponseTemplate::new(500).set_body_string("model exploded"))
        .mount(&server)
        .await;
    let home = Home::new();
    let scratch = tempfile::tempdir().unwrap();
    let url = format!("{}/v1", server.uri());
    let run = run(
        &home,
        &one_offline_question(&["--listen", "--stt-url", &url]),
        &[(
            "INTERVIEWER_RECORD_COMMAND",
            record_command(scratch.path(), 5),
        )],
        TYPED,
    );
    assert!(run.out.status.success(), "{}", run.stderr());
    let stderr = run.stderr();
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.contains("answered HTTP 500: model exploded"))
            .count(),
        1,
        "{stderr}"
    );
    assert_eq!(
        home.review()["questions"][0]["answers"][0],
        TYPED.trim_end()
    );
}

#[test]
fn listening_without_a_server_or_a_recorder_says_what_to_fix() {
    let home = Home::new();
    let run1 = run(
        &home,
        &["--offline", "--questions", "1", "--listen"],
        &[],
        TYPED,
    );
    assert!(run1.out.status.success());
    assert!(
        run1.stderr()
            .contains("--listen without a terminal needs INTERVIEWER_RECORD_COMMAND"),
        "{}",
        run1.stderr()
    );
    let scratch = tempfile::tempdir().unwrap();
    let run2 = run(
        &home,
        &["--offline", "--questions", "1", "--listen"],
        &[(
            "INTERVIEWER_RECORD_COMMAND",
            record_command(scratch.path(), 1),
        )],
        TYPED,
    );
    assert!(run2.out.status.success());
    assert!(
        run2.stderr()
            .contains("--listen needs a speech-to-text server: pass --stt-url"),
        "{}",
        run2.stderr()
    );
}

#[test]
fn a_missing_speech_command_is_one_line_and_the_interview_goes_on() {
    let home = Home::new();
    let run = run(
        &home,
        &one_offline_question(&["--speak"]),
        &[(
            "INTERVIEWER_TTS_COMMAND",
            "no-such-voice-interviewer".into(),
        )],
        TYPED,
    );
    assert!(run.out.status.success(), "{}", run.stderr());
    let stderr = run.stderr();
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.contains("was not found"))
            .count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("INTERVIEWER_TTS_COMMAND"), "{stderr}");
    assert_eq!(home.review()["status"], "finished");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_speech_endpoint_voices_every_line_through_the_player() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/speech"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(b"RIFFWAVE".to_vec(), "audio/wav"))
        .mount(&server)
        .await;
    let home = Home::new();
    let scratch = tempfile::tempdir().unwrap();
    let played = scratch.path().join("played.bin");
    let url = format!("{}/v1", server.uri());
    let run = run(
        &home,
        &one_offline_question(&["--speak", "--tts-url", &url, "--tts-voice", "nova"]),
        &[(
            "INTERVIEWER_PLAY_COMMAND",
            format!("cat \"$INTERVIEWER_AUDIO_PATH\" >> '{}'", played.display()),
        )],
        TYPED,
    );
    assert!(run.out.status.success(), "{}", run.stderr());
    let lines = interviewer_lines(&home.review());
    let requests = server.received_requests().await.expect("requests");
    assert_eq!(requests.len(), lines.len());
    let sent: Vec<Value> = requests
        .iter()
        .map(|r| serde_json::from_slice(&r.body).expect("json body"))
        .collect();
    for (body, line) in sent.iter().zip(&lines) {
        assert_eq!(body["input"], line.as_str());
        assert_eq!(body["voice"], "nova");
        assert_eq!(body["response_format"], "wav");
    }
    let played = std::fs::read(&played).expect("played");
    assert_eq!(played.len(), 8 * lines.len(), "every line was played");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_speech_endpoint_is_one_line_and_the_interview_goes_on() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/speech"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let home = Home::new();
    let url = format!("{}/v1", server.uri());
    let run = run(
        &home,
        &[
            "--offline",
            "--questions",
            "1",
            "--speak",
            "--tts-url",
            &url,
        ],
        &[("INTERVIEWER_PLAY_COMMAND", "true".into())],
        TYPED,
    );
    assert!(run.out.status.success(), "{}", run.stderr());
    let stderr = run.stderr();
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.contains("refused the key"))
            .count(),
        1,
        "{stderr}"
    );
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(1));
    assert_eq!(home.review()["status"], "finished");
}

#[test]
fn typed_answers_are_timed_and_the_time_limit_is_kept_for_resume() {
    let home = Home::new();
    let run = run(
        &home,
        &one_offline_question(&["--time-limit", "2m"]),
        &[],
        &format!("{TYPED}{TYPED}"),
    );
    assert!(run.out.status.success(), "{}", run.stderr());
    let review = home.review();
    let q = &review["questions"][0];
    assert!(q["spoken"].is_null());
    assert_eq!(q["answer_seconds"].as_array().map(Vec::len), Some(2), "{q}");
    assert!(q["seconds"].as_f64().is_some());
    let header = std::fs::read_to_string(home.session_file()).expect("session");
    let header: Value = serde_json::from_str(header.lines().next().unwrap()).unwrap();
    assert_eq!(header["options"]["time_limit_secs"], 120);
    let bad = home.cmd(&["--time-limit", "soon"]).output().expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid time limit"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spoken_interview_killed_mid_way_resumes_listening() {
    let server = stt_server(ANSWERS.to_vec()).await;
    let home = Home::new();
    let scratch = tempfile::tempdir().unwrap();
    let (waiting, release) = (
        scratch.path().join("waiting"),
        scratch.path().join("release"),
    );
    // The first answer is served; the second recording hangs until the test releases it.
    let hanging = format!(
        "c=$(cat '{c}' 2>/dev/null || echo 0); c=$((c+1)); echo $c > '{c}'; \
         if [ $c -ge 2 ]; then touch '{w}'; while [ ! -f '{r}' ]; do sleep 0.05; done; exit 1; fi; \
         printf 'RIFF fake audio' > \"$INTERVIEWER_AUDIO_PATH\"",
        c = scratch.path().join("first-count").display(),
        w = waiting.display(),
        r = release.display()
    );
    let url = format!("{}/v1", server.uri());
    let mut cmd = std::process::Command::new(common::cli::BIN);
    common::cli::isolate(&mut cmd, home.path());
    let mut child = cmd
        .args([
            "--offline",
            "--questions",
            "2",
            "--seed",
            "1",
            "--listen",
            "--time-limit",
            "90s",
            "--stt-url",
            &url,
        ])
        .env("INTERVIEWER_RECORD_COMMAND", &hanging)
        .env("TMPDIR", scratch.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + STUCK;
    while !waiting.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "never reached the second answer"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().expect("kill");
    let _ = child.wait();
    std::fs::write(&release, "").unwrap();

    // `resume` listens again (the session says it was spoken) with the rest of the audio.
    let run = run(
        &home,
        &["resume", "--stt-url", &url],
        &[(
            "INTERVIEWER_RECORD_COMMAND",
            record_command(scratch.path(), 2),
        )],
        "",
    );
    assert!(run.out.status.success(), "{}", run.stderr());
    assert!(run.stderr().contains("Listening:"), "{}", run.stderr());
    let review = home.review();
    assert_eq!(review["status"], "finished");
    assert_eq!(
        review["delivery"]["spoken_answers"], 3,
        "{}",
        review["delivery"]
    );
    assert_eq!(review["questions"][0]["answers"][0], ANSWERS[0]);
}
