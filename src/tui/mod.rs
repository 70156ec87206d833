//! The terminal dashboard (SPEC §6): a consumer of engine events and a sender of commands, like the
//! headless printer and the session writer.
//!
//! The loop awaits one input (a key, an engine event, the clock), drains whatever else is queued,
//! and draws only when something changed, at most 60 times a second, inside synchronized output.

pub mod app;
pub mod budget;
pub mod commands;
pub mod frames;
pub mod inspector;
pub mod keys;
pub mod layout;
pub mod log;
pub mod markdown;
pub mod model;
pub mod terminal;
pub mod view;

use std::io::{self, Write};
use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream, MouseEventKind};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use crate::engine::{Command, Engine, EngineHandle, Event, Status};
use crate::launch::{Launcher, Prepared, Resumed};
use crate::session::{Recorded, SessionWriter};

use app::{App, Effect, Input};
use frames::FrameLimiter;
/// Engine events applied before the loop looks at keys and the clock again.
const BATCH: usize = 4096;
/// How late a replayed event may be and still pace the next one (beyond it, a pause).
const CATCH_UP: Duration = Duration::from_millis(250);
/// How long quitting waits for a cancelled run to write its last events.
const SETTLE: Duration = Duration::from_secs(3);

/// A run in progress: the engine, its events, and its session on disk.
struct Running {
    engine: EngineHandle,
    events: UnboundedReceiver<Event>,
    session: SessionWriter,
    disk_error_shown: bool,
}

impl Running {
    /// Spawns the engine for a prepared run and sends it `first` (start or resume).
    fn start(prepared: Prepared, first: Command, app: &mut App) -> Self {
        app.session = Some(prepared.session.dir().display().to_string());
        let (engine, events) = Engine::spawn(prepared.config, prepared.client);
        engine.send(first);
        Self {
            engine,
            events,
            session: prepared.session,
            disk_error_shown: false,
        }
    }

    /// Records an event in the session file (the first failure is shown, the run goes on).
    fn record(&mut self, event: &Event, app: &mut App) {
        // An inspection answers the person's question; it is not part of the run's history.
        if matches!(event, Event::AgentInspected { .. }) {
            return;
        }
        if let Err(e) = self.session.record(event)
            && !self.disk_error_shown
        {
            self.disk_error_shown = true;
            app.notice(
                format!("{e}; the run goes on but the session file is incomplete"),
                true,
            );
        }
    }
}

/// How the dashboard opens.
pub enum Begin {
    /// Empty or with a task filled in (and, with `start`, sent to the planner at once).
    Task { task: Option<String>, start: bool },
    /// An interrupted run going on (`huddle resume`).
    Resume(Box<Resumed>),
    /// A recorded run shown again (`huddle replay`), no engine.
    Replay {
        session: String,
        events: Vec<Recorded>,
        speed: f64,
    },
}

/// Opens the dashboard; returns the process exit code.
pub fn run(launcher: Launcher, begin: Begin) -> i32 {
    open(Some(launcher), begin)
}

/// Replays a recorded run in the dashboard at `speed` times its pace.
pub fn replay(dir: &std::path::Path, events: Vec<Recorded>, speed: f64) -> i32 {
    open(
        None,
        Begin::Replay {
            session: dir.display().to_string(),
            events,
            speed,
        },
    )
}

fn open(launcher: Option<Launcher>, begin: Begin) -> i32 {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("huddle: cannot start the async runtime: {e}");
            return 2;
        }
    };
    let outcome = runtime.block_on(dashboard(launcher.as_ref(), begin));
    match outcome {
        Ok(Exit { session, report }) => {
            if let Some(dir) = session {
                println!("session: {dir}");
            }
            if let Some(report) = report {
                println!("report:  {report}");
            }
            0
        }
        Err(e) => {
            eprintln!("huddle: the terminal failed: {e}");
            1
        }
    }
}

/// How the dashboard ended: the session it wrote and its report, if any.
pub struct Exit {
    pub session: Option<String>,
    pub report: Option<String>,
}

/// Where the dashboard draws.
pub trait Screen {
    /// Columns and rows.
    fn size(&mut self) -> io::Result<(u16, u16)>;
    /// Draws one frame of `app`.
    fn draw(&mut self, app: &App) -> io::Result<()>;
}

/// The real terminal, in dashboard mode until dropped.
struct TermScreen {
    terminal: terminal::Term,
    _guard: terminal::Guard,
}

impl Screen for TermScreen {
    fn size(&mut self) -> io::Result<(u16, u16)> {
        let size = self.terminal.size()?;
        Ok((size.width, size.height))
    }

