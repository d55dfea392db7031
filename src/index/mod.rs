//! Stage 4: the index. Builds or updates a Tantivy index from a corpus folder, and
//! opens one for searching.
//!
//! Updates are incremental: each commit's payload is a [`Manifest`] holding a content
//! hash per source file, so a run re-reads only files whose size or mtime changed and
//! re-indexes only those whose hash changed; deleted files' passages are removed.
//! Every run ends in one Tantivy commit, which is atomic: a run that fails or is killed
//! leaves the previous index complete and queryable.

pub mod check;
pub mod manifest;
pub mod schema;
pub mod stats;
pub mod storage;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Instant, UNIX_EPOCH};

use tantivy::{Index, IndexWriter, TantivyDocument, Term};

pub use manifest::{FileRecord, Manifest, FORMAT_VERSION};
pub use schema::Fields;

use crate::analyze;
use crate::embed::{self, ann, segment_files, vectors, Model, ModelInfo, VectorFormat};
use crate::error::{Error, Result};
use crate::passage::{self, Document, Passage};
use crate::source::{self, Read, Skip, Warning};

/// Files in an index folder that are not part of the index and may stay there.
const FOREIGN_FILES_ALLOWED: &[&str] = &["README.md", ".gitignore", ".gitkeep"];

/// Passages embedded together: big enough to batch by length and share among
/// threads, small enough for Ctrl-C to stop a run within a few seconds.
const EMBED_CHUNK: usize = 256;

/// How far an index run has got: given to [`IndexOptions::progress`] once before the
/// first file and after each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Files this run reads or checks.
    pub files: usize,
    /// Files done so far.
    pub done: usize,
    /// Whether passages are embedded (a run then takes much longer).
    pub embedding: bool,
    /// Passages embedded so far (vectors reused from before are not counted).
    pub embedded: usize,
}

/// What [`IndexOptions::progress`] calls, from the thread that runs [`build`].
#[derive(Clone)]
pub struct OnProgress(pub Arc<dyn Fn(Progress) + Send + Sync>);

impl std::fmt::Debug for OnProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnProgress(..)")
    }
}

/// What `k2search index` should do.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// The corpus folder.
    pub corpus: PathBuf,
    /// The index folder (created if missing).
    pub index: PathBuf,
    /// Re-index every file, even unchanged ones.
    pub rebuild: bool,
    /// Indexing threads (0: pick from the machine).
    pub threads: usize,
    /// Writer memory budget in bytes, shared by the threads.
    pub memory_budget: usize,
    /// Set (by a Ctrl-C handler, say) to stop the run before it commits: the index
    /// keeps its previous commit, and [`build`] returns [`Error::Interrupted`].
    pub stop: Arc<AtomicBool>,
    /// Called after each file with how far the run has got (the CLI draws a bar).
    pub progress: Option<OnProgress>,
    /// The embedding model folder: every passage gets a vector for semantic ranking.
    /// When unset, [`crate::embed::MODEL_ENV`] is read, and an update of an index
    /// built with a model uses that model again (a `rebuild` without one drops the
    /// vectors).
    pub model: Option<PathBuf>,
    /// How vectors are stored (unset: as the index already stores them, else f32).
    pub vector_format: Option<VectorFormat>,
    /// Run the encoder's matrix products in int8 ([`Model::with_int8`]): faster on a
    /// CPU with VNNI. `None` keeps the choice the index records (off for a new one).
    pub int8: Option<bool>,
    /// Whether each passage's text past its start is embedded too, in windows
    /// ([`embed::Windows`]; unset: as the index already does, else not).
    pub windows: Option<bool>,
    /// Threads that embed batches of passages side by side (0 or 1: one). See
    /// [`Model::embed_on`]: the CLI runs one per core, each single-threaded.
    pub embed_threads: usize,
    /// Wraps the index folder's storage for this run (tests inject faults with it).
    pub wrap: Option<storage::Wrap>,
    /// Segments with at least this many vectors get an HNSW graph file for
    /// approximate nearest-neighbour search ([`crate::embed::ann`]); smaller ones are
    /// searched by brute force. Defaults to [`crate::embed::ann::min_vectors`].
    pub ann_min_vectors: usize,
}

