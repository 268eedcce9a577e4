//! JSON Lines and JSON documents (an array of records, or an object whose keys are record types), streamed.

use super::{utf8_error, DataDiag, Item, RecordSource};
use crate::check::ir::Program;
use crate::value::{Record, RecordLoc};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::BufRead;
use std::sync::Arc;

/// What every JSON source needs to turn an object into a record.
struct Typing {
    path: String,
    program: Arc<ProgramView>,
    default_type: Option<usize>,
    /// The id of the policy whose record types a type key names unqualified
    /// (`--data POLICY=FILE`), if one is named.
    scope: Option<String>,
    input: u32,
    unknown_keys: Vec<HashMap<String, ()>>,
    warnings: Vec<DataDiag>,
    /// What each name of a record type means as a type key (`$type` values, top-level keys):
    /// names and labels, bare and qualified by policy id and file stem, each looked up once here
    /// (in the file's scope) instead of once per record, which built a list and, in a scope, a
    /// qualified name. A key not in it takes the slow path (and names no type, or a form not
    /// listed).
    types: HashMap<Box<str>, Option<usize>, BuildHasherDefault<Fnv>>,
    /// Per record type, field name or label → slot (`RecordType::lookup` with a cheaper hash).
    slots: Vec<HashMap<Box<str>, usize, BuildHasherDefault<Fnv>>>,
    /// Per record type and slot, the field's name and label, each when it names that slot: keys
    /// mostly come in the order of the fields, so the field after the last key's is compared
    /// first.
    names: Vec<Vec<[Option<Box<str>>; 2]>>,
}

/// FNV-1a: keys are short field names, read once per field per record.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
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
            policies: program.policies.clone(),
            records: program.records.clone(),
            rules: Vec::new(),
            examples: Vec::new(),
            calendars: Default::default(),
        };
        let mut typing = Typing {
            path: path.to_string(),
            program: Arc::new(ProgramView {
                records: program.records.clone(),
                shell,
            }),
            default_type,
            scope: None,
            input,
            unknown_keys: vec![HashMap::new(); program.records.len()],
            warnings: Vec::new(),
            slots: program
                .records
                .iter()
                .map(|rt| {
                    rt.lookup
                        .iter()
                        .map(|(k, v)| (k.as_str().into(), *v))
                        .collect()
                })
                .collect(),
            names: program
                .records
                .iter()
                .map(|rt| {
                    rt.fields
                        .iter()
                        .enumerate()
                        .map(|(i, f)| {
                            [Some(&f.name), f.label.as_ref()].map(|n| {
                                n.filter(|n| rt.slot(n) == Some(i))
                                    .map(|n| n.as_str().into())
                            })
                        })
                        .collect()
                })
                .collect(),
            types: HashMap::default(),
        };
        typing.index_type_names();
        typing
    }

    /// Makes unqualified type keys name `scope`'s record types (`--data POLICY=FILE`).
    fn set_scope(&mut self, scope: Option<String>) {
        self.scope = scope;
        self.types.clear();
        self.index_type_names();
    }

    /// The record type a type key (`$type`, a top-level key) names, in the file's policy when
    /// `--data POLICY=FILE` named one.
    fn type_named(&self, n: &str) -> Option<usize> {
        match self.types.get(n) {
            Some(&t) => t,
            None => self.type_named_slowly(n),
        }
    }

    fn type_named_slowly(&self, n: &str) -> Option<usize> {
        match &self.scope {
            Some(p) if !n.contains("::") => self.program.shell.record_type(&format!("{p}::{n}")),
            _ => self.program.shell.record_type(n),
        }
    }

    /// Fills [`Typing::types`].
    fn index_type_names(&mut self) {
        let shell = &self.program.shell;
        let mut keys: Vec<String> = Vec::new();
        for r in shell.records.iter().filter(|r| !r.element_only) {
            let names = std::iter::once(r.name.as_str()).chain(r.label.as_deref());
            let policy = shell.policies.get(r.policy);
            let stem = policy.and_then(|p| {
                std::path::Path::new(&p.path)
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .map(str::to_string)
            });
            let qualifiers: Vec<String> = policy
                .map(|p| p.id.clone())
                .into_iter()
                .chain(stem)
                .collect();
            for n in names {
                keys.push(n.to_string());
                keys.extend(qualifiers.iter().map(|q| format!("{q}::{n}")));
            }
        }
        for k in keys {
            let t = self.type_named_slowly(&k);
            self.types.insert(k.into(), t);
        }
    }

    /// Whether `key`, first in a top-level object, makes it a single record rather than records
    /// grouped by type: it names a field of the file's record type and no record type.
    fn is_field_key(&self, key: &str) -> bool {
        self.type_named(key).is_none()
            && self
                .default_type
                .and_then(|t| self.slots.get(t))
                .is_some_and(|m| m.contains_key(key))
    }

    fn record(&mut self, text: &str, hint: Option<&str>, loc: RecordLoc) -> Item {
        let (item, unknown) = self.parse(text, hint, loc);
        self.note_unknown(&item, unknown, loc);
        item
    }

    /// Reports the keys of a record that are not fields of its type, once per key and type.
    fn note_unknown(&mut self, item: &Item, unknown: Vec<String>, loc: RecordLoc) {
        if unknown.is_empty() {
            return;
        }
        let Item::Record(rec) = item else { return };
        let (Some(rt), Some(seen)) = (
            self.program.records.get(rec.ty),
            self.unknown_keys.get_mut(rec.ty),
        ) else {
            return;
        };
        for k in unknown {
            if seen.insert(k.clone(), ()).is_some() {
                continue;
            }
            self.warnings.push(super::not_a_field(
                &self.path,
                loc.line,
                loc.col,
                ("键", "key"),
                &k,
                rt,
            ));
        }
    }

    /// Reads one record's text into its values, without touching shared state, so records can be
    /// read on several threads. Returns the record and its keys that are not fields, sorted.
    ///
    /// The object is read straight into field slots (no `serde_json::Value` tree). A field given
    /// twice (a key repeated, or a field's name and its label both present) makes the record
    /// unreadable (`I0021`): neither value is taken over the other.
    fn parse(&self, text: &str, hint: Option<&str>, loc: RecordLoc) -> (Item, Vec<String>) {
        // A record cut short ends at its own line, not at the line break after it.
        let text = text.trim_end_matches(['\n', '\r']);
        if let Some(read) = self.parse_flat(text, hint, loc) {
            return read;
        }
        let parsed = match flat::scan(text) {
            Some(e) => Ok(flat::Object(Some(e))),
            None => serde_json::from_str::<flat::Object>(text),
        };
        let entries = match parsed {
            Ok(flat::Object(Some(e))) => e,
            Ok(flat::Object(None)) => {
                let mut d = DataDiag::new(
                    "I0003",
                    &self.path,
                    loc.line,
                    loc.col,
                    "记录应为 JSON 对象",
                    "a record must be a JSON object",
                );
                d.byte = Some(loc.byte);
                return (Item::Bad(Box::new(d)), Vec::new());
            }
            Err(e) => {
                let line = loc.line + e.line().saturating_sub(1) as u32;
                let col = if e.line() <= 1 {
                    loc.col + e.column().saturating_sub(1) as u32
                } else {
                    e.column() as u32
                };
                let mut d = DataDiag::new(
                    "I0003",
                    &self.path,
                    line,
                    col,
                    format!("JSON 格式错误：{e}"),
                    format!("malformed JSON: {e}"),
                );
                d.byte = Some(loc.byte);
                return (Item::Bad(Box::new(d)), Vec::new());
            }
        };
        let named = hint.map(str::to_string).or_else(|| {
            entries
                .iter()
                .rev()
                .find(|(k, _)| k.0 == "$type")
                .and_then(|(_, v)| match v {
                    flat::Raw::Str(s) => Some(s.to_string()),
                    _ => None,
                })
        });
        let ty = match named {
            Some(n) => match self.type_named(&n) {
                Some(t) => t,
                None => {
                    let asked = match &self.scope {
                        Some(p) if !n.contains("::") => format!("{p}::{n}"),
                        _ => n.clone(),
                    };
                    let mut d = super::no_such_type(&self.program.shell, &asked, &self.path);
                    d.line = loc.line;
                    d.col = loc.col;
                    d.byte = Some(loc.byte);
                    return (Item::Bad(Box::new(d)), Vec::new());
                }
            },
            None => match self.default_type {
                Some(t) => t,
                None => {
                    let mut d = super::need_type(&self.path, &self.program.shell);
                    d.fatal = false;
                    d.line = loc.line;
                    d.col = loc.col;
                    return (Item::Bad(Box::new(d)), Vec::new());
                }
            },
        };
        let Some(rt) = self.program.records.get(ty) else {
            return (
                Item::Bad(Box::new(DataDiag::new(
                    "I0004",
                    &self.path,
                    loc.line,
                    loc.col,
                    "未知记录类型",
                    "unknown record type",
                ))),
                Vec::new(),
            );
        };
        let mut values = super::missing_values(rt.fields.len());
        // Which slots are set: a field given twice makes the record unreadable.
        let n = rt.fields.len();
        let mut set_small: u128 = 0;
        let mut set_big: Vec<bool> = if n > 128 { vec![false; n] } else { Vec::new() };
        let slot_of = |k: &str| self.slots.get(ty).and_then(|m| m.get(k)).copied();
        let mut unknown = Vec::new();
        for (i, (k, v)) in entries.iter().enumerate() {
            if k.0 == "$type" {
                continue;
            }
            let Some(slot) = slot_of(&k.0) else {
                unknown.push(k.0.to_string());
                continue;
            };
            let was_set = if n > 128 {
                set_big
                    .get_mut(slot)
                    .map(|b| std::mem::replace(b, true))
                    .unwrap_or(false)
            } else {
                let bit = 1u128 << slot;
                let was = set_small & bit != 0;
                set_small |= bit;
                was
            };
            let Some(f) = rt.fields.get(slot) else {
                continue;
            };
            if was_set {
                // Two keys for one field: which one the submitter meant cannot be told.
                let first = entries
                    .iter()
                    .take(i)
                    .find(|(pk, _)| pk.0 != "$type" && slot_of(&pk.0) == Some(slot))
                    .map(|(pk, _)| pk.0.as_ref())
                    .unwrap_or_default();
                super::recycle(values);
                return (
                    Item::Bad(Box::new(super::rows::duplicate_key(
                        &self.path, loc, first, &k.0, f,
                    ))),
                    Vec::new(),
                );
            }
            // A field no rule reads stays missing: it is not converted.
            if !rt.used.get(slot).copied().unwrap_or(true) {
                continue;
            }
            if let Some(dst) = values.get_mut(slot) {
                *dst = flat::value(v, f, &self.program.shell);
            }
        }
        unknown.sort();
        unknown.dedup();
        (Item::Record(Record { ty, values, loc }), unknown)
    }
}

