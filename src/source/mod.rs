//! Stage 1 of the pipeline: find the articles of a corpus and read them.
//!
//! [`walk`] lists the article files under a corpus folder (recursively, hidden files
//! and folders skipped, symlink loops reported and skipped); [`read`] turns one file
//! into a [`SourceFile`]: decoded text (lossily if it is not UTF-8, BOM removed) plus
//! the warnings a user should see. Binary files are refused with a warning, never
//! indexed.

pub mod frontmatter;
pub mod lines;

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// File extensions that hold articles. Structure is decided from the content, not
/// from the extension: `.txt` files may well be Markdown.
pub const EXTENSIONS: &[&str] = &["md", "markdown", "txt"];

/// Largest article file read, in bytes. Bigger files are skipped with a warning: an
/// article is never this large, and reading one means holding it (and its passages)
/// in memory at once.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// A problem with one file that does not stop the run: printed with its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Path of the file, relative to the corpus root.
    pub path: String,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// What happened and what k2search did about it.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path, line, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// One article as read from disk.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the corpus root, with `/` separators.
    pub rel_path: String,
    /// The decoded text. Byte offsets and line numbers of passages index into it.
    pub text: String,
    /// Hash of the raw bytes, for incremental indexing.
    pub hash: String,
}

/// The article files under `corpus`, sorted by path, and warnings for what was skipped.
pub fn walk(corpus: &Path) -> Result<(Vec<PathBuf>, Vec<Warning>)> {
    let meta = fs::metadata(corpus).map_err(|e| Error::Corpus {
        path: corpus.to_path_buf(),
        problem: format!("cannot be opened ({e})"),
    })?;
    if !meta.is_dir() {
        return Err(Error::Corpus {
            path: corpus.to_path_buf(),
            problem: "is a file, not a folder".into(),
        });
    }
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    let mut seen_names = std::collections::HashSet::new();
    let walker = walkdir::WalkDir::new(corpus)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    for entry in walker {
        match entry {
            Ok(entry) => {
                if entry.file_type().is_file() && has_article_extension(entry.path()) {
                    match check_name(corpus, entry.path(), &mut seen_names) {
                        Ok(None) => files.push(entry.into_path()),
                        Ok(Some(warning)) => {
                            warnings.push(warning);
                            files.push(entry.into_path());
                        }
                        Err(skipped) => warnings.push(skipped),
                    }
                }
            }
            Err(err) => {
                let path = err
                    .path()
                    .map(|p| rel_path(corpus, p))
                    .unwrap_or_else(|| corpus.display().to_string());
                let message = if err.loop_ancestor().is_some() {
                    "symlink loop, skipped".to_string()
                } else {
                    format!("cannot be read, skipped ({})", io_reason(&err))
                };
                warnings.push(Warning {
                    path,
                    line: None,
                    message,
                });
            }
        }
    }
    Ok((files, warnings))
}

/// Paths are stored and cited as UTF-8, so a name that is not valid UTF-8 is shown
/// lossily (a warning says so); two names that read the same lossily would share
/// one path in the index, so the second is skipped (`Err`).
fn check_name(
    corpus: &Path,
    path: &Path,
    seen: &mut std::collections::HashSet<String>,
) -> Result<Option<Warning>, Warning> {
    let rel = rel_path(corpus, path);
    let valid = path.strip_prefix(corpus).unwrap_or(path).to_str().is_some();
    if !seen.insert(rel.clone()) {
        return Err(Warning {
            path: rel,
            line: None,
            message: "file name is not valid UTF-8 and reads the same as another file's; rename it, skipped".into(),
        });
    }
    Ok((!valid).then(|| Warning {
        path: rel,
        line: None,
        message: "file name is not valid UTF-8; indexed under this name".into(),
    }))
}

fn io_reason(err: &walkdir::Error) -> String {
    err.io_error()
        .map(|e| e.to_string())
        .unwrap_or_else(|| err.to_string())
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

fn has_article_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// `path` relative to `root`, with `/` separators; non-UTF-8 names are shown lossily.
pub fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// Outcome of reading one file.
#[derive(Debug)]
pub enum Read {
    /// The article, and warnings about how it was decoded.
    Article(SourceFile, Vec<Warning>),
    /// The file is not an article (binary, empty, unreadable): the warning says why.
    Skipped(Warning),
}

/// Reads one article file: binary files are skipped, invalid UTF-8 is decoded lossily,
/// a UTF-8 BOM is dropped.
pub fn read(corpus: &Path, path: &Path) -> Read {
    let rel = rel_path(corpus, path);
    let warn = |message: String| Warning {
        path: rel.clone(),
        line: None,
        message,
    };
    if let Ok(meta) = fs::metadata(path) {
        if meta.len() > MAX_FILE_BYTES {
            return Read::Skipped(warn(format!(
                "file is {} MiB, over the {} MiB limit for one article; split it, skipped",
                meta.len() >> 20,
                MAX_FILE_BYTES >> 20
            )));
        }
    }
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return Read::Skipped(warn(format!("cannot be read, skipped ({e})"))),
    };
    let (file, warnings) = match decode(&rel, &bytes) {
        Ok(decoded) => decoded,
        Err(message) => return Read::Skipped(warn(message)),
    };
    Read::Article(file, warnings)
}

/// Decodes raw bytes into a [`SourceFile`]; `Err` holds the reason a file is skipped.
pub fn decode(rel: &str, bytes: &[u8]) -> Result<(SourceFile, Vec<Warning>), String> {
    let mut warnings = Vec::new();
    if looks_binary(bytes) {
        return Err("binary file (NUL bytes), skipped".into());
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(body) {
        Ok(text) => text.to_string(),
        Err(e) => {
            warnings.push(Warning {
                path: rel.to_string(),
                line: Some(
                    1 + body[..e.valid_up_to()]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count(),
                ),
                message: "invalid UTF-8, indexed with replacement characters".into(),
            });
            String::from_utf8_lossy(body).into_owned()
        }
    };
    if text.trim().is_empty() {
        return Err("empty file, skipped".into());
    }
    let hash = blake3::hash(bytes).to_hex()[..32].to_string();
    Ok((
        SourceFile {
            rel_path: rel.to_string(),
            text,
            hash,
        },
        warnings,
    ))
}

/// A file is binary when its first 8 KiB hold a NUL byte (the heuristic git and
/// ripgrep use).
fn looks_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8192)].contains(&0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_is_dropped_and_invalid_utf8_is_lossy() {
        let (file, warnings) = decode("a.md", b"\xEF\xBB\xBF# T\nx").unwrap();
        assert_eq!(file.text, "# T\nx");
        assert!(warnings.is_empty());
        let (file, warnings) = decode("b.md", b"ok\nbad \xFF byte").unwrap();
        assert!(file.text.contains('\u{FFFD}'));
        assert_eq!(warnings[0].line, Some(2));
    }

    #[test]
    fn binary_and_empty_files_are_skipped() {
        assert!(decode("a.md", b"PNG\0\0data").is_err());
        assert!(decode("a.md", b"  \n\n").is_err());
    }
}
