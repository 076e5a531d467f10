//! What holds whatever the model does, at the end of every turn: every answer is scored, a
//! question is on the table (the model's own, else the probe the policy chooses or the next planned
//! question, in the offline interviewer's words), the interview moves on past the probe budget,
//! `/end` ends it, and the words shown are honest about the score ([`super::contract`]).

use super::contract;
use super::react::{Agent, Work};
use super::topic::Topics;
use crate::bank::Bank;
use crate::model::Message;
use crate::prompts::phrases::{self, Phrases, fill, pick};
use crate::prompts::stage::Stage;
use crate::state::{InterviewState, probing};
use crate::tools::{PickQuestion, Tool, ToolContext, score_latest};

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

    /// Whatever the model did: `/end` ends the interview in this turn; the reply is cleaned; an
    /// answer is acknowledged as it scored; and a turn that waits for an answer asks something:
    /// the model's own follow-up (recorded as the probe), else the question on the table in the
    /// offline interviewer's words: the probe the policy chooses, or the next planned question.
    pub(super) async fn keep_contract(&self, w: &mut Work, answered: bool, moved: bool) {
        let p = Phrases::get();
        let key = w.state.seed ^ w.memory.recent.len() as u64;
        if w.state.end_requested && !w.state.is_over() {
            w.state.ended = Some("the candidate ended the interview".into());
        }
        w.reply = contract::without_internals(&contract::clean(&w.reply));
        // The words about the answer match its score, whether the model probed, moved on or ended.
        if let Some(ack) = w
            .answered
            .as_deref()
            .and_then(|id| self.acknowledged(&w.state, id))
            && !w.reply.is_empty()
        {
            let said = w.said.clone();
            let replacement = phrases::acknowledgement(
                ack.score,
                ack.claim.as_deref(),
                &said,
                key,
                w.memory.previous_reply(),
            );
            w.reply = contract::honest_opening(&w.reply, &ack, &replacement);
        }
        if w.state.is_over() {
            // A goodbye does not ask anything.
            if w.reply.is_empty() || contract::asks(&w.reply) {
                w.reply = phrases::closing(w.state.end_requested, key);
            }
            return;
        }
        // While the interview goes on, the model does not close it.
        w.reply = contract::without_closings(&w.reply);
        let Some(cur) = w.state.current() else {
            w.reply = contract::without_questions(&w.reply);
            let line = self.next_question_line(w, false).await;
            say(w, line);
            return;
        };
        // A probe can be an instruction ("Show that ..."): the words ask when they hold what is
        // on the table, or a question mark.
        let on_table = self.on_table(&w.state);
        let holds_it = on_table
            .as_deref()
            .is_some_and(|t| !t.is_empty() && w.reply.contains(t));
        if holds_it || (contract::asks(&w.reply) && self.follows_up(&w.state, &w.reply)) {
            // The model asked its own follow-up after an answer without moving on: it is the probe,
            // and words saying the interview moves on would contradict it.
            if answered && !moved && cur.unprobed_answer() && !cur.skipped() {
                w.reply = contract::without_moves(&w.reply);
                let text = w.reply.lines().last().unwrap_or_default().to_string();
                record_probe(&mut w.state, &self.bank, None, &text);
            }
            return;
        }
        // Nothing asked, or only something off the question's topic ("anything else you'd like
        // to discuss?"): put the question on the table.
        w.reply = contract::without_questions(&w.reply);
        if cur.awaiting_first_answer() {
            if let Some(q) = self.bank.get(&cur.id) {
                let ask = q.ask.clone();
                say(w, ask);
            }
            return;
        }
        let line = match self.policy_probe(&w.state) {
            Some((point, probe)) => {
                w.reply = contract::without_moves(&w.reply);
                let lead = pick(&p.probe_lead, key);
                record_probe(&mut w.state, &self.bank, Some(point), &probe);
                format!("{lead} {probe}")
            }
            None => self.next_question_line(w, true).await,
        };
        say(w, line);
        // The added line may repeat a transition the model already made.
        w.reply = contract::clean(&w.reply);
    }

    /// Whether what the reply asks follows up on the current question (see [`super::topic`]). The
    /// offline interviewer's follow-ups are the bank's own.
    pub(super) fn follows_up(&self, state: &InterviewState, reply: &str) -> bool {
        if self.config.own_words {
            return state.current().is_some();
        }
        state.current().is_some_and(|cur| {
            let asked = contract::asked_part(reply);
            let topics = self.topics.get_or_init(|| Topics::new(&self.bank));
            topics.follows_up(&cur.id, cur.latest_answer(), &asked)
        })
    }

    /// What waits for the candidate's answer: the current question, or the probe put on it.
    pub(super) fn on_table(&self, state: &InterviewState) -> Option<String> {
        let cur = state.current().filter(|_| !state.is_over())?;
        if cur.awaiting_first_answer() {
            return self.bank.get(&cur.id).map(|q| q.ask.clone());
        }
        cur.open_probe().map(str::to_string)
    }

    /// How the latest answer to question `id` went: its own score and wrong claim.
    fn acknowledged(&self, state: &InterviewState, id: &str) -> Option<contract::Acknowledged> {
        let cur = state.record(id)?;
        let q = self.bank.get(&cur.id)?;
        let latest = cur.latest_answer()?;
        let alone = crate::scoring::rubric::score(q, latest, &[]);
        let score = if cur.answer_count() > 1 {
            alone.score
        } else {
            cur.score().map_or(alone.score, |s| s.score)
        };
        let claim = cur
            .score()
            .and_then(|s| s.misconceptions.first().cloned())
            .or_else(|| alone.misconceptions.first().cloned());
        Some(contract::Acknowledged { score, claim })
    }

    /// The probe the policy would ask on the current question now, if any.
    fn policy_probe(&self, state: &InterviewState) -> Option<(String, String)> {
        let cur = state.current()?;
        let q = self.bank.get(&cur.id)?;
        let latest = cur.latest_answer()?;
        let alone = crate::scoring::rubric::score(q, latest, &[]);
        let remaining = state.remaining().count();
        match probing::decide(state.mode, q, cur, &alone, state.max_probes, remaining) {
            probing::NextStep::Probe { point, probe, .. } => Some((point, probe)),
            _ => None,
        }
    }

    /// Progress guarantees that hold whatever the model does: every answer is scored, a question
    /// is on the table, and the interview moves on once a question's probes are used up.
    pub(super) async fn ensure_progress(&self, w: &mut Work, moved: bool) {
        if w.state.is_over() || w.state.end_requested {
            return;
        }
        if let Some(cur) = w.state.current_mut()
            && let Some(q) = self.bank.get(&cur.id)
            && let Some(note) = score_latest(q, cur, self.judge.as_deref()).await
        {
            w.notes.push(note);
        }
        let max_probes = w.state.max_probes;
        let stuck = match w.state.current() {
            None => true,
            // The question's probes are used up (its first answer and one per probe are in): a
            // model that stays on it, even with a follow-up of its own, is moved on.
            Some(cur) => !moved && (cur.skipped() || cur.answer_count() > max_probes),
        };
        if stuck {
            // Before the first question there is nothing to move on from: just ask it.
            let first = w.state.current().is_none();
            // One question per turn: the loop's question replaces any the model asked.
            w.reply = contract::without_questions(&w.reply);
            if !first {
                w.notes.push(
                    "the model did not move on; the interviewer moved to the next question".into(),
                );
            }
            let line = self.next_question_line(w, !first).await;
            say(w, line);
        }
    }

    /// Move to the next planned question and return the line that asks it (or the closing line
    /// when none is left, ending the interview).
    pub(super) async fn next_question_line(&self, w: &mut Work, lead: bool) -> String {
        let p = Phrases::get();
        let key = w.state.seed ^ w.memory.recent.len() as u64;
        let first = w.state.questions.is_empty() || !lead;
        let mut ctx = ToolContext {
            bank: &self.bank,
            state: &mut w.state,
            judge: self.judge.as_deref(),
        };
        match PickQuestion
            .call(crate::tools::PickArgs::default(), &mut ctx)
            .await
        {
            Ok(next) if first => next.ask,
            Ok(next) => format!("{} {}", pick(&p.move_on, key), next.ask),
            Err(_) => {
                w.state
                    .ended
                    .get_or_insert_with(|| "all planned questions asked".into());
                phrases::closing(w.state.end_requested, key)
            }
        }
    }

    /// The loop ran out of steps or time: say something sensible so the interview goes on.
    pub(super) async fn fallback(&self, w: &mut Work) {
        let p = Phrases::get();
        let key = w.state.seed ^ w.memory.recent.len() as u64;
        let line = if w.state.is_over() || w.state.end_requested {
            phrases::closing(w.state.end_requested, key)
        } else if let Some(q) = w
            .state
            .current()
            .filter(|c| c.awaiting_first_answer())
            .and_then(|c| self.bank.get(&c.id))
        {
            fill(&p.fallback_repeat, &[("ask", &q.ask)])
        } else {
            let next = self.next_question_line(w, false).await;
            if w.state.is_over() {
                next
            } else {
                format!("{} {}", p.fallback_continue, next)
            }
        };
        say(w, line);
    }
}

/// Speak a line the loop itself adds: part of the reply, remembered.
pub(super) fn say(w: &mut Work, line: String) {
    if !w.reply.is_empty() {
        w.reply.push('\n');
    }
    w.reply.push_str(&line);
    w.memory.push(Message::assistant(line));
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
    cur.add_probe(
        canonical.unwrap_or_else(|| contract::asked_part(text)),
        point,
    );
}
