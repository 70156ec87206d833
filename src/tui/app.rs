//! The dashboard's state and its one place of change, [`App::update`]. Rendering (`view`) is a
//! function of this state; the runner turns the returned [`Effect`]s into engine commands.

use std::cell::Cell;
use std::collections::HashSet;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};
use ratatui_textarea::TextArea;

use crate::engine::{Command, Event, Status, Target};

use super::commands::{self, Slash};
use super::keys::{self, Action, Context};
use super::layout::Areas;
use super::log::{ChatLog, Scroll};
use super::model::{AgentView, Phase, RunModel, WorkspaceView};

/// Something that happens to the dashboard.
#[derive(Debug, Clone)]
pub enum Input {
    Engine(Box<Event>),
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// Milliseconds since the dashboard opened.
    Tick(u64),
}

/// What the runner must do for the dashboard.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Send(Command),
    /// Start a run of this task (a new session).
    Start(String),
    Quit,
}

/// The tabs right of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tab {
    Plan,
    Workspace(String),
    Summary,
}

/// A modal layer over the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help,
    Inspector { workspace: String, agent: String },
    ConfirmQuit,
    ConfirmCancel(Target),
}

/// Playback of a recorded run (`huddle replay`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Playback {
    /// Times the recorded pace.
    pub speed: f64,
    pub paused: bool,
    /// Events shown so far, and in all.
    pub shown: usize,
    pub total: usize,
    /// Show everything left at once.
    pub to_end: bool,
}

/// A one-line message in the hint bar until the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub error: bool,
}

/// A visible row of the workspace tree: a workspace, or an agent of it.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub workspace: &'a WorkspaceView,
    pub agent: Option<&'a AgentView>,
    pub depth: usize,
}

impl Row<'_> {
    /// Whether this row is the selection `(workspace, agent)`.
    pub fn is(&self, selected: &(String, Option<String>)) -> bool {
        self.workspace.id == selected.0
            && self.agent.map(|a| a.name.as_str()) == selected.1.as_deref()
    }
}

pub struct App {
    pub model: RunModel,
    pub input: TextArea<'static>,
    /// Whether keys go to the input box.
    pub typing: bool,
    pub tab: Tab,
    /// Selected tree row: a workspace, or an agent of it.
    pub selected: Option<(String, Option<String>)>,
    pub collapsed: HashSet<String>,
    pub overlay: Option<Overlay>,
    pub overlay_scroll: Scroll,
    /// The inspector's text, built from the engine's answer.
    pub inspector: ChatLog,
    pub flash: Option<Flash>,
    pub size: (u16, u16),
    pub now_ms: u64,
    /// When the current run started, in dashboard time.
    pub started_ms: Option<u64>,
    pub session: Option<String>,
    /// Provider and model before a run reports them.
    pub provider_hint: Option<String>,
    /// NO_COLOR: draw without colours.
    pub no_color: bool,
    /// Set while replaying a recorded run: nothing is sent to an engine.
    pub playback: Option<Playback>,
    /// The tree's first visible row between frames (the only state drawing touches).
    pub tree_top: Cell<usize>,
}

impl App {
    pub fn new(task: Option<String>, size: (u16, u16)) -> Self {
        let mut app = Self {
            model: RunModel::default(),
            input: TextArea::default(),
            typing: true,
            tab: Tab::Plan,
            selected: None,
            collapsed: HashSet::new(),
            overlay: None,
            overlay_scroll: Scroll::default(),
            inspector: ChatLog::new(),
            flash: None,
            size,
            now_ms: 0,
            started_ms: None,
            session: None,
            provider_hint: None,
            no_color: false,
            playback: None,
            tree_top: Cell::new(0),
        };
        if let Some(task) = task {
            app.input.insert_str(task.trim());
        }
        app.restyle_input();
        app.sync_width();
        app
    }

    pub fn areas(&self) -> Areas {
        Areas::new(
            Rect::new(0, 0, self.size.0, self.size.1),
            self.input_height(),
        )
    }

