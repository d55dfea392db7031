//! The search box: the word being typed matched as a prefix (`warf` finds warfarin),
//! on the command line and over HTTP, with the category filter and below exact words;
//! facet counts checked against a brute-force count of `passages --json`; filters on
//! front matter; `GET /suggest`; and the page's use of facets and suggestions.

use k2search::search::SearchResponse;

use crate::util::{seed_index, Workspace};

/// Whether every hit's title, headings or text contains `word` (any case).
fn all_contain(response: &SearchResponse, word: &str) -> bool {
    response.hits.iter().all(|h| {
        let p = &h.passage;
        [&p.title, &p.headings.join(" "), &p.text]
            .iter()
            .any(|t| t.to_lowercase().contains(word))
    })
}

#[test]
fn cut_words_find_the_passages_of_their_completions() {
    let ws = seed_index();
    for (typed, word) in [
        ("warf", "warfarin"),
        ("osteopor", "osteoporosis"),
        ("natt", "natto"),
    ] {
        let response = ws.query(&["-n", "3", typed]);
        assert!(!response.hits.is_empty(), "{typed} finds nothing");
        assert!(
            all_contain(&response, word),
            "{typed}: {:#?}",
            response.hits
        );
        assert!(response.hits[0].snippet_html.contains("<mark>"), "{typed}");
        // Off, the cut word is only a word, which no passage has.
        let off = ws.query(&["--no-prefix", typed]);
        assert!(off.hits.is_empty(), "{typed} with --no-prefix");
    }
}

#[test]
fn the_last_word_is_a_prefix_only_while_it_is_typed() {
    let ws = seed_index();
    let typing = ws.query(&["warfarin interac"]);
    assert!(typing
        .hits
        .iter()
        .take(3)
        .any(|h| h.passage.text.contains("interact")));
    // A space or a question mark after the word: the word is complete.
    assert!(ws.query(&["warf "]).hits.is_empty());
    assert!(ws.query(&["warf?"]).hits.is_empty());
    // `--prefix` after `--no-prefix` wins, as the last flag does.
    assert!(!ws
        .query(&["--no-prefix", "--prefix", "warf"])
        .hits
        .is_empty());
}

#[test]
fn prefix_search_keeps_the_category_filter() {
    let ws = seed_index();
    let response = ws.query(&["--category", "interactions", "warf"]);
    assert!(!response.hits.is_empty());
    assert!(response
        .hits
        .iter()
        .all(|h| h.passage.category.as_str() == "interactions"));
    assert!(all_contain(&response, "warfarin"));
}

#[test]
fn a_complete_word_ranks_its_own_passages_above_its_completions() {
    let ws = Workspace::empty();
    for (i, when) in ["meals", "lying down", "coffee"].iter().enumerate() {
        ws.write(
            format!("heartburn-{i}.md"),
            format!(
                "# Heartburn\n\nHeartburn is a burning feeling after {when}, heartburn again.\n"
            ),
        );
    }
    ws.write(
        "heart.md",
        "# The heart\n\nThe heart pumps blood through the body.\n",
    );
    ws.index(&["--quiet"]);
    let response = ws.query(&["heart"]);
    assert_eq!(
        response.hits[0].passage.path, "heart.md",
        "{:#?}",
        response.hits
    );
    assert_eq!(response.hits.len(), 4, "the completions match too, below");
    assert_eq!(ws.query(&["--no-prefix", "heart"]).hits.len(), 1);
}

#[test]
fn a_word_of_two_pages_of_passages_is_complete() {
    // `heart` in 20 passages (`prefix::ENOUGH_PASSAGES`) is taken as typed whole: the
    // passages of `heartburn` no longer match it, which spares the completions' cost.
    let ws = Workspace::empty();
    for i in 0..20 {
        ws.write(
            format!("heart-{i}.md"),
            format!("# The heart {i}\n\nThe heart pumps blood, beat {i}.\n"),
        );
    }
    ws.write(
        "heartburn.md",
        "# Heartburn\n\nHeartburn is a burning feeling after meals.\n",
    );
    ws.index(&["--quiet"]);
    let response = ws.query(&["-n", "30", "heart"]);
    assert_eq!(response.hits.len(), 20, "{:#?}", response.hits);
    assert!(response
        .hits
        .iter()
        .all(|h| h.passage.path != "heartburn.md"));
}

#[test]
fn a_common_word_that_a_commoner_word_starts_is_still_completed() {
    // `die` is on the way to `diet` as often as it is whole: when a completion is in
    // more passages than the word, the word still completes.
    let ws = Workspace::empty();
    for i in 0..20 {
        ws.write(
            format!("heart-{i}.md"),
            format!("# The heart {i}\n\nThe heart pumps blood, beat {i}.\n"),
        );
    }
    for i in 0..21 {
        ws.write(
            format!("heartburn-{i}.md"),
            format!("# Heartburn {i}\n\nHeartburn is a burning feeling, case {i}.\n"),
        );
    }
    ws.index(&["--quiet"]);
    let response = ws.query(&["-n", "50", "heart"]);
    assert_eq!(response.hits.len(), 41, "{:#?}", response.hits);
}

