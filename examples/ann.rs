//! Approximate against brute-force nearest neighbours: for each size N, builds the
//! HNSW graph ([`k2search::embed::ann`]) of N vectors, writes and maps it as an index
//! does, and times nearest-50 queries through the graph and by brute force, in f32 and
//! i8, alternating query by query. Prints one JSON object per size and format: graph
//! build seconds, file bytes, resident memory, p50/p99 milliseconds of each path, and
//! recall@50 of the graph against brute force.
//!
//! `cargo run --release --example ann -- SOURCE [SIZES] [QUERIES] [EXPANSIONS]`
//!
//! SOURCE is `random` (uniform random unit vectors) or a file of real vectors, one JSON
//! array a line (`K2_EMBED_VECTORS` of `examples/embed.rs`): the last QUERIES of them
//! are the queries, the others are the bases, and N vectors are made by cycling
//! through the bases, each copy after the first perturbed by noise of norm [`NOISE`]
//! and renormalized: Gaussian in every dimension, or with `mixed:FILE` a random mix of
//! other real vectors (see [`Noise`]). SIZES: `16384,100000,1000000`. EXPANSIONS: the
//! graph's search expansions to measure (default: [`ann::EXPANSION_SEARCH`]).

use std::time::Instant;

use k2search::embed::ann::{self, Graph};
use k2search::embed::vectors::{VectorFormat, VectorSet};
use tantivy::DocId;

const DIM: usize = 384;
/// Norm of the noise added to each perturbed copy: a copy's cosine to its base is then
/// 1/√(1 + 0.78²) = 0.79, the median cosine of a MedQuAD passage's vector to its
/// nearest neighbour among the 3,200 embedded (measured on 80 of them; p10 0.67, p90
/// 0.92), so that copies are as far apart as real neighbours are.
const NOISE: f32 = 0.78;
const K: usize = 50;

/// A repeatable pseudo-random generator (xorshift), so runs compare.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }

    /// A standard normal sample (Box-Muller).
    fn normal(&mut self) -> f32 {
        let (u, v) = (self.uniform().max(1e-9), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }
}

