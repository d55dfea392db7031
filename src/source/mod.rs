//! Stage 1 of the pipeline: find the articles of a corpus, read them and tell their
//! format.
//!
//! [`walk`] lists the article files under a corpus folder (recursively) and every
//! entry it passes over with the reason ([`Skip`]): hidden files and folders, files
//! of unsupported types, symlink loops. [`read`] turns one file into a [`SourceFile`]:
//! its [`Format`] and decoded text (lossily if it is not UTF-8, BOM removed) plus the
//! warnings a user should see. Binary files are refused with a warning, never indexed.
//! What a file's structure is, is the [`crate::reader`] stage's business.

pub mod lines;

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// File extensions of text articles: Markdown or plain text, told apart by content
/// (`.txt` files may well be Markdown).
pub const TEXT_EXTENSIONS: &[&str] = &["md", "markdown", "txt"];

/// File extensions of HTML pages.
pub const HTML_EXTENSIONS: &[&str] = &["html", "htm"];

/// File extensions of PDF documents.
pub const PDF_EXTENSIONS: &[&str] = &["pdf"];

/// How a source file is written, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Markdown or plain text (`.md`, `.markdown`, `.txt`).
    Text,
    /// An HTML page (`.html`, `.htm`).
    Html,
    /// A PDF document (`.pdf`): its text layer, extracted by [`crate::reader::pdf`].
    Pdf,
}

impl Format {
    /// The format of a file with this path, or `None` for an unsupported type (HTML
    /// and PDF are unsupported in a build without the feature `html` or `pdf`).
    pub fn of_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?;
        let is = |list: &[&str]| list.iter().any(|x| x.eq_ignore_ascii_case(ext));
        if is(TEXT_EXTENSIONS) {
            Some(Format::Text)
        } else if is(HTML_EXTENSIONS) && cfg!(feature = "html") {
            Some(Format::Html)
        } else if is(PDF_EXTENSIONS) && cfg!(feature = "pdf") {
            Some(Format::Pdf)
        } else {
            None
        }
    }
}

/// Why the walk or the reader passed over an entry of the corpus.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// A file of a type k2search does not read; the extension (`.pdf`), or empty.
    UnsupportedType(String),
    /// A hidden file or folder (name starting with `.`).
    Hidden,
    /// A binary file (NUL bytes).
    Binary,
    /// An empty file, or only white space.
    Empty,
    /// Over [`MAX_FILE_BYTES`].
    TooLarge,
    /// The file or folder could not be read (permissions, dangling link).
    Unreadable,
    /// A symbolic link back to a folder above it.
    SymlinkLoop,
    /// A non-UTF-8 name that reads the same as another file's.
    NameClash,
    /// A PDF with no text to index: damaged, encrypted, scanned or hostile (the
    /// warning says which).
    PdfWithoutText,
}

impl SkipReason {
    /// Whether a warning names the entry already (otherwise only `--verbose` does).
    pub fn is_warned(&self) -> bool {
        !matches!(self, SkipReason::UnsupportedType(_) | SkipReason::Hidden)
    }
}

/// An entry of the corpus that is not indexed, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skip {
    /// Path relative to the corpus root (a folder's ends with `/`).
    pub path: String,
    /// Why it was passed over.
    pub reason: SkipReason,
}

/// What [`walk`] found under a corpus folder.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    /// The article files, sorted by path.
    pub files: Vec<PathBuf>,
    /// Every entry passed over, with the reason.
    pub skipped: Vec<Skip>,
    /// Problems to show the user (each skipped entry with [`SkipReason::is_warned`]
    /// has one).
    pub warnings: Vec<Warning>,
}

