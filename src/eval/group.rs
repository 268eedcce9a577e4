//! Aggregates: accumulators fed record by record, and grouped rules judged once per group.

use super::fast::{FastAgg, FastBool, Fed};
use super::{
    eval, judge, not_yet_unknown, order, unknown, Env, Halt, Lookups, UnknownReason, Verdict,
    NO_LOOKUPS, R,
};
use crate::check::ir::*;
use crate::value::{Record, RecordLoc, Value};
use crate::vocab::Outcome;
use chrono::NaiveDate;
use indexmap::IndexMap;
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};
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
    /// Each date with the number of records dated on it.
    Dates(BTreeMap<NaiveDate, u32>),
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
            AggKind::Dates => State::Dates(BTreeMap::new()),
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
        self.feed_value(v);
    }

    /// Adds one record's value (`None` for an aggregate without an expression), its `where`
    /// already passed.
    pub(crate) fn feed_value(&mut self, v: Option<Value>) {
        // The common case, a number added to a sum of numbers, in place.
        if let (State::Sum(Some(Value::Num(a))), Some(Value::Num(b))) = (&mut self.state, &v) {
            match a.checked_add(*b) {
                Some(s) => *a = s,
                None => self.state = State::Halted(unknown(UnknownReason::Overflow)),
            }
            std::mem::forget(v);
            return;
        }
        if matches!(self.state, State::Halted(_)) {
            return;
        }
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
                (Some(Value::Duration(a, u)), Value::Duration(b, v)) => {
                    match crate::value::duration_sum(a, u, b, v, false) {
                        Some(s) => {
                            *acc = Some(s);
                            None
                        }
                        None => Some(State::Halted(unknown(UnknownReason::Overflow))),
                    }
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
                let n = set.entry(d).or_insert(0);
                *n = n.saturating_add(1);
                None
            }
            (State::Dates(set), Some(Value::DateTime(d))) => {
                let n = set.entry(d.date()).or_insert(0);
                *n = n.saturating_add(1);
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

/// The key value of `rec`'s group under `rule` (see `GroupKey`): a key field's value borrowed;
/// a computed key's value, missing where it cannot be computed; with several keys, one row of
/// their values. `Missing` for `applies to all`.
pub(crate) fn group_key<'r>(
    program: &Program,
    rule: &Rule,
    rec: &'r Record,
    as_of: NaiveDate,
    lookups: &Lookups,
) -> std::borrow::Cow<'r, Value> {
    use std::borrow::Cow;
    let Scope::Group(keys) = &rule.scope else {
        return Cow::Owned(Value::Missing);
    };
    let one = |k: &crate::check::ir::GroupKey| -> Cow<'r, Value> {
        match k.slot() {
            Some(s) => Cow::Borrowed(rec.values.get(s).unwrap_or(&Value::Missing)),
            None => {
                let env = Env::record(program, rule, &rec.values, as_of).with_lookups(lookups);
                Cow::Owned(eval(&k.expr, &env).unwrap_or(Value::Missing))
            }
        }
    };
    match keys.as_slice() {
        [] => Cow::Owned(Value::Missing),
        [k] => one(k),
        many => Cow::Owned(Value::List(
            vec![many.iter().map(|k| one(k).into_owned()).collect()].into_boxed_slice(),
        )),
    }
}

/// The `i`th part of a group's key value under a rule of `n` keys.
pub(crate) fn key_part(key: &Value, i: usize, n: usize) -> &Value {
    match key {
        Value::List(rows) if n > 1 => rows
            .first()
            .and_then(|r| r.get(i))
            .unwrap_or(&Value::Missing),
        v if i == 0 => v,
        _ => &Value::Missing,
    }
}

/// A group's key as a report shows it: each part in its type's form, a missing part as
/// （缺失）, parts joined by `、`. `None` for `applies to all`.
pub fn key_shown(rule: &Rule, key: &Value) -> Option<String> {
    let Scope::Group(keys) = &rule.scope else {
        return None;
    };
    if keys.is_empty() {
        return None;
    }
    let n = keys.len();
    let parts: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| match key_part(key, i, n) {
            Value::Missing => "（缺失）".to_string(),
            v => super::format_value(v, &k.expr.ty, crate::diag::Lang::Zh),
        })
        .collect();
    Some(parts.join("、"))
}

