//! Export: every passage of an index as NDJSON, for loading into a distributed
//! engine (Quickwit, OpenSearch) when one machine is no longer enough.
//!
//! The format is one [`Passage`](crate::passage::Passage) per line (its serde form, the same as `k2search
//! passages --json`). Its fields and types are those of the
//! shipped mappings (`deploy/quickwit/k2search-index.yaml`,
//! `deploy/opensearch/k2search-mapping.json`); `tests/export.rs` checks that they
//! agree. The export streams the document store: memory does not grow with the index.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
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
            serde_json::to_writer(&mut *out, &passage)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| Error::io("cannot write export to", out_name, e))
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::passage::{Category, Kind, Passage};

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
            page_start: None,
            page_end: None,
        };
        let line = serde_json::to_string(&p).unwrap();
        assert!(line.contains(r#""aliases":[]"#), "{line}");
        assert!(line.contains(r#""metadata":{}"#), "{line}");
        let back: Passage = serde_json::from_str(&line).unwrap();
        assert_eq!(back.category, Category::Dosage);
    }

    #[test]
    fn format_names() {
        assert_eq!(ExportFormat::parse("ndjson"), Some(ExportFormat::Ndjson));
        assert_eq!(ExportFormat::parse("csv"), None);
    }
}
