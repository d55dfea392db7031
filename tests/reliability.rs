//! Reliability: incremental and crash-safe indexing, concurrent runs, version checks,
//! hostile files and hostile queries. Every test runs the real `k2search` binary on
//! a corpus it generates in a temp dir (nothing large is committed).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, SystemTime};

use k2search::passage::Passage;
use k2search::search::{Hit, SearchResponse};
use serde_json::Value;

use crate::util::{
    assert_error, assert_no_panic, assert_success, last_commit, parsed, stderr, stdout,
    wait_within, Workspace,
};

/// The article every hostile-file test puts next to the hostile one: it must always be
/// fully indexed.
const GOOD: &str =
    "# Warfarin\n\nIntro text.\n\n## Interactions\n\nWarfarin interacts with vitamin K foods.\n";

/// Longest two concurrent index runs may take.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// The first 50 hits of `query`.
#[track_caller]
fn hits(ws: &Workspace, query: &str) -> Vec<Hit> {
    ws.query(&["-n", "50", query]).hits
}

/// Paths of the files that answer `query`.
#[track_caller]
fn hit_paths(ws: &Workspace, query: &str) -> Vec<String> {
    hits(ws, query)
        .into_iter()
        .map(|h| h.passage.path)
        .collect()
}

/// The good article is indexed with both its passages.
#[track_caller]
fn assert_good_indexed(ws: &Workspace) {
    let good: Vec<Passage> = ws
        .passages()
        .into_iter()
        .filter(|p| p.path == "good.md")
        .collect();
    assert_eq!(good.len(), 2, "good.md passages: {good:?}");
    assert_eq!(hit_paths(ws, "warfarin vitamin")[0], "good.md");
}

/// Index a corpus of good.md plus one hostile file; returns the index run's output.
fn index_with_hostile(ws: &Workspace, name: impl AsRef<Path>, bytes: &[u8]) -> Output {
    ws.write("good.md", GOOD);
    ws.write(name, bytes);
    let out = ws.run(&["index"]);
    assert_no_panic(&out);
    out
}

/// A warning line on stderr that names `path` and contains `what`.
#[track_caller]
fn assert_warning(out: &Output, path: &str, what: &str) {
    let err = stderr(out);
    assert!(
        err.lines()
            .any(|l| l.starts_with("k2search: warning: ") && l.contains(path) && l.contains(what)),
        "expected a warning naming {path} with {what:?}; stderr: {err}"
    );
}

// ---------------------------------------------------------------------------------
// Incremental and atomic indexing
// ---------------------------------------------------------------------------------

fn article(topic: &str, n: usize) -> String {
    format!(
        "# {topic} {n}\n\nAbout {topic} number {n}.\n\n## Dosage\n\nTake {n} mg of {topic} daily with food.\n\n## Side effects\n\nNausea may follow {topic} {n}.\n"
    )
}

#[test]
fn incremental_add_change_delete() {
    let ws = Workspace::empty();
    ws.write("a.md", article("alpha", 1));
    ws.write("b.md", article("beta", 2));
    ws.write("sub/c.md", article("gamma", 3));
    let out = ws.index(&[]);
    assert!(stdout(&out).contains("3 indexed"), "{}", stdout(&out));
    let before = ws.passages().len();

    ws.write("d.md", article("delta", 4));
    ws.write("b.md", article("zeta", 2));
    fs::remove_file(ws.corpus().join("sub/c.md")).expect("remove");
    let out = ws.index(&[]);
    assert!(
        stdout(&out).contains("2 indexed, 1 unchanged, 1 removed"),
        "{}",
        stdout(&out)
    );
    assert_eq!(ws.passages().len(), before); // one file out, one in, same shape
    assert_eq!(hit_paths(&ws, "delta"), vec!["d.md"; 3]);
    assert_eq!(hit_paths(&ws, "zeta"), vec!["b.md"; 3]);
    assert!(
        hit_paths(&ws, "beta").is_empty(),
        "old content of b.md is gone"
    );
    assert!(hit_paths(&ws, "gamma").is_empty(), "deleted c.md is gone");
    assert_eq!(hit_paths(&ws, "alpha"), vec!["a.md"; 3]);
}

/// Equal scores rank in an order drawn from the passages, not from where the indexing
/// runs put them: five articles that differ only in a number, indexed in one run or
/// added one run at a time in reverse, rank the same.
#[test]
fn two_builds_of_one_corpus_rank_ties_alike() {
    let names = ["a.md", "b.md", "c.md", "d.md", "e.md"];
    let at_once = Workspace::empty();
    for (n, name) in names.iter().enumerate() {
        at_once.write(name, article("omega", n));
    }
    at_once.index(&[]);
    let one_by_one = Workspace::empty();
    for (n, name) in names.iter().enumerate().rev() {
        one_by_one.write(name, article("omega", n));
        one_by_one.index(&[]);
    }
    for query in ["omega", "omega dosage", "nausea"] {
        let ranked = hit_paths(&at_once, query);
        assert!(ranked.len() >= 5, "{query}: {ranked:?}");
        assert_eq!(ranked, hit_paths(&one_by_one, query), "{query}");
    }
}

/// Names, sizes and modification times of every file in a folder.
fn snapshot(dir: &Path) -> BTreeMap<String, (u64, SystemTime)> {
    fs::read_dir(dir)
        .expect("read index dir")
        .flatten()
        .map(|e| {
            let meta = e.metadata().expect("stat");
            let name = e.file_name().to_string_lossy().into_owned();
            (name, (meta.len(), meta.modified().expect("mtime")))
        })
        .collect()
}

