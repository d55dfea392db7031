//! Reranking: the best text matches reordered on what the question asks
//! ([`rerank`]). Passages of a document about a focus, and of the category the
//! question asks about, are lifted; the text score is normalized by the best one
//! first, so the lifts weigh the same for a two-word query and a 150-word message.
//! The plain ranking (the same words without the analysis) is fused in, and in
//! hybrid ranking the similarity by vector is added.

use std::collections::HashMap;

use tantivy::collector::DocSetCollector;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Term};

use super::params::Params;
use super::question::{Question, TopicMatch};
use crate::index::schema::ORDER_FIELD;
use crate::index::Fields;
use crate::passage::category::Category;

/// Why a passage was lifted above its text score (for `--explain`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Lifts {
    /// It belongs to a document a focus names whole.
    pub focus: bool,
    /// It belongs to a document a focus names in part.
    pub focus_part: bool,
    /// How sure the analysis is of that focus (0 to 1): the focus lifts are scaled
    /// by it.
    pub confidence: f32,
    /// Its category is one the question asks about.
    pub category: bool,
    /// Its category is the one the question asks about first.
    pub first_type: bool,
    /// What its similarity to the question by vector added (hybrid ranking).
    pub semantic: f32,
    /// Its score by the cross-encoder (0 to 1), when one re-ranked it
    /// ([`super::cross`]).
    pub cross: f32,
}

/// The passages a query's rerank chooses from.
pub struct Candidates {
    /// The best matches of the analysed text query (plus, in hybrid ranking, the
    /// nearest passages by vector, with a text score of 0).
    pub top: Vec<(f32, DocAddress)>,
    /// The best matches of the plain text query (empty when fusion is off).
    pub plain: Vec<(f32, DocAddress)>,
}

/// Reorders text matches (best first) on what the question asks; returns the new
/// scores with why each passage was lifted. A passage scores its analysed text score
/// and its plain text score (each normalized by the best of its run, the plain one
/// weighted by [`Params::plain`]), plus its lifts and its similarity by vector.
pub fn rerank(
    searcher: &tantivy::Searcher,
    fields: &Fields,
    question: &Question,
    params: &Params,
    candidates: Candidates,
    similarity: Option<&dyn Fn(DocAddress) -> Option<f32>>,
) -> Vec<(f32, DocAddress, Lifts)> {
    let best_of = |run: &[(f32, DocAddress)]| {
        run.iter()
            .map(|t| t.0)
            .fold(0f32, f32::max)
            .max(f32::MIN_POSITIVE)
    };
    let (best, best_plain) = (best_of(&candidates.top), best_of(&candidates.plain));
    let mut text: HashMap<DocAddress, f32> = candidates
        .top
        .iter()
        .map(|&(score, address)| (address, score / best))
        .collect();
    for &(score, address) in &candidates.plain {
        *text.entry(address).or_insert(0.0) += params.plain * score / best_plain;
    }
    let (whole, part) = focus_documents(searcher, fields, question);
    let categories = category_columns(searcher);
    let mut out: Vec<(f32, DocAddress, Lifts)> = text
        .into_iter()
        .map(|(address, score)| {
            let category = category_of(&categories, address);
            let in_whole = whole.get(&address).copied();
            let in_part = part.get(&address).copied().filter(|_| in_whole.is_none());
            let lifts = Lifts {
                focus: in_whole.is_some(),
                focus_part: in_part.is_some(),
                confidence: in_whole.or(in_part).unwrap_or(0.0),
                category: category.is_some_and(|c| question.types.contains(&c)),
                first_type: category.is_some() && category == question.types.first().copied(),
                semantic: similarity
                    .and_then(|f| f(address))
                    .map_or(0.0, |s| params.semantic * s),
                cross: 0.0,
            };
            (
                score + lift(&lifts, params) + lifts.semantic,
                address,
                lifts,
            )
        })
        .collect();
    // Ties (equal scores) in the passages' order (drawn from their ids), so that a
    // ranking is the same every run and every build of the corpus.
    let orders = u64_columns(searcher, ORDER_FIELD);
    let order_of = |address: DocAddress| {
        orders
            .get(address.segment_ord as usize)
            .and_then(|c| c.as_ref())
            .and_then(|c| c.first(address.doc_id))
    };
    out.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| order_of(a.1).cmp(&order_of(b.1)))
            .then(a.1.cmp(&b.1))
    });
    out
}

/// Appends to reranked `hits` the text matches `beyond` the rerank window (best
/// first), in text order, leaving out those the window already holds. They are not
/// reranked: each scores its text score normalized by `best` (the best text score of
/// the run), capped at the last score before it so that scores never rise down the
/// list.
pub fn append_beyond(
    hits: &mut Vec<(f32, DocAddress, Lifts)>,
    beyond: Vec<(f32, DocAddress)>,
    best: f32,
) {
    let held: std::collections::HashSet<DocAddress> = hits.iter().map(|h| h.1).collect();
    let mut floor = hits.last().map_or(f32::INFINITY, |h| h.0);
    for (score, address) in beyond {
        if !held.contains(&address) {
            floor = floor.min(score / best.max(f32::MIN_POSITIVE));
            hits.push((floor, address, Lifts::default()));
        }
    }
}

/// A passage's category, from the columns of [`category_columns`].
pub(crate) fn category_of(
    columns: &[Option<tantivy::columnar::Column<u64>>],
    address: DocAddress,
) -> Option<Category> {
    columns
        .get(address.segment_ord as usize)
        .and_then(|c| c.as_ref())
        .and_then(|c| c.first(address.doc_id))
        .and_then(Category::from_code)
}

/// The score a passage's lifts add.
fn lift(lifts: &Lifts, params: &Params) -> f32 {
    let mut focus = 0.0;
    if lifts.focus {
        focus += params.focus;
    }
    if lifts.focus_part {
        focus += params.focus_part;
    }
    let mut lift = 0.0;
    if lifts.first_type {
        lift += params.first_type;
    }
    if lifts.category {
        lift += params.category;
        if lifts.focus || lifts.focus_part {
            focus += params.focus_category;
        }
    }
    lift + focus * lifts.confidence
}

/// Passages of documents the foci name whole, and in part, each with the confidence
/// of its surest focus.
fn focus_documents(
    searcher: &tantivy::Searcher,
    fields: &Fields,
    question: &Question,
) -> (HashMap<DocAddress, f32>, HashMap<DocAddress, f32>) {
    let mut whole = HashMap::new();
    let mut part = HashMap::new();
    for focus in &question.foci {
        let (field, into) = match focus.names {
            TopicMatch::Whole => (fields.topic, &mut whole),
            TopicMatch::Part => (fields.topic_part, &mut part),
        };
        let term = Term::from_field_text(field, &focus.key);
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        if let Ok(docs) = searcher.search(&query, &DocSetCollector) {
            for doc in docs {
                let sure: &mut f32 = into.entry(doc).or_default();
                *sure = sure.max(focus.confidence);
            }
        }
    }
    (whole, part)
}

/// The category fast-field column of each segment.
pub(crate) fn category_columns(
    searcher: &tantivy::Searcher,
) -> Vec<Option<tantivy::columnar::Column<u64>>> {
    u64_columns(searcher, "category_code")
}

/// Each segment's column of the u64 fast field `name` (`None` where it is missing).
fn u64_columns(
    searcher: &tantivy::Searcher,
    name: &str,
) -> Vec<Option<tantivy::columnar::Column<u64>>> {
    searcher
        .segment_readers()
        .iter()
        .map(|s| s.fast_fields().u64(name).ok())
        .collect()
}
