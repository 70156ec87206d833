//! Continuing an interrupted run from its recorded events: what was approved, which workspaces
//! finished, and every message, turn and call of those still going. Finished work is never
//! redone; a turn that started but posted nothing is taken again.

use std::collections::HashMap;

use super::aggregate::Outcome;
use super::context::Summary;
use super::event::{Event, Message, Status, Totals};
use super::plan::Plan;
use super::runtime::{Book, Shared, lock};

/// One step of a leaf workspace, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// An agent's turn started (`TurnStarted`).
    Turn(String),
    /// A message was posted (`MessagePosted`).
    Posted(Message),
    /// The running summary was brought up to date (`ContextSummarized`).
    Summarized(Summary),
}

/// A finished workspace as recorded by `WorkspaceDone`.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub status: Status,
    pub result: Option<String>,
    pub turns: u32,
    pub totals: Totals,
}

/// What an interrupted run had done, read from its events.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub task: String,
    /// The approved plan, if the run got that far.
    pub plan: Option<Plan>,
    /// Workspaces that ended (done, failed or cancelled).
    pub finished: HashMap<String, Finished>,
    /// Steps of every workspace that started.
    pub steps: HashMap<String, Vec<Step>>,
    /// The usage recorded so far, by workspace and agent.
    ledger: super::Ledger,
    /// Whether the run had already ended.
    pub ended: bool,
}

impl History {
    /// Reads a run's events in order. A run resumed before shows its earlier events too, so the
    /// whole file always describes the whole run.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut h = History::default();
        let mut shown: Option<Plan> = None;
        for event in events {
            h.ledger.record(event);
            match event {
                Event::RunStarted { task, .. } if h.task.is_empty() => h.task = task.clone(),
                Event::PlanReady { plan, .. } => shown = Some(plan.clone()),
                Event::PlanApproved => h.plan = shown.clone(),
                Event::TurnStarted {
                    workspace, agent, ..
                } => h
                    .steps
                    .entry(workspace.clone())
                    .or_default()
                    .push(Step::Turn(agent.clone())),
                Event::MessagePosted { message } => h
                    .steps
                    .entry(message.workspace.clone())
                    .or_default()
                    .push(Step::Posted(message.clone())),
                Event::ContextSummarized {
                    workspace,
                    through_seq,
                    summary,
                    ..
                } => h
                    .steps
                    .entry(workspace.clone())
                    .or_default()
                    .push(Step::Summarized(Summary {
                        through_seq: *through_seq,
                        text: summary.clone(),
                    })),
                Event::WorkspaceDone {
                    workspace,
                    status,
                    result,
                    turns,
                    totals,
                    ..
                } => {
                    h.finished.insert(
                        workspace.clone(),
                        Finished {
                            status: status.clone(),
                            result: result.clone(),
                            turns: *turns,
                            totals: *totals,
                        },
                    );
                }
                Event::RunDone { .. } => h.ended = true,
                _ => {}
            }
        }
        h
    }

    /// Messages posted so far, in all workspaces.
    pub fn messages(&self) -> usize {
        self.steps
            .values()
            .flatten()
            .filter(|s| matches!(s, Step::Posted(_)))
            .count()
    }

    /// The recorded ending of a workspace, as the tree runner uses it.
    pub(crate) fn outcome(&self, workspace: &str) -> Option<(Outcome, Totals)> {
        self.finished.get(workspace).map(|f| {
            (
                Outcome {
                    status: f.status.clone(),
                    result: f.result.clone(),
                    turns: f.turns,
                },
                f.totals,
            )
        })
    }

    /// Puts the recorded usage back into the run's books, so totals carry on where they were.
    pub(crate) fn restore_usage(&self, shared: &Shared) {
        let mut book = lock(&shared.book);
        *book = Book::default();
        book.run = self.ledger.run.totals;
        for w in self.ledger.workspaces() {
            book.workspaces.insert(w.id.clone(), w.line.totals);
            for (agent, line) in w
                .agents
                .iter()
                .filter(|(a, _)| a != super::ledger::SUMMARIES)
            {
                book.agents.entry(&w.id, agent).totals = line.totals;
            }
        }
        book.ledger = self.ledger.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::event::{ALL, USER};

    fn msg(seq: u64, from: &str, to: &str) -> Event {
        Event::MessagePosted {
            message: Message {
                seq,
                workspace: "w".into(),
                from: from.into(),
                to: vec![to.into()],
                content: format!("m{seq}"),
                at: 0,
            },
        }
    }

    #[test]
    fn history_keeps_the_approved_plan_steps_and_endings() {
        let plan = |id: &str| Plan {
            id: id.into(),
            title: id.into(),
            description: String::new(),
            agents: vec![],
            children: vec![],
        };
        let events = vec![
            Event::PlanReady {
                plan: plan("first"),
                repaired: false,
                notes: vec![],
            },
            Event::PlanReady {
                plan: plan("second"),
                repaired: false,
                notes: vec![],
            },
            Event::PlanApproved,
            msg(1, USER, ALL),
            Event::TurnStarted {
                workspace: "w".into(),
                agent: "a".into(),
                turn: 1,
            },
            msg(2, "a", "b"),
            Event::TurnStarted {
                workspace: "w".into(),
                agent: "b".into(),
                turn: 2,
            },
            Event::WorkspaceDone {
                workspace: "x".into(),
                status: Status::Done,
                result: Some("r".into()),
                turns: 3,
                totals: Totals::default(),
                elapsed_ms: 0,
            },
        ];
        let h = History::from_events(&events);
        assert_eq!(h.plan.as_ref().unwrap().id, "second");
        assert_eq!(h.steps["w"].len(), 4);
        assert_eq!(h.steps["w"][3], Step::Turn("b".into()));
        assert_eq!(h.messages(), 2);
        assert_eq!(h.finished["x"].result.as_deref(), Some("r"));
        assert!(!h.ended);
    }
}
