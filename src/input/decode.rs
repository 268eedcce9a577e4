//! A data file's text encoding: chosen for each file (given, by its byte order mark, or detected),
//! and the file decoded to UTF-8 as it is read, so that a large file saved from Excel in GBK or
//! as "Unicode 文本" (UTF-16) streams like a UTF-8 one, in constant memory.
//!
//! Detection reads the first [`SNIFF`] bytes. A byte order mark decides; else text that is valid
//! UTF-8 is UTF-8; else bytes with a NUL in every other place are UTF-16 without a mark; else
//! `chardetng` guesses, told the text is from `.cn`: GBK (read as GB18030, its superset) or Big5
//! are accepted, any other guess is refused rather than read as mojibake. A file that turns out
//! not to be in the encoding chosen is an error at its line, never text decoded wrong.

use encoding_rs::{Decoder, DecoderResult, Encoding, BIG5, GB18030, UTF_16BE, UTF_16LE, UTF_8};
use std::io::{self, Read, Seek, SeekFrom};

/// Bytes read from the file at a time, and decoded at most at a time.
const CHUNK: usize = 1 << 16;

/// Bytes of a file read to tell its encoding.
pub const SNIFF: usize = 1 << 16;

/// How a file's encoding was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum By {
    /// Named on the command line (`--data 台账.csv:gbk`, `--encoding gbk`).
    Given,
    /// Its byte order mark.
    Bom,
    /// Detected from its first bytes.
    Detected,
}

/// The encoding a data file is read in, and how it was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextEncoding {
    pub encoding: &'static Encoding,
    pub by: By,
}

impl TextEncoding {
    /// UTF-8 without a word: the default, read without decoding.
    pub fn is_plain_utf8(&self) -> bool {
        self.encoding == UTF_8
    }

    /// The encoding's name as reports print it.
    pub fn name(&self) -> &'static str {
        display_name(self.encoding)
    }
}

/// `GB18030`, `UTF-16LE`, …: how reports name an encoding.
pub fn display_name(e: &'static Encoding) -> &'static str {
    if e == GB18030 {
        "GB18030"
    } else if e == BIG5 {
        "Big5"
    } else {
        e.name()
    }
}

/// The encodings a data file may be named to be in, as typed (case aside): GBK and GB2312 are
/// read as GB18030, which holds both.
pub fn named(label: &str) -> Option<&'static Encoding> {
    Some(match label.trim().to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" => UTF_8,
        "gbk" | "gb18030" | "gb2312" | "cp936" => GB18030,
        "utf-16" | "utf16" | "utf-16le" | "utf16le" | "unicode" => UTF_16LE,
        "utf-16be" | "utf16be" => UTF_16BE,
        "big5" => BIG5,
        _ => return None,
    })
}

/// The names [`named`] accepts, for help texts.
pub const NAMES: &str = "utf-8, gbk, gb18030, utf-16le, utf-16be, big5";

/// How many non-ASCII characters valid UTF-8 must hold before its first bad byte for the file
/// to be taken for UTF-8 with a bad byte.
const UTF8_BEFORE_A_BAD_BYTE: usize = 4;

/// What the first bytes of a file say of its encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// Read it in this encoding.
    Is(TextEncoding),
    /// Neither UTF-8, UTF-16 nor Chinese: `chardetng`'s guess, not acted on.
    Unsure(&'static Encoding),
}

