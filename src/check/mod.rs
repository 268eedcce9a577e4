//! Syntax tree to checked program: resolves every name, checks types and units, and reports all problems at once.

mod citations;
mod deadlines;
pub use citations::authoring_lints;
mod fold;
mod guards;
pub mod index;
pub mod ir;
pub mod units;

use crate::calendar::Calendar;
use crate::diag::{did_you_mean, Diagnostic, Msg};
use crate::source::{SourceId, SourceMap, Span};
use crate::syntax::ast::{self, AppliesScope, Item, Severity, TypeExpr};
use crate::syntax::parse_recovering;
use crate::value::{Record, RecordLoc, Value};
use index::{Symbol, SymbolId, SymbolIndex, SymbolKind};
use ir::*;
use std::collections::HashMap;
use std::sync::Arc;
use units::Unit;

/// Reads the text of a file that a policy names (`use "…"`, `calendar "…"`), relative to the naming file.
/// Returns the resolved name and the text. Only the caller touches the file system.
pub trait Resolver {
    fn resolve(&self, from: &str, path: &str) -> Result<(String, String), Refusal>;
    /// The text of the document a policy's `source` names, read only to check the words its
    /// citations quote (never quoted in a diagnostic); `None` where this resolver reads no
    /// documents (then citations are not checked). By default, `None`.
    fn document(&self, from: &str, path: &str) -> Option<Result<String, Refusal>> {
        let _ = (from, path);
        None
    }
}

/// Why a resolver did not give a file's text: a code of its own (`E0305` a path outside the
/// policy's tree, `E0306` not a regular file or too large), or `None` for the naming
/// construct's (`E0302` for `use`, `E0303` for `calendar`); and the reason in both languages.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub code: Option<&'static str>,
    pub zh: String,
    pub en: String,
}

impl From<String> for Refusal {
    fn from(why: String) -> Refusal {
        Refusal {
            code: None,
            zh: why.clone(),
            en: why,
        }
    }
}

/// A resolver for policies held in memory (tests, embedding); `use` finds files by exact name.
pub struct MemoryResolver(pub HashMap<String, String>);

impl Resolver for MemoryResolver {
    fn resolve(&self, _from: &str, path: &str) -> Result<(String, String), Refusal> {
        self.0
            .get(path)
            .map(|t| (path.to_string(), t.clone()))
            .ok_or_else(|| format!("no file named `{path}`").into())
    }

    /// A document given among the files (citations are not checked against one that is not).
    fn document(&self, _from: &str, path: &str) -> Option<Result<String, Refusal>> {
        self.0.get(path).map(|t| Ok(t.clone()))
    }
}

/// The result of compiling: the program if there were no errors, and every diagnostic found.
pub struct Compiled {
    pub program: Option<Program>,
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    /// What an author should look at, which `check`'s reader (the agency) cannot act on: W0106.
    /// `guiju test` (and an editor) show them; `guiju check` does not.
    pub lints: Vec<Diagnostic>,
    /// Every definition and reference the checker resolved, with or without errors.
    pub index: SymbolIndex,
}

/// Compiles policy files (name, text) and everything they `use`.
pub fn compile(files: Vec<(String, String)>, resolver: &dyn Resolver) -> Compiled {
    let mut c = Checker::new();
    c.load_all(files, resolver);
    if c.diags.iter().any(|d| d.level == crate::diag::Level::Error) && c.parsed.is_empty() {
        return c.finish_failed();
    }
    c.declare_records();
    c.declare_consts();
    c.check_rules(resolver);
    c.check_examples();
    c.finish()
}

/// Compiles one policy held in memory, with no `use` of files.
pub fn compile_str(name: &str, text: &str) -> Compiled {
    compile(
        vec![(name.to_string(), text.to_string())],
        &MemoryResolver(HashMap::new()),
    )
}

struct Parsed {
    source: SourceId,
    path: String,
    ast: ast::PolicyFile,
    /// The resolved names of the files it `use`s.
    uses: Vec<String>,
}

struct ConstDef {
    expr: Expr,
    /// Its value, folded when checked. A constant that adds a period to a date is not used
    /// by its value: how it counts (on which calendar, moved off a day off or not) is the
    /// rule's that names it, and the calendar is the run's (`--calendar`), so each use is the
    /// expression itself.
    value: Option<Value>,
    /// The file (policy) that declares it.
    file: usize,
    sym: SymbolId,
}

struct Checker {
    sources: SourceMap,
    parsed: Vec<Parsed>,
    diags: Vec<Diagnostic>,
    lints: Vec<Diagnostic>,
    records: Vec<RecordType>,
    /// Record types by name: every declaration, each in its own file's namespace.
    record_index: HashMap<String, Vec<usize>>,
    consts: HashMap<String, Vec<ConstDef>>,
    policies: Vec<PolicyInfo>,
    rules: Vec<Rule>,
    rule_index: HashMap<String, Vec<usize>>,
    examples: Vec<Example>,
    /// The calendars rules count on, and each by the file it was read from.
    calendars: Calendars,
    calendar_ids: HashMap<String, CalendarId>,
    /// Per file, how its policy counts periods (its header's settings), for its examples.
    policy_periods: HashMap<usize, PeriodRules>,
    /// The aggregates of the grouped rule being checked.
    aggs: Vec<GroupAgg>,
    /// Names declared by items that did not parse: not reported again as unknown.
    broken: std::collections::HashSet<String>,
    index: SymbolIndex,
    record_syms: Vec<SymbolId>,
    field_syms: HashMap<(usize, usize), SymbolId>,
    /// The variants of each enum type, by the address of its shared definition.
    variant_syms: HashMap<usize, Vec<SymbolId>>,
    /// Every rule's symbol by name, with the file that declares it.
    rule_syms: HashMap<String, Vec<(usize, SymbolId)>>,
    /// The file whose items are being checked: names resolve in what it sees.
    cur: usize,
    /// Per file: the files whose declarations it sees (itself and all it `use`s, transitively).
    vis: Vec<Vec<usize>>,
    /// Per file, its name (as `parsed`, which is taken while rules are checked).
    paths: Vec<String>,
}

/// How a `use` in `from` names `to`: relative to `from`'s directory when `to` lies under it.
/// Replaces each let a rule's `where` names by the let's expression, so that the `where` is
/// decided, before any let is evaluated, exactly as if it were written out there.
fn inline_lets(x: &mut Expr, lets: &[Let]) {
    x.walk_mut(&mut |e| {
        if let ExprKind::Local(i) = e.kind {
            if let Some(l) = lets.get(i) {
                let mut body = l.expr.clone();
                // A let sees only the lets before it, so this ends.
                inline_lets(&mut body, lets.get(..i).unwrap_or(&[]));
                *e = body;
            }
        }
    });
}

fn relative_use(from: &str, to: &str) -> String {
    let dir = std::path::Path::new(from)
        .parent()
        .unwrap_or(std::path::Path::new(""));
    std::path::Path::new(to)
        .strip_prefix(dir)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| to.to_string())
}

