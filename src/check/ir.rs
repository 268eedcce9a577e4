//! The checked form of a policy: names resolved to slots, every expression typed.
//! It says what a rule means, not how it runs: `eval` interprets it, and other back ends may compile it.

use super::units::Unit;
use crate::calendar::Calendar;
use crate::diag::Msg;
use crate::source::{SourceId, SourceMap, Span};
use crate::syntax::ast::{ArithOp, CmpOp, DurationUnit, KeywordLang, Outcome, Severity};
use crate::value::{Record, Value};
use chrono::NaiveDate;
use indexmap::IndexMap;
use std::collections::HashMap;
use std::sync::Arc;

/// A set of checked policies, ready to evaluate records many times.
#[derive(Debug, Clone)]
pub struct Program {
    /// The policy texts it was compiled from.
    pub sources: SourceMap,
    #[doc(hidden)]
    pub policies: Vec<PolicyInfo>,
    #[doc(hidden)]
    pub records: Vec<RecordType>,
    #[doc(hidden)]
    pub rules: Vec<Rule>,
    #[doc(hidden)]
    pub examples: Vec<Example>,
    /// The calendars its rules count periods on, by id.
    #[doc(hidden)]
    pub calendars: Calendars,
}

impl Program {
    /// How `rule` counts its periods: its period rules, on its calendar.
    #[doc(hidden)]
    pub fn counting(&self, rule: &Rule) -> Counting<'_> {
        Counting {
            rules: rule.period,
            calendar: self.calendars.get(rule.period.calendar),
        }
    }

    /// Every rule counts its periods on `calendar` (named `name`), as `--calendar FILE` asks.
    /// A local calendar that `extends cn-national` is laid over the national one.
    pub fn use_calendar(&mut self, name: &str, calendar: Calendar) {
        self.calendars.replace_all(name, calendar);
    }

    /// Reads each missing value of `rec` whose field has a `default` as that default, before any
    /// rule sees the record (every reader and the examples alike).
    pub fn fill_defaults(&self, rec: &mut Record) {
        let Some(rt) = self.records.get(rec.ty) else {
            return;
        };
        if !rt.has_defaults {
            return;
        }
        for (f, v) in rt.fields.iter().zip(rec.values.iter_mut()) {
            if let (Some(d), Value::Missing) = (&f.default, &*v) {
                *v = d.clone();
            }
        }
    }

    /// The record type a submission names: `name`, `label` (`搬迁户`), or either qualified by
    /// its policy (`relocation_2016::household`, or by the policy file's stem,
    /// `relocation-2016::household`). `None` when no type or more than one answers; see
    /// [`Program::record_types_named`] for which.
    #[doc(hidden)]
    pub fn record_type(&self, name: &str) -> Option<usize> {
        match self.record_types_named(name).as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// Every record type (not only a list's element) that `name` could mean, by name first and
    /// by label when no name matches: more than one when policies of the run share it.
    #[doc(hidden)]
    pub fn record_types_named(&self, name: &str) -> Vec<usize> {
        let (policy, short) = match name.split_once("::") {
            Some((p, n)) => (Some(p), n),
            None => (None, name),
        };
        let in_scope =
            |r: &RecordType| !r.element_only && policy.is_none_or(|p| self.policy_is(r.policy, p));
        let by = |f: &dyn Fn(&RecordType) -> bool| -> Vec<usize> {
            self.records
                .iter()
                .enumerate()
                .filter(|(_, r)| in_scope(r) && f(r))
                .map(|(i, _)| i)
                .collect()
        };
        let named = by(&|r| r.name == short);
        if named.is_empty() {
            by(&|r| r.label.as_deref() == Some(short))
        } else {
            named
        }
    }

    /// The policy `p` names: its id (`relocation_2016`) or its file's stem (`relocation-2016`).
    #[doc(hidden)]
    pub fn policy_named(&self, p: &str) -> Option<usize> {
        (0..self.policies.len()).find(|&i| self.policy_is(i, p))
    }

    /// Whether `p` names policy `i`: its id, or its file's stem.
    fn policy_is(&self, i: usize, p: &str) -> bool {
        self.policies.get(i).is_some_and(|info| {
            info.id == p
                || std::path::Path::new(&info.path)
                    .file_stem()
                    .is_some_and(|s| s == p)
        })
    }

    /// The rule `id` names: full (`policy::rule`) or short where only one policy of the run has it.
    #[doc(hidden)]
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        let (policy, short) = match id.split_once("::") {
            Some((p, n)) => (Some(p), n),
            None => (None, id),
        };
        let mut found = self
            .rules
            .iter()
            .filter(|r| r.id == short && policy.is_none_or(|p| self.policy_is(r.policy, p)));
        match (found.next(), found.next()) {
            (Some(r), None) => Some(r),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct PolicyInfo {
    pub id: String,
    pub title: String,
    pub document: Option<String>,
    pub issuer: Option<String>,
    pub issued: Option<NaiveDate>,
    pub effective: Option<NaiveDate>,
    pub source_file: Option<String>,
    pub path: String,
    pub source: SourceId,
    /// Where the policy's id is written in its header.
    pub span: Span,
    pub keywords: KeywordLang,
}

#[derive(Debug, Clone)]
pub struct RecordType {
    pub name: String,
    pub label: Option<String>,
    pub fields: Vec<Field>,
    pub key: Option<usize>,
    /// Field name and label → slot.
    pub lookup: HashMap<String, usize>,
    pub span: Span,
    /// The policy (index into `Program::policies`) whose file declares it.
    pub policy: usize,
    /// Its name as a run's reports show it: qualified by its policy (`farmland_protection::project`)
    /// only when another policy of the run declares a record type of the same name.
    pub shown_name: String,
    /// Only used as the element of a list field.
    pub element_only: bool,
    /// Whether a field has a `default` (`Program::fill_defaults` has work to do).
    pub has_defaults: bool,
    /// Per field: whether a rule reads it or it names a record (see `mark_used`).
    pub used: Vec<bool>,
}

impl RecordType {
    pub fn slot(&self, name: &str) -> Option<usize> {
        self.lookup.get(name).copied()
    }

    pub fn field(&self, slot: usize) -> Option<&Field> {
        self.fields.get(slot)
    }

    /// How a reader knows the record: the key value, or its position.
    pub fn display_name(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub label: Option<String>,
    /// Other headers or keys the field is read from (`"户编号" | "编号"`).
    pub also: Vec<String>,
    pub ty: Ty,
    pub optional: bool,
    /// In a spreadsheet, a 合计 row's cell in this column must equal the sum of the rows above
    /// it (`total`); checked by the reader.
    pub total: bool,
    /// `default V`: the value a missing value of this optional field is read as (filled in
    /// before any rule sees the record: `Program::fill_defaults`).
    pub default: Option<Value>,
    /// `ref T`: the field holds the key of a record of type `T` (its type is that key's type).
    pub refers: Option<usize>,
    pub span: Span,
}

impl Field {
    pub fn unit(&self) -> Option<&Unit> {
        match &self.ty {
            Ty::Num(n) => Some(&n.unit),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NumTy {
    pub unit: Unit,
    pub int: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    pub variants: Vec<(String, Option<String>)>,
}

impl EnumDef {
    pub fn find(&self, s: &str) -> Option<u16> {
        self.variants
            .iter()
            .position(|(n, l)| n == s || l.as_deref() == Some(s))
            .and_then(|i| u16::try_from(i).ok())
    }

    pub fn name(&self, i: u16) -> &str {
        self.variants
            .get(i as usize)
            .map(|(n, _)| n.as_str())
            .unwrap_or("?")
    }

    pub fn label(&self, i: u16) -> &str {
        self.variants
            .get(i as usize)
            .map(|(n, l)| l.as_deref().unwrap_or(n))
            .unwrap_or("?")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Text,
    Num(NumTy),
    Bool,
    Date,
    DateTime,
    Enum(Arc<EnumDef>),
    /// A list of records of the given record type.
    List(usize),
    Duration(DurationUnit),
    /// The dates of a set of records (the input of `every`).
    Dates,
    /// The type of an expression that already has an error; it suppresses follow-on errors.
    Error,
}

impl Ty {
    pub fn plain_num() -> Ty {
        Ty::Num(NumTy {
            unit: Unit::none(),
            int: false,
        })
    }

    pub fn describe(&self) -> (String, String) {
        match self {
            Ty::Text => ("文本".into(), "text".into()),
            Ty::Num(n) if n.unit.name.is_empty() => ("数".into(), "a number".into()),
            Ty::Num(n) => {
                let (zh, en) = n.unit.dim.describe();
                (
                    format!("{zh}（{}）", n.unit.name),
                    format!("{en} ({})", n.unit.name),
                )
            }
            Ty::Bool => ("真假值".into(), "true/false".into()),
            Ty::Date => ("日期".into(), "a date".into()),
            Ty::DateTime => ("时间".into(), "a date and time".into()),
            Ty::Enum(_) => ("枚举值".into(), "an enum value".into()),
            Ty::List(_) => ("列表".into(), "a list".into()),
            Ty::Duration(u) => {
                let (zh, en) = duration_unit_names(*u);
                (format!("时长（{zh}）"), format!("a duration in {en}"))
            }
            Ty::Dates => ("日期集合".into(), "a set of dates".into()),
            Ty::Error => ("错误".into(), "an error".into()),
        }
    }
}

pub fn duration_unit_names(u: DurationUnit) -> (&'static str, &'static str) {
    match u {
        DurationUnit::Hours => ("小时", "hours"),
        DurationUnit::Days => ("日", "days"),
        DurationUnit::Weeks => ("周", "weeks"),
        DurationUnit::WorkingDays => ("个工作日", "working days"),
        DurationUnit::Months => ("个月", "months"),
        DurationUnit::Years => ("年", "years"),
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Citation {
    pub document: Option<String>,
    pub lines: Option<(u32, u32)>,
    pub article: Option<String>,
    pub quote: Option<String>,
    pub source_file: Option<String>,
}

impl Citation {
    pub fn render(&self) -> String {
        let mut parts = Vec::new();
        if let Some(d) = &self.document {
            parts.push(d.clone());
        }
        if let Some(a) = &self.article {
            parts.push(a.clone());
        }
        if let Some((a, b)) = self.lines {
            if a == b {
                parts.push(format!("L{a}"));
            } else {
                parts.push(format!("L{a}-{b}"));
            }
        }
        let mut s = parts.join(" ");
        if let Some(q) = &self.quote {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(&format!("「{q}」"));
        }
        s
    }
}

/// How periods are counted for a rule. The calendar is named by id: the calendars themselves
/// are the program's table ([`Calendars`]), which a run may replace (`--calendar`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodRules {
    pub calendar: CalendarId,
    pub extend_on_day_off: bool,
    pub month_rule: MonthRule,
}

/// A calendar of a program's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CalendarId(pub u16);

impl CalendarId {
    /// The national calendar (国务院部分节假日安排), first in every table.
    pub const NATIONAL: CalendarId = CalendarId(0);
}

/// A loaded working-day calendar and the name it was given (`cn-national`, or the file a
/// policy or `--calendar` named).
#[derive(Debug, Clone)]
pub struct NamedCalendar {
    pub name: String,
    pub calendar: Arc<Calendar>,
}

/// The calendars a program's rules count their periods on, by id: the national one
/// ([`CalendarId::NATIONAL`]) and those the policies name.
#[derive(Debug, Clone)]
pub struct Calendars {
    national: NamedCalendar,
    local: Vec<NamedCalendar>,
}

impl Default for Calendars {
    fn default() -> Calendars {
        Calendars {
            national: NamedCalendar {
                name: "cn-national".into(),
                calendar: Arc::new(Calendar::national().clone()),
            },
            local: Vec::new(),
        }
    }
}

impl Calendars {
    /// Adds a calendar and gives its id; `None` past 65,535 calendars.
    pub fn add(&mut self, name: String, calendar: Arc<Calendar>) -> Option<CalendarId> {
        let id = CalendarId(u16::try_from(self.local.len() + 1).ok()?);
        self.local.push(NamedCalendar { name, calendar });
        Some(id)
    }

    /// The calendar of an id. Every id in a program is of its own table, which replacing keeps
    /// whole; an id from elsewhere gets the national calendar.
    pub fn get(&self, id: CalendarId) -> &NamedCalendar {
        usize::from(id.0)
            .checked_sub(1)
            .and_then(|i| self.local.get(i))
            .unwrap_or(&self.national)
    }

    /// Every id's calendar replaced by `calendar`: every rule counts its periods on it (as
    /// `--calendar FILE` asks). A calendar that `extends cn-national` is laid over the national
    /// one.
    pub fn replace_all(&mut self, name: &str, calendar: Calendar) {
        let one = NamedCalendar {
            name: name.to_string(),
            calendar: Arc::new(over_national(calendar)),
        };
        for c in &mut self.local {
            *c = one.clone();
        }
        self.national = one;
    }
}

/// A local calendar as it counts: laid over the national one when it says `extends cn-national`.
pub fn over_national(calendar: Calendar) -> Calendar {
    match calendar.extends() {
        Some(_) => Calendar::national().overlay(&calendar),
        None => calendar,
    }
}

/// What counting a period needs at run time: a rule's period rules with its calendar.
#[derive(Debug, Clone, Copy)]
pub struct Counting<'a> {
    pub rules: PeriodRules,
    pub calendar: &'a NamedCalendar,
}

/// Where a period of months or years ends when the final month has no corresponding day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthRule {
    /// 民法典 第二百零二条: that month's last day (Jan 31 + 1 month = Feb 28/29).
    LastDay,
    /// The first day of the following month (Jan 31 + 1 month = Mar 1).
    NextDay,
}

impl MonthRule {
    pub fn describe(self) -> (&'static str, &'static str) {
        match self {
            MonthRule::LastDay => (
                "按民法典第二百零二条，到期月无对应日的，以该月末日为期限",
                "Civil Code art. 202: with no corresponding day, the month's last day",
            ),
            MonthRule::NextDay => (
                "按本政策规定，到期月无对应日的，以次月首日为期限",
                "as this policy declares: with no corresponding day, the first day of the next month",
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Scope {
    /// Once per record.
    Each,
    /// Once per group of records sharing the keys (or once over all, when there is none).
    Group(Vec<GroupKey>),
    /// Once per record, with aggregates over the records of other types that refer to it
    /// (`household.count()` in a rule on a county's report): judged once every record is read.
    Joined,
}

/// One key of a grouped rule: a field (`county`) or a value computed from the record's fields
/// (`year(paid_on)`). A group's key value is the key's value when there is one key, else a list
/// of one row, the keys' values in order (see `eval::group::key_part`).
#[derive(Debug, Clone)]
pub struct GroupKey {
    /// Over the record's fields.
    pub expr: Expr,
    /// As written, white space removed: a rule names the key by writing it again.
    pub text: String,
    /// What a report calls it (a field's label; the expression in words otherwise), Chinese
    /// and English.
    pub label: (String, String),
}

impl GroupKey {
    /// The field it is, when it is one.
    pub fn slot(&self) -> Option<usize> {
        match self.expr.kind {
            ExprKind::Field(s) => Some(s),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: Option<String>,
    pub policy: usize,
    pub citations: Vec<Citation>,
    pub severity: Severity,
    pub record: usize,
    pub scope: Scope,
    pub filter: Option<Expr>,
    pub lets: Vec<Let>,
    pub requires: Vec<Expr>,
    pub unless: Vec<Expr>,
    /// Aggregates of a grouped rule, accumulated record by record.
    pub aggs: Vec<GroupAgg>,
    pub message_zh: Option<Template>,
    pub message_en: Option<Template>,
    pub period: PeriodRules,
    pub span: Span,
    pub name_span: Span,
    /// `policy::rule`, unique in any run: what SARIF, JUnit and JSON carry.
    pub full_id: String,
    /// The id a reader is shown: short, qualified only when another policy of the run has a
    /// rule of the same id.
    pub shown_id: String,
}

/// Gives every record type its shown name and every rule its full and shown ids, once the
/// run's policies are all known.
pub fn name_rules(policies: &[PolicyInfo], records: &mut [RecordType], rules: &mut [Rule]) {
    let mut declared: HashMap<String, usize> = HashMap::new();
    for r in records.iter().filter(|r| !r.element_only) {
        *declared.entry(r.name.clone()).or_default() += 1;
    }
    for r in records.iter_mut() {
        let shared = declared.get(&r.name).is_some_and(|&n| n > 1);
        r.shown_name = match (shared, policies.get(r.policy)) {
            (true, Some(p)) => format!("{}::{}", p.id, r.name),
            _ => r.name.clone(),
        };
    }
    let mut policies_of: HashMap<String, Vec<usize>> = HashMap::new();
    for r in rules.iter() {
        let ps = policies_of.entry(r.id.clone()).or_default();
        if !ps.contains(&r.policy) {
            ps.push(r.policy);
        }
    }
    for r in rules.iter_mut() {
        r.full_id = match policies.get(r.policy) {
            Some(p) => format!("{}::{}", p.id, r.id),
            None => r.id.clone(),
        };
        let shared = policies_of.get(&r.id).is_some_and(|ps| ps.len() > 1);
        r.shown_id = if shared {
            r.full_id.clone()
        } else {
            r.id.clone()
        };
    }
}

#[derive(Debug, Clone)]
pub struct Let {
    pub name: String,
    pub expr: Expr,
    pub span: Span,
}

/// A message with `{name}` holes, each resolved to a let or a field.
#[derive(Debug, Clone)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

#[derive(Debug, Clone)]
pub enum TemplatePart {
    Text(String),
    Hole(Expr),
    /// `{name%}`: a ratio shown as a percentage.
    Percent(Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggKind {
    Sum,
    Count,
    Min,
    Max,
    Avg,
    All,
    Any,
    Distinct,
    /// The distinct dates of the records (internal to `every`).
    Dates,
}

impl AggKind {
    pub fn from_name(s: &str) -> Option<AggKind> {
        Some(match s {
            "sum" | "合计" | "求和" => AggKind::Sum,
            "count" | "计数" => AggKind::Count,
            "min" | "最小" => AggKind::Min,
            "max" | "最大" => AggKind::Max,
            "avg" | "平均" => AggKind::Avg,
            "all" | "全部" => AggKind::All,
            "any" | "任一" => AggKind::Any,
            "distinct" | "去重计数" => AggKind::Distinct,
            _ => return None,
        })
    }

    /// Its Chinese name (`计数`), as the Chinese report says it.
    pub fn zh_name(self) -> &'static str {
        match self {
            AggKind::Sum => "合计",
            AggKind::Count => "计数",
            AggKind::Min => "最小",
            AggKind::Max => "最大",
            AggKind::Avg => "平均",
            AggKind::All => "全部",
            AggKind::Any => "任一",
            AggKind::Distinct => "去重计数",
            AggKind::Dates => "每期",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            AggKind::Sum => "sum",
            AggKind::Count => "count",
            AggKind::Min => "min",
            AggKind::Max => "max",
            AggKind::Avg => "avg",
            AggKind::All => "all",
            AggKind::Any => "any",
            AggKind::Distinct => "distinct",
            AggKind::Dates => "every",
        }
    }
}

#[derive(Debug, Clone)]
pub struct GroupAgg {
    pub kind: AggKind,
    /// Over the group's records; for a joined aggregate, over the referring records, whose
    /// fields it names as `ExprKind::Elem`.
    pub expr: Option<Expr>,
    pub filter: Option<Expr>,
    pub span: Span,
    /// For a joined aggregate, the records it runs over.
    pub source: Option<JoinSource>,
}

/// The records a joined aggregate runs over: those of type `ty` whose `ref` field `via` holds
/// the key of the record being judged.
#[derive(Debug, Clone)]
pub struct JoinSource {
    pub ty: usize,
    pub via: usize,
    /// Where the type is named (`household` of `household.count()`).
    pub name_span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Present,
    Round,
    Abs,
    Min,
    Max,
    MonthEnd,
    YearEnd,
    Year,
    Month,
    Contains,
    WorkingDaysBetween,
    AsOf,
    /// `age(birth, on)`: whole years (周岁) completed on `on`.
    Age,
    /// `date(y, m, d)`, or `date(datetime)`: a date.
    Date,
    Floor,
    Ceil,
    /// `week(d)`: the Monday that begins the calendar week of `d` (to group by week).
    Week,
}

impl Builtin {
    pub fn from_name(s: &str) -> Option<Builtin> {
        Some(match s {
            "present" | "有值" => Builtin::Present,
            "round" | "四舍五入" => Builtin::Round,
            "abs" | "绝对值" => Builtin::Abs,
            "min" | "最小" => Builtin::Min,
            "max" | "最大" => Builtin::Max,
            "month_end" | "月底" => Builtin::MonthEnd,
            "year_end" | "年底" => Builtin::YearEnd,
            "year" | "年份" => Builtin::Year,
            "month" | "月份" => Builtin::Month,
            "contains" | "包含" => Builtin::Contains,
            "working_days_between" | "工作日数" => Builtin::WorkingDaysBetween,
            "as_of" | "截至日" => Builtin::AsOf,
            "age" | "周岁" => Builtin::Age,
            "date" | "日期" => Builtin::Date,
            "floor" | "向下取整" => Builtin::Floor,
            "ceil" | "向上取整" => Builtin::Ceil,
            "week" | "所在周" => Builtin::Week,
            _ => return None,
        })
    }

    /// The function's Chinese name (`有值`), as the Chinese report says it.
    pub fn zh_name(self) -> &'static str {
        match self {
            Builtin::Present => "有值",
            Builtin::Round => "四舍五入",
            Builtin::Abs => "绝对值",
            Builtin::Min => "最小",
            Builtin::Max => "最大",
            Builtin::MonthEnd => "月底",
            Builtin::YearEnd => "年底",
            Builtin::Year => "年份",
            Builtin::Week => "所在周",
            Builtin::Month => "月份",
            Builtin::Contains => "包含",
            Builtin::WorkingDaysBetween => "工作日数",
            Builtin::AsOf => "截至日",
            Builtin::Age => "周岁",
            Builtin::Date => "日期",
            Builtin::Floor => "向下取整",
            Builtin::Ceil => "向上取整",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Builtin::Present => "present",
            Builtin::Round => "round",
            Builtin::Abs => "abs",
            Builtin::Min => "min",
            Builtin::Max => "max",
            Builtin::MonthEnd => "month_end",
            Builtin::YearEnd => "year_end",
            Builtin::Year => "year",
            Builtin::Week => "week",
            Builtin::Month => "month",
            Builtin::Contains => "contains",
            Builtin::WorkingDaysBetween => "working_days_between",
            Builtin::AsOf => "as_of",
            Builtin::Age => "age",
            Builtin::Date => "date",
            Builtin::Floor => "floor",
            Builtin::Ceil => "ceil",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Ty,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Const(Value),
    /// A field of the record being checked.
    Field(usize),
    /// A field of the list element being aggregated.
    Elem(usize),
    Local(usize),
    /// The key of the group being checked.
    /// The `i`th key of the group being judged.
    GroupKey(usize),
    /// A field of the record that a `ref` field names (`site.households`): `via` gives its key.
    Deref {
        via: Box<Expr>,
        target: usize,
        slot: usize,
    },
    Neg(Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Cmp {
        op: CmpOp,
        word: String,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    In(Box<Expr>, Vec<Expr>),
    /// `date ± duration`, counted as a period.
    DateAdd {
        date: Box<Expr>,
        duration: Box<Expr>,
        subtract: bool,
        /// The period's end is a deadline, the latest day an act may take place (it bounds a
        /// comparison from above: `act <= date + duration`), and so is moved off a day off where
        /// the rule's period rules say so. Elsewhere (an age, an anniversary, a minimum length:
        /// `birth + 80 years <= on`) it is the day reached, never moved. Set by
        /// `check::deadlines`.
        deadline: bool,
    },
    /// `date - date`, in days (or hours for datetimes).
    DateDiff(Box<Expr>, Box<Expr>),
    Call(Builtin, Vec<Expr>),
    ListAgg {
        kind: AggKind,
        list: Box<Expr>,
        expr: Option<Box<Expr>>,
        filter: Option<Box<Expr>>,
    },
    GroupAgg(usize),
    /// `require C by D`: C, a target due on D. Not holding before D is pending.
    By(Box<Expr>, Box<Expr>),
    /// At least `min` dates (one unless said) in every period of the given length between
    /// `from` and `to`.
    Every {
        dates: Box<Expr>,
        amount: u32,
        unit: DurationUnit,
        from: Box<Expr>,
        to: Box<Expr>,
        min: u32,
    },
}

#[derive(Debug, Clone)]
pub struct Example {
    pub name: String,
    pub policy: usize,
    pub as_of: Option<NaiveDate>,
    pub records: Vec<Record>,
    pub record_spans: Vec<Span>,
    pub expects: Vec<Expectation>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Expectation {
    pub rule: usize,
    pub outcome: Outcome,
    pub for_key: Option<String>,
    pub span: Span,
}

/// Field labels and names for a record type, in the order of `fields`.
pub fn field_names(rt: &RecordType) -> IndexMap<String, usize> {
    rt.fields
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.clone(), i))
        .collect()
}

/// A message template shown when there is no custom message.
pub fn default_message(rule: &Rule) -> Msg {
    let t = rule.title.as_deref().unwrap_or(&rule.id);
    Msg::new(
        crate::diag::cat(&["未满足：", t]),
        crate::diag::cat(&["requirement not met: ", t]),
    )
}

impl Expr {
    /// Calls `f` on this expression and every expression inside it.
    pub fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Const(_)
            | ExprKind::Field(_)
            | ExprKind::Elem(_)
            | ExprKind::Local(_)
            | ExprKind::GroupKey(_)
            | ExprKind::GroupAgg(_) => {}
            ExprKind::Neg(x) | ExprKind::Not(x) | ExprKind::Deref { via: x, .. } => x.walk(f),
            ExprKind::Arith(_, a, b) | ExprKind::Cmp { lhs: a, rhs: b, .. } => {
                a.walk(f);
                b.walk(f);
            }
            ExprKind::DateDiff(a, b) | ExprKind::By(a, b) => {
                a.walk(f);
                b.walk(f);
            }
            ExprKind::And(xs) | ExprKind::Or(xs) | ExprKind::Call(_, xs) => {
                xs.iter().for_each(|x| x.walk(f))
            }
            ExprKind::If(c, t, e) => {
                c.walk(f);
                t.walk(f);
                e.walk(f);
            }
            ExprKind::In(x, xs) => {
                x.walk(f);
                xs.iter().for_each(|x| x.walk(f));
            }
            ExprKind::DateAdd { date, duration, .. } => {
                date.walk(f);
                duration.walk(f);
            }
            ExprKind::ListAgg {
                list, expr, filter, ..
            } => {
                list.walk(f);
                if let Some(x) = expr {
                    x.walk(f);
                }
                if let Some(x) = filter {
                    x.walk(f);
                }
            }
            ExprKind::Every {
                dates, from, to, ..
            } => {
                dates.walk(f);
                from.walk(f);
                to.walk(f);
            }
        }
    }
}

impl Expr {
    /// Calls `f` on this expression and every expression inside it, children first, to change
    /// them.
    pub fn walk_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        match &mut self.kind {
            ExprKind::Const(_)
            | ExprKind::Field(_)
            | ExprKind::Elem(_)
            | ExprKind::Local(_)
            | ExprKind::GroupKey(_)
            | ExprKind::GroupAgg(_) => {}
            ExprKind::Neg(x) | ExprKind::Not(x) | ExprKind::Deref { via: x, .. } => x.walk_mut(f),
            ExprKind::Arith(_, a, b)
            | ExprKind::Cmp { lhs: a, rhs: b, .. }
            | ExprKind::DateDiff(a, b)
            | ExprKind::By(a, b) => {
                a.walk_mut(f);
                b.walk_mut(f);
            }
            ExprKind::And(xs) | ExprKind::Or(xs) | ExprKind::Call(_, xs) => {
                xs.iter_mut().for_each(|x| x.walk_mut(f))
            }
            ExprKind::If(c, t, e) => {
                c.walk_mut(f);
                t.walk_mut(f);
                e.walk_mut(f);
            }
            ExprKind::In(x, xs) => {
                x.walk_mut(f);
                xs.iter_mut().for_each(|x| x.walk_mut(f));
            }
            ExprKind::DateAdd { date, duration, .. } => {
                date.walk_mut(f);
                duration.walk_mut(f);
            }
            ExprKind::ListAgg {
                list, expr, filter, ..
            } => {
                list.walk_mut(f);
                if let Some(x) = expr {
                    x.walk_mut(f);
                }
                if let Some(x) = filter {
                    x.walk_mut(f);
                }
            }
            ExprKind::Every {
                dates, from, to, ..
            } => {
                dates.walk_mut(f);
                from.walk_mut(f);
                to.walk_mut(f);
            }
        }
        f(self);
    }
}

impl Rule {
    /// Calls `f` on every expression of the rule: its group keys, `where`, lets, requirements,
    /// exceptions, aggregates and message holes.
    pub fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        let keys: &[GroupKey] = match &self.scope {
            Scope::Group(keys) => keys,
            _ => &[],
        };
        let top = keys
            .iter()
            .map(|k| &k.expr)
            .chain(&self.filter)
            .chain(self.lets.iter().map(|l| &l.expr))
            .chain(&self.requires)
            .chain(&self.unless)
            .chain(
                self.aggs
                    .iter()
                    .flat_map(|a| a.expr.iter().chain(a.filter.iter())),
            );
        for x in top {
            x.walk(f);
        }
        for t in self.message_zh.iter().chain(&self.message_en) {
            for p in &t.parts {
                if let TemplatePart::Hole(x) | TemplatePart::Percent(x) = p {
                    x.walk(f);
                }
            }
        }
    }
}

/// Marks, per record type, the fields some rule reads (or that name a record: the key, a
/// group's key). Readers need not convert the others: no rule, message or finding shows them.
pub fn mark_used(records: &mut [RecordType], rules: &[Rule]) {
    for rt in records.iter_mut() {
        // A `total` field is read for its 合计 rows' check, whether or not a rule reads it.
        rt.used = rt.fields.iter().map(|f| f.total).collect();
        if let Some(k) = rt.key {
            if let Some(u) = rt.used.get_mut(k) {
                *u = true;
            }
        }
    }
    for rule in rules {
        let Some(rt) = records.get_mut(rule.record) else {
            continue;
        };
        rule.walk(&mut |x| {
            if let ExprKind::Field(s) = x.kind {
                if let Some(u) = rt.used.get_mut(s) {
                    *u = true;
                }
            }
        });
    }
    // A field read through a `ref` (`site.mode`) is read in the other record.
    let mut derefs = Vec::new();
    for rule in rules {
        rule.walk(&mut |x| {
            if let ExprKind::Deref { target, slot, .. } = x.kind {
                derefs.push((target, slot));
            }
        });
    }
    for (t, s) in derefs {
        if let Some(u) = records.get_mut(t).and_then(|rt| rt.used.get_mut(s)) {
            *u = true;
        }
    }
    // A joined aggregate reads the referring records' fields, and their `ref` field.
    for rule in rules {
        for a in &rule.aggs {
            let Some(src) = &a.source else { continue };
            let Some(rt) = records.get_mut(src.ty) else {
                continue;
            };
            let mut mark = |s: usize| {
                if let Some(u) = rt.used.get_mut(s) {
                    *u = true;
                }
            };
            mark(src.via);
            for x in a.expr.iter().chain(&a.filter) {
                x.walk(&mut |e| {
                    if let ExprKind::Elem(s) = e.kind {
                        mark(s);
                    }
                });
            }
        }
    }
    // Elements of list fields are read whole.
    for rt in records.iter_mut() {
        if rt.element_only {
            rt.used.iter_mut().for_each(|u| *u = true);
        }
    }
}
