//! Limits on the shape of policy text, enforced before any recursive phase can go deep.
//!
//! Every phase after parsing (the builder, `check`, the interpreter, `explain`, the fast path)
//! walks expressions recursively, and `check` and evaluation run on pool threads, whose stacks are
//! 2 MiB. So the front end bounds, before it hands anything on:
//!
//! - **nesting** (`E0010`): brackets, and the `not` and `if` that pest's grammar nests, counted by
//!   [`prescan`] on the raw text before pest is called, so pest never recurses deeper than the
//!   bound either;
//! - **expression depth** (`E0010`) and **size** (`E0011`) of the syntax tree of one expression,
//!   checked while the tree is built (a long sum or a chain of unary `-` is deep without
//!   brackets);
//! - **items per file** (`E0012`).
//!
//! `docs/limits.md` lists them; `tests/limits.rs` runs every phase at each bound on a thread with
//! a 2 MiB stack.

use super::ast::{Expr, ExprKind};
use crate::diag::{Diagnostic, Msg};
use crate::source::{SourceId, Span};

/// Brackets plus chained `not`/`if` open at one point of the text.
pub const MAX_NESTING: usize = 32;
/// Depth of the syntax tree of one expression (a sum of n terms is n deep).
pub const MAX_EXPR_DEPTH: usize = 64;
/// Nodes in the syntax tree of one expression.
pub const MAX_EXPR_NODES: usize = 5_000;
/// Top-level items (records, rules, examples, `use`, `const`) in one file.
pub const MAX_ITEMS: usize = 10_000;

/// One nesting level of the text: a bracket, with the `if`s and the run of `not`s open in it.
#[derive(Default)]
struct Level {
    ifs: usize,
    nots: usize,
}

/// Words that start a statement or an item: an expression cannot go on past them.
const STATEMENT_WORDS: &[&str] = &[
    "require",
    "要求",
    "let",
    "设",
    "unless",
    "除非",
    "applies",
    "适用于",
    "const",
    "常量",
    "message",
    "消息",
    "cite",
    "依据",
    "expect",
    "期望",
    "severity",
    "级别",
    "rule",
    "规则",
    "record",
    "记录",
    "example",
    "示例",
    "use",
    "引用",
];

fn is_word_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Scans `text` (which starts at byte `offset` of source `source`) outside strings and comments,
/// and reports the first place where nesting exceeds [`MAX_NESTING`] and every string that is
/// not closed on its line (`E0014`, at its opening quote). Linear, and recursion-free.
pub fn prescan(source: SourceId, text: &str, offset: usize) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut levels: Vec<Level> = vec![Level::default()];
    let mut reported_depth = false;
    let mut chars = text.char_indices().peekable();
    let span = |a: usize, b: usize| Span::new(source, offset + a, offset + b);
    while let Some((i, c)) = chars.next() {
        match c {
            '#' => {
                while let Some((_, c)) = chars.peek() {
                    if *c == '\n' {
                        break;
                    }
                    chars.next();
                }
            }
            '"' => {
                let mut closed = false;
                let mut end = text.len();
                while let Some((j, c)) = chars.peek().copied() {
                    if c == '\n' {
                        end = j;
                        break;
                    }
                    chars.next();
                    if c == '\\' {
                        chars.next();
                    } else if c == '"' {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    let line_end = text
                        .get(i..end)
                        .map(|s| i + s.trim_end().len())
                        .unwrap_or(end);
                    diags.push(
                        Diagnostic::error(
                            "E0014",
                            Msg::new("字符串没有结束引号", "this string is not closed"),
                        )
                        .with_label(span(i, line_end.max(i + 1)), None)
                        .with_help(Msg::new(
                            "字符串必须在同一行内以 `\"` 结束；字符串中的引号写作 `\\\"`",
                            "a string must end with `\"` on the line it starts on; write a quote inside a string as `\\\"`",
                        )),
                    );
                }
                if let Some(l) = levels.last_mut() {
                    l.nots = 0;
                }
            }
            '(' | '[' | '{' => {
                levels.push(Level::default());
                if !reported_depth && measure(&levels) > MAX_NESTING {
                    reported_depth = true;
                    diags.push(too_deep(span(i, i + 1)));
                }
            }
            ')' | ']' | '}' => {
                if levels.len() > 1 {
                    levels.pop();
                }
                if let Some(l) = levels.last_mut() {
                    l.nots = 0;
                }
            }
            ',' => {
                if let Some(l) = levels.last_mut() {
                    *l = Level::default();
                }
            }
            c if is_word_char(c) => {
                let mut end = i + c.len_utf8();
                while let Some((j, c)) = chars.peek().copied() {
                    if !is_word_char(c) {
                        break;
                    }
                    end = j + c.len_utf8();
                    chars.next();
                }
                let word = text.get(i..end).unwrap_or("");
                let Some(l) = levels.last_mut() else { continue };
                match word {
                    "not" | "非" => l.nots += 1,
                    "if" | "如果" => {
                        l.ifs += 1;
                        l.nots = 0;
                    }
                    w if STATEMENT_WORDS.contains(&w) => *l = Level::default(),
                    _ => l.nots = 0,
                }
                if !reported_depth && measure(&levels) > MAX_NESTING {
                    reported_depth = true;
                    diags.push(too_deep(span(i, end)));
                }
            }
            c if c.is_whitespace() => {}
            _ => {
                if let Some(l) = levels.last_mut() {
                    l.nots = 0;
                }
            }
        }
    }
    diags
}