impl IndexOptions {
    /// Options with defaults for a corpus and index folder.
    pub fn new(corpus: impl Into<PathBuf>, index: impl Into<PathBuf>) -> IndexOptions {
        IndexOptions {
            corpus: corpus.into(),
            index: index.into(),
            rebuild: false,
            threads: 0,
            memory_budget: 128 << 20,
            stop: Arc::new(AtomicBool::new(false)),
            progress: None,
            model: None,
            vector_format: None,
            int8: None,
            windows: None,
            embed_threads: 1,
            wrap: None,
            ann_min_vectors: ann::min_vectors(),
        }
    }
}

/// What an index run did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct IndexReport {
    /// Article files found in the corpus.
    pub files: usize,
    /// Files (re)indexed in this run.
    pub files_indexed: usize,
    /// Files unchanged since the last run.
    pub files_unchanged: usize,
    /// Files whose passages were removed because they are gone.
    pub files_removed: usize,
    /// Entries of the corpus not indexed (unsupported type, hidden, binary, empty,
    /// unreadable…): `skipped.len()`.
    pub files_skipped: usize,
    /// Every entry of the corpus not indexed, with the reason.
    pub skipped: Vec<Skip>,
    /// Passages in the index after the run.
    pub passages: usize,
    /// Passages added in this run.
    pub passages_added: usize,
    /// Passages embedded in this run (the others added reused their vector).
    pub passages_embedded: usize,
    /// The embedding model's name, when the index has vectors.
    pub model: Option<String>,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Whether anything was committed.
    pub changed: bool,
    /// Problems with individual files.
    #[serde(skip)]
    pub warnings: Vec<Warning>,
}

/// An open index: the Tantivy index, its fields and its manifest.
#[derive(Clone)]
pub struct OpenIndex {
    /// The Tantivy index, with the k2search analyzer registered.
    pub index: Index,
    /// Field handles.
    pub fields: Fields,
    /// What the last commit recorded.
    pub manifest: Manifest,
    /// The index folder.
    pub dir: PathBuf,
}

/// Opens the index in `dir`, checking that this build can read it.
pub fn open(dir: &Path) -> Result<OpenIndex> {
    if !dir.join("meta.json").is_file() {
        return Err(Error::NoIndex(dir.to_path_buf()));
    }
    let index = Index::open_in_dir(dir).map_err(|e| Error::tantivy(dir, e))?;
    let manifest = read_manifest(&index, dir)?;
    if manifest.version.is_empty() {
        // Created but never committed to: the first index run was interrupted.
        return Err(Error::NoIndex(dir.to_path_buf()));
    }
    if !manifest.is_compatible() {
        return Err(version_error(dir, &manifest));
    }
    let fields =
        Fields::from_schema(&index.schema()).ok_or_else(|| version_error(dir, &manifest))?;
    analyze::register(&index);
    Ok(OpenIndex {
        index,
        fields,
        manifest,
        dir: dir.to_path_buf(),
    })
}

fn version_error(dir: &Path, manifest: &Manifest) -> Error {
    Error::IndexVersion {
        path: dir.to_path_buf(),
        built_by: if manifest.version.is_empty() {
            "of an unknown version".into()
        } else {
            manifest.version.clone()
        },
        found: manifest.format,
        expected: FORMAT_VERSION,
    }
}

/// The manifest of the last commit (empty when the index was never committed to).
pub fn read_manifest(index: &Index, dir: &Path) -> Result<Manifest> {
    let metas = index.load_metas().map_err(|e| Error::tantivy(dir, e))?;
    Ok(metas
        .payload
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or_default())
}

/// Builds or updates the index of `opts.corpus` in `opts.index`.
///
/// A run that fails leaves the previous commit as it was, and deletes the files it
/// wrote; a failed write (a full disk, a read-only file system) is reported as
/// [`Error::Storage`], naming the file, the disk and what to do.
pub fn build(opts: &IndexOptions) -> Result<IndexReport> {
    let faults = storage::Faults::default();
    let had_index = opts.index.join("meta.json").is_file();
    let error = match build_on(opts, &faults) {
        Ok(report) => return Ok(report),
        Err(error) => error,
    };
    clean_up_failed_run(&opts.index, &faults);
    let committed = had_index && open(&opts.index).is_ok();
    Err(match (faults.first(), error) {
        (_, error @ (Error::Interrupted(_) | Error::Locked(_))) => error,
        (Some(fault), _) => fault.into_error(&opts.index, committed),
        (None, Error::Io { path, source, .. })
            if storage::FaultKind::of(&source) != storage::FaultKind::Other =>
        {
            storage::Fault::new(&path, &source).into_error(&opts.index, committed)
        }
        (None, error) => error,
    })
}

