//! The scrolling chat log of a tab: posted messages, notices, documents and live (streaming)
//! replies. Each entry keeps its text once and its row count at the current width; prefix sums
//! of row counts find the entry at a row by binary search, and only the entries on screen are
//! laid out and turned into `Line`s, which borrow from the stored text. A live entry keeps its
//! layout, so streaming re-wraps only its last line.

use std::borrow::Cow;
use std::fmt;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use super::markdown::{Glyph, Layout, Resume, Sty};

/// The kind of a notice line in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Info,
    Warning,
    Error,
    Retry,
}

impl Notice {
    fn look(self) -> (Glyph, Sty) {
        match self {
            Notice::Info => (Glyph::Info, Sty::DIM),
            Notice::Warning => (Glyph::Warning, Sty::YELLOW),
            Notice::Error => (Glyph::Error, Sty::RED),
            Notice::Retry => (Glyph::Retry, Sty::MAGENTA),
        }
    }
}

const CURSOR: &str = "▍";

/// Separates the agent names of a message header; sanitized names never hold a control
/// character, so it cannot clash.
const NAME_SEP: char = '\0';

#[derive(Debug)]
enum Kind {
    /// `names`: the sender, then each addressee, joined by [`NAME_SEP`] (one allocation).
    Message {
        names: Box<str>,
    },
    Notice(Notice),
    Text,
    Live(Box<Live>),
}

/// A reply still streaming: its layout is kept and extended from its last line as text arrives.
#[derive(Debug)]
struct Live {
    agent: Box<str>,
    resume: Resume,
    layout: Layout,
}

/// One entry: its text once, and its row count at the log's width. Posted entries keep no
/// layout: it is rebuilt for the few rows on screen, which keeps a long log near the size of
/// its text.
#[derive(Debug)]
struct Entry {
    kind: Kind,
    text: String,
    rows: u32,
}

impl Entry {
    fn new(kind: Kind, text: &str, width: usize) -> Entry {
        let mut entry = Entry {
            kind,
            text: text.to_owned(),
            rows: 0,
        };
        entry.relayout(width);
        entry
    }

    /// The wrapped rows of the body: kept for a live entry, built for a posted one.
    fn layout(&self, width: usize) -> Cow<'_, Layout> {
        match &self.kind {
            Kind::Live(live) => Cow::Borrowed(&live.layout),
            Kind::Notice(n) => {
                let (glyph, sty) = n.look();
                Cow::Owned(Layout::notice(&self.text, width, glyph, sty))
            }
            Kind::Message { .. } | Kind::Text => Cow::Owned(Layout::markdown(&self.text, width).0),
        }
    }

    fn relayout(&mut self, width: usize) {
        if let Kind::Live(live) = &mut self.kind {
            (live.layout, live.resume) = Layout::markdown(&self.text, width);
        }
        self.rows = self.layout(width).rows() as u32;
    }

    fn is_live(&self) -> bool {
        matches!(self.kind, Kind::Live(_))
    }

    fn live_agent(&self) -> Option<&str> {
        match &self.kind {
            Kind::Live(live) => Some(&live.agent),
            _ => None,
        }
    }

    fn has_header(&self) -> bool {
        matches!(self.kind, Kind::Message { .. } | Kind::Live(_))
    }

    fn rows(&self) -> usize {
        let blank = !matches!(self.kind, Kind::Notice(_));
        usize::from(self.has_header()) + self.rows as usize + usize::from(blank)
    }

    fn header(&self) -> Line<'_> {
        let dim = Style::new().add_modifier(Modifier::DIM);
        match &self.kind {
            Kind::Message { names } => {
                let mut names = names.split(NAME_SEP);
                let from = names.next().unwrap_or_default();
                let mut spans = vec![Span::styled(
                    from,
                    Style::new()
                        .fg(agent_color(from))
                        .add_modifier(Modifier::BOLD),
                )];
                for (i, name) in names.enumerate() {
                    spans.push(Span::styled(if i == 0 { " → " } else { ", " }, dim));
                    spans.push(Span::styled(name, Style::new().fg(agent_color(name))));
                }
                Line::from(spans)
            }
            Kind::Live(live) => {
                let style = dim.add_modifier(Modifier::ITALIC);
                let mut spans = vec![
                    Span::styled(&*live.agent, style.fg(agent_color(&live.agent))),
                    Span::styled(" → …", style),
                ];
                if self.rows == 0 {
                    spans.push(Span::raw(" "));
                    spans.push(Span::raw(CURSOR));
                }
                Line::from(spans)
            }
            Kind::Notice(_) | Kind::Text => Line::default(),
        }
    }

    /// Row `r` of this entry, from its body's `layout` at `width`, and whether it is a header row.
    fn line(&self, layout: &Layout, mut r: usize, width: usize) -> (Line<'_>, bool) {
        if self.has_header() {
            if r == 0 {
                return (self.header(), true);
            }
            r -= 1;
        }
        let spans: Vec<Span<'_>> = layout
            .row(r)
            .iter()
            .map(|seg| seg.span(&self.text))
            .collect();
        let mut line = Line::from(spans);
        // The cursor takes no room of its own: on a full row it is left out.
        if self.is_live() && r + 1 == layout.rows() && line.width() < width {
            line.push_span(Span::raw(CURSOR));
        }
        (line, false)
    }
}

