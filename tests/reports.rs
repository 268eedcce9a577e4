//! The CI views of `guiju check` (`--format sarif|junit|github`): SARIF validates against the
//! official SARIF 2.1.0 schema (tests/data/sarif-2.1.0.json), JUnit parses as XML with the right
//! counts, and GitHub prints one annotation per finding at the data file's line and column.
//! Also: every diagnostic code has a `guiju explain` page, and `--explain` traces reach each format.

// Test helpers outside #[test] functions are not covered by clippy.toml's allow-*-in-tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use quick_xml::events::Event;
use serde_json::Value;
use std::path::{Path, PathBuf};

const RELOCATION: (&str, &str, &str) = (
    "tests/cases/relocation-basic/policy.gj",
    "tests/cases/relocation-basic/households.csv",
    "2017-06-30",
);
const FUNDS: (&str, &str, &str) = (
    "tests/cases/funds-wan-yuan/policy.gj",
    "tests/cases/funds-wan-yuan/funds.csv",
    "2017-12-31",
);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `guiju ARGS…` from the repository root (paths in the args are relative to it).
fn guiju(args: &[&str]) -> (i32, String, String) {
    let mut argv = vec!["guiju".to_string()];
    argv.extend(args.iter().map(|a| {
        if a.starts_with("tests/") {
            root().join(a).to_string_lossy().into_owned()
        } else {
            a.to_string()
        }
    }));
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = guiju::cli::run(argv, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).expect("utf-8 stdout"),
        String::from_utf8(err).expect("utf-8 stderr"),
    )
}

fn check(case: (&str, &str, &str), format: &str, extra: &[&str]) -> (i32, String, String) {
    let (policy, data, as_of) = case;
    let mut args = vec![
        "check", policy, "--data", data, "--as-of", as_of, "--format", format, "--color", "never",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = guiju(&args);
    if format == "json" {
        if let Ok(report) = serde_json::from_str::<Value>(&out) {
            common::assert_accounted(&report, &args.join(" "));
        }
    }
    (code, out, err)
}

/// The findings of a run, from the JSON report: the reference the other views are checked against.
fn json_findings(case: (&str, &str, &str)) -> Vec<Value> {
    let (_, out, _) = check(case, "json", &["--lang", "en"]);
    let v: Value = serde_json::from_str(&out).expect("JSON report");
    v["findings"].as_array().cloned().unwrap_or_default()
}

/// Where a CI view should point for a finding: its first field, else its record.
fn expected_line_col(f: &Value) -> (u64, u64) {
    match f["fields"].as_array().and_then(|a| a.first()) {
        Some(fr) if fr["line"].as_u64().unwrap_or(0) > 0 => (
            fr["line"].as_u64().unwrap_or(0),
            fr["column"].as_u64().unwrap_or(0),
        ),
        _ => (
            f["record"]["line"].as_u64().unwrap_or(0),
            f["record"]["column"].as_u64().unwrap_or(0),
        ),
    }
}

fn sarif_validator() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(root().join("tests/data/sarif-2.1.0.json")).expect("SARIF schema");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn assert_valid_sarif(validator: &jsonschema::Validator, log: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate:\n{}",
        errors.join("\n")
    );
}

// ---------------------------------------------------------------- SARIF

#[test]
fn sarif_validates_against_the_schema() {
    let validator = sarif_validator();
    for case in [RELOCATION, FUNDS] {
        for lang in ["zh", "en"] {
            for explain in [false, true] {
                let mut extra = vec!["--lang", lang];
                if explain {
                    extra.push("--explain");
                }
                let (code, out, _) = check(case, "sarif", &extra);
                assert_eq!(code, 1, "failing findings exit 1");
                let log: Value = serde_json::from_str(&out).expect("SARIF is JSON");
                assert_valid_sarif(&validator, &log);
            }
        }
    }
}

