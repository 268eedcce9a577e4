//! Every citation in the policy library quotes words that stand on the line it names.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use guiju::check::compile;
use guiju::FsResolver;
use std::path::PathBuf;

#[test]
fn every_quote_stands_on_its_cited_lines() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().map(|x| x == "gj").unwrap_or(false))
        .collect();
    files.sort();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let c = compile(vec![(f.to_string_lossy().into_owned(), text)], &FsResolver);
        let program = c
            .program
            .unwrap_or_else(|| panic!("{} does not compile", f.display()));
        for rule in &program.rules {
            let policy = &program.policies[rule.policy];
            for cite in &rule.citations {
                let (Some(src), Some((a, b)), Some(quote)) =
                    (&cite.source_file, cite.lines, &cite.quote)
                else {
                    continue;
                };
                // Citations of another document than the header's name no line of this source.
                if cite.document != policy.document {
                    continue;
                }
                let seed = std::fs::read_to_string(root.join(src))
                    .unwrap_or_else(|_| panic!("{}: source {src} missing", f.display()));
                let lines: Vec<&str> = seed.lines().collect();
                let span = lines
                    .get(a as usize - 1..(b as usize).min(lines.len()))
                    .map(|l| l.join(""))
                    .unwrap_or_default();
                checked += 1;
                if !span.contains(quote.as_str()) {
                    wrong.push(format!(
                        "{}: rule {} cites L{a}-{b} «{quote}»",
                        f.display(),
                        rule.id
                    ));
                }
            }
        }
    }
    assert!(checked > 400, "only {checked} citations checked");
    assert!(
        wrong.is_empty(),
        "{} quotes not found on their lines:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
