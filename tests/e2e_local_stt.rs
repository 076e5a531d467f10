//! End-to-end: an unattended spoken interview with the offline interviewer, three espeak-ng
//! answers served by a record command, and a real OpenAI-compatible speech-to-text server
//! (faster-whisper-server with Whisper tiny.en, from `../shared/scripts/local-stt.sh`). It needs
//! that server and espeak-ng, so `cargo test` lists it as ignored; `.ci/run` starts the server
//! when it is set up, sets `INTERVIEWER_E2E_STT_URL` and runs `cargo test --test e2e_local_stt
//! -- --ignored`. It prints the word error rate of each transcript, each answer's words per
//! minute and fillers, and the time transcription added to each turn.

use assert_cmd::Command;
use interviewer::agent::plan::{self, PlanRequest};
use interviewer::bank::{Mode, load_builtin};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// The first `n` sentences of the fixtures' strong answer to `question`.
fn sentences(question: &str, skip: usize, n: usize) -> String {
    let fixtures = include_str!("fixtures/graded_answers.jsonl");
    let answer = fixtures
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["question"] == question && v["kind"] == "strong")
        .and_then(|v| v["answer"].as_str().map(str::to_string))
        .unwrap_or_else(|| format!("I would explain {question} step by step."));
    answer
        .split_inclusive(". ")
        .skip(skip)
        .take(n)
        .collect::<String>()
        .trim()
        .to_string()
}

/// Lower-case words without punctuation; hyphens split words.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '-')
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Word error rate of `hyp` against `reference` (word-level edit distance over reference words).
fn wer(reference: &str, hyp: &str) -> f64 {
    let (r, h) = (words(reference), words(hyp));
    let mut row: Vec<usize> = (0..=h.len()).collect();
    for (i, rw) in r.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, hw) in h.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if rw == hw {
                prev
            } else {
                1 + prev.min(row[j]).min(cur)
            };
            prev = cur;
        }
    }
    row[h.len()] as f64 / r.len().max(1) as f64
}

fn synthesise(text: &str, path: &Path) {
    let ok = std::process::Command::new("espeak-ng")
        .arg("-w")
        .arg(path)
        .arg(text)
        .status()
        .expect("espeak-ng runs (install the espeak-ng package)");
    assert!(ok.success(), "espeak-ng failed");
}

