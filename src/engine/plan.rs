//! The plan: a tree of task nodes, each leaf staffed by two or more agents; its checks and repair.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::team::Team;

/// One node of the plan; each becomes a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Agent names (not addresses) staffing this node.
    #[serde(default)]
    pub agents: Vec<String>,
    #[serde(default)]
    pub children: Vec<Plan>,
}

impl Plan {
    pub fn is_leaf(&self) -> bool {
        self.children.is_empty()
    }
    /// Every node, parents before children.
    pub fn nodes(&self) -> Vec<&Plan> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.nodes());
        }
        out
    }
    /// Depth of the tree: a lone root is depth 0.
    pub fn depth(&self) -> usize {
        self.children
            .iter()
            .map(|c| c.depth() + 1)
            .max()
            .unwrap_or(0)
    }
    /// Every agent named anywhere in this subtree, in order of first appearance.
    pub fn all_agents(&self) -> Vec<String> {
        let mut seen = Vec::new();
        for n in self.nodes() {
            for a in &n.agents {
                if !seen.contains(a) {
                    seen.push(a.clone());
                }
            }
        }
        seen
    }
}

/// Checks a plan against the roster and the depth limit; returns every problem, in words the
/// planner can act on. Empty means valid.
pub fn validate(plan: &Plan, team: &Team, max_depth: usize) -> Vec<String> {
    let mut problems = Vec::new();
    let mut ids = HashSet::new();
    check_node(plan, team, max_depth, 0, &mut ids, &mut problems);
    problems
}

fn check_node(
    node: &Plan,
    team: &Team,
    max_depth: usize,
    depth: usize,
    ids: &mut HashSet<String>,
    problems: &mut Vec<String>,
) {
    if node.id.trim().is_empty() {
        problems.push(format!("node '{}' has an empty id", node.title));
    } else if !is_id(&node.id) {
        problems.push(format!(
            "id '{}' must be a short slug: letters, digits, '-' or '_', at most {MAX_ID_LEN}",
            node.id.escape_default()
        ));
    } else if !ids.insert(node.id.clone()) {
        problems.push(format!("id '{}' is used by more than one node", node.id));
    }
    for a in &node.agents {
        if team.agent(a).is_none() {
            problems.push(format!(
                "node '{}' names agent '{a}', who is not in the roster",
                node.id
            ));
        }
    }
    let mut seen = HashSet::new();
    for a in &node.agents {
        if !seen.insert(a) {
            problems.push(format!("node '{}' lists agent '{a}' twice", node.id));
        }
    }
    if node.is_leaf() && node.agents.len() < 2 {
        problems.push(format!(
            "leaf '{}' has {} agent(s); every leaf needs at least 2",
            node.id,
            node.agents.len()
        ));
    }
    if !node.is_leaf() && depth >= max_depth {
        problems.push(format!(
            "node '{}' is at depth {depth}, the limit; it must be a leaf",
            node.id
        ));
    }
    let mut owner: HashMap<String, &str> = HashMap::new();
    for child in &node.children {
        for a in child.all_agents() {
            match owner.get(&a) {
                Some(first) => problems.push(format!(
                    "agent '{a}' appears in sibling nodes '{first}' and '{}'",
                    child.id
                )),
                None => {
                    owner.insert(a, &child.id);
                }
            }
        }
    }
    for child in &node.children {
        check_node(child, team, max_depth, depth + 1, ids, problems);
    }
}

/// Makes an invalid plan valid without asking the model again, and says what it changed:
/// drops unknown and repeated agents, flattens nodes below the depth limit into leaves, renames
/// repeated ids, and tops up leaves with fewer than two agents from agents unused among their
/// siblings, best capability match first.
pub fn repair(plan: &Plan, team: &Team, max_depth: usize) -> (Plan, Vec<String>) {
    let mut notes = Vec::new();
    let mut plan = plan.clone();
    let mut ids = HashSet::new();
    repair_node(
        &mut plan,
        team,
        max_depth,
        0,
        &HashSet::new(),
        &mut ids,
        &mut notes,
    );
    (plan, notes)
}

