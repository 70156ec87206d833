//! When the dashboard draws: only after something changed, and never sooner than one frame
//! (1/60 s) after the last drawing, so a flood of events costs at most 60 frames a second and
//! an idle dashboard costs none. Kept apart from the loop so it can be tested on tokio's clock.

use std::time::Duration;

use tokio::time::Instant;

/// Frames are at least this far apart (60 fps).
pub const FRAME: Duration = Duration::from_micros(16_667);

/// Whether a frame is owed, and when it may be drawn.
#[derive(Debug, Clone, Copy)]
pub struct FrameLimiter {
    dirty: bool,
    last: Option<Instant>,
}

impl Default for FrameLimiter {
    /// The first frame is owed at once.
    fn default() -> Self {
        Self {
            dirty: true,
            last: None,
        }
    }
}

impl FrameLimiter {
    /// Something on screen changed: a frame is owed.
    pub fn changed(&mut self) {
        self.dirty = true;
    }

    /// When the owed frame may be drawn; None when nothing changed since the last one.
    pub fn due(&self) -> Option<Instant> {
        if !self.dirty {
            return None;
        }
        Some(self.last.map_or_else(Instant::now, |last| last + FRAME))
    }

    /// A frame was drawn at `at`.
    pub fn drawn(&mut self, at: Instant) {
        self.last = Some(at);
        self.dirty = false;
    }
}

#[cfg(test)]
mod tests;
