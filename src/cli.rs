//! The command line: arguments, the file system, the progress line and exit codes. A check is a
//! [`Session`](crate::Session) run over [`FsInputs`] into the sink of the report asked for.

use crate::check::{compile, Compiled};
use crate::diag::{Lang, Level};
use crate::eval::examples::run_examples;
use crate::fs::sandbox::{
    read_bytes_limited, read_limited, Sandbox, MAX_CALENDAR_BYTES, MAX_POLICY_BYTES,
};
use crate::fs::FsInputs;
use crate::fs::ReportFile;
use crate::input::{self, InputSpec};
use crate::report::github::{self, GitHub};
use crate::report::human::{self, Human, Style};
use crate::report::json::{self as jsonr, Json};
use crate::report::junit::JUnit;
use crate::report::sarif::Sarif;
use crate::report::{policy_notes, rules_of, PolicyNote, Sink, Summary, Tee};
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Exit code 0: no failing finding of error severity.
pub const EXIT_OK: i32 = 0;
/// Exit code 1: at least one failing finding of error severity (or a failed example, or a file
/// `fmt --check` would change).
pub const EXIT_FINDINGS: i32 = 1;
/// Exit code 2: a policy, usage or input error, or a report that could not be written whole.
pub const EXIT_ERROR: i32 = 2;
/// Exit code 130 (128 + SIGINT, as shells report it): interrupted by Ctrl-C or SIGTERM, with
/// nothing written to `--output` (see [`handle_interrupts`]).
pub const EXIT_INTERRUPTED: i32 = 130;

#[derive(Parser, Debug)]
#[command(
    name = "guiju",
    version,
    about = "规矩 — rules-as-code compliance checking for Chinese government documents"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum LangArg {
    Zh,
    En,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum ColorArg {
    Auto,
    Always,
    Never,
}

/// The format of a blank form (`guiju template`).
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum TemplateFormatArg {
    /// An Excel workbook: the form, drop-downs, formats and a 填表说明 sheet.
    Xlsx,
    /// A CSV header line (UTF-8 with a byte order mark).
    Csv,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum FormatArg {
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
    /// Only the counts: the JSON report without its findings (docs/report-json.md). Builds no
    /// finding, so a run that only needs the numbers does not pay for explaining them.
    Summary,
}

#[derive(clap::Args, Debug, Clone)]
pub(crate) struct Common {
    /// A local working-day calendar (.cal) for every rule, laid over the national one when it says `extends cn-national`.
    #[arg(long, global = true)]
    pub calendar: Option<PathBuf>,
    /// A directory whose files a policy may `use` (or name as its `calendar`), besides its own
    /// directory tree; may be given more than once.
    #[arg(long = "allow-path", value_name = "DIR", global = true)]
    pub allow_path: Vec<PathBuf>,
    /// Language of messages.
    #[arg(long, value_enum, default_value = "zh")]
    pub lang: LangArg,
    /// When to use colour.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorArg,
}

/// The arguments of `guiju check`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct CheckArgs {
    /// Policy files (.gj).
    #[arg(required = true)]
    pub policies: Vec<PathBuf>,
    /// Data files, as FILE or TYPE=FILE (CSV, JSON, JSONL, Excel).
    #[arg(long = "data", short = 'd', required = true, num_args = 1..)]
    pub data: Vec<String>,
    /// Judge deadlines as of this date (default: today).
    #[arg(long = "as-of")]
    pub as_of: Option<String>,
    /// Report format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: FormatArg,
    /// Write the report to this file; the human report goes to the terminal (for --format human, its summary line).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Text encoding of every CSV/JSON data file not named with its own (`--data a.csv:gbk`):
    /// utf-8, gbk, gb18030, utf-16le, utf-16be or big5. Without it, each file's is told by its
    /// byte order mark or detected.
    #[arg(long)]
    pub encoding: Option<String>,
    /// The 1-based row of every spreadsheet's header (CSV, or each sheet of a workbook), when
    /// it is not found by the labels it names (a title or notes above it are then passed over).
    /// At most 1000: the rows above the header are held while it is looked for.
    #[arg(long = "header-row", value_parser = clap::value_parser!(u32).range(1..=crate::input::excel::MAX_HEADER_ROW as i64))]
    pub header_row: Option<u32>,
    /// Threads for evaluation (default: all cores).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Show the full evaluation trace of each finding.
    #[arg(long)]
    pub explain: bool,
    /// What else makes the exit code 1, besides a failing error-severity finding: `warning`
    /// (a failing warning, or a problem found in the data), `unknown` (an unknown outcome or an
    /// unreadable record). Comma-separated or repeated.
    #[arg(long = "fail-on", value_enum, value_delimiter = ',')]
    pub fail_on: Vec<FailOn>,
    /// Records per batch.
    #[arg(long, default_value_t = 8192, hide = true)]
    pub batch: usize,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Check submissions against policies.
    Check(CheckArgs),
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
    /// Lay policy files (or directories of them) out in the one canonical layout.
    Fmt {
        #[arg(required = true)]
        policies: Vec<PathBuf>,
        /// Change nothing: print a diff of each file that is not formatted, and exit 1 if any.
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Write a blank form for a record type of a policy (a workbook with drop-downs and a
    /// 填表说明 sheet, or a CSV header), for an agency to fill in and check.
    Template {
        /// The policy (or policies) declaring the record type.
        #[arg(required = true)]
        policies: Vec<PathBuf>,
        /// The record type, by name or label (default: the policy's only record type).
        #[arg(long = "type", short = 't')]
        record: Option<String>,
        /// The form's format.
        #[arg(long, value_enum, default_value = "xlsx")]
        format: TemplateFormatArg,
        /// Where to write the form (default: `<label>.xlsx` / `<label>.csv` here; `-` for stdout).
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Explain a diagnostic code (E0202, W0101, I0003, U0001, V0001); without a code, list them all.
    Explain {
        /// The code, as printed in a report (`[E0202]`).
        code: Option<String>,
        #[command(flatten)]
        common: Common,
    },
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
            let _ = writeln!(
                err,
                "error[U0001]: --as-of `{s}` is not a date (YYYY-MM-DD) / 不是日期"
            );
            EXIT_ERROR
        }),
    }
}

/// `E0013`, shown at the first byte of a policy file that is not UTF-8.
fn not_utf8(
    path: &std::path::Path,
    bad: &crate::syntax::encoding::NotUtf8,
    est: Style,
    err: &mut dyn Write,
) {
    let mut sources = crate::source::SourceMap::new();
    let id = sources.add(path.to_string_lossy().into_owned(), bad.lossy.clone());
    human::render_diagnostics(err, &[bad.diagnostic(id)], &sources, est);
}

fn read_policies(
    paths: &[PathBuf],
    est: Style,
    err: &mut dyn Write,
) -> Result<Vec<(String, String)>, i32> {
    let mut out = Vec::new();
    for p in paths {
        match read_bytes_limited(p, MAX_POLICY_BYTES) {
            Ok(bytes) => match crate::syntax::encoding::decode_policy(bytes) {
                Ok(t) => out.push((p.to_string_lossy().into_owned(), t)),
                Err(bad) => {
                    not_utf8(p, &bad, est, err);
                    return Err(EXIT_ERROR);
                }
            },
            Err(e) => {
                let _ = writeln!(
                    err,
                    "error[{}]: cannot read policy `{}`: {} / 无法读取策略文件：{}",
                    if e.is_limit() { "U0006" } else { "U0002" },
                    p.display(),
                    e.en(),
                    e.zh()
                );
                return Err(EXIT_ERROR);
            }
        }
    }
    Ok(out)
}

/// Runs the CLI with the given arguments, writing to `out` and `err`. Returns the exit code.
pub fn run(args: Vec<String>, out: &mut (dyn Write + Send), err: &mut dyn Write) -> i32 {
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
        Command::Check(args) => check(args, out, err),
        Command::Test {
            policies,
            as_of,
            common,
        } => test(&policies, &as_of, &common, out, err),
        Command::Fmt {
            policies,
            check,
            common,
        } => fmt(&policies, check, &common, out, err),
        Command::Explain { code, common } => explain(code.as_deref(), &common, out, err),
        Command::Template {
            policies,
            record,
            format,
            output,
            common,
        } => template(
            &policies,
            record.as_deref(),
            format,
            output,
            &common,
            out,
            err,
        ),
    }
}

