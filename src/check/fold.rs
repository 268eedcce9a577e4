//! Constant folding: the value of a `const` and of a literal written in an example, computed by
//! the checker, without the interpreter (the arrows of `ARCHITECTURE.md`: check does not call
//! eval).
//!
//! A constant is a literal (a number with its unit, a date, a duration, text, a flag), a negation,
//! arithmetic on them, or a date moved by a period (`2018-02-16 + 7 working days`, counted as
//! `eval` counts it: the same calendar functions, the same roll off days off, the same month
//! rule). Anything else (a field, an aggregate, a call, a comparison) is not a constant.
//! `tests/semantics.rs` and the library's examples check the folded values against the rules that
//! use them.

use super::ir::{Counting, Expr, ExprKind, MonthRule};
use crate::calendar::{add_months, add_years};
use crate::value::Value;
use crate::vocab::{ArithOp, DurationUnit};
use chrono::{Datelike, Duration};
use rust_decimal::prelude::ToPrimitive;

/// Why an expression has no constant value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotConst {
    /// It names a field, a `let` or an aggregate: its value depends on a record.
    Record,
    /// A division by zero.
    DivisionByZero,
    /// A result too large for an exact decimal, or a date outside the calendar's range.
    Overflow,
    /// A form the checker does not compute (a call, a comparison, a condition).
    Form,
}

impl NotConst {
    /// The reason, in Chinese and English, for E0208.
    pub(crate) fn words(self) -> (&'static str, &'static str) {
        match self {
            NotConst::Record => (
                "常量的值必须能直接算出，不能依赖记录",
                "a constant must be computable without any record",
            ),
            NotConst::DivisionByZero => ("常量的值中有除以零", "a constant divides by zero"),
            NotConst::Overflow => (
                "常量的值超出了可精确表示的范围",
                "a constant's value is out of the exact range",
            ),
            NotConst::Form => (
                "常量只能是字面值、算术运算或日期加减期间",
                "a constant may only be a literal, arithmetic, or a date plus or minus a period",
            ),
        }
    }
}

/// The value of a constant expression under the period rules of a policy.
pub(crate) fn fold(x: &Expr, period: Counting<'_>) -> Result<Value, NotConst> {
    match &x.kind {
        ExprKind::Const(Value::Missing) => Err(NotConst::Form),
        ExprKind::Const(v) => Ok(v.clone()),
        ExprKind::Field(_)
        | ExprKind::Elem(_)
        | ExprKind::Local(_)
        | ExprKind::GroupKey(_)
        | ExprKind::Deref { .. }
        | ExprKind::GroupAgg(_)
        | ExprKind::ListAgg { .. }
        | ExprKind::Every { .. }
        | ExprKind::By(..) => Err(NotConst::Record),
        ExprKind::Neg(i) => match fold(i, period)? {
            Value::Num(n) => Ok(Value::Num(-n)),
            Value::Duration(n, u) => Ok(Value::Duration(-n, u)),
            _ => Err(NotConst::Form),
        },
        ExprKind::Arith(op, l, r) => arith(*op, fold(l, period)?, fold(r, period)?),
        // A constant (or an example's value) written as `d + p` is folded as a deadline, as before
        // rules said where a period's end is one: it is moved off a day off by the period rules.
        ExprKind::DateAdd {
            date,
            duration,
            subtract,
            ..
        } => date_add(
            fold(date, period)?,
            fold(duration, period)?,
            *subtract,
            period,
        ),
        ExprKind::DateDiff(a, b) => match (fold(a, period)?, fold(b, period)?) {
            (Value::Date(a), Value::Date(b)) => Ok(Value::Duration(
                (a - b).num_days().into(),
                DurationUnit::Days,
            )),
            (Value::DateTime(a), Value::DateTime(b)) => Ok(Value::Duration(
                rust_decimal::Decimal::from((a - b).num_minutes())
                    / rust_decimal::Decimal::from(60),
                DurationUnit::Hours,
            )),
            _ => Err(NotConst::Form),
        },
        ExprKind::Cmp { .. }
        | ExprKind::And(_)
        | ExprKind::Or(_)
        | ExprKind::Not(_)
        | ExprKind::If(..)
        | ExprKind::In(..)
        | ExprKind::Call(..) => Err(NotConst::Form),
    }
}

