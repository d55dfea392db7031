//! The Model Context Protocol server (`k2search mcp`): an assistant searches the index
//! and quotes cited passages, over stdio, on the official Rust SDK ([`rmcp`]).
//!
//! | MCP | what |
//! |---|---|
//! | tool `search_health_content` | `query`, `limit`, `category` → cited passages |
//! | tool `get_passage` | `id` (from a hit) → that passage in full |
//! | resource `k2search://stats` | the index's [`IndexStats`] as JSON |
//!
//! Each tool answers twice: as text the model can quote (one block per passage, its
//! citation and url first) and as structured content ([`CitedPassage`]s). A bad
//! argument is an error result naming what to fix (a malformed one, a protocol error),
//! never a crash. Stdout carries the protocol alone: messages go to stderr.

use std::fmt::Write as _;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, ListResourcesResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{tool, tool_handler, tool_router, ErrorData, RoleServer, ServerHandler, ServiceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::index::stats::{self, IndexStats};
use crate::output;
use crate::passage::{Category, Passage};
use crate::search::{SearchRequest, Searcher};

/// The URI of the stats resource.
pub const STATS_URI: &str = "k2search://stats";

/// Passages a search returns when the assistant does not say: enough to answer from,
/// few enough to leave room in its context.
const DEFAULT_LIMIT: usize = 5;

/// The metadata field holding a passage's source page (MedQuAD's front matter `url`).
const URL_FIELD: &str = "url";

/// What the server tells the assistant about itself.
const INSTRUCTIONS: &str = "k2search searches trusted health articles. Answer health \
questions from the passages that search_health_content returns, quote them, and cite every \
claim with the passage's `citation` (file, lines and heading path) and its `url` when it has \
one. If no passage answers the question, say so rather than answering from memory.";

/// The arguments of `search_health_content`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// The question or keywords, as a person would type them ("can I take vitamin K2
    /// with warfarin"). "Quoted phrases" must match as phrases.
    pub query: String,
    /// How many passages to return (default 5, at most 1000).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Only passages of this clinical category.
    #[serde(default)]
    #[schemars(schema_with = "category_schema")]
    pub category: Option<String>,
}

/// The arguments of `get_passage`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PassageArgs {
    /// A passage id, as given in a search result's `id`.
    pub id: String,
}

/// The schema of `category`: one of the category names, from [`Category::ALL`].
fn category_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
    schemars::json_schema!({
        "type": ["string", "null"],
        "enum": names,
        "description": "Only passages of this clinical category (dosage, side_effects, interactions, ...)."
    })
}

/// A passage as the tools return it in structured content: what to quote (`text`) and
/// what to cite (`citation`, `url`), with where it stands.
#[derive(Debug, Clone, Serialize)]
pub struct CitedPassage {
    /// The passage id (for `get_passage`).
    pub id: String,
    /// 1-based rank in the search (absent for `get_passage`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<usize>,
    /// Relevance score (absent for `get_passage`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// `corpus/file.md:12-30 › Heading › Sub`, as `k2search query` prints it.
    pub citation: String,
    /// The source page, when the article's front matter gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The document title.
    pub title: String,
    /// The heading path, outermost first.
    pub headings: Vec<String>,
    /// The clinical category.
    pub category: Category,
    /// The source file, relative to the corpus.
    pub path: String,
    /// First line in the source file (1-based).
    pub line_start: usize,
    /// Last line (inclusive).
    pub line_end: usize,
    /// The passage text.
    pub text: String,
}

impl CitedPassage {
    fn new(passage: Passage, corpus: &str, rank: Option<usize>, score: Option<f32>) -> Self {
        CitedPassage {
            citation: output::citation(corpus, &passage),
            url: passage.metadata.get(URL_FIELD).cloned(),
            id: passage.id,
            rank,
            score,
            title: passage.title,
            headings: passage.headings,
            category: passage.category,
            path: passage.path,
            line_start: passage.line_start,
            line_end: passage.line_end,
            text: passage.text,
        }
    }

    /// The passage as text to quote: a header naming what to cite, then the text.
    fn quotable(&self) -> String {
        let mut s = String::new();
        if let Some(rank) = self.rank {
            let _ = write!(s, "[{rank}] ");
        }
        let _ = writeln!(s, "{}", self.title);
        let _ = writeln!(s, "citation: {}", self.citation);
        if let Some(url) = &self.url {
            let _ = writeln!(s, "url: {url}");
        }
        let _ = writeln!(s, "passage id: {}\n", self.id);
        s.push_str(&self.text);
        s
    }
}