    fn draw(&mut self, app: &App) -> io::Result<()> {
        queue_sync(&mut self.terminal, true);
        self.terminal.draw(|f| view::draw(f, app))?;
        queue_sync(&mut self.terminal, false);
        Ok(())
    }
}

async fn dashboard(launcher: Option<&Launcher>, begin: Begin) -> io::Result<Exit> {
    let (terminal, guard) = terminal::init()?;
    let mut screen = TermScreen {
        terminal,
        _guard: guard,
    };
    drive(&mut screen, EventStream::new(), launcher, begin).await
}

/// The dashboard's loop on any screen and stream of terminal input (the terminal's, or a
/// benchmark's): awaits one input, drains what else is queued, draws when a frame is owed.
pub async fn drive(
    screen: &mut impl Screen,
    mut keys: impl Stream<Item = io::Result<TermEvent>> + Unpin,
    launcher: Option<&Launcher>,
    begin: Begin,
) -> io::Result<Exit> {
    let size = screen.size()?;
    let opened = Instant::now();
    let prefill = match &begin {
        Begin::Task { task, .. } => task.clone(),
        _ => None,
    };
    let mut app = App::new(prefill, size);
    app.provider_hint = launcher.map(Launcher::describe);
    app.no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut running: Option<Running> = None;
    let mut pending: Vec<Effect> = vec![];
    let mut player: Option<Player> = None;
    match begin {
        Begin::Task {
            task: Some(task),
            start: true,
        } => pending = app.begin(task),
        Begin::Task { .. } => {}
        Begin::Resume(resumed) => {
            let Resumed {
                prepared, events, ..
            } = *resumed;
            for event in &events {
                app.update(Input::Engine(Box::new(event.clone())));
            }
            app.typing = false;
            app.started_ms = Some(0);
            running = Some(Running::start(
                prepared,
                Command::ResumeRun { events },
                &mut app,
            ));
        }
        Begin::Replay {
            session,
            events,
            speed,
        } => {
            app.session = Some(session);
            app.watch(app::Playback {
                speed,
                paused: false,
                shown: 0,
                total: events.len(),
                to_end: speed == 0.0,
            });
            player = Some(Player::new(events));
        }
    }
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut frames = FrameLimiter::default();
    loop {
        app.update(Input::Tick(opened.elapsed().as_millis() as u64));
        for effect in pending.drain(..) {
            match effect {
                Effect::Send(cmd) => match &running {
                    Some(r) => r.engine.send(cmd),
                    None if app.playback.is_some() => {
                        app.notice("this is a replay: nothing runs, nothing to steer", true)
                    }
                    None => app.notice("no run is going", true),
                },
                Effect::Start(_) if launcher.is_none() => {
                    app.notice("this is a replay; start new runs with huddle", true)
                }
                Effect::Start(task) => {
                    let Some(launcher) = launcher else { continue };
                    if let Some(old) = running.take() {
                        old.engine.send(Command::Shutdown);
                    }
                    match launcher.prepare(&task) {
                        Ok(p) => {
                            running =
                                Some(Running::start(p, Command::StartTask { task }, &mut app));
                        }
                        Err(e) => app.fail_start(&task, e),
                    }
                }
                Effect::Quit => {
                    settle(&mut running, &mut app).await;
                    return Ok(Exit {
                        report: app
                            .model
                            .report
                            .as_ref()
                            .and(app.session.as_ref())
                            .map(|s| format!("{s}/report.md")),
                        session: app.session.clone(),
                    });
                }
            }
        }
        let active = running.is_some() && app.model.elapsed_ms.is_none();
        let next_frame = frames.due();
        let next_replayed = player.as_ref().and_then(|p| p.due(app.playback.as_ref()));
        tokio::select! {
            biased;
            _ = tokio::time::sleep_until(next_frame.unwrap_or_else(Instant::now)), if next_frame.is_some() => {
                screen.draw(&app)?;
                frames.drawn(Instant::now());
            }
            input = keys.next() => {
                let Some(input) = input else { break };
                if let Some(input) = translate(input?) {
                    pending = app.update(input);
                    frames.changed();
                }
            }
            event = next_event(&mut running) => {
                let Some(event) = event else {
                    // The engine is gone; keep what is on screen.
                    running = None;
                    continue;
                };
                let Some(r) = running.as_mut() else { continue };
                r.record(&event, &mut app);
                pending = app.update(Input::Engine(Box::new(event)));
                // Drain what else is queued, then draw once.
                for _ in 0..BATCH {
                    let Ok(event) = r.events.try_recv() else { break };
                    r.record(&event, &mut app);
                    pending.extend(app.update(Input::Engine(Box::new(event))));
                }
                frames.changed();
            }
            _ = tokio::time::sleep_until(next_replayed.unwrap_or_else(Instant::now)), if next_replayed.is_some() => {
                if let Some(p) = player.as_mut() {
                    p.play(&mut app);
                }
                frames.changed();
            }
            _ = clock.tick(), if active => {
                app.update(Input::Tick(opened.elapsed().as_millis() as u64));
                frames.changed();
            }
            // Only when nothing else is ready: the rest of a long log after a resize.
            _ = std::future::ready(()), if app.rewrap_pending() => {
                app.rewrap_step();
                frames.changed();
            }
        }
    }
    settle(&mut running, &mut app).await;
    Ok(Exit {
        session: app.session.clone(),
        report: None,
    })
}

