//! The simulated planner: one leaf per team (teams of one join the closest leaf), big teams split
//! under an inner node when the depth allows, and simple feedback on a previous plan honoured
//! visibly (drop or add a team or agent, merge, split, or a note added to the descriptions).

use std::collections::HashSet;

mod feedback;
mod groups;

use self::feedback::read_feedback;
use self::groups::{group_by_team, merge_named, merge_singles, merge_smallest, split_group};
use super::facts::Facts;
use super::read::{self, RosterAgent, has_phrase, norm};
use super::rng::Rng;
use super::task::task_title;
use super::topics::{Role, capitalize, join_and};
use crate::engine::plan::{Plan, slug};
use crate::engine::protocol::{header, parse_plan};
use crate::llm::{LlmRequest, Role as ChatRole};

/// A roster agent with what the planner knows about it.
struct Staff {
    agent: RosterAgent,
    role: Role,
    /// Team name without its `_team` suffix: "venue".
    team_key: String,
    /// Content words of its capabilities and description, for closeness.
    words: HashSet<String>,
}

const STOPWORDS: &[&str] = &[
    "and", "the", "for", "with", "all", "every", "from", "plans", "plan", "runs", "owns", "team",
    "their", "within", "options", "each", "new", "before", "launch",
];

fn team_key(team: &str) -> String {
    let lower = team.to_lowercase();
    let trimmed = ["_team", "-team", " team"]
        .iter()
        .find_map(|s| lower.strip_suffix(s))
        .unwrap_or(&lower);
    let key = slug(trimmed);
    if key.is_empty() {
        "team".to_string()
    } else {
        key
    }
}

fn staff_of(roster: Vec<RosterAgent>) -> Vec<Staff> {
    roster
        .into_iter()
        .map(|agent| {
            let role = Role::of(&agent.name, &agent.description, &agent.capabilities);
            let text = norm(&format!(
                "{} {}",
                agent.capabilities.join(" "),
                agent.description
            ));
            let words = text
                .split_whitespace()
                .filter(|w| w.len() > 2 && !STOPWORDS.contains(w))
                .map(str::to_string)
                .collect();
            let team_key = team_key(&agent.team);
            Staff {
                agent,
                role,
                team_key,
                words,
            }
        })
        .collect()
}

