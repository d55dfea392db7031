//! Relevance behaviour on the bundled corpus (synonyms, typos, units, categories,
//! explain), and the relevance floors of the judged sets: a ranking regression fails
//! the build. They run the real binary.

use std::sync::OnceLock;

use k2search::search::SearchResponse;

use crate::util::{seed_index, shared, stderr, stdout, Workspace, ROOT};

/// `query --json EXTRA… Q` on the seeds' index.
#[track_caller]
fn query(q: &str, extra: &[&str]) -> SearchResponse {
    seed_index().query(&[extra, &[q]].concat())
}

fn rank_of(r: &SearchResponse, file: &str, heading: &str) -> Option<usize> {
    r.hits
        .iter()
        .find(|h| {
            h.passage.path.starts_with(file)
                && h.passage.headings.last().is_some_and(|x| x == heading)
        })
        .map(|h| h.rank)
}

#[test]
fn brand_name_finds_the_warfarin_passages_of_all_five_articles() {
    let r = query("Coumadin", &["--limit", "20"]);
    for file in ["000_", "001_", "002_", "003_", "004_"] {
        assert!(
            r.hits.iter().any(|h| h.passage.path.starts_with(file)),
            "no {file} hit"
        );
    }
}

#[test]
fn misspelling_is_corrected_and_reported() {
    let r = query("warfrin", &[]);
    assert_eq!(r.corrected.as_deref(), Some("warfarin"));
    assert!(r
        .hits
        .iter()
        .take(5)
        .any(|h| h.passage.text.to_lowercase().contains("warfarin")));
    let out = seed_index().run(&["query", "warfrin"]);
    assert!(stdout(&out).starts_with("showing results for warfarin"));
}

#[test]
fn units_are_one_unit() {
    let r = query("180 µg MK-7", &["--limit", "3"]);
    assert!(
        rank_of(&r, "001_", "Dosage").is_some(),
        "001 Dosage (\"180 mcg\") in the top 3"
    );
    let a = query("5mg", &[]).total_hits;
    let b = query("5 mg", &[]).total_hits;
    assert_eq!(a, b);
}

#[test]
fn lay_term_finds_clinical_passages() {
    let r = query("blood thinner", &[]);
    assert!(
        rank_of(&r, "000_", "Precautions").is_some(),
        "000 Precautions for blood thinner"
    );
}

#[test]
fn pasted_patient_message_returns_interactions_near_the_top() {
    let message = "Hi, I hope someone can help me. My mother is 74 and she has been on warfarin \
        for a few years because of an irregular heartbeat, and her doctor checks her INR every \
        month. Her friend told her that vitamin K2 is really good for the bones and the heart, \
        and she has just bought a bottle of MK-7 capsules at the pharmacy. She has osteoporosis \
        and is worried about fractures. I read somewhere that vitamin K can make blood thinners \
        stop working, but the label does not say anything about it. Is it safe for her to take \
        the K2 supplement together with her warfarin, or could it change her clotting and her \
        INR? Should she talk to her doctor first? Thank you so much for any advice you can give.";
    assert!(message.split_whitespace().count() >= 100);
    let r = query(message, &["--limit", "3"]);
    // The overview of MK-7 products matches most of the message's words: fused with
    // the plain ranking it may lead, but the interaction passages follow it.
    let interactions = r
        .hits
        .iter()
        .position(|h| h.passage.category == k2search::Category::Interactions);
    assert!(
        interactions.is_some_and(|i| i <= 1),
        "an interaction passage in the top 2: {:?}",
        r.hits
            .iter()
            .map(|h| &h.passage.headings)
            .collect::<Vec<_>>()
    );
}

#[test]
fn category_filter_and_per_file_cap() {
    let r = query("vitamin k2", &["--category", "dosage", "--limit", "20"]);
    assert!(!r.hits.is_empty());
    assert!(r
        .hits
        .iter()
        .all(|h| h.passage.category == k2search::Category::Dosage));
    // `--section` is the older name of `--category`.
    let older = query("vitamin k2", &["--section", "dosage", "--limit", "20"]);
    assert_eq!(older.hits, r.hits);
    let r = query("vitamin k2", &["--per-file", "1", "--limit", "20"]);
    let mut paths: Vec<&str> = r.hits.iter().map(|h| h.passage.path.as_str()).collect();
    let n = paths.len();
    paths.dedup();
    assert_eq!(paths.len(), n, "one hit per file");
}

