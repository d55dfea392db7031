//! What an index records about itself, stored as the payload of each Tantivy commit
//! (so it is written atomically with the documents it describes): format and analyzer
//! versions, the k2search version, when it was built, from which corpus, and a content
//! hash per source file for incremental updates.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Version of the index layout (schema and stored fields). Bump on any change.
pub const FORMAT_VERSION: u32 = 1;

/// The commit payload of a k2search index.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
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
    /// One record per indexed source file, by path relative to the corpus.
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
    /// Whether an index with this manifest can be read by this build.
    pub fn is_compatible(&self) -> bool {
        self.format == FORMAT_VERSION && self.analyzer == crate::analyze::ANALYZER_VERSION
    }
}

/// The current time as RFC 3339 UTC (`2026-11-21T23:30:00Z`).
pub fn now_rfc3339() -> String {
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
