//! The fast path for per-record rules: each rule's `where` and requirements compiled once, when
//! their shape allows it, into small trees over field slots that decide a *passing* (or not
//! applicable) record without building values, results or an environment.
//!
//! The contract is one-sided: [`FastRule::decide`] returns `Some(outcome)` only when the
//! interpreter ([`super::eval`]) would reach the same outcome, and `None` whenever it cannot be
//! sure — a missing, unreadable or unexpected value, division by zero, overflow, a calendar that
//! does not cover a date, a shape it does not compile. `None` sends the record to the
//! interpreter, which decides and explains. Findings therefore always come from the interpreter.

use super::{checked_arith, date_add};
use crate::check::ir::{Counting, Expr, ExprKind, GroupAgg, Rule, Scope, Ty};
use crate::value::Value;
use crate::vocab::{ArithOp, CmpOp, Outcome};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// A compiled per-record rule: its `where` (if any) and its requirements.
#[derive(Debug)]
pub(crate) struct FastRule {
    filter: Option<FBool>,
    requires: Vec<FBool>,
}

impl FastRule {
    /// Compiles a per-record rule, or `None` when some part of it has no fast form.
    pub(crate) fn compile(rule: &Rule) -> Option<FastRule> {
        if !matches!(rule.scope, Scope::Each) {
            return None;
        }
        let c = Compiler { rule };
        let filter = match &rule.filter {
            Some(f) => Some(c.bool(f)?),
            None => None,
        };
        let requires = rule
            .requires
            .iter()
            .map(|r| c.bool(r))
            .collect::<Option<Vec<_>>>()?;
        Some(FastRule { filter, requires })
    }

    /// `Pass` or `NotApplicable` when the record settles it; `None` leaves it to the interpreter.
    #[inline]
    pub(crate) fn decide(&self, rec: &[Value], period: Counting<'_>) -> Option<Outcome> {
        if let Some(f) = &self.filter {
            if !f.test(rec, period)? {
                return Some(Outcome::NotApplicable);
            }
        }
        for r in &self.requires {
            if !r.test(rec, period)? {
                // A failing record is explained by the interpreter.
                return None;
            }
        }
        Some(Outcome::Pass)
    }
}

/// A compiled condition (a rule's `where`), with the same one-sided contract.
#[derive(Debug)]
pub(crate) struct FastBool(FBool);

impl FastBool {
    pub(crate) fn compile(rule: &Rule, x: &Expr) -> Option<FastBool> {
        Compiler { rule }.bool(x).map(FastBool)
    }

    /// The condition's value, when the interpreter would reach it too.
    #[inline]
    pub(crate) fn eval(&self, rec: &[Value], period: Counting<'_>) -> Option<bool> {
        self.0.eval(rec, period)
    }
}

/// What a record adds to an aggregate, as the fast path sees it.
pub(crate) enum Fed {
    /// The aggregate's `where` leaves the record out.
    Skip,
    /// The record counts (an aggregate without an expression, e.g. `count()`).
    One,
    /// The record's number.
    Num(Decimal),
}

/// A compiled aggregate of a grouped rule: its `where` and its numeric expression.
#[derive(Debug)]
pub(crate) struct FastAgg {
    filter: Option<FBool>,
    expr: Option<FNum>,
}

impl FastAgg {
    pub(crate) fn compile(rule: &Rule, agg: &GroupAgg) -> Option<FastAgg> {
        let c = Compiler { rule };
        let filter = match &agg.filter {
            Some(f) => Some(c.bool(f)?),
            None => None,
        };
        let expr = match &agg.expr {
            Some(x) => Some(c.num(x)?),
            None => None,
        };
        Some(FastAgg { filter, expr })
    }

    /// `None` when the interpreter must decide (and, on a halt, record why).
    #[inline]
    pub(crate) fn eval(&self, rec: &[Value], period: Counting<'_>) -> Option<Fed> {
        if let Some(f) = &self.filter {
            if !f.test(rec, period)? {
                return Some(Fed::Skip);
            }
        }
        match &self.expr {
            Some(x) => x.eval(rec).map(Fed::Num),
            None => Some(Fed::One),
        }
    }
}

#[derive(Debug)]
enum FNum {
    Const(Decimal),
    Field(usize),
    Arith(ArithOp, Box<FNum>, Box<FNum>),
}

