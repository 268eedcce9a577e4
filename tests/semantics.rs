//! Unit-level behaviour of the checker and the evaluator, through the library's public API.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use guiju::check::{compile, compile_str, MemoryResolver};
use guiju::eval::examples::run_examples;
use guiju::eval::Engine;
use guiju::syntax::ast::Outcome;
use guiju::value::{Record, Value};
use std::collections::HashMap;

const HEADER: &str = "policy t \"测试\"\n  document \"三政办〔2017〕28号\"\n";

/// Compiles a policy with examples and asserts every expectation holds.
fn examples_hold(body: &str) {
    let c = compile_str("t.gj", &format!("{HEADER}{body}"));
    let msgs: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code, d.message.en))
        .collect();
    let p = c
        .program
        .unwrap_or_else(|| panic!("does not compile: {msgs:?}"));
    let as_of = chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
    let mut n = 0;
    for r in run_examples(&p, as_of) {
        n += r.expectations;
        if let Some(u) = r.unmet.first() {
            let x = &p.examples[r.example].expects[u.expectation];
            let seen: Vec<String> = u
                .seen
                .iter()
                .map(|s| format!("{} {:?}", s.who, s.outcome))
                .collect();
            panic!(
                "{}: expected {} {:?}, saw {seen:?}",
                p.examples[r.example].name, p.rules[x.rule].id, x.outcome
            );
        }
    }
    assert!(n > 0, "no expectations ran");
}

const HOUSEHOLD: &str = r#"
record household "搬迁户" {
  id         text key          "户编号"
  members    int unit 人       "家庭人口"
  floor_area decimal unit m²   "住房建筑面积"
  subsidy    decimal unit 元 optional "补助"
  kind       enum { new_build "新建", repurchase "回购" } optional "房源"
}
"#;

// ------------------------------------------------------------------ checker
// The checker's diagnostics are tested by the fixtures in tests/check/ (tests/check.rs).

#[test]
fn a_cycle_of_use_is_an_error() {
    let mut files = HashMap::new();
    files.insert(
        "a.gj".to_string(),
        "policy a \"a\"\nuse \"b.gj\"\n".to_string(),
    );
    files.insert(
        "b.gj".to_string(),
        "policy b \"b\"\nuse \"a.gj\"\n".to_string(),
    );
    let c = compile(
        vec![("a.gj".into(), files["a.gj"].clone())],
        &MemoryResolver(files),
    );
    assert_eq!(
        c.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(),
        vec!["E0301"]
    );
    assert!(c.diagnostics[0].message.en.contains("a.gj → b.gj → a.gj"));
}

// ------------------------------------------------------------------ evaluator

#[test]
fn per_capita_area_is_exact() {
    examples_hold(&format!(
        "{HOUSEHOLD}rule r \"人均不超过25平方米\" {{\n cite line 1 \"q\"\n applies to household\n let per = floor_area / members\n require per <= 25 m²\n}}\n\
         example \"e\" {{\n household {{ id: \"A\", members: 4, floor_area: 100 m² }}\n household {{ id: \"B\", members: 4, floor_area: 100.01 m² }}\n household {{ id: \"C\", members: 3, floor_area: 75 m² }}\n household {{ id: \"D\", members: missing, floor_area: 75 m² }}\n household {{ id: \"E\", members: 0, floor_area: 75 m² }}\n\
          expect r pass for \"A\"\n expect r fail for \"B\"\n expect r pass for \"C\"\n expect r unknown for \"D\"\n expect r unknown for \"E\"\n}}\n"
    ));
}

#[test]
fn chinese_bound_words_have_fixed_inclusivity() {
    let rules = [
        ("不超过", "pass"),
        ("以内", "pass"),
        ("超过", "fail"),
        ("不低于", "pass"),
        ("不少于", "pass"),
        ("低于", "fail"),
        ("未达到", "fail"),
        ("不满", "fail"),
        ("以上", "pass"),
        ("以下", "pass"),
    ];
    for (word, outcome) in rules {
        let cond = match word {
            "以内" | "以上" | "以下" => format!("floor_area 在 25平方米 {word}"),
            _ => format!("floor_area{word}25平方米"),
        };
        let body = format!(
            "{HOUSEHOLD}rule r \"r\" {{\n cite line 1 \"q\"\n applies to household\n require {cond}\n}}\n\
             example \"exactly the bound\" {{\n household {{ id: \"A\", members: 1, floor_area: 25 m² }}\n expect r {outcome}\n}}\n"
        );
        examples_hold(&body);
    }
}

