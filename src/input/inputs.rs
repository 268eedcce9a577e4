//! Where a run's data comes from: the [`Inputs`] trait, through which every input is opened and
//! read back (for a finding's snippet, for the line of a data problem), and [`MemoryInputs`],
//! inputs held in memory. The file system's implementation is `crate::fs::FsInputs`.

use super::{Format, InputSpec};
use std::io::{Read, Seek};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A byte stream that can be read and sought: what an input is opened as.
pub trait ReadSeek: Read + Seek {}

impl<T: Read + Seek + ?Sized> ReadSeek for T {}

/// The data inputs of a run. Each is named by an [`InputSpec`] (its name gives its format by its
/// extension, `.csv`, `.json`, `.jsonl`, `.xlsx`, …, and names it in reports), and opened, from
/// its first byte, as often as the run needs: once to read it, and again to show the text of a
/// finding or a data problem. Opening it again must give the same bytes.
///
/// A server hands uploaded bytes ([`MemoryInputs`]), the command line files
/// (`crate::fs::FsInputs`).
pub trait Inputs: Sync {
    /// The inputs, in the order they are read.
    fn specs(&self) -> &[InputSpec];
    /// Opens input `index` at its first byte.
    fn open(&self, index: usize) -> std::io::Result<Box<dyn ReadSeek + Send>>;
}

/// Inputs held in memory: a name and its bytes each.
///
/// ```
/// use guiju::MemoryInputs;
/// let inputs = MemoryInputs::new().with("households.csv", "编号,家庭人口\nH1,4\n");
/// assert_eq!(guiju::Inputs::specs(&inputs)[0].path, "households.csv");
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryInputs {
    specs: Vec<InputSpec>,
    bytes: Vec<Arc<[u8]>>,
}

impl MemoryInputs {
    /// No inputs.
    pub fn new() -> MemoryInputs {
        MemoryInputs::default()
    }

    /// Adds an input named `name` (its extension gives its format) holding `bytes`.
    pub fn with(self, name: &str, bytes: impl AsRef<[u8]>) -> MemoryInputs {
        self.with_spec(InputSpec::parse(name), bytes)
    }

    /// Adds an input described by `spec` (its record type, its encoding) holding `bytes`.
    pub fn with_spec(mut self, spec: InputSpec, bytes: impl AsRef<[u8]>) -> MemoryInputs {
        self.specs.push(spec);
        self.bytes.push(Arc::from(bytes.as_ref()));
        self
    }
}

impl Inputs for MemoryInputs {
    fn specs(&self) -> &[InputSpec] {
        &self.specs
    }

    fn open(&self, index: usize) -> std::io::Result<Box<dyn ReadSeek + Send>> {
        match self.bytes.get(index) {
            Some(b) => Ok(Box::new(std::io::Cursor::new(Arc::clone(b)))),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such input",
            )),
        }
    }
}

/// Every run gets its own number, so that what a thread keeps open of one run's input is never
/// taken for another run's input of the same name.
static RUNS: AtomicU64 = AtomicU64::new(0);

/// The inputs of one run, as the run reads them back.
#[derive(Clone, Copy)]
pub struct RunInputs<'a> {
    inputs: &'a dyn Inputs,
    run: u64,
}

impl<'a> RunInputs<'a> {
    /// The inputs of a new run.
    pub fn new(inputs: &'a dyn Inputs) -> RunInputs<'a> {
        RunInputs {
            inputs,
            run: RUNS.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Which run it is.
    pub(crate) fn id(&self) -> u64 {
        self.run
    }

    /// The inputs.
    pub fn inputs(&self) -> &'a dyn Inputs {
        self.inputs
    }

    /// Input `index`, to be read again.
    pub fn input(&self, index: usize) -> Option<Reread<'a>> {
        let spec = self.inputs.specs().get(index)?;
        Some(Reread {
            inputs: self.inputs,
            spec,
            index,
            run: self.run,
        })
    }
}

/// One input of a run, to read its text again.
#[derive(Clone, Copy)]
pub struct Reread<'a> {
    inputs: &'a dyn Inputs,
    spec: &'a InputSpec,
    index: usize,
    run: u64,
}

impl Reread<'_> {
    /// Opens the input at its first byte.
    pub fn open(&self) -> std::io::Result<Box<dyn ReadSeek + Send>> {
        self.inputs.open(self.index)
    }

    /// Opens the input's text at its first byte: a CSV or JSON input decoded to UTF-8 from the
    /// encoding it was read in (a workbook as it is). Offsets are those of the text the reader
    /// read, which are the file's own when it is UTF-8.
    pub fn open_text(&self) -> std::io::Result<Box<dyn ReadSeek + Send>> {
        let file = self.open()?;
        if self.format() == Format::Excel {
            return Ok(file);
        }
        let (file, enc) = match super::decided_encoding(self.run, self.index) {
            Some(e) => (file, e),
            None => super::text_encoding(file, self.spec).map_err(|d| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, d.message.en.clone())
            })?,
        };
        Ok(if enc.is_plain_utf8() {
            file
        } else {
            Box::new(super::decode::DecodedSeek::new(file, enc.encoding))
        })
    }

    /// Its name, as given in its spec.
    pub fn name(&self) -> &str {
        &self.spec.path
    }

    /// Its format, by its name (JSON when the name does not say).
    pub fn format(&self) -> Format {
        Format::of(&self.spec.path).unwrap_or(Format::Json)
    }

    /// Which input of which run it is: what a reader kept open is keyed by.
    pub(crate) fn key(&self) -> (u64, usize) {
        (self.run, self.index)
    }
}
