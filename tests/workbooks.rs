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
  central decimal unit 万元 optional                "资金来源/中央"
  local   decimal unit 万元 optional                "资金来源/地方"
  paid    date optional                             "拨付日期"
}

rule paid_in_2017 "2017年内拨付" {
  cite line 3 "年内拨付"
  applies to fund where present(paid)
  require paid <= 2017-12-31
}

rule central_cap "中央资金不超过300万元" {
  cite line 4 "中央资金"
  applies to fund where present(central)
  require central <= 300万元
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
                        f["rule"]["name"].as_str().unwrap_or("").to_string(),
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

/// The `guiju check` commands of `examples/*/README.md`, as argument lists (after `guiju`).
fn example_commands() -> Vec<Vec<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut topics: Vec<_> = std::fs::read_dir(root.join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("README.md").is_file())
        .collect();
    topics.sort();
    let mut cmds = Vec::new();
    for t in topics {
        let readme = std::fs::read_to_string(t.join("README.md")).unwrap();
        cmds.extend(common::readme_commands(&readme));
    }
    cmds
}

/// A CSV submission as an office would save it as a workbook: a 填表说明 sheet first, then the
/// data on a sheet of its own under a title row and a blank row; numbers as number cells, dates
/// as date cells, the rest as text. Returns the sheet row of the header (1-based).
fn csv_to_workbook(csv_path: &Path, xlsx_path: &Path) -> u32 {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let notes = wb.add_worksheet().set_name("填表说明").unwrap();
    notes.write_string(0, 0, "填表说明").unwrap();
    notes
        .write_string(1, 0, "一、每户一行；金额以元为单位。")
        .unwrap();
    let data = wb.add_worksheet().set_name("数据").unwrap();
    data.write_string(0, 0, "2016年易地扶贫搬迁台账（示例）")
        .unwrap();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(csv_path)
        .unwrap();
    let header_row = 2u32;
    for (r, rec) in reader.records().enumerate() {
        let rec = rec.unwrap();
        let row = header_row + r as u32;
        for (c, text) in rec.iter().enumerate() {
            let c = c as u16;
            let t = text.trim();
            let is_plain_number = r > 0
                && !t.is_empty()
                && t.len() < 15
                && t.trim_start_matches('-')
                    .chars()
                    .all(|ch| ch.is_ascii_digit() || ch == '.')
                && !t.starts_with('.')
                && !t.ends_with('.')
                && t.matches('.').count() <= 1
                // An identifier with leading zeros (`007`) is text.
                && !(t.len() > 1 && t.starts_with('0') && !t.starts_with("0."));
            let is_date = r > 0
                && t.len() == 10
                && t.as_bytes()[4] == b'-'
                && t.as_bytes()[7] == b'-'
                && ExcelDateTime::parse_from_str(t).is_ok();
            if is_plain_number && t.parse::<f64>().is_ok() {
                data.write_number(row, c, t.parse::<f64>().unwrap())
                    .unwrap();
            } else if is_date {
                data.write_datetime_with_format(
                    row,
                    c,
                    ExcelDateTime::parse_from_str(t).unwrap(),
                    &date,
                )
                .unwrap();
            } else if !text.is_empty() {
                data.write_string(row, c, text).unwrap();
            }
        }
    }
    wb.save(xlsx_path).unwrap();
    header_row + 1
}

