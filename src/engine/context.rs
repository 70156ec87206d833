//! What of a workspace log an agent is sent, shaped for prompt caching, and the running summary
//! that replaces the oldest messages once that part passes `--context-tokens`.
//!
//! The conversation goes out as one text part per message, so that every message ends on a block
//! boundary: the breakpoint on the last message of one turn is a block boundary of the agent's
//! next turn, where the provider finds the cached prefix again. Between two folds of the summary
//! the prefix only grows, so each turn reads the previous one from the cache.

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::event::{Event, Message};
use super::protocol::{TurnContext, header};
use super::runtime::{CallScope, Shared, Stream};
use crate::llm::{ChatMessage, LlmError, LlmRequest, Output, Part, estimate_tokens};

/// A workspace's running summary: what its agents are sent instead of the messages up to
/// `through_seq`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The last message the summary covers.
    pub through_seq: u64,
    pub text: String,
}

/// Message parts between two intermediate cache breakpoints. The API looks for an earlier cached
/// prefix at most about 20 blocks back from a breakpoint; breakpoints at fixed multiples of 16
/// keep every earlier boundary within reach even if an agent's view grew by many messages since
/// its last turn.
const BREAKPOINT_STRIDE: usize = 16;
/// Intermediate breakpoints: the API takes 4 in all, one is the system prompt's and one the last
/// message's.
const INTERMEDIATE_BREAKPOINTS: usize = 2;

/// The messages of `log` that `agent` may see: those it sent, those sent to it, and broadcasts.
fn visible<'a>(log: &'a [Message], agent: &'a str) -> impl Iterator<Item = &'a Message> {
    log.iter()
        .filter(move |m| m.from == agent || m.is_for(agent))
}

fn message_text(m: &Message) -> String {
    format!(
        "### #{} {} → {}\n{}\n\n",
        m.seq,
        m.from,
        m.to.join(", "),
        m.content.trim_end()
    )
}

fn summary_text(summary: &Summary) -> String {
    format!(
        "{}\nMessages #1 to #{} of this workspace, in short:\n{}\n\n",
        header::SUMMARY,
        summary.through_seq,
        summary.text.trim()
    )
}

/// The conversation as `agent` is sent it: the summary (if any), then one part per message after
/// it, with cache breakpoints on the last message and at every [`BREAKPOINT_STRIDE`]th one before.
pub fn conversation_parts(log: &[Message], summary: Option<&Summary>, agent: &str) -> Vec<Part> {
    let through = summary.map_or(0, |s| s.through_seq);
    let mut head = summary.map(summary_text).unwrap_or_default();
    head.push_str(header::CONVERSATION);
    head.push('\n');
    let mut parts = vec![Part::new(head)];
    parts.extend(
        visible(log, agent)
            .filter(|m| m.seq > through)
            .map(|m| Part::new(message_text(m))),
    );
    let last = parts.len() - 1;
    parts[last].cache = true;
    for at in (1..last)
        .rev()
        .filter(|i| i % BREAKPOINT_STRIDE == 0)
        .take(INTERMEDIATE_BREAKPOINTS)
    {
        parts[at].cache = true;
    }
    parts
}

/// The conversation as `agent` sees it, as one text (the joined [`conversation_parts`]).
pub fn transcript(log: &[Message], summary: Option<&Summary>, agent: &str) -> String {
    conversation_parts(log, summary, agent)
        .into_iter()
        .map(|p| p.text)
        .collect()
}

/// Estimated tokens of the conversation `agent` would be sent now.
pub fn conversation_tokens(log: &[Message], summary: Option<&Summary>, agent: &str) -> u64 {
    estimate_tokens(&transcript(log, summary, agent))
}

/// Where to fold when the conversation `agent` would be sent passes `limit` tokens: the last
/// message to fold into the summary, chosen so that the messages kept come to about half the
/// limit. Folding in chunks keeps the cached prefix stable until the next fold. `None` when
/// within the limit (or the limit is 0, or nothing could be folded).
pub fn fold_point(
    log: &[Message],
    summary: Option<&Summary>,
    agent: &str,
    limit: u64,
) -> Option<u64> {
    if limit == 0 || conversation_tokens(log, summary, agent) <= limit {
        return None;
    }
    let through = summary.map_or(0, |s| s.through_seq);
    let shown: Vec<&Message> = visible(log, agent).filter(|m| m.seq > through).collect();
    // Keep the newest messages within half the limit, and always the newest one: it is what the
    // agent answers.
    let mut kept = 0;
    let mut first_kept = shown.len().checked_sub(1)?;
    for (i, m) in shown.iter().enumerate().rev() {
        kept += estimate_tokens(&message_text(m));
        if kept > limit / 2 && i < shown.len() - 1 {
            break;
        }
        first_kept = i;
    }
    let fold_to = shown[first_kept].seq - 1;
    (fold_to > through).then_some(fold_to)
}

