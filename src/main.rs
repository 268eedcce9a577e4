//! The `guiju` binary: see `guiju --help`.

use std::io::{IsTerminal, Write};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    // A terminal sees each line as it is written; a file or a pipe gets the report in large
    // writes instead of one system call per line (per finding).
    let code = if stdout.is_terminal() {
        guiju::cli::run(args, &mut stdout.lock(), &mut stderr.lock())
    } else {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
        let code = guiju::cli::run(args, &mut out, &mut stderr.lock());
        if out.flush().is_err() && code == 0 {
            // The report could not be written whole.
            std::process::exit(guiju::cli::EXIT_ERROR);
        }
        code
    };
    std::process::exit(code);
}
