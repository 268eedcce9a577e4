//! The files a run reads besides its data: policies, the files they name (`use "…"`,
//! `calendar "…"`) and `--calendar`. Each must be a regular file under a size limit, checked
//! before a byte of it is read (so `/dev/zero`, a FIFO or a directory is refused at once, not
//! read for ever); and a file a policy names must lie inside the directory tree of the policies
//! given on the command line, or under a root given with `--allow-path`, and be a policy (`.gj`)
//! or a calendar (`.cal`): a policy in a pull request cannot make a run read, and quote in its
//! diagnostics, `/proc/self/environ`, `../../.env` or a symlink to a key. The one other file read
//! is the document a policy's `source` names ([`Sandbox::read_document`]: any text file, in the
//! same trees), only to check the words its citations quote; it is never quoted.

use crate::check::{Refusal, Resolver};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The largest policy (`.gj`) file read, on the command line or by `use`: the largest shipped
/// policy is about 40 KiB.
pub const MAX_POLICY_BYTES: u64 = 4 * 1024 * 1024;
/// The largest `source` document read (to check citations): the shipped ones are under 1 MiB.
pub const MAX_SOURCE_BYTES: u64 = 16 * 1024 * 1024;
/// The largest calendar (`.cal`) read, by `--calendar` or `calendar "…"`: a year is about 2 KiB.
pub const MAX_CALENDAR_BYTES: u64 = 4 * 1024 * 1024;

/// Why a file was not read.
#[derive(Debug)]
pub enum FileProblem {
    /// Opening or reading failed (no such file, no permission, …).
    Io(std::io::Error),
    /// Not a regular file: what it is instead, in English and Chinese.
    NotRegular(&'static str, &'static str),
    /// Larger than the limit (bytes).
    TooLarge(u64),
    /// Not UTF-8 text: the 1-based line of the first byte that is not.
    NotUtf8(usize),
}

impl FileProblem {
    /// The code of a problem that is a limit of this module (`E0306` for a file a policy names,
    /// `U0006` for one named on the command line), or `None` for an ordinary read error.
    pub fn is_limit(&self) -> bool {
        matches!(self, FileProblem::NotRegular(..) | FileProblem::TooLarge(_))
    }

    /// The problem in English.
    pub fn en(&self) -> String {
        match self {
            FileProblem::Io(e) => e.to_string(),
            FileProblem::NotRegular(en, _) => format!("it is {en}, not a regular file"),
            FileProblem::TooLarge(limit) => {
                format!("it is larger than the limit of {} MiB", limit >> 20)
            }
            FileProblem::NotUtf8(line) => format!("line {line} is not UTF-8 text"),
        }
    }

    /// The problem in Chinese.
    pub fn zh(&self) -> String {
        match self {
            FileProblem::Io(e) => match e.kind() {
                std::io::ErrorKind::NotFound => "文件不存在".to_string(),
                std::io::ErrorKind::PermissionDenied => "没有读取权限".to_string(),
                _ => format!("读取失败（{e}）"),
            },
            FileProblem::NotRegular(_, zh) => format!("它是{zh}，不是普通文件"),
            FileProblem::TooLarge(limit) => format!("文件超过 {} MiB 的上限", limit >> 20),
            FileProblem::NotUtf8(line) => format!("第 {line} 行不是 UTF-8 文本"),
        }
    }
}

/// What a path that is not a regular file is, in English and Chinese.
fn kind_of(t: std::fs::FileType) -> (&'static str, &'static str) {
    if t.is_dir() {
        return ("a directory", "目录");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return ("a named pipe (FIFO)", "命名管道（FIFO）");
        }
        if t.is_char_device() || t.is_block_device() {
            return ("a device", "设备文件");
        }
        if t.is_socket() {
            return ("a socket", "套接字");
        }
    }
    ("not a file", "非文件")
}

/// Reads a text file of at most `limit` bytes. The path is looked at first (it must be a regular
/// file, no larger than the limit): a FIFO is never opened, a device never read. Reading stops
/// one byte past the limit, for files whose size the system does not know (`/proc`).
pub fn read_limited(path: &Path, limit: u64) -> Result<String, FileProblem> {
    let bytes = read_bytes_limited(path, limit)?;
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let line = e
            .as_bytes()
            .get(..good)
            .map(|b| memchr::memchr_iter(b'\n', b).count())
            .unwrap_or(0)
            + 1;
        FileProblem::NotUtf8(line)
    })
}

/// The bytes of a file of at most `limit` bytes, looked at as [`read_limited`] does.
pub fn read_bytes_limited(path: &Path, limit: u64) -> Result<Vec<u8>, FileProblem> {
    let meta = std::fs::metadata(path).map_err(FileProblem::Io)?;
    if !meta.is_file() {
        let (en, zh) = kind_of(meta.file_type());
        return Err(FileProblem::NotRegular(en, zh));
    }
    if meta.len() > limit {
        return Err(FileProblem::TooLarge(limit));
    }
    let f = std::fs::File::open(path).map_err(FileProblem::Io)?;
    let mut bytes = Vec::new();
    f.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(FileProblem::Io)?;
    if bytes.len() as u64 > limit {
        return Err(FileProblem::TooLarge(limit));
    }
    Ok(bytes)
}

/// Resolves `use` and `calendar` paths relative to the file that names them, inside a set of
/// roots (canonical directories).
#[derive(Debug, Clone, Default)]
pub struct Sandbox {
    roots: Vec<PathBuf>,
}

impl Sandbox {
    /// The directory trees of `policies` (the files given on the command line) and the roots
    /// `allowed` (`--allow-path`). A root that does not exist is left out: nothing is under it.
    pub fn new(policies: &[PathBuf], allowed: &[PathBuf]) -> Sandbox {
        let roots = policies
            .iter()
            .map(|p| parent(p).to_path_buf())
            .chain(allowed.iter().cloned())
            .filter_map(|d| std::fs::canonicalize(d).ok())
            .collect();
        Sandbox { roots }
    }

