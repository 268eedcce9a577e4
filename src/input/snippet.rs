//! The text of one record, read again for a finding, with the byte range of each field's value.

use super::{Format, ReadSeek, Reread};
use crate::check::ir::RecordType;
use crate::value::RecordLoc;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;

/// Lines of a data file around one record, and where its fields' values are.
#[derive(Debug, Clone, PartialEq)]
pub struct Snippet {
    /// Whole lines, starting at the start of a line.
    pub text: String,
    /// The 1-based line number of the first line of `text`.
    pub first_line: usize,
    /// Field slot → byte range of its value in `text`.
    pub fields: Vec<(usize, Range<usize>)>,
    /// Field slot → where the value is, in the file's own terms: a JSON path relative to the
    /// record (`$.住房建筑面积`) or a CSV cell (`R5C3`: line 5, third column).
    pub paths: Vec<(usize, String)>,
    /// Byte range of the whole record in `text`.
    pub record: Range<usize>,
}

/// `$.name`, or `$["name with spaces"]` when the key is not a plain name.
fn json_path(key: &str) -> String {
    let plain = !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_');
    if plain {
        format!("$.{key}")
    } else {
        format!("$[{}]", serde_json::Value::String(key.to_string()))
    }
}

impl Snippet {
    /// Where the value of field `slot` is, in the file's own terms.
    pub fn path(&self, slot: usize) -> Option<String> {
        self.paths
            .iter()
            .find(|(s, _)| *s == slot)
            .map(|(_, p)| p.clone())
    }

    /// The byte range of the value of field `slot` in `text`.
    pub fn field(&self, slot: usize) -> Option<Range<usize>> {
        self.fields
            .iter()
            .find(|(s, _)| *s == slot)
            .map(|(_, r)| r.clone())
    }

    /// 1-based line and column (in characters) of a byte offset of `text`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let (l, c) = crate::source::line_col(&self.text, offset);
        (l + self.first_line - 1, c)
    }
}

const MAX_RECORD: usize = 1 << 20;

/// A data file kept open by a thread, with what findings in it keep needing.
struct OpenFile {
    /// Which input of which run (see [`Reread::key`]).
    key: (u64, usize),
    file: Box<dyn ReadSeek + Send>,
    /// The bytes around the last record read: a thread's findings are mostly near one another
    /// and in file order, so most records are cut from memory.
    window: Window,
    /// A CSV file's header: for the record type named, the field slot of each column.
    csv_slots: Option<(String, Vec<Option<usize>>)>,
    /// A CSV file's delimiter, told by its header line.
    delim: char,
}

thread_local! {
    /// The data file this thread last read a record from, kept open: a file with many findings
    /// is not opened (nor its CSV header read) once per finding.
    static OPEN: std::cell::RefCell<Option<OpenFile>> = const { std::cell::RefCell::new(None) };
}

/// Runs `read` on the input, opened once per thread.
fn with_file<T>(input: &Reread, read: impl FnOnce(&mut OpenFile) -> Option<T>) -> Option<T> {
    OPEN.with(|open| {
        let mut open = open.borrow_mut();
        if open.as_ref().is_none_or(|o| o.key != input.key()) {
            *open = Some(OpenFile {
                key: input.key(),
                file: input.open_text().ok()?,
                window: Window::new(WINDOW),
                csv_slots: None,
                delim: ',',
            });
        }
        read(open.as_mut()?)
    })
}

/// Bytes read from a file per window.
const WINDOW: usize = 1 << 16;

/// A stretch of a file's bytes, read in one go and kept for the lines that follow.
struct Window {
    /// Where in the file `bytes` starts.
    start: u64,
    bytes: Vec<u8>,
    /// How many bytes one read asks for; fewer came back when the file ended.
    cap: usize,
    /// Whether `bytes` was read (a new window holds nothing yet).
    read: bool,
}

impl Window {
    fn new(cap: usize) -> Window {
        Window {
            start: 0,
            bytes: Vec::new(),
            cap,
            read: false,
        }
    }