/// Tells the encoding of a file from its first bytes, `prefix` (all of it when `complete`).
pub fn sniff(prefix: &[u8], complete: bool) -> Sniffed {
    if let Some((e, _)) = Encoding::for_bom(prefix) {
        return Sniffed::Is(TextEncoding {
            encoding: e,
            by: By::Bom,
        });
    }
    let utf8 = match std::str::from_utf8(prefix) {
        Ok(_) => true,
        // Cut off inside a character at the end of the prefix: valid so far.
        Err(e) if e.error_len().is_none() && !complete => true,
        // Several Chinese characters in UTF-8, then a byte that is not: a UTF-8 file with a bad
        // cell, which the reader locates, not a file in some other encoding. (GBK text seldom
        // forms even one valid three-byte UTF-8 character, let alone several in a row.)
        Err(e) => String::from_utf8_lossy(prefix.get(..e.valid_up_to()).unwrap_or_default())
            .chars()
            .filter(|c| !c.is_ascii())
            .nth(UTF8_BEFORE_A_BAD_BYTE - 1)
            .is_some(),
    };
    // UTF-16 text of ASCII, digits and Chinese: a NUL byte in one of each two places, far more
    // often than text in any other encoding has one at all, and seldom in the other place.
    let pairs = prefix.len() / 2;
    if pairs >= 2 {
        let (mut even, mut odd) = (0usize, 0usize);
        for p in prefix.chunks_exact(2) {
            even += usize::from(p.first() == Some(&0));
            odd += usize::from(p.get(1) == Some(&0));
        }
        // (A list of Chinese names has one ASCII character, a comma or a line break, in seven; 一 is
        // U+4E00, with a NUL in the other place.)
        // Such bytes are taken for UTF-16 when they decode to text: no broken surrogate pair, no
        // control character but tab and line breaks.
        let utf16 = |zeros: usize, other: usize, e: &'static Encoding| {
            zeros * 10 >= pairs && other * 2 < zeros && {
                let mut d = e.new_decoder_without_bom_handling();
                let mut text = String::with_capacity(prefix.len() * 2 + 8);
                let (res, _) = d.decode_to_string_without_replacement(prefix, &mut text, complete);
                !matches!(res, DecoderResult::Malformed(..))
                    && !text
                        .chars()
                        .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
            }
        };
        if utf16(odd, even, UTF_16LE) {
            return detected(UTF_16LE);
        }
        if utf16(even, odd, UTF_16BE) {
            return detected(UTF_16BE);
        }
    }
    if utf8 {
        return Sniffed::Is(TextEncoding {
            encoding: UTF_8,
            by: By::Detected,
        });
    }
    let mut d = chardetng::EncodingDetector::new();
    d.feed(prefix, complete);
    // Told nothing of where the file is from: told `.cn`, chardetng takes Japanese for GBK.
    match d.guess(None, true) {
        e if e == encoding_rs::GBK || e == GB18030 => detected(GB18030),
        e if e == BIG5 => detected(BIG5),
        e => Sniffed::Unsure(e),
    }
}

fn detected(e: &'static Encoding) -> Sniffed {
    Sniffed::Is(TextEncoding {
        encoding: e,
        by: By::Detected,
    })
}

/// Reads up to [`SNIFF`] bytes of `f` from its start and tells its encoding; `f` is left at its
/// start.
pub fn sniff_file(f: &mut (impl Read + Seek)) -> io::Result<Sniffed> {
    f.seek(SeekFrom::Start(0))?;
    let mut prefix = Vec::with_capacity(SNIFF);
    let got = (&mut *f).take(SNIFF as u64).read_to_end(&mut prefix)?;
    f.seek(SeekFrom::Start(0))?;
    Ok(sniff(&prefix, got < SNIFF))
}

/// The input is not in its encoding at this byte of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotDecodable {
    pub byte: u64,
    pub encoding: &'static Encoding,
}

impl std::fmt::Display for NotDecodable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "not valid {} at byte {}",
            display_name(self.encoding),
            self.byte
        )
    }
}

impl std::error::Error for NotDecodable {}

/// The decoding error inside an I/O error, if that is what it is.
pub fn not_decodable(e: &io::Error) -> Option<NotDecodable> {
    e.get_ref()?.downcast_ref::<NotDecodable>().copied()
}

/// Decodes `encoding` from `inner` into UTF-8. A byte sequence that is not in it is an
/// `InvalidData` error carrying [`NotDecodable`], raised once the text before it has been read.
/// A byte order mark is skipped.
pub struct DecodeReader<R> {
    inner: R,
    encoding: &'static Encoding,
    decoder: Decoder,
    raw: Vec<u8>,
    /// Undecoded bytes: `raw[raw_at..raw_end]`.
    raw_at: usize,
    raw_end: usize,
    /// Decoded bytes not yet read: `text[text_at..text_end]`.
    text: Vec<u8>,
    text_at: usize,
    text_end: usize,
    /// Bytes of the file decoded so far.
    decoded: u64,
    eof: bool,
    /// The decoder was told the input ended and said it had nothing left: it may not be called
    /// again (encoding_rs panics if it is).
    finished: bool,
    /// An error met after decoding the text now in `text`.
    failed: Option<NotDecodable>,
}