/// The number of keys of a rule (0 for `applies to all` and for per-record rules).
pub(crate) fn key_count(rule: &Rule) -> usize {
    match &rule.scope {
        Scope::Group(k) => k.len(),
        _ => 0,
    }
}

/// Whether some part of a group's key is missing: the group cannot be judged.
fn key_missing(key: &Value, rule: &Rule) -> bool {
    let n = key_count(rule);
    (0..n).any(|i| matches!(key_part(key, i, n), Value::Missing | Value::Invalid(_)))
}

/// A group key's canonical text (`key_text` of each part, joined by a unit separator).
fn group_text<'k>(key: &'k Value, rule: &Rule) -> std::borrow::Cow<'k, str> {
    let n = key_count(rule);
    if n <= 1 {
        return key_text(key);
    }
    let parts: Vec<std::borrow::Cow<'_, str>> =
        (0..n).map(|i| key_text(key_part(key, i, n))).collect();
    std::borrow::Cow::Owned(parts.join("\u{1f}"))
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

/// A value's canonical text (`key_of`), borrowed for a text key: it is hashed and found
/// without copying it.
pub(crate) fn key_text(v: &Value) -> std::borrow::Cow<'_, str> {
    match v {
        Value::Text(t) => std::borrow::Cow::Borrowed(t),
        other => std::borrow::Cow::Owned(key_of(other)),
    }
}

/// One group of a grouped rule.
#[derive(Debug, Clone)]
pub struct Group {
    pub key: Value,
    pub accs: Vec<Acc>,
    pub records: u64,
    pub first: RecordLoc,
    /// The position of the group's first record among all records fed: groups are judged and
    /// reported in the order they were first seen.
    seq: u64,
}

/// A group's verdict, with where its first record was. For a joined rule, the verdict on one
/// record (`record`), `records` the referring records aggregated.
#[derive(Debug, Clone)]
pub struct GroupVerdict {
    pub key: Value,
    pub records: u64,
    pub first: RecordLoc,
    pub verdict: Verdict,
    /// The record judged, for a joined rule.
    pub record: Option<Arc<Record>>,
}

/// A key that records refer to and that no record of the submission has (see
/// [`GroupRun::dangling`]).
#[derive(Debug, Clone)]
pub struct Dangling {
    /// The record type referred to.
    pub target: usize,
    /// The key, as text.
    pub key: String,
    /// How many records refer to it.
    pub records: u64,
    /// Where the first of them is.
    pub first: RecordLoc,
}

type Groups = IndexMap<String, Group, foldhash::fast::RandomState>;

/// A grouped rule and the fast forms of its `where` and aggregates (see `fast`).
struct GroupRule {
    index: usize,
    /// A rule with joined aggregates (`Scope::Joined`): its groups are keyed by the referring
    /// records' `ref` field, and it judges each record of its own type at the end.
    joined: bool,
    filter: Option<FastBool>,
    aggs: Vec<Option<FastAgg>>,
}

/// The groups of every grouped rule whose key falls to one shard.
struct Shard {
    /// Per grouped rule (in the order of `GroupRun::rules`).
    groups: Vec<Groups>,
}

/// The state of every grouped rule over a whole submission. Memory grows with the number of groups only.
///
/// Groups are split into shards by a hash of their key, so that threads can aggregate a batch at
/// once, each the records whose key falls to its shard, in input order. Every group still sees
/// its records in input order, and groups are judged in the order they were first seen, so the
/// verdicts do not depend on the number of shards.
pub struct GroupRun<'p> {
    program: &'p Program,
    as_of: NaiveDate,
    /// The records rules read through `ref` fields.
    lookups: &'p Lookups,
    /// The grouped rules.
    rules: Vec<GroupRule>,
    shards: Vec<Shard>,
    /// Per grouped rule: whether any record of its type was read (even one its `where` left out).
    seen: Vec<bool>,
    /// Records fed one at a time so far (`feed`).
    fed: u64,
    /// Per record type judged by a joined rule: its records, in input order, kept to the end.
    kept: Vec<Vec<Arc<Record>>>,
    /// Per record type: whether a joined rule judges it (its records are kept).
    keeps: Vec<bool>,
    /// Per record type: whether any record of it was read (a joined aggregate over a type the
    /// submission has none of is unknown, not 0).
    types_seen: Vec<bool>,
}

