//! The command line: wires reading, checking, evaluating and reporting. With `input`, the only module that touches files.

use crate::check::{compile, Compiled, Resolver};
use crate::diag::{Lang, Level};
use crate::eval::examples::run_examples;
use crate::eval::{Engine, GroupEarly, GroupRun, Verdict};
use crate::input::{self, InputSpec, Item};
use crate::report::github::{self, GitHub};
use crate::report::human::{self, Human, Style};
use crate::report::json::{self as jsonr, Json};
use crate::report::junit::JUnit;
use crate::report::sarif::Sarif;
use crate::report::{
    finding_for_group, finding_for_record, policy_notes, rules_of, Finding, InputInfo, PolicyNote,
    Prerendered, Reporter, Summary, Tee,
};
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
#[command(
    name = "guiju",
    version,
    about = "规矩 — rules-as-code compliance checking for Chinese government documents"
)]
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

/// The arguments of `guiju check`.
#[derive(clap::Args, Debug, Clone)]
pub struct CheckArgs {
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
    /// Text encoding of the data files: utf-8 (default), gbk or gb18030.
    #[arg(long)]
    pub encoding: Option<String>,
    /// Threads for evaluation (default: all cores).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Show the full evaluation trace of each finding.
    #[arg(long)]
    pub explain: bool,
    /// Records per batch.
    #[arg(long, default_value_t = 8192, hide = true)]
    pub batch: usize,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Subcommand, Debug)]
