//! Frame time: the whole dashboard drawn at 200x60 with a 1,000-workspace tree beside a log of
//! 100k messages, with something new in every frame (a streamed token, a scroll, a selection).

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::tui::app::{App, Input, Tab};
use crate::tui::view;

use super::scene::{self, SHOWN};

/// Frame times in milliseconds, each sorted: by the wall clock, and the drawing thread's own
/// CPU time (which leaves out the time other processes held the core).
pub struct Frames {
    pub wall_ms: Vec<f64>,
    pub cpu_ms: Vec<f64>,
}

/// The `p`-th percentile (0..=100) of sorted figures, nearest rank.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// CPU time this thread has used, in milliseconds.
pub fn thread_cpu_ms() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for clock_gettime to write.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0;
    if ok {
        t.tv_sec as f64 * 1000.0 + t.tv_nsec as f64 / 1e6
    } else {
        f64::NAN
    }
}

/// The app of the scene: `workspaces` in the tree, `messages` of 1 KB in the shown workspace,
/// which is the current tab.
pub fn app(workspaces: usize, messages: u64, size: (u16, u16)) -> App {
    let mut app = App::new(None, size);
    scene::feed(&mut app, scene::start_events(&scene::plan(workspaces)));
    app.tab = Tab::Workspace(SHOWN.into());
    app.selected = Some((SHOWN.into(), None));
    app.update(Input::Resize(size.0, size.1));
    scene::feed(
        &mut app,
        (1..=messages).map(|s| scene::message(SHOWN, s, 1024)),
    );
    app
}

/// Draws `frames` frames, changing the app before each, and times each draw.
pub fn measure(app: &mut App, frames: usize) -> Frames {
    let (w, h) = app.size;
    let Ok(mut terminal) = Terminal::new(TestBackend::new(w, h));
    let key = |c| Input::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let mut wall = Vec::with_capacity(frames);
    let mut cpu = Vec::with_capacity(frames);
    for i in 0..frames {
        let change = match i % 8 {
            // Scroll a page up and back to following the end.
            2 => key(KeyCode::PageUp),
            3 => key(KeyCode::End),
            // Move the tree's selection to the first agent and back.
            5 => key(KeyCode::Char('j')),
            6 => key(KeyCode::Char('k')),
            _ => Input::Engine(Box::new(scene::token(i as u64))),
        };
        app.update(change);
        let (start, start_cpu) = (Instant::now(), thread_cpu_ms());
        let Ok(_) = terminal.draw(|f| view::draw(f, app));
        wall.push(start.elapsed().as_secs_f64() * 1000.0);
        cpu.push(thread_cpu_ms() - start_cpu);
    }
    wall.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    Frames {
        wall_ms: wall,
        cpu_ms: cpu,
    }
}

/// A resize by one column: milliseconds until the app has taken it (the end of the log, which
/// shows, is wrapped again), and until every entry is, in slices between inputs.
pub fn resize_ms(app: &mut App) -> (f64, f64) {
    let (w, h) = app.size;
    let start = Instant::now();
    app.update(Input::Resize(w.saturating_sub(1), h));
    let taken = start.elapsed().as_secs_f64() * 1000.0;
    while app.rewrap_pending() {
        app.rewrap_step();
    }
    let all = start.elapsed().as_secs_f64() * 1000.0;
    app.update(Input::Resize(w, h));
    while app.rewrap_pending() {
        app.rewrap_step();
    }
    (taken, all)
}
