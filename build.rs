//! Tells the integration tests whether what some of them need is on this machine, so
//! that a test without it is reported as ignored, with what it needs, instead of
//! passing without running:
//! - `k2search_shared`: the team's shared folder (`$K2SEARCH_SHARED`, else `../shared`
//!   beside the checkout), with the judged queries and the corpora;
//! - `k2search_model`: the embedding model (`$K2SEARCH_TEST_MODEL`, else
//!   `models/all-MiniLM-L6-v2`, where `scripts/fetch-model.sh` puts it);
//! - `k2search_reranker`: the cross-encoder (`$K2SEARCH_TEST_RERANKER`, else
//!   `models/ms-marco-MiniLM-L-12-v2`, where `scripts/fetch-reranker.sh` puts it);
//! - `k2search_browser`: Debian's chromium (`$CHROMIUM`, else `/usr/bin/chromium`) and
//!   playwright-core in `web/node_modules` (`npm ci` in `web/`), for the search page.
//!
//! In CI (`CI` set, see `.ci/run`) all four are required: the test
//! `ci_has_what_every_test_needs` fails without them. Nothing here changes the library
//! or the binary.

use std::env;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    for var in [
        "K2SEARCH_SHARED",
        "K2SEARCH_TEST_MODEL",
        "K2SEARCH_TEST_RERANKER",
        "CHROMIUM",
    ] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    let from_env = |var: &str, default: PathBuf| env::var_os(var).map_or(default, PathBuf::from);
    let shared = from_env("K2SEARCH_SHARED", root.join("../shared")).join("eval");
    let model = from_env("K2SEARCH_TEST_MODEL", root.join("models/all-MiniLM-L6-v2"))
        .join("model.safetensors");
    let reranker = from_env(
        "K2SEARCH_TEST_RERANKER",
        root.join("models/ms-marco-MiniLM-L-12-v2"),
    )
    .join("model.safetensors");
    let chromium = from_env("CHROMIUM", PathBuf::from("/usr/bin/chromium"));
    let playwright = root.join("web/node_modules/playwright-core");
    for path in [&shared, &model, &reranker, &chromium, &playwright] {
        watch(path, &root);
    }
    cfg("k2search_shared", shared.is_dir());
    cfg("k2search_model", model.is_file());
    cfg("k2search_reranker", reranker.is_file());
    cfg(
        "k2search_browser",
        chromium.is_file() && playwright.is_dir(),
    );
}

/// Declares `name`, and sets it when `on`.
fn cfg(name: &str, on: bool) {
    println!("cargo::rustc-check-cfg=cfg({name})");
    if on {
        println!("cargo::rustc-cfg={name}");
    }
}

/// Reruns this script when `path` changes, or the nearest folder above it that
/// exists, so that the answer follows what arrives; never the checkout itself or a
/// folder above it, whose `target/` changes on every build (the checkout keeps an
/// empty `models/` for this).
fn watch(path: &Path, root: &Path) {
    let Ok(root) = root.canonicalize() else {
        return;
    };
    let watched = path.ancestors().find_map(|p| p.canonicalize().ok());
    if let Some(watched) = watched.filter(|p| !root.starts_with(p)) {
        println!("cargo::rerun-if-changed={}", watched.display());
    }
}
