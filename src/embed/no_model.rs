//! The embedding model in a build without the feature `embed`: no [`Model`] can be
//! made, and asking for one says so in one line. An index with vectors is then
//! searched by text alone.

use std::path::Path;

use super::ModelInfo;
use crate::error::{Error, Result};

/// A loaded embedding model; none can exist in this build.
#[derive(Debug)]
pub enum Model {}

impl Model {
    /// Refuses: this build has no embedding model.
    pub fn load(dir: &Path) -> Result<Model> {
        Model::load_known(dir, None)
    }

    /// Refuses: this build has no embedding model.
    pub(crate) fn load_known(dir: &Path, _known: Option<&ModelInfo>) -> Result<Model> {
        Err(Error::Model {
            path: dir.to_path_buf(),
            message: "cannot be loaded: this k2search was built without the `embed` feature".into(),
        })
    }

    /// Never reached: no model loads without the feature.
    pub fn with_int8(self) -> Result<Model> {
        Ok(self)
    }

    /// See the `embed` build.
    pub fn int8_if_possible(self) -> Model {
        match self {}
    }

    /// See the `embed` build.
    pub fn with_batch(self, _batch: usize) -> Model {
        match self {}
    }

    /// See the `embed` build.
    pub fn prefault(&self) {
        match *self {}
    }

    /// See the `embed` build.
    pub fn info(&self) -> &ModelInfo {
        match *self {}
    }

    /// See the `embed` build.
    pub fn dim(&self) -> usize {
        match *self {}
    }

    /// See the `embed` build.
    pub fn embed_query(&self, _text: &str, _max_tokens: usize) -> Result<Vec<f32>> {
        match *self {}
    }

    /// See the `embed` build.
    pub fn embed(&self, _texts: &[&str], _max_tokens: usize) -> Result<Vec<Vec<f32>>> {
        match *self {}
    }

    /// See the `embed` build.
    pub fn embed_on(
        &self,
        _texts: &[&str],
        _max_tokens: usize,
        _workers: usize,
    ) -> Result<Vec<Vec<f32>>> {
        match *self {}
    }
}

/// See the `embed` build: without it, `f` runs here.
pub fn on_one_core<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    f()
}

/// See the `embed` build: without it, one after the other.
pub fn alongside<A: Send, B>(
    embed: impl FnOnce() -> A + Send,
    other: impl FnOnce() -> B,
) -> (A, B) {
    (embed(), other())
}

/// A loaded cross-encoder; none can exist in this build.
#[derive(Debug)]
pub enum CrossEncoder {}

impl CrossEncoder {
    /// Refuses: this build has no model.
    pub fn load(dir: &Path) -> Result<CrossEncoder> {
        CrossEncoder::load_f32(dir)
    }

    /// Refuses: this build has no model.
    pub fn load_f32(dir: &Path) -> Result<CrossEncoder> {
        Err(Error::Reranker {
            path: dir.to_path_buf(),
            message: "cannot be loaded: this k2search was built without the `embed` feature".into(),
        })
    }

    /// See the `embed` build.
    pub fn keeping(self, _pairs: usize) -> CrossEncoder {
        self
    }

    /// See the `embed` build.
    pub fn dir(&self) -> &Path {
        match *self {}
    }

    /// See the `embed` build.
    pub fn score(&self, _question: &str, _passages: &[&str]) -> Result<Vec<f32>> {
        match *self {}
    }
}
