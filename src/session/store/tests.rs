use super::*;
use crate::bank::Domain;
use crate::session::Speaker;
use crate::state::QuestionRecord;

fn header(id: &str) -> Header {
    Header {
        format: FORMAT_VERSION,
        id: id.to_string(),
        mode: Mode::FirstRound,
        model: "offline".into(),
        seed: 7,
        started_at: Utc::now(),
        options: Default::default(),
    }
}

fn turn(text: &str) -> Record {
    Record::Turn(Turn {
        speaker: Speaker::Candidate,
        text: text.into(),
        at: Utc::now(),
        question: None,
        delivery: None,
    })
}

fn checkpoint(ended: bool) -> Record {
    let mut state = InterviewState::new(Mode::FirstRound, 7, vec!["q1".into()], 2);
    state
        .questions
        .push(QuestionRecord::new("q1", Domain::Inference));
    if ended {
        state.ended = Some("done".into());
    }
    Record::Checkpoint(Box::new(Checkpoint {
        at: Utc::now(),
        state,
        memory: Default::default(),
        usage: UsageTotals::default(),
    }))
}

fn store() -> (tempfile::TempDir, SessionStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SessionStore::open(Some(dir.path().to_path_buf())).unwrap();
    (dir, store)
}

#[test]
fn ids_are_time_sortable_and_unique_within_a_second() {
    let (_d, store) = store();
    let at = Utc::now();
    let mut ids = vec![];
    for _ in 0..20 {
        let mut h = header("");
        h.started_at = at;
        ids.push(store.create(h).unwrap().id().to_string());
    }
    let prefix = at.format("%Y%m%d-%H%M%S").to_string();
    assert!(
        ids.iter()
            .all(|i| i.starts_with(&prefix) && i.len() == prefix.len() + 5)
    );
    let mut dedup = ids.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), 20);
}

#[test]
fn round_trip_keeps_turns_last_checkpoint_and_end() {
    let (_d, store) = store();
    let mut w = store.create(header("")).unwrap();
    w.append(&turn("hello")).unwrap();
    w.append(&checkpoint(false)).unwrap();
    w.append(&turn("second")).unwrap();
    w.append(&checkpoint(true)).unwrap();
    w.append(&Record::End(End {
        at: Utc::now(),
        reason: "done".into(),
    }))
    .unwrap();
    let s = store.load(w.id()).unwrap();
    assert_eq!(s.turns.len(), 2);
    assert!(s.state().unwrap().is_over());
    assert_eq!(s.status(), SessionStatus::Finished);
    assert!(s.warnings.is_empty());
    let listing = store.list().unwrap();
    assert_eq!(listing.sessions.len(), 1);
    assert_eq!(listing.sessions[0].questions, 1);
    assert_eq!(
        listing.sessions[0].overall, None,
        "asked but never answered: no score"
    );
}

#[test]
fn truncated_last_line_is_dropped_with_a_warning_and_reopen_repairs_it() {
    let (_d, store) = store();
    let mut w = store.create(header("")).unwrap();
    w.append(&turn("kept")).unwrap();
    let path = w.path().to_path_buf();
    drop(w);
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(br#"{"type":"turn","speaker":"cand"#).unwrap();
    drop(f);
    let s = load_file(&path).unwrap();
    assert_eq!(s.turns.len(), 1);
    assert_eq!(s.warnings.len(), 1);
    assert!(s.warnings[0].contains(":3:"), "{}", s.warnings[0]);

    let mut w = SessionWriter::reopen(&path).unwrap();
    w.append(&turn("after resume")).unwrap();
    let s = load_file(&path).unwrap();
    assert!(s.warnings.is_empty());
    assert_eq!(
        s.turns.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(),
        ["kept", "after resume"]
    );
}

#[test]
fn corrupt_middle_line_names_file_and_line() {
    let (_d, store) = store();
    let mut w = store.create(header("")).unwrap();
    w.append(&turn("one")).unwrap();
    let path = w.path().to_path_buf();
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"{not json}\n").unwrap();
    w.append(&turn("three")).unwrap();
    let err = load_file(&path).unwrap_err().to_string();
    assert!(
        err.contains(&format!("{}:3: invalid record", path.display())),
        "{err}"
    );
    let listing = store.list().unwrap();
    assert!(listing.sessions.is_empty());
    assert_eq!(listing.problems.len(), 1);
}

