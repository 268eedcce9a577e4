//! Property tests, generated with a fixed seed so that CI sees the same cases every run.
//!
//! - The fast path decides what the interpreter decides, for generated rules (boolean logic over
//!   comparisons of sums, dates plus periods, flags, enum tests, `present`, `if`) on generated
//!   records with missing and unreadable values: the harness the SQL back end will also take.
//! - The front end never panics: on arbitrary text and on shipped policies cut, spliced and
//!   mutated, `compile` and `fmt` return (a program or diagnostics), and what `fmt` prints is a
//!   fixed point of `fmt`.
//! - The same records as JSON Lines and as CSV give the same verdicts.
//! - `--jobs 1` and `--jobs 2` give the same verdicts in the same order.
//!
//! Run longer with `PROPTEST_CASES=5000 cargo test --release --test properties`, or with another
//! seed with `GUIJU_PROPTEST_SEED=…`; a failure prints the case that fails, already shrunk.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use chrono::NaiveDate;
use guiju::eval::Engine;
use guiju::report::{Finding, Sink, Summary};
use guiju::value::{Record, RecordLoc, Value};
use guiju::{DataDiag, MemoryInputs, RunOptions, Session};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use rust_decimal::Decimal;
use std::sync::atomic::{AtomicU64, Ordering};

/// The configuration every property here runs with: a fixed seed (overridable), no files
/// written on failure, and as many cases as `PROPTEST_CASES` says (`default` otherwise).
fn config(default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    let seed = std::env::var("GUIJU_PROPTEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0067_7569_6a75);
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    }
}

// ------------------------------------------------------------------ generated rules

const RECORD: &str = r#"policy props "生成的规则"
record r "记录" {
  id text key               "编号"
  a  decimal optional unit 元 "甲"
  b  decimal optional unit 元 "乙"
  n  int optional           "数"
  d  date optional          "日期"
  e  date optional          "日期二"
  f  bool optional          "标志"
  g  bool optional          "标志二"
  k  enum { x "甲类", y "乙类", z "丙类" } optional "类别"
}
"#;

/// A money-valued expression (unit 元). `full` adds the forms the fast path leaves to the
/// interpreter (`if`, `min`, `max`, `abs`); without them, a rule is one the fast path compiles.
fn money(full: bool) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        Just("a".to_string()),
        Just("b".to_string()),
        (-3i64..200).prop_map(|v| format!("{v} 元")),
        (0i64..2000).prop_map(|v| format!("{}.{:02} 元", v / 100, v % 100)),
    ];
    if !full {
        return leaf
            .prop_recursive(3, 12, 2, |inner| {
                prop_oneof![
                    (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("({l} + {r})")),
                    (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("({l} - {r})")),
                    (inner, 0i64..5).prop_map(|(l, k)| format!("({l} * {k})")),
                ]
            })
            .boxed();
    }
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("({l} + {r})")),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("({l} - {r})")),
            (inner.clone(), 0i64..5).prop_map(|(l, k)| format!("({l} * {k})")),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("max({l}, {r})")),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("min({l}, {r})")),
            inner.clone().prop_map(|l| format!("abs({l})")),
            (bool_leaf(true), inner.clone(), inner)
                .prop_map(|(c, l, r)| format!("(if {c} then {l} else {r})")),
        ]
    })
    .boxed()
}

/// A bare-number expression.
fn count() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("n".to_string()),
        (-2i64..12).prop_map(|v| v.to_string()),
        (Just("n".to_string()), 0i64..4).prop_map(|(l, k)| format!("({l} + {k})")),
        (Just("n".to_string()), 1i64..4).prop_map(|(l, k)| format!("({l} * {k})")),
    ]
}

fn date() -> impl Strategy<Value = String> {
    let base = prop_oneof![
        Just("d".to_string()),
        Just("e".to_string()),
        (0u32..40).prop_map(|k| {
            let day =
                NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(u64::from(k) * 11);
            day.to_string()
        }),
    ];
    (
        base,
        prop_oneof![
            Just(String::new()),
            (1u32..40).prop_map(|k| format!(" + {k} days")),
            (1u32..12).prop_map(|k| format!(" + {k} working days")),
            (1u32..4).prop_map(|k| format!(" + {k} months")),
            (1u32..20).prop_map(|k| format!(" - {k} days")),
        ],
    )
        .prop_map(|(b, p)| if p.is_empty() { b } else { format!("({b}{p})") })
}

