//! Builds the syntax tree from pest's parse. Parsing stops at the first syntax error.

use super::ast::*;
use super::limits;
use crate::calendar::{parse_date_text, parse_datetime_text};
use crate::diag::{Diagnostic, Msg};
use crate::source::{SourceId, Span};
use chrono::NaiveDate;
use pest::iterators::Pair;
use pest::Parser;
use rust_decimal::Decimal;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/policy.pest"]
struct PolicyParser;

type P<'a> = Pair<'a, Rule>;

/// A parse that always exists: the tree (with [`Item::Error`] for each item that did not parse)
/// and every diagnostic of the file.
pub struct Parse {
    pub file: PolicyFile,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses one policy file, stopping at nothing: the header and each top-level item are parsed on
/// their own, so a broken rule does not hide the next one. See [`parse_recovering`].
/// Returns the first problem if there is any.
pub fn parse_policy(source: SourceId, text: &str) -> Result<PolicyFile, Diagnostic> {
    let p = parse_recovering(source, text);
    match p.diagnostics.into_iter().next() {
        Some(d) => Err(d),
        None => Ok(p.file),
    }
}

/// Parses one policy file and keeps going after errors.
///
/// The text is cut into pieces at the lines that start a top-level item (`record`, `rule`,
/// `example`, `use`, `const` and their Chinese twins) — at column 0, or wherever brackets are
/// balanced — and each piece is pre-scanned for [limits](super::limits) and parsed by pest on
/// its own. A piece that fails becomes an [`Item::Error`] with its diagnostics.
pub fn parse_recovering(source: SourceId, text: &str) -> Parse {
    let mut diagnostics = Vec::new();
    let comments = comment_spans(source, text);
    let keywords = if header_keyword_is_chinese(text) {
        KeywordLang::Chinese
    } else {
        KeywordLang::English
    };
    let chunks = split_items(text);
    let mut header = None;
    let mut items = Vec::new();
    for (k, &(start, end)) in chunks.iter().enumerate() {
        let piece = text.get(start..end).unwrap_or("");
        let chunk_span = Span::new(source, start, start + trimmed_len(piece));
        if items.len() >= super::limits::MAX_ITEMS {
            diagnostics.push(super::limits::too_many_items(chunk_span));
            break;
        }
        let b = Builder {
            source,
            offset: start,
            last: end == text.len(),
        };
        let scanned = super::limits::prescan(source, piece, start);
        let result = if !scanned.is_empty() {
            Err(scanned)
        } else if k == 0 {
            b.parse_file(piece).map(|(h, mut its)| {
                header = Some(h);
                items.append(&mut its);
            })
        } else {
            b.parse_chunk(piece).map(|mut its| items.append(&mut its))
        };
        if let Err(mut ds) = result {
            diagnostics.append(&mut ds);
            if k > 0 {
                items.push(Item::Error(error_item(source, piece, start, chunk_span)));
            }
        }
    }
    let header = header.unwrap_or_else(|| placeholder_header(source));
    Parse {
        file: PolicyFile {
            header,
            items,
            keywords,
            comments,
        },
        diagnostics,
    }
}

/// What stands for a header that did not parse, so that the items can still be checked.
fn placeholder_header(source: SourceId) -> Header {
    let span = Span::new(source, 0, 0);
    Header {
        id: Ident {
            name: String::new(),
            span,
        },
        title: Str {
            value: String::new(),
            span,
        },
        document: None,
        issuer: None,
        issued: None,
        effective: None,
        source: None,
        settings: Settings::default(),
    }
}

const ITEM_KEYWORDS: &[&str] = &[
    "record", "记录", "rule", "规则", "example", "示例", "use", "引用", "const", "常量",
];

/// The first word of `line` (a run of letters, digits and `_`).
fn first_word(line: &str) -> &str {
    let t = line.trim_start();
    let end = t
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map(|(i, _)| i)
        .unwrap_or(t.len());
    t.get(..end).unwrap_or("")
}

/// Byte ranges of the pieces of `text`: the header (with everything before the first item), then
/// one per top-level item. A line starts an item when its first word is an item keyword and it
/// starts at column 0 or all brackets opened since the last item are closed.
fn split_items(text: &str) -> Vec<(usize, usize)> {
    let mut cuts = vec![0usize];
    let mut depth: i64 = 0;
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let word = first_word(line);
        let at_col0 = !line.starts_with([' ', '\t', '\u{3000}']);
        if ITEM_KEYWORDS.contains(&word) && (at_col0 || depth <= 0) && offset > 0 {
            cuts.push(offset);
            depth = 0;
        }
        for (_, c, in_str) in super::scan::chars_in_strings(line) {
            match c {
                _ if in_str => {}
                '#' => break,
                '{' | '(' | '[' => depth += 1,
                '}' | ')' | ']' => depth -= 1,
                _ => {}
            }
        }
        offset += line.len();
    }
    let mut out = Vec::with_capacity(cuts.len());
    for (i, &c) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).copied().unwrap_or(text.len());
        out.push((c, end));
    }
    out
}

/// The keyword and name of a piece that did not parse, if they can be read.
fn error_item(source: SourceId, piece: &str, start: usize, span: Span) -> ErrorItem {
    let lead = piece.len() - piece.trim_start().len();
    let code = piece.get(lead..).unwrap_or("");
    let keyword = first_word(code);
    let rest = code.get(keyword.len()..).unwrap_or("");
    let name = first_word(rest);
    let name_at = start + lead + keyword.len() + (rest.len() - rest.trim_start().len());
    ErrorItem {
        keyword: (!keyword.is_empty()).then(|| keyword.to_string()),
        name: (!name.is_empty()).then(|| Ident {
            name: name.to_string(),
            span: Span::new(source, name_at, name_at + name.len()),
        }),
        span,
    }
}

/// The span of every `#` comment outside strings.
fn comment_spans(source: SourceId, text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(i) = super::scan::comment_start(line) {
            let c = line.get(i..).unwrap_or("").trim_end();
            out.push(Span::new(source, offset + i, offset + i + c.len()));
        }
        offset += line.len();
    }
    out
}

