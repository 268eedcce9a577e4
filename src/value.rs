//! Runtime values and records: what `input` produces and `eval` consumes.

use crate::vocab::DurationUnit;
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

/// One field's value. Numbers are held in base units (元, m², 亩, 米; ratios as fractions).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Absent or empty in the data.
    Missing,
    /// Present but unreadable; the raw text and why.
    Invalid(Box<InvalidValue>),
    Text(compact_str::CompactString),
    Num(Decimal),
    Bool(bool),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    /// Index of the variant in the field's enum.
    Enum(u16),
    Duration(Decimal, DurationUnit),
    /// Records of a list field, each a row of values of the element record type. Boxed, so that
    /// a value takes 24 bytes, not 32.
    List(Box<[Vec<Value>]>),
    /// The dates of a set of records, each with how many records bear it, for periodic
    /// obligations (`every`).
    Dates(std::sync::Arc<std::collections::BTreeMap<NaiveDate, u32>>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct InvalidValue {
    pub raw: String,
    pub reason_zh: String,
    pub reason_en: String,
}

/// At most this many characters of a cell or line are quoted in a message.
pub const QUOTE_CHARS: usize = 80;

/// `text` as a message quotes it: at most `QUOTE_CHARS` characters, then `…`.
pub fn shorten(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(QUOTE_CHARS) {
        None => text.into(),
        Some((at, _)) => format!("{}…", text.get(..at).unwrap_or_default()).into(),
    }
}

impl Value {
    /// An unreadable value. Its text is kept as a message quotes it (`shorten`): a megabyte of
    /// garbage in a cell is neither stored again nor echoed whole.
    pub fn invalid(raw: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> Value {
        let mut raw = raw.into();
        if let std::borrow::Cow::Owned(short) = shorten(&raw) {
            raw = short;
        }
        Value::Invalid(Box::new(InvalidValue {
            raw,
            reason_zh: zh.into(),
            reason_en: en.into(),
        }))
    }

    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }
}

/// Where a record came from: an input file and its position, or an example in a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecordLoc {
    /// Index of the input in the run's input table.
    pub input: u32,
    /// 0-based position of the record in its input.
    pub index: u64,
    /// 1-based line and column where the record starts.
    pub line: u32,
    pub col: u32,
    /// Byte offset of the record's start in its input, to show the record again for a finding.
    pub byte: u64,
}

/// One input record of a declared record type.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub ty: usize,
    pub values: Vec<Value>,
    pub loc: RecordLoc,
}

#[cfg(test)]
mod tests {
    /// Records hold one value per field; keep a value at three words (text up to 24 bytes is
    /// held inline).
    #[test]
    fn a_value_is_24_bytes() {
        assert_eq!(std::mem::size_of::<super::Value>(), 24);
    }
}
