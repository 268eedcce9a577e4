//! Findings and summaries as data, and the views that render them (human, JSON, …).
//! Every format is a view of the same [`Finding`]s.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

use crate::check::ir::{Citation, Program};
use crate::diag::{Lang, Msg};
use crate::eval::{format_value, GroupVerdict, Verdict};
use crate::input::{DataDiag, Reread, RunInputs, Snippet};
use crate::source::Span;
use crate::value::{Record, RecordLoc, Value};
use crate::vocab::{Outcome, Severity};
use indexmap::IndexMap;
use serde::Serialize;

#[doc(hidden)]
/// Stable codes of findings.
pub fn finding_code(o: Outcome) -> &'static str {
    match o {
        Outcome::Fail => "V0001",
        Outcome::Unknown => "V0002",
        Outcome::Pending => "V0003",
        Outcome::Exempt => "V0004",
        _ => "V0000",
    }
}

/// Where in the data a finding is.
#[derive(Debug, Clone, Serialize)]
pub struct RecordRef {
    /// The input's name (`InputSpec::path`).
    pub file: String,
    /// The record type's name.
    pub record_type: String,
    /// The record type's label (`搬迁户`), when it has one: how a Chinese report names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_label: Option<String>,
    /// 1-based position of the record in its file.
    pub index: u64,
    /// 1-based line of the record's first byte.
    pub line: u32,
    /// 1-based column (in characters) of the record's first byte.
    pub column: u32,
    /// The record's key field, as text, when its type has one and it is present.
    pub key: Option<String>,
    /// For a grouped rule: the group's key and size.
    pub group: Option<GroupRef>,
    /// For a workbook: the sheet the record is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// For a workbook: the record's first cell (`A12`); its `line` is the sheet row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
}

/// The group a finding of a grouped rule is about.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRef {
    /// The group's key as text (`*` for a rule over all records).
    pub key: String,
    /// How many records the group has.
    pub records: u64,
}

/// A field that decided a finding, located in the data.
#[derive(Debug, Clone, Serialize)]
pub struct FieldRef {
    /// The field's name in the policy.
    pub name: String,
    /// Its label (the column or key the data names it by), if it has one.
    pub label: Option<String>,
    /// 1-based line of its value in the file (of the record, where the value cannot be found).
    pub line: usize,
    /// 1-based column of its value, in characters.
    pub column: usize,
    /// The value as read, in the field's unit; `null` when the field is missing.
    pub value: Option<String>,
    /// Where the value is in the file's own terms: a JSON path relative to the record
    /// (`$.members`), or a CSV cell (`R5C2`); `null` where the file has no such place.
    pub path: Option<String>,
    /// Byte range of the value in the finding's snippet.
    #[serde(skip)]
    pub range: Option<std::ops::Range<usize>>,
}

/// The rule a finding is about, located in its policy.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRef {
    /// The rule's full id, `policy::rule`: unique in any run, and what machine formats carry.
    pub id: String,
    /// The rule's id within its policy, as written after `rule`.
    pub name: String,
    /// The id a reader is shown: `name`, qualified only when another policy of the run has a
    /// rule of that name.
    #[serde(skip)]
    pub shown: String,
    /// Its title, as written after the id.
    pub title: Option<String>,
    /// The id of the policy it is in.
    pub policy: String,
    /// The document the policy implements (`三政办〔2017〕28号`).
    pub document: Option<String>,
    /// The policy file's name.
    pub file: String,
    /// 1-based line of the rule's name in the policy file.
    pub line: usize,
    /// 1-based column of the rule's name, in characters.
    pub column: usize,
}

