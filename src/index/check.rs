//! Is an index sound? Tantivy ends every segment file with a CRC32 footer; the commit
//! (`meta.json`) names the segments and carries the manifest, which names the records
//! file (named by its own hash). [`verify`] checks the segment checksums (what a
//! searcher does when it opens an index no bigger than [`VERIFY_AT_OPEN_BYTES`]);
//! [`check`] checks everything `k2search check` does, and reports every problem.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use tantivy::{Index, TantivyDocument};

use super::{manifest, Fields, Manifest, FORMAT_VERSION};
use crate::embed::vectors::{VectorSet, Windows};
use crate::error::{Error, Result};
use crate::guard;

/// Indexes whose segment files add up to at most this are verified whenever a searcher
/// opens them or sees a new commit, before the first search: for MedQuAD's 21 MB a cold
/// CLI query takes 18 ms instead of 12 (BENCHMARKS.md), so 64 MB costs about 20 ms.
/// Bigger ones are verified on a background thread while searches go on.
pub const VERIFY_AT_OPEN_BYTES: u64 = 64 << 20;

/// The files each segment of `metas` has: its components and, after deletes, its
/// delete file (positions only where a field has them).
fn named_files(metas: &tantivy::IndexMeta) -> Vec<(PathBuf, bool)> {
    use tantivy::index::SegmentComponent as C;
    let mut files = Vec::new();
    for segment in &metas.segments {
        for (component, required) in [
            (C::Postings, true),
            (C::Positions, false),
            (C::FastFields, true),
            (C::FieldNorms, true),
            (C::Terms, true),
            (C::Store, true),
        ] {
            files.push((segment.relative_path(component), required));
        }
        if segment.has_deletes() {
            files.push((segment.relative_path(C::Delete), true));
        }
    }
    files.sort();
    files
}

/// The files of the last commit's segments that exist, and their total size.
pub fn segment_files(index: &Index, dir: &Path) -> Result<(Vec<PathBuf>, u64)> {
    let metas = index.load_metas().map_err(|e| Error::tantivy(dir, e))?;
    let files: Vec<PathBuf> = named_files(&metas)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| dir.join(p).is_file())
        .collect();
    let bytes = files
        .iter()
        .filter_map(|p| fs::metadata(dir.join(p)).ok())
        .map(|m| m.len())
        .sum();
    Ok((files, bytes))
}

/// Checks the checksum of every segment file of the last commit, and that none is
/// missing: [`Error::Damaged`] names the first bad one.
pub fn verify(index: &Index, dir: &Path) -> Result<()> {
    guard::catch(dir, || {
        let damaged = checksum_problems(index, dir)?;
        match damaged.into_iter().next() {
            Some(problem) => Err(Error::Damaged {
                path: dir.to_path_buf(),
                problem,
            }),
            None => Ok(()),
        }
    })
}

/// One line per segment file that is missing or fails its checksum.
fn checksum_problems(index: &Index, dir: &Path) -> Result<Vec<String>> {
    let metas = index.load_metas().map_err(|e| Error::tantivy(dir, e))?;
    let mut problems = Vec::new();
    let named = named_files(&metas);
    for (file, _) in named
        .iter()
        .filter(|(f, required)| *required && !dir.join(f).is_file())
    {
        problems.push(format!("{} is missing", file.display()));
    }
    let damaged: HashSet<PathBuf> = match index.validate_checksum() {
        Ok(damaged) => damaged,
        Err(e) => {
            problems.push(format!("its files cannot be read ({e})"));
            return Ok(problems);
        }
    };
    for (file, _) in named.iter().filter(|(f, _)| damaged.contains(f)) {
        problems.push(format!("{} fails its checksum", file.display()));
    }
    Ok(problems)
}

/// What `k2search check` found: the JSON of `check --json`.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// The index folder.
    pub index: PathBuf,
    /// Whether no problem was found.
    pub sound: bool,
    /// Every problem found, one line each.
    pub problems: Vec<String>,
    /// Segment files verified by checksum.
    pub files: usize,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Stored passages read back and decoded.
    pub passages: u64,
    /// Vectors found (0 for a lexical index).
    pub vectors: u64,
    /// Wall time in seconds.
    pub seconds: f64,
}

impl CheckReport {
    /// The one-line verdict `k2search check` prints.
    pub fn verdict(&self) -> String {
        let d = self.index.display();
        let mb = self.bytes as f64 / (1 << 20) as f64;
        if self.sound {
            let vectors = if self.vectors > 0 {
                format!(", {} vectors", self.vectors)
            } else {
                String::new()
            };
            format!(
                "index {d} is sound: {} passages{vectors}, {} files ({mb:.1} MB) verified in {:.2} s",
                self.passages, self.files, self.seconds
            )
        } else {
            let n = self.problems.len();
            format!(
                "index {d} is damaged ({n} problem{}): {}; rebuild it with `k2search index --rebuild`",
                if n == 1 { "" } else { "s" },
                self.problems.join("; ")
            )
        }
    }
}

