//! Stage 7: serving. The HTTP API over a [`Searcher`] and the search page, on axum.
//!
//! [`router`] builds an [`axum::Router`] that an application can mount anywhere (for
//! example `Router::new().nest("/search-api", router(...))`); [`serve`] runs it as a
//! standalone server, as `k2search serve` does.
//!
//! | route | answer |
//! |---|---|
//! | `GET /search?q=&limit=&offset=&category=&per_file=&prefix=&facets=&filter=` | a [`crate::search::SearchResponse`] |
//! | `POST /search` with a JSON body of the same fields | the same |
//! | `GET /suggest?q=&limit=` | titles, headings and words starting with `q`, for autocomplete |
//! | `GET /passages/{id}` | a [`crate::passage::Passage`] plus its `citation` |
//! | `GET /health` | `{"status": "ok", "passages": N}` |
//! | `GET /stats` | files, passages, index size, build time, version, categories |
//! | `GET /`, `/app.css`, `/app.js` | the search page (embedded in the binary) |
//!
//! Every error is JSON, `{"error": "..."}`, with a 4xx status for what the client got
//! wrong. Searches run on Tantivy's (blocking) code through
//! [`tokio::task::spawn_blocking`]; each request is bounded by a timeout, the number of
//! requests in flight by a limit, and request bodies by a size cap, so that nothing a
//! client sends can stall the server. [`serve_on`] adds what a router alone cannot
//! bound: how long a client may take to send a request head or sit idle, and how many
//! connections are open (fitted to the open-file limit, the longest-waiting idle one
//! making room for a new one). The [`Searcher`] picks up new commits of the
//! index by itself, so a running server answers from a re-indexed corpus without a
//! restart. See `docs/http-api.md` for the wire format.

mod api;
mod assets;
mod conn;
mod layers;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Method};
use axum::routing::get;
use axum::Router;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

use crate::error::{Error, Result};
use crate::search::Searcher;

/// The address `k2search serve` listens on unless told otherwise: loopback only.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7878";
/// [`ServeConfig::header_timeout`] unless set (also the CLI's default).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// [`ServeConfig::idle_timeout`] unless set.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// [`ServeConfig::timeout`] unless set.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// [`ServeConfig::max_connections`] unless set.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// [`ServeConfig::max_body_bytes`] unless set.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// How the server behaves: limits, CORS and logging.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The one origin allowed to call the API from a browser (`*` for any); `None`
    /// (the default) sends no CORS headers, so only same-origin pages can call it.
    pub cors: Option<HeaderValue>,
    /// Log nothing (by default one line per request goes to stderr).
    pub quiet: bool,
    /// Longest time a request may take, body included, before it is answered with 503
    /// (a body that stalls for `header_timeout` is answered 408 before that).
    pub timeout: Duration,
    /// Requests handled at once; more wait for a free slot (within the timeout).
    pub max_in_flight: usize,
    /// Largest request body accepted, in bytes; larger ones get 413.
    pub max_body_bytes: usize,
    /// Searches (and other index look-ups) run at once; the default is twice the
    /// number of cores, since a search keeps a core busy from start to end.
    pub max_searches: usize,
    /// Time a client has to send a whole request head, from connecting or from the
    /// first byte of a request on a kept-alive connection; then it is closed. Also the
    /// longest wait for the next piece of a request body (408 after).
    pub header_timeout: Duration,
    /// A connection with no request in progress and no byte read or written for this
    /// long is closed: a keep-alive wait, or a client that stopped reading.
    pub idle_timeout: Duration,
    /// Connections open at once; lowered to fit the process's open-file limit. At the
    /// cap a new connection replaces the one that has waited longest without a request.
    pub max_connections: usize,
    /// Largest request head (request line and headers), in bytes; larger get 431.
    pub max_header_bytes: usize,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            cors: None,
            quiet: false,
            timeout: DEFAULT_REQUEST_TIMEOUT,
            max_in_flight: 64,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_searches: std::thread::available_parallelism().map_or(2, |n| n.get() * 2),
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_header_bytes: 64 * 1024,
        }
    }
}