/// One short article per (title, what it is): `# Title`, then `Title: what it is.`
fn articles(ws: &Workspace, articles: &[(&str, &str)]) {
    for (i, (title, body)) in articles.iter().enumerate() {
        ws.write(
            format!("article-{i}.md"),
            format!("# {title}\n\n{title}: {body}.\n"),
        );
    }
}

#[test]
fn a_cut_word_longer_than_its_words_stem_completes_it() {
    // Bug: `hepatit` found nothing, as the index holds the stem `hepat` of `hepatitis`
    // and `hepatit` is no prefix of it.
    let ws = Workspace::empty();
    articles(
        &ws,
        &[
            ("Hepatitis B", "a virus that inflames the liver"),
            ("Hepatitis C", "a virus spread by blood"),
            ("Gout", "crystals in a joint"),
        ],
    );
    ws.index(&["--quiet"]);
    let response = ws.query(&["hepatit"]);
    assert_eq!(response.hits.len(), 2, "{:#?}", response.hits);
    assert!(all_contain(&response, "hepatitis"));
    assert!(ws.query(&["--no-prefix", "hepatit"]).hits.is_empty());
}

#[test]
fn http_search_completes_the_last_word_unless_asked_not_to() {
    let ws = seed_index();
    let server = ws.serve(&[]);
    let on = server.search("q=warf&limit=3");
    assert!(!on.hits.is_empty());
    assert!(all_contain(&on, "warfarin"));
    assert!(server.search("q=warf&prefix=false").hits.is_empty());
    let posted = server.post("/search", r#"{"q": "warf", "prefix": false}"#);
    assert_eq!(posted.status, 200, "{}", posted.body);
    assert!(posted.json()["hits"].as_array().unwrap().is_empty());
    assert_eq!(server.get("/search?q=warf&prefix=maybe").status, 400);
}

// ------------------------------------------------------------- facets and filters

/// Articles with front matter: three sources, several categories, `zinc` in some.
fn sourced() -> Workspace {
    let ws = Workspace::empty();
    let articles = [
        (
            "a.md",
            "CDC",
            "Zinc",
            "Zinc helps wounds heal.",
            "Too much zinc upsets the stomach.",
        ),
        (
            "b.md",
            "CDC",
            "Colds",
            "Rest and zinc lozenges may help.",
            "A virus causes colds.",
        ),
        (
            "c.md",
            "NIH",
            "Iron",
            "Iron pills treat anaemia.",
            "Zinc lowers iron uptake.",
        ),
        (
            "d.md",
            "FDA",
            "Copper",
            "Copper is rarely given.",
            "Low copper causes anaemia.",
        ),
    ];
    for (file, source, title, treatment, other) in articles {
        ws.write(
            file,
            format!(
                "---\ntitle: {title}\nsource: {source}\naudience: adults\n---\n\n# {title}\n\n\
                 ## Treatment\n\n{treatment}\n\n## Causes\n\n{other}\n"
            ),
        );
    }
    ws.index(&["--quiet"]);
    ws
}

/// Per category and per source, the passages that mention `word` anywhere (title,
/// headings, text), counted from `passages --json`.
fn brute_force(ws: &Workspace, word: &str) -> Vec<(String, String)> {
    ws.passages()
        .into_iter()
        .filter(|p| {
            [&p.title, &p.headings.join(" "), &p.text]
                .iter()
                .any(|t| t.to_lowercase().contains(word))
        })
        .map(|p| {
            let source = p.metadata.get("source").cloned().unwrap_or_default();
            (p.category.as_str().to_string(), source)
        })
        .collect()
}

fn counts(facet: &[k2search::search::FacetCount]) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = facet.iter().map(|f| (f.value.clone(), f.count)).collect();
    out.sort();
    out
}

fn tally(values: impl Iterator<Item = String>) -> Vec<(String, usize)> {
    let mut map = std::collections::BTreeMap::new();
    for v in values {
        *map.entry(v).or_insert(0) += 1;
    }
    map.into_iter().collect()
}

#[test]
fn facet_counts_are_every_matching_passage_not_the_page() {
    let ws = sourced();
    let truth = brute_force(&ws, "zinc");
    assert!(truth.len() > 2);
    for page in [["-n", "1", "--offset", "0"], ["-n", "1", "--offset", "1"]] {
        let response = ws.query(&[&page[..], &["--facets", "category,source", "zinc"]].concat());
        assert_eq!(response.hits.len(), 1);
        assert_eq!(
            counts(&response.facets["category"]),
            tally(truth.iter().map(|t| t.0.clone()))
        );
        assert_eq!(
            counts(&response.facets["source"]),
            tally(truth.iter().map(|t| t.1.clone()))
        );
        let sum: usize = response.facets["category"].iter().map(|f| f.count).sum();
        assert_eq!(sum, response.total_hits);
    }
    // Without --facets, no facets in the JSON at all (the contract only grows).
    let plain = ws.run(&["query", "--json", "zinc"]);
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("\"facets\""));
}

