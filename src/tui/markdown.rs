//! Markdown-lite layout: turns model text into styled rows at a given width without copying it.
//!
//! Each source line is one block (heading, bullet, numbered item, quote, rule, fenced code or
//! paragraph). A laid-out text is a list of rows, each a run of [`Seg`]s that point back into the
//! text by byte range or name a generated piece (indentation, bullet, quote bar, rule). Words are
//! wrapped with textwrap's first-fit algorithm over our own fragments, measured by display width.

use std::borrow::Cow;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use unicode_width::UnicodeWidthStr;

use wrap::{Prefix, Scratch};

mod wrap;

/// A generated prefix: list bullet, quote bar or notice marker, each two columns wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glyph {
    Bullet,
    Quote,
    Warning,
    Error,
    Retry,
    Info,
}

impl Glyph {
    pub fn as_str(self) -> &'static str {
        match self {
            Glyph::Bullet => "• ",
            Glyph::Quote => "│ ",
            Glyph::Warning => "⚠ ",
            Glyph::Error => "✗ ",
            Glyph::Retry => "↻ ",
            Glyph::Info => "· ",
        }
    }
}

/// Where a segment's characters come from; `Spaces` and `Rule` are `b - a` columns wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Src {
    Text,
    Spaces,
    Rule,
    Glyph(Glyph),
}

/// Style bits of a segment, kept to one byte so a laid-out row stays small.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sty(u8);

impl Sty {
    pub const PLAIN: Sty = Sty(0);
    pub const BOLD: Sty = Sty(1);
    pub const ITALIC: Sty = Sty(2);
    pub const CODE: Sty = Sty(4);
    pub const DIM: Sty = Sty(8);
    pub const HEADING: Sty = Sty(16);
    pub const YELLOW: Sty = Sty(32);
    pub const RED: Sty = Sty(64);
    pub const MAGENTA: Sty = Sty(128);

    pub fn with(self, other: Sty) -> Sty {
        Sty(self.0 | other.0)
    }

    fn has(self, other: Sty) -> bool {
        self.0 & other.0 != 0
    }

    pub fn style(self) -> Style {
        let mut s = Style::new();
        let flags = [
            (Sty::BOLD, Modifier::BOLD),
            (Sty::ITALIC, Modifier::ITALIC),
            (Sty::DIM, Modifier::DIM),
            (Sty::HEADING, Modifier::BOLD),
        ];
        for (bit, m) in flags {
            if self.has(bit) {
                s = s.add_modifier(m);
            }
        }
        let colours = [
            (Sty::HEADING, Color::LightBlue),
            (Sty::CODE, Color::Cyan),
            (Sty::YELLOW, Color::Yellow),
            (Sty::RED, Color::Red),
            (Sty::MAGENTA, Color::Magenta),
        ];
        for (bit, c) in colours {
            if self.has(bit) {
                s = s.fg(c);
            }
        }
        s
    }
}

/// A styled run of one row, eight bytes: `text[a..a + len]` for `Src::Text`, else a generated
/// piece `len` columns wide (spaces, rule) or a glyph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seg {
    a: u32,
    len: u16,
    sty: Sty,
    src: Src,
}

impl Seg {
    fn new(src: Src, a: usize, len: usize, sty: Sty) -> Seg {
        let len = len.min(usize::from(u16::MAX)) as u16;
        Seg {
            a: a as u32,
            len,
            sty,
            src,
        }
    }

    fn text(a: usize, b: usize, sty: Sty) -> Seg {
        Seg::new(Src::Text, a, b.saturating_sub(a), sty)
    }

    fn spaces(n: usize) -> Seg {
        Seg::new(Src::Spaces, 0, n, Sty::PLAIN)
    }

    fn glyph(g: Glyph, sty: Sty) -> Seg {
        Seg::new(Src::Glyph(g), 0, 0, sty)
    }

    /// The span this segment draws, borrowing from `text` when it is text.
    pub fn span<'a>(&self, text: &'a str) -> Span<'a> {
        let (a, len) = (self.a as usize, usize::from(self.len));
        let content: Cow<'a, str> = match self.src {
            Src::Text => Cow::Borrowed(text.get(a..a + len).unwrap_or("")),
            Src::Spaces => spaces(len),
            Src::Rule => Cow::Owned("─".repeat(len)),
            Src::Glyph(g) => Cow::Borrowed(g.as_str()),
        };
        Span::styled(content, self.sty.style())
    }
}

/// A styled run of one source line before wrapping: `text[a..b]`, or `b - a` spaces (a tab).
#[derive(Debug, Clone, Copy)]
struct Piece {
    src: Src,
    a: usize,
    b: usize,
    sty: Sty,
}

fn spaces(n: usize) -> Cow<'static, str> {
    const SPACES: &str = "                                                                ";
    match SPACES.get(..n) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(" ".repeat(n)),
    }
}

/// Parse state at the start of a line, so a growing text can be laid out again from its last line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Resume {
    byte: u32,
    rows: u32,
    segs: u32,
    fence: bool,
}