impl<'p> GroupRun<'p> {
    pub fn new(program: &'p Program, as_of: NaiveDate) -> GroupRun<'p> {
        GroupRun::with_shards(program, as_of, 1)
    }

    /// A run whose groups are split into `shards` parts, to aggregate batches on as many threads.
    pub fn with_shards(program: &'p Program, as_of: NaiveDate, shards: usize) -> GroupRun<'p> {
        let rules: Vec<GroupRule> = program
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r.scope, Scope::Group(_) | Scope::Joined))
            .map(|(index, r)| {
                let joined = matches!(r.scope, Scope::Joined);
                GroupRule {
                    index,
                    joined,
                    // A joined rule's `where` is on the record judged, at the end; its
                    // aggregates read referring records, through the interpreter.
                    filter: (!joined)
                        .then(|| r.filter.as_ref().and_then(|f| FastBool::compile(r, f)))
                        .flatten(),
                    // A joined aggregate reads the referring record's fields (`Elem`); its fast
                    // form reads them as the values it is given.
                    aggs: r
                        .aggs
                        .iter()
                        .map(|a| match &a.source {
                            Some(_) => FastAgg::compile(r, &elems_as_fields(a)),
                            None => FastAgg::compile(r, a),
                        })
                        .collect(),
                }
            })
            .collect();
        let kept = vec![Vec::new(); program.records.len()];
        let keeps: Vec<bool> = (0..program.records.len())
            .map(|t| {
                rules
                    .iter()
                    .any(|g| g.joined && program.rules.get(g.index).is_some_and(|r| r.record == t))
            })
            .collect();
        let shards = (0..shards.max(1))
            .map(|_| Shard {
                groups: rules.iter().map(|_| Groups::default()).collect(),
            })
            .collect();
        GroupRun {
            program,
            as_of,
            lookups: &NO_LOOKUPS,
            seen: vec![false; rules.len()],
            rules,
            shards,
            fed: 0,
            kept,
            keeps,
            types_seen: vec![false; program.records.len()],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Reading through `ref` fields in `lookups` (read ahead from the submission).
    pub fn with_lookups(self, lookups: &'p Lookups) -> GroupRun<'p> {
        GroupRun { lookups, ..self }
    }

    /// This run with every `where` and aggregate left to the interpreter: the reference the
    /// fast path is tested against.
    #[doc(hidden)]
    pub fn interpreted(mut self) -> Self {
        for r in &mut self.rules {
            r.filter = None;
            r.aggs.iter_mut().for_each(|a| *a = None);
        }
        self
    }

    /// Adds one record to the groups of every grouped rule of its type, calling `out` for a
    /// record whose `where` cannot be decided (an unknown verdict at once).
    pub fn feed(&mut self, rec: &Record, out: &mut dyn FnMut(Verdict)) {
        self.early(rec, out);
        self.saw(rec.ty);
        if let (Some(true), Some(kept)) = (self.keeps.get(rec.ty), self.kept.get_mut(rec.ty)) {
            kept.push(Arc::new(rec.clone()));
        }
        if let Some(t) = self.types_seen.get_mut(rec.ty) {
            *t = true;
        }
        let seq = self.fed;
        self.fed += 1;
        let (program, as_of, lookups) = (self.program, self.as_of, self.lookups);
        let (rules, n) = (&self.rules, self.shards.len());
        for (i, shard) in self.shards.iter_mut().enumerate() {
            shard.feed(program, as_of, lookups, rules, rec, seq, i, n);
        }
    }

    /// The unknown verdicts of grouped rules whose `where` cannot be decided for this record.
    /// They are reported with the record, before the groups are judged.
    pub fn early(&self, rec: &Record, out: &mut dyn FnMut(Verdict)) {
        self.early_part().early(rec, out);
    }

    fn early_part(&self) -> GroupEarly<'_, 'p> {
        GroupEarly {
            program: self.program,
            as_of: self.as_of,
            lookups: self.lookups,
            rules: &self.rules,
        }
    }

    /// The run as two parts that can be used at once: judging records' grouped rules early
    /// (shared by the threads that evaluate) and aggregating batches (by one thread at a time).
    pub fn split(&mut self) -> (GroupEarly<'_, 'p>, GroupFeed<'_, 'p>) {
        let early = GroupEarly {
            program: self.program,
            as_of: self.as_of,
            lookups: self.lookups,
            rules: &self.rules,
        };
        let feed = GroupFeed {
            run: early,
            shards: &mut self.shards,
            seen: &mut self.seen,
            kept: &mut self.kept,
            keeps: &self.keeps,
            types_seen: &mut self.types_seen,
        };
        (early, feed)
    }

    /// Notes that a record of this type was read.
    pub fn saw(&mut self, ty: usize) {
        mark_seen(self.program, &self.rules, &mut self.seen, ty);
    }

    /// The keys that records refer to (through a `ref` field a joined rule aggregates by) and no
    /// record of the submission has: each once, with how many records refer to it and where the
    /// first is, in the order first seen. Those records took part in no joined rule's total.
    pub fn dangling(&self) -> Vec<Dangling> {
        let mut out: Vec<(u64, Dangling)> = Vec::new();
        let mut said: HashSet<(usize, String)> = HashSet::new();
        for (k, gr) in self.rules.iter().enumerate() {
            let Some(rule) = self.program.rules.get(gr.index).filter(|_| gr.joined) else {
                continue;
            };
            let key_slot = self.program.records.get(rule.record).and_then(|r| r.key);
            let have: HashSet<String> = self
                .kept
                .get(rule.record)
                .into_iter()
                .flatten()
                .filter_map(|r| key_slot.and_then(|s| r.values.get(s)))
                .map(key_of)
                .collect();
            for shard in &self.shards {
                let Some(groups) = shard.groups.get(k) else {
                    continue;
                };
                for (text, g) in groups {
                    if have.contains(text) || !said.insert((rule.record, text.clone())) {
                        continue;
                    }
                    out.push((
                        g.seq,
                        Dangling {
                            target: rule.record,
                            key: text.clone(),
                            records: g.records,
                            first: g.first,
                        },
                    ));
                }
            }
        }
        out.sort_by_key(|(seq, _)| *seq);
        out.into_iter().map(|(_, d)| d).collect()
    }

    /// Judges every group, in the order groups were first seen.
    pub fn finish(self) -> Vec<GroupVerdict> {
        use rayon::prelude::*;
        let mut out = Vec::new();
        let mut per_rule: Vec<Vec<(String, Group)>> =
            self.rules.iter().map(|_| Vec::new()).collect();
        for shard in self.shards {
            for (all, groups) in per_rule.iter_mut().zip(shard.groups) {
                all.extend(groups);
            }
        }
        for ((gr, groups), seen) in self.rules.into_iter().zip(per_rule).zip(self.seen) {
            let ri = gr.index;
            let Some(rule) = self.program.rules.get(ri) else {
                continue;
            };
            if gr.joined {
                let kept = self.kept.get(rule.record).map_or(&[][..], Vec::as_slice);
                let (program, as_of, lookups) = (self.program, self.as_of, self.lookups);
                let by_key: std::collections::HashMap<String, Group> = groups.into_iter().collect();
                let types_seen = &self.types_seen;
                out.par_extend(kept.par_iter().map(|rec| {
                    judge_joined(program, as_of, lookups, ri, rule, rec, &by_key, types_seen)
                }));
                continue;
            }
            let mut groups: Vec<Group> = groups.into_iter().map(|(_, g)| g).collect();
            groups.sort_by_key(|g| g.seq);
            let keyed = matches!(&rule.scope, Scope::Group(k) if !k.is_empty());
            // `applies to all` judges the records of its type once, even when its `where` leaves none;
            // a submission with no record of the type at all is not judged by it.
            if !keyed && groups.is_empty() && seen {
                groups.push(Group {
                    key: Value::Missing,
                    accs: rule.aggs.iter().map(|a| Acc::new(a.kind)).collect(),
                    records: 0,
                    first: RecordLoc::default(),
                    seq: 0,
                });
            }
            // Groups are judged on the threads of the current rayon pool, and kept in order.
            let (program, as_of, lookups) = (self.program, self.as_of, self.lookups);
            out.par_extend(groups.into_par_iter().map(|g| {
                let aggs: Vec<R> = g.accs.iter().map(Acc::finish).collect();
                let verdict = if keyed && key_missing(&g.key, rule) {
                    missing_key(ri, rule, &g.key)
                } else {
                    // `judge` builds an explanation only for a finding.
                    judge(program, ri, rule, &[], &aggs, Some(&g.key), as_of, lookups)
                };
                GroupVerdict {
                    key: g.key,
                    records: g.records,
                    first: g.first,
                    verdict,
                    record: None,
                }
            }));
        }
        out
    }
}

/// Judging records' grouped rules early, while the groups are fed (see [`GroupRun::split`]).
#[derive(Clone, Copy)]
pub struct GroupEarly<'a, 'p> {
    program: &'p Program,
    as_of: NaiveDate,
    lookups: &'p Lookups,
    rules: &'a [GroupRule],
}

impl GroupEarly<'_, '_> {
    /// The unknown verdicts of grouped rules whose `where` cannot be decided for this record.
    /// They are reported with the record, before the groups are judged.
    pub fn early(&self, rec: &Record, out: &mut dyn FnMut(Verdict)) {
        for gr in self.rules {
            let ri = gr.index;
            let Some(rule) = self.program.rules.get(ri) else {
                continue;
            };
            let Some(f) = rule
                .filter
                .as_ref()
                .filter(|_| rule.record == rec.ty && !gr.joined)
            else {
                continue;
            };
            // A `where` the fast path decides is decided: no unknown verdict.
            if gr
                .filter
                .as_ref()
                .is_some_and(|ff| ff.eval(&rec.values, self.program.counting(rule)).is_some())
            {
                continue;
            }
            let env =
                Env::record(self.program, rule, &rec.values, self.as_of).with_lookups(self.lookups);
            if let Err(h) = eval(f, &env).map_err(not_yet_unknown) {
                out(Verdict {
                    rule: ri,
                    outcome: Outcome::Unknown,
                    explanation: Some(Box::new(super::explain::explain_filter(&env, &h))),
                });
            }
        }
    }
}

/// Aggregating batches into the groups (see [`GroupRun::split`]).
pub struct GroupFeed<'a, 'p> {
    /// The run's program, date and grouped rules.
    run: GroupEarly<'a, 'p>,
    shards: &'a mut [Shard],
    seen: &'a mut [bool],
    kept: &'a mut [Vec<Arc<Record>>],
    keeps: &'a [bool],
    types_seen: &'a mut [bool],
}

impl GroupFeed<'_, '_> {
    /// Aggregates a batch on the current rayon pool, one shard per task. `first_seq` is the
    /// position of the batch's first item among all items fed; `record` gives an item's record.
    /// Call `early` for the records as well. (Without grouped rules, nothing is done.)
    pub fn feed_batch<T: Sync>(
        &mut self,
        items: &[T],
        first_seq: u64,
        record: impl Fn(&T) -> Option<&Record> + Sync,
    ) {
        use rayon::prelude::*;
        let GroupEarly {
            program,
            as_of,
            lookups,
            rules,
        } = self.run;
        if rules.is_empty() {
            return;
        }
        let mut types = vec![false; program.records.len()];
        for rec in items.iter().filter_map(&record) {
            if let Some(t) = types.get_mut(rec.ty) {
                *t = true;
            }
        }
        for (ty, _) in types.iter().enumerate().filter(|(_, s)| **s) {
            mark_seen(program, rules, self.seen, ty);
            if let Some(t) = self.types_seen.get_mut(ty) {
                *t = true;
            }
        }
        // The records joined rules judge, kept to the end (only their types'; memory grows
        // with them).
        if types.iter().zip(self.keeps).any(|(t, k)| *t && *k) {
            for rec in items.iter().filter_map(&record) {
                if let (Some(true), Some(kept)) =
                    (self.keeps.get(rec.ty), self.kept.get_mut(rec.ty))
                {
                    kept.push(Arc::new(rec.clone()));
                }
            }
        }
        let n = self.shards.len();
        if let [shard] = &mut *self.shards {
            for (k, rec) in items.iter().enumerate() {
                if let Some(rec) = record(rec) {
                    shard.feed(
                        program,
                        as_of,
                        lookups,
                        rules,
                        rec,
                        first_seq + k as u64,
                        0,
                        1,
                    );
                }
            }
            return;
        }
        self.shards
            .par_iter_mut()
            .enumerate()
            .for_each(|(i, shard)| {
                for (k, it) in items.iter().enumerate() {
                    if let Some(rec) = record(it) {
                        shard.feed(
                            program,
                            as_of,
                            lookups,
                            rules,
                            rec,
                            first_seq + k as u64,
                            i,
                            n,
                        );
                    }
                }
            });
    }
}

/// Notes, for every grouped rule over records of type `ty`, that one was read.
fn mark_seen(program: &Program, rules: &[GroupRule], seen: &mut [bool], ty: usize) {
    for (gr, seen) in rules.iter().zip(seen.iter_mut()) {
        if program.rules.get(gr.index).is_some_and(|r| r.record == ty) {
            *seen = true;
        }
    }
}

impl Shard {
    /// Adds a record to this shard's groups of every grouped rule of its type: those whose key
    /// falls to shard `me` of `n`. A record its rule's `where` leaves out (or cannot decide) is
    /// not aggregated.
    #[allow(clippy::too_many_arguments)]
    fn feed(
        &mut self,
        program: &Program,
        as_of: NaiveDate,
        lookups: &Lookups,
        rules: &[GroupRule],
        rec: &Record,
        seq: u64,
        me: usize,
        n: usize,
    ) {
        for (gr, groups) in rules.iter().zip(self.groups.iter_mut()) {
            let Some(rule) = program.rules.get(gr.index) else {
                continue;
            };
            if gr.joined {
                feed_joined(
                    program, as_of, lookups, rule, &gr.aggs, groups, rec, seq, me, n,
                );
                continue;
            }
            if rule.record != rec.ty {
                continue;
            }
            let key = group_key(program, rule, rec, as_of, lookups);
            let key: &Value = &key;
            let text = group_text(key, rule);
            let text: &str = &text;
            if n > 1 && shard_of(text, n) != me {
                continue;
            }
            // Built only when the fast path leaves a record to the interpreter.
            let env = || Env::record(program, rule, &rec.values, as_of).with_lookups(lookups);
            if let Some(f) = &rule.filter {
                let fast = gr
                    .filter
                    .as_ref()
                    .and_then(|ff| ff.eval(&rec.values, program.counting(rule)));
                let pass = match fast {
                    Some(b) => b,
                    None => matches!(eval(f, &env()), Ok(Value::Bool(true))),
                };
                if !pass {
                    continue;
                }
            }
            let Some(group) = group_for(groups, text, key, rule, rec, seq) else {
                continue;
            };
            group.records += 1;
            for ((acc, agg), fast) in group.accs.iter_mut().zip(&rule.aggs).zip(&gr.aggs) {
                feed_one(acc, agg, fast.as_ref(), rec, program.counting(rule), &env);
            }
        }
    }
}

/// Adds a record to the joined aggregates of `rule` over its type: in the group of the record
/// its `ref` field names, when that group falls to shard `me` of `n`. A record whose `ref` field
/// is blank or unreadable names no record and is not aggregated.
#[allow(clippy::too_many_arguments)]
fn feed_joined(
    program: &Program,
    as_of: NaiveDate,
    lookups: &Lookups,
    rule: &Rule,
    fast: &[Option<FastAgg>],
    groups: &mut Groups,
    rec: &Record,
    seq: u64,
    me: usize,
    n: usize,
) {
    let Some(via) = rule
        .aggs
        .iter()
        .find_map(|a| a.source.as_ref().filter(|s| s.ty == rec.ty).map(|s| s.via))
    else {
        return;
    };
    let key = rec.values.get(via).unwrap_or(&Value::Missing);
    if matches!(key, Value::Missing | Value::Invalid(_)) {
        return;
    }
    let text = key_text(key);
    let text: &str = &text;
    if n > 1 && shard_of(text, n) != me {
        return;
    }
    let Some(group) = group_for(groups, text, key, rule, rec, seq) else {
        return;
    };
    group.records += 1;
    let env = || {
        Env::record(program, rule, &[], as_of)
            .with_lookups(lookups)
            .with_elem(&rec.values, rec.ty)
    };
    for ((acc, agg), fast) in group.accs.iter_mut().zip(&rule.aggs).zip(fast) {
        if agg.source.as_ref().is_none_or(|s| s.ty != rec.ty) {
            continue;
        }
        feed_one(acc, agg, fast.as_ref(), rec, program.counting(rule), &env);
    }
}

/// The group of key `text` (`key` as a value), made, first seen at `rec`, when there is none.
fn group_for<'g>(
    groups: &'g mut Groups,
    text: &str,
    key: &Value,
    rule: &Rule,
    rec: &Record,
    seq: u64,
) -> Option<&'g mut Group> {
    match groups.get_index_of(text) {
        Some(i) => groups.get_index_mut(i).map(|(_, g)| g),
        None => Some(groups.entry(text.to_string()).or_insert_with(|| Group {
            key: key.clone(),
            accs: rule.aggs.iter().map(|a| Acc::new(a.kind)).collect(),
            records: 0,
            first: rec.loc,
            seq,
        })),
    }
}

/// Adds `rec` to one aggregate: through its fast form where that decides, else the interpreter
/// in the environment `env` builds.
fn feed_one<'e>(
    acc: &mut Acc,
    agg: &GroupAgg,
    fast: Option<&FastAgg>,
    rec: &Record,
    period: Counting<'_>,
    env: &dyn Fn() -> Env<'e>,
) {
    match fast.and_then(|f| f.eval(&rec.values, period)) {
        Some(Fed::Skip) => {}
        Some(Fed::One) => acc.feed_value(None),
        Some(Fed::Num(n)) => acc.feed_value(Some(Value::Num(n))),
        None => acc.feed(agg.expr.as_ref(), agg.filter.as_ref(), &env()),
    }
}

