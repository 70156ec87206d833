//! Our agent protocol (SPEC §3): the prompts we send and how we read the replies.
//!
//! The prompts use fixed `## ` section headers. The offline simulation reads the same headers, so
//! it reacts to exactly what a real model would see.

use std::collections::HashSet;

use serde_json::Value;

use super::context::{Summary, conversation_parts};
use super::event::{ALL, Message, USER};
use super::plan::Plan;
use crate::llm::{ChatMessage, LlmRequest, Output, Part};
use crate::team::{Agent, Team};

/// Section headers shared with the simulation.
pub mod header {
    pub const TASK: &str = "## Task";
    pub const ROSTER: &str = "## Roster";
    pub const LIMITS: &str = "## Limits";
    pub const FEEDBACK: &str = "## Feedback from the person";
    pub const PROBLEMS: &str = "## Problems with your previous plan";
    pub const MISSION: &str = "## Mission";
    pub const WORKSPACE: &str = "## Workspace";
    pub const MEMBERS: &str = "## Workspace members";
    pub const PROTOCOL: &str = "## Protocol";
    pub const CONVERSATION: &str = "## Conversation so far";
    pub const YOUR_TURN: &str = "## Your turn";
    pub const PROTOCOL_ERROR: &str = "## Your reply broke the protocol";
    pub const FINAL_RESULT: &str = "## Final result now";
    pub const CHILD_RESULTS: &str = "## Results of the sub-workspaces";
    pub const SUMMARY: &str = "## Summary of earlier messages";
    pub const TO_SUMMARIZE: &str = "## Messages to fold into the summary";
}

/// Name of the structured output of the planner.
pub const PLAN_TOOL: &str = "submit_plan";
/// Name of the structured output of an agent turn.
pub const MESSAGE_TOOL: &str = "send_message";

const PLANNER_SYSTEM: &str = "You are the planner of huddle, a system in which teams of specialist agents work on a person's task together.
Split the task into a tree of workspaces. Each node is a workspace with a short unique `id` (a slug), a `title`, and a `description` of exactly what it must deliver.
Leaves are where agents talk and work: staff every leaf with at least 2 agents from the roster, chosen for their capabilities. Do not put the same agent in two sibling nodes.
Inner nodes combine the results of their children into one deliverable; leave their `agents` empty or name one agent to lead the combination.
Prefer 3 to 6 leaves that can run in parallel. Use only agent names from the roster, exactly as written there (without the @team part).
Submit the plan with the submit_plan tool (or, without tools, as one JSON object and nothing else).";

/// The planner call for a task; `revision` carries the previous plan and the person's feedback,
/// `problems` the validation problems of the previous answer.
pub fn plan_request(
    model: &str,
    task: &str,
    team: &Team,
    max_depth: usize,
    previous: Option<&Plan>,
    feedback: Option<&str>,
    problems: &[String],
) -> LlmRequest {
    let mut prompt = format!("{}\n{}\n\n{}\n", header::TASK, task.trim(), header::ROSTER);
    for a in &team.agents {
        prompt.push_str(&format!(
            "- {}: {} (capabilities: {})\n",
            a.address(),
            a.description,
            a.capabilities.join(", ")
        ));
    }
    prompt.push_str(&format!(
        "\n{}\nMax depth: {max_depth} (the root is depth 0; nodes at depth {max_depth} must be leaves)\n",
        header::LIMITS
    ));
    let mut messages = vec![ChatMessage::user(vec![Part::new(prompt)])];
    if let Some(prev) = previous {
        messages.push(ChatMessage::assistant(
            serde_json::to_string(prev).unwrap_or_default(),
        ));
        let mut follow = String::new();
        if !problems.is_empty() {
            follow.push_str(&format!("{}\n", header::PROBLEMS));
            for p in problems {
                follow.push_str(&format!("- {p}\n"));
            }
        }
        if let Some(f) = feedback {
            follow.push_str(&format!("{}\n{}\n", header::FEEDBACK, f.trim()));
        }
        follow.push_str("\nSubmit the whole corrected plan.");
        messages.push(ChatMessage::user(vec![Part::new(follow)]));
    }
    LlmRequest {
        model: model.to_string(),
        system: vec![Part::cached(PLANNER_SYSTEM)],
        messages,
        max_tokens: 4096,
        output: Output::Json {
            name: PLAN_TOOL.into(),
            description: "Submit the workspace plan for the task.".into(),
            schema: super::plan::json_schema(),
        },
        temperature: None,
    }
}

