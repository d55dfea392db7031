//! Stage 5: search. A [`Searcher`] answers a [`SearchRequest`] with ranked, cited
//! [`Hit`]s: the query is parsed leniently, scored with BM25 over weighted fields,
//! duplicates (the same text twice) are dropped, and each hit gets a snippet with the
//! matched terms marked.
//!
//! A request goes through these modules in order; each hands the next one value, and
//! none imports a later one:
//!
//! | step | module | value |
//! |---|---|---|
//! | parse the query text | [`query`] | [`QueryPlan`] |
//! | analyse the question (focus, types, word roles) with the word lists of [`words`], the [`lexicon`], [`typo`] corrections and [`prefix`] completions | [`question`] | [`Question`] |
//! | build the text query | [`text_query`] | [`text_query::Built`] |
//! | rerank the best matches (plus [`semantic`] similarity) | [`rerank`] | scored passages |
//! | page, snippets, explanations, facets | this module, [`snippet`], [`explain`], [`facets`] | [`SearchResponse`] |
//!
//! What every step reads is configured in one place, [`params`]: the weights
//! ([`Params`], from `lexicon/ranking.json`) and the techniques that are on
//! ([`Ranking`]).

pub mod cross;
pub mod explain;
pub mod facets;
pub mod lexicon;
pub mod params;
pub mod prefix;
pub mod query;
pub mod question;
pub mod rerank;
pub mod semantic;
pub mod snippet;
pub mod soundness;
pub mod suggest;
pub mod text_query;

pub use snippet::html_escape;
pub mod typo;
pub mod words;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, IndexReader, ReloadPolicy, TantivyDocument, Term};

pub use explain::Match;
pub use facets::{FacetCount, Facets, Filter};
pub use lexicon::Lexicon;
pub use params::{Params, Ranking};
pub use query::QueryPlan;
pub use question::Question;
pub use semantic::Mode;
use semantic::{QueryVectors, Semantic};
pub use soundness::Health;
use soundness::Soundness;
pub use suggest::{Suggestion, SuggestionKind};
pub use text_query::Via;

use crate::error::{Error, Result};
use crate::guard;
use crate::index::{self, Fields, Manifest, OpenIndex};
use crate::passage::{Category, Passage};

/// Largest `limit` a request may ask for.
pub const MAX_LIMIT: usize = 1000;
/// Largest `offset` a request may ask for: a page that deep fetches three text
/// matches per hit before it.
pub const MAX_OFFSET: usize = 100_000;
/// Most facets, and most filters, one request may ask for.
pub const MAX_FACETS: usize = 16;
/// Longest query text accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;

/// Decompressed blocks of stored passages kept per segment (16 KiB each at most:
/// up to 16 MiB a segment). A hit's passage is read from its block; with Tantivy's 100
/// blocks, most reads of a MedQuAD-sized index decompressed a block again.
const DOC_STORE_CACHE_BLOCKS: usize = 1024;

/// Field names in the order of [`text_query::weighted_fields`].
const FIELD_NAMES: [&str; 4] = ["title", "headings", "aliases", "body"];

/// A search: the query and how to shape the results.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchRequest {
    /// The query text, as a user typed it.
    pub query: String,
    /// Hits to return.
    pub limit: usize,
    /// Hits to skip (for pagination).
    pub offset: usize,
    /// Only passages of this category (`section` in older JSON).
    #[serde(alias = "section")]
    pub category: Option<Category>,
    /// At most this many hits from one file.
    pub per_file: Option<usize>,
    /// Explain each hit: which query words matched, how, and where.
    pub explain: bool,
    /// Hybrid (the default: text and vector similarity, when the index has vectors)
    /// or lexical.
    pub mode: Mode,
    /// Prefix search (on by default): the word being typed, the query's last when
    /// nothing follows it, also matches as the start of indexed terms, below exact
    /// matches ([`prefix`]).
    pub prefix: bool,
    /// Facet counts to return: `category` and front-matter field names ([`facets`]).
    pub facets: Vec<String>,
    /// Only passages whose document has each of these front-matter values (ANDed).
    pub filters: Vec<Filter>,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            query: String::new(),
            limit: 10,
            offset: 0,
            category: None,
            per_file: None,
            explain: false,
            mode: Mode::Hybrid,
            prefix: true,
            facets: Vec::new(),
            filters: Vec::new(),
        }
    }
}

impl SearchRequest {
    /// A request for `query` with default settings.
    pub fn new(query: impl Into<String>) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            ..SearchRequest::default()
        }
    }

    /// Checks the limits a caller can break.
    pub fn validate(&self) -> Result<()> {
        if self.limit == 0 || self.limit > MAX_LIMIT {
            return Err(Error::BadRequest(format!(
                "limit must be between 1 and {MAX_LIMIT}, got {}",
                self.limit
            )));
        }
        if self.offset > MAX_OFFSET {
            return Err(Error::BadRequest(format!(
                "offset must be at most {MAX_OFFSET}, got {}",
                self.offset
            )));
        }
        if self.query.len() > MAX_QUERY_BYTES {
            return Err(Error::BadRequest(format!(
                "query is {} bytes; the limit is {MAX_QUERY_BYTES}",
                self.query.len()
            )));
        }
        if self.per_file == Some(0) {
            return Err(Error::BadRequest("per_file must be at least 1".into()));
        }
        if self.facets.len() > MAX_FACETS || self.filters.len() > MAX_FACETS {
            return Err(Error::BadRequest(format!(
                "at most {MAX_FACETS} facets and {MAX_FACETS} filters, got {} and {}",
                self.facets.len(),
                self.filters.len()
            )));
        }
        if self.facets.iter().any(|f| f.trim().is_empty()) {
            return Err(Error::BadRequest(
                "a facet name is empty; name fields as facets=category,source".into(),
            ));
        }
        Ok(())
    }
}