/// A rule's non-passing verdict on a record or group: what the user acts on.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// `V0001` (fail), `V0002` (unknown), `V0003` (pending) or `V0004` (exempt).
    pub code: &'static str,
    /// The verdict: fail, unknown, pending or exempt.
    pub outcome: Outcome,
    /// The rule's severity (`info` for an exemption).
    pub severity: Severity,
    /// The rule, located in its policy.
    pub rule: RuleRef,
    /// The record or group, located in the data.
    pub record: RecordRef,
    /// The fields that decided it, located in the data.
    pub fields: Vec<FieldRef>,
    /// What is wrong, in both languages.
    pub message: Msg,
    /// Why, with the numbers: `floor_area 100.01 m² / members 4人 = 25.0025 m² > 25 m²`.
    pub reasons: Vec<Msg>,
    /// The values of the names the rule uses, by name.
    pub values: IndexMap<String, Msg>,
    /// The lines of the document the rule cites.
    #[doc(hidden)]
    pub citations: Vec<Citation>,
    /// The full evaluation trace (shown with `--explain`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<Msg>,
    /// The spans of the policy text that decided it.
    #[doc(hidden)]
    #[serde(skip)]
    pub spans: Vec<Span>,
    /// The span of the rule's name.
    #[doc(hidden)]
    #[serde(skip)]
    pub rule_span: Span,
    /// The record's text, read back from its input, with where its fields are.
    #[serde(skip)]
    pub snippet: Option<Snippet>,
    /// The rule's index in the program.
    #[serde(skip)]
    pub rule_index: usize,
}

/// Counts for the summary line. Every input record is counted once, read or unreadable.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// The date deadlines were judged as of (`YYYY-MM-DD`).
    pub as_of: String,
    /// Input records, read or unreadable.
    pub records: u64,
    /// Records that could not be read at all.
    pub unreadable: u64,
    /// Rows that hold nothing (every cell empty or white space): not records, not counted in
    /// `records`, so that rows read = `records` + `skipped`.
    pub skipped: u64,
    /// Records read, by record type, in the order types were first met.
    pub by_type: IndexMap<String, u64>,
    /// Verdicts by outcome (`pass`, `fail`, `not_applicable`, `pending`, `unknown`).
    pub outcomes: IndexMap<&'static str, u64>,
    /// Verdicts by rule id, then by outcome.
    pub by_rule: IndexMap<String, IndexMap<&'static str, u64>>,
    /// Failing findings of error severity: these make the exit code 1.
    pub failing_errors: u64,
    /// Failing findings of warning severity.
    pub failing_warnings: u64,
    /// Problems found in the input files that did not stop reading them.
    pub input_warnings: u64,
    /// 合计 and 小计 rows that are not the sum of the rows above them (`I0026`): like failing
    /// errors, these make the exit code 1.
    #[serde(skip_serializing_if = "is_zero")]
    pub total_mismatches: u64,
    /// Inputs that could not be opened, or not read to their end (not in the JSON report: it
    /// lists the problems themselves).
    #[serde(skip)]
    pub input_errors: u64,
    /// Text inputs not read as plain UTF-8, by name: the encoding they were decoded from and how
    /// it was chosen (`given`, `bom`, `detected`).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub encodings: IndexMap<String, InputEncoding>,
    /// Record type name → label (`household` → `搬迁户`): how the Chinese summary names types.
    #[serde(skip)]
    pub type_labels: IndexMap<String, String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The encoding a text input was read in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputEncoding {
    /// `GB18030`, `UTF-16LE`, `Big5`, `UTF-8`.
    pub encoding: &'static str,
    /// How it was chosen.
    pub by: crate::input::decode::By,
}

impl Summary {
    /// All counts zero, for the rules of `program`.
    pub fn new(program: &Program, as_of: String) -> Summary {
        let mut s = Summary {
            as_of,
            ..Summary::default()
        };
        for o in Outcome::ALL {
            s.outcomes.insert(o.as_str(), 0);
        }
        for rt in &program.records {
            if let Some(l) = &rt.label {
                s.type_labels.insert(rt.shown_name.clone(), l.clone());
            }
        }
        for r in &program.rules {
            let mut m = IndexMap::new();
            for o in Outcome::ALL {
                m.insert(o.as_str(), 0);
            }
            s.by_rule.insert(r.full_id.clone(), m);
        }
        s
    }

    #[doc(hidden)]
    /// Counts a problem found in the data that did not stop reading it.
    pub fn count_data_problem(&mut self, d: &crate::input::DataDiag) {
        if d.fails {
            self.total_mismatches += 1;
        } else {
            self.input_warnings += 1;
        }
    }

