//! What each kind of specialist knows: a library of topics (venue, catering, release, SEO…), each
//! able to write a concrete contribution from the task's facts. An agent's role is the one or two
//! topics that best match its name, description and capabilities; agents that match none get a
//! generic role built from their capabilities.

mod conference;
mod content;
mod festival;
mod launch;

use super::facts::Facts;
use super::read::{has_phrase, norm};
use super::rng::Rng;

/// One area of expertise.
pub(super) struct Topic {
    /// Words and phrases that identify the topic in capabilities, names and descriptions.
    pub keys: &'static [&'static str],
    /// For titles: "venue", "catering", "AV".
    pub short: &'static str,
    /// Section heading: "Venue and logistics".
    pub label: &'static str,
    /// What a workspace delivers for it (plan descriptions).
    pub deliverable: &'static str,
    /// What a lead asks for.
    pub ask: &'static str,
    /// A lead's follow-up questions.
    pub follow_ups: &'static [&'static str],
    /// The next action after the plan is agreed.
    pub next_step: &'static str,
    /// Concrete bullet lines; the last one starts with "Risk: ".
    pub bullets: fn(&Facts, &mut Rng) -> Vec<String>,
    /// A short refinement when asked again.
    pub refine: fn(&Facts, &mut Rng) -> String,
}

fn library() -> impl Iterator<Item = &'static Topic> {
    conference::TOPICS
        .iter()
        .chain(festival::TOPICS)
        .chain(launch::TOPICS)
        .chain(content::TOPICS)
}

/// An agent's expertise: its best-matching topics, or its own capabilities.
#[derive(Clone)]
pub(super) struct Role {
    pub topics: Vec<&'static Topic>,
    caps: Vec<String>,
    name: String,
}

impl Role {
    /// Capabilities weigh most, then the name, then the description.
    pub(super) fn of(name: &str, description: &str, capabilities: &[String]) -> Role {
        let caps_text = norm(&capabilities.join(" , "));
        let name_text = norm(name);
        let desc_text = norm(description);
        let mut scored: Vec<(usize, usize, &'static Topic)> = library()
            .enumerate()
            .map(|(i, t)| {
                let score = t
                    .keys
                    .iter()
                    .map(|k| {
                        3 * usize::from(has_phrase(&caps_text, k))
                            + 2 * usize::from(has_phrase(&name_text, k))
                            + usize::from(has_phrase(&desc_text, k))
                    })
                    .sum::<usize>();
                (score, i, t)
            })
            .filter(|(s, _, _)| *s >= 2)
            .collect();
        scored.sort_by_key(|(s, i, _)| (std::cmp::Reverse(*s), *i));
        let best = scored.first().map_or(0, |(s, _, _)| *s);
        let topics = scored
            .iter()
            .take(2)
            .filter(|(s, _, _)| *s * 2 >= best)
            .map(|(_, _, t)| *t)
            .collect();
        let caps = if capabilities.is_empty() {
            name.split(['_', '-'])
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect()
        } else {
            capabilities.to_vec()
        };
        Role {
            topics,
            caps,
            name: name.to_string(),
        }
    }

    fn cap_list(&self, n: usize) -> String {
        join_and(&self.caps.iter().take(n).cloned().collect::<Vec<_>>())
    }

    pub(super) fn short(&self) -> String {
        match self.topics.first() {
            Some(t) => t.short.to_string(),
            None => self
                .caps
                .first()
                .cloned()
                .unwrap_or_else(|| self.name.replace('_', " ")),
        }
    }

    pub(super) fn label(&self) -> String {
        match self.topics.first() {
            Some(t) => t.label.to_string(),
            None => capitalize(&self.cap_list(3)),
        }
    }

    pub(super) fn deliverable(&self) -> String {
        match self.topics.first() {
            Some(t) => t.deliverable.to_string(),
            None => format!("a {} plan with owners, dates and costs", self.cap_list(3)),
        }
    }

    pub(super) fn ask(&self) -> String {
        match self.topics.first() {
            Some(t) => t.ask.to_string(),
            None => format!(
                "your {} plan: options, owners, dates and cost",
                self.cap_list(3)
            ),
        }
    }

    pub(super) fn next_step(&self) -> String {
        match self.topics.first() {
            Some(t) => t.next_step.to_string(),
            None => format!("lock the {} plan and its owners", self.cap_list(2)),
        }
    }

    /// Bullet lines for a contribution: most of the primary topic, one line of the second, and
    /// the risk last.
    pub(super) fn bullets(&self, f: &Facts, r: &mut Rng, max: usize) -> Vec<String> {
        let mut lines = match self.topics.first() {
            Some(t) => (t.bullets)(f, r),
            None => generic(&self.caps, f, r),
        };
        let risk = lines.pop().unwrap_or_default();
        let keep = lines.len().min(max.saturating_sub(1).max(2));
        let mut out = if lines.len() > keep {
            r.choose(&lines, keep)
        } else {
            lines
        };
        if let Some(second) = self.topics.get(1) {
            let mut more = (second.bullets)(f, r);
            more.pop();
            if let Some(line) = more.first() {
                if out.len() + 1 < max.max(3) {
                    out.push(line.clone());
                } else if let Some(last) = out.last_mut() {
                    *last = line.clone();
                }
            }
        }
        out.push(risk);
        out
    }

    /// A refinement, of the topic the question is about when it names one.
    pub(super) fn refine(&self, f: &Facts, r: &mut Rng, question: &str) -> String {
        let q = norm(question);
        let topic = self
            .topics
            .iter()
            .find(|t| t.keys.iter().any(|k| has_phrase(&q, k)))
            .or(self.topics.first());
        match topic {
            Some(t) => (t.refine)(f, r),
            None => {
                let cap = self.caps.first().cloned().unwrap_or_else(|| "plan".into());
                format!(
                    "Updated {cap}: I cut the estimate to {} by dropping one of the three options, and moved the \
sign-off to {} so the others can plan around it.",
                    f.share(r.range(4, 9)),
                    f.milestone(0.4)
                )
            }
        }
    }

    pub(super) fn follow_up(&self, r: &mut Rng) -> String {
        match self.topics.first() {
            Some(t) => r.pick(t.follow_ups).to_string(),
            None => format!(
                "Can you firm up the {} numbers and say which option you would pick if we had to decide today?",
                self.cap_list(2)
            ),
        }
    }
}

const GENERIC_ACTIONS: &[&str] = &[
    "three options compared with quotes",
    "a one-page brief with the decision needed",
    "a checklist of 12 items with owners",
    "a draft ready for review",
];

fn generic(caps: &[String], f: &Facts, r: &mut Rng) -> Vec<String> {
    let mut out: Vec<String> = caps
        .iter()
        .take(3)
        .enumerate()
        .map(|(i, c)| {
            format!(
                "{}: {} by {}, budget {}.",
                capitalize(c),
                r.pick(GENERIC_ACTIONS),
                f.milestone(0.8 - 0.2 * i as f64),
                f.share(r.range(3, 10))
            )
        })
        .collect();
    if out.len() < 2 {
        out.push(format!(
            "Scope: sized for {} {}, reviewed weekly until {}.",
            f.headcount,
            f.audience,
            f.before(1)
        ));
    }
    out.push(format!(
        "Risk: {} depends on decisions from the rest of the team; I need them by {} at the latest.",
        caps.first().map_or("my part", String::as_str),
        f.milestone(0.6)
    ));
    out
}

/// "a, b and c".
pub(super) fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

pub(super) fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Rounds up to a multiple of `step`.
pub(super) fn round_up(x: f64, step: u64) -> u64 {
    let step = step.max(1);
    (x.max(0.0).ceil() as u64).div_ceil(step) * step
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str, caps: &[&str]) -> Role {
        Role::of(
            name,
            "",
            &caps.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        )
    }

