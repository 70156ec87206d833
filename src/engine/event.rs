//! The engine contract (SPEC §4): commands in, events out. Every event is one JSON line.

use serde::{Deserialize, Serialize};

use super::budget::BudgetKind;
use super::plan::Plan;
use crate::llm::{Role, Usage};

/// Addressee of a message.
pub const USER: &str = "USER";
/// Every member of the workspace.
pub const ALL: &str = "ALL";

/// One addressed message in a workspace log. `to` holds agent names, `ALL` or `USER`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub seq: u64,
    pub workspace: String,
    pub from: String,
    pub to: Vec<String>,
    pub content: String,
    /// Milliseconds since the Unix epoch.
    pub at: u64,
}

impl Message {
    /// Whether `agent` is among the addressees (directly or through `ALL`).
    pub fn is_for(&self, agent: &str) -> bool {
        self.to
            .iter()
            .any(|t| t == agent || (t == ALL && self.from != agent))
    }
}

/// Lifecycle of a workspace, an agent or the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum Status {
    #[default]
    Pending,
    Running,
    Paused,
    Done,
    Failed(String),
    Cancelled,
}

impl Status {
    /// The status in one word, as tables show it.
    pub fn word(&self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Done => "done",
            Status::Failed(_) => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn is_finished(&self) -> bool {
        matches!(self, Status::Done | Status::Failed(_) | Status::Cancelled)
    }
}

/// What a pause, resume or cancel applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum Target {
    Run,
    Workspace { workspace: String },
    Agent { workspace: String, agent: String },
}

/// Token counts and cost, as shown to the person.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    #[serde(flatten)]
    pub usage: Usage,
    pub cost_usd: f64,
    pub calls: u64,
    pub retries: u64,
}

impl Totals {
    pub fn add_call(&mut self, usage: &Usage, cost_usd: f64) {
        self.usage.add(usage);
        self.cost_usd += cost_usd;
        self.calls += 1;
    }
}

/// Commands a front end sends to the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Command {
    StartTask {
        task: String,
    },
    ApprovePlan,
    RevisePlan {
        feedback: String,
    },
    Pause {
        target: Target,
    },
    Resume {
        target: Target,
    },
    Cancel {
        target: Target,
    },
    InjectMessage {
        workspace: String,
        to: Vec<String>,
        text: String,
    },
    /// Asks for [`Event::AgentInspected`] about one agent of one workspace.
    Inspect {
        workspace: String,
        agent: String,
    },
    /// Continue an interrupted run from its recorded events (`huddle resume`): finished
    /// workspaces are not redone, running ones go on from their last message.
    ResumeRun {
        events: Vec<Event>,
    },
    /// New spending limits of the run or of one workspace (`None`: no limit of that kind).
    /// Raising a budget above what was spent lifts the pause it caused; a pause the person made
    /// stays.
    SetBudget {
        target: Target,
        tokens: Option<u64>,
        usd: Option<f64>,
    },
    Shutdown,
}

/// One message of a request as the model received it: its parts joined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectedMessage {
    pub role: Role,
    pub text: String,
}

