//! The SARIF view: a SARIF 2.1.0 log that GitHub code scanning accepts (see docs/ci.md).
//!
//! One run; `tool.driver.rules` lists every rule of the program, its title as the short
//! description and its citations as the help text. Each finding is a result located in the data
//! file (the first deciding field, else the record), with the rule in the policy as a related
//! location. Diagnostics of the policy (E/W codes) are results too, under rules named by their
//! codes, located in the policy file. Input problems are tool execution notifications. Results
//! are streamed.

use super::{CiLevel, Finding, PolicyNote, RuleInfo, Sink, Summary};
use crate::diag::Lang;
use crate::input::DataDiag;
use serde_json::{json, Map, Value};
use std::io::Write;

/// The schema a SARIF report names.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The SARIF version written.
pub const SARIF_VERSION: &str = "2.1.0";

fn level_str(l: CiLevel) -> &'static str {
    match l {
        CiLevel::Error => "error",
        CiLevel::Warning => "warning",
        CiLevel::Note => "note",
    }
}

/// A path as a SARIF URI reference: forward slashes, percent-encoded outside RFC 3986's unreserved
/// characters; an absolute path becomes a `file://` URI.
pub fn path_uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let p = p.strip_prefix("./").unwrap_or(&p);
    let mut out = String::new();
    let windows_drive = p.as_bytes().get(1) == Some(&b':')
        && p.as_bytes().first().is_some_and(u8::is_ascii_alphabetic);
    if p.starts_with('/') {
        out.push_str("file://");
    } else if windows_drive {
        out.push_str("file:///");
    }
    for (i, b) in p.bytes().enumerate() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/')
            || (windows_drive && i == 1);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A stable 64-bit FNV-1a hash, for fingerprints that do not change between runs or Rust versions.
fn fnv1a(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0u8)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn region(line: usize, column: usize) -> Option<Value> {
    if line == 0 {
        return None;
    }
    let mut r = Map::new();
    r.insert("startLine".into(), json!(line));
    if column > 0 {
        r.insert("startColumn".into(), json!(column));
    }
    Some(Value::Object(r))
}

fn physical(uri: String, region: Option<Value>) -> Value {
    let mut p = Map::new();
    p.insert("artifactLocation".into(), json!({ "uri": uri }));
    if let Some(r) = region {
        p.insert("region".into(), r);
    }
    Value::Object(p)
}

fn rule_descriptor(r: &RuleInfo, lang: Lang) -> Value {
    let title = r.rule.title.clone().unwrap_or_else(|| r.rule.shown.clone());
    let (cites, policy_word) = match lang {
        Lang::Zh => ("依据", "政策"),
        Lang::En => ("Cites", "Policy"),
    };
    let mut help = Vec::new();
    let mut help_md = Vec::new();
    for c in &r.citations {
        let text = c.render();
        help.push(format!("{cites} {text}"));
        help_md.push(format!("- {}", markdown_escape(&text)));
    }
    let doc = match &r.rule.document {
        Some(d) => format!("{} ({d})", r.rule.policy),
        None => r.rule.policy.clone(),
    };
    help.push(format!(
        "{policy_word}: {doc}, {}:{}",
        r.rule.file, r.rule.line
    ));
    let md_head = match lang {
        Lang::Zh => "**依据**",
        Lang::En => "**Cites**",
    };
    let markdown = if help_md.is_empty() {
        format!("{policy_word}: {}", markdown_escape(&doc))
    } else {
        format!(
            "{md_head}\n\n{}\n\n{policy_word}: {}",
            help_md.join("\n"),
            markdown_escape(&doc)
        )
    };
    json!({
        "id": r.rule.id,
        "name": r.rule.name,
        "shortDescription": { "text": title },
        "fullDescription": { "text": format!("{title} — {doc}") },
        "help": { "text": help.join("\n"), "markdown": markdown },
        "defaultConfiguration": { "level": level_str(CiLevel::of(crate::vocab::Outcome::Fail, r.severity)) },
        "properties": {
            "policy": r.rule.policy,
            "document": r.rule.document,
            "severity": r.severity,
            "tags": ["compliance", r.rule.policy],
        }
    })
}