/// A joined aggregate with the referring record's fields (`Elem`) read as the record's own
/// (`Field`): the form the fast path compiles, given the referring record's values.
fn elems_as_fields(agg: &GroupAgg) -> GroupAgg {
    let mut a = agg.clone();
    for x in a.expr.iter_mut().chain(a.filter.iter_mut()) {
        x.walk_mut(&mut |e| {
            if let ExprKind::Elem(s) = e.kind {
                e.kind = ExprKind::Field(s);
            }
        });
    }
    a
}

/// A joined rule's verdict on one record of its type, with the aggregates of the records that
/// refer to it (none: a count of 0, a sum of 0).
#[allow(clippy::too_many_arguments)]
fn judge_joined(
    program: &Program,
    as_of: NaiveDate,
    lookups: &Lookups,
    ri: usize,
    rule: &Rule,
    rec: &Arc<Record>,
    by_key: &std::collections::HashMap<String, Group>,
    types_seen: &[bool],
) -> GroupVerdict {
    let rt = program.records.get(rule.record);
    let key_slot = rt.and_then(|r| r.key);
    let key = key_slot
        .and_then(|k| rec.values.get(k))
        .cloned()
        .unwrap_or(Value::Missing);
    let group = match &key {
        Value::Missing | Value::Invalid(_) => None,
        k => by_key.get(&key_of(k)),
    };
    let done = |verdict: Verdict| GroupVerdict {
        key: key.clone(),
        records: group.map_or(0, |g| g.records),
        first: rec.loc,
        verdict,
        record: Some(Arc::clone(rec)),
    };
    // Without its key, the records that refer to it cannot be found.
    if matches!(key, Value::Missing | Value::Invalid(_)) {
        let field = key_slot
            .and_then(|k| rt?.field(k))
            .map(|f| f.label.clone().unwrap_or_else(|| f.name.clone()))
            .unwrap_or_default();
        let why = crate::diag::Msg::new(
            format!("主键 `{field}` 缺失，找不到关联它的记录"),
            format!(
                "the key `{field}` is missing, so the records that refer to it cannot be found"
            ),
        );
        return done(unknown_verdict(ri, why));
    }
    // An aggregate over a type of which the submission has no record at all is unknown: the
    // register was not sent, which says nothing of how many records it has.
    let aggs: Vec<R> = rule
        .aggs
        .iter()
        .enumerate()
        .map(|(i, a)| match &a.source {
            Some(s) if !types_seen.get(s.ty).copied().unwrap_or(false) => {
                Err(Halt::Unknown(super::Unknown {
                    field: None,
                    reason: UnknownReason::NoRecords {
                        of: program
                            .records
                            .get(s.ty)
                            .map(|r| r.display_name().to_string())
                            .unwrap_or_default(),
                    },
                }))
            }
            _ => match group.and_then(|g| g.accs.get(i)) {
                Some(acc) => acc.finish(),
                None => Acc::new(a.kind).finish(),
            },
        })
        .collect();
    if let Some(f) = &rule.filter {
        let env = Env {
            aggs: &aggs,
            ..Env::record(program, rule, &rec.values, as_of).with_lookups(lookups)
        };
        match eval(f, &env).map_err(not_yet_unknown) {
            Ok(Value::Bool(true)) => {}
            Ok(_) => {
                return done(Verdict {
                    rule: ri,
                    outcome: Outcome::NotApplicable,
                    explanation: None,
                })
            }
            Err(h) => {
                return done(Verdict {
                    rule: ri,
                    outcome: Outcome::Unknown,
                    explanation: Some(Box::new(super::explain::explain_filter(&env, &h))),
                })
            }
        }
    }
    done(judge(
        program,
        ri,
        rule,
        &rec.values,
        &aggs,
        None,
        as_of,
        lookups,
    ))
}