    #[doc(hidden)]
    /// Counts `n` verdicts of one rule with one outcome (the hot path counts per chunk of records).
    pub fn count_many(&mut self, program: &Program, rule: usize, outcome: Outcome, n: u64) {
        let key = outcome.as_str();
        if let Some(c) = self.outcomes.get_mut(key) {
            *c += n;
        }
        if let Some(rule) = program.rules.get(rule) {
            if let Some(c) = self
                .by_rule
                .get_mut(&rule.full_id)
                .and_then(|m| m.get_mut(key))
            {
                *c += n;
            }
            if outcome == Outcome::Fail && rule.severity == Severity::Error {
                self.failing_errors += n;
            }
            if outcome == Outcome::Fail && rule.severity == Severity::Warning {
                self.failing_warnings += n;
            }
        }
    }

    /// How the counts break the accounting identity, if they do (empty when they hold):
    /// records read = judged + unreadable (+ skipped, counted apart); each outcome's total is
    /// the sum of the rules' counts; and a rule judged once per record has one verdict for
    /// every record of its type (applicable = pass + fail + pending + unknown, plus the not
    /// applicable ones).
    pub fn accounting_problems(&self, program: &Program) -> Vec<String> {
        let mut problems = Vec::new();
        let judged: u64 = self.by_type.values().sum();
        if self.records != judged + self.unreadable {
            problems.push(format!(
                "records {} != judged {judged} + unreadable {}",
                self.records, self.unreadable
            ));
        }
        for o in Outcome::ALL {
            let k = o.as_str();
            let total = self.outcomes.get(k).copied().unwrap_or(0);
            let by_rule: u64 = self
                .by_rule
                .values()
                .map(|m| m.get(k).copied().unwrap_or(0))
                .sum();
            if total != by_rule {
                problems.push(format!("{k}: total {total} != sum over rules {by_rule}"));
            }
        }
        // Rule ids name one rule each only when no two rules share one.
        let ids: std::collections::HashSet<&str> =
            program.rules.iter().map(|r| r.full_id.as_str()).collect();
        if ids.len() == program.rules.len() {
            for r in &program.rules {
                if !matches!(
                    r.scope,
                    crate::check::ir::Scope::Each | crate::check::ir::Scope::Joined
                ) {
                    continue;
                }
                let of_type = program
                    .records
                    .get(r.record)
                    .and_then(|rt| self.by_type.get(&rt.shown_name))
                    .copied()
                    .unwrap_or(0);
                let verdicts: u64 = self.by_rule.get(&r.full_id).map_or(0, |m| m.values().sum());
                if verdicts != of_type {
                    problems.push(format!(
                        "rule {}: {verdicts} verdicts for {of_type} records",
                        r.full_id
                    ));
                }
            }
        }
        problems
    }

