//! Reading one cell or JSON value into a field's type, converting units exactly.

use crate::check::ir::{Field, Program, Ty};
use crate::check::units;
use crate::syntax::{parse_date, parse_datetime};
use crate::value::Value;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;
use std::str::FromStr;

fn bad(raw: &str, zh: impl Into<String>, en: impl Into<String>) -> Value {
    Value::invalid(raw, zh, en)
}

/// Reads a text cell (CSV, Excel, a JSON string) as a value of the field's type.
pub fn parse_cell(raw: &str, field: &Field) -> Value {
    let t = raw.trim();
    if t.is_empty() {
        return Value::Missing;
    }
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
            None => bad(
                t,
                "应为日期，如 2017-05-23",
                "expected a date such as 2017-05-23",
            ),
        },
        Ty::DateTime => match parse_datetime_cell(t) {
            Some(d) => Value::DateTime(d),
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

/// Reads `100万元`, `1,234.5`, `25 平方米`, `50%` into base units of the field's dimension.
pub fn parse_number(t: &str, field_unit: &units::Unit, int: bool) -> Value {
    let (num, unit) = units::split_number_unit(t);
    if num.contains(',') && !thousands_ok(num) {
        return bad(t, "千位分隔符位置不对", "misplaced thousands separator");
    }
    // Thousands separators are dropped; most cells have none and need no copy.
    let cleaned: std::borrow::Cow<str> = if num.contains(',') {
        num.chars().filter(|c| *c != ',').collect::<String>().into()
    } else {
        num.into()
    };
    let Ok(n) = Decimal::from_str(&cleaned) else {
        return bad(t, "应为数字", "expected a number");
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

pub fn parse_date_cell(t: &str) -> Option<NaiveDate> {
    if let Some(d) = iso_date(t) {
        return Some(d);
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

pub fn parse_datetime_cell(t: &str) -> Option<NaiveDateTime> {
    if let Some(d) = parse_datetime(t) {
        return Some(d);
    }
    let (d, time) = t.split_once([' ', 'T'])?;
    let date = parse_date_cell(d)?;
    let time = NaiveTime::parse_from_str(time.trim(), "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(time.trim(), "%H:%M"))
        .ok()?;
    Some(date.and_time(time))
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
            ty,
            optional: false,
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
}