#[test]
fn rerun_with_nothing_changed_touches_no_index_file() {
    let ws = Workspace::empty();
    for i in 0..20 {
        ws.write(format!("f{i}.md"), article("omega", i));
    }
    ws.index(&[]);
    let before = snapshot(&ws.index_dir());
    let out = ws.index(&[]);
    assert!(stdout(&out).contains("nothing changed"), "{}", stdout(&out));
    assert_eq!(snapshot(&ws.index_dir()), before);

    // Same bytes, new modification time: re-hashed, still nothing to do.
    ws.write("f3.md", article("omega", 3));
    let out = ws.index(&[]);
    assert!(stdout(&out).contains("nothing changed"), "{}", stdout(&out));
}

#[test]
fn rebuild_reindexes_every_file() {
    let ws = Workspace::empty();
    ws.write("a.md", article("alpha", 1));
    ws.write("b.md", article("beta", 2));
    ws.index(&[]);
    let before = ws.passages();
    let out = ws.index(&["--rebuild"]);
    assert!(
        stdout(&out).contains("2 indexed, 0 unchanged"),
        "{}",
        stdout(&out)
    );
    assert_eq!(ws.passages(), before);
}

/// A corpus big enough that an index run takes a while (a few thousand files).
fn big_corpus(ws: &Workspace, files: usize, topic: &str) {
    for i in 0..files {
        ws.write(format!("d{}/f{i:05}.md", i % 10), article(topic, i));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn kill_9_during_index_run_keeps_previous_index() {
    let ws = Workspace::empty();
    big_corpus(&ws, 3000, "warfarin");
    // A first build killed before its commit leaves no index; the next run builds one.
    ws.freeze_index_run(&[]).kill();
    assert_eq!(
        last_commit(&ws.index_dir()),
        0,
        "the killed first build committed"
    );
    assert_error(&ws.run(&["query", "warfarin"]), "k2search index");
    ws.index(&[]);
    let passages = ws.passages().len();
    assert_eq!(passages, 3000 * 3);

    // A run killed for certain between taking the writer lock and its commit: nothing
    // of it is seen, all of the previous index is.
    big_corpus(&ws, 3000, "heparin");
    let committed = last_commit(&ws.index_dir());
    ws.freeze_index_run(&[]).kill();
    assert_eq!(last_commit(&ws.index_dir()), committed);
    assert_eq!(ws.passages().len(), passages);
    assert!(
        hits(&ws, "heparin").is_empty(),
        "a killed run's passages are visible"
    );
    assert_eq!(hits(&ws, "warfarin").len(), 50);

    // Killed after various delays: before its commit, during it, or after it. Every
    // file is changed, so that each run has everything to do. `indexed` is the word of
    // the last committed index, `on_disk` the word of the corpus now.
    let (mut indexed, mut on_disk) = ("warfarin", "heparin");
    for delay_ms in [50, 200, 500, 900, 1500] {
        let mut child = ws.spawn_index(&[]);
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().expect("kill -9"); // SIGKILL on Unix
        child.wait().expect("reap");
        // Whether the run was killed before or after its commit, the index is whole:
        // all of the previous corpus or all of the new one, never a mix.
        assert_eq!(ws.passages().len(), passages, "after kill at {delay_ms} ms");
        if hit_paths(&ws, on_disk).is_empty() {
            assert!(
                !hits(&ws, indexed).is_empty(),
                "after kill at {delay_ms} ms"
            );
        } else {
            assert!(hits(&ws, indexed).is_empty(), "after kill at {delay_ms} ms");
            indexed = on_disk;
            on_disk = if on_disk == "heparin" {
                "aspirin"
            } else {
                "heparin"
            };
            big_corpus(&ws, 3000, on_disk);
        }
    }
    // The next run recovers on its own and leaves no orphan segment files behind.
    ws.index(&[]);
    assert_eq!(ws.passages().len(), passages);
    assert!(hits(&ws, indexed).is_empty());
    assert!(!hits(&ws, on_disk).is_empty());
    let out = ws.index(&[]);
    assert!(stdout(&out).contains("nothing changed"), "{}", stdout(&out));
    assert_no_orphan_files(&ws.index_dir());
}

/// Every segment file in the index folder belongs to a segment listed in meta.json.
fn assert_no_orphan_files(index: &Path) {
    let meta = fs::read_to_string(index.join("meta.json")).expect("meta.json");
    let meta: Value = serde_json::from_str(&meta).expect("meta JSON");
    let live: Vec<String> = meta["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .map(|s| s["segment_id"].as_str().expect("id").replace('-', ""))
        .collect();
    for entry in fs::read_dir(index).expect("read index").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((stem, _)) = name.split_once('.') else {
            continue;
        };
        if stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit()) {
            assert!(live.contains(&stem.to_string()), "orphan index file {name}");
        }
    }
}

#[test]
fn second_index_run_stops_with_a_message_naming_the_lock() {
    let ws = Workspace::empty();
    ws.write("a.md", article("alpha", 1));
    ws.index(&[]);
    ws.write("b.md", article("beta", 2));
    // Hold the writer lock the way a running `k2search index` does.
    let index = tantivy::Index::open_in_dir(ws.index_dir()).expect("open index");
    let writer: tantivy::IndexWriter = index.writer(15_000_000).expect("writer lock");
    let out = ws.run(&["index"]);
    assert_error(&out, ".tantivy-writer.lock");
    assert!(stderr(&out).contains("locked"), "{}", stderr(&out));
    drop(writer);
    assert_eq!(
        hit_paths(&ws, "alpha"),
        vec!["a.md"; 3],
        "index intact while locked"
    );
    let out = ws.index(&[]);
    assert!(stdout(&out).contains("1 indexed"), "{}", stdout(&out));
}

#[test]
fn two_index_runs_at_once_never_corrupt_the_index() {
    let ws = Workspace::empty();
    big_corpus(&ws, 1500, "warfarin");
    let first = ws.spawn_index(&[]);
    let second = ws.spawn_index(&[]);
    let outs = [
        wait_within(first, HANG_GUARD),
        wait_within(second, HANG_GUARD),
    ];
    for out in &outs {
        assert_no_panic(out);
        if !out.status.success() {
            assert_error(out, ".tantivy-writer.lock");
        }
    }
    assert!(outs.iter().any(|o| o.status.success()), "one run must win");
    assert_eq!(ws.passages().len(), 1500 * 3);
    let out = ws.index(&[]);
    assert!(stdout(&out).contains("nothing changed"), "{}", stdout(&out));

    // The two runs above may or may not have overlapped; these two do for certain.
    #[cfg(target_os = "linux")]
    {
        let first = ws.freeze_index_run(&["--rebuild"]);
        assert_error(&ws.run(&["index"]), ".tantivy-writer.lock");
        assert_success(&first.finish());
        assert_eq!(ws.passages().len(), 1500 * 3);
    }
}

/// Queries while an index run is stopped part-way (it holds the writer lock and has
/// not committed) get the previous index, whole; queries while it goes on to its
/// commit never fail; after it, its new file is found.
#[cfg(target_os = "linux")]
#[test]
fn queries_keep_working_during_an_index_run() {
    let ws = Workspace::empty();
    big_corpus(&ws, 2000, "warfarin");
    ws.index(&[]);
    ws.write("new.md", article("heparin", 1));
    let run = ws.freeze_index_run(&["--rebuild"]);
    for _ in 0..3 {
        assert_eq!(hits(&ws, "warfarin dosage").len(), 50);
        assert!(hits(&ws, "heparin").is_empty(), "the run has not committed");
    }
    let mut child = run.resume();
    loop {
        let running = child.try_wait().expect("wait").is_none();
        assert_eq!(hits(&ws, "warfarin dosage").len(), 50);
        if !running {
            break;
        }
    }
    assert_success(&wait_within(child, HANG_GUARD));
    assert_eq!(hit_paths(&ws, "heparin"), vec!["new.md"; 3]);
}

// ---------------------------------------------------------------------------------
// Versioning
// ---------------------------------------------------------------------------------

/// Rewrites the manifest in the index's commit payload as an old k2search would have.
fn fake_old_index(index: &Path) {
    let path = index.join("meta.json");
    let mut meta: Value =
        serde_json::from_str(&fs::read_to_string(&path).expect("meta")).expect("meta JSON");
    let mut manifest: Value =
        serde_json::from_str(meta["payload"].as_str().expect("payload")).expect("manifest JSON");
    manifest["format"] = 0.into();
    manifest["version"] = "0.0.1".into();
    meta["payload"] = manifest.to_string().into();
    fs::write(&path, meta.to_string()).expect("write meta");
}

#[test]
fn index_from_an_old_version_asks_for_a_rebuild() {
    let ws = Workspace::empty();
    ws.write("a.md", article("alpha", 1));
    ws.index(&[]);
    fake_old_index(&ws.index_dir());
    let out = ws.run(&["query", "--json", "alpha"]);
    assert_error(&out, "was built by k2search 0.0.1");
    assert!(stderr(&out).contains("rebuild with `k2search index --rebuild`"));
    assert_error(&ws.run(&["index"]), "was built by k2search 0.0.1");
    ws.index(&["--rebuild"]);
    assert_eq!(hit_paths(&ws, "alpha"), vec!["a.md"; 3]);
}

#[test]
fn default_index_from_an_old_version_is_rebuilt_on_its_own() {
    let ws = Workspace::empty();
    ws.write("a.md", article("alpha", 1));
    let out = ws.run_as_typed(&["query", "--json", "alpha"]); // builds index/ first
    assert_eq!(parsed::<SearchResponse>(&out).hits.len(), 3);
    fake_old_index(&ws.index_dir());
    let out = ws.run_as_typed(&["query", "--json", "alpha"]);
    assert_eq!(parsed::<SearchResponse>(&out).hits.len(), 3);
    assert!(stderr(&out).contains("building it"), "{}", stderr(&out));
    // Up to date now, also after a file is touched without changing.
    ws.write("a.md", article("alpha", 1));
    let out = ws.run_as_typed(&["query", "--json", "alpha"]);
    assert_success(&out);
    assert!(!stderr(&out).contains("building it"), "{}", stderr(&out));
}

#[test]
fn interrupted_first_build_is_not_an_index() {
    let ws = Workspace::empty();
    ws.write("a.md", article("alpha", 1));
    // What a first run killed before its commit leaves: an index with no commit.
    fs::create_dir_all(ws.index_dir()).expect("mkdir");
    let (schema, _) = k2search::index::schema::schema();
    tantivy::Index::create_in_dir(ws.index_dir(), schema).expect("create");
    assert_error(&ws.run(&["query", "alpha"]), "k2search index");
    ws.index(&[]);
    assert_eq!(hit_paths(&ws, "alpha"), vec!["a.md"; 3]);
}

// ---------------------------------------------------------------------------------
// Hostile files: each gets a warning or error naming its path, nothing panics, and
// the good article beside it is still fully indexed.
// ---------------------------------------------------------------------------------

/// Hostile HTML: each page is read without a panic, costs the good article nothing,
/// and what text it has is indexed.
#[test]
fn hostile_html_never_panics_nor_costs_the_other_files() {
    let unclosed = "<html><body>".to_string()
        + &"<div><p><b><i><a href=x><table><tr><td><span>".repeat(2000)
        + "unclosed text<h2>Heading</h2>tail";
    let deep = "<div>".repeat(10_000) + "<h2>Deep</h2><p>deep text</p>";
    let one_line: String = (0..20_000)
        .map(|i| format!("<h2>Part {i}</h2><p>text {i}</p>"))
        .collect();
    // 50 MB in long paragraphs: the parser's cost, not the index's.
    let paragraph = format!("<p>{}</p>\n", "Ibuprofen &amp; paracetamol. ".repeat(4000));
    let big = format!(
        "<html><body><main><h1>Big</h1>\n<h2>Long</h2>\n{}</main></body></html>",
        paragraph.repeat(50 * 1024 * 1024 / paragraph.len())
    );
    let mut binary = b"<html><body>".to_vec();
    binary.extend((0..4096u32).map(|i| (i * 7 % 251) as u8));
    for (name, bytes, text) in [
        ("unclosed.html", unclosed.as_bytes(), Some("unclosed text")),
        ("deep.html", deep.as_bytes(), Some("deep text")),
        ("one-line.htm", one_line.as_bytes(), Some("text 19999")),
        ("big.html", big.as_bytes(), Some("paracetamol")),
        ("binary.html", &binary[..], None),
    ] {
        let ws = Workspace::empty();
        let out = index_with_hostile(&ws, name, bytes);
        assert_success(&out);
        assert_good_indexed(&ws);
        let indexed: Vec<Passage> = ws
            .passages()
            .into_iter()
            .filter(|p| p.path == name)
            .collect();
        match text {
            Some(text) => assert!(
                indexed.iter().any(|p| p.text.contains(text)),
                "{name}: {text:?} not indexed"
            ),
            None => assert_warning(&out, name, "binary"),
        }
    }
}

#[test]
fn empty_files_are_skipped_with_a_warning() {
    let ws = Workspace::empty();
    ws.write("blank.md", " \n\n\t\n");
    let out = index_with_hostile(&ws, "empty.md", b"");
    assert_success(&out);
    assert_warning(&out, "empty.md", "empty file");
    assert_warning(&out, "blank.md", "empty file");
    assert_good_indexed(&ws);
}

#[test]
fn binary_files_are_skipped_with_a_warning() {
    let ws = Workspace::empty();
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0..4096u32).map(|i| (i * 7 % 251) as u8));
    let out = index_with_hostile(&ws, "image.md", &png);
    assert_success(&out);
    assert_warning(&out, "image.md", "binary");
    assert_good_indexed(&ws);
    assert_eq!(ws.passages().len(), 2);
}

