//! Explanations of findings: the numbers that decided them, in both languages. Built only for findings.

use super::{date_add, eval, Env, Halt, PendingKind, UnknownReason, R};
use crate::check::ir::*;
use crate::diag::{cat, Lang, Msg};
use crate::value::Value;
use crate::vocab::{CmpOp, Outcome};
use rust_decimal::{Decimal, RoundingStrategy};

/// Why a rule ended as it did, for one record or group.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The rule's message with its holes filled (or a default).
    pub message: Msg,
    /// One line per requirement that decided the outcome, with its numbers.
    pub reasons: Vec<Msg>,
    /// Named values that decided it: (name, value) in both languages.
    pub values: Vec<(String, Msg)>,
    /// Record slots that decided it, for pointing at the data.
    pub fields: Vec<usize>,
    /// What was missing or unreadable, for unknown outcomes.
    pub unknown: Option<Msg>,
    /// The deadline, for pending outcomes.
    pub pending: Option<Msg>,
    /// Every let, requirement and exception with its value, for `--explain`.
    pub trace: Vec<Msg>,
    /// Spans in the policy of the requirements (or condition) that decided it.
    pub spans: Vec<crate::source::Span>,
}

fn both(f: impl Fn(Lang) -> String) -> Msg {
    Msg::new(f(Lang::Zh), f(Lang::En))
}

/// A value in both languages; formatted once where both read the same (numbers, text, dates).
fn value_both(v: &Value, ty: &Ty) -> Msg {
    match v {
        Value::Num(_)
        | Value::Text(_)
        | Value::Invalid(_)
        | Value::Date(_)
        | Value::DateTime(_) => {
            let s = format_value(v, ty, Lang::Zh);
            Msg::new(s.clone(), s)
        }
        _ => both(|l| format_value(v, ty, l)),
    }
}

/// Shows a value in the unit of its type.
pub fn format_value(v: &Value, ty: &Ty, lang: Lang) -> String {
    match v {
        Value::Missing => match lang {
            Lang::Zh => "（缺失）".into(),
            Lang::En => "(missing)".into(),
        },
        Value::Invalid(iv) => format!("`{}`", iv.raw),
        Value::Text(t) => t.to_string(),
        Value::Num(n) => match ty {
            Ty::Num(nt) => format_num(*n, &nt.unit),
            _ => format_decimal(*n),
        },
        Value::Bool(b) => match (lang, b) {
            (Lang::Zh, true) => "是".into(),
            (Lang::Zh, false) => "否".into(),
            (Lang::En, true) => "true".into(),
            (Lang::En, false) => "false".into(),
        },
        Value::Date(d) => d.to_string(),
        Value::DateTime(d) => d.format("%Y-%m-%d %H:%M").to_string(),
        Value::Enum(i) => match ty {
            Ty::Enum(def) => match lang {
                Lang::Zh => def.label(*i).to_string(),
                Lang::En => def.name(*i).to_string(),
            },
            _ => i.to_string(),
        },
        Value::Duration(n, u) => {
            let (zh, en) = duration_unit_names(*u);
            match lang {
                Lang::Zh => format!("{}{zh}", format_decimal(*n)),
                Lang::En => format!("{} {en}", format_decimal(*n)),
            }
        }
        Value::Dates(d) => match lang {
            Lang::Zh => format!("{} 个日期", d.len()),
            Lang::En => format!("{} dates", d.len()),
        },
        Value::List(items) => match lang {
            Lang::Zh => format!("{} 项", items.len()),
            Lang::En => format!("{} items", items.len()),
        },
    }
}

/// An exact decimal, shortened to six places with `…` only when it does not terminate sooner.
pub fn format_decimal(n: Decimal) -> String {
    let n = n.normalize();
    if n.scale() > 6 {
        let r = n
            .round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)
            .normalize();
        format!("{r}…")
    } else {
        n.to_string()
    }
}

pub fn format_num(n: Decimal, unit: &crate::check::units::Unit) -> String {
    if unit.name.is_empty() {
        return format_decimal(n);
    }
    // A figure too large to show in a unit smaller than the base unit is shown in the base unit.
    let Some(shown) = (if unit.scale.is_zero() {
        Some(n)
    } else {
        n.checked_div(unit.scale)
    }) else {
        return format_decimal(n);
    };
    let num = if unit.is_percent() {
        // Percentages show two places at most, since 69.23% is how documents print them.
        let s = shown.normalize();
        if s.scale() > 4 {
            format!(
                "{}…",
                s.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
                    .normalize()
            )
        } else {
            s.to_string()
        }
    } else {
        format_decimal(shown)
    };
    let spaced = unit
        .name
        .chars()
        .next()
        .map(|c| c.is_ascii_alphabetic())
        .unwrap_or(false);
    if spaced {
        cat(&[&num, " ", &unit.name])
    } else {
        cat(&[&num, &unit.name])
    }
}

struct Render<'e, 'a> {
    env: &'e Env<'a>,
    values: Vec<(String, Msg)>,
    fields: Vec<usize>,
    /// The side of a comparison with a percentage whose plain ratio is shown as a percentage.
    percent_for: Option<crate::source::Span>,
}

fn is_plain(ty: &Ty) -> bool {
    matches!(ty, Ty::Num(n) if n.unit.name.is_empty())
}

