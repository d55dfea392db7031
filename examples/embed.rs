//! Embedding throughput: embeds the passages of an index (their first
//! `embed::PASSAGE_TOKENS` tokens, as `index --model` does) and prints passages per
//! second as one JSON object.
//!
//! `cargo run --release --example embed -- INDEX_DIR MODEL_DIR [PASSAGES] [BATCH] [WORKERS]`
//!
//! With `K2_EMBED_TEXTS=FILE` it also writes the texts it embeds to FILE, one JSON
//! string a line, for the anchors of `bench/embed-speed.sh` to embed the same ones;
//! with `K2_EMBED_VECTORS=FILE`, the vectors it made, one JSON array a line; with
//! `K2_EMBED_INT8=1`, the encoder runs its products in int8 (`Model::with_int8`).

use std::path::PathBuf;
use std::time::Instant;

use k2search::embed::{self, Model};
use k2search::search::Searcher;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: embed INDEX_DIR MODEL_DIR [PASSAGES] [BATCH] [WORKERS]";
    let index = PathBuf::from(args.next().ok_or(usage)?);
    let model_dir = PathBuf::from(args.next().ok_or(usage)?);
    let limit: usize = args.next().map_or(Ok(512), |n| n.parse())?;
    let batch: usize = args.next().map_or(Ok(32), |n| n.parse())?;
    let workers: usize = args.next().map_or(Ok(1), |n| n.parse())?;
    let texts: Vec<String> = Searcher::open(&index)?
        .passages()?
        .iter()
        .take(limit)
        .map(embed::passage_text)
        .collect();
    write_lines("K2_EMBED_TEXTS", &texts)?;
    let inputs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let started = Instant::now();
    let mut model = Model::load(&model_dir)?.with_batch(batch);
    let int8 = std::env::var_os("K2_EMBED_INT8").is_some_and(|v| v == "1");
    if int8 {
        model = model.with_int8()?;
    }
    let load_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let vectors = model.embed_on(&inputs, embed::PASSAGE_TOKENS, workers)?;
    let seconds = started.elapsed().as_secs_f64();
    write_lines("K2_EMBED_VECTORS", &vectors)?;
    println!(
        "{{\"passages\": {}, \"int8\": {int8}, \"batch\": {batch}, \"workers\": {workers}, \"load_s\": {load_s:.3}, \"seconds\": {seconds:.2}, \"passages_per_s\": {:.1}}}",
        vectors.len(),
        vectors.len() as f64 / seconds
    );
    Ok(())
}

/// Writes `items` as JSON lines to the file the environment variable `var` names, if
/// it is set.
fn write_lines<T: serde::Serialize>(
    var: &str,
    items: &[T],
) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(path) = std::env::var_os(var) {
        let lines: Vec<String> = items
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<_, _>>()?;
        std::fs::write(path, lines.join("\n") + "\n")?;
    }
    Ok(())
}