#[test]
fn invalid_utf8_is_indexed_lossily_with_a_warning() {
    let ws = Workspace::empty();
    let out = index_with_hostile(
        &ws,
        "latin1.md",
        b"# Caf\xe9 au lait\n\n## Dosage\n\nOne caf\xe9 cup of lattewort daily.\n",
    );
    assert_success(&out);
    assert_warning(&out, "latin1.md:1", "invalid UTF-8");
    let hits = hits(&ws, "lattewort");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].passage.title, "Caf\u{FFFD} au lait");
    assert_eq!(hits[0].passage.line_start, 3);
    assert_good_indexed(&ws);
}

#[test]
fn utf8_bom_is_dropped() {
    let ws = Workspace::empty();
    let out = index_with_hostile(
        &ws,
        "bom.md",
        "\u{FEFF}# Bom Title\n\n## Dosage\n\nbomword text\n".as_bytes(),
    );
    assert_success(&out);
    let hits = hits(&ws, "bomword");
    assert_eq!(hits[0].passage.title, "Bom Title");
    assert_eq!(hits[0].passage.headings, ["Dosage"]);
    assert_eq!(hits[0].passage.line_start, 3);
    assert_good_indexed(&ws);
}

/// For every passage of `path`, its `line_start` line in `text` (split at any line
/// ending) is the heading of the passage.
#[track_caller]
fn assert_line_starts_at_headings(ws: &Workspace, path: &str, text: &str, expected: usize) {
    let lines: Vec<&str> = text
        .split("\r\n")
        .flat_map(|l| l.split(['\n', '\r']))
        .collect();
    let passages: Vec<Passage> = ws
        .passages()
        .into_iter()
        .filter(|p| p.path == path)
        .collect();
    assert_eq!(passages.len(), expected, "{passages:?}");
    for p in passages {
        let Some(heading) = p.headings.last() else {
            continue;
        };
        let line = lines[p.line_start - 1];
        assert!(
            line.contains(heading.as_str()),
            "line {} is {line:?}, not {heading}",
            p.line_start
        );
        assert!(p.line_end <= lines.len());
    }
}

