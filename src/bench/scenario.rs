//! The engine benchmark's scenarios: the plan the mock planner returns, the team that staffs it,
//! the pacing of every call, and the ideal time such a run could take.

use std::fmt::Write as _;
use std::time::Duration;

use super::mock::{Script, Timing};
use crate::engine::plan::Plan;
use crate::llm::estimate_tokens;

/// A plan shape to run: a root over `leaves` leaf workspaces of `agents` agents each, every leaf
/// taking `turns` turns (the last one its final result), under a cap of `concurrency` calls.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Shown in the table, e.g. "conference plan".
    pub name: &'static str,
    pub leaves: usize,
    pub agents: usize,
    pub turns: u32,
    pub concurrency: usize,
    /// A preset (`conference`), or `None` for a generated roster of `leaves * agents` agents
    /// (no agent may appear in two sibling workspaces).
    pub preset: Option<&'static str>,
    pub planner: Timing,
    pub agent: Timing,
    /// Tokens of every reply but the plan.
    pub reply_tokens: u64,
}

impl Scenario {
    /// The conference plan: 3 leaves of 3 agents, 12 turns, the default cap of 8.
    pub fn conference(quick: bool) -> Self {
        Self {
            name: "conference plan",
            leaves: 3,
            agents: 3,
            turns: if quick { 4 } else { 12 },
            concurrency: 8,
            preset: Some("conference"),
            planner: planner_timing(quick),
            agent: agent_timing(quick),
            reply_tokens: if quick { 20 } else { 60 },
        }
    }

    /// The wide plan: 200 leaves of 3 agents, 10 turns, 64 calls at once.
    pub fn wide(quick: bool) -> Self {
        Self {
            name: "wide plan",
            leaves: if quick { 8 } else { 200 },
            agents: 3,
            turns: if quick { 3 } else { 10 },
            concurrency: if quick { 4 } else { 64 },
            preset: None,
            planner: planner_timing(quick),
            agent: agent_timing(quick),
            reply_tokens: if quick { 20 } else { 60 },
        }
    }

    /// Every agent's name, leaf by leaf (`agents` to a leaf): the preset's roster in its order
    /// (the conference preset has three to a team), or generated names.
    fn roster(&self) -> Vec<String> {
        match self.preset.map(crate::team::preset) {
            Some(Ok(team)) => team.agents.into_iter().map(|a| a.name).collect(),
            _ => (0..self.leaves)
                .flat_map(|leaf| (0..self.agents).map(move |a| format!("a{leaf:03}_{a}")))
                .collect(),
        }
    }

    /// The plan the mock planner answers with.
    pub fn plan(&self) -> Plan {
        let roster = self.roster();
        let children = roster
            .chunks(self.agents)
            .take(self.leaves)
            .enumerate()
            .map(|(leaf, agents)| Plan {
                id: format!("part-{leaf:03}"),
                title: format!("Part {leaf}"),
                description: String::new(),
                agents: agents.to_vec(),
                children: vec![],
            })
            .collect();
        Plan {
            id: "root".into(),
            title: format!("Bench: {}", self.name),
            description: String::new(),
            agents: vec![],
            children,
        }
    }

    /// The team file of a generated roster; `None` for a preset.
    pub fn team_toml(&self) -> Option<String> {
        self.preset.is_none().then(|| {
            let mut s = String::from("name = \"bench\"\ndescription = \"Generated roster\"\n");
            for (leaf, agents) in self.roster().chunks(self.agents).enumerate() {
                for name in agents {
                    let _ = write!(
                        s,
                        "\n[[agents]]\nname = \"{name}\"\nteam = \"t{leaf:03}\"\ndescription = \"Works on part {leaf}.\"\n"
                    );
                }
            }
            s
        })
    }

    /// What the mock server answers.
    pub fn script(&self) -> Script {
        Script {
            plan_json: serde_json::to_string(&self.plan()).unwrap_or_default(),
            planner: self.planner,
            agent: self.agent,
            reply_tokens: self.reply_tokens,
        }
    }

    /// Calls the run makes: the planner, every leaf's turns, the root's aggregation.
    pub fn calls(&self) -> u64 {
        1 + self.leaves as u64 * self.turns as u64 + 1
    }

    /// The ideal time of the run; see [`Ideal`].
    pub fn ideal(&self) -> Ideal {
        let plan_tokens = estimate_tokens(&self.script().plan_json);
        let call = self.agent.call_time(self.reply_tokens);
        Ideal {
            planner: self.planner.call_time(plan_tokens),
            leaves: vec![vec![call; self.turns as usize]; self.leaves],
            aggregation: call,
            concurrency: self.concurrency,
        }
    }
}

