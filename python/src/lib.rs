//! `k2search._native`: the k2search engine as a Python extension (PyO3). The Python
//! package `k2search` re-exports it; `k2search/_native.pyi` is its typed surface.
//!
//! Every call into the engine (indexing, searching, reading a passage or the stats)
//! runs with the GIL released, so Python threads search one [`Searcher`] side by side.
//! A hit's text and citation are the library's own: [`k2search::output::citation`], and
//! [`Response::to_json`] is byte for byte the line `k2search query --json` prints.

use std::path::PathBuf;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyIterator, PyList};
use serde::Serialize;

use k2search::index::{self, stats, IndexOptions, IndexReport};
use k2search::output::{self, OutputFormat};
use k2search::search::Mode;
use k2search::{Category, Error, Hit as EngineHit, Passage as EnginePassage, SearchRequest};

create_exception!(
    k2search,
    K2SearchError,
    PyException,
    "A k2search failure; the message is the engine's one line: what, where, what to do."
);
create_exception!(
    k2search,
    BadRequestError,
    K2SearchError,
    "A search argument out of range or unknown (limit, offset, category, mode, query)."
);
create_exception!(
    k2search,
    NoIndexError,
    K2SearchError,
    "There is no k2search index in the folder given."
);

/// The Python exception for an engine error, with its one-line message.
fn raise(e: Error) -> PyErr {
    let message = e.to_string();
    match e {
        Error::BadRequest(_) => BadRequestError::new_err(message),
        Error::NoIndex(_) => NoIndexError::new_err(message),
        _ => K2SearchError::new_err(message),
    }
}

/// A Python object from a value's JSON form (the documented contract, as dicts and
/// lists).
fn json_to_py<'py>(py: Python<'py>, value: &impl Serialize) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_string(value)
        .map_err(|e| K2SearchError::new_err(format!("cannot encode: {e}")))?;
    py.import("json")?.call_method1("loads", (json,))
}

/// A count argument, refused with a one-line message when negative.
fn count(name: &str, value: i64) -> PyResult<usize> {
    usize::try_from(value)
        .map_err(|_| BadRequestError::new_err(format!("{name} must be 0 or more, got {value}")))
}

/// One passage of an article, with everything needed to cite it.
#[pyclass(module = "k2search", name = "Passage", subclass, frozen)]
struct Passage {
    passage: EnginePassage,
    citation: String,
}

impl Passage {
    fn new(passage: EnginePassage, corpus: &str) -> Passage {
        Passage {
            citation: output::citation(corpus, &passage),
            passage,
        }
    }
}

#[pymethods]
impl Passage {
    /// Stable passage id (for `Searcher.passage`).
    #[getter]
    fn id(&self) -> &str {
        &self.passage.id
    }
    /// `corpus/file.md:12-30 › Heading › Sub`: what to cite, as `k2search query` prints it.
    #[getter]
    fn citation(&self) -> &str {
        &self.citation
    }
    /// The source file, relative to the corpus folder.
    #[getter]
    fn path(&self) -> &str {
        &self.passage.path
    }
    /// First line of the passage in the source file (1-based).
    #[getter]
    fn line_start(&self) -> usize {
        self.passage.line_start
    }
    /// Last line (inclusive).
    #[getter]
    fn line_end(&self) -> usize {
        self.passage.line_end
    }
    /// The heading path, outermost first (for a FAQ, the question is last).
    #[getter]
    fn headings(&self) -> Vec<String> {
        self.passage.headings.clone()
    }
    /// The document title.
    #[getter]
    fn title(&self) -> &str {
        &self.passage.title
    }
    /// The clinical category (`dosage`, `interactions`, ..., `overview`).
    #[getter]
    fn category(&self) -> &'static str {
        self.passage.category.as_str()
    }
    /// `section`, `faq` or `intro`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.passage.kind.as_str()
    }
    /// The passage as plain text: what to quote.
    #[getter]
    fn text(&self) -> &str {
        &self.passage.text
    }
    /// The document's front-matter fields other than the title (`url`, `source`, ...).
    #[getter]
    fn metadata(&self) -> std::collections::BTreeMap<String, String> {
        self.passage.metadata.clone()
    }
    /// The source page (front matter `url`), or None.
    #[getter]
    fn url(&self) -> Option<&str> {
        self.passage.metadata.get("url").map(String::as_str)
    }
    /// The document's alternate names.
    #[getter]
    fn aliases(&self) -> Vec<String> {
        self.passage.aliases.clone()
    }
    /// Byte range of the passage in the source file, as (start, end).
    #[getter]
    fn byte_range(&self) -> (usize, usize) {
        (self.passage.byte_start, self.passage.byte_end)
    }
    /// The passage's JSON object (`k2search passages --json`) with its `citation`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        cited_dict(py, &self.passage, &self.citation)
    }
    fn __repr__(&self) -> String {
        format!("<Passage {}>", self.citation)
    }
}

