//! One question as it went: a list of exchanges, each something put to the candidate (the
//! question, then each probe) with what came back (an answer and its score, a skip, hints).
//!
//! Session files of format 1 kept four parallel lists (answers, probes, probed points, scores);
//! they load into exchanges through [`StoredRecord`].

use crate::bank::Domain;
use crate::scoring::Score;
use serde::{Deserialize, Serialize};

pub use crate::scoring::reconcile::JudgeRecord;

/// Something put to the candidate and what came back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// The follow-up probe put to the candidate; `None` for the question itself (and for a
    /// further answer given without a probe).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<String>,
    /// The rubric point the probe targeted, when the probing policy chose it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// The question's score once this answer was scored (with the answers before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
    /// `/skip` while this was on the table.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
    /// `/hint` while this was on the table (each caps the question's score).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hints: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Exchange {
    /// Still waiting for the candidate: neither answered nor skipped.
    pub fn open(&self) -> bool {
        self.answer.is_none() && !self.skipped
    }
}

/// Everything known about one question once it has been asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "StoredRecord")]
pub struct QuestionRecord {
    pub id: String,
    pub domain: Domain,
    /// In order; the first is the question itself, so there is always one.
    pub exchanges: Vec<Exchange>,
    /// The LLM judge's score when one was used, next to the rubric scorer's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<JudgeRecord>,
}

/// Where a question stands: answered (even if a later probe was skipped), skipped before any
/// answer (it counts 0), or asked but never answered (it does not count at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionStatus {
    Answered,
    Skipped,
    NotReached,
}

impl QuestionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionStatus::Answered => "answered",
            QuestionStatus::Skipped => "skipped",
            QuestionStatus::NotReached => "not_reached",
        }
    }
}

impl QuestionRecord {
    /// A question just asked: one open exchange.
    pub fn new(id: impl Into<String>, domain: Domain) -> Self {
        Self {
            id: id.into(),
            domain,
            exchanges: vec![Exchange::default()],
            judge: None,
        }
    }

    /// The candidate's answers, in order.
    pub fn answers(&self) -> impl Iterator<Item = &str> {
        self.exchanges.iter().filter_map(|e| e.answer.as_deref())
    }

    pub fn answer_count(&self) -> usize {
        self.answers().count()
    }

    pub fn latest_answer(&self) -> Option<&str> {
        self.exchanges
            .iter()
            .rev()
            .find_map(|e| e.answer.as_deref())
    }

    /// The probes put to the candidate, in order.
    pub fn probes(&self) -> impl Iterator<Item = &str> {
        self.exchanges.iter().filter_map(|e| e.probe.as_deref())
    }

    pub fn probe_count(&self) -> usize {
        self.probes().count()
    }

    pub fn asked_probe(&self, text: &str) -> bool {
        self.probes().any(|p| p == text)
    }

    /// The rubric point of the latest probe, when the policy chose it.
    pub fn latest_probed_point(&self) -> Option<&str> {
        self.exchanges
            .iter()
            .rev()
            .find(|e| e.probe.is_some())
            .and_then(|e| e.point.as_deref())
    }

    /// Every score, in order (one per scored answer).
    pub fn scores(&self) -> impl Iterator<Item = &Score> {
        self.exchanges.iter().filter_map(|e| e.score.as_ref())
    }

    /// The question's current score (the latest), if any answer was scored.
    pub fn score(&self) -> Option<&Score> {
        self.exchanges.iter().rev().find_map(|e| e.score.as_ref())
    }

    /// Whether the latest verdict marks `point` covered: a point the candidate already made.
    pub fn made(&self, point: &str) -> bool {
        self.score().and_then(|s| s.verdict(point)) == Some(crate::scoring::Verdict::Covered)
    }

    /// The score before the latest one.
    pub fn previous_score(&self) -> Option<&Score> {
        let mut scores = self.exchanges.iter().rev().filter_map(|e| e.score.as_ref());
        scores.next()?;
        scores.next()
    }

