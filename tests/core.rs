//! Integration tests of the core engine: they run the real `k2search` binary on a copy
//! of the bundled corpus in a temporary folder.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;

use k2search::passage::{Kind, Passage};
use k2search::search::SearchResponse;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus");

/// A temporary copy of the repository layout: `corpus/` (the seeds) and `index/`.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Repo {
        Repo {
            dir: common::seed_workspace(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, args: &[&str]) -> Output {
        common::run_in(self.path(), args)
    }

    fn passages(&self) -> Vec<Passage> {
        let out = self.run(&["passages", "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn query(&self, q: &str) -> SearchResponse {
        let out = self.run(&["query", "--json", q]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn headings_of(passages: &[Passage], file_prefix: &str) -> Vec<String> {
    passages
        .iter()
        .filter(|p| p.path.starts_with(file_prefix))
        .filter_map(|p| p.headings.last().cloned())
        .collect()
}

#[test]
fn plain_text_implicit_headings() {
    let repo = Repo::new();
    let passages = repo.passages();
    let h003 = headings_of(&passages, "003_");
    for expected in [
        "How Vitamin K2 Supports Bone Density",
        "Determining the Optimal Daily K2 Dosage",
        "Navigating K2 Forms and Dietary Sources",
        "Safety Profile and Medication Interactions",
    ] {
        assert!(
            h003.iter().any(|h| h == expected),
            "003 lacks heading {expected:?}: {h003:?}"
        );
    }
    let h004 = headings_of(&passages, "004_");
    for expected in [
        "Key Takeaways",
        "Chemical Structure of Vitamin K2",
        "Aids in Blood Clotting",
        "Vitamin K2 MK7 vs MK4: Which is More Effective?",
        "Vitamin K2 and Anticoagulants: Important Considerations",
        "Foods High in Vitamin K2",
        "Recommended Dosages for Different Conditions",
        "Conclusion",
    ] {
        assert!(
            h004.iter().any(|h| h == expected),
            "004 lacks heading {expected:?}"
        );
    }
    assert!(!h004.iter().any(|h| h.starts_with("Clotting depends")));
    for file in ["003_", "004_"] {
        let intro = passages.iter().find(|p| p.path.starts_with(file)).unwrap();
        assert_eq!((intro.kind, intro.line_start), (Kind::Intro, 1));
    }
}

#[test]
fn markdown_headings_are_cleaned_with_paths() {
    let passages = Repo::new().passages();
    let adults = passages
        .iter()
        .find(|p| {
            p.path.starts_with("002_") && p.headings.last().map(String::as_str) == Some("Adults:")
        })
        .expect("002 has an Adults: section");
    assert_eq!(adults.headings, ["Dosage", "Standard Dosage", "Adults:"]);
    assert_eq!(adults.line_start, 89);
    assert!(adults.text.contains("100-375 mcg"));
    assert!(passages
        .iter()
        .all(|p| p.headings.iter().all(|h| !h.contains("**"))));
    let usage = passages
        .iter()
        .find(|p| p.path.starts_with("002_") && p.headings == ["Usage"]);
    assert!(usage.is_some(), "## **Usage** is cleaned to Usage");
    assert!(passages
        .iter()
        .filter(|p| p.path.starts_with("002_"))
        .all(|p| p.title == "Vitamin K2-7"));
    assert!(passages
        .iter()
        .filter(|p| p.path.starts_with("000_"))
        .all(|p| p.title == "Menaquinone (Vitamin K2)"));
}

#[test]
fn faq_counts_per_format() {
    let passages = Repo::new().passages();
    let count = |prefix: &str| {
        passages
            .iter()
            .filter(|p| p.path.starts_with(prefix) && p.kind == Kind::Faq)
            .count()
    };
    assert_eq!(count("000_"), 4);
    assert_eq!(count("001_"), 5);
    // 002 has the same nine questions in front matter and body: indexed once, citing the body.
    assert_eq!(count("002_"), 9);
    let faqs_002: Vec<&Passage> = passages
        .iter()
        .filter(|p| p.path.starts_with("002_") && p.kind == Kind::Faq)
        .collect();
    assert!(
        faqs_002.iter().all(|p| p.line_start > 53),
        "cites the body, not the front matter"
    );
    let first = faqs_002[0];
    assert_eq!(
        first.headings.last().unwrap(),
        "What is the recommended dosage for Vitamin K2-7?"
    );
    assert_eq!(
        first.text,
        "100-375 mcg daily for adults, 45 mcg daily for children under 12."
    );
    let bullet = passages
        .iter()
        .find(|p| p.path.starts_with("000_") && p.kind == Kind::Faq)
        .unwrap();
    assert_eq!(
        bullet.headings,
        [
            "FAQs",
            "Can I take Menaquinone without a doctor's prescription?"
        ]
    );
    assert!(bullet
        .text
        .starts_with("While many Menaquinone supplements"));
}

#[test]
fn line_start_is_the_heading_line() {
    let passages = Repo::new().passages();
    for p in passages.iter().filter(|p| p.kind == Kind::Section) {
        let text = fs::read_to_string(Path::new(CORPUS).join(&p.path)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            p.line_start <= p.line_end && p.line_end <= lines.len(),
            "{p:?}"
        );
        let line = lines[p.line_start - 1];
        let heading = p.headings.last().unwrap();
        assert!(
            line.contains(heading.as_str()),
            "{}:{} is {line:?}, not {heading:?}",
            p.path,
            p.line_start
        );
    }
}

#[test]
fn warfarin_interaction_cites_002_drug_interactions() {
    let repo = Repo::new();
    let response = repo.query("warfarin interaction");
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

    let out = repo.run(&["query", "warfarin interaction"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("corpus/002_efd43bb0ead33ead.txt:127-"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "no colour when piped");
}

#[test]
fn json_contract_fields() {
    let repo = Repo::new();
    let out = repo.run(&["query", "--json", "--limit", "3", "vitamin K2 dosage"]);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for field in ["query", "took_ms", "total_hits", "hits"] {
        assert!(value.get(field).is_some(), "response lacks {field}");
    }
    let hits = value["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3);
    for field in [
        "rank",
        "score",
        "id",
        "path",
        "title",
        "headings",
        "kind",
        "category",
        "line_start",
        "line_end",
        "snippet",
        "text",
    ] {
        assert!(hits[0].get(field).is_some(), "hit lacks {field}");
    }
    assert_eq!(hits[0]["rank"], 1);
}

#[test]
fn punctuation_never_fails_and_phrases_are_honoured() {
    let repo = Repo::new();
    let response = repo.query(r#"warfarin? (coumadin) "K2-7""#);
    assert!(!response.hits.is_empty());
    let phrase = repo.query(r#""calcium paradox""#);
    assert!(phrase
        .hits
        .iter()
        .all(|h| h.passage.text.to_lowercase().contains("calcium paradox")));
    assert!(!phrase.hits.is_empty());
    for q in ["AND OR NOT", "((((", "\"", "+-*~2", "title:", "a:b:c"] {
        let out = repo.run(&["query", "--json", q]);
        assert!(out.status.success(), "{q}: {}", stderr(&out));
    }
    let none = repo.run(&["query", "zzqqxxnotaword"]);
    assert!(none.status.success());
}

#[test]
fn default_index_is_built_on_first_query_and_refreshed() {
    let repo = Repo::new();
    let out = repo.run(&["query", "natto"]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("building it first"),
        "{}",
        stderr(&out)
    );
    let again = repo.run(&["query", "natto"]);
    assert!(
        !stderr(&again).contains("building"),
        "second run reuses the index"
    );
    fs::write(
        repo.path().join("corpus/new.md"),
        "# Gout\n\n## Diet\nAvoid purine-rich zebrafood.\n",
    )
    .unwrap();
    let out = repo.run(&["query", "--json", "zebrafood"]);
    assert!(stderr(&out).contains("building it first"));
    let response: SearchResponse = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response.hits[0].passage.path, "new.md");
}

#[test]
fn index_summary_and_incremental_update() {
    let repo = Repo::new();
    let out = repo.run(&["index"]);
    assert!(out.status.success());
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains("indexed 5 files") && summary.contains("passages"),
        "{summary}"
    );
    let out = repo.run(&["index"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing changed"));
    fs::remove_file(repo.path().join("corpus/003_a3c08815d3bf233e.txt")).unwrap();
    let out = repo.run(&["index"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 removed"));
    assert!(repo.passages().iter().all(|p| !p.path.starts_with("003_")));
    // The per-file records of the last commit, and no others, stand beside the index.
    let records = fs::read_dir(repo.path().join("index"))
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
    let repo = Repo::new();
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
            vec!["query", "--section", "nonsense", "x"],
            "unknown category",
        ),
    ];
    for (args, needle) in cases {
        let out = repo.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    let out = repo.run(&["query", "--no-such-flag", "x"]);
    assert_eq!(out.status.code(), Some(2));

    fs::create_dir(repo.path().join("empty")).unwrap();
    let out = repo.run(&["index", "--corpus", "empty", "--index", "idx"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no .md, .markdown, .txt, .html or .htm articles"));

    fs::write(repo.path().join("notadir"), "x").unwrap();
    let out = repo.run(&["index", "--index", "notadir/sub"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot create index folder"),
        "{}",
        stderr(&out)
    );

    fs::create_dir(repo.path().join("photos")).unwrap();
    fs::write(repo.path().join("photos/cat.jpg"), "x").unwrap();
    let out = repo.run(&["index", "--index", "photos"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("holds no k2search index"));
}

#[test]
fn incompatible_index_asks_for_rebuild() {
    let repo = Repo::new();
    assert!(repo.run(&["index", "--index", "idx"]).status.success());
    let meta_path: PathBuf = repo.path().join("idx/meta.json");
    let meta = fs::read_to_string(&meta_path).unwrap();
    fs::write(
        &meta_path,
        meta.replace(
            &format!("\\\"format\\\":{},", k2search::index::FORMAT_VERSION),
            "\\\"format\\\":999,",
        ),
    )
    .unwrap();
    let out = repo.run(&["query", "--index", "idx", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("rebuild with `k2search index --rebuild`"),
        "{}",
        stderr(&out)
    );
    assert!(repo
        .run(&["index", "--index", "idx", "--rebuild"])
        .status
        .success());
    assert!(repo.run(&["query", "--index", "idx", "x"]).status.success());
}