/// `value`'s JSON object as a dict, with `citation` added.
fn cited_dict<'py>(
    py: Python<'py>,
    value: &impl Serialize,
    citation: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let dict = json_to_py(py, value)?;
    dict.set_item("citation", citation)?;
    Ok(dict)
}

/// A ranked passage: every `Passage` attribute, with its rank, score and snippet.
#[pyclass(module = "k2search", name = "Hit", extends = Passage, frozen)]
struct Hit {
    hit: EngineHit,
}

#[pymethods]
impl Hit {
    /// 1-based rank, counting from the request's offset.
    #[getter]
    fn rank(&self) -> usize {
        self.hit.rank
    }
    /// Relevance score (comparable within one response only).
    #[getter]
    fn score(&self) -> f32 {
        self.hit.score
    }
    /// A window of the passage around the matched words, plain text.
    #[getter]
    fn snippet(&self) -> &str {
        &self.hit.snippet
    }
    /// The snippet HTML-escaped, matched words in `<mark>`.
    #[getter]
    fn snippet_html(&self) -> &str {
        &self.hit.snippet_html
    }
    /// Byte ranges of the matched words within `snippet`.
    #[getter]
    fn highlights(&self) -> Vec<(usize, usize)> {
        self.hit.highlights.iter().map(|&[s, e]| (s, e)).collect()
    }
    /// With `explain=True`: the query words this passage matched, how and where.
    #[getter]
    fn matched<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.hit.matched)
    }
    /// With `explain=True`: why the passage was lifted above its text score.
    #[getter]
    fn lifted(&self) -> Vec<String> {
        self.hit.lifted.clone()
    }
    /// With `explain=True` in hybrid ranking: the share of the score from vectors.
    #[getter]
    fn semantic(&self) -> Option<f32> {
        self.hit.semantic
    }
    /// The hit's JSON object, as in `k2search query --json`, with its `citation`.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let citation = &slf.as_super().get().citation;
        cited_dict(slf.py(), &slf.get().hit, citation)
    }
    fn __repr__(slf: &Bound<'_, Self>) -> String {
        let hit = slf.get();
        let citation = &slf.as_super().get().citation;
        format!("<Hit {} [{:.2}] {citation}>", hit.hit.rank, hit.hit.score)
    }
}

/// The answer to a search: its hits, best first, and how the query was read.
#[pyclass(module = "k2search", name = "Response", frozen)]
struct Response {
    response: k2search::SearchResponse,
    corpus: String,
    hits: Py<PyList>,
}