pub enum Command {
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
    /// Explain a diagnostic code (E0202, W0101, I0003, U0001, V0001); without a code, list them all.
    Explain {
        /// The code, as printed in a report (`[E0202]`).
        code: Option<String>,
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
        std::fs::read_to_string(&p)
            .map(|t| (name, t))
            .map_err(|e| e.to_string())
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
            let _ = writeln!(
                err,
                "error[U0001]: --as-of `{s}` is not a date (YYYY-MM-DD) / 不是日期"
            );
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
                let _ = writeln!(
                    err,
                    "error[U0002]: cannot read policy `{}`: {e} / 无法读取策略文件",
                    p.display()
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
    if format == FormatArg::Json && failed {
        jsonr::render_policy_errors(out, &c.diagnostics, &c.sources);
    } else if format == FormatArg::Github && !to_file {
        // Written as annotations with the report.
    } else {
        human::render_diagnostics(err, &c.diagnostics, &c.sources, st);
    }
}

/// When the policy does not compile, the CI formats still write a report, holding its diagnostics,
/// so that a CI step uploading it finds one that says why nothing was checked.
fn ci_policy_report(
    o: &CheckArgs,
    lang: Lang,
    notes: &[PolicyNote],
    out: &mut dyn Write,
    err: &mut dyn Write,
) {
    if !matches!(
        o.format,
        FormatArg::Sarif | FormatArg::Junit | FormatArg::Github
    ) {
        return;
    }
    let mut file_out = match &o.output {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Some(std::io::BufWriter::new(f)),
            Err(e) => {
                let _ = writeln!(err, "error[U0004]: cannot write `{}`: {e}", p.display());
                return;
            }
        },
        None => None,
    };
    let w: &mut dyn Write = match file_out.as_mut() {
        Some(f) => f,
        None => out,
    };
    let summary = Summary::default();
    match o.format {
        FormatArg::Sarif => Sarif::new(w, lang, &[], notes, o.explain).end(&summary),
        FormatArg::Junit => JUnit::new(w, lang, &[], notes, o.explain).end(&summary),
        _ => github::render_policy_notes(w, notes, lang),
    }
    if let Some(mut f) = file_out {
        let _ = f.flush();
    }
}

fn check(o: CheckArgs, out: &mut (dyn Write + Send), err: &mut dyn Write) -> i32 {
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
    report_policy(&compiled, o.format, o.output.is_some(), est, out, err);
    let notes = policy_notes(&compiled.diagnostics, &compiled.sources);
    let Some(mut program) = compiled.program else {
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
        ci_policy_report(&o, st.lang, &notes, out, err);
        return EXIT_ERROR;
    };
    if let Err(c) = apply_calendar(&mut program, &o.common, err) {
        return c;
    }
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(o.jobs.unwrap_or(0))
        .build()
    {
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
    // With --output, a report other than the human one goes to the file and the human report to the terminal.
    let terminal_human = o.output.is_some() && o.format != FormatArg::Human;
    let (report_out, term_out): (&mut (dyn Write + Send), Option<&mut (dyn Write + Send)>) =
        match file_out.as_mut() {
            Some(f) => (f, Some(&mut *out)),
            None => (&mut *out, None),
        };
    let mut reporter: Box<dyn Reporter + Send + '_> = match o.format {
        FormatArg::Human => Box::new(Human {
            out: report_out,
            style: if o.output.is_some() { file_style } else { st },
            sources: &program.sources,
            explain: o.explain,
            lines: Default::default(),
        }),
        FormatArg::Json => Box::new(Json::new(report_out, st.lang)),
        FormatArg::Sarif => Box::new(Sarif::new(
            report_out,
            st.lang,
            &rules_of(&program),
            &notes,
            o.explain,
        )),
        FormatArg::Junit => Box::new(JUnit::new(
            report_out,
            st.lang,
            &rules_of(&program),
            &notes,
            o.explain,
        )),
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
        reporter = Box::new(Tee(reporter, Box::new(human)));
    }
    let engine = Engine::new(&program, as_of);
    let prerender = reporter.prerender().map(|p| p.for_program(&program));
    // Groups are aggregated, batch by batch in input order, while later batches are read and
    // evaluated. Spread over half of the threads: on two cores one thread aggregating (while the
    // other reads, then both convert) measured faster than two shards, each of which looks at
    // every record for its keys.
    let mut groups =
        GroupRun::with_shards(&program, as_of, (pool.current_num_threads() / 2).max(1));
    // The position of the next batch's first item among all items read, for the order of groups.
    let mut seq = 0u64;
    let mut summary = Summary::new(&program, as_of.to_string());
    let mut had_input_error = false;
    let batch = o.batch.max(1);
    let mut progress = Progress::new(std::io::stderr().is_terminal(), est.lang);
    // The whole run, reading and reporting too, is on the pool's threads: a calling thread outside
    // it would hand work to the pool and sleep until it came back, and on a virtual machine each
    // of those wake-ups cost more than the report (`--jobs 1` was 5 % slower).
    pool.install(|| {
        for (ii, spec) in specs.iter().enumerate() {
            progress.clear();
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
            // Batches are read ahead of their evaluation (at most `MAX_IN_FLIGHT` not yet
            // reported). Each batch keeps its read error and warnings, reported where reading
            // one batch at a time reports them, and batches are reported in input order.
            let threads = pool.current_num_threads();
            let tallies = Tallies::default();
            let mut report = |items: &[Item],
                              parts: Vec<Evaluated>,
                              read: &Result<bool, input::DataDiag>,
                              warnings: Vec<input::DataDiag>| {
                if let Err(d) = read {
                    progress.clear();
                    reporter.data_diag(d);
                    had_input_error = true;
                }
                let nrules = program.rules.len();
                let mut counts = vec![0u64; OUTCOMES * nrules];
                for p in &parts {
                    for (a, b) in counts.iter_mut().zip(&p.counts) {
                        *a += b;
                    }
                }
                for (k, n) in counts.into_iter().enumerate() {
                    if let (true, Some(o)) = (n > 0, Outcome::ALL.get(k % OUTCOMES)) {
                        summary.count_many(&program, k / OUTCOMES, *o, n);
                    }
                }
                // Clear the progress line before this batch prints anything.
                if parts.iter().any(|p| !p.notes.is_empty()) {
                    progress.clear();
                }
                // Records per type, added to the summary in the order types first appear. Only the
                // items with something to report are looked at here: the pool counted the rest.
                let mut by_type = vec![0u64; program.records.len()];
                let mut type_order = Vec::new();
                let mut first = 0;
                for mut p in parts {
                    summary.records += p.items as u64;
                    for (t, n) in p.by_type.drain(..) {
                        if let Some(total) = by_type.get_mut(t) {
                            if *total == 0 {
                                type_order.push(t);
                            }
                            *total += n;
                        }
                    }
                    let Evaluated {
                        notes,
                        found,
                        rendered,
                        ..
                    } = &mut p;
                    let mut found = found.drain(..);
                    for (i, n) in notes.drain(..) {
                        let vs = found.by_ref().take(n);
                        match items.get(first + i) {
                            Some(Item::Bad(d)) => {
                                summary.unreadable += 1;
                                reporter.data_diag(d);
                            }
                            Some(Item::Record(_)) => {
                                for f in vs {
                                    match f {
                                        Found::Rendered(b) => reporter.rendered(&b),
                                        Found::InChunk(a, b) => reporter
                                            .rendered(rendered.get(a..b).unwrap_or_default()),
                                        Found::Finding(f) => reporter.finding(&f),
                                    }
                                }
                            }
                            // Not reached; the item's findings are still taken, so the next
                            // item's are its own.
                            None => vs.for_each(drop),
                        }
                    }
                    drop(found);
                    first += p.items;
                    tallies.give_back(p);
                }
                for t in type_order {
                    if let (Some(rt), Some(n)) = (program.records.get(t), by_type.get(t)) {
                        *summary.by_type.entry(rt.name.clone()).or_insert(0) += n;
                    }
                }
                for w in warnings {
                    progress.clear();
                    reporter.data_diag(&w);
                    summary.input_warnings += 1;
                }
                progress.tick(&spec.path, summary.records);
            };
            // This thread reads batches in order; the pool evaluates them; each is aggregated and
            // reported in input order by whichever thread is free (`pipeline`), and its buffer,
            // values and all, comes back here to be read into again: a run allocates a few
            // batches' worth.
            let (early, mut feed) = groups.split();
            let free = std::sync::Mutex::new(Vec::<Vec<Item>>::new());
            let mut more = true;
            crate::pipeline::run(
                MAX_IN_FLIGHT,
                || {
                    if !more {
                        return None;
                    }
                    let mut items = free
                        .lock()
                        .ok()
                        .and_then(|mut f| f.pop())
                        .unwrap_or_else(|| Vec::with_capacity(batch));
                    // The values of a reported batch are given back here, on the thread that reads:
                    // the vectors it converts into next then come from its own spares, still in
                    // its cache (on the thread that reported, `grouped` was 11-13 % slower with
                    // `--jobs 2`).
                    for it in items.drain(..) {
                        if let Item::Record(r) = it {
                            input::recycle(r.values);
                        }
                    }
                    let (read, warnings) = read_batch(&mut *src, batch, &mut items);
                    more = matches!(read, Ok(true));
                    let first = seq;
                    seq += items.len() as u64;
                    Some(Batch {
                        items,
                        first,
                        read,
                        warnings,
                    })
                },
                |b: &Batch| {
                    evaluate(
                        &engine,
                        &early,
                        &program,
                        &inputs,
                        &b.items,
                        threads,
                        prerender.as_ref(),
                        &tallies,
                    )
                },
                |b: Batch, parts: Vec<Evaluated>| {
                    feed.feed_batch(&b.items, b.first, |it| match it {
                        Item::Record(r) => Some(r),
                        Item::Bad(_) => None,
                    });
                    report(&b.items, parts, &b.read, b.warnings);
                    if let Ok(mut f) = free.lock() {
                        f.push(b.items);
                    }
                },
            );
        }
    });
    progress.clear();
    // Groups are judged, and their findings built (and, where the view allows, rendered), on
    // the pool; they are counted and written here, in order.
    let judged: Vec<(Outcome, usize, Option<Found>)> = pool.install(|| {
        groups
            .finish()
            .into_par_iter()
            .map(|g| {
                let (outcome, rule) = (g.verdict.outcome, g.verdict.rule);
                let found = (outcome != Outcome::Pass && outcome != Outcome::NotApplicable)
                    .then(|| finding_for_group(&program, &inputs, g))
                    .flatten()
                    .map(|f| match &prerender {
                        Some(p) => Found::Rendered(p.render(&f)),
                        None => Found::Finding(Box::new(f)),
                    });
                (outcome, rule, found)
            })
            .collect()
    });
    for (outcome, rule, found) in judged {
        summary.count_many(&program, rule, outcome, 1);
        match found {
            Some(Found::Rendered(b)) => reporter.rendered(&b),
            Some(Found::Finding(f)) => reporter.finding(&f),
            Some(Found::InChunk(..)) | None => {}
        }
    }
    reporter.end(&summary);
    drop(reporter);
    if let Some(mut f) = file_out {
        let _ = f.flush();
        if !terminal_human {
            let _ = writeln!(out, "{}", summary.line(st.lang));
        }
    }
    if had_input_error {
        EXIT_ERROR
    } else if summary.failing_errors > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

fn apply_calendar(
    program: &mut crate::check::ir::Program,
    common: &Common,
    err: &mut dyn Write,
) -> Result<(), i32> {
    let Some(path) = &common.calendar else {
        return Ok(());
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        let _ = writeln!(
            err,
            "error[U0005]: cannot read calendar `{}`: {e} / 无法读取日历",
            path.display()
        );
        EXIT_ERROR
    })?;
    match crate::calendar::Calendar::parse(&text) {
        Ok(cal) => {
            crate::check::use_calendar(program, &path.to_string_lossy(), cal);
            Ok(())
        }
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
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
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
            let _ = writeln!(out, "formatted {name}");
        }
    }
    if broken > 0 {
        EXIT_ERROR
    } else if check && changed > 0 {
        let _ = writeln!(
            err,
            "{changed} of {} files are not formatted; run `guiju fmt` / {changed} 个文件格式不规范",
            files.len()
        );
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// Reads the next batch into `items` (empty) and takes the warnings reading it raised. Runs
/// inside the pool: sources parse on its threads.
fn read_batch(
    src: &mut dyn input::RecordSource,
    batch: usize,
    items: &mut Vec<Item>,
) -> (Result<bool, input::DataDiag>, Vec<input::DataDiag>) {
    let read = src.next_batch(batch, items);
    (read, src.warnings())
}

/// The number of outcomes: verdicts are counted in `OUTCOMES` slots per rule.
const OUTCOMES: usize = Outcome::ALL.len();

/// One batch chunk's results: per rule and outcome, how many verdicts
/// (`counts[OUTCOMES * rule + k]`, `k` the outcome's place in `Outcome::ALL`); how many items,
/// and records of each type (in the order types first appear); and, in order, the items with
/// something to report: a record's findings, or an unreadable item.
#[derive(Default)]
struct Evaluated {
    counts: Vec<u64>,
    items: usize,
    by_type: Vec<(usize, u64)>,
    /// Per item with something to report: its place in the chunk, and how many of `found` are
    /// its findings (in order; none for an unreadable item).
    notes: Vec<(usize, usize)>,
    /// The findings of the chunk's records, one after another: one vector a chunk rather than
    /// one a failing record, allocated on one thread and freed on another.
    found: Vec<Found>,
    /// The chunk's findings rendered (where the report's view allows), one after another.
    rendered: Vec<u8>,
}

/// Chunk tallies already reported, kept to be filled again: a batch then allocates nothing
/// per chunk for its counts.
#[derive(Default)]
struct Tallies(std::sync::Mutex<Vec<Evaluated>>);

impl Tallies {
    /// Empty tallies with `n` counts, all zero.
    fn take(&self, n: usize) -> Evaluated {
        let mut e = self
            .0
            .lock()
            .ok()
            .and_then(|mut v| v.pop())
            .unwrap_or_default();
        e.counts.clear();
        e.counts.resize(n, 0);
        e.items = 0;
        e
    }

    /// Keeps a reported chunk's buffers for a later chunk (its notes already taken).
    fn give_back(&self, mut e: Evaluated) {
        e.by_type.clear();
        e.notes.clear();
        e.found.clear();
        e.rendered.clear();
        if let Ok(mut v) = self.0.lock() {
            v.push(e);
        }
    }
}

/// A finding, rendered on the pool when the report's view allows it.
enum Found {
    Rendered(Vec<u8>),
    /// Rendered into its chunk's `Evaluated::rendered`, at this range.
    InChunk(usize, usize),
    Finding(Box<Finding>),
}

/// At most this many batches are read and not yet reported (and given back) at once. Two made
/// `deadlines` CSV `--jobs 2` 11 % slower than three (the reader waited); four was no faster.
const MAX_IN_FLIGHT: usize = 3;

/// A batch as read: its items, where it starts, and what reading it said.
struct Batch {
    items: Vec<Item>,
    /// The position of its first item among all items read (for the order of groups).
    first: u64,
    read: Result<bool, input::DataDiag>,
    warnings: Vec<input::DataDiag>,
}

/// Evaluates a batch on the current pool, in chunks; chunks come back in input order.
#[allow(clippy::too_many_arguments)]
fn evaluate(
    engine: &Engine,
    groups: &GroupEarly,
    program: &crate::check::ir::Program,
    inputs: &[InputInfo],
    items: &[Item],
    threads: usize,
    prerender: Option<&Prerendered>,
    tallies: &Tallies,
) -> Vec<Evaluated> {
    // Small enough that a thread done reading can take over part of the evaluation.
    let chunk = (items.len() / (16 * threads.max(1))).max(64);
    items
        .par_chunks(chunk)
        .map(|ch| evaluate_chunk(engine, groups, program, inputs, ch, prerender, tallies))
        .collect()
}

/// Evaluates one chunk of a batch: counts its verdicts and builds (and, where the view allows,
/// renders) its findings.
fn evaluate_chunk(
    engine: &Engine,
    groups: &GroupEarly,
    program: &crate::check::ir::Program,
    inputs: &[InputInfo],
    ch: &[Item],
    prerender: Option<&Prerendered>,
    tallies: &Tallies,
) -> Evaluated {
    let nrules = program.rules.len();
    let Evaluated {
        mut counts,
        mut by_type,
        mut notes,
        mut found,
        mut rendered,
        ..
    } = tallies.take(OUTCOMES * nrules);
    // Counted both from the fast path and from the interpreter's verdicts.
    let cells = std::cell::Cell::from_mut(counts.as_mut_slice()).as_slice_of_cells();
    let count = |rule: usize, o: Outcome| {
        if let Some(n) = cells.get(OUTCOMES * rule + o.index()) {
            n.set(n.get() + 1);
        }
    };
    for (i, it) in ch.iter().enumerate() {
        let Item::Record(r) = it else {
            notes.push((i, 0));
            continue;
        };
        match by_type.iter_mut().find(|(t, _)| *t == r.ty) {
            Some((_, n)) => *n += 1,
            None => by_type.push((r.ty, 1)),
        }
        let before = found.len();
        let mut take = |v: Verdict| {
            count(v.rule, v.outcome);
            if matches!(v.outcome, Outcome::Pass | Outcome::NotApplicable) {
                return;
            }
            if let Some(f) = finding_for_record(program, inputs, r, v) {
                found.push(match prerender {
                    Some(p) => {
                        let start = rendered.len();
                        p.render_into(&f, &mut rendered);
                        Found::InChunk(start, rendered.len())
                    }
                    None => Found::Finding(Box::new(f)),
                });
            }
        };
        engine.check_record_split(r, &count, &mut take);
        // Grouped rules whose `where` cannot be decided for this record.
        groups.early(r, &mut take);
        if found.len() > before {
            notes.push((i, found.len() - before));
        }
    }
    Evaluated {
        counts,
        items: ch.len(),
        by_type,
        notes,
        found,
        rendered,
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
        if let Err(c) = apply_calendar(&mut program, common, err) {
            return c;
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
                    .map(|r| r.id.as_str())
                    .unwrap_or("?");
                let (line, _) = program
                    .sources
                    .line_col(x.span.source, x.span.start as usize);
                let target = x
                    .for_key
                    .as_ref()
                    .map(|k| format!(" for \"{k}\""))
                    .unwrap_or_default();
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
    let _ = writeln!(
        out,
        "{} policies; {passed} passed, {failed} failed",
        files.len()
    );
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
/// stderr itself, never into the run's `err`, so that captured output never holds it.
struct Progress {
    enabled: bool,
    lang: Lang,
    start: std::time::Instant,
    last: Option<std::time::Instant>,
    shown: bool,
}

impl Progress {
    const FIRST: std::time::Duration = std::time::Duration::from_millis(500);
    const EVERY: std::time::Duration = std::time::Duration::from_millis(250);

    fn new(enabled: bool, lang: Lang) -> Progress {
        Progress {
            enabled,
            lang,
            start: std::time::Instant::now(),
            last: None,
            shown: false,
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
