//! The headless front end: progress lines (who speaks to whom, workspaces done, usage) or one JSON
//! event per line. It only consumes events, like the dashboard and the session file.

mod stop;

use std::collections::HashSet;
use std::io::Write;

use anstyle::{AnsiColor, Style};

use crate::engine::aggregate::describe;
use crate::engine::plan::Plan;
use crate::engine::{Event, Status, Totals, USER};
use crate::text::sanitize;

const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();
const GREEN: Style = AnsiColor::Green.on_default();
const RED: Style = AnsiColor::Red.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const CYAN: Style = AnsiColor::Cyan.on_default();

/// Longest message preview on a progress line.
const PREVIEW_CHARS: usize = 110;

/// Turns events into progress lines.
#[derive(Debug, Default)]
pub struct Printer {
    /// Print every event as a JSON line instead of progress lines.
    pub json: bool,
    workspaces: usize,
    done: usize,
    /// Workspaces that combine sub-workspaces instead of talking.
    inner: HashSet<String>,
}

impl Printer {
    pub fn new(json: bool) -> Self {
        Self {
            json,
            ..Self::default()
        }
    }

    /// Writes what the person should see of this event. Progress goes to `out`; in JSON mode each
    /// event is one line.
    pub fn handle(&mut self, event: &Event, out: &mut dyn Write) -> std::io::Result<()> {
        if self.json {
            let line = serde_json::to_string(event).map_err(std::io::Error::other)?;
            return writeln!(out, "{line}");
        }
        match event {
            Event::RunStarted {
                provider,
                model,
                simulated,
                team,
                concurrency,
                ..
            } => {
                let sim = if *simulated {
                    format!(" {YELLOW}(offline simulation: no API key set){YELLOW:#}")
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "{BOLD}huddle{BOLD:#} · {provider}{sim} · model {model} · team {team} · up to {concurrency} calls at once"
                )
            }
            Event::RunResumed {
                finished,
                workspaces,
                messages,
            } => writeln!(
                out,
                "{CYAN}▸{CYAN:#} resumed: {finished} of {workspaces} workspaces had finished, {messages} messages kept"
            ),
            Event::PlanStarted { attempt, feedback } => match feedback {
                Some(f) => writeln!(
                    out,
                    "{CYAN}▸{CYAN:#} re-planning (attempt {attempt}) with feedback: {}",
                    one_line(f)
                ),
                None => writeln!(out, "{CYAN}▸{CYAN:#} planning…"),
            },
            Event::PlanReady {
                plan,
                repaired,
                notes,
            } => {
                self.workspaces = plan.nodes().len();
                let leaves = plan.nodes().iter().filter(|n| n.is_leaf()).count();
                writeln!(
                    out,
                    "{CYAN}▸{CYAN:#} plan: {BOLD}{}{BOLD:#} — {} workspaces, {leaves} running in parallel",
                    sanitize(&plan.title),
                    self.workspaces
                )?;
                write_tree(plan, 1, out)?;
                if *repaired {
                    writeln!(
                        out,
                        "  {YELLOW}repaired by huddle:{YELLOW:#} {}",
                        sanitize(&notes.join("; "))
                    )?;
                }
                Ok(())
            }
            Event::WorkspaceStarted {
                workspace,
                members,
                leaf: true,
                ..
            } => {
                writeln!(
                    out,
                    "{CYAN}[{workspace}]{CYAN:#} started with {}",
                    members.join(", ")
                )
            }
            Event::WorkspaceStarted {
                workspace,
                leaf: false,
                ..
            } => {
                self.inner.insert(workspace.clone());
                Ok(())
            }
            Event::MessagePosted { message } => {
                let to = message.to.join(", ");
                let arrow = if message.to.iter().any(|t| t == USER) && message.from != USER {
                    format!("{GREEN}→ {to}{GREEN:#}")
                } else {
                    format!("→ {to}")
                };
                writeln!(
                    out,
                    "  {DIM}[{}] #{}{DIM:#} {BOLD}{}{BOLD:#} {arrow}: {}",
                    message.workspace,
                    message.seq,
                    message.from,
                    one_line(&message.content)
                )
            }
            Event::RetryScheduled {
                workspace,
                attempt,
                delay_ms,
                error,
                ..
            } => {
                writeln!(
                    out,
                    "  {YELLOW}{}retry {attempt} in {:.1}s:{YELLOW:#} {}",
                    scope(workspace),
                    *delay_ms as f64 / 1000.0,
                    sanitize(error)
                )
            }
            Event::BudgetChanged { scope, tokens, usd } => {
                let mut limits = Vec::new();
                if let Some(t) = tokens {
                    limits.push(format!("{} tokens", crate::engine::budget::thousands(*t)));
                }
                if let Some(u) = usd {
                    limits.push(format!("${u:.2}"));
                }
                let of = match scope {
                    crate::engine::Target::Workspace { workspace } => {
                        format!("[{}] ", sanitize(workspace))
                    }
                    _ => String::new(),
                };
                let limits = if limits.is_empty() {
                    "none".to_string()
                } else {
                    limits.join(" and ")
                };
                writeln!(out, "{CYAN}▸{CYAN:#} {of}budget: {limits}")
            }
            Event::Warning { workspace, message } => writeln!(
                out,
                "  {YELLOW}{}warning:{YELLOW:#} {}",
                scope(workspace),
                sanitize(message)
            ),
            Event::ContextSummarized {
                workspace,
                through_seq,
                tokens_before,
                tokens_after,
                ..
            } => writeln!(
                out,
                "  {DIM}[{}] messages #1–#{through_seq} summarized for the agents ({tokens_before} → {tokens_after} tokens){DIM:#}",
                sanitize(workspace)
            ),
            Event::WorkspaceDone {
                workspace,
                status,
                turns,
                totals,
                ..
            } => {
                self.done += (*status == Status::Done) as usize;
                let (mark, style) = match status {
                    Status::Done => ("✓", GREEN),
                    Status::Cancelled => ("■", YELLOW),
                    _ => ("✗", RED),
                };
                let work = if self.inner.contains(workspace) {
                    "combined its sub-workspaces".to_string()
                } else {
                    format!("{turns} turns")
                };
                writeln!(
                    out,
                    "{style}[{workspace}] {mark} {}{style:#} · {work} · {}",
                    sanitize(&describe(status)),
                    usage(totals)
                )
            }
            Event::RunDone {
                status,
                totals,
                elapsed_ms,
                ..
            } => {
                let style = if *status == Status::Done { GREEN } else { RED };
                writeln!(
                    out,
                    "{style}▸ run {}{style:#} · {}/{} workspaces done · {} · {:.1} s",
                    sanitize(&describe(status)),
                    self.done,
                    self.workspaces,
                    usage(totals),
                    *elapsed_ms as f64 / 1000.0
                )
            }
            _ => Ok(()),
        }
    }
}

