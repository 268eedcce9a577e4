//! What happens to rows after the header: the size limits, and the problems that make a row or
//! a file unreadable rather than read wrongly (codes from `I0020` on). See `docs/inputs.md`
//! ("Rows") and `docs/limits.md`.

use super::DataDiag;
use crate::check::ir::Field;
use crate::value::RecordLoc;

/// The longest record: a CSV record (all its lines, when quotes hold line breaks), a JSON Lines
/// line, or one record of a JSON document. Longer stops reading the file (`I0023`): `/dev/zero`
/// or a 2 GB line cannot grow memory without bound.
pub const MAX_RECORD: usize = 16 << 20;

/// The longest cell (a CSV field, a JSON string, an Excel cell's text). Longer is an unreadable
/// value, located at its cell (`I0023` in its reason), never stored.
pub const MAX_CELL: usize = 1 << 20;

/// The most columns a header may have: Excel's own limit (XFD). A wider header is no form
/// (200,000 columns took longer to match against the record types than any file should).
pub const MAX_COLUMNS: usize = 16_384;

pub use crate::value::{shorten, QUOTE_CHARS};

/// `I0023`: a header with `columns` columns, more than `MAX_COLUMNS`; the file is not read.
pub(crate) fn too_many_columns(path: &str, columns: usize) -> DataDiag {
    DataDiag::new(
        "I0023",
        path,
        1,
        1,
        format!("表头有 {columns} 列，超过 {MAX_COLUMNS} 列的上限，文件不读取"),
        format!("the header has {columns} columns, more than the limit of {MAX_COLUMNS}; the file is not read"),
    )
    .help(
        "检查文件是否为所声明的格式、分隔符是否正确",
        "check that the file is in the format its name says, with the right separator",
    )
    .fatal()
}

fn mib(n: usize) -> usize {
    n >> 20
}

/// `I0023`: a record longer than `MAX_RECORD`, found at `line` and `col`; reading stops.
pub(crate) fn record_too_long(path: &str, line: u32, col: u32) -> DataDiag {
    DataDiag::new(
        "I0023",
        path,
        line,
        col,
        format!("记录超过 {} MiB 的长度上限，文件停止读取", mib(MAX_RECORD)),
        format!(
            "a record longer than the limit of {} MiB; reading the file stops",
            mib(MAX_RECORD)
        ),
    )
    .help(
        "检查文件是否为所声明的格式；一行（一条记录）不应有这么长",
        "check that the file is in the format its name says; no line (record) is this long",
    )
    .fatal()
}

/// The reason a cell longer than `MAX_CELL` is unreadable, in both languages.
pub(crate) fn cell_too_long_reason() -> (String, String) {
    (
        format!("单元格超过 {} MiB 的长度上限（I0023）", mib(MAX_CELL)),
        format!(
            "the cell is longer than the limit of {} MiB (I0023)",
            mib(MAX_CELL)
        ),
    )
}

/// `I0021`: one field given twice in a JSON record, by `first` and then `second` (the same key
/// repeated, or the field's name and its label). The record is unreadable.
pub(crate) fn duplicate_key(
    path: &str,
    loc: RecordLoc,
    first: &str,
    second: &str,
    field: &Field,
) -> DataDiag {
    let name = field.label.as_deref().unwrap_or(&field.name);
    let (zh, en) = if first == second {
        (
            format!("键 `{first}` 在这条记录中出现了两次；无法确定应取哪个值"),
            format!("the key `{first}` appears twice in this record; which value is meant cannot be told"),
        )
    } else {
        (
            format!("字段 `{name}` 在这条记录中给了两次（键 `{first}` 和 `{second}`）；无法确定应取哪个值"),
            format!(
                "the field `{name}` is given twice in this record (keys `{first}` and `{second}`); \
                 which value is meant cannot be told"
            ),
        )
    };
    let mut d = DataDiag::new("I0021", path, loc.line, loc.col, zh, en).help(
        "每个字段只写一次：用字段名或标签之一",
        "give each field once, by its name or by its label",
    );
    d.byte = Some(loc.byte);
    d
}

