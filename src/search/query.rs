//! Query text → a query plan → a Tantivy query.
//!
//! Natural-language input never fails: quotes delimit phrases (an unbalanced quote
//! just ends), every other character that is not part of a word is ignored, so
//! `warfarin? (coumadin) "K2-7"` and `AND OR NOT ((((` are fine. Words go through the
//! index's analyzer; a compound such as `MK-7` becomes "the joined token `mk7`, or the
//! phrase `mk 7`".

use tantivy::query::{
    BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;

use crate::analyze;

/// Most word groups a query may have; the rest of a pasted essay is ignored.
pub const MAX_GROUPS: usize = 64;

/// One query word after analysis.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TermGroup {
    /// A single term.
    Single(String),
    /// A compound: its joined form or its parts as a phrase.
    Compound {
        /// The joined term (`mk7`).
        joined: String,
        /// The parts (`mk`, `7`).
        parts: Vec<String>,
    },
}

/// One query word: its analyzed form and the text the user typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// The analyzed word.
    pub group: TermGroup,
    /// The word as typed.
    pub surface: String,
}

/// The analyzed query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryPlan {
    /// Loose words, in query order: a passage should match as many as possible.
    pub words: Vec<Word>,
    /// Quoted phrases: a passage must contain each (terms in order).
    pub phrases: Vec<Vec<String>>,
    /// Every word of the query in order, repeated ones and quoted ones too (for
    /// finding names of several words).
    pub sequence: Vec<Word>,
}

impl QueryPlan {
    /// Parses and analyzes query text.
    pub fn parse(query: &str) -> QueryPlan {
        let mut plan = QueryPlan::default();
        // An unbalanced quote quotes nothing: the words after it stay loose words.
        let quotes = query.matches('"').count();
        let last_quote = if quotes % 2 == 1 { quotes } else { usize::MAX };
        for (i, segment) in query.split('"').enumerate() {
            let quoted = i % 2 == 1 && i != last_quote;
            let words = analyze_words(segment);
            plan.sequence.extend(words.iter().cloned());
            if quoted && words.len() > 1 {
                let terms = words
                    .into_iter()
                    .flat_map(|w| w.group.into_parts())
                    .collect();
                plan.phrases.push(terms);
            } else {
                for word in words {
                    if plan.words.len() < MAX_GROUPS
                        && !plan.words.iter().any(|w| w.group == word.group)
                    {
                        plan.words.push(word);
                    }
                }
            }
        }
        plan
    }

    /// The query with its quotes ignored, every word loose: what is searched when
    /// its phrases match nothing.
    pub fn loose(query: &str) -> QueryPlan {
        QueryPlan::parse(&query.replace('"', " "))
    }

    /// Whether the plan has nothing to search for.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.phrases.is_empty()
    }
}

impl TermGroup {
    /// The term that stands for the word: the word itself, or a compound's joined
    /// form (`mk7`).
    pub fn primary(&self) -> &str {
        match self {
            TermGroup::Single(t) => t,
            TermGroup::Compound { joined, .. } => joined,
        }
    }

    /// The terms to match in order: the word, or a compound's parts.
    pub fn into_parts(self) -> Vec<String> {
        match self {
            TermGroup::Single(t) => vec![t],
            TermGroup::Compound { parts, .. } => parts,
        }
    }
}

/// Analyzes text into term groups (see [`analyze_words`]).
pub fn analyze_groups(text: &str) -> Vec<TermGroup> {
    analyze_words(text).into_iter().map(|w| w.group).collect()
}

/// Analyzes text into words: a token whose byte range covers the following tokens is a
/// compound's joined form, and those tokens are its parts.
pub fn analyze_words(text: &str) -> Vec<Word> {
    let tokens = analyze::analyze(text);
    let mut words = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let parts: Vec<String> = tokens[i + 1..]
            .iter()
            .take_while(|p| p.offset_from >= t.offset_from && p.offset_to <= t.offset_to)
            .map(|p| p.text.clone())
            .collect();
        let surface = text
            .get(t.offset_from..t.offset_to)
            .unwrap_or_default()
            .to_string();
        let group = if parts.is_empty() {
            TermGroup::Single(t.text.clone())
        } else {
            TermGroup::Compound {
                joined: t.text.clone(),
                parts,
            }
        };
        i += 1 + match &group {
            TermGroup::Single(_) => 0,
            TermGroup::Compound { parts, .. } => parts.len(),
        };
        words.push(Word { group, surface });
    }
    words
}