/// Rule descriptors for the codes of policy diagnostics, titled from `guiju explain`'s catalogue.
fn code_descriptors(notes: &[PolicyNote], lang: Lang) -> Vec<Value> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for n in notes {
        if seen.contains(&n.code) {
            continue;
        }
        seen.push(n.code);
        let info = crate::codes::lookup(n.code);
        let title = info.map(|c| c.title(lang)).unwrap_or(n.code);
        let help = info
            .map(|c| c.description(lang).trim().to_string())
            .unwrap_or_else(|| format!("guiju explain {}", n.code));
        out.push(json!({
            "id": n.code,
            "name": n.code,
            "shortDescription": { "text": title },
            "help": { "text": format!("{help}\n\nguiju explain {}", n.code) },
            "defaultConfiguration": { "level": if n.code.starts_with('W') { "warning" } else { "error" } },
            "properties": { "tags": ["policy"] },
        }));
    }
    out
}

fn note_result(n: &PolicyNote, index: Option<usize>, lang: Lang) -> Value {
    let mut text = n.message.get(lang).to_string();
    if let Some(h) = &n.help {
        text.push('\n');
        text.push_str(h.get(lang));
    }
    let mut r = json!({
        "ruleId": n.code,
        "level": if n.error { "error" } else { "warning" },
        "message": { "text": text },
        "locations": [{ "physicalLocation": physical(path_uri(&n.file), region(n.line, n.column)) }],
        "partialFingerprints": { "guijuPolicy/v1": fnv1a(&[n.code, &n.file, n.message.get(Lang::En)]) },
        "properties": { "code": n.code },
    });
    if let (Some(i), Some(obj)) = (index, r.as_object_mut()) {
        obj.insert("ruleIndex".into(), json!(i));
    }
    r
}

fn markdown_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Streams one SARIF log: the run's header with every rule, then results as they come, then the
/// invocation with input problems as notifications.
pub struct Sarif<W: Write> {
    out: W,
    lang: Lang,
    explain: bool,
    rule_index: Vec<String>,
    first: bool,
    notifications: Vec<Value>,
    fatal: bool,
}

impl<W: Write> Sarif<W> {
    /// A SARIF log to `out` with every rule of `rules`, the policy's `notes` first.
    pub fn new(
        mut out: W,
        lang: Lang,
        rules: &[RuleInfo],
        notes: &[PolicyNote],
        explain: bool,
    ) -> Sarif<W> {
        let lang_s = match lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en-US",
        };
        let driver = json!({
            "name": "guiju",
            "fullName": "guiju (规矩) rules-as-code compliance checker",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "language": lang_s,
            "rules": rules.iter().map(|r| rule_descriptor(r, lang)).chain(code_descriptors(notes, lang)).collect::<Vec<_>>(),
        });
        let driver =
            serde_json::to_string(&driver).unwrap_or_else(|_| "{\"name\":\"guiju\"}".into());
        let _ = write!(
            out,
            "{{\"$schema\":\"{SARIF_SCHEMA}\",\"version\":\"{SARIF_VERSION}\",\"runs\":[{{\"tool\":{{\"driver\":{driver}}},\"columnKind\":\"unicodeCodePoints\",\"language\":\"{lang_s}\",\"results\":["
        );
        let mut rule_index: Vec<String> = rules.iter().map(|r| r.rule.id.clone()).collect();
        for n in notes {
            if !rule_index.iter().any(|id| id == n.code) {
                rule_index.push(n.code.to_string());
            }
        }
        let mut first = true;
        for n in notes {
            let index = rule_index.iter().position(|id| id == n.code);
            if let Ok(s) = serde_json::to_string(&note_result(n, index, lang)) {
                let sep = if first { "" } else { "," };
                first = false;
                let _ = write!(out, "{sep}\n{s}");
            }
        }
        Sarif {
            out,
            lang,
            explain,
            rule_index,
            first,
            notifications: Vec::new(),
            fatal: notes.iter().any(|n| n.error),
        }
    }

    fn result(&self, f: &Finding) -> Value {
        let lang = self.lang;
        let (line, column) = f.data_line_col();
        let mut text = format!("{}: {}", f.who(lang), f.message.get(lang));
        for r in &f.reasons {
            text.push('\n');
            text.push_str(r.get(lang));
        }
        if self.explain && !f.trace.is_empty() {
            text.push('\n');
            text.push_str(match lang {
                Lang::Zh => "推导过程：",
                Lang::En => "evaluation:",
            });
            for t in &f.trace {
                text.push('\n');
                text.push_str(t.get(lang));
            }
        }
        let mut related = vec![json!({
            "id": 1,
            "physicalLocation": physical(path_uri(&f.rule.file), region(f.rule.line, f.rule.column)),
            "message": { "text": match lang {
                Lang::Zh => format!("规则 {}：{}", f.rule.shown, f.rule.title.as_deref().unwrap_or("")),
                Lang::En => format!("rule {}: {}", f.rule.shown, f.rule.title.as_deref().unwrap_or("")),
            } },
        })];
        for (i, fr) in f.fields.iter().enumerate().skip(1) {
            let shown = f
                .values
                .get(&fr.name)
                .map(|m| m.get(lang).to_string())
                .unwrap_or_else(|| fr.value.clone().unwrap_or_default());
            related.push(json!({
                "id": i + 1,
                "physicalLocation": physical(path_uri(&f.record.file), region(fr.line, fr.column)),
                "message": { "text": format!("{} = {shown}", fr.label.as_deref().filter(|_| lang == Lang::Zh).unwrap_or(&fr.name)) },
            }));
        }
        let key = f
            .record
            .group
            .as_ref()
            .map(|g| g.key.clone())
            .or_else(|| f.record.key.clone())
            .unwrap_or_else(|| f.record.index.to_string());
        let mut r = json!({
            "ruleId": f.rule.id,
            "level": level_str(CiLevel::of(f.outcome, f.severity)),
            "message": { "text": text },
            "locations": [{
                "physicalLocation": physical(path_uri(&f.record.file), region(line, column)),
                "message": { "text": f.who(lang) },
            }],
            "relatedLocations": related,
            "partialFingerprints": {
                "guijuFinding/v1": fnv1a(&[&f.rule.policy, &f.rule.name, &f.record.file, &f.record.record_type, &key, f.outcome.as_str()]),
            },
            "properties": {
                "code": f.code,
                "outcome": f.outcome.as_str(),
                "severity": f.severity,
                "recordType": f.record.record_type,
                "recordIndex": f.record.index,
                "key": f.record.key,
                "group": f.record.group,
                "citations": f.citations.iter().map(|c| c.render()).collect::<Vec<_>>(),
            }
        });
        if let (Some(i), Some(obj)) = (
            self.rule_index.iter().position(|id| *id == f.rule.id),
            r.as_object_mut(),
        ) {
            obj.insert("ruleIndex".into(), json!(i));
        }
        r
    }
}