#[test]
fn crlf_and_lone_cr_line_numbers_are_right() {
    let ws = Workspace::empty();
    let crlf = "# Crlf\r\n\r\nintro\r\n\r\n## Dosage\r\n\r\ncrlfword one\r\n\r\n## Storage\r\n\r\ncrlfword two\r\n";
    let cr = crlf
        .replace("\r\n", "\r")
        .replace("Crlf", "Cr")
        .replace("crlfword", "crword");
    let mixed = "# Mixed\n\nintro\r\n\r## Dosage\r\nmixword one\n\r\n## Storage\rmixword two\r\n";
    ws.write("crlf.md", crlf);
    ws.write("cr.md", &cr);
    ws.write("mixed.md", mixed);
    let out = index_with_hostile(
        &ws,
        "plain.txt",
        b"Intro line.\r\r\nPlain Heading\rplainword body.\r",
    );
    assert_success(&out);
    assert_line_starts_at_headings(&ws, "crlf.md", crlf, 3);
    assert_line_starts_at_headings(&ws, "cr.md", &cr, 3);
    assert_line_starts_at_headings(&ws, "mixed.md", mixed, 3);
    let dosage = hits(&ws, "crlfword")
        .into_iter()
        .find(|h| h.passage.headings == ["Dosage"])
        .expect("hit");
    assert_eq!((dosage.passage.line_start, dosage.passage.line_end), (5, 7));
    let dosage = hits(&ws, "crword")
        .into_iter()
        .find(|h| h.passage.headings == ["Dosage"])
        .expect("hit");
    assert_eq!((dosage.passage.line_start, dosage.passage.line_end), (5, 7));
    assert_good_indexed(&ws);
}

