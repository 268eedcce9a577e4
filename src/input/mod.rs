//! Reading submissions (JSON, JSONL, CSV, Excel) as a stream of located records. Inputs are
//! opened, and read again for findings, through [`Inputs`]: this module opens no file itself.

#[doc(hidden)]
pub mod cell;
mod csv_split;
pub(crate) mod decode;
pub(crate) mod excel;
mod inputs;
mod json;
pub mod rows;
mod snippet;
mod totals;

pub use inputs::{Inputs, MemoryInputs, ReadSeek, Reread, RunInputs};
pub use snippet::{snippet, Snippet};

use crate::check::ir::Program;
use crate::diag::Msg;
use crate::value::{Record, RecordLoc, Value};
use rust_decimal::Decimal;
use std::io::{BufRead, BufReader};
use std::str::FromStr;

/// Where a JSON value ends, fed byte by byte: it follows nesting and strings. The streaming
/// reader and the snippet reader both use it, so they agree on where a record stops.
#[derive(Debug, Default)]
pub(crate) struct ValueEnd {
    depth: i32,
    in_str: bool,
    escaped: bool,
}

impl ValueEnd {
    /// Whether `b`, met before the value's first byte or after it is complete, is a delimiter of
    /// the enclosing array or object (`,` `]` `}` `:`), so the value has ended before it.
    pub(crate) fn at_delimiter(&self, b: u8) -> bool {
        !self.in_str && self.depth == 0 && matches!(b, b',' | b']' | b'}' | b':')
    }

    /// Takes the next byte of the value; true when the value is complete with it.
    pub(crate) fn feed(&mut self, b: u8) -> bool {
        if self.in_str {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_str = false;
                return self.depth == 0;
            }
            return false;
        }
        match b {
            b'"' => self.in_str = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => {
                self.depth -= 1;
                return self.depth == 0;
            }
            _ => {}
        }
        false
    }
}

/// One `--data [TYPE=]FILE` argument.
#[derive(Debug, Clone, Default)]
pub struct InputSpec {
    /// The input's name: its path for a file. Its extension gives its format; reports name the
    /// input by it.
    pub path: String,
    /// The record type its records are (else the one whose fields its columns or keys name).
    pub record_type: Option<String>,
    /// The text encoding a CSV or JSON input is in (`gbk`, `utf-16le`, … see
    /// `input::decode::named`); else it is told by its byte order mark or detected.
    pub encoding: Option<String>,
    /// For a workbook: the one sheet to read (`台账.xlsx#搬迁户`); else every sheet whose header
    /// names a record type.
    pub sheet: Option<String>,
    /// For a spreadsheet (CSV or workbook): the 1-based row its header is on (`--header-row`);
    /// else the header is found among the first rows by the labels it names.
    pub header_row: Option<u32>,
}

impl InputSpec {
    /// Reads `TYPE=FILE` or `FILE`, where a workbook's FILE may name a sheet (`台账.xlsx#搬迁户`)
    /// and a text file its encoding (`台账.csv:gbk`).
    pub fn parse(arg: &str) -> InputSpec {
        let (record_type, path) = match arg.split_once('=') {
            Some((t, p)) if !t.contains(['/', '\\', '.']) && !t.is_empty() => {
                (Some(t.to_string()), p)
            }
            _ => (None, arg),
        };
        // `:gbk` names an encoding only when it is one, so that `C:` and names holding `:` stay.
        let (path, encoding) = match path.rsplit_once(':') {
            Some((p, e)) if decode::named(e).is_some() && !p.is_empty() => (p, Some(e.to_string())),
            _ => (path, None),
        };
        // `#` names a sheet only after a workbook's extension, so that a file whose name holds
        // `#` is still found.
        let (path, sheet) = match path.rsplit_once('#') {
            Some((p, sh)) if !sh.is_empty() && Format::of(p) == Some(Format::Excel) => {
                (p.to_string(), Some(sh.to_string()))
            }
            _ => (path.to_string(), None),
        };
        InputSpec {
            path,
            record_type,
            encoding,
            sheet,
            header_row: None,
        }
    }
}

/// The format of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A JSON array of objects (`.json`).
    Json,
    /// One JSON object a line (`.jsonl`, `.ndjson`).
    Jsonl,
    /// CSV with a header row (`.csv`, `.tsv`, `.txt`).
    Csv,
    /// A workbook's first sheet (`.xlsx`, `.xlsm`, `.xls`, `.xlsb`, `.ods`).
    Excel,
}

impl Format {
    /// The format a name's extension says.
    pub fn of(path: &str) -> Option<Format> {
        let lower = path.to_lowercase();
        let ext = lower.rsplit('.').next().unwrap_or("");
        Some(match ext {
            "json" => Format::Json,
            "jsonl" | "ndjson" => Format::Jsonl,
            "csv" | "tsv" | "txt" => Format::Csv,
            "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => Format::Excel,
            _ => return None,
        })
    }
}

/// A problem with an input file, located in it. Codes `I0xxx`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataDiag {
    /// Its code (`I0003`); `guiju explain` describes it.
    pub code: &'static str,
    /// The input's name.
    pub path: String,
    /// 1-based line (0: the input as a whole).
    pub line: u32,
    /// 1-based column, in characters (0: the line as a whole).
    pub col: u32,
    /// Byte offset in the input, where known.
    pub byte: Option<u64>,
    /// What is wrong, in both languages.
    pub message: Msg,
    /// What to do about it.
    pub help: Option<Msg>,
    /// An error stops reading the file; otherwise the record is counted as unreadable and reading goes on.
    pub fatal: bool,
    /// An error in what the submission says, not in reading it (a 合计 row that is not the sum
    /// of its rows): it fails the run as a failing rule does (exit code 1).
    pub fails: bool,
}