fn is_percent(ty: &Ty) -> bool {
    matches!(ty, Ty::Num(n) if n.unit.is_percent())
}

fn percent_unit() -> crate::check::units::Unit {
    crate::check::units::lookup("%").unwrap_or_else(crate::check::units::Unit::none)
}

impl Render<'_, '_> {
    fn note_value(&mut self, name: String, v: Msg) {
        if !self.values.iter().any(|(n, _)| *n == name) {
            self.values.push((name, v));
        }
    }

    fn source_text(&self, x: &Expr) -> String {
        let text = self.env.program.sources.text(x.span.source);
        text.get(x.span.range()).unwrap_or("").trim().to_string()
    }

    /// An expression's source as each language's report says it: in Chinese, its fields by
    /// their labels, its choices by their labels and its functions by their Chinese names
    /// (`有值(一户一策帮扶措施)`, not `present(exit_measures)`); in English as written.
    fn source_msg(&self, x: &Expr) -> Msg {
        let en = self.source_text(x);
        let text = self.env.program.sources.text(x.span.source);
        let Some(whole) = text.get(x.span.range()) else {
            return Msg::new(en.clone(), en);
        };
        let base = x.span.range().start;
        let mut swaps: Vec<(std::ops::Range<usize>, String)> = Vec::new();
        let rule_record = self.env.rule.record;
        x.walk(&mut |e| {
            let r = e.span.range();
            let (Some(from), Some(to)) = (r.start.checked_sub(base), r.end.checked_sub(base))
            else {
                return;
            };
            match &e.kind {
                ExprKind::Field(slot) => {
                    swaps.push((from..to, self.field_name(rule_record, *slot).0));
                }
                ExprKind::Const(Value::Enum(i)) => {
                    if let Ty::Enum(def) = &e.ty {
                        swaps.push((from..to, def.label(*i).to_string()));
                    }
                }
                // A joined aggregate (`household.count(where …)`): the type by its label, the
                // aggregate by its Chinese name, the referring records' fields by their labels.
                ExprKind::GroupAgg(i) => {
                    let Some(agg) = self.env.rule.aggs.get(*i) else {
                        return;
                    };
                    let at = |r: std::ops::Range<usize>| {
                        Some(r.start.checked_sub(base)?..r.end.checked_sub(base)?)
                    };
                    let src = agg.source.as_ref();
                    match src {
                        Some(src) => {
                            let Some(name) = at(src.name_span.range()) else {
                                return;
                            };
                            let rt = self.env.program.records.get(src.ty);
                            if let Some(rt) = rt {
                                swaps.push((name.clone(), rt.display_name().to_string()));
                            }
                            let written = whole.get(name.end..to).unwrap_or_default();
                            if let (Some(dot), Some(paren)) = (written.find('.'), written.find('('))
                            {
                                if dot < paren {
                                    let m = name.end + dot + 1..name.end + paren;
                                    swaps.push((m, agg.kind.zh_name().to_string()));
                                }
                            }
                        }
                        // A group's own aggregate (`sum(amount)`): its Chinese name.
                        None => {
                            let written = whole.get(from..to).unwrap_or_default();
                            let name_len = written.find('(').unwrap_or(0);
                            if name_len > 0 && !written.starts_with('(') {
                                swaps.push((from..from + name_len, agg.kind.zh_name().to_string()));
                            }
                        }
                    }
                    // `where` said as the Chinese keyword.
                    if let Some(fs) = agg.filter.as_ref().and_then(|f| at(f.span.range())) {
                        let before = whole.get(..fs.start).unwrap_or_default().trim_end();
                        if before.ends_with("where") {
                            swaps.push((before.len() - 5..before.len(), "当".to_string()));
                        }
                    }
                    for x in agg.expr.iter().chain(&agg.filter) {
                        x.walk(&mut |e| {
                            let Some(r) = at(e.span.range()) else { return };
                            match (&e.kind, &e.ty, src) {
                                (ExprKind::Elem(slot), _, Some(src)) => {
                                    swaps.push((r, self.field_name(src.ty, *slot).0));
                                }
                                (ExprKind::Field(slot), _, None) => {
                                    swaps.push((r, self.field_name(rule_record, *slot).0));
                                }
                                (ExprKind::Const(Value::Enum(i)), Ty::Enum(def), _) => {
                                    swaps.push((r, def.label(*i).to_string()));
                                }
                                _ => {}
                            }
                        });
                    }
                }
                ExprKind::Call(b, _) => {
                    let written = whole.get(from..to).unwrap_or_default();
                    let name_len = written.find('(').unwrap_or(0);
                    if name_len > 0 {
                        swaps.push((from..from + name_len, b.zh_name().to_string()));
                    }
                }
                _ => {}
            }
        });
        swaps.sort_by_key(|(r, _)| r.start);
        let mut zh = String::new();
        let mut at = 0;
        for (r, with) in swaps {
            // Overlapping swaps (a field named inside a swapped name) keep the first.
            if r.start < at {
                continue;
            }
            zh.push_str(whole.get(at..r.start).unwrap_or_default());
            zh.push_str(&with);
            at = r.end;
        }
        zh.push_str(whole.get(at..).unwrap_or_default());
        Msg::new(zh.trim().to_string(), en)
    }

