//! Reading submissions: Excel with Chinese headers, GBK-encoded CSV, and every record accounted for.

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

/// A directory of the test's own holding the policy, removed when the test ends.
fn dir(name: &str) -> tempfile::TempDir {
    let d = tempfile::Builder::new()
        .prefix(&format!("guiju-inputs-{name}-"))
        .tempdir()
        .unwrap();
    std::fs::write(d.path().join("policy.gj"), POLICY).unwrap();
    d
}

fn run(args: &[&str]) -> (i32, String, String) {
    let mut argv = vec!["guiju".to_string()];
    argv.extend(args.iter().map(|s| s.to_string()));
    run_argv(argv)
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

/// `guiju check <policy> --data <data> --format json`, then `extra`.
fn run_json(policy: &Path, data: &Path, extra: &[&str]) -> (i32, String, String) {
    let args = common::check_json_args(policy, data, extra);
    let (code, out, err) = run_argv(args.clone());
    if let Ok(report) = serde_json::from_str::<serde_json::Value>(&out) {
        common::assert_accounted(&report, &args.join(" "));
    }
    (code, out, err)
}

#[test]
fn excel_with_chinese_headers_is_checked() {
    let tmp = dir("xlsx");
    let d = tmp.path();
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
    let (code, out, err) = run_json(&d.join("policy.gj"), &path, &["--as-of", "2017-12-31"]);
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
fn a_gbk_csv_is_detected_and_said_so_and_read_as_given_with_an_encoding_named() {
    let tmp = dir("gbk");
    let d = tmp.path();
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
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("2 records"), "{out}");
    assert!(out.contains("[cap] fund F2"), "{out}");
    assert!(
        out.contains("funds.csv read as GB18030 (detected)"),
        "{out}"
    );
    let mut with = args.to_vec();
    with.extend(["--encoding", "gbk"]);
    let (code, out, _) = run(&with);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("[cap] fund F2"), "{out}");
    assert!(
        out.contains("funds.csv read as GB18030 (as given)"),
        "{out}"
    );
    // Named after the file name, for this file alone.
    let named = format!("{}:gbk", path.display());
    let (code, out, _) = run(&[
        "check",
        policy.to_str().unwrap(),
        "--data",
        &named,
        "--lang",
        "en",
        "--color",
        "never",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("funds.csv read as GB18030 (as given)"),
        "{out}"
    );
}

#[test]
fn a_gbk_file_is_read_as_a_stream_and_stops_where_its_bytes_stop_being_gbk() {
    // 30,000 rows (several read buffers), then a byte that is no GB18030, then more rows: the
    // rows before it are checked, and the error names its line and byte.
    let tmp = dir("gbk-stream");
    let d = tmp.path();
    let mut text = String::from("项目编号,县（市、区）,金额,用途\n");
    for i in 0..30_000 {
        text.push_str(&format!("F{i},渑池县,{}万元,脱贫攻坚\n", 100 + i % 400));
    }
    let (good, _, _) = encoding_rs::GBK.encode(&text);
    let mut bytes = good.to_vec();
    let at = bytes.len();
    bytes.extend_from_slice(b"G1,\x81\x20,1,x\nG2,a,1,x\n");
    let path = d.join("funds.csv");
    std::fs::write(&path, &bytes).unwrap();
    let (code, out, err) = run_json(
        &d.join("policy.gj"),
        &path,
        &["--encoding", "gbk", "--as-of", "2026-01-01"],
    );
    assert_eq!(code, 2, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["records"], 30_000, "{}", v["summary"]);
    assert_eq!(v["summary"]["outcomes"]["fail"], 0);
    let problems = v["input_problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["code"], "I0002");
    assert_eq!(problems[0]["line"], 30_002);
    assert_eq!(
        problems[0]["message"]["en"],
        format!("the file is not valid GB18030 (byte {})", at + 3)
    );
}

#[test]
fn every_record_is_accounted_for_even_when_unreadable() {
    let tmp = dir("jsonl");
    let d = tmp.path();
    let path = d.join("funds.jsonl");
    std::fs::write(
        &path,
        "{\"项目编号\":\"F1\",\"县（市、区）\":\"甲\",\"金额\":100,\"用途\":\"其他\"}\n{\"项目编号\":\"F2\",\n{\"项目编号\":\"F3\",\"县（市、区）\":\"乙\",\"金额\":\"很多\",\"用途\":\"其他\"}\n",
    )
    .unwrap();
    let (code, out, _) = run_json(&d.join("policy.gj"), &path, &[]);
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

/// Runs `check` on one data file with the funds policy; the JSON report.
fn check_json(d: &Path, data: &Path) -> (i32, serde_json::Value) {
    let (code, out, err) = run_json(&d.join("policy.gj"), data, &["--as-of", "2026-01-01"]);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    (code, v)
}

#[test]
fn a_field_no_rule_reads_makes_nothing_unknown_a_field_a_rule_reads_does() {
    // Only `amount` (and the key, `id`) is read by a rule: F1's unreadable purpose and date are
    // read by nothing; F2's unreadable amount makes `cap` unknown. The extra column or key is
    // still reported.
    let tmp = dir("unused");
    let d = tmp.path();
    let csv = d.join("funds.csv");
    std::fs::write(
        &csv,
        "项目编号,县（市、区）,金额,用途,批复日期,备注\n\
         F1,甲,100万元,不知道,昨天,x\n\
         F2,乙,很多,其他,2017-05-23,y\n\
         F3,丙,501万元,脱贫攻坚,,z\n",
    )
    .unwrap();
    let jsonl = d.join("funds.jsonl");
    std::fs::write(
        &jsonl,
        "{\"项目编号\":\"F1\",\"县（市、区）\":\"甲\",\"金额\":100,\"用途\":\"不知道\",\"批复日期\":\"昨天\",\"备注\":\"x\"}\n\
         {\"项目编号\":\"F2\",\"县（市、区）\":\"乙\",\"金额\":\"很多\",\"用途\":\"其他\",\"批复日期\":\"2017-05-23\"}\n\
         {\"项目编号\":\"F3\",\"县（市、区）\":[\"丙\"],\"金额\":\"501万元\",\"用途\":\"脱贫攻坚\",\"批复日期\":null}\n",
    )
    .unwrap();
    for (data, what) in [(&csv, "column"), (&jsonl, "key")] {
        let (code, v) = check_json(d, data);
        assert_eq!(code, 1, "{v}");
        let outcomes = &v["summary"]["outcomes"];
        assert_eq!(outcomes["pass"], 1, "{v}");
        assert_eq!(outcomes["fail"], 1, "{v}");
        assert_eq!(outcomes["unknown"], 1, "{v}");
        let findings = v["findings"].as_array().unwrap();
        let unknown: Vec<&serde_json::Value> = findings
            .iter()
            .filter(|f| f["outcome"] == "unknown")
            .collect();
        assert_eq!(unknown.len(), 1, "{v}");
        assert_eq!(unknown[0]["record"]["key"], "F2", "{v}");
        assert!(
            unknown[0]["message"]["en"]
                .as_str()
                .unwrap()
                .contains("很多"),
            "{v}"
        );
        let problems = v["input_problems"].as_array().unwrap();
        assert_eq!(problems.len(), 1, "{v}");
        assert_eq!(problems[0]["code"], "I0006");
        assert_eq!(
            problems[0]["message"]["en"],
            format!("{what} `备注` is not a field of `fund`; ignored")
        );
    }
}

#[test]
fn a_cell_that_is_not_utf8_stops_reading_even_in_a_column_no_rule_reads() {
    let tmp = dir("utf8");
    let d = tmp.path();
    // Line 3 of a file whose first two lines are fine stops reading, at column 2.
    let stops_at_line_3_column_2 = |name: &str, line_3: &[u8]| {
        let path = d.join(name);
        let mut bytes = "项目编号,县（市、区）,金额,用途\nF1,甲,100万元,其他\n"
            .as_bytes()
            .to_vec();
        bytes.extend(line_3);
        bytes.extend(b"F3,x,1,other\n");
        std::fs::write(&path, &bytes).unwrap();
        let (code, v) = check_json(d, &path);
        assert_eq!(code, 2, "{name}: {v}");
        assert_eq!(v["summary"]["records"], 1, "{name}: {v}");
        let problems = v["input_problems"].as_array().unwrap();
        assert_eq!(problems.len(), 1, "{name}: {v}");
        assert_eq!(problems[0]["code"], "I0002");
        assert_eq!(problems[0]["line"], 3);
        assert_eq!(problems[0]["column"], 2);
    };
    // `县（市、区）` (column 2) is read by no rule; its GBK bytes still stop reading.
    stops_at_line_3_column_2(
        "funds.csv",
        b"F2,\xd5\xc5,100\xe4\xb8\x87\xe5\x85\x83,other\n",
    );
    // A character split between two cells: the row's bytes are UTF-8 when put together, but
    // neither cell is.
    stops_at_line_3_column_2("split.csv", b"F2,\xe4\xb8,\x80100,other\n");
    // A column that is not a field is not read at all, as before.
    let path = d.join("extra.csv");
    let mut bytes = "项目编号,县（市、区）,金额,用途,备注\n".as_bytes().to_vec();
    bytes.extend(b"F1,x,100,other,\xd5\xc5\nF2,y,600,other,z\n");
    std::fs::write(&path, &bytes).unwrap();
    let (code, v) = check_json(d, &path);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["summary"]["records"], 2, "{v}");
    assert_eq!(v["summary"]["outcomes"]["fail"], 1, "{v}");
    let problems = v["input_problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{v}");
    assert_eq!(problems[0]["code"], "I0006");
}

#[test]
fn a_jsonl_line_that_is_not_utf8_stops_reading_there_in_any_batch() {
    let tmp = dir("jsonl-utf8");
    let d = tmp.path();
    let path = d.join("funds.jsonl");
    // A byte-order mark, a blank line of ideographic spaces, three records, a GBK line (line 6),
    // then records that are never read.
    let mut bytes =
        "\u{FEFF}{\"id\":\"F1\",\"county\":\"甲\",\"amount\":100,\"purpose\":\"other\"}\n\
                     \u{3000}\u{3000}\n\
                     {\"id\":\"F2\",\"county\":\"乙\",\"amount\":600,\"purpose\":\"other\"}\n\
                     \n\
                     {\"id\":\"F3\",\"county\":\"丙\",\"amount\":1,\"purpose\":\"other\"}\n"
            .as_bytes()
            .to_vec();
    bytes.extend(b"{\"id\":\"F4\",\"county\":\"\xd5\xc5\",\"amount\":1,\"purpose\":\"other\"}\n");
    bytes.extend(
        "{\"id\":\"F5\",\"county\":\"x\",\"amount\":900,\"purpose\":\"other\"}\n".as_bytes(),
    );
    std::fs::write(&path, &bytes).unwrap();
    for batch in ["8192", "2", "1"] {
        let (code, out, err) = run_json(&d.join("policy.gj"), &path, &["--batch", batch]);
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        assert_eq!(code, 2, "--batch {batch}: {v}");
        assert_eq!(v["summary"]["records"], 3, "--batch {batch}: {v}");
        assert_eq!(v["summary"]["outcomes"]["fail"], 1, "--batch {batch}: {v}");
        let problems = v["input_problems"].as_array().unwrap();
        assert_eq!(problems.len(), 1, "--batch {batch}: {v}");
        assert_eq!(problems[0]["code"], "I0002");
        assert_eq!(problems[0]["line"], 6);
        // `{"id":"F4","county":"` is 21 characters: the first byte that is not UTF-8 is the 22nd.
        assert_eq!(problems[0]["column"], 22, "--batch {batch}: {v}");
    }
}

/// A finding points at its record's own line and cell whatever the file's line ends: `\n`,
/// `\r\n` (as Excel writes CSV on Windows), blank lines between records, or a quoted cell that
/// spans lines.
#[test]
fn csv_findings_point_at_their_line_with_any_line_ends() {
    let tmp = dir("line-ends");
    let d = tmp.path();
    let rows = [
        "项目编号,县（市、区）,金额,用途",
        "F1,甲,100万元,其他",
        "F2,乙,900万元,其他",
        "",
        "F3,\"丙,\"\"丁\"\"\",800万元,其他",
        "F4,\"戊\n己\",700万元,其他",
        "F5,庚,600万元,其他",
    ];
    for (name, end) in [("lf.csv", "\n"), ("crlf.csv", "\r\n")] {
        let path = d.join(name);
        std::fs::write(&path, rows.join(end) + end).unwrap();
        let (code, v) = check_json(d, &path);
        assert_eq!(code, 1, "{v}");
        assert_eq!(v["summary"]["records"], 5, "{v}");
        let found: Vec<(u64, u64, String, String)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let field = &f["fields"][0];
                (
                    f["record"]["line"].as_u64().unwrap(),
                    field["line"].as_u64().unwrap(),
                    field["path"].as_str().unwrap_or("-").to_string(),
                    f["record"]["key"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        // F4's quoted cell spans two lines: its amount is on line 7, and F5 starts on line 8.
        let expected: Vec<(u64, u64, String, String)> =
            [(3, 3, "F2"), (5, 5, "F3"), (6, 7, "F4"), (8, 8, "F5")]
                .iter()
                .map(|(l, cell, k)| (*l, *cell, format!("R{l}C3"), k.to_string()))
                .collect();
        assert_eq!(found, expected, "{name}: {v}");
    }
}

#[test]
fn a_quote_left_open_stops_the_file_where_it_opens_and_loses_no_record_silently() {
    // `csv_core` would end the record at the end of the file and read the 2,000 lines after the
    // stray quote as one field. The file is read up to the record that opens it, and the error
    // says where the quote is and how far the file goes.
    let tmp = dir("unclosed");
    let d = tmp.path();
    let mut text = String::from(
        "项目编号,县（市、区）,金额,用途\nF1,甲,100万元,脱贫攻坚\nF2,乙,\"501万元,其他\n",
    );
    for i in 0..2_000 {
        text.push_str(&format!("G{i},丙,1万元,其他\n"));
    }
    let csv = d.join("funds.csv");
    std::fs::write(&csv, &text).unwrap();
    for jobs in ["1", "2"] {
        let (code, out, err) = run_json(
            &d.join("policy.gj"),
            &csv,
            &["--as-of", "2026-01-01", "--jobs", jobs],
        );
        assert_eq!(code, 2, "an unreadable file is exit code 2: {out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        // F1 is checked; reading stops at F2, as at any error that stops a file (exit code 2).
        assert_eq!(v["summary"]["records"], 1, "{v}");
        assert_eq!(v["summary"]["outcomes"]["pass"], 1, "{v}");
        let problems = v["input_problems"].as_array().unwrap();
        assert_eq!(problems.len(), 1, "{v}");
        assert_eq!(problems[0]["code"], "I0003");
        assert_eq!(problems[0]["level"], "error");
        assert_eq!(problems[0]["line"], 3);
        let en = problems[0]["message"]["en"].as_str().unwrap();
        assert!(
            en.contains("unclosed quote") && en.contains("line 3") && en.contains("(line 2003)"),
            "{en}"
        );
    }
    let (code, out, err) = run(&[
        "check",
        d.join("policy.gj").to_str().unwrap(),
        "--data",
        csv.to_str().unwrap(),
        "--lang",
        "zh",
        "--as-of",
        "2026-01-01",
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        out.contains("I0003") && out.contains("引号未闭合") && out.contains("第 2003 行"),
        "{out}"
    );
}

/// The relocation example saved as `.xlsx` the way a spreadsheet program saves it (every cell
/// that looks like a number becomes a number cell) gives the CSV's verdicts: the number fields
/// in base units (`int`, `人`, `元`, `m²`) were once read as missing from Excel, which turned
/// eight violations into unknowns with exit code 0.
#[test]
fn the_relocation_example_saved_as_xlsx_gives_the_csvs_verdicts() {
    let tmp = dir("relocation-xlsx");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let policy = root.join("policies/relocation-2016.gj");
    let csv_path = root.join("examples/relocation-2016/households.csv");
    let xlsx = tmp.path().join("households.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(&csv_path)
        .unwrap();
    let mut numbers = 0;
    for (r, row) in reader.records().enumerate() {
        for (c, cell) in row.unwrap().iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            let numeric =
                !cell.is_empty() && cell.bytes().all(|b| b.is_ascii_digit() || b == b'.') && r > 0;
            if numeric {
                ws.write_number(r, c, cell.parse::<f64>().unwrap()).unwrap();
                numbers += 1;
            } else if !cell.is_empty() {
                ws.write_string(r, c, cell).unwrap();
            }
        }
    }
    assert!(numbers > 50, "the roster has number cells: {numbers}");
    wb.save(&xlsx).unwrap();
    let extra = ["--as-of", "2017-12-31"];
    let (csv_code, csv_out, csv_err) = run_json(&policy, &csv_path, &extra);
    let (code, out, err) = run_json(&policy, &xlsx, &extra);
    assert_eq!(code, csv_code, "{err}{csv_err}");
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&csv_out).unwrap(),
        serde_json::from_str(&out).unwrap(),
    );
    assert_eq!(a["summary"]["outcomes"], b["summary"]["outcomes"], "{out}");
    // Nothing is unknown for want of a number: the only unknowns are 一户一档's, which reads the
    // archive checklist this run does not have.
    let by_rule = &b["summary"]["by_rule"];
    let unknown_rules: Vec<&String> = by_rule
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, o)| o["unknown"].as_u64() != Some(0))
        .map(|(r, _)| r)
        .collect();
    assert_eq!(
        unknown_rules,
        ["relocation_2016::one_archive_per_household"],
        "{out}"
    );
    let verdicts = |v: &serde_json::Value| -> Vec<(String, String, String)> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].to_string(),
                    f["record"]["key"].to_string(),
                    f["values"].to_string(),
                )
            })
            .collect()
    };
    assert_eq!(verdicts(&a), verdicts(&b));
    assert!(
        verdicts(&b)
            .iter()
            .any(|(rule, _, _)| rule.contains("per_capita_area")),
        "{out}"
    );
}

