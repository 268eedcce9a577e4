//! Every `guiju check` command in an `examples/*/README.md` runs as written (no policy or input
//! error) and its report is snapshotted, so a change in what an agency would see shows in review.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::readme_commands;
use std::path::PathBuf;

#[test]
fn example_submissions() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(&root).unwrap();
    let mut topics: Vec<PathBuf> = std::fs::read_dir(root.join("examples"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("README.md").exists())
        .collect();
    topics.sort();
    let mut ran = 0;
    for t in topics {
        let name = t.file_name().unwrap().to_string_lossy().into_owned();
        let readme = std::fs::read_to_string(t.join("README.md")).unwrap();
        let cmds = readme_commands(&readme);
        assert!(
            !cmds.is_empty(),
            "examples/{name}/README.md gives no `guiju check` command"
        );
        for (i, mut argv) in cmds.into_iter().enumerate() {
            argv.extend(["--lang", "en", "--color", "never"].map(String::from));
            let mut out = Vec::new();
            let mut err = Vec::new();
            let code = guiju::cli::run(argv.clone(), &mut out, &mut err);
            let stderr = String::from_utf8_lossy(&err);
            assert!(
                code == 0 || code == 1,
                "examples/{name}: `{}` exited {code}:\n{stderr}",
                argv.join(" ")
            );
            let stdout = String::from_utf8_lossy(&out);
            assert!(
                stdout.contains("records ("),
                "examples/{name}: no summary line"
            );
            ran += 1;
            insta::assert_snapshot!(
                format!("{name}-{}", i + 1),
                format!(
                    "$ {}\nexit: {code}\n{stdout}--- stderr\n{stderr}",
                    argv.join(" ")
                )
            );
        }
    }
    assert!(ran >= 24, "{ran} example commands");
}

/// A finding, or a summary count keyed by record type, with the record type's policy prefix
/// taken off: a run of several policies names a shared type `policy::type`, a run of one does not.
fn unqualified(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(t) = v.pointer_mut("/record/record_type") {
        if let Some(s) = t.as_str() {
            *t = s.rsplit("::").next().unwrap_or(s).into();
        }
    }
    v
}

/// Checking all 24 shipped policies in one run works, and each example submission, named by
/// its policy (`--data relocation-2016::household=…`, `--data compulsory-education=figures.json`),
/// gets exactly the findings and counts it gets when checked by its own policy alone.
#[test]
fn every_example_gives_the_same_findings_when_all_policies_are_checked_in_one_run() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(&root).unwrap();
    let mut policies: Vec<String> = std::fs::read_dir(root.join("policies"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "gj"))
        .map(|p| format!("policies/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    policies.sort();
    assert_eq!(policies.len(), 24);
    let run_json = |argv: &[String]| {
        let mut argv = argv.to_vec();
        argv.extend(["--format", "json", "--color", "never"].map(String::from));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = guiju::cli::run(argv.clone(), &mut out, &mut err);
        assert!(
            code == 0 || code == 1,
            "`{}` exited {code}:\n{}",
            argv.join(" "),
            String::from_utf8_lossy(&err)
        );
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        (code, v)
    };
    let mut compared = 0;
    let mut findings = 0;
    for t in std::fs::read_dir(root.join("examples")).unwrap() {
        let t = t.unwrap().path();
        let Ok(readme) = std::fs::read_to_string(t.join("README.md")) else {
            continue;
        };
        for argv in readme_commands(&readme) {
            let policy = argv.iter().find(|a| a.ends_with(".gj")).unwrap().clone();
            let stem = policy
                .trim_start_matches("policies/")
                .trim_end_matches(".gj")
                .to_string();
            let mut all: Vec<String> = Vec::new();
            // `--data` takes every argument up to the next option.
            let mut data = false;
            for a in &argv {
                if *a == policy {
                    all.extend(policies.iter().cloned());
                } else if a.starts_with("--") {
                    data = a == "--data";
                    all.push(a.clone());
                } else if data {
                    all.push(match a.split_once('=') {
                        Some((ty, file)) => format!("{stem}::{ty}={file}"),
                        None => format!("{stem}={a}"),
                    });
                } else {
                    all.push(a.clone());
                }
            }
            let (code1, one) = run_json(&argv);
            let (code24, many) = run_json(&all);
            assert_eq!(code1, code24, "exit code of `{}`", all.join(" "));
            let f1: Vec<_> = one["findings"]
                .as_array()
                .unwrap()
                .iter()
                .cloned()
                .map(unqualified)
                .collect();
            let f24: Vec<_> = many["findings"]
                .as_array()
                .unwrap()
                .iter()
                .cloned()
                .map(unqualified)
                .collect();
            assert_eq!(f1, f24, "findings of `{}`", all.join(" "));
            assert_eq!(
                one["summary"]["outcomes"],
                many["summary"]["outcomes"],
                "counts of `{}`",
                all.join(" ")
            );
            for (rule, counts) in one["summary"]["by_rule"].as_object().unwrap() {
                assert!(
                    rule.starts_with(&format!("{}::", stem.replace('-', "_"))),
                    "{rule}"
                );
                assert_eq!(&many["summary"]["by_rule"][rule], counts, "{rule}");
            }
            findings += f1.len();
            compared += 1;
        }
    }
    assert!(compared >= 24, "{compared} commands compared");
    assert!(findings > 100, "{findings} findings compared");
}
