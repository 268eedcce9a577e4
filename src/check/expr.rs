//! Checking expressions: name resolution, types and units.

use super::ir::*;
use super::units::{self, Unit};
use super::{e, Checker, Sc};
use crate::diag::{did_you_mean, Msg};
use crate::source::Span;
use crate::syntax::ast::{self, ArithOp, CmpOp, DurationUnit, ExprKind as A};
use crate::value::Value;
use rust_decimal::Decimal;

fn mk(kind: ExprKind, ty: Ty, span: Span) -> Expr {
    Expr { kind, ty, span }
}

fn err(span: Span) -> Expr {
    mk(ExprKind::Const(Value::Missing), Ty::Error, span)
}

/// A plain number literal with no unit (`25`), which may not meet a quantity with a unit.
fn is_bare_number(x: &Expr) -> bool {
    matches!(&x.kind, ExprKind::Const(Value::Num(_)))
        && matches!(&x.ty, Ty::Num(n) if n.unit.name.is_empty())
}

impl Sc {
    /// The scope of a joined aggregate's arguments: the fields of `src`, the type of the
    /// records that refer to the one judged, and nothing of the rule's.
    fn joined(src: usize) -> Sc {
        Sc {
            elem: Some(src),
            in_agg: true,
            ..Sc::default()
        }
    }
}

/// What an `every` counts the dates of.
enum EverySrc {
    /// The records of the group being judged.
    Group,
    /// A list field's elements (the list, its element type).
    List(Expr, usize),
    /// The records of another type that refer to the one judged (`patrol.every(…)`).
    Joined(JoinSource),
}

/// Whether a constant's value depends on how a rule counts periods: it adds a period to a date
/// (working days, or a day off it may be moved from), so it is counted where it is used.
fn counts_periods(x: &Expr) -> bool {
    let mut found = false;
    x.walk(&mut |e| found |= matches!(e.kind, ExprKind::DateAdd { .. }));
    found
}

fn is_every(name: &str) -> bool {
    name == "every" || name == "每期"
}

impl Checker {
    pub(super) fn expr(&mut self, x: &ast::Expr, sc: &Sc) -> Expr {
        let span = x.span;
        // In a grouped rule, a computed key written again (`year(paid_on)` of `grouped by county,
        // year(paid_on)`) is the group's key.
        if sc.grouped
            && !sc.fields
            && !sc.in_agg
            && sc.elem.is_none()
            && !matches!(x.kind, A::Name(_))
        {
            if let Some(i) = self.computed_key(x, sc) {
                return i;
            }
        }
        match &x.kind {
            A::Number { value, unit } => {
                let unit = match unit {
                    Some(u) => match units::lookup(u) {
                        Some(u) => u,
                        None => {
                            self.diags.push(e(
                                "E0107",
                                span,
                                format!("未知单位 `{u}`"),
                                format!("unknown unit `{u}`"),
                            ));
                            return err(span);
                        }
                    },
                    None => Unit::none(),
                };
                let Some(v) = value.checked_mul(unit.scale) else {
                    self.diags.push(e(
                        "E0002",
                        span,
                        "数字超出范围".into(),
                        "number out of range".into(),
                    ));
                    return err(span);
                };
                let int = value.fract().is_zero() && unit.scale == Decimal::ONE;
                mk(
                    ExprKind::Const(Value::Num(v)),
                    Ty::Num(NumTy { unit, int }),
                    span,
                )
            }
            // A number of weeks is a number of days (`2周` is 14 days); only `every` reads a week
            // as a calendar week.
            A::Duration {
                amount,
                unit: DurationUnit::Weeks,
            } => mk(
                ExprKind::Const(Value::Duration(
                    Decimal::from(*amount) * Decimal::from(7),
                    DurationUnit::Days,
                )),
                Ty::Duration(DurationUnit::Days),
                span,
            ),
            A::Duration { amount, unit } => mk(
                ExprKind::Const(Value::Duration(Decimal::from(*amount), *unit)),
                Ty::Duration(*unit),
                span,
            ),
            A::Str(s) => mk(
                ExprKind::Const(Value::Text(s.clone().into())),
                Ty::Text,
                span,
            ),
            A::Bool(b) => mk(ExprKind::Const(Value::Bool(*b)), Ty::Bool, span),
            A::Date(d) => mk(ExprKind::Const(Value::Date(*d)), Ty::Date, span),
            A::DateTime(d) => mk(ExprKind::Const(Value::DateTime(*d)), Ty::DateTime, span),
            A::Name(id) => self.name(id, sc, None),
            A::Neg(inner) => {
                let i = self.expr(inner, sc);
                match &i.ty {
                    Ty::Num(_) | Ty::Duration(_) | Ty::Error => {
                        let ty = i.ty.clone();
                        mk(ExprKind::Neg(Box::new(i)), ty, span)
                    }
                    other => {
                        let (zh, en) = other.describe();
                        self.diags.push(e(
                            "E0201",
                            span,
                            format!("不能对{zh}取负"),
                            format!("cannot negate {en}"),
                        ));
                        err(span)
                    }
                }
            }
            A::Arith(op, l, r) => {
                let l = self.expr(l, sc);
                let r = self.expr(r, sc);
                self.arith(*op, l, r, span)
            }
            A::Cmp { op, word, lhs, rhs } => self.cmp(*op, word, lhs, rhs, sc, span),
            A::And(xs) | A::Or(xs) => {
                let parts: Vec<Expr> = xs
                    .iter()
                    .map(|p| {
                        let p = self.expr(p, sc);
                        self.expect_bool(&p);
                        p
                    })
                    .collect();
                let kind = if matches!(x.kind, A::And(_)) {
                    ExprKind::And(parts)
                } else {
                    ExprKind::Or(parts)
                };
                mk(kind, Ty::Bool, span)
            }
            A::Not(i) => {
                let i = self.expr(i, sc);
                self.expect_bool(&i);
                mk(ExprKind::Not(Box::new(i)), Ty::Bool, span)
            }
            A::If(c, t, f) => {
                let c = self.expr(c, sc);
                self.expect_bool(&c);
                let t = self.expr(t, sc);
                let f = self.expr_expecting(f, sc, &t.ty);
                if !self.same_kind(&t.ty, &f.ty) {
                    let (a, ae) = t.ty.describe();
                    let (b, be) = f.ty.describe();
                    self.diags.push(e(
                        "E0201",
                        span,
                        format!("`if` 的两个分支类型不同：{a} 与 {b}"),
                        format!("the branches of `if` differ: {ae} and {be}"),
                    ));
                }
                let ty = match (&t.ty, &f.ty) {
                    (Ty::Error, _) => f.ty.clone(),
                    // `if urgent then 48 hours else 3 days` is in hours.
                    (Ty::Duration(a), Ty::Duration(b)) => Ty::Duration(a.finer(*b)),
                    _ => t.ty.clone(),
                };
                mk(
                    ExprKind::If(Box::new(c), Box::new(t), Box::new(f)),
                    ty,
                    span,
                )
            }
            A::By(c, d) => {
                let c = self.expr(c, sc);
                self.expect_bool(&c);
                let d = self.expr(d, sc);
                if !matches!(d.ty, Ty::Date | Ty::Error) {
                    let (zh, en) = d.ty.describe();
                    self.diags.push(e(
                        "E0201",
                        d.span,
                        format!("`by`（期限）之后应为日期，这里是{zh}"),
                        format!("`by` takes a date, found {en}"),
                    ));
                }
                mk(ExprKind::By(Box::new(c), Box::new(d)), Ty::Bool, span)
            }
            A::In(l, opts) => {
                let l = self.expr(l, sc);
                let opts: Vec<Expr> = opts
                    .iter()
                    .map(|o| self.expr_expecting(o, sc, &l.ty))
                    .collect();
                for o in &opts {
                    if !self.same_kind(&l.ty, &o.ty) {
                        let (a, ae) = l.ty.describe();
                        let (b, be) = o.ty.describe();
                        self.diags.push(e(
                            "E0201",
                            o.span,
                            format!("不能在{b}中查找{a}"),
                            format!("cannot look for {ae} among {be}"),
                        ));
                    }
                }
                mk(ExprKind::In(Box::new(l), opts), Ty::Bool, span)
            }
            A::Call { name, args, filter } if is_every(&name.name) => {
                self.every(EverySrc::Group, args, filter.as_deref(), sc, span)
            }
            A::Call { name, args, filter } => self.call(name, args, filter.as_deref(), sc, span),
            A::Method {
                receiver,
                name,
                args,
                filter,
                has_parens,
            } => {
                if let A::Name(id) = &receiver.kind {
                    if let Some(t) = self.join_source(id, sc) {
                        return self.join_agg(t, id, name, args, filter.as_deref(), sc, span);
                    }
                }
                let recv = self.expr(receiver, sc);
                if let (Some(target), false) = (self.refers_of(&recv, sc), *has_parens) {
                    return self.deref(recv, target, name, span);
                }
                let Ty::List(elem) = recv.ty else {
                    if recv.ty != Ty::Error {
                        let (zh, en) = recv.ty.describe();
                        self.diags.push(e(
                            "E0201",
                            receiver.span,
                            format!("`.{}` 只能用于列表，这里是{zh}", name.name),
                            format!("`.{}` applies to a list, found {en}", name.name),
                        ));
                    }
                    return err(span);
                };
                if is_every(&name.name) {
                    return self.every(
                        EverySrc::List(recv, elem),
                        args,
                        filter.as_deref(),
                        sc,
                        span,
                    );
                }
                let Some(kind) = AggKind::from_name(&name.name) else {
                    self.diags.push(e(
                        "E0106",
                        name.span,
                        format!("列表没有 `{}` 这种汇总", name.name),
                        format!("unknown list aggregate `{}`", name.name),
                    ));
                    return err(span);
                };
                let _ = has_parens;
                let inner = Sc {
                    elem: Some(elem),
                    ..sc.clone()
                };
                let (expr, filter, ty) =
                    self.agg_parts(kind, args, filter.as_deref(), &inner, span);
                mk(
                    ExprKind::ListAgg {
                        kind,
                        list: Box::new(recv),
                        expr: expr.map(Box::new),
                        filter: filter.map(Box::new),
                    },
                    ty,
                    span,
                )
            }
        }
    }

