use super::*;
use crate::model::{ResponseFormat, ToolSpec};

fn model() -> OpenAiModel {
    let cfg = OpenAiConfig::new("http://localhost:8080/v1/", "qwen")
        .with_api_key(Some("sk-secret-123456".into()));
    OpenAiModel::new(cfg).expect("valid config")
}

#[test]
fn name_and_debug_hide_key() {
    let m = model();
    assert_eq!(m.name(), "qwen @ localhost:8080");
    let debug = format!("{m:?} {:?}", m.config());
    assert!(!debug.contains("sk-secret"), "{debug}");
    assert!(debug.contains("[redacted]"));
}

#[test]
fn body_shapes_tools_and_calls() {
    let m = model();
    let calls = vec![ToolCall {
        id: "c1".into(),
        name: "lookup".into(),
        arguments: String::new(),
    }];
    let msgs = vec![
        Message::user("hi"),
        Message::assistant_calls(None, calls),
        Message::tool("c1", "ok"),
    ];
    let tools = vec![ToolSpec {
        name: "lookup".into(),
        description: "d".into(),
        parameters: json!({"type": "object"}),
    }];
    let rf = ResponseFormat {
        name: "verdict".into(),
        schema: json!({"type": "object"}),
    };
    let mut req = ChatRequest::new(&msgs, &tools);
    req.response_format = Some(&rf);
    req.temperature = Some(0.2);
    let body = m.request_body(&req);
    assert_eq!(body["messages"][1]["content"], Value::Null);
    assert_eq!(body["messages"][1]["tool_calls"][0]["type"], "function");
    assert_eq!(
        body["messages"][1]["tool_calls"][0]["function"]["arguments"],
        "{}"
    );
    assert_eq!(body["messages"][2]["tool_call_id"], "c1");
    assert_eq!(
        body["tools"][0]["function"]["parameters"],
        json!({"type": "object"})
    );
    assert_eq!(body["response_format"]["json_schema"]["strict"], false);
    assert_eq!(body["temperature"], json!(0.2));
    assert_eq!(body["stream_options"]["include_usage"], true);
    let bare = m.request_body(&ChatRequest::new(&msgs, &[]));
    assert!(bare.get("tools").is_none());
    assert!(bare.get("response_format").is_none());
}

#[test]
fn deltas_without_index_and_new_ids() {
    let mut acc = Accumulator::default();
    let frag = |id: Option<&str>, name: Option<&str>, args: &str| WireToolCall {
        index: None,
        id: id.map(str::to_string),
        function: Some(WireFunction {
            name: name.map(str::to_string),
            arguments: Some(json!(args)),
        }),
    };
    acc.add_call_delta(&frag(Some("a"), Some("f"), "{\"x\":"));
    acc.add_call_delta(&frag(None, None, "1}"));
    acc.add_call_delta(&frag(Some("b"), Some("g"), "{}"));
    let turn = acc.into_turn();
    assert_eq!(turn.tool_calls.len(), 2);
    assert_eq!(turn.tool_calls[0].arguments, "{\"x\":1}");
    assert_eq!(turn.tool_calls[1].id, "b");
}

#[test]
fn error_bodies_are_classified() {
    let m = model();
    let fatal = |status, body: &str| {
        let (msg, code) = error_message(body);
        m.classify_status(status, &msg, &code)
    };
    assert!(
        matches!(fatal(401, r#"{"error":{"message":"Incorrect API key provided: sk-secret-123456"}}"#),
        Some(ModelError::Auth { ref detail, .. }) if !detail.contains("secret"))
    );
    assert!(matches!(
        fatal(
            429,
            r#"{"error":{"message":"quota","type":"insufficient_quota"}}"#
        ),
        Some(ModelError::Quota { .. })
    ));
    assert!(matches!(
        fatal(
            400,
            r#"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error"}}"#
        ),
        Some(ModelError::ContextLength { .. })
    ));
    assert!(matches!(
        fatal(
            404,
            r#"{"error":"model \"qwen\" not found, try pulling it first"}"#
        ),
        Some(ModelError::ModelNotFound { .. })
    ));
    assert!(
        matches!(fatal(400, r#"{"detail":"bad field"}"#), Some(ModelError::BadRequest { ref detail }) if detail == ": bad field")
    );
    assert!(fatal(503, "upstream busy").is_none());
    assert!(
        fatal(
            429,
            r#"{"error":{"message":"slow down","type":"rate_limit"}}"#
        )
        .is_none()
    );
}

#[test]
fn retry_after_and_scrub() {
    assert_eq!(parse_retry_after("1"), Some(Duration::from_secs(1)));
    assert_eq!(parse_retry_after("9999"), Some(MAX_RETRY_AFTER));
    assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    let s = scrub("bad key sk-abcdef1234\nsecond line", None);
    assert_eq!(s, "bad key sk-[redacted] second line");
    assert!(truncate(&"x".repeat(500), 10).chars().count() <= 10);
}
