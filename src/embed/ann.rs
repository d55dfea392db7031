//! Approximate nearest neighbours: an HNSW graph over one segment's passage vectors,
//! stored beside the segment, so that a query visits a few thousand vectors instead of
//! every one ([`super::vectors::VectorSet::nearest`] uses it where it exists).
//!
//! The graph is USearch's (the `usearch` crate, maintained by Unum). It was chosen over
//! the pure-Rust HNSW crates because it walks the graph with a filter callback (deleted
//! passages and category or facet filters are skipped during the search instead of by
//! over-fetching), serves a saved graph straight from a memory map, and stores its
//! vectors as i8; `hnsw_rs` ties a loaded graph's lifetime to its loader and loads every
//! vector into memory, and `instant-distance` has no filter and saves through serde
//! only. The price: USearch is C++ (built by the crate with the system's compiler).
//!
//! **Layout.** A Tantivy segment never changes once written (a merge writes a new one,
//! a delete only marks documents dead), so a graph built for a segment stays valid for
//! the segment's life. Each segment holding at least [`DEFAULT_MIN_VECTORS`] vectors
//! (see [`min_vectors`]) gets `k2search-ann-SEGMENT.usearch`, built by [`sync`] after
//! each index run's commit and merges, and removed once its segment is gone. Smaller
//! segments (an incremental update's) are searched by brute force. Graph nodes are
//! keyed by document id; documents deleted since the graph was built are filtered out
//! as the graph is walked.
//!
//! **Safety.** A graph file is written and checked as every file beside a segment is
//! ([`super::segment_files`]): its footer and hash are checked before USearch sees the
//! bytes, and a missing, partial or corrupt file leaves its segment to brute force,
//! never an unusable index.

use std::fs;
use std::path::Path;

use memmap2::Mmap;
use tantivy::DocId;
use usearch::{IndexOptions, MetricKind, ScalarKind};

use super::segment_files::{self, GRAPH};

/// Segments with fewer vectors are searched by brute force. Measured (BENCHMARKS.md,
/// "Approximate nearest neighbours"): below this brute force costs a few milliseconds,
/// and exact scores keep ranking the same as without a graph.
pub const DEFAULT_MIN_VECTORS: usize = 50_000;

/// Overrides [`DEFAULT_MIN_VECTORS`] for index runs (tests force the graph on small
/// corpora with it).
pub const MIN_VECTORS_ENV: &str = "K2SEARCH_ANN_MIN_VECTORS";

/// Neighbours kept per node (USearch's default).
const CONNECTIVITY: usize = 16;
/// Candidates considered while inserting a node.
const EXPANSION_ADD: usize = 64;
/// Candidates considered while searching. Measured (BENCHMARKS.md): recall@50 0.96 at
/// 1M copies of MedQuAD vectors mixed from real ones, p50 3.0 ms on a quiet 2-core
/// AVX-512 machine (0.997 at 100k), but 0.52 at 1M
/// copies with noise in every dimension (the hard case), 0.95 on 16k random vectors.
pub const EXPANSION_SEARCH: usize = 1024;

/// Searches one graph serves at once (USearch keeps a context per searching thread;
/// a search finding none free fails, and its segment is then scored by brute force).
const SEARCH_THREADS: usize = 64;

/// The vector count above which index runs build a graph: [`MIN_VECTORS_ENV`] when set
/// to a number, else [`DEFAULT_MIN_VECTORS`].
pub fn min_vectors() -> usize {
    std::env::var(MIN_VECTORS_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_MIN_VECTORS)
}

/// The graph file of the segment `segment` (its id as Tantivy names its files).
pub fn file_name(segment: &str) -> String {
    GRAPH.file_name(segment)
}

/// The segment id a graph file (or its temporary file) belongs to.
pub fn segment_of(name: &str) -> Option<&str> {
    GRAPH.segment_of(name)
}