#[test]
fn a_known_failure_decides_even_when_another_requirement_is_unknown() {
    examples_hold(&format!(
        "{HOUSEHOLD}rule r \"r\" {{\n cite line 1 \"q\"\n applies to household\n require floor_area <= 25 m²\n require subsidy >= 1 元\n}}\n\
         rule s \"s\" {{\n cite line 1 \"q\"\n applies to household\n require floor_area <= 25 m² or subsidy >= 1 元\n}}\n\
         example \"e\" {{\n household {{ id: \"A\", members: 1, floor_area: 30 m² }}\n household {{ id: \"B\", members: 1, floor_area: 20 m² }}\n\
          expect r fail for \"A\"\n expect r unknown for \"B\"\n expect s unknown for \"A\"\n expect s pass for \"B\"\n}}\n"
    ));
}

#[test]
fn an_exception_exempts_a_failing_record() {
    examples_hold(&format!(
        "{HOUSEHOLD}rule r \"r\" {{\n cite line 1 \"q\"\n applies to household\n require floor_area / members <= 25 m²\n unless kind == repurchase\n}}\n\
         example \"e\" {{\n household {{ id: \"A\", members: 1, floor_area: 30 m², kind: repurchase }}\n household {{ id: \"B\", members: 1, floor_area: 30 m², kind: new_build }}\n household {{ id: \"C\", members: 1, floor_area: 30 m² }}\n\
          expect r exempt for \"A\"\n expect r fail for \"B\"\n expect r unknown for \"C\"\n}}\n"
    ));
}

#[test]
fn approximate_equality_reads_the_printed_precision_in_its_own_unit() {
    examples_hold(
        "record fig \"数字\" {\n  id text key \"项\"\n  rate decimal unit % \"比率\"\n  part int unit 件 \"分子\"\n  whole int unit 件 \"分母\"\n  big decimal unit 亿元 \"金额\"\n  exact decimal unit 亿元 \"精确\"\n}\n\
         rule r \"r\" {\n cite line 1 \"q\"\n applies to fig\n require rate ≈ part / whole\n}\n\
         rule m \"m\" {\n cite line 1 \"q\"\n applies to fig\n require big ≈ exact\n}\n\
         example \"e\" {\n fig { id: \"A\", rate: 69.23%, part: 36, whole: 52, big: 17.21亿元, exact: 17.2098亿元 }\n fig { id: \"B\", rate: 74%, part: 31, whole: 43, big: 17.22亿元, exact: 17.2098亿元 }\n fig { id: \"C\", rate: 74.99%, part: 30, whole: 40, big: 1亿元, exact: 1亿元 }\n\
          expect r pass for \"A\"\n expect r fail for \"B\"\n expect r fail for \"C\"\n expect m pass for \"A\"\n expect m fail for \"B\"\n}\n",
    );
}

#[test]
fn half_of_a_county_funds_passes_exactly() {
    examples_hold(
        "record fund \"资金\" {\n  id text key \"编号\"\n  county text \"县\"\n  amount decimal unit 万元 \"金额\"\n  purpose enum { poverty \"脱贫攻坚\", other \"其他\" } \"用途\"\n}\n\
         rule half \"50%以上\" {\n cite line 1 \"q\"\n applies to fund grouped by county\n require sum(amount where purpose == poverty) >= 50% * sum(amount)\n}\n\
         example \"e\" {\n fund { id: \"1\", county: \"甲\", amount: 50万元, purpose: poverty }\n fund { id: \"2\", county: \"甲\", amount: 500000元, purpose: other }\n\
          fund { id: \"3\", county: \"乙\", amount: 49.99万元, purpose: poverty }\n fund { id: \"4\", county: \"乙\", amount: 50.01万元, purpose: other }\n\
          expect half pass for \"甲\"\n expect half fail for \"乙\"\n}\n",
    );
}

