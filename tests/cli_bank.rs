//! `interviewer bank list|show|check` and `interviewer score`, driving the real binary.

use assert_cmd::Command;
use interviewer::bank::{Domain, load_builtin};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const FILES: [&str; 5] = [
    "transformer.toml",
    "pretraining.toml",
    "finetuning.toml",
    "inference.toml",
    "applications.toml",
];

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("interviewer").expect("binary builds");
    cmd.env_remove("INTERVIEWER_BANK").env("NO_COLOR", "1");
    cmd
}

fn tools() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools")
}

/// A copy of the built-in bank in a temporary directory.
fn bank_copy() -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for f in FILES {
        std::fs::copy(tools().join(f), dir.path().join(f)).expect("copy bank file");
    }
    dir
}

/// Edit one file of a bank copy as a TOML table.
fn edit(dir: &TempDir, file: &str, change: impl FnOnce(&mut toml::Table)) {
    let path = dir.path().join(file);
    let mut table: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    change(&mut table);
    std::fs::write(&path, toml::to_string(&table).unwrap()).unwrap();
}

fn first_question(t: &mut toml::Table) -> &mut toml::Table {
    t["questions"].as_array_mut().unwrap()[0]
        .as_table_mut()
        .unwrap()
}

fn first_point(t: &mut toml::Table) -> &mut toml::Table {
    first_question(t)["points"].as_array_mut().unwrap()[0]
        .as_table_mut()
        .unwrap()
}

/// `(question id, point id)` of the first question of a built-in file.
fn first_ids(file: &str) -> (String, String) {
    let mut t: toml::Table =
        toml::from_str(&std::fs::read_to_string(tools().join(file)).unwrap()).unwrap();
    let q = first_question(&mut t)["id"].as_str().unwrap().to_string();
    let p = first_point(&mut t)["id"].as_str().unwrap().to_string();
    (q, p)
}

/// Run `bank check DIR`, expect exit 1 and return stdout.
fn check_fails(dir: &TempDir) -> String {
    let out = bin()
        .args(["bank", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn bank_list_shows_every_question_in_an_aligned_table() {
    let bank = load_builtin().unwrap();
    let out = stdout(bin().args(["bank", "list"]));
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("DOMAIN") && lines[0].contains("QUESTION")
    );
    for q in &bank.questions {
        assert!(
            lines
                .iter()
                .any(|l| l.split_whitespace().next() == Some(q.id.as_str())),
            "{} missing",
            q.id
        );
    }
    assert_eq!(
        lines.last().copied(),
        Some(format!("{} questions", bank.questions.len()).as_str())
    );
    // Columns line up: DOMAIN starts at the same column on every row.
    let col = lines[0].find("DOMAIN").unwrap();
    for row in &lines[1..lines.len() - 1] {
        assert_eq!(row.as_bytes()[col - 1], b' ', "{row}");
        assert_ne!(row.as_bytes()[col], b' ', "{row}");
    }
}

#[test]
fn bank_list_filters_by_domain_and_mode() {
    let bank = load_builtin().unwrap();
    let out = stdout(bin().args(["bank", "list", "--domain", "inference"]));
    let rows: Vec<&str> = out.lines().skip(1).filter(|l| l.contains("  ")).collect();
    assert_eq!(rows.len(), bank.in_domain(Domain::Inference).count());
    assert!(
        rows.iter()
            .all(|r| r.split_whitespace().nth(1) == Some("inference")),
        "{out}"
    );

    let out = stdout(bin().args(["bank", "list", "--mode", "deep-dive"]));
    let rows: Vec<&str> = out.lines().skip(1).filter(|l| l.contains("  ")).collect();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.contains("deep-dive")), "{out}");
}

