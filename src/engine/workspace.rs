//! One leaf workspace: agents take turns by addressed messages (SPEC §3) until one reports to USER
//! or the turn limit is reached.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::aggregate::Outcome;
use super::context::{self, Summary};
use super::event::{ALL, Event, Message, Status, USER};
use super::plan::Plan;
use super::protocol::{self, TurnContext};
use super::resume::Step;
use super::runtime::{CallScope, Injected, Shared, Stream, lock, now_ms};
use crate::llm::{LlmError, LlmResponse};
use crate::team::Agent;

/// How many times in a row a pair may trade near-identical messages before the loop is broken.
const LOOP_REPEATS: usize = 2;

/// Whether a workspace may take a turn now.
#[derive(Debug, PartialEq)]
enum Claim {
    /// This agent's turn has started.
    Turn(String),
    /// The run, the workspace, or every agent with a turn is paused.
    Paused,
    /// Nobody has a message to answer.
    Idle,
}

/// The state of a running leaf workspace.
struct Leaf<'a> {
    shared: &'a Shared,
    id: String,
    members: Vec<Agent>,
    log: Vec<Message>,
    /// Agents with a turn to take, in the order of their earliest unanswered message.
    queue: VecDeque<String>,
    turns: u32,
    result: Option<String>,
    last_speaker: Option<String>,
    /// Consecutive near-identical exchanges seen, per pair of agents.
    repeats: HashMap<(String, String), usize>,
    /// What the agents are sent instead of the oldest messages, once the log grew past
    /// `context_tokens`.
    summary: Option<Summary>,
}

/// Runs a leaf workspace to its end. Never panics on model output; a failed call fails only this
/// workspace.
pub(crate) async fn run_leaf(
    shared: &Arc<Shared>,
    task: &str,
    node: &Plan,
    parent: Option<&str>,
    resume: Option<&[Step]>,
) -> Outcome {
    let members: Vec<Agent> = node
        .agents
        .iter()
        .filter_map(|n| shared.config.team.agent(n).cloned())
        .collect();
    if members.is_empty() {
        // Plans are checked and repaired before they run; this only guards the indexing below.
        let status = Status::Failed("the workspace has no agents from the roster".into());
        let target = shared.start_workspace(node, parent);
        shared.emit(Event::StatusChanged {
            target,
            status: status.clone(),
        });
        return Outcome {
            status,
            result: None,
            turns: 0,
        };
    }
    let cancel = shared.workspace_token(&node.id);
    let (tx, mut inbox) = mpsc::unbounded_channel();
    lock(&shared.inboxes).insert(node.id.clone(), tx);
    let target = shared.start_workspace(node, parent);

    let mut leaf = Leaf {
        shared,
        id: node.id.clone(),
        members,
        log: Vec::new(),
        queue: VecDeque::new(),
        turns: 0,
        result: None,
        last_speaker: None,
        repeats: HashMap::new(),
        summary: None,
    };
    let ctx_node = node.clone();
    let brief = if node.description.trim().is_empty() {
        node.title.clone()
    } else {
        format!("{}\n\n{}", node.title, node.description.trim())
    };
    match resume.filter(|steps| !steps.is_empty()) {
        Some(steps) => leaf.replay(steps),
        None => leaf.post(USER, vec![ALL.into()], brief),
    }

    let status = match leaf.run(task, &ctx_node, &cancel, &mut inbox).await {
        Ok(()) => Status::Done,
        Err(LlmError::Cancelled) => Status::Cancelled,
        Err(e) => Status::Failed(e.to_string()),
    };
    lock(&shared.inboxes).remove(&node.id);
    // Messages typed while the last reply was being written: say so, never drop them silently.
    while let Ok(late) = inbox.try_recv() {
        shared.warn(
            Some(&node.id),
            format!(
                "the workspace had finished; your message was not delivered: {}",
                late.text
            ),
        );
    }
    shared.emit(Event::StatusChanged {
        target,
        status: status.clone(),
    });
    Outcome {
        status,
        result: leaf.result,
        turns: leaf.turns,
    }
}

