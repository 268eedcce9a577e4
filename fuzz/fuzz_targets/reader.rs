//! Any bytes as a submission. The first byte picks the format (`& 3`: CSV, JSON, JSON Lines,
//! workbook) and the encoding (`& 4`: GB18030); the rest is the file. Reading and checking it
//! must return, with every record accounted for.
#![no_main]

mod common;

use guiju::{InputSpec, MemoryInputs, RunOptions, Session};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn program() -> &'static guiju::Program {
    static P: OnceLock<guiju::Program> = OnceLock::new();
    P.get_or_init(|| {
        guiju::compile_str("fz.gj", common::POLICY)
            .program
            .expect("the fuzz policy compiles")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let ext = ["csv", "json", "jsonl", "xlsx"][usize::from(pick & 3)];
    let spec = InputSpec {
        path: format!("fz.{ext}"),
        record_type: Some("household".into()),
        encoding: (pick & 4 != 0).then(|| "gb18030".to_string()),
        sheet: None,
        header_row: None,
    };
    let inputs = MemoryInputs::new().with_spec(spec, bytes);
    let options = RunOptions {
        jobs: Some(1),
        batch: 7,
        ..RunOptions::new(common::as_of())
    };
    let Ok(session) = Session::new(program(), options) else {
        return;
    };
    let summary = session.run(&inputs, &mut common::Discard);
    // Every record is accounted for: read (by type) or unreadable.
    let read: u64 = summary.by_type.values().sum();
    assert_eq!(read + summary.unreadable, summary.records, "{summary:?}");
});