    /// The record type that `x`, a `ref` field (of the record, a list element, or a record
    /// read through another `ref`), names.
    fn refers_of(&self, x: &Expr, sc: &Sc) -> Option<usize> {
        let (ty, slot) = match &x.kind {
            ExprKind::Field(s) => (sc.record?, *s),
            ExprKind::Elem(s) => (sc.elem?, *s),
            ExprKind::Deref { target, slot, .. } => (*target, *slot),
            _ => return None,
        };
        self.records.get(ty)?.field(slot)?.refers
    }

    /// `site.households`: the field `name` of the `target` record that `via` names.
    fn deref(&mut self, via: Expr, target: usize, name: &ast::Ident, span: Span) -> Expr {
        let Some(rt) = self.records.get(target) else {
            return err(span);
        };
        let Some(slot) = rt.slot(&name.name) else {
            let known: Vec<String> = rt.fields.iter().map(|f| f.name.clone()).collect();
            let tname = rt.name.clone();
            let mut d = e(
                "E0103",
                name.span,
                format!("记录类型 `{tname}` 没有字段 `{}`", name.name),
                format!("the record type `{tname}` has no field `{}`", name.name),
            );
            if let Some(s) = did_you_mean(&name.name, known.iter().map(String::as_str)) {
                d = d.with_help(Msg::new(
                    format!("是否应为 `{s}`？"),
                    format!("did you mean `{s}`?"),
                ));
            }
            self.diags.push(d);
            return err(span);
        };
        let ty = rt.field(slot).map(|f| f.ty.clone()).unwrap_or(Ty::Error);
        self.refer_field(target, slot, name.span);
        mk(
            ExprKind::Deref {
                via: Box::new(via),
                target,
                slot,
            },
            ty,
            span,
        )
    }

    /// Whether `id` names a value here: a local, a field (of the element or the record), a
    /// constant.
    fn names_value(&self, id: &ast::Ident, sc: &Sc) -> bool {
        let n = id.name.as_str();
        let field_of = |r: Option<usize>| r.and_then(|r| self.records.get(r)?.slot(n)).is_some();
        sc.locals.iter().any(|(l, _)| l == n)
            || field_of(sc.elem)
            || field_of(sc.record)
            || self.const_named(n).is_some()
    }

    /// The record type a method's receiver names, when it names no local, field or constant:
    /// `household` of `household.count()` (by name or by label).
    fn join_source(&self, id: &ast::Ident, sc: &Sc) -> Option<usize> {
        let n = id.name.as_str();
        if self.names_value(id, sc) {
            return None;
        }
        self.record_named(n).or_else(|| {
            (0..self.records.len()).find(|&i| {
                self.records.get(i).is_some_and(|r| {
                    !r.element_only && r.label.as_deref() == Some(n) && self.sees(r.policy)
                })
            })
        })
    }

