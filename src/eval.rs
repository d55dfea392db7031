//! Relevance evaluation: run judged queries (`qrels`) against an index and compute
//! nDCG@k, MRR@k, P@5 and Recall@k exactly as `../shared/eval/README.md` defines them.
//!
//! A judgment file is JSON Lines: `{"id": "d01", "query": "…", "relevant": [{"file":
//! "002_….txt", "path": "GARD/0000123.md" (optional), "lines": [129], "grade": 2}]}`.
//! A hit satisfies a key when its file matches and one of the key's lines lies in the
//! hit's line range; each key is credited once, each hit earns at most one key (the
//! highest grade still uncredited).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::analyze;
use crate::error::{Error, Result};
use crate::passage::Category;
use crate::search::{Hit, Question, SearchRequest, Searcher};

/// One judged query.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Judged {
    /// Query id.
    pub id: String,
    /// Query text.
    pub query: String,
    /// Free-form type tag (short, long, misspelling…), reported per type.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The judged answers.
    pub relevant: Vec<Key>,
    /// Annotators' labels of what the question is about (to check question analysis;
    /// never used as query input).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub focus: Vec<String>,
    /// Annotators' labels of what the question asks (`treatment`, `cause`…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
}

/// One judged answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Key {
    /// File name of the answer.
    pub file: String,
    /// Path relative to the corpus, where file names are not unique.
    #[serde(default)]
    pub path: Option<String>,
    /// Lines where the answer stands (alternatives).
    pub lines: Vec<usize>,
    /// 2 answers the query, 1 is related.
    pub grade: u8,
}

/// Metrics of one query.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct QueryScore {
    /// Query id.
    pub id: String,
    /// Query text.
    pub query: String,
    /// Type tag.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// nDCG@k.
    pub ndcg: f64,
    /// Reciprocal rank of the first grade-2 hit within k.
    pub mrr: f64,
    /// Precision at 5 (grade 2).
    pub p5: f64,
    /// Recall at k (grade 2).
    pub recall: f64,
    /// Share of the top k hits that some key judges (any grade): how much of the run
    /// the judgments' pool covers.
    pub judged: f64,
    /// nDCG@k of the condensed run: the first [`CONDENSED_DEPTH`] hits with the
    /// unjudged ones dropped (Sakai's nDCG'), for judgments made on a pool; 0 unless
    /// asked for (`eval --condensed`).
    pub ndcg_condensed: f64,
    /// Whether the analysis found a labelled focus (when the query has labels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus_ok: Option<bool>,
    /// Whether the analysis found a labelled type (when the query has labels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_ok: Option<bool>,
}

/// How well question analysis matches the annotators' labels.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AnalysisAccuracy {
    /// Queries with focus and type labels.
    pub labelled: usize,
    /// Share whose first focus overlaps a labelled focus (one names the other's words).
    pub focus: f64,
    /// Share whose first focus is a labelled focus (same analyzed words).
    pub focus_exact: f64,
    /// Share where one of the found types is a labelled type.
    pub types: f64,
    /// Share whose first found type is a labelled type.
    pub first_type: f64,
}

/// Mean metrics over a judgment file, with the per-query detail.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EvalReport {
    /// Cut-off.
    pub k: usize,
    /// Queries evaluated.
    pub queries: usize,
    /// Mean nDCG@k.
    pub ndcg: f64,
    /// Mean MRR@k.
    pub mrr: f64,
    /// Mean P@5.
    pub p5: f64,
    /// Mean Recall@k.
    pub recall: f64,
    /// Mean share of judged hits in the top k (`judged@k`).
    pub judged: f64,
    /// Mean condensed nDCG'@k.
    pub ndcg_condensed: f64,
    /// Per query.
    pub per_query: Vec<QueryScore>,
    /// Question analysis against the labels, when the judgments have them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<AnalysisAccuracy>,
}

/// Reads a judgment file.
pub fn load(path: &Path) -> Result<Vec<Judged>> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::io("cannot read judgments", path, e))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| Error::Syntax {
                path: path.to_path_buf(),
                line: i + 1,
                message: format!("not a judged query ({e})"),
            })
        })
        .collect()
}

/// Hits read for the condensed nDCG' (as `baselines.py --condensed` does).
pub const CONDENSED_DEPTH: usize = 50;

