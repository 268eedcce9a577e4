//! Checked program × records → outcomes. Exact decimal arithmetic; explanations are built only for findings.

pub mod examples;
mod explain;
mod fast;
mod group;

pub use explain::{format_value, Explanation};
pub use group::{key_shown, Dangling, GroupEarly, GroupFeed, GroupRun, GroupVerdict};

use crate::calendar::{add_months, add_years, month_end, year_end, CalendarError};
use crate::check::ir::*;
use crate::value::{Record, Value};
use crate::vocab::{ArithOp, CmpOp, DurationUnit, Outcome};
use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

/// Why an expression has no definite value.
#[derive(Debug, Clone, PartialEq)]
pub enum Halt {
    /// A value the rule needs is missing or unreadable, or cannot be computed.
    Unknown(Unknown),
    /// A deadline lies after the as-of date and the act has not happened yet.
    Pending(Pending),
    /// A missing optional date: the act has not happened yet. Comparisons with a date turn it into pending or a verdict.
    NotYet { field: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    /// The field that is missing or unreadable, when there is one.
    pub field: Option<String>,
    pub reason: UnknownReason,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UnknownReason {
    Missing,
    Invalid {
        raw: String,
        why_zh: String,
        why_en: String,
    },
    DivisionByZero,
    Overflow,
    NotCovered {
        date: NaiveDate,
        calendar: String,
        first: i32,
        last: i32,
    },
    NotYetHappened,
    EmptySet,
    /// A `ref` field names a record (of the type labelled `target`) that the submission does
    /// not have.
    NoSuchRecord {
        target: String,
        key: String,
    },
    /// `date(y, m, d)` with no such day (2017-02-30), or a part that is not a whole number.
    NoSuchDate,
    /// A joined aggregate over a record type (labelled `of`) of which the submission has no
    /// record at all.
    NoRecords {
        of: String,
    },
    /// A `ref` field names a key that more than one record of the submission has.
    TwoRecords {
        target: String,
        key: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub field: String,
    pub deadline: String,
    pub kind: PendingKind,
}

/// What is waited for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PendingKind {
    /// An act not recorded yet, whose deadline has not passed.
    Act,
    /// Periods of an `every` (this many) not over yet, with too few records so far; `deadline`
    /// is the last day of the last of them.
    Periods(usize),
    /// A target (`require … by D`) not met yet, whose date `deadline` has not come.
    Target,
}

type R = Result<Value, Halt>;

fn unknown(reason: UnknownReason) -> Halt {
    Halt::Unknown(Unknown {
        field: None,
        reason,
    })
}

fn cal_err(e: CalendarError) -> Halt {
    match e {
        CalendarError::NotCovered {
            date,
            calendar,
            first_year,
            last_year,
        } => unknown(UnknownReason::NotCovered {
            date,
            calendar,
            first: first_year,
            last: last_year,
        }),
    }
}

/// The records rules read through `ref` fields (`site.households`), by type and key: read from
/// the whole submission before its records are judged. Only the types some rule reads through a
/// `ref` are kept, so memory grows with those records only.
#[derive(Debug, Default)]
pub struct Lookups {
    /// Per record type (empty for a type no rule reads through a `ref`): key → record, or
    /// `None` when two records have the key.
    by_type: Vec<HashMap<String, Option<Arc<Record>>>>,
    /// Per record type: whether some rule reads it through a `ref`.
    wanted: Vec<bool>,
}

/// No records: what an environment reads through a `ref` outside a run that built lookups.
static NO_LOOKUPS: Lookups = Lookups {
    by_type: Vec::new(),
    wanted: Vec::new(),
};

impl Lookups {
    /// Empty lookups for the types `program`'s rules read through a `ref`.
    pub fn for_program(program: &Program) -> Lookups {
        let mut wanted = vec![false; program.records.len()];
        for r in &program.rules {
            r.walk(&mut |x| {
                if let ExprKind::Deref { target, .. } = x.kind {
                    if let Some(w) = wanted.get_mut(target) {
                        *w = true;
                    }
                }
            });
        }
        Lookups {
            by_type: vec![HashMap::new(); program.records.len()],
            wanted,
        }
    }

    /// Whether no rule reads through a `ref`: nothing to read ahead.
    pub fn is_empty(&self) -> bool {
        !self.wanted.iter().any(|w| *w)
    }

    /// Whether records of type `ty` are kept.
    pub fn wants(&self, ty: usize) -> bool {
        self.wanted.get(ty).copied().unwrap_or(false)
    }

    /// Keeps `rec` when its type is read through a `ref` and its key is present.
    pub fn add(&mut self, program: &Program, rec: &Record) {
        if !self.wants(rec.ty) {
            return;
        }
        let Some(key) = program
            .records
            .get(rec.ty)
            .and_then(|rt| rt.key)
            .and_then(|k| rec.values.get(k))
            .filter(|v| !matches!(v, Value::Missing | Value::Invalid(_)))
        else {
            return;
        };
        let Some(map) = self.by_type.get_mut(rec.ty) else {
            return;
        };
        map.entry(group::key_of(key))
            .and_modify(|e| *e = None)
            .or_insert_with(|| Some(Arc::new(rec.clone())));
    }

    /// The record of type `ty` whose key is `key`.
    fn get(&self, ty: usize, key: &Value) -> Result<&Record, bool> {
        let found = self
            .by_type
            .get(ty)
            .and_then(|m| m.get(&*group::key_text(key)));
        match found {
            Some(Some(r)) => Ok(r),
            Some(None) => Err(true),
            None => Err(false),
        }
    }
}

/// What an expression is evaluated against.
pub struct Env<'a> {
    pub program: &'a Program,
    /// The records read through `ref` fields.
    pub lookups: &'a Lookups,
    pub rule: &'a Rule,
    pub record: &'a [Value],
    pub elem: Option<(&'a [Value], usize)>,
    pub locals: &'a [R],
    pub aggs: &'a [R],
    pub key: Option<&'a Value>,
    pub as_of: NaiveDate,
}

impl<'a> Env<'a> {
    /// How the rule counts its periods, on its calendar.
    pub(crate) fn counting(&self) -> Counting<'a> {
        self.program.counting(self.rule)
    }

    /// The environment of a rule judging one record's values: no list element, lets, aggregates or group key yet.
    pub(crate) fn record(
        program: &'a Program,
        rule: &'a Rule,
        record: &'a [Value],
        as_of: NaiveDate,
    ) -> Env<'a> {
        Env {
            program,
            lookups: &NO_LOOKUPS,
            rule,
            record,
            elem: None,
            locals: &[],
            aggs: &[],
            key: None,
            as_of,
        }
    }

