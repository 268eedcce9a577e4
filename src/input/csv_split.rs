//! Splitting CSV text into records, as `csv_core` splits it, with each record's true position.
//!
//! Splitting is the part of reading CSV that runs on one thread while the others convert rows,
//! so it bounds how far `--jobs` scales. Most records have no quotes: they are cut at the next
//! line break here, and split at the delimiters only when the threads that convert them walk
//! their fields (`csv_core`'s state machine would take about seventeen instructions a byte). A
//! record with a quote anywhere in it is read by `csv_core` itself, so quoting, doubled quotes
//! and line breaks inside quotes mean what they mean there.
//!
//! The rules, as `csv_core` has them: `\r`, `\n` and `\r\n` each end a record; line breaks
//! where a record would start are skipped (blank lines hold no record); a quote only quotes at
//! the start of a field. Unlike the `csv` crate's `Position`, a record's position here is that
//! of its first byte — after any blank lines before it, and after the `\n` of a `\r\n` — so
//! that files with Windows line ends are located on the right line.
//!
//! One thing `csv_core` lets pass is an error here: a quoted field still open at the end of the
//! file. `csv_core` ends the record there, so one stray quote would turn every line after it
//! into a single field, and those records would be lost without a word.

use std::io::BufRead;
use std::ops::Range;

/// One record's bytes and where each field is in them.
#[derive(Debug, Default, Clone)]
pub(crate) struct Row {
    bytes: Vec<u8>,
    /// A record without quotes: its fields are its bytes split at this delimiter (`fields` is
    /// empty).
    plain: Option<u8>,
    /// A record read by `csv_core`: where each field is in `bytes`.
    fields: Vec<(usize, usize)>,
}

impl Row {
    fn clear(&mut self) {
        self.bytes.clear();
        self.plain = None;
        self.fields.clear();
    }

    /// All of the record's bytes: its fields, with what separated them when it had no quotes.
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    /// Where each field is in `as_slice()`, in order.
    pub(crate) fn ranges(&self) -> Ranges<'_> {
        match self.plain {
            Some(delim) => Ranges::Plain {
                bytes: &self.bytes,
                delim,
                at: Some(0),
            },
            None => Ranges::Listed(self.fields.iter()),
        }
    }

    /// Where field `i` is in `as_slice()`.
    pub(crate) fn range(&self, i: usize) -> Option<Range<usize>> {
        self.ranges().nth(i)
    }

    /// The 1-based column, in characters, at which field `i` starts (as diagnostics count).
    pub(crate) fn char_col(&self, i: usize) -> Option<u32> {
        let before = self.bytes.get(..self.range(i)?.start)?;
        Some(String::from_utf8_lossy(before).chars().count() as u32 + 1)
    }

    pub(crate) fn get(&self, i: usize) -> Option<&[u8]> {
        self.bytes.get(self.range(i)?)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.ranges().filter_map(|r| self.bytes.get(r))
    }
}

/// The fields of a `Row`, as ranges of its bytes.
pub(crate) enum Ranges<'a> {
    /// Split at `delim` from `at` on (`None`: every field given).
    Plain {
        bytes: &'a [u8],
        delim: u8,
        at: Option<usize>,
    },
    Listed(std::slice::Iter<'a, (usize, usize)>),
}

impl Iterator for Ranges<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        match self {
            Ranges::Plain { bytes, delim, at } => {
                let start = (*at)?;
                let rest = bytes.get(start..).unwrap_or_default();
                match rest.iter().position(|c| c == delim) {
                    Some(k) => {
                        *at = Some(start + k + 1);
                        Some(start..start + k)
                    }
                    None => {
                        *at = None;
                        Some(start..bytes.len())
                    }
                }
            }
            Ranges::Listed(it) => it.next().map(|&(a, b)| a..b),
        }
    }
}

/// Why the next record could not be split.
#[derive(Debug)]
pub(crate) enum SplitError {
    Io(std::io::Error),
    /// The record starting on line `from` opens a quoted field that is still open at the end of
    /// the file, on line `to`.
    Unclosed {
        from: u64,
        to: u64,
    },
    /// The record starting on line `from` is longer than `rows::MAX_RECORD` bytes.
    TooLong {
        from: u64,
    },
}

impl From<std::io::Error> for SplitError {
    fn from(e: std::io::Error) -> SplitError {
        SplitError::Io(e)
    }
}

/// Where `csv_core` is within a record, as far as quoting goes (its default dialect: `"`
/// quotes at the start of a field, `""` is a quote inside one, and a quote anywhere else is a
/// plain byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    FieldStart,
    Plain,
    Quoted,
    /// A quote inside a quoted field: it closes the field unless another follows.
    QuoteInQuoted,
}

