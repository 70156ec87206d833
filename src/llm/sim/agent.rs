//! One agent turn of the simulated model, and the workspace result it writes.
//!
//! Policy, chosen so that a workspace of 2–4 members ends in a handful of turns: the lead asks each
//! teammate for its part; a teammate answers the lead with a concrete contribution, and later
//! answers follow-ups briefly; the lead follows up at most once per teammate while others are
//! still missing, nudges once, and sends the integrated result to USER as soon as every teammate
//! has contributed (or nothing else is left to ask).

use serde::Serialize;

use super::docs::{bullet_lines, clip_words, is_risk};
use super::facts::Facts;
use super::read::{self, AgentPrompt, Msg};
use super::rng::Rng;
use super::topics::{Role, capitalize, join_and};
use crate::engine::event::{ALL, USER};
use crate::engine::protocol::header;
use crate::llm::LlmRequest;

/// A reply in `send_message` shape; field order gives `to` before `content` in the JSON.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Turn {
    pub to: Vec<String>,
    pub content: String,
}

/// An agent's view of its workspace, read from the request.
pub(super) struct View {
    me: String,
    prompt: AgentPrompt,
    my_role: Role,
    /// Members in order with their roles; the first leads.
    members: Vec<(String, Role)>,
    facts: Facts,
    log: Vec<Msg>,
    seed: u64,
}

impl View {
    pub(super) fn read(req: &LlmRequest, seed: u64) -> View {
        let prompt = read::agent_prompt(&req.system_text());
        // Messages folded into the running summary still count as said.
        let log = read::user_texts(req)
            .iter()
            .find(|u| u.lines().any(|l| l.trim_end() == header::CONVERSATION))
            .map(|u| {
                let mut log = read::summary_lines(u);
                log.extend(read::conversation(u));
                log
            })
            .unwrap_or_default();
        let task = if !prompt.mission.is_empty() {
            prompt.mission.clone()
        } else {
            log.iter().find(|m| m.from == USER).map_or_else(
                || prompt.workspace_description.clone(),
                |m| m.content.clone(),
            )
        };
        let facts = Facts::from_task(&task, seed);
        let my_role = Role::of(&prompt.name, &prompt.description, &prompt.capabilities);
        let members = prompt
            .members
            .iter()
            .map(|m| {
                let role = if m.name == prompt.name {
                    my_role.clone()
                } else {
                    Role::of(&m.name, &m.description, &[])
                };
                (m.name.clone(), role)
            })
            .collect();
        View {
            me: prompt.name.clone(),
            my_role,
            members,
            facts,
            log,
            seed,
            prompt,
        }
    }

    fn lead(&self) -> &str {
        self.members
            .first()
            .map_or(self.me.as_str(), |(n, _)| n.as_str())
    }

    fn teammates(&self) -> impl Iterator<Item = &(String, Role)> {
        self.members.iter().filter(|(n, _)| *n != self.me)
    }

    fn role_of(&self, name: &str) -> Option<&Role> {
        self.members.iter().find(|(n, _)| n == name).map(|(_, r)| r)
    }

    fn from(&self, name: &str) -> impl Iterator<Item = &Msg> {
        self.log.iter().filter(move |m| m.from == name)
    }

    fn contributed(&self, name: &str) -> bool {
        self.from(name).next().is_some()
    }

    /// Messages from me addressed to `name` (directly or through ALL).
    fn sent_to(&self, name: &str) -> usize {
        self.from(&self.me)
            .filter(|m| m.to.iter().any(|t| t == name || t == ALL))
            .count()
    }

    fn rng(&self, what: &str) -> Rng {
        let turn = (self.from(&self.me).count() + 1).to_string();
        Rng::new(
            self.seed,
            &[&self.me, &self.prompt.workspace_id, &turn, what],
        )
    }

    fn title(&self) -> &str {
        if self.prompt.workspace_title.is_empty() {
            "this workspace"
        } else {
            &self.prompt.workspace_title
        }
    }