    /// The label of the date an `every` counts (`巡查日期`).
    fn dates_label(&self, dates: &Expr) -> String {
        let env = self.env;
        let field = match &dates.kind {
            ExprKind::GroupAgg(i) => env
                .rule
                .aggs
                .get(*i)
                .and_then(|a| a.expr.as_ref())
                .and_then(|x| match (&x.kind, &a_source(env, *i)) {
                    (ExprKind::Field(s), None) => Some((env.rule.record, *s)),
                    (ExprKind::Elem(s), Some(ty)) => Some((*ty, *s)),
                    _ => None,
                }),
            ExprKind::ListAgg { list, expr, .. } => match (&list.ty, expr.as_deref()) {
                (
                    Ty::List(ty),
                    Some(Expr {
                        kind: ExprKind::Elem(s),
                        ..
                    }),
                ) => Some((*ty, *s)),
                _ => None,
            },
            _ => None,
        };
        match field {
            Some((ty, slot)) => self.field_name(ty, slot).0,
            None => self.source_msg(dates).zh,
        }
    }

    fn field_name(&self, ty: usize, slot: usize) -> (String, String) {
        let f = self.env.program.records.get(ty).and_then(|r| r.field(slot));
        match f {
            Some(f) => (
                f.label.clone().unwrap_or_else(|| f.name.clone()),
                f.name.clone(),
            ),
            None => ("?".into(), "?".into()),
        }
    }

    /// The value of node `x` itself, as a percentage when it is the ratio side of a comparison with one.
    fn value_msg_at(&self, r: &R, x: &Expr) -> Msg {
        match r {
            Ok(Value::Num(n)) if self.percent_for == Some(x.span) && is_plain(&x.ty) => {
                let s = format_num(*n, &percent_unit());
                Msg::new(s.clone(), s)
            }
            _ => self.value_msg(r, &x.ty),
        }
    }

    fn value_msg(&self, r: &R, ty: &Ty) -> Msg {
        match r {
            Ok(v) => value_both(v, ty),
            Err(Halt::NotYet { .. }) => Msg::new("（尚未发生）", "(not yet)"),
            Err(Halt::Pending(_)) => Msg::new("（待定）", "(pending)"),
            Err(Halt::Unknown(u)) => match &u.reason {
                UnknownReason::Invalid { raw, .. } => both(|l| match l {
                    Lang::Zh => format!("`{raw}`（无法读取）"),
                    Lang::En => format!("`{raw}` (unreadable)"),
                }),
                UnknownReason::NoSuchRecord { target, key } => Msg::new(
                    format!("（没有{target} `{key}`）"),
                    format!("(no {target} `{key}`)"),
                ),
                UnknownReason::NoRecords { of } => {
                    Msg::new(format!("（没有{of}记录）"), format!("(no {of} records)"))
                }
                UnknownReason::TwoRecords { target, key } => Msg::new(
                    format!("（{target} `{key}` 不止一条）"),
                    format!("(more than one {target} `{key}`)"),
                ),
                _ => Msg::new("（缺失）", "(missing)"),
            },
        }
    }

