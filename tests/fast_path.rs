//! The fast path for per-record rules decides only what the interpreter decides: for every rule
//! of every shipped policy, on every example record and on variations of it (each field missing,
//! zero, negative, at and around the bounds the policy names), both give the same outcome.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use chrono::{Days, NaiveDate};
use guiju::check::compile;
use guiju::check::ir::{ExprKind, Program, Ty};
use guiju::eval::{Engine, GroupRun};
use guiju::value::{Record, Value};
use guiju::FsResolver;
use rust_decimal::Decimal;
use std::path::PathBuf;

fn programs() -> Vec<(PathBuf, Program)> {
    let mut dirs = vec![
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies"),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/policies"),
    ];
    let mut out = Vec::new();
    for dir in dirs.drain(..) {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "gj"))
            .collect();
        files.sort();
        for p in files {
            let text = std::fs::read_to_string(&p).unwrap();
            let c = compile(vec![(p.to_string_lossy().into_owned(), text)], &FsResolver);
            out.push((p, c.program.expect("policy compiles")));
        }
    }
    out
}

/// The numbers and dates the rules of a record type name, to probe values at and around its bounds.
fn constants(program: &Program, ty: usize) -> (Vec<Decimal>, Vec<NaiveDate>) {
    let (mut nums, mut dates) = (Vec::new(), Vec::new());
    for r in program.rules.iter().filter(|r| r.record == ty) {
        r.walk(&mut |x| match &x.kind {
            ExprKind::Const(Value::Num(n)) => nums.push(*n),
            ExprKind::Const(Value::Date(d)) => dates.push(*d),
            _ => {}
        });
    }
    nums.sort();
    nums.dedup();
    dates.sort();
    dates.dedup();
    (nums, dates)
}

fn variants(
    program: &Program,
    rec: &Record,
    probes: &(Vec<Decimal>, Vec<NaiveDate>),
) -> Vec<Record> {
    let (nums, dates) = probes;
    let rt = &program.records[rec.ty];
    let mut out = vec![rec.clone()];
    for (slot, f) in rt.fields.iter().enumerate() {
        let mut put = |v: Value| {
            let mut r = rec.clone();
            r.values[slot] = v;
            out.push(r);
        };
        put(Value::Missing);
        put(Value::invalid("??", "坏", "bad"));
        match (&f.ty, &rec.values[slot]) {
            (Ty::Num(_), cur) => {
                put(Value::Num(Decimal::ZERO));
                put(Value::Num(Decimal::NEGATIVE_ONE));
                put(Value::Num(Decimal::MAX));
                if let Value::Num(n) = cur {
                    put(Value::Num(*n * Decimal::TWO));
                    put(Value::Num(*n / Decimal::TWO));
                }
                for c in nums {
                    put(Value::Num(*c));
                    put(Value::Num(*c + Decimal::new(1, 2)));
                    put(Value::Num(*c - Decimal::new(1, 2)));
                }
            }
            (Ty::Date, cur) => {
                if let Value::Date(d) = cur {
                    for k in [1, 7, 10, 31, 400] {
                        put(Value::Date(*d + Days::new(k)));
                        put(Value::Date(*d - Days::new(k)));
                    }
                }
                for d in dates {
                    put(Value::Date(*d));
                }
                put(Value::Date(NaiveDate::from_ymd_opt(1990, 1, 1).unwrap()));
            }
            (Ty::Bool, _) => {
                put(Value::Bool(true));
                put(Value::Bool(false));
            }
            (Ty::Enum(def), _) => {
                for i in 0..def.variants.len() {
                    put(Value::Enum(i as u16));
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn fast_path_agrees_with_the_interpreter() {
    let mut compared = 0u64;
    let mut fast_rules = 0;
    let mut rules = 0;
    for (path, program) in programs() {
        let as_of_default = NaiveDate::from_ymd_opt(2020, 6, 30).unwrap();
        let mut engines = Vec::new();
        let probes: Vec<_> = (0..program.records.len())
            .map(|t| constants(&program, t))
            .collect();
        for ex in &program.examples {
            let as_of = ex.as_of.unwrap_or(as_of_default);
            for rec in &ex.records {
                if engines.is_empty() {
                    let e = Engine::new(&program, as_of);
                    fast_rules += e.fast_rules();
                    rules += program.rules.len();
                    engines.push(e);
                }
                let engine = Engine::new(&program, as_of);
                for r in variants(&program, rec, &probes[rec.ty]) {
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    engine.check_record(&r, &mut |v| a.push((v.rule, v.outcome)));
                    engine.check_record_interpreted(&r, &mut |v| b.push((v.rule, v.outcome)));
                    assert_eq!(a, b, "{}: record {:?}", path.display(), r.values);
                    compared += a.len() as u64;
                }
            }
        }
    }
    // The comparison covered real ground: most policy rules have a fast form, and many verdicts
    // were compared.
    assert!(compared > 100_000, "only {compared} verdicts compared");
    assert!(
        fast_rules * 2 > rules,
        "only {fast_rules} of {rules} rules have a fast form"
    );
    eprintln!("{compared} verdicts compared; {fast_rules} of {rules} rules have a fast form");
}

#[test]
fn grouped_fast_path_agrees_with_the_interpreter() {
    let mut compared = 0u64;
    for (path, program) in programs() {
        if !program
            .rules
            .iter()
            .any(|r| matches!(r.scope, guiju::check::ir::Scope::Group(_)))
        {
            continue;
        }
        let probes: Vec<_> = (0..program.records.len())
            .map(|t| constants(&program, t))
            .collect();
        for ex in &program.examples {
            let as_of = ex
                .as_of
                .unwrap_or(NaiveDate::from_ymd_opt(2020, 6, 30).unwrap());
            // The example as written, then with each record replaced by each of its variants.
            let mut runs = vec![ex.records.clone()];
            for (i, rec) in ex.records.iter().enumerate() {
                for v in variants(&program, rec, &probes[rec.ty]).into_iter().skip(1) {
                    let mut recs = ex.records.clone();
                    recs[i] = v;
                    runs.push(recs);
                }
            }
            for recs in runs {
                let mut fast = GroupRun::new(&program, as_of);
                let mut slow = GroupRun::new(&program, as_of).interpreted();
                let (mut a, mut b) = (Vec::new(), Vec::new());
                for r in &recs {
                    fast.feed(r, &mut |v| a.push((v.rule, v.outcome)));
                    slow.feed(r, &mut |v| b.push((v.rule, v.outcome)));
                }
                a.extend(
                    fast.finish()
                        .into_iter()
                        .map(|g| (g.verdict.rule, g.verdict.outcome)),
                );
                b.extend(
                    slow.finish()
                        .into_iter()
                        .map(|g| (g.verdict.rule, g.verdict.outcome)),
                );
                assert_eq!(a, b, "{}: example {}", path.display(), ex.name);
                compared += a.len() as u64;
            }
        }
    }
    assert!(compared > 10_000, "only {compared} verdicts compared");
    eprintln!("{compared} group verdicts compared");
}
