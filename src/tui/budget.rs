//! Budgets in the dashboard: the limits the engine announced, the top bar's spending against
//! them, and `/budget`.

use std::collections::HashMap;

use crate::engine::budget::{self, BudgetKind, Limits};
use crate::engine::{Command, Event, Target, Totals};
use crate::headless::compact;
use crate::text::sanitize;

use super::app::{App, Effect};
use super::model::Phase;

/// What `/budget` asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Show the budget and what was spent.
    Show,
    /// No limit any more.
    Off,
    Tokens(u64),
    Usd(f64),
}

/// `/budget [WORKSPACE] [tokens N | usd X | off]`.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetCommand {
    /// `None` for the run.
    pub workspace: Option<String>,
    pub change: Change,
}

/// How `/budget` is written, for the help and errors.
pub const USAGE: &str = "/budget [WORKSPACE] [tokens N|usd X|off]";

/// Parses the words after `/budget`.
pub fn parse(words: &[&str]) -> Result<BudgetCommand, String> {
    let usage = || format!("use {USAGE}, e.g. /budget tokens 300k or /budget usd 2");
    let (workspace, rest) = match words {
        [first, rest @ ..]
            if !matches!(first.to_lowercase().as_str(), "tokens" | "usd" | "off") =>
        {
            (Some(first.to_string()), rest)
        }
        _ => (None, words),
    };
    let change = match rest {
        [] => Change::Show,
        [off] if off.eq_ignore_ascii_case("off") => Change::Off,
        [kind, value] if kind.eq_ignore_ascii_case("tokens") => {
            Change::Tokens(budget::parse_tokens(value)?)
        }
        [kind, value] if kind.eq_ignore_ascii_case("usd") => Change::Usd(budget::parse_usd(value)?),
        _ => return Err(usage()),
    };
    Ok(BudgetCommand { workspace, change })
}

/// The budgets the engine announced.
#[derive(Debug, Default)]
pub struct Budgets {
    pub run: Limits,
    pub workspaces: HashMap<String, Limits>,
}

impl Budgets {
    /// Takes in the limits a `BudgetChanged` announces.
    pub fn apply(&mut self, event: &Event) {
        if let Event::BudgetChanged { scope, tokens, usd } = event {
            let limits = Limits {
                tokens: *tokens,
                usd: *usd,
            };
            match scope {
                Target::Workspace { workspace } => {
                    self.workspaces.insert(workspace.clone(), limits);
                }
                _ => self.run = limits,
            }
        }
    }

    /// The limits of the run (`None`) or of a workspace.
    pub fn limits(&self, workspace: Option<&str>) -> Limits {
        match workspace {
            Some(w) => self.workspaces.get(w).copied().unwrap_or_default(),
            None => self.run,
        }
    }

    /// The new limits `change` asks for; `None` for [`Change::Show`].
    pub fn changed(&self, cmd: &BudgetCommand) -> Option<Limits> {
        let mut limits = self.limits(cmd.workspace.as_deref());
        match cmd.change {
            Change::Show => return None,
            Change::Off => limits = Limits::default(),
            Change::Tokens(n) => limits.tokens = Some(n),
            Change::Usd(x) => limits.usd = Some(x),
        }
        Some(limits)
    }
}

/// For a `BudgetReached`: what is paused and the command that lets it go on.
pub fn hint(event: &Event) -> Option<String> {
    let Event::BudgetReached {
        scope,
        kind,
        limit,
        spent,
    } = event
    else {
        return None;
    };
    let word = match kind {
        BudgetKind::Tokens => "tokens",
        BudgetKind::Usd => "usd",
    };
    let (what, at) = match scope {
        Target::Workspace { workspace } => (format!("'{workspace}' is"), format!("{workspace} ")),
        _ => ("the run is".to_string(), String::new()),
    };
    // Workspace ids come from the planner's reply.
    Some(sanitize(&format!(
        "budget reached: {what} paused; raise it with /budget {at}{word} {}",
        budget::suggest(*kind, *limit, *spent)
    )))
}

