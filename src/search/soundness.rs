//! Whether the index a [`super::Searcher`] reads is sound: its segment checksums are
//! verified for each commit it sees (at once for an index up to
//! [`VERIFY_AT_OPEN_BYTES`], on a background thread for a bigger one), again in the
//! background every [`REVERIFY_AFTER`] (or as set), and a search that fails inside the engine
//! marks the commit damaged. A new commit (a rebuilt index) is verified afresh, so a
//! server recovers on its own once a good index is committed underneath it.
//!
//! A process that searches once (the CLI's query, `Soundness::once`) verifies a
//! small index as any other, but leaves a big one unverified: it would exit before a
//! background verdict came, and the thread would take a core from its one search.
//! `k2search check` verifies such an index.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tantivy::Index;

use crate::error::{Error, Result};
use crate::index::check::{self, VERIFY_AT_OPEN_BYTES};

/// How long a verification holds before it is done again in the background: bytes can
/// go bad under a running server without a new commit.
pub const REVERIFY_AFTER: Duration = Duration::from_secs(60);

/// What is known of the index now: the body of `GET /health`, less the counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Health {
    /// Verified, and no search failed on it.
    Ok,
    /// Being verified on a background thread for the first time (a big index).
    Verifying,
    /// Damaged: why, in one line.
    Degraded {
        /// What is wrong.
        reason: String,
    },
}

#[derive(Debug, Default)]
struct State {
    /// The commit (searcher generation) the rest is about.
    generation: Option<u64>,
    /// What is wrong with it, if anything.
    damage: Option<String>,
    /// When it was last verified (unset while the first verification runs, or when
    /// a process that searches once left a big index unverified).
    verified_at: Option<Instant>,
    /// A background verification is running.
    verifying: bool,
}

/// Shared by every clone of a searcher.
#[derive(Debug)]
pub(crate) struct Soundness {
    dir: PathBuf,
    /// How long a verification holds.
    every: Mutex<Duration>,
    state: Mutex<State>,
    /// Whether a big index is verified on a background thread (not for a process
    /// that searches once).
    background: bool,
}

impl Soundness {
    pub(crate) fn new(dir: &Path) -> Arc<Soundness> {
        Soundness::with(dir, true)
    }

    /// For a process that searches once: a big index is not verified (see the module
    /// documentation).
    pub(crate) fn once(dir: &Path) -> Arc<Soundness> {
        Soundness::with(dir, false)
    }

    fn with(dir: &Path, background: bool) -> Arc<Soundness> {
        Arc::new(Soundness {
            dir: dir.to_path_buf(),
            every: Mutex::new(REVERIFY_AFTER),
            state: Mutex::default(),
            background,
        })
    }

    /// Verifies again (in the background) once a verification is `every` old.
    pub(crate) fn reverify_every(&self, every: Duration) {
        if let Ok(mut e) = self.every.lock() {
            *e = every;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while the lock is held leaves plain data behind: go on with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ok when commit `generation` of `index` is not known to be damaged; verifies it
    /// first when it is new (in the background when big or due again).
    pub(crate) fn ensure(self: &Arc<Self>, generation: u64, index: &Index) -> Result<()> {
        let every = self.every.lock().map_or(REVERIFY_AFTER, |e| *e);
        let mut state = self.lock();
        if state.generation == Some(generation) {
            if let Some(reason) = &state.damage {
                return Err(self.damaged(reason.clone()));
            }
            let due = state.verified_at.is_some_and(|at| at.elapsed() >= every);
            if due && !state.verifying && self.background {
                state.verifying = true;
                self.verify_in_background(generation, index.clone());
            }
            return Ok(());
        }
        if state.verifying {
            return Ok(()); // a verification of another commit is running: let it end
        }
        *state = State {
            generation: Some(generation),
            ..State::default()
        };
        let bytes = check::segment_files(index, &self.dir).map_or(0, |(_, b)| b);
        if bytes > VERIFY_AT_OPEN_BYTES {
            if !self.background {
                return Ok(());
            }
            state.verifying = true;
            self.verify_in_background(generation, index.clone());
            return Ok(());
        }
        drop(state);
        let verdict = check::verify(index, &self.dir);
        self.record(generation, &verdict);
        verdict
    }

    fn verify_in_background(self: &Arc<Self>, generation: u64, index: Index) {
        let this = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("k2search-verify".into())
            .spawn(move || {
                let verdict = check::verify(&index, &this.dir);
                this.lock().verifying = false;
                this.record(generation, &verdict);
            });
        if spawned.is_err() {
            self.lock().verifying = false; // no thread to spare: verify at the next call
        }
    }

    /// Records the outcome of verifying commit `generation`.
    fn record(&self, generation: u64, verdict: &Result<()>) {
        let mut state = self.lock();
        if state.generation != Some(generation) {
            return; // a newer commit came meanwhile
        }
        state.verified_at = Some(Instant::now());
        if let Err(Error::Damaged { problem, .. }) = verdict {
            state.damage = Some(problem.clone());
        }
    }

    /// Marks commit `generation` damaged (a search failed inside the engine on it).
    pub(crate) fn mark(&self, generation: u64, problem: &str) {
        let mut state = self.lock();
        if state.generation == Some(generation) && state.damage.is_none() {
            state.damage = Some(problem.to_string());
        }
    }

    /// What is known now.
    pub(crate) fn health(&self) -> Health {
        let state = self.lock();
        match (&state.damage, state.verified_at) {
            (Some(reason), _) => Health::Degraded {
                reason: self.damaged(reason.clone()).to_string(),
            },
            (None, None) if state.verifying => Health::Verifying,
            _ => Health::Ok,
        }
    }

    fn damaged(&self, problem: String) -> Error {
        Error::Damaged {
            path: self.dir.clone(),
            problem,
        }
    }
}
