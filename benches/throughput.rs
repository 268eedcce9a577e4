//! Throughput and memory benchmark: `cargo bench --bench throughput`. Results and the machine
//! they were measured on: `docs/performance.md`.
//!
//! In one run it
//! - generates deterministic synthetic submissions (a fixed-seed LCG) into `target/bench-data/`:
//!   1,000,000 records each (override with `GUIJU_BENCH_RECORDS=N`) for the three policies in
//!   `benches/policies/`, as JSONL and as CSV (and, for `joins`, 3,000 county summaries beside
//!   the `grouped` project list);
//! - times `guiju check` (`guiju::cli::run`, `--format json`, the report written to a writer
//!   that keeps only its tail, for the summary) with `--jobs 1` and `--jobs 2`, and a
//!   hand-written baseline (serde_json / csv crate, plain `if`s over `rust_decimal`) that applies
//!   the same checks to the same file;
//! - checks that guiju and the baseline count the same outcomes;
//! - prints records/s, MB/s, peak memory (VmHWM) and guiju ÷ baseline;
//! - times loading a generated 1,000-rule policy and checking 1,000 records with it.
//!
//! This binary uses the allocator the `guiju` binary uses (mimalloc, see `src/main.rs`), so that
//! guiju and the baseline are timed with the same one.
//!
//! Every measurement runs in a fresh child process (this binary, re-invoked with
//! `GUIJU_BENCH_CHILD` set), so that its peak memory is its own.
//!
//! Optional: `GUIJU_BENCH_BIG_RECORDS=5400000` also generates a ~1 GB JSONL file and reports
//! guiju's peak memory on it; `GUIJU_BENCH_REPEAT=N` keeps the fastest of N runs, run in
//! rounds (baseline, `--jobs 1`, `--jobs 2`, then again); `GUIJU_BENCH_ONLY=thresholds,grouped`
//! runs only those policies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use chrono::NaiveDate;
use serde::Deserialize;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const AS_OF: &str = "2026-01-01";
const SEP: char = '\u{1f}';

// ---------------------------------------------------------------- deterministic generator

struct Lcg(u64);

