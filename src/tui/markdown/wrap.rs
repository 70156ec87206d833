//! Word wrapping of styled pieces into rows, with textwrap's first-fit over our own fragments.

use textwrap::core::Fragment;
use textwrap::wrap_algorithms::wrap_first_fit;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::{Glyph, Layout, Piece, Seg, Src, Sty};

impl Layout {
    /// Wraps `sc.pieces` into rows; `hard` breaks anywhere (code), else between words.
    pub(super) fn wrap(
        &mut self,
        text: &str,
        sc: &mut Scratch,
        first: Prefix,
        cont: Prefix,
        width: usize,
        hard: bool,
    ) {
        let avail = width.saturating_sub(first.width.max(cont.width)).max(1);
        sc.frags.clear();
        if hard {
            if let Some(f) = whole(text, &sc.pieces) {
                split_hard(text, &sc.pieces, f, avail, &mut sc.frags);
            }
        } else {
            words(text, &sc.pieces, avail, &mut sc.frags);
        }
        if sc.frags.is_empty() {
            self.rows.push(self.segs.len() as u32);
            first.push(&mut self.segs);
            return;
        }
        for (i, line) in wrap_first_fit(&sc.frags, &[avail as f64])
            .into_iter()
            .enumerate()
        {
            let (Some(f), Some(l)) = (line.first(), line.last()) else {
                continue;
            };
            self.rows.push(self.segs.len() as u32);
            if i == 0 { first } else { cont }.push(&mut self.segs);
            for (pi, p) in sc
                .pieces
                .iter()
                .enumerate()
                .take(l.end.0 + 1)
                .skip(f.start.0)
            {
                let lo = if pi == f.start.0 { f.start.1 } else { p.a };
                let hi = if pi == l.end.0 { l.end.1 } else { p.b };
                push_run(&mut self.segs, text, p, lo, hi);
            }
        }
    }
}

/// Appends `p` clipped to `lo..hi` as segments, splitting runs too long for one segment.
fn push_run(segs: &mut Vec<Seg>, text: &str, p: &Piece, mut lo: usize, hi: usize) {
    while lo < hi {
        let mut end = hi.min(lo + usize::from(u16::MAX));
        while p.src == Src::Text && end > lo && !text.is_char_boundary(end) {
            end -= 1;
        }
        if end == lo {
            return;
        }
        segs.push(Seg::new(p.src, lo, end - lo, p.sty));
        lo = end;
    }
}

/// Row prefix: `lead` spaces, then an optional glyph or marker; `width` columns in all.
#[derive(Debug, Clone, Copy)]
pub(super) struct Prefix {
    pub(super) lead: usize,
    pub(super) seg: Option<Seg>,
    pub(super) width: usize,
}

impl Prefix {
    pub(super) const NONE: Prefix = Prefix {
        lead: 0,
        seg: None,
        width: 0,
    };

    pub(super) fn spaces(n: usize) -> Prefix {
        Prefix {
            lead: n,
            seg: None,
            width: n,
        }
    }

    pub(super) fn glyph(lead: usize, g: Glyph, sty: Sty) -> Prefix {
        Prefix {
            lead,
            seg: Some(Seg::glyph(g, sty)),
            width: lead + 2,
        }
    }

    fn push(self, segs: &mut Vec<Seg>) {
        if self.lead > 0 {
            segs.push(Seg::spaces(self.lead));
        }
        segs.extend(self.seg);
    }
}

#[derive(Default)]
pub(super) struct Scratch {
    pub(super) pieces: Vec<Piece>,
    frags: Vec<Frag>,
}

/// A word plus its trailing whitespace; positions are (piece index, offset in that piece).
#[derive(Debug, Clone, Copy)]
struct Frag {
    start: (usize, usize),
    end: (usize, usize),
    w: usize,
    ws: usize,
}

impl Fragment for Frag {
    fn width(&self) -> f64 {
        self.w as f64
    }
    fn whitespace_width(&self) -> f64 {
        self.ws as f64
    }
    fn penalty_width(&self) -> f64 {
        0.0
    }
}