/// Deletes what a failed run wrote and no commit names, under the writer lock (when
/// another run holds it, that run will).
fn clean_up_failed_run(dir: &Path, faults: &storage::Faults) {
    let Ok(index) = open_storage(dir, faults, None)
        .and_then(|d| Index::open(d).map_err(|e| Error::tantivy(dir, e)))
    else {
        return;
    };
    let Some(_lock) = writer_lock_soon(&index) else {
        return;
    };
    let records = read_manifest(&index, dir)
        .map(|m| m.records)
        .unwrap_or_default();
    storage::remove_orphans(&index, dir, &records);
}

/// How long a failed run waits for the writer lock it has just released.
const RELOCK_TRIES: u32 = 40;
const RELOCK_PAUSE: std::time::Duration = std::time::Duration::from_millis(25);

/// The writer lock, retried for a moment. The failed run's writer has released it, but
/// a process forked by another thread meanwhile holds a copy of the lock's descriptor
/// until it execs (a server spawning a helper, a test harness running the binary).
fn writer_lock_soon(index: &Index) -> Option<tantivy::directory::DirectoryLock> {
    for _ in 0..RELOCK_TRIES {
        let lock = tantivy::Directory::acquire_lock(
            index.directory(),
            &tantivy::directory::INDEX_WRITER_LOCK,
        );
        if let Ok(lock) = lock {
            return Some(lock);
        }
        std::thread::sleep(RELOCK_PAUSE);
    }
    None
}

/// The index folder as an index run writes it: noting faults, wrapped as asked.
fn open_storage(
    dir: &Path,
    faults: &storage::Faults,
    wrap: Option<&storage::Wrap>,
) -> Result<Box<dyn tantivy::Directory>> {
    let mmap =
        tantivy::directory::MmapDirectory::open(dir).map_err(|e| Error::tantivy(dir, e.into()))?;
    let mut inner: Box<dyn tantivy::Directory> = Box::new(mmap);
    if let Some(wrap) = wrap {
        inner = (wrap.0)(inner);
    }
    Ok(Box::new(storage::Storage::new(inner, dir, faults.clone())))
}

fn build_on(opts: &IndexOptions, faults: &storage::Faults) -> Result<IndexReport> {
    let started = Instant::now();
    let walk = source::walk(&opts.corpus)?;
    let (index, previous) = open_for_writing(opts, faults)?;
    let fields = Fields::from_schema(&index.schema())
        .ok_or_else(|| version_error(&opts.index, &previous))?;
    let writer = open_writer(&index, opts, &previous.records)?;
    let (model, model_info) = plan_vectors(opts, &previous)?;
    // Vectors from another model (or none) cannot be mixed with this run's.
    let same_vectors = match (&previous.model, &model_info) {
        (Some(before), Some(now)) => before.same_vectors(now),
        (before, now) => before.is_none() && now.is_none(),
    };
    let full = opts.rebuild || previous.files.is_empty() || !same_vectors;
    let int8_of = |info: Option<&ModelInfo>| info.map(|m| m.int8);
    let relabel = int8_of(previous.model.as_ref()) != int8_of(model_info.as_ref());
    if full {
        writer
            .delete_all_documents()
            .map_err(|e| Error::tantivy(&opts.index, e))?;
    }
    let embedding = match (model, &model_info) {
        (Some(model), Some(info)) => Some(Embedding {
            reuse: if full {
                Default::default()
            } else {
                previous_vectors(&index, &opts.index)?
            },
            model,
            format: info.format,
            windows: info.windows,
            threads: opts.embed_threads,
            pending: Vec::new(),
            embedded: 0,
        }),
        _ => None,
    };
    let mut run = Run {
        opts,
        writer,
        fields,
        full,
        relabel,
        report: IndexReport {
            files: walk.files.len(),
            skipped: walk.skipped,
            model: model_info.as_ref().map(|m| m.name.clone()),
            ..IndexReport::default()
        },
        manifest: Manifest::new(&opts.corpus, model_info),
        warnings: walk.warnings,
        embedding,
    };
    let none = std::collections::BTreeMap::new();
    let previous_files = if full { &none } else { &previous.files };
    if let Err(e) = run.read_and_index(walk.files, previous_files) {
        run.abandon();
        return Err(e);
    }
    run.note_removed(&previous);
    let mut report = run.commit()?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// A writer with the run's threads and memory budget, on an index cleared of the files
/// a killed run left behind.
fn open_writer(index: &Index, opts: &IndexOptions, records: &str) -> Result<IndexWriter> {
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(4)
    } else {
        opts.threads
    };
    let budget = opts.memory_budget.max((threads * 16) << 20);
    let writer: IndexWriter = index
        .writer_with_num_threads(threads, budget)
        .map_err(|e| Error::tantivy(&opts.index, e))?;
    // A run killed with kill -9 leaves files no commit refers to; one of them may bear
    // the very name this run is about to write (a segment's `.del` file), so collect
    // them before writing anything. Failing to is harmless: the names may just collide.
    let _ = writer.garbage_collect_files().wait();
    // Tantivy collects only the files it had registered; a run that failed before
    // registering one (a full disk) leaves it unnamed.
    storage::remove_orphans(index, &opts.index, records);
    Ok(writer)
}

