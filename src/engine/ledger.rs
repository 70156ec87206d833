//! The run's usage by workspace and agent, folded from its events: calls, tokens of each kind,
//! cost, turns and wall time. One fold for every consumer (report.md, the headless printer, the
//! dashboard's Summary tab, a replay), so their tables always agree with `UsageUpdated`.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::event::{Event, Status, Totals};
use super::plan::Plan;

/// The row of a workspace's calls made for no agent: the context window's running summaries.
pub const SUMMARIES: &str = "(summaries)";

/// Usage of one part of the run.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Line {
    pub totals: Totals,
    pub turns: u32,
    /// For a workspace: from its start to its end (0 while it runs). For an agent or the planner:
    /// the time its calls took, waiting for a place under the concurrency cap and retries
    /// included.
    pub wall_ms: u64,
}

impl Line {
    fn call(&mut self, usage: &crate::llm::Usage, cost_usd: f64, elapsed_ms: u64) {
        self.totals.add_call(usage, cost_usd);
        self.wall_ms += elapsed_ms;
    }
}

/// One workspace's usage and that of each agent that spoke in it, in the order they first
/// appeared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkspaceLine {
    pub id: String,
    /// `None` until the workspace ends.
    pub status: Option<Status>,
    pub line: Line,
    pub agents: Vec<(String, Line)>,
    /// Turn numbers counted: a turn cut short by an interruption is taken again under the same
    /// number after `huddle resume`, and counts once.
    counted: std::collections::BTreeSet<u32>,
}

impl WorkspaceLine {
    fn agent(&mut self, name: &str) -> &mut Line {
        let i = match self.agents.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                self.agents.push((name.to_string(), Line::default()));
                self.agents.len() - 1
            }
        };
        &mut self.agents[i].1
    }
}

/// Usage of a whole run: the planner, every workspace and agent, and the total.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    pub run: Line,
    /// Calls made for no workspace: planning and re-planning.
    pub planner: Line,
    workspaces: Vec<WorkspaceLine>,
    index: HashMap<String, usize>,
}

