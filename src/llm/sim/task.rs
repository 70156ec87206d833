//! What a task text says: numbers, dates, places and names, read the way a person would skim
//! them ("500 attendees", "2-day", "$250k", "14-16 May", "in Berlin", "FutureTech 2025").

/// The kind of work, for defaults (a festival has thousands of visitors, a conference hundreds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Domain {
    Event,
    Festival,
    Launch,
    Content,
    General,
}

/// What the task states; `None` where it is silent.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Scan {
    pub headcount: Option<u64>,
    pub audience: Option<String>,
    pub days: Option<u64>,
    pub weeks: Option<u64>,
    pub budget: Option<u64>,
    pub currency: Option<&'static str>,
    pub year: Option<i32>,
    pub month: Option<u8>,
    pub day: Option<u8>,
    pub place: Option<String>,
    pub name: Option<String>,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

const AUDIENCE: &[&str] = &[
    "attendees",
    "attendee",
    "people",
    "person",
    "guests",
    "guest",
    "participants",
    "participant",
    "visitors",
    "visitor",
    "users",
    "user",
    "customers",
    "customer",
    "fans",
    "subscribers",
    "readers",
    "delegates",
    "developers",
    "engineers",
    "members",
    "employees",
    "students",
    "festival-goers",
    "festivalgoers",
    "viewers",
    "listeners",
];

const NUMBER_WORDS: &[(&str, u64)] = &[
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("twelve", 12),
];

/// A number as written in a task: `500`, `10,000`, `2.5k`, `$40k`, `1m`, `three`.
fn number(token: &str) -> Option<f64> {
    let t = token
        .trim_start_matches(['$', '€', '£'])
        .replace(',', "")
        .to_lowercase();
    if let Some((_, n)) = NUMBER_WORDS.iter().find(|(w, _)| *w == t) {
        return Some(*n as f64);
    }
    let (digits, factor) = match t.strip_suffix('k') {
        Some(d) => (d.to_string(), 1e3),
        None => match t.strip_suffix('m') {
            Some(d) => (d.to_string(), 1e6),
            None => (t.clone(), 1.0),
        },
    };
    if digits.is_empty() || !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    digits
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| v * factor)
}

/// A day range such as "14-16": (first day, last day) when it makes sense.
fn day_range(first: &str, last: &str) -> Option<(u8, u8)> {
    let (a, b) = (first.parse::<u8>().ok()?, last.parse::<u8>().ok()?);
    ((1..=31).contains(&a) && a < b && b <= 31).then_some((a, b))
}

fn clean(token: &str) -> &str {
    token.trim_matches(|c: char| ",.;:!?()\"'“”".contains(c))
}

fn capitalized(token: &str) -> bool {
    token.chars().next().is_some_and(char::is_uppercase)
}

fn month_of(token: &str) -> Option<u8> {
    let lower = token.to_lowercase();
    if !capitalized(token) || lower.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| *m == lower || (lower.len() == 3 && m.starts_with(&lower)))
        .map(|i| i as u8 + 1)
}

/// First clause of the task, capitalized, at most eight words: the plan's root title.
pub(super) fn task_title(task: &str) -> String {
    let task = task.trim();
    let chars: Vec<(usize, char)> = task.char_indices().collect();
    // Punctuation ends the clause only when a space follows: "20,000" and "v2.1" stay whole.
    let end = chars
        .iter()
        .enumerate()
        .find(|(k, (_, c))| {
            matches!(c, '\n' | '(')
                || (".,;:!?".contains(*c)
                    && chars.get(k + 1).is_none_or(|(_, n)| n.is_whitespace()))
        })
        .map_or(task.len(), |(_, (i, _))| *i);
    let first = &task[..end];
    let mut words: Vec<&str> = first.split_whitespace().take(10).collect();
    // A clause cut at ten words ends mid-phrase ("... with 500"): end before its last connector.
    if first.split_whitespace().count() > words.len()
        && let Some(cut) = words
            .iter()
            .rposition(|w| CUTS.contains(&w.to_lowercase().as_str()))
        && cut >= 3
    {
        words.truncate(cut);
    }
    if words.len() < 2 {
        words = task.split_whitespace().take(8).collect();
    }
    let title = words.join(" ");
    let mut chars = title.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => "Task".to_string(),
    }
}

const IMPERATIVES: &[&str] = &[
    "organize",
    "organise",
    "plan",
    "run",
    "launch",
    "produce",
    "write",
    "create",
    "build",
    "prepare",
    "host",
    "design",
    "ship",
    "make",
    "set",
    "develop",
    "deliver",
    "put",
    "arrange",
    "coordinate",
    "release",
];
const CUTS: &[&str] = &[
    "to", "for", "in", "on", "with", "within", "by", "at", "from", "across", "about", "that",
];

