//! `/commands` typed in the input box, and `@agent` addressing of a message.

use super::budget::{self, BudgetCommand};

/// A parsed `/command`.
#[derive(Debug, Clone, PartialEq)]
pub enum Slash {
    Help,
    Quit,
    Approve,
    Pause {
        all: bool,
        workspace: Option<String>,
    },
    Resume {
        all: bool,
        workspace: Option<String>,
    },
    Cancel {
        all: bool,
        workspace: Option<String>,
    },
    Inspect {
        agent: Option<String>,
    },
    /// 0-based tab index.
    Tab(usize),
    Budget(BudgetCommand),
}

/// The commands as the help overlay and errors list them.
pub const LIST: &str = "/help /quit /approve /pause [all|WORKSPACE] /resume [all|WORKSPACE] /cancel [all|WORKSPACE] /inspect [AGENT] /tab N /budget [WORKSPACE] [tokens N|usd X|off]";

/// Parses what follows the `/`.
pub fn parse(text: &str) -> Result<Slash, String> {
    let mut words = text.split_whitespace();
    let name = words.next().unwrap_or("").to_lowercase();
    if name == "budget" {
        return budget::parse(&words.collect::<Vec<_>>()).map(Slash::Budget);
    }
    let arg = words.next().map(str::to_string);
    if let Some(extra) = words.next() {
        return Err(format!("/{name} takes one argument at most, not '{extra}'"));
    }
    let scope = |arg: Option<String>| {
        let all = arg
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("all"));
        (all, if all { None } else { arg })
    };
    Ok(match name.as_str() {
        "help" | "h" | "?" => Slash::Help,
        "quit" | "q" | "exit" => Slash::Quit,
        "approve" | "ok" => Slash::Approve,
        "pause" => {
            let (all, workspace) = scope(arg);
            Slash::Pause { all, workspace }
        }
        "resume" => {
            let (all, workspace) = scope(arg);
            Slash::Resume { all, workspace }
        }
        "cancel" => {
            let (all, workspace) = scope(arg);
            Slash::Cancel { all, workspace }
        }
        "inspect" | "i" => Slash::Inspect {
            agent: arg.map(|a| a.trim_start_matches('@').to_string()),
        },
        "tab" => match arg.as_deref().map(str::parse::<usize>) {
            Some(Ok(n)) if n >= 1 => Slash::Tab(n - 1),
            _ => return Err("/tab takes a tab number, e.g. /tab 2".into()),
        },
        "" => return Err(format!("type a command after /: {LIST}")),
        other => return Err(format!("unknown command /{other}; commands: {LIST}")),
    })
}

/// Splits leading `@agent` words off a message: (addressees, text). No `@` means everyone.
pub fn addressees(text: &str) -> (Vec<String>, String) {
    let mut to = Vec::new();
    let mut rest = text.trim_start();
    while let Some(after) = rest.strip_prefix('@') {
        let end = after
            .find(|c: char| c.is_whitespace() || c == ',' || c == ':')
            .unwrap_or(after.len());
        if end == 0 {
            break;
        }
        // `@name@team` addresses name.
        let name = after[..end].split('@').next().unwrap_or_default();
        to.push(name.to_string());
        rest = after[end..].trim_start_matches([',', ':']).trim_start();
    }
    (to, rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_their_scope() {
        assert_eq!(parse("help"), Ok(Slash::Help));
        assert_eq!(
            parse("pause all"),
            Ok(Slash::Pause {
                all: true,
                workspace: None
            })
        );
        assert_eq!(
            parse("Cancel venue"),
            Ok(Slash::Cancel {
                all: false,
                workspace: Some("venue".into())
            })
        );
        assert_eq!(
            parse("inspect @tech_setup"),
            Ok(Slash::Inspect {
                agent: Some("tech_setup".into())
            })
        );
        assert_eq!(parse("tab 3"), Ok(Slash::Tab(2)));
        assert!(parse("tab 0").is_err());
        assert!(parse("frobnicate").unwrap_err().contains("/pause"));
        assert!(parse("pause a b").is_err());
        assert!(
            matches!(parse("budget venue tokens 1.5m"), Ok(Slash::Budget(b)) if b.workspace.as_deref() == Some("venue"))
        );
    }

    #[test]
    fn leading_mentions_address_agents() {
        assert_eq!(
            addressees("@venue_coordinator, @tech_setup@venue_team: check the stage"),
            (
                vec!["venue_coordinator".into(), "tech_setup".into()],
                "check the stage".into()
            )
        );
        assert_eq!(addressees("hello all"), (vec![], "hello all".into()));
        assert_eq!(addressees("@ lone at"), (vec![], "@ lone at".into()));
        assert_eq!(
            addressees("email me@x.org"),
            (vec![], "email me@x.org".into())
        );
    }
}