#[test]
fn durations_of_one_measure_compare_add_and_divide_exactly() {
    // Hours, days and weeks are one measure; months and years another. Each requirement fails
    // on the old reading: the amounts compared without their units (72 > 3), added without them
    // (1 + 4 = 5), or `/` read as `-`.
    examples_hold(
        "record span \"时段\" {\n  id text key \"编号\"\n  from datetime \"起\"\n  to datetime \"止\"\n  start date \"起日\"\n  end date \"止日\"\n}\n\
         rule hours_in_days \"3日内\" {\n cite line 1 \"q\"\n applies to span\n require to - from <= 3 days\n}\n\
         rule equal \"72小时即3日\" {\n cite line 1 \"q\"\n applies to span\n require to - from == 3 days\n}\n\
         rule sum \"1日4小时\" {\n cite line 1 \"q\"\n applies to span\n require to - from <= 1 day + 4 hours\n}\n\
         rule weeks \"两周\" {\n cite line 1 \"q\"\n applies to span\n require (end - start) / 1 week == 2\n}\n\
         rule years \"一年半\" {\n cite line 1 \"q\"\n applies to span\n require (1 year + 6 months) / 1 month == 18 and 1 year / 1 month == 12\n}\n\
         rule branches \"48小时或3日\" {\n cite line 1 \"q\"\n applies to span\n let limit = if end > start then 48 hours else 3 days\n require from + limit >= to\n}\n\
         example \"e\" {\n span { id: \"A\", from: 2024-03-01T09:00, to: 2024-03-04T09:00, start: 2024-03-01, end: 2024-03-15 }\n\
          span { id: \"B\", from: 2024-03-01T09:00, to: 2024-03-04T09:01, start: 2024-03-01, end: 2024-03-14 }\n\
          span { id: \"C\", from: 2024-03-01T09:00, to: 2024-03-02T13:00, start: 2024-03-01, end: 2024-03-01 }\n\
          expect hours_in_days pass for \"A\"\n expect hours_in_days fail for \"B\"\n\
          expect equal pass for \"A\"\n expect equal fail for \"B\"\n\
          expect sum fail for \"A\"\n expect sum pass for \"C\"\n\
          expect weeks pass for \"A\"\n expect weeks fail for \"B\"\n\
          expect years pass for \"A\"\n\
          expect branches fail for \"A\"\n expect branches pass for \"C\"\n}\n",
    );
}

#[test]
fn durations_of_two_measures_are_refused() {
    for (body, word) in [
        (
            "require (end - start) / 1 month <= 1",
            "cannot be divided by",
        ),
        ("require end - start <= 1 year", "cannot compare"),
        ("require end - start <= 3 working days", "cannot compare"),
        ("require end - start + 1 month > 0 days", "cannot compute"),
    ] {
        let c = compile_str(
            "t.gj",
            &format!("{HEADER}record span \"时段\" {{\n  id text key \"编号\"\n  start date \"起日\"\n  end date \"止日\"\n}}\nrule r \"r\" {{\n cite line 1 \"q\"\n applies to span\n {body}\n}}\n"),
        );
        let msgs: Vec<String> = c
            .diagnostics
            .iter()
            .map(|d| format!("{} {}", d.code, d.message.en))
            .collect();
        assert!(c.program.is_none(), "{body}: compiled");
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("E0201") && m.contains(word)),
            "{body}: {msgs:?}"
        );
    }
}

#[test]
fn a_where_may_name_the_rules_lets() {
    examples_hold(
        "record span \"时段\" {\n  id text key \"编号\"\n  start date \"起日\"\n  end date optional \"止日\"\n  done bool \"办结\"\n}\n\
         rule r \"超过一周须办结\" {\n cite line 1 \"q\"\n applies to span where long\n let taken = end - start\n let long = taken > 7 days\n require done\n}\n\
         example \"e\" {\n span { id: \"A\", start: 2024-03-01, end: 2024-03-09, done: false }\n span { id: \"B\", start: 2024-03-01, end: 2024-03-08, done: false }\n\
          span { id: \"C\", start: 2024-03-01, end: 2024-03-09, done: true }\n span { id: \"D\", start: 2024-03-01, done: false }\n\
          expect r fail for \"A\"\n expect r not_applicable for \"B\"\n expect r pass for \"C\"\n expect r unknown for \"D\"\n}\n",
    );
}

