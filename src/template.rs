//! Blank forms an agency fills in: a workbook (or CSV) built from a record type of a policy.
//!
//! The form's header is what `input` matches: each field's label (its name where it has none);
//! a bare number typed under it is read in the field's unit, which the header's note names. Enum and true/false columns get drop-downs of the labels the
//! reader accepts, date columns a date format, text columns the text format (so that `001` keeps
//! its zeros), required columns a marked header, and a 填表说明 sheet lists every field with the
//! rules that read it and their citations.

use crate::check::ir::{Citation, Field, Program, RecordType, Ty};
use crate::diag::Lang;
use rust_xlsxwriter::{
    Color, DataValidation, Format, FormatAlign, FormatBorder, Formula, Note, Workbook, Worksheet,
    XlsxError,
};

/// The last row index a sheet has (Excel's 1,048,576 rows, counted from 0).
const LAST_ROW: u32 = 1_048_575;

/// Excel refuses a drop-down list whose items, joined by commas, are longer than this.
const MAX_INLINE_LIST: usize = 255;

/// One column of a form: the field it fills, and what its header says.
#[derive(Debug, Clone)]
pub struct Column<'a> {
    /// The field's slot in its record type.
    pub slot: usize,
    /// The field.
    pub field: &'a Field,
    /// The header text: label (or name) and unit.
    pub header: String,
}

/// The columns of a form for record type `rt`, in declaration order. List fields are left out:
/// their records are nested, and only JSON carries them (the instructions say so).
pub fn columns(rt: &RecordType) -> Vec<Column<'_>> {
    rt.fields
        .iter()
        .enumerate()
        .filter(|(_, f)| !matches!(f.ty, Ty::List(_)))
        .map(|(slot, field)| Column {
            slot,
            field,
            header: header(field),
        })
        .collect()
}

/// The header of a field's column: its label (its name where it has none), exactly as the
/// reader matches it. The unit is said in the header's note and on the 填表说明 sheet.
pub fn header(field: &Field) -> String {
    field.label.as_deref().unwrap_or(&field.name).to_string()
}

/// A record type that a form can be made for: declared by a policy, not only the element of a
/// list field. Found by name or by label, qualified by policy where two policies share it
/// (`Program::record_type`).
pub fn record_type(program: &Program, name: &str) -> Option<usize> {
    program.record_type(name)
}

/// The record types a form can be made for, in declaration order.
pub fn record_types(program: &Program) -> Vec<usize> {
    program
        .records
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.element_only)
        .map(|(i, _)| i)
        .collect()
}

/// A blank CSV form: the header line alone, after a UTF-8 byte order mark so that Excel and WPS
/// open the Chinese headers as UTF-8.
pub fn csv(rt: &RecordType) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let cols = columns(rt);
    // Writing to a vector cannot fail; a failure would leave the line out, which the test sees.
    let _ = w.write_record(cols.iter().map(|c| c.header.as_str()));
    let line = w.into_inner().map(String::from_utf8);
    let line = match line {
        Ok(Ok(l)) => l,
        _ => String::new(),
    };
    format!("\u{feff}{line}")
}

/// A blank workbook form for record type `ty`: the data sheet first (named by the record type's
/// label), then 填表说明, and a hidden sheet of drop-down choices too long to be written inline.
pub fn xlsx(program: &Program, ty: usize, lang: Lang) -> Result<Vec<u8>, String> {
    build(program, ty, lang, &|_, _| Ok(())).map_err(|e| e.to_string())
}

/// What fills the data sheet below its header (nothing, for a blank form; the tests type
/// records into it).
type Fill<'f> = dyn Fn(&mut Worksheet, &[Column<'_>]) -> Result<(), XlsxError> + 'f;

fn build(program: &Program, ty: usize, lang: Lang, fill: &Fill<'_>) -> Result<Vec<u8>, XlsxError> {
    let Some(rt) = program.records.get(ty) else {
        return Err(XlsxError::ParameterError(format!("no record type {ty}")));
    };
    let cols = columns(rt);
    let mut wb = Workbook::new();
    let mut choices: Vec<(usize, Vec<String>)> = Vec::new();
    {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(rt.display_name()))?;
        data_sheet(ws, &cols, lang, &mut choices)?;
        fill(ws, &cols)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(words(lang, "填表说明", "Instructions"))?;
        instructions(ws, program, ty, &cols, lang)?;
    }
    if !choices.is_empty() {
        let ws = wb.add_worksheet();
        ws.set_name(CHOICES)?;
        for (c, (_, items)) in choices.iter().enumerate() {
            for (r, item) in items.iter().enumerate() {
                ws.write_string(r as u32, c as u16, item)?;
            }
        }
        ws.set_hidden(true);
    }
    wb.save_to_buffer()
}

