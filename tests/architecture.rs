//! The arrows of `ARCHITECTURE.md`, enforced: which module of `src/` may name which, and which
//! may touch the file system. It reads the sources (code before a file's trailing
//! `#[cfg(test)]` module; comments ignored) and fails on a `crate::…` path, a `use super::super`
//! or a file-system call that crosses a boundary the table below does not allow.
//!
//! A rust-analyzer-style "tidy" test rather than a workspace of crates: it keeps one package and
//! the `src/` tree the founders fixed, and its failure names the file, the line and the arrow.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The phase a source file belongs to: its first path component under `src/` (`check/expr.rs`
/// is `check`, `fs/sandbox.rs` and `fs.rs` are `fs`, `calendar.rs` is `calendar`).
fn phase_of(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    first.trim_end_matches(".rs").to_string()
}

/// What each phase may name besides itself. Leaves (`source`, `diag`, `value`, `vocab`,
/// `calendar`, `codes`) name only other leaves. The front ends and the run (`cli`, `main`,
/// `run`, `pipeline`, `lib`, `template`, `fmt`, `fs`) are not listed: they are the edges and may
/// name anything.
fn allowed(phase: &str) -> Option<&'static [&'static str]> {
    const LEAVES: &[&str] = &["source", "diag", "value", "vocab", "calendar", "codes"];
    Some(match phase {
        "source" | "diag" | "value" | "vocab" | "calendar" | "codes" => LEAVES,
        // text → syntax tree: nothing of records, types or verdicts.
        "syntax" => &["source", "diag", "vocab", "calendar"],
        // syntax tree → checked program. Not `eval` (constants are folded by `check/fold.rs`).
        "check" => &[
            "syntax", "source", "diag", "value", "vocab", "calendar", "codes",
        ],
        // checked program × records → verdicts. Never the syntax tree.
        "eval" => &[
            "check", "source", "diag", "value", "vocab", "calendar", "codes",
        ],
        // bytes → records of the checked program's types.
        "input" => &[
            "check", "source", "diag", "value", "vocab", "calendar", "codes",
        ],
        // verdicts → views. Reads a finding's cells back only through `input`'s `Inputs` object.
        "report" => &[
            "check", "eval", "input", "source", "diag", "value", "vocab", "calendar", "codes",
        ],
        _ => return None,
    })
}

/// Phases that may open files, list directories or read the environment: the edges.
const FS_PHASES: &[&str] = &["fs", "cli", "main"];

/// Arrows that exist today against the table, each with its reason. The test fails if one of
/// them disappears (remove it here) as well as when a new one appears.
const KNOWN: &[(&str, &str, &str)] = &[];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without its trailing test module and without comments, as (line, text).
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        let code = match line.find("//") {
            // A `//` inside a string (a URL) is rare in this tree; cutting there only hides code.
            Some(k) if !line[..k].contains('"') => &line[..k],
            _ => line,
        };
        out.push((i + 1, code.to_string()));
    }
    out
}

/// The top-level modules a line names: `crate::x`, `use crate::{x, y::z}` and `super::super::x`.
fn named_modules(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = line;
    while let Some(k) = rest.find("crate::") {
        let after = &rest[k + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let m = ident(part.trim());
                if !m.is_empty() {
                    out.push(m);
                }
            }
        } else {
            let m = ident(after);
            if !m.is_empty() {
                out.push(m);
            }
        }
        rest = after;
    }
    if line.contains("super::super::") {
        out.push("super::super".into());
    }
    out
}

const FS_CALLS: &[&str] = &[
    "std::fs",
    "File::open",
    "File::create",
    "OpenOptions",
    "read_dir(",
    "std::env::var",
    "std::process::Command",
];

#[test]
fn the_arrows_hold() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 30, "the walk found the sources");

    let mut problems = Vec::new();
    let mut seen_known = BTreeSet::new();
    let mut checked = 0;
    for path in &files {
        let rel = path.strip_prefix(&root).unwrap();
        let rel_s = rel.to_string_lossy().replace('\\', "/");
        let phase = phase_of(rel);
        let text = std::fs::read_to_string(path).unwrap();
        for (n, line) in code_lines(&text) {
            if !FS_PHASES.contains(&phase.as_str()) {
                for call in FS_CALLS {
                    if line.contains(call) {
                        problems.push(format!(
                            "src/{rel_s}:{n}: `{call}` — only {FS_PHASES:?} touch the file system; \
                             go through `Inputs` or a `Resolver`"
                        ));
                    }
                }
            }
            let Some(ok) = allowed(&phase) else { continue };
            checked += 1;
            for m in named_modules(&line) {
                if m == phase || ok.contains(&m.as_str()) {
                    continue;
                }
                if let Some(k) = KNOWN.iter().find(|(f, to, _)| *f == rel_s && *to == m) {
                    seen_known.insert((k.0, k.1));
                    continue;
                }
                problems.push(format!(
                    "src/{rel_s}:{n}: `{phase}` names `{m}`, which ARCHITECTURE.md does not allow \
                     (allowed: {ok:?}):\n    {}",
                    line.trim()
                ));
            }
        }
    }
    assert!(
        checked > 1000,
        "the test saw the phases' code ({checked} lines)"
    );
    for (f, to, why) in KNOWN {
        if !seen_known.contains(&(*f, *to)) {
            problems.push(format!(
                "the known arrow src/{f} → {to} ({why}) is gone: remove it from KNOWN and from \
                 ARCHITECTURE.md"
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

/// The checker for the checker: a forbidden line is found, a comment or a test module is not.
#[test]
fn the_scan_sees_what_it_should() {
    let text = "use crate::eval::x;\n// use crate::input;\nfn f() { crate::{report, diag}::y(); }\n#[cfg(test)]\nmod tests { use crate::cli; }\n";
    let names: Vec<String> = code_lines(text)
        .iter()
        .flat_map(|(_, l)| named_modules(l))
        .collect();
    assert_eq!(names, ["eval", "report", "diag"]);
    assert_eq!(phase_of(Path::new("check/expr.rs")), "check");
    assert_eq!(phase_of(Path::new("fs.rs")), "fs");
}
