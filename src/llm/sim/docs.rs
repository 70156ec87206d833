//! Documents the simulated model writes from other texts: the aggregation of sub-workspace results
//! (condensed to their headings and main lines, numbers kept) and short free-text answers.

use super::facts::Facts;
use super::read::{self, ChildResult};
use super::topics::join_and;
use crate::engine::protocol::header;
use crate::llm::LlmRequest;

/// Top-level list items of a markdown text, without their markers.
pub(super) fn bullet_lines(text: &str) -> Vec<String> {
    text.lines().filter_map(bullet).collect()
}

fn bullet(line: &str) -> Option<String> {
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    let item = ["- ", "* ", "• "]
        .iter()
        .find_map(|m| line.strip_prefix(m))
        .or_else(|| {
            let (num, rest) = line.split_once(". ")?;
            (!num.is_empty() && num.len() <= 2 && num.chars().all(|c| c.is_ascii_digit()))
                .then_some(rest)
        })?;
    let item = item.trim();
    (!item.is_empty()).then(|| item.to_string())
}

pub(super) fn is_risk(line: &str) -> bool {
    line.trim_start_matches(['*', '_', ' '])
        .to_lowercase()
        .starts_with("risk")
}

/// The first `n` words of a text on one line, with "…" when cut.
pub(super) fn clip_words(text: &str, n: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() <= n {
        words.join(" ")
    } else {
        format!(
            "{}…",
            words[..n].join(" ").trim_end_matches([',', ';', ':', '.'])
        )
    }
}

fn has_digit(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
}

/// The main lines of a result, one per section: the first line with a number under each heading,
/// led by that heading. Risk sections and lines are set apart; summaries and next steps are left
/// out. A result without sections keeps its first lines with numbers.
struct Condensed {
    lines: Vec<String>,
    risks: Vec<String>,
}

fn condense(body: &str, max: usize) -> Condensed {
    // (heading, lines) per section; text before the first `##` counts as a section without heading.
    let mut sections: Vec<(Option<String>, Vec<String>)> = vec![(None, Vec::new())];
    let mut risks = Vec::new();
    let mut skip = false;
    let mut in_risks = false;
    for line in body.lines().map(str::trim_end) {
        if let Some(h) = line.strip_prefix('#') {
            let level = 1 + h.chars().take_while(|c| *c == '#').count();
            let text = h.trim_start_matches('#').trim();
            let lower = text.to_lowercase();
            in_risks = lower.contains("risk") || lower.contains("open item");
            skip = lower.contains("next step") || lower.contains("summary");
            if level > 1 && !in_risks && !skip {
                let heading = text.split(" (").next().unwrap_or(text).to_string();
                sections.push((Some(heading), Vec::new()));
            }
            continue;
        }
        let Some(item) = bullet(line) else { continue };
        if in_risks || is_risk(&item) {
            risks.push(capitalize_first(item.trim_start_matches("Risk: ")));
        } else if let (false, Some(last)) = (skip, sections.last_mut()) {
            last.1.push(item);
        }
    }
    sections.retain(|(_, lines)| !lines.is_empty());
    let mut lines: Vec<String> = Vec::new();
    if sections.len() > 1 {
        for (heading, items) in &sections {
            let item = items.iter().find(|l| has_digit(l)).unwrap_or(&items[0]);
            let item = item
                .split_once("**: ")
                .map_or(item.as_str(), |(_, rest)| rest);
            let line = clip_words(item, 30);
            lines.push(match heading {
                Some(h) => format!("**{h}**: {line}"),
                None => line,
            });
        }
        lines.truncate(max);
    } else if let Some((_, items)) = sections.first() {
        let mut keep: Vec<usize> = (0..items.len())
            .filter(|&i| has_digit(&items[i]))
            .take(max)
            .collect();
        let rest: Vec<usize> = (0..items.len())
            .filter(|i| !keep.contains(i))
            .take(max.saturating_sub(keep.len()))
            .collect();
        keep.extend(rest);
        keep.sort_unstable();
        lines = keep
            .into_iter()
            .map(|i| clip_words(&items[i], 30))
            .collect();
    }
    if lines.is_empty() {
        let prose: Vec<&str> = body
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .take(3)
            .collect();
        if !prose.is_empty() {
            lines.push(clip_words(&prose.join(" "), 50));
        }
    }
    Condensed { lines, risks }
}