/// `R5C2` (a CSV cell) as the workbook cell the same value lands in (`B7`, two rows lower).
fn workbook_cell(csv_cell: &str, shift: u32) -> Option<String> {
    let (r, c) = csv_cell.strip_prefix('R')?.split_once('C')?;
    let (r, c): (u32, u32) = (r.parse().ok()?, c.parse().ok()?);
    let mut n = c;
    let mut name = Vec::new();
    while n > 0 {
        name.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    name.reverse();
    Some(format!("{}{}", String::from_utf8(name).ok()?, r + shift))
}

#[test]
fn every_example_submission_reads_from_a_workbook_as_from_its_csv() {
    let tmp = tempfile::Builder::new()
        .prefix("guiju-workbooks-examples-")
        .tempdir()
        .unwrap();

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut converted = 0;
    for cmd in example_commands() {
        let mut csv_args: Vec<String> = cmd.iter().skip(1).cloned().collect();
        csv_args.extend(["--format", "json"].map(String::from));
        let mut xlsx_args = csv_args.clone();
        let mut shift = 0;
        for a in xlsx_args.iter_mut() {
            let (ty, path) = match a.split_once('=') {
                Some((t, p)) if p.ends_with(".csv") => (Some(t.to_string()), p.to_string()),
                _ if a.ends_with(".csv") => (None, a.clone()),
                _ => continue,
            };
            converted += 1;
            let out = tmp.path().join(format!("{converted}.xlsx"));
            let header = csv_to_workbook(&root.join(&path), &out);
            shift = header - 1;
            let out = out.to_string_lossy().into_owned();
            *a = match ty {
                Some(t) => format!("{t}={out}"),
                None => out,
            };
        }
        let run = |args: &[String]| {
            let cwd_args: Vec<String> = std::iter::once("guiju".to_string())
                .chain(args.iter().map(|a| {
                    // Paths in the READMEs are relative to the repository.
                    if a.starts_with("policies/") || a.starts_with("examples/") {
                        root.join(a).to_string_lossy().into_owned()
                    } else if let Some((t, p)) = a.split_once('=') {
                        if p.starts_with("examples/") {
                            format!("{t}={}", root.join(p).to_string_lossy())
                        } else {
                            a.clone()
                        }
                    } else {
                        a.clone()
                    }
                }))
                .collect();
            let (code, out, err) = run_argv(cwd_args);
            let v: serde_json::Value = serde_json::from_str(&out)
                .unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}\n{err}"));
            (code, v, err)
        };
        let (c1, v1, e1) = run(&csv_args);
        let (c2, v2, e2) = run(&xlsx_args);
        assert_eq!(c1, c2, "{xlsx_args:?}\n{e1}\n{e2}");
        assert_eq!(verdicts(&v1), verdicts(&v2), "{xlsx_args:?}");
        assert_eq!(
            v1["summary"]["outcomes"], v2["summary"]["outcomes"],
            "{xlsx_args:?}"
        );
        assert_eq!(
            v1["summary"]["records"], v2["summary"]["records"],
            "{xlsx_args:?}"
        );
        assert_eq!(
            v2["summary"]["input_warnings"], v1["summary"]["input_warnings"],
            "{xlsx_args:?}: {}",
            v2["input_problems"]
        );
        // Each finding is located in the workbook's own terms: its sheet, and each field at the
        // cell its CSV value is in, two rows lower (the title row and the blank row).
        for (f1, f2) in v1["findings"]
            .as_array()
            .unwrap()
            .iter()
            .zip(v2["findings"].as_array().unwrap())
        {
            let in_workbook = f2["record"]["file"]
                .as_str()
                .is_some_and(|f| f.ends_with(".xlsx"));
            if !in_workbook {
                continue;
            }
            if f2["record"]["group"].is_null() {
                assert_eq!(f2["record"]["sheet"], "数据", "{f2}");
            }
            for (a, b) in f1["fields"]
                .as_array()
                .unwrap()
                .iter()
                .zip(f2["fields"].as_array().unwrap())
            {
                if let Some(cell) = a["path"].as_str().and_then(|p| workbook_cell(p, shift)) {
                    assert_eq!(b["path"].as_str(), Some(cell.as_str()), "{f1}\n{f2}");
                }
            }
        }
    }
    assert!(
        converted >= 24,
        "only {converted} CSV submissions converted"
    );
}

/// A workbook of `sheets`, each a name and rows of cells (`None`: no cell; a number is written
/// as a number cell, anything else as text).
fn workbook(path: &Path, sheets: &[(&str, Vec<Vec<Option<Cell>>>)]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet().set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    Some(Cell::T(t)) => {
                        ws.write_string(r, c, *t).unwrap();
                    }
                    Some(Cell::N(n)) => {
                        ws.write_number(r, c, *n).unwrap();
                    }
                    None => {}
                }
            }
        }
    }
    wb.save(path).unwrap();
}

