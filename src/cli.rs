//! Command-line flags (clap) and the dispatch of each subcommand to the library.

use std::io::{self, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use k2search::embed::VectorFormat;
use k2search::eval;
use k2search::export::{self, ExportFormat};
use k2search::index::{self, IndexOptions};
use k2search::output::{self, OutputFormat};
use k2search::passage::Category;
use k2search::search::{Filter, Lexicon, Mode, Params, Ranking, SearchRequest, Searcher};
use k2search::serve::{self, ServeConfig};

const DEFAULT_CORPUS: &str = "corpus";
const DEFAULT_INDEX: &str = "index";

/// k2search: full-text search over health articles, with citations.
#[derive(Parser)]
#[command(name = "k2search", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build or update the index of a corpus folder.
    Index(IndexArgs),
    /// Search the index: ranked passages with citations.
    Query(QueryArgs),
    /// List every indexed passage (how the corpus was split).
    Passages(PassagesArgs),
    /// Measure relevance against judged queries (nDCG@k, MRR@k, P@5, Recall@k).
    Eval(EvalArgs),
    /// Serve the HTTP API and the search page (loopback only unless told otherwise).
    Serve(ServeArgs),
    /// Write every passage as NDJSON, for loading into Quickwit or OpenSearch.
    Export(ExportArgs),
    /// Verify an index: checksums, manifest, stored passages, vectors (exit 0 sound, 1 damaged).
    Check(CheckArgs),
    /// Serve the index to an assistant over the Model Context Protocol (stdio).
    #[cfg(feature = "mcp")]
    Mcp(McpArgs),
}

