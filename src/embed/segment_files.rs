//! Files k2search keeps beside a Tantivy segment: the HNSW graph of its vectors
//! ([`super::ann`]) and its vectors as plain rows ([`super::vectors`]). A segment never
//! changes once written (a merge writes a new one, a delete only marks documents dead),
//! so a file made from a segment stays valid for the segment's life; it is made after
//! the commit that wrote the segment and removed once the segment is gone.
//!
//! Every such file is written whole under a temporary name, synced and renamed, and
//! ends with a footer (the kind's magic, the body's length, rows, dimensions and a
//! BLAKE3 hash of the body), checked before the body is used: a missing, partial or
//! corrupt file leaves its segment to be read from the index itself, never an
//! unusable index.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A kind of file kept beside a segment: named `PREFIX` + segment id + `SUFFIX`.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    prefix: &'static str,
    suffix: &'static str,
    magic: &'static [u8; 8],
}

/// A segment's HNSW graph (`k2search-ann-SEGMENT.usearch`).
pub const GRAPH: Kind = Kind {
    prefix: "k2search-ann-",
    suffix: ".usearch",
    magic: b"K2ANN\x00\x00\x01",
};

/// A segment's vectors as plain rows (`k2search-vectors-SEGMENT.bin`).
pub const VECTORS: Kind = Kind {
    prefix: "k2search-vectors-",
    suffix: ".bin",
    magic: b"K2VEC\x00\x00\x01",
};

const KINDS: [Kind; 2] = [GRAPH, VECTORS];

/// Footer layout: magic, body length, rows, dimensions, BLAKE3 hash of the body.
const FOOTER_LEN: usize = 8 + 8 + 8 + 8 + 32;

impl Kind {
    /// The file of this kind of segment `segment` (its id as Tantivy names its files).
    pub fn file_name(self, segment: &str) -> String {
        format!("{}{segment}{}", self.prefix, self.suffix)
    }

    /// The segment id a file of this kind (or its temporary file) belongs to.
    pub fn segment_of(self, name: &str) -> Option<&str> {
        let name = name.strip_suffix(".tmp").unwrap_or(name);
        name.strip_prefix(self.prefix)?.strip_suffix(self.suffix)
    }

    /// Appends the footer to `body`, which holds `rows` rows of `dim` dimensions.
    pub fn seal(self, mut body: Vec<u8>, rows: usize, dim: usize) -> Vec<u8> {
        let hash = blake3::hash(&body);
        let len = body.len() as u64;
        body.extend_from_slice(self.magic);
        for word in [len, rows as u64, dim as u64] {
            body.extend_from_slice(&word.to_le_bytes());
        }
        body.extend_from_slice(hash.as_bytes());
        body
    }

    /// The body of a file of this kind and its rows, when its footer and hash are right
    /// and it holds vectors of `dim` dimensions; else what is wrong, as a clause.
    pub fn unseal(self, bytes: &[u8], dim: usize) -> Result<(&[u8], usize), String> {
        let Some(split) = bytes.len().checked_sub(FOOTER_LEN) else {
            return Err("it is too short for its footer".into());
        };
        let (body, footer) = bytes.split_at(split);
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&footer[i * 8..i * 8 + 8]);
            u64::from_le_bytes(b)
        };
        if &footer[..8] != self.magic {
            return Err("it has no footer (written by another version, or cut short)".into());
        }
        if word(1) != body.len() as u64 {
            return Err(format!("it holds {} bytes of {}", body.len(), word(1)));
        }
        if word(3) != dim as u64 {
            return Err(format!(
                "it holds vectors of {} dimensions, not {dim}",
                word(3)
            ));
        }
        if blake3::hash(body).as_bytes() != &footer[32..] {
            return Err("it fails its hash".into());
        }
        Ok((body, word(2) as usize))
    }
}

/// The segment id a file of any kind (or its temporary file) belongs to.
pub fn segment_of(name: &str) -> Option<&str> {
    KINDS.iter().find_map(|kind| kind.segment_of(name))
}

/// Writes `bytes` to `path`: whole under a temporary name, synced, then renamed, so
/// that `path` never holds part of a file. Returns the bytes written.
pub fn write(path: &Path, bytes: &[u8]) -> Result<u64, String> {
    let tmp = PathBuf::from(format!("{}.tmp", path.display()));
    let written = fs::File::create(&tmp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err(e.to_string());
    }
    Ok(bytes.len() as u64)
}

/// Removes the files of every kind (and temporary files) of the segments `gone`
/// accepts; returns how many.
pub fn remove(dir: &Path, gone: impl Fn(&str) -> bool) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Some(segment) = segment_of(&name) else {
            continue;
        };
        if (name.ends_with(".tmp") || gone(segment)) && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in KINDS {
            let name = kind.file_name("f00d");
            assert_eq!(kind.segment_of(&name), Some("f00d"));
            assert_eq!(segment_of(&format!("{name}.tmp")), Some("f00d"));
        }
        assert_eq!(GRAPH.segment_of(&VECTORS.file_name("f00d")), None);
        assert_eq!(segment_of("k2search-records-1.json"), None);
        assert_eq!(segment_of("f00d.fast"), None);
    }

    #[test]
    fn a_sealed_body_unseals_and_a_damaged_one_does_not() {
        let body: Vec<u8> = (0..100u8).collect();
        let sealed = VECTORS.seal(body.clone(), 25, 4);
        assert_eq!(VECTORS.unseal(&sealed, 4), Ok((&body[..], 25)));
        assert!(VECTORS
            .unseal(&sealed, 8)
            .unwrap_err()
            .contains("dimensions"));
        assert!(GRAPH.unseal(&sealed, 4).unwrap_err().contains("no footer"));
        assert!(VECTORS.unseal(&sealed[1..], 4).is_err());
        assert!(VECTORS
            .unseal(&sealed[..10], 4)
            .unwrap_err()
            .contains("too short"));
        let mut flipped = sealed.clone();
        flipped[50] ^= 0x55;
        assert!(VECTORS.unseal(&flipped, 4).unwrap_err().contains("hash"));
    }

    #[test]
    fn remove_takes_the_gone_segments_files_and_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            GRAPH.file_name("aa"),
            VECTORS.file_name("aa"),
            VECTORS.file_name("bb"),
            format!("{}.tmp", VECTORS.file_name("cc")),
            "aa.fast".to_string(),
        ];
        for name in &names {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        assert_eq!(remove(dir.path(), |s| s == "aa"), 3);
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["aa.fast".to_string(), VECTORS.file_name("bb")]);
    }
}
