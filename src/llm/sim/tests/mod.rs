//! Tests of the simulation through the real prompts of `engine::protocol`: plans, workspace
//! conversations and documents, and the streaming client. Shared helpers live here.

mod client;
mod plans;
mod turns;

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use super::*;
use crate::engine::event::{ALL, Message, USER};
use crate::engine::plan::{Plan, validate};
use crate::engine::protocol::{
    ChildResult, TurnContext, aggregate_request, final_request, parse_plan, parse_reply,
    plan_request, reask_request, turn_request,
};
use crate::team::{self, Agent, Team};

const TASK: &str = "Organize FutureTech 2025, a 2-day AI conference for 500 attendees in Berlin in May, budget $400k";

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

fn plan_for(team: &Team, task: &str, depth: usize, seed: u64) -> Plan {
    let req = plan_request("sim", task, team, depth, None, None, &[]);
    parse_plan(&reply_text(&req, seed)).expect("the plan parses")
}

fn replan(team: &Team, task: &str, depth: usize, previous: &Plan, feedback: &str) -> Plan {
    let req = plan_request(
        "sim",
        task,
        team,
        depth,
        Some(previous),
        Some(feedback),
        &[],
    );
    parse_plan(&reply_text(&req, 1)).expect("the plan parses")
}

fn leaves(plan: &Plan) -> Vec<&Plan> {
    plan.nodes().into_iter().filter(|n| n.is_leaf()).collect()
}

fn custom_team() -> Team {
    let agent = |name: &str, team: &str, caps: &[&str]| Agent {
        name: name.into(),
        team: team.into(),
        description: format!("Handles {}.", caps.join(", ")),
        capabilities: caps.iter().map(|c| c.to_string()).collect(),
        model: None,
        instructions: None,
    };
    Team {
        name: "custom".into(),
        description: String::new(),
        keywords: vec![],
        agents: vec![
            agent("venue_coordinator", "venue_team", &["venue", "logistics"]),
            agent("catering_manager", "venue_team", &["catering", "food"]),
            agent("tech_setup", "venue_team", &["audio-visual", "wifi"]),
            agent("stage_hand", "venue_team", &["stage", "equipment"]),
            agent("program_director", "content_team", &["agenda", "keynotes"]),
            agent(
                "speaker_coordinator",
                "content_team",
                &["speakers", "travel"],
            ),
            agent(
                "treasurer",
                "finance_team",
                &["budget", "catering", "vendors"],
            ),
        ],
        limits: Default::default(),
    }
}

fn msg(seq: u64, from: &str, to: &[&str], content: &str) -> Message {
    Message {
        seq,
        workspace: "w".into(),
        from: from.into(),
        to: to.iter().map(|s| s.to_string()).collect(),
        content: content.into(),
        at: 0,
    }
}

/// [`run_task`] on the conference task.
fn run_workspace(
    team: &Team,
    names: &[&str],
    seed: u64,
    task_to_lead: bool,
) -> (Vec<Message>, usize) {
    run_task(team, names, TASK, seed, task_to_lead)
}

/// Runs a workspace the way SPEC §3 orders turns: a message queues one turn per addressee, turns
/// run one at a time in message order, and an agent's single queued turn sees all its messages.
/// Returns the log and the number of turns taken.
fn run_task(
    team: &Team,
    names: &[&str],
    task: &str,
    seed: u64,
    task_to_lead: bool,
) -> (Vec<Message>, usize) {
    let members: Vec<Agent> = names
        .iter()
        .map(|n| team.agent(n).unwrap().clone())
        .collect();
    let node = Plan {
        id: "ws".into(),
        title: "Venue and catering".into(),
        description: "Deliver the venue and catering plan.".into(),
        agents: names.iter().map(|s| s.to_string()).collect(),
        children: vec![],
    };
    let ctx = TurnContext {
        mission: task,
        node: &node,
        members: &members,
        summary: None,
    };
    let first_to = if task_to_lead { names[0] } else { ALL };
    let mut log = vec![msg(1, USER, &[first_to], task)];
    let mut queue: VecDeque<String> = if task_to_lead {
        [names[0].to_string()].into()
    } else {
        names.iter().map(|s| s.to_string()).collect()
    };
    let mut turns = 0;
    while let Some(who) = queue.pop_front() {
        turns += 1;
        assert!(turns <= 12, "no result within 12 turns:\n{log:#?}");
        let agent = team.agent(&who).unwrap();
        let req = turn_request("sim", agent, &ctx, &log, 2048);
        let text = reply_text(&req, seed);
        let reply = parse_reply(&text, &who, &members).unwrap_or_else(|e| panic!("{e}: {text}"));
        let seq = log.len() as u64 + 1;
        log.push(Message {
            seq,
            workspace: "w".into(),
            from: who.clone(),
            to: reply.to.clone(),
            content: reply.content,
            at: 0,
        });
        if reply.to.iter().any(|t| t == USER) {
            return (log, turns);
        }
        for t in &reply.to {
            let targets: Vec<String> = if t == ALL {
                names
                    .iter()
                    .filter(|n| **n != who)
                    .map(|s| s.to_string())
                    .collect()
            } else {
                vec![t.clone()]
            };
            for t in targets {
                if !queue.contains(&t) {
                    queue.push_back(t);
                }
            }
        }
    }
    panic!("the workspace went quiet without a result:\n{log:#?}");
}

fn conference_members() -> (Team, Vec<Agent>, Plan) {
    let team = team::preset("conference").unwrap();
    let members = team.agents[..3].to_vec();
    let node = Plan {
        id: "venue".into(),
        title: "Venue, catering and AV".into(),
        description: "Deliver the venue.".into(),
        agents: members.iter().map(|a| a.name.clone()).collect(),
        children: vec![],
    };
    (team, members, node)
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(f)
}
