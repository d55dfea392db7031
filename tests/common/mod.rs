//! Helpers shared by the integration test binaries.

use std::path::{Path, PathBuf};

/// A file of the team's shared folder (`../shared`, or `$K2SEARCH_SHARED`), read in
/// place, never copied into the repository. Without it the caller's test says so and
/// passes, except in CI (`CI` set, see `.ci/run`), where the data is required.
#[allow(dead_code)] // not every test binary reads the shared data
pub fn shared(rel: &str) -> Option<PathBuf> {
    let root = std::env::var_os("K2SEARCH_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let path = root.join(rel);
    if path.exists() {
        Some(path)
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} not found: CI requires the shared data (set K2SEARCH_SHARED)",
            path.display()
        );
        eprintln!(
            "skipped: {} not found (set K2SEARCH_SHARED)",
            path.display()
        );
        None
    }
}

/// The embedding model folder for semantic tests: `$K2SEARCH_TEST_MODEL`, else
/// `models/all-MiniLM-L6-v2` (where `scripts/fetch-model.sh` puts it). Without it the
/// caller's test says so and passes, except in CI, where `.ci/run` fetches it.
///
/// Tests never set `K2SEARCH_MODEL`: every index run would then embed.
#[allow(dead_code)] // not every test binary has semantic tests
pub fn model() -> Option<PathBuf> {
    let dir = std::env::var_os("K2SEARCH_TEST_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("models/all-MiniLM-L6-v2"));
    if dir.join("model.safetensors").is_file() {
        Some(dir)
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "no model in {}: CI requires it (scripts/fetch-model.sh DIR; K2SEARCH_TEST_MODEL=DIR)",
            dir.display()
        );
        eprintln!(
            "skipped: no model in {} (scripts/fetch-model.sh; K2SEARCH_TEST_MODEL)",
            dir.display()
        );
        None
    }
}

/// A temporary folder holding `corpus/`, a copy of the bundled seed articles.
#[allow(dead_code)] // not every test binary copies the corpus
pub fn seed_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    std::fs::create_dir(dir.path().join("corpus")).unwrap();
    for entry in std::fs::read_dir(corpus).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(
            entry.path(),
            dir.path().join("corpus").join(entry.file_name()),
        )
        .unwrap();
    }
    dir
}

/// Runs the real `k2search` binary in `dir`, without colour and without the
/// environment's model (`K2SEARCH_MODEL` would make every index run embed).
#[allow(dead_code)] // not every test binary runs the binary this way
pub fn run_in(dir: &Path, args: &[&str]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("k2search")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("K2SEARCH_MODEL")
        .args(args)
        .output()
        .unwrap()
}
