//! The engine task: receives commands, runs one task at a time, and holds what every workspace
//! shares (event channel, model client, concurrency cap, pause gates, usage totals).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::budget::{Admission, BudgetState, Budgets};
use super::event::{Command, Event, Status, Target, Totals};
use super::inspect::AgentBook;
use super::limiter::{Change, Limiter, Permit};
use super::plan::Plan;
use super::protocol::ContentStream;
use crate::llm::retry::{Gate, RetryNotice, RetryPolicy, call_with_retry_gated, is_overload};
use crate::llm::{Client, LlmError, LlmRequest, LlmResponse, Output};
use crate::pricing::Pricing;
use crate::team::Team;

/// Default of [`EngineConfig::context_tokens`]: well above a short run's log, well below any
/// model's context window.
pub const DEFAULT_CONTEXT_TOKENS: u64 = 12_000;

/// How a run is set up.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub team: Team,
    /// The run's model; an agent's own `model` overrides it for that agent's turns.
    pub model: String,
    pub max_turns: u32,
    pub max_depth: usize,
    /// Cap on LLM calls in flight across the whole run; rate limits lower it for a while.
    pub concurrency: usize,
    /// Run the first plan without waiting for [`Command::ApprovePlan`] (headless runs).
    pub auto_approve: bool,
    /// Output limit of one agent turn.
    pub turn_max_tokens: u32,
    /// Output limit of an aggregation or final result.
    pub result_max_tokens: u32,
    pub retry: RetryPolicy,
    pub pricing: Pricing,
    /// Spending limits; the workspace limits come from the team file.
    pub budgets: Budgets,
    /// Tokens of the log an agent may be sent before its oldest messages are folded into a
    /// running summary; 0 sends the whole log every time.
    pub context_tokens: u64,
}

impl EngineConfig {
    pub fn new(team: Team, model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            max_turns: 12,
            max_depth: 3,
            concurrency: 8,
            auto_approve: false,
            turn_max_tokens: 4096,
            result_max_tokens: 8192,
            retry: RetryPolicy::default(),
            pricing: Pricing::builtin(),
            context_tokens: DEFAULT_CONTEXT_TOKENS,
            budgets: Budgets {
                workspace: team.limits.workspace(),
                workspaces: team.limits.workspaces.clone(),
                ..Budgets::default()
            },
            team,
        }
    }
}

/// Sends commands to a running engine. Sending after the engine stopped is logged, not a panic.
#[derive(Debug, Clone)]
pub struct EngineHandle {
    tx: mpsc::UnboundedSender<Command>,
}

impl EngineHandle {
    pub fn send(&self, cmd: Command) {
        if self.tx.send(cmd).is_err() {
            tracing::debug!("engine has stopped; command dropped");
        }
    }
}

/// Entry point of the engine.
pub struct Engine;

impl Engine {
    /// Starts the engine on the current tokio runtime. Events arrive on the returned receiver, in
    /// order; the channel closes after the engine stops (on [`Command::Shutdown`] or when every
    /// handle is dropped).
    pub fn spawn(
        config: EngineConfig,
        client: Client,
    ) -> (EngineHandle, mpsc::UnboundedReceiver<Event>) {
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::new(config, client, ev_tx));
        let _ = shared.this.set(Arc::downgrade(&shared));
        tokio::spawn(super::control::command_loop(shared, cmd_rx));
        (EngineHandle { tx: cmd_tx }, ev_rx)
    }
}

/// A message a person typed into a workspace.
#[derive(Debug, Clone)]
pub(crate) struct Injected {
    pub to: Vec<String>,
    pub text: String,
}

/// What pauses what, and the shape of the plan needed to tell.
#[derive(Debug, Default)]
pub(crate) struct Gates {
    pub run: bool,
    pub workspaces: HashSet<String>,
    pub agents: HashSet<(String, String)>,
    /// The run's budget is spent: no call starts until it is raised.
    pub held_run: bool,
    /// Workspaces whose budget is spent.
    pub held: HashSet<String>,
    /// Parent of every workspace of the approved plan.
    parents: HashMap<String, Option<String>>,
    /// Agents of every workspace of the approved plan.
    members: HashMap<String, Vec<String>>,
    finished: HashSet<String>,
}

