//! Passage vectors in the index, and brute-force nearest-neighbour search over them.
//!
//! Each passage's vector is a bytes fast field of its index document (`vector`), so it
//! is written in the same atomic Tantivy commit as the passage, deleted with it and
//! merged with it. A search loads every segment's vectors into memory once per index
//! generation ([`VectorSet::load`]) and scores all of them with one dot product each.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tantivy::{DocAddress, DocId};

/// The fast field holding a passage's vector.
pub const VECTOR_FIELD: &str = "vector";
/// The fast field holding the hash of the text a vector was made from.
pub const KEY_FIELD: &str = "vector_key";

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
}

/// One segment's vectors: one row per live document that has one.
#[derive(Debug, Default)]
struct SegmentVectors {
    /// Document of each row.
    docs: Vec<DocId>,
    /// Row of each document (`u32::MAX`: none).
    row_of: Vec<u32>,
    /// f32 rows, `dim` values each (format f32).
    f32s: Vec<f32>,
    /// i8 rows (format i8), with a scale per row.
    i8s: Vec<i8>,
    scales: Vec<f32>,
}

/// Similarities of a query to every vector of a [`VectorSet`].
#[derive(Debug, Default)]
pub struct Similarities {
    by_segment: Vec<Vec<f32>>,
}

impl VectorSet {
    /// Reads the vectors of every live document of `searcher`'s segments.
    pub fn load(searcher: &tantivy::Searcher, dim: usize, format: VectorFormat) -> VectorSet {
        let segments = searcher
            .segment_readers()
            .iter()
            .map(|segment| load_segment(segment, dim, format))
            .collect();
        VectorSet {
            dim,
            format,
            segments,
        }
    }

    /// A set of vectors given as rows (unit vectors of `dim` values), as one segment
    /// whose documents are numbered in row order: for benchmarks and tests.
    pub fn from_rows(dim: usize, format: VectorFormat, rows: &[Vec<f32>]) -> VectorSet {
        let mut segment = SegmentVectors::default();
        for (doc, row) in rows.iter().enumerate() {
            segment.push(doc as DocId, &format.encode(row), format);
        }
        VectorSet {
            dim,
            format,
            segments: vec![segment],
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

    /// Cosine similarity of `query` (a unit vector) to every passage vector.
    pub fn similarities(&self, query: &[f32]) -> Similarities {
        let by_segment = self
            .segments
            .iter()
            .map(|s| match self.format {
                VectorFormat::F32 => s
                    .f32s
                    .chunks_exact(self.dim)
                    .map(|row| dot(query, row))
                    .collect(),
                VectorFormat::I8 => s
                    .i8s
                    .chunks_exact(self.dim)
                    .zip(&s.scales)
                    .map(|(row, scale)| dot(query, row) * scale)
                    .collect(),
            })
            .collect();
        Similarities { by_segment }
    }

    /// The `k` passages most similar to the query that `keep` accepts, best first.
    pub fn nearest(
        &self,
        sims: &Similarities,
        k: usize,
        keep: impl Fn(DocAddress) -> bool,
    ) -> Vec<(f32, DocAddress)> {
        let mut heap = std::collections::BinaryHeap::with_capacity(k + 1);
        for (ord, (segment, scores)) in self.segments.iter().zip(&sims.by_segment).enumerate() {
            for (&doc, &score) in segment.docs.iter().zip(scores) {
                let full = heap.len() >= k;
                if full && heap.peek().is_some_and(|m: &MinScored| score <= m.0) {
                    continue;
                }
                let address = DocAddress::new(ord as u32, doc);
                if !keep(address) {
                    continue;
                }
                heap.push(MinScored(score, address));
                if heap.len() > k {
                    heap.pop();
                }
            }
        }
        let mut out: Vec<(f32, DocAddress)> = heap.into_iter().map(|m| (m.0, m.1)).collect();
        out.sort_by(|a, b| b.0.total_cmp(&a.0));
        out
    }

    /// The similarity of one passage (None when it has no vector).
    pub fn similarity(&self, sims: &Similarities, address: DocAddress) -> Option<f32> {
        let segment = self.segments.get(address.segment_ord as usize)?;
        let row = *segment.row_of.get(address.doc_id as usize)?;
        sims.by_segment
            .get(address.segment_ord as usize)?
            .get(row as usize)
            .copied()
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

fn load_segment(
    segment: &tantivy::SegmentReader,
    dim: usize,
    format: VectorFormat,
) -> SegmentVectors {
    let mut out = SegmentVectors {
        row_of: vec![u32::MAX; segment.max_doc() as usize],
        ..SegmentVectors::default()
    };
    let Ok(Some(column)) = segment.fast_fields().bytes(VECTOR_FIELD) else {
        return out;
    };
    // The column is dictionary-encoded: read each distinct vector once, by ordinal.
    let mut by_ord: Vec<Option<Vec<u8>>> = vec![None; column.num_terms()];
    if let Ok(mut stream) = column.dictionary().stream() {
        while stream.advance() {
            if stream.key().len() == format.stored_len(dim) {
                if let Some(slot) = by_ord.get_mut(stream.term_ord() as usize) {
                    *slot = Some(stream.key().to_vec());
                }
            }
        }
    }
    for doc in segment.doc_ids_alive() {
        let Some(bytes) = column
            .ords()
            .first(doc)
            .and_then(|ord| by_ord.get(ord as usize)?.as_deref())
        else {
            continue;
        };
        out.push(doc, bytes, format);
    }
    out
}

impl SegmentVectors {
    /// Adds a document's vector (stored bytes of `format`) as the next row.
    fn push(&mut self, doc: DocId, bytes: &[u8], format: VectorFormat) {
        if self.row_of.len() <= doc as usize {
            self.row_of.resize(doc as usize + 1, u32::MAX);
        }
        self.row_of[doc as usize] = self.docs.len() as u32;
        self.docs.push(doc);
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

/// The vectors of the live passages of an index, by the hash of the text they were
/// made from: an index run reuses them for passages whose text did not change.
pub fn by_key(searcher: &tantivy::Searcher) -> HashMap<u64, Vec<u8>> {
    let mut out = HashMap::new();
    for segment in searcher.segment_readers() {
        let fast = segment.fast_fields();
        let (Ok(Some(column)), Ok(keys)) = (fast.bytes(VECTOR_FIELD), fast.u64(KEY_FIELD)) else {
            continue;
        };
        let mut buf = Vec::new();
        for doc in segment.doc_ids_alive() {
            let (Some(ord), Some(key)) = (column.ords().first(doc), keys.first(doc)) else {
                continue;
            };
            buf.clear();
            if column.ord_to_bytes(ord, &mut buf).unwrap_or(false) {
                out.entry(key).or_insert_with(|| buf.clone());
            }
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

/// Dot product of a query with a stored row (f32, or i8 before its scale), in 16
/// lanes the compiler can vectorize.
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
    fn dot_handles_lengths_off_the_lane_width() {
        let a: Vec<f32> = (0..19).map(|i| i as f32).collect();
        let expected: f32 = a.iter().map(|x| x * x).sum();
        assert_eq!(dot(&a, &a), expected);
    }
}