/// Checks a `--cors` value: `*` or an origin such as `https://example.org`.
pub fn parse_cors_origin(origin: &str) -> Result<HeaderValue> {
    let host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .map(|rest| rest.trim_end_matches('/'));
    let valid =
        origin == "*" || host.is_some_and(|h| !h.is_empty() && !h.contains(['/', ' ', '\t']));
    match HeaderValue::from_str(origin.trim_end_matches('/')) {
        Ok(value) if valid => Ok(value),
        _ => Err(Error::BadRequest(format!(
            "--cors {origin:?} is not an origin; give one like https://example.org, or *"
        ))),
    }
}

/// The HTTP API and the search page over `searcher`, ready to serve or to mount in
/// a larger application with [`Router::nest`].
pub fn router(searcher: Searcher, config: ServeConfig) -> Router {
    let routes = Router::new()
        .route("/search", get(api::search_get).post(api::search_post))
        .route("/suggest", get(api::suggest))
        .route("/passages/{id}", get(api::passage))
        .route("/health", get(api::health))
        .route("/stats", get(api::stats))
        .route("/", get(assets::index_html))
        .route("/app.css", get(assets::app_css))
        .route("/app.js", get(assets::app_js))
        .fallback(api::not_found)
        .with_state(api::AppState::new(searcher, config.max_searches));

    // Layers run outside in: the last one added sees a request first.
    let mut app = routes
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(GlobalConcurrencyLimitLayer::new(
            config.max_in_flight.max(1),
        ))
        .layer(RequestBodyTimeoutLayer::new(config.header_timeout))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            config.timeout,
        ));
    if let Some(origin) = &config.cors {
        app = app.layer(cors_layer(origin));
    }
    let limits = layers::Limits {
        max_body_bytes: config.max_body_bytes,
        timeout: config.timeout,
    };
    app = app.layer(axum::middleware::from_fn_with_state(
        limits,
        layers::json_errors,
    ));
    if !config.quiet {
        app = app.layer(axum::middleware::from_fn(layers::log_request));
    }
    app
}

fn cors_layer(origin: &HeaderValue) -> CorsLayer {
    let allow = if origin == "*" {
        AllowOrigin::any()
    } else {
        AllowOrigin::exact(origin.clone())
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE])
        .max_age(Duration::from_secs(3600))
}

/// Connections the kernel completes and queues before the server accepts them (the
/// standard library's 128 is soon full in a burst; the kernel caps it at somaxconn).
const LISTEN_BACKLOG: u32 = 4096;

/// Binds `addr`. Port 0 picks a free port: ask the listener which one it got.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener> {
    let listen = || -> std::io::Result<tokio::net::TcpListener> {
        let socket = match addr {
            SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
            SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
        };
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        socket.listen(LISTEN_BACKLOG)
    };
    listen().map_err(|e| Error::io("cannot listen on", Path::new(&addr.to_string()), e))
}

/// Serves [`router`] on `listener` until Ctrl-C (or SIGTERM on Unix), then finishes
/// the requests in flight. Connections are bounded in number and in time by
/// `config` (see the `conn` module: header and idle timeouts, the connection cap).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    searcher: Searcher,
    config: ServeConfig,
) -> Result<()> {
    let app = router(searcher, config.clone());
    conn::accept_loop(listener, app, &config, shutdown_signal()).await;
    Ok(())
}

/// Binds `addr` and serves [`router`] on it; see [`serve_on`].
pub async fn serve(addr: SocketAddr, searcher: Searcher, config: ServeConfig) -> Result<()> {
    serve_on(bind(addr).await?, searcher, config).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        // If no handler can be installed, run until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_origins() {
        assert!(parse_cors_origin("https://example.org").is_ok());
        assert!(parse_cors_origin("http://localhost:3000/").is_ok());
        assert!(parse_cors_origin("*").is_ok());
        assert!(parse_cors_origin("example.org").is_err());
        assert!(parse_cors_origin("https://a b").is_err());
        assert!(parse_cors_origin("https://").is_err());
    }

    #[test]
    fn searcher_is_shareable() {
        fn shareable<T: Send + Sync + Clone + 'static>() {}
        shareable::<Searcher>();
    }
}
