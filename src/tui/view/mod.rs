//! Drawing: a function of [`App`]. Nothing here changes the run or the dashboard's state (the tree
//! widget keeps its scroll offset in a cell, as ratatui's stateful widgets do).

pub mod overlay;
mod summary;
pub mod tree;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState, StatefulWidget,
    Widget, Wrap,
};
use unicode_width::UnicodeWidthStr;

use crate::engine::Status;
use crate::headless::compact;

use super::app::{App, Tab};
use super::keys::{self, Context};
use super::layout::{Areas, MIN_HEIGHT, MIN_WIDTH};
use super::log::{ChatLog, Scroll};
use super::model::Phase;

/// Draws the whole dashboard.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let areas = app.areas();
    if areas.too_small() {
        too_small(frame, area);
        return;
    }
    let buf = frame.buffer_mut();
    top_bar(app, areas.top, buf);
    tree::draw(app, areas.tree, buf);
    tabs(app, areas.tabs, buf);
    match &app.tab {
        Tab::Plan => plan_tab(app, &areas, buf),
        Tab::Workspace(id) => workspace_tab(app, id, &areas, buf),
        Tab::Summary => summary::draw(app, &areas, buf),
    }
    input_box(app, areas.input, frame);
    hints(app, areas.hints, frame.buffer_mut());
    overlay::draw(app, &areas, frame.buffer_mut());
    if app.no_color {
        strip_colors(frame.buffer_mut());
    }
}

fn too_small(frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::from("huddle needs a bigger terminal".bold()),
        Line::from(format!(
            "at least {MIN_WIDTH}x{MIN_HEIGHT}; this one is {}x{}",
            area.width, area.height
        )),
        Line::from("the run goes on; enlarge the window, or q to quit".dim()),
    ];
    let y = area.height.saturating_sub(3) / 2;
    let rect = Rect::new(area.x, area.y + y, area.width, area.height.min(3));
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        rect,
    );
}

/// NO_COLOR: keep bold, dim, reverse and the like, drop every colour.
fn strip_colors(buf: &mut Buffer) {
    for cell in &mut buf.content {
        cell.set_fg(Color::Reset);
        cell.set_bg(Color::Reset);
    }
}

/// A status as a glyph and its colour.
pub fn glyph(status: &Status) -> (&'static str, Color) {
    match status {
        Status::Pending => ("○", Color::DarkGray),
        Status::Running => ("●", Color::Green),
        Status::Paused => ("‖", Color::Yellow),
        Status::Done => ("✓", Color::Cyan),
        Status::Failed(_) => ("✗", Color::Red),
        Status::Cancelled => ("⊘", Color::DarkGray),
    }
}

