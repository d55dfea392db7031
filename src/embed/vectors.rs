//! Passage vectors in the index, and nearest-neighbour search over them.
//!
//! Each passage's vector is a bytes fast field of its index document (`vector`), so it
//! is written in the same atomic Tantivy commit as the passage, deleted with it and
//! merged with it. A search loads every segment's vectors into memory once per index
//! generation ([`VectorSet::load`]); a process that searches once reads the windows'
//! vectors of only the passages it scores ([`Windows::OnDemand`]).
//!
//! Tantivy keeps a bytes column dictionary-encoded, in zstd blocks: reading every
//! vector back means decompressing all of them (about 35 ms for MedQuAD's 16k int8
//! vectors, most of a cold CLI query). So after each commit an index run also writes
//! each segment's vectors as plain rows to a file beside it ([`write_files`],
//! `k2search-vectors-SEGMENT.bin`, see [`super::segment_files`]), and loading reads
//! that file where it is sound; a segment without one (a crash between the commit and
//! the file, a damaged file) is read from the column, as before.
//!
//! A segment with an HNSW graph file
//! ([`super::ann`]) is searched through its graph, and the candidates it gives are
//! scored exactly; any other segment (small ones, or one whose graph file is missing
//! or damaged) is scored whole, one dot product per vector.

use std::collections::HashMap;

use std::collections::BinaryHeap;
use std::path::Path;

use memmap2::Mmap;
use serde::{Deserialize, Serialize};
use tantivy::{DocAddress, DocId};

use super::ann::{self, Graph};
use super::segment_files::{self, VECTORS};

/// The fast field holding a passage's vector.
pub const VECTOR_FIELD: &str = "vector";
/// The fast field holding the hash of the text a vector was made from.
pub const KEY_FIELD: &str = "vector_key";
/// The fast field holding the vectors of a passage's windows ([`super::Windows`]), one
/// after the other.
pub const WINDOWS_FIELD: &str = "vector_windows";

/// What an index stores of a passage's embeddings, as bytes of its [`VectorFormat`].
#[derive(Debug, Clone, Default)]
pub struct Stored {
    /// The vector of the passage's start.
    pub vector: Vec<u8>,
    /// The vectors of its windows past the start, one after the other (empty: none).
    pub windows: Vec<u8>,
}

/// Where a [`VectorSet`] holds the vectors of the passages' windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Windows {
    /// Read into memory with the passages' vectors: for a process that searches many
    /// times (a server, the library, `eval`).
    InMemory,
    /// Read from the index when a passage's windows are scored: for a process that
    /// searches once, where reading every window (Tantivy decompresses the column's
    /// dictionary block by block) costs far more than the few passages it scores.
    OnDemand,
}

/// How a vector is stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VectorFormat {
    /// 4 bytes per dimension.
    #[default]
    F32,
    /// 1 byte per dimension and a 4-byte scale per vector.
    I8,
}

impl VectorFormat {
    /// Parses `f32` or `i8`.
    pub fn parse(s: &str) -> Option<VectorFormat> {
        match s {
            "f32" => Some(VectorFormat::F32),
            "i8" => Some(VectorFormat::I8),
            _ => None,
        }
    }

    /// The name [`VectorFormat::parse`] reads.
    pub fn as_str(self) -> &'static str {
        match self {
            VectorFormat::F32 => "f32",
            VectorFormat::I8 => "i8",
        }
    }

    /// The bytes stored for a vector.
    pub fn encode(self, v: &[f32]) -> Vec<u8> {
        match self {
            VectorFormat::F32 => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            VectorFormat::I8 => {
                let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
                let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
                let mut out = Vec::with_capacity(4 + v.len());
                out.extend_from_slice(&scale.to_le_bytes());
                out.extend(v.iter().map(|x| (x / scale).round() as i8 as u8));
                out
            }
        }
    }

    /// Bytes of one stored vector of `dim` dimensions.
    fn stored_len(self, dim: usize) -> usize {
        match self {
            VectorFormat::F32 => dim * 4,
            VectorFormat::I8 => 4 + dim,
        }
    }
}

/// The vectors of the passages of one index generation, in memory.
#[derive(Debug, Default)]
pub struct VectorSet {
    dim: usize,
    format: VectorFormat,
    segments: Vec<SegmentVectors>,
    /// Files beside the segments (graphs, vector rows) that exist but could not be
    /// used, each a sentence naming the file.
    file_problems: Vec<String>,
}

/// One segment's vectors: one row per live document that has one.
#[derive(Debug, Default)]
struct SegmentVectors {
    /// Document of each row.
    docs: Vec<DocId>,
    /// Row of each document (`u32::MAX`: none).
    row_of: Vec<u32>,
    /// The passages' vectors.
    rows: Rows,
    /// The vectors of the passages' windows, those of row `r` from
    /// `window_start[r]` to `window_start[r + 1]` (both empty until a row has windows:
    /// the index may have none, or they are read on demand from `window_column`).
    windows: Rows,
    window_start: Vec<u32>,
    /// The index's column of window vectors, when they are read on demand.
    window_column: Option<tantivy::columnar::BytesColumn>,
    /// The segment's HNSW graph, when it has one.
    graph: Option<Graph>,
}