fn report_policy(
    c: &Compiled,
    format: FormatArg,
    to_file: bool,
    st: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) {
    if c.diagnostics.is_empty() {
        return;
    }
    let failed = c.program.is_none();
    if format == FormatArg::Json && failed && !to_file {
        jsonr::render_policy_errors(out, &c.diagnostics, &c.sources);
    } else if format == FormatArg::Github && !to_file {
        // Written as annotations with the report.
    } else {
        human::render_diagnostics(err, &c.diagnostics, &c.sources, st);
    }
}

/// When the policy does not compile, the report still says so: the CI formats write one holding
/// its diagnostics, so that a CI step uploading it finds one that says why nothing was checked;
/// and with `--output` every format replaces the file (JSON with the policy errors, the human
/// view with the diagnostics), so that yesterday's report is never taken for today's.
fn policy_failure_report(
    o: &CheckArgs,
    compiled: &Compiled,
    lang: Lang,
    notes: &[PolicyNote],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let ci = matches!(
        o.format,
        FormatArg::Sarif | FormatArg::Junit | FormatArg::Github
    );
    if !ci && o.output.is_none() {
        return EXIT_ERROR;
    }
    let mut file_out = match open_report(o, err) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let mut latch = Latch::new(match file_out.as_mut() {
        Some(f) => f as &mut dyn Write,
        None => out,
    });
    let w: &mut dyn Write = &mut latch;
    let summary = Summary::default();
    match o.format {
        FormatArg::Sarif => Sarif::new(w, lang, &[], notes, o.explain).end(&summary),
        FormatArg::Junit => JUnit::new(w, lang, &[], notes, o.explain).end(&summary),
        FormatArg::Github => github::render_policy_notes(w, notes, lang),
        FormatArg::Json | FormatArg::Summary => {
            jsonr::render_policy_errors(w, &compiled.diagnostics, &compiled.sources)
        }
        FormatArg::Human => human::render_diagnostics(
            w,
            &compiled.diagnostics,
            &compiled.sources,
            Style {
                color: false,
                ..style(&o.common, false)
            },
        ),
    }
    let _ = latch.flush();
    let written = latch.finish();
    finish_report(o, file_out, written, lang, err).unwrap_or(EXIT_ERROR)
}

