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
