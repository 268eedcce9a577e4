//! Temporary entry point until the CLI lands: `guiju parse FILE…` checks syntax.
fn main() {
    let mut code = 0;
    for path in std::env::args().skip(2) {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        match guiju::syntax::parse_policy(guiju::source::SourceId(0), &text) {
            Ok(_) => println!("{path}: ok"),
            Err(e) => {
                let (l, c) = guiju::source::line_col(&text, e.primary_span().map(|s| s.start as usize).unwrap_or(0));
                println!("{path}:{l}:{c}: {} ({:?})", e.message.en, e.help.map(|h| h.en));
                code = 2;
            }
        }
    }
    std::process::exit(code);
}