#[test]
fn deadlines_are_pending_until_they_pass() {
    let body = "record op \"意见\" {\n  id text key \"编号\"\n  received date \"收到\"\n  reported date optional \"报告\"\n}\n\
         rule r \"九十日内\" {\n cite line 1 \"q\"\n applies to op\n require reported <= received + 九十日\n}\n";
    examples_hold(&format!("{body}example \"before\" {{\n as_of 2024-10-07\n op {{ id: \"A\", received: 2024-07-04 }}\n expect r pending\n}}\n"));
    examples_hold(&format!("{body}example \"on the day\" {{\n as_of 2024-10-08\n op {{ id: \"A\", received: 2024-07-04 }}\n expect r fail\n}}\n"));
}

#[test]
fn the_engine_explains_a_failure_with_its_numbers() {
    let c = compile_str(
        "t.gj",
        &format!("{HEADER}{HOUSEHOLD}rule r \"r\" {{\n cite line 1 \"q\"\n applies to household\n let per_capita = floor_area / members\n require per_capita <= 25 m²\n message en \"per capita {{per_capita}}\"\n}}\n"),
    );
    let p = c.program.unwrap();
    let engine = Engine::new(&p, chrono::NaiveDate::from_ymd_opt(2017, 6, 30).unwrap());
    let rec = Record {
        ty: p.record_type("household").unwrap(),
        values: vec![
            Value::Text("H".into()),
            Value::Num(5.into()),
            Value::Num(160.into()),
            Value::Missing,
            Value::Missing,
        ],
        loc: Default::default(),
    };
    let mut vs = Vec::new();
    engine.check_record(&rec, &mut |v| vs.push(v));
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0].outcome, Outcome::Fail);
    let ex = vs[0].explanation.as_ref().unwrap();
    assert_eq!(
        ex.reasons[0].en,
        "floor_area 160 m² / members 5人 = 32 m² > 25 m²"
    );
    assert_eq!(ex.message.en, "per capita 32 m²");
    assert_eq!(ex.fields, vec![1, 2]);
}

#[test]
fn a_group_whose_key_is_missing_is_unknown_and_reported() {
    let policy = "policy t \"t\"\n  document \"x\"\nrecord fund \"资金\" {\n  id text key \"编号\"\n  county text \"县\"\n  amount decimal unit 万元 \"金额\"\n}\n\
                  rule cap \"每县合计不超过100万元\" {\n cite line 1 \"q\"\n applies to fund grouped by county\n require sum(amount) <= 100万元\n}\n";
    let tmp = tempfile::Builder::new()
        .prefix("guiju-missing-key-")
        .tempdir()
        .unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("p.gj"), policy).unwrap();
    std::fs::write(dir.join("f.csv"), "编号,县,金额\nF1,甲,10\nF2,,10\n").unwrap();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let (p, f) = (dir.join("p.gj"), dir.join("f.csv"));
    let args = [
        "guiju",
        "check",
        p.to_str().unwrap(),
        "--data",
        f.to_str().unwrap(),
        "--format",
        "json",
    ];
    let code = guiju::cli::run(
        args.iter().map(|s| s.to_string()).collect(),
        &mut out,
        &mut err,
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["summary"]["outcomes"]["pass"], 1);
    assert_eq!(v["summary"]["outcomes"]["unknown"], 1);
    assert_eq!(v["findings"][0]["outcome"], "unknown");
    assert_eq!(
        v["findings"][0]["message"]["en"],
        "cannot be decided: the grouping field `县` is missing"
    );
}