#[derive(Clone, Copy)]
enum Cell {
    T(&'static str),
    N(f64),
}
use Cell::{N, T};

/// The form of `fund` as a county office lays it out: an instructions sheet first; on the data
/// sheet a title and a note above the header, units in the header, a heading merged over two
/// rows, a totals row and a blank row among the records.
fn county_form(path: &Path) {
    county_form_totalling(path, 600.0);
}

/// `county_form` whose totals row gives `central` as the sum of `资金来源/中央`.
fn county_form_totalling(path: &Path, central: f64) {
    workbook(
        path,
        &[
            (
                "填表说明",
                vec![
                    vec![Some(T("填表说明"))],
                    vec![Some(T("一、金额以元为单位。"))],
                ],
            ),
            (
                "资金",
                vec![
                    vec![Some(T("2017年统筹整合资金台账"))],
                    vec![Some(T("填报单位：渑池县扶贫办"))],
                    vec![
                        Some(T("项目编号")),
                        Some(T("县（市、区）")),
                        Some(T("金额（元）")),
                        Some(T("自筹比例")),
                        Some(T("用途")),
                        Some(T("资金来源")),
                        None,
                        Some(T("拨付日期")),
                    ],
                    vec![
                        None,
                        None,
                        None,
                        None,
                        None,
                        Some(T("中央")),
                        Some(T("地方")),
                    ],
                    vec![
                        Some(T("F1")),
                        Some(T("渑池县")),
                        Some(N(3_000_000.0)),
                        Some(T("60%")),
                        Some(T("脱贫攻坚")),
                        Some(N(200.0)),
                        Some(N(100.0)),
                        Some(N(42916.0)),
                    ],
                    vec![
                        Some(T("F2")),
                        Some(T("渑池县")),
                        Some(N(6_000_000.0)),
                        Some(T("50%")),
                        Some(T("其他")),
                        Some(N(400.0)),
                        Some(N(200.0)),
                        Some(T("2018年1月5日")),
                    ],
                    vec![],
                    vec![
                        Some(T("合计")),
                        None,
                        Some(N(9_000_000.0)),
                        None,
                        None,
                        Some(N(central)),
                        Some(N(300.0)),
                    ],
                ],
            ),
        ],
    );
}

#[test]
fn a_county_form_is_read_under_its_title_with_its_units_merged_heading_and_totals() {
    let tmp = dir("form");
    let d = tmp.path();
    county_form(&d.join("台账.xlsx"));
    let (code, v, err) = check(d, "台账.xlsx", &[]);
    assert_eq!(code, 1, "{err}\n{v}");
    // `金额（元）` 6,000,000 is 600万元 (over 500万元); `资金来源/中央` 400 is 400万元; the date
    // serial 42916 is 2017-06-30 and `2018年1月5日` is late. The totals row is no record.
    assert_eq!(
        verdicts(&v),
        vec![
            ("paid_in_2017".into(), "F2".into(), "fail".into()),
            ("central_cap".into(), "F2".into(), "fail".into()),
            ("cap".into(), "F2".into(), "fail".into()),
        ],
        "{v}"
    );
    assert_eq!(v["summary"]["records"], 2, "{v}");
    assert_eq!(v["summary"]["skipped"], 1, "{v}");
    assert_eq!(v["summary"]["input_warnings"], 0, "{}", v["input_problems"]);
    let f = &v["findings"][2];
    assert_eq!(f["record"]["sheet"], "资金", "{f}");
    assert_eq!(f["record"]["cell"], "A6", "{f}");
    assert_eq!(f["fields"][0]["path"], "C6", "{f}");
    common::assert_accounted(&v, "county form");

    // The sheet may be named; a sheet that is not there is exit 2, with its name.
    let (code, v2, _) = check(d, "台账.xlsx#资金", &[]);
    assert_eq!((code, verdicts(&v2)), (1, verdicts(&v)));
    let (code, v3, err) = check(d, "台账.xlsx#没有", &[]);
    assert_eq!(code, 2, "{err}");
    let problems = v3["input_problems"].to_string();
    assert!(
        problems.contains("I0025") && problems.contains("没有"),
        "{v3}"
    );
}

/// `county_form` as a CSV saved from it: the same title, note, two-row heading and totals row.
const COUNTY_FORM_CSV: &str = "2017年统筹整合资金台账,,,,,,,
填报单位：渑池县扶贫办,,,,,,,
项目编号,县（市、区）,金额（元）,自筹比例,用途,资金来源,,拨付日期
,,,,,中央,地方,
F1,渑池县,3000000,60%,脱贫攻坚,200,100,2017-06-30
F2,渑池县,6000000,50%,其他,400,200,2018年1月5日
合  计,,9000000,,,CENTRAL,300,
";

#[test]
fn totals_rows_are_checked_against_their_rows_in_a_workbook_and_in_a_csv() {
    let tmp = dir("totals");
    let d = tmp.path();
    let policy = POLICY
        .replace(
            "amount  decimal unit 万元 ",
            "amount  decimal unit 万元 total ",
        )
        .replace(
            "central decimal unit 万元 optional ",
            "central decimal unit 万元 optional total ",
        )
        .replace(
            "local   decimal unit 万元 optional ",
            "local   decimal unit 万元 optional total ",
        );
    assert_eq!(policy.matches(" total ").count(), 3);
    std::fs::write(d.join("policy.gj"), policy).unwrap();
    for (central, right) in [(600.0, true), (650.0, false)] {
        county_form_totalling(&d.join("台账.xlsx"), central);
        std::fs::write(
            d.join("台账.csv"),
            COUNTY_FORM_CSV.replace("CENTRAL", &central.to_string()),
        )
        .unwrap();
        let (xcode, x, xerr) = check(d, "台账.xlsx", &[]);
        let (ccode, c, cerr) = check(d, "台账.csv", &[]);
        // The same records and verdicts from either: the totals row is no record.
        assert_eq!(
            verdicts(&x),
            verdicts(&c),
            "{x}
{c}"
        );
        assert_eq!(verdicts(&x).len(), 3, "{x}");
        for v in [&x, &c] {
            assert_eq!(v["summary"]["records"], 2, "{v}");
            assert_eq!(v["summary"]["skipped"], 1, "{v}");
            common::assert_accounted(v, "county form totals");
        }
        let mismatches = |v: &serde_json::Value| -> Vec<serde_json::Value> {
            v["input_problems"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["code"] == "I0026")
                .cloned()
                .collect()
        };
        if right {
            assert!(
                mismatches(&x).is_empty() && mismatches(&c).is_empty(),
                "{x}
{c}"
            );
            assert!(x["summary"].get("total_mismatches").is_none(), "{x}");
        } else {
            // 650 万元 where the rows add up to 600 万元: an error at the cell, exit code 1 (as
            // the failing rules make it anyway), in either file's own terms.
            let (xm, cm) = (mismatches(&x), mismatches(&c));
            assert_eq!(
                (xm.len(), cm.len()),
                (1, 1),
                "{x}
{c}"
            );
            assert_eq!(xm[0]["level"], "error");
            assert_eq!(
                xm[0]["message"]["zh"],
                "工作表 资金!F8：合计行的 `资金来源/中央` 为 650 万元，而其上 2 行之和为 600 万元",
                "{xerr}"
            );
            assert_eq!(
                cm[0]["message"]["zh"],
                "合计行的 `资金来源/中央` 为 650 万元，而其上 2 行之和为 600 万元",
                "{cerr}"
            );
            assert_eq!(
                (cm[0]["line"].as_u64(), cm[0]["column"].as_u64()),
                (Some(7), Some(17))
            );
            assert_eq!(x["summary"]["total_mismatches"], 1);
            assert_eq!(c["summary"]["total_mismatches"], 1);
        }
        assert_eq!((xcode, ccode), (1, 1));
    }
}

#[test]
fn a_totals_row_alone_fails_the_run() {
    // Rules that all pass, a total that does not add up: exit code 1, not 0.
    let tmp = dir("total-alone");
    let d = tmp.path();
    std::fs::write(
        d.join("policy.gj"),
        "policy t \"t\"\nrecord row \"行\" {\n  id text key \"编号\"\n  n int total \"人数\"\n}\nrule r \"r\" {\n  cite line 1 \"t\"\n  applies to row\n  require n >= 0\n}\n",
    )
    .unwrap();
    std::fs::write(d.join("a.csv"), "编号,人数\nA,1\nB,2\n合计,4\n").unwrap();
    let (code, v, err) = check(d, "a.csv", &[]);
    assert_eq!(code, 1, "{err}\n{v}");
    assert_eq!(v["summary"]["failing_errors"], 0);
    assert_eq!(v["summary"]["total_mismatches"], 1);
    std::fs::write(d.join("a.csv"), "编号,人数\nA,1\nB,2\n合计,3\n").unwrap();
    let (code, v, err) = check(d, "a.csv", &[]);
    assert_eq!(code, 0, "{err}\n{v}");
}

#[test]
fn a_workbook_whose_header_names_no_field_is_not_read() {
    let tmp = dir("no-header");
    let d = tmp.path();
    workbook(
        &d.join("a.xlsx"),
        &[(
            "Sheet1",
            vec![
                vec![Some(T("a")), Some(T("b")), Some(T("c"))],
                vec![Some(T("F1")), Some(N(3.0)), Some(T("x"))],
            ],
        )],
    );
    let (code, v, err) = check(d, "a.xlsx", &["--lang", "zh"]);
    assert_eq!(code, 2, "{err}\n{v}");
    let problems = v["input_problems"].to_string();
    // The help names the labels the header should have.
    assert!(
        problems.contains("I0025") && problems.contains("项目编号"),
        "{v}"
    );
}

#[test]
fn a_percent_column_of_fractions_is_read_as_written_with_a_warning() {
    let tmp = dir("percent");
    let d = tmp.path();
    workbook(
        &d.join("p.xlsx"),
        &[(
            "资金",
            vec![
                vec![
                    Some(T("项目编号")),
                    Some(T("县（市、区）")),
                    Some(T("金额")),
                    Some(T("自筹比例")),
                    Some(T("用途")),
                ],
                vec![
                    Some(T("F1")),
                    Some(T("渑池县")),
                    Some(N(300.0)),
                    Some(N(0.6)),
                    Some(T("其他")),
                ],
                vec![
                    Some(T("F2")),
                    Some(T("渑池县")),
                    Some(N(300.0)),
                    Some(N(0.5)),
                    Some(T("其他")),
                ],
            ],
        )],
    );
    let (code, v, err) = check(d, "p.xlsx", &[]);
    // 0.6 is 0.6%, under 50%: read as written, and said.
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        verdicts(&v),
        vec![
            ("own".into(), "F1".into(), "fail".into()),
            ("own".into(), "F2".into(), "fail".into()),
        ],
        "{v}"
    );
    let problems = v["input_problems"].to_string();
    assert!(
        problems.contains("I0024") && problems.contains("自筹比例"),
        "{v}"
    );
}