/// A chat log: the entries of one tab, wrapped at one width.
pub struct ChatLog {
    entries: Vec<Entry>,
    /// `ends[i]`: total rows of `entries[..=i]`.
    ends: Vec<usize>,
    width: u16,
    messages: usize,
    /// Entries before this index still hold row counts from an earlier width. A width change
    /// wraps the entries nearest the end at once and the rest a slice at a time
    /// ([`ChatLog::rewrap_some`]), so a resize never stalls on a long log.
    stale: usize,
}

/// Entries wrapped at once when the width changes: more than a screen holds.
const EAGER: usize = 200;

impl Default for ChatLog {
    fn default() -> Self {
        ChatLog {
            entries: Vec::new(),
            ends: Vec::new(),
            width: 80,
            messages: 0,
            stale: 0,
        }
    }
}

impl fmt::Debug for ChatLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatLog")
            .field("entries", &self.entries.len())
            .field("rows", &self.line_count())
            .field("width", &self.width)
            .field("messages", &self.messages)
            .finish()
    }
}

impl ChatLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// A posted message: a header row "from → to1, to2", the markdown-lite body, a blank row.
    pub fn push_message(&mut self, from: &str, to: &[String], content: &str) {
        let mut names =
            String::with_capacity(from.len() + to.iter().map(|t| t.len() + 1).sum::<usize>());
        names.push_str(from);
        for t in to {
            names.push(NAME_SEP);
            names.push_str(t);
        }
        let kind = Kind::Message {
            names: names.into_boxed_str(),
        };
        self.push_posted(kind, trim(content));
        self.messages += 1;
    }

    /// A notice (info, warning, error, retry): a marker, the wrapped text, no blank row after.
    pub fn push_notice(&mut self, kind: Notice, text: &str) {
        self.push_posted(Kind::Notice(kind), trim(text));
    }

    /// A document without header (markdown-lite), e.g. the final report or the plan outline.
    pub fn push_text(&mut self, text: &str) {
        self.push_posted(Kind::Text, trim(text));
    }

    /// Appends streamed text to the live entry of `agent`, created at the end if absent. Only the
    /// text's last line is laid out again.
    pub fn stream(&mut self, agent: &str, delta: &str) {
        let width = self.layout_width();
        let i = match self.live_index(agent) {
            Some(i) => i,
            None => {
                let kind = Kind::Live(Box::new(Live {
                    agent: agent.into(),
                    resume: Resume::default(),
                    layout: Layout::default(),
                }));
                self.entries.push(Entry::new(kind, "", width));
                self.entries.len() - 1
            }
        };
        let entry = &mut self.entries[i];
        entry.text.push_str(delta);
        if let Kind::Live(live) = &mut entry.kind {
            live.resume = live.layout.resume(&entry.text, width, live.resume);
            entry.rows = live.layout.rows() as u32;
        }
        self.recount_from(i);
    }

    /// Drops the live entry's text of `agent` (a retry restarts the reply); the entry stays live.
    pub fn discard_live(&mut self, agent: &str) {
        if let Some(i) = self.live_index(agent) {
            let width = self.layout_width();
            let entry = &mut self.entries[i];
            entry.text = String::new();
            entry.relayout(width);
            self.recount_from(i);
        }
    }

    /// Removes the live entry of `agent` (its posted message replaces it).
    pub fn end_live(&mut self, agent: &str) {
        if let Some(i) = self.live_index(agent) {
            self.entries.remove(i);
            self.recount_from(i);
        }
    }

    pub fn is_live(&self, agent: &str) -> bool {
        self.live_index(agent).is_some()
    }

    /// Number of posted messages (not notices, not live entries).
    pub fn messages(&self) -> usize {
        self.messages
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.ends.clear();
        self.messages = 0;
        self.stale = 0;
    }

    /// Wraps the log at a new width: the entries nearest the end at once, the rest by
    /// [`ChatLog::rewrap_some`]. The same width is a no-op.
    pub fn set_width(&mut self, width: u16) {
        if width == self.width {
            return;
        }
        self.width = width;
        self.stale = self.entries.len();
        self.rewrap_some(EAGER);
    }

    /// Wraps up to `n` more entries left at an earlier width, nearest the end first; returns
    /// whether any are left.
    pub fn rewrap_some(&mut self, n: usize) -> bool {
        let stale = self.stale.min(self.entries.len());
        if stale == 0 {
            return false;
        }
        let from = stale.saturating_sub(n);
        let width = self.layout_width();
        for entry in &mut self.entries[from..stale] {
            entry.relayout(width);
        }
        self.stale = from;
        self.recount_from(from);
        from > 0
    }

    /// Whether some entries are still wrapped at an earlier width.
    pub fn is_stale(&self) -> bool {
        self.stale > 0
    }

    pub fn width(&self) -> u16 {
        self.width
    }

    /// Total rows at the current width.
    pub fn line_count(&self) -> usize {
        self.ends.last().copied().unwrap_or(0)
    }

    /// Draws rows [first, first + area.height) into `area`; rows past the end are blank.
    pub fn render_rows(&self, first: usize, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        for y in area.top()..area.bottom() {
            for x in area.left()..area.right() {
                buf[(x, y)].reset();
            }
        }
        let mut y = area.y;
        self.visit(first, usize::from(area.height), |line, header| {
            buf.set_line(area.x, y, &line, area.width);
            if header && area.width > 0 && line.width() > usize::from(area.width) {
                buf[(area.right() - 1, y)]
                    .set_symbol("…")
                    .set_style(Style::new().add_modifier(Modifier::DIM));
            }
            y += 1;
        });
    }

    /// Plain text of rows [first, first+n) that exist (for tests and copy), one String per row.
    pub fn row_text(&self, first: usize, n: usize) -> Vec<String> {
        let mut rows = Vec::new();
        self.visit(first, n, |line, _| {
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            rows.push(text.trim_end().to_owned());
        });
        rows
    }

    /// Calls `f` with rows [first, first + n) that exist, and whether each is a header row;
    /// each entry among them is laid out once.
    fn visit(&self, first: usize, n: usize, mut f: impl FnMut(Line<'_>, bool)) {
        let width = self.layout_width();
        let end = first.saturating_add(n).min(self.line_count());
        let mut row = first;
        let mut i = self.ends.partition_point(|&e| e <= row);
        while row < end {
            let Some(entry) = self.entries.get(i) else {
                return;
            };
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            let layout = entry.layout(width);
            while row < end.min(self.ends[i]) {
                let (line, header) = entry.line(&layout, row - start, width);
                f(line, header);
                row += 1;
            }
            i += 1;
        }
    }

    fn layout_width(&self) -> usize {
        usize::from(self.width).max(1)
    }

    /// Live entries always sit together at the end; a posted entry goes just before them.
    fn live_start(&self) -> usize {
        self.entries.len()
            - self
                .entries
                .iter()
                .rev()
                .take_while(|e| e.is_live())
                .count()
    }

    fn live_index(&self, agent: &str) -> Option<usize> {
        (self.live_start()..self.entries.len())
            .find(|&i| self.entries[i].live_agent() == Some(agent))
    }

    fn push_posted(&mut self, kind: Kind, text: &str) {
        let at = self.live_start();
        self.entries
            .insert(at, Entry::new(kind, text, self.layout_width()));
        if at < self.stale {
            // The stale entries after it moved up by one; it is wrapped already (and will be
            // again, harmlessly).
            self.stale += 1;
        }
        self.recount_from(at);
    }

    fn recount_from(&mut self, i: usize) {
        self.ends.truncate(i);
        let mut total = self.ends.last().copied().unwrap_or(0);
        for entry in &self.entries[i..] {
            total += entry.rows();
            self.ends.push(total);
        }
    }
}

