//! Appending records to a session file: created exclusively, one JSON line per record written at
//! once, synced on checkpoints, updates, headers and end records; credentials never written.

use super::*;

/// Appends records to one session file, each synced to disk before returning.
#[derive(Debug)]
pub struct SessionWriter {
    pub(super) path: PathBuf,
    pub(super) file: File,
    pub(super) id: String,
    /// The JSON of the state last saved (without its time), which the next save is compared with.
    pub(super) saved: Option<serde_json::Value>,
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
            // The first save after a resume is whole: it is the base the reader applies later
            // updates to, whatever format the file was written in.
            saved: None,
        })
    }

    /// Save the interview state: whole the first time, then only what changed since the last save
    /// (an update with no changes still records when the state was saved).
    pub fn save(&mut self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        let value = state_value(checkpoint)?;
        let Some(saved) = &self.saved else {
            return self.append(&Record::Checkpoint(Box::new(checkpoint.clone())));
        };
        let changes = delta::diff(saved, &value);
        self.append(&Record::Update(Update {
            at: checkpoint.at,
            changes,
        }))?;
        self.saved = Some(value);
        Ok(())
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
        if let Record::Checkpoint(c) = record {
            self.saved = Some(state_value(c)?);
        }
        match record {
            Record::Turn(_) => Ok(()),
            Record::Header(_) | Record::Checkpoint(_) | Record::Update(_) | Record::End(_) => {
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

/// A checkpoint's JSON as the reader rebuilds it, without its time (which every update carries):
/// numbers go through their text, so what is compared is what is written.
pub(super) fn state_value(checkpoint: &Checkpoint) -> Result<serde_json::Value, StoreError> {
    let mut value: serde_json::Value = serde_json::from_str(&serde_json::to_string(checkpoint)?)?;
    if let Some(map) = value.as_object_mut() {
        map.remove("at");
    }
    Ok(value)
}

/// A fresh time-sortable session id: `YYYYMMDD-HHMMSS-xxxx` (UTC, 4 random hex digits).
pub fn new_id(at: DateTime<Utc>) -> String {
    format!(
        "{}-{:04x}",
        at.format("%Y%m%d-%H%M%S"),
        rand::random::<u16>()
    )
}

pub(super) fn create_new(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.append(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}