/// Everything that happens in a run, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    RunStarted {
        task: String,
        team: String,
        provider: String,
        model: String,
        simulated: bool,
        max_turns: u32,
        max_depth: usize,
        concurrency: usize,
    },
    /// An interrupted run goes on: `finished` of `workspaces` had ended, `messages` were posted.
    RunResumed {
        finished: usize,
        workspaces: usize,
        messages: usize,
    },
    PlanStarted {
        attempt: u32,
        feedback: Option<String>,
    },
    PlanDelta {
        text: String,
    },
    PlanReady {
        plan: Plan,
        repaired: bool,
        notes: Vec<String>,
    },
    PlanApproved,
    WorkspaceStarted {
        workspace: String,
        title: String,
        parent: Option<String>,
        members: Vec<String>,
        leaf: bool,
    },
    TurnStarted {
        workspace: String,
        agent: String,
        turn: u32,
    },
    TokenDelta {
        workspace: String,
        agent: String,
        text: String,
    },
    MessagePosted {
        message: Message,
    },
    /// One finished LLM call and the new totals of its workspace and of the run.
    UsageUpdated {
        workspace: Option<String>,
        agent: Option<String>,
        model: String,
        call: Usage,
        cost_usd: f64,
        workspace_totals: Option<Totals>,
        run_totals: Totals,
        /// How long the call took, from when it was asked for to its reply: waiting for a place
        /// under the concurrency cap, a budget hold and retries included.
        #[serde(default)]
        elapsed_ms: u64,
    },
    StatusChanged {
        target: Target,
        status: Status,
    },
    /// The oldest messages of a workspace were folded into its running summary: from now on its
    /// agents are sent this summary instead of the messages up to `through_seq`. The full log
    /// stays in the events and the dashboard.
    ContextSummarized {
        workspace: String,
        /// The last message the summary covers.
        through_seq: u64,
        summary: String,
        /// Estimated tokens of the log part the agent was about to be sent, before and after.
        tokens_before: u64,
        tokens_after: u64,
    },
    RetryScheduled {
        workspace: Option<String>,
        agent: Option<String>,
        attempt: u32,
        delay_ms: u64,
        error: String,
    },
    Warning {
        workspace: Option<String>,
        message: String,
    },
    /// A budget stopped new LLM calls: `scope` (the run or one workspace) is paused until the
    /// budget is raised. `spent` counts every call that finished, so calls that were in flight
    /// show as overshoot. Tokens are of every kind, cache reads included.
    BudgetReached {
        scope: Target,
        kind: BudgetKind,
        limit: f64,
        spent: f64,
    },
    /// The limits of the run or of one workspace: when the run or the plan starts, and after
    /// each [`Command::SetBudget`]. `None` is no limit of that kind.
    BudgetChanged {
        scope: Target,
        tokens: Option<u64>,
        usd: Option<f64>,
    },
    WorkspaceDone {
        workspace: String,
        status: Status,
        result: Option<String>,
        turns: u32,
        totals: Totals,
        /// From the workspace's start to its end (in this process, for a resumed run).
        #[serde(default)]
        elapsed_ms: u64,
    },
    RunDone {
        status: Status,
        report: String,
        totals: Totals,
        elapsed_ms: u64,
    },
    /// The answer to [`Command::Inspect`]: who the agent is and what it last sent and received in
    /// this workspace.
    AgentInspected {
        workspace: String,
        agent: String,
        /// Readable persona from the team file: address, description, capabilities,
        /// instructions and model override.
        persona: String,
        /// The model this agent's calls use.
        model: String,
        /// System prompt of the last request sent for this agent, exactly as sent; `None` before
        /// its first call.
        system: Option<String>,
        /// Messages of that last request.
        request: Vec<InspectedMessage>,
        /// Raw text of the agent's last successful reply; while a call is in flight, or after a
        /// failed one, this is the reply to an earlier request.
        reply: Option<String>,
        /// Turns this agent has taken in this workspace (its `TurnStarted` events).
        turns: u32,
        /// This agent's usage in this workspace, from the same calls as `UsageUpdated`.
        totals: Totals,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_single_json_lines_with_a_type_tag() {
        let e = Event::MessagePosted {
            message: Message {
                seq: 3,
                workspace: "venue".into(),
                from: "a".into(),
                to: vec!["b".into()],
                content: "line 1\nline 2".into(),
                at: 1,
            },
        };
        let line = serde_json::to_string(&e).unwrap();
        assert!(!line.contains('\n'));
        assert!(line.starts_with(r#"{"type":"MessagePosted""#), "{line}");
        assert_eq!(serde_json::from_str::<Event>(&line).unwrap(), e);
        let s = serde_json::to_string(&Status::Failed("boom".into())).unwrap();
        assert_eq!(s, r#"{"state":"failed","reason":"boom"}"#);
    }

    #[test]
    fn budget_events_and_commands_round_trip() {
        let events = [
            Event::BudgetReached {
                scope: Target::Workspace {
                    workspace: "venue".into(),
                },
                kind: BudgetKind::Usd,
                limit: 0.5,
                spent: 0.5123,
            },
            Event::BudgetChanged {
                scope: Target::Run,
                tokens: Some(300_000),
                usd: None,
            },
        ];
        for e in events {
            let line = serde_json::to_string(&e).unwrap();
            assert_eq!(serde_json::from_str::<Event>(&line).unwrap(), e, "{line}");
        }
        let cmd = Command::SetBudget {
            target: Target::Run,
            tokens: None,
            usd: Some(2.5),
        };
        let line = serde_json::to_string(&cmd).unwrap();
        assert_eq!(
            line,
            r#"{"type":"SetBudget","target":{"scope":"run"},"tokens":null,"usd":2.5}"#
        );
        assert_eq!(serde_json::from_str::<Command>(&line).unwrap(), cmd);
    }

    #[test]
    fn all_reaches_everyone_but_the_sender() {
        let m = Message {
            seq: 1,
            workspace: "w".into(),
            from: "a".into(),
            to: vec![ALL.into()],
            content: String::new(),
            at: 0,
        };
        assert!(m.is_for("b"));
        assert!(!m.is_for("a"));
    }
}