impl Quoting {
    fn step(self, b: u8, delim: u8) -> Quoting {
        match (self, b) {
            (Quoting::FieldStart, b'"') => Quoting::Quoted,
            (Quoting::Quoted, b'"') => Quoting::QuoteInQuoted,
            (Quoting::Quoted, _) => Quoting::Quoted,
            (Quoting::QuoteInQuoted, b'"') => Quoting::Quoted,
            (_, b) if b == delim => Quoting::FieldStart,
            _ => Quoting::Plain,
        }
    }
}

/// Where a record starts: 1-based line, and byte offset in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Start {
    pub line: u64,
    pub byte: u64,
}

/// Reads records from a byte stream.
pub(crate) struct Splitter {
    r: Box<dyn BufRead + Send>,
    delim: u8,
    /// For records with quotes.
    core: csv_core::Reader,
    /// The position of the next byte to read.
    at: Start,
    /// A record begun in a previous buffer.
    partial: Vec<u8>,
    /// `csv_core`'s output: field bytes and where each field ends.
    out: Vec<u8>,
    ends: Vec<usize>,
}

impl Splitter {
    pub(crate) fn new(r: Box<dyn BufRead + Send>, delim: u8) -> Splitter {
        Splitter {
            r,
            delim,
            core: csv_core::ReaderBuilder::new().delimiter(delim).build(),
            at: Start { line: 1, byte: 0 },
            partial: Vec::new(),
            out: vec![0; 1024],
            ends: vec![0; 64],
        }
    }

    /// The line being read.
    pub(crate) fn line(&self) -> u64 {
        self.at.line
    }

    /// Consumes `n` bytes of the current buffer, of which `newlines` are `\n`.
    fn advance(&mut self, n: usize, newlines: u64) {
        self.r.consume(n);
        self.at.byte += n as u64;
        self.at.line += newlines;
    }

    /// Reads the next record into `rec`; `Ok(None)` at the end of the input.
    pub(crate) fn read(&mut self, rec: &mut Row) -> Result<Option<Start>, SplitError> {
        rec.clear();
        // Line breaks where a record would start.
        loop {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let len = buf.len();
            let n = buf
                .iter()
                .position(|b| !matches!(b, b'\r' | b'\n'))
                .unwrap_or(len);
            let newlines = count_newlines(buf.get(..n).unwrap_or_default());
            self.advance(n, newlines);
            if n < len {
                break;
            }
        }
        let start = self.at;
        self.partial.clear();
        loop {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                // The last record, without a line break.
                split_fields(&self.partial, self.delim, rec);
                return Ok(Some(start));
            }
            match memchr::memchr3(b'\r', b'\n', b'"', buf) {
                Some(i) if buf.get(i) != Some(&b'"') => {
                    let newline = u64::from(buf.get(i) == Some(&b'\n'));
                    if self.partial.is_empty() {
                        split_fields(buf.get(..i).unwrap_or_default(), self.delim, rec);
                    } else {
                        self.partial
                            .extend_from_slice(buf.get(..i).unwrap_or_default());
                        split_fields(&self.partial, self.delim, rec);
                    }
                    // The line break is the record's; a `\n` after a `\r` is skipped as a blank
                    // line by the next read.
                    self.advance(i + 1, newline);
                    return Ok(Some(start));
                }
                Some(_) => {
                    if let Some(ends_in_newline) = self.quoted(rec, start.line)? {
                        // The line of the file's last byte (not the empty one after a final `\n`).
                        let to = self.at.line - u64::from(ends_in_newline);
                        return Err(SplitError::Unclosed {
                            from: start.line,
                            to: to.max(start.line),
                        });
                    }
                    return Ok(Some(start));
                }
                None => {
                    // No line break nor quote in this buffer: the record goes on in the next.
                    let n = buf.len();
                    if self.partial.len() + n > super::rows::MAX_RECORD {
                        return Err(SplitError::TooLong { from: start.line });
                    }
                    self.partial.extend_from_slice(buf);
                    self.advance(n, 0);
                }
            }
        }
    }

    /// Reads a record with a quote through `csv_core`, from its start (the bytes gathered in
    /// `partial`, then the input). When the record ends at the end of the file inside a quoted
    /// field: `Some`, with whether the file's last byte is a `\n`.
    fn quoted(&mut self, rec: &mut Row, from: u64) -> Result<Option<bool>, SplitError> {
        use csv_core::ReadRecordResult as R;
        self.core.reset();
        let (mut outlen, mut endlen) = (0, 0);
        let mut pending = std::mem::take(&mut self.partial);
        let mut from_partial = 0;
        let mut quoting = Quoting::FieldStart;
        let mut last_byte = 0u8;
        let mut at_end;
        loop {
            let use_partial = from_partial < pending.len();
            let (res, nin, nout, nend) = {
                let input = if use_partial {
                    pending.get(from_partial..).unwrap_or_default()
                } else {
                    self.r.fill_buf()?
                };
                at_end = input.is_empty();
                let (out, ends) = (
                    self.out.get_mut(outlen..).unwrap_or_default(),
                    self.ends.get_mut(endlen..).unwrap_or_default(),
                );
                let done = self.core.read_record(input, out, ends);
                // Follow the quoting over the bytes `csv_core` took.
                for &b in input.get(..done.1).unwrap_or_default() {
                    quoting = quoting.step(b, self.delim);
                    last_byte = b;
                }
                done
            };
            if use_partial {
                // Bytes already consumed (and counted) when they were gathered.
                from_partial += nin;
            } else {
                let newlines = self
                    .r
                    .fill_buf()
                    .map(|b| count_newlines(b.get(..nin).unwrap_or_default()))
                    .unwrap_or(0);
                self.advance(nin, newlines);
            }
            outlen += nout;
            endlen += nend;
            match res {
                R::InputEmpty => {}
                R::OutputFull => {
                    if self.out.len() > super::rows::MAX_RECORD {
                        return Err(SplitError::TooLong { from });
                    }
                    let n = self.out.len().max(1) * 2;
                    self.out.resize(n, 0);
                }
                R::OutputEndsFull => {
                    // A field takes at least its delimiter: no more fields than bytes.
                    if self.ends.len() > super::rows::MAX_RECORD {
                        return Err(SplitError::TooLong { from });
                    }
                    let n = self.ends.len().max(1) * 2;
                    self.ends.resize(n, 0);
                }
                R::Record | R::End => break,
            }
        }
        pending.clear();
        self.partial = pending;
        rec.bytes
            .extend_from_slice(self.out.get(..outlen).unwrap_or_default());
        let mut last = 0;
        for &end in self.ends.get(..endlen).unwrap_or_default() {
            rec.fields.push((last, end));
            last = end;
        }
        Ok((at_end && quoting == Quoting::Quoted).then_some(last_byte == b'\n'))
    }
}