fn cmp() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("<"),
        Just("<="),
        Just(">"),
        Just(">="),
        Just("=="),
        Just("!=")
    ]
}

fn bool_leaf(full: bool) -> BoxedStrategy<String> {
    let fast = prop_oneof![
        Just("f".to_string()),
        Just("g".to_string()),
        Just("true".to_string()),
        prop_oneof![
            Just("a"),
            Just("b"),
            Just("n"),
            Just("d"),
            Just("k"),
            Just("f")
        ]
        .prop_map(|x| format!("present({x})")),
        prop_oneof![Just("x"), Just("y"), Just("z")].prop_map(|v| format!("k == {v}")),
        prop_oneof![Just("x"), Just("y"), Just("z")].prop_map(|v| format!("k != {v}")),
        (0i64..8).prop_map(|v| format!("n >= {v}")),
        (Just("a"), cmp(), 0i64..100).prop_map(|(l, o, v)| format!("{l} {o} {v} 元")),
    ];
    if !full {
        return fast.boxed();
    }
    prop_oneof![
        Just("f".to_string()),
        Just("g".to_string()),
        Just("true".to_string()),
        prop_oneof![
            Just("a"),
            Just("b"),
            Just("n"),
            Just("d"),
            Just("k"),
            Just("f")
        ]
        .prop_map(|x| format!("present({x})")),
        prop_oneof![Just("x"), Just("y"), Just("z")].prop_map(|v| format!("k == {v}")),
        Just("k in [x, z]".to_string()),
        Just("not (k in [y])".to_string()),
        (0i64..8).prop_map(|v| format!("n >= {v}")),
        (Just("a"), cmp(), 0i64..100).prop_map(|(l, o, v)| format!("{l} {o} {v} 元")),
    ]
    .boxed()
}

fn boolean(full: bool) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        4 => bool_leaf(full),
        2 => (money(full), cmp(), money(full)).prop_map(|(l, o, r)| format!("{l} {o} {r}")),
        1 => (count(), cmp(), count()).prop_map(|(l, o, r)| format!("{l} {o} {r}")),
        2 => (date(), cmp(), date()).prop_map(|(l, o, r)| format!("{l} {o} {r}")),
        1 => (date(), 1u32..60).prop_map(|(l, k)| format!("{l} - d <= {k} days")),
    ];
    leaf.prop_recursive(3, 16, 2, move |inner| {
        let and_or_not = prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("({l}) and ({r})")),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("({l}) or ({r})")),
            inner.clone().prop_map(|l| format!("not ({l})")),
        ];
        if !full {
            return and_or_not.boxed();
        }
        prop_oneof![
            3 => and_or_not,
            1 => (inner.clone(), inner.clone(), inner)
                .prop_map(|(c, l, r)| format!("(if {c} then {l} else {r})")),
        ]
        .boxed()
    })
    .boxed()
}

/// A rule: an optional `where`, one or two requirements, an optional `unless`. Half the rules
/// are of the shapes the fast path compiles; the other half mix in every form.
fn rule() -> impl Strategy<Value = String> {
    any::<bool>()
        .prop_flat_map(|full| {
            (
                proptest::option::of(boolean(full)),
                boolean(full),
                proptest::option::of(boolean(full)),
                if full {
                    proptest::option::of(boolean(true)).boxed()
                } else {
                    Just(None).boxed()
                },
            )
        })
        .prop_map(|(w, r1, r2, u)| {
            let mut s = String::from("  applies to r\n");
            if let Some(w) = w {
                s += &format!("  where {w}\n");
            }
            s += &format!("  require {r1}\n");
            if let Some(r2) = r2 {
                s += &format!("  require {r2}\n");
            }
            if let Some(u) = u {
                s += &format!("  unless {u}\n");
            }
            s
        })
}

