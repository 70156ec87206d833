//! The workspace tree: status glyph, name, turns t/max and tokens per workspace; a leaf's agents
//! under it, with who speaks, who is paused, and their tokens. Only the rows on screen are drawn.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};
use unicode_width::UnicodeWidthStr;

use crate::headless::compact;

use super::super::app::{App, Row, Tab};
use super::super::log::agent_color;
use super::super::model::{AgentView, Phase, WorkspaceView};
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
    let rows = app.rows();
    let height = usize::from(list.height);
    let top = first_row(app, &rows, height);
    for (dy, row) in rows.iter().skip(top).take(height).enumerate() {
        let y = list.y + dy as u16;
        draw_row(app, row, Rect::new(list.x, y, list.width, 1), buf);
        if app.selected.as_ref().is_some_and(|s| row.is(s)) {
            buf.set_style(
                Rect::new(list.x, y, list.width, 1),
                Style::new().add_modifier(Modifier::REVERSED),
            );
        }
    }
}

/// The first row to draw: the last frame's, moved as little as keeps the selection in view and
/// the view full. Only the rows on screen are ever turned into lines, so a tree of thousands of
/// workspaces costs a frame no more than a small one.
fn first_row(app: &App, rows: &[Row<'_>], height: usize) -> usize {
    let mut top = app.tree_top.get().min(rows.len().saturating_sub(height));
    if let Some(i) = app
        .selected
        .as_ref()
        .and_then(|s| rows.iter().position(|r| r.is(s)))
    {
        top = top.min(i).max((i + 1).saturating_sub(height));
    }
    app.tree_top.set(top);
    top
}

/// The index into [`App::rows`] of the tree row drawn at `at`, if any.
pub fn row_at(app: &App, tree: Rect, at: Position) -> Option<usize> {
    let inner = Block::new().borders(Borders::RIGHT).inner(tree);
    let first = inner.y + 1;
    (at.y >= first && inner.contains(at)).then(|| app.tree_top.get() + usize::from(at.y - first))
}

/// One row: indentation, a fold marker for rows with children, then the workspace or agent.
fn draw_row(app: &App, row: &Row<'_>, area: Rect, buf: &mut Buffer) {
    let w = row.workspace;
    let has_children =
        row.agent.is_none() && (!w.children.is_empty() || (w.leaf && !w.agents.is_empty()));
    let marker = match (has_children, app.collapsed.contains(&w.id)) {
        (false, _) => "  ",
        (true, false) => "▾ ",
        (true, true) => "▸ ",
    };
    let indent = row.depth * 2;
    let (x, _) = buf.set_stringn(area.x, area.y, " ".repeat(indent), indent, Style::new());
    let (x, _) = buf.set_stringn(
        x,
        area.y,
        marker,
        usize::from(area.right().saturating_sub(x)),
        Style::new(),
    );
    let width = usize::from(area.width).saturating_sub(depth_width(row.depth));
    let line = match row.agent {
        None => workspace_line(app, w, width),
        Some(a) => agent_line(a, width),
    };
    buf.set_line(x, area.y, &line, area.right().saturating_sub(x));
}

fn depth_width(depth: usize) -> usize {
    depth * 2 + 2
}

fn agent_line(a: &AgentView, width: usize) -> Line<'static> {
    let (mark, style) = if a.paused {
        ("‖", Style::new().yellow())
    } else if a.speaking {
        ("▶", Style::new().green().bold())
    } else {
        ("·", Style::new().dark_gray())
    };
    let tokens = compact(a.totals.usage.input_tokens + a.totals.usage.output_tokens);
    let right = format!(" {tokens}");
    let name_w = width.saturating_sub(2 + right.width());
    Line::from(vec![
        Span::styled(format!("{mark} "), style),
        Span::styled(fit(&a.name, name_w), Style::new().fg(agent_color(&a.name))),
        Span::raw(right).dim(),
    ])
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

#[cfg(test)]
mod tests {
    use crossterm::event::{
        KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
    };
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::style::Modifier;

    use crate::bench::dashboard::scene;
    use crate::tui::app::{App, Input, Tab};
    use crate::tui::view;

    #[test]
    fn a_tall_tree_keeps_the_selection_in_view_and_a_click_picks_the_row_drawn() {
        let mut app = App::new(None, (80, 24));
        scene::feed(&mut app, scene::start_events(&scene::plan(100)));
        for _ in 0..60 {
            app.update(Input::Key(KeyEvent::new(
                KeyCode::Char('j'),
                KeyModifiers::NONE,
            )));
        }
        let Ok(mut terminal) = Terminal::new(TestBackend::new(80, 24));
        let Ok(_) = terminal.draw(|f| view::draw(f, &app));
        let selected = app.selected.clone().expect("a row is selected");
        let rows = app.rows();
        let index = rows
            .iter()
            .position(|r| r.is(&selected))
            .expect("selected row");
        // The first move selects the first row.
        assert_eq!(index, 59);
        let top = app.tree_top.get();
        assert!(top > 0 && top <= index, "top {top}, selected {index}");
        // The selected row is drawn reversed, with its name, on its own line of the list.
        let buf = terminal.backend().buffer();
        let y = 2 + (index - top) as u16;
        let text: String = (0..23).map(|x| buf[(x, y)].symbol()).collect();
        let name = selected.1.as_deref().unwrap_or(&selected.0);
        assert!(text.contains(name), "{text:?} lacks {name}");
        assert!(buf[(0, y)].modifier.contains(Modifier::REVERSED));
        // A click on the list's fourth line picks the row drawn there.
        let click = MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 3,
            row: 5,
            modifiers: KeyModifiers::NONE,
        };
        let expected = {
            let r = &rows[top + 3];
            (r.workspace.id.clone(), r.agent.map(|a| a.name.clone()))
        };
        app.update(Input::Mouse(click));
        assert_eq!(app.selected, Some(expected.clone()));
        assert_eq!(app.tab, Tab::Workspace(expected.0));
    }
}