/// One phrase per reason for a summary line: `3 files of unsupported types: .pdf,
/// .rst, .xml`, `1 binary file`. Reasons come in the order [`SkipReason`] declares
/// them; unsupported types are counted together, with their extensions.
pub fn describe_skips(skipped: &[Skip]) -> Vec<String> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut by_reason: BTreeMap<SkipReason, (usize, BTreeSet<&str>)> = BTreeMap::new();
    for skip in skipped {
        let (reason, ext) = match &skip.reason {
            SkipReason::UnsupportedType(ext) => (
                SkipReason::UnsupportedType(String::new()),
                Some(ext.as_str()),
            ),
            other => (other.clone(), None),
        };
        let entry = by_reason.entry(reason).or_default();
        entry.0 += 1;
        entry.1.extend(ext);
    }
    by_reason
        .into_iter()
        .map(|(reason, (n, exts))| {
            let files = if n == 1 { "file" } else { "files" };
            match reason {
                SkipReason::UnsupportedType(_) => {
                    let types = if exts.len() == 1 { "type" } else { "types" };
                    let exts: Vec<&str> = exts
                        .into_iter()
                        .map(|e| if e.is_empty() { "no extension" } else { e })
                        .collect();
                    format!("{n} {files} of unsupported {types}: {}", exts.join(", "))
                }
                SkipReason::Hidden => format!("{n} hidden {files} or folders"),
                SkipReason::Binary => format!("{n} binary {files}"),
                SkipReason::Empty => format!("{n} empty {files}"),
                SkipReason::TooLarge => format!("{n} {files} over {} MiB", MAX_FILE_BYTES >> 20),
                SkipReason::Unreadable => format!("{n} unreadable {files} or folders"),
                SkipReason::SymlinkLoop => {
                    format!("{n} symlink {}", if n == 1 { "loop" } else { "loops" })
                }
                SkipReason::NameClash => format!("{n} {files} with clashing names"),
                SkipReason::PdfWithoutText => format!("{n} PDF {files} without text to index"),
            }
        })
        .collect()
}

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
    /// How it is written.
    pub format: Format,
    /// The decoded text. Byte offsets and line numbers of passages index into it.
    pub text: String,
    /// Hash of the raw bytes, for incremental indexing.
    pub hash: String,
    /// For a PDF, where its pages and headings are in `text`.
    pub pdf: Option<std::sync::Arc<crate::reader::pdf::Layout>>,
}

impl SourceFile {
    /// A source file with this text (hashed for incremental indexing), as if read
    /// from `rel_path`.
    pub fn new(rel_path: &str, format: Format, text: &str) -> SourceFile {
        SourceFile {
            rel_path: rel_path.to_string(),
            format,
            text: text.to_string(),
            hash: blake3::hash(text.as_bytes()).to_hex()[..32].to_string(),
            pdf: None,
        }
    }
}

/// The article files under `corpus`, sorted by path, and every entry passed over.
pub fn walk(corpus: &Path) -> Result<Walk> {
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
    let mut walk = Walk::default();
    let mut hidden = Vec::new();
    let mut seen_names = std::collections::HashSet::new();
    let walker = walkdir::WalkDir::new(corpus)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let visible = e.depth() == 0 || !is_hidden(e.file_name());
            if !visible {
                let slash = if e.file_type().is_dir() { "/" } else { "" };
                hidden.push(format!("{}{slash}", rel_path(corpus, e.path())));
            }
            visible
        });
    for entry in walker {
        match entry {
            Ok(entry) if !entry.file_type().is_file() => {}
            Ok(entry) => walk.file(corpus, entry.into_path(), &mut seen_names),
            Err(err) => walk.unreadable(corpus, &err),
        }
    }
    walk.skipped.extend(hidden.into_iter().map(|path| Skip {
        path,
        reason: SkipReason::Hidden,
    }));
    Ok(walk)
}

impl Walk {
    /// Takes a file of the corpus, or passes over it: not an article type, or a name
    /// that clashes with another's.
    fn file(
        &mut self,
        corpus: &Path,
        path: PathBuf,
        seen_names: &mut std::collections::HashSet<String>,
    ) {
        if Format::of_path(&path).is_none() {
            let ext = path
                .extension()
                .map(|e| format!(".{}", e.to_string_lossy().to_lowercase()))
                .unwrap_or_default();
            self.skipped.push(Skip {
                path: rel_path(corpus, &path),
                reason: SkipReason::UnsupportedType(ext),
            });
            return;
        }
        match check_name(corpus, &path, seen_names) {
            Ok(None) => self.files.push(path),
            Ok(Some(warning)) => {
                self.warnings.push(warning);
                self.files.push(path);
            }
            Err(skipped) => {
                self.skipped.push(Skip {
                    path: skipped.path.clone(),
                    reason: SkipReason::NameClash,
                });
                self.warnings.push(skipped);
            }
        }
    }