#[pymethods]
impl Response {
    /// The hits, best first.
    #[getter]
    fn hits(&self, py: Python<'_>) -> Py<PyList> {
        self.hits.clone_ref(py)
    }
    /// The query as given.
    #[getter]
    fn query(&self) -> &str {
        &self.response.query
    }
    /// Passages matching the query (before duplicates are dropped and limits applied).
    #[getter]
    fn total_hits(&self) -> usize {
        self.response.total_hits
    }
    /// Time spent searching, in milliseconds.
    #[getter]
    fn took_ms(&self) -> f64 {
        self.response.took_ms
    }
    /// The request's offset.
    #[getter]
    fn offset(&self) -> usize {
        self.response.offset
    }
    /// The request's limit.
    #[getter]
    fn limit(&self) -> usize {
        self.response.limit
    }
    /// How the hits were ranked: `hybrid` (text and vectors) or `lexical`.
    #[getter]
    fn mode(&self) -> &'static str {
        match self.response.mode {
            Mode::Hybrid => "hybrid",
            Mode::Lexical => "lexical",
        }
    }
    /// When words were corrected: the query that was searched, else None.
    #[getter]
    fn corrected(&self) -> Option<&str> {
        self.response.corrected.as_deref()
    }
    /// How the query was analysed (foci, question types, words and weights), or None.
    #[getter]
    fn analysis<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.response.analysis)
    }
    /// The response as `k2search query --json` prints it (one line, no newline).
    fn to_json(&self) -> PyResult<String> {
        let mut out = Vec::with_capacity(4096);
        output::print_response(&mut out, &self.response, &self.corpus, OutputFormat::Json)
            .map_err(|e| K2SearchError::new_err(format!("cannot encode the response: {e}")))?;
        out.pop();
        String::from_utf8(out).map_err(|e| K2SearchError::new_err(e.to_string()))
    }
    fn __len__(&self, py: Python<'_>) -> usize {
        self.hits.bind(py).len()
    }
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyIterator>> {
        self.hits.bind(py).try_iter()
    }
    fn __getitem__<'py>(&self, py: Python<'py>, index: isize) -> PyResult<Bound<'py, PyAny>> {
        self.hits.bind(py).as_any().get_item(index)
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "<Response {:?}: {} hits of {}>",
            self.response.query,
            self.hits.bind(py).len(),
            self.response.total_hits
        )
    }
}

impl Response {
    fn new(py: Python<'_>, response: k2search::SearchResponse, corpus: String) -> PyResult<Self> {
        let hits = PyList::empty(py);
        for hit in &response.hits {
            let base = Passage::new(hit.passage.clone(), &corpus);
            let init = PyClassInitializer::from(base).add_subclass(Hit { hit: hit.clone() });
            hits.append(Bound::new(py, init)?)?;
        }
        Ok(Response {
            response,
            corpus,
            hits: hits.unbind(),
        })
    }
}

/// An open index to search. Cheap to share: one Searcher serves many threads at once
/// (the GIL is released while it works), and it sees new commits of the index within
/// about a second.
#[pyclass(module = "k2search", name = "Searcher", frozen)]
struct Searcher {
    searcher: k2search::Searcher,
}

#[pymethods]
impl Searcher {
    /// Opens the index in the folder `index`; `model` is the embedding model folder for
    /// hybrid ranking (default: the one the index was built with, if any).
    #[new]
    #[pyo3(signature = (index, model=None))]
    fn new(py: Python<'_>, index: PathBuf, model: Option<PathBuf>) -> PyResult<Self> {
        let searcher = py
            .detach(|| {
                let searcher = k2search::Searcher::open(&index)?;
                match model {
                    Some(dir) => searcher.with_model(&dir),
                    None => Ok(searcher),
                }
            })
            .map_err(raise)?;
        Ok(Searcher { searcher })
    }

    /// Searches: the best `limit` passages after `offset`, only of `category` if given,
    /// at most `per_file` from one file; `mode` is "hybrid" (the default: text and
    /// vectors when the index has them) or "lexical"; `explain` fills `Hit.matched`.
    #[pyo3(signature = (q, limit=10, offset=0, category=None, per_file=None, mode=None, explain=false))]
    #[allow(clippy::too_many_arguments)]
    fn search(
        &self,
        py: Python<'_>,
        q: String,
        limit: i64,
        offset: i64,
        category: Option<&str>,
        per_file: Option<i64>,
        mode: Option<&str>,
        explain: bool,
    ) -> PyResult<Response> {
        let request = SearchRequest {
            query: q,
            limit: count("limit", limit)?,
            offset: count("offset", offset)?,
            category: category
                .map(Category::parse_or_list)
                .transpose()
                .map_err(BadRequestError::new_err)?,
            per_file: per_file.map(|n| count("per_file", n)).transpose()?,
            explain,
            mode: match mode {
                None => Mode::default(),
                Some(name) => Mode::parse(name).ok_or_else(|| {
                    BadRequestError::new_err(format!(
                        "unknown mode {name:?}; use hybrid or lexical"
                    ))
                })?,
            },
            // Prefix search on, no facets or filters: the library's defaults.
            ..SearchRequest::default()
        };
        let response = py
            .detach(|| self.searcher.search(&request))
            .map_err(raise)?;
        Response::new(py, response, self.searcher.manifest().corpus.clone())
    }

