//! Scores (question, passage) pairs with a cross-encoder, or times it.
//!
//! `cargo run --release --example rerank -- MODEL_DIR QUESTION PASSAGE...` prints each
//! passage's score (f32 and int8 products);
//! `cargo run --release --example rerank -- MODEL_DIR --time PAIRS ROUNDS FILE` times
//! re-ranking PAIRS passages (the lines of FILE, in turn) per question, each line of
//! FILE also serving as the question of the next round: median and p99 in ms.

use std::path::Path;
use std::time::Instant;

use k2search::embed::CrossEncoder;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = Path::new(
        args.first()
            .ok_or("usage: rerank MODEL_DIR QUESTION PASSAGE...")?,
    );
    if args.get(1).map(String::as_str) == Some("--time") {
        let pairs: usize = args.get(2).ok_or("PAIRS")?.parse()?;
        let rounds: usize = args.get(3).ok_or("ROUNDS")?.parse()?;
        let text = std::fs::read_to_string(args.get(4).ok_or("FILE")?)?;
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let cross = CrossEncoder::load(dir)?;
        let mut times = Vec::new();
        for round in 0..rounds {
            let question = lines[round % lines.len()];
            let passages: Vec<&str> = (0..pairs)
                .map(|i| lines[(round * pairs + i + 1) % lines.len()])
                .collect();
            let start = Instant::now();
            let scores = cross.score(question, &passages)?;
            times.push(start.elapsed().as_secs_f64() * 1e3);
            assert_eq!(scores.len(), pairs);
        }
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        println!(
            "{pairs} pairs, {rounds} rounds: p50 {:.1} ms, p99 {:.1} ms",
            at(0.5),
            at(0.99)
        );
        return Ok(());
    }
    let question = args.get(1).ok_or("QUESTION")?;
    let passages: Vec<&str> = args[2..].iter().map(String::as_str).collect();
    let f32_scores = CrossEncoder::load_f32(dir)?.score(question, &passages)?;
    let int8_scores = CrossEncoder::load(dir)?.score(question, &passages)?;
    for ((p, a), b) in passages.iter().zip(f32_scores).zip(int8_scores) {
        println!("{a:8.4} {b:8.4}  {p}");
    }
    Ok(())
}
