//! The bad-input corpus (issue 16): hostile and broken submissions and policies, each run through
//! the real binary as a subprocess under a memory limit and a timeout, with what a user sees
//! snapshotted. See tests/bad-input/README.md for the layout; in short:
//!
//! - `tests/bad-input/<class>/` holds one case per file; its `cmd` file is the command line, in
//!   which `{}` stands for the case's file; `CASE.cmd` beside a case overrides it for that case.
//! - A case `NAME.gen` is generated, not committed: each line is `COUNT TEXT` (TEXT repeated COUNT
//!   times, with `\n`, `\r`, `\t`, `\0`, `\xNN` and `\\` escapes) or `link PATH` (a symbolic link),
//!   written as `NAME` in the case's work folder.
//! - Files starting with `_` and everything in `tests/bad-input/common/` are support files.
//! - Each case runs in a fresh temporary folder holding copies of them all, so a case that
//!   destroys its input destroys a copy; the snapshot lists every file the run changed or made.
//! - `notes` in a class folder says `CASE: text` per line; a note starting `FIXME(issue 16)` marks
//!   today's behaviour as still wrong. Only a FIXME case may crash, hang or exit outside {0,1,2},
//!   and its snapshot records what it does today.
//!
//! Every other case must exit 0, 1 or 2 within the timeout, without a panic or a signal, under the
//! memory limit (`prlimit --as`, or `ulimit -v` in `sh` where prlimit is missing).
//! Run one class or case: `cargo test --test bad_input -- csv-rows/ragged`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wait_timeout::ChildExt;

/// Address space a case may use.
const MEMORY_LIMIT: u64 = 1 << 30;
/// Time a case may take (a debug build, two shared cores).
const TIMEOUT: Duration = Duration::from_secs(20);
/// What a snapshot keeps of each stream.
const SHOWN: usize = 6000;
/// What the harness reads of each stream (the rest is counted, not kept).
const KEPT: usize = 1 << 20;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bad-input")
}

struct Case {
    class: String,
    /// The case's file name (without `.gen` for a generated one).
    file: String,
    args: Vec<String>,
    note: Option<String>,
}

fn is_support(name: &str) -> bool {
    name.starts_with('_')
        || name.starts_with('.')
        || matches!(name, "cmd" | "notes" | "README.md" | "snapshots")
        || name.ends_with(".cmd")
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut classes: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("tests/bad-input")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("cmd").is_file())
        .collect();
    classes.sort();
    for dir in classes {
        let class = dir.file_name().unwrap().to_string_lossy().into_owned();
        let cmd = std::fs::read_to_string(dir.join("cmd")).unwrap();
        let template = first_command(&cmd).unwrap_or_else(|| panic!("{class}/cmd has no command"));
        let notes: BTreeMap<String, String> = std::fs::read_to_string(dir.join("notes"))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !is_support(n))
            .collect();
        files.sort();
        for f in files {
            let file = f.strip_suffix(".gen").unwrap_or(&f).to_string();
            let own = std::fs::read_to_string(dir.join(format!("{file}.cmd"))).ok();
            let line = own
                .as_deref()
                .and_then(first_command)
                .unwrap_or(template.clone());
            let args = line
                .split_whitespace()
                .map(|a| a.replace("{}", &file))
                .collect();
            let note = notes.get(&file).cloned();
            out.push(Case {
                class: class.clone(),
                file,
                args,
                note,
            });
        }
    }
    out
}

fn first_command(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
}

/// Decodes the TEXT of a `.gen` line.
fn unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            i += 1;
            match b[i] {
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'0' => out.push(0),
                b'\\' => out.push(b'\\'),
                b'"' => out.push(b'"'),
                b'x' if i + 2 < b.len() => {
                    let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).expect("\\xNN"));
                    i += 2;
                }
                other => panic!("unknown escape \\{}", other as char),
            }
        } else {
            out.push(b[i]);
        }
        i += 1;
    }
    out
}

fn generate(spec: &str, to: &Path) {
    use std::io::Write;
    let lines: Vec<&str> = spec
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if let Some(target) = lines.first().and_then(|l| l.strip_prefix("link ")) {
        std::os::unix::fs::symlink(target.trim(), to).unwrap();
        return;
    }
    let file = std::fs::File::create(to).unwrap();
    if lines.first().is_some_and(|l| l.starts_with("zip ")) {
        // A zip archive (a workbook): `zip NAME` starts an entry, the lines after it fill it.
        let mut z = zip::ZipWriter::new(file);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        for line in lines {
            if let Some(name) = line.strip_prefix("zip ") {
                z.start_file(name.trim(), opts).unwrap();
            } else {
                let (n, bytes) = repeat(line);
                for _ in 0..n {
                    z.write_all(&bytes).unwrap();
                }
            }
        }
        z.finish().unwrap();
        return;
    }
    let mut w = std::io::BufWriter::new(file);
    for line in lines {
        let (n, bytes) = repeat(line);
        for _ in 0..n {
            w.write_all(&bytes).unwrap();
        }
    }
    w.flush().unwrap();
}

/// A `COUNT TEXT` line of a `.gen` file.
fn repeat(line: &str) -> (usize, Vec<u8>) {
    let (n, text) = line
        .split_once(' ')
        .unwrap_or_else(|| panic!("COUNT TEXT: {line}"));
    (n.parse().expect("COUNT"), unescape(text))
}

/// A fingerprint of each regular file in a folder (name → length and a hash of the content).
fn fingerprints(dir: &Path) -> BTreeMap<String, (u64, u64)> {
    use std::hash::{Hash, Hasher};
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()) {
        let Ok(meta) = std::fs::symlink_metadata(e.path()) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        if let Ok(bytes) = std::fs::read(e.path()) {
            bytes.hash(&mut h);
        }
        out.insert(
            e.file_name().to_string_lossy().into_owned(),
            (meta.len(), h.finish()),
        );
    }
    out
}