fn measure(levels: &[Level]) -> usize {
    levels.len() - 1 + levels.iter().map(|l| l.ifs + l.nots).sum::<usize>()
}

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::error(
        "E0010",
        Msg::new(
            format!("嵌套过深：括号与 `not`、`if` 的嵌套最多 {MAX_NESTING} 层"),
            format!(
                "nested too deeply: brackets, `not` and `if` may nest at most {MAX_NESTING} levels"
            ),
        ),
    )
    .with_label(span, None)
    .with_help(Msg::new(
        "用 `let` 为部分表达式命名，把它拆成几步",
        "name parts of the expression with `let` to split it into steps",
    ))
}

/// The depth of `e`, counted up to `cap + 1` (so the walk itself stays shallow).
pub fn depth(e: &Expr, cap: usize) -> usize {
    if cap == 0 {
        return 1;
    }
    let mut d = 0;
    for_each_child(e, &mut |c| d = d.max(depth(c, cap - 1)));
    d + 1
}

/// The number of nodes of `e`, counted up to about `cap`.
pub fn size(e: &Expr, cap: usize) -> usize {
    let mut n = 1;
    let mut stack: Vec<&Expr> = vec![e];
    while let Some(x) = stack.pop() {
        if n > cap {
            break;
        }
        for_each_child(x, &mut |c| {
            n += 1;
            stack.push(c);
        });
    }
    n
}

/// Calls `f` on each direct sub-expression of `e`.
pub fn for_each_child<'a>(e: &'a Expr, f: &mut dyn FnMut(&'a Expr)) {
    match &e.kind {
        ExprKind::Number { .. }
        | ExprKind::Duration { .. }
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Date(_)
        | ExprKind::DateTime(_)
        | ExprKind::Name(_) => {}
        ExprKind::Neg(a) | ExprKind::Not(a) => f(a),
        ExprKind::Arith(_, a, b) | ExprKind::By(a, b) => {
            f(a);
            f(b);
        }
        ExprKind::Cmp { lhs, rhs, .. } => {
            f(lhs);
            f(rhs);
        }
        ExprKind::And(es) | ExprKind::Or(es) => es.iter().for_each(f),
        ExprKind::If(a, b, c) => {
            f(a);
            f(b);
            f(c);
        }
        ExprKind::In(a, es) => {
            f(a);
            es.iter().for_each(f);
        }
        ExprKind::Call { args, filter, .. } => {
            args.iter().for_each(&mut *f);
            if let Some(x) = filter {
                f(x);
            }
        }
        ExprKind::Method {
            receiver,
            args,
            filter,
            ..
        } => {
            f(receiver);
            args.iter().for_each(&mut *f);
            if let Some(x) = filter {
                f(x);
            }
        }
    }
}