fn e(code: &'static str, span: Span, zh: String, en: String) -> Diagnostic {
    Diagnostic::error(code, Msg::new(zh, en)).with_label(span, None)
}

/// The scope an expression is checked in.
#[derive(Clone, Default)]
struct Sc {
    record: Option<usize>,
    /// Fields of `record` may be named directly (false at the top level of a grouped rule).
    fields: bool,
    /// The keys of a grouped rule: the field each is, if it is one, and its text as written
    /// (white space removed), by which a rule names a computed key.
    keys: Vec<(Option<usize>, String)>,
    grouped: bool,
    elem: Option<usize>,
    locals: Vec<(String, Ty)>,
    /// The symbol of each of `locals`.
    local_syms: Vec<SymbolId>,
    /// Inside a group aggregate's arguments (no nesting).
    in_agg: bool,
}

impl Checker {
    fn new() -> Checker {
        let mut calendar_ids = HashMap::new();
        calendar_ids.insert("cn-national".to_string(), CalendarId::NATIONAL);
        Checker {
            sources: SourceMap::new(),
            parsed: Vec::new(),
            diags: Vec::new(),
            lints: Vec::new(),
            records: Vec::new(),
            record_index: HashMap::new(),
            consts: HashMap::new(),
            policies: Vec::new(),
            rules: Vec::new(),
            rule_index: HashMap::new(),
            examples: Vec::new(),
            calendars: Calendars::default(),
            calendar_ids,
            policy_periods: HashMap::new(),
            aggs: Vec::new(),
            broken: std::collections::HashSet::new(),
            index: SymbolIndex::default(),
            record_syms: Vec::new(),
            field_syms: HashMap::new(),
            variant_syms: HashMap::new(),
            rule_syms: HashMap::new(),
            cur: 0,
            vis: Vec::new(),
            paths: Vec::new(),
        }
    }

    fn finish_failed(self) -> Compiled {
        Compiled {
            program: None,
            sources: self.sources,
            diagnostics: self.diags,
            lints: self.lints,
            index: self.index,
        }
    }

    fn finish(mut self) -> Compiled {
        let failed = self
            .diags
            .iter()
            .any(|d| d.level == crate::diag::Level::Error);
        let program = if failed {
            None
        } else {
            ir::mark_used(&mut self.records, &self.rules);
            ir::name_rules(&self.policies, &mut self.records, &mut self.rules);
            Some(Program {
                sources: self.sources.clone(),
                policies: self.policies,
                records: self.records,
                rules: self.rules,
                examples: self.examples,
                calendars: self.calendars,
            })
        };
        Compiled {
            program,
            sources: self.sources,
            diagnostics: self.diags,
            lints: self.lints,
            index: self.index,
        }
    }

    // ------------------------------------------------------------ loading

    fn load_all(&mut self, files: Vec<(String, String)>, resolver: &dyn Resolver) {
        let mut loaded: HashMap<String, usize> = HashMap::new();
        for (name, text) in files {
            if loaded.contains_key(&name) {
                continue;
            }
            let mut stack = Vec::new();
            self.load_one(name, text, None, resolver, &mut loaded, &mut stack);
        }
        // Each file sees its own declarations and those of every file it `use`s, transitively:
        // a policy's names are its own, so two policies of one run may both name a `project`.
        let by_path: HashMap<&str, usize> = self
            .parsed
            .iter()
            .enumerate()
            .map(|(i, p)| (p.path.as_str(), i))
            .collect();
        let edges: Vec<Vec<usize>> = self
            .parsed
            .iter()
            .map(|p| {
                p.uses
                    .iter()
                    .filter_map(|u| by_path.get(u.as_str()).copied())
                    .collect()
            })
            .collect();
        self.vis = (0..edges.len())
            .map(|f| {
                let mut seen = vec![f];
                let mut todo = vec![f];
                while let Some(x) = todo.pop() {
                    for &y in edges.get(x).map(Vec::as_slice).unwrap_or(&[]) {
                        if !seen.contains(&y) {
                            seen.push(y);
                            todo.push(y);
                        }
                    }
                }
                seen
            })
            .collect();
    }

    /// Whether the file being checked sees the declarations of file `f`.
    fn sees(&self, f: usize) -> bool {
        self.vis.get(self.cur).is_some_and(|v| v.contains(&f))
    }

    /// Whether one name declared in files `a` and `b` would be two things in one scope: some
    /// file sees both.
    fn clash(&self, a: usize, b: usize) -> bool {
        self.vis.iter().any(|v| v.contains(&a) && v.contains(&b))
    }

    /// The record type `name` as the current file sees it.
    fn record_named(&self, name: &str) -> Option<usize> {
        self.record_index
            .get(name)?
            .iter()
            .copied()
            .find(|&i| self.records.get(i).is_some_and(|r| self.sees(r.policy)))
    }

    /// The constant `name` as the current file sees it.
    fn const_named(&self, name: &str) -> Option<&ConstDef> {
        self.consts.get(name)?.iter().find(|c| self.sees(c.file))
    }