#[test]
fn a_csv_header_with_a_unit_reads_its_numbers_in_that_unit() {
    let tmp = dir("csv-units");
    let d = tmp.path();
    std::fs::write(
        d.join("f.csv"),
        "项目编号,县（市、区）,金额（元）,自筹比例（%）,用途\nF1,渑池县,3000000,60,脱贫攻坚\nF2,渑池县,6000000,50,其他\nF3,渑池县,450万元,40,其他\n",
    )
    .unwrap();
    let (code, v, err) = check(d, "f.csv", &[]);
    assert_eq!(code, 1, "{err}");
    // 6,000,000 元 is 600万元 (over 500万元); F3 keeps its own unit; 40 in a `（%）` column is 40%.
    assert_eq!(
        verdicts(&v),
        vec![
            ("cap".into(), "F2".into(), "fail".into()),
            ("own".into(), "F3".into(), "fail".into()),
        ],
        "{v}"
    );
    assert_eq!(v["summary"]["input_warnings"], 0, "{}", v["input_problems"]);
    // Located at the cell, as any CSV field is.
    assert_eq!(v["findings"][0]["fields"][0]["path"], "R3C3", "{v}");

    // A unit that does not fit the field makes the column's cells unreadable, never a guess.
    std::fs::write(
        d.join("g.csv"),
        "项目编号,县（市、区）,金额（亩）,自筹比例,用途\nF1,渑池县,300,60%,脱贫攻坚\n",
    )
    .unwrap();
    let (code, v, err) = check(d, "g.csv", &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        verdicts(&v),
        vec![("cap".into(), "F1".into(), "unknown".into())],
        "{v}"
    );
    assert!(
        v["findings"][0]["message"].to_string().contains("亩"),
        "{v}"
    );
}

#[test]
fn a_defaulted_column_left_out_of_a_workbook_is_said() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/optional-defaults");
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(case.join("policy.gj"), d.path().join("policy.gj")).unwrap();
    let xlsx = d.path().join("no-column.xlsx");
    csv_to_workbook(&case.join("no-column.csv"), &xlsx);
    let (code, v, err) = check(d.path(), "no-column.xlsx", &[]);
    assert_eq!(code, 1, "{err}");
    let problems = v["input_problems"].as_array().cloned().unwrap_or_default();
    let said = problems
        .iter()
        .find(|p| p["code"] == "I0029")
        .unwrap_or_else(|| panic!("no I0029 in {problems:?}"));
    assert!(
        said["message"]["en"]
            .as_str()
            .unwrap_or("")
            .contains("no column for 同步搬迁户 (default false)"),
        "{said}"
    );
    // The default is still applied: household A (not registered, not marked 同步搬迁户) fails.
    assert!(verdicts(&v).contains(&("eligibility".into(), "A".into(), "fail".into())));
}
