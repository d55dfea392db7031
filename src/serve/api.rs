//! The JSON routes: search (GET and POST), one passage, health and stats, and the
//! conversion of every failure into `{"error": "..."}` with its status code.

use std::path::Path;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{OriginalUri, Path as UrlPath, Query, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tower_http::timeout::TimeoutError;

use crate::error::Error;
use crate::index;
use crate::output::{self, OutputFormat};
use crate::passage::{Category, Passage};
use crate::search::{self, Mode, SearchRequest, Searcher, MAX_QUERY_BYTES};

/// A URL query string longer than this is refused with 414 before it is decoded:
/// room for a query at the cap, percent-encoded, plus the other parameters.
const MAX_QUERY_STRING_BYTES: usize = 3 * MAX_QUERY_BYTES + 1024;

/// What every handler shares: the searcher (a cheap handle) and the permits for
/// index work.
#[derive(Clone)]
pub(super) struct AppState {
    searcher: Searcher,
    /// Index work (searches, passage and stats look-ups) running at once. More than a
    /// few per core only makes the blocking threads take turns on the CPU, which raises
    /// every request's latency and lowers throughput; the rest wait here, cheaply.
    workers: Arc<Semaphore>,
    /// The last damage reported in the log, so each is logged once.
    reported: Arc<std::sync::Mutex<String>>,
}

impl AppState {
    pub(super) fn new(searcher: Searcher, max_searches: usize) -> AppState {
        AppState {
            searcher,
            workers: Arc::new(Semaphore::new(max_searches.max(1))),
            reported: Arc::default(),
        }
    }

    /// Logs one line the first time the index is found damaged (for each reason).
    fn report_damage(&self, message: &str) {
        if let Ok(mut reported) = self.reported.lock() {
            if *reported != message {
                eprintln!("k2search: error: {message}");
                *reported = message.to_string();
            }
        }
    }

    /// Runs blocking index work on tokio's blocking pool, at most `max_searches` at a
    /// time; a panic in it becomes a 500.
    async fn blocking<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce() -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self
            .workers
            .acquire()
            .await
            .map_err(|_| internal("the server is shutting down"))?;
        match tokio::task::spawn_blocking(work).await {
            Ok(Err(e @ Error::Damaged { .. })) => {
                self.report_damage(&e.to_string());
                Err(ApiError::from(e))
            }
            Ok(result) => result.map_err(ApiError::from),
            Err(_) => Err(internal(
                "the search failed unexpectedly; see the server log",
            )),
        }
    }
}

/// A failed request: a status and a one-line message, sent as `{"error": message}`.
#[derive(Debug)]
pub(super) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let status = match e {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Damaged { .. } => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(self.status, &self.message)
    }
}

/// The JSON error body every failure uses.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

/// `{"error": message}` with `status`.
pub(super) fn error_response(status: StatusCode, message: &str) -> Response {
    json_response(status, &ErrorBody { error: message })
}

fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json_bytes(status, body),
        Err(e) => internal(format!("cannot encode the answer: {e}")).into_response(),
    }
}

fn json_bytes(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn internal(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
}

// ------------------------------------------------------------------------ search

/// The search fields as sent, before validation: `q` is required, the rest optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchBody {
    #[serde(alias = "query")]
    q: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
    #[serde(alias = "section")]
    category: Option<String>,
    per_file: Option<usize>,
    explain: Option<bool>,
    mode: Option<String>,
    prefix: Option<bool>,
    facets: Option<Vec<String>>,
    #[serde(alias = "filters")]
    filter: Option<Vec<String>>,
}

impl SearchBody {
    /// Validates the fields into a request; the searcher checks the ranges.
    fn into_request(self) -> Result<SearchRequest, ApiError> {
        let query = self
            .q
            .ok_or_else(|| ApiError::bad_request("missing q: give the query as q=..."))?;
        let defaults = SearchRequest::default();
        let category = match self.category.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(name) => Some(Category::parse_or_list(name).map_err(ApiError::bad_request)?),
        };
        Ok(SearchRequest {
            query,
            limit: self.limit.unwrap_or(defaults.limit),
            offset: self.offset.unwrap_or(defaults.offset),
            category,
            per_file: self.per_file,
            explain: self.explain.unwrap_or(false),
            prefix: self.prefix.unwrap_or(defaults.prefix),
            facets: self.facets.unwrap_or_default(),
            filters: self
                .filter
                .unwrap_or_default()
                .iter()
                .map(|f| f.parse().map_err(ApiError::bad_request))
                .collect::<Result<_, _>>()?,
            mode: match self.mode.as_deref().map(str::trim) {
                None | Some("") => Mode::default(),
                Some(name) => Mode::parse(name).ok_or_else(|| {
                    ApiError::bad_request(format!("unknown mode {name:?}; use hybrid or lexical"))
                })?,
            },
        })
    }
}