impl Gates {
    /// Whether the run, this workspace or one of its ancestors is paused.
    pub fn blocks(&self, workspace: &str) -> bool {
        self.run
            || self.held(Some(workspace))
            || self.lineage(workspace).any(|w| self.workspaces.contains(w))
    }

    /// Whether a budget holds the run, or this workspace or one of its ancestors.
    pub fn held(&self, workspace: Option<&str>) -> bool {
        self.held_run || workspace.is_some_and(|w| self.lineage(w).any(|a| self.held.contains(a)))
    }

    /// The workspace and its ancestors.
    fn lineage<'a>(&'a self, workspace: &'a str) -> impl Iterator<Item = &'a str> {
        std::iter::successors(Some(workspace), |ws| {
            self.parents.get(*ws).and_then(|p| p.as_deref())
        })
    }

    /// Whether `agent` is a member of `workspace` in the approved plan.
    pub fn is_member(&self, workspace: &str, agent: &str) -> bool {
        self.members
            .get(workspace)
            .is_some_and(|m| m.iter().any(|a| a == agent))
    }

    pub fn agent_paused(&self, workspace: &str, agent: &str) -> bool {
        self.agents
            .contains(&(workspace.to_string(), agent.to_string()))
    }

    /// Why a pause or resume cannot apply to this target, if it cannot.
    pub(crate) fn refuse(&self, target: &Target) -> Option<String> {
        let (Target::Workspace { workspace } | Target::Agent { workspace, .. }) = target else {
            return None;
        };
        if !self.parents.contains_key(workspace) {
            return Some(format!(
                "there is no running plan with a workspace '{workspace}'"
            ));
        }
        if self.finished.contains(workspace) {
            return Some(format!("workspace '{workspace}' has already finished"));
        }
        match target {
            Target::Agent { agent, .. } if !self.is_member(workspace, agent) => Some(format!(
                "'{agent}' is not a member of workspace '{workspace}'"
            )),
            _ => None,
        }
    }
}

/// Usage of the current run, and what the inspector shows of each agent.
#[derive(Debug, Default)]
pub(crate) struct Book {
    pub run: Totals,
    pub workspaces: HashMap<String, Totals>,
    pub agents: AgentBook,
    /// The run's usage by workspace and agent, for the report's summary table.
    pub ledger: super::Ledger,
}

/// What every part of a run shares.
pub(crate) struct Shared {
    pub config: EngineConfig,
    pub client: Client,
    events: mpsc::UnboundedSender<Event>,
    /// The cap on calls in flight, halved by rate limits and raised again by successes. Kept from
    /// one run to the next: it follows the provider's limits, not the task.
    calls: Limiter,
    /// The provider refused the credentials during this run; every later call fails at once.
    pub(crate) refused_credentials: Mutex<Option<LlmError>>,
    pub gates: Mutex<Gates>,
    /// Bumped on every pause, resume, cancel or injected message, so that waiting workspaces look again.
    pub wake: watch::Sender<u64>,
    pub book: Mutex<Book>,
    /// Budgets of the current run and the calls in flight under them.
    pub budget: Mutex<BudgetState>,
    pub run_cancel: Mutex<CancellationToken>,
    pub workspace_cancel: Mutex<HashMap<String, CancellationToken>>,
    pub inboxes: Mutex<HashMap<String, mpsc::UnboundedSender<Injected>>>,
    /// When the current run started.
    pub started: Mutex<Instant>,
    /// The server refused structured output once; every later call asks for JSON in plain text.
    structured_refused: AtomicBool,
    /// The engine's own handle on this, for the gate each call passes (see `Admission`).
    this: OnceLock<Weak<Shared>>,
}

/// Who a call is made for, for its events and totals.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallScope {
    pub workspace: Option<String>,
    pub agent: Option<String>,
}

/// How streamed output is shown while it arrives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Stream {
    /// Planner output: raw, as `PlanDelta`.
    Plan,
    /// A send_message JSON: its decoded `content`, as `TokenDelta`.
    MessageJson,
    /// Free text, as `TokenDelta`.
    Text,
}