/// Which of `n` shards a group key falls to (FNV-1a: stable, and cheap for short keys).
fn shard_of(key: &str, n: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    (h % n as u64) as usize
}

/// The records whose grouping field is missing cannot be judged as a group: unknown, naming the field.
fn missing_key(ri: usize, rule: &Rule, key: &Value) -> Verdict {
    let keys: &[crate::check::ir::GroupKey] = match &rule.scope {
        Scope::Group(k) => k,
        _ => &[],
    };
    let n = keys.len();
    let gone: Vec<&crate::check::ir::GroupKey> = keys
        .iter()
        .enumerate()
        .filter(|(i, _)| matches!(key_part(key, *i, n), Value::Missing | Value::Invalid(_)))
        .map(|(_, k)| k)
        .collect();
    let zh: Vec<&str> = gone.iter().map(|k| k.label.0.as_str()).collect();
    let en: Vec<&str> = gone.iter().map(|k| k.label.1.as_str()).collect();
    let (zh, en) = (zh.join("`、`"), en.join("`, `"));
    // A key field is missing; a computed key may also not be computable (an unreadable date).
    let why = if gone.iter().all(|k| k.slot().is_some()) {
        // A field is named by its label in both languages, as other data problems name it.
        crate::diag::Msg::new(
            format!("分组字段 `{zh}` 缺失"),
            format!("the grouping field `{zh}` is missing"),
        )
    } else {
        crate::diag::Msg::new(
            format!("分组键 `{zh}` 缺失或无法得出"),
            format!("the grouping key `{en}` is missing or cannot be computed"),
        )
    };
    unknown_verdict(ri, why)
}

/// An unknown verdict, for the reason `why`.
fn unknown_verdict(ri: usize, why: crate::diag::Msg) -> Verdict {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_add_exactly_and_halt_on_overflow() {
        let num = |m: i64, s: u32| Some(Value::Num(Decimal::new(m, s)));
        let mut acc = Acc::new(AggKind::Sum);
        for v in [num(31015, 2), num(5, 0), num(-1, 3)] {
            acc.feed_value(v);
        }
        assert_eq!(acc.finish(), Ok(Value::Num(Decimal::new(315149, 3))));
        let mut acc = Acc::new(AggKind::Sum);
        acc.feed_value(Some(Value::Num(Decimal::MAX)));
        acc.feed_value(num(1, 0));
        acc.feed_value(num(1, 0));
        assert!(
            matches!(acc.finish(), Err(Halt::Unknown(ref u)) if u.reason == UnknownReason::Overflow),
            "{:?}",
            acc.finish()
        );
    }
}