/// The plan the simulated planner submits for a `submit_plan` request.
pub(super) fn plan(req: &LlmRequest, seed: u64) -> Plan {
    let users = read::user_texts(req);
    let first = users.first().cloned().unwrap_or_default();
    let task = read::section(&first, header::TASK)
        .unwrap_or(first.as_str())
        .trim()
        .to_string();
    let max_depth = read::max_depth(&first);
    let staff = staff_of(read::roster(&first));
    let feedback_text = users
        .iter()
        .skip(1)
        .filter_map(|u| read::feedback(u))
        .next_back()
        .unwrap_or_default();
    let feedback_text = feedback_text.as_str();
    let previous = req
        .messages
        .iter()
        .rfind(|m| m.role == ChatRole::Assistant)
        .and_then(|m| parse_plan(&m.text()).ok());
    let facts = Facts::from_task(&task, seed);
    let mut rng = Rng::new(seed, &["plan", &task, feedback_text]);
    let title = task_title(&task);
    let root_id = match short_slug(&title) {
        id if id.is_empty() => "plan".to_string(),
        id => id,
    };
    let mut root = Plan {
        id: root_id.clone(),
        title,
        description: format!(
            "Combine the workstreams into one plan for: {}.",
            clip(&task, 240).trim_end_matches(['.', '!'])
        ),
        agents: Vec::new(),
        children: Vec::new(),
    };
    if staff.is_empty() {
        return root;
    }

    let mut feedback = read_feedback(feedback_text, &staff);
    let mut base: Vec<usize> = (0..staff.len()).collect();
    if let Some(prev) = &previous {
        let kept: Vec<usize> = base
            .iter()
            .copied()
            .filter(|&i| prev.all_agents().contains(&staff[i].agent.name))
            .collect();
        if kept.len() >= 2 {
            base = kept;
        }
    }
    for (clause, agents) in std::mem::take(&mut feedback.add) {
        let missing: Vec<usize> = agents.into_iter().filter(|i| !base.contains(i)).collect();
        if missing.is_empty() {
            feedback.notes.push(clause);
        }
        base.extend(missing);
    }
    base.sort_unstable();
    let without: Vec<usize> = base
        .iter()
        .copied()
        .filter(|i| !feedback.drop.contains(i))
        .collect();
    let dropped: Vec<usize> = if without.len() >= 2 {
        base.iter()
            .copied()
            .filter(|i| feedback.drop.contains(i))
            .collect()
    } else {
        Vec::new()
    };
    if without.len() >= 2 {
        base = without;
    }
    // Said in the root description, and kept when the root itself becomes the leaf.
    let mut revision = String::new();
    if !feedback_text.trim().is_empty() {
        revision.push_str(&format!(
            " Revised after the person's feedback: \"{}\".",
            clip(feedback_text, 200)
        ));
    }
    if !dropped.is_empty() {
        let names: Vec<String> = dropped
            .iter()
            .map(|&i| staff[i].agent.name.clone())
            .collect();
        revision.push_str(&format!(" Left out as asked: {}.", join_and(&names)));
    }
    root.description.push_str(&revision);

    let mut groups = group_by_team(&staff, &base);
    merge_singles(&mut groups, &staff);
    if !feedback.merge_teams.is_empty() {
        merge_named(&mut groups, &staff, &feedback.merge_teams);
    } else if feedback.fewer && groups.len() > 1 {
        let target = groups.len().div_ceil(2).max(1);
        while groups.len() > target {
            merge_smallest(&mut groups, &staff);
        }
    }
    let splittable = groups.iter().any(|g| g.members.len() >= 4);
    if let Some(clause) = feedback.split.take() {
        if max_depth == 1 && splittable {
            groups = groups
                .into_iter()
                .flat_map(|g| split_group(g, &staff))
                .collect();
        } else if !splittable {
            // Nothing can be split without leaving a leaf of one: the wish goes to the leaves.
            feedback.notes.push(clause);
        }
    }
    if groups.len() == 1 {
        groups = groups
            .into_iter()
            .flat_map(|g| split_group(g, &staff))
            .collect();
    }

    let ctx = Ctx {
        staff: &staff,
        facts: &facts,
        notes: &feedback.notes,
    };
    if max_depth == 0 || feedback.single || groups.len() == 1 {
        let members = if max_depth == 0 {
            pick_three(&staff, &base, &task)
        } else {
            base.clone()
        };
        root.agents = members
            .iter()
            .map(|&i| staff[i].agent.name.clone())
            .collect();
        root.description = format!(
            "{}{revision}",
            leaf_description(&ctx, &members, &mut rng, true)
        );
        return root;
    }

    let mut used_ids: HashSet<String> = HashSet::from([root_id]);
    for g in groups {
        let id = unique(&g.key, &mut used_ids);
        if max_depth >= 2 && g.members.len() >= 4 && !g.merged {
            let half = g.members.len().div_ceil(2);
            let mut children: Vec<Plan> = [&g.members[..half], &g.members[half..]]
                .into_iter()
                .map(|part| leaf(&ctx, part, String::new(), &mut rng))
                .collect();
            for c in &mut children {
                c.id = unique(&short_slug(&c.title), &mut used_ids);
            }
            root.children.push(Plan {
                description: format!(
                    "Combine \"{}\" and \"{}\" into one {} plan for {}, with one budget and one timeline.",
                    children[0].title,
                    children[1].title,
                    g.key.replace('-', " "),
                    facts.subject
                ),
                id,
                title: format!("{} workstream", capitalize(&g.key.replace('-', " "))),
                agents: vec![staff[g.members[0]].agent.name.clone()],
                children,
            });
        } else {
            root.children.push(leaf(&ctx, &g.members, id, &mut rng));
        }
    }
    root
}

/// A slug of at most 30 characters, cut at a dash.
fn short_slug(text: &str) -> String {
    let mut id = slug(text);
    while id.len() > 30 {
        match id.rfind('-') {
            Some(cut) => id.truncate(cut),
            None => id.truncate(30),
        }
    }
    id
}

struct Ctx<'a> {
    staff: &'a [Staff],
    facts: &'a Facts,
    notes: &'a [String],
}

fn clip(text: &str, max: usize) -> String {
    let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() <= max {
        return t;
    }
    let cut: String = t.chars().take(max).collect();
    format!("{}…", cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a))
}

