//! The search box: the word being typed matched as a prefix (`warf` finds warfarin),
//! on the command line and over HTTP, with the category filter and below exact words.

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