/// Vectors of one [`VectorFormat`], `dim` values each, one after the other.
#[derive(Debug, Default)]
struct Rows {
    /// f32 rows (format f32).
    f32s: Vec<f32>,
    /// i8 rows (format i8), with a scale per row.
    i8s: Vec<i8>,
    scales: Vec<f32>,
}

/// A query's similarities to the vectors of a [`VectorSet`]: computed for every vector
/// of a segment searched by brute force, left to the graph otherwise.
#[derive(Debug, Default)]
pub struct Similarities {
    /// One score per row, by segment (`None`: the segment is searched by its graph).
    by_segment: Vec<Option<Vec<f32>>>,
    query: Vec<f32>,
    /// The query as the graphs store vectors (empty when no segment has a graph).
    query_i8: Vec<i8>,
}

/// Segments with fewer rows are scored on one thread: below this, a second thread
/// costs about what it saves.
const HALVES_FROM: usize = 4096;

/// Candidates asked of a graph per passage wanted: the graph ranks by i8 vectors, so
/// a few more candidates, scored exactly, make up for its rounding (measured in
/// BENCHMARKS.md, "Approximate nearest neighbours").
const GRAPH_CANDIDATES: f32 = 1.5;

impl VectorSet {
    /// Reads the vectors of every live document of `searcher`'s segments (from their
    /// vector files in `dir`, the index folder, where sound), and maps the graph files
    /// of those that have one there (`dir` `None`: everything from the index, brute
    /// force everywhere), the windows' vectors held as `windows` says. A file that
    /// cannot be used is noted ([`VectorSet::file_problems`]) and its segment read from
    /// the index, or searched by brute force.
    pub fn load(
        searcher: &tantivy::Searcher,
        dim: usize,
        format: VectorFormat,
        dir: Option<&Path>,
        windows: Windows,
    ) -> VectorSet {
        let mut file_problems = Vec::new();
        let segments = searcher
            .segment_readers()
            .iter()
            .map(|segment| {
                let rows = dir.and_then(|dir| {
                    read_file(dir, segment, dim, format)
                        .map_err(|problem| file_problems.push(problem))
                        .ok()
                        .flatten()
                });
                let mut vectors = load_segment(segment, dim, format, windows, rows.as_ref());
                let path =
                    dir.map(|dir| dir.join(ann::file_name(&segment.segment_id().uuid_string())));
                if let Some(path) = path.filter(|p| p.is_file()) {
                    match Graph::open(&path, dim) {
                        Ok(graph) => vectors.graph = Some(graph),
                        Err(e) => file_problems.push(format!(
                            "graph file {} is unusable ({e}); its segment is searched by brute force",
                            path.display()
                        )),
                    }
                }
                vectors
            })
            .collect();
        VectorSet {
            dim,
            format,
            segments,
            file_problems,
        }
    }

    /// Files beside the segments that exist but could not be used (their segments are
    /// read from the index, or searched by brute force), each a sentence naming the
    /// file.
    pub fn file_problems(&self) -> &[String] {
        &self.file_problems
    }

    /// Segments searched through a graph.
    pub fn graphs(&self) -> usize {
        self.segments.iter().filter(|s| s.graph.is_some()).count()
    }

    /// Searches segment `ord` through `graph` (built from that segment's rows, keyed
    /// by document): for benchmarks and tests, where index runs write graph files
    /// ([`ann::sync`]) that [`VectorSet::load`] maps.
    pub fn attach_graph(&mut self, ord: usize, graph: Graph) {
        if let Some(segment) = self.segments.get_mut(ord) {
            segment.graph = Some(graph);
        }
    }

    /// A set of vectors given as rows (unit vectors of `dim` values), as one segment
    /// whose documents are numbered in row order: for benchmarks and tests.
    pub fn from_rows(dim: usize, format: VectorFormat, rows: &[Vec<f32>]) -> VectorSet {
        let mut segment = SegmentVectors::default();
        for (doc, row) in rows.iter().enumerate() {
            segment.push(doc as DocId, &format.encode(row), &[], dim, format);
        }
        VectorSet {
            dim,
            format,
            segments: vec![segment],
            file_problems: Vec::new(),
        }
    }

    /// Vectors held.
    pub fn len(&self) -> usize {
        self.segments.iter().map(|s| s.docs.len()).sum()
    }

    /// Whether no passage has a vector.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The query's similarities (`query`: a unit vector): scored against every vector
    /// of the segments without a graph, left to [`VectorSet::nearest`] for the others.
    pub fn similarities(&self, query: &[f32]) -> Similarities {
        self.score(query, false, false)
    }

    /// [`VectorSet::similarities`], the rows of a big segment scored in two halves, one
    /// on a thread of its own (for a search that has a core to spare): brute force
    /// over MedQuAD's 16k vectors takes about 1.5 ms.
    pub fn similarities_in_halves(&self, query: &[f32]) -> Similarities {
        self.score(query, false, true)
    }

    /// The query's similarity to every vector, graphs or not: brute force, the
    /// reference the graphs are measured against.
    pub fn exact_similarities(&self, query: &[f32]) -> Similarities {
        self.score(query, true, false)
    }