#[test]
fn bank_list_rejects_an_unknown_domain_or_mode_in_one_line() {
    let out = bin()
        .args(["bank", "list", "--domain", "serving"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("unknown domain \"serving\" (valid: transformer, pretraining, finetuning, inference, applications)"), "{err}");

    let out = bin()
        .args(["bank", "list", "--mode", "final"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("unknown mode \"final\" (valid: first-round, deep-dive)"),
        "{err}"
    );
}

#[test]
fn bank_show_prints_the_whole_rubric() {
    let bank = load_builtin().unwrap();
    let q = bank.get("kv-cache").expect("kv-cache is in the bank");
    let out = stdout(bin().args(["bank", "show", "kv-cache"]));
    assert!(out.contains(q.ask.trim()));
    assert!(out.contains("Assesses:"));
    assert!(out.contains("Reference answer:"));
    for p in &q.points {
        assert!(
            out.contains(&format!(". {}  (weight {})", p.id, p.weight)),
            "point {} missing",
            p.id
        );
        assert!(
            out.contains(p.probes[0].trim()),
            "probe of {} missing",
            p.id
        );
    }
}

#[test]
fn bank_show_unknown_id_suggests_close_ones() {
    bin()
        .args(["bank", "show", "kv-cach"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "unknown question \"kv-cach\"; did you mean: kv-cache",
        ));
}

#[test]
fn bank_check_passes_on_the_builtin_bank() {
    bin()
        .args(["bank", "check"])
        .assert()
        .success()
        .stdout("20 questions in 5 domains: ok\n");
    let dir = bank_copy();
    bin()
        .args(["bank", "check"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout("20 questions in 5 domains: ok\n");
}

#[test]
fn bank_check_reports_a_syntax_error_with_line_and_column() {
    let dir = bank_copy();
    let path = dir.path().join("inference.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text.find("\nweight = ").expect("a weight line") + 1;
    let line = text[..at].matches('\n').count() + 1;
    std::fs::write(
        &path,
        format!(
            "{}weight = = {}",
            &text[..at],
            &text[at + "weight = ".len()..]
        ),
    )
    .unwrap();
    let out = check_fails(&dir);
    assert!(
        out.contains(&format!("inference.toml:{line}:10: syntax error")),
        "{out}"
    );
}

#[test]
fn bank_check_reports_duplicate_ids_naming_both_files() {
    let dir = bank_copy();
    let (dup, _) = first_ids("inference.toml");
    let (orig, _) = first_ids("transformer.toml");
    edit(&dir, "transformer.toml", |t| {
        first_question(t).insert("id".into(), dup.clone().into());
    });
    let out = check_fails(&dir);
    assert!(out.contains(&format!("transformer.toml: question \"{dup}\": duplicate question id (also defined in inference.toml)")), "{out}");
    assert!(!out.contains(&orig), "{out}");
}

#[test]
fn bank_check_reports_an_unknown_domain_with_the_valid_ones() {
    let dir = bank_copy();
    let (q, _) = first_ids("inference.toml");
    edit(&dir, "inference.toml", |t| {
        first_question(t).insert("domain".into(), "serving".into());
    });
    let out = check_fails(&dir);
    let want = format!(
        "question \"{q}\": domain \"serving\" is unknown (valid: transformer, pretraining, finetuning, inference, applications)"
    );
    let line = out
        .lines()
        .find(|l| l.contains(&want))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.starts_with("inference.toml:"), "{line}");
}

#[test]
fn bank_check_reports_empty_cues() {
    let dir = bank_copy();
    let (q, p) = first_ids("finetuning.toml");
    edit(&dir, "finetuning.toml", |t| {
        first_point(t).insert("cues".into(), toml::Value::Array(vec![]));
    });
    let out = check_fails(&dir);
    assert!(
        out.contains(&format!(
            "finetuning.toml: question \"{q}\": point \"{p}\": cues must list at least one phrasing"
        )),
        "{out}"
    );
    assert!(out.contains("1 problem found"), "{out}");
}

#[test]
fn bank_check_reports_a_point_without_probes() {
    let dir = bank_copy();
    let (q, p) = first_ids("applications.toml");
    edit(&dir, "applications.toml", |t| {
        first_point(t).remove("probes");
    });
    let out = check_fails(&dir);
    assert!(
        out.contains(&format!(
            "applications.toml: question \"{q}\": point \"{p}\": has no probes"
        )),
        "{out}"
    );
}

#[test]
fn bank_check_reports_a_weight_that_is_not_positive_and_every_other_problem() {
    let dir = bank_copy();
    let (q, p) = first_ids("pretraining.toml");
    let (q2, p2) = first_ids("inference.toml");
    edit(&dir, "pretraining.toml", |t| {
        first_point(t).insert("weight".into(), toml::Value::Float(0.0));
    });
    edit(&dir, "inference.toml", |t| {
        first_point(t).insert("weight".into(), toml::Value::Float(-1.5));
    });
    let out = check_fails(&dir);
    assert!(
        out.contains(&format!(
            "pretraining.toml: question \"{q}\": point \"{p}\": weight must be > 0"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "inference.toml: question \"{q2}\": point \"{p2}\": weight must be > 0"
        )),
        "{out}"
    );
    assert!(out.contains("2 problems found"), "{out}");
}

#[test]
fn a_user_bank_extends_or_replaces_the_builtin_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut t: toml::Table =
        toml::from_str(&std::fs::read_to_string(tools().join("inference.toml")).unwrap()).unwrap();
    let questions = t["questions"].as_array_mut().unwrap();
    questions.truncate(1);
    questions[0]
        .as_table_mut()
        .unwrap()
        .insert("id".into(), "my-question".into());
    std::fs::write(dir.path().join("mine.toml"), toml::to_string(&t).unwrap()).unwrap();

    let out = stdout(bin().args(["bank", "list", "--bank"]).arg(dir.path()));
    assert!(
        out.contains("my-question") && out.contains("kv-cache") && out.ends_with("21 questions\n"),
        "{out}"
    );
    let out =
        stdout(
            bin()
                .env("INTERVIEWER_BANK", dir.path())
                .args(["bank", "list", "--replace-bank"]),
        );
    assert!(
        out.contains("my-question") && !out.contains("kv-cache") && out.ends_with("1 question\n"),
        "{out}"
    );
}

#[test]
fn an_invalid_user_bank_is_an_error_listing_its_problems() {
    let dir = bank_copy();
    edit(&dir, "inference.toml", |t| {
        first_point(t).insert("weight".into(), toml::Value::Float(0.0));
    });
    let out = bin()
        .args(["bank", "list", "--bank"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("invalid question bank in") && err.contains("weight must be > 0"),
        "{err}"
    );
}

const ANSWER: &str = "The cache keeps the keys and values of earlier tokens, so each new token only computes its own \
    and we avoid recomputing the prefix. It grows with sequence length and batch size and becomes the main memory \
    bottleneck; grouped-query attention shrinks it because several query heads share one KV head.";

fn score_json(cmd: &mut Command) -> serde_json::Value {
    let out = stdout(cmd);
    assert_eq!(
        out.trim().lines().count(),
        1,
        "exactly one JSON line: {out}"
    );
    serde_json::from_str(out.trim()).expect("valid JSON")
}

#[test]
fn score_json_follows_the_contract() {
    let bank = load_builtin().unwrap();
    let q = bank.get("kv-cache").unwrap();
    let v = score_json(bin().args([
        "score",
        "--question",
        "kv-cache",
        "--answer",
        ANSWER,
        "--json",
    ]));
    let obj = v.as_object().expect("an object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "feedback",
            "misconceptions",
            "points",
            "question",
            "score",
            "scorer"
        ]
    );
    assert_eq!(v["question"], "kv-cache");
    assert_eq!(v["scorer"], "rubric");
    let score = v["score"].as_f64().unwrap();
    assert!((0.0..=10.0).contains(&score) && score > 3.0, "{v}");
    assert!(v["misconceptions"].as_array().is_some());
    assert!(!v["feedback"].as_str().unwrap().is_empty());
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), q.points.len());
    for (p, want) in points.iter().zip(&q.points) {
        assert_eq!(p["id"], want.id.as_str());
        assert!(
            ["covered", "partial", "missed"].contains(&p["verdict"].as_str().unwrap()),
            "{p}"
        );
        let evidence = p["evidence"].as_str().unwrap();
        assert!(
            ANSWER.contains(evidence),
            "evidence must be quoted from the answer: {evidence:?}"
        );
    }
}

#[test]
fn score_text_output_is_readable() {
    let out = stdout(bin().args(["score", "-q", "kv-cache", "--answer", ANSWER]));
    assert!(out.starts_with("kv-cache: "), "{out}");
    assert!(out.contains("/10 (rubric scorer)"), "{out}");
    assert!(out.contains("covered"), "{out}");
    assert!(out.contains("Feedback: "), "{out}");
}

#[test]
fn score_text_output_lists_a_doubt_apart_from_a_misconception() {
    // "quantizes the adapters" is the wrong attribute of the adapters, not the claim's own words:
    // weaker evidence, shown as something to check.
    let answer =
        "QLoRA quantizes the trainable adapters to 4-bit NF4, and LoRA freezes W and learns BA.";
    let out = stdout(bin().args(["score", "-q", "lora-qlora", "--answer", answer]));
    assert!(!out.contains("Misconceptions:"), "{out}");
    let (_, doubts) = out
        .split_once("Possibly wrong, worth checking:\n  - ")
        .unwrap_or_else(|| panic!("no doubt listed: {out}"));
    assert!(
        doubts.starts_with("QLoRA trains the model in 4-bit"),
        "{out}"
    );
}

#[test]
fn score_unknown_question_exits_2_with_suggestions() {
    bin()
        .args(["score", "--question", "kv-cach", "--answer", "x"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "unknown question \"kv-cach\"; did you mean: kv-cache",
        ));
    let out = bin()
        .args(["score", "--question", "zzzzzz", "--answer", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("unknown question \"zzzzzz\"")
            && err.contains("kv-cache")
            && err.contains("rope"),
        "{err}"
    );
}

#[test]
fn score_reads_stdin_and_answer_files_the_same_way() {
    let direct = score_json(bin().args(["score", "-q", "kv-cache", "--json", "--answer", ANSWER]));
    let piped = score_json(
        bin()
            .args(["score", "-q", "kv-cache", "--json"])
            .write_stdin(ANSWER),
    );
    assert_eq!(direct, piped);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("answer.txt");
    std::fs::write(&file, ANSWER).unwrap();
    let from_file = score_json(
        bin()
            .args(["score", "-q", "kv-cache", "--json", "--answer-file"])
            .arg(&file),
    );
    assert_eq!(direct, from_file);
}

#[test]
fn score_unreadable_answer_file_is_one_line_exit_1() {
    let out = bin()
        .args([
            "score",
            "-q",
            "kv-cache",
            "--answer-file",
            "/nonexistent/answer.txt",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot read answer file /nonexistent/answer.txt"),
        "{err}"
    );
}

#[test]
fn score_empty_stdin_scores_zero_with_a_clear_message() {
    let v = score_json(
        bin()
            .args(["score", "-q", "kv-cache", "--json"])
            .write_stdin("   \n"),
    );
    assert_eq!(v["score"].as_f64(), Some(0.0));
    assert!(v["feedback"].as_str().unwrap().contains("empty"), "{v}");
}

#[test]
fn bank_options_work_before_and_after_the_subcommand() {
    let dir = bank_copy();
    let path = dir.path().to_str().expect("utf-8");
    let before = stdout(bin().args(["--bank", path, "--replace-bank", "bank", "list"]));
    let after = stdout(bin().args(["bank", "list", "--bank", path, "--replace-bank"]));
    assert_eq!(before, after);
    assert!(before.contains("self-attention"), "{before}");
    // An option of `start` before another subcommand is an error naming it, not ignored.
    let out = bin()
        .args(["--mode", "deep-dive", "review"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--mode cannot come before the `review` subcommand"),
        "{err}"
    );
}

#[test]
fn a_missing_bank_directory_is_one_line_with_the_os_error_once() {
    let out = bin()
        .args(["--bank", "/nonexistent-bank-dir", "bank", "list"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot read bank directory /nonexistent-bank-dir"),
        "{err}"
    );
    assert_eq!(err.matches("os error 2").count(), 1, "{err}");
}
