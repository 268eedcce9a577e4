//! Any text as a policy: compiling it and formatting it must return, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = guiju::compile_str("fuzz.gj", text);
    let _ = guiju::fmt::format_policy(text);
});