fn count_newlines(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
}

/// A record without quotes or line breaks: its fields are found when they are walked.
fn split_fields(b: &[u8], delim: u8, rec: &mut Row) {
    rec.bytes.extend_from_slice(b);
    rec.plain = Some(delim);
}

#[cfg(test)]
mod tests {
    use super::*;

    type Fields = Vec<Vec<u8>>;

    /// How many records the `csv` crate reads in `text`.
    fn count(text: &[u8], delim: u8) -> usize {
        csv::ReaderBuilder::new()
            .delimiter(delim)
            .flexible(true)
            .has_headers(false)
            .from_reader(text)
            .byte_records()
            .count()
    }

    /// Every record as the `csv` crate reads it (fields only), and as the splitter reads it (with
    /// positions), through a buffer of `cap` bytes; and whether the splitter stopped at a quote
    /// left open at the end.
    fn both(text: &[u8], delim: u8, cap: usize) -> (Vec<Fields>, Vec<(Fields, Start)>, bool) {
        let mut theirs = Vec::new();
        let mut r = csv::ReaderBuilder::new()
            .delimiter(delim)
            .flexible(true)
            .has_headers(false)
            .from_reader(text);
        let mut theirs_rec = csv::ByteRecord::new();
        while r.read_byte_record(&mut theirs_rec).unwrap_or(false) {
            theirs.push(theirs_rec.iter().map(<[u8]>::to_vec).collect());
        }
        let mut rec = Row::default();
        let reader = std::io::BufReader::with_capacity(cap, std::io::Cursor::new(text.to_vec()));
        let mut s = Splitter::new(Box::new(reader), delim);
        let mut ours = Vec::new();
        let unclosed = loop {
            match s.read(&mut rec) {
                Ok(Some(start)) => ours.push((rec.iter().map(<[u8]>::to_vec).collect(), start)),
                Ok(None) => break false,
                Err(SplitError::Unclosed { .. }) => break true,
                Err(SplitError::Io(e)) => panic!("{e}"),
                Err(e @ SplitError::TooLong { .. }) => panic!("{e:?}"),
            }
        };
        (theirs, ours, unclosed)
    }