#[test]
fn the_schema_rejects_a_broken_log() {
    // Guards against a validator that accepts anything.
    let validator = sarif_validator();
    let (_, out, _) = check(RELOCATION, "sarif", &[]);
    let mut log: Value = serde_json::from_str(&out).expect("SARIF is JSON");
    log["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!validator.is_valid(&log));
    let mut log: Value = serde_json::from_str(&out).expect("SARIF is JSON");
    log["version"] = Value::from("2.0.0");
    assert!(!validator.is_valid(&log));
}

#[test]
fn sarif_results_match_the_findings() {
    for case in [RELOCATION, FUNDS] {
        let findings = json_findings(case);
        let (_, out, _) = check(case, "sarif", &["--lang", "en"]);
        let log: Value = serde_json::from_str(&out).expect("SARIF is JSON");
        let run = &log["runs"][0];
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(run["tool"]["driver"]["name"], "guiju");
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        assert!(!rules.is_empty());
        for r in rules {
            assert!(r["id"].is_string() && r["name"].is_string());
            assert!(r["shortDescription"]["text"].is_string());
            // The help text is the rule's citations.
            assert!(
                r["help"]["text"].as_str().unwrap_or("").contains('L'),
                "help cites lines: {r}"
            );
        }
        let results = run["results"].as_array().expect("results");
        assert_eq!(results.len(), findings.len());
        for (res, f) in results.iter().zip(&findings) {
            assert_eq!(res["ruleId"], f["rule"]["id"]);
            let rule_index = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[rule_index]["id"], f["rule"]["id"]);
            let want = match (f["outcome"].as_str(), f["severity"].as_str()) {
                (Some("fail"), Some("error")) => "error",
                (Some("fail"), Some("warning")) => "warning",
                (Some("unknown"), Some("error" | "warning")) => "warning",
                _ => "note",
            };
            assert_eq!(res["level"], want);
            let loc = &res["locations"][0]["physicalLocation"];
            assert_eq!(
                loc["artifactLocation"]["uri"].as_str(),
                f["record"]["file"].as_str().map(uri_of).as_deref()
            );
            let (line, col) = expected_line_col(f);
            assert_eq!(loc["region"]["startLine"].as_u64(), Some(line));
            assert_eq!(loc["region"]["startColumn"].as_u64(), Some(col));
            let rel = &res["relatedLocations"][0]["physicalLocation"];
            assert_eq!(
                rel["artifactLocation"]["uri"].as_str(),
                f["rule"]["file"].as_str().map(uri_of).as_deref()
            );
            assert_eq!(rel["region"]["startLine"], f["rule"]["line"]);
            assert_eq!(rel["region"]["startColumn"], f["rule"]["column"]);
            assert!(res["message"]["text"]
                .as_str()
                .unwrap_or("")
                .contains(f["message"]["en"].as_str().unwrap_or("?")));
            assert!(res["partialFingerprints"]["guijuFinding/v1"].is_string());
        }
    }
}

/// The URI guiju writes for a path: absolute paths (as the tests pass them) become file:// URIs.
fn uri_of(path: &str) -> String {
    guiju::report::sarif::path_uri(path)
}

#[test]
fn sarif_relative_paths_stay_relative() {
    assert_eq!(uri_of("data/households.csv"), "data/households.csv");
    assert!(uri_of(&root().join("x.csv").to_string_lossy()).starts_with("file:///"));
}

// ---------------------------------------------------------------- JUnit

#[derive(Debug, Default)]
struct JUnitCounts {
    suites: usize,
    cases: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    /// `tests`/`failures`/`errors`/`skipped` as the root element declares them.
    declared: [usize; 4],
    /// Per suite: declared tests and the test cases it holds.
    suite_tests: Vec<(usize, usize)>,
    failure_texts: Vec<String>,
}

fn attr(e: &quick_xml::events::BytesStart, name: &str) -> Option<String> {
    e.try_get_attribute(name).ok().flatten().and_then(|a| {
        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .ok()
            .map(|v| v.into_owned())
    })
}

fn parse_junit(xml: &str) -> JUnitCounts {
    let mut r = quick_xml::Reader::from_str(xml);
    let mut c = JUnitCounts::default();
    let mut in_failure = false;
    loop {
        match r.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let n = |k: &str| {
                    attr(&e, k)
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0)
                };
                match e.name().as_ref() {
                    b"testsuites" => {
                        c.declared = [n("tests"), n("failures"), n("errors"), n("skipped")]
                    }
                    b"testsuite" => {
                        c.suites += 1;
                        c.suite_tests.push((n("tests"), 0));
                    }
                    b"testcase" => {
                        c.cases += 1;
                        assert!(attr(&e, "name").is_some() && attr(&e, "classname").is_some());
                        if let Some(s) = c.suite_tests.last_mut() {
                            s.1 += 1;
                        }
                    }
                    b"failure" => {
                        c.failures += 1;
                        in_failure = true;
                        c.failure_texts.push(String::new());
                        assert!(attr(&e, "message").is_some());
                    }
                    b"error" => c.errors += 1,
                    b"skipped" => c.skipped += 1,
                    _ => {}
                }
            }
            Event::Text(t) if in_failure => {
                let s = t.decode().expect("text").into_owned();
                let s = quick_xml::escape::unescape(&s)
                    .expect("unescape")
                    .into_owned();
                if let Some(last) = c.failure_texts.last_mut() {
                    last.push_str(&s);
                }
            }
            Event::GeneralRef(g) if in_failure => {
                let name = g.decode().expect("ref").into_owned();
                let s = quick_xml::escape::unescape(&format!("&{name};"))
                    .expect("entity")
                    .into_owned();
                if let Some(last) = c.failure_texts.last_mut() {
                    last.push_str(&s);
                }
            }
            Event::End(e) if e.name().as_ref() == b"failure" => in_failure = false,
            _ => {}
        }
    }
    c
}

