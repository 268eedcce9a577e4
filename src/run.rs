//! A run: a checked program judges every record of a set of [`Inputs`] and reports to a [`Sink`].
//! The command line, a server and a test all run through [`Session::run`].
//!
//! The run is on a pool of threads (the calling thread waits), through `crate::pipeline`: one
//! thread reads batches in order, the pool evaluates them (several at once, with no barrier
//! between batches), and each batch is aggregated, reported and given back in input order by
//! whichever thread is free; at most three batches are read and not yet reported. A record's
//! values are given back for reuse once its batch is aggregated and reported, by the reading
//! thread as it reuses the batch's buffer, so that the vectors it converts into next come from
//! its own spares; findings are built before that, so reporting never needs them.

use crate::calendar::Calendar;
use crate::check::ir::Program;
use crate::eval::{Engine, GroupEarly, GroupRun, Lookups, Verdict};
use crate::input::{self, DataDiag, Inputs, Item, RunInputs};
use crate::report::{finding_for_group, finding_for_record, Finding, Prerendered, Sink, Summary};
use crate::syntax::ast::Outcome;
use chrono::NaiveDate;
use rayon::prelude::*;
use std::borrow::Cow;

/// How a [`Session`] runs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The date deadlines are judged as of.
    pub as_of: NaiveDate,
    /// Threads to evaluate on; `None` (or 0): one per core.
    pub jobs: Option<usize>,
    /// Records read per batch (at least 1).
    pub batch: usize,
    /// A working-day calendar, with the name reports give it, that every rule counts its
    /// periods on in place of those its policy names (`--calendar FILE`); one that
    /// `extends cn-national` is laid over the national calendar.
    pub calendar: Option<(String, Calendar)>,
}

impl RunOptions {
    /// Deadlines judged as of `as_of`, on every core, in batches of 8192 records.
    pub fn new(as_of: NaiveDate) -> RunOptions {
        RunOptions {
            as_of,
            jobs: None,
            batch: 8192,
            calendar: None,
        }
    }
}

/// The most threads a session starts: one per core, and at least 8 (a machine that reports
/// fewer cores than it has still gets a few). The pipeline keeps at most three batches in flight,
/// so more threads than cores only wait.
pub fn max_jobs() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .max(8)
}

/// The worker threads of a session could not be started.
#[derive(Debug)]
pub struct SessionError(pub String);

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot start worker threads: {}", self.0)
    }
}

impl std::error::Error for SessionError {}

/// A checked program ready to run, with its threads: run it over as many sets of inputs as
/// needed.
pub struct Session<'p> {
    /// The program, or a copy of it counting on the calendar the options supply.
    program: Cow<'p, Program>,
    options: RunOptions,
    pool: rayon::ThreadPool,
}

impl<'p> Session<'p> {
    /// A session running `program` with `options`; fails only when its threads cannot start.
    /// More threads than [`max_jobs`] are not started: `--jobs 100000` would exhaust memory
    /// before it read a record.
    pub fn new(program: &'p Program, options: RunOptions) -> Result<Session<'p>, SessionError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(options.jobs.unwrap_or(0).min(max_jobs()))
            .build()
            .map_err(|e| SessionError(e.to_string()))?;
        let program = match &options.calendar {
            None => Cow::Borrowed(program),
            Some((name, calendar)) => {
                let mut own = program.clone();
                own.use_calendar(name, calendar.clone());
                Cow::Owned(own)
            }
        };
        Ok(Session {
            program,
            options,
            pool,
        })
    }