    /// A record starts at a byte that is not a line break, right after one (or at 0), on the
    /// line that counts the `\n`s before it.
    fn check_start(text: &[u8], start: Start) {
        let b = start.byte as usize;
        assert!(
            !matches!(text.get(b), Some(b'\r' | b'\n')),
            "{start:?} in {text:?}"
        );
        assert!(
            b == 0 || matches!(text.get(b - 1), Some(b'\r' | b'\n')),
            "{start:?}"
        );
        let lines = 1 + text[..b].iter().filter(|c| **c == b'\n').count() as u64;
        assert_eq!(start.line, lines, "{start:?} in {text:?}");
    }

    #[test]
    fn records_split_as_csv_core_splits_them() {
        let fixed: Vec<&[u8]> = vec![
            b"",
            b"\n\r\n",
            b"a,b,c\nd,e,f\n",
            b"a,b\r\nc,d\r\n",
            b"a,b\rc,d",
            b"\n\na,,b\n,\n x \n",
            b"\"q,1\",2\n3,\"multi\nline\",4\n5\n",
            b"\"a\"\"b\",c\nab\"c,d\n\"x\"y,z\n",
            "甲,乙\n丙,\"丁\r\n戊\"\n".as_bytes(),
            b"no break at the end,1",
            b"\"unclosed,1\n2,3\n",
        ];
        // A fixed-seed LCG over the bytes that matter to splitting.
        let alphabet: &[u8] = b"ab,,\n\r\" \t";
        let mut next = crate::testkit::lcg(0x9E37_79B9_7F4A_7C15);
        let mut texts: Vec<Vec<u8>> = fixed.iter().map(|t| t.to_vec()).collect();
        for _ in 0..2_000 {
            let len = next(40);
            texts.push((0..len).map(|_| alphabet[next(alphabet.len())]).collect());
        }
        let mut records = 0;
        for text in &texts {
            for delim in [b',', b'\t'] {
                for cap in [1, 2, 3, 7, 64, 1 << 16] {
                    let (theirs, ours, unclosed) = both(text, delim, cap);
                    let fields: Vec<_> = ours.iter().map(|(f, _)| f.clone()).collect();
                    // Where the splitter stops at a quote left open, the `csv` crate reads one
                    // more record: the rest of the text as its last field.
                    let agreed = theirs.len() - usize::from(unclosed);
                    assert_eq!(
                        fields,
                        theirs[..agreed],
                        "cap {cap}, {:?}",
                        String::from_utf8_lossy(text)
                    );
                    // A quote is open at the end exactly when what follows would go into the
                    // last record's field instead of starting a record of its own.
                    let longer = [text.as_slice(), b"\nz"].concat();
                    assert_eq!(
                        count(&longer, delim),
                        theirs.len() + usize::from(!unclosed),
                        "cap {cap}, {:?}",
                        String::from_utf8_lossy(text)
                    );
                    for (_, start) in &ours {
                        check_start(text, *start);
                    }
                    records += ours.len();
                }
            }
        }
        assert!(records > 30_000, "{records}");
    }

    #[test]
    fn a_quote_left_open_at_the_end_is_an_error_with_its_lines() {
        for (text, from, to) in [
            (&b"a,b\n1,\"open\n2,3\n4,5\n"[..], 2, 4),
            (b"a,b\n1,\"open\n2,3\n4,5", 2, 4),
            (b"\"x", 1, 1),
            (b"a,b\r\n\r\nc,\"d\"\"e\r\n", 3, 3),
        ] {
            let reader = std::io::BufReader::with_capacity(3, std::io::Cursor::new(text.to_vec()));
            let mut s = Splitter::new(Box::new(reader), b',');
            let mut rec = Row::default();
            let err = loop {
                match s.read(&mut rec) {
                    Ok(Some(_)) => {}
                    Ok(None) => panic!("no error in {:?}", String::from_utf8_lossy(text)),
                    Err(e) => break e,
                }
            };
            assert!(
                matches!(err, SplitError::Unclosed { from: f, to: t } if f == from && t == to),
                "{err:?} in {:?}",
                String::from_utf8_lossy(text)
            );
        }
        // Closed at the very end, or a quote inside a field: no error.
        for text in [&b"a,\"b\nc\""[..], b"a,b\"c", b"\"\"", b"x,\"y\"\"\""] {
            let (theirs, ours, unclosed) = both(text, b',', 2);
            assert!(!unclosed, "{:?}", String::from_utf8_lossy(text));
            assert_eq!(theirs.len(), ours.len());
        }
    }
}