/// One ranked passage with its citation: the [`Passage`] as indexed (its fields inline
/// in JSON, the same names and meanings as `passages --json`), its rank and score, and
/// a snippet around the matched words. This is the JSON contract of `query --json` and
/// of the HTTP API:
///
/// | field | JSON type | meaning |
/// |---|---|---|
/// | `rank` | integer | 1-based rank, counting from the request's offset |
/// | `score` | number | relevance score, comparable within one response only |
/// | `id` … `metadata` | | every field of [`Passage`], inline |
/// | `snippet` | string | a window of the passage around the matched words |
/// | `snippet_html` | string | the snippet HTML-escaped, matched words in `<mark>` |
/// | `highlights` | array of [start, end] | byte ranges of matched words in `snippet` |
/// | `matched` | array of objects | with `explain` only: [`Match`] |
/// | `lifted` | array of strings | with `explain` only: why it was lifted |
/// | `semantic` | number | with `explain` in hybrid ranking only: the vector share |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// 1-based rank (counting from the request's offset).
    pub rank: usize,
    /// Relevance score (higher is better; comparable within one response only).
    pub score: f32,
    /// The passage, with its citation (`path`, `headings`, `line_start`, `line_end`).
    #[serde(flatten)]
    pub passage: Passage,
    /// A window of the passage around the matched terms, plain text.
    pub snippet: String,
    /// The snippet HTML-escaped, with matched terms in `<mark>`.
    pub snippet_html: String,
    /// Byte ranges of matched terms within `snippet`.
    pub highlights: Vec<[usize; 2]>,
    /// With `explain`: the query terms this passage matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matched: Vec<Match>,
    /// With `explain`: why the passage was lifted above its text score (`focus`,
    /// `focus_part`, `category`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lifted: Vec<String>,
    /// With `explain`, in hybrid ranking: the share of `score` that similarity by
    /// vector gave (0 to 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semantic: Option<f32>,
}

/// The answer to a [`SearchRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResponse {
    /// The query as given.
    pub query: String,
    /// Time spent searching, in milliseconds.
    pub took_ms: f64,
    /// Passages matching the query (before duplicates are removed and limits applied).
    pub total_hits: usize,
    /// The request's offset.
    pub offset: usize,
    /// The request's limit.
    pub limit: usize,
    /// How the hits were ranked: `hybrid` (text and vectors) or `lexical`.
    pub mode: Mode,
    /// When words were corrected: the query that was searched ("showing results for").
    pub corrected: Option<String>,
    /// The hits, best first.
    pub hits: Vec<Hit>,
    /// With facets requested: for each field named, the values of the passages the
    /// text query matches (all of them, not only this page), most frequent first.
    #[serde(default, skip_serializing_if = "Facets::is_empty")]
    pub facets: Facets,
    /// How the query was analysed: its foci, the question types, the words and their
    /// weights (absent for an empty query).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Question>,
}

/// Adds the passages nearest the query by vector (of the requested category and
/// filtered values, if any) to the text matches, with a text score of 0.
fn add_nearest(
    searcher: &tantivy::Searcher,
    vectors: &QueryVectors,
    params: &Params,
    request: &SearchRequest,
    top: &mut Vec<(f32, DocAddress)>,
) {
    let (by_category, by_meta): (Vec<&Filter>, Vec<&Filter>) = request
        .filters
        .iter()
        .partition(|f| f.field == facets::CATEGORY);
    let categories: Vec<Category> = request
        .category
        .into_iter()
        .chain(
            by_category
                .iter()
                .filter_map(|f| Category::parse_or_list(&f.value).ok()),
        )
        .collect();
    let columns = (!categories.is_empty()).then(|| rerank::category_columns(searcher));
    let meta = (!by_meta.is_empty()).then(|| facets::FilterColumns::new(searcher, &by_meta));
    let keep = |address: DocAddress| {
        let category_ok = columns.as_ref().is_none_or(|columns| {
            let of = rerank::category_of(columns, address);
            categories.iter().all(|c| of == Some(*c))
        });
        category_ok && meta.as_ref().is_none_or(|m| m.matches(address))
    };
    let found: HashSet<DocAddress> = top.iter().map(|t| t.1).collect();
    for (_, address) in vectors
        .set
        .nearest(&vectors.sims, params.semantic_pool, keep)
    {
        if !found.contains(&address) {
            top.push((0.0, address));
        }
    }
}

/// Text matches fetched for a page reaching hit `wanted` (offset plus limit): three
/// per hit plus twenty, so that the page still fills when repeated texts and the
/// per-file cap drop some; never fewer than the rerank `window`.
fn text_depth(wanted: usize, window: usize) -> usize {
    (wanted * 3 + 20).max(window)
}

/// The best matches of a text query, with how many passages match and their facet
/// counts.
struct TextMatches {
    top: Vec<(f32, DocAddress)>,
    total: usize,
    facets: Facets,
}