    fn score(&self, query: &[f32], exact: bool, halves: bool) -> Similarities {
        let by_segment: Vec<Option<Vec<f32>>> = self
            .segments
            .iter()
            .map(|s| {
                (exact || s.graph.is_none()).then(|| s.scores(query, self.dim, self.format, halves))
            })
            .collect();
        let query_i8 = if by_segment.iter().any(Option::is_none) {
            ann::quantize(query)
        } else {
            Vec::new()
        };
        Similarities {
            by_segment,
            query: query.to_vec(),
            query_i8,
        }
    }

    /// The `k` passages most similar to the query that `keep` accepts, best first.
    /// Segments with a graph give their candidates from it (approximate: see
    /// [`ann::EXPANSION_SEARCH`] for the recall measured), scored exactly; a filter that leaves the graph fewer than `k` candidates
    /// falls back to scoring the segment whole.
    pub fn nearest(
        &self,
        sims: &Similarities,
        k: usize,
        keep: impl Fn(DocAddress) -> bool,
    ) -> Vec<(f32, DocAddress)> {
        let mut heap = BinaryHeap::with_capacity(k + 1);
        for (ord, (segment, scores)) in self.segments.iter().zip(&sims.by_segment).enumerate() {
            let address = |doc| DocAddress::new(ord as u32, doc);
            if let (None, Some(graph)) = (scores, &segment.graph) {
                let wanted = ((k as f32 * GRAPH_CANDIDATES).ceil() as usize).max(k);
                let found = graph.search(&sims.query_i8, wanted, |doc| {
                    segment.row(doc).is_some() && keep(address(doc))
                });
                if found.len() >= k.min(segment.docs.len()) {
                    for doc in found {
                        if let Some(row) = segment.row(doc) {
                            let score = segment.score(row, &sims.query, self.dim, self.format);
                            push(&mut heap, k, score, address(doc));
                        }
                    }
                    continue;
                }
            }
            let computed;
            let scores = match scores {
                Some(scores) => scores,
                None => {
                    computed = segment.scores(&sims.query, self.dim, self.format, false);
                    &computed
                }
            };
            for (&doc, &score) in segment.docs.iter().zip(scores) {
                let full = heap.len() >= k;
                if full && heap.peek().is_some_and(|m: &MinScored| score <= m.0) {
                    continue;
                }
                if keep(address(doc)) {
                    push(&mut heap, k, score, address(doc));
                }
            }
        }
        let mut out: Vec<(f32, DocAddress)> = heap.into_iter().map(|m| (m.0, m.1)).collect();
        out.sort_by(|a, b| b.0.total_cmp(&a.0));
        out
    }

    /// The best similarity of one passage's windows past its start (`None` when it
    /// has no windows: a short passage, or an index that embeds none).
    pub fn best_window(&self, sims: &Similarities, address: DocAddress) -> Option<f32> {
        let segment = self.segments.get(address.segment_ord as usize)?;
        let row = segment.row(address.doc_id)?;
        segment.best_window(row, &sims.query, self.dim, self.format)
    }

    /// The similarity of one passage (None when it has no vector).
    pub fn similarity(&self, sims: &Similarities, address: DocAddress) -> Option<f32> {
        let segment = self.segments.get(address.segment_ord as usize)?;
        let row = segment.row(address.doc_id)?;
        match sims.by_segment.get(address.segment_ord as usize)? {
            Some(scores) => scores.get(row).copied(),
            None => Some(segment.score(row, &sims.query, self.dim, self.format)),
        }
    }
}

/// Keeps `address` among the best `k` of `heap`.
fn push(heap: &mut BinaryHeap<MinScored>, k: usize, score: f32, address: DocAddress) {
    if heap.len() >= k && heap.peek().is_some_and(|m| score <= m.0) {
        return;
    }
    heap.push(MinScored(score, address));
    if heap.len() > k {
        heap.pop();
    }
}

/// A score ordered so that a max-heap keeps the lowest on top.
struct MinScored(f32, DocAddress);

