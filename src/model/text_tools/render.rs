//! Rendering a conversation as plain text for a model without native tools: the tools described in
//! the system message, earlier calls as `Action:` lines and results as `Observation (NAME):`.

use super::*;

// ---------------------------------------------------------------------------------------------
// Rendering the conversation as text
// ---------------------------------------------------------------------------------------------

/// The tool block for the system prompt.
pub fn tools_prompt(tools: &[ToolSpec]) -> String {
    let list: Vec<String> = tools
        .iter()
        .map(|t| {
            format!(
                "- {}: {}\n  Arguments (JSON schema): {}",
                t.name,
                t.description.trim(),
                t.parameters
            )
        })
        .collect();
    PROMPT.replace("{tools}", &list.join("\n"))
}

/// The conversation without native tool messages: calls become `Action:` text, results become
/// user messages `Observation (NAME): ...` (consecutive results merged), and the tool block is
/// appended to the first system message when `tools` is not empty.
pub fn render_messages(messages: &[Message], tools: &[ToolSpec]) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::with_capacity(messages.len() + 1);
    let mut names: Vec<(String, String)> = Vec::new();
    let mut last_was_observation = false;
    for m in messages {
        match m.role {
            Role::Assistant if !m.tool_calls.is_empty() => {
                let mut parts: Vec<String> = m
                    .content
                    .iter()
                    .filter(|c| !c.trim().is_empty())
                    .cloned()
                    .collect();
                for c in &m.tool_calls {
                    names.push((c.id.clone(), c.name.clone()));
                    let args = if c.arguments.trim().is_empty() {
                        "{}"
                    } else {
                        c.arguments.trim()
                    };
                    parts.push(format!("Action: {}\nAction Input: {}", c.name, args));
                }
                out.push(Message::assistant(parts.join("\n")));
                last_was_observation = false;
            }
            Role::Tool => {
                let id = m.tool_call_id.as_deref().unwrap_or("");
                let name = names
                    .iter()
                    .rev()
                    .find(|(i, _)| i == id)
                    .map_or("tool", |(_, n)| n.as_str());
                let text = format!("Observation ({name}): {}", m.text());
                match out.last_mut() {
                    Some(prev) if last_was_observation => {
                        let merged = format!("{}\n\n{text}", prev.text());
                        prev.content = Some(merged);
                    }
                    _ => out.push(Message::user(text)),
                }
                last_was_observation = true;
            }
            _ => {
                out.push(Message {
                    tool_calls: Vec::new(),
                    tool_call_id: None,
                    ..m.clone()
                });
                last_was_observation = false;
            }
        }
    }
    if !tools.is_empty() {
        let block = tools_prompt(tools);
        match out.iter_mut().find(|m| m.role == Role::System) {
            Some(system) => {
                let text = format!("{}\n\n{block}", system.text().trim_end());
                system.content = Some(text);
            }
            None => out.insert(0, Message::system(block)),
        }
    }
    out
}