    /// The summary line of the human report, in `lang`.
    pub fn line(&self, lang: Lang) -> String {
        let o = |k: &str| self.outcomes.get(k).copied().unwrap_or(0);
        let types: Vec<String> = self
            .by_type
            .iter()
            .map(|(t, n)| match (lang, self.type_labels.get(t)) {
                (Lang::Zh, Some(l)) => format!("{l} {n}"),
                _ => format!("{t} {n}"),
            })
            .collect();
        // Skipped rows are named only when there are some.
        let skipped = match (self.skipped, lang) {
            (0, _) => String::new(),
            (n, Lang::Zh) => format!("，{n} 行空行或合计行已跳过"),
            (n, Lang::En) => format!(", {n} empty or totals rows skipped"),
        };
        let totals = match (self.total_mismatches, lang) {
            (0, _) => String::new(),
            (n, Lang::Zh) => format!("，{n} 处合计与其上各行之和不符"),
            (n, Lang::En) => format!(", {n} totals that do not add up"),
        };
        let skipped = skipped + &totals;
        // Inputs decoded from another encoding say which, and how it was told.
        let encodings: String = self
            .encodings
            .iter()
            .map(|(path, e)| {
                use crate::input::decode::By;
                match lang {
                    Lang::Zh => format!(
                        "；{path} 按 {} 编码读取（{}）",
                        e.encoding,
                        match e.by {
                            By::Given => "按指定",
                            By::Bom => "据字节顺序标记",
                            By::Detected => "自动识别",
                        }
                    ),
                    Lang::En => format!(
                        "; {path} read as {} ({})",
                        e.encoding,
                        match e.by {
                            By::Given => "as given",
                            By::Bom => "by its byte order mark",
                            By::Detected => "detected",
                        }
                    ),
                }
            })
            .collect();
        // No records: no list of types (not `（）`).
        let types = match (types.is_empty(), lang) {
            (true, _) => String::new(),
            (false, Lang::Zh) => format!("（{}）", types.join("，")),
            (false, Lang::En) => format!(" ({})", types.join(", ")),
        };
        // Exemptions are said only when there are some: the exception is rare, and `0 exempt` on
        // every run would say nothing.
        let (exempt_zh, exempt_en) = match o("exempt") {
            0 => (String::new(), String::new()),
            n => (
                format!("；另有 {n} 项依例外豁免"),
                format!("; and {n} exempt by an exception"),
            ),
        };
        match lang {
            Lang::Zh => format!(
                "共 {} 条记录{}，{} 条无法读取{}{encodings}；结果：{} 通过，{} 违反，{} 不适用，{} 待定，{} 未知（截至 {}）",
                self.records,
                types,
                self.unreadable,
                skipped,
                o("pass"),
                o("fail"),
                o("not_applicable"),
                o("pending"),
                o("unknown"),
                self.as_of
            ) + &exempt_zh,
            Lang::En => format!(
                "{} records{}, {} unreadable{}{encodings}; outcomes: {} pass, {} fail, {} not applicable, {} pending, {} unknown (as of {})",
                self.records,
                types,
                self.unreadable,
                skipped,
                o("pass"),
                o("fail"),
                o("not_applicable"),
                o("pending"),
                o("unknown"),
                self.as_of
            ) + &exempt_en,
        }
    }
}

/// What a run reports to: every report format is a `Sink`. A run gives it the problems found in
/// the data, the findings and, last, the summary, in input order (see `crate::Session::run`).
pub trait Sink {
    /// A problem with an input (`I` codes): a record that could not be read, a column that is
    /// not a field, an input that could not be opened.
    fn data_diag(&mut self, d: &DataDiag);
    /// A problem with `input`, which the sink may read again to show the line of the problem
    /// (the human view does); by default [`Sink::data_diag`].
    fn data_diag_in(&mut self, d: &DataDiag, input: Reread<'_>) {
        let _ = input;
        self.data_diag(d);
    }
    /// A rule's non-passing verdict on a record or a group.
    fn finding(&mut self, f: &Finding);
    /// The end of the run, with its counts.
    fn end(&mut self, summary: &Summary);
    /// How this view lets findings be rendered ahead, on any thread, when it renders each
    /// finding the same whatever came before: then `rendered` writes them, in order.
    fn prerender(&self) -> Option<Prerender> {
        None
    }
    /// Writes a finding rendered by `Prerender::render`.
    fn rendered(&mut self, _bytes: &[u8]) {}
    /// A batch of `input` is done: `records` records of the run are counted so far (for a
    /// progress line).
    fn progress(&mut self, input: &str, records: u64) {
        let _ = (input, records);
    }
    /// Whether this view shows findings at all; when it does not (`--format summary`), a run
    /// only counts verdicts, and builds no explanation, location or finding.
    fn wants_findings(&self) -> bool {
        true
    }
    /// An error this view met that its writer did not see (JUnit's test cases lost from their
    /// spill file), taken once the run has ended: the report is then not whole.
    fn take_error(&mut self) -> Option<std::io::Error> {
        None
    }
}

#[doc(hidden)]
/// Renders findings to bytes away from the sink (see `Sink::prerender`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prerender {
    /// One finding as a compact JSON object.
    Json,
}

impl Prerender {
    pub fn render(self, f: &Finding) -> Vec<u8> {
        match self {
            Prerender::Json => serde_json::to_vec(f).unwrap_or_default(),
        }
    }

    /// This rendering for the findings of `program`, with what all findings of a rule share (the
    /// rule and its citations) rendered once.
    pub fn for_program(self, program: &Program) -> Prerendered {
        let rules = program
            .rules
            .iter()
            .map(|rule| {
                let json = rule_ref(program, rule).and_then(|r| serde_json::to_vec(&r).ok());
                Some(RulePieces {
                    rule: json?,
                    citations: serde_json::to_vec(&rule.citations).ok()?,
                })
            })
            .collect();
        Prerendered { kind: self, rules }
    }
}