/// Wrapped rows of one text at one width: row `r` is `segs[rows[r]..rows[r + 1]]`.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    rows: Vec<u32>,
    segs: Vec<Seg>,
}

impl Layout {
    pub fn rows(&self) -> usize {
        self.rows.len()
    }

    pub fn row(&self, r: usize) -> &[Seg] {
        let Some(&start) = self.rows.get(r) else {
            return &[];
        };
        let end = self
            .rows
            .get(r + 1)
            .map_or(self.segs.len(), |&e| e as usize);
        self.segs.get(start as usize..end).unwrap_or(&[])
    }

    /// Lays out all of `text` as markdown-lite.
    pub fn markdown(text: &str, width: usize) -> (Layout, Resume) {
        let mut layout = Layout::default();
        let resume = layout.resume(text, width, Resume::default());
        (layout, resume)
    }

    /// Drops the rows from `from` on and lays out `text` again from there; returns the state at
    /// the start of the text's last (unfinished) line, the place to resume after more text arrives.
    pub fn resume(&mut self, text: &str, width: usize, from: Resume) -> Resume {
        self.rows.truncate(from.rows as usize);
        self.segs.truncate(from.segs as usize);
        let mut scratch = Scratch::default();
        let mut start = from.byte as usize;
        let mut fence = from.fence;
        loop {
            let rest = text.get(start..).unwrap_or("");
            let here = Resume {
                byte: start as u32,
                rows: self.rows.len() as u32,
                segs: self.segs.len() as u32,
                fence,
            };
            let end = rest.find('\n').map(|i| start + i);
            if end.is_none() && rest.is_empty() {
                return here;
            }
            fence = self.block(
                text,
                start,
                end.unwrap_or(text.len()),
                width,
                fence,
                &mut scratch,
            );
            match end {
                Some(e) => start = e + 1,
                None => return here,
            }
        }
    }

    /// Lays out a plain (not markdown) notice: `glyph` before the first row, the rest indented.
    pub fn notice(text: &str, width: usize, glyph: Glyph, sty: Sty) -> Layout {
        let mut layout = Layout::default();
        let mut scratch = Scratch::default();
        let indent = Prefix::spaces(2);
        let mut start = 0;
        for (i, line) in text.split('\n').enumerate() {
            let first = if i == 0 {
                Prefix::glyph(0, glyph, sty)
            } else {
                indent
            };
            scratch.pieces.clear();
            plain(
                text,
                start,
                start + line.len(),
                sty,
                &mut 0,
                &mut scratch.pieces,
            );
            layout.wrap(text, &mut scratch, first, indent, width, false);
            start += line.len() + 1;
        }
        layout
    }

    /// Lays out the line `text[a..b]`; returns whether a code fence is open after it.
    fn block(
        &mut self,
        text: &str,
        a: usize,
        b: usize,
        width: usize,
        fence: bool,
        sc: &mut Scratch,
    ) -> bool {
        let line = text.get(a..b).unwrap_or("");
        let trimmed = line.trim_start_matches([' ', '\t']);
        let c = a + (line.len() - trimmed.len());
        sc.pieces.clear();
        if trimmed.starts_with("```") {
            return !fence;
        }
        if fence {
            plain(text, a, b, Sty::CODE, &mut 0, &mut sc.pieces);
            self.wrap(text, sc, Prefix::NONE, Prefix::NONE, width, true);
            return true;
        }
        if trimmed.trim_end().is_empty() {
            self.rows.push(self.segs.len() as u32);
            return false;
        }
        // Indentation is kept, but never more than half the width, so deep nesting still fits.
        let lead = (line[..line.len() - trimmed.len()].chars())
            .map(|ch| if ch == '\t' { 4 } else { 1 })
            .sum::<usize>()
            .min(width / 2);
        let mut col = 0;
        if is_rule(trimmed) {
            self.rows.push(self.segs.len() as u32);
            self.segs.push(Seg::new(Src::Rule, 0, width, Sty::DIM));
        } else if let Some(n) = heading(trimmed) {
            let body = (c + n).min(b);
            inline(text, body, b, Sty::HEADING, &mut col, &mut sc.pieces, 0);
            self.wrap(text, sc, Prefix::NONE, Prefix::NONE, width, false);
        } else if ["- ", "* ", "+ "].iter().any(|m| trimmed.starts_with(m)) {
            inline(text, c + 2, b, Sty::PLAIN, &mut col, &mut sc.pieces, 0);
            let first = Prefix::glyph(lead, Glyph::Bullet, Sty::PLAIN);
            self.wrap(text, sc, first, Prefix::spaces(lead + 2), width, false);
        } else if let Some(n) = numbered(trimmed) {
            inline(text, c + n, b, Sty::PLAIN, &mut col, &mut sc.pieces, 0);
            let first = Prefix {
                lead,
                seg: Some(Seg::text(c, c + n, Sty::PLAIN)),
                width: lead + n,
            };
            self.wrap(text, sc, first, Prefix::spaces(lead + n), width, false);
        } else if let Some(rest) = trimmed.strip_prefix('>') {
            let body = b - rest.strip_prefix(' ').unwrap_or(rest).len();
            inline(text, body, b, Sty::DIM, &mut col, &mut sc.pieces, 0);
            let bar = Prefix::glyph(0, Glyph::Quote, Sty::DIM);
            self.wrap(text, sc, bar, bar, width, false);
        } else {
            inline(text, c, b, Sty::PLAIN, &mut col, &mut sc.pieces, 0);
            self.wrap(
                text,
                sc,
                Prefix::spaces(lead),
                Prefix::spaces(lead),
                width,
                false,
            );
        }
        false
    }
}