    /// The line at byte `at` of `f`, as `read_line` reads it there with `limit`: from the window
    /// when it holds the line, else from the window read anew at `at`, else (a line longer than
    /// a window) from the file.
    fn line(&mut self, f: &mut (impl Read + Seek), at: u64, limit: usize) -> Option<String> {
        if let Some(line) = self.cut(at, limit) {
            return line;
        }
        self.bytes.clear();
        self.start = at;
        self.read = f.seek(SeekFrom::Start(at)).is_ok()
            && (&mut *f)
                .take(self.cap as u64)
                .read_to_end(&mut self.bytes)
                .is_ok();
        if !self.read {
            self.bytes.clear();
            return None;
        }
        if let Some(line) = self.cut(at, limit) {
            return line;
        }
        f.seek(SeekFrom::Start(at)).ok()?;
        read_line(f, limit)
    }

    /// `Some(line)` when the window settles the line at `at` (`Some(None)`: it is not UTF-8).
    fn cut(&self, at: u64, limit: usize) -> Option<Option<String>> {
        if !self.read {
            return None;
        }
        let offset = usize::try_from(at.checked_sub(self.start)?).ok()?;
        let rest = self.bytes.get(offset..)?;
        // A window shorter than asked for reaches the end of the file.
        let to_end = self.bytes.len() < self.cap;
        let end = match rest.iter().position(|b| *b == b'\n') {
            Some(p) => (p + 1).min(limit),
            None if to_end || rest.len() >= limit => rest.len().min(limit),
            None => return None,
        };
        Some(String::from_utf8(rest.get(..end)?.to_vec()).ok())
    }
}

/// Reads the record at `loc` of `input` again, locating the fields of slots `want`. Returns
/// `None` where the format has no text to show (Excel) or the input changed.
pub fn snippet(
    input: &Reread,
    loc: &RecordLoc,
    rt: &RecordType,
    want: &[usize],
) -> Option<Snippet> {
    let path = input.name();
    match input.format() {
        Format::Excel => None,
        Format::Jsonl => {
            let line = with_file(input, |o| o.window.line(&mut o.file, loc.byte, MAX_RECORD))?;
            let text = line.trim_end_matches(['\n', '\r']).to_string();
            let (fields, paths) = json_fields(&text, 0, rt, want);
            let record = 0..text.len();
            Some(Snippet {
                text,
                first_line: loc.line as usize,
                fields,
                paths,
                record,
            })
        }
        // Read through the thread's open file: a decoded (GBK, UTF-16) file is then sought from
        // where the last finding left it, not decoded from its start for each finding.
        Format::Json => with_file(input, |o| {
            let f = &mut o.file;
            // Back up to the start of the record's line, so columns show as in the file.
            let back = loc.byte.min(4096);
            f.seek(SeekFrom::Start(loc.byte - back)).ok()?;
            let mut before = vec![0u8; back as usize];
            f.read_exact(&mut before).ok()?;
            let line_start = before
                .iter()
                .rposition(|b| *b == b'\n')
                .map(|i| i + 1)
                .unwrap_or(0);
            let prefix = String::from_utf8_lossy(before.get(line_start..)?).into_owned();
            // Read as much as the record needs (it was 1 MiB for each finding): 4 KiB, then four
            // times as much, up to `MAX_RECORD`, plus a little for the rest of its last line.
            let mut rest = Vec::new();
            let mut limit = 4096;
            let end = loop {
                let more = (limit - rest.len()) as u64;
                let got = (&mut *f).take(more).read_to_end(&mut rest).ok()?;
                if let Some(end) = json_value_end(&rest) {
                    break end;
                }
                if (got as u64) < more || limit >= MAX_RECORD {
                    return None;
                }
                limit = (limit * 4).min(MAX_RECORD);
            };
            if !rest.get(end..).unwrap_or_default().contains(&b'\n') {
                (&mut *f).take(4096).read_to_end(&mut rest).ok()?;
            }
            // Keep the rest of the record's last line.
            let line_end = rest
                .get(end..)?
                .iter()
                .position(|b| *b == b'\n')
                .map(|i| end + i)
                .unwrap_or(rest.len());
            let body = String::from_utf8_lossy(rest.get(..line_end)?).into_owned();
            let text = format!("{prefix}{body}");
            let rec_start = prefix.len();
            let (fields, paths) =
                json_fields(text.get(rec_start..rec_start + end)?, rec_start, rt, want);
            Some(Snippet {
                text: text.trim_end_matches('\r').to_string(),
                first_line: loc.line as usize,
                fields,
                paths,
                record: rec_start..rec_start + end,
            })
        }),
        Format::Csv => {
            let (text, fields, paths) = with_file(input, |o| {
                // The header's columns, read once per file and record type.
                if o.csv_slots
                    .as_ref()
                    .is_none_or(|(name, _)| *name != rt.name)
                {
                    o.file.seek(SeekFrom::Start(0)).ok()?;
                    let header = read_line(&mut o.file, usize::MAX)?;
                    o.delim = char::from(super::delimiter(path, header.as_bytes()));
                    let header = header
                        .trim_start_matches('\u{FEFF}')
                        .trim_end_matches(['\n', '\r']);
                    let slots = csv_cells(header, o.delim)
                        .into_iter()
                        .map(|rg| {
                            header
                                .get(rg)
                                .map(|h| h.trim().trim_matches('"').trim())
                                .and_then(|h| {
                                    rt.slot(h)
                                        .or_else(|| super::excel::header_field(rt, h).map(|w| w.0))
                                })
                        })
                        .collect();
                    o.csv_slots = Some((rt.name.clone(), slots));
                }
                let mut line = o.window.line(&mut o.file, loc.byte, MAX_RECORD)?;
                // A quoted cell may hold line breaks: the record goes on until its quotes close.
                while line.matches('"').count() % 2 == 1
                    && line.ends_with('\n')
                    && line.len() < MAX_RECORD
                {
                    let next = loc.byte + line.len() as u64;
                    let more = o.window.line(&mut o.file, next, MAX_RECORD)?;
                    if more.is_empty() {
                        break;
                    }
                    line.push_str(&more);
                }
                let slots = &o.csv_slots.as_ref()?.1;
                let text = line.trim_end_matches(['\n', '\r']).to_string();
                let mut fields = Vec::new();
                let mut paths = Vec::new();
                for (i, rg) in csv_cells(&text, o.delim).into_iter().enumerate() {
                    if let Some(s) = slots.get(i).copied().flatten().filter(|s| want.contains(s)) {
                        paths.push((s, format!("R{}C{}", loc.line, i + 1)));
                        fields.push((s, rg));
                    }
                }
                Some((text, fields, paths))
            })?;
            let record = 0..text.len();
            Some(Snippet {
                text,
                first_line: loc.line as usize,
                fields,
                paths,
                record,
            })
        }
    }
}

