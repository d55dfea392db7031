//! The loaded embedding model: the BERT encoder of [`super::bert`] and the
//! tokenizer, from a model folder (feature `embed`).

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::str::FromStr as _;

use gemm::Parallelism;
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::{
    truncate_encodings, DecoderWrapper, NormalizerWrapper, PostProcessor as _,
    PostProcessorWrapper, PreTokenizerWrapper, Tokenizer, TokenizerImpl, TruncationParams,
};

use super::bert::{Bert, Config};
use super::{ModelInfo, VectorFormat, PASSAGE_TOKENS};
use crate::error::{Error, Result};

/// Texts embedded in one forward pass, by default.
const BATCH: usize = 32;

/// Texts up to this many are tokenized on the calling thread (a query: starting the
/// tokenizer's thread pool would cost more than the work).
const FEW_TEXTS: usize = 4;

/// Runs `f` where rayon sees one thread, so that kernels which split their work over
/// rayon's pool (the int8 products) keep to the worker's core.
pub(super) fn single_threaded<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
        Ok(pool) => pool.install(f),
        Err(_) => f(),
    }
}

thread_local! {
    /// The pool of one thread that a query's embedding runs on (see [`on_one_core`]),
    /// one per searching thread, so that concurrent searches do not queue behind one.
    static ONE_CORE: Option<rayon::ThreadPool> = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .thread_name(|_| "k2search-query-embed".into())
        .build()
        .ok();
}

/// Runs `f` (a query's embedding) on one core: the products of a query's few dozen
/// tokens are too small to share between cores, and splitting them costs more in
/// wake-ups than it gains (measured in BENCHMARKS.md, "A query's embedding on one
/// core"). Runs `f` here when this thread is already such a pool's.
pub fn on_one_core<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if rayon::current_thread_index().is_some() && rayon::current_num_threads() == 1 {
        return f();
    }
    ONE_CORE.with(|pool| match pool {
        Some(pool) => pool.install(f),
        None => f(),
    })
}

/// Runs `embed` on one core (as [`on_one_core`]) while `other` runs on this thread,
/// and returns both results: a hybrid search embeds its query while its text
/// searches run.
pub fn alongside<A: Send, B>(
    embed: impl FnOnce() -> A + Send,
    other: impl FnOnce() -> B,
) -> (A, B) {
    ONE_CORE.with(|pool| match pool {
        Some(pool) => {
            let mut embedded = None;
            let b = pool.in_place_scope(|scope| {
                scope.spawn(|_| embedded = Some(embed()));
                other()
            });
            match embedded {
                Some(a) => (a, b),
                None => unreachable!("a scope ends after its spawned work"),
            }
        }
        None => (embed(), other()),
    })
}

/// Vectors made by one worker, with the places of their texts.
type Embedded = Vec<(usize, Vec<f32>)>;

/// Which token vectors make the sentence vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pooling {
    Mean,
    Cls,
}

