//! The typed turn against a scripted server: the model speaks through `say`, and each field is
//! checked; whatever fails is replaced by the policy's own wording, and the transcript holds only
//! what the candidate heard. One test per case of issue 21.

mod common;

use std::sync::Arc;

use common::wiring::{planned_state, wired_agent};
use common::*;
use interviewer::agent::{Agent, CandidateInput, TurnOutput};
use interviewer::bank::{Bank, Mode, load_builtin};
use interviewer::model::openai::OpenAiModel;
use serde_json::json;
use wiremock::ResponseTemplate;

const SEED: u64 = 7;
/// Covers how the cache works and why it costs memory; leaves out GQA, quantization, paging.
const KV_ANSWER: &str = "We store the keys and values of earlier tokens and reuse them, so each new token only computes its own key and value instead of recomputing the prefix. The cache grows linearly with sequence length, which makes it the main memory bottleneck.";

fn bank() -> Arc<Bank> {
    Arc::new(load_builtin().expect("the built-in bank loads"))
}

fn ask(bank: &Bank, id: &str) -> String {
    bank.get(id).map(|q| q.ask.clone()).unwrap_or_default()
}

fn call(id: &str, name: &str, args: serde_json::Value) -> ResponseTemplate {
    json_tool_calls(&[(id, name, &args.to_string())])
}

/// A `say` call.
fn say(id: &str, ack: &str, question: &str, kind: &str, point: Option<&str>) -> ResponseTemplate {
    call(
        id,
        "say",
        json!({"acknowledgement": ack, "question": question, "kind": kind, "point": point}),
    )
}

/// The opening of a first round on `topics`: pick, then say the first question.
fn opening(bank: &Bank, first: &str) -> Vec<ResponseTemplate> {
    vec![
        call("o1", "pick_question", json!({})),
        say(
            "o2",
            "Hi, welcome.",
            &ask(bank, first),
            "next_question",
            None,
        ),
    ]
}

/// An agent over a server playing `script`, with the plan starting with `topics`.
async fn scripted(
    mode: Mode,
    topics: &[&str],
    n: usize,
    script: Vec<ResponseTemplate>,
) -> (Arc<Bank>, ScriptedServer, Agent) {
    let bank = bank();
    let st = planned_state(&bank, mode, topics, n, SEED).expect("a plan");
    let server = ScriptedServer::start(Script::new(script)).await;
    let model = OpenAiModel::new(fast_config(&server.base_url(), false)).expect("config");
    let agent = wired_agent(Arc::new(model), bank.clone(), st, false, 6000);
    (bank, server, agent)
}

async fn ok_turn(agent: &mut Agent, input: CandidateInput) -> TurnOutput {
    let mut sink = |_: &str| {};
    match agent.respond(input, &mut sink).await {
        Ok(out) => out,
        Err(e) => panic!("the turn failed: {e}"),
    }
}

fn answer(text: &str) -> CandidateInput {
    CandidateInput::Answer(text.to_string())
}

fn score(id: &str) -> ResponseTemplate {
    call("s", "score_answer", json!({"question_id": id}))
}

#[tokio::test]
async fn the_opening_is_said_through_say_and_the_question_is_recorded() {
    let bank = bank();
    let (_, server, mut agent) = scripted(
        Mode::FirstRound,
        &["kv-cache"],
        2,
        opening(&bank, "kv-cache"),
    )
    .await;
    let out = ok_turn(&mut agent, CandidateInput::Begin).await;
    // The model's greeting, then what the interview will be like (the policy's: the model does not
    // know the plan), then the question.
    let (greeting, question) = out.reply.split_once('\n').expect("two lines");
    assert!(greeting.starts_with("Hi, welcome. "), "{greeting}");
    assert!(
        greeting.contains("2 questions") && greeting.contains("/help"),
        "{greeting}"
    );
    assert_eq!(question, ask(&bank, "kv-cache"));
    assert_eq!(agent.state.questions.len(), 1);
    // The model's memory holds the line as a `say` call, as it was said.
    let last = agent
        .memory
        .recent
        .iter()
        .rev()
        .find(|m| !m.tool_calls.is_empty());
    let said = last.expect("a say call");
    assert_eq!(said.tool_calls[0].name, "say");
    assert!(said.tool_calls[0].arguments.contains("next_question"));
    // Every request offers `say` with its schemars schema.
    let requests = server.requests().await;
    assert!(tool_names(&requests[0]).contains(&"say".to_string()));
}

