//! Reads our prompts the way a model would: by their `## ` section headers (see
//! [`crate::engine::protocol::header`]), never through engine types.

use crate::engine::event::ALL;
use crate::engine::protocol::header;
use crate::llm::{LlmRequest, Role};

/// The text under `header` up to the next `## ` header line, trimmed. Headers match whole lines,
/// so `## Workspace` does not match `## Workspace members`.
pub(super) fn section<'a>(text: &'a str, header: &str) -> Option<&'a str> {
    let mut offset = 0;
    let mut start = None;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end();
        if let Some(s) = start {
            if bare.starts_with("## ") {
                return Some(text[s..offset].trim());
            }
        } else if bare == header {
            start = Some(offset + line.len());
        }
        offset += line.len();
    }
    start.map(|s| text[s.min(text.len())..].trim())
}

/// The person's feedback on a previous plan, without the planner's closing instruction.
pub(super) fn feedback(text: &str) -> Option<String> {
    let body = section(text, header::FEEDBACK)?;
    let kept: Vec<&str> = body
        .lines()
        .take_while(|l| !l.trim_start().starts_with("Submit the whole"))
        .collect();
    let f = kept.join("\n").trim().to_string();
    (!f.is_empty()).then_some(f)
}

/// Text of every user message, in order.
pub(super) fn user_texts(req: &LlmRequest) -> Vec<String> {
    req.messages
        .iter()
        .filter(|m| m.role == Role::User)
        .map(|m| m.text())
        .collect()
}

/// Text of the last user message.
pub(super) fn last_user(req: &LlmRequest) -> String {
    user_texts(req).pop().unwrap_or_default()
}

/// Whether any user message has a line that is exactly `header`.
pub(super) fn has_header(req: &LlmRequest, header: &str) -> bool {
    user_texts(req)
        .iter()
        .any(|t| t.lines().any(|l| l.trim_end() == header))
}

/// One agent of the planner's roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RosterAgent {
    pub name: String,
    pub team: String,
    pub description: String,
    pub capabilities: Vec<String>,
}

/// Roster lines: `- name@team: description (capabilities: a, b)`.
pub(super) fn roster(text: &str) -> Vec<RosterAgent> {
    let Some(body) = section(text, header::ROSTER) else {
        return Vec::new();
    };
    body.lines()
        .filter_map(|line| {
            let line = line.trim().strip_prefix("- ")?;
            let (address, rest) = line.split_once(':')?;
            let (name, team) = address.trim().split_once('@')?;
            let rest = rest.trim();
            let (description, capabilities) = match rest.rsplit_once("(capabilities:") {
                Some((d, caps)) => (
                    d.trim(),
                    caps.trim_end_matches(')')
                        .split(',')
                        .map(|c| c.trim().to_string())
                        .filter(|c| !c.is_empty())
                        .collect(),
                ),
                None => (rest, Vec::new()),
            };
            Some(RosterAgent {
                name: name.trim().to_string(),
                team: team.trim().to_string(),
                description: description.to_string(),
                capabilities,
            })
        })
        .filter(|a| !a.name.is_empty())
        .collect()
}

/// `Max depth: N` from the planner's limits; 3 (the CLI default) when absent.
pub(super) fn max_depth(text: &str) -> usize {
    section(text, header::LIMITS)
        .and_then(|l| {
            l.lines()
                .find_map(|line| line.trim().strip_prefix("Max depth:"))
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(3)
}

/// A workspace member as listed in an agent's system prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Member {
    pub name: String,
    pub description: String,
}

/// What an agent's system prompt says about it and its workspace.
#[derive(Debug, Clone, Default)]
pub(super) struct AgentPrompt {
    pub name: String,
    pub description: String,
    pub capabilities: Vec<String>,
    pub mission: String,
    pub workspace_id: String,
    pub workspace_title: String,
    pub workspace_description: String,
    /// In order; the first leads.
    pub members: Vec<Member>,
}

pub(super) fn agent_prompt(system: &str) -> AgentPrompt {
    let first = system.lines().next().unwrap_or_default();
    let who = first.strip_prefix("You are ").unwrap_or(first);
    let (address, description) = who
        .split_once(". ")
        .unwrap_or((who.trim_end_matches('.'), ""));
    let name = address
        .split('@')
        .next()
        .unwrap_or(address)
        .trim()
        .to_string();
    let capabilities = system
        .lines()
        .find_map(|l| l.strip_prefix("Capabilities:"))
        .map(|c| {
            c.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mission = section(system, header::MISSION)
        .unwrap_or_default()
        .to_string();
    let (workspace_id, workspace_title, workspace_description) = workspace(system);
    let members = section(system, header::MEMBERS)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let l = l.trim().strip_prefix("- ")?;
            let (address, description) = l.split_once(':').unwrap_or((l, ""));
            let name = address.split('@').next().unwrap_or(address).trim();
            (!name.is_empty()).then(|| Member {
                name: name.to_string(),
                description: description.trim().to_string(),
            })
        })
        .collect();
    AgentPrompt {
        name,
        description: description.trim().to_string(),
        capabilities,
        mission,
        workspace_id,
        workspace_title,
        workspace_description,
        members,
    }
}

/// `## Workspace` section: `id: title` then the description.
pub(super) fn workspace(text: &str) -> (String, String, String) {
    let body = section(text, header::WORKSPACE).unwrap_or_default();
    let (head, description) = body.split_once('\n').unwrap_or((body, ""));
    let (id, title) = head.split_once(':').unwrap_or((head, head));
    (
        id.trim().to_string(),
        title.trim().to_string(),
        description.trim().to_string(),
    )
}

/// One message of the conversation as rendered by the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Msg {
    pub seq: u64,
    pub from: String,
    pub to: Vec<String>,
    pub content: String,
}

