//! The workspace tree: status glyph, name, turns t/max and tokens per workspace; a leaf's agents
//! under it, with who speaks, who is paused, and their tokens.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, StatefulWidget, Widget};
use tui_tree_widget::{Tree, TreeItem};
use unicode_width::UnicodeWidthStr;

use crate::headless::compact;

use super::super::app::{App, Tab};
use super::super::log::agent_color;
use super::super::model::{Phase, WorkspaceView};
use super::{fit, glyph};

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let block = Block::new()
        .borders(Borders::RIGHT)
        .border_style(Style::new().dark_gray());
    let inner = block.inner(area);
    block.render(area, buf);
    let m = &app.model;
    let title = Line::from(vec![
        Span::raw(" Workspaces").bold(),
        Span::raw(match m.phase {
            Phase::Running | Phase::Done => {
                let (done, all) = m.progress();
                format!("  {done}/{all} done")
            }
            _ => String::new(),
        })
        .dim(),
    ]);
    buf.set_line(inner.x, inner.y, &title, inner.width);
    let list = Rect::new(
        inner.x,
        inner.y + 1,
        inner.width,
        inner.height.saturating_sub(1),
    );
    if m.order.is_empty() {
        let text = match m.phase {
            Phase::Idle => "No run yet.",
            Phase::Planning => "Planning…",
            Phase::Review => "Shown after approval.",
            _ => "No workspace.",
        };
        buf.set_string(list.x + 1, list.y, text, Style::new().dim());
        return;
    }
    let roots: Vec<&str> = m
        .order
        .iter()
        .filter(|id| m.workspace(id).is_some_and(|w| w.parent.is_none()))
        .map(String::as_str)
        .collect();
    let items: Vec<TreeItem<'_, String>> = roots
        .iter()
        .filter_map(|id| item(app, id, list.width))
        .collect();
    let Ok(tree) = Tree::new(&items) else {
        return;
    };
    let tree = tree
        .highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .node_open_symbol("▾ ")
        .node_closed_symbol("▸ ")
        .node_no_children_symbol("  ");
    let mut state = app.tree_state.borrow_mut();
    // Mirror the dashboard's selection and folds into the widget's state.
    for id in &m.order {
        let path = path_of(app, id);
        if app.collapsed.contains(id) {
            state.close(&path);
        } else {
            state.open(path);
        }
    }
    match &app.selected {
        Some((w, agent)) => {
            let mut path = path_of(app, w);
            if let Some(a) = agent {
                path.push(format!("@{a}"));
            }
            state.select(path);
        }
        None => {
            state.select(Vec::new());
        }
    }
    StatefulWidget::render(tree, list, buf, &mut state);
}

/// Identifier path of a workspace: its ancestors' ids and its own.
fn path_of(app: &App, id: &str) -> Vec<String> {
    let mut path = vec![id.to_string()];
    let mut cur = app.model.workspace(id).and_then(|w| w.parent.clone());
    while let Some(p) = cur {
        cur = app.model.workspace(&p).and_then(|w| w.parent.clone());
        path.push(p);
    }
    path.reverse();
    path
}

fn depth_width(depth: usize) -> usize {
    depth * 2 + 2
}

fn item<'a>(app: &'a App, id: &str, width: u16) -> Option<TreeItem<'a, String>> {
    let w = app.model.workspace(id)?;
    let text = workspace_line(
        app,
        w,
        (width as usize).saturating_sub(depth_width(w.depth)),
    );
    let mut children: Vec<TreeItem<'a, String>> = w
        .children
        .iter()
        .filter_map(|c| item(app, c, width))
        .collect();
    if w.leaf {
        let aw = (width as usize).saturating_sub(depth_width(w.depth + 1));
        children.extend(w.agents.iter().map(|a| {
            let (mark, style) = if a.paused {
                ("‖", Style::new().yellow())
            } else if a.speaking {
                ("▶", Style::new().green().bold())
            } else {
                ("·", Style::new().dark_gray())
            };
            let tokens = compact(a.totals.usage.input_tokens + a.totals.usage.output_tokens);
            let right = format!(" {tokens}");
            let name_w = aw.saturating_sub(2 + right.width());
            TreeItem::new_leaf(
                format!("@{}", a.name),
                Line::from(vec![
                    Span::styled(format!("{mark} "), style),
                    Span::styled(fit(&a.name, name_w), Style::new().fg(agent_color(&a.name))),
                    Span::raw(right).dim(),
                ]),
            )
        }));
    }
    TreeItem::new(id.to_string(), text, children).ok()
}

fn workspace_line(app: &App, w: &WorkspaceView, width: usize) -> Line<'static> {
    let (g, color) = glyph(&w.status);
    let tokens = compact(w.totals.usage.input_tokens + w.totals.usage.output_tokens);
    let right = if w.leaf {
        format!(" {}/{} {tokens}", w.turns, app.model.max_turns)
    } else {
        format!(" {tokens}")
    };
    let name_w = width.saturating_sub(2 + right.width());
    let current = app.tab == Tab::Workspace(w.id.clone());
    let name_style = if current {
        Style::new().bold().underlined()
    } else {
        Style::new().bold()
    };
    Line::from(vec![
        Span::styled(format!("{g} "), Style::new().fg(color)),
        Span::styled(fit(&w.id, name_w), name_style),
        Span::raw(right).dim(),
    ])
}