fn syntax_error(
    source: SourceId,
    text: &str,
    offset: usize,
    last_piece: bool,
    e: pest::error::Error<Rule>,
) -> Diagnostic {
    let (start, end) = match e.location {
        pest::error::InputLocation::Pos(p) => (p, p),
        pest::error::InputLocation::Span((s, t)) => (s, t),
    };
    // Point at the whole offending token, so the caret covers what the reader must fix.
    let end = if end > start {
        end
    } else {
        let rest = text.get(start..).unwrap_or("");
        let len: usize = rest
            .chars()
            .take_while(|c| !c.is_whitespace())
            .map(char::len_utf8)
            .sum::<usize>()
            .max(rest.chars().next().map(char::len_utf8).unwrap_or(0));
        start + len.min(40)
    };
    let found = text.get(start..end).unwrap_or("").to_string();
    let expected = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<(&str, &str)> =
                positives.iter().filter_map(|r| describe(*r)).collect();
            names.sort();
            names.dedup();
            names
        }
        pest::error::ErrorVariant::CustomError { message } => {
            vec![(message.as_str(), message.as_str())]
        }
    };
    let (zh, en) = if found.is_empty() && !last_piece {
        (
            "条目在下一个条目之前没有结束（是否缺少 `}`？）".to_string(),
            "this item is not finished before the next one starts (a missing `}`?)".to_string(),
        )
    } else if found.is_empty() {
        (
            "策略文件意外结束".to_string(),
            "unexpected end of the policy file".to_string(),
        )
    } else {
        (
            format!("无法识别 `{found}`"),
            format!("unexpected `{found}`"),
        )
    };
    let mut d = Diagnostic::error("E0001", Msg::new(zh, en))
        .with_label(Span::new(source, offset + start, offset + end), None);
    if !expected.is_empty() {
        let zh: Vec<&str> = expected.iter().map(|e| e.0).collect();
        let en: Vec<&str> = expected.iter().map(|e| e.1).collect();
        d = d.with_help(Msg::new(
            format!("此处应为：{}", zh.join("、")),
            format!("expected {}", en.join(", ")),
        ));
    }
    d
}

/// Names a grammar rule as a user would call it, in Chinese and in English.
fn describe(r: Rule) -> Option<(&'static str, &'static str)> {
    let s = match r {
        Rule::ident => ("名称", "a name"),
        Rule::string => ("带引号的字符串", "a quoted string"),
        Rule::expr | Rule::add_expr | Rule::mul_expr | Rule::unary | Rule::postfix => {
            ("表达式", "an expression")
        }
        Rule::cmp_op => ("比较", "a comparison"),
        Rule::date_lit => ("日期（YYYY-MM-DD）", "a date (YYYY-MM-DD)"),
        Rule::number | Rule::int_lit | Rule::quantity => ("数", "a number"),
        Rule::unit => ("单位", "a unit"),
        Rule::type_expr => ("类型", "a type"),
        Rule::outcome => (
            "结果（通过、违反、不适用、待定、未知）",
            "an outcome (pass, fail, not_applicable, pending, unknown, exempt)",
        ),
        Rule::severity_level => (
            "级别（错误、警告、提示）",
            "a severity (error, warning, info)",
        ),
        Rule::bool_lit => ("是 或 否", "true or false"),
        Rule::field_decl => ("字段", "a field"),
        Rule::cite_part => ("依据的一部分", "a citation part"),
        Rule::object_lit => ("`{`", "`{`"),
        Rule::EOI => ("文件结束", "end of file"),
        Rule::kw_rule => ("`规则`（rule）", "`rule`"),
        Rule::kw_record => ("`记录`（record）", "`record`"),
        Rule::kw_example => ("`示例`（example）", "`example`"),
        Rule::kw_policy => ("`政策`（policy）", "`policy`"),
        Rule::kw_then => ("`则`（then）", "`then`"),
        Rule::kw_else => ("`否则`（else）", "`else`"),
        Rule::kw_applies => ("`适用于`（applies to）", "`applies to`"),
        Rule::kw_require => ("`要求`（require）", "`require`"),
        Rule::kw_cite => ("`依据`（cite）", "`cite`"),
        Rule::kw_expect => ("`期望`（expect）", "`expect`"),
        Rule::rule_decl
        | Rule::record_decl
        | Rule::example_decl
        | Rule::use_decl
        | Rule::const_decl => (
            "条目（记录、规则、示例、引用、常量）",
            "an item (record, rule, example, use, const)",
        ),
        Rule::header_attr => (
            "政策头部属性（文号、发文机关、印发、施行、来源）",
            "a header attribute (document, issuer, issued, effective, source)",
        ),
        _ => return None,
    };
    Some(s)
}

struct Builder {
    source: SourceId,
    /// Where the piece being built starts in the file.
    offset: usize,
    /// The piece ends where the file ends.
    last: bool,
}

fn bad(span: Span, zh: String, en: String) -> Diagnostic {
    Diagnostic::error("E0002", Msg::new(zh, en)).with_label(span, None)
}

impl Builder {
    /// The span of a pair, ending at its last token: pest's implicit white space and comments
    /// after the last token belong to no one.
    fn span(&self, p: &P) -> Span {
        let s = p.as_span();
        let start = self.offset + s.start();
        Span::new(self.source, start, start + trimmed_len(p.as_str()))
    }

