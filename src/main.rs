//! The `guiju` binary: see `guiju --help`.

use std::io::{IsTerminal, Write};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    guiju::cli::handle_interrupts();
    // Neither stream is locked for the whole run: the report is written from one of the worker
    // threads, and the progress line goes to stderr from there too.
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    // A terminal sees each line as it is written; a file or a pipe gets the report in large
    // writes instead of one system call per line (per finding).
    let code = if stdout.is_terminal() {
        guiju::cli::run(args, &mut stdout, &mut stderr)
    } else {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout);
        let code = guiju::cli::run(args, &mut out, &mut stderr);
        // `check` flushes and judges its own output (and has said so when it failed); this is
        // for the other commands.
        if let Err(e) = out
            .flush()
            .map_err(|e| (code != guiju::cli::EXIT_ERROR).then_some(e))
        {
            let Some(e) = e else {
                std::process::exit(guiju::cli::EXIT_ERROR);
            };
            let _ = writeln!(stderr, "error[U0008]: standard output could not be written whole: {e} / 标准输出未能完整写出");
            std::process::exit(guiju::cli::EXIT_ERROR);
        }
        code
    };
    std::process::exit(code);
}

/// mimalloc, not the system's `malloc`: a record that fails builds its explanation from many
/// small strings, and with glibc's allocator the same work cost `--jobs 2` more time in
/// `malloc` and `free` than `--jobs 1` (29 ms more on the benchmark's `deadlines` CSV: arena
/// locks, frees across threads); mimalloc keeps a heap per thread. Its
/// `v2` line and `no_thp` (no transparent huge pages): with huge pages, short runs were now and
/// then twice as slow (a storm of page faults when a huge page could not be had) and peak memory
/// doubled. Measured in `docs/performance.md`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