/// A loaded embedding model.
pub struct Model {
    bert: Bert,
    /// Set to neither cut nor pad.
    tokenizer: Tokenizer,
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
    pub(crate) fn load_known(dir: &Path, known: Option<&ModelInfo>) -> Result<Model> {
        let bad = |message: String| Error::Model {
            path: dir.to_path_buf(),
            message,
        };
        let Folder {
            config_path,
            config_text,
            config,
            weights,
            tokenizer_path,
            mut tokenizer,
        } = Folder::read(dir, bad)?;
        let pooling = read_pooling(dir).map_err(bad)?;
        // Batches are padded here, after sorting texts by length (tokenizer.json may
        // ask for padding to a fixed length: that would also hide each text's length);
        // texts are cut per call (see `Model::tokenize`).
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(None)
            .map_err(|e| bad(format!("tokenizer.json: {e}")))?;
        let files = [
            config_path.as_path(),
            tokenizer_path.as_path(),
            weights.as_path(),
        ];
        let stamp = files_stamp(&files);
        let bert = load_bert(&weights, &config, bad)?;
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
            windows: None,
            int8: false,
        };
        Ok(Model {
            bert,
            tokenizer,
            pooling,
            info,
            batch: BATCH,
        })
    }

    /// Reads the pages of the weights the first forward pass needs (see
    /// [`Bert::prefault`]): for a thread that loads the model ahead of a query.
    pub fn prefault(&self) {
        self.bert.prefault();
    }

    /// The same model embedding `batch` texts per forward pass.
    pub fn with_batch(mut self, batch: usize) -> Model {
        self.batch = batch.max(1);
        self
    }

    /// The same model with the encoder's matrix products in int8 ([`Bert::quantize`]):
    /// faster, with vectors slightly off f32's; for indexing. Fails on a CPU whose
    /// int8 kernel is not exact (no VNNI).
    pub fn with_int8(mut self) -> Result<Model> {
        match self.bert.quantize() {
            Ok(()) => Ok(self),
            Err(e) => Err(self.error(e)),
        }
    }

    /// The same model with the encoder's matrix products in int8 where the CPU has an
    /// exact int8 kernel, else in f32 as it is: for the queries of an index whose
    /// passages were embedded in int8 (either way the vectors are comparable).
    pub fn int8_if_possible(mut self) -> Model {
        let _ = self.bert.quantize();
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
        // One worker runs each batch on every thread of the rayon pool it runs in (one
        // thread under `on_one_core`).
        let threads = if workers == 1 {
            rayon::current_num_threads()
        } else {
            1
        };
        // Each worker takes the next batch not taken, the longest first, so that the
        // workers finish together (batches handed out in turn left one idle while the
        // other ran the longest).
        let next = std::sync::atomic::AtomicUsize::new(0);
        let run = |_: usize| -> Result<Embedded> {
            let mut out = Vec::new();
            loop {
                let taken = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(batch) = batches.len().checked_sub(taken + 1).map(|i| batches[i]) else {
                    break;
                };
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
                let handles: Vec<_> = (0..workers)
                    .map(|w| scope.spawn(move || single_threaded(|| run(w))))
                    .collect();
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

    /// Tokenizes texts, each cut at `max_tokens` tokens (special tokens included).
    ///
    /// The tokens are what the tokenizer gives with truncation set to `max_tokens`
    /// (`encode` with truncation cuts the text's tokens to leave room for the special
    /// ones, then adds them): here the text is encoded without special tokens, cut the
    /// same way and then post-processed, so that no copy of the tokenizer (its
    /// vocabulary is 30,000 strings) is made per length. A few texts (a query) are
    /// encoded on this thread, many on the tokenizer's thread pool.
    fn tokenize(&self, texts: &[&str], max_tokens: usize) -> Result<Vec<tokenizers::Encoding>> {
        let tokenizer = &self.tokenizer;
        let fail = |e: tokenizers::Error| self.error(format!("cannot tokenize: {e}"));
        let bare = if texts.len() <= FEW_TEXTS {
            texts
                .iter()
                .map(|t| tokenizer.encode(*t, false))
                .collect::<tokenizers::Result<Vec<_>>>()
        } else {
            tokenizer.encode_batch(texts.to_vec(), false)
        }
        .map_err(fail)?;
        let added = tokenizer
            .get_post_processor()
            .map_or(0, |p| p.added_tokens(false));
        let cut = TruncationParams {
            max_length: max_tokens.saturating_sub(added),
            ..TruncationParams::default()
        };
        bare.into_iter()
            .map(|encoding| {
                let (encoding, _) = truncate_encodings(encoding, None, &cut)?;
                tokenizer.post_process(encoding, None, true)
            })
            .collect::<tokenizers::Result<Vec<_>>>()
            .map_err(fail)
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
        self.bert.forward(&ids, par, |hidden| {
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
        })
    }

    fn error(&self, message: String) -> Error {
        Error::Model {
            path: PathBuf::from(&self.info.path),
            message,
        }
    }
}

/// The files of a BERT model folder, found and read.
pub(super) struct Folder {
    pub config_path: PathBuf,
    pub config_text: String,
    pub config: Config,
    pub weights: PathBuf,
    pub tokenizer_path: PathBuf,
    pub tokenizer: Tokenizer,
}

impl Folder {
    /// Reads the folder `dir`'s `config.json` and `tokenizer.json` and checks that it
    /// has `model.safetensors`; `bad` makes the error of a folder that cannot be used.
    pub(super) fn read(dir: &Path, bad: impl Fn(String) -> Error) -> Result<Folder> {
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
        let tokenizer = read_tokenizer(&tokenizer_path)
            .map_err(|e| bad(format!("tokenizer.json cannot be read: {e}")))?;
        Ok(Folder {
            config_path,
            config_text,
            config,
            weights,
            tokenizer_path,
            tokenizer,
        })
    }
}

/// The encoder of `weights`, or the error `bad` makes.
pub(super) fn load_bert(
    weights: &Path,
    config: &Config,
    bad: impl Fn(String) -> Error,
) -> Result<Bert> {
    Bert::load(weights, config).map_err(|e| bad(format!("model.safetensors cannot be used: {e}")))
}

/// Reads `tokenizer.json`. A WordPiece tokenizer (BERT's) is read by the `tokenizers`
/// crate's own code as a tokenizer of that model type, which streams the vocabulary
/// into its table: reading it as a tokenizer of any model type first buffers the whole
/// file as generic values and copies every string (about 40 ms of a cold query,
/// against about 5). Any other tokenizer is read the general way.
fn read_tokenizer(path: &Path) -> std::result::Result<Tokenizer, String> {
    type WordPieceTokenizer = TokenizerImpl<
        WordPiece,
        NormalizerWrapper,
        PreTokenizerWrapper,
        PostProcessorWrapper,
        DecoderWrapper,
    >;
    let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
    match serde_json::from_str::<WordPieceTokenizer>(&text) {
        Ok(tokenizer) => Ok(Tokenizer::from(tokenizer)),
        Err(_) => Tokenizer::from_str(&text).map_err(|e| e.to_string()),
    }
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

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use tokenizers::{Tokenizer, TruncationParams};

    use super::Model;

    #[test]
    fn a_query_is_embedded_on_one_core_beside_the_text_search() {
        // The products see a pool of one thread, however many the global pool has.
        assert_eq!(super::on_one_core(rayon::current_num_threads), 1);
        let here = std::thread::current().id();
        let (embedded, text) = super::alongside(
            || (rayon::current_num_threads(), std::thread::current().id()),
            || std::thread::current().id(),
        );
        assert_eq!(embedded.0, 1);
        assert_ne!(
            embedded.1, here,
            "the embedding runs on a thread of its own"
        );
        assert_eq!(text, here, "the text search runs on the calling thread");
        // Nested: already on the pool's thread, the work runs there.
        let (outer, inner) = super::alongside(
            || {
                let id = std::thread::current().id();
                (id, super::on_one_core(|| std::thread::current().id()))
            },
            || (),
        )
        .0;
        assert_eq!(outer, inner);
    }

    fn from_env(var: &str, default: PathBuf) -> PathBuf {
        std::env::var_os(var).map_or(default, PathBuf::from)
    }

    /// Paragraphs and whole files of `.txt`/`.md` files under `dir` (at most `files`).
    fn passages(dir: &Path, files: usize, out: &mut Vec<String>) {
        let mut paths: Vec<PathBuf> = walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .filter_map(|e| e.ok())
            .map(|e| e.into_path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt" || e == "md"))
            .take(files)
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            out.extend(text.split("\n\n").map(str::to_string));
            out.push(text);
        }
    }

    /// Texts to tokenize: the bundled corpus, edge cases and, with the shared folder,
    /// the judged questions and MedQuAD articles.
    fn texts() -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out: Vec<String> = [
            "",
            "pills that stop blood clots",
            "Café naïve ÉCOLE résumé, 肝炎 and ½ dose; [CLS] [SEP] [MASK] ##ing\u{200b}\u{7}",
            "supercalifragilisticexpialidociousnessmegalongwordwithoutanybreaks",
        ]
        .map(String::from)
        .to_vec();
        passages(&root.join("corpus"), 100, &mut out);
        let shared = from_env("K2SEARCH_SHARED", root.join("../shared"));
        for name in ["liveqa-train", "mediqa-dev", "nfcorpus-dev", "seed-queries"] {
            let path = shared.join("eval").join(format!("{name}.jsonl"));
            let text = std::fs::read_to_string(path).unwrap_or_default();
            for line in text.lines() {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                out.extend(value["query"].as_str().map(String::from));
            }
        }
        passages(&shared.join("corpora/medquad"), 300, &mut out);
        out
    }

    /// The tokens a query or passage gets are those the `tokenizers` crate gives with
    /// the tokenizer read its general way and truncation set (how they were made
    /// before the WordPiece reading and the cut without a copy).
    #[test]
    #[cfg_attr(
        not(k2search_model),
        ignore = "needs the model: bash scripts/fetch-model.sh models/all-MiniLM-L6-v2"
    )]
    fn tokens_are_those_of_the_tokenizer_read_in_full() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = from_env("K2SEARCH_TEST_MODEL", root.join("models/all-MiniLM-L6-v2"));
        let model = Model::load(&dir).unwrap();
        let mut reference = Tokenizer::from_file(dir.join("tokenizer.json")).unwrap();
        reference.with_padding(None);
        let texts = texts();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        assert!(texts.len() > 100, "only {} texts", texts.len());
        for max_tokens in [32, 128, 512] {
            reference
                .with_truncation(Some(TruncationParams {
                    max_length: max_tokens,
                    ..TruncationParams::default()
                }))
                .unwrap();
            let ours = model.tokenize(&texts, max_tokens).unwrap();
            for (text, ours) in texts.iter().zip(&ours) {
                let want = reference.encode(*text, true).unwrap();
                assert_eq!(
                    ours.get_ids(),
                    want.get_ids(),
                    "{max_tokens} tokens of {text:?}"
                );
            }
            // A query alone (tokenized on this thread) gets the same tokens.
            let alone = model.tokenize(&texts[1..2], max_tokens).unwrap();
            assert_eq!(alone[0].get_ids(), ours[1].get_ids());
        }
    }
}