    /// This environment, reading through `ref` fields in `lookups`.
    pub(crate) fn with_lookups(self, lookups: &'a Lookups) -> Env<'a> {
        Env { lookups, ..self }
    }

    fn with_elem(&self, elem: &'a [Value], ty: usize) -> Env<'a> {
        Env {
            elem: Some((elem, ty)),
            ..*self
        }
    }

    fn field_value(&self, values: &[Value], ty: usize, slot: usize) -> R {
        let field = self.program.records.get(ty).and_then(|r| r.field(slot));
        let name = || {
            field
                .map(|f| f.label.clone().unwrap_or_else(|| f.name.clone()))
                .unwrap_or_default()
        };
        match values.get(slot) {
            None | Some(Value::Missing) => {
                if let Some(f) = field {
                    if f.optional && matches!(f.ty, Ty::Date | Ty::DateTime) {
                        return Err(Halt::NotYet { field: name() });
                    }
                }
                Err(Halt::Unknown(Unknown {
                    field: Some(name()),
                    reason: UnknownReason::Missing,
                }))
            }
            Some(Value::Invalid(iv)) => Err(Halt::Unknown(Unknown {
                field: Some(name()),
                reason: UnknownReason::Invalid {
                    raw: iv.raw.clone(),
                    why_zh: iv.reason_zh.clone(),
                    why_en: iv.reason_en.clone(),
                },
            })),
            Some(v) => Ok(v.clone()),
        }
    }
}

/// Evaluates an expression.
pub fn eval(x: &Expr, env: &Env) -> R {
    match &x.kind {
        ExprKind::Const(v) => Ok(v.clone()),
        ExprKind::Field(slot) => env.field_value(env.record, env.rule.record, *slot),
        ExprKind::Elem(slot) => match env.elem {
            Some((vals, ty)) => env.field_value(vals, ty, *slot),
            None => Err(unknown(UnknownReason::Missing)),
        },
        ExprKind::Local(i) => env
            .locals
            .get(*i)
            .cloned()
            .unwrap_or(Err(unknown(UnknownReason::Missing))),
        ExprKind::GroupKey(i) => match env
            .key
            .map(|k| group::key_part(k, *i, group::key_count(env.rule)))
        {
            Some(Value::Missing) | None => Err(unknown(UnknownReason::Missing)),
            Some(v) => Ok(v.clone()),
        },
        ExprKind::Deref { via, target, slot } => {
            let key = eval(via, env).map_err(not_yet_unknown)?;
            let named = || match &via.kind {
                ExprKind::Field(s) => env.program.records.get(env.rule.record)?.field(*s),
                ExprKind::Elem(s) => env.program.records.get(env.elem?.1)?.field(*s),
                ExprKind::Deref { target, slot, .. } => {
                    env.program.records.get(*target)?.field(*slot)
                }
                _ => None,
            };
            match env.lookups.get(*target, &key) {
                Ok(rec) => env.field_value(&rec.values, *target, *slot),
                Err(two) => {
                    let target_name = env
                        .program
                        .records
                        .get(*target)
                        .map(|r| r.display_name().to_string())
                        .unwrap_or_default();
                    let (target, key) = (target_name, group::key_text(&key).into_owned());
                    Err(Halt::Unknown(Unknown {
                        field: named().map(|f| f.label.clone().unwrap_or_else(|| f.name.clone())),
                        reason: if two {
                            UnknownReason::TwoRecords { target, key }
                        } else {
                            UnknownReason::NoSuchRecord { target, key }
                        },
                    }))
                }
            }
        }
        ExprKind::GroupAgg(i) => env
            .aggs
            .get(*i)
            .cloned()
            .unwrap_or(Err(unknown(UnknownReason::Missing))),
        ExprKind::Neg(i) => match eval(i, env)? {
            Value::Num(n) => Ok(Value::Num(-n)),
            Value::Duration(n, u) => Ok(Value::Duration(-n, u)),
            _ => Err(unknown(UnknownReason::Missing)),
        },
        ExprKind::Arith(op, l, r) => {
            let a = eval(l, env).map_err(not_yet_unknown)?;
            let b = eval(r, env).map_err(not_yet_unknown)?;
            arith(*op, a, b)
        }
        ExprKind::Cmp { op, lhs, rhs, .. } => {
            // The common cases, enum variants or numbers on both sides, without building results
            // to compare.
            if matches!(op, CmpOp::Eq | CmpOp::Ne) {
                if let (Some(a), Some(b)) = (variant_of(lhs, env), variant_of(rhs, env)) {
                    return Ok(Value::Bool((a == b) == (*op == CmpOp::Eq)));
                }
            }
            if *op != CmpOp::Approx {
                if let (Some(a), Some(b)) = (num_of(lhs, env), num_of(rhs, env)) {
                    let o = a.cmp(&b);
                    return Ok(Value::Bool(match op {
                        CmpOp::Eq => a == b,
                        CmpOp::Ne => a != b,
                        CmpOp::Lt => o == Ordering::Less,
                        CmpOp::Le => o != Ordering::Greater,
                        CmpOp::Gt => o == Ordering::Greater,
                        _ => o != Ordering::Less,
                    }));
                }
            }
            let scale = match &lhs.ty {
                Ty::Num(n) => n.unit.scale,
                _ => Decimal::ONE,
            };
            cmp_values(*op, eval(lhs, env), eval(rhs, env), env.as_of, scale)
        }
        ExprKind::And(xs) => logic(xs, env, false),
        ExprKind::Or(xs) => logic(xs, env, true),
        ExprKind::Not(i) => match eval(i, env).map_err(not_yet_unknown)? {
            Value::Bool(b) => Ok(Value::Bool(!b)),
            _ => Err(unknown(UnknownReason::Missing)),
        },
        // A target not met is a failure once its date has come (the data are complete to the end
        // of `--as-of`), pending before.
        ExprKind::By(c, d) => match eval(c, env).map_err(not_yet_unknown)? {
            Value::Bool(true) => Ok(Value::Bool(true)),
            _ => match eval(d, env).map_err(not_yet_unknown)? {
                Value::Date(d) if env.as_of < d => Err(Halt::Pending(Pending {
                    field: String::new(),
                    deadline: d.to_string(),
                    kind: PendingKind::Target,
                })),
                Value::Date(_) => Ok(Value::Bool(false)),
                _ => Err(unknown(UnknownReason::Missing)),
            },
        },
        ExprKind::If(c, t, f) => match eval(c, env).map_err(not_yet_unknown)? {
            Value::Bool(true) => eval(t, env),
            _ => eval(f, env),
        },
        ExprKind::In(l, opts) => {
            let v = eval(l, env).map_err(not_yet_unknown)?;
            let mut halt = None;
            for o in opts {
                match eval(o, env) {
                    Ok(ov) if values_equal(&v, &ov) => return Ok(Value::Bool(true)),
                    Ok(_) => {}
                    Err(h) => halt = Some(h),
                }
            }
            match halt {
                Some(h) => Err(h),
                None => Ok(Value::Bool(false)),
            }
        }
        ExprKind::DateAdd {
            date,
            duration,
            subtract,
            deadline,
        } => {
            let d = eval(date, env).map_err(not_yet_unknown)?;
            let dur = eval(duration, env)?;
            date_add(&d, &dur, *subtract, env.counting(), *deadline).map(|(v, _)| v)
        }
        ExprKind::DateDiff(a, b) => {
            let a = eval(a, env).map_err(not_yet_unknown)?;
            let b = eval(b, env).map_err(not_yet_unknown)?;
            match (a, b) {
                (Value::Date(a), Value::Date(b)) => Ok(Value::Duration(
                    Decimal::from((a - b).num_days()),
                    DurationUnit::Days,
                )),
                (Value::DateTime(a), Value::DateTime(b)) => Ok(Value::Duration(
                    Decimal::from((a - b).num_minutes()) / Decimal::from(60),
                    DurationUnit::Hours,
                )),
                _ => Err(unknown(UnknownReason::Missing)),
            }
        }
        ExprKind::Call(b, args) => call(*b, args, env),
        ExprKind::Every { .. } => coverage(x, env)?.value(),
        ExprKind::ListAgg {
            kind,
            list,
            expr,
            filter,
        } => {
            let Ty::List(elem_ty) = list.ty else {
                return Err(unknown(UnknownReason::Missing));
            };
            let items = match eval(list, env)? {
                Value::List(items) => items,
                _ => return Err(unknown(UnknownReason::Missing)),
            };
            let mut acc = group::Acc::new(*kind);
            for item in &items {
                let inner = env.with_elem(item, elem_ty);
                acc.feed(expr.as_deref(), filter.as_deref(), &inner);
            }
            acc.finish()
        }
    }
}

/// The number an expression of constants, present numeric fields and arithmetic on them
/// evaluates to, as `eval` computes it; `None` for anything else, or where `eval` halts
/// (overflow, division by zero), so that `eval` decides.
fn num_of(x: &Expr, env: &Env) -> Option<Decimal> {
    match &x.kind {
        ExprKind::Const(Value::Num(n)) => Some(*n),
        ExprKind::Field(slot) => match env.record.get(*slot) {
            Some(Value::Num(n)) => Some(*n),
            _ => None,
        },
        ExprKind::Arith(op, l, r) => checked_arith(*op, num_of(l, env)?, num_of(r, env)?),
        _ => None,
    }
}

/// `a op b`, or `None` on overflow or division by zero (where `eval` halts).
pub(crate) fn checked_arith(op: ArithOp, a: Decimal, b: Decimal) -> Option<Decimal> {
    match op {
        ArithOp::Add => a.checked_add(b),
        ArithOp::Sub => a.checked_sub(b),
        ArithOp::Mul => a.checked_mul(b),
        ArithOp::Div if b.is_zero() => None,
        ArithOp::Div => a.checked_div(b),
    }
}

/// The variant of an enum constant or of a present enum field, as `eval` reads it.
fn variant_of(x: &Expr, env: &Env) -> Option<u16> {
    match &x.kind {
        ExprKind::Const(Value::Enum(i)) => Some(*i),
        ExprKind::Field(slot) => match env.record.get(*slot) {
            Some(Value::Enum(i)) => Some(*i),
            _ => None,
        },
        _ => None,
    }
}

fn not_yet_unknown(h: Halt) -> Halt {
    match h {
        Halt::NotYet { field } => Halt::Unknown(Unknown {
            field: Some(field),
            reason: UnknownReason::NotYetHappened,
        }),
        other => other,
    }
}

/// Three-valued `and` (`is_or` false) and `or`: a definite false (true) decides, then unknown, then pending.
fn logic(xs: &[Expr], env: &Env, is_or: bool) -> R {
    let mut unknown_h = None;
    let mut pending_h = None;
    for x in xs {
        match eval(x, env).map_err(not_yet_unknown) {
            Ok(Value::Bool(b)) if b == is_or => return Ok(Value::Bool(is_or)),
            Ok(_) => {}
            Err(h @ Halt::Pending(_)) => pending_h = pending_h.or(Some(h)),
            Err(h) => unknown_h = unknown_h.or(Some(h)),
        }
    }
    if let Some(h) = unknown_h {
        return Err(h);
    }
    if let Some(h) = pending_h {
        return Err(h);
    }
    Ok(Value::Bool(!is_or))
}

fn arith(op: ArithOp, a: Value, b: Value) -> R {
    let overflow = || unknown(UnknownReason::Overflow);
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => {
            let r = match op {
                ArithOp::Add => x.checked_add(y),
                ArithOp::Sub => x.checked_sub(y),
                ArithOp::Mul => x.checked_mul(y),
                ArithOp::Div => {
                    if y.is_zero() {
                        return Err(unknown(UnknownReason::DivisionByZero));
                    }
                    x.checked_div(y)
                }
            };
            r.map(Value::Num).ok_or_else(overflow)
        }
        (Value::Duration(x, u), Value::Duration(y, v)) if op == ArithOp::Div => {
            match crate::value::duration_ratio(x, u, y, v) {
                Ok(n) => Ok(Value::Num(n)),
                Err(crate::value::DivisionError::ByZero) => {
                    Err(unknown(UnknownReason::DivisionByZero))
                }
                Err(crate::value::DivisionError::Overflow) => Err(overflow()),
            }
        }
        (Value::Duration(x, u), Value::Duration(y, v)) => {
            crate::value::duration_sum(x, u, y, v, op == ArithOp::Sub).ok_or_else(overflow)
        }
        (Value::Duration(x, u), Value::Num(y)) => {
            let r = match op {
                ArithOp::Mul => x.checked_mul(y),
                _ if y.is_zero() => return Err(unknown(UnknownReason::DivisionByZero)),
                _ => x.checked_div(y),
            };
            r.map(|n| Value::Duration(n, u)).ok_or_else(overflow)
        }
        _ => Err(unknown(UnknownReason::Missing)),
    }
}

/// How a deadline was computed, for explanations.
#[derive(Debug, Clone, PartialEq)]
pub struct DateStep {
    pub raw: NaiveDate,
    pub rolled: Option<NaiveDate>,
}

/// `date ± duration`, counted as a period of Chinese law.
///
/// `deadline`: the end is the latest day for an act, moved off a day off when the period rules
/// say so; otherwise (an age, an anniversary) it is the day reached, never moved.
pub fn date_add(
    d: &Value,
    dur: &Value,
    subtract: bool,
    period: Counting<'_>,
    deadline: bool,
) -> Result<(Value, Option<DateStep>), Halt> {
    let Value::Duration(n, unit) = dur else {
        return Err(unknown(UnknownReason::Missing));
    };
    let n = n.to_i64().ok_or_else(|| unknown(UnknownReason::Overflow))?;
    let signed = if subtract { -n } else { n };
    let cal = &period.calendar.calendar;
    match d {
        Value::Date(date) => {
            let raw = match unit {
                DurationUnit::Days => date.checked_add_signed(Duration::days(signed)),
                DurationUnit::Weeks => signed
                    .checked_mul(7)
                    .and_then(|d| date.checked_add_signed(Duration::days(d))),
                DurationUnit::Months => i32::try_from(signed)
                    .ok()
                    .map(|m| month_rule(*date, add_months(*date, m), period.rules.month_rule)),
                DurationUnit::Years => i32::try_from(signed)
                    .ok()
                    .map(|y| month_rule(*date, add_years(*date, y), period.rules.month_rule)),
                DurationUnit::WorkingDays => {
                    if signed < 0 {
                        return Err(unknown(UnknownReason::Overflow));
                    }
                    let k = u32::try_from(signed).map_err(|_| unknown(UnknownReason::Overflow))?;
                    return cal
                        .add_working_days(*date, k)
                        .map(|r| (Value::Date(r), None))
                        .map_err(cal_err);
                }
                DurationUnit::Hours => None,
            }
            .ok_or_else(|| unknown(UnknownReason::Overflow))?;
            if period.rules.extend_on_day_off && deadline && !subtract {
                let rolled = cal.roll_forward(raw).map_err(cal_err)?;
                let step = DateStep {
                    raw,
                    rolled: (rolled != raw).then_some(rolled),
                };
                Ok((Value::Date(rolled), Some(step)))
            } else {
                Ok((Value::Date(raw), None))
            }
        }
        Value::DateTime(dt) => {
            let delta = match unit {
                DurationUnit::Hours => Duration::hours(signed),
                DurationUnit::Days => Duration::days(signed),
                DurationUnit::Weeks => Duration::days(signed.saturating_mul(7)),
                _ => {
                    let date = match unit {
                        DurationUnit::Months => {
                            add_months(dt.date(), i32::try_from(signed).unwrap_or(0))
                        }
                        _ => add_years(dt.date(), i32::try_from(signed).unwrap_or(0)),
                    };
                    return Ok((Value::DateTime(date.and_time(dt.time())), None));
                }
            };
            dt.checked_add_signed(delta)
                .map(|r| (Value::DateTime(r), None))
                .ok_or_else(|| unknown(UnknownReason::Overflow))
        }
        _ => Err(unknown(UnknownReason::Missing)),
    }
}

/// Whole years (周岁) from `birth` to `on`: the birthday itself completes a year. A 29 February
/// birthday falls, in a common year, where the month rule puts a period's end (民法典 第二百零二条:
/// 28 February; `next_day`: 1 March). A birthday is never moved off a day off. Before `birth`,
/// negative.
pub(crate) fn age(birth: NaiveDate, on: NaiveDate, rule: MonthRule) -> i64 {
    let years = i64::from(on.year()) - i64::from(birth.year());
    let Ok(y) = i32::try_from(years) else {
        return years;
    };
    let birthday = month_rule(birth, add_years(birth, y), rule);
    if on < birthday {
        years - 1
    } else {
        years
    }
}

/// Applies the month rule to `add_months`' result: under `NextDay`, a period whose final month has no
/// corresponding day ends on the first day of the next month instead of that month's last day.
fn month_rule(start: NaiveDate, civil: NaiveDate, rule: MonthRule) -> NaiveDate {
    if rule == MonthRule::NextDay && civil.day() != start.day() {
        civil.succ_opt().unwrap_or(civil)
    } else {
        civil
    }
}

pub(crate) fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => x == y,
        (Value::Date(x), Value::DateTime(y)) | (Value::DateTime(y), Value::Date(x)) => {
            *x == y.date()
        }
        (Value::Duration(x, u), Value::Duration(y, v)) => {
            crate::value::duration_order(*x, *u, *y, *v) == Some(Ordering::Equal)
        }
        _ => a == b,
    }
}

fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::DateTime(x), Value::DateTime(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::DateTime(y)) => Some(x.cmp(&y.date())),
        (Value::DateTime(x), Value::Date(y)) => Some(x.date().cmp(y)),
        (Value::Duration(x, u), Value::Duration(y, v)) => {
            crate::value::duration_order(*x, *u, *y, *v)
        }
        _ => None,
    }
}

/// `printed ≈ exact`: the left side is the printed figure; the exact value, rounded half up to as
/// many decimal places as the figure was printed with *in its own unit* (`17.21亿元` has two places
/// of 亿元, `69.23%` two places of a percent), must equal it. `unit_scale` is the printed unit in base units.
pub fn approx_equal(printed: Decimal, exact: Decimal, unit_scale: Decimal) -> bool {
    if unit_scale.is_zero() {
        return false;
    }
    let places = printed.scale().saturating_sub(unit_scale.scale());
    let (Some(p), Some(x)) = (
        printed.checked_div(unit_scale),
        exact.checked_div(unit_scale),
    ) else {
        return false;
    };
    x.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero) == p
}

fn date_of(v: &Value) -> Option<NaiveDate> {
    match v {
        Value::Date(d) => Some(*d),
        Value::DateTime(d) => Some(d.date()),
        _ => None,
    }
}

