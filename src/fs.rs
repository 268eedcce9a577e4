//! The file system edge: data files as [`Inputs`] ([`FsInputs`]) and policy files
//! named by `use` and `calendar` ([`FsResolver`]). With `cli`, the only module that touches
//! `std::fs` (`tests/architecture.rs` checks it).

pub mod sandbox;

use crate::check::{Refusal, Resolver};
use crate::input::{InputSpec, Inputs, ReadSeek};

/// An unnamed temporary file (removed when it is closed), for a report that must wait for the
/// end of the run (JUnit); `None` where none can be made.
pub(crate) fn spill_file() -> Option<std::fs::File> {
    tempfile::tempfile().ok()
}

/// Data files named by their paths (`InputSpec::path`), opened from the file system.
#[derive(Debug, Clone, Default)]
pub struct FsInputs {
    specs: Vec<InputSpec>,
}

impl FsInputs {
    /// The files `specs` name, in that order.
    pub fn new(specs: Vec<InputSpec>) -> FsInputs {
        FsInputs { specs }
    }
}

impl Inputs for FsInputs {
    fn specs(&self) -> &[InputSpec] {
        &self.specs
    }

    fn open(&self, index: usize) -> std::io::Result<Box<dyn ReadSeek + Send>> {
        match self.specs.get(index) {
            Some(s) => Ok(Box::new(std::fs::File::open(&s.path)?)),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such input",
            )),
        }
    }
}

/// Resolves `use` and `calendar` paths relative to the file that names them, inside that file's
/// own directory tree ([`sandbox::Sandbox`]; the command line gives the trees of all its policies
/// and `--allow-path` roots).
#[derive(Debug, Clone, Copy, Default)]
pub struct FsResolver;

impl Resolver for FsResolver {
    fn resolve(&self, from: &str, path: &str) -> Result<(String, String), Refusal> {
        sandbox::around(from).read(from, path)
    }
}