/// A rule's parts of its findings, rendered.
#[derive(Debug)]
struct RulePieces {
    rule: Vec<u8>,
    citations: Vec<u8>,
}

#[doc(hidden)]
/// Renders the findings of one program (see [`Prerender::for_program`]).
#[derive(Debug)]
pub struct Prerendered {
    kind: Prerender,
    rules: Vec<Option<RulePieces>>,
}

impl Prerendered {
    /// What `Prerender::render` renders, byte for byte.
    pub fn render(&self, f: &Finding) -> Vec<u8> {
        let mut out = Vec::new();
        self.render_into(f, &mut out);
        out
    }

    /// Renders `f` at the end of `out` (nothing, should it fail).
    pub fn render_into(&self, f: &Finding, out: &mut Vec<u8>) {
        let start = out.len();
        let done = match (self.kind, self.rules.get(f.rule_index)) {
            (Prerender::Json, Some(Some(p))) => json_with(f, p, out),
            (Prerender::Json, _) => serde_json::to_writer(&mut *out, f),
        };
        if done.is_err() {
            out.truncate(start);
        }
    }
}

/// A finding as `#[derive(Serialize)]` writes it, its rule and citations spliced in, at the end
/// of `out`.
fn json_with(f: &Finding, p: &RulePieces, out: &mut Vec<u8>) -> serde_json::Result<()> {
    let start = out.len();
    out.reserve(256 + p.rule.len() + p.citations.len());
    let field = |out: &mut Vec<u8>, name: &str| {
        out.extend_from_slice(if out.len() == start { b"{\"" } else { b",\"" });
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
    };
    field(out, "code");
    serde_json::to_writer(&mut *out, f.code)?;
    field(out, "outcome");
    serde_json::to_writer(&mut *out, &f.outcome)?;
    field(out, "severity");
    serde_json::to_writer(&mut *out, &f.severity)?;
    field(out, "rule");
    out.extend_from_slice(&p.rule);
    field(out, "record");
    serde_json::to_writer(&mut *out, &f.record)?;
    field(out, "fields");
    serde_json::to_writer(&mut *out, &f.fields)?;
    field(out, "message");
    serde_json::to_writer(&mut *out, &f.message)?;
    field(out, "reasons");
    serde_json::to_writer(&mut *out, &f.reasons)?;
    field(out, "values");
    serde_json::to_writer(&mut *out, &f.values)?;
    field(out, "citations");
    out.extend_from_slice(&p.citations);
    if !f.trace.is_empty() {
        field(out, "trace");
        serde_json::to_writer(&mut *out, &f.trace)?;
    }
    out.push(b'}');
    Ok(())
}

fn record_key(program: &Program, rec_ty: usize, values: &[Value]) -> Option<String> {
    let rt = program.records.get(rec_ty)?;
    let slot = rt.key?;
    let f = rt.fields.get(slot)?;
    match values.get(slot)? {
        Value::Missing => None,
        v => Some(format_value(v, &f.ty, Lang::Zh)),
    }
}

#[doc(hidden)]
/// Builds the finding for a non-passing verdict on one record.
pub fn finding_for_record(
    program: &Program,
    inputs: &RunInputs,
    rec: &Record,
    v: Verdict,
) -> Option<Finding> {
    let key = record_key(program, rec.ty, &rec.values);
    make(
        program,
        inputs,
        rec.ty,
        &rec.loc,
        key,
        None,
        Some(&rec.values),
        v,
    )
}

#[doc(hidden)]
/// Builds the finding for a non-passing verdict on a group.
pub fn finding_for_group(
    program: &Program,
    inputs: &RunInputs,
    g: GroupVerdict,
) -> Option<Finding> {
    let rule = program.rules.get(g.verdict.rule)?;
    let key = crate::eval::key_shown(rule, &g.key);
    let group = Some(GroupRef {
        key: key.clone().unwrap_or_else(|| "*".into()),
        records: g.records,
    });
    make(
        program,
        inputs,
        rule.record,
        &g.first,
        key,
        group,
        None,
        g.verdict,
    )
}

