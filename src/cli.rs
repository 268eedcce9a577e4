//! The command line: wires reading, checking, evaluating and reporting. With `input`, the only module that touches files.

use crate::check::{compile, Compiled, Resolver};
use crate::diag::{Lang, Level};
use crate::eval::examples::run_examples;
use crate::eval::{Engine, GroupRun, Verdict};
use crate::input::{self, InputSpec, Item};
use crate::report::human::{self, Human, Style};
use crate::report::json::{self as jsonr, Json};
use crate::report::github::GitHub;
use crate::report::junit::JUnit;
use crate::report::sarif::Sarif;
use crate::report::{finding_for_group, finding_for_record, rules_of, InputInfo, Reporter, Summary};
use crate::syntax::ast::Outcome;
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use rayon::prelude::*;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Exit codes: 0 no failing error-severity finding; 1 at least one (or a failed example); 2 a policy, usage or input error.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

#[derive(Parser, Debug)]
#[command(name = "guiju", version, about = "规矩 — rules-as-code compliance checking for Chinese government documents")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum LangArg {
    Zh,
    En,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum FormatArg {
    /// Editor-style reports (default).
    Human,
    /// The stable JSON report (docs/report-json.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JUnit XML, for CI test reports (GitLab, Jenkins, …).
    Junit,
    /// GitHub Actions workflow commands: one annotation per finding.
    Github,
}

#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// A local working-day calendar (.cal) for every rule, laid over the national one when it says `extends cn-national`.
    #[arg(long, global = true)]
    pub calendar: Option<PathBuf>,
    /// Language of messages.
    #[arg(long, value_enum, default_value = "zh")]
    pub lang: LangArg,
    /// When to use colour.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorArg,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check submissions against policies.
    Check {
        /// Policy files (.gj).
        #[arg(required = true)]
        policies: Vec<PathBuf>,
        /// Data files, as FILE or TYPE=FILE (CSV, JSON, JSONL, Excel).
        #[arg(long = "data", short = 'd', required = true, num_args = 1..)]
        data: Vec<String>,
        /// Judge deadlines as of this date (default: today).
        #[arg(long = "as-of")]
        as_of: Option<String>,
        /// Report format.
        #[arg(long, value_enum, default_value = "human")]
        format: FormatArg,
        /// Write the report to this file (the summary still goes to the terminal).
        #[arg(long)]
        output: Option<PathBuf>,
        /// Text encoding of the data files: utf-8 (default), gbk or gb18030.
        #[arg(long)]
        encoding: Option<String>,
        /// Threads for evaluation (default: all cores).
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// Show the full evaluation trace of each finding.
        #[arg(long)]
        explain: bool,
        /// Records per batch.
        #[arg(long, default_value_t = 8192, hide = true)]
        batch: usize,
        #[command(flatten)]
        common: Common,
    },
    /// Run the examples inside policies (files or directories).
    Test {
        #[arg(required = true)]
        policies: Vec<PathBuf>,
        /// As-of date for examples that set none (default: today).
        #[arg(long = "as-of")]
        as_of: Option<String>,
        #[command(flatten)]
        common: Common,
    },
}

/// Resolves `use` and `calendar` paths relative to the naming file.
pub struct FsResolver;

impl Resolver for FsResolver {
    fn resolve(&self, from: &str, path: &str) -> Result<(String, String), String> {
        let base = Path::new(from).parent().unwrap_or(Path::new("."));
        let p = base.join(path);
        let name = p.to_string_lossy().replace("/./", "/");
        std::fs::read_to_string(&p).map(|t| (name, t)).map_err(|e| e.to_string())
    }
}

fn style(c: &Common, stream_is_tty: bool) -> Style {
    Style {
        lang: match c.lang {
            LangArg::Zh => Lang::Zh,
            LangArg::En => Lang::En,
        },
        color: match c.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => stream_is_tty && std::env::var_os("NO_COLOR").is_none(),
        },
    }
}

fn as_of_date(s: &Option<String>, err: &mut dyn Write) -> Result<NaiveDate, i32> {
    match s {
        None => Ok(chrono::Local::now().date_naive()),
        Some(s) => crate::syntax::parse_date(s).ok_or_else(|| {
            let _ = writeln!(err, "error[U0001]: --as-of `{s}` is not a date (YYYY-MM-DD) / 不是日期");
            EXIT_ERROR
        }),
    }
}