/// `E0010` for an expression whose tree is deeper than [`MAX_EXPR_DEPTH`], or `E0011` for one
/// with more than [`MAX_EXPR_NODES`] nodes.
pub fn check_expr(e: &Expr) -> Result<(), Diagnostic> {
    if depth(e, MAX_EXPR_DEPTH) > MAX_EXPR_DEPTH {
        return Err(expr_too_deep(e.span));
    }
    if size(e, MAX_EXPR_NODES) > MAX_EXPR_NODES {
        return Err(Diagnostic::error(
            "E0011",
            Msg::new(
                format!("表达式过大：一个表达式最多 {MAX_EXPR_NODES} 个部分"),
                format!(
                    "expression too large: one expression may have at most {MAX_EXPR_NODES} parts"
                ),
            ),
        )
        .with_label(e.span, None)
        .with_help(Msg::new(
            "用 `let` 为部分表达式命名，或把规则拆成几条",
            "name parts of the expression with `let`, or split the rule",
        )));
    }
    Ok(())
}

/// `E0010` for an expression deeper than [`MAX_EXPR_DEPTH`] (a long chain of `+`, `-`, `.` or
/// unary `-` is deep without any bracket).
pub fn expr_too_deep(span: Span) -> Diagnostic {
    Diagnostic::error(
        "E0010",
        Msg::new(
            format!("表达式嵌套过深：最多 {MAX_EXPR_DEPTH} 层（一串 n 项的加法算 n 层）"),
            format!(
                "expression nested too deeply: at most {MAX_EXPR_DEPTH} levels (a sum of n terms counts n)"
            ),
        ),
    )
    .with_label(span, None)
    .with_help(Msg::new(
        "用 `let` 为部分表达式命名，把它拆成几步",
        "name parts of the expression with `let` to split it into steps",
    ))
}

/// `E0012` for a file with more than [`MAX_ITEMS`] items, at the first item over the limit.
pub fn too_many_items(span: Span) -> Diagnostic {
    Diagnostic::error(
        "E0012",
        Msg::new(
            format!("策略文件的条目过多：一个文件最多 {MAX_ITEMS} 个"),
            format!("too many items in one policy file: at most {MAX_ITEMS}"),
        ),
    )
    .with_label(span, None)
    .with_help(Msg::new(
        "把策略拆成几个文件，用 `use` 引用",
        "split the policy into several files joined with `use`",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<&'static str> {
        prescan(SourceId(0), text, 0)
            .into_iter()
            .map(|d| d.code)
            .collect()
    }

    #[test]
    fn brackets_and_chained_words_count_as_nesting() {
        let n = MAX_NESTING;
        assert!(codes(&format!("{}x{}", "(".repeat(n), ")".repeat(n))).is_empty());
        assert_eq!(
            codes(&format!("{}x{}", "(".repeat(n + 1), ")".repeat(n + 1))),
            ["E0010"]
        );
        assert_eq!(codes(&"not ".repeat(n + 1)), ["E0010"]);
        assert_eq!(codes(&"if a then b else ".repeat(n + 1)), ["E0010"]);
        // Words that do not nest do not add up.
        let flat = "not a and ".repeat(n * 3);
        assert!(codes(&flat).is_empty());
        let stmts = "require if a then b else c\n".repeat(n * 3);
        assert!(codes(&stmts).is_empty());
        let args = format!("f({})", "if a then b else c, ".repeat(n * 3));
        assert!(codes(&args).is_empty());
        // Brackets in strings and comments do not count.
        let quoted = format!("\"{}\" # {}", "(".repeat(n * 2), "(".repeat(n * 2));
        assert!(codes(&quoted).is_empty());
        // `非` inside a name is not `not`.
        assert!(codes(&"非农业 ".repeat(n * 2)).is_empty());
    }

    #[test]
    fn an_unclosed_string_is_found_where_it_opens() {
        let d = prescan(SourceId(0), "a \"ok\"\n  message \"abc\n  b \"x\"", 0);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "E0014");
        assert_eq!(
            (d[0].labels[0].span.start, d[0].labels[0].span.end),
            (17, 21)
        );
    }
}
