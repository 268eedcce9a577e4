//! The policy library: every policy compiles, every example holds, and every rule is proved by
//! at least one passing and one failing expectation.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use guiju::check::{compile, ir::Program};
use guiju::eval::examples::run_examples;
use guiju::syntax::ast::Outcome;
use guiju::FsResolver;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn policies() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().map(|x| x == "gj").unwrap_or(false))
        .collect();
    v.sort();
    v
}

fn load(p: &PathBuf) -> Program {
    let text = std::fs::read_to_string(p).unwrap();
    let c = compile(vec![(p.to_string_lossy().into_owned(), text)], &FsResolver);
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code, d.message.en))
        .collect();
    assert!(errors.is_empty(), "{}: {errors:?}", p.display());
    c.program.unwrap()
}

#[test]
fn the_library_covers_the_five_documents() {
    let ps = policies();
    assert!(ps.len() >= 20, "{} policies", ps.len());
    let mut rules = 0;
    for p in &ps {
        rules += load(p).rules.len();
    }
    assert!(rules >= 400, "{rules} rules");
}

#[test]
fn every_rule_has_a_passing_and_a_failing_expectation_and_all_hold() {
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut gaps = Vec::new();
    for p in policies() {
        let program = load(&p);
        let mut seen: BTreeMap<usize, Vec<Outcome>> = BTreeMap::new();
        for ex in &program.examples {
            for x in &ex.expects {
                seen.entry(x.rule).or_default().push(x.outcome);
            }
        }
        for (i, r) in program.rules.iter().enumerate() {
            let o = seen.get(&i).cloned().unwrap_or_default();
            if !(o.contains(&Outcome::Pass) && o.contains(&Outcome::Fail)) {
                gaps.push(format!("{}: {} has {:?}", p.display(), r.id, o));
            }
        }
        for res in run_examples(&program, as_of) {
            assert!(
                res.unmet.is_empty(),
                "{}: example {} has unmet expectations",
                p.display(),
                program.examples[res.example].name
            );
        }
    }
    assert!(
        gaps.is_empty(),
        "rules without a pass and a fail example:\n{}",
        gaps.join("\n")
    );
}
