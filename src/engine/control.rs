//! The engine's command loop: starts and resumes runs, routes plan decisions, pauses, resumes,
//! cancels, injected messages, budgets and inspections, and makes sure every run ends with
//! `RunDone`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::budget::{BudgetState, Limits};
use super::event::{Command, Event, Status, Target};
use super::runtime::{Book, Gates, Injected, Shared, lock};

/// What the planning phase is waiting for from the person.
#[derive(Debug)]
pub(crate) enum PlanDecision {
    Approve,
    Revise(String),
}

pub(crate) async fn command_loop(
    shared: Arc<Shared>,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let mut decisions: Option<mpsc::UnboundedSender<PlanDecision>> = None;
    let mut run: Option<tokio::task::JoinHandle<()>> = None;
    while let Some(cmd) = commands.recv().await {
        tracing::debug!(?cmd, "command");
        match cmd {
            Command::StartTask { .. } | Command::ResumeRun { .. } => {
                let (task, resume) = match cmd {
                    Command::ResumeRun { events } => {
                        let history = super::resume::History::from_events(&events);
                        if history.ended {
                            shared.warn(None, "this run had already ended; nothing to resume");
                            continue;
                        }
                        (history.task.clone(), Some(Arc::new(history)))
                    }
                    Command::StartTask { task } => (task, None),
                    _ => continue,
                };
                if run.as_ref().is_some_and(|r| !r.is_finished()) {
                    shared.warn(
                        None,
                        "a run is already going; cancel it before starting another",
                    );
                    continue;
                }
                if task.trim().is_empty() {
                    shared.warn(None, "the task is empty; type what the team should do");
                    continue;
                }
                *lock(&shared.run_cancel) = CancellationToken::new();
                *lock(&shared.gates) = Gates::default();
                *lock(&shared.book) = Book::default();
                *lock(&shared.budget) = BudgetState::new(shared.config.budgets.clone());
                *lock(&shared.refused_credentials) = None;
                *lock(&shared.started) = Instant::now();
                let (tx, rx) = mpsc::unbounded_channel();
                decisions = Some(tx);
                run = Some(tokio::spawn(supervise(shared.clone(), task, rx, resume)));
            }
            Command::ApprovePlan => send_decision(&shared, &decisions, PlanDecision::Approve),
            Command::RevisePlan { feedback } => {
                send_decision(&shared, &decisions, PlanDecision::Revise(feedback))
            }
            Command::Pause { target } => set_paused(&shared, target, true),
            Command::Resume { target } => set_paused(&shared, target, false),
            Command::Cancel { target } => cancel(&shared, target),
            Command::SetBudget {
                target,
                tokens,
                usd,
            } => shared.set_budget(target, Limits { tokens, usd }),
            Command::Inspect { workspace, agent } => {
                super::inspect::inspect(&shared, &workspace, &agent)
            }
            Command::InjectMessage {
                workspace,
                to,
                text,
            } => {
                let sent = lock(&shared.inboxes)
                    .get(&workspace)
                    .is_some_and(|tx| tx.send(Injected { to, text }).is_ok());
                if sent {
                    shared.wake_all();
                } else {
                    shared.warn(
                        Some(&workspace),
                        format!(
                            "workspace '{workspace}' is not running; the message was not delivered"
                        ),
                    );
                }
            }
            Command::Shutdown => {
                shared.run_token().cancel();
                if let Some(r) = run.take() {
                    let _ = tokio::time::timeout(Duration::from_secs(5), r).await;
                }
                break;
            }
        }
    }
}

/// Runs a task and makes sure it ends with `RunDone`, even if a bug panics inside the run: front
/// ends wait for that event.
async fn supervise(
    shared: Arc<Shared>,
    task: String,
    decisions: mpsc::UnboundedReceiver<PlanDecision>,
    resume: Option<Arc<super::resume::History>>,
) {
    let run = tokio::spawn(super::planner::run_task(
        shared.clone(),
        task.clone(),
        decisions,
        resume,
    ));
    if let Err(e) = run.await
        && e.is_panic()
    {
        let reason = match e.into_panic().downcast::<String>() {
            Ok(msg) => format!("internal error: {msg}"),
            Err(p) => format!(
                "internal error: {}",
                p.downcast_ref::<&str>().copied().unwrap_or("panic")
            ),
        };
        tracing::error!("{reason}");
        let status = Status::Failed(reason);
        shared.emit(Event::StatusChanged {
            target: Target::Run,
            status: status.clone(),
        });
        let report = super::aggregate::report(&shared, &task, None, &[]);
        shared.emit(Event::RunDone {
            status,
            report,
            totals: shared.run_totals(),
            elapsed_ms: shared.elapsed_ms(),
        });
    }
}

fn send_decision(
    shared: &Shared,
    decisions: &Option<mpsc::UnboundedSender<PlanDecision>>,
    d: PlanDecision,
) {
    if decisions.as_ref().is_none_or(|tx| tx.send(d).is_err()) {
        shared.warn(None, "no plan is waiting for review");
    }
}

fn set_paused(shared: &Shared, target: Target, paused: bool) {
    let status = {
        let mut g = lock(&shared.gates);
        if let Some(why) = g.refuse(&target) {
            drop(g);
            let verb = if paused { "pause" } else { "resume" };
            shared.warn(None, format!("cannot {verb}: {why}"));
            return;
        }
        match &target {
            Target::Run => g.run = paused,
            Target::Workspace { workspace } => {
                if paused {
                    g.workspaces.insert(workspace.clone());
                } else {
                    g.workspaces.remove(workspace);
                }
            }
            Target::Agent { workspace, agent } => {
                let key = (workspace.clone(), agent.clone());
                if paused {
                    g.agents.insert(key);
                } else {
                    g.agents.remove(&key);
                }
            }
        }
        // What now holds, not what was asked: a workspace resumed inside a paused run stays paused.
        let still = match &target {
            Target::Run => g.run || g.held_run,
            Target::Workspace { workspace } => g.blocks(workspace),
            Target::Agent { workspace, agent } => {
                g.blocks(workspace) || g.agent_paused(workspace, agent)
            }
        };
        if still {
            Status::Paused
        } else {
            Status::Running
        }
    };
    if !paused && let Some(why) = shared.budget_hold(&target) {
        shared.warn(None, format!("still paused: {why}"));
    }
    shared.emit(Event::StatusChanged { target, status });
    shared.wake_all();
}

fn cancel(shared: &Shared, target: Target) {
    match target {
        Target::Run => shared.run_token().cancel(),
        Target::Workspace { workspace } => match lock(&shared.workspace_cancel).get(&workspace) {
            Some(t) => t.cancel(),
            None => shared.warn(
                Some(&workspace),
                format!("no workspace '{workspace}' to cancel"),
            ),
        },
        Target::Agent { workspace, .. } => {
            shared.warn(
                Some(&workspace),
                "an agent cannot be cancelled on its own; pause it, or cancel its workspace",
            );
            return;
        }
    }
    shared.wake_all();
}
