//! Citations checked against the document they cite: each `cite line N "words"` of a policy
//! whose header names its `source` must quote words that stand on line N (or lines N–M, read as
//! one run of text, since a sentence may break across lines) of that file. A quote that does not
//! is W0102; a `source` that cannot be read is W0103. The source is read through the same
//! [`Resolver`] as `use`, so it must lie inside the policy's tree; and no diagnostic quotes it
//! (a finding shows the policy's own quote, never the file's text).
//!
//! Citations that name another document than the header's (`cite "国办发〔2016〕1号" line 3 …`)
//! are not checked: `source` is the header's document only.

use super::{Refusal, Resolver};
use crate::check::ir::Program;
use crate::diag::{Diagnostic, Msg};
use crate::syntax::ast;

/// The diagnostics of `header`'s citations in `items`, the policy at `path`.
pub(super) fn check(
    path: &str,
    header: &ast::Header,
    items: &[ast::Item],
    resolver: &dyn Resolver,
) -> Vec<Diagnostic> {
    let Some(src) = &header.source else {
        return Vec::new();
    };
    let cites: Vec<(&ast::RuleDecl, &ast::Cite)> = items
        .iter()
        .filter_map(|i| match i {
            ast::Item::Rule(r) => Some(r),
            _ => None,
        })
        .flat_map(|r| r.cites.iter().map(move |c| (r, c)))
        .filter(|(_, c)| c.lines.is_some() && c.quote.is_some())
        .filter(|(_, c)| match (&c.document, &header.document) {
            (Some(d), Some(h)) => d.value == h.value,
            (Some(_), None) => false,
            (None, _) => true,
        })
        .collect();
    if cites.is_empty() {
        return Vec::new();
    }
    let text = match resolver.document(path, &src.value) {
        None => return Vec::new(),
        Some(Ok(text)) => text,
        Some(Err(Refusal { zh, en, .. })) => {
            return vec![Diagnostic::warning(
                "W0103",
                Msg::new(
                    format!(
                        "无法读取 `source` 文件 `{}`：{zh}；{} 处引文的原话未能核对",
                        src.value,
                        cites.len()
                    ),
                    format!(
                        "cannot read the `source` file `{}`: {en}; the words of {} citation(s) were not checked",
                        src.value,
                        cites.len()
                    ),
                ),
            )
            .with_label(src.span, None)
            .with_help(Msg::new(
                "`source` 是策略所编码文件的原文，相对于策略文件所在目录",
                "`source` is the text of the document the policy encodes, relative to the policy file's folder",
            ))];
        }
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (rule, cite) in cites {
        let (Some((a, b)), Some(quote)) = (cite.lines, &cite.quote) else {
            continue;
        };
        let shown = if a == b {
            format!("L{a}")
        } else {
            format!("L{a}–{b}")
        };
        let from = (a as usize).saturating_sub(1);
        let to = (b as usize).min(lines.len());
        if from >= lines.len() {
            out.push(
                Diagnostic::warning(
                    "W0102",
                    Msg::new(
                        format!(
                            "规则 `{}` 引用 {shown}，但 `{}` 只有 {} 行",
                            rule.name.name,
                            src.value,
                            lines.len()
                        ),
                        format!(
                            "rule `{}` cites {shown}, but `{}` has only {} lines",
                            rule.name.name,
                            src.value,
                            lines.len()
                        ),
                    ),
                )
                .with_label(cite.span, None),
            );
            continue;
        }
        let span: String = lines.get(from..to).unwrap_or_default().concat();
        if span.contains(quote.value.as_str()) {
            continue;
        }
        let elsewhere = stands_on(&lines, &quote.value);
        out.push(
            Diagnostic::warning(
                "W0102",
                Msg::new(
                    format!(
                        "规则 `{}` 引用的原话不在 `{}` 的 {shown}",
                        rule.name.name, src.value
                    ),
                    format!(
                        "the words rule `{}` quotes are not on {shown} of `{}`",
                        rule.name.name, src.value
                    ),
                ),
            )
            .with_label(quote.span, Some(Msg::new("此处的原话", "these words")))
            .with_help(match elsewhere {
                Some((n, m)) => {
                    let (zh, en) = if n == m {
                        (format!("第 {n} 行"), format!("line {n}"))
                    } else {
                        (format!("第 {n}–{m} 行"), format!("lines {n}–{m}"))
                    };
                    let line = if n == m {
                        format!("{n}")
                    } else {
                        format!("{n}-{m}")
                    };
                    Msg::new(
                        format!("这段原话在{zh}：改为 `cite line {line}`"),
                        format!("these words stand on {en}: write `cite line {line}`"),
                    )
                }
                None => Msg::new(
                    "原文中没有这段话：照原文抄写（标点、空格须一致），或改引正确的行",
                    "the document has these words nowhere: copy them as written (punctuation and spaces too), or cite the right line",
                ),
            }),
        );
    }
    out
}

/// Where `quote` stands: the first line holding it whole (`(n, n)`, 1-based), else the first two
/// lines it runs across (`(n, n + 1)`).
fn stands_on(lines: &[&str], quote: &str) -> Option<(usize, usize)> {
    let alone = lines.iter().position(|l| l.contains(quote));
    alone.map(|i| (i + 1, i + 1)).or_else(|| {
        (0..lines.len().saturating_sub(1)).find_map(|i| {
            let two = lines.get(i..i + 2)?.concat();
            two.contains(quote).then_some((i + 1, i + 2))
        })
    })
}

/// What `guiju test`, the author's command, says besides the checker (not `guiju check`, whose
/// reader is the agency): `W0104`, the policy `policy` cites lines but names no `source`, so no
/// quote of it can be checked; `W0105`, it has no example, so none of its rules is tested.
pub fn authoring_lints(program: &Program, policy: usize) -> Vec<Diagnostic> {
    let Some(info) = program.policies.get(policy) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let own_document = |c: &crate::check::ir::Citation| {
        c.lines.is_some() && (c.document.is_none() || c.document == info.document)
    };
    let citing: Vec<_> = program
        .rules
        .iter()
        .filter(|r| r.policy == policy && r.citations.iter().any(own_document))
        .collect();
    if info.source_file.is_none() {
        if let Some(first) = citing.first() {
            out.push(
                Diagnostic::warning(
                    "W0104",
                    Msg::new(
                        format!(
                            "策略 `{}` 有 {} 条规则引用行号，但未写明 `source`：引文的原话无法核对",
                            info.id,
                            citing.len()
                        ),
                        format!(
                            "policy `{}` has {} rule(s) citing lines but names no `source`: their quotes cannot be checked",
                            info.id,
                            citing.len()
                        ),
                    ),
                )
                .with_label(info.span, None)
                .with_label(first.name_span, Some(Msg::new("例如这条", "this one, for example")))
                .with_help(Msg::new(
                    "在策略头部写 `source \"原文.txt\"`，指向策略所编码文件的原文（在策略目录内）",
                    "write `source \"document.txt\"` in the policy's header, naming the text of the document it encodes (inside the policy's folder)",
                )),
            );
        }
    }
    let has_rules = program.rules.iter().any(|r| r.policy == policy);
    if has_rules && !program.examples.iter().any(|e| e.policy == policy) {
        out.push(
            Diagnostic::warning(
                "W0105",
                Msg::new(
                    format!("策略 `{}` 没有示例：它的规则都未经测试", info.id),
                    format!("policy `{}` has no example: none of its rules is tested", info.id),
                ),
            )
            .with_label(info.span, None)
            .with_help(Msg::new(
                "用 `example \"…\" { … expect 规则 fail }` 为每条规则写出通过和违反的记录",
                "write `example \"…\" { … expect RULE fail }` with a passing and a failing record for each rule",
            )),
        );
    }
    out
}
