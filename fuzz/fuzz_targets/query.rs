//! Any string is a query: `QueryPlan::parse` and a search on a small index must never
//! panic; a search either answers or refuses with `Error::BadRequest`.
#![no_main]

use std::sync::OnceLock;

use k2search::index::{self, IndexOptions};
use k2search::search::{QueryPlan, SearchRequest, Searcher};
use k2search::Error;
use libfuzzer_sys::fuzz_target;

/// The searcher over a small temp index, built once per fuzzing process.
fn searcher() -> &'static Searcher {
    static SEARCHER: OnceLock<(tempfile::TempDir, Searcher)> = OnceLock::new();
    let (_, searcher) = SEARCHER.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let corpus = dir.path().join("corpus");
        std::fs::create_dir_all(&corpus).expect("corpus dir");
        std::fs::write(
            corpus.join("warfarin.md"),
            "# Warfarin\n\nWarfarin (Coumadin) thins the blood.\n\n## Interactions\n\nVitamin K2 (MK-7) and \"leafy greens\" change INR; 100-375 mcg daily.\n\n## FAQ\n\n* **Q: Can I take aspirin?** A: Ask your doctor.\n",
        )
        .expect("article");
        std::fs::write(corpus.join("multi.txt"), "Überblick\n\nالوارفارين 华法林 💊 café ñandú.\n").expect("article");
        let opts = IndexOptions {
            threads: 1,
            ..IndexOptions::new(&corpus, dir.path().join("index"))
        };
        index::build(&opts).expect("index build");
        let searcher = Searcher::open(&dir.path().join("index")).expect("open index");
        (dir, searcher)
    });
    searcher
}

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    let plan = QueryPlan::parse(&query);
    // Every word of the query is in its sequence, and no loose word is lost twice.
    assert!(plan.words.len() <= plan.sequence.len());
    let request = SearchRequest {
        limit: 5,
        per_file: data.first().map(|b| usize::from(b % 3) + 1),
        ..SearchRequest::new(query.as_ref())
    };
    match searcher().search(&request) {
        Ok(response) => assert!(response.hits.len() <= 5),
        Err(Error::BadRequest(_)) => {}
        Err(e) => panic!("search failed: {e}"),
    }
});