impl Lcg {
    fn new(seed: u64) -> Lcg {
        Lcg(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True once in `n`.
    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

fn cents(c: u64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data_dir() -> PathBuf {
    root().join("target").join("bench-data")
}

fn policy_path(name: &str) -> PathBuf {
    root()
        .join("benches")
        .join("policies")
        .join(format!("{name}.gj"))
}

/// Writes `name-N.jsonl` and `name-N.csv` unless they are already there.
fn generate(name: &str, n: u64, csv_too: bool) -> (PathBuf, PathBuf) {
    let dir = data_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let jsonl = dir.join(format!("{name}-{n}.jsonl"));
    let csv = dir.join(format!("{name}-{n}.csv"));
    let done = dir.join(format!("{name}-{n}.done"));
    if done.exists() && jsonl.exists() && (!csv_too || csv.exists()) {
        return (jsonl, csv);
    }
    let t = Instant::now();
    let mut j = BufWriter::with_capacity(1 << 20, File::create(&jsonl).unwrap());
    let mut c = if csv_too {
        Some(BufWriter::with_capacity(
            1 << 20,
            File::create(&csv).unwrap(),
        ))
    } else {
        None
    };
    let mut rng = Lcg::new(0x5eed_6a11_u64 ^ name.len() as u64);
    let mut line = String::with_capacity(512);
    let mut row = String::with_capacity(512);
    let header = match name {
        "thresholds" => {
            "id,county,members,floor_area,subsidy,self_pay,debt,income,source,registered"
        }
        "deadlines" => "id,county,received,decided,notified",
        "households" => HOUSEHOLD_HEADER,
        _ => "id,county,amount,purpose",
    };
    if let Some(c) = c.as_mut() {
        writeln!(c, "{header}").unwrap();
    }
    let base = NaiveDate::from_ymd_opt(2017, 1, 1).unwrap();
    let last = NaiveDate::from_ymd_opt(2025, 11, 30).unwrap();
    let span = (last - base).num_days() as u64;
    for i in 0..n {
        line.clear();
        row.clear();
        match name {
            "thresholds" => {
                let year = 2017 + rng.below(9);
                let id = format!("411200-{year}-{i:08}");
                let county = format!("4112{:02}", 21 + rng.below(60));
                let members = if rng.one_in(500) {
                    13
                } else {
                    1 + rng.below(8)
                };
                let per = if rng.one_in(200) {
                    2600
                } else {
                    1500 + rng.below(1000)
                };
                let area = members * per; // cents of m²
                let mut subsidy = members.min(3) * 20000 - rng.below(2000);
                if rng.one_in(300) {
                    subsidy += 1000;
                }
                let self_pay = if rng.one_in(300) {
                    subsidy * 20
                } else {
                    rng.below(subsidy * 10 + 1)
                };
                let debt = if rng.one_in(300) {
                    1_500_000
                } else {
                    rng.below(1_000_000)
                };
                let income = if rng.one_in(200) {
                    0
                } else if rng.one_in(300) {
                    500_000
                } else {
                    2_000_000 + rng.below(4_000_000)
                };
                let source = ["new_build", "repurchase", "rental"][rng.below(3) as usize];
                let registered = if source == "new_build" {
                    !rng.one_in(200)
                } else {
                    rng.one_in(2)
                };
                let (area, self_pay, debt, income) =
                    (cents(area), cents(self_pay), cents(debt), cents(income));
                write!(
                    line,
                    "{{\"id\":\"{id}\",\"county\":\"{county}\",\"members\":{members},\"floor_area\":{area},\"subsidy\":{subsidy},\"self_pay\":{self_pay},\"debt\":{debt},\"income\":{income},\"source\":\"{source}\",\"registered\":{registered}}}"
                )
                .unwrap();
                write!(row, "{id},{county},{members},{area},{subsidy},{self_pay},{debt},{income},{source},{registered}").unwrap();
            }
            "deadlines" => {
                let id = format!("SQ-{i:09}");
                let county = format!("4112{:02}", 21 + rng.below(60));
                let received = base + chrono::Duration::days(rng.below(span + 1) as i64);
                // 7 working days are at least 9 calendar days: 0–8 days is always in time.
                let late = |rng: &mut Lcg| {
                    if rng.one_in(50) {
                        20
                    } else {
                        rng.below(9) as i64
                    }
                };
                let decided = received + chrono::Duration::days(late(&mut rng));
                let notified = decided + chrono::Duration::days(late(&mut rng));
                let decided = (!rng.one_in(50)).then_some(decided);
                let notified = (!rng.one_in(50)).then_some(notified);
                write!(
                    line,
                    "{{\"id\":\"{id}\",\"county\":\"{county}\",\"received\":\"{received}\""
                )
                .unwrap();
                write!(row, "{id},{county},{received},").unwrap();
                if let Some(d) = decided {
                    write!(line, ",\"decided\":\"{d}\"").unwrap();
                    write!(row, "{d}").unwrap();
                }
                row.push(',');
                if let Some(d) = notified {
                    write!(line, ",\"notified\":\"{d}\"").unwrap();
                    write!(row, "{d}").unwrap();
                }
                line.push('}');
            }
            "households" => household(&mut rng, i, &mut line, &mut row),
            _ => {
                let id = format!("XM-{i:09}");
                let c = rng.below(3000);
                let county = format!("C{c:04}");
                let share = if c % 7 == 0 { 35 } else { 65 };
                let purpose = if rng.below(100) < share {
                    "poverty"
                } else {
                    "other"
                };
                let amount = cents(rng.below(100_000));
                write!(
                    line,
                    "{{\"id\":\"{id}\",\"county\":\"{county}\",\"amount\":{amount},\"purpose\":\"{purpose}\"}}"
                )
                .unwrap();
                write!(row, "{id},{county},{amount},{purpose}").unwrap();
            }
        }
        j.write_all(line.as_bytes()).unwrap();
        j.write_all(b"\n").unwrap();
        if let Some(c) = c.as_mut() {
            c.write_all(row.as_bytes()).unwrap();
            c.write_all(b"\n").unwrap();
        }
    }
    j.flush().unwrap();
    if let Some(mut c) = c {
        c.flush().unwrap();
    }
    File::create(&done).unwrap();
    eprintln!(
        "generated {} ({n} records) in {:.1}s",
        jsonl.display(),
        t.elapsed().as_secs_f64()
    );
    (jsonl, csv)
}

/// The county summaries of the `joins` benchmark, from the `grouped` project list at `funds`:
/// 3,000 counties, one in five poor, each reporting its projects' total (every tenth off by one
/// cent, to fail `reported_matches`).
fn generate_counties(funds: &Path) -> PathBuf {
    let out = funds.with_extension("counties.csv");
    if out.exists() {
        return out;
    }
    let mut sums: Vec<rust_decimal::Decimal> = vec![rust_decimal::Decimal::ZERO; 3000];
    let mut r = csv::Reader::from_path(funds).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        let c: usize = rec[1][1..].parse().unwrap();
        sums[c] += rust_decimal::Decimal::from_str_exact(&rec[2]).unwrap();
    }
    let mut w = BufWriter::new(File::create(&out).unwrap());
    writeln!(w, "county,kind,reported").unwrap();
    for (c, sum) in sums.iter().enumerate() {
        let kind = if c % 5 == 0 { "poor" } else { "non_poor" };
        let reported = if c % 10 == 3 {
            *sum + rust_decimal::Decimal::new(1, 2)
        } else {
            *sum
        };
        writeln!(w, "C{c:04},{kind},{reported}").unwrap();
    }
    w.flush().unwrap();
    out
}

/// The CSV header of the `households` benchmark file (the record type of `households.gj`).
/// The CSV submission as a workbook of one sheet, written once: numbers as number cells, the
/// rest as text (what a spreadsheet program saves). Written by rust_xlsxwriter, which holds the
/// sheet in memory while it writes (about 2 GB for 1,000,000 rows of 10 cells).
fn to_xlsx(csv_path: &Path) -> PathBuf {
    let out = csv_path.with_extension("xlsx");
    if out.exists() {
        return out;
    }
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(csv_path)
        .unwrap();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.unwrap();
        for (c, t) in rec.iter().enumerate() {
            let numeric = i > 0
                && !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
            match t.parse::<f64>() {
                Ok(f) if numeric => ws.write_number(i as u32, c as u16, f).map(|_| ()),
                _ if t.is_empty() => Ok(()),
                _ => ws.write_string(i as u32, c as u16, t).map(|_| ()),
            }
            .unwrap();
        }
    }
    let tmp = out.with_extension("xlsx.part");
    wb.save(&tmp).unwrap();
    std::fs::rename(&tmp, &out).unwrap();
    out
}

const HOUSEHOLD_HEADER: &str = "household_id,county_name,resettlement_site,household_members,residential_floor_area,housing_source,registered_poor_household,over_area_reported,relocation_subsidy_amount,relocation_debt_amount,household_annual_income,village_notice_date,township_review_date,move_in_date,old_house_demolished_date,exit_support_measures";

const COUNTIES: [&str; 6] = ["湖滨区", "陕州区", "渑池县", "卢氏县", "义马市", "灵宝市"];
const TOWNSHIPS: [&str; 8] = [
    "城关镇",
    "大营镇",
    "观音堂镇",
    "官道口镇",
    "杜关镇",
    "朱阳镇",
    "五里川镇",
    "张村镇",
];
const SITES: [&str; 5] = [
    "幸福家园安置点",
    "新村集中安置区",
    "阳光社区安置点",
    "移民新村",
    "和谐家园小区",
];
const MEASURES: [&str; 4] = [
    "发展食用菌种植，安排一名家庭成员到扶贫车间就业",
    "参加技能培训后外出务工，享受光伏扶贫收益分红",
    "流转土地入股合作社，落实公益性岗位一个",
    "发展林果业和乡村旅游，子女享受教育资助政策",
];

/// One household of the findings-heavy benchmark, as a JSONL line and a CSV row. About 6 % of
/// households fail a rule, about 2 % have a verdict unknown (a missing amount) and a few are
/// pending (a house not yet demolished, its deadline after the as-of date).
fn household(rng: &mut Lcg, i: u64, line: &mut String, row: &mut String) {
    let base = NaiveDate::from_ymd_opt(2017, 1, 1).unwrap();
    let last = NaiveDate::from_ymd_opt(2025, 11, 30).unwrap();
    let span = (last - base).num_days() as u64;
    let c = rng.below(COUNTIES.len() as u64) as usize;
    let year = 2016 + rng.below(10);
    let id = format!("HH-4112{:02}-{year}-{i:08}", 21 + c);
    let site = format!(
        "{}{}",
        TOWNSHIPS[rng.below(TOWNSHIPS.len() as u64) as usize],
        SITES[rng.below(SITES.len() as u64) as usize]
    );
    let members = if rng.one_in(1000) {
        13
    } else {
        1 + rng.below(8)
    };
    let per = if rng.one_in(150) {
        2600
    } else {
        1500 + rng.below(1000)
    };
    let area = cents(members * per);
    let source = match rng.below(10) {
        0..=5 => "new_build",
        6..=8 => "repurchase_2016",
        _ => "public_rental",
    };
    let registered = if source == "new_build" {
        !rng.one_in(300)
    } else {
        !rng.one_in(3)
    };
    let over_area = (source == "repurchase_2016").then(|| rng.one_in(2));
    let subsidy = if rng.one_in(100) {
        None
    } else {
        let mut s = members.min(3) * 20000 - rng.below(2000);
        if rng.one_in(500) {
            s += 1000;
        }
        Some(s)
    };
    let debt = if rng.one_in(100) {
        None
    } else if rng.one_in(500) {
        Some(1_500_000)
    } else {
        Some(rng.below(1_000_000))
    };
    let income = if rng.one_in(500) {
        500_000
    } else {
        2_000_000 + rng.below(4_000_000)
    };
    let notice = base + chrono::Duration::days(rng.below(span + 1) as i64);
    // 10 working days are at least 12 calendar days, even with a weekend made a working day.
    let review = if rng.one_in(100) {
        None
    } else if rng.one_in(200) {
        Some(notice + chrono::Duration::days(30))
    } else {
        Some(notice + chrono::Duration::days(rng.below(12) as i64))
    };
    let move_in = base + chrono::Duration::days(rng.below(span + 1) as i64);
    let demolished = if rng.one_in(60) {
        None
    } else if rng.one_in(200) {
        Some(move_in + chrono::Duration::days(400))
    } else {
        Some(move_in + chrono::Duration::days(rng.below(330) as i64))
    };
    let measures = if registered && rng.one_in(200) {
        None
    } else {
        Some(MEASURES[rng.below(MEASURES.len() as u64) as usize])
    };
    let county = COUNTIES[c];
    write!(
        line,
        "{{\"household_id\":\"{id}\",\"county_name\":\"{county}\",\"resettlement_site\":\"{site}\",\"household_members\":{members},\"residential_floor_area\":{area},\"housing_source\":\"{source}\",\"registered_poor_household\":{registered}"
    )
    .unwrap();
    write!(
        row,
        "{id},{county},{site},{members},{area},{source},{registered},"
    )
    .unwrap();
    if let Some(o) = over_area {
        write!(line, ",\"over_area_reported\":{o}").unwrap();
        write!(row, "{o}").unwrap();
    }
    row.push(',');
    if let Some(s) = subsidy {
        write!(line, ",\"relocation_subsidy_amount\":{s}").unwrap();
        write!(row, "{s}").unwrap();
    }
    row.push(',');
    if let Some(d) = debt {
        let d = cents(d);
        write!(line, ",\"relocation_debt_amount\":{d}").unwrap();
        write!(row, "{d}").unwrap();
    }
    let income = cents(income);
    write!(
        line,
        ",\"household_annual_income\":{income},\"village_notice_date\":\"{notice}\""
    )
    .unwrap();
    write!(row, ",{income},{notice},").unwrap();
    if let Some(d) = review {
        write!(line, ",\"township_review_date\":\"{d}\"").unwrap();
        write!(row, "{d}").unwrap();
    }
    write!(line, ",\"move_in_date\":\"{move_in}\"").unwrap();
    write!(row, ",{move_in},").unwrap();
    if let Some(d) = demolished {
        write!(line, ",\"old_house_demolished_date\":\"{d}\"").unwrap();
        write!(row, "{d}").unwrap();
    }
    row.push(',');
    if let Some(m) = measures {
        write!(line, ",\"exit_support_measures\":\"{m}\"").unwrap();
        row.push_str(m);
    }
    line.push('}');
}

/// A policy with 1,000 rules over the `household` record of `thresholds.gj`.
fn generate_big_policy() -> PathBuf {
    let text = std::fs::read_to_string(policy_path("thresholds")).unwrap();
    let head = text.split("\nrule ").next().unwrap();
    let head = head.replace("policy bench_thresholds", "policy bench_thousand_rules");
    let mut out = head.to_string();
    for i in 0..1000 {
        let k = i / 10;
        let req = match i % 10 {
            0 => format!("floor_area / members <= {} m²", 25 + k % 10),
            1 => format!("floor_area >= {} m²", 1 + k % 10),
            2 => format!("subsidy <= {}万元", 6 + k % 3),
            3 => format!("subsidy / members <= {} 元", 20000 + 100 * k),
            4 => format!("self_pay <= {}% * subsidy", 10 + k % 10),
            5 => format!("debt <= {} 元", 10000 + 100 * k),
            6 => format!("income <= 0 元 or debt / income <= {}%", 50 + k % 40),
            7 => format!("members >= 1 人 and members <= {} 人", 12 + k % 6),
            8 => "source != new_build or registered".to_string(),
            _ => format!("income >= {} 元 or income <= 0 元", 1000 + 10 * k),
        };
        write!(
            out,
            "\nrule r{i:04} \"生成的规则 {i}\" {{\n  cite \"生成的规则 {i}\"\n  applies to household\n  require {req}\n}}\n"
        )
        .unwrap();
    }
    let p = data_dir().join("policy-1000-rules.gj");
    std::fs::write(&p, out).unwrap();
    p
}

// ---------------------------------------------------------------- child processes

fn vm_hwm_kb() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    records: u64,
    pass: u64,
    fail: u64,
    na: u64,
    pending: u64,
    unknown: u64,
}

impl Counts {
    fn add(&mut self, o: Out) {
        match o {
            Out::Pass => self.pass += 1,
            Out::Fail => self.fail += 1,
            Out::Na => self.na += 1,
            Out::Pending => self.pending += 1,
            Out::Unknown => self.unknown += 1,
        }
    }
    fn encode(&self) -> String {
        format!(
            "{} {} {} {} {} {}",
            self.records, self.pass, self.fail, self.na, self.pending, self.unknown
        )
    }
    fn decode(s: &str) -> Counts {
        let v: Vec<u64> = s
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        Counts {
            records: v[0],
            pass: v[1],
            fail: v[2],
            na: v[3],
            pending: v[4],
            unknown: v[5],
        }
    }
}

#[derive(Clone, Copy)]
enum Out {
    Pass,
    Fail,
    Na,
    Pending,
    Unknown,
}

fn ok(b: bool) -> Out {
    if b {
        Out::Pass
    } else {
        Out::Fail
    }
}

/// Discards what is written but keeps the last `cap` bytes (where the JSON report's summary is).
struct Tail {
    buf: Vec<u8>,
    cap: usize,
    total: u64,
}

impl Tail {
    fn new(cap: usize) -> Tail {
        Tail {
            buf: Vec::with_capacity(2 * cap),
            cap,
            total: 0,
        }
    }
}

impl Write for Tail {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.total += b.len() as u64;
        self.buf.extend_from_slice(b);
        if self.buf.len() > 2 * self.cap {
            let cut = self.buf.len() - self.cap;
            self.buf.drain(..cut);
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads the counts of the JSON report's `"summary":{…}` (the report's last member).
fn parse_summary(report: &str) -> Counts {
    let Some(at) = report.rfind("\"summary\":") else {
        return Counts::default();
    };
    let text = report[at + "\"summary\":".len()..].trim_end();
    let text = text.strip_suffix('}').unwrap_or(text);
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let n = |k: &str| v["outcomes"][k].as_u64().unwrap_or(0);
    Counts {
        records: v["records"].as_u64().unwrap_or(0),
        pass: n("pass"),
        fail: n("fail"),
        na: n("not_applicable"),
        pending: n("pending"),
        unknown: n("unknown"),
    }
}

fn child(mode: &str) {
    let args: Vec<String> = std::env::var("GUIJU_BENCH_ARGS")
        .unwrap_or_default()
        .split(SEP)
        .map(str::to_string)
        .collect();
    match mode {
        "guiju" => {
            let mut out = Tail::new(1 << 20);
            let mut err = Vec::new();
            let t = Instant::now();
            let code = guiju::cli::run(args, &mut out, &mut err);
            let secs = t.elapsed().as_secs_f64();
            if code == 2 {
                eprintln!("guiju exited 2: {}", String::from_utf8_lossy(&err));
            }
            let c = parse_summary(&String::from_utf8_lossy(&out.buf));
            println!("RESULT {secs} {} {} {}", vm_hwm_kb(), c.encode(), out.total);
        }
        "baseline" => {
            let t = Instant::now();
            // The findings' lines go where guiju's report goes: a writer that keeps the tail.
            let count_only = args.get(3).is_some_and(|a| a == "count");
            let mut findings = baseline::Findings::new((!count_only).then(|| Tail::new(1 << 20)));
            let c = match (args[0].as_str(), args[2].as_str()) {
                ("households", "jsonl") => baseline::households_jsonl(&args[1], &mut findings),
                ("households", _) => baseline::households_csv(&args[1], &mut findings),
                ("thresholds", "jsonl") => baseline::thresholds_jsonl(&args[1]),
                ("thresholds", "xlsx") => baseline::thresholds_xlsx(&args[1]),
                ("thresholds", _) => baseline::thresholds_csv(&args[1]),
                ("deadlines", "jsonl") => baseline::deadlines_jsonl(&args[1]),
                ("deadlines", _) => baseline::deadlines_csv(&args[1]),
                ("joins", _) => baseline::joins_csv(&args[1], &args[3]),
                (_, "jsonl") => baseline::grouped_jsonl(&args[1]),
                _ => baseline::grouped_csv(&args[1]),
            };
            let secs = t.elapsed().as_secs_f64();
            let bytes = findings.out.map_or(0, |t| t.total);
            println!("RESULT {secs} {} {} {bytes}", vm_hwm_kb(), c.encode());
        }
        "load" => {
            // args: policy, data
            let t = Instant::now();
            let text = std::fs::read_to_string(&args[0]).unwrap();
            let compiled = guiju::check::compile(vec![(args[0].clone(), text)], &guiju::FsResolver);
            let load = t.elapsed().as_secs_f64();
            let rules = compiled
                .program
                .as_ref()
                .map(|p| p.rules.len())
                .unwrap_or(0);
            drop(compiled);
            let cli = vec![
                "guiju".to_string(),
                "check".into(),
                args[0].clone(),
                "--data".into(),
                args[1].clone(),
                "--as-of".into(),
                AS_OF.into(),
                "--format".into(),
                "json".into(),
                "--lang".into(),
                "en".into(),
                "--jobs".into(),
                "1".into(),
            ];
            let mut out = Tail::new(1 << 20);
            let mut err = Vec::new();
            let t = Instant::now();
            let code = guiju::cli::run(cli, &mut out, &mut err);
            let total = t.elapsed().as_secs_f64();
            if code == 2 {
                eprintln!("guiju exited 2: {}", String::from_utf8_lossy(&err));
            }
            let c = parse_summary(&String::from_utf8_lossy(&out.buf));
            println!("RESULT {load} {total} {rules} {}", c.encode());
        }
        other => panic!("unknown child mode {other}"),
    }
}

struct Run {
    secs: f64,
    hwm_kb: u64,
    counts: Counts,
    /// Bytes of report written.
    bytes: u64,
}

fn spawn(mode: &str, args: &[String]) -> Vec<String> {
    let exe = std::env::current_exe().unwrap();
    let joined = args.join(&SEP.to_string());
    let out = Command::new(exe)
        .env("GUIJU_BENCH_CHILD", mode)
        .env("GUIJU_BENCH_ARGS", joined)
        .stderr(std::process::Stdio::inherit())
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    let line = s
        .lines()
        .find(|l| l.starts_with("RESULT "))
        .unwrap_or_else(|| panic!("child {mode} {args:?} printed no result: {s}"));
    line.split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect()
}

/// One run of a child: its time, peak memory and outcome counts.
fn run_once(mode: &str, args: &[String]) -> Run {
    let f = spawn(mode, args);
    Run {
        secs: f[0].parse().unwrap(),
        hwm_kb: f[1].parse().unwrap(),
        counts: Counts::decode(&f[2..].join(" ")),
        bytes: f.get(8).and_then(|b| b.parse().ok()).unwrap_or(0),
    }
}

/// Runs each child `repeat` times, in rounds (each child once a round, so that a slow spell of
/// the machine falls on all of them alike rather than on the repeats of one), and keeps each
/// child's fastest run, with the highest peak memory of its runs.
fn run_rounds(children: &[(&str, Vec<String>)], repeat: usize) -> Vec<Run> {
    let mut best: Vec<Option<Run>> = children.iter().map(|_| None).collect();
    for _ in 0..repeat.max(1) {
        for ((mode, args), b) in children.iter().zip(best.iter_mut()) {
            let r = run_once(mode, args);
            *b = Some(match b.take() {
                Some(b) if b.secs <= r.secs => Run {
                    hwm_kb: b.hwm_kb.max(r.hwm_kb),
                    ..b
                },
                Some(b) => Run {
                    hwm_kb: b.hwm_kb.max(r.hwm_kb),
                    ..r
                },
                None => r,
            });
        }
    }
    best.into_iter().map(Option::unwrap).collect()
}

fn guiju_args(policy: &Path, data: &Path, jobs: usize) -> Vec<String> {
    guiju_args_as(policy, data, jobs, "json")
}

fn guiju_args_as(policy: &Path, data: &Path, jobs: usize, format: &str) -> Vec<String> {
    [
        "guiju",
        "check",
        &policy.to_string_lossy(),
        "--data",
        &data.to_string_lossy(),
        "--as-of",
        AS_OF,
        "--format",
        format,
        "--lang",
        "en",
        "--color",
        "never",
        "--jobs",
        &jobs.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

// ---------------------------------------------------------------- the hand-written baseline

mod baseline {
    use super::{ok, Counts, Deserialize, Out};
    use chrono::NaiveDate;
    use rust_decimal::Decimal;
    use std::collections::HashMap;
    use std::io::BufRead;
    use std::str::FromStr;

    fn lines(path: &str, mut f: impl FnMut(&str)) {
        let mut r = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path).unwrap());
        let mut line = String::with_capacity(1024);
        loop {
            line.clear();
            if r.read_line(&mut line).unwrap() == 0 {
                break;
            }
            if !line.trim().is_empty() {
                f(&line);
            }
        }
    }

    fn num(n: &serde_json::Number) -> Decimal {
        Decimal::from_str(n.as_str()).unwrap()
    }

    fn dec(b: &[u8]) -> Decimal {
        Decimal::from_str(std::str::from_utf8(b).unwrap()).unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::from_str(s).unwrap()
    }

    fn csv_reader(path: &str) -> (csv::Reader<std::fs::File>, HashMap<String, usize>) {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(path)
            .unwrap();
        let h = r
            .headers()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), i))
            .collect();
        (r, h)
    }

    // (a) thresholds

    #[derive(Deserialize)]
    struct Household<'a> {
        #[allow(dead_code)]
        id: &'a str,
        #[allow(dead_code)]
        county: &'a str,
        members: serde_json::Number,
        floor_area: serde_json::Number,
        subsidy: serde_json::Number,
        self_pay: serde_json::Number,
        debt: serde_json::Number,
        income: serde_json::Number,
        source: &'a str,
        registered: bool,
    }

    #[allow(clippy::too_many_arguments)]
    fn thresholds(
        c: &mut Counts,
        members: Decimal,
        area: Decimal,
        subsidy: Decimal,
        self_pay: Decimal,
        debt: Decimal,
        income: Decimal,
        new_build: bool,
        registered: bool,
    ) {
        c.records += 1;
        let zero = Decimal::ZERO;
        // area_per_person
        c.add(if members.is_zero() {
            Out::Unknown
        } else {
            ok(area / members <= Decimal::from(25))
        });
        // area_min
        c.add(ok(area >= Decimal::from(10)));
        // subsidy_cap
        c.add(ok(subsidy <= Decimal::from(60000)));
        // subsidy_per_person
        c.add(if members.is_zero() {
            Out::Unknown
        } else {
            ok(subsidy / members <= Decimal::from(20000))
        });
        // self_pay_ratio
        c.add(ok(self_pay <= Decimal::new(10, 2) * subsidy));
        // debt_cap
        c.add(ok(debt <= Decimal::from(10000)));
        // debt_to_income
        c.add(if income > zero {
            ok(debt / income <= Decimal::new(50, 2))
        } else {
            Out::Na
        });
        // members_range
        c.add(ok(members >= Decimal::ONE && members <= Decimal::from(12)));
        // new_build_registered
        c.add(if new_build { ok(registered) } else { Out::Na });
        // income_floor
        c.add(ok(income >= Decimal::from(3000)));
    }

    pub fn thresholds_jsonl(path: &str) -> Counts {
        let mut c = Counts::default();
        lines(path, |l| {
            let h: Household = serde_json::from_str(l).unwrap();
            thresholds(
                &mut c,
                num(&h.members),
                num(&h.floor_area),
                num(&h.subsidy),
                num(&h.self_pay),
                num(&h.debt),
                num(&h.income),
                h.source == "new_build",
                h.registered,
            );
        });
        c
    }

    /// The columns the thresholds checks read, in the order `thresholds_row` takes them.
    const THRESHOLD_COLUMNS: [&str; 8] = [
        "members",
        "floor_area",
        "subsidy",
        "self_pay",
        "debt",
        "income",
        "source",
        "registered",
    ];

    /// The thresholds checks on one row, its cells by their place in `THRESHOLD_COLUMNS`.
    fn thresholds_row<'a>(c: &mut Counts, f: impl Fn(usize) -> &'a [u8]) {
        thresholds(
            c,
            dec(f(0)),
            dec(f(1)),
            dec(f(2)),
            dec(f(3)),
            dec(f(4)),
            dec(f(5)),
            f(6) == b"new_build",
            f(7) == b"true",
        );
    }

    pub fn thresholds_csv(path: &str) -> Counts {
        let mut c = Counts::default();
        let (mut r, h) = csv_reader(path);
        let ix: Vec<usize> = THRESHOLD_COLUMNS.iter().map(|n| h[*n]).collect();
        let mut rec = csv::ByteRecord::new();
        while r.read_byte_record(&mut rec).unwrap() {
            let f = |i: usize| rec.get(ix[i]).unwrap_or(b"");
            thresholds_row(&mut c, f);
        }
        c
    }

    /// The same checks on the first sheet of a workbook, streamed with calamine's cell reader
    /// (what guiju uses): each row's cells as text, a number cell as the shortest decimal of its
    /// double, as guiju reads it.
    pub fn thresholds_xlsx(path: &str) -> Counts {
        use calamine::{DataRef, Reader};
        let mut c = Counts::default();
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
        let name = wb.sheet_names()[0].clone();
        let mut cells = wb.worksheet_cells_reader(&name).unwrap();
        let mut ix: Vec<usize> = Vec::new();
        let mut row: Vec<String> = Vec::new();
        let mut at = 0u32;
        let mut process = |row: &[String], ix: &mut Vec<usize>, first: bool| {
            if first {
                *ix = THRESHOLD_COLUMNS
                    .iter()
                    .map(|n| row.iter().position(|h| h == n).unwrap())
                    .collect();
                return;
            }
            let f = |i: usize| row.get(ix[i]).map_or(&b""[..], |s| s.as_bytes());
            thresholds_row(&mut c, f);
        };
        while let Some(cell) = cells.next_cell().unwrap() {
            let (r, col) = cell.get_position();
            if r != at {
                process(&row, &mut ix, at == 0);
                row.clear();
                at = r;
            }
            let text = match cell.get_value() {
                DataRef::Float(f) => format!("{f}"),
                DataRef::Int(i) => i.to_string(),
                DataRef::SharedString(s) => (*s).to_string(),
                DataRef::String(s) => s.clone(),
                DataRef::Bool(b) => b.to_string(),
                _ => String::new(),
            };
            if row.len() <= col as usize {
                row.resize(col as usize + 1, String::new());
            }
            row[col as usize] = text;
        }
        process(&row, &mut ix, at == 0);
        c
    }

    // (b) deadlines

    #[derive(Deserialize)]
    struct Application<'a> {
        #[allow(dead_code)]
        id: &'a str,
        #[allow(dead_code)]
        county: &'a str,
        received: &'a str,
        decided: Option<&'a str>,
        notified: Option<&'a str>,
    }

    /// `act <= start + 7 working days`, where a missing act has not happened yet.
    fn within(act: Option<NaiveDate>, start: NaiveDate, as_of: NaiveDate) -> Out {
        let cal = guiju::calendar::Calendar::national();
        let Ok(deadline) = cal.add_working_days(start, 7) else {
            return Out::Unknown;
        };
        match act {
            Some(a) => ok(a <= deadline),
            None if deadline <= as_of => Out::Fail,
            None => Out::Pending,
        }
    }

    fn deadlines(
        c: &mut Counts,
        received: NaiveDate,
        decided: Option<NaiveDate>,
        notified: Option<NaiveDate>,
    ) {
        let as_of = date(super::AS_OF);
        c.records += 1;
        c.add(within(decided, received, as_of));
        c.add(match decided {
            Some(d) => within(notified, d, as_of),
            None => Out::Na,
        });
    }

    pub fn deadlines_jsonl(path: &str) -> Counts {
        let mut c = Counts::default();
        lines(path, |l| {
            let a: Application = serde_json::from_str(l).unwrap();
            deadlines(
                &mut c,
                date(a.received),
                a.decided.map(date),
                a.notified.map(date),
            );
        });
        c
    }

    pub fn deadlines_csv(path: &str) -> Counts {
        let mut c = Counts::default();
        let (mut r, h) = csv_reader(path);
        let ix: Vec<usize> = ["received", "decided", "notified"]
            .iter()
            .map(|n| h[*n])
            .collect();
        let mut rec = csv::ByteRecord::new();
        let opt = |b: &[u8]| (!b.is_empty()).then(|| date(std::str::from_utf8(b).unwrap()));
        while r.read_byte_record(&mut rec).unwrap() {
            let f = |i: usize| rec.get(ix[i]).unwrap_or(b"");
            deadlines(
                &mut c,
                date(std::str::from_utf8(f(0)).unwrap()),
                opt(f(1)),
                opt(f(2)),
            );
        }
        c
    }

    // (d) households: wide records, many findings. With `findings`, one JSON line per finding
    // (record key, rule, outcome, the values that decided it) is written to `out`, as guiju
    // writes its report; without, outcomes are only counted.

    #[derive(Deserialize)]
    struct HouseholdRow<'a> {
        household_id: &'a str,
        #[allow(dead_code)]
        county_name: &'a str,
        #[allow(dead_code)]
        resettlement_site: &'a str,
        household_members: serde_json::Number,
        residential_floor_area: serde_json::Number,
        housing_source: &'a str,
        registered_poor_household: bool,
        over_area_reported: Option<bool>,
        relocation_subsidy_amount: Option<serde_json::Number>,
        relocation_debt_amount: Option<serde_json::Number>,
        household_annual_income: serde_json::Number,
        village_notice_date: &'a str,
        township_review_date: Option<&'a str>,
        move_in_date: &'a str,
        old_house_demolished_date: Option<&'a str>,
        exit_support_measures: Option<&'a str>,
    }

    struct Hh<'a> {
        id: &'a str,
        members: Decimal,
        area: Decimal,
        source: &'a str,
        registered: bool,
        over_area: Option<bool>,
        subsidy: Option<Decimal>,
        debt: Option<Decimal>,
        income: Decimal,
        notice: NaiveDate,
        review: Option<NaiveDate>,
        move_in: NaiveDate,
        demolished: Option<NaiveDate>,
        measures: bool,
    }

    /// Writes what the baseline reports of a finding: one JSON line.
    pub struct Findings<W: std::io::Write> {
        pub out: Option<W>,
        line: String,
    }

    impl<W: std::io::Write> Findings<W> {
        pub fn new(out: Option<W>) -> Self {
            Findings {
                out,
                line: String::with_capacity(512),
            }
        }

        fn finding(
            &mut self,
            key: &str,
            rule: &str,
            o: Out,
            values: &[(&str, Option<&dyn std::fmt::Display>)],
        ) {
            use std::fmt::Write as _;
            let Some(out) = self.out.as_mut() else {
                return;
            };
            let l = &mut self.line;
            l.clear();
            l.push_str("{\"key\":");
            l.push_str(&serde_json::to_string(key).unwrap());
            let outcome = match o {
                Out::Fail => "fail",
                Out::Unknown => "unknown",
                Out::Pending => "pending",
                _ => return,
            };
            write!(
                l,
                ",\"rule\":\"{rule}\",\"outcome\":\"{outcome}\",\"values\":{{"
            )
            .unwrap();
            for (i, (name, v)) in values.iter().enumerate() {
                if i > 0 {
                    l.push(',');
                }
                match v {
                    Some(v) => write!(l, "\"{name}\":\"{v}\"").unwrap(),
                    None => write!(l, "\"{name}\":null").unwrap(),
                }
            }
            l.push_str("}}\n");
            out.write_all(l.as_bytes()).unwrap();
        }
    }

    fn households<W: std::io::Write>(c: &mut Counts, w: &mut Findings<W>, h: &Hh) {
        let cal = guiju::calendar::Calendar::national();
        let as_of = date(super::AS_OF);
        c.records += 1;
        let mut put = |c: &mut Counts,
                       rule: &str,
                       o: Out,
                       values: &[(&str, Option<&dyn std::fmt::Display>)]| {
            c.add(o);
            if !matches!(o, Out::Pass | Out::Na) {
                w.finding(h.id, rule, o, values);
            }
        };
        fn d(x: &Decimal) -> Option<&dyn std::fmt::Display> {
            Some(x)
        }
        // per_capita_area
        if h.registered {
            let pc = h.area / h.members;
            let o = if pc <= Decimal::from(25) {
                Out::Pass
            } else if h.source != "repurchase_2016" {
                Out::Fail
            } else {
                match h.over_area {
                    Some(true) => Out::Na,
                    Some(false) => Out::Fail,
                    None => Out::Unknown,
                }
            };
            put(
                c,
                "per_capita_area",
                o,
                &[
                    ("per_capita", d(&pc)),
                    ("residential_floor_area", d(&h.area)),
                    ("household_members", d(&h.members)),
                ],
            );
        } else {
            c.add(Out::Na);
        }
        // subsidy_cap, subsidy_per_person
        let s = h.subsidy.as_ref();
        let sv = s.map(|x| x as &dyn std::fmt::Display);
        let o = s.map_or(Out::Unknown, |s| ok(*s <= Decimal::from(60000)));
        put(c, "subsidy_cap", o, &[("relocation_subsidy_amount", sv)]);
        let o = s.map_or(Out::Unknown, |s| ok(*s / h.members <= Decimal::from(20000)));
        put(
            c,
            "subsidy_per_person",
            o,
            &[
                ("relocation_subsidy_amount", sv),
                ("household_members", d(&h.members)),
            ],
        );
        // debt_cap
        let dv = h.debt.as_ref().map(|x| x as &dyn std::fmt::Display);
        let o = h
            .debt
            .map_or(Out::Unknown, |x| ok(x <= Decimal::from(10000)));
        put(c, "debt_cap", o, &[("relocation_debt_amount", dv)]);
        // debt_to_income
        match h.debt {
            Some(debt) if h.income > Decimal::ZERO => put(
                c,
                "debt_to_income",
                ok(debt / h.income <= Decimal::new(50, 2)),
                &[
                    ("relocation_debt_amount", dv),
                    ("household_annual_income", d(&h.income)),
                ],
            ),
            _ => c.add(Out::Na),
        }
        // members_range
        put(
            c,
            "members_range",
            ok(h.members >= Decimal::ONE && h.members <= Decimal::from(12)),
            &[("household_members", d(&h.members))],
        );
        // new_build_registered
        if h.source == "new_build" {
            put(
                c,
                "new_build_registered",
                ok(h.registered),
                &[("registered_poor_household", Some(&h.registered))],
            );
        } else {
            c.add(Out::Na);
        }
        // review_in_10_working_days, demolish_within_a_year: a missing act has not happened yet.
        let deadline = |act: Option<NaiveDate>, dl: Option<NaiveDate>| match (act, dl) {
            (_, None) => Out::Unknown,
            (Some(a), Some(dl)) => ok(a <= dl),
            (None, Some(dl)) if dl <= as_of => Out::Fail,
            (None, Some(_)) => Out::Pending,
        };
        let dl = cal.add_working_days(h.notice, 10).ok();
        put(
            c,
            "review_in_10_working_days",
            deadline(h.review, dl),
            &[
                (
                    "township_review_date",
                    h.review.as_ref().map(|x| x as &dyn std::fmt::Display),
                ),
                ("village_notice_date", Some(&h.notice)),
            ],
        );
        let dl = cal
            .roll_forward(guiju::calendar::add_years(h.move_in, 1))
            .ok();
        put(
            c,
            "demolish_within_a_year",
            deadline(h.demolished, dl),
            &[
                (
                    "old_house_demolished_date",
                    h.demolished.as_ref().map(|x| x as &dyn std::fmt::Display),
                ),
                ("move_in_date", Some(&h.move_in)),
            ],
        );
        // exit_measures_recorded
        if h.registered {
            put(
                c,
                "exit_measures_recorded",
                ok(h.measures),
                &[("exit_support_measures", None)],
            );
        } else {
            c.add(Out::Na);
        }
    }

    pub fn households_jsonl<W: std::io::Write>(path: &str, w: &mut Findings<W>) -> Counts {
        let mut c = Counts::default();
        lines(path, |l| {
            let r: HouseholdRow = serde_json::from_str(l).unwrap();
            let h = Hh {
                id: r.household_id,
                members: num(&r.household_members),
                area: num(&r.residential_floor_area),
                source: r.housing_source,
                registered: r.registered_poor_household,
                over_area: r.over_area_reported,
                subsidy: r.relocation_subsidy_amount.as_ref().map(num),
                debt: r.relocation_debt_amount.as_ref().map(num),
                income: num(&r.household_annual_income),
                notice: date(r.village_notice_date),
                review: r.township_review_date.map(date),
                move_in: date(r.move_in_date),
                demolished: r.old_house_demolished_date.map(date),
                measures: r.exit_support_measures.is_some(),
            };
            households(&mut c, w, &h);
        });
        c
    }

    pub fn households_csv<W: std::io::Write>(path: &str, w: &mut Findings<W>) -> Counts {
        let mut c = Counts::default();
        let (mut r, hd) = csv_reader(path);
        let ix: Vec<usize> = super::HOUSEHOLD_HEADER.split(',').map(|n| hd[n]).collect();
        let mut rec = csv::ByteRecord::new();
        while r.read_byte_record(&mut rec).unwrap() {
            let f = |i: usize| rec.get(ix[i]).unwrap_or(b"");
            let text = |i: usize| std::str::from_utf8(f(i)).unwrap();
            let opt_dec = |i: usize| (!f(i).is_empty()).then(|| dec(f(i)));
            let opt_date = |i: usize| (!f(i).is_empty()).then(|| date(text(i)));
            let h = Hh {
                id: text(0),
                members: dec(f(3)),
                area: dec(f(4)),
                source: text(5),
                registered: f(6) == b"true",
                over_area: match f(7) {
                    b"" => None,
                    b => Some(b == b"true"),
                },
                subsidy: opt_dec(8),
                debt: opt_dec(9),
                income: dec(f(10)),
                notice: date(text(11)),
                review: opt_date(12),
                move_in: date(text(13)),
                demolished: opt_date(14),
                measures: !f(15).is_empty(),
            };
            households(&mut c, w, &h);
        }
        c
    }

    // (c) grouped

    #[derive(Deserialize)]
    struct Fund<'a> {
        #[allow(dead_code)]
        id: &'a str,
        county: &'a str,
        amount: serde_json::Number,
        purpose: &'a str,
    }

    #[derive(Default)]
    struct Sums {
        poverty: Decimal,
        total: Decimal,
    }

    fn feed(groups: &mut HashMap<String, Sums>, county: &str, amount: Decimal, poverty: bool) {
        let g = match groups.get_mut(county) {
            Some(g) => g,
            None => groups.entry(county.to_string()).or_default(),
        };
        if poverty {
            g.poverty += amount;
        }
        g.total += amount;
    }

    fn judge(records: u64, groups: HashMap<String, Sums>) -> Counts {
        let mut c = Counts {
            records,
            ..Counts::default()
        };
        for g in groups.values() {
            c.add(ok(g.poverty >= Decimal::new(50, 2) * g.total));
        }
        c
    }

    pub fn grouped_jsonl(path: &str) -> Counts {
        let mut groups = HashMap::new();
        let mut n = 0;
        lines(path, |l| {
            let f: Fund = serde_json::from_str(l).unwrap();
            feed(
                &mut groups,
                f.county,
                num(&f.amount),
                f.purpose == "poverty",
            );
            n += 1;
        });
        judge(n, groups)
    }

    // (d) joins: the county summaries read into a map by key, the project list streamed
    // through it (each project reads its county) and summed per county, then each county judged.

    pub fn joins_csv(counties: &str, funds: &str) -> Counts {
        let (mut r, h) = csv_reader(counties);
        let ix: Vec<usize> = ["county", "kind", "reported"]
            .iter()
            .map(|n| h[*n])
            .collect();
        let mut rec = csv::ByteRecord::new();
        // key → (poor, reported), in input order for judging.
        let mut order: Vec<String> = Vec::new();
        let mut by_key: HashMap<String, (bool, Decimal)> = HashMap::new();
        while r.read_byte_record(&mut rec).unwrap() {
            let f = |i: usize| rec.get(ix[i]).unwrap_or(b"");
            let key = std::str::from_utf8(f(0)).unwrap().to_string();
            by_key.insert(key.clone(), (f(1) == b"poor", dec(f(2))));
            order.push(key);
        }
        let mut c = Counts {
            records: order.len() as u64,
            ..Counts::default()
        };
        let mut groups: HashMap<String, Sums> = HashMap::new();
        let (mut r, h) = csv_reader(funds);
        let ix: Vec<usize> = ["county", "amount", "purpose"]
            .iter()
            .map(|n| h[*n])
            .collect();
        let cap = Decimal::new(990, 0);
        while r.read_byte_record(&mut rec).unwrap() {
            let f = |i: usize| rec.get(ix[i]).unwrap_or(b"");
            let county = std::str::from_utf8(f(0)).unwrap();
            let amount = dec(f(1));
            match by_key.get(county) {
                Some((true, _)) => c.add(ok(amount <= cap)),
                Some((false, _)) => c.add(Out::Na),
                None => c.add(Out::Unknown),
            }
            feed(&mut groups, county, amount, f(2) == b"poverty");
            c.records += 1;
        }
        for key in &order {
            let (poor, reported) = by_key[key];
            let g = groups.get(key);
            let (poverty, total) =
                g.map_or((Decimal::ZERO, Decimal::ZERO), |g| (g.poverty, g.total));
            c.add(if poor {
                Out::Na
            } else {
                ok(poverty >= Decimal::new(50, 2) * total)
            });
            c.add(ok(reported == total));
        }
        c
    }

    pub fn grouped_csv(path: &str) -> Counts {
        let mut groups = HashMap::new();
        let mut n = 0;
        let (mut r, h) = csv_reader(path);
        let ix: Vec<usize> = ["county", "amount", "purpose"]
            .iter()
            .map(|n| h[*n])
            .collect();
        let mut rec = csv::ByteRecord::new();
        while r.read_byte_record(&mut rec).unwrap() {
            let f = |i: usize| rec.get(ix[i]).unwrap_or(b"");
            feed(
                &mut groups,
                std::str::from_utf8(f(0)).unwrap(),
                dec(f(1)),
                f(2) == b"poverty",
            );
            n += 1;
        }
        judge(n, groups)
    }
}