impl Leaf<'_> {
    async fn run(
        &mut self,
        task: &str,
        node: &Plan,
        cancel: &CancellationToken,
        inbox: &mut mpsc::UnboundedReceiver<Injected>,
    ) -> Result<(), LlmError> {
        let mut wake = self.shared.wake.subscribe();
        let max_turns = self.shared.config.max_turns;
        while self.result.is_none() {
            if cancel.is_cancelled() {
                return Err(LlmError::Cancelled);
            }
            while let Ok(msg) = inbox.try_recv() {
                self.inject(msg);
            }
            if self.shared.is_paused(&self.id) {
                tokio::select! {
                    _ = cancel.cancelled() => return Err(LlmError::Cancelled),
                    _ = wake.changed() => {}
                }
                continue;
            }
            // The final result takes the last turn: a workspace never exceeds `max_turns`.
            if self.turns + 1 >= max_turns {
                self.shared.warn(
                    Some(&self.id),
                    format!("turn limit ({max_turns}) reached; asking for the final result"),
                );
                return self.final_result(task, node, cancel).await;
            }
            match self.claim_turn() {
                Claim::Turn(agent) => self.turn(task, node, &agent, cancel).await?,
                Claim::Idle => {
                    self.shared.warn(
                        Some(&self.id),
                        "no agent has a message to answer; asking for the final result",
                    );
                    return self.final_result(task, node, cancel).await;
                }
                // Paused, or every agent with a turn is: wait for a resume or a new message.
                Claim::Paused => tokio::select! {
                    _ = cancel.cancelled() => return Err(LlmError::Cancelled),
                    _ = wake.changed() => {}
                    Some(msg) = inbox.recv() => self.inject(msg),
                },
            }
        }
        Ok(())
    }

    /// Posts a message to the log, emits it, and queues a turn for each addressed agent.
    fn post(&mut self, from: &str, to: Vec<String>, content: String) {
        let message = Message {
            seq: self.log.len() as u64 + 1,
            workspace: self.id.clone(),
            from: from.to_string(),
            to,
            content,
            at: now_ms(),
        };
        self.shared.emit(Event::MessagePosted {
            message: message.clone(),
        });
        self.record(message);
    }

    /// Brings a resumed workspace back to where its recorded steps left it: the same log, turn
    /// count, queue and loop counters as before, without emitting anything. A turn that started
    /// but posted nothing is taken again.
    fn replay(&mut self, steps: &[Step]) {
        let mut open: Option<(String, bool)> = None;
        for step in steps {
            match step {
                Step::Turn(agent) => {
                    let queued = self.queue.iter().position(|a| a == agent);
                    if let Some(i) = queued {
                        self.queue.remove(i);
                    }
                    self.turns += 1;
                    open = Some((agent.clone(), queued.is_some()));
                }
                Step::Posted(message) => {
                    if message.from != USER {
                        if !message.to.iter().any(|t| t == USER) {
                            self.is_loop(&message.from, &message.to, &message.content);
                        }
                        self.last_speaker = Some(message.from.clone());
                    }
                    if open.as_ref().is_some_and(|(a, _)| *a == message.from) {
                        open = None;
                    }
                    self.record(message.clone());
                }
                Step::Summarized(summary) => self.summary = Some(summary.clone()),
            }
        }
        if let Some((agent, queued)) = open {
            self.turns = self.turns.saturating_sub(1);
            if queued {
                self.queue.push_front(agent);
            }
        }
    }

    /// Adds a posted message to the log and queues a turn for each addressed agent.
    fn record(&mut self, message: Message) {
        if message.to.iter().any(|t| t == USER) && message.from != USER {
            self.result = Some(message.content.clone());
        }
        for m in &self.members {
            if message.is_for(&m.name) && !self.queue.contains(&m.name) {
                self.queue.push_back(m.name.clone());
            }
        }
        self.log.push(message);
    }

    /// Posts a message the person typed; with no addressee it goes to ALL. A message to nobody
    /// in this workspace is not posted, and the warning says who can be addressed.
    fn inject(&mut self, msg: Injected) {
        let to = match protocol::resolve_addressees(&msg.to, USER, &self.members) {
            Ok(to) if to.iter().any(|t| t == USER) => {
                Err("address agents or ALL, not USER".to_string())
            }
            Ok(to) if to.is_empty() => Ok(vec![ALL.to_string()]),
            other => other,
        };
        match to {
            Ok(to) => self.post(USER, to, msg.text),
            Err(problem) => self.shared.warn(
                Some(&self.id),
                format!("your message was not delivered: {problem}"),
            ),
        }
    }

    /// Counts a turn and announces it.
    fn start_turn(&mut self, agent: &str) {
        self.turns += 1;
        self.shared.turn_started(&self.id, agent, self.turns);
    }

    /// Takes the next turn if nothing pauses it: the first queued agent that is not paused. The
    /// check and the `TurnStarted` event happen under the gates lock, so no turn starts after a
    /// pause has been announced.
    fn claim_turn(&mut self) -> Claim {
        let shared = self.shared;
        let gates = lock(&shared.gates);
        if gates.blocks(&self.id) {
            return Claim::Paused;
        }
        let free = |a: &String| !gates.agent_paused(&self.id, a);
        let Some(i) = self.queue.iter().position(free) else {
            return if self.queue.is_empty() {
                Claim::Idle
            } else {
                Claim::Paused
            };
        };
        let Some(agent) = self.queue.remove(i) else {
            return Claim::Idle;
        };
        self.start_turn(&agent);
        Claim::Turn(agent)
    }

    fn ctx<'n>(&'n self, task: &'n str, node: &'n Plan) -> TurnContext<'n> {
        TurnContext {
            mission: task,
            node,
            members: &self.members,
            summary: self.summary.as_ref(),
        }
    }

    fn agent(&self, name: &str) -> Agent {
        self.members
            .iter()
            .find(|a| a.name == name)
            .cloned()
            .expect("queued agents are members")
    }

    async fn turn(
        &mut self,
        task: &str,
        node: &Plan,
        name: &str,
        cancel: &CancellationToken,
    ) -> Result<(), LlmError> {
        self.fit_context(task, node, name, cancel).await?;
        let agent = self.agent(name);
        let model = self.shared.model_for(Some(name));
        let req = protocol::turn_request(
            &model,
            &agent,
            &self.ctx(task, node),
            &self.log,
            self.shared.config.turn_max_tokens,
        );
        let scope = CallScope {
            workspace: Some(self.id.clone()),
            agent: Some(name.to_string()),
        };
        let first = self
            .shared
            .call(&scope, &req, Stream::MessageJson, cancel)
            .await?;
        let reply = match protocol::parse_reply(&first.text, name, &self.members) {
            Ok(r) => Ok(r),
            Err(mut problem) => {
                if matches!(first.stop_reason.as_deref(), Some("max_tokens" | "length")) {
                    problem.push_str(&format!(
                        "; the reply was cut at the output limit of {} tokens: write a shorter message",
                        req.max_tokens
                    ));
                }
                self.shared.warn(
                    Some(&self.id),
                    format!("{name}'s reply broke the protocol ({problem}); asking again"),
                );
                let again = protocol::reask_request(req, &first.text, &problem);
                let second: LlmResponse = self
                    .shared
                    .call(&scope, &again, Stream::MessageJson, cancel)
                    .await?;
                protocol::parse_reply(&second.text, name, &self.members)
                    .map_err(|p| (p, second.text))
            }
        };
        self.last_speaker = Some(name.to_string());
        match reply {
            Ok(r) => {
                let looping = self.is_loop(name, &r.to, &r.content);
                self.post(name, r.to, r.content);
                if looping && self.result.is_none() {
                    self.shared.warn(Some(&self.id), "two agents keep trading the same message; ending the loop and asking for the final result");
                    return self.final_result(task, node, cancel).await;
                }
            }
            Err((problem, raw)) => {
                let lead = &self.members[0].name;
                let to = if lead == name {
                    self.members
                        .iter()
                        .filter(|m| m.name != name)
                        .map(|m| m.name.clone())
                        .collect()
                } else {
                    vec![lead.clone()]
                };
                let text = if raw.trim().is_empty() {
                    "(empty reply)".to_string()
                } else {
                    raw
                };
                self.shared.warn(Some(&self.id), format!("{name}'s reply broke the protocol again ({problem}); delivered as plain text to {}", to.join(", ")));
                self.post(name, to, text);
            }
        }
        Ok(())
    }

    /// Whether this message repeats the sender's last message to the same addressee while the
    /// addressee also repeats itself: the same pair trading near-identical messages.
    fn is_loop(&mut self, from: &str, to: &[String], content: &str) -> bool {
        let [peer] = to else { return false };
        // Messages from `a` to `b` alone, newest first.
        let between = |a: &str, b: &str| {
            self.log
                .iter()
                .rev()
                .filter(|m| m.from == a && m.to.len() == 1 && m.to[0] == b)
                .map(|m| m.content.as_str())
                .collect::<Vec<_>>()
        };
        let (mine, theirs) = (between(from, peer), between(peer, from));
        let repeating = match (mine.first(), theirs.first(), theirs.get(1)) {
            (Some(mine), Some(now), Some(before)) => {
                protocol::near_identical(mine, content) && protocol::near_identical(now, before)
            }
            _ => false,
        };
        let key = if from < peer.as_str() {
            (from.to_string(), peer.clone())
        } else {
            (peer.clone(), from.to_string())
        };
        let count = self.repeats.entry(key).or_default();
        *count = if repeating { *count + 1 } else { 0 };
        *count >= LOOP_REPEATS
    }

    /// Folds the oldest messages into the running summary if the conversation `agent` would be
    /// sent has grown past `context_tokens` (see [`context::fit`]).
    async fn fit_context(
        &mut self,
        task: &str,
        node: &Plan,
        agent: &str,
        cancel: &CancellationToken,
    ) -> Result<(), LlmError> {
        let ctx = self.ctx(task, node);
        if let Some(summary) = context::fit(self.shared, &ctx, &self.log, agent, cancel).await? {
            self.summary = Some(summary);
        }
        Ok(())
    }

    /// Asks the last speaker (or the lead) for the workspace's final result and posts it to USER.
    async fn final_result(
        &mut self,
        task: &str,
        node: &Plan,
        cancel: &CancellationToken,
    ) -> Result<(), LlmError> {
        let name = self
            .last_speaker
            .clone()
            .unwrap_or_else(|| self.members[0].name.clone());
        self.fit_context(task, node, &name, cancel).await?;
        let agent = self.agent(&name);
        let model = self.shared.model_for(Some(&name));
        let req = protocol::final_request(
            &model,
            &agent,
            &self.ctx(task, node),
            &self.log,
            self.shared.config.result_max_tokens,
        );
        let scope = CallScope {
            workspace: Some(self.id.clone()),
            agent: Some(name.clone()),
        };
        self.start_turn(&name);
        let resp = self
            .shared
            .call(&scope, &req, Stream::MessageJson, cancel)
            .await?;
        let text = protocol::final_result_text(&resp.text);
        let text = if text.trim().is_empty() {
            // Nothing lost: the result is then the conversation itself.
            self.log
                .iter()
                .filter(|m| m.from != USER)
                .map(|m| format!("**{}**: {}", m.from, m.content))
                .collect::<Vec<_>>()
                .join("\n\n")
        } else {
            text
        };
        self.post(&name, vec![USER.into()], text);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineConfig;
    use crate::llm::Client;
    use crate::llm::sim::SimClient;
    use crate::team;

    fn shared() -> (Shared, mpsc::UnboundedReceiver<Event>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let team = team::preset("conference").unwrap();
        (
            Shared::new(
                EngineConfig::new(team, "sim-1"),
                Client::Sim(SimClient::new(1)),
                tx,
            ),
            rx,
        )
    }

    fn leaf<'a>(shared: &'a Shared, names: &[&str]) -> Leaf<'a> {
        let members = names
            .iter()
            .map(|n| shared.config.team.agent(n).unwrap().clone())
            .collect();
        Leaf {
            shared,
            id: "w".into(),
            members,
            log: vec![],
            queue: VecDeque::new(),
            turns: 0,
            result: None,
            last_speaker: None,
            repeats: HashMap::new(),
            summary: None,
        }
    }

    #[test]
    fn turns_follow_message_order_and_one_queued_turn_sees_every_message() {
        let (shared, _rx) = shared();
        let mut l = leaf(
            &shared,
            &["venue_coordinator", "catering_manager", "tech_setup"],
        );
        let (a, b, c) = ("venue_coordinator", "catering_manager", "tech_setup");
        l.post(USER, vec![ALL.into()], "task".into());
        assert_eq!(l.queue, [a, b, c]);
        assert_eq!(l.claim_turn(), Claim::Turn(a.to_string()));
        l.post(a, vec![b.into()], "b, please price the venue".into());
        // b was already queued by the task: still one turn, which will see both messages.
        assert_eq!(l.queue, [b, c]);
        assert_eq!(l.claim_turn(), Claim::Turn(b.to_string()));
        l.post(b, vec![a.into()], "quote".into());
        assert_eq!(l.queue, [c, a]);
        assert_eq!(l.claim_turn(), Claim::Turn(c.to_string()));
        l.post(c, vec![ALL.into()], "AV plan".into());
        assert_eq!(l.queue, [a, b], "ALL queues everyone but the sender, once");
        let seen = context::transcript(&l.log, None, b);
        for want in [
            "#1 USER → ALL",
            "#2 venue_coordinator → catering_manager",
            "#3 catering_manager → venue_coordinator",
            "#4 tech_setup → ALL",
        ] {
            assert!(seen.contains(want), "{want} missing from {seen}");
        }
        assert!(l.result.is_none());
        l.post(a, vec![USER.into()], "final".into());
        assert_eq!(l.result.as_deref(), Some("final"));
        assert_eq!(
            l.log.iter().map(|m| m.seq).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
    }

    #[test]
    fn a_paused_agent_is_skipped_until_resumed() {
        let (shared, _rx) = shared();
        let mut l = leaf(&shared, &["venue_coordinator", "catering_manager"]);
        l.post(USER, vec![ALL.into()], "task".into());
        lock(&shared.gates)
            .agents
            .insert(("w".into(), "venue_coordinator".into()));
        assert_eq!(l.claim_turn(), Claim::Turn("catering_manager".to_string()));
        assert_eq!(
            l.claim_turn(),
            Claim::Paused,
            "only the paused agent is left"
        );
        assert_eq!(l.queue, ["venue_coordinator"]);
        lock(&shared.gates).agents.clear();
        lock(&shared.gates).workspaces.insert("w".into());
        assert_eq!(
            l.claim_turn(),
            Claim::Paused,
            "the whole workspace is paused"
        );
        lock(&shared.gates).workspaces.clear();
        assert_eq!(l.claim_turn(), Claim::Turn("venue_coordinator".to_string()));
    }

    #[test]
    fn ping_pong_between_two_agents_is_detected() {
        let (shared, _rx) = shared();
        let mut l = leaf(&shared, &["venue_coordinator", "catering_manager"]);
        let (a, b) = ("venue_coordinator", "catering_manager");
        let mut looped = false;
        for i in 0..6 {
            let (from, to) = if i % 2 == 0 { (a, b) } else { (b, a) };
            looped = l.is_loop(from, &[to.to_string()], "Thanks, sounds good to me.");
            l.post(from, vec![to.into()], "Thanks, sounds good to me.".into());
            if looped {
                break;
            }
        }
        assert!(looped, "six identical exchanges must be caught");
        let (shared, _rx) = self::shared();
        let mut l = leaf(&shared, &["venue_coordinator", "catering_manager"]);
        for i in 0..6 {
            let (from, to) = if i % 2 == 0 { (a, b) } else { (b, a) };
            let text = format!(
                "Update {i}: budget line {} changed to {} dollars",
                i * 7,
                i * 1000
            );
            assert!(
                !l.is_loop(from, &[to.to_string()], &text),
                "progress is not a loop"
            );
            l.post(from, vec![to.into()], text);
        }
    }
}