fn value_of(slot: usize) -> BoxedStrategy<Value> {
    let missing = Just(Value::Missing);
    let bad = Just(Value::invalid("??", "坏", "bad"));
    match slot {
        1 | 2 => prop_oneof![
            1 => missing,
            1 => bad,
            6 => (-500i64..20_000).prop_map(|v| Value::Num(Decimal::new(v, 2))),
        ]
        .boxed(),
        3 => {
            prop_oneof![1 => missing, 1 => bad, 5 => (-2i64..10).prop_map(|v| Value::Num(v.into()))]
                .boxed()
        }
        4 | 5 => prop_oneof![
            1 => missing,
            1 => bad,
            6 => (0u64..500).prop_map(|k| Value::Date(
                NaiveDate::from_ymd_opt(2019, 12, 1).unwrap() + chrono::Days::new(k)
            )),
        ]
        .boxed(),
        6 | 7 => {
            prop_oneof![1 => missing, 1 => bad, 5 => any::<bool>().prop_map(Value::Bool)].boxed()
        }
        _ => prop_oneof![1 => missing, 1 => bad, 5 => (0u16..3).prop_map(Value::Enum)].boxed(),
    }
}

fn record() -> impl Strategy<Value = Vec<Value>> {
    (1..9usize)
        .map(value_of)
        .collect::<Vec<_>>()
        .prop_map(|mut v| {
            v.insert(0, Value::Text("R1".into()));
            v
        })
}

#[test]
fn the_fast_path_decides_generated_rules_as_the_interpreter_does() {
    let compiled = AtomicU64::new(0);
    let fast = AtomicU64::new(0);
    let compared = AtomicU64::new(0);
    let mut runner = TestRunner::new(config(300));
    let strategy = (
        proptest::collection::vec(rule(), 1..4),
        proptest::collection::vec(record(), 1..12),
        0u64..400,
    );
    runner
        .run(&strategy, |(rules, records, as_of)| {
            let mut text = RECORD.to_string();
            for (i, r) in rules.iter().enumerate() {
                text += &format!("rule p{i} \"规则{i}\" {{\n{r}}}\n");
            }
            let c = guiju::compile_str("props.gj", &text);
            let Some(program) = c.program else {
                // A generated rule the checker refuses (a type error the generator does not
                // avoid) is no comparison; the count below makes sure most are compared.
                return Ok(());
            };
            compiled.fetch_add(1, Ordering::Relaxed);
            let as_of = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(as_of);
            let engine = Engine::new(&program, as_of);
            fast.fetch_add(engine.fast_rules() as u64, Ordering::Relaxed);
            for values in records {
                let rec = Record {
                    ty: 0,
                    values,
                    loc: RecordLoc::default(),
                };
                let (mut a, mut b) = (Vec::new(), Vec::new());
                engine.check_record(&rec, &mut |v| a.push((v.rule, v.outcome)));
                engine.check_record_interpreted(&rec, &mut |v| b.push((v.rule, v.outcome)));
                prop_assert_eq!(&a, &b, "policy:\n{}\nrecord: {:?}", text, rec.values);
                compared.fetch_add(a.len() as u64, Ordering::Relaxed);
            }
            Ok(())
        })
        .unwrap();
    let (compiled, fast, compared) = (
        compiled.into_inner(),
        fast.into_inner(),
        compared.into_inner(),
    );
    eprintln!(
        "{compiled} generated policies compiled, {fast} fast rules, {compared} verdicts compared"
    );
    let cases = u64::from(config(300).cases);
    // The generator makes well-typed rules: nearly all compile, and most have a fast form, so
    // the comparison is not vacuous.
    assert!(
        compiled * 10 >= cases * 9,
        "only {compiled} of {cases} compiled"
    );
    assert!(
        fast * 2 >= compiled,
        "only {fast} fast rules in {compiled} policies"
    );
    assert!(compared >= cases, "only {compared} verdicts compared");
}

// ------------------------------------------------------------------ the front end

