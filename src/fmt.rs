//! The canonical layout of policy files (`guiju fmt`).
//!
//! The formatter changes only white space outside strings and comments, so a formatted policy means
//! what it meant before: it re-indents by nesting (two spaces a level), folds runs of spaces to one,
//! aligns the columns of record fields, keeps one blank line between items and none at the edges of
//! a block, and keeps every comment where it was. Keywords stay in the language the file uses.
//! Formatting a formatted file changes nothing.

use crate::diag::Diagnostic;
use crate::source::SourceId;
use crate::syntax::scan::{chars_in_strings, comment_start};

/// Formats a policy. A file that does not parse is not formatted: its syntax error is returned.
pub fn format_policy(text: &str) -> Result<String, Diagnostic> {
    crate::syntax::parse_policy(SourceId(0), text)?;
    Ok(layout(text))
}

/// One source line split into code and comment, outside strings.
struct Line {
    code: String,
    comment: Option<String>,
}

fn split_comment(line: &str) -> (String, Option<String>) {
    match comment_start(line) {
        Some(i) => (
            line.get(..i).unwrap_or("").to_string(),
            Some(line.get(i..).unwrap_or("").trim_end().to_string()),
        ),
        None => (line.to_string(), None),
    }
}

/// Folds runs of white space outside strings to one space, and trims.
fn fold_spaces(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut pending_space = false;
    for (_, c, in_str) in chars_in_strings(code.trim()) {
        if !in_str && c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

/// Net change of `{`, `(` and `[` nesting in code (strings excluded), and the lowest it reaches.
fn nesting(code: &str) -> (i32, i32) {
    let mut depth = 0i32;
    let mut min = 0i32;
    for (_, c, in_str) in chars_in_strings(code) {
        match c {
            _ if in_str => {}
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => {
                depth -= 1;
                min = min.min(depth);
            }
            _ => {}
        }
    }
    (depth, min)
}

/// Display width: CJK characters take two columns.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let u = c as u32;
            let wide = (0x1100..=0x115F).contains(&u)
                || (0x2E80..=0xA4CF).contains(&u)
                || (0xAC00..=0xD7A3).contains(&u)
                || (0xF900..=0xFAFF).contains(&u)
                || (0xFE30..=0xFE4F).contains(&u)
                || (0xFF00..=0xFF60).contains(&u)
                || (0xFFE0..=0xFFE6).contains(&u);
            if wide {
                2
            } else {
                1
            }
        })
        .sum()
}

/// Types wider than this are not used to align the label column.
const MAX_ALIGNED_TYPE: usize = 28;

const ITEM_WORDS: &[&str] = &[
    "record", "记录", "rule", "规则", "example", "示例", "use", "引用", "const", "常量",
];

const RULE_WORDS: &[&str] = &[
    "cite",
    "依据",
    "applies",
    "适用于",
    "let",
    "设",
    "require",
    "要求",
    "unless",
    "除非",
    "severity",
    "级别",
    "message",
    "消息",
    "calendar",
    "日历",
    "extend_on_day_off",
    "遇休顺延",
    "month_rule",
    "月末规则",
    "expect",
    "期望",
    "as_of",
    "截至",
];

fn first_word(code: &str) -> &str {
    code.split([' ', '{', '(']).next().unwrap_or("")
}

/// Splits a field declaration into name, the middle (type and attributes) and a trailing label.
fn field_parts(code: &str) -> Option<(String, String, Option<String>)> {
    let (name, rest) = code.split_once(' ')?;
    let rest = rest.trim_end_matches(',').trim();
    let had_comma = code.trim_end().ends_with(',');
    let (middle, label) = if rest.ends_with('"') {
        // The label is the last string; find its opening quote from the end.
        let body = rest.get(..rest.len() - 1)?;
        let start = body
            .char_indices()
            .rev()
            .find(|(i, c)| *c == '"' && !body.get(..*i).map(|b| b.ends_with('\\')).unwrap_or(false))
            .map(|(i, _)| i);
        // Alternative labels (`"户编号" | "编号"`) go with the label.
        let start =
            start.map(|mut s| {
                while let Some(before) = body.get(..s).map(str::trim_end) {
                    let Some(prev) = before.strip_suffix('|').map(str::trim_end) else {
                        break;
                    };
                    let Some(inner) = prev.strip_suffix('"') else {
                        break;
                    };
                    match inner.char_indices().rev().find(|(i, c)| {
                        *c == '"' && !inner.get(..*i).is_some_and(|b| b.ends_with('\\'))
                    }) {
                        Some((i, _)) => s = i,
                        None => break,
                    }
                }
                s
            });
        match start {
            Some(s) if !body.get(..s).unwrap_or("").trim_end().is_empty() => (
                body.get(..s)?.trim_end().to_string(),
                Some(rest.get(s..)?.to_string()),
            ),
            _ => (rest.to_string(), None),
        }
    } else {
        (rest.to_string(), None)
    };
    let label = label.map(|l| if had_comma { format!("{l},") } else { l });
    let middle = if had_comma && label.is_none() {
        format!("{middle},")
    } else {
        middle
    };
    Some((name.to_string(), middle, label))
}

