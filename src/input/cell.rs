//! Reading one cell or JSON value into a field's type, converting units exactly.

use crate::calendar::{parse_date_text as parse_date, parse_datetime_text as parse_datetime};
use crate::check::ir::{Field, Program, Ty};
use crate::check::units;
use crate::value::Value;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;
use std::str::FromStr;

fn bad(raw: &str, zh: impl Into<String>, en: impl Into<String>) -> Value {
    Value::invalid(raw, zh, en)
}

/// `raw` without leading and trailing white space. Most cells start and end with a printable
/// ASCII character and have nothing to trim; only the others pay for `str::trim`.
fn trim_cell(raw: &str) -> &str {
    let printable = |b: Option<&u8>| b.is_some_and(|b| (0x21..0x7f).contains(b));
    let b = raw.as_bytes();
    if printable(b.first()) && printable(b.last()) {
        raw
    } else {
        raw.trim()
    }
}

/// Whether a number field's unit is its base unit exactly (scale `1`, not `1.0`): its plain
/// numbers are read as written.
pub(crate) fn base_unit(field: &Field) -> Option<bool> {
    match &field.ty {
        Ty::Num(n) if n.unit.scale.serialize() == Decimal::ONE.serialize() => Some(n.int),
        _ => None,
    }
}

/// `parse_cell` for a field that `base_unit` says is in its base unit (`int` from it): a plain
/// number is read in place, anything else by `parse_cell`.
#[inline(always)]
pub(crate) fn parse_base_number_cell(raw: &str, int: bool, field: &Field) -> Value {
    if let Some(n) = plain_decimal(raw.as_bytes()) {
        if !int || n.scale() == 0 || n.fract().is_zero() {
            return Value::Num(n);
        }
    }
    parse_cell(raw, field)
}

/// Reads a text cell (CSV, Excel, a JSON string) as a value of the field's type.
pub fn parse_cell(raw: &str, field: &Field) -> Value {
    if raw.len() > super::rows::MAX_CELL {
        let (zh, en) = super::rows::cell_too_long_reason();
        return bad(&super::rows::shorten(raw), zh, en);
    }
    let t = trim_cell(raw);
    if t.is_empty() {
        return Value::Missing;
    }
    // Full-width digits and signs (`８００００`, `２０１７－０６－３０`), as an IME types them, are
    // the ASCII ones in a number, date or flag; a text or a choice keeps what was typed (a
    // label such as `列举（等）` has full-width brackets of its own).
    let half: String;
    let t = if matches!(field.ty, Ty::Num(_) | Ty::Date | Ty::DateTime | Ty::Bool)
        && t.chars().any(is_full_width)
    {
        half = t.chars().map(half_width).collect();
        half.trim()
    } else {
        t
    };
    match &field.ty {
        Ty::Text => Value::Text(t.into()),
        Ty::Num(n) => parse_number(t, &n.unit, n.int),
        Ty::Bool if t == "true" => Value::Bool(true),
        Ty::Bool if t == "false" => Value::Bool(false),
        Ty::Bool => match t.to_lowercase().as_str() {
            "true" | "是" | "1" | "y" | "yes" | "√" | "✓" | "有" => Value::Bool(true),
            "false" | "否" | "0" | "n" | "no" | "×" | "✗" | "无" => Value::Bool(false),
            _ => bad(
                t,
                "应为 是/否 或 true/false",
                "expected true/false (or 是/否)",
            ),
        },
        Ty::Date => match parse_date_cell(t) {
            Some(d) => Value::Date(d),
            None => not_a_date(t),
        },
        Ty::DateTime => match parse_datetime_cell(t) {
            Some(d) => Value::DateTime(d),
            None if is_month(t) => bad(
                t,
                "只有年月，没有日和时刻：此字段应为时间，如 2023-03-08 09:00",
                "a month, not a time: this field needs a date and time such as 2023-03-08 09:00",
            ),
            None => bad(
                t,
                "应为时间，如 2017-05-23 08:30",
                "expected a date and time such as 2017-05-23 08:30",
            ),
        },
        Ty::Enum(def) => match def.find(t) {
            Some(i) => Value::Enum(i),
            None => {
                let opts: Vec<String> = def
                    .variants
                    .iter()
                    .map(|(n, l)| match l {
                        Some(l) => format!("{l}（{n}）"),
                        None => n.clone(),
                    })
                    .collect();
                bad(
                    t,
                    format!("不是可选值之一：{}", opts.join("、")),
                    format!("not one of: {}", opts.join(", ")),
                )
            }
        },
        Ty::List(_) => bad(
            t,
            "列表字段只能从 JSON 读取",
            "a list field can only be read from JSON",
        ),
        Ty::Duration(_) | Ty::Dates | Ty::Error => bad(t, "无法读取", "cannot be read"),
    }
}