/// Compares two evaluated sides. A side that has not happened yet (a missing optional date) is
/// some date after `as_of` (the data is complete to the end of that day): the comparison is decided
/// when that settles it, and pending otherwise.
pub fn cmp_values(op: CmpOp, l: R, r: R, as_of: NaiveDate, printed_unit_scale: Decimal) -> R {
    match (l, r) {
        (Err(Halt::NotYet { field }), Ok(other)) => not_yet_cmp(op, &field, &other, as_of, false),
        (Ok(other), Err(Halt::NotYet { field })) => not_yet_cmp(op, &field, &other, as_of, true),
        (Err(h), _) | (_, Err(h)) => Err(not_yet_unknown(h)),
        (Ok(a), Ok(b)) => {
            let res = match op {
                CmpOp::Eq => values_equal(&a, &b),
                CmpOp::Ne => !values_equal(&a, &b),
                CmpOp::Approx => match (&a, &b) {
                    (Value::Num(x), Value::Num(y)) => approx_equal(*x, *y, printed_unit_scale),
                    _ => false,
                },
                _ => {
                    let Some(o) = order(&a, &b) else {
                        return Err(unknown(UnknownReason::Missing));
                    };
                    match op {
                        CmpOp::Lt => o == Ordering::Less,
                        CmpOp::Le => o != Ordering::Greater,
                        CmpOp::Gt => o == Ordering::Greater,
                        _ => o != Ordering::Less,
                    }
                }
            };
            Ok(Value::Bool(res))
        }
    }
}