/// The report file `--output` names, opened to be written whole ([`ReportFile`]), or `None`
/// without `--output`; an error (exit 2) when it names an input or a policy of the run, or
/// cannot be made.
fn open_report(o: &CheckArgs, err: &mut dyn Write) -> Result<Option<ReportFile>, i32> {
    let Some(path) = &o.output else {
        return Ok(None);
    };
    let inputs = o
        .data
        .iter()
        .map(|d| PathBuf::from(InputSpec::parse(d).path))
        .chain(o.policies.iter().cloned())
        .chain(o.common.calendar.iter().cloned());
    for input in inputs {
        if crate::fs::same_file(path, &input) {
            let (path, input) = (path.display(), input.display());
            let lang = style(&o.common, false).lang;
            let _ = writeln!(
                err,
                "{}",
                match lang {
                    Lang::Zh => format!(
                        "error[U0009]: --output `{path}` 是本次检查的输入（`{input}`），报告会覆盖它；请另选输出文件"
                    ),
                    Lang::En => format!(
                        "error[U0009]: --output `{path}` is an input of this run (`{input}`): the report would replace it; choose another file"
                    ),
                }
            );
            return Err(EXIT_ERROR);
        }
    }
    match ReportFile::create(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) => {
            let _ = writeln!(err, "error[U0004]: cannot write `{}`: {e}", path.display());
            Err(EXIT_ERROR)
        }
    }
}

/// Ends a report: `written` says whether every write of it succeeded. A whole report in a
/// file is put in place of the previous one; a report cut short is an error (exit 2, `U0008`)
/// and, in a file, never replaces the previous one. `None` when the report is in place.
fn finish_report(
    o: &CheckArgs,
    file: Option<ReportFile>,
    written: std::io::Result<()>,
    lang: Lang,
    err: &mut dyn Write,
) -> Option<i32> {
    let kept = file.as_ref().is_some_and(ReportFile::replaces);
    let place = |f: ReportFile| f.commit();
    let done = written.and_then(|()| file.map_or(Ok(()), place));
    let e = done.err()?;
    let _ = writeln!(
        err,
        "{}",
        match (lang, o.output.as_ref().filter(|_| kept)) {
            (Lang::Zh, Some(p)) => format!(
                "error[U0008]: 报告未能完整写出：{e}；{} 保持原样",
                p.display()
            ),
            (Lang::Zh, None) => format!("error[U0008]: 报告未能完整写出：{e}"),
            (Lang::En, Some(p)) => format!(
                "error[U0008]: the report could not be written whole: {e}; `{}` is as it was",
                p.display()
            ),
            (Lang::En, None) => format!("error[U0008]: the report could not be written whole: {e}"),
        }
    );
    Some(EXIT_ERROR)
}

/// A writer that keeps the first error it meets and drops what is written after it, so that a
/// view that cannot stop at a failed write (a sink's methods return nothing) does not hide it:
/// the front end asks [`Latch::finish`] at the end.
struct Latch<W: Write> {
    inner: W,
    error: Option<std::io::Error>,
}

impl<W: Write> Latch<W> {
    fn new(inner: W) -> Latch<W> {
        Latch { inner, error: None }
    }

    /// `Ok` when every write and flush succeeded, else the first error.
    fn finish(self) -> std::io::Result<()> {
        self.error.map_or(Ok(()), Err)
    }

    fn keep<T>(&mut self, r: std::io::Result<T>, or: T) -> std::io::Result<T> {
        match r {
            Ok(v) => Ok(v),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                self.error = Some(e);
                Ok(or)
            }
        }
    }
}

impl<W: Write> Write for Latch<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.error.is_some() {
            return Ok(buf.len());
        }
        let r = self.inner.write(buf);
        self.keep(r, buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if self.error.is_some() {
            return Ok(());
        }
        let r = self.inner.write_all(buf);
        self.keep(r, ())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.error.is_some() {
            return Ok(());
        }
        let r = self.inner.flush();
        self.keep(r, ())
    }
}