    /// The wrong claims the score before the latest one held (the interviewer spoke to them then)
    /// that the latest answer, scored `alone`, does not state again: not to be said twice.
    pub fn claims_said_before(&self, alone: &Score) -> Vec<String> {
        let Some(then) = self.previous_score() else {
            return vec![];
        };
        then.misconceptions
            .iter()
            .chain(&then.doubts)
            .filter(|c| !alone.misconceptions.contains(c) && !alone.doubts.contains(c))
            .cloned()
            .collect()
    }

    pub fn hints(&self) -> u32 {
        self.exchanges.iter().map(|e| e.hints).sum()
    }

    /// Whether `/skip` was used on the question or one of its probes.
    pub fn skipped(&self) -> bool {
        self.exchanges.iter().any(|e| e.skipped)
    }

    /// The exchange waiting for the candidate, if any.
    pub fn open_exchange(&self) -> Option<&Exchange> {
        self.exchanges.last().filter(|e| e.open())
    }

    /// The question itself is still waiting for its first answer.
    pub fn awaiting_first_answer(&self) -> bool {
        self.answer_count() == 0 && !self.skipped()
    }

    /// The probe waiting for an answer, if one is.
    pub fn open_probe(&self) -> Option<&str> {
        self.open_exchange().and_then(|e| e.probe.as_deref())
    }

    /// The latest answer has no probe after it yet.
    pub fn unprobed_answer(&self) -> bool {
        self.exchanges.last().is_some_and(|e| e.answer.is_some())
    }

    /// An answer to whatever is on the table (a further exchange when nothing is).
    pub fn add_answer(&mut self, text: impl Into<String>) {
        match self.exchanges.last_mut().filter(|e| e.open()) {
            Some(open) => open.answer = Some(text.into()),
            None => self.exchanges.push(Exchange {
                answer: Some(text.into()),
                ..Exchange::default()
            }),
        }
    }

    /// A follow-up probe put to the candidate.
    pub fn add_probe(&mut self, text: impl Into<String>, point: Option<String>) {
        self.exchanges.push(Exchange {
            probe: Some(text.into()),
            point: point.filter(|p| !p.is_empty()),
            ..Exchange::default()
        });
    }

    /// `/skip`: what is on the table is skipped.
    pub fn skip(&mut self) {
        if let Some(last) = self.exchanges.last_mut() {
            last.skipped = true;
        }
    }

    /// `/hint` on what is on the table.
    pub fn add_hint(&mut self) {
        if let Some(last) = self.exchanges.last_mut() {
            last.hints += 1;
        }
    }

    /// The latest answer still without a score (none after a skip).
    pub fn unscored_answer(&self) -> Option<&str> {
        if self.skipped() {
            return None;
        }
        let answered = self.exchanges.iter().rev().find(|e| e.answer.is_some())?;
        answered
            .score
            .is_none()
            .then_some(answered.answer.as_deref())?
    }

    /// Record the question's score after its latest answer; earlier answers that were never
    /// scored on their own take the same score.
    pub fn set_score(&mut self, score: Score) {
        let Some(latest) = self.exchanges.iter().rposition(|e| e.answer.is_some()) else {
            return;
        };
        for e in &mut self.exchanges[..latest] {
            if e.answer.is_some() && e.score.is_none() {
                e.score = Some(score.clone());
            }
        }
        self.exchanges[latest].score = Some(score);
    }

    /// Answered, skipped before any answer, or not reached.
    pub fn status(&self) -> QuestionStatus {
        if self.answer_count() > 0 {
            QuestionStatus::Answered
        } else if self.skipped() {
            QuestionStatus::Skipped
        } else {
            QuestionStatus::NotReached
        }
    }

    /// Whether the question counts in averages (answered, or skipped before any answer).
    pub fn counts(&self) -> bool {
        self.status() != QuestionStatus::NotReached
    }

    /// The score value to report: the answers' score (a skipped probe keeps it), 0 when the
    /// question was skipped before any answer or never answered.
    pub fn value(&self) -> f32 {
        match self.status() {
            QuestionStatus::Answered => self.score().map(|s| s.score).unwrap_or(0.0),
            QuestionStatus::Skipped | QuestionStatus::NotReached => 0.0,
        }
    }