/// An HNSW graph of one segment's vectors, built in memory or mapped from its file.
pub struct Graph {
    /// Declared before `map`: the index views the map's bytes and is dropped first.
    index: usearch::Index,
    /// The file's bytes when the graph was opened from one.
    _map: Option<Mmap>,
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Graph")
            .field("rows", &self.index.size())
            .field("dim", &self.index.dimensions())
            .finish()
    }
}

/// The unit-scale i8 form of a vector the graph stores: the largest component maps to
/// ±127 (cosine ignores the scale), as [`super::VectorFormat::I8`] stores it.
pub fn quantize(v: &[f32]) -> Vec<i8> {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    let scale = if max > 0.0 { 127.0 / max } else { 1.0 };
    v.iter().map(|x| (x * scale).round() as i8).collect()
}

fn options(dim: usize) -> IndexOptions {
    IndexOptions {
        dimensions: dim,
        metric: MetricKind::Cos,
        quantization: ScalarKind::I8,
        connectivity: CONNECTIVITY,
        expansion_add: EXPANSION_ADD,
        expansion_search: EXPANSION_SEARCH,
        multi: false,
    }
}

impl Graph {
    /// Builds the graph of `docs`, whose i8 rows (`dim` values each, see [`quantize`])
    /// are `rows`, inserting on `threads` threads.
    pub fn build(dim: usize, docs: &[DocId], rows: &[i8], threads: usize) -> Result<Graph, String> {
        if dim == 0 || rows.len() != docs.len() * dim {
            return Err(format!(
                "{} values for {} rows of {dim} dimensions",
                rows.len(),
                docs.len()
            ));
        }
        let index = usearch::Index::new(&options(dim)).map_err(|e| e.to_string())?;
        let threads = threads.max(1);
        index
            .reserve_capacity_and_threads(docs.len(), threads)
            .map_err(|e| e.to_string())?;
        let failed = std::sync::Mutex::new(None);
        std::thread::scope(|scope| {
            for t in 0..threads {
                let (index, failed) = (&index, &failed);
                scope.spawn(move || {
                    for i in (t..docs.len()).step_by(threads) {
                        let row = &rows[i * dim..(i + 1) * dim];
                        if let Err(e) = index.add(u64::from(docs[i]), row) {
                            *failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
                            return;
                        }
                    }
                });
            }
        });
        match failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(e) => Err(e),
            None => Ok(Graph { index, _map: None }),
        }
    }

    /// Sets the candidates a search considers (default [`EXPANSION_SEARCH`]): more is
    /// slower and finds more of the true nearest. For benchmarks.
    pub fn set_expansion(&self, candidates: usize) {
        self.index.change_expansion_search(candidates);
    }

    /// Vectors in the graph.
    pub fn len(&self) -> usize {
        self.index.size()
    }

    /// Whether the graph holds no vector.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The (up to) `count` documents nearest `query` (an i8 row, see [`quantize`]) that
    /// `keep` accepts, nearest first.
    pub fn search(&self, query: &[i8], count: usize, keep: impl Fn(DocId) -> bool) -> Vec<DocId> {
        let found = self
            .index
            .filtered_search(query, count, |key| DocId::try_from(key).is_ok_and(&keep));
        found.map_or_else(
            |_| Vec::new(),
            |m| {
                m.keys
                    .iter()
                    .filter_map(|&k| DocId::try_from(k).ok())
                    .collect()
            },
        )
    }

    /// The bytes of the graph's file: USearch's serialization and the footer.
    fn to_bytes(&self) -> Result<Vec<u8>, String> {
        let len = self.index.serialized_length();
        let mut bytes = vec![0u8; len];
        self.index
            .save_to_buffer(&mut bytes)
            .map_err(|e| e.to_string())?;
        Ok(GRAPH.seal(bytes, self.index.size(), self.index.dimensions()))
    }

    /// Writes the graph to `path` (see [`segment_files::write`]). Returns the bytes
    /// written.
    pub fn write(&self, path: &Path) -> Result<u64, String> {
        segment_files::write(path, &self.to_bytes()?)
    }

    /// Maps the graph file at `path`, checking its footer and hash, for vectors of `dim`
    /// dimensions. An error says what is wrong with the file.
    pub fn open(path: &Path, dim: usize) -> Result<Graph, String> {
        let file = fs::File::open(path).map_err(|e| e.to_string())?;
        // SAFETY: graph files are written under a temporary name and renamed, never
        // changed in place; one removed while mapped stays readable until unmapped.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| e.to_string())?;
        let (body, _) = GRAPH.unseal(&map, dim)?;
        let index = usearch::Index::new(&options(dim)).map_err(|e| e.to_string())?;
        // SAFETY: the map outlives the index: both live in the returned Graph, whose
        // `index` field is dropped before `_map`.
        unsafe { index.view_from_buffer(body) }.map_err(|e| e.to_string())?;
        if index.dimensions() != dim {
            return Err(format!(
                "it holds vectors of {} dimensions",
                index.dimensions()
            ));
        }
        index.change_expansion_search(EXPANSION_SEARCH);
        index
            .reserve_capacity_and_threads(index.size(), SEARCH_THREADS)
            .map_err(|e| e.to_string())?;
        Ok(Graph {
            index,
            _map: Some(map),
        })
    }
}