const SUMMARIZER_SYSTEM: &str = "You keep the running summary of a workspace in which specialist agents work on a task together by messages.
Write the new summary: the summary so far, brought up to date with the new messages. Keep every decision, number, name, date, open question and who owes what to whom; drop greetings, repetition and acknowledgements.
Write one line per point, each starting with `- #N sender → addressees:` for the message it comes from. Plain text, no preamble.";

/// The call that folds the messages after `previous` up to `through_seq` (all of the workspace's,
/// not one agent's view) into a new running summary.
pub fn summary_request(
    model: &str,
    ctx: &TurnContext<'_>,
    previous: Option<&Summary>,
    log: &[Message],
    through_seq: u64,
    max_tokens: u32,
) -> LlmRequest {
    let mut prompt = format!(
        "{}\n{}\n\n{}\n{}: {}\n\n",
        header::MISSION,
        ctx.mission.trim(),
        header::WORKSPACE,
        ctx.node.id,
        ctx.node.title
    );
    if let Some(prev) = previous {
        prompt.push_str(&summary_text(prev));
    }
    prompt.push_str(&format!(
        "{}\nWrite the new summary of messages #1 to #{through_seq}, at most {} words.\n\n",
        header::TO_SUMMARIZE,
        max_tokens * 3 / 5
    ));
    let from = previous.map_or(0, |s| s.through_seq);
    for m in log.iter().filter(|m| m.seq > from && m.seq <= through_seq) {
        prompt.push_str(&message_text(m));
    }
    LlmRequest {
        model: model.to_string(),
        system: vec![Part::cached(SUMMARIZER_SYSTEM)],
        messages: vec![ChatMessage::user(vec![Part::new(prompt)])],
        max_tokens,
        output: Output::Text,
        temperature: None,
    }
}

/// The output limit of a summary call: a quarter of the context limit, so that summary and
/// window together stay under it.
pub fn summary_max_tokens(limit: u64) -> u32 {
    (limit / 4).clamp(256, 4096) as u32
}