/// A noun phrase for the task: "Plan a product launch for our app" → "a product launch".
pub(super) fn subject_of(title: &str) -> String {
    let words: Vec<&str> = title.split_whitespace().collect();
    let skip = usize::from(
        words
            .first()
            .is_some_and(|w| IMPERATIVES.contains(&w.to_lowercase().as_str())),
    );
    let skip = skip + usize::from(skip == 1 && words.get(1).is_some_and(|w| *w == "up"));
    let mut phrase: Vec<&str> = Vec::new();
    for w in words.iter().skip(skip) {
        if phrase.len() >= 2 && CUTS.contains(&w.to_lowercase().as_str()) {
            break;
        }
        phrase.push(w);
    }
    if phrase.len() < 2 {
        title.to_string()
    } else {
        phrase.join(" ")
    }
}

/// Reads what `task` states.
pub(super) fn scan(task: &str) -> Scan {
    let raw: Vec<&str> = task.split_whitespace().collect();
    let words: Vec<&str> = raw.iter().map(|w| clean(w)).collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();

    let mut headcount = None;
    let mut audience = None;
    let mut days = None;
    let mut weeks = None;
    let mut budget = None;
    let mut currency = None;
    let mut year = None;
    let mut month = None;
    let mut day = None;
    let mut place = None;
    let mut name = None;

    for (i, w) in words.iter().enumerate() {
        let l = &lower[i];
        let next = lower.get(i + 1).map(String::as_str).unwrap_or("");
        // "500-attendee", "3-day", "10k-person"
        if let Some((n, noun)) = l.split_once('-') {
            if let Some(v) = number(n) {
                if noun.starts_with("day") && days.is_none() {
                    days = Some(v as u64);
                } else if noun.starts_with("week") && weeks.is_none() {
                    weeks = Some(v as u64);
                } else if AUDIENCE.contains(&noun) && headcount.is_none() && v >= 5.0 {
                    headcount = Some(v as u64);
                }
            }
            // "14-16 May"
            if let (Some((a, b)), Some(m)) = (
                day_range(n, noun),
                words.get(i + 1).and_then(|t| month_of(t)),
            ) {
                month.get_or_insert(m);
                day.get_or_insert(a);
                days.get_or_insert(u64::from(b - a + 1));
            }
        }
        if let Some(m) = month_of(w) {
            if month.is_none() {
                month = Some(m);
                let near = |t: Option<&&str>| {
                    t.and_then(|t| t.split(['-', '–']).next())
                        .and_then(|d| d.parse::<u8>().ok())
                        .filter(|d| (1..=31).contains(d))
                };
                day = near(words.get(i + 1))
                    .or_else(|| i.checked_sub(1).and_then(|p| near(words.get(p))));
            }
            continue;
        }
        if w.starts_with(['$', '€', '£']) {
            if let Some(v) = number(w) {
                let factor = match next {
                    "k" | "thousand" => 1e3,
                    "m" | "million" => 1e6,
                    _ => 1.0,
                };
                budget.get_or_insert((v * factor) as u64);
                currency.get_or_insert(if w.starts_with('€') {
                    "€"
                } else if w.starts_with('£') {
                    "£"
                } else {
                    "$"
                });
            }
            continue;
        }
        let Some(v) = number(w) else { continue };
        if w.len() == 4 && (2000.0..2100.0).contains(&v) && !w.contains(',') {
            year.get_or_insert(v as i32);
            continue;
        }
        let nouns = [next, lower.get(i + 2).map(String::as_str).unwrap_or("")];
        match next {
            "day" | "days" => {
                days.get_or_insert(v as u64);
            }
            "week" | "weeks" => {
                weeks.get_or_insert(v as u64);
            }
            "month" | "months" => {
                weeks.get_or_insert(v as u64 * 4);
            }
            "usd" | "dollars" => {
                budget.get_or_insert(v as u64);
                currency.get_or_insert("$");
            }
            "eur" | "euros" | "euro" => {
                budget.get_or_insert(v as u64);
                currency.get_or_insert("€");
            }
            "gbp" | "pounds" => {
                budget.get_or_insert(v as u64);
                currency.get_or_insert("£");
            }
            _ => {
                if let Some(noun) = nouns.iter().find(|n| AUDIENCE.contains(n)) {
                    if v >= 5.0 && headcount.is_none() {
                        headcount = Some(v as u64);
                        audience = Some(noun.to_string());
                    }
                } else if v >= 1000.0 && lower[i.saturating_sub(3)..i].iter().any(|p| p == "budget")
                {
                    budget.get_or_insert(v as u64);
                }
            }
        }
    }

    // "in Berlin", "in San Francisco": capitalized words after a lower-case "in".
    for (i, l) in lower.iter().enumerate() {
        if l != "in" || raw[i] != "in" {
            continue;
        }
        let mut parts = Vec::new();
        for (j, w) in words.iter().enumerate().skip(i + 1) {
            if !capitalized(w) || month_of(w).is_some() || number(w).is_some() {
                break;
            }
            parts.push(*w);
            if raw[j].ends_with([',', '.', ';']) || parts.len() == 3 {
                break;
            }
        }
        if !parts.is_empty() {
            place = Some(parts.join(" "));
            break;
        }
    }

    // A proper name: CamelCase ("FutureTech"), or a quoted name.
    for (i, w) in words.iter().enumerate() {
        let camel = w.len() > 3
            && capitalized(w)
            && w.chars().skip(1).any(char::is_uppercase)
            && w.chars().any(char::is_lowercase)
            && w.chars().all(|c| c.is_alphanumeric() || c == '-');
        if camel {
            let mut n = w.to_string();
            if let Some(y) = words
                .get(i + 1)
                .filter(|y| y.len() == 4 && y.starts_with("20"))
            {
                n = format!("{n} {y}");
            }
            name = Some(n);
            break;
        }
    }
    if name.is_none() {
        let quoted: Vec<&str> = task.split(['"', '“', '”']).collect();
        if quoted.len() >= 3 && !quoted[1].trim().is_empty() && quoted[1].len() < 40 {
            name = Some(quoted[1].trim().to_string());
        }
    }

    Scan {
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
    }
}