impl<R: Read> DecodeReader<R> {
    pub fn new(inner: R, encoding: &'static Encoding) -> Self {
        DecodeReader {
            inner,
            encoding,
            // A byte order mark, if any, is skipped (and says what the file is).
            decoder: encoding.new_decoder(),
            raw: vec![0; CHUNK],
            raw_at: 0,
            raw_end: 0,
            // Room for the longest UTF-8 that `CHUNK` bytes can decode to.
            text: vec![0; CHUNK * 3 + 16],
            text_at: 0,
            text_end: 0,
            decoded: 0,
            eof: false,
            finished: false,
            failed: None,
        }
    }

    /// Decodes more text into `text` (empty before); false at the end of the input.
    fn decode_more(&mut self) -> io::Result<bool> {
        self.text_at = 0;
        self.text_end = 0;
        loop {
            if let Some(e) = self.failed {
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
            if self.finished {
                return Ok(false);
            }
            if self.raw_at == self.raw_end && !self.eof {
                self.raw_at = 0;
                self.raw_end = loop {
                    match self.inner.read(&mut self.raw) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                };
                self.eof = self.raw_end == 0;
            }
            let src = self.raw.get(self.raw_at..self.raw_end).unwrap_or_default();
            let dst = self.text.get_mut(self.text_end..).unwrap_or_default();
            let (res, read, written) = self
                .decoder
                .decode_to_utf8_without_replacement(src, dst, self.eof);
            self.raw_at += read;
            self.decoded += read as u64;
            self.text_end += written;
            match res {
                DecoderResult::Malformed(bad, after) => {
                    // `decoded` counts the malformed bytes and the `after` bytes read past them.
                    let byte = self.decoded - u64::from(bad) - u64::from(after);
                    self.failed = Some(NotDecodable {
                        byte,
                        encoding: self.encoding,
                    });
                    if self.text_end > 0 {
                        return Ok(true);
                    }
                }
                DecoderResult::OutputFull => return Ok(true),
                DecoderResult::InputEmpty => {
                    self.finished = self.eof;
                    if self.text_end > 0 {
                        return Ok(true);
                    }
                    if self.eof {
                        return Ok(false);
                    }
                }
            }
        }
    }
}

impl<R: Read + Seek> DecodeReader<R> {
    /// Starts again at the file's first byte.
    fn rewind(&mut self) -> io::Result<()> {
        self.inner.seek(SeekFrom::Start(0))?;
        self.decoder = self.encoding.new_decoder();
        self.raw_at = 0;
        self.raw_end = 0;
        self.text_at = 0;
        self.text_end = 0;
        self.decoded = 0;
        self.eof = false;
        self.finished = false;
        self.failed = None;
        Ok(())
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.text_at == self.text_end && !self.decode_more()? {
            return Ok(0);
        }
        let text = self
            .text
            .get(self.text_at..self.text_end)
            .unwrap_or_default();
        let n = text.len().min(out.len());
        if let (Some(to), Some(from)) = (out.get_mut(..n), text.get(..n)) {
            to.copy_from_slice(from);
        }
        self.text_at += n;
        Ok(n)
    }
}

/// Bytes of decoded text kept behind the read position, so that a finding's snippet can back
/// up to the start of its line (or of its JSON record's line) without decoding from the start.
const KEEP: usize = 1 << 18;

/// A file's decoded text, read and sought by its offsets: how findings in a GBK or UTF-16 file
/// are read again, at the offsets (in UTF-8 text) at which the reader met their records. Seeking
/// ahead decodes and skips; seeking back within the last [`KEEP`] bytes is served from memory;
/// seeking further back decodes again from the start.
pub struct DecodedSeek<R> {
    reader: DecodeReader<R>,
    /// Text decoded most recently: `kept[..]` is the text at offsets `kept_from..`.
    kept: Vec<u8>,
    kept_from: u64,
    /// The offset the next read starts at; at most `kept_from + kept.len()`.
    pos: u64,
}

impl<R: Read + Seek> DecodedSeek<R> {
    pub fn new(inner: R, encoding: &'static Encoding) -> Self {
        DecodedSeek {
            reader: DecodeReader::new(inner, encoding),
            kept: Vec::new(),
            kept_from: 0,
            pos: 0,
        }
    }