fn make(
    program: &Program,
    inputs: &RunInputs,
    rec_ty: usize,
    loc: &RecordLoc,
    key: Option<String>,
    group: Option<GroupRef>,
    values: Option<&[Value]>,
    v: Verdict,
) -> Option<Finding> {
    let rule = program.rules.get(v.rule)?;
    let ex = *v.explanation?;
    let rt = program.records.get(rec_ty)?;
    let input = inputs.input(loc.input as usize);
    let snippet = match (&input, group.is_none()) {
        (Some(i), true) => crate::input::snippet(i, loc, rt, &ex.fields),
        _ => None,
    };
    let place = match &input {
        Some(i) if i.format() == crate::input::Format::Excel => {
            crate::input::excel::place(i, loc.byte as u32, rec_ty, program)
        }
        _ => None,
    };
    let mut fields = Vec::new();
    for &slot in &ex.fields {
        let Some(f) = rt.field(slot) else { continue };
        let range = snippet.as_ref().and_then(|s| s.field(slot));
        let excel_col = place
            .as_ref()
            .and_then(|p| p.columns.get(slot).copied().flatten());
        let (l, c) = match (&snippet, &range, excel_col) {
            (Some(s), Some(r), _) => s.line_col(r.start),
            (_, _, Some(col)) => (loc.line as usize, col as usize + 1),
            _ => (loc.line as usize, loc.col as usize),
        };
        let value = values
            .and_then(|vs| vs.get(slot))
            .filter(|x| !x.is_missing())
            .map(|x| format_value(x, &f.ty, Lang::Zh));
        fields.push(FieldRef {
            name: f.name.clone(),
            label: f.label.clone(),
            line: l,
            column: c,
            value,
            path: snippet.as_ref().and_then(|s| s.path(slot)).or_else(|| {
                excel_col
                    .map(|col| format!("{}{}", crate::input::excel::column_name(col), loc.line))
            }),
            range,
        });
    }
    Some(Finding {
        code: finding_code(v.outcome),
        outcome: v.outcome,
        // An exemption is reported at info level, whatever the rule's severity: it is not a
        // failure, but an auditor sees who relied on the exception.
        severity: if v.outcome == Outcome::Exempt {
            Severity::Info
        } else {
            rule.severity
        },
        rule: rule_ref(program, rule)?,
        record: RecordRef {
            file: input
                .map(|i| i.name().to_string())
                .unwrap_or_else(|| "<example>".into()),
            record_type: rt.shown_name.clone(),
            record_label: rt.label.clone(),
            index: loc.index + 1,
            line: loc.line,
            column: loc.col,
            key,
            group,
            sheet: place.as_ref().map(|p| p.sheet.clone()),
            cell: place.as_ref().map(|_| {
                format!(
                    "{}{}",
                    crate::input::excel::column_name(loc.col.saturating_sub(1)),
                    loc.line
                )
            }),
        },
        fields,
        message: ex.message,
        reasons: ex.reasons,
        values: ex.values.into_iter().collect(),
        citations: rule.citations.clone(),
        trace: ex.trace,
        spans: ex.spans,
        rule_span: rule.name_span,
        snippet,
        rule_index: v.rule,
    })
}

/// A rule and where it is written.
fn rule_ref(program: &Program, rule: &crate::check::ir::Rule) -> Option<RuleRef> {
    let policy = program.policies.get(rule.policy)?;
    let (line, column) = program
        .sources
        .line_col(rule.name_span.source, rule.name_span.start as usize);
    Some(RuleRef {
        id: rule.full_id.clone(),
        name: rule.id.clone(),
        shown: rule.shown_id.clone(),
        title: rule.title.clone(),
        policy: policy.id.clone(),
        document: policy.document.clone(),
        file: policy.path.clone(),
        line,
        column,
    })
}

#[doc(hidden)]
/// A rule of the program as the CI views list it (SARIF rules, JUnit suites), whether or not it has findings.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub rule: RuleRef,
    pub severity: Severity,
    pub citations: Vec<Citation>,
}

#[doc(hidden)]
/// Every rule of the program, in order.
pub fn rules_of(program: &Program) -> Vec<RuleInfo> {
    program
        .rules
        .iter()
        .filter_map(|rule| {
            Some(RuleInfo {
                rule: rule_ref(program, rule)?,
                severity: rule.severity,
                citations: rule.citations.clone(),
            })
        })
        .collect()
}

