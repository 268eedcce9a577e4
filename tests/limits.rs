//! The policy-text limits (docs/limits.md): text at each bound is read, checked, run, explained and
//! formatted on a thread with a 2 MiB stack (a pool thread's size) without overflowing it, and text
//! one past the bound is refused with a located error instead of crashing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use guiju::check::compile_str;
use guiju::eval::examples::run_examples;
use guiju::syntax::limits::{MAX_EXPR_DEPTH, MAX_NESTING};
use std::process::Command;

/// A policy whose one rule requires `expr` of a decimal field `x`, with an example record of
/// `x = -1` that expects `outcome`.
fn policy(expr: &str, outcome: &str) -> String {
    format!(
        "policy p \"t\"\n\nrecord r \"R\" {{\n  id text key \"i\"\n  x  decimal  \"x\"\n}}\n\n\
         rule a \"a\" {{\n  cite line 1 \"q\"\n  applies to r\n  require {expr}\n}}\n\n\
         example \"e\" {{\n  r {{ id: \"A\", x: -1 }}\n  expect a {outcome}\n}}\n"
    )
}

/// Each shape at its bound, with the outcome its example expects for `x = -1`. The rule's `{`
/// is one level of nesting.
fn at_bound() -> Vec<(&'static str, String, &'static str)> {
    let n = MAX_NESTING - 1;
    // A comparison over a chain of k binary operators is k + 2 deep.
    let k = MAX_EXPR_DEPTH - 2;
    vec![
        (
            "parentheses",
            format!("{}x{} > 0", "(".repeat(n), ")".repeat(n)),
            "fail",
        ),
        (
            "not",
            format!("{}x > 0", "not ".repeat(n)),
            if n % 2 == 1 { "pass" } else { "fail" },
        ),
        (
            "else-if",
            format!(
                "{}x > 0",
                (0..n)
                    .map(|i| format!("if x > {i} then true else "))
                    .collect::<String>()
            ),
            "fail",
        ),
        (
            "sum",
            format!("{} > 0", vec!["x"; k + 1].join(" + ")),
            "fail",
        ),
        (
            "unary minus",
            format!("{}x > 0", "-".repeat(k)),
            if k % 2 == 1 { "pass" } else { "fail" },
        ),
    ]
}

/// The same shapes one step past their bound, with the code each must be refused with.
fn past_bound() -> Vec<(&'static str, String)> {
    let n = MAX_NESTING;
    let k = MAX_EXPR_DEPTH - 1;
    vec![
        (
            "parentheses",
            format!("{}x{} > 0", "(".repeat(n), ")".repeat(n)),
        ),
        ("not", format!("{}x > 0", "not ".repeat(n))),
        (
            "else-if",
            format!(
                "{}x > 0",
                (0..n)
                    .map(|i| format!("if x > {i} then true else "))
                    .collect::<String>()
            ),
        ),
        ("sum", format!("{} > 0", vec!["x"; k + 1].join(" + "))),
        ("unary minus", format!("{}x > 0", "-".repeat(k))),
        // What the robustness review found crashing.
        (
            "300 parentheses",
            format!("{}x{} > 0", "(".repeat(300), ")".repeat(300)),
        ),
        ("1300 terms", format!("{} > 0", vec!["x"; 1300].join(" + "))),
        ("10000 not", format!("{}x > 0", "not ".repeat(10_000))),
        ("10000 minus", format!("{}x > 0", "-".repeat(10_000))),
        (
            "10000 if",
            format!("{}x > 0", "if x > 0 then true else ".repeat(10_000)),
        ),
    ]
}

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn every_phase_runs_at_the_bound_on_a_2_mib_stack() {
    for (name, expr, outcome) in at_bound() {
        let text = policy(&expr, outcome);
        let (diags, unmet, formatted) = on_small_stack(move || {
            let c = compile_str("p.gj", &text);
            let diags: Vec<String> = c
                .diagnostics
                .iter()
                .map(|d| format!("{} {}", d.code, d.message.en))
                .collect();
            let unmet = c.program.as_ref().map(|p| {
                let as_of = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
                run_examples(p, as_of)
                    .iter()
                    .map(|r| r.unmet.len())
                    .sum::<usize>()
            });
            let formatted = guiju::fmt::format_policy(&text).map(|f| f == text);
            (diags, unmet, formatted.ok())
        });
        assert!(diags.is_empty(), "{name}: {diags:?}");
        assert_eq!(
            unmet,
            Some(0),
            "{name}: the example's expectation is not met"
        );
        assert_eq!(
            formatted,
            Some(true),
            "{name}: fmt changed a formatted policy"
        );
    }
}

#[test]
fn one_past_the_bound_is_a_located_error() {
    for (name, expr) in past_bound() {
        let text = policy(&expr, "fail");
        let require_at = text.find("require").unwrap() as u32;
        let diags = on_small_stack(move || compile_str("p.gj", &text).diagnostics);
        assert_eq!(diags.len(), 1, "{name}: {diags:?}");
        let d = &diags[0];
        assert_eq!(d.code, "E0010", "{name}: {}", d.message.en);
        let span = d.labels[0].span;
        assert!(span.start > require_at, "{name}: not located in the rule");
    }
}

/// The command line checks on its pool's threads, whose stacks are the default 2 MiB; a policy at
/// the bound is checked against data and its finding explained there.
#[test]
fn the_command_line_checks_and_explains_at_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (name, expr, outcome)) in at_bound().into_iter().enumerate() {
        let p = dir.path().join(format!("p{i}.gj"));
        std::fs::write(&p, policy(&expr, outcome)).unwrap();
        let data = dir.path().join("d.csv");
        std::fs::write(&data, "id,x\nA,-1\nB,1\n").unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_guiju"))
            .args(["check", p.to_str().unwrap(), "--data"])
            .arg(&data)
            .args(["--as-of", "2026-01-01", "--color", "never", "--lang", "en"])
            .output()
            .unwrap();
        let code = out.status.code();
        // One record passes and the other fails whichever way the chain turns, so there is a
        // finding to explain: exit 1, not a crash.
        assert_eq!(
            code,
            Some(1),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let test = Command::new(env!("CARGO_BIN_EXE_guiju"))
            .args(["test", p.to_str().unwrap(), "--lang", "en"])
            .output()
            .unwrap();
        assert_eq!(test.status.code(), Some(0), "{name}: guiju test");
    }
}