/// Constants are folded by the checker with the calendar the rules use: working days skip the
/// 2023 National Day holiday and count its 调休 Saturday, a month from Jan 31 ends on the last day
/// of February, and a value in an example may itself be a date moved by a period.
#[test]
fn constants_are_folded_with_the_policys_calendar() {
    examples_hold(
        r#"
const RECEIVED = 2023-09-28
const DUE = RECEIVED + 3 working days
const MONTH_END = 2024-01-31 + 1 months
const CAP = 500 万元 / 4
record act "事项" {
  id    text key "编号"
  done  date     "办结日期"
  spent decimal unit 元 "金额"
}
rule on_time "按期办结" {
  cite "三个工作日内办结"
  applies to act
  require done <= DUE
}
rule by_month_end "月底前办结" {
  cite "一个月内办结"
  applies to act
  require done <= MONTH_END
}
rule within_cap "不超过125万元" {
  cite "不超过125万元"
  applies to act
  require spent <= CAP
}
example "the third working day after 2023-09-28 is 2023-10-09" {
  act { id: "A1", done: 2023-10-09, spent: 1250000 元 }
  act { id: "A2", done: 2023-10-10, spent: 1250000.01 元 }
  act { id: "A3", done: RECEIVED + 2 working days, spent: CAP }
  expect on_time pass for "A1"
  expect on_time fail for "A2"
  expect on_time pass for "A3"
  expect within_cap pass for "A1"
  expect within_cap fail for "A2"
  expect within_cap pass for "A3"
  expect by_month_end pass for "A1"
}
example "one month from 2024-01-31 ends on 2024-02-29" {
  act { id: "B1", done: 2024-02-29, spent: 0 元 }
  act { id: "B2", done: 2024-03-01, spent: 0 元 }
  expect by_month_end pass for "B1"
  expect by_month_end fail for "B2"
}
"#,
    );
}

/// A constant that is not one says why: a field is not a name a constant can see (E0101), and a
/// comparison is not a constant form (E0208 with that reason, not "depends on a record").
#[test]
fn a_constant_that_is_not_one_says_why() {
    let c = compile_str(
        "t.gj",
        &format!("{HEADER}{HOUSEHOLD}const A = members * 2\nconst B = 1 > 2\n"),
    );
    let msgs: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code, d.message.en))
        .collect();
    assert!(
        msgs.contains(&"E0101 unknown name `members`".to_string()),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(
            &"E0208 a constant may only be a literal, arithmetic, or a date plus or minus a period"
                .to_string()
        ),
        "{msgs:?}"
    );
}

/// Two policies in two folders, each naming its own `calendar "local.cal"`: each counts on its
/// own folder's calendar, not on whichever was read first.
#[test]
fn two_folders_calendars_of_one_name_are_two_calendars() {
    let dir = tempfile::tempdir().unwrap();
    let policy = |id: &str| {
        format!(
            "policy {id} \"期限\"\n  document \"测试用文件\"\n  calendar \"local.cal\"\n\
             record plan \"资金计划\" {{\n  id text key \"编号\"\n  issued date \"下达日期\"\n}}\n\
             rule on_time \"按期下达\" {{\n  cite line 1 \"x\"\n  applies to plan\n  \
             require issued <= 2017-05-22 + 3 working days\n}}\n"
        )
    };
    let mut files = Vec::new();
    for (sub, cal) in [
        (
            "a",
            "calendar a \"甲局\"\nextends cn-national\nrest 2017-05-24 \"闭馆\"\n",
        ),
        ("b", "calendar b \"乙局\"\nextends cn-national\n"),
    ] {
        let d = dir.path().join(sub);
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("local.cal"), cal).unwrap();
        let path = d.join("p.gj");
        let text = policy(&format!("p_{sub}"));
        std::fs::write(&path, &text).unwrap();
        files.push((path.to_string_lossy().into_owned(), text));
    }
    let c = compile(files, &guiju::FsResolver);
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    let p = c.program.unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2017, 6, 30).unwrap();
    let engine = Engine::new(&p, as_of);
    let mut rec = Record {
        ty: 0,
        values: vec![
            Value::Text("P1".into()),
            Value::Date(chrono::NaiveDate::from_ymd_opt(2017, 5, 26).unwrap()),
        ],
        loc: Default::default(),
    };
    let (mut fast, mut interpreted) = (Vec::new(), Vec::new());
    for ty in 0..2 {
        rec.ty = ty;
        engine.check_record(&rec, &mut |v| {
            fast.push((p.rules[v.rule].policy, v.outcome))
        });
        engine.check_record_interpreted(&rec, &mut |v| {
            interpreted.push((p.rules[v.rule].policy, v.outcome))
        });
    }
    // Folder a's office was closed on the 24th: the 26th is its third working day. Folder b's is
    // the national count: the 26th is a day late.
    assert_eq!(fast, [(0, Outcome::Pass), (1, Outcome::Fail)]);
    assert_eq!(interpreted, fast);
}