/// What [`sync`] did to the graph files of an index.
#[derive(Debug, Default)]
pub struct SyncReport {
    /// Graphs built, one per segment.
    pub built: usize,
    /// Graph files removed (their segment is gone, or they were unreadable).
    pub removed: usize,
    /// Problems, each a sentence naming the file.
    pub warnings: Vec<String>,
}

/// Brings the graph files in `dir` in step with `searcher`'s segments: builds the
/// graph of each segment with at least `min` vectors that has no readable one, and
/// removes the files of segments that are gone. `rows_of` gives a segment's live
/// documents and their i8 rows. Failing to build is a warning: the segment is then
/// searched by brute force.
pub fn sync(
    searcher: &tantivy::Searcher,
    dir: &Path,
    dim: usize,
    min: usize,
    threads: usize,
    rows_of: impl Fn(&tantivy::SegmentReader) -> (Vec<DocId>, Vec<i8>),
) -> SyncReport {
    let mut report = SyncReport::default();
    let live: std::collections::HashSet<String> = searcher
        .segment_readers()
        .iter()
        .map(|s| s.segment_id().uuid_string())
        .collect();
    report.removed += segment_files::remove(dir, |segment| !live.contains(segment));
    for segment in searcher.segment_readers() {
        let id = segment.segment_id().uuid_string();
        let path = dir.join(file_name(&id));
        if path.is_file() {
            match Graph::open(&path, dim) {
                Ok(_) => continue,
                Err(e) => {
                    report.warnings.push(format!(
                        "graph file {} is unreadable ({e}); building it again",
                        path.display()
                    ));
                    let _ = fs::remove_file(&path);
                    report.removed += 1;
                }
            }
        }
        if (segment.num_docs() as usize) < min {
            continue;
        }
        let (docs, rows) = rows_of(segment);
        if docs.len() < min {
            continue;
        }
        let built = Graph::build(dim, &docs, &rows, threads).and_then(|g| g.write(&path));
        match built {
            Ok(_) => report.built += 1,
            Err(e) => report.warnings.push(format!(
                "cannot write graph file {} ({e}); its {} passages are searched by brute force",
                path.display(),
                docs.len()
            )),
        }
    }
    report
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Random unit vectors from a fixed seed (xorshift), clustered a little as real
    /// embeddings are: each is a perturbed copy of one of 32 centres.
    pub(crate) fn vectors(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut s = seed | 1;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % 20_001) as f32 / 10_000.0 - 1.0
        };
        let mut centres = vec![vec![0f32; dim]; 32];
        centres.iter_mut().flatten().for_each(|x| *x = next());
        (0..n)
            .map(|i| {
                let c = &centres[i % centres.len()];
                let mut v: Vec<f32> = c.iter().map(|x| x + 0.5 * next()).collect();
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                v.iter_mut().for_each(|x| *x /= norm);
                v
            })
            .collect()
    }

    fn exact(rows: &[Vec<f32>], q: &[f32], k: usize, keep: impl Fn(DocId) -> bool) -> Vec<DocId> {
        let mut scored: Vec<(f32, DocId)> = rows
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i as DocId))
            .map(|(i, r)| (r.iter().zip(q).map(|(a, b)| a * b).sum(), i as DocId))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.into_iter().take(k).map(|s| s.1).collect()
    }

    fn build(rows: &[Vec<f32>]) -> Graph {
        let docs: Vec<DocId> = (0..rows.len() as DocId).collect();
        let flat: Vec<i8> = rows.iter().flat_map(|r| quantize(r)).collect();
        Graph::build(rows[0].len(), &docs, &flat, 2).unwrap()
    }

    /// Recall@k of the graph's candidates (half as many again as wanted, as
    /// [`super::super::vectors::VectorSet::nearest`] asks for) against brute force.
    fn recall(
        graph: &Graph,
        rows: &[Vec<f32>],
        queries: &[Vec<f32>],
        k: usize,
        keep: impl Fn(DocId) -> bool + Copy,
    ) -> f64 {
        let mut hit = 0;
        for q in queries {
            let truth = exact(rows, q, k, keep);
            let found = graph.search(&quantize(q), k + k / 2, keep);
            assert!(
                found.iter().all(|&d| keep(d)),
                "a filtered document came back"
            );
            hit += truth.iter().filter(|d| found.contains(d)).count();
        }
        hit as f64 / (queries.len() * k) as f64
    }

    #[test]
    fn graph_finds_the_exact_nearest_fifty() {
        let rows = vectors(5_000, 32, 7);
        let queries = vectors(20, 32, 99);
        let graph = build(&rows);
        assert_eq!(graph.len(), rows.len());
        let all = recall(&graph, &rows, &queries, 50, |_| true);
        assert!(all >= 0.95, "recall@50 {all}");
        // A filter that drops two documents in three (deleted passages, a category).
        let some = recall(&graph, &rows, &queries, 50, |d| d % 3 == 0);
        assert!(some >= 0.95, "filtered recall@50 {some}");
    }

    #[test]
    fn a_written_graph_opens_and_a_damaged_one_does_not() {
        let rows = vectors(500, 32, 3);
        let graph = build(&rows);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(file_name("0123abcd"));
        graph.write(&path).unwrap();
        assert!(!dir.path().join(format!("{}.tmp", path.display())).exists());
        let opened = Graph::open(&path, 32).unwrap();
        let q = quantize(&rows[42]);
        assert_eq!(opened.search(&q, 1, |_| true), vec![42]);
        assert_eq!(
            opened.search(&q, 5, |_| true),
            graph.search(&q, 5, |_| true)
        );

        // Searched from many threads at once, as a server does.
        std::thread::scope(|scope| {
            for t in 0..16 {
                let (opened, rows) = (&opened, &rows);
                scope.spawn(move || {
                    for i in 0..50 {
                        let doc = (t * 31 + i * 7) % rows.len();
                        let found = opened.search(&quantize(&rows[doc]), 10, |_| true);
                        assert_eq!(found.len(), 10);
                    }
                });
            }
        });

        assert!(Graph::open(&path, 64).unwrap_err().contains("dimensions"));
        let mut bytes = fs::read(&path).unwrap();
        bytes[100] ^= 0xff;
        fs::write(&path, &bytes).unwrap();
        assert!(Graph::open(&path, 32).unwrap_err().contains("hash"));
        fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(Graph::open(&path, 32).is_err());
        fs::write(&path, b"").unwrap();
        assert!(Graph::open(&path, 32).is_err());
    }
}