    /// The score to report: `None` for a question not reached (asked, never answered), which has
    /// no score; otherwise [`QuestionRecord::value`].
    pub fn reported(&self) -> Option<f32> {
        (self.status() != QuestionStatus::NotReached).then(|| self.value())
    }

    /// Wrong claims the candidate made in earlier answers to this question that its current score
    /// no longer holds: they were pointed out and corrected. In the order first made.
    /// A claim the current score still holds as a doubt (the judge did not confirm it again on a
    /// later answer) is not corrected.
    pub fn corrected_misconceptions(&self) -> Vec<String> {
        let held = |claim: &String| {
            self.score()
                .is_some_and(|s| s.misconceptions.contains(claim) || s.doubts.contains(claim))
        };
        let mut out: Vec<String> = vec![];
        for claim in self.scores().flat_map(|s| &s.misconceptions) {
            if !held(claim) && !out.contains(claim) {
                out.push(claim.clone());
            }
        }
        out
    }

    /// How many why-probes deep the candidate went (probes that were answered).
    pub fn why_depth(&self) -> usize {
        self.exchanges
            .iter()
            .filter(|e| e.probe.is_some() && e.answer.is_some())
            .count()
    }

    /// Each probe with the answer it got, in order.
    pub fn probe_answers(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.exchanges
            .iter()
            .filter_map(|e| Some((e.probe.as_deref()?, e.answer.as_deref())))
    }
}

/// A question record as stored: exchanges (format 2), or the parallel lists of format 1.
#[derive(Deserialize)]
struct StoredRecord {
    id: String,
    domain: Domain,
    #[serde(default)]
    exchanges: Option<Vec<Exchange>>,
    #[serde(default)]
    judge: Option<JudgeRecord>,
    #[serde(default)]
    answers: Vec<String>,
    #[serde(default)]
    probes: Vec<String>,
    #[serde(default)]
    probed_points: Vec<String>,
    #[serde(default)]
    scores: Vec<Score>,
    #[serde(default)]
    hints: u32,
    #[serde(default)]
    skipped: bool,
}

impl From<StoredRecord> for QuestionRecord {
    fn from(s: StoredRecord) -> Self {
        let exchanges = match s.exchanges {
            Some(x) if !x.is_empty() => x,
            _ => legacy_exchanges(&s),
        };
        QuestionRecord {
            id: s.id,
            domain: s.domain,
            exchanges,
            judge: s.judge,
        }
    }
}

/// Format 1: `answers[0]` answered the question, `answers[i]` the probe `probes[i - 1]`;
/// `scores[i]` followed `answers[i]`; `skipped` and `hints` belonged to whatever was on the table
/// last.
fn legacy_exchanges(s: &StoredRecord) -> Vec<Exchange> {
    let mut out = vec![Exchange {
        answer: s.answers.first().cloned(),
        score: s.scores.first().cloned(),
        ..Exchange::default()
    }];
    for (i, probe) in s.probes.iter().enumerate() {
        out.push(Exchange {
            probe: Some(probe.clone()),
            point: s.probed_points.get(i).filter(|p| !p.is_empty()).cloned(),
            answer: s.answers.get(i + 1).cloned(),
            score: s.scores.get(i + 1).cloned(),
            ..Exchange::default()
        });
    }
    for i in s.probes.len() + 1..s.answers.len() {
        out.push(Exchange {
            answer: s.answers.get(i).cloned(),
            score: s.scores.get(i).cloned(),
            ..Exchange::default()
        });
    }
    if let Some(last) = out.last_mut() {
        last.skipped = s.skipped;
        last.hints = s.hints;
    }
    out
}

