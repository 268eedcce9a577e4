//! The JUnit view: JUnit XML as read by common CI test reporters (GitLab, Jenkins, GitHub test
//! reporters). One `<testsuite>` per rule; one `<testcase>` per (rule, record) or (rule, group)
//! finding, plus one passing test case per rule standing for its passing records. A failure
//! carries the explanation; an unknown outcome is an `<error>` (the rule could not be decided);
//! a pending one is `<skipped>`. Diagnostics of the policy (E/W codes) form a first suite,
//! `guiju.policy`; input problems a last one, `guiju.input`.
//! The whole document is written at the end, when the counts are known.

use super::{Finding, PolicyNote, RuleInfo, Sink, Summary};
use crate::diag::Lang;
use crate::input::DataDiag;
use crate::vocab::Outcome;
use indexmap::IndexMap;
use std::io::Write;

/// Escapes text for XML 1.0 content and attribute values. Characters XML 1.0 cannot hold at all
/// (control characters other than tab, newline and carriage return) become U+FFFD; in attributes,
/// tab, newline and carriage return are written as character references so parsers keep them.
pub fn xml_escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\'' if attr => out.push_str("&apos;"),
            '\n' if attr => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attr => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn a(s: &str) -> String {
    xml_escape(s, true)
}

#[derive(Default)]
struct Suite {
    name: String,
    class: String,
    cases: Vec<String>,
    failures: u64,
    errors: u64,
    skipped: u64,
}

/// Collects test cases per rule; writes the document at the end.
pub struct JUnit<W: Write> {
    out: W,
    lang: Lang,
    explain: bool,
    suites: IndexMap<String, Suite>,
    input: Suite,
}

impl<W: Write> JUnit<W> {
    /// A JUnit report to `out` with a suite per rule of `rules`, the policy's `notes` first.
    pub fn new(
        out: W,
        lang: Lang,
        rules: &[RuleInfo],
        notes: &[PolicyNote],
        explain: bool,
    ) -> JUnit<W> {
        let mut suites = IndexMap::new();
        if !notes.is_empty() {
            let mut s = Suite {
                name: "guiju.policy".into(),
                class: "guiju.policy".into(),
                ..Suite::default()
            };
            for n in notes {
                let name = format!("{}:{}:{} {}", n.file, n.line, n.column, n.code);
                let mut body = n.message.get(lang).to_string();
                if let Some(h) = &n.help {
                    body.push('\n');
                    body.push_str(h.get(lang));
                }
                let (tag, kind) = if n.error {
                    ("error", "error")
                } else {
                    ("failure", "warning")
                };
                s.cases.push(format!(
                    "    <testcase name=\"{}\" classname=\"guiju.policy\" file=\"{}\" line=\"{}\"><{tag} message=\"{}\" type=\"{kind}\">{}</{tag}></testcase>\n",
                    a(&name),
                    a(&n.file),
                    n.line,
                    a(n.message.get(lang)),
                    xml_escape(&body, false)
                ));
                if n.error {
                    s.errors += 1;
                } else {
                    s.failures += 1;
                }
            }
            // A key no rule id can be (ids are identifiers).
            suites.insert(" policy".to_string(), s);
        }
        for r in rules {
            let name = match &r.rule.title {
                Some(t) => format!("{} {t}", r.rule.id),
                None => r.rule.id.clone(),
            };
            suites.insert(
                r.rule.id.clone(),
                Suite {
                    name,
                    class: format!("{}.{}", r.rule.policy, r.rule.name),
                    ..Suite::default()
                },
            );
        }
        JUnit {
            out,
            lang,
            explain,
            suites,
            input: Suite {
                name: "guiju.input".into(),
                class: "guiju.input".into(),
                ..Suite::default()
            },
        }
    }

    fn explanation(&self, f: &Finding) -> String {
        let lang = self.lang;
        let mut lines = vec![format!(
            "[{}] {}: {}",
            f.code,
            f.who(lang),
            f.message.get(lang)
        )];
        for r in &f.reasons {
            lines.push(r.get(lang).to_string());
        }
        for (name, v) in &f.values {
            lines.push(format!("  {name} = {}", v.get(lang)));
        }
        let (line, column) = f.data_line_col();
        lines.push(match lang {
            Lang::Zh => format!("数据位置：{}:{line}:{column}", f.record.file),
            Lang::En => format!("data at {}:{line}:{column}", f.record.file),
        });
        lines.push(match lang {
            Lang::Zh => format!(
                "规则位置：{}:{}:{}",
                f.rule.file, f.rule.line, f.rule.column
            ),
            Lang::En => format!("rule at {}:{}:{}", f.rule.file, f.rule.line, f.rule.column),
        });
        for c in &f.citations {
            let head = match lang {
                Lang::Zh => "依据",
                Lang::En => "cites",
            };
            lines.push(format!("{head} {}", c.render()));
        }
        if self.explain && !f.trace.is_empty() {
            lines.push(
                match lang {
                    Lang::Zh => "推导过程：",
                    Lang::En => "evaluation:",
                }
                .to_string(),
            );
            for t in &f.trace {
                lines.push(format!("  {}", t.get(lang)));
            }
        }
        lines.join("\n")
    }
}