    #[test]
    fn preset_agents_get_their_own_topic() {
        for team in crate::team::presets() {
            for a in &team.agents {
                let r = Role::of(&a.name, &a.description, &a.capabilities);
                assert!(!r.topics.is_empty(), "{} has no topic", a.name);
            }
        }
        assert_eq!(
            role(
                "catering_manager",
                &["catering", "food", "dietary", "budget"]
            )
            .short(),
            "catering"
        );
        assert_eq!(
            role("tech_setup", &["audio-visual", "wifi", "streaming"]).short(),
            "AV"
        );
        assert_eq!(
            role(
                "ticketing_manager",
                &["ticketing", "pricing", "capacity", "access"]
            )
            .short(),
            "ticketing"
        );
        assert_eq!(
            role(
                "ux_researcher",
                &["research", "beta", "usability", "feedback"]
            )
            .short(),
            "beta research"
        );
    }

    #[test]
    fn every_topic_writes_concrete_lines_ending_with_a_risk() {
        let f = Facts::from_task("Organize a 2-day conference for 500 attendees", 3);
        for t in library() {
            let mut r = Rng::new(1, &[t.short]);
            let lines = (t.bullets)(&f, &mut r);
            assert!(lines.len() >= 3, "{}", t.short);
            assert!(
                lines.last().is_some_and(|l| l.starts_with("Risk: ")),
                "{}",
                t.short
            );
            assert!(
                lines
                    .iter()
                    .filter(|l| l.chars().any(|c| c.is_ascii_digit()))
                    .count()
                    >= 2,
                "{}",
                t.short
            );
            assert!(
                (t.refine)(&f, &mut r).chars().any(|c| c.is_ascii_digit()),
                "{}",
                t.short
            );
            assert!(!t.follow_ups.is_empty());
        }
    }

    #[test]
    fn unknown_roles_fall_back_to_their_capabilities() {
        let r = role("quartermaster", &["inventory", "supplies"]);
        assert!(r.topics.is_empty());
        assert_eq!(r.label(), "Inventory and supplies");
        let f = Facts::from_task("Run the spring inventory", 3);
        let lines = r.bullets(&f, &mut Rng::new(1, &[]), 5);
        assert!(lines[0].starts_with("Inventory: "), "{lines:?}");
        assert!(lines.last().unwrap().starts_with("Risk: "));
    }
}
