//! The one key table: it decides what a key does, and it feeds both the hint bar and the help
//! overlay, so keys and help never drift apart.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Something the person asked for with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    NextTab,
    PrevTab,
    /// Tab 1-9 (0-based).
    Tab(usize),
    Up,
    Down,
    Collapse,
    Expand,
    PageUp,
    PageDown,
    Home,
    End,
    ScrollUp,
    ScrollDown,
    TogglePause,
    PauseAll,
    Inspect,
    Cancel,
    CancelRun,
    /// Focus the input box to write a message (or feedback).
    Write,
    /// Focus the input box with `/` typed.
    Command,
    /// Enter: approve the plan in review.
    Approve,
    Close,
    /// Replay: twice as fast / half as fast / pause or continue / jump to the end.
    Faster,
    Slower,
    ReplayPause,
    ReplayEnd,
}

/// When a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Keys of the dashboard while the input box does not have the focus.
    Dashboard,
    /// Keys that work while typing, too.
    Always,
    /// Plan review.
    Review,
    /// An overlay (help, inspector) is open.
    Overlay,
    /// Watching a recorded run (`huddle replay`).
    Replay,
}

/// One row of the key table.
pub struct Binding {
    pub keys: &'static str,
    pub help: &'static str,
    pub context: Context,
    pub action: Action,
    /// Shown in the hint bar (the help overlay shows every binding).
    pub hint: bool,
    matches: fn(&KeyEvent) -> bool,
}

fn plain(k: &KeyEvent) -> bool {
    !k.modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
}

macro_rules! key {
    ($keys:expr, $help:expr, $ctx:ident, $action:expr, $hint:expr, |$k:ident| $m:expr) => {
        Binding {
            keys: $keys,
            help: $help,
            context: Context::$ctx,
            action: $action,
            hint: $hint,
            matches: |$k: &KeyEvent| $m,
        }
    };
}

