//! Frames under a flood: the dashboard's real loop replays a run whose replies stream at 10k
//! token events a second, on a screen that counts its frames; then the loop idles, and should
//! neither draw nor use the CPU.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::time::Instant;

use crate::session::Recorded;
use crate::tui::app::App;
use crate::tui::{self, Begin, Screen, view};

use super::frame::thread_cpu_ms;
use super::scene;

/// What the loop did.
pub struct Flood {
    /// Token events the loop took in per second while they streamed.
    pub events_per_s: f64,
    /// Frames drawn per second while they streamed.
    pub frames_per_s: f64,
    /// Frames drawn in a second of idling after the last event's frame.
    pub idle_frames: usize,
    /// CPU time the loop's thread used in that second, in milliseconds.
    pub idle_cpu_ms: f64,
}

/// A frame: when it was drawn, and how many recorded events had been shown by then.
type Drawn = Rc<RefCell<Vec<(Instant, usize)>>>;

/// A 200x60 screen in memory that remembers each frame.
struct Counting {
    terminal: Terminal<TestBackend>,
    drawn: Drawn,
}

impl Screen for Counting {
    fn size(&mut self) -> io::Result<(u16, u16)> {
        let area = self.terminal.backend().buffer().area;
        Ok((area.width, area.height))
    }

    fn draw(&mut self, app: &App) -> io::Result<()> {
        let Ok(_) = self.terminal.draw(|f| view::draw(f, app));
        let shown = app.playback.map_or(0, |p| p.shown);
        self.drawn.borrow_mut().push((Instant::now(), shown));
        Ok(())
    }
}

/// Streams `rate` token events a second for `span` into a plan of `workspaces` workspaces.
pub fn measure(workspaces: usize, rate: u64, span: Duration) -> Option<Flood> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .ok()?;
    runtime.block_on(run(workspaces, rate, span, Duration::from_secs(1)))
}

/// The recorded run: every workspace started at 0 ms, then `rate` token events a second.
fn recorded(workspaces: usize, rate: u64, span: Duration) -> (Vec<Recorded>, usize) {
    let start = scene::start_events(&scene::plan(workspaces));
    let first = start.len();
    let tokens = (rate as f64 * span.as_secs_f64()) as u64;
    let events = start
        .into_iter()
        .map(|event| Recorded { ts: 0, event })
        .chain((0..tokens).map(|i| Recorded {
            // Milliseconds, as sessions record them: several events share each one.
            ts: 1 + i * 1000 / rate.max(1),
            event: scene::token(i),
        }))
        .collect();
    (events, first)
}

/// Replays the flood through the dashboard's loop, idles for `idle`, then quits with `q`.
async fn run(workspaces: usize, rate: u64, span: Duration, idle: Duration) -> Option<Flood> {
    let (events, first) = recorded(workspaces, rate, span);
    let total = events.len();
    let drawn: Drawn = Rc::default();
    let Ok(terminal) = Terminal::new(TestBackend::new(200, 60));
    let mut screen = Counting {
        terminal,
        drawn: drawn.clone(),
    };
    let (keys_tx, keys_rx) = tokio::sync::mpsc::unbounded_channel::<io::Result<TermEvent>>();
    let keys = Box::pin(futures_util::stream::unfold(keys_rx, |mut rx| async move {
        rx.recv().await.map(|k| (k, rx))
    }));
    let begin = Begin::Replay {
        session: "bench".into(),
        events,
        speed: 1.0,
    };
    // Both run on one thread, so the CPU time read here is the loop's.
    let watch = async {
        while drawn
            .borrow()
            .last()
            .is_none_or(|&(_, shown)| shown < total)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The last event's frame is drawn; from here on nothing changes.
        let (idle_from, cpu_before) = (Instant::now(), thread_cpu_ms());
        tokio::time::sleep(idle).await;
        let idle_cpu_ms = thread_cpu_ms() - cpu_before;
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        let _ = keys_tx.send(Ok(TermEvent::Key(q)));
        (idle_from, idle_cpu_ms)
    };
    let (ended, (idle_from, idle_cpu_ms)) =
        tokio::join!(tui::drive(&mut screen, keys, None, begin), watch);
    ended.ok()?;
    let drawn = drawn.borrow();
    // The flood: from the first frame showing a token to the first showing them all.
    let from = drawn.iter().find(|&&(_, shown)| shown > first)?;
    let to = drawn.iter().find(|&&(_, shown)| shown == total)?;
    let secs = to.0.duration_since(from.0).as_secs_f64().max(1e-3);
    let frames = drawn
        .iter()
        .filter(|(at, _)| *at > from.0 && *at <= to.0)
        .count();
    Some(Flood {
        events_per_s: (to.1 - from.1) as f64 / secs,
        frames_per_s: frames as f64 / secs,
        idle_frames: drawn.iter().filter(|(at, _)| *at > idle_from).count(),
        idle_cpu_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The loop on tokio's paused clock: the same flood, the same count, no wall time.
    #[tokio::test(start_paused = true)]
    async fn under_a_flood_the_loop_draws_at_most_60_frames_a_second_and_idle_none() {
        let flood = run(30, 10_000, Duration::from_secs(2), Duration::from_secs(10))
            .await
            .expect("the loop ran and drew the flood");
        assert!(
            flood.frames_per_s <= 60.5,
            "{} frames/s",
            flood.frames_per_s
        );
        assert!(
            flood.frames_per_s >= 30.0,
            "{} frames/s",
            flood.frames_per_s
        );
        // Replay keeps the recorded pace even though the loop wakes up late.
        assert!(
            flood.events_per_s >= 9_500.0,
            "{} events/s",
            flood.events_per_s
        );
        assert_eq!(flood.idle_frames, 0, "nothing changed in 10 s of idling");
    }
}
