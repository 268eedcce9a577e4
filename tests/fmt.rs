//! `guiju fmt` on the whole policy library: idempotent, and the formatted policy means the same
//! (same rules, same diagnostics, same example results).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use guiju::check::compile;
use guiju::eval::examples::run_examples;
use guiju::FsResolver;
use std::path::PathBuf;

fn summary(name: &str, text: &str) -> Vec<String> {
    let c = compile(vec![(name.to_string(), text.to_string())], &FsResolver);
    let mut s: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code, d.message.en))
        .collect();
    if let Some(p) = c.program {
        s.extend(
            p.rules
                .iter()
                .map(|r| format!("rule {} {:?} {}", r.id, r.severity, r.citations.len())),
        );
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        for r in run_examples(&p, as_of) {
            s.push(format!(
                "example {} {} {}",
                p.examples[r.example].name,
                r.expectations,
                r.unmet.len()
            ));
        }
    }
    s
}

#[test]
fn fmt_is_idempotent_and_keeps_meaning_on_every_policy() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().map(|x| x != "gj").unwrap_or(true) {
            continue;
        }
        let name = p.to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&p).unwrap();
        let once =
            guiju::fmt::format_policy(&text).unwrap_or_else(|d| panic!("{name}: {}", d.message.en));
        let twice = guiju::fmt::format_policy(&once).unwrap();
        assert_eq!(once, twice, "{name}: formatting is not idempotent");
        assert_eq!(
            summary(&name, &text),
            summary(&name, &once),
            "{name}: formatting changed the meaning"
        );
        // Comments survive.
        assert_eq!(
            text.matches('#').count(),
            once.matches('#').count(),
            "{name}: a comment was lost"
        );
        n += 1;
    }
    assert!(n >= 20);
}
