mod repair_tests {
    use super::super::*;
    use serde_json::json;

    fn tools() -> Vec<ToolSpec> {
        ["pick_question", "score_answer"]
            .iter()
            .map(|n| ToolSpec {
                name: n.to_string(),
                description: String::new(),
                parameters: json!({"type": "object"}),
            })
            .collect()
    }

    #[test]
    fn a_tool_call_missing_its_closing_brace_is_repaired() {
        let r = parse_reply(
            r#"{"name": "pick_question", "arguments": {"domain": "inference"}"#,
            &tools(),
        );
        assert_eq!(r.calls.len(), 1, "{r:?}");
        assert_eq!(r.calls[0].name, "pick_question");
        assert_eq!(r.spoken, None);
    }

    #[test]
    fn repeated_calls_run_once_and_no_json_is_spoken() {
        let text = concat!(
            "{\"name\": \"pick_question\", \"arguments\": {}}\n",
            "{\"name\": \"score_answer\", \"arguments\": {\"question_id\": \"rope\"}}\n",
            "{\"name\": \"score_answer\", \"arguments\": {\"question_id\": \"rope\"}}\n",
            "{\"name\": \"sc"
        );
        let r = parse_reply(text, &tools());
        let names: Vec<&str> = r.calls.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["pick_question", "score_answer"]);
        assert_eq!(r.spoken, None, "{r:?}");
    }

    #[test]
    fn a_tool_name_as_the_only_key_is_a_call() {
        let r = parse_reply(r#"{"pick_question": {"domain": "inference"}}"#, &tools());
        assert_eq!(r.calls.len(), 1);
        assert_eq!(r.calls[0].arguments, r#"{"domain":"inference"}"#);
        assert!(parse_reply(r#"{"weight": 2.5}"#, &tools()).calls.is_empty());
    }

    #[test]
    fn broken_tool_json_is_never_spoken() {
        let r = parse_reply(
            r#"{"name": "pick_question", "arguments": {"question_id": "x"#,
            &tools(),
        );
        assert_eq!(r, ParsedReply::default());
        let plain = parse_reply("What is a KV cache?", &tools());
        assert_eq!(plain.spoken.as_deref(), Some("What is a KV cache?"));
    }
}

mod reply_tests {
    use super::super::*;
    use serde_json::json;

    fn tools() -> Vec<ToolSpec> {
        ["ask_question", "record_score"]
            .iter()
            .map(|n| ToolSpec {
                name: n.to_string(),
                description: format!("{n} tool"),
                parameters: json!({"type": "object"}),
            })
            .collect()
    }

    #[test]
    fn action_with_fenced_input_drops_reasoning() {
        let text = "Thought: the candidate skipped RoPE.\nAction: ask_question\nAction Input: ```json\n{\"question_id\": \"rope\"}\n```";
        let r = parse_reply(text, &tools());
        assert_eq!(r.spoken, None);
        assert_eq!(r.calls.len(), 1);
        assert_eq!(r.calls[0].name, "ask_question");
        assert_eq!(r.calls[0].arguments, r#"{"question_id":"rope"}"#);
        assert_eq!(r.calls[0].id, "call_0");
    }

    #[test]
    fn several_actions_and_markdown() {
        let text = "**Action:** record_score\n**Action Input:** {\"score\": 3}\nAction: `ask_question`\nAction Input: {\"question_id\": \"dpo\"}\nObservation: (invented)";
        let r = parse_reply(text, &tools());
        let names: Vec<&str> = r.calls.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["record_score", "ask_question"]);
        assert_eq!(r.calls[1].arguments, r#"{"question_id":"dpo"}"#);
        assert_eq!(r.calls[1].id, "call_1");
    }

    #[test]
    fn multi_line_json_input() {
        let text = "Action: ask_question\nAction Input: {\n  \"question_id\": \"kv-cache\"\n}";
        let r = parse_reply(text, &tools());
        assert_eq!(r.calls[0].arguments, r#"{"question_id":"kv-cache"}"#);
    }

    #[test]
    fn invalid_json_kept_raw_and_missing_input_is_empty_object() {
        let r = parse_reply(
            "Action: ask_question\nAction Input: {question_id: rope",
            &tools(),
        );
        assert_eq!(r.calls[0].arguments, "{question_id: rope");
        let r = parse_reply("Action: record_score", &tools());
        assert_eq!(r.calls[0].arguments, "{}");
    }

    #[test]
    fn unknown_names_ignored() {
        let r = parse_reply(
            "Let me search.\nAction: web_search\nAction Input: {\"q\": \"x\"}",
            &tools(),
        );
        assert!(r.calls.is_empty());
        assert_eq!(r.spoken.as_deref(), Some("Let me search."));
        let r = parse_reply(r#"{"name": "web_search", "arguments": {}}"#, &tools());
        assert!(r.calls.is_empty());
    }

    #[test]
    fn bare_json_shapes() {
        let t = tools();
        let cases = [
            r#"{"name": "ask_question", "arguments": {"question_id": "rope"}}"#,
            r#"{"tool": "ask_question", "args": {"question_id": "rope"}}"#,
            r#"{"tool": "ask_question", "parameters": {"question_id": "rope"}}"#,
            r#"{"type": "function", "function": {"name": "ask_question", "arguments": "{\"question_id\": \"rope\"}"}}"#,
            "```json\n{\"name\": \"ask_question\", \"arguments\": {\"question_id\": \"rope\"}}\n```",
            "<tool_call>\n{\"name\": \"ask_question\", \"arguments\": {\"question_id\": \"rope\"}}\n</tool_call>",
        ];
        for case in cases {
            let r = parse_reply(case, &t);
            assert_eq!(r.calls.len(), 1, "{case}");
            assert_eq!(r.calls[0].name, "ask_question");
            let args: Value = serde_json::from_str(&r.calls[0].arguments).expect("valid JSON");
            assert_eq!(args, json!({"question_id": "rope"}), "{case}");
            assert_eq!(r.spoken, None, "{case}");
        }
    }

    #[test]
    fn bare_json_array_and_surrounding_words() {
        let text = r#"Good. [{"name": "record_score", "arguments": {"score": 2}}, {"name": "ask_question", "arguments": {}}]"#;
        let r = parse_reply(text, &tools());
        assert_eq!(r.calls.len(), 2);
        assert_eq!(r.spoken.as_deref(), Some("Good."));
    }

    #[test]
    fn plain_text_is_spoken_and_non_tool_json_is_not() {
        let r = parse_reply("  Why does RoPE extrapolate poorly?  ", &tools());
        assert_eq!(
            r.spoken.as_deref(),
            Some("Why does RoPE extrapolate poorly?")
        );
        assert!(r.calls.is_empty());
        // JSON that is not a tool call is not words for the candidate either.
        let r = parse_reply(r#"{"score": 3, "missed": []}"#, &tools());
        assert!(r.calls.is_empty());
        assert!(r.spoken.is_none());
        let r = parse_reply(
            "Thought: easy one.\nFinal Answer: Tell me about DPO.",
            &tools(),
        );
        assert_eq!(r.spoken.as_deref(), Some("Tell me about DPO."));
    }

    #[test]
    fn rendering_turns_tool_history_into_text() {
        let calls = vec![
            ToolCall {
                id: "a".into(),
                name: "record_score".into(),
                arguments: r#"{"score":2}"#.into(),
            },
            ToolCall {
                id: "b".into(),
                name: "ask_question".into(),
                arguments: String::new(),
            },
        ];
        let msgs = vec![
            Message::system("You interview."),
            Message::user("hi"),
            Message::assistant_calls(Some("Noted.".into()), calls),
            Message::tool("a", "saved"),
            Message::tool("b", "What is DPO?"),
        ];
        let out = render_messages(&msgs, &tools());
        assert_eq!(out.len(), 4);
        assert!(out[0].text().starts_with("You interview."));
        assert!(out[0].text().contains("- ask_question: ask_question tool"));
        assert!(!out[0].text().contains("{tools}"));
        assert_eq!(
            out[2].text(),
            "Noted.\nAction: record_score\nAction Input: {\"score\":2}\nAction: ask_question\nAction Input: {}"
        );
        assert!(out[2].tool_calls.is_empty());
        assert_eq!(out[3].role, Role::User);
        assert_eq!(
            out[3].text(),
            "Observation (record_score): saved\n\nObservation (ask_question): What is DPO?"
        );
        assert!(
            out.iter()
                .all(|m| m.role != Role::Tool && m.tool_call_id.is_none())
        );
    }

    #[test]
    fn sniffing_sink_holds_toolish_text_only() {
        let mut seen = String::new();
        {
            let mut out = |t: &str| seen.push_str(t);
            let mut s = SniffingSink::new(&mut out);
            s.push(" Hel");
            s.push("lo");
            assert!(!s.held());
        }
        assert_eq!(seen, " Hello");
        let mut seen = String::new();
        {
            let mut out = |t: &str| seen.push_str(t);
            let mut s = SniffingSink::new(&mut out);
            s.push("Act");
            s.push("ion: x");
            assert!(s.held());
        }
        assert_eq!(seen, "");
    }
}