impl DataDiag {
    fn new(
        code: &'static str,
        path: &str,
        line: u32,
        col: u32,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> DataDiag {
        DataDiag {
            code,
            path: path.to_string(),
            line,
            col,
            byte: None,
            message: Msg::new(zh, en),
            help: None,
            fatal: false,
            fails: false,
        }
    }

    fn fatal(mut self) -> DataDiag {
        self.fatal = true;
        self
    }

    fn help(mut self, zh: impl Into<String>, en: impl Into<String>) -> DataDiag {
        self.help = Some(Msg::new(zh, en));
        self
    }
}

/// What a source yields: a record, or a record that could not be read at all (boxed: rare, and
/// large next to a record).
#[doc(hidden)]
pub enum Item {
    Record(Record),
    Bad(Box<DataDiag>),
}

/// A stream of records from one input.
#[doc(hidden)]
pub trait RecordSource: Send {
    /// Appends up to `max` items; returns false when the input is exhausted.
    fn next_batch(&mut self, max: usize, out: &mut Vec<Item>) -> Result<bool, DataDiag>;
    /// File-level warnings found so far (unknown columns, missing columns).
    fn warnings(&mut self) -> Vec<DataDiag>;
    /// Rows read so far that hold nothing (every cell empty or white space): not records, and
    /// not unreadable, but counted so that every row of the file is accounted for.
    fn skipped(&self) -> u64 {
        0
    }
    /// The encoding a text input was decoded from (`None`: UTF-8, read as it is).
    fn encoding(&self) -> Option<decode::TextEncoding> {
        None
    }
    /// The record type of every record of the input, when the reader knows it once the input is
    /// open (a CSV file holds one type); `None` when records may be of several.
    fn record_type(&self) -> Option<usize> {
        None
    }
}

/// Opens input `index` of `inputs` as a record stream.
#[doc(hidden)]
pub fn open(
    inputs: &dyn Inputs,
    index: usize,
    program: &Program,
) -> Result<Box<dyn RecordSource>, DataDiag> {
    open_in_run(inputs, index, program, None)
}

/// `open`, for run `run` (`RunInputs::id`): a workbook then tells the run where its sheets'
/// columns are, so that findings name their cells without reading the workbook again.
pub(crate) fn open_in_run(
    inputs: &dyn Inputs,
    index: usize,
    program: &Program,
    run: Option<u64>,
) -> Result<Box<dyn RecordSource>, DataDiag> {
    let input = u32::try_from(index).unwrap_or(u32::MAX);
    let Some(spec) = inputs.specs().get(index) else {
        return Err(DataDiag::new("I0001", "", 0, 0, "内部错误", "internal error").fatal());
    };
    let path = spec.path.as_str();
    if let Some(n) = spec.header_row.filter(|n| *n > excel::MAX_HEADER_ROW) {
        return Err(DataDiag::new(
            "I0025",
            path,
            0,
            0,
            format!("表头所在行 {n} 超过上限 {}", excel::MAX_HEADER_ROW),
            format!(
                "the header row {n} is past the limit of {}",
                excel::MAX_HEADER_ROW
            ),
        )
        .fatal());
    }
    let Some(format) = Format::of(path) else {
        return Err(DataDiag::new(
            "I0001",
            path,
            0,
            0,
            "无法从扩展名判断文件格式",
            "cannot tell the file's format from its extension",
        )
        .help(
            "支持 .json、.jsonl、.csv、.xlsx",
            "supported: .json, .jsonl, .csv, .xlsx",
        )
        .fatal());
    };
    // `--data TYPE=FILE` names a record type; `--data POLICY=FILE` (a policy's id or its file's
    // stem) names the policy whose record types the file holds, as in a run of several policies.
    let (fixed_type, scope) = match &spec.record_type {
        Some(t) => match (program.record_type(t), program.policy_named(t)) {
            (Some(i), _) => (Some(i), None),
            (None, Some(p)) if program.record_types_named(t).is_empty() => (None, Some(p)),
            (None, _) => return Err(no_such_type(program, t, path).fatal()),
        },
        None => (None, None),
    };
    let candidates: Vec<usize> = (0..program.records.len())
        .filter(|&i| {
            program
                .records
                .get(i)
                .is_some_and(|r| !r.element_only && scope.is_none_or(|p| r.policy == p))
        })
        .collect();
    let single = match candidates.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    let scope_id = scope
        .and_then(|p| program.policies.get(p))
        .map(|p| p.id.clone());
    let default_type = fixed_type.or(single);
    if format == Format::Excel {
        return excel::open(
            inputs,
            index,
            path,
            spec.sheet.clone(),
            program,
            default_type,
            scope,
            spec.header_row,
            input,
            run.map(|r| (r, index)),
        );
    }
    let file = inputs.open(index).map_err(|e| {
        DataDiag::new(
            "I0001",
            path,
            0,
            0,
            format!("无法打开数据文件：{e}"),
            format!("cannot open the data file: {e}"),
        )
        .fatal()
    })?;
    let (file, encoding) = text_encoding(file, spec)?;
    let reader: Box<dyn BufRead + Send> = if encoding.is_plain_utf8() {
        Box::new(BufReader::with_capacity(1 << 16, file))
    } else {
        Box::new(BufReader::with_capacity(
            1 << 16,
            decode::DecodeReader::new(file, encoding.encoding),
        ))
    };
    if let Some(run) = run {
        decided(run, index, encoding);
    }
    let source = match format {
        Format::Csv => csv_source(
            path,
            reader,
            program,
            default_type,
            scope,
            spec.header_row,
            input,
        ),
        Format::Jsonl => Ok(Box::new(
            json::Jsonl::new(path, reader, program, default_type, input).within(scope_id),
        ) as Box<dyn RecordSource>),
        Format::Json => Ok(Box::new(
            json::JsonDoc::new(path, reader, program, default_type, input).within(scope_id),
        ) as Box<dyn RecordSource>),
        Format::Excel => {
            Err(DataDiag::new("I0001", path, 0, 0, "内部错误", "internal error").fatal())
        }
    }?;
    Ok(if encoding.is_plain_utf8() {
        source
    } else {
        Box::new(Encoded {
            inner: source,
            encoding,
        })
    })
}

/// A text input read through a decoder: its records, and the encoding it was read in.
struct Encoded {
    inner: Box<dyn RecordSource>,
    encoding: decode::TextEncoding,
}

impl RecordSource for Encoded {
    fn next_batch(&mut self, max: usize, out: &mut Vec<Item>) -> Result<bool, DataDiag> {
        self.inner.next_batch(max, out)
    }
    fn warnings(&mut self) -> Vec<DataDiag> {
        self.inner.warnings()
    }
    fn skipped(&self) -> u64 {
        self.inner.skipped()
    }
    fn encoding(&self) -> Option<decode::TextEncoding> {
        Some(self.encoding)
    }
    fn record_type(&self) -> Option<usize> {
        self.inner.record_type()
    }
}

/// The encoding a text input is read in: the one its spec names, else its byte order mark's,
/// else the one its first bytes look like. The file is handed back at its start.
pub(crate) fn text_encoding(
    mut file: Box<dyn ReadSeek + Send>,
    spec: &InputSpec,
) -> Result<(Box<dyn ReadSeek + Send>, decode::TextEncoding), DataDiag> {
    if let Some(name) = &spec.encoding {
        return match decode::named(name) {
            Some(e) => Ok((
                file,
                decode::TextEncoding {
                    encoding: e,
                    by: decode::By::Given,
                },
            )),
            None => Err(DataDiag::new(
                "I0002",
                &spec.path,
                0,
                0,
                format!("不支持的编码 `{name}`"),
                format!("unsupported encoding `{name}`"),
            )
            .help(
                format!("可用：{}", decode::NAMES.replace(", ", "、")),
                format!("use one of {}", decode::NAMES),
            )
            .fatal()),
        };
    }
    let sniffed = decode::sniff_file(&mut file).map_err(|e| {
        DataDiag::new(
            "I0001",
            &spec.path,
            0,
            0,
            format!("无法读取数据文件：{e}"),
            format!("cannot read the data file: {e}"),
        )
        .fatal()
    })?;
    match sniffed {
        decode::Sniffed::Is(e) => Ok((file, e)),
        decode::Sniffed::Unsure(guess) => Err(DataDiag::new(
            "I0002",
            &spec.path,
            1,
            1,
            "无法确定文件的编码：既不是 UTF-8、UTF-16，也不像 GBK/GB18030",
            "cannot tell the file's encoding: it is neither UTF-8 nor UTF-16, nor does it look like GBK/GB18030",
        )
        .help(
            format!(
                "看起来像 {}；在文件名后写明编码，如 `--data 台账.csv:gbk`（可用：{}），或另存为 UTF-8",
                decode::display_name(guess),
                decode::NAMES.replace(", ", "、")
            ),
            format!(
                "it looks like {}; name its encoding after the file name, as in `--data ledger.csv:gbk` ({}), or save it as UTF-8",
                decode::display_name(guess),
                decode::NAMES
            ),
        )
        .fatal()),
    }
}

/// The encodings the text inputs of runs now going on were read in, by (run, input): a finding's
/// text is read again in the same encoding without telling it again.
static DECIDED: std::sync::Mutex<Vec<((u64, usize), decode::TextEncoding)>> =
    std::sync::Mutex::new(Vec::new());

fn decided(run: u64, index: usize, e: decode::TextEncoding) {
    if let Ok(mut d) = DECIDED.lock() {
        d.retain(|(k, _)| *k != (run, index));
        d.push(((run, index), e));
    }
}

/// The encoding input `index` of run `run` was read in, if it was read in this process.
pub(crate) fn decided_encoding(run: u64, index: usize) -> Option<decode::TextEncoding> {
    let d = DECIDED.lock().ok()?;
    d.iter().find(|(k, _)| *k == (run, index)).map(|(_, e)| *e)
}

/// Forgets what run `run` decided (at its end).
pub(crate) fn forget_encodings(run: u64) {
    if let Ok(mut d) = DECIDED.lock() {
        d.retain(|((r, _), _)| *r != run);
    }
}

/// The delimiter of a CSV input, told by its name and its first line (`start`, the file's first
/// bytes): a tab in a `.tsv`, or in a file whose first line holds tabs and no commas (Excel's
/// "Unicode 文本" is tab-separated UTF-16 named `.txt`); else a comma.
pub(crate) fn delimiter(path: &str, start: &[u8]) -> u8 {
    if path.to_lowercase().ends_with(".tsv") {
        return b'\t';
    }
    let first = start.split(|b| *b == b'\n').next().unwrap_or_default();
    if first.contains(&b'\t') && !first.contains(&b',') {
        b'\t'
    } else {
        b','
    }
}

/// The record types a submission may name, as it may name them (qualified where two
/// policies of the run share a name).
fn type_names(program: &Program) -> Vec<&str> {
    program
        .records
        .iter()
        .filter(|r| !r.element_only)
        .map(|r| r.shown_name.as_str())
        .collect()
}

/// `t` names no record type of the run, or (when policies of the run share it) more than one.
pub(crate) fn no_such_type(program: &Program, t: &str, path: &str) -> DataDiag {
    let all = program.record_types_named(t);
    if all.len() > 1 {
        let names: Vec<&str> = all
            .iter()
            .filter_map(|&i| program.records.get(i))
            .map(|r| r.shown_name.as_str())
            .collect();
        return DataDiag::new(
            "I0004",
            path,
            0,
            0,
            format!("记录类型 `{t}` 不止一种：本次检查的多个策略都有此类型"),
            format!("record type `{t}` is ambiguous: several policies of this run define it"),
        )
        .help(
            format!("写明是哪个策略的：{}", names.join("、")),
            format!("say which policy's: {}", names.join(", ")),
        );
    }
    let known = type_names(program);
    DataDiag::new(
        "I0004",
        path,
        0,
        0,
        format!("策略中没有记录类型 `{t}`"),
        format!("the policy has no record type `{t}`"),
    )
    .help(
        format!("已定义的记录类型：{}", known.join("、")),
        format!("record types defined: {}", known.join(", ")),
    )
}

fn need_type(path: &str, program: &Program) -> DataDiag {
    let known = type_names(program);
    DataDiag::new(
        "I0004",
        path,
        0,
        0,
        "无法确定该文件的记录类型",
        "cannot tell which record type this file holds",
    )
    .help(
        format!("写成 `--data 类型=文件`，类型为：{}", known.join("、")),
        format!(
            "write `--data TYPE=FILE`, TYPE one of: {}",
            known.join(", ")
        ),
    )
    .fatal()
}

/// Reports the first byte that is not UTF-8, located, with a hint about GBK.
pub(crate) fn utf8_error(path: &str, line: u32, bytes: &[u8]) -> DataDiag {
    let valid = std::str::from_utf8(bytes)
        .map(|_| bytes.len())
        .unwrap_or_else(|e| e.valid_up_to());
    let col = String::from_utf8_lossy(bytes.get(..valid).unwrap_or(&[]))
        .chars()
        .count() as u32
        + 1;
    DataDiag::new(
        "I0002",
        path,
        line,
        col,
        "文件不是 UTF-8 编码",
        "the file is not UTF-8",
    )
    .help(
        "文件开头是 UTF-8，这里不是：文件可能混用了编码；若整份文件是 GBK，在文件名后写明，如 `--data 台账.csv:gbk`，或另存为 UTF-8",
        "the file starts as UTF-8 but is not here: it may mix encodings; if all of it is GBK, say so after the file name, as in `--data ledger.csv:gbk`, or save it as UTF-8",
    )
    .fatal()
}

// ---------------------------------------------------------------- CSV

struct CsvSource {
    path: String,
    split: csv_split::Splitter,
    ty: usize,
    columns: Vec<CsvCol>,
    /// Per column: the unit its header gives, or why that unit cannot be used.
    units: Vec<excel::HeaderUnit>,
    nfields: usize,
    program_fields: Vec<crate::check::ir::Field>,
    input: u32,
    index: u64,
    warnings: Vec<DataDiag>,
    /// The batch's rows, kept to reuse their buffers.
    rows: Vec<csv_split::Row>,
    /// The batch's rows in order, kept to reuse the vector.
    read: Vec<CsvRow>,
    /// Rows with nothing in them, and totals rows: skipped.
    skipped: u64,
    /// Rows read after the header while looking for it, to be read again as records.
    replay: std::collections::VecDeque<(csv_split::Row, csv_split::Start)>,
    /// The error that ended that reading, if one did: reading stops there.
    scan_err: Option<DataDiag>,
    /// The sums of the `total` fields, for the 合计 rows; `None` when there are none.
    totals: Option<totals::Totals>,
    /// The batch's totals rows: how many of its records come before each, the row, where it
    /// starts, and whether it is a 小计.
    total_rows: Vec<(usize, csv_split::Row, csv_split::Start, bool)>,
    /// The columns of `%` fields without a unit in their header: the column, its header, how
    /// many bare numbers it held, and whether all were at most 1.
    percent: Vec<(usize, String, u64, bool)>,
}

fn csv_source(
    path: &str,
    reader: Box<dyn BufRead + Send>,
    program: &Program,
    ty: Option<usize>,
    scope: Option<usize>,
    header_row: Option<u32>,
    input: u32,
) -> Result<Box<dyn RecordSource>, DataDiag> {
    let mut reader = reader;
    let delim = delimiter(path, reader.fill_buf().unwrap_or_default());
    let mut split = csv_split::Splitter::new(reader, delim);
    // The first rows, read before the header is known: a form saved as CSV has its title, its
    // notes and a two-row heading above the records, as the workbook does.
    let scan = excel::SCAN_ROWS.max(header_row.map_or(0, |n| n as usize + 1));
    let mut first: Vec<(csv_split::Row, csv_split::Start)> = Vec::new();
    let mut texts: Vec<excel::Row> = Vec::new();
    // An error after the first row: reported after the rows before it, where reading reaches it.
    let mut scan_err = None;
    while first.len() < scan {
        let mut row = csv_split::Row::default();
        let start = match split.read(&mut row) {
            Ok(Some(start)) => start,
            Ok(None) => break,
            // An error after the first row is the rows' to report, where they are read.
            Err(e) if first.is_empty() => return Err(csv_err(path, 1, &e).fatal()),
            Err(e) => {
                scan_err = Some(csv_err(path, split.line(), &e).fatal());
                break;
            }
        };
        let columns = row.iter().count();
        if columns > rows::MAX_COLUMNS {
            return Err(rows::too_many_columns(path, columns));
        }
        let mut cells = Vec::new();
        for (i, h) in row.iter().enumerate() {
            match std::str::from_utf8(h) {
                Ok(t) => cells.push(excel::XCell::text(
                    i as u32,
                    t.trim_start_matches('\u{FEFF}').trim().to_string(),
                )),
                // Not UTF-8 in the header: nothing after it can be read. In a later row it is
                // that row's to report.
                Err(_) if first.is_empty() => return Err(utf8_error(path, 1, h).with_col_offset(i)),
                Err(_) => cells.clear(),
            }
        }
        texts.push((first.len() as u32, cells));
        first.push((row, start));
    }
    let found = excel::find_header(&texts, &program.records, ty, scope, header_row);
    // The header's rows, its names and its record type: as found, or else the first row, whose
    // names then pick the type (and whose unknown names are warned of).
    let (header_at, names, ty) = match found {
        Some(h) => {
            let names: Vec<(u32, String)> = match (texts.get(h.first), texts.get(h.last)) {
                (Some(top), Some(sub)) if h.first != h.last => excel::joined(&top.1, &sub.1),
                (_, Some(row)) => excel::texts(&row.1),
                _ => Vec::new(),
            };
            (h.last, names, h.ty)
        }
        None => {
            let at = header_row.map_or(0, |n| n.saturating_sub(1) as usize);
            let names = texts
                .get(at)
                .map(|r| excel::texts(&r.1))
                .unwrap_or_default();
            let plain: Vec<String> = names.iter().map(|n| n.1.clone()).collect();
            let ty = match ty {
                Some(t) => t,
                None => best_type(program, &plain).ok_or_else(|| need_type(path, program))?,
            };
            (at, names, ty)
        }
    };
    // Header cells in column order, an empty one where the row has none.
    let width = names.iter().map(|n| n.0 as usize + 1).max().unwrap_or(0);
    let mut plain = vec![String::new(); width];
    for (c, n) in names {
        if let Some(x) = plain.get_mut(c as usize) {
            *x = n;
        }
    }
    let names = plain;
    let mut first = first.into_iter().skip(header_at);
    let (headers, header_start) = first.next().unwrap_or_default();
    let header_line = u32::try_from(header_start.line.max(1)).unwrap_or(u32::MAX);
    let replay: std::collections::VecDeque<_> = first.collect();
    let Some(rt) = program.records.get(ty) else {
        return Err(need_type(path, program));
    };
    let mut warnings = Vec::new();
    let mut columns = Vec::new();
    let mut seen: Vec<Option<usize>> = vec![None; rt.fields.len()];
    let mut units = Vec::new();
    for (i, n) in names.iter().enumerate() {
        // A header with a unit (`家庭人口（人）`) names its field; the unit is its numbers'.
        let with_unit = match rt.slot(n) {
            Some(_) => None,
            None => excel::header_field(rt, n),
        };
        let slot = rt.slot(n).or(with_unit.as_ref().map(|w| w.0));
        if let Some(s) = slot {
            if let Some(x) = seen.get_mut(s) {
                if let (Some(first), Some(f)) = (*x, rt.fields.get(s)) {
                    let first_name = names.get(first).map(String::as_str).unwrap_or_default();
                    let mut d =
                        rows::duplicate_column(path, (first + 1, first_name), (i + 1, n), f);
                    d.line = header_line;
                    // Where the second column starts on the header's line, in characters.
                    d.col = headers.char_col(i).unwrap_or(1);
                    return Err(d);
                }
                *x = Some(i);
            }
        } else if !n.is_empty() {
            // Where the cell starts on the header's line, in characters.
            let col = headers.char_col(i).unwrap_or(1);
            warnings.push(not_a_field(path, header_line, col, ("列", "column"), n, rt));
        }
        match (with_unit, CsvCol::of(slot, rt)) {
            (Some((s, unit, bad)), CsvCol::Read(_) | CsvCol::BaseNum(..)) => {
                units.push(excel::HeaderUnit { unit, bad });
                columns.push(CsvCol::Unit(s, units.len() - 1));
            }
            (_, c) => columns.push(c),
        }
    }
    if seen.iter().all(Option::is_none) {
        // Not one cell of the header names a field: whatever the rows hold, nothing could be
        // read from them.
        let labels: Vec<&str> = rt
            .fields
            .iter()
            .map(|f| f.label.as_deref().unwrap_or(&f.name))
            .collect();
        let scanned = excel::SCAN_ROWS;
        return Err(DataDiag::new(
            "I0025",
            path,
            header_line,
            0,
            match header_row {
                Some(n) => format!(
                    "第 {n} 行不是“{}”的表头：没有一个单元格是字段名或标签",
                    rt.display_name()
                ),
                None => format!(
                    "前 {scanned} 行中找不到“{}”的表头：没有一行的单元格是字段名或标签",
                    rt.display_name()
                ),
            },
            match header_row {
                Some(n) => format!(
                    "row {n} is no header of `{}`: no cell names a field",
                    rt.name
                ),
                None => format!(
                    "no header of `{}` in the first {scanned} rows: no row names its fields",
                    rt.name
                ),
            },
        )
        .help(
            format!(
                "表头应为字段的标签：{}（可用 --header-row 指定表头所在行）",
                labels.join("、")
            ),
            format!(
                "the header should name the fields: {} (--header-row says which row it is)",
                labels.join(", ")
            ),
        )
        .fatal());
    }
    let percent = columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let f = rt.field(c.slot()?)?;
            let percent = matches!(&f.ty, crate::check::ir::Ty::Num(n) if n.unit.is_percent());
            let header = names.get(i)?;
            // A header with its own unit (`比例（%）`) says how its numbers are meant.
            (percent && !matches!(c, CsvCol::Unit(..))).then(|| (i, header.clone(), 0, true))
        })
        .collect();
    let missing: Vec<&crate::check::ir::Field> = rt
        .fields
        .iter()
        .zip(&seen)
        // A list field is read from JSON only: a spreadsheet has no column for it.
        .filter(|(f, s)| {
            s.is_none() && !f.optional && !matches!(f.ty, crate::check::ir::Ty::List(_))
        })
        .map(|(f, _)| f)
        .collect();
    if !missing.is_empty() {
        let unknown: Vec<&str> = names
            .iter()
            .enumerate()
            .filter(|(i, n)| !n.is_empty() && seen.iter().all(|s| *s != Some(*i)))
            .map(|(_, n)| n.as_str())
            .collect();
        return Err(missing_columns(path, header_line, &missing, &unknown));
    }
    warnings.extend(defaulted_columns(path, header_line, rt, &|slot| {
        seen.get(slot).is_some_and(Option::is_some)
    }));
    Ok(Box::new(CsvSource {
        path: path.to_string(),
        split,
        ty,
        columns,
        units,
        nfields: rt.fields.len(),
        program_fields: rt.fields.clone(),
        input,
        index: 0,
        warnings,
        rows: Vec::new(),
        read: Vec::new(),
        skipped: 0,
        replay,
        scan_err,
        totals: totals::Totals::new(rt),
        total_rows: Vec::new(),
        percent,
    }))
}