/// Reranked matches of one query, with the query that found them.
/// What the text searches of a query found, before fusion.
struct Text {
    built: text_query::Built,
    analysed: TextMatches,
    plain: Vec<(f32, DocAddress)>,
    question: Question,
}

struct Ranked {
    built: text_query::Built,
    hits: Vec<(f32, tantivy::DocAddress, rerank::Lifts)>,
    total: usize,
    facets: Facets,
}

/// The index's vocabulary, as question analysis asks for it. Document frequencies
/// are asked for several times per word, so they are kept for the query's duration.
struct IndexVocabulary<'a> {
    searcher: &'a tantivy::Searcher,
    fields: &'a Fields,
    doc_freqs: std::cell::RefCell<HashMap<String, u64>>,
    /// The word being typed, when it has completions: it is known (as often as its
    /// most frequent completion), not a misspelling to correct.
    typing: Option<&'a prefix::Completions>,
}

impl question::Vocabulary for IndexVocabulary<'_> {
    fn topic(&self, key: &str) -> Option<question::TopicMatch> {
        let has = |field| {
            self.searcher
                .doc_freq(&Term::from_field_text(field, key))
                .is_ok_and(|n| n > 0)
        };
        if has(self.fields.topic) {
            Some(question::TopicMatch::Whole)
        } else if has(self.fields.topic_part) {
            Some(question::TopicMatch::Part)
        } else {
            None
        }
    }

    fn doc_freq(&self, term: &str) -> u64 {
        if let Some(&n) = self.doc_freqs.borrow().get(term) {
            return n;
        }
        if let Some(typing) = self.typing.filter(|t| t.term == term) {
            let completed = typing.terms.first().map_or(0, |t| t.1);
            return typing.freq.max(completed);
        }
        let n = self
            .fields
            .text()
            .into_iter()
            .filter_map(|field| {
                self.searcher
                    .doc_freq(&Term::from_field_text(field, term))
                    .ok()
            })
            .max()
            .unwrap_or(0);
        self.doc_freqs.borrow_mut().insert(term.to_string(), n);
        n
    }

    fn num_docs(&self) -> u64 {
        self.searcher.num_docs()
    }

    fn correct(&self, term: &str, surface: &str) -> Option<String> {
        let budget = typo::max_distance(surface.chars().count());
        typo::correct(
            self.searcher,
            &[self.fields.title, self.fields.body],
            term,
            budget,
        )
    }
}

/// A handle on an open index for searching: cheap to clone and share between threads.
/// It sees new commits (from `k2search index`) on its own, within about a second.
#[derive(Clone)]
pub struct Searcher {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    open: OpenIndex,
    reader: IndexReader,
    lexicon: Lexicon,
    ranking: Ranking,
    params: Params,
    semantic: Arc<Semantic>,
    /// The cross-encoder that re-ranks the best candidates, when given one.
    cross: Option<Arc<crate::embed::CrossEncoder>>,
    soundness: Arc<Soundness>,
    /// The names suggestions are made from, with the commit they were read from.
    names: Arc<NamesCache>,
    /// Searches running now (in every clone of the searcher): the plain ranking gets a
    /// thread of its own only while there are fewer than cores.
    running: Arc<std::sync::atomic::AtomicUsize>,
}

/// The names suggestions are made from, with the commit they were read from.
type NamesCache = std::sync::Mutex<Option<(u64, Arc<suggest::Names>)>>;

impl Searcher {
    /// Opens the index in `dir` for searching. Its checksums are verified first (on a
    /// background thread for a big index; see [`Health`]): a damaged index is
    /// [`Error::Damaged`], here or in the searches after.
    pub fn open(dir: &Path) -> Result<Searcher> {
        Searcher::open_inner(dir, false)
    }

    /// [`Searcher::open`] for a process that searches hybrid at once (the CLI's
    /// query): when the index has vectors, its model starts loading on another thread
    /// before the rest of the opening (the bundled lexicon) runs, and the first hybrid
    /// search waits for it. A model that fails to load fails that search, as with
    /// [`Searcher::open`]. The windows' vectors are read as passages are scored, and an
    /// index too big to verify at open is not verified in the background (the process
    /// would exit first; `k2search check` verifies it).
    pub fn open_loading_model(dir: &Path) -> Result<Searcher> {
        Searcher::open_inner(dir, true)
    }

    fn open_inner(dir: &Path, once: bool) -> Result<Searcher> {
        let open = index::open(dir)?;
        let reader: IndexReader = guard::catch(dir, || {
            open.index
                .reader_builder()
                // A process that searches once has nothing to follow: a watcher would
                // only reload the index it just opened (a new generation, whose vectors
                // the model's thread did not load).
                .reload_policy(match once {
                    true => ReloadPolicy::Manual,
                    false => ReloadPolicy::OnCommitWithDelay,
                })
                .doc_store_cache_num_blocks(DOC_STORE_CACHE_BLOCKS)
                .try_into()
                .map_err(|e| Error::tantivy(dir, e))
        })?;
        let soundness = if once {
            Soundness::once(dir)
        } else {
            Soundness::new(dir)
        };
        soundness.ensure(reader.searcher().generation().generation_id(), &open.index)?;
        let semantic = Arc::new(if once {
            Semantic::one_shot()
        } else {
            Semantic::default()
        });
        if let Some(info) = open.manifest.model.as_ref().filter(|_| once) {
            semantic.load_in_background(reader.searcher(), info, dir);
        }
        Ok(Searcher {
            inner: Arc::new(Inner {
                open,
                reader,
                lexicon: Lexicon::bundled(),
                ranking: Ranking::ALL,
                params: Params::default(),
                semantic,
                cross: None,
                soundness,
                names: Arc::default(),
                running: Arc::default(),
            }),
        })
    }

