//! Where sessions live on disk and how they are written and read back.
//!
//! The data directory is `INTERVIEWER_HOME` when set, else the platform data directory. Each
//! session is one `sessions/<id>.jsonl` file; every record is appended as one JSON line and synced
//! to disk, so a crash loses at most the line being written. Reading tolerates exactly that: an
//! unparseable last line is dropped with a warning, any other bad line is an error naming the
//! file and line.

use super::{Checkpoint, End, FORMAT_VERSION, Header, Record, Turn, UsageTotals};
use crate::bank::Mode;
use crate::state::InterviewState;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The environment variable that overrides the data directory.
pub const HOME_ENV: &str = "INTERVIEWER_HOME";

/// Failures of the session store. Each displays as one line naming the file concerned.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot find a data directory for this platform; set {HOME_ENV} to a directory")]
    NoHome,
    #[error("cannot {action} {}: {error}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        /// Not a `source`: the message already says it, and chains would repeat it.
        error: io::Error,
    },
    #[error("{}:{line}: invalid record: {message}", path.display())]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}: empty session file (no header)", path.display())]
    Empty { path: PathBuf },
    #[error("{}:{line}: expected the session header as the first record", path.display())]
    NoHeader { path: PathBuf, line: usize },
    #[error(
        "{}: session format {found} is newer than this interviewer understands (format {FORMAT_VERSION}); upgrade interviewer to read it",
        path.display()
    )]
    NewerFormat { path: PathBuf, found: u64 },
    #[error("no session \"{id}\"{}", suggest(.close))]
    NotFound { id: String, close: Vec<String> },
    #[error("session \"{id}\" already exists")]
    Exists { id: String },
    #[error("cannot encode a session record: {0}")]
    Encode(#[from] serde_json::Error),
}

fn suggest(close: &[String]) -> String {
    if close.is_empty() {
        " (see `interviewer history` for the list)".to_string()
    } else {
        format!(" (did you mean {}?)", close.join(", "))
    }
}

/// Whether a session ran to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionStatus {
    Unfinished,
    Finished,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Unfinished => "unfinished",
            SessionStatus::Finished => "finished",
        }
    }
}

/// A session file read back: its header, turns, last checkpoint and end record.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedSession {
    pub path: PathBuf,
    pub header: Header,
    pub turns: Vec<Turn>,
    /// The last checkpoint (the newest interview state).
    pub checkpoint: Option<Checkpoint>,
    pub end: Option<End>,
    /// Problems that did not stop the load (e.g. a truncated last line was dropped).
    pub warnings: Vec<String>,
}

impl LoadedSession {
    pub fn id(&self) -> &str {
        &self.header.id
    }

    /// The newest interview state, if any exchange was checkpointed.
    pub fn state(&self) -> Option<&InterviewState> {
        self.checkpoint.as_ref().map(|c| &c.state)
    }

    /// Finished when an end record was written or the state says the interview is over.
    pub fn status(&self) -> SessionStatus {
        if self.end.is_some() || self.state().is_some_and(InterviewState::is_over) {
            SessionStatus::Finished
        } else {
            SessionStatus::Unfinished
        }
    }

    /// Token accounting from the last checkpoint (zero without one).
    pub fn usage(&self) -> UsageTotals {
        self.checkpoint
            .as_ref()
            .map(|c| c.usage)
            .unwrap_or_default()
    }

    /// When the session ended, or its last recorded activity if it did not.
    pub fn last_activity(&self) -> DateTime<Utc> {
        let mut at = self.header.started_at;
        if let Some(t) = self.turns.last() {
            at = at.max(t.at);
        }
        if let Some(c) = &self.checkpoint {
            at = at.max(c.at);
        }
        match &self.end {
            Some(end) => end.at,
            None => at,
        }
    }

    /// A one-row summary for listings.
    pub fn summary(&self) -> SessionSummary {
        let state = self.state();
        SessionSummary {
            id: self.header.id.clone(),
            path: self.path.clone(),
            started_at: self.header.started_at,
            mode: self.header.mode,
            model: self.header.model.clone(),
            status: self.status(),
            questions: state.map_or(0, |s| s.questions.len()),
            overall: state
                .filter(|s| !s.questions.is_empty())
                .map(InterviewState::overall),
        }
    }
}

/// One row of [`SessionStore::list`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionSummary {
    pub id: String,
    pub path: PathBuf,
    pub started_at: DateTime<Utc>,
    pub mode: Mode,
    pub model: String,
    pub status: SessionStatus,
    /// Questions asked.
    pub questions: usize,
    /// The overall score, when at least one question was asked.
    pub overall: Option<f32>,
}

