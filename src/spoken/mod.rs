//! How the candidate spoke: an answer's duration, pace, longest pause and filler words, measured
//! from its transcript and the recogniser's timed segments, and how long each answer took.
//!
//! Nothing here affects a score: these are notes on delivery, shown beside the scores.

pub mod fillers;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A stretch of recognised speech, with its start and end in seconds from the recording's start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    #[serde(default)]
    pub text: String,
}

/// How one spoken answer (or several together) was spoken.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpokenStats {
    /// Length of the recording, in seconds.
    pub seconds: f64,
    /// Words recognised, fillers included.
    #[serde(default)]
    pub words: usize,
    /// Words per minute over the recording (0 when it is too short to tell).
    pub words_per_minute: f64,
    /// How often each filler was used (see [`fillers::FILLERS`]).
    #[serde(default)]
    pub fillers: BTreeMap<String, u32>,
    /// The longest silence between two stretches of speech, in seconds.
    pub longest_pause_s: f64,
}

/// Recordings shorter than this have no meaningful pace.
const MIN_SECONDS: f64 = 0.5;

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

fn per_minute(words: usize, seconds: f64) -> f64 {
    if seconds < MIN_SECONDS {
        0.0
    } else {
        round(words as f64 * 60.0 / seconds, 1)
    }
}

impl SpokenStats {
    /// Measure a transcript: `duration` is the recording's length when the recogniser reported
    /// it, else the end of the last segment.
    pub fn measure(text: &str, segments: &[Segment], duration: Option<f64>) -> SpokenStats {
        let seconds = duration
            .filter(|d| d.is_finite() && *d > 0.0)
            .or_else(|| segments.iter().map(|s| s.end).reduce(f64::max))
            .unwrap_or(0.0)
            .max(0.0);
        let words = fillers::word_count(text);
        let longest_pause_s = segments
            .windows(2)
            .map(|w| w[1].start - w[0].end)
            .filter(|gap| gap.is_finite())
            .fold(0.0, f64::max);
        SpokenStats {
            seconds: round(seconds, 2),
            words,
            words_per_minute: per_minute(words, seconds),
            fillers: fillers::count(text),
            longest_pause_s: round(longest_pause_s, 2),
        }
    }

    /// All the fillers used.
    pub fn filler_count(&self) -> u32 {
        self.fillers.values().sum()
    }

    /// Fillers per minute of speech (0 when too short to tell).
    pub fn fillers_per_minute(&self) -> f64 {
        if self.seconds < MIN_SECONDS {
            0.0
        } else {
            round(f64::from(self.filler_count()) * 60.0 / self.seconds, 1)
        }
    }

    /// Several answers as one: durations, words and fillers add up, the pace is over the whole,
    /// the longest pause is the longest of any. `None` when there are none.
    pub fn combine<'a>(all: impl IntoIterator<Item = &'a SpokenStats>) -> Option<SpokenStats> {
        let mut out: Option<SpokenStats> = None;
        for s in all {
            let acc = out.get_or_insert_with(SpokenStats::default);
            acc.seconds += s.seconds;
            acc.words += s.words;
            acc.longest_pause_s = acc.longest_pause_s.max(s.longest_pause_s);
            for (f, n) in &s.fillers {
                *acc.fillers.entry(f.clone()).or_default() += n;
            }
        }
        if let Some(acc) = &mut out {
            acc.seconds = round(acc.seconds, 2);
            acc.words_per_minute = per_minute(acc.words, acc.seconds);
        }
        out
    }

    /// "42s, 148 wpm, longest pause 1.2 s, fillers: um 2, you know 1" (or "no fillers").
    pub fn line(&self) -> String {
        let fillers = if self.fillers.is_empty() {
            "no fillers".to_string()
        } else {
            let listed: Vec<String> = self
                .fillers
                .iter()
                .map(|(f, n)| format!("\"{}\" {n}", display_filler(f)))
                .collect();
            format!("fillers: {}", listed.join(", "))
        };
        format!(
            "{}, {:.0} wpm, longest pause {:.1} s, {fillers}",
            clock(self.seconds),
            self.words_per_minute,
            self.longest_pause_s
        )
    }
}