#[derive(Debug)]
enum FDate {
    Const(NaiveDate),
    Field(usize),
    /// `date ± duration`, through the interpreter's own `date_add`.
    Add {
        date: Box<FDate>,
        duration: Value,
        subtract: bool,
        deadline: bool,
    },
}

#[derive(Debug)]
enum FEnum {
    Const(u16),
    Field(usize),
}

#[derive(Debug)]
enum FBool {
    Const(bool),
    Field(usize),
    Num(Exact, FNum, FNum),
    /// `field op constant`, the commonest comparison, decided without evaluating two operands.
    FieldConst(Exact, usize, Decimal),
    /// `num / den <= bound` (or `>=` when `ge`): decided without dividing when it holds exactly.
    Quotient {
        ge: bool,
        num: FNum,
        den: FNum,
        bound: FNum,
    },
    Date(Exact, FDate, FDate),
    Enum(bool, FEnum, FEnum),
    /// `present(field)`.
    Present(usize),
    And(Vec<FBool>),
    Or(Vec<FBool>),
    Not(Box<FBool>),
}

struct Compiler<'a> {
    rule: &'a Rule,
}

impl Compiler<'_> {
    /// Follows a `let` to its expression: the interpreter evaluates it once and uses the result,
    /// which is the same value.
    fn resolve<'x>(&'x self, x: &'x Expr) -> &'x Expr {
        let mut x = x;
        while let ExprKind::Local(i) = x.kind {
            match self.rule.lets.get(i) {
                Some(l) => x = &l.expr,
                None => break,
            }
        }
        x
    }

    fn num(&self, x: &Expr) -> Option<FNum> {
        let x = self.resolve(x);
        if !matches!(x.ty, Ty::Num(_)) {
            return None;
        }
        Some(match &x.kind {
            ExprKind::Const(Value::Num(n)) => FNum::Const(*n),
            ExprKind::Field(s) => FNum::Field(*s),
            ExprKind::Arith(op, a, b) => {
                FNum::Arith(*op, Box::new(self.num(a)?), Box::new(self.num(b)?))
            }
            _ => return None,
        })
    }

    fn date(&self, x: &Expr) -> Option<FDate> {
        let x = self.resolve(x);
        if !matches!(x.ty, Ty::Date) {
            return None;
        }
        Some(match &x.kind {
            ExprKind::Const(Value::Date(d)) => FDate::Const(*d),
            ExprKind::Field(s) => FDate::Field(*s),
            ExprKind::DateAdd {
                date,
                duration,
                subtract,
                deadline,
            } => {
                let d = self.resolve(duration);
                let ExprKind::Const(v @ Value::Duration(..)) = &d.kind else {
                    return None;
                };
                FDate::Add {
                    date: Box::new(self.date(date)?),
                    duration: v.clone(),
                    subtract: *subtract,
                    deadline: *deadline,
                }
            }
            _ => return None,
        })
    }

    fn variant(&self, x: &Expr) -> Option<FEnum> {
        let x = self.resolve(x);
        match &x.kind {
            ExprKind::Const(Value::Enum(i)) => Some(FEnum::Const(*i)),
            ExprKind::Field(s) if matches!(x.ty, Ty::Enum(_)) => Some(FEnum::Field(*s)),
            _ => None,
        }
    }

    fn bool(&self, x: &Expr) -> Option<FBool> {
        let x = self.resolve(x);
        Some(match &x.kind {
            ExprKind::Const(Value::Bool(b)) => FBool::Const(*b),
            ExprKind::Field(s) if matches!(x.ty, Ty::Bool) => FBool::Field(*s),
            ExprKind::Cmp { op, lhs, rhs, .. } => {
                // `≈` has a scale to resolve and is left to the interpreter: `Exact` cannot
                // say it, so no arm below can decide it by another operator.
                let op = &Exact::of(*op)?;
                if let (Some(a), Some(b)) = (self.num(lhs), self.num(rhs)) {
                    match (op, a) {
                        (Exact::Le | Exact::Ge, FNum::Arith(ArithOp::Div, num, den)) => {
                            FBool::Quotient {
                                ge: *op == Exact::Ge,
                                num: *num,
                                den: *den,
                                bound: b,
                            }
                        }
                        (_, FNum::Field(s)) if matches!(b, FNum::Const(_)) => match b {
                            FNum::Const(c) => FBool::FieldConst(*op, s, c),
                            b => FBool::Num(*op, FNum::Field(s), b),
                        },
                        (_, FNum::Const(c)) if matches!(b, FNum::Field(_)) => match b {
                            FNum::Field(s) => FBool::FieldConst(flip(*op), s, c),
                            b => FBool::Num(*op, FNum::Const(c), b),
                        },
                        (_, a) => FBool::Num(*op, a, b),
                    }
                } else if let (Some(a), Some(b)) = (self.date(lhs), self.date(rhs)) {
                    FBool::Date(*op, a, b)
                } else if matches!(op, Exact::Eq | Exact::Ne) {
                    let (a, b) = (self.variant(lhs)?, self.variant(rhs)?);
                    FBool::Enum(*op == Exact::Eq, a, b)
                } else {
                    return None;
                }
            }
            ExprKind::Call(crate::check::ir::Builtin::Present, args) => match args.as_slice() {
                [a] => match self.resolve(a).kind {
                    ExprKind::Field(s) => FBool::Present(s),
                    _ => return None,
                },
                _ => return None,
            },
            ExprKind::And(xs) => {
                FBool::And(xs.iter().map(|x| self.bool(x)).collect::<Option<_>>()?)
            }
            ExprKind::Or(xs) => FBool::Or(xs.iter().map(|x| self.bool(x)).collect::<Option<_>>()?),
            ExprKind::Not(i) => FBool::Not(Box::new(self.bool(i)?)),
            _ => return None,
        })
    }
}