fn layout(text: &str) -> String {
    let text = text.trim_start_matches('\u{FEFF}');
    let lines: Vec<Line> = text
        .lines()
        .map(|l| {
            let (code, comment) = split_comment(l);
            Line {
                code: fold_spaces(&code),
                comment,
            }
        })
        .collect();

    // First pass: indentation and kinds.
    struct Out {
        indent: usize,
        code: String,
        comment: Option<String>,
        blank: bool,
        /// Starts a top-level item (blank line before it, or before the comments above it).
        item: bool,
        /// A field line inside a record block (aligned by column).
        field_block: Option<usize>,
    }
    let mut out: Vec<Out> = Vec::new();
    let mut depth: i32 = 0;
    let mut in_header = false;
    let mut blocks: Vec<&str> = Vec::new();
    let mut record_block_id = 0usize;
    let mut current_record: Option<usize> = None;
    for l in &lines {
        if l.code.is_empty() && l.comment.is_none() {
            out.push(Out {
                indent: 0,
                code: String::new(),
                comment: None,
                blank: true,
                item: false,
                field_block: None,
            });
            continue;
        }
        let word = first_word(&l.code);
        let (net, min) = nesting(&l.code);
        let starts_closing = l.code.starts_with(['}', ')', ']']);
        let this_depth = if starts_closing {
            (depth + min).max(0)
        } else {
            depth.max(0)
        };
        let mut indent = this_depth as usize * 2;
        let top_item =
            depth == 0 && (ITEM_WORDS.contains(&word) || word == "policy" || word == "政策");
        if depth == 0 && (word == "policy" || word == "政策") {
            in_header = true;
        } else if top_item {
            in_header = false;
        }
        if depth == 0 && in_header && !(word == "policy" || word == "政策") && !l.code.is_empty()
        {
            indent = 2;
        }
        // Inside a rule or example, a line that starts no item continues the one above.
        if depth >= 1 && !starts_closing && !l.code.is_empty() {
            let block = blocks.last().copied().unwrap_or("");
            let is_record = block == "record" || block == "记录";
            let continues = !is_record
                && depth == 1
                && !RULE_WORDS.contains(&word)
                && !looks_like_record_literal(&l.code);
            if continues {
                indent += 2;
            }
        }
        let field_block = match (blocks.last().copied(), depth) {
            (Some("record") | Some("记录"), 1)
                if !starts_closing && !l.code.is_empty() && net == 0 =>
            {
                current_record
            }
            _ => None,
        };
        out.push(Out {
            indent,
            code: l.code.clone(),
            comment: l.comment.clone(),
            blank: false,
            item: top_item,
            field_block,
        });
        // Track which block we are in.
        if net > 0 && depth == 0 {
            blocks.push(if word == "record" || word == "记录" {
                record_block_id += 1;
                current_record = Some(record_block_id);
                "record"
            } else {
                "other"
            });
        } else if net > 0 {
            blocks.extend(std::iter::repeat_n("inner", net as usize));
        }
        depth += net;
        if net < 0 {
            for _ in 0..(-net) {
                blocks.pop();
            }
        }
        if depth <= 0 {
            depth = 0;
            blocks.clear();
        }
    }

    // Column alignment of record fields.
    let mut widths: std::collections::HashMap<usize, (usize, usize)> =
        std::collections::HashMap::new();
    for o in &out {
        if let (Some(b), Some((name, middle, label))) = (o.field_block, field_parts(&o.code)) {
            let e = widths.entry(b).or_insert((0, 0));
            e.0 = e.0.max(width(&name));
            // A long type (an enum spelled out) does not push every label far to the right.
            if label.is_some() && width(&middle) <= MAX_ALIGNED_TYPE {
                e.1 = e.1.max(width(&middle));
            }
        }
    }
    for o in &mut out {
        if let (Some(b), Some((name, middle, label))) = (o.field_block, field_parts(&o.code)) {
            let (wn, wm) = widths.get(&b).copied().unwrap_or((0, 0));
            let mut s = name.clone();
            s.push_str(&" ".repeat(wn - width(&name) + 1));
            s.push_str(&middle);
            if let Some(l) = label {
                s.push_str(&" ".repeat(wm.saturating_sub(width(&middle)) + 1));
                s.push_str(&l);
            }
            o.code = s;
        }
    }

    // Blank lines: one between top-level items, none at the edges of a block, no runs.
    let mut result: Vec<String> = Vec::new();
    for (i, o) in out.iter().enumerate() {
        if o.blank {
            continue;
        }
        // A comment block directly above an item belongs to it.
        let is_comment = |x: &Out| x.code.is_empty() && x.comment.is_some();
        let after_comment = i > 0 && out.get(i - 1).map(is_comment).unwrap_or(false);
        let starts_item = (o.item && !after_comment)
            || (is_comment(o)
                && !after_comment
                && o.indent == 0
                && out
                    .iter()
                    .skip(i)
                    .find(|x| !(x.code.is_empty() && x.comment.is_some()))
                    .map(|x| x.item)
                    .unwrap_or(false));
        let prev_blank = i > 0 && out.get(i - 1).map(|p| p.blank).unwrap_or(false);
        let prev_opens = result
            .last()
            .map(|l| l.trim_end().ends_with('{'))
            .unwrap_or(true);
        let closes = o.code.starts_with('}');
        if !result.is_empty() && (starts_item || (prev_blank && !prev_opens && !closes)) {
            result.push(String::new());
        }
        let mut line = " ".repeat(o.indent);
        line.push_str(&o.code);
        if let Some(c) = &o.comment {
            if !o.code.is_empty() {
                line.push(' ');
            }
            line.push_str(c);
        }
        result.push(line.trim_end().to_string());
    }
    let mut s = result.join("\n");
    s.push('\n');
    s
}