fn shipped() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "gj"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// Words and marks the grammar cares about, to splice into a policy.
const PIECES: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "\n",
    " and ",
    " or ",
    "not ",
    "if ",
    " then ",
    " else ",
    "rule ",
    "record ",
    "example ",
    "require ",
    "where ",
    "unless ",
    "message \"{x",
    "}",
    "元",
    "m²",
    "%",
    "≈",
    " + 3 months",
    " days",
    "2024-02-30",
    "99999999999999999999999999999",
    "1e3",
    "#",
    "：",
    "（",
    "“",
    "\u{feff}",
    "\t",
    "..",
    "present(",
    "sum(",
    "every(",
    "∧",
    "如果 ",
    " 则 ",
    "：=",
    "\u{0}",
];

/// A shipped policy, mutated: a cut, a splice of a piece, a duplicated line, or a truncation.
fn mutated() -> impl Strategy<Value = String> {
    let n = shipped().len();
    (
        0..n,
        proptest::collection::vec(
            (0u8..4, any::<prop::sample::Index>(), 0..PIECES.len()),
            1..6,
        ),
    )
        .prop_map(|(which, edits)| {
            let mut chars: Vec<char> = shipped()[which].chars().collect();
            for (kind, at, piece) in edits {
                if chars.is_empty() {
                    break;
                }
                let i = at.index(chars.len());
                match kind {
                    0 => {
                        let end = (i + 1 + at.index(40)).min(chars.len());
                        chars.drain(i..end);
                    }
                    1 => {
                        let p: Vec<char> = PIECES[piece].chars().collect();
                        chars.splice(i..i, p);
                    }
                    2 => {
                        let start = chars[..i]
                            .iter()
                            .rposition(|c| *c == '\n')
                            .map_or(0, |p| p + 1);
                        let end = chars[i..]
                            .iter()
                            .position(|c| *c == '\n')
                            .map_or(chars.len(), |p| i + p + 1);
                        let line: Vec<char> = chars[start..end].to_vec();
                        chars.splice(end..end, line);
                    }
                    _ => chars.truncate(i),
                }
            }
            chars.into_iter().collect()
        })
}

fn front_end_survives(text: &str) -> Result<(), TestCaseError> {
    let c = guiju::compile_str("p.gj", text);
    // A program or a reason: never nothing at all.
    prop_assert!(
        c.program.is_some() || !c.diagnostics.is_empty(),
        "no program and no diagnostic for:\n{}",
        text
    );
    if let Ok(once) = guiju::fmt::format_policy(text) {
        let twice = guiju::fmt::format_policy(&once);
        prop_assert_eq!(
            twice.as_ref().ok(),
            Some(&once),
            "fmt is not a fixed point for:\n{}",
            text
        );
    }
    Ok(())
}

#[test]
fn the_front_end_never_panics_on_mutated_policies() {
    let mut runner = TestRunner::new(config(120));
    runner
        .run(&mutated(), |text| front_end_survives(&text))
        .unwrap();
}

#[test]
fn the_front_end_never_panics_on_arbitrary_text() {
    let mut runner = TestRunner::new(config(300));
    let pieces = proptest::collection::vec(
        prop_oneof![
            3 => (0..PIECES.len()).prop_map(|i| PIECES[i].to_string()),
            1 => "\\PC{0,8}",
            1 => "[a-z_]{1,6}",
        ],
        0..60,
    )
    .prop_map(|v| v.concat());
    runner
        .run(&pieces, |text| front_end_survives(&text))
        .unwrap();
}

// ------------------------------------------------------------------ whole runs

const POLICY: &str = r#"policy p "三门峡市2016年易地扶贫搬迁有关问题整改方案（节选）"
record household "搬迁户" {
  id         text key                 "户编号"
  members    int unit 人              "家庭人口"
  floor_area decimal unit m²          "住房建筑面积"
  subsidy    decimal optional unit 元 "补助资金"
  moved_in   date optional            "搬迁入住日期"
  poor       bool optional            "建档立卡贫困户"
}
rule per_capita_area "人均住房面积不超过25平方米" {
  applies to household
  require floor_area / members <= 25 m²
}
rule moved_in_time "2017年6月底前入住" {
  applies to household
  where poor
  require moved_in <= 2017-06-30
}
rule subsidy_cap "补助不超过每人8000元" {
  applies to household
  require subsidy <= members * 8000 元
}
rule county_total "合计面积不超过1000平方米" {
  applies to household grouped by poor
  require sum(floor_area) <= 1000 m²
}
"#;