    /// The names of the constants the current file sees (for suggestions).
    fn visible_consts(&self) -> Vec<String> {
        self.consts
            .iter()
            .filter(|(_, cs)| cs.iter().any(|c| self.sees(c.file)))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// A help for a name the current file does not see but another file of the run declares
    /// (a constant or a record type): which file, and the `use` that would make it visible.
    fn declared_elsewhere(&self, name: &str) -> Option<Msg> {
        let file = self
            .consts
            .get(name)
            .and_then(|cs| cs.iter().map(|c| c.file).find(|&f| !self.sees(f)))
            .or_else(|| {
                self.record_index.get(name).and_then(|is| {
                    is.iter()
                        .filter_map(|&i| self.records.get(i))
                        .map(|r| r.policy)
                        .find(|&f| !self.sees(f))
                })
            })?;
        let path = self.paths.get(file)?;
        let from = self.paths.get(self.cur).map(String::as_str).unwrap_or("");
        let rel = relative_use(from, path);
        Some(Msg::new(
            format!("`{name}` 定义在 {path} 中，而本策略没有引用它；可加上 `use \"{rel}\"`"),
            format!("`{name}` is defined in {path}, which this policy does not use; add `use \"{rel}\"`"),
        ))
    }

    /// The rule `name` as the current file sees it.
    fn rule_named(&self, name: &str) -> Option<usize> {
        self.rule_index
            .get(name)?
            .iter()
            .copied()
            .find(|&i| self.rules.get(i).is_some_and(|r| self.sees(r.policy)))
    }

    fn load_one(
        &mut self,
        name: String,
        text: String,
        used_at: Option<Span>,
        resolver: &dyn Resolver,
        loaded: &mut HashMap<String, usize>,
        stack: &mut Vec<String>,
    ) {
        let _ = used_at;
        let id = self.sources.add(name.clone(), text.clone());
        loaded.insert(name.clone(), usize::MAX);
        // The parse recovers: the items that parsed are checked even when others did not.
        let parsed = parse_recovering(id, &text);
        self.diags.extend(parsed.diagnostics);
        let ast = parsed.file;
        for item in &ast.items {
            if let Item::Error(ast::ErrorItem { name: Some(n), .. }) = item {
                self.broken.insert(n.name.clone());
            }
        }
        stack.push(name.clone());
        let uses: Vec<ast::Str> = ast
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Use(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        let idx = self.parsed.len();
        self.paths.push(name.clone());
        self.parsed.push(Parsed {
            source: id,
            path: name.clone(),
            ast,
            uses: Vec::new(),
        });
        loaded.insert(name.clone(), idx);
        for u in uses {
            match resolver.resolve(&name, &u.value) {
                Ok((rname, rtext)) => {
                    if let Some(p) = self.parsed.get_mut(idx) {
                        p.uses.push(rname.clone());
                    }
                    if stack.contains(&rname) {
                        let mut cycle = stack.clone();
                        cycle.push(rname.clone());
                        let chain = cycle.join(" → ");
                        self.diags.push(e(
                            "E0301",
                            u.span,
                            format!("`use` 形成循环：{chain}"),
                            format!("`use` forms a cycle: {chain}"),
                        ));
                    } else if !loaded.contains_key(&rname) {
                        self.load_one(rname, rtext, Some(u.span), resolver, loaded, stack);
                    }
                }
                Err(why) => self.diags.push(e(
                    why.code.unwrap_or("E0302"),
                    u.span,
                    format!("无法读取被引用的策略 `{}`：{}", u.value, why.zh),
                    format!("cannot read used policy `{}`: {}", u.value, why.en),
                )),
            }
        }
        stack.pop();
    }

    // ------------------------------------------------------------ records and consts

    fn declare_records(&mut self) {
        // First pass: names, so list fields may refer to records declared later or elsewhere.
        let mut decls = Vec::new();
        for (file, p) in self.parsed.iter().enumerate() {
            for item in &p.ast.items {
                if let Item::Record(r) = item {
                    decls.push((file, r.clone()));
                }
            }
        }
        for (file, r) in &decls {
            let file = *file;
            let prev = self.record_index.get(&r.name.name).and_then(|is| {
                is.iter().copied().find(|&i| {
                    self.records
                        .get(i)
                        .is_some_and(|x| self.clash(x.policy, file))
                })
            });
            if let Some(prev) = prev {
                let prev_span = self.records.get(prev).map(|x| x.span).unwrap_or(r.span);
                self.diags.push(
                    e(
                        "E0104",
                        r.name.span,
                        format!("记录类型 `{}` 重复定义", r.name.name),
                        format!("record type `{}` is defined twice", r.name.name),
                    )
                    .with_label(
                        prev_span,
                        Some(Msg::new("首次定义于此", "first defined here")),
                    ),
                );
                continue;
            }
            self.record_index
                .entry(r.name.name.clone())
                .or_default()
                .push(self.records.len());
            let sym = self.index.define(Symbol {
                kind: SymbolKind::Record,
                name: r.name.name.clone(),
                label: r.label.as_ref().map(|l| l.value.clone()),
                span: r.name.span,
                ty: None,
                container: None,
            });
            self.record_syms.push(sym);
            self.records.push(RecordType {
                name: r.name.name.clone(),
                label: r.label.as_ref().map(|l| l.value.clone()),
                fields: Vec::new(),
                key: None,
                lookup: HashMap::new(),
                span: r.name.span,
                policy: file,
                shown_name: String::new(),
                element_only: false,
                has_defaults: false,
                used: Vec::new(),
            });
        }
        for (file, r) in &decls {
            self.cur = *file;
            let Some(idx) = self.record_named(&r.name.name) else {
                continue;
            };
            if self.records.get(idx).map(|x| x.span) != Some(r.name.span) {
                continue;
            }
            let mut fields = Vec::new();
            let mut lookup = HashMap::new();
            let mut key = None;
            for f in &r.fields {
                let ty = self.field_type(f);
                if lookup.contains_key(&f.name.name) {
                    self.diags.push(e(
                        "E0104",
                        f.name.span,
                        format!("字段 `{}` 重复定义", f.name.name),
                        format!("field `{}` is defined twice", f.name.name),
                    ));
                    continue;
                }
                let slot = fields.len();
                lookup.insert(f.name.name.clone(), slot);
                self.define_field(idx, slot, f, &ty);
                for l in f.label.iter().chain(&f.also) {
                    if l.value != f.name.name && lookup.contains_key(&l.value) {
                        // Two fields answering to one header would read the same column twice.
                        self.diags.push(e(
                            "E0104",
                            l.span,
                            format!("标签 `{}` 已被本记录的另一字段使用", l.value),
                            format!(
                                "the label `{}` is already used by another field of this record",
                                l.value
                            ),
                        ));
                    } else {
                        lookup.insert(l.value.clone(), slot);
                    }
                }
                if f.key {
                    key = Some(slot);
                }
                if let (Some(at), false) = (f.total, matches!(ty, Ty::Num(_))) {
                    self.diags.push(e(
                        "E0201",
                        at,
                        format!(
                            "只有数值字段可以标为 `total`（合计），`{}` 不是数值",
                            f.name.name
                        ),
                        format!(
                            "only a number field can be marked `total`; `{}` is not a number",
                            f.name.name
                        ),
                    ));
                }
                let total = f.total.is_some() && matches!(ty, Ty::Num(_));
                let mut field = Field {
                    name: f.name.name.clone(),
                    label: f.label.as_ref().map(|l| l.value.clone()),
                    also: f.also.iter().map(|l| l.value.clone()).collect(),
                    ty,
                    optional: f.optional,
                    total,
                    default: None,
                    refers: match &f.ty {
                        TypeExpr::Ref(r) => self.record_named(&r.name),
                        _ => None,
                    },
                    span: f.span,
                };
                if let Some(x) = &f.default {
                    if f.optional {
                        field.default = match self.literal_for_field(&field, x) {
                            Value::Missing => None,
                            v => Some(v),
                        };
                    } else {
                        self.diags.push(e(
                            "E0209",
                            x.span,
                            format!(
                                "必填字段 `{}` 不能有 `default`：缺失的必填值是要报告的问题，不能代为填写",
                                f.name.name
                            ),
                            format!(
                                "the required field `{}` cannot have a `default`: a missing required value is a problem to report, not to fill in",
                                f.name.name
                            ),
                        ));
                    }
                }
                fields.push(field);
            }
            if let Some(rt) = self.records.get_mut(idx) {
                rt.has_defaults = fields.iter().any(|f| f.default.is_some());
                rt.fields = fields;
                rt.lookup = lookup;
                rt.key = key;
            }
        }
        self.resolve_refs(&decls);
    }

    /// Gives every `ref T` field the type of `T`'s key; a `T` without a key cannot be referred
    /// to (E0210).
    fn resolve_refs(&mut self, decls: &[(usize, ast::RecordDecl)]) {
        let mut spans: HashMap<Span, &ast::FieldDecl> = HashMap::new();
        for (_, r) in decls {
            for f in &r.fields {
                spans.insert(f.span, f);
            }
        }
        for ri in 0..self.records.len() {
            let n = self.records.get(ri).map_or(0, |r| r.fields.len());
            for slot in 0..n {
                let Some((target, span)) = self
                    .records
                    .get(ri)
                    .and_then(|r| r.field(slot))
                    .and_then(|f| Some((f.refers?, f.span)))
                else {
                    continue;
                };
                let key_ty = self
                    .records
                    .get(target)
                    .and_then(|t| t.field(t.key?))
                    .map(|k| k.ty.clone());
                let at = match spans.get(&span).map(|f| &f.ty) {
                    Some(TypeExpr::Ref(id)) => id.span,
                    _ => span,
                };
                let ty = match key_ty {
                    Some(t) => t,
                    None => {
                        let name = self
                            .records
                            .get(target)
                            .map(|t| t.name.clone())
                            .unwrap_or_default();
                        self.diags.push(
                            e(
                                "E0210",
                                at,
                                format!("记录类型 `{name}` 没有主键，不能被关联"),
                                format!("the record type `{name}` has no key, so it cannot be referred to"),
                            )
                            .with_help(Msg::new(
                                format!("在 `{name}` 中把标识记录的字段标为 `key`"),
                                format!("mark the field that names a `{name}` as `key`"),
                            )),
                        );
                        Ty::Error
                    }
                };
                if let Some(f) = self
                    .records
                    .get_mut(ri)
                    .and_then(|r| r.fields.get_mut(slot))
                {
                    f.ty = ty;
                }
            }
        }
    }

    fn define_field(&mut self, record: usize, slot: usize, f: &ast::FieldDecl, ty: &Ty) {
        let container = self.record_syms.get(record).copied();
        let sym = self.index.define(Symbol {
            kind: SymbolKind::Field,
            name: f.name.name.clone(),
            label: f.label.as_ref().map(|l| l.value.clone()),
            span: f.name.span,
            ty: Some(ty.describe()),
            container,
        });
        self.field_syms.insert((record, slot), sym);
        if let (Ty::Enum(def), TypeExpr::Enum(vs)) = (ty, &f.ty) {
            let syms = vs
                .iter()
                .map(|(n, l)| {
                    self.index.define(Symbol {
                        kind: SymbolKind::Variant,
                        name: n.name.clone(),
                        label: l.as_ref().map(|s| s.value.clone()),
                        span: n.span,
                        ty: None,
                        container: Some(sym),
                    })
                })
                .collect();
            self.variant_syms.insert(Arc::as_ptr(def) as usize, syms);
        }
    }

    fn refer_record(&mut self, record: usize, span: Span) {
        if let Some(&s) = self.record_syms.get(record) {
            self.index.refer(span, s);
        }
    }

    fn refer_field(&mut self, record: usize, slot: usize, span: Span) {
        if let Some(&s) = self.field_syms.get(&(record, slot)) {
            self.index.refer(span, s);
        }
    }

    fn refer_variant(&mut self, def: &Arc<EnumDef>, variant: usize, span: Span) {
        let s = self
            .variant_syms
            .get(&(Arc::as_ptr(def) as usize))
            .and_then(|v| v.get(variant))
            .copied();
        if let Some(s) = s {
            self.index.refer(span, s);
        }
    }

    fn field_type(&mut self, f: &ast::FieldDecl) -> Ty {
        let unit = match &f.unit {
            Some(u) => match units::lookup(&u.value) {
                Some(unit) => Some(unit),
                None => {
                    self.diags.push(e(
                        "E0107",
                        u.span,
                        format!("未知单位 `{}`", u.value),
                        format!("unknown unit `{}`", u.value),
                    ));
                    None
                }
            },
            None => None,
        };
        let num = |int: bool, unit: Option<Unit>| {
            Ty::Num(NumTy {
                unit: unit.unwrap_or_else(Unit::none),
                int,
            })
        };
        let ty = match &f.ty {
            TypeExpr::Text => Ty::Text,
            TypeExpr::Int => num(true, unit.clone()),
            TypeExpr::Decimal => num(false, unit.clone()),
            TypeExpr::Bool => Ty::Bool,
            TypeExpr::Date => Ty::Date,
            TypeExpr::DateTime => Ty::DateTime,
            TypeExpr::Enum(vs) => Ty::Enum(Arc::new(EnumDef {
                variants: vs
                    .iter()
                    .map(|(n, l)| (n.name.clone(), l.as_ref().map(|s| s.value.clone())))
                    .collect(),
            })),
            TypeExpr::List(r) => match self.record_named(&r.name) {
                Some(i) => {
                    self.refer_record(i, r.span);
                    Ty::List(i)
                }
                None => {
                    self.unknown_record(&r.name, r.span);
                    Ty::Error
                }
            },
            // The type of the referred record's key, once every record's fields are known
            // (`resolve_refs`).
            TypeExpr::Ref(r) => match self.record_named(&r.name) {
                Some(i) => {
                    self.refer_record(i, r.span);
                    Ty::Text
                }
                None => {
                    self.unknown_record(&r.name, r.span);
                    Ty::Error
                }
            },
        };
        if unit.is_some() && !matches!(ty, Ty::Num(_)) {
            if let Some(u) = &f.unit {
                self.diags.push(e(
                    "E0107",
                    u.span,
                    "只有数值字段可以有单位".into(),
                    "only number fields can have a unit".into(),
                ));
            }
        }
        ty
    }

    fn unknown_record(&mut self, name: &str, span: Span) {
        if self.broken.contains(name) {
            return;
        }
        let known: Vec<&str> = self
            .records
            .iter()
            .filter(|r| self.sees(r.policy))
            .map(|r| r.name.as_str())
            .collect();
        let mut d = e(
            "E0102",
            span,
            format!("未知记录类型 `{name}`"),
            format!("unknown record type `{name}`"),
        );
        if let Some(help) = self.declared_elsewhere(name) {
            d = d.with_help(help);
        } else if let Some(s) = did_you_mean(name, known) {
            d = d.with_help(Msg::new(
                format!("是否应为 `{s}`？"),
                format!("did you mean `{s}`?"),
            ));
        }
        self.diags.push(d);
    }

    fn declare_consts(&mut self) {
        let mut decls = Vec::new();
        for (file, p) in self.parsed.iter().enumerate() {
            for item in &p.ast.items {
                if let Item::Const(c) = item {
                    decls.push((file, c.clone()));
                }
            }
        }
        for (file, c) in decls {
            self.cur = file;
            let twice = self
                .consts
                .get(&c.name.name)
                .is_some_and(|cs| cs.iter().any(|d| self.clash(d.file, file)));
            if twice {
                self.diags.push(e(
                    "E0104",
                    c.name.span,
                    format!("常量 `{}` 重复定义", c.name.name),
                    format!("constant `{}` is defined twice", c.name.name),
                ));
                continue;
            }
            let expr = self.expr(&c.value, &Sc::default());
            let value = match fold::fold(&expr, self.default_counting()) {
                Ok(v) => Some(v),
                Err(why) => {
                    if expr.ty != Ty::Error {
                        let (zh, en) = why.words();
                        self.diags
                            .push(e("E0208", c.value.span, zh.into(), en.into()));
                    }
                    None
                }
            };
            let sym = self.index.define(Symbol {
                kind: SymbolKind::Const,
                name: c.name.name.clone(),
                label: None,
                span: c.name.span,
                ty: Some(expr.ty.describe()),
                container: None,
            });
            self.consts
                .entry(c.name.name.clone())
                .or_default()
                .push(ConstDef {
                    expr,
                    value,
                    file,
                    sym,
                });
        }
    }

    /// Counting as a policy counts by default, for constants.
    fn default_counting(&self) -> Counting<'_> {
        Counting {
            rules: self.default_period(),
            calendar: self.calendars.get(CalendarId::NATIONAL),
        }
    }

    fn default_period(&self) -> PeriodRules {
        PeriodRules {
            calendar: CalendarId::NATIONAL,
            extend_on_day_off: true,
            month_rule: MonthRule::LastDay,
        }
    }

    // ------------------------------------------------------------ rules

    fn period_for(
        &mut self,
        base: &PeriodRules,
        s: &ast::Settings,
        from: &str,
        resolver: &dyn Resolver,
    ) -> PeriodRules {
        let mut p = *base;
        if let Some(x) = s.extend_on_day_off {
            p.extend_on_day_off = x;
        }
        if let Some(m) = &s.month_rule {
            match m.value.as_str() {
                "last_day" | "月末日" => p.month_rule = MonthRule::LastDay,
                "next_day" | "次月首日" => p.month_rule = MonthRule::NextDay,
                other => self.diags.push(e(
                    "E0304",
                    m.span,
                    format!("未知的月末规则 `{other}`（可选：last_day、next_day）"),
                    format!("unknown month rule `{other}` (one of: last_day, next_day)"),
                )),
            }
        }
        if let Some(cal) = &s.calendar {
            // By the file it resolves to: two policies' `calendar "local.cal"` in two
            // directories are two calendars.
            let resolved = if cal.value == "cn-national" {
                Ok(None)
            } else {
                resolver.resolve(from, &cal.value).map(Some)
            };
            match resolved {
                Ok(None) => p.calendar = CalendarId::NATIONAL,
                Ok(Some((name, _))) if let Some(&id) = self.calendar_ids.get(&name) => {
                    p.calendar = id;
                }
                Ok(Some((name, text))) => match Calendar::parse(&text) {
                    Ok(local) => {
                        match self
                            .calendars
                            .add(name.clone(), Arc::new(over_national(local)))
                        {
                            Some(id) => {
                                self.calendar_ids.insert(name, id);
                                p.calendar = id;
                            }
                            None => self.diags.push(e(
                                "E0303",
                                cal.span,
                                "一次检查最多使用 65535 个日历".into(),
                                "a run may use at most 65,535 calendars".into(),
                            )),
                        }
                    }
                    Err(pe) => self.diags.push(e(
                        "E0303",
                        cal.span,
                        format!("日历 `{}` 第 {} 行有误：{}", cal.value, pe.line, pe.message),
                        format!("calendar `{}` line {}: {}", cal.value, pe.line, pe.message),
                    )),
                },
                Err(why) => self.diags.push(e(
                    why.code.unwrap_or("E0303"),
                    cal.span,
                    format!("无法读取日历 `{}`：{}", cal.value, why.zh),
                    format!("cannot read calendar `{}`: {}", cal.value, why.en),
                )),
            }
        }
        p
    }

    fn check_rules(&mut self, resolver: &dyn Resolver) {
        let parsed = std::mem::take(&mut self.parsed);
        for (pi, p) in parsed.iter().enumerate() {
            self.cur = pi;
            let h = &p.ast.header;
            // A policy's id names its rules in every report (`policy::rule`), so two files of a
            // run may not share one.
            if let Some(prev) = self.policies.iter().find(|q| q.id == h.id.name) {
                let prev_span = parsed
                    .iter()
                    .find(|q| q.source == prev.source)
                    .map(|q| q.ast.header.id.span)
                    .unwrap_or(h.id.span);
                self.diags.push(
                    e(
                        "E0104",
                        h.id.span,
                        format!("策略 `{}` 重复定义：同一次检查中的策略须有各自的标识", h.id.name),
                        format!(
                            "policy `{}` is defined twice: the policies of one run need ids of their own",
                            h.id.name
                        ),
                    )
                    .with_label(
                        prev_span,
                        Some(Msg::new("首次定义于此", "first defined here")),
                    ),
                );
            }
            self.policies.push(PolicyInfo {
                id: h.id.name.clone(),
                title: h.title.value.clone(),
                document: h.document.as_ref().map(|s| s.value.clone()),
                issuer: h.issuer.as_ref().map(|s| s.value.clone()),
                issued: h.issued.map(|d| d.0),
                effective: h.effective.map(|d| d.0),
                source_file: h.source.as_ref().map(|s| s.value.clone()),
                path: p.path.clone(),
                source: p.source,
                span: h.id.span,
                keywords: p.ast.keywords,
            });
            // `source` names the policy's document beside it, inside its tree; it is read only
            // to check the words each citation quotes (`citations`), and never quoted itself.
            if let Some(src) = &h.source {
                let path = std::path::Path::new(&src.value);
                if !(path.has_root()
                    || path
                        .components()
                        .any(|c| matches!(c, std::path::Component::ParentDir)))
                {
                    let found = citations::check(&p.path, h, &p.ast.items, resolver);
                    self.diags.extend(found);
                } else {
                    self.diags.push(e(
                        "E0305",
                        src.span,
                        format!("`source` 须为策略所在目录树内的相对路径，不能是 `{}`", src.value),
                        format!(
                            "`source` must be a relative path inside the policy's directory tree, not `{}`",
                            src.value
                        ),
                    ));
                }
            }
            let base = self.default_period();
            let policy_period = self.period_for(&base, &h.settings, &p.path, resolver);
            self.policy_periods.insert(pi, policy_period);
            for item in &p.ast.items {
                if let Item::Rule(r) = item {
                    let period = self.period_for(&policy_period, &r.settings, &p.path, resolver);
                    if let Some(rule) = self.rule(r, pi, h, period) {
                        let prev = self.rule_index.get(&rule.id).and_then(|is| {
                            is.iter().copied().find(|&i| {
                                self.rules.get(i).is_some_and(|x| self.clash(x.policy, pi))
                            })
                        });
                        if let Some(prev) = prev {
                            let prev_span = self
                                .rules
                                .get(prev)
                                .map(|x| x.name_span)
                                .unwrap_or(rule.name_span);
                            self.diags.push(
                                e(
                                    "E0104",
                                    rule.name_span,
                                    format!("规则 `{}` 重复定义", rule.id),
                                    format!("rule `{}` is defined twice", rule.id),
                                )
                                .with_label(
                                    prev_span,
                                    Some(Msg::new("首次定义于此", "first defined here")),
                                ),
                            );
                            continue;
                        }
                        self.rule_index
                            .entry(rule.id.clone())
                            .or_default()
                            .push(self.rules.len());
                        self.rules.push(rule);
                    }
                }
            }
        }
        self.parsed = parsed;
    }

    /// A rule's `where`, checked in `sc` (with a lint for optional fields read unguarded).
    fn check_filter(
        &mut self,
        rule: &str,
        f: Option<&ast::Expr>,
        record: usize,
        sc: &Sc,
    ) -> Option<Expr> {
        let f = f?;
        let x = self.expr(f, sc);
        self.expect_bool(&x);
        if let Some(rt) = self.records.get(record) {
            let found = guards::unguarded_optionals(rule, f, rt);
            self.lints.extend(found);
        }
        Some(x)
    }

    fn rule(
        &mut self,
        r: &ast::RuleDecl,
        policy: usize,
        h: &ast::Header,
        period: PeriodRules,
    ) -> Option<Rule> {
        let rule_sym = self.index.define(Symbol {
            kind: SymbolKind::Rule,
            name: r.name.name.clone(),
            label: r.title.as_ref().map(|t| t.value.clone()),
            span: r.name.span,
            ty: None,
            container: None,
        });
        let syms = self.rule_syms.entry(r.name.name.clone()).or_default();
        if !syms.iter().any(|&(f, _)| f == policy) {
            syms.push((policy, rule_sym));
        }
        let citations: Vec<Citation> = r
            .cites
            .iter()
            .map(|c| Citation {
                document: c
                    .document
                    .as_ref()
                    .map(|d| d.value.clone())
                    .or_else(|| h.document.as_ref().map(|d| d.value.clone())),
                lines: c.lines,
                article: c.article.as_ref().map(|a| a.value.clone()),
                quote: c.quote.as_ref().map(|q| q.value.clone()),
                source_file: h.source.as_ref().map(|s| s.value.clone()),
            })
            .collect();
        if citations.is_empty() {
            self.diags.push(
                Diagnostic::warning(
                    "W0101",
                    Msg::new(
                        format!("规则 `{}` 没有引用依据", r.name.name),
                        format!("rule `{}` cites nothing", r.name.name),
                    ),
                )
                .with_label(r.name.span, None)
                .with_help(Msg::new(
                    "用 `cite line N \"原文\"` 写明规则出自文件的哪一行",
                    "say which line of the document the rule encodes with `cite line N \"words\"`",
                )),
            );
        }
        let Some(applies) = &r.applies else {
            self.diags.push(e(
                "E0401",
                r.name.span,
                format!("规则 `{}` 缺少 `applies to`", r.name.name),
                format!("rule `{}` has no `applies to`", r.name.name),
            ));
            return None;
        };
        let Some(record) = self.record_named(&applies.record.name) else {
            self.unknown_record(&applies.record.name, applies.record.span);
            return None;
        };
        self.refer_record(record, applies.record.span);
        if r.requires.is_empty() {
            self.diags.push(e(
                "E0401",
                r.name.span,
                format!("规则 `{}` 没有 `require`", r.name.name),
                format!("rule `{}` has no `require`", r.name.name),
            ));
        }
        // A rule's aggregates, its `where`'s joined ones too.
        self.aggs.clear();
        // `where` and the group keys read single records, before any grouping.
        let record_sc = Sc {
            record: Some(record),
            fields: true,
            ..Sc::default()
        };
        let scope = match &applies.scope {
            AppliesScope::Each => Scope::Each,
            AppliesScope::All => Scope::Group(Vec::new()),
            AppliesScope::GroupedBy(keys) => {
                let mut out = Vec::new();
                for k in keys {
                    let x = self.expr(k, &record_sc);
                    if matches!(x.ty, Ty::List(_) | Ty::Dates | Ty::Duration(_)) {
                        let (zh, en) = x.ty.describe();
                        self.diags.push(e(
                            "E0201",
                            k.span,
                            format!("分组键应为字段或由字段算出的值（文本、数、日期、选项等），这里是{zh}"),
                            format!("a group key is a field or a value computed from fields (text, a number, a date, a choice…), found {en}"),
                        ));
                    }
                    let text = expr::squeeze(
                        self.sources
                            .text(k.span.source)
                            .get(k.span.range())
                            .unwrap_or(""),
                    );
                    let label = self.key_label(record, &x, &text);
                    out.push(GroupKey {
                        expr: x,
                        text,
                        label,
                    });
                }
                Scope::Group(out)
            }
        };
        let grouped = matches!(scope, Scope::Group(_));
        let keys: Vec<(Option<usize>, String)> = match &scope {
            Scope::Group(keys) => keys.iter().map(|k| (k.slot(), k.text.clone())).collect(),
            _ => Vec::new(),
        };
        // In a grouped rule `where` picks records before grouping, so it reads fields only; in
        // a rule on each record it may also name the rule's lets (checked below, once they are).
        let mut filter = None;
        if grouped {
            let before = self.diags.len();
            filter = self.check_filter(&r.name.name, applies.filter.as_ref(), record, &record_sc);
            // A let of a grouped rule is worked out per group, after `where` has picked records.
            for d in self.diags.iter_mut().skip(before) {
                let named = d.primary_span().and_then(|sp| {
                    let text = self.sources.text(sp.source).get(sp.range())?;
                    r.lets.iter().any(|(n, _)| n.name == text).then_some(text)
                });
                if let (Some(name), "E0101") = (named, d.code) {
                    d.help = Some(Msg::new(
                        format!("`{name}` 是按组计算的 `let`；分组规则的 `where` 在分组之前逐条筛选记录，只能读取字段"),
                        format!("`{name}` is a `let`, worked out for each group; a grouped rule's `where` picks records before they are grouped, and reads only their fields"),
                    ));
                }
            }
        }
        let mut sc = Sc {
            record: Some(record),
            fields: !grouped,
            keys,
            grouped,
            ..Sc::default()
        };
        let mut lets = Vec::new();
        for (name, ex) in &r.lets {
            if sc.locals.iter().any(|(n, _)| n == &name.name) {
                self.diags.push(e(
                    "E0104",
                    name.span,
                    format!("`{}` 重复定义", name.name),
                    format!("`{}` is defined twice", name.name),
                ));
            }
            let x = self.expr(ex, &sc);
            let sym = self.index.define(Symbol {
                kind: SymbolKind::Let,
                name: name.name.clone(),
                label: None,
                span: name.span,
                ty: Some(x.ty.describe()),
                container: Some(rule_sym),
            });
            sc.locals.push((name.name.clone(), x.ty.clone()));
            sc.local_syms.push(sym);
            lets.push(Let {
                name: name.name.clone(),
                expr: x,
                span: name.span,
            });
        }
        if !grouped {
            filter = self
                .check_filter(&r.name.name, applies.filter.as_ref(), record, &sc)
                .map(|mut f| {
                    inline_lets(&mut f, &lets);
                    f
                });
        }
        let requires: Vec<Expr> = r
            .requires
            .iter()
            .map(|x| {
                let x = self.expr(x, &sc);
                self.expect_bool(&x);
                x
            })
            .collect();
        let unless: Vec<Expr> = r
            .unless
            .iter()
            .map(|x| {
                let x = self.expr(x, &sc);
                self.expect_bool(&x);
                x
            })
            .collect();
        let mut message_zh = None;
        let mut message_en = None;
        for (lang, m) in &r.messages {
            let t = self.template(m, &sc);
            match lang.as_deref() {
                Some("en") => message_en = Some(t),
                _ => message_zh = Some(t),
            }
        }
        // A rule with joined aggregates is judged once every record is read.
        let scope = match self.aggs.iter().find(|a| a.source.is_some()) {
            Some(a) if grouped => {
                self.diags.push(e(
                    "E0211",
                    a.span,
                    "关联汇总只能用在逐条检查记录的规则中，不能用在分组规则中".into(),
                    "a joined aggregate belongs in a rule that checks one record at a time, not in a grouped rule".into(),
                ));
                scope
            }
            Some(_) => Scope::Joined,
            None => scope,
        };
        let mut rule = Rule {
            id: r.name.name.clone(),
            title: r.title.as_ref().map(|t| t.value.clone()),
            policy,
            citations,
            severity: r.severity.map(|s| s.0).unwrap_or(Severity::Error),
            record,
            scope,
            filter,
            lets,
            requires,
            unless,
            aggs: std::mem::take(&mut self.aggs),
            message_zh,
            message_en,
            period,
            span: r.span,
            name_span: r.name.span,
            full_id: String::new(),
            shown_id: String::new(),
        };
        deadlines::mark(&mut rule);
        Some(rule)
    }

    fn template(&mut self, m: &ast::Str, sc: &Sc) -> Template {
        let mut parts = Vec::new();
        let text = &m.value;
        let mut rest = text.as_str();
        let mut offset = 1usize; // skip the opening quote (spans are approximate when escapes occur)
        while let Some(open) = rest.find('{') {
            if open > 0 && rest.get(open - 1..open) == Some("\\") {
                parts.push(TemplatePart::Text(
                    rest.get(..open - 1).unwrap_or("").to_string() + "{",
                ));
                rest = rest.get(open + 1..).unwrap_or("");
                offset += open + 1;
                continue;
            }
            let Some(close) = rest.get(open..).and_then(|r| r.find('}')).map(|c| c + open) else {
                let at = m.span.start as usize + offset + open;
                self.diags.push(
                    e(
                        "E0016",
                        Span::new(m.span.source, at, at + 1),
                        "消息中的 `{` 没有对应的 `}`".into(),
                        "this `{` in the message has no closing `}`".into(),
                    )
                    .with_help(Msg::new(
                        "写作 `{字段名}` 引用字段的值；`\\{` 写出花括号本身",
                        "write `{name}` to show a value; `\\{` writes a brace",
                    )),
                );
                break;
            };
            parts.push(TemplatePart::Text(
                rest.get(..open).unwrap_or("").to_string(),
            ));
            let raw = rest.get(open + 1..close).unwrap_or("").trim();
            let (name, percent) = match raw.strip_suffix('%') {
                Some(n) => (n.trim(), true),
                None => (raw, false),
            };
            let span = Span::new(
                m.span.source,
                m.span.start as usize + offset + open,
                m.span.start as usize + offset + close + 1,
            );
            // The name itself, inside the braces and any spaces: what an editor renames.
            let inner = rest.get(open + 1..close).unwrap_or("");
            let lead = inner.len() - inner.trim_start().len();
            let name_start = m.span.start as usize + offset + open + 1 + lead;
            let ident = ast::Expr {
                kind: ast::ExprKind::Name(ast::Ident {
                    name: name.to_string(),
                    span: Span::new(m.span.source, name_start, name_start + name.len()),
                }),
                span,
            };
            let x = self.expr(&ident, sc);
            parts.push(if percent {
                TemplatePart::Percent(x)
            } else {
                TemplatePart::Hole(x)
            });
            offset += close + 1;
            rest = rest.get(close + 1..).unwrap_or("");
        }
        parts.push(TemplatePart::Text(rest.replace("\\}", "}")));
        Template { parts }
    }

    fn expect_bool(&mut self, x: &Expr) {
        if x.ty != Ty::Bool && x.ty != Ty::Error {
            let (zh, en) = x.ty.describe();
            self.diags.push(e(
                "E0204",
                x.span,
                format!("此处需要条件（真假值），但这是{zh}"),
                format!("expected a condition (true/false) here, found {en}"),
            ));
        }
    }

    fn unknown_field(&mut self, record: usize, name: &str, span: Span, extra: &[String]) {
        if self.broken.contains(name) {
            return;
        }
        let mut known: Vec<String> = self
            .records
            .get(record)
            .map(|r| r.fields.iter().map(|f| f.name.clone()).collect())
            .unwrap_or_default();
        known.extend(extra.iter().cloned());
        known.extend(self.visible_consts());
        let rname = self
            .records
            .get(record)
            .map(|r| r.name.clone())
            .unwrap_or_default();
        let mut d = e(
            "E0101",
            span,
            format!("`{name}` 不是记录 `{rname}` 的字段，也不是已定义的名称"),
            format!("unknown name `{name}`: not a field of `{rname}` nor a defined name"),
        );
        if let Some(help) = self.declared_elsewhere(name) {
            d = d.with_help(help);
        } else if let Some(s) = did_you_mean(name, known.iter().map(String::as_str)) {
            d = d.with_help(Msg::new(
                format!("是否应为 `{s}`？"),
                format!("did you mean `{s}`?"),
            ));
        }
        self.diags.push(d);
    }
}

mod expr;

impl Checker {
    fn check_examples(&mut self) {
        let parsed = std::mem::take(&mut self.parsed);
        for (pi, p) in parsed.iter().enumerate() {
            self.cur = pi;
            for item in &p.ast.items {
                if let Item::Example(ex) = item {
                    let x = self.example(ex, pi);
                    self.examples.push(x);
                }
            }
        }
        self.parsed = parsed;
    }

