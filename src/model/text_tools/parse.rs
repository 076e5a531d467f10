//! Parsing a text reply back into tool calls: ReAct `Action:` lines, bare or fenced JSON (repaired
//! when a weak model drops closing braces), tool-name-keyed objects; and the words to speak.

use super::*;

// ---------------------------------------------------------------------------------------------
// Parsing replies
// ---------------------------------------------------------------------------------------------

/// Reads tool calls out of a reply: `Action:` / `Action Input:` pairs (text before the first
/// `Action:` is reasoning and dropped), or else a bare JSON object naming a tool
/// (`{"name","arguments"}`, `{"tool","args"|"parameters"}`, `{"function":{...}}`, also in
/// fences, `<tool_call>` tags or arrays). Only names in `tools` count. Invalid JSON arguments
/// are kept raw so the caller can report them. Anything else is the spoken reply.
pub fn parse_reply(text: &str, tools: &[ToolSpec]) -> ParsedReply {
    let known = |name: &str| -> Option<String> {
        let name = name.trim();
        tools
            .iter()
            .find(|t| t.name == name)
            .or_else(|| tools.iter().find(|t| t.name.eq_ignore_ascii_case(name)))
            .map(|t| t.name.clone())
    };
    if let Some(actions) = parse_actions(text) {
        let calls = known_calls(actions, &known);
        if !calls.is_empty() {
            return ParsedReply {
                spoken: None,
                calls: with_ids(calls),
            };
        }
        // Only unknown tools: what came before the first Action is all there is to say.
        let before = text
            .lines()
            .take_while(|l| action_name(l).is_none())
            .collect::<Vec<_>>()
            .join("\n");
        return ParsedReply {
            spoken: spoken_text(&before),
            calls: Vec::new(),
        };
    }
    if let Some((calls, rest)) = parse_bare_json(text, &known) {
        return ParsedReply {
            spoken: spoken_text(&rest),
            calls: with_ids(calls),
        };
    }
    // Small models often drop the closing braces of a JSON tool call.
    if let Some(repaired) = close_braces(text)
        && let Some((calls, rest)) = parse_bare_json(&repaired, &known)
    {
        return ParsedReply {
            spoken: spoken_text(&rest),
            calls: with_ids(calls),
        };
    }
    // A broken tool call is never read out to the candidate.
    if looks_like_tool_json(text) {
        return ParsedReply::default();
    }
    ParsedReply {
        spoken: spoken_text(text),
        calls: Vec::new(),
    }
}

/// `text` with the braces left open after its first `{` closed (at most three).
pub(super) fn close_braces(text: &str) -> Option<String> {
    let start = text.find('{')?;
    let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
    for c in text[start..].chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_str => escaped = true,
            '"' => in_str = !in_str,
            '{' if !in_str => depth += 1,
            '}' if !in_str => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    (!in_str && (1..=3).contains(&depth))
        .then(|| format!("{}{}", text.trim_end(), "}".repeat(depth)))
}

/// Text that is data (a broken tool call, an echo of a tool result) rather than words.
pub(super) fn looks_like_tool_json(text: &str) -> bool {
    let t = strip_tags(text);
    !t.is_empty() && crate::model::speakable(&t).is_empty()
}

pub(super) fn with_ids(calls: Vec<ToolCall>) -> Vec<ToolCall> {
    calls
        .into_iter()
        .enumerate()
        .map(|(i, c)| ToolCall {
            id: format!("call_{i}"),
            ..c
        })
        .collect()
}

/// Plain words for the candidate: trimmed, a `Final Answer:` label or leading `Thought:` removed.
pub(super) fn spoken_text(text: &str) -> Option<String> {
    let cleaned = crate::model::speakable(text);
    let mut t = cleaned.trim();
    if let Some(i) = find_ci(t, "final answer:") {
        t = t[i + "final answer:".len()..].trim();
    } else if starts_with_ci(t, "thought:") && t.lines().count() > 1 {
        // "Thought: ..." on the first line is reasoning; keep what follows.
        t = t.split_once('\n').map_or("", |(_, rest)| rest).trim();
    }
    (!t.is_empty()).then(|| t.to_string())
}

