//! What the simulated agents assume about the task: numbers, dates and names read from the task
//! text, with plausible defaults where the task is silent. Keyed on the task and seed only, so
//! every agent of a run works from the same assumptions.

use super::rng::Rng;
pub(super) use super::task::Domain;
use super::task::{Scan, domain, scan, subject_of, task_title};

#[derive(Debug, Clone)]
pub(super) struct Facts {
    pub domain: Domain,
    pub headcount: u64,
    pub headcount_given: bool,
    /// Who the headcount counts: attendees, users, readers…
    pub audience: String,
    pub days: u64,
    pub days_given: bool,
    pub budget: Option<u64>,
    pub currency: &'static str,
    pub place: Option<String>,
    /// A proper name in the task (event or product), with its year if one follows.
    pub name: Option<String>,
    /// Start date (year, month, day) when the task names a month.
    date: Option<(i32, u8, u8)>,
    year_given: bool,
    /// Weeks from now until the event, launch or publication.
    pub weeks: u64,
    /// Short phrase for the task, e.g. "FutureTech 2025".
    pub subject: String,
}

impl Facts {
    pub(super) fn from_task(task: &str, seed: u64) -> Self {
        let mut rng = Rng::new(seed, &["facts", task.trim()]);
        let domain = domain(task);
        let Scan {
            headcount,
            audience,
            days,
            weeks,
            budget,
            currency,
            year,
            month,
            day,
            place,
            name,
        } = scan(task);
        let (hc_options, default_audience, default_days, weeks_range): (
            &[u64],
            &str,
            u64,
            (u64, u64),
        ) = match domain {
            Domain::Event => (&[250, 350, 400, 500, 600, 800], "attendees", 2, (14, 20)),
            Domain::Festival => (&[4000, 6000, 8000, 12000], "festival-goers", 3, (24, 32)),
            Domain::Launch => (&[5000, 10000, 20000, 50000], "users", 1, (6, 10)),
            Domain::Content => (&[8000, 15000, 25000, 40000], "readers", 1, (5, 8)),
            Domain::General => (&[80, 120, 200, 300], "people", 1, (6, 10)),
        };
        let headcount_given = headcount.is_some();
        let headcount = headcount.unwrap_or(*rng.pick(hc_options)).max(5);
        let days_given = days.is_some();
        let days = days.unwrap_or(default_days).clamp(1, 14);
        let weeks = weeks
            .unwrap_or_else(|| rng.range(weeks_range.0, weeks_range.1))
            .clamp(2, 104);
        let audience = audience
            .map(|a| {
                if a.ends_with('s') || a.ends_with("people") {
                    a
                } else {
                    format!("{a}s")
                }
            })
            .unwrap_or_else(|| default_audience.to_string());
        let year_given = year.is_some();
        let date = month.map(|m| {
            let d = day.unwrap_or_else(|| rng.range(8, 24) as u8).min(28);
            (year.unwrap_or(2026), m, d)
        });
        let subject = name
            .clone()
            .unwrap_or_else(|| subject_of(&task_title(task)));

        Facts {
            domain,
            headcount,
            headcount_given,
            audience,
            days,
            days_given,
            budget,
            currency: currency.unwrap_or("$"),
            place,
            name,
            date,
            year_given,
            weeks,
            subject,
        }
    }

    /// The date `weeks` before the start (e.g. "Mar 3"), or "T-6 weeks" when the task names no month.
    pub(super) fn before(&self, weeks: u64) -> String {
        self.before_days(weeks * 7)
    }

    pub(super) fn before_days(&self, days: u64) -> String {
        if let Some(d) = self
            .start()
            .and_then(|s| s.checked_sub(time::Duration::days(days as i64)))
        {
            return format!("{} {}", &d.month().to_string()[..3], d.day());
        }
        match days {
            0 => self.start_label().to_string(),
            d if d % 7 == 0 => format!("T-{} week{}", d / 7, if d == 7 { "" } else { "s" }),
            d => format!("T-{d} days"),
        }
    }

