//! End-to-end interviews with the embedded offline interviewer: the real binary, scripted stdin,
//! `INTERVIEWER_HOME` in a temporary directory.
//!
//! Most tests drive the interview live: the child's stdout is read line by line, the line the
//! interviewer is waiting on is recognised by the bank text it ends with (a question's `ask`, or a
//! probe / derivation of one of its rubric points), and the next input is chosen from the graded
//! fixture answers for that question. Scores and probes are then read back with
//! `interviewer review --format json`.

mod common;

use common::cli::{Home, Live, Prompt, Turn, answer, bank};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::OnceLock;

/// Guard against an interview that never ends.
const MAX_INPUTS: usize = 200;

// ---------------------------------------------------------------------------------------------
// Data: the phrases (the bank, fixture answers and prompt recognition are in `common::cli`)
// ---------------------------------------------------------------------------------------------

/// A phrase list of `prompts/phrases.toml`, read from the file itself.
fn phrases(key: &str) -> Vec<String> {
    static TABLE: OnceLock<toml::Table> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts/phrases.toml");
        toml::from_str(&std::fs::read_to_string(path).expect("phrases file"))
            .expect("phrases parse")
    });
    match &table[key] {
        toml::Value::Array(a) => a.iter().map(|v| v.as_str().unwrap().to_string()).collect(),
        toml::Value::String(s) => vec![s.clone()],
        other => panic!("{key}: unexpected {other:?}"),
    }
}

/// The fixed text of a template before its first `{placeholder}`.
fn template_prefix(template: &str) -> String {
    template
        .split('{')
        .next()
        .unwrap_or(template)
        .trim()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Driving an interview
// ---------------------------------------------------------------------------------------------

/// One exchange of a scripted run: what the interviewer said and what the candidate replied.
#[derive(Debug)]
struct Exchange {
    turn: Turn,
    input: Option<String>,
}

/// A finished live run.
struct Run {
    exchanges: Vec<Exchange>,
    ok: bool,
    stderr: String,
    stdout: Vec<String>,
}

/// Drive an interview to its end: `reply` chooses the input for each prompt (given the prompt
/// and the number of inputs already given to that question).
fn drive(home: &Home, args: &[&str], mut reply: impl FnMut(&Prompt, usize) -> String) -> Run {
    let mut live = Live::start(home, args);
    let mut exchanges = vec![];
    let mut per_question: HashMap<String, usize> = HashMap::new();
    for _ in 0..MAX_INPUTS {
        let turn = live.turn();
        let Some(prompt) = turn.waiting.clone() else {
            exchanges.push(Exchange { turn, input: None });
            let (ok, stderr, stdout) = live.finish();
            return Run {
                exchanges,
                ok,
                stderr,
                stdout,
            };
        };
        let n = per_question.entry(prompt.question.clone()).or_insert(0);
        let input = reply(&prompt, *n);
        *n += 1;
        live.send(&input);
        exchanges.push(Exchange {
            turn,
            input: Some(input),
        });
    }
    panic!("the interview did not end after {MAX_INPUTS} inputs");
}

fn questions(review: &Value) -> &Vec<Value> {
    review["questions"].as_array().expect("questions array")
}

/// How many probes a review question records.
fn probes(q: &Value) -> usize {
    q["probes"].as_array().map_or(0, Vec::len)
}

fn total_probes(review: &Value) -> usize {
    questions(review).iter().map(probes).sum()
}

fn ids(review: &Value) -> Vec<String> {
    questions(review)
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_string())
        .collect()
}

fn score(q: &Value) -> f64 {
    q["score"].as_f64().expect("numeric score")
}

fn skips(n: usize) -> String {
    "/skip\n".repeat(n)
}