/// The line from `f`'s position on, its line break included, of at most `limit` bytes: what
/// `BufRead::read_line` reads there (`None` where it fails). Read in small pieces, growing, as a
/// record's line is mostly short and one is read for each finding.
fn read_line(f: &mut impl Read, limit: usize) -> Option<String> {
    let mut buf: Vec<u8> = Vec::new();
    let mut piece = 512;
    loop {
        let start = buf.len();
        let want = piece.min(limit - start);
        if want == 0 {
            break;
        }
        buf.resize(start + want, 0);
        let n = loop {
            match f.read(buf.get_mut(start..)?) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        };
        buf.truncate(start + n);
        if n == 0 {
            break;
        }
        if let Some(p) = buf.get(start..)?.iter().position(|b| *b == b'\n') {
            buf.truncate(start + p + 1);
            break;
        }
        piece = (piece * 2).min(1 << 16);
    }
    String::from_utf8(buf).ok()
}

/// Byte ranges of the cells of one CSV line, quotes included.
fn csv_cells(line: &str, delim: char) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_q = false;
    for (i, c) in line.char_indices() {
        if c == '"' {
            in_q = !in_q;
        } else if c == delim && !in_q {
            out.push(start..i);
            start = i + c.len_utf8();
        }
    }
    out.push(start..line.len());
    out
}

/// Where the JSON value starting at byte 0 ends.
fn json_value_end(b: &[u8]) -> Option<usize> {
    let mut end = super::ValueEnd::default();
    b.iter().position(|&c| end.feed(c)).map(|i| i + 1)
}

/// Byte ranges (offset by `base`) of the values of an object's top-level keys that are fields.
/// The value ranges and JSON paths of the fields found in an object.
type FieldSpans = (Vec<(usize, Range<usize>)>, Vec<(usize, String)>);