fn write_tree(node: &Plan, depth: usize, out: &mut dyn Write) -> std::io::Result<()> {
    for c in &node.children {
        let agents = if c.agents.is_empty() {
            String::new()
        } else {
            format!("  {DIM}[{}]{DIM:#}", c.agents.join(", "))
        };
        writeln!(
            out,
            "{}{} {}: {}{agents}",
            "  ".repeat(depth),
            if c.is_leaf() { "•" } else { "▾" },
            c.id,
            sanitize(&c.title)
        )?;
        write_tree(c, depth + 1, out)?;
    }
    Ok(())
}

fn scope(workspace: &Option<String>) -> String {
    workspace
        .as_ref()
        .map(|w| format!("[{w}] "))
        .unwrap_or_default()
}

/// First line of a message, sanitized and cut for a progress line (display only: the message
/// itself is delivered whole).
fn one_line(text: &str) -> String {
    let clean = sanitize(text);
    let first = clean
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let more = clean.trim().lines().count() > 1;
    let mut s: String = first.chars().take(PREVIEW_CHARS).collect();
    if first.chars().count() > PREVIEW_CHARS || more {
        s.push('…');
    }
    s
}

/// Tokens and cost in a few words.
pub fn usage(t: &Totals) -> String {
    let u = &t.usage;
    let mut s = format!(
        "{} tokens (in {}, out {}",
        compact(u.total()),
        compact(u.input_tokens),
        compact(u.output_tokens)
    );
    if u.cache_read_tokens + u.cache_write_tokens > 0 {
        s.push_str(&format!(
            ", cache read {}, write {}",
            compact(u.cache_read_tokens),
            compact(u.cache_write_tokens)
        ));
    }
    s.push(')');
    if t.cost_usd > 0.0 {
        s.push_str(&format!(" · ${:.4}", t.cost_usd));
    }
    s
}

