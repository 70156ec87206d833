//! Text from models made safe for a terminal: no escape sequence, control character or bidi
//! override from a model ever reaches the screen.

/// Removes ANSI/VT escape sequences (CSI, OSC incl. clipboard and title, DCS/SOS/PM/APC strings,
/// 8-bit C1 forms), other control characters except newline and tab, bidi overrides and
/// invisible zero-width characters. Newlines and tabs are kept.
pub fn sanitize(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars),
                // Two-character escapes (ESC c, ESC 7, ...) and a trailing ESC: drop both.
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            '\u{200b}' | '\u{200e}' | '\u{200f}' | '\u{2060}' | '\u{feff}' | '\u{061c}' => {}
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Lower-case words of a text, with `_`, `-` and punctuation as separators, padded with spaces
/// so that `contains(" word ")` matches whole words and phrases ("app" does not match "happy").
pub fn padded_words(text: &str) -> String {
    let cleaned: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    format!(
        " {} ",
        cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
    )
}

/// Skips a CSI sequence: parameter and intermediate bytes up to a final byte in `@`..=`~`.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) || !(' '..='\u{7e}').contains(&c) {
            return;
        }
    }
}

/// Skips a string sequence (OSC, DCS, ...) up to BEL, ST (`ESC \`) or the 8-bit ST.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn escape_sequences_and_controls_are_removed() {
        assert_eq!(sanitize("a\u{1b}[31mred\u{1b}[0m b"), "ared b");
        assert_eq!(
            sanitize("x\u{1b}]52;c;ZXZpbA==\u{7}y"),
            "xy",
            "OSC 52 clipboard"
        );
        assert_eq!(
            sanitize("x\u{1b}]0;evil title\u{1b}\\y"),
            "xy",
            "OSC title with ST"
        );
        assert_eq!(
            sanitize("x\u{9b}2Jy\u{9d}8;;http://e\u{9c}z"),
            "xyz",
            "8-bit CSI and OSC"
        );
        assert_eq!(sanitize("a\rb\u{8}c\u{7}d\u{0}e\u{7f}"), "abcde");
        assert_eq!(sanitize("line\n\tindent"), "line\n\tindent");
        assert_eq!(sanitize("abc\u{202e}fed\u{2066}x\u{200b}y"), "abcfedxy");
        assert_eq!(sanitize("日本語 é 👩‍💻"), "日本語 é 👩‍💻");
        assert_eq!(sanitize("tail\u{1b}"), "tail");
        assert_eq!(sanitize("\u{1b}P1$r\u{1b}\\ok"), "ok", "DCS");
    }
}