#[test]
fn an_endless_line_is_a_located_error_in_every_text_format() {
    // `/dev/zero` has no line break: each reader stops at its record limit with a located error
    // (exit 2) instead of reading until memory runs out, and the human report does not hang
    // looking for the line to show.
    let tmp = dir("zero");
    let d = tmp.path();
    for (ext, code) in [("csv", "I0023"), ("jsonl", "I0023"), ("json", "I0003")] {
        let data = d.join(format!("zero.{ext}"));
        std::os::unix::fs::symlink("/dev/zero", &data).unwrap();
        let (exit, out, err) = run_json(&d.join("policy.gj"), &data, &["--as-of", "2026-01-01"]);
        assert_eq!(exit, 2, "{ext}: {out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let p = &v["input_problems"][0];
        assert_eq!(
            (p["code"].as_str(), p["line"].as_u64()),
            (Some(code), Some(1)),
            "{ext}: {p}"
        );
        assert_eq!(p["level"], "error", "{ext}");
        let policy = d.join("policy.gj");
        let (exit, out, _) = run(&[
            "check",
            policy.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--color",
            "never",
        ]);
        assert_eq!(exit, 2, "{ext}");
        assert!(out.contains(code), "{ext}: {out}");
    }
    // A line over 16 MiB in a regular file, after a good row: the row is checked, then reading
    // stops at the long line.
    let data = d.join("long.csv");
    let mut text = String::from("项目编号,县（市、区）,金额,用途\nF1,甲,100,其他\nF2,");
    text.push_str(&"乙".repeat(6 << 20));
    text.push_str(",1,其他\n");
    std::fs::write(&data, text).unwrap();
    let (exit, v) = check_json(d, &data);
    assert_eq!(exit, 2);
    assert_eq!(v["summary"]["records"], 1, "{}", v["summary"]);
    assert_eq!(v["input_problems"][0]["code"], "I0023");
    assert_eq!(v["input_problems"][0]["line"], 3);
}

#[test]
fn a_huge_cell_is_unreadable_and_quoted_short() {
    // A cell over 1 MiB is an unreadable value at its cell; a long cell that is not a number is
    // quoted in 80 characters, not echoed whole.
    let tmp = dir("cell");
    let d = tmp.path();
    let data = d.join("funds.csv");
    let text = format!(
        "项目编号,县（市、区）,金额,用途\nF1,甲,{},其他\nF2,甲,{},其他\nF3,{},1,其他\n",
        "9".repeat(2 << 20),
        "x".repeat(500_000),
        "长".repeat(400_000),
    );
    std::fs::write(&data, text).unwrap();
    let (exit, out, _) = run_json(&d.join("policy.gj"), &data, &["--as-of", "2026-01-01"]);
    assert_eq!(exit, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        out.len() < 20_000,
        "the report echoes a cell: {} bytes",
        out.len()
    );
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 2, "{out}");
    assert!(
        f[0]["message"]["en"]
            .as_str()
            .unwrap()
            .contains("limit of 1 MiB"),
        "{}",
        f[0]
    );
    let shown = f[1]["fields"][0]["value"].as_str().unwrap();
    assert!(shown.contains(&format!("{}…", "x".repeat(80))), "{shown}");
    assert!(!shown.contains(&"x".repeat(81)), "{shown}");
    // F3's 1.2 MB county is a text no rule reads: F3 passes.
    assert_eq!(v["summary"]["outcomes"]["pass"], 1);
}
