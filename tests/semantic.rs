//! Semantic ranking: the embedder against reference vectors, `index --model`, hybrid
//! and lexical queries, and the errors of a missing or different model. They need the
//! model (`scripts/fetch-model.sh`; `K2SEARCH_TEST_MODEL`), which CI fetches.

use std::fs;
use std::path::Path;

use k2search::embed::Model;
use k2search::search::{Mode, SearchResponse};

use crate::util::{assert_success, model, parsed, stderr, Workspace};

const REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/embed/reference.json"
);

#[derive(serde::Deserialize)]
struct Reference {
    max_tokens: usize,
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    text: String,
    vector: Vec<f32>,
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

/// The vectors sentence-transformers (PyTorch) made for the same texts
/// (`scripts/reference-vectors.py`), batched together as an index run batches them.
#[test]
#[cfg_attr(
    not(k2search_model),
    ignore = "needs the model: bash scripts/fetch-model.sh models/all-MiniLM-L6-v2"
)]
fn embedder_matches_the_reference_implementation() {
    let dir = model();
    let reference: Reference =
        serde_json::from_str(&fs::read_to_string(REFERENCE).unwrap()).unwrap();
    let model = Model::load(&dir).unwrap();
    let texts: Vec<&str> = reference.cases.iter().map(|c| c.text.as_str()).collect();
    let vectors = model.embed(&texts, reference.max_tokens).unwrap();
    for (case, vector) in reference.cases.iter().zip(&vectors) {
        assert_eq!(vector.len(), case.vector.len());
        let cos = cosine(vector, &case.vector);
        assert!(1.0 - cos < 1e-4, "cosine {cos} for {:?}", case.text);
        let norm: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "not a unit vector: {norm}");
    }
    // One text alone (no padding) gives the same vector as in a batch.
    let alone = model.embed_query(texts[1], reference.max_tokens).unwrap();
    assert!(1.0 - cosine(&alone, &vectors[1]) < 1e-5);
    // Each text alone, as a query (up to 64 tokens take the products without
    // packing, the longest text the others).
    for case in &reference.cases {
        let alone = model.embed_query(&case.text, reference.max_tokens).unwrap();
        let cos = cosine(&alone, &case.vector);
        assert!(1.0 - cos < 1e-4, "cosine {cos} for {:?} alone", case.text);
    }
}

/// `index --model MODEL` on the workspace; returns the run's summary.
fn index_with_model(ws: &Workspace, model: &Path) -> String {
    ws.ok(&["index", "--model", model.to_str().unwrap()])
}

fn embedded(summary: &str) -> usize {
    let (before, _) = summary.split_once(" embedded with").expect(summary);
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
#[cfg_attr(
    not(k2search_model),
    ignore = "needs the model: bash scripts/fetch-model.sh models/all-MiniLM-L6-v2"
)]
fn index_with_model_ranks_hybrid_and_lexical_on_request() {
    let model = model();
    let ws = Workspace::seeds();
    let summary = index_with_model(&ws, &model);
    let passages: usize = summary
        .split(" passages")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(embedded(&summary), passages, "{summary}");

    let hybrid = ws.query(&["--explain", "warfarin interaction"]);
    assert_eq!(hybrid.mode, Mode::Hybrid);
    let top = &hybrid.hits[0];
    assert!(
        top.passage
            .headings
            .iter()
            .any(|h| h.contains("Interaction")),
        "{top:?}"
    );
    let share = top.semantic.expect("explain gives the semantic share");
    assert!(share > 0.0 && share < 1.0, "{share}");

    let lexical = ws.query(&["--lexical", "--explain", "warfarin interaction"]);
    assert_eq!(lexical.mode, Mode::Lexical);
    assert!(lexical.hits.iter().all(|h| h.semantic.is_none()));

    // Words no passage holds: text matching finds nothing, vectors still find the
    // passages about the meaning.
    let words = "coumarin pills";
    let lexical = ws.query(&["--lexical", words]);
    let hybrid = ws.query(&[words]);
    assert!(lexical.hits.is_empty(), "{:?}", lexical.hits[0]);
    assert!(!hybrid.hits.is_empty());
    assert!(
        hybrid.hits[..3]
            .iter()
            .any(|h| h.passage.text.contains("warfarin")),
        "{:?}",
        hybrid
            .hits
            .iter()
            .map(|h| &h.passage.headings)
            .collect::<Vec<_>>()
    );
}