    fn example(&mut self, ex: &ast::ExampleDecl, policy: usize) -> Example {
        let mut records = Vec::new();
        let mut record_spans = Vec::new();
        for (i, rl) in ex.records.iter().enumerate() {
            let Some(ty) = self.record_named(&rl.ty.name) else {
                self.unknown_record(&rl.ty.name, rl.ty.span);
                continue;
            };
            self.refer_record(ty, rl.ty.span);
            let values = self.record_values(ty, &rl.fields, rl.span);
            records.push(Record {
                ty,
                values,
                loc: RecordLoc {
                    input: u32::MAX,
                    index: i as u64,
                    line: 0,
                    col: 0,
                    byte: 0,
                },
            });
            record_spans.push(rl.span);
        }
        let mut expects = Vec::new();
        for x in &ex.expects {
            let sym = self
                .rule_syms
                .get(&x.rule.name)
                .and_then(|v| v.iter().find(|&&(f, _)| self.sees(f)).map(|&(_, s)| s));
            if let Some(s) = sym {
                self.index.refer(x.rule.span, s);
            }
            match self.rule_named(&x.rule.name) {
                Some(rule) => expects.push(Expectation {
                    rule,
                    outcome: x.outcome,
                    for_key: x.for_key.as_ref().map(|k| k.value.clone()),
                    span: x.span,
                }),
                None if self.broken.contains(&x.rule.name) => {}
                None => {
                    let known: Vec<&str> = self
                        .rules
                        .iter()
                        .filter(|r| self.sees(r.policy))
                        .map(|r| r.id.as_str())
                        .collect();
                    let mut d = e(
                        "E0103",
                        x.rule.span,
                        format!("示例期望了未定义的规则 `{}`", x.rule.name),
                        format!("the example expects an undefined rule `{}`", x.rule.name),
                    );
                    if let Some(s) = did_you_mean(&x.rule.name, known) {
                        d = d.with_help(Msg::new(
                            format!("是否应为 `{s}`？"),
                            format!("did you mean `{s}`?"),
                        ));
                    }
                    self.diags.push(d);
                }
            }
        }
        Example {
            name: ex.name.value.clone(),
            policy,
            as_of: ex.as_of.map(|d| d.0),
            records,
            record_spans,
            expects,
            span: ex.span,
        }
    }

