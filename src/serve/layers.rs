//! Middleware: one log line per request, and JSON bodies for the errors that the
//! framework and the limit layers answer on their own (405, 408, 413, 503...).

use std::io::Write;
use std::time::{Duration, Instant};

use axum::extract::{OriginalUri, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::api::error_response;

/// The limits the error messages name.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub(super) max_body_bytes: usize,
    pub(super) timeout: Duration,
}

/// Writes `METHOD PATH STATUS TIMEms` to stderr. The query string is left out: health
/// questions are personal and do not belong in a log.
pub(super) async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.extensions().get::<OriginalUri>().map_or_else(
        || request.uri().path().to_string(),
        |u| u.0.path().to_string(),
    );
    let response = next.run(request).await;
    let line = format!(
        "{method} {path} {} {:.2}ms\n",
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    // One write per line, so lines from concurrent requests do not interleave; a
    // closed stderr is no reason to fail a request.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    response
}

/// Gives every error response without a JSON body one: `{"error": "..."}`.
pub(super) async fn json_errors(
    State(limits): State<Limits>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let message = match status {
        // axum adds the Allow header outside this layer, on the way out.
        StatusCode::METHOD_NOT_ALLOWED => {
            format!("method {method} is not allowed on {path}; the Allow header lists the methods")
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!("the request body is over {} bytes", limits.max_body_bytes)
        }
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => format!(
            "the request took longer than {:.1} s; try again or narrow the query",
            limits.timeout.as_secs_f64()
        ),
        other => other
            .canonical_reason()
            .unwrap_or("request failed")
            .to_string(),
    };
    let mut answer = error_response(status, &message);
    // Keep what the client needs to act on the error (Allow, CORS headers).
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().append(name.clone(), value.clone());
        }
    }
    answer
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}
