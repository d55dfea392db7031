//! What an index holds, read from its folder as it is now: files, passages, size,
//! when and by what it was built, its categories and its model. The body of the HTTP
//! API's `GET /stats`, the MCP server's stats resource and the Python `stats()`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::Serialize;
use tantivy::collector::Count;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{ReloadPolicy, Term};

use crate::error::{Error, Result};
use crate::passage::Category;

/// An index's statistics. Its serde form is the `GET /stats` body (docs/http-api.md).
#[derive(Debug, Clone, Serialize)]
pub struct IndexStats {
    /// Source files in the index.
    pub files: usize,
    /// Passages in the index.
    pub passages: u64,
    /// Size of the index folder's files.
    pub index_bytes: u64,
    /// When the index was last written (RFC 3339).
    pub built_at: String,
    /// The k2search version that wrote it.
    pub version: String,
    /// The corpus folder it was built from.
    pub corpus: String,
    /// The section categories that have passages, in [`Category::ALL`] order.
    pub categories: Vec<&'static str>,
    /// Every category's name for people (the search page's labels), by category.
    pub category_labels: BTreeMap<&'static str, &'static str>,
    /// The embedding model of the index's vectors (absent: lexical ranking only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// Reads the statistics of the index in `dir` from disk, so they describe its last
/// commit (a [`crate::Searcher`]'s manifest is the one it was opened with).
pub fn stats(dir: &Path) -> Result<IndexStats> {
    let open = super::open(dir)?;
    let reader = open
        .index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .map_err(|e| Error::tantivy(dir, e))?;
    let searcher = reader.searcher();
    let mut categories = Vec::new();
    for category in Category::ALL {
        let term = Term::from_field_text(open.fields.category, category.as_str());
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let count = searcher
            .search(&query, &Count)
            .map_err(|e| Error::tantivy(dir, e))?;
        if count > 0 {
            categories.push(category.as_str());
        }
    }
    Ok(IndexStats {
        files: open.manifest.file_count,
        passages: searcher.num_docs(),
        index_bytes: folder_bytes(dir),
        built_at: open.manifest.built_at,
        version: open.manifest.version,
        corpus: open.manifest.corpus,
        categories,
        category_labels: Category::ALL
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        model: open.manifest.model.as_ref().map(|m| m.name.clone()),
    })
}

/// Total size of the files directly in `dir` (an index folder is flat).
fn folder_bytes(dir: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}