fn json_fields(obj: &str, base: usize, rt: &RecordType, want: &[usize]) -> FieldSpans {
    let b = obj.as_bytes();
    let mut out = Vec::new();
    let mut paths = Vec::new();
    let mut depth = 0i32;
    let mut i = 0;
    let mut key: Option<String> = None;
    let mut value_start: Option<usize> = None;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                let start = i;
                i += 1;
                while let Some(&d) = b.get(i) {
                    if d == b'\\' {
                        i += 2;
                        continue;
                    }
                    if d == b'"' {
                        break;
                    }
                    i += 1;
                }
                if depth == 1 && value_start.is_none() && key.is_none() {
                    key = obj.get(start + 1..i).map(str::to_string);
                }
            }
            b':' if depth == 1 && value_start.is_none() => {
                let mut j = i + 1;
                while matches!(b.get(j), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                    j += 1;
                }
                value_start = Some(j);
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' | b',' => {
                if c != b',' {
                    depth -= 1;
                }
                if (c == b',' && depth == 1) || (c != b',' && depth == 0) {
                    if let (Some(k), Some(vs)) = (key.take(), value_start.take()) {
                        let end = obj.get(..i).map(|s| s.trim_end().len()).unwrap_or(i);
                        if let Some(slot) = rt.slot(&k).filter(|s| want.contains(s)) {
                            out.push((slot, base + vs..base + end.max(vs)));
                            paths.push((slot, json_path(&k)));
                        }
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    (out, paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_quote_keys_that_are_not_names() {
        assert_eq!(json_path("住房建筑面积"), "$.住房建筑面积");
        assert_eq!(json_path("县（市、区）"), "$[\"县（市、区）\"]");
    }

    #[test]
    fn csv_cells_respect_quotes() {
        let line = "H1,\"三门峡,湖滨区\",100万元";
        let cells = csv_cells(line, ',');
        assert_eq!(cells.len(), 3);
        assert_eq!(&line[cells[2].clone()], "100万元");
    }

    #[test]
    fn windows_cut_the_lines_that_read_line_reads() {
        use std::io::Cursor;
        let long = "长".repeat(700);
        let texts: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"a,b,c\nd,e,f\n\ng,h\n".to_vec(),
            b"no line break".to_vec(),
            b"crlf\r\nnext".to_vec(),
            format!("{}\nrest\n{}", "x".repeat(600), "y".repeat(70)).into_bytes(),
            format!("{long}\n{long}").into_bytes(),
            b"bad \xd5\xc5 bytes\nok\n".to_vec(),
        ];
        for text in &texts {
            // Every offset, forwards then backwards, through one window that is kept.
            let len = text.len() as u64;
            let forwards: Vec<u64> = (0..=len + 1).collect();
            let order: Vec<u64> = forwards.iter().copied().chain((0..=len).rev()).collect();
            for cap in [1, 4, 16, 600, WINDOW] {
                for limit in [usize::MAX, 600, 3] {
                    let mut w = Window::new(cap);
                    let mut f = Cursor::new(text.as_slice());
                    for &at in &order {
                        let mut c = Cursor::new(text.as_slice());
                        c.set_position(at);
                        let expected = read_line(&mut c, limit);
                        assert_eq!(
                            w.line(&mut f, at, limit),
                            expected,
                            "cap {cap}, limit {limit}, at {at}, {text:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn lines_are_read_as_buf_read_reads_them() {
        use std::io::{BufRead, BufReader, Cursor};
        let long = "长".repeat(700);
        let texts: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\n".to_vec(),
            b"a,b,c\nd,e,f\n".to_vec(),
            b"no line break".to_vec(),
            b"crlf\r\nnext".to_vec(),
            format!("{}\nrest", "x".repeat(511)).into_bytes(),
            format!("{}\nrest", "x".repeat(512)).into_bytes(),
            format!("{}\nrest", "x".repeat(5000)).into_bytes(),
            format!("{long}\n{long}").into_bytes(),
            b"bad \xd5\xc5 bytes\nok\n".to_vec(),
            [b"x".repeat(600), b"\xff\n".to_vec()].concat(),
        ];
        for text in &texts {
            for start in [0, 1, 3] {
                for limit in [usize::MAX, 1 << 20, 600, 10, 1, 0] {
                    let mut c = Cursor::new(text.as_slice());
                    c.set_position(start);
                    let ours = read_line(&mut c, limit);
                    let mut c = Cursor::new(text.as_slice());
                    c.set_position(start);
                    let mut line = String::new();
                    let theirs = BufReader::new(c.take(limit as u64))
                        .read_line(&mut line)
                        .ok()
                        .map(|_| line);
                    assert_eq!(ours, theirs, "{start} {limit} {text:?}");
                }
            }
        }
    }
}