/// Whether `c` is a full-width form of an ASCII character, or the ideographic space.
fn is_full_width(c: char) -> bool {
    ('\u{FF01}'..='\u{FF5E}').contains(&c) || c == '\u{3000}'
}

/// The ASCII character a full-width one stands for.
fn half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        // `％` and `，` are units and separators the readers know in either width; the rest of
        // the block maps one to one onto ASCII.
        c if ('\u{FF01}'..='\u{FF5E}').contains(&c) => {
            char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c)
        }
        c => c,
    }
}

/// `80 000` (digits grouped by three with spaces, as the SI and some offices write them) with the
/// spaces taken out; `None` for anything else, so that `80 000` is not read as 80 with a unit
/// `000`.
fn space_grouped(t: &str) -> Option<String> {
    let is_space = |c: char| matches!(c, ' ' | '\u{A0}' | '\u{2009}' | '\u{202F}');
    if !t.contains(is_space) {
        return None;
    }
    let end = t
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || is_space(*c) || *c == '.' || *c == '-'))
        .map_or(t.len(), |(i, _)| i);
    let (num, rest) = t.split_at(end);
    let num = num.trim_end_matches(is_space);
    let (int, frac) = match num.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (num, None),
    };
    let mut groups = int.trim_start_matches('-').split(is_space);
    let first = groups.next()?;
    let ok = (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
        && frac.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit()));
    if !ok || !int.contains(is_space) {
        return None;
    }
    let digits: String = num.chars().filter(|c| !is_space(*c)).collect();
    Some(format!("{digits}{rest}"))
}

/// Reads `100万元`, `1,234.5`, `25 平方米`, `50%` into base units of the field's dimension.
pub fn parse_number(t: &str, field_unit: &units::Unit, int: bool) -> Value {
    match plain_number(t.as_bytes(), field_unit, int) {
        Some(v) => v,
        None => parse_number_general(t, field_unit, int),
    }
}

/// `parse_number` for every spelling, and every problem.
#[inline(never)]
fn parse_number_general(t: &str, field_unit: &units::Unit, int: bool) -> Value {
    let grouped = space_grouped(t);
    let t = grouped.as_deref().unwrap_or(t);
    // `¥80,000`, `￥8万元`: a currency sign says the field is money.
    let (t, yuan) = match t.strip_prefix(['¥', '￥']) {
        Some(rest) => (rest.trim_start(), true),
        None => (t, false),
    };
    if yuan && field_unit.dim != units::lookup("元").map(|u| u.dim).unwrap_or(field_unit.dim) {
        return bad(
            t,
            format!("`¥` 表示金额，但字段的单位是 `{}`", field_unit.name),
            format!(
                "`¥` marks money, but the field's unit is `{}`",
                field_unit.name
            ),
        );
    }
    let (num, unit) = units::split_number_unit(t);
    if num
        .split_once('.')
        .is_some_and(|(_, frac)| frac.contains(','))
    {
        // `1.000,5`: a point then a comma is the European spelling of 1000.5, and dropping the
        // comma as a thousands separator read it as 1.0005.
        return bad(
            t,
            "小数点后不能有逗号：如果这是欧洲写法的 1000.5（点分千位、逗号作小数点），请写作 1000.5",
            "a comma after the decimal point: if this is the European spelling of 1000.5 (a point between thousands, a decimal comma), write 1000.5",
        );
    }
    if num.contains(',') && !thousands_ok(num) {
        return bad(t, "千位分隔符位置不对", "misplaced thousands separator");
    }
    // Thousands separators are dropped; most cells have none and need no copy.
    let cleaned: std::borrow::Cow<str> = if num.contains(',') {
        num.chars().filter(|c| *c != ',').collect::<String>().into()
    } else {
        num.into()
    };
    let n = match exact_decimal(&cleaned) {
        Ok(n) => n,
        Err(Inexact::TooManyDigits) => {
            return bad(
                t,
                "有效数字超过 28 位，无法精确表示；请删去多余的位数",
                "more than 28 significant digits cannot be held exactly; drop the extra digits",
            )
        }
        Err(Inexact::NotANumber) => return bad(t, "应为数字", "expected a number"),
    };
    let scale = match unit {
        None => field_unit.scale,
        Some(u) => match units::lookup(u) {
            Some(cu) if cu.dim == field_unit.dim => cu.scale,
            Some(cu) => {
                return bad(
                    t,
                    format!(
                        "单位 `{}` 与字段的单位 `{}` 不相容",
                        cu.name, field_unit.name
                    ),
                    format!(
                        "the unit `{}` does not fit the field's unit `{}`",
                        cu.name, field_unit.name
                    ),
                )
            }
            // `8万` and `1.5亿` in a field of any unit: ten thousand or a hundred million of its
            // base unit (`8万` in a 元 field is 80,000 元; in a 人 field, 80,000 人).
            None if u == "万" => Decimal::from(10_000),
            None if u == "亿" => Decimal::from(100_000_000),
            None => return bad(t, format!("未知单位 `{u}`"), format!("unknown unit `{u}`")),
        },
    };
    // In the field's own unit (scale exactly 1) the number is kept as written.
    let v = if scale.mantissa() == 1 && scale.scale() == 0 {
        n
    } else {
        let Some(v) = n.checked_mul(scale) else {
            return bad(t, "数字超出范围", "number out of range");
        };
        v
    };
    if int && !v.fract().is_zero() {
        return bad(t, "应为整数", "expected a whole number");
    }
    Value::Num(v)
}

