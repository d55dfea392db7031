//! In-process query latency through the library: opens an index once, runs each query
//! of a file (one per line) `--rounds` times after one warm-up round, and prints the
//! p50, p95, p99 and max of the per-query times as one JSON object.
//!
//! `cargo run --release --example latency -- INDEX_DIR QUERIES.txt [ROUNDS] [PARAMS.json]`
//!
//! With `PARAMS.json`, searches use those ranking weights instead of the learned ones.
//! An index built with a model is searched hybrid; `K2SEARCH_LATENCY_MODE=lexical` in
//! the environment searches it by text alone, for a same-index baseline.
//! `K2SEARCH_LATENCY_PREFIX=off` turns prefix search off (it is on, as in the HTTP API),
//! and `K2SEARCH_LATENCY_FACETS=category,source` asks each search for those facets.
//! `K2SEARCH_LATENCY_RERANK=DIR` re-ranks with the cross-encoder in DIR, keeping no
//! pair score between searches (each search scores its pairs).

use std::path::PathBuf;
use std::time::Instant;

use k2search::search::{Mode, Params, SearchRequest, Searcher};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: latency INDEX_DIR QUERIES.txt [ROUNDS] [PARAMS.json]";
    let index = PathBuf::from(args.next().ok_or(usage)?);
    let queries_file = args.next().ok_or(usage)?;
    let rounds: usize = args.next().map_or(Ok(50), |r| r.parse())?;
    let params = args.next().map(|p| Params::load(p.as_ref())).transpose()?;
    let queries: Vec<String> = std::fs::read_to_string(&queries_file)?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let mut searcher = Searcher::open(&index)?;
    if let Some(params) = params {
        searcher = searcher.with_params(params);
    }
    if let Some(dir) = std::env::var_os("K2SEARCH_LATENCY_RERANK") {
        let cross = k2search::embed::CrossEncoder::load(dir.as_ref())?.keeping(0);
        searcher = searcher.with_reranker(std::sync::Arc::new(cross));
    }
    let mode = match std::env::var("K2SEARCH_LATENCY_MODE").as_deref() {
        Ok("lexical") => Mode::Lexical,
        _ => Mode::Hybrid,
    };
    let prefix = std::env::var("K2SEARCH_LATENCY_PREFIX").as_deref() != Ok("off");
    let facets: Vec<String> = std::env::var("K2SEARCH_LATENCY_FACETS")
        .unwrap_or_default()
        .split(',')
        .filter(|f| !f.is_empty())
        .map(String::from)
        .collect();
    let requests: Vec<SearchRequest> = queries
        .iter()
        .map(|q| SearchRequest {
            mode,
            prefix,
            facets: facets.clone(),
            ..SearchRequest::new(q)
        })
        .collect();
    for request in &requests {
        searcher.search(request)?; // warm-up: page cache and lazily opened files
    }
    let mut micros = Vec::with_capacity(rounds * requests.len());
    for _ in 0..rounds {
        for request in &requests {
            let started = Instant::now();
            let response = searcher.search(request)?;
            micros.push(started.elapsed().as_secs_f64() * 1e6);
            std::hint::black_box(response);
        }
    }
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize] / 1000.0;
    println!(
        "{{\"queries\":{},\"rounds\":{rounds},\"p50_ms\":{:.3},\"p95_ms\":{:.3},\"p99_ms\":{:.3},\"max_ms\":{:.3}}}",
        requests.len(),
        at(0.5),
        at(0.95),
        at(0.99),
        at(1.0)
    );
    Ok(())
}