    /// The same index searched with other synonym groups (`--synonyms FILE`) in
    /// place of the bundled ones (`lexicon/synonyms.txt` and the generated condition
    /// names). Brand drug names keep reaching their generic names through the bundled
    /// drug table (`lexicon/drugs.tsv`), which is not part of a [`Lexicon`]; the
    /// `drugs` technique ([`Ranking`]) switches it off.
    pub fn with_synonyms(self, lexicon: Lexicon) -> Searcher {
        self.rebuild_inner(|inner| inner.lexicon = lexicon)
    }

    /// The same index searched with some ranking techniques switched off.
    pub fn with_ranking(self, ranking: Ranking) -> Searcher {
        self.rebuild_inner(|inner| inner.ranking = ranking)
    }

    /// The same index searched with other ranking weights.
    pub fn with_params(self, params: Params) -> Searcher {
        self.rebuild_inner(|inner| inner.params = params)
    }

    /// The same index searched with the embedding model in `dir` (by default, hybrid
    /// searches load the model the index records, or [`crate::embed::MODEL_ENV`]'s).
    /// Fails when the index has vectors from another model.
    pub fn with_model(self, dir: &Path) -> Result<Searcher> {
        let semantic = self.inner.semantic.with_model_dir(Some(dir.to_path_buf()));
        if let Some(info) = &self.manifest().model {
            semantic.model(info, self.dir())?;
        }
        Ok(self.rebuild_inner(|inner| inner.semantic = Arc::new(semantic)))
    }

    /// The same index searched with its best candidates re-ranked by a cross-encoder
    /// ([`cross`]): [`Params::rerank_depth`] of them per search, whatever the page.
    pub fn with_reranker(self, cross: Arc<crate::embed::CrossEncoder>) -> Searcher {
        self.rebuild_inner(|inner| inner.cross = Some(cross))
    }

    /// Whether searches rank hybrid by default: the index has vectors, semantic
    /// ranking is on, and this build can embed a query (feature `embed`).
    pub fn is_hybrid(&self) -> bool {
        cfg!(feature = "embed") && self.inner.ranking.semantic && self.manifest().model.is_some()
    }

    fn rebuild_inner(self, change: impl FnOnce(&mut Inner)) -> Searcher {
        let mut inner = Inner::clone(&self.inner);
        change(&mut inner);
        Searcher {
            inner: Arc::new(inner),
        }
    }

    /// The manifest the index was opened with.
    pub fn manifest(&self) -> &Manifest {
        &self.inner.open.manifest
    }

    /// The index folder.
    pub fn dir(&self) -> &Path {
        &self.inner.open.dir
    }

    fn fields(&self) -> &Fields {
        &self.inner.open.fields
    }

    /// Verify the index's checksums again (in the background) once the last
    /// verification is `every` old (default [`soundness::REVERIFY_AFTER`]). For every
    /// clone of this searcher.
    pub fn reverify_every(&self, every: std::time::Duration) {
        self.inner.soundness.reverify_every(every);
    }

    /// Whether the index is sound, as far as is known: verified, being verified, or
    /// damaged (a checksum failed, or a search failed inside the engine). A new commit
    /// is verified afresh, so a damaged index that is rebuilt is healthy again.
    pub fn health(&self) -> Health {
        let _ = self.guarded(|_| Ok(()));
        self.inner.soundness.health()
    }

    /// Runs index work on the current commit, unless it is known to be damaged; a
    /// panic inside the engine becomes [`Error::Damaged`] and marks the commit damaged.
    fn guarded<T>(&self, work: impl FnOnce(&tantivy::Searcher) -> Result<T>) -> Result<T> {
        let searcher = self.inner.reader.searcher();
        let generation = searcher.generation().generation_id();
        let soundness = &self.inner.soundness;
        soundness.ensure(generation, &self.inner.open.index)?;
        let result = guard::catch(self.dir(), || work(&searcher));
        if let Err(Error::Damaged { problem, .. }) = &result {
            soundness.mark(generation, problem);
        }
        result
    }

