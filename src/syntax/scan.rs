//! Scanning policy text character by character while knowing whether a `"…"` string is open.
//! Shared by the parser's span trimming and the formatter, which must never touch a string.

/// Each character of `s` with its byte offset and whether it lies inside a string literal
/// (the quotes themselves count as inside).
pub fn chars_in_strings(s: &str) -> impl Iterator<Item = (usize, char, bool)> + '_ {
    let mut in_str = false;
    let mut esc = false;
    s.char_indices().map(move |(i, c)| {
        if in_str {
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
            (i, c, true)
        } else {
            if c == '"' {
                in_str = true;
            }
            (i, c, in_str)
        }
    })
}

/// Where a `#` comment starts in one line, outside any string.
pub fn comment_start(line: &str) -> Option<usize> {
    chars_in_strings(line)
        .find(|(_, c, s)| *c == '#' && !s)
        .map(|(i, _, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_in_strings_are_not_comments() {
        assert_eq!(comment_start(r#"cite "第#1号" # note"#), Some(16));
        assert_eq!(comment_start(r#"cite "a \" # b""#), None);
    }
}
