//! Aggregates: accumulators fed record by record, and grouped rules judged once per group.

use super::{eval, judge, not_yet_unknown, order, unknown, Env, Halt, UnknownReason, Verdict, R};
use crate::check::ir::*;
use crate::syntax::ast::Outcome;
use crate::value::{Record, RecordLoc, Value};
use chrono::NaiveDate;
use indexmap::IndexMap;
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

/// One aggregate's running state.
#[derive(Debug, Clone)]
pub(crate) struct Acc {
    kind: AggKind,
    state: State,
}

#[derive(Debug, Clone)]
enum State {
    Sum(Option<Value>),
    Count(u64),
    Best(Option<Value>),
    Avg(Decimal, u64),
    Truth(bool),
    Distinct(HashSet<String>),
    Dates(BTreeSet<NaiveDate>),
    Halted(Halt),
}

impl Acc {
    pub(crate) fn new(kind: AggKind) -> Acc {
        let state = match kind {
            AggKind::Sum => State::Sum(None),
            AggKind::Count => State::Count(0),
            AggKind::Min | AggKind::Max => State::Best(None),
            AggKind::Avg => State::Avg(Decimal::ZERO, 0),
            AggKind::All => State::Truth(true),
            AggKind::Any => State::Truth(false),
            AggKind::Distinct => State::Distinct(HashSet::new()),
            AggKind::Dates => State::Dates(BTreeSet::new()),
        };
        Acc { kind, state }
    }

    /// Adds one record (or list element) to the aggregate.
    pub(crate) fn feed(&mut self, expr: Option<&Expr>, filter: Option<&Expr>, env: &Env) {
        if matches!(self.state, State::Halted(_)) {
            return;
        }
        if let Some(f) = filter {
            match eval(f, env).map_err(not_yet_unknown) {
                Ok(Value::Bool(true)) => {}
                Ok(_) => return,
                Err(h) => {
                    self.state = State::Halted(h);
                    return;
                }
            }
        }
        let v = match expr {
            Some(x) => match eval(x, env).map_err(not_yet_unknown) {
                Ok(v) => Some(v),
                Err(h) => {
                    self.state = State::Halted(h);
                    return;
                }
            },
            None => None,
        };
        let next = match (&mut self.state, v) {
            (State::Count(n), None) => {
                *n += 1;
                None
            }
            (State::Count(n), Some(Value::Bool(b))) => {
                if b {
                    *n += 1;
                }
                None
            }
            (State::Sum(acc), Some(v)) => match (acc.take(), v) {
                (None, v) => {
                    *acc = Some(v);
                    None
                }
                (Some(Value::Num(a)), Value::Num(b)) => match a.checked_add(b) {
                    Some(s) => {
                        *acc = Some(Value::Num(s));
                        None
                    }
                    None => Some(State::Halted(unknown(UnknownReason::Overflow))),
                },
                (Some(Value::Duration(a, u)), Value::Duration(b, _)) => {
                    *acc = Some(Value::Duration(a + b, u));
                    None
                }
                _ => Some(State::Halted(unknown(UnknownReason::Missing))),
            },
            (State::Avg(sum, n), Some(Value::Num(b))) => match sum.checked_add(b) {
                Some(s) => {
                    *sum = s;
                    *n += 1;
                    None
                }
                None => Some(State::Halted(unknown(UnknownReason::Overflow))),
            },
            (State::Best(best), Some(v)) => {
                let better = match best {
                    None => true,
                    Some(cur) => {
                        let o = order(&v, cur).unwrap_or(Ordering::Equal);
                        if self.kind == AggKind::Min {
                            o == Ordering::Less
                        } else {
                            o == Ordering::Greater
                        }
                    }
                };
                if better {
                    *best = Some(v);
                }
                None
            }
            (State::Truth(t), Some(Value::Bool(b))) => {
                if self.kind == AggKind::All {
                    *t = *t && b;
                } else {
                    *t = *t || b;
                }
                None
            }
            (State::Distinct(set), Some(v)) => {
                set.insert(key_of(&v));
                None
            }
            (State::Dates(set), Some(Value::Date(d))) => {
                set.insert(d);
                None
            }
            (State::Dates(set), Some(Value::DateTime(d))) => {
                set.insert(d.date());
                None
            }
            _ => Some(State::Halted(unknown(UnknownReason::Missing))),
        };
        if let Some(s) = next {
            self.state = s;
        }
    }