impl Typing {
    /// `parse` for the common case, read in one pass straight into field slots: an object
    /// `flat::scan` reads, of a record type known without `$type`, with no field named twice.
    /// `None` leaves the record to `parse`'s general path, which then decides everything.
    fn parse_flat(
        &self,
        text: &str,
        hint: Option<&str>,
        loc: RecordLoc,
    ) -> Option<(Item, Vec<String>)> {
        let ty = match hint {
            Some(n) => self.type_named(n)?,
            None => self.default_type?,
        };
        let rt = self.program.records.get(ty)?;
        let (slots, names) = (self.slots.get(ty)?, self.names.get(ty)?);
        let n = rt.fields.len();
        if n > 128 {
            return None;
        }
        let mut values = super::missing_values(n);
        let mut set: u128 = 0;
        let mut unknown = Vec::new();
        let mut next = 0;
        flat::scan_with(text, |k, v| {
            if k == "$type" {
                // Without a hint, `$type` names the record's type: the general path reads it.
                return hint.map(|_| ());
            }
            let expected = names
                .get(next)
                .is_some_and(|ns| ns.iter().flatten().any(|n| **n == *k));
            let slot = if expected {
                next
            } else {
                match slots.get(k) {
                    Some(s) => *s,
                    None => {
                        unknown.push(k.to_string());
                        return Some(());
                    }
                }
            };
            next = slot + 1;
            let bit = 1u128.checked_shl(u32::try_from(slot).ok()?)?;
            if set & bit != 0 {
                return None;
            }
            set |= bit;
            // A field no rule reads stays missing: it is not converted.
            if rt.used.get(slot).copied().unwrap_or(true) {
                if let (Some(f), Some(dst)) = (rt.fields.get(slot), values.get_mut(slot)) {
                    super::put(dst, flat::value(&v, f, &self.program.shell));
                }
            }
            Some(())
        })?;
        unknown.sort();
        unknown.dedup();
        Some((Item::Record(Record { ty, values, loc }), unknown))
    }
}

/// A JSON object read flat: keys and scalars borrowed from the text where they can be.
mod flat {
    use crate::check::ir::{Field, Program, Ty};
    use crate::input::cell::{from_json, parse_cell, parse_number};
    use crate::value::Value;
    use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::borrow::Cow;
    use std::fmt;