/// Once the conversation `agent` would be sent passes `context_tokens`, folds the oldest
/// messages of the workspace into its running summary: a call of the lead's model, counted,
/// capped, paused and cancelled like any other. Announces and returns the new summary. An empty
/// summary folds nothing, so no message is lost.
pub(crate) async fn fit(
    shared: &Shared,
    ctx: &TurnContext<'_>,
    log: &[Message],
    agent: &str,
    cancel: &CancellationToken,
) -> Result<Option<Summary>, LlmError> {
    let limit = shared.config.context_tokens;
    let Some(through) = fold_point(log, ctx.summary, agent, limit) else {
        return Ok(None);
    };
    let workspace = &ctx.node.id;
    let lead = ctx.members.first().map(|m| m.name.as_str());
    let req = summary_request(
        &shared.model_for(lead),
        ctx,
        ctx.summary,
        log,
        through,
        summary_max_tokens(limit),
    );
    // No agent in the scope: the summary is the workspace's, and is not streamed as a turn.
    let scope = CallScope {
        workspace: Some(workspace.clone()),
        agent: None,
    };
    let resp = shared.call(&scope, &req, Stream::Text, cancel).await?;
    if resp.text.trim().is_empty() {
        shared.warn(
            Some(workspace),
            "the running summary came back empty; the whole log is sent instead",
        );
        return Ok(None);
    }
    let summary = Summary {
        through_seq: through,
        text: resp.text.trim().to_string(),
    };
    shared.emit(Event::ContextSummarized {
        workspace: workspace.clone(),
        through_seq: through,
        summary: summary.text.clone(),
        tokens_before: conversation_tokens(log, ctx.summary, agent),
        tokens_after: conversation_tokens(log, Some(&summary), agent),
    });
    Ok(Some(summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::event::{ALL, USER};

    fn msg(seq: u64, from: &str, to: &[&str], words: usize) -> Message {
        Message {
            seq,
            workspace: "w".into(),
            from: from.into(),
            to: to.iter().map(|s| s.to_string()).collect(),
            content: format!("m{seq}{}", " word".repeat(words)),
            at: 0,
        }
    }

    #[test]
    fn transcript_shows_only_what_the_agent_may_see() {
        let log = vec![
            msg(1, USER, &[ALL], 0),
            msg(2, "a", &["b"], 0),
            msg(3, "b", &["c"], 0),
            msg(4, "c", &["a", "b"], 0),
        ];
        let t = transcript(&log, None, "a");
        assert!(t.contains("### #1 USER → ALL\nm1"));
        assert!(t.contains("### #2 a → b\nm2"));
        assert!(!t.contains("m3"));
        assert!(t.contains("### #4 c → a, b\nm4"));
    }

    #[test]
    fn one_part_per_message_with_the_breakpoint_on_the_last() {
        let log: Vec<Message> = (1..=40).map(|i| msg(i, "b", &["a"], 0)).collect();
        let parts = conversation_parts(&log, None, "a");
        assert_eq!(parts.len(), 41, "the header, then one part per message");
        let marked: Vec<usize> = (0..parts.len()).filter(|&i| parts[i].cache).collect();
        assert_eq!(marked, [16, 32, 40]);
        // The previous turn's breakpoint (at 40 of 52 parts) lies within 20 parts of one now.
        let longer: Vec<Message> = (1..=52).map(|i| msg(i, "b", &["a"], 0)).collect();
        let parts = conversation_parts(&longer, None, "a");
        let marked: Vec<usize> = (0..parts.len()).filter(|&i| parts[i].cache).collect();
        assert_eq!(marked, [32, 48, 52]);
    }

    #[test]
    fn the_summary_replaces_the_messages_it_covers() {
        let log: Vec<Message> = (1..=6).map(|i| msg(i, "b", &["a"], 0)).collect();
        let summary = Summary {
            through_seq: 4,
            text: "- #2 b → a: the venue".into(),
        };
        let t = transcript(&log, Some(&summary), "a");
        assert!(t.starts_with(header::SUMMARY), "{t}");
        assert!(t.contains("#1 to #4") && t.contains("the venue"));
        assert!(!t.contains("### #4 ") && t.contains("### #5 b → a"));
    }

    #[test]
    fn folds_down_to_about_half_the_limit_and_keeps_the_newest_message() {
        // Each message is about 30 tokens as sent.
        let log: Vec<Message> = (1..=20).map(|i| msg(i, "b", &["a"], 20)).collect();
        let total = conversation_tokens(&log, None, "a");
        assert!(fold_point(&log, None, "a", total).is_none());
        assert!(fold_point(&log, None, "a", 0).is_none(), "0 turns it off");
        let limit = total / 2;
        let through = fold_point(&log, None, "a", limit).unwrap();
        let summary = Summary {
            through_seq: through,
            text: String::new(),
        };
        let kept = conversation_tokens(&log, Some(&summary), "a");
        assert!(
            kept <= limit / 2 + 40,
            "{kept} tokens kept of limit {limit}"
        );
        assert!(
            kept >= limit / 2 - 40,
            "{kept} tokens kept of limit {limit}"
        );
        // A single message over the limit is kept whole: nothing to fold before it.
        let huge = vec![msg(1, "b", &["a"], 500)];
        assert_eq!(fold_point(&huge, None, "a", 100), None);
    }

    #[test]
    fn the_summary_request_holds_every_message_in_the_range() {
        let plan = crate::engine::plan::Plan {
            id: "w".into(),
            title: "W".into(),
            description: String::new(),
            agents: vec![],
            children: vec![],
        };
        let ctx = TurnContext {
            mission: "task",
            node: &plan,
            members: &[],
            summary: None,
        };
        let log: Vec<Message> = (1..=6).map(|i| msg(i, "b", &["c"], 0)).collect();
        let prev = Summary {
            through_seq: 2,
            text: "- #1 b → c: old".into(),
        };
        let req = summary_request("m", &ctx, Some(&prev), &log, 4, 300);
        let text = req.messages[0].text();
        assert!(text.contains("- #1 b → c: old"));
        assert!(!text.contains("### #2 ") && text.contains("### #3 ") && text.contains("### #4 "));
        assert!(!text.contains("### #5 "));
        assert_eq!(req.output, Output::Text);
    }
}