    fn record_values(
        &mut self,
        ty: usize,
        fields: &[(ast::Ident, ast::InitValue)],
        span: Span,
    ) -> Vec<Value> {
        let Some(rt) = self.records.get(ty).cloned() else {
            return Vec::new();
        };
        let mut values = vec![Value::Missing; rt.fields.len()];
        for (name, init) in fields {
            let Some(slot) = rt.slot(&name.name) else {
                self.unknown_field(ty, &name.name, name.span, &[]);
                continue;
            };
            self.refer_field(ty, slot, name.span);
            let Some(field) = rt.fields.get(slot) else {
                continue;
            };
            let v = match init {
                ast::InitValue::Missing(_) => Value::Missing,
                ast::InitValue::List(items, lspan) => match &field.ty {
                    Ty::List(elem) => Value::List(
                        items
                            .iter()
                            .map(|it| self.record_values(*elem, &it.fields, it.span))
                            .collect(),
                    ),
                    _ => {
                        self.diags.push(e(
                            "E0201",
                            *lspan,
                            format!("字段 `{}` 不是列表", field.name),
                            format!("field `{}` is not a list", field.name),
                        ));
                        Value::Missing
                    }
                },
                ast::InitValue::Expr(x) => self.literal_for_field(field, x),
            };
            if let Some(s) = values.get_mut(slot) {
                *s = v;
            }
        }
        let _ = span;
        values
    }