#[test]
fn junit_parses_with_one_case_per_finding() {
    for case in [RELOCATION, FUNDS] {
        let findings = json_findings(case);
        let (code, out, _) = check(case, "junit", &["--lang", "en"]);
        assert_eq!(code, 1);
        assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        let c = parse_junit(&out);
        let policy = std::fs::read_to_string(root().join(case.0)).expect("policy");
        let rules = policy
            .lines()
            .filter(|l| l.trim_start().starts_with("rule "))
            .count();
        assert_eq!(c.suites, rules, "one suite per rule");
        let fails = findings.iter().filter(|f| f["outcome"] == "fail").count();
        let unknown = findings
            .iter()
            .filter(|f| f["outcome"] == "unknown")
            .count();
        let pending = findings
            .iter()
            .filter(|f| f["outcome"] == "pending")
            .count();
        assert_eq!(c.failures, fails);
        assert_eq!(c.errors, unknown);
        assert_eq!(c.skipped, pending);
        // One case per finding, plus one passing case per rule that passed somewhere.
        let (_, json, _) = check(case, "json", &[]);
        let v: Value = serde_json::from_str(&json).expect("JSON");
        let passing_rules = v["summary"]["by_rule"]
            .as_object()
            .map(|m| {
                m.values()
                    .filter(|r| r["pass"].as_u64().unwrap_or(0) > 0)
                    .count()
            })
            .unwrap_or(0);
        assert_eq!(c.cases, findings.len() + passing_rules);
        assert_eq!(c.declared, [c.cases, c.failures, c.errors, c.skipped]);
        for (declared, held) in &c.suite_tests {
            assert_eq!(declared, held);
        }
        // The failure carries the explanation.
        assert_eq!(c.failure_texts.len(), fails);
        for t in &c.failure_texts {
            assert!(
                t.contains("data at ") && t.contains("rule at ") && t.contains("cites "),
                "{t}"
            );
        }
    }
}

#[test]
fn junit_escapes_markup() {
    let tmp = tempdir("junit-escape");
    let dir = tmp.path();
    let (policy, data) = escape_fixture(dir);
    let (code, out, err) = guiju(&[
        "check", &policy, "--data", &data, "--format", "junit", "--lang", "en",
    ]);
    assert_eq!(code, 1, "{err}");
    let c = parse_junit(&out);
    assert_eq!(c.failures, 1);
    let text = c.failure_texts.join("");
    assert!(
        text.contains("A<&>\"'"),
        "the key survives escaping: {text}"
    );
    assert!(text.contains("> 10%"), "{text}");
}

// ---------------------------------------------------------------- GitHub

struct Annotation {
    level: String,
    props: Vec<(String, String)>,
    message: String,
}

fn unescape_gh(s: &str) -> String {
    s.replace("%0A", "\n")
        .replace("%0D", "\r")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

fn parse_annotations(out: &str) -> Vec<Annotation> {
    out.lines()
        .filter(|l| l.starts_with("::"))
        .map(|l| {
            let rest = l.trim_start_matches("::");
            let (head, message) = rest.split_once("::").expect("::CMD PROPS::MESSAGE");
            let (level, props) = head.split_once(' ').unwrap_or((head, ""));
            let props = props
                .split(',')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').expect("k=v");
                    (k.to_string(), unescape_gh(v))
                })
                .collect();
            Annotation {
                level: level.to_string(),
                props,
                message: unescape_gh(message),
            }
        })
        .collect()
}

fn prop<'a>(a: &'a Annotation, k: &str) -> Option<&'a str> {
    a.props
        .iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.as_str())
}