/// A filler as people write it ("I mean", not "i mean").
pub fn display_filler(f: &str) -> String {
    if f == "i mean" {
        "I mean".to_string()
    } else {
        f.to_string()
    }
}

/// Seconds as `m:ss`.
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// How an answer was given: how long it took and, when it was spoken, how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Seconds from the question (or probe) being put to the answer being sent.
    pub seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spoken: Option<SpokenStats>,
}

impl Delivery {
    /// A typed answer that took `seconds`.
    pub fn typed(seconds: f64) -> Delivery {
        Delivery {
            seconds: round(seconds, 1),
            spoken: None,
        }
    }

    /// A spoken answer that took `seconds` in all.
    pub fn spoken(seconds: f64, stats: SpokenStats) -> Delivery {
        Delivery {
            seconds: round(seconds, 1),
            spoken: Some(stats),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(start: f64, end: f64) -> Segment {
        Segment {
            start,
            end,
            text: String::new(),
        }
    }

    #[test]
    fn pace_pause_and_fillers_of_one_answer() {
        let text = "Um, the cache keeps keys and values, you know, so nothing is recomputed.";
        let s = SpokenStats::measure(text, &[seg(0.0, 2.5), seg(4.0, 6.0)], Some(6.0));
        assert_eq!(s.words, 13);
        assert_eq!(s.words_per_minute, 130.0);
        assert_eq!(s.longest_pause_s, 1.5);
        assert_eq!(s.fillers.get("um"), Some(&1));
        assert_eq!(s.fillers.get("you know"), Some(&1));
        assert_eq!(s.filler_count(), 2);
        assert_eq!(s.fillers_per_minute(), 20.0);
    }

    #[test]
    fn duration_falls_back_to_the_last_segment_and_short_clips_have_no_pace() {
        let s = SpokenStats::measure("one two three", &[seg(0.0, 1.5)], None);
        assert_eq!(s.seconds, 1.5);
        assert_eq!(s.words_per_minute, 120.0);
        let s = SpokenStats::measure("one", &[], None);
        assert_eq!((s.seconds, s.words_per_minute), (0.0, 0.0));
    }

    #[test]
    fn answers_combine_into_one() {
        let a = SpokenStats::measure("um one two", &[seg(0.0, 1.0), seg(3.0, 6.0)], Some(6.0));
        let b = SpokenStats::measure("uh three four um", &[], Some(6.0));
        let both = SpokenStats::combine([&a, &b]).unwrap();
        assert_eq!(both.seconds, 12.0);
        assert_eq!(both.words, 7);
        assert_eq!(both.words_per_minute, 35.0);
        assert_eq!(both.longest_pause_s, 2.0);
        assert_eq!(both.fillers.get("um"), Some(&2));
        assert!(SpokenStats::combine([]).is_none());
    }

    #[test]
    fn one_line_for_humans() {
        let s = SpokenStats::measure("I mean, um, yes", &[seg(0.0, 3.0)], Some(65.0));
        assert_eq!(
            s.line(),
            "1:05, 4 wpm, longest pause 0.0 s, fillers: \"I mean\" 1, \"um\" 1"
        );
        assert_eq!(clock(59.6), "1:00");
    }

    #[test]
    fn a_delivery_without_speech_keeps_no_spoken_field() {
        let json = serde_json::to_string(&Delivery::typed(12.34)).unwrap();
        assert_eq!(json, r#"{"seconds":12.3}"#);
        let back: Delivery = serde_json::from_str(r#"{"seconds":3}"#).unwrap();
        assert_eq!(back, Delivery::typed(3.0));
    }
}