/// The structured content of `search_health_content`.
#[derive(Debug, Serialize)]
struct SearchResult<'a> {
    query: &'a str,
    total_hits: usize,
    /// When words were corrected: the query searched.
    #[serde(skip_serializing_if = "Option::is_none")]
    corrected: Option<String>,
    hits: Vec<CitedPassage>,
}

/// The MCP server: a searcher behind two tools and a resource.
#[derive(Clone)]
pub struct McpServer {
    searcher: Searcher,
    tool_router: ToolRouter<McpServer>,
}

#[tool_router]
impl McpServer {
    /// A server answering from `searcher`.
    pub fn new(searcher: Searcher) -> McpServer {
        McpServer {
            searcher,
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        description = "Search trusted health articles (drugs, supplements, conditions) for \
passages that answer a question. Returns the best passages, each with its `text` to quote, its \
`citation` (source file, line range and heading path) and, when known, the source `url`. When \
you answer from a passage, quote it and cite its `citation` and `url`; do not state health \
facts that no passage supports."
    )]
    async fn search_health_content(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let request = match search_request(args) {
            Ok(request) => request,
            Err(message) => return Ok(tool_error(message)),
        };
        let searcher = self.searcher.clone();
        let found = self
            .blocking(move || {
                let response = searcher.search(&request)?;
                let corpus = &searcher.manifest().corpus;
                let hits: Vec<CitedPassage> = response
                    .hits
                    .into_iter()
                    .map(|hit| {
                        CitedPassage::new(hit.passage, corpus, Some(hit.rank), Some(hit.score))
                    })
                    .collect();
                Ok((request.query, response.total_hits, response.corrected, hits))
            })
            .await;
        let (query, total_hits, corrected, hits) = match found {
            Ok(found) => found,
            Err(message) => return Ok(tool_error(message)),
        };
        let mut content: Vec<ContentBlock> = hits
            .iter()
            .map(|hit| ContentBlock::text(hit.quotable()))
            .collect();
        if content.is_empty() {
            content.push(ContentBlock::text(format!(
                "No passage matches {query:?}. Say that the articles do not cover it; do not answer from memory."
            )));
        }
        let result = SearchResult {
            query: &query,
            total_hits,
            corrected,
            hits,
        };
        structured(content, &result)
    }

    #[tool(
        description = "Get one passage in full by its `id` (from a search_health_content \
result), with its `citation` and source `url` to cite."
    )]
    async fn get_passage(
        &self,
        Parameters(PassageArgs { id }): Parameters<PassageArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        if id.len() > 256 {
            return Ok(tool_error("passage ids are at most 256 bytes".into()));
        }
        let searcher = self.searcher.clone();
        let wanted = id.clone();
        let found = self
            .blocking(move || {
                let corpus = &searcher.manifest().corpus;
                Ok(searcher
                    .passage(&wanted)?
                    .map(|p| CitedPassage::new(p, corpus, None, None)))
            })
            .await;
        match found {
            Ok(Some(passage)) => structured(vec![ContentBlock::text(passage.quotable())], &passage),
            Ok(None) => Ok(tool_error(format!(
                "no passage with id {id:?}; ids come from search_health_content results"
            ))),
            Err(message) => Ok(tool_error(message)),
        }
    }

    /// Runs index work on tokio's blocking pool; a failure is its one-line message.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T, String> {
        match tokio::task::spawn_blocking(work).await {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(_) => Err("the search failed unexpectedly; see the server's stderr".into()),
        }
    }
}

/// Validates the tool's arguments into a search request, or says what to fix.
fn search_request(args: SearchArgs) -> Result<SearchRequest, String> {
    let category = match args.category.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(name) => Some(Category::parse_or_list(name)?),
    };
    let request = SearchRequest {
        query: args.query,
        limit: args.limit.unwrap_or(DEFAULT_LIMIT),
        category,
        ..SearchRequest::default()
    };
    request.validate().map_err(|e| e.to_string())?;
    if request.query.trim().is_empty() {
        return Err("query is empty; give the question or keywords to search for".into());
    }
    Ok(request)
}

/// A tool error the assistant reads (and can correct its call from).
fn tool_error(message: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
}

