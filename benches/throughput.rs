//! Throughput and memory benchmark: `cargo bench --bench throughput`. Results and the machine
//! they were measured on: `docs/performance.md`.
//!
//! In one run it
//! - generates deterministic synthetic submissions (a fixed-seed LCG) into `target/bench-data/`:
//!   1,000,000 records each (override with `GUIJU_BENCH_RECORDS=N`) for the three policies in
//!   `benches/policies/`, as JSONL and as CSV;
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
            println!("RESULT {secs} {} {}", vm_hwm_kb(), c.encode());
        }
        "baseline" => {
            let t = Instant::now();
            let c = match (args[0].as_str(), args[2].as_str()) {
                ("thresholds", "jsonl") => baseline::thresholds_jsonl(&args[1]),
                ("thresholds", _) => baseline::thresholds_csv(&args[1]),
                ("deadlines", "jsonl") => baseline::deadlines_jsonl(&args[1]),
                ("deadlines", _) => baseline::deadlines_csv(&args[1]),
                (_, "jsonl") => baseline::grouped_jsonl(&args[1]),
                _ => baseline::grouped_csv(&args[1]),
            };
            let secs = t.elapsed().as_secs_f64();
            println!("RESULT {secs} {} {}", vm_hwm_kb(), c.encode());
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
    [
        "guiju",
        "check",
        &policy.to_string_lossy(),
        "--data",
        &data.to_string_lossy(),
        "--as-of",
        AS_OF,
        "--format",
        "json",
        "--lang",
        "en",
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

    pub fn thresholds_csv(path: &str) -> Counts {
        let mut c = Counts::default();
        let (mut r, h) = csv_reader(path);
        let ix: Vec<usize> = [
            "members",
            "floor_area",
            "subsidy",
            "self_pay",
            "debt",
            "income",
            "source",
            "registered",
        ]
        .iter()
        .map(|n| h[*n])
        .collect();
        let mut rec = csv::ByteRecord::new();
        while r.read_byte_record(&mut rec).unwrap() {
            let f = |i: usize| rec.get(ix[i]).unwrap_or(b"");
            thresholds(
                &mut c,
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
        for (fmt, file) in [("jsonl", &jsonl), ("csv", &csv)] {
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
