//! The human view: editor-style reports drawn by ariadne. The only file that knows ariadne.

use super::{Finding, Sink, Summary};
use crate::diag::{Diagnostic, Lang, Level};
use crate::input::{DataDiag, Reread};
use crate::source::SourceMap;
use crate::vocab::{Outcome, Severity};
use ariadne::{Color, Config, IndexType, Label, Report, ReportKind, Source};
use std::io::Write;
use std::ops::Range;

/// Options shared by every human rendering.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// The language of messages.
    pub lang: Lang,
    /// Whether to colour the report (ANSI escapes).
    pub color: bool,
}

fn config(style: Style) -> Config {
    // Spans are byte offsets everywhere in guiju. ariadne's byte mode (IndexType::Byte) mislocates a
    // report's second source and can panic inside a Chinese character (ariadne 0.5–0.6, write.rs
    // uses a label's char offset as a byte offset), so byte spans are converted to character
    // offsets here, exactly, and ariadne counts characters.
    Config::default()
        .with_index_type(IndexType::Char)
        .with_color(style.color)
}

/// A byte range of `text` as a character range, which is what ariadne is given.
fn chars(text: &str, r: Range<usize>) -> Range<usize> {
    let count = |b: usize| {
        let mut b = b.min(text.len());
        while !text.is_char_boundary(b) {
            b -= 1;
        }
        text.get(..b).map(|t| t.chars().count()).unwrap_or(0)
    };
    count(r.start)..count(r.end)
}

type Id = String;

struct Cache {
    files: Vec<(Id, Source<String>)>,
}

impl ariadne::Cache<Id> for Cache {
    type Storage = String;

    fn fetch(&mut self, id: &Id) -> Result<&Source<String>, impl std::fmt::Debug> {
        self.files
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, s)| s)
            .ok_or_else(|| format!("no source {id}"))
    }

    fn display<'a>(&self, id: &'a Id) -> Option<impl std::fmt::Display + 'a> {
        Some(id.clone())
    }
}

/// Writes `report`; `renumber`: the data file's id and how many lines come before its snippet
/// (see [`renumber`]).
/// What a report is, as its first word says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Frame {
    Error,
    Warning,
    Advice,
    Pending,
    Unknown,
}

/// The report kind ariadne writes for `frame` in `lang`. ariadne's own kinds are English; a
/// Chinese report names its kind itself (the notes and help are put into Chinese after
/// rendering, by `zh_frame`).
fn report_kind(frame: Frame, lang: Lang) -> ReportKind<'static> {
    match (frame, lang) {
        (Frame::Error, Lang::En) => ReportKind::Error,
        (Frame::Warning, Lang::En) => ReportKind::Warning,
        (Frame::Advice, Lang::En) => ReportKind::Advice,
        (Frame::Pending, Lang::En) => ReportKind::Custom("Pending", Color::Cyan),
        (Frame::Unknown, Lang::En) => ReportKind::Custom("Unknown", Color::Yellow),
        (Frame::Error, Lang::Zh) => ReportKind::Custom("错误", Color::Red),
        (Frame::Warning, Lang::Zh) => ReportKind::Custom("警告", Color::Yellow),
        (Frame::Advice, Lang::Zh) => ReportKind::Custom("提示", Color::Fixed(147)),
        (Frame::Pending, Lang::Zh) => ReportKind::Custom("待定", Color::Cyan),
        (Frame::Unknown, Lang::Zh) => ReportKind::Custom("未知", Color::Yellow),
    }
}

/// The words ariadne writes itself, and what a Chinese report says instead.
const ZH_FRAME_WORDS: [(&str, &str); 2] = [("Note", "注"), ("Help", "帮助")];
const ZH_KINDS: [&str; 5] = ["错误", "警告", "提示", "待定", "未知"];

/// `l` with the frame word `word` replaced by `zh` and its colon made full-width, if `word`
/// stands at the start of the line's text (after the gutter, or after the code on the first
/// line) and is followed by (colour escapes,) an optional ` N` and `: `.
fn replace_frame_word(l: &str, word: &str, zh: &str) -> Option<String> {
    let i = l.find(word)?;
    // Only gutter characters and colour may stand before the word, or the code `[V0001] `.
    let before = strip_ansi(l.get(..i)?.as_bytes());
    let before = String::from_utf8_lossy(&before);
    let gutter = before.trim_end().ends_with('│') && before.chars().all(|c| c == ' ' || c == '│');
    let code = before.starts_with('[')
        && before.trim_end().ends_with(']')
        && before
            .chars()
            .all(|c| c == ' ' || c == '[' || c == ']' || c.is_ascii_alphanumeric());
    if !gutter && !code {
        return None;
    }
    let rest = l.get(i + word.len()..)?.as_bytes();
    // ` 2` (the note's number) and colour, up to the colon.
    let mut j = 0;
    while let Some(&c) = rest.get(j) {
        let k = skip_escape(rest, j);
        if k > j {
            j = k;
        } else if c == b' ' || c.is_ascii_digit() {
            j += 1;
        } else {
            break;
        }
    }
    if rest.get(j) != Some(&b':') {
        return None;
    }
    // Colour may end between the colon and its space.
    let mut k = j + 1;
    while skip_escape(rest, k) > k {
        k = skip_escape(rest, k);
    }
    if rest.get(k) != Some(&b' ') {
        return None;
    }
    let text = |r: std::ops::Range<usize>| {
        String::from_utf8_lossy(rest.get(r).unwrap_or_default()).into_owned()
    };
    Some(format!(
        "{}{zh}{}：{}{}",
        l.get(..i)?,
        text(0..j),
        text(j + 1..k),
        text(k + 1..rest.len())
    ))
}