fn stdout_lines(out: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Probing
// ---------------------------------------------------------------------------------------------

#[test]
fn strong_answers_draw_fewer_probes_than_vague_ones() {
    for seed in ["11", "12"] {
        let args = ["--offline", "--mode", "first-round", "--seed", seed];
        let strong_home = Home::new();
        let strong = drive(&strong_home, &args, |p, _| answer(&p.question, "strong"));
        let vague_home = Home::new();
        let vague = drive(&vague_home, &args, |p, _| answer(&p.question, "vague"));
        assert!(
            strong.ok && vague.ok,
            "stderr: {}\n{}",
            strong.stderr,
            vague.stderr
        );

        let (rs, rv) = (strong_home.review(), vague_home.review());
        assert_eq!(ids(&rs), ids(&rv), "the same seed plans the same questions");
        assert_eq!(questions(&rs).len(), 6);
        let (ps, pv) = (total_probes(&rs), total_probes(&rv));
        assert!(
            ps < pv,
            "seed {seed}: strong answers drew {ps} probes, vague ones {pv}"
        );
        for q in questions(&rs).iter().chain(questions(&rv)) {
            let n = probes(q);
            assert!(
                n <= 1,
                "first round probes at most once per question, {} got {n}",
                q["id"]
            );
        }
        // What the review counts is what was asked: one probe prompt per recorded probe.
        let probe_prompts = vague
            .exchanges
            .iter()
            .filter(|e| e.turn.waiting.as_ref().is_some_and(|p| p.point.is_some()))
            .count();
        assert_eq!(probe_prompts, pv);
    }
}

#[test]
fn a_wrong_answer_is_never_acknowledged_as_right() {
    let praise: Vec<String> = phrases("ack_strong")
        .into_iter()
        .chain(phrases("ack_good"))
        .collect();
    let home = Home::new();
    let run = drive(
        &home,
        &[
            "--offline",
            "--mode",
            "first-round",
            "--questions",
            "20",
            "--seed",
            "5",
        ],
        |p, _| answer(&p.question, "wrong"),
    );
    assert!(run.ok, "{}", run.stderr);
    let mut checked = 0;
    for pair in run.exchanges.windows(2) {
        if pair[0].input.is_none() {
            continue;
        }
        for line in &pair[1].turn.lines {
            for phrase in &praise {
                assert!(
                    !line.contains(phrase.as_str()),
                    "wrong answer praised with {phrase:?}: {line}"
                );
            }
        }
        checked += 1;
    }
    let review = home.review();
    assert_eq!(
        questions(&review).len(),
        20,
        "every question of the bank was asked"
    );
    assert!(checked >= 20);
    for q in questions(&review) {
        assert!(
            score(q) <= 3.0,
            "{} scored {} for a wrong answer",
            q["id"],
            score(q)
        );
        assert!(q["scored"].as_bool().unwrap());
    }
    // Misconceptions are named, not glossed over.
    let wrong_lead: Vec<String> = phrases("ack_wrong")
        .iter()
        .map(|t| template_prefix(t))
        .collect();
    assert!(
        run.stdout
            .iter()
            .any(|l| wrong_lead.iter().any(|w| l.contains(w.as_str())))
    );
}

#[test]
fn a_wrong_claim_is_spoken_to_once_not_again_after_the_follow_up() {
    let home = Home::new();
    let claim = "SFT needs millions of examples";
    let run = drive(
        &home,
        &[
            "--offline",
            "--topics",
            "sft-data",
            "--questions",
            "1",
            "--seed",
            "3",
        ],
        |_, n| match n {
            0 => "I'd mix human-written examples for the hard cases with synthetic data from a \
                  strong model, keep one chat template, and include refusals. The main trap is \
                  volume: SFT only really starts working once you're past about a million \
                  examples, so quantity should be the priority."
                .to_string(),
            1 => "Because the variance of the dot product grows with d_k.".to_string(),
            _ => "/end".to_string(),
        },
    );
    assert!(run.ok, "{}", run.stderr);
    let said: Vec<&String> = run
        .exchanges
        .iter()
        .flat_map(|e| &e.turn.lines)
        .filter(|l| l.contains(claim))
        .collect();
    assert_eq!(said.len(), 1, "{said:#?}");
    assert!(
        run.exchanges.iter().filter(|e| e.input.is_some()).count() >= 2,
        "the follow-up was asked and answered"
    );
}

/// A deep dive on three fixed topics.
const DEEP_DIVE: [&str; 7] = [
    "--offline",
    "--mode",
    "deep-dive",
    "--topics",
    "rope,dpo,kv-cache",
    "--seed",
    "2",
];

/// Deep dive on partly-right answers, each probe answered with a full explanation.
fn chained(home: &Home) -> Run {
    drive(home, &DEEP_DIVE, |p, _| match &p.point {
        None => answer(&p.question, "partial"),
        Some(_) => answer(&p.question, "strong"),
    })
}

#[test]
fn deep_dive_chains_probes_on_a_partly_right_answer() {
    let home = Home::new();
    let run = chained(&home);
    assert!(run.ok, "{}", run.stderr);
    let review = home.review();
    assert_eq!(review["mode"], "deep-dive");
    let depths: Vec<usize> = questions(&review).iter().map(probes).collect();
    assert!(
        depths.iter().any(|d| *d >= 2),
        "no chain of two probes: {depths:?}"
    );
    assert!(
        depths.iter().all(|d| *d <= 3),
        "deep dive probes at most 3 times: {depths:?}"
    );
    // The follow-up answers were scored: the questions end above the partial first answer.
    for q in questions(&review) {
        let answers = q["answers"].as_array().unwrap().len();
        assert_eq!(
            answers,
            q["probes"].as_array().unwrap().len() + 1,
            "{}: one answer per prompt",
            q["id"]
        );
    }
}

#[test]
fn deep_dive_stops_early_when_the_candidate_is_lost() {
    let chained_home = Home::new();
    assert!(chained(&chained_home).ok);
    let chained_probes = total_probes(&chained_home.review());

    let home = Home::new();
    let run = drive(&home, &DEEP_DIVE, |p, _| match &p.point {
        None => answer(&p.question, "vague"),
        Some(_) => "I don't know.".to_string(),
    });
    assert!(run.ok, "{}", run.stderr);
    let review = home.review();
    assert_eq!(ids(&review), ["rope", "dpo", "kv-cache"]);
    let lost_probes = total_probes(&review);
    assert!(
        lost_probes < chained_probes,
        "lost: {lost_probes} probes, chained: {chained_probes}"
    );
    for q in questions(&review) {
        assert!(
            q["probes"].as_array().unwrap().len() <= 1,
            "{}: kept probing a lost candidate",
            q["id"]
        );
    }
    // After "I don't know" the interviewer leaves a pointer or moves on, and asks something new.
    let leads: Vec<String> = phrases("hint_lead")
        .iter()
        .map(|t| template_prefix(t))
        .chain(phrases("move_on"))
        .collect();
    let mut saw_give_up = 0;
    for pair in run.exchanges.windows(2) {
        if pair[0].input.as_deref() != Some("I don't know.") {
            continue;
        }
        let said = pair[1].turn.lines.join("\n");
        if pair[1].turn.waiting.is_none() {
            // Lost on the last question: the interview closes, and the wrap-up names what to study.
            assert!(said.contains("To study next:"), "{said}");
            continue;
        }
        saw_give_up += 1;
        assert!(
            leads.iter().any(|l| said.contains(l.as_str())),
            "no hint or move-on after a lost answer:\n{said}"
        );
        assert!(
            pair[1]
                .turn
                .waiting
                .as_ref()
                .is_none_or(|p| p.point.is_none()
                    && p.question != pair[0].turn.waiting.as_ref().unwrap().question),
            "the interviewer kept probing the same question:\n{said}"
        );
    }
    assert!(saw_give_up >= 1);
}

// ---------------------------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------------------------

#[test]
fn first_round_covers_at_least_four_domains_in_six_questions() {
    let mut plans = BTreeSet::new();
    for seed in 1..=6 {
        let home = Home::new();
        let out = home.run(&["--offline", "--seed", &seed.to_string()], &skips(8));
        assert!(out.status.success());
        let review = home.review();
        assert_eq!(questions(&review).len(), 6, "seed {seed}");
        let domains: BTreeSet<&str> = questions(&review)
            .iter()
            .map(|q| q["domain"].as_str().unwrap())
            .collect();
        assert!(domains.len() >= 4, "seed {seed}: only {domains:?}");
        plans.insert(ids(&review));
    }
    assert!(
        plans.len() >= 2,
        "different seeds should give different plans: {plans:?}"
    );
}

#[test]
fn the_same_seed_gives_the_same_interview_word_for_word() {
    let input = "Attention lets each token weigh every other token.\n/hint\nIt uses queries, keys and values with a softmax.\n/repeat\n/skip\nI am not sure.\n/end\n";
    let a = Home::new();
    let b = Home::new();
    let out_a = a.run(&["--offline", "--seed", "42"], input);
    let out_b = b.run(&["--offline", "--seed", "42"], input);
    assert!(out_a.status.success() && out_b.status.success());
    assert!(!out_a.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out_a.stdout),
        String::from_utf8_lossy(&out_b.stdout)
    );
    assert_eq!(ids(&a.review()), ids(&b.review()));
}

