//! Integration tests of `k2search serve`: each starts the real binary on a free
//! loopback port (`--addr 127.0.0.1:0`; the server prints its URL on stdout) over an
//! index of a temporary copy of the bundled corpus, and talks HTTP to it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k2search::passage::Passage;
use k2search::search::SearchResponse;

use crate::util::{answer, seed_index, stderr, stdout, Workspace, ROOT};

// ---------------------------------------------------------------------- routes

#[test]
fn get_search_returns_cited_hits() {
    let ws = seed_index();
    let server = ws.serve(&[]);
    let response = server.search("q=warfarin&limit=3");
    assert_eq!(response.query, "warfarin");
    assert_eq!((response.limit, response.offset), (3, 0));
    assert!(response.total_hits >= 3, "{}", response.total_hits);
    assert_eq!(response.hits.len(), 3);
    for (i, hit) in response.hits.iter().enumerate() {
        assert_eq!(hit.rank, i + 1);
        assert!(hit.passage.path.ends_with(".txt"), "{}", hit.passage.path);
        assert!(hit.passage.line_start >= 1 && hit.passage.line_end >= hit.passage.line_start);
        assert!(
            hit.passage.text.to_lowercase().contains("warfarin"),
            "{}",
            hit.passage.text
        );
    }
    assert!(response.hits[0].snippet_html.contains("<mark>"));
}

#[test]
fn search_json_is_the_same_as_query_json() {
    let ws = seed_index();
    let server = ws.serve(&[]);
    let over_http = server.search("q=vitamin+k2+dose&limit=5");
    let from_cli = ws.query(&["-n", "5", "vitamin k2 dose"]);
    assert_eq!(over_http.hits, from_cli.hits);
    assert_eq!(over_http.total_hits, from_cli.total_hits);
}

#[test]
fn post_search_takes_a_json_body() {
    let ws = seed_index();
    let server = ws.serve(&[]);
    let body =
        r#"{"q": "warfarin", "limit": 2, "offset": 1, "category": "interactions", "per_file": 5}"#;
    let posted = server.post("/search", body);
    assert_eq!(posted.status, 200, "{}", posted.body);
    let posted: SearchResponse = serde_json::from_str(&posted.body).unwrap();
    let got = server.search("q=warfarin&limit=2&offset=1&category=interactions&per_file=5");
    assert_eq!(posted.hits, got.hits);
    // `section` is the older name of `category`.
    let older = server.search("q=warfarin&limit=2&offset=1&section=interactions&per_file=5");
    assert_eq!(older.hits, got.hits);
    assert!(!posted.hits.is_empty());
    assert!(posted
        .hits
        .iter()
        .all(|h| h.passage.category.as_str() == "interactions"));
}

#[test]
fn pagination_continues_where_the_last_page_ended() {
    let ws = seed_index();
    let server = ws.serve(&[]);
    let all = server.search("q=vitamin&limit=6");
    let first = server.search("q=vitamin&limit=3");
    let second = server.search("q=vitamin&limit=3&offset=3");
    let ids = |r: &SearchResponse| {
        r.hits
            .iter()
            .map(|h| h.passage.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!([ids(&first), ids(&second)].concat(), ids(&all));
    assert_eq!(second.hits[0].rank, 4);
    assert_eq!(second.total_hits, all.total_hits);
}

#[test]
fn per_file_caps_hits_from_one_file() {
    let ws = seed_index();
    let server = ws.serve(&[]);
    let response = server.search("q=vitamin&limit=20&per_file=1");
    let mut paths: Vec<&str> = response
        .hits
        .iter()
        .map(|h| h.passage.path.as_str())
        .collect();
    let n = paths.len();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), n);
}

#[test]
fn passage_route_returns_the_passage_and_its_citation() {
    let ws = seed_index();
    let server = ws.serve(&[]);
    let hit = server.search("q=warfarin&limit=1").hits.remove(0);
    let answer = server.get(&format!("/passages/{}", hit.passage.id));
    assert_eq!(answer.status, 200, "{}", answer.body);
    let passage: Passage = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(passage.id, hit.passage.id);
    assert_eq!(passage.text, hit.passage.text);
    let citation = answer.json()["citation"].as_str().unwrap().to_string();
    let lines = format!(
        "{}:{}-{}",
        hit.passage.path, hit.passage.line_start, hit.passage.line_end
    );
    assert!(citation.contains(&lines), "{citation}");
    assert!(citation.ends_with(hit.passage.headings.last().unwrap().as_str()));
}

