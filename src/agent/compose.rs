//! The turn's line, field by field: the model's draft (its `say`, else its free text, the least
//! trusted) is checked by the owner of each field ([`acknowledgement`], [`question`],
//! [`follow_up`]); a field that fails is replaced by the policy's own wording for it, never asked
//! for again. Only what is finally said is recorded: the probe in the state, the `say` call in the
//! model's memory.

use super::acknowledgement::{self, Verdict};
use super::draft::{Draft, Trust};
use super::follow_up;
use super::interviewer::{Agent, Heard, Work};
use super::question;
use crate::bank::Mode;
use crate::model::{Message, ToolCall};
use crate::prompts::phrases::{self, Phrases, fill, pick};
use crate::prompts::stage::Stage;
use crate::scoring::rubric;
use crate::state::{InterviewState, probing};
use crate::tools::{
    PickArgs, PickQuestion, Say, SayArgs, SayKind, Tool, ToolContext, score_latest,
};

/// The line decided so far: words before the question (a hint), the question, and its kind.
struct Asked {
    lead: Option<String>,
    question: String,
    kind: SayKind,
    point: Option<String>,
}

impl Agent {
    /// Settle the turn's line from the draft (none when the loop stopped the model), record it,
    /// and put it in the work's reply.
    pub(super) async fn compose(&self, w: &mut Work, draft: Option<Draft>, moved: bool) {
        let key = w.state.seed ^ w.memory.recent.len() as u64;
        if w.state.end_requested && !w.state.is_over() {
            w.state.ended = Some("the candidate ended the interview".into());
        }
        self.score_every_answer(w).await;
        let trust = if self.config.own_words {
            Trust::Own
        } else {
            draft.as_ref().map_or(Trust::Free, |d| d.trust)
        };
        let had_draft = draft.is_some();
        let draft = draft.unwrap_or(Draft {
            args: SayArgs::default(),
            trust,
            call_id: None,
        });
        let verdict = w
            .answered
            .clone()
            .and_then(|id| self.verdict(&w.state, &id));
        let asked = self.settle(w, &draft, trust, moved, had_draft, key).await;
        let ack = self.acknowledge(w, &draft.args, verdict.as_ref(), trust, &asked, key);
        // The acknowledgement (and a hint) on one line, what is asked on the next: `/repeat`
        // says that line again.
        let (mut first, mut second): (Vec<String>, Vec<String>) = (vec![], vec![]);
        first.extend(ack.clone());
        if asked.kind == SayKind::FollowUp {
            second.extend(asked.lead.clone());
        } else {
            first.extend(asked.lead.clone());
        }
        if !asked.question.is_empty() {
            second.push(asked.question.clone());
        }
        let lines: Vec<String> = [first.join(" "), second.join(" ")]
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect();
        w.reply = lines.join("\n");
        w.last_line = lines.last().cloned().unwrap_or_default();
        let said = SayArgs {
            acknowledgement: ack.unwrap_or_default(),
            question: asked.question,
            kind: Some(asked.kind),
            point: asked.point,
        };
        w.memory
            .said_this_turn(said_call(draft.call_id, &said, &w.reply));
    }

    /// Every answer is scored, whatever the model did.
    async fn score_every_answer(&self, w: &mut Work) {
        if w.state.is_over() {
            return;
        }
        if let Some(cur) = w.state.current_mut()
            && let Some(q) = self.bank.get(&cur.id)
            && let Some(note) = score_latest(q, cur, self.judge.as_deref()).await
        {
            w.notes.push(note);
        }
    }