impl Shared {
    pub(crate) fn new(
        config: EngineConfig,
        client: Client,
        events: mpsc::UnboundedSender<Event>,
    ) -> Self {
        let calls = Limiter::new(config.concurrency);
        let budget = Mutex::new(BudgetState::new(config.budgets.clone()));
        Self {
            config,
            client,
            events,
            calls,
            refused_credentials: Mutex::default(),
            gates: Mutex::default(),
            wake: watch::channel(0).0,
            book: Mutex::default(),
            budget,
            run_cancel: Mutex::new(CancellationToken::new()),
            workspace_cancel: Mutex::default(),
            inboxes: Mutex::default(),
            started: Mutex::new(Instant::now()),
            structured_refused: AtomicBool::new(false),
            this: OnceLock::new(),
        }
    }

    pub fn emit(&self, event: Event) {
        if super::Ledger::concerns(&event) {
            lock(&self.book).ledger.record(&event);
        }
        if self.events.send(event).is_err() {
            tracing::debug!("no front end listens; event dropped");
        }
    }

    pub fn warn(&self, workspace: Option<&str>, message: impl Into<String>) {
        let message = message.into();
        tracing::warn!(workspace, "{message}");
        self.emit(Event::Warning {
            workspace: workspace.map(str::to_string),
            message,
        });
    }

    pub fn wake_all(&self) {
        self.wake.send_modify(|v| *v += 1);
    }

    pub fn run_token(&self) -> CancellationToken {
        lock(&self.run_cancel).clone()
    }

    /// The cancellation token of a workspace (a child of its parent's).
    pub fn workspace_token(&self, id: &str) -> CancellationToken {
        lock(&self.workspace_cancel)
            .get(id)
            .cloned()
            .unwrap_or_else(|| self.run_token())
    }

    /// Whether the run, this workspace or one of its ancestors is paused.
    pub fn is_paused(&self, workspace: &str) -> bool {
        lock(&self.gates).blocks(workspace)
    }

    pub fn mark_finished(&self, workspace: &str) {
        lock(&self.gates).finished.insert(workspace.to_string());
    }

    /// Waits while the run (and, if given, the workspace) is paused; false if cancelled meanwhile.
    pub async fn wait_unpaused(&self, workspace: Option<&str>, cancel: &CancellationToken) -> bool {
        let mut wake = self.wake.subscribe();
        loop {
            let paused = {
                let g = lock(&self.gates);
                workspace.map_or(g.run || g.held_run, |w| g.blocks(w))
            };
            if !paused {
                return true;
            }
            tokio::select! {
                _ = cancel.cancelled() => return false,
                r = wake.changed() => if r.is_err() { return false },
            }
        }
    }

    pub fn model_for(&self, agent: Option<&str>) -> String {
        agent
            .and_then(|a| self.config.team.agent(a))
            .and_then(|a| a.model.clone())
            .unwrap_or_else(|| self.config.model.clone())
    }