#[cfg(feature = "mcp")]
#[derive(Args)]
struct McpArgs {
    #[command(flatten)]
    location: Location,
    #[command(flatten)]
    model: ModelArgs,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    location: Location,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ExportArgs {
    #[command(flatten)]
    location: Location,
    /// Output format (ndjson: one JSON object per passage and line).
    #[arg(long, value_name = "FORMAT", default_value = "ndjson", value_parser = parse_export_format)]
    format: ExportFormat,
}

#[derive(Args)]
struct EvalArgs {
    #[command(flatten)]
    location: Location,
    /// Cut-off rank.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// A synonym lexicon to use instead of the bundled one.
    #[arg(long, value_name = "FILE")]
    synonyms: Option<PathBuf>,
    /// Switch ranking techniques off, to measure them: stopwords, typos, synonyms,
    /// drugs, fields, proximity, category, focus, weights, semantic, or all.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    disable: Vec<String>,
    /// Ranking weights to try instead of the built-in ones (JSON, see `Params`).
    #[arg(long, value_name = "FILE")]
    params: Option<PathBuf>,
    /// Also score the condensed nDCG' (a second, 50-deep search per query with the
    /// unjudged hits dropped), for judgments made on a pool (LiveQA, MEDIQA).
    #[arg(long)]
    condensed: bool,
    #[command(flatten)]
    model: ModelArgs,
    /// The judgments file (JSON Lines, see ../shared/eval/README.md).
    #[arg(value_name = "QRELS.jsonl")]
    qrels: PathBuf,
}

#[derive(Args)]
struct ModelArgs {
    /// The embedding model folder (sentence-transformers layout, see
    /// scripts/fetch-model.sh) for semantic ranking. Default: $K2SEARCH_MODEL, else
    /// the model the index was built with.
    #[arg(long, value_name = "DIR")]
    model: Option<PathBuf>,
    /// Re-rank the best candidates with the cross-encoder in DIR (see
    /// scripts/fetch-reranker.sh): slower, better ordered. Default: $K2SEARCH_RERANKER,
    /// else none.
    #[arg(long, value_name = "DIR")]
    rerank: Option<PathBuf>,
}

impl ModelArgs {
    /// `searcher` re-ranking with the cross-encoder asked for, if one is.
    fn with_reranker(&self, searcher: Searcher) -> Result<Searcher, Failure> {
        let dir = self.rerank.clone().or_else(|| {
            std::env::var_os(k2search::embed::RERANKER_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        Ok(match dir {
            Some(dir) => {
                let cross = k2search::embed::CrossEncoder::load(&dir)?;
                searcher.with_reranker(std::sync::Arc::new(cross))
            }
            None => searcher,
        })
    }
}

#[derive(Args)]
struct Location {
    /// The corpus folder of articles (.md, .markdown, .txt, .html, .htm, .pdf).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_CORPUS)]
    corpus: PathBuf,
    /// The index folder.
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,
}

#[derive(Args)]
struct IndexArgs {
    #[command(flatten)]
    location: Location,
    /// Re-index every file, not only the changed ones.
    #[arg(long)]
    rebuild: bool,
    /// Indexing threads (default: up to 4, from the machine).
    #[arg(long, value_name = "N", default_value_t = 0)]
    threads: usize,
    /// Writer memory budget in MB.
    #[arg(long, value_name = "MB", default_value_t = 128)]
    memory_mb: usize,
    /// Print no warnings, only the summary.
    #[arg(long, short, conflicts_with = "verbose")]
    quiet: bool,
    /// Also name every file passed over (unsupported types, hidden files).
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    model: ModelArgs,
    /// How vectors are stored: f32, or i8 (a quarter of the size).
    #[arg(long, value_name = "FORMAT", value_parser = parse_vector_format)]
    vectors: Option<VectorFormat>,
    /// Run the model's matrix products in int8 (needs AVX-512 VNNI or Arm dot
    /// products): about 1.5x the passages per second, vectors at cosine >= 0.996
    /// with f32's (BENCHMARKS.md, "Indexing with a model"). Kept by later runs until
    /// `--no-int8`.
    #[arg(long, overrides_with = "no_int8")]
    int8: bool,
    /// Run the model's matrix products in f32 (the default).
    #[arg(long, overrides_with = "int8")]
    no_int8: bool,
    /// Also embed each passage's text past its start, in windows of 80 words (on long
    /// passages several vectors each); hybrid searches then weigh a passage's best
    /// window too. Kept by later runs until `--no-windows`.
    #[arg(long, overrides_with = "no_windows")]
    windows: bool,
    /// Embed each passage's start alone (the default).
    #[arg(long, overrides_with = "windows")]
    no_windows: bool,
}

#[derive(Args)]
struct QueryArgs {
    #[command(flatten)]
    location: Location,
    /// Number of hits.
    #[arg(long, short = 'n', value_name = "N", default_value_t = 10)]
    limit: usize,
    /// Hits to skip (pagination).
    #[arg(long, value_name = "N", default_value_t = 0)]
    offset: usize,
    /// Only passages of this category (dosage, side_effects, interactions, ...).
    /// `--section` is the older name.
    #[arg(long, alias = "section", value_name = "CATEGORY", value_parser = Category::parse_or_list)]
    category: Option<Category>,
    /// At most N hits from one file.
    #[arg(long, value_name = "N")]
    per_file: Option<usize>,
    /// Print JSON (the contract documented in the README).
    #[arg(long)]
    json: bool,
    /// Show why each hit matched: words, how (exact, stem, synonym, fuzzy, unit, prefix), field, share.
    #[arg(long)]
    explain: bool,
    /// A synonym lexicon to use instead of the bundled one.
    #[arg(long, value_name = "FILE")]
    synonyms: Option<PathBuf>,
    #[command(flatten)]
    model: ModelArgs,
    /// Rank by text alone, even when the index has vectors.
    #[arg(long)]
    lexical: bool,
    /// Match the last word as the start of longer words too (`warf` finds warfarin),
    /// below exact matches. On by default, as in the HTTP API.
    #[arg(long, overrides_with = "no_prefix")]
    prefix: bool,
    /// Match the last word only as a whole word.
    #[arg(long, overrides_with = "prefix")]
    no_prefix: bool,
    /// Count the matching passages per value of these fields: `category` and
    /// front-matter fields (e.g. `category,source`).
    #[arg(long, value_name = "FIELDS", value_delimiter = ',')]
    facets: Vec<String>,
    /// Only passages whose document has this front-matter value (FIELD:VALUE, e.g.
    /// source:MPlusDrugs); repeat to require several.
    #[arg(long, value_name = "FIELD:VALUE")]
    filter: Vec<Filter>,
    /// The query: words, "quoted phrases"; punctuation is ignored.
    #[arg(required = true, value_name = "QUERY")]
    query: Vec<String>,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    location: Location,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "IP:PORT", default_value = serve::DEFAULT_ADDR)]
    addr: SocketAddr,
    /// Allow this origin's pages to call the API (e.g. https://example.org, or *).
    #[arg(long, value_name = "ORIGIN")]
    cors: Option<String>,
    /// Log nothing (by default one line per request goes to stderr).
    #[arg(long, short)]
    quiet: bool,
    /// Seconds a client has to send a whole request head.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds,
          default_value_t = serve::DEFAULT_HEADER_TIMEOUT.as_secs_f64())]
    header_timeout: f64,
    /// Seconds a connection may sit with no request and no byte read or written.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds,
          default_value_t = serve::DEFAULT_IDLE_TIMEOUT.as_secs_f64())]
    idle_timeout: f64,
    /// Seconds a request may take before it is answered with 503.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds,
          default_value_t = serve::DEFAULT_REQUEST_TIMEOUT.as_secs_f64())]
    request_timeout: f64,
    /// Connections open at once (lowered to fit the open-file limit).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..),
          default_value_t = serve::DEFAULT_MAX_CONNECTIONS as u32)]
    max_connections: u32,
    /// Largest request body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = serve::DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Verify the index's checksums again every this many seconds (in the background);
    /// a damaged index makes /health say "degraded".
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = parse_seconds)]
    verify_every: f64,
    #[command(flatten)]
    model: ModelArgs,
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= 86_400.0 => Ok(secs),
        _ => Err(format!(
            "'{s}' is not a number of seconds; give one such as 5 or 0.5"
        )),
    }
}

