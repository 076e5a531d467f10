//! The real `OpenAiModel` (and the text/auto tool wrappers) against a local scripted server.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use interviewer::model::openai::{OpenAiConfig, OpenAiModel, RetryNotice};
use interviewer::model::text_tools::{AutoToolModel, TextToolModel};
use interviewer::model::{
    AssistantTurn, ChatModel, ChatRequest, Message, ModelError, ResponseFormat, ToolCall, ToolSpec,
    Usage,
};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

fn tools() -> Vec<ToolSpec> {
    vec![
        ToolSpec {
            name: "ask_question".into(),
            description: "Ask the candidate a question from the bank.".into(),
            parameters: json!({"type": "object", "properties": {"question_id": {"type": "string"}}, "required": ["question_id"]}),
        },
        ToolSpec {
            name: "record_score".into(),
            description: "Record the score of the latest answer.".into(),
            parameters: json!({"type": "object", "properties": {"score": {"type": "integer", "minimum": 0, "maximum": 5}}}),
        },
    ]
}

fn conversation() -> Vec<Message> {
    vec![
        Message::system("You are an interviewer."),
        Message::user("Hi, I'm ready."),
    ]
}

fn model(cfg: OpenAiConfig) -> OpenAiModel {
    OpenAiModel::new(cfg).expect("valid test config")
}

/// Runs one call and returns the result plus every text piece the sink received.
async fn run(
    model: &dyn ChatModel,
    messages: &[Message],
    tools: &[ToolSpec],
) -> (Result<AssistantTurn, ModelError>, Vec<String>) {
    let mut pieces = Vec::new();
    let result = {
        let mut sink = |t: &str| pieces.push(t.to_string());
        model
            .complete(ChatRequest::new(messages, tools), &mut sink)
            .await
    };
    (result, pieces)
}

async fn ok_turn(model: &dyn ChatModel, tools: &[ToolSpec]) -> (AssistantTurn, Vec<String>) {
    let (result, pieces) = run(model, &conversation(), tools).await;
    match result {
        Ok(turn) => (turn, pieces),
        Err(e) => panic!("expected a turn, got error: {e}"),
    }
}