#[test]
#[ignore = "needs a speech-to-text server and espeak-ng: set INTERVIEWER_E2E_STT_URL and run with --ignored (.ci/run does when ../shared/scripts/local-stt.sh is set up)"]
fn three_espeak_answers_through_a_real_speech_server() {
    let url = std::env::var("INTERVIEWER_E2E_STT_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .expect("INTERVIEWER_E2E_STT_URL is not set: this test needs a speech-to-text server (.ci/run starts one)");
    let home = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    let bank = load_builtin().expect("built-in bank");
    let req = PlanRequest {
        mode: Mode::FirstRound,
        questions: Some(2),
        seed: 1,
        ..Default::default()
    };
    let ids = plan::build(&bank, &req).expect("plan");
    // The question, the probe on it, the next question: each with "um" and "you know".
    let texts = [
        format!(
            "Um, {} You know, that is the core of it.",
            sentences(&ids[0], 0, 2)
        ),
        format!("Um, you know, {}", sentences(&ids[0], 2, 1)),
        format!(
            "Um, {} You know, that matters a lot.",
            sentences(&ids[1], 0, 2)
        ),
    ];
    for (i, t) in texts.iter().enumerate() {
        synthesise(t, &work.path().join(format!("a{}.wav", i + 1)));
    }
    let record = format!(
        "c=$(cat '{d}/count' 2>/dev/null || echo 0); c=$((c+1)); echo $c > '{d}/count'; \
         [ -f '{d}/a'$c.wav ] || exit 1; cp '{d}/a'$c.wav \"$INTERVIEWER_AUDIO_PATH\"",
        d = work.path().display()
    );
    let spoken = work.path().join("spoken.txt");
    let out = Command::cargo_bin("interviewer")
        .expect("binary")
        .args([
            "--questions",
            "2",
            "--seed",
            "1",
            "--speak",
            "--listen",
            "--stt-url",
            &url,
        ])
        .env("INTERVIEWER_HOME", home.path())
        .env("INTERVIEWER_RECORD_COMMAND", &record)
        .env(
            "INTERVIEWER_TTS_COMMAND",
            format!("cat >> '{}'", spoken.display()),
        )
        .env("TMPDIR", work.path())
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("INTERVIEWER_STT_PROMPT")
        .timeout(Duration::from_secs(600))
        .output()
        .expect("run interviewer");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");

    let review = Command::cargo_bin("interviewer")
        .expect("binary")
        .args(["review", "--format", "json"])
        .env("INTERVIEWER_HOME", home.path())
        .output()
        .expect("review");
    let review: Value = serde_json::from_slice(&review.stdout).expect("review json");

    // Each answer's transcript, pace and fillers, from the candidate's turns.
    let answers: Vec<&Value> = review["turns"]
        .as_array()
        .expect("turns")
        .iter()
        .filter(|t| t["speaker"] == "candidate" && t["text"] != "/end")
        .collect();
    assert_eq!(answers.len(), 3, "{stderr}");
    let session = std::fs::read_dir(home.path().join("sessions"))
        .expect("sessions")
        .filter_map(|e| e.ok())
        .map(|e| std::fs::read_to_string(e.path()).expect("session"))
        .next()
        .expect("a session file");
    let deliveries: Vec<Value> = session
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| {
            r["type"] == "turn" && r["speaker"] == "candidate" && r.get("delivery").is_some()
        })
        .map(|r| r["delivery"].clone())
        .collect();
    assert_eq!(deliveries.len(), 3);
    let mut total_wer = 0.0;
    for (i, ((text, answer), delivery)) in texts.iter().zip(&answers).zip(&deliveries).enumerate() {
        let heard = answer["text"].as_str().unwrap_or_default();
        let w = wer(text, heard);
        total_wer += w;
        let s = &delivery["spoken"];
        let wpm = s["words_per_minute"].as_f64().expect("wpm");
        eprintln!(
            "answer {}: WER {:.3}, {wpm} wpm, {} s, fillers {}, longest pause {} s\n  said:  {text}\n  heard: {heard}",
            i + 1,
            w,
            s["seconds"],
            s["fillers"],
            s["longest_pause_s"]
        );
        assert!(
            (90.0..=220.0).contains(&wpm),
            "espeak's pace, measured {wpm}"
        );
        assert!(
            w < 0.5,
            "answer {} transcribed too loosely: WER {w:.2}",
            i + 1
        );
    }
    eprintln!("mean WER {:.3}", total_wer / 3.0);
    let latencies: Vec<f64> = stderr
        .lines()
        .filter_map(|l| l.split("transcribed in ").nth(1))
        .filter_map(|l| l.split(" s)").next())
        .filter_map(|s| s.parse().ok())
        .collect();
    eprintln!("added time per spoken turn (transcription): {latencies:?} s");

    // Transcribed and scored, with fillers counted.
    let q0 = &review["questions"][0];
    assert!(q0["score"].as_f64().is_some_and(|s| s > 0.0), "{q0}");
    let fillers = &review["delivery"]["spoken"]["fillers"];
    assert!(fillers["um"].as_u64().unwrap_or(0) >= 1, "{fillers}");
    assert!(fillers["you know"].as_u64().unwrap_or(0) >= 1, "{fillers}");
    let wpm = review["delivery"]["spoken"]["words_per_minute"]
        .as_f64()
        .expect("wpm");
    assert!((90.0..=220.0).contains(&wpm), "{wpm}");

    // Every interviewer line reached the speech command.
    let said = std::fs::read_to_string(&spoken).expect("the speech command ran");
    for t in review["turns"].as_array().unwrap() {
        if t["speaker"] == "interviewer" {
            let line = t["text"].as_str().unwrap_or_default();
            assert!(said.contains(line), "not spoken: {line}");
        }
    }
}