/// Reads a stream to its end, keeping its first [`KEPT`] bytes and counting the rest.
fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<(Vec<u8>, u64)> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut total = 0u64;
        let mut buf = [0u8; 65536];
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
            total += n as u64;
            let room = KEPT.saturating_sub(kept.len()).min(n);
            kept.extend_from_slice(&buf[..room]);
        }
        (kept, total)
    })
}

fn shown(bytes: &[u8], total: u64, work: &str) -> String {
    // Control characters are shown as their pictures (␛ for ESC), so a raw escape sequence that
    // reached the terminal is visible in the snapshot, and differs from an escaped one.
    let text: String = String::from_utf8_lossy(bytes)
        .replace(work, "$WORK")
        .chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            '\u{7f}' => '\u{2421}',
            c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or(c),
            c => c,
        })
        .collect();
    if text.len() <= SHOWN && total as usize == bytes.len() {
        return text;
    }
    let mut cut = SHOWN.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "{}\n… [cut by the test: {total} bytes in all]\n",
        &text[..cut]
    )
}

fn have_prlimit() -> bool {
    Command::new("prlimit")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run_case(case: &Case, prlimit: bool) -> Result<(), libtest_mimic::Failed> {
    let class_dir = corpus().join(&case.class);
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    for dir in [corpus().join("common"), class_dir.clone()] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().into_owned();
            if !e.path().is_file() || matches!(name.as_str(), "cmd" | "notes" | "README.md") {
                continue;
            }
            if name.ends_with(".cmd") {
                continue;
            }
            match name.strip_suffix(".gen") {
                // Only the case's own generated file is made (the others may be large).
                Some(stem) if stem != case.file => {}
                Some(stem) => generate(
                    &std::fs::read_to_string(e.path()).unwrap(),
                    &work.path().join(stem),
                ),
                None => {
                    std::fs::copy(e.path(), work.path().join(&name)).unwrap();
                }
            }
        }
    }
    let before = fingerprints(work.path());

    let bin = env!("CARGO_BIN_EXE_guiju");
    let mut cmd = if prlimit {
        let mut c = Command::new("prlimit");
        c.arg(format!("--as={MEMORY_LIMIT}")).arg("--").arg(bin);
        c
    } else {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(format!(
                "ulimit -v {}; exec \"$0\" \"$@\"",
                MEMORY_LIMIT / 1024
            ))
            .arg(bin);
        c
    };
    let mut child = cmd
        .args(&case.args)
        .current_dir(work.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start guiju: {e}"))?;
    let out = drain(child.stdout.take().unwrap());
    let err = drain(child.stderr.take().unwrap());
    let start = Instant::now();
    let status = child.wait_timeout(TIMEOUT).map_err(|e| e.to_string())?;
    let (exit, code) = match status {
        Some(s) => match s.code() {
            Some(c) => (format!("{c}"), Some(c)),
            None => {
                use std::os::unix::process::ExitStatusExt;
                (
                    format!("killed by signal {}", s.signal().unwrap_or(0)),
                    None,
                )
            }
        },
        None => {
            drop(child.kill());
            drop(child.wait());
            (format!("timed out after {} s", TIMEOUT.as_secs()), None)
        }
    };
    let elapsed = start.elapsed();
    let (out, out_total) = out.join().unwrap();
    let (err, err_total) = err.join().unwrap();
    let after = fingerprints(work.path());

    let w = work.path().to_string_lossy().into_owned();
    let mut files = Vec::new();
    for (name, fp) in &after {
        match before.get(name) {
            None => files.push(format!("new: {name}")),
            Some(old) if old != fp => files.push(format!("CHANGED: {name}")),
            Some(_) => {}
        }
    }
    for name in before.keys().filter(|n| !after.contains_key(*n)) {
        files.push(format!("REMOVED: {name}"));
    }
    let mut text = format!("$ guiju {}\n", case.args.join(" "));
    if let Some(n) = &case.note {
        text.push_str(&format!("note: {n}\n"));
    }
    if code.is_some() {
        text.push_str(&format!(
            "exit: {exit}\n--- stdout\n{}--- stderr\n{}",
            shown(&out, out_total, &w),
            shown(&err, err_total, &w)
        ));
    } else {
        // A run that was killed stopped at a moment that varies: what it printed is not kept.
        text.push_str(&format!(
            "exit: {exit}\n[output not kept: the run did not finish]\n"
        ));
    }
    if !files.is_empty() {
        text.push_str(&format!("--- files\n{}\n", files.join("\n")));
    }

    let fixme = case.note.as_deref().is_some_and(|n| n.starts_with("FIXME"));
    let panicked = [&out, &err]
        .iter()
        .any(|s| String::from_utf8_lossy(s).contains("panicked at"));
    let bad = match code {
        _ if panicked => Some("panicked".to_string()),
        Some(0..=2) => None,
        _ => Some(format!("exit {exit} after {:.1} s", elapsed.as_secs_f64())),
    };
    if let (Some(why), false) = (&bad, fixme) {
        return Err(format!(
            "{}/{}: {why} (only 0, 1 or 2 in time, without a panic, is allowed)\n{text}",
            case.class, case.file
        )
        .into());
    }

    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(class_dir.join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(case.file.clone(), text));
    Ok(())
}

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let prlimit = have_prlimit();
    let all = cases();
    let tests = all
        .into_iter()
        .map(|c| {
            let name = format!("{}/{}", c.class, c.file);
            libtest_mimic::Trial::test(name, move || run_case(&c, prlimit))
        })
        .collect();
    libtest_mimic::run(&args, tests).exit();
}
