//! k2search: full-text search over health articles, with citations.
//!
//! The pipeline has one module per stage, each handing one typed value to the next:
//!
//! | stage | module | value |
//! |---|---|---|
//! | find and read files, tell their format | [`source`] | [`source::SourceFile`] |
//! | read structure (Markdown, plain text, HTML) | [`reader`] | [`reader::Article`] of [`reader::Block`]s |
//! | build passages | [`passage`] | [`passage::Document`] of [`passage::Passage`]s |
//! | analysis (one analyzer) | [`analyze`] | tokens |
//! | embedding (optional model) | [`embed`] | a unit vector per passage and query |
//! | index (incremental, atomic) | [`index`] | a Tantivy index + [`index::Manifest`] |
//! | search | [`search`] | [`search::SearchResponse`] of [`search::Hit`]s |
//! | print | [`output`] | text or JSON |
//!
//! [`eval`] measures relevance against judged queries; [`export`] writes every passage
//! as NDJSON for a distributed engine (Quickwit, OpenSearch); `mcp` (feature `mcp`, on
//! by default) serves the index to assistants over the Model Context Protocol.
//!
//! # Example
//!
//! Build an index of a folder of articles and search it:
//!
//! ```
//! use k2search::index::{self, IndexOptions};
//! use k2search::search::{SearchRequest, Searcher};
//!
//! # fn main() -> k2search::Result<()> {
//! let corpus = tempfile::tempdir().unwrap();
//! std::fs::write(
//!     corpus.path().join("k2.md"),
//!     "# Vitamin K2\n\n## Drug Interactions\nVitamin K2 can reduce the effect of warfarin.\n",
//! ).unwrap();
//! let index_dir = tempfile::tempdir().unwrap();
//!
//! let report = index::build(&IndexOptions::new(corpus.path(), index_dir.path()))?;
//! assert_eq!(report.passages, 1);
//!
//! let searcher = Searcher::open(index_dir.path())?;
//! let response = searcher.search(&SearchRequest::new("warfarin interaction"))?;
//! let hit = &response.hits[0];
//! let cited = &hit.passage;
//! assert_eq!((cited.path.as_str(), cited.line_start, cited.line_end), ("k2.md", 3, 4));
//! assert_eq!(cited.headings, ["Drug Interactions"]);
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

pub mod analyze;
pub mod embed;
pub mod error;
pub mod eval;
pub mod export;
pub mod guard;
pub mod index;
#[cfg(feature = "mcp")]
pub mod mcp;
pub mod output;
pub mod passage;
pub mod reader;
pub mod search;
#[cfg(feature = "serve")]
pub mod serve;
pub mod source;

pub use error::{Error, Result};
pub use index::{build, IndexOptions, IndexReport};
pub use passage::{Category, Kind, Passage};
pub use search::{Hit, SearchRequest, SearchResponse, Searcher};