impl PartialEq for MinScored {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl Eq for MinScored {}
impl PartialOrd for MinScored {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for MinScored {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.0.total_cmp(&self.0)
    }
}

/// Reads one segment's vectors: from `file` (its vector file, see [`write_files`])
/// when given, else from the index's column.
fn load_segment(
    segment: &tantivy::SegmentReader,
    dim: usize,
    format: VectorFormat,
    on: Windows,
    file: Option<&FileRows>,
) -> SegmentVectors {
    let mut out = SegmentVectors {
        row_of: vec![u32::MAX; segment.max_doc() as usize],
        ..SegmentVectors::default()
    };
    let fast = segment.fast_fields();
    let len = format.stored_len(dim);
    let (column, values);
    let vectors: Box<dyn Iterator<Item = (DocId, &[u8])>> = match file {
        Some(file) => {
            let alive = segment.alive_bitset();
            Box::new(
                file.iter()
                    .filter(move |(doc, _)| alive.is_none_or(|a| a.is_alive(*doc))),
            )
        }
        None => {
            let Ok(Some(c)) = fast.bytes(VECTOR_FIELD) else {
                return out;
            };
            column = c;
            values = distinct_values(&column, |n| n == len);
            Box::new(
                segment
                    .doc_ids_alive()
                    .filter_map(|doc| Some((doc, value_of(&column, &values, doc)?))),
            )
        }
    };
    let mut windows = fast.bytes(WINDOWS_FIELD).ok().flatten();
    if on == Windows::OnDemand {
        out.window_column = windows.take();
    }
    let window_values = windows
        .as_ref()
        .map_or_else(Vec::new, |c| distinct_values(c, |n| n % len == 0));
    for (doc, bytes) in vectors {
        let windows = windows
            .as_ref()
            .and_then(|c| value_of(c, &window_values, doc))
            .unwrap_or_default();
        out.push(doc, bytes, windows, dim, format);
    }
    out
}

/// The vectors of a segment's vector file: `rows` stored vectors of `len` bytes, then
/// the document of each (a little-endian u32), in document order. Written for the
/// documents alive then (a deleted document never comes back).
struct FileRows {
    /// The file, mapped (its body is the first `rows · (len + 4)` bytes).
    map: Mmap,
    rows: usize,
    len: usize,
}

impl FileRows {
    /// The vectors of the first `body` bytes of `map`, when they hold `rows` vectors of
    /// `len` bytes of documents in order below `max_doc`; else what is wrong.
    fn parse(
        map: Mmap,
        body: usize,
        rows: usize,
        len: usize,
        max_doc: DocId,
    ) -> Result<FileRows, String> {
        if body != rows * (len + 4) {
            return Err(format!(
                "it holds {body} bytes, not {rows} rows of {len} bytes and their documents"
            ));
        }
        let file = FileRows { map, rows, len };
        let mut last = None;
        for doc in file.docs() {
            if doc >= max_doc || last.is_some_and(|l| doc <= l) {
                return Err(format!("it names document {doc} out of order or range"));
            }
            last = Some(doc);
        }
        Ok(file)
    }

    fn docs(&self) -> impl Iterator<Item = DocId> + '_ {
        self.map[self.rows * self.len..self.rows * (self.len + 4)]
            .chunks_exact(4)
            .map(|b| DocId::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Each document and its stored vector.
    fn iter(&self) -> impl Iterator<Item = (DocId, &[u8])> {
        self.docs()
            .zip(self.map[..self.rows * self.len].chunks_exact(self.len))
    }
}

/// The vector file's body for `segment`'s live documents and their vectors, as its
/// column holds them, and the count of rows (`None`: the segment has no vectors).
fn file_body(segment: &tantivy::SegmentReader, len: usize) -> Option<(Vec<u8>, usize)> {
    let column = segment.fast_fields().bytes(VECTOR_FIELD).ok().flatten()?;
    let values = distinct_values(&column, |n| n == len);
    let (mut body, mut docs) = (Vec::new(), Vec::new());
    for doc in segment.doc_ids_alive() {
        if let Some(value) = value_of(&column, &values, doc) {
            body.extend_from_slice(value);
            docs.push(doc);
        }
    }
    docs.iter()
        .for_each(|d| body.extend_from_slice(&d.to_le_bytes()));
    Some((body, docs.len()))
}

/// The body of `segment`'s vector file in `dir` (`Ok(None)`: it has none; `Err`: it
/// has one that cannot be used, in a sentence naming it).
fn read_file(
    dir: &Path,
    segment: &tantivy::SegmentReader,
    dim: usize,
    format: VectorFormat,
) -> Result<Option<FileRows>, String> {
    let path = dir.join(VECTORS.file_name(&segment.segment_id().uuid_string()));
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unusable(&path, &e.to_string())),
    };
    // SAFETY: vector files are written under a temporary name and renamed, never
    // changed in place; one removed while mapped stays readable until unmapped.
    let map = unsafe { Mmap::map(&file) }.map_err(|e| unusable(&path, &e.to_string()))?;
    let (body, rows) = VECTORS
        .unseal(&map, dim)
        .map(|(body, rows)| (body.len(), rows))
        .map_err(|e| unusable(&path, &e))?;
    FileRows::parse(map, body, rows, format.stored_len(dim), segment.max_doc())
        .map(Some)
        .map_err(|e| unusable(&path, &e))
}

fn unusable(path: &Path, problem: &str) -> String {
    format!(
        "vector file {} is unusable ({problem}); its vectors are read from the index",
        path.display()
    )
}

/// Writes the vector file of each of `searcher`'s segments that has vectors and no
/// sound file in `dir` (a file that is not sound is written again). Returns the
/// problems, each a sentence naming the file: a segment whose file cannot be written
/// is read from the index's column.
pub fn write_files(
    searcher: &tantivy::Searcher,
    dir: &Path,
    dim: usize,
    format: VectorFormat,
) -> Vec<String> {
    let mut problems = Vec::new();
    for segment in searcher.segment_readers() {
        let path = dir.join(VECTORS.file_name(&segment.segment_id().uuid_string()));
        match read_file(dir, segment, dim, format) {
            Ok(Some(_)) => continue,
            Ok(None) => {}
            Err(problem) => problems.push(format!("{problem}; writing it again")),
        }
        let Some((body, rows)) = file_body(segment, format.stored_len(dim)) else {
            continue;
        };
        let sealed = VECTORS.seal(body, rows, dim);
        if let Err(e) = segment_files::write(&path, &sealed) {
            problems.push(format!(
                "cannot write vector file {} ({e}); its vectors are read from the index",
                path.display()
            ));
        }
    }
    problems
}