    /// Renders an expression with the values of its parts.
    fn render(&mut self, x: &Expr) -> Msg {
        let env = self.env;
        match &x.kind {
            ExprKind::Const(v) => value_both(v, &x.ty),
            ExprKind::Field(slot) => {
                let (zh, en) = self.field_name(env.rule.record, *slot);
                self.fields.push(*slot);
                let v = self.value_msg_at(&eval(x, env), x);
                self.note_value(en.clone(), v.clone());
                Msg::new(cat(&[&zh, " ", &v.zh]), cat(&[&en, " ", &v.en]))
            }
            // `site.households`: the record's own field named, then the other record's.
            ExprKind::Deref { via, target, slot } => {
                let (vzh, _) = match &via.kind {
                    ExprKind::Field(s) => {
                        self.fields.push(*s);
                        self.field_name(env.rule.record, *s)
                    }
                    ExprKind::Elem(s) => self.field_name(env.elem.map_or(usize::MAX, |e| e.1), *s),
                    _ => (self.source_msg(via).zh, String::new()),
                };
                let (fzh, _) = self.field_name(*target, *slot);
                let en = self.source_text(x);
                let v = self.value_msg_at(&eval(x, env), x);
                self.note_value(en.clone(), v.clone());
                Msg::new(cat(&[&vzh, ".", &fzh, " ", &v.zh]), cat(&[&en, " ", &v.en]))
            }
            ExprKind::Elem(slot) => {
                let ty = env.elem.map(|e| e.1).unwrap_or(usize::MAX);
                let (zh, en) = self.field_name(ty, *slot);
                let v = self.value_msg_at(&eval(x, env), x);
                Msg::new(format!("{zh} {}", v.zh), format!("{en} {}", v.en))
            }
            ExprKind::Local(i) => match env.rule.lets.get(*i) {
                Some(l) => {
                    if self.percent_for == Some(x.span) {
                        self.percent_for = Some(l.expr.span);
                    }
                    let inner = self.render(&l.expr);
                    let v = self.value_msg_at(&eval(x, env), x);
                    self.note_value(l.name.clone(), v);
                    inner
                }
                None => Msg::new("?", "?"),
            },
            ExprKind::GroupKey(_) => {
                let v = self.value_msg_at(&eval(x, env), x);
                let name = self.source_text(x);
                let said = self.source_msg(x);
                self.note_value(name.clone(), v.clone());
                Msg::new(format!("{} {}", said.zh, v.zh), format!("{name} {}", v.en))
            }
            ExprKind::GroupAgg(_)
            | ExprKind::ListAgg { .. }
            | ExprKind::Call(..)
            | ExprKind::DateDiff(..) => {
                let text = self.source_text(x);
                let said = self.source_msg(x);
                let v = self.value_msg_at(&eval(x, env), x);
                self.note_value(text.clone(), v.clone());
                Msg::new(
                    format!("{} = {}", said.zh, v.zh),
                    format!("{text} = {}", v.en),
                )
            }
            ExprKind::Neg(i) => {
                let m = self.render(i);
                Msg::new(format!("-({})", m.zh), format!("-({})", m.en))
            }
            ExprKind::Arith(op, l, r) => {
                let a = self.render(l);
                let b = self.render(r);
                let v = self.value_msg_at(&eval(x, env), x);
                let s = op.symbol();
                Msg::new(
                    cat(&[&a.zh, " ", s, " ", &b.zh, " = ", &v.zh]),
                    cat(&[&a.en, " ", s, " ", &b.en, " = ", &v.en]),
                )
            }
            ExprKind::DateAdd {
                date,
                duration,
                subtract,
                deadline,
            } => {
                let a = self.render(date);
                let b = self.render(duration);
                let sign = if *subtract { "-" } else { "+" };
                let dv = eval(date, env);
                let du = eval(duration, env);
                // Every deadline of months or years says which month rule counted it.
                let (rzh, ren) = match &du {
                    Ok(Value::Duration(
                        _,
                        crate::vocab::DurationUnit::Months | crate::vocab::DurationUnit::Years,
                    )) => {
                        let (z, e) = env.rule.period.month_rule.describe();
                        (format!("（{z}）"), format!(" ({e})"))
                    }
                    _ => (String::new(), String::new()),
                };
                match (dv, du) {
                    (Ok(d), Ok(u)) => {
                        match date_add(&d, &u, *subtract, env.counting(), *deadline) {
                            Ok((v, step)) => {
                                let shown = format_value(&v, &x.ty, Lang::En);
                                match step.and_then(|s| s.rolled.map(|r| (s.raw, r))) {
                                Some((raw, rolled)) => Msg::new(
                                    format!(
                                        "{} {sign} {} = {raw}{rzh}，为休息日，顺延至 {rolled}（民法典第二百零三条，{}）",
                                        a.zh,
                                        b.zh,
                                        // The calendar by its title (国务院部分节假日安排), not its id.
                                        Some(env.counting().calendar.calendar.title())
                                            .filter(|t| !t.is_empty())
                                            .unwrap_or(&env.counting().calendar.name)
                                    ),
                                    format!(
                                        "{} {sign} {} = {raw}{ren}, a day off, so the period ends on {rolled} (Civil Code art. 203, {})",
                                        a.en, b.en, env.counting().calendar.name
                                    ),
                                ),
                                None => Msg::new(
                                    format!("{} {sign} {} = {shown}{rzh}", a.zh, b.zh),
                                    format!("{} {sign} {} = {shown}{ren}", a.en, b.en),
                                ),
                            }
                            }
                            Err(h) => {
                                let v = self.value_msg(&Err(h), &x.ty);
                                Msg::new(
                                    format!("{} {sign} {} = {}", a.zh, b.zh, v.zh),
                                    format!("{} {sign} {} = {}", a.en, b.en, v.en),
                                )
                            }
                        }
                    }
                    _ => Msg::new(
                        format!("{} {sign} {}", a.zh, b.zh),
                        format!("{} {sign} {}", a.en, b.en),
                    ),
                }
            }
            ExprKind::Cmp { op, lhs, rhs, .. } => {
                let outer = self.percent_for;
                self.percent_for = if is_percent(&lhs.ty) && is_plain(&rhs.ty) {
                    Some(rhs.span)
                } else if is_plain(&lhs.ty) && is_percent(&rhs.ty) {
                    Some(lhs.span)
                } else {
                    None
                };
                let a = self.render(lhs);
                let b = self.render(rhs);
                self.percent_for = outer;
                let sym = match eval(x, env) {
                    Ok(Value::Bool(true)) => op.symbol().to_string(),
                    Ok(_) => op.negated().to_string(),
                    // Undecided: say which relation was asked, not one that holds.
                    Err(_) => format!("{}?", op.symbol()),
                };
                let mut m = Msg::new(
                    cat(&[&a.zh, " ", &sym, " ", &b.zh]),
                    cat(&[&a.en, " ", &sym, " ", &b.en]),
                );
                if let Some(extra) = self.lateness(*op, lhs, rhs) {
                    m.zh.push_str(&format!("（{}）", extra.zh));
                    m.en.push_str(&format!(" ({})", extra.en));
                }
                m
            }
            ExprKind::And(xs) => {
                // Show the parts that did not hold; they are what failed.
                let failing: Vec<&Expr> = xs
                    .iter()
                    .filter(|p| !matches!(eval(p, env), Ok(Value::Bool(true))))
                    .collect();
                let parts: Vec<Msg> = if failing.is_empty() {
                    xs.iter().map(|p| self.render(p)).collect()
                } else {
                    failing.into_iter().map(|p| self.render(p)).collect()
                };
                join(parts, "；", "; ")
            }
            ExprKind::Or(xs) => {
                let parts: Vec<Msg> = xs.iter().map(|p| self.render(p)).collect();
                join(parts, " 或 ", " or ")
            }
            ExprKind::By(c, d) => {
                let m = self.render(c);
                let by = self.render(d);
                Msg::new(
                    format!("{}（期限 {}）", m.zh, by.zh),
                    format!("{} (by {})", m.en, by.en),
                )
            }
            ExprKind::Not(i) => {
                let m = self.render(i);
                Msg::new(format!("并非（{}）", m.zh), format!("not ({})", m.en))
            }
            ExprKind::If(c, t, f) => match eval(c, env) {
                Ok(Value::Bool(true)) => self.render(t),
                Ok(_) => self.render(f),
                Err(_) => self.render(c),
            },
            ExprKind::Every {
                dates,
                from,
                to,
                amount,
                unit,
                ..
            } => {
                let text = self.source_text(x);
                // In Chinese, said in words: `巡查日期 每周`, not the policy's `every(1周, day, …)`.
                let zh = format!("{} {}", self.dates_label(dates), period_zh(*amount, *unit));
                let f = self.render(from);
                let t = self.render(to);
                match super::coverage(x, env) {
                    Ok(cov) => every_msg(&Msg::new(zh, text.clone()), &f, &t, &cov),
                    Err(h) => {
                        let v = self.value_msg(&Err(h), &x.ty);
                        Msg::new(format!("{text} = {}", v.zh), format!("{text} = {}", v.en))
                    }
                }
            }
            ExprKind::In(l, xs) => {
                let a = self.render(l);
                let holds = matches!(eval(x, env), Ok(Value::Bool(true)));
                // In Chinese the choices by their labels (`深山荒芜区、地质灾害区`); in English as
                // written.
                let choices: Vec<String> = xs
                    .iter()
                    .map(|c| match eval(c, env) {
                        Ok(v) => format_value(&v, &c.ty, Lang::Zh),
                        Err(_) => self.source_msg(c).zh,
                    })
                    .collect();
                let text = Msg::new(choices.join("、"), self.source_text(x));
                let (zh, en) = if holds {
                    ("属于", "is in")
                } else {
                    ("不属于", "is not in")
                };
                Msg::new(
                    format!("{}（{zh}：{}）", a.zh, text.zh),
                    format!("{} ({en}: {})", a.en, text.en),
                )
            }
        }
    }