/// Three-valued `and` (`is_or` false) and `or`, as the interpreter's `logic`: a definite false
/// (true) decides even when another operand is undecided here.
fn logic(xs: &[FBool], is_or: bool, rec: &[Value], period: Counting<'_>) -> Option<bool> {
    let mut all = true;
    for x in xs {
        match x.test(rec, period) {
            Some(b) if b == is_or => return Some(is_or),
            Some(_) => {}
            None => all = false,
        }
    }
    all.then_some(!is_or)
}

/// `10^k` for `k` up to 28, the largest scale of a `Decimal`.
const POW10: [i128; 29] = {
    let mut t = [1i128; 29];
    let mut k = 1;
    while k < 29 {
        // A constant: evaluated, and checked, when compiling.
        #[allow(clippy::indexing_slicing)]
        {
            t[k] = t[k - 1] * 10;
        }
        k += 1;
    }
    t
};

/// `a * b`, `None` on overflow. Factors that fit in 64 bits (the mantissas of numbers as
/// submissions print them) multiply in one widening step, without `i128`'s overflow checks.
#[inline(always)]
fn mul_i128(a: i128, b: i128) -> Option<i128> {
    match (i64::try_from(a), i64::try_from(b)) {
        (Ok(a), Ok(b)) => Some(i128::from(a) * i128::from(b)),
        _ => a.checked_mul(b),
    }
}

/// Compares `ma × 10^-sa` with `mb × 10^-sb` exactly, by scaling the one with fewer decimals up
/// to the other's; `None` when that does not fit in an `i128`.
#[inline]
fn parts_cmp(ma: i128, sa: u32, mb: i128, sb: u32) -> Option<Ordering> {
    if sa == sb {
        return Some(ma.cmp(&mb));
    }
    let up = |m: i128, by: u32| mul_i128(m, *POW10.get(by as usize)?);
    if sa < sb {
        Some(up(ma, sb - sa)?.cmp(&mb))
    } else {
        Some(ma.cmp(&up(mb, sa - sb)?))
    }
}

/// `a.cmp(b)`, as `Decimal`'s `Ord` says, decided on the mantissas when the scales are equal or
/// one scales up to the other within an `i128` (every pair of decimals the benchmarks and the
/// policies compare); `Decimal`'s general comparison otherwise.
#[inline]
pub(crate) fn dec_cmp(a: &Decimal, b: &Decimal) -> Ordering {
    parts_cmp(a.mantissa(), a.scale(), b.mantissa(), b.scale()).unwrap_or_else(|| a.cmp(b))
}

/// `a * b` as a mantissa and scale when the product is exact and a `Decimal` holds it (at most 96
/// bits, scale at most 28): what `checked_mul` returns then, whose scale is the sum of the
/// scales. `None` where `checked_mul` would fail or round.
#[inline]
fn exact_mul(a: Decimal, b: Decimal) -> Option<(i128, u32)> {
    let p = mul_i128(a.mantissa(), b.mantissa())?;
    let s = a.scale() + b.scale();
    (s <= 28 && p.unsigned_abs() < 1u128 << 96).then_some((p, s))
}