#[test]
fn github_prints_one_annotation_per_finding() {
    for case in [RELOCATION, FUNDS] {
        let findings = json_findings(case);
        assert!(!findings.is_empty());
        let (code, out, _) = check(case, "github", &["--lang", "en"]);
        assert_eq!(code, 1);
        for l in out.lines() {
            assert!(!l.contains('\r'));
        }
        let anns = parse_annotations(&out);
        assert_eq!(
            anns.len(),
            findings.len(),
            "exactly one annotation per finding:\n{out}"
        );
        let data = root().join(case.1).to_string_lossy().into_owned();
        for (a, f) in anns.iter().zip(&findings) {
            assert_eq!(prop(a, "file"), Some(data.as_str()));
            let (line, col) = expected_line_col(f);
            assert_eq!(prop(a, "line"), Some(line.to_string().as_str()));
            assert_eq!(prop(a, "col"), Some(col.to_string().as_str()));
            let want = match (f["outcome"].as_str(), f["severity"].as_str()) {
                (Some("fail"), Some("error")) => "error",
                (Some("fail"), Some("warning")) => "warning",
                (Some("unknown"), Some("error" | "warning")) => "warning",
                _ => "notice",
            };
            assert_eq!(a.level, want);
            assert!(prop(a, "title")
                .unwrap_or("")
                .contains(f["rule"]["name"].as_str().unwrap_or("?")));
            assert!(a
                .message
                .contains(f["message"]["en"].as_str().unwrap_or("?")));
        }
        // The summary closes the output, as plain text.
        assert!(out.lines().last().unwrap_or("").contains("records"));
    }
}

#[test]
fn github_escapes_workflow_command_syntax() {
    let tmp = tempdir("gh-escape");
    let dir = tmp.path();
    let (policy, data) = escape_fixture(dir);
    let (code, out, err) = guiju(&[
        "check",
        &policy,
        "--data",
        &data,
        "--format",
        "github",
        "--lang",
        "en",
        "--explain",
    ]);
    assert_eq!(code, 1, "{err}");
    let anns = parse_annotations(&out);
    assert_eq!(anns.len(), 1, "{out}");
    let a = &anns[0];
    // The file name holds a comma and the title a colon: both escaped in properties.
    assert_eq!(prop(a, "file"), Some(data.as_str()));
    assert!(prop(a, "title").unwrap_or("").contains("a:b, c"));
    assert!(a.message.contains("> 10%, a:b"));
    assert!(a.message.contains('\n'), "reasons on their own lines");
    let raw = out.lines().next().unwrap_or("");
    assert!(raw.contains("10%25"), "percent escaped: {raw}");
    assert!(raw.contains("%0A"), "newline escaped: {raw}");
    assert!(raw.contains("%2C"), "comma escaped in properties: {raw}");
}

// ---------------------------------------------------------------- shared

/// A directory of the test's own, removed when the test ends.
fn tempdir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("guiju-reports-{name}-"))
        .tempdir()
        .expect("temp dir")
}

/// A policy and data whose text needs escaping in every format: markup, quotes, `%`, `,`, `:`.
fn escape_fixture(dir: &Path) -> (String, String) {
    let policy = dir.join("escape.gj");
    let data = dir.join("items, 1.csv");
    std::fs::write(
        &policy,
        r#"policy escaping "Escaping <&> test"
  document "测试〔2024〕1号"

record item "条目" {
  id    text key "编号"
  n     int      "数量"
}

rule small "a:b, c <&>" {
  cite line 1 "数量不超过10"
  applies to item
  require n <= 10
  message "数量 {n} > 10%, a:b"
  message en "n = {n} > 10%, a:b"
}
"#,
    )
    .expect("write policy");
    std::fs::write(&data, "编号,数量\n\"A<&>\"\"'\",20\nB,3\n").expect("write data");
    (
        policy.to_string_lossy().into_owned(),
        data.to_string_lossy().into_owned(),
    )
}

// ---------------------------------------------------------------- explain

/// Every `[EWIVU]0ddd` code written anywhere in `src/` (but the catalogue itself).
fn codes_in_sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("src dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("src"), &mut files);
    files.sort();
    let mut found = Vec::new();
    for f in files {
        if f.ends_with("src/codes.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("source");
        let b = text.as_bytes();
        for i in 0..b.len().saturating_sub(4) {
            let is_code = matches!(b[i], b'E' | b'W' | b'I' | b'V' | b'U')
                && b[i + 1] == b'0'
                && b[i + 2..i + 5].iter().all(u8::is_ascii_digit)
                && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
                && !matches!(b.get(i + 5), Some(c) if c.is_ascii_alphanumeric());
            if is_code {
                let code = String::from_utf8_lossy(&b[i..i + 5]).into_owned();
                found.push((
                    code,
                    f.strip_prefix(root()).unwrap_or(&f).display().to_string(),
                ));
            }
        }
    }
    found
}

#[test]
fn every_code_in_the_sources_has_an_explain_page() {
    let found = codes_in_sources();
    assert!(found.len() > 20, "the scan finds the codes");
    let missing: Vec<String> = found
        .iter()
        .filter(|(c, _)| guiju::codes::lookup(c).is_none())
        .map(|(c, f)| format!("{c} (in {f})"))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a page in src/codes.rs: {missing:?}"
    );
}

