//! Open an index and print cited hits: the smallest program that embeds k2search.
//!
//! ```sh
//! k2search index                      # builds ./index from ./corpus
//! cargo run --example search -- warfarin interactions
//! cargo run --example search -- --index /tmp/medquad-index "high blood pressure"
//! ```

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use k2search::output::citation;
use k2search::search::{SearchRequest, Searcher};

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut index = PathBuf::from("index");
    if args.first().map(String::as_str) == Some("--index") && args.len() >= 2 {
        index = PathBuf::from(args.remove(1));
        args.remove(0);
    }
    if args.is_empty() {
        eprintln!("usage: search [--index DIR] QUERY...");
        return ExitCode::from(2);
    }
    match run(&index, &args.join(" ")) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(e.as_ref()) => ExitCode::SUCCESS,
        // Library errors are one line that says what to do.
        Err(e) => {
            eprintln!("search: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(index: &std::path::Path, query: &str) -> Result<(), Box<dyn std::error::Error>> {
    // A Searcher is a cheap handle: clone it into threads or a server's state.
    let searcher = Searcher::open(index)?;
    let request = SearchRequest {
        limit: 5,
        ..SearchRequest::new(query)
    };
    let response = searcher.search(&request)?;
    // Write through a handle, not println!, so `| head` ends the program quietly.
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "{} passages match {:?} ({} ms)",
        response.total_hits, response.query, response.took_ms
    )?;
    let corpus = &searcher.manifest().corpus;
    for hit in &response.hits {
        // The citation: corpus/file.txt:12-30 › Heading › Sub
        let cite = citation(corpus, &hit.passage);
        writeln!(
            out,
            "\n{}. {} [{:.2}]\n   {cite}",
            hit.rank, hit.passage.title, hit.score
        )?;
        let snippet = hit.snippet.split_whitespace().collect::<Vec<_>>().join(" ");
        writeln!(out, "   {snippet}")?;
    }
    Ok(())
}

fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