/// `I0028`: an input of which not one record was read (a header and nothing under it, `[]`, an
/// empty file): nothing was checked, so the run must not pass (exit code 2).
pub(crate) fn no_records(path: &str, skipped: u64) -> DataDiag {
    let (zh, en) = match skipped {
        0 => (String::new(), String::new()),
        n => (
            format!("（{n} 行空行或合计行已跳过）"),
            format!(" ({n} empty or totals rows skipped)"),
        ),
    };
    DataDiag::new(
        "I0028",
        path,
        0,
        0,
        format!("文件中没有任何记录{zh}：未检查任何内容"),
        format!("the file holds no record{en}: nothing was checked"),
    )
    .help(
        "确认提交的是填好的表，而不是空白表；数据应写在表头之下",
        "check that the filled-in form was submitted, not the blank one; records go under the header",
    )
    .fatal()
}

/// `I0030`: `records` records (the first at `at`) refer, through a `ref` field, to the
/// `target` of key `key`, which the submission does not have: no joined total counted them.
pub fn dangling_reference(
    path: &str,
    at: &crate::value::RecordLoc,
    target: &str,
    key: &str,
    records: u64,
) -> DataDiag {
    let mut d = DataDiag::new(
        "I0030",
        path,
        at.line,
        at.col,
        format!("{records} 条记录关联的{target} `{key}` 不在提交的数据中；按{target}汇总时没有计入这些记录"),
        format!("{records} record(s) refer to the {target} `{key}`, which is not in the submission; no total per {target} counted them"),
    )
    .help(
        format!("补报该{target}，或更正这些记录所填的{target}"),
        format!("add that {target} to the submission, or correct the {target} these records name"),
    );
    d.byte = Some(at.byte);
    d
}