#[test]
fn policy_examples_show_their_code() {
    use guiju::codes::{ExampleKind, CODES};
    for c in CODES
        .iter()
        .filter(|c| c.example_kind == ExampleKind::Policy)
    {
        let files =
            std::collections::HashMap::from([("example.gj".to_string(), c.example.to_string())]);
        let compiled = guiju::check::compile(
            vec![("example.gj".to_string(), c.example.to_string())],
            &guiju::check::MemoryResolver(files),
        );
        let codes: Vec<&str> = compiled.diagnostics.iter().map(|d| d.code).collect();
        assert!(
            codes.contains(&c.code),
            "the example of {} reports {codes:?}",
            c.code
        );
    }
}

#[test]
fn explain_prints_a_page_in_each_language() {
    for c in guiju::codes::CODES {
        for (lang, title) in [("zh", c.title_zh), ("en", c.title_en)] {
            let (code, out, err) = guiju(&["explain", &c.code.to_lowercase(), "--lang", lang]);
            assert_eq!(code, 0, "{err}");
            assert!(out.starts_with(&format!("{} — {title}", c.code)), "{out}");
            assert!(out.contains(
                c.description(if lang == "zh" {
                    guiju::diag::Lang::Zh
                } else {
                    guiju::diag::Lang::En
                })
                .trim()
            ));
            assert!(out.contains(c.example.lines().next().unwrap_or("")));
        }
    }
    let (code, out, _) = guiju(&["explain", "--lang", "en"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), guiju::codes::CODES.len());
}

