//! The interview session: wires the agent, the candidate's front end and the session store.
//! Every exchange is saved as it happens; a failed or cancelled model call keeps the candidate's
//! answer so it can be sent again, and only configuration errors stop the session.
//!
//! Out loud ([`Voice`]): the interviewer's lines are spoken as they are shown and answers can be
//! spoken ([`listen`]); every answer, typed or spoken, is timed from the moment it was asked.

pub mod listen;

use crate::agent::{Agent, CandidateInput, TurnError};
use crate::repl::clock::Ticker;
use crate::repl::{
    CandidateCommand, Input, LineSource, Printer, PromptInfo, ReadResult, help_text, parse,
};
use crate::session::store::{SessionWriter, StoreError};
use crate::session::{Checkpoint, Delivery, End, Record, Speaker, Turn};
use crate::spoken::SpokenStats;
use crate::voice::speech::Speech;
use chrono::Utc;
use listen::{Heard, Listening};
use std::time::{Duration, Instant};

/// The interview out loud, and its timer.
#[derive(Default)]
pub struct Voice {
    /// Speaks the interviewer's lines (`--speak`).
    pub speech: Option<Speech>,
    /// Records and transcribes answers (`--listen`).
    pub listening: Option<Listening>,
    /// `--time-limit`: a warning before it, never a cut-off.
    pub time_limit: Option<Duration>,
}

/// How a session run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The interview reached its end (all questions, `/end`, or end of input).
    Finished,
    /// A configuration error (key, quota, model) stopped it; the session is saved and resumable.
    Stopped(String),
}

#[derive(Debug, thiserror::Error)]
pub enum InterviewError {
    #[error("could not save the session: {0}")]
    Store(#[from] StoreError),
}

/// A running interview.
pub struct Interview {
    pub agent: Agent,
    writer: SessionWriter,
    printer: Printer,
    /// The first input: `Begin`, or on resume an answer the transcript holds but the last
    /// checkpoint does not (its checkpoint was lost), sent again instead of re-asking.
    opening: CandidateInput,
    voice: Voice,
    /// When what is on the table was put to the candidate.
    clock: Instant,
}

impl Interview {
    pub fn new(agent: Agent, writer: SessionWriter, printer: Printer) -> Self {
        Self {
            agent,
            writer,
            printer,
            opening: CandidateInput::Begin,
            voice: Voice::default(),
            clock: Instant::now(),
        }
    }

    /// Speak, listen and time as `voice` says.
    pub fn with_voice(mut self, voice: Voice) -> Self {
        self.voice = voice;
        self
    }

    /// Let the interviewer finish speaking (at most `limit`), then silence it.
    pub fn finish_speaking(&mut self, limit: Duration) {
        if let Some(speech) = self.voice.speech.take() {
            speech.finish(limit);
        }
    }

    fn say_aloud(&self, text: &str) {
        if let Some(speech) = &self.voice.speech {
            speech.say(text);
        }
    }

    /// The candidate acted: in a terminal that silences the interviewer.
    fn hush(&self) {
        if self.printer.is_interactive()
            && let Some(speech) = &self.voice.speech
        {
            speech.stop();
        }
    }

    /// The next input, with the timer's notes while it is awaited; unattended listening records
    /// it instead of reading a line.
    fn read(
        &mut self,
        source: &mut (dyn LineSource + Send),
        info: &PromptInfo,
    ) -> (ReadResult, Option<SpokenStats>) {
        let _ticker = Ticker::start(self.clock, self.voice.time_limit, source.notifier());
        if let Some(listening) = self.voice.listening.as_mut().filter(|l| l.unattended) {
            match listening.unattended_answer(&self.printer) {
                Heard::Answer { text, stats } => return (ReadResult::Line(text), Some(stats)),
                Heard::NoMoreAudio(msg) => {
                    self.printer.info(&msg);
                    return (ReadResult::Eof, None);
                }
                Heard::Nothing => self
                    .printer
                    .info("Nothing was heard in the recording; reading a typed answer instead."),
                Heard::Failed(msg) => {
                    self.printer
                        .error(&format!("{msg}; type your answers instead"));
                    self.voice.listening = None;
                }
            }
        }
        let read = source.read(info);
        self.hush();
        (read, None)
    }