/// The model this run embeds with, if any, and what the manifest records of it (the
/// vector format asked for, else the index's, else the default).
fn plan_vectors(
    opts: &IndexOptions,
    previous: &Manifest,
) -> Result<(Option<Model>, Option<ModelInfo>)> {
    let int8 = int8(opts, previous);
    let model = load_model(opts, previous, int8)?;
    let info = model.as_ref().map(|m| ModelInfo {
        format: opts
            .vector_format
            .or(previous.model.as_ref().map(|p| p.format))
            .unwrap_or_default(),
        windows: match opts.windows {
            Some(on) => on.then_some(embed::Windows::DEFAULT),
            None => previous.model.as_ref().and_then(|p| p.windows),
        },
        int8,
        ..m.info().clone()
    });
    Ok((model, info))
}

/// One index run in progress: what it writes and what it reports.
struct Run<'a> {
    opts: &'a IndexOptions,
    writer: IndexWriter,
    fields: Fields,
    /// Everything is indexed anew (no previous documents to replace one by one).
    full: bool,
    /// The manifest records a choice unlike the last commit's (`--int8`): commit it,
    /// even when no file changed.
    relabel: bool,
    report: IndexReport,
    manifest: Manifest,
    warnings: Vec<Warning>,
    embedding: Option<Embedding>,
}