    fn ident(&self, p: P) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    fn string(&self, p: P) -> Result<Str, Diagnostic> {
        let span = self.span(&p);
        let raw = p.into_inner().next().map(|i| i.as_str()).unwrap_or("");
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('"') => out.push('"'),
                    Some('\\') => out.push('\\'),
                    Some('{') => out.push_str("\\{"),
                    Some('}') => out.push_str("\\}"),
                    Some(other) => {
                        return Err(bad(
                            span,
                            format!("未知的转义 `\\{other}`"),
                            format!("unknown escape `\\{other}`"),
                        ))
                    }
                    None => {}
                }
            } else {
                out.push(c);
            }
        }
        Ok(Str { value: out, span })
    }

    /// Parses the first piece: the header and any items on its lines.
    fn parse_file(&self, text: &str) -> Result<(Header, Vec<Item>), Vec<Diagnostic>> {
        let mut pairs = PolicyParser::parse(Rule::file, text)
            .map_err(|e| vec![syntax_error(self.source, text, self.offset, self.last, e)])?;
        let Some(file) = pairs.next() else {
            return Err(vec![Diagnostic::error(
                "E0001",
                Msg::new("策略文件为空", "the policy file is empty"),
            )
            .with_label(Span::new(self.source, 0, 0), None)]);
        };
        let mut header = None;
        let mut items = Vec::new();
        for c in file.into_inner() {
            match c.as_rule() {
                Rule::header => header = Some(self.header(c).map_err(|d| vec![d])?),
                _ => self.item(c, &mut items).map_err(|d| vec![d])?,
            }
        }
        let header = header.ok_or_else(|| {
            vec![Diagnostic::error(
                "E0001",
                Msg::new("缺少 `policy` 头部", "missing `policy` header"),
            )
            .with_label(Span::new(self.source, 0, 0), None)]
        })?;
        Ok((header, items))
    }

    /// Parses a later piece: one item (or several, when they share lines).
    fn parse_chunk(&self, text: &str) -> Result<Vec<Item>, Vec<Diagnostic>> {
        let pairs = PolicyParser::parse(Rule::item_chunk, text)
            .map_err(|e| vec![syntax_error(self.source, text, self.offset, self.last, e)])?;
        let mut items = Vec::new();
        for chunk in pairs {
            for c in chunk.into_inner() {
                self.item(c, &mut items).map_err(|d| vec![d])?;
            }
        }
        Ok(items)
    }

    fn item(&self, c: P, items: &mut Vec<Item>) -> Result<(), Diagnostic> {
        match c.as_rule() {
            Rule::use_decl => {
                let s = self.first_string(c)?;
                items.push(Item::Use(s));
            }
            Rule::const_decl => {
                let mut it = c.into_inner().filter(|x| x.as_rule() != Rule::kw_const);
                let (Some(n), Some(e)) = (it.next(), it.next()) else {
                    return Ok(());
                };
                items.push(Item::Const(ConstDecl {
                    name: self.ident(n),
                    value: self.top_expr(e)?,
                }));
            }
            Rule::record_decl => items.push(Item::Record(self.record(c)?)),
            Rule::rule_decl => items.push(Item::Rule(self.rule(c)?)),
            Rule::example_decl => items.push(Item::Example(self.example(c)?)),
            _ => {}
        }
        Ok(())
    }

    /// An expression that stands on its own (a `require`, `let`, `const`, …), within the limits
    /// on depth and size.
    fn top_expr(&self, p: P) -> Result<Expr, Diagnostic> {
        let e = self.expr(p)?;
        super::limits::check_expr(&e)?;
        Ok(e)
    }

    fn first_string(&self, p: P) -> Result<Str, Diagnostic> {
        let span = self.span(&p);
        match p.into_inner().find(|x| x.as_rule() == Rule::string) {
            Some(s) => self.string(s),
            None => Err(bad(span, "缺少字符串".into(), "missing string".into())),
        }
    }

    fn date(&self, p: P) -> Result<(NaiveDate, Span), Diagnostic> {
        let span = self.span(&p);
        parse_date_text(p.as_str())
            .map(|d| (d, span))
            .ok_or_else(|| {
                bad(
                    span,
                    format!("无效日期 `{}`", p.as_str()),
                    format!("invalid date `{}`", p.as_str()),
                )
            })
    }

    fn bool(&self, p: P) -> bool {
        p.into_inner()
            .next()
            .map(|k| k.as_rule() == Rule::kw_true)
            .unwrap_or(false)
    }

    fn setting(&self, p: P, settings: &mut Settings) -> Result<(), Diagnostic> {
        let mut it = p.into_inner();
        let Some(k) = it.next() else { return Ok(()) };
        let Some(v) = it.next() else { return Ok(()) };
        match k.as_rule() {
            Rule::kw_calendar => settings.calendar = Some(self.string(v)?),
            Rule::kw_extend_on_day_off => settings.extend_on_day_off = Some(self.bool(v)),
            Rule::kw_month_rule => settings.month_rule = Some(self.string(v)?),
            _ => {}
        }
        Ok(())
    }

    fn header(&self, p: P) -> Result<Header, Diagnostic> {
        let mut it = p.into_inner();
        it.next(); // kw_policy
        let id = it.next().map(|i| self.ident(i));
        let title = match it.next() {
            Some(s) => Some(self.string(s)?),
            None => None,
        };
        let (Some(id), Some(title)) = (id, title) else {
            return Err(Diagnostic::error(
                "E0001",
                Msg::new("策略头部不完整", "incomplete policy header"),
            ));
        };
        let mut h = Header {
            id,
            title,
            document: None,
            issuer: None,
            issued: None,
            effective: None,
            source: None,
            settings: Settings::default(),
        };
        for attr in it {
            let mut a = attr.clone().into_inner();
            let Some(k) = a.next() else { continue };
            let Some(v) = a.next() else { continue };
            match k.as_rule() {
                Rule::kw_document => h.document = Some(self.string(v)?),
                Rule::kw_issuer => h.issuer = Some(self.string(v)?),
                Rule::kw_issued => h.issued = Some(self.date(v)?),
                Rule::kw_effective => h.effective = Some(self.date(v)?),
                Rule::kw_source => h.source = Some(self.string(v)?),
                Rule::kw_calendar | Rule::kw_extend_on_day_off | Rule::kw_month_rule => {
                    self.setting(attr, &mut h.settings)?
                }
                _ => {}
            }
        }
        Ok(h)
    }

    fn record(&self, p: P) -> Result<RecordDecl, Diagnostic> {
        let span = self.span(&p);
        let mut name = None;
        let mut label = None;
        let mut fields = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(c)),
                Rule::string => label = Some(self.string(c)?),
                Rule::field_decl => fields.push(self.field(c)?),
                _ => {}
            }
        }
        let name =
            name.ok_or_else(|| bad(span, "记录缺少名称".into(), "record without a name".into()))?;
        Ok(RecordDecl {
            name,
            label,
            fields,
            span,
        })
    }

    fn field(&self, p: P) -> Result<FieldDecl, Diagnostic> {
        let span = self.span(&p);
        let mut name = None;
        let mut ty = None;
        let mut optional = false;
        let mut key = false;
        let mut total = None;
        let mut unit = None;
        let mut label = None;
        let mut also = Vec::new();
        let mut default = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(c)),
                Rule::type_expr => ty = Some(self.type_expr(c)?),
                Rule::field_attr => {
                    let at = self.span(&c);
                    let mut a = c.into_inner();
                    match a.next().map(|x| x.as_rule()) {
                        Some(Rule::kw_total) => total = Some(at),
                        Some(Rule::kw_optional) => optional = true,
                        Some(Rule::kw_key) => key = true,
                        Some(Rule::kw_default) => {
                            if let Some(x) = a.next() {
                                default = Some(self.expr(x)?);
                            }
                        }
                        Some(Rule::kw_unit) => {
                            if let Some(u) = a.next() {
                                unit = Some(Str {
                                    value: u.as_str().to_string(),
                                    span: self.span(&u),
                                });
                            }
                        }
                        _ => {}
                    }
                }
                Rule::string if label.is_none() => label = Some(self.string(c)?),
                Rule::string => also.push(self.string(c)?),
                _ => {}
            }
        }
        let (Some(name), Some(ty)) = (name, ty) else {
            return Err(bad(span, "字段不完整".into(), "incomplete field".into()));
        };
        Ok(FieldDecl {
            name,
            ty,
            optional,
            key,
            total,
            unit,
            label,
            also,
            default,
            span,
        })
    }

    fn type_expr(&self, p: P) -> Result<TypeExpr, Diagnostic> {
        let span = self.span(&p);
        let Some(inner) = p.into_inner().next() else {
            return Err(bad(span, "缺少类型".into(), "missing type".into()));
        };
        Ok(match inner.as_rule() {
            Rule::kw_text => TypeExpr::Text,
            Rule::kw_int => TypeExpr::Int,
            Rule::kw_decimal => TypeExpr::Decimal,
            Rule::kw_bool => TypeExpr::Bool,
            Rule::kw_date => TypeExpr::Date,
            Rule::kw_datetime => TypeExpr::DateTime,
            Rule::enum_type => {
                let mut vs = Vec::new();
                for v in inner
                    .into_inner()
                    .filter(|x| x.as_rule() == Rule::enum_variant)
                {
                    let mut vi = v.into_inner();
                    let Some(n) = vi.next() else { continue };
                    let l = match vi.next() {
                        Some(s) => Some(self.string(s)?),
                        None => None,
                    };
                    vs.push((self.ident(n), l));
                }
                TypeExpr::Enum(vs)
            }
            Rule::list_type => {
                let Some(n) = inner.into_inner().find(|x| x.as_rule() == Rule::ident) else {
                    return Err(bad(
                        span,
                        "列表缺少元素类型".into(),
                        "list without element type".into(),
                    ));
                };
                TypeExpr::List(self.ident(n))
            }
            Rule::ref_type => {
                let Some(n) = inner.into_inner().find(|x| x.as_rule() == Rule::ident) else {
                    return Err(bad(
                        span,
                        "关联缺少记录类型".into(),
                        "ref without a record type".into(),
                    ));
                };
                TypeExpr::Ref(self.ident(n))
            }
            _ => return Err(bad(span, "未知类型".into(), "unknown type".into())),
        })
    }

    fn rule(&self, p: P) -> Result<RuleDecl, Diagnostic> {
        let span = self.span(&p);
        let mut r = RuleDecl {
            name: Ident {
                name: String::new(),
                span,
            },
            title: None,
            cites: Vec::new(),
            applies: None,
            lets: Vec::new(),
            requires: Vec::new(),
            unless: Vec::new(),
            severity: None,
            messages: Vec::new(),
            settings: Settings::default(),
            span,
        };
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => r.name = self.ident(c),
                Rule::string => r.title = Some(self.string(c)?),
                Rule::cite => r.cites.push(self.cite(c)?),
                Rule::applies => r.applies = Some(self.applies(c)?),
                Rule::let_stmt => {
                    let mut it = c.into_inner().skip(1);
                    let (Some(n), Some(e)) = (it.next(), it.next()) else {
                        continue;
                    };
                    r.lets.push((self.ident(n), self.top_expr(e)?));
                }
                Rule::require => {
                    let mut it = c.into_inner().skip(1);
                    if let Some(e) = it.next() {
                        let cond = self.top_expr(e)?;
                        // `by DATE`: the keyword, then the date.
                        match it.nth(1) {
                            Some(d) => {
                                let by = self.top_expr(d)?;
                                let span = cond.span.to(by.span);
                                r.requires.push(Expr {
                                    kind: ExprKind::By(Box::new(cond), Box::new(by)),
                                    span,
                                });
                            }
                            None => r.requires.push(cond),
                        }
                    }
                }
                Rule::unless => {
                    if let Some(e) = c.into_inner().nth(1) {
                        r.unless.push(self.top_expr(e)?);
                    }
                }
                Rule::severity => {
                    let sp = self.span(&c);
                    let lvl = c
                        .into_inner()
                        .nth(1)
                        .and_then(|l| l.into_inner().next())
                        .map(|k| match k.as_rule() {
                            Rule::kw_warning => Severity::Warning,
                            Rule::kw_info => Severity::Info,
                            _ => Severity::Error,
                        })
                        .unwrap_or(Severity::Error);
                    r.severity = Some((lvl, sp));
                }
                Rule::message => {
                    let mut lang = None;
                    let mut text = None;
                    for m in c.into_inner() {
                        match m.as_rule() {
                            Rule::lang_tag => lang = Some(m.as_str().to_string()),
                            Rule::string => text = Some(self.string(m)?),
                            _ => {}
                        }
                    }
                    if let Some(t) = text {
                        r.messages.push((lang, t));
                    }
                }
                Rule::rule_setting => self.setting(c, &mut r.settings)?,
                _ => {}
            }
        }
        Ok(r)
    }

    fn cite(&self, p: P) -> Result<Cite, Diagnostic> {
        let mut c = Cite {
            span: self.span(&p),
            ..Cite::default()
        };
        for part in p.into_inner().filter(|x| x.as_rule() == Rule::cite_part) {
            let mut it = part.into_inner();
            let Some(first) = it.next() else { continue };
            match first.as_rule() {
                Rule::kw_document => {
                    if let Some(s) = it.next() {
                        c.document = Some(self.string(s)?);
                    }
                }
                Rule::kw_article => {
                    if let Some(s) = it.next() {
                        c.article = Some(self.string(s)?);
                    }
                }
                Rule::kw_line => {
                    if let Some(lr) = it.next() {
                        let nums: Vec<u32> = lr
                            .into_inner()
                            .filter_map(|n| n.as_str().parse().ok())
                            .collect();
                        let a = nums.first().copied().unwrap_or(0);
                        let b = nums.get(1).copied().unwrap_or(a);
                        c.lines = Some((a, b));
                    }
                }
                Rule::string => c.quote = Some(self.string(first)?),
                _ => {}
            }
        }
        Ok(c)
    }

    fn applies(&self, p: P) -> Result<Applies, Diagnostic> {
        let span = self.span(&p);
        let mut record = None;
        let mut scope = AppliesScope::Each;
        let mut filter = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::applies_all => {
                    record = c
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::ident)
                        .map(|i| self.ident(i));
                    scope = AppliesScope::All;
                }
                Rule::applies_each => {
                    let mut keys = Vec::new();
                    for x in c.into_inner() {
                        match x.as_rule() {
                            Rule::ident => record = Some(self.ident(x)),
                            Rule::group_key => keys.push(self.top_expr(x)?),
                            _ => {}
                        }
                    }
                    if !keys.is_empty() {
                        scope = AppliesScope::GroupedBy(keys);
                    }
                }
                Rule::expr => filter = Some(self.top_expr(c)?),
                _ => {}
            }
        }
        let record =
            record.ok_or_else(|| bad(span, "缺少记录类型".into(), "missing record type".into()))?;
        Ok(Applies {
            record,
            scope,
            filter,
            span,
        })
    }

    fn example(&self, p: P) -> Result<ExampleDecl, Diagnostic> {
        let span = self.span(&p);
        let mut name = None;
        let mut as_of = None;
        let mut records = Vec::new();
        let mut expects = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::string => name = Some(self.string(c)?),
                Rule::as_of => {
                    if let Some(d) = c.into_inner().nth(1) {
                        as_of = Some(self.date(d)?);
                    }
                }
                Rule::record_lit => records.push(self.record_lit(c)?),
                Rule::expect => {
                    let sp = self.span(&c);
                    let mut rule = None;
                    let mut outcome = Outcome::Pass;
                    let mut for_key = None;
                    for e in c.into_inner() {
                        match e.as_rule() {
                            Rule::ident => rule = Some(self.ident(e)),
                            Rule::outcome => {
                                outcome = match e.into_inner().next().map(|k| k.as_rule()) {
                                    Some(Rule::kw_fail) => Outcome::Fail,
                                    Some(Rule::kw_not_applicable) => Outcome::NotApplicable,
                                    Some(Rule::kw_pending) => Outcome::Pending,
                                    Some(Rule::kw_unknown) => Outcome::Unknown,
                                    Some(Rule::kw_exempt) => Outcome::Exempt,
                                    _ => Outcome::Pass,
                                }
                            }
                            Rule::string => for_key = Some(self.string(e)?),
                            _ => {}
                        }
                    }
                    if let Some(rule) = rule {
                        expects.push(Expect {
                            rule,
                            outcome,
                            for_key,
                            span: sp,
                        });
                    }
                }
                _ => {}
            }
        }
        let name =
            name.ok_or_else(|| bad(span, "示例缺少名称".into(), "example without a name".into()))?;
        Ok(ExampleDecl {
            name,
            as_of,
            records,
            expects,
            span,
        })
    }

    fn record_lit(&self, p: P) -> Result<RecordLit, Diagnostic> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let ty = it
            .next()
            .map(|i| self.ident(i))
            .ok_or_else(|| bad(span, "缺少记录类型".into(), "missing record type".into()))?;
        let obj = it.next();
        let fields = match obj {
            Some(o) => self.object(o)?,
            None => Vec::new(),
        };
        Ok(RecordLit { ty, fields, span })
    }

    fn object(&self, p: P) -> Result<Vec<(Ident, InitValue)>, Diagnostic> {
        let mut fields = Vec::new();
        for fi in p.into_inner().filter(|x| x.as_rule() == Rule::field_init) {
            let mut it = fi.into_inner();
            let (Some(n), Some(v)) = (it.next(), it.next()) else {
                continue;
            };
            let vspan = self.span(&v);
            let Some(inner) = v.into_inner().next() else {
                continue;
            };
            let value = match inner.as_rule() {
                Rule::kw_missing => InitValue::Missing(vspan),
                Rule::list_lit => {
                    let mut items = Vec::new();
                    for o in inner.into_inner() {
                        let ospan = self.span(&o);
                        items.push(RecordLit {
                            ty: Ident {
                                name: String::new(),
                                span: ospan,
                            },
                            fields: self.object(o)?,
                            span: ospan,
                        });
                    }
                    InitValue::List(items, vspan)
                }
                _ => InitValue::Expr(self.top_expr(inner)?),
            };
            fields.push((self.ident(n), value));
        }
        Ok(fields)
    }

    /// Builds an expression. The levels pest nests for every bracket mostly hold one
    /// sub-expression each; they are stepped through in a loop, and each kind of node is built by
    /// a function of its own, so that the recursion per bracket is shallow and its frames small
    /// (a pool thread has 2 MiB of stack, see `limits`).
    fn expr(&self, p: P) -> Result<Expr, Diagnostic> {
        let mut p = p;
        while let Some(child) = single_child(&p) {
            p = child;
        }
        match p.as_rule() {
            Rule::paren => self.paren(p),
            Rule::if_expr => self.if_expr(p),
            Rule::or_expr | Rule::and_expr => self.logic(p),
            Rule::not_expr => self.not_expr(p),
            Rule::cmp_expr => self.cmp_expr(p),
            Rule::add_expr | Rule::mul_expr => self.arith(p),
            Rule::unary => self.unary(p),
            Rule::postfix => self.postfix(p),
            _ => self.atom(p),
        }
    }

    #[inline(never)]
    fn paren(&self, p: P) -> Result<Expr, Diagnostic> {
        let span = self.span(&p);
        match p.into_inner().next() {
            Some(e) => self.expr(e).map(|mut e| {
                e.span = span;
                e
            }),
            None => Err(bad(span, "空括号".into(), "empty parentheses".into())),
        }
    }

    #[inline(never)]
    fn if_expr(&self, p: P) -> Result<Expr, Diagnostic> {
        let span = self.span(&p);
        let mut es = p.into_inner().filter(|x| x.as_rule() == Rule::expr);
        let (Some(c), Some(t), Some(e)) = (es.next(), es.next(), es.next()) else {
            return Err(bad(
                span,
                "不完整的条件表达式".into(),
                "incomplete if expression".into(),
            ));
        };
        let kind = ExprKind::If(
            Box::new(self.expr(c)?),
            Box::new(self.expr(t)?),
            Box::new(self.expr(e)?),
        );
        Ok(Expr { kind, span })
    }

    #[inline(never)]
    fn logic(&self, p: P) -> Result<Expr, Diagnostic> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let es = p
            .into_inner()
            .filter(|x| !matches!(x.as_rule(), Rule::kw_or | Rule::kw_and))
            .map(|e| self.expr(e))
            .collect::<Result<Vec<_>, _>>()?;
        let kind = if rule == Rule::or_expr {
            ExprKind::Or(es)
        } else {
            ExprKind::And(es)
        };
        Ok(Expr { kind, span })
    }

    /// `not not … x`: pest nests one `not_expr` per `not`; they are walked in a loop.
    #[inline(never)]
    fn not_expr(&self, p: P) -> Result<Expr, Diagnostic> {
        let mut spans = Vec::new();
        let mut p = p;
        loop {
            let span = self.span(&p);
            let mut it = p.into_inner();
            match (it.next(), it.next()) {
                (Some(k), Some(e)) if k.as_rule() == Rule::kw_not => {
                    spans.push(span);
                    if spans.len() > limits::MAX_EXPR_DEPTH {
                        return Err(limits::expr_too_deep(span));
                    }
                    if e.as_rule() == Rule::not_expr {
                        p = e;
                        continue;
                    }
                    let mut acc = self.expr(e)?;
                    for span in spans.into_iter().rev() {
                        acc = Expr {
                            kind: ExprKind::Not(Box::new(acc)),
                            span,
                        };
                    }
                    return Ok(acc);
                }
                (Some(k), None) if k.as_rule() == Rule::kw_not => {
                    return Err(bad(
                        span,
                        "`not` 后缺少表达式".into(),
                        "missing expression after `not`".into(),
                    ))
                }
                (Some(first), _) => {
                    let mut acc = self.expr(first)?;
                    for span in spans.into_iter().rev() {
                        acc = Expr {
                            kind: ExprKind::Not(Box::new(acc)),
                            span,
                        };
                    }
                    return Ok(acc);
                }
                (None, _) => return Err(bad(span, "空表达式".into(), "empty expression".into())),
            }
        }
    }

    #[inline(never)]
    fn cmp_expr(&self, p: P) -> Result<Expr, Diagnostic> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let Some(lhs) = it.next() else {
            return Err(bad(span, "空表达式".into(), "empty expression".into()));
        };
        let lhs = self.expr(lhs)?;
        let Some(tail) = it.next() else {
            return Ok(lhs);
        };
        let kind = match tail.as_rule() {
            Rule::in_tail => {
                let opts = tail
                    .into_inner()
                    .filter(|x| x.as_rule() == Rule::expr)
                    .map(|e| self.expr(e))
                    .collect::<Result<Vec<_>, _>>()?;
                ExprKind::In(Box::new(lhs), opts)
            }
            Rule::infix_cmp_tail => {
                let mut t = tail.into_inner();
                let (Some(op), Some(rhs)) = (t.next(), t.next()) else {
                    return Err(bad(
                        span,
                        "比较不完整".into(),
                        "incomplete comparison".into(),
                    ));
                };
                let word = op.as_str().to_string();
                ExprKind::Cmp {
                    op: cmp_op(&word),
                    word,
                    lhs: Box::new(lhs),
                    rhs: Box::new(self.expr(rhs)?),
                }
            }
            Rule::postfix_cmp_tail => {
                let mut t = tail.into_inner().skip(1);
                let (Some(rhs), Some(b)) = (t.next(), t.next()) else {
                    return Err(bad(
                        span,
                        "比较不完整".into(),
                        "incomplete comparison".into(),
                    ));
                };
                let word = b.as_str().to_string();
                let op = match word.as_str() {
                    "以上" => CmpOp::Ge,
                    _ => CmpOp::Le,
                };
                ExprKind::Cmp {
                    op,
                    word: format!("在…{word}"),
                    lhs: Box::new(lhs),
                    rhs: Box::new(self.expr(rhs)?),
                }
            }
            _ => return Ok(lhs),
        };
        Ok(Expr { kind, span })
    }

    #[inline(never)]
    fn arith(&self, p: P) -> Result<Expr, Diagnostic> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let Some(first) = it.next() else {
            return Err(bad(span, "空表达式".into(), "empty expression".into()));
        };
        let mut acc = self.expr(first)?;
        let mut acc_depth = limits::depth(&acc, limits::MAX_EXPR_DEPTH);
        while let (Some(op), Some(rhs)) = (it.next(), it.next()) {
            let rhs = self.expr(rhs)?;
            // A long chain is deep without brackets: stop before the tree outgrows the limit,
            // so that no phase (not even dropping the tree) recurses further.
            acc_depth = 1 + acc_depth.max(limits::depth(&rhs, limits::MAX_EXPR_DEPTH));
            if acc_depth > limits::MAX_EXPR_DEPTH {
                return Err(limits::expr_too_deep(span));
            }
            let op = match op.as_str() {
                "+" => ArithOp::Add,
                "-" => ArithOp::Sub,
                "*" | "×" => ArithOp::Mul,
                _ => ArithOp::Div,
            };
            let sp = acc.span.to(rhs.span);
            acc = Expr {
                kind: ExprKind::Arith(op, Box::new(acc), Box::new(rhs)),
                span: sp,
            };
        }
        Ok(acc)
    }

    #[inline(never)]
    fn unary(&self, p: P) -> Result<Expr, Diagnostic> {
        let span = self.span(&p);
        let mut inner: Vec<P> = p.into_inner().collect();
        let negs = inner.iter().filter(|x| x.as_rule() == Rule::neg_op).count();
        if negs > limits::MAX_EXPR_DEPTH {
            return Err(limits::expr_too_deep(span));
        }
        let Some(last) = inner.pop() else {
            return Err(bad(span, "空表达式".into(), "empty expression".into()));
        };
        let mut e = self.expr(last)?;
        for _ in 0..negs {
            e = Expr {
                kind: ExprKind::Neg(Box::new(e)),
                span,
            };
        }
        Ok(e)
    }

    #[inline(never)]
    fn postfix(&self, p: P) -> Result<Expr, Diagnostic> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let Some(first) = it.next() else {
            return Err(bad(span, "空表达式".into(), "empty expression".into()));
        };
        let mut acc = self.expr(first)?;
        let mut acc_depth = limits::depth(&acc, limits::MAX_EXPR_DEPTH);
        for m in it {
            acc_depth += 1;
            if acc_depth > limits::MAX_EXPR_DEPTH {
                return Err(limits::expr_too_deep(span));
            }
            let msp = self.span(&m);
            let mut mi = m.into_inner();
            let Some(name) = mi.next() else { continue };
            let (args, filter, has_parens) = match mi.next() {
                Some(a) => {
                    let (args, filter) = self.call_args(a)?;
                    (args, filter, true)
                }
                None => (Vec::new(), None, false),
            };
            acc = Expr {
                span: acc.span.to(msp),
                kind: ExprKind::Method {
                    receiver: Box::new(acc),
                    name: self.ident(name),
                    args,
                    filter,
                    has_parens,
                },
            };
        }
        Ok(acc)
    }

    /// A call, a name or a literal.
    #[inline(never)]
    fn atom(&self, p: P) -> Result<Expr, Diagnostic> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let text = p.as_str();
        let mut inner: Vec<P> = p.into_inner().collect();
        let kind = match rule {
            Rule::call => {
                let mut it = inner.into_iter();
                let (Some(n), Some(a)) = (it.next(), it.next()) else {
                    return Err(bad(span, "调用不完整".into(), "incomplete call".into()));
                };
                let (args, filter) = self.call_args(a)?;
                ExprKind::Call {
                    name: self.ident(n),
                    args,
                    filter,
                }
            }
            Rule::ident => ExprKind::Name(Ident {
                name: text.to_string(),
                span,
            }),
            Rule::string => ExprKind::Str(self.string_from_text(text, span)?),
            Rule::bool_lit => ExprKind::Bool(text == "true" || text == "是"),
            Rule::date_lit => ExprKind::Date(parse_date_text(text).ok_or_else(|| {
                bad(
                    span,
                    format!("无效日期 `{text}`"),
                    format!("invalid date `{text}`"),
                )
            })?),
            Rule::datetime_lit => {
                ExprKind::DateTime(parse_datetime_text(text).ok_or_else(|| {
                    bad(
                        span,
                        format!("无效时间 `{text}`"),
                        format!("invalid datetime `{text}`"),
                    )
                })?)
            }
            Rule::duration_lit => {
                let mut it = inner.into_iter();
                let (Some(n), Some(u)) = (it.next(), it.next()) else {
                    return Err(bad(span, "时长不完整".into(), "incomplete duration".into()));
                };
                if n.as_rule() == Rule::number {
                    number_value(n.as_str(), self.span(&n))?;
                }
                let amount = match n.as_rule() {
                    Rule::cn_numeral => parse_chinese_numeral(n.as_str()),
                    _ => n.as_str().parse::<u32>().ok(),
                }
                .ok_or_else(|| {
                    bad(
                        span,
                        format!("时长 `{text}` 必须是不太大的整数"),
                        format!("duration `{text}` must be a whole number of reasonable size"),
                    )
                })?;
                let unit = match u.as_str() {
                    "working days" | "working day" | "个工作日" | "工作日" => {
                        DurationUnit::WorkingDays
                    }
                    "days" | "day" | "日" | "天" => DurationUnit::Days,
                    "weeks" | "week" | "个星期" | "星期" | "周" => DurationUnit::Weeks,
                    "months" | "month" | "个月" => DurationUnit::Months,
                    "years" | "year" | "年" => DurationUnit::Years,
                    _ => DurationUnit::Hours,
                };
                ExprKind::Duration { amount, unit }
            }
            Rule::quantity => {
                let mut it = inner.into_iter();
                let Some(n) = it.next() else {
                    return Err(bad(span, "缺少数字".into(), "missing number".into()));
                };
                let value = number_value(n.as_str(), self.span(&n))?;
                ExprKind::Number {
                    value,
                    unit: it.next().map(|u| u.as_str().to_string()),
                }
            }
            _ => {
                return match inner.pop() {
                    Some(e) if inner.is_empty() => self.expr(e),
                    _ => Err(bad(
                        span,
                        format!("无法理解的表达式 `{text}`"),
                        format!("cannot read expression `{text}`"),
                    )),
                }
            }
        };
        Ok(Expr { kind, span })
    }

    fn string_from_text(&self, text: &str, span: Span) -> Result<String, Diagnostic> {
        let inner = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        let s = inner
            .replace("\\\"", "\"")
            .replace("\\\\", "\\")
            .replace("\\n", "\n");
        let _ = span;
        Ok(s)
    }

    fn call_args(&self, p: P) -> Result<(Vec<Expr>, Option<Box<Expr>>), Diagnostic> {
        let mut args = Vec::new();
        let mut filter = None;
        let mut after_where = false;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_where => after_where = true,
                Rule::expr if after_where => filter = Some(Box::new(self.expr(c)?)),
                Rule::expr => args.push(self.expr(c)?),
                _ => {}
            }
        }
        Ok((args, filter))
    }
}

