//! How the answers were given, for the review: time per answer and, for spoken answers, pace,
//! pauses and fillers per question and for the whole session. Delivery never changes a score.

use crate::session::{Speaker, Turn};
use crate::spoken::{SpokenStats, clock, display_filler};
use crate::state::QuestionRecord;

/// One question's answers as given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timing {
    /// Seconds each answer took, in order (answers from sessions that did not time them are left
    /// out).
    pub answer_seconds: Vec<f64>,
    /// The spoken answers together.
    pub spoken: Option<SpokenStats>,
    /// How many answers were spoken.
    pub spoken_answers: usize,
}

impl Timing {
    /// Seconds over all timed answers, if any was timed.
    pub fn total(&self) -> Option<f64> {
        (!self.answer_seconds.is_empty()).then(|| self.answer_seconds.iter().sum())
    }
}

/// The timing of a question's answers, from the candidate's turns: each answer takes the first
/// turn of the question with its text that no earlier answer took (an answer sent again after a
/// failed call is logged twice).
pub fn question_timing(q: &QuestionRecord, turns: &[Turn]) -> Timing {
    let mut used = vec![false; turns.len()];
    let mut out = Timing::default();
    let mut spoken: Vec<&SpokenStats> = vec![];
    for answer in q.answers() {
        let found = turns.iter().enumerate().position(|(i, t)| {
            !used[i]
                && t.speaker == Speaker::Candidate
                && t.question.as_deref() == Some(q.id.as_str())
                && t.text == answer
        });
        let Some(i) = found else { continue };
        used[i] = true;
        if let Some(d) = &turns[i].delivery {
            out.answer_seconds.push(d.seconds);
            if let Some(s) = &d.spoken {
                spoken.push(s);
            }
        }
    }
    out.spoken_answers = spoken.len();
    out.spoken = SpokenStats::combine(spoken);
    out
}

/// "0:42 (0:30, follow-up 0:12)": the question's time and each answer's.
pub fn time_line(t: &Timing) -> Option<String> {
    let total = t.total()?;
    if t.answer_seconds.len() == 1 {
        return Some(clock(total));
    }
    let parts: Vec<String> = t
        .answer_seconds
        .iter()
        .enumerate()
        .map(|(i, s)| match i {
            0 => clock(*s),
            _ => format!("follow-up {}", clock(*s)),
        })
        .collect();
    Some(format!("{} ({})", clock(total), parts.join(", ")))
}

/// The spoken line of a question: "1 spoken answer: 0:42, 148 wpm, ...".
pub fn spoken_line(t: &Timing) -> Option<String> {
    let s = t.spoken.as_ref()?;
    let answers = match t.spoken_answers {
        1 => "1 spoken answer".to_string(),
        n => format!("{n} spoken answers"),
    };
    Some(format!("{answers}: {}", s.line()))
}

/// The whole session: every timed answer and every spoken one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionDelivery {
    pub answers_timed: usize,
    pub answer_seconds: f64,
    pub spoken_answers: usize,
    pub spoken: Option<SpokenStats>,
}

/// Sum the questions' timings.
pub fn session_delivery<'a>(timings: impl IntoIterator<Item = &'a Timing>) -> SessionDelivery {
    let mut out = SessionDelivery::default();
    let mut spoken: Vec<&SpokenStats> = vec![];
    for t in timings {
        out.answers_timed += t.answer_seconds.len();
        out.answer_seconds += t.answer_seconds.iter().sum::<f64>();
        out.spoken_answers += t.spoken_answers;
        spoken.extend(t.spoken.as_ref());
    }
    out.answer_seconds = (out.answer_seconds * 10.0).round() / 10.0;
    out.spoken = SpokenStats::combine(spoken);
    out
}

/// The summary lines at the end of a review: time answering, and how the spoken answers went.
pub fn summary_lines(d: &SessionDelivery) -> Vec<String> {
    let mut lines = vec![];
    if d.answers_timed > 0 {
        lines.push(format!(
            "Time answering: {} over {} answers (mean {} an answer).",
            clock(d.answer_seconds),
            d.answers_timed,
            clock(d.answer_seconds / d.answers_timed as f64)
        ));
    }
    if let Some(s) = &d.spoken {
        lines.push(format!(
            "Spoken answers: {} ({} of speech), {:.0} words per minute, longest pause {:.1} s.",
            d.spoken_answers,
            clock(s.seconds),
            s.words_per_minute,
            s.longest_pause_s
        ));
        let fillers = if s.fillers.is_empty() {
            "Fillers: none.".to_string()
        } else {
            let listed: Vec<String> = s
                .fillers
                .iter()
                .map(|(f, n)| format!("\"{}\" {n}", display_filler(f)))
                .collect();
            format!(
                "Fillers: {} ({:.1} a minute): {}.",
                s.filler_count(),
                s.fillers_per_minute(),
                listed.join(", ")
            )
        };
        lines.push(format!("{fillers} Fillers neither earn nor cost points."));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::Domain;
    use crate::spoken::{Delivery, Segment};
    use chrono::Utc;

    fn turn(text: &str, delivery: Option<Delivery>) -> Turn {
        Turn {
            speaker: Speaker::Candidate,
            text: text.into(),
            at: Utc::now(),
            question: Some("kv".into()),
            delivery,
        }
    }

    fn spoken(text: &str, seconds: f64) -> SpokenStats {
        SpokenStats::measure(
            text,
            &[Segment {
                start: 0.0,
                end: seconds,
                text: text.into(),
            }],
            Some(seconds),
        )
    }

    #[test]
    fn each_answer_takes_its_own_turn_and_spoken_ones_combine() {
        let mut q = QuestionRecord::new("kv", Domain::Inference);
        q.add_answer("um it caches keys");
        q.add_probe("Why?", None);
        q.add_answer("typed reason");
        let turns = vec![
            turn(
                "um it caches keys",
                Some(Delivery::spoken(20.0, spoken("um it caches keys", 2.0))),
            ),
            // The same answer sent again after a failed call.
            turn("um it caches keys", Some(Delivery::typed(25.0))),
            turn("typed reason", Some(Delivery::typed(12.0))),
        ];
        let t = question_timing(&q, &turns);
        assert_eq!(t.answer_seconds, [20.0, 12.0]);
        assert_eq!(t.spoken_answers, 1);
        assert_eq!(t.spoken.as_ref().unwrap().fillers.get("um"), Some(&1));
        assert_eq!(time_line(&t).unwrap(), "0:32 (0:20, follow-up 0:12)");
        assert!(
            spoken_line(&t)
                .unwrap()
                .starts_with("1 spoken answer: 0:02, 120 wpm")
        );
        let d = session_delivery([&t]);
        let lines = summary_lines(&d);
        assert_eq!(
            lines[0],
            "Time answering: 0:32 over 2 answers (mean 0:16 an answer)."
        );
        assert!(
            lines[2].starts_with("Fillers: 1 (30.0 a minute): \"um\" 1."),
            "{lines:?}"
        );
    }

    #[test]
    fn old_sessions_have_no_timing() {
        let mut q = QuestionRecord::new("kv", Domain::Inference);
        q.add_answer("an answer");
        let t = question_timing(&q, &[turn("an answer", None)]);
        assert_eq!(t, Timing::default());
        assert!(time_line(&t).is_none() && spoken_line(&t).is_none());
        assert!(summary_lines(&session_delivery([&t])).is_empty());
    }
}
