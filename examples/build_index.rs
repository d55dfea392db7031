//! Build an index from a folder of your own articles (Markdown or plain text), then
//! search it. Updates are incremental: run it again after editing a file and only that
//! file is re-indexed; a running `k2search serve` on the same index picks the change up.
//!
//! ```sh
//! cargo run --example build_index -- ~/my-articles /tmp/my-index
//! cargo run --example build_index          # writes a tiny sample corpus to a temp dir
//! ```

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use k2search::index::{self, IndexOptions};
use k2search::output::citation;
use k2search::search::{SearchRequest, Searcher};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("build_index: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let (corpus, index_dir) = match (args.next(), args.next()) {
        (Some(corpus), Some(index_dir)) => (corpus, index_dir),
        (Some(_), None) => return Err("usage: build_index [CORPUS_DIR INDEX_DIR]".into()),
        _ => sample_corpus()?,
    };

    let options = IndexOptions {
        // Re-read every file instead of only the changed ones.
        rebuild: false,
        ..IndexOptions::new(&corpus, &index_dir)
    };
    let report = index::build(&options)?;
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    println!(
        "{} files, {} passages ({} files indexed, {} unchanged) in {:.2}s -> {}",
        report.files,
        report.passages,
        report.files_indexed,
        report.files_unchanged,
        report.seconds,
        index_dir.display()
    );

    let searcher = Searcher::open(&index_dir)?;
    let response = searcher.search(&SearchRequest::new("dose"))?;
    for hit in response.hits.iter().take(3) {
        println!("{}", citation("", &hit.passage));
    }
    Ok(())
}

/// Writes two small articles to a fresh temporary folder: (corpus, index) paths.
fn sample_corpus() -> std::io::Result<(PathBuf, PathBuf)> {
    let root = std::env::temp_dir().join(format!("k2search-example-{}", std::process::id()));
    let corpus = root.join("corpus");
    fs::create_dir_all(&corpus)?;
    fs::write(
        corpus.join("magnesium.md"),
        "---\ntitle: Magnesium\naliases: [Mg]\n---\n# Magnesium\n\n## Dosage\n\
         The usual dose for adults is 310 to 420 mg a day.\n\n## Side Effects\n\
         High doses can cause diarrhea.\n",
    )?;
    fs::write(
        corpus.join("iron.txt"),
        "Iron\n\nDosage\nA typical dose is 8 to 18 mg a day.\n\nInteractions\n\
         Iron reduces the absorption of levothyroxine.\n",
    )?;
    Ok((corpus, root.join("index")))
}