    /// `household.count()`, `household.sum(subsidy where …)` in a rule on each record of a
    /// type the records of `src` refer to: an aggregate over the records referring to the one
    /// judged, through their `ref` field.
    #[allow(clippy::too_many_arguments)]
    fn join_agg(
        &mut self,
        src: usize,
        id: &ast::Ident,
        name: &ast::Ident,
        args: &[ast::Expr],
        filter: Option<&ast::Expr>,
        sc: &Sc,
        span: Span,
    ) -> Expr {
        self.refer_record(src, id.span);
        let src_name = self
            .records
            .get(src)
            .map(|r| r.name.clone())
            .unwrap_or_default();
        let every = is_every(&name.name);
        let Some(kind) = AggKind::from_name(&name.name).or(every.then_some(AggKind::Dates)) else {
            self.diags.push(e(
                "E0106",
                name.span,
                format!("`{src_name}` 的记录没有 `{}` 这种汇总", name.name),
                format!(
                    "unknown aggregate `{}` over the records of `{src_name}`",
                    name.name
                ),
            ));
            return err(span);
        };
        let judged = match (sc.record, sc.fields, sc.grouped, sc.in_agg, sc.elem) {
            (Some(r), true, false, false, None) => r,
            _ => {
                self.diags.push(
                    e(
                        "E0211",
                        span,
                        format!("`{src_name}.{}` 只能用在逐条检查记录的规则中", name.name),
                        format!(
                            "`{src_name}.{}` belongs in a rule that checks one record at a time",
                            name.name
                        ),
                    )
                    .with_help(Msg::new(
                        "关联汇总对被检查的每条记录，汇总指向它的另一类记录；不能用在分组规则、汇总或列表汇总之内",
                        "a joined aggregate sums, for each record checked, the records of another type that refer to it; it cannot stand in a grouped rule, an aggregate or a list aggregate",
                    )),
                );
                return err(span);
            }
        };
        let judged_name = self
            .records
            .get(judged)
            .map(|r| r.name.clone())
            .unwrap_or_default();
        let vias: Vec<usize> = self
            .records
            .get(src)
            .map(|r| {
                r.fields
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.refers == Some(judged))
                    .map(|(i, _)| i)
                    .collect()
            })
            .unwrap_or_default();
        let via = match vias.as_slice() {
            [one] => *one,
            [] => {
                self.diags.push(
                    e(
                        "E0211",
                        id.span,
                        format!("`{src_name}` 没有关联 `{judged_name}` 的字段"),
                        format!("`{src_name}` has no field that refers to `{judged_name}`"),
                    )
                    .with_help(Msg::new(
                        format!("在 `{src_name}` 中声明一个 `ref {judged_name}` 字段，写明每条记录属于哪个 `{judged_name}`"),
                        format!("declare a field `ref {judged_name}` in `{src_name}`, naming the `{judged_name}` each record belongs to"),
                    )),
                );
                return err(span);
            }
            _ => {
                self.diags.push(e(
                    "E0211",
                    id.span,
                    format!("`{src_name}` 有多个关联 `{judged_name}` 的字段，无法确定按哪一个汇总"),
                    format!("`{src_name}` has more than one field that refers to `{judged_name}`: which one to aggregate by is not clear"),
                ));
                return err(span);
            }
        };
        let source = JoinSource {
            ty: src,
            via,
            name_span: id.span,
        };
        if every {
            return self.every(EverySrc::Joined(source), args, filter, sc, span);
        }
        let inner = Sc::joined(src);
        let (expr, filter, ty) = self.agg_parts(kind, args, filter, &inner, span);
        let idx = self.aggs.len();
        self.aggs.push(GroupAgg {
            kind,
            expr,
            filter,
            span,
            source: Some(source),
        });
        mk(ExprKind::GroupAgg(idx), ty, span)
    }

    /// Checks `x` where a value of type `want` is expected, so bare names may be enum variants.
    fn expr_expecting(&mut self, x: &ast::Expr, sc: &Sc, want: &Ty) -> Expr {
        match (&x.kind, want) {
            (A::Name(id), Ty::Enum(_)) => self.name(id, sc, Some(want)),
            (A::Str(s), Ty::Enum(def)) => match def.find(s) {
                Some(i) => mk(ExprKind::Const(Value::Enum(i)), want.clone(), x.span),
                None => {
                    self.bad_variant(def, s, x.span);
                    err(x.span)
                }
            },
            _ => self.expr(x, sc),
        }
    }

    fn bad_variant(&mut self, def: &EnumDef, name: &str, span: Span) {
        let known: Vec<&str> = def.variants.iter().map(|(n, _)| n.as_str()).collect();
        let mut d = e(
            "E0105",
            span,
            format!("`{name}` 不是该枚举的取值（可选：{}）", known.join("、")),
            format!(
                "`{name}` is not a variant of this enum (one of: {})",
                known.join(", ")
            ),
        );
        if let Some(s) = did_you_mean(name, known) {
            d = d.with_help(Msg::new(
                format!("是否应为 `{s}`？"),
                format!("did you mean `{s}`?"),
            ));
        }
        self.diags.push(d);
    }

    fn name(&mut self, id: &ast::Ident, sc: &Sc, want: Option<&Ty>) -> Expr {
        let span = id.span;
        let n = id.name.as_str();
        // Element fields shadow the record's, locals shadow fields.
        if let Some(elem) = sc.elem {
            if let Some(slot) = self.records.get(elem).and_then(|r| r.slot(n)) {
                let ty = self
                    .records
                    .get(elem)
                    .and_then(|r| r.field(slot))
                    .map(|f| f.ty.clone())
                    .unwrap_or(Ty::Error);
                self.refer_field(elem, slot, span);
                return mk(ExprKind::Elem(slot), ty, span);
            }
        }
        if !sc.in_agg {
            if let Some(i) = sc.locals.iter().rposition(|(ln, _)| ln == n) {
                let ty = sc.locals.get(i).map(|l| l.1.clone()).unwrap_or(Ty::Error);
                if let Some(&s) = sc.local_syms.get(i) {
                    self.index.refer(span, s);
                }
                return mk(ExprKind::Local(i), ty, span);
            }
        }
        if let Some(rec) = sc.record {
            if let Some(slot) = self.records.get(rec).and_then(|r| r.slot(n)) {
                let ty = self
                    .records
                    .get(rec)
                    .and_then(|r| r.field(slot))
                    .map(|f| f.ty.clone())
                    .unwrap_or(Ty::Error);
                self.refer_field(rec, slot, span);
                if sc.fields {
                    return mk(ExprKind::Field(slot), ty, span);
                }
                if let Some(i) = sc.keys.iter().position(|(k, _)| *k == Some(slot)) {
                    return mk(ExprKind::GroupKey(i), ty, span);
                }
                self.diags.push(
                    e(
                        "E0207",
                        span,
                        format!("分组规则中，字段 `{n}` 须放在汇总（如 `sum({n})`）之内"),
                        format!("in a grouped rule the field `{n}` must be inside an aggregate such as `sum({n})`"),
                    )
                    .with_help(Msg::new(
                        "分组规则对一组记录作出一个判断；只有分组字段可以直接引用",
                        "a grouped rule judges a group of records at once; only the grouping field may be named directly",
                    )),
                );
                return err(span);
            }
        }
        if let Some(c) = self.const_named(n) {
            let ty = c.expr.ty.clone();
            let found = match &c.value {
                Some(_) if counts_periods(&c.expr) => c.expr.clone(),
                Some(v) => mk(ExprKind::Const(v.clone()), ty, span),
                None => err(span),
            };
            let sym = c.sym;
            self.index.refer(span, sym);
            return found;
        }
        if let Some(Ty::Enum(def)) = want {
            return match def.find(n) {
                Some(i) => {
                    let def = def.clone();
                    self.refer_variant(&def, usize::from(i), span);
                    mk(ExprKind::Const(Value::Enum(i)), Ty::Enum(def), span)
                }
                None => {
                    let def = def.clone();
                    self.bad_variant(&def, n, span);
                    err(span)
                }
            };
        }
        let mut extra: Vec<String> = sc.locals.iter().map(|(n, _)| n.clone()).collect();
        if let Some(elem) = sc.elem {
            if let Some(r) = self.records.get(elem) {
                extra.extend(r.fields.iter().map(|f| f.name.clone()));
            }
        }
        match sc.record {
            Some(rec) => self.unknown_field(rec, n, span, &extra),
            None if self.broken.contains(n) => {}
            None => {
                extra.extend(self.visible_consts());
                let mut d = e(
                    "E0101",
                    span,
                    format!("未定义的名称 `{n}`"),
                    format!("unknown name `{n}`"),
                );
                if let Some(help) = self.declared_elsewhere(n) {
                    d = d.with_help(help);
                } else if let Some(s) = did_you_mean(n, extra.iter().map(String::as_str)) {
                    d = d.with_help(Msg::new(
                        format!("是否应为 `{s}`？"),
                        format!("did you mean `{s}`?"),
                    ));
                }
                self.diags.push(d);
            }
        }
        err(span)
    }

    fn same_kind(&self, a: &Ty, b: &Ty) -> bool {
        match (a, b) {
            (Ty::Error, _) | (_, Ty::Error) => true,
            (Ty::Num(x), Ty::Num(y)) => x.unit.dim == y.unit.dim,
            (Ty::Enum(x), Ty::Enum(y)) => x == y,
            (Ty::Duration(x), Ty::Duration(y)) => x.measure().0 == y.measure().0,
            (Ty::List(x), Ty::List(y)) => x == y,
            (Ty::Date, Ty::DateTime) | (Ty::DateTime, Ty::Date) => true,
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }

    fn unit_clash(&mut self, l: &Expr, r: &Expr, span: Span, what: (&str, &str)) {
        let (Ty::Num(a), Ty::Num(b)) = (&l.ty, &r.ty) else {
            return;
        };
        if a.unit.dim == b.unit.dim {
            return;
        }
        if is_bare_number(l) || is_bare_number(r) {
            let (num, other) = if is_bare_number(l) { (l, b) } else { (r, a) };
            let shown = match &num.kind {
                ExprKind::Const(Value::Num(n)) => n.to_string(),
                _ => String::new(),
            };
            self.diags.push(
                e(
                    "E0203",
                    num.span,
                    format!(
                        "不带单位的数 `{shown}` 不能与{}（{}）{}",
                        other.unit.dim.describe().0,
                        other.unit.name,
                        what.0
                    ),
                    format!(
                        "the bare number `{shown}` cannot be {} {} ({})",
                        what.1,
                        other.unit.dim.describe().1,
                        other.unit.name
                    ),
                )
                .with_help(Msg::new(
                    format!("写明单位，例如 `{shown} {}`", other.unit.name),
                    format!("write the unit, e.g. `{shown} {}`", other.unit.name),
                )),
            );
            return;
        }
        let (azh, aen) = l.ty.describe();
        let (bzh, ben) = r.ty.describe();
        self.diags.push(
            e(
                "E0202",
                span,
                format!("单位不相容：{azh} 不能与 {bzh} {}", what.0),
                format!("incompatible units: {aen} cannot be {} {ben}", what.1),
            )
            .with_label(l.span, Some(Msg::new(azh, aen)))
            .with_label(r.span, Some(Msg::new(bzh, ben))),
        );
    }

    fn arith(&mut self, op: ArithOp, l: Expr, r: Expr, span: Span) -> Expr {
        use ArithOp::*;
        if l.ty == Ty::Error || r.ty == Ty::Error {
            return err(span);
        }
        // `n * 1 day` is `1 day * n`.
        if op == Mul
            && matches!((&l.ty, &r.ty), (Ty::Num(n), Ty::Duration(_)) if n.unit.dim.is_none())
        {
            return self.arith(op, r, l, span);
        }
        let ty = match (&l.ty, &r.ty, op) {
            (Ty::Num(a), Ty::Num(b), Add | Sub) => {
                if a.unit.dim != b.unit.dim {
                    self.unit_clash(&l, &r, span, ("相加减", "added to"));
                    return err(span);
                }
                let unit = if a.unit.name.is_empty() || (a.unit.count && !b.unit.name.is_empty()) {
                    b.unit.clone()
                } else {
                    a.unit.clone()
                };
                Ty::Num(NumTy {
                    unit,
                    int: a.int && b.int,
                })
            }
            (Ty::Num(a), Ty::Num(b), Mul) => Ty::Num(NumTy {
                unit: a.unit.mul(&b.unit),
                int: a.int && b.int,
            }),
            (Ty::Num(a), Ty::Num(b), Div) => Ty::Num(NumTy {
                unit: a.unit.div(&b.unit),
                int: false,
            }),
            (Ty::Date | Ty::DateTime, Ty::Duration(u), Add | Sub) => {
                if l.ty == Ty::Date && *u == DurationUnit::Hours {
                    self.diags.push(
                        e(
                            "E0201",
                            span,
                            "日期不能加减小时".into(),
                            "hours cannot be added to a date".into(),
                        )
                        .with_help(Msg::new(
                            "把字段声明为 `datetime`（时间）",
                            "declare the field as `datetime`",
                        )),
                    );
                    return err(span);
                }
                if l.ty == Ty::DateTime && *u == DurationUnit::WorkingDays {
                    self.diags.push(e(
                        "E0201",
                        span,
                        "时间不能加减工作日，请先取日期".into(),
                        "working days cannot be added to a datetime".into(),
                    ));
                    return err(span);
                }
                let ty = l.ty.clone();
                return mk(
                    ExprKind::DateAdd {
                        date: Box::new(l),
                        duration: Box::new(r),
                        subtract: op == Sub,
                        deadline: false,
                    },
                    ty,
                    span,
                );
            }
            (Ty::Date, Ty::Date, Sub) => {
                return mk(
                    ExprKind::DateDiff(Box::new(l), Box::new(r)),
                    Ty::Duration(DurationUnit::Days),
                    span,
                )
            }
            (Ty::DateTime, Ty::DateTime, Sub) => {
                return mk(
                    ExprKind::DateDiff(Box::new(l), Box::new(r)),
                    Ty::Duration(DurationUnit::Hours),
                    span,
                )
            }
            // `1 day + 4 hours` is 28 hours; `1 year - 3 months` is 9 months.
            (Ty::Duration(a), Ty::Duration(b), Add | Sub) if a.measure().0 == b.measure().0 => {
                Ty::Duration(a.finer(*b))
            }
            (Ty::Duration(a), Ty::Num(n), Mul | Div) if n.unit.dim.is_none() => Ty::Duration(*a),
            // How many of one duration another is: `(closed - opened) / 1 day`, `served / 1 year`.
            (Ty::Duration(a), Ty::Duration(b), Div) if a.measure().0 == b.measure().0 => {
                Ty::plain_num()
            }
            (Ty::Duration(_), Ty::Duration(_), Div) => {
                let (azh, aen) = l.ty.describe();
                let (bzh, ben) = r.ty.describe();
                self.diags.push(
                    e(
                        "E0201",
                        span,
                        format!("{azh} 不能除以 {bzh}：两者的长度不是固定的倍数"),
                        format!(
                            "{aen} cannot be divided by {ben}: one is not a fixed multiple of the other"
                        ),
                    )
                    .with_label(l.span, Some(Msg::new(azh, aen)))
                    .with_label(r.span, Some(Msg::new(bzh, ben)))
                    .with_help(Msg::new(
                        "日、小时、周可以互除，月、年可以互除，工作日只能除以工作日",
                        "days, hours and weeks divide into each other, as months and years do; working days only by working days",
                    )),
                );
                return err(span);
            }
            _ => {
                let (azh, aen) = l.ty.describe();
                let (bzh, ben) = r.ty.describe();
                self.diags.push(
                    e(
                        "E0201",
                        span,
                        format!("不能计算 {azh} {} {bzh}", op.symbol()),
                        format!("cannot compute {aen} {} {ben}", op.symbol()),
                    )
                    .with_label(l.span, Some(Msg::new(azh, aen)))
                    .with_label(r.span, Some(Msg::new(bzh, ben))),
                );
                return err(span);
            }
        };
        mk(ExprKind::Arith(op, Box::new(l), Box::new(r)), ty, span)
    }

    fn cmp(
        &mut self,
        op: CmpOp,
        word: &str,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        sc: &Sc,
        span: Span,
    ) -> Expr {
        // A bare name that names a value (a field, a local, a constant) is checked first, so
        // that the other side may be a variant of its enum: `purpose == poverty`,
        // `poverty == purpose`, `site.mode == centralised`.
        let names_value = |x: &ast::Expr| match &x.kind {
            A::Name(id) => self.names_value(id, sc),
            _ => false,
        };
        let (l, r) = if matches!(lhs.kind, A::Name(_)) && !matches!(rhs.kind, A::Name(_)) {
            let l = self.expr(lhs, sc);
            let r = self.expr_expecting(rhs, sc, &l.ty);
            (l, r)
        } else if names_value(rhs) && !matches!(lhs.kind, A::Name(_)) {
            let r = self.expr(rhs, sc);
            let l = self.expr_expecting(lhs, sc, &r.ty);
            (l, r)
        } else {
            let l = self.expr(lhs, sc);
            let r = self.expr_expecting(rhs, sc, &l.ty);
            (l, r)
        };
        let bool_ty = Ty::Bool;
        if l.ty == Ty::Error || r.ty == Ty::Error {
            return mk(
                ExprKind::Cmp {
                    op,
                    word: word.to_string(),
                    lhs: Box::new(l),
                    rhs: Box::new(r),
                },
                bool_ty,
                span,
            );
        }
        let ordered = !matches!(op, CmpOp::Eq | CmpOp::Ne);
        let ok = match (&l.ty, &r.ty) {
            (Ty::Num(a), Ty::Num(b)) => {
                if a.unit.dim != b.unit.dim {
                    self.unit_clash(&l, &r, span, ("比较", "compared with"));
                    return err(span);
                }
                true
            }
            _ if op == CmpOp::Approx => false,
            (Ty::Date | Ty::DateTime, Ty::Date | Ty::DateTime) => true,
            // `72 hours` and `3 days` are one length of time; a month is not a number of days.
            (Ty::Duration(a), Ty::Duration(b)) => a.measure().0 == b.measure().0,
            (Ty::Text, Ty::Text) | (Ty::Bool, Ty::Bool) => !ordered,
            (Ty::Enum(a), Ty::Enum(b)) => a == b && !ordered,
            _ => false,
        };
        if !ok {
            let (azh, aen) = l.ty.describe();
            let (bzh, ben) = r.ty.describe();
            let mut d = e(
                "E0201",
                span,
                format!("不能用 `{word}` 比较{azh}与{bzh}"),
                format!("cannot compare {aen} with {ben} using `{word}`"),
            )
            .with_label(l.span, Some(Msg::new(azh, aen)))
            .with_label(r.span, Some(Msg::new(bzh, ben)));
            if matches!((&l.ty, &r.ty), (Ty::Duration(_), Ty::Duration(_))) {
                d = d.with_help(Msg::new(
                    "月、年和工作日没有固定的日数：把期限写在日期上，如 `closed_on <= received_on + 3 working days`",
                    "months, years and working days are not a fixed number of days: add the period to the date, as in `closed_on <= received_on + 3 working days`",
                ));
            }
            self.diags.push(d);
            return err(span);
        }
        mk(
            ExprKind::Cmp {
                op,
                word: word.to_string(),
                lhs: Box::new(l),
                rhs: Box::new(r),
            },
            bool_ty,
            span,
        )
    }

    fn call(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Expr],
        filter: Option<&ast::Expr>,
        sc: &Sc,
        span: Span,
    ) -> Expr {
        let n = name.name.as_str();
        let agg = AggKind::from_name(n);
        let builtin = Builtin::from_name(n);
        // `min(a, b)` with two or more arguments is the scalar function; with one it aggregates.
        let is_agg = match (agg, builtin) {
            (Some(_), Some(_)) => args.len() <= 1,
            (Some(_), None) => true,
            _ => false,
        };
        if is_agg {
            let Some(kind) = agg else { return err(span) };
            if !sc.grouped || sc.in_agg {
                let msg = if sc.in_agg {
                    e(
                        "E0206",
                        span,
                        "汇总不能嵌套".into(),
                        "aggregates cannot be nested".into(),
                    )
                } else {
                    e(
                        "E0206",
                        span,
                        format!("`{n}` 汇总一组记录，但此规则逐条检查记录"),
                        format!("`{n}` aggregates a group of records, but this rule checks one record at a time"),
                    )
                    .with_help(Msg::new(
                        "用 `applies to R grouped by 字段` 或 `applies to all R` 检查一组记录，或对列表字段写 `列表.sum(…)`",
                        "use `applies to R grouped by FIELD` or `applies to all R`, or `list.sum(…)` over a list field",
                    ))
                };
                self.diags.push(msg);
                return err(span);
            }
            let inner = Sc {
                fields: true,
                in_agg: true,
                ..sc.clone()
            };
            let (expr, filter, ty) = self.agg_parts(kind, args, filter, &inner, span);
            let idx = self.aggs.len();
            self.aggs.push(GroupAgg {
                kind,
                expr,
                filter,
                span,
                source: None,
            });
            return mk(ExprKind::GroupAgg(idx), ty, span);
        }
        let Some(b) = builtin else {
            let known = [
                "present",
                "round",
                "abs",
                "min",
                "max",
                "month_end",
                "year_end",
                "year",
                "month",
                "contains",
                "working_days_between",
                "age",
                "date",
                "floor",
                "ceil",
                "sum",
                "count",
                "avg",
                "all",
                "any",
                "distinct",
            ];
            let mut d = e(
                "E0106",
                name.span,
                format!("未知函数 `{n}`"),
                format!("unknown function `{n}`"),
            );
            if let Some(s) = did_you_mean(n, known) {
                d = d.with_help(Msg::new(
                    format!("是否应为 `{s}`？"),
                    format!("did you mean `{s}`?"),
                ));
            }
            self.diags.push(d);
            return err(span);
        };
        if filter.is_some() {
            self.diags.push(e(
                "E0205",
                span,
                format!("`{n}` 不接受 `where`"),
                format!("`{n}` takes no `where`"),
            ));
        }
        let xs: Vec<Expr> = args.iter().map(|a| self.expr(a, sc)).collect();
        let arity = |k: usize| xs.len() == k;
        let want = match b {
            Builtin::Present
            | Builtin::Abs
            | Builtin::MonthEnd
            | Builtin::YearEnd
            | Builtin::Year
            | Builtin::Month
            | Builtin::Week
            | Builtin::Floor
            | Builtin::Ceil => arity(1),
            Builtin::Round | Builtin::Contains | Builtin::WorkingDaysBetween | Builtin::Age => {
                arity(2)
            }
            Builtin::Date => arity(1) || arity(3),
            Builtin::AsOf => arity(0),
            Builtin::Min | Builtin::Max => xs.len() >= 2,
        };
        if !want {
            self.diags.push(e(
                "E0205",
                span,
                format!("`{n}` 的参数个数不对"),
                format!("wrong number of arguments to `{n}`"),
            ));
            return err(span);
        }
        if xs.iter().any(|x| x.ty == Ty::Error) {
            return err(span);
        }
        if b == Builtin::AsOf {
            return mk(ExprKind::Call(b, xs), Ty::Date, span);
        }
        let Some(x0) = xs.first().cloned() else {
            return err(span);
        };
        let first = x0.ty.clone();
        let bad = |c: &mut Checker, x: &Expr, zh: &str, en: &str| {
            let (tz, te) = x.ty.describe();
            c.diags.push(e(
                "E0201",
                x.span,
                format!("`{n}` 需要{zh}，这里是{tz}"),
                format!("`{n}` needs {en}, found {te}"),
            ));
            err(span)
        };
        let ty = match b {
            Builtin::Present => {
                if let Some(x) = xs.first() {
                    if !matches!(
                        x.kind,
                        ExprKind::Field(_) | ExprKind::Elem(_) | ExprKind::Local(_)
                    ) {
                        return bad(self, x, "一个字段", "a field");
                    }
                }
                Ty::Bool
            }
            Builtin::Abs => match &first {
                Ty::Num(_) | Ty::Duration(_) => first.clone(),
                _ => return bad(self, &x0, "数", "a number"),
            },
            Builtin::Round => {
                let places_ok = matches!(xs.get(1).map(|x| (&x.kind, &x.ty)), Some((ExprKind::Const(Value::Num(_)), Ty::Num(n))) if n.int && n.unit.name.is_empty());
                if !matches!(first, Ty::Num(_)) {
                    return bad(self, &x0, "数", "a number");
                }
                if !places_ok {
                    if let Some(x) = xs.get(1) {
                        return bad(
                            self,
                            x,
                            "整数位数（如 2）",
                            "a whole number of places (e.g. 2)",
                        );
                    }
                }
                first.clone()
            }
            Builtin::Min | Builtin::Max => {
                for x in xs.iter().skip(1) {
                    if !self.same_kind(&first, &x.ty) {
                        return bad(
                            self,
                            x,
                            "与第一个参数同类的值",
                            "a value of the same kind as the first",
                        );
                    }
                }
                if !matches!(
                    first,
                    Ty::Num(_) | Ty::Date | Ty::DateTime | Ty::Duration(_)
                ) {
                    return bad(self, &x0, "可比较大小的值", "an ordered value");
                }
                match first {
                    Ty::Duration(u) => Ty::Duration(xs.iter().fold(u, |u, x| match x.ty {
                        Ty::Duration(v) => u.finer(v),
                        _ => u,
                    })),
                    _ => first.clone(),
                }
            }
            Builtin::MonthEnd | Builtin::YearEnd => {
                if first != Ty::Date {
                    return bad(self, &x0, "日期", "a date");
                }
                Ty::Date
            }
            Builtin::Week => {
                if !matches!(first, Ty::Date | Ty::DateTime) {
                    return bad(self, &x0, "日期", "a date");
                }
                Ty::Date
            }
            Builtin::Year | Builtin::Month => {
                if !matches!(first, Ty::Date | Ty::DateTime) {
                    return bad(self, &x0, "日期", "a date");
                }
                Ty::Num(NumTy {
                    unit: Unit::none(),
                    int: true,
                })
            }
            Builtin::Contains => {
                for x in &xs {
                    if x.ty != Ty::Text {
                        return bad(self, x, "文本", "text");
                    }
                }
                Ty::Bool
            }
            Builtin::WorkingDaysBetween => {
                for x in &xs {
                    if x.ty != Ty::Date {
                        return bad(self, x, "日期", "a date");
                    }
                }
                Ty::Duration(DurationUnit::WorkingDays)
            }
            Builtin::AsOf => Ty::Date,
            Builtin::Age => {
                for x in &xs {
                    if !matches!(x.ty, Ty::Date | Ty::DateTime) {
                        return bad(self, x, "日期", "a date");
                    }
                }
                Ty::Num(NumTy {
                    unit: Unit::none(),
                    int: true,
                })
            }
            Builtin::Date if xs.len() == 1 => {
                if !matches!(first, Ty::Date | Ty::DateTime) {
                    return bad(self, &x0, "时间或日期", "a datetime or a date");
                }
                Ty::Date
            }
            Builtin::Date => {
                for x in &xs {
                    if !matches!(&x.ty, Ty::Num(n) if n.unit.name.is_empty()) {
                        return bad(
                            self,
                            x,
                            "年、月、日的数",
                            "a number of a year, month or day",
                        );
                    }
                }
                Ty::Date
            }
            // A whole number of the unit the value is held in: of a unit that scales (万元,
            // %) that would not be a whole number of the unit written, so it is refused.
            Builtin::Floor | Builtin::Ceil => match &first {
                Ty::Num(n) if n.unit.scale == Decimal::ONE => Ty::Num(NumTy {
                    unit: n.unit.clone(),
                    int: true,
                }),
                _ => {
                    return bad(
                        self,
                        &x0,
                        "不带单位或以基本单位（元、人、平方米）计的数",
                        "a number without a unit, or in a base unit (元, 人, m²)",
                    )
                }
            },
        };
        mk(ExprKind::Call(b, xs), ty, span)
    }

    /// `every(PERIOD, DATE, FROM, TO [, MIN] [where C])` over a group, or `list.every(…)` over a
    /// list field: at least MIN (one unless said) records dated in every period between FROM and TO.
    fn every(
        &mut self,
        list: EverySrc,
        args: &[ast::Expr],
        filter: Option<&ast::Expr>,
        sc: &Sc,
        span: Span,
    ) -> Expr {
        let usage = Msg::new(
            "写成 `every(1个月, 日期字段, 起始日期, 截止日期)`，每期不止一次时加第五个参数 `every(1周, 日期字段, 起始日期, 截止日期, 4)`，可加 `where 条件`",
            "write `every(1 month, DATE_FIELD, FROM, TO)`, with a fifth argument for more than one a period (`every(1 week, DATE_FIELD, FROM, TO, 4)`), optionally with `where CONDITION`",
        );
        let (Some(p), Some(d), Some(f), Some(t), true) = (
            args.first(),
            args.get(1),
            args.get(2),
            args.get(3),
            args.len() == 4 || args.len() == 5,
        ) else {
            self.diags.push(
                e(
                    "E0205",
                    span,
                    "`every` 需要四个参数（或五个：第五个是每期至少几次）".into(),
                    "`every` takes four arguments (or five: the fifth is how many a period at least)".into(),
                )
                .with_help(usage),
            );
            return err(span);
        };
        let min = match args.get(4) {
            None => 1,
            Some(m) => match &m.kind {
                A::Number { value, unit }
                    if value.fract().is_zero()
                        && *value >= Decimal::ONE
                        && unit.as_deref().is_none_or(|u| u == "次" || u == "人次")
                        && rust_decimal::prelude::ToPrimitive::to_u32(value).is_some() =>
                {
                    rust_decimal::prelude::ToPrimitive::to_u32(value).unwrap_or(1)
                }
                _ => {
                    self.diags.push(
                        e(
                            "E0205",
                            m.span,
                            "`every` 的第五个参数是每期至少几次，应写成正整数，如 `4` 或 `4次`".into(),
                            "the fifth argument of `every` is how many a period at least, a whole number such as `4`".into(),
                        )
                        .with_help(usage),
                    );
                    return err(span);
                }
            },
        };
        let (amount, unit) = match &p.kind {
            A::Duration { amount, unit }
                if *amount > 0
                    && matches!(
                        unit,
                        DurationUnit::Days
                            | DurationUnit::Weeks
                            | DurationUnit::Months
                            | DurationUnit::Years
                    ) =>
            {
                (*amount, *unit)
            }
            _ => {
                self.diags.push(
                    e(
                        "E0205",
                        p.span,
                        "`every` 的第一个参数应为周期，如 `1周`、`1个月`、`3个月`、`1年`、`7日`".into(),
                        "the first argument of `every` is a period such as `1 week`, `1 month`, `3 months`, `1 year`, `7 days`".into(),
                    )
                    .with_help(usage),
                );
                return err(span);
            }
        };
        if matches!(list, EverySrc::Group) && (!sc.grouped || sc.in_agg) {
            self.diags.push(
                e(
                    "E0206",
                    span,
                    "`every` 汇总一组记录，但此规则逐条检查记录".into(),
                    "`every` looks at a group of records, but this rule checks one record at a time".into(),
                )
                .with_help(Msg::new(
                    "用 `applies to R grouped by 字段`，或对列表字段写 `列表.every(…)`",
                    "use `applies to R grouped by FIELD`, or `list.every(…)` over a list field",
                )),
            );
            return err(span);
        }
        let inner = match &list {
            EverySrc::List(_, elem) => Sc {
                elem: Some(*elem),
                ..sc.clone()
            },
            EverySrc::Joined(src) => Sc::joined(src.ty),
            EverySrc::Group => Sc {
                fields: true,
                in_agg: true,
                ..sc.clone()
            },
        };
        let date = self.expr(d, &inner);
        if !matches!(date.ty, Ty::Date | Ty::DateTime | Ty::Error) {
            let (zh, en) = date.ty.describe();
            self.diags.push(e(
                "E0201",
                d.span,
                format!("`every` 的第二个参数应为日期，这里是{zh}"),
                format!("the second argument of `every` is a date, found {en}"),
            ));
        }
        let filt = filter.map(|x| {
            let x = self.expr(x, &inner);
            self.expect_bool(&x);
            x
        });
        let from = self.expr(f, sc);
        let to = self.expr(t, sc);
        for x in [&from, &to] {
            if !matches!(x.ty, Ty::Date | Ty::Error) {
                let (zh, en) = x.ty.describe();
                self.diags.push(e(
                    "E0201",
                    x.span,
                    format!("起止应为日期，这里是{zh}"),
                    format!("FROM and TO are dates, found {en}"),
                ));
            }
        }
        let dates = match list {
            EverySrc::List(recv, _) => mk(
                ExprKind::ListAgg {
                    kind: AggKind::Dates,
                    list: Box::new(recv),
                    expr: Some(Box::new(date)),
                    filter: filt.map(Box::new),
                },
                Ty::Dates,
                span,
            ),
            EverySrc::Group | EverySrc::Joined(_) => {
                let source = match list {
                    EverySrc::Joined(src) => Some(src),
                    _ => None,
                };
                let idx = self.aggs.len();
                self.aggs.push(GroupAgg {
                    kind: AggKind::Dates,
                    expr: Some(date),
                    filter: filt,
                    span,
                    source,
                });
                mk(ExprKind::GroupAgg(idx), Ty::Dates, span)
            }
        };
        mk(
            ExprKind::Every {
                dates: Box::new(dates),
                amount,
                unit,
                from: Box::new(from),
                to: Box::new(to),
                min,
            },
            Ty::Bool,
            span,
        )
    }

    fn agg_parts(
        &mut self,
        kind: AggKind,
        args: &[ast::Expr],
        filter: Option<&ast::Expr>,
        sc: &Sc,
        span: Span,
    ) -> (Option<Expr>, Option<Expr>, Ty) {
        let filter = filter.map(|f| {
            let f = self.expr(f, sc);
            self.expect_bool(&f);
            f
        });
        let needs_arg = !matches!(kind, AggKind::Count);
        if args.len() > 1 || (needs_arg && args.is_empty()) {
            self.diags.push(e(
                "E0205",
                span,
                format!("`{}` 需要且只需要一个参数", kind.name()),
                format!("`{}` takes exactly one argument", kind.name()),
            ));
            return (None, filter, Ty::Error);
        }
        let expr = args.first().map(|a| self.expr(a, sc));
        let ty = match (kind, &expr) {
            (AggKind::Count, None) => Ty::Num(NumTy {
                unit: Unit::none(),
                int: true,
            }),
            (AggKind::Count, Some(x)) => {
                // `count(c)` counts the records where `c` holds.
                self.expect_bool(x);
                Ty::Num(NumTy {
                    unit: Unit::none(),
                    int: true,
                })
            }
            (AggKind::Distinct, Some(_)) => Ty::Num(NumTy {
                unit: Unit::none(),
                int: true,
            }),
            (AggKind::All | AggKind::Any, Some(x)) => {
                self.expect_bool(x);
                Ty::Bool
            }
            (AggKind::Sum | AggKind::Avg, Some(x)) => match &x.ty {
                Ty::Num(n) => Ty::Num(NumTy {
                    unit: n.unit.clone(),
                    int: n.int && kind == AggKind::Sum,
                }),
                Ty::Duration(_) | Ty::Error => x.ty.clone(),
                other => {
                    let (zh, en) = other.describe();
                    self.diags.push(e(
                        "E0201",
                        x.span,
                        format!("不能对{zh}求和或求平均"),
                        format!("cannot sum or average {en}"),
                    ));
                    Ty::Error
                }
            },
            (AggKind::Min | AggKind::Max, Some(x)) => match &x.ty {
                Ty::Num(_) | Ty::Date | Ty::DateTime | Ty::Duration(_) | Ty::Error => x.ty.clone(),
                other => {
                    let (zh, en) = other.describe();
                    self.diags.push(e(
                        "E0201",
                        x.span,
                        format!("{zh}没有大小之分"),
                        format!("{en} has no order"),
                    ));
                    Ty::Error
                }
            },
            _ => Ty::Error,
        };
        (expr, filter, ty)
    }
}