/// 1234 → "1.2k".
pub fn compact(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1_000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.2}M", n as f64 / 1e6),
    }
}

/// Runs a task to the end without a screen: progress on stderr (or JSON events on stdout), every
/// event into the session, the final report on stdout. Returns the process exit code: 0 done,
/// 1 the run failed, was cancelled or stopped at its budget (then it stays resumable).
pub async fn run(
    config: crate::engine::EngineConfig,
    client: crate::llm::Client,
    start: crate::engine::Command,
    mut session: crate::session::SessionWriter,
    json: bool,
) -> i32 {
    use crate::engine::{Command, Engine, Target};

    let (engine, mut events) = Engine::spawn(config, client);
    engine.send(start);
    // Events go to stdout as JSON lines, or to stderr as progress; notes always to stderr, so
    // that a JSON stream stays pure JSON.
    let mut notes = anstream::stderr();
    let mut out = Output::new(json);
    let _ = writeln!(notes, "session: {}", session.dir().display());
    // One interrupt listener for the whole run, so that no Ctrl-C is missed between polls.
    let mut interrupt = std::pin::pin!(tokio::signal::ctrl_c());
    let mut interrupts = 0;
    let mut budget = stop::BudgetStop::default();
    let outcome = loop {
        let event = tokio::select! {
            e = events.recv() => e,
            _ = &mut interrupt => {
                interrupts += 1;
                if interrupts > 1 {
                    let _ = writeln!(notes, "interrupted again: stopping now; the session so far is in {}", session.dir().display());
                    return 130;
                }
                let _ = writeln!(notes, "interrupt: cancelling the run (press Ctrl-C again to stop at once)");
                engine.send(Command::Cancel { target: Target::Run });
                interrupt.set(tokio::signal::ctrl_c());
                continue;
            }
        };
        let Some(event) = event else { break None };
        let batch = with_queued(event, &mut events);
        let stopped = batch.iter().any(|e| budget.stuck_after(e));
        let done = out.write(&batch, &mut session);
        if done.is_some() {
            break done;
        }
        if stopped {
            // The calls that were in flight when the budget was reached are paid for: what they
            // still post is recorded before stopping (no new call starts). The session then ends
            // as an interruption, to be resumed.
            let until = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
            loop {
                let quiet = tokio::time::Instant::now() + std::time::Duration::from_millis(300);
                let Ok(Some(e)) = tokio::time::timeout_at(quiet.min(until), events.recv()).await
                else {
                    break;
                };
                out.write(&with_queued(e, &mut events), &mut session);
            }
            engine.send(Command::Shutdown);
            let _ = out.progress.flush();
            for line in budget.advice(session.dir(), json) {
                let _ = writeln!(notes, "{line}");
            }
            return 1;
        }
    };
    engine.send(Command::Shutdown);
    let Some((status, report)) = outcome else {
        let _ = writeln!(notes, "the engine stopped without finishing the run");
        return 1;
    };
    if !json {
        let _ = out.progress.flush();
        let _ = writeln!(std::io::stdout().lock(), "\n{}", sanitize(&report));
        let _ = writeln!(
            notes,
            "report: {}",
            session.dir().join("report.md").display()
        );
    }
    if status == Status::Done { 0 } else { 1 }
}