/// Reads a plan from a model reply: a JSON object, possibly inside a code fence or prose.
pub fn parse_plan(text: &str) -> Result<Plan, String> {
    let value = extract_json(text).ok_or_else(|| "the reply holds no JSON object".to_string())?;
    // Some models wrap the plan: {"plan": {...}}.
    let value = match value.get("plan") {
        Some(inner) if inner.is_object() => inner.clone(),
        _ => value,
    };
    serde_json::from_value(value)
        .map_err(|e| format!("the plan JSON does not have the plan's shape: {e}"))
}

/// Where an agent is working: what it needs to know about its workspace.
pub struct TurnContext<'a> {
    pub mission: &'a str,
    pub node: &'a Plan,
    pub members: &'a [Agent],
    /// The workspace's running summary, sent instead of the messages it covers.
    pub summary: Option<&'a Summary>,
}

/// The system prompt of an agent: persona, mission, workspace, teammates and protocol rules.
pub fn agent_system(agent: &Agent, ctx: &TurnContext<'_>) -> String {
    let mut s = format!("You are {}. {}\n", agent.address(), agent.description);
    if !agent.capabilities.is_empty() {
        s.push_str(&format!(
            "Capabilities: {}\n",
            agent.capabilities.join(", ")
        ));
    }
    if let Some(extra) = agent
        .instructions
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    {
        s.push_str(&format!("{}\n", extra.trim()));
    }
    s.push_str(&format!(
        "\n{}\n{}\n\n{}\n{}: {}\n",
        header::MISSION,
        ctx.mission.trim(),
        header::WORKSPACE,
        ctx.node.id,
        ctx.node.title
    ));
    if !ctx.node.description.trim().is_empty() {
        s.push_str(&format!("{}\n", ctx.node.description.trim()));
    }
    s.push_str(&format!("\n{}\n", header::MEMBERS));
    for m in ctx.members {
        s.push_str(&format!("- {}: {}\n", m.address(), m.description));
    }
    s.push_str(&format!(
        "\n{}\n\
- Every reply is one message, sent with the send_message tool (or, without tools, as JSON: {{\"to\": [...], \"content\": \"...\"}}).\n\
- `to` lists teammates by name, or \"ALL\" for every member, or \"USER\" for the person who asked.\n\
- Work with your teammates: ask for what you need, contribute what your role knows, be concrete (numbers, names, dates).\n\
- The first member leads. When the workspace's deliverable is complete, the lead sends the full result to USER; that ends the workspace.\n\
- Do not repeat what was already said; do not just acknowledge.\n",
        header::PROTOCOL
    ));
    s
}

/// An agent's call: its system prompt and the conversation so far (the stable, cacheable
/// prefix, one part per message: see [`super::context`]), then what is asked of it now.
fn agent_request(
    model: &str,
    agent: &Agent,
    ctx: &TurnContext<'_>,
    log: &[Message],
    ask: String,
    output: Output,
    max_tokens: u32,
) -> LlmRequest {
    LlmRequest {
        model: model.to_string(),
        system: vec![Part::cached(agent_system(agent, ctx))],
        messages: vec![ChatMessage::user({
            let mut parts = conversation_parts(log, ctx.summary, &agent.name);
            parts.push(Part::new(ask));
            parts
        })],
        max_tokens,
        output,
        temperature: None,
    }
}

/// The send_message structured output of an agent's call.
fn message_output() -> Output {
    Output::Json {
        name: MESSAGE_TOOL.into(),
        description: "Send one message to teammates, to ALL, or to USER.".into(),
        schema: serde_json::json!({
            "type": "object",
            "properties": {
                "to": {"type": "array", "items": {"type": "string"}, "description": "teammate names, \"ALL\" or \"USER\""},
                "content": {"type": "string"}
            },
            "required": ["to", "content"]
        }),
    }
}

/// The request for one agent turn: a send_message.
pub fn turn_request(
    model: &str,
    agent: &Agent,
    ctx: &TurnContext<'_>,
    log: &[Message],
    max_tokens: u32,
) -> LlmRequest {
    let ask = format!(
        "{}\nYou are {}. Send your next message now.",
        header::YOUR_TURN,
        agent.name
    );
    agent_request(model, agent, ctx, log, ask, message_output(), max_tokens)
}

