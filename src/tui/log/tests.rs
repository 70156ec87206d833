use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

use super::*;

fn log(width: u16) -> ChatLog {
    let mut log = ChatLog::new();
    log.set_width(width);
    log
}

fn all(log: &ChatLog) -> Vec<String> {
    log.row_text(0, log.line_count())
}

fn to(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

fn render(log: &ChatLog, first: usize, w: u16, h: u16) -> Buffer {
    let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
    log.render_rows(first, buf.area, &mut buf);
    buf
}

fn buf_row(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol())
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// A small deterministic generator, enough to throw odd text at the layout.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

#[test]
fn message_wraps_at_width_with_header_and_blank_row() {
    let mut log = log(20);
    log.push_message(
        "alice",
        &to(&["bob", "carol"]),
        "the quick brown fox jumps over the lazy dog",
    );
    assert_eq!(
        all(&log),
        [
            "alice → bob, carol",
            "the quick brown fox",
            "jumps over the lazy",
            "dog",
            ""
        ]
    );
    assert_eq!(log.messages(), 1);
    assert_eq!(log.line_count(), 5);
}

#[test]
fn cjk_and_combining_characters_are_measured_by_display_width() {
    let mut log = log(10);
    log.push_text("日本語のテキストです");
    assert_eq!(all(&log), ["日本語のテ", "キストです", ""]);
    log.clear();
    log.push_text(&"e\u{301}".repeat(10));
    let rows = all(&log);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].width(), 10);
    log.clear();
    log.push_text("ab 日本語のテキスト");
    for row in all(&log) {
        assert!(row.width() <= 10, "{row:?}");
    }
}

#[test]
fn long_word_is_broken_hard() {
    let mut log = log(20);
    log.push_text(&format!("hi {}", "a".repeat(45)));
    assert_eq!(
        all(&log),
        [
            "hi",
            "a".repeat(20).as_str(),
            &"a".repeat(20),
            &"a".repeat(5),
            ""
        ]
    );
}

#[test]
fn bullets_and_numbers_hang_their_continuation_rows() {
    let mut log = log(16);
    log.push_text("- one two three four five\n* six\n  - nested item here\n12. alpha beta gamma");
    assert_eq!(
        all(&log),
        [
            "• one two three",
            "  four five",
            "• six",
            "  • nested item",
            "    here",
            "12. alpha beta",
            "    gamma",
            ""
        ]
    );
}

#[test]
fn headings_bold_and_code_are_styled_in_the_buffer() {
    let mut log = log(30);
    log.push_text("# Title\nplain **bold** `code`");
    let buf = render(&log, 0, 30, 3);
    assert_eq!(buf_row(&buf, 0), "Title");
    assert_eq!(buf_row(&buf, 1), "plain bold code");
    assert!(buf[(0, 0)].modifier.contains(Modifier::BOLD));
    assert_eq!(buf[(0, 0)].fg, Color::LightBlue);
    assert!(!buf[(0, 1)].modifier.contains(Modifier::BOLD));
    assert!(buf[(6, 1)].modifier.contains(Modifier::BOLD));
    assert_eq!(buf[(11, 1)].fg, Color::Cyan);
    assert_eq!(buf[(0, 1)].fg, Color::Reset);
}

#[test]
fn header_is_coloured_and_truncated_to_one_row() {
    let mut log = log(12);
    log.push_message("alice", &to(&["bob", "carol", "dave"]), "hi");
    let buf = render(&log, 0, 12, 1);
    assert_eq!(buf_row(&buf, 0), "alice → bob…");
    assert_eq!(buf[(0, 0)].fg, agent_color("alice"));
    assert!(buf[(6, 0)].modifier.contains(Modifier::DIM));
    assert_eq!(log.line_count(), 3);
}

#[test]
fn notices_have_a_marker_and_no_blank_row() {
    let mut log = log(12);
    log.push_notice(Notice::Warning, "slow down please now");
    log.push_notice(Notice::Error, "boom");
    log.push_notice(Notice::Retry, "again");
    log.push_notice(Notice::Info, "fyi");
    assert_eq!(
        all(&log),
        ["⚠ slow down", "  please now", "✗ boom", "↻ again", "· fyi"]
    );
    let buf = render(&log, 0, 12, 3);
    assert_eq!(buf[(2, 0)].fg, Color::Yellow);
    assert_eq!(buf[(0, 2)].fg, Color::Red);
    assert_eq!(log.messages(), 0);
}

const REPLY: &str = "# Plan\nWe **must** book the _venue_ early.\n\n- item one is long enough to wrap\n\
    - item `two`\n```\nfn main() { let x = 1; }\n```\n> quoted **words** here\n---\n日本語のテキスト end";