impl<W: Write> Sink for JUnit<W> {
    fn data_diag(&mut self, d: &DataDiag) {
        let lang = self.lang;
        let name = format!("{}:{}:{} {}", d.path, d.line, d.col, d.code);
        let mut body = d.message.get(lang).to_string();
        if let Some(h) = &d.help {
            body.push('\n');
            body.push_str(h.get(lang));
        }
        let (tag, kind) = if d.fatal {
            ("error", "error")
        } else {
            ("failure", "warning")
        };
        self.input.cases.push(format!(
            "    <testcase name=\"{}\" classname=\"guiju.input\" file=\"{}\" line=\"{}\"><{tag} message=\"{}\" type=\"{}\">{}</{tag}></testcase>\n",
            a(&name),
            a(&d.path),
            d.line,
            a(d.message.get(lang)),
            kind,
            xml_escape(&body, false)
        ));
        if d.fatal {
            self.input.errors += 1;
        } else {
            self.input.failures += 1;
        }
    }

    fn finding(&mut self, f: &Finding) {
        let body = self.explanation(f);
        let lang = self.lang;
        let suite = self
            .suites
            .entry(f.rule.id.clone())
            .or_insert_with(|| Suite {
                name: f.rule.id.clone(),
                class: format!("{}.{}", f.rule.policy, f.rule.name),
                ..Suite::default()
            });
        let (line, _) = f.data_line_col();
        let message = format!("{}: {}", f.who(lang), f.message.get(lang));
        let inner = match f.outcome {
            Outcome::Fail => {
                suite.failures += 1;
                let ty = match f.severity {
                    crate::vocab::Severity::Error => "error",
                    crate::vocab::Severity::Warning => "warning",
                    crate::vocab::Severity::Info => "info",
                };
                format!(
                    "<failure message=\"{}\" type=\"{ty}\">{}</failure>",
                    a(&message),
                    xml_escape(&body, false)
                )
            }
            Outcome::Unknown => {
                suite.errors += 1;
                format!(
                    "<error message=\"{}\" type=\"unknown\">{}</error>",
                    a(&message),
                    xml_escape(&body, false)
                )
            }
            _ => {
                suite.skipped += 1;
                format!(
                    "<skipped message=\"{}\"/><system-out>{}</system-out>",
                    a(&message),
                    xml_escape(&body, false)
                )
            }
        };
        suite.cases.push(format!(
            "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{line}\">{inner}</testcase>\n",
            a(&f.who(lang)),
            a(&suite.class),
            a(&f.record.file),
        ));
    }

    fn end(&mut self, summary: &Summary) {
        let lang = self.lang;
        let mut body = String::new();
        let (mut tests, mut failures, mut errors, mut skipped) = (0u64, 0u64, 0u64, 0u64);
        let mut write_suite = |body: &mut String, s: &Suite| {
            let n = s.cases.len() as u64;
            tests += n;
            failures += s.failures;
            errors += s.errors;
            skipped += s.skipped;
            body.push_str(&format!(
                "  <testsuite name=\"{}\" tests=\"{n}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"0\">\n",
                a(&s.name),
                s.failures,
                s.errors,
                s.skipped
            ));
            for c in &s.cases {
                body.push_str(c);
            }
            body.push_str("  </testsuite>\n");
        };
        for (id, s) in self.suites.iter_mut() {
            let passed = summary
                .by_rule
                .get(id)
                .and_then(|m| m.get("pass"))
                .copied()
                .unwrap_or(0);
            if passed > 0 {
                let name = match lang {
                    Lang::Zh => format!("通过：{passed}"),
                    Lang::En => format!("passed: {passed}"),
                };
                s.cases.push(format!(
                    "    <testcase name=\"{}\" classname=\"{}\"/>\n",
                    a(&name),
                    a(&s.class)
                ));
            }
        }
        for s in self.suites.values() {
            write_suite(&mut body, s);
        }
        if !self.input.cases.is_empty() {
            write_suite(&mut body, &self.input);
        }
        let _ = write!(
            self.out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"guiju\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"0\">\n{body}</testsuites>\n"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::xml_escape;

    #[test]
    fn escapes() {
        assert_eq!(xml_escape("a<b>&\"'", true), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(xml_escape("x\ny\u{1}", false), "x\ny\u{FFFD}");
        assert_eq!(xml_escape("x\ny", true), "x&#10;y");
        assert_eq!(xml_escape("]]>", false), "]]&gt;");
    }
}