/// Every key of the dashboard, in the order the help overlay lists them.
pub static BINDINGS: &[Binding] = &[
    key!(
        "?/F1",
        "help: this list of keys",
        Dashboard,
        Action::Help,
        true,
        |k| plain(k) && matches!(k.code, KeyCode::Char('?') | KeyCode::F(1))
    ),
    key!(
        "F1",
        "help, also while typing",
        Always,
        Action::Help,
        false,
        |k| k.code == KeyCode::F(1)
    ),
    key!(
        "Enter",
        "approve the plan",
        Review,
        Action::Approve,
        true,
        |k| k.code == KeyCode::Enter
    ),
    key!(
        "Esc",
        "cancel the run",
        Review,
        Action::CancelRun,
        true,
        |k| k.code == KeyCode::Esc
    ),
    key!(
        "Tab/S-Tab",
        "next / previous tab",
        Dashboard,
        Action::NextTab,
        true,
        |k| k.code == KeyCode::Tab
    ),
    key!(
        "S-Tab",
        "previous tab",
        Dashboard,
        Action::PrevTab,
        false,
        |k| k.code == KeyCode::BackTab
    ),
    key!(
        "1-9",
        "go to tab 1-9 (1 is Plan)",
        Dashboard,
        Action::Tab(0),
        false,
        |k| plain(k) && matches!(k.code, KeyCode::Char('1'..='9'))
    ),
    key!(
        "j/k ↑/↓",
        "select the next / previous workspace or agent",
        Dashboard,
        Action::Down,
        true,
        |k| plain(k) && matches!(k.code, KeyCode::Char('j') | KeyCode::Down)
    ),
    key!(
        "k/↑",
        "select the previous workspace or agent",
        Dashboard,
        Action::Up,
        false,
        |k| plain(k) && matches!(k.code, KeyCode::Char('k') | KeyCode::Up)
    ),
    key!(
        "h/l ←/→",
        "fold / unfold the selected workspace",
        Dashboard,
        Action::Collapse,
        false,
        |k| plain(k) && matches!(k.code, KeyCode::Char('h') | KeyCode::Left)
    ),
    key!(
        "l/→",
        "unfold the selected workspace",
        Dashboard,
        Action::Expand,
        false,
        |k| plain(k) && matches!(k.code, KeyCode::Char('l') | KeyCode::Right)
    ),
    key!(
        "PgUp/PgDn",
        "scroll the log a page",
        Dashboard,
        Action::PageUp,
        true,
        |k| k.code == KeyCode::PageUp
    ),
    key!(
        "PgDn",
        "scroll the log down a page",
        Dashboard,
        Action::PageDown,
        false,
        |k| k.code == KeyCode::PageDown
    ),
    key!(
        "Home/End",
        "top of the log / follow the end",
        Dashboard,
        Action::Home,
        false,
        |k| k.code == KeyCode::Home || (plain(k) && k.code == KeyCode::Char('g'))
    ),
    key!(
        "End/G",
        "follow the end of the log",
        Dashboard,
        Action::End,
        false,
        |k| k.code == KeyCode::End || (plain(k) && k.code == KeyCode::Char('G'))
    ),
    key!(
        "space",
        "pause / resume the selected workspace or agent",
        Dashboard,
        Action::TogglePause,
        true,
        |k| plain(k) && k.code == KeyCode::Char(' ')
    ),
    key!(
        "P",
        "pause / resume the whole run",
        Dashboard,
        Action::PauseAll,
        true,
        |k| plain(k) && k.code == KeyCode::Char('P')
    ),
    key!(
        "i",
        "inspect the selected agent",
        Dashboard,
        Action::Inspect,
        true,
        |k| plain(k) && k.code == KeyCode::Char('i')
    ),
    key!(
        "Enter/m",
        "write a message to the selected workspace (as USER)",
        Dashboard,
        Action::Write,
        true,
        |k| plain(k) && matches!(k.code, KeyCode::Enter | KeyCode::Char('m'))
    ),
    key!(
        "/",
        "type a command (/help lists them)",
        Dashboard,
        Action::Command,
        false,
        |k| plain(k) && k.code == KeyCode::Char('/')
    ),
    key!(
        "c",
        "cancel the selected workspace",
        Dashboard,
        Action::Cancel,
        true,
        |k| plain(k) && k.code == KeyCode::Char('c')
    ),
    key!(
        "C",
        "cancel the whole run",
        Dashboard,
        Action::CancelRun,
        false,
        |k| plain(k) && k.code == KeyCode::Char('C')
    ),
    key!(
        "q",
        "quit (asks while the run is going)",
        Dashboard,
        Action::Quit,
        true,
        |k| plain(k) && k.code == KeyCode::Char('q')
    ),
    key!(
        "Ctrl-C",
        "quit (asks while the run is going)",
        Always,
        Action::Quit,
        false,
        |k| k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c')
    ),
    key!(
        "+/-",
        "replay faster / slower",
        Replay,
        Action::Faster,
        true,
        |k| matches!(k.code, KeyCode::Char('+' | '='))
    ),
    key!(
        "-",
        "replay half as fast",
        Replay,
        Action::Slower,
        false,
        |k| k.code == KeyCode::Char('-')
    ),
    key!(
        ".",
        "pause / continue the replay",
        Replay,
        Action::ReplayPause,
        true,
        |k| k.code == KeyCode::Char('.')
    ),
    key!(
        ">",
        "jump to the end of the replay",
        Replay,
        Action::ReplayEnd,
        false,
        |k| k.code == KeyCode::Char('>')
    ),
    key!(
        "Esc/q",
        "close",
        Overlay,
        Action::Close,
        true,
        |k| matches!(k.code, KeyCode::Esc | KeyCode::Char('q'))
    ),
    key!(
        "j/k",
        "scroll",
        Overlay,
        Action::ScrollDown,
        true,
        |k| matches!(k.code, KeyCode::Char('j') | KeyCode::Down)
    ),
    key!(
        "k",
        "scroll up",
        Overlay,
        Action::ScrollUp,
        false,
        |k| matches!(k.code, KeyCode::Char('k') | KeyCode::Up)
    ),
    key!(
        "PgUp/PgDn",
        "scroll a page",
        Overlay,
        Action::PageUp,
        false,
        |k| k.code == KeyCode::PageUp
    ),
    key!(
        "PgDn",
        "scroll down a page",
        Overlay,
        Action::PageDown,
        false,
        |k| k.code == KeyCode::PageDown
    ),
];