/// `I0020`: a CSV header names one field twice, in columns `first` and `second` (1-based). The
/// file is not read: which column holds the field cannot be told.
pub(crate) fn duplicate_column(
    path: &str,
    first: (usize, &str),
    second: (usize, &str),
    field: &Field,
) -> DataDiag {
    let name = field.label.as_deref().unwrap_or(&field.name);
    let (zh, en) = if first.1 == second.1 {
        (
            format!(
                "表头中第 {} 列和第 {} 列都是 `{}`；无法确定字段 `{name}` 取哪一列",
                first.0, second.0, first.1
            ),
            format!(
                "columns {} and {} of the header are both `{}`; which holds the field `{name}` \
                 cannot be told",
                first.0, second.0, first.1
            ),
        )
    } else {
        (
            format!(
                "表头中第 {} 列 `{}` 和第 {} 列 `{}` 是同一个字段 `{name}`；无法确定取哪一列",
                first.0, first.1, second.0, second.1
            ),
            format!(
                "columns {} (`{}`) and {} (`{}`) of the header are the same field `{name}`; which \
                 one holds it cannot be told",
                first.0, first.1, second.0, second.1
            ),
        )
    };
    DataDiag::new(
        "I0020",
        path,
        1,
        u32::try_from(second.0).unwrap_or(u32::MAX),
        zh,
        en,
    )
    .help(
        "删去或改名其中一列，使每个字段只有一列",
        "remove or rename one of the columns, so that each field has one",
    )
    .fatal()
}

/// `I0022`: a CSV row with `got` cells where the header has `want`. The row is unreadable: a
/// cell missing at the end, or one too many, shifts no value silently into another field.
pub(crate) fn ragged_row(path: &str, loc: RecordLoc, got: usize, want: usize) -> DataDiag {
    let (zh, en) = if got < want {
        (
            format!("这一行只有 {got} 个单元格，表头有 {want} 列；该行无法读取"),
            format!("this row has {got} cells, the header {want} columns; the row is not read"),
        )
    } else {
        (
            format!("这一行有 {got} 个单元格，多于表头的 {want} 列；该行无法读取"),
            format!(
                "this row has {got} cells, more than the header's {want} columns; the row is not \
                 read"
            ),
        )
    };
    let mut d = DataDiag::new("I0022", path, loc.line, loc.col, zh, en).help(
        "检查该行是否少了或多了逗号，或含逗号的单元格是否加了引号",
        "check the row for a missing or extra comma, or a cell with a comma that is not quoted",
    );
    d.byte = Some(loc.byte);
    d
}

/// Whether a CSV row holds nothing: every cell empty or white space (`,,,,`, a line of spaces).
/// A cell that is not UTF-8 holds something (and is reported when the row is converted).
pub(crate) fn is_blank(row: &super::csv_split::Row) -> bool {
    // Most rows start with a printable character: not blank, and nothing more to look at.
    let mut cells = row.iter();
    if let Some(first) = cells.next() {
        if first.first().is_some_and(u8::is_ascii_graphic)
            || !std::str::from_utf8(first).is_ok_and(|t| t.trim().is_empty())
        {
            return false;
        }
    }
    cells.all(|c| std::str::from_utf8(c).is_ok_and(|t| t.trim().is_empty()))
}

/// Whether a CSV row is a totals row: its first cell holding anything says 合计, 小计 or 总计
/// (see `excel::total_kind`). Most rows' first cell starts with an ASCII character or is a
/// key, and is not looked at further.
pub(crate) fn total_of(row: &super::csv_split::Row) -> Option<bool> {
    let first = row
        .iter()
        .find(|c| !std::str::from_utf8(c).is_ok_and(|t| t.trim().is_empty()))?;
    // 合, 小, 总 and 全 all start with 0xE5 or 0xE6 in UTF-8.
    let lead = first.iter().find(|b| !b.is_ascii_whitespace())?;
    if !matches!(lead, 0xE5 | 0xE6) {
        return None;
    }
    super::excel::total_kind(std::str::from_utf8(first).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_quoted_short() {
        assert_eq!(shorten("abc"), "abc");
        let long = "甲".repeat(1000);
        let s = shorten(&long);
        assert_eq!(s.chars().count(), QUOTE_CHARS + 1);
        assert!(s.ends_with('…'));
        assert_eq!(shorten(&"x".repeat(QUOTE_CHARS)), "x".repeat(QUOTE_CHARS));
    }
}
