//! Serve k2search from your own axum application: mount its router under a prefix,
//! next to your own routes. The API answers at `/search-api/search?q=...`,
//! `/search-api/passages/{id}`, `/search-api/stats`...
//!
//! ```sh
//! k2search index                            # builds ./index from ./corpus
//! cargo run --example embed_axum            # then:
//! curl 'http://127.0.0.1:3000/search-api/search?q=warfarin&limit=2'
//! ```

use std::path::Path;

use axum::routing::get;
use axum::Router;
use k2search::search::Searcher;
use k2search::serve::{self, ServeConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let index = std::env::args().nth(1).unwrap_or_else(|| "index".into());
    // One searcher for the whole app; it follows re-indexing on its own.
    let searcher = Searcher::open(Path::new(&index))?;
    let config = ServeConfig {
        // Your app logs requests its own way.
        quiet: true,
        ..ServeConfig::default()
    };

    let app = Router::new()
        .route(
            "/",
            get(|| async { "my health site; search lives under /search-api" }),
        )
        .nest("/search-api", serve::router(searcher, config));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
