//! Reading the person's feedback on a plan: teams or agents to drop or add, merges, splits, and
//! everything else as notes for the descriptions.

use std::collections::HashSet;

use super::Staff;
use crate::llm::sim::read::{has_phrase, norm};

/// What the person's feedback asks for.
#[derive(Default)]
pub(super) struct Feedback {
    pub drop: HashSet<usize>,
    /// Clauses asking to add agents, with those agents; a clause about agents who are already
    /// in the plan is a note instead.
    pub add: Vec<(String, Vec<usize>)>,
    pub merge_teams: Vec<String>,
    pub fewer: bool,
    pub single: bool,
    /// The clause asking for more, smaller workspaces.
    pub split: Option<String>,
    pub notes: Vec<String>,
}

const NEGATIONS: &[&str] = &[
    "without",
    "drop",
    "remove",
    "exclude",
    "excluding",
    "skip",
    "not",
    "don t",
    "do not",
    "leave out",
    "minus",
    "except",
    "cut",
    "lose",
    "get rid of",
    "omit",
    "no more",
    "no need for",
];
const ADDITIONS: &[&str] = &[
    "add",
    "include",
    "bring back",
    "put back",
    "with",
    "plus",
    "also use",
];
const MERGES: &[&str] = &["merge", "combine", "consolidate", "join", "put together"];
const FEWER: &[&str] = &[
    "fewer",
    "less workspaces",
    "less teams",
    "reduce",
    "simpler",
    "too many",
];
const SINGLE: &[&str] = &[
    "one workspace",
    "single workspace",
    "one team",
    "a single team",
];
const SPLITS: &[&str] = &[
    "split",
    "more workspaces",
    "more parallel",
    "break up",
    "separate workspaces",
    "smaller workspaces",
];

/// Word index of every occurrence of `phrase` in the normalized clause.
fn word_positions(clause: &str, phrase: &str) -> Vec<usize> {
    let p = norm(phrase);
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = clause[from..].find(&p) {
        let at = from + k;
        out.push(clause[..at + 1].split_whitespace().count());
        from = at + 1;
    }
    out
}

enum Mention {
    Agent(usize),
    Team(String),
}

/// Agents and teams named in a normalized clause, with their word positions. Full agent names
/// first (so "marketing_manager" is not read as the marketing team), then team names, then an
/// agent's distinctive first word ("catering" for catering_manager).
fn mentions(clause: &str, staff: &[Staff]) -> Vec<(usize, Mention)> {
    let mut text = clause.to_string();
    let mut out = Vec::new();
    let blank = |text: &mut String, phrase: &str| {
        let p = norm(phrase);
        *text = text.replace(&p, &" ".repeat(p.len()));
    };
    for (i, st) in staff.iter().enumerate() {
        for pos in word_positions(&text, &st.agent.name) {
            out.push((pos, Mention::Agent(i)));
        }
    }
    for st in staff {
        blank(&mut text, &st.agent.name);
    }
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for st in staff {
        let k = (st.team_key.as_str(), st.agent.team.as_str());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    for &(key, team) in &keys {
        let phrase = if has_phrase(&text, team) { team } else { key };
        for pos in word_positions(&text, phrase) {
            out.push((pos, Mention::Team(key.to_string())));
        }
        blank(&mut text, phrase);
    }
    for (i, st) in staff.iter().enumerate() {
        let Some(first) = st
            .agent
            .name
            .split(['_', '-'])
            .next()
            .filter(|w| w.len() >= 4)
        else {
            continue;
        };
        let shared = staff
            .iter()
            .filter(|o| o.agent.name.split(['_', '-']).next() == Some(first))
            .count()
            > 1;
        if shared || keys.iter().any(|(k, _)| *k == first) {
            continue;
        }
        for pos in word_positions(&text, first) {
            out.push((pos, Mention::Agent(i)));
        }
    }
    out.sort_by_key(|(p, _)| *p);
    out
}

/// A clause as a note: without a leading "and", "also" or "please", capitalized.
fn note(clause: &str) -> String {
    let mut text = clause.trim();
    for lead in ["and ", "also ", "please ", "but ", "then "] {
        if text.len() > lead.len() && text[..lead.len()].eq_ignore_ascii_case(lead) {
            text = text[lead.len()..].trim_start();
        }
    }
    let mut c = text.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

pub(super) fn read_feedback(text: &str, staff: &[Staff]) -> Feedback {
    let mut fb = Feedback::default();
    let clauses = text
        .split(['\n', ',', ';', '.', '!', '?'])
        .flat_map(|c| c.split(" but "))
        .map(str::trim)
        .filter(|c| !c.is_empty());
    for clause in clauses {
        let n = norm(clause);
        let found = mentions(&n, staff);
        let before = |words: &[&str], pos: usize, reach: usize| {
            words.iter().any(|w| {
                word_positions(&n, w)
                    .iter()
                    .any(|&p| p < pos && pos - p <= reach)
            })
        };
        let mut acted = false;
        let mut added: Vec<usize> = Vec::new();
        let merge = MERGES.iter().any(|w| has_phrase(&n, w));
        if SINGLE.iter().any(|w| has_phrase(&n, w)) {
            fb.single = true;
            acted = true;
        } else if SPLITS.iter().any(|w| has_phrase(&n, w)) {
            fb.split = Some(note(clause));
            acted = true;
        } else if merge || FEWER.iter().any(|w| has_phrase(&n, w)) {
            let teams: Vec<String> = found
                .iter()
                .map(|(_, m)| match m {
                    Mention::Team(k) => k.clone(),
                    Mention::Agent(i) => staff[*i].team_key.clone(),
                })
                .collect();
            if merge && teams.iter().collect::<HashSet<_>>().len() >= 2 {
                fb.merge_teams.extend(teams);
            } else {
                fb.fewer = true;
            }
            acted = true;
        } else {
            for (pos, m) in &found {
                let negated = before(NEGATIONS, *pos, 4) || before(&["no"], *pos, 2);
                let adding = !negated && before(ADDITIONS, *pos, 4);
                if !negated && !adding {
                    continue;
                }
                let agents: Vec<usize> = match m {
                    Mention::Agent(i) => vec![*i],
                    Mention::Team(k) => (0..staff.len())
                        .filter(|&i| &staff[i].team_key == k)
                        .collect(),
                };
                if negated {
                    fb.drop.extend(agents);
                    acted = true;
                } else {
                    added.extend(agents);
                }
            }
        }
        if !added.is_empty() {
            fb.add.push((note(clause), added));
        } else if !acted {
            fb.notes.push(note(clause));
        }
    }
    fb
}