impl Run<'_> {
    /// Reads and splits the files on their own thread, in parallel with indexing
    /// them here. An interrupt returns an error, and the uncommitted writer is dropped:
    /// Tantivy rolls the run back.
    fn read_and_index(
        &mut self,
        paths: Vec<PathBuf>,
        previous: &std::collections::BTreeMap<String, FileRecord>,
    ) -> Result<()> {
        let (tx, rx) = mpsc::sync_channel::<Change>(64);
        let corpus = self.opts.corpus.clone();
        let mut progress = Progress {
            files: self.report.files,
            done: 0,
            embedding: self.embedding.is_some(),
            embedded: 0,
        };
        let opts = self.opts;
        let report = |progress: Progress| {
            if let Some(on) = &opts.progress {
                (on.0)(progress);
            }
        };
        report(progress);
        std::thread::scope(|scope| -> Result<()> {
            scope.spawn(move || read_changes(&corpus, paths, previous, tx));
            for change in rx {
                if self.opts.stop.load(Ordering::Relaxed) {
                    return Err(Error::Interrupted(self.opts.index.clone()));
                }
                self.apply(change)?;
                progress.done += 1;
                progress.embedded = self.embedding.as_ref().map_or(0, |e| e.embedded);
                report(progress);
            }
            if let Some(embedding) = self.embedding.as_mut() {
                embedding.flush(&self.writer, &self.fields, &self.opts.index)?;
            }
            Ok(())
        })?;
        self.report.passages_embedded = self.embedding.as_ref().map_or(0, |e| e.embedded);
        Ok(())
    }

    /// Records or indexes one file.
    fn apply(&mut self, change: Change) -> Result<()> {
        match change {
            Change::Unchanged(rel, record) => {
                self.report.files_unchanged += 1;
                self.manifest.files.insert(rel, record);
            }
            Change::Skipped(warning, reason) => {
                self.report.skipped.push(Skip {
                    path: warning.path.clone(),
                    reason,
                });
                self.warnings.push(warning);
            }
            Change::Indexed(doc, record, file_warnings) => {
                self.warnings.extend(file_warnings);
                if !self.full {
                    let path = Term::from_field_text(self.fields.path, &doc.path);
                    self.writer.delete_term(path);
                }
                self.report.files_indexed += 1;
                self.report.passages_added += doc.passages.len();
                self.manifest.files.insert(doc.path, record);
                self.add_passages(doc.passages)?;
            }
        }
        Ok(())
    }

    /// Adds a file's passages: at once, or through the embedder's batch.
    fn add_passages(&mut self, passages: Vec<Passage>) -> Result<()> {
        let dir = &self.opts.index;
        match self.embedding.as_mut() {
            Some(embedding) => {
                embedding.pending.extend(passages);
                if embedding.pending.len() >= EMBED_CHUNK {
                    embedding.flush(&self.writer, &self.fields, dir)?;
                }
            }
            None => {
                for document in self.fields.to_documents(&passages) {
                    add(&self.writer, document, dir)?;
                }
            }
        }
        Ok(())
    }

    /// Deletes the documents of files that are gone from the corpus.
    fn note_removed(&mut self, previous: &Manifest) {
        let gone = previous
            .files
            .keys()
            .filter(|k| !self.manifest.files.contains_key(*k));
        for path in gone {
            if !self.full {
                self.writer
                    .delete_term(Term::from_field_text(self.fields.path, path));
            }
            self.report.files_removed += 1;
        }
    }

    /// Gives the run up: waits for the writer's threads (a merge may still be writing)
    /// so that what they wrote can be removed, and rolls back.
    fn abandon(self) {
        let _ = self.writer.wait_merging_threads();
    }

    /// Commits the run with its manifest when anything changed (atomically: a crash
    /// before this leaves the previous commit in place), and returns its report.
    fn commit(mut self) -> Result<IndexReport> {
        let dir = &self.opts.index;
        let index = self.writer.index().clone();
        let report = &mut self.report;
        report.files_skipped = report.skipped.len();
        report.passages = self.manifest.files.values().map(|r| r.passages).sum();
        if report.passages == 0 {
            return Err(Error::EmptyCorpus(self.opts.corpus.clone()));
        }
        report.changed = self.full || report.files_indexed > 0 || report.files_removed > 0;
        if report.changed || self.relabel {
            manifest::write_records(dir, &mut self.manifest)
                .map_err(|e| Error::io("cannot write index records in", dir, e))?;
            let payload = serde_json::to_string(&self.manifest).unwrap_or_default();
            let committed = match self.writer.prepare_commit() {
                Ok(mut prepared) => {
                    prepared.set_payload(&payload);
                    prepared.commit()
                }
                Err(e) => Err(e),
            };
            if let Err(e) = committed {
                self.abandon();
                return Err(Error::tantivy(dir, e));
            }
            manifest::remove_other_records(dir, &self.manifest.records);
            // The commit is whole: a merge that fails after it (a full disk) leaves
            // more, smaller segments, and the files it wrote are collected next run.
            if let Err(e) = self.writer.wait_merging_threads() {
                self.warnings.push(Warning {
                    path: dir.display().to_string(),
                    line: None,
                    message: format!(
                        "merging segments failed ({e}); the index is committed and complete"
                    ),
                });
            }
        } else {
            // A commit collects the files a killed run left behind; with nothing to
            // commit, collect them here. It deletes only files no commit refers to (and
            // writes nothing when there are none); failing to is harmless.
            let _ = self.writer.garbage_collect_files().wait();
        }
        // After the merges, so that a merged segment gets its files in this run.
        let file_warnings = sync_segment_files(&index, self.opts, self.manifest.model.as_ref());
        self.warnings.extend(file_warnings);
        self.report.warnings = self.warnings;
        Ok(self.report)
    }
}

