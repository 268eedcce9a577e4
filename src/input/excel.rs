//! Workbooks (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`), read as agencies fill them in.
//!
//! - **Streamed.** A thread of the file's own walks the cells of `.xlsx` and `.xlsb` sheets with
//!   calamine's cell reader and hands rows over a bounded channel, so memory is bounded by the
//!   batch, not by the sheet (a sheet's last address, `XFD1048576`, allocates nothing). `.xls`
//!   and `.ods` have no cell reader in calamine: their sheets are read whole.
//! - **Forms as laid out.** The header is the row, among the first [`SCAN_ROWS`] that hold
//!   a cell, whose cells name the most fields of a record type: title rows, notes and blank rows
//!   above it are skipped. A heading merged over two rows (`补助资金` over `中央` and `地方`) is
//!   joined as `补助资金/中央`. A header with a unit (`家庭人口（人）`, `补助资金（万元）`) names its
//!   field, and its unit is the unit of the column's bare numbers.
//! - **Every sheet.** Without `#SHEET`, each visible sheet whose header names a record type is
//!   read (sheets that name none, such as a 填表说明, are passed over); with it, that sheet only.
//! - **Rows accounted for.** Blank rows and 合计/小计/总计 rows are not records: they are counted
//!   as skipped.
//! - **Located.** A record's line is its sheet row (1-based), its column that of its first cell;
//!   `RecordLoc::byte` holds the sheet's index. [`place`] finds, for a finding, the sheet's name
//!   and the column of each field, so that reports say `台账.xlsx › 搬迁户!D12`.

use super::{cell, missing_values, recycle, rows, CsvCol, DataDiag, Item, RecordSource};
use crate::check::ir::{Field, Program, RecordType, Ty};
use crate::check::units::{self, Unit};
use crate::input::inputs::{Inputs, ReadSeek, Reread};
use crate::value::{Record, RecordLoc, Value};
use std::io::BufReader;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

/// How many rows (that hold a cell) are searched for the header.
pub(crate) const SCAN_ROWS: usize = 30;

/// The furthest row `--header-row` may name: the rows above a header are held while it is
/// looked for.
pub(crate) const MAX_HEADER_ROW: u32 = 1000;

/// Rows waiting between the reading thread and the reader.
const CHANNEL_ROWS: usize = 1024;

/// One cell as read: its 0-based column, its text, and whether the workbook holds it as a
/// number (a date serial in a date column is then a date).
#[derive(Debug, Clone)]
pub(crate) struct XCell {
    col: u32,
    text: String,
    number: bool,
}

impl XCell {
    /// A cell of a text file: its 0-based column and its text.
    pub(crate) fn text(col: u32, text: String) -> XCell {
        XCell {
            col,
            text,
            number: false,
        }
    }
}

pub(crate) type Row = (u32, Vec<XCell>);

enum Msg {
    /// A sheet starts: its index among the workbook's sheets and its name.
    Sheet(u32, String),
    Row(Row),
    /// A sheet passed over: its header names fewer fields than another sheet's.
    Passed(String),
    /// The workbook or a sheet could not be read.
    Failed(String, String),
}

/// The workbook's kind, by the file's extension.
#[derive(Clone, Copy)]
enum Kind {
    Xlsx,
    Xlsb,
    Xls,
    Ods,
}

fn kind(path: &str) -> Kind {
    let ext = std::path::Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("xlsb") => Kind::Xlsb,
        Some("xls" | "xla") => Kind::Xls,
        Some("ods") => Kind::Ods,
        _ => Kind::Xlsx,
    }
}

/// A cell's text. Excel holds numbers as binary doubles and shows at most 15 significant digits:
/// a number is read as the shortest decimal that round-trips to the stored double, rounded to 15
/// significant digits where it has more (a formula's `0.1+0.2` is the `0.3` the clerk sees, not
/// `0.30000000000000004`).
fn number_text(f: f64) -> String {
    let s = format!("{f}");
    let digits = s
        .bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|b| *b == b'0')
        .count();
    if digits <= 15 || !f.is_finite() {
        return s;
    }
    let e = format!("{f:.14e}");
    match rust_decimal::Decimal::from_scientific(&e) {
        Ok(d) => d.normalize().to_string(),
        Err(_) => s,
    }
}

fn cell_text(c: &calamine::DataRef<'_>) -> Option<(String, bool)> {
    use calamine::DataRef as D;
    Some(match c {
        D::Int(i) => (i.to_string(), true),
        D::Float(f) => (number_text(*f), true),
        D::String(s) => (s.clone(), false),
        D::SharedString(s) => ((*s).to_string(), false),
        D::Bool(b) => (if *b { "是" } else { "否" }.to_string(), false),
        D::DateTime(dt) => (datetime_text(dt), false),
        D::DateTimeIso(s) | D::DurationIso(s) => (s.clone(), false),
        D::Error(e) => (format!("#{e:?}"), false),
        D::Empty => return None,
    })
}

fn data_text(c: &calamine::Data) -> Option<(String, bool)> {
    use calamine::Data as D;
    Some(match c {
        D::Int(i) => (i.to_string(), true),
        D::Float(f) => (number_text(*f), true),
        D::String(s) => (s.clone(), false),
        D::Bool(b) => (if *b { "是" } else { "否" }.to_string(), false),
        D::DateTime(dt) => (datetime_text(dt), false),
        D::DateTimeIso(s) | D::DurationIso(s) => (s.clone(), false),
        D::Error(e) => (format!("#{e:?}"), false),
        D::Empty => return None,
    })
}

