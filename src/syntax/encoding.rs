//! Policy files are UTF-8. A file that is not is refused with the place of its first byte that is
//! not UTF-8 and a guess at what it is (GBK/GB18030, UTF-16), never read as something else.

use crate::diag::{Diagnostic, Msg};
use crate::source::{SourceId, Span};

/// A policy file that is not UTF-8.
#[derive(Debug, Clone)]
pub struct NotUtf8 {
    /// The text with each invalid sequence replaced by U+FFFD, for showing the place.
    pub lossy: String,
    /// Byte offset of the first invalid byte (the same in the file and in `lossy`).
    pub offset: usize,
    /// 1-based line and column (in characters) of the first invalid byte.
    pub line: usize,
    pub column: usize,
    pub byte: u8,
    pub guess: Option<&'static str>,
}

/// The text of a policy file, or where and how it is not UTF-8.
/// A NUL byte counts as not UTF-8: no policy holds one, and UTF-16 text of ASCII letters is
/// otherwise valid UTF-8.
pub fn decode_policy(bytes: Vec<u8>) -> Result<String, Box<NotUtf8>> {
    let nul = memchr::memchr(0, &bytes);
    match String::from_utf8(bytes) {
        Ok(s) if nul.is_none() => Ok(s),
        result => {
            let (invalid, bytes) = match result {
                Ok(s) => (None, s.into_bytes()),
                Err(e) => (Some(e.utf8_error().valid_up_to()), e.into_bytes()),
            };
            let offset = match (invalid, nul) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) => a,
                (None, Some(b)) => b,
                (None, None) => bytes.len(),
            };
            let prefix = std::str::from_utf8(bytes.get(..offset).unwrap_or(&[])).unwrap_or("");
            let line = prefix.matches('\n').count() + 1;
            let column = prefix
                .rsplit('\n')
                .next()
                .map(|l| l.chars().count())
                .unwrap_or(0)
                + 1;
            Err(Box::new(NotUtf8 {
                lossy: String::from_utf8_lossy(&bytes).replace('\0', "\u{FFFD}"),
                offset,
                line,
                column,
                byte: bytes.get(offset).copied().unwrap_or(0),
                guess: guess(&bytes),
            }))
        }
    }
}

fn guess(bytes: &[u8]) -> Option<&'static str> {
    let nuls = bytes.iter().filter(|b| **b == 0).count();
    if bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0xFE, 0xFF])
        || nuls * 4 > bytes.len()
    {
        return Some("UTF-16");
    }
    let (_, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    (!had_errors).then_some("GBK/GB18030")
}

impl NotUtf8 {
    /// One line for places that take a reason (a `use`d file): where, and what to do.
    pub fn reason(&self) -> String {
        let what = match self.guess {
            Some(g) => format!("; it looks like {g}"),
            None => String::new(),
        };
        format!(
            "line {}, column {}: byte 0x{:02X} is not UTF-8{what}; save the file as UTF-8",
            self.line, self.column, self.byte
        )
    }

    /// `E0013` at the first invalid byte, in `source` (which holds [`NotUtf8::lossy`]).
    pub fn diagnostic(&self, source: SourceId) -> Diagnostic {
        let (zh_guess, en_guess) = match self.guess {
            Some(g) => (
                format!("（看起来是 {g} 编码）"),
                format!(" (it looks like {g})"),
            ),
            None => (String::new(), String::new()),
        };
        let end = self.offset
            + self
                .lossy
                .get(self.offset..)
                .and_then(|r| r.chars().next())
                .map(char::len_utf8)
                .unwrap_or(0);
        Diagnostic::error(
            "E0013",
            Msg::new(
                format!(
                    "策略文件不是 UTF-8 编码{zh_guess}：第 {} 行第 {} 列的字节 0x{:02X} 无效",
                    self.line, self.column, self.byte
                ),
                format!(
                    "the policy file is not UTF-8{en_guess}: byte 0x{:02X} at line {}, column {} is invalid",
                    self.byte, self.line, self.column
                ),
            ),
        )
        .with_label(Span::new(source, self.offset, end), None)
        .with_help(Msg::new(
            "请用编辑器把文件另存为 UTF-8 编码",
            "save the file as UTF-8 (an editor's \"save with encoding\")",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_bad_byte_is_located_and_the_encoding_guessed() {
        let (gbk, _, _) = encoding_rs::GBK.encode("policy p \"t\"\n  document \"中文\"\n");
        let e = decode_policy(gbk.into_owned()).unwrap_err();
        assert_eq!((e.line, e.column), (2, 13));
        assert_eq!(e.guess, Some("GBK/GB18030"));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("policy".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let e = decode_policy(utf16).unwrap_err();
        assert_eq!((e.line, e.column, e.guess), (1, 1, Some("UTF-16")));
        let bare: Vec<u8> = "policy".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let e = decode_policy(bare).unwrap_err();
        assert_eq!((e.line, e.column, e.guess), (1, 2, Some("UTF-16")));
        assert!(decode_policy("政策 p \"t\"".into()).is_ok());
    }
}
