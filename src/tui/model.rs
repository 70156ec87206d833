//! What the dashboard knows about a run, built only from engine events: the plan, every
//! workspace with its agents, logs and counters, and the run totals. Every model-supplied string
//! is sanitized here, once, before anything can draw it.

use std::collections::HashMap;

use crate::engine::plan::Plan;
use crate::engine::{Event, Ledger, Message, Status, Target, Totals, USER};
use crate::text::sanitize;

use super::log::{ChatLog, Notice, Scroll};

/// Where the run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// No task yet: the person types one.
    #[default]
    Idle,
    /// The planner is writing the plan.
    Planning,
    /// A plan waits for approval or feedback.
    Review,
    Running,
    Done,
}

/// An agent of a workspace, as the tree and the inspector show it.
#[derive(Debug, Clone, Default)]
pub struct AgentView {
    pub name: String,
    pub turns: u32,
    pub totals: Totals,
    pub paused: bool,
    /// Its reply is streaming now.
    pub speaking: bool,
    /// The latest messages addressed to it (bounded), as previews.
    pub inbox: Vec<InboxItem>,
    /// The last message seq its latest turn could see.
    pub answered: u64,
}

/// A message in an agent's inbox, as a one-line preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxItem {
    pub seq: u64,
    pub from: String,
    pub preview: String,
}

/// How many inbox previews an agent keeps.
const INBOX: usize = 50;
/// Characters of a preview.
const PREVIEW: usize = 120;

/// One workspace: a node of the plan.
#[derive(Debug, Default)]
pub struct WorkspaceView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub parent: Option<String>,
    pub children: Vec<String>,
    pub depth: usize,
    pub leaf: bool,
    pub agents: Vec<AgentView>,
    pub status: Status,
    pub turns: u32,
    pub totals: Totals,
    pub retries: u64,
    pub result: Option<String>,
    /// The seq of the latest message posted here.
    pub last_seq: u64,
    pub log: ChatLog,
    pub scroll: Scroll,
}

impl WorkspaceView {
    pub fn agent(&self, name: &str) -> Option<&AgentView> {
        self.agents.iter().find(|a| a.name == name)
    }

    /// Ends every reply still streaming (its live text leaves the log); returns the first
    /// agent that was speaking.
    fn end_streaming(&mut self) -> Option<String> {
        let mut speaker = None;
        for a in self.agents.iter_mut().filter(|a| a.speaking) {
            self.log.end_live(&a.name);
            a.speaking = false;
            speaker.get_or_insert_with(|| a.name.clone());
        }
        speaker
    }

    fn agent_mut(&mut self, name: &str) -> &mut AgentView {
        if let Some(i) = self.agents.iter().position(|a| a.name == name) {
            return &mut self.agents[i];
        }
        // The coordinator of an inner workspace without agents is not in the plan.
        self.agents.push(AgentView {
            name: name.to_string(),
            ..AgentView::default()
        });
        self.agents.last_mut().expect("just pushed")
    }
}

/// The run as the dashboard sees it.
#[derive(Debug, Default)]
pub struct RunModel {
    pub task: String,
    pub team: String,
    pub provider: String,
    pub model: String,
    pub simulated: bool,
    pub max_turns: u32,
    pub phase: Phase,
    pub plan_attempt: u32,
    /// Characters of plan JSON streamed so far in this planning round.
    pub plan_chars: usize,
    pub plan: Option<Plan>,
    /// The planner's log: plan outline, feedback, notes and run-wide warnings.
    pub plan_log: ChatLog,
    pub plan_scroll: Scroll,
    /// Workspace ids in tree order (pre-order of the plan).
    pub order: Vec<String>,
    pub workspaces: HashMap<String, WorkspaceView>,
    pub status: Status,
    pub paused: bool,
    pub totals: Totals,
    pub retries: u64,
    pub warnings: u64,
    pub report: Option<String>,
    pub report_log: ChatLog,
    pub report_scroll: Scroll,
    pub elapsed_ms: Option<u64>,
    /// The last agent inspection the engine answered.
    pub inspection: Option<Event>,
    pub budgets: super::budget::Budgets,
    /// Usage by workspace and agent, folded as the engine and report.md fold it.
    pub ledger: Ledger,
}

