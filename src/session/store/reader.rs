//! Reading a session file back: header first, updates applied to the checkpoint before them, a
//! truncated last line dropped with a warning, a corrupt line an error naming file and line, newer
//! formats refused.

use super::*;

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
    // The JSON of the latest state (without its time) while updates are applied to it, with the
    // time and line of the last update.
    let mut updated: Option<(serde_json::Value, DateTime<Utc>, usize)> = None;
    let mut checkpoint_line: &[u8] = &[];
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
            (Record::Checkpoint(c), true) => {
                checkpoint = Some(*c);
                checkpoint_line = raw;
                updated = None;
            }
            (Record::Update(u), true) => {
                let mut value = match updated.take() {
                    Some((value, ..)) => value,
                    None if checkpoint.is_some() => {
                        whole_state(checkpoint_line).ok_or_else(|| {
                            corrupt(n, "the checkpoint before it did not parse".into())
                        })?
                    }
                    None => return Err(corrupt(n, "an update before any checkpoint".into())),
                };
                delta::apply(&mut value, &u.changes).map_err(|e| corrupt(n, e))?;
                updated = Some((value, u.at, n));
            }
            (Record::End(e), true) => end = Some(e),
        }
    }
    let header = header.ok_or_else(|| StoreError::Empty {
        path: path.to_path_buf(),
    })?;
    if let Some((mut value, at, n)) = updated {
        if let Some(map) = value.as_object_mut() {
            map.insert("at".into(), serde_json::to_value(at)?);
        }
        let state = serde_json::from_value(value)
            .map_err(|e| corrupt(n, format!("the updated state does not read back: {e}")))?;
        checkpoint = Some(state);
    }
    Ok(LoadedSession {
        path: path.to_path_buf(),
        header,
        turns,
        checkpoint,
        end,
        warnings,
    })
}

/// The state of a whole checkpoint's line as the writer compared it: its JSON without the record
/// type and the time.
fn whole_state(line: &[u8]) -> Option<serde_json::Value> {
    let mut value: serde_json::Value = serde_json::from_slice(line).ok()?;
    let map = value.as_object_mut()?;
    map.remove("type");
    map.remove("at");
    Some(value)
}

/// Why one line did not parse.
pub(super) enum LineError {
    /// A header of a newer format version.
    Newer(u64),
    /// Not a record; `eof` when the JSON stopped short (a partial write).
    Bad { message: String, eof: bool },
}

pub(super) fn parse_line(raw: &[u8], expect_header: bool) -> Result<Record, LineError> {
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
