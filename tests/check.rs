//! Checker fixtures: every `tests/check/*.gj` file is a policy whose expected diagnostics are
//! written in it, on the line where each is reported, as comments (like rustc's UI tests):
//!
//! ```text
//!   require floor_area <= 25   # error: E0203 "write the unit"
//! ```
//!
//! `# error: CODE` or `# warning: CODE`, several on one line if need be, each optionally followed
//! by a quoted text that must appear in the diagnostic's English message, labels, notes or help.
//! A fixture passes when the checker reports exactly the annotated (line, level, code) set — no
//! more, no fewer — and a fixture without `error` annotations compiles. The English rendering of
//! the diagnostics is snapshotted as `tests/check/snapshots/NAME.snap`, so a changed message shows
//! up as a snapshot diff. Files under `tests/check/lib/` are used by fixtures, not fixtures.
//! Each fixture is its own test (libtest-mimic): `cargo test --test check -- e0202`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use guiju::check::compile;
use guiju::diag::{Diagnostic, Lang, Level};
use guiju::report::human::{render_diagnostics, Style};
use guiju::FsResolver;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Expect {
    line: usize,
    level: &'static str,
    code: String,
}

/// The annotations of a fixture: (expectation, texts its diagnostic must contain).
fn annotations(text: &str) -> Result<Vec<(Expect, Option<String>)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(hash) = line.find('#') else { continue };
        let mut rest = &line[hash..];
        loop {
            let next = ["error:", "warning:"]
                .iter()
                .filter_map(|k| rest.find(k).map(|at| (at, *k)))
                .min();
            let Some((at, kind)) = next else { break };
            rest = rest[at + kind.len()..].trim_start();
            let code: String = rest.chars().take(5).collect();
            let well_formed = code.len() == 5
                && code.starts_with(['E', 'W'])
                && code[1..].chars().all(|c| c.is_ascii_digit());
            if !well_formed {
                return Err(format!(
                    "line {}: `{kind}` is not followed by a code",
                    i + 1
                ));
            }
            rest = rest[5..].trim_start();
            let mut want = None;
            if let Some(q) = rest.strip_prefix('"') {
                let end = q
                    .find('"')
                    .ok_or(format!("line {}: unclosed quote", i + 1))?;
                want = Some(q[..end].to_string());
                rest = &q[end + 1..];
            }
            let level = if kind == "error:" { "error" } else { "warning" };
            out.push((
                Expect {
                    line: i + 1,
                    level,
                    code,
                },
                want,
            ));
        }
    }
    Ok(out)
}

/// Everything a reader of a diagnostic sees, in English.
fn english(d: &Diagnostic) -> String {
    let mut s = d.message.en.clone();
    for l in &d.labels {
        if let Some(m) = &l.message {
            s.push('\n');
            s.push_str(&m.en);
        }
    }
    for n in &d.notes {
        s.push('\n');
        s.push_str(&n.en);
    }
    if let Some(h) = &d.help {
        s.push('\n');
        s.push_str(&h.en);
    }
    s
}

fn run_fixture(path: &Path) -> Result<(), libtest_mimic::Failed> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rel = path
        .strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/");
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let expected = annotations(&text)?;
    let c = compile(vec![(rel.clone(), text)], &FsResolver);

    // Where each diagnostic is reported: its primary label's line in this file (0: elsewhere or
    // nowhere, which no annotation can name, so it always fails the fixture).
    let located: Vec<(Expect, &Diagnostic)> = c
        .diagnostics
        .iter()
        .map(|d| {
            let line = d
                .labels
                .first()
                .and_then(|l| c.sources.get(l.span.source).map(|f| (l, f)))
                .filter(|(_, f)| f.name == rel)
                .map(|(l, f)| f.line_col(l.span.start as usize).0)
                .unwrap_or(0);
            let level = match d.level {
                Level::Error => "error",
                Level::Warning => "warning",
            };
            let code = d.code.to_string();
            (Expect { line, level, code }, d)
        })
        .collect();

    let mut want: Vec<Expect> = expected.iter().map(|(e, _)| e.clone()).collect();
    let mut got: Vec<Expect> = located.iter().map(|(e, _)| e.clone()).collect();
    want.sort();
    got.sort();
    if want != got {
        let show = |v: &[Expect]| {
            v.iter()
                .map(|e| format!("  line {}: {}: {}", e.line, e.level, e.code))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let all: Vec<String> = located
            .iter()
            .map(|(e, d)| format!("  line {} {}: {}", e.line, d.code, d.message.en))
            .collect();
        return Err(format!(
            "{rel}: diagnostics differ from the annotations\nannotated:\n{}\nreported:\n{}\n\nthe diagnostics:\n{}",
            show(&want),
            show(&got),
            all.join("\n")
        )
        .into());
    }
    for (e, text) in &expected {
        let Some(text) = text else { continue };
        let found = located
            .iter()
            .filter(|(x, _)| x == e)
            .any(|(_, d)| english(d).contains(text.as_str()));
        if !found {
            return Err(format!("{rel}:{}: no {} diagnostic says {text:?}", e.line, e.code).into());
        }
    }
    let errors = expected.iter().any(|(e, _)| e.level == "error");
    if !errors && c.program.is_none() {
        return Err(format!("{rel}: has no error annotation but does not compile").into());
    }

    let mut shown = Vec::new();
    render_diagnostics(
        &mut shown,
        &c.diagnostics,
        &c.sources,
        Style {
            lang: Lang::En,
            color: false,
        },
    );
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root.join("tests/check/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, String::from_utf8_lossy(&shown)));
    Ok(())
}

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/check");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/check")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "gj"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "expected the checker fixtures");
    let tests = files
        .into_iter()
        .map(|p| {
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            libtest_mimic::Trial::test(name, move || run_fixture(&p))
        })
        .collect();
    libtest_mimic::run(&args, tests).exit();
}
