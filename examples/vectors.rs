//! Brute-force vector search time against corpus size: builds sets of N random unit
//! vectors (384 dimensions, as all-MiniLM-L6-v2's) in f32 and i8, and times scoring a
//! query against all of them plus picking the nearest 50. Prints one JSON object per
//! size and format with the median and p99 over the rounds.
//!
//! `cargo run --release --example vectors -- [SIZES] [ROUNDS]`  (SIZES: `16369,100000,1000000`)

use std::time::Instant;

use k2search::embed::vectors::{VectorFormat, VectorSet};

const DIM: usize = 384;

/// A repeatable pseudo-random unit vector (xorshift), so runs compare.
fn unit_vector(seed: &mut u64) -> Vec<f32> {
    let mut v: Vec<f32> = (0..DIM)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed % 2001) as f32 / 1000.0 - 1.0
        })
        .collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let sizes: Vec<usize> = args
        .next()
        .unwrap_or_else(|| "16369,100000,1000000".into())
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let rounds: usize = args.next().map_or(Ok(30), |r| r.parse())?;
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for &n in &sizes {
        let rows: Vec<Vec<f32>> = (0..n).map(|_| unit_vector(&mut seed)).collect();
        for format in [VectorFormat::F32, VectorFormat::I8] {
            let set = VectorSet::from_rows(DIM, format, &rows);
            let mut times = Vec::with_capacity(rounds);
            let mut checksum = 0f32;
            for _ in 0..rounds {
                let query = unit_vector(&mut seed);
                let started = Instant::now();
                let sims = set.similarities(&query);
                let nearest = set.nearest(&sims, 50, |_| true);
                times.push(started.elapsed().as_secs_f64() * 1000.0);
                checksum += nearest.first().map_or(0.0, |n| n.0);
            }
            times.sort_by(f64::total_cmp);
            let pick = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
            println!(
                "{{\"vectors\": {n}, \"format\": \"{}\", \"p50_ms\": {:.2}, \"p99_ms\": {:.2}, \"checksum\": {checksum:.3}}}",
                format.as_str(),
                pick(0.5),
                pick(0.99)
            );
        }
        drop(rows);
    }
    Ok(())
}
