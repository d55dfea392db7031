//! Criterion benches of the two CPU stages before Tantivy: splitting articles into
//! passages (Markdown, and HTML pages) and analyzing text into tokens. Input: MedQuAD
//! articles read at bench time from the shared folder (`../shared/corpora/medquad`, or
//! `$K2SEARCH_SHARED`); without it the benches say so and measure nothing. The HTML
//! pages are the same articles rendered to HTML inside a page template (head, nav,
//! header, main, footer, script), as a CMS would serve them.
//!
//! `cargo bench --bench pipeline`

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use k2search::analyze;
use k2search::passage;
use k2search::source::{self, Format, Read, SourceFile};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer, TokenStream,
};

/// Articles of the first few MedQuAD sources, about 2 MB.
const SAMPLE_BYTES: usize = 2 << 20;

fn medquad() -> Option<PathBuf> {
    let root = std::env::var_os("K2SEARCH_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let dir = root.join("corpora/medquad");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} not found (set K2SEARCH_SHARED)", dir.display());
        None
    }
}

fn sample() -> Vec<SourceFile> {
    let Some(corpus) = medquad() else {
        return Vec::new();
    };
    let Ok(walk) = source::walk(&corpus) else {
        return Vec::new();
    };
    let paths = walk.files;
    let mut files = Vec::new();
    let mut bytes = 0;
    // Every 8th file: a spread over all sources, not only the first one.
    for path in paths.iter().step_by(8) {
        if let Read::Article(file, _) = source::read(&corpus, path) {
            bytes += file.text.len();
            files.push(file);
        }
        if bytes >= SAMPLE_BYTES {
            break;
        }
    }
    files
}

/// `file` rendered as an HTML page of a health site.
fn html_page(file: &SourceFile) -> SourceFile {
    let body = file.text.splitn(3, "---").last().unwrap_or(&file.text);
    let mut article = String::new();
    pulldown_cmark::html::push_html(&mut article, pulldown_cmark::Parser::new(body));
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{} | Example Health</title>\n\
         <meta name=\"description\" content=\"Health information.\">\n\
         <script>window.dataLayer = [];</script>\n</head>\n<body>\n\
         <header><a href=\"/\">Example Health</a><nav><a href=\"/a-z\">A-Z</a></nav></header>\n\
         <main>\n<article>\n{article}</article>\n</main>\n\
         <footer><p>&copy; Example Health</p></footer>\n</body>\n</html>\n",
        file.rel_path
    );
    SourceFile::new(&file.rel_path.replace(".md", ".html"), Format::Html, &page)
}

fn pipeline(c: &mut Criterion) {
    let files = sample();
    if files.is_empty() {
        return;
    }

    let mut group = c.benchmark_group("stages");
    group.sample_size(10);
    let pages: Vec<SourceFile> = files.iter().map(html_page).collect();
    for (name, sources) in [("split", &files), ("split_html", &pages)] {
        let bytes: usize = sources.iter().map(|f| f.text.len()).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                sources
                    .iter()
                    .map(|f| passage::split(f).0.passages.len())
                    .sum::<usize>()
            })
        });
    }
    let texts: Vec<String> = files
        .iter()
        .flat_map(|f| passage::split(f).0.passages)
        .map(|p| p.text)
        .collect();
    let text_bytes: usize = texts.iter().map(String::len).sum();
    group.throughput(Throughput::Bytes(text_bytes as u64));
    // The analyzer's stem memo is warm after the first iteration (the same texts each
    // time), as it is for the frequent words of a long indexing run.
    // The health analyzer against tantivy's stock `en_stem` (simple tokenizer, long
    // tokens dropped, lower case, English stemmer) on the same passage texts.
    let en_stem = || {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(Stemmer::new(Language::English))
            .build()
    };
    for (name, mut analyzer) in [
        ("analyze", analyze::analyzer()),
        ("analyze_en_stem", en_stem()),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut tokens = 0;
                for text in &texts {
                    let mut stream = analyzer.token_stream(text);
                    while stream.advance() {
                        tokens += 1;
                    }
                }
                tokens
            })
        });
    }
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
