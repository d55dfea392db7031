//! Typo correction: a query word that is in no indexed field's vocabulary is replaced
//! by the most frequent indexed term within a small edit distance (1 from 5 letters,
//! 2 from 9), scored below exact matches, and reported ("showing results for …").

use std::collections::HashMap;

use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;
use tantivy::{Searcher as TantivySearcher, Term};

/// Shortest word that is corrected at all.
const MIN_LEN_DISTANCE_1: usize = 5;
/// Shortest word that may be corrected with two edits.
const MIN_LEN_DISTANCE_2: usize = 9;

/// The edit budget for a word of `len` characters.
pub fn max_distance(len: usize) -> usize {
    match len {
        l if l >= MIN_LEN_DISTANCE_2 => 2,
        l if l >= MIN_LEN_DISTANCE_1 => 1,
        _ => 0,
    }
}

/// Fewest passages a correction must occur in: a rarer term is no clearly better
/// spelling.
const MIN_CORRECTION_FREQ: u64 = 3;

/// The best correction of `term`: an indexed term within the edit budget that starts
/// with the same letter (people rarely mistype the first letter, and this keeps
/// `efects` from becoming `defects`), occurs in at least `MIN_CORRECTION_FREQ`
/// passages, with the fewest edits, then the highest document frequency. The term
/// dictionaries are walked with a Levenshtein automaton, so only candidates are read.
pub fn correct(
    searcher: &TantivySearcher,
    fields: &[Field],
    term: &str,
    budget: usize,
) -> Option<String> {
    if budget == 0 || term.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let first = term.chars().next()?;
    let target: Vec<char> = term.chars().collect();
    let mut best: HashMap<String, (usize, u64)> = HashMap::new();
    // The automaton depends on the word only: build it once for every field.
    let field = *fields.first()?;
    let fuzzy = FuzzyTermQuery::new(Term::from_field_text(field, term), budget as u8, true);
    let automaton = fuzzy.automaton().ok()?;
    let mut prefix = [0u8; 4];
    let lower = first.encode_utf8(&mut prefix).as_bytes().to_vec();
    let upper = char::from_u32(first as u32 + 1).map(|c| c.to_string().into_bytes());
    for &field in fields {
        for segment in searcher.segment_readers() {
            let Ok(inverted) = segment.inverted_index(field) else {
                continue;
            };
            // Only the dictionary range of the first letter is walked.
            let range = inverted.terms().search(&automaton).ge(&lower);
            let range = match &upper {
                Some(upper) => range.lt(upper),
                None => range,
            };
            let Ok(mut stream) = range.into_stream() else {
                continue;
            };
            while stream.advance() {
                let Ok(candidate) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                if !candidate.starts_with(first) {
                    continue;
                }
                let Some(distance) = bounded_distance(&target, candidate, budget) else {
                    continue;
                };
                let entry = best.entry(candidate.to_string()).or_insert((distance, 0));
                entry.1 += u64::from(stream.value().doc_freq);
            }
        }
    }
    best.into_iter()
        .filter(|(_, (_, freq))| *freq >= MIN_CORRECTION_FREQ)
        .min_by(|(a_term, (a_d, a_f)), (b_term, (b_d, b_f))| {
            a_d.cmp(b_d).then(b_f.cmp(a_f)).then(a_term.cmp(b_term))
        })
        .map(|(t, _)| t)
}

/// Optimal-string-alignment distance (a swap of neighbours is one edit), or `None`
/// when it exceeds `budget`.
fn bounded_distance(a: &[char], b: &str, budget: usize) -> Option<usize> {
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut prev2 = vec![0usize; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur = vec![0usize; m + 1];
    for i in 1..=n {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > budget {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[m]).filter(|&d| d <= budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(a: &str, b: &str, budget: usize) -> Option<usize> {
        bounded_distance(&a.chars().collect::<Vec<_>>(), b, budget)
    }

    #[test]
    fn distances() {
        assert_eq!(d("warfrin", "warfarin", 1), Some(1));
        assert_eq!(d("vitmain", "vitamin", 1), Some(1));
        assert_eq!(d("dosge", "dose", 1), Some(1));
        assert_eq!(d("abc", "xyz", 1), None);
        assert_eq!(max_distance(4), 0);
        assert_eq!(max_distance(5), 1);
        assert_eq!(max_distance(9), 2);
    }
}
