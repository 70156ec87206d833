//! Overlays: the help (built from the key table), the agent inspector, and yes/no questions.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::engine::Target;

use super::super::app::{App, Overlay};
use super::super::commands;
use super::super::keys;
use super::super::layout::Areas;
use super::log_view;

pub fn draw(app: &App, areas: &Areas, buf: &mut Buffer) {
    match &app.overlay {
        None => {}
        Some(Overlay::Help) => help(app, areas, buf),
        Some(Overlay::Inspector { workspace, agent }) => {
            frame(
                areas.overlay,
                &format!(" Inspector · {agent} in {workspace} "),
                buf,
            );
            log_view(
                &app.inspector,
                &app.overlay_scroll,
                areas.overlay_text,
                Some(Rect::new(
                    areas.overlay_text.right() + 1,
                    areas.overlay_text.y,
                    1,
                    areas.overlay_text.height,
                )),
                buf,
            );
        }
        Some(Overlay::ConfirmQuit) => {
            let session = app
                .session
                .as_deref()
                .map(|s| format!("The session is kept in {s}."))
                .unwrap_or_default();
            question(
                areas.full,
                "Quit?",
                &format!("The run is still going; quitting cancels it. {session}"),
                buf,
            )
        }
        Some(Overlay::ConfirmCancel(target)) => {
            let what = match target {
                Target::Run => "the whole run".to_string(),
                Target::Workspace { workspace } => {
                    format!("workspace {workspace} and everything under it")
                }
                Target::Agent { workspace, agent } => format!("{agent} in {workspace}"),
            };
            question(
                areas.full,
                "Cancel?",
                &format!("This cancels {what}; it cannot be resumed."),
                buf,
            )
        }
    }
}

fn frame(area: Rect, title: &str, buf: &mut Buffer) {
    Clear.render(area, buf);
    Block::new()
        .borders(Borders::ALL)
        .border_style(Style::new().cyan())
        .title(title.to_string())
        .title_bottom(Line::from(" Esc closes · j/k PgUp/PgDn scroll ").right_aligned())
        .render(area, buf);
}

/// The help lines, from the same key table as the hint bar.
pub fn help_lines() -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let key_w = keys::BINDINGS
        .iter()
        .map(|b| b.keys.width())
        .max()
        .unwrap_or(8)
        + 2;
    for (title, bindings) in keys::help_sections() {
        lines.push(Line::from(title).bold().underlined());
        for b in bindings {
            lines.push(Line::from(vec![
                Span::raw(format!("  {:<key_w$}", b.keys)).cyan().bold(),
                Span::raw(b.help),
            ]));
        }
        lines.push(Line::from(""));
    }
    lines.push(Line::from("Commands in the input box").bold().underlined());
    for c in commands::LIST.split(" /") {
        lines.push(Line::from(format!("  /{}", c.trim_start_matches('/'))).cyan());
    }
    lines.push(Line::from(""));
    lines.push(Line::from(
        "A message starting with @agent (or @a, @b:) goes to those agents; otherwise to ALL.",
    ));
    lines
}

fn help(app: &App, areas: &Areas, buf: &mut Buffer) {
    frame(areas.overlay, " Help · keys ", buf);
    let lines = help_lines();
    let height = areas.overlay_text.height as usize;
    let first = app.overlay_scroll.first_row(lines.len(), height);
    Paragraph::new(lines)
        .scroll((first as u16, 0))
        .render(areas.overlay_text, buf);
}

fn question(full: Rect, title: &str, text: &str, buf: &mut Buffer) {
    let w = 56.min(full.width.saturating_sub(4));
    let h = 6;
    let area = Rect::new(
        full.x + (full.width.saturating_sub(w)) / 2,
        full.y + (full.height.saturating_sub(h)) / 2,
        w,
        h,
    );
    Clear.render(area, buf);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(Style::new().yellow())
        .title(format!(" {title} "));
    let inner = block.inner(area);
    block.render(area, buf);
    Paragraph::new(vec![
        Line::from(text.to_string()),
        Line::from(""),
        Line::from(vec![
            Span::raw("y").cyan().bold(),
            Span::raw(" yes   "),
            Span::raw("n/Esc").cyan().bold(),
            Span::raw(" no"),
        ]),
    ])
    .wrap(Wrap { trim: true })
    .render(inner, buf);
}
