//! Grouping agents into leaves: by team, teams of one joining the closest group, and merges or
//! splits on request.

use std::collections::HashSet;

use super::Staff;
use crate::engine::plan::slug;

/// Agents that will share a leaf (or, when big enough, an inner node).
pub(super) struct Group {
    pub key: String,
    pub members: Vec<usize>,
    /// Made by merging on request: stays one leaf.
    pub merged: bool,
}

pub(super) fn group_by_team(staff: &[Staff], base: &[usize]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for &i in base {
        match groups
            .iter_mut()
            .find(|g| staff[g.members[0]].agent.team == staff[i].agent.team)
        {
            Some(g) => g.members.push(i),
            None => groups.push(Group {
                key: staff[i].team_key.clone(),
                members: vec![i],
                merged: false,
            }),
        }
    }
    groups
}

fn closeness(staff: &[Staff], a: &Group, b: &Group) -> usize {
    let words: HashSet<&String> = b
        .members
        .iter()
        .flat_map(|&i| staff[i].words.iter())
        .collect();
    a.members
        .iter()
        .flat_map(|&i| staff[i].words.iter())
        .filter(|w| words.contains(w))
        .count()
}

/// The group closest to `groups[i]`, preferring groups that can stand alone, then smaller ones.
fn closest(groups: &[Group], staff: &[Staff], i: usize) -> usize {
    (0..groups.len())
        .filter(|&j| j != i)
        .max_by_key(|&j| {
            (
                groups[j].members.len() >= 2,
                closeness(staff, &groups[i], &groups[j]),
                std::cmp::Reverse(groups[j].members.len()),
                std::cmp::Reverse(j),
            )
        })
        .unwrap_or(i)
}

/// Moves group `from` into group `into`.
fn absorb(groups: &mut Vec<Group>, from: usize, into: usize, merged: bool) {
    let g = groups.remove(from);
    let into = if into > from { into - 1 } else { into };
    let target = &mut groups[into];
    target.members.extend(g.members);
    if merged {
        target.key = format!("{}-{}", target.key, g.key);
        target.merged = true;
    }
}

/// Teams of one join the closest leaf: every leaf needs two agents.
pub(super) fn merge_singles(groups: &mut Vec<Group>, staff: &[Staff]) {
    while groups.len() > 1 {
        let Some(i) = groups.iter().position(|g| g.members.len() < 2) else {
            break;
        };
        let j = closest(groups, staff, i);
        absorb(groups, i, j, false);
    }
}

pub(super) fn merge_smallest(groups: &mut Vec<Group>, staff: &[Staff]) {
    let Some(i) =
        (0..groups.len()).min_by_key(|&i| (groups[i].members.len(), std::cmp::Reverse(i)))
    else {
        return;
    };
    let j = closest(groups, staff, i);
    absorb(groups, i, j, true);
}

pub(super) fn merge_named(groups: &mut Vec<Group>, staff: &[Staff], teams: &[String]) {
    let named: Vec<usize> = (0..groups.len())
        .filter(|&i| {
            groups[i]
                .members
                .iter()
                .any(|&m| teams.contains(&staff[m].team_key))
        })
        .collect();
    if named.len() < 2 {
        if groups.len() > 1 {
            merge_smallest(groups, staff);
        }
        return;
    }
    for &i in named[1..].iter().rev() {
        absorb(groups, i, named[0], true);
    }
}

/// A group of four or more becomes two groups of at least two.
pub(super) fn split_group(g: Group, staff: &[Staff]) -> Vec<Group> {
    if g.members.len() < 4 {
        return vec![g];
    }
    let half = g.members.len().div_ceil(2);
    [&g.members[..half], &g.members[half..]]
        .into_iter()
        .map(|part| Group {
            key: format!("{}-{}", g.key, slug(&staff[part[0]].role.short())),
            members: part.to_vec(),
            merged: true,
        })
        .collect()
}