/// A rendered report in Chinese: `Note 1: ` as `注 1：`, `Help: ` as `帮助：`, and the colon
/// after the report's kind full-width. Only the frame's own words are touched: a word in a data
/// cell or a message stands after other text on its line.
fn zh_frame(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (n, l) in text.split_inclusive('\n').enumerate() {
        let done = if n == 0 {
            ZH_KINDS.iter().find_map(|k| replace_frame_word(l, k, k))
        } else {
            ZH_FRAME_WORDS
                .iter()
                .find_map(|(en, zh)| replace_frame_word(l, en, zh))
        };
        out.push_str(done.as_deref().unwrap_or(l));
    }
    out
}

fn write_report(
    out: &mut dyn Write,
    report: Report<'_, (Id, Range<usize>)>,
    cache: Cache,
    style: Style,
    renumber_data: Option<(&str, usize)>,
) {
    let mut buf = Vec::new();
    if report.write(cache, &mut buf).is_ok() {
        if !style.color {
            // ariadne colours custom report kinds even when colour is off.
            buf = strip_ansi(&buf);
        }
        if style.lang == Lang::Zh {
            buf = zh_frame(&String::from_utf8_lossy(&buf)).into_bytes();
        }
        if let Some((id, before)) = renumber_data.filter(|(_, before)| *before > 0) {
            buf = renumber(&buf, id, before).into_bytes();
        }
        let _ = out.write_all(&buf);
    }
}

