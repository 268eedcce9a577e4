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

/// Temporary files of reports being written, removed by [`remove_partial_reports`] when the run
/// is interrupted (a destructor does not run when the process is ended by a signal).
static PARTIAL: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

/// A report being written to `--output`: it goes to a temporary file beside its destination,
/// which is renamed over it only when the whole report is written ([`ReportFile::commit`]).
/// Until then the previous report stays as it was; a report that is dropped, failed or
/// interrupted is removed and never replaces it. A destination that is a link is followed (the
/// link stays a link); one that is not a regular file (`/dev/null`, a named pipe) cannot be
/// replaced and is written directly.
pub(crate) struct ReportFile {
    out: std::io::BufWriter<std::fs::File>,
    tmp: Option<tempfile::NamedTempFile>,
    path: std::path::PathBuf,
}

impl ReportFile {
    /// Starts a report to `path`, in a temporary file in the same directory (so that the final
    /// rename cannot cross file systems).
    pub(crate) fn create(path: &std::path::Path) -> std::io::Result<ReportFile> {
        let target = match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => return Err(std::io::Error::other("it is a directory")),
            Ok(m) if !m.is_file() => {
                let f = std::fs::OpenOptions::new().write(true).open(path)?;
                return Ok(ReportFile {
                    out: std::io::BufWriter::with_capacity(1 << 16, f),
                    tmp: None,
                    path: path.to_path_buf(),
                });
            }
            Ok(_) => std::fs::canonicalize(path)?,
            Err(_) => path.to_path_buf(),
        };
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => std::path::Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".guiju-").suffix(".partial");
        // As a file made by `File::create` would be (less the umask), not a temporary file's 0600.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let tmp = builder.tempfile_in(dir).map_err(plain)?;
        if let Ok(mut p) = PARTIAL.lock() {
            p.push(tmp.path().to_path_buf());
        }
        let out = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file().try_clone()?);
        Ok(ReportFile {
            out,
            tmp: Some(tmp),
            path: target,
        })
    }

    /// Whether the report replaces a file only once it is whole (`false` for a destination that
    /// is not a regular file, written directly).
    pub(crate) fn replaces(&self) -> bool {
        self.tmp.is_some()
    }

    /// Puts the finished report in place of the previous one.
    pub(crate) fn commit(mut self) -> std::io::Result<()> {
        std::io::Write::flush(&mut self.out)?;
        let Some(tmp) = self.tmp.take() else {
            // Written directly (not a regular file): nothing to put in place.
            return Ok(());
        };
        let tmp_path = tmp.path().to_path_buf();
        let done = tmp.persist(&self.path).map(|_| ()).map_err(|e| e.error);
        forget_partial(&tmp_path);
        done
    }
}

impl std::io::Write for ReportFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl Drop for ReportFile {
    fn drop(&mut self) {
        // The temporary file itself is removed by `NamedTempFile`.
        if let Some(t) = &self.tmp {
            forget_partial(t.path());
        }
    }
}

/// The operating system's error under `tempfile`'s, which names the random temporary path
/// (`No such file or directory (os error 2) at path "…/.guiju-ktIEoP.partial"`): a reader asked
/// for the report's path, not that one.
fn plain(e: std::io::Error) -> std::io::Error {
    let text = e.to_string();
    match text.split_once(" at path \"") {
        Some((os, _)) => std::io::Error::new(e.kind(), os.to_string()),
        None => e,
    }
}

fn forget_partial(tmp: &std::path::Path) {
    if let Ok(mut p) = PARTIAL.lock() {
        p.retain(|q| q != tmp);
    }
}

/// Removes the temporary files of reports still being written (on Ctrl-C), so that the previous
/// reports stay as they were and no partial file is left beside them; says how many there were.
pub(crate) fn remove_partial_reports() -> usize {
    match PARTIAL.lock() {
        Ok(p) => {
            for tmp in p.iter() {
                let _ = std::fs::remove_file(tmp);
            }
            p.len()
        }
        Err(_) => 0,
    }
}

/// Whether `a` and `b` are the same file (by device and inode, through links); `false` when
/// either does not exist.
pub(crate) fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    same_file::is_same_file(a, b).unwrap_or(false)
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

    fn document(&self, from: &str, path: &str) -> Option<Result<String, Refusal>> {
        Some(sandbox::around(from).read_document(from, path))
    }
}
