use super::*;

fn rows(text: &str, width: usize) -> Vec<String> {
    let (layout, _) = Layout::markdown(text, width);
    (0..layout.rows())
        .map(|r| {
            layout
                .row(r)
                .iter()
                .map(|s| s.span(text).content.into_owned())
                .collect()
        })
        .collect()
}

fn styles(text: &str) -> Vec<(String, Sty)> {
    let (layout, _) = Layout::markdown(text, 200);
    layout
        .row(0)
        .iter()
        .map(|s| (s.span(text).content.into_owned(), s.sty))
        .collect()
}

#[test]
fn inline_markup_is_paired_or_left_alone() {
    assert_eq!(
        styles("a **b** *c* `d`"),
        [
            ("a ".into(), Sty::PLAIN),
            ("b".into(), Sty::BOLD),
            (" ".into(), Sty::PLAIN),
            ("c".into(), Sty::ITALIC),
            (" ".into(), Sty::PLAIN),
            ("d".into(), Sty::CODE),
        ]
    );
    assert_eq!(
        rows("snake_case_name and 2 * 3 * 4 and **open", 80),
        ["snake_case_name and 2 * 3 * 4 and **open"]
    );
    assert_eq!(styles("_x_")[0], ("x".into(), Sty::ITALIC));
    assert_eq!(
        styles("**a `b` c**"),
        [
            ("a ".into(), Sty::BOLD),
            ("b".into(), Sty::BOLD.with(Sty::CODE)),
            (" c".into(), Sty::BOLD),
        ]
    );
}

#[test]
fn blocks() {
    assert_eq!(rows("## Title ##", 80), ["Title ##"]);
    assert_eq!(
        rows("> quoted words here", 10),
        ["│ quoted", "│ words", "│ here"]
    );
    assert_eq!(rows("---", 5), ["─────"]);
    assert_eq!(
        rows("```\nlet x = **y**;\n```\nafter", 80),
        ["let x = **y**;", "after"]
    );
    assert_eq!(rows("```\nabcdefgh\n", 3), ["abc", "def", "gh"]);
    assert_eq!(rows("a\tb\n\tc", 80), ["a   b", "    c"]);
    assert_eq!(rows("| a | b |\n|---|---|", 80), ["| a | b |", "|---|---|"]);
    assert_eq!(rows("a\n\nb", 80), ["a", "", "b"]);
}

#[test]
fn notice_glyph_and_hanging_indent() {
    let text = "one two three\nfour";
    let layout = Layout::notice(text, 9, Glyph::Warning, Sty::YELLOW);
    let got: Vec<String> = (0..layout.rows())
        .map(|r| {
            layout
                .row(r)
                .iter()
                .map(|s| s.span(text).content.into_owned())
                .collect()
        })
        .collect();
    assert_eq!(got, ["⚠ one two", "  three", "  four"]);
}

#[test]
fn resume_relays_only_the_last_line() {
    let text = "first line\n**bo";
    let (mut layout, resume) = Layout::markdown(text, 80);
    assert_eq!(resume.byte, 11);
    assert_eq!(resume.rows, 1);
    let full = format!("{text}ld**");
    let resume = layout.resume(&full, 80, resume);
    assert_eq!(resume.byte, 11);
    assert_eq!(layout.row(1), [Seg::text(13, 17, Sty::BOLD)]);
}

#[test]
fn a_segment_is_eight_bytes() {
    assert_eq!(std::mem::size_of::<Seg>(), 8);
}