/// The pacing of the planner: a plan of 200 workspaces is thousands of tokens, so it streams
/// faster than the agents, keeping the full wide run at tens of seconds. Part of the ideal all
/// the same.
fn planner_timing(quick: bool) -> Timing {
    Timing {
        first_token: Duration::from_millis(if quick { 10 } else { 150 }),
        tokens_per_sec: 4000.0,
        chunk_tokens: 40,
    }
}

/// Every other call: 150 ms to the first token, then 200 tokens/s in chunks of 5 (a 60-token
/// reply takes 450 ms); `--quick` uses 10 ms and 2000 tokens/s.
fn agent_timing(quick: bool) -> Timing {
    Timing {
        first_token: Duration::from_millis(if quick { 10 } else { 150 }),
        tokens_per_sec: if quick { 2000.0 } else { 200.0 },
        chunk_tokens: 5,
    }
}

/// The least time a run of a two-level plan (a root over leaves) can take, given the mock's
/// latency of every call and nothing else costing time:
///
/// `planner + max(longest leaf, leaf work / concurrency, ceil(leaf calls / concurrency) * shortest
/// leaf call) + aggregation`
///
/// The planner call comes first and the root's aggregation last, each alone. In between, each
/// leaf's calls run one after another (its turns are sequential), so the longest leaf bounds the
/// phase; and no more than `concurrency` calls are ever in flight, so neither can the phase be
/// shorter than all leaf call time spread evenly over the slots, nor than the number of calls
/// one slot must at least take (a call is never split) times the shortest call.
#[derive(Debug, Clone, PartialEq)]
pub struct Ideal {
    pub planner: Duration,
    /// Each leaf's calls, in order.
    pub leaves: Vec<Vec<Duration>>,
    pub aggregation: Duration,
    pub concurrency: usize,
}

impl Ideal {
    pub fn time(&self) -> Duration {
        let slots = self.concurrency.max(1);
        let longest = self
            .leaves
            .iter()
            .map(|l| l.iter().sum::<Duration>())
            .max()
            .unwrap_or_default();
        let calls = self.leaves.iter().map(Vec::len).sum::<usize>();
        let work: Duration = self.leaves.iter().flatten().sum();
        let spread = work / slots as u32;
        let shortest = self
            .leaves
            .iter()
            .flatten()
            .min()
            .copied()
            .unwrap_or_default();
        let per_slot = shortest * calls.div_ceil(slots) as u32;
        self.planner + longest.max(spread).max(per_slot) + self.aggregation
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::plan;
    use crate::team;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn with_room_for_every_leaf_the_longest_leaf_is_the_bound() {
        let ideal = Ideal {
            planner: ms(100),
            leaves: vec![vec![ms(10); 12], vec![ms(10); 12], vec![ms(30), ms(10)]],
            aggregation: ms(50),
            concurrency: 8,
        };
        assert_eq!(ideal.time(), ms(100 + 120 + 50));
    }

    #[test]
    fn under_a_tight_cap_the_work_per_slot_is_the_bound() {
        // 200 leaves of 10 calls on 64 slots: 2000 calls, 32 rounds (the last one part full).
        let ideal = Ideal {
            planner: ms(100),
            leaves: vec![vec![ms(450); 10]; 200],
            aggregation: ms(450),
            concurrency: 64,
        };
        assert_eq!(ideal.time(), ms(100 + 32 * 450 + 450));
        // Unequal calls: the even spread of the work bounds it more tightly than whole rounds.
        let uneven = Ideal {
            planner: ms(0),
            leaves: vec![vec![ms(10), ms(90)], vec![ms(10), ms(90)]],
            aggregation: ms(0),
            concurrency: 1,
        };
        assert_eq!(uneven.time(), ms(200));
    }

    #[test]
    fn the_scenario_ideal_follows_the_mock_pacing() {
        let s = Scenario::conference(false);
        let ideal = s.ideal();
        assert_eq!(ideal.aggregation, ms(450));
        assert_eq!(ideal.leaves, vec![vec![ms(450); 12]; 3]);
        assert_eq!(ideal.time(), ideal.planner + ms(13 * 450));
        assert_eq!(s.calls(), 1 + 36 + 1);
    }

    #[test]
    fn both_plans_are_valid_for_their_rosters() {
        for quick in [true, false] {
            let c = Scenario::conference(quick);
            let conference = team::preset("conference").unwrap();
            assert_eq!(
                plan::validate(&c.plan(), &conference, 3),
                Vec::<String>::new()
            );
            let w = Scenario::wide(quick);
            let roster = team::parse(&w.team_toml().unwrap(), "bench.toml").unwrap();
            assert_eq!(roster.agents.len(), w.leaves * w.agents);
            assert_eq!(plan::validate(&w.plan(), &roster, 3), Vec::<String>::new());
        }
    }
}