    /// An empty line: with `--listen` it starts a recording (Enter again stops it) and the
    /// transcript comes back to edit; otherwise it only silences the interviewer.
    fn push_to_talk(
        &mut self,
        source: &mut (dyn LineSource + Send),
        info: &PromptInfo,
    ) -> Option<(ReadResult, Option<SpokenStats>)> {
        self.hush();
        let listening = self.voice.listening.as_mut()?;
        match listening.push_to_talk(&self.printer) {
            Heard::Answer { text, stats } => Some((source.edit(info, &text), Some(stats))),
            Heard::Nothing => {
                self.printer
                    .info("Nothing was heard. Press Enter to record again, or type your answer.");
                None
            }
            Heard::NoMoreAudio(msg) | Heard::Failed(msg) => {
                self.printer
                    .error(&format!("{msg}; type your answers instead"));
                self.voice.listening = None;
                None
            }
        }
    }

    /// Start by sending `input` (already in the transcript) instead of greeting.
    pub fn replaying(mut self, input: CandidateInput) -> Self {
        self.opening = input;
        self
    }

    pub fn session_id(&self) -> &str {
        self.writer.id()
    }

    /// Save the state (resume reads the latest): whole the first time, then what changed.
    pub fn checkpoint(&mut self) -> Result<(), InterviewError> {
        let cp = Checkpoint {
            at: Utc::now(),
            state: self.agent.state.clone(),
            memory: self.agent.memory.snapshot(),
            usage: self.agent.usage,
        };
        self.writer.save(&cp)?;
        Ok(())
    }

    fn log(&mut self, speaker: Speaker, text: &str) -> Result<(), InterviewError> {
        self.log_with(speaker, text, None)
    }

    fn log_with(
        &mut self,
        speaker: Speaker,
        text: &str,
        delivery: Option<Delivery>,
    ) -> Result<(), InterviewError> {
        let question = self.agent.state.current().map(|q| q.id.clone());
        self.writer.append(&Record::Turn(Turn {
            speaker,
            text: text.to_string(),
            at: Utc::now(),
            question,
            delivery,
        }))?;
        Ok(())
    }

    fn prompt_info(&self) -> PromptInfo {
        let s = &self.agent.state;
        PromptInfo {
            mode: s.mode,
            question: s.questions.len(),
            total: s.plan.len(),
            elapsed: Some(self.clock.elapsed()),
        }
    }

    /// Run until the interview ends. `source.read` blocks, so it runs on a blocking-capable thread.
    pub async fn run(
        &mut self,
        source: &mut (dyn LineSource + Send),
    ) -> Result<Outcome, InterviewError> {
        let mut pending: Option<CandidateInput> = None;
        let opening = std::mem::replace(&mut self.opening, CandidateInput::Begin);
        match self.turn(opening.clone()).await? {
            Step::Stop(out) => return Ok(out),
            // Nothing has worked yet (no server at the URL, every retry failed): stop, saved, so
            // the failed start exits non-zero and can be resumed once the server is up.
            Step::Failed(msg) => return Ok(Outcome::Stopped(msg)),
            Step::Retry => pending = Some(opening),
            Step::Done => self.clock = Instant::now(),
        }
        while !self.agent.state.is_over() {
            let info = self.prompt_info();
            let (mut read, mut spoken) = tokio::task::block_in_place(|| self.read(source, &info));
            if matches!(&read, ReadResult::Line(l) if l.trim().is_empty()) && pending.is_none() {
                match tokio::task::block_in_place(|| self.push_to_talk(source, &info)) {
                    Some((r, s)) => (read, spoken) = (r, s),
                    None => continue,
                }
            }
            // Enter after a failed turn sends the kept answer again: it is in the transcript once.
            let mut resent = false;
            let input = match read {
                ReadResult::Eof => {
                    // End of input ends the interview; if the model cannot say goodbye, end it anyway.
                    self.log(Speaker::Candidate, "/end")?;
                    match self.turn(CandidateInput::EndOfInput).await? {
                        Step::Stop(out) => return Ok(out),
                        Step::Done | Step::Retry | Step::Failed(_) => {}
                    }
                    break;
                }
                ReadResult::Interrupted => {
                    self.hush();
                    self.printer
                        .info("(line cleared; type /end or press Ctrl-D to finish)");
                    continue;
                }
                ReadResult::Line(line) => match parse(&line) {
                    Input::Empty => match pending.take() {
                        Some(retry) => {
                            resent = true;
                            retry
                        }
                        None => continue,
                    },
                    Input::Command(CandidateCommand::Help) => {
                        self.printer.info(help_text());
                        continue;
                    }
                    Input::Unknown(cmd) => {
                        self.printer
                            .error(&format!("unknown command {cmd}; /help lists the commands"));
                        continue;
                    }
                    Input::Command(CandidateCommand::Skip) => CandidateInput::Skip,
                    Input::Command(CandidateCommand::End) => CandidateInput::End,
                    Input::Command(CandidateCommand::Hint) => CandidateInput::Hint,
                    Input::Command(CandidateCommand::Repeat) => CandidateInput::Repeat,
                    Input::Answer(text) => CandidateInput::Answer(text),
                },
            };
            pending = None;
            // What the candidate said goes in the transcript; asking for a hint or a repeat does not.
            let logged = match &input {
                CandidateInput::Answer(t) => t.clone(),
                CandidateInput::Skip => "/skip".into(),
                CandidateInput::End | CandidateInput::EndOfInput => "/end".into(),
                CandidateInput::Begin | CandidateInput::Hint | CandidateInput::Repeat => {
                    String::new()
                }
            };
            if !logged.is_empty() && !resent {
                let delivery = matches!(input, CandidateInput::Answer(_)).then(|| Delivery {
                    spoken: spoken.take(),
                    ..Delivery::typed(self.clock.elapsed().as_secs_f64())
                });
                self.log_with(Speaker::Candidate, &logged, delivery)?;
            }
            let moves_on = matches!(input, CandidateInput::Answer(_) | CandidateInput::Skip);
            let mut step = self.turn(input.clone()).await?;
            if let Step::Failed(msg) = &step {
                if source.can_resend() {
                    self.printer.error(&format!(
                        "{msg}. Your answer is kept: press Enter to send it again."
                    ));
                } else {
                    // Nobody can press Enter, and the next line is the next answer: send the kept
                    // one once more, then stop, saved (`resume` sends it again).
                    self.printer.error(&format!(
                        "{msg}. Your answer is kept: sending it once more."
                    ));
                    step = self.turn(input.clone()).await?;
                    if let Step::Failed(msg) = step {
                        return Ok(Outcome::Stopped(msg));
                    }
                }
            }
            match step {
                Step::Stop(out) => return Ok(out),
                Step::Retry | Step::Failed(_) => pending = Some(input),
                Step::Done if moves_on => self.clock = Instant::now(),
                Step::Done => {}
            }
        }
        self.finish()?;
        Ok(Outcome::Finished)
    }

