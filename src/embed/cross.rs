//! The cross-encoder that re-ranks a search's best candidates (feature `embed`): a
//! BERT with a classification head, reading the question and a passage together and
//! giving the pair one score (cross-encoder/ms-marco-MiniLM-L-12-v2 by default,
//! `scripts/fetch-reranker.sh`). It runs on the encoder of [`super::bert`], as the
//! embedding model does.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use gemm::Parallelism;
use tokenizers::{Tokenizer, TruncationParams, TruncationStrategy};

use super::bert::Bert;
use super::model::{load_bert, single_threaded, Folder};
use super::PAIR_TOKENS;
use crate::error::{Error, Result};

/// Pair scores kept for later searches, by default: the next page of a search, the
/// same question asked again, a second search of the same question (a deeper one)
/// re-rank the same pairs. About 16 bytes each; the table is emptied when full.
const KEPT_SCORES: usize = 1 << 16;

/// A loaded cross-encoder.
pub struct CrossEncoder {
    bert: Bert,
    /// Cuts pairs to [`PAIR_TOKENS`], pads nothing.
    tokenizer: Tokenizer,
    dir: PathBuf,
    /// Scores of pairs seen, by a hash of the pair.
    kept: Mutex<HashMap<u64, f32>>,
    /// Most pair scores kept.
    keep: usize,
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
        let bad = |message: String| Error::Reranker {
            path: dir.to_path_buf(),
            message,
        };
        let Folder {
            config,
            weights,
            mut tokenizer,
            ..
        } = Folder::read(dir, bad)?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: PAIR_TOKENS.min(config.max_position_embeddings),
                strategy: TruncationStrategy::LongestFirst,
                ..TruncationParams::default()
            }))
            .map_err(|e| bad(format!("tokenizer.json: {e}")))?;
        let bert = load_bert(&weights, &config, bad)?;
        if !bert.has_head() {
            return Err(bad(
                "is not a cross-encoder: model.safetensors has no pooler and classifier".into(),
            ));
        }
        Ok(CrossEncoder {
            bert,
            tokenizer,
            dir: dir.to_path_buf(),
            kept: Mutex::default(),
            keep: KEPT_SCORES,
        })
    }

    /// The same cross-encoder keeping at most `pairs` pair scores for later calls (0:
    /// none, every pair is scored each time it is asked for, as a benchmark wants).
    pub fn keeping(mut self, pairs: usize) -> CrossEncoder {
        self.keep = pairs;
        self
    }

    /// The folder the cross-encoder was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Scores each passage as an answer to `question`, in order: the classifier's
    /// logit (higher is more relevant; ms-marco models give about −11 to +10). Pairs
    /// scored before are not scored again; the others are shared among as many
    /// workers as the calling thread's rayon pool has threads (one per core).
    pub fn score(&self, question: &str, passages: &[&str]) -> Result<Vec<f32>> {
        let keys: Vec<u64> = passages.iter().map(|p| pair_key(question, p)).collect();
        let mut scores: Vec<Option<f32>> = {
            let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            keys.iter().map(|k| kept.get(k).copied()).collect()
        };
        let missing: Vec<usize> = (0..passages.len())
            .filter(|&i| scores[i].is_none())
            .collect();
        if !missing.is_empty() {
            let fresh = self.score_all(question, missing.iter().map(|&i| passages[i]))?;
            let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            if kept.len() + fresh.len() > self.keep {
                kept.clear();
            }
            let keep = fresh.len() <= self.keep;
            for (&i, score) in missing.iter().zip(fresh) {
                scores[i] = Some(score);
                if keep {
                    kept.insert(keys[i], score);
                }
            }
        }
        Ok(scores.into_iter().map(|s| s.unwrap_or(f32::MIN)).collect())
    }

    /// Scores every pair of `question` and a passage: one forward pass per worker.
    fn score_all<'a>(
        &self,
        question: &'a str,
        passages: impl Iterator<Item = &'a str>,
    ) -> Result<Vec<f32>> {
        let pairs: Vec<(&str, &str)> = passages.map(|p| (question, p)).collect();
        let encodings = self
            .tokenizer
            .encode_batch(pairs, true)
            .map_err(|e| self.error(format!("cannot tokenize: {e}")))?;
        let second: Vec<usize> = encodings
            .iter()
            .map(|e| {
                let types = e.get_type_ids();
                types.iter().position(|&t| t > 0).unwrap_or(types.len())
            })
            .collect();
        // The pairs are dealt, longest first, to one worker per core, each running
        // its share on its own core: the attention of a pair runs on one core, so
        // one batch over both cores kept the second mostly idle.
        let workers = rayon::current_num_threads().clamp(1, encodings.len().max(1));
        let mut order: Vec<usize> = (0..encodings.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(encodings[i].get_ids().len()));
        let shares: Vec<Vec<usize>> = (0..workers)
            .map(|w| order.iter().copied().skip(w).step_by(workers).collect())
            .collect();
        let run = |share: &[usize]| {
            let ids: Vec<&[u32]> = share.iter().map(|&i| encodings[i].get_ids()).collect();
            let second: Vec<usize> = share.iter().map(|&i| second[i]).collect();
            self.bert.classify(&ids, &second, Parallelism::None)
        };
        let scored: Vec<Option<Vec<f32>>> = if workers == 1 {
            vec![run(&shares[0])]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = shares
                    .iter()
                    .map(|share| scope.spawn(|| single_threaded(|| run(share))))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().ok().flatten())
                    .collect()
            })
        };
        let mut scores = vec![0f32; encodings.len()];
        for (share, part) in shares.iter().zip(scored) {
            let part = part.ok_or_else(|| self.error("cannot score the pairs".into()))?;
            for (&i, score) in share.iter().zip(part) {
                scores[i] = score;
            }
        }
        Ok(scores)
    }

    fn error(&self, message: String) -> Error {
        Error::Reranker {
            path: self.dir.clone(),
            message,
        }
    }
}

/// A hash of a (question, passage) pair: the key of its kept score.
fn pair_key(question: &str, passage: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (question, passage).hash(&mut hasher);
    hasher.finish()
}