#[test]
#[cfg_attr(
    not(k2search_model),
    ignore = "needs the model: bash scripts/fetch-model.sh models/all-MiniLM-L6-v2"
)]
fn an_update_embeds_only_new_or_changed_passages() {
    let model = model();
    let ws = Workspace::seeds();
    index_with_model(&ws, &model);
    // Unchanged files: nothing embedded, and the model recorded is used again.
    let again = ws.ok(&["index"]);
    assert!(again.contains("nothing changed"), "{again}");

    // One passage added to a file: only that one is embedded, though the file's
    // other passages are re-indexed.
    let file = ws.corpus().join("001_02ca2a2748473d43.txt");
    let mut text = fs::read_to_string(&file).unwrap();
    text.push_str("\n\nStorage\n\nKeep the capsules in a cool, dry place.\n");
    fs::write(&file, text).unwrap();
    let update = ws.ok(&["index"]);
    assert_eq!(embedded(&update), 1, "{update}");
    let hits = ws.query(&["where to keep capsules"]).hits;
    assert!(
        hits[0].passage.text.contains("cool, dry place"),
        "{:?}",
        hits[0]
    );
}

#[test]
#[cfg_attr(
    not(k2search_model),
    ignore = "needs the model: bash scripts/fetch-model.sh models/all-MiniLM-L6-v2"
)]
fn another_or_missing_model_is_a_clear_error() {
    let model = model();
    let ws = Workspace::seeds();
    index_with_model(&ws, &model);

    // A different model: same files but for its config.
    let other = ws.path().join("other-model");
    fs::create_dir_all(other.join("1_Pooling")).unwrap();
    for f in [
        "model.safetensors",
        "tokenizer.json",
        "1_Pooling/config.json",
    ] {
        fs::copy(model.join(f), other.join(f)).unwrap();
    }
    let config = fs::read_to_string(model.join("config.json")).unwrap();
    fs::write(
        other.join("config.json"),
        config.replace("\"model_type\"", "\"note\": \"another\", \"model_type\""),
    )
    .unwrap();
    let out = ws.run(&["query", "--model", other.to_str().unwrap(), "warfarin"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("holds another model"), "{err}");
    assert!(err.contains("--lexical"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // Lexical search needs no model.
    ws.ok(&["query", "--lexical", "warfarin"]);

    // Not a model folder at all: a one-line error, and the index is untouched.
    let before = ws.query(&["--lexical", "warfarin"]).hits.len();
    let out = ws.run(&["index", "--rebuild", "--model", "corpus"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("model folder corpus has no config.json"),
        "{err}"
    );
    assert_eq!(ws.query(&["--lexical", "warfarin"]).hits.len(), before);
}

#[test]
#[cfg_attr(
    not(k2search_model),
    ignore = "needs the model: bash scripts/fetch-model.sh models/all-MiniLM-L6-v2"
)]
fn i8_vectors_rank_like_f32() {
    let model = model();
    let ws = Workspace::seeds();
    let model = model.to_str().unwrap();
    for args in [
        &["index", "--index", "f32", "--model", model][..],
        &[
            "index",
            "--index",
            "i8",
            "--model",
            model,
            "--vectors",
            "i8",
        ],
    ] {
        assert_success(&ws.run_as_typed(args));
    }
    for q in [
        "warfarin interaction",
        "how much K2 should I take a day",
        "bone health",
    ] {
        let top = |index: &str| -> Vec<String> {
            let out = ws.run_as_typed(&["query", "--index", index, "--json", "-n", "3", q]);
            let response: SearchResponse = parsed(&out);
            response.hits.into_iter().map(|h| h.passage.id).collect()
        };
        assert_eq!(top("f32")[0], top("i8")[0], "{q}");
    }
}

/// The graph files of an index folder, by segment id, and the segments its last
/// commit names; checks that each segment has a vector file, and no other segment.
fn graphs_and_segments(index: &Path) -> (Vec<String>, Vec<String>) {
    let names: Vec<String> = fs::read_dir(index)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let of = |kind: k2search::embed::segment_files::Kind| -> Vec<String> {
        let mut ids: Vec<String> = names
            .iter()
            .filter_map(|name| kind.segment_of(name).map(str::to_string))
            .collect();
        ids.sort();
        ids
    };
    let mut graphs = of(k2search::embed::segment_files::GRAPH);
    let vector_files = of(k2search::embed::segment_files::VECTORS);
    let meta: serde_json::Value =
        serde_json::from_slice(&fs::read(index.join("meta.json")).unwrap()).unwrap();
    let mut segments: Vec<String> = meta["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["segment_id"].as_str().unwrap().replace('-', ""))
        .collect();
    graphs.sort();
    segments.sort();
    assert_eq!(vector_files, segments, "a vector file per segment");
    (graphs, segments)
}

const QUESTIONS: [&str; 4] = [
    "warfarin interaction",
    "how much K2 should I take a day",
    "bone health",
    "coumarin pills",
];

/// With the graph threshold forced down to one vector, every segment gets an HNSW
/// graph file: the hybrid ranking is the same as by brute force, and the files follow
/// the segments through an update (edit, delete), a rebuild and damage.
#[test]
#[cfg_attr(
    not(k2search_model),
    ignore = "needs the model: bash scripts/fetch-model.sh models/all-MiniLM-L6-v2"
)]
fn ann_graphs_rank_as_brute_force_and_follow_the_segments() {
    let model = model();
    let model = model.to_str().unwrap();
    let ws = Workspace::seeds();
    let force = (k2search::embed::ann::MIN_VECTORS_ENV, "1");
    let index = |extra: &[&str]| {
        let out = ws.run_with_env(force, &[&["index", "--model", model], extra].concat());
        assert_success(&out);
        stderr(&out)
    };
    // The same corpus without graphs (below the default threshold): brute force.
    assert_success(&ws.run_as_typed(&["index", "--index", "brute", "--model", model]));
    let brute = ws.path().join("brute");
    assert!(graphs_and_segments(&brute).0.is_empty());
    index(&[]);
    let dir = ws.index_dir();
    let (graphs, segments) = graphs_and_segments(&dir);
    assert!(!graphs.is_empty());
    assert_eq!(graphs, segments);
    let top = |index: &Path, q: &str| -> Vec<String> {
        let out = ws.run_as_typed(&[
            "query",
            "--index",
            index.to_str().unwrap(),
            "--json",
            "-n",
            "5",
            q,
        ]);
        let response: SearchResponse = parsed(&out);
        response.hits.into_iter().map(|h| h.passage.id).collect()
    };
    for q in QUESTIONS {
        assert_eq!(top(&dir, q), top(&brute, q), "{q}");
    }

    // An edit and a delete: the new segment gets its graph, the deleted passages are
    // never returned though their vectors stay in the old segment's graph.
    let file = ws.corpus().join("001_02ca2a2748473d43.txt");
    let mut text = fs::read_to_string(&file).unwrap();
    text.push_str("\n\nStorage\n\nKeep the capsules in a cool, dry place.\n");
    fs::write(&file, text).unwrap();
    let gone = "000_015adf83c64da35f.txt";
    let gone_ids: Vec<String> = ws
        .passages()
        .into_iter()
        .filter(|p| p.path == gone)
        .map(|p| p.id)
        .collect();
    assert!(!gone_ids.is_empty());
    fs::remove_file(ws.corpus().join(gone)).unwrap();
    index(&[]);
    let (graphs, segments) = graphs_and_segments(&dir);
    assert_eq!(graphs, segments);
    let hits = ws.query(&["where to keep capsules"]).hits;
    assert!(
        hits[0].passage.text.contains("cool, dry place"),
        "{:?}",
        hits[0]
    );
    for q in QUESTIONS {
        let ids = top(&dir, q);
        assert!(ids.iter().all(|id| !gone_ids.contains(id)), "{q}: {ids:?}");
    }

    // A rebuild: new segments, new graphs, none of the old ones left.
    let before = graphs;
    index(&["--rebuild"]);
    let (graphs, segments) = graphs_and_segments(&dir);
    assert_eq!(graphs, segments);
    assert!(
        graphs.iter().all(|g| !before.contains(g)),
        "{before:?} {graphs:?}"
    );

    // A damaged graph: queries fall back to brute force, `check` names the file, and
    // the next index run builds it again.
    let expected: Vec<Vec<String>> = QUESTIONS.iter().map(|q| top(&dir, q)).collect();
    let path = dir.join(k2search::embed::ann::file_name(&graphs[0]));
    let mut bytes = fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    fs::write(&path, &bytes).unwrap();
    for (q, expected) in QUESTIONS.iter().zip(&expected) {
        assert_eq!(&top(&dir, q), expected, "{q}");
    }
    let check = ws.run_as_typed(&["check", "--index", "index"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        crate::util::stdout(&check).contains("fails its hash"),
        "{}",
        crate::util::stdout(&check)
    );
    let warned = index(&[]);
    assert!(warned.contains("building it again"), "{warned}");
    assert_success(&ws.run_as_typed(&["check", "--index", "index"]));
    assert_eq!(graphs_and_segments(&dir).0, graphs);
}

/// `index --windows` embeds a long passage's text past its start too, in windows: a
/// question about what it says near its end finds it more similar (its best window
/// counts, `semantic_windows`); an update keeps the windows, and `--no-windows`
/// embeds starts alone again.
#[test]
#[cfg_attr(
    not(k2search_model),
    ignore = "needs the model: bash scripts/fetch-model.sh models/all-MiniLM-L6-v2"
)]
fn windows_embed_a_long_passage_past_its_start() {
    use k2search::embed::Windows;
    use k2search::search::{Params, SearchRequest, Searcher};

    let model = model();
    let model = model.to_str().unwrap();
    let ws = Workspace::empty();
    let filler =
        "Vitamin D helps the body absorb calcium from food and keeps bones strong. ".repeat(25);
    ws.write(
        "vitamin-d.md",
        format!(
            "# Vitamin D\n\n## Overview\n\n{filler}People who take the blood thinner warfarin \
             should ask their doctor first, since bleeding and bruising can follow.\n\n\
             ## Sources\n\nSunlight, oily fish and eggs.\n"
        ),
    );
    ws.ok(&["index", "--model", model, "--windows"]);
    let passages = ws.passages();
    let long = passages
        .iter()
        .find(|p| p.text.contains("warfarin"))
        .expect("the long passage");
    let windows = Windows::DEFAULT.texts(long);
    assert!(windows.len() >= 4, "{}", windows.len());
    assert!(windows
        .iter()
        .all(|w| w.starts_with("Vitamin D. Overview.\n")));
    assert!(windows.last().unwrap().contains("warfarin"));
    assert!(!windows[0].contains("warfarin"));

    // The long passage's score, by the weight of its best window.
    let score = |weight: f32| {
        let searcher = Searcher::open(&ws.index_dir())
            .unwrap()
            .with_params(Params {
                semantic_windows: weight,
                ..Params::default()
            });
        let response = searcher
            .search(&SearchRequest::new("anticoagulant medicine and bleeding"))
            .unwrap();
        assert_eq!(response.mode, Mode::Hybrid);
        response
            .hits
            .iter()
            .find(|h| h.passage.id == long.id)
            .map(|h| h.score)
            .expect("the long passage is found by vector")
    };
    let (start, windowed) = (score(0.0), score(1.0));
    assert!(windowed > start + 0.01, "{windowed} against {start}");

    // An update keeps the windows; --no-windows embeds every passage again, alone.
    let again = ws.ok(&["index"]);
    assert!(again.contains("nothing changed"), "{again}");
    assert!((score(1.0) - windowed).abs() < 1e-6);
    let alone = ws.ok(&["index", "--no-windows"]);
    assert_eq!(embedded(&alone), passages.len(), "{alone}");
    assert!(
        (score(1.0) - start).abs() < 1e-6,
        "{} against {start}",
        score(1.0)
    );
}

