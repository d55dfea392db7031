//! The semantic half of hybrid ranking: the query's vector, and the passages' vectors
//! it is compared with.
//!
//! When the index was built with a model (`k2search index --model DIR`), a search
//! embeds the query with the same model, scores every passage vector by cosine
//! similarity, adds the nearest passages to the text matches and lets
//! [`super::rerank::rerank`] fuse the two scores. The model is loaded on the first
//! hybrid search (from `--model`, [`crate::embed::MODEL_ENV`], or the folder the index
//! records) and must be the one the index was built with.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::embed::vectors::{Similarities, VectorSet, Windows};
use crate::embed::{self, Model, ModelInfo};
use crate::error::Result;

/// How a search ranks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Text and vector similarity fused, when the index has vectors; text alone
    /// otherwise.
    #[default]
    Hybrid,
    /// Text alone.
    Lexical,
}

impl Mode {
    /// Parses `hybrid` or `lexical`.
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "hybrid" => Some(Mode::Hybrid),
            "lexical" => Some(Mode::Lexical),
            _ => None,
        }
    }
}

/// The query's similarity to every passage with a vector.
pub(crate) struct QueryVectors {
    pub set: Arc<VectorSet>,
    pub sims: Similarities,
}

/// The model and the vectors of one open index, loaded when first needed.
#[derive(Default)]
pub(crate) struct Semantic {
    /// The model folder given (`--model`); else the environment's, else the index's.
    model_dir: Option<PathBuf>,
    model: Mutex<Option<Arc<Model>>>,
    /// The vectors of one index generation.
    vectors: Mutex<Option<(u64, Arc<VectorSet>)>>,
    /// A process that searches once (the CLI's query): its query is embedded in f32
    /// even for an index embedded in int8, since packing the int8 weights costs more
    /// (about 40 ms) than one query gains.
    one_shot: bool,
}

impl Semantic {
    /// A semantic half for a process that searches once (see `one_shot`).
    pub fn one_shot() -> Semantic {
        Semantic {
            one_shot: true,
            ..Semantic::default()
        }
    }

    /// The same kind of semantic half (one-shot or not), loading the model from `dir`
    /// instead.
    pub fn with_model_dir(&self, dir: Option<PathBuf>) -> Semantic {
        Semantic {
            model_dir: dir,
            one_shot: self.one_shot,
            ..Semantic::default()
        }
    }

    /// The model, loaded and checked against the index's on first use.
    // Without `embed` a model cannot exist (it is an empty enum), and rustc sees the
    // lines after loading one as assignments never read.
    #[cfg_attr(not(feature = "embed"), allow(unused_assignments))]
    pub fn model(&self, info: &ModelInfo, index: &Path) -> Result<Arc<Model>> {
        let mut slot = self.model.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(model) = slot.as_ref() {
            return Ok(model.clone());
        }
        let model = info.load(embed::model_dir(self.model_dir.as_deref()), index)?;
        if model.info().fingerprint != info.fingerprint {
            return Err(info.mismatch(
                index,
                format!(
                    "{} holds another model ({})",
                    model.info().path,
                    model.info().name
                ),
            ));
        }
        // Queries are embedded as the index's passages were (see `ModelInfo::int8`),
        // unless there is only one.
        let model = if info.int8 && !self.one_shot {
            model.int8_if_possible()
        } else {
            model
        };
        let model = Arc::new(model);
        *slot = Some(model.clone());
        Ok(model)
    }

    /// Starts loading the model on another thread (see [`Semantic::model`]), then
    /// reading the weights the first query needs and loading the vectors of
    /// `searcher`'s generation, when this build can embed. A
    /// failure is left for the first search to meet: it loads the model again and
    /// reports why it cannot.
    pub fn load_in_background(
        self: &Arc<Self>,
        searcher: tantivy::Searcher,
        info: &ModelInfo,
        index: &Path,
    ) {
        if !cfg!(feature = "embed") {
            return;
        }
        let (semantic, info, index) = (self.clone(), info.clone(), index.to_path_buf());
        std::thread::spawn(move || {
            if let Ok(model) = semantic.model(&info, &index) {
                model.prefault();
                // Then the passages' vectors (about a third of a cold query on
                // MedQuAD: the files' hashes and their rows), while the query is
                // analysed and embedded; the search waits for them only if it gets
                // there first. A damaged index is left for the search to report:
                // nothing is kept, and it reads them again, guarded.
                let load = || semantic.vectors(&searcher, &info, &index);
                let _ = crate::guard::quietly(|| {
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(load))
                });
            }
        });
    }

    /// Embeds the query and scores it against every passage vector of `searcher`.
    /// A message with a subject line (see [`super::question::subject_and_body`]) is embedded as its
    /// subject and its body apart (one batch of two), the body's vector weighted by
    /// `params.semantic_body`, so that a long story does not crowd the subject out of the
    /// model's few tokens; with a weight of 0, the message is embedded whole. With a
    /// `spare_core`, the vectors are scored on two threads.
    pub fn query(
        &self,
        searcher: &tantivy::Searcher,
        info: &ModelInfo,
        index: &Path,
        query: &str,
        params: &super::Params,
        spare_core: bool,
    ) -> Result<QueryVectors> {
        let (max_tokens, body_weight) = (params.semantic_tokens, params.semantic_body);
        let model = self.model(info, index)?;
        embed::on_one_core(|| {
            let vector = Self::embed(&model, query, max_tokens, body_weight)?;
            // After the embedding: a one-shot search's vectors may still be loading
            // (see `load_in_background`).
            let set = self.vectors(searcher, info, index);
            let sims = match spare_core {
                true => set.similarities_in_halves(&vector),
                false => set.similarities(&vector),
            };
            Ok(QueryVectors { set, sims })
        })
    }

    /// The query's vector.
    fn embed(model: &Model, query: &str, max_tokens: usize, body_weight: f32) -> Result<Vec<f32>> {
        Ok(
            match super::question::subject_and_body(query).filter(|_| body_weight > 0.0) {
                Some((subject, body)) => {
                    let parts = model.embed(&[subject, body], max_tokens)?;
                    let mut sum: Vec<f32> = parts[0]
                        .iter()
                        .zip(&parts[1])
                        .map(|(s, b)| s + body_weight * b)
                        .collect();
                    let norm = sum
                        .iter()
                        .map(|x| x * x)
                        .sum::<f32>()
                        .sqrt()
                        .max(f32::MIN_POSITIVE);
                    sum.iter_mut().for_each(|x| *x /= norm);
                    sum
                }
                None => model.embed_query(query, max_tokens)?,
            },
        )
    }

    /// The vectors of the searcher's generation, with the graph files of the index
    /// folder `index` (loaded once per generation).
    fn vectors(
        &self,
        searcher: &tantivy::Searcher,
        info: &ModelInfo,
        index: &Path,
    ) -> Arc<VectorSet> {
        let generation = searcher.generation().generation_id();
        let mut slot = self.vectors.lock().unwrap_or_else(|e| e.into_inner());
        match slot.as_ref() {
            Some((g, set)) if *g == generation => set.clone(),
            _ => {
                let windows = match self.one_shot {
                    true => Windows::OnDemand,
                    false => Windows::InMemory,
                };
                let set = Arc::new(VectorSet::load(
                    searcher,
                    info.dim,
                    info.format,
                    Some(index),
                    windows,
                ));
                *slot = Some((generation, set.clone()));
                set
            }
        }
    }
}