    /// Runs a search.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse> {
        request.validate()?;
        self.guarded(|searcher| self.search_in(searcher, request))
    }

    fn search_in(
        &self,
        searcher: &tantivy::Searcher,
        request: &SearchRequest,
    ) -> Result<SearchResponse> {
        let started = Instant::now();
        let mut response = SearchResponse {
            query: request.query.clone(),
            took_ms: 0.0,
            total_hits: 0,
            offset: request.offset,
            limit: request.limit,
            mode: Mode::Lexical,
            corrected: None,
            hits: Vec::new(),
            facets: Facets::new(),
            analysis: None,
        };
        let names = request.facets.iter().map(|f| ("facet", f.as_str()));
        let filtered = request.filters.iter().map(|f| ("filter", f.field.as_str()));
        facets::check_names(searcher, self.fields().meta, names.chain(filtered))?;
        let mut plan = QueryPlan::parse(&request.query);
        if plan.is_empty() {
            response.facets = request
                .facets
                .iter()
                .map(|f| (f.clone(), Vec::new()))
                .collect();
            response.took_ms = elapsed_ms(started);
            return Ok(response);
        }
        let depth = text_depth(request.offset + request.limit, self.inner.params.pool);
        let model = match &self.manifest().model {
            Some(info) if self.is_hybrid() && request.mode == Mode::Hybrid => Some(info),
            _ => None,
        };
        // A hybrid search embeds its query on a core of its own while the text searches
        // run on this one, when a core is spare (see `Running`); the text searches then
        // run one after the other, as they do when the cores are busy.
        let running = Running::start(&self.inner.running);
        let spare = running.spare_core();
        let embed = |info| {
            guard::quietly(|| {
                self.inner.semantic.query(
                    searcher,
                    info,
                    self.dir(),
                    &request.query,
                    &self.inner.params,
                    spare,
                )
            })
        };
        let (vectors, text) = match model {
            Some(info) if spare => {
                let (vectors, text) = crate::embed::alongside(
                    || embed(info),
                    || self.text(searcher, &plan, request, depth, false),
                );
                (Some(vectors?), text)
            }
            Some(info) => (
                Some(embed(info)?),
                self.text(searcher, &plan, request, depth, false),
            ),
            None => (None, self.text(searcher, &plan, request, depth, spare)),
        };
        drop(running);
        if vectors.is_some() {
            response.mode = Mode::Hybrid;
        }
        let vectors = vectors.as_ref();
        let (mut ranked, mut analysis) = self.fuse(searcher, request, text?, vectors);
        if ranked.hits.is_empty() && !plan.phrases.is_empty() {
            // Quoted words that never stand together: search the words alone.
            plan = QueryPlan::loose(&request.query);
            let text = self.text(searcher, &plan, request, depth, false)?;
            (ranked, analysis) = self.fuse(searcher, request, text, vectors);
        }
        if let Some(cross) = &self.inner.cross {
            cross::rerank(
                searcher,
                self.fields(),
                self.dir(),
                cross,
                &request.query,
                &self.inner.params,
                &mut ranked.hits,
            )?;
        }
        response.total_hits = ranked.total;
        response.facets = std::mem::take(&mut ranked.facets);
        self.fill_hits(searcher, request, &ranked, &analysis, &mut response)?;
        let corrections: Vec<(String, String)> = analysis
            .words
            .iter()
            .filter_map(|w| Some((w.word.clone(), w.corrected.clone()?)))
            .collect();
        if !corrections.is_empty() {
            response.corrected = Some(corrected_query(
                &request.query,
                &corrections,
                &response.hits,
            ));
        }
        response.analysis = Some(analysis);
        response.took_ms = elapsed_ms(started);
        Ok(response)
    }

    /// Analyses the question and runs the text queries: the analysed one for its best
    /// `depth` matches, and the plain one (see [`Searcher::plain_matches`]) for its
    /// best [`Params::pool`], on a second thread when `spare_core`.
    fn text(
        &self,
        searcher: &tantivy::Searcher,
        plan: &QueryPlan,
        request: &SearchRequest,
        depth: usize,
        spare_core: bool,
    ) -> Result<Text> {
        let inner = &self.inner;
        let pool = inner.params.pool;
        let completions = self.completions(searcher, plan, request);
        let vocabulary = IndexVocabulary {
            searcher,
            fields: self.fields(),
            doc_freqs: Default::default(),
            typing: completions.as_ref(),
        };
        let question = question::analyze(
            plan,
            &request.query,
            &vocabulary,
            &inner.lexicon,
            &inner.ranking,
            &inner.params,
        );
        let inputs = text_query::QueryInputs {
            plan,
            question: &question,
            fields: self.fields(),
            lexicon: &inner.lexicon,
            ranking: &inner.ranking,
            params: &inner.params,
            completions: completions.as_ref(),
            num_docs: searcher.num_docs(),
            filters: &request.filters,
        };
        let built = text_query::build(&inputs, request.category);
        // The plain ranking is a second text search: it runs on a thread of its own
        // while this one runs the analysed query, so fusion costs little latency;
        // when searches already keep every core busy (a loaded server), a thread more
        // gains nothing and costs its start, so it runs after it instead.
        let (analysed, plain) = match self.plain_ranking() {
            Some(plain_ranking) if spare_core => std::thread::scope(|scope| {
                let plain = scope.spawn(|| {
                    guard::quietly(|| {
                        self.plain_matches(searcher, &inputs, &plain_ranking, request, pool)
                    })
                });
                let analysed = self.run_text(searcher, &built, depth, &request.facets);
                let plain = plain
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (analysed, plain)
            }),
            Some(plain_ranking) => (
                self.run_text(searcher, &built, depth, &request.facets),
                self.plain_matches(searcher, &inputs, &plain_ranking, request, pool),
            ),
            None => (
                self.run_text(searcher, &built, depth, &request.facets),
                Ok(Vec::new()),
            ),
        };
        Ok(Text {
            built,
            analysed: analysed?,
            plain: plain?,
            question,
        })
    }

    /// Reranks the best text matches with the query's similarities when there are
    /// some: the first [`Params::pool`] (the rerank window, the same whatever the page
    /// asked for, so that a page never depends on the limit) with the nearest
    /// passages added, followed by the rest of the best `depth` text matches in text
    /// order.
    fn fuse(
        &self,
        searcher: &tantivy::Searcher,
        request: &SearchRequest,
        text: Text,
        vectors: Option<&QueryVectors>,
    ) -> (Ranked, Question) {
        let inner = &self.inner;
        let pool = inner.params.pool;
        let Text {
            built,
            analysed:
                TextMatches {
                    mut top,
                    mut total,
                    facets,
                },
            plain,
            question,
        } = text;
        let best_text = top.first().map_or(0.0, |t| t.0);
        let beyond = top.split_off(pool.min(top.len()));
        let similarity = vectors.map(|v| {
            add_nearest(searcher, v, &inner.params, request, &mut top);
            total = total.max(top.len());
            let windows = inner.params.semantic_windows;
            move |address| {
                let start = v.set.similarity(&v.sims, address)?;
                Some(match v.set.best_window(&v.sims, address) {
                    Some(best) if windows > 0.0 => {
                        (start + windows * best.max(start)) / (1.0 + windows)
                    }
                    _ => start,
                })
            }
        });
        let mut hits = rerank::rerank(
            searcher,
            self.fields(),
            &question,
            &inner.params,
            rerank::Candidates { top, plain },
            similarity
                .as_ref()
                .map(|f| f as &dyn Fn(DocAddress) -> Option<f32>),
        );
        rerank::append_beyond(&mut hits, beyond, best_text);
        (
            Ranked {
                built,
                hits,
                total,
                facets,
            },
            question,
        )
    }

    /// The completions of the word being typed, when the request asks for prefix
    /// search and the query ends in a word that has some.
    fn completions(
        &self,
        searcher: &tantivy::Searcher,
        plan: &QueryPlan,
        request: &SearchRequest,
    ) -> Option<prefix::Completions> {
        if !request.prefix {
            return None;
        }
        let word = prefix::typed_word(plan, &request.query)?;
        prefix::complete(searcher, &self.fields().text(), plan, word, || {
            self.names(searcher).ok()
        })
    }

    /// The best `pool` matches of a built text query, with how many passages match
    /// and the counts of the `facets` named, in one pass.
    fn run_text(
        &self,
        searcher: &tantivy::Searcher,
        built: &text_query::Built,
        pool: usize,
        facets: &[String],
    ) -> Result<TextMatches> {
        let counter = (!facets.is_empty()).then(|| facets::FacetCollector::new(facets));
        let (top, total, facets) = searcher
            .search(
                &built.query,
                &(TopDocs::with_limit(pool).order_by_score(), Count, counter),
            )
            .map_err(|e| Error::tantivy(self.dir(), e))?;
        Ok(TextMatches {
            top,
            total,
            facets: facets.unwrap_or_default(),
        })
    }

    /// The techniques of the plain ranking fused with the analysed one, or `None`
    /// when fusion is off (`plain` weight 0) or the analysis is off anyway.
    fn plain_ranking(&self) -> Option<Ranking> {
        let inner = &self.inner;
        let plain = inner.ranking.plain();
        (inner.params.plain > 0.0 && plain != inner.ranking).then_some(plain)
    }

    /// The best matches of the plain text query: the same words, fields, synonyms and
    /// corrections as `question`, but no focus, no question type and no word roles
    /// ([`Question::plain`]). Fused with the analysed ranking (see
    /// [`rerank::rerank`]), it keeps what a well-weighted BM25 finds in the pool when
    /// the analysis reads the question wrong.
    fn plain_matches(
        &self,
        searcher: &tantivy::Searcher,
        analysed: &text_query::QueryInputs,
        plain_ranking: &Ranking,
        request: &SearchRequest,
        pool: usize,
    ) -> Result<Vec<(f32, DocAddress)>> {
        let question = analysed.question.plain();
        let inputs = text_query::QueryInputs {
            question: &question,
            ranking: plain_ranking,
            ..*analysed
        };
        let built = text_query::build(&inputs, request.category);
        Ok(self.run_text(searcher, &built, pool, &[])?.top)
    }

    /// Reads the page of hits the request asks for, skipping repeated texts.
    fn fill_hits(
        &self,
        searcher: &tantivy::Searcher,
        request: &SearchRequest,
        ranked: &Ranked,
        analysis: &Question,
        response: &mut SearchResponse,
    ) -> Result<()> {
        let inner = &self.inner;
        let wanted = request.offset + request.limit;
        let snippets = snippet::Snippets::new(&ranked.built.terms);
        let fields = text_query::weighted_fields(self.fields(), &inner.ranking, &inner.params);
        let mut seen_text = SeenTexts::default();
        let mut per_file: HashMap<String, usize> = HashMap::new();
        let mut kept = 0;
        for &(score, address, lifts) in &ranked.hits {
            let doc: TantivyDocument = searcher
                .doc(address)
                .map_err(|e| Error::tantivy(self.dir(), e))?;
            let passage = self.fields().to_passage(&doc);
            if !seen_text.insert(&passage.text) {
                continue;
            }
            let from_file = per_file.entry(passage.path.clone()).or_insert(0);
            if request.per_file.is_some_and(|cap| *from_file >= cap) {
                continue;
            }
            *from_file += 1;
            kept += 1;
            if kept <= request.offset {
                continue;
            }
            let mut hit = make_hit(kept, score, passage, &snippets);
            if request.explain {
                hit.matched = explain::explain(
                    searcher,
                    address,
                    &ranked.built.terms,
                    &fields,
                    &FIELD_NAMES,
                    &hit.passage.text,
                );
                hit.lifted = explain::lifted(&lifts, analysis);
                if response.mode == Mode::Hybrid {
                    hit.semantic = Some(if score > 0.0 {
                        (lifts.semantic / score).clamp(0.0, 1.0)
                    } else {
                        0.0
                    });
                }
            }
            response.hits.push(hit);
            if kept >= wanted {
                break;
            }
        }
        Ok(())
    }

    /// Suggestions for an autocomplete list: the `limit` most frequent titles, headings
    /// and words of them that start with `typed` ([`suggest`]).
    pub fn suggest(&self, typed: &str, limit: usize) -> Result<Vec<Suggestion>> {
        if limit == 0 || limit > suggest::MAX_SUGGESTIONS {
            return Err(Error::BadRequest(format!(
                "limit must be between 1 and {}, got {limit}",
                suggest::MAX_SUGGESTIONS
            )));
        }
        if typed.len() > suggest::MAX_SUGGEST_BYTES {
            return Err(Error::BadRequest(format!(
                "q is {} bytes; suggestions are for at most {}",
                typed.len(),
                suggest::MAX_SUGGEST_BYTES
            )));
        }
        self.guarded(|searcher| Ok(self.names(searcher)?.suggest(typed, limit)))
    }

    /// The names of the current commit, read from the stored passages the first time
    /// they are asked for.
    fn names(&self, searcher: &tantivy::Searcher) -> Result<Arc<suggest::Names>> {
        let generation = searcher.generation().generation_id();
        let mut cache = self
            .inner
            .names
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, names)) = cache.as_ref().filter(|(g, _)| *g == generation) {
            return Ok(Arc::clone(names));
        }
        let mut pairs = Vec::new();
        self.for_each_passage_in(searcher, &mut |p: Passage| {
            pairs.push((p.title, p.headings));
            Ok(())
        })?;
        let names = Arc::new(suggest::Names::of(pairs.into_iter()));
        *cache = Some((generation, Arc::clone(&names)));
        Ok(names)
    }

    /// Every passage in the index, in path and line order.
    pub fn passages(&self) -> Result<Vec<Passage>> {
        self.guarded(|searcher| self.passages_in(searcher))
    }

    fn passages_in(&self, searcher: &tantivy::Searcher) -> Result<Vec<Passage>> {
        let mut out = Vec::new();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            for doc_id in segment.doc_ids_alive() {
                let address = tantivy::DocAddress::new(ord as u32, doc_id);
                let doc: TantivyDocument = searcher
                    .doc(address)
                    .map_err(|e| Error::tantivy(self.dir(), e))?;
                out.push(self.fields().to_passage(&doc));
            }
        }
        out.sort_by(|a, b| {
            (&a.path, a.line_start, a.byte_start).cmp(&(&b.path, b.line_start, b.byte_start))
        });
        Ok(out)
    }

    /// Calls `visit` on every passage, in index order (segment by segment), reading
    /// the document store sequentially: memory stays flat however many passages the
    /// index holds, unlike [`Searcher::passages`], which collects and sorts them.
    /// Returns how many passages were visited; an error from `visit` stops the walk.
    pub fn for_each_passage(&self, mut visit: impl FnMut(Passage) -> Result<()>) -> Result<usize> {
        self.guarded(|searcher| self.for_each_passage_in(searcher, &mut visit))
    }

    fn for_each_passage_in(
        &self,
        searcher: &tantivy::Searcher,
        visit: &mut impl FnMut(Passage) -> Result<()>,
    ) -> Result<usize> {
        let mut visited = 0;
        for segment in searcher.segment_readers() {
            // One cached block is enough: the walk reads each block once, in order.
            let store = segment
                .get_store_reader(1)
                .map_err(|e| Error::tantivy(self.dir(), e.into()))?;
            for doc in store.iter::<TantivyDocument>(segment.alive_bitset()) {
                let doc = doc.map_err(|e| Error::tantivy(self.dir(), e))?;
                visit(self.fields().to_passage(&doc))?;
                visited += 1;
            }
        }
        Ok(visited)
    }

    /// One passage by id.
    pub fn passage(&self, id: &str) -> Result<Option<Passage>> {
        self.guarded(|searcher| self.passage_in(searcher, id))
    }

    fn passage_in(&self, searcher: &tantivy::Searcher, id: &str) -> Result<Option<Passage>> {
        let term = Term::from_field_text(self.fields().id, id);
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let top = searcher
            .search(&query, &TopDocs::with_limit(1).order_by_score())
            .map_err(|e| Error::tantivy(self.dir(), e))?;
        match top.first() {
            Some((_, address)) => {
                let doc: TantivyDocument = searcher
                    .doc(*address)
                    .map_err(|e| Error::tantivy(self.dir(), e))?;
                Ok(Some(self.fields().to_passage(&doc)))
            }
            None => Ok(None),
        }
    }

    /// Number of passages in the index.
    pub fn num_passages(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }
}

