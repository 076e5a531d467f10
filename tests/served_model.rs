//! Which model is asked for when `--model` is not given: a server of one's own is asked what it
//! serves (`GET /v1/models`), so the requests, the notices and the saved calibration name the model
//! that answers rather than OpenAI's default.

mod common;

use common::cli::{Home, STUCK};
use common::{JudgeChecks, ScriptedServer};
use interviewer::model::ModelError;
use interviewer::model::openai::{OpenAiConfig, OpenAiModel};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

/// A judge server (every check answered NO) that lists `ids` as its models.
async fn server_listing(ids: &[&str]) -> ScriptedServer {
    let server = ScriptedServer::start(JudgeChecks(|_| "NO 0".into())).await;
    let data: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "object": "model", "owned_by": "llamacpp"}))
        .collect();
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": data})),
        )
        .mount(&server.server)
        .await;
    server
}

/// `interviewer score` with the judge of the server at `base` and no `--model`.
async fn score_without_model(home: &Home, base: &str) -> std::process::Output {
    let mut cmd = home.cmd(&[
        "score",
        "--question",
        "kv-cache",
        "--answer",
        "Keys and values of earlier tokens are cached and reused.",
        "--json",
        "--base-url",
        base,
    ]);
    cmd.timeout(STUCK);
    tokio::task::spawn_blocking(move || cmd.output().expect("run"))
        .await
        .expect("join")
}

/// The chat requests (the listing is a GET without a body).
async fn chat_models(server: &ScriptedServer) -> Vec<Value> {
    server
        .requests()
        .await
        .into_iter()
        .filter(|r| !r.is_null())
        .map(|r| r["model"].clone())
        .collect()
}

/// Score without `--model` on `server`; it must succeed. The models the chat requests asked for,
/// and what was said on stderr.
async fn asked_for(server: &ScriptedServer) -> (Vec<Value>, String) {
    let home = Home::new();
    let out = score_without_model(&home, &server.base_url()).await;
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{err}");
    let models = chat_models(server).await;
    assert!(!models.is_empty(), "the judge asked the server");
    (models, err)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_serving_one_model_is_asked_for_that_model() {
    let server = server_listing(&["local-qwen"]).await;
    let (models, err) = asked_for(&server).await;
    assert!(models.iter().all(|m| m == "local-qwen"), "{models:?}");
    assert!(
        !err.contains("gpt-4o-mini"),
        "the notice names the served model: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_serving_several_models_needs_model_in_one_line() {
    let server = server_listing(&["llama3:8b", "qwen2.5:7b", "phi3:mini"]).await;
    let home = Home::new();
    let out = score_without_model(&home, &server.base_url()).await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--model"), "{err}");
    assert!(
        err.contains("lists 3 models (llama3:8b, qwen2.5:7b, phi3:mini)"),
        "{err}"
    );
    assert!(
        chat_models(&server).await.is_empty(),
        "nothing was asked of a model it lacks"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_a_listing_is_asked_for_the_default_model() {
    // The scripted server has no GET /v1/models (404): the default name is sent, as before.
    let server = ScriptedServer::start(JudgeChecks(|_| "NO 0".into())).await;
    let (models, _) = asked_for(&server).await;
    assert!(models.iter().all(|m| m == "gpt-4o-mini"), "{models:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listing_reads_ids_leniently_and_reports_a_rejected_key() {
    let server = server_listing(&["a", " ", "b"]).await;
    let client = OpenAiModel::new(OpenAiConfig::new(server.base_url(), "x")).expect("client");
    assert_eq!(client.served_models().await.expect("listed"), ["a", "b"]);

    let denied = ScriptedServer::start(JudgeChecks(|_| "NO 0".into())).await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": {"message": "bad key", "type": "invalid_request_error"}}),
        ))
        .mount(&denied.server)
        .await;
    let client = OpenAiModel::new(OpenAiConfig::new(denied.base_url(), "x")).expect("client");
    let err = client.served_models().await.expect_err("401");
    assert!(
        matches!(err, ModelError::Auth { status: 401, .. }),
        "{err:?}"
    );
}
