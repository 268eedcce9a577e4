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

/// The relocation example's households, `copies` times over (keys made unique), in `dir`.
fn households(dir: &Path, copies: usize) -> std::path::PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/relocation-2016/households.csv");
    let text = std::fs::read_to_string(src).unwrap();
    let mut lines = text.lines();
    let mut out = String::new();
    out.push_str(lines.next().unwrap());
    out.push('\n');
    let body: Vec<&str> = lines.collect();
    for i in 0..copies {
        for row in &body {
            let (key, rest) = row.split_once(',').unwrap();
            out.push_str(&format!("{key}-{i},{rest}\n"));
        }
    }
    let path = dir.join("households.csv");
    std::fs::write(&path, out).unwrap();
    path
}

fn relocation_policy() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("policies/relocation-2016.gj")
        .to_string_lossy()
        .into_owned()
}

/// `guiju check POLICY --data DATA --format FORMAT --output REPORT`: the exit code and the
/// report file read back as JSON.
fn check_to_file(
    policy: &Path,
    data: &Path,
    format: &str,
    report: &Path,
) -> (Option<i32>, serde_json::Value) {
    let run = Command::new(env!("CARGO_BIN_EXE_guiju"))
        .arg("check")
        .arg(policy)
        .arg("--data")
        .arg(data)
        .args(["--format", format, "--output"])
        .arg(report)
        .output()
        .unwrap();
    let written = serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
    (run.status.code(), written)
}

fn partial_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect()
}

#[test]
fn an_output_that_names_the_submission_is_refused_and_the_submission_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data = households(dir.path(), 1);
    let before = std::fs::read(&data).unwrap();
    // Also through a link to it.
    let link = dir.path().join("report.json");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&data, &link).unwrap();
    #[cfg(not(unix))]
    std::fs::hard_link(&data, &link).unwrap();
    for output in [&data, &link] {
        let run = Command::new(env!("CARGO_BIN_EXE_guiju"))
            .args(["check", &relocation_policy(), "--data"])
            .arg(&data)
            .args(["--format", "json", "--lang", "en", "--output"])
            .arg(output)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{err}");
        assert!(err.contains("error[U0009]"), "{err}");
        assert!(err.contains("is an input of this run"), "{err}");
        assert_eq!(
            std::fs::read(&data).unwrap(),
            before,
            "the submission was changed"
        );
    }
    assert!(partial_files(dir.path()).is_empty());
}

#[test]
fn a_report_that_cannot_be_written_whole_is_exit_2_with_a_message() {
    let full = Path::new("/dev/full");
    if !full.exists() {
        return; // Linux only: a device on which every write fails with "no space left".
    }
    let dir = tempfile::tempdir().unwrap();
    let data = households(dir.path(), 1);
    for format in ["json", "human", "sarif", "junit", "github"] {
        let run = Command::new(env!("CARGO_BIN_EXE_guiju"))
            .args(["check", &relocation_policy(), "--data"])
            .arg(&data)
            .args(["--format", format, "--lang", "en"])
            .stdout(std::fs::File::create(full).unwrap())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        // Without the check of its writes the run would exit 1 (it has failing findings).
        assert_eq!(run.status.code(), Some(2), "{format}: {err}");
        assert!(
            err.contains("error[U0008]: standard output could not be written whole"),
            "{format}: {err}"
        );
    }
}

#[test]
fn a_broken_policy_replaces_the_report_file_with_its_errors() {
    let dir = tempfile::tempdir().unwrap();
    let data = households(dir.path(), 1);
    let policy = dir.path().join("bad.gj");
    std::fs::write(&policy, "policy x {\n").unwrap();
    let report = dir.path().join("r.json");
    std::fs::write(&report, "yesterday's report").unwrap();
    let (code, written) = check_to_file(&policy, &data, "json", &report);
    assert_eq!(code, Some(2));
    assert_eq!(written["policy_errors"][0]["code"], "E0001", "{written}");
    assert!(partial_files(dir.path()).is_empty());
}

#[cfg(unix)]
#[test]
fn ctrl_c_leaves_the_previous_report_in_place() {
    let dir = tempfile::tempdir().unwrap();
    // Enough findings that the human report on stdout fills the pipe, which this test never
    // reads: the run then waits in the middle of writing, with its JSON report half written.
    let data = households(dir.path(), 200);
    let report = dir.path().join("r.json");
    std::fs::write(&report, "yesterday's report").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_guiju"))
        .args(["check", &relocation_policy(), "--data"])
        .arg(&data)
        .args([
            "--format", "json", "--lang", "en", "--jobs", "1", "--output",
        ])
        .arg(&report)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while partial_files(dir.path()).is_empty() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the report was never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let killed = Command::new("sh")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted: no report was written; the previous report file is as it was"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&report).unwrap(),
        "yesterday's report"
    );
    assert!(
        partial_files(dir.path()).is_empty(),
        "{:?}",
        partial_files(dir.path())
    );
}

#[test]
fn a_whole_report_replaces_the_previous_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = households(dir.path(), 1);
    let report = dir.path().join("r.sarif");
    std::fs::write(&report, "yesterday's report").unwrap();
    let (code, written) = check_to_file(Path::new(&relocation_policy()), &data, "sarif", &report);
    assert_eq!(code, Some(1));
    assert_eq!(written["version"], "2.1.0");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&report).unwrap().permissions().mode();
        // Readable by others as a file made by the shell would be (not a temporary file's 0600).
        assert_eq!(mode & 0o044, 0o044, "{mode:o}");
    }
    assert!(partial_files(dir.path()).is_empty());
}