impl Frag {
    fn at(pos: (usize, usize)) -> Frag {
        Frag {
            start: pos,
            end: pos,
            w: 0,
            ws: 0,
        }
    }
}

fn char_width(c: char) -> usize {
    if c.is_ascii() {
        1
    } else {
        c.width().unwrap_or(0)
    }
}

/// Splits pieces into words; wide (CJK) characters are words of their own, and words wider than
/// `avail` are broken hard.
fn words(text: &str, pieces: &[Piece], avail: usize, out: &mut Vec<Frag>) {
    let mut cur: Option<Frag> = None;
    let mut in_ws = false;
    let mut after_wide = false;
    let push = |f: Frag, out: &mut Vec<Frag>| {
        if f.w > avail {
            split_hard(text, pieces, f, avail, out);
        } else {
            out.push(f);
        }
    };
    for (pi, p) in pieces.iter().enumerate() {
        if p.src != Src::Text {
            cur.get_or_insert(Frag::at((pi, p.a))).ws += p.b - p.a;
            in_ws = true;
            continue;
        }
        let (pa, pb) = (p.a, p.b);
        let mut run: Option<usize> = None;
        let close = |f: &mut Frag, run: &mut Option<usize>, at: usize| {
            if let Some(rs) = run.take() {
                f.w += text.get(rs..at).map_or(0, UnicodeWidthStr::width);
                f.end = (pi, at);
            }
        };
        for (i, ch) in text.get(pa..pb).unwrap_or("").char_indices() {
            let at = pa + i;
            if ch == ' ' {
                let f = cur.get_or_insert(Frag::at((pi, at)));
                close(f, &mut run, at);
                f.ws += 1;
                in_ws = true;
                continue;
            }
            let cw = char_width(ch);
            let wide = cw >= 2;
            if let Some(mut f) = cur.take_if(|_| in_ws || (cw > 0 && (wide || after_wide))) {
                close(&mut f, &mut run, at);
                push(f, out);
            }
            cur.get_or_insert(Frag::at((pi, at)));
            run.get_or_insert(at);
            in_ws = false;
            if cw > 0 {
                after_wide = wide;
            }
        }
        if let Some(f) = cur.as_mut() {
            close(f, &mut run, pb);
        }
    }
    if let Some(f) = cur {
        push(f, out);
    }
}

/// One fragment over all pieces (a code line), measured per character.
fn whole(text: &str, pieces: &[Piece]) -> Option<Frag> {
    let (first, last) = (pieces.first()?, pieces.last()?);
    let w = pieces
        .iter()
        .map(|p| match p.src {
            Src::Text => text
                .get(p.a..p.b)
                .unwrap_or("")
                .chars()
                .map(char_width)
                .sum(),
            _ => p.b - p.a,
        })
        .sum();
    Some(Frag {
        start: (0, first.a),
        end: (pieces.len() - 1, last.b),
        w,
        ws: 0,
    })
}

/// Breaks `f` into chunks at most `avail` wide (a lone wider character gets a chunk of its own).
fn split_hard(text: &str, pieces: &[Piece], f: Frag, avail: usize, out: &mut Vec<Frag>) {
    let mut chunk = Frag::at(f.start);
    let mut cut = |pos: (usize, usize), cw: usize, chunk: &mut Frag| {
        if chunk.w + cw > avail && chunk.w > 0 {
            chunk.end = pos;
            out.push(*chunk);
            *chunk = Frag::at(pos);
        }
        chunk.w += cw;
    };
    for (pi, p) in pieces.iter().enumerate().take(f.end.0 + 1).skip(f.start.0) {
        let lo = if pi == f.start.0 { f.start.1 } else { p.a };
        let hi = if pi == f.end.0 { f.end.1 } else { p.b };
        if p.src != Src::Text {
            cut((pi, lo), hi.saturating_sub(lo), &mut chunk);
            continue;
        }
        for (i, ch) in text.get(lo..hi).unwrap_or("").char_indices() {
            cut((pi, lo + i), char_width(ch), &mut chunk);
        }
    }
    chunk.end = f.end;
    chunk.ws = f.ws;
    out.push(chunk);
}