fn unique(base: &str, used: &mut HashSet<String>) -> String {
    let base = if base.is_empty() { "workspace" } else { base };
    let mut id = base.to_string();
    let mut n = 2;
    while used.contains(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    used.insert(id.clone());
    id
}

fn leaf(ctx: &Ctx<'_>, members: &[usize], id: String, rng: &mut Rng) -> Plan {
    Plan {
        id,
        title: leaf_title(ctx.staff, members),
        description: leaf_description(ctx, members, rng, false),
        agents: members
            .iter()
            .map(|&i| ctx.staff[i].agent.name.clone())
            .collect(),
        children: Vec::new(),
    }
}

fn leaf_title(staff: &[Staff], members: &[usize]) -> String {
    let mut labels: Vec<String> = Vec::new();
    for &i in members {
        let s = staff[i].role.short();
        if !labels.contains(&s) {
            labels.push(s);
        }
    }
    if labels.len() > 4 {
        let more = labels.len() - 3;
        labels.truncate(3);
        labels.push(format!("{more} more"));
    }
    capitalize(&join_and(&labels))
}

const OPENERS: &[&str] = &["Deliver for {s}:", "For {s}, produce", "Prepare for {s}:"];
const CLOSINGS: &[&str] = &[
    "Decide rather than list options: name the choice, the date and the cost.",
    "End with one decision-ready plan: owners, dates, costs and risks.",
    "The result must name owners, dates and costs, and list the open risks.",
];

fn leaf_description(ctx: &Ctx<'_>, members: &[usize], rng: &mut Rng, whole_task: bool) -> String {
    let parts: Vec<String> = members
        .iter()
        .map(|&i| {
            format!(
                "{} ({})",
                ctx.staff[i].role.deliverable(),
                ctx.staff[i].agent.name
            )
        })
        .collect();
    let mut s = format!(
        "{} {}.",
        rng.pick(OPENERS).replace("{s}", &ctx.facts.subject),
        parts.join("; ")
    );
    if whole_task {
        s = format!("One workspace covers the whole task. {s}");
    }
    let given = ctx.facts.given();
    if !given.is_empty() {
        s.push_str(&format!(" Plan for {given}."));
    }
    s.push(' ');
    let closing = *rng.pick(CLOSINGS);
    s.push_str(closing);
    for note in ctx.notes {
        let n = norm(note);
        let relevant = whole_task
            || members.iter().any(|&i| {
                let st = &ctx.staff[i];
                has_phrase(&n, &st.team_key)
                    || has_phrase(&n, &st.agent.name)
                    || st.agent.capabilities.iter().any(|c| has_phrase(&n, c))
                    || st
                        .role
                        .topics
                        .iter()
                        .any(|t| t.keys.iter().any(|k| has_phrase(&n, k)))
            })
            || !notes_match_anyone(ctx, &n);
        if relevant {
            s.push_str(&format!(" Person's note: {}.", note.trim_end_matches('.')));
        }
    }
    s
}

/// A note that matches no agent applies to every leaf.
fn notes_match_anyone(ctx: &Ctx<'_>, n: &str) -> bool {
    ctx.staff.iter().any(|st| {
        has_phrase(n, &st.team_key)
            || has_phrase(n, &st.agent.name)
            || st.agent.capabilities.iter().any(|c| has_phrase(n, c))
            || st
                .role
                .topics
                .iter()
                .any(|t| t.keys.iter().any(|k| has_phrase(n, k)))
    })
}

/// Depth 0: the three agents that fit the task best, one per team first.
fn pick_three(staff: &[Staff], base: &[usize], task: &str) -> Vec<usize> {
    let t = norm(task);
    let score = |i: usize| {
        let st = &staff[i];
        st.agent
            .capabilities
            .iter()
            .filter(|c| has_phrase(&t, c))
            .count()
            * 3
            + st.words
                .iter()
                .filter(|w| t.contains(&format!(" {w} ")))
                .count()
    };
    let mut ranked: Vec<usize> = base.to_vec();
    ranked.sort_by_key(|&i| (std::cmp::Reverse(score(i)), i));
    let mut chosen: Vec<usize> = Vec::new();
    let mut teams: HashSet<&str> = HashSet::new();
    for &i in &ranked {
        if chosen.len() < 3 && teams.insert(&staff[i].team_key) {
            chosen.push(i);
        }
    }
    for &i in &ranked {
        if chosen.len() < 3 && !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    chosen.sort_unstable();
    chosen
}

/// A plan with one flaw the engine's validation catches: an agent who is not in the roster.
pub(super) fn flawed(plan_json: &str) -> String {
    let Ok(mut plan) = parse_plan(plan_json) else {
        return plan_json.to_string();
    };
    let target: &mut Plan = if plan.children.is_empty() {
        &mut plan
    } else if plan.children[0].children.is_empty() {
        &mut plan.children[0]
    } else {
        &mut plan.children[0].children[0]
    };
    target.agents.push("project_assistant".to_string());
    serde_json::to_string(&plan).unwrap_or_else(|_| plan_json.to_string())
}