/// The best similarity of `query` to the windows of document `doc`, read from the
/// column of window vectors (`None`: it has none, or they cannot be read).
fn window_on_demand(
    column: &tantivy::columnar::BytesColumn,
    doc: DocId,
    query: &[f32],
    dim: usize,
    format: VectorFormat,
) -> Option<f32> {
    let bytes = stored_bytes(column, doc)?;
    let len = format.stored_len(dim);
    if bytes.len() % len != 0 {
        return None;
    }
    let mut rows = Rows::default();
    bytes.chunks_exact(len).for_each(|w| rows.push(w, format));
    (0..bytes.len() / len)
        .map(|w| rows.score(w, query, dim, format))
        .reduce(f32::max)
}

/// The value document `doc` has in a bytes column whose distinct values were read
/// ([`distinct_values`]) into `values`.
fn value_of<'a>(
    column: &tantivy::columnar::BytesColumn,
    values: &'a [Option<Vec<u8>>],
    doc: DocId,
) -> Option<&'a [u8]> {
    let ord = column.ords().first(doc)?;
    values.get(ord as usize)?.as_deref()
}

/// The value document `doc` stores in a bytes column (`None`: none, or unreadable).
fn stored_bytes(column: &tantivy::columnar::BytesColumn, doc: DocId) -> Option<Vec<u8>> {
    let ord = column.ords().first(doc)?;
    let mut bytes = Vec::new();
    column
        .ord_to_bytes(ord, &mut bytes)
        .unwrap_or(false)
        .then_some(bytes)
}

/// The distinct values of a dictionary-encoded bytes column by ordinal, each read
/// once; those of a length `fits` refuses are left out.
fn distinct_values(
    column: &tantivy::columnar::BytesColumn,
    fits: impl Fn(usize) -> bool,
) -> Vec<Option<Vec<u8>>> {
    let mut by_ord: Vec<Option<Vec<u8>>> = vec![None; column.num_terms()];
    if let Ok(mut stream) = column.dictionary().stream() {
        while stream.advance() {
            if fits(stream.key().len()) {
                if let Some(slot) = by_ord.get_mut(stream.term_ord() as usize) {
                    *slot = Some(stream.key().to_vec());
                }
            }
        }
    }
    by_ord
}

impl SegmentVectors {
    /// The row of a live document with a vector.
    fn row(&self, doc: DocId) -> Option<usize> {
        match self.row_of.get(doc as usize) {
            Some(&row) if row != u32::MAX => Some(row as usize),
            _ => None,
        }
    }

    /// The similarity of `query` to row `row`.
    fn score(&self, row: usize, query: &[f32], dim: usize, format: VectorFormat) -> f32 {
        self.rows.score(row, query, dim, format)
    }

    /// The similarity of `query` to every row; in two halves on two threads when
    /// `halves` (see [`VectorSet::similarities_in_halves`]).
    fn scores(&self, query: &[f32], dim: usize, format: VectorFormat, halves: bool) -> Vec<f32> {
        let rows = self.docs.len();
        if !halves || rows < HALVES_FROM {
            return self.rows.scores(query, dim, format, 0..rows);
        }
        let (second, mut first) = super::alongside(
            || self.rows.scores(query, dim, format, rows / 2..rows),
            || self.rows.scores(query, dim, format, 0..rows / 2),
        );
        first.extend(second);
        first
    }

    /// The best similarity of `query` to the windows of row `row` (`None`: it has
    /// none).
    fn best_window(
        &self,
        row: usize,
        query: &[f32],
        dim: usize,
        format: VectorFormat,
    ) -> Option<f32> {
        if let Some(column) = &self.window_column {
            return window_on_demand(column, self.docs[row], query, dim, format);
        }
        let (start, end) = (
            *self.window_start.get(row)?,
            *self.window_start.get(row + 1)?,
        );
        (start..end)
            .map(|w| self.windows.score(w as usize, query, dim, format))
            .reduce(f32::max)
    }

    /// Every row as the graph stores it (see [`ann::quantize`]): i8 rows as they are
    /// (their scale does not change a cosine).
    fn graph_rows(&self, dim: usize, format: VectorFormat) -> Vec<i8> {
        match format {
            VectorFormat::F32 => self
                .rows
                .f32s
                .chunks_exact(dim)
                .flat_map(ann::quantize)
                .collect(),
            VectorFormat::I8 => self.rows.i8s.clone(),
        }
    }

