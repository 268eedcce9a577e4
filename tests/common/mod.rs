//! What several test crates share (each includes this file with `mod common;`).

use std::path::Path;

/// The command line `guiju check <policy> --data <data> --format json`, then `extra`.
pub fn check_json_args(policy: &Path, data: &Path, extra: &[&str]) -> Vec<String> {
    let (policy, data) = (policy.to_string_lossy(), data.to_string_lossy());
    [
        "guiju", "check", &policy, "--data", &data, "--format", "json",
    ]
    .iter()
    .chain(extra)
    .map(|s| s.to_string())
    .collect()
}