/// Where a headless run's events go: the session file, and the progress lines or JSON.
struct Output {
    printer: Printer,
    /// Progress is written once per batch of events, styled (or stripped) as stderr allows.
    progress: Box<dyn Write>,
    color: anstream::ColorChoice,
    disk_error_shown: bool,
}

impl Output {
    fn new(json: bool) -> Self {
        let (progress, color): (Box<dyn Write>, _) = if json {
            (Box::new(std::io::stdout()), anstream::ColorChoice::Never)
        } else {
            let stderr = std::io::stderr();
            let color = anstream::AutoStream::choice(&stderr);
            (Box::new(stderr), color)
        };
        Self {
            printer: Printer::new(json),
            progress,
            color,
            disk_error_shown: false,
        }
    }

    /// Records a batch of events in one write, then prints it; returns the run's end if the
    /// batch holds `RunDone`.
    fn write(
        &mut self,
        batch: &[Event],
        session: &mut crate::session::SessionWriter,
    ) -> Option<(Status, String)> {
        if let Err(e) = session.record_all(batch)
            && !self.disk_error_shown
        {
            let _ = writeln!(
                anstream::stderr(),
                "warning: {e}; the run goes on but the session file is incomplete"
            );
            self.disk_error_shown = true;
        }
        let mut done = None;
        let mut lines = anstream::AutoStream::new(Vec::new(), self.color);
        for event in batch {
            if let Err(e) = self.printer.handle(event, &mut lines) {
                tracing::warn!("cannot print progress: {e}");
            }
            if let Event::RunDone { status, report, .. } = event {
                done = Some((status.clone(), report.clone()));
            }
        }
        if let Err(e) = self.progress.write_all(&lines.into_inner()) {
            tracing::warn!("cannot print progress: {e}");
        }
        done
    }
}

/// `first` and whatever else is already queued, to go to the session file in one write, with
/// neighbouring token deltas joined.
fn with_queued(
    first: Event,
    events: &mut tokio::sync::mpsc::UnboundedReceiver<Event>,
) -> Vec<Event> {
    let mut batch = vec![first];
    while let Ok(more) = events.try_recv() {
        batch.push(more);
    }
    coalesce_deltas(batch)
}

/// Joins each `TokenDelta` to the one just before it when both are from the same agent of the
/// same workspace: the same text, in the same order, in fewer events to write.
fn coalesce_deltas(batch: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::with_capacity(batch.len());
    for event in batch {
        if let (
            Some(Event::TokenDelta {
                workspace,
                agent,
                text,
            }),
            Event::TokenDelta {
                workspace: w,
                agent: a,
                text: more,
            },
        ) = (out.last_mut(), &event)
            && workspace == w
            && agent == a
        {
            text.push_str(more);
            continue;
        }
        out.push(event);
    }
    out
}

