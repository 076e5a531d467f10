//! `interviewer review` and `interviewer history` against session files written with the store
//! API into a temporary `INTERVIEWER_HOME`, with a small test bank (`--bank DIR --replace-bank`).

use assert_cmd::Command;
use chrono::{DateTime, TimeDelta, Utc};
use interviewer::agent::state::{InterviewState, QuestionRecord};
use interviewer::bank::{Difficulty, Domain, Mode, Question, RubricPoint};
use interviewer::scoring::{PointVerdict, Score, ScorerKind, Verdict};
use interviewer::session::{
    Checkpoint, End, FORMAT_VERSION, Header, Record, SessionStore, Speaker, Turn, UsageTotals,
};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const HOSTILE: &str = "It caches \x1b[31mkeys and values\x1b[0m <script>alert(1)</script> & more";

/// A temporary data directory with a test bank beside it.
struct Env {
    dir: TempDir,
}

impl Env {
    fn new() -> Env {
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
        };
        let bank = env.dir.path().join("bank");
        std::fs::create_dir_all(&bank).unwrap();
        #[derive(serde::Serialize)]
        struct BankFile {
            questions: Vec<Question>,
        }
        let file = BankFile {
            questions: vec![
                question("kv-cache", Domain::Inference),
                question("rope", Domain::Transformer),
            ],
        };
        std::fs::write(bank.join("test.toml"), toml::to_string(&file).unwrap()).unwrap();
        env
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn store(&self) -> SessionStore {
        SessionStore::open(Some(self.home())).unwrap()
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("interviewer").unwrap();
        cmd.env("INTERVIEWER_HOME", self.home())
            .env_remove("INTERVIEWER_BANK")
            .env_remove("CLICOLOR_FORCE")
            .args(args)
            .arg("--bank")
            .arg(self.dir.path().join("bank"))
            .arg("--replace-bank");
        cmd
    }

    /// Run and return (success, stdout, stderr).
    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = self.cmd(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

fn point(id: &str, weight: f32) -> RubricPoint {
    RubricPoint {
        id: id.into(),
        weight,
        expect: format!("A good answer explains {id}."),
        keywords: vec![],
        cues: vec![format!("{id} cue")],
        misconceptions: vec![],
        probes: vec![format!("Why does {id} matter?")],
        derivations: vec![],
        hint: None,
    }
}

fn question(id: &str, domain: Domain) -> Question {
    Question {
        id: id.into(),
        domain,
        difficulty: Difficulty::Core,
        modes: vec![Mode::FirstRound, Mode::DeepDive],
        ask: format!("Tell me about {id}."),
        assesses: format!("Understanding of {id}."),
        reference: format!("The reference answer for {id}."),
        points: vec![point("alpha", 3.0), point("beta", 2.0), point("gamma", 1.0)],
    }
}

/// One asked question: its answers (first to the question, then to probes) and final verdicts.
struct Asked<'a> {
    id: &'a str,
    domain: Domain,
    answers: Vec<&'a str>,
    probes: Vec<&'a str>,
    score: f32,
    verdicts: [Verdict; 3],
}

fn asked(id: &str, domain: Domain, score: f32, verdicts: [Verdict; 3]) -> Asked<'_> {
    Asked {
        id,
        domain,
        answers: vec!["An answer about alpha."],
        probes: vec![],
        score,
        verdicts,
    }
}

