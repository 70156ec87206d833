//! When a headless run stops for its budget. Nobody can raise a budget here, so once nothing can
//! go on without a higher one the run ends like an interruption: resumable, with the exact command
//! that continues it.

use std::collections::{HashMap, HashSet};

use crate::engine::budget::{self, BudgetKind};
use crate::engine::{Event, Target};
use crate::text::sanitize;

/// Follows the workspaces and the budgets reached until the run is stuck on a budget.
#[derive(Debug, Default)]
pub(super) struct BudgetStop {
    /// Parent of every workspace that started.
    parents: HashMap<String, Option<String>>,
    finished: HashSet<String>,
    /// Workspaces paused by their own budget.
    held: HashSet<String>,
    /// The budgets reached, in order: (scope, kind, limit, spent).
    reached: Vec<(Target, BudgetKind, f64, f64)>,
}

impl BudgetStop {
    /// Takes in one event; true once the run cannot go on without a higher budget. The run's
    /// own budget is announced only after the calls in flight are counted, so it stops at once;
    /// a workspace's stops the run once every other workspace finished or waits on a held one.
    pub fn stuck_after(&mut self, event: &Event) -> bool {
        match event {
            Event::WorkspaceStarted {
                workspace, parent, ..
            } => {
                self.parents.insert(workspace.clone(), parent.clone());
            }
            Event::WorkspaceDone { workspace, .. } => {
                self.finished.insert(workspace.clone());
            }
            Event::BudgetReached {
                scope,
                kind,
                limit,
                spent,
            } => {
                self.reached.push((scope.clone(), *kind, *limit, *spent));
                match scope {
                    Target::Workspace { workspace } => {
                        self.held.insert(workspace.clone());
                    }
                    _ => return true,
                }
            }
            _ => {}
        }
        !self.held.is_empty()
            && self
                .parents
                .iter()
                .filter(|(_, p)| p.is_none())
                .all(|(root, _)| self.stuck(root))
    }

    /// Whether nothing under `workspace` can go on: it is held, or it waits for children that
    /// are all stuck. A finished workspace is not stuck; one with nothing left to wait for is
    /// about to aggregate.
    fn stuck(&self, workspace: &str) -> bool {
        if self.finished.contains(workspace) {
            return false;
        }
        if self.held.contains(workspace) {
            return true;
        }
        let mut waiting = self
            .parents
            .iter()
            .filter(|(id, p)| p.as_deref() == Some(workspace) && !self.finished.contains(*id))
            .peekable();
        waiting.peek().is_some() && waiting.all(|(id, _)| self.stuck(id))
    }

    /// What to tell the person: why the run stopped and the command that continues it.
    pub fn advice(&self, dir: &std::path::Path, json: bool) -> Vec<String> {
        let dir = quoted(&dir.display().to_string());
        let json = if json { " --json" } else { "" };
        let mut lines = vec![
            "the run stopped at its budget; nothing was lost and the session can be resumed"
                .to_string(),
        ];
        let run = self
            .reached
            .iter()
            .rev()
            .find(|(scope, ..)| *scope == Target::Run);
        match run {
            Some((_, kind, limit, spent)) => {
                let flag = match kind {
                    BudgetKind::Tokens => "--budget-tokens",
                    BudgetKind::Usd => "--budget-usd",
                };
                lines.push(format!(
                    "continue with a higher budget: huddle resume {dir} --headless{json} {flag} {}",
                    budget::suggest(*kind, *limit, *spent)
                ));
            }
            None => {
                let held: Vec<&str> = self.held.iter().map(String::as_str).collect();
                // Workspace ids come from the planner's reply.
                lines.push(sanitize(&format!(
                    "raise the [limits] of {} in the team file, then continue: huddle resume {dir} --headless{json} --team TEAM_FILE",
                    held.join(", ")
                )));
            }
        }
        lines
    }
}

/// A path as a shell word.
fn quoted(path: &str) -> String {
    if path
        .chars()
        .all(|c| c.is_alphanumeric() || "/._-+:@".contains(c))
    {
        path.to_string()
    } else {
        format!("'{}'", path.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Status;
    use crate::engine::Totals;

    fn started(id: &str, parent: Option<&str>) -> Event {
        Event::WorkspaceStarted {
            workspace: id.into(),
            title: id.into(),
            parent: parent.map(str::to_string),
            members: vec![],
            leaf: parent.is_some(),
        }
    }

    fn done(id: &str) -> Event {
        Event::WorkspaceDone {
            workspace: id.into(),
            status: Status::Done,
            result: None,
            turns: 1,
            totals: Totals::default(),
            elapsed_ms: 0,
        }
    }

    fn reached(scope: Target) -> Event {
        Event::BudgetReached {
            scope,
            kind: BudgetKind::Tokens,
            limit: 1000.0,
            spent: 1200.0,
        }
    }

    #[test]
    fn a_held_workspace_stops_the_run_once_the_others_finished() {
        let mut s = BudgetStop::default();
        for e in [
            started("root", None),
            started("venue", Some("root")),
            started("content", Some("root")),
        ] {
            assert!(!s.stuck_after(&e));
        }
        let venue = Target::Workspace {
            workspace: "venue".into(),
        };
        assert!(!s.stuck_after(&reached(venue)), "content still runs");
        assert!(s.stuck_after(&done("content")));
        let advice = s.advice(std::path::Path::new("/tmp/my run"), false);
        assert!(advice[1].contains("venue"), "{advice:?}");
        assert!(advice[1].contains("huddle resume '/tmp/my run' --headless"));
    }

    #[test]
    fn the_run_budget_stops_at_once_with_a_higher_flag() {
        let mut s = BudgetStop::default();
        assert!(!s.stuck_after(&started("root", None)));
        assert!(s.stuck_after(&reached(Target::Run)));
        let advice = s.advice(std::path::Path::new("/s/x"), true);
        assert_eq!(
            advice[1],
            "continue with a higher budget: huddle resume /s/x --headless --json --budget-tokens 1.8k"
        );
    }
}