#[test]
fn corrupt_complete_last_line_is_an_error_not_a_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.jsonl");
    let head = serde_json::to_string(&Record::Header(header("x"))).unwrap();
    std::fs::write(&path, format!("{head}\n{{\"type\":\"bogus\"}}\n")).unwrap();
    let err = load_file(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { line: 2, .. }), "{err}");
}

#[test]
fn newer_format_header_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.jsonl");
    std::fs::write(
        &path,
        "{\"type\":\"header\",\"format\":99,\"id\":\"x\",\"whatever\":[]}\n",
    )
    .unwrap();
    let err = load_file(&path).unwrap_err().to_string();
    assert!(err.contains("format 99 is newer"), "{err}");
}

#[test]
fn missing_header_and_empty_file_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.jsonl");
    std::fs::write(&path, "").unwrap();
    assert!(matches!(load_file(&path), Err(StoreError::Empty { .. })));
    std::fs::write(
        &path,
        format!("{}\n", serde_json::to_string(&turn("hi")).unwrap()),
    )
    .unwrap();
    assert!(matches!(
        load_file(&path),
        Err(StoreError::NoHeader { line: 1, .. })
    ));
}

#[test]
fn load_by_prefix_path_and_unknown_id() {
    let (_d, store) = store();
    let w = store.create(header("20250101-000000-abcd")).unwrap();
    assert_eq!(
        store.load("20250101-000000").unwrap().id(),
        "20250101-000000-abcd"
    );
    assert_eq!(
        store.load(&w.path().display().to_string()).unwrap().id(),
        "20250101-000000-abcd"
    );
    let err = store.load("20250101-000000-abce").unwrap_err().to_string();
    assert!(err.contains("no session \"20250101-000000-abce\""), "{err}");
    assert!(err.contains("did you mean 20250101-000000-abcd"), "{err}");
    assert!(matches!(
        store.create(header("20250101-000000-abcd")),
        Err(StoreError::Exists { .. })
    ));
}

#[test]
fn latest_and_latest_unfinished() {
    let (_d, store) = store();
    assert!(store.latest().unwrap().is_none());
    let mut h = header("20250101-000000-0001");
    h.started_at = "2025-01-01T00:00:00Z".parse().unwrap();
    let _ = store.create(h).unwrap();
    let mut h = header("20250102-000000-0002");
    h.started_at = "2025-01-02T00:00:00Z".parse().unwrap();
    let mut w = store.create(h).unwrap();
    w.append(&checkpoint(true)).unwrap();
    assert_eq!(
        store.latest().unwrap().unwrap().id(),
        "20250102-000000-0002"
    );
    assert_eq!(
        store.latest_unfinished().unwrap().unwrap().id(),
        "20250101-000000-0001"
    );
}

#[test]
fn options_are_typed_and_unknown_old_options_are_dropped() {
    let (_d, store) = store();
    let mut h = header("");
    h.options.judge = Some(crate::scoring::ScorerKind::Llm);
    h.options.backend = Some(crate::session::BackendKind::OpenaiCompatible);
    let w = store.create(h).unwrap();
    let text = std::fs::read_to_string(w.path()).unwrap();
    assert!(text.contains("\"judge\":\"llm\""), "{text}");
    assert!(text.contains("\"backend\":\"openai-compatible\""), "{text}");
    // A format-1 header's free-form options: the known ones load, anything else (a key someone
    // put there) is dropped and never written again.
    let old: crate::session::SessionOptions = serde_json::from_str(
        r#"{"backend": "offline", "judge": "rubric", "api_key": "sk-test", "questions": 3}"#,
    )
    .unwrap();
    assert_eq!(old.backend, Some(crate::session::BackendKind::Offline));
    assert_eq!(old.questions, Some(3));
    assert!(!serde_json::to_string(&old).unwrap().contains("sk-test"));
}