/// The same turn asked again after a reply that broke the protocol.
pub fn reask_request(mut req: LlmRequest, bad_reply: &str, error: &str) -> LlmRequest {
    req.messages
        .push(ChatMessage::assistant(if bad_reply.trim().is_empty() {
            "(empty reply)"
        } else {
            bad_reply
        }));
    req.messages.push(ChatMessage::user(vec![Part::new(format!(
        "{}\n{error}\nSend the message again, following the protocol.",
        header::PROTOCOL_ERROR
    ))]));
    req
}

/// When the workspace must end (turn limit, a loop, or nobody left to answer): the agent sends
/// the workspace's final result to USER. It is a send_message like every turn, so that the
/// request shares the turns' cached prefix (tools, system prompt, conversation); read it with
/// [`final_result_text`].
pub fn final_request(
    model: &str,
    agent: &Agent,
    ctx: &TurnContext<'_>,
    log: &[Message],
    max_tokens: u32,
) -> LlmRequest {
    let ask = format!(
        "{}\nThe workspace must finish now. Send its final result to USER: in `content`, the complete \
deliverable, built from everything agreed above, as markdown.",
        header::FINAL_RESULT
    );
    agent_request(model, agent, ctx, log, ask, message_output(), max_tokens)
}

/// The result in the reply to a [`final_request`]: the `content` of its send_message (whoever
/// it names), else as much of `content` as a cut-off reply holds, else the reply as written.
pub fn final_result_text(reply: &str) -> String {
    if let Some(Value::String(content)) =
        extract_json(reply).and_then(|v| v.get("content").cloned())
    {
        return content;
    }
    let partial = ContentStream::default().push(reply);
    if partial.trim().is_empty() {
        reply.to_string()
    } else {
        partial
    }
}

/// One child's outcome, as handed to its parent's aggregation.
pub struct ChildResult<'a> {
    pub node: &'a Plan,
    /// The result text, or the reason it failed.
    pub outcome: Result<&'a str, &'a str>,
}

/// The call that turns the children's full results into the parent's deliverable.
pub fn aggregate_request(
    model: &str,
    mission: &str,
    node: &Plan,
    lead: Option<&Agent>,
    children: &[ChildResult<'_>],
    max_tokens: u32,
) -> LlmRequest {
    let who = lead
        .map(|a| format!("You are {}. {}", a.address(), a.description))
        .unwrap_or_else(|| "You are the coordinator of a team of specialist agents.".into());
    let system = format!(
        "{who}\nCombine the results of the sub-workspaces below into one coherent deliverable for this workspace. \
Keep every concrete decision, number, name and date; resolve contradictions; say plainly what is missing where a sub-workspace failed. \
Write markdown with headings. Do not mention the sub-workspaces or this process; write the deliverable itself."
    );
    let mut prompt = format!(
        "{}\n{}\n\n{}\n{}: {}\n{}\n\n{}\n",
        header::MISSION,
        mission.trim(),
        header::WORKSPACE,
        node.id,
        node.title,
        node.description.trim(),
        header::CHILD_RESULTS
    );
    for c in children {
        match c.outcome {
            Ok(text) => prompt.push_str(&format!(
                "### {}: {} (done)\n{}\n\n",
                c.node.id,
                c.node.title,
                text.trim()
            )),
            Err(reason) => prompt.push_str(&format!(
                "### {}: {} (failed)\n{}\n\n",
                c.node.id,
                c.node.title,
                reason.trim()
            )),
        }
    }
    LlmRequest {
        model: model.to_string(),
        system: vec![Part::cached(system)],
        messages: vec![ChatMessage::user(vec![Part::new(prompt)])],
        max_tokens,
        output: Output::Text,
        temperature: None,
    }
}

/// A reply that follows the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub to: Vec<String>,
    pub content: String,
}