// ---------------------------------------------------------------- the parent

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse::<u64>().ok())
        .map(|kb| format!("{:.1} GiB", kb as f64 / 1048576.0))
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!("{cpu}, {cores} cores, {mem} RAM")
}

/// The findings-heavy workload: `households.gj` on wide records, about 8 % of them with a
/// finding. guiju writes every report format; the baseline writes one JSON line per finding
/// (compared with every format) or only counts (compared with `--format summary`).
fn households_section(n: u64, repeat: usize) -> usize {
    let name = "households";
    let (jsonl, csv) = generate(name, n, true);
    let policy = policy_path(name);
    let mut mismatches = 0;
    println!("\nFindings-heavy: {name}.gj, {n} records; ratio against the baseline writing one JSON line per finding, or (summary) the baseline that only counts\n");
    println!(
        "| format | MB | runner | records/s | findings/s | MB/s | report MB | peak RSS MB | guiju ÷ baseline | outcomes agree |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---|");
    for (fmt, file) in [("jsonl", &jsonl), ("csv", &csv)] {
        let mb = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
        let base_args = |mode: &str| {
            vec![
                name.to_string(),
                file.to_string_lossy().into_owned(),
                fmt.to_string(),
                mode.to_string(),
            ]
        };
        // (label, mode, args, index of the baseline it is compared with, counts comparable)
        let mut children: Vec<(String, &str, Vec<String>, usize, bool)> = vec![
            (
                "baseline, findings as JSON lines".into(),
                "baseline",
                base_args("findings"),
                0,
                false,
            ),
            (
                "baseline, counting only".into(),
                "baseline",
                base_args("count"),
                1,
                false,
            ),
        ];
        for (format, jobs) in [
            ("json", 1),
            ("json", 2),
            ("summary", 1),
            ("summary", 2),
            ("human", 1),
            ("sarif", 1),
            ("junit", 1),
            ("github", 1),
        ] {
            let base = usize::from(format == "summary");
            children.push((
                format!("guiju `--format {format} --jobs {jobs}`"),
                "guiju",
                guiju_args_as(&policy, file, jobs, format),
                base,
                matches!(format, "json" | "summary"),
            ));
        }
        let spec: Vec<(&str, Vec<String>)> = children.iter().map(|c| (c.1, c.2.clone())).collect();
        let runs = run_rounds(&spec, repeat);
        let base = &runs[0];
        let findings = base.counts.fail + base.counts.unknown + base.counts.pending;
        for ((label, _, _, vs, comparable), r) in children.iter().zip(&runs) {
            let is_base = label.starts_with("baseline");
            let agree = if is_base {
                String::new()
            } else if !comparable {
                "—".into()
            } else if r.counts == base.counts {
                "yes".into()
            } else {
                mismatches += 1;
                format!("NO: guiju {:?} vs baseline {:?}", r.counts, base.counts)
            };
            let ratio = if is_base {
                "—".to_string()
            } else {
                format!("{:.2}×", runs[*vs].secs / r.secs)
            };
            println!(
                "| {fmt} | {mb:.0} | {label} | {:.0} | {:.0} | {:.1} | {:.1} | {:.1} | {ratio} | {agree} |",
                n as f64 / r.secs,
                findings as f64 / r.secs,
                mb / r.secs,
                r.bytes as f64 / 1e6,
                r.hwm_kb as f64 / 1024.0,
            );
        }
        println!(
            "\n{fmt}: {} records, {findings} findings ({} fail, {} unknown, {} pending), {} pass, {} not applicable\n",
            base.counts.records,
            base.counts.fail,
            base.counts.unknown,
            base.counts.pending,
            base.counts.pass,
            base.counts.na
        );
    }
    mismatches
}