    /// A file `from` names as `path`: its display name and its text.
    pub fn read(&self, from: &str, path: &str) -> Result<(String, String), Refusal> {
        self.read_as(from, path, false)
    }

    /// The document a policy's `source` names (any text file inside the tree, up to
    /// [`MAX_SOURCE_BYTES`]): read only to check the words its citations quote, never quoted.
    pub fn read_document(&self, from: &str, path: &str) -> Result<String, Refusal> {
        self.read_as(from, path, true).map(|(_, text)| text)
    }

    fn read_as(&self, from: &str, path: &str, document: bool) -> Result<(String, String), Refusal> {
        let outside = |en: &str, zh: &str| Refusal {
            code: Some("E0305"),
            en: en.to_string(),
            zh: zh.to_string(),
        };
        let rel = Path::new(path);
        if path.is_empty() {
            return Err(outside("the path is empty", "路径为空"));
        }
        if rel.is_absolute() || rel.components().any(|c| matches!(c, Component::Prefix(_))) {
            return Err(outside(
                "an absolute path; a policy names files relative to itself, inside its own directory tree",
                "这是绝对路径；策略只能以相对路径引用其所在目录树内的文件",
            ));
        }
        let (limit, ok_ext) = match rel.extension().and_then(|e| e.to_str()) {
            _ if document => (MAX_SOURCE_BYTES, true),
            Some("gj") => (MAX_POLICY_BYTES, true),
            Some("cal") => (MAX_CALENDAR_BYTES, true),
            _ => (0, false),
        };
        if !ok_ext {
            return Err(outside(
                "a policy names only policy files (.gj) and calendars (.cal)",
                "策略只能引用策略文件（.gj）和日历文件（.cal）",
            ));
        }
        let base = parent(Path::new(from));
        let p = base.join(rel);
        // Named as the command line would name it (`base.gj`, not `./dir.gj/../base.gj`), so a
        // file reached twice is one file, and a cycle is seen as one.
        let name = normalize(&p)
            .filter(|n| !n.as_os_str().is_empty())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.to_string_lossy().replace("/./", "/"));
        let escapes = || {
            outside(
                "it lies outside the policy's directory tree (through `..` or a symbolic link); `--allow-path DIR` allows another root",
                "它在策略所在目录树之外（经由 `..` 或符号链接）；可用 `--allow-path 目录` 允许另一个根目录",
            )
        };
        // First by the words of the path, so that whether a file outside exists is not told;
        // then by the file itself, symbolic links followed.
        let lexical = std::fs::canonicalize(base)
            .ok()
            .and_then(|b| normalize(&b.join(rel)));
        if !lexical.is_some_and(|l| self.contains(&l)) {
            return Err(escapes());
        }
        let real = std::fs::canonicalize(&p).map_err(|e| Refusal::from(FileProblem::Io(e)))?;
        if !self.contains(&real) {
            return Err(escapes());
        }
        let bytes = read_bytes_limited(&real, limit).map_err(Refusal::from)?;
        crate::syntax::encoding::decode_policy(bytes)
            .map(|t| (name, t))
            .map_err(|e| Refusal::from(e.reason()))
    }
}

impl Sandbox {
    fn contains(&self, p: &Path) -> bool {
        self.roots.iter().any(|r| p.starts_with(r))
    }
}

/// `a/b/../c` as `a/c`, without looking at the file system; `None` when `..` climbs above the root.
fn normalize(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            other => out.push(other),
        }
    }
    Some(out)
}

impl Resolver for Sandbox {
    fn resolve(&self, from: &str, path: &str) -> Result<(String, String), Refusal> {
        self.read(from, path)
    }

    fn document(&self, from: &str, path: &str) -> Option<Result<String, Refusal>> {
        Some(self.read_document(from, path))
    }
}

impl From<FileProblem> for Refusal {
    fn from(p: FileProblem) -> Refusal {
        Refusal {
            code: p.is_limit().then_some("E0306"),
            en: p.en(),
            zh: p.zh(),
        }
    }
}

/// The directory of a file (`.` for a bare name).
fn parent(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// The sandbox of a file read on its own: the tree of the naming file's directory.
pub(crate) fn around(from: &str) -> Sandbox {
    Sandbox::new(&[PathBuf::from(from)], &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_and_a_directory_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        assert!(matches!(
            read_limited(dir.path(), MAX_POLICY_BYTES),
            Err(FileProblem::NotRegular("a directory", _))
        ));
        #[cfg(unix)]
        assert!(matches!(
            read_limited(Path::new("/dev/zero"), MAX_POLICY_BYTES),
            Err(FileProblem::NotRegular("a device", _))
        ));
        let big = dir.path().join("big.gj");
        std::fs::write(&big, vec![b'#'; 2049]).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(matches!(
            read_limited(&big, 2048),
            Err(FileProblem::TooLarge(2048))
        ));
        assert!(read_limited(&big, 2049).is_ok());
        let gbk = dir.path().join("gbk.gj");
        std::fs::write(&gbk, b"policy a \"a\"\n# \xb9\xe6\xbe\xd8\n")
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert!(matches!(
            read_limited(&gbk, 2048),
            Err(FileProblem::NotUtf8(2))
        ));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_proc_file_whose_size_is_zero_is_read_only_to_the_limit() {
        // /proc files say they are empty; reading stops one byte past the limit.
        let r = read_limited(Path::new("/proc/self/maps"), 16);
        assert!(matches!(r, Err(FileProblem::TooLarge(16))), "{r:?}");
    }
}