/// A Chinese frame's notes, numbered, under a title ariadne drew without a body.
fn bare_notes(notes: &[String]) -> String {
    let mut out = String::new();
    for (i, n) in notes.iter().enumerate() {
        let head = if notes.len() == 1 {
            "注：".to_string()
        } else {
            format!("注 {}：", i + 1)
        };
        let pad = " ".repeat(unicode_width::UnicodeWidthStr::width(head.as_str()));
        out.push_str("   │\n");
        for (j, line) in n.lines().enumerate() {
            out.push_str("   │ ");
            out.push_str(if j == 0 { &head } else { &pad });
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str("───╯\n");
    out
}

/// Skips an ANSI escape sequence starting at `i` of `b`: where it ends, or `i`.
fn skip_escape(b: &[u8], i: usize) -> usize {
    if b.get(i) != Some(&0x1b) || b.get(i + 1) != Some(&b'[') {
        return i;
    }
    let mut j = i + 2;
    while let Some(&d) = b.get(j) {
        j += 1;
        if d.is_ascii_alphabetic() {
            break;
        }
    }
    j
}

/// `家庭人口 = 4人`: a field that decided a finding, by its label in Chinese (its name in
/// English), with the value the explanation shows, else the value read, else `missing`.
fn field_said(f: &Finding, fr: &crate::report::FieldRef, lang: Lang, missing: &str) -> String {
    let name = match lang {
        Lang::Zh => fr.label.as_deref().unwrap_or(&fr.name),
        Lang::En => &fr.name,
    };
    let shown = f
        .values
        .get(&fr.name)
        .map(|m| m.get(lang).to_string())
        .or_else(|| fr.value.clone())
        .unwrap_or_else(|| missing.to_string());
    format!("{name} = {shown}")
}

/// Puts the file's own line numbers in the gutter of a data snippet rendered from line 1.
///
/// ariadne (0.6, and its main branch) applies a source's display line offset to the header
/// (`file:line:col`) but not to the gutter, which numbers the source's lines from 1. Padding the
/// snippet with that many empty lines made every finding cost time in proportion to its line
/// number (91 s for the 79,000 findings of a 1,000,000-record file). Instead the snippet is
/// rendered from line 1 and its gutter numbers are rewritten here: the section of the data
/// file (`id`) gets `before` added to each number, and every line of the report widens its
/// gutter by as many columns as the largest number needs beyond ariadne's width.
fn renumber(buf: &[u8], id: &str, before: usize) -> String {
    let text = String::from_utf8_lossy(buf);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // Each line as shown, without colour.
    let plain: Vec<String> = lines
        .iter()
        .map(|l| String::from_utf8_lossy(&strip_ansi(l.as_bytes())).into_owned())
        .collect();
    // ariadne's gutter: the first section header is that many spaces and two more.
    let Some(width) = plain.iter().find_map(|p| {
        let k = p.find('╭')?;
        p.get(..k)
            .filter(|s| s.bytes().all(|b| b == b' '))
            .map(|s| s.len().saturating_sub(2))
    }) else {
        return text.into_owned();
    };
    let is_numbered = |p: &str| {
        let t = p.trim_start_matches(' ');
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        digits > 0 && t.get(digits..).is_some_and(|r| r.starts_with(" │"))
    };
    let number_of = |p: &str| -> Option<usize> {
        p.trim_start_matches(' ')
            .split(' ')
            .next()
            .and_then(|n| n.parse().ok())
    };
    // Per line, whether it is in the data file's section: a section starts at its header.
    let header = format!("[ {id}:");
    let in_data: Vec<bool> = plain
        .iter()
        .scan(false, |in_data, p| {
            if p.contains("╭─[") || p.contains("├─[") {
                *in_data = p.contains(&header);
            }
            Some(*in_data)
        })
        .collect();
    // The widest number the data section will show.
    let widest = plain
        .iter()
        .zip(&in_data)
        .filter(|(p, d)| **d && is_numbered(p))
        .map(|(p, _)| number_of(p).unwrap_or(0) + before)
        .max()
        .unwrap_or(0);
    let new_width = width.max(widest.to_string().len());
    let extra = new_width - width;
    let mut out = String::with_capacity(text.len() + lines.len() * extra);
    for (i, ((l, p), in_data)) in lines.iter().zip(&plain).zip(&in_data).enumerate() {
        if i == 0 {
            out.push_str(l);
            continue;
        }
        let b = l.as_bytes();
        if is_numbered(p) {
            // ` {spaces}{number} │`, the spaces and number perhaps inside a colour's escapes.
            let mut j = 0;
            let mut start = None;
            while j < b.len() {
                let k = skip_escape(b, j);
                if k > j {
                    j = k;
                    continue;
                }
                match b.get(j) {
                    Some(b' ') if start.is_none() && j > 0 => start = Some(j),
                    Some(c) if c.is_ascii_digit() => break,
                    Some(b' ') => {}
                    _ => start = None,
                }
                j += 1;
            }
            let digits_end = j + b
                .get(j..)
                .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count());
            let n = number_of(p).unwrap_or(0) + if *in_data { before } else { 0 };
            let from = start.unwrap_or(j);
            out.push_str(l.get(..from).unwrap_or_default());
            out.push_str(&format!("{n:>new_width$}"));
            out.push_str(l.get(digits_end..).unwrap_or_default());
        } else if extra > 0 && p.starts_with('─') {
            let k = l.find('─').unwrap_or(0);
            out.push_str(l.get(..k).unwrap_or_default());
            out.push_str(&"─".repeat(extra));
            out.push_str(l.get(k..).unwrap_or_default());
        } else if extra > 0 {
            out.push_str(&" ".repeat(extra));
            out.push_str(l);
        } else {
            out.push_str(l);
        }
    }
    out
}

fn strip_ansi(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let next = skip_escape(b, i);
        if next > i {
            i = next;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// A data snippet as a source: its own text, its lines numbered from the file's (the gutter's
/// numbers are put right by [`renumber`]).
fn data_source(s: &crate::input::Snippet) -> Source<String> {
    Source::from(s.text.clone()).with_display_line_offset(s.first_line.saturating_sub(1))
}

/// The display columns a data line may take in a report before it is shown as the cells that
/// matter: with ariadne's gutter and a label's message beside it, a report then fits 120.
const ROW_COLUMNS: usize = 80;

/// A one-line record too wide to show whole (a roster of 50 columns): the cells that decided
/// the finding, each after its header, `家庭人口 2 ┊ 住房建筑面积 60`, with the character range of
/// each value in it (in the order of `cells`); a record with no such cell shows its first
/// columns and `…`. `None` when the record is narrow enough, or spans several lines (JSON).
fn fitted_row(
    s: &crate::input::Snippet,
    cells: &[(String, Range<usize>)],
    lang: Lang,
) -> Option<(String, Vec<Range<usize>>)> {
    use unicode_width::UnicodeWidthStr;
    let line = s.text.get(s.record.clone())?.trim_end_matches(['\r', '\n']);
    if line.contains('\n') || line.width() <= ROW_COLUMNS {
        return None;
    }
    let mut text = String::new();
    let empty = match lang {
        Lang::Zh => "（空）",
        Lang::En => "(empty)",
    };
    let mut order: Vec<usize> = (0..cells.len()).collect();
    order.sort_by_key(|&i| cells.get(i).map(|c| c.1.start));
    let mut placed: Vec<(usize, Range<usize>)> = Vec::new();
    for i in order {
        let Some((header, r)) = cells.get(i) else {
            continue;
        };
        // A cell two fields share (rare) is shown once.
        if let Some((_, at)) = placed
            .iter()
            .find(|(j, _)| cells.get(*j).map(|c| &c.1) == Some(r))
        {
            let at = at.clone();
            placed.push((i, at));
            continue;
        }
        if !text.is_empty() {
            text.push_str(" ┊ ");
        }
        text.push_str(header);
        text.push(' ');
        let value = s.text.get(r.clone()).map(str::trim).unwrap_or_default();
        let value = if value.is_empty() { empty } else { value };
        let value: String = crate::value::shorten(value).into_owned();
        let start = text.chars().count();
        text.push_str(&value);
        placed.push((i, start..text.chars().count()));
    }
    if text.is_empty() {
        let mut shown = 0;
        for c in line.chars() {
            shown += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if shown > ROW_COLUMNS - 2 {
                break;
            }
            text.push(c);
        }
        text.push_str(" …");
        return Some((text.clone(), Vec::new()));
    }
    placed.sort_by_key(|(i, _)| *i);
    Some((text, placed.into_iter().map(|(_, r)| r).collect()))
}

/// Breaks a note into lines of at most `columns` display columns (a long explanation beside a
/// label would make the report wider than a terminal).
fn wrap(text: &str, columns: usize) -> String {
    wrap_indented(text, columns, "")
}

/// `wrap`, with each line after the first starting with `indent`.
fn wrap_indented(text: &str, columns: usize, indent: &str) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut width = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if c == '\n' {
            width = 0;
        } else if width + w > columns && c != '）' && c != '，' && c != '。' {
            out.push('\n');
            out.push_str(indent);
            width = indent.len();
        }
        out.push(c);
        width += w;
    }
    out
}

/// Renders policy diagnostics (E/W codes).
pub fn render_diagnostics(
    out: &mut dyn Write,
    diags: &[Diagnostic],
    sources: &SourceMap,
    style: Style,
) {
    let files: Vec<(Id, Source<String>)> = sources
        .iter()
        .map(|(_, f)| (f.name.clone(), Source::from(f.text.clone())))
        .collect();
    for d in diags {
        let kind = match d.level {
            Level::Error => report_kind(Frame::Error, style.lang),
            Level::Warning => report_kind(Frame::Warning, style.lang),
        };
        let primary = d.primary_span().unwrap_or_default();
        let name = sources.name(primary.source).to_string();
        let ptext = sources.text(primary.source);
        let mut rb = Report::build(kind, (name, chars(ptext, primary.range())))
            .with_config(config(style))
            .with_code(d.code)
            .with_message(d.message.get(style.lang));
        for (i, l) in d.labels.iter().enumerate() {
            let mut label = Label::new((
                sources.name(l.span.source).to_string(),
                chars(sources.text(l.span.source), l.span.range()),
            ));
            if let Some(m) = &l.message {
                label = label.with_message(m.get(style.lang));
            } else if i == 0 {
                label = label.with_message(d.message.get(style.lang));
            }
            if style.color {
                label = label.with_color(if i == 0 { Color::Red } else { Color::Blue });
            }
            rb = rb.with_label(label);
        }
        for n in &d.notes {
            rb = rb.with_note(n.get(style.lang));
        }
        if let Some(h) = &d.help {
            rb = rb.with_help(h.get(style.lang));
        }
        let cache = Cache {
            files: files.iter().map(|(i, s)| (i.clone(), s.clone())).collect(),
        };
        write_report(out, rb.finish(), cache, style, None);
    }
}

/// Reads lines of data files for their problems: one file open at a time, read forward only,
/// since problems come in input order. A problem late in a large file costs reading up to it
/// once, and memory for one line, not the file.
#[derive(Default)]
pub struct DataLines {
    /// Which input of which run `reader` reads.
    key: Option<(u64, usize)>,
    reader: Option<std::io::BufReader<Box<dyn crate::input::ReadSeek + Send>>>,
    /// The line `reader` reads next (1-based).
    next: u64,
}

/// At most this much of a line is shown.
const LINE_LIMIT: usize = 4096;

impl DataLines {
    /// Line `line` (1-based) of `input`, without its line break; `None` when the input cannot
    /// be read or is shorter.
    pub fn get(&mut self, input: &Reread, line: u64) -> Option<String> {
        use std::io::BufRead;
        if line == 0 {
            return None;
        }
        if self.reader.is_none() || self.key != Some(input.key()) || line < self.next {
            self.key = Some(input.key());
            self.reader = None;
            self.reader = Some(std::io::BufReader::new(input.open_text().ok()?));
            self.next = 1;
        }
        let reader = self.reader.as_mut()?;
        let mut buf = Vec::new();
        // No line a reader took is longer than this: a longer one is not looked for further
        // (`/dev/zero` has no line break).
        let longest = crate::input::rows::MAX_RECORD as u64 + 2;
        while self.next < line {
            // Skipped lines are read through the buffer a piece at a time.
            let n = std::io::Read::take(&mut *reader, longest)
                .skip_until(b'\n')
                .ok()?;
            if n == 0 || n as u64 == longest {
                return None;
            }
            self.next += 1;
        }
        let n = std::io::Read::take(&mut *reader, LINE_LIMIT as u64)
            .read_until(b'\n', &mut buf)
            .ok()?;
        if n == 0 {
            return None;
        }
        if buf.last() == Some(&b'\n') {
            self.next += 1;
        } else if buf.len() == LINE_LIMIT {
            // The rest of a long line.
            let n = std::io::Read::take(&mut *reader, longest)
                .skip_until(b'\n')
                .ok()?;
            if n as u64 == longest {
                self.reader = None;
            }
            self.next += 1;
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        Some(String::from_utf8_lossy(&buf).into_owned())
    }
}

/// Renders a problem in a data file, showing its line when `input` (the file) can be read.
pub fn render_data_diag(
    out: &mut dyn Write,
    d: &DataDiag,
    style: Style,
    lines: &mut DataLines,
    input: Option<Reread>,
) {
    let kind = report_kind(
        if d.fatal || d.fails {
            Frame::Error
        } else {
            Frame::Warning
        },
        style.lang,
    );
    // Text from the submission never drives the terminal: the line, and the message and help
    // that quote its cells.
    // A copy only where something needs replacing (almost never).
    let line_text = input
        .and_then(|i| lines.get(&i, u64::from(d.line)))
        .map(|t| {
            let changed = match super::terminal_safe(&t) {
                std::borrow::Cow::Owned(s) => Some(s),
                std::borrow::Cow::Borrowed(_) => None,
            };
            changed.unwrap_or(t)
        });
    let safe_message = super::msg_terminal_safe(&d.message);
    let safe_help = d.help.as_ref().and_then(super::msg_terminal_safe);
    let safe_diag;
    let d = if safe_message.is_some() || safe_help.is_some() {
        safe_diag = DataDiag {
            message: safe_message.unwrap_or_else(|| d.message.clone()),
            help: safe_help.or_else(|| d.help.clone()),
            ..d.clone()
        };
        &safe_diag
    } else {
        d
    };
    match line_text {
        Some(text) => {
            let start: usize = text
                .chars()
                .take(d.col.saturating_sub(1) as usize)
                .map(char::len_utf8)
                .sum();
            let end = text
                .get(start..)
                .and_then(|r| r.chars().next())
                .map(|c| start + c.len_utf8())
                .unwrap_or(start);
            // The line is shown under its own number (see `renumber`).
            let before = (d.line as usize).saturating_sub(1);
            let (start, end) = {
                let r = chars(&text, start..end);
                (r.start, r.end)
            };
            let src = Source::from(text.clone()).with_display_line_offset(before);
            let mut rb = Report::build(kind, (d.path.clone(), start..end))
                .with_config(config(style))
                .with_code(d.code)
                .with_message(d.message.get(style.lang))
                .with_label(
                    Label::new((d.path.clone(), start..end))
                        .with_message(d.message.get(style.lang)),
                );
            if let Some(h) = &d.help {
                rb = rb.with_help(h.get(style.lang));
            }
            write_report(
                out,
                rb.finish(),
                Cache {
                    files: vec![(d.path.clone(), src)],
                },
                style,
                Some((&d.path, before)),
            );
        }
        None => {
            let tag = match (d.fatal || d.fails, style.lang) {
                (true, Lang::En) => "error",
                (false, Lang::En) => "warning",
                (true, Lang::Zh) => "错误",
                (false, Lang::Zh) => "警告",
            };
            let (colon, help) = match style.lang {
                Lang::En => (": ", "help: "),
                Lang::Zh => ("：", "帮助："),
            };
            // Where the line cannot be shown (it is what could not be read), it is still named.
            let place = match (d.line, d.col) {
                (0, _) => d.path.clone(),
                (l, 0) => format!("{}:{l}", d.path),
                (l, c) => format!("{}:{l}:{c}", d.path),
            };
            let _ = writeln!(
                out,
                "{tag}[{}]{colon}{place}{colon}{}",
                d.code,
                d.message.get(style.lang)
            );
            if let Some(h) = &d.help {
                let _ = writeln!(out, "  {help}{}", h.get(style.lang));
            }
        }
    }
}

/// The default report of `guiju check`: one ariadne report per finding, then the summary line.
pub struct Human<'a, W: Write> {
    /// Where the report is written.
    pub out: W,
    /// Its language and colour.
    pub style: Style,
    /// The policy texts (`Program::sources`), to show the rules.
    pub sources: &'a SourceMap,
    /// Whether each finding shows its full evaluation trace.
    pub explain: bool,
    /// Where data problems' lines are read from.
    pub lines: DataLines,
}

impl<W: Write> Human<'_, W> {
    fn kind(f: &Finding, lang: Lang) -> ReportKind<'static> {
        let frame = match (f.outcome, f.severity) {
            (Outcome::Fail, Severity::Error) => Frame::Error,
            (Outcome::Fail, Severity::Warning) => Frame::Warning,
            (Outcome::Fail, Severity::Info) => Frame::Advice,
            (Outcome::Pending, _) => Frame::Pending,
            (Outcome::Exempt, _) => Frame::Advice,
            _ => Frame::Unknown,
        };
        report_kind(frame, lang)
    }
}