/// `act OP deadline` where the act was not recorded by the end of `as_of` (so it falls after it).
fn not_yet_cmp(op: CmpOp, field: &str, other: &Value, as_of: NaiveDate, flipped: bool) -> R {
    let Some(d) = date_of(other) else {
        return Err(not_yet_unknown(Halt::NotYet {
            field: field.to_string(),
        }));
    };
    // Normalise to `act OP d`.
    let op = if flipped {
        match op {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            o => o,
        }
    } else {
        op
    };
    let pending = || {
        Err(Halt::Pending(Pending {
            field: field.to_string(),
            deadline: d.to_string(),
            kind: PendingKind::Act,
        }))
    };
    // `--as-of D` means the data is complete to the end of D: an act not recorded falls after D.
    match op {
        CmpOp::Le | CmpOp::Lt | CmpOp::Eq => {
            let last_ok = if op == CmpOp::Lt {
                d.pred_opt().unwrap_or(d)
            } else {
                d
            };
            if last_ok <= as_of {
                Ok(Value::Bool(false))
            } else {
                pending()
            }
        }
        CmpOp::Ge | CmpOp::Gt => {
            let first_ok = if op == CmpOp::Gt {
                d.succ_opt().unwrap_or(d)
            } else {
                d
            };
            if first_ok <= as_of.succ_opt().unwrap_or(as_of) {
                Ok(Value::Bool(true))
            } else {
                pending()
            }
        }
        CmpOp::Ne => {
            if d <= as_of {
                Ok(Value::Bool(true))
            } else {
                pending()
            }
        }
        CmpOp::Approx => Err(not_yet_unknown(Halt::NotYet {
            field: field.to_string(),
        })),
    }
}

