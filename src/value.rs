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

/// Why `duration / duration` has no value.
pub enum DivisionError {
    ByZero,
    Overflow,
}

/// `x u` in the smallest unit of its measure (hours, months or working days); `None` on
/// overflow.
fn in_measure(x: Decimal, u: DurationUnit) -> Option<Decimal> {
    x.checked_mul(Decimal::from(u.measure().1))
}

/// `x u` against `y v` where both are of one measure (`72 hours` = `3 days`), exactly; `None`
/// where the measures differ or the scaled amount overflows.
pub fn duration_order(
    x: Decimal,
    u: DurationUnit,
    y: Decimal,
    v: DurationUnit,
) -> Option<std::cmp::Ordering> {
    if u == v {
        return Some(x.cmp(&y));
    }
    if u.measure().0 != v.measure().0 {
        return None;
    }
    Some(in_measure(x, u)?.cmp(&in_measure(y, v)?))
}

/// `x u ± y v` where both are of one measure, in the finer unit (`1 day + 4 hours` is
/// `28 hours`), exactly; `None` on overflow.
pub fn duration_sum(
    x: Decimal,
    u: DurationUnit,
    y: Decimal,
    v: DurationUnit,
    subtract: bool,
) -> Option<Value> {
    let f = u.finer(v);
    let (_, sf) = f.measure();
    let to_f = |n: Decimal, w: DurationUnit| n.checked_mul(Decimal::from(w.measure().1 / sf));
    let (a, b) = if u == v {
        (x, y)
    } else {
        (to_f(x, u)?, to_f(y, v)?)
    };
    let n = if subtract {
        a.checked_sub(b)?
    } else {
        a.checked_add(b)?
    };
    Some(Value::Duration(n, f))
}

/// How many of `y v` there are in `x u`, exactly: both are brought to their common measure
/// (hours, or months; working days only divide by working days, which the checker ensures).
pub fn duration_ratio(
    x: Decimal,
    u: DurationUnit,
    y: Decimal,
    v: DurationUnit,
) -> Result<Decimal, DivisionError> {
    let a = in_measure(x, u).ok_or(DivisionError::Overflow)?;
    let b = in_measure(y, v).ok_or(DivisionError::Overflow)?;
    if b.is_zero() {
        return Err(DivisionError::ByZero);
    }
    a.checked_div(b).ok_or(DivisionError::Overflow)
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