impl RunModel {
    pub fn workspace(&self, id: &str) -> Option<&WorkspaceView> {
        self.workspaces.get(id)
    }

    /// Workspaces that finished, and all of them.
    pub fn progress(&self) -> (usize, usize) {
        let done = self
            .workspaces
            .values()
            .filter(|w| w.status.is_finished())
            .count();
        (done, self.workspaces.len())
    }

    /// Applies one engine event.
    pub fn apply(&mut self, event: &Event) {
        if Ledger::concerns(event) {
            self.ledger.record(event);
        }
        match event {
            Event::RunStarted {
                task,
                team,
                provider,
                model,
                simulated,
                max_turns,
                ..
            } => {
                self.task = sanitize(task);
                self.team = sanitize(team);
                self.provider = sanitize(provider);
                self.model = sanitize(model);
                self.simulated = *simulated;
                self.max_turns = *max_turns;
                self.status = Status::Running;
                self.phase = Phase::Planning;
            }
            Event::PlanStarted { attempt, feedback } => {
                self.phase = Phase::Planning;
                self.plan_attempt = *attempt;
                self.plan_chars = 0;
                if let Some(f) = feedback {
                    self.plan_log.push_notice(
                        Notice::Info,
                        &format!("re-planning with your feedback: {}", sanitize(f)),
                    );
                }
            }
            Event::PlanDelta { text } => self.plan_chars += text.chars().count(),
            Event::PlanReady {
                plan,
                repaired,
                notes,
            } => {
                let plan = sanitize_plan(plan);
                // Show the new plan from its first line, and its workspaces in the tree.
                self.plan_scroll = Scroll {
                    follow: false,
                    top: self.plan_log.line_count(),
                };
                self.plan_log.push_text(&outline(&plan));
                self.order.clear();
                self.workspaces.clear();
                self.add_workspaces(&plan, None, 0);
                if *repaired {
                    self.plan_log.push_notice(
                        Notice::Warning,
                        &format!("huddle repaired the plan: {}", sanitize(&notes.join("; "))),
                    );
                }
                self.plan = Some(plan);
                self.phase = Phase::Review;
            }
            Event::PlanApproved => {
                self.phase = Phase::Running;
                self.plan_log
                    .push_notice(Notice::Info, "plan approved; the workspaces are starting");
            }
            Event::WorkspaceStarted {
                workspace,
                title,
                parent,
                members,
                leaf,
            } => {
                let w = self.workspaces.entry(workspace.clone()).or_default();
                if w.id.is_empty() {
                    // Not in the approved plan (should not happen); show it anyway.
                    w.id = workspace.clone();
                    w.parent = parent.clone();
                    self.order.push(workspace.clone());
                }
                w.title = sanitize(title);
                w.leaf = *leaf;
                for m in members {
                    w.agent_mut(m);
                }
                if w.status == Status::Pending {
                    w.status = Status::Running;
                }
            }
            Event::TurnStarted {
                workspace,
                agent,
                turn,
            } => {
                if let Some(w) = self.workspaces.get_mut(workspace) {
                    w.turns = *turn;
                    let seen = w.last_seq;
                    let a = w.agent_mut(agent);
                    a.turns += 1;
                    a.answered = seen;
                }
            }
            Event::TokenDelta {
                workspace,
                agent,
                text,
            } => {
                if let Some(w) = self.workspaces.get_mut(workspace) {
                    w.log.stream(agent, &sanitize(text));
                    w.agent_mut(agent).speaking = true;
                }
            }
            Event::MessagePosted { message } => self.post(message),
            Event::UsageUpdated {
                workspace,
                agent,
                call,
                cost_usd,
                workspace_totals,
                run_totals,
                ..
            } => {
                self.totals = *run_totals;
                if let Some(w) = workspace
                    .as_ref()
                    .and_then(|id| self.workspaces.get_mut(id))
                {
                    if let Some(t) = workspace_totals {
                        w.totals = *t;
                    }
                    if let Some(a) = agent {
                        w.agent_mut(a).totals.add_call(call, *cost_usd);
                    }
                }
            }
            Event::StatusChanged { target, status } => self.status_changed(target, status),
            Event::RetryScheduled {
                workspace,
                agent,
                attempt,
                delay_ms,
                error,
            } => {
                self.retries += 1;
                let text = format!(
                    "retry {attempt} in {:.1}s{}: {}",
                    *delay_ms as f64 / 1000.0,
                    agent
                        .as_ref()
                        .map(|a| format!(" for {a}"))
                        .unwrap_or_default(),
                    sanitize(error)
                );
                match workspace
                    .as_ref()
                    .and_then(|id| self.workspaces.get_mut(id))
                {
                    Some(w) => {
                        w.retries += 1;
                        if let Some(a) = agent {
                            // The reply starts over.
                            w.log.discard_live(a);
                            w.agent_mut(a).totals.retries += 1;
                        }
                        w.log.push_notice(Notice::Retry, &text);
                    }
                    None => self.plan_log.push_notice(Notice::Retry, &text),
                }
            }
            Event::Warning { workspace, message } => {
                self.warnings += 1;
                let text = sanitize(message);
                match workspace
                    .as_ref()
                    .and_then(|id| self.workspaces.get_mut(id))
                {
                    Some(w) => w.log.push_notice(Notice::Warning, &text),
                    None => self.plan_log.push_notice(Notice::Warning, &text),
                }
            }
            Event::ContextSummarized {
                workspace,
                through_seq,
                tokens_before,
                tokens_after,
                ..
            } => {
                if let Some(w) = self.workspaces.get_mut(workspace) {
                    let note = format!(
                        "messages #1–#{through_seq} summarized for the agents ({tokens_before} → {tokens_after} tokens); the log here stays whole"
                    );
                    w.log.push_notice(Notice::Info, &note);
                }
            }
            Event::WorkspaceDone {
                workspace,
                status,
                result,
                turns,
                totals,
                ..
            } => {
                if let Some(w) = self.workspaces.get_mut(workspace) {
                    w.status = status.clone();
                    w.turns = *turns.max(&w.turns);
                    w.totals = *totals;
                    let speaker = w.end_streaming();
                    w.result = result.as_deref().map(sanitize);
                    // A leaf's result is already in its log as the message to USER.
                    if let (false, Some(r)) = (w.leaf, &w.result) {
                        let from = speaker
                            .or_else(|| w.agents.first().map(|a| a.name.clone()))
                            .unwrap_or_else(|| "coordinator".into());
                        w.log.push_message(&from, &[USER.to_string()], r);
                    }
                    if let Status::Failed(reason) = status {
                        w.log.push_notice(Notice::Error, &sanitize(reason));
                    }
                }
            }
            Event::RunDone {
                status,
                report,
                totals,
                elapsed_ms,
            } => {
                self.phase = Phase::Done;
                self.status = status.clone();
                self.paused = false;
                self.totals = *totals;
                self.elapsed_ms = Some(*elapsed_ms);
                let report = sanitize(report);
                self.report_log.clear();
                self.report_log.push_text(&report);
                self.report_scroll = Scroll {
                    follow: false,
                    top: 0,
                };
                self.report = Some(report);
                if let Status::Failed(reason) = status {
                    self.plan_log.push_notice(Notice::Error, &sanitize(reason));
                }
            }
            Event::AgentInspected { .. } => self.inspection = Some(event.clone()),
            Event::BudgetChanged { .. } => self.budgets.apply(event),
            Event::BudgetReached { .. } => {
                if let Some(hint) = super::budget::hint(event) {
                    self.plan_log.push_notice(Notice::Warning, &hint);
                }
            }
            Event::RunResumed {
                finished,
                workspaces,
                messages,
            } => {
                self.phase = Phase::Running;
                self.status = Status::Running;
                // Replies cut off by the interruption are taken again from the start.
                for w in self.workspaces.values_mut() {
                    w.end_streaming();
                }
                self.plan_log.push_notice(
                    Notice::Info,
                    &format!(
                        "resumed: {finished} of {workspaces} workspaces had finished, {messages} messages were kept; the rest goes on"
                    ),
                );
            }
        }
    }