#[tokio::test]
async fn the_candidates_own_sentence_is_not_offered_as_a_follow_up() {
    let bank = bank();
    let sentence = "I guess you'd collect instruction-response pairs, maybe from humans or from a bigger model, and make sure they're diverse?";
    let mut script = opening(&bank, "sft-data");
    script.push(score("sft-data"));
    script.push(say(
        "f",
        "",
        &format!("Why? {sentence}"),
        "follow_up",
        Some("length-balance"),
    ));
    let (_, _server, mut agent) = scripted(Mode::FirstRound, &["sft-data"], 2, script).await;
    ok_turn(&mut agent, CandidateInput::Begin).await;
    let out = ok_turn(&mut agent, answer(sentence)).await;
    assert!(
        !out.reply.contains("instruction-response pairs"),
        "{}",
        out.reply
    );
    assert!(out.reply.ends_with('?'), "a real question: {}", out.reply);
    let rec = &agent.state.questions[0];
    for probe in rec.probes() {
        assert!(!probe.contains("instruction-response"), "{probe}");
        assert!(
            out.reply.contains(probe),
            "recorded as said: {probe} / {}",
            out.reply
        );
    }
}

#[tokio::test]
async fn the_open_question_restated_is_not_a_follow_up() {
    let bank = bank();
    let restated = "I understand your question about self-attention in the transformer model. How does it compute the output, and what is its significance compared to recurrent networks?";
    let mut script = opening(&bank, "self-attention");
    script.push(score("self-attention"));
    script.push(say(
        "f",
        "",
        restated,
        "follow_up",
        Some("parallel-training"),
    ));
    let (_, _server, mut agent) = scripted(Mode::DeepDive, &["self-attention"], 1, script).await;
    ok_turn(&mut agent, CandidateInput::Begin).await;
    let out = ok_turn(
        &mut agent,
        answer("Each token attends to every other token with weights from a softmax over dot products of queries and keys."),
    )
    .await;
    assert!(
        !out.reply.contains("significance compared"),
        "{}",
        out.reply
    );
    assert!(
        !out.reply.contains("I understand your question"),
        "{}",
        out.reply
    );
    let rec = &agent.state.questions[0];
    assert_eq!(rec.probe_count(), 1, "the policy's follow-up in its place");
    let probe = rec.probes().next().expect("a probe");
    assert!(out.reply.contains(probe), "{}", out.reply);
    assert_ne!(probe, ask(&bank, "self-attention"));
}

#[tokio::test]
async fn a_technical_claim_or_lecture_in_the_acknowledgement_is_not_said() {
    let bank = bank();
    let mut script = opening(&bank, "kv-cache");
    script.push(score("kv-cache"));
    script.push(say(
        "f",
        "You could also remove stop words and punctuation, which can help remove noise and make the corpus more manageable.",
        "How does grouped-query attention shrink the cache?",
        "follow_up",
        Some("gqa-mqa"),
    ));
    let (_, _server, mut agent) = scripted(Mode::FirstRound, &["kv-cache"], 2, script).await;
    ok_turn(&mut agent, CandidateInput::Begin).await;
    let out = ok_turn(&mut agent, answer(KV_ANSWER)).await;
    assert!(!out.reply.contains("stop words"), "{}", out.reply);
    assert!(
        out.reply
            .ends_with("How does grouped-query attention shrink the cache?"),
        "the model's question stands: {}",
        out.reply
    );
    assert_eq!(
        agent.state.questions[0].probes().collect::<Vec<_>>(),
        vec!["How does grouped-query attention shrink the cache?"]
    );
}

#[tokio::test]
async fn the_candidate_in_the_third_person_or_a_marker_is_not_said() {
    let bank = bank();
    let mut script = opening(&bank, "kv-cache");
    script.push(score("kv-cache"));
    script.push(say(
        "f",
        "The candidate gave a solid answer [4].",
        "What did the candidate mean by the cache growing [2]?",
        "follow_up",
        Some("gqa-mqa"),
    ));
    let (_, _server, mut agent) = scripted(Mode::FirstRound, &["kv-cache"], 2, script).await;
    ok_turn(&mut agent, CandidateInput::Begin).await;
    let out = ok_turn(&mut agent, answer(KV_ANSWER)).await;
    assert!(
        !out.reply.to_lowercase().contains("candidate"),
        "{}",
        out.reply
    );
    assert!(!out.reply.contains('['), "{}", out.reply);
    assert!(out.reply.ends_with('?'), "{}", out.reply);
}