/// The length of `s` without trailing white space and comments.
fn trimmed_len(s: &str) -> usize {
    let mut end = s.len();
    loop {
        let t = s.get(..end).unwrap_or("").trim_end();
        end = t.len();
        let line_start = t.rfind('\n').map(|i| i + 1).unwrap_or(0);
        match super::scan::comment_start(t.get(line_start..).unwrap_or("")) {
            Some(i) => end = line_start + i,
            None => return end,
        }
    }
}

/// The exact value of a number literal. A literal with an exponent (`2.5e2`) or with more digits
/// than a decimal holds exactly (28 significant digits) is refused (`E0015`), never rounded.
fn number_value(text: &str, span: Span) -> Result<Decimal, Diagnostic> {
    if text.contains(['e', 'E']) {
        let plain = Decimal::from_scientific(text).ok().map(|d| d.normalize());
        let mut d = Diagnostic::error(
            "E0015",
            Msg::new(
                format!("策略中的数字不用科学记数法：`{text}`"),
                format!("numbers in a policy are written out, without an exponent: `{text}`"),
            ),
        )
        .with_label(span, None);
        if let Some(p) = plain {
            d = d.with_help(Msg::new(format!("写作 `{p}`"), format!("write `{p}`")));
        }
        return Err(d);
    }
    Decimal::from_str_exact(text).map_err(|_| {
        let digits = text
            .chars()
            .filter(char::is_ascii_digit)
            .skip_while(|c| *c == '0')
            .count();
        Diagnostic::error(
            "E0015",
            Msg::new(
                format!("数字 `{text}` 有 {digits} 位有效数字，无法精确表示（小数最多 28 至 29 位）"),
                format!(
                    "the number `{text}` has {digits} significant digits and cannot be held exactly (a decimal holds 28 to 29)"
                ),
            ),
        )
        .with_label(span, None)
        .with_help(Msg::new(
            "guiju 不对策略中的数字取舍；请减少位数",
            "guiju does not round the numbers of a policy; write fewer digits",
        ))
    })
}