    /// The value of a literal written for a field in an example, in the field's type and unit.
    fn literal_for_field(&mut self, field: &Field, x: &ast::Expr) -> Value {
        match (&field.ty, &x.kind) {
            (Ty::Enum(def), _) => enum_literal(def, x, self),
            (Ty::Num(n), ast::ExprKind::Number { value, unit: None }) => {
                Value::Num(value.checked_mul(n.unit.scale).unwrap_or(*value))
            }
            _ => {
                let ex = self.expr(x, &Sc::default());
                if ex.ty == Ty::Error {
                    return Value::Missing;
                }
                if !self.assignable(&field.ty, &ex.ty) {
                    let (fzh, fen) = field.ty.describe();
                    let (zh, en) = ex.ty.describe();
                    self.diags.push(e(
                        "E0201",
                        x.span,
                        format!("字段 `{}` 应为{fzh}，这里写的是{zh}", field.name),
                        format!("field `{}` holds {fen}, but this is {en}", field.name),
                    ));
                    return Value::Missing;
                }
                // Counted as the example's policy counts (on its calendar).
                let rules = self
                    .policy_periods
                    .get(&self.cur)
                    .copied()
                    .unwrap_or_else(|| self.default_period());
                let counting = Counting {
                    rules,
                    calendar: self.calendars.get(rules.calendar),
                };
                match fold::fold(&ex, counting) {
                    Ok(v) => v,
                    Err(why) => {
                        let (zh, en) = why.words();
                        self.diags.push(e(
                            "E0208",
                            x.span,
                            format!("示例中的值：{zh}"),
                            format!("a value in an example: {en}"),
                        ));
                        Value::Missing
                    }
                }
            }
        }
    }

