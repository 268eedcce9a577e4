//! A requirement and records: the first line is a rule's `require` expression over the fuzz
//! policy's fields, the rest JSON Lines records. If the rule compiles, running it over the
//! records must return (no overflow panic, no division by zero, no endless period).
#![no_main]

mod common;

use guiju::{InputSpec, MemoryInputs, RunOptions, Session};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (expr, records) = text.split_once('\n').unwrap_or((text, ""));
    if expr.len() > 400 {
        return;
    }
    let policy = format!(
        "{}\nrule fuzzed \"生成\" {{\n  cite line 9 \"生成\"\n  applies to household\n  require {expr}\n}}\n",
        common::POLICY
    );
    let Some(program) = guiju::compile_str("fz.gj", &policy).program else {
        return;
    };
    let spec = InputSpec {
        path: "fz.jsonl".into(),
        record_type: Some("household".into()),
        encoding: None,
        sheet: None,
        header_row: None,
    };
    let inputs = MemoryInputs::new().with_spec(spec, records);
    let options = RunOptions {
        jobs: Some(1),
        ..RunOptions::new(common::as_of())
    };
    let Ok(session) = Session::new(&program, options) else {
        return;
    };
    let _ = session.run(&inputs, &mut common::Discard);
});