/// The kind of work the task is, by its words.
pub(super) fn domain(task: &str) -> Domain {
    let lower: Vec<String> = task
        .split_whitespace()
        .map(|w| clean(w).to_lowercase())
        .collect();
    let count = |keys: &[&str]| lower.iter().filter(|w| keys.contains(&w.as_str())).count();
    let scores = [
        (
            Domain::Festival,
            count(&[
                "festival", "concert", "gig", "music", "open-air", "band", "bands",
            ]),
        ),
        (
            Domain::Event,
            count(&[
                "conference",
                "summit",
                "meetup",
                "workshop",
                "hackathon",
                "expo",
                "convention",
                "event",
                "attendees",
                "offsite",
            ]),
        ),
        (
            Domain::Launch,
            count(&[
                "launch",
                "release",
                "app",
                "product",
                "saas",
                "go-to-market",
                "gtm",
                "beta",
            ]),
        ),
        (
            Domain::Content,
            count(&[
                "article",
                "articles",
                "blog",
                "newsletter",
                "video",
                "videos",
                "podcast",
                "content",
                "series",
                "ebook",
                "write",
            ]),
        ),
    ];
    scores
        .iter()
        .filter(|(_, s)| *s > 0)
        .max_by_key(|(_, s)| *s)
        .map_or(Domain::General, |(d, _)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_dates_places_and_names() {
        let s = scan(
            "Organize FutureTech 2025, a 2-day AI conference for 500 attendees in Berlin on May 14, budget $250k",
        );
        assert_eq!(
            (s.headcount, s.audience.as_deref(), s.days),
            (Some(500), Some("attendees"), Some(2))
        );
        assert_eq!((s.budget, s.currency), (Some(250_000), Some("$")));
        assert_eq!((s.year, s.month, s.day), (Some(2025), Some(5), Some(14)));
        assert_eq!(s.place.as_deref(), Some("Berlin"));
        assert_eq!(s.name.as_deref(), Some("FutureTech 2025"));
        let s = scan("Launch our app to 10,000 users in 8 weeks with €40,000");
        assert_eq!(
            (s.headcount, s.weeks, s.budget, s.currency),
            (Some(10_000), Some(8), Some(40_000), Some("€"))
        );
        assert_eq!(s.place, None);
        let s = scan("A festival on 14-16 July in San Francisco, for 3k fans, \"Sunwave\"");
        assert_eq!((s.day, s.month, s.days), (Some(14), Some(7), Some(3)));
        assert_eq!(s.place.as_deref(), Some("San Francisco"));
        assert_eq!(
            (s.headcount, s.name.as_deref()),
            (Some(3000), Some("Sunwave"))
        );
        assert_eq!(domain("Run a music festival"), Domain::Festival);
        assert_eq!(domain("Plan a product launch for our app"), Domain::Launch);
        assert_eq!(domain("Tidy the garage"), Domain::General);
    }

    #[test]
    fn titles_and_subjects() {
        assert_eq!(
            task_title(
                "Organize a world-class tech conference called FutureTech 2025 with 500 attendees"
            ),
            "Organize a world-class tech conference called FutureTech 2025"
        );
        assert_eq!(
            task_title("organize FutureTech 2025, a big one"),
            "Organize FutureTech 2025"
        );
        assert_eq!(
            task_title("Launch our app to 20,000 users. Then rest"),
            "Launch our app to 20,000 users"
        );
        assert_eq!(
            subject_of("Run a 3-day music festival for 15,000 people"),
            "a 3-day music festival"
        );
        assert_eq!(
            subject_of("Plan a product launch for our app"),
            "a product launch"
        );
        assert_eq!(subject_of("Festival"), "Festival");
    }
}
