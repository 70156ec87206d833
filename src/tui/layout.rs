//! Where everything goes, as a pure function of the terminal size: update uses it to wrap logs at
//! the width they will be drawn at, the views use it to draw.

use ratatui::layout::Rect;

/// The smallest terminal the dashboard draws in; below it, it says so.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// The areas of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub full: Rect,
    pub top: Rect,
    pub tree: Rect,
    pub tabs: Rect,
    /// One line over the log: what the tab shows and its state.
    pub header: Rect,
    /// The log of the current tab (without its scrollbar column).
    pub log: Rect,
    pub scrollbar: Rect,
    /// The report under the Summary tab's table (same width as `log`).
    pub report: Rect,
    pub input: Rect,
    pub hints: Rect,
    pub overlay: Rect,
    /// The text inside the overlay's border (without its scrollbar column).
    pub overlay_text: Rect,
}

impl Areas {
    pub fn new(full: Rect, input_height: u16) -> Self {
        let w = full.width.max(MIN_WIDTH);
        let h = full.height.max(MIN_HEIGHT);
        let input_height = input_height.min(h / 3);
        let top = Rect::new(0, 0, w, 1);
        let hints = Rect::new(0, h - 1, w, 1);
        let input = Rect::new(0, h - 1 - input_height, w, input_height);
        let main_y = 1;
        let main_h = h - 2 - input_height;
        let tree_w = (w * 3 / 10).clamp(24, 44);
        let tree = Rect::new(0, main_y, tree_w, main_h);
        let right_x = tree_w;
        let right_w = w - tree_w;
        let tabs = Rect::new(right_x, main_y, right_w, 1);
        let body = Rect::new(
            right_x + 1,
            main_y + 1,
            right_w.saturating_sub(1),
            main_h - 1,
        );
        let header = Rect::new(body.x, body.y, body.width, 1);
        let log = Rect::new(
            body.x,
            body.y + 1,
            body.width.saturating_sub(1),
            body.height - 1,
        );
        let scrollbar = Rect::new(log.right(), log.y, 1, log.height);
        let ow = (w * 9 / 10).max(MIN_WIDTH - 4).min(w);
        let oh = (h * 85 / 100).max(MIN_HEIGHT - 2).min(h);
        let overlay = Rect::new((w - ow) / 2, (h - oh) / 2, ow, oh);
        // Border and one column of padding each side, and a scrollbar column.
        let overlay_text = Rect::new(
            overlay.x + 2,
            overlay.y + 1,
            overlay.width.saturating_sub(5),
            overlay.height.saturating_sub(2),
        );
        Self {
            full,
            top,
            tree,
            tabs,
            header,
            log,
            scrollbar,
            report: log,
            input,
            hints,
            overlay,
            overlay_text,
        }
    }

    /// Whether the terminal is too small to draw the dashboard.
    pub fn too_small(&self) -> bool {
        self.full.width < MIN_WIDTH || self.full.height < MIN_HEIGHT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_tile_an_80x24_terminal_without_overlap() {
        let a = Areas::new(Rect::new(0, 0, 80, 24), 3);
        assert!(!a.too_small());
        assert_eq!(a.tree.width + a.tabs.width, 80);
        assert_eq!(
            a.top.height + a.tree.height + a.input.height + a.hints.height,
            24
        );
        assert!(!a.tree.intersects(a.log));
        assert!(!a.log.intersects(a.input));
        assert_eq!(a.log.right(), a.scrollbar.x);
        assert!(a.log.width >= 50, "the log keeps most of the width");
        assert!(Areas::new(Rect::new(0, 0, 59, 24), 3).too_small());
        assert!(Areas::new(Rect::new(0, 0, 80, 15), 3).too_small());
    }

    #[test]
    fn the_input_box_grows_with_its_text_but_leaves_room() {
        let small = Areas::new(Rect::new(0, 0, 80, 24), 3);
        let tall = Areas::new(Rect::new(0, 0, 80, 24), 7);
        assert_eq!(tall.input.height, 7);
        assert_eq!(small.log.height - tall.log.height, 4);
        assert!(Areas::new(Rect::new(0, 0, 80, 16), 7).input.height <= 5);
    }
}
