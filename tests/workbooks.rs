//! Submissions as agencies send them: workbooks with title rows and instruction sheets, headers
//! with units or under a merged heading, totals rows, alternative labels, any encoding.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::path::Path;

const POLICY: &str = r#"policy funds "统筹整合资金（节选）"
  document "三政办〔2017〕29号"

record fund "统筹整合资金" {
  id      text key                                  "项目编号" | "编号"
  county  text                                      "县（市、区）"
  amount  decimal unit 万元                         "金额"
  ratio   decimal unit % optional                   "自筹比例"
  purpose enum { poverty "脱贫攻坚", other "其他" } "用途"
}

rule cap "单个项目不超过500万元" {
  cite line 1 "不超过500万元"
  applies to fund
  require amount 不超过 500万元
}

rule own "自筹比例不低于50%" {
  cite line 2 "自筹比例不低于50%"
  applies to fund
  require ratio >= 50%
}
"#;

/// A directory of the test's own holding the policy, removed when the test ends.
fn dir(name: &str) -> tempfile::TempDir {
    let d = tempfile::Builder::new()
        .prefix(&format!("guiju-workbooks-{name}-"))
        .tempdir()
        .unwrap();
    std::fs::write(d.path().join("policy.gj"), POLICY).unwrap();
    d
}

/// Runs a whole command line (`guiju` first): exit code, stdout, stderr.
fn run_argv(argv: Vec<String>) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = guiju::cli::run(argv, &mut out, &mut err);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

/// `guiju check policy.gj --data <data> --format json --as-of 2017-12-31`, then `extra`; the
/// exit code and the JSON report.
fn check(d: &Path, data: &str, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let data = d.join(data);
    let mut args = vec!["--as-of", "2017-12-31"];
    args.extend(extra);
    let (code, out, err) = run_argv(common::check_json_args(&d.join("policy.gj"), &data, &args));
    let v = serde_json::from_str(&out).unwrap_or(serde_json::Value::Null);
    (code, v, err)
}

/// The (rule, key, outcome) of every finding.
fn verdicts(v: &serde_json::Value) -> Vec<(String, String, String)> {
    v["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| {
                    (
                        f["rule"]["id"].as_str().unwrap_or("").to_string(),
                        f["record"]["key"].as_str().unwrap_or("").to_string(),
                        f["outcome"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_field_is_read_from_any_of_its_labels() {
    let tmp = dir("also");
    let d = tmp.path();
    std::fs::write(
        d.join("f.csv"),
        "编号,县（市、区）,金额,自筹比例,用途\nF1,渑池县,300,60%,脱贫攻坚\nF2,陕州区,600,50%,其他\n",
    )
    .unwrap();
    let (code, v, err) = check(d, "f.csv", &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        verdicts(&v),
        vec![("cap".into(), "F2".into(), "fail".into())],
        "{v}"
    );
    assert_eq!(v["summary"]["input_warnings"], 0, "{v}");
}