/// `I0029`: optional fields with a `default` that a rule reads and that have no column: every
/// record of the file reads them as their default, which the file then does not say; a warning,
/// so that a column left out is never taken silently for a column of defaults.
pub(crate) fn defaulted_columns(
    path: &str,
    line: u32,
    rt: &crate::check::ir::RecordType,
    seen: &dyn Fn(usize) -> bool,
) -> Option<DataDiag> {
    let absent: Vec<(&crate::check::ir::Field, &Value)> = rt
        .fields
        .iter()
        .enumerate()
        .filter(|(slot, _)| rt.used.get(*slot).copied().unwrap_or(true) && !seen(*slot))
        .filter_map(|(_, f)| Some((f, f.default.as_ref()?)))
        .collect();
    if absent.is_empty() {
        return None;
    }
    let each = |lang: crate::diag::Lang| -> Vec<String> {
        absent
            .iter()
            .map(|(f, v)| {
                let v = default_shown(v, &f.ty, lang);
                let name = f.label.as_deref().unwrap_or(&f.name);
                match lang {
                    crate::diag::Lang::Zh => format!("{name}（默认 {v}）"),
                    crate::diag::Lang::En => format!("{name} (default {v})"),
                }
            })
            .collect()
    };
    Some(
        DataDiag::new(
            "I0029",
            path,
            line,
            1,
            format!(
                "表中没有这些列：{}；每条记录都按默认值读取",
                each(crate::diag::Lang::Zh).join("、")
            ),
            format!(
                "no column for {}; every record reads the default",
                each(crate::diag::Lang::En).join(", ")
            ),
        )
        .help(
            "默认值只代替空单元格；整列缺失时，请确认表格确实不需要这一列，或补上这一列",
            "a default stands for a blank cell; with the whole column missing, check that the form truly leaves it out, or add the column",
        ),
    )
}