    /// Messages from USER after the task itself: notes the person injected during the run.
    fn person_notes(&self) -> Vec<&Msg> {
        self.log.iter().filter(|m| m.from == USER).skip(1).collect()
    }
}

/// The next message of the agent whose turn `req` is.
pub(super) fn turn(req: &LlmRequest, seed: u64) -> Turn {
    let v = View::read(req, seed);
    if v.me == v.lead() || v.members.len() < 2 {
        lead_turn(&v)
    } else {
        member_turn(&v)
    }
}

fn lead_turn(v: &View) -> Turn {
    let pending: Vec<&(String, Role)> = v.teammates().filter(|(n, _)| !v.contributed(n)).collect();
    if pending.is_empty() {
        return Turn {
            to: vec![USER.into()],
            content: result(v, &mut v.rng("result")),
        };
    }
    let kicked_off = v.teammates().any(|(n, _)| v.sent_to(n) > 0);
    if !kicked_off {
        return kickoff(v, &pending);
    }
    // A teammate who contributed and has not had a follow-up since: the latest one first.
    let follow = v
        .log
        .iter()
        .rev()
        .filter(|m| m.from != v.me && m.from != USER && v.role_of(&m.from).is_some())
        .map(|m| m.from.clone())
        .find(|n| {
            let first = v.from(n).map(|m| m.seq).min().unwrap_or(0);
            !v.from(&v.me)
                .any(|m| m.seq > first && m.to.iter().any(|t| t == n))
        });
    if let Some(name) = follow {
        return follow_up(v, &name);
    }
    let unnudged: Vec<&(String, Role)> = pending
        .iter()
        .copied()
        .filter(|(n, _)| v.sent_to(n) < 2)
        .collect();
    if !unnudged.is_empty() {
        return nudge(v, &unnudged);
    }
    Turn {
        to: vec![USER.into()],
        content: result(v, &mut v.rng("result")),
    }
}

const KICKOFF_OPENERS: &[&str] = &["Kicking off", "Let's start on", "Starting"];

fn kickoff(v: &View, pending: &[&(String, Role)]) -> Turn {
    let mut r = v.rng("kickoff");
    let mut s = format!(
        "{} {} for {}. Working assumptions: {}.\n\n",
        r.pick(KICKOFF_OPENERS),
        v.title(),
        v.facts.subject,
        v.facts.assumptions()
    );
    for (name, role) in pending {
        s.push_str(&format!("- {name}: please send {}.\n", role.ask()));
    }
    s.push_str(&format!(
        "\nI will cover {} myself and merge everything into one result for USER. Concrete numbers, names and dates \
please; {} is our internal deadline for the first pass.",
        v.my_role.label().to_lowercase(),
        v.facts.milestone(0.9)
    ));
    Turn {
        to: pending.iter().map(|(n, _)| n.clone()).collect(),
        content: s,
    }
}

/// The first line with a number in a teammate's messages, shortened: what the lead acknowledges.
fn figure(v: &View, name: &str) -> Option<String> {
    v.from(name)
        .flat_map(|m| bullet_lines(&m.content))
        .find(|l| l.chars().any(|c| c.is_ascii_digit()) && !is_risk(l))
        .map(|l| clip_words(&l, 14))
}

fn follow_up(v: &View, name: &str) -> Turn {
    let mut r = v.rng("follow-up");
    let question = v.role_of(name).map_or_else(
        || "Can you firm up your numbers so I can lock them into the result?".to_string(),
        |role| role.follow_up(&mut r),
    );
    let ack = match figure(v, name) {
        Some(f) => format!("Thanks, {name}. Noted: \"{f}\"."),
        None => format!("Thanks, {name}, that helps."),
    };
    let content = format!(
        "{ack} {question} A short answer is enough; I am folding your part into the {} result now.",
        v.title()
    );
    Turn {
        to: vec![name.to_string()],
        content,
    }
}