#[test]
fn health_and_stats() {
    let ws = seed_index();
    let server = ws.serve(&[]);
    let health = server.get("/health").json();
    assert_eq!(health["status"], "ok");
    let passages = health["passages"].as_u64().unwrap();
    assert!(passages > 0);

    let stats = server.get("/stats").json();
    assert_eq!(stats["files"], 5);
    assert_eq!(stats["passages"].as_u64(), Some(passages));
    assert!(stats["index_bytes"].as_u64().unwrap() > 0);
    assert!(stats["built_at"].as_str().unwrap().starts_with("20"));
    assert_eq!(stats["version"], env!("CARGO_PKG_VERSION"));
    let categories = stats["categories"].as_array().unwrap();
    assert!(
        categories.iter().any(|c| c == "interactions"),
        "{categories:?}"
    );
    assert_eq!(stats["category_labels"]["side_effects"], "Side effects");
    assert_eq!(stats["category_labels"]["frequency"], "How common");
}

#[test]
fn the_page_and_its_assets_are_served() {
    let ws = seed_index();
    let server = ws.serve(&[]);
    for (path, kind, needle) in [
        ("/", "text/html", "<html"),
        ("/app.css", "text/css", "{"),
        ("/app.js", "text/javascript", "/search"),
    ] {
        let answer = server.get(path);
        assert_eq!(answer.status, 200, "{path}");
        assert!(
            answer.content_type.starts_with(kind),
            "{path}: {}",
            answer.content_type
        );
        assert!(answer.body.contains(needle), "{path}");
    }
}

// ---------------------------------------------------------------------- errors

#[test]
fn bad_search_parameters_are_400_with_a_message() {
    let ws = seed_index();
    let server = ws.serve(&[]);
    let cases = [
        ("/search", "missing q"),
        ("/search?limit=3", "missing q"),
        ("/search?q=x&limit=0", "limit"),
        ("/search?q=x&limit=100000", "limit"),
        ("/search?q=x&limit=ten", "limit"),
        ("/search?q=x&limit=-1", "limit"),
        ("/search?q=x&offset=abc", "offset"),
        ("/search?q=x&offset=99999999", "offset"),
        ("/search?q=x&per_file=0", "per_file"),
        ("/search?q=x&category=bogus", "unknown category"),
    ];
    for (path, expected) in cases {
        let message = server.get(path).error(400);
        assert!(message.contains(expected), "{path}: {message}");
    }
}

#[test]
fn over_long_queries_are_refused() {
    let ws = seed_index();
    let server = ws.serve(&[]);
    // Over the query cap but a modest URL: 400 from validation.
    let long = "a".repeat(k2search::search::MAX_QUERY_BYTES + 1);
    let message = server.get(&format!("/search?q={long}")).error(400);
    assert!(message.contains("query"), "{message}");
    let body = serde_json::json!({ "q": long }).to_string();
    server.post("/search", &body).error(400);
    // A URL far over it: 414 before decoding.
    let huge = "%41".repeat(17_000);
    server.get(&format!("/search?q={huge}")).error(414);
}