    /// For a date comparison that failed or is pending: how late, or how much time is left.
    fn lateness(&self, op: CmpOp, lhs: &Expr, rhs: &Expr) -> Option<Msg> {
        if !matches!(op, CmpOp::Le | CmpOp::Lt) {
            return None;
        }
        let env = self.env;
        let deadline = match eval(rhs, env) {
            Ok(Value::Date(d)) => d,
            Ok(Value::DateTime(d)) => d.date(),
            _ => return None,
        };
        let cal = env.counting().calendar;
        // Two dates the record holds (`乡镇公示 <= 县审批`) are an order, not a deadline: the
        // first is later than the second, not overdue.
        // A field whose label says it is a time limit (完成时限, 截止日期) is a deadline.
        let is_date_held = |x: &Expr| match x.kind {
            ExprKind::Field(slot) => {
                let (label, _) = self.field_name(env.rule.record, slot);
                !["时限", "期限", "截止", "期满"]
                    .iter()
                    .any(|w| label.contains(w))
            }
            _ => false,
        };
        let order = is_date_held(lhs) && is_date_held(rhs);
        match eval(lhs, env) {
            Ok(Value::Date(act)) if act > deadline && order => {
                let days = (act - deadline).num_days();
                Some(Msg::new(
                    format!("前者晚于后者 {days} 日"),
                    format!(
                        "the first is {} after the second",
                        plural(days, "day", "days")
                    ),
                ))
            }
            Ok(Value::Date(act)) if act > deadline => {
                let days = (act - deadline).num_days();
                let wd = cal.calendar.working_days_between(deadline, act).ok();
                Some(late_msg(days, wd))
            }
            Ok(Value::DateTime(act)) if act.date() > deadline => {
                let days = (act.date() - deadline).num_days();
                Some(late_msg(days, None))
            }
            Err(Halt::NotYet { .. }) => {
                if deadline <= env.as_of {
                    let days = (env.as_of - deadline).num_days();
                    let wd = cal.calendar.working_days_between(deadline, env.as_of).ok();
                    let m = late_msg(days, wd);
                    Some(Msg::new(
                        format!(
                            "截至 {} 尚未完成，期限 {deadline} 已过，{}",
                            env.as_of, m.zh
                        ),
                        format!(
                            "not done as of {}; the deadline {deadline} has passed, {}",
                            env.as_of, m.en
                        ),
                    ))
                } else {
                    let days = (deadline - env.as_of).num_days();
                    let wd = cal.calendar.working_days_between(env.as_of, deadline).ok();
                    let (wzh, wen) = match wd {
                        Some(w) => (
                            format!("，{w} 个工作日"),
                            format!(", {}", plural(w, "working day", "working days")),
                        ),
                        None => (String::new(), String::new()),
                    };
                    Some(Msg::new(
                        format!(
                            "截至 {} 尚未完成，距期限 {deadline} 还有 {days} 日{wzh}",
                            env.as_of
                        ),
                        format!(
                            "not done as of {}; {}{wen} left until the deadline {deadline}",
                            env.as_of,
                            plural(days, "day", "days")
                        ),
                    ))
                }
            }
            _ => None,
        }
    }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

fn late_msg(days: i64, wd: Option<i64>) -> Msg {
    let d = plural(days, "day", "days");
    match wd {
        Some(w) => Msg::new(
            format!("逾期 {days} 日（{w} 个工作日）"),
            format!("{d} ({}) late", plural(w, "working day", "working days")),
        ),
        None => Msg::new(format!("逾期 {days} 日"), format!("{d} late")),
    }
}

fn join(parts: Vec<Msg>, zh: &str, en: &str) -> Msg {
    Msg::new(
        parts
            .iter()
            .map(|m| m.zh.as_str())
            .collect::<Vec<_>>()
            .join(zh),
        parts
            .iter()
            .map(|m| m.en.as_str())
            .collect::<Vec<_>>()
            .join(en),
    )
}

fn fill(t: &Template, env: &Env, lang: Lang) -> String {
    let mut s = String::new();
    for p in &t.parts {
        match p {
            TemplatePart::Text(x) => s.push_str(x),
            TemplatePart::Percent(x) => match eval(x, env) {
                Ok(Value::Num(n)) => s.push_str(&format_num(n, &percent_unit())),
                Ok(v) => s.push_str(&format_value(&v, &x.ty, lang)),
                Err(h) => s.push_str(not_shown(&h, lang)),
            },
            TemplatePart::Hole(x) => match eval(x, env) {
                Ok(v) => s.push_str(&format_value(&v, &x.ty, lang)),
                Err(h) => s.push_str(not_shown(&h, lang)),
            },
        }
    }
    s
}

/// A message's hole whose value cannot be shown: a date that has not happened is said as the
/// trace says it (（尚未发生）), anything else is unknown.
fn not_shown(h: &Halt, lang: Lang) -> &'static str {
    match (h, lang) {
        (Halt::NotYet { .. } | Halt::Pending(_), Lang::Zh) => "（尚未发生）",
        (Halt::NotYet { .. } | Halt::Pending(_), Lang::En) => "(not yet)",
        (_, Lang::Zh) => "（未知）",
        (_, Lang::En) => "(unknown)",
    }
}

