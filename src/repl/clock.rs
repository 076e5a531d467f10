//! The timer on every question: while the candidate answers, a note at each full minute and,
//! with a time limit, a warning 30 seconds before it and a note when it has passed. Nothing is
//! ever cut off.

use super::Notifier;
use crate::spoken::clock;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long before the limit the warning comes.
pub const WARN_BEFORE: Duration = Duration::from_secs(30);
const TICK: Duration = Duration::from_millis(200);

/// The notes due between `before` and `now` (both since the question was put), oldest first.
pub fn notes_due(before: Duration, now: Duration, limit: Option<Duration>) -> Vec<String> {
    let mut due: Vec<(Duration, String)> = vec![];
    let crossed = |at: Duration| before < at && at <= now;
    if let Some(limit) = limit {
        let warn_at = limit.saturating_sub(WARN_BEFORE);
        if warn_at > Duration::ZERO && crossed(warn_at) {
            let left = (limit - warn_at).as_secs();
            due.push((
                warn_at,
                format!(
                    "⏱ {left} s left of the {} for this answer (nothing is cut off)",
                    clock(limit.as_secs_f64())
                ),
            ));
        }
        if crossed(limit) {
            due.push((
                limit,
                format!(
                    "⏱ {} is up for this answer: wrap up when you are ready",
                    clock(limit.as_secs_f64())
                ),
            ));
        }
    }
    let first_minute = before.as_secs() / 60 + 1;
    for m in first_minute..=now.as_secs() / 60 {
        let at = Duration::from_secs(m * 60);
        if crossed(at) && limit != Some(at) {
            due.push((at, format!("⏱ {} on this answer", clock(at.as_secs_f64()))));
        }
    }
    due.sort_by_key(|(at, _)| *at);
    due.into_iter().map(|(_, note)| note).collect()
}

/// Shows the timer's notes while a read waits; stops when dropped.
pub struct Ticker {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Ticker {
    /// Start showing the notes of a question put at `started`.
    pub fn start(started: Instant, limit: Option<Duration>, mut notify: Notifier) -> Ticker {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("timer".into())
            .spawn(move || {
                let mut before = started.elapsed();
                while !flag.load(Ordering::SeqCst) {
                    std::thread::sleep(TICK);
                    let now = started.elapsed();
                    for note in notes_due(before, now, limit) {
                        if flag.load(Ordering::SeqCst) {
                            return;
                        }
                        notify(note);
                    }
                    before = now;
                }
            })
            .ok();
        Ticker { stop, handle }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Parse a time limit: `2m`, `90s`, `1m30s` or plain seconds (`90`).
pub fn parse_limit(text: &str) -> Result<Duration, String> {
    let t = text.trim().to_ascii_lowercase();
    let bad = || format!("invalid time limit \"{text}\": use e.g. 2m, 90s or 1m30s");
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return (secs > 0)
            .then(|| Duration::from_secs(secs))
            .ok_or_else(bad);
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in t.chars() {
        match c {
            '0'..='9' => number.push(c),
            'h' | 'm' | 's' => {
                let n: u64 = number.parse().map_err(|_| bad())?;
                number.clear();
                total += n * match c {
                    'h' => 3600,
                    'm' => 60,
                    _ => 1,
                };
            }
            _ => return Err(bad()),
        }
    }
    if !number.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn a_note_each_minute_without_a_limit() {
        assert!(notes_due(s(0), s(59), None).is_empty());
        assert_eq!(notes_due(s(59), s(60), None), ["⏱ 1:00 on this answer"]);
        assert_eq!(notes_due(s(60), s(121), None), ["⏱ 2:00 on this answer"]);
    }

    #[test]
    fn a_two_minute_limit_warns_at_ninety_seconds_and_never_cuts_off() {
        assert_eq!(
            notes_due(s(89), s(90), Some(s(120))),
            ["⏱ 30 s left of the 2:00 for this answer (nothing is cut off)"]
        );
        assert_eq!(
            notes_due(s(119), s(120), Some(s(120))),
            ["⏱ 2:00 is up for this answer: wrap up when you are ready"]
        );
        let all = notes_due(s(0), s(200), Some(s(120)));
        assert_eq!(all.len(), 4, "{all:?}");
        assert!(all[0].contains("1:00 on this answer"), "{all:?}");
        assert!(all[3].contains("3:00 on this answer"), "{all:?}");
    }

    #[test]
    fn limits_parse_in_minutes_and_seconds() {
        assert_eq!(parse_limit("2m"), Ok(s(120)));
        assert_eq!(parse_limit("90s"), Ok(s(90)));
        assert_eq!(parse_limit("1m30s"), Ok(s(90)));
        assert_eq!(parse_limit("45"), Ok(s(45)));
        for bad in ["", "0", "2x", "m", "2m3"] {
            assert!(parse_limit(bad).is_err(), "{bad}");
        }
    }
}