    /// One agent turn, streamed to the printer; Ctrl-C cancels the model call.
    async fn turn(&mut self, input: CandidateInput) -> Result<Step, InterviewError> {
        let input_was_begin = matches!(input, CandidateInput::Begin);
        let printer = self.printer.clone();
        printer.waiting();
        let result = {
            let mut sink = |t: &str| printer.chunk(t);
            let call = self.agent.respond(input, &mut sink);
            tokio::select! {
                r = call => Some(r),
                _ = tokio::signal::ctrl_c() => None,
            }
        };
        printer.end_reply();
        match result {
            None => {
                self.printer
                    .info("Cancelled. Press Enter to send your answer again, or type a new one.");
                Ok(Step::Retry)
            }
            Some(Ok(out)) if out.repeated => {
                self.say_aloud(&out.reply);
                Ok(Step::Done)
            }
            Some(Ok(out)) => {
                if !out.reply.is_empty() {
                    self.say_aloud(&out.reply);
                    self.log(Speaker::Interviewer, &out.reply)?;
                }
                for note in &out.notes {
                    self.log(Speaker::System, note)?;
                }
                self.checkpoint()?;
                Ok(Step::Done)
            }
            Some(Err(TurnError::Failed(e))) => {
                let msg = format!("{e}");
                if input_was_begin {
                    self.log(Speaker::System, &msg)?;
                    self.checkpoint()?;
                    return Ok(Step::Failed(msg));
                }
                // The caller says what becomes of the input (sent again, or kept for Enter).
                self.log(Speaker::System, &msg)?;
                Ok(Step::Failed(msg))
            }
            Some(Err(TurnError::Fatal(e))) => {
                let msg = format!("{e}");
                self.log(Speaker::System, &msg)?;
                self.checkpoint()?;
                Ok(Step::Stop(Outcome::Stopped(msg)))
            }
        }
    }

    /// The spoken wrap-up, then the end record.
    fn finish(&mut self) -> Result<(), InterviewError> {
        let summary = self.agent.finish();
        self.printer.say(&summary);
        self.say_aloud(&summary);
        self.log(Speaker::Interviewer, &summary)?;
        self.checkpoint()?;
        let reason = self.agent.state.ended.clone().unwrap_or_default();
        self.writer.append(&Record::End(End {
            at: Utc::now(),
            reason,
        }))?;
        Ok(())
    }
}

/// What a turn left to do.
enum Step {
    Done,
    /// Cancelled: the same input can be sent again.
    Retry,
    /// The model call failed (after retries); the same input can be sent again.
    Failed(String),
    Stop(Outcome),
}
