fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    match guiju::syntax::parse_policy(guiju::source::SourceId(0), &text) {
        Ok(p) => println!("{:#?}", p.items.get(2)),
        Err(e) => println!("{e:?}"),
    }
}
