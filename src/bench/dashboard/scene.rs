//! The dashboard's benchmark scene: a run of 1,000 workspaces whose events are fed to an `App`
//! exactly as the engine would send them.

use crate::engine::plan::Plan;
use crate::engine::{Event, Message, USER};
use crate::tui::app::{App, Input};

/// The leaf workspace whose log the benchmarks fill and show.
pub const SHOWN: &str = "g0-l0";

/// A plan of `n` workspaces: a root, nine groups, and leaves of two agents spread over them.
pub fn plan(n: usize) -> Plan {
    let groups = 9.min(n.saturating_sub(1)).max(1);
    let leaves = n.saturating_sub(1 + groups);
    let agents = ["planner", "writer", "reviewer", "designer"];
    let children = (0..groups)
        .map(|g| Plan {
            id: format!("g{g}"),
            title: format!("Group {g}"),
            description: format!("The work of group {g}."),
            agents: vec![],
            children: (0..leaves)
                .filter(|l| l % groups == g)
                .map(|l| Plan {
                    id: format!("g{g}-l{}", l / groups),
                    title: format!("Leaf {l} of group {g}"),
                    description: "Two agents work this out together.".into(),
                    agents: vec![agents[l % 4].to_string(), agents[(l + 1) % 4].to_string()],
                    children: vec![],
                })
                .collect(),
        })
        .collect();
    Plan {
        id: "root".into(),
        title: "Benchmark run".into(),
        description: "A wide plan to measure the dashboard.".into(),
        agents: vec![],
        children,
    }
}

/// The events that start a run of `plan`: every workspace started.
pub fn start_events(plan: &Plan) -> Vec<Event> {
    let mut events = vec![
        Event::RunStarted {
            task: "Benchmark the dashboard".into(),
            team: "bench".into(),
            provider: "sim".into(),
            model: "sim-1".into(),
            simulated: true,
            max_turns: 12,
            max_depth: 3,
            concurrency: 8,
        },
        Event::PlanReady {
            plan: plan.clone(),
            repaired: false,
            notes: vec![],
        },
        Event::PlanApproved,
    ];
    fn walk(p: &Plan, parent: Option<&str>, out: &mut Vec<Event>) {
        out.push(Event::WorkspaceStarted {
            workspace: p.id.clone(),
            title: p.title.clone(),
            parent: parent.map(str::to_string),
            members: p.agents.clone(),
            leaf: p.is_leaf(),
        });
        for c in &p.children {
            walk(c, Some(&p.id), out);
        }
    }
    walk(plan, None, &mut events);
    events
}

/// Message `seq` of about `size` bytes of markdown-lite, as agents write it: a heading, a
/// paragraph with inline markup, a list.
pub fn message(workspace: &str, seq: u64, size: usize) -> Event {
    let (from, to) = if seq.is_multiple_of(2) {
        ("planner", "writer")
    } else {
        ("writer", "planner")
    };
    let mut content =
        format!("## Update {seq}\n\nHere is where **the work** stands, with `code` and *notes*: ");
    let words = [
        "venue",
        "budget",
        "catering",
        "schedule",
        "speakers",
        "badges",
        "keynote",
        "sponsors",
        "tickets",
        "stage",
        "lighting",
        "volunteers",
    ];
    let mut i = seq as usize;
    while content.len() < size * 6 / 10 {
        content.push_str(words[i % words.len()]);
        content.push(' ');
        i += 7;
    }
    content.push('\n');
    while content.len() < size {
        content.push_str("- ");
        content.push_str(words[i % words.len()]);
        content.push_str(" is settled and the team agreed on it\n");
        i += 5;
    }
    content.truncate(size);
    Event::MessagePosted {
        message: Message {
            seq,
            workspace: workspace.into(),
            from: from.into(),
            to: vec![if seq.is_multiple_of(97) { USER } else { to }.into()],
            content,
            at: 1_700_000_000_000 + seq,
        },
    }
}

/// A streamed piece of a reply in the shown workspace.
pub fn token(i: u64) -> Event {
    Event::TokenDelta {
        workspace: SHOWN.into(),
        agent: "reviewer".into(),
        text: if i % 40 == 39 {
            "\n".into()
        } else {
            format!("word{} ", i % 13)
        },
    }
}

/// Feeds events to the app as the dashboard's loop does.
pub fn feed(app: &mut App, events: impl IntoIterator<Item = Event>) {
    for e in events {
        app.update(Input::Engine(Box::new(e)));
    }
}
