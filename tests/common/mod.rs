//! Helpers shared by the integration test binaries.

use std::path::{Path, PathBuf};

/// A file of the team's shared folder (`../shared`, or `$K2SEARCH_SHARED`), read in
/// place, never copied into the repository. Without it the caller's test says so and
/// passes, except in CI (`CI` set, see `.ci/run`), where the data is required.
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
