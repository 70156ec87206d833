//! Budgets: spending limits of the run and of each workspace, and the pause they put on new LLM
//! calls. Every token kind counts (input, output, cache writes and cache reads: all are billed).
//! Spending is read from the run's usage book, so a resumed run carries on from what it spent.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

mod amount;

pub use amount::{amounts, parse_tokens, parse_usd, suggest, thousands};

use super::event::{Event, Status, Target, Totals};
use super::limiter::Permit;
use super::plan::Plan;
use super::runtime::{CallScope, Shared, lock};
use crate::llm::LlmError;
use crate::llm::retry::Gate;

/// Spending limits of one scope; `None` is no limit of that kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<u64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "usd_limit"
    )]
    pub usd: Option<f64>,
}

/// Reads a USD limit, refusing a negative or non-finite one where it is written.
pub(crate) fn usd_limit<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let value = Option::<f64>::deserialize(d)?;
    match value {
        Some(v) if !(v.is_finite() && v >= 0.0) => Err(serde::de::Error::custom(format!(
            "a budget in USD must be 0 or more, not {v}"
        ))),
        _ => Ok(value),
    }
}

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetKind {
    Tokens,
    Usd,
}

/// A limit that spending has reached.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reached {
    pub kind: BudgetKind,
    pub limit: f64,
    pub spent: f64,
}

impl Limits {
    pub fn is_none(&self) -> bool {
        self.tokens.is_none() && self.usd.is_none()
    }

    /// The first limit that `spent` has reached, tokens first.
    pub fn reached(&self, spent: &Totals) -> Option<Reached> {
        let tokens = spent.usage.total();
        if let Some(limit) = self.tokens
            && tokens >= limit
        {
            return Some(Reached {
                kind: BudgetKind::Tokens,
                limit: limit as f64,
                spent: tokens as f64,
            });
        }
        match self.usd {
            Some(limit) if spent.cost_usd >= limit => Some(Reached {
                kind: BudgetKind::Usd,
                limit,
                spent: spent.cost_usd,
            }),
            _ => None,
        }
    }
}

/// The budgets of a run: its own limits, a default for every workspace, and limits of single
/// workspaces by plan id (these replace the default).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Budgets {
    pub run: Limits,
    pub workspace: Limits,
    pub workspaces: BTreeMap<String, Limits>,
}

impl Budgets {
    /// The limits that apply to one workspace's own calls.
    pub fn for_workspace(&self, id: &str) -> Limits {
        self.workspaces.get(id).copied().unwrap_or(self.workspace)
    }
}

/// The budgets of the current run and the calls that passed them.
#[derive(Debug, Default)]
pub(crate) struct BudgetState {
    pub budgets: Budgets,
    /// Calls past the budget check whose usage is not booked yet.
    in_flight: usize,
    /// The run is held; its notice waits until the calls in flight are counted.
    run_notice_due: bool,
}

impl BudgetState {
    pub fn new(budgets: Budgets) -> Self {
        Self {
            budgets,
            ..Self::default()
        }
    }
}

/// The gate of one call's attempts. Its first attempt starts only within the budget, checked
/// once it has room under the concurrency cap, so that no call queued there starts after a limit
/// is reached; retries of a call that started go on. The call counts as in flight from then
/// until this is dropped, after its usage is booked. It owns what it uses: a gate that borrows
/// trips the compiler's Send check of the engine's futures.
pub(crate) struct Admission {
    shared: Arc<Shared>,
    scope: CallScope,
    admitted: AtomicBool,
}

impl Admission {
    pub fn new(shared: Arc<Shared>, scope: &CallScope) -> Self {
        Self {
            shared,
            scope: scope.clone(),
            admitted: AtomicBool::new(false),
        }
    }
}

impl Gate for Admission {
    type Pass<'p> = Permit<'p>;

    async fn admit(&self) -> Permit<'_> {
        let mut wake = self.shared.wake.subscribe();
        loop {
            let admitted = self.admitted.load(Ordering::Relaxed);
            if !admitted && lock(&self.shared.gates).held(self.scope.workspace.as_deref()) {
                if wake.changed().await.is_err() {
                    // The engine is gone; the call's cancellation ends this wait.
                    std::future::pending::<()>().await;
                }
                continue;
            }
            let permit = self.shared.admit().await;
            if admitted || self.shared.budget_admits(&self.scope) {
                self.admitted.store(true, Ordering::Relaxed);
                return permit;
            }
        }
    }

    fn settle(&self, pass: Permit<'_>, outcome: Result<(), &LlmError>) {
        self.shared.settle(pass, outcome);
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        if !self.admitted.load(Ordering::Relaxed) {
            return;
        }
        {
            let mut state = lock(&self.shared.budget);
            state.in_flight = state.in_flight.saturating_sub(1);
        }
        self.shared.announce_run_hold();
    }
}

