//! Memory held per 10k messages: the growth of the process's resident set while an app takes
//! 10k messages of 1 KB and draws them once (so the wrapped layout is built).

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::tui::app::{App, Input, Tab};
use crate::tui::view;

use super::scene::{self, SHOWN};

/// Megabytes of resident memory the app grew by while taking `messages` messages of `size`
/// bytes, scaled to 10k messages; None where the resident set cannot be read.
pub fn per_10k(messages: u64, size: usize) -> Option<f64> {
    let mut app = App::new(None, (200, 60));
    scene::feed(&mut app, scene::start_events(&scene::plan(12)));
    app.tab = Tab::Workspace(SHOWN.into());
    app.update(Input::Resize(200, 60));
    release_free_memory();
    let before = rss_bytes()?;
    // Each event is built just before it is applied, as it would arrive from the engine.
    for seq in 1..=messages {
        app.update(Input::Engine(Box::new(scene::message(SHOWN, seq, size))));
    }
    let Ok(mut terminal) = Terminal::new(TestBackend::new(200, 60));
    terminal.draw(|f| view::draw(f, &app)).ok()?;
    release_free_memory();
    let after = rss_bytes()?;
    drop(app);
    let grown = after.saturating_sub(before) as f64 / 1e6;
    Some(grown * 10_000.0 / messages.max(1) as f64)
}

/// Resident set size of this process, from /proc/self/status.
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Hands freed heap pages back to the system, so that the resident set counts what is held
/// rather than what earlier benchmarks freed (or, after, what the app's temporaries freed).
pub fn release_free_memory() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only walks glibc's own free lists; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}
