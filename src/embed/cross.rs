//! The cross-encoder that re-ranks a search's best candidates (feature `embed`): a
//! BERT with a classification head, reading the question and a passage together and
//! giving the pair one score (cross-encoder/ms-marco-MiniLM-L-12-v2 by default,
//! `scripts/fetch-reranker.sh`). It runs on the encoder of [`super::bert`], as the
//! embedding model does.

use std::fs;
use std::path::{Path, PathBuf};

use gemm::Parallelism;
use tokenizers::{Tokenizer, TruncationParams, TruncationStrategy};

use super::bert::{Bert, Config};
use super::model::{file_name, read_tokenizer};
use super::PAIR_TOKENS;
use crate::error::{Error, Result};

/// A loaded cross-encoder.
pub struct CrossEncoder {
    bert: Bert,
    /// Cuts pairs to [`PAIR_TOKENS`], pads nothing.
    tokenizer: Tokenizer,
    dir: PathBuf,
}

impl std::fmt::Debug for CrossEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrossEncoder")
            .field("dir", &self.dir)
            .finish()
    }
}

impl CrossEncoder {
    /// Loads the cross-encoder in `dir` (`config.json`, `model.safetensors` with a
    /// pooler and a one-label classifier, `tokenizer.json`), its products in int8 where
    /// the CPU has an exact int8 kernel.
    pub fn load(dir: &Path) -> Result<CrossEncoder> {
        let mut cross = CrossEncoder::load_f32(dir)?;
        let _ = cross.bert.quantize();
        Ok(cross)
    }

    /// [`CrossEncoder::load`] with the products in f32.
    pub fn load_f32(dir: &Path) -> Result<CrossEncoder> {
        let bad = |message: String| Error::Model {
            path: dir.to_path_buf(),
            message,
        };
        if !dir.is_dir() {
            return Err(bad(
                "is not a folder (bash scripts/fetch-reranker.sh puts the re-ranker in one)".into(),
            ));
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
        let mut tokenizer = read_tokenizer(&tokenizer_path)
            .map_err(|e| bad(format!("tokenizer.json cannot be read: {e}")))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: PAIR_TOKENS.min(config.max_position_embeddings),
                strategy: TruncationStrategy::LongestFirst,
                ..TruncationParams::default()
            }))
            .map_err(|e| bad(format!("tokenizer.json: {e}")))?;
        let bert = Bert::load(&weights, &config)
            .map_err(|e| bad(format!("model.safetensors cannot be used: {e}")))?;
        if !bert.has_head() {
            return Err(bad(
                "is not a cross-encoder: model.safetensors has no pooler and classifier".into(),
            ));
        }
        Ok(CrossEncoder {
            bert,
            tokenizer,
            dir: dir.to_path_buf(),
        })
    }

    /// The folder the cross-encoder was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Scores each passage as an answer to `question`, in order: the classifier's
    /// logit (higher is more relevant; ms-marco models give about −11 to +10). The
    /// pairs run as one batch on every core of the calling thread's rayon pool.
    pub fn score(&self, question: &str, passages: &[&str]) -> Result<Vec<f32>> {
        if passages.is_empty() {
            return Ok(Vec::new());
        }
        let pairs: Vec<(&str, &str)> = passages.iter().map(|p| (question, *p)).collect();
        let encodings = self
            .tokenizer
            .encode_batch(pairs, true)
            .map_err(|e| self.error(format!("cannot tokenize: {e}")))?;
        let ids: Vec<&[u32]> = encodings.iter().map(|e| e.get_ids()).collect();
        let second: Vec<usize> = encodings
            .iter()
            .map(|e| {
                let types = e.get_type_ids();
                types.iter().position(|&t| t > 0).unwrap_or(types.len())
            })
            .collect();
        let threads = rayon::current_num_threads();
        let par = if threads > 1 {
            Parallelism::Rayon(threads)
        } else {
            Parallelism::None
        };
        self.bert
            .classify(&ids, &second, par)
            .ok_or_else(|| self.error("has no classifier".into()))
    }

    fn error(&self, message: String) -> Error {
        Error::Model {
            path: self.dir.clone(),
            message,
        }
    }
}
