//! Why a hit matched: for each query term found in the passage, how it relates to the
//! user's word (exact, stem, synonym, fuzzy, unit), in which field, and its share of
//! the text score. A chatbot can use it to audit why a passage was cited.

use serde::{Deserialize, Serialize};
use tantivy::query::{Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Term};

use super::query::WeightedField;
use super::text_query::{QueryTerm, Via};

/// One matched query term of a hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// The user's word.
    pub term: String,
    /// How it matched.
    pub via: Via,
    /// What it matched as: the word, its synonym or its correction.
    pub matched: String,
    /// The field it was found in: `title`, `headings`, `aliases` or `body`.
    pub field: String,
    /// Its share of the hit's text score (0 to 1).
    pub share: f32,
}

/// The matches of one hit. `text` is the passage text, to tell exact from stem matches.
pub fn explain(
    searcher: &tantivy::Searcher,
    address: DocAddress,
    terms: &[QueryTerm],
    fields: &[WeightedField],
    names: &[&str],
    text: &str,
) -> Vec<Match> {
    let lower_text = text.to_lowercase();
    let mut out = Vec::new();
    let mut total = 0.0;
    for qt in terms {
        for (wf, name) in fields.iter().zip(names) {
            let query = TermQuery::new(
                Term::from_field_text(wf.field, &qt.term),
                IndexRecordOption::WithFreqs,
            );
            let Ok(explanation) = query.explain(searcher, address) else {
                continue;
            };
            let score = explanation.value() * wf.weight * qt.weight;
            if score <= 0.0 {
                continue;
            }
            total += score;
            let via = match qt.via {
                Via::Exact if !contains_word(&lower_text, &qt.word) && *name == "body" => Via::Stem,
                via => via,
            };
            out.push(Match {
                term: qt.word.clone(),
                via,
                matched: qt.matched.clone(),
                field: (*name).to_string(),
                share: score,
            });
        }
    }
    for m in &mut out {
        m.share = if total > 0.0 {
            (m.share / total * 1000.0).round() / 1000.0
        } else {
            0.0
        };
    }
    out.sort_by(|a, b| b.share.total_cmp(&a.share));
    out
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Why a hit was lifted above its text score, in words: one entry per lift that
/// [`rerank`](super::rerank) added: the focus whose document it belongs to, the
/// category the question asks about, and the extra for the category asked first.
pub fn lifted(lifts: &super::rerank::Lifts, question: &super::Question) -> Vec<String> {
    let mut out = Vec::new();
    if lifts.focus || lifts.focus_part {
        let kind = if lifts.focus { "focus" } else { "focus_part" };
        let names: Vec<&str> = question.foci.iter().map(|f| f.text.as_str()).collect();
        out.push(format!("{kind}: {}", names.join(", ")));
    }
    if lifts.category {
        let types: Vec<&str> = question.types.iter().map(|c| c.as_str()).collect();
        out.push(format!("category: {}", types.join(", ")));
    }
    if lifts.first_type {
        if let Some(first) = question.types.first() {
            out.push(format!("first_type: {}", first.as_str()));
        }
    }
    if lifts.cross > 0.0 {
        out.push(format!("cross-encoder: {:.3}", lifts.cross));
    }
    out
}