    /// How serde_json (`arbitrary_precision`) hands over a number: a one-entry map with this key.
    const NUMBER_TOKEN: &str = "$serde_json::private::Number";

    #[derive(Debug, PartialEq)]
    pub(super) struct Key<'a>(pub Cow<'a, str>);

    #[derive(Debug, PartialEq)]
    pub(super) enum Raw<'a> {
        Null,
        Bool(bool),
        /// A number's text, exactly as written.
        Num(Cow<'a, str>),
        Str(Cow<'a, str>),
        /// An array or object.
        Other(serde_json::Value),
    }

    /// The entries of a top-level object in document order, or `None` for any other JSON value.
    pub(super) struct Object<'a>(pub Option<Vec<(Key<'a>, Raw<'a>)>>);

    /// Reads the common case without serde: one object of keys and scalars, with no escapes in
    /// strings and no exponents in numbers. Anything else (or anything malformed) gives `None`,
    /// and serde_json reads the text, so what is accepted, and how, does not change.
    pub(super) fn scan(text: &str) -> Option<Vec<(Key<'_>, Raw<'_>)>> {
        let mut entries = Vec::with_capacity(16);
        scan_with(text, |k, v| {
            entries.push((Key(Cow::Borrowed(k)), v));
            Some(())
        })?;
        Some(entries)
    }

    /// `scan`, handing each entry to `entry` in document order instead of collecting them.
    /// `None` when `scan` gives `None`, or as soon as `entry` does.
    pub(super) fn scan_with<'a>(
        text: &'a str,
        mut entry: impl FnMut(&'a str, Raw<'a>) -> Option<()>,
    ) -> Option<()> {
        let b = text.as_bytes();
        let mut i = skip_ws(b, 0);
        if *b.get(i)? != b'{' {
            return None;
        }
        i = skip_ws(b, i + 1);
        if b.get(i) == Some(&b'}') {
            i += 1;
        } else {
            let mut first = true;
            loop {
                let (k, j) = string(text, i)?;
                if first && k == NUMBER_TOKEN {
                    return None;
                }
                first = false;
                i = skip_ws(b, j);
                if *b.get(i)? != b':' {
                    return None;
                }
                i = skip_ws(b, i + 1);
                let (v, j) = scalar(text, i)?;
                entry(k, v)?;
                i = skip_ws(b, j);
                match *b.get(i)? {
                    b',' => i = skip_ws(b, i + 1),
                    b'}' => {
                        i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        (skip_ws(b, i) == b.len()).then_some(())
    }

    fn skip_ws(b: &[u8], mut i: usize) -> usize {
        while matches!(b.get(i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            i += 1;
        }
        i
    }

    /// A string at `i` with no escapes or control characters, and the index after it.
    pub(super) fn string(text: &str, i: usize) -> Option<(&str, usize)> {
        let b = text.as_bytes();
        if *b.get(i)? != b'"' {
            return None;
        }
        let start = i + 1;
        let mut j = start;
        // Eight bytes at a time up to the first that may end the string or stop the scan.
        while let Some(word) = b.get(j..j + 8) {
            let w = u64::from_le_bytes(word.try_into().ok()?);
            let stop = has_byte(w, b'"') | has_byte(w, b'\\') | has_below(w, 0x20);
            if stop != 0 {
                j += (stop.trailing_zeros() / 8) as usize;
                break;
            }
            j += 8;
        }
        loop {
            let c = *b.get(j)?;
            if c == b'"' {
                break;
            }
            if c == b'\\' || c < 0x20 {
                return None;
            }
            j += 1;
        }
        Some((text.get(start..j)?, j + 1))
    }

    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;

    /// Nonzero when a byte of `w` is below `n` (`n` at most 0x80); its lowest set bit is in
    /// the first such byte (bits above it may be set wrongly).
    fn has_below(w: u64, n: u8) -> u64 {
        w.wrapping_sub(ONES.wrapping_mul(u64::from(n))) & !w & HIGHS
    }

    /// Nonzero when a byte of `w` is `c`; its lowest set bit is in the first such byte.
    fn has_byte(w: u64, c: u8) -> u64 {
        has_below(w ^ ONES.wrapping_mul(u64::from(c)), 1)
    }

    fn scalar(text: &str, i: usize) -> Option<(Raw<'_>, usize)> {
        let b = text.as_bytes();
        let word = |w: &str| {
            text.get(i..i + w.len())
                .filter(|s| *s == w)
                .map(|_| i + w.len())
        };
        match *b.get(i)? {
            b'"' => string(text, i).map(|(s, j)| (Raw::Str(Cow::Borrowed(s)), j)),
            b't' => word("true").map(|j| (Raw::Bool(true), j)),
            b'f' => word("false").map(|j| (Raw::Bool(false), j)),
            b'n' => word("null").map(|j| (Raw::Null, j)),
            b'-' | b'0'..=b'9' => {
                let j = number(b, i)?;
                Some((Raw::Num(Cow::Borrowed(text.get(i..j)?)), j))
            }
            _ => None,
        }
    }

    /// The end of a JSON number at `i` without an exponent: `-?(0|[1-9][0-9]*)(\.[0-9]+)?`.
    fn number(b: &[u8], i: usize) -> Option<usize> {
        let digits = |mut j: usize| {
            while matches!(b.get(j), Some(b'0'..=b'9')) {
                j += 1;
            }
            j
        };
        let mut j = i;
        if b.get(j) == Some(&b'-') {
            j += 1;
        }
        match *b.get(j)? {
            b'0' => j += 1,
            b'1'..=b'9' => j = digits(j),
            _ => return None,
        }
        if b.get(j) == Some(&b'.') {
            let k = digits(j + 1);
            if k == j + 1 {
                return None;
            }
            j = k;
        }
        if matches!(b.get(j), Some(b'e' | b'E')) {
            return None;
        }
        Some(j)
    }

    /// A field's value from a flat JSON value; the same as `cell::from_json` on the `serde_json::Value`.
    pub(super) fn value(v: &Raw, field: &Field, program: &Program) -> Value {
        match v {
            Raw::Null => Value::Missing,
            Raw::Str(s) => parse_cell(s, field),
            Raw::Num(n) => match &field.ty {
                Ty::Num(nt) => parse_number(n, &nt.unit, nt.int),
                Ty::Text => Value::Text(n.as_ref().into()),
                _ => parse_cell(n, field),
            },
            Raw::Bool(b) => match field.ty {
                Ty::Bool => Value::Bool(*b),
                _ => Value::invalid(b.to_string(), "类型不符", "wrong type"),
            },
            Raw::Other(j) => from_json(j, field, program),
        }
    }

    struct KeyVisitor;

    impl<'de> Visitor<'de> for KeyVisitor {
        type Value = Key<'de>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
            Ok(Key(Cow::Borrowed(v)))
        }
        fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
            Ok(Key(Cow::Owned(v.to_string())))
        }
        fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
            Ok(Key(Cow::Owned(v)))
        }
    }

    impl<'de> Deserialize<'de> for Key<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_str(KeyVisitor)
        }
    }

    struct RawVisitor;

    impl<'de> Visitor<'de> for RawVisitor {
        type Value = Raw<'de>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_unit<E>(self) -> Result<Raw<'de>, E> {
            Ok(Raw::Null)
        }
        fn visit_none<E>(self) -> Result<Raw<'de>, E> {
            Ok(Raw::Null)
        }
        fn visit_bool<E>(self, v: bool) -> Result<Raw<'de>, E> {
            Ok(Raw::Bool(v))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Raw<'de>, E> {
            Ok(Raw::Other(serde_json::Value::from(v)))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Raw<'de>, E> {
            Ok(Raw::Other(serde_json::Value::from(v)))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Raw<'de>, E> {
            Ok(Raw::Other(serde_json::Value::from(v)))
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Raw<'de>, E> {
            Ok(Raw::Str(Cow::Borrowed(v)))
        }
        fn visit_str<E>(self, v: &str) -> Result<Raw<'de>, E> {
            Ok(Raw::Str(Cow::Owned(v.to_string())))
        }
        fn visit_string<E>(self, v: String) -> Result<Raw<'de>, E> {
            Ok(Raw::Str(Cow::Owned(v)))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw<'de>, A::Error> {
            let mut items = Vec::new();
            while let Some(v) = seq.next_element::<serde_json::Value>()? {
                items.push(v);
            }
            Ok(Raw::Other(serde_json::Value::Array(items)))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw<'de>, A::Error> {
            let Some(first) = map.next_key::<Key<'de>>()? else {
                return Ok(Raw::Other(
                    serde_json::Value::Object(serde_json::Map::new()),
                ));
            };
            if first.0 == NUMBER_TOKEN {
                let n = map.next_value::<Key<'de>>()?;
                return Ok(Raw::Num(n.0));
            }
            let mut m = serde_json::Map::new();
            m.insert(first.0.into_owned(), map.next_value::<serde_json::Value>()?);
            while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                m.insert(k, v);
            }
            Ok(Raw::Other(serde_json::Value::Object(m)))
        }
    }

    impl<'de> Deserialize<'de> for Raw<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(RawVisitor)
        }
    }

    struct ObjectVisitor;

    impl<'de> Visitor<'de> for ObjectVisitor {
        type Value = Object<'de>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_unit<E>(self) -> Result<Object<'de>, E> {
            Ok(Object(None))
        }
        fn visit_none<E>(self) -> Result<Object<'de>, E> {
            Ok(Object(None))
        }
        fn visit_bool<E>(self, _: bool) -> Result<Object<'de>, E> {
            Ok(Object(None))
        }
        fn visit_u64<E>(self, _: u64) -> Result<Object<'de>, E> {
            Ok(Object(None))
        }
        fn visit_i64<E>(self, _: i64) -> Result<Object<'de>, E> {
            Ok(Object(None))
        }
        fn visit_f64<E>(self, _: f64) -> Result<Object<'de>, E> {
            Ok(Object(None))
        }
        fn visit_str<E>(self, _: &str) -> Result<Object<'de>, E> {
            Ok(Object(None))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Object<'de>, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Object(None))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object<'de>, A::Error> {
            let mut entries = Vec::with_capacity(16);
            while let Some(k) = map.next_key::<Key<'de>>()? {
                if entries.is_empty() && k.0 == NUMBER_TOKEN {
                    map.next_value::<IgnoredAny>()?;
                    return Ok(Object(None));
                }
                let v = map.next_value::<Raw<'de>>()?;
                entries.push((k, v));
            }
            Ok(Object(Some(entries)))
        }
    }

    impl<'de> Deserialize<'de> for Object<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(ObjectVisitor)
        }
    }
}

