//! The planning phase: ask the planner for a plan, check it, re-ask once with the problems, repair
//! deterministically if still invalid, then wait for the person's approval or feedback.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::control::PlanDecision;
use super::event::{Event, Status, Target};
use super::plan::{self, Plan};
use super::protocol;
use super::resume::History;
use super::runtime::{CallScope, Shared, Stream};
use crate::llm::LlmError;

/// Plans the task and runs it to the end; emits everything as events.
pub(crate) async fn run_task(
    shared: Arc<Shared>,
    task: String,
    mut decisions: mpsc::UnboundedReceiver<PlanDecision>,
    resume: Option<Arc<History>>,
) {
    let cfg = &shared.config;
    shared.emit(Event::RunStarted {
        task: task.clone(),
        team: cfg.team.name.clone(),
        provider: shared.client.provider().to_string(),
        model: cfg.model.clone(),
        simulated: shared.client.is_simulated(),
        max_turns: cfg.max_turns,
        max_depth: cfg.max_depth,
        concurrency: cfg.concurrency,
    });
    shared.emit(Event::StatusChanged {
        target: Target::Run,
        status: Status::Running,
    });
    shared.announce_budgets(None);
    let cancel = shared.run_token();

    // An interrupted run with an approved plan goes on from its history; one interrupted before
    // approval plans again.
    // What was spent counts either way, the planner's calls included.
    if let Some(history) = &resume {
        history.restore_usage(&shared);
    }
    if let Some(history) = resume.filter(|h| h.plan.is_some()) {
        let plan = history.plan.clone().expect("filtered above");
        shared.emit(Event::RunResumed {
            finished: history.finished.len(),
            workspaces: plan.nodes().len(),
            messages: history.messages(),
        });
        super::aggregate::run_plan(shared.clone(), task, plan, Some(history)).await;
        return;
    }

    let mut attempt = 1;
    let mut current = match make_plan(&shared, &task, None, None, attempt).await {
        Ok(p) => show(&shared, p),
        Err(e) => return finish_failed(&shared, &task, e),
    };
    if !cfg.auto_approve {
        loop {
            let decision = tokio::select! {
                d = decisions.recv() => d,
                _ = cancel.cancelled() => None,
            };
            match decision {
                Some(PlanDecision::Approve) => break,
                Some(PlanDecision::Revise(feedback)) => {
                    attempt += 1;
                    let revised =
                        match make_plan(&shared, &task, Some(&current), Some(&feedback), attempt)
                            .await
                        {
                            Ok(p) => p,
                            Err(e) => return finish_failed(&shared, &task, e),
                        };
                    // A decision sent while re-planning was about a plan no longer shown. Drop
                    // those before the new plan is shown, so that no decision taken on the new
                    // plan is mistaken for a stale one.
                    while decisions.try_recv().is_ok() {
                        shared.warn(None, "a plan decision arrived while re-planning and was ignored; review the new plan");
                    }
                    current = show(&shared, revised);
                }
                None => {
                    return finish_failed(
                        &shared,
                        &task,
                        "the plan review ended without a decision".into(),
                    );
                }
            }
        }
    }
    // From here on, approve and revise are answered with "no plan is waiting for review".
    drop(decisions);
    shared.emit(Event::PlanApproved);
    super::aggregate::run_plan(shared.clone(), task, current, None).await;
}

fn finish_failed(shared: &Shared, task: &str, reason: String) {
    let status = if shared.run_token().is_cancelled() {
        Status::Cancelled
    } else {
        Status::Failed(reason)
    };
    shared.emit(Event::StatusChanged {
        target: Target::Run,
        status: status.clone(),
    });
    let report = super::aggregate::report(shared, task, None, &[]);
    shared.emit(Event::RunDone {
        status,
        report,
        totals: shared.run_totals(),
        elapsed_ms: shared.elapsed_ms(),
    });
}

/// A plan ready for review, with whether huddle repaired it and how.
struct Planned {
    plan: Plan,
    repaired: bool,
    notes: Vec<String>,
}

/// Announces a plan for review (or, with auto-approve, for the record).
fn show(shared: &Shared, planned: Planned) -> Plan {
    shared.emit(Event::PlanReady {
        plan: planned.plan.clone(),
        repaired: planned.repaired,
        notes: planned.notes,
    });
    planned.plan
}

/// One planning round: a valid plan, or why none could be had. The caller shows it.
async fn make_plan(
    shared: &Shared,
    task: &str,
    previous: Option<&Plan>,
    feedback: Option<&str>,
    attempt: u32,
) -> Result<Planned, String> {
    let cfg = &shared.config;
    let cancel = shared.run_token();
    let scope = CallScope::default();
    shared.emit(Event::PlanStarted {
        attempt,
        feedback: feedback.map(str::to_string),
    });

    let req = protocol::plan_request(
        &cfg.model,
        task,
        &cfg.team,
        cfg.max_depth,
        previous,
        feedback,
        &[],
    );
    let first = shared
        .call(&scope, &req, Stream::Plan, &cancel)
        .await
        .map_err(|e| planner_error(&e))?;
    let mut candidate = protocol::parse_plan(&first.text);
    let problems = match &candidate {
        Ok(p) => plan::validate(p, &cfg.team, cfg.max_depth),
        Err(e) => vec![e.clone()],
    };
    if problems.is_empty() {
        return Ok(Planned {
            plan: candidate.expect("checked above"),
            repaired: false,
            notes: vec![],
        });
    }

    // Once more, with the exact problems.
    shared.warn(
        None,
        format!(
            "the plan had problems, asking the planner again: {}",
            problems.join("; ")
        ),
    );
    let shown = candidate
        .as_ref()
        .ok()
        .cloned()
        .unwrap_or_else(|| fallback_root(task));
    let retry = protocol::plan_request(
        &cfg.model,
        task,
        &cfg.team,
        cfg.max_depth,
        Some(&shown),
        feedback,
        &problems,
    );
    let second = shared
        .call(&scope, &retry, Stream::Plan, &cancel)
        .await
        .map_err(|e| planner_error(&e))?;
    if let Ok(p) = protocol::parse_plan(&second.text) {
        candidate = Ok(p);
    }
    let base = candidate.unwrap_or_else(|_| fallback_root(task));
    let still = plan::validate(&base, &cfg.team, cfg.max_depth);
    if still.is_empty() {
        return Ok(Planned {
            plan: base,
            repaired: false,
            notes: vec![],
        });
    }
    let (fixed, notes) = plan::repair(&base, &cfg.team, cfg.max_depth);
    shared.warn(
        None,
        format!(
            "the plan was still invalid; huddle repaired it: {}",
            notes.join("; ")
        ),
    );
    let left = plan::validate(&fixed, &cfg.team, cfg.max_depth);
    if !left.is_empty() {
        // Only a roster too small for the plan's shape gets here; the run goes on with it.
        shared.warn(
            None,
            format!("the repaired plan still has problems: {}", left.join("; ")),
        );
    }
    Ok(Planned {
        plan: fixed,
        repaired: true,
        notes,
    })
}

/// A one-node plan to repair when the planner gave nothing usable.
fn fallback_root(task: &str) -> Plan {
    let title: String = task.trim().chars().take(80).collect();
    Plan {
        id: "root".into(),
        title,
        description: task.trim().to_string(),
        agents: vec![],
        children: vec![],
    }
}

fn planner_error(e: &LlmError) -> String {
    format!("the planner call failed: {e}")
}
