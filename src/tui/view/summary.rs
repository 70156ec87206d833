//! The Summary tab: a live table of every workspace's state and usage, and the report once the
//! run is done.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table, Widget};

use crate::engine::Totals;
use crate::headless::compact;
use crate::text::sanitize;

use super::super::app::App;
use super::super::layout::Areas;
use super::super::model::Phase;
use super::{glyph, header, log_view};

pub fn draw(app: &App, areas: &Areas, buf: &mut Buffer) {
    let m = &app.model;
    let t = &m.totals;
    header(
        areas.header,
        buf,
        vec![
            Span::raw("Summary ").bold(),
            Span::raw(format!(
                "{} calls · {} in · {} out · cache {} read · ${:.4}",
                t.calls,
                compact(t.usage.input_tokens),
                compact(t.usage.output_tokens),
                compact(t.usage.cache_read_tokens),
                t.cost_usd
            ))
            .dim(),
        ],
    );
    let log = areas.log;
    let rows = m
        .order
        .iter()
        .map(|id| 1 + m.ledger.get(id).map_or(0, |l| l.agents.len() as u16))
        .sum::<u16>()
        + 1;
    // Before the report there is room for the whole table; after it, half the tab.
    let room = if m.report.is_some() {
        log.height / 2
    } else {
        log.height.saturating_sub(2)
    };
    let table_h = rows.min(room).max(2.min(log.height));
    let table_area = Rect::new(log.x, log.y, log.width, table_h);
    let report = Rect::new(
        log.x,
        log.y + table_h + 1,
        log.width,
        log.height.saturating_sub(table_h + 1),
    );
    let bar = Rect::new(areas.scrollbar.x, report.y, 1, report.height);
    table(app, table_area, buf);
    if report.height == 0 {
        return;
    }
    if m.report.is_some() {
        log_view(&m.report_log, &m.report_scroll, report, Some(bar), buf);
    } else {
        let text = match m.phase {
            Phase::Done => "The run ended without a report.",
            _ => "The report appears here when the run is done.",
        };
        buf.set_string(report.x, report.y, text, Style::new().dim());
    }
}

fn table(app: &App, area: Rect, buf: &mut Buffer) {
    let m = &app.model;
    if m.order.is_empty() {
        buf.set_string(area.x, area.y, "No workspace yet.", Style::new().dim());
        return;
    }
    let head = Row::new([
        "",
        "workspace",
        "turns",
        "calls",
        "in",
        "out",
        "c.write",
        "c.read",
        "$",
    ])
    .style(Style::new().bold());
    let usage = |t: &Totals| {
        [
            Cell::from(t.calls.to_string()),
            Cell::from(compact(t.usage.input_tokens)),
            Cell::from(compact(t.usage.output_tokens)),
            Cell::from(compact(t.usage.cache_write_tokens)),
            Cell::from(compact(t.usage.cache_read_tokens)),
            Cell::from(format!("{:.3}", t.cost_usd)),
        ]
    };
    let mut rows = Vec::new();
    for w in m.order.iter().filter_map(|id| m.workspace(id)) {
        let (g, color) = glyph(&w.status);
        // The ledger's figures, so that this table and report.md agree to the token.
        let line = m.ledger.get(&w.id);
        let mut cells = vec![
            Cell::from(Line::from(g)).style(Style::new().fg(color)),
            Cell::from(format!("{}{}", "  ".repeat(w.depth), w.id)),
            Cell::from(if w.leaf {
                format!("{}/{}", w.turns, m.max_turns)
            } else {
                "—".into()
            }),
        ];
        cells.extend(usage(&line.map(|l| l.line.totals).unwrap_or_default()));
        rows.push(Row::new(cells));
        // Each agent's share, under its workspace (and the workspace's summary calls).
        for (name, a) in line.map(|l| l.agents.as_slice()).unwrap_or_default() {
            let mut cells = vec![
                Cell::from(""),
                Cell::from(format!("{}↳ {}", "  ".repeat(w.depth + 1), sanitize(name))),
                Cell::from(if a.turns > 0 {
                    a.turns.to_string()
                } else {
                    String::new()
                }),
            ];
            cells.extend(usage(&a.totals));
            rows.push(Row::new(cells).style(Style::new().dim()));
        }
    }
    Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(5),
            Constraint::Length(5),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(7),
            Constraint::Length(6),
            Constraint::Length(6),
        ],
    )
    .header(head)
    .column_spacing(1)
    .render(area, buf);
}
