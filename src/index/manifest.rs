//! What an index records about itself. The payload of each Tantivy commit (written
//! atomically with the documents it describes) holds the format and analyzer versions,
//! the k2search version, when and from which corpus it was built, and the name of a
//! records file beside it with a content hash per source file, for incremental updates.
//!
//! The per-file records stay out of the payload because Tantivy parses `meta.json`
//! several times whenever an index is opened, and the records grow with the corpus
//! (730 KB for MedQuAD): a query, which never needs them, would pay for them. A records
//! file is named after its content, written and synced before the commit that names
//! it, and never changed, so a run killed at any point leaves the last commit's records
//! intact; files no commit names are removed by the next run.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Version of the index layout (schema and stored fields). Bump on any change.
pub const FORMAT_VERSION: u32 = 9;

/// Records files are named `k2search-records-HASH.json`.
const RECORDS_PREFIX: &str = "k2search-records-";

/// The commit payload of a k2search index.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)] // payloads of older formats still parse, to name their version
pub struct Manifest {
    /// [`FORMAT_VERSION`] of the build that wrote it.
    pub format: u32,
    /// [`crate::analyze::ANALYZER_VERSION`] of the build that wrote it.
    pub analyzer: u32,
    /// The k2search version that wrote it.
    pub version: String,
    /// When it was written, RFC 3339 UTC.
    pub built_at: String,
    /// The corpus folder as it was given to `k2search index`.
    pub corpus: String,
    /// Number of indexed source files.
    pub file_count: usize,
    /// Name of the records file (in the index folder) of this commit.
    pub records: String,
    /// The embedding model of the passages' vectors (none: a lexical index).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<crate::embed::ModelInfo>,
    /// One record per indexed source file, by path relative to the corpus. Not part of
    /// the payload: loaded from the records file only by [`read_records`], for index
    /// runs and freshness checks; empty otherwise.
    #[serde(skip)]
    pub files: BTreeMap<String, FileRecord>,
}

/// What the index knows of one source file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileRecord {
    /// Hash of the file's bytes.
    pub hash: String,
    /// Size in bytes when indexed.
    pub size: u64,
    /// Modification time (nanoseconds since the epoch) when indexed.
    pub mtime_ns: u128,
    /// Passages it produced.
    pub passages: usize,
}

impl Manifest {
    /// The manifest a run over `corpus` starts from: this build's versions, no files
    /// yet.
    pub fn new(corpus: &std::path::Path, model: Option<crate::embed::ModelInfo>) -> Manifest {
        Manifest {
            format: FORMAT_VERSION,
            analyzer: crate::analyze::ANALYZER_VERSION,
            version: env!("CARGO_PKG_VERSION").to_string(),
            built_at: now_rfc3339(),
            corpus: corpus.display().to_string(),
            file_count: 0,
            records: String::new(),
            model,
            files: Default::default(),
        }
    }

    /// Whether an index with this manifest can be read by this build.
    pub fn is_compatible(&self) -> bool {
        self.format == FORMAT_VERSION && self.analyzer == crate::analyze::ANALYZER_VERSION
    }
}

/// Whether a file name is one of k2search's records files.
pub fn is_records_file(name: &str) -> bool {
    name.starts_with(RECORDS_PREFIX) && name.ends_with(".json")
}

/// Loads the per-file records named by `manifest` into `manifest.files` (left empty
/// when the file is missing or unreadable: the next run then re-indexes everything).
pub fn read_records(dir: &Path, manifest: &mut Manifest) {
    if manifest.records.is_empty() {
        return;
    }
    manifest.files = fs::read(dir.join(&manifest.records))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
}

/// The name of the records file holding `json`: named after its hash.
fn records_name(json: &[u8]) -> String {
    format!(
        "{RECORDS_PREFIX}{}.json",
        &blake3::hash(json).to_hex()[..16]
    )
}

/// Whether the records file `name` holds the bytes it is named after.
pub fn records_name_matches(name: &str, bytes: &[u8]) -> bool {
    records_name(bytes) == name
}

/// Writes `manifest.files` to a records file named after its content, synced to disk,
/// and names it in the manifest. Call before the commit that carries the manifest.
pub fn write_records(dir: &Path, manifest: &mut Manifest) -> std::io::Result<()> {
    let json = serde_json::to_vec(&manifest.files).map_err(std::io::Error::other)?;
    let name = records_name(&json);
    let path = dir.join(&name);
    if !path.is_file() {
        let tmp = dir.join(format!("{name}.tmp"));
        let mut file = fs::File::create(&tmp)?;
        file.write_all(&json)?;
        file.sync_all()?;
        fs::rename(&tmp, &path)?;
    }
    manifest.file_count = manifest.files.len();
    manifest.records = name;
    Ok(())
}

/// Removes records files (and their temporary files) other than `keep`.
pub fn remove_other_records(dir: &Path, keep: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(RECORDS_PREFIX) && name != keep {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The current time as RFC 3339 UTC (`2026-11-21T23:30:00Z`).
fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_413), (2025, 11, 21));
        assert_eq!(now_rfc3339().len(), 20);
    }
}