    /// The passage with this id (a hit's `id`), or None.
    fn passage(&self, py: Python<'_>, id: &str) -> PyResult<Option<Passage>> {
        let found = py.detach(|| self.searcher.passage(id)).map_err(raise)?;
        let corpus = &self.searcher.manifest().corpus;
        Ok(found.map(|p| Passage::new(p, corpus)))
    }

    /// The index's statistics, as `GET /stats` gives them: files, passages,
    /// index_bytes, built_at, version, corpus, categories, category_labels, model.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stats = py
            .detach(|| stats::stats(self.searcher.dir()))
            .map_err(raise)?;
        json_to_py(py, &stats)
    }

    /// The index folder.
    #[getter]
    fn index(&self) -> PathBuf {
        self.searcher.dir().to_path_buf()
    }

    fn __repr__(&self) -> String {
        format!("<Searcher {}>", self.searcher.dir().display())
    }
}

/// What an index run did.
#[pyclass(module = "k2search", name = "IndexSummary", frozen, get_all)]
struct IndexSummary {
    /// Article files in the corpus.
    files: usize,
    /// Files (re)indexed in this run.
    files_indexed: usize,
    /// Files unchanged since the last run.
    files_unchanged: usize,
    /// Files whose passages were removed because they are gone.
    files_removed: usize,
    /// Corpus entries not indexed (unsupported type, hidden, binary, empty...).
    files_skipped: usize,
    /// Passages in the index after the run.
    passages: usize,
    /// Passages added in this run.
    passages_added: usize,
    /// Passages embedded in this run.
    passages_embedded: usize,
    /// The embedding model's name, when the index has vectors.
    model: Option<String>,
    /// Wall time in seconds.
    seconds: f64,
    /// Whether anything was committed.
    changed: bool,
    /// Problems with single files, one line each (naming the file and line).
    warnings: Vec<String>,
    /// The one-line summary `k2search index` prints.
    summary: String,
}

#[pymethods]
impl IndexSummary {
    fn __str__(&self) -> &str {
        &self.summary
    }
    fn __repr__(&self) -> String {
        format!("<IndexSummary {}>", self.summary)
    }
}

impl IndexSummary {
    fn new(report: IndexReport, index: &std::path::Path) -> IndexSummary {
        IndexSummary {
            summary: output::index_summary(&report, index),
            files: report.files,
            files_indexed: report.files_indexed,
            files_unchanged: report.files_unchanged,
            files_removed: report.files_removed,
            files_skipped: report.files_skipped,
            passages: report.passages,
            passages_added: report.passages_added,
            passages_embedded: report.passages_embedded,
            model: report.model,
            seconds: report.seconds,
            changed: report.changed,
            warnings: report.warnings.iter().map(ToString::to_string).collect(),
        }
    }
}

/// Builds or updates the index of the articles in `corpus` in the folder `index`
/// (incremental: only changed files are re-read; `rebuild=True` re-reads all). With
/// `model`, every passage also gets a vector for hybrid ranking.
#[pyfunction]
#[pyo3(name = "index", signature = (corpus, index, model=None, rebuild=false))]
fn build_index(
    py: Python<'_>,
    corpus: PathBuf,
    index: PathBuf,
    model: Option<PathBuf>,
    rebuild: bool,
) -> PyResult<IndexSummary> {
    let opts = IndexOptions {
        model,
        rebuild,
        ..IndexOptions::new(&corpus, &index)
    };
    let report = py.detach(|| index::build(&opts)).map_err(raise)?;
    Ok(IndexSummary::new(report, &index))
}

/// Full-text search over health articles, with citations (the k2search engine).
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(build_index, m)?)?;
    m.add_class::<Searcher>()?;
    m.add_class::<Response>()?;
    m.add_class::<Passage>()?;
    m.add_class::<Hit>()?;
    m.add_class::<IndexSummary>()?;
    m.add("K2SearchError", py.get_type::<K2SearchError>())?;
    m.add("BadRequestError", py.get_type::<BadRequestError>())?;
    m.add("NoIndexError", py.get_type::<NoIndexError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
