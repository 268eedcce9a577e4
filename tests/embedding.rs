//! The library embedded, as a server would: a policy compiled from a string, a session run over
//! uploaded bytes into a sink that keeps what it is given. No file is read or written: the data
//! comes from memory, and every opening of an input goes through the `Inputs` object, which
//! counts them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use guiju::input::{DataDiag, InputSpec, ReadSeek, Reread};
use guiju::report::{Finding, Sink, Summary};
use guiju::{Inputs, MemoryInputs, RunOptions, Session};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};

const POLICY: &str = r#"policy p "三门峡市2016年易地扶贫搬迁有关问题整改方案（节选）"
  document "三政办〔2017〕28号"
record household "搬迁户" {
  id         text key          "户编号"
  members    int unit 人       "家庭人口"
  floor_area decimal unit m²   "住房建筑面积"
}
rule per_capita_area "人均住房面积不超过25平方米" {
  cite line 1388 "人均住房标准25平方米以内"
  applies to household
  require floor_area / members <= 25 m²
}
"#;

/// Uploaded bytes, with a count of how often each input is opened.
struct Uploads {
    inner: MemoryInputs,
    opened: Vec<AtomicUsize>,
}

impl Inputs for Uploads {
    fn specs(&self) -> &[InputSpec] {
        self.inner.specs()
    }

    fn open(&self, index: usize) -> std::io::Result<Box<dyn ReadSeek + Send>> {
        self.opened[index].fetch_add(1, Ordering::Relaxed);
        self.inner.open(index)
    }
}

/// Keeps everything a run reports; for a data problem, the line it is on, read back through
/// the run's inputs.
#[derive(Default)]
struct Kept {
    problems: Vec<(DataDiag, Option<String>)>,
    findings: Vec<Finding>,
    ended: Option<Summary>,
}

impl Sink for Kept {
    fn data_diag(&mut self, d: &DataDiag) {
        self.problems.push((d.clone(), None));
    }

    fn data_diag_in(&mut self, d: &DataDiag, input: Reread<'_>) {
        let mut text = String::new();
        let line = input
            .open()
            .and_then(|mut r| r.read_to_string(&mut text))
            .ok()
            .and_then(|_| text.lines().nth(d.line.saturating_sub(1) as usize))
            .map(str::to_string);
        self.problems.push((d.clone(), line));
    }

    fn finding(&mut self, f: &Finding) {
        self.findings.push(f.clone());
    }

    fn end(&mut self, summary: &Summary) {
        self.ended = Some(summary.clone());
    }
}

fn uploads() -> Uploads {
    let inner = MemoryInputs::new()
        .with(
            "upload-1.csv",
            "户编号,家庭人口,住房建筑面积,备注\nH1,4,100,\nH2,4,100.01,x\n\"H3\",2,\"60平方米\",\n",
        )
        .with(
            "upload-2.jsonl",
            "{\"id\": \"J1\", \"members\": 3, \"floor_area\": 75}\nnot json\n",
        );
    let opened = (0..inner.specs().len())
        .map(|_| AtomicUsize::new(0))
        .collect();
    Uploads { inner, opened }
}

#[test]
fn a_policy_from_a_string_checks_bytes_from_memory_into_a_sink() {
    let compiled = guiju::check::compile_str("p.gj", POLICY);
    assert!(
        compiled.diagnostics.is_empty(),
        "{:?}",
        compiled.diagnostics
    );
    let program = compiled.program.expect("the policy compiles");
    let as_of = chrono::NaiveDate::from_ymd_opt(2017, 6, 30).unwrap();
    for jobs in [1, 2] {
        let options = RunOptions {
            jobs: Some(jobs),
            batch: 1,
            ..RunOptions::new(as_of)
        };
        let session = Session::new(&program, options).expect("threads start");
        let inputs = uploads();
        let mut sink = Kept::default();
        let summary = session.run(&inputs, &mut sink);

        // Two failing households, in input order, each located in its upload.
        let who: Vec<(String, Option<String>)> = sink
            .findings
            .iter()
            .map(|f| (f.record.file.clone(), f.record.key.clone()))
            .collect();
        assert_eq!(
            who,
            [
                ("upload-1.csv".to_string(), Some("H2".to_string())),
                ("upload-1.csv".to_string(), Some("H3".to_string())),
            ],
            "jobs {jobs}"
        );
        // The cells were found by reading the record again, through the same inputs.
        let cells: Vec<Vec<(String, Option<String>)>> = sink
            .findings
            .iter()
            .map(|f| {
                f.fields
                    .iter()
                    .map(|x| (x.name.clone(), x.path.clone()))
                    .collect()
            })
            .collect();
        assert_eq!(
            cells[1],
            [
                ("members".to_string(), Some("R4C2".to_string())),
                ("floor_area".to_string(), Some("R4C3".to_string())),
            ]
        );
        let snippet = sink.findings[1].snippet.as_ref().expect("a snippet");
        assert_eq!(snippet.text, "\"H3\",2,\"60平方米\",");
        assert_eq!(
            sink.findings[0].reasons[0].en,
            "floor_area 100.01 m² / members 4人 = 25.0025 m² > 25 m²"
        );

        // The unknown column and the line that is not JSON, each with its line.
        let problems: Vec<(&str, u32, Option<&str>)> = sink
            .problems
            .iter()
            .map(|(d, l)| (d.code, d.line, l.as_deref()))
            .collect();
        assert_eq!(
            problems,
            [
                ("I0006", 1, Some("户编号,家庭人口,住房建筑面积,备注")),
                ("I0003", 2, Some("not json")),
            ],
            "jobs {jobs}"
        );

        // Every record counted, the unreadable one too; the summary returned is the one the
        // sink got.
        assert_eq!(summary.records, 5);
        assert_eq!(summary.unreadable, 1);
        assert_eq!(summary.by_type.get("household"), Some(&4));
        assert_eq!(summary.outcomes.get("fail"), Some(&2));
        assert_eq!(summary.outcomes.get("pass"), Some(&2));
        assert_eq!(summary.failing_errors, 2);
        assert_eq!(summary.input_warnings, 1);
        assert_eq!(summary.input_errors, 0);
        assert_eq!(sink.ended.as_ref().map(|s| s.records), Some(5));

        // Each upload was opened to be read, and again only for what was shown of it.
        let opened: Vec<usize> = inputs
            .opened
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .collect();
        assert!(opened[0] >= 2, "{opened:?}");
        assert!(opened[1] >= 2, "{opened:?}");
    }
}