/// The action of a key in the given contexts, tried in order.
pub fn action(key: &KeyEvent, contexts: &[Context]) -> Option<Action> {
    for ctx in contexts {
        for b in BINDINGS.iter().filter(|b| b.context == *ctx) {
            if (b.matches)(key) {
                return Some(match (b.action, key.code) {
                    (Action::Tab(_), KeyCode::Char(c)) => {
                        Action::Tab(c.to_digit(10).unwrap_or(1) as usize - 1)
                    }
                    (a, _) => a,
                });
            }
        }
    }
    None
}

/// The hint bar's bindings for the given contexts.
pub fn hints(contexts: &[Context]) -> Vec<&'static Binding> {
    contexts
        .iter()
        .flat_map(|ctx| BINDINGS.iter().filter(move |b| b.context == *ctx && b.hint))
        .collect()
}

/// The help overlay's sections: (title, bindings).
pub fn help_sections() -> Vec<(&'static str, Vec<&'static Binding>)> {
    [
        ("Dashboard", Context::Dashboard),
        ("Plan review", Context::Review),
        ("Anywhere, also while typing", Context::Always),
        ("Replay (huddle replay)", Context::Replay),
        ("Help and inspector", Context::Overlay),
    ]
    .into_iter()
    .map(|(title, ctx)| {
        (
            title,
            BINDINGS.iter().filter(|b| b.context == ctx).collect(),
        )
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn every_binding_is_reachable_and_documented() {
        for b in BINDINGS {
            assert!(!b.help.is_empty() && !b.keys.is_empty());
        }
        let sections = help_sections();
        let listed: usize = sections.iter().map(|(_, b)| b.len()).sum();
        assert_eq!(listed, BINDINGS.len(), "the help overlay lists every key");
    }

    #[test]
    fn keys_map_to_actions_by_context() {
        let d = [Context::Always, Context::Dashboard];
        assert_eq!(action(&key(KeyCode::Char('j')), &d), Some(Action::Down));
        assert_eq!(action(&key(KeyCode::Up), &d), Some(Action::Up));
        assert_eq!(action(&key(KeyCode::Char('3')), &d), Some(Action::Tab(2)));
        assert_eq!(
            action(&key(KeyCode::Char(' ')), &d),
            Some(Action::TogglePause)
        );
        assert_eq!(action(&key(KeyCode::BackTab), &d), Some(Action::PrevTab));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action(&ctrl_c, &d), Some(Action::Quit));
        assert_eq!(action(&key(KeyCode::Char('c')), &d), Some(Action::Cancel));
        // Review keys win over dashboard keys when listed first.
        let r = [Context::Always, Context::Review, Context::Dashboard];
        assert_eq!(action(&key(KeyCode::Enter), &r), Some(Action::Approve));
        assert_eq!(action(&key(KeyCode::Enter), &d), Some(Action::Write));
        // While typing only the Always keys act.
        assert_eq!(action(&key(KeyCode::Char('q')), &[Context::Always]), None);
        assert_eq!(
            action(&key(KeyCode::F(1)), &[Context::Always]),
            Some(Action::Help)
        );
    }

    #[test]
    fn the_readme_documents_every_key() {
        let readme = include_str!("../../README.md");
        // Every key named in the first cell of the README's key table.
        let documented: Vec<&str> = readme
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .flat_map(|cell| {
                if cell == "/" {
                    vec!["/"]
                } else {
                    cell.split(['/', ' ']).collect()
                }
            })
            .collect();
        for b in BINDINGS.iter().filter(|b| b.context != Context::Overlay) {
            let keys: Vec<&str> = if b.keys == "/" {
                vec!["/"]
            } else {
                b.keys.split(['/', ' ']).collect()
            };
            for k in keys {
                assert!(
                    documented.contains(&k),
                    "README's key table misses {k} ({})",
                    b.help
                );
            }
        }
    }

    #[test]
    fn hints_come_from_the_same_table() {
        let h = hints(&[Context::Dashboard]);
        assert!(h.iter().any(|b| b.action == Action::TogglePause));
        assert!(h.iter().all(|b| b.hint && b.context == Context::Dashboard));
    }
}