/// A date cell as `2017-06-30`, or with its time to the second (`2017-06-30 08:30:00`).
fn datetime_text(dt: &calamine::ExcelDateTime) -> String {
    if dt.is_duration() {
        return format!("{}", dt.as_f64());
    }
    match dt.as_datetime() {
        Some(d) => {
            // To the nearest second: the double holds fractions of a second nobody typed.
            let ms = d.and_utc().timestamp_millis();
            let d = chrono::DateTime::from_timestamp(
                ms.div_euclid(1000) + i64::from(ms.rem_euclid(1000) >= 500),
                0,
            )
            .map_or(d, |t| t.naive_utc());
            if d.time() == chrono::NaiveTime::MIN {
                d.date().to_string()
            } else {
                d.format("%Y-%m-%d %H:%M:%S").to_string()
            }
        }
        None => format!("{}", dt.as_f64()),
    }
}

/// An Excel date serial (days since 1899-12-30, the 1900 date system) as a date: only whole
/// numbers in the range Excel itself shows as dates (1900-03-01 to 9999-12-31).
pub(crate) fn serial_date(text: &str) -> Option<chrono::NaiveDate> {
    let n: i64 = text.parse().ok()?;
    if !(61..=2_958_465).contains(&n) {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(chrono::Duration::days(n))
}

/// Which sheets a reader wants: the record types to match headers against (and the type the
/// file was given, if any). `None`: every visible sheet, unchosen (to find one again by index).
type Choose = Option<(
    Arc<Vec<RecordType>>,
    Option<usize>,
    Option<usize>,
    Option<u32>,
)>;

/// Walks the visible sheets of the workbook (or the one named), sending their rows. With
/// `choose`, the first rows of every sheet are read first, and only the sheets whose header
/// names the most fields of a type are sent: a 填表说明 sheet that lists the fields one a row (and
/// so matches a few of them) is passed over when a data sheet matches more.
fn stream(
    file: Box<dyn ReadSeek + Send>,
    kind: Kind,
    only: Option<String>,
    choose: Choose,
    tx: &SyncSender<Msg>,
) -> Option<()> {
    use calamine::{Reader, SheetType, SheetVisible};
    let reader = BufReader::new(file);
    let fail = |what: &str, e: String| {
        let _ = tx.send(Msg::Failed(what.to_string(), e));
    };
    macro_rules! sheets_of {
        ($wb:expr) => {{
            let sheets: Vec<(u32, String)> = $wb
                .sheets_metadata()
                .iter()
                .enumerate()
                .filter(|(_, s)| match &only {
                    Some(n) => &s.name == n,
                    None => s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible,
                })
                .map(|(i, s)| (i as u32, s.name.clone()))
                .collect();
            sheets
        }};
    }
    // Calls `$each(row) -> Option<bool>` for the rows of sheet `$name`, in order, until it says
    // false (or None: the reader hung up); `Err(message)` when the sheet cannot be read.
    macro_rules! cell_rows {
        ($wb:expr, $name:expr, $each:expr) => {{
            #[allow(unused_mut)]
            let mut each = $each;
            match $wb.worksheet_cells_reader($name) {
                Err(e) => Err(e.to_string()),
                Ok(mut cells) => {
                    let mut row: Option<Row> = None;
                    let mut result = Ok(());
                    loop {
                        match cells.next_cell() {
                            Ok(Some(c)) => {
                                let (r, col) = c.get_position();
                                let Some((text, number)) = cell_text(c.get_value()) else {
                                    continue;
                                };
                                if row.as_ref().is_some_and(|(at, _)| *at != r) {
                                    if let Some(done) = row.take() {
                                        if !each(done)? {
                                            break;
                                        }
                                    }
                                }
                                row.get_or_insert_with(|| (r, Vec::new())).1.push(XCell {
                                    col,
                                    text,
                                    number,
                                });
                            }
                            Ok(None) => break,
                            Err(e) => {
                                result = Err(e.to_string());
                                break;
                            }
                        }
                    }
                    if let Some(done) = row.take() {
                        each(done)?;
                    }
                    result
                }
            }
        }};
    }
    macro_rules! range_rows {
        ($wb:expr, $name:expr, $each:expr) => {{
            #[allow(unused_mut)]
            let mut each = $each;
            match $wb.worksheet_range($name) {
                Err(e) => Err(e.to_string()),
                Ok(range) => {
                    let (r0, c0) = range.start().unwrap_or((0, 0));
                    for (dr, cells) in range.rows().enumerate() {
                        let row: Vec<XCell> = cells
                            .iter()
                            .enumerate()
                            .filter_map(|(dc, v)| {
                                let (text, number) = data_text(v)?;
                                Some(XCell {
                                    col: c0 + dc as u32,
                                    text,
                                    number,
                                })
                            })
                            .collect();
                        if !row.is_empty() && !each((r0 + dr as u32, row))? {
                            break;
                        }
                    }
                    Ok(())
                }
            }
        }};
    }
    macro_rules! walk {
        ($wb:expr, $rows:ident) => {{
            let mut wb = $wb;
            let mut sheets = sheets_of!(wb);
            if let (Some((records, fixed, scope, header_row)), None) = (&choose, &only) {
                // The header of each sheet, scored; the best sheet of each type is read, and any
                // other sheet that matches it as well.
                let mut scored: Vec<(u32, String, Option<(usize, (usize, bool))>)> = Vec::new();
                for (i, name) in sheets {
                    let mut first: Vec<Row> = Vec::new();
                    let _ = $rows!(wb, &name, |r: Row| -> Option<bool> {
                        let at = r.0;
                        first.push(r);
                        Some(first.len() < SCAN_ROWS || header_row.is_some_and(|n| at < n))
                    });
                    // Ranked by the fields named, then by naming none twice: a 填表说明 row
                    // that gives a field's label and its name (`单位名称`, `name`) is no header.
                    let h = find_header(&first, records, *fixed, *scope, *header_row)
                        .map(|h| (h.ty, (h.columns.len(), h.dups.is_empty())));
                    scored.push((i, name, h));
                }
                sheets = Vec::new();
                for (i, name, h) in &scored {
                    let best = |ty: usize| {
                        scored
                            .iter()
                            .filter_map(|(_, _, x)| x.filter(|x| x.0 == ty).map(|x| x.1))
                            .max()
                            .unwrap_or((0, false))
                    };
                    match h {
                        Some((ty, rank)) if *rank >= best(*ty) => sheets.push((*i, name.clone())),
                        _ => tx.send(Msg::Passed(name.clone())).ok()?,
                    }
                }
            }
            for (i, name) in sheets {
                tx.send(Msg::Sheet(i, name.clone())).ok()?;
                let sent = $rows!(wb, &name, |r: Row| -> Option<bool> {
                    tx.send(Msg::Row(r)).ok()?;
                    Some(true)
                });
                if let Err(e) = sent {
                    fail(&name, e);
                }
            }
        }};
    }
    match kind {
        Kind::Xlsx => match calamine::Xlsx::new(reader) {
            Ok(wb) => walk!(wb, cell_rows),
            Err(e) => fail("", e.to_string()),
        },
        Kind::Xlsb => match calamine::Xlsb::new(reader) {
            Ok(wb) => walk!(wb, cell_rows),
            Err(e) => fail("", e.to_string()),
        },
        Kind::Xls => match calamine::Xls::new(reader) {
            Ok(wb) => walk!(wb, range_rows),
            Err(e) => fail("", e.to_string()),
        },
        Kind::Ods => match calamine::Ods::new(reader) {
            Ok(wb) => walk!(wb, range_rows),
            Err(e) => fail("", e.to_string()),
        },
    }
    Some(())
}

/// `A` for column 0, `AA` for 26.
pub(crate) fn column_name(col: u32) -> String {
    let mut n = col + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

// ------------------------------------------------------------------ headers

/// What a header cell says of its column.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub col: u32,
    pub slot: usize,
    /// The header's own text.
    pub header: String,
    /// The unit the header gives its bare numbers (`补助资金（万元）`), or why that unit does
    /// not fit the field (every cell is then unreadable).
    pub unit: HeaderUnit,
}

/// A sheet's header: where it is and what its columns are.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    /// Index in the scanned rows of its first row (its last, unless two rows are joined).
    pub first: usize,
    /// Index in the scanned rows of its (last) row.
    pub last: usize,
    pub ty: usize,
    pub columns: Vec<Column>,
    /// Header cells that name no field (column, text).
    pub unknown: Vec<(u32, String)>,
    /// Two header cells naming one field: the first and the second (column, text), and the slot.
    pub dups: Vec<Dup>,
}

