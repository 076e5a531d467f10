//! Where sessions live on disk and how they are written and read back.
//!
//! The data directory is `INTERVIEWER_HOME` when set, else the platform data directory. Each
//! session is one `sessions/<id>.jsonl` file; every record is appended as one JSON line and synced
//! to disk, so a crash loses at most the line being written. Reading tolerates exactly that: an
//! unparseable last line is dropped with a warning, any other bad line is an error naming the
//! file and line.

use super::{Checkpoint, End, FORMAT_VERSION, Header, Record, Turn, Update, UsageTotals};
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
        format!(
            " (see `{}` for the list)",
            crate::strings::command("history")
        )
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
            overall: state.and_then(InterviewState::overall),
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
    /// The overall score, when at least one question was answered.
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
        let mut writer = SessionWriter {
            path,
            file,
            id: header.id.clone(),
            saved: None,
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

pub mod delta;
mod reader;
mod writer;

pub use reader::{load_file, parse_session};
use writer::*;
pub use writer::{SessionWriter, new_id};

#[cfg(test)]
mod tests;