#[test]
fn filters_on_front_matter_are_anded() {
    let ws = sourced();
    let cdc = ws.query(&["--filter", "source:CDC", "zinc"]);
    assert!(!cdc.hits.is_empty());
    assert!(cdc
        .hits
        .iter()
        .all(|h| h.passage.metadata["source"] == "CDC"));
    let both = ws.query(&[
        "--filter",
        "source:CDC",
        "--filter",
        "category:causes",
        "zinc",
    ]);
    assert_eq!(both.hits.len(), 1, "{:#?}", both.hits);
    assert_eq!(both.hits[0].passage.path, "a.md");
    let none = ws.query(&["--filter", "source:CDC", "--filter", "source:NIH", "zinc"]);
    assert!(none.hits.is_empty());
    // With prefix search and the category flag too.
    let typed = ws.query(&[
        "--filter",
        "audience:adults",
        "--category",
        "treatment",
        "zin",
    ]);
    assert!(!typed.hits.is_empty());
    assert!(typed
        .hits
        .iter()
        .all(|h| h.passage.category.as_str() == "treatment"));
}

#[test]
fn bad_facets_and_filters_are_one_line_errors() {
    let ws = sourced();
    for args in [
        ["--facets", "category,bogus"],
        ["--filter", "bogus:1"],
        ["--filter", "nocolon"],
        ["--filter", "category:nonsense"],
    ] {
        let out = ws.run(&[&["query"], &args[..], &["zinc"]].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("bogus") || err.contains("FIELD:VALUE") || err.contains("nonsense"),
            "{err}"
        );
    }
    let out = ws.run(&["query", "--facets", "colour", "zinc"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("category, audience, source"), "{err}");

    let server = ws.serve(&[]);
    for path in [
        "/search?q=zinc&facets=bogus",
        "/search?q=zinc&filter=nocolon",
        "/search?q=zinc&filter=colour:red",
    ] {
        let answer = server.get(path);
        assert_eq!(answer.status, 400, "{path}: {}", answer.body);
        assert!(answer.json()["error"]
            .as_str()
            .is_some_and(|e| !e.contains('\n')));
    }
    let posted = server.post("/search", r#"{"q": "zinc", "filter": ["nocolon"]}"#);
    assert_eq!(posted.status, 400, "{}", posted.body);
}

#[test]
fn http_facets_and_filters_match_the_command_line() {
    let ws = sourced();
    let server = ws.serve(&[]);
    let got =
        server.search("q=zinc&facets=category,source&filter=source:CDC&filter=category:treatment");
    let cli = ws.query(&[
        "--facets",
        "category,source",
        "--filter",
        "source:CDC",
        "--filter",
        "category:treatment",
        "zinc",
    ]);
    assert_eq!(got.hits, cli.hits);
    assert_eq!(got.facets, cli.facets);
    assert_eq!(counts(&got.facets["source"]), [("CDC".to_string(), 2)]);
    let posted = server.post(
        "/search",
        r#"{"q": "zinc", "facets": ["category", "source"], "filter": ["source:CDC", "category:treatment"]}"#,
    );
    assert_eq!(posted.status, 200, "{}", posted.body);
    let posted: SearchResponse = serde_json::from_str(&posted.body).unwrap();
    assert_eq!(posted.facets, got.facets);
}

// ------------------------------------------------------------------- suggestions

#[test]
fn suggest_offers_titles_headings_and_words_that_start_with_the_text() {
    let ws = sourced();
    let server = ws.serve(&[]);
    let answer = server.get("/suggest?q=zi");
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["query"], "zi");
    let suggestions = body["suggestions"].as_array().unwrap();
    assert_eq!(suggestions[0]["text"], "Zinc");
    assert_eq!(suggestions[0]["kind"], "title");
    assert_eq!(
        suggestions[0]["count"], 2,
        "the Zinc article's two passages"
    );
    // Headings too, most frequent first; at most `limit`.
    let treat = server.get("/suggest?q=TREAT&limit=1").json();
    let treat = treat["suggestions"].as_array().unwrap();
    assert_eq!(treat.len(), 1);
    assert_eq!(treat[0]["text"], "Treatment");
    assert_eq!(treat[0]["kind"], "heading");
    assert_eq!(treat[0]["count"], 4);
    assert!(server.get("/suggest?q=qqq").json()["suggestions"]
        .as_array()
        .unwrap()
        .is_empty());
    for bad in ["/suggest", "/suggest?q=zi&limit=0", "/suggest?q=zi&limit=x"] {
        let answer = server.get(bad);
        assert_eq!(answer.status, 400, "{bad}: {}", answer.body);
        assert!(answer.json()["error"].is_string());
    }
}

#[test]
fn the_page_asks_for_category_counts_and_suggestions() {
    let ws = seed_index();
    let server = ws.serve(&[]);
    let page = server.get("/").body;
    assert!(page.contains("id=\"facet-chips\"") && page.contains("list=\"suggestions\""));
    let js = server.get("/app.js").body;
    assert!(js.contains("facets', 'category'") && js.contains("/suggest?"));
}
