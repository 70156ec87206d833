//! What the agent inspector shows: per workspace and agent, the last request sent and the last
//! reply received, the turns taken and the agent's own usage. Only the last request and reply are
//! kept, so memory stays bounded however long a run goes.

use std::collections::HashMap;

use super::event::{Event, InspectedMessage, Totals};
use super::runtime::{CallScope, Shared, lock};
use crate::llm::LlmRequest;
use crate::team::Agent;

/// What the engine remembers of one agent in one workspace.
#[derive(Debug, Default, Clone)]
pub(crate) struct AgentRecord {
    /// System prompt of the last request sent, parts joined.
    pub system: Option<String>,
    pub request: Vec<InspectedMessage>,
    /// Raw text of the last successful reply.
    pub reply: Option<String>,
    pub turns: u32,
    pub totals: Totals,
}

impl AgentRecord {
    /// Remembers a request about to be sent, in place of the previous one.
    pub fn sent(&mut self, req: &LlmRequest) {
        self.system = Some(req.system_text());
        self.request = req
            .messages
            .iter()
            .map(|m| InspectedMessage {
                role: m.role,
                text: m.text(),
            })
            .collect();
    }
}

/// The record of every agent of the current run, by workspace and agent.
#[derive(Debug, Default)]
pub(crate) struct AgentBook(HashMap<(String, String), AgentRecord>);

impl AgentBook {
    pub fn entry(&mut self, workspace: &str, agent: &str) -> &mut AgentRecord {
        self.0
            .entry((workspace.to_string(), agent.to_string()))
            .or_default()
    }

    /// The record of the agent a call is made for; `None` for calls of no agent (the planner).
    pub fn of(&mut self, scope: &CallScope) -> Option<&mut AgentRecord> {
        match (&scope.workspace, &scope.agent) {
            (Some(ws), Some(agent)) => Some(self.entry(ws, agent)),
            _ => None,
        }
    }

    pub fn get(&self, workspace: &str, agent: &str) -> Option<&AgentRecord> {
        self.0.get(&(workspace.to_string(), agent.to_string()))
    }
}

/// An agent as its team file describes it, in a few readable lines.
pub fn persona(agent: &Agent) -> String {
    let mut s = format!("{}\n{}\n", agent.address(), agent.description.trim());
    if !agent.capabilities.is_empty() {
        s.push_str(&format!(
            "Capabilities: {}\n",
            agent.capabilities.join(", ")
        ));
    }
    if let Some(extra) = agent
        .instructions
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        s.push_str(&format!("Instructions:\n{extra}\n"));
    }
    if let Some(model) = &agent.model {
        s.push_str(&format!("Model: {model}\n"));
    }
    s
}

/// Answers [`super::Command::Inspect`]: an `AgentInspected` event, or a warning if the agent is
/// not a member of that workspace of the running plan.
pub(crate) fn inspect(shared: &Shared, workspace: &str, agent: &str) {
    let member = lock(&shared.gates).is_member(workspace, agent);
    let Some(profile) = shared.config.team.agent(agent).filter(|_| member) else {
        shared.warn(
            Some(workspace),
            format!("no agent '{agent}' in workspace '{workspace}'"),
        );
        return;
    };
    let record = lock(&shared.book)
        .agents
        .get(workspace, agent)
        .cloned()
        .unwrap_or_default();
    shared.emit(Event::AgentInspected {
        workspace: workspace.to_string(),
        agent: agent.to_string(),
        persona: persona(profile),
        model: shared.model_for(Some(agent)),
        system: record.system,
        request: record.request,
        reply: record.reply,
        turns: record.turns,
        totals: record.totals,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{ChatMessage, Output, Part, Role};

    #[test]
    fn persona_lists_what_the_team_file_says() {
        let mut agent = Agent {
            name: "chef".into(),
            team: "kitchen".into(),
            description: "Plans the menu.".into(),
            capabilities: vec!["menus".into(), "budgets".into()],
            model: None,
            instructions: Some("  Be brief.  ".into()),
        };
        assert_eq!(
            persona(&agent),
            "chef@kitchen\nPlans the menu.\nCapabilities: menus, budgets\nInstructions:\nBe brief.\n"
        );
        agent.capabilities.clear();
        agent.instructions = None;
        agent.model = Some("small-model".into());
        assert_eq!(
            persona(&agent),
            "chef@kitchen\nPlans the menu.\nModel: small-model\n"
        );
    }

    #[test]
    fn a_record_keeps_only_the_last_request_with_its_parts_joined() {
        let req = |system: &str, ask: &str| LlmRequest {
            model: "m".into(),
            system: vec![Part::cached(system), Part::new("!")],
            messages: vec![ChatMessage::user(vec![
                Part::cached("log "),
                Part::new(ask),
            ])],
            max_tokens: 10,
            output: Output::Text,
            temperature: None,
        };
        let mut book = AgentBook::default();
        let scope = CallScope {
            workspace: Some("w".into()),
            agent: Some("a".into()),
        };
        for (system, ask) in [("first", "one"), ("second", "two")] {
            if let Some(r) = book.of(&scope) {
                r.sent(&req(system, ask));
            }
        }
        assert!(book.of(&CallScope::default()).is_none());
        let rec = book.get("w", "a").cloned().unwrap_or_default();
        assert_eq!(rec.system.as_deref(), Some("second!"));
        assert_eq!(
            rec.request,
            [InspectedMessage {
                role: Role::User,
                text: "log two".into()
            }]
        );
        assert!(book.get("w", "b").is_none());
    }
}