    fn assignable(&self, to: &Ty, from: &Ty) -> bool {
        match (to, from) {
            (Ty::Num(a), Ty::Num(b)) => a.unit.dim == b.unit.dim,
            (Ty::DateTime, Ty::Date) => false,
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

fn enum_literal(def: &Arc<EnumDef>, x: &ast::Expr, c: &mut Checker) -> Value {
    let text = match &x.kind {
        ast::ExprKind::Name(id) => Some(id.name.as_str()),
        ast::ExprKind::Str(s) => Some(s.as_str()),
        _ => None,
    };
    match text.and_then(|t| def.find(t)) {
        Some(i) => {
            if let ast::ExprKind::Name(id) = &x.kind {
                c.refer_variant(def, usize::from(i), id.span);
            }
            Value::Enum(i)
        }
        None => {
            let known: Vec<&str> = def.variants.iter().map(|(n, _)| n.as_str()).collect();
            let shown = text.unwrap_or("?");
            let mut d = e(
                "E0105",
                x.span,
                format!("`{shown}` 不是该枚举的取值（可选：{}）", known.join("、")),
                format!(
                    "`{shown}` is not a variant of this enum (one of: {})",
                    known.join(", ")
                ),
            );
            if let Some(s) = did_you_mean(shown, known) {
                d = d.with_help(Msg::new(
                    format!("是否应为 `{s}`？"),
                    format!("did you mean `{s}`?"),
                ));
            }
            c.diags.push(d);
            Value::Missing
        }
    }
}