fn elapsed(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

fn top_bar(app: &App, area: Rect, buf: &mut Buffer) {
    let m = &app.model;
    let sep = Span::raw(" │ ").dark_gray();
    let mut left = vec![Span::raw(" huddle ").bold().reversed()];
    if !m.provider.is_empty() {
        left.push(Span::raw(" "));
        left.push(Span::raw(format!("{} · {}", m.provider, m.model)));
        if m.simulated {
            left.push(Span::raw(" · offline simulation").yellow());
        }
    } else if app.provider_hint.is_some() {
        left.push(Span::raw(format!(
            " {}",
            app.provider_hint.as_deref().unwrap_or_default()
        )));
    }
    let (state, color) = match (m.phase, m.paused) {
        (Phase::Idle, _) => ("ready".to_string(), Color::DarkGray),
        (Phase::Planning, _) => ("planning".to_string(), Color::Magenta),
        (Phase::Review, _) => ("plan review".to_string(), Color::Magenta),
        (Phase::Running, true) => ("‖ paused".to_string(), Color::Yellow),
        (Phase::Running, false) => {
            let (done, all) = m.progress();
            (format!("● running {done}/{all}"), Color::Green)
        }
        (Phase::Done, _) => {
            let (g, c) = glyph(&m.status);
            (format!("{g} {}", m.status.word()), c)
        }
    };
    let mut right = vec![];
    if let Some(p) = &app.playback {
        let pct = (p.shown * 100).checked_div(p.total).unwrap_or(100);
        let paused = if p.paused { "‖ " } else { "" };
        right.push(
            Span::raw(format!("{paused}replay ×{} · {pct}%", p.speed))
                .magenta()
                .bold(),
        );
        right.push(sep.clone());
    }
    right.push(Span::styled(state, Style::new().fg(color).bold()));
    if m.phase != Phase::Idle {
        for (text, reached) in super::budget::bar(&m.budgets.run, &m.totals) {
            right.push(sep.clone());
            right.push(if reached {
                Span::raw(text).red().bold().reversed()
            } else {
                Span::raw(text)
            });
        }
        if m.retries > 0 {
            right.push(sep.clone());
            right.push(Span::raw(format!("↻{}", m.retries)).magenta());
        }
        right.push(sep.clone());
        right.push(Span::raw(elapsed(app.elapsed_ms())));
    }
    right.push(Span::raw(" "));
    let right = Line::from(right);
    let rw = right.width() as u16;
    buf.set_style(area, Style::new().bg(Color::Indexed(236)));
    let left_w = area.width.saturating_sub(rw + 2);
    buf.set_line(area.x, area.y, &Line::from(left), left_w);
    buf.set_line(area.x + area.width.saturating_sub(rw), area.y, &right, rw);
}

/// The tab titles: the current one visible, with markers where titles are cut off. Only the
/// titles that can show are built (a plan of a thousand workspaces has a thousand tabs).
fn tabs(app: &App, area: Rect, buf: &mut Buffer) {
    let order = &app.model.order;
    let count = order.len() + 2;
    let current = match &app.tab {
        Tab::Plan => 0,
        Tab::Workspace(id) => order.iter().position(|w| w == id).map_or(0, |i| i + 1),
        Tab::Summary => count - 1,
    };
    let title = |i: usize| {
        let name = match i {
            0 => "Plan".to_string(),
            i if i == count - 1 => "Summary".to_string(),
            i => {
                let id = &order[i - 1];
                let g = app
                    .model
                    .workspace(id)
                    .map(|w| glyph(&w.status).0)
                    .unwrap_or("○");
                format!("{g} {id}")
            }
        };
        if i < 9 {
            format!(" {} {name} ", i + 1)
        } else {
            format!(" {name} ")
        }
    };
    // Start as far left as lets the current tab fit.
    let width = area.width.saturating_sub(2) as usize;
    let mut start = current;
    let mut used = title(current).width();
    while start > 0 {
        let w = title(start - 1).width();
        if used + w > width {
            break;
        }
        used += w;
        start -= 1;
    }
    let mut spans = vec![Span::raw(if start > 0 { "‹" } else { " " }).dark_gray()];
    let mut used = 1;
    let mut cut = false;
    for i in start..count {
        let t = title(i);
        if used + t.width() > width + 1 {
            cut = true;
            break;
        }
        used += t.width();
        let style = if i == current {
            Style::new().reversed().bold()
        } else {
            Style::new()
        };
        spans.push(Span::styled(t, style));
    }
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
    if cut {
        buf.set_string(area.right() - 1, area.y, "›", Style::new().dark_gray());
    }
}

/// Draws a log with its scroll position and scrollbar.
pub fn log_view(log: &ChatLog, scroll: &Scroll, area: Rect, bar: Option<Rect>, buf: &mut Buffer) {
    let total = log.line_count();
    let height = area.height as usize;
    let first = scroll.first_row(total, height);
    log.render_rows(first, area, buf);
    if let Some(bar) = bar
        && total > height
    {
        let mut state = ScrollbarState::new(total.saturating_sub(height)).position(first);
        Scrollbar::new(ScrollbarOrientation::VerticalRight)
            .begin_symbol(None)
            .end_symbol(None)
            .thumb_style(Style::new().dark_gray())
            .render(bar, buf, &mut state);
    }
    if !scroll.follow && first + height < total {
        let more = format!(" ↓ {} more · End follows ", total - first - height);
        let w = more.width() as u16;
        if area.width > w {
            buf.set_string(
                area.right() - w,
                area.bottom() - 1,
                more,
                Style::new().reversed(),
            );
        }
    }
}

fn header(area: Rect, buf: &mut Buffer, spans: Vec<Span<'_>>) {
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}

fn plan_tab(app: &App, areas: &Areas, buf: &mut Buffer) {
    let m = &app.model;
    let state = match m.phase {
        Phase::Idle => {
            Span::raw("Type a task below; the planner will split it into workspaces.").dim()
        }
        Phase::Planning => Span::raw(format!(
            "planner writing the plan (attempt {}) … {} chars",
            m.plan_attempt.max(1),
            compact(m.plan_chars as u64)
        ))
        .magenta(),
        Phase::Review => {
            Span::raw("Review: Enter approves · type feedback to re-plan · Esc cancels")
                .magenta()
                .bold()
        }
        Phase::Running | Phase::Done => Span::raw(format!("approved plan · team {}", m.team)).dim(),
    };
    header(areas.header, buf, vec![Span::raw("Plan ").bold(), state]);
    log_view(
        &m.plan_log,
        &m.plan_scroll,
        areas.log,
        Some(areas.scrollbar),
        buf,
    );
    if m.plan_log.line_count() == 0 && m.phase == Phase::Idle {
        let welcome = welcome(app);
        Paragraph::new(welcome)
            .wrap(Wrap { trim: false })
            .render(areas.log, buf);
    }
}

fn welcome(app: &App) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::from(""),
        Line::from("Welcome to huddle.".bold()),
        Line::from(""),
        Line::from(
            "Type what you want done in the box below and press Enter. A planner splits it \
             into workspaces, each staffed by specialist agents who talk to each other in \
             parallel. You review the plan first; then watch, pause, steer and inspect them live.",
        ),
        Line::from(""),
    ];
    if let Some(hint) = &app.provider_hint {
        lines.push(Line::from(format!("Provider: {hint}")).dim());
    }
    lines.push(Line::from("F1 or ? lists every key.").dim());
    lines
}