impl App {
    /// `/budget`: shows the budget, or sends the new limits (the other kind kept as it is).
    pub(super) fn budget_command(&mut self, cmd: BudgetCommand) -> Result<Vec<Effect>, String> {
        if matches!(self.model.phase, Phase::Idle | Phase::Done) || self.playback.is_some() {
            return Err(
                "budgets apply to a live run; start one with --budget-tokens or --budget-usd"
                    .into(),
            );
        }
        let spent = match &cmd.workspace {
            Some(w) => match self.model.workspace(w) {
                Some(ws) => ws.totals,
                None => return Err(format!("no workspace '{w}'")),
            },
            None => self.model.totals,
        };
        let Some(limits) = self.model.budgets.changed(&cmd) else {
            let scope = match &cmd.workspace {
                Some(w) => format!("workspace '{w}'"),
                None => "the run".to_string(),
            };
            let limits = self.model.budgets.limits(cmd.workspace.as_deref());
            self.notice(sanitize(&show(&limits, &spent, &scope)), false);
            return Ok(vec![]);
        };
        let target = match cmd.workspace {
            Some(workspace) => Target::Workspace { workspace },
            None => Target::Run,
        };
        Ok(vec![Effect::Send(Command::SetBudget {
            target,
            tokens: limits.tokens,
            usd: limits.usd,
        })])
    }
}

/// The top bar's tokens and cost, each with whether its limit is reached: against the budget
/// when one is set ("182k/200k tok", "$0.42/$0.50"; tokens of every kind, as the budget counts
/// them), else as before (input and output tokens, cost).
pub fn bar(limits: &Limits, spent: &Totals) -> [(String, bool); 2] {
    let u = &spent.usage;
    let tokens = match limits.tokens {
        Some(t) => (
            format!("{}/{} tok", compact(u.total()), compact(t)),
            u.total() >= t,
        ),
        None => (
            format!("{} tok", compact(u.input_tokens + u.output_tokens)),
            false,
        ),
    };
    let usd = match limits.usd {
        Some(x) => (
            format!("${:.2}/${x:.2}", spent.cost_usd),
            spent.cost_usd >= x,
        ),
        None => (format!("${:.2}", spent.cost_usd), false),
    };
    [tokens, usd]
}

/// `/budget` with nothing after it: the limits and what was spent, in one line.
pub fn show(limits: &Limits, spent: &Totals, scope: &str) -> String {
    if limits.is_none() {
        return format!("{scope} has no budget; set one with /budget tokens 200k or /budget usd 2");
    }
    let [tokens, usd] = bar(limits, spent);
    let parts: Vec<&str> = [
        (limits.tokens.is_some(), &tokens.0),
        (limits.usd.is_some(), &usd.0),
    ]
    .into_iter()
    .filter_map(|(set, text)| set.then_some(text.as_str()))
    .collect();
    let state = if limits.reached(spent).is_some() {
        " (reached)"
    } else {
        ""
    };
    format!("{scope} budget: {}{state}", parts.join(" · "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_commands_parse_for_the_run_and_a_workspace() {
        let run = |change| BudgetCommand {
            workspace: None,
            change,
        };
        assert_eq!(parse(&[]), Ok(run(Change::Show)));
        assert_eq!(parse(&["off"]), Ok(run(Change::Off)));
        assert_eq!(parse(&["tokens", "300k"]), Ok(run(Change::Tokens(300_000))));
        assert_eq!(parse(&["USD", "$2"]), Ok(run(Change::Usd(2.0))));
        assert_eq!(
            parse(&["venue", "usd", "1"]),
            Ok(BudgetCommand {
                workspace: Some("venue".into()),
                change: Change::Usd(1.0)
            })
        );
        assert!(parse(&["tokens"]).unwrap_err().contains(USAGE));
        assert!(parse(&["tokens", "many"]).unwrap_err().contains("200k"));
        assert!(parse(&["venue", "usd", "1", "2"]).is_err());
    }

    #[test]
    fn a_change_keeps_the_other_kind_and_off_clears_both() {
        let mut b = Budgets::default();
        b.apply(&Event::BudgetChanged {
            scope: Target::Run,
            tokens: Some(200_000),
            usd: Some(0.5),
        });
        let cmd = |change| BudgetCommand {
            workspace: None,
            change,
        };
        assert_eq!(
            b.changed(&cmd(Change::Tokens(300_000))),
            Some(Limits {
                tokens: Some(300_000),
                usd: Some(0.5)
            })
        );
        assert_eq!(b.changed(&cmd(Change::Off)), Some(Limits::default()));
        assert_eq!(b.changed(&cmd(Change::Show)), None);
    }
}