    fn post(&mut self, message: &Message) {
        let Some(w) = self.workspaces.get_mut(&message.workspace) else {
            return;
        };
        w.log.end_live(&message.from);
        if let Some(a) = w.agents.iter_mut().find(|a| a.name == message.from) {
            a.speaking = false;
        }
        let to: Vec<String> = message.to.iter().map(|t| sanitize(t)).collect();
        let content = sanitize(&message.content);
        let from = sanitize(&message.from);
        w.last_seq = w.last_seq.max(message.seq);
        let preview = one_line(&content, PREVIEW);
        for a in w.agents.iter_mut().filter(|a| message.is_for(&a.name)) {
            if a.inbox.len() == INBOX {
                a.inbox.remove(0);
            }
            a.inbox.push(InboxItem {
                seq: message.seq,
                from: from.clone(),
                preview: preview.clone(),
            });
        }
        w.log.push_message(&from, &to, &content);
    }

    fn status_changed(&mut self, target: &Target, status: &Status) {
        match target {
            Target::Run => {
                self.paused = *status == Status::Paused;
                if !matches!(status, Status::Paused | Status::Running) {
                    self.status = status.clone();
                }
            }
            Target::Workspace { workspace } => {
                if let Some(w) = self.workspaces.get_mut(workspace) {
                    w.status = status.clone();
                }
            }
            Target::Agent { workspace, agent } => {
                if let Some(w) = self.workspaces.get_mut(workspace) {
                    w.agent_mut(agent).paused = *status == Status::Paused;
                }
            }
        }
    }