#[doc(hidden)]
/// How loudly a CI view flags a finding (SARIF `level`, GitHub `::error`/`::warning`/`::notice`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiLevel {
    Error,
    Warning,
    Note,
}

impl CiLevel {
    /// A failure takes its rule's severity (error, warning, info → note). An unknown outcome (a value
    /// the rule needs is missing) is a warning, or a note for an info rule. A pending outcome (a
    /// deadline not yet reached) is a note.
    pub fn of(outcome: Outcome, severity: Severity) -> CiLevel {
        match (outcome, severity) {
            (Outcome::Fail, Severity::Error) => CiLevel::Error,
            (Outcome::Fail, Severity::Warning) => CiLevel::Warning,
            (Outcome::Unknown, Severity::Error | Severity::Warning) => CiLevel::Warning,
            _ => CiLevel::Note,
        }
    }
}

impl Finding {
    /// The record type as a reader of `lang` knows it: its label in Chinese, its name in
    /// English.
    pub fn record_type_name(&self, lang: Lang) -> &str {
        match (lang, &self.record.record_label) {
            (Lang::Zh, Some(l)) => l,
            _ => &self.record.record_type,
        }
    }

    /// Who the finding is about, in words: `household H2`, `group 县A (3 records)`, `household #4`
    /// (in Chinese `搬迁户 H2`, `分组 县A（3 条记录）`, `搬迁户 第 4 条`).
    pub fn who(&self, lang: Lang) -> String {
        match (&self.record.key, &self.record.group) {
            (_, Some(g)) => match lang {
                Lang::Zh => format!("分组 {}（{} 条记录）", g.key, g.records),
                Lang::En if g.records == 1 => format!("group {} (1 record)", g.key),
                Lang::En => format!("group {} ({} records)", g.key, g.records),
            },
            (Some(k), None) => format!("{} {k}", self.record_type_name(lang)),
            (None, None) => match lang {
                Lang::Zh => format!(
                    "{} 第 {} 条",
                    self.record_type_name(lang),
                    self.record.index
                ),
                Lang::En => format!("{} #{}", self.record.record_type, self.record.index),
            },
        }
    }

    #[doc(hidden)]
    /// Where in the data file a CI view points: the first deciding field, else the record.
    pub fn data_line_col(&self) -> (usize, usize) {
        match self.fields.first() {
            Some(f) if f.line > 0 => (f.line, f.column),
            _ => (self.record.line as usize, self.record.column as usize),
        }
    }
}

#[doc(hidden)]
/// A diagnostic about a policy (E/W codes), located, for the CI views.
#[derive(Debug, Clone)]
pub struct PolicyNote {
    pub code: &'static str,
    pub error: bool,
    pub message: Msg,
    pub help: Option<Msg>,
    pub file: String,
    pub line: usize,
    pub column: usize,
}

#[doc(hidden)]
/// The policy diagnostics of a compilation, located in their files.
pub fn policy_notes(
    diags: &[crate::diag::Diagnostic],
    sources: &crate::source::SourceMap,
) -> Vec<PolicyNote> {
    use crate::diag::SourceMapExt;
    diags
        .iter()
        .map(|d| {
            let (file, line, column) = sources.locate(d);
            PolicyNote {
                code: d.code,
                error: d.level == crate::diag::Level::Error,
                message: d.message.clone(),
                help: d.help.clone(),
                file,
                line,
                column,
            }
        })
        .collect()
}

/// Two views of one run, fed the same data: a report to a file, and the human report to the terminal.
pub struct Tee<'a>(pub Box<dyn Sink + Send + 'a>, pub Box<dyn Sink + Send + 'a>);

impl Sink for Tee<'_> {
    fn data_diag(&mut self, d: &DataDiag) {
        self.0.data_diag(d);
        self.1.data_diag(d);
    }

    fn data_diag_in(&mut self, d: &DataDiag, input: Reread<'_>) {
        self.0.data_diag_in(d, input);
        self.1.data_diag_in(d, input);
    }

    fn finding(&mut self, f: &Finding) {
        self.0.finding(f);
        self.1.finding(f);
    }

    fn end(&mut self, summary: &Summary) {
        self.0.end(summary);
        self.1.end(summary);
    }

    fn wants_findings(&self) -> bool {
        self.0.wants_findings() || self.1.wants_findings()
    }

    fn take_error(&mut self) -> Option<std::io::Error> {
        let first = self.0.take_error();
        let second = self.1.take_error();
        first.or(second)
    }
}