/// Brings the files beside the segments (vector rows, HNSW graphs) in step with the
/// committed segments: writes the missing ones (new or merged segments, or those of an
/// earlier run that a crash cut short) and removes those of segments that are gone. A
/// file that cannot be written is a warning: its segment's vectors are read from the
/// index, or it is searched by brute force.
fn sync_segment_files(
    index: &Index,
    opts: &IndexOptions,
    model: Option<&ModelInfo>,
) -> Vec<Warning> {
    let dir = &opts.index;
    let warning = |message| Warning {
        path: dir.display().to_string(),
        line: None,
        message,
    };
    let Some(model) = model else {
        segment_files::remove(dir, |_| true);
        return Vec::new();
    };
    let reader: tantivy::Result<tantivy::IndexReader> = index
        .reader_builder()
        .reload_policy(tantivy::ReloadPolicy::Manual)
        .try_into();
    let searcher = match reader {
        Ok(reader) => reader.searcher(),
        Err(e) => {
            return vec![warning(format!(
                "cannot read the committed index to build its graphs ({e}); it is searched by brute force"
            ))]
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (dim, format) = (model.dim, model.format);
    let mut warnings: Vec<Warning> = vectors::write_files(&searcher, dir, dim, format)
        .into_iter()
        .map(warning)
        .collect();
    let synced = ann::sync(&searcher, dir, dim, opts.ann_min_vectors, threads, |s| {
        vectors::graph_rows(s, dir, dim, format)
    });
    warnings.extend(synced.warnings.into_iter().map(warning));
    warnings
}

fn add(writer: &IndexWriter, doc: TantivyDocument, dir: &Path) -> Result<()> {
    writer
        .add_document(doc)
        .map(|_| ())
        .map_err(|e| Error::tantivy(dir, e))
}

/// The model of this run: the one asked for, else the one the index was built with
/// (unless it is being rebuilt), else none; with the int8 kernels when `int8`.
fn load_model(opts: &IndexOptions, previous: &Manifest, int8: bool) -> Result<Option<Model>> {
    let model = if let Some(dir) = embed::model_dir(opts.model.as_deref()) {
        Model::load(&dir)?
    } else {
        match &previous.model {
            Some(info) if !opts.rebuild => info.load(None, &opts.index)?,
            _ => return Ok(None),
        }
    };
    if int8 {
        return model.with_int8().map(Some);
    }
    Ok(Some(model))
}

/// Whether this run embeds with the int8 kernels: as asked, else as the index records.
fn int8(opts: &IndexOptions, previous: &Manifest) -> bool {
    opts.int8
        .unwrap_or_else(|| !opts.rebuild && previous.model.as_ref().is_some_and(|info| info.int8))
}

/// The vectors of the index's passages by text key, for an update to reuse.
fn previous_vectors(
    index: &Index,
    dir: &Path,
) -> Result<std::collections::HashMap<u64, vectors::Stored>> {
    let reader = index.reader().map_err(|e| Error::tantivy(dir, e))?;
    Ok(vectors::by_key(&reader.searcher()))
}

/// Passages waiting for their vectors, and what embeds them.
struct Embedding {
    model: Model,
    format: VectorFormat,
    windows: Option<embed::Windows>,
    threads: usize,
    /// Vectors of the index before this run, by text key: the passage's, and its
    /// windows' one after the other.
    reuse: std::collections::HashMap<u64, vectors::Stored>,
    pending: Vec<Passage>,
    /// Passages embedded so far (not counting reused vectors).
    embedded: usize,
}

impl Embedding {
    /// Embeds the pending passages whose text has no vector yet (and their windows)
    /// and adds them all.
    fn flush(&mut self, writer: &IndexWriter, fields: &schema::Fields, dir: &Path) -> Result<()> {
        let mut texts: Vec<String> = self.pending.iter().map(embed::passage_text).collect();
        let keys: Vec<u64> = texts.iter().map(|t| vectors::key(t)).collect();
        // Passages with no vector yet, each text once (a text repeated in the chunk is
        // embedded for its first passage, and the others reuse its vector).
        let mut seen = std::collections::HashSet::new();
        let missing: Vec<usize> = (0..texts.len())
            .filter(|&i| !self.reuse.contains_key(&keys[i]) && seen.insert(keys[i]))
            .collect();
        // Each missing passage's start, then its windows: one batch, so that the
        // model's threads share them.
        let mut inputs: Vec<String> = Vec::new();
        let mut windows = Vec::with_capacity(missing.len());
        for &i in &missing {
            inputs.push(std::mem::take(&mut texts[i]));
            let more = self
                .windows
                .map_or_else(Vec::new, |w| w.texts(&self.pending[i]));
            windows.push(more.len());
            inputs.extend(more);
        }
        let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let mut made = self
            .model
            .embed_on(&refs, embed::PASSAGE_TOKENS, self.threads)?
            .into_iter();
        for (&i, &n) in missing.iter().zip(&windows) {
            let (Some(start), rest) = (made.next(), made.by_ref().take(n)) else {
                break;
            };
            self.embedded += 1;
            let stored = vectors::Stored {
                vector: self.format.encode(&start),
                windows: rest.flat_map(|w| self.format.encode(&w)).collect(),
            };
            self.reuse.insert(keys[i], stored);
        }
        for (mut doc, key) in fields.to_documents(&self.pending).zip(keys) {
            if let Some(stored) = self.reuse.get(&key) {
                doc.add_bytes(fields.vector, &stored.vector);
                if !stored.windows.is_empty() {
                    doc.add_bytes(fields.vector_windows, &stored.windows);
                }
                doc.add_u64(fields.vector_key, key);
            }
            add(writer, doc, dir)?;
        }
        self.pending.clear();
        Ok(())
    }
}

/// One source file's outcome, sent from the reading thread to the indexing one.
enum Change {
    Unchanged(String, FileRecord),
    Skipped(Warning, source::SkipReason),
    Indexed(Document, FileRecord, Vec<Warning>),
}

/// Reads and splits every file whose content changed since `previous`.
fn read_changes(
    corpus: &Path,
    paths: Vec<PathBuf>,
    previous: &std::collections::BTreeMap<String, FileRecord>,
    tx: mpsc::SyncSender<Change>,
) {
    for path in paths {
        let rel = source::rel_path(corpus, &path);
        let (size, mtime_ns) = stat(&path);
        let change = match previous.get(&rel) {
            Some(prev) if prev.size == size && prev.mtime_ns == mtime_ns => {
                Change::Unchanged(rel, prev.clone())
            }
            prev => match source::read(corpus, &path) {
                Read::Skipped(warning, reason) => Change::Skipped(warning, reason),
                Read::Article(file, _) if prev.is_some_and(|p| p.hash == file.hash) => {
                    let prev = prev.cloned().unwrap_or_default();
                    Change::Unchanged(
                        rel,
                        FileRecord {
                            size,
                            mtime_ns,
                            ..prev
                        },
                    )
                }
                Read::Article(file, mut warnings) => {
                    let (doc, split_warnings) = passage::split(&file);
                    warnings.extend(split_warnings);
                    if doc.passages.is_empty() {
                        warnings.push(Warning {
                            path: rel.clone(),
                            line: None,
                            message: "no text to index (only headings or markup); nothing indexed"
                                .into(),
                        });
                    }
                    let record = FileRecord {
                        hash: file.hash,
                        size,
                        mtime_ns,
                        passages: doc.passages.len(),
                    };
                    Change::Indexed(doc, record, warnings)
                }
            },
        };
        if tx.send(change).is_err() {
            return; // the indexing side stopped on an error
        }
    }
}

fn stat(path: &Path) -> (u64, u128) {
    fs::metadata(path).map_or((0, 0), |m| {
        let mtime = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        (m.len(), mtime)
    })
}

/// Opens (or creates) the index folder for a writer: returns the index and the
/// manifest of its last commit. An index from an incompatible version is recreated
/// when `rebuild` is set and refused otherwise.
fn open_for_writing(opts: &IndexOptions, faults: &storage::Faults) -> Result<(Index, Manifest)> {
    let (dir, rebuild) = (opts.index.as_path(), opts.rebuild);
    fs::create_dir_all(dir).map_err(|e| Error::io("cannot create index folder", dir, e))?;
    let storage = || open_storage(dir, faults, opts.wrap.as_ref());
    if dir.join("meta.json").is_file() {
        let index = Index::open(storage()?).map_err(|e| Error::tantivy(dir, e))?;
        let mut manifest = read_manifest(&index, dir)?;
        let compatible = (manifest.is_compatible() || manifest.version.is_empty())
            && Fields::from_schema(&index.schema()).is_some();
        if compatible {
            manifest::read_records(dir, &mut manifest);
            analyze::register(&index);
            return Ok((index, manifest));
        }
        if !rebuild {
            return Err(version_error(dir, &manifest));
        }
        drop(index);
        remove_index_files(dir)?;
    } else {
        check_foreign_files(dir)?;
    }
    let (schema, _) = schema::schema();
    let index = Index::create(storage()?, schema, tantivy::IndexSettings::default())
        .map_err(|e| Error::tantivy(dir, e))?;
    analyze::register(&index);
    Ok((index, Manifest::default()))
}

/// Refuses to create an index in a folder holding other people's files.
fn check_foreign_files(dir: &Path) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io("cannot read index folder", dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = manifest::is_records_file(name.trim_end_matches(".tmp"))
            || segment_files::segment_of(&name).is_some();
        if !name.starts_with('.') && !ours && !FOREIGN_FILES_ALLOWED.contains(&name.as_ref()) {
            return Err(Error::NotAnIndex(dir.to_path_buf()));
        }
    }
    Ok(())
}

/// Removes the files of an incompatible Tantivy index (and nothing else).
fn remove_index_files(dir: &Path) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io("cannot read index folder", dir, e))?;
    // Lock files stay: another run may hold one, and deleting it would let a second
    // writer in. meta.json goes last, so a run killed half-way still leaves a folder
    // the next run recognizes as an old index and clears again.
    let mut ours: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name == ".managed.json"
                || is_segment_file(&name)
                || manifest::is_records_file(name.trim_end_matches(".tmp"))
                || segment_files::segment_of(&name).is_some()
        })
        .map(|entry| entry.path())
        .collect();
    ours.push(dir.join("meta.json"));
    for path in ours.iter().filter(|p| p.is_file()) {
        fs::remove_file(path).map_err(|e| Error::io("cannot remove old index file", path, e))?;
    }
    Ok(())
}