/// Parses a whole-number parameter, naming it in the error.
fn parse_count(name: &str, value: &str) -> Result<usize, ApiError> {
    value
        .trim()
        .parse()
        .map_err(|_| ApiError::bad_request(format!("{name} must be a whole number, got {value:?}")))
}

/// The facet names of `facets=category,source` (an empty value asks for none).
fn facet_names(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

/// Parses a true/false parameter (`1`/`0` too), naming it in the error.
fn parse_flag(name: &str, value: &str) -> Result<bool, ApiError> {
    match value.trim() {
        "true" | "1" | "" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ApiError::bad_request(format!(
            "{name} must be true or false, got {value:?}"
        ))),
    }
}

/// `GET /search?q=...&limit=...&offset=...&category=...&per_file=...&mode=...&explain=...&prefix=...`
/// `&facets=category,source&filter=source:CDC&filter=...` (`section=` is the older
/// name of `category=`); unknown parameters are ignored (cache busters), repeated
/// ones: the last wins, but for `filter`, whose values are ANDed.
pub(super) async fn search_get(
    State(app): State<AppState>,
    uri: Uri,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    if uri.query().map_or(0, str::len) > MAX_QUERY_STRING_BYTES {
        return Err(ApiError::new(
            StatusCode::URI_TOO_LONG,
            format!("the query string is over {MAX_QUERY_STRING_BYTES} bytes; queries are capped at {MAX_QUERY_BYTES} bytes"),
        ));
    }
    let Query(params) = params
        .map_err(|e| ApiError::bad_request(format!("bad query string: {}", e.body_text())))?;
    let mut body = SearchBody::default();
    for (name, value) in params {
        match name.as_str() {
            "q" | "query" => body.q = Some(value),
            "limit" => body.limit = Some(parse_count("limit", &value)?),
            "offset" => body.offset = Some(parse_count("offset", &value)?),
            "per_file" => body.per_file = Some(parse_count("per_file", &value)?),
            "category" | "section" => body.category = Some(value),
            "mode" => body.mode = Some(value),
            "explain" => body.explain = Some(parse_flag("explain", &value)?),
            "prefix" => body.prefix = Some(parse_flag("prefix", &value)?),
            "facets" => body.facets = Some(facet_names(&value)),
            "filter" | "filters" => body.filter.get_or_insert_with(Vec::new).push(value),
            _ => {}
        }
    }
    run_search(app, body.into_request()?).await
}

/// `POST /search` with a JSON body `{"q": ..., "limit": ..., ...}` (any content type).
pub(super) async fn search_post(
    State(app): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(body_rejection)?;
    let body: SearchBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("bad JSON body: {e}")))?;
    run_search(app, body.into_request()?).await
}

/// 408 for a body that stopped coming (the router's `RequestBodyTimeoutLayer`), else
/// axum's answer.
fn body_rejection(rejection: BytesRejection) -> ApiError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&rejection);
    while let Some(error) = cause {
        if error.is::<TimeoutError>() {
            return ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "the request body stopped coming before it was complete; send it whole",
            );
        }
        cause = error.source();
    }
    ApiError::new(rejection.status(), rejection.body_text())
}

/// Searches on a blocking thread and answers with the same JSON as `query --json`.
async fn run_search(app: AppState, request: SearchRequest) -> Result<Response, ApiError> {
    request.validate()?;
    let searcher = app.searcher.clone();
    let body = app
        .blocking(move || {
            let response = searcher.search(&request)?;
            let mut body = Vec::with_capacity(4096);
            let corpus = &searcher.manifest().corpus;
            output::print_response(&mut body, &response, corpus, OutputFormat::Json)
                .map_err(|e| Error::io("cannot encode", Path::new("the search response"), e))?;
            Ok(body)
        })
        .await?;
    Ok(json_bytes(StatusCode::OK, body))
}

// ----------------------------------------------------------------------- passage

/// A passage in full, with the citation a page shows for it.
#[derive(Serialize)]
struct PassageView {
    #[serde(flatten)]
    passage: Passage,
    /// `corpus/file.txt:12-30 › Heading › Sub`.
    citation: String,
}

/// `GET /passages/{id}`.
pub(super) async fn passage(
    State(app): State<AppState>,
    id: Result<UrlPath<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let UrlPath(id) = id.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if id.len() > 256 {
        return Err(ApiError::bad_request("passage ids are at most 256 bytes"));
    }
    let searcher = app.searcher.clone();
    let wanted = id.clone();
    let found = app
        .blocking(move || {
            let passage = searcher.passage(&wanted)?;
            Ok(passage.map(|p| {
                let citation = output::citation(&searcher.manifest().corpus, &p);
                PassageView {
                    passage: p,
                    citation,
                }
            }))
        })
        .await?;
    match found {
        Some(view) => Ok(json_response(StatusCode::OK, &view)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no passage with id {id:?}; ids come from search hits"),
        )),
    }
}

