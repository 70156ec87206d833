//! Runs the approved plan as a tree: leaves in parallel, each parent turning its children's full
//! results into one deliverable, up to the root; then writes the run's report.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures_util::future::join_all;

use super::event::{Event, Status, Target};
use super::plan::Plan;
use super::protocol::{self, ChildResult};
use super::resume::History;
use super::runtime::{CallScope, Shared, Stream, lock};
use super::workspace;

/// How one workspace ended.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub status: Status,
    pub result: Option<String>,
    pub turns: u32,
}

/// One finished workspace, for the report.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub node: Plan,
    pub outcome: Outcome,
}

type Records = Arc<Mutex<Vec<Record>>>;

/// Runs the whole plan and emits `RunDone` with the report. A resumed run skips the
/// workspaces its history says finished and continues the others where they were.
pub(crate) async fn run_plan(
    shared: Arc<Shared>,
    task: String,
    plan: Plan,
    resume: Option<Arc<History>>,
) {
    shared.register_plan(&plan);
    let records: Records = Arc::default();
    let root = run_node(
        shared.clone(),
        task.clone(),
        plan.clone(),
        None,
        records.clone(),
        resume,
    )
    .await;
    let status = if shared.run_token().is_cancelled() {
        Status::Cancelled
    } else {
        root.status.clone()
    };
    let records = std::mem::take(&mut *lock(&records));
    let report = report(&shared, &task, Some((&plan, &root)), &records);
    shared.emit(Event::StatusChanged {
        target: Target::Run,
        status: status.clone(),
    });
    shared.emit(Event::RunDone {
        status,
        report,
        totals: shared.run_totals(),
        elapsed_ms: shared.elapsed_ms(),
    });
}

fn run_node(
    shared: Arc<Shared>,
    task: String,
    node: Plan,
    parent: Option<String>,
    records: Records,
    resume: Option<Arc<History>>,
) -> Pin<Box<dyn Future<Output = Outcome> + Send>> {
    Box::pin(async move {
        if let Some(history) = &resume
            && let Some((outcome, _)) = history.outcome(&node.id)
        {
            // Finished before the interruption, and so is everything under it: nothing to
            // redo, nothing to announce; the report still lists it all.
            recorded(&shared, history, &node, &records);
            return outcome;
        }
        let began = std::time::Instant::now();
        let outcome = if node.is_leaf() {
            let steps = resume.as_ref().and_then(|h| h.steps.get(&node.id));
            workspace::run_leaf(
                &shared,
                &task,
                &node,
                parent.as_deref(),
                steps.map(Vec::as_slice),
            )
            .await
        } else {
            run_inner(&shared, &task, &node, parent.as_deref(), &records, resume).await
        };
        shared.mark_finished(&node.id);
        let totals = shared.workspace_totals(&node.id);
        shared.emit(Event::WorkspaceDone {
            workspace: node.id.clone(),
            status: outcome.status.clone(),
            result: outcome.result.clone(),
            turns: outcome.turns,
            totals,
            elapsed_ms: began.elapsed().as_millis() as u64,
        });
        lock(&records).push(Record {
            node,
            outcome: outcome.clone(),
        });
        outcome
    })
}

/// Records a finished subtree from the history, children first as a run would.
fn recorded(shared: &Shared, history: &History, node: &Plan, records: &Records) {
    for c in &node.children {
        recorded(shared, history, c, records);
    }
    if let Some((outcome, _)) = history.outcome(&node.id) {
        shared.mark_finished(&node.id);
        lock(records).push(Record {
            node: node.clone(),
            outcome,
        });
    }
}

async fn run_inner(
    shared: &Arc<Shared>,
    task: &str,
    node: &Plan,
    parent: Option<&str>,
    records: &Records,
    resume: Option<Arc<History>>,
) -> Outcome {
    let target = shared.start_workspace(node, parent);
    let children = join_all(node.children.iter().map(|c| {
        run_node(
            shared.clone(),
            task.to_string(),
            c.clone(),
            Some(node.id.clone()),
            records.clone(),
            resume.clone(),
        )
    }))
    .await;
    let cancel = shared.workspace_token(&node.id);
    let finished = |status: Status, result: Option<String>| {
        shared.emit(Event::StatusChanged {
            target: target.clone(),
            status: status.clone(),
        });
        Outcome {
            status,
            result,
            turns: 0,
        }
    };
    if cancel.is_cancelled() {
        return finished(Status::Cancelled, None);
    }
    if !children.iter().any(|c| c.status == Status::Done) {
        // One cause for all (a bad API key, say) is worth saying in the run's own status.
        let mut reasons: Vec<&str> = children
            .iter()
            .filter_map(|c| match &c.status {
                Status::Failed(r) => Some(r.as_str()),
                _ => None,
            })
            .collect();
        reasons.sort_unstable();
        reasons.dedup();
        let reason = match reasons.as_slice() {
            [one] if children.len() > 1 => format!("every sub-workspace failed: {one}"),
            [one] => (*one).to_string(),
            _ => "every sub-workspace failed or was cancelled".into(),
        };
        return finished(Status::Failed(reason), None);
    }
    if !shared.wait_unpaused(Some(&node.id), &cancel).await {
        return finished(Status::Cancelled, None);
    }
    let inputs: Vec<ChildResult<'_>> = node
        .children
        .iter()
        .zip(&children)
        .map(|(c, o)| ChildResult {
            node: c,
            outcome: match (&o.status, &o.result) {
                (Status::Done, Some(r)) => Ok(r.as_str()),
                (Status::Failed(reason), _) => Err(reason.as_str()),
                _ => Err("cancelled"),
            },
        })
        .collect();
    let lead_name = node.agents.first().cloned();
    let lead = lead_name
        .as_deref()
        .and_then(|n| shared.config.team.agent(n));
    let model = shared.model_for(lead_name.as_deref());
    let req = protocol::aggregate_request(
        &model,
        task,
        node,
        lead,
        &inputs,
        shared.config.result_max_tokens,
    );
    let scope = CallScope {
        workspace: Some(node.id.clone()),
        agent: Some(lead_name.unwrap_or_else(|| "coordinator".into())),
    };
    match shared.call(&scope, &req, Stream::Text, &cancel).await {
        Ok(resp) if !resp.text.trim().is_empty() => finished(Status::Done, Some(resp.text)),
        Ok(_) => {
            shared.warn(Some(&node.id), "the aggregation came back empty; the report keeps the sub-workspace results as they are");
            finished(
                Status::Failed("the aggregation reply was empty".into()),
                None,
            )
        }
        Err(crate::llm::LlmError::Cancelled) => finished(Status::Cancelled, None),
        Err(e) => {
            shared.warn(Some(&node.id), format!("aggregation failed: {e}; the report keeps the sub-workspace results as they are"));
            finished(Status::Failed(format!("aggregation failed: {e}")), None)
        }
    }
}