/// The hidden sheet holding long lists of choices.
const CHOICES: &str = "选项";

fn words(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(label: &str) -> String {
    let s: String = label
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect();
    if s.trim().is_empty() {
        "data".into()
    } else {
        s
    }
}

/// The choices a reader accepts for a column, as a person picks them: enum labels (names where
/// a variant has none), 是/否 for true/false.
fn choices_of(field: &Field) -> Option<Vec<String>> {
    match &field.ty {
        Ty::Enum(def) => Some(
            def.variants
                .iter()
                .map(|(n, l)| l.clone().unwrap_or_else(|| n.clone()))
                .collect(),
        ),
        Ty::Bool => Some(vec!["是".into(), "否".into()]),
        _ => None,
    }
}

/// The number format of a column, so that what is typed is stored as the reader expects.
fn cell_format(field: &Field) -> Format {
    let f = Format::new();
    match &field.ty {
        Ty::Text | Ty::Enum(_) | Ty::Bool => f.set_num_format("@"),
        Ty::Date => f.set_num_format("yyyy-mm-dd"),
        Ty::DateTime => f.set_num_format("yyyy-mm-dd hh:mm"),
        Ty::Num(n) if n.int => f.set_num_format("0"),
        _ => f,
    }
}

fn data_sheet(
    ws: &mut Worksheet,
    cols: &[Column<'_>],
    lang: Lang,
    choices: &mut Vec<(usize, Vec<String>)>,
) -> Result<(), XlsxError> {
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin);
    let required = head.clone().set_background_color(Color::RGB(0xF8CBAD));
    let optional = head.set_background_color(Color::RGB(0xE7E6E6));
    for (c, col) in cols.iter().enumerate() {
        let c = c as u16;
        let fmt = if col.field.optional {
            &optional
        } else {
            &required
        };
        ws.set_column_format(c, &cell_format(col.field))?;
        ws.write_string_with_format(0, c, &col.header, fmt)?;
        let width = col
            .header
            .chars()
            .map(|ch| if ch.is_ascii() { 1.1 } else { 2.1 })
            .sum::<f64>();
        ws.set_column_width(c, width.clamp(10.0, 40.0))?;
        let note = Note::new(column_note(col.field, lang)).set_width(260);
        ws.insert_note(0, c, &note.add_author_prefix(false))?;
        if let Some(items) = choices_of(col.field) {
            let joined: usize = items.iter().map(|s| s.chars().count() + 1).sum();
            let dv = if joined <= MAX_INLINE_LIST && !items.iter().any(|s| s.contains(',')) {
                DataValidation::new().allow_list_strings(&items)?
            } else {
                let k = choices.len();
                let letter = column_letter(k as u16);
                let range = format!("={CHOICES}!${letter}$1:${letter}${}", items.len().max(1));
                choices.push((col.slot, items));
                DataValidation::new().allow_list_formula(Formula::new(range))
            };
            let dv = dv
                .set_error_title(words(lang, "不是可选值", "Not a choice"))?
                .set_error_message(words(
                    lang,
                    "请从下拉列表中选择。",
                    "Pick a value from the list.",
                ))?;
            ws.add_data_validation(1, c, LAST_ROW, c, &dv)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.set_row_height(0, 32)?;
    Ok(())
}

/// What a header's note tells the person filling the column.
fn column_note(field: &Field, lang: Lang) -> String {
    let (zh, en) = field.ty.describe();
    let need = match (field.optional, lang) {
        (false, Lang::Zh) => "必填",
        (true, Lang::Zh) => "选填",
        (false, Lang::En) => "required",
        (true, Lang::En) => "optional",
    };
    let ty = match lang {
        Lang::Zh => zh,
        Lang::En => en,
    };
    let mut s = format!("{ty}，{need}");
    if let Some(h) = hint(field, lang) {
        s.push('\n');
        s.push_str(&h);
    }
    s
}

/// How to write a value of the field, with an example.
fn hint(field: &Field, lang: Lang) -> Option<String> {
    Some(match (&field.ty, lang) {
        (Ty::Date, Lang::Zh) => "日期，如 2017-05-23".into(),
        (Ty::Date, Lang::En) => "a date, e.g. 2017-05-23".into(),
        (Ty::DateTime, Lang::Zh) => "时间，如 2017-05-23 08:30".into(),
        (Ty::DateTime, Lang::En) => "a date and time, e.g. 2017-05-23 08:30".into(),
        (Ty::Bool, Lang::Zh) => "填 是 或 否".into(),
        (Ty::Bool, Lang::En) => "是 (yes) or 否 (no)".into(),
        (Ty::Enum(_), Lang::Zh) => "从下拉列表中选择".into(),
        (Ty::Enum(_), Lang::En) => "pick from the list".into(),
        (Ty::Num(n), Lang::Zh) if !n.unit.name.is_empty() => format!(
            "以 {} 为单位填数字；也可连单位填写（如 100{}）",
            n.unit.name, n.unit.name
        ),
        (Ty::Num(n), Lang::En) if !n.unit.name.is_empty() => format!(
            "a number in {}, or a number with its unit (e.g. 100{})",
            n.unit.name, n.unit.name
        ),
        (Ty::Num(n), Lang::Zh) if n.int => "整数".into(),
        (Ty::Num(n), Lang::En) if n.int => "a whole number".into(),
        _ => return None,
    })
}

/// `A`, `B`, …, `Z`, `AA`, … for a 0-based column.
fn column_letter(c: u16) -> String {
    let mut n = u32::from(c) + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = ((n - 1) % 26) as u8;
        s.push(char::from(b'A' + r));
        n = (n - 1) / 26;
    }
    s.iter().rev().collect()
}

fn instructions(
    ws: &mut Worksheet,
    program: &Program,
    ty: usize,
    cols: &[Column<'_>],
    lang: Lang,
) -> Result<(), XlsxError> {
    let Some(rt) = program.records.get(ty) else {
        return Ok(());
    };
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xD9E1F2))
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let body = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);
    let policies: Vec<String> = program
        .policies
        .iter()
        .map(|p| match &p.document {
            Some(d) => format!("{}（{d}）", p.title),
            None => p.title.clone(),
        })
        .collect();
    let mut row = 0u32;
    ws.write_string_with_format(
        row,
        0,
        format!(
            "{}{}",
            rt.display_name(),
            words(lang, " 填表说明", " — how to fill in this form")
        ),
        &title,
    )?;
    row += 1;
    let lines: Vec<String> = match lang {
        Lang::Zh => vec![
            format!("依据：{}", policies.join("；")),
            format!(
                "在“{}”工作表中每行填一条记录；第一行是表头，请勿修改或删除。",
                sheet_name(rt.display_name())
            ),
            "表头为红色的列必填，灰色的列选填；不知道的值请留空，不要填 0 或“无”。".into(),
            "带下拉箭头的列请从列表中选择；日期列按 2017-05-23 填写。".into(),
            "填好后运行：guiju check 策略文件 --data 本文件.xlsx".into(),
        ],
        Lang::En => vec![
            format!("Policy: {}", policies.join("; ")),
            format!(
                "Fill in one record per row of the sheet “{}”; the first row is the header: do not change or delete it.",
                sheet_name(rt.display_name())
            ),
            "Columns with a red header are required, grey ones optional; leave a value you do not know empty, never 0 or “none”.".into(),
            "Columns with a drop-down take a value from the list; dates are written 2017-05-23.".into(),
            "Then run: guiju check POLICY --data this-file.xlsx".into(),
        ],
    };
    for l in lines {
        ws.write_string(row, 0, l)?;
        row += 1;
    }
    let lists: Vec<&Field> = rt
        .fields
        .iter()
        .filter(|f| matches!(f.ty, Ty::List(_)))
        .collect();
    for f in lists {
        let label = f.label.as_deref().unwrap_or(&f.name);
        ws.write_string(
            row,
            0,
            match lang {
                Lang::Zh => format!("“{label}”是逐条列出的明细，只能以 JSON 提交，本表不含此列。"),
                Lang::En => format!(
                    "“{label}” is a list of nested records: only JSON carries it, so this form has no column for it."
                ),
            },
        )?;
        row += 1;
    }
    row += 1;
    let heads: [&str; 9] = match lang {
        Lang::Zh => [
            "列",
            "表头",
            "字段标识",
            "类型",
            "必填",
            "填写方法",
            "可选值",
            "使用该字段的规则",
            "依据",
        ],
        Lang::En => [
            "Column",
            "Header",
            "Field",
            "Type",
            "Required",
            "How to write it",
            "Choices",
            "Rules that read it",
            "Citations",
        ],
    };
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(row, c as u16, *h, &head)?;
    }
    row += 1;
    let uses = field_uses(program, ty);
    for (i, col) in cols.iter().enumerate() {
        let (zh, en) = col.field.ty.describe();
        let (rules, cites) = uses.get(col.slot).cloned().unwrap_or_default();
        let cells = [
            column_letter(i as u16),
            col.header.clone(),
            col.field.name.clone(),
            match lang {
                Lang::Zh => zh,
                Lang::En => en,
            },
            match (col.field.optional, lang) {
                (false, Lang::Zh) => "是".into(),
                (true, Lang::Zh) => "否".into(),
                (false, Lang::En) => "yes".into(),
                (true, Lang::En) => "no".into(),
            },
            hint(col.field, lang).unwrap_or_default(),
            choices_of(col.field)
                .map(|c| c.join(words(lang, "、", ", ")))
                .unwrap_or_default(),
            rules.join("\n"),
            cites.join("\n"),
        ];
        for (c, v) in cells.iter().enumerate() {
            ws.write_string_with_format(row, c as u16, v, &body)?;
        }
        row += 1;
    }
    for (c, w) in [6.0, 22.0, 18.0, 14.0, 6.0, 28.0, 24.0, 40.0, 60.0]
        .iter()
        .enumerate()
    {
        ws.set_column_width(c as u16, *w)?;
    }
    Ok(())
}