    /// The acknowledgement: the model's words where they may stand, else the policy's.
    fn acknowledge(
        &self,
        w: &Work,
        args: &SayArgs,
        verdict: Option<&Verdict>,
        trust: Trust,
        asked: &Asked,
        key: u64,
    ) -> Option<String> {
        let p = Phrases::get();
        let vocab = self
            .vocabulary
            .get_or_init(|| acknowledgement::Vocabulary::new(&self.bank));
        // A goodbye's words are the policy's (the wrap-up speaks to the scores), unless they are
        // about the answer just given.
        if asked.kind == SayKind::Closing && trust != Trust::Own && verdict.is_none() {
            return None;
        }
        // Words beside the model's tool calls are its acknowledgement when `say` has none: the
        // least trusted, unless they are the project's own.
        let (words, trust) = if args.acknowledgement.trim().is_empty() {
            let trust = if trust == Trust::Own {
                trust
            } else {
                Trust::Free
            };
            (w.beside.as_str(), trust)
        } else {
            (args.acknowledgement.as_str(), trust)
        };
        let direction = match w.heard {
            Heard::Began => Some(format!(
                "{} {}",
                Stage::Ready.render(),
                Stage::Back.render()
            )),
            Heard::Skipped => Some(Stage::Skipped.render()),
            Heard::Ended => Some(Stage::End.render()),
            Heard::Answered => None,
        };
        match acknowledgement::check(words, verdict, direction.as_deref(), trust, vocab) {
            // The model's greeting opens a fresh interview; what the interview will be like is
            // still the policy's to say (the model does not know the plan's length).
            Ok(words) if w.heard == Heard::Began && trust != Trust::Own && fresh(&w.state) => {
                Some(format!("{words} {}", orientation(&w.state, key)))
            }
            Ok(words) => Some(words),
            Err(why) => {
                if !words.trim().is_empty() {
                    tracing::debug!(why, "acknowledgement replaced");
                }
                match w.heard {
                    Heard::Answered => {
                        verdict.map(|v| v.policy_words(key, w.memory.previous_reply()))
                    }
                    Heard::Skipped if asked.kind != SayKind::Closing => {
                        Some(pick(&p.skip_ack, key).to_string())
                    }
                    // The interview starts: the policy greets when the model's greeting fails.
                    Heard::Began if asked.kind == SayKind::NextQuestion => {
                        Some(greeting(&w.state, key))
                    }
                    _ => None,
                }
            }
        }
    }

    /// What the line asks (or the goodbye), after the plan's and the verdict's checks.
    async fn settle(
        &self,
        w: &mut Work,
        draft: &Draft,
        trust: Trust,
        moved: bool,
        had_draft: bool,
        key: u64,
    ) -> Asked {
        let p = Phrases::get();
        let args = &draft.args;
        if w.state.is_over() {
            let own = trust == Trust::Own && !args.question.trim().is_empty();
            let words = if own {
                args.question.clone()
            } else {
                phrases::closing(w.state.end_requested, key)
            };
            return closing(words, None);
        }
        let Some(cur) = w.state.current() else {
            let question = self.next_question_line(w, false).await;
            return self.asked_next(w, question);
        };
        if cur.awaiting_first_answer() {
            let ask = self
                .bank
                .get(&cur.id)
                .map(|q| q.ask.clone())
                .unwrap_or_default();
            // The model's own words for a question are kept only when they hold the bank's.
            let own = args.question.contains(&ask) && (trust == Trust::Own || moved);
            let question = if own {
                let q = super::contract::unquote(&args.question);
                if trust == Trust::Own {
                    q.to_string()
                } else {
                    ask
                }
            } else if !had_draft && !moved && w.heard == Heard::Began {
                ask
            } else if !had_draft {
                fill(&p.fallback_repeat, &[("ask", &ask)])
            } else {
                ask
            };
            return self.asked_next(w, question);
        }
        if let Some(open) = cur.open_probe() {
            let open = open.to_string();
            let question = if trust == Trust::Own && args.question.contains(&open) {
                args.question.clone()
            } else {
                open
            };
            return Asked {
                lead: None,
                question,
                kind: SayKind::FollowUp,
                point: None,
            };
        }
        let want = args.kind.or_else(|| {
            (draft.trust == Trust::Free && args.question.contains('?')).then_some(SayKind::FollowUp)
        });
        match want {
            Some(SayKind::FollowUp) => match self.models_follow_up(w, draft, trust) {
                Ok(asked) => return asked,
                Err(why) => tracing::debug!(why, "follow-up replaced"),
            },
            // A deep dive goes deeper while the answers hold up: the model may not move on
            // while the policy still has a follow-up for this question.
            Some(SayKind::NextQuestion)
                if follow_up::next_allowed(&w.state)
                    && !(w.state.mode == Mode::DeepDive
                        && self.policy_probe(&w.state).is_some()) =>
            {
                let question = self.next_question_line(w, true).await;
                return self.asked_next(w, question);
            }
            Some(SayKind::Closing) if follow_up::closing_allowed(&w.state) => {
                w.state
                    .ended
                    .get_or_insert_with(|| "all planned questions asked".into());
                return closing(phrases::closing(w.state.end_requested, key), None);
            }
            _ => {}
        }
        if !had_draft {
            w.notes
                .push("the model did not say anything usable; the interviewer went on".into());
        }
        self.policy_step(w, key).await
    }