/// JSON Lines: one record per line. A batch's lines are found in order, then checked as UTF-8
/// and parsed on all threads of the current rayon pool.
pub(super) struct Jsonl {
    typing: Typing,
    reader: Box<dyn BufRead + Send>,
    line: u32,
    index: u64,
    /// Bytes read and not yet given to a batch start at `text[done]`; `text[0]` is at byte
    /// `base` of the file.
    text: Vec<u8>,
    done: usize,
    base: u64,
    /// The batch's lines: where each is in `text`, and where it is in the file.
    spans: Vec<(std::ops::Range<usize>, RecordLoc)>,
    /// Lines of white space only (not empty lines), skipped.
    skipped: u64,
}

impl Jsonl {
    /// Type keys name record types of policy `scope` unqualified (`--data POLICY=FILE`).
    pub(super) fn within(mut self, scope: Option<String>) -> Jsonl {
        self.typing.set_scope(scope);
        self
    }

    pub(super) fn new(
        path: &str,
        reader: Box<dyn BufRead + Send>,
        program: &Program,
        ty: Option<usize>,
        input: u32,
    ) -> Jsonl {
        Jsonl {
            typing: Typing::new(path, program, ty, input),
            reader,
            line: 0,
            index: 0,
            text: Vec::new(),
            done: 0,
            base: 0,
            spans: Vec::new(),
            skipped: 0,
        }
    }

    /// Finds up to `max` non-blank lines, reading more of the file as needed. Returns whether the
    /// input goes on, or the error that stops it (after the lines found before it). This runs
    /// on one thread while the others parse, so it bounds how far `--jobs` scales: lines stay
    /// where they were read (one copy, from the reader's buffer), and are checked as UTF-8 when
    /// they are parsed.
    fn read_lines(&mut self, max: usize) -> Result<bool, DataDiag> {
        self.spans.clear();
        // The start of a line the previous batch did not reach.
        self.text.drain(..self.done);
        self.base += self.done as u64;
        self.done = 0;
        loop {
            while self.spans.len() < max {
                let rest = self.text.get(self.done..).unwrap_or_default();
                let Some(nl) = memchr::memchr(b'\n', rest) else {
                    if rest.len() > super::rows::MAX_RECORD {
                        return Err(self.too_long());
                    }
                    break;
                };
                if nl > super::rows::MAX_RECORD {
                    return Err(self.too_long());
                }
                let end = self.done + nl + 1;
                self.add_line(self.done, end);
                self.done = end;
            }
            if self.spans.len() >= max {
                return Ok(true);
            }
            let chunk = self.reader.fill_buf().map_err(|e| {
                super::read_failed("I0001", &self.typing.path, self.line + 1, 1, &e).fatal()
            })?;
            if chunk.is_empty() {
                // The end: a last line without a line break.
                if self.done < self.text.len() {
                    self.add_line(self.done, self.text.len());
                    self.done = self.text.len();
                }
                return Ok(false);
            }
            let n = chunk.len();
            self.text.extend_from_slice(chunk);
            self.reader.consume(n);
        }
    }

