//! The JUnit view: JUnit XML as read by common CI test reporters (GitLab, Jenkins, GitHub test
//! reporters). One `<testsuite>` per rule; one `<testcase>` per (rule, record) or (rule, group)
//! finding, plus one passing test case per rule standing for its passing records. A failure
//! carries the explanation; an unknown outcome is an `<error>` (the rule could not be decided);
//! a pending one is `<skipped>`. Diagnostics of the policy (E/W codes) form a first suite,
//! `guiju.policy`; input problems a last one, `guiju.input`.
//! The document is written at the end, when the counts are known. Until then each test case is
//! written, as it comes, to a spill file the front end gives ([`JUnit::spilling_to`]: the CLI
//! gives an unnamed temporary file), else to memory, and only where it is (16 bytes) is kept per
//! suite: 600,000 findings held about 2 GB as strings, and hold about 10 MB so.

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
    /// Where each test case's text is in the spill: offset and length.
    cases: Vec<(u64, u64)>,
    failures: u64,
    errors: u64,
    skipped: u64,
}

/// Where test cases wait for the end of the run: a file to write, then to read back.
pub trait SpillFile: std::io::Read + std::io::Write + std::io::Seek + Send {}

impl<T: std::io::Read + std::io::Write + std::io::Seek + Send> SpillFile for T {}

/// Test cases written out as they come: to a spill file, or, without one (or once it fails), to
/// memory.
struct Spill {
    file: Option<std::io::BufWriter<Box<dyn SpillFile>>>,
    memory: Vec<u8>,
    len: u64,
}

impl Spill {
    fn new() -> Spill {
        Spill {
            file: None,
            memory: Vec::new(),
            len: 0,
        }
    }

    /// Appends a test case; where it is.
    fn put(&mut self, text: &str) -> (u64, u64) {
        let at = self.len;
        let n = text.len() as u64;
        let written = match &mut self.file {
            Some(f) => f.write_all(text.as_bytes()).is_ok(),
            None => false,
        };
        if !written {
            // The file failed (a full disk): the rest is held in memory, after a marker offset.
            self.file = None;
            self.memory.extend_from_slice(text.as_bytes());
        }
        self.len += n;
        (at, n)
    }

    /// Copies the test cases at `places` to `out`, in order.
    fn copy(&mut self, places: &[(u64, u64)], out: &mut dyn Write) -> std::io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        let mut buf = Vec::new();
        let file_len = self.len - self.memory.len() as u64;
        if let Some(f) = &mut self.file {
            f.flush()?;
        }
        for &(at, n) in places {
            buf.resize(usize::try_from(n).unwrap_or(0), 0);
            if at >= file_len {
                let from = usize::try_from(at - file_len).unwrap_or(usize::MAX);
                let slice = self.memory.get(from..from + buf.len()).unwrap_or_default();
                out.write_all(slice)?;
                continue;
            }
            match &mut self.file {
                Some(f) => {
                    let f = f.get_mut();
                    f.seek(SeekFrom::Start(at))?;
                    f.read_exact(&mut buf)?;
                    out.write_all(&buf)?;
                }
                None => {
                    return Err(std::io::Error::other(
                        "the report's temporary file was lost",
                    ))
                }
            }
        }
        Ok(())
    }
}

/// Collects test cases per rule; writes the document at the end.
pub struct JUnit<W: Write> {
    out: W,
    lang: Lang,
    explain: bool,
    suites: IndexMap<String, Suite>,
    input: Suite,
    spill: Spill,
    error: Option<std::io::Error>,
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
        let mut spill = Spill::new();
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
                s.cases.push(spill.put(&format!(
                    "    <testcase name=\"{}\" classname=\"guiju.policy\" file=\"{}\" line=\"{}\"><{tag} message=\"{}\" type=\"{kind}\">{}</{tag}></testcase>\n",
                    a(&name),
                    a(&n.file),
                    n.line,
                    a(n.message.get(lang)),
                    xml_escape(&body, false)
                )));
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
            spill,
            error: None,
        }
    }

    /// Test cases wait in `file` (an unnamed temporary file, say) rather than in memory: memory
    /// then does not grow with the findings' text. Before any finding is reported.
    pub fn spilling_to(mut self, file: Box<dyn SpillFile>) -> JUnit<W> {
        if self.spill.len == 0 {
            self.spill.file = Some(std::io::BufWriter::new(file));
        }
        self
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
        self.input.cases.push(self.spill.put(&format!(
            "    <testcase name=\"{}\" classname=\"guiju.input\" file=\"{}\" line=\"{}\"><{tag} message=\"{}\" type=\"{}\">{}</{tag}></testcase>\n",
            a(&name),
            a(&d.path),
            d.line,
            a(d.message.get(lang)),
            kind,
            xml_escape(&body, false)
        )));
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
            // Exempt: the test case passes; what it relied on is its output.
            Outcome::Exempt => format!("<system-out>{}</system-out>", xml_escape(&body, false)),
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
        let case = format!(
            "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{line}\">{inner}</testcase>\n",
            a(&f.who(lang)),
            a(&suite.class),
            a(&f.record.file),
        );
        suite.cases.push(self.spill.put(&case));
    }

    fn end(&mut self, summary: &Summary) {
        let lang = self.lang;
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
                s.cases.push(self.spill.put(&format!(
                    "    <testcase name=\"{}\" classname=\"{}\"/>\n",
                    a(&name),
                    a(&s.class)
                )));
            }
        }
        let input = (!self.input.cases.is_empty()).then_some(&self.input);
        let all: Vec<&Suite> = self.suites.values().chain(input).collect();
        let total = |f: fn(&Suite) -> u64| all.iter().map(|s| f(s)).sum::<u64>();
        let (tests, failures, errors, skipped) = (
            total(|s| s.cases.len() as u64),
            total(|s| s.failures),
            total(|s| s.errors),
            total(|s| s.skipped),
        );
        let out = &mut self.out;
        let spill = &mut self.spill;
        let mut write = || -> std::io::Result<()> {
            write!(
                out,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"guiju\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"0\">\n"
            )?;
            for s in &all {
                writeln!(
                    out,
                    "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"0\">",
                    a(&s.name),
                    s.cases.len(),
                    s.failures,
                    s.errors,
                    s.skipped
                )?;
                spill.copy(&s.cases, out)?;
                writeln!(out, "  </testsuite>")?;
            }
            writeln!(out, "</testsuites>")
        };
        // The writer's own errors are the front end's to see (the CLI's writer keeps them); one
        // reading the spill back is kept here, for `take_error`.
        if let Err(e) = write() {
            self.error = Some(e);
        }
    }

    fn take_error(&mut self) -> Option<std::io::Error> {
        self.error.take()
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
