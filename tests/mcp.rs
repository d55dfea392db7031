//! `k2search mcp`: JSON-RPC over the real binary's stdin and stdout (the MCP Python
//! SDK drives it further in python/tests/test_mcp.py).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::util::{seed_index, wait_within};

/// A running `k2search mcp` and the JSON lines it writes on stdout.
struct McpSession {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
}

impl McpSession {
    fn start() -> McpSession {
        let ws = seed_index();
        let mut child = ws
            .command()
            .args(["mcp", "--index"])
            .arg(ws.index_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn k2search mcp");
        let stdout = child.stdout.take().expect("stdout");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        let mut session = McpSession {
            child,
            stdin,
            lines,
        };
        let init = session.request(
            0,
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "k2search-tests", "version": "1"}}),
        );
        assert!(
            init["result"]["capabilities"]["tools"].is_object(),
            "{init}"
        );
        session.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        session
    }

    fn send(&mut self, message: Value) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{message}").expect("write to the server");
        stdin.flush().expect("flush");
    }

    /// Sends a request and returns its response; every line before it must be JSON-RPC.
    fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .expect("a response within a minute");
            let message: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout carries a non-JSON line ({e}): {line}"));
            assert_eq!(message["jsonrpc"], "2.0", "{line}");
            if message["id"] == id {
                return message;
            }
        }
    }

    fn call(&mut self, id: u64, tool: &str, arguments: Value) -> Value {
        self.request(
            id,
            "tools/call",
            json!({"name": tool, "arguments": arguments}),
        )
    }

    /// Closes stdin: the server must exit cleanly.
    fn close(mut self) {
        drop(self.stdin.take());
        let out = wait_within(self.child, Duration::from_secs(30));
        assert!(out.status.success(), "{out:?}");
    }
}

#[test]
fn tools_answer_with_citations_and_bad_calls_are_errors() {
    let expected = seed_index().query(&["--limit", "2", "warfarin interaction"]);
    let mut mcp = McpSession::start();

    let tools = mcp.request(1, "tools/list", json!({}));
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"search_health_content") && names.contains(&"get_passage"));

    let found = mcp.call(
        2,
        "search_health_content",
        json!({"query": "warfarin interaction", "limit": 2}),
    );
    let result = &found["result"];
    assert_eq!(result["isError"], false, "{found}");
    let hits = result["structuredContent"]["hits"]
        .as_array()
        .expect("hits");
    assert_eq!(hits.len(), expected.hits.len());
    for (hit, want) in hits.iter().zip(&expected.hits) {
        let p = &want.passage;
        assert_eq!(hit["id"], p.id.as_str());
        assert_eq!(hit["text"], p.text.as_str());
        let lines = format!("{}:{}-{}", p.path, p.line_start, p.line_end);
        assert!(hit["citation"].as_str().unwrap().contains(&lines), "{hit}");
    }
    let quoted = result["content"][0]["text"].as_str().expect("text");
    assert!(quoted.contains(&format!(
        "citation: {}",
        hits[0]["citation"].as_str().unwrap()
    )));

    let passage = mcp.call(3, "get_passage", json!({"id": hits[0]["id"]}));
    assert_eq!(
        passage["result"]["structuredContent"]["citation"],
        hits[0]["citation"]
    );

    let unknown = mcp.call(
        4,
        "search_health_content",
        json!({"query": "x", "category": "nope"}),
    );
    assert_eq!(unknown["result"]["isError"], true, "{unknown}");
    assert!(unknown["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("unknown category \"nope\""));
    let malformed = mcp.call(5, "search_health_content", json!({"limit": 3}));
    assert!(
        malformed["error"].is_object() || malformed["result"]["isError"] == true,
        "{malformed}"
    );

    let stats = mcp.request(6, "resources/read", json!({"uri": "k2search://stats"}));
    let body: Value = serde_json::from_str(
        stats["result"]["contents"][0]["text"]
            .as_str()
            .expect("stats text"),
    )
    .expect("stats JSON");
    assert_eq!(body["files"], 5);

    // Still serving after the bad calls.
    let again = mcp.call(7, "search_health_content", json!({"query": "warfarin"}));
    assert_eq!(again["result"]["isError"], false);
    mcp.close();
}