#[test]
fn explain_an_unknown_code_suggests_the_nearest() {
    let (code, out, err) = guiju(&["explain", "E0220", "--lang", "en"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("no code `E0220`"), "{err}");
    assert!(err.contains("did you mean `E0202`?"), "{err}");
    let (code, _, err) = guiju(&["explain", "nonsense"]);
    assert_eq!(code, 2);
    assert!(!err.contains("did you mean"), "{err}");
}

// ---------------------------------------------------------------- --explain

#[test]
fn explain_traces_reach_every_format() {
    // JSON carries each finding's trace whenever the evaluator recorded one, with or without --explain.
    for extra in [&["--lang", "en"][..], &["--lang", "en", "--explain"][..]] {
        let (_, out, _) = check(RELOCATION, "json", extra);
        let v: Value = serde_json::from_str(&out).expect("JSON");
        for f in v["findings"].as_array().expect("findings") {
            let trace = f["trace"].as_array().expect("trace");
            assert!(!trace.is_empty());
            assert!(trace
                .iter()
                .all(|t| t["zh"].is_string() && t["en"].is_string()));
        }
    }
    let findings = json_findings(RELOCATION);
    let first_step = findings[0]["trace"][0]["en"]
        .as_str()
        .expect("a step")
        .to_string();
    // Human, SARIF, JUnit and GitHub show it only with --explain.
    for format in ["human", "sarif", "junit", "github"] {
        let (_, plain, _) = check(RELOCATION, format, &["--lang", "en"]);
        let (_, explained, _) = check(RELOCATION, format, &["--lang", "en", "--explain"]);
        let shown = |s: &str| match format {
            "junit" => s.contains(&first_step.replace('>', "&gt;").replace('<', "&lt;")),
            "github" => s.contains(&first_step.replace('%', "%25")),
            _ => s.contains(&first_step),
        };
        assert!(!shown(&plain), "{format} without --explain shows no trace");
        assert!(
            shown(&explained),
            "{format} with --explain shows the trace:\n{explained}"
        );
    }
}

// ---------------------------------------------------------------- policy diagnostics

const THREE_ERRORS: (&str, &str, &str) = (
    "tests/cases/policy-three-errors/policy.gj",
    "tests/cases/policy-three-errors/data.csv",
    "2017-06-30",
);

#[test]
fn a_policy_that_does_not_compile_still_gets_a_ci_report() {
    let validator = sarif_validator();
    let policy = root().join(THREE_ERRORS.0).to_string_lossy().into_owned();
    // SARIF, to --output as a CI step would upload it.
    let tmp = tempdir("policy-errors");
    let dir = tmp.path();
    let file = dir.join("guiju.sarif");
    let (code, out, err) = check(
        THREE_ERRORS,
        "sarif",
        &["--lang", "en", "--output", &file.to_string_lossy()],
    );
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("E0101"),
        "the human diagnostics still reach stderr: {err}"
    );
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&file).expect("report written"))
        .expect("JSON");
    assert_valid_sarif(&validator, &log);
    let results = log["runs"][0]["results"].as_array().expect("results");
    let ids: Vec<&str> = results
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    assert_eq!(ids, ["E0101", "E0202", "E0103"]);
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        guiju::report::sarif::path_uri(&policy)
    );
    assert_eq!(
        log["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
    // JUnit: one erroring case per diagnostic.
    let (code, out, _) = check(THREE_ERRORS, "junit", &["--lang", "en"]);
    assert_eq!(code, 2);
    let c = parse_junit(&out);
    assert_eq!((c.suites, c.cases, c.errors), (1, 3, 3));
    // GitHub: one annotation per diagnostic, on the policy file, and nothing on stderr.
    let (code, out, err) = check(THREE_ERRORS, "github", &["--lang", "en"]);
    assert_eq!(code, 2);
    let anns = parse_annotations(&out);
    assert_eq!(anns.len(), 3);
    assert!(anns
        .iter()
        .all(|a| a.level == "error" && prop(a, "file") == Some(policy.as_str())));
    assert_eq!(prop(&anns[0], "line"), Some("14"));
    assert!(!err.contains("E0101"));
}

#[test]
fn policy_warnings_join_the_findings() {
    let validator = sarif_validator();
    let tmp = tempdir("policy-warnings");
    let dir = tmp.path();
    let (policy, data) = escape_fixture(dir);
    let text = std::fs::read_to_string(&policy)
        .expect("policy")
        .replace("  cite line 1 \"数量不超过10\"\n", "");
    std::fs::write(&policy, text).expect("write");
    let (code, out, _) = guiju(&[
        "check", &policy, "--data", &data, "--format", "sarif", "--lang", "en",
    ]);
    assert_eq!(code, 1);
    let log: Value = serde_json::from_str(&out).expect("JSON");
    assert_valid_sarif(&validator, &log);
    let ids: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    // A rule's SARIF id is its full id, `policy::rule`; a policy warning's is its code.
    assert_eq!(ids, ["W0101", "escaping::small"]);
    let rules: Vec<&str> = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(rules, ["escaping::small", "W0101"]);
    let (_, out, _) = guiju(&[
        "check", &policy, "--data", &data, "--format", "github", "--lang", "en",
    ]);
    let anns = parse_annotations(&out);
    assert_eq!(
        anns.iter().map(|a| a.level.as_str()).collect::<Vec<_>>(),
        ["warning", "error"]
    );
    let (_, out, _) = guiju(&[
        "check", &policy, "--data", &data, "--format", "junit", "--lang", "en",
    ]);
    let c = parse_junit(&out);
    assert_eq!((c.suites, c.failures), (2, 2));
}

// ---------------------------------------------------------------- shipped examples

/// The `guiju check` commands of `examples/*/README.md`, as argv without `guiju`.
fn example_commands() -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let Ok(rd) = std::fs::read_dir(root().join("examples")) else {
        return Vec::new();
    };
    let mut topics: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("README.md").exists())
        .collect();
    topics.sort();
    for t in topics {
        let name = t
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let readme = std::fs::read_to_string(t.join("README.md")).expect("README");
        let mut current: Option<String> = None;
        for line in readme.lines() {
            let l = line.trim();
            if let Some(c) = current.as_mut() {
                c.push(' ');
                c.push_str(l.trim_end_matches('\\').trim());
                if !l.ends_with('\\') {
                    out.push((name.clone(), current.take().unwrap_or_default()));
                }
                continue;
            }
            if l.starts_with("guiju check ") {
                if l.ends_with('\\') {
                    current = Some(l.trim_end_matches('\\').trim().to_string());
                } else {
                    out.push((name.clone(), l.to_string()));
                }
            }
        }
    }
    out.into_iter()
        .map(|(name, cmd)| {
            let mut argv = Vec::new();
            let mut words = cmd.split_whitespace().skip(1);
            while let Some(w) = words.next() {
                if w == "--format" || w == "--output" {
                    words.next();
                } else {
                    argv.push(w.to_string());
                }
            }
            (name, argv)
        })
        .collect()
}