fn call(b: Builtin, args: &[Expr], env: &Env) -> R {
    let arg = |i: usize| -> R {
        match args.get(i) {
            Some(x) => eval(x, env).map_err(not_yet_unknown),
            None => Err(unknown(UnknownReason::Missing)),
        }
    };
    match b {
        Builtin::Present => {
            let v = match args.first() {
                Some(x) => eval(x, env),
                None => return Ok(Value::Bool(false)),
            };
            Ok(Value::Bool(match v {
                Ok(_) => true,
                Err(Halt::NotYet { .. }) => false,
                Err(Halt::Unknown(u)) => !matches!(u.reason, UnknownReason::Missing),
                Err(Halt::Pending(_)) => true,
            }))
        }
        Builtin::Abs => match arg(0)? {
            Value::Num(n) => Ok(Value::Num(n.abs())),
            Value::Duration(n, u) => Ok(Value::Duration(n.abs(), u)),
            _ => Err(unknown(UnknownReason::Missing)),
        },
        Builtin::Round => match (arg(0)?, arg(1)?) {
            (Value::Num(n), Value::Num(p)) => {
                let places = p.to_u32().unwrap_or(0);
                Ok(Value::Num(n.round_dp_with_strategy(
                    places,
                    RoundingStrategy::MidpointAwayFromZero,
                )))
            }
            _ => Err(unknown(UnknownReason::Missing)),
        },
        Builtin::Min | Builtin::Max => {
            let mut best: Option<Value> = None;
            for i in 0..args.len() {
                let v = arg(i)?;
                best = Some(match best {
                    None => v,
                    Some(cur) => {
                        let o = order(&v, &cur).unwrap_or(Ordering::Equal);
                        let take = if b == Builtin::Min {
                            o == Ordering::Less
                        } else {
                            o == Ordering::Greater
                        };
                        if take {
                            v
                        } else {
                            cur
                        }
                    }
                });
            }
            best.ok_or_else(|| unknown(UnknownReason::EmptySet))
        }
        Builtin::MonthEnd => match arg(0)? {
            Value::Date(d) => Ok(Value::Date(month_end(d))),
            _ => Err(unknown(UnknownReason::Missing)),
        },
        Builtin::Week => {
            let d = date_of(&arg(0)?).ok_or_else(|| unknown(UnknownReason::Missing))?;
            d.checked_sub_signed(Duration::days(i64::from(
                d.weekday().num_days_from_monday(),
            )))
            .map(Value::Date)
            .ok_or_else(|| unknown(UnknownReason::Overflow))
        }
        Builtin::YearEnd => match arg(0)? {
            Value::Date(d) => Ok(Value::Date(year_end(d))),
            _ => Err(unknown(UnknownReason::Missing)),
        },
        Builtin::Year | Builtin::Month => {
            let d = date_of(&arg(0)?).ok_or_else(|| unknown(UnknownReason::Missing))?;
            let n = if b == Builtin::Year {
                d.year()
            } else {
                d.month() as i32
            };
            Ok(Value::Num(Decimal::from(n)))
        }
        Builtin::Contains => match (arg(0)?, arg(1)?) {
            (Value::Text(a), Value::Text(b)) => Ok(Value::Bool(a.contains(&*b))),
            _ => Err(unknown(UnknownReason::Missing)),
        },
        Builtin::AsOf => Ok(Value::Date(env.as_of)),
        Builtin::Age => {
            let birth = date_of(&arg(0)?).ok_or_else(|| unknown(UnknownReason::Missing))?;
            let on = date_of(&arg(1)?).ok_or_else(|| unknown(UnknownReason::Missing))?;
            Ok(Value::Num(Decimal::from(age(
                birth,
                on,
                env.rule.period.month_rule,
            ))))
        }
        Builtin::Date if args.len() == 1 => date_of(&arg(0)?)
            .map(Value::Date)
            .ok_or_else(|| unknown(UnknownReason::Missing)),
        Builtin::Date => {
            let part = |i: usize| -> Result<i64, Halt> {
                match arg(i)? {
                    Value::Num(n) if n.fract().is_zero() => {
                        n.to_i64().ok_or_else(|| unknown(UnknownReason::Overflow))
                    }
                    _ => Err(unknown(UnknownReason::NoSuchDate)),
                }
            };
            let (y, m, d) = (part(0)?, part(1)?, part(2)?);
            let date = i32::try_from(y).ok().and_then(|y| {
                NaiveDate::from_ymd_opt(y, u32::try_from(m).ok()?, u32::try_from(d).ok()?)
            });
            date.map(Value::Date)
                .ok_or_else(|| unknown(UnknownReason::NoSuchDate))
        }
        Builtin::Floor | Builtin::Ceil => match arg(0)? {
            Value::Num(n) => Ok(Value::Num(if b == Builtin::Floor {
                n.floor()
            } else {
                n.ceil()
            })),
            _ => Err(unknown(UnknownReason::Missing)),
        },
        Builtin::WorkingDaysBetween => match (arg(0)?, arg(1)?) {
            (Value::Date(a), Value::Date(b)) => env
                .counting()
                .calendar
                .calendar
                .working_days_between(a, b)
                .map(|n| Value::Duration(Decimal::from(n), DurationUnit::WorkingDays))
                .map_err(cal_err),
            _ => Err(unknown(UnknownReason::Missing)),
        },
    }
}

/// One period of an `every` that has fewer records than it needs: its first and last day and
/// how many records it has.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Short {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub count: u32,
}

/// What an `every` found: the periods over by `--as-of` that have too few records (a failure),
/// and those not over yet that have too few so far (pending: the period may still fill).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Coverage {
    pub min: u32,
    pub short: Vec<Short>,
    pub open: Vec<Short>,
}

impl Coverage {
    /// The value of the `every`: false when a period that is over has too few records, pending
    /// when only periods not over yet do, true when none has too few.
    pub(crate) fn value(&self) -> R {
        if !self.short.is_empty() {
            Ok(Value::Bool(false))
        } else if let Some(last) = self.open.last() {
            Err(Halt::Pending(Pending {
                field: String::new(),
                deadline: last.last.to_string(),
                kind: PendingKind::Periods(self.open.len()),
            }))
        } else {
            Ok(Value::Bool(true))
        }
    }
}

