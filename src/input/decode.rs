//! Reading a file in GB18030 (and so GBK and GB2312) as UTF-8, decoded as it is read: a large
//! file saved from Excel in a legacy encoding streams like a UTF-8 one, in constant memory.

use encoding_rs::{Decoder, DecoderResult, GB18030};
use std::io::{self, Read};

/// Bytes read from the file at a time, and decoded at most at a time.
const CHUNK: usize = 1 << 16;

/// The input is not GB18030 at this byte of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotGb18030 {
    pub byte: u64,
}

impl std::fmt::Display for NotGb18030 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not valid GB18030/GBK at byte {}", self.byte)
    }
}

impl std::error::Error for NotGb18030 {}

/// The decoding error inside an I/O error, if that is what it is.
pub fn not_gb18030(e: &io::Error) -> Option<NotGb18030> {
    e.get_ref()?.downcast_ref::<NotGb18030>().copied()
}

/// Decodes GB18030 from `inner` into UTF-8. A byte sequence that is not GB18030 is an
/// `InvalidData` error carrying [`NotGb18030`], raised once the text before it has been read.
pub struct Gb18030Reader<R> {
    inner: R,
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
    failed: Option<NotGb18030>,
}

impl<R: Read> Gb18030Reader<R> {
    pub fn new(inner: R) -> Self {
        Gb18030Reader {
            inner,
            // A byte order mark, if any, says what the file is (UTF-8 or UTF-16) and is skipped.
            decoder: GB18030.new_decoder(),
            raw: vec![0; CHUNK],
            raw_at: 0,
            raw_end: 0,
            // Room for the longest UTF-8 that `CHUNK` bytes can decode to.
            text: vec![0; CHUNK * 2 + 16],
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
                    self.failed = Some(NotGb18030 { byte });
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

impl<R: Read> Read for Gb18030Reader<R> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads all of `bytes` through the reader, `piece` bytes a read call.
    fn decode(bytes: &[u8], piece: usize) -> (Vec<u8>, Option<NotGb18030>) {
        let mut r = Gb18030Reader::new(bytes);
        let mut out = Vec::new();
        let mut buf = vec![0; piece];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return (out, not_gb18030(&e)),
            }
        }
    }

    #[test]
    fn reading_after_the_end_is_the_end_again() {
        // Found by the reader fuzz target: `}[` read by the JSON reader, which peeks again after
        // the last byte. The decoder had been finished, and a second call panicked.
        let mut r = Gb18030Reader::new(&b"}["[..]);
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
            assert_eq!(err, Some(NotGb18030 { byte: at }), "{piece}");
        }
    }
}