/// `household {` or `household { id: "H1" }` at the start of an example line.
fn looks_like_record_literal(code: &str) -> bool {
    let mut parts = code.splitn(2, ' ');
    let first = parts.next().unwrap_or("");
    let rest = parts.next().unwrap_or("");
    !first.is_empty() && !first.contains(['(', '"', ':']) && rest.starts_with('{')
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSY: &str = "# 头注释\npolicy p   \"标题\"\ndocument \"三政办〔2017〕28号\"\n\n\n\nrecord household \"搬迁户\" {\n\n  id text key \"户编号\"\n      members    int unit 人 \"家庭人口\"   # 人数\n  floor_area decimal unit m² \"住房建筑面积\"\n}\nrule r \"规则\" {\n cite line 1 \"引文 # 不是注释\"\n   applies to household\n  require floor_area / members <= 25 m²\n    and members >= 1\n}\nexample \"e\" {\n household { id: \"A\", members: 4, floor_area: 100 m² }\n expect r pass\n}\n";

    #[test]
    fn formats_to_one_layout_and_is_idempotent() {
        let once = format_policy(MESSY).unwrap();
        let twice = format_policy(&once).unwrap();
        assert_eq!(once, twice);
        let expected = "# 头注释\npolicy p \"标题\"\n  document \"三政办〔2017〕28号\"\n\nrecord household \"搬迁户\" {\n  id         text key        \"户编号\"\n  members    int unit 人     \"家庭人口\" # 人数\n  floor_area decimal unit m² \"住房建筑面积\"\n}\n\nrule r \"规则\" {\n  cite line 1 \"引文 # 不是注释\"\n  applies to household\n  require floor_area / members <= 25 m²\n    and members >= 1\n}\n\nexample \"e\" {\n  household { id: \"A\", members: 4, floor_area: 100 m² }\n  expect r pass\n}\n";
        assert_eq!(once, expected);
    }

    #[test]
    fn alternative_labels_stay_with_the_label() {
        let src = "policy p \"t\"\nrecord r {\n  id text key \"户编号\" | \"编号\"\n  members int unit 人 \"家庭人口\"\n}\n";
        let once = format_policy(src).unwrap();
        assert_eq!(
            once,
            "policy p \"t\"\n\nrecord r {\n  id      text key    \"户编号\" | \"编号\"\n  members int unit 人 \"家庭人口\"\n}\n"
        );
        assert_eq!(format_policy(&once).unwrap(), once);
    }

    #[test]
    fn refuses_a_file_that_does_not_parse() {
        assert!(format_policy("policy p \"t\"\nrule {").is_err());
    }
}