/// Every readable session, oldest first, and the errors of the files that could not be read.
#[derive(Debug, Default)]
pub struct Loaded {
    pub sessions: Vec<LoadedSession>,
    pub problems: Vec<StoreError>,
}

/// [`SessionSummary`] rows, oldest first, and the errors of unreadable files.
#[derive(Debug, Default)]
pub struct Listing {
    pub sessions: Vec<SessionSummary>,
    pub problems: Vec<StoreError>,
}

/// The data directory and its session files.
#[derive(Debug, Clone)]
pub struct SessionStore {
    home: PathBuf,
}

impl SessionStore {
    /// The store at `home`, else `INTERVIEWER_HOME`, else the platform data directory.
    /// Nothing is created until a session is.
    pub fn open(home: Option<PathBuf>) -> Result<SessionStore, StoreError> {
        let home = match home {
            Some(h) => h,
            None => match std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
                Some(h) => PathBuf::from(h),
                None => directories::ProjectDirs::from("", "", "interviewer")
                    .map(|d| d.data_dir().to_path_buf())
                    .ok_or(StoreError::NoHome)?,
            },
        };
        Ok(SessionStore { home })
    }

    /// The data directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The directory holding the session files.
    pub fn sessions_dir(&self) -> PathBuf {
        self.home.join("sessions")
    }

    /// The REPL's line-history file (its directory exists once a session was created).
    pub fn history_file(&self) -> PathBuf {
        self.home.join("history.txt")
    }

    /// The file of a session id.
    pub fn path_of(&self, id: &str) -> PathBuf {
        self.sessions_dir().join(format!("{id}.jsonl"))
    }

    /// Create a new session file and write its header.
    ///
    /// An empty `header.id` is replaced by a fresh time-sortable id (unique even when two
    /// sessions start in the same second); a given id must not exist yet.
    pub fn create(&self, mut header: Header) -> Result<SessionWriter, StoreError> {
        let dir = self.sessions_dir();
        std::fs::create_dir_all(&dir).map_err(|source| StoreError::Io {
            action: "create directory",
            path: dir.clone(),
            error: source,
        })?;
        let fixed = !header.id.is_empty();
        let mut attempts = 0;
        let (path, file) = loop {
            if !fixed {
                header.id = new_id(header.started_at);
            }
            let path = self.path_of(&header.id);
            match create_new(&path) {
                Ok(file) => break (path, file),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    attempts += 1;
                    if fixed || attempts >= 64 {
                        return Err(StoreError::Exists { id: header.id });
                    }
                }
                Err(source) => {
                    return Err(StoreError::Io {
                        action: "create",
                        path,
                        error: source,
                    });
                }
            }
        };
        header.format = FORMAT_VERSION;
        header.options.retain(|k, _| !is_secret_name(k));
        let mut writer = SessionWriter {
            path,
            file,
            id: header.id.clone(),
        };
        writer.append(&Record::Header(header))?;
        Ok(writer)
    }

    /// Read a session by id, unique id prefix, or path to a session file.
    pub fn load(&self, id_or_path: &str) -> Result<LoadedSession, StoreError> {
        let as_path = Path::new(id_or_path);
        let looks_like_path = id_or_path.contains(std::path::MAIN_SEPARATOR)
            || id_or_path.contains('/')
            || id_or_path.ends_with(".jsonl");
        if looks_like_path || (as_path.is_file() && !self.path_of(id_or_path).is_file()) {
            return load_file(as_path);
        }
        let exact = self.path_of(id_or_path);
        if exact.is_file() {
            return load_file(&exact);
        }
        let ids = self.ids()?;
        let matches: Vec<&String> = ids.iter().filter(|i| i.starts_with(id_or_path)).collect();
        if let [only] = matches.as_slice() {
            return load_file(&self.path_of(only));
        }
        let mut close: Vec<String> = if matches.len() > 1 {
            matches.into_iter().cloned().collect()
        } else {
            let mut scored: Vec<(f64, &String)> = ids
                .iter()
                .map(|i| (strsim::jaro_winkler(id_or_path, i), i))
                .filter(|(s, _)| *s >= 0.85)
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            scored.into_iter().map(|(_, i)| i.clone()).collect()
        };
        close.truncate(5);
        Err(StoreError::NotFound {
            id: id_or_path.to_string(),
            close,
        })
    }

    /// Session ids on disk, oldest first (ids sort by time).
    pub fn ids(&self) -> Result<Vec<String>, StoreError> {
        let dir = self.sessions_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(vec![]),
            Err(source) => {
                return Err(StoreError::Io {
                    action: "read directory",
                    path: dir,
                    error: source,
                });
            }
        };
        let mut ids: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "jsonl"))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Every session, oldest first; unreadable files are reported in `problems`, not fatal.
    pub fn load_all(&self) -> Result<Loaded, StoreError> {
        let mut out = Loaded::default();
        for id in self.ids()? {
            match load_file(&self.path_of(&id)) {
                Ok(s) => out.sessions.push(s),
                Err(e) => out.problems.push(e),
            }
        }
        out.sessions.sort_by(|a, b| {
            a.header
                .started_at
                .cmp(&b.header.started_at)
                .then_with(|| a.id().cmp(b.id()))
        });
        Ok(out)
    }

    /// Summaries of every session, oldest first, with the unreadable files reported.
    pub fn list(&self) -> Result<Listing, StoreError> {
        let loaded = self.load_all()?;
        Ok(Listing {
            sessions: loaded.sessions.iter().map(LoadedSession::summary).collect(),
            problems: loaded.problems,
        })
    }

    /// The newest readable session.
    pub fn latest(&self) -> Result<Option<LoadedSession>, StoreError> {
        self.latest_where(|_| true)
    }

    /// The newest readable session that has not finished.
    pub fn latest_unfinished(&self) -> Result<Option<LoadedSession>, StoreError> {
        self.latest_where(|s| s.status() == SessionStatus::Unfinished)
    }

    fn latest_where(
        &self,
        keep: impl Fn(&LoadedSession) -> bool,
    ) -> Result<Option<LoadedSession>, StoreError> {
        let mut found: Option<LoadedSession> = None;
        for id in self.ids()?.iter().rev() {
            let Ok(s) = load_file(&self.path_of(id)) else {
                continue;
            };
            if !keep(&s) {
                continue;
            }
            // Ids sort by start time; compare started_at too in case ids were set by hand.
            if found
                .as_ref()
                .is_none_or(|f| s.header.started_at > f.header.started_at)
            {
                found = Some(s);
            }
        }
        Ok(found)
    }
}