fn unknown_msg(h: &Halt) -> Msg {
    match h {
        Halt::Unknown(u) => {
            let f = u.field.clone().unwrap_or_default();
            match &u.reason {
                UnknownReason::Missing => Msg::new(format!("缺少字段 `{f}`"), format!("the field `{f}` is missing")),
                UnknownReason::Invalid { raw, why_zh, why_en } => Msg::new(
                    format!("字段 `{f}` 的值 `{raw}` 无法读取：{why_zh}"),
                    format!("the field `{f}` has the unreadable value `{raw}`: {why_en}"),
                ),
                UnknownReason::DivisionByZero => Msg::new("除数为零", "division by zero"),
                UnknownReason::Overflow => Msg::new("数值超出可精确表示的范围", "a number is too large to compute exactly"),
                UnknownReason::NotCovered {
                    date,
                    calendar,
                    first,
                    last,
                } => Msg::new(
                    format!("日期 {date} 不在日历 {calendar} 覆盖的年份（{first}–{last}）之内"),
                    format!("the date {date} is outside the years the calendar {calendar} covers ({first}–{last})"),
                ),
                UnknownReason::NotYetHappened => Msg::new(
                    format!("`{f}` 尚未发生，无法计算"),
                    format!("`{f}` has not happened yet, so it cannot be computed with"),
                ),
                UnknownReason::EmptySet => Msg::new("汇总的集合为空", "the aggregated set is empty"),
                UnknownReason::NoSuchDate => Msg::new("年、月、日组不成一个日期", "the year, month and day make no date"),
                UnknownReason::NoSuchRecord { target, key } => Msg::new(
                    format!("`{f}` 关联的{target} `{key}` 不在提交的数据中"),
                    format!("the {target} `{key}` that `{f}` names is not in the submission"),
                ),
                UnknownReason::NoRecords { of } => Msg::new(
                    format!("提交的数据中没有任何{of}记录，无法汇总"),
                    format!("the submission has no {of} records to aggregate"),
                ),
                UnknownReason::TwoRecords { target, key } => Msg::new(
                    format!("`{f}` 关联的{target} `{key}` 在提交的数据中不止一条，无法确定是哪一条"),
                    format!("more than one {target} of the submission has the key `{key}` that `{f}` names"),
                ),
            }
        }
        Halt::Pending(p) => match p.kind {
            PendingKind::Act => Msg::new(
                format!("`{}` 尚未发生，期限 {} 未到", p.field, p.deadline),
                format!(
                    "`{}` has not happened yet and the deadline {} has not passed",
                    p.field, p.deadline
                ),
            ),
            PendingKind::Periods(n) => Msg::new(
                format!(
                    "已结束的各期均已达到要求；尚未结束的 {n} 期记录还不够，最后一期 {} 结束",
                    p.deadline
                ),
                format!(
                    "every period that is over meets it; {} not over yet {} too few records so far, the last ending {}",
                    plural(n as i64, "period", "periods"),
                    if n == 1 { "has" } else { "have" },
                    p.deadline
                ),
            ),
            PendingKind::Target => Msg::new(
                format!("尚未达到，期限 {} 未到", p.deadline),
                format!("not met yet, and its date {} has not come", p.deadline),
            ),
        },
        Halt::NotYet { field } => Msg::new(
            format!("`{field}` 尚未发生"),
            format!("`{field}` has not happened yet"),
        ),
    }
}

