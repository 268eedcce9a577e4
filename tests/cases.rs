//! Data-driven cases: each folder under `tests/cases/` holds a policy, data and a `cmd` file.
//! Each line of `cmd` is `NAME: ARGS…`; the case runs `guiju ARGS…` and snapshots exactly what a
//! user sees (exit code, stdout, stderr) as `snapshots/NAME.snap` in the case folder.
//! Adding a case is adding a folder; each folder is its own test (libtest-mimic, `harness = false`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::path::{Path, PathBuf};

fn run_case(dir: &Path) {
    let cmd = std::fs::read_to_string(dir.join("cmd")).expect("cmd file");
    let root = env!("CARGO_MANIFEST_DIR");
    let rel = dir
        .strip_prefix(root)
        .unwrap_or(dir)
        .to_string_lossy()
        .replace('\\', "/");
    for line in cmd
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let (name, args) = line.split_once(':').expect("NAME: ARGS");
        let mut argv = vec!["guiju".to_string()];
        for a in args.split_whitespace() {
            // Arguments naming files of the case (possibly as TYPE=FILE) are made relative to the repository.
            let (prefix, file) = match a.split_once('=') {
                Some((t, f)) if !a.starts_with('-') => (format!("{t}="), f),
                _ => (String::new(), a),
            };
            if !file.starts_with('-')
                && (dir.join(file).exists() || file.ends_with(".csv"))
                && !file.contains('/')
            {
                argv.push(format!("{prefix}{rel}/{file}"));
            } else {
                argv.push(a.to_string());
            }
        }
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = {
            let _guard = std::env::set_current_dir(root);
            guiju::cli::run(argv.clone(), &mut out, &mut err)
        };
        let shown = format!(
            "$ {}\nexit: {code}\n--- stdout\n{}--- stderr\n{}",
            argv[1..].join(" "),
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&err)
        );
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(dir.join("snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(name.trim().to_string(), shown));
        // Every check run's JSON report accounts for every record.
        if argv.get(1).map(String::as_str) == Some("check")
            && !argv.iter().any(|a| a == "--format" || a == "--output")
        {
            let mut json = argv.clone();
            json.extend(["--format".to_string(), "json".to_string()]);
            let mut out = Vec::new();
            let _ = guiju::cli::run(json.clone(), &mut out, &mut Vec::new());
            if let Ok(report) = serde_json::from_slice::<serde_json::Value>(&out) {
                common::assert_accounted(&report, &json.join(" "));
            }
        }
    }
}

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/cases")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("cmd").exists())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 5, "expected the shipped cases");
    // One test per folder: `cargo test --test cases` lists each, a failure names its folder, and
    // `cargo test --test cases -- bad-input` runs one.
    let tests = dirs
        .into_iter()
        .map(|d| {
            let name = d
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // libtest-mimic turns a failed snapshot (a panic) into this test's failure.
            libtest_mimic::Trial::test(name, move || {
                run_case(&d);
                Ok(())
            })
        })
        .collect();
    libtest_mimic::run(&args, tests).exit();
}