/// A header's text without white space (a header typed over two lines in one cell is one name).
fn squeeze(h: &str) -> String {
    h.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A header's field slot, the unit it gives the column, and why that unit cannot be used.
pub(crate) type HeaderMatch = (usize, Option<Unit>, Option<(String, String)>);

/// The field a header names in `rt`, and the unit it gives: the header itself, without white
/// space, or a field's name or label followed by a unit in brackets (`家庭人口（人）`,
/// `面积(㎡)`, `金额（单位：万元）`).
pub(crate) fn header_field(rt: &RecordType, h: &str) -> Option<HeaderMatch> {
    let h = h.trim();
    if h.is_empty() {
        return None;
    }
    if let Some(s) = rt.slot(h) {
        return Some((s, None, None));
    }
    let sq = squeeze(h);
    if let Some(s) = rt.slot(&sq) {
        return Some((s, None, None));
    }
    let inner_open = sq.rfind(['（', '('])?;
    let base = sq.get(..inner_open)?;
    let inner = sq.get(inner_open..)?;
    let inner = inner
        .trim_start_matches(['（', '('])
        .trim_end_matches(['）', ')']);
    let inner = inner
        .trim_start_matches("单位")
        .trim_start_matches(['：', ':']);
    let slot = rt.slot(base)?;
    let unit = units::lookup(inner)?;
    let field = rt.field(slot)?;
    match &field.ty {
        Ty::Num(n) if n.unit.dim == unit.dim => Some((slot, Some(unit), None)),
        _ => {
            let want = match &field.ty {
                Ty::Num(n) => n.unit.name.clone(),
                _ => String::new(),
            };
            Some((
                slot,
                None,
                Some((
                    format!("表头 `{h}` 的单位 `{}` 与字段的单位 `{want}` 不相容", unit.name),
                    format!(
                        "the header `{h}` gives the unit `{}`, which does not fit the field's unit `{want}`",
                        unit.name
                    ),
                )),
            ))
        }
    }
}

/// What a header row (or two rows, joined) says in `rt`: the columns that name fields, the
/// cells that name none, and the cells that name a field an earlier cell named.
type Named = (Vec<Column>, Vec<(u32, String)>, Vec<Dup>);

/// Two header cells naming one field: the first and the second (column, text), and the slot.
pub(crate) type Dup = ((u32, String), (u32, String), usize);

/// The columns a header row (or two rows, joined) names in `rt`.
fn columns_of(rt: &RecordType, cells: &[(u32, String)]) -> Named {
    let mut columns: Vec<Column> = Vec::new();
    let mut unknown = Vec::new();
    let mut dups = Vec::new();
    for (col, h) in cells {
        match header_field(rt, h) {
            Some((slot, unit, bad_unit)) => match columns.iter().find(|c| c.slot == slot) {
                Some(first) => {
                    dups.push(((first.col, first.header.clone()), (*col, h.clone()), slot))
                }
                None => columns.push(Column {
                    col: *col,
                    slot,
                    header: h.clone(),
                    unit: HeaderUnit {
                        unit,
                        bad: bad_unit,
                    },
                }),
            },
            _ if h.trim().is_empty() => {}
            _ => unknown.push((*col, h.clone())),
        }
    }
    (columns, unknown, dups)
}

/// The header texts of a heading row merged over a second row: a cell of the second row is
/// joined to the nearest heading at or left of it (`补助资金/中央`); a column whose second row is
/// empty keeps its heading (`户编号`, merged down).
pub(crate) fn joined(top: &[XCell], sub: &[XCell]) -> Vec<(u32, String)> {
    let mut cols: Vec<u32> = top.iter().chain(sub).map(|c| c.col).collect();
    cols.sort_unstable();
    cols.dedup();
    cols.into_iter()
        .map(|col| {
            let own = top.iter().find(|c| c.col == col).map(|c| c.text.trim());
            let heading = top
                .iter()
                .rfind(|c| c.col <= col && !c.text.trim().is_empty())
                .map(|c| c.text.trim());
            let under = sub.iter().find(|c| c.col == col).map(|c| c.text.trim());
            let name = match (under, heading) {
                (Some(u), Some(h)) if !u.is_empty() => format!("{h}/{u}"),
                (Some(u), None) => u.to_string(),
                _ => own.unwrap_or_default().to_string(),
            };
            (col, name)
        })
        .collect()
}

pub(crate) fn texts(row: &[XCell]) -> Vec<(u32, String)> {
    row.iter()
        .map(|c| (c.col, c.text.trim().to_string()))
        .collect()
}

/// Finds the header among `rows` (the first rows of a sheet that hold anything): the row, or
/// pair of rows, whose cells name the most distinct fields of one record type (of `fixed`, when
/// given), and at least two of them; the earliest such. `None` when no row names a field, or two types tie.
/// With `at` (`--header-row`, 1-based), the header starts on that row, and one field named is enough.
pub(crate) fn find_header(
    rows: &[Row],
    records: &[RecordType],
    fixed: Option<usize>,
    scope: Option<usize>,
    at: Option<u32>,
) -> Option<Header> {
    let mut best: Option<(usize, Header)> = None;
    let mut tie = false;
    let types: Vec<usize> = match fixed {
        Some(t) => vec![t],
        None => (0..records.len())
            .filter(|t| {
                records
                    .get(*t)
                    .is_some_and(|r| !r.element_only && scope.is_none_or(|p| r.policy == p))
            })
            .collect(),
    };
    for (i, (r, cells)) in rows.iter().enumerate() {
        if at.is_some_and(|n| *r + 1 != n) {
            continue;
        }
        let mut candidates = vec![(i, texts(cells))];
        if let Some((r2, sub)) = rows.get(i + 1) {
            if *r2 == r + 1 {
                candidates.push((i + 1, joined(cells, sub)));
            }
        }
        for (last, names) in candidates {
            for &t in &types {
                let Some(rt) = records.get(t) else { continue };
                let (columns, unknown, dups) = columns_of(rt, &names);
                let score = columns.len();
                // A header names at least two fields (or every field of a type of one): a row of
                // a 填表说明 sheet that lists one field per row names one.
                if score == 0 || (at.is_none() && score < rt.fields.len().min(2)) {
                    continue;
                }
                match &best {
                    // The same rows naming as many fields of another type: which is it?
                    Some((s, h)) if score == *s && h.last == last && h.ty != t => tie = true,
                    // Earlier rows naming as many: the earlier wins.
                    Some((s, _)) if score <= *s => {}
                    _ => {
                        tie = false;
                        best = Some((
                            score,
                            Header {
                                first: i,
                                last,
                                ty: t,
                                columns,
                                unknown,
                                dups,
                            },
                        ));
                    }
                }
            }
        }
    }
    if tie {
        return None;
    }
    best.map(|(_, h)| h)
}

/// What a totals row's first cell says: `Some(true)` for a subtotal (小计: the rows since the
/// last totals row), `Some(false)` for a total (合计, 总计: every row since the header), `None`
/// for any other text. White space inside is ignored (`合  计`).
pub(crate) fn total_kind(text: &str) -> Option<bool> {
    let t = squeeze(text);
    match t.as_str() {
        "小计" => Some(true),
        "合计" | "总计" | "总合计" | "全县合计" | "全市合计" => Some(false),
        _ if t.starts_with("合计") || t.starts_with("总计") => Some(false),
        _ => None,
    }
}

fn blank(row: &[XCell]) -> bool {
    row.iter().all(|c| c.text.trim().is_empty())
}

// ------------------------------------------------------------------ the reader

enum SheetState {
    /// Looking for the header among the first rows.
    Scanning(Vec<Row>),
    Reading(Reading),
    /// No header: the sheet is passed over.
    Passing,
}

struct Reading {
    ty: usize,
    /// Per column, in column order: how to read it.
    columns: Vec<(u32, CsvCol, Column)>,
    /// A `%` column's bare numbers: how many, and whether all were at most 1.
    percent: Vec<(usize, u64, bool, String)>,
    /// The sums of the `total` fields, for the 合计 rows.
    totals: Option<super::totals::Totals>,
}

struct ExcelSource {
    path: String,
    input: u32,
    rx: Receiver<Msg>,
    records: Arc<Vec<RecordType>>,
    fixed: Option<usize>,
    /// The policy whose record types the sheets may hold (`--data POLICY=FILE`), if one is named.
    scope: Option<usize>,
    /// The 1-based row the header is on (`--header-row`), else found.
    header_row: Option<u32>,
    sheet: Option<(u32, String, SheetState)>,
    /// Sheets seen and whether a header was found in each.
    seen: Vec<(String, bool)>,
    warnings: Vec<DataDiag>,
    skipped: u64,
    index: u64,
    pending: std::collections::VecDeque<Item>,
    done: bool,
    named: Option<String>,
    /// The run and the input's index in it, to tell the run where each sheet's columns are.
    run: Option<(u64, usize)>,
    /// An error found in a header: reading stops with it.
    fatal: Option<DataDiag>,
}

impl ExcelSource {
    fn diag(&self, line: u32, col: u32, zh: String, en: String) -> DataDiag {
        DataDiag::new("I0003", &self.path, line, col, zh, en)
    }

    /// Ends the current sheet: a sheet still scanning decides its header now.
    fn end_sheet(&mut self) {
        match self.sheet.take() {
            Some((i, name, SheetState::Scanning(rows))) => {
                self.decide(i, name, rows);
                if let Some((_, name, SheetState::Reading(r))) = self.sheet.take() {
                    self.percent_warning(&name, &r);
                }
            }
            Some((_, name, SheetState::Reading(r))) => self.percent_warning(&name, &r),
            _ => {}
        }
        self.sheet = None;
    }

    fn percent_warning(&mut self, sheet: &str, r: &Reading) {
        for (_, n, all_small, header) in &r.percent {
            if *n > 0 && *all_small {
                self.warnings.push(DataDiag::new(
                    "I0024",
                    &self.path,
                    0,
                    0,
                    format!(
                        "工作表 `{sheet}` 的百分比列 `{header}` 中的数都不大于 1，已按百分数读取（0.6 即 0.6%）；若单元格设为百分比格式（显示 60%），Excel 存的是 0.6，请把单元格改为文本 `60%` 或乘以 100"
                    ),
                    format!(
                        "every number in the percent column `{header}` of sheet `{sheet}` is at most 1; they were read as percents (0.6 is 0.6%). A cell formatted as a percentage (showing 60%) holds 0.6: write `60%` as text or multiply by 100"
                    ),
                ));
            }
        }
    }

    /// Decides the header of a sheet from its first rows, then reads the rows after it.
    fn decide(&mut self, index: u32, name: String, rows: Vec<Row>) {
        let Some(h) = find_header(
            &rows,
            &self.records,
            self.fixed,
            self.scope,
            self.header_row,
        ) else {
            self.seen.push((name, false));
            self.sheet = Some((index, String::new(), SheetState::Passing));
            return;
        };
        self.seen.push((name.clone(), true));
        let Some(rt) = self.records.get(h.ty) else {
            return;
        };
        let header_row = rows.get(h.last).map_or(0, |r| r.0) + 1;
        // A workbook has no text to show under a diagnostic: the sheet and cell are in its words.
        if let Some(((c1, t1), (c2, t2), slot)) = h.dups.first() {
            if let Some(f) = rt.field(*slot) {
                let mut d = rows::duplicate_column(
                    &self.path,
                    (*c1 as usize + 1, t1),
                    (*c2 as usize + 1, t2),
                    f,
                );
                (d.line, d.col) = (0, 0);
                prefix_sheet(&mut d, &name, *c2, header_row);
                self.fatal = Some(d.fatal());
                self.sheet = Some((index, name, SheetState::Passing));
                return;
            }
        }
        for (col, text) in &h.unknown {
            let mut d = super::not_a_field(&self.path, 0, 0, ("列", "column"), text, rt);
            prefix_sheet(&mut d, &name, *col, header_row);
            self.warnings.push(d);
        }
        let missing: Vec<&Field> = rt
            .fields
            .iter()
            .enumerate()
            .filter(|(slot, f)| {
                !f.optional
                    && !matches!(f.ty, Ty::List(_))
                    && !h.columns.iter().any(|c| c.slot == *slot)
            })
            .map(|(_, f)| f)
            .collect();
        if !missing.is_empty() {
            let unknown: Vec<&str> = h.unknown.iter().map(|(_, t)| t.as_str()).collect();
            let mut d = super::missing_columns(&self.path, 0, &missing, &unknown);
            (d.line, d.col) = (0, 0);
            prefix_sheet(&mut d, &name, 0, header_row);
            self.fatal = Some(d);
            self.sheet = Some((index, name, SheetState::Passing));
            return;
        }
        let has_column = |slot: usize| h.columns.iter().any(|c| c.slot == slot);
        if let Some(mut d) = super::defaulted_columns(&self.path, 0, rt, &has_column) {
            (d.line, d.col) = (0, 0);
            prefix_sheet(&mut d, &name, 0, header_row);
            self.warnings.push(d);
        }
        if let Some((run, input)) = self.run {
            let mut cols = vec![None; rt.fields.len()];
            for c in &h.columns {
                if let Some(x) = cols.get_mut(c.slot) {
                    *x = Some(c.col);
                }
            }
            remember(
                (run, input, index, h.ty),
                Arc::new(Place {
                    sheet: name.clone(),
                    columns: cols,
                }),
            );
        }
        let mut columns: Vec<(u32, CsvCol, Column)> = h
            .columns
            .iter()
            .map(|c| (c.col, CsvCol::of(Some(c.slot), rt), c.clone()))
            .collect();
        columns.sort_by_key(|c| c.0);
        let percent = columns
            .iter()
            .filter(|(_, k, c)| {
                !matches!(k, CsvCol::Unused | CsvCol::Ignored)
                    && c.unit.unit.is_none()
                    && matches!(rt.field(c.slot).map(|f| &f.ty), Some(Ty::Num(n)) if n.unit.is_percent())
            })
            .map(|(_, _, c)| (c.slot, 0, true, c.header.clone()))
            .collect();
        let reading = Reading {
            ty: h.ty,
            columns,
            percent,
            totals: super::totals::Totals::new(rt),
        };
        let rest: Vec<Row> = rows.into_iter().skip(h.last + 1).collect();
        self.sheet = Some((index, name, SheetState::Reading(reading)));
        for r in rest {
            self.row(r);
        }
    }

    fn row(&mut self, (r, cells): Row) {
        let Some((sheet, sheet_name, state)) = &mut self.sheet else {
            return;
        };
        match state {
            SheetState::Passing => {}
            SheetState::Scanning(rows) => {
                // Rows above the header (a title, notes, blank rows) are not records, as a CSV
                // header line is not; rows below it are read when the header is decided.
                rows.push((r, cells));
                if rows.len() >= SCAN_ROWS && self.header_row.is_none_or(|n| r >= n) {
                    if let Some((i, name, SheetState::Scanning(rows))) = self.sheet.take() {
                        self.decide(i, name, rows);
                    }
                }
            }
            SheetState::Reading(reading) => {
                if blank(&cells) {
                    self.skipped += 1;
                    return;
                }
                let total = cells
                    .iter()
                    .find(|c| !c.text.trim().is_empty())
                    .and_then(|c| total_kind(&c.text));
                let sheet = *sheet;
                let Some(rt) = self.records.get(reading.ty) else {
                    return;
                };
                let mut values = missing_values(rt.fields.len());
                let mut first_col = None;
                for c in &cells {
                    if c.text.trim().is_empty() {
                        continue;
                    }
                    first_col = Some(first_col.map_or(c.col, |f: u32| f.min(c.col)));
                    let Ok(at) = reading.columns.binary_search_by_key(&c.col, |x| x.0) else {
                        continue;
                    };
                    let Some((_, kind, column)) = reading.columns.get(at) else {
                        continue;
                    };
                    if matches!(kind, CsvCol::Unused | CsvCol::Ignored) {
                        continue;
                    }
                    let (Some(f), Some(dst)) =
                        (rt.fields.get(column.slot), values.get_mut(column.slot))
                    else {
                        continue;
                    };
                    *dst = read_cell(c, f, column);
                    if let (true, None, Some(p)) = (
                        c.number,
                        total,
                        reading.percent.iter_mut().find(|p| p.0 == column.slot),
                    ) {
                        p.1 += 1;
                        if let Value::Num(n) = dst {
                            // Held in base units: 1 (read as 1%) is 0.01.
                            if *n > rust_decimal::Decimal::new(1, 2) {
                                p.2 = false;
                            }
                        }
                    }
                }
                if let Some(subtotal) = total {
                    // A totals row is no record; where the policy marks fields `total`, it is
                    // checked against the rows above it.
                    self.skipped += 1;
                    if let Some(t) = &mut reading.totals {
                        let columns = &reading.columns;
                        let col_of =
                            |slot: usize| columns.iter().find(|c| c.2.slot == slot).map(|c| c.0);
                        let name = sheet_name.clone();
                        let found = t.check(
                            &rt.fields,
                            &self.path,
                            0,
                            subtotal,
                            |slot| Some((values.get(slot)?.clone(), col_of(slot)?)),
                            |d, col| {
                                prefix_sheet(d, &name, col, r + 1);
                                d.col = 0;
                            },
                        );
                        self.warnings.extend(found);
                    }
                    recycle(values);
                    return;
                }
                if let Some(t) = &mut reading.totals {
                    t.add(&values, r + 1);
                }
                let index = self.index;
                self.index += 1;
                self.pending.push_back(Item::Record(Record {
                    ty: reading.ty,
                    values,
                    loc: RecordLoc {
                        input: self.input,
                        index,
                        line: r + 1,
                        col: first_col.unwrap_or(0) + 1,
                        byte: u64::from(sheet),
                    },
                }));
            }
        }
    }

    fn finish(&mut self) -> Result<(), DataDiag> {
        self.end_sheet();
        if self.seen.iter().any(|(_, found)| *found) {
            return Ok(());
        }
        let names: Vec<String> = self.seen.iter().map(|(n, _)| format!("`{n}`")).collect();
        let expected: Vec<String> = match self.fixed {
            Some(t) => self.records.get(t).into_iter().collect::<Vec<_>>(),
            None => self
                .records
                .iter()
                .filter(|r| !r.element_only && self.scope.is_none_or(|p| r.policy == p))
                .collect(),
        }
        .into_iter()
        .map(|rt| {
            let labels: Vec<&str> = rt
                .fields
                .iter()
                .map(|f| f.label.as_deref().unwrap_or(&f.name))
                .collect();
            format!("{}：{}", rt.display_name(), labels.join("、"))
        })
        .collect();
        let (zh, en) = match (&self.named, names.is_empty()) {
            (Some(n), true) => (
                format!("工作簿中没有名为 `{n}` 的工作表"),
                format!("the workbook has no sheet named `{n}`"),
            ),
            (_, true) => (
                "工作簿没有可读的工作表".to_string(),
                "the workbook has no sheet to read".to_string(),
            ),
            _ => (
                format!(
                    "工作表 {} 的前 {SCAN_ROWS} 行中都找不到表头：没有一行的单元格是记录的字段名或标签",
                    names.join("、")
                ),
                format!(
                    "no header in the first {SCAN_ROWS} rows of sheet {}: no row names the fields of a record type",
                    names.join(", ")
                ),
            ),
        };
        let d = DataDiag::new("I0025", &self.path, 0, 0, zh, en).help(
            format!("表头应为字段的标签（{}）", expected.join("；")),
            format!(
                "the header should name the fields ({})",
                expected.join("; ")
            ),
        );
        Err(d.fatal())
    }
}

/// Locates a header diagnostic in its sheet: the message names the sheet and the cell.
fn prefix_sheet(d: &mut DataDiag, sheet: &str, col: u32, row: u32) {
    let at = format!("{sheet}!{}{row}", column_name(col));
    d.message.zh = format!("工作表 {at}：{}", d.message.zh);
    d.message.en = format!("sheet {at}: {}", d.message.en);
}

/// The unit a header gives its column (`补助资金（万元）`), or why it cannot be used.
#[derive(Debug, Clone)]
pub(crate) struct HeaderUnit {
    pub unit: Option<Unit>,
    pub bad: Option<(String, String)>,
}

/// A text cell of a column whose header gives a unit: bare numbers are in that unit; a number
/// with its own unit keeps it.
pub(crate) fn read_with_unit(t: &str, f: &Field, u: &HeaderUnit) -> Value {
    if let Some((zh, en)) = &u.bad {
        if !t.trim().is_empty() {
            return Value::invalid(t.trim(), zh.clone(), en.clone());
        }
    }
    match (&f.ty, &u.unit) {
        (Ty::Num(n), Some(unit)) if t.len() <= rows::MAX_CELL => {
            let t = t.trim();
            if t.is_empty() {
                Value::Missing
            } else {
                cell::parse_number(t, unit, n.int)
            }
        }
        _ => cell::parse_cell(t, f),
    }
}

/// Reads one cell into its field: with the header's unit for bare numbers, a date serial for a
/// number cell in a date column.
fn read_cell(c: &XCell, f: &Field, column: &Column) -> Value {
    if let (Ty::Date, true, None) = (&f.ty, c.number, &column.unit.bad) {
        if let Some(d) = serial_date(&c.text) {
            return Value::Date(d);
        }
    }
    read_with_unit(&c.text, f, &column.unit)
}

impl RecordSource for ExcelSource {
    fn next_batch(&mut self, max: usize, out: &mut Vec<Item>) -> Result<bool, DataDiag> {
        let mut n = 0;
        while n < max {
            if let Some(item) = self.pending.pop_front() {
                out.push(item);
                n += 1;
                continue;
            }
            // The records read before it are handed on first.
            if let Some(d) = self.fatal.take() {
                self.done = true;
                return Err(d);
            }
            if self.done {
                return Ok(false);
            }
            match self.rx.recv() {
                Ok(Msg::Sheet(i, name)) => {
                    self.end_sheet();
                    self.sheet = Some((i, name, SheetState::Scanning(Vec::new())));
                }
                Ok(Msg::Row(r)) => self.row(r),
                Ok(Msg::Passed(name)) => self.seen.push((name, false)),
                Ok(Msg::Failed(sheet, e)) => {
                    self.end_sheet();
                    let d = if sheet.is_empty() {
                        DataDiag::new(
                            "I0001",
                            &self.path,
                            0,
                            0,
                            format!("无法打开 Excel 文件：{e}"),
                            format!("cannot open the Excel file: {e}"),
                        )
                    } else {
                        self.diag(
                            0,
                            0,
                            format!("无法读取工作表 `{sheet}`：{e}"),
                            format!("cannot read the sheet `{sheet}`: {e}"),
                        )
                    };
                    // The records read before the failure are handed on first.
                    self.fatal = Some(d.fatal());
                }
                Err(_) => {
                    self.done = true;
                    self.finish()?;
                }
            }
        }
        Ok(!(self.done && self.pending.is_empty()))
    }

    fn warnings(&mut self) -> Vec<DataDiag> {
        std::mem::take(&mut self.warnings)
    }

    fn skipped(&self) -> u64 {
        self.skipped
    }
}

/// A part of a workbook larger than this, expanded, is refused whatever its ratio.
pub(crate) const MAX_PART: u64 = 4 << 30;

/// A part expanding to more than `BOMB_SIZE` bytes at more than `BOMB_RATIO` times its
/// compressed size is a zip bomb: real sheets compress 5 to 20 times (the benchmark's 1,000,000
/// rows: about 6).
pub(crate) const BOMB_SIZE: u64 = 64 << 20;
pub(crate) const BOMB_RATIO: u64 = 100;

/// `I0023` when the workbook's zip directory declares a part that no real workbook has. (A
/// directory that cannot be read is left to calamine, which says what is wrong with it.)
fn zip_bomb(path: &str, file: impl std::io::Read + std::io::Seek) -> Option<DataDiag> {
    let mut zip = zip::ZipArchive::new(file).ok()?;
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index_raw(i) else {
            continue;
        };
        let (size, packed) = (entry.size(), entry.compressed_size().max(1));
        if size > MAX_PART || (size > BOMB_SIZE && size / packed > BOMB_RATIO) {
            let name = entry.name().to_string();
            let mib = size >> 20;
            return Some(
                DataDiag::new(
                    "I0023",
                    path,
                    0,
                    0,
                    format!(
                        "工作簿的部件 `{name}` 解压后有 {mib} MiB，是压缩后的 {} 倍：不像真实的工作表（压缩比通常为 5–20 倍），文件不读取",
                        size / packed
                    ),
                    format!(
                        "the workbook part `{name}` expands to {mib} MiB, {} times its compressed size: no real sheet does (they compress 5 to 20 times); the file is not read",
                        size / packed
                    ),
                )
                .help(
                    "在电子表格程序中打开后另存为新文件；见 docs/limits.md",
                    "open it in a spreadsheet program and save it as a new file; see docs/limits.md",
                )
                .fatal(),
            );
        }
    }
    None
}