fn make_hit(rank: usize, score: f32, passage: Passage, snippets: &snippet::Snippets) -> Hit {
    let snippet = snippets.make(&passage.text);
    Hit {
        rank,
        score,
        passage,
        snippet: snippet.text,
        snippet_html: snippet.html,
        highlights: snippet.highlights,
        matched: Vec::new(),
        lifted: Vec::new(),
        semantic: None,
    }
}

/// The query with each corrected word replaced by its correction, spelled as it stands
/// in the best hits (the correction is an indexed, stemmed term: `dosag` reads
/// `dosage`).
fn corrected_query(query: &str, corrections: &[(String, String)], hits: &[Hit]) -> String {
    let mut out = query.to_string();
    for (typed, term) in corrections {
        // Stemming keeps a word's first letter: analyze only the words that share it.
        let initial = term.chars().next();
        let spelled = hits
            .iter()
            .flat_map(|h| h.passage.text.split(|c: char| !c.is_alphanumeric()))
            .filter(|w| {
                w.chars()
                    .next()
                    .is_some_and(|c| !c.is_ascii() || Some(c.to_ascii_lowercase()) == initial)
            })
            .find(|w| {
                crate::analyze::analyze(w)
                    .first()
                    .is_some_and(|t| &t.text == term)
            })
            .map_or_else(|| term.clone(), str::to_lowercase);
        out = out.replacen(typed.as_str(), &spelled, 1);
    }
    out
}