    fn input_height(&self) -> u16 {
        (self.input.lines().len() as u16).clamp(1, 5) + 2
    }

    /// Elapsed time of the run in milliseconds.
    pub fn elapsed_ms(&self) -> u64 {
        match (self.model.elapsed_ms, self.started_ms) {
            (Some(done), _) => done,
            (None, Some(start)) => self.now_ms.saturating_sub(start),
            _ => 0,
        }
    }

    /// Tabs in order: Plan, every workspace in tree order, Summary.
    pub fn tabs(&self) -> Vec<Tab> {
        let mut tabs = vec![Tab::Plan];
        tabs.extend(self.model.order.iter().cloned().map(Tab::Workspace));
        tabs.push(Tab::Summary);
        tabs
    }

    /// The workspace the person points at: the tab's, else the selected row's.
    pub fn focused_workspace(&self) -> Option<&str> {
        match &self.tab {
            Tab::Workspace(id) => Some(id),
            _ => self.selected.as_ref().map(|(w, _)| w.as_str()),
        }
    }

    /// Visible rows of the tree: workspaces in plan order, a leaf's agents under it.
    pub fn rows(&self) -> Vec<Row<'_>> {
        let mut rows = Vec::new();
        let mut hidden_below: Option<usize> = None;
        for id in &self.model.order {
            let Some(w) = self.model.workspace(id) else {
                continue;
            };
            if let Some(d) = hidden_below {
                if w.depth > d {
                    continue;
                }
                hidden_below = None;
            }
            rows.push(Row {
                workspace: w,
                agent: None,
                depth: w.depth,
            });
            if self.collapsed.contains(id) {
                hidden_below = Some(w.depth);
                continue;
            }
            if w.leaf {
                rows.extend(w.agents.iter().map(|a| Row {
                    workspace: w,
                    agent: Some(a),
                    depth: w.depth + 1,
                }));
            }
        }
        rows
    }

    /// Applies one input; returns what the runner must do.
    pub fn update(&mut self, input: Input) -> Vec<Effect> {
        match input {
            Input::Engine(event) => self.on_engine(*event),
            Input::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Input::Key(_) => vec![],
            Input::Mouse(mouse) => {
                self.on_mouse(mouse);
                vec![]
            }
            Input::Paste(text) => {
                if !self.typing {
                    self.typing = true;
                }
                self.input
                    .insert_str(text.replace("\r\n", "\n").replace('\r', "\n"));
                vec![]
            }
            Input::Resize(w, h) => {
                self.size = (w, h);
                self.sync_width();
                vec![]
            }
            Input::Tick(now) => {
                self.now_ms = now;
                vec![]
            }
        }
    }

    fn on_engine(&mut self, event: Event) -> Vec<Effect> {
        let mut effects = vec![];
        let before = self.model.phase;
        // A live inspector follows the agent it shows.
        if let Some(Overlay::Inspector { workspace, agent }) = &self.overlay {
            let refresh = match &event {
                Event::MessagePosted { message } => {
                    message.workspace == *workspace && message.from == *agent
                }
                Event::UsageUpdated {
                    workspace: Some(w),
                    agent: Some(a),
                    ..
                } => w == workspace && a == agent,
                _ => false,
            };
            if refresh {
                effects.push(Effect::Send(Command::Inspect {
                    workspace: workspace.clone(),
                    agent: agent.clone(),
                }));
            }
        }
        let inspected = matches!(event, Event::AgentInspected { .. });
        if let Some(hint) = super::budget::hint(&event) {
            self.notice(hint, true);
        }
        self.model.apply(&event);
        if inspected {
            self.rebuild_inspector();
        }
        match (before, self.model.phase) {
            // Typed feedback not yet sent stays in the box; otherwise the dashboard keys work.
            (Phase::Review, Phase::Running) if self.input.is_empty() => self.typing = false,
            (p, Phase::Done) if p != Phase::Done => {
                self.tab = Tab::Summary;
                self.typing = false;
            }
            _ => {}
        }
        if before != self.model.phase {
            self.restyle_input();
        }
        self.sync_width();
        effects
    }

    fn contexts(&self) -> Vec<Context> {
        if self.overlay.is_some() {
            return vec![Context::Always, Context::Overlay];
        }
        if self.typing {
            return vec![Context::Always];
        }
        if self.playback.is_some() {
            return vec![Context::Always, Context::Replay, Context::Dashboard];
        }
        if self.model.phase == Phase::Review {
            vec![Context::Always, Context::Review, Context::Dashboard]
        } else {
            vec![Context::Always, Context::Dashboard]
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        self.flash = None;
        match self.overlay.clone() {
            Some(Overlay::ConfirmQuit) => return self.confirm(key, |app| app.quit_now()),
            Some(Overlay::ConfirmCancel(target)) => {
                return self.confirm(key, move |_| vec![Effect::Send(Command::Cancel { target })]);
            }
            _ => {}
        }
        let action = keys::action(&key, &self.contexts());
        if self.typing && action.is_none() {
            return self.on_typing_key(key);
        }
        match action {
            Some(a) => self.on_action(a),
            None => vec![],
        }
    }

    fn confirm(
        &mut self,
        key: KeyEvent,
        yes: impl FnOnce(&mut Self) -> Vec<Effect>,
    ) -> Vec<Effect> {
        match key.code {
            KeyCode::Char('y' | 'Y') | KeyCode::Enter => {
                self.overlay = None;
                yes(self)
            }
            KeyCode::Char('n' | 'N') | KeyCode::Esc | KeyCode::Char('q') => {
                self.overlay = None;
                vec![]
            }
            // Ctrl-C twice quits at once.
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => self.quit_now(),
            _ => vec![],
        }
    }

    fn quit_now(&mut self) -> Vec<Effect> {
        let mut effects = vec![];
        if self.playback.is_none()
            && matches!(
                self.model.phase,
                Phase::Planning | Phase::Review | Phase::Running
            )
        {
            effects.push(Effect::Send(Command::Cancel {
                target: Target::Run,
            }));
        }
        effects.push(Effect::Quit);
        effects
    }

    fn on_typing_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        match key.code {
            KeyCode::Enter if alt || shift => {
                self.input.insert_newline();
                vec![]
            }
            KeyCode::Enter => self.submit(),
            KeyCode::Esc => {
                if !self.input.is_empty() {
                    self.clear_input();
                } else if self.model.phase == Phase::Review {
                    return self.on_action(Action::CancelRun);
                } else if self.model.phase != Phase::Idle {
                    self.typing = false;
                }
                vec![]
            }
            KeyCode::PageUp => self.on_action(Action::PageUp),
            KeyCode::PageDown => self.on_action(Action::PageDown),
            _ => {
                self.input.input(key);
                vec![]
            }
        }
    }

    fn clear_input(&mut self) {
        self.input.select_all();
        self.input.cut();
    }

    fn take_input(&mut self) -> String {
        let text = self.input.lines().join("\n");
        self.clear_input();
        text.trim().to_string()
    }

    /// Enter in the input box: what it means depends on the phase.
    fn submit(&mut self) -> Vec<Effect> {
        let text = self.take_input();
        if let Some(rest) = text.strip_prefix('/') {
            return match commands::parse(rest) {
                Ok(cmd) => self.slash(cmd),
                Err(e) => self.error(e),
            };
        }
        match self.model.phase {
            Phase::Idle | Phase::Done => {
                if text.is_empty() {
                    return self.error("type a task first, e.g. Plan a product launch for our app");
                }
                self.start(text)
            }
            Phase::Planning => {
                self.input.insert_str(&text);
                self.error("the planner is still writing; send feedback when the plan is shown")
            }
            Phase::Review if text.is_empty() => self.on_action(Action::Approve),
            Phase::Review => vec![Effect::Send(Command::RevisePlan { feedback: text })],
            Phase::Running => {
                let Some(workspace) = self.focused_workspace().map(str::to_string) else {
                    return self.error("select a workspace to talk to");
                };
                if text.is_empty() {
                    self.typing = false;
                    return vec![];
                }
                let (to, text) = commands::addressees(&text);
                self.typing = false;
                vec![Effect::Send(Command::InjectMessage {
                    workspace,
                    to,
                    text,
                })]
            }
        }
    }

    /// Starts a run of `task` as if it had been typed.
    pub fn begin(&mut self, task: String) -> Vec<Effect> {
        self.clear_input();
        self.start(task)
    }

    /// A run could not start (a bad team file, an unwritable session directory): say why and
    /// give the task back for another try.
    pub fn fail_start(&mut self, task: &str, error: String) {
        self.model.phase = Phase::Idle;
        self.started_ms = None;
        self.typing = true;
        self.clear_input();
        self.input.insert_str(task);
        self.restyle_input();
        self.notice(format!("cannot start: {error}"), true);
    }

    /// Turns the dashboard into a player of a recorded run: keys steer the playback, nothing
    /// is sent anywhere.
    pub fn watch(&mut self, playback: Playback) {
        self.playback = Some(playback);
        self.typing = false;
    }

    /// A one-line message in the hint bar until the next key.
    pub fn notice(&mut self, text: impl Into<String>, error: bool) {
        self.flash = Some(Flash {
            text: text.into(),
            error,
        });
    }

    fn start(&mut self, task: String) -> Vec<Effect> {
        let fresh = App::new(None, self.size);
        let keep = (
            self.now_ms,
            self.provider_hint.take(),
            self.no_color,
            self.session.take(),
        );
        *self = fresh;
        (self.now_ms, self.provider_hint, self.no_color, self.session) = keep;
        self.started_ms = Some(self.now_ms);
        self.model.task = task.clone();
        self.model.phase = Phase::Planning;
        self.restyle_input();
        vec![Effect::Start(task)]
    }

    fn error(&mut self, text: impl Into<String>) -> Vec<Effect> {
        self.notice(text, true);
        vec![]
    }

    fn info(&mut self, text: impl Into<String>) {
        self.notice(text, false);
    }

    fn slash(&mut self, cmd: Slash) -> Vec<Effect> {
        let ws = |app: &Self, name: Option<String>| -> Result<String, String> {
            match name.or_else(|| app.focused_workspace().map(str::to_string)) {
                Some(w) if app.model.workspace(&w).is_some() => Ok(w),
                Some(w) => Err(format!("no workspace '{w}'")),
                None => Err("no workspace is selected".into()),
            }
        };
        let target = |app: &Self, all: bool, name: Option<String>| {
            if all {
                Ok(Target::Run)
            } else {
                ws(app, name).map(|workspace| Target::Workspace { workspace })
            }
        };
        let result: Result<Vec<Effect>, String> = match cmd {
            Slash::Help => {
                self.open(Overlay::Help);
                Ok(vec![])
            }
            Slash::Quit => Ok(self.on_action(Action::Quit)),
            Slash::Approve => Ok(self.on_action(Action::Approve)),
            Slash::Pause { all, workspace } => target(self, all, workspace)
                .map(|target| vec![Effect::Send(Command::Pause { target })]),
            Slash::Resume { all, workspace } => target(self, all, workspace)
                .map(|target| vec![Effect::Send(Command::Resume { target })]),
            Slash::Cancel { all, workspace } => target(self, all, workspace).map(|target| {
                self.overlay = Some(Overlay::ConfirmCancel(target));
                vec![]
            }),
            Slash::Inspect { agent } => ws(self, None).map(|w| self.inspect(w, agent)),
            Slash::Tab(n) => {
                self.go_tab(n);
                Ok(vec![])
            }
            Slash::Budget(cmd) => self.budget_command(cmd),
        };
        self.typing = self.model.phase == Phase::Idle;
        result.unwrap_or_else(|e| self.error(e))
    }

    fn on_action(&mut self, action: Action) -> Vec<Effect> {
        let running = matches!(self.model.phase, Phase::Running);
        match action {
            Action::Quit => {
                if self.playback.is_none()
                    && matches!(
                        self.model.phase,
                        Phase::Planning | Phase::Review | Phase::Running
                    )
                {
                    self.overlay = Some(Overlay::ConfirmQuit);
                    return vec![];
                }
                return vec![Effect::Quit];
            }
            Action::Help => self.open(Overlay::Help),
            Action::Close => self.overlay = None,
            Action::NextTab | Action::PrevTab => {
                let tabs = self.tabs();
                let i = tabs.iter().position(|t| *t == self.tab).unwrap_or(0);
                let n = tabs.len();
                let next = if action == Action::NextTab {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.go_tab(next);
            }
            Action::Tab(n) => self.go_tab(n),
            Action::Up | Action::Down => {
                self.move_selection(if action == Action::Up { -1 } else { 1 })
            }
            Action::Collapse | Action::Expand => {
                if let Some((w, None)) = &self.selected {
                    if action == Action::Collapse {
                        self.collapsed.insert(w.clone());
                    } else {
                        self.collapsed.remove(w);
                    }
                } else if let (Action::Collapse, Some((w, Some(_)))) = (action, &self.selected) {
                    // Folding from an agent row selects its workspace and folds it.
                    let w = w.clone();
                    self.collapsed.insert(w.clone());
                    self.selected = Some((w, None));
                }
            }
            Action::PageUp
            | Action::PageDown
            | Action::Home
            | Action::End
            | Action::ScrollUp
            | Action::ScrollDown => self.scroll(action),
            Action::TogglePause if running => return self.toggle_pause(),
            Action::PauseAll if running || self.model.phase == Phase::Review => {
                let target = Target::Run;
                return vec![Effect::Send(if self.model.paused {
                    Command::Resume { target }
                } else {
                    Command::Pause { target }
                })];
            }
            Action::TogglePause | Action::PauseAll => self.info("nothing runs yet"),
            Action::Inspect => {
                let Some((w, agent)) = self.selected.clone() else {
                    return self.error("select an agent in the tree first (j/k)");
                };
                let agent = agent.or_else(|| {
                    self.model
                        .workspace(&w)
                        .and_then(|ws| ws.agents.first())
                        .map(|a| a.name.clone())
                });
                return match agent {
                    Some(a) => self.inspect(w, Some(a)),
                    None => self.error("this workspace has no agent to inspect"),
                };
            }
            Action::Cancel if running => {
                if let Some(workspace) = self.focused_workspace().map(str::to_string) {
                    self.overlay = Some(Overlay::ConfirmCancel(Target::Workspace { workspace }));
                }
            }
            Action::CancelRun if self.model.phase == Phase::Review => {
                return vec![Effect::Send(Command::Cancel {
                    target: Target::Run,
                })];
            }
            Action::CancelRun if running => {
                self.overlay = Some(Overlay::ConfirmCancel(Target::Run));
            }
            Action::Cancel | Action::CancelRun => self.info("nothing to cancel"),
            Action::Write => {
                self.typing = true;
                self.restyle_input();
            }
            Action::Command => {
                self.typing = true;
                self.input.insert_char('/');
            }
            Action::Faster | Action::Slower | Action::ReplayPause | Action::ReplayEnd => {
                if let Some(p) = &mut self.playback {
                    match action {
                        Action::Faster => p.speed = (p.speed * 2.0).min(256.0),
                        Action::Slower => p.speed = (p.speed / 2.0).max(0.25),
                        Action::ReplayPause => p.paused = !p.paused,
                        _ => p.to_end = true,
                    }
                }
            }
            Action::Approve => {
                if self.model.phase == Phase::Review {
                    return vec![Effect::Send(Command::ApprovePlan)];
                }
                self.info("no plan waits for approval");
            }
        }
        vec![]
    }

    fn open(&mut self, overlay: Overlay) {
        self.overlay = Some(overlay);
        self.overlay_scroll = Scroll {
            follow: false,
            top: 0,
        };
    }

    fn inspect(&mut self, workspace: String, agent: Option<String>) -> Vec<Effect> {
        let Some(agent) = agent.or_else(|| self.selected.as_ref().and_then(|(_, a)| a.clone()))
        else {
            return self.error("name an agent: /inspect AGENT");
        };
        self.model.inspection = None;
        self.rebuild_inspector();
        self.open(Overlay::Inspector {
            workspace: workspace.clone(),
            agent: agent.clone(),
        });
        vec![Effect::Send(Command::Inspect { workspace, agent })]
    }

    fn toggle_pause(&mut self) -> Vec<Effect> {
        let Some((workspace, agent)) = self.selected.clone() else {
            return self.error("select a workspace or agent first (j/k)");
        };
        let Some(w) = self.model.workspace(&workspace) else {
            return vec![];
        };
        if w.status.is_finished() {
            return self.error(format!("'{workspace}' has finished"));
        }
        let (target, paused) = match agent {
            Some(agent) => {
                let paused = w.agent(&agent).is_some_and(|a| a.paused);
                (Target::Agent { workspace, agent }, paused)
            }
            None => (Target::Workspace { workspace }, w.status == Status::Paused),
        };
        vec![Effect::Send(if paused {
            Command::Resume { target }
        } else {
            Command::Pause { target }
        })]
    }

    fn go_tab(&mut self, n: usize) {
        let tabs = self.tabs();
        let Some(tab) = tabs.get(n.min(tabs.len() - 1)).cloned() else {
            return;
        };
        if let Tab::Workspace(w) = &tab
            && self.selected.as_ref().is_none_or(|(s, _)| s != w)
        {
            self.selected = Some((w.clone(), None));
        }
        self.tab = tab;
        self.sync_width();
    }

    fn move_selection(&mut self, delta: isize) {
        let rows = self.rows();
        if rows.is_empty() {
            let action = if delta < 0 {
                Action::ScrollUp
            } else {
                Action::ScrollDown
            };
            return self.scroll(action);
        }
        let current = self
            .selected
            .as_ref()
            .and_then(|s| rows.iter().position(|r| r.is(s)));
        let next = match current {
            Some(i) => (i as isize + delta).clamp(0, rows.len() as isize - 1) as usize,
            None => 0,
        };
        let row = &rows[next];
        let (workspace, agent) = (row.workspace.id.clone(), row.agent.map(|a| a.name.clone()));
        self.select(workspace, agent);
    }

    /// The log the current tab (or overlay) shows, and its scroll position.
    fn scroll(&mut self, action: Action) {
        let height = self.areas().log.height as usize;
        let (log, scroll) = match (&self.overlay, &self.tab) {
            (Some(_), _) => (None, &mut self.overlay_scroll),
            (None, Tab::Plan) => (Some(&self.model.plan_log), &mut self.model.plan_scroll),
            (None, Tab::Summary) => (Some(&self.model.report_log), &mut self.model.report_scroll),
            (None, Tab::Workspace(id)) => match self.model.workspaces.get_mut(id) {
                Some(w) => (Some(&w.log), &mut w.scroll),
                None => return,
            },
        };
        let total = match (log, &self.overlay) {
            (Some(log), _) => log.line_count(),
            (None, Some(Overlay::Inspector { .. })) => self.inspector.line_count(),
            (None, _) => super::view::overlay::help_lines().len(),
        };
        let page = height.saturating_sub(2).max(1);
        match action {
            Action::PageUp => scroll.up(page, total, height),
            Action::PageDown => scroll.down(page, total, height),
            Action::ScrollUp => scroll.up(1, total, height),
            Action::ScrollDown => scroll.down(1, total, height),
            Action::Home => scroll.home(),
            _ => scroll.end(),
        }
    }

    fn on_mouse(&mut self, mouse: MouseEvent) {
        let areas = self.areas();
        let at = Position::new(mouse.column, mouse.row);
        match mouse.kind {
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let up = mouse.kind == MouseEventKind::ScrollUp;
                if self.overlay.is_none() && areas.tree.contains(at) {
                    self.move_selection(if up { -1 } else { 1 });
                } else {
                    for _ in 0..3 {
                        self.scroll(if up {
                            Action::ScrollUp
                        } else {
                            Action::ScrollDown
                        });
                    }
                }
            }
            MouseEventKind::Down(_) if self.overlay.is_none() && areas.tree.contains(at) => {
                let picked = super::view::tree::row_at(self, areas.tree, at).and_then(|i| {
                    let rows = self.rows();
                    let row = rows.get(i)?;
                    Some((row.workspace.id.clone(), row.agent.map(|a| a.name.clone())))
                });
                if let Some((workspace, agent)) = picked {
                    self.select(workspace, agent);
                }
            }
            _ => {}
        }
    }

    /// Selects a tree row and shows its workspace.
    fn select(&mut self, workspace: String, agent: Option<String>) {
        self.tab = Tab::Workspace(workspace.clone());
        self.selected = Some((workspace, agent));
        self.sync_width();
    }

    /// Keeps the visible logs wrapped at the width they are drawn at.
    fn sync_width(&mut self) {
        let areas = self.areas();
        let width = areas.log.width;
        self.model.plan_log.set_width(width);
        self.model.report_log.set_width(areas.report.width);
        if let Tab::Workspace(id) = &self.tab
            && let Some(w) = self.model.workspaces.get_mut(id)
        {
            w.log.set_width(width);
        }
        self.inspector.set_width(areas.overlay_text.width);
    }

    /// Whether a log on screen still has entries wrapped at an earlier width.
    pub fn rewrap_pending(&self) -> bool {
        self.model.plan_log.is_stale()
            || self.model.report_log.is_stale()
            || self.inspector.is_stale()
            || self.current_log().is_some_and(ChatLog::is_stale)
    }

    /// Wraps another slice of the logs on screen at their width (a resize wraps what shows at
    /// once and leaves the rest of a long log to this, between inputs).
    pub fn rewrap_step(&mut self) {
        const SLICE: usize = 500;
        self.model.plan_log.rewrap_some(SLICE);
        self.model.report_log.rewrap_some(SLICE);
        self.inspector.rewrap_some(SLICE);
        if let Tab::Workspace(id) = &self.tab
            && let Some(w) = self.model.workspaces.get_mut(id)
        {
            w.log.rewrap_some(SLICE);
        }
    }

    fn current_log(&self) -> Option<&ChatLog> {
        match &self.tab {
            Tab::Workspace(id) => self.model.workspace(id).map(|w| &w.log),
            _ => None,
        }
    }

    fn rebuild_inspector(&mut self) {
        self.inspector.clear();
        let text = super::inspector::document(self);
        self.inspector.push_text(&text);
        self.inspector.set_width(self.areas().overlay_text.width);
    }

    /// The input box's title and placeholder say what Enter will do.
    pub fn restyle_input(&mut self) {
        let placeholder = match self.model.phase {
            Phase::Idle => "What should the team do? e.g. Organize a 500-person tech conference",
            Phase::Planning => "The planner is writing the plan…",
            Phase::Review => {
                "Enter approves the plan · type feedback and Enter to re-plan · Esc cancels"
            }
            Phase::Running => {
                "Message to the selected workspace as USER (@agent to address one) · /help"
            }
            Phase::Done => "Type a new task, or q to quit",
        };
        self.input.set_placeholder_text(placeholder);
    }
}