#[test]
fn unclosed_and_malformed_front_matter_warn_and_index_the_body() {
    let ws = Workspace::empty();
    ws.write(
        "unclosed.md",
        "---\ntitle: Never closed\n\n## Dosage\n\nunclosedword here\n",
    );
    ws.write(
        "tabs.md",
        "---\ntitle:\t[unclosed\n\t- : :\n---\n## Dosage\n\nmalformedword here\n",
    );
    ws.write(
        "scalar.md",
        "---\njust a string\n---\n## Dosage\n\nscalarword here\n",
    );
    let out = index_with_hostile(
        &ws,
        "dashes.md",
        b"---\n---\n---\n## Dosage\n\ndashesword\n",
    );
    assert_success(&out);
    assert_warning(&out, "unclosed.md:1", "never closed");
    assert_warning(&out, "tabs.md:", "malformed front matter");
    assert_warning(&out, "scalar.md:2", "not a key: value mapping");
    for (word, path) in [
        ("unclosedword", "unclosed.md"),
        ("malformedword", "tabs.md"),
        ("scalarword", "scalar.md"),
        ("dashesword", "dashes.md"),
    ] {
        assert_eq!(hit_paths(&ws, word), vec![path], "{word}");
    }
    assert_good_indexed(&ws);
}

#[test]
fn yaml_alias_bomb_and_deep_nesting_are_bounded() {
    let ws = Workspace::empty();
    let mut bomb = String::from(
        "---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names: Vec<char> = ('a'..='z').collect();
    for pair in names.windows(2) {
        let (prev, name) = (pair[0], pair[1]);
        bomb.push_str(&format!("{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
    }
    bomb.push_str("title: Bomb\n---\n## Dosage\n\nbombword\n");
    ws.write("bomb.md", bomb);
    ws.write(
        "brackets.md",
        format!(
            "---\na: {}\n---\n## Dosage\n\nbracketword\n",
            "[".repeat(100_000)
        ),
    );
    ws.write(
        "braces.md",
        format!(
            "---\na: {}\n---\n## Dosage\n\nbraceword\n",
            "{a: ".repeat(50_000)
        ),
    );
    let indented = |levels: usize| -> String {
        (0..levels)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect()
    };
    ws.write(
        "indented.md",
        format!("---\n{}---\n## Dosage\n\nindentword\n", indented(700)),
    );
    ws.write(
        "oversized.md",
        format!("---\n{}---\n## Dosage\n\noversizedword\n", indented(5_000)),
    );
    let out = index_with_hostile(
        &ws,
        "anchors.md",
        b"---\na: *nowhere\n---\n## Dosage\n\nanchorword\n",
    );
    assert_success(&out);
    for (word, path) in [
        ("bombword", "bomb.md"),
        ("bracketword", "brackets.md"),
        ("braceword", "braces.md"),
        ("indentword", "indented.md"),
        ("oversizedword", "oversized.md"),
        ("anchorword", "anchors.md"),
    ] {
        assert_eq!(hit_paths(&ws, word), vec![path], "{word}");
        assert_warning(&out, path, "front matter");
    }
    assert_good_indexed(&ws);
}

/// 50 MB is 400,000 sections: a minute or more in a debug build, seconds in release.
#[test]
#[ignore = "slow in debug builds: cargo test --release --test tests reliability:: -- --ignored"]
fn a_50_mb_markdown_file_is_indexed() {
    let ws = Workspace::empty();
    let mut big = String::with_capacity(51 << 20);
    let mut n = 0;
    while big.len() < 50 << 20 {
        big.push_str(&format!("## Section {n}\n\nParagraph {n} about bleeding risk and clotting factors, repeated to fill the file with ordinary prose.\n\n"));
        n += 1;
    }
    big.push_str("## Last section\n\nthelastword is here\n");
    let out = index_with_hostile(&ws, "big.md", big.as_bytes());
    assert_success(&out);
    let hits = hits(&ws, "thelastword");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].passage.line_start, 4 * n + 1);
    assert_good_indexed(&ws);
}

#[test]
fn a_file_over_the_size_limit_is_skipped_with_a_warning() {
    let ws = Workspace::empty();
    let huge = ws.write("huge.md", "# Huge\n");
    // Sparse: costs no disk and no time to write.
    fs::OpenOptions::new()
        .write(true)
        .open(&huge)
        .and_then(|f| f.set_len(65 << 20))
        .expect("grow file");
    let out = index_with_hostile(&ws, "small.md", b"## Dosage\n\nsmallword\n");
    assert_success(&out);
    assert_warning(&out, "huge.md", "over the 64 MiB limit");
    assert_good_indexed(&ws);
}

#[test]
fn a_5_mb_single_line_is_indexed() {
    let ws = Workspace::empty();
    let mut line = "lineword ".repeat((5 << 20) / 9);
    line.push_str("endofline");
    let out = index_with_hostile(&ws, "line.md", line.as_bytes());
    assert_success(&out);
    let hits = hits(&ws, "endofline");
    assert!(!hits.is_empty());
    assert!(hits
        .iter()
        .all(|h| h.passage.line_start == 1 && h.passage.line_end == 1));
    assert_good_indexed(&ws);
}

/// A multi-megabyte line and a section of thousands of paragraphs are cut into pieces
/// of bounded size, each citing the lines it came from.
#[test]
fn a_giant_line_and_a_huge_section_give_bounded_passages_citing_their_lines() {
    let max = k2search::passage::MAX_PASSAGE_BYTES;
    let ws = Workspace::empty();
    let mut line = "lineword ".repeat((4 << 20) / 9);
    line.push_str("needleword lineword");
    let paragraphs: Vec<String> = (0..3000)
        .map(|i| match i {
            2000 => "Take tamoxifen with water.".to_string(),
            _ => format!("Paragraph {i} about clotting factors and bleeding."),
        })
        .collect();
    // Lines: 1 title, 2 blank, 3 heading, 4 the giant line, 5 blank, 6 heading, 7
    // blank, then paragraph i on line 8 + 2i.
    let text = format!(
        "# Giant

## Line
{line}

## Section

{}

## After

afterword here
",
        paragraphs.join("\n\n")
    );
    let out = index_with_hostile(&ws, "giant.md", text.as_bytes());
    assert_success(&out);

    let passages: Vec<Passage> = ws
        .passages()
        .into_iter()
        .filter(|p| p.path == "giant.md")
        .collect();
    assert!(passages.len() > (4 << 20) / max, "{}", passages.len());
    assert!(passages.iter().all(|p| p.text.len() <= max));

    let lines = |h: &Hit| (h.passage.line_start, h.passage.line_end);
    let needle = hits(&ws, "needleword");
    assert_eq!(needle.len(), 1, "{needle:?}");
    assert_eq!(lines(&needle[0]), (4, 4));
    assert!(needle[0].passage.text.len() <= max);

    let tamoxifen = hits(&ws, "tamoxifen");
    assert_eq!(tamoxifen.len(), 1, "{tamoxifen:?}");
    let (start, end) = lines(&tamoxifen[0]);
    assert!(
        start <= 8 + 2 * 2000 && 8 + 2 * 2000 <= end,
        "{start}-{end}"
    );
    assert!(end - start < 2 * 3000, "{start}-{end}: the whole section");
    assert_eq!(tamoxifen[0].passage.headings, ["Section"]);

    let after = 8 + 2 * 3000; // the heading, then a blank line and the text
    assert_eq!(lines(&hits(&ws, "afterword")[0]), (after, after + 2));
    assert_good_indexed(&ws);
}

#[test]
fn ten_thousand_nested_block_quotes_and_lists_are_indexed() {
    let ws = Workspace::empty();
    ws.write(
        "quotes.md",
        format!("# Quotes\n\n{}quoteword\n", "> ".repeat(10_000)),
    );
    ws.write(
        "quotelines.md",
        // One more `>` per line: 10,000 lines would be a 50 MB file; 2,000 is 2 MB.
        (1..=2_000)
            .map(|i| format!("{}q{i}\n", ">".repeat(i)))
            .collect::<String>()
            + "\nquotelinesword\n",
    );
    ws.write(
        "lists.md",
        format!("# Lists\n\n{}listword\n", "- ".repeat(10_000)),
    );
    ws.write(
        "ordered.md",
        format!("# Ordered\n\n{}orderedword\n", "1. ".repeat(10_000)),
    );
    let indented: String = (0..2_000)
        .map(|i| format!("{}- level{i}\n", "  ".repeat(i)))
        .collect();
    let out = index_with_hostile(
        &ws,
        "indented.md",
        format!("# Indented\n\n{indented}\nindentedword\n").as_bytes(),
    );
    assert_success(&out);
    for (word, path) in [
        ("quoteword", "quotes.md"),
        ("quotelinesword", "quotelines.md"),
        ("listword", "lists.md"),
        ("orderedword", "ordered.md"),
        ("indentedword", "indented.md"),
    ] {
        assert_eq!(hit_paths(&ws, word), vec![path], "{word}");
    }
    assert_good_indexed(&ws);
}

#[test]
fn a_file_of_headings_only_warns() {
    let ws = Workspace::empty();
    let headings: String = (1..=6)
        .map(|l| format!("{} Heading {l}\n", "#".repeat(l)))
        .collect();
    let out = index_with_hostile(&ws, "headings.md", headings.as_bytes());
    assert_success(&out);
    assert_warning(&out, "headings.md", "no text");
    assert_good_indexed(&ws);
    let out = ws.index(&[]);
    assert!(stdout(&out).contains("nothing changed"), "{}", stdout(&out));
}

#[cfg(unix)]
#[test]
fn file_names_that_are_not_utf8_are_indexed_with_a_warning() {
    use std::os::unix::ffi::OsStrExt;
    let ws = Workspace::empty();
    let name = |b: &[u8]| PathBuf::from(std::ffi::OsStr::from_bytes(b));
    ws.write(name(b"caf\xe9.md"), "## Dosage\n\nlatinname one\n");
    ws.write(name(b"caf\xe8.md"), "## Dosage\n\nlatinname two\n");
    let out = index_with_hostile(&ws, name(b"sub\xff/x.md"), b"## Dosage\n\nsubdirword\n");
    assert_success(&out);
    assert_warning(&out, "caf\u{FFFD}.md", "not valid UTF-8");
    assert_eq!(hit_paths(&ws, "subdirword"), vec!["sub\u{FFFD}/x.md"]);
    assert!(!hits(&ws, "latinname").is_empty());
    assert_good_indexed(&ws);
    // Incremental runs keep every file's passages.
    let before = ws.passages().len();
    ws.write(name(b"caf\xe9.md"), "## Dosage\n\nlatinname three\n");
    ws.index(&[]);
    assert_eq!(ws.passages().len(), before);
    let out = ws.index(&[]);
    assert!(stdout(&out).contains("nothing changed"), "{}", stdout(&out));
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_links_are_skipped() {
    use std::os::unix::fs::symlink;
    let ws = Workspace::empty();
    ws.write("sub/a.md", "## Dosage\n\nlinkedword\n");
    symlink("..", ws.corpus().join("sub/up")).expect("symlink");
    symlink("self.md", ws.corpus().join("self.md")).expect("symlink");
    symlink("nowhere.md", ws.corpus().join("dangling.md")).expect("symlink");
    let out = index_with_hostile(&ws, "b.md", b"## Storage\n\nplainword\n");
    assert_success(&out);
    assert_warning(&out, "sub/up", "symlink loop");
    assert_warning(&out, "self.md", "skipped");
    assert_warning(&out, "dangling.md", "skipped");
    assert_eq!(hit_paths(&ws, "linkedword"), vec!["sub/a.md"]);
    assert_good_indexed(&ws);
}

#[cfg(unix)]
#[test]
fn unreadable_files_and_folders_are_skipped() {
    use std::os::unix::fs::PermissionsExt;
    let ws = Workspace::empty();
    let file = ws.write("secret.md", "## Dosage\n\nsecretword\n");
    ws.write("locked/inner.md", "## Dosage\n\ninnerword\n");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o000)).expect("chmod");
    fs::set_permissions(
        ws.corpus().join("locked"),
        fs::Permissions::from_mode(0o000),
    )
    .expect("chmod");
    ws.write("good.md", GOOD);
    ws.write("other.md", b"## Storage\n\notherword\n");
    // Root reads whatever the mode says: its index run drops the capabilities that
    // let it, where it can. Else there is nothing to refuse.
    let enforced = fs::read(&file).is_err();
    let out = if enforced {
        Some(ws.run(&["index"]))
    } else {
        ws.run_without_dac_override(&["index"])
    };
    fs::set_permissions(
        ws.corpus().join("locked"),
        fs::Permissions::from_mode(0o755),
    )
    .expect("chmod");
    match out {
        Some(out) => {
            assert_success(&out);
            assert_no_panic(&out);
            assert_warning(&out, "secret.md", "cannot be read");
            assert_warning(&out, "locked", "cannot be read");
            assert!(hits(&ws, "secretword").is_empty());
            assert!(hits(&ws, "innerword").is_empty());
        }
        None => {
            eprintln!("permissions not enforced for root here (no setpriv)");
            assert_success(&ws.run(&["index"]));
            assert_eq!(hit_paths(&ws, "secretword"), vec!["secret.md"]);
        }
    }
    assert_eq!(hit_paths(&ws, "otherword"), vec!["other.md"]);
    assert_good_indexed(&ws);
}

