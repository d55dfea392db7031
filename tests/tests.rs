//! The integration tests: one test binary (`cargo test --test tests`), one module per
//! area. Every test runs the real `k2search` binary through the one fixture in `util`.
//! Run one area with `cargo test --test tests AREA::`.

// The workspace fixture, the server fixture, the shared data and model, and helpers.
mod util;

// The command line on the seed articles: citations, JSON output, the default index,
// errors and exit codes.
mod cli;
// `k2search export` against the Quickwit and OpenSearch mappings in deploy/.
mod export;
mod faults;
// How articles split into passages: every heading and FAQ variant, titles, HTML.
mod formats;
// `k2search mcp`: the MCP server's tools, resource and errors over stdio.
mod mcp;
// PDF leaflets: reading order, headings, pages, and hostile files.
mod pdf;
// Question analysis that goes wrong (abbreviations, story words, foci) on articles
// of our own making.
mod questions;
// Ranking behaviours and the relevance floors of the judged sets.
mod relevance;
// Incremental and crash-safe indexing, concurrent runs, versions, hostile files and
// hostile queries.
mod reliability;
// The search box: prefix search, facets and filters, suggestions, the page's use of them.
mod searchbox;
// Re-ranking by a cross-encoder.
mod rerank;
// Semantic ranking with the embedding model.
mod semantic;
// `k2search serve`: the HTTP API, the page, a live index, hostile clients.
mod serve;
