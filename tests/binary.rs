//! The `guiju` executable itself, as a pipeline runs it: its report reaches a pipe whole, and its
//! exit code is the one `cli::run` returns.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;
use std::process::Command;

/// The arguments with the policy and data files given by their full paths.
fn full(args: &[&str], dir: &Path) -> Vec<String> {
    args.iter()
        .map(|a| {
            if a.ends_with(".gj") || a.ends_with(".csv") {
                dir.join(a).to_string_lossy().into_owned()
            } else {
                a.to_string()
            }
        })
        .collect()
}

fn in_process(args: &[String]) -> (i32, Vec<u8>) {
    let args = std::iter::once("guiju".to_string())
        .chain(args.iter().cloned())
        .collect();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = guiju::cli::run(args, &mut out, &mut err);
    (code, out)
}

#[test]
fn a_report_written_to_a_pipe_arrives_whole_with_the_exit_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/relocation-basic");
    let check = [
        "check",
        "policy.gj",
        "--data",
        "households.csv",
        "--as-of",
        "2017-06-30",
    ];
    for view in [&["--format", "json"][..], &["--color", "never"][..]] {
        let args: Vec<&str> = check.iter().chain(view).copied().collect();
        let args = full(&args, &dir);
        let (code, expected) = in_process(&args);
        let run = Command::new(env!("CARGO_BIN_EXE_guiju"))
            .args(&args)
            .output()
            .unwrap();
        assert!(
            expected.len() > 1000,
            "{}",
            String::from_utf8_lossy(&expected)
        );
        assert_eq!(run.status.code(), Some(code), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&expected),
            "{args:?}"
        );
    }
}
