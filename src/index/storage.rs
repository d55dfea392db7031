//! The index folder as Tantivy writes it: the memory-mapped folder behind a wrapper that
//! remembers the first write that failed and why.
//!
//! Tantivy writes segments on worker threads; when one fails (a full disk), the run
//! ends with "An index writer was killed", the I/O error itself lost. [`Storage`] keeps
//! it, so a failed run says what happened, on which file, and what to do
//! ([`Fault::into_error`]); [`remove_orphans`] then deletes the files the run wrote
//! and no commit names, so a failed run does not keep the space it took.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tantivy::directory::error::{DeleteError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    AntiCallToken, Directory, FileHandle, TerminatingWrite, WatchCallback, WatchHandle, WritePtr,
};
use tantivy::Index;

use crate::error::Error;

/// A function that wraps the index folder's storage as an index run writes it (a fault
/// injector in tests, a cache).
#[derive(Clone)]
pub struct Wrap(pub Arc<WrapFn>);

/// What a [`Wrap`] calls: the folder's storage in, the wrapped storage out.
pub type WrapFn = dyn Fn(Box<dyn Directory>) -> Box<dyn Directory> + Send + Sync;

impl std::fmt::Debug for Wrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Wrap(..)")
    }
}

/// What kind of storage failure a write met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// No space left on the device (or over quota).
    NoSpace,
    /// The file system is mounted read-only.
    ReadOnly,
    /// This user may not write there.
    PermissionDenied,
    /// The process or the system ran out of file handles.
    TooManyFiles,
    /// Any other I/O error.
    Other,
}

impl FaultKind {
    /// The kind of `error`, by its kind or its OS error number.
    pub fn of(error: &io::Error) -> FaultKind {
        use io::ErrorKind as K;
        match (error.kind(), error.raw_os_error()) {
            (K::StorageFull | K::QuotaExceeded, _) | (_, Some(28 | 122)) => FaultKind::NoSpace,
            (K::ReadOnlyFilesystem, _) | (_, Some(30)) => FaultKind::ReadOnly,
            (K::PermissionDenied, _) | (_, Some(1 | 13)) => FaultKind::PermissionDenied,
            (_, Some(23 | 24)) => FaultKind::TooManyFiles,
            _ => FaultKind::Other,
        }
    }
}

/// The first failed write of a run.
#[derive(Debug, Clone)]
pub struct Fault {
    /// The file it was writing.
    pub path: PathBuf,
    /// What kind of failure.
    pub kind: FaultKind,
    /// The system's message.
    pub message: String,
}

impl Fault {
    /// A fault met writing `path`.
    pub fn new(path: &Path, error: &io::Error) -> Fault {
        Fault {
            path: path.to_path_buf(),
            kind: FaultKind::of(error),
            message: error.to_string(),
        }
    }

    /// The one-line error of a run on the index in `dir` that failed with this fault;
    /// `previous` says whether the folder held a committed index before the run.
    pub fn into_error(self, dir: &Path, previous: bool) -> Error {
        let d = dir.display();
        let file = self.path.display();
        let (problem, remedy) = match self.kind {
            FaultKind::NoSpace => (
                format!("no space left on the disk holding {d} (writing {file})"),
                format!("free space on that disk (`df -h {d}`), or pass --index DIR on another, and run again"),
            ),
            FaultKind::ReadOnly => (
                format!("{d} is on a read-only file system (writing {file})"),
                "remount it read-write, or pass --index DIR on a writable disk".into(),
            ),
            FaultKind::PermissionDenied => (
                format!("permission denied writing {file}"),
                format!("give this user write access to {d}, or pass --index DIR"),
            ),
            FaultKind::TooManyFiles => (
                format!("too many open files writing {file}"),
                "raise the open-file limit (`ulimit -n 4096`) or pass --threads 1, and run again".into(),
            ),
            FaultKind::Other => (
                format!("cannot write {file}: {}", self.message),
                "fix the disk holding it and run again".into(),
            ),
        };
        let kept = if previous {
            format!("nothing was committed: {d} still holds the previous index, intact")
        } else {
            "nothing was indexed".to_string()
        };
        Error::Storage {
            path: self.path,
            problem,
            kept,
            remedy,
            kind: self.kind,
        }
    }
}

/// The first fault of a run, shared by every clone of its [`Storage`].
#[derive(Debug, Clone, Default)]
pub struct Faults(Arc<Mutex<Option<Fault>>>);

impl Faults {
    /// Keeps `fault` unless an earlier one is kept (the first says most).
    fn note(&self, path: &Path, error: &io::Error) {
        if let Ok(mut first) = self.0.lock() {
            first.get_or_insert_with(|| Fault::new(path, error));
        }
    }