/// A result with `content` for the model to read and `value` as structured content.
fn structured<T: Serialize>(
    content: Vec<ContentBlock>,
    value: &T,
) -> Result<CallToolResult, ErrorData> {
    let value = serde_json::to_value(value)
        .map_err(|e| ErrorData::internal_error(format!("cannot encode the result: {e}"), None))?;
    let mut result = CallToolResult::success(content);
    result.structured_content = Some(value);
    Ok(result)
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("k2search", env!("CARGO_PKG_VERSION")))
        .with_instructions(INSTRUCTIONS)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let stats = Resource::new(STATS_URI, "index-stats")
            .with_title("k2search index statistics")
            .with_description(
                "Files, passages, categories, build time and model of the index searched",
            )
            .with_mime_type("application/json");
        Ok(ListResourcesResult::with_all_items(vec![stats]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri != STATS_URI {
            return Err(ErrorData::resource_not_found(
                format!(
                    "no resource {}; the one resource is {STATS_URI}",
                    request.uri
                ),
                None,
            ));
        }
        let searcher = self.searcher.clone();
        let stats: IndexStats = self
            .blocking(move || stats::stats(searcher.dir()))
            .await
            .map_err(|message| ErrorData::internal_error(message, None))?;
        let json = serde_json::to_string_pretty(&stats)
            .map_err(|e| ErrorData::internal_error(format!("cannot encode: {e}"), None))?;
        let contents = ResourceContents::text(json, STATS_URI).with_mime_type("application/json");
        Ok(ReadResourceResult::new(vec![contents]).into())
    }
}

/// Serves `searcher` over stdin and stdout until the client closes stdin.
pub async fn serve_stdio(searcher: Searcher) -> Result<()> {
    let stdio_error = |e: std::io::Error| Error::io("cannot serve MCP on", "stdio".as_ref(), e);
    let service = McpServer::new(searcher)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| stdio_error(std::io::Error::other(e.to_string())))?;
    service
        .waiting()
        .await
        .map_err(|e| stdio_error(std::io::Error::other(e.to_string())))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::MAX_LIMIT;

    fn args(json: serde_json::Value) -> SearchArgs {
        serde_json::from_value(json).expect("arguments")
    }

    #[test]
    fn defaults_and_category() {
        let request = search_request(args(
            serde_json::json!({"query": "warfarin", "category": "interactions"}),
        ))
        .unwrap();
        assert_eq!(request.limit, DEFAULT_LIMIT);
        assert_eq!(request.category, Some(Category::Interactions));
    }

    #[test]
    fn bad_arguments_say_what_to_fix() {
        let err = search_request(args(serde_json::json!({"query": "x", "category": "nope"})))
            .unwrap_err();
        assert!(err.contains("unknown category \"nope\""), "{err}");
        let err = search_request(args(serde_json::json!({"query": "x", "limit": 0}))).unwrap_err();
        assert!(err.contains(&format!("between 1 and {MAX_LIMIT}")), "{err}");
        let err = search_request(args(serde_json::json!({"query": "  "}))).unwrap_err();
        assert!(err.starts_with("query is empty"), "{err}");
        assert!(serde_json::from_value::<SearchArgs>(serde_json::json!({"q": "x"})).is_err());
    }

    #[test]
    fn category_schema_lists_every_category() {
        let schema = serde_json::to_value(schemars::schema_for!(SearchArgs)).unwrap();
        let names = &schema["properties"]["category"]["enum"];
        assert_eq!(names.as_array().unwrap().len(), Category::ALL.len());
    }

    #[test]
    fn quotable_names_citation_and_url() {
        let passage: Passage = serde_json::from_value(serde_json::json!({
            "id": "ab12", "path": "a.md", "title": "Autism", "headings": ["Treatments"],
            "kind": "section", "category": "treatment", "line_start": 3, "line_end": 5,
            "byte_start": 0, "byte_end": 0, "text": "Therapies help.",
            "metadata": {"url": "https://example.org/autism"}
        }))
        .unwrap();
        let cited = CitedPassage::new(passage, "corpus", Some(1), Some(2.0));
        let text = cited.quotable();
        assert!(text.starts_with("[1] Autism\ncitation: corpus/a.md:3-5 › Treatments\n"));
        assert!(text.contains("url: https://example.org/autism\n"));
        assert!(text.ends_with("Therapies help."));
    }
}