fn stream_in_pieces(log: &mut ChatLog, agent: &str, text: &str, rng: &mut Rng) {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let n = 1 + rng.next(4);
        let delta: String = chars[i..(i + n).min(chars.len())].iter().collect();
        log.stream(agent, &delta);
        i += n;
    }
}

#[test]
fn streaming_equals_a_one_shot_push() {
    for width in [14, 23, 40, 80] {
        let mut once = log(width);
        once.push_message("ann", &to(&["bo"]), REPLY);
        let mut live = log(width);
        stream_in_pieces(&mut live, "ann", REPLY, &mut Rng(u64::from(width)));
        // deltas that split "**" and the fence marker
        let mut split = log(width);
        for delta in REPLY.split_inclusive(['*', '`']) {
            split.stream("ann", delta);
        }
        let body = |log: &ChatLog| -> Vec<String> {
            let rows = all(log);
            rows[1..]
                .iter()
                .map(|r| r.trim_end_matches(CURSOR).trim_end().to_owned())
                .collect()
        };
        assert_eq!(body(&live), body(&once), "width {width}");
        assert_eq!(body(&split), body(&once), "width {width}");
        assert_eq!(all(&live)[0], "ann → …");
        assert!(all(&live).iter().any(|r| r.ends_with(CURSOR)));
        live.end_live("ann");
        live.push_message("ann", &to(&["bo"]), REPLY);
        assert_eq!(all(&live), all(&once));
    }
}

#[test]
fn live_entries_stay_at_the_end_and_can_be_discarded_or_ended() {
    let mut log = log(40);
    log.stream("ann", "");
    assert_eq!(all(&log), ["ann → … ▍", ""]);
    log.stream("ann", "hello");
    log.stream("bob", "hi");
    assert!(log.is_live("ann") && log.is_live("bob"));
    log.push_notice(Notice::Info, "note");
    assert_eq!(
        all(&log),
        ["· note", "ann → …", "hello▍", "", "bob → …", "hi▍", ""]
    );
    log.discard_live("ann");
    assert!(log.is_live("ann"));
    assert_eq!(all(&log)[1..3], ["ann → … ▍", ""]);
    log.stream("ann", "again");
    log.end_live("ann");
    assert!(!log.is_live("ann"));
    log.push_message("ann", &to(&["bob"]), "again");
    assert_eq!(
        all(&log),
        ["· note", "ann → bob", "again", "", "bob → …", "hi▍", ""]
    );
    assert_eq!(log.messages(), 1);
    log.end_live("nobody");
    log.discard_live("nobody");
    log.clear();
    assert_eq!(
        (log.line_count(), log.messages(), log.is_live("bob")),
        (0, 0, false)
    );
}

#[test]
fn set_width_rewraps_and_same_width_is_a_no_op() {
    let mut log = log(80);
    log.push_message("a", &to(&["b"]), &"word ".repeat(40));
    log.stream("c", &"live ".repeat(40));
    let wide = log.line_count();
    log.set_width(80);
    assert_eq!(log.line_count(), wide);
    log.set_width(20);
    assert_eq!(log.width(), 20);
    assert!(log.line_count() > wide);
    assert!(all(&log).iter().all(|r| r.width() <= 20));
    log.stream("c", "more");
    assert!(all(&log).iter().all(|r| r.width() <= 20));
    log.set_width(0);
    assert!(log.line_count() > 0);
}

#[test]
fn a_long_log_wraps_its_end_at_once_and_the_rest_in_slices_to_the_same_rows() {
    let text = |i: usize| format!("message {i}: {}", "word ".repeat(i % 30));
    let mut fresh = log(30);
    let mut log = log(80);
    for i in 0..1000 {
        log.push_message("a", &to(&["b"]), &text(i));
        fresh.push_message("a", &to(&["b"]), &text(i));
    }
    log.set_width(30);
    assert!(
        log.is_stale(),
        "a thousand entries are not all wrapped at once"
    );
    let n = fresh.line_count();
    // The end, which is what a following view shows, is right at once.
    assert_eq!(
        log.row_text(log.line_count() - 50, 50),
        fresh.row_text(n - 50, 50)
    );
    // A message posted meanwhile is kept apart from the stale ones.
    log.push_message("a", &to(&["b"]), &text(1000));
    fresh.push_message("a", &to(&["b"]), &text(1000));
    let mut slices = 0;
    while log.rewrap_some(100) {
        slices += 1;
    }
    assert!(!log.is_stale());
    assert!(slices >= 5, "{slices} slices");
    assert_eq!(all(&log), all(&fresh));
}

