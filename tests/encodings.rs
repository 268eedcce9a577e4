//! Text files in the encodings offices save them in: every example submission saved as GBK (as
//! Excel and WPS save "CSV" on a Chinese Windows), as UTF-16 with a byte order mark (Excel's
//! "Unicode 文本", tab-separated) and as UTF-16 without one gives the findings of its UTF-8 CSV,
//! each shown at the same line and column with the same text; and a file whose encoding cannot
//! be told is refused, not read as mojibake.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::path::Path;

/// Runs a whole command line (`guiju` first): exit code, stdout, stderr.
fn run_argv(argv: Vec<String>) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = guiju::cli::run(argv, &mut out, &mut err);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

/// The `guiju check` commands of `examples/*/README.md`, paths made absolute.
fn example_commands(root: &Path) -> Vec<Vec<String>> {
    let mut topics: Vec<_> = std::fs::read_dir(root.join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("README.md").is_file())
        .collect();
    topics.sort();
    let mut cmds = Vec::new();
    for t in topics {
        let readme = std::fs::read_to_string(t.join("README.md")).unwrap();
        for cmd in common::readme_commands(&readme) {
            let abs = |p: &str| {
                if p.starts_with("policies/") || p.starts_with("examples/") {
                    root.join(p).to_string_lossy().into_owned()
                } else {
                    p.to_string()
                }
            };
            cmds.push(
                cmd.iter()
                    .map(|a| match a.split_once('=') {
                        Some((t, p)) if !t.starts_with('-') => format!("{t}={}", abs(p)),
                        _ => abs(a),
                    })
                    .collect(),
            );
        }
    }
    cmds
}

/// One way an office saves a CSV file: the new file's extension and its bytes.
struct Saved {
    what: &'static str,
    ext: &'static str,
    save: fn(&str) -> Vec<u8>,
    /// What the summary says the file was read as.
    said: &'static str,
}

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

const SAVED: &[Saved] = &[
    Saved {
        what: "GBK (Excel's CSV on a Chinese Windows)",
        ext: "csv",
        save: |t| encoding_rs::GB18030.encode(t).0.into_owned(),
        said: "GB18030 编码读取（自动识别）",
    },
    Saved {
        what: "UTF-16LE with a byte order mark, tab-separated (Excel's Unicode 文本)",
        ext: "txt",
        save: |t| {
            let mut b = vec![0xFF, 0xFE];
            b.extend(utf16le(&tab_separated(t)));
            b
        },
        said: "UTF-16LE 编码读取（据字节顺序标记）",
    },
    Saved {
        what: "UTF-16BE without a byte order mark",
        ext: "csv",
        save: |t| t.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        said: "UTF-16BE 编码读取（自动识别）",
    },
];