/// The one sub-expression of a level of the grammar that holds just one (an `or_expr` without
/// `or`, a `cmp_expr` without a comparison, …): it means what its child means.
fn single_child<'a>(p: &P<'a>) -> Option<P<'a>> {
    let passes = matches!(
        p.as_rule(),
        Rule::expr
            | Rule::or_expr
            | Rule::and_expr
            | Rule::not_expr
            | Rule::cmp_expr
            | Rule::add_expr
            | Rule::mul_expr
            | Rule::unary
            | Rule::postfix
    );
    if !passes {
        return None;
    }
    let mut it = p.clone().into_inner();
    let first = it.next()?;
    if it.next().is_some() || matches!(first.as_rule(), Rule::kw_not | Rule::neg_op) {
        return None;
    }
    Some(first)
}

fn cmp_op(word: &str) -> CmpOp {
    match word {
        "<=" | "≤" | "不超过" | "不高于" | "不多于" | "不大于" => CmpOp::Le,
        ">=" | "≥" | "不低于" | "不少于" | "不小于" | "达到" => CmpOp::Ge,
        "<" | "低于" | "少于" | "小于" | "未达到" | "不满" => CmpOp::Lt,
        ">" | "超过" | "高于" | "多于" | "大于" => CmpOp::Gt,
        "!=" | "≠" | "不等于" => CmpOp::Ne,
        "≈" | "约等于" => CmpOp::Approx,
        _ => CmpOp::Eq,
    }
}