    /// The first fault, if any write failed.
    pub fn first(&self) -> Option<Fault> {
        self.0.lock().ok().and_then(|f| f.clone())
    }
}

/// A [`Directory`] that passes everything to the one it wraps and notes failed writes.
#[derive(Debug, Clone)]
pub struct Storage {
    inner: Arc<dyn Directory>,
    root: PathBuf,
    faults: Faults,
}

impl Storage {
    /// Wraps `inner`, the folder `root`; failed writes are noted in `faults`.
    pub fn new(inner: Box<dyn Directory>, root: &Path, faults: Faults) -> Storage {
        Storage {
            inner: Arc::from(inner),
            root: root.to_path_buf(),
            faults,
        }
    }

    fn note(&self, path: &Path, error: &io::Error) {
        self.faults.note(&self.root.join(path), error);
    }
}

impl Directory for Storage {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.inner.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        match self.inner.open_write(path) {
            Ok(write) => {
                // Nothing is buffered yet: take the writer out of its buffer and buffer
                // the noting writer instead.
                let (inner, _) = write.into_parts();
                Ok(BufWriter::new(Box::new(Noting {
                    inner,
                    path: self.root.join(path),
                    faults: self.faults.clone(),
                })))
            }
            Err(e) => {
                if let OpenWriteError::IoError { io_error, .. } = &e {
                    self.note(path, io_error);
                }
                Err(e)
            }
        }
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.inner
            .atomic_write(path, data)
            .inspect_err(|e| self.note(path, e))
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.inner
            .sync_directory()
            .inspect_err(|e| self.note(Path::new(""), e))
    }

    fn acquire_lock(
        &self,
        lock: &tantivy::directory::Lock,
    ) -> Result<tantivy::directory::DirectoryLock, tantivy::directory::error::LockError> {
        self.inner.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}

/// A file being written that notes its first failure.
struct Noting {
    inner: Box<dyn TerminatingWrite + Send + Sync>,
    path: PathBuf,
    faults: Faults,
}

impl Write for Noting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner
            .write(buf)
            .inspect_err(|e| self.faults.note(&self.path, e))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner
            .flush()
            .inspect_err(|e| self.faults.note(&self.path, e))
    }
}

impl TerminatingWrite for Noting {
    fn terminate_ref(&mut self, token: AntiCallToken) -> io::Result<()> {
        self.inner
            .terminate_ref(token)
            .inspect_err(|e| self.faults.note(&self.path, e))
    }
}

/// Deletes the segment files in `dir` that the last commit does not name (left by a
/// failed or killed run, or a merge that lost its race), and records files other than
/// the commit's. The caller holds the writer lock. Returns the bytes freed.
pub fn remove_orphans(index: &Index, dir: &Path, records: &str) -> u64 {
    let Ok(metas) = index.load_metas() else {
        return 0; // no readable commit: nothing can be told apart from an orphan
    };
    let live: std::collections::HashSet<String> = metas
        .segments
        .iter()
        .map(|s| s.id().uuid_string())
        .collect();
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut freed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let orphan = match name.split_once('.') {
            Some((stem, _)) if super::is_segment_file(&name) => !live.contains(stem),
            _ => {
                let bare = name.trim_end_matches(".tmp");
                super::manifest::is_records_file(bare)
                    && (bare != records || name.ends_with(".tmp"))
            }
        };
        if orphan {
            let size = entry.metadata().map_or(0, |m| m.len());
            if fs::remove_file(entry.path()).is_ok() {
                freed += size;
            }
        }
    }
    freed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_named_with_the_file_and_what_to_do() {
        let dir = Path::new("idx");
        let cases = [
            (
                28,
                FaultKind::NoSpace,
                "no space left on the disk holding idx",
            ),
            (30, FaultKind::ReadOnly, "idx is on a read-only file system"),
            (
                13,
                FaultKind::PermissionDenied,
                "permission denied writing idx/a.store",
            ),
            (
                24,
                FaultKind::TooManyFiles,
                "too many open files writing idx/a.store",
            ),
            (5, FaultKind::Other, "cannot write idx/a.store"),
        ];
        for (errno, kind, says) in cases {
            let error = io::Error::from_raw_os_error(errno);
            assert_eq!(FaultKind::of(&error), kind, "errno {errno}");
            let fault = Fault::new(&dir.join("a.store"), &error);
            let kept = fault.clone().into_error(dir, true).to_string();
            assert!(kept.contains(says), "{kept}");
            assert!(kept.contains("idx/a.store"), "{kept}");
            assert!(kept.contains("previous index, intact"), "{kept}");
            let first = fault.into_error(dir, false).to_string();
            assert!(first.contains("nothing was indexed"), "{first}");
            assert!(!first.contains('\n'));
        }
    }
}
