//! Transcribing a recorded answer through an OpenAI-compatible `/v1/audio/transcriptions`
//! endpoint (OpenAI, or a local server such as faster-whisper-server), asking for `verbose_json`
//! so the reply carries timed segments.
//!
//! Whisper leaves fillers out unless the prompt it continues from is itself disfluent, so a
//! disfluent prompt is sent by default: the fillers come back, to be counted.

use super::{VoiceError, http_error, unreachable};
use crate::spoken::Segment;
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

/// The model asked for when none is given.
pub const DEFAULT_MODEL: &str = "whisper-1";
/// The prompt sent with every recording unless `INTERVIEWER_STT_PROMPT` replaces it.
pub const DISFLUENT_PROMPT: &str =
    "Umm, let me think, like, hmm... Okay, uh, here's what I'm, you know, thinking.";
/// The environment variable replacing [`DISFLUENT_PROMPT`] (empty: no prompt).
pub const PROMPT_ENV: &str = "INTERVIEWER_STT_PROMPT";

const PATH: &str = "/audio/transcriptions";
const WHAT: &str = "speech-to-text";
const FLAG: &str = "--stt-url";

/// What was heard.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub text: String,
    /// The recording's length, when the server said.
    pub duration: Option<f64>,
    pub segments: Vec<Segment>,
}

#[derive(Deserialize)]
struct Reply {
    text: String,
    #[serde(default)]
    duration: Option<f64>,
    #[serde(default)]
    segments: Vec<Segment>,
}

/// A client of one transcription endpoint.
#[derive(Debug, Clone)]
pub struct Transcriber {
    url: String,
    model: String,
    key: Option<String>,
    prompt: Option<String>,
    timeout: Duration,
}

impl Transcriber {
    /// `url` is a base URL (`http://127.0.0.1:8090/v1`) or the endpoint's own URL.
    pub fn new(url: &str, model: &str, key: Option<String>, timeout: Duration) -> Transcriber {
        let prompt = match std::env::var(PROMPT_ENV) {
            Ok(p) if p.trim().is_empty() => None,
            Ok(p) => Some(p),
            Err(_) => Some(DISFLUENT_PROMPT.to_string()),
        };
        Transcriber {
            url: super::endpoint(url, PATH),
            model: model.to_string(),
            key,
            prompt,
            timeout,
        }
    }

    /// The endpoint's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Transcribe the WAV file at `path`.
    pub async fn transcribe(&self, path: &Path) -> Result<Transcript, VoiceError> {
        let audio = tokio::fs::read(path)
            .await
            .map_err(|e| VoiceError::io("read", path, e))?;
        let file = reqwest::multipart::Part::bytes(audio)
            .file_name("answer.wav")
            .mime_str("audio/wav")
            .map_err(|e| unreachable(WHAT, FLAG, &self.url, &e))?;
        let mut form = reqwest::multipart::Form::new()
            .part("file", file)
            .text("model", self.model.clone())
            .text("response_format", "verbose_json");
        if let Some(prompt) = &self.prompt {
            form = form.text("prompt", prompt.clone());
        }
        let client = reqwest::Client::builder()
            .timeout(self.timeout)
            .build()
            .map_err(|e| unreachable(WHAT, FLAG, &self.url, &e))?;
        let mut req = client.post(&self.url).multipart(form);
        if let Some(key) = &self.key {
            req = req.bearer_auth(key);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| unreachable(WHAT, FLAG, &self.url, &e))?;
        let status = resp.status();
        let body = resp
            .text()
            .await
            .map_err(|e| unreachable(WHAT, FLAG, &self.url, &e))?;
        if !status.is_success() {
            return Err(http_error(WHAT, FLAG, &self.url, status.as_u16(), &body));
        }
        parse(&body).map_err(|error| VoiceError::BadReply {
            what: WHAT,
            url: self.url.clone(),
            error,
        })
    }
}

/// A `verbose_json` (or plain `json`) reply.
fn parse(body: &str) -> Result<Transcript, String> {
    let reply: Reply = serde_json::from_str(body).map_err(|e| {
        format!(
            "{e} in {}",
            crate::strings::preview(body.trim(), 80).replace('\n', " ")
        )
    })?;
    Ok(Transcript {
        text: reply.text.trim().to_string(),
        duration: reply.duration,
        segments: reply.segments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbose_json_gives_text_duration_and_segments() {
        let t = parse(
            r#"{"task":"transcribe","duration":8.1,"text":" Umm, hello.","segments":[{"id":0,"start":0.0,"end":2.5,"text":" Umm, hello.","tokens":[1]}]}"#,
        )
        .unwrap();
        assert_eq!(t.text, "Umm, hello.");
        assert_eq!(t.duration, Some(8.1));
        assert_eq!(t.segments.len(), 1);
        assert_eq!(t.segments[0].end, 2.5);
    }

    #[test]
    fn plain_json_has_no_segments_and_nonsense_is_an_error() {
        let t = parse(r#"{"text":"hi"}"#).unwrap();
        assert!(t.segments.is_empty() && t.duration.is_none());
        let e = parse("<html>oops</html>").unwrap_err();
        assert!(e.contains("<html>oops</html>"), "{e}");
    }
}