#[test]
fn scroll_follows_until_scrolled_up() {
    let mut s = Scroll::default();
    assert_eq!(s.first_row(100, 10), 90);
    assert_eq!(s.first_row(5, 10), 0);
    s.up(3, 100, 10);
    assert!(!s.follow);
    assert_eq!(s.first_row(100, 10), 87);
    // new rows do not move the view
    assert_eq!(s.first_row(150, 10), 87);
    s.down(2, 150, 10);
    assert_eq!((s.first_row(150, 10), s.follow), (89, false));
    s.down(1000, 150, 10);
    assert!(s.follow);
    assert_eq!(s.first_row(200, 10), 190);
    s.up(500, 200, 10);
    assert_eq!(s.first_row(200, 10), 0);
    s.end();
    assert_eq!(s.first_row(200, 10), 190);
    s.home();
    assert_eq!((s.first_row(200, 10), s.follow), (0, false));
    // a shrinking log clamps the view
    s.top = 150;
    assert_eq!(s.first_row(100, 10), 90);
}

#[test]
fn render_past_the_end_draws_blanks() {
    let mut log = log(10);
    log.push_text("abc");
    let mut buf = Buffer::empty(Rect::new(0, 0, 10, 4));
    buf.set_string(0, 0, "xxxxxxxxxx", Style::new().fg(Color::Red));
    log.render_rows(1000, buf.area, &mut buf);
    assert!((0..4).all(|y| buf_row(&buf, y).is_empty()));
    assert_eq!(buf[(0, 0)].fg, Color::Reset);
    log.render_rows(usize::MAX, Rect::new(5, 2, 50, 50), &mut buf);
    log.render_rows(0, Rect::new(0, 3, 10, 3), &mut buf);
    assert_eq!(buf_row(&buf, 3), "abc");
    assert!(log.row_text(1000, 5).is_empty());
}

#[test]
fn odd_input_never_panics_and_fits_the_width() {
    const ALPHABET: [&str; 24] = [
        "a",
        "bc",
        " ",
        " ",
        "\n",
        "\t",
        "*",
        "**",
        "_",
        "`",
        "```",
        "# ",
        "- ",
        "> ",
        "1. ",
        "---",
        "日",
        "é",
        "\u{301}",
        "🎉",
        "word",
        "longerwordhere",
        "|",
        "\n\n",
    ];
    let mut rng = Rng(7);
    for _ in 0..300 {
        let text: String = (0..rng.next(60))
            .map(|_| ALPHABET[rng.next(ALPHABET.len())])
            .collect();
        let width = 30 + rng.next(40) as u16;
        let mut once = log(width);
        once.push_message("x", &[], &text);
        once.push_notice(Notice::Warning, &text);
        let mut live = log(width);
        stream_in_pieces(&mut live, "x", &text, &mut rng);
        for row in all(&once).iter().chain(&all(&live)) {
            assert!(
                row.width() <= usize::from(width),
                "{width} {row:?} in {text:?}"
            );
        }
        live.end_live("x");
        live.push_message("x", &[], &text);
        assert_eq!(all(&live), all(&once)[..all(&live).len()], "{text:?}");
        once.set_width(1 + rng.next(5) as u16);
        let _ = render(&once, 0, once.width(), 20);
    }
}

#[test]
fn a_hundred_thousand_messages_build_and_render() {
    let mut log = log(200);
    let names = to(&["bob"]);
    for i in 0..100_000 {
        log.push_message(
            "alice",
            &names,
            &format!("message {i} with **bold** and `code` text"),
        );
    }
    assert_eq!(log.messages(), 100_000);
    assert_eq!(log.line_count(), 300_000);
    let first = Scroll::default().first_row(log.line_count(), 60);
    let buf = render(&log, first, 200, 60);
    assert_eq!(buf_row(&buf, 57), "alice → bob");
    assert_eq!(buf_row(&buf, 58), "message 99999 with bold and code text");
    assert_eq!(buf_row(&buf, 59), "");
    assert_eq!(
        log.row_text(150_001, 1),
        ["message 50000 with bold and code text"]
    );
}

#[test]
fn agent_colors_are_stable_and_readable() {
    assert_eq!(
        agent_color("venue_coordinator"),
        agent_color("venue_coordinator")
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];
    let colours: std::collections::HashSet<_> = names.iter().map(|n| agent_color(n)).collect();
    assert!(colours.len() >= 4);
    for c in colours {
        assert!(![Color::Black, Color::White, Color::DarkGray, Color::Reset].contains(&c));
    }
}