fn check(o: CheckArgs, out: &mut (dyn Write + Send), err: &mut dyn Write) -> i32 {
    let st = style(&o.common, std::io::stdout().is_terminal());
    let est = style(&o.common, std::io::stderr().is_terminal());
    INTERRUPT_ZH.store(est.lang == Lang::Zh, std::sync::atomic::Ordering::Relaxed);
    let as_of = match as_of_date(&o.as_of, err) {
        Ok(d) => d,
        Err(c) => return c,
    };
    let files = match read_policies(&o.policies, est, err) {
        Ok(f) => f,
        Err(c) => return c,
    };
    let compiled = compile(files, &Sandbox::new(&o.policies, &o.common.allow_path));
    report_policy(&compiled, o.format, o.output.is_some(), est, out, err);
    let notes = policy_notes(&compiled.diagnostics, &compiled.sources);
    let Some(program) = compiled.program else {
        let n = compiled
            .diagnostics
            .iter()
            .filter(|d| d.level == Level::Error)
            .count();
        let _ = writeln!(
            err,
            "{}",
            match est.lang {
                Lang::Zh => format!("策略有 {n} 处错误，未检查任何数据"),
                Lang::En => format!("the policy has {n} error(s); no data was checked"),
            }
        );
        return policy_failure_report(&o, &compiled, st.lang, &notes, out, err);
    };
    let calendar = match load_calendar(&o.common, err) {
        Ok(c) => c,
        Err(c) => return c,
    };
    if let Some(j) = o.jobs.filter(|j| *j > crate::run::max_jobs()) {
        let m = crate::run::max_jobs();
        let _ = writeln!(
            err,
            "{}",
            match st.lang {
                Lang::Zh => format!("warning[U0007]: --jobs {j} 超过本机上限，使用 {m} 个线程"),
                Lang::En => format!(
                    "warning[U0007]: --jobs {j} is more than the {m} threads guiju uses here; using {m}"
                ),
            }
        );
    }
    let options = crate::run::RunOptions {
        jobs: o.jobs,
        batch: o.batch,
        calendar,
        ..crate::run::RunOptions::new(as_of)
    };
    let session = match crate::run::Session::new(&program, options) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "error[U0003]: {e}");
            return EXIT_ERROR;
        }
    };
    let inputs = FsInputs::new(
        o.data
            .iter()
            .map(|d| {
                // An encoding named after the file (`台账.csv:gbk`) is that file's; `--encoding`
                // is every other file's.
                let spec = InputSpec::parse(d);
                InputSpec {
                    encoding: spec.encoding.clone().or_else(|| o.encoding.clone()),
                    header_row: o.header_row,
                    ..spec
                }
            })
            .collect(),
    );
    // The report goes to --output when given (written whole or not at all); the summary line
    // always reaches the terminal. Every write is latched, so that a failed one (a full disk, a
    // closed pipe) reaches the exit code.
    let mut file_out = match open_report(&o, err) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let mut file_latch = file_out.as_mut().map(Latch::new);
    let mut out = Latch::new(out);
    let file_style = Style { color: false, ..st };
    // With --output, a report other than the human one goes to the file and the human report to the terminal.
    let terminal_human =
        o.output.is_some() && !matches!(o.format, FormatArg::Human | FormatArg::Summary);
    let (report_out, term_out): (&mut (dyn Write + Send), Option<&mut (dyn Write + Send)>) =
        match file_latch.as_mut() {
            Some(f) => (f, Some(&mut out)),
            None => (&mut out, None),
        };
    let mut sink: Box<dyn Sink + Send + '_> = match o.format {
        FormatArg::Human => Box::new(Human {
            out: report_out,
            style: if o.output.is_some() { file_style } else { st },
            sources: &program.sources,
            explain: o.explain,
            lines: Default::default(),
        }),
        FormatArg::Json => Box::new(Json::new(report_out, st.lang)),
        FormatArg::Summary => Box::new(Json::summary_only(report_out, st.lang)),
        FormatArg::Sarif => Box::new(Sarif::new(
            report_out,
            st.lang,
            &rules_of(&program),
            &notes,
            o.explain,
        )),
        FormatArg::Junit => {
            let junit = JUnit::new(report_out, st.lang, &rules_of(&program), &notes, o.explain);
            // Test cases wait on disk, not in memory, until the counts are known.
            Box::new(match crate::fs::spill_file() {
                Some(f) => junit.spilling_to(Box::new(f)),
                None => junit,
            })
        }
        FormatArg::Github => Box::new(GitHub {
            out: {
                github::render_policy_notes(report_out, &notes, st.lang);
                report_out
            },
            lang: st.lang,
            explain: o.explain,
        }),
    };
    if let Some(t) = term_out.filter(|_| terminal_human) {
        let human = Human {
            out: t,
            style: st,
            sources: &program.sources,
            explain: o.explain,
            lines: Default::default(),
        };
        sink = Box::new(Tee(sink, Box::new(human)));
    }
    let mut sink = Progress::new(std::io::stderr().is_terminal(), est.lang, sink);
    let summary = session.run(&inputs, &mut sink);
    sink.clear();
    let lost = sink.take_error();
    drop(sink);
    let written = match file_latch {
        Some(mut f) => {
            let _ = f.flush();
            lost.map_or(Ok(()), Err).and(f.finish())
        }
        None => lost.map_or(Ok(()), Err),
    };
    if o.output.is_some() && !terminal_human {
        let _ = writeln!(out, "{}", summary.line(st.lang));
    }
    let _ = out.flush();
    let shown = out.finish();
    let exit = check_exit(&summary, &o.fail_on, st.lang, err);
    // The report file first: it is put in place when whole, whatever became of the terminal.
    let file_failed = finish_report(&o, file_out, written, st.lang, err);
    let terminal_failed = match shown {
        Ok(()) => None,
        Err(e) => {
            let _ = writeln!(
                err,
                "{}",
                match st.lang {
                    Lang::Zh => format!("error[U0008]: 标准输出未能完整写出：{e}"),
                    Lang::En =>
                        format!("error[U0008]: standard output could not be written whole: {e}"),
                }
            );
            Some(EXIT_ERROR)
        }
    };
    file_failed.or(terminal_failed).unwrap_or(exit)
}

/// What besides a failing error-severity finding fails a check (`--fail-on`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailOn {
    /// Failing findings of warning severity, and problems found in the data.
    Warning,
    /// Unknown outcomes and unreadable records.
    Unknown,
}

