//! Reading submissions: Excel with Chinese headers, GBK-encoded CSV, and every record accounted for.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

const POLICY: &str = r#"policy funds "统筹整合资金（节选）"
  document "三政办〔2017〕29号"

record fund "统筹整合资金" {
  id      text key                                  "项目编号"
  county  text                                      "县（市、区）"
  amount  decimal unit 万元                         "金额"
  purpose enum { poverty "脱贫攻坚", other "其他" } "用途"
  approved date optional                            "批复日期"
}

rule cap "单个项目不超过500万元" {
  cite line 1 "不超过500万元"
  applies to fund
  require amount 不超过 500万元
}
"#;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("guiju-inputs-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("policy.gj"), POLICY).unwrap();
    d
}

fn run(args: &[&str]) -> (i32, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut argv = vec!["guiju".to_string()];
    argv.extend(args.iter().map(|s| s.to_string()));
    let code = guiju::cli::run(argv, &mut out, &mut err);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

#[test]
fn excel_with_chinese_headers_is_checked() {
    let d = dir("xlsx");
    let path = d.join("funds.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["项目编号", "县（市、区）", "金额", "用途", "批复日期"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    // A number cell (in the field's unit, 万元), a text cell with its own unit, and a date cell.
    ws.write_string(1, 0, "F1").unwrap();
    ws.write_string(1, 1, "渑池县").unwrap();
    ws.write_number(1, 2, 300.5).unwrap();
    ws.write_string(1, 3, "脱贫攻坚").unwrap();
    ws.write_string(2, 0, "F2").unwrap();
    ws.write_string(2, 1, "陕州区").unwrap();
    ws.write_string(2, 2, "6000000元").unwrap();
    ws.write_string(2, 3, "其他").unwrap();
    let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2017, 5, 22).unwrap();
    ws.write_datetime_with_format(2, 4, &date, &fmt).unwrap();
    wb.save(&path).unwrap();
    let (code, out, err) = run(&[
        "check",
        d.join("policy.gj").to_str().unwrap(),
        "--data",
        path.to_str().unwrap(),
        "--format",
        "json",
        "--as-of",
        "2017-12-31",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{out}");
    assert_eq!(findings[0]["record"]["key"], "F2");
    // Row 3 of the sheet (the header is row 1).
    assert_eq!(findings[0]["record"]["line"], 3);
    assert_eq!(findings[0]["values"]["amount"]["zh"], "600万元");
    assert_eq!(v["summary"]["records"], 2);
    assert_eq!(v["summary"]["outcomes"]["pass"], 1);
}

#[test]
fn gbk_csv_is_refused_with_a_hint_and_read_with_encoding_gbk() {
    let d = dir("gbk");
    let text =
        "项目编号,县（市、区）,金额,用途\nF1,渑池县,100万元,脱贫攻坚\nF2,卢氏县,501万元,其他\n";
    let (bytes, _, _) = encoding_rs::GBK.encode(text);
    let path = d.join("funds.csv");
    std::fs::write(&path, &bytes).unwrap();
    let policy = d.join("policy.gj");
    let args = [
        "check",
        policy.to_str().unwrap(),
        "--data",
        path.to_str().unwrap(),
        "--lang",
        "en",
        "--color",
        "never",
    ];
    let (code, out, _) = run(&args);
    assert_eq!(code, 2);
    assert!(
        out.contains("I0002") && out.contains("not UTF-8") && out.contains("--encoding gbk"),
        "{out}"
    );
    let mut with = args.to_vec();
    with.extend(["--encoding", "gbk"]);
    let (code, out, _) = run(&with);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("2 records"), "{out}");
    assert!(out.contains("[cap] fund F2"), "{out}");
}

#[test]
fn every_record_is_accounted_for_even_when_unreadable() {
    let d = dir("jsonl");
    let path = d.join("funds.jsonl");
    std::fs::write(
        &path,
        "{\"项目编号\":\"F1\",\"县（市、区）\":\"甲\",\"金额\":100,\"用途\":\"其他\"}\n{\"项目编号\":\"F2\",\n{\"项目编号\":\"F3\",\"县（市、区）\":\"乙\",\"金额\":\"很多\",\"用途\":\"其他\"}\n",
    )
    .unwrap();
    let (code, out, _) = run(&[
        "check",
        d.join("policy.gj").to_str().unwrap(),
        "--data",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["records"], 3);
    assert_eq!(v["summary"]["unreadable"], 1);
    assert_eq!(v["summary"]["outcomes"]["pass"], 1);
    assert_eq!(v["summary"]["outcomes"]["unknown"], 1);
    let problems = v["input_problems"].as_array().unwrap();
    assert_eq!(problems[0]["code"], "I0003");
    assert_eq!(problems[0]["line"], 2);
    let unknown = &v["findings"][0];
    assert_eq!(unknown["outcome"], "unknown");
    assert!(
        unknown["message"]["en"].as_str().unwrap().contains("很多"),
        "{unknown}"
    );
}