enum Inexact {
    TooManyDigits,
    NotANumber,
}

/// The number a cell spells, exactly or not at all. `Decimal::from_str` rounds a number with
/// more than 28 significant digits without a word (`1.00000000000000000000000000001` becomes
/// `1`); that would be a verdict decided by a digit the submission does not hold. Trailing zeros
/// after the point carry no value and are dropped first (`25.500…0` is `25.5`).
fn exact_decimal(t: &str) -> Result<Decimal, Inexact> {
    if let Ok(n) = Decimal::from_str_exact(t) {
        return Ok(n);
    }
    let trimmed = if t.contains('.') && !t.contains(['e', 'E']) {
        t.trim_end_matches('0').trim_end_matches('.')
    } else {
        t
    };
    match Decimal::from_str_exact(trimmed) {
        Ok(n) => Ok(n),
        Err(_) if Decimal::from_str(t).is_ok() => Err(Inexact::TooManyDigits),
        Err(_) => Err(Inexact::NotANumber),
    }
}

/// The common spelling of a number, `-?[0-9]+(\.[0-9]+)?` with at most 18 digits, read as
/// `Decimal::from_str` reads it (the same mantissa and scale: `25.50` keeps its scale 2), without
/// its general parser. `None` for any other spelling.
fn plain_decimal(b: &[u8]) -> Option<Decimal> {
    let (negative, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    // At most 18 digits and a point: the mantissa stays below 10^18, so it cannot overflow.
    if digits.len() > 19 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut dot = None;
    for (i, &c) in digits.iter().enumerate() {
        let d = c.wrapping_sub(b'0');
        if d < 10 {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
        } else if c == b'.' && dot.is_none() && i > 0 {
            dot = Some(i);
        } else {
            return None;
        }
    }
    let scale = match dot {
        // A point needs digits after it.
        Some(i) => u32::try_from(digits.len() - i - 1)
            .ok()
            .filter(|s| *s > 0)?,
        // 19 digits without a point may not fit.
        None if digits.len() > 18 => return None,
        None => 0,
    };
    if digits.is_empty() {
        return None;
    }
    // A zero is never negative, as from `Decimal::from_str`. (`Decimal::from_parts` would build
    // the same value with fewer instructions, but the compiler then assembles the result from
    // four 32-bit stores read back as one 16-byte load, and the stalled store forwarding made
    // whole runs a few percent slower.)
    let m = i64::try_from(mantissa).ok()?;
    Some(Decimal::new(if negative { -m } else { m }, scale))
}

/// `parse_number` for a plain number (see `plain_decimal`) in the field's unit, when it reads
/// cleanly; `None` leaves the cell, and any problem with it, to `parse_number`'s general path.
#[inline]
fn plain_number(b: &[u8], field_unit: &units::Unit, int: bool) -> Option<Value> {
    let n = plain_decimal(b)?;
    let scale = field_unit.scale;
    // `scale` is exactly 1 (mantissa 1, scale 0), as in `parse_number`, without building an i128.
    let v = if scale.serialize() == Decimal::ONE.serialize() {
        n
    } else {
        n.checked_mul(scale)?
    };
    if int && v.scale() != 0 && !v.fract().is_zero() {
        return None;
    }
    Some(Value::Num(v))
}

/// `1,234,567.5` groups digits by three; `,135` or `12,34` do not.
fn thousands_ok(num: &str) -> bool {
    let int = num
        .trim_start_matches(['-', '+'])
        .split('.')
        .next()
        .unwrap_or("");
    let mut groups = int.split(',');
    let first_ok = groups
        .next()
        .map(|g| (1..=3).contains(&g.len()))
        .unwrap_or(false);
    first_ok && groups.all(|g| g.len() == 3)
}

/// Why a cell that `parse_date_cell` cannot read is not a date: a month, an Excel serial, or
/// neither.
fn not_a_date(t: &str) -> Value {
    if is_month(t) {
        return bad(
            t,
            "只有年月，没有日：日期字段应写到日，如 2023-03-31（月份不按月末或月初猜测）",
            "a month, not a date: a date field needs the day too, such as 2023-03-31 (a month is \
             not taken for its first or last day)",
        );
    }
    if let Some(d) = super::excel::serial_date(t).filter(|_| t.len() == 5) {
        return bad(
            t,
            format!(
                "应为日期，不是数字；这像是 Excel 的日期序号（{t} 即 {d}），请在表格中把此列设为日期格式后再导出"
            ),
            format!(
                "expected a date, not a number; this looks like an Excel date serial ({t} is {d}): \
                 format the column as dates in the spreadsheet and export it again"
            ),
        );
    }
    bad(
        t,
        "应为日期，如 2017-05-23",
        "expected a date such as 2017-05-23",
    )
}

/// Whether a cell names a month and no day: `2023-03`, `2023/3`, `2023.03`, `2023年3月`,
/// `二〇二三年三月`.
fn is_month(t: &str) -> bool {
    let t = chinese_numerals(t).unwrap_or_else(|| t.to_string());
    let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let month = |y: &str, m: &str| {
        digits(y, 4..=4)
            && digits(m, 1..=2)
            && m.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
    };
    if let Some((y, m)) = t.split_once('年') {
        return m.strip_suffix('月').is_some_and(|m| month(y, m));
    }
    t.split_once(['-', '/', '.'])
        .is_some_and(|(y, m)| month(y, m))
}

/// A date written in Chinese numerals (`二〇一七年六月三十日`, `二零一七年十二月一日`) in digits
/// (`2017年6月30日`); `None` when `t` has no Chinese numeral or is not in that shape. The year is
/// read digit by digit, the month and day as numbers up to 三十一.
fn chinese_numerals(t: &str) -> Option<String> {
    const DIGITS: &str = "〇一二三四五六七八九";
    let digit = |c: char| match c {
        '零' | '○' | 'Ｏ' | 'O' => Some(0),
        _ => DIGITS.chars().position(|d| d == c).map(|p| p as u32),
    };
    if !t.chars().any(|c| digit(c).is_some() || c == '十') {
        return None;
    }
    let (y, rest) = t.split_once('年')?;
    let year: String = y
        .chars()
        .map(|c| digit(c).and_then(|d| char::from_digit(d, 10)))
        .collect::<Option<_>>()?;
    // 一 … 九, 十, 十一 … 十九, 二十 … 三十一.
    let number = |s: &str| -> Option<u32> {
        let cs: Vec<char> = s.chars().collect();
        match cs.as_slice() {
            ['十'] => Some(10),
            [d] => digit(*d).filter(|d| *d > 0),
            ['十', d] => digit(*d).filter(|d| *d > 0).map(|d| 10 + d),
            [t, '十'] => digit(*t).filter(|t| (2..=3).contains(t)).map(|t| t * 10),
            [t, '十', d] => {
                let (t, d) = (digit(*t)?, digit(*d)?);
                ((2..=3).contains(&t) && d > 0).then_some(t * 10 + d)
            }
            _ => None,
        }
    };
    let mut out = format!("{year}年");
    let (m, rest) = match rest.split_once('月') {
        Some(p) => p,
        None if rest.is_empty() => return Some(out),
        None => return None,
    };
    out.push_str(&format!("{}月", number(m)?));
    if rest.is_empty() {
        return Some(out);
    }
    let d = rest.strip_suffix(['日', '号'])?;
    out.push_str(&format!("{}日", number(d)?));
    Some(out)
}

/// A cell's text as a date, in the forms a submission writes dates in.
pub fn parse_date_cell(t: &str) -> Option<NaiveDate> {
    if let Some(d) = iso_date(t) {
        return Some(d);
    }
    // `二〇一七年六月三十日`, as a document dates itself, is `2017年6月30日`.
    if let Some(d) = chinese_numerals(t) {
        return parse_date(&d);
    }
    // `2017年6月30号`, as it is said, is `2017年6月30日`.
    if let Some(d) = t.strip_suffix('号').filter(|d| d.contains('月')) {
        return parse_date_cell(&format!("{d}日"));
    }
    // `2017/06/30 00:00:00`, as Excel and WPS export a date column to CSV: the date, when the
    // time is midnight (a time of day in a date field is refused, not dropped).
    if let Some((d, time)) = t.split_once(' ') {
        let time = time.trim();
        return matches!(time, "00:00" | "00:00:00" | "0:00" | "0:00:00")
            .then(|| parse_date_cell(d.trim()))
            .flatten();
    }
    parse_date(t)
        .or_else(|| NaiveDate::parse_from_str(t, "%Y/%m/%d").ok())
        .or_else(|| NaiveDate::parse_from_str(t, "%Y.%m.%d").ok())
        .or_else(|| {
            NaiveDate::parse_from_str(t, "%Y%m%d")
                .ok()
                .filter(|_| t.len() == 8)
        })
}

/// `YYYY-MM-DD`, the common spelling, read without a format string; `None` for anything else
/// (including an impossible date), which the general readers then see.
fn iso_date(t: &str) -> Option<NaiveDate> {
    let b = t.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b.get(from..to)?.iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(i32::try_from(num(0, 4)?).ok()?, num(5, 7)?, num(8, 10)?)
}

/// A cell's text as a date and time. A time with a UTC offset (`2023-05-08T09:00+08:00`,
/// `2023-05-08T01:00:00Z`) is read as the time it is in China Standard Time (UTC+8), in which
/// the documents' deadlines are set.
pub fn parse_datetime_cell(t: &str) -> Option<NaiveDateTime> {
    if let Some(d) = parse_datetime(t) {
        return Some(d);
    }
    if let Some(d) = with_offset(t) {
        return Some(d);
    }
    let (d, time) = t.split_once([' ', 'T'])?;
    let date = parse_date_cell(d)?;
    let time = NaiveTime::parse_from_str(time.trim(), "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(time.trim(), "%H:%M"))
        .ok()?;
    Some(date.and_time(time))
}

/// A date and time with a UTC offset (RFC 3339, seconds optional), as China Standard Time.
fn with_offset(t: &str) -> Option<NaiveDateTime> {
    use chrono::{DateTime, FixedOffset};
    // `Z` is the offset +00:00.
    let t = match t.strip_suffix(['Z', 'z']) {
        Some(utc) => format!("{utc}+00:00"),
        None => t.to_string(),
    };
    let parsed = [
        "%Y-%m-%dT%H:%M:%S%:z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M:%S%:z",
        "%Y-%m-%d %H:%M%:z",
    ]
    .iter()
    .find_map(|f| DateTime::<FixedOffset>::parse_from_str(&t, f).ok())
    .or_else(|| DateTime::parse_from_rfc3339(&t).ok())?;
    let cst = FixedOffset::east_opt(8 * 3600)?;
    Some(parsed.with_timezone(&cst).naive_local())
}

/// Reads a JSON value into a field's type.
pub fn from_json(v: &serde_json::Value, field: &Field, program: &Program) -> Value {
    use serde_json::Value as J;
    match v {
        J::Null => Value::Missing,
        J::String(s) => parse_cell(s, field),
        J::Number(n) => match &field.ty {
            // The number's text, exactly as written: serde_json keeps it (arbitrary_precision).
            Ty::Num(nt) => parse_number(n.as_str(), &nt.unit, nt.int),
            Ty::Text => Value::Text(n.as_str().into()),
            _ => parse_cell(n.as_str(), field),
        },
        J::Bool(b) => match field.ty {
            Ty::Bool => Value::Bool(*b),
            _ => bad(&b.to_string(), "类型不符", "wrong type"),
        },
        J::Array(items) => match &field.ty {
            Ty::List(elem) => {
                let Some(rt) = program.records.get(*elem) else {
                    return Value::Missing;
                };
                let mut rows = Vec::with_capacity(items.len());
                for it in items {
                    let mut vals = vec![Value::Missing; rt.fields.len()];
                    if let J::Object(m) = it {
                        for (k, v) in m {
                            if let Some(slot) = rt.slot(k) {
                                if let (Some(f), Some(dst)) =
                                    (rt.fields.get(slot), vals.get_mut(slot))
                                {
                                    *dst = from_json(v, f, program);
                                }
                            }
                        }
                    }
                    rows.push(vals);
                }
                Value::List(rows.into_boxed_slice())
            }
            _ => bad(&v.to_string(), "此字段不是列表", "this field is not a list"),
        },
        J::Object(_) => bad(
            &v.to_string(),
            "此处不能是对象",
            "an object is not allowed here",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::ir::NumTy;

    fn field(ty: Ty) -> Field {
        Field {
            name: "x".into(),
            label: None,
            also: Vec::new(),
            ty,
            optional: false,
            total: false,
            default: None,
            refers: None,
            span: Default::default(),
        }
    }

    #[test]
    fn wan_yuan_cells_convert_exactly() {
        let f = field(Ty::Num(NumTy {
            unit: units::lookup("元").unwrap(),
            int: false,
        }));
        assert_eq!(
            parse_cell("100万元", &f),
            Value::Num(Decimal::from(1_000_000))
        );
        assert_eq!(
            parse_cell("1,234.50", &f),
            Value::Num(Decimal::from_str("1234.50").unwrap())
        );
        assert!(matches!(parse_cell("25平方米", &f), Value::Invalid(_)));
        assert_eq!(parse_cell("  ", &f), Value::Missing);
        assert!(matches!(parse_cell(",135万元", &f), Value::Invalid(_)));
        assert!(matches!(parse_cell("12,34", &f), Value::Invalid(_)));
        // The European 1000.5 is refused, not read as 1.0005 with its comma dropped.
        assert!(matches!(parse_cell("1.000,5", &f), Value::Invalid(_)));
        assert!(matches!(parse_cell("1.234,56万元", &f), Value::Invalid(_)));
    }

    #[test]
    fn percent_cells_keep_their_printed_precision() {
        let f = field(Ty::Num(NumTy {
            unit: units::lookup("%").unwrap(),
            int: false,
        }));
        let Value::Num(n) = parse_cell("69.23%", &f) else {
            panic!()
        };
        assert_eq!(n, Decimal::from_str("0.6923").unwrap());
        assert_eq!(n.scale(), 4);
    }

    #[test]
    fn dates_in_common_spellings() {
        let f = field(Ty::Date);
        let d = NaiveDate::from_ymd_opt(2017, 5, 23).unwrap();
        for s in ["2017-05-23", "2017/5/23", "2017年5月23日", "2017.05.23"] {
            assert_eq!(parse_cell(s, &f), Value::Date(d), "{s}");
        }
        assert!(matches!(parse_cell("2017-02-30", &f), Value::Invalid(_)));
    }

    #[test]
    fn cells_as_offices_type_and_export_them() {
        let date = field(Ty::Date);
        let d = NaiveDate::from_ymd_opt(2017, 6, 30).unwrap();
        for s in [
            "2017/06/30 00:00:00",
            "2017-06-30 00:00",
            "2017年6月30号",
            "２０１７－０６－３０",
        ] {
            assert_eq!(parse_cell(s, &date), Value::Date(d), "{s}");
        }
        for s in [
            "二〇一七年六月三十日",
            "二零一七年六月三十日",
            "二〇一七年六月三十号",
        ] {
            assert_eq!(parse_cell(s, &date), Value::Date(d), "{s}");
        }
        assert_eq!(
            parse_cell("二〇二三年十二月一日", &date),
            Value::Date(NaiveDate::from_ymd_opt(2023, 12, 1).unwrap())
        );
        assert_eq!(
            parse_cell("二〇二三年十月十日", &date),
            Value::Date(NaiveDate::from_ymd_opt(2023, 10, 10).unwrap())
        );
        assert_eq!(
            parse_cell("二〇二三年三月二十一日", &date),
            Value::Date(NaiveDate::from_ymd_opt(2023, 3, 21).unwrap())
        );
        // An impossible day, or numerals out of shape, are refused.
        for s in [
            "二〇一七年二月三十日",
            "二〇一七年十三月一日",
            "二〇一七年六月四十日",
            "二〇一七年六月",
        ] {
            assert!(matches!(parse_cell(s, &date), Value::Invalid(_)), "{s}");
        }
        // A month is not a date, and says so.
        for s in ["2023-03", "2023/3", "2023年3月", "二〇二三年三月"] {
            match parse_cell(s, &date) {
                Value::Invalid(b) => {
                    assert!(b.reason_zh.contains("只有年月"), "{s}: {}", b.reason_zh)
                }
                v => panic!("{s}: {v:?}"),
            }
        }
        // A serial typed or exported as a number is refused, with the date it would be.
        match parse_cell("42916", &date) {
            Value::Invalid(b) => assert!(
                b.reason_zh.contains("42916 即 2017-06-30"),
                "{}",
                b.reason_zh
            ),
            v => panic!("{v:?}"),
        }
        // A time with an offset is the time in China Standard Time.
        let dt = field(Ty::DateTime);
        let nine = NaiveDate::from_ymd_opt(2023, 5, 8)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        for s in [
            "2023-05-08T09:00+08:00",
            "2023-05-08T09:00:00+08:00",
            "2023-05-08 09:00+08:00",
            "2023-05-08T01:00:00Z",
            "2023-05-08T03:00+02:00",
        ] {
            assert_eq!(parse_cell(s, &dt), Value::DateTime(nine), "{s}");
        }
        assert!(matches!(
            parse_cell("2023-05-08T09:00+25:00", &dt),
            Value::Invalid(_)
        ));
        // A time of day in a date field is not dropped.
        assert!(matches!(
            parse_cell("2017/06/30 08:00:00", &date),
            Value::Invalid(_)
        ));
        let yuan = field(Ty::Num(NumTy {
            unit: units::lookup("元").unwrap(),
            int: false,
        }));
        let n = |v: i64| Value::Num(Decimal::from(v));
        for (s, v) in [
            ("８００００", 80_000),
            ("8万", 80_000),
            ("1.5亿", 150_000_000),
            ("¥80,000", 80_000),
            ("￥8万元", 80_000),
            ("80 000", 80_000),
            ("1 234 567 元", 1_234_567),
        ] {
            assert_eq!(parse_cell(s, &yuan), n(v), "{s}");
        }
        for s in ["80 00", "8 0000", "¥80亩"] {
            assert!(matches!(parse_cell(s, &yuan), Value::Invalid(_)), "{s}");
        }
        let area = field(Ty::Num(NumTy {
            unit: units::lookup("m²").unwrap(),
            int: false,
        }));
        assert!(matches!(parse_cell("¥80", &area), Value::Invalid(_)));
        // A text field keeps what was typed.
        assert_eq!(
            parse_cell("８００００", &field(Ty::Text)),
            Value::Text("８００００".into())
        );
    }

    /// Values the same bit for bit: numbers with the same mantissa and scale (`==` on `Decimal`
    /// says 25.5 == 25.50).
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Num(x), Value::Num(y)) => x.serialize() == y.serialize(),
            _ => a == b,
        }
    }

    fn num_fields() -> Vec<(String, units::Unit, bool)> {
        let mut out: Vec<(String, units::Unit, bool)> = ["元", "万元", "%", "‰", "m²", "亿元"]
            .iter()
            .map(|u| (u.to_string(), units::lookup(u).unwrap(), false))
            .collect();
        out.push(("人 int".into(), units::lookup("人").unwrap(), true));
        out.push(("万元 int".into(), units::lookup("万元").unwrap(), true));
        out.push(("% int".into(), units::lookup("%").unwrap(), true));
        out.push(("none".into(), units::Unit::none(), false));
        // A unit whose scale is 1 written as 1.0: not "exactly 1", so it is multiplied.
        let mut one_point_zero = units::lookup("元").unwrap();
        one_point_zero.scale = Decimal::new(10, 1);
        out.push(("1.0".into(), one_point_zero, false));
        out
    }

    const SPELLINGS: &[&str] = &[
        "0",
        "-0",
        "00",
        "007",
        "-007.50",
        "0.000",
        "-0.000",
        "0.5",
        "-0.5",
        "25.50",
        "25.5",
        "-25.50",
        "1",
        "10",
        "100",
        "21.67",
        "52753.98",
        "999999999999999999",
        "-999999999999999999",
        "123456789012345678",
        "12345678901234567.8",
        "0.12345678901234567",
        "0.123456789012345678",
        "1234567890123456789",
        "-1234567890123456789",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551616",
        "1234567890123456789012345678",
        "12345678901234567890123456789",
        "79228162514264337593543950335",
        "79228162514264337593543950336",
        "0.0000000000000000000000000001",
        "0.00000000000000000000000000001",
        "1.0000000000000000000000000000001",
        "1e5",
        "1E5",
        "1.5e-3",
        "+5",
        "+0.5",
        ".5",
        "-.5",
        "5.",
        "-5.",
        "-",
        "+",
        ".",
        "",
        "--1",
        "1-",
        "1.2.3",
        "1..2",
        "1,234",
        "1,234.50",
        "-1,234,567.5",
        ",135",
        "12,34",
        "1_000",
        "0x10",
        "５",
        "٣",
        " 5",
        "5 ",
        "\t5",
        "100万元",
        "100 万元",
        "25平方米",
        "25 m²",
        "50%",
        "12.5‰",
        "3人",
        "2.5人",
        "1.5",
        "1.0",
        "2.50",
        "-3.00",
        "abc",
        "很多",
    ];

    #[test]
    fn plain_numbers_read_as_from_str_reads_them() {
        let mut plain = 0;
        for s in SPELLINGS {
            let fast = plain_decimal(s.as_bytes());
            if let Some(d) = fast {
                plain += 1;
                let slow = Decimal::from_str(s).unwrap();
                assert_eq!(d.serialize(), slow.serialize(), "{s}");
                assert_eq!(
                    (d.mantissa(), d.scale()),
                    (slow.mantissa(), slow.scale()),
                    "{s}"
                );
            }
        }
        assert!(plain >= 20, "{plain}");
        for s in [
            "25.50",
            "-0",
            "0.000",
            "007",
            "999999999999999999",
            "0.12345678901234567",
        ] {
            assert!(plain_decimal(s.as_bytes()).is_some(), "{s}");
        }
        assert_eq!(plain_decimal(b"25.50").unwrap().scale(), 2);
        assert!(!plain_decimal(b"-0").unwrap().is_sign_negative());
        assert!(!plain_decimal(b"-0.000").unwrap().is_sign_negative());
        // Other spellings are left to the general reader.
        for s in [
            "1234567890123456789",
            "0.123456789012345678",
            "1e5",
            "+5",
            ".5",
            "5.",
            "-",
            "",
            "1,234",
            "1_000",
            " 5",
            "5 ",
            "100万元",
            "50%",
            "５",
        ] {
            assert!(plain_decimal(s.as_bytes()).is_none(), "{s}");
        }
    }

    #[test]
    fn the_fast_path_reads_numbers_as_the_general_path_does() {
        for (name, unit, int) in num_fields() {
            for s in SPELLINGS {
                let fast = parse_number(s, &unit, int);
                let general = parse_number_general(s, &unit, int);
                assert!(
                    same(&fast, &general),
                    "{s} as {name}: {fast:?} vs {general:?}"
                );
                let f = field(Ty::Num(NumTy {
                    unit: unit.clone(),
                    int,
                }));
                // A cell is trimmed, and its full-width characters made ASCII, first.
                let general_cell = match s.trim() {
                    "" => Value::Missing,
                    t => {
                        let half: String = t.chars().map(half_width).collect();
                        parse_number_general(half.trim(), &unit, int)
                    }
                };
                let cell = parse_cell(s, &f);
                assert!(same(&cell, &general_cell), "{s:?} as {name}: {cell:?}");
            }
        }
    }

    #[test]
    fn the_fast_path_agrees_on_generated_spellings() {
        // A fixed-seed LCG over the characters that matter to numbers.
        let alphabet: Vec<char> = "0123456789000.-+,e 5万元%".chars().collect();
        let mut next = crate::testkit::lcg(0x2545_F491_4F6C_DD1D);
        let fields = num_fields();
        for _ in 0..20_000 {
            let len = next(24);
            let s: String = (0..len)
                .map(|i| {
                    // Mostly digits, so that many spellings are plain numbers.
                    if i > 0 && next(4) > 0 {
                        alphabet[next(10)]
                    } else {
                        alphabet[next(alphabet.len())]
                    }
                })
                .collect();
            let (name, unit, int) = &fields[next(fields.len())];
            let fast = parse_number(&s, unit, *int);
            let general = parse_number_general(&s, unit, *int);
            assert!(
                same(&fast, &general),
                "{s:?} as {name}: {fast:?} vs {general:?}"
            );
            let f = field(Ty::Num(NumTy {
                unit: unit.clone(),
                int: *int,
            }));
            if let Some(int) = base_unit(&f) {
                let base = parse_base_number_cell(&s, int, &f);
                assert!(
                    same(&base, &parse_cell(&s, &f)),
                    "{s:?} as {name}: {base:?}"
                );
            }
        }
    }

    #[test]
    fn base_unit_cells_read_as_any_cell_reads() {
        let mut base_fields = 0;
        for (name, unit, int) in num_fields() {
            let f = field(Ty::Num(NumTy { unit, int }));
            let Some(int) = base_unit(&f) else { continue };
            base_fields += 1;
            for s in SPELLINGS
                .iter()
                .chain(&["", " ", " 12", "12 ", "1.50", "7.0", "-0"])
            {
                let base = parse_base_number_cell(s, int, &f);
                let cell = parse_cell(s, &f);
                assert!(same(&base, &cell), "{s:?} as {name}: {base:?} vs {cell:?}");
            }
        }
        // 元, m², 人 (an integer field) and a unit-less number; not 万元, %, nor a scale of 1.0.
        assert_eq!(base_fields, 4);
        assert_eq!(base_unit(&field(Ty::Text)), None);
    }

    #[test]
    fn cells_are_trimmed_as_str_trim_trims_them() {
        let f = field(Ty::Text);
        for s in [
            "a",
            " a",
            "a ",
            "\ta\n",
            "\u{3000}甲\u{3000}",
            "\u{a0}x",
            "x\u{85}",
            "\u{b}x\u{c}",
            "\u{1f}x",
            "甲",
            "a b",
            "~",
            "!",
        ] {
            assert_eq!(trim_cell(s), s.trim(), "{s:?}");
            assert_eq!(parse_cell(s, &f), Value::Text(s.trim().into()), "{s:?}");
        }
    }
}