fn read_policies(paths: &[PathBuf], err: &mut dyn Write) -> Result<Vec<(String, String)>, i32> {
    let mut out = Vec::new();
    for p in paths {
        match std::fs::read_to_string(p) {
            Ok(t) => out.push((p.to_string_lossy().into_owned(), t)),
            Err(e) => {
                let _ = writeln!(err, "error[U0002]: cannot read policy `{}`: {e} / 无法读取策略文件", p.display());
                return Err(EXIT_ERROR);
            }
        }
    }
    Ok(out)
}

/// Runs the CLI with the given arguments, writing to `out` and `err`. Returns the exit code.
pub fn run(args: Vec<String>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            if e.use_stderr() {
                let _ = write!(err, "{e}");
            } else {
                let _ = write!(out, "{e}");
            }
            return code;
        }
    };
    match cli.command {
        Command::Check {
            policies,
            data,
            as_of,
            format,
            output,
            encoding,
            jobs,
            explain,
            batch,
            common,
        } => {
            let opts = CheckOpts {
                policies,
                data,
                as_of,
                format,
                output,
                encoding,
                jobs,
                explain,
                batch: batch.max(1),
                common,
            };
            check(opts, out, err)
        }
        Command::Test { policies, as_of, common } => test(&policies, &as_of, &common, out, err),
    }
}

struct CheckOpts {
    policies: Vec<PathBuf>,
    data: Vec<String>,
    as_of: Option<String>,
    format: FormatArg,
    output: Option<PathBuf>,
    encoding: Option<String>,
    jobs: Option<usize>,
    explain: bool,
    batch: usize,
    common: Common,
}

fn report_policy(c: &Compiled, format: FormatArg, st: Style, out: &mut dyn Write, err: &mut dyn Write) {
    if c.diagnostics.is_empty() {
        return;
    }
    let failed = c.program.is_none();
    if format == FormatArg::Json && failed {
        jsonr::render_policy_errors(out, &c.diagnostics, &c.sources);
    } else {
        human::render_diagnostics(err, &c.diagnostics, &c.sources, st);
    }
}