/// Appends records to one session file, each synced to disk before returning.
#[derive(Debug)]
pub struct SessionWriter {
    path: PathBuf,
    file: File,
    id: String,
}

impl SessionWriter {
    /// Reopen an existing session file to append to it (resume).
    ///
    /// A partial last line left by a crash is cut off first, so new records start on a line of
    /// their own.
    pub fn reopen(path: &Path) -> Result<SessionWriter, StoreError> {
        let session = load_file(path)?;
        let io_err = |action, source| StoreError::Io {
            action,
            path: path.to_path_buf(),
            error: source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| io_err("open", e))?;
        let text = std::fs::read(path).map_err(|e| io_err("read", e))?;
        if !text.is_empty() && !text.ends_with(b"\n") {
            let tail_start = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            let tail_ok = serde_json::from_slice::<Record>(&text[tail_start..]).is_ok();
            if tail_ok {
                use std::io::Seek;
                file.seek(io::SeekFrom::End(0))
                    .map_err(|e| io_err("write", e))?;
                file.write_all(b"\n").map_err(|e| io_err("write", e))?;
            } else {
                file.set_len(tail_start as u64)
                    .map_err(|e| io_err("truncate", e))?;
            }
            file.sync_data().map_err(|e| io_err("sync", e))?;
        }
        drop(file);
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| io_err("open", e))?;
        Ok(SessionWriter {
            path: path.to_path_buf(),
            file,
            id: session.header.id,
        })
    }

    /// Append one record as a JSON line. Every record reaches the OS at once (a killed process
    /// loses nothing written); checkpoints, headers and end records are also synced to disk, which
    /// makes every line before them durable too.
    pub fn append(&mut self, record: &Record) -> Result<(), StoreError> {
        let mut line = serde_json::to_string(record)?;
        line.push('\n');
        let io_err = |source| StoreError::Io {
            action: "write",
            path: self.path.clone(),
            error: source,
        };
        self.file.write_all(line.as_bytes()).map_err(io_err)?;
        self.file.flush().map_err(io_err)?;
        match record {
            Record::Turn(_) => Ok(()),
            Record::Header(_) | Record::Checkpoint(_) | Record::End(_) => {
                self.file.sync_data().map_err(io_err)
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// A fresh time-sortable session id: `YYYYMMDD-HHMMSS-xxxx` (UTC, 4 random hex digits).
pub fn new_id(at: DateTime<Utc>) -> String {
    format!(
        "{}-{:04x}",
        at.format("%Y%m%d-%H%M%S"),
        rand::random::<u16>()
    )
}

/// Option names that could hold a credential; such options are never written to disk.
fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace('-', "_");
    [
        "api_key",
        "apikey",
        "secret",
        "password",
        "authorization",
        "bearer",
    ]
    .iter()
    .any(|s| n.contains(s))
}

fn create_new(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.append(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Read a session file.
pub fn load_file(path: &Path) -> Result<LoadedSession, StoreError> {
    let bytes = std::fs::read(path).map_err(|source| StoreError::Io {
        action: "read",
        path: path.to_path_buf(),
        error: source,
    })?;
    parse_session(path, &bytes)
}

/// Parse the bytes of a session file (`path` names it in errors).
pub fn parse_session(path: &Path, bytes: &[u8]) -> Result<LoadedSession, StoreError> {
    let corrupt = |line: usize, message: String| StoreError::Corrupt {
        path: path.to_path_buf(),
        line,
        message,
    };
    let ends_with_newline = bytes.ends_with(b"\n");
    let lines: Vec<(usize, &[u8])> = bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix(b"\r").unwrap_or(l)))
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .collect();
    let last_line = lines.last().map(|(n, _)| *n);
    let mut warnings = vec![];
    let mut header: Option<Header> = None;
    let mut turns = vec![];
    let mut checkpoint = None;
    let mut end = None;
    for &(n, raw) in &lines {
        let record = match parse_line(raw, header.is_none()) {
            Ok(r) => r,
            Err(LineError::Newer(found)) => {
                return Err(StoreError::NewerFormat {
                    path: path.to_path_buf(),
                    found,
                });
            }
            Err(LineError::Bad { message, eof }) => {
                let truncated = Some(n) == last_line && (!ends_with_newline || eof);
                if truncated && header.is_some() {
                    warnings.push(format!(
                        "{}:{n}: dropped an incomplete last line (the session was interrupted while writing it)",
                        path.display()
                    ));
                    continue;
                }
                return Err(corrupt(n, message));
            }
        };
        match (record, header.is_some()) {
            (Record::Header(h), false) => header = Some(h),
            (_, false) => {
                return Err(StoreError::NoHeader {
                    path: path.to_path_buf(),
                    line: n,
                });
            }
            (Record::Header(_), true) => {
                return Err(corrupt(n, "a second session header".to_string()));
            }
            (Record::Turn(t), true) => turns.push(t),
            (Record::Checkpoint(c), true) => checkpoint = Some(*c),
            (Record::End(e), true) => end = Some(e),
        }
    }
    let header = header.ok_or_else(|| StoreError::Empty {
        path: path.to_path_buf(),
    })?;
    Ok(LoadedSession {
        path: path.to_path_buf(),
        header,
        turns,
        checkpoint,
        end,
        warnings,
    })
}

/// Why one line did not parse.
enum LineError {
    /// A header of a newer format version.
    Newer(u64),
    /// Not a record; `eof` when the JSON stopped short (a partial write).
    Bad { message: String, eof: bool },
}

fn parse_line(raw: &[u8], expect_header: bool) -> Result<Record, LineError> {
    let text = std::str::from_utf8(raw).map_err(|e| LineError::Bad {
        message: format!("not UTF-8 text ({e})"),
        eof: false,
    })?;
    if expect_header {
        // Check the version before the fields: a newer header may not parse as ours.
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
            let is_header = value.get("type").and_then(serde_json::Value::as_str) == Some("header");
            let format = value.get("format").and_then(serde_json::Value::as_u64);
            if let Some(f) = format.filter(|f| is_header && *f > u64::from(FORMAT_VERSION)) {
                return Err(LineError::Newer(f));
            }
        }
    }
    serde_json::from_str::<Record>(text).map_err(|e| LineError::Bad {
        message: e.to_string(),
        eof: e.is_eof(),
    })
}

#[cfg(test)]
mod tests {
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
        assert_eq!(listing.sessions[0].overall, Some(0.0));
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
    fn credential_like_options_are_never_written() {
        let (_d, store) = store();
        let mut h = header("");
        h.options.insert("judge".into(), "llm".into());
        h.options.insert("api_key".into(), "sk-test".into());
        h.options.insert("OPENAI-API-KEY".into(), "sk-test".into());
        let w = store.create(h).unwrap();
        let text = std::fs::read_to_string(w.path()).unwrap();
        assert!(!text.contains("sk-test"), "{text}");
        assert!(text.contains("\"judge\":\"llm\""));
    }

    #[test]
    fn home_comes_from_argument_and_history_file_lives_there() {
        let (d, store) = store();
        assert_eq!(store.history_file(), d.path().join("history.txt"));
        assert_eq!(store.sessions_dir(), d.path().join("sessions"));
    }
}