/// A field searched by text queries, with its weight.
#[derive(Debug, Clone, Copy)]
pub struct WeightedField {
    /// The field.
    pub field: Field,
    /// Its boost.
    pub weight: f32,
}

/// A term query on one field, boosted.
pub fn term_query(field: WeightedField, term: &str) -> Box<dyn Query> {
    let q = TermQuery::new(
        Term::from_field_text(field.field, term),
        IndexRecordOption::WithFreqs,
    );
    boost(Box::new(q), field.weight)
}

/// A phrase query on one field (a single term degrades to a term query).
pub fn phrase_query(field: WeightedField, terms: &[String], slop: u32) -> Box<dyn Query> {
    if terms.len() == 1 {
        return term_query(field, &terms[0]);
    }
    let terms: Vec<(usize, Term)> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| (i, Term::from_field_text(field.field, t)))
        .collect();
    boost(
        Box::new(PhraseQuery::new_with_offset_and_slop(terms, slop)),
        field.weight,
    )
}

/// `q` with its score times `weight` (itself when the weight is 1).
pub(crate) fn boost(q: Box<dyn Query>, weight: f32) -> Box<dyn Query> {
    if (weight - 1.0).abs() < f32::EPSILON {
        q
    } else {
        Box::new(BoostQuery::new(q, weight))
    }
}

/// "Any of these": a disjunction (a single clause stays as it is).
pub fn any_of(mut queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if queries.len() == 1 {
        return queries
            .pop()
            .unwrap_or_else(|| Box::new(tantivy::query::EmptyQuery));
    }
    Box::new(BooleanQuery::new(
        queries.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

/// How much a term's matches in its other fields add to its best field's score.
const TIE_BREAKER: f32 = 0.3;

/// The query for one term group over the weighted fields: the best field counts in
/// full, the others only partly (a word in the heading and the body is one match, not
/// two).
pub fn group_query(group: &TermGroup, fields: &[WeightedField]) -> Box<dyn Query> {
    let per_field: Vec<Box<dyn Query>> = fields
        .iter()
        .map(|&f| match group {
            TermGroup::Single(t) => term_query(f, t),
            TermGroup::Compound { joined, parts } => {
                any_of(vec![term_query(f, joined), phrase_query(f, parts, 0)])
            }
        })
        .collect();
    Box::new(DisjunctionMaxQuery::with_tie_breaker(
        per_field,
        TIE_BREAKER,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_and_phrases() {
        let plan = QueryPlan::parse(r#"warfarin? (coumadin) "K2-7" AND (("#);
        let surfaces: Vec<&str> = plan.words.iter().map(|w| w.surface.as_str()).collect();
        assert_eq!(surfaces, ["warfarin", "coumadin", "K2-7", "AND"]);
        let plan = QueryPlan::parse(r#""vitamin k2" dose"#);
        assert_eq!(
            plan.phrases,
            vec![vec!["vitamin".to_string(), "k2".to_string()]]
        );
        assert_eq!(plan.words[0].group, TermGroup::Single("dose".into()));
        assert!(QueryPlan::parse("((( ))) --- ~ * &&").is_empty());
        let plan = QueryPlan::parse(r#"can I take "tylenol with warfarin"#);
        assert!(plan.phrases.is_empty());
        assert_eq!(plan.words.len(), 6);
    }

    #[test]
    fn compounds() {
        assert_eq!(
            analyze_groups("MK-7"),
            vec![TermGroup::Compound {
                joined: "mk7".into(),
                parts: vec!["mk".into(), "7".into()]
            }]
        );
    }
}