fn header_keyword_is_chinese(text: &str) -> bool {
    let t = text.trim_start_matches('\u{FEFF}');
    // The first non-comment token is the policy keyword.
    t.lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.starts_with("政策"))
        .unwrap_or(false)
}

/// Reads a Chinese numeral such as `九十`, `十五`, `两`, `一百二十` (up to the thousands).
pub fn parse_chinese_numeral(s: &str) -> Option<u32> {
    let digit = |c: char| -> Option<u32> {
        Some(match c {
            '零' => 0,
            '一' => 1,
            '二' | '两' => 2,
            '三' => 3,
            '四' => 4,
            '五' => 5,
            '六' => 6,
            '七' => 7,
            '八' => 8,
            '九' => 9,
            _ => return None,
        })
    };
    let mut total = 0u32;
    let mut current: Option<u32> = None;
    for c in s.chars() {
        let mult = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            _ => {
                current = Some(digit(c)?);
                continue;
            }
        };
        total = total.checked_add(current.unwrap_or(1).checked_mul(mult)?)?;
        current = None;
    }
    total.checked_add(current.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_end_at_the_last_token() {
        assert_eq!(trimmed_len("a == 0\n  "), 6);
        assert_eq!(trimmed_len("f(x)  # note\n  "), 4);
        assert_eq!(trimmed_len("\"#\" == x"), 8);
    }

    #[test]
    fn chinese_numerals() {
        assert_eq!(parse_chinese_numeral("九十"), Some(90));
        assert_eq!(parse_chinese_numeral("十五"), Some(15));
        assert_eq!(parse_chinese_numeral("七"), Some(7));
        assert_eq!(parse_chinese_numeral("一百二十"), Some(120));
        assert_eq!(parse_chinese_numeral("两"), Some(2));
        assert_eq!(parse_chinese_numeral("三十一"), Some(31));
    }

    #[test]
    fn partial_dates_are_the_last_day_of_their_period() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(parse_date_text("2017年6月底"), d(2017, 6, 30));
        assert_eq!(parse_date_text("2024年2月末"), d(2024, 2, 29));
        assert_eq!(parse_date_text("2017年底"), d(2017, 12, 31));
        assert_eq!(parse_date_text("2017年5月上旬"), d(2017, 5, 10));
        assert_eq!(parse_date_text("2017年5月中旬"), d(2017, 5, 20));
        assert_eq!(parse_date_text("2017年5月下旬"), d(2017, 5, 31));
        assert_eq!(parse_date_text("2017年第三季度"), d(2017, 9, 30));
        assert_eq!(parse_date_text("2017-Q3"), d(2017, 9, 30));
        assert_eq!(parse_date_text("2017年上半年"), d(2017, 6, 30));
        assert_eq!(parse_date_text("2017-H2"), d(2017, 12, 31));
        assert_eq!(parse_date_text("2017年13月底"), None);
    }

    #[test]
    fn chinese_dates() {
        assert_eq!(
            parse_date_text("2017年5月23日"),
            NaiveDate::from_ymd_opt(2017, 5, 23)
        );
        assert_eq!(
            parse_date_text("2017-05-23"),
            NaiveDate::from_ymd_opt(2017, 5, 23)
        );
        assert_eq!(parse_date_text("2017-02-30"), None);
    }
}