/// Runs every judged query and scores the top `k` hits. With a `condensed` depth
/// (see [`CONDENSED_DEPTH`]), the condensed nDCG' is scored on a second search of
/// that many hits (at least `k`); without, it is 0.
pub fn evaluate(
    searcher: &Searcher,
    judged: &[Judged],
    k: usize,
    condensed: Option<usize>,
) -> Result<EvalReport> {
    let mut report = EvalReport {
        k,
        queries: judged.len(),
        ..EvalReport::default()
    };
    let mut accuracy = AnalysisAccuracy::default();
    for j in judged {
        let mut request = SearchRequest::new(j.query.clone());
        request.limit = k;
        let response = searcher.search(&request)?;
        let mut score = score_query(j, &response.hits, k);
        if let Some(depth) = condensed {
            request.limit = k.max(depth);
            let deep = searcher.search(&request)?;
            let judged: Vec<Hit> = deep
                .hits
                .into_iter()
                .filter(|hit| j.relevant.iter().any(|key| key_matches(key, hit)))
                .collect();
            score.ndcg_condensed = score_query(j, &judged, k).ndcg;
        }
        if let (Some(question), false) = (&response.analysis, j.focus.is_empty()) {
            accuracy.add(j, question, &mut score);
        }
        report.ndcg += score.ndcg;
        report.mrr += score.mrr;
        report.p5 += score.p5;
        report.recall += score.recall;
        report.judged += score.judged;
        report.ndcg_condensed += score.ndcg_condensed;
        report.per_query.push(score);
    }
    let n = judged.len().max(1) as f64;
    report.ndcg /= n;
    report.mrr /= n;
    report.p5 /= n;
    report.recall /= n;
    report.judged /= n;
    report.ndcg_condensed /= n;
    if accuracy.labelled > 0 {
        let m = accuracy.labelled as f64;
        accuracy.focus /= m;
        accuracy.focus_exact /= m;
        accuracy.types /= m;
        accuracy.first_type /= m;
        report.analysis = Some(accuracy);
    }
    Ok(report)
}

impl AnalysisAccuracy {
    /// Counts one labelled query (sums; [`evaluate`] divides).
    fn add(&mut self, j: &Judged, question: &Question, score: &mut QueryScore) {
        self.labelled += 1;
        let labels: Vec<String> = j.focus.iter().map(|f| analyze::topic_key(f)).collect();
        let first = question.foci.first().map(|f| analyze::topic_key(&f.text));
        let exact = first.as_ref().is_some_and(|f| labels.contains(f));
        let overlap = first.as_ref().is_some_and(|f| {
            labels
                .iter()
                .any(|l| !l.is_empty() && (contains_words(l, f) || contains_words(f, l)))
        });
        let types: Vec<Category> = j
            .types
            .iter()
            .filter_map(|t| Category::parse_lenient(t))
            .collect();
        let type_ok = question.types.iter().any(|t| types.contains(t));
        let first_ok = question.types.first().is_some_and(|t| types.contains(t));
        self.focus += f64::from(u8::from(overlap));
        self.focus_exact += f64::from(u8::from(exact));
        self.types += f64::from(u8::from(type_ok));
        self.first_type += f64::from(u8::from(first_ok));
        score.focus_ok = Some(overlap);
        score.type_ok = Some(type_ok);
    }
}

/// Whether the words of `inner` stand together in `outer` (both topic keys).
fn contains_words(outer: &str, inner: &str) -> bool {
    format!(" {outer} ").contains(&format!(" {inner} "))
}

fn key_matches(key: &Key, hit: &Hit) -> bool {
    let p = &hit.passage;
    let file_ok = match &key.path {
        Some(path) => p.path == *path || p.path.ends_with(&format!("/{path}")),
        None => p.path == key.file || p.path.ends_with(&format!("/{}", key.file)),
    };
    file_ok
        && key
            .lines
            .iter()
            .any(|l| (p.line_start..=p.line_end).contains(l))
}

