//! The command line on a copy of the bundled seed articles: cited hits in text and
//! JSON, punctuation in queries, the default index (built on the first query, kept up
//! to date), index summaries, errors and their exit codes.

use std::collections::BTreeSet;
use std::fs;

use k2search::search::SearchResponse;

use crate::util::{parsed, stderr, stdout, Workspace, PASSAGE_FIELDS};

/// `query --json QUERY` as typed in the workspace: the default index, built or brought
/// up to date first.
#[track_caller]
fn ask(ws: &Workspace, query: &str) -> SearchResponse {
    parsed(&ws.run_as_typed(&["query", "--json", query]))
}

#[test]
fn warfarin_interaction_cites_002_drug_interactions() {
    let ws = Workspace::seeds();
    let response = ask(&ws, "warfarin interaction");
    let hit = response
        .hits
        .iter()
        .take(5)
        .find(|h| {
            h.passage.path == "002_efd43bb0ead33ead.txt"
                && h.passage.headings == ["Drug Interactions"]
        })
        .expect("002 Drug Interactions in the top five");
    assert_eq!(hit.passage.line_start, 127);
    assert!(hit.passage.line_end >= 129);
    assert!(hit.snippet_html.contains("<mark>"));
    assert!(response.total_hits >= response.hits.len());

    // Piped, and without NO_COLOR: no colour all the same.
    let mut piped = ws.command();
    piped
        .env_remove("NO_COLOR")
        .args(["query", "warfarin interaction"]);
    let text = stdout(&piped.output().expect("k2search query"));
    assert!(
        text.contains("corpus/002_efd43bb0ead33ead.txt:127-"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "no colour when piped");
}

#[test]
fn query_json_has_every_contract_field() {
    let ws = Workspace::seeds();
    // Raw JSON on purpose: the field names are the contract.
    let value: serde_json::Value =
        parsed(&ws.run_as_typed(&["query", "--json", "--limit", "3", "vitamin K2 dosage"]));
    for field in ["query", "took_ms", "total_hits", "hits"] {
        assert!(value.get(field).is_some(), "response lacks {field}");
    }
    let hits = value["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3);
    // A hit is its passage (every field `passages --json` prints) plus rank, score and
    // the snippet; the `explain` fields only with --explain.
    let hit_only = ["rank", "score", "snippet", "snippet_html", "highlights"];
    let expected: BTreeSet<&str> = PASSAGE_FIELDS.into_iter().chain(hit_only).collect();
    for hit in hits {
        let fields: BTreeSet<&str> = hit
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(fields, expected);
    }
    assert_eq!(hits[0]["rank"], 1);
}

#[test]
fn punctuation_never_fails_and_phrases_are_honoured() {
    let ws = Workspace::seeds();
    let response = ask(&ws, r#"warfarin? (coumadin) "K2-7""#);
    assert!(!response.hits.is_empty());
    let phrase = ask(&ws, r#""calcium paradox""#);
    assert!(phrase
        .hits
        .iter()
        .all(|h| h.passage.text.to_lowercase().contains("calcium paradox")));
    assert!(!phrase.hits.is_empty());
    for q in ["AND OR NOT", "((((", "\"", "+-*~2", "title:", "a:b:c"] {
        let out = ws.run_as_typed(&["query", "--json", q]);
        assert!(out.status.success(), "{q}: {}", stderr(&out));
    }
    let none = ws.run_as_typed(&["query", "zzqqxxnotaword"]);
    assert!(none.status.success());
}

#[test]
fn default_index_is_built_on_first_query_and_refreshed() {
    let ws = Workspace::seeds();
    let out = ws.run_as_typed(&["query", "natto"]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("building it first"),
        "{}",
        stderr(&out)
    );
    let again = ws.run_as_typed(&["query", "natto"]);
    assert!(
        !stderr(&again).contains("building"),
        "second run reuses the index"
    );
    ws.write(
        "new.md",
        "# Gout\n\n## Diet\nAvoid purine-rich zebrafood.\n",
    );
    let out = ws.run_as_typed(&["query", "--json", "zebrafood"]);
    assert!(stderr(&out).contains("building it first"));
    let response: SearchResponse = parsed(&out);
    assert_eq!(response.hits[0].passage.path, "new.md");
}

#[test]
fn index_summary_and_incremental_update() {
    let ws = Workspace::seeds();
    let out = ws.run_as_typed(&["index"]);
    assert!(out.status.success());
    let summary = stdout(&out);
    assert!(
        summary.contains("indexed 5 files") && summary.contains("passages"),
        "{summary}"
    );
    let out = ws.run_as_typed(&["index"]);
    assert!(stdout(&out).contains("nothing changed"));
    fs::remove_file(ws.corpus().join("003_a3c08815d3bf233e.txt")).unwrap();
    let out = ws.run_as_typed(&["index"]);
    assert!(stdout(&out).contains("1 removed"));
    assert!(ws.passages().iter().all(|p| !p.path.starts_with("003_")));
    // The per-file records of the last commit, and no others, stand beside the index.
    let records = fs::read_dir(ws.index_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("k2search-records-")
        })
        .count();
    assert_eq!(records, 1);
}

#[test]
fn errors_are_one_line_with_exit_code_2() {
    let ws = Workspace::seeds();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["index", "--corpus", "missing-folder"],
            "missing-folder",
        ),
        (
            vec!["index", "--corpus", "corpus/000_015adf83c64da35f.txt"],
            "is a file",
        ),
        (
            vec!["query", "--index", "no-index-here", "x"],
            "no k2search index",
        ),
        (vec!["query", "--limit", "0", "x"], "limit"),
        (
            vec!["query", "--category", "nonsense", "x"],
            "unknown category",
        ),
    ];
    for (args, needle) in cases {
        let out = ws.run_as_typed(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    let out = ws.run_as_typed(&["query", "--no-such-flag", "x"]);
    assert_eq!(out.status.code(), Some(2));

    fs::create_dir(ws.path().join("empty")).unwrap();
    let out = ws.run_as_typed(&["index", "--corpus", "empty", "--index", "idx"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no .md, .markdown, .txt, .html, .htm or .pdf articles"));

    fs::write(ws.path().join("notadir"), "x").unwrap();
    let out = ws.run_as_typed(&["index", "--index", "notadir/sub"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot create index folder"),
        "{}",
        stderr(&out)
    );

    fs::create_dir(ws.path().join("photos")).unwrap();
    fs::write(ws.path().join("photos/cat.jpg"), "x").unwrap();
    let out = ws.run_as_typed(&["index", "--index", "photos"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("holds no k2search index"));
}

#[test]
fn incompatible_index_asks_for_rebuild() {
    let ws = Workspace::seeds();
    assert!(ws
        .run_as_typed(&["index", "--index", "idx"])
        .status
        .success());
    let meta_path = ws.path().join("idx/meta.json");
    let meta = fs::read_to_string(&meta_path).unwrap();
    fs::write(
        &meta_path,
        meta.replace(
            &format!("\\\"format\\\":{},", k2search::index::FORMAT_VERSION),
            "\\\"format\\\":999,",
        ),
    )
    .unwrap();
    let out = ws.run_as_typed(&["query", "--index", "idx", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("rebuild with `k2search index --rebuild`"),
        "{}",
        stderr(&out)
    );
    assert!(ws
        .run_as_typed(&["index", "--index", "idx", "--rebuild"])
        .status
        .success());
    assert!(ws
        .run_as_typed(&["query", "--index", "idx", "x"])
        .status
        .success());
}