impl<W: Write> Sink for Human<'_, W> {
    fn data_diag(&mut self, d: &DataDiag) {
        render_data_diag(&mut self.out, d, self.style, &mut self.lines, None);
    }

    fn data_diag_in(&mut self, d: &DataDiag, input: Reread<'_>) {
        render_data_diag(&mut self.out, d, self.style, &mut self.lines, Some(input));
    }

    fn finding(&mut self, f: &Finding) {
        // Text from the submission never drives the terminal (an escape sequence in a cell).
        let safe = f.terminal_safe();
        let f = safe.as_ref().unwrap_or(f);
        let lang = self.style.lang;
        let policy_file = f.rule.file.clone();
        let policy_text = self
            .sources
            .iter()
            .find(|(_, s)| s.name == policy_file)
            .map(|(_, s)| s.text.clone())
            .unwrap_or_default();
        let data_id = f.record.file.clone();
        let who = f.who(lang);
        let title = match lang {
            Lang::Zh => format!("[{}] {}：{}", f.rule.shown, who, f.message.get(lang)),
            Lang::En => format!("[{}] {}: {}", f.rule.shown, who, f.message.get(lang)),
        };
        // After `[V0001] 错误：`, a long message goes on under it, so the report fits 120 columns.
        let title = wrap_indented(&title, 104, "    ");
        let policy_text_for_chars = policy_text.clone();
        let mut files = vec![(policy_file.clone(), Source::from(policy_text))];
        let reason_text: Vec<String> = f.reasons.iter().map(|r| r.get(lang).to_string()).collect();
        let rule_label_msg = if reason_text.is_empty() {
            f.rule.title.clone().unwrap_or_else(|| f.rule.shown.clone())
        } else {
            reason_text.join("; ")
        };
        let rule_spans: Vec<Range<usize>> = if f.spans.is_empty() {
            vec![f.rule_span.range()]
        } else {
            f.spans.iter().map(|s| s.range()).collect()
        };
        // The header of a fitted row names the record's real column, not the fitted text's.
        let mut header_fix = None;
        let (primary_id, primary_range, data_labels) = match &f.snippet {
            Some(s) => {
                let cells: Vec<(String, Range<usize>)> = f
                    .fields
                    .iter()
                    .filter_map(|fr| {
                        let name = match lang {
                            Lang::Zh => fr.label.clone().unwrap_or_else(|| fr.name.clone()),
                            Lang::En => fr.name.clone(),
                        };
                        Some((name, fr.range.clone()?))
                    })
                    .collect();
                let fitted = fitted_row(s, &cells, lang);
                let real = chars(
                    &s.text,
                    f.fields
                        .iter()
                        .find_map(|x| x.range.clone())
                        .unwrap_or(s.record.clone()),
                );
                let (ranges, record_range, primary) = match &fitted {
                    Some((text, ranges)) => {
                        files.push((
                            data_id.clone(),
                            Source::from(text.clone())
                                .with_display_line_offset(s.first_line.saturating_sub(1)),
                        ));
                        let primary = ranges.first().cloned().unwrap_or(0..text.chars().count());
                        let line = s.first_line;
                        header_fix = Some((
                            format!("[ {data_id}:{line}:{} ]", primary.start + 1),
                            format!("[ {data_id}:{line}:{} ]", real.start + 1),
                        ));
                        (ranges.clone(), 0..text.chars().count(), primary)
                    }
                    None => {
                        files.push((data_id.clone(), data_source(s)));
                        (
                            cells.iter().map(|c| chars(&s.text, c.1.clone())).collect(),
                            chars(&s.text, s.record.clone()),
                            real,
                        )
                    }
                };
                let mut labels = Vec::new();
                let mut ranges = ranges.into_iter();
                // A fitted row names each cell's header already: the labels' messages (what was
                // read) are kept only while the report still fits 120 columns beside it.
                let said: Vec<String> = f
                    .fields
                    .iter()
                    .filter(|fr| fr.range.is_some())
                    .map(|fr| field_said(f, fr, lang, ""))
                    .collect();
                let terse = fitted.as_ref().is_some_and(|(text, _)| {
                    use unicode_width::UnicodeWidthStr;
                    let widest = said.iter().map(|m| m.width()).max().unwrap_or(0);
                    text.width() + widest + 14 > 120
                });
                for msg in said {
                    if let Some(r) = ranges.next() {
                        let l = Label::new((data_id.clone(), r));
                        labels.push(if terse { l } else { l.with_message(msg) });
                    }
                }
                if labels.is_empty() {
                    let msg = match (f.outcome, lang) {
                        (Outcome::Unknown, _) => f.message.get(lang).to_string(),
                        (_, Lang::Zh) => "此记录".to_string(),
                        (_, Lang::En) => "this record".to_string(),
                    };
                    labels.push(Label::new((data_id.clone(), record_range)).with_message(msg));
                }
                (data_id.clone(), primary, labels)
            }
            None => (
                policy_file.clone(),
                chars(
                    &policy_text_for_chars,
                    rule_spans.first().cloned().unwrap_or(0..0),
                ),
                Vec::new(),
            ),
        };
        let mut rb = Report::build(Self::kind(f, lang), (primary_id, primary_range))
            .with_config(config(self.style))
            .with_code(f.code)
            .with_message(title);
        let has_data_labels = !data_labels.is_empty();
        for l in data_labels {
            rb = rb.with_label(if self.style.color {
                l.with_color(Color::Red)
            } else {
                l
            });
        }
        let mut notes: Vec<String> = Vec::new();
        // In Chinese the rule is named by where it is and what decided it, in words: a clerk
        // reads no policy source (its identifiers and keywords may be English). In English the
        // rule's source is shown, with what decided it beside it.
        if lang == Lang::Zh {
            // The line of what decided it (the `require`), else of the rule.
            let line = rule_spans
                .first()
                .and_then(|r| policy_text_for_chars.get(..r.start))
                .map_or(f.rule.line, |before| before.matches('\n').count() + 1);
            notes.push(format!("规则位置：{policy_file}:{line}"));
            if !reason_text.is_empty() {
                notes.push(wrap(&format!("判断：{}", reason_text.join("；")), 100));
            }
        } else {
            for (i, r) in rule_spans.iter().enumerate() {
                let mut l = Label::new((
                    policy_file.clone(),
                    chars(&policy_text_for_chars, r.clone()),
                ));
                if i == 0 {
                    l = l.with_message(&rule_label_msg);
                }
                if self.style.color {
                    l = l.with_color(Color::Blue);
                }
                rb = rb.with_label(l.with_order(1));
            }
        }
        if let (false, Some(sheet)) = (has_data_labels, &f.record.sheet) {
            // A workbook has no text to show: the cells that decided it, by sheet and cell name.
            let cells: Vec<String> = f
                .fields
                .iter()
                .filter_map(|fr| {
                    let at = fr.path.as_ref()?;
                    let missing = match lang {
                        Lang::Zh => "（缺失）",
                        Lang::En => "(missing)",
                    };
                    Some(format!("{at} {}", field_said(f, fr, lang, missing)))
                })
                .collect();
            let cell = f.record.cell.as_deref().unwrap_or_default();
            let loc = match lang {
                Lang::Zh => format!("记录位置：{} › {sheet}!{cell}", f.record.file),
                Lang::En => format!("record at {} › {sheet}!{cell}", f.record.file),
            };
            notes.push(if cells.is_empty() {
                loc
            } else {
                let sep = match lang {
                    Lang::Zh => "；",
                    Lang::En => "; ",
                };
                format!("{loc}{sep}{}", cells.join(sep))
            });
        } else if !has_data_labels {
            let loc = match lang {
                Lang::Zh => format!(
                    "记录位置：{}:{}:{}",
                    f.record.file, f.record.line, f.record.column
                ),
                Lang::En => format!(
                    "record at {}:{}:{}",
                    f.record.file, f.record.line, f.record.column
                ),
            };
            notes.push(loc);
        }
        for c in &f.citations {
            let head = match lang {
                Lang::Zh => "依据",
                Lang::En => "cites",
            };
            notes.push(wrap(&format!("{head} {}", c.render()), 100));
        }
        if self.explain && !f.trace.is_empty() {
            let head = match lang {
                Lang::Zh => "推导过程",
                Lang::En => "evaluation",
            };
            let lines: Vec<&str> = f.trace.iter().map(|t| t.get(lang)).collect();
            notes.push(format!("{head}:\n{}", lines.join("\n")));
        }
        // A Chinese finding with nothing to point at (a group's, which has no one record) has no
        // label for ariadne to draw, and ariadne then draws only the title: its notes are written
        // here, in the same frame.
        let bare = lang == Lang::Zh && !has_data_labels && f.snippet.is_none();
        if !bare {
            for n in &notes {
                rb = rb.with_note(n);
            }
        }
        let before = f.snippet.as_ref().map(|s| s.first_line.saturating_sub(1));
        let mut buf = Vec::new();
        write_report(
            &mut buf,
            rb.finish(),
            Cache { files },
            self.style,
            before.map(|b| (data_id.as_str(), b)),
        );
        match header_fix {
            Some((from, to)) => {
                let text = String::from_utf8_lossy(&buf).replacen(&from, &to, 1);
                let _ = self.out.write_all(text.as_bytes());
            }
            None => {
                let _ = self.out.write_all(&buf);
            }
        }
        if bare {
            let _ = self.out.write_all(bare_notes(&notes).as_bytes());
        }
    }

    fn end(&mut self, summary: &Summary) {
        use unicode_width::UnicodeWidthStr;
        let line = summary.line(self.style.lang);
        // Wider than a terminal: the outcomes go on the next line.
        let line = if line.width() > 120 {
            line.replacen("；结果：", "；\n结果：", 1)
                .replacen("; outcomes:", ";\noutcomes:", 1)
        } else {
            line
        };
        let _ = writeln!(self.out, "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chinese_frame_names_its_kind_notes_and_help_in_chinese_and_leaves_data_alone() {
        let plain = "[V0001] 错误: [r] 搬迁户 H1：超标\n   │ 3 │ Note: a cell\n   │ Note 1: 依据 L1\n   │ Help: 改正\n";
        assert_eq!(
            zh_frame(plain),
            "[V0001] 错误：[r] 搬迁户 H1：超标\n   │ 3 │ Note: a cell\n   │ 注 1：依据 L1\n   │ 帮助：改正\n"
        );
        // In colour the words and colons sit inside escapes.
        let coloured = "\x1b[31m[V0001] 错误:\x1b[0m m\n   │ \x1b[38;5;115mNote\x1b[0m 2: x\n";
        assert_eq!(
            zh_frame(coloured),
            "\x1b[31m[V0001] 错误：\x1b[0mm\n   │ \x1b[38;5;115m注\x1b[0m 2：x\n"
        );
    }

    #[test]
    fn data_lines_are_read_forward_and_again_from_the_start_when_asked_for_an_earlier_one() {
        let long = "x".repeat(LINE_LIMIT + 100);
        let inputs = crate::input::MemoryInputs::new()
            .with("data.csv", format!("a\r\nb\n{long}\nc\n\nd"))
            .with("other.csv", "z\n");
        let run = crate::input::RunInputs::new(&inputs);
        let path = run.input(0).expect("an input");
        let mut lines = DataLines::default();
        assert_eq!(lines.get(&path, 2).as_deref(), Some("b"));
        // A long line is cut, and the line after it is still found.
        assert_eq!(lines.get(&path, 3).map(|l| l.len()), Some(LINE_LIMIT));
        assert_eq!(lines.get(&path, 4).as_deref(), Some("c"));
        assert_eq!(lines.get(&path, 1).as_deref(), Some("a"));
        assert_eq!(lines.get(&path, 5).as_deref(), Some(""));
        assert_eq!(lines.get(&path, 6).as_deref(), Some("d"));
        assert_eq!(lines.get(&path, 7), None);
        assert_eq!(lines.get(&path, 0), None);
        // Another input is read from its own start.
        let other = run.input(1).expect("an input");
        assert_eq!(lines.get(&other, 1).as_deref(), Some("z"));
        assert_eq!(lines.get(&path, 6).as_deref(), Some("d"));
    }

    /// A problem at column 6 of `line` of the input named `path`.
    fn bad_at(path: &str, line: u32) -> DataDiag {
        DataDiag {
            code: "I0003",
            path: path.to_string(),
            line,
            col: 6,
            byte: None,
            message: crate::diag::Msg::new("坏", "bad"),
            help: None,
            fatal: false,
            fails: false,
        }
    }

    #[test]
    fn a_line_far_into_a_file_is_numbered_right_and_the_gutter_widens_to_fit() {
        let mut text = "{}\n".repeat(249_999);
        text.push_str("{\"x\": \n");
        let inputs = crate::input::MemoryInputs::new().with("data.jsonl", text);
        let run = crate::input::RunInputs::new(&inputs);
        let d = bad_at("data.jsonl", 250_000);
        for color in [false, true] {
            let mut out = Vec::new();
            let style = Style {
                color,
                lang: Lang::En,
            };
            render_data_diag(&mut out, &d, style, &mut DataLines::default(), run.input(0));
            let shown = String::from_utf8_lossy(&strip_ansi(&out)).into_owned();
            assert!(shown.contains(":250000:6 ]"), "{shown}");
            assert!(shown.contains(" 250000 │ {\"x\":"), "{shown}");
            // Every line after the title has its gutter's edge in the same column.
            let edges: Vec<usize> = shown
                .lines()
                .skip(1)
                .filter_map(|l| l.chars().position(|c| matches!(c, '│' | '╭' | '╯')))
                .collect();
            assert!(edges.len() >= 4, "{shown}");
            assert!(edges.iter().all(|e| *e == edges[0]), "{edges:?}\n{shown}");
        }
    }

    #[test]
    fn a_data_problem_shows_its_line_under_its_own_number() {
        let inputs = crate::input::MemoryInputs::new().with("data.jsonl", "{}\n{}\n{\"x\": \n");
        let run = crate::input::RunInputs::new(&inputs);
        let d = bad_at("data.jsonl", 3);
        let mut out = Vec::new();
        let style = Style {
            color: false,
            lang: Lang::En,
        };
        render_data_diag(&mut out, &d, style, &mut DataLines::default(), run.input(0));
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains(" 3 │ {\"x\":"), "{text}");
    }
}