#[derive(Args)]
struct PassagesArgs {
    #[command(flatten)]
    location: Location,
    /// Print JSON Lines, one passage per line.
    #[arg(long)]
    json: bool,
}

fn parse_export_format(s: &str) -> Result<ExportFormat, String> {
    ExportFormat::parse(s).ok_or_else(|| format!("unknown export format '{s}'; use ndjson"))
}

fn parse_vector_format(s: &str) -> Result<VectorFormat, String> {
    VectorFormat::parse(s).ok_or_else(|| format!("unknown vector format '{s}'; use f32 or i8"))
}

/// Why a run failed.
pub enum Failure {
    /// stdout was closed (`| head`): not an error.
    BrokenPipe,
    /// A one-line message for stderr.
    Error(String),
    /// The verdict is printed; exit with this code.
    Exit(u8),
}

impl From<k2search::Error> for Failure {
    fn from(e: k2search::Error) -> Failure {
        match e {
            k2search::Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe => {
                Failure::BrokenPipe
            }
            e => Failure::Error(e.to_string()),
        }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Error(format!("cannot write output: {e}"))
        }
    }
}

/// Parses the command line and runs the subcommand.
pub fn run() -> Result<(), Failure> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = e.exit_code();
            let _ = e.print();
            if code == 0 {
                return Ok(());
            }
            std::process::exit(2);
        }
    };
    match cli.command {
        Command::Index(args) => run_index(args),
        Command::Query(args) => run_query(args),
        Command::Passages(args) => run_passages(args),
        Command::Eval(args) => run_eval(args),
        Command::Serve(args) => run_serve(args),
        Command::Export(args) => run_export(args),
        Command::Check(args) => run_check(args),
        #[cfg(feature = "mcp")]
        Command::Mcp(args) => run_mcp(args),
    }
}

