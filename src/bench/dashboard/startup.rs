//! Startup: from launching the real binary in a pseudo-terminal to the first bytes of its first
//! frame (the start of synchronized output, which every frame begins with).

use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// What every frame starts with (synchronized update on).
const FRAME_START: &[u8] = b"\x1b[?2026h";
/// How long one launch may take before it counts as failed.
const LIMIT: Duration = Duration::from_secs(10);

/// Median milliseconds to the first frame over `runs` launches; None if a launch failed.
pub fn median_ms(runs: usize) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let home = std::env::temp_dir().join(format!("huddle-bench-startup-{}", std::process::id()));
    std::fs::create_dir_all(&home).ok()?;
    let times: Option<Vec<f64>> = (0..runs).map(|_| once(&exe, &home)).collect();
    let _ = std::fs::remove_dir_all(&home);
    let mut times = times?;
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied()
}

/// One launch of bare `huddle` (the empty dashboard) in a clean environment: no provider keys,
/// so it opens on the offline simulation; home and XDG directories in `home`.
fn once(exe: &Path, home: &Path) -> Option<f64> {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 60,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .ok()?;
    let mut cmd = CommandBuilder::new(exe);
    cmd.env_clear();
    for (k, v) in crate::bench::clean_env(home) {
        cmd.env(k, v);
    }
    cmd.env("TERM", "xterm-256color");
    cmd.cwd(home);
    let mut reader = pair.master.try_clone_reader().ok()?;
    let mut writer = pair.master.take_writer().ok()?;
    let (seen_tx, seen_rx) = mpsc::channel();
    // Reads until the child closes the terminal, so it never blocks on a full pty.
    let reading = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 8192];
        let mut told = false;
        while let Ok(n @ 1..) = reader.read(&mut buf) {
            out.extend_from_slice(&buf[..n]);
            if !told && out.windows(FRAME_START.len()).any(|w| w == FRAME_START) {
                told = seen_tx.send(Instant::now()).is_ok();
            }
        }
    });
    let launched = Instant::now();
    let mut child = pair.slave.spawn_command(cmd).ok()?;
    drop(pair.slave);
    let first_frame = seen_rx.recv_timeout(LIMIT).ok();
    // Ctrl-C quits the empty dashboard; kill it if it does not.
    let _ = writer.write_all(b"\x03");
    let _ = writer.flush();
    let deadline = Instant::now() + LIMIT;
    while child.try_wait().ok()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(writer);
    drop(pair.master);
    let _ = reading.join();
    Some(first_frame?.duration_since(launched).as_secs_f64() * 1000.0)
}