/// The periods of an `every` with fewer than its minimum of dated records (one, unless a fifth
/// argument says more).
/// Periods of whole months that divide a year (1, 2, 3, 4, 6, 12 months; years) follow the
/// calendar (months, quarters, half-years, years); weeks are calendar weeks, Monday to Sunday;
/// other periods run back to back from FROM. Only periods that lie wholly between FROM and TO
/// are required. A period that ends after the as-of date is not over: too few records in it so
/// far is pending, not a failure.
pub(crate) fn coverage(x: &Expr, env: &Env) -> Result<Coverage, Halt> {
    let ExprKind::Every {
        dates,
        amount,
        unit,
        from,
        to,
        min,
    } = &x.kind
    else {
        return Ok(Coverage::default());
    };
    let set = match eval(dates, env)? {
        Value::Dates(s) => s,
        _ => return Err(unknown(UnknownReason::Missing)),
    };
    let (Value::Date(from), Value::Date(to)) = (
        eval(from, env).map_err(not_yet_unknown)?,
        eval(to, env).map_err(not_yet_unknown)?,
    ) else {
        return Err(unknown(UnknownReason::Missing));
    };
    let months = match unit {
        DurationUnit::Months => Some(*amount),
        DurationUnit::Years => amount.checked_mul(12),
        _ => None,
    };
    let days = match unit {
        DurationUnit::Weeks => i64::from(*amount) * 7,
        _ => i64::from(*amount),
    };
    let mut cov = Coverage {
        min: *min,
        ..Coverage::default()
    };
    let mut start = match (months, unit) {
        (Some(m), _) if m > 0 && 12 % m == 0 => {
            // The calendar period that contains FROM; a period begun before FROM is not required.
            let m0 = from.month0() / m * m + 1;
            let first = NaiveDate::from_ymd_opt(from.year(), m0, 1)
                .ok_or_else(|| unknown(UnknownReason::Overflow))?;
            if first < from {
                add_months(first, m as i32)
            } else {
                first
            }
        }
        // The calendar week that contains FROM; a week begun before FROM is not required.
        (_, DurationUnit::Weeks) => {
            let back = i64::from(from.weekday().num_days_from_monday());
            if back == 0 {
                from
            } else {
                from.checked_add_signed(Duration::days(7 - back))
                    .ok_or_else(|| unknown(UnknownReason::Overflow))?
            }
        }
        _ => from,
    };
    for _ in 0..100_000 {
        let next = match months {
            Some(m) => add_months(start, m as i32),
            None => start
                .checked_add_signed(Duration::days(days))
                .ok_or_else(|| unknown(UnknownReason::Overflow))?,
        };
        let Some(end) = next.pred_opt() else { break };
        if end > to {
            return Ok(cov);
        }
        let count = set
            .range(start..=end)
            .fold(0u32, |n, (_, k)| n.saturating_add(*k));
        if count < *min {
            let s = Short {
                first: start,
                last: end,
                count,
            };
            if end <= env.as_of {
                cov.short.push(s);
            } else {
                cov.open.push(s);
            }
        }
        start = next;
    }
    Err(unknown(UnknownReason::Overflow))
}

/// One rule's verdict on one record or group, with the explanation when it is a finding.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub rule: usize,
    pub outcome: Outcome,
    pub explanation: Option<Box<Explanation>>,
}

/// Evaluates the lets, requirements and exceptions of a rule against one environment, and
/// explains the verdict when it is a finding. `record`-level filtering has already happened.
#[allow(clippy::too_many_arguments)]
pub(crate) fn judge(
    program: &Program,
    rule_idx: usize,
    rule: &Rule,
    record: &[Value],
    aggs: &[R],
    key: Option<&Value>,
    as_of: NaiveDate,
    lookups: &Lookups,
) -> Verdict {
    judge_as(
        program, rule_idx, rule, record, aggs, key, as_of, lookups, true,
    )
}

/// As [`judge`]; with `explain` false, a finding's verdict carries no explanation.
#[allow(clippy::too_many_arguments)]
fn judge_as(
    program: &Program,
    rule_idx: usize,
    rule: &Rule,
    record: &[Value],
    aggs: &[R],
    key: Option<&Value>,
    as_of: NaiveDate,
    lookups: &Lookups,
    explain: bool,
) -> Verdict {
    let base = Env {
        aggs,
        key,
        ..Env::record(program, rule, record, as_of).with_lookups(lookups)
    };
    // Each let sees the lets before it.
    let mut locals: Vec<R> = Vec::with_capacity(rule.lets.len());
    for l in &rule.lets {
        let v = eval(
            &l.expr,
            &Env {
                locals: &locals,
                ..base
            },
        );
        locals.push(v);
    }
    let env = Env {
        locals: &locals,
        ..base
    };
    let mut failed = false;
    let mut halt: Option<Halt> = None;
    for req in &rule.requires {
        match eval(req, &env).map_err(not_yet_unknown) {
            Ok(Value::Bool(true)) => {}
            Ok(_) => failed = true,
            Err(h @ Halt::Unknown(_)) => {
                if !matches!(halt, Some(Halt::Unknown(_))) {
                    halt = Some(h);
                }
            }
            Err(h) => {
                if halt.is_none() {
                    halt = Some(h);
                }
            }
        }
    }
    let mut outcome = if failed {
        Outcome::Fail
    } else {
        match &halt {
            Some(Halt::Pending(_)) => Outcome::Pending,
            Some(_) => Outcome::Unknown,
            None => Outcome::Pass,
        }
    };
    let mut exempt = false;
    if outcome != Outcome::Pass && !rule.unless.is_empty() {
        match logic(&rule.unless, &env, true) {
            Ok(Value::Bool(true)) => {
                exempt = true;
                outcome = Outcome::Exempt;
            }
            Ok(_) => {}
            Err(h) => {
                if outcome == Outcome::Fail {
                    outcome = Outcome::Unknown;
                    halt = Some(not_yet_unknown(h));
                }
            }
        }
    }
    let explanation = if explain
        && matches!(
            outcome,
            Outcome::Fail | Outcome::Unknown | Outcome::Pending | Outcome::Exempt
        ) {
        Some(Box::new(explain::explain(
            &env,
            outcome,
            halt.as_ref(),
            exempt,
        )))
    } else {
        None
    };
    Verdict {
        rule: rule_idx,
        outcome,
        explanation,
    }
}