/// (d) joins: the `grouped` project list (CSV) with 3,000 county summaries, each project reading
/// its county through `ref` and each county summing its projects. Returns the runs that disagree.
fn joins_section(n: u64, repeat: usize) -> usize {
    let (_, funds) = generate("grouped", n, true);
    let counties = generate_counties(&funds);
    let policy = policy_path("joins");
    let mb = std::fs::metadata(&funds).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    let args = |jobs: usize| {
        let mut a = guiju_args(&policy, &counties, jobs);
        a.insert(5, "--data".into());
        a.insert(6, funds.to_string_lossy().into_owned());
        a
    };
    let children = [
        (
            "baseline",
            vec![
                "joins".to_string(),
                counties.to_string_lossy().into_owned(),
                "csv".into(),
                funds.to_string_lossy().into_owned(),
            ],
        ),
        ("guiju", args(1)),
        ("guiju", args(2)),
    ];
    let mut runs = run_rounds(&children, repeat).into_iter();
    let base = runs.next().unwrap();
    let row = |who: &str, r: &Run, ratio: Option<f64>, agree: &str| {
        println!(
            "| joins | csv | {mb:.0} | {who} | {:.0} | {:.1} | {:.1} | {} | {agree} |",
            n as f64 / r.secs,
            mb / r.secs,
            r.hwm_kb as f64 / 1024.0,
            ratio
                .map(|x| format!("{x:.2}×"))
                .unwrap_or_else(|| "—".into()),
        );
    };
    row("baseline", &base, None, "");
    let mut bad = 0;
    let mut j1 = 0.0;
    for (jobs, r) in [1, 2].into_iter().zip(runs) {
        let agree = if r.counts == base.counts {
            "yes".to_string()
        } else {
            bad += 1;
            format!("NO: guiju {:?} vs baseline {:?}", r.counts, base.counts)
        };
        let who = if jobs == 1 {
            j1 = r.secs;
            "guiju --jobs 1".to_string()
        } else {
            format!("guiju --jobs 2 ({:.2}× jobs 1)", j1 / r.secs)
        };
        row(&who, &r, Some(base.secs / r.secs), &agree);
    }
    bad
}