fn is_segment_file(name: &str) -> bool {
    let Some((stem, ext)) = name.split_once('.') else {
        return false;
    };
    stem.len() == 32
        && stem.bytes().all(|b| b.is_ascii_hexdigit())
        && ["idx", "pos", "term", "store", "fast", "fieldnorm", "del"]
            .iter()
            .any(|e| ext.starts_with(e))
}

/// Whether the index in `dir` is missing, unreadable by this build, or older than the
/// corpus (a file added, removed, or changed in size or modification time).
pub fn is_stale(corpus: &Path, dir: &Path) -> Result<bool> {
    if !dir.join("meta.json").is_file() {
        return Ok(true);
    }
    let Ok(index) = Index::open_in_dir(dir) else {
        return Ok(true);
    };
    let mut manifest = read_manifest(&index, dir)?;
    manifest::read_records(dir, &mut manifest);
    if !manifest.is_compatible() || manifest.files.is_empty() {
        return Ok(true);
    }
    let mut seen = 0;
    for path in &source::walk(corpus)?.files {
        let rel = source::rel_path(corpus, path);
        match manifest.files.get(&rel) {
            Some(record) if (record.size, record.mtime_ns) == stat(path) => seen += 1,
            // Touched but not changed (the index run that saw it committed nothing, so
            // the record keeps the old time): the same bytes are not a change.
            Some(record) if same_content(corpus, path, record) => seen += 1,
            Some(_) => return Ok(true),
            // A file that was skipped (binary, empty) has no record: not a change.
            None if matches!(source::read(corpus, path), Read::Skipped(..)) => {}
            None => return Ok(true),
        }
    }
    Ok(seen != manifest.files.len())
}