    /// `I0023` for the line after the last one taken.
    fn too_long(&self) -> DataDiag {
        let mut d = super::rows::record_too_long(&self.typing.path, self.line + 1, 1);
        d.byte = Some(self.base + self.done as u64);
        d
    }

    /// Takes the line `text[start..end]` (line break included) into the batch, unless it is
    /// blank (a line of white space is counted as skipped). The first line's byte-order mark is not part of its record.
    fn add_line(&mut self, mut start: usize, end: usize) {
        self.line += 1;
        let at = self.base + start as u64;
        if self.line == 1
            && self
                .text
                .get(start..end)
                .is_some_and(|l| l.starts_with(b"\xEF\xBB\xBF"))
        {
            start += 3;
        }
        let bytes = self.text.get(start..end).unwrap_or_default();
        // Blank: white space only. A line starting with a printable character is not; others
        // are looked at as text (a line that is not UTF-8 is left to the parser to report).
        if !bytes.first().is_some_and(u8::is_ascii_graphic)
            && std::str::from_utf8(bytes).is_ok_and(|t| t.trim().is_empty())
        {
            let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
            if !body.strip_suffix(b"\r").unwrap_or(body).is_empty() {
                self.skipped += 1;
            }
            return;
        }
        let loc = RecordLoc {
            input: self.typing.input,
            index: self.index,
            line: self.line,
            col: 1,
            byte: at,
        };
        self.index += 1;
        self.spans.push((start..end, loc));
    }
}

impl RecordSource for Jsonl {
    fn next_batch(&mut self, max: usize, out: &mut Vec<Item>) -> Result<bool, DataDiag> {
        use rayon::prelude::*;
        let read = self.read_lines(max);
        let (typing, text) = (&self.typing, &self.text);
        // Parsed straight into `out`; the few records with keys that are not fields set their
        // keys aside, to be reported in input order below. A line that is not UTF-8 comes back
        // as a fatal `Item::Bad`: the records before it are kept, and reading stops there.
        let unknown = std::sync::Mutex::new(Vec::new());
        // The first line that is not UTF-8, if any (not found by looking at every item again).
        let first_bad = super::FirstFatal::new();
        let from = out.len();
        out.par_extend(
            self.spans
                .par_iter()
                .enumerate()
                .with_min_len(64)
                .with_max_len(512)
                .map(|(i, (range, loc))| {
                    let bytes = text.get(range.clone()).unwrap_or_default();
                    let Ok(line) = std::str::from_utf8(bytes) else {
                        first_bad.note(i);
                        return Item::Bad(Box::new(utf8_error(&typing.path, loc.line, bytes)));
                    };
                    let (item, keys) = typing.parse(line, None, *loc);
                    if !keys.is_empty() {
                        if let Ok(mut u) = unknown.lock() {
                            u.push((i, keys));
                        }
                    }
                    item
                }),
        );
        let fatal = first_bad.get();
        let mut unknown = unknown.into_inner().unwrap_or_default();
        unknown.sort_by_key(|(i, _)| *i);
        for (i, keys) in unknown {
            if fatal.is_some_and(|at| i >= at) {
                break;
            }
            if let (Some(item), Some((_, loc))) = (out.get(from + i), self.spans.get(i)) {
                self.typing.note_unknown(item, keys, *loc);
            }
        }
        match first_bad.cut(out, from) {
            Some(d) => Err(d),
            None => read,
        }
    }