/// A question answered once with a rubric score of `value` (for tests).
#[cfg(test)]
pub(crate) fn answered(id: &str, domain: Domain, value: f32) -> QuestionRecord {
    let mut q = QuestionRecord::new(id, domain);
    q.add_answer("an answer");
    q.set_score(Score {
        question: id.into(),
        score: value,
        points: vec![],
        misconceptions: vec![],
        doubts: vec![],
        feedback: String::new(),
        scorer: crate::scoring::ScorerKind::Rubric,
    });
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::ScorerKind;

    fn score(v: f32) -> Score {
        Score {
            question: "rope".into(),
            score: v,
            points: vec![],
            misconceptions: vec![],
            doubts: vec![],
            feedback: String::new(),
            scorer: ScorerKind::Rubric,
        }
    }

    #[test]
    fn format_1_lists_load_as_exchanges() {
        let json = serde_json::json!({
            "id": "rope", "domain": "transformer",
            "answers": ["a1", "a2"], "probes": ["p1", "p2"], "probed_points": ["x", ""],
            "scores": [score(4.0), score(6.0)], "hints": 1, "skipped": true
        });
        let r: QuestionRecord = serde_json::from_value(json).expect("loads");
        assert_eq!(r.exchanges.len(), 3);
        assert_eq!(r.answers().collect::<Vec<_>>(), ["a1", "a2"]);
        assert_eq!(r.probes().collect::<Vec<_>>(), ["p1", "p2"]);
        assert_eq!(r.exchanges[1].point.as_deref(), Some("x"));
        assert_eq!(r.exchanges[2].point, None);
        assert_eq!(r.score().map(|s| s.score), Some(6.0));
        assert!(r.exchanges[2].skipped, "the open probe was skipped");
        assert_eq!(r.hints(), 1);
        assert_eq!(r.status(), QuestionStatus::Answered);
        assert_eq!(r.why_depth(), 1);
    }

    #[test]
    fn records_round_trip_as_exchanges() {
        let mut r = QuestionRecord::new("rope", Domain::Transformer);
        r.add_answer("a1");
        r.set_score(score(5.0));
        r.add_probe("why?", Some("scaling".into()));
        r.add_hint();
        let json = serde_json::to_value(&r).expect("serialises");
        assert!(json.get("answers").is_none(), "{json}");
        let back: QuestionRecord = serde_json::from_value(json).expect("loads");
        assert_eq!(back, r);
        assert_eq!(back.open_probe(), Some("why?"));
    }

    #[test]
    fn a_wrong_claim_corrected_in_a_later_answer_is_kept_as_corrected() {
        let wrong = |v: f32, claims: &[&str]| Score {
            misconceptions: claims.iter().map(|c| c.to_string()).collect(),
            doubts: vec![],
            ..score(v)
        };
        let mut r = QuestionRecord::new("kv-cache", Domain::Inference);
        assert!(r.corrected_misconceptions().is_empty());
        assert_eq!(r.reported(), None, "not reached: no score");
        r.add_answer("It caches the queries.");
        r.set_score(wrong(3.0, &["The cache stores queries."]));
        assert!(
            r.corrected_misconceptions().is_empty(),
            "still held: not corrected"
        );
        r.add_probe("Why?", None);
        r.add_answer("I'm not sure.");
        r.set_score(Score {
            doubts: vec!["The cache stores queries.".into()],
            ..score(3.0)
        });
        assert!(
            r.corrected_misconceptions().is_empty(),
            "still held as a doubt: not corrected"
        );
        r.add_probe("What does each new token need?", None);
        r.add_answer("Sorry: keys and values, never the queries.");
        r.set_score(score(10.0));
        assert_eq!(r.corrected_misconceptions(), ["The cache stores queries."]);
        assert_eq!(r.reported(), Some(10.0));
    }

    #[test]
    fn an_answer_fills_the_open_exchange_and_scores_pad_unscored_answers() {
        let mut r = QuestionRecord::new("rope", Domain::Transformer);
        r.add_answer("a1");
        r.add_probe("why?", None);
        r.add_answer("a2");
        assert_eq!(r.exchanges.len(), 2);
        assert_eq!(r.unscored_answer(), Some("a2"));
        r.set_score(score(7.0));
        assert_eq!(
            r.scores().count(),
            2,
            "the unscored first answer takes the score too"
        );
        assert_eq!(r.unscored_answer(), None);
        r.add_answer("a3");
        assert_eq!(
            r.exchanges.len(),
            3,
            "an answer with nothing open is a further exchange"
        );
    }
}