/// Whether the index's manifest records the int8 kernels.
fn records_int8(index: &Path) -> bool {
    let open = k2search::index::open(index).unwrap();
    open.manifest.model.expect("the index has vectors").int8
}

#[test]
#[cfg_attr(
    not(k2search_model),
    ignore = "needs the model: bash scripts/fetch-model.sh models/all-MiniLM-L6-v2"
)]
fn int8_is_recorded_and_kept_until_no_int8() {
    let model = model();
    let ws = Workspace::seeds();
    let out = ws.run(&["index", "--model", model.to_str().unwrap(), "--int8"]);
    if !out.status.success() {
        // A CPU without an exact int8 kernel: refused in one line, nothing indexed.
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("int8"), "{err}");
        return;
    }
    let index = ws.index_dir();
    assert!(records_int8(&index));
    let hybrid = ws.query(&["warfarin interaction"]);
    assert_eq!(hybrid.mode, Mode::Hybrid);
    assert!(hybrid.hits[0]
        .passage
        .headings
        .iter()
        .any(|h| h.contains("Interaction")));
    // Later runs keep it; --no-int8 changes the record alone (the vectors compare).
    let again = ws.ok(&["index"]);
    assert!(again.contains("nothing changed"), "{again}");
    assert!(records_int8(&index));
    let f32 = ws.ok(&["index", "--no-int8"]);
    assert_eq!(embedded(&f32), 0, "{f32}");
    assert!(!records_int8(&index));
    ws.ok(&["index", "--int8"]);
    assert!(records_int8(&index));
}