#[test]
fn a_corpus_that_is_a_file_is_an_error() {
    let ws = Workspace::empty();
    fs::write(ws.corpus(), GOOD).expect("write");
    assert_error(&ws.run(&["index"]), "is a file, not a folder");
    assert!(!ws.index_dir().join("meta.json").exists());
    fs::remove_file(ws.corpus()).expect("rm");
    assert_error(&ws.run(&["index"]), "corpus");
}

#[test]
fn a_corpus_of_hostile_files_only_is_an_error() {
    let ws = Workspace::empty();
    ws.write("empty.md", "");
    ws.write("bin.md", b"\0\0\0");
    assert_error(&ws.run(&["index"]), "has no .md");
}

// ---------------------------------------------------------------------------------
// Hostile queries: exit 0 with a JSON answer, or exit 2 with a one-line message.
// ---------------------------------------------------------------------------------

/// Runs each query; returns how many were answered (the rest were refused cleanly).
fn run_hostile_queries(ws: &Workspace, queries: &[(&str, String)]) -> usize {
    let mut answered = 0;
    for (name, query) in queries {
        let out = ws.run(&["query", "--json", "--", query]);
        assert_no_panic(&out);
        match out.status.code() {
            Some(0) => {
                let answer: SearchResponse = parsed(&out);
                assert_eq!(answer.query, *query, "{name}");
                answered += 1;
            }
            Some(2) => assert_error(&out, "query"),
            code => panic!("{name}: exit {code:?}, stderr {}", stderr(&out)),
        }
    }
    answered
}