/// Prints a recorded run again as progress lines, at `speed` times the recorded pace (0: at
/// once), and its report if it has one. Returns the exit code.
pub fn replay(events: &[crate::session::Recorded], speed: f64) -> i32 {
    let mut printer = Printer::new(false);
    let mut progress = anstream::stderr();
    let mut last_ts = events.first().map(|r| r.ts).unwrap_or(0);
    let mut report = None;
    for r in events {
        if speed > 0.0 {
            std::thread::sleep(crate::session::replay_delay(last_ts, r.ts, speed));
        }
        last_ts = r.ts;
        if let Err(e) = printer.handle(&r.event, &mut progress) {
            tracing::warn!("cannot print progress: {e}");
        }
        if let Event::RunDone { report: text, .. } = &r.event {
            report = Some(text.clone());
        }
    }
    match report {
        Some(text) => {
            let _ = writeln!(std::io::stdout().lock(), "\n{}", sanitize(&text));
        }
        None => {
            let _ = writeln!(
                progress,
                "the recording ends here: the run was interrupted (huddle resume continues it)"
            );
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Message, Target};

    #[test]
    fn message_lines_are_clean_previews() {
        let mut p = Printer::new(false);
        let mut out = Vec::new();
        let message = Message {
            seq: 2,
            workspace: "venue".into(),
            from: "a".into(),
            to: vec!["b".into(), "c".into()],
            content: "\u{1b}]0;pwned\u{7}Hello\u{1b}[2J team\nsecond line".into(),
            at: 0,
        };
        p.handle(&Event::MessagePosted { message }, &mut out)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        let plain =
            String::from_utf8(anstream::adapter::strip_bytes(text.as_bytes()).into_vec()).unwrap();
        assert_eq!(plain, "  [venue] #2 a → b, c: Hello team…\n");
        assert!(!plain.contains("pwned"));
    }

    #[test]
    fn a_summary_is_one_line_without_its_text() {
        let event = Event::ContextSummarized {
            workspace: "venue".into(),
            through_seq: 14,
            summary: "- #3 a → b: \u{1b}[2J the hall".into(),
            tokens_before: 4100,
            tokens_after: 2050,
        };
        let mut out = Vec::new();
        Printer::new(false).handle(&event, &mut out).unwrap();
        let plain = String::from_utf8(anstream::adapter::strip_bytes(&out).into_vec()).unwrap();
        assert_eq!(
            plain,
            "  [venue] messages #1–#14 summarized for the agents (4100 → 2050 tokens)\n"
        );
    }

    #[test]
    fn json_mode_prints_one_event_per_line() {
        let mut p = Printer::new(true);
        let mut out = Vec::new();
        p.handle(&Event::PlanApproved, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"type\":\"PlanApproved\"}\n"
        );
    }

    #[test]
    fn an_inspected_agent_prints_nothing_in_plain_mode() {
        let event = Event::AgentInspected {
            workspace: "venue".into(),
            agent: "a".into(),
            persona: "a@team\nFinds venues.\n".into(),
            model: "m".into(),
            system: Some("You are a@team.".into()),
            request: vec![],
            reply: None,
            turns: 0,
            totals: Totals::default(),
        };
        let mut out = Vec::new();
        Printer::new(false).handle(&event, &mut out).unwrap();
        assert!(out.is_empty());
        Printer::new(true).handle(&event, &mut out).unwrap();
        let line = String::from_utf8(out).unwrap();
        assert!(line.starts_with(r#"{"type":"AgentInspected""#), "{line}");
    }

    #[test]
    fn budget_changes_print_the_new_limits() {
        let line = |event: Event| {
            let mut out = Vec::new();
            Printer::new(false).handle(&event, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let run = line(Event::BudgetChanged {
            scope: Target::Run,
            tokens: Some(300_000),
            usd: Some(2.5),
        });
        assert!(run.ends_with("budget: 300,000 tokens and $2.50\n"), "{run}");
        let venue = line(Event::BudgetChanged {
            scope: Target::Workspace {
                workspace: "venue".into(),
            },
            tokens: None,
            usd: None,
        });
        assert!(venue.ends_with("[venue] budget: none\n"), "{venue}");
    }

    #[test]
    fn only_neighbouring_deltas_of_one_agent_are_joined() {
        let delta = |agent: &str, text: &str| Event::TokenDelta {
            workspace: "w".into(),
            agent: agent.into(),
            text: text.into(),
        };
        let batch = vec![
            delta("a", "Hel"),
            delta("a", "lo"),
            delta("b", "Hi"),
            delta("a", " there"),
            Event::PlanApproved,
            delta("a", "!"),
        ];
        assert_eq!(
            coalesce_deltas(batch),
            vec![
                delta("a", "Hello"),
                delta("b", "Hi"),
                delta("a", " there"),
                Event::PlanApproved,
                delta("a", "!"),
            ]
        );
    }

    #[test]
    fn compact_numbers() {
        assert_eq!(compact(999), "999");
        assert_eq!(compact(12_345), "12.3k");
        assert_eq!(compact(2_500_000), "2.50M");
    }
}