/// A field's default as the header warning names it: `否`/`false`, an enum's label, a number
/// in the field's unit. (The evaluator's formatting is not the reader's to call.)
fn default_shown(v: &Value, ty: &crate::check::ir::Ty, lang: crate::diag::Lang) -> String {
    use crate::check::ir::Ty;
    let zh = lang == crate::diag::Lang::Zh;
    match (v, ty) {
        (Value::Bool(b), _) => match (b, zh) {
            (true, true) => "是".into(),
            (false, true) => "否".into(),
            (b, false) => b.to_string(),
        },
        (Value::Enum(i), Ty::Enum(def)) => def
            .variants
            .get(usize::from(*i))
            .map(|(n, l)| {
                if zh {
                    l.clone().unwrap_or_else(|| n.clone())
                } else {
                    n.clone()
                }
            })
            .unwrap_or_default(),
        (Value::Num(n), Ty::Num(t)) => {
            let shown = n.checked_div(t.unit.scale).unwrap_or(*n).normalize();
            if t.unit.name.is_empty() {
                shown.to_string()
            } else {
                format!("{shown} {}", t.unit.name)
            }
        }
        (Value::Text(t), _) => format!("“{t}”"),
        (Value::Date(d), _) => d.to_string(),
        _ => "…".into(),
    }
}

/// `I0007`: required fields with no column: the file is not read (exit code 2), since every
/// record would lack them; `unknown` are the header's cells that name no field, which may be
/// them misspelt.
pub(crate) fn missing_columns(
    path: &str,
    line: u32,
    missing: &[&crate::check::ir::Field],
    unknown: &[&str],
) -> DataDiag {
    let labels: Vec<&str> = missing
        .iter()
        .map(|f| f.label.as_deref().unwrap_or(&f.name))
        .collect();
    let d = DataDiag::new(
        "I0007",
        path,
        line,
        1,
        format!("缺少必填字段的列：{}；文件未读取", labels.join("、")),
        format!(
            "no column for the required field(s) {}; the file is not read",
            labels.join(", ")
        ),
    );
    let d = if unknown.is_empty() {
        d.help(
            "表头应写明这些字段的标签；确实可以不填的字段，可在策略中标为 optional（可选）",
            "the header should name these fields by their labels; a field that may truly be left out can be marked optional in the policy",
        )
    } else {
        d.help(
            format!("表头中这些列不是字段：{}；是否写错了？", unknown.join("、")),
            format!(
                "these header cells name no field: {}; misspelt?",
                unknown.join(", ")
            ),
        )
    };
    d.fatal()
}

/// `I0006`: a column or key (`what`, in both languages) that names no field of `rt`, ignored;
/// with the field it may have meant.
pub(crate) fn not_a_field(
    path: &str,
    line: u32,
    col: u32,
    what: (&str, &str),
    name: &str,
    rt: &crate::check::ir::RecordType,
) -> DataDiag {
    let d = DataDiag::new(
        "I0006",
        path,
        line,
        col,
        format!(
            "{} `{name}` 不是记录“{}”的字段，已忽略",
            what.0,
            rt.display_name()
        ),
        format!(
            "{} `{name}` is not a field of `{}`; ignored",
            what.1, rt.name
        ),
    );
    let known = rt
        .fields
        .iter()
        .flat_map(|f| [Some(f.name.as_str()), f.label.as_deref()])
        .flatten();
    match crate::diag::did_you_mean(name, known) {
        Some(s) => d.help(format!("是否应为 `{s}`？"), format!("did you mean `{s}`?")),
        None => d,
    }
}

impl DataDiag {
    fn with_col_offset(mut self, col: usize) -> DataDiag {
        self.col = col as u32 + 1;
        self
    }
}

fn best_type(program: &Program, names: &[String]) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    let mut tie = false;
    for (i, rt) in program.records.iter().enumerate() {
        let score = names.iter().filter(|n| rt.slot(n).is_some()).count();
        match best {
            Some((_, s)) if score == s => tie = true,
            Some((_, s)) if score < s => {}
            _ => {
                best = Some((i, score));
                tie = false;
            }
        }
    }
    match best {
        Some((i, s)) if s > 0 && !tie => Some(i),
        _ => None,
    }
}

