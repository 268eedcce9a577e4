//! `--jobs N` changes how fast, never what: the report is byte for byte the same for any number
//! of threads and any batch size, including grouped rules (aggregated in shards by key, one per
//! two threads) and records whose `where` cannot be decided.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::fmt::Write as _;
use std::path::PathBuf;

fn data() -> PathBuf {
    let path = std::env::temp_dir().join(format!("guiju-parallel-{}.jsonl", std::process::id()));
    let mut s = String::new();
    let mut x: u64 = 7;
    let mut next = |n: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % n
    };
    for i in 0..20_000 {
        let county = match next(50) {
            0 => "null".to_string(),
            k => format!("\"县{}\"", k % 37),
        };
        let amount = match next(100) {
            0 => "null".to_string(),
            1 => "\"很多\"".to_string(),
            _ => format!("\"{}.{}\"", next(520), next(100)),
        };
        let purpose = if next(2) == 0 { "poverty" } else { "other" };
        let paid = match next(10) {
            0 => "null".to_string(),
            _ => format!("\"2020-{:02}-{:02}\"", 1 + next(12), 1 + next(28)),
        };
        let _ = writeln!(
            s,
            "{{\"id\":\"F{i}\",\"county\":{county},\"amount\":{amount},\"purpose\":\"{purpose}\",\"paid\":{paid}}}"
        );
    }
    std::fs::write(&path, s).unwrap();
    path
}

fn check(data: &std::path::Path, jobs: usize, batch: usize) -> (i32, String) {
    let policy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/parallel/policy.gj");
    let (jobs, batch) = (jobs.to_string(), batch.to_string());
    let args = common::check_json_args(
        &policy,
        data,
        &["--as-of", "2021-06-30", "--jobs", &jobs, "--batch", &batch],
    );
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = guiju::cli::run(args, &mut out, &mut err);
    if code == 2 {
        panic!(
            "{}{}",
            String::from_utf8_lossy(&err),
            String::from_utf8_lossy(&out)
        );
    }
    (code, String::from_utf8(out).unwrap())
}

#[test]
fn reports_do_not_depend_on_threads_or_batches() {
    let data = data();
    let (code, reference) = check(&data, 1, 8192);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&reference).unwrap();
    let summary = &report["summary"];
    assert_eq!(summary["records"], 20_000);
    // Every grouped rule judged 37 counties (plus, for `half` and `biggest`, the records
    // without a county, which are unknown as a group).
    for rule in ["half", "biggest"] {
        // Counts are keyed by the rule's full id, `policy::rule`.
        let (_, by) = summary["by_rule"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(id, _)| id.ends_with(&format!("::{rule}")))
            .unwrap();
        let groups: u64 = ["pass", "fail", "unknown", "pending", "not_applicable"]
            .iter()
            .map(|k| by[k].as_u64().unwrap_or(0))
            .sum();
        assert!(groups >= 38, "{rule}: {by}");
    }
    // Groups are reported in the order their first record appears.
    let first_county = |rule: &str| -> Vec<u64> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"]["name"] == rule && f["record"]["group"].is_object())
            .map(|f| f["record"]["index"].as_u64().unwrap())
            .collect()
    };
    let firsts = first_county("biggest");
    assert!(firsts.len() > 10, "{reference:.2000}");
    assert!(firsts.windows(2).all(|w| w[0] < w[1]), "{firsts:?}");
    for (jobs, batch) in [(2, 8192), (3, 1000), (4, 500), (6, 97), (1, 1)] {
        let (c, r) = check(&data, jobs, batch);
        assert_eq!(c, code);
        assert!(r == reference, "--jobs {jobs} --batch {batch} differs");
    }
    let _ = std::fs::remove_file(data);
}