#[test]
fn same_text_is_never_shown_twice() {
    let r = query("recommended dosage vitamin k2-7", &["--limit", "30"]);
    let mut texts: Vec<&str> = r.hits.iter().map(|h| h.passage.text.as_str()).collect();
    texts.sort();
    let n = texts.len();
    texts.dedup();
    assert_eq!(texts.len(), n);
}

#[test]
fn explain_lists_matched_terms() {
    let r = query("Coumadin interaction", &["--explain"]);
    let matched = &r.hits[0].matched;
    assert!(!matched.is_empty());
    let total: f32 = matched.iter().map(|m| m.share).sum();
    assert!((total - 1.0).abs() < 0.01, "shares add up to 1: {total}");
    let all = query("Coumadin", &["--explain", "--limit", "20"]);
    assert!(all
        .hits
        .iter()
        .flat_map(|h| &h.matched)
        .any(|m| m.via == k2search::search::Via::Synonym && m.matched == "warfarin"));
    let plain = query("Coumadin", &[]);
    assert!(
        plain.hits[0].matched.is_empty(),
        "matched only with --explain"
    );
}

#[test]
fn user_lexicon_replaces_the_bundled_one() {
    let dir = tempfile::tempdir().unwrap();
    let lexicon = dir.path().join("syn.txt");
    std::fs::write(&lexicon, "# mine\nnatto, zebrafood\n").unwrap();
    let r = query("zebrafood", &["--synonyms", lexicon.to_str().unwrap()]);
    assert!(r
        .hits
        .iter()
        .any(|h| h.passage.text.contains("natto") || h.passage.text.contains("Natto")));
    std::fs::write(&lexicon, "natto, a1\nb1, natto\n").unwrap();
    let out = seed_index().run(&["query", "--synonyms", lexicon.to_str().unwrap(), "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("syn.txt:2:"));
}

#[test]
#[cfg_attr(not(k2search_shared), ignore = "needs ../shared (K2SEARCH_SHARED)")]
fn seed_dev_set_floors() {
    let qrels = shared("eval/seed-queries.jsonl");
    let report = seed_index().eval(&[qrels.to_str().unwrap()]);
    assert!(report.ndcg >= 0.90, "nDCG@10 {}", report.ndcg);
    assert!(report.mrr >= 0.95, "MRR@10 {}", report.mrr);
}

#[test]
#[cfg_attr(not(k2search_shared), ignore = "needs ../shared (K2SEARCH_SHARED)")]
fn medquad_judged_set_floors() {
    let medquad = medquad::workspace();
    let qrels = format!("{ROOT}/eval/medquad-queries.jsonl");
    let full = medquad.eval(&[&qrels]);
    let stock = medquad.eval(&["--disable", "all", &qrels]);
    assert!(full.ndcg >= 0.58, "MedQuAD nDCG@10 {}", full.ndcg);
    assert!(full.mrr >= 0.62, "MedQuAD MRR@10 {}", full.mrr);
    assert!(
        full.ndcg > stock.ndcg,
        "better than plain BM25: {} vs {}",
        full.ndcg,
        stock.ndcg
    );
}

/// The two dev sets of other kinds of text: consumer questions over pooled expert-graded
/// answers (MEDIQA) and nutrition queries over PubMed abstracts without headings
/// (NFCorpus). The analysis must not make either worse than the plain ranking.
#[test]
#[cfg_attr(not(k2search_shared), ignore = "needs ../shared (K2SEARCH_SHARED)")]
fn mediqa_and_nfcorpus_dev_set_floors() {
    for (corpus, qrels, floor) in [
        ("corpora/mediqa-dev", "eval/mediqa-dev.jsonl", 0.75),
        ("corpora/nfcorpus", "eval/nfcorpus-dev.jsonl", 0.295),
    ] {
        let (corpus, qrels) = (shared(corpus), shared(qrels));
        let ws = Workspace::reading(corpus);
        ws.index(&["--quiet"]);
        let qrels = qrels.to_str().unwrap();
        let full = ws.eval(&["--condensed", qrels]);
        let plain = ws.eval(&["--disable", "focus,category,weights", qrels]);
        assert!(full.ndcg >= floor, "{qrels}: nDCG@10 {}", full.ndcg);
        assert!(
            full.ndcg >= plain.ndcg - 0.005,
            "{qrels}: the analysis costs nDCG: {} against {} without it",
            full.ndcg,
            plain.ndcg
        );
        assert!(full.ndcg_condensed >= full.ndcg && full.judged > 0.0);
    }
}

/// Consumer questions over MedQuAD: question analysis, categories for conditions,
/// drug names, robust queries. One index of MedQuAD per test run.
mod medquad {
    use super::*;
    use k2search::passage::Passage;
    use k2search::Category;

    /// The index of the shared MedQuAD folder all tests of this module share, built
    /// once.
    pub(super) fn workspace() -> &'static Workspace {
        static MEDQUAD: OnceLock<Workspace> = OnceLock::new();
        MEDQUAD.get_or_init(|| {
            let ws = Workspace::reading(shared("corpora/medquad")).removed_at_exit();
            ws.index(&["--quiet"]);
            ws
        })
    }

    /// `query --json EXTRA… Q` on the MedQuAD index.
    #[track_caller]
    fn ask(medquad: &Workspace, q: &str, extra: &[&str]) -> SearchResponse {
        medquad.query(&[extra, &[q]].concat())
    }

    /// A result page does not depend on how many hits were asked for: over every
    /// judged question of MedQuAD and LiveQA, the hits of `--limit 10` are the first
    /// ten of `--limit 50`, and the page at offset 10 holds its next ten.
    #[test]
    #[cfg_attr(not(k2search_shared), ignore = "needs ../shared (K2SEARCH_SHARED)")]
    fn a_page_never_depends_on_the_limit() {
        use k2search::search::{SearchRequest, Searcher};
        let medquad = workspace();
        let liveqa = shared("eval/liveqa-train.jsonl");
        let searcher = Searcher::open(&medquad.index_dir()).unwrap();
        let page = |q: &str, offset: usize, limit: usize| {
            let request = SearchRequest {
                offset,
                limit,
                ..SearchRequest::new(q)
            };
            let hits = searcher.search(&request).unwrap().hits;
            hits.into_iter()
                .map(|h| (h.rank, h.score, h.passage.id))
                .collect::<Vec<_>>()
        };
        let mut questions = Vec::new();
        for file in [liveqa, format!("{ROOT}/eval/medquad-queries.jsonl").into()] {
            for line in std::fs::read_to_string(file).unwrap().lines() {
                let q: serde_json::Value = serde_json::from_str(line).unwrap();
                questions.push(q["query"].as_str().unwrap().to_string());
            }
        }
        assert!(questions.len() > 150, "{} questions", questions.len());
        for q in &questions {
            let long = page(q, 0, 50);
            let first = page(q, 0, 10);
            assert_eq!(first[..], long[..first.len()], "{q}");
            assert_eq!(first.len(), long.len().min(10), "{q}");
            let second = page(q, 10, 10);
            let next = long.get(10..).unwrap_or_default();
            assert_eq!(second[..], next[..second.len()], "{q}");
        }
    }

    #[test]
    #[cfg_attr(not(k2search_shared), ignore = "needs ../shared (K2SEARCH_SHARED)")]
    fn brand_names_reach_generic_names() {
        let medquad = workspace();
        for (q, generic) in [
            ("zoloft side effects", "sertraline"),
            ("advil and kidney problems", "ibuprofen"),
        ] {
            let r = ask(medquad, q, &["--limit", "3"]);
            assert!(
                r.hits
                    .iter()
                    .any(|h| h.passage.text.to_lowercase().contains(generic)),
                "{q}: no {generic} in the top 3: {:?}",
                r.hits.iter().map(|h| &h.passage.title).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    #[cfg_attr(not(k2search_shared), ignore = "needs ../shared (K2SEARCH_SHARED)")]
    fn side_efects_is_not_corrected_to_defects() {
        let medquad = workspace();
        let r = ask(medquad, "side efects of metformin", &[]);
        let corrected = r.corrected.unwrap_or_default();
        assert!(!corrected.contains("defect"), "{corrected}");
        assert!(corrected.contains("effect"), "{corrected}");
    }

    #[test]
    #[cfg_attr(not(k2search_shared), ignore = "needs ../shared (K2SEARCH_SHARED)")]
    fn unbalanced_quote_falls_back_to_the_words() {
        let medquad = workspace();
        let r = ask(medquad, r#"can I take "tylenol with warfarin"#, &[]);
        assert!(!r.hits.is_empty());
        let r = ask(medquad, r#""warfarin zebra-unicorn" bleeding"#, &[]);
        assert!(!r.hits.is_empty(), "a phrase that matches nothing");
    }

    #[test]
    #[cfg_attr(not(k2search_shared), ignore = "needs ../shared (K2SEARCH_SHARED)")]
    fn shingles_treatment_question_finds_the_shingles_treatment_section() {
        let medquad = workspace();
        let r = ask(medquad, "my mother has shingles how is it treated", &[]);
        let top = &r.hits[0];
        assert_eq!(top.passage.title, "Shingles", "{:?}", top.passage.headings);
        assert_eq!(
            top.passage.category,
            Category::Treatment,
            "{:?}",
            top.passage.headings
        );
        let analysis = r.analysis.unwrap();
        assert_eq!(analysis.foci[0].text, "shingles");
        assert_eq!(analysis.types[0], Category::Treatment);
    }

    #[test]
    #[cfg_attr(not(k2search_shared), ignore = "needs ../shared (K2SEARCH_SHARED)")]
    fn text_explain_prints_the_analysis_and_why_each_hit_matched() {
        let medquad = workspace();
        let out = medquad.run(&["query", "--explain", "--limit", "2", "zoloft side efects"]);
        let text = stdout(&out);
        assert!(text.contains("analysis: focus:"), "{text}");
        assert!(text.contains("asks: side_effects"), "{text}");
        assert!(text.contains("efects→effect"), "{text}");
        assert!(text.contains("matched: "), "{text}");
    }

    #[test]
    #[cfg_attr(not(k2search_shared), ignore = "needs ../shared (K2SEARCH_SHARED)")]
    fn conditions_get_categories_of_their_own() {
        let medquad = workspace();
        let passages: Vec<Passage> = medquad.passages();
        let overview = passages
            .iter()
            .filter(|p| p.category == Category::Overview)
            .count();
        let share = overview as f64 / passages.len() as f64;
        assert!(share <= 0.40, "{:.1} % overview", share * 100.0);
        let templates = [
            ("what are the treatments for", Category::Treatment),
            ("what causes", Category::Causes),
            ("what are the symptoms of", Category::Symptoms),
            ("how to diagnose", Category::Diagnosis),
            ("how to prevent", Category::Prevention),
            ("is ", Category::Inheritance), // "Is X inherited ?"
        ];
        for (start, want) in templates {
            let asked: Vec<&Passage> = passages
                .iter()
                .filter(|p| {
                    p.headings.last().is_some_and(|h| {
                        let h = h.to_lowercase();
                        h.starts_with(start) && (start != "is " || h.ends_with("inherited ?"))
                    })
                })
                .collect();
            let right = asked.iter().filter(|p| p.category == want).count();
            assert!(asked.len() > 50, "{start}: {} passages", asked.len());
            assert!(
                right as f64 >= 0.95 * asked.len() as f64,
                "{start}: {right} of {} are {want}",
                asked.len()
            );
        }
    }

    #[test]
    #[cfg_attr(not(k2search_shared), ignore = "needs ../shared (K2SEARCH_SHARED)")]
    fn liveqa_dev_set_floor_and_question_analysis() {
        let medquad = workspace();
        let qrels = shared("eval/liveqa-train.jsonl");
        let report = medquad.eval(&[qrels.to_str().unwrap()]);
        assert!(report.ndcg >= 0.43, "liveqa-train nDCG@10 {}", report.ndcg);
        let analysis = report
            .analysis
            .expect("the dev set has focus and type labels");
        assert!(analysis.focus >= 0.7, "focus accuracy {}", analysis.focus);
        assert!(analysis.types >= 0.6, "type accuracy {}", analysis.types);
    }
}