    /// Adds a document's vector (stored bytes of `format`) as the next row, with the
    /// vectors of its windows (`windows`: whole stored vectors, one after the other).
    fn push(&mut self, doc: DocId, bytes: &[u8], windows: &[u8], dim: usize, format: VectorFormat) {
        if self.row_of.len() <= doc as usize {
            self.row_of.resize(doc as usize + 1, u32::MAX);
        }
        let row = self.docs.len();
        self.row_of[doc as usize] = row as u32;
        self.docs.push(doc);
        self.rows.push(bytes, format);
        let windows = windows.chunks_exact(format.stored_len(dim));
        // `window_start` is left empty until a row has windows (none may: an index
        // without windows, or windows read on demand).
        if windows.len() > 0 && self.window_start.is_empty() {
            self.window_start = vec![0; row + 1];
        }
        if let Some(&start) = self.window_start.last() {
            let count = windows.len() as u32;
            windows.for_each(|window| self.windows.push(window, format));
            self.window_start.push(start + count);
        }
    }
}

impl Rows {
    /// The similarity of `query` to row `row`.
    fn score(&self, row: usize, query: &[f32], dim: usize, format: VectorFormat) -> f32 {
        let span = row * dim..(row + 1) * dim;
        match format {
            VectorFormat::F32 => dot_f32(query, &self.f32s[span]),
            VectorFormat::I8 => dot_i8(query, &self.i8s[span]) * self.scales[row],
        }
    }

    /// The similarity of `query` to each row of `rows`.
    fn scores(
        &self,
        query: &[f32],
        dim: usize,
        format: VectorFormat,
        rows: std::ops::Range<usize>,
    ) -> Vec<f32> {
        let span = rows.start * dim..rows.end * dim;
        match format {
            VectorFormat::F32 => scores_f32(query, &self.f32s[span], dim),
            VectorFormat::I8 => scores_i8(query, &self.i8s[span], &self.scales[rows], dim),
        }
    }

    /// Adds a vector (stored bytes of `format`) as the next row.
    fn push(&mut self, bytes: &[u8], format: VectorFormat) {
        match format {
            VectorFormat::F32 => self.f32s.extend(
                bytes
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            ),
            VectorFormat::I8 => {
                self.scales
                    .push(f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]));
                self.i8s.extend(bytes[4..].iter().map(|&b| b as i8));
            }
        }
    }
}

/// A segment's live documents with a vector, and their rows as a graph stores them:
/// what [`ann::sync`] builds a segment's graph from (read from its vector file in `dir`
/// where sound).
pub fn graph_rows(
    segment: &tantivy::SegmentReader,
    dir: &Path,
    dim: usize,
    format: VectorFormat,
) -> (Vec<DocId>, Vec<i8>) {
    let file = read_file(dir, segment, dim, format).ok().flatten();
    let vectors = load_segment(segment, dim, format, Windows::OnDemand, file.as_ref());
    let rows = vectors.graph_rows(dim, format);
    (vectors.docs, rows)
}

/// The vectors of the live passages of an index, by the hash of the text they were
/// made from: an index run reuses them for passages whose text did not change.
pub fn by_key(searcher: &tantivy::Searcher) -> HashMap<u64, Stored> {
    let mut out = HashMap::new();
    for segment in searcher.segment_readers() {
        let fast = segment.fast_fields();
        let (Ok(Some(column)), Ok(keys)) = (fast.bytes(VECTOR_FIELD), fast.u64(KEY_FIELD)) else {
            continue;
        };
        let windows = fast.bytes(WINDOWS_FIELD).ok().flatten();
        for doc in segment.doc_ids_alive() {
            let (Some(vector), Some(key)) = (stored_bytes(&column, doc), keys.first(doc)) else {
                continue;
            };
            out.entry(key).or_insert_with(|| Stored {
                vector,
                windows: windows
                    .as_ref()
                    .and_then(|c| stored_bytes(c, doc))
                    .unwrap_or_default(),
            });
        }
    }
    out
}

/// The key of an embedded text.
pub fn key(text: &str) -> u64 {
    let hash = blake3::hash(text.as_bytes());
    let bytes = hash.as_bytes();
    u64::from_le_bytes([
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
    ])
}

/// The dot product of `query` with each f32 row of `rows` (rows of `dim`), compiled
/// for the widest vector unit the CPU has: the brute-force scoring of every passage.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
fn scores_f32(query: &[f32], rows: &[f32], dim: usize) -> Vec<f32> {
    rows.chunks_exact(dim).map(|row| dot(query, row)).collect()
}

/// [`scores_f32`] for i8 rows, each times its scale.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
fn scores_i8(query: &[f32], rows: &[i8], scales: &[f32], dim: usize) -> Vec<f32> {
    rows.chunks_exact(dim)
        .zip(scales)
        .map(|(row, scale)| dot(query, row) * scale)
        .collect()
}

/// The dot product of `query` with one f32 row, as [`scores_f32`] computes it.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
fn dot_f32(query: &[f32], row: &[f32]) -> f32 {
    dot(query, row)
}

/// The dot product of `query` with one i8 row (before its scale).
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
fn dot_i8(query: &[f32], row: &[i8]) -> f32 {
    dot(query, row)
}