#[derive(Default)]
struct Kept {
    findings: Vec<(String, Option<String>, String)>,
    problems: Vec<String>,
    summary: Option<Summary>,
}

impl Sink for Kept {
    fn data_diag(&mut self, d: &DataDiag) {
        self.problems.push(d.code.to_string());
    }
    fn finding(&mut self, f: &Finding) {
        self.findings.push((
            f.rule.id.clone(),
            f.record.key.clone(),
            format!("{:?}", f.outcome),
        ));
    }
    fn end(&mut self, s: &Summary) {
        self.summary = Some(s.clone());
    }
}

#[derive(Debug, Clone)]
struct Household {
    members: u8,
    area: i64,
    subsidy: Option<i64>,
    moved_in: Option<u16>,
    poor: Option<bool>,
}

fn household() -> impl Strategy<Value = Household> {
    (
        1u8..9,
        1i64..40_000,
        proptest::option::of(0i64..10_000_000),
        proptest::option::of(0u16..700),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(members, area, subsidy, moved_in, poor)| Household {
            members,
            area,
            subsidy,
            moved_in,
            poor,
        })
}

fn as_jsonl(hs: &[Household]) -> String {
    let mut s = String::new();
    for (i, h) in hs.iter().enumerate() {
        let mut o = serde_json::Map::new();
        o.insert("id".into(), format!("H{i}").into());
        o.insert("members".into(), h.members.into());
        o.insert(
            "floor_area".into(),
            serde_json::from_str(&Decimal::new(h.area, 2).to_string()).unwrap(),
        );
        if let Some(v) = h.subsidy {
            o.insert(
                "subsidy".into(),
                serde_json::from_str(&Decimal::new(v, 2).to_string()).unwrap(),
            );
        }
        if let Some(d) = h.moved_in {
            o.insert("moved_in".into(), day(d).into());
        }
        if let Some(p) = h.poor {
            o.insert("poor".into(), p.into());
        }
        s += &serde_json::Value::Object(o).to_string();
        s.push('\n');
    }
    s
}

fn day(k: u16) -> String {
    (NaiveDate::from_ymd_opt(2016, 12, 1).unwrap() + chrono::Days::new(u64::from(k))).to_string()
}

fn as_csv(hs: &[Household]) -> String {
    let mut s = String::from("户编号,家庭人口,住房建筑面积,补助资金,搬迁入住日期,建档立卡贫困户\n");
    for (i, h) in hs.iter().enumerate() {
        s += &format!(
            "H{i},{},{},{},{},{}\n",
            h.members,
            Decimal::new(h.area, 2),
            h.subsidy
                .map(|v| Decimal::new(v, 2).to_string())
                .unwrap_or_default(),
            h.moved_in.map(day).unwrap_or_default(),
            h.poor
                .map(|p| if p { "是" } else { "否" })
                .unwrap_or_default(),
        );
    }
    s
}

fn run(program: &guiju::Program, name: &str, data: String, jobs: usize, batch: usize) -> Kept {
    let options = RunOptions {
        jobs: Some(jobs),
        batch,
        ..RunOptions::new(NaiveDate::from_ymd_opt(2017, 6, 30).unwrap())
    };
    let session = Session::new(program, options).unwrap();
    let inputs = MemoryInputs::new().with(name, data);
    let mut kept = Kept::default();
    session.run(&inputs, &mut kept);
    kept
}