#[test]
fn topics_pick_exactly_those_questions_in_deep_dive() {
    let home = Home::new();
    let out = home.run(
        &[
            "--offline",
            "--topics",
            "rope,dpo,kv-cache",
            "--mode",
            "deep-dive",
            "--seed",
            "9",
        ],
        &skips(5),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let review = home.review();
    assert_eq!(review["mode"], "deep-dive");
    assert_eq!(ids(&review), ["rope", "dpo", "kv-cache"]);
    let stdout = stdout_lines(&out);
    for id in ["rope", "dpo", "kv-cache"] {
        let ask = &bank().get(id).unwrap().ask;
        assert!(
            stdout.iter().any(|l| l.ends_with(ask.trim())),
            "{id} was not asked"
        );
    }
}

#[test]
fn an_unknown_topic_fails_with_a_suggestion() {
    let home = Home::new();
    let out = home.run(
        &["--offline", "--topics", "ropee,dpo", "--mode", "deep-dive"],
        "",
    );
    assert_eq!(out.status.code(), Some(2), "a bad command line exits 2");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("ropee"), "{stderr}");
    assert!(
        stderr.contains("did you mean") && stderr.contains("rope"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "no interview starts");
    assert_eq!(home.session_files(), 0, "no session is created");
}

#[test]
fn a_bad_topic_or_zero_questions_exits_2_like_score_and_bank_show() {
    let home = Home::new();
    for args in [
        &["start", "--offline", "--topics", "rope,nosuch"][..],
        &["--offline", "--questions", "0"][..],
        &["start", "--offline", "--questions", "0", "--topics", "rope"][..],
    ] {
        let out = home.run(args, "");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("interviewer: "), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    let unknown = home.run(&["start", "--offline", "--topics", "rope,nosuch"], "");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("\"nosuch\""));
    assert_eq!(home.session_files(), 0, "no session is created");
    // The same exit code as the commands that already did it.
    let score = home.run(&["score", "--question", "nosuch", "--answer", "x"], "");
    assert_eq!(score.status.code(), Some(2));
}

#[test]
fn questions_limits_the_interview() {
    let home = Home::new();
    let out = home.run(&["--offline", "--questions", "2", "--seed", "4"], &skips(5));
    assert!(out.status.success());
    let review = home.review();
    assert_eq!(questions(&review).len(), 2);
    assert_eq!(review["status"], "finished");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2 questions"), "{stdout}");
}

// ---------------------------------------------------------------------------------------------
// Candidate commands
// ---------------------------------------------------------------------------------------------

#[test]
fn skip_scores_zero_and_moves_on() {
    let home = Home::new();
    let mut live = Live::start(&home, &["--offline", "--seed", "3"]);
    let first = live.turn().waiting.expect("a first question");
    live.send("/skip");
    let next = live.turn();
    let second = next.waiting.clone().expect("a second question");
    assert!(
        second.point.is_none() && second.question != first.question,
        "{next:?}"
    );
    let skip_ack = phrases("skip_ack");
    assert!(
        skip_ack.iter().any(|s| next.lines[0].contains(s.as_str())),
        "{:?}",
        next.lines
    );
    live.send("/end");
    let (ok, stderr, _) = live.finish();
    assert!(ok, "{stderr}");
    let review = home.review();
    let q = &questions(&review)[0];
    assert_eq!(q["id"], first.question.as_str());
    assert_eq!(q["skipped"], true);
    assert_eq!(score(q), 0.0);
    assert_eq!(questions(&review)[1]["id"], second.question.as_str());
}

#[test]
fn hint_is_recorded_and_caps_the_score() {
    let home = Home::new();
    let mut live = Live::start(&home, &["--offline", "--seed", "3"]);
    let first = live.turn().waiting.expect("a first question");
    live.send("/hint");
    let hint = live.line().expect("a hint line");
    let leads: Vec<String> = phrases("hint_given")
        .iter()
        .map(|t| template_prefix(t))
        .collect();
    assert!(leads.iter().any(|l| hint.starts_with(l.as_str())), "{hint}");
    live.send(&answer(&first.question, "strong"));
    let after = live.turn();
    assert!(after.waiting.is_some());
    live.send("/end");
    let (ok, _, _) = live.finish();
    assert!(ok);
    let review = home.review();
    let q = &questions(&review)[0];
    assert_eq!(q["hints"], 1);
    assert!(score(q) <= 7.0, "a hinted answer scored {}", score(q));
    assert!(score(q) > 0.0, "the strong answer still counts");
}

#[test]
fn repeat_says_the_last_line_again() {
    let home = Home::new();
    let mut live = Live::start(&home, &["--offline", "--seed", "8"]);
    let asked = live.turn();
    assert!(asked.waiting.is_some());
    // /repeat says the latest line again: the question, without the greeting before it.
    live.send("/repeat");
    let again = live.turn();
    assert_eq!(
        again.lines.as_slice(),
        &asked.lines[asked.lines.len() - 1..]
    );
    // After an answer, /repeat gives the latest line (here: the follow-up or the next question).
    let q = asked.waiting.unwrap().question;
    live.send(&answer(&q, "partial"));
    let reply = live.turn();
    live.send("/repeat");
    assert_eq!(
        live.turn().lines.as_slice(),
        &reply.lines[reply.lines.len() - 1..]
    );
    live.send("/end");
    assert!(live.finish().0);
}

#[test]
fn end_stops_early_with_the_wrap_up() {
    let home = Home::new();
    let mut live = Live::start(&home, &["--offline", "--seed", "3"]);
    let first = live.turn().waiting.expect("a question");
    live.send(&answer(&first.question, "strong"));
    assert!(live.turn().waiting.is_some());
    live.send("/end");
    live.send("this line comes after /end and is never read as an answer");
    let (ok, stderr, stdout) = live.finish();
    assert!(ok, "{stderr}");
    assert!(
        stdout.iter().any(|l| l.starts_with("Overall you scored")),
        "{stdout:?}"
    );
    let review = home.review();
    assert_eq!(review["status"], "finished");
    assert_eq!(
        questions(&review).len(),
        2,
        "the first answered, the second asked"
    );
    assert!(review["end_reason"].as_str().unwrap().contains("candidate"));
    let answers: usize = questions(&review)
        .iter()
        .map(|q| q["answers"].as_array().unwrap().len())
        .sum();
    assert_eq!(answers, 1);
}

#[test]
fn help_and_unknown_commands_go_to_stderr_and_the_interview_goes_on() {
    let home = Home::new();
    let mut live = Live::start(&home, &["--offline", "--seed", "3"]);
    let first = live.turn().waiting.expect("a question");
    live.send("/help");
    live.send("/foo");
    live.send(&answer(&first.question, "strong"));
    let after = live.turn();
    assert!(after.waiting.is_some(), "{after:?}");
    live.send("/end");
    let (ok, stderr, stdout) = live.finish();
    assert!(ok);
    for cmd in ["/skip", "/hint", "/repeat", "/end", "/help"] {
        assert!(stderr.contains(cmd), "help does not list {cmd}: {stderr}");
    }
    assert!(stderr.contains("unknown command /foo"), "{stderr}");
    assert!(
        !stdout.iter().any(|l| l.contains("/foo")),
        "errors stay off stdout"
    );
    let review = home.review();
    let q = &questions(&review)[0];
    assert_eq!(
        q["answers"].as_array().unwrap().len(),
        1,
        "commands are not answers"
    );
    assert!(score(q) >= 7.5);
}

#[test]
fn end_of_input_finishes_the_session_cleanly() {
    let home = Home::new();
    let q = Live::start(&home, &["--offline", "--seed", "3"]);
    let (ok, _, stdout) = q.finish();
    assert!(ok);
    assert!(!stdout.is_empty());

    let home = Home::new();
    let out = home.run(
        &["--offline", "--seed", "3"],
        "Attention computes weights with a softmax over scores.\n",
    );
    assert!(out.status.success(), "EOF exits 0");
    let review = home.review();
    assert_eq!(review["status"], "finished");
    assert_eq!(
        questions(&review)[0]["answers"].as_array().unwrap().len(),
        1
    );
    assert!(
        stdout_lines(&out)
            .iter()
            .any(|l| l.starts_with("Overall you scored"))
    );
    // Nothing is left to resume.
    let resume = home.run(&["resume", "--offline"], "");
    assert!(!resume.status.success());
}

// ---------------------------------------------------------------------------------------------
// Wrap-up
// ---------------------------------------------------------------------------------------------

#[test]
fn wrap_up_names_the_overall_score_and_study_items() {
    let home = Home::new();
    let run = drive(&home, &["--offline", "--seed", "21"], |p, _| {
        answer(&p.question, "partial")
    });
    assert!(run.ok, "{}", run.stderr);
    let review = home.review();
    let last = run.stdout.last().expect("a wrap-up line").clone();
    let overall = review["overall"].as_f64().unwrap();
    assert!(
        last.contains(&format!(
            "Overall you scored {overall:.1} out of 10 over 6 questions"
        )),
        "{last}"
    );
    assert!(last.contains("To study next:"), "{last}");
    let missed: Vec<String> = questions(&review)
        .iter()
        .flat_map(|q| q["points"].as_array().unwrap().iter())
        .filter(|p| p["verdict"] != "covered")
        .filter_map(|p| p["expect"].as_str())
        .map(|e| e.trim().trim_end_matches('.').to_lowercase())
        .collect();
    assert!(!missed.is_empty());
    let lower = last.to_lowercase();
    assert!(
        missed.iter().any(|m| lower.contains(m.as_str())),
        "no missed point named in: {last}"
    );
}

#[test]
fn focus_weak_plans_around_the_points_missed_before() {
    let home = Home::new();
    // A past session where DPO went badly.
    let out = home.run(
        &[
            "--offline",
            "--topics",
            "dpo",
            "--questions",
            "1",
            "--seed",
            "4",
        ],
        "It makes the model better aligned somehow.\nNot sure.\n",
    );
    assert!(out.status.success());
    let past = home.review();
    assert_eq!(ids(&past), vec!["dpo".to_string()]);
    assert!(score(&questions(&past)[0]) < 4.0);

    // The next interview with --focus weak starts from it.
    let out = home.run(
        &[
            "start",
            "--offline",
            "--focus",
            "weak",
            "--questions",
            "3",
            "--seed",
            "9",
        ],
        "/end\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let next = home.review();
    assert_eq!(
        ids(&next).first().map(String::as_str),
        Some("dpo"),
        "{next}"
    );
    // It says which points it plans around.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said = stderr
        .lines()
        .find(|l| l.starts_with("Planning around the points you missed most: dpo / "))
        .unwrap_or_else(|| panic!("{stderr}"));
    let missed: Vec<&str> = questions(&past)[0]["points"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["verdict"] == "missed")
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert!(
        missed
            .iter()
            .any(|m| said.contains(&format!("dpo / {m} (missed once)"))),
        "{said}"
    );

    // With no past sessions there is nothing to plan around, and it says so.
    let fresh = Home::new();
    let out = fresh.run(&["start", "--offline", "--focus", "weak"], "/end\n");
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("No weak points yet"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn end_with_a_question_on_the_table_leaves_it_out_of_the_scores() {
    let home = Home::new();
    let mut live = Live::start(&home, &["--offline", "--seed", "3"]);
    let first = live.turn().waiting.expect("a question");
    live.send(&answer(&first.question, "strong"));
    let second = live.turn().waiting.expect("a second question");
    assert_ne!(second.question, first.question);
    live.send("/end");
    let (ok, stderr, stdout) = live.finish();
    assert!(ok, "{stderr}");
    let review = home.review();
    let qs = questions(&review);
    assert_eq!(qs.len(), 2);
    assert_eq!(qs[0]["status"], "answered");
    assert_eq!(qs[1]["status"], "not_reached");
    let first_score = score(&qs[0]);
    assert_eq!(
        review["overall"].as_f64(),
        Some(first_score),
        "the unreached question is not a zero in the overall"
    );
    let domains = review["by_domain"].as_object().expect("by_domain");
    assert_eq!(
        domains.len(),
        1,
        "only the answered question's domain: {domains:?}"
    );
    let wrap = stdout.last().expect("a wrap-up");
    assert!(wrap.contains("over 1 question"), "{wrap}");
    // Its points come after real gaps in what to study next, flagged as not reached.
    let study = review["study_next"].as_array().expect("study_next");
    let first_unreached = study.iter().position(|s| s["not_reached"] == true);
    if let Some(i) = first_unreached {
        assert!(
            study[i..].iter().all(|s| s["not_reached"] == true),
            "{study:?}"
        );
    }
    let text = home.cmd(&["review"]).output().expect("review");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("not reached"), "{text}");
}

#[test]
fn skip_on_a_probe_keeps_the_score_of_the_answer_given() {
    let home = Home::new();
    let mut live = Live::start(&home, &["--offline", "--seed", "3"]);
    let first = live.turn().waiting.expect("a question");
    live.send(&answer(&first.question, "partial"));
    let probe = live.turn().waiting.expect("a probe");
    assert_eq!(probe.question, first.question);
    assert!(
        probe.point.is_some(),
        "a partly-right answer draws a probe: {probe:?}"
    );
    live.send("/skip");
    let next = live.turn().waiting.expect("the next question");
    assert_ne!(next.question, first.question, "/skip moves past the probe");
    live.send("/end");
    let (ok, stderr, _) = live.finish();
    assert!(ok, "{stderr}");
    let review = home.review();
    let q = &questions(&review)[0];
    assert_eq!(q["status"], "answered");
    assert!(score(q) > 0.0, "the answer's credit is kept: {q}");
    let alone = home.run(
        &["score", "--question", &first.question, "--json"],
        &answer(&first.question, "partial"),
    );
    let alone: Value = serde_json::from_slice(&alone.stdout).expect("score json");
    assert_eq!(q["score"], alone["score"]);
    let text = home.cmd(&["review"]).output().expect("review");
    assert!(String::from_utf8_lossy(&text.stdout).contains("(probe skipped)"));
}

#[test]
fn an_unreachable_server_fails_the_start_with_a_saved_resumable_session() {
    let home = Home::new();
    let out = home.run(&["start", "--base-url", "http://127.0.0.1:9/v1"], "");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach the model server"), "{err}");
    assert!(err.contains("interviewer resume"), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("We didn't get through"));
    assert_eq!(home.session_files(), 1, "the session is saved");
}

// ---------------------------------------------------------------------------------------------
// Nothing answered, and how an interview the candidate ended closes
// ---------------------------------------------------------------------------------------------

#[test]
fn an_interview_ended_at_its_first_question_claims_no_score() {
    let home = Home::new();
    // Ctrl-D at the first question.
    let out = home.run(&["--offline", "--seed", "3"], "");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("That's all I had"), "{stdout}");
    assert!(!stdout.contains("Overall you scored"), "{stdout}");
    assert!(
        stdout.contains("We didn't get through any questions this time."),
        "{stdout}"
    );
    let review = home.review();
    assert_eq!(review["status"], "finished");
    assert_eq!(review["overall"], Value::Null, "{}", review["overall"]);
    assert_eq!(questions(&review)[0]["status"], "not_reached");
    assert_eq!(questions(&review)[0]["score"], Value::Null);
    assert_eq!(review["by_domain"], serde_json::json!({}));
    let text = home.cmd(&["review"]).output().expect("review");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("Overall    no score (nothing was answered)"),
        "{text}"
    );
    assert!(!text.contains("0.0 / 10"), "{text}");

    let history = home.cmd(&["history"]).output().expect("history");
    let history = String::from_utf8_lossy(&history.stdout);
    let row = history
        .lines()
        .find(|l| l.trim_end().ends_with("finished"))
        .unwrap_or_else(|| panic!("{history}"));
    assert!(!row.contains("0.0"), "{history}");
    assert!(row.contains("  -  finished"), "{history}");
    let json = home.cmd(&["history", "--json"]).output().expect("history");
    let json: Value = serde_json::from_slice(&json.stdout).expect("history json");
    assert_eq!(json["sessions"][0]["overall"], Value::Null);
}

#[test]
fn the_candidates_end_is_not_closed_as_if_the_plan_were_through() {
    let closing = phrases("closing");
    for seed in 1..6 {
        let home = Home::new();
        let seed = seed.to_string();
        let mut live = Live::start(&home, &["--offline", "--seed", &seed]);
        let first = live.turn().waiting.expect("a question");
        live.send(&answer(&first.question, "strong"));
        assert!(live.turn().waiting.is_some());
        live.send("/end");
        let (ok, stderr, stdout) = live.finish();
        assert!(ok, "{stderr}");
        let said: Vec<&String> = stdout
            .iter()
            .filter(|l| closing.iter().any(|c| l.contains(c.as_str())))
            .collect();
        assert!(said.is_empty(), "seed {seed}: {said:?}");
        assert!(
            stdout.iter().any(|l| l.starts_with("Overall you scored")),
            "{stdout:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Hints name a command that works
// ---------------------------------------------------------------------------------------------

/// The command a "Review it with: ..." hint names, split into words.
fn review_hint(stderr: &str) -> Vec<String> {
    let line = stderr
        .lines()
        .find_map(|l| l.split("Review it with: ").nth(1))
        .unwrap_or_else(|| panic!("no review hint in: {stderr}"));
    line.split_whitespace().map(String::from).collect()
}

#[test]
fn hints_name_the_command_that_runs_this_binary() {
    let bin = Path::new(common::cli::BIN);
    // Not on the PATH: the hint names the path it was run by, and that command works.
    let home = Home::new();
    let out = home.run(&["--offline", "--seed", "3"], "/end\n");
    assert!(out.status.success());
    let hint = review_hint(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(hint[0], common::cli::BIN, "{hint:?}");
    assert_eq!(hint[1], "review");
    let mut again = std::process::Command::new(&hint[0]);
    common::cli::isolate(&mut again, home.path());
    let again = again.args(&hint[1..]).output().expect("run the hint");
    assert!(again.status.success(), "{hint:?}");
    assert!(String::from_utf8_lossy(&again.stdout).contains("Interview review"));

    // Installed: `interviewer` on the PATH is this binary.
    let home = Home::new();
    let dir = bin.parent().expect("the binary's directory");
    let path = std::env::join_paths(std::iter::once(dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH");
    let mut cmd = assert_cmd::Command::new("interviewer");
    common::cli::isolate(&mut cmd, home.path());
    let out = cmd
        .env("PATH", &path)
        .args(["--offline", "--seed", "3"])
        .write_stdin("/end\n")
        .output()
        .expect("run interviewer by name");
    assert!(out.status.success());
    let hint = review_hint(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(hint[..2], ["interviewer", "review"], "{hint:?}");

    // Run by `cargo run` (debug profile), with nothing installed.
    let home = Home::new();
    let mut cmd = home.cmd(&["--offline", "--seed", "3"]);
    let out = cmd
        .env("CARGO", "cargo")
        .env("CARGO_PKG_NAME", "interviewer")
        .write_stdin("/end\n")
        .output()
        .expect("run interviewer");
    let hint = review_hint(&String::from_utf8_lossy(&out.stderr));
    let profile = if cfg!(debug_assertions) {
        vec!["cargo", "run", "--", "review"]
    } else {
        vec!["cargo", "run", "--release", "--", "review"]
    };
    assert_eq!(hint[..profile.len()], profile, "{hint:?}");
}

#[test]
fn a_claim_said_once_is_not_repeated_and_not_forgotten_after_a_probe() {
    // A first answer with one swapped relation, then "I'm not sure." to every probe: the
    // interviewer names the claim once, and the question keeps the cap the claim put on it.
    let first = "LoRA freezes W and learns a low-rank update BA, so only A and B are trained. \
                 QLoRA stores the adapters in 4-bit NF4 while the base model stays in bf16.";
    let home = Home::new();
    let run = drive(
        &home,
        &[
            "--offline",
            "--mode",
            "deep-dive",
            "--topics",
            "lora-qlora",
            "--seed",
            "3",
        ],
        |_, n| {
            if n == 0 {
                first.to_string()
            } else {
                "I'm not sure.".to_string()
            }
        },
    );
    assert!(run.ok, "{}", run.stderr);
    let leads: Vec<String> = phrases("ack_wrong")
        .iter()
        .chain(&phrases("ack_doubt"))
        .map(|t| template_prefix(t))
        .collect();
    let said = run
        .stdout
        .iter()
        .filter(|l| leads.iter().any(|w| l.contains(w.as_str())))
        .count();
    assert_eq!(said, 1, "{:#?}", run.stdout);
    let review = home.review();
    let q = &questions(&review)[0];
    assert!(probes(q) >= 1, "{q}");
    assert!(score(q) <= 3.0, "{q}");
}