/// Pieces for `text[a..b]` in one style, tabs expanded to the next multiple of four columns.
fn plain(text: &str, a: usize, b: usize, sty: Sty, col: &mut usize, out: &mut Vec<Piece>) {
    let mut start = a;
    for (i, part) in text.get(a..b).unwrap_or("").split('\t').enumerate() {
        if i > 0 {
            let n = 4 - *col % 4;
            out.push(Piece {
                src: Src::Spaces,
                a: 0,
                b: n,
                sty,
            });
            *col += n;
        }
        if !part.is_empty() {
            out.push(Piece {
                src: Src::Text,
                a: start,
                b: start + part.len(),
                sty,
            });
            *col += part.width();
        }
        start += part.len() + 1;
    }
}

/// Inline markup of `text[a..b]`: `code`, **bold**, *italic* and _italic_ when clearly paired.
/// Scans bytes: every delimiter is ASCII, so each slice point is a char boundary.
fn inline(
    text: &str,
    a: usize,
    b: usize,
    sty: Sty,
    col: &mut usize,
    out: &mut Vec<Piece>,
    depth: u8,
) {
    let bytes = text.as_bytes();
    let at = |i: usize| if i < b { bytes.get(i).copied() } else { None };
    let is_ws = |c: Option<u8>| matches!(c, None | Some(b' ' | b'\t'));
    let word = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    // A failed search for a closer also fails from any later opener, so remember it.
    let mut unclosed = [false; 4];
    let (mut lit, mut i) = (a, a);
    while i < b {
        let c = bytes[i];
        let kind = match c {
            b'`' => 0,
            b'*' if at(i + 1) == Some(b'*') => 1,
            b'*' => 2,
            b'_' => 3,
            _ => {
                i += 1;
                continue;
            }
        };
        let skip = if kind == 1 { 2 } else { 1 };
        let intraword = i > a && word(Some(bytes[i - 1]));
        let opens = depth < 4
            && !unclosed[kind]
            && match kind {
                0 => true,
                1 => !is_ws(at(i + 2)),
                2 => !is_ws(at(i + 1)) && at(i + 1) != Some(b'*'),
                // `_` inside a word (snake_case) is not emphasis
                _ => !is_ws(at(i + 1)) && !intraword && at(i + 1) != Some(b'_'),
            };
        let close = if opens {
            let inner = i + skip;
            let found = (inner + 1..b).find(|&j| match kind {
                0 => bytes[j] == b'`',
                1 => bytes[j] == b'*' && at(j + 1) == Some(b'*') && !is_ws(Some(bytes[j - 1])),
                2 => {
                    bytes[j] == b'*'
                        && !is_ws(Some(bytes[j - 1]))
                        && bytes[j - 1] != b'*'
                        && at(j + 1) != Some(b'*')
                }
                _ => bytes[j] == b'_' && !is_ws(Some(bytes[j - 1])) && !word(at(j + 1)),
            });
            unclosed[kind] = found.is_none();
            found
        } else {
            None
        };
        let Some(j) = close else {
            i += skip;
            continue;
        };
        plain(text, lit, i, sty, col, out);
        let (inner, end) = (i + skip, j);
        match kind {
            0 => plain(text, inner, end, sty.with(Sty::CODE), col, out),
            1 => inline(text, inner, end, sty.with(Sty::BOLD), col, out, depth + 1),
            _ => inline(text, inner, end, sty.with(Sty::ITALIC), col, out, depth + 1),
        }
        i = j + skip;
        lit = i;
    }
    plain(text, lit, b, sty, col, out);
}

fn is_rule(line: &str) -> bool {
    let line = line.trim_end();
    let Some(first) = line.chars().next() else {
        return false;
    };
    matches!(first, '-' | '*' | '_')
        && line.chars().all(|c| c == first || c == ' ')
        && line.chars().filter(|&c| c == first).count() >= 3
}

/// Byte length of a heading marker (`#`s and the space after them).
fn heading(line: &str) -> Option<usize> {
    let n = line.bytes().take_while(|&c| c == b'#').count();
    ((1..=6).contains(&n) && line.as_bytes().get(n) == Some(&b' ')).then_some(n + 1)
}

/// Byte length of a numbered-item marker such as `12. ` or `3) `.
fn numbered(line: &str) -> Option<usize> {
    let n = line.bytes().take_while(u8::is_ascii_digit).count();
    let ok = (1..=9).contains(&n)
        && matches!(line.as_bytes().get(n), Some(b'.' | b')'))
        && line.as_bytes().get(n + 1) == Some(&b' ');
    ok.then_some(n + 2)
}

#[cfg(test)]
mod tests;