/// Checks the index in `dir`: the commit and its manifest, the format version, every
/// segment file's checksum, the records file, that every stored passage decodes, and
/// (with vectors) their number and dimension. Problems are reported, not returned as
/// errors; only a folder with no index at all is an error.
pub fn check(dir: &Path) -> Result<CheckReport> {
    let started = Instant::now();
    if !dir.join("meta.json").is_file() {
        return Err(Error::NoIndex(dir.to_path_buf()));
    }
    let mut report = CheckReport {
        index: dir.to_path_buf(),
        sound: false,
        problems: Vec::new(),
        files: 0,
        bytes: 0,
        passages: 0,
        vectors: 0,
        seconds: 0.0,
    };
    if let Err(e) = guard::catch(dir, || check_into(dir, &mut report)) {
        report.problems.push(match e {
            Error::Damaged { problem, .. } => problem,
            e => e.to_string(),
        });
    }
    report.sound = report.problems.is_empty();
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn check_into(dir: &Path, report: &mut CheckReport) -> Result<()> {
    let index = match Index::open_in_dir(dir) {
        Ok(index) => index,
        Err(e) => {
            report
                .problems
                .push(format!("meta.json cannot be read ({e})"));
            return Ok(());
        }
    };
    let metas = index.load_metas().map_err(|e| Error::tantivy(dir, e))?;
    let manifest: Manifest = match metas.payload.as_deref().map(serde_json::from_str) {
        Some(Ok(manifest)) => manifest,
        Some(Err(e)) => {
            report
                .problems
                .push(format!("the manifest in meta.json does not parse ({e})"));
            return Ok(());
        }
        None => {
            report
                .problems
                .push("meta.json holds no manifest: no index run ever committed".into());
            return Ok(());
        }
    };
    if !manifest.is_compatible() {
        report.problems.push(format!(
            "it is index format {} (this build reads {FORMAT_VERSION}), written by k2search {}",
            manifest.format, manifest.version
        ));
        return Ok(());
    }
    let Some(fields) = Fields::from_schema(&index.schema()) else {
        report
            .problems
            .push("its schema lacks fields this build needs".into());
        return Ok(());
    };
    let (files, bytes) = segment_files(&index, dir)?;
    report.files = files.len();
    report.bytes = bytes;
    report.problems.extend(checksum_problems(&index, dir)?);
    check_records(dir, &manifest, report);
    if !report.problems.is_empty() {
        return Ok(()); // reading damaged segments says nothing more
    }
    crate::analyze::register(&index);
    let reader = index.reader().map_err(|e| Error::tantivy(dir, e))?;
    let searcher = reader.searcher();
    for segment in searcher.segment_readers() {
        let store = segment
            .get_store_reader(1)
            .map_err(|e| Error::tantivy(dir, e.into()))?;
        for doc in store.iter::<TantivyDocument>(segment.alive_bitset()) {
            match doc {
                Ok(doc) => {
                    let _ = fields.to_passage(&doc);
                    report.passages += 1;
                }
                Err(e) => {
                    report
                        .problems
                        .push(format!("a stored passage does not decode ({e})"));
                    return Ok(());
                }
            }
        }
    }
    if report.passages != searcher.num_docs() {
        report.problems.push(format!(
            "{} passages are stored, the segments count {}",
            report.passages,
            searcher.num_docs()
        ));
    }
    let recorded: usize = manifest_passages(dir, &manifest);
    if recorded != 0 && recorded as u64 != report.passages {
        report.problems.push(format!(
            "the records count {recorded} passages, the index holds {}",
            report.passages
        ));
    }
    if let Some(model) = &manifest.model {
        let set = VectorSet::load(
            &searcher,
            model.dim,
            model.format,
            Some(dir),
            Windows::OnDemand,
        );
        report.problems.extend(set.file_problems().iter().cloned());
        report.vectors = set.len() as u64;
        if report.vectors != report.passages {
            report.problems.push(format!(
                "{} of {} passages have a vector of {} dimensions from model {}",
                report.vectors, report.passages, model.dim, model.name
            ));
        }
    }
    Ok(())
}

/// The passages the records file counts (0 when it cannot be read).
fn manifest_passages(dir: &Path, manifest: &Manifest) -> usize {
    let mut manifest = manifest.clone();
    manifest::read_records(dir, &mut manifest);
    manifest.files.values().map(|r| r.passages).sum()
}

/// The records file the manifest names exists, parses, and hashes to its name.
fn check_records(dir: &Path, manifest: &Manifest, report: &mut CheckReport) {
    if manifest.records.is_empty() {
        return; // written by a build that kept the records in the manifest
    }
    let path = dir.join(&manifest.records);
    match fs::read(&path) {
        Err(e) => report.problems.push(format!(
            "records file {} cannot be read ({e})",
            manifest.records
        )),
        Ok(bytes) if !manifest::records_name_matches(&manifest.records, &bytes) => report
            .problems
            .push(format!("records file {} fails its hash", manifest.records)),
        Ok(_) => {}
    }
}