fn main() {
    if let Ok(mode) = std::env::var("GUIJU_BENCH_CHILD") {
        child(&mode);
        return;
    }
    let n: u64 = std::env::var("GUIJU_BENCH_RECORDS")
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let repeat: usize = std::env::var("GUIJU_BENCH_REPEAT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    println!("guiju throughput benchmark — {}", machine());
    println!("{n} records per policy; as of {AS_OF}; best of {repeat}; peak RSS = child VmHWM\n");
    println!(
        "| policy | format | MB | runner | records/s | MB/s | peak RSS MB | guiju ÷ baseline | outcomes agree |"
    );
    println!("|---|---|---:|---|---:|---:|---:|---:|---|");
    let mut mismatches = 0;
    let only = std::env::var("GUIJU_BENCH_ONLY").unwrap_or_default();
    for name in ["thresholds", "deadlines", "grouped"] {
        if !only.is_empty() && !only.split(',').any(|o| o == name) {
            continue;
        }
        let (jsonl, csv) = generate(name, n, true);
        let policy = policy_path(name);
        let mut files = vec![("jsonl", jsonl), ("csv", csv.clone())];
        // A workbook, for one policy: what an agency sends most.
        if name == "thresholds" && std::env::var("GUIJU_BENCH_XLSX").as_deref() != Ok("0") {
            files.push(("xlsx", to_xlsx(&csv)));
        }
        for (fmt, file) in &files {
            let fmt = *fmt;
            let mb = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
            let children = [
                (
                    "baseline",
                    vec![
                        name.to_string(),
                        file.to_string_lossy().into_owned(),
                        fmt.to_string(),
                    ],
                ),
                ("guiju", guiju_args(&policy, file, 1)),
                ("guiju", guiju_args(&policy, file, 2)),
            ];
            let mut runs = run_rounds(&children, repeat).into_iter();
            let base = runs.next().unwrap();
            let row =
                |who: &str, r: &Run, ratio: Option<f64>, agree: &str| {
                    println!(
                    "| {name} | {fmt} | {mb:.0} | {who} | {:.0} | {:.1} | {:.1} | {} | {agree} |",
                    n as f64 / r.secs,
                    mb / r.secs,
                    r.hwm_kb as f64 / 1024.0,
                    ratio.map(|x| format!("{x:.2}×")).unwrap_or_else(|| "—".into()),
                );
                };
            row("baseline", &base, None, "");
            let mut j1_secs = 0.0;
            for (jobs, r) in [1, 2].into_iter().zip(runs) {
                let agree = if r.counts == base.counts {
                    "yes".to_string()
                } else {
                    mismatches += 1;
                    format!("NO: guiju {:?} vs baseline {:?}", r.counts, base.counts)
                };
                if jobs == 1 {
                    j1_secs = r.secs;
                }
                let who = if jobs == 1 {
                    "guiju --jobs 1".to_string()
                } else {
                    format!("guiju --jobs 2 ({:.2}× jobs 1)", j1_secs / r.secs)
                };
                row(&who, &r, Some(base.secs / r.secs), &agree);
            }
        }
    }
    if only.is_empty() || only.split(',').any(|o| o == "joins") {
        mismatches += joins_section(n, repeat);
    }
    if only.is_empty() || only.split(',').any(|o| o == "households") {
        mismatches += households_section(n, repeat);
    }
    // Policy load: 1,000 generated rules, then checking 1,000 records with them.
    let big_policy = generate_big_policy();
    let (small, _) = generate("thresholds", 1000, false);
    let f = spawn(
        "load",
        &[
            big_policy.to_string_lossy().into_owned(),
            small.to_string_lossy().into_owned(),
        ],
    );
    println!(
        "\n1,000-rule policy: compile {:.1} ms; load + check 1,000 records (--jobs 1) {:.1} ms; {} rules; outcomes {}",
        f[0].parse::<f64>().unwrap() * 1e3,
        f[1].parse::<f64>().unwrap() * 1e3,
        f[2],
        f[3..].join(" ")
    );
    // Optional: peak memory on a large file.
    if let Some(big) = std::env::var("GUIJU_BENCH_BIG_RECORDS")
        .ok()
        .and_then(|s| s.replace('_', "").parse::<u64>().ok())
    {
        let (jsonl, _) = generate("thresholds", big, false);
        let mb = std::fs::metadata(&jsonl).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
        for jobs in [1, 2] {
            let r = run_once(
                "guiju",
                &guiju_args(&policy_path("thresholds"), &jsonl, jobs),
            );
            println!(
                "large file: thresholds {big} records, {mb:.0} MB JSONL, --jobs {jobs}: {:.0} records/s, {:.1} MB/s, peak RSS {:.1} MB",
                big as f64 / r.secs,
                mb / r.secs,
                r.hwm_kb as f64 / 1024.0
            );
        }
    }
    if mismatches > 0 {
        println!("\n{mismatches} run(s) disagree with the baseline's outcome counts");
        std::process::exit(1);
    }
}