/// Evaluates records against a compiled program.
pub struct Engine<'p> {
    pub program: &'p Program,
    pub as_of: NaiveDate,
    /// Per record type: the per-record rules that apply to it.
    each_rules: Vec<Vec<usize>>,
    /// Per record type: the grouped rules that apply to it.
    group_rules: Vec<Vec<usize>>,
    /// Per rule: its fast form, when it has one (see `fast`).
    fast: Vec<Option<fast::FastRule>>,
    /// Whether findings' verdicts carry an explanation (not when a run only counts).
    explain: bool,
    /// The records rules read through `ref` fields.
    lookups: &'p Lookups,
}

impl<'p> Engine<'p> {
    pub fn new(program: &'p Program, as_of: NaiveDate) -> Engine<'p> {
        let n = program.records.len();
        let mut each_rules = vec![Vec::new(); n];
        let mut group_rules = vec![Vec::new(); n];
        for (i, r) in program.rules.iter().enumerate() {
            let target = match r.scope {
                Scope::Each => each_rules.get_mut(r.record),
                Scope::Group(_) | Scope::Joined => group_rules.get_mut(r.record),
            };
            if let Some(t) = target {
                t.push(i);
            }
        }
        Engine {
            program,
            as_of,
            each_rules,
            group_rules,
            fast: program.rules.iter().map(fast::FastRule::compile).collect(),
            explain: true,
            lookups: &NO_LOOKUPS,
        }
    }

    /// Reading through `ref` fields in `lookups` (read ahead from the submission).
    pub fn with_lookups(self, lookups: &'p Lookups) -> Engine<'p> {
        Engine { lookups, ..self }
    }

    /// With `false`, verdicts carry no explanation (`Verdict::explanation` is `None`): for a run
    /// that only counts outcomes (`--format summary`).
    pub fn explaining(self, explain: bool) -> Engine<'p> {
        Engine { explain, ..self }
    }

    pub fn each_rules(&self, ty: usize) -> &[usize] {
        self.each_rules.get(ty).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn group_rules(&self, ty: usize) -> &[usize] {
        self.group_rules.get(ty).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Judges one record by every per-record rule of its type, calling `out` for each verdict.
    /// Passing verdicts carry no explanation and cost no allocation.
    pub fn check_record(&self, rec: &Record, out: &mut dyn FnMut(Verdict)) {
        for &ri in self.each_rules(rec.ty) {
            let Some(rule) = self.program.rules.get(ri) else {
                continue;
            };
            out(self.judge_record(ri, rule, &rec.values));
        }
    }

    /// As `check_record`, but a verdict the fast path settles (pass or not applicable: nothing to
    /// explain) goes to `settled` as its rule and outcome, without a `Verdict` built and dropped;
    /// the interpreter's verdicts go to `judged`.
    #[inline]
    pub fn check_record_split(
        &self,
        rec: &Record,
        mut settled: impl FnMut(usize, Outcome),
        mut judged: impl FnMut(Verdict),
    ) {
        for &ri in self.each_rules(rec.ty) {
            let Some(rule) = self.program.rules.get(ri) else {
                continue;
            };
            if let Some(Some(fr)) = self.fast.get(ri) {
                if let Some(outcome) = fr.decide(&rec.values, self.program.counting(rule)) {
                    settled(ri, outcome);
                    continue;
                }
            }
            judged(self.interpret_record(ri, rule, &rec.values));
        }
    }

    /// As `check_record`, but every rule through the interpreter: the reference the fast path is
    /// tested against.
    #[doc(hidden)]
    pub fn check_record_interpreted(&self, rec: &Record, out: &mut dyn FnMut(Verdict)) {
        for &ri in self.each_rules(rec.ty) {
            if let Some(rule) = self.program.rules.get(ri) {
                out(self.interpret_record(ri, rule, &rec.values));
            }
        }
    }

    /// How many rules have a fast form.
    pub fn fast_rules(&self) -> usize {
        self.fast.iter().filter(|f| f.is_some()).count()
    }

    fn judge_record(&self, ri: usize, rule: &Rule, values: &[Value]) -> Verdict {
        if let Some(Some(fr)) = self.fast.get(ri) {
            if let Some(outcome) = fr.decide(values, self.program.counting(rule)) {
                return Verdict {
                    rule: ri,
                    outcome,
                    explanation: None,
                };
            }
        }
        self.interpret_record(ri, rule, values)
    }

    /// The interpreter's verdict, with an explanation for a finding.
    fn interpret_record(&self, ri: usize, rule: &Rule, values: &[Value]) -> Verdict {
        if let Some(f) = &rule.filter {
            let env =
                Env::record(self.program, rule, values, self.as_of).with_lookups(self.lookups);
            match eval(f, &env).map_err(not_yet_unknown) {
                Ok(Value::Bool(true)) => {}
                Ok(_) => {
                    return Verdict {
                        rule: ri,
                        outcome: Outcome::NotApplicable,
                        explanation: None,
                    }
                }
                Err(h) => {
                    return Verdict {
                        rule: ri,
                        outcome: Outcome::Unknown,
                        explanation: self
                            .explain
                            .then(|| Box::new(explain::explain_filter(&env, &h))),
                    }
                }
            }
        }
        // `judge` builds an explanation only for a finding: one call decides and explains.
        judge_as(
            self.program,
            ri,
            rule,
            values,
            &[],
            None,
            self.as_of,
            self.lookups,
            self.explain,
        )
    }
}

/// Parses an as-of date given on the command line or in an example.
pub fn parse_as_of(s: &str) -> Option<NaiveDate> {
    crate::calendar::parse_date_text(s)
}
