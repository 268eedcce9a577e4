//! Passing records cost no allocation: reading, judging and counting a record that passes every
//! rule reuses buffers, so the allocations of a run grow with the number of batches, not of
//! records. (The global allocator here counts every allocation of this test binary.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The counts are of the whole binary: its tests take turns.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `n` households that pass every rule of `benches/policies/thresholds.gj`.
fn data(dir: &Path, n: usize, csv: bool) -> PathBuf {
    let mut s = String::new();
    if csv {
        s.push_str("id,county,members,floor_area,subsidy,self_pay,debt,income,source,registered\n");
    }
    for i in 0..n {
        let area = 60 + i % 40;
        if csv {
            let _ = writeln!(
                s,
                "H{i:07},县{},4,{area}.50,50000,1000.25,5000,20000,rental,true",
                i % 30
            );
        } else {
            let _ = writeln!(
                s,
                "{{\"id\":\"H{i:07}\",\"county\":\"县{}\",\"members\":4,\"floor_area\":{area}.50,\"subsidy\":50000,\"self_pay\":1000.25,\"debt\":5000,\"income\":20000,\"source\":\"rental\",\"registered\":true}}",
                i % 30
            );
        }
    }
    let path = dir.join(format!("h{n}.{}", if csv { "csv" } else { "jsonl" }));
    std::fs::write(&path, s).unwrap();
    path
}

/// Allocations of one `guiju check` of the file, with batches of 1,024 records.
fn allocations(data: &Path, jobs: usize) -> usize {
    let policy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/policies/thresholds.gj");
    let jobs = jobs.to_string();
    let args = common::check_json_args(&policy, data, &["--jobs", &jobs, "--batch", "1024"]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let region = Region::new(GLOBAL);
    let code = guiju::cli::run(args, &mut out, &mut err);
    let n = region.change().allocations;
    assert_eq!(
        code,
        0,
        "{}{}",
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&err)
    );
    n
}

#[test]
fn passing_records_cost_no_allocation() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("guiju-alloc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for csv in [false, true] {
        for jobs in [1, 2] {
            // A first run pays for what is set up once per process (and fills the spare value
            // vectors kept between runs); it is not counted.
            let _ = allocations(&data(&dir, 8_192, csv), jobs);
            let small = allocations(&data(&dir, 8_192, csv), jobs);
            let large = allocations(&data(&dir, 65_536, csv), jobs);
            let per_record = (large.saturating_sub(small)) as f64 / (65_536 - 8_192) as f64;
            eprintln!("csv {csv}, --jobs {jobs}: {small} and {large} allocations, {per_record:.4} per added record");
            // About ten allocations per batch of 1,024 records are expected (the batch's own
            // vectors, bundles of spare value vectors moved between threads): 0.01 a record.
            // One per record is not.
            assert!(
                per_record < 0.05,
                "csv {csv}, --jobs {jobs}: {per_record:.3} allocations per record ({small} for 8,192 records, {large} for 65,536)"
            );
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Giving back a record's values frees what they own (long text, lists, unreadable values) and
/// nothing else: the vector itself is kept for the next record.
#[test]
fn recycled_values_free_what_they_own() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    use guiju::value::Value;
    let long = "一个超过二十四个字节的文本值，放在堆上".to_string();
    let rows = || -> Vec<Vec<Value>> {
        (0..100)
            .map(|i| {
                vec![
                    Value::Num(rust_decimal::Decimal::new(i, 2)),
                    Value::Text(long.as_str().into()),
                    Value::Text("inline".into()),
                    Value::Missing,
                    Value::Bool(true),
                    Value::invalid("x", "坏", "bad"),
                    Value::List(vec![vec![Value::Text(long.as_str().into())]].into_boxed_slice()),
                ]
            })
            .collect()
    };
    // The counter is the whole process's: a thread of an earlier test still winding down may
    // free a few bytes meanwhile (seen once, on a loaded machine: 806 frees and 5 allocations).
    // What recycling frees does not vary, so one clean measurement of three is enough.
    let mut seen = Vec::new();
    for _ in 0..3 {
        let rows = rows();
        let region = Region::new(GLOBAL);
        for row in rows {
            guiju::input::recycle(row);
        }
        let stats = region.change();
        // Per row: the long text, the invalid value's box and its three strings, the list's
        // slice, its one row vector and that row's long text.
        // (Keeping the vectors for reuse may itself free a buffer or two.)
        if (800..=805).contains(&stats.deallocations) {
            return;
        }
        seen.push(stats);
    }
    panic!("recycling 100 rows freed other than 800 to 805 blocks: {seen:?}");
}