async fn err_of(model: &dyn ChatModel) -> ModelError {
    match run(model, &conversation(), &[]).await.0 {
        Ok(turn) => panic!("expected an error, got {turn:?}"),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------------------------------------
// Happy paths
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn non_streamed_text_with_usage_and_key_header() {
    let server = ScriptedServer::start(Script::new(vec![json_text("Tell me about RoPE.")])).await;
    let cfg = fast_config(&server.base_url(), false).with_api_key(Some("sk-test-key-1234".into()));
    let m = model(cfg);
    let (turn, pieces) = ok_turn(&m, &[]).await;
    assert_eq!(turn.text(), "Tell me about RoPE.");
    assert_eq!(
        turn.usage,
        Some(Usage {
            prompt_tokens: 5,
            completion_tokens: 3,
            cached_prompt_tokens: 0,
        })
    );
    assert_eq!(turn.finish_reason.as_deref(), Some("stop"));
    assert!(turn.tool_calls.is_empty());
    assert_eq!(
        pieces,
        ["Tell me about RoPE."],
        "non-streamed text reaches the sink once"
    );

    let raw = server.raw_requests().await;
    assert_eq!(raw.len(), 1);
    let auth = raw[0]
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    assert_eq!(auth, Some("Bearer sk-test-key-1234"));
    let body = &server.requests().await[0];
    assert_eq!(body["model"], TEST_MODEL);
    assert_eq!(body["stream"], false);
    assert!(body.get("stream_options").is_none());
    assert!(body.get("tools").is_none());
    assert_eq!(
        messages(body)[1],
        json!({"role": "user", "content": "Hi, I'm ready."})
    );
}

#[tokio::test]
async fn no_key_sends_no_authorization_and_name_is_model_at_host() {
    let server = ScriptedServer::start(Script::new(vec![json_text("ok")])).await;
    let m = model(fast_config(&server.base_url(), false));
    ok_turn(&m, &[]).await;
    let raw = server.raw_requests().await;
    assert!(raw[0].headers.get("authorization").is_none());
    let port = server.server.address().port();
    assert_eq!(m.name(), format!("{TEST_MODEL} @ 127.0.0.1:{port}"));
}

#[tokio::test]
async fn streamed_text_reaches_the_sink_in_order() {
    let server =
        ScriptedServer::start(Script::new(vec![sse_text(&["Hel", "lo", ", candidate."])])).await;
    let m = model(fast_config(&server.base_url(), true));
    let (turn, pieces) = ok_turn(&m, &[]).await;
    assert_eq!(pieces, ["Hel", "lo", ", candidate."]);
    assert_eq!(turn.text(), "Hello, candidate.");
    assert_eq!(
        turn.usage,
        Some(Usage {
            prompt_tokens: 7,
            completion_tokens: 3,
            cached_prompt_tokens: 0,
        })
    );
    assert_eq!(turn.finish_reason.as_deref(), Some("stop"));
    let body = &server.requests().await[0];
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
}

#[tokio::test]
async fn streamed_tool_call_with_split_arguments() {
    let server = ScriptedServer::start(Script::new(vec![sse_tool_call(
        "call_abc",
        "ask_question",
        &["{\"que", "stion_id\": \"rope\"}"],
    )]))
    .await;
    let m = model(fast_config(&server.base_url(), true));
    let (turn, pieces) = ok_turn(&m, &tools()).await;
    assert!(pieces.is_empty(), "no text was streamed: {pieces:?}");
    assert_eq!(
        turn.tool_calls,
        [ToolCall {
            id: "call_abc".into(),
            name: "ask_question".into(),
            arguments: r#"{"question_id": "rope"}"#.into()
        }]
    );
    assert_eq!(turn.finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(turn.content, None);
}

#[tokio::test]
async fn two_parallel_streamed_tool_calls_interleaved() {
    // Fragments of call 1 and call 0 interleave; the turn lists them in index order.
    let chunks = vec![
        role_chunk(),
        tool_chunk(0, Some("call_a"), Some("record_score"), ""),
        tool_chunk(1, Some("call_b"), Some("ask_question"), "{\"question_"),
        tool_chunk(0, None, None, "{\"score\""),
        tool_chunk(1, None, None, "id\": \"dpo\"}"),
        tool_chunk(0, None, None, ": 4}"),
        finish_chunk("tool_calls"),
        usage_chunk(20, 12),
    ];
    let server =
        ScriptedServer::start(Script::new(vec![sse_response(sse_body(&chunks, true))])).await;
    let m = model(fast_config(&server.base_url(), true));
    let (turn, _) = ok_turn(&m, &tools()).await;
    assert_eq!(
        turn.tool_calls,
        [
            ToolCall {
                id: "call_a".into(),
                name: "record_score".into(),
                arguments: r#"{"score": 4}"#.into()
            },
            ToolCall {
                id: "call_b".into(),
                name: "ask_question".into(),
                arguments: r#"{"question_id": "dpo"}"#.into()
            },
        ]
    );
    assert_eq!(
        turn.usage,
        Some(Usage {
            prompt_tokens: 20,
            completion_tokens: 12,
            cached_prompt_tokens: 0,
        })
    );
}

#[tokio::test]
async fn sse_tool_calls_helper_builds_parallel_calls() {
    let server = ScriptedServer::start(Script::new(vec![sse_tool_calls(&[
        ("c1", "record_score", &["{\"score\": ", "2}"]),
        ("c2", "ask_question", &["{}"]),
    ])]))
    .await;
    let m = model(fast_config(&server.base_url(), true));
    let (turn, _) = ok_turn(&m, &tools()).await;
    let got: Vec<(&str, &str)> = turn
        .tool_calls
        .iter()
        .map(|c| (c.id.as_str(), c.arguments.as_str()))
        .collect();
    assert_eq!(got, [("c1", "{\"score\": 2}"), ("c2", "{}")]);
}

#[tokio::test]
async fn tools_array_carries_the_given_schemas() {
    let server = ScriptedServer::start(Script::new(vec![json_text("a"), json_text("b")])).await;
    let m = model(fast_config(&server.base_url(), false));
    let specs = tools();
    ok_turn(&m, &specs).await;
    ok_turn(&m, &[]).await;
    let requests = server.requests().await;
    let sent = requests[0]["tools"].as_array().expect("tools array");
    assert_eq!(sent.len(), 2);
    for (wire, spec) in sent.iter().zip(&specs) {
        assert_eq!(wire["type"], "function");
        assert_eq!(wire["function"]["name"], spec.name.as_str());
        assert_eq!(wire["function"]["description"], spec.description.as_str());
        assert_eq!(wire["function"]["parameters"], spec.parameters);
    }
    assert!(
        requests[1].get("tools").is_none(),
        "no tools key when none are given"
    );
}

#[tokio::test]
async fn response_format_and_temperature_serialised() {
    let server = ScriptedServer::start(Script::new(vec![json_text("{\"score\": 3}")])).await;
    let m = model(fast_config(&server.base_url(), false));
    let rf = ResponseFormat {
        name: "verdict".into(),
        schema: json!({"type": "object", "properties": {"score": {"type": "integer"}}}),
    };
    let msgs = conversation();
    let mut req = ChatRequest::new(&msgs, &[]);
    req.response_format = Some(&rf);
    req.temperature = Some(0.3);
    m.complete(req, &mut |_: &str| {}).await.expect("turn");
    let body = &server.requests().await[0];
    assert_eq!(
        body["response_format"],
        json!({"type": "json_schema", "json_schema": {"name": "verdict", "schema": rf.schema, "strict": false}})
    );
    assert_eq!(body["temperature"], json!(0.3));
}

#[tokio::test]
async fn history_with_tool_calls_keeps_the_protocol() {
    let server = ScriptedServer::start(Script::new(vec![json_text("Next question.")])).await;
    let m = model(fast_config(&server.base_url(), false));
    let call = ToolCall {
        id: "call_1".into(),
        name: "record_score".into(),
        arguments: r#"{"score":3}"#.into(),
    };
    let msgs = vec![
        Message::system("sys"),
        Message::user("answer"),
        Message::assistant_calls(None, vec![call]),
        Message::tool("call_1", "recorded"),
    ];
    run(&m, &msgs, &tools()).await.0.expect("turn");
    let requests = server.requests().await;
    assert_tool_protocol(&requests);
    let sent = messages(&requests[0]);
    assert_eq!(sent[2]["content"], Value::Null);
    assert_eq!(
        sent[2]["tool_calls"][0],
        json!({"id": "call_1", "type": "function", "function": {"name": "record_score", "arguments": "{\"score\":3}"}})
    );
    assert_eq!(
        sent[3],
        json!({"role": "tool", "tool_call_id": "call_1", "content": "recorded"})
    );
}

#[test]
fn tool_protocol_checker_rejects_broken_sequences() {
    let ok = json!({"messages": [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "a"}, {"id": "b"}]},
        {"role": "tool", "tool_call_id": "b", "content": "1"},
        {"role": "tool", "tool_call_id": "a", "content": "2"},
        {"role": "assistant", "content": "done"}
    ]});
    assert_tool_protocol(&[ok]);
    let unanswered = json!({"messages": [
        {"role": "assistant", "tool_calls": [{"id": "a"}]},
        {"role": "user", "content": "x"}
    ]});
    let orphan = json!({"messages": [{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "z", "content": "?"}]});
    let wrong_id = json!({"messages": [{"role": "assistant", "tool_calls": [{"id": "a"}]}, {"role": "tool", "tool_call_id": "q", "content": "?"}]});
    for bad in [unanswered, orphan, wrong_id] {
        let outcome = std::panic::catch_unwind(|| assert_tool_protocol(std::slice::from_ref(&bad)));
        assert!(outcome.is_err(), "should be rejected: {bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// Fault matrix
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn rate_limit_with_retry_after_then_success() {
    let limited = error_response(
        429,
        "Rate limit reached",
        Some("requests"),
        Some("rate_limit_exceeded"),
    )
    .insert_header("retry-after", "1");
    let server = ScriptedServer::start(Script::new(vec![limited, json_text("ok")])).await;
    let notices: Arc<Mutex<Vec<RetryNotice>>> = Arc::default();
    let seen = notices.clone();
    let m = model(fast_config(&server.base_url(), false)).with_retry_observer(Arc::new(
        move |n: &RetryNotice| {
            seen.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(n.clone())
        },
    ));
    let (turn, _) = ok_turn(&m, &[]).await;
    assert_eq!(turn.text(), "ok");
    assert_eq!(server.request_count().await, 2);
    let notices = notices.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(notices.len(), 1);
    assert_eq!(
        notices[0].delay,
        Duration::from_secs(1),
        "the wait is the Retry-After value"
    );
    assert!(notices[0].from_retry_after);
    assert_eq!(notices[0].reason, "HTTP 429");
}

#[tokio::test]
async fn server_errors_twice_then_success() {
    let fail = || ResponseTemplate::new(500).set_body_string("Internal Server Error");
    let server =
        ScriptedServer::start(Script::new(vec![fail(), fail(), json_text("recovered")])).await;
    let m = model(fast_config(&server.base_url(), false));
    let (turn, _) = ok_turn(&m, &[]).await;
    assert_eq!(turn.text(), "recovered");
    assert_eq!(server.request_count().await, 3);
}

#[tokio::test]
async fn unavailable_after_retries_run_out() {
    let server = ScriptedServer::always(error_response(
        503,
        "The engine is currently overloaded",
        Some("server_error"),
        None,
    ))
    .await;
    let mut cfg = fast_config(&server.base_url(), true);
    cfg.max_retries = 2;
    let m = model(cfg);
    let err = err_of(&m).await;
    assert!(
        matches!(
            err,
            ModelError::Unavailable {
                status: 503,
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the server kept failing (503) after 3 attempts: The engine is currently overloaded"
    );
    assert_eq!(server.request_count().await, 3);
}

#[tokio::test]
async fn rate_limited_after_retries_run_out() {
    let server =
        ScriptedServer::always(error_response(429, "slow down", Some("tokens"), None)).await;
    let mut cfg = fast_config(&server.base_url(), false);
    cfg.max_retries = 1;
    let err = err_of(&model(cfg)).await;
    assert!(
        matches!(err, ModelError::RateLimited { attempts: 2, .. }),
        "{err:?}"
    );
    assert_eq!(server.request_count().await, 2);
}

#[tokio::test]
async fn unauthorized_fails_fast_without_leaking_the_key() {
    let body = "Incorrect API key provided: sk-live-abcdefghijkl. You can find your API key in your account settings.";
    let server = ScriptedServer::always(error_response(
        401,
        body,
        Some("invalid_request_error"),
        Some("invalid_api_key"),
    ))
    .await;
    let cfg =
        fast_config(&server.base_url(), true).with_api_key(Some("sk-live-abcdefghijkl".into()));
    let m = model(cfg);
    let err = err_of(&m).await;
    assert!(
        matches!(err, ModelError::Auth { status: 401, .. }),
        "{err:?}"
    );
    assert!(err.is_fatal());
    let text = err.to_string();
    assert!(text.contains("OPENAI_API_KEY"), "{text}");
    assert!(!text.contains("abcdefghijkl"), "key leaked: {text}");
    assert!(
        !format!("{err:?} {m:?}").contains("abcdefghijkl"),
        "key leaked in Debug output"
    );
    assert!(!text.contains('\n'));
    assert_eq!(server.request_count().await, 1);
}

#[tokio::test]
async fn unknown_model_names_the_model() {
    let server = ScriptedServer::always(error_response(
        404,
        "The model `test-model` does not exist or you do not have access to it.",
        Some("invalid_request_error"),
        Some("model_not_found"),
    ))
    .await;
    let err = err_of(&model(fast_config(&server.base_url(), false))).await;
    assert!(
        matches!(&err, ModelError::ModelNotFound { model, .. } if model == TEST_MODEL),
        "{err:?}"
    );
    assert!(err.to_string().contains("\"test-model\""));
    assert_eq!(server.request_count().await, 1);
}

#[tokio::test]
async fn ollama_style_missing_model_is_model_not_found() {
    let server =
        ScriptedServer::always(ResponseTemplate::new(404).set_body_json(
            json!({"error": "model \"test-model\" not found, try pulling it first"}),
        ))
        .await;
    let err = err_of(&model(fast_config(&server.base_url(), true))).await;
    assert!(matches!(err, ModelError::ModelNotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn insufficient_quota_429_fails_fast() {
    let server = ScriptedServer::always(error_response(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        Some("insufficient_quota"),
        Some("insufficient_quota"),
    ))
    .await;
    let err = err_of(&model(fast_config(&server.base_url(), false))).await;
    assert!(matches!(err, ModelError::Quota { .. }), "{err:?}");
    assert!(err.is_fatal());
    assert_eq!(server.request_count().await, 1);
}

#[tokio::test]
async fn context_length_400_is_context_length() {
    let server = ScriptedServer::always(error_response(
        400,
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
        Some("invalid_request_error"),
        Some("context_length_exceeded"),
    ))
    .await;
    let err = err_of(&model(fast_config(&server.base_url(), false))).await;
    assert!(matches!(err, ModelError::ContextLength { .. }), "{err:?}");
    assert_eq!(server.request_count().await, 1);
}

#[tokio::test]
async fn llama_cpp_context_error_is_context_length() {
    let body = json!({"error": {"code": 400, "message": "the request exceeds the available context size, try increasing it", "type": "exceed_context_size_error", "n_prompt_tokens": 5000, "n_ctx": 4096}});
    let server = ScriptedServer::always(ResponseTemplate::new(400).set_body_json(body)).await;
    let err = err_of(&model(fast_config(&server.base_url(), true))).await;
    assert!(matches!(err, ModelError::ContextLength { .. }), "{err:?}");
}

#[tokio::test]
async fn other_400_is_bad_request_with_the_server_message() {
    let server = ScriptedServer::always(error_response(
        400,
        "Invalid value for 'temperature'.",
        Some("invalid_request_error"),
        None,
    ))
    .await;
    let err = err_of(&model(fast_config(&server.base_url(), false))).await;
    match &err {
        ModelError::BadRequest { detail } => {
            assert_eq!(detail, ": Invalid value for 'temperature'.")
        }
        other => panic!("expected BadRequest, got {other:?}"),
    }
    assert_eq!(server.request_count().await, 1);
}

#[tokio::test]
async fn slow_response_times_out() {
    let server =
        ScriptedServer::always(json_text("too late").set_delay(Duration::from_secs(5))).await;
    let mut cfg = fast_config(&server.base_url(), false);
    cfg.request_timeout = Duration::from_millis(200);
    cfg.max_retries = 1;
    let err = err_of(&model(cfg)).await;
    assert!(
        matches!(err, ModelError::Timeout(d) if d == Duration::from_millis(200)),
        "{err:?}"
    );
}

#[tokio::test]
async fn slow_stream_start_times_out() {
    let server =
        ScriptedServer::always(sse_text(&["late"]).set_delay(Duration::from_secs(5))).await;
    let mut cfg = fast_config(&server.base_url(), true);
    cfg.idle_timeout = Duration::from_millis(200);
    cfg.max_retries = 0;
    let err = err_of(&model(cfg)).await;
    assert!(matches!(err, ModelError::Timeout(_)), "{err:?}");
}

#[tokio::test]
async fn connection_refused_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let base = format!("http://127.0.0.1:{port}/v1");
    let err = err_of(&model(fast_config(&base, true))).await;
    match &err {
        ModelError::Unreachable { url, .. } => assert_eq!(url, &base),
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert!(err.to_string().contains(&format!("127.0.0.1:{port}")));
}

#[tokio::test]
async fn malformed_json_body_is_protocol_error() {
    let html = format!(
        "<html><body>{}</body></html>",
        "Welcome to the router admin page. ".repeat(30)
    );
    let server =
        ScriptedServer::always(ResponseTemplate::new(200).set_body_raw(html, "text/html")).await;
    let err = err_of(&model(fast_config(&server.base_url(), false))).await;
    match &err {
        ModelError::Protocol(msg) => {
            assert!(msg.contains("<html>"), "{msg}");
            assert!(
                msg.chars().count() <= 200,
                "preview too long: {}",
                msg.chars().count()
            );
        }
        other => panic!("expected Protocol, got {other:?}"),
    }
    assert_eq!(server.request_count().await, 1);
}

#[tokio::test]
async fn stream_cut_before_any_text_is_retried() {
    let server = RawServer::start(vec![
        raw_sse_cut(&[role_chunk()]),
        raw_sse_complete(&text_chunks(&["second ", "try"])),
    ])
    .await;
    let m = model(fast_config(&server.base_url(), true));
    let (turn, pieces) = ok_turn(&m, &[]).await;
    assert_eq!(turn.text(), "second try");
    assert_eq!(pieces, ["second ", "try"]);
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn stream_cut_after_text_is_an_error_not_a_retry() {
    let server = RawServer::start(vec![
        raw_sse_cut(&[role_chunk(), text_chunk("Hel")]),
        raw_sse_complete(&text_chunks(&["never"])),
    ])
    .await;
    let m = model(fast_config(&server.base_url(), true));
    let (result, pieces) = run(&m, &conversation(), &[]).await;
    let err = result.expect_err("a cut stream after text must fail");
    assert!(
        matches!(err, ModelError::Protocol(ref msg) if msg.contains("cut off")),
        "{err:?}"
    );
    // Said as what happened: the answer was cut off, not that it "could not be understood".
    assert!(
        err.to_string().starts_with(
            "the model server's answer could not be used: the answer stream was cut off"
        ),
        "{err}"
    );
    assert_eq!(pieces, ["Hel"]);
    assert_eq!(server.connections(), 1);
}

// ---------------------------------------------------------------------------------------------
// Server deviations
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn bare_chunks_without_id_object_created_or_done() {
    let chunks = vec![
        json!({"choices": [{"delta": {"content": "Bare"}}]}),
        json!({"choices": [{"delta": {"content": " chunks"}, "finish_reason": "eos_token"}]}),
    ];
    let server = ScriptedServer::always(sse_response(sse_body(&chunks, false))).await;
    let (turn, pieces) = ok_turn(&model(fast_config(&server.base_url(), true)), &[]).await;
    assert_eq!(pieces, ["Bare", " chunks"]);
    assert_eq!(
        turn.finish_reason.as_deref(),
        Some("eos_token"),
        "unknown finish reasons are kept"
    );
    assert_eq!(turn.usage, None, "no usage reported");
}

#[tokio::test]
async fn reasoning_content_is_never_the_answer() {
    let chunks = vec![
        chunk(
            json!({"role": "assistant", "content": null, "reasoning_content": "Let me think about RoPE..."}),
        ),
        chunk(json!({"content": null, "reasoning_content": " more thinking"})),
        chunk(json!({"content": "What is RoPE?", "reasoning_content": null})),
        finish_chunk("stop"),
    ];
    let server = ScriptedServer::always(sse_response(sse_body(&chunks, true))).await;
    let (turn, pieces) = ok_turn(&model(fast_config(&server.base_url(), true)), &[]).await;
    assert_eq!(pieces, ["What is RoPE?"]);
    assert_eq!(turn.text(), "What is RoPE?");

    let body = json!({"choices": [{"message": {"role": "assistant", "content": "Answer", "reasoning_content": "hidden"}, "finish_reason": "stop"}]});
    let server = ScriptedServer::always(json_response(body)).await;
    let (turn, _) = ok_turn(&model(fast_config(&server.base_url(), false)), &[]).await;
    assert_eq!(turn.text(), "Answer");
}

#[tokio::test]
async fn tool_deltas_without_index_continue_the_last_call() {
    let chunks = vec![
        chunk(
            json!({"tool_calls": [{"id": "x1", "type": "function", "function": {"name": "record_score", "arguments": "{\"sco"}}]}),
        ),
        chunk(json!({"tool_calls": [{"function": {"arguments": "re\": 1}"}}]})),
        chunk(
            json!({"tool_calls": [{"id": "x2", "function": {"name": "ask_question", "arguments": "{}"}}]}),
        ),
        finish_chunk("tool_calls"),
    ];
    let server = ScriptedServer::always(sse_response(sse_body(&chunks, true))).await;
    let (turn, _) = ok_turn(&model(fast_config(&server.base_url(), true)), &tools()).await;
    assert_eq!(
        turn.tool_calls,
        [
            ToolCall {
                id: "x1".into(),
                name: "record_score".into(),
                arguments: "{\"score\": 1}".into()
            },
            ToolCall {
                id: "x2".into(),
                name: "ask_question".into(),
                arguments: "{}".into()
            },
        ]
    );
}

#[tokio::test]
async fn tool_calls_without_ids_get_generated_ids() {
    let chunks = vec![
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"name": "record_score", "arguments": "{\"score\": 2}"}}]}),
        ),
        chunk(
            json!({"tool_calls": [{"index": 1, "function": {"name": "ask_question", "arguments": {"question_id": "rope"}}}]}),
        ),
    ];
    let server = ScriptedServer::always(sse_response(sse_body(&chunks, true))).await;
    let (turn, _) = ok_turn(&model(fast_config(&server.base_url(), true)), &tools()).await;
    let ids: Vec<&str> = turn.tool_calls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["call_0", "call_1"]);
    assert_eq!(
        turn.tool_calls[1].arguments, r#"{"question_id":"rope"}"#,
        "object arguments are serialised"
    );
}

#[tokio::test]
async fn usage_only_in_final_chunk_with_empty_choices() {
    let chunks = vec![
        text_chunk("Hi"),
        finish_chunk("stop"),
        json!({"choices": [], "usage": {"prompt_tokens": 42, "completion_tokens": 1}}),
    ];
    let server = ScriptedServer::always(sse_response(sse_body(&chunks, true))).await;
    let (turn, _) = ok_turn(&model(fast_config(&server.base_url(), true)), &[]).await;
    assert_eq!(
        turn.usage,
        Some(Usage {
            prompt_tokens: 42,
            completion_tokens: 1,
            cached_prompt_tokens: 0,
        })
    );
    assert_eq!(turn.text(), "Hi");
}

#[tokio::test]
async fn json_completion_with_null_content_and_no_usage() {
    let body = json!({"choices": [{"message": {"content": null, "tool_calls": [{"id": "t1", "function": {"name": "ask_question", "arguments": "{\"question_id\":\"kv-cache\"}"}}]}, "finish_reason": "tool_calls"}]});
    let server = ScriptedServer::always(json_response(body)).await;
    let (turn, pieces) = ok_turn(&model(fast_config(&server.base_url(), false)), &tools()).await;
    assert!(pieces.is_empty());
    assert_eq!(turn.content, None);
    assert_eq!(turn.usage, None);
    assert_eq!(turn.tool_calls[0].name, "ask_question");
}

#[tokio::test]
async fn content_as_array_of_parts_and_keepalive_events() {
    let events = vec![
        json!({"choices": [{"delta": {"content": [{"type": "text", "text": "Part one"}]}}]})
            .to_string(),
        "keep-alive".to_string(),
        json!({"choices": [{"delta": {"content": ", part two"}, "finish_reason": "stop"}]})
            .to_string(),
    ];
    let server = ScriptedServer::always(sse_response(sse_body_raw(&events, true))).await;
    let (turn, _) = ok_turn(&model(fast_config(&server.base_url(), true)), &[]).await;
    assert_eq!(turn.text(), "Part one, part two");
}

#[tokio::test]
async fn error_object_inside_the_stream_is_reported() {
    let events = vec![
        json!({"error": {"message": "This model's maximum context length is 4096 tokens", "code": 400}}),
    ];
    let server = ScriptedServer::always(sse_response(sse_body(&events, true))).await;
    let err = err_of(&model(fast_config(&server.base_url(), true))).await;
    assert!(matches!(err, ModelError::ContextLength { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Text-mode and auto tool calling against the server
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn text_mode_parses_action_replies() {
    let reply = "Thought: start with positional encodings.\nAction: ask_question\nAction Input: {\"question_id\": \"rope\"}";
    let server =
        ScriptedServer::start(Script::new(vec![sse_text(&[&reply[..20], &reply[20..]])])).await;
    let m = TextToolModel::new(model(fast_config(&server.base_url(), true)));
    let (turn, pieces) = ok_turn(&m, &tools()).await;
    assert!(pieces.is_empty(), "Action text is not shown: {pieces:?}");
    assert_eq!(turn.tool_calls.len(), 1);
    assert_eq!(turn.tool_calls[0].name, "ask_question");
    assert_eq!(turn.tool_calls[0].arguments, r#"{"question_id":"rope"}"#);
    assert_eq!(turn.content, None);
    let body = &server.requests().await[0];
    assert!(body.get("tools").is_none());
    let system = messages(body)[0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(system.starts_with("You are an interviewer."));
    assert!(
        system.contains("Action Input:") && system.contains("- ask_question:"),
        "{system}"
    );
}

#[tokio::test]
async fn text_mode_plain_reply_is_spoken() {
    let server = ScriptedServer::start(Script::new(vec![json_text(
        "Walk me through how DPO avoids a reward model.",
    )]))
    .await;
    let m = TextToolModel::new(model(fast_config(&server.base_url(), false)));
    let (turn, pieces) = ok_turn(&m, &tools()).await;
    assert!(turn.tool_calls.is_empty());
    assert_eq!(pieces, ["Walk me through how DPO avoids a reward model."]);
}

#[tokio::test]
async fn auto_mode_switches_to_text_when_tools_are_rejected() {
    let rejected = error_response(
        400,
        "tools are not supported by this server",
        Some("invalid_request_error"),
        None,
    );
    let action = json_text("Action: record_score\nAction Input: {\"score\": 4}");
    let server = ScriptedServer::start(Script::new(vec![
        rejected,
        action,
        json_text("Thanks, next one."),
    ]))
    .await;
    let m = AutoToolModel::new(model(fast_config(&server.base_url(), false)));
    let (turn, _) = ok_turn(&m, &tools()).await;
    assert!(m.is_text_mode());
    assert_eq!(turn.tool_calls.len(), 1);
    assert_eq!(turn.tool_calls[0].name, "record_score");
    assert_eq!(turn.tool_calls[0].arguments, r#"{"score":4}"#);

    // The next call, with the tool result in the history, goes straight to text mode.
    let mut history = conversation();
    history.push(Message::assistant_calls(None, turn.tool_calls.clone()));
    history.push(Message::tool(turn.tool_calls[0].id.clone(), "recorded"));
    let (result, pieces) = run(&m, &history, &tools()).await;
    assert_eq!(result.expect("turn").text(), "Thanks, next one.");
    assert_eq!(pieces, ["Thanks, next one."]);

    let requests = server.requests().await;
    assert_eq!(requests.len(), 3);
    assert_eq!(tool_names(&requests[0]), ["ask_question", "record_score"]);
    assert!(requests[1].get("tools").is_none() && requests[2].get("tools").is_none());
    let third = messages(&requests[2]);
    assert!(
        third.iter().all(|m| m["role"] != "tool"),
        "no native tool messages in text mode"
    );
    assert_eq!(
        third.last().map(|m| m["content"].clone()),
        Some(json!("Observation (record_score): recorded"))
    );
    assert_tool_protocol(&requests);
}

#[tokio::test]
async fn auto_mode_parses_a_tool_call_written_as_content() {
    let content = r#"{"name": "ask_question", "arguments": {"question_id": "dpo"}}"#;
    let server = ScriptedServer::start(Script::new(vec![
        sse_text(&[&content[..10], &content[10..]]),
        sse_text(&["Plain words."]),
    ]))
    .await;
    let m = AutoToolModel::new(model(fast_config(&server.base_url(), true)));
    let (turn, pieces) = ok_turn(&m, &tools()).await;
    assert!(pieces.is_empty(), "the JSON was held back: {pieces:?}");
    assert_eq!(turn.tool_calls.len(), 1);
    assert_eq!(turn.tool_calls[0].arguments, r#"{"question_id":"dpo"}"#);
    // One slip does not give up native tools: the next request still carries them.
    assert!(!m.is_text_mode());
    let (next, _) = ok_turn(&m, &tools()).await;
    assert_eq!(next.text(), "Plain words.");
    let requests = server.requests().await;
    assert!(requests[0].get("tools").is_some());
    assert!(requests[1].get("tools").is_some());
}

#[tokio::test]
async fn auto_mode_never_shows_a_broken_tool_call() {
    let content = r#"{"name": "ask_question", "arguments": {"question_id": "What is"#;
    let server = ScriptedServer::start(Script::new(vec![sse_text(&[
        &content[..12],
        &content[12..],
    ])]))
    .await;
    let m = AutoToolModel::new(model(fast_config(&server.base_url(), true)));
    let (turn, pieces) = ok_turn(&m, &tools()).await;
    assert!(pieces.is_empty(), "nothing was shown: {pieces:?}");
    assert!(turn.tool_calls.is_empty());
    assert_eq!(turn.content, None);
}

#[tokio::test]
async fn auto_mode_stays_native_for_native_calls_and_text() {
    let server = ScriptedServer::start(Script::new(vec![
        sse_tool_call("n1", "ask_question", &["{}"]),
        sse_text(&["Good ", "answer."]),
    ]))
    .await;
    let m = AutoToolModel::new(model(fast_config(&server.base_url(), true)));
    let (turn, _) = ok_turn(&m, &tools()).await;
    assert_eq!(turn.tool_calls[0].id, "n1");
    let (turn, pieces) = ok_turn(&m, &tools()).await;
    assert_eq!(turn.text(), "Good answer.");
    assert_eq!(pieces, ["Good ", "answer."]);
    assert!(!m.is_text_mode());
}

/// `logprobs` as llama.cpp and OpenAI send them: per token, its alternatives at that position.
fn logprobs_json() -> Value {
    json!({"content": [
        {"token": "YES", "logprob": -0.2, "top_logprobs": [
            {"token": "YES", "logprob": -0.2}, {"token": "NO", "logprob": -1.8}, {"token": "Yes", "logprob": -4.0}
        ]},
        {"token": " 2", "logprob": -0.1, "top_logprobs": []}
    ]})
}

#[tokio::test]
async fn log_probabilities_are_asked_for_and_read_from_completions_and_streams() {
    let mut completion = completion_json(Some("YES 2"), &[], Some((5, 2)));
    completion["choices"][0]["logprobs"] = logprobs_json();
    let mut chunk = text_chunk("YES 2");
    chunk["choices"][0]["logprobs"] = logprobs_json();
    let stream = sse_response(sse_body(&[role_chunk(), chunk, finish_chunk("stop")], true));
    let server = ScriptedServer::start(Script::new(vec![json_response(completion), stream])).await;
    let msgs = conversation();
    for streamed in [false, true] {
        let m = model(fast_config(&server.base_url(), streamed));
        let mut req = ChatRequest::new(&msgs, &[]);
        req.top_logprobs = Some(5);
        let turn = m.complete(req, &mut |_: &str| {}).await.expect("turn");
        assert_eq!(turn.text(), "YES 2");
        assert_eq!(turn.logprobs.len(), 2, "streamed: {streamed}");
        let first = &turn.logprobs[0];
        assert_eq!(first.token, "YES");
        assert_eq!(first.top[0].0, "YES");
        assert_eq!(first.top[1].0, "NO");
        assert!((first.top[1].1 + 1.8).abs() < 1e-6);
        assert_eq!(
            turn.logprobs[1].top,
            [(" 2".to_string(), -0.1)],
            "the token itself is kept"
        );
    }
    let bodies = server.requests().await;
    for body in &bodies {
        assert_eq!(body["logprobs"], json!(true));
        assert_eq!(body["top_logprobs"], json!(5));
    }
    // Without the option nothing is asked.
    let m = model(fast_config(&server.base_url(), false));
    let _ = m
        .complete(ChatRequest::new(&msgs, &[]), &mut |_: &str| {})
        .await;
    let last = server.requests().await.pop().expect("a request");
    assert!(last.get("logprobs").is_none(), "{last}");
}