/// Write a session with the store API; returns its id and file path.
fn write_session(
    store: &SessionStore,
    id: &str,
    started: &str,
    questions: &[Asked],
    finished: bool,
) -> (String, PathBuf) {
    let t0: DateTime<Utc> = started.parse().unwrap();
    let header = Header {
        format: FORMAT_VERSION,
        id: id.into(),
        mode: Mode::FirstRound,
        model: "offline".into(),
        seed: 42,
        started_at: t0,
        options: Default::default(),
    };
    let mut w = store.create(header).unwrap();
    let mut state = InterviewState::new(
        Mode::FirstRound,
        42,
        questions.iter().map(|q| q.id.to_string()).collect(),
        2,
    );
    let mut at = t0;
    for q in questions {
        at += TimeDelta::seconds(30);
        let turn = |speaker, text: &str, at| {
            Record::Turn(Turn {
                speaker,
                text: text.into(),
                at,
                question: Some(q.id.into()),
                delivery: None,
            })
        };
        w.append(&turn(
            Speaker::Interviewer,
            &format!("Tell me about {}.", q.id),
            at,
        ))
        .unwrap();
        let mut rec = QuestionRecord::new(q.id, q.domain);
        for (i, answer) in q.answers.iter().enumerate() {
            if i > 0 {
                let probe = q.probes[i - 1];
                rec.add_probe(probe, Some("alpha".into()));
                w.append(&turn(Speaker::Interviewer, probe, at)).unwrap();
            }
            w.append(&turn(Speaker::Candidate, answer, at)).unwrap();
            rec.add_answer(*answer);
        }
        rec.set_score(Score {
            question: q.id.into(),
            score: q.score,
            points: ["alpha", "beta", "gamma"]
                .iter()
                .zip(q.verdicts)
                .map(|(p, verdict)| PointVerdict {
                    id: p.to_string(),
                    verdict,
                    evidence: if verdict == Verdict::Missed {
                        String::new()
                    } else {
                        format!("about {p}")
                    },
                })
                .collect(),
            misconceptions: vec![],
            doubts: vec![],
            feedback: "Say more about gamma.".into(),
            scorer: ScorerKind::Rubric,
        });
        state.questions.push(rec);
        let usage = UsageTotals {
            llm_calls: 3,
            prompt_tokens: 900,
            completion_tokens: 120,
            max_prompt_tokens: 400,
            cached_prompt_tokens: 450,
        };
        w.append(&Record::Checkpoint(Box::new(Checkpoint {
            at,
            state: state.clone(),
            memory: Default::default(),
            usage,
        })))
        .unwrap();
    }
    if finished {
        state.ended = Some("plan complete".into());
        at += TimeDelta::seconds(5);
        w.append(&Record::Checkpoint(Box::new(Checkpoint {
            at,
            state,
            memory: Default::default(),
            usage: UsageTotals::default(),
        })))
        .unwrap();
        w.append(&Record::End(End {
            at,
            reason: "plan complete".into(),
        }))
        .unwrap();
    }
    (w.id().to_string(), w.path().to_path_buf())
}

/// A session with one question `qid`, every point covered, scored `score`.
fn covered_session(
    store: &SessionStore,
    id: &str,
    started: &str,
    qid: &str,
    domain: Domain,
    score: f32,
    finished: bool,
) -> (String, PathBuf) {
    let q = asked(qid, domain, score, [Verdict::Covered; 3]);
    write_session(store, id, started, &[q], finished)
}

fn hostile_session(env: &Env) -> String {
    use Verdict::*;
    let q = Asked {
        id: "kv-cache",
        domain: Domain::Inference,
        answers: vec![HOSTILE, "Because \x1b[1mrecomputing\x1b[0m is slow"],
        probes: vec!["Why cache them at all?"],
        score: 6.5,
        verdicts: [Covered, Partial, Missed],
    };
    write_session(
        &env.store(),
        "20260301-090000-aaaa",
        "2026-03-01T09:00:00Z",
        &[q],
        true,
    )
    .0
}