#[test]
fn every_shipped_example_in_every_ci_format() {
    let validator = sarif_validator();
    let run = |argv: &[String], format: &str| {
        let mut args: Vec<&str> = argv.iter().map(String::as_str).collect();
        args.extend(["--format", format, "--lang", "en", "--color", "never"]);
        guiju(&args)
    };
    let mut failing = 0;
    for (name, argv) in example_commands() {
        let (code, json, err) = run(&argv, "json");
        if code == 2 {
            // A broken example is tests/examples.rs's to report.
            eprintln!("examples/{name}: exit 2, skipped: {err}");
            continue;
        }
        let v: Value =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("examples/{name}: JSON: {e}"));
        let findings = v["findings"].as_array().cloned().unwrap_or_default();
        failing += usize::from(code == 1);

        let (c, sarif, _) = run(&argv, "sarif");
        assert_eq!(c, code, "examples/{name}: same exit code in SARIF");
        let log: Value =
            serde_json::from_str(&sarif).unwrap_or_else(|e| panic!("examples/{name}: SARIF: {e}"));
        assert_valid_sarif(&validator, &log);
        let results: Vec<&Value> = log["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| !r["ruleId"].as_str().unwrap_or("").starts_with(['E', 'W']))
            .collect();
        assert_eq!(
            results.len(),
            findings.len(),
            "examples/{name}: one SARIF result per finding"
        );

        let (c, xml, _) = run(&argv, "junit");
        assert_eq!(c, code);
        let j = parse_junit(&xml);
        assert_eq!(
            j.failure_texts
                .iter()
                .filter(|t| t.starts_with("[V0001]"))
                .count(),
            findings.iter().filter(|f| f["outcome"] == "fail").count(),
            "examples/{name}: one <failure> per failing finding"
        );
        assert_eq!(
            j.declared,
            [j.cases, j.failures, j.errors, j.skipped],
            "examples/{name}"
        );

        let (c, gh, _) = run(&argv, "github");
        assert_eq!(c, code);
        let anns: Vec<Annotation> = parse_annotations(&gh)
            .into_iter()
            .filter(|a| prop(a, "title").is_some_and(|t| t.starts_with('V')))
            .collect();
        assert_eq!(
            anns.len(),
            findings.len(),
            "examples/{name}: one annotation per finding"
        );
        for (a, f) in anns.iter().zip(&findings) {
            let (line, col) = expected_line_col(f);
            assert_eq!(
                prop(a, "file"),
                f["record"]["file"].as_str(),
                "examples/{name}"
            );
            assert_eq!(
                prop(a, "line"),
                Some(line.to_string().as_str()),
                "examples/{name}"
            );
            if col > 0 {
                assert_eq!(
                    prop(a, "col"),
                    Some(col.to_string().as_str()),
                    "examples/{name}"
                );
            }
        }
    }
    if root().join("examples").exists() {
        assert!(
            failing > 0,
            "some shipped example fails, so annotations were checked"
        );
    }
}

#[test]
fn output_file_gets_the_report_and_the_terminal_the_human_one() {
    let validator = sarif_validator();
    let tmp = tempdir("output");
    let dir = tmp.path();
    for format in ["sarif", "junit", "github", "json"] {
        let file = dir.join(format!("report.{format}"));
        let (code, out, _) = check(
            RELOCATION,
            format,
            &["--lang", "en", "--output", &file.to_string_lossy()],
        );
        assert_eq!(code, 1);
        assert!(
            out.contains("[V0001]") && out.contains("household H2"),
            "{format}: the human report on stdout:\n{out}"
        );
        assert_eq!(
            out.lines()
                .filter(|l| l.contains("records (household 5)"))
                .count(),
            1,
            "{format}: one summary line"
        );
        let written = std::fs::read_to_string(&file).expect("report written");
        match format {
            "sarif" => {
                assert_valid_sarif(&validator, &serde_json::from_str(&written).expect("JSON"))
            }
            "junit" => assert_eq!(parse_junit(&written).failures, 2),
            "github" => assert_eq!(parse_annotations(&written).len(), 3),
            _ => assert!(serde_json::from_str::<Value>(&written).is_ok()),
        }
    }
    // The human report to a file leaves the summary line on the terminal.
    let file = dir.join("report.txt");
    let (_, out, _) = check(
        RELOCATION,
        "human",
        &["--lang", "en", "--output", &file.to_string_lossy()],
    );
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(std::fs::read_to_string(&file)
        .expect("written")
        .contains("[V0001]"));
}