fn check(o: CheckOpts, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let st = style(&o.common, std::io::stdout().is_terminal());
    let est = style(&o.common, std::io::stderr().is_terminal());
    let as_of = match as_of_date(&o.as_of, err) {
        Ok(d) => d,
        Err(c) => return c,
    };
    let files = match read_policies(&o.policies, err) {
        Ok(f) => f,
        Err(c) => return c,
    };
    let compiled = compile(files, &FsResolver);
    report_policy(&compiled, o.format, est, out, err);
    let Some(mut program) = compiled.program else {
        let n = compiled.diagnostics.iter().filter(|d| d.level == Level::Error).count();
        let _ = writeln!(err, "{}", match est.lang {
            Lang::Zh => format!("策略有 {n} 处错误，未检查任何数据"),
            Lang::En => format!("the policy has {n} error(s); no data was checked"),
        });
        return EXIT_ERROR;
    };
    if let Err(c) = apply_calendar(&mut program, &o.common, err) {
        return c;
    }
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(o.jobs.unwrap_or(0)).build() {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(err, "error[U0003]: cannot start worker threads: {e}");
            return EXIT_ERROR;
        }
    };
    let specs: Vec<InputSpec> = o
        .data
        .iter()
        .map(|d| InputSpec {
            encoding: o.encoding.clone(),
            ..InputSpec::parse(d)
        })
        .collect();
    let inputs: Vec<InputInfo> = specs
        .iter()
        .map(|s| InputInfo {
            path: s.path.clone(),
            format: input::Format::of(&s.path).unwrap_or(input::Format::Json),
        })
        .collect();
    // The report goes to --output when given; the summary line always reaches the terminal.
    let mut file_out: Option<std::io::BufWriter<std::fs::File>> = match &o.output {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Some(std::io::BufWriter::new(f)),
            Err(e) => {
                let _ = writeln!(err, "error[U0004]: cannot write `{}`: {e}", p.display());
                return EXIT_ERROR;
            }
        },
        None => None,
    };
    let file_style = Style { color: false, ..st };
    let report_out: &mut dyn Write = match file_out.as_mut() {
        Some(f) => f,
        None => out,
    };
    let mut reporter: Box<dyn Reporter + '_> = match o.format {
        FormatArg::Human => Box::new(Human {
            out: report_out,
            style: if o.output.is_some() { file_style } else { st },
            sources: &program.sources,
            explain: o.explain,
        }),
        FormatArg::Json => Box::new(Json::new(report_out, st.lang)),
        FormatArg::Sarif => Box::new(Sarif::new(report_out, st.lang, &rules_of(&program), o.explain)),
        FormatArg::Junit => Box::new(JUnit::new(report_out, st.lang, &rules_of(&program), o.explain)),
        FormatArg::Github => Box::new(GitHub {
            out: report_out,
            lang: st.lang,
            explain: o.explain,
        }),
    };
    let engine = Engine::new(&program, as_of);
    let mut groups = GroupRun::new(&program, as_of);
    let mut summary = Summary::new(&program, as_of.to_string());
    let mut had_input_error = false;
    let mut items = Vec::with_capacity(o.batch);
    for (ii, spec) in specs.iter().enumerate() {
        let mut src = match input::open(spec, &program, ii as u32) {
            Ok(s) => s,
            Err(d) => {
                reporter.data_diag(&d);
                had_input_error = true;
                continue;
            }
        };
        for w in src.warnings() {
            reporter.data_diag(&w);
            summary.input_warnings += 1;
        }
        loop {
            items.clear();
            let more = match src.next_batch(o.batch, &mut items) {
                Ok(m) => m,
                Err(d) => {
                    reporter.data_diag(&d);
                    had_input_error = true;
                    false
                }
            };
            // Evaluate the batch on all cores; verdicts come back in input order.
            let verdicts: Vec<Vec<Verdict>> = pool.install(|| {
                items
                    .par_iter()
                    .map(|it| match it {
                        Item::Record(r) => {
                            let mut vs = Vec::new();
                            engine.check_record(r, &mut |v| vs.push(v));
                            vs
                        }
                        Item::Bad(_) => Vec::new(),
                    })
                    .collect()
            });
            for (it, vs) in items.iter().zip(verdicts) {
                match it {
                    Item::Bad(d) => {
                        summary.records += 1;
                        summary.unreadable += 1;
                        reporter.data_diag(d);
                    }
                    Item::Record(r) => {
                        summary.records += 1;
                        if let Some(rt) = program.records.get(r.ty) {
                            *summary.by_type.entry(rt.name.clone()).or_insert(0) += 1;
                        }
                        for v in vs.into_iter() {
                            summary.count(&program, &v);
                            if v.outcome != Outcome::Pass && v.outcome != Outcome::NotApplicable {
                                if let Some(f) = finding_for_record(&program, &inputs, r, &v) {
                                    reporter.finding(&f);
                                }
                            }
                        }
                        let mut early = Vec::new();
                        groups.feed(r, &mut |v| early.push(v));
                        for v in early {
                            summary.count(&program, &v);
                            if let Some(f) = finding_for_record(&program, &inputs, r, &v) {
                                reporter.finding(&f);
                            }
                        }
                    }
                }
            }
            for w in src.warnings() {
                reporter.data_diag(&w);
                summary.input_warnings += 1;
            }
            if !more {
                break;
            }
        }
    }
    for g in groups.finish() {
        summary.count(&program, &g.verdict);
        if g.verdict.outcome != Outcome::Pass && g.verdict.outcome != Outcome::NotApplicable {
            if let Some(f) = finding_for_group(&program, &inputs, &g) {
                reporter.finding(&f);
            }
        }
    }
    reporter.end(&summary);
    drop(reporter);
    if let Some(mut f) = file_out {
        let _ = f.flush();
        let _ = writeln!(out, "{}", summary.line(st.lang));
    }
    if had_input_error {
        EXIT_ERROR
    } else if summary.failing_errors > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