/// The CSV text as tab-separated text, as Excel saves it: cells quoted only where they hold a
/// tab, a quote or a line break.
fn tab_separated(csv: &str) -> String {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.as_bytes());
    let mut w = csv::WriterBuilder::new()
        .delimiter(b'\t')
        .flexible(true)
        .from_writer(Vec::new());
    for rec in r.records() {
        w.write_record(&rec.unwrap()).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

#[test]
fn every_example_submission_reads_in_gbk_and_utf16_as_in_utf8() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::Builder::new()
        .prefix("guiju-encodings-")
        .tempdir()
        .unwrap();
    let mut files = 0;
    for cmd in example_commands(root) {
        for saved in SAVED {
            // The same command, each CSV submission replaced by its saved copy.
            let mut renamed: Vec<(String, String)> = Vec::new();
            let args: Vec<String> = cmd
                .iter()
                .map(|a| {
                    let (ty, path) = match a.split_once('=') {
                        Some((t, p)) if p.ends_with(".csv") => (Some(t), p),
                        _ if a.ends_with(".csv") => (None, a.as_str()),
                        _ => return a.clone(),
                    };
                    let text = std::fs::read_to_string(path).unwrap();
                    let out = tmp
                        .path()
                        .join(format!("{}.{}", renamed.len() + files, saved.ext));
                    std::fs::write(&out, (saved.save)(&text)).unwrap();
                    let out = out.to_string_lossy().into_owned();
                    renamed.push((out.clone(), path.to_string()));
                    match ty {
                        Some(t) => format!("{t}={out}"),
                        None => out,
                    }
                })
                .collect();
            files += renamed.len();
            if renamed.is_empty() {
                continue;
            }
            for format in ["json", "human"] {
                let with = |args: &[String]| {
                    let mut a = args.to_vec();
                    a.extend(
                        ["--format", format, "--color", "never", "--lang", "zh"].map(String::from),
                    );
                    run_argv(a)
                };
                let (c1, o1, e1) = with(&cmd);
                let (c2, o2, e2) = with(&args);
                assert_eq!(c1, c2, "{}: {args:?}\n{e1}\n{e2}", saved.what);
                // The report on the saved copy, with its names put back and the summary's word on
                // each copy's encoding taken out, is the report on the UTF-8 file.
                // A summary made longer by that word is broken over two lines: joined again.
                let unwrap = |s: &str| {
                    s.replace("；\n结果：", "；结果：")
                        .replace(";\noutcomes:", "; outcomes:")
                };
                let o1 = unwrap(&o1);
                let mut back = unwrap(&o2);
                let mut err_back = e2.clone();
                for (new, old) in &renamed {
                    let note = format!("；{new} 按 {}", saved.said);
                    assert!(
                        err_back.contains(&note) || back.contains(&note) || format == "json",
                        "{}: the summary does not say `{note}`:\n{e2}",
                        saved.what
                    );
                    back = back.replace(&note, "");
                    err_back = err_back.replace(&note, "");
                    back = back.replace(new, old);
                    err_back = err_back.replace(new, old);
                }
                if format == "json" {
                    let mut v: serde_json::Value = serde_json::from_str(&back).unwrap();
                    let encodings = v["summary"]
                        .as_object_mut()
                        .unwrap()
                        .remove("encodings")
                        .unwrap_or_else(|| panic!("{}: no encodings in the summary", saved.what));
                    assert_eq!(
                        encodings.as_object().unwrap().len(),
                        renamed.len(),
                        "{encodings}"
                    );
                    let mut u: serde_json::Value = serde_json::from_str(&o1).unwrap();
                    if saved.ext == "txt" {
                        // Cells lose their CSV quotes: the same cell, at another character.
                        drop_columns(&mut u);
                        drop_columns(&mut v);
                    }
                    same(
                        &serde_json::to_string_pretty(&u).unwrap(),
                        &serde_json::to_string_pretty(&v).unwrap(),
                        saved.what,
                    );
                } else if saved.ext == "txt" {
                    // Tabs are shown as the terminal shows them, and cells lose their CSV
                    // quotes: each finding points at the same line of the same file.
                    let places = |s: &str| -> Vec<String> {
                        s.lines()
                            .filter(|l| l.contains("─[ ") || l.starts_with("共 "))
                            .map(|l| match l.rsplit_once(':') {
                                Some((at, col)) if col.ends_with(" ]") => at.to_string(),
                                _ => l.to_string(),
                            })
                            .collect()
                    };
                    same(
                        &places(&o1).join("\n"),
                        &places(&back).join("\n"),
                        saved.what,
                    );
                    same(&e1, &err_back, saved.what);
                } else {
                    same(&o1, &back, saved.what);
                    same(&e1, &err_back, saved.what);
                }
            }
        }
    }
    assert!(files >= 3 * 24, "only {files} files saved");
}

/// Removes every `column` of a JSON report.
fn drop_columns(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.remove("column");
            m.values_mut().for_each(drop_columns);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(drop_columns),
        _ => {}
    }
}

/// Asserts two reports are the same, showing the first line where they are not.
fn same(want: &str, got: &str, what: &str) {
    if want != got {
        let (w, g): (Vec<_>, Vec<_>) = (want.lines().collect(), got.lines().collect());
        let at = w
            .iter()
            .zip(&g)
            .position(|(a, b)| a != b)
            .unwrap_or(w.len().min(g.len()));
        panic!(
            "{what}: line {} differs:\n  want {:?}\n  got  {:?}",
            at + 1,
            w.get(at),
            g.get(at)
        );
    }
}