    /// One LLM call under the global concurrency cap (each attempt queues for it), with retries,
    /// streaming events and usage accounting.
    pub async fn call(
        &self,
        scope: &CallScope,
        req: &LlmRequest,
        stream: Stream,
        cancel: &CancellationToken,
    ) -> Result<LlmResponse, LlmError> {
        if let Some(refused) = lock(&self.refused_credentials).clone() {
            return Err(refused);
        }
        let began = Instant::now();
        // Within the budget, and counted in flight until its usage is booked below. A `Shared`
        // made outside an engine (unit tests) has no budget to keep.
        let admission = self
            .this
            .get()
            .and_then(Weak::upgrade)
            .map(|shared| Admission::new(shared, scope));
        let decoder = Mutex::new(ContentStream::default());
        let on_delta = |fragment: &str| {
            let text = match stream {
                Stream::Plan => {
                    self.emit(Event::PlanDelta {
                        text: fragment.to_string(),
                    });
                    return;
                }
                Stream::MessageJson => lock(&decoder).push(fragment),
                Stream::Text => fragment.to_string(),
            };
            if let (false, Some(ws), Some(agent)) =
                (text.is_empty(), &scope.workspace, &scope.agent)
            {
                self.emit(Event::TokenDelta {
                    workspace: ws.clone(),
                    agent: agent.clone(),
                    text,
                });
            }
        };
        let on_retry = |notice: &RetryNotice| {
            // The next attempt streams from the start again.
            *lock(&decoder) = ContentStream::default();
            {
                let mut book = lock(&self.book);
                book.run.retries += 1;
                if let Some(ws) = &scope.workspace {
                    book.workspaces.entry(ws.clone()).or_default().retries += 1;
                }
                if let Some(agent) = book.agents.of(scope) {
                    agent.totals.retries += 1;
                }
            }
            self.emit(Event::RetryScheduled {
                workspace: scope.workspace.clone(),
                agent: scope.agent.clone(),
                attempt: notice.attempt,
                delay_ms: notice.delay.as_millis() as u64,
                error: notice.error.to_string(),
            });
        };
        let mut req = std::borrow::Cow::Borrowed(req);
        if self.structured_refused.load(Ordering::Relaxed) && req.output != Output::Text {
            req = std::borrow::Cow::Owned(req.as_plain_text());
        }
        let resp = loop {
            if let Some(agent) = lock(&self.book).agents.of(scope) {
                agent.sent(&req);
            }
            let (client, retry) = (&self.client, &self.config.retry);
            let result = match &admission {
                Some(gate) => {
                    call_with_retry_gated(client, &req, &on_delta, retry, cancel, &on_retry, gate)
                        .await
                }
                None => {
                    call_with_retry_gated(client, &req, &on_delta, retry, cancel, &on_retry, self)
                        .await
                }
            };
            match result {
                // Some OpenAI-compatible servers refuse `response_format`: ask for JSON in plain
                // text from now on (our prompts say how), rather than failing the run.
                Err(LlmError::Http {
                    status: 400 | 422,
                    message,
                    ..
                }) if req.output != Output::Text
                    && !matches!(self.client, Client::Anthropic(_))
                    && refuses_structured_output(&message) =>
                {
                    self.structured_refused.store(true, Ordering::Relaxed);
                    self.warn(
                        scope.workspace.as_deref(),
                        format!("the server refused structured output ({message}); asking for JSON in plain text from now on"),
                    );
                    *lock(&decoder) = ContentStream::default();
                    req = std::borrow::Cow::Owned(req.as_plain_text());
                }
                Err(refused @ LlmError::Auth { .. }) => {
                    self.credentials_refused(&refused);
                    return Err(refused);
                }
                other => break other?,
            }
        };
        if matches!(resp.stop_reason.as_deref(), Some("max_tokens" | "length")) {
            self.warn(
                scope.workspace.as_deref(),
                format!(
                    "a reply was cut at the output limit of {} tokens",
                    req.max_tokens
                ),
            );
        }
        let cost = self.config.pricing.cost(&resp.model, &resp.usage);
        let (ws_totals, run_totals) = {
            let mut book = lock(&self.book);
            book.run.add_call(&resp.usage, cost);
            let ws = scope.workspace.as_ref().map(|w| {
                let t = book.workspaces.entry(w.clone()).or_default();
                t.add_call(&resp.usage, cost);
                *t
            });
            if let Some(agent) = book.agents.of(scope) {
                agent.totals.add_call(&resp.usage, cost);
                agent.reply = Some(resp.text.clone());
            }
            (ws, book.run)
        };
        self.emit(Event::UsageUpdated {
            workspace: scope.workspace.clone(),
            agent: scope.agent.clone(),
            model: resp.model.clone(),
            call: resp.usage,
            cost_usd: cost,
            workspace_totals: ws_totals,
            run_totals,
            elapsed_ms: began.elapsed().as_millis() as u64,
        });
        Ok(resp)
    }

    /// No later call of this run can succeed with credentials the provider refused: they fail at
    /// once with the same error instead of each asking the server, so that the run ends quickly.
    fn credentials_refused(&self, refused: &LlmError) {
        let first = lock(&self.refused_credentials)
            .replace(refused.clone())
            .is_none();
        if first {
            self.warn(
                None,
                format!("{refused}; the run makes no further model calls"),
            );
        }
    }

    /// Counts an agent's turn and announces it.
    pub fn turn_started(&self, workspace: &str, agent: &str, turn: u32) {
        lock(&self.book).agents.entry(workspace, agent).turns += 1;
        self.emit(Event::TurnStarted {
            workspace: workspace.to_string(),
            agent: agent.to_string(),
            turn,
        });
    }

    pub fn workspace_totals(&self, id: &str) -> Totals {
        lock(&self.book)
            .workspaces
            .get(id)
            .copied()
            .unwrap_or_default()
    }

    pub fn elapsed_ms(&self) -> u64 {
        lock(&self.started).elapsed().as_millis() as u64
    }

    pub fn run_totals(&self) -> Totals {
        lock(&self.book).run
    }