fn arith(op: ArithOp, a: Value, b: Value) -> Result<Value, NotConst> {
    let over = NotConst::Overflow;
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => match op {
            ArithOp::Add => x.checked_add(y),
            ArithOp::Sub => x.checked_sub(y),
            ArithOp::Mul => x.checked_mul(y),
            ArithOp::Div if y.is_zero() => return Err(NotConst::DivisionByZero),
            ArithOp::Div => x.checked_div(y),
        }
        .map(Value::Num)
        .ok_or(over),
        (Value::Duration(x, u), Value::Duration(y, v)) if op == ArithOp::Div => {
            match crate::value::duration_ratio(x, u, y, v) {
                Ok(n) => Ok(Value::Num(n)),
                Err(crate::value::DivisionError::ByZero) => Err(NotConst::DivisionByZero),
                Err(crate::value::DivisionError::Overflow) => Err(over),
            }
        }
        (Value::Duration(x, u), Value::Duration(y, v)) => {
            crate::value::duration_sum(x, u, y, v, op == ArithOp::Sub).ok_or(over)
        }
        (Value::Duration(x, u), Value::Num(y)) => match op {
            ArithOp::Mul => x.checked_mul(y),
            _ if y.is_zero() => return Err(NotConst::DivisionByZero),
            _ => x.checked_div(y),
        }
        .map(|n| Value::Duration(n, u))
        .ok_or(over),
        _ => Err(NotConst::Form),
    }
}

fn date_add(d: Value, dur: Value, subtract: bool, period: Counting<'_>) -> Result<Value, NotConst> {
    let Value::Duration(n, unit) = dur else {
        return Err(NotConst::Form);
    };
    let n = n.to_i64().ok_or(NotConst::Overflow)?;
    let signed = if subtract { -n } else { n };
    let months = || i32::try_from(signed).map_err(|_| NotConst::Overflow);
    let cal = &period.calendar.calendar;
    match d {
        Value::Date(date) => {
            let raw = match unit {
                DurationUnit::Days => date
                    .checked_add_signed(Duration::days(signed))
                    .ok_or(NotConst::Overflow)?,
                DurationUnit::Weeks => date
                    .checked_add_signed(Duration::days(
                        signed.checked_mul(7).ok_or(NotConst::Overflow)?,
                    ))
                    .ok_or(NotConst::Overflow)?,
                DurationUnit::Months => month_rule(date, add_months(date, months()?), period),
                DurationUnit::Years => month_rule(date, add_years(date, months()?), period),
                DurationUnit::WorkingDays => {
                    let k = u32::try_from(signed).map_err(|_| NotConst::Overflow)?;
                    return cal
                        .add_working_days(date, k)
                        .map(Value::Date)
                        .map_err(|_| NotConst::Overflow);
                }
                DurationUnit::Hours => return Err(NotConst::Form),
            };
            if period.rules.extend_on_day_off && !subtract {
                cal.roll_forward(raw)
                    .map(Value::Date)
                    .map_err(|_| NotConst::Overflow)
            } else {
                Ok(Value::Date(raw))
            }
        }
        Value::DateTime(dt) => match unit {
            DurationUnit::Hours => dt.checked_add_signed(Duration::hours(signed)),
            DurationUnit::Days => dt.checked_add_signed(Duration::days(signed)),
            DurationUnit::Weeks => signed
                .checked_mul(7)
                .and_then(|d| dt.checked_add_signed(Duration::days(d))),
            DurationUnit::Months => Some(add_months(dt.date(), months()?).and_time(dt.time())),
            DurationUnit::Years => Some(add_years(dt.date(), months()?).and_time(dt.time())),
            DurationUnit::WorkingDays => return Err(NotConst::Form),
        }
        .map(Value::DateTime)
        .ok_or(NotConst::Overflow),
        _ => Err(NotConst::Form),
    }
}

/// 民法典 第二百零二条 and the policy's `month rule`: see `eval::date_add`.
fn month_rule(
    start: chrono::NaiveDate,
    civil: chrono::NaiveDate,
    period: Counting<'_>,
) -> chrono::NaiveDate {
    if period.rules.month_rule == MonthRule::NextDay && civil.day() != start.day() {
        civil.succ_opt().unwrap_or(civil)
    } else {
        civil
    }
}