fn apply_calendar(program: &mut crate::check::ir::Program, common: &Common, err: &mut dyn Write) -> Result<(), i32> {
    let Some(path) = &common.calendar else { return Ok(()) };
    let text = std::fs::read_to_string(path).map_err(|e| {
        let _ = writeln!(err, "error[U0005]: cannot read calendar `{}`: {e} / 无法读取日历", path.display());
        EXIT_ERROR
    })?;
    match crate::calendar::Calendar::parse(&text) {
        Ok(cal) => {
            crate::check::use_calendar(program, &path.to_string_lossy(), cal);
            Ok(())
        }
        Err(e) => {
            let _ = writeln!(err, "error[U0005]: {}:{}:{}: {} / 日历文件有误", path.display(), e.line, e.column, e.message);
            Err(EXIT_ERROR)
        }
    }
}

fn collect_policy_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            entries.sort();
            for e in entries {
                if e.is_dir() {
                    out.extend(collect_policy_files(&[e]));
                } else if e.extension().map(|x| x == "gj").unwrap_or(false) {
                    out.push(e);
                }
            }
        } else {
            out.push(p.clone());
        }
    }
    out
}

fn test(paths: &[PathBuf], as_of: &Option<String>, common: &Common, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let st = style(common, std::io::stdout().is_terminal());
    let est = style(common, std::io::stderr().is_terminal());
    let lang = st.lang;
    let default_as_of = match as_of_date(as_of, err) {
        Ok(d) => d,
        Err(c) => return c,
    };
    let files = collect_policy_files(paths);
    let (mut passed, mut failed, mut broken) = (0usize, 0usize, 0usize);
    for f in &files {
        let files = match read_policies(std::slice::from_ref(f), err) {
            Ok(x) => x,
            Err(_) => {
                broken += 1;
                continue;
            }
        };
        let compiled = compile(files, &FsResolver);
        if !compiled.diagnostics.is_empty() {
            human::render_diagnostics(err, &compiled.diagnostics, &compiled.sources, est);
        }
        let Some(mut program) = compiled.program else {
            broken += 1;
            let _ = writeln!(out, "✗ {}: {}", f.display(), match lang {
                Lang::Zh => "策略有错误，示例未运行",
                Lang::En => "the policy has errors; its examples did not run",
            });
            continue;
        };
        if let Err(c) = apply_calendar(&mut program, common, err) {
            return c;
        }
        let main_policy = program.policies.first().map(|p| p.path.clone()).unwrap_or_default();
        for r in run_examples(&program, default_as_of) {
            let Some(ex) = program.examples.get(r.example) else { continue };
            if program.policies.get(ex.policy).map(|p| p.path != main_policy).unwrap_or(false) {
                continue;
            }
            let met = r.expectations - r.unmet.len();
            passed += met;
            failed += r.unmet.len();
            if r.unmet.is_empty() {
                let _ = writeln!(out, "✓ {} › {} ({})", f.display(), ex.name, r.expectations);
                continue;
            }
            let _ = writeln!(out, "✗ {} › {}", f.display(), ex.name);
            for u in &r.unmet {
                let Some(x) = ex.expects.get(u.expectation) else { continue };
                let rule = program.rules.get(x.rule).map(|r| r.id.as_str()).unwrap_or("?");
                let (line, _) = program.sources.line_col(x.span.source, x.span.start as usize);
                let target = x.for_key.as_ref().map(|k| format!(" for \"{k}\"")).unwrap_or_default();
                if u.seen.is_empty() {
                    let _ = writeln!(out, "    line {line}: expect {rule} {}{target}: {}", x.outcome.as_str(), match lang {
                        Lang::Zh => "该规则没有在这些记录上运行（记录类型或 for 键不符？）",
                        Lang::En => "the rule never ran on these records (wrong record type or `for` key?)",
                    });
                }
                for s in &u.seen {
                    if s.outcome == x.outcome {
                        continue;
                    }
                    let _ = writeln!(
                        out,
                        "    line {line}: expect {rule} {}{target}, but {} was {}",
                        x.outcome.as_str(),
                        s.who,
                        s.outcome.as_str()
                    );
                    if let Some(e) = &s.explanation {
                        let _ = writeln!(out, "      {}", e.message.get(lang));
                        for reason in &e.reasons {
                            let _ = writeln!(out, "      {}", reason.get(lang));
                        }
                    }
                }
            }
        }
    }
    let _ = writeln!(out, "{} policies; {passed} passed, {failed} failed", files.len());
    if broken > 0 {
        EXIT_ERROR
    } else if failed > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