/// Plays recorded events into the dashboard at the recorded pace times the playback speed.
struct Player {
    events: std::vec::IntoIter<Recorded>,
    next: Option<Recorded>,
    /// Recorded time of the last event shown, and when it was shown.
    last: Option<(u64, Instant)>,
}

impl Player {
    fn new(events: Vec<Recorded>) -> Self {
        let mut events = events.into_iter();
        let next = events.next();
        Self {
            events,
            next,
            last: None,
        }
    }

    /// When the next event is due; None at the end or while paused.
    fn due(&self, playback: Option<&app::Playback>) -> Option<Instant> {
        let next = self.next.as_ref()?;
        let playback = playback?;
        if playback.to_end {
            return Some(Instant::now());
        }
        if playback.paused {
            return None;
        }
        Some(match self.last {
            None => Instant::now(),
            Some((ts, at)) => {
                at + crate::session::replay_delay(ts, next.ts, playback.speed.max(0.01))
            }
        })
    }

    /// Shows every event that is due now (all of them when jumping to the end).
    fn play(&mut self, app: &mut App) {
        let now = Instant::now();
        let mut shown = 0;
        while self.next.is_some() && shown < BATCH {
            let to_end = app.playback.is_some_and(|p| p.to_end);
            let due = self.due(app.playback.as_ref());
            if shown > 0 && !to_end && due.is_none_or(|d| d > now) {
                break;
            }
            // The next event is paced from when this one was due, not from when the loop woke
            // up, so timer lateness does not add up; after a pause the pace starts from now.
            let at = due
                .filter(|&d| d <= now && now.duration_since(d) < CATCH_UP)
                .unwrap_or(now);
            let Some(r) = self.next.take() else { break };
            self.next = self.events.next();
            self.last = Some((r.ts, at));
            app.update(Input::Engine(Box::new(r.event)));
            if let Some(p) = &mut app.playback {
                p.shown += 1;
            }
            shown += 1;
        }
    }
}

/// Lets a cancelled run write its last events to the session before the engine stops.
async fn settle(running: &mut Option<Running>, app: &mut App) {
    let Some(r) = running.as_mut() else { return };
    if app.model.elapsed_ms.is_none() && app.model.status != Status::Pending {
        let deadline = Instant::now() + SETTLE;
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, r.events.recv()).await {
            r.record(&event, app);
            let done = matches!(event, Event::RunDone { .. });
            app.update(Input::Engine(Box::new(event)));
            if done {
                break;
            }
        }
    }
    r.engine.send(Command::Shutdown);
}

async fn next_event(running: &mut Option<Running>) -> Option<Event> {
    match running {
        Some(r) => r.events.recv().await,
        None => std::future::pending().await,
    }
}

/// Terminal events the dashboard acts on; mouse motion is dropped so that it costs no frame.
fn translate(event: TermEvent) -> Option<Input> {
    match event {
        TermEvent::Key(k) => Some(Input::Key(k)),
        TermEvent::Mouse(m) => match m.kind {
            MouseEventKind::Moved | MouseEventKind::Drag(_) | MouseEventKind::Up(_) => None,
            _ => Some(Input::Mouse(m)),
        },
        TermEvent::Paste(text) => Some(Input::Paste(text)),
        TermEvent::Resize(w, h) => Some(Input::Resize(w, h)),
        TermEvent::FocusGained | TermEvent::FocusLost => None,
    }
}

/// Wraps a frame in synchronized output so the terminal shows it whole.
fn queue_sync(terminal: &mut terminal::Term, begin: bool) {
    let out = terminal.backend_mut();
    let _ = if begin {
        crossterm::queue!(out, BeginSynchronizedUpdate)
    } else {
        crossterm::queue!(out, EndSynchronizedUpdate)
    };
    let _ = out.flush();
}

#[cfg(test)]
mod tests;