/// The run's report (report.md): the deliverable, every workspace's result, and a usage table.
pub(crate) fn report(
    shared: &Shared,
    task: &str,
    root: Option<(&Plan, &Outcome)>,
    records: &[Record],
) -> String {
    let mut s = String::new();
    let title = root.map(|(p, _)| p.title.as_str()).unwrap_or("huddle run");
    s.push_str(&format!("# {title}\n\n> Task: {}\n\n", task.trim()));
    let simulated = if shared.client.is_simulated() {
        " (offline simulation)"
    } else {
        ""
    };
    s.push_str(&format!(
        "_provider: {}{simulated} · model: {} · team: {}_\n\n",
        shared.client.provider(),
        shared.config.model,
        shared.config.team.name
    ));
    s.push_str("## Deliverable\n\n");
    match root {
        Some((_, Outcome { result: Some(r), .. })) => {
            s.push_str(&format!("{}\n\n", demote_headings(r.trim(), 2)))
        }
        Some((_, o)) => s.push_str(&format!("_No combined deliverable: the run ended {}._ The results of the workspaces that finished follow.\n\n", describe(&o.status))),
        None => s.push_str("_The run ended before any workspace ran._\n\n"),
    }
    if let Some((plan, _)) = root {
        let order: Vec<&Plan> = plan.nodes();
        let in_order = |id: &str| order.iter().position(|n| n.id == id).unwrap_or(usize::MAX);
        let mut recs: Vec<&Record> = records.iter().filter(|r| r.node.id != plan.id).collect();
        recs.sort_by_key(|r| in_order(&r.node.id));
        if !recs.is_empty() {
            s.push_str("## Workspaces\n\n");
            for r in &recs {
                s.push_str(&format!(
                    "### {} — {} ({})\n\n",
                    r.node.id,
                    r.node.title,
                    describe(&r.outcome.status)
                ));
                if !r.node.agents.is_empty() {
                    s.push_str(&format!("_Agents: {}_\n\n", r.node.agents.join(", ")));
                }
                match &r.outcome.result {
                    Some(text) => s.push_str(&format!("{}\n\n", demote_headings(text.trim(), 3))),
                    None => s.push_str("_No result._\n\n"),
                }
            }
        }
    }
    // The ledger's run line gets its wall time from RunDone, which comes after the report.
    let mut ledger = lock(&shared.book).ledger.clone();
    ledger.run.wall_ms = shared.elapsed_ms();
    s.push_str("## Usage\n\n");
    s.push_str(&ledger.table(root.map(|(p, _)| p)));
    s.push_str(&format!(
        "\n_The run total includes the planner and {} retries. Wall (s) is a workspace's start to end, and for an agent the time its calls took, waiting for a free slot included._\n",
        ledger.run.totals.retries
    ));
    s
}

/// Pushes markdown headings down by `levels` (outside code fences), so that a result embedded
/// under a report section keeps its own structure without breaking the report's.
fn demote_headings(text: &str, levels: usize) -> String {
    let mut in_fence = false;
    let prefix = "#".repeat(levels);
    text.lines()
        .map(|line| {
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
            }
            let hashes = line.chars().take_while(|c| *c == '#').count();
            if !in_fence && (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
                format!("{}{line}", &prefix[..levels.min(6 - hashes.min(6))])
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A status in a few words.
pub fn describe(status: &Status) -> String {
    match status {
        Status::Pending => "pending".into(),
        Status::Running => "running".into(),
        Status::Paused => "paused".into(),
        Status::Done => "done".into(),
        Status::Failed(r) => format!("failed: {r}"),
        Status::Cancelled => "cancelled".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::demote_headings;

    #[test]
    fn embedded_results_sit_below_the_report_headings() {
        let text = "# Venue\nintro\n## Costs\n```\n# not a heading\n```\n#hashtag\n###### deep";
        assert_eq!(
            demote_headings(text, 2),
            "### Venue\nintro\n#### Costs\n```\n# not a heading\n```\n#hashtag\n###### deep"
        );
    }
}