/// Opens a workbook input as a record stream.
pub(super) fn open(
    inputs: &dyn Inputs,
    index: usize,
    path: &str,
    sheet: Option<String>,
    program: &Program,
    ty: Option<usize>,
    scope: Option<usize>,
    header_row: Option<u32>,
    input: u32,
    run: Option<(u64, usize)>,
) -> Result<Box<dyn RecordSource>, DataDiag> {
    let file = inputs.open(index).map_err(|e| {
        DataDiag::new(
            "I0001",
            path,
            0,
            0,
            format!("无法打开 Excel 文件：{e}"),
            format!("cannot open the Excel file: {e}"),
        )
        .fatal()
    })?;
    let k = kind(path);
    if !matches!(k, Kind::Xls) {
        if let Some(d) = inputs
            .open(index)
            .ok()
            .and_then(|f| zip_bomb(path, BufReader::new(f)))
        {
            return Err(d);
        }
    }
    let (tx, rx) = sync_channel(CHANNEL_ROWS);
    let only = sheet.clone();
    let records = Arc::new(program.records.clone());
    let choose: Choose = Some((records.clone(), ty, scope, header_row));
    std::thread::Builder::new()
        .name("guiju-workbook".into())
        .spawn(move || {
            stream(file, k, only, choose, &tx);
        })
        .map_err(|e| {
            DataDiag::new(
                "I0001",
                path,
                0,
                0,
                format!("无法读取 Excel 文件：{e}"),
                format!("cannot read the Excel file: {e}"),
            )
            .fatal()
        })?;
    Ok(Box::new(ExcelSource {
        path: path.to_string(),
        input,
        rx,
        records,
        fixed: ty,
        scope,
        header_row,
        sheet: None,
        seen: Vec::new(),
        warnings: Vec::new(),
        skipped: 0,
        index: 0,
        pending: std::collections::VecDeque::new(),
        done: false,
        named: sheet,
        run,
        fatal: None,
    }))
}