/// `guiju check` of `data` saved as `name`: exit code, stdout, stderr (in English).
fn check(name: &str, data: &[u8], extra: &[&str]) -> (i32, String, String) {
    let tmp = tempfile::Builder::new()
        .prefix("guiju-encodings-")
        .tempdir()
        .unwrap();
    let policy = tmp.path().join("p.gj");
    std::fs::write(
        &policy,
        "policy p \"单位\"\n  document \"文\"\n\nrecord unit \"单位\" {\n  id text key \"编号\"\n  name text \"名称\"\n  amount decimal unit 元 \"金额\"\n}\n\nrule cap \"金额不超过100元\" {\n  cite line 1 \"不超过100元\"\n  applies to unit\n  require amount <= 100元\n}\n",
    )
    .unwrap();
    let file = tmp.path().join(name);
    std::fs::write(&file, data).unwrap();
    let mut argv = vec![
        "guiju".to_string(),
        "check".into(),
        policy.to_string_lossy().into_owned(),
        "--data".into(),
        file.to_string_lossy().into_owned(),
    ];
    argv.extend(extra.iter().map(|s| s.to_string()));
    argv.extend(["--color", "never", "--lang", "en"].map(String::from));
    let (code, out, err) = run_argv(argv);
    let dir = tmp.path().to_string_lossy().into_owned();
    (code, out.replace(&dir, "DIR"), err.replace(&dir, "DIR"))
}

const TEXT: &str = "编号,名称,金额\nA1,渑池县农业农村局,80\nA2,陕州区财政局,120\n";

#[test]
fn a_gbk_file_is_told_from_a_utf8_one_and_its_findings_quote_it_decoded() {
    let (gbk, _, _) = encoding_rs::GB18030.encode(TEXT);
    let (code, out, err) = check("a.csv", &gbk, &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("A2,陕州区财政局,120"), "{out}");
    assert!(out.contains("read as GB18030 (detected)"), "{out}");
    // Named on the command line, it is read as named, and the summary says so.
    let (code, out, err) = check("a.csv", &gbk, &["--encoding", "gbk"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("read as GB18030 (as given)"), "{out}");
    // UTF-8 is read as it is, without a word.
    let (code, out, err) = check("a.csv", TEXT.as_bytes(), &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains("read as"), "{out}");
}

#[test]
fn an_encoding_named_after_the_file_is_that_files_alone() {
    let tmp = tempfile::Builder::new()
        .prefix("guiju-encodings-")
        .tempdir()
        .unwrap();
    // A GBK file named to be UTF-8 is refused at its line, not decoded wrong.
    let (gbk, _, _) = encoding_rs::GB18030.encode(TEXT);
    let file = tmp.path().join("a.csv");
    std::fs::write(&file, &gbk).unwrap();
    let spec = guiju::InputSpec::parse(&format!("unit={}:utf-8", file.to_string_lossy()));
    assert_eq!(spec.encoding.as_deref(), Some("utf-8"));
    assert_eq!(spec.path, file.to_string_lossy());
    assert_eq!(spec.record_type.as_deref(), Some("unit"));
    let (code, out, _) = check("a.csv", &gbk, &["--encoding", "utf-8"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("I0002") && out.contains("not UTF-8"), "{out}");
    // `:` that names no encoding is part of the name.
    let spec = guiju::InputSpec::parse("C:/data/a.csv");
    assert_eq!((spec.path.as_str(), spec.encoding), ("C:/data/a.csv", None));
    let spec = guiju::InputSpec::parse("台账:2017.csv");
    assert_eq!(spec.path, "台账:2017.csv");
}

#[test]
fn a_file_in_an_encoding_that_cannot_be_told_is_refused_with_the_way_to_name_it() {
    // Japanese in Shift_JIS: not UTF-8, and not Chinese by the look of it.
    let text = "編号,名称,金額\nA1,東京都港区役所のデータ,80\nA2,大阪府のデータです,120\n";
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(text);
    let (code, out, _) = check("a.csv", &sjis, &[]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("cannot tell the file's encoding") && out.contains(":gbk"),
        "{out}"
    );
}

#[test]
fn a_file_that_is_not_in_its_encoding_after_all_is_an_error_at_its_line() {
    // GBK for more than the bytes read to tell it, then bytes that are GB18030 nowhere.
    let mut text = TEXT.to_string();
    for i in 3..5000 {
        text.push_str(&format!("A{i},三门峡市财政局,{}\n", i % 100));
    }
    let lines = text.lines().count();
    let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
    let mut gbk = gbk.into_owned();
    assert!(gbk.len() > 70_000);
    gbk.extend_from_slice(b"B1,\x81\x20,5\n");
    let (code, out, _) = check("a.csv", &gbk, &[]);
    assert_eq!(code, 2, "{}", &out[out.len().saturating_sub(2000)..]);
    let at = format!("a.csv:{}", lines + 1);
    let tail = &out[out.len().saturating_sub(2000)..];
    assert!(
        tail.contains("I0002") && tail.contains("not valid GB18030") && tail.contains(&at),
        "{tail}"
    );
    // Findings before it stand.
    assert!(out.contains("A2"), "{out}");
}