/// Text from a submission made safe for a terminal: every character that would drive it rather
/// than show (C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides
/// and isolates that reorder what is shown) becomes a visible stand-in of the same length in
/// bytes and characters (`?`, `¿`, `�`), so that byte and character offsets into the text stay
/// right. An escape sequence in a cell then shows as `?[31m`, never as red; `?]8;;…` never as a
/// link. Borrowed when there is nothing to replace (almost always).
pub fn terminal_safe(s: &str) -> std::borrow::Cow<'_, str> {
    fn stand_in(c: char) -> Option<char> {
        match c {
            '\t' | '\n' => None,
            '\u{0}'..='\u{1f}' | '\u{7f}' => Some('?'),
            '\u{80}'..='\u{9f}' | '\u{61c}' => Some('¿'),
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                Some('\u{fffd}')
            }
            _ => None,
        }
    }
    // A carriage return ending a line (CRLF) is a line end; any other returns the cursor to
    // the start of the line, to overwrite what was shown.
    let lone_cr = |i: usize| s.as_bytes().get(i + 1) != Some(&b'\n');
    let needs = |(i, c): (usize, char)| match c {
        '\r' => lone_cr(i),
        c => stand_in(c).is_some(),
    };
    if !s.char_indices().any(needs) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.char_indices()
            .map(|(i, c)| match c {
                '\r' if !lone_cr(i) => c,
                c => stand_in(c).unwrap_or(c),
            })
            .collect(),
    )
}

/// `m` made [`terminal_safe`] in both languages, or `None` when neither needs it.
pub(crate) fn msg_terminal_safe(m: &Msg) -> Option<Msg> {
    match (terminal_safe(&m.zh), terminal_safe(&m.en)) {
        (std::borrow::Cow::Borrowed(_), std::borrow::Cow::Borrowed(_)) => None,
        (zh, en) => Some(Msg::new(zh, en)),
    }
}

impl Finding {
    /// This finding with its text from the submission made [`terminal_safe`] (the key, the
    /// values, the messages built from them, the data snippet), for a view that writes to a
    /// terminal; `None` when nothing in it needs it.
    pub fn terminal_safe(&self) -> Option<Finding> {
        let unsafe_text = |s: &str| matches!(terminal_safe(s), std::borrow::Cow::Owned(_));
        let msg_unsafe = |m: &Msg| msg_terminal_safe(m).is_some();
        let needed = self.record.key.as_deref().is_some_and(unsafe_text)
            || self
                .record
                .group
                .as_ref()
                .is_some_and(|g| unsafe_text(&g.key))
            || self
                .fields
                .iter()
                .any(|f| f.value.as_deref().is_some_and(unsafe_text))
            || msg_unsafe(&self.message)
            || self.reasons.iter().any(msg_unsafe)
            || self.values.values().any(msg_unsafe)
            || self.trace.iter().any(msg_unsafe)
            || self.snippet.as_ref().is_some_and(|s| unsafe_text(&s.text));
        if !needed {
            return None;
        }
        let safe = |s: &str| terminal_safe(s).into_owned();
        let safe_msg = |m: &Msg| msg_terminal_safe(m).unwrap_or_else(|| m.clone());
        let mut f = self.clone();
        f.record.key = f.record.key.as_deref().map(safe);
        if let Some(g) = &mut f.record.group {
            g.key = safe(&g.key);
        }
        for field in &mut f.fields {
            field.value = field.value.as_deref().map(safe);
        }
        f.message = safe_msg(&f.message);
        f.reasons = f.reasons.iter().map(safe_msg).collect();
        for v in f.values.values_mut() {
            *v = safe_msg(v);
        }
        f.trace = f.trace.iter().map(safe_msg).collect();
        if let Some(s) = &mut f.snippet {
            s.text = safe(&s.text);
        }
        Some(f)
    }
}
