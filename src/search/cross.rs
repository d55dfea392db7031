//! Re-ranking by a cross-encoder: the best candidates of the ranking (text, analysis
//! and vectors fused) are read with the question by a model that scores each pair
//! ([`crate::embed::CrossEncoder`]), and reordered by that score mixed with the one
//! they had ([`Params::rerank`]). Opt-in: a searcher re-ranks only when given a model
//! ([`super::Searcher::with_reranker`]).

use tantivy::{DocAddress, TantivyDocument};

use super::params::Params;
use super::rerank::Lifts;
use crate::embed::{self, CrossEncoder};
use crate::error::{Error, Result};
use crate::index::Fields;

/// Reorders the first [`Params::rerank_depth`] of `hits` (best first) by
/// `rerank · σ(logit) + (1 − rerank) · score / best score`. The candidates keep the
/// scores of the places they take, so that scores still fall down the list and the
/// hits past the depth stay below them; each one's cross-encoder score (σ(logit)) is
/// in its [`Lifts::cross`].
pub(super) fn rerank(
    searcher: &tantivy::Searcher,
    fields: &Fields,
    dir: &std::path::Path,
    cross: &CrossEncoder,
    question: &str,
    params: &Params,
    hits: &mut [(f32, DocAddress, Lifts)],
) -> Result<()> {
    let depth = params.rerank_depth.min(hits.len());
    if depth < 2 {
        return Ok(());
    }
    let top = &mut hits[..depth];
    let mut texts = Vec::with_capacity(depth);
    for &(_, address, _) in top.iter() {
        let doc: TantivyDocument = searcher.doc(address).map_err(|e| Error::tantivy(dir, e))?;
        texts.push(embed::passage_text(&fields.to_passage(&doc)));
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let logits = cross.score(question, &refs)?;
    reorder(top, &logits, params.rerank);
    Ok(())
}

/// Reorders `top` (best first) by `weight · σ(logit) + (1 − weight) · score / best
/// score`, each keeping the score of the place it takes.
fn reorder(top: &mut [(f32, DocAddress, Lifts)], logits: &[f32], weight: f32) {
    let Some(&(best, _, _)) = top.first() else {
        return;
    };
    let best = best.max(f32::MIN_POSITIVE);
    let places: Vec<f32> = top.iter().map(|h| h.0).collect();
    let weight = weight.clamp(0.0, 1.0);
    let mut mixed: Vec<(f32, DocAddress, Lifts)> = top
        .iter()
        .zip(logits)
        .map(|(&(score, address, mut lifts), &logit)| {
            lifts.cross = sigmoid(logit);
            let mix = weight * lifts.cross + (1.0 - weight) * score / best;
            (mix, address, lifts)
        })
        .collect();
    // Stable: equal mixes keep the order they had.
    mixed.sort_by(|a, b| b.0.total_cmp(&a.0));
    for ((slot, (_, address, lifts)), place) in top.iter_mut().zip(mixed).zip(places) {
        *slot = (place, address, lifts);
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::{reorder, sigmoid, Lifts};
    use tantivy::DocAddress;

    fn hits(scores: &[f32]) -> Vec<(f32, DocAddress, Lifts)> {
        let at = |i: usize| DocAddress::new(0, i as u32);
        scores
            .iter()
            .enumerate()
            .map(|(i, &s)| (s, at(i), Lifts::default()))
            .collect()
    }

    fn order(top: &[(f32, DocAddress, Lifts)]) -> Vec<u32> {
        top.iter().map(|h| h.1.doc_id).collect()
    }

    #[test]
    fn candidates_take_the_cross_encoders_order_and_keep_the_places_scores() {
        let mut top = hits(&[3.0, 2.0, 1.0]);
        reorder(&mut top, &[-5.0, 4.0, 0.0], 1.0);
        assert_eq!(order(&top), [1, 2, 0]);
        let scores: Vec<f32> = top.iter().map(|h| h.0).collect();
        assert_eq!(scores, [3.0, 2.0, 1.0]);
        assert!(top[0].2.cross > 0.98 && top[2].2.cross < 0.01);
    }

    #[test]
    fn a_weight_below_one_mixes_in_the_score_they_had() {
        // σ: 0.5, 0.62, 0.27 against scores 1, 0.5, 0.33 of the best.
        let logits = [0.0, 0.5, -1.0];
        let mut pure = hits(&[3.0, 1.5, 1.0]);
        reorder(&mut pure, &logits, 1.0);
        assert_eq!(order(&pure), [1, 0, 2]);
        let mut half = hits(&[3.0, 1.5, 1.0]);
        reorder(&mut half, &logits, 0.5);
        assert_eq!(order(&half), [0, 1, 2]);
        let mut none = hits(&[3.0, 1.5, 1.0]);
        reorder(&mut none, &[9.0, -9.0, 9.0], 0.0);
        assert_eq!(order(&none), [0, 1, 2]);
    }

    #[test]
    fn sigmoid_maps_logits_into_zero_one_in_order() {
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-6);
        assert!(sigmoid(-11.0) < 1e-4 && sigmoid(10.0) > 0.9999);
        assert!(sigmoid(1.0) > sigmoid(0.5));
    }
}
