//! The GitHub view: one GitHub Actions workflow command per finding,
//! `::error file=F,line=L,col=C,title=T::MESSAGE` (or `::warning`, `::notice`), located in the data
//! file. Input problems are annotations too. The summary closes the output as a plain line.

use super::{CiLevel, Finding, PolicyNote, Sink, Summary};
use crate::diag::Lang;
use crate::input::DataDiag;
use std::io::Write;

/// Escapes a command's message, as the Actions runner unescapes it: `%`, CR and LF; and makes
/// text from the submission [`super::terminal_safe`] (the log shows annotations in a terminal).
pub fn escape_data(s: &str) -> String {
    super::terminal_safe(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property's value: as [`escape_data`], and also `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(level: CiLevel) -> &'static str {
    match level {
        CiLevel::Error => "error",
        CiLevel::Warning => "warning",
        CiLevel::Note => "notice",
    }
}

/// Writes one annotation line per finding and per input problem.
pub struct GitHub<W: Write> {
    /// Where the annotations are written.
    pub out: W,
    /// The language of messages.
    pub lang: Lang,
    /// Whether each finding carries its full evaluation trace.
    pub explain: bool,
}

fn annotation(
    level: CiLevel,
    file: &str,
    line: usize,
    col: usize,
    title: &str,
    message: &str,
) -> String {
    let mut props = vec![format!("file={}", escape_property(file))];
    if line > 0 {
        props.push(format!("line={line}"));
        if col > 0 {
            props.push(format!("col={col}"));
        }
    }
    props.push(format!("title={}", escape_property(title)));
    format!(
        "::{} {}::{}",
        command(level),
        props.join(","),
        escape_data(message)
    )
}

/// Writes one annotation per policy diagnostic (E/W codes), located in the policy file.
pub fn render_policy_notes(out: &mut dyn Write, notes: &[PolicyNote], lang: Lang) {
    for n in notes {
        let level = if n.error {
            CiLevel::Error
        } else {
            CiLevel::Warning
        };
        let mut msg = n.message.get(lang).to_string();
        if let Some(h) = &n.help {
            msg.push('\n');
            msg.push_str(h.get(lang));
        }
        let title = format!("guiju {}", n.code);
        let _ = writeln!(
            out,
            "{}",
            annotation(level, &n.file, n.line, n.column, &title, &msg)
        );
    }
}

impl<W: Write> Sink for GitHub<W> {
    fn data_diag(&mut self, d: &DataDiag) {
        let level = if d.fatal || d.fails {
            CiLevel::Error
        } else {
            CiLevel::Warning
        };
        let mut msg = d.message.get(self.lang).to_string();
        if let Some(h) = &d.help {
            msg.push('\n');
            msg.push_str(h.get(self.lang));
        }
        let title = format!("guiju {}", d.code);
        let _ = writeln!(
            self.out,
            "{}",
            annotation(
                level,
                &d.path,
                d.line as usize,
                d.col as usize,
                &title,
                &msg
            )
        );
    }

    fn finding(&mut self, f: &Finding) {
        let lang = self.lang;
        let (line, col) = f.data_line_col();
        let title = match &f.rule.title {
            Some(t) => format!("{} [{}] {t}", f.code, f.rule.shown),
            None => format!("{} [{}]", f.code, f.rule.shown),
        };
        let mut msg = format!("{}: {}", f.who(lang), f.message.get(lang));
        for r in &f.reasons {
            msg.push('\n');
            msg.push_str(r.get(lang));
        }
        for c in &f.citations {
            msg.push('\n');
            msg.push_str(match lang {
                Lang::Zh => "依据 ",
                Lang::En => "cites ",
            });
            msg.push_str(&c.render());
        }
        msg.push('\n');
        msg.push_str(&match lang {
            Lang::Zh => format!(
                "规则位置：{}:{}:{}",
                f.rule.file, f.rule.line, f.rule.column
            ),
            Lang::En => format!("rule at {}:{}:{}", f.rule.file, f.rule.line, f.rule.column),
        });
        if self.explain && !f.trace.is_empty() {
            msg.push('\n');
            msg.push_str(match lang {
                Lang::Zh => "推导过程：",
                Lang::En => "evaluation:",
            });
            for t in &f.trace {
                msg.push('\n');
                msg.push_str(t.get(lang));
            }
        }
        let level = CiLevel::of(f.outcome, f.severity);
        let _ = writeln!(
            self.out,
            "{}",
            annotation(level, &f.record.file, line, col, &title, &msg)
        );
    }

    fn end(&mut self, summary: &Summary) {
        let _ = writeln!(self.out, "{}", summary.line(self.lang));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("50% a\r\nb"), "50%25 a%0D%0Ab");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(
            annotation(CiLevel::Warning, "d,1.csv", 3, 4, "t: x", "m"),
            "::warning file=d%2C1.csv,line=3,col=4,title=t%3A x::m"
        );
    }
}