/// The passage texts already read for a page, to skip a text seen under another id.
/// Texts that differ do so in their first words, mostly: only texts that begin alike
/// are reduced to their words in full.
#[derive(Default)]
struct SeenTexts {
    /// By the key of their first words: each text, and the key of all its words once
    /// needed.
    seen: HashMap<u64, Vec<(String, Option<u64>)>>,
}

impl SeenTexts {
    /// Bytes of words in the first key.
    const HEAD: usize = 256;

    /// Notes `text`; false when the same text was noted before.
    fn insert(&mut self, text: &str) -> bool {
        let alike = self.seen.entry(text_key(text, Self::HEAD)).or_default();
        let mut whole = None;
        for (other, other_whole) in alike.iter_mut() {
            let mine = *whole.get_or_insert_with(|| text_key(text, usize::MAX));
            if mine == *other_whole.get_or_insert_with(|| text_key(other, usize::MAX)) {
                return false;
            }
        }
        alike.push((text.to_string(), whole));
        true
    }
}

/// A hash of the text's words, lower-cased (the first `limit` bytes of them): the same
/// passage text under two ids (front-matter FAQ and body, say) hashes the same whatever
/// its spacing and markup.
fn text_key(text: &str, limit: usize) -> u64 {
    thread_local! {
        static WORDS: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    WORDS.with_borrow_mut(|words| {
        words.clear();
        let mut in_word = false;
        let bytes = text.as_bytes();
        let mut i = 0;
        // Byte by byte through ASCII (most of any passage), char by char elsewhere.
        while i < bytes.len() && words.len() < limit {
            let byte = bytes[i];
            let letter = if byte.is_ascii() {
                i += 1;
                let letter = byte.is_ascii_alphanumeric();
                if letter {
                    words.push(byte.to_ascii_lowercase());
                }
                letter
            } else {
                let c = text[i..].chars().next().unwrap_or(' ');
                i += c.len_utf8();
                let letter = c.is_alphanumeric();
                for lower in c.to_lowercase().filter(|_| letter) {
                    words.extend_from_slice(lower.encode_utf8(&mut [0u8; 4]).as_bytes());
                }
                letter
            };
            if in_word && !letter {
                words.push(b' ');
            }
            in_word = letter;
        }
        // One pass of a fast hash over the words, rather than a multiply a byte.
        let hash = blake3::hash(words);
        u64::from_le_bytes(hash.as_bytes()[..8].try_into().unwrap_or_default())
    })
}

fn elapsed_ms(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1e5).round() / 100.0
}