/// The comparisons the fast path decides: the exact ones. `≈` (`CmpOp::Approx`) is not among
/// them, so it cannot be compiled here by mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exact {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Exact {
    /// `None` for `≈`, which only the interpreter judges.
    fn of(op: CmpOp) -> Option<Exact> {
        Some(match op {
            CmpOp::Eq => Exact::Eq,
            CmpOp::Ne => Exact::Ne,
            CmpOp::Lt => Exact::Lt,
            CmpOp::Le => Exact::Le,
            CmpOp::Gt => Exact::Gt,
            CmpOp::Ge => Exact::Ge,
            CmpOp::Approx => return None,
        })
    }
}

/// The operator that compares the other way round: `a op b` is `b flip(op) a`.
fn flip(op: Exact) -> Exact {
    match op {
        Exact::Lt => Exact::Gt,
        Exact::Le => Exact::Ge,
        Exact::Gt => Exact::Lt,
        Exact::Ge => Exact::Le,
        other => other,
    }
}

fn cmp(op: Exact, o: Ordering) -> bool {
    match op {
        Exact::Eq => o == Ordering::Equal,
        Exact::Ne => o != Ordering::Equal,
        Exact::Lt => o == Ordering::Less,
        Exact::Le => o != Ordering::Greater,
        Exact::Gt => o == Ordering::Greater,
        Exact::Ge => o != Ordering::Less,
    }
}

impl FNum {
    /// As the interpreter's `num_of`: `None` where it would halt. Constants and fields are read
    /// in place; only arithmetic calls out.
    #[inline(always)]
    fn eval(&self, rec: &[Value]) -> Option<Decimal> {
        match self {
            FNum::Const(n) => Some(*n),
            FNum::Field(s) => match rec.get(*s) {
                Some(Value::Num(n)) => Some(*n),
                _ => None,
            },
            FNum::Arith(..) => self.arith(rec),
        }
    }

    #[inline(never)]
    fn arith(&self, rec: &[Value]) -> Option<Decimal> {
        match self {
            FNum::Arith(op, a, b) => checked_arith(*op, a.eval(rec)?, b.eval(rec)?),
            _ => self.eval(rec),
        }
    }

    /// The value as a mantissa and scale. A product comes exact, as `checked_mul` computes it
    /// when it is exact, without `Decimal`'s general multiplication.
    #[inline(always)]
    fn parts(&self, rec: &[Value]) -> Option<(i128, u32)> {
        if let FNum::Arith(ArithOp::Mul, a, b) = self {
            let (a, b) = (a.eval(rec)?, b.eval(rec)?);
            if let Some(p) = exact_mul(a, b) {
                return Some(p);
            }
            let p = a.checked_mul(b)?;
            return Some((p.mantissa(), p.scale()));
        }
        self.eval(rec).map(|n| (n.mantissa(), n.scale()))
    }
}

impl FDate {
    #[inline]
    fn eval(&self, rec: &[Value], period: Counting<'_>) -> Option<NaiveDate> {
        match self {
            FDate::Const(d) => Some(*d),
            FDate::Field(s) => match rec.get(*s) {
                Some(Value::Date(d)) => Some(*d),
                _ => None,
            },
            FDate::Add {
                date,
                duration,
                subtract,
                deadline,
            } => {
                let d = Value::Date(date.eval(rec, period)?);
                match date_add(&d, duration, *subtract, period, *deadline) {
                    Ok((Value::Date(r), _)) => Some(r),
                    _ => None,
                }
            }
        }
    }
}

impl FEnum {
    #[inline]
    fn eval(&self, rec: &[Value]) -> Option<u16> {
        match self {
            FEnum::Const(i) => Some(*i),
            FEnum::Field(s) => match rec.get(*s) {
                Some(Value::Enum(i)) => Some(*i),
                _ => None,
            },
        }
    }
}

/// `field op c`, where the interpreter would decide it: a number in the slot.
#[inline(always)]
fn field_const(op: Exact, slot: usize, c: &Decimal, rec: &[Value]) -> Option<bool> {
    match rec.get(slot) {
        Some(Value::Num(n)) => Some(cmp(op, dec_cmp(n, c))),
        _ => None,
    }
}