    fn kept_end(&self) -> u64 {
        self.kept_from + self.kept.len() as u64
    }

    /// Decodes more text onto `kept`, dropping what lies more than `KEEP` behind; false at the end.
    fn more(&mut self) -> io::Result<bool> {
        let mut buf = [0u8; 1 << 14];
        let n = loop {
            match self.reader.read(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        self.kept
            .extend_from_slice(buf.get(..n).unwrap_or_default());
        if self.kept.len() > 2 * KEEP {
            let drop = self.kept.len() - KEEP;
            self.kept.drain(..drop);
            self.kept_from += drop as u64;
        }
        Ok(n > 0)
    }
}

impl<R: Read + Seek> Read for DecodedSeek<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.kept_end() && !self.more()? {
            return Ok(0);
        }
        let at = usize::try_from(self.pos - self.kept_from).unwrap_or(usize::MAX);
        let from = self.kept.get(at..).unwrap_or_default();
        let n = from.len().min(out.len());
        if let (Some(to), Some(from)) = (out.get_mut(..n), from.get(..n)) {
            to.copy_from_slice(from);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for DecodedSeek<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => n,
            SeekFrom::Current(d) => self.pos.checked_add_signed(d).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "seek before the start")
            })?,
            SeekFrom::End(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "decoded text is not sought from its end",
                ))
            }
        };
        if target < self.kept_from {
            self.reader.rewind()?;
            self.kept.clear();
            self.kept_from = 0;
        }
        while self.kept_end() < target {
            if !self.more()? {
                break;
            }
        }
        self.pos = target.min(self.kept_end());
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example_texts() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let mut out = Vec::new();
        for topic in std::fs::read_dir(root).unwrap() {
            for f in std::fs::read_dir(topic.unwrap().path()).unwrap() {
                let p = f.unwrap().path();
                if p.extension()
                    .is_some_and(|e| e == "csv" || e == "jsonl" || e == "json")
                {
                    out.push((
                        p.display().to_string(),
                        std::fs::read_to_string(&p).unwrap(),
                    ));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn utf8_with_one_bad_byte_after_chinese_text_is_utf8_for_the_reader_to_locate() {
        let mut bytes = "项目编号,县\n".as_bytes().to_vec();
        bytes.extend(b"F2,\xd5\xc5\n");
        assert_eq!(
            sniff(&bytes, true),
            Sniffed::Is(TextEncoding {
                encoding: UTF_8,
                by: By::Detected
            })
        );
        // Too little UTF-8 before it to say: not taken for UTF-8.
        let mut bytes = "县,x\n".as_bytes().to_vec();
        bytes.extend(b"F2,\xd5\xc5\xd5\xc5\n");
        assert_ne!(
            sniff(&bytes, true),
            Sniffed::Is(TextEncoding {
                encoding: UTF_8,
                by: By::Detected
            })
        );
    }

    #[test]
    fn every_example_is_told_in_every_encoding_offices_save_it_in() {
        let mut told = 0;
        for (path, text) in example_texts() {
            let enc = |e: &'static Encoding| e.encode(&text).0.into_owned();
            let mut bom16 = vec![0xFF, 0xFE];
            bom16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
            let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
            let cases: Vec<(Vec<u8>, &'static Encoding)> = vec![
                (text.as_bytes().to_vec(), UTF_8),
                (enc(GB18030), if text.is_ascii() { UTF_8 } else { GB18030 }),
                (bom16, UTF_16LE),
                (le, UTF_16LE),
                (be, UTF_16BE),
            ];
            for (bytes, want) in cases {
                let n = bytes.len().min(SNIFF);
                match sniff(&bytes[..n], n == bytes.len()) {
                    Sniffed::Is(e) => assert_eq!(e.encoding, want, "{path}"),
                    other => panic!("{path}: {other:?}, not {}", want.name()),
                }
                told += 1;
            }
        }
        assert!(told > 200, "{told}");
    }

    #[test]
    fn japanese_and_korean_are_not_taken_for_chinese() {
        let ja = "編号,名称,金額\nA1,東京都港区役所のデータ,80\nA2,大阪府のデータです,120\n";
        let ko = "번호,이름,금액\nA1,서울특별시 중구청,80\nA2,부산광역시 해운대구,120\n";
        for (text, e) in [(ja, encoding_rs::SHIFT_JIS), (ko, encoding_rs::EUC_KR)] {
            let (bytes, _, _) = e.encode(text);
            assert!(
                matches!(sniff(&bytes, true), Sniffed::Unsure(_)),
                "{} {:?}",
                e.name(),
                sniff(&bytes, true)
            );
        }
    }

    /// Reads all of `bytes` through the reader, `piece` bytes a read call.
    fn decode(bytes: &[u8], piece: usize) -> (Vec<u8>, Option<NotDecodable>) {
        let mut r = DecodeReader::new(bytes, GB18030);
        let mut out = Vec::new();
        let mut buf = vec![0; piece];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return (out, not_decodable(&e)),
            }
        }
    }

    #[test]
    fn reading_after_the_end_is_the_end_again() {
        // Found by the reader fuzz target: `}[` read by the JSON reader, which peeks again after
        // the last byte. The decoder had been finished, and a second call panicked.
        let mut r = DecodeReader::new(&b"}["[..], GB18030);
        let mut buf = [0u8; 16];
        assert_eq!(r.read(&mut buf).unwrap(), 2);
        assert_eq!(&buf[..2], b"}[");
        for _ in 0..3 {
            assert_eq!(r.read(&mut buf).unwrap(), 0);
        }
    }

    #[test]
    fn decodes_as_encoding_rs_decodes_the_whole_file() {
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!("F{i},渑池县,{i}万元,脱贫攻坚,€𠀀\n"));
        }
        let (bytes, _, unmappable) = GB18030.encode(&text);
        assert!(!unmappable);
        for piece in [1, 3, 4096, 1 << 20] {
            let (out, err) = decode(&bytes, piece);
            assert_eq!(err, None);
            assert_eq!(String::from_utf8(out).unwrap(), text, "{piece}");
        }
    }

    #[test]
    fn bad_bytes_are_an_error_after_the_text_before_them() {
        let (good, _, _) = GB18030.encode("甲,1\n乙,2\n");
        let mut bytes = good.to_vec();
        let at = bytes.len() as u64;
        bytes.extend_from_slice(b"\x81\x20,3\n");
        for piece in [1, 2, 7, 4096] {
            let (out, err) = decode(&bytes, piece);
            assert_eq!(String::from_utf8(out).unwrap(), "甲,1\n乙,2\n", "{piece}");
            assert_eq!(
                err,
                Some(NotDecodable {
                    byte: at,
                    encoding: GB18030
                }),
                "{piece}"
            );
        }
    }
}

#[cfg(test)]
mod seek_tests {
    use super::*;

    #[test]
    fn decoded_text_is_sought_as_if_it_were_a_file() {
        let mut text = String::new();
        for i in 0..40_000 {
            text.push_str(&format!("H{i},渑池县,{i}万元\n"));
        }
        let (bytes, _, _) = GB18030.encode(&text);
        let mut f = DecodedSeek::new(std::io::Cursor::new(bytes.into_owned()), GB18030);
        let want = text.as_bytes();
        // Ahead, back a little (from what is kept), far back (decoded again), and past the end.
        for at in [0u64, 5, 300_000, 299_990, 1_000_000, 10, 999_000, 1_200_000] {
            let got = f.seek(SeekFrom::Start(at)).unwrap();
            let at = at.min(want.len() as u64);
            assert_eq!(got, at);
            let mut buf = vec![0u8; 64];
            let n = f.read(&mut buf).unwrap();
            let from = at as usize;
            let end = (from + n).min(want.len());
            assert_eq!(&buf[..n], &want[from..end], "at {at}");
            assert!(n > 0 || from == want.len(), "at {at}");
        }
    }
}