/// One search counted in [`Inner::running`] while it lives.
struct Running<'a> {
    count: &'a std::sync::atomic::AtomicUsize,
    /// Searches running when this one started, itself included.
    now: usize,
}

impl<'a> Running<'a> {
    fn start(count: &'a std::sync::atomic::AtomicUsize) -> Running<'a> {
        let now = count.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        Running { count, now }
    }

    /// Whether a core is left for a second thread of this search.
    fn spare_core(&self) -> bool {
        static CORES: std::sync::LazyLock<usize> = std::sync::LazyLock::new(|| {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        });
        self.now < *CORES
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.count
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_words_under_other_spacing_and_markup_are_seen_once() {
        let mut seen = SeenTexts::default();
        let long = "Vitamin K2 helps. ".repeat(40);
        assert!(seen.insert(&long));
        assert!(!seen.insert(&long.replace(' ', "\n  ").to_uppercase()));
        assert!(!seen.insert(&format!("**{long}**")));
        // Texts that begin alike but end apart are both kept.
        assert!(seen.insert(&format!("{long} But warfarin differs.")));
        assert!(seen.insert("Short text."));
        assert!(!seen.insert("short   TEXT!"));
        assert!(seen.insert("Short téxt."));
    }

    #[test]
    fn a_search_takes_a_second_thread_only_while_a_core_is_spare() {
        let count = std::sync::atomic::AtomicUsize::new(0);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let running: Vec<Running> = (0..cores + 1).map(|_| Running::start(&count)).collect();
        assert_eq!(running[0].spare_core(), cores > 1);
        assert!(!running[cores - 1].spare_core());
        assert!(!running[cores].spare_core());
        drop(running);
        assert_eq!(count.load(std::sync::atomic::Ordering::Relaxed), 0);
        assert_eq!(Running::start(&count).spare_core(), cores > 1);
    }
}