/// Reading a data file failed at `line` and `col`: text that is not GB18030 (`--encoding gbk`) is
/// I0002, anything else `code`.
fn read_failed(
    code: &'static str,
    path: &str,
    line: u32,
    col: u32,
    e: &std::io::Error,
) -> DataDiag {
    match decode::not_decodable(e) {
        Some(n) => {
            let name = decode::display_name(n.encoding);
            DataDiag::new(
                "I0002",
                path,
                line,
                col,
                format!("文件不是有效的 {name} 编码（第 {} 字节）", n.byte),
                format!("the file is not valid {name} (byte {})", n.byte),
            )
            .help(
                format!(
                    "在文件名后写明它的编码，如 `--data 台账.csv:gbk`（可用：{}），或另存为 UTF-8",
                    decode::NAMES.replace(", ", "、")
                ),
                format!(
                    "name its encoding after the file name, as in `--data ledger.csv:gbk` ({}), or save it as UTF-8",
                    decode::NAMES
                ),
            )
        }
        None => DataDiag::new(
            code,
            path,
            line,
            col,
            format!("读取失败：{e}"),
            format!("read failed: {e}"),
        ),
    }
}

/// Reading a CSV file failed at `line`.
fn csv_err(path: &str, line: u64, e: &csv_split::SplitError) -> DataDiag {
    let at = |line: u64| u32::try_from(line).unwrap_or(u32::MAX);
    match e {
        csv_split::SplitError::Io(e) => read_failed("I0003", path, at(line), 1, e),
        csv_split::SplitError::TooLong { from } => rows::record_too_long(path, at(*from), 1),
        csv_split::SplitError::Unclosed { from, to } if from == to => DataDiag::new(
            "I0003",
            path,
            at(*from),
            1,
            format!("引号未闭合：第 {from} 行的记录中，一个以引号开头的字段直到文件末尾都没有闭合"),
            format!(
                "unclosed quote: a field of the record on line {from} opens a quote that is never \
                 closed"
            ),
        ),
        csv_split::SplitError::Unclosed { from, to } => DataDiag::new(
            "I0003",
            path,
            at(*from),
            1,
            format!(
                "引号未闭合：第 {from} 行开始的记录中，一个以引号开头的字段直到文件末尾（第 {to} 行）\
                 都没有闭合，其后各行无法分成记录"
            ),
            format!(
                "unclosed quote: a field of the record starting on line {from} opens a quote that \
                 is still open at the end of the file (line {to}); the lines after it cannot be \
                 split into records"
            ),
        ),
    }
}

/// What to do with a CSV column's cells, decided once per file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CsvCol {
    /// Not a field: not read at all.
    Ignored,
    /// A field no rule reads: its value stays missing, but a cell that is not UTF-8 is still
    /// reported.
    Unused,
    /// A field that is read, into this slot.
    Read(usize),
    /// A number field in its base unit, read into this slot (`int`: an integer field): plain
    /// numbers are read in place.
    BaseNum(usize, bool),
    /// A field whose header gives its bare numbers a unit (`补助资金（万元）`), read into this
    /// slot with the unit the file's column `usize` gives (`CsvSource::units`).
    Unit(usize, usize),
}

impl CsvCol {
    /// The field slot the column is read into, if it is read.
    fn slot(&self) -> Option<usize> {
        match *self {
            CsvCol::Read(s) | CsvCol::BaseNum(s, _) | CsvCol::Unit(s, _) => Some(s),
            CsvCol::Ignored | CsvCol::Unused => None,
        }
    }

    fn of(slot: Option<usize>, rt: &crate::check::ir::RecordType) -> CsvCol {
        match slot {
            None => CsvCol::Ignored,
            // Without a `used` entry (a program not from `check::compile`) every field is read.
            Some(s) if !rt.used.get(s).copied().unwrap_or(true) => CsvCol::Unused,
            Some(s) => match rt.field(s).and_then(cell::base_unit) {
                Some(int) => CsvCol::BaseNum(s, int),
                None => CsvCol::Read(s),
            },
        }
    }
}

thread_local! {
    /// Value vectors of records already reported, emptied, to hold the next records' values:
    /// most records then cost no allocation for their values.
    static SPARE: std::cell::RefCell<Vec<Vec<Value>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Spare value vectors moved between threads in bundles of `BUNDLE`: records are given back on
/// one thread and read on another.
static DEPOT: std::sync::Mutex<Vec<Vec<Vec<Value>>>> = std::sync::Mutex::new(Vec::new());

const BUNDLE: usize = 256;

/// At most this many bundles wait in the depot (two batches' worth of records).
const MAX_BUNDLES: usize = 64;

/// A record's values, all missing to start with.
pub(crate) fn missing_values(n: usize) -> Vec<Value> {
    let mut values = SPARE
        .try_with(|s| {
            let mut s = s.borrow_mut();
            if s.is_empty() {
                if let Some(bundle) = DEPOT.lock().ok().and_then(|mut d| d.pop()) {
                    *s = bundle;
                }
            }
            s.pop()
        })
        .ok()
        .flatten()
        .unwrap_or_default();
    values.reserve_exact(n);
    values.resize_with(n, || Value::Missing);
    values
}

#[doc(hidden)]
/// Gives back a record's values once it has been judged and reported; a reader reuses the vector.
pub fn recycle(mut values: Vec<Value>) {
    // Most values own nothing on the heap: they are let go of in place, without a call to drop
    // each one (a quarter of the cost of reading a CSV cell).
    for v in values.drain(..) {
        match v {
            Value::Missing
            | Value::Num(_)
            | Value::Bool(_)
            | Value::Date(_)
            | Value::DateTime(_)
            | Value::Enum(_)
            | Value::Duration(..) => std::mem::forget(v),
            Value::Text(t) if !t.is_heap_allocated() => std::mem::forget(t),
            other => drop(other),
        }
    }
    if values.capacity() == 0 {
        return;
    }
    let _ = SPARE.try_with(|s| {
        let mut s = s.borrow_mut();
        s.push(values);
        if s.len() >= 2 * BUNDLE {
            let keep = s.len() - BUNDLE;
            let bundle = s.split_off(keep);
            if let Ok(mut d) = DEPOT.lock() {
                if d.len() < MAX_BUNDLES {
                    d.push(bundle);
                }
            }
        }
    });
}

/// Stores `v` in a record's slot. A slot still missing holds nothing to drop: it is overwritten
/// without a call to drop it (most slots are set once).
#[inline]
pub(crate) fn put(dst: &mut Value, v: Value) {
    if dst.is_missing() {
        std::mem::forget(std::mem::replace(dst, v));
    } else {
        *dst = v;
    }
}

/// The first item of a batch that stops reading (a line or cell that is not UTF-8), noted by
/// the threads that convert the batch as they make it.
#[derive(Debug)]
pub(crate) struct FirstFatal(std::sync::atomic::AtomicUsize);

impl FirstFatal {
    pub(crate) fn new() -> FirstFatal {
        FirstFatal(std::sync::atomic::AtomicUsize::new(usize::MAX))
    }

    /// Notes that item `i` of the batch is fatal.
    pub(crate) fn note(&self, i: usize) {
        self.0.fetch_min(i, std::sync::atomic::Ordering::Relaxed);
    }

    /// The first fatal item, if any.
    pub(crate) fn get(&self) -> Option<usize> {
        Some(self.0.load(std::sync::atomic::Ordering::Relaxed)).filter(|i| *i != usize::MAX)
    }

    /// Drops the batch's items from the fatal one on (the batch starts at `out[from]`) and
    /// returns its error; the items before it are kept.
    pub(crate) fn cut(&self, out: &mut Vec<Item>, from: usize) -> Option<DataDiag> {
        let at = self.get()?;
        match out.drain(from + at..).next() {
            Some(Item::Bad(d)) => Some(*d),
            _ => None,
        }
    }
}

/// `I0024`: every bare number of a `%` column of a CSV is at most 1.
fn percent_fractions(path: &str, header: &str) -> DataDiag {
    DataDiag::new(
        "I0024",
        path,
        0,
        0,
        format!(
            "百分比列 `{header}` 中不带 % 的数都不大于 1，已按百分数读取（0.74 即 0.74%）；若本意是比例（0.74 即 74%），请乘以 100 或写成 `74%`"
        ),
        format!(
            "every number without % in the percent column `{header}` is at most 1; they were read as percents (0.74 is 0.74%). If they are fractions (0.74 for 74%), multiply by 100 or write `74%`"
        ),
    )
}

/// What converting a CSV row needs, shared by the threads that convert a batch.
struct CsvConv<'a> {
    path: &'a str,
    ty: usize,
    columns: &'a [CsvCol],
    units: &'a [excel::HeaderUnit],
    nfields: usize,
    fields: &'a [crate::check::ir::Field],
}