/// Per slot of record type `ty`: the rules that read the field (id and title), and their
/// citations, each once.
fn field_uses(program: &Program, ty: usize) -> Vec<(Vec<String>, Vec<String>)> {
    let n = program.records.get(ty).map_or(0, |r| r.fields.len());
    let mut uses: Vec<(Vec<String>, Vec<String>)> = vec![Default::default(); n];
    for rule in program.rules.iter().filter(|r| r.record == ty) {
        let mut slots = Vec::new();
        rule.walk(&mut |x| {
            if let crate::check::ir::ExprKind::Field(s) = x.kind {
                slots.push(s);
            }
        });
        slots.sort_unstable();
        slots.dedup();
        let name = match &rule.title {
            Some(t) => format!("{}（{t}）", rule.shown_id),
            None => rule.shown_id.clone(),
        };
        for s in slots {
            if let Some((rules, cites)) = uses.get_mut(s) {
                rules.push(name.clone());
                for c in &rule.citations {
                    let c = Citation::render(c);
                    if !c.is_empty() && !cites.contains(&c) {
                        cites.push(c);
                    }
                }
            }
        }
    }
    uses
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::units::Unit;
    use crate::input::{InputSpec, Item, MemoryInputs};
    use crate::value::Value;
    use rust_decimal::prelude::ToPrimitive;
    use rust_decimal::Decimal;
    use rust_xlsxwriter::ExcelDateTime;

    /// Types `v` into a cell of `field`'s column as a person would: numbers in the column's unit
    /// as number cells, dates as date cells, choices by their label, text as text.
    fn type_value(
        ws: &mut Worksheet,
        r: u32,
        c: u16,
        field: &Field,
        v: &Value,
    ) -> Result<(), XlsxError> {
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm");
        match (v, &field.ty) {
            (Value::Missing, _) => {}
            (Value::Text(t), _) => {
                ws.write_string(r, c, t.as_str())?;
            }
            (Value::Num(n), Ty::Num(t)) => {
                let shown = in_unit(*n, &t.unit);
                ws.write_number(r, c, shown.to_f64().unwrap_or(f64::NAN))?;
            }
            (Value::Bool(b), _) => {
                ws.write_string(r, c, if *b { "是" } else { "否" })?;
            }
            (Value::Date(d), _) => {
                let d = ExcelDateTime::parse_from_str(&d.to_string())?;
                ws.write_datetime_with_format(r, c, &d, &date)?;
            }
            (Value::DateTime(d), _) => {
                let d = ExcelDateTime::parse_from_str(&d.format("%Y-%m-%dT%H:%M:%S").to_string())?;
                ws.write_datetime_with_format(r, c, &d, &datetime)?;
            }
            (Value::Enum(i), Ty::Enum(def)) => {
                ws.write_string(r, c, def.label(*i))?;
            }
            (other, _) => panic!("no cell for {other:?} in {}", field.name),
        }
        Ok(())
    }

    /// A value in base units, written in `unit` (12.34 for 123,400 元 in a 万元 column).
    fn in_unit(n: Decimal, unit: &Unit) -> Decimal {
        if unit.scale.is_zero() {
            n
        } else {
            n / unit.scale
        }
    }

    /// A value of every kind a column takes, for record types no example fills.
    fn sample(field: &Field) -> Value {
        match &field.ty {
            Ty::Text => Value::Text("示例".into()),
            Ty::Num(n) if n.int => Value::Num(Decimal::from(3) * n.unit.scale),
            Ty::Num(n) => Value::Num(Decimal::new(1225, 2) * n.unit.scale),
            Ty::Bool => Value::Bool(true),
            Ty::Date => Value::Date(chrono::NaiveDate::from_ymd_opt(2017, 5, 23).unwrap()),
            Ty::DateTime => Value::DateTime(
                chrono::NaiveDate::from_ymd_opt(2017, 5, 23)
                    .unwrap()
                    .and_hms_opt(8, 30, 0)
                    .unwrap(),
            ),
            Ty::Enum(def) => Value::Enum(u16::try_from(def.variants.len() - 1).unwrap()),
            _ => Value::Missing,
        }
    }

    fn library() -> Vec<(String, Program)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
        let mut files: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "gj"))
            .collect();
        files.sort();
        assert!(files.len() >= 20, "the shipped library");
        files
            .into_iter()
            .map(|p| {
                let name = p.to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&p).unwrap();
                let c = crate::check::compile(vec![(name.clone(), text)], &crate::fs::FsResolver);
                (name, c.program.unwrap())
            })
            .collect()
    }

    /// Every record type of the library: its form, with the policy's example records of that
    /// type (or a sample row) typed in, reads back as exactly those values.
    #[test]
    fn every_form_of_the_library_reads_back_what_was_typed_into_it() {
        let mut forms = 0;
        for (name, program) in library() {
            for ty in record_types(&program) {
                let rt = &program.records[ty];
                let mut rows: Vec<Vec<Value>> = program
                    .examples
                    .iter()
                    .flat_map(|e| e.records.iter())
                    .filter(|r| r.ty == ty)
                    .map(|r| r.values.clone())
                    .collect();
                if rows.is_empty() {
                    rows.push(rt.fields.iter().map(sample).collect());
                }
                let bytes = build(&program, ty, Lang::Zh, &|ws, cols| {
                    for (r, row) in rows.iter().enumerate() {
                        for (c, col) in cols.iter().enumerate() {
                            let v = row.get(col.slot).unwrap_or(&Value::Missing);
                            type_value(ws, r as u32 + 1, c as u16, col.field, v)?;
                        }
                    }
                    Ok(())
                })
                .unwrap();
                forms += 1;
                let spec = InputSpec {
                    path: format!("form-{forms}.xlsx"),
                    record_type: Some(rt.name.clone()),
                    encoding: None,
                    sheet: None,
                    header_row: None,
                };
                let inputs = MemoryInputs::new().with_spec(spec, bytes);
                let mut src = crate::input::open(&inputs, 0, &program)
                    .unwrap_or_else(|d| panic!("{name} {}: {d:?}", rt.name));
                let mut items = Vec::new();
                while src
                    .next_batch(64, &mut items)
                    .unwrap_or_else(|d| panic!("{name} {}: {d:?}", rt.name))
                {}
                let read: Vec<Vec<Value>> = items
                    .into_iter()
                    .map(|it| match it {
                        Item::Record(r) => r.values,
                        Item::Bad(d) => panic!("{name} {}: {d:?}", rt.name),
                    })
                    .collect();
                assert_eq!(read.len(), rows.len(), "{name} {}", rt.name);
                for (got, typed) in read.iter().zip(&rows) {
                    for col in columns(rt) {
                        // The reader leaves the fields no rule reads unconverted.
                        if !rt.used.get(col.slot).copied().unwrap_or(true) {
                            continue;
                        }
                        assert_eq!(
                            got.get(col.slot),
                            typed.get(col.slot),
                            "{name} {}: column {}",
                            rt.name,
                            col.header
                        );
                    }
                }
            }
        }
        assert!(
            forms >= 100,
            "forms for the library's record types: {forms}"
        );
    }

    #[test]
    fn column_letters_run_past_z() {
        let got: Vec<String> = [0u16, 25, 26, 51, 52, 701, 702]
            .iter()
            .map(|c| column_letter(*c))
            .collect();
        assert_eq!(got, ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]);
    }

    #[test]
    fn sheet_names_are_ones_excel_accepts() {
        assert_eq!(sheet_name("搬迁户"), "搬迁户");
        assert_eq!(sheet_name("a/b:c"), "a_b_c");
        assert_eq!(sheet_name(&"长".repeat(40)).chars().count(), 31);
    }
}