fn same_content(corpus: &Path, path: &Path, record: &FileRecord) -> bool {
    matches!(source::read(corpus, path), Read::Article(file, _) if file.hash == record.hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{SearchRequest, Searcher};

    /// A run stopped (Ctrl-C) before its commit leaves the previous index as it was.
    #[test]
    fn interrupted_rebuild_keeps_previous_commit() {
        let corpus = tempfile::tempdir().unwrap();
        for i in 0..3 {
            fs::write(
                corpus.path().join(format!("a{i}.md")),
                format!("# Drug {i}\n\n## Dosage\nTake warfarin {i} times.\n"),
            )
            .unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let opts = IndexOptions::new(corpus.path(), dir.path());
        let first = build(&opts).unwrap();

        fs::write(corpus.path().join("a0.md"), "# Other\n\nNothing here.\n").unwrap();
        let stopped = IndexOptions {
            rebuild: true,
            ..IndexOptions::new(corpus.path(), dir.path())
        };
        stopped.stop.store(true, Ordering::Relaxed);
        assert!(matches!(build(&stopped), Err(Error::Interrupted(_))));

        let searcher = Searcher::open(dir.path()).unwrap();
        assert_eq!(searcher.passages().unwrap().len(), first.passages);
        let hits = searcher
            .search(&SearchRequest::new("warfarin"))
            .unwrap()
            .hits;
        assert_eq!(hits.len(), 3);
    }
}