impl Shared {
    /// Holds the run or the workspace whose budget is spent; true if this call may go.
    fn budget_admits(&self, scope: &CallScope) -> bool {
        let ws = scope.workspace.as_deref();
        let (run_spent, ws_spent) = {
            let book = lock(&self.book);
            let ws_spent = ws.map(|w| book.workspaces.get(w).copied().unwrap_or_default());
            (book.run, ws_spent)
        };
        let mut events = Vec::new();
        let go = {
            let mut state = lock(&self.budget);
            let mut gates = lock(&self.gates);
            if !gates.held_run && state.budgets.run.reached(&run_spent).is_some() {
                gates.held_run = true;
                state.run_notice_due = true;
                events.push(Event::StatusChanged {
                    target: Target::Run,
                    status: Status::Paused,
                });
            }
            if let (Some(w), Some(spent)) = (ws, ws_spent)
                && !gates.held.contains(w)
                && let Some(r) = state.budgets.for_workspace(w).reached(&spent)
            {
                // One call at a time runs in a workspace: nothing of it is in flight now.
                gates.held.insert(w.to_string());
                let target = Target::Workspace {
                    workspace: w.to_string(),
                };
                events.push(Event::StatusChanged {
                    target: target.clone(),
                    status: Status::Paused,
                });
                events.extend(notice(target, r));
            }
            let go = !gates.held(ws);
            if go {
                state.in_flight += 1;
            }
            go
        };
        for e in events {
            self.emit(e);
        }
        if !go {
            self.announce_run_hold();
        }
        go
    }

    /// Announces the run's budget pause once no call is in flight, so that `spent` includes
    /// every call that was still running when the limit was reached.
    pub(crate) fn announce_run_hold(&self) {
        let reached = {
            let mut state = lock(&self.budget);
            if !state.run_notice_due || state.in_flight > 0 {
                return;
            }
            state.run_notice_due = false;
            // Read under the budget lock, after the last call in flight was booked.
            let spent = self.run_totals();
            state.budgets.run.reached(&spent)
        };
        if let Some(r) = reached {
            for e in notice(Target::Run, r) {
                self.emit(e);
            }
        }
    }

    /// Applies [`super::Command::SetBudget`].
    pub(crate) fn set_budget(&self, target: Target, limits: Limits) {
        if let Some(usd) = limits.usd
            && !(usd.is_finite() && usd >= 0.0)
        {
            self.warn(
                None,
                format!("a budget in USD must be 0 or more, not {usd}"),
            );
            return;
        }
        let spent = {
            let book = lock(&self.book);
            match &target {
                Target::Run => book.run,
                Target::Workspace { workspace } => {
                    book.workspaces.get(workspace).copied().unwrap_or_default()
                }
                Target::Agent { .. } => {
                    drop(book);
                    self.warn(
                        None,
                        "budgets are set for the run or for a workspace, not for an agent",
                    );
                    return;
                }
            }
        };
        let (lifted, still) = {
            let mut state = lock(&self.budget);
            let mut gates = lock(&self.gates);
            if let Some(why) = gates.refuse(&target) {
                drop((state, gates));
                self.warn(None, format!("cannot set the budget: {why}"));
                return;
            }
            let over = limits.reached(&spent);
            let lifted = match &target {
                Target::Workspace { workspace } => {
                    state.budgets.workspaces.insert(workspace.clone(), limits);
                    over.is_none() && gates.held.remove(workspace)
                }
                _ => {
                    state.budgets.run = limits;
                    let lifted = over.is_none() && gates.held_run;
                    if lifted {
                        gates.held_run = false;
                        state.run_notice_due = false;
                    }
                    lifted
                }
            };
            let paused = match &target {
                Target::Workspace { workspace } => gates.blocks(workspace),
                _ => gates.run || gates.held_run,
            };
            (lifted.then_some(paused), over)
        };
        self.emit(Event::BudgetChanged {
            scope: target.clone(),
            tokens: limits.tokens,
            usd: limits.usd,
        });
        if let Some(paused) = lifted {
            let status = if paused {
                Status::Paused
            } else {
                Status::Running
            };
            self.emit(Event::StatusChanged { target, status });
            self.wake_all();
        } else if let Some(r) = still {
            self.warn(
                None,
                format!(
                    "{} is still reached ({}): raise it above what was spent",
                    scope_name(&target),
                    amounts(r)
                ),
            );
        }
    }