    /// The model's follow-up, if the plan and the verdict allow it; its question, else the bank's
    /// wording for the same point.
    fn models_follow_up(
        &self,
        w: &mut Work,
        draft: &Draft,
        trust: Trust,
    ) -> Result<Asked, &'static str> {
        let p = Phrases::get();
        let cur = w.state.current().ok_or("no question")?;
        let q = self.bank.get(&cur.id).ok_or("no question")?;
        follow_up::allowed(&w.state, cur)?;
        let advised = self.policy_probe(&w.state).map(|(point, _)| point);
        let point = match (&draft.args.point, trust) {
            (Some(point), _) => point.clone(),
            (None, Trust::Typed) => return Err("a follow-up names its point"),
            _ => advised
                .clone()
                .or_else(|| follow_up::open_point(q, cur))
                .ok_or("no point left to follow up")?,
        };
        follow_up::about(q, cur, &point, advised.as_deref())?;
        let bank: Vec<&str> = q
            .points
            .iter()
            .flat_map(|p| p.probes.iter().chain(p.derivations.iter()))
            .map(String::as_str)
            .collect();
        let mut asked_before = vec![q.ask.as_str()];
        asked_before.extend(cur.probes());
        let ctx = question::Context {
            answer: cur.latest_answer(),
            asked: asked_before,
            bank,
        };
        // A follow-up in free text is asked in the policy's words: nothing says what it is about.
        let checked = match trust {
            Trust::Free => Err("free text names no point"),
            _ => question::check(&draft.args.question, &ctx, trust),
        };
        let checked =
            checked.and_then(|text| follow_up::in_own_words(q, cur, &point, &text).map(|()| text));
        let (lead, question) = match checked {
            Ok(text) => (None, text),
            Err(why) => {
                tracing::debug!(why, "follow-up question replaced");
                let text = follow_up::bank_probe(q, cur, &point).ok_or(why)?;
                let lead = pick(&p.probe_lead, w.state.seed ^ cur.probe_count() as u64);
                (Some(lead.to_string()), text)
            }
        };
        super::progress::record_probe(&mut w.state, &self.bank, Some(point.clone()), &question);
        Ok(Asked {
            lead,
            question,
            kind: SayKind::FollowUp,
            point: Some(point),
        })
    }

    /// The policy's own next step: its probe, else the next question (after its hint), else the
    /// goodbye.
    async fn policy_step(&self, w: &mut Work, key: u64) -> Asked {
        let p = Phrases::get();
        let step = self.policy_decision(&w.state);
        let allowed = w
            .state
            .current()
            .is_some_and(|cur| follow_up::allowed(&w.state, cur).is_ok());
        let hint = match step {
            Some(probing::NextStep::Probe {
                point,
                probe,
                derivation,
                ..
            }) if allowed => {
                let covered = w.state.current().is_some_and(|c| c.made(&point));
                let lead = pick(
                    if derivation || covered {
                        &p.probe_deeper
                    } else {
                        &p.probe_lead
                    },
                    key,
                );
                super::progress::record_probe(
                    &mut w.state,
                    &self.bank,
                    Some(point.clone()),
                    &probe,
                );
                return Asked {
                    lead: Some(lead.to_string()),
                    question: probe,
                    kind: SayKind::FollowUp,
                    point: Some(point),
                };
            }
            Some(probing::NextStep::MoveOn { hint, .. } | probing::NextStep::End { hint, .. }) => {
                hint
            }
            _ => None,
        };
        let hint = hint.map(|h| fill(pick(&p.hint_lead, key), &[("hint", &h)]));
        // The next question gets its own lead even after a pointer, so the two do not run together.
        let question = self.next_question_line(w, true).await;
        let mut asked = self.asked_next(w, question);
        asked.lead = hint;
        asked
    }

    /// The line that asks the question now on the table, or the goodbye if the plan ran out.
    fn asked_next(&self, w: &Work, question: String) -> Asked {
        if w.state.is_over() {
            return closing(question, None);
        }
        Asked {
            lead: None,
            question,
            kind: SayKind::NextQuestion,
            point: None,
        }
    }

    /// The probing policy's decision on the current question now, if it has an answer.
    fn policy_decision(&self, state: &InterviewState) -> Option<probing::NextStep> {
        let cur = state.current()?;
        let q = self.bank.get(&cur.id)?;
        let latest = cur.latest_answer()?;
        let alone = rubric::score(q, latest, &[]);
        let remaining = state.remaining().count();
        Some(probing::decide(
            state.mode,
            q,
            cur,
            &alone,
            state.max_probes,
            remaining,
        ))
    }

    /// The probe the policy would ask on the current question now, if any.
    pub(super) fn policy_probe(&self, state: &InterviewState) -> Option<(String, String)> {
        match self.policy_decision(state)? {
            probing::NextStep::Probe { point, probe, .. } => Some((point, probe)),
            _ => None,
        }
    }

    /// How the latest answer to question `id` went.
    fn verdict(&self, state: &InterviewState, id: &str) -> Option<Verdict> {
        let cur = state.record(id)?;
        let q = self.bank.get(&cur.id)?;
        let latest = cur.latest_answer()?;
        // A claim an earlier answer made still counts, but was said then: only what this answer
        // adds is said now.
        let (score, said_before) = if cur.answer_count() > 1 {
            let alone = rubric::score(q, latest, &[]);
            (
                acknowledgement::probe_answer_score(cur, &alone),
                cur.claims_said_before(&alone),
            )
        } else {
            (cur.score()?.score, vec![])
        };
        let new = |claims: &[String]| claims.iter().find(|c| !said_before.contains(c)).cloned();
        Some(Verdict {
            score,
            claim: cur.score().and_then(|s| new(&s.misconceptions)),
            doubt: cur.score().and_then(|s| new(&s.doubts)),
            answer: latest.to_string(),
        })
    }

    /// Move to the next planned question and return the line that asks it (or the goodbye when
    /// none is left, ending the interview).
    pub(super) async fn next_question_line(&self, w: &mut Work, lead: bool) -> String {
        let p = Phrases::get();
        let key = w.state.seed ^ w.memory.recent.len() as u64;
        let first = w.state.questions.is_empty() || !lead;
        let mut ctx = ToolContext {
            bank: &self.bank,
            state: &mut w.state,
            judge: self.judge.as_deref(),
        };
        match PickQuestion.call(PickArgs::default(), &mut ctx).await {
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
}

fn closing(question: String, lead: Option<String>) -> Asked {
    Asked {
        lead,
        question,
        kind: SayKind::Closing,
        point: None,
    }
}

/// The `say` call the model's memory keeps for the turn: what was said, field by field.
fn said_call(id: Option<String>, said: &SayArgs, line: &str) -> (Message, Message) {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let id = id.unwrap_or_else(|| {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("say_{:x}_{n}", std::process::id())
    });
    let arguments = serde_json::to_string(said).unwrap_or_default();
    let call = Message::assistant_calls(
        None,
        vec![ToolCall {
            id: id.clone(),
            name: Say::NAME.to_string(),
            arguments,
        }],
    );
    let result = Message::tool(id, serde_json::json!({ "said": line }).to_string());
    (call, result)
}

/// The policy's greeting: a fresh interview's opening, or a welcome back to a resumed one.
fn greeting(state: &InterviewState, key: u64) -> String {
    if !fresh(state) {
        return Phrases::get().welcome_back.clone();
    }
    let (mode, count) = mode_and_count(state);
    phrases::greeting(&mode, &count, key)
}

/// What a fresh interview will be like (mode, length, where the commands are).
fn orientation(state: &InterviewState, key: u64) -> String {
    let (mode, count) = mode_and_count(state);
    phrases::orientation(&mode, &count, key)
}

/// The interview's mode as said ("first round") and its length ("6 questions").
fn mode_and_count(state: &InterviewState) -> (String, String) {
    (
        state.mode.as_str().replace('-', " "),
        phrases::questions(state.plan.len()),
    )
}

/// No question has been answered yet: the interview starts rather than resumes.
fn fresh(state: &InterviewState) -> bool {
    !state.questions.iter().any(|q| q.answer_count() > 0)
}