pub(super) fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack.to_ascii_lowercase().find(needle)
}

pub(super) fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Strips markdown emphasis and list markers from the start of a line.
pub(super) fn strip_line_marks(line: &str) -> &str {
    line.trim()
        .trim_start_matches(['*', '_', '-', '>', '#', ' '])
}

/// The tool name of an `Action:` line (not `Action Input:`).
pub(super) fn action_name(line: &str) -> Option<String> {
    let l = strip_line_marks(line);
    if !starts_with_ci(l, "action")
        || starts_with_ci(l, "action input")
        || starts_with_ci(l, "action_input")
    {
        return None;
    }
    let rest = l["action".len()..]
        .trim_start_matches(['*', '_'])
        .trim_start();
    let rest = rest
        .strip_prefix(':')?
        .trim_start_matches(['*', '_'])
        .trim();
    // "Action: name Action Input: {...}" on one line.
    let rest = match find_ci(rest, "action input") {
        Some(i) => rest[..i].trim(),
        None => rest,
    };
    let name = rest.trim_matches(|c: char| {
        c == '`' || c == '"' || c == '\'' || c == '*' || c == '.' || c.is_whitespace()
    });
    let name = name.split(['(', ' ']).next().unwrap_or("");
    (!name.is_empty()).then(|| name.to_string())
}

/// The text after `Action Input:` on a line, if the line has it.
pub(super) fn action_input_start(line: &str) -> Option<&str> {
    let i = find_ci(line, "action input").or_else(|| find_ci(line, "action_input"))?;
    let rest = line[i + "action input".len()..]
        .trim_start_matches(['*', '_'])
        .trim_start();
    Some(
        rest.strip_prefix(':')
            .unwrap_or(rest)
            .trim_start_matches(['*', '_'])
            .trim(),
    )
}

/// `(name, arguments)` of every `Action:` block, or `None` when there is no `Action:` line.
pub(super) fn parse_actions(text: &str) -> Option<Vec<(String, String)>> {
    let lines: Vec<&str> = text.lines().collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| action_name(lines[i]).is_some())
        .collect();
    if starts.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(lines.len());
        let name = action_name(lines[start]).unwrap_or_default();
        let mut input: Option<String> = None;
        for (j, line) in lines.iter().enumerate().take(end).skip(start) {
            if let Some(first) = action_input_start(line) {
                let mut block = vec![first];
                for more in &lines[j + 1..end] {
                    let m = strip_line_marks(more);
                    if starts_with_ci(m, "observation") || starts_with_ci(m, "thought:") {
                        break;
                    }
                    block.push(more);
                }
                input = Some(block.join("\n"));
                break;
            }
        }
        out.push((name, arguments_text(input.as_deref().unwrap_or(""))));
    }
    Some(out)
}

/// Normalises an `Action Input`: the first JSON value found (fences removed), compact; the raw
/// text when it is not valid JSON; `{}` when empty.
pub(super) fn arguments_text(raw: &str) -> String {
    let unfenced = strip_fences(raw);
    let t = unfenced.trim();
    if t.is_empty() {
        return "{}".to_string();
    }
    if let Ok(v) = serde_json::from_str::<Value>(t) {
        return v.to_string();
    }
    if let Some((start, end)) = crate::strings::first_json_object(t)
        && let Ok(v) = serde_json::from_str::<Value>(&t[start..end])
    {
        return v.to_string();
    }
    t.to_string()
}

/// The content of the first ``` fence, or the text unchanged.
pub(super) fn strip_fences(text: &str) -> String {
    let Some(open) = text.find("```") else {
        return text.to_string();
    };
    let after = &text[open + 3..];
    // Skip a language tag such as ```json.
    let body_start = after.find('\n').map_or(0, |i| i + 1);
    let tag = &after[..body_start];
    let body = if tag.trim().chars().all(|c| c.is_ascii_alphanumeric()) {
        &after[body_start..]
    } else {
        after
    };
    match body.find("```") {
        Some(close) => body[..close].to_string(),
        None => body.to_string(),
    }
}