pub(super) fn explain(
    env: &Env,
    outcome: Outcome,
    halt: Option<&Halt>,
    exempt: bool,
) -> Explanation {
    let mut r = Render {
        env,
        values: Vec::new(),
        fields: Vec::new(),
        percent_for: None,
    };
    let rule = env.rule;
    let mut reasons = Vec::new();
    let mut spans = Vec::new();
    let mut trace = Vec::new();
    for l in &rule.lets {
        let m = r.render(&l.expr);
        trace.push(Msg::new(
            format!("设 {} = {}", l.name, m.zh),
            format!("let {} = {}", l.name, m.en),
        ));
    }
    for (i, req) in rule.requires.iter().enumerate() {
        let v = eval(req, env);
        let m = r.render(req);
        let (szh, sen) = match &v {
            Ok(Value::Bool(true)) => ("成立", "holds"),
            Ok(_) => ("不成立", "does not hold"),
            Err(Halt::Pending(_)) => ("待定", "pending"),
            Err(_) => ("未知", "unknown"),
        };
        let n = (i + 1).to_string();
        trace.push(Msg::new(
            cat(&["要求 ", &n, "：", &m.zh, "（", szh, "）"]),
            cat(&["requirement ", &n, ": ", &m.en, " (", sen, ")"]),
        ));
        let decisive = match outcome {
            Outcome::Fail => matches!(v, Ok(Value::Bool(false))),
            Outcome::Exempt => !matches!(v, Ok(Value::Bool(true))),
            Outcome::Pending => matches!(v, Err(Halt::Pending(_))),
            _ => v.is_err(),
        };
        if decisive {
            reasons.push(m);
            spans.push(req.span);
        }
    }
    // The exception relied on, for an exempt verdict.
    let mut relied: Option<Msg> = None;
    for u in &rule.unless {
        let m = r.render(u);
        let v = eval(u, env);
        if exempt && relied.is_none() && matches!(v, Ok(Value::Bool(true))) {
            relied = Some(m.clone());
            reasons.push(m.clone());
            spans.push(u.span);
        }
        let (szh, sen) = match v {
            Ok(Value::Bool(true)) => ("成立，予以豁免", "holds, so the rule is waived"),
            Ok(_) => ("不成立", "does not hold"),
            Err(_) => ("未知", "unknown"),
        };
        trace.push(Msg::new(
            format!("除非 {}（{szh}）", m.zh),
            format!("unless {} ({sen})", m.en),
        ));
    }
    let message = match outcome {
        Outcome::Fail => {
            let zh = rule.message_zh.as_ref().map(|t| fill(t, env, Lang::Zh));
            let en = rule.message_en.as_ref().map(|t| fill(t, env, Lang::En));
            let d = default_message(rule);
            Msg::new(zh.clone().unwrap_or(d.zh), en.or(zh).unwrap_or(d.en))
        }
        Outcome::Unknown => {
            let m = halt
                .map(unknown_msg)
                .unwrap_or_else(|| Msg::new("无法判断", "cannot be decided"));
            Msg::new(
                format!("无法判断：{}", m.zh),
                format!("cannot be decided: {}", m.en),
            )
        }
        Outcome::Pending => {
            let m = halt
                .map(unknown_msg)
                .unwrap_or_else(|| Msg::new("期限未到", "the deadline has not passed"));
            Msg::new(format!("待定：{}", m.zh), format!("pending: {}", m.en))
        }
        Outcome::Exempt => {
            let t = rule.title.as_deref().unwrap_or(&rule.id);
            let (zh, en) = relied
                .map(|m| (m.zh, m.en))
                .unwrap_or_else(|| ("例外".into(), "an exception".into()));
            Msg::new(
                format!("豁免：{t}（要求不满足，但例外成立：{zh}）"),
                format!(
                    "exempt from {t}: the requirement does not hold, but the exception does: {en}"
                ),
            )
        }
        _ => default_message(rule),
    };
    let unknown = match (outcome, halt) {
        (Outcome::Unknown, Some(h)) => Some(unknown_msg(h)),
        _ => None,
    };
    let pending = match (outcome, halt) {
        (Outcome::Pending, Some(h)) => Some(unknown_msg(h)),
        _ => None,
    };
    r.fields.sort_unstable();
    r.fields.dedup();
    Explanation {
        message,
        reasons,
        values: r.values,
        fields: r.fields,
        unknown,
        pending,
        trace,
        spans,
    }
}

