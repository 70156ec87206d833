//! The agent inspector's text: persona, inbox, the system prompt and last request as sent, the
//! last reply and usage, as a markdown-lite document for a scrolling log.

use crate::engine::{Event, Totals};
use crate::headless::compact;
use crate::llm::Role;
use crate::text::sanitize;

use super::app::{App, Overlay};

/// The inspector document for the agent the overlay shows.
pub fn document(app: &App) -> String {
    let Some(Overlay::Inspector { workspace, agent }) = &app.overlay else {
        return String::new();
    };
    let view = app.model.workspace(workspace);
    let mut out = String::new();
    let title = view.map(|w| w.title.as_str()).unwrap_or(workspace);
    out.push_str(&format!("# {agent} — {title}\n\n"));
    let Some(Event::AgentInspected {
        workspace: w,
        agent: a,
        persona,
        model,
        system,
        request,
        reply,
        turns,
        totals,
    }) = &app.model.inspection
    else {
        out.push_str("Asking the engine about this agent…\n");
        return out;
    };
    if w != workspace || a != agent {
        out.push_str("Asking the engine about this agent…\n");
        return out;
    }
    out.push_str(&format!(
        "`{}` · {turns} turns · {}\n\n",
        sanitize(model),
        usage_line(totals)
    ));
    out.push_str("## Persona\n\n");
    out.push_str(&sanitize(persona));
    out.push_str("\n\n## Inbox\n\n");
    match view.and_then(|v| v.agent(agent)) {
        Some(a) if !a.inbox.is_empty() => {
            for m in &a.inbox {
                let waiting = if m.seq > a.answered {
                    " — waiting"
                } else {
                    ""
                };
                out.push_str(&format!(
                    "- #{} from **{}**{waiting}: {}\n",
                    m.seq, m.from, m.preview
                ));
            }
        }
        _ => out.push_str("No message for this agent yet.\n"),
    }
    out.push_str("\n## System prompt, as sent\n\n");
    match system {
        Some(s) => fenced(&mut out, s),
        None => out.push_str("No call yet.\n"),
    }
    out.push_str("\n## Last request\n\n");
    if request.is_empty() {
        out.push_str("No call yet.\n");
    }
    for m in request {
        let role = match m.role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        out.push_str(&format!("**{role}**\n\n"));
        fenced(&mut out, &m.text);
        out.push('\n');
    }
    out.push_str("\n## Last reply\n\n");
    match reply {
        Some(r) => fenced(&mut out, r),
        None => out.push_str("No reply yet.\n"),
    }
    out
}

/// Text shown exactly as sent: in a fence, so no markdown applies to it.
fn fenced(out: &mut String, text: &str) {
    // A fence inside the text must not end ours.
    let body = sanitize(text).replace("```", "ʼʼʼ");
    out.push_str("```\n");
    out.push_str(body.trim_end());
    out.push_str("\n```\n");
}

/// Calls, tokens by kind and cost on one line.
pub fn usage_line(t: &Totals) -> String {
    format!(
        "{} calls · {} in · {} out · cache {} read / {} written · ${:.4}{}",
        t.calls,
        compact(t.usage.input_tokens),
        compact(t.usage.output_tokens),
        compact(t.usage.cache_read_tokens),
        compact(t.usage.cache_write_tokens),
        t.cost_usd,
        if t.retries > 0 {
            format!(" · {} retries", t.retries)
        } else {
            String::new()
        }
    )
}
