//! The symbol index: every definition the checker saw (record types, fields, enum variants,
//! constants, rules, `let`s) and every reference to one, with its span — what an editor needs for
//! hover, go to definition, find references and rename. The checker fills it as it resolves
//! names, so it exists whether or not the program compiled: a broken rule does not take the index
//! of the rest of the file with it.

use crate::source::{SourceId, Span};

/// A symbol's id: its place in [`SymbolIndex::symbols`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SymbolId(pub u32);

/// What a symbol is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolKind {
    Record,
    Field,
    Variant,
    Const,
    Rule,
    Let,
}

impl SymbolKind {
    /// The kind in Chinese and English, for hover text.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            SymbolKind::Record => ("记录类型", "record type"),
            SymbolKind::Field => ("字段", "field"),
            SymbolKind::Variant => ("取值", "variant"),
            SymbolKind::Const => ("常量", "constant"),
            SymbolKind::Rule => ("规则", "rule"),
            SymbolKind::Let => ("局部值", "let"),
        }
    }
}

/// One definition.
#[derive(Debug, Clone)]
pub struct Symbol {
    pub kind: SymbolKind,
    /// The identifier as written.
    pub name: String,
    /// The label (`"住房建筑面积"`, a rule's title), if it has one.
    pub label: Option<String>,
    /// The span of the name at its definition.
    pub span: Span,
    /// The type, described in Chinese and English (fields, constants, `let`s).
    pub ty: Option<(String, String)>,
    /// The record of a field, the field of a variant, the rule of a `let`.
    pub container: Option<SymbolId>,
}

/// Every definition and reference of a compilation.
#[derive(Debug, Clone, Default)]
pub struct SymbolIndex {
    symbols: Vec<Symbol>,
    /// (where, what): one per name that resolved, in the order the checker met them.
    refs: Vec<(Span, SymbolId)>,
}

impl SymbolIndex {
    pub(crate) fn define(&mut self, s: Symbol) -> SymbolId {
        let id = SymbolId(u32::try_from(self.symbols.len()).unwrap_or(u32::MAX));
        self.symbols.push(s);
        id
    }

    pub(crate) fn refer(&mut self, span: Span, id: SymbolId) {
        if span != Span::default() {
            self.refs.push((span, id));
        }
    }

    /// Every definition, in the order the checker declared them.
    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    /// One definition.
    pub fn symbol(&self, id: SymbolId) -> Option<&Symbol> {
        self.symbols.get(id.0 as usize)
    }

    /// Every reference: (span, symbol).
    pub fn references(&self) -> &[(Span, SymbolId)] {
        &self.refs
    }

    /// The spans that refer to `id` (its definition not included), in source order.
    pub fn references_to(&self, id: SymbolId) -> Vec<Span> {
        let mut v: Vec<Span> = self
            .refs
            .iter()
            .filter(|(_, s)| *s == id)
            .map(|(sp, _)| *sp)
            .collect();
        v.sort_by_key(|s| (s.source.0, s.start));
        v.dedup();
        v
    }

    /// The symbol whose definition or reference covers byte `offset` of `source` (go to
    /// definition, hover): the innermost, if spans nest.
    pub fn at(&self, source: SourceId, offset: u32) -> Option<SymbolId> {
        let covers = |s: &Span| s.source == source && s.start <= offset && offset < s.end;
        let refs = self
            .refs
            .iter()
            .filter(|(s, _)| covers(s))
            .map(|(s, id)| (*s, *id));
        let defs = self
            .symbols
            .iter()
            .enumerate()
            .filter(|(_, sym)| covers(&sym.span))
            .map(|(i, sym)| (sym.span, SymbolId(u32::try_from(i).unwrap_or(u32::MAX))));
        refs.chain(defs)
            .min_by_key(|(s, _)| s.end - s.start)
            .map(|(_, id)| id)
    }
}