impl<W: Write> Sink for Sarif<W> {
    fn data_diag(&mut self, d: &DataDiag) {
        self.fatal |= d.fatal;
        let mut text = d.message.get(self.lang).to_string();
        if let Some(h) = &d.help {
            text.push('\n');
            text.push_str(h.get(self.lang));
        }
        self.notifications.push(json!({
            "descriptor": { "id": d.code },
            "level": if d.fatal || d.fails { "error" } else { "warning" },
            "message": { "text": text },
            "locations": [{ "physicalLocation": physical(path_uri(&d.path), region(d.line as usize, d.col as usize)) }],
        }));
    }

    fn finding(&mut self, f: &Finding) {
        if let Ok(s) = serde_json::to_string(&self.result(f)) {
            let sep = if self.first { "" } else { "," };
            self.first = false;
            let _ = write!(self.out, "{sep}\n{s}");
        }
    }

    fn end(&mut self, summary: &Summary) {
        let invocation = json!({
            "executionSuccessful": !self.fatal,
            "toolExecutionNotifications": self.notifications,
        });
        let props = json!({ "summary": summary });
        let invocation = serde_json::to_string(&invocation)
            .unwrap_or_else(|_| "{\"executionSuccessful\":true}".into());
        let props = serde_json::to_string(&props).unwrap_or_else(|_| "{}".into());
        let _ = writeln!(
            self.out,
            "\n],\"invocations\":[{invocation}],\"properties\":{props}}}]}}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(path_uri("tests/a b.csv"), "tests/a%20b.csv");
        assert_eq!(path_uri("./data/户.csv"), "data/%E6%88%B7.csv");
        assert_eq!(path_uri("/tmp/x.csv"), "file:///tmp/x.csv");
        assert_eq!(path_uri("C:\\d\\x.csv"), "file:///C:/d/x.csv");
    }

    #[test]
    fn fingerprints_are_stable() {
        assert_eq!(fnv1a(&["a", "b"]), fnv1a(&["a", "b"]));
        assert_ne!(fnv1a(&["ab", ""]), fnv1a(&["a", "b"]));
    }
}