#[test]
fn home_comes_from_argument_and_history_file_lives_there() {
    let (d, store) = store();
    assert_eq!(store.history_file(), d.path().join("history.txt"));
    assert_eq!(store.sessions_dir(), d.path().join("sessions"));
}

fn saved(state: &InterviewState, recent: Vec<crate::model::Message>) -> Checkpoint {
    Checkpoint {
        at: Utc::now(),
        state: state.clone(),
        memory: crate::session::MemorySnapshot {
            summary: String::new(),
            recent,
        },
        usage: UsageTotals::default(),
    }
}

#[test]
fn saves_after_the_first_append_only_what_changed_and_read_back_exactly() {
    use crate::model::Message;
    let (_d, store) = store();
    let mut w = store.create(header("")).unwrap();
    let path = w.path().to_path_buf();
    let size = || std::fs::metadata(&path).unwrap().len();
    let mut state = InterviewState::new(Mode::FirstRound, 7, vec!["q1".into(), "q2".into()], 2);
    state
        .questions
        .push(QuestionRecord::new("q1", Domain::Inference));
    let mut memory = vec![
        Message::user("Begin"),
        Message::assistant("First question?"),
    ];
    w.save(&saved(&state, memory.clone())).unwrap();

    // A 100 KB answer, held by the state and the model's context.
    let big = "the cache keeps keys and values ".repeat(3200);
    state.questions[0].add_answer(big.clone());
    memory.push(Message::user(big.clone()));
    memory.push(Message::assistant("Why?"));
    let before = size();
    w.save(&saved(&state, memory.clone())).unwrap();
    let grew = size() - before;
    assert!(
        (2 * big.len() as u64..2 * big.len() as u64 + 2_000).contains(&grew),
        "the answer is written once in the state and once in the context: {grew}"
    );

    // The next exchange does not write the answer again, even as old turns are folded away.
    state.questions[0].add_probe("Why?", Some("p".into()));
    state
        .questions
        .push(QuestionRecord::new("q2", Domain::Pretraining));
    memory.drain(..2);
    memory.push(Message::user("next"));
    let before = size();
    let cp = saved(&state, memory.clone());
    w.save(&cp).unwrap();
    assert!(size() - before < 2_000, "grew by {}", size() - before);

    let loaded = load_file(&path).unwrap();
    assert_eq!(loaded.checkpoint.as_ref(), Some(&cp), "read back exactly");
    let kinds: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["type"].to_string())
        .collect();
    assert_eq!(
        kinds,
        ["\"header\"", "\"checkpoint\"", "\"update\"", "\"update\""]
    );

    // A resumed writer starts from a whole checkpoint again, and the reader follows.
    let mut w = SessionWriter::reopen(&path).unwrap();
    state.ended = Some("done".into());
    let last = saved(&state, memory);
    w.save(&last).unwrap();
    w.save(&last).unwrap();
    let loaded = load_file(&path).unwrap();
    assert_eq!(loaded.checkpoint, Some(last));
    assert_eq!(loaded.status(), SessionStatus::Finished);
}

#[test]
fn a_cut_update_is_dropped_and_one_that_does_not_fit_is_an_error() {
    let (_d, store) = store();
    let mut w = store.create(header("")).unwrap();
    let path = w.path().to_path_buf();
    let mut state = InterviewState::new(Mode::FirstRound, 7, vec!["q1".into()], 2);
    let first = saved(&state, vec![]);
    w.save(&first).unwrap();
    state
        .questions
        .push(QuestionRecord::new("q1", Domain::Inference));
    w.save(&saved(&state, vec![])).unwrap();
    drop(w);

    let text = std::fs::read_to_string(&path).unwrap();
    let cut = &text[..text.len() - 10];
    std::fs::write(&path, cut).unwrap();
    let loaded = load_file(&path).unwrap();
    assert_eq!(loaded.warnings.len(), 1);
    assert_eq!(
        loaded.checkpoint,
        Some(first),
        "the state before the cut update"
    );

    let bad = r#"{"type":"update","at":"2026-01-01T00:00:00Z","changes":[{"path":["state","questions"],"keep":[5,1]}]}"#;
    let head: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, format!("{head}{bad}\n")).unwrap();
    let err = load_file(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { line: 3, .. }), "{err}");
}
