//! nDCG@10 of a judged set re-ranked by a cross-encoder at several depths and
//! weights, in one process: the pair scores are kept by the cross-encoder, so each
//! pair is scored once for all the settings (the deepest first).
//!
//! `cargo run --release --example rerank_sweep -- INDEX QRELS RERANKER DEPTHS WEIGHTS [--condensed]`
//! with DEPTHS and WEIGHTS comma-separated (e.g. `30,20,10 1,0.85,0.7,0.5`); prints
//! one line per setting, the first without re-ranking.

use std::path::Path;
use std::sync::Arc;

use k2search::embed::CrossEncoder;
use k2search::eval;
use k2search::search::params::Params;
use k2search::Searcher;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 5 {
        return Err("usage: rerank_sweep INDEX QRELS RERANKER DEPTHS WEIGHTS [--condensed]".into());
    }
    let list = |s: &str| -> Vec<f64> { s.split(',').filter_map(|v| v.parse().ok()).collect() };
    let condensed = args
        .iter()
        .any(|a| a == "--condensed")
        .then_some(eval::CONDENSED_DEPTH);
    let judged = eval::load(Path::new(&args[1]))?;
    let plain = Searcher::open(Path::new(&args[0]))?;
    let cross = Arc::new(CrossEncoder::load(Path::new(&args[2]))?);
    let report = eval::evaluate(&plain, &judged, 10, condensed)?;
    println!(
        "none\t-\t{:.4}\t{:.4}\t{:.3}",
        report.ndcg, report.ndcg_condensed, report.judged
    );
    let reranking = plain.with_reranker(cross);
    for depth in list(&args[3]) {
        for weight in list(&args[4]) {
            let params = Params {
                rerank_depth: depth as usize,
                rerank: weight as f32,
                ..Params::default()
            };
            let searcher = reranking.clone().with_params(params);
            let started = std::time::Instant::now();
            let report = eval::evaluate(&searcher, &judged, 10, condensed)?;
            println!(
                "{depth}\t{weight}\t{:.4}\t{:.4}\t{:.3}\t{:.0}s",
                report.ndcg,
                report.ndcg_condensed,
                report.judged,
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}