#[test]
fn an_input_that_cannot_be_opened_is_a_located_problem_and_the_run_goes_on() {
    struct Gone(MemoryInputs);
    impl Inputs for Gone {
        fn specs(&self) -> &[InputSpec] {
            self.0.specs()
        }
        fn open(&self, index: usize) -> std::io::Result<Box<dyn ReadSeek + Send>> {
            if index == 0 {
                return Err(std::io::Error::other("the upload expired"));
            }
            self.0.open(index)
        }
    }
    let program = guiju::check::compile_str("p.gj", POLICY).program.unwrap();
    let session = Session::new(
        &program,
        RunOptions::new(chrono::NaiveDate::from_ymd_opt(2017, 6, 30).unwrap()),
    )
    .unwrap();
    let inputs = Gone(
        MemoryInputs::new()
            .with("gone.csv", "")
            .with("kept.csv", "户编号,家庭人口,住房建筑面积\nH1,4,100\n"),
    );
    let mut sink = Kept::default();
    let summary = session.run(&inputs, &mut sink);
    assert_eq!(sink.problems.len(), 1);
    let (d, _) = &sink.problems[0];
    assert_eq!(
        (d.code, d.path.as_str(), d.fatal),
        ("I0001", "gone.csv", true)
    );
    assert!(
        d.message.en.contains("the upload expired"),
        "{:?}",
        d.message
    );
    assert_eq!(summary.input_errors, 1);
    assert_eq!(summary.records, 1);
    assert_eq!(summary.outcomes.get("pass"), Some(&1));
}

/// A server compiles a policy once and runs it for each county office on that office's own
/// working-day calendar: the calendar comes with the run, and the program is not changed by it.
#[test]
fn each_run_counts_on_the_calendar_it_supplies() {
    let policy = r#"policy p "资金计划下达"
  document "测试用文件"
const due = 2017-05-22 + 3 working days
record plan "资金计划" {
  id     text key "编号"
  issued date     "下达日期"
}
rule on_time "按期下达" {
  cite line 1 "3个工作日内下达"
  applies to plan
  require issued <= due
}
"#;
    let program = guiju::check::compile_str("p.gj", policy).program.unwrap();
    let county = guiju::Calendar::parse(
        "calendar county \"县财政局\"\nextends cn-national\nrest 2017-05-24 \"搬迁闭馆\"\n",
    )
    .unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2017, 6, 30).unwrap();
    let run = |calendar: Option<(String, guiju::Calendar)>| {
        let options = RunOptions {
            calendar,
            ..RunOptions::new(as_of)
        };
        let session = Session::new(&program, options).unwrap();
        let inputs = MemoryInputs::new().with("plan.csv", "编号,下达日期\nP1,2017-05-26\n");
        let mut sink = Kept::default();
        let summary = session.run(&inputs, &mut sink);
        (summary.outcomes.get("pass").copied().unwrap_or(0), sink)
    };
    // Nationally the third working day after Monday 2017-05-22 is the 25th: the 26th is late.
    let (passed, national) = run(None);
    assert_eq!(passed, 0);
    assert_eq!(
        national.findings[0].reasons[0].en,
        "issued 2017-05-26 > 2017-05-22 + 3 working days = 2017-05-25 (1 day (1 working day) late)"
    );
    // The county was closed on the 24th, so its third working day is the 26th: on time.
    let (passed, _) = run(Some(("county.cal".into(), county)));
    assert_eq!(passed, 1);
    // And the program still counts nationally for the next run.
    let (passed, _) = run(None);
    assert_eq!(passed, 0);
}