    pub(crate) fn finish(&self) -> R {
        match &self.state {
            State::Sum(None) => Ok(Value::Num(Decimal::ZERO)),
            State::Sum(Some(v)) => Ok(v.clone()),
            State::Count(n) => Ok(Value::Num(Decimal::from(*n))),
            State::Best(Some(v)) => Ok(v.clone()),
            State::Best(None) => Err(unknown(UnknownReason::EmptySet)),
            State::Avg(_, 0) => Err(unknown(UnknownReason::EmptySet)),
            State::Avg(s, n) => s
                .checked_div(Decimal::from(*n))
                .map(Value::Num)
                .ok_or_else(|| unknown(UnknownReason::Overflow)),
            State::Truth(t) => Ok(Value::Bool(*t)),
            State::Distinct(s) => Ok(Value::Num(Decimal::from(s.len() as u64))),
            State::Dates(s) => Ok(Value::Dates(Arc::new(s.clone()))),
            State::Halted(h) => Err(h.clone()),
        }
    }
}

/// A canonical text for a value, to group and count distinct values.
pub(crate) fn key_of(v: &Value) -> String {
    match v {
        Value::Missing => "\u{0}missing".into(),
        Value::Invalid(iv) => format!("\u{0}invalid:{}", iv.raw),
        Value::Text(t) => t.to_string(),
        Value::Num(n) => n.normalize().to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Date(d) => d.to_string(),
        Value::DateTime(d) => d.to_string(),
        Value::Enum(i) => format!("\u{0}enum:{i}"),
        Value::Duration(n, _) => n.normalize().to_string(),
        Value::List(l) => format!("\u{0}list:{}", l.len()),
        Value::Dates(d) => format!("\u{0}dates:{}", d.len()),
    }
}

/// One group of a grouped rule.
#[derive(Debug, Clone)]
pub struct Group {
    pub key: Value,
    pub accs: Vec<Acc>,
    pub records: u64,
    pub first: RecordLoc,
}

/// A group's verdict, with where its first record was.
#[derive(Debug, Clone)]
pub struct GroupVerdict {
    pub key: Value,
    pub records: u64,
    pub first: RecordLoc,
    pub verdict: Verdict,
}

/// The state of every grouped rule over a whole submission. Memory grows with the number of groups only.
pub struct GroupRun<'p> {
    program: &'p Program,
    as_of: NaiveDate,
    groups: Vec<(usize, IndexMap<String, Group>)>,
    /// Whether any record of the rule's type was read (even one its `where` left out).
    seen: Vec<bool>,
}