/// The explanation when a rule's `where` cannot be decided for a record.
pub(super) fn explain_filter(env: &Env, h: &Halt) -> Explanation {
    let mut r = Render {
        env,
        values: Vec::new(),
        fields: Vec::new(),
        percent_for: None,
    };
    let mut reasons = Vec::new();
    if let Some(f) = &env.rule.filter {
        let m = r.render(f);
        reasons.push(Msg::new(
            format!("适用条件：{}", m.zh),
            format!("applies where: {}", m.en),
        ));
    }
    let u = unknown_msg(h);
    r.fields.sort_unstable();
    r.fields.dedup();
    Explanation {
        message: Msg::new(
            format!("无法判断是否适用：{}", u.zh),
            format!("cannot tell whether the rule applies: {}", u.en),
        ),
        trace: reasons.clone(),
        reasons,
        values: r.values,
        fields: r.fields,
        unknown: Some(u),
        pending: None,
        spans: env.rule.filter.iter().map(|f| f.span).collect(),
    }
}

/// The record type a group aggregate ranges over when it is not the rule's own.
fn a_source(env: &Env, i: usize) -> Option<usize> {
    env.rule.aggs.get(i)?.source.as_ref().map(|s| s.ty)
}

/// A period of an `every` as a Chinese document says it: 每周, 每月, 每季度, 每半年, 每年, 每7日.
fn period_zh(amount: u32, unit: crate::vocab::DurationUnit) -> String {
    use crate::vocab::DurationUnit as U;
    match (amount, unit) {
        (1, U::Weeks) => "每周".into(),
        (1, U::Months) => "每月".into(),
        (3, U::Months) => "每季度".into(),
        (6, U::Months) => "每半年".into(),
        (12, U::Months) | (1, U::Years) => "每年".into(),
        (n, u) => format!("每{n}{}", duration_unit_names(u).0),
    }
}

/// The periods an `every` found short, as a reason: at most six shown, each with its count when
/// the rule asks for more than one a period.
fn every_msg(said: &Msg, f: &Msg, t: &Msg, cov: &super::Coverage) -> Msg {
    let (text_zh, text) = (&said.zh, &said.en);
    let shown = |list: &[super::Short], zh: bool| -> String {
        let mut parts: Vec<String> = list
            .iter()
            .take(6)
            .map(|s| match (cov.min > 1, zh) {
                (true, true) => format!("{}至{}（{} 次）", s.first, s.last, s.count),
                (true, false) => format!("{}..{} ({})", s.first, s.last, s.count),
                (false, true) => format!("{}至{}", s.first, s.last),
                (false, false) => format!("{}..{}", s.first, s.last),
            })
            .collect();
        if list.len() > 6 {
            parts.push(format!("(+{})", list.len() - 6));
        }
        parts.join(if zh { "、" } else { ", " })
    };
    let (need_zh, need_en) = if cov.min > 1 {
        (
            format!("不少于 {} 次", cov.min),
            format!("at least {} records", cov.min),
        )
    } else {
        ("有记录".to_string(), "a record".to_string())
    };
    if !cov.short.is_empty() {
        let n = cov.short.len();
        let (zh, en) = if cov.min > 1 {
            (
                format!("有 {n} 期不足 {} 次", cov.min),
                format!(
                    "{} {} fewer than {} records",
                    plural(n as i64, "period", "periods"),
                    if n == 1 { "has" } else { "have" },
                    cov.min
                ),
            )
        } else {
            (
                format!("有 {n} 期没有记录"),
                format!(
                    "{} {} no record",
                    plural(n as i64, "period", "periods"),
                    if n == 1 { "has" } else { "have" }
                ),
            )
        };
        Msg::new(
            format!(
                "{text_zh}：{}至{}{zh}：{}",
                f.zh,
                t.zh,
                shown(&cov.short, true)
            ),
            format!(
                "{text}: {en} from {} to {}: {}",
                f.en,
                t.en,
                shown(&cov.short, false)
            ),
        )
    } else if !cov.open.is_empty() {
        Msg::new(
            format!(
                "{text_zh}：{}至{}已结束的各期均{need_zh}；尚未结束的：{}",
                f.zh,
                t.zh,
                shown(&cov.open, true)
            ),
            format!(
                "{text}: every period from {} to {} that is over has {need_en}; not over yet: {}",
                f.en,
                t.en,
                shown(&cov.open, false)
            ),
        )
    } else {
        Msg::new(
            format!("{text_zh}：{}至{}各期均{need_zh}", f.zh, t.zh),
            format!(
                "{text}: every period from {} to {} has {need_en}",
                f.en, t.en
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_formatted_once_read_as_formatted_per_language() {
        let num = |u: &str| {
            Ty::Num(NumTy {
                unit: crate::check::units::lookup(u)
                    .unwrap_or_else(crate::check::units::Unit::none),
                int: false,
            })
        };
        let date = chrono::NaiveDate::from_ymd_opt(2017, 5, 23).unwrap_or_default();
        let cases = [
            (Value::Num(Decimal::new(58848, 0)), num("元")),
            (Value::Num(Decimal::new(6923, 4)), num("%")),
            (Value::Num(Decimal::new(1, 3)), Ty::Text),
            (Value::Text("三门峡".into()), Ty::Text),
            (Value::invalid("12x", "坏", "bad"), num("m²")),
            (Value::Date(date), Ty::Date),
            (
                Value::DateTime(date.and_hms_opt(8, 30, 0).unwrap_or_default()),
                Ty::DateTime,
            ),
            (Value::Bool(true), Ty::Bool),
            (Value::Missing, num("元")),
        ];
        for (v, ty) in &cases {
            assert_eq!(value_both(v, ty), both(|l| format_value(v, ty, l)), "{v:?}");
        }
    }
}