/// Reads an agent's reply: JSON `{"to": [...], "content": "..."}` (also inside a code fence, or with
/// `to` as one string), or text whose first line is `TO: a, b`. Addressees may be written as
/// `name@team`; `USER` and `ALL` in any case. The error says exactly what is wrong.
pub fn parse_reply(text: &str, sender: &str, members: &[Agent]) -> Result<Reply, String> {
    let trimmed = text.trim_start();
    let (first, rest) = trimmed.split_once('\n').unwrap_or((trimmed, ""));
    let to_line = first
        .strip_prefix("TO:")
        .or_else(|| first.strip_prefix("To:"));
    // A `TO:` line makes it a text reply, even if its content holds JSON.
    let json = if to_line.is_some() {
        None
    } else {
        extract_json(text)
    };
    let (to_raw, content) = if let Some(v) = json {
        let to = match v.get("to") {
            Some(Value::String(s)) => s.split(',').map(|x| x.trim().to_string()).collect(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| i.to_string())
                })
                .collect(),
            _ => return Err("the reply has no `to` field listing its addressees".into()),
        };
        let content = match v.get("content") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err("the reply has no `content` string".into()),
        };
        (to, content)
    } else {
        let Some(list) = to_line else {
            return Err(if text.trim().is_empty() {
                "the reply was empty".into()
            } else {
                "the reply is neither send_message JSON nor a message starting with a `TO:` line"
                    .into()
            });
        };
        (
            list.split(',')
                .map(|x| x.trim().to_string())
                .collect::<Vec<_>>(),
            rest.to_string(),
        )
    };
    if content.trim().is_empty() {
        return Err("the message content is empty".into());
    }
    let to = resolve_addressees(&to_raw, sender, members)?;
    if to.is_empty() {
        return Err("the reply names no addressee".into());
    }
    Ok(Reply { to, content })
}

/// Resolves written addressees to canonical ones: member names (also as `name@team`, any case),
/// `ALL` and `USER` (any case); drops repeats and blanks. The error names the valid addressees.
pub fn resolve_addressees(
    raw: &[String],
    sender: &str,
    members: &[Agent],
) -> Result<Vec<String>, String> {
    let mut to = Vec::new();
    for raw in raw.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        let name = raw.split('@').next().unwrap_or(raw).trim();
        let resolved = if name.eq_ignore_ascii_case(USER) {
            USER.to_string()
        } else if name.eq_ignore_ascii_case(ALL) {
            ALL.to_string()
        } else if let Some(m) = members.iter().find(|m| m.name.eq_ignore_ascii_case(name)) {
            if m.name == sender {
                return Err(format!(
                    "'{raw}' is yourself; address teammates, ALL or USER"
                ));
            }
            m.name.clone()
        } else {
            let names: Vec<_> = members
                .iter()
                .filter(|m| m.name != sender)
                .map(|m| m.name.as_str())
                .collect();
            return Err(format!(
                "'{raw}' is not a member of this workspace; address one of: {}, ALL, USER",
                names.join(", ")
            ));
        };
        if !to.contains(&resolved) {
            to.push(resolved);
        }
    }
    Ok(to)
}

/// Finds the first JSON object in a text (bare, in a code fence, or inside prose).
pub fn extract_json(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(trimmed) {
        return Some(v);
    }
    let start = trimmed.find('{')?;
    let end = trimmed.rfind('}')?;
    if end > start
        && let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(&trimmed[start..=end])
    {
        return Some(v);
    }
    // Prose around the object holds braces too ("… see {venue}"): read one object from each `{`
    // in turn, ignoring whatever follows it. Bounded, so that brace-heavy text stays cheap.
    const MAX_TRIES: usize = 64;
    trimmed
        .match_indices('{')
        .take(MAX_TRIES)
        .find_map(|(at, _)| {
            serde_json::Deserializer::from_str(&trimmed[at..])
                .into_iter::<Value>()
                .next()
                .and_then(Result::ok)
                .filter(Value::is_object)
        })
}

/// Whether two messages say nearly the same thing (word-set overlap), for loop detection.
pub fn near_identical(a: &str, b: &str) -> bool {
    let words = |s: &str| -> HashSet<String> {
        s.split_whitespace()
            .map(|w| {
                w.trim_matches(|c: char| !c.is_alphanumeric())
                    .to_lowercase()
            })
            .filter(|w| !w.is_empty())
            .collect()
    };
    let (wa, wb) = (words(a), words(b));
    if wa.is_empty() || wb.is_empty() {
        return wa.is_empty() && wb.is_empty();
    }
    let shared = wa.intersection(&wb).count() as f64;
    shared / (wa.len() + wb.len()) as f64 * 2.0 >= 0.85
}

/// Pulls the decoded `content` string out of a streamed send_message JSON as it arrives, so that a
/// front end can show the message being written instead of raw JSON.
#[derive(Debug, Default)]
pub struct ContentStream {
    raw: String,
    /// Byte offset in `raw` up to which input was consumed.
    pos: usize,
    state: StreamState,
}

