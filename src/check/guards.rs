//! W0106: an optional field read in a rule's `where` with nothing said about a blank value.
//! Where the field is missing the `where` cannot be decided, so the rule's outcome is unknown for
//! that record, quietly, for every record left blank (a `where not co_relocated` over a column
//! most offices leave empty made a whole register unknown). The author says what a blank means
//! with `present(x)` in the `where` (then the reading is theirs) or with `default V` on the
//! field. Dates are left out: a blank optional date is an act not yet done, a meaning of its own.

use super::ir::{RecordType, Ty};
use crate::diag::{Diagnostic, Msg};
use crate::syntax::ast::{Expr, ExprKind};

/// The warnings for `filter`, the `where` of rule `rule` over `rt`.
pub(super) fn unguarded_optionals(rule: &str, filter: &Expr, rt: &RecordType) -> Vec<Diagnostic> {
    let mut read: Vec<(usize, crate::source::Span)> = Vec::new();
    let mut guarded: Vec<usize> = Vec::new();
    // An explicit stack: expressions are nested only as deep as the front end allows, but this
    // walk need not rely on it.
    let mut stack: Vec<(&Expr, bool)> = vec![(filter, false)];
    while let Some((x, in_present)) = stack.pop() {
        match &x.kind {
            ExprKind::Name(id) => {
                if let Some(slot) = rt.slot(&id.name) {
                    if in_present {
                        guarded.push(slot);
                    } else if !read.iter().any(|(s, _)| *s == slot) {
                        read.push((slot, id.span));
                    }
                }
            }
            ExprKind::Neg(a) | ExprKind::Not(a) => stack.push((a, in_present)),
            ExprKind::Arith(_, a, b) | ExprKind::By(a, b) => {
                stack.push((b, in_present));
                stack.push((a, in_present));
            }
            ExprKind::Cmp { lhs, rhs, .. } => {
                stack.push((rhs, in_present));
                stack.push((lhs, in_present));
            }
            ExprKind::And(xs) | ExprKind::Or(xs) => {
                stack.extend(xs.iter().rev().map(|x| (x, in_present)));
            }
            ExprKind::If(c, t, e) => {
                stack.push((e, in_present));
                stack.push((t, in_present));
                stack.push((c, in_present));
            }
            ExprKind::In(a, xs) => {
                stack.extend(xs.iter().rev().map(|x| (x, in_present)));
                stack.push((a, in_present));
            }
            ExprKind::Call { name, args, filter } => {
                let present = matches!(name.name.as_str(), "present" | "有值");
                stack.extend(args.iter().rev().map(|x| (x, in_present || present)));
                if let Some(f) = filter {
                    stack.push((f, in_present));
                }
            }
            ExprKind::Method {
                receiver,
                args,
                filter,
                ..
            } => {
                stack.extend(args.iter().rev().map(|x| (x, in_present)));
                stack.push((receiver, in_present));
                if let Some(f) = filter {
                    stack.push((f, in_present));
                }
            }
            ExprKind::Number { .. }
            | ExprKind::Duration { .. }
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Date(_)
            | ExprKind::DateTime(_) => {}
        }
    }
    read.sort_by_key(|(_, span)| span.start);
    read.into_iter()
        .filter(|(slot, _)| !guarded.contains(slot))
        .filter_map(|(slot, span)| {
            let f = rt.field(slot)?;
            let unguarded = f.optional
                && f.default.is_none()
                && !matches!(f.ty, Ty::Date | Ty::DateTime | Ty::Error);
            unguarded.then(|| {
                let shown = f.label.as_deref().unwrap_or(&f.name);
                Diagnostic::warning(
                    "W0106",
                    Msg::new(
                        format!(
                            "规则 `{rule}` 的 `where` 读取可选字段 `{}`，却没有说明它为空时如何处理：为空的记录，规则结果一律为“未知”",
                            f.name
                        ),
                        format!(
                            "rule `{rule}` reads the optional field `{}` in its `where` without saying what a blank means: for every record where it is blank, the outcome is unknown",
                            f.name
                        ),
                    ),
                )
                .with_label(span, Some(Msg::new("为空时无法判断", "unknown where blank")))
                .with_help(Msg::new(
                    format!(
                        "给字段加上默认值（`{} … optional default false`），或在 `where` 中写明 `present({})`；{shown} 为空时的含义应由原文决定",
                        f.name, f.name
                    ),
                    format!(
                        "give the field a default (`{} … optional default false`), or say `present({})` in the `where`; what a blank {shown} means is the document's to say",
                        f.name, f.name
                    ),
                ))
            })
        })
        .collect()
}
