//! JSON Lines and JSON documents (an array of records, or an object whose keys are record types), streamed.

use super::{object_values, utf8_error, DataDiag, Item, RecordSource};
use crate::check::ir::Program;
use crate::value::{Record, RecordLoc};
use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Arc;

/// What every JSON source needs to turn an object into a record.
struct Typing {
    path: String,
    program: Arc<ProgramView>,
    default_type: Option<usize>,
    input: u32,
    unknown_keys: Vec<HashMap<String, ()>>,
    warnings: Vec<DataDiag>,
}

/// The parts of a program a reader needs, shared across threads.
struct ProgramView {
    records: Vec<crate::check::ir::RecordType>,
    shell: Program,
}

impl Typing {
    fn new(path: &str, program: &Program, default_type: Option<usize>, input: u32) -> Typing {
        let shell = Program {
            sources: Default::default(),
            policies: Vec::new(),
            records: program.records.clone(),
            rules: Vec::new(),
            examples: Vec::new(),
        };
        Typing {
            path: path.to_string(),
            program: Arc::new(ProgramView {
                records: program.records.clone(),
                shell,
            }),
            default_type,
            input,
            unknown_keys: vec![HashMap::new(); program.records.len()],
            warnings: Vec::new(),
        }
    }

    fn record(&mut self, text: &str, hint: Option<&str>, loc: RecordLoc) -> Item {
        let v: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                let line = loc.line + e.line().saturating_sub(1) as u32;
                let col = if e.line() <= 1 { loc.col + e.column().saturating_sub(1) as u32 } else { e.column() as u32 };
                let mut d = DataDiag::new("I0003", &self.path, line, col, format!("JSON 格式错误：{e}"), format!("malformed JSON: {e}"));
                d.byte = Some(loc.byte);
                return Item::Bad(d);
            }
        };
        let serde_json::Value::Object(obj) = v else {
            let mut d = DataDiag::new("I0003", &self.path, loc.line, loc.col, "记录应为 JSON 对象", "a record must be a JSON object");
            d.byte = Some(loc.byte);
            return Item::Bad(d);
        };
        let named = hint
            .map(str::to_string)
            .or_else(|| obj.get("$type").and_then(|t| t.as_str()).map(str::to_string));
        let ty = match named {
            Some(n) => match self.program.shell.record_type(&n) {
                Some(t) => t,
                None => {
                    let mut d = DataDiag::new(
                        "I0004",
                        &self.path,
                        loc.line,
                        loc.col,
                        format!("策略中没有记录类型 `{n}`"),
                        format!("the policy has no record type `{n}`"),
                    );
                    d.byte = Some(loc.byte);
                    return Item::Bad(d);
                }
            },
            None => match self.default_type {
                Some(t) => t,
                None => {
                    let mut d = super::need_type(&self.path, &self.program.shell);
                    d.fatal = false;
                    d.line = loc.line;
                    d.col = loc.col;
                    return Item::Bad(d);
                }
            },
        };
        let Some(rt) = self.program.records.get(ty) else {
            return Item::Bad(DataDiag::new("I0004", &self.path, loc.line, loc.col, "未知记录类型", "unknown record type"));
        };
        let Some(seen) = self.unknown_keys.get_mut(ty) else {
            return Item::Bad(DataDiag::new("I0004", &self.path, loc.line, loc.col, "未知记录类型", "unknown record type"));
        };
        let (values, unknown) = object_values(&obj, rt, &self.program.shell, seen);
        for k in unknown {
            let mut d = DataDiag::new(
                "I0006",
                &self.path,
                loc.line,
                loc.col,
                format!("键 `{k}` 不是记录 `{}` 的字段，已忽略", rt.name),
                format!("key `{k}` is not a field of `{}`; ignored", rt.name),
            );
            let known: Vec<&str> = rt.fields.iter().flat_map(|f| [Some(f.name.as_str()), f.label.as_deref()]).flatten().collect();
            if let Some(s) = crate::diag::did_you_mean(&k, known) {
                d = d.help(format!("是否应为 `{s}`？"), format!("did you mean `{s}`?"));
            }
            self.warnings.push(d);
        }
        Item::Record(Record { ty, values, loc })
    }
}