fn workspace_tab(app: &App, id: &str, areas: &Areas, buf: &mut Buffer) {
    let Some(w) = app.model.workspace(id) else {
        return;
    };
    let (g, color) = glyph(&w.status);
    let mut spans = vec![
        Span::styled(format!("{g} "), Style::new().fg(color)),
        Span::raw(w.title.clone()).bold(),
        Span::raw(format!(
            "  {} · turn {}/{} · {} tok",
            w.status.word(),
            w.turns,
            app.model.max_turns,
            compact(w.totals.usage.input_tokens + w.totals.usage.output_tokens)
        ))
        .dim(),
    ];
    if let Status::Failed(reason) = &w.status {
        spans.push(Span::raw(format!(" · {reason}")).red());
    }
    header(areas.header, buf, spans);
    log_view(&w.log, &w.scroll, areas.log, Some(areas.scrollbar), buf);
    if w.log.line_count() == 0 {
        let text = if w.leaf {
            "Waiting for the first turn…"
        } else {
            "Waits for its sub-workspaces, then combines their results."
        };
        buf.set_string(areas.log.x, areas.log.y, text, Style::new().dim());
    }
}

fn input_box(app: &App, area: Rect, frame: &mut Frame) {
    let m = &app.model;
    let title = match m.phase {
        Phase::Idle => " Task ".to_string(),
        Phase::Planning => " Feedback (once the plan is shown) ".to_string(),
        Phase::Review => " Feedback on the plan ".to_string(),
        Phase::Running => match app.focused_workspace() {
            Some(w) => format!(" Message to {w} as USER "),
            None => " Message ".to_string(),
        },
        Phase::Done => " New task ".to_string(),
    };
    let border = if app.typing {
        Style::new().cyan()
    } else {
        Style::new().dark_gray()
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(border)
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(&app.input, inner);
    if app.typing && app.overlay.is_none() {
        let c = app.input.screen_cursor();
        frame.set_cursor_position((
            inner.x + (c.col as u16).min(inner.width.saturating_sub(1)),
            inner.y + (c.row as u16).min(inner.height.saturating_sub(1)),
        ));
    }
}

fn hints(app: &App, area: Rect, buf: &mut Buffer) {
    if let Some(f) = &app.flash {
        let style = if f.error {
            Style::new().red()
        } else {
            Style::new().cyan()
        };
        buf.set_string(area.x + 1, area.y, &f.text, style);
        return;
    }
    let contexts: Vec<Context> = if app.typing {
        return typing_hints(app, area, buf);
    } else if app.playback.is_some() {
        vec![Context::Replay, Context::Dashboard]
    } else if app.model.phase == Phase::Review {
        vec![Context::Review, Context::Dashboard]
    } else {
        vec![Context::Dashboard]
    };
    let pairs: Vec<(&str, &str)> = keys::hints(&contexts)
        .into_iter()
        .map(|b| {
            let item = b.help.split([':', ',']).next().unwrap_or(b.help);
            (b.keys, item.split(" the ").next().unwrap_or(item))
        })
        .collect();
    buf.set_line(area.x, area.y, &hint_line(&pairs, area.width), area.width);
}

fn typing_hints(app: &App, area: Rect, buf: &mut Buffer) {
    let enter = match app.model.phase {
        Phase::Idle | Phase::Done => "plan this task",
        Phase::Planning => "wait for the plan",
        Phase::Review => "approve, or re-plan with your text",
        Phase::Running => "send",
    };
    let esc = match app.model.phase {
        Phase::Review => "clear / cancel the run",
        Phase::Idle => "clear",
        _ => "back to the dashboard",
    };
    let pairs = [
        ("Enter", enter),
        ("Esc", esc),
        ("F1", "help"),
        ("Alt-Enter", "new line"),
        ("Ctrl-C", "quit"),
    ];
    buf.set_line(area.x, area.y, &hint_line(&pairs, area.width), area.width);
}

/// Key hints, as many as fit, in the order given.
fn hint_line(pairs: &[(&str, &str)], width: u16) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for (keys, help) in pairs {
        let w = keys.width() + help.width() + 3;
        if used + w > width as usize {
            break;
        }
        used += w;
        spans.push(Span::raw(keys.to_string()).cyan().bold());
        spans.push(Span::raw(format!(" {help}  ")).dim());
    }
    Line::from(spans)
}

/// Pads or cuts `text` to exactly `width` columns.
pub fn fit(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width {
            // Cut off: the last visible character becomes an ellipsis.
            if width > 0 {
                out.pop();
                out.push('…');
            }
            break;
        }
        used += w;
        out.push(c);
    }
    let used = out.width();
    out.push_str(&" ".repeat(width.saturating_sub(used)));
    out
}

/// A style for de-emphasis that survives NO_COLOR.
pub fn dim() -> Style {
    Style::new().add_modifier(Modifier::DIM)
}