    fn add_workspaces(&mut self, node: &Plan, parent: Option<&str>, depth: usize) {
        self.order.push(node.id.clone());
        self.workspaces.insert(
            node.id.clone(),
            WorkspaceView {
                id: node.id.clone(),
                title: node.title.clone(),
                description: node.description.clone(),
                parent: parent.map(str::to_string),
                children: node.children.iter().map(|c| c.id.clone()).collect(),
                depth,
                leaf: node.is_leaf(),
                agents: node
                    .agents
                    .iter()
                    .map(|a| AgentView {
                        name: a.clone(),
                        ..AgentView::default()
                    })
                    .collect(),
                ..WorkspaceView::default()
            },
        );
        for c in &node.children {
            self.add_workspaces(c, Some(&node.id), depth + 1);
        }
    }
}

/// The first `max` characters of a text on one line.
fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &flat[..i]),
        None => flat,
    }
}

/// The plan with every model-written string made safe to draw.
fn sanitize_plan(plan: &Plan) -> Plan {
    Plan {
        id: sanitize(&plan.id),
        title: sanitize(&plan.title),
        description: sanitize(&plan.description),
        agents: plan.agents.iter().map(|a| sanitize(a)).collect(),
        children: plan.children.iter().map(sanitize_plan).collect(),
    }
}

/// The plan as a markdown outline for the Plan tab.
pub fn outline(plan: &Plan) -> String {
    fn node(p: &Plan, depth: usize, out: &mut String) {
        let indent = "  ".repeat(depth);
        let agents = if p.agents.is_empty() {
            String::new()
        } else {
            format!(" — `{}`", p.agents.join("`, `"))
        };
        out.push_str(&format!("{indent}- **{}**{agents}\n", p.title));
        if !p.description.trim().is_empty() {
            out.push_str(&format!("{indent}  {}\n", p.description.trim()));
        }
        for c in &p.children {
            node(c, depth + 1, out);
        }
    }
    let mut out = format!("# Plan: {}\n\n", plan.title);
    if !plan.description.trim().is_empty() {
        out.push_str(&format!("{}\n\n", plan.description.trim()));
    }
    for c in &plan.children {
        node(c, 0, &mut out);
    }
    if plan.children.is_empty() {
        node(plan, 0, &mut out);
    }
    out
}