fn indexed_workspace() -> Workspace {
    let ws = Workspace::empty();
    ws.write("good.md", GOOD);
    ws.write("multi.md", "# Multilingual\n\n## Arabic\n\nالوارفارين دواء\n\n## CJK\n\n华法林 抗凝药 ワルファリン\n\n## Emoji\n\npill 💊 café ñandú\n");
    ws.index(&[]);
    ws
}

#[test]
fn hostile_queries_operators_and_punctuation() {
    let ws = indexed_workspace();
    let queries: Vec<(&str, String)> = [
        ("empty", ""),
        ("spaces", "   "),
        ("boolean words", "AND OR NOT"),
        ("plus", "+"),
        ("minus", "-"),
        ("star", "*"),
        ("fuzzy", "~2"),
        ("parens", "(((("),
        ("closing parens", "))))"),
        ("one quote", "\""),
        ("unbalanced quote", "\"warfarin vitamin"),
        ("three quotes", "\"\"\""),
        ("empty phrase", "\"\" warfarin"),
        ("field", "title:"),
        ("unknown fields", "a:b:c"),
        ("field value", "title:warfarin body:\"vitamin k\""),
        ("range", "[a TO z] {* TO *}"),
        ("regex", "/.*/"),
        ("boost", "warfarin^100 ^ ^^"),
        ("escapes", "\\ \\\\ \\\" \\:"),
        ("mixed operators", "+warfarin -vitamin AND (K OR NOT) ~2 *"),
        ("dash option lookalike", "--rebuild"),
        ("sql", "'; DROP TABLE passages; --"),
        ("html", "<script>alert(1)</script>"),
    ]
    .into_iter()
    .map(|(name, q)| (name, q.to_string()))
    .collect();
    let answered = run_hostile_queries(&ws, &queries);
    assert_eq!(
        answered,
        queries.len(),
        "every operator query gets an answer"
    );
}