    /// Passes over an entry that cannot be read (or a symlink loop), with a warning.
    fn unreadable(&mut self, corpus: &Path, err: &walkdir::Error) {
        let path = err
            .path()
            .map(|p| rel_path(corpus, p))
            .unwrap_or_else(|| corpus.display().to_string());
        let (reason, message) = if err.loop_ancestor().is_some() {
            (SkipReason::SymlinkLoop, "symlink loop, skipped".to_string())
        } else {
            let message = format!("cannot be read, skipped ({})", io_reason(err));
            (SkipReason::Unreadable, message)
        };
        self.skipped.push(Skip {
            path: path.clone(),
            reason,
        });
        self.warnings.push(Warning {
            path,
            line: None,
            message,
        });
    }
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
    Skipped(Warning, SkipReason),
}

/// Reads one article file: binary files are skipped, invalid UTF-8 is decoded lossily,
/// a UTF-8 BOM is dropped.
pub fn read(corpus: &Path, path: &Path) -> Read {
    let rel = rel_path(corpus, path);
    let skip = |reason: SkipReason, message: String| {
        let warning = Warning {
            path: rel.clone(),
            line: None,
            message,
        };
        Read::Skipped(warning, reason)
    };
    if let Ok(meta) = fs::metadata(path) {
        if meta.len() > MAX_FILE_BYTES {
            return skip(
                SkipReason::TooLarge,
                format!(
                    "file is {} MiB, over the {} MiB limit for one article; split it, skipped",
                    meta.len() >> 20,
                    MAX_FILE_BYTES >> 20
                ),
            );
        }
    }
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            return skip(
                SkipReason::Unreadable,
                format!("cannot be read, skipped ({e})"),
            )
        }
    };
    let format = Format::of_path(path).unwrap_or(Format::Text);
    match decode(&rel, format, &bytes) {
        Ok((file, warnings)) => Read::Article(file, warnings),
        Err((reason, message)) => skip(reason, message),
    }
}

/// Decodes raw bytes into a [`SourceFile`] of `format`; `Err` holds why a file is
/// skipped.
pub fn decode(
    rel: &str,
    format: Format,
    bytes: &[u8],
) -> Result<(SourceFile, Vec<Warning>), (SkipReason, String)> {
    if format == Format::Pdf {
        return decode_pdf(rel, bytes);
    }
    let mut warnings = Vec::new();
    if looks_binary(bytes) {
        return Err((
            SkipReason::Binary,
            "binary file (NUL bytes), skipped".into(),
        ));
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
        return Err((SkipReason::Empty, "empty file, skipped".into()));
    }
    let hash = blake3::hash(bytes).to_hex()[..32].to_string();
    Ok((
        SourceFile {
            rel_path: rel.to_string(),
            format,
            text,
            hash,
            pdf: None,
        },
        warnings,
    ))
}

/// A PDF's extracted text; `Err` says why it has none (damaged, encrypted, scanned,
/// hostile).
fn decode_pdf(rel: &str, bytes: &[u8]) -> Result<(SourceFile, Vec<Warning>), (SkipReason, String)> {
    let (text, layout) = crate::reader::pdf::extract(bytes)
        .map_err(|refusal| (SkipReason::PdfWithoutText, refusal.0))?;
    let hash = blake3::hash(bytes).to_hex()[..32].to_string();
    let file = SourceFile {
        rel_path: rel.to_string(),
        format: Format::Pdf,
        text,
        hash,
        pdf: Some(std::sync::Arc::new(layout)),
    };
    Ok((file, Vec::new()))
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
        let (file, warnings) = decode("a.md", Format::Text, b"\xEF\xBB\xBF# T\nx").unwrap();
        assert_eq!(file.text, "# T\nx");
        assert!(warnings.is_empty());
        let (file, warnings) = decode("b.md", Format::Text, b"ok\nbad \xFF byte").unwrap();
        assert!(file.text.contains('\u{FFFD}'));
        assert_eq!(warnings[0].line, Some(2));
    }

    #[test]
    fn skips_are_described_by_reason() {
        let skip = |path: &str, reason| Skip {
            path: path.into(),
            reason,
        };
        let phrases = describe_skips(&[
            skip("a.pdf", SkipReason::UnsupportedType(".pdf".into())),
            skip("b.xml", SkipReason::UnsupportedType(".xml".into())),
            skip("c.pdf", SkipReason::UnsupportedType(".pdf".into())),
            skip("d.md", SkipReason::Binary),
        ]);
        assert_eq!(
            phrases,
            vec!["3 files of unsupported types: .pdf, .xml", "1 binary file"]
        );
    }

    #[test]
    fn binary_and_empty_files_are_skipped() {
        assert!(decode("a.md", Format::Text, b"PNG\0\0data").is_err());
        assert!(decode("a.md", Format::Text, b"  \n\n").is_err());
    }
}