impl CsvConv<'_> {
    /// A row's values; a cell that is not UTF-8 stops reading the file.
    fn convert(&self, row: &csv_split::Row, loc: RecordLoc) -> Result<Item, DataDiag> {
        let mut values = missing_values(self.nfields);
        // One check of the whole row spares its cells theirs. (A row can be UTF-8 as a whole
        // while a cell is not, when a character is split between cells: such a cell is not a
        // `str` of the row, and is checked, and reported, on its own.)
        let whole = std::str::from_utf8(row.as_slice()).ok();
        let not_utf8 = |i: usize| -> DataDiag {
            utf8_error(self.path, loc.line, row.get(i).unwrap_or_default()).with_col_offset(i)
        };
        let cell = |r: std::ops::Range<usize>| -> Option<&str> {
            match whole {
                Some(t) => t.get(r),
                None => std::str::from_utf8(row.as_slice().get(r)?).ok(),
            }
        };
        let mut ranges = row.ranges();
        for (i, col) in self.columns.iter().enumerate() {
            let Some(r) = ranges.next() else {
                // A short row: a problem when a column it lacks is a field.
                if self
                    .columns
                    .get(i..)
                    .unwrap_or_default()
                    .iter()
                    .any(|c| *c != CsvCol::Ignored)
                {
                    recycle(values);
                    let d = rows::ragged_row(self.path, loc, i, self.columns.len());
                    return Ok(Item::Bad(Box::new(d)));
                }
                break;
            };
            match *col {
                CsvCol::Ignored => {}
                CsvCol::Unused => {
                    if cell(r).is_none() {
                        return Err(not_utf8(i));
                    }
                }
                CsvCol::Read(slot) => {
                    if let (Some(f), Some(dst)) = (self.fields.get(slot), values.get_mut(slot)) {
                        match cell(r) {
                            Some(t) => put(dst, cell::parse_cell(t, f)),
                            None => return Err(not_utf8(i)),
                        }
                    }
                }
                CsvCol::BaseNum(slot, int) => {
                    if let (Some(f), Some(dst)) = (self.fields.get(slot), values.get_mut(slot)) {
                        match cell(r) {
                            Some(t) => put(dst, cell::parse_base_number_cell(t, int, f)),
                            None => return Err(not_utf8(i)),
                        }
                    }
                }
                CsvCol::Unit(slot, u) => {
                    if let (Some(f), Some(dst), Some(u)) = (
                        self.fields.get(slot),
                        values.get_mut(slot),
                        self.units.get(u),
                    ) {
                        match cell(r) {
                            Some(t) => put(dst, excel::read_with_unit(t, f, u)),
                            None => return Err(not_utf8(i)),
                        }
                    }
                }
            }
        }
        // A long row: a problem when a cell past the header's columns holds something.
        let mut extra = ranges.peekable();
        if extra.peek().is_some() {
            let blank = |r: std::ops::Range<usize>| cell(r).is_some_and(|t| t.trim().is_empty());
            let mut cells = self.columns.len();
            let mut lost = false;
            for r in extra {
                cells += 1;
                lost |= !blank(r);
            }
            if lost {
                recycle(values);
                let d = rows::ragged_row(self.path, loc, cells, self.columns.len());
                return Ok(Item::Bad(Box::new(d)));
            }
        }
        Ok(Item::Record(Record {
            ty: self.ty,
            values,
            loc,
        }))
    }
}

/// A row read but not yet converted: its place in `CsvSource::rows`, or why it could not be read.
enum CsvRow {
    Row(usize, RecordLoc),
    Bad(Box<DataDiag>),
}

