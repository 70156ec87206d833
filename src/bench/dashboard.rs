//! Dashboard benchmarks: frame time, frames under an event flood, idle redraws, memory per
//! message and startup time.

mod flood;
mod frame;
mod memory;
pub(crate) mod scene;
mod startup;

use std::time::Duration;

use super::{BenchOpts, Row};

/// The terminal size the issue measures at.
const SIZE: (u16, u16) = (200, 60);

pub fn rows(opts: BenchOpts) -> Vec<Row> {
    let mut rows = Vec::new();
    // Startup first: launching a child from a small process is quick; from one holding the
    // benchmarks' heaps, the launch itself (fork copies the page tables) would be timed.
    memory::release_free_memory();
    if let Some(ms) = startup::median_ms(if opts.quick { 3 } else { 9 }) {
        rows.push(Row::at_most(
            "dashboard: launch to first frame (median)",
            ms,
            "ms",
            50.0,
        ));
    }
    // Then memory: a fresh heap gives the least noisy resident set.
    let messages = if opts.quick { 1_000 } else { 10_000 };
    if let Some(mb) = memory::per_10k(messages, 1024) {
        rows.push(Row::at_most(
            format!("dashboard: memory per 10k messages of 1 KB (from {messages})"),
            mb,
            "MB",
            15.0,
        ));
    }
    let (workspaces, messages, frames) = if opts.quick {
        (100, 2_000, 50)
    } else {
        (1_000, 100_000, 2_000)
    };
    let scene = format!("{workspaces} workspaces, {messages} messages");
    let mut app = frame::app(workspaces, messages, SIZE);
    let times = frame::measure(&mut app, frames);
    // A resize must show on the next frame; the rest of the log follows between inputs.
    let (taken, all) = frame::resize_ms(&mut app);
    eprintln!(
        "note: all {messages} messages re-wrapped {all:.0} ms after a resize, between inputs"
    );
    rows.push(Row::at_most(
        format!("dashboard: resize taken ({messages} messages)"),
        taken,
        "ms",
        16.7,
    ));

    drop(app);
    for (what, sorted) in [("wall", &times.wall_ms), ("CPU", &times.cpu_ms)] {
        for p in [50.0, 99.0] {
            rows.push(Row::at_most(
                format!("dashboard: frame p{p} {what} ({scene})"),
                frame::percentile(sorted, p),
                "ms",
                4.0,
            ));
        }
    }
    let span = Duration::from_secs_f64(if opts.quick { 0.3 } else { 2.0 });
    if let Some(f) = flood::measure(workspaces, 10_000, span) {
        rows.push(Row::at_least(
            "dashboard: token events/s taken in under the flood",
            f.events_per_s,
            "/s",
            9_000.0,
        ));
        rows.push(Row::at_most(
            "dashboard: frames/s under the flood",
            f.frames_per_s,
            "/s",
            60.0,
        ));
        rows.push(Row::at_most(
            "dashboard: frames in 1 s idle",
            f.idle_frames as f64,
            "",
            0.0,
        ));
        rows.push(Row::at_most(
            "dashboard: loop CPU in 1 s idle",
            f.idle_cpu_ms,
            "ms",
            1.0,
        ));
    }
    rows
}
