//! The JSON view: a stable, documented report (see docs/report-json.md), written as a stream.

use super::{Finding, Prerender, Sink, Summary};
use crate::diag::{Diagnostic, Lang, SourceMapExt};
use crate::input::DataDiag;
use crate::source::SourceMap;
use serde::Serialize;
use std::io::Write;

/// The version of the JSON report's shape; it changes only when a field changes meaning or goes away.
pub const JSON_VERSION: u32 = 3;

#[derive(Serialize)]
struct DataDiagJson<'a> {
    code: &'a str,
    level: &'static str,
    file: &'a str,
    line: u32,
    column: u32,
    message: &'a crate::diag::Msg,
    help: &'a Option<crate::diag::Msg>,
}

fn data_diag_json(d: &DataDiag) -> DataDiagJson<'_> {
    DataDiagJson {
        code: d.code,
        level: if d.fatal || d.fails {
            "error"
        } else {
            "warning"
        },
        file: &d.path,
        line: d.line,
        column: d.col,
        message: &d.message,
        help: &d.help,
    }
}

/// Streams `{"version":3,"lang":…,"findings":[…],"input_problems":[…],"summary":{…}}`, or, for
/// `--format summary`, the same document without `findings`.
pub struct Json<W: Write> {
    out: W,
    lang: Lang,
    first: bool,
    problems: Vec<String>,
    /// Whether findings are written (not for `--format summary`).
    findings: bool,
}

impl<W: Write> Json<W> {
    /// A JSON report to `out`, with messages in `lang` where a message is in one language.
    pub fn new(mut out: W, lang: Lang) -> Json<W> {
        let lang_s = match lang {
            Lang::Zh => "zh",
            Lang::En => "en",
        };
        let _ = write!(
            out,
            "{{\"version\":{JSON_VERSION},\"lang\":\"{lang_s}\",\"findings\":["
        );
        Json {
            out,
            lang,
            first: true,
            problems: Vec::new(),
            findings: true,
        }
    }

    /// `--format summary`: `{"version":3,"lang":…,"input_problems":[…],"summary":{…}}`, the JSON
    /// report without its findings, so that a run that only counts builds none.
    pub fn summary_only(mut out: W, lang: Lang) -> Json<W> {
        let lang_s = match lang {
            Lang::Zh => "zh",
            Lang::En => "en",
        };
        let _ = write!(out, "{{\"version\":{JSON_VERSION},\"lang\":\"{lang_s}\"");
        Json {
            out,
            lang,
            first: true,
            problems: Vec::new(),
            findings: false,
        }
    }
}

impl<W: Write> Sink for Json<W> {
    fn data_diag(&mut self, d: &DataDiag) {
        if let Ok(s) = serde_json::to_string(&data_diag_json(d)) {
            self.problems.push(s);
        }
    }

    fn finding(&mut self, f: &Finding) {
        if self.findings {
            self.rendered(&Prerender::Json.render(f));
        }
    }

    fn prerender(&self) -> Option<Prerender> {
        Some(Prerender::Json)
    }

    fn wants_findings(&self) -> bool {
        self.findings
    }

    fn rendered(&mut self, bytes: &[u8]) {
        if bytes.is_empty() || !self.findings {
            return;
        }
        let sep: &[u8] = if self.first { b"\n" } else { b",\n" };
        self.first = false;
        let _ = self.out.write_all(sep);
        let _ = self.out.write_all(bytes);
    }

    fn end(&mut self, summary: &Summary) {
        let _ = self.lang;
        let summary = serde_json::to_string(summary).unwrap_or_else(|_| "{}".into());
        let close = if self.findings { "\n]" } else { "" };
        let _ = writeln!(
            self.out,
            "{close},\"input_problems\":[{}],\"summary\":{summary}}}",
            self.problems.join(",\n")
        );
    }
}

#[derive(Serialize)]
struct PolicyDiagJson<'a> {
    code: &'a str,
    level: crate::diag::Level,
    message: &'a crate::diag::Msg,
    file: String,
    line: usize,
    column: usize,
    help: &'a Option<crate::diag::Msg>,
}

/// Policy diagnostics as JSON: `{"version":3,"policy_errors":[…]}`.
pub fn render_policy_errors(out: &mut dyn Write, diags: &[Diagnostic], sources: &SourceMap) {
    let items: Vec<PolicyDiagJson> = diags
        .iter()
        .map(|d| {
            let (file, line, column) = sources.locate(d);
            PolicyDiagJson {
                code: d.code,
                level: d.level,
                message: &d.message,
                file,
                line,
                column,
                help: &d.help,
            }
        })
        .collect();
    let v = serde_json::json!({ "version": JSON_VERSION, "policy_errors": items });
    let _ = writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&v).unwrap_or_default()
    );
}