    /// Announces a workspace as started and running; returns its status target.
    pub fn start_workspace(&self, node: &Plan, parent: Option<&str>) -> Target {
        self.emit(Event::WorkspaceStarted {
            workspace: node.id.clone(),
            title: node.title.clone(),
            parent: parent.map(str::to_string),
            members: node.agents.clone(),
            leaf: node.is_leaf(),
        });
        let target = Target::Workspace {
            workspace: node.id.clone(),
        };
        self.emit(Event::StatusChanged {
            target: target.clone(),
            status: Status::Running,
        });
        target
    }

    /// Makes a cancellation token for every node, each a child of its parent's.
    pub fn register_plan(&self, plan: &Plan) {
        fn walk(
            node: &Plan,
            parent: &CancellationToken,
            out: &mut HashMap<String, CancellationToken>,
        ) {
            let token = parent.child_token();
            for c in &node.children {
                walk(c, &token, out);
            }
            out.insert(node.id.clone(), token);
        }
        let run = self.run_token();
        let mut map = lock(&self.workspace_cancel);
        map.clear();
        walk(plan, &run, &mut map);
        let mut gates = lock(&self.gates);
        gates.parents.insert(plan.id.clone(), None);
        for node in plan.nodes() {
            gates.members.insert(node.id.clone(), node.agents.clone());
            for c in &node.children {
                gates.parents.insert(c.id.clone(), Some(node.id.clone()));
            }
        }
        drop((map, gates));
        self.announce_budgets(Some(plan));
    }
}

/// Every attempt of a call waits for room under the adaptive cap; rate limits lower it, and the
/// person hears when it drops and when it is back.
impl Gate for Shared {
    type Pass<'a> = Permit<'a>;

    fn admit(&self) -> impl Future<Output = Permit<'_>> + Send {
        self.calls.acquire()
    }

    fn settle(&self, pass: Permit<'_>, outcome: Result<(), &LlmError>) {
        let change = match outcome {
            Ok(()) => pass.succeeded(),
            Err(e) if is_overload(e) => pass.rate_limited(),
            Err(_) => None,
        };
        match change {
            Some(Change::Lowered(n)) => {
                let calls = if n == 1 { "call" } else { "calls" };
                self.warn(
                    None,
                    format!("rate limited: at most {n} {calls} at once for now"),
                );
            }
            Some(Change::Restored(n)) => self.warn(
                None,
                format!("rate limits eased: back to {n} calls at once"),
            ),
            None => {}
        }
    }
}

/// Whether an error message says the server does not do structured output (as opposed to, say,
/// a prompt that is too long).
fn refuses_structured_output(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "response_format",
        "json_schema",
        "json schema",
        "structured output",
        "grammar",
    ]
    .iter()
    .any(|k| m.contains(k))
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Locks a mutex, carrying on with the data if a panicking thread poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_refusal_of_structured_output_switches_to_plain_text() {
        assert!(refuses_structured_output(
            "response_format is not supported"
        ));
        assert!(refuses_structured_output(
            "Invalid JSON_SCHEMA: $ref unsupported"
        ));
        assert!(!refuses_structured_output(
            "prompt is too long: 210000 tokens > 200000 maximum"
        ));
    }

    #[test]
    fn pausing_a_parent_pauses_its_subtree_and_finished_workspaces_refuse() {
        let mut g = Gates::default();
        g.parents.insert("root".into(), None);
        g.parents.insert("onsite".into(), Some("root".into()));
        g.parents.insert("venue".into(), Some("onsite".into()));
        g.members.insert("venue".into(), vec!["a".into()]);
        g.workspaces.insert("onsite".into());
        assert!(g.blocks("venue") && g.blocks("onsite") && !g.blocks("root"));
        g.finished.insert("venue".into());
        let ws = |w: &str| Target::Workspace {
            workspace: w.into(),
        };
        assert_eq!(
            g.refuse(&ws("venue")).unwrap(),
            "workspace 'venue' has already finished"
        );
        assert_eq!(
            g.refuse(&ws("nope")).unwrap(),
            "there is no running plan with a workspace 'nope'"
        );
        let agent = Target::Agent {
            workspace: "onsite".into(),
            agent: "a".into(),
        };
        assert_eq!(
            g.refuse(&agent).unwrap(),
            "'a' is not a member of workspace 'onsite'"
        );
        assert_eq!(g.refuse(&Target::Run), None);
    }
}