impl FBool {
    /// As `eval`, with a comparison of a field and a constant (most requirements) decided in
    /// place instead of through a call.
    #[inline(always)]
    fn test(&self, rec: &[Value], period: Counting<'_>) -> Option<bool> {
        match self {
            FBool::FieldConst(op, s, c) => field_const(*op, *s, c, rec),
            _ => self.eval(rec, period),
        }
    }

    fn eval(&self, rec: &[Value], period: Counting<'_>) -> Option<bool> {
        match self {
            FBool::Const(b) => Some(*b),
            FBool::Field(s) => match rec.get(*s) {
                Some(Value::Bool(b)) => Some(*b),
                _ => None,
            },
            FBool::Num(op, a, b) => {
                let ((ma, sa), (mb, sb)) = (a.parts(rec)?, b.parts(rec)?);
                let o = match parts_cmp(ma, sa, mb, sb) {
                    Some(o) => o,
                    None => Decimal::try_from_i128_with_scale(ma, sa)
                        .ok()?
                        .cmp(&Decimal::try_from_i128_with_scale(mb, sb).ok()?),
                };
                Some(cmp(*op, o))
            }
            FBool::FieldConst(op, s, c) => field_const(*op, *s, c, rec),
            FBool::Quotient {
                ge,
                num,
                den,
                bound,
            } => {
                let (x, y, c) = (num.eval(rec)?, den.eval(rec)?, bound.eval(rec)?);
                // With y >= 1 the quotient is no larger than x: dividing cannot overflow.
                if dec_cmp(&y, &Decimal::ONE) != Ordering::Less {
                    if let Some((p, sp)) = exact_mul(c, y) {
                        // Exactly x/y <= c. The interpreter's quotient, x/y rounded to 28 digits,
                        // then cannot exceed c either (c is a decimal, and rounding keeps order),
                        // so it says the same. The other way round it may round onto c: divide.
                        let o = parts_cmp(x.mantissa(), x.scale(), p, sp);
                        if (*ge && o.is_some_and(|o| o != Ordering::Less))
                            || (!*ge && o.is_some_and(|o| o != Ordering::Greater))
                        {
                            return Some(true);
                        }
                    }
                }
                if y.is_zero() {
                    return None;
                }
                let q = dec_cmp(&x.checked_div(y)?, &c);
                Some(if *ge {
                    q != Ordering::Less
                } else {
                    q != Ordering::Greater
                })
            }
            FBool::Date(op, a, b) => {
                Some(cmp(*op, a.eval(rec, period)?.cmp(&b.eval(rec, period)?)))
            }
            FBool::Enum(eq, a, b) => Some((a.eval(rec)? == b.eval(rec)?) == *eq),
            // `present` is false only for a missing value (an unreadable one is present).
            FBool::Present(s) => Some(!matches!(rec.get(*s), None | Some(Value::Missing))),
            FBool::And(xs) => logic(xs, false, rec, period),
            FBool::Or(xs) => logic(xs, true, rec, period),
            FBool::Not(x) => x.eval(rec, period).map(|b| !b),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn quotient(ge: bool, x: &str, y: &str, c: &str) -> Option<bool> {
        let rec = vec![Value::Num(d(x)), Value::Num(d(y))];
        let q = FBool::Quotient {
            ge,
            num: FNum::Field(0),
            den: FNum::Field(1),
            bound: FNum::Const(d(c)),
        };
        let calendars = crate::check::ir::Calendars::default();
        let period = Counting {
            rules: crate::check::ir::PeriodRules {
                calendar: crate::check::ir::CalendarId::NATIONAL,
                extend_on_day_off: false,
                month_rule: crate::check::ir::MonthRule::LastDay,
            },
            calendar: calendars.get(crate::check::ir::CalendarId::NATIONAL),
        };
        q.eval(&rec, period)
    }

    /// What the interpreter computes: the quotient rounded to 28 digits, then compared.
    fn divided(ge: bool, x: &str, y: &str, c: &str) -> Option<bool> {
        let q = d(x).checked_div(d(y))?;
        Some(if ge { q >= d(c) } else { q <= d(c) })
    }

    #[test]
    fn comparing_mantissas_agrees_with_decimal_ord() {
        let mut xs: Vec<Decimal> = [
            "0",
            "-0",
            "0.000",
            "1",
            "-1",
            "1.0",
            "0.9999999999999999999999999999",
            "25",
            "25.00",
            "24.999",
            "25.001",
            "-25.5",
            "60000",
            "6万",
            "0.5",
            "0.50",
            "12",
            "100000000000000000000",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "7.9228162514264337593543950335",
            "0.0000000000000000000000000001",
            "-0.0000000000000000000000000001",
            "3.1415926535897932384626433832",
        ]
        .iter()
        .filter_map(|t| Decimal::from_str(t).ok())
        .collect();
        // Every scale, both signs, small and large mantissas.
        for scale in 0..=28 {
            for m in [1i64, 7, 123_456_789, 999_999_999_999_999_999] {
                xs.push(Decimal::new(m, scale));
                xs.push(Decimal::new(-m, scale));
            }
            xs.push(Decimal::from_i128_with_scale((1i128 << 96) - 1, scale));
        }
        for a in &xs {
            for b in &xs {
                assert_eq!(dec_cmp(a, b), a.cmp(b), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn exact_products_are_what_checked_mul_returns() {
        let xs = [
            "0.1",
            "0.10",
            "0.50",
            "3",
            "20000",
            "1.5",
            "79228162514264337593543950335",
        ];
        let xs: Vec<Decimal> = xs
            .iter()
            .filter_map(|t| Decimal::from_str(t).ok())
            .collect();
        let mut exact = 0;
        for a in &xs {
            for b in &xs {
                let by_decimal = a
                    .checked_mul(*b)
                    .filter(|p| p.scale() == a.scale() + b.scale())
                    .map(|p| (p.mantissa(), p.scale()));
                assert_eq!(exact_mul(*a, *b), by_decimal, "{a} × {b}");
                exact += usize::from(by_decimal.is_some());
            }
        }
        assert!(exact > 30 && exact < xs.len() * xs.len(), "{exact}");
    }

    #[test]
    fn an_approximate_comparison_is_left_to_the_interpreter() {
        let policy = |op: &str| {
            format!(
                "policy t \"t\"\n  document \"d\"\n\
                 record r \"r\" {{\n  id text key \"编号\"\n  rate decimal \"比例\"\n}}\n\
                 rule q \"q\" {{\n  cite line 1 \"q\"\n  applies to r\n  require rate {op} 0.5\n}}\n"
            )
        };
        let fast = |op: &str| {
            let c = crate::check::compile_str("t.gj", &policy(op));
            let p = c.program.unwrap_or_else(|| panic!("{:?}", c.diagnostics));
            FastRule::compile(&p.rules[0]).is_some()
        };
        assert!(fast(">="), "an exact comparison has a fast form");
        assert!(!fast("≈"), "`≈` must not be decided as `>=`");
    }

    #[test]
    fn flipped_operators_compare_the_other_way_round() {
        let ops = [
            Exact::Eq,
            Exact::Ne,
            Exact::Lt,
            Exact::Le,
            Exact::Gt,
            Exact::Ge,
        ];
        for op in ops {
            for (a, b) in [(1, 2), (2, 2), (3, 2)] {
                assert_eq!(
                    cmp(op, a.cmp(&b)),
                    cmp(flip(op), b.cmp(&a)),
                    "{a} {op:?} {b}"
                );
            }
        }
    }

    #[test]
    fn quotient_bounds_agree_with_dividing() {
        let cases = [
            ("100", "4", "25"),
            ("101", "4", "25"),
            ("99.99", "4", "25"),
            // 1/3 rounds onto the bound: dividing says it holds, the exact product does not.
            ("1", "3", "0.3333333333333333333333333333"),
            ("2", "3", "0.6666666666666666666666666667"),
            ("2", "3", "0.6666666666666666666666666666"),
            ("5", "-2", "-3"),
            ("-5", "2", "-2.5"),
            ("0", "7", "0"),
            ("1", "0", "5"),
            ("79228162514264337593543950335", "0.5", "1"),
            ("-79228162514264337593543950335", "0.5", "1"),
            (
                "79228162514264337593543950335",
                "1",
                "79228162514264337593543950335",
            ),
            ("7922816251426433759354395033.5", "1.5", "1"),
            (
                "0.0000000000000000000000000001",
                "3",
                "0.0000000000000000000000000001",
            ),
        ];
        for (x, y, c) in cases {
            for ge in [false, true] {
                assert_eq!(
                    quotient(ge, x, y, c),
                    divided(ge, x, y, c),
                    "{x}/{y} vs {c}, ge {ge}"
                );
            }
        }
    }
}