/// JSON Lines: one record per line.
pub(super) struct Jsonl {
    typing: Typing,
    reader: Box<dyn BufRead + Send>,
    line: u32,
    byte: u64,
    index: u64,
    buf: Vec<u8>,
}

impl Jsonl {
    pub(super) fn new(path: &str, reader: Box<dyn BufRead + Send>, program: &Program, ty: Option<usize>, input: u32) -> Jsonl {
        Jsonl {
            typing: Typing::new(path, program, ty, input),
            reader,
            line: 0,
            byte: 0,
            index: 0,
            buf: Vec::with_capacity(1024),
        }
    }
}

impl RecordSource for Jsonl {
    fn next_batch(&mut self, max: usize, out: &mut Vec<Item>) -> Result<bool, DataDiag> {
        let mut produced = 0;
        while produced < max {
            self.buf.clear();
            let n = self.reader.read_until(b'\n', &mut self.buf).map_err(|e| {
                DataDiag::new("I0001", &self.typing.path, self.line + 1, 1, format!("读取失败：{e}"), format!("read failed: {e}")).fatal()
            })?;
            if n == 0 {
                return Ok(false);
            }
            self.line += 1;
            let start = self.byte;
            self.byte += n as u64;
            let text = match std::str::from_utf8(&self.buf) {
                Ok(t) => t,
                Err(_) => return Err(utf8_error(&self.typing.path, self.line, &self.buf)),
            };
            let text = if self.line == 1 { text.trim_start_matches('\u{FEFF}') } else { text };
            if text.trim().is_empty() {
                continue;
            }
            let loc = RecordLoc {
                input: self.typing.input,
                index: self.index,
                line: self.line,
                col: 1,
                byte: start,
            };
            self.index += 1;
            let item = self.typing.record(text, None, loc);
            out.push(item);
            produced += 1;
        }
        Ok(true)
    }

    fn warnings(&mut self) -> Vec<DataDiag> {
        std::mem::take(&mut self.typing.warnings)
    }
}

/// A JSON document, split into records without holding the whole file.
pub(super) struct JsonDoc {
    typing: Typing,
    cur: Cursor,
    state: DocState,
    index: u64,
    text: Vec<u8>,
}

enum DocState {
    Start,
    /// Inside the top-level array, or inside the array of the named type.
    InArray(Option<String>),
    /// Inside the top-level object, between types.
    InObject,
    Done,
}

struct Cursor {
    r: Box<dyn BufRead + Send>,
    line: u32,
    col: u32,
    byte: u64,
}

impl Cursor {
    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        Ok(self.r.fill_buf()?.first().copied())
    }

    fn bump(&mut self) -> std::io::Result<Option<u8>> {
        let b = self.peek()?;
        if let Some(b) = b {
            self.r.consume(1);
            self.byte += 1;
            if b == b'\n' {
                self.line += 1;
                self.col = 1;
            } else if b & 0xC0 != 0x80 {
                self.col += 1;
            }
        }
        Ok(b)
    }

    fn skip_ws(&mut self) -> std::io::Result<()> {
        while let Some(b) = self.peek()? {
            if b == b' ' || b == b'\n' || b == b'\r' || b == b'\t' {
                self.bump()?;
            } else if b == 0xEF && self.byte == 0 {
                // A UTF-8 byte-order mark.
                self.bump()?;
                self.bump()?;
                self.bump()?;
                self.col = 1;
            } else {
                break;
            }
        }
        Ok(())
    }
}

impl JsonDoc {
    pub(super) fn new(path: &str, reader: Box<dyn BufRead + Send>, program: &Program, ty: Option<usize>, input: u32) -> JsonDoc {
        JsonDoc {
            typing: Typing::new(path, program, ty, input),
            cur: Cursor {
                r: reader,
                line: 1,
                col: 1,
                byte: 0,
            },
            state: DocState::Start,
            index: 0,
            text: Vec::new(),
        }
    }

    fn err(&self, zh: &str, en: &str) -> DataDiag {
        let mut d = DataDiag::new("I0003", &self.typing.path, self.cur.line, self.cur.col, zh, en).fatal();
        d.byte = Some(self.cur.byte);
        d
    }

    fn io(&self, e: std::io::Error) -> DataDiag {
        DataDiag::new("I0001", &self.typing.path, self.cur.line, self.cur.col, format!("读取失败：{e}"), format!("read failed: {e}")).fatal()
    }