#[test]
fn hostile_queries_long_and_unicode() {
    let ws = indexed_workspace();
    let queries = vec![
        (
            "10,000 characters",
            "warfarin ".repeat(1_112)[..10_000].to_string(),
        ),
        (
            "10,000 distinct words",
            (0..2_000)
                .map(|i| format!("w{i}"))
                .collect::<Vec<_>>()
                .join(" ")[..10_000]
                .to_string(),
        ),
        ("10,000 quotes", "\"a".repeat(5_000)),
        ("10,000 characters no space", "x".repeat(10_000)),
        ("10,000 emoji", "💊".repeat(10_000)),
        ("emoji", "💊 pill 🩸".to_string()),
        ("zwj emoji", "👩‍⚕️👨‍👩‍👧".to_string()),
        ("arabic", "الوارفارين".to_string()),
        ("cjk", "华法林".to_string()),
        ("japanese", "ワルファリン".to_string()),
        (
            "combining marks",
            "cafe\u{301} n\u{303}andu\u{301} z\u{308}\u{301}\u{327}".to_string(),
        ),
        ("lone combining marks", "\u{301}\u{303}\u{308}".repeat(100)),
        ("rtl override", "\u{202E}nirafraw\u{202C}".to_string()),
        (
            "control characters",
            "war\u{1}farin\u{7f} \t\u{1b}[31m \u{8}\u{c}".to_string(),
        ),
        (
            "replacement and private use",
            "\u{FFFD}\u{E000}\u{10FFFF}".to_string(),
        ),
        ("zero width", "war\u{200B}farin\u{FEFF}".to_string()),
    ];
    run_hostile_queries(&ws, &queries);
    // What must be answered, and found.
    for (query, path) in [
        ("الوارفارين", "multi.md"),
        ("华法林", "multi.md"),
        ("💊 pill", "multi.md"),
        ("warfarin ".repeat(1_000).as_str(), "good.md"),
    ] {
        assert_eq!(
            hit_paths(&ws, query).first().map(String::as_str),
            Some(path),
            "{query}"
        );
    }
}

// ---------------------------------------------------------------------------------
// Splitter invariants on generated Markdown: a fixed-seed stand-in for the `split`
// fuzz target (fuzz/fuzz_targets/split.rs), so CI checks the same contract.
// ---------------------------------------------------------------------------------

/// Markdown and plain-text fragments the generator strings together.
const FRAGMENTS: &[&str] = &[
    "# T\n",
    "## Dosage\n",
    "### Q1: Why?\n",
    "A: Because.\n",
    "text here.\n",
    "\n",
    "\r\n",
    "\r",
    "---\n",
    "title: x\n",
    "faqs:\n  - q: Why?\n    a: So.\n",
    "* **Q: How?** A: So.\n",
    "- item\n",
    "> quote\n",
    "```\ncode\n```\n",
    "Setext\n---\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "    indented\n",
    "<div>\n",
    "Short Heading\n",
    "é\u{301}💊",
    "\u{FEFF}",
    "[link](x)",
    "**",
    "`",
    "1. one\n",
    "\t",
    " ",
];

/// Pieces of HTML pages, hostile ones included, for the generated-input invariants.
const HTML_FRAGMENTS: &[&str] = &[
    "<h1>T</h1>\n",
    "<h2>Dosage</h2>",
    "<h3>Q1: Why?</h3>",
    "<p>text here.</p>\n",
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<ul><li>one<li>two</ul>",
    "<table><tr><td>1<td>2</table>",
    "<details><summary>Why?</summary>",
    "</details>",
    "<b>Bold</b>",
    "<strong>Q: How?</strong><br>A: So.",
    "<main>",
    "<article>",
    "<nav>menu</nav>",
    "<script>var x = '</p>';</script>",
    "<style>p{}</style>",
    "<template><p>t</p></template>",
    "<div hidden>h</div>",
    "<title>Page | Site</title>",
    "<script type=\"application/ld+json\">{\"@type\":\"FAQPage\",\"mainEntity\":{\"name\":\"Q?\",\"acceptedAnswer\":{\"text\":\"A.\"}}}</script>",
    "<div itemscope itemtype=\"https://schema.org/Question\"><span itemprop=\"name\">N?</span>",
    "&amp;&nbsp;&#x1F48A;&bogus;",
    "<!-- comment -->",
    "<![CDATA[x]]>",
    "<svg><p>x</p></svg>",
    "<math><mi>x</mi></math>",
    "<frameset>",
    "\n",
    "\r\n",
    "\r",
    "é\u{301}💊",
    "<",
    ">",
    "\"",
];

#[test]
fn splitter_invariants_hold_on_generated_html() {
    check_generated_inputs("gen.html", k2search::source::Format::Html, HTML_FRAGMENTS);
}

#[test]
fn splitter_invariants_hold_on_generated_markdown() {
    check_generated_inputs("gen.md", k2search::source::Format::Text, FRAGMENTS);
}

/// Splits 3,000 texts made of random `fragments`: every passage cites a real, ordered
/// place in the text, and ids are unique.
fn check_generated_inputs(name: &str, format: k2search::source::Format, fragments: &[&str]) {
    use k2search::source::lines::LineIndex;
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for case in 0..3_000 {
        let len = next() % 40;
        let text: String = (0..len)
            .map(|_| fragments[next() as usize % fragments.len()])
            .collect();
        let Ok((file, _)) = k2search::source::decode(name, format, text.as_bytes()) else {
            continue;
        };
        let (doc, _) = k2search::passage::split(&file);
        let lines = LineIndex::new(&file.text);
        let mut ids = std::collections::HashSet::new();
        let mut previous_start = 1;
        for p in &doc.passages {
            let ctx = format!("case {case}: {text:?} -> {p:?}");
            assert!(1 <= p.line_start && p.line_start <= p.line_end, "{ctx}");
            assert!(p.line_end <= lines.count(), "{ctx}");
            assert!(p.line_start >= previous_start, "{ctx}");
            previous_start = p.line_start;
            assert!(
                p.byte_start < p.byte_end && p.byte_end <= file.text.len(),
                "{ctx}"
            );
            assert_eq!(p.line_start, lines.line_of(p.byte_start), "{ctx}");
            assert!(ids.insert(p.id.clone()), "{ctx}");
        }
    }
}