    fn skipped(&self) -> u64 {
        self.skipped
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
    /// Just inside a top-level `{` that starts at this place: an object whose keys are record
    /// types, or a single record.
    FirstKey(RecordLoc),
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
    /// Type keys name record types of policy `scope` unqualified (`--data POLICY=FILE`).
    pub(super) fn within(mut self, scope: Option<String>) -> JsonDoc {
        self.typing.set_scope(scope);
        self
    }

    pub(super) fn new(
        path: &str,
        reader: Box<dyn BufRead + Send>,
        program: &Program,
        ty: Option<usize>,
        input: u32,
    ) -> JsonDoc {
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
        let mut d = DataDiag::new(
            "I0003",
            &self.typing.path,
            self.cur.line,
            self.cur.col,
            zh,
            en,
        )
        .fatal();
        d.byte = Some(self.cur.byte);
        d
    }

    fn io(&self, e: std::io::Error) -> DataDiag {
        super::read_failed("I0001", &self.typing.path, self.cur.line, self.cur.col, &e).fatal()
    }

    /// Reads one JSON value's bytes (an object, normally) into `self.text`.
    fn read_value(&mut self) -> Result<(), DataDiag> {
        self.text.clear();
        self.read_rest(super::ValueEnd::default())
    }

    /// Reads the rest of a value whose first bytes, already in `self.text`, left `end` as it is.
    /// A value longer than `rows::MAX_RECORD` stops reading the file.
    fn read_rest(&mut self, mut end: super::ValueEnd) -> Result<(), DataDiag> {
        loop {
            let Some(b) = self.cur.peek().map_err(|e| self.io(e))? else {
                return Err(self.err("JSON 意外结束", "unexpected end of JSON"));
            };
            if end.at_delimiter(b) {
                return Ok(());
            }
            if self.text.len() >= super::rows::MAX_RECORD {
                let mut d =
                    super::rows::record_too_long(&self.typing.path, self.cur.line, self.cur.col);
                d.byte = Some(self.cur.byte);
                return Err(d);
            }
            self.cur.bump().map_err(|e| self.io(e))?;
            self.text.push(b);
            if end.feed(b) {
                return Ok(());
            }
        }
    }

    fn read_key(&mut self) -> Result<String, DataDiag> {
        self.read_value()?;
        let key: Result<String, _> = serde_json::from_slice(&self.text);
        key.map_err(|_| {
            self.err(
                "应为记录类型名（字符串）",
                "expected a record type name (a string)",
            )
        })
    }
}

impl RecordSource for JsonDoc {
    fn next_batch(&mut self, max: usize, out: &mut Vec<Item>) -> Result<bool, DataDiag> {
        let mut produced = 0;
        while produced < max {
            self.cur.skip_ws().map_err(|e| self.io(e))?;
            match std::mem::replace(&mut self.state, DocState::Done) {
                DocState::Done => {
                    // Nothing may follow the document: `[…] x` or `[A][B]` would drop what does.
                    return match self.cur.peek().map_err(|e| self.io(e))? {
                        None => Ok(false),
                        Some(_) => Err(self.err(
                            "JSON 文档结束后还有内容；一个文件只能有一个数组（或对象）",
                            "text after the end of the JSON document; a file holds one array \
                             (or object)",
                        )),
                    };
                }
                DocState::Start => match self.cur.bump().map_err(|e| self.io(e))? {
                    Some(b'[') => self.state = DocState::InArray(None),
                    Some(b'{') => {
                        self.state = DocState::FirstKey(RecordLoc {
                            input: self.typing.input,
                            index: self.index,
                            line: self.cur.line,
                            col: self.cur.col.saturating_sub(1).max(1),
                            byte: self.cur.byte.saturating_sub(1),
                        })
                    }
                    _ => {
                        let mut d = self.err(
                            "应为记录数组、一条记录（对象），或以记录类型为键的对象",
                            "expected an array of records, one record (an object), or an object \
                             whose keys are record types",
                        );
                        // At the byte that is not `[` or `{`, not after it.
                        d.col = d.col.saturating_sub(1).max(1);
                        return Err(d);
                    }
                },
                DocState::FirstKey(loc) => {
                    if self.cur.peek().map_err(|e| self.io(e))? != Some(b'"') {
                        self.state = DocState::InObject;
                        continue;
                    }
                    let key = self.read_key()?;
                    let key_text = std::mem::take(&mut self.text);
                    self.cur.skip_ws().map_err(|e| self.io(e))?;
                    if self.cur.bump().map_err(|e| self.io(e))? != Some(b':') {
                        return Err(self.err("应为 `:`", "expected `:`"));
                    }
                    self.cur.skip_ws().map_err(|e| self.io(e))?;
                    let array = self.cur.peek().map_err(|e| self.io(e))? == Some(b'[');
                    if array && !self.typing.is_field_key(&key) {
                        // `{"household": [...], ...}`: records grouped by type.
                        self.cur.bump().map_err(|e| self.io(e))?;
                        self.state = DocState::InArray(Some(key));
                        continue;
                    }
                    // A single record: `{"户编号": "H1", ...}`, read whole from its `{`.
                    let mut end = super::ValueEnd::default();
                    self.text.clear();
                    for b in std::iter::once(b'{')
                        .chain(key_text.iter().copied())
                        .chain(std::iter::once(b':'))
                    {
                        end.feed(b);
                        self.text.push(b);
                    }
                    self.read_rest(end)?;
                    self.index += 1;
                    let text = match std::str::from_utf8(&self.text) {
                        Ok(t) => t.to_string(),
                        Err(_) => return Err(utf8_error(&self.typing.path, loc.line, &self.text)),
                    };
                    let item = self.typing.record(&text, None, loc);
                    out.push(item);
                    produced += 1;
                    self.state = DocState::Done;
                }
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
                        self.state = if ty.is_some() {
                            DocState::InObject
                        } else {
                            DocState::Done
                        };
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
                        if self.text.is_empty() {
                            // `}` or `:` here ends a value that never began: without this the
                            // loop would read nothing, forever.
                            let c =
                                self.cur.peek().map_err(|e| self.io(e))?.unwrap_or(b' ') as char;
                            return Err(self.err(
                                &format!("此处应为 `,`、`]` 或一条记录（对象），而不是 `{c}`"),
                                &format!(
                                    "expected `,`, `]` or a record (an object) here, not `{c}`"
                                ),
                            ));
                        }
                        self.index += 1;
                        let text = match std::str::from_utf8(&self.text) {
                            Ok(t) => t.to_string(),
                            Err(_) => {
                                return Err(utf8_error(&self.typing.path, loc.line, &self.text))
                            }
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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::input::cell;
    use crate::value::Value;

    const POLICY: &str = r#"policy t "t"
record row "行" {
  id      text key           "编号"
  n       int                "人数"
  amount  decimal unit 万元  "金额"
  ok      bool optional      "是否"
  d       date optional      "日期"
  kind    enum { a "甲", b "乙" } optional "类别"
}
"#;

    /// How records were read before the flat reader: a `serde_json::Value` tree, then each key.
    fn by_value_tree(
        text: &str,
        rt: &crate::check::ir::RecordType,
        program: &Program,
    ) -> Result<(Vec<Value>, Vec<String>), String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let serde_json::Value::Object(obj) = v else {
            return Err("not an object".into());
        };
        let mut values = vec![Value::Missing; rt.fields.len()];
        let mut unknown = Vec::new();
        for (k, v) in &obj {
            if k == "$type" {
                continue;
            }
            match rt.slot(k) {
                Some(s) => values[s] = cell::from_json(v, &rt.fields[s], program),
                None => unknown.push(k.clone()),
            }
        }
        Ok((values, unknown))
    }

    #[test]
    fn flat_reading_means_what_reading_a_value_tree_meant() {
        let compiled = crate::check::compile_str("t.gj", POLICY);
        let mut program = compiled.program.expect("policy compiles");
        // The policy has no rules: read every field, as if rules read them all.
        for rt in &mut program.records {
            rt.used = vec![true; rt.fields.len()];
        }
        let rt = &program.records[0];
        let typing = Typing::new("t.jsonl", &program, Some(0), 0);
        let cases = [
            r#"{"id":"R1","n":4,"amount":12.50,"ok":true,"d":"2017-05-23","kind":"a"}"#,
            r#"{"id":"R2","n":"5","amount":"100万元","ok":"是","d":"2017年5月23日","kind":"乙"}"#,
            r#"{"zzz":1,"aaa":2,"n":1,"aaa":3}"#,
            r#"{"amount":[1,2],"id":{"x":1}}"#,
            r#"{"ok":1,"n":true,"id":12.50,"d":20170523,"kind":null}"#,
            r#"{"amount":null,"id":"a\"b\u4e00","n":1e400,"$type":"row"}"#,
            r#"{"n":-0.0,"amount":"1,234.5","ok":"否"}"#,
            r#"{"n":-0,"amount":-0,"id":-0.0,"d":0}"#,
            r#"{"n":18446744073709551616,"amount":-9223372036854775809,"id":100000000000000000000000000000000}"#,
            r#"{"n":1e2,"amount":1.5E-3,"id":2e400}"#,
            r#"{}"#,
            r#"{"kind":"b","d":"2017-05-23","ok":false,"amount":"3万元","n":2,"id":"R3"}"#,
            r#"{"编号":"R4","人数":3,"金额":1.25,"是否":true,"日期":null,"类别":"甲"}"#,
            r#"{"id":"R6","$type":"row","n":1}"#,
            r#"{"$type":"row","id":"R7","n":1,"$type":"row"}"#,
            r#"{"id":"   R10  ","n":" 7 ","amount":"  1,234.50 ","kind":" a "}"#,
            r#"{"id":"長い名前の記録、十文字以上","n":12345678901234567890,"amount":0.1234567890123456789}"#,
        ];
        for text in cases {
            let (item, unknown) = typing.parse(text, None, RecordLoc::default());
            let Item::Record(rec) = item else {
                panic!("{text}: not read")
            };
            let (values, mut old_unknown) = by_value_tree(text, rt, &program).expect("valid JSON");
            old_unknown.dedup();
            assert_eq!(rec.values, values, "{text}");
            assert_eq!(unknown, old_unknown, "{text}");
        }
        // A field given twice, by one key repeated or by its name and its label, makes the
        // record unreadable (the tree reader kept one of them).
        for (text, en) in [
            (r#"{"n":5,"人数":6}"#, "the field `人数` is given twice in this record (keys `n` and `人数`); which value is meant cannot be told"),
            (r#"{"人数":6,"n":5}"#, "the field `人数` is given twice in this record (keys `人数` and `n`); which value is meant cannot be told"),
            (r#"{"n":5,"n":7,"人数":8,"人数":9}"#, "the key `n` appears twice in this record; which value is meant cannot be told"),
            (r#"{"id":"R5","人数":3,"n":4,"金额":5,"amount":6}"#, "the field `人数` is given twice in this record (keys `人数` and `n`); which value is meant cannot be told"),
            (r#"{"id":"R8","n":1,"id":"R9","zz":1,"aa":2,"zz":3}"#, "the key `id` appears twice in this record; which value is meant cannot be told"),
            (r#"{"ok":true,"是否":true}"#, "the field `是否` is given twice in this record (keys `ok` and `是否`); which value is meant cannot be told"),
        ] {
            let (item, _) = typing.parse(text, None, RecordLoc::default());
            let Item::Bad(d) = item else {
                panic!("{text}: read as a record")
            };
            assert_eq!((d.code, d.message.en.as_str(), d.fatal), ("I0021", en, false), "{text}");
        }
        // The serde-free scanner reads what serde_json reads, or leaves the text to it.
        let scanned = [
            r#"{"id":"R1","n":4,"amount":12.50,"ok":true,"d":"2017-05-23","kind":"a"}"#,
            r#"  { "n" : -0 , "amount":0.5 ,"x":null,"y":false}  "#,
            r#"{"名":"值","n":123456789012345678901234567890.123}"#,
            r#"{}"#,
            "{\"n\":1}\r",
        ];
        for text in scanned {
            assert!(flat::scan(text).is_some(), "{text}");
            let (item, unknown) = typing.parse(text, None, RecordLoc::default());
            let Item::Record(rec) = item else {
                panic!("{text}: not read")
            };
            let (values, mut old_unknown) =
                by_value_tree(text.trim_end(), rt, &program).expect("valid JSON");
            old_unknown.dedup();
            assert_eq!(rec.values, values, "{text}");
            assert_eq!(unknown, old_unknown, "{text}");
        }
        for text in [
            r#"{"n":1e5}"#,
            r#"{"n":01}"#,
            r#"{"n":-01}"#,
            r#"{"n":1.}"#,
            r#"{"n":.5}"#,
            r#"{"n":-}"#,
            r#"{"n":+1}"#,
            r#"{"a\"b":1}"#,
            r#"{"a":"x\ny"}"#,
            "{\"a\":\"x\ty\"}",
            r#"{"a":[1]}"#,
            r#"{"a":{"b":1}}"#,
            r#"{"a":1,}"#,
            r#"{"a":1} x"#,
            r#"{"a" 1}"#,
            r#"{"a":tru}"#,
            r#"{"a":truex}"#,
            r#"{"a":1"#,
            r#"[1]"#,
            r#"{"$serde_json::private::Number":"1"}"#,
        ] {
            assert!(flat::scan(text).is_none(), "{text}");
        }
        for text in [
            r#"[1,2]"#,
            "5",
            r#""x""#,
            "null",
            "true",
            r#"{"n":}"#,
            r#"{"n":1,}"#,
            r#"{"n" 1}"#,
            r#"{"n":1} x"#,
            r#"{"n":[1,}"#,
        ] {
            let (item, _) = typing.parse(text, None, RecordLoc::default());
            let Item::Bad(d) = item else {
                panic!("{text}: read as a record")
            };
            match by_value_tree(text, rt, &program) {
                Err(e) if e == "not an object" => {
                    assert_eq!(d.message.en, "a record must be a JSON object", "{text}")
                }
                Err(e) => assert_eq!(d.message.en, format!("malformed JSON: {e}"), "{text}"),
                Ok(_) => panic!("{text}: the tree reader read it"),
            }
        }
    }

    #[test]
    fn strings_are_scanned_as_byte_by_byte() {
        // The scanner before it read eight bytes at a time.
        fn bytewise(text: &str, i: usize) -> Option<(&str, usize)> {
            let b = text.as_bytes();
            if *b.get(i)? != b'"' {
                return None;
            }
            let mut j = i + 1;
            loop {
                let c = *b.get(j)?;
                if c == b'"' {
                    break;
                }
                if c == b'\\' || c < 0x20 {
                    return None;
                }
                j += 1;
            }
            Some((text.get(i + 1..j)?, j + 1))
        }
        let fill = ["a", "甲", "\u{7f}", "~", " ", "é"];
        let stops = ["\"", "\\", "\n", "\u{1}", "\u{1f}", "\u{0}"];
        let mut n = 0;
        for len in 0..40 {
            for f in fill {
                let body: String = (0..len).map(|k| if k % 3 == 2 { "x" } else { f }).collect();
                for tail in ["\"", "\"rest", "", "x"] {
                    let text = format!("\"{body}{tail}");
                    assert_eq!(flat::string(&text, 0), bytewise(&text, 0), "{text:?}");
                    n += 1;
                }
                // A stop at every place in the string.
                for (at, _) in body.char_indices() {
                    for stop in stops {
                        let text = format!("\"{}{stop}{}\"", &body[..at], &body[at..]);
                        assert_eq!(flat::string(&text, 0), bytewise(&text, 0), "{text:?}");
                        n += 1;
                    }
                }
            }
        }
        assert!(n > 10_000, "{n}");
    }

    #[test]
    fn fields_no_rule_reads_are_not_converted() {
        // One rule reads `n`; `id` is the key. The other fields are read by nothing.
        let policy = format!(
            "{POLICY}rule r \"r\" {{\n cite line 1 \"t\"\n applies to row\n require n >= 1\n}}\n"
        );
        let compiled = crate::check::compile_str("t.gj", &policy);
        let program = compiled.program.expect("policy compiles");
        let rt = &program.records[0];
        let used: Vec<&str> = rt
            .fields
            .iter()
            .zip(&rt.used)
            .filter(|(_, u)| **u)
            .map(|(f, _)| f.name.as_str())
            .collect();
        assert_eq!(used, ["id", "n"]);
        let typing = Typing::new("t.jsonl", &program, Some(0), 0);
        for text in [
            r#"{"id":"R1","n":4,"amount":"很多","ok":"也许","d":"昨天","kind":"丙"}"#,
            r#"{"id":"R1","n":4,"amount":[1],"ok":{"a":1},"d":"x\u0041","kind":"丙"}"#,
            r#"{"id":"R1","人数":"4","金额":"很多","zzz":1,"是否":3}"#,
        ] {
            let (item, unknown) = typing.parse(text, None, RecordLoc::default());
            let Item::Record(rec) = item else {
                panic!("{text}: not read")
            };
            assert_eq!(rec.values[0], Value::Text("R1".into()), "{text}");
            assert_eq!(rec.values[1], Value::Num(4.into()), "{text}");
            assert!(
                rec.values[2..].iter().all(Value::is_missing),
                "{text}: {rec:?}"
            );
            // Keys that are not fields are still reported.
            let zzz = text.contains("zzz");
            assert_eq!(unknown, if zzz { vec!["zzz".to_string()] } else { vec![] });
        }
        // A read field that cannot be read is still invalid, and malformed JSON still an error.
        let (item, _) = typing.parse(r#"{"id":"R1","n":"四"}"#, None, RecordLoc::default());
        let Item::Record(rec) = item else {
            panic!("not read")
        };
        assert!(matches!(rec.values[1], Value::Invalid(_)), "{rec:?}");
        let (item, _) = typing.parse(r#"{"id":"R1","amount":}"#, None, RecordLoc::default());
        assert!(matches!(item, Item::Bad(_)));
    }

    /// Lines are found as `read_until` would read them, whatever the reader's buffer size and
    /// the batch size: lines that cross buffers, blank lines, a byte-order mark, CRLF, a last
    /// line without a break, and a line that is not UTF-8 (found like any other: the parser
    /// reports it).
    #[test]
    fn lines_are_found_as_read_until_reads_them() {
        let program = crate::check::compile_str("t.gj", POLICY)
            .program
            .expect("policy compiles");
        let long = format!("{{\"id\":\"{}\"}}", "长".repeat(300));
        let texts: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\n\n".to_vec(),
            "\u{FEFF}{\"id\":\"a\"}\n\n  \n{\"id\":\"b\"}\r\n{\"id\":\"c\"}".into(),
            format!("{long}\n{{\"id\":\"甲\"}}\n{long}\n").into_bytes(),
            [
                b"{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"\xd5\xc5\"}\n".to_vec(),
                b"\xd5\xc5\n{\"id\":\"d\"}\n".to_vec(),
            ]
            .concat(),
        ];
        for bytes in &texts {
            // What reading line by line gives: (bytes, line, byte, index).
            let mut expected = Vec::new();
            let (mut line, mut byte, mut index) = (0u32, 0u64, 0u64);
            for part in bytes.split_inclusive(|b| *b == b'\n') {
                line += 1;
                let start = byte;
                byte += part.len() as u64;
                let part = if line == 1 {
                    part.strip_prefix(b"\xEF\xBB\xBF".as_slice())
                        .unwrap_or(part)
                } else {
                    part
                };
                let blank = std::str::from_utf8(part).is_ok_and(|t| t.trim().is_empty());
                if !blank {
                    expected.push((part.to_vec(), line, start, index));
                    index += 1;
                }
            }
            for cap in [1, 2, 5, 64, 1 << 16] {
                for batch in [1, 2, 1000] {
                    let reader =
                        std::io::BufReader::with_capacity(cap, std::io::Cursor::new(bytes.clone()));
                    let mut j = Jsonl::new("t.jsonl", Box::new(reader), &program, Some(0), 0);
                    let mut got = Vec::new();
                    loop {
                        let more = j.read_lines(batch).expect("no read error");
                        for (range, loc) in &j.spans {
                            got.push((
                                j.text[range.clone()].to_vec(),
                                loc.line,
                                loc.byte,
                                loc.index,
                            ));
                        }
                        if !more {
                            break;
                        }
                    }
                    assert_eq!(got, expected, "cap {cap}, batch {batch}, {bytes:?}");
                }
            }
        }
    }

    #[test]
    fn type_keys_are_named_as_the_program_names_them() {
        let land = "policy land \"耕地\"\nrecord project \"建设项目\" {\n  id text key\n}\n";
        let reno = "policy renovation \"改造\"\nrecord project \"改造项目\" {\n  id text key\n}\nrecord site \"小区\" {\n  id text key\n}\n";
        let program = crate::check::compile(
            vec![
                ("a/land-use.gj".to_string(), land.to_string()),
                ("b/renovation.gj".to_string(), reno.to_string()),
            ],
            &crate::check::MemoryResolver(Default::default()),
        )
        .program
        .expect("compiles");
        let names = [
            "project",
            "建设项目",
            "改造项目",
            "site",
            "小区",
            "land::project",
            "land-use::project",
            "renovation::project",
            "renovation::改造项目",
            "renovation::site",
            "land::site",
            "nothing",
            "",
            "::",
            "a::b::c",
        ];
        for scope in [None, Some("renovation"), Some("land"), Some("land-use")] {
            let mut typing = Typing::new("t.json", &program, None, 0);
            typing.set_scope(scope.map(str::to_string));
            for n in names {
                assert_eq!(
                    typing.type_named(n),
                    typing.type_named_slowly(n),
                    "{n} in {scope:?}"
                );
            }
        }
        let mut typing = Typing::new("t.json", &program, None, 0);
        typing.set_scope(Some("renovation".to_string()));
        assert_eq!(
            typing.type_named("project"),
            program.record_type("renovation::project")
        );
        assert!(typing.type_named("project").is_some());
    }
}
