//! Export: every passage of an index as NDJSON, for loading into a distributed
//! engine (Quickwit, OpenSearch) when one machine is no longer enough.
//!
//! The format is one [`ExportRecord`] per line. Its fields and types are those of the
//! shipped mappings (`deploy/quickwit/k2search-index.yaml`,
//! `deploy/opensearch/k2search-mapping.json`); `tests/export.rs` checks that they
//! agree. The export streams the document store: memory does not grow with the index.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::passage::{Category, Kind, Passage};
use crate::search::Searcher;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON object per line (JSON Lines / NDJSON).
    Ndjson,
}

impl ExportFormat {
    /// Parses a format name (`ndjson`, or its alias `jsonl`).
    pub fn parse(s: &str) -> Option<ExportFormat> {
        match s {
            "ndjson" | "jsonl" => Some(ExportFormat::Ndjson),
            _ => None,
        }
    }
}

/// One exported passage: the NDJSON wire format of `k2search export`.
///
/// | field | JSON type | meaning |
/// |---|---|---|
/// | `id` | string | stable passage id |
/// | `path` | string | source file, relative to the corpus root |
/// | `title` | string | document title |
/// | `headings` | array of strings | heading path, outermost first |
/// | `kind` | string | `section`, `faq` or `intro` |
/// | `category` | string | clinical category (`dosage`, `interactions`, …, `overview`) |
/// | `line_start`, `line_end` | integer | 1-based line range in the source file |
/// | `byte_start`, `byte_end` | integer | byte range in the source file |
/// | `text` | string | the passage as plain text |
/// | `aliases` | array of strings | the document's alternate names (always present) |
/// | `metadata` | object of strings | front-matter scalars (always present) |
///
/// Unlike the `passages --json` listing, `aliases` and `metadata` are written even
/// when empty, so every line has the same fields (strict mappings need that).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportRecord {
    /// Stable passage id.
    pub id: String,
    /// Source path relative to the corpus root.
    pub path: String,
    /// Document title.
    pub title: String,
    /// Heading path, outermost first.
    pub headings: Vec<String>,
    /// Section, FAQ or introduction.
    pub kind: Kind,
    /// Clinical category.
    pub category: Category,
    /// First line (1-based).
    pub line_start: usize,
    /// Last line (inclusive).
    pub line_end: usize,
    /// Byte offset of the start.
    pub byte_start: usize,
    /// Byte offset just past the end.
    pub byte_end: usize,
    /// Passage text.
    pub text: String,
    /// Alternate names of the document.
    pub aliases: Vec<String>,
    /// Front-matter scalars.
    pub metadata: BTreeMap<String, String>,
}

impl From<Passage> for ExportRecord {
    fn from(p: Passage) -> ExportRecord {
        ExportRecord {
            id: p.id,
            path: p.path,
            title: p.title,
            headings: p.headings,
            kind: p.kind,
            category: p.category,
            line_start: p.line_start,
            line_end: p.line_end,
            byte_start: p.byte_start,
            byte_end: p.byte_end,
            text: p.text,
            aliases: p.aliases,
            metadata: p.metadata,
        }
    }
}

/// Writes every passage of `searcher`'s index to `out` in `format`; returns how many.
/// A write error is an [`Error::Io`] on `out_name` (its `source` keeps the kind, so a
/// caller can treat a closed pipe as success).
pub fn write(
    searcher: &Searcher,
    format: ExportFormat,
    out: &mut dyn Write,
    out_name: &Path,
) -> Result<usize> {
    match format {
        ExportFormat::Ndjson => searcher.for_each_passage(|passage| {
            serde_json::to_writer(&mut *out, &ExportRecord::from(passage))
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| Error::io("cannot write export to", out_name, e))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_aliases_and_metadata_are_written() {
        let p = Passage {
            id: "0123456789abcdef".into(),
            path: "a.md".into(),
            title: "A".into(),
            headings: vec!["Dosage".into()],
            kind: Kind::Section,
            category: Category::Dosage,
            line_start: 3,
            line_end: 4,
            byte_start: 10,
            byte_end: 40,
            text: "Take one.".into(),
            aliases: Vec::new(),
            metadata: BTreeMap::new(),
        };
        let line = serde_json::to_string(&ExportRecord::from(p)).unwrap();
        assert!(line.contains(r#""aliases":[]"#), "{line}");
        assert!(line.contains(r#""metadata":{}"#), "{line}");
        let back: ExportRecord = serde_json::from_str(&line).unwrap();
        assert_eq!(back.category, Category::Dosage);
    }

    #[test]
    fn format_names() {
        assert_eq!(ExportFormat::parse("ndjson"), Some(ExportFormat::Ndjson));
        assert_eq!(ExportFormat::parse("csv"), None);
    }
}