impl<'p> GroupRun<'p> {
    pub fn new(program: &'p Program, as_of: NaiveDate) -> GroupRun<'p> {
        let groups: Vec<(usize, IndexMap<String, Group>)> = program
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r.scope, Scope::Group(_)))
            .map(|(i, _)| (i, IndexMap::new()))
            .collect();
        let seen = vec![false; groups.len()];
        GroupRun {
            program,
            as_of,
            groups,
            seen,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Adds a record to the groups of every grouped rule of its type.
    /// A record whose `where` cannot be decided yields an unknown verdict at once.
    pub fn feed(&mut self, rec: &Record, out: &mut dyn FnMut(Verdict)) {
        let program = self.program;
        for ((ri, groups), seen) in self.groups.iter_mut().zip(self.seen.iter_mut()) {
            let Some(rule) = program.rules.get(*ri) else {
                continue;
            };
            if rule.record != rec.ty {
                continue;
            }
            *seen = true;
            let env = Env {
                program,
                rule,
                record: &rec.values,
                elem: None,
                locals: &[],
                aggs: &[],
                key: None,
                as_of: self.as_of,
            };
            if let Some(f) = &rule.filter {
                match eval(f, &env).map_err(not_yet_unknown) {
                    Ok(Value::Bool(true)) => {}
                    Ok(_) => continue,
                    Err(h) => {
                        out(Verdict {
                            rule: *ri,
                            outcome: Outcome::Unknown,
                            explanation: Some(Box::new(super::explain::explain_filter(&env, &h))),
                        });
                        continue;
                    }
                }
            }
            let key = match rule.scope {
                Scope::Group(Some(slot)) => rec.values.get(slot).unwrap_or(&Value::Missing),
                _ => &Value::Missing,
            };
            // A text key is its own canonical text: an existing group is found without copying it.
            let found = match key {
                Value::Text(t) => groups.get_index_of(&**t),
                _ => None,
            };
            let group = match found.and_then(|i| groups.get_index_mut(i)) {
                Some((_, g)) => g,
                None => groups.entry(key_of(key)).or_insert_with(|| Group {
                    key: key.clone(),
                    accs: rule.aggs.iter().map(|a| Acc::new(a.kind)).collect(),
                    records: 0,
                    first: rec.loc,
                }),
            };
            group.records += 1;
            for (acc, agg) in group.accs.iter_mut().zip(&rule.aggs) {
                acc.feed(agg.expr.as_ref(), agg.filter.as_ref(), &env);
            }
        }
    }

    /// Judges every group, in the order groups were first seen.
    pub fn finish(self) -> Vec<GroupVerdict> {
        let mut out = Vec::new();
        for ((ri, mut groups), seen) in self.groups.into_iter().zip(self.seen) {
            let Some(rule) = self.program.rules.get(ri) else {
                continue;
            };
            let keyed = matches!(rule.scope, Scope::Group(Some(_)));
            // `applies to all` judges the records of its type once, even when its `where` leaves none;
            // a submission with no record of the type at all is not judged by it.
            if !keyed && groups.is_empty() && seen {
                groups.insert(
                    String::new(),
                    Group {
                        key: Value::Missing,
                        accs: rule.aggs.iter().map(|a| Acc::new(a.kind)).collect(),
                        records: 0,
                        first: RecordLoc::default(),
                    },
                );
            }
            for (_, g) in groups {
                let aggs: Vec<R> = g.accs.iter().map(Acc::finish).collect();
                let judge_at = |explain: bool| {
                    judge(
                        self.program,
                        ri,
                        rule,
                        &[],
                        &aggs,
                        Some(&g.key),
                        self.as_of,
                        explain,
                    )
                };
                let verdict = if keyed && g.key.is_missing() {
                    missing_key(self.program, ri, rule)
                } else {
                    let v = judge_at(false);
                    if matches!(v.outcome, Outcome::Pass | Outcome::NotApplicable) {
                        v
                    } else {
                        // Only findings pay for an explanation.
                        judge_at(true)
                    }
                };
                out.push(GroupVerdict {
                    key: g.key,
                    records: g.records,
                    first: g.first,
                    verdict,
                });
            }
        }
        out
    }
}

/// The records whose grouping field is missing cannot be judged as a group: unknown, naming the field.
fn missing_key(program: &Program, ri: usize, rule: &Rule) -> Verdict {
    let field = match rule.scope {
        Scope::Group(Some(slot)) => program
            .records
            .get(rule.record)
            .and_then(|r| r.field(slot))
            .map(|f| f.label.clone().unwrap_or_else(|| f.name.clone()))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let why = crate::diag::Msg::new(
        format!("分组字段 `{field}` 缺失"),
        format!("the grouping field `{field}` is missing"),
    );
    Verdict {
        rule: ri,
        outcome: Outcome::Unknown,
        explanation: Some(Box::new(super::Explanation {
            message: crate::diag::Msg::new(
                format!("无法判断：{}", why.zh),
                format!("cannot be decided: {}", why.en),
            ),
            reasons: Vec::new(),
            values: Vec::new(),
            fields: Vec::new(),
            unknown: Some(why),
            pending: None,
            trace: Vec::new(),
            spans: Vec::new(),
        })),
    }
}