#[tokio::test]
async fn not_sure_gets_no_praise_and_no_deeper_probe() {
    let bank = bank();
    let mut script = opening(&bank, "sft-data");
    script.push(score("sft-data"));
    script.push(say(
        "f",
        "That's a reasonable approach to building a supervised fine-tuning dataset.",
        "Why would you want diversity in the prompts?",
        "follow_up",
        None,
    ));
    let (_, _server, mut agent) =
        scripted(Mode::FirstRound, &["sft-data", "kv-cache"], 2, script).await;
    ok_turn(&mut agent, CandidateInput::Begin).await;
    let out = ok_turn(&mut agent, answer("I'm honestly not sure.")).await;
    let said = out.reply.to_lowercase();
    assert!(!said.contains("reasonable approach"), "{}", out.reply);
    assert_eq!(
        agent.state.questions[0].probe_count(),
        0,
        "no probe into what they don't know"
    );
    assert_eq!(agent.state.questions.len(), 2, "moved on: {}", out.reply);
    assert!(
        out.reply.ends_with(&ask(&bank, "kv-cache")),
        "{}",
        out.reply
    );
}

#[tokio::test]
async fn a_follow_up_on_a_point_already_made_is_replaced() {
    let bank = bank();
    let mut script = opening(&bank, "kv-cache");
    script.push(score("kv-cache"));
    // The answer made reuse-past-kv; the model follows up on it anyway.
    script.push(say(
        "f",
        "Good.",
        "Why do we reuse the keys and values of earlier tokens?",
        "follow_up",
        Some("reuse-past-kv"),
    ));
    let (_, _server, mut agent) = scripted(Mode::DeepDive, &["kv-cache"], 1, script).await;
    ok_turn(&mut agent, CandidateInput::Begin).await;
    let out = ok_turn(&mut agent, answer(KV_ANSWER)).await;
    let rec = &agent.state.questions[0];
    let covered = rec
        .score()
        .and_then(|s| s.verdict("reuse-past-kv"))
        .map(|v| v == interviewer::scoring::Verdict::Covered);
    assert_eq!(
        covered,
        Some(true),
        "the answer made the point: {:?}",
        rec.score()
    );
    assert!(!out.reply.contains("Why do we reuse"), "{}", out.reply);
    for e in &rec.exchanges {
        if e.probe.is_some() {
            let point = e.point.as_deref().unwrap_or("");
            let verdict = rec.score().and_then(|s| s.verdict(point));
            let deeper = bank
                .get("kv-cache")
                .and_then(|q| q.point(point))
                .is_some_and(|p| p.derivations.iter().any(|d| Some(d) == e.probe.as_ref()));
            assert!(
                verdict != Some(interviewer::scoring::Verdict::Covered) || deeper,
                "a follow-up on a made point: {e:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_probe_the_loop_did_not_ask_is_not_recorded() {
    let bank = bank();
    let mut script = opening(&bank, "kv-cache");
    // First answer: a typed follow-up on a missed point (the one probe a first round allows).
    script.push(score("kv-cache"));
    script.push(say(
        "f1",
        "",
        "How does grouped-query attention shrink the cache?",
        "follow_up",
        Some("gqa-mqa"),
    ));
    // Second answer: the model asks again in free text, past the budget: the loop moves on.
    script.push(score("kv-cache"));
    script.push(json_text(
        "Why is that? Walk me through the reasoning behind it.",
    ));
    let (_, _server, mut agent) =
        scripted(Mode::FirstRound, &["kv-cache", "rope"], 2, script).await;
    ok_turn(&mut agent, CandidateInput::Begin).await;
    ok_turn(
        &mut agent,
        answer("It caches something about earlier tokens so generation is faster."),
    )
    .await;
    let out = ok_turn(
        &mut agent,
        answer("Several query heads share one key and value head."),
    )
    .await;
    assert!(!out.reply.contains("Why is that"), "{}", out.reply);
    assert!(out.reply.ends_with(&ask(&bank, "rope")), "{}", out.reply);
    let probes: Vec<&str> = agent.state.questions[0].probes().collect();
    assert_eq!(
        probes,
        vec!["How does grouped-query attention shrink the cache?"]
    );
}

#[tokio::test]
async fn a_wrap_up_below_six_says_no_nicely_done() {
    let bank = bank();
    let mut script = opening(&bank, "kv-cache");
    script.push(score("kv-cache"));
    script.push(say("f", "Great job, nicely done!", "", "closing", None));
    script.push(say(
        "e",
        "Great job, nicely done!",
        "Goodbye.",
        "closing",
        None,
    ));
    let (_, _server, mut agent) = scripted(Mode::FirstRound, &["kv-cache"], 2, script).await;
    ok_turn(&mut agent, CandidateInput::Begin).await;
    // A wrong claim caps the answer however much of it is right.
    let wrong = format!(
        "{KV_ANSWER} The KV cache stores the queries of earlier tokens, so attention becomes a lookup and nothing is ever recomputed."
    );
    let out = ok_turn(&mut agent, answer(&wrong)).await;
    assert!(
        !out.reply.to_lowercase().contains("nicely done"),
        "{}",
        out.reply
    );
    assert!(!out.reply.to_lowercase().contains("great"), "{}", out.reply);
    ok_turn(&mut agent, CandidateInput::End).await;
    let overall = agent.state.overall();
    let wrapup = agent.finish();
    assert!(overall.is_some_and(|o| o < 6.0), "{overall:?}");
    assert!(!wrapup.contains("nicely done"), "{wrapup}");
}

/// Seen on the 1.5B model: after its tool results it wrote nothing. The loop asks once more with a
/// reminder to speak (in that request only, never remembered), and the model's `say` is then
/// checked and said like any other.
#[tokio::test]
async fn a_model_silent_after_its_tool_results_is_reminded_once_to_speak() {
    let bank = bank();
    let mut script = opening(&bank, "kv-cache");
    script.push(score("kv-cache"));
    script.push(json_text("\n"));
    script.push(say(
        "f",
        "Good.",
        "How would you shrink the cache for a long-context deployment?",
        "follow_up",
        Some("gqa-mqa"),
    ));
    let (_, server, mut agent) = scripted(Mode::FirstRound, &["kv-cache"], 2, script).await;
    ok_turn(&mut agent, CandidateInput::Begin).await;
    let out = ok_turn(&mut agent, answer(KV_ANSWER)).await;
    assert!(
        out.reply
            .contains("How would you shrink the cache for a long-context deployment?"),
        "the model's own follow-up, checked and said: {}",
        out.reply
    );
    let requests = server.requests().await;
    let last_user = |r: &serde_json::Value| -> String {
        r["messages"]
            .as_array()
            .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let reminded: Vec<_> = requests
        .iter()
        .filter(|r| last_user(r).contains("call say now"))
        .collect();
    assert_eq!(reminded.len(), 1, "one reminder, after the empty reply");
    let last = requests.last().expect("requests");
    assert!(
        last["messages"]
            .as_array()
            .and_then(|m| m.last())
            .is_some_and(|m| m["role"] == "user"),
        "the reminder ends the request that follows the empty reply"
    );
    assert!(
        !agent
            .memory
            .recent
            .iter()
            .any(|m| m.text().contains("call say now")),
        "the reminder is not remembered"
    );
}

/// Seen on the 1.5B: the stage direction said back as the greeting. The policy greets instead.
#[tokio::test]
async fn the_stage_direction_said_back_is_replaced_by_the_policys_greeting() {
    let bank = bank();
    let script = vec![
        call("o1", "pick_question", json!({})),
        say(
            "o2",
            "Hello, I'm ready to start the interview.",
            &ask(&bank, "kv-cache"),
            "next_question",
            None,
        ),
    ];
    let (_, _server, mut agent) = scripted(Mode::FirstRound, &["kv-cache"], 2, script).await;
    let out = ok_turn(&mut agent, CandidateInput::Begin).await;
    assert!(!out.reply.contains("ready to start"), "{}", out.reply);
    assert!(
        out.reply.contains("/help"),
        "the policy's greeting: {}",
        out.reply
    );
    assert!(
        out.reply.ends_with(&ask(&bank, "kv-cache")),
        "{}",
        out.reply
    );
}

/// Seen on the 1.5B in deep dives: after a complete answer the model moved on at once. A deep dive
/// goes deeper while the answers hold up, so the policy's follow-up is asked instead.
#[tokio::test]
async fn a_deep_dive_does_not_move_on_while_the_policy_would_go_deeper() {
    let bank = bank();
    let mut script = opening(&bank, "kv-cache");
    script.push(score("kv-cache"));
    script.push(say(
        "n",
        "Good.",
        &ask(&bank, "sft-data"),
        "next_question",
        None,
    ));
    let (_, _server, mut agent) =
        scripted(Mode::DeepDive, &["kv-cache", "sft-data"], 2, script).await;
    ok_turn(&mut agent, CandidateInput::Begin).await;
    let out = ok_turn(&mut agent, answer(KV_ANSWER)).await;
    assert_eq!(
        agent.state.questions.len(),
        1,
        "still on the KV cache: {}",
        out.reply
    );
    let rec = &agent.state.questions[0];
    assert_eq!(rec.probe_count(), 1, "{}", out.reply);
    assert!(
        !out.reply.contains(&ask(&bank, "sft-data")),
        "{}",
        out.reply
    );
}