/// The exit code of `guiju check` for `summary`; says on `err` what made it 1 when
/// `--fail-on` did, and what did not fail the run that a reader might think did.
fn check_exit(summary: &Summary, fail_on: &[FailOn], lang: Lang, err: &mut dyn Write) -> i32 {
    if summary.input_errors > 0 {
        return EXIT_ERROR;
    }
    if summary.unreadable > 0 && summary.unreadable == summary.records {
        // Not one record could be read: nothing was checked, and a pipeline must not take that
        // for a clean submission, whatever --fail-on says.
        let _ = writeln!(
            err,
            "{}",
            match lang {
                Lang::Zh => format!(
                    "退出码 2：提交的 {} 条记录无一能够读取，未检查任何记录",
                    summary.records
                ),
                Lang::En => format!(
                    "exit code 2: none of the {} record(s) submitted could be read; nothing was checked",
                    summary.records
                ),
            }
        );
        return EXIT_ERROR;
    }
    let unknown = summary.outcomes.get("unknown").copied().unwrap_or(0);
    let unreadable = summary.unreadable;
    let count = |n: u64, zh: &str, one: &str, many: &str| match lang {
        Lang::Zh => format!("{n} {zh}"),
        Lang::En if n == 1 => format!("1 {one}"),
        Lang::En => format!("{n} {many}"),
    };
    let join = |parts: Vec<String>| match lang {
        Lang::Zh => parts.join("、"),
        Lang::En => parts.join(", "),
    };
    let mut not_judged = Vec::new();
    if unknown > 0 {
        not_judged.push(count(
            unknown,
            "项结果未知",
            "unknown outcome",
            "unknown outcomes",
        ));
    }
    if unreadable > 0 {
        not_judged.push(count(
            unreadable,
            "条记录无法读取",
            "unreadable record",
            "unreadable records",
        ));
    }
    let mut warned = Vec::new();
    if summary.failing_warnings > 0 {
        warned.push(count(
            summary.failing_warnings,
            "项警告级违反",
            "failing warning",
            "failing warnings",
        ));
    }
    if summary.input_warnings > 0 {
        warned.push(count(
            summary.input_warnings,
            "个数据问题",
            "problem in the data",
            "problems in the data",
        ));
    }
    let mut reasons = Vec::new();
    if fail_on.contains(&FailOn::Unknown) && !not_judged.is_empty() {
        reasons.push(format!("{}（--fail-on unknown）", join(not_judged.clone())));
    }
    if fail_on.contains(&FailOn::Warning) && !warned.is_empty() {
        reasons.push(format!("{}（--fail-on warning）", join(warned)));
    }
    if lang == Lang::En {
        for r in &mut reasons {
            *r = r.replace("（", " (").replace("）", ")");
        }
    }
    if summary.failing_errors == 0 && summary.total_mismatches == 0 && !reasons.is_empty() {
        let _ = writeln!(
            err,
            "{}",
            match lang {
                Lang::Zh => format!("退出码 1：{}", reasons.join("；")),
                Lang::En => format!("exit code 1: {}", reasons.join("; ")),
            }
        );
    } else if !fail_on.contains(&FailOn::Unknown) && !not_judged.is_empty() {
        // A run whose answers are partly unknown must not look clean: the Excel reader that
        // lost numbers exited 0 with 41 unknown outcomes, and nobody looked.
        let _ = writeln!(
            err,
            "{}",
            match lang {
                Lang::Zh => format!(
                    "注意：未作判断：{}；这不影响退出码（CI 可加 --fail-on unknown）",
                    join(not_judged)
                ),
                Lang::En => format!(
                    "note: not judged: {}; this does not change the exit code (use --fail-on unknown in CI)",
                    join(not_judged)
                ),
            }
        );
    }
    if summary.failing_errors > 0 || summary.total_mismatches > 0 || !reasons.is_empty() {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// The calendar `--calendar FILE` names, read and parsed, with the name reports give it.
fn load_calendar(
    common: &Common,
    err: &mut dyn Write,
) -> Result<Option<(String, crate::calendar::Calendar)>, i32> {
    let Some(path) = &common.calendar else {
        return Ok(None);
    };
    let text = read_limited(path, MAX_CALENDAR_BYTES).map_err(|e| {
        let _ = writeln!(
            err,
            "error[{}]: cannot read calendar `{}`: {} / 无法读取日历：{}",
            if e.is_limit() { "U0006" } else { "U0005" },
            path.display(),
            e.en(),
            e.zh()
        );
        EXIT_ERROR
    })?;
    match crate::calendar::Calendar::parse(&text) {
        Ok(cal) => Ok(Some((path.to_string_lossy().into_owned(), cal))),
        Err(e) => {
            let _ = writeln!(
                err,
                "error[U0005]: {}:{}:{}: {} / 日历文件有误",
                path.display(),
                e.line,
                e.column,
                e.message
            );
            Err(EXIT_ERROR)
        }
    }
}

fn explain(code: Option<&str>, common: &Common, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let lang = style(common, false).lang;
    let Some(code) = code else {
        for c in crate::codes::CODES {
            let _ = writeln!(out, "{}  {}", c.code, c.title(lang));
        }
        return EXIT_OK;
    };
    match crate::codes::lookup(code) {
        Some(c) => {
            let _ = write!(out, "{}", c.render(lang));
            EXIT_OK
        }
        None => {
            let code = code.trim();
            let _ = writeln!(
                err,
                "{}",
                match lang {
                    Lang::Zh => format!("error: 没有代码 `{code}`"),
                    Lang::En => format!("error: no code `{code}`"),
                }
            );
            if let Some(s) = crate::codes::did_you_mean(code) {
                let _ = writeln!(
                    err,
                    "{}",
                    match lang {
                        Lang::Zh => format!("  help: 是否应为 `{s}`？"),
                        Lang::En => format!("  help: did you mean `{s}`?"),
                    }
                );
            }
            let _ = writeln!(
                err,
                "{}",
                match lang {
                    Lang::Zh => "  note: `guiju explain` 列出所有代码",
                    Lang::En => "  note: `guiju explain` lists every code",
                }
            );
            EXIT_ERROR
        }
    }
}

/// `guiju fmt`: rewrites files in place, or with `--check` prints diffs and exits 1 when any file would change.
fn fmt(
    paths: &[PathBuf],
    check: bool,
    common: &Common,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let est = style(common, std::io::stderr().is_terminal());
    let files = collect_policy_files(paths);
    let (mut changed, mut broken) = (0usize, 0usize);
    for f in &files {
        let name = f.to_string_lossy().into_owned();
        let text = match std::fs::read(f).map(crate::syntax::encoding::decode_policy) {
            Ok(Ok(t)) => t,
            Ok(Err(bad)) => {
                not_utf8(f, &bad, est, err);
                broken += 1;
                continue;
            }
            Err(e) => {
                let _ = writeln!(
                    err,
                    "error[U0002]: cannot read policy `{name}`: {e} / 无法读取策略文件"
                );
                broken += 1;
                continue;
            }
        };
        let formatted = match crate::fmt::format_policy(&text) {
            Ok(s) => s,
            Err(d) => {
                let mut sources = crate::source::SourceMap::new();
                sources.add(name.clone(), text.clone());
                human::render_diagnostics(err, &[d], &sources, est);
                broken += 1;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        changed += 1;
        if check {
            let diff = similar::TextDiff::from_lines(&text, &formatted);
            let _ = write!(
                out,
                "{}",
                diff.unified_diff()
                    .context_radius(2)
                    .header(&name, &format!("{name} (formatted)"))
            );
        } else if let Err(e) = std::fs::write(f, &formatted) {
            let _ = writeln!(err, "error[U0004]: cannot write `{name}`: {e}");
            broken += 1;
        } else {
            let _ = match est.lang {
                Lang::Zh => writeln!(out, "已排版 {name}"),
                Lang::En => writeln!(out, "formatted {name}"),
            };
        }
    }
    if broken > 0 {
        EXIT_ERROR
    } else if check && changed > 0 {
        let _ = match est.lang {
            Lang::Zh => writeln!(
                err,
                "{} 个文件中有 {changed} 个未按规范排版；请运行 `guiju fmt`",
                files.len()
            ),
            Lang::En => writeln!(
                err,
                "{changed} of {} files are not formatted; run `guiju fmt`",
                files.len()
            ),
        };
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// `guiju template`: a blank form for one record type, written whole or not at all.
fn template(
    paths: &[PathBuf],
    record: Option<&str>,
    format: TemplateFormatArg,
    output: Option<PathBuf>,
    common: &Common,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let est = style(common, std::io::stderr().is_terminal());
    let lang = est.lang;
    let files = match read_policies(paths, est, err) {
        Ok(f) => f,
        Err(c) => return c,
    };
    let compiled = compile(files, &Sandbox::new(paths, &common.allow_path));
    if !compiled.diagnostics.is_empty() {
        human::render_diagnostics(err, &compiled.diagnostics, &compiled.sources, est);
    }
    let Some(program) = compiled.program else {
        return EXIT_ERROR;
    };
    let types = crate::template::record_types(&program);
    let names = || {
        types
            .iter()
            .filter_map(|t| program.records.get(*t))
            .map(|r| match &r.label {
                Some(l) => format!("{}（{l}）", r.shown_name),
                None => r.shown_name.clone(),
            })
            .collect::<Vec<_>>()
            .join(match lang {
                Lang::Zh => "、",
                Lang::En => ", ",
            })
    };
    let ty = match record {
        Some(name) => match crate::template::record_type(&program, name) {
            Some(t) => t,
            None if program.record_types_named(name).len() > 1 => {
                let _ = writeln!(
                    err,
                    "{}",
                    match lang {
                        Lang::Zh => format!(
                            "error[U0020]: 记录类型 `{name}` 不止一种：几个策略都有此类型，请写成 `策略::{name}`；可选：{}",
                            names()
                        ),
                        Lang::En => format!(
                            "error[U0020]: record type `{name}` is ambiguous: several policies declare it; write `POLICY::{name}`; one of: {}",
                            names()
                        ),
                    }
                );
                return EXIT_ERROR;
            }
            None => {
                let _ = writeln!(
                    err,
                    "{}",
                    match lang {
                        Lang::Zh => format!(
                            "error[U0020]: 策略中没有记录类型 `{name}`；可选：{}",
                            names()
                        ),
                        Lang::En => format!(
                            "error[U0020]: the policy declares no record type `{name}`; it has: {}",
                            names()
                        ),
                    }
                );
                return EXIT_ERROR;
            }
        },
        None => match types.as_slice() {
            [t] => *t,
            _ => {
                let _ = writeln!(
                    err,
                    "{}",
                    match lang {
                        Lang::Zh => format!(
                            "error[U0020]: 策略有多种记录类型，请用 --type 指定其一：{}",
                            names()
                        ),
                        Lang::En => format!(
                            "error[U0020]: the policy declares several record types; name one with --type: {}",
                            names()
                        ),
                    }
                );
                return EXIT_ERROR;
            }
        },
    };
    let Some(rt) = program.records.get(ty) else {
        return EXIT_ERROR;
    };
    let bytes = match format {
        TemplateFormatArg::Csv => Ok(crate::template::csv(rt).into_bytes()),
        TemplateFormatArg::Xlsx => crate::template::xlsx(&program, ty, lang),
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            let _ = writeln!(
                err,
                "error[U0021]: cannot build the form / 无法生成表格：{e}"
            );
            return EXIT_ERROR;
        }
    };
    let ext = match format {
        TemplateFormatArg::Csv => "csv",
        TemplateFormatArg::Xlsx => "xlsx",
    };
    let path = output.unwrap_or_else(|| PathBuf::from(format!("{}.{ext}", rt.display_name())));
    if path.as_os_str() == "-" {
        if let Err(e) = out.write_all(&bytes).and_then(|()| out.flush()) {
            let _ = writeln!(
                err,
                "error[U0021]: cannot write the form / 无法写出表格：{e}"
            );
            return EXIT_ERROR;
        }
        return EXIT_OK;
    }
    if let Err(e) = write_whole(&path, &bytes) {
        let _ = writeln!(
            err,
            "error[U0021]: {}: cannot write the form / 无法写出表格：{e}",
            path.display()
        );
        return EXIT_ERROR;
    }
    let _ = writeln!(
        err,
        "{}",
        match lang {
            Lang::Zh => format!("已写出 {} 的空白表：{}", rt.display_name(), path.display()),
            Lang::En => format!(
                "wrote a blank form for {}: {}",
                rt.display_name(),
                path.display()
            ),
        }
    );
    EXIT_OK
}

/// Writes `bytes` to `path` whole or not at all, as a report is ([`ReportFile`]: a temporary file
/// beside it, renamed when complete, removed on failure or Ctrl-C).
fn write_whole(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = ReportFile::create(path)?;
    f.write_all(bytes)?;
    f.commit()
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

fn test(
    paths: &[PathBuf],
    as_of: &Option<String>,
    common: &Common,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
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
        let files = match read_policies(std::slice::from_ref(f), est, err) {
            Ok(x) => x,
            Err(_) => {
                broken += 1;
                continue;
            }
        };
        let compiled = compile(
            files,
            &Sandbox::new(std::slice::from_ref(f), &common.allow_path),
        );
        // For the author, a quote that does not stand on its cited lines (or a `source` that
        // cannot be read) is an error, and the policy fails its test; `check` only warns.
        let mut diagnostics = compiled.diagnostics.clone();
        let mut misquoted = 0usize;
        for d in &mut diagnostics {
            if matches!(d.code, "W0102" | "W0103") {
                d.level = Level::Error;
                misquoted += 1;
            }
        }
        diagnostics.extend(compiled.lints.iter().cloned());
        if let Some(program) = &compiled.program {
            diagnostics.extend(crate::check::authoring_lints(program, 0));
        }
        if !diagnostics.is_empty() {
            human::render_diagnostics(err, &diagnostics, &compiled.sources, est);
        }
        if misquoted > 0 {
            failed += misquoted;
            let _ = writeln!(
                out,
                "✗ {}: {}",
                f.display(),
                match lang {
                    Lang::Zh => format!("{misquoted} 处引文与原文不符"),
                    Lang::En => format!(
                        "{misquoted} citation problem(s): the quotes do not stand on their lines"
                    ),
                }
            );
        }
        let Some(mut program) = compiled.program else {
            broken += 1;
            let _ = writeln!(
                out,
                "✗ {}: {}",
                f.display(),
                match lang {
                    Lang::Zh => "策略有错误，示例未运行",
                    Lang::En => "the policy has errors; its examples did not run",
                }
            );
            continue;
        };
        match load_calendar(common, err) {
            Ok(Some((name, cal))) => program.use_calendar(&name, cal),
            Ok(None) => {}
            Err(c) => return c,
        }
        let main_policy = program
            .policies
            .first()
            .map(|p| p.path.clone())
            .unwrap_or_default();
        for r in run_examples(&program, default_as_of) {
            let Some(ex) = program.examples.get(r.example) else {
                continue;
            };
            if program
                .policies
                .get(ex.policy)
                .map(|p| p.path != main_policy)
                .unwrap_or(false)
            {
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
                let Some(x) = ex.expects.get(u.expectation) else {
                    continue;
                };
                let rule = program
                    .rules
                    .get(x.rule)
                    .map(|r| r.shown_id.as_str())
                    .unwrap_or("?");
                let (line, _) = program
                    .sources
                    .line_col(x.span.source, x.span.start as usize);
                let target = x
                    .for_key
                    .as_ref()
                    .map(|k| match lang {
                        Lang::Zh => format!("（针对 \"{k}\"）"),
                        Lang::En => format!(" for \"{k}\""),
                    })
                    .unwrap_or_default();
                let said = |o: crate::vocab::Outcome| match lang {
                    Lang::Zh => o.zh(),
                    Lang::En => o.as_str(),
                };
                if u.seen.is_empty() {
                    let _ = match lang {
                        Lang::Zh => writeln!(out, "    第 {line} 行：期望 {rule} {}{target}：该规则没有在这些记录上运行（记录类型或 针对 的键不符？）", said(x.outcome)),
                        Lang::En => writeln!(out, "    line {line}: expect {rule} {}{target}: the rule never ran on these records (wrong record type or `for` key?)", said(x.outcome)),
                    };
                }
                for s in &u.seen {
                    if s.outcome == x.outcome {
                        continue;
                    }
                    let _ = match lang {
                        Lang::Zh => writeln!(
                            out,
                            "    第 {line} 行：期望 {rule} {}{target}，但 {} 为 {}",
                            said(x.outcome),
                            s.who,
                            said(s.outcome)
                        ),
                        Lang::En => writeln!(
                            out,
                            "    line {line}: expect {rule} {}{target}, but {} was {}",
                            said(x.outcome),
                            s.who,
                            said(s.outcome)
                        ),
                    };
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
    let _ = match lang {
        Lang::Zh => writeln!(
            out,
            "共 {} 个策略；{passed} 项期望通过，{failed} 项未通过",
            files.len()
        ),
        Lang::En => writeln!(
            out,
            "{} policies; {passed} passed, {failed} failed",
            files.len()
        ),
    };
    if broken > 0 {
        EXIT_ERROR
    } else if failed > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// A progress line on a terminal's stderr during long runs: records read and records per second.
/// Drawn only when stderr is a terminal, first after half a second, then at most four times a
/// second; cleared before the run prints anything and at the end. It writes to the process's
/// stderr itself, never into the run's `err`, so that captured output never holds it. It is the
/// sink the run reports to, passing everything on to the report's sink.
struct Progress<'a> {
    enabled: bool,
    lang: Lang,
    start: std::time::Instant,
    last: Option<std::time::Instant>,
    shown: bool,
    sink: Box<dyn Sink + Send + 'a>,
}

impl<'a> Progress<'a> {
    const FIRST: std::time::Duration = std::time::Duration::from_millis(500);
    const EVERY: std::time::Duration = std::time::Duration::from_millis(250);

    fn new(enabled: bool, lang: Lang, sink: Box<dyn Sink + Send + 'a>) -> Progress<'a> {
        Progress {
            enabled,
            lang,
            start: std::time::Instant::now(),
            last: None,
            shown: false,
            sink,
        }
    }

    fn tick(&mut self, path: &str, records: u64) {
        if !self.enabled {
            return;
        }
        let now = std::time::Instant::now();
        let due = match self.last {
            None => now.duration_since(self.start) >= Self::FIRST,
            Some(t) => now.duration_since(t) >= Self::EVERY,
        };
        if !due {
            return;
        }
        self.last = Some(now);
        let secs = now.duration_since(self.start).as_secs_f64();
        let rate = if secs > 0.0 {
            (records as f64 / secs).round() as u64
        } else {
            0
        };
        let line = match self.lang {
            Lang::Zh => format!("{path}：已读 {records} 条记录，每秒 {rate} 条"),
            Lang::En => format!("{path}: {records} records, {rate} records/s"),
        };
        let mut e = std::io::stderr();
        let _ = write!(e, "\r\x1b[2K{line}");
        let _ = e.flush();
        self.shown = true;
    }

    fn clear(&mut self) {
        if self.shown {
            let mut e = std::io::stderr();
            let _ = write!(e, "\r\x1b[2K");
            let _ = e.flush();
            self.shown = false;
        }
    }
}

impl Sink for Progress<'_> {
    fn data_diag(&mut self, d: &input::DataDiag) {
        self.clear();
        self.sink.data_diag(d);
    }

    fn data_diag_in(&mut self, d: &input::DataDiag, input: input::Reread<'_>) {
        self.clear();
        self.sink.data_diag_in(d, input);
    }

    fn finding(&mut self, f: &crate::report::Finding) {
        self.clear();
        self.sink.finding(f);
    }

    fn end(&mut self, summary: &Summary) {
        self.clear();
        self.sink.end(summary);
    }

    fn prerender(&self) -> Option<crate::report::Prerender> {
        self.sink.prerender()
    }

    fn wants_findings(&self) -> bool {
        self.sink.wants_findings()
    }

    fn rendered(&mut self, bytes: &[u8]) {
        self.clear();
        self.sink.rendered(bytes);
    }

    fn progress(&mut self, input: &str, records: u64) {
        self.tick(input, records);
    }

    fn take_error(&mut self) -> Option<std::io::Error> {
        self.sink.take_error()
    }
}

/// The language of the message printed on Ctrl-C: the run's (`guiju check` sets it).
static INTERRUPT_ZH: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes Ctrl-C (SIGINT, and SIGTERM) end the process cleanly, for the binary: the progress line
/// is cleared, a report being written to `--output` is removed so that the previous one stays as
/// it was, and the exit code is [`EXIT_INTERRUPTED`]. Without it the process would die with a
/// half-drawn progress line and a temporary file left beside the report.
pub fn handle_interrupts() {
    let _ = ctrlc::set_handler(|| {
        let removed = crate::fs::remove_partial_reports();
        let mut e = std::io::stderr();
        if e.is_terminal() {
            let _ = write!(e, "\r\x1b[2K");
        }
        let zh = INTERRUPT_ZH.load(std::sync::atomic::Ordering::Relaxed);
        let _ = writeln!(
            e,
            "{}",
            match (zh, removed > 0) {
                (true, true) => "已中断：报告未写出，原有的报告文件保持原样",
                (true, false) => "已中断",
                (false, true) =>
                    "interrupted: no report was written; the previous report file is as it was",
                (false, false) => "interrupted",
            }
        );
        std::process::exit(EXIT_INTERRUPTED);
    });
}

#[cfg(test)]
mod tests {
    use super::Latch;
    use std::io::Write;

    /// Takes `room` bytes, then fails as a full disk does.
    struct Disk {
        room: usize,
        kept: Vec<u8>,
    }

    impl Write for Disk {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(std::io::Error::from_raw_os_error(28));
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            self.kept
                .extend_from_slice(buf.get(..n).unwrap_or_default());
            Ok(n)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_latch_keeps_the_first_write_error_for_the_end() {
        let mut disk = Disk {
            room: 10,
            kept: Vec::new(),
        };
        let mut latch = Latch::new(&mut disk);
        // The views ignore the result of each write, as a sink's methods return nothing.
        assert!(writeln!(latch, "0123456789abcdef").is_ok());
        assert!(writeln!(latch, "more").is_ok());
        let e = latch.finish().unwrap_err();
        assert_eq!(e.raw_os_error(), Some(28));
        assert_eq!(disk.kept, b"0123456789");

        let mut fine = Vec::new();
        let mut latch = Latch::new(&mut fine);
        writeln!(latch, "all of it").unwrap();
        assert!(latch.finish().is_ok());
        assert_eq!(fine, b"all of it\n");
    }
}
