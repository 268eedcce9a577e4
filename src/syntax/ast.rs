//! The syntax tree of one policy file, with byte spans; it knows nothing of records or types.

use crate::source::Span;
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

pub use crate::vocab::{ArithOp, CmpOp, DurationUnit, Outcome, Severity};

/// Which keyword set a file is written in (the formatter keeps it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeywordLang {
    English,
    Chinese,
}

#[derive(Debug, Clone)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Str {
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct PolicyFile {
    pub header: Header,
    pub items: Vec<Item>,
    pub keywords: KeywordLang,
    /// Every `#` comment of the file, in order (trivia: they mean nothing, but `fmt` keeps them).
    pub comments: Vec<Span>,
}

#[derive(Debug, Clone)]
pub struct Header {
    pub id: Ident,
    pub title: Str,
    pub document: Option<Str>,
    pub issuer: Option<Str>,
    pub issued: Option<(NaiveDate, Span)>,
    pub effective: Option<(NaiveDate, Span)>,
    pub source: Option<Str>,
    pub settings: Settings,
}

/// How periods are counted; set on a policy and overridable per rule.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub calendar: Option<Str>,
    pub extend_on_day_off: Option<bool>,
    /// `last_day` (民法典 第二百零二条, the default) or `next_day`.
    pub month_rule: Option<Str>,
}

#[derive(Debug, Clone)]
pub enum Item {
    Use(Str),
    Const(ConstDecl),
    Record(RecordDecl),
    Rule(RuleDecl),
    Example(ExampleDecl),
    /// An item that did not parse (its syntax error is among the parse's diagnostics). Its kind and
    /// name are kept when they could be read, so that the checker does not report names declared
    /// by a broken item as unknown.
    Error(ErrorItem),
}

/// What is known of an item that did not parse.
#[derive(Debug, Clone)]
pub struct ErrorItem {
    /// The item's keyword as written (`rule`, `记录`, …).
    pub keyword: Option<String>,
    pub name: Option<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ConstDecl {
    pub name: Ident,
    pub value: Expr,
}

#[derive(Debug, Clone)]
pub struct RecordDecl {
    pub name: Ident,
    pub label: Option<Str>,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub optional: bool,
    pub key: bool,
    /// `total`: a spreadsheet's 合计 row must hold the sum of the rows above it.
    pub total: Option<Span>,
    pub unit: Option<Str>,
    pub label: Option<Str>,
    /// Other headers the field answers to (`"户编号" | "编号"`), after the label.
    pub also: Vec<Str>,
    /// `default V`: what a missing value of this (optional) field stands for.
    pub default: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum TypeExpr {
    Text,
    Int,
    Decimal,
    Bool,
    Date,
    DateTime,
    Enum(Vec<(Ident, Option<Str>)>),
    List(Ident),
    /// `ref T`: the key of a record of type `T`.
    Ref(Ident),
}

#[derive(Debug, Clone)]
pub struct RuleDecl {
    pub name: Ident,
    pub title: Option<Str>,
    pub cites: Vec<Cite>,
    pub applies: Option<Applies>,
    pub lets: Vec<(Ident, Expr)>,
    pub requires: Vec<Expr>,
    pub unless: Vec<Expr>,
    pub severity: Option<(Severity, Span)>,
    pub messages: Vec<(Option<String>, Str)>,
    pub settings: Settings,
    pub span: Span,
}

#[derive(Debug, Clone, Default)]
pub struct Cite {
    pub document: Option<Str>,
    pub lines: Option<(u32, u32)>,
    pub article: Option<Str>,
    pub quote: Option<Str>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Applies {
    pub record: Ident,
    pub scope: AppliesScope,
    pub filter: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum AppliesScope {
    Each,
    /// The keys, each a field (`county`) or computed from fields (`year(paid_on)`).
    GroupedBy(Vec<Expr>),
    All,
}

#[derive(Debug, Clone)]
pub struct ExampleDecl {
    pub name: Str,
    pub as_of: Option<(NaiveDate, Span)>,
    pub records: Vec<RecordLit>,
    pub expects: Vec<Expect>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct RecordLit {
    pub ty: Ident,
    pub fields: Vec<(Ident, InitValue)>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum InitValue {
    Expr(Expr),
    List(Vec<RecordLit>, Span),
    Missing(Span),
}

#[derive(Debug, Clone)]
pub struct Expect {
    pub rule: Ident,
    pub outcome: Outcome,
    pub for_key: Option<Str>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Number {
        value: Decimal,
        unit: Option<String>,
    },
    Duration {
        amount: u32,
        unit: DurationUnit,
    },
    Str(String),
    Bool(bool),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    Name(Ident),
    Neg(Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    /// `word` is the comparison as written (`不超过`), kept for messages.
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
    /// `require CONDITION by DATE`: a target that must hold by a date; before it, not holding
    /// yet is pending. Only a requirement is written so.
    By(Box<Expr>, Box<Expr>),
    In(Box<Expr>, Vec<Expr>),
    Call {
        name: Ident,
        args: Vec<Expr>,
        filter: Option<Box<Expr>>,
    },
    Method {
        receiver: Box<Expr>,
        name: Ident,
        args: Vec<Expr>,
        filter: Option<Box<Expr>>,
        has_parens: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::Outcome;

    #[test]
    fn an_outcome_indexes_its_place_in_all() {
        for (i, o) in Outcome::ALL.iter().enumerate() {
            assert_eq!(o.index(), i, "{o:?}");
        }
    }
}