    /// The program it runs (counting on the options' calendar, if they give one).
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Judges every record of `inputs` and reports to `sink`: the problems found in the data
    /// and the findings in input order, the findings of grouped rules at the end, then the
    /// summary (also returned). Every input record is counted, read or unreadable. An input
    /// that cannot be opened or read to its end is reported to the sink and counted in
    /// [`Summary::input_errors`]; the run goes on with the next.
    pub fn run(&self, inputs: &dyn Inputs, sink: &mut (dyn Sink + Send)) -> Summary {
        let program: &Program = &self.program;
        let as_of = self.options.as_of;
        let run_inputs = RunInputs::new(inputs);
        // A view without findings (`--format summary`) only counts: verdicts are not explained.
        let want_findings = sink.wants_findings();
        let pool = &self.pool;
        let batch = self.options.batch.max(1);
        // The records rules read through `ref` fields, read ahead from the whole submission.
        let lookups = pool.install(|| read_lookups(program, inputs, batch));
        let engine = Engine::new(program, as_of)
            .explaining(want_findings)
            .with_lookups(&lookups);
        let prerender = sink.prerender().map(|p| p.for_program(program));
        // Groups are aggregated, batch by batch in input order, while later batches are read
        // and evaluated. Spread over half of the threads: on two cores one thread aggregating
        // (while the other reads, then both convert) measured faster than two shards, each of
        // which looks at every record for its keys.
        let mut groups =
            GroupRun::with_shards(program, as_of, (pool.current_num_threads() / 2).max(1))
                .with_lookups(&lookups);
        // The position of the next batch's first item among all items read, for the order of
        // groups.
        let mut seq = 0u64;
        let mut summary = Summary::new(program, as_of.to_string());
        // The whole run, reading and reporting too, is on the pool's threads: a calling thread
        // outside it would hand work to the pool and sleep until it came back, and on a virtual
        // machine each of those wake-ups cost more than the report (`--jobs 1` was 5 % slower).
        pool.install(|| {
            for (ii, spec) in inputs.specs().iter().enumerate() {
                let Some(this) = run_inputs.input(ii) else {
                    continue;
                };
                let mut src = match input::open_in_run(inputs, ii, program, Some(run_inputs.id())) {
                    Ok(s) => s,
                    Err(d) => {
                        sink.data_diag_in(&d, this);
                        summary.input_errors += 1;
                        continue;
                    }
                };
                let (records_before, errors_before, skipped_before) =
                    (summary.records, summary.input_errors, summary.skipped);
                if let Some(e) = src.encoding() {
                    summary.encodings.insert(
                        this.name().to_string(),
                        crate::report::InputEncoding {
                            encoding: e.name(),
                            by: e.by,
                        },
                    );
                }
                for w in src.warnings() {
                    sink.data_diag_in(&w, this);
                    summary.count_data_problem(&w);
                }
                // Batches are read ahead of their evaluation (at most `MAX_IN_FLIGHT` not yet
                // reported). Each batch keeps its read error and warnings, reported where
                // reading one batch at a time reports them, and batches are reported in input
                // order.
                let threads = pool.current_num_threads();
                let tallies = Tallies::default();
                let mut report = |items: &[Item],
                                  parts: Vec<Evaluated>,
                                  read: &Result<bool, DataDiag>,
                                  warnings: Vec<DataDiag>| {
                    if let Err(d) = read {
                        sink.data_diag_in(d, this);
                        summary.input_errors += 1;
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
                            summary.count_many(program, k / OUTCOMES, *o, n);
                        }
                    }
                    // Records per type, added to the summary in the order types first appear.
                    // Only the items with something to report are looked at here: the pool
                    // counted the rest.
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
                                    sink.data_diag_in(d, this);
                                }
                                Some(Item::Record(_)) => {
                                    for f in vs {
                                        match f {
                                            Found::Rendered(b) => sink.rendered(&b),
                                            Found::InChunk(a, b) => sink
                                                .rendered(rendered.get(a..b).unwrap_or_default()),
                                            Found::Finding(f) => sink.finding(&f),
                                        }
                                    }
                                }
                                // Not reached; the item's findings are still taken, so the
                                // next item's are its own.
                                None => vs.for_each(drop),
                            }
                        }
                        drop(found);
                        first += p.items;
                        tallies.give_back(p);
                    }
                    for t in type_order {
                        if let (Some(rt), Some(n)) = (program.records.get(t), by_type.get(t)) {
                            *summary.by_type.entry(rt.shown_name.clone()).or_insert(0) += n;
                        }
                    }
                    for w in warnings {
                        sink.data_diag_in(&w, this);
                        summary.count_data_problem(&w);
                    }
                    sink.progress(&spec.path, summary.records);
                };
                // This thread reads batches in order; the pool evaluates them; each is
                // aggregated and reported in input order by whichever thread is free
                // (`pipeline`), and its buffer, values and all, comes back here to be read into
                // again: a run allocates a few batches' worth.
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
                        // The values of a reported batch are given back here, on the thread that
                        // reads: the vectors it converts into next then come from its own
                        // spares, still in its cache (on the thread that reported, `grouped` was
                        // 11-13 % slower with `--jobs 2`).
                        for it in items.drain(..) {
                            if let Item::Record(r) = it {
                                input::recycle(r.values);
                            }
                        }
                        let (read, warnings) = read_batch(program, &mut *src, batch, &mut items);
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
                            program,
                            &run_inputs,
                            &b.items,
                            threads,
                            prerender.as_ref(),
                            want_findings,
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
                summary.skipped += src.skipped();
                // An input that held no record at all (and did not fail on its own): nothing
                // of it was checked.
                if summary.records == records_before && summary.input_errors == errors_before {
                    let d = input::no_records(&spec.path, summary.skipped - skipped_before);
                    sink.data_diag_in(&d, this);
                    summary.input_errors += 1;
                }
            }
        });
        // Records that refer to a record the submission does not have: said once per key.
        for d in groups.dangling() {
            let Some(this) = run_inputs.input(d.first.input as usize) else {
                continue;
            };
            let target = program
                .records
                .get(d.target)
                .map_or("", |r| r.display_name());
            let diag = input::dangling_reference(this.name(), &d.first, target, &d.key, d.records);
            sink.data_diag_in(&diag, this);
            summary.count_data_problem(&diag);
        }
        // Groups are judged, and their findings built (and, where the view allows, rendered),
        // on the pool; they are counted and written here, in order.
        let judged: Vec<(Outcome, usize, Option<Found>)> = pool.install(|| {
            groups
                .finish()
                .into_par_iter()
                .map(|g| {
                    let (outcome, rule) = (g.verdict.outcome, g.verdict.rule);
                    let found = (want_findings
                        && outcome != Outcome::Pass
                        && outcome != Outcome::NotApplicable)
                        .then(|| match g.record.clone() {
                            // A joined rule judged one record: its finding is the record's.
                            Some(rec) => finding_for_record(program, &run_inputs, &rec, g.verdict),
                            None => finding_for_group(program, &run_inputs, g),
                        })
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
            summary.count_many(program, rule, outcome, 1);
            match found {
                Some(Found::Rendered(b)) => sink.rendered(&b),
                Some(Found::Finding(f)) => sink.finding(&f),
                Some(Found::InChunk(..)) | None => {}
            }
        }
        // Every record is accounted for; checked on every run of a debug build.
        debug_assert_eq!(
            summary.accounting_problems(program),
            Vec::<String>::new(),
            "the accounting identity"
        );
        sink.end(&summary);
        input::excel::forget(run_inputs.id());
        input::forget_encodings(run_inputs.id());
        summary
    }
}

/// The records of the types rules read through `ref` fields (`site.households`), from every
/// input of the run, read once before the run judges any record. An input whose reader knows
/// it holds another type (a CSV) is not read. What reading says is left to the run, which reads
/// every input again: an input that cannot be opened or read is reported there.
fn read_lookups(program: &Program, inputs: &dyn Inputs, batch: usize) -> Lookups {
    let mut lookups = Lookups::for_program(program);
    if lookups.is_empty() {
        return lookups;
    }
    let mut items = Vec::with_capacity(batch);
    for ii in 0..inputs.specs().len() {
        let Ok(mut src) = input::open(inputs, ii, program) else {
            continue;
        };
        if src.record_type().is_some_and(|t| !lookups.wants(t)) {
            continue;
        }
        loop {
            items.clear();
            let (read, _) = read_batch(program, &mut *src, batch, &mut items);
            for it in &items {
                if let Item::Record(r) = it {
                    lookups.add(program, r);
                }
            }
            if !matches!(read, Ok(true)) {
                break;
            }
        }
    }
    lookups
}

/// Reads the next batch into `items` (empty) and takes the warnings reading it raised. Runs
/// inside the pool: sources parse on its threads.
fn read_batch(
    program: &Program,
    src: &mut dyn input::RecordSource,
    batch: usize,
    items: &mut Vec<Item>,
) -> (Result<bool, DataDiag>, Vec<DataDiag>) {
    let read = src.next_batch(batch, items);
    // Blank values of fields with a `default` are read as it, once, before any rule.
    for it in items.iter_mut() {
        if let Item::Record(r) = it {
            program.fill_defaults(r);
        }
    }
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
    read: Result<bool, DataDiag>,
    warnings: Vec<DataDiag>,
}

/// Evaluates a batch on the current pool, in chunks; chunks come back in input order.
#[allow(clippy::too_many_arguments)]
fn evaluate(
    engine: &Engine,
    groups: &GroupEarly,
    program: &Program,
    inputs: &RunInputs,
    items: &[Item],
    threads: usize,
    prerender: Option<&Prerendered>,
    want_findings: bool,
    tallies: &Tallies,
) -> Vec<Evaluated> {
    // Small enough that a thread done reading can take over part of the evaluation.
    let chunk = (items.len() / (16 * threads.max(1))).max(64);
    items
        .par_chunks(chunk)
        .map(|ch| {
            evaluate_chunk(
                engine,
                groups,
                program,
                inputs,
                ch,
                prerender,
                want_findings,
                tallies,
            )
        })
        .collect()
}

/// Evaluates one chunk of a batch: counts its verdicts and builds (and, where the view allows,
/// renders) its findings.
fn evaluate_chunk(
    engine: &Engine,
    groups: &GroupEarly,
    program: &Program,
    inputs: &RunInputs,
    ch: &[Item],
    prerender: Option<&Prerendered>,
    want_findings: bool,
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
            if !want_findings || matches!(v.outcome, Outcome::Pass | Outcome::NotApplicable) {
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