/// Leading and trailing blank lines of a posted text would only add empty rows.
fn trim(text: &str) -> &str {
    text.trim_start_matches('\n').trim_end()
}

/// Scroll position of a log view: follows the end until the person scrolls up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scroll {
    pub follow: bool,
    pub top: usize,
}

impl Default for Scroll {
    fn default() -> Self {
        Scroll {
            follow: true,
            top: 0,
        }
    }
}

impl Scroll {
    /// First visible row for a log of `total` rows in a view of `height` rows.
    pub fn first_row(&self, total: usize, height: usize) -> usize {
        let last = total.saturating_sub(height);
        if self.follow {
            last
        } else {
            self.top.min(last)
        }
    }

    /// Scrolls towards the start; leaves follow mode.
    pub fn up(&mut self, n: usize, total: usize, height: usize) {
        self.top = self.first_row(total, height).saturating_sub(n);
        self.follow = false;
    }

    /// Scrolls towards the end; reaching it re-enters follow mode.
    pub fn down(&mut self, n: usize, total: usize, height: usize) {
        let last = total.saturating_sub(height);
        self.top = self.first_row(total, height).saturating_add(n).min(last);
        self.follow = self.top >= last;
    }

    pub fn home(&mut self) {
        self.top = 0;
        self.follow = false;
    }

    pub fn end(&mut self) {
        self.follow = true;
    }
}

/// A stable colour per agent name, from a palette readable on dark and light backgrounds.
pub fn agent_color(name: &str) -> Color {
    const PALETTE: [Color; 10] = [
        Color::Cyan,
        Color::Green,
        Color::Yellow,
        Color::Magenta,
        Color::LightRed,
        Color::LightCyan,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
    ];
    // FNV-1a: stable across runs and platforms, unlike the std hasher.
    let hash = name.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    PALETTE[hash as usize % PALETTE.len()]
}

#[cfg(test)]
mod tests;