#[test]
fn jsonl_and_csv_of_the_same_records_and_any_jobs_give_the_same_verdicts() {
    let c = guiju::compile_str("p.gj", POLICY);
    let program = c.program.expect("the policy compiles");
    let mut runner = TestRunner::new(config(60));
    let seen = AtomicU64::new(0);
    runner
        .run(
            &(proptest::collection::vec(household(), 1..60), 1usize..7),
            |(hs, batch)| {
                let json = run(&program, "h.jsonl", as_jsonl(&hs), 1, 64);
                let csv = run(&program, "h.csv", as_csv(&hs), 1, 64);
                let par = run(&program, "h.jsonl", as_jsonl(&hs), 2, batch);
                prop_assert!(json.problems.is_empty(), "{:?}", json.problems);
                prop_assert!(csv.problems.is_empty(), "{:?}", csv.problems);
                prop_assert_eq!(&json.findings, &csv.findings);
                prop_assert_eq!(&json.findings, &par.findings);
                let (a, b, p) = (
                    json.summary.unwrap(),
                    csv.summary.unwrap(),
                    par.summary.unwrap(),
                );
                prop_assert_eq!(a.records, hs.len() as u64);
                prop_assert_eq!(&a.outcomes, &b.outcomes);
                prop_assert_eq!(&a.by_rule, &b.by_rule);
                prop_assert_eq!(&a.by_rule, &p.by_rule);
                seen.fetch_add(json.findings.len() as u64, Ordering::Relaxed);
                Ok(())
            },
        )
        .unwrap();
    // Findings were compared, not only empty lists.
    assert!(seen.into_inner() > 50);
}

// ------------------------------------------------------------------ exact numbers in cells

/// A number as a clerk or a spreadsheet writes it: a sign, up to 22 integer digits (leading
/// zeros too), up to 22 fraction digits, trailing zeros. Up to 44 digits: some fit a decimal's 28
/// significant digits and some do not.
fn number_text() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        "[0-9]{1,22}",
        proptest::option::of("[0-9]{1,22}"),
        0usize..8,
    )
        .prop_map(|(neg, int, frac, zeros)| {
            let mut s = String::new();
            if neg {
                s.push('-');
            }
            s.push_str(&int);
            if let Some(f) = frac {
                s.push('.');
                s.push_str(&f);
                s.push_str(&"0".repeat(zeros));
            }
            s
        })
}

/// The significant digits of `s` (no sign, no point, no leading or trailing zeros that carry
/// no value): what must survive reading exactly.
fn significant(s: &str) -> String {
    let s = s.trim_start_matches('-');
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let frac = frac.trim_end_matches('0');
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    if frac.is_empty() {
        digits.trim_end_matches('0').to_string()
    } else {
        digits.to_string()
    }
}

#[test]
fn a_number_cell_is_read_exactly_or_refused() {
    let yuan = guiju::check::units::lookup("元").unwrap();
    let exact = AtomicU64::new(0);
    let refused = AtomicU64::new(0);
    let mut runner = TestRunner::new(config(200));
    runner
        .run(&number_text(), |text| {
            let v = guiju::input::cell::parse_number(&text, &yuan, false);
            let want = significant(&text);
            // A decimal holds 96 bits: every 28-digit number, some of 29.
            match v {
                Value::Num(n) => {
                    let got = significant(&n.to_string());
                    prop_assert_eq!(&got, &want, "{} read as {}", text, n);
                    prop_assert_eq!(
                        n.is_sign_negative() && !n.is_zero(),
                        text.starts_with('-') && !want.is_empty()
                    );
                    exact.fetch_add(1, Ordering::Relaxed);
                }
                Value::Invalid(_) => {
                    // Refused only when it could not be held: more than 28 significant digits
                    // between the first and the last (zeros inside count).
                    let int_digits = text
                        .trim_start_matches('-')
                        .split('.')
                        .next()
                        .unwrap()
                        .trim_start_matches('0')
                        .len();
                    let frac = text
                        .split_once('.')
                        .map_or("", |(_, f)| f)
                        .trim_end_matches('0');
                    let span = if int_digits > 0 {
                        int_digits + frac.len()
                    } else {
                        frac.trim_start_matches('0').len()
                    };
                    prop_assert!(
                        span > 28 || int_digits > 28,
                        "{} refused with {} significant digits",
                        text,
                        span
                    );
                    refused.fetch_add(1, Ordering::Relaxed);
                }
                other => prop_assert!(false, "{} read as {:?}", text, other),
            }
            Ok(())
        })
        .unwrap();
    let (e, r) = (exact.into_inner(), refused.into_inner());
    eprintln!("numbers: {e} read exactly, {r} refused");
    // Both sides of the bound were generated.
    assert!(e > 20 && r > 20, "{e} exact, {r} refused");
}