fn run_check(args: CheckArgs) -> Result<(), Failure> {
    let index = args.location.index.unwrap_or_else(|| DEFAULT_INDEX.into());
    let report = k2search::index::check::check(&index)?;
    let mut out = io::stdout().lock();
    if args.json {
        let json = serde_json::to_string(&report)
            .map_err(|e| Failure::Error(format!("cannot encode the report: {e}")))?;
        writeln!(out, "{json}")?;
    } else {
        writeln!(out, "{}", report.verdict())?;
    }
    out.flush()?;
    if report.sound {
        Ok(())
    } else {
        Err(Failure::Exit(1))
    }
}

/// A `--thing`/`--no-thing` pair: on, off, or unset (keep what the index records).
fn on_off(on: bool, off: bool) -> Option<bool> {
    match (on, off) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

fn run_index(args: IndexArgs) -> Result<(), Failure> {
    let index_dir = args.location.index.unwrap_or_else(|| DEFAULT_INDEX.into());
    // One model worker per core, each on batches of its own.
    let embed_threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let progress = ProgressBar::default();
    let opts = IndexOptions {
        embed_threads,
        rebuild: args.rebuild,
        threads: args.threads,
        memory_budget: args.memory_mb << 20,
        progress: (!args.quiet).then(|| progress.on_progress()),
        model: args.model.model,
        vector_format: args.vectors,
        int8: on_off(args.int8, args.no_int8),
        windows: on_off(args.windows, args.no_windows),
        ..IndexOptions::new(&args.location.corpus, &index_dir)
    };
    stop_on_ctrl_c(&opts.stop);
    let built = index::build(&opts);
    progress.finish(matches!(built, Err(k2search::Error::Interrupted(_))));
    let report = built?;
    let mut err = io::stderr().lock();
    if !args.quiet {
        output::print_warnings(&mut err, &report)?;
    }
    if args.verbose {
        output::print_quiet_skips(&mut err, &report)?;
    }
    drop(err);
    println!("{}", output::index_summary(&report, &index_dir));
    Ok(())
}

/// The bar an index run draws on stderr (when it is a terminal): files done, and
/// passages embedded with their rate. Runs over fewer files than
/// [`ProgressBar::MIN_FILES`] finish in about a second and draw none, unless they embed.
#[derive(Clone, Default)]
struct ProgressBar {
    bar: Arc<std::sync::OnceLock<indicatif::ProgressBar>>,
    /// When the bar was first shown.
    started: Arc<std::sync::OnceLock<std::time::Instant>>,
}

impl ProgressBar {
    const MIN_FILES: usize = 2000;

    /// What the index run calls after each file.
    fn on_progress(&self) -> index::OnProgress {
        let this = self.clone();
        index::OnProgress(Arc::new(move |p| this.show(p)))
    }

    fn show(&self, p: index::Progress) {
        if p.files < Self::MIN_FILES && !p.embedding {
            return;
        }
        let bar = self.bar.get_or_init(|| {
            // indicatif draws nothing when stderr is not a terminal.
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(p.files as u64),
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} indexing [{bar:30}] {pos}/{len} files, {per_sec}{msg}, {eta} left",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        bar.set_position(p.done as u64);
        let since = self.started.get_or_init(std::time::Instant::now);
        if p.embedded > 0 {
            let rate = p.embedded as f64 / since.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(", {} passages embedded ({rate:.0}/s)", p.embedded));
        }
    }

    /// Clears the bar, or leaves it with a note when the run was interrupted.
    fn finish(&self, interrupted: bool) {
        if let Some(bar) = self.bar.get() {
            if interrupted {
                bar.abandon_with_message("interrupted");
            } else {
                bar.finish_and_clear();
            }
        }
    }
}

/// The first Ctrl-C asks the run to stop before it commits (the index keeps its
/// previous commit); a second one exits at once, which is also safe, since Tantivy
/// commits are atomic.
fn stop_on_ctrl_c(stop: &Arc<AtomicBool>) {
    let stop = Arc::clone(stop);
    // Without a handler (one is already set), Ctrl-C kills the run: still no damage.
    let _ = ctrlc::set_handler(move || {
        if stop.swap(true, Ordering::Relaxed) {
            std::process::exit(130);
        }
    });
}

/// Opens the index with the model given, if one is.
fn open_with_model(location: &Location, model: &ModelArgs) -> Result<Searcher, Failure> {
    let searcher = open_searcher(location, Searcher::open)?;
    let searcher = match &model.model {
        Some(dir) => searcher.with_model(dir)?,
        None => searcher,
    };
    model.with_reranker(searcher)
}

/// Opens the index with `open` (a constructor of [`Searcher`]); the default index is
/// first built or brought up to date from the corpus when it is missing or older than
/// the corpus.
fn open_searcher(
    location: &Location,
    open: fn(&Path) -> k2search::Result<Searcher>,
) -> Result<Searcher, Failure> {
    let Some(dir) = &location.index else {
        let dir = Path::new(DEFAULT_INDEX);
        if location.corpus.is_dir() && index::is_stale(&location.corpus, dir)? {
            eprintln!(
                "k2search: {} is missing or older than {}; building it first",
                dir.display(),
                location.corpus.display()
            );
            // The default index is ours to rebuild when it is from another version.
            let rebuild = matches!(index::open(dir), Err(k2search::Error::IndexVersion { .. }));
            let opts = IndexOptions {
                rebuild,
                ..IndexOptions::new(&location.corpus, dir)
            };
            let report = index::build(&opts)?;
            output::print_warnings(&mut io::stderr().lock(), &report)?;
            eprintln!("k2search: {}", output::index_summary(&report, dir));
        }
        return Ok(open(dir)?);
    };
    Ok(open(dir)?)
}

fn with_synonyms(searcher: Searcher, file: Option<&Path>) -> Result<Searcher, Failure> {
    Ok(match file {
        Some(file) => searcher.with_synonyms(Lexicon::load(file)?),
        None => searcher,
    })
}

fn text_format() -> OutputFormat {
    let color =
        io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    OutputFormat::Text { color }
}

fn run_query(args: QueryArgs) -> Result<(), Failure> {
    let searcher = match &args.model.model {
        // The model loads while the rest of the index opens.
        None if !args.lexical => args
            .model
            .with_reranker(open_searcher(&args.location, Searcher::open_loading_model)?)?,
        _ => open_with_model(&args.location, &args.model)?,
    };
    let request = SearchRequest {
        query: args.query.join(" "),
        limit: args.limit,
        offset: args.offset,
        category: args.category,
        per_file: args.per_file,
        explain: args.explain,
        mode: if args.lexical {
            Mode::Lexical
        } else {
            Mode::Hybrid
        },
        prefix: !args.no_prefix,
        facets: args.facets,
        filters: args.filter,
    };
    let searcher = with_synonyms(searcher, args.synonyms.as_deref())?;
    let response = searcher.search(&request)?;
    let format = if args.json {
        OutputFormat::Json
    } else {
        text_format()
    };
    let mut out = io::stdout().lock();
    if let (true, OutputFormat::Text { color }) = (args.explain, format) {
        output::print_analysis(&mut out, &response, color)?;
    }
    output::print_response(&mut out, &response, &searcher.manifest().corpus, format)?;
    if !args.json && response.hits.is_empty() {
        eprintln!("k2search: no passages match {:?}", request.query);
    }
    out.flush()?;
    // The process ends here: freeing the loaded model (its vocabulary, tens of
    // thousands of strings) and the index's maps would take about as long as the
    // search did.
    std::mem::forget(searcher);
    Ok(())
}

fn run_passages(args: PassagesArgs) -> Result<(), Failure> {
    let searcher = open_searcher(&args.location, Searcher::open)?;
    let passages = searcher.passages()?;
    let format = if args.json {
        OutputFormat::Json
    } else {
        text_format()
    };
    let mut out = io::stdout().lock();
    output::print_passages(&mut out, &passages, &searcher.manifest().corpus, format)?;
    out.flush()?;
    Ok(())
}

fn run_export(args: ExportArgs) -> Result<(), Failure> {
    let searcher = open_searcher(&args.location, Searcher::open)?;
    // Stdout is line-buffered; a million passages want one write per 8 KB, not per line.
    let mut out = io::BufWriter::new(io::stdout().lock());
    export::write(&searcher, args.format, &mut out, Path::new("stdout"))?;
    out.flush()?;
    Ok(())
}

fn run_eval(args: EvalArgs) -> Result<(), Failure> {
    let judged = eval::load(&args.qrels)?;
    let searcher = open_with_model(&args.location, &args.model)?;
    let mut ranking = Ranking::ALL;
    for name in &args.disable {
        if !ranking.disable(name) {
            return Err(Failure::Error(format!(
                "unknown ranking technique '{name}'; use one of {}, all",
                Ranking::NAMES.join(", ")
            )));
        }
    }
    let mut searcher = with_synonyms(searcher, args.synonyms.as_deref())?.with_ranking(ranking);
    if let Some(file) = &args.params {
        searcher = searcher.with_params(Params::load(file)?);
    }
    let depth = args.condensed.then_some(eval::CONDENSED_DEPTH);
    let report = eval::evaluate(&searcher, &judged, args.k.max(1), depth)?;
    output::print_eval(&mut io::stdout().lock(), &report, args.json)?;
    Ok(())
}

fn run_serve(args: ServeArgs) -> Result<(), Failure> {
    let config = ServeConfig {
        cors: args
            .cors
            .as_deref()
            .map(serve::parse_cors_origin)
            .transpose()?,
        quiet: args.quiet,
        header_timeout: Duration::from_secs_f64(args.header_timeout),
        idle_timeout: Duration::from_secs_f64(args.idle_timeout),
        timeout: Duration::from_secs_f64(args.request_timeout),
        max_connections: args.max_connections as usize,
        max_body_bytes: args.max_body_bytes,
        ..ServeConfig::default()
    };
    let searcher = open_with_model(&args.location, &args.model)?;
    searcher.reverify_every(Duration::from_secs_f64(args.verify_every));
    if searcher.is_hybrid() {
        // Load the model and the vectors now: a missing model fails here, not on the
        // first request, and the first request is as fast as the rest.
        searcher.search(&SearchRequest::new("health"))?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Error(format!("cannot start the server runtime: {e}")))?;
    runtime.block_on(async {
        let listener = serve::bind(args.addr).await?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::Error(format!("cannot read the bound address: {e}")))?;
        // The first line of stdout is the URL: scripts and tests read the port from it.
        let mut out = io::stdout().lock();
        writeln!(
            out,
            "k2search: serving {} on http://{addr}/",
            searcher.dir().display()
        )?;
        out.flush()?;
        drop(out);
        serve::serve_on(listener, searcher, config).await?;
        Ok(())
    })
}

/// Serves MCP on stdio until the client closes stdin; stdout is the protocol's alone.
#[cfg(feature = "mcp")]
fn run_mcp(args: McpArgs) -> Result<(), Failure> {
    let searcher = open_with_model(&args.location, &args.model)?;
    eprintln!(
        "k2search: MCP server for {} on stdio ({} passages)",
        searcher.dir().display(),
        searcher.num_passages()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Error(format!("cannot start the server runtime: {e}")))?;
    runtime.block_on(k2search::mcp::serve_stdio(searcher))?;
    Ok(())
}