#[derive(Debug, Default, PartialEq)]
enum StreamState {
    #[default]
    Seeking,
    InString,
    Done,
}

impl ContentStream {
    /// Feeds one raw fragment; returns the newly decoded content text (maybe empty).
    pub fn push(&mut self, fragment: &str) -> String {
        self.raw.push_str(fragment);
        let mut out = String::new();
        loop {
            match self.state {
                StreamState::Done => return out,
                StreamState::Seeking => {
                    let Some(k) = self.raw[self.pos..].find("\"content\"") else {
                        return out;
                    };
                    let after = self.pos + k + "\"content\"".len();
                    let rest = &self.raw[after..];
                    let trimmed = rest.trim_start();
                    let Some(colon_rest) = trimmed.strip_prefix(':') else {
                        if trimmed.is_empty() {
                            return out;
                        }
                        self.pos = after;
                        continue;
                    };
                    let value = colon_rest.trim_start();
                    if value.is_empty() {
                        return out;
                    }
                    if !value.starts_with('"') {
                        self.pos = after;
                        continue;
                    }
                    self.pos = self.raw.len() - value.len() + 1;
                    self.state = StreamState::InString;
                }
                StreamState::InString => {
                    let bytes = self.raw.as_bytes();
                    while self.pos < bytes.len() {
                        match bytes[self.pos] {
                            b'"' => {
                                self.state = StreamState::Done;
                                return out;
                            }
                            b'\\' => {
                                let esc = &self.raw[self.pos..];
                                match decode_escape(esc) {
                                    Some((text, used)) => {
                                        out.push_str(&text);
                                        self.pos += used;
                                    }
                                    None => return out, // escape not complete yet
                                }
                            }
                            _ => {
                                let ch = self.raw[self.pos..].chars().next().unwrap_or('\u{fffd}');
                                out.push(ch);
                                self.pos += ch.len_utf8();
                            }
                        }
                    }
                    return out;
                }
            }
        }
    }
}