    /// Says which budgets apply: the run's at its start, each workspace's once the plan is known.
    pub(crate) fn announce_budgets(&self, plan: Option<&Plan>) {
        let budgets = lock(&self.budget).budgets.clone();
        let mut scoped = Vec::new();
        match plan {
            None => scoped.push((Target::Run, budgets.run)),
            Some(plan) => {
                for node in plan.nodes() {
                    let target = Target::Workspace {
                        workspace: node.id.clone(),
                    };
                    scoped.push((target, budgets.for_workspace(&node.id)));
                }
            }
        }
        for (scope, limits) in scoped.into_iter().filter(|(_, l)| !l.is_none()) {
            self.emit(Event::BudgetChanged {
                scope,
                tokens: limits.tokens,
                usd: limits.usd,
            });
        }
    }

    /// Why a resume cannot lift this pause, if a budget holds it.
    pub(crate) fn budget_hold(&self, target: &Target) -> Option<String> {
        let gates = lock(&self.gates);
        let held = match target {
            Target::Run => gates.held_run,
            Target::Workspace { workspace } | Target::Agent { workspace, .. } => {
                gates.held(Some(workspace))
            }
        };
        held.then(|| {
            "a budget holds it: raise the budget (/budget in the dashboard) to go on".to_string()
        })
    }
}

/// The limits last announced in a run's events: the run's (if any was announced) and each
/// workspace's. A resumed run goes on under them unless told otherwise.
pub fn recorded(events: &[Event]) -> (Option<Limits>, BTreeMap<String, Limits>) {
    let mut run = None;
    let mut workspaces = BTreeMap::new();
    for e in events {
        if let Event::BudgetChanged { scope, tokens, usd } = e {
            let limits = Limits {
                tokens: *tokens,
                usd: *usd,
            };
            match scope {
                Target::Workspace { workspace } => {
                    workspaces.insert(workspace.clone(), limits);
                }
                _ => run = Some(limits),
            }
        }
    }
    (run, workspaces)
}

/// The warning and the event of a reached budget.
fn notice(scope: Target, r: Reached) -> [Event; 2] {
    let (what, rest) = match &scope {
        Target::Workspace { workspace } => (
            format!("Budget of workspace '{workspace}' reached"),
            "The workspace is paused until its budget is raised; the others go on.",
        ),
        _ => (
            "Budget reached".to_string(),
            "The run is paused until the budget is raised.",
        ),
    };
    let message = format!("{what}: {}. {rest}", amounts(r));
    // The warning first: a headless run ends at the `BudgetReached` and still shows it.
    [
        Event::Warning {
            workspace: None,
            message,
        },
        Event::BudgetReached {
            scope,
            kind: r.kind,
            limit: r.limit,
            spent: r.spent,
        },
    ]
}

fn scope_name(target: &Target) -> String {
    match target {
        Target::Workspace { workspace } => format!("the budget of workspace '{workspace}'"),
        _ => "the run's budget".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Usage;

    #[test]
    fn every_token_kind_counts_and_tokens_are_checked_first() {
        let spent = Totals {
            usage: Usage {
                input_tokens: 100,
                output_tokens: 50,
                cache_write_tokens: 30,
                cache_read_tokens: 20,
            },
            cost_usd: 0.6,
            calls: 2,
            retries: 0,
        };
        let limits = |tokens, usd| Limits { tokens, usd };
        assert_eq!(limits(Some(201), Some(0.61)).reached(&spent), None);
        assert_eq!(
            limits(Some(200), Some(0.5)).reached(&spent),
            Some(Reached {
                kind: BudgetKind::Tokens,
                limit: 200.0,
                spent: 200.0
            })
        );
        assert_eq!(
            limits(None, Some(0.6)).reached(&spent).map(|r| r.kind),
            Some(BudgetKind::Usd)
        );
        assert_eq!(Limits::default().reached(&spent), None);
    }

    #[test]
    fn a_workspace_limit_replaces_the_default() {
        let mut b = Budgets {
            workspace: Limits {
                tokens: Some(60_000),
                usd: None,
            },
            ..Budgets::default()
        };
        b.workspaces.insert(
            "venue".into(),
            Limits {
                tokens: None,
                usd: Some(1.0),
            },
        );
        assert_eq!(b.for_workspace("content").tokens, Some(60_000));
        assert_eq!(b.for_workspace("venue").tokens, None);
        assert_eq!(b.for_workspace("venue").usd, Some(1.0));
    }
}