impl Msg {
    pub(super) fn is_for(&self, agent: &str) -> bool {
        self.to
            .iter()
            .any(|t| t == agent || (t == ALL && self.from != agent))
    }
}

fn message_head(line: &str) -> Option<(u64, String, Vec<String>)> {
    let rest = line.strip_prefix("### #")?;
    let (seq, rest) = rest.split_once(' ')?;
    let seq = seq.parse().ok()?;
    let (from, to) = rest.split_once(" → ")?;
    let to = to
        .split(',')
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    Some((seq, from.trim().to_string(), to))
}

/// The `## Conversation so far` blocks: `### #SEQ FROM → TO1, TO2` then the content.
pub(super) fn conversation(text: &str) -> Vec<Msg> {
    messages_under(text, header::CONVERSATION)
}

/// The message blocks under `section` (as in [`conversation`]).
pub(super) fn messages_under(text: &str, section: &str) -> Vec<Msg> {
    let mut out: Vec<Msg> = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if !inside {
            inside = line.trim_end() == section;
            continue;
        }
        let bare = line.trim_end();
        if [
            header::YOUR_TURN,
            header::FINAL_RESULT,
            header::PROTOCOL_ERROR,
        ]
        .contains(&bare)
        {
            break;
        }
        if let Some((seq, from, to)) = message_head(bare) {
            out.push(Msg {
                seq,
                from,
                to,
                content: String::new(),
            });
        } else if let Some(m) = out.last_mut() {
            m.content.push_str(line);
            m.content.push('\n');
        }
    }
    for m in &mut out {
        m.content = m.content.trim().to_string();
    }
    out
}

/// The lines `- #SEQ FROM → TO: gist` of a running summary, as messages.
pub(super) fn summary_lines(text: &str) -> Vec<Msg> {
    let Some(body) = section(text, header::SUMMARY) else {
        return Vec::new();
    };
    body.lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("- ")?;
            let (head, gist) = rest.split_once(": ")?;
            let (seq, from, to) = message_head(&format!("### {head}"))?;
            Some(Msg {
                seq,
                from,
                to,
                content: gist.trim().to_string(),
            })
        })
        .collect()
}

/// One sub-workspace result handed to an aggregation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ChildResult {
    pub id: String,
    pub title: String,
    pub failed: bool,
    pub body: String,
}

fn child_head(line: &str) -> Option<(String, String, bool)> {
    let rest = line.strip_prefix("### ")?;
    let (id, rest) = rest.split_once(": ")?;
    if id.is_empty() || id.contains(char::is_whitespace) {
        return None;
    }
    let (title, failed) = if let Some(t) = rest.strip_suffix(" (done)") {
        (t, false)
    } else {
        (rest.strip_suffix(" (failed)")?, true)
    };
    Some((id.to_string(), title.trim().to_string(), failed))
}

/// The blocks after `## Results of the sub-workspaces`: `### id: title (done|failed)` then text.
/// Child texts may hold their own headings, so only that exact block head splits them.
pub(super) fn child_results(text: &str) -> Vec<ChildResult> {
    let mut out: Vec<ChildResult> = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if !inside {
            inside = line.trim_end() == header::CHILD_RESULTS;
            continue;
        }
        if let Some((id, title, failed)) = child_head(line.trim_end()) {
            out.push(ChildResult {
                id,
                title,
                failed,
                body: String::new(),
            });
        } else if let Some(c) = out.last_mut() {
            c.body.push_str(line);
            c.body.push('\n');
        }
    }
    for c in &mut out {
        c.body = c.body.trim().to_string();
    }
    out
}

pub(super) use crate::text::padded_words as norm;

/// Whether the normalized `haystack` holds the words of `phrase` in a row.
pub(super) fn has_phrase(haystack: &str, phrase: &str) -> bool {
    let p = norm(phrase);
    p.trim().len() > 1 && haystack.contains(&p)
}
