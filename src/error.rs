//! The library's error type.
//!
//! Every variant carries the path (and line, where there is one) it is about, and its
//! message says what happened and what to do, in one line: the CLI prints it as is.

use std::io;
use std::path::{Path, PathBuf};

/// Everything that can go wrong in k2search.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The corpus folder is missing or is not a folder.
    #[error("corpus folder {path} {problem}; pass --corpus DIR with a folder of .md/.markdown/.txt/.html articles")]
    Corpus {
        /// The corpus path as given.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The corpus held no readable article at all.
    #[error("corpus folder {0} has no .md, .markdown, .txt, .html, .htm or .pdf articles with text; add articles or pass --corpus DIR")]
    EmptyCorpus(PathBuf),
    /// A file-system operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What k2search was doing ("cannot read", "cannot create index folder").
        action: &'static str,
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// There is no index at the given folder.
    #[error("no k2search index in {0}; build one with `k2search index --index {0}`")]
    NoIndex(PathBuf),
    /// The index was written by an incompatible version of k2search.
    #[error("index in {path} was built by k2search {built_by} (index format {found}, this is {expected}); rebuild with `k2search index --rebuild`")]
    IndexVersion {
        /// The index folder.
        path: PathBuf,
        /// The k2search version that built it, as recorded.
        built_by: String,
        /// The format version found.
        found: u32,
        /// The format version this build reads.
        expected: u32,
    },
    /// The folder holds files that are not a k2search index; k2search will not touch them.
    #[error(
        "{0} is not empty and holds no k2search index; pick an empty or new folder for --index"
    )]
    NotAnIndex(PathBuf),
    /// Another process is writing the index.
    #[error("index {0} is locked by another `k2search index` run (lock file {0}/.tantivy-writer.lock); wait for it to finish and try again")]
    Locked(PathBuf),
    /// An index run was stopped (Ctrl-C) before it committed.
    #[error("indexing interrupted; nothing was committed, {0} still holds the previous index")]
    Interrupted(PathBuf),
    /// The search request is invalid (bad limit, unknown section, over-long query...).
    #[error("{0}")]
    BadRequest(String),
    /// A lexicon or judgment file is malformed.
    #[error("{path}:{line}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong there.
        message: String,
    },
    /// A model folder that cannot be used for semantic ranking.
    #[error("model folder {path} {message}; pass --model DIR with a sentence-transformers BERT model (config.json, model.safetensors, tokenizer.json), as `scripts/fetch-model.sh DIR` makes")]
    Model {
        /// The model folder.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A re-ranker folder that cannot be used.
    #[error("re-ranker folder {path} {message}; pass --rerank DIR with a BERT cross-encoder (config.json, model.safetensors with a classifier, tokenizer.json), as `bash scripts/fetch-reranker.sh DIR` makes")]
    Reranker {
        /// The re-ranker folder.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The index holds vectors, and the model that made them is not at hand.
    #[error("index {index} holds vectors made by model {model} ({model_path}); {problem}; pass --model DIR (or set K2SEARCH_MODEL) with that model, search with --lexical, or re-index with `k2search index --rebuild --model DIR`")]
    ModelMismatch {
        /// The index folder.
        index: PathBuf,
        /// The model the index records.
        model: String,
        /// Where that model was when the index was built.
        model_path: String,
        /// What is wrong ("DIR is not a folder", "DIR holds another model").
        problem: String,
    },
    /// The index's files are damaged (a checksum fails, a file is missing, or reading
    /// it failed inside the engine).
    #[error("index {path} is damaged: {problem}; check it with `k2search check --index {path}` and rebuild it with `k2search index --rebuild`")]
    Damaged {
        /// The index folder.
        path: PathBuf,
        /// What is wrong, naming the file where it is known.
        problem: String,
    },
    /// Writing the index failed for want of space, permission or file handles.
    #[error("{problem}; {kept}; {remedy}")]
    Storage {
        /// The file the write failed on.
        path: PathBuf,
        /// What happened, with the path ("no space left on the disk holding index/ …").
        problem: String,
        /// What became of the index ("the previous index is intact").
        kept: String,
        /// What to do.
        remedy: String,
        /// The kind of failure.
        kind: crate::index::storage::FaultKind,
    },
    /// An error from the Tantivy engine.
    #[error("index {path}: {source}; if it persists, rebuild with `k2search index --rebuild`")]
    Tantivy {
        /// The index folder.
        path: PathBuf,
        /// The engine's error.
        source: tantivy::TantivyError,
    },
}

/// The result type used throughout k2search.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error with the action and path it happened on.
    pub fn io(action: &'static str, path: &Path, source: io::Error) -> Error {
        Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// A Tantivy error on the index at `path`; a busy writer lock becomes [`Error::Locked`].
    pub fn tantivy(path: &Path, source: tantivy::TantivyError) -> Error {
        match source {
            tantivy::TantivyError::LockFailure(..) => Error::Locked(path.to_path_buf()),
            tantivy::TantivyError::DataCorruption(corruption) => {
                let said = format!("{corruption:?}");
                // Tantivy quotes the whole file after "Content:": the start says enough.
                let said = said.split(" Content:").next().unwrap_or_default();
                Error::Damaged {
                    path: path.to_path_buf(),
                    problem: said.replace('\n', " "),
                }
            }
            tantivy::TantivyError::OpenReadError(
                tantivy::directory::error::OpenReadError::IoError { io_error, filepath },
            ) if io_error.kind() == io::ErrorKind::InvalidData => Error::Damaged {
                path: path.to_path_buf(),
                problem: format!("{} cannot be read ({io_error})", filepath.display()),
            },
            source => Error::Tantivy {
                path: path.to_path_buf(),
                source,
            },
        }
    }
}