// ------------------------------------------------------------------ places, for findings

/// Where a sheet's records are, for the findings about them: the sheet's name and the column of
/// each field.
#[derive(Debug, Clone)]
pub struct Place {
    pub sheet: String,
    /// Per slot of the record type: its column, where the header names it.
    pub columns: Vec<Option<u32>>,
}

type PlaceKey = (u64, usize, u32, usize);

/// The places the workbooks of runs under way found as they read: (run, input, sheet, record
/// type) → place. A run's entries are dropped when it ends (`forget`).
static FOUND: std::sync::Mutex<Vec<(PlaceKey, Arc<Place>)>> = std::sync::Mutex::new(Vec::new());

fn remember(key: PlaceKey, place: Arc<Place>) {
    if let Ok(mut f) = FOUND.lock() {
        f.push((key, place));
    }
}

/// Drops what run `run` remembered of its workbooks.
pub(crate) fn forget(run: u64) {
    if let Ok(mut f) = FOUND.lock() {
        f.retain(|(k, _)| k.0 != run);
    }
}

thread_local! {
    static PLACES: std::cell::RefCell<Vec<(PlaceKey, Arc<Place>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The place of sheet `sheet` of a workbook input for records of type `ty`: found again by reading
/// the sheet's first rows, once per thread, input and sheet.
pub fn place(input: &Reread, sheet: u32, ty: usize, program: &Program) -> Option<Arc<Place>> {
    let key = (input.key().0, input.key().1, sheet, ty);
    // Found by the reader: reading the workbook again would load its shared strings again (58 MB
    // for 1,000,000 rows of distinct identifiers), once per thread.
    if let Some(p) = FOUND
        .lock()
        .ok()
        .and_then(|f| f.iter().find(|(k, _)| *k == key).map(|(_, p)| p.clone()))
    {
        return Some(p);
    }
    if let Some(p) = PLACES.with(|p| {
        p.borrow()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    }) {
        return Some(p);
    }
    let file = input.open().ok()?;
    let (tx, rx) = sync_channel(CHANNEL_ROWS);
    let k = kind(input.name());
    // The sheet by index: its name comes first.
    std::thread::scope(|s| {
        s.spawn(move || {
            stream(file, k, None, None, &tx);
        });
        let mut name = None;
        let mut rows = Vec::new();
        let mut found = None;
        for msg in rx.iter() {
            match msg {
                Msg::Sheet(i, n) if i == sheet => name = Some(n),
                Msg::Sheet(..) if name.is_some() => break,
                Msg::Row(r) if name.is_some() => {
                    rows.push(r);
                    if rows.len() >= SCAN_ROWS {
                        break;
                    }
                }
                _ => {}
            }
        }
        // Dropping the receiver stops the thread at its next row.
        drop(rx);
        if let Some(n) = name {
            let h = find_header(&rows, &program.records, Some(ty), None, None);
            let nfields = program.records.get(ty).map_or(0, |r| r.fields.len());
            let mut columns = vec![None; nfields];
            for c in h.iter().flat_map(|h| &h.columns) {
                if let Some(x) = columns.get_mut(c.slot) {
                    *x = Some(c.col);
                }
            }
            found = Some(Arc::new(Place { sheet: n, columns }));
        }
        let p = found?;
        PLACES.with(|ps| {
            let mut ps = ps.borrow_mut();
            if ps.len() >= 16 {
                ps.remove(0);
            }
            ps.push((key, p.clone()));
        });
        Some(p)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_run_as_excel_names_them() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(16_383), "XFD");
    }

    #[test]
    fn a_number_shows_the_fifteen_digits_excel_shows() {
        assert_eq!(number_text(0.1 + 0.2), "0.3");
        assert_eq!(number_text(25.0), "25");
        assert_eq!(number_text(100.01), "100.01");
        assert_eq!(number_text(1234567.891), "1234567.891");
        assert_eq!(number_text(25.000000000000004), "25");
    }

    #[test]
    fn date_serials_are_days_from_excel_epoch() {
        assert_eq!(
            serial_date("42916"),
            chrono::NaiveDate::from_ymd_opt(2017, 6, 30)
        );
        assert_eq!(serial_date("42916.5"), None);
        assert_eq!(serial_date("12"), None);
    }
}