impl Ledger {
    /// A ledger of these events, as if they had been recorded one by one.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut l = Ledger::default();
        for e in events {
            l.record(e);
        }
        l
    }

    /// Whether `event` changes a ledger (so that callers can skip the rest cheaply).
    pub fn concerns(event: &Event) -> bool {
        matches!(
            event,
            Event::UsageUpdated { .. }
                | Event::RetryScheduled { .. }
                | Event::TurnStarted { .. }
                | Event::WorkspaceStarted { .. }
                | Event::WorkspaceDone { .. }
                | Event::RunDone { .. }
        )
    }

    /// Folds one event in.
    pub fn record(&mut self, event: &Event) {
        match event {
            Event::UsageUpdated {
                workspace,
                agent,
                call,
                cost_usd,
                elapsed_ms,
                ..
            } => {
                self.run.totals.add_call(call, *cost_usd);
                match workspace {
                    None => self.planner.call(call, *cost_usd, *elapsed_ms),
                    Some(ws) => {
                        let w = self.workspace(ws);
                        w.line.totals.add_call(call, *cost_usd);
                        // A workspace's own calls (its running summaries) get a row of their own,
                        // so that its agents' rows add up to its total.
                        w.agent(agent.as_deref().unwrap_or(SUMMARIES)).call(
                            call,
                            *cost_usd,
                            *elapsed_ms,
                        );
                    }
                }
            }
            Event::RetryScheduled {
                workspace, agent, ..
            } => {
                self.run.totals.retries += 1;
                match workspace {
                    None => self.planner.totals.retries += 1,
                    Some(ws) => {
                        let w = self.workspace(ws);
                        w.line.totals.retries += 1;
                        if let Some(agent) = agent {
                            w.agent(agent).totals.retries += 1;
                        }
                    }
                }
            }
            Event::TurnStarted {
                workspace,
                agent,
                turn,
            } => {
                let w = self.workspace(workspace);
                if w.counted.insert(*turn) {
                    w.line.turns += 1;
                    w.agent(agent).turns += 1;
                }
            }
            Event::WorkspaceStarted {
                workspace, members, ..
            } => {
                let w = self.workspace(workspace);
                for m in members {
                    w.agent(m);
                }
            }
            Event::WorkspaceDone {
                workspace,
                status,
                elapsed_ms,
                ..
            } => {
                let w = self.workspace(workspace);
                w.status = Some(status.clone());
                w.line.wall_ms = *elapsed_ms;
            }
            Event::RunDone { elapsed_ms, .. } => self.run.wall_ms = *elapsed_ms,
            _ => {}
        }
    }

    /// Every workspace seen so far, in the order they first appeared.
    pub fn workspaces(&self) -> &[WorkspaceLine] {
        &self.workspaces
    }

    pub fn get(&self, id: &str) -> Option<&WorkspaceLine> {
        self.index.get(id).map(|&i| &self.workspaces[i])
    }

    fn workspace(&mut self, id: &str) -> &mut WorkspaceLine {
        let i = *self.index.entry(id.to_string()).or_insert_with(|| {
            self.workspaces.push(WorkspaceLine {
                id: id.to_string(),
                ..WorkspaceLine::default()
            });
            self.workspaces.len() - 1
        });
        &mut self.workspaces[i]
    }

    /// The summary table as markdown with aligned columns (it reads the same raw and rendered):
    /// the planner, each workspace followed by its agents, and the run total. With a plan, the
    /// workspaces come as the run goes: children before the workspace that aggregates them.
    pub fn table(&self, plan: Option<&Plan>) -> String {
        let mut order: Vec<&WorkspaceLine> = self.workspaces.iter().collect();
        if let Some(plan) = plan {
            fn post<'a>(node: &'a Plan, out: &mut Vec<&'a str>) {
                for c in &node.children {
                    post(c, out);
                }
                out.push(&node.id);
            }
            let mut ids = Vec::new();
            post(plan, &mut ids);
            order.sort_by_key(|w| ids.iter().position(|id| *id == w.id).unwrap_or(usize::MAX));
        }
        let mut rows: Vec<[String; 10]> = Vec::new();
        if self.planner.totals.calls > 0 {
            rows.push(cells("planner", "", &self.planner));
        }
        for w in order {
            let status = w.status.as_ref().map_or("running", Status::word);
            rows.push(cells(&w.id, status, &w.line));
            for (name, line) in &w.agents {
                rows.push(cells(&format!("↳ {name}"), "", line));
            }
        }
        let mut total = cells("**run total**", "", &self.run);
        total[2] = String::new();
        rows.push(total);
        render(&rows)
    }
}

const HEADER: [&str; 10] = [
    "Workspace / agent",
    "Status",
    "Turns",
    "Calls",
    "Input",
    "Output",
    "Cache write",
    "Cache read",
    "Cost (USD)",
    "Wall (s)",
];

fn cells(name: &str, status: &str, l: &Line) -> [String; 10] {
    let t = &l.totals;
    let u = &t.usage;
    [
        name.to_string(),
        status.to_string(),
        if l.turns > 0 {
            l.turns.to_string()
        } else {
            String::new()
        },
        t.calls.to_string(),
        u.input_tokens.to_string(),
        u.output_tokens.to_string(),
        u.cache_write_tokens.to_string(),
        u.cache_read_tokens.to_string(),
        format!("{:.4}", t.cost_usd),
        format!("{:.1}", l.wall_ms as f64 / 1000.0),
    ]
}

/// Markdown table, every column padded to its widest cell; the first two columns are left
/// aligned, the numbers right aligned.
fn render(rows: &[[String; 10]]) -> String {
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([HEADER[i].chars().count()])
            .max()
            .unwrap_or(0)
            .max(3)
    };
    let widths: Vec<usize> = (0..10).map(width).collect();
    let mut s = String::new();
    let line = |s: &mut String, cells: &[&str]| {
        s.push('|');
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(c.chars().count());
            if i < 2 {
                let _ = write!(s, " {c}{} |", " ".repeat(pad));
            } else {
                let _ = write!(s, " {}{c} |", " ".repeat(pad));
            }
        }
        s.push('\n');
    };
    line(&mut s, &HEADER);
    s.push('|');
    for (i, w) in widths.iter().enumerate() {
        if i < 2 {
            let _ = write!(s, "{}|", "-".repeat(w + 2));
        } else {
            let _ = write!(s, "{}:|", "-".repeat(w + 1));
        }
    }
    s.push('\n');
    for r in rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        line(&mut s, &cells);
    }
    s
}

#[cfg(test)]
mod tests;