#[test]
fn bad_bodies_are_400_and_big_ones_413() {
    let ws = seed_index();
    let server = ws.serve(&[]);
    let message = server.post("/search", r#"{"q": "warfarin""#).error(400);
    assert!(message.contains("JSON"), "{message}");
    server
        .post("/search", r#"{"q": "x", "limt": 3}"#)
        .error(400);
    server
        .post("/search", r#"{"q": "x", "limit": -3}"#)
        .error(400);
    server
        .post("/search", r#"{"q": "x", "limit": 0}"#)
        .error(400);
    server.post("/search", r#"{"limit": 3}"#).error(400);
    server.post("/search", r#"["warfarin"]"#).error(400);
    server.post("/search", "").error(400);
    // The server answers 413 from the Content-Length alone and may close the
    // connection before a client has written the whole body, so announce a big body,
    // send none of it, and read the answer.
    let answer = server.raw(
        &format!(
            "POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            200_000
        ),
        Duration::from_secs(10),
    );
    assert_eq!(answer.status(), Some("413"), "{}", answer.text);
    assert!(answer.text.contains("bytes"), "{}", answer.text);
}

#[test]
fn unknown_routes_passages_and_methods() {
    let ws = seed_index();
    let server = ws.serve(&[]);
    let message = server.get("/nope").error(404);
    assert!(message.contains("/nope"), "{message}");
    server.get("/search/extra").error(404);
    server.get("/passages/0000000000000000").error(404);
    server.get("/passages/%FF%FE").error(400);
    let answer = server.method("DELETE", "/search");
    answer.error(405);
    assert!(answer.header("allow").unwrap_or("").contains("GET"));
    server.method("POST", "/health").error(405);
    server.method("PUT", "/passages/x").error(405);
}

#[test]
fn odd_input_never_breaks_the_server() {
    let ws = seed_index();
    let server = ws.serve(&[]);
    for q in [
        "%22",
        "%22%22%22",
        "(((",
        "AND+OR+NOT",
        "-",
        "*",
        "%00",
        "%F0%9F%92%8A",
        "q%3Dx",
        "%E2%80%8B",
        "a%22b%22c%22",
        "++++",
        "%5C",
    ] {
        let answer = server.get(&format!("/search?q={q}"));
        assert_eq!(answer.status, 200, "q={q}: {}", answer.body);
    }
    server.get("/search?q=x&q=warfarin&section=").json();
    assert_eq!(server.get("/health").status, 200);
}

// ------------------------------------------------------------- CORS, logging

#[test]
fn cors_is_off_by_default_and_on_for_the_given_origin() {
    let ws = seed_index();
    let origin = ("origin", "https://health.example");
    let closed = ws.serve(&[]);
    let answer = closed.get_with("/search?q=warfarin", origin);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("access-control-allow-origin"), None);

    let open = ws.serve(&["--cors", "https://health.example"]);
    let answer = open.get_with("/search?q=warfarin", origin);
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("https://health.example")
    );
    let error = open.get_with("/search", origin);
    error.error(400);
    assert!(error.header("access-control-allow-origin").is_some());
}

#[test]
fn a_bad_cors_origin_is_a_usage_error() {
    let ws = seed_index();
    let out = ws.run(&["serve", "--cors", "not an origin"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--cors"));
}

#[test]
fn one_log_line_per_request_unless_quiet() {
    let ws = seed_index();
    let server = ws.serve(&[]);
    server.get("/health");
    server.get("/search?q=secret+condition");
    server.get("/nope");
    // A request is logged before its answer is sent: the log is complete here.
    let log = server.log();
    let lines: Vec<&str> = log.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("GET /health 200 ") && l.ends_with("ms")),
        "{log}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("GET /search 200 ")),
        "{log}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("GET /nope 404 ")),
        "{log}"
    );
    assert!(!log.contains("secret"), "queries must not be logged: {log}");

    let quiet = ws.serve(&["--quiet"]);
    quiet.get("/health");
    quiet.get("/nope");
    assert_eq!(quiet.log(), "");
}

// ------------------------------------------------------------------ live index

/// Each rebuild is stopped part-way (after it has taken the writer lock, before its
/// commit) until every client has been answered while it waits; then it goes on and
/// commits under the same load, and the server swaps to the new index.
#[cfg(target_os = "linux")]
#[test]
fn no_request_fails_while_the_index_is_rebuilt() {
    let ws = Workspace::seeds();
    // Filler articles (words no query below uses), so that a rebuild lasts long
    // enough to be stopped part-way.
    for n in 0..1000 {
        ws.write(
            format!("filler/{n:04}.md"),
            format!("# Filler {n}\n\n## Storage\n\nKeep box {n} dry.\n"),
        );
    }
    ws.index(&["--quiet"]);
    let server = Arc::new(ws.serve(&["--quiet"]));
    let done = Arc::new(AtomicBool::new(false));
    let clients = 8;
    // Requests answered, per client.
    let served: Arc<Vec<AtomicUsize>> = Arc::new((0..clients).map(|_| 0.into()).collect());
    let queries = [
        "warfarin",
        "vitamin k2 dose",
        "side effects",
        "pregnancy",
        "mk-7",
    ];
    let threads: Vec<_> = (0..clients)
        .map(|i| {
            let (server, done, served) = (server.clone(), done.clone(), served.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !done.load(Ordering::Relaxed) {
                    let q = queries[(i + n) % queries.len()].replace(' ', "+");
                    let response = server.search(&format!("q={q}&limit=5"));
                    assert!(
                        !response.hits.is_empty(),
                        "no hits for {q} during the rebuild"
                    );
                    if n % 4 == 0 {
                        let passage =
                            server.get(&format!("/passages/{}", response.hits[0].passage.id));
                        // A passage can vanish between the search and this call only
                        // if its file changed; a rebuild keeps ids stable.
                        assert_eq!(passage.status, 200, "{}", passage.body);
                        assert_eq!(server.get("/stats").status, 200);
                    }
                    n += 1;
                    served[i].fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let answered = || -> Vec<usize> { served.iter().map(|n| n.load(Ordering::Relaxed)).collect() };
    // Two rebuilds to warm up (readers, caches), then the memory must stay flat:
    // old segments and readers are let go.
    let mut rss = Vec::new();
    for rebuild in 0..8 {
        let run = ws.freeze_index_run(&["--quiet", "--rebuild"]);
        let before = answered();
        let started = Instant::now();
        while answered()
            .iter()
            .zip(&before)
            .any(|(now, then)| now == then)
        {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "rebuild {rebuild}: a client got no answer in 60 s while an index run \
                 held the writer lock ({:?} before, {:?} after)",
                before,
                answered()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        crate::util::assert_success(&run.finish());
        std::thread::sleep(Duration::from_millis(600)); // the reader's reload
        rss.push(server.rss_kib());
    }
    done.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().expect("a client saw a failed request");
    }
    let (warm, last) = (rss[1], *rss.last().unwrap());
    assert!(
        last <= warm + 16 * 1024,
        "memory grew over 6 rebuilds under load: {rss:?} KiB"
    );
}

#[test]
fn a_running_server_sees_new_passages_after_index() {
    // Its own copy of the seeds: this test changes the corpus.
    let ws = Workspace::seeds();
    ws.index(&["--quiet"]);
    let server = ws.serve(&["--quiet"]);
    let word = "zymotrexafol";
    assert_eq!(server.search(&format!("q={word}")).total_hits, 0);
    let passages_before = server.get("/stats").json()["passages"].as_u64().unwrap();

    fs::write(
        ws.corpus().join("new-article.md"),
        format!("# Zymotrexafol\n\n## Dosage\nTake {word} once a day with food.\n"),
    )
    .unwrap();
    ws.index(&["--quiet"]);

    // The reader polls the index for new commits (about every half second); a generous
    // deadline keeps this from being a timing test. The time taken is printed.
    let started = Instant::now();
    let hit = loop {
        let response = server.search(&format!("q={word}"));
        if let Some(hit) = response.hits.into_iter().next() {
            break hit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server never saw the new passage"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    eprintln!("new passage visible after {:?}", started.elapsed());
    assert_eq!(hit.passage.path, "new-article.md");
    assert_eq!(hit.passage.headings, ["Dosage"]);
    let stats = server.get("/stats").json();
    assert_eq!(stats["files"], 6);
    assert!(stats["passages"].as_u64().unwrap() > passages_before);

    // And a removed file's passages go away.
    fs::remove_file(ws.corpus().join("new-article.md")).unwrap();
    ws.index(&["--quiet"]);
    let started = Instant::now();
    while server.search(&format!("q={word}")).total_hits > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the passage never went away"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

// --------------------------------------------------------------------- browser

/// The search page in a real headless browser: `web/e2e.mjs` (playwright-core driving
/// Debian's chromium) types a query, checks cited results, opens a passage. Needs
/// `chromium` and `npm ci` in `web/`: ignored without them (`build.rs`), required
/// in CI.
#[test]
#[cfg_attr(not(k2search_browser), ignore = "needs chromium and `npm ci` in web/")]
fn the_search_page_works_in_a_headless_browser() {
    let web = Path::new(ROOT).join("web");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let ready = Path::new(&chromium).is_file()
        && web.join("node_modules/playwright-core").is_dir()
        && Command::new("node").arg("--version").output().is_ok();
    assert!(
        ready,
        "the browser test needs node, {chromium} and `npm ci` in web/ (see .ci/run)"
    );
    let ws = seed_index();
    let server = ws.serve(&["--quiet"]);
    let shot = std::env::var("K2SEARCH_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| ws.path().join("page.png"));
    let out = Command::new("node")
        .arg(web.join("e2e.mjs"))
        .arg(&server.base)
        .arg(&shot)
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    let report = format!("{}{}", stdout(&out), stderr(&out));
    eprintln!("{report}");
    assert!(out.status.success(), "e2e.mjs failed:\n{report}");
    assert!(shot.is_file(), "no screenshot at {}", shot.display());
}

// ------------------------------------------------------------- hostile clients

/// An agent that gives up after `timeout` and keeps no connection for later.
fn impatient(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .max_idle_connections(0)
        .build()
        .into()
}

/// Raises this process's open-file limit to at least `files` if the hard limit allows.
fn allow_open_files(files: u64) -> bool {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct they are given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return false;
        }
        if limit.rlim_cur >= files {
            return true;
        }
        limit.rlim_cur = files.min(limit.rlim_max);
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur >= files
    }
}

/// Whether the server has closed `stream`: a read sees end of file or a reset.
fn closed_by_server(stream: &mut std::net::TcpStream) -> bool {
    use std::io::Read;
    stream.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // an error response before the close
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(_) => return true,
        }
    }
}

#[test]
fn half_sent_requests_cannot_lock_out_a_real_client() {
    use std::io::Write;
    assert!(allow_open_files(1200), "this test needs 1,200 open files");
    let ws = seed_index();
    // A client locked out would wait for the header timeout to free a slot: its
    // deadline is shorter than that, and both are long beside a query's time.
    let (header_timeout, deadline) = (Duration::from_secs(4), Duration::from_secs(3));
    let server = ws.serve_with_open_files(
        256,
        &[
            "--quiet",
            "--header-timeout",
            &header_timeout.as_secs().to_string(),
        ],
    );
    let baseline = server.open_files();
    let mut half_open = Vec::new();
    for _ in 0..1000 {
        let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
        stream
            .write_all(b"GET /search?q=vitamin HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        half_open.push(stream);
    }
    // With 256 files the server cannot hold them all; a real query still gets in.
    let started = Instant::now();
    let answer = impatient(deadline)
        .get(server.url("/search?q=warfarin"))
        .call()
        .map(answer)
        .expect("a normal query must answer before the header timeout frees any slot");
    assert_eq!(answer.status, 200);
    let took = started.elapsed();
    // After the header timeout all are closed (the slack is for a loaded machine).
    loop {
        let still_open = half_open
            .iter_mut()
            .map(closed_by_server)
            .filter(|closed| !closed)
            .count();
        if still_open == 0 {
            break;
        }
        assert!(
            started.elapsed() < header_timeout + Duration::from_secs(10),
            "{still_open} half-open connections held past the header timeout"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        server.settles_to(baseline, Duration::from_secs(10)),
        "{} files open, {baseline} at start",
        server.open_files()
    );
    assert_eq!(server.get("/health").status, 200, "(query took {took:?})");
}

#[test]
fn a_client_that_reads_a_byte_a_second_holds_nothing_for_long() {
    use std::io::{Read, Write};
    let ws = seed_index();
    let server = ws.serve(&["--quiet", "--idle-timeout", "2"]);
    let baseline = server.open_files();
    let mut slow = std::net::TcpStream::connect(server.addr()).unwrap();
    slow.write_all(b"GET /search?q=vitamin&limit=100 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    // Others are not kept waiting on the slow reader, which holds its connection for
    // the whole loop: far longer than this deadline.
    let quick = impatient(Duration::from_secs(5));
    let mut head = Vec::new();
    for _ in 0..4 {
        let mut byte = [0u8; 1];
        slow.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
        // Everyone else is served as usual meanwhile.
        let answer = answer(quick.get(server.url("/search?q=warfarin")).call().unwrap());
        assert_eq!(answer.status, 200);
        std::thread::sleep(Duration::from_secs(1));
    }
    assert_eq!(head, b"HTTP");
    // The response was handed over at once; the server does not wait on the reader
    // past the idle timeout (2 s; the slack is for a loaded machine).
    assert!(
        server.settles_to(baseline, Duration::from_secs(10)),
        "{} files open, {baseline} at start",
        server.open_files()
    );
}

#[test]
fn a_burst_of_ten_thousand_requests_is_answered_in_full() {
    use std::io::{Read, Write};
    let ws = seed_index();
    let server = ws.serve(&["--quiet"]);
    let (connections, per_connection) = (250, 40);
    // Every request is on the wire before any answer is read: HTTP/1.1 pipelining.
    let mut streams: Vec<_> = (0..connections)
        .map(|c| {
            let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
            let mut requests = String::new();
            for r in 0..per_connection {
                let path = match (c + r) % 5 {
                    0 => "/search?q=vitamin+k2&limit=3",
                    1 => "/search?q=warfarin&limit=1",
                    _ => "/health",
                };
                requests.push_str(&format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"));
            }
            stream.write_all(requests.as_bytes()).unwrap();
            stream
        })
        .collect();
    let mut answered = 0;
    for stream in &mut streams {
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut text = Vec::new();
        let mut buf = [0u8; 65536];
        while count(&text, b"HTTP/1.1 ") < per_connection {
            let n = stream.read(&mut buf).expect("the server stopped answering");
            assert!(n > 0, "the server closed a connection mid-burst");
            text.extend_from_slice(&buf[..n]);
        }
        let ok = count(&text, b"HTTP/1.1 200 OK");
        assert_eq!(ok, per_connection, "{}", String::from_utf8_lossy(&text));
        answered += ok;
    }
    assert_eq!(answered, 10_000);
    assert_eq!(server.get("/health").status, 200);
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

#[test]
fn malformed_http_gets_4xx_or_a_close_and_never_breaks_the_server() {
    let ws = seed_index();
    let server = ws.serve(&["--quiet", "--header-timeout", "1", "--request-timeout", "2"]);
    let huge_header = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(100_000)
    );
    let cases: Vec<String> = vec![
        "garbage\r\n\r\n".into(),
        "\0\0\0\0\r\n\r\n".into(),
        "GET\r\n\r\n".into(),
        "GET / HTTP/9.9\r\nHost: x\r\n\r\n".into(),
        "GET /sea rch?q=a b HTTP/1.1\r\nHost: x\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nNo colon here\r\n\r\n".into(),
        "POST /search HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}".into(),
        "POST /search HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}".into(),
        "POST /search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n".into(),
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".into(),
        "\x16\x03\x01\x02\x00\x01\x00\x01\x7f\x03\x03".into(),
        huge_header.clone(),
    ];
    // Silence is not an answer: the server must send a 4xx or close the connection
    // (the quiet period is far over the header timeout).
    let quiet = Duration::from_secs(5);
    for case in &cases {
        let answer = server.raw(case, quiet);
        let status = answer.status().unwrap_or("");
        assert!(
            status.starts_with('4') || (answer.text.is_empty() && answer.closed),
            "{:?} got {:?} (closed: {})",
            &case[..case.len().min(60)],
            &answer.text[..answer.text.len().min(200)],
            answer.closed
        );
        assert_eq!(server.get("/health").status, 200, "after {case:?}");
    }
    assert_eq!(server.raw(&huge_header, quiet).status(), Some("431"));
    // A body that stops coming is a slow client: 408 once the next piece is a header
    // timeout late (1 s here), well before the request timeout's 503 (2 s).
    let started = Instant::now();
    let stalled = server.raw(
        "POST /search HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"q\":",
        quiet,
    );
    assert_eq!(stalled.status(), Some("408"), "{}", stalled.text);
    assert!(
        stalled.text.contains("request body stopped coming"),
        "{}",
        stalled.text
    );
    assert!(
        started.elapsed() < quiet,
        "the server neither answered nor closed"
    );
    assert_eq!(server.get("/health").status, 200);
}