/// Decodes one JSON escape at the start of `s` (which starts with `\\`); `None` if it is not
/// complete yet. Invalid escapes become U+FFFD; nothing here panics on any input.
fn decode_escape(s: &str) -> Option<(String, usize)> {
    let mut chars = s.chars();
    chars.next();
    let c = chars.next()?;
    let simple = match c {
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'u' => None,
        other => Some(other),
    };
    if let Some(ch) = simple {
        return Some((ch.to_string(), 1 + c.len_utf8()));
    }
    let bytes = s.as_bytes();
    // None: not all four digits have arrived; Some(None): not hex digits.
    let hex = |at: usize| -> Option<Option<u32>> {
        let digits = bytes.get(at..at + 4)?;
        Some(
            std::str::from_utf8(digits)
                .ok()
                .and_then(|h| u32::from_str_radix(h, 16).ok()),
        )
    };
    let Some(first) = hex(2)? else {
        return Some(('\u{fffd}'.to_string(), 2));
    };
    if (0xD800..0xDC00).contains(&first) {
        // A high surrogate: a low one should follow as another \\u escape.
        if bytes.len() < 8 {
            return None;
        }
        if &bytes[6..8] == b"\\u" {
            match hex(8) {
                None => return None,
                Some(Some(second)) if (0xDC00..0xE000).contains(&second) => {
                    let cp = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                    return Some((char::from_u32(cp).unwrap_or('\u{fffd}').to_string(), 12));
                }
                Some(_) => {}
            }
        }
        return Some(('\u{fffd}'.to_string(), 6));
    }
    Some((char::from_u32(first).unwrap_or('\u{fffd}').to_string(), 6))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::team;

    fn members() -> Vec<Agent> {
        team::preset("conference")
            .unwrap()
            .agents
            .into_iter()
            .take(3)
            .collect()
    }

    #[test]
    fn json_reply_with_addresses_and_case() {
        let r = parse_reply(
            r#"{"to": ["catering_manager@venue_team", "user"], "content": "Hi"}"#,
            "venue_coordinator",
            &members(),
        )
        .unwrap();
        assert_eq!(
            r,
            Reply {
                to: vec!["catering_manager".into(), USER.into()],
                content: "Hi".into()
            }
        );
    }

    #[test]
    fn fenced_json_and_string_to_and_text_form() {
        let r = parse_reply(
            "Sure!\n```json\n{\"to\": \"ALL\", \"content\": \"x\"}\n```",
            "tech_setup",
            &members(),
        )
        .unwrap();
        assert_eq!(r.to, [ALL]);
        let r = parse_reply(
            "TO: tech_setup, catering_manager\nLine one\nLine two",
            "venue_coordinator",
            &members(),
        )
        .unwrap();
        assert_eq!(r.to, ["tech_setup", "catering_manager"]);
        assert_eq!(r.content, "Line one\nLine two");
    }

    #[test]
    fn protocol_errors_say_what_is_wrong() {
        let m = members();
        assert_eq!(
            parse_reply("", "tech_setup", &m).unwrap_err(),
            "the reply was empty"
        );
        assert!(
            parse_reply("just prose", "tech_setup", &m)
                .unwrap_err()
                .contains("neither")
        );
        let e = parse_reply(r#"{"to": ["ghost"], "content": "x"}"#, "tech_setup", &m).unwrap_err();
        assert_eq!(
            e,
            "'ghost' is not a member of this workspace; address one of: venue_coordinator, catering_manager, ALL, USER"
        );
        assert!(
            parse_reply(
                r#"{"to": ["tech_setup"], "content": "x"}"#,
                "tech_setup",
                &m
            )
            .unwrap_err()
            .contains("yourself")
        );
        assert!(
            parse_reply(r#"{"to": [], "content": "x"}"#, "tech_setup", &m)
                .unwrap_err()
                .contains("no addressee")
        );
        assert!(
            parse_reply(r#"{"to": ["ALL"], "content": "  "}"#, "tech_setup", &m)
                .unwrap_err()
                .contains("empty")
        );
        assert!(
            parse_reply(r#"{"content": "x"}"#, "tech_setup", &m)
                .unwrap_err()
                .contains("`to`")
        );
    }

    #[test]
    fn plan_parses_from_wrapped_json() {
        let p = parse_plan(r#"Here: {"plan": {"id": "r", "title": "T", "agents": [], "children": [{"id": "a", "title": "A", "agents": ["x", "y"]}]}}"#).unwrap();
        assert_eq!(p.children[0].agents, ["x", "y"]);
        assert!(parse_plan("no json").is_err());
        assert!(parse_plan(r#"{"title": 3}"#).unwrap_err().contains("shape"));
    }

    #[test]
    fn content_stream_decodes_across_any_split() {
        let json = r#"{"to": ["ALL"], "content": "Caf\u00e9 \"A\"\nline 2 \ud83d\ude00 done"}"#;
        let expected = "Café \"A\"\nline 2 😀 done";
        for split in 1..json.len() {
            if !json.is_char_boundary(split) {
                continue;
            }
            let mut s = ContentStream::default();
            let mut out = s.push(&json[..split]);
            out.push_str(&s.push(&json[split..]));
            assert_eq!(out, expected, "split at {split}");
        }
        let mut s = ContentStream::default();
        let out: String = json.chars().map(|c| s.push(&c.to_string())).collect();
        assert_eq!(out, expected);
    }

    #[test]
    fn near_identical_catches_repeats_not_progress() {
        assert!(near_identical(
            "Thanks, I agree with the plan.",
            "thanks I agree with the plan"
        ));
        assert!(!near_identical(
            "Venue booked for May 3",
            "Catering menu has three vegan options"
        ));
    }

    #[test]
    fn content_stream_survives_hostile_escapes_at_every_split() {
        let hostile = [
            r#"{"to":["ALL"],"content":"a\é b\’ c"}"#,
            r#"{"to":["ALL"],"content":"x\ud83d日本 y"}"#,
            r#"{"to":["ALL"],"content":"bad \uZZZZ hex \u12"}"#,
            r#"{"to":["ALL"],"content":"lone \udc00 low \ud800\u0041 pair"}"#,
            r#"{"content": 5, "content":"later"}"#,
            "{\"content\":\"\\",
        ];
        for json in hostile {
            for split in 0..=json.len() {
                if !json.is_char_boundary(split) {
                    continue;
                }
                let mut s = ContentStream::default();
                let mut out = s.push(&json[..split]);
                out.push_str(&s.push(&json[split..]));
                let mut whole = ContentStream::default();
                assert_eq!(out, whole.push(json), "{json} split at {split}");
            }
        }
        let mut s = ContentStream::default();
        assert_eq!(s.push(r#"{"content":"a\é\ud83d日"}"#), "aé\u{fffd}日");
    }
}
