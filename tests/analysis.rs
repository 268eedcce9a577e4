//! The symbol index an editor reads (hover, go to definition, find references, rename): on the
//! whole library, and on a file that does not compile.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use guiju::check::index::{SymbolIndex, SymbolKind};
use guiju::check::{compile, compile_str, Compiled};
use guiju::source::Span;
use guiju::FsResolver;
use std::path::Path;

fn text_at(c: &Compiled, s: Span) -> &str {
    &c.sources.text(s.source)[s.range()]
}

fn compile_file(p: &Path) -> Compiled {
    let text = std::fs::read_to_string(p).unwrap();
    compile(vec![(p.to_string_lossy().into_owned(), text)], &FsResolver)
}

fn policies() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut v: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "gj"))
        .collect();
    v.sort();
    v
}

/// Every definition's span is its name, every reference's span is the name it refers to, and
/// every field a rule of the library reads has at least one reference: what rename and find
/// references need, checked on all 24 policies.
#[test]
fn the_index_covers_the_library_exactly() {
    let files = policies();
    assert!(files.len() >= 24, "{} policies", files.len());
    let mut total_refs = 0;
    for f in &files {
        let c = compile_file(f);
        let program = c
            .program
            .as_ref()
            .unwrap_or_else(|| panic!("{} compiles", f.display()));
        let ix: &SymbolIndex = &c.index;
        for s in ix.symbols() {
            assert_eq!(text_at(&c, s.span), s.name, "{}: definition", f.display());
        }
        for (span, id) in ix.references() {
            let s = ix.symbol(*id).unwrap();
            assert_eq!(
                text_at(&c, *span),
                s.name,
                "{}: a reference to {:?} {}",
                f.display(),
                s.kind,
                s.name
            );
        }
        total_refs += ix.references().len();
        // Each rule is defined once in the index, and every field the rules read is referred to.
        let rules = ix
            .symbols()
            .iter()
            .filter(|s| s.kind == SymbolKind::Rule)
            .count();
        assert_eq!(rules, program.rules.len(), "{}", f.display());
        for rt in &program.records {
            for (slot, field) in rt.fields.iter().enumerate() {
                if !rt.used.get(slot).copied().unwrap_or(false) {
                    continue;
                }
                let sym = ix
                    .symbols()
                    .iter()
                    .position(|s| {
                        s.kind == SymbolKind::Field
                            && s.name == field.name
                            && s.container
                                .and_then(|r| ix.symbol(r))
                                .map(|r| r.name.as_str())
                                == Some(rt.name.as_str())
                    })
                    .unwrap_or_else(|| panic!("{}: field {} defined", f.display(), field.name));
                let id = guiju::check::index::SymbolId(u32::try_from(sym).unwrap());
                assert!(
                    !ix.references_to(id).is_empty(),
                    "{}: field {}.{} is read by a rule but has no reference",
                    f.display(),
                    rt.name,
                    field.name
                );
            }
        }
    }
    assert!(total_refs > 5000, "{total_refs} references in the library");
}

/// Hover and go to definition on the relocation policy: the `floor_area` a rule reads is the
/// field of 搬迁户 labelled 住房建筑面积, an area in m²; its `let` is found with all its uses.
#[test]
fn hover_and_definition_on_the_relocation_policy() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/relocation-2016.gj");
    let c = compile_file(&path);
    let text = std::fs::read_to_string(&path).unwrap();
    let src = c.index.symbols()[0].span.source;
    let use_at = text
        .find("floor_area / members")
        .expect("the rule reads floor_area") as u32;
    let id = c
        .index
        .at(src, use_at + 3)
        .expect("a symbol under the cursor");
    let s = c.index.symbol(id).unwrap();
    assert_eq!(s.kind, SymbolKind::Field);
    assert_eq!(s.label.as_deref(), Some("住房建筑面积"));
    let (zh, en) = s.ty.clone().unwrap();
    assert!(zh.contains("m²") || en.contains("m²"), "{zh} / {en}");
    let record = c.index.symbol(s.container.unwrap()).unwrap();
    assert_eq!(
        (record.kind, record.name.as_str()),
        (SymbolKind::Record, "household")
    );
    assert_eq!(record.label.as_deref(), Some("搬迁户"));
    // The definition is inside the record block, before the first rule.
    assert!(s.span.start < text.find("\nrule ").unwrap() as u32);
    assert_eq!(
        c.index.at(src, s.span.start),
        Some(id),
        "the definition is its own symbol"
    );
    // Rename of a `let`: its definition and every use, all spelled the same.
    let let_at = text.find("let per_capita").unwrap() as u32 + 4;
    let l = c.index.at(src, let_at).unwrap();
    assert_eq!(c.index.symbol(l).unwrap().kind, SymbolKind::Let);
    let uses = c.index.references_to(l);
    assert!(!uses.is_empty());
    for u in uses {
        assert_eq!(&text[u.range()], "per_capita");
    }
}

/// A file with a syntax error in one rule and a type error in another still has its index: the
/// record, its fields and the references of the rules that parsed are there for the editor.
#[test]
fn a_broken_file_keeps_its_index() {
    let text = r#"policy p "测试"
  document "三政办〔2017〕28号"
record household "搬迁户" {
  id         text key        "户编号"
  members    int unit 人     "家庭人口"
  floor_area decimal unit m² "住房建筑面积"
  subsidy    decimal unit 元 "补助资金"
}
rule broken "坏了" {
  cite "x"
  applies to household
  require floor_area <=
}
rule mismatch "面积与金额" {
  cite "x"
  applies to household
  require floor_area <= subsidy
}
rule fine "人均面积" {
  cite "x"
  applies to household
  require floor_area / members <= 25 m²
}
example "e" {
  household { id: "A", members: 4, floor_area: 100 m², subsidy: 1 元 }
  expect fine pass
}
"#;
    let c = compile_str("p.gj", text);
    assert!(c.program.is_none(), "the file does not compile");
    let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code).collect();
    assert!(
        codes.contains(&"E0001") && codes.contains(&"E0202"),
        "{codes:?}"
    );
    let ix = &c.index;
    let field = |name: &str| {
        ix.symbols()
            .iter()
            .position(|s| s.kind == SymbolKind::Field && s.name == name)
            .map(|i| guiju::check::index::SymbolId(i as u32))
            .unwrap_or_else(|| panic!("field {name}"))
    };
    // floor_area: read by `mismatch`, by `fine` and by the example.
    assert_eq!(ix.references_to(field("floor_area")).len(), 3);
    assert_eq!(ix.references_to(field("members")).len(), 2);
    let fine = ix
        .symbols()
        .iter()
        .position(|s| s.kind == SymbolKind::Rule && s.name == "fine")
        .unwrap();
    let expect_at = text.find("expect fine").unwrap() as u32 + 8;
    assert_eq!(
        ix.at(c.index.symbols()[0].span.source, expect_at),
        Some(guiju::check::index::SymbolId(fine as u32)),
        "go to definition from an expectation"
    );
}
