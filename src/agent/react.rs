//! The ReAct loop: for each candidate message, call the model, run its tool calls, feed the results
//! back, and repeat until the model speaks the interviewer's next line.
//!
//! A turn is all-or-nothing: it works on copies of the state and memory and commits them only when
//! it completes, so a cancelled (Ctrl-C) or failed turn leaves the interview exactly as it was and
//! can be retried.

use super::interviewer::{Agent, CandidateInput, Heard, TurnError, TurnOutput, Work};
use super::memory;
use super::turn::TurnRun;
use crate::model::{Message, TextSink};
use crate::prompts::stage::Stage;

impl Agent {
    /// Run one turn. On success the state, memory and usage are updated; on error nothing changed.
    pub async fn respond(
        &mut self,
        input: CandidateInput,
        sink: TextSink<'_>,
    ) -> Result<TurnOutput, TurnError> {
        let said = |reply: String, repeated: bool, sink: TextSink<'_>| {
            sink(&reply);
            sink("\n");
            TurnOutput {
                reply,
                repeated,
                ..TurnOutput::default()
            }
        };
        match input {
            CandidateInput::Hint => return Ok(said(self.hint(), false, sink)),
            CandidateInput::Repeat => {
                let line = if self.last_line.is_empty() {
                    crate::prompts::phrases::Phrases::get().no_question.clone()
                } else {
                    self.last_line.clone()
                };
                return Ok(said(line, true, sink));
            }
            _ => {}
        }
        let mut w = Work {
            state: self.state.clone(),
            memory: self.memory.clone(),
            reply: String::new(),
            notes: vec![],
            answered: None,
            heard: Heard::default(),
            beside: String::new(),
            last_line: String::new(),
        };
        let result = self.run_turn(&mut w, input).await;
        // Usage is real spending even when the turn fails.
        if let Some(meter) = &self.meter {
            self.usage = meter.totals();
        }
        result?;
        // The words are shown once every field is checked (see `compose`).
        let reply = w.reply.trim().to_string();
        if !reply.is_empty() {
            sink(&reply);
            sink("\n");
        }
        self.state = w.state;
        self.memory = w.memory;
        if !w.last_line.is_empty() {
            self.last_line = w.last_line;
        }
        Ok(TurnOutput {
            reply,
            notes: w.notes,
            ended: self.state.is_over(),
            repeated: false,
        })
    }

    /// The interview is over: record why (the candidate ended it, unless it ended by itself) and
    /// give the spoken wrap-up.
    pub fn finish(&mut self) -> String {
        if self.state.ended.is_none() {
            self.state.ended = Some("the candidate ended the interview".into());
        }
        super::wrapup::summary(&self.state, &self.bank)
    }

    async fn run_turn(&self, w: &mut Work, input: CandidateInput) -> Result<(), TurnError> {
        self.apply_input(w, input);
        let ran = TurnRun::new(self).run(w).await?;
        self.compose(w, ran.draft, ran.moved).await;
        Ok(())
    }

    /// Apply the candidate's input to the state, then remember it with the turn's state block at
    /// its head (fixed for the turn: tool results tell the model what changes during it).
    pub(super) fn apply_input(&self, w: &mut Work, input: CandidateInput) {
        let over = w.state.is_over();
        let text = match input {
            CandidateInput::Begin if w.state.questions.is_empty() => Stage::Ready.render(),
            CandidateInput::Begin => match self.on_table(&w.state) {
                Some(open) => Stage::BackOpen { open }.render(),
                None => Stage::Back.render(),
            },
            CandidateInput::Answer(text) => {
                w.heard = Heard::Answered;
                if let Some(cur) = w.state.current_mut().filter(|_| !over) {
                    cur.add_answer(text.clone());
                    w.answered = Some(cur.id.clone());
                }
                text
            }
            CandidateInput::Skip => {
                w.heard = Heard::Skipped;
                if let Some(cur) = w.state.current_mut().filter(|_| !over) {
                    cur.skip();
                }
                Stage::Skipped.render()
            }
            // Answered by `respond` itself, without the model.
            CandidateInput::Hint | CandidateInput::Repeat => return,
            CandidateInput::End | CandidateInput::EndOfInput => {
                w.heard = Heard::Ended;
                w.state.end_requested = true;
                Stage::End.render()
            }
        };
        let message = memory::with_state(&memory::render_state(&w.state), &text);
        w.memory.push(Message::user(message));
    }
}