fn normalized(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v
        .iter()
        .map(|x| x * x)
        .sum::<f32>()
        .sqrt()
        .max(f32::MIN_POSITIVE);
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

fn random_unit(rng: &mut Rng) -> Vec<f32> {
    normalized((0..DIM).map(|_| rng.uniform() * 2.0 - 1.0).collect())
}

/// How a copy of a real vector is perturbed.
#[derive(Clone, Copy, PartialEq)]
enum Noise {
    /// Gaussian noise in all 384 dimensions: copies off the embeddings' manifold, as
    /// hard for a graph as random vectors.
    Isotropic,
    /// A random mix of three other real vectors: copies that stay in the span of real
    /// embeddings, as a bigger corpus's passages would.
    Mixed,
}

/// `n` vectors cycling through `bases`, the copies after the first perturbed by noise
/// of norm [`NOISE`].
fn perturbed(bases: &[Vec<f32>], n: usize, noise: Noise, rng: &mut Rng) -> Vec<Vec<f32>> {
    (0..n)
        .map(|i| {
            let base = &bases[i % bases.len()];
            if i < bases.len() {
                return base.clone();
            }
            let mut delta: Vec<f32> = match noise {
                Noise::Isotropic => (0..DIM).map(|_| rng.normal()).collect(),
                Noise::Mixed => {
                    let mut d = vec![0f32; DIM];
                    for _ in 0..3 {
                        let other =
                            &bases[(rng.uniform() * bases.len() as f32) as usize % bases.len()];
                        let g = rng.normal();
                        d.iter_mut().zip(other).for_each(|(d, o)| *d += g * o);
                    }
                    d
                }
            };
            delta = normalized(delta);
            normalized(
                base.iter()
                    .zip(&delta)
                    .map(|(x, d)| x + NOISE * d)
                    .collect(),
            )
        })
        .collect()
}

fn resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(times: &mut [f64], q: f64) -> f64 {
    times.sort_by(f64::total_cmp);
    times[((times.len() - 1) as f64 * q).round() as usize]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: ann random|VECTORS.jsonl [SIZES] [QUERIES]";
    let source = args.next().ok_or(usage)?;
    let sizes: Vec<usize> = args
        .next()
        .unwrap_or_else(|| "16384,100000,1000000".into())
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let n_queries: usize = args.next().map_or(Ok(200), |q| q.parse())?;
    let expansions: Vec<usize> = args
        .next()
        .unwrap_or_else(|| ann::EXPANSION_SEARCH.to_string())
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (noise, source) = match source.strip_prefix("mixed:") {
        Some(file) => (Noise::Mixed, file.to_string()),
        None => (Noise::Isotropic, source),
    };
    let (bases, queries) = if source == "random" {
        let queries: Vec<Vec<f32>> = (0..n_queries).map(|_| random_unit(&mut rng)).collect();
        (None, queries)
    } else {
        let mut real: Vec<Vec<f32>> = std::fs::read_to_string(&source)?
            .lines()
            .map(|l| serde_json::from_str::<Vec<f32>>(l).map(normalized))
            .collect::<Result<_, _>>()?;
        let queries = real.split_off(real.len().saturating_sub(n_queries));
        (Some(real), queries)
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let tmp = tempfile::tempdir()?;
    for &n in &sizes {
        let rows = match &bases {
            Some(bases) => perturbed(bases, n, noise, &mut rng),
            None => (0..n).map(|_| random_unit(&mut rng)).collect(),
        };
        let docs: Vec<DocId> = (0..n as DocId).collect();
        let flat: Vec<i8> = rows.iter().flat_map(|r| ann::quantize(r)).collect();
        let before = resident_mib();
        let started = Instant::now();
        let graph = Graph::build(DIM, &docs, &flat, threads)?;
        let build_s = started.elapsed().as_secs_f64();
        let built_mib = resident_mib() - before;
        drop(flat);
        let path = tmp.path().join(ann::file_name("bench"));
        let file_bytes = graph.write(&path)?;
        drop(graph);
        for format in [VectorFormat::F32, VectorFormat::I8] {
            let mut set = VectorSet::from_rows(DIM, format, &rows);
            let set_mib = resident_mib();
            let mut brute = Vec::new();
            let exact: Vec<_> = queries
                .iter()
                .map(|query| {
                    let started = Instant::now();
                    let found = set.nearest(&set.exact_similarities(query), K, |_| true);
                    brute.push(started.elapsed().as_secs_f64() * 1000.0);
                    found
                })
                .collect();
            for &ef in &expansions {
                let started = Instant::now();
                let graph = Graph::open(&path, DIM)?;
                let open_ms = started.elapsed().as_secs_f64() * 1000.0;
                graph.set_expansion(ef);
                set.attach_graph(0, graph);
                let mut times = Vec::new();
                let mut found = 0;
                for (query, exact) in queries.iter().zip(&exact) {
                    let started = Instant::now();
                    let approx = set.nearest(&set.similarities(query), K, |_| true);
                    times.push(started.elapsed().as_secs_f64() * 1000.0);
                    found += exact
                        .iter()
                        .filter(|e| approx.iter().any(|a| a.1 == e.1))
                        .count();
                }
                let recall = found as f64 / (queries.len() * K) as f64;
                println!(
                    "{{\"source\": \"{}\", \"vectors\": {n}, \"format\": \"{}\", \"expansion\": {ef}, \"build_s\": {build_s:.1}, \"build_rss_mib\": {built_mib:.0}, \"file_mib\": {:.1}, \"open_ms\": {open_ms:.0}, \"rss_mib\": {:.0}, \"rss_graph_mib\": {:.0}, \"brute_p50_ms\": {:.2}, \"brute_p99_ms\": {:.2}, \"graph_p50_ms\": {:.3}, \"graph_p99_ms\": {:.3}, \"recall_at_50\": {recall:.4}}}",
                    match (&bases, noise) {
                        (None, _) => "random",
                        (Some(_), Noise::Isotropic) => "medquad+isotropic",
                        (Some(_), Noise::Mixed) => "medquad+mixed",
                    },
                    format.as_str(),
                    file_bytes as f64 / (1 << 20) as f64,
                    set_mib,
                    resident_mib() - set_mib,
                    percentile(&mut brute, 0.5),
                    percentile(&mut brute, 0.99),
                    percentile(&mut times, 0.5),
                    percentile(&mut times, 0.99),
                );
            }
        }
    }
    Ok(())
}