impl Checker {
    /// `x` as the group key it writes again, if it is one of `sc`'s computed keys: typed as
    /// the key is, by lowering it over the record once.
    fn computed_key(&mut self, x: &ast::Expr, sc: &Sc) -> Option<Expr> {
        if !sc.keys.iter().any(|(slot, _)| slot.is_none()) {
            return None;
        }
        let text = squeeze(self.sources.text(x.span.source).get(x.span.range())?);
        let i = sc
            .keys
            .iter()
            .position(|(slot, t)| slot.is_none() && *t == text)?;
        let record_sc = Sc {
            record: sc.record,
            fields: true,
            ..Sc::default()
        };
        // The key was lowered without error when the rule's scope was made: the same again, its
        // diagnostics (none) dropped.
        let n = self.diags.len();
        let ty = self.expr(x, &record_sc).ty;
        self.diags.truncate(n);
        Some(mk(ExprKind::GroupKey(i), ty, x.span))
    }

    /// What a report calls a group key: a field's label, a function of fields in words
    /// (`年份(拨付日期)`), else the key as written.
    pub(super) fn key_label(&self, record: usize, x: &Expr, text: &str) -> (String, String) {
        let rt = self.records.get(record);
        let field = |s: usize| rt.and_then(|r| r.field(s));
        match &x.kind {
            ExprKind::Field(s) => match field(*s) {
                Some(f) => (
                    f.label.clone().unwrap_or_else(|| f.name.clone()),
                    f.name.clone(),
                ),
                None => (text.to_string(), text.to_string()),
            },
            ExprKind::Call(b, args) => {
                let parts: Vec<(String, String)> = args
                    .iter()
                    .map(|a| self.key_label(record, a, text))
                    .collect();
                let zh: Vec<&str> = parts.iter().map(|p| p.0.as_str()).collect();
                let en: Vec<&str> = parts.iter().map(|p| p.1.as_str()).collect();
                (
                    format!("{}({})", b.zh_name(), zh.join("，")),
                    format!("{}({})", b.name(), en.join(", ")),
                )
            }
            _ => (text.to_string(), text.to_string()),
        }
    }
}

/// `s` with its white space removed: two writings of one expression compare equal.
pub(super) fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}
