//! What the loop does on its own: a `/hint`, what is on the table, and recording a probe.

use super::interviewer::Agent;
use crate::bank::Bank;
use crate::model::Message;
use crate::prompts::phrases::{Phrases, fill, pick};
use crate::prompts::stage::Stage;
use crate::state::{InterviewState, probing};

impl Agent {
    /// `/hint`: a nudge towards the most important point not yet made (the next one on a second
    /// hint). It caps the question's score, and the model is told a hint was given, so the
    /// conversation it sees matches what the candidate heard.
    pub(super) fn hint(&mut self) -> String {
        let p = Phrases::get();
        let points = self
            .state
            .current()
            .filter(|_| !self.state.is_over())
            .and_then(|cur| self.bank.get(&cur.id))
            .map(|q| q.points.clone());
        let Some(points) = points else {
            return p.no_question.clone();
        };
        let seed = self.state.seed;
        let Some(cur) = self.state.current_mut() else {
            return p.no_question.clone();
        };
        let score = cur.score().cloned();
        let given = cur.hints() as usize;
        let mut open: Vec<&crate::bank::RubricPoint> = points
            .iter()
            .filter(|pt| {
                score.as_ref().and_then(|s| s.verdict(&pt.id))
                    != Some(crate::scoring::Verdict::Covered)
            })
            .collect();
        open.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        let Some(point) = open.get(given).or(open.first()) else {
            return p.no_hint.clone();
        };
        cur.add_hint();
        let line = fill(
            pick(&p.hint_given, seed ^ given as u64),
            &[("hint", &probing::hint_for(point))],
        );
        self.memory
            .push(Message::user(Stage::Hint { line: line.clone() }.render()));
        self.memory.push(Message::assistant(line.clone()));
        line
    }

    /// What waits for the candidate's answer: the current question, or the probe put on it.
    pub(super) fn on_table(&self, state: &InterviewState) -> Option<String> {
        let cur = state.current().filter(|_| !state.is_over())?;
        if cur.awaiting_first_answer() {
            return self.bank.get(&cur.id).map(|q| q.ask.clone());
        }
        cur.open_probe().map(str::to_string)
    }
}

/// The interviewer followed up on the current question: record the probe in the state.
pub(super) fn record_probe(
    state: &mut InterviewState,
    bank: &Bank,
    point: Option<String>,
    text: &str,
) {
    if state.is_over() {
        return;
    }
    let Some(cur) = state.current_mut() else {
        return;
    };
    let point = point.or_else(|| {
        let q = bank.get(&cur.id)?;
        let score = cur.score()?;
        q.points
            .iter()
            .find(|p| score.verdict(&p.id) != Some(crate::scoring::Verdict::Covered))
            .map(|p| p.id.clone())
    });
    // Store the probe as the rubric's wording when the interviewer used it, else as spoken.
    let q = bank.get(&cur.id);
    let canonical = point
        .as_deref()
        .and_then(|pid| q.and_then(|q| q.point(pid)))
        .and_then(|p| {
            p.probes
                .iter()
                .chain(p.derivations.iter())
                .find(|t| text.contains(t.as_str()))
        })
        .cloned();
    cur.add_probe(canonical.unwrap_or_else(|| text.to_string()), point);
}