/// The JSON view renders findings with each rule's part written once per run: byte for byte
/// what serialising the whole finding writes, with or without a trace.
#[test]
fn prerendered_json_findings_are_what_serde_writes() {
    use guiju::input::RunInputs;
    use guiju::input::{InputSpec, Item};
    use guiju::report::{finding_for_record, Prerender};
    let mut compared = 0;
    for (policy, data, as_of) in [RELOCATION, FUNDS] {
        let policy = root().join(policy);
        let text = std::fs::read_to_string(&policy).unwrap();
        let compiled = guiju::check::compile(
            vec![(policy.to_string_lossy().into_owned(), text)],
            &guiju::FsResolver,
        );
        let program = compiled.program.expect("policy compiles");
        let as_of = chrono::NaiveDate::parse_from_str(as_of, "%Y-%m-%d").unwrap();
        let engine = guiju::eval::Engine::new(&program, as_of);
        let spec = InputSpec::parse(&root().join(data).to_string_lossy());
        let files = guiju::FsInputs::new(vec![spec]);
        let inputs = RunInputs::new(&files);
        let mut src = guiju::input::open(&files, 0, &program).unwrap();
        let mut items = Vec::new();
        while src.next_batch(1000, &mut items).unwrap() {}
        let prerendered = Prerender::Json.for_program(&program);
        for it in &items {
            let Item::Record(r) = it else { continue };
            let mut findings = Vec::new();
            engine.check_record(r, &mut |v| {
                if v.explanation.is_some() {
                    findings.extend(finding_for_record(&program, &inputs, r, v));
                }
            });
            for mut f in findings {
                for _ in 0..2 {
                    assert_eq!(
                        String::from_utf8(prerendered.render(&f)).unwrap(),
                        String::from_utf8(Prerender::Json.render(&f)).unwrap()
                    );
                    compared += 1;
                    f.trace.clear();
                }
            }
        }
    }
    assert!(compared >= 10, "{compared}");
}

/// What a county clerk reads: the relocation example's report in Chinese says everything in
/// Chinese, names fields and choices by their labels, and fits a 120-column terminal. Left out
/// of the check are what is not guiju's wording: file paths, rule ids and codes, cited line
/// numbers, and the submission's own cells (its keys, `SZ-003`).
#[test]
fn the_relocation_report_in_chinese_has_no_english_and_fits_120_columns() {
    use unicode_width::UnicodeWidthStr;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("examples/relocation-2016/README.md")).unwrap();
    let mut argv = common::readme_commands(&readme).remove(0);
    argv.extend(["--lang", "zh", "--color", "never"].map(String::from));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = {
        let _guard = std::env::set_current_dir(root);
        guiju::cli::run(argv, &mut out, &mut err)
    };
    assert_eq!(code, 1);
    let report = String::from_utf8(out).unwrap();
    assert!(report.contains("共 55 条记录"), "{report}");
    let policy = std::fs::read_to_string(root.join("policies/relocation-2016.gj")).unwrap();
    let rule_ids: Vec<String> = policy
        .lines()
        .filter_map(|l| l.strip_prefix("rule "))
        .filter_map(|l| l.split_whitespace().next())
        .map(|id| format!("[{id}]"))
        .collect();
    assert!(rule_ids.len() > 30);
    // Every cell of the submission.
    let mut cells = std::collections::HashSet::new();
    for f in ["households", "sites", "ledger", "submissions", "archives"] {
        let text = std::fs::read_to_string(root.join(format!("examples/relocation-2016/{f}.csv")))
            .unwrap();
        for line in text.lines().skip(1) {
            cells.extend(line.split(',').map(str::to_string));
        }
    }
    let mut english = Vec::new();
    for line in report.lines() {
        assert!(
            line.width() <= 120,
            "wider than 120 columns ({}):\n{line}",
            line.width()
        );
        let token_char = |c: char| c.is_ascii_alphanumeric() || "_-./:[]".contains(c);
        for token in line
            .split(|c: char| !token_char(c))
            .filter(|t| !t.is_empty())
        {
            let t = token.trim_matches(|c| ":.".contains(c));
            let code = t.len() == 7
                && t.starts_with('[')
                && t.ends_with(']')
                && t[1..6].chars().all(|c| c.is_ascii_alphanumeric());
            let cited = t.starts_with('L') && t[1..].chars().all(|c| c.is_ascii_digit());
            let is_path = t.contains(".csv") || t.contains(".gj");
            let is_data = cells.contains(t) || cells.iter().any(|c| !c.is_empty() && t == c.trim());
            let letters = t
                .as_bytes()
                .windows(2)
                .any(|w| w[0].is_ascii_alphabetic() && w[1].is_ascii_alphabetic());
            if letters
                && !code
                && !cited
                && !is_path
                && !is_data
                && !rule_ids.iter().any(|r| r == t)
            {
                english.push(format!("`{t}` in: {line}"));
            }
        }
    }
    assert!(
        english.is_empty(),
        "English in the Chinese report:\n{}",
        english.join("\n")
    );
}