    /// What day 0 is called when the task names no date.
    pub(super) fn start_label(&self) -> &'static str {
        match self.domain {
            Domain::Event => "the first day",
            Domain::Festival => "opening day",
            Domain::Launch => "launch day",
            Domain::Content => "the first publish date",
            Domain::General => "the start date",
        }
    }

    /// A milestone `fraction` of the lead time before the start, at least a week.
    pub(super) fn milestone(&self, fraction: f64) -> String {
        self.before(((self.weeks as f64 * fraction).round() as u64).max(1))
    }

    fn start(&self) -> Option<time::Date> {
        let (y, m, d) = self.date?;
        time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
    }

    /// "May 14–15, 2025" when the task gives a month.
    pub(super) fn dates(&self) -> Option<String> {
        let s = self.start()?;
        let last = s
            .checked_add(time::Duration::days(self.days as i64 - 1))
            .unwrap_or(s);
        let mut out = if self.days == 1 {
            format!("{} {}", s.month(), s.day())
        } else if last.month() == s.month() {
            format!("{} {}–{}", s.month(), s.day(), last.day())
        } else {
            format!(
                "{} {} – {} {}",
                s.month(),
                s.day(),
                last.month(),
                last.day()
            )
        };
        if self.year_given {
            out.push_str(&format!(", {}", s.year()));
        }
        Some(out)
    }

    /// Money with thousands separators: "$38,500".
    pub(super) fn money(&self, amount: u64) -> String {
        format!("{}{}", self.currency, thousands(amount))
    }

    /// The task's budget or a rough estimate of what the whole task costs.
    pub(super) fn total_budget(&self) -> u64 {
        self.budget.unwrap_or_else(|| {
            let per_head = match self.domain {
                Domain::Event => 380 * self.days,
                Domain::Festival => 70 * self.days,
                Domain::Launch => 6,
                Domain::Content => 2,
                Domain::General => 150,
            };
            round_to((self.headcount * per_head) as f64, 5000).max(10_000)
        })
    }

    /// `pct` percent of the budget, rounded, with "of the $X budget" when the task gave one.
    pub(super) fn share(&self, pct: u64) -> String {
        let part = round_to((self.total_budget() * pct) as f64 / 100.0, 500);
        match self.budget {
            Some(total) => format!(
                "{} ({pct}% of the {} budget)",
                self.money(part),
                self.money(total)
            ),
            None => self.money(part),
        }
    }

    /// Parallel breakout rooms or stages that fit the headcount.
    pub(super) fn rooms(&self) -> u64 {
        match self.domain {
            Domain::Festival => (self.headcount / 4000 + 1).clamp(2, 5),
            _ => ((self.headcount + 90) / 180).clamp(2, 6),
        }
    }

    pub(super) fn tracks(&self) -> u64 {
        self.rooms().min(4)
    }

    /// Talks in the program: six per track per day.
    pub(super) fn talks(&self) -> u64 {
        self.tracks() * 6 * self.days
    }

    /// "500 attendees over 2 days, May 14–15 in Berlin, within the $250,000 budget": only what the
    /// task itself says; empty when it says none of it.
    pub(super) fn given(&self) -> String {
        let mut parts = Vec::new();
        if self.headcount_given {
            parts.push(format!("{} {}", thousands(self.headcount), self.audience));
        }
        if self.days_given && self.days > 1 {
            parts.push(format!("over {} days", self.days));
        }
        if let Some(d) = self.dates() {
            parts.push(format!("({d})"));
        }
        if let Some(p) = &self.place {
            parts.push(format!("in {p}"));
        }
        let mut out = parts.join(" ");
        if let Some(b) = self.budget {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(&format!("within the {} budget", self.money(b)));
        }
        out
    }

    /// Working assumptions, stated or defaulted: for a lead's kickoff.
    pub(super) fn assumptions(&self) -> String {
        let mut s = format!("{} {}", thousands(self.headcount), self.audience);
        if self.days > 1 {
            s.push_str(&format!(", {} days", self.days));
        }
        match self.dates() {
            Some(d) => s.push_str(&format!(", {d}")),
            None => s.push_str(&format!(", {} weeks from now", self.weeks)),
        }
        if let Some(p) = &self.place {
            s.push_str(&format!(", {p}"));
        }
        match self.budget {
            Some(b) => s.push_str(&format!(", budget {}", self.money(b))),
            None => s.push_str(&format!(
                ", working budget about {}",
                self.money(self.total_budget())
            )),
        }
        s
    }

    /// A hashtag for social posts.
    pub(super) fn hashtag(&self) -> String {
        let base = self.name.as_deref().unwrap_or(&self.subject);
        let mut tag: String = base
            .split_whitespace()
            .filter(|w| w.len() > 2 || w.chars().all(|c| c.is_ascii_digit()))
            .take(3)
            .map(|w| {
                let w: String = w.chars().filter(|c| c.is_alphanumeric()).collect();
                if w.len() == 4 && w.starts_with("20") {
                    w[2..].to_string()
                } else {
                    w
                }
            })
            .collect();
        tag.truncate(20);
        format!("#{tag}")
    }
}

/// `38500` → `"38,500"`.
pub(super) fn thousands(n: u64) -> String {
    let digits: Vec<char> = n.to_string().chars().collect();
    let groups: Vec<String> = digits
        .rchunks(3)
        .rev()
        .map(|g| g.iter().collect())
        .collect();
    groups.join(",")
}

/// Rounds to the nearest multiple of `step`.
pub(super) fn round_to(x: f64, step: u64) -> u64 {
    let step = step.max(1) as f64;
    ((x / step).round() * step).max(0.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stated_facts_are_kept_and_formatted() {
        let f = Facts::from_task(
            "Organize FutureTech 2025, a 2-day AI conference for 500 attendees in Berlin on May 14, budget $250k",
            1,
        );
        assert_eq!(f.domain, Domain::Event);
        assert_eq!(
            (f.headcount, f.headcount_given, f.audience.as_str()),
            (500, true, "attendees")
        );
        assert_eq!(f.days, 2);
        assert_eq!(f.budget, Some(250_000));
        assert_eq!(f.place.as_deref(), Some("Berlin"));
        assert_eq!(f.name.as_deref(), Some("FutureTech 2025"));
        assert_eq!(f.dates().as_deref(), Some("May 14–15, 2025"));
        assert_eq!(f.before(2), "Apr 30");
        assert_eq!(
            f.given(),
            "500 attendees over 2 days (May 14–15, 2025) in Berlin, within the $250,000 budget"
        );
        assert_eq!(f.hashtag(), "#FutureTech25");
    }

    #[test]
    fn defaults_follow_the_domain_and_stay_relative() {
        let f = Facts::from_task("Run a music festival", 7);
        assert_eq!(f.domain, Domain::Festival);
        assert!(f.headcount >= 4000 && !f.headcount_given);
        assert_eq!(f.before(6), "T-6 weeks");
        assert_eq!(f.before_days(10), "T-10 days");
        assert!(f.given().is_empty());
        let g = Facts::from_task("Launch our app to 10,000 users in 8 weeks with €40,000", 7);
        assert_eq!(
            (g.domain, g.headcount, g.weeks, g.budget, g.currency),
            (Domain::Launch, 10_000, 8, Some(40_000), "€")
        );
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(round_to(1249.0, 500), 1000);
    }
}