fn nudge(v: &View, who: &[&(String, Role)]) -> Turn {
    let asks: Vec<String> = who
        .iter()
        .map(|(n, role)| format!("{n}: {}", role.ask()))
        .collect();
    let content = format!(
        "Still missing for {}: {}. Two or three lines with your numbers are enough; otherwise I will use our working \
assumptions ({}) and flag the gap for USER.",
        v.title(),
        asks.join("; "),
        v.facts.assumptions()
    );
    Turn {
        to: who.iter().map(|(n, _)| n.clone()).collect(),
        content,
    }
}

const INTROS: &[&str] = &[
    "Here is the {label} part for {title}:",
    "{Label}: my proposal for {subject}.",
    "My numbers for {label}, based on {headcount} {audience}:",
];

fn member_turn(v: &View) -> Turn {
    let lead = v.lead().to_string();
    let mine: Vec<&Msg> = v.from(&v.me).collect();
    if mine.is_empty() {
        return Turn {
            to: vec![lead],
            content: contribution(v),
        };
    }
    let last_seq = mine.iter().map(|m| m.seq).max().unwrap_or(0);
    let latest = v
        .log
        .iter()
        .rev()
        .find(|m| m.seq > last_seq && m.from != v.me && m.is_for(&v.me));
    let mut r = v.rng("refine");
    match latest {
        Some(m) if m.from != lead && m.from != USER && v.sent_to(&m.from) == 0 => {
            let content = format!(
                "{} {}",
                "On your question:",
                v.my_role.refine(&v.facts, &mut r, &m.content)
            );
            Turn {
                to: vec![m.from.clone()],
                content,
            }
        }
        Some(m) => {
            let mut content = String::new();
            if m.from == USER {
                content.push_str(&format!(
                    "The person asked: \"{}\". ",
                    clip_words(&m.content, 25)
                ));
            }
            let opener = r
                .pick(&["Refined as asked:", "Short update:", "Checked it:"])
                .to_string();
            content.push_str(&format!(
                "{opener} {}",
                v.my_role.refine(&v.facts, &mut r, &m.content)
            ));
            Turn {
                to: vec![lead],
                content,
            }
        }
        None => Turn {
            to: vec![lead],
            content: format!(
                "Nothing new on {} since my last message; my numbers stand. I can adjust once the other parts are in.",
                v.my_role.label().to_lowercase()
            ),
        },
    }
}

fn contribution(v: &View) -> String {
    let mut r = v.rng("contribution");
    let label = v.my_role.label();
    let max = r.range(4, 5) as usize;
    let bullets = v.my_role.bullets(&v.facts, &mut r, max);
    let intro = r
        .pick(INTROS)
        .replace("{label}", &label.to_lowercase())
        .replace("{Label}", &label)
        .replace("{title}", v.title())
        .replace("{subject}", &v.facts.subject)
        .replace("{headcount}", &super::facts::thousands(v.facts.headcount))
        .replace("{audience}", &v.facts.audience);
    let others: Vec<&String> = v
        .teammates()
        .map(|(n, _)| n)
        .filter(|n| *n != v.lead())
        .collect();
    let closing = match (r.below(3), others.first()) {
        (0, Some(other)) => format!(
            "Dependency: {other} and I need to agree on shared numbers by {}; I will send them my figures today.",
            v.facts.milestone(0.75)
        ),
        (1, _) => format!(
            "Decision needed from you: approve this by {} so I can {}.",
            v.facts.milestone(0.8),
            v.my_role.next_step()
        ),
        _ => format!(
            "Open question: is the working budget of {} firm, or should I plan a cheaper option as well?",
            v.facts.money(v.facts.total_budget())
        ),
    };
    let lines: Vec<String> = bullets.iter().map(|b| format!("- {b}")).collect();
    format!("{intro}\n\n{}\n\n{closing}", lines.join("\n"))
}