/// Dot product of a query with a stored row (f32, or i8 before its scale), in 16
/// lanes the compiler can vectorize; inlined into the functions above, it takes
/// their instruction set.
#[inline(always)]
fn dot<T: Copy + Into<f32>>(a: &[f32], b: &[T]) -> f32 {
    let mut acc = [0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(&x, &y)| x * y.into())
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..16 {
            acc[i] += x[i] * y[i].into();
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i8_keeps_cosine_within_a_percent() {
        let v: Vec<f32> = (0..384)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 300.0)
            .collect();
        let norm = dot(&v, &v).sqrt();
        let v: Vec<f32> = v.iter().map(|x| x / norm).collect();
        let bytes = VectorFormat::I8.encode(&v);
        assert_eq!(bytes.len(), VectorFormat::I8.stored_len(384));
        let scale = f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let q: Vec<i8> = bytes[4..].iter().map(|&b| b as i8).collect();
        let cos = dot(&v, &q) * scale;
        assert!((cos - 1.0).abs() < 0.01, "{cos}");
        let f = VectorFormat::F32.encode(&v);
        assert_eq!(f.len(), 384 * 4);
    }

    #[test]
    fn scores_in_halves_are_the_scores_in_one_pass() {
        let dim = 16;
        let rows = ann::tests::vectors(HALVES_FROM + 7, dim, 3);
        let query = &ann::tests::vectors(1, dim, 9)[0];
        for format in [VectorFormat::F32, VectorFormat::I8] {
            let set = VectorSet::from_rows(dim, format, &rows);
            let (one, two) = (set.similarities(query), set.similarities_in_halves(query));
            assert_eq!(one.by_segment, two.by_segment);
            assert_eq!(one.by_segment[0].as_ref().map(Vec::len), Some(rows.len()));
        }
    }

    /// A set searched through its graph finds what brute force finds, honours the
    /// filter, scores exactly, and falls back to brute force when the filter leaves the
    /// graph too few candidates.
    #[test]
    fn graph_search_agrees_with_brute_force() {
        let dim = 48;
        let rows = ann::tests::vectors(3_000, dim, 11);
        let queries = ann::tests::vectors(20, dim, 5);
        for format in [VectorFormat::F32, VectorFormat::I8] {
            let mut set = VectorSet::from_rows(dim, format, &rows);
            let docs: Vec<DocId> = (0..rows.len() as DocId).collect();
            let graph_rows = set.segments[0].graph_rows(dim, format);
            set.attach_graph(0, Graph::build(dim, &docs, &graph_rows, 2).unwrap());
            let keep = |a: DocAddress| a.doc_id % 4 != 1;
            let (mut same, mut total) = (0, 0);
            for q in &queries {
                let exact = set.exact_similarities(q);
                let approx = set.similarities(q);
                let truth = set.nearest(&exact, 20, keep);
                let found = set.nearest(&approx, 20, keep);
                assert_eq!(found.len(), 20);
                for &(score, address) in &found {
                    assert!(keep(address));
                    assert_eq!(set.similarity(&approx, address), Some(score));
                    assert_eq!(set.similarity(&exact, address), Some(score));
                }
                same += truth.iter().filter(|t| found.contains(t)).count();
                total += truth.len();
            }
            let recall = same as f64 / total as f64;
            assert!(recall >= 0.95, "{format:?} recall@20 {recall}");
            // Five documents pass: fewer than asked, so the segment is scored whole.
            let q = &queries[0];
            let few = set.nearest(&set.similarities(q), 20, |a| a.doc_id < 5);
            assert_eq!(
                few,
                set.nearest(&set.exact_similarities(q), 20, |a| a.doc_id < 5)
            );
            assert_eq!(few.len(), 5);
        }
    }

    /// One segment of 20 passages with vectors of `dim` (24) dimensions in `format`
    /// (in `dir`, else in memory): every third passage has no window, the others one
    /// or two; passage 4 is deleted. Returns the index and the deleting writer, with
    /// its `id` field.
    fn test_index(
        format: VectorFormat,
        dir: Option<&Path>,
    ) -> (tantivy::Index, tantivy::IndexWriter, tantivy::schema::Field) {
        use tantivy::schema::{Schema, FAST};
        let rows = ann::tests::vectors(60, 24, 7);
        let mut b = Schema::builder();
        let vector = b.add_bytes_field(VECTOR_FIELD, FAST);
        let windows = b.add_bytes_field(WINDOWS_FIELD, FAST);
        let id = b.add_u64_field("id", tantivy::schema::INDEXED);
        let index = match dir {
            Some(dir) => tantivy::Index::create_in_dir(dir, b.build()).unwrap(),
            None => tantivy::Index::create_in_ram(b.build()),
        };
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for (i, chunk) in rows.chunks(3).enumerate() {
            let mut doc = tantivy::TantivyDocument::default();
            doc.add_bytes(vector, &format.encode(&chunk[0]));
            // Every third passage has no window; the others one or two.
            let n = i % 3;
            let bytes: Vec<u8> = chunk[1..]
                .iter()
                .take(n)
                .flat_map(|w| format.encode(w))
                .collect();
            if !bytes.is_empty() {
                doc.add_bytes(windows, &bytes);
            }
            doc.add_u64(id, i as u64);
            writer.add_document(doc).unwrap();
        }
        writer.delete_term(tantivy::Term::from_field_u64(id, 4));
        writer.commit().unwrap();
        (index, writer, id)
    }

    /// Windows read on demand score as the windows held in memory, in every format,
    /// for passages with windows, without, and deleted.
    #[test]
    fn windows_on_demand_score_as_in_memory() {
        let dim = 24;
        let queries = ann::tests::vectors(5, dim, 13);
        for format in [VectorFormat::F32, VectorFormat::I8] {
            let (index, _, _) = test_index(format, None);
            let searcher = index.reader().unwrap().searcher();
            let held = VectorSet::load(&searcher, dim, format, None, Windows::InMemory);
            let read = VectorSet::load(&searcher, dim, format, None, Windows::OnDemand);
            assert_eq!((held.len(), read.len()), (19, 19));
            let mut with_windows = 0;
            for q in &queries {
                let (hs, rs) = (held.similarities(q), read.similarities(q));
                for doc in 0..20 {
                    let address = DocAddress::new(0, doc);
                    let best = held.best_window(&hs, address);
                    assert_eq!(best, read.best_window(&rs, address), "{format:?} doc {doc}");
                    assert_eq!(best.is_some(), doc % 3 != 0 && doc != 4);
                    with_windows += best.is_some() as usize;
                }
            }
            assert_eq!(with_windows, 5 * 12);
        }
    }

    /// Vectors read from the segments' vector files score as those read from the index,
    /// in every format; a document deleted after the file was written is left out; a
    /// damaged file is named and passed over, and written again by the next run.
    #[test]
    fn vector_files_load_as_the_index() {
        let dim = 24;
        let queries = ann::tests::vectors(5, dim, 13);
        let same = |a: &VectorSet, b: &VectorSet| {
            assert_eq!(a.len(), b.len());
            for q in &queries {
                let (sa, sb) = (a.similarities(q), b.similarities(q));
                for doc in 0..20 {
                    let address = DocAddress::new(0, doc);
                    assert_eq!(a.similarity(&sa, address), b.similarity(&sb, address));
                    assert_eq!(a.best_window(&sa, address), b.best_window(&sb, address));
                }
                assert_eq!(a.nearest(&sa, 5, |_| true), b.nearest(&sb, 5, |_| true));
            }
        };
        for format in [VectorFormat::F32, VectorFormat::I8] {
            let dir = tempfile::tempdir().unwrap();
            let (index, mut writer, id) = test_index(format, Some(dir.path()));
            let load = |searcher: &tantivy::Searcher, files: bool| {
                let files = files.then_some(dir.path());
                VectorSet::load(searcher, dim, format, files, Windows::InMemory)
            };
            let reader = index.reader().unwrap();
            assert!(write_files(&reader.searcher(), dir.path(), dim, format).is_empty());
            let segment = reader.searcher().segment_readers()[0].segment_id();
            let path = dir.path().join(VECTORS.file_name(&segment.uuid_string()));
            assert!(path.is_file());
            let from_file = load(&reader.searcher(), true);
            assert!(from_file.file_problems().is_empty());
            assert_eq!(from_file.len(), 19);
            same(&from_file, &load(&reader.searcher(), false));

            // A deletion after the file was written: the same segment, one fewer.
            writer.delete_term(tantivy::Term::from_field_u64(id, 7));
            writer.commit().unwrap();
            reader.reload().unwrap();
            let searcher = reader.searcher();
            assert_eq!(searcher.segment_readers()[0].segment_id(), segment);
            let from_file = load(&searcher, true);
            assert_eq!(from_file.len(), 18);
            let sims = from_file.similarities(&queries[0]);
            assert_eq!(from_file.similarity(&sims, DocAddress::new(0, 7)), None);
            same(&from_file, &load(&searcher, false));

            // Damaged, then cut short: named, passed over, written again.
            let mut bytes = std::fs::read(&path).unwrap();
            let third = bytes.len() / 3;
            bytes[third] ^= 0x55;
            std::fs::write(&path, &bytes).unwrap();
            let damaged = load(&searcher, true);
            assert_eq!(damaged.file_problems().len(), 1);
            assert!(damaged.file_problems()[0].contains("fails its hash"));
            same(&damaged, &load(&searcher, false));
            std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
            assert_eq!(load(&searcher, true).file_problems().len(), 1);
            let problems = write_files(&searcher, dir.path(), dim, format);
            assert!(problems[0].contains("writing it again"), "{problems:?}");
            let rewritten = load(&searcher, true);
            assert!(rewritten.file_problems().is_empty());
            same(&rewritten, &load(&searcher, false));
            // Vectors of another format: named, passed over.
            let other = match format {
                VectorFormat::F32 => VectorFormat::I8,
                VectorFormat::I8 => VectorFormat::F32,
            };
            let mixed = VectorSet::load(&searcher, dim, other, Some(dir.path()), Windows::InMemory);
            assert_eq!(mixed.file_problems().len(), 1, "{format:?}");
        }
    }

    #[test]
    fn dot_handles_lengths_off_the_lane_width() {
        let a: Vec<f32> = (0..19).map(|i| i as f32).collect();
        let expected: f32 = a.iter().map(|x| x * x).sum();
        assert_eq!(dot(&a, &a), expected);
    }
}