// ---------------------------------------------------------------- health, stats

#[derive(Serialize)]
struct Health {
    #[serde(flatten)]
    health: search::Health,
    passages: u64,
}

/// `GET /health`: `{"status": "ok"}`, `"verifying"` (a big index's first check), or
/// `"degraded"` with the reason and status 503 when the index is damaged. Cheap: the
/// verification of a new commit runs at most once (for a big index, in the background).
pub(super) async fn health(State(app): State<AppState>) -> Response {
    let searcher = app.searcher.clone();
    let health = match tokio::task::spawn_blocking(move || searcher.health()).await {
        Ok(health) => health,
        Err(_) => search::Health::Degraded {
            reason: "checking the index failed unexpectedly".into(),
        },
    };
    let status = match &health {
        search::Health::Degraded { reason } => {
            app.report_damage(reason);
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::OK,
    };
    let body = Health {
        health,
        passages: app.searcher.num_passages(),
    };
    json_response(status, &body)
}

/// `GET /stats` ([`index::stats::IndexStats`]). Read from disk on each call, so it
/// describes the index as it is now (the searcher's manifest is the one it was opened
/// with).
pub(super) async fn stats(State(app): State<AppState>) -> Result<Response, ApiError> {
    let searcher = app.searcher.clone();
    let stats = app
        .blocking(move || index::stats::stats(searcher.dir()))
        .await?;
    Ok(json_response(StatusCode::OK, &stats))
}

// ----------------------------------------------------------------------- suggest

/// The answer of `GET /suggest`.
#[derive(Serialize)]
struct SuggestResponse {
    /// The text as typed.
    query: String,
    /// Titles, headings and words that start with it, most frequent first.
    suggestions: Vec<search::Suggestion>,
}

/// Most suggestions returned when the request does not say.
const DEFAULT_SUGGESTIONS: usize = 8;

/// `GET /suggest?q=...&limit=...`: names for an autocomplete list
/// ([`Searcher::suggest`]).
pub(super) async fn suggest(
    State(app): State<AppState>,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params
        .map_err(|e| ApiError::bad_request(format!("bad query string: {}", e.body_text())))?;
    let mut query = None;
    let mut limit = DEFAULT_SUGGESTIONS;
    for (name, value) in params {
        match name.as_str() {
            "q" | "query" => query = Some(value),
            "limit" => limit = parse_count("limit", &value)?,
            _ => {}
        }
    }
    let query =
        query.ok_or_else(|| ApiError::bad_request("missing q: give the typed text as q=..."))?;
    let searcher = app.searcher.clone();
    let typed = query.clone();
    let suggestions = app
        .blocking(move || searcher.suggest(&typed, limit))
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &SuggestResponse { query, suggestions },
    ))
}

// --------------------------------------------------------------------- fallback

/// Any route not listed: 404, naming what was asked for.
pub(super) async fn not_found(method: Method, OriginalUri(path): OriginalUri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!(
            "no route {method} {}; see GET /search, /suggest, /passages/{{id}}, /health, /stats",
            path.path()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_needs_q() {
        let err = SearchBody::default().into_request().unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn body_defaults_and_category() {
        let body: SearchBody =
            serde_json::from_str(r#"{"query": "warfarin", "category": "interactions"}"#).unwrap();
        let request = body.into_request().unwrap();
        assert_eq!(request.limit, SearchRequest::default().limit);
        assert_eq!(request.category, Some(Category::Interactions));
    }

    #[test]
    fn section_is_the_older_name_of_category() {
        let body: SearchBody =
            serde_json::from_str(r#"{"q": "warfarin", "section": "precautions"}"#).unwrap();
        let request = body.into_request().unwrap();
        assert_eq!(request.category, Some(Category::Contraindications));
        let request: SearchRequest =
            serde_json::from_str(r#"{"query": "warfarin", "section": "dosage"}"#).unwrap();
        assert_eq!(request.category, Some(Category::Dosage));
    }

    #[test]
    fn unknown_category_and_fields_are_refused() {
        let body: SearchBody = serde_json::from_str(r#"{"q": "x", "category": "nope"}"#).unwrap();
        let err = body.into_request().unwrap_err();
        assert!(
            err.message
                .contains("unknown category \"nope\"; use one of"),
            "{}",
            err.message
        );
        assert!(serde_json::from_str::<SearchBody>(r#"{"q": "x", "limt": 3}"#).is_err());
        assert!(serde_json::from_str::<SearchBody>(r#"{"q": "x", "limit": -3}"#).is_err());
    }

    #[test]
    fn counts_must_be_numbers() {
        assert_eq!(parse_count("limit", " 7").unwrap(), 7);
        assert!(parse_count("limit", "ten").is_err());
        assert!(parse_count("offset", "-1").is_err());
    }
}