fn insert_line(path: &Path, line_no: usize, text: &str) {
    let content = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<&str> = content.lines().collect();
    lines.insert(line_no - 1, text);
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn json_review_has_every_contract_key_with_the_right_type() {
    let env = Env::new();
    let id = hostile_session(&env);
    let (ok, out, err) = env.run(&["review", &id, "--format", "json"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    for key in ["id", "mode", "status", "model", "started_at"] {
        assert!(v[key].is_string(), "{key} should be a string: {v}");
    }
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["status"], "finished");
    assert_eq!(v["mode"], "first-round");
    assert!(v["ended_at"].is_string());
    assert!(v["overall"].is_number());
    assert_eq!(v["by_domain"]["inference"], 6.5);
    assert!(
        v["by_domain"]
            .as_object()
            .unwrap()
            .values()
            .all(Value::is_number)
    );
    let q = &v["questions"][0];
    assert!(q["id"].is_string() && q["domain"].is_string() && q["score"].is_number());
    assert!(q["feedback"].is_string() && q["why_depth"].is_u64());
    assert_eq!(q["why_depth"], 1);
    assert!(q["probes"].as_array().unwrap().iter().all(Value::is_string));
    assert_eq!(q["answers"].as_array().unwrap().len(), 2);
    let points = q["points"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    for p in points {
        assert!(p["id"].is_string() && p["evidence"].is_string());
        assert!(["covered", "partial", "missed"].contains(&p["verdict"].as_str().unwrap()));
    }
    let turns = v["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 4);
    for t in turns {
        assert!(t["speaker"].is_string() && t["text"].is_string() && t["at"].is_string());
    }
    for key in [
        "llm_calls",
        "prompt_tokens",
        "completion_tokens",
        "max_prompt_tokens",
    ] {
        assert!(v["usage"][key].is_u64(), "usage.{key}");
    }
}

#[test]
fn review_json_flag_is_the_json_format_and_conflicts_with_another_format() {
    let env = Env::new();
    let id = hostile_session(&env);
    let (ok, long, err) = env.run(&["review", &id, "--format", "json"]);
    assert!(ok, "{err}");
    let (ok, short, err) = env.run(&["review", &id, "--json"]);
    assert!(ok, "{err}");
    assert_eq!(short, long);
    let (ok, _, err) = env.run(&["review", &id, "--json", "--format", "html"]);
    assert!(!ok);
    assert!(err.contains("--json"), "{err}");
}

#[test]
fn json_of_an_unfinished_session_has_null_end_and_unfinished_status() {
    let env = Env::new();
    let (id, _) = covered_session(
        &env.store(),
        "",
        "2026-03-02T09:00:00Z",
        "rope",
        Domain::Transformer,
        4.0,
        false,
    );
    let (ok, out, err) = env.run(&["review", &id, "--format", "json"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "unfinished");
    assert!(v["ended_at"].is_null());
}

#[test]
fn html_escapes_candidate_text_and_strips_ansi() {
    let env = Env::new();
    let id = hostile_session(&env);
    let (ok, out, err) = env.run(&["review", &id, "--format", "html"]);
    assert!(ok, "{err}");
    assert!(out.starts_with("<!DOCTYPE html>"));
    assert!(!out.contains("<script"), "script tag must be escaped");
    assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"));
    assert!(!out.contains('\x1b'));
    assert!(out.contains("<svg"), "domain chart");
    assert!(out.contains("The reference answer for kv-cache."));
}

#[test]
fn text_and_markdown_strip_ansi_escapes() {
    let env = Env::new();
    let id = hostile_session(&env);
    let (ok, text, err) = env.run(&["review", &id]);
    assert!(ok, "{err}");
    assert!(!text.contains('\x1b'), "{text}");
    assert!(text.contains("It caches keys and values"));
    assert!(text.contains("Because recomputing is slow"));
    assert!(text.contains("missed") && text.contains("gamma"));
    assert!(text.contains("What to study next"));

    let (ok, md, err) = env.run(&["review", &id, "--format", "markdown"]);
    assert!(ok, "{err}");
    assert!(!md.contains('\x1b'));
    assert!(
        !md.contains("<script>"),
        "raw HTML must not pass into markdown"
    );
    assert!(md.contains("It caches keys and values"));
    assert!(md.starts_with("# Interview review"));
}

#[test]
fn truncated_last_line_is_dropped_with_a_warning() {
    let env = Env::new();
    let (id, path) = covered_session(
        &env.store(),
        "",
        "2026-03-03T09:00:00Z",
        "rope",
        Domain::Transformer,
        7.0,
        false,
    );
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(br#"{"type":"turn","speaker":"candidate","text":"half a sent"#)
        .unwrap();
    drop(f);
    let (ok, out, err) = env.run(&["review", &id]);
    assert!(ok, "{err}");
    assert!(
        err.contains("warning") && err.contains("incomplete last line"),
        "{err}"
    );
    assert!(out.contains("rope"));
}

#[test]
fn corrupt_middle_line_is_a_clear_error_and_history_still_lists_the_rest() {
    let env = Env::new();
    let store = env.store();
    let (good, _) = covered_session(
        &store,
        "",
        "2026-03-04T09:00:00Z",
        "rope",
        Domain::Transformer,
        5.0,
        true,
    );
    let (bad, path) = covered_session(
        &store,
        "",
        "2026-03-05T09:00:00Z",
        "rope",
        Domain::Transformer,
        5.0,
        true,
    );
    insert_line(&path, 3, "{\"type\":\"turn\", this is not json");

    let out = env.cmd(&["review", &bad]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{bad}.jsonl:3: invalid record")),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one clear line: {err}");

    let (ok, out, err) = env.run(&["history"]);
    assert!(ok, "{err}");
    assert!(out.contains(&good), "{out}");
    assert!(!out.contains(&bad), "{out}");
    assert!(
        err.contains(&format!("{bad}.jsonl:3")),
        "the bad file is reported: {err}"
    );
}

#[test]
fn output_flag_writes_a_file() {
    let env = Env::new();
    let id = hostile_session(&env);
    let file = env.dir.path().join("review.html");
    let (ok, out, err) = env.run(&[
        "review",
        &id,
        "--format",
        "html",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(out.is_empty(), "nothing on stdout: {out}");
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert!(err.contains("review.html"));
}

#[test]
fn review_defaults_to_the_latest_session() {
    let env = Env::new();
    let store = env.store();
    covered_session(
        &store,
        "20260101-090000-0001",
        "2026-01-01T09:00:00Z",
        "rope",
        Domain::Transformer,
        5.0,
        true,
    );
    covered_session(
        &store,
        "20260102-090000-0002",
        "2026-01-02T09:00:00Z",
        "kv-cache",
        Domain::Inference,
        5.0,
        true,
    );
    let (ok, out, err) = env.run(&["review", "--format", "json"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["id"], "20260102-090000-0002");
}

#[test]
fn history_shows_sessions_trends_and_most_missed_points() {
    use Verdict::*;
    let env = Env::new();
    let store = env.store();
    let sessions = [
        ("2026-02-01T09:00:00Z", 2.0, 3.0),
        ("2026-02-02T09:00:00Z", 5.0, 4.0),
        ("2026-02-03T09:00:00Z", 8.0, 6.0),
    ];
    for (i, (at, rope, kv)) in sessions.iter().enumerate() {
        let rope_verdicts = if i < 2 {
            [Covered, Missed, Missed]
        } else {
            [Covered, Covered, Missed]
        };
        let qs = [
            asked("rope", Domain::Transformer, *rope, rope_verdicts),
            asked(
                "kv-cache",
                Domain::Inference,
                *kv,
                [Covered, Partial, Covered],
            ),
        ];
        write_session(&store, "", at, &qs, i < 2);
    }
    let (ok, out, err) = env.run(&["history"]);
    assert!(ok, "{err}");
    assert!(out.contains("Sessions (3"), "{out}");
    assert!(out.contains("unfinished") && out.contains("finished"));
    assert!(
        out.contains("transformer") && out.contains("2.0 → 5.0 → 8.0"),
        "{out}"
    );
    assert!(
        out.contains("inference") && out.contains("3.0 → 4.0 → 6.0"),
        "{out}"
    );
    assert!(out.contains("3×  rope / gamma"), "{out}");
    assert!(out.contains("2×  rope / beta"), "{out}");

    let (ok, out, err) = env.run(&["history", "--json"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["sessions"].as_array().unwrap().len(), 3);
    assert_eq!(v["most_missed"][0]["question"], "rope");
    assert_eq!(v["most_missed"][0]["point"], "gamma");
    assert_eq!(v["most_missed"][0]["misses"], 3);
}

#[test]
fn unknown_session_id_is_a_clear_error() {
    let env = Env::new();
    hostile_session(&env);
    let out = env.cmd(&["review", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no session \"nope\""), "{err}");
    assert_eq!(err.trim().lines().count(), 1);
}

#[test]
fn empty_home_gives_friendly_messages() {
    let env = Env::new();
    let (ok, out, _) = env.run(&["history"]);
    assert!(ok);
    assert!(out.starts_with("No sessions yet"), "{out}");
    let out = env.cmd(&["review"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("No sessions yet"));
}