/// The workspace's deliverable, integrating every contribution: sent to USER by the lead, or
/// written by the last speaker at the turn limit.
pub(super) fn result(v: &View, r: &mut Rng) -> String {
    let per_section = match v.members.len() {
        0..=2 => 5,
        3 => 4,
        _ => 3,
    };
    let mut risks: Vec<String> = Vec::new();
    let mut sections = String::new();
    let mut open: Vec<String> = Vec::new();
    for (name, role) in &v.members {
        let mut lines: Vec<String> = Vec::new();
        let messages: Vec<&Msg> = v
            .from(name)
            .filter(|m| !m.to.iter().any(|t| t == USER))
            .collect();
        let contributed = messages
            .iter()
            .any(|m| !bullet_lines(&m.content).is_empty());
        // The lead's own messages are asks, not contributions: its part comes from its role.
        if name == v.lead() {
            let mut own = role.bullets(&v.facts, r, per_section + 1);
            if let Some(risk) = own.pop() {
                risks.push(risk);
            }
            lines.extend(own);
        } else {
            for m in &messages {
                let bullets = bullet_lines(&m.content);
                if bullets.is_empty() {
                    if contributed {
                        lines.push(format!(
                            "Update: {}",
                            clip_words(strip_opener(&m.content), 45)
                        ));
                    }
                    continue;
                }
                for b in bullets {
                    if is_risk(&b) {
                        risks.push(b);
                    } else if lines.len() < per_section {
                        lines.push(b);
                    }
                }
            }
            if !contributed {
                open.push(format!("{name}: {}", role.ask()));
                lines = vec![format!(
                    "Not delivered yet; planned on the working assumptions ({}).",
                    v.facts.assumptions()
                )];
            }
        }
        sections.push_str(&format!("## {} ({name})\n", role.label()));
        for l in lines {
            sections.push_str(&format!("- {l}\n"));
        }
        sections.push('\n');
    }

    let mut doc = format!("# {}\n\n", v.title());
    let names: Vec<String> = v.members.iter().map(|(n, _)| n.clone()).collect();
    let lead_short = v
        .members
        .first()
        .map_or_else(|| v.my_role.short(), |(_, r)| r.short());
    doc.push_str(&format!(
        "Result for {}: {} parts agreed by {}. Built on {}. Decision needed: approve the {lead_short} \
recommendation and the budget lines below by {}.\n\n",
        v.facts.subject,
        v.members.len(),
        join_and(&names),
        v.facts.assumptions(),
        v.facts.milestone(0.8)
    ));
    let notes = v.person_notes();
    if !notes.is_empty() {
        let quoted: Vec<String> = notes
            .iter()
            .map(|m| format!("\"{}\"", clip_words(&m.content, 20)))
            .collect();
        doc.push_str(&format!(
            "Taken into account from the person: {}.\n\n",
            quoted.join("; ")
        ));
    }
    doc.push_str(&sections);
    doc.push_str("## Risks and open items\n");
    if risks.is_empty() && open.is_empty() {
        doc.push_str("- No blocking risk reported; the dates above are the checkpoints.\n");
    }
    for risk in risks.iter().take(4) {
        doc.push_str(&format!(
            "- {}\n",
            capitalize(risk.trim_start_matches("Risk: "))
        ));
    }
    for o in &open {
        doc.push_str(&format!("- Open: {o}\n"));
    }
    doc.push_str("\n## Next steps\n");
    for (i, (name, role)) in v.members.iter().enumerate() {
        doc.push_str(&format!(
            "{}. {name}: {} by {}.\n",
            i + 1,
            role.next_step(),
            v.facts.milestone(0.85 - 0.1 * i as f64)
        ));
    }
    doc
}

/// A refinement without its opener ("Refined as asked: …").
fn strip_opener(text: &str) -> &str {
    [
        "Refined as asked:",
        "Short update:",
        "Checked it:",
        "On your question:",
    ]
    .iter()
    .find_map(|o| text.find(o).map(|i| text[i + o.len()..].trim_start()))
    .unwrap_or(text)
}

/// The final result at the turn limit, as free text.
pub(super) fn final_text(req: &LlmRequest, seed: u64) -> String {
    let v = View::read(req, seed);
    let mut r = Rng::new(seed, &[&v.me, &v.prompt.workspace_id, "final"]);
    result(&v, &mut r)
}