/// `outside`: the agents of the siblings of this node and of its ancestors, which a leaf below
/// must not take when topped up (they would then appear in two sibling subtrees).
fn repair_node(
    node: &mut Plan,
    team: &Team,
    max_depth: usize,
    depth: usize,
    outside: &HashSet<String>,
    ids: &mut HashSet<String>,
    notes: &mut Vec<String>,
) {
    if !is_id(&node.id) {
        let fixed = if node.id.trim().is_empty() {
            slug(&node.title)
        } else {
            slug(&node.id)
        };
        if !node.id.trim().is_empty() {
            notes.push(format!(
                "made id '{}' a slug: '{fixed}'",
                node.id.escape_default()
            ));
        }
        node.id = fixed;
    }
    if node.id.is_empty() {
        node.id = "node".into();
    }
    if ids.contains(&node.id) {
        let base = node.id.clone();
        // The id is an ASCII slug here; cut it so that the numbered one is still short enough.
        let numbered = |n: usize| {
            let suffix = format!("-{n}");
            let keep = base.len().min(MAX_ID_LEN.saturating_sub(suffix.len()));
            format!("{}{suffix}", &base[..keep])
        };
        let mut n = 2;
        while ids.contains(&numbered(n)) {
            n += 1;
        }
        node.id = numbered(n);
        notes.push(format!("renamed a repeated id '{base}' to '{}'", node.id));
    }
    ids.insert(node.id.clone());

    if !node.is_leaf() && depth >= max_depth {
        let agents = node.all_agents();
        notes.push(format!(
            "flattened '{}' into a leaf: it was deeper than --max-depth {max_depth}",
            node.id
        ));
        node.children.clear();
        node.agents = agents;
    }

    let before = node.agents.clone();
    let mut seen = HashSet::new();
    node.agents
        .retain(|a| team.agent(a).is_some() && seen.insert(a.clone()));
    for a in before.iter().filter(|a| team.agent(a).is_none()) {
        notes.push(format!("dropped unknown agent '{a}' from '{}'", node.id));
    }

    // Siblings may not share agents: the first sibling keeps it.
    let mut taken: HashSet<String> = HashSet::new();
    for child in &mut node.children {
        strip_agents(child, &taken, notes);
        taken.extend(
            child
                .all_agents()
                .into_iter()
                .filter(|a| team.agent(a).is_some()),
        );
    }
    // Agents outside child `i`'s subtree, as things stand.
    let outside_child = |children: &[Plan], i: usize| -> HashSet<String> {
        children
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .flat_map(|(_, c)| c.all_agents())
            .chain(outside.iter().cloned())
            .collect()
    };
    for i in 0..node.children.len() {
        let others = outside_child(&node.children, i);
        repair_node(
            &mut node.children[i],
            team,
            max_depth,
            depth + 1,
            &others,
            ids,
            notes,
        );
    }
    // Top up after children are repaired, so that agents freed above are available; one child at a
    // time, so that each sees what its siblings took.
    for i in 0..node.children.len() {
        let others = outside_child(&node.children, i);
        top_up(&mut node.children[i], team, &others, notes);
    }
    if depth == 0 {
        top_up(node, team, &HashSet::new(), notes);
    }
}

fn strip_agents(node: &mut Plan, taken: &HashSet<String>, notes: &mut Vec<String>) {
    let id = node.id.clone();
    node.agents.retain(|a| {
        let keep = !taken.contains(a);
        if !keep {
            notes.push(format!(
                "removed '{a}' from '{id}': a sibling already has that agent"
            ));
        }
        keep
    });
    for c in &mut node.children {
        strip_agents(c, taken, notes);
    }
}

/// Leaves get at least two agents, preferring those whose capabilities match the node's words and
/// who are not used by a sibling (of the leaf or of one of its ancestors).
fn top_up(
    node: &mut Plan,
    team: &Team,
    used_by_siblings: &HashSet<String>,
    notes: &mut Vec<String>,
) {
    if !node.is_leaf() || node.agents.len() >= 2 {
        return;
    }
    let words = format!("{} {}", node.title, node.description).to_lowercase();
    let score = |name: &str| {
        team.agent(name).map_or(0, |a| {
            a.capabilities
                .iter()
                .filter(|c| words.contains(&c.to_lowercase()))
                .count()
                * 2
                + words.contains(&a.team.replace('_', " ").replace(" team", "")) as usize
        })
    };
    let mut candidates: Vec<&str> = team
        .agents
        .iter()
        .map(|a| a.name.as_str())
        .filter(|a| !node.agents.iter().any(|x| x == a))
        .collect();
    // Stable: unused by siblings first (a sibling's agent only when the roster has no other),
    // then best score, then roster order.
    candidates.sort_by_key(|a| (used_by_siblings.contains(*a), std::cmp::Reverse(score(a))));
    for a in candidates {
        if node.agents.len() >= 2 {
            break;
        }
        notes.push(format!(
            "added '{a}' to '{}' so that it has two agents",
            node.id
        ));
        node.agents.push(a.to_string());
    }
}

/// The longest id (and slug) of a node.
const MAX_ID_LEN: usize = 40;

/// Whether an id is a short slug, safe to show anywhere and to use in a file name.
fn is_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Lower-case, dash-separated form of a title, for ids and directory names.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    if out.len() > MAX_ID_LEN {
        // Cut at a word boundary when there is one.
        let cut = out[..=MAX_ID_LEN]
            .rfind('-')
            .filter(|&i| i > 0)
            .unwrap_or(MAX_ID_LEN);
        out.truncate(cut);
    }
    out.trim_end_matches('-').to_string()
}