fn capitalize_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// The line of a condensed result to quote in a summary: its first clause, preferring costs and
/// totals, then money, then brevity.
fn highlight(lines: &[String]) -> Option<String> {
    let clause = |l: &String| {
        let plain = l.split_once("**: ").map_or(l.as_str(), |(_, rest)| rest);
        plain
            .split("; ")
            .next()
            .unwrap_or(plain)
            .trim_end_matches('.')
            .to_string()
    };
    let candidates: Vec<String> = lines.iter().map(clause).filter(|l| has_digit(l)).collect();
    let costly = |l: &str| {
        ["cost", "total", "budget", "revenue"]
            .iter()
            .any(|w| l.to_lowercase().contains(w))
    };
    candidates
        .iter()
        .min_by_key(|l| (!costly(l), !l.contains(['$', '€', '£']), words(l)))
        .map(|l| clip_words(l, 18))
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

/// The deliverable of an inner workspace from its children's results.
pub(super) fn aggregate(req: &LlmRequest, seed: u64) -> String {
    let text = read::user_texts(req)
        .into_iter()
        .find(|u| u.lines().any(|l| l.trim_end() == header::CHILD_RESULTS))
        .unwrap_or_default();
    let mission = read::section(&text, header::MISSION).unwrap_or_default();
    let (_, title, description) = read::workspace(&text);
    let children = read::child_results(&text);
    let facts = Facts::from_task(
        if mission.is_empty() {
            &description
        } else {
            mission
        },
        seed,
    );
    let title = if title.is_empty() {
        facts.subject.clone()
    } else {
        title
    };

    let done: Vec<&ChildResult> = children.iter().filter(|c| !c.failed).collect();
    let failed: Vec<&ChildResult> = children.iter().filter(|c| c.failed).collect();
    let per_child = (14 / done.len().max(1)).clamp(2, 5);
    let condensed: Vec<Condensed> = done.iter().map(|c| condense(&c.body, per_child)).collect();

    let mut doc = format!("# {title}\n\n## Executive summary\n");
    let titles: Vec<String> = done.iter().map(|c| c.title.clone()).collect();
    doc.push_str(&format!(
        "{}: {} of {} parts are complete{}.",
        capitalize_first(&facts.subject),
        done.len(),
        children.len(),
        if titles.is_empty() {
            String::new()
        } else {
            format!(" ({})", titles.join("; "))
        }
    ));
    let highlights: Vec<String> = condensed
        .iter()
        .filter_map(|c| highlight(&c.lines))
        .take(3)
        .collect();
    if !highlights.is_empty() {
        doc.push_str(&format!(" Highlights: {}.", highlights.join("; ")));
    }
    if !failed.is_empty() {
        let names: Vec<String> = failed.iter().map(|c| c.title.clone()).collect();
        doc.push_str(&format!(
            " Not delivered: {}; see risks and open items.",
            join_and(&names)
        ));
    }
    doc.push_str("\n\n");

    for (c, k) in done.iter().zip(&condensed) {
        doc.push_str(&format!("## {}\n", c.title));
        for l in &k.lines {
            doc.push_str(&format!("- {l}\n"));
        }
        doc.push('\n');
    }

    doc.push_str("## Risks and open items\n");
    for c in &failed {
        doc.push_str(&format!(
            "- {} did not finish ({}); its part is missing and must be planned before sign-off.\n",
            c.title,
            clip_words(&c.body, 25).trim_end_matches('.')
        ));
    }
    let risks: Vec<&String> = condensed
        .iter()
        .flat_map(|k| k.risks.iter().take(1))
        .take(4)
        .collect();
    for r in &risks {
        doc.push_str(&format!("- {}\n", clip_words(r, 30)));
    }
    if failed.is_empty() && risks.is_empty() {
        doc.push_str("- No blocking risk reported.\n");
    }
    doc.push_str(&format!(
        "\n## Next steps\n1. Sign off this plan by {}.\n2. Each owner confirms dates and budget lines by {}.\n",
        facts.milestone(0.9),
        facts.milestone(0.8)
    ));
    if !failed.is_empty() {
        doc.push_str("3. Re-run the missing parts with a narrower scope.\n");
    }
    doc
}

/// Any other request: a short answer that echoes what was asked.
pub(super) fn short_answer(req: &LlmRequest) -> String {
    let last = read::last_user(req);
    let ask = last
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("your request");
    let points: Vec<String> = bullet_lines(&last)
        .into_iter()
        .take(3)
        .map(|b| clip_words(&b, 10))
        .collect();
    let mut s = format!(
        "Understood: {}.",
        clip_words(ask, 25).trim_end_matches(['.', '?', '!'])
    );
    if !points.is_empty() {
        s.push_str(&format!(" The points to act on: {}.", points.join("; ")));
    }
    s.push_str(" I would start with the most concrete step, set an owner and a date, and report back with the numbers.");
    s
}

/// A workspace's running summary: the previous summary's lines, then one line per new message
/// with its gist, dropping the oldest lines when over the output limit (as a model would write
/// tighter).
pub(super) fn running_summary(req: &LlmRequest) -> String {
    let text = read::last_user(req);
    let mut lines: Vec<String> = read::summary_lines(&text)
        .into_iter()
        .chain(read::messages_under(&text, header::TO_SUMMARIZE))
        .map(|m| {
            let gist = m
                .content
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            format!(
                "- #{} {} → {}: {}",
                m.seq,
                m.from,
                m.to.join(", "),
                clip_words(gist, 24)
            )
        })
        .collect();
    let budget = req.max_tokens as usize * 3;
    while lines.len() > 1 && lines.iter().map(|l| l.chars().count() + 1).sum::<usize>() > budget {
        lines.remove(0);
    }
    lines.join("\n")
}