/// `(name, arguments)` pairs as calls (ids given later), keeping those naming a known tool under
/// its canonical name.
fn known_calls(
    pairs: impl IntoIterator<Item = (String, String)>,
    known: &dyn Fn(&str) -> Option<String>,
) -> Vec<ToolCall> {
    pairs
        .into_iter()
        .filter_map(|(name, arguments)| {
            known(&name).map(|name| ToolCall {
                id: String::new(),
                name,
                arguments,
            })
        })
        .collect()
}

/// Tool calls from a JSON object (or array of them) in the text, plus the text around it.
pub(super) fn parse_bare_json(
    text: &str,
    known: &dyn Fn(&str) -> Option<String>,
) -> Option<(Vec<ToolCall>, String)> {
    let mut calls: Vec<ToolCall> = Vec::new();
    let mut rest = String::new();
    let mut last = 0;
    for (start, end) in crate::strings::json_spans(text) {
        let Ok(value) = serde_json::from_str::<Value>(&text[start..end]) else {
            continue;
        };
        let items: Vec<&Value> = match &value {
            Value::Array(items) => items.iter().collect(),
            Value::Object(o) => match o.get("tool_calls").and_then(Value::as_array) {
                Some(items) => items.iter().collect(),
                None => vec![&value],
            },
            _ => continue,
        };
        let found = known_calls(items.into_iter().filter_map(json_call), known);
        if found.is_empty() {
            continue;
        }
        // Every tool-call object is taken out of the words; a model that repeats the same call
        // over and over gets it run once, and at most a few calls per reply.
        rest.push_str(&text[last..start]);
        rest.push('\n');
        last = end;
        for call in found {
            let repeat = calls
                .iter()
                .any(|c| c.name == call.name && c.arguments == call.arguments);
            if !repeat && calls.len() < MAX_TEXT_CALLS {
                calls.push(call);
            }
        }
    }
    if calls.is_empty() {
        return None;
    }
    let tail = &text[last..];
    // A call cut off at the end of the reply (the token limit) is not words either.
    if !looks_like_tool_json(tail) {
        rest.push_str(tail);
    }
    Some((calls, strip_tags(&rest)))
}

/// Tool calls taken from one text reply at most.
pub(super) const MAX_TEXT_CALLS: usize = 4;

/// Removes `<tool_call>` tags and empty code fences left around an extracted JSON object.
pub(super) fn strip_tags(text: &str) -> String {
    let mut t = text.replace("<tool_call>", "").replace("</tool_call>", "");
    for fence in ["```json", "```JSON", "```"] {
        t = t.replace(fence, "");
    }
    t.trim().to_string()
}

/// `(name, arguments)` of one JSON call object in any of the accepted shapes.
pub(super) fn json_call(v: &Value) -> Option<(String, String)> {
    let obj = v.as_object()?;
    if let Some(f) = obj.get("function").filter(|f| f.is_object()) {
        return json_call(f);
    }
    // `{"end_interview": {"reason": "..."}}`: the tool's name as the only key.
    if obj.len() == 1
        && let Some((name, args)) = obj.iter().next().filter(|(_, v)| v.is_object())
    {
        return Some((name.clone(), args.to_string()));
    }
    let name = ["name", "tool", "tool_name", "action"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(Value::as_str))?
        .to_string();
    let args = ["arguments", "args", "parameters", "input", "action_input"]
        .iter()
        .find_map(|k| obj.get(*k));
    let args = match args {
        None | Some(Value::Null) => "{}".to_string(),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.is_empty() {
                "{}".to_string()
            } else {
                s.to_string()
            }
        }
        Some(other) => other.to_string(),
    };
    Some((name, args))
}