/// JSON schema of a plan, for structured output. Recursive through `$defs`.
pub fn json_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "short unique slug, e.g. \"venue\""},
            "title": {"type": "string"},
            "description": {"type": "string", "description": "what this workspace must deliver"},
            "agents": {"type": "array", "items": {"type": "string"}, "description": "agent names from the roster"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}
        },
        "required": ["id", "title", "description", "agents", "children"],
        "$defs": {
            "node": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "agents": {"type": "array", "items": {"type": "string"}},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}
                },
                "required": ["id", "title", "description", "agents", "children"]
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::team;

    fn leaf(id: &str, agents: &[&str]) -> Plan {
        Plan {
            id: id.into(),
            title: id.into(),
            description: String::new(),
            agents: agents.iter().map(|s| s.to_string()).collect(),
            children: vec![],
        }
    }
    fn node(id: &str, children: Vec<Plan>) -> Plan {
        Plan {
            id: id.into(),
            title: id.into(),
            description: String::new(),
            agents: vec![],
            children,
        }
    }

    #[test]
    fn a_good_plan_has_no_problems() {
        let team = team::preset("conference").unwrap();
        let plan = node(
            "root",
            vec![
                leaf("venue", &["venue_coordinator", "catering_manager"]),
                node(
                    "content",
                    vec![
                        leaf("talks", &["program_director", "speaker_coordinator"]),
                        leaf("review", &["content_reviewer", "marketing_manager"]),
                    ],
                ),
            ],
        );
        assert_eq!(validate(&plan, &team, 3), Vec::<String>::new());
        assert_eq!(plan.depth(), 2);
    }

    #[test]
    fn every_kind_of_problem_is_reported() {
        let team = team::preset("conference").unwrap();
        let plan = node(
            "root",
            vec![
                leaf("a", &["venue_coordinator", "ghost"]),
                leaf("a", &["venue_coordinator", "tech_setup", "tech_setup"]),
                node(
                    "deep",
                    vec![node(
                        "deeper",
                        vec![leaf("x", &["program_director", "speaker_coordinator"])],
                    )],
                ),
            ],
        );
        let problems = validate(&plan, &team, 2);
        let expected = [
            "node 'a' names agent 'ghost', who is not in the roster",
            "id 'a' is used by more than one node",
            "node 'a' lists agent 'tech_setup' twice",
            "agent 'venue_coordinator' appears in sibling nodes 'a' and 'a'",
            "node 'deeper' is at depth 2, the limit; it must be a leaf",
        ];
        for e in expected {
            assert!(
                problems.iter().any(|p| p == e),
                "missing {e:?} in {problems:#?}"
            );
        }
    }

    #[test]
    fn repair_makes_any_plan_valid_and_says_what_it_did() {
        let team = team::preset("conference").unwrap();
        let plan = node(
            "root",
            vec![
                leaf("venue", &["venue_coordinator", "ghost"]),
                leaf("venue", &["venue_coordinator"]),
                node(
                    "deep",
                    vec![node(
                        "deeper",
                        vec![leaf("x", &["program_director", "speaker_coordinator"])],
                    )],
                ),
                leaf("", &[]),
            ],
        );
        let (fixed, notes) = repair(&plan, &team, 2);
        assert_eq!(
            validate(&fixed, &team, 2),
            Vec::<String>::new(),
            "{fixed:#?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n == "dropped unknown agent 'ghost' from 'venue'"),
            "{notes:#?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with("renamed a repeated id 'venue'")),
            "{notes:#?}"
        );
        assert!(
            notes.iter().any(|n| n.starts_with("flattened 'deeper'")),
            "{notes:#?}"
        );
        // The flattened node keeps the agents of the subtree it replaced.
        let deeper = fixed
            .nodes()
            .into_iter()
            .find(|n| n.id == "deeper")
            .unwrap()
            .clone();
        assert_eq!(deeper.agents, ["program_director", "speaker_coordinator"]);
    }

    #[test]
    fn top_up_prefers_matching_capabilities() {
        let team = team::preset("conference").unwrap();
        let plan = node(
            "root",
            vec![Plan {
                description: "ticketing and check-in".into(),
                ..leaf("reg", &["marketing_manager"])
            }],
        );
        let (fixed, _) = repair(&plan, &team, 3);
        assert_eq!(
            fixed.children[0].agents,
            ["marketing_manager", "registration_coordinator"]
        );
    }

    #[test]
    fn slug_is_short_and_clean() {
        assert_eq!(
            slug("Organize FutureTech 2025, with 500 attendees!"),
            "organize-futuretech-2025-with-500"
        );
        assert_eq!(slug("  --Venue & Logistics-- "), "venue-logistics");
    }
}
