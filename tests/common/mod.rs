//! What several test crates share (each includes this file with `mod common;`).

use std::path::Path;

/// The command line `guiju check <policy> --data <data> --format json`, then `extra`.
#[allow(dead_code)]
pub fn check_json_args(policy: &Path, data: &Path, extra: &[&str]) -> Vec<String> {
    let (policy, data) = (policy.to_string_lossy(), data.to_string_lossy());
    [
        "guiju", "check", &policy, "--data", &data, "--format", "json",
    ]
    .iter()
    .chain(extra)
    .map(|s| s.to_string())
    .collect()
}

/// Asserts the accounting identity on a JSON report's summary: every record read is judged or
/// unreadable (empty rows are counted apart, as `skipped`), and each outcome's total is the sum
/// of the rules' counts. `what` names the run in the failure.
#[allow(dead_code)]
pub fn assert_accounted(report: &serde_json::Value, what: &str) {
    let s = &report["summary"];
    if s.is_null() {
        // A policy that does not compile: nothing was read.
        assert!(
            report["findings"].as_array().is_none_or(Vec::is_empty),
            "{what}"
        );
        return;
    }
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or_else(|| panic!("{what}: {v} in {s}"));
    let judged: u64 = s["by_type"]
        .as_object()
        .unwrap_or_else(|| panic!("{what}: no by_type in {s}"))
        .values()
        .map(n)
        .sum();
    let (records, unreadable) = (n(&s["records"]), n(&s["unreadable"]));
    n(&s["skipped"]);
    assert_eq!(
        records,
        judged + unreadable,
        "{what}: records = judged + unreadable in {s}"
    );
    let outcomes = s["outcomes"].as_object().expect("outcomes");
    let rules = s["by_rule"].as_object().expect("by_rule");
    for (k, total) in outcomes {
        let sum: u64 = rules.values().map(|m| n(&m[k])).sum();
        assert_eq!(n(total), sum, "{what}: outcome {k} = sum over rules in {s}");
    }
    // An unreadable record is reported once, as an input problem that did not stop reading.
    if let Some(problems) = report["input_problems"].as_array() {
        let warnings = problems.iter().filter(|p| p["level"] == "warning").count() as u64;
        assert!(
            warnings >= unreadable,
            "{what}: {unreadable} unreadable but {warnings} problems reported"
        );
    }
}

/// The `guiju check` commands of a README (a command may go on over lines ending in `\`), as
/// argument lists starting with `guiju`.
#[allow(dead_code)]
pub fn readme_commands(readme: &str) -> Vec<Vec<String>> {
    let mut cmds = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        let t = line.trim();
        if let Some(c) = current.as_mut() {
            c.push(' ');
            c.push_str(t.trim_end_matches('\\').trim());
            if !t.ends_with('\\') {
                cmds.push(current.take().unwrap_or_default());
            }
            continue;
        }
        if t.starts_with("guiju check ") {
            if t.ends_with('\\') {
                current = Some(t.trim_end_matches('\\').trim().to_string());
            } else {
                cmds.push(t.to_string());
            }
        }
    }
    cmds.into_iter()
        .map(|c| c.split_whitespace().map(str::to_string).collect())
        .collect()
}