/// Scores one query's hits against its keys.
pub fn score_query(j: &Judged, hits: &[Hit], k: usize) -> QueryScore {
    let mut credited = vec![false; j.relevant.len()];
    let mut gains = Vec::with_capacity(k);
    let mut judged = 0;
    for hit in hits.iter().take(k) {
        judged += usize::from(j.relevant.iter().any(|key| key_matches(key, hit)));
        let best = j
            .relevant
            .iter()
            .enumerate()
            .filter(|(i, key)| !credited[*i] && key_matches(key, hit))
            .max_by_key(|(_, key)| key.grade)
            .map(|(i, _)| i);
        let grade = best.map_or(0, |i| {
            credited[i] = true;
            j.relevant[i].grade
        });
        gains.push(grade);
    }
    let dcg = |grades: &[u8]| -> f64 {
        grades
            .iter()
            .enumerate()
            .map(|(i, &g)| (2f64.powi(g as i32) - 1.0) / ((i + 2) as f64).log2())
            .sum()
    };
    let mut ideal: Vec<u8> = j.relevant.iter().map(|key| key.grade).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    ideal.truncate(k);
    let idcg = dcg(&ideal);
    let relevant2 = j.relevant.iter().filter(|key| key.grade >= 2).count();
    let mrr = gains
        .iter()
        .position(|&g| g >= 2)
        .map_or(0.0, |i| 1.0 / (i + 1) as f64);
    QueryScore {
        id: j.id.clone(),
        query: j.query.clone(),
        kind: j.kind.clone(),
        ndcg: if idcg > 0.0 { dcg(&gains) / idcg } else { 0.0 },
        mrr,
        p5: gains.iter().take(5).filter(|&&g| g >= 2).count() as f64 / 5.0,
        recall: if relevant2 > 0 {
            gains.iter().filter(|&&g| g >= 2).count() as f64 / relevant2 as f64
        } else {
            0.0
        },
        judged: if gains.is_empty() {
            0.0
        } else {
            judged as f64 / gains.len() as f64
        },
        ndcg_condensed: 0.0,
        focus_ok: None,
        type_ok: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(file: &str, line: usize, grade: u8) -> Key {
        Key {
            file: file.into(),
            path: None,
            lines: vec![line],
            grade,
        }
    }

    /// A hit on `path`, lines `start..=end` (the other fields do not count).
    fn hit(path: &str, start: usize, end: usize) -> Hit {
        serde_json::from_value(serde_json::json!({
            "rank": 1, "score": 1.0, "id": "0", "path": path, "title": "", "headings": [],
            "kind": "section", "category": "overview", "line_start": start,
            "line_end": end, "byte_start": 0, "byte_end": 0, "snippet": "", "snippet_html": "", "highlights": [], "text": ""
        }))
        .expect("a hit")
    }

    fn judged(relevant: Vec<Key>) -> Judged {
        Judged {
            id: "q".into(),
            query: "q".into(),
            kind: None,
            relevant,
            focus: Vec::new(),
            types: Vec::new(),
        }
    }

    #[test]
    fn metrics_follow_their_definitions() {
        let j = judged(vec![
            key("a.md", 10, 2),
            key("b.md", 5, 1),
            key("c.md", 1, 2),
        ]);
        let hits = [
            hit("b.md", 1, 9),   // grade 1
            hit("x.md", 1, 99),  // nothing
            hit("a.md", 8, 12),  // grade 2
            hit("a.md", 10, 11), // the same key again: no second credit
        ];
        let score = score_query(&j, &hits, 10);
        // DCG: (2^1-1)/log2(2) + (2^2-1)/log2(4) = 2.5; ideal grades 2, 2, 1.
        let ideal = 3.0 + 3.0 / 3f64.log2() + 1.0 / 2.0;
        assert!((score.ndcg - 2.5 / ideal).abs() < 1e-12, "{}", score.ndcg);
        assert!((score.mrr - 1.0 / 3.0).abs() < 1e-12);
        assert!((score.p5 - 0.2).abs() < 1e-12);
        assert!((score.recall - 0.5).abs() < 1e-12);
        // Three of the four hits satisfy a key (the fourth a key already credited).
        assert!((score.judged - 0.75).abs() < 1e-12);
    }

    #[test]
    fn a_perfect_ranking_scores_one_and_the_cut_off_counts() {
        let j = judged(vec![key("a.md", 3, 2), key("b.md", 3, 1)]);
        let perfect = score_query(&j, &[hit("a.md", 1, 5), hit("b.md", 1, 5)], 10);
        assert!((perfect.ndcg - 1.0).abs() < 1e-12);
        assert_eq!(perfect.mrr, 1.0);
        let cut = score_query(&j, &[hit("x.md", 1, 5), hit("a.md", 1, 5)], 1);
        assert_eq!((cut.ndcg, cut.mrr, cut.recall), (0.0, 0.0, 0.0));
    }

    #[test]
    fn a_key_with_a_path_matches_only_that_path() {
        let mut k = key("a.md", 3, 2);
        k.path = Some("sub/a.md".into());
        let j = judged(vec![k]);
        assert_eq!(score_query(&j, &[hit("other/a.md", 1, 5)], 10).mrr, 0.0);
        assert_eq!(
            score_query(&j, &[hit("corpus/sub/a.md", 1, 5)], 10).mrr,
            1.0
        );
    }
}