    /// Reads one JSON value's bytes (an object, normally) into `self.text`.
    fn read_value(&mut self) -> Result<(), DataDiag> {
        self.text.clear();
        let mut depth = 0i32;
        let mut in_str = false;
        let mut escaped = false;
        loop {
            let Some(b) = self.cur.peek().map_err(|e| self.io(e))? else {
                return Err(self.err("JSON 意外结束", "unexpected end of JSON"));
            };
            if !in_str && depth == 0 && (b == b',' || b == b']' || b == b'}' || b == b':') {
                return Ok(());
            }
            self.cur.bump().map_err(|e| self.io(e))?;
            self.text.push(b);
            if in_str {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_str = false;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                continue;
            }
            match b {
                b'"' => in_str = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
    }

    fn read_key(&mut self) -> Result<String, DataDiag> {
        self.read_value()?;
        let key: Result<String, _> = serde_json::from_slice(&self.text);
        key.map_err(|_| self.err("应为记录类型名（字符串）", "expected a record type name (a string)"))
    }
}

impl RecordSource for JsonDoc {
    fn next_batch(&mut self, max: usize, out: &mut Vec<Item>) -> Result<bool, DataDiag> {
        let mut produced = 0;
        while produced < max {
            self.cur.skip_ws().map_err(|e| self.io(e))?;
            match std::mem::replace(&mut self.state, DocState::Done) {
                DocState::Done => return Ok(false),
                DocState::Start => match self.cur.bump().map_err(|e| self.io(e))? {
                    Some(b'[') => self.state = DocState::InArray(None),
                    Some(b'{') => self.state = DocState::InObject,
                    _ => {
                        return Err(self
                            .err("应为记录数组，或以记录类型为键的对象", "expected an array of records, or an object whose keys are record types"))
                    }
                },
                DocState::InObject => match self.cur.peek().map_err(|e| self.io(e))? {
                    Some(b'}') => {
                        self.cur.bump().map_err(|e| self.io(e))?;
                        self.state = DocState::Done;
                    }
                    Some(b',') => {
                        self.cur.bump().map_err(|e| self.io(e))?;
                        self.state = DocState::InObject;
                    }
                    Some(b'"') => {
                        let key = self.read_key()?;
                        self.cur.skip_ws().map_err(|e| self.io(e))?;
                        if self.cur.bump().map_err(|e| self.io(e))? != Some(b':') {
                            return Err(self.err("应为 `:`", "expected `:`"));
                        }
                        self.cur.skip_ws().map_err(|e| self.io(e))?;
                        if self.cur.bump().map_err(|e| self.io(e))? != Some(b'[') {
                            return Err(self.err(
                                &format!("`{key}` 的值应为记录数组"),
                                &format!("the value of `{key}` must be an array of records"),
                            ));
                        }
                        self.state = DocState::InArray(Some(key));
                    }
                    _ => return Err(self.err("应为记录类型名", "expected a record type name")),
                },
                DocState::InArray(ty) => match self.cur.peek().map_err(|e| self.io(e))? {
                    Some(b']') => {
                        self.cur.bump().map_err(|e| self.io(e))?;
                        self.state = if ty.is_some() { DocState::InObject } else { DocState::Done };
                    }
                    Some(b',') => {
                        self.cur.bump().map_err(|e| self.io(e))?;
                        self.state = DocState::InArray(ty);
                    }
                    Some(_) => {
                        let loc = RecordLoc {
                            input: self.typing.input,
                            index: self.index,
                            line: self.cur.line,
                            col: self.cur.col,
                            byte: self.cur.byte,
                        };
                        self.read_value()?;
                        self.index += 1;
                        let text = match std::str::from_utf8(&self.text) {
                            Ok(t) => t.to_string(),
                            Err(_) => return Err(utf8_error(&self.typing.path, loc.line, &self.text)),
                        };
                        let item = self.typing.record(&text, ty.as_deref(), loc);
                        out.push(item);
                        produced += 1;
                        self.state = DocState::InArray(ty);
                    }
                    None => return Err(self.err("JSON 意外结束", "unexpected end of JSON")),
                },
            }
        }
        Ok(true)
    }

    fn warnings(&mut self) -> Vec<DataDiag> {
        std::mem::take(&mut self.typing.warnings)
    }
}