impl RecordSource for CsvSource {
    /// Rows are split in order, then converted on all threads of the current rayon pool.
    fn next_batch(&mut self, max: usize, out: &mut Vec<Item>) -> Result<bool, DataDiag> {
        use rayon::prelude::*;
        let mut read = std::mem::take(&mut self.read);
        read.clear();
        let mut more = true;
        let mut used = 0;
        while used < max {
            if used == self.rows.len() {
                self.rows.push(csv_split::Row::default());
            }
            let Some(row) = self.rows.get_mut(used) else {
                break;
            };
            let next = match self.replay.pop_front() {
                Some((r, start)) => {
                    *row = r;
                    Ok(Some(start))
                }
                None => match self.scan_err.take() {
                    Some(d) => {
                        read.push(CsvRow::Bad(Box::new(d)));
                        more = false;
                        break;
                    }
                    None => self.split.read(row),
                },
            };
            let start = match next {
                Ok(Some(start)) => start,
                Ok(None) => {
                    more = false;
                    break;
                }
                Err(e) => {
                    // Reading stops here, after the rows before.
                    let d = csv_err(&self.path, self.split.line(), &e).fatal();
                    read.push(CsvRow::Bad(Box::new(d)));
                    more = false;
                    break;
                }
            };
            if rows::is_blank(row) {
                // `,,,,` or a line of spaces: no record, counted as skipped.
                self.skipped += 1;
                continue;
            }
            if let Some(subtotal) = rows::total_of(row) {
                // A 合计 row: no record, counted as skipped, and checked against the rows
                // above it once they are read.
                self.skipped += 1;
                if self.totals.is_some() {
                    self.total_rows.push((used, row.clone(), start, subtotal));
                }
                continue;
            }
            let loc = RecordLoc {
                input: self.input,
                index: self.index,
                line: u32::try_from(start.line).unwrap_or(u32::MAX),
                col: 1,
                byte: start.byte,
            };
            self.index += 1;
            read.push(CsvRow::Row(used, loc));
            used += 1;
        }
        let conv = CsvConv {
            path: &self.path,
            ty: self.ty,
            columns: &self.columns,
            units: &self.units,
            nfields: self.nfields,
            fields: &self.program_fields,
        };
        let rows = &self.rows;
        // Converted straight into `out`. A cell that is not UTF-8 comes back as a fatal
        // `Item::Bad` (no other item here is fatal): the records before it are kept, and
        // reading stops with its error.
        let from = out.len();
        // The first fatal item, if any (not found by looking at every item again).
        let first_bad = FirstFatal::new();
        out.par_extend(
            read.par_drain(..)
                .enumerate()
                .with_min_len(64)
                .with_max_len(512)
                .map(|(k, r)| {
                    let item = match r {
                        CsvRow::Bad(d) => Item::Bad(d),
                        CsvRow::Row(i, loc) => match rows.get(i) {
                            Some(row) => conv
                                .convert(row, loc)
                                .unwrap_or_else(|d| Item::Bad(Box::new(d))),
                            None => Item::Bad(Box::new(DataDiag::new(
                                "I0003",
                                conv.path,
                                loc.line,
                                1,
                                "内部错误",
                                "internal error",
                            ))),
                        },
                    };
                    if matches!(&item, Item::Bad(d) if d.fatal) {
                        first_bad.note(k);
                    }
                    item
                }),
        );
        self.read = read;
        let cut = first_bad.cut(out, from);
        // A `%` column's bare numbers, all at most 1, are likely fractions (0.74 for 74 %).
        for (col, _, n, small) in &mut self.percent {
            for row in self.rows.get(..used).unwrap_or_default() {
                let Some(t) = row.get(*col).and_then(|c| std::str::from_utf8(c).ok()) else {
                    continue;
                };
                if let Ok(v) = Decimal::from_str(t.trim()) {
                    *n += 1;
                    *small &= v <= Decimal::ONE;
                }
            }
        }
        if !more || cut.is_some() {
            for (_, header, n, small) in std::mem::take(&mut self.percent) {
                if n > 0 && small {
                    self.warnings.push(percent_fractions(&self.path, &header));
                }
            }
        }
        if let Some(t) = &mut self.totals {
            // The records are added up in order, each totals row checked where it stands.
            fn line_of(it: &Item) -> Option<(u32, &Vec<Value>)> {
                match it {
                    Item::Record(r) => Some((r.loc.line, &r.values)),
                    Item::Bad(_) => None,
                }
            }
            let mut pos = from;
            for (before, row, start, subtotal) in self.total_rows.drain(..) {
                let end = from + before;
                let Some(above) = out.get(pos..end) else {
                    break;
                };
                for (line, values) in above.iter().filter_map(line_of) {
                    t.add(values, line);
                }
                pos = end;
                let line = u32::try_from(start.line).unwrap_or(u32::MAX);
                let loc = RecordLoc {
                    input: self.input,
                    index: 0,
                    line,
                    col: 1,
                    byte: start.byte,
                };
                let Ok(Item::Record(r)) = conv.convert(&row, loc) else {
                    continue;
                };
                let col_of = |slot: usize| -> Option<u32> {
                    let i = self.columns.iter().position(|c| c.slot() == Some(slot))?;
                    row.char_col(i)
                };
                let found = t.check(
                    &self.program_fields,
                    &self.path,
                    line,
                    subtotal,
                    |slot| Some((r.values.get(slot)?.clone(), col_of(slot)?)),
                    |_, _| {},
                );
                self.warnings.extend(found);
                recycle(r.values);
            }
            for (line, values) in out
                .get(pos..)
                .unwrap_or_default()
                .iter()
                .filter_map(line_of)
            {
                t.add(values, line);
            }
        }
        match cut {
            Some(d) => Err(d),
            None => Ok(more),
        }
    }

    fn warnings(&mut self) -> Vec<DataDiag> {
        std::mem::take(&mut self.warnings)
    }

    fn skipped(&self) -> u64 {
        self.skipped
    }
    fn record_type(&self) -> Option<usize> {
        Some(self.ty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"policy t "t"
record row "行" {
  id      text key           "编号"
  n       int                "人数"
  amount  decimal unit 万元  "金额"
  note    text optional      "备注"
  d       date optional      "日期"
}
rule r "r" {
  cite line 1 "t"
  applies to row
  require amount >= 1万元
}
"#;

    fn read_all(path: &std::path::Path) -> Vec<Record> {
        let program = crate::check::compile_str("t.gj", POLICY)
            .program
            .expect("policy compiles");
        let spec = InputSpec::parse(path.to_str().expect("a UTF-8 path"));
        let inputs = crate::fs::FsInputs::new(vec![spec]);
        let mut src = open(&inputs, 0, &program).unwrap_or_else(|d| panic!("{d:?}"));
        let mut items = Vec::new();
        while src
            .next_batch(2, &mut items)
            .unwrap_or_else(|d| panic!("{d:?}"))
        {}
        items
            .into_iter()
            .map(|it| match it {
                Item::Record(r) => r,
                Item::Bad(d) => panic!("{d:?}"),
            })
            .collect()
    }

    #[test]
    fn every_reader_leaves_the_fields_no_rule_reads_unconverted() {
        let tmp = tempfile::Builder::new()
            .prefix("guiju-input-unused-")
            .tempdir()
            .expect("a temporary directory");
        let dir = tmp.path();
        let csv = dir.join("rows.csv");
        std::fs::write(
            &csv,
            "编号,人数,金额,备注,日期\nR1,3,2.50,一条备注,2017-05-23\nR2,四,很多,,昨天\nR3,1,1万元,x,2017/5/23\n",
        )
        .expect("written");
        let jsonl = dir.join("rows.jsonl");
        std::fs::write(
            &jsonl,
            "{\"编号\":\"R1\",\"人数\":3,\"金额\":2.50,\"备注\":\"一条备注\",\"日期\":\"2017-05-23\"}\n\
             {\"编号\":\"R2\",\"人数\":\"四\",\"金额\":\"很多\",\"日期\":\"昨天\"}\n\
             {\"id\":\"R3\",\"n\":1,\"amount\":\"1万元\",\"note\":[\"x\"],\"d\":20170523}\n",
        )
        .expect("written");
        let json = dir.join("rows.json");
        std::fs::write(
            &json,
            "[{\"编号\":\"R1\",\"人数\":3,\"金额\":2.50,\"备注\":\"一条备注\",\"日期\":\"2017-05-23\"},\n\
             {\"编号\":\"R2\",\"人数\":\"四\",\"金额\":\"很多\",\"日期\":\"昨天\"},\n\
             {\"id\":\"R3\",\"n\":1,\"amount\":\"1万元\",\"note\":{\"x\":1},\"d\":20170523}]\n",
        )
        .expect("written");
        let xlsx = dir.join("rows.xlsx");
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let rows = [
            ["编号", "人数", "金额", "备注", "日期"],
            ["R1", "3", "2.50", "一条备注", "2017-05-23"],
            ["R2", "四", "很多", "", "昨天"],
            ["R3", "1", "1万元", "x", "2017/5/23"],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                ws.write_string(r as u32, c as u16, *cell).expect("written");
            }
        }
        wb.save(&xlsx).expect("saved");
        let wan = |s: &str| Value::Num(s.parse::<rust_decimal::Decimal>().expect("a number"));
        for path in [&csv, &jsonl, &json, &xlsx] {
            let recs = read_all(path);
            assert_eq!(recs.len(), 3, "{path:?}");
            for (rec, id) in recs.iter().zip(["R1", "R2", "R3"]) {
                // The key and `amount` are read; `n`, `note` and `d` by no rule.
                assert_eq!(rec.values[0], Value::Text(id.into()), "{path:?}");
                assert!(rec.values[1].is_missing(), "{path:?}");
                assert!(rec.values[3..].iter().all(Value::is_missing), "{path:?}");
            }
            assert_eq!(recs[0].values[2], wan("25000.0"), "{path:?}");
            assert!(matches!(recs[1].values[2], Value::Invalid(_)), "{path:?}");
            assert_eq!(recs[2].values[2], wan("10000"), "{path:?}");
        }
    }
}
