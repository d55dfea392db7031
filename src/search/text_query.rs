//! From an analysed question to a Tantivy text query ([`build`]): BM25 over weighted
//! fields, each query word weighted by its role, with synonyms and drug names,
//! corrections, completions of the word being typed, proximity, quoted phrases and
//! filters. Which of these are on is [`Ranking`]; their weights are [`Params`].

use tantivy::query::{BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use super::facets::Filter;
use super::lexicon::Lexicon;
use super::params::{Params, Ranking};
use super::prefix::Completions;
use super::query::{any_of, boost, group_query, phrase_query, QueryPlan, TermGroup, WeightedField};
use super::question::{Question, Role};
use crate::index::Fields;
use crate::passage::category::Category;

/// How a query word came to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// The word itself.
    Exact,
    /// Another form of the word (same stem).
    Stem,
    /// A lexicon synonym.
    Synonym,
    /// A typo correction.
    Fuzzy,
    /// A completion of the word being typed (prefix search).
    Prefix,
    /// The same unit written differently (`µg` for `mcg`).
    Unit,
}

/// One term the query searches for, with where it came from (for `--explain`).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryTerm {
    /// The user's word (lower case).
    pub word: String,
    /// The indexed term searched.
    pub term: String,
    /// What the term stands for: the user's word, its synonym or its correction.
    pub matched: String,
    /// How it relates to the user's word.
    pub via: Via,
    /// Its weight relative to an exact word.
    pub weight: f32,
}

/// The text query for a request, with what explanations and snippets need.
pub struct Built {
    /// The query to run.
    pub query: Box<dyn Query>,
    /// Every term searched, for explanations.
    pub terms: Vec<QueryTerm>,
}

/// The searched fields with their weights (or all 1 when field weights are off).
pub fn weighted_fields(fields: &Fields, ranking: &Ranking, params: &Params) -> [WeightedField; 4] {
    let w = if ranking.fields {
        [params.title, params.headings, params.aliases, params.body]
    } else {
        [1.0; 4]
    };
    let f = fields.text();
    std::array::from_fn(|i| WeightedField {
        field: f[i],
        weight: w[i],
    })
}

/// Most proximity pairs a query gets: each is a phrase query, the costliest clause.
const MAX_PROXIMITY_PAIRS: usize = 8;

/// Everything a text query is built from.
#[derive(Clone, Copy)]
pub struct QueryInputs<'a> {
    /// The parsed query.
    pub plan: &'a QueryPlan,
    /// Its analysis: weighted words, foci, types.
    pub question: &'a Question,
    /// The index's fields.
    pub fields: &'a Fields,
    /// Synonyms and drug names.
    pub lexicon: &'a Lexicon,
    /// Which techniques are on.
    pub ranking: &'a Ranking,
    /// The learned weights.
    pub params: &'a Params,
    /// The completions of the word being typed, when prefix search is on.
    pub completions: Option<&'a Completions>,
    /// Passages in the index, and each completion's passages ([`Completions`]
    /// weighs completions by rarity).
    pub num_docs: u64,
    /// Front-matter (or category) values every passage must have.
    pub filters: &'a [Filter],
}

/// The text query: one clause per weighted word, merged with its synonyms and drug
/// names; proximity phrases; quoted phrases as musts; and the category filter.
pub fn build(inputs: &QueryInputs, category: Option<Category>) -> Built {
    let QueryInputs {
        plan,
        question,
        fields,
        ranking,
        params,
        ..
    } = *inputs;
    let weighted = weighted_fields(fields, ranking, params);
    let mut terms = Vec::new();
    let mut words = word_clauses(plan, question, &weighted, params, &mut terms);
    if let Some(completions) = inputs.completions {
        complete_word(inputs, completions, &weighted, &mut words, &mut terms);
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if ranking.synonyms || ranking.drugs {
        clauses.extend(synonym_clauses(inputs, &weighted, &mut words, &mut terms));
    }
    clauses.extend(words.into_iter().map(|(_, q)| (Occur::Should, q)));
    if ranking.proximity {
        clauses.extend(proximity_clauses(plan, question, fields, params));
    }
    clauses.extend(phrase_clauses(plan, &weighted, &mut terms));
    let query: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
    Built {
        query: restricted(query, fields, category, inputs.filters),
        terms,
    }
}

/// Adds the completions of the word being typed to its clause: the best of the word
/// and its completions counts, once; each completion weighs [`Params::prefix`] times
/// the word, brought down to the word's rarity.
fn complete_word(
    inputs: &QueryInputs,
    completions: &Completions,
    weighted: &[WeightedField; 4],
    words: &mut [(usize, Box<dyn Query>)],
    terms: &mut Vec<QueryTerm>,
) {
    let Some((_, clause)) = words.iter_mut().find(|(w, _)| *w == completions.word) else {
        return;
    };
    let Some(weighed) = inputs.question.words.get(completions.word) else {
        return;
    };
    let word = weighed.word.to_lowercase();
    let mut alternatives = Vec::new();
    for (term, freq) in &completions.terms {
        let weight = inputs.params.prefix
            * weighed.weight
            * completions.rarity_weight(*freq, inputs.num_docs);
        alternatives.push(boost(
            group_query(&TermGroup::Single(term.clone()), weighted),
            weight,
        ));
        terms.push(QueryTerm {
            word: word.clone(),
            term: term.clone(),
            matched: term.clone(),
            via: Via::Prefix,
            weight,
        });
    }
    let mut original = std::mem::replace(clause, Box::new(tantivy::query::EmptyQuery));
    if completions.on_the_way() {
        let weight =
            inputs.params.prefix * completions.rarity_weight(completions.freq, inputs.num_docs);
        original = boost(original, weight);
    }
    alternatives.insert(0, original);
    *clause = Box::new(DisjunctionMaxQuery::new(alternatives));
}

/// The synonyms and drug names of the query's words and phrases, weighted as the words
/// they stand for. A one-word concept's alternatives join its word clause (the best of
/// them counts, once); the others are clauses of their own, returned.
fn synonym_clauses(
    inputs: &QueryInputs,
    weighted: &[WeightedField; 4],
    words: &mut [(usize, Box<dyn Query>)],
    terms: &mut Vec<QueryTerm>,
) -> Vec<(Occur, Box<dyn Query>)> {
    let (question, params, ranking) = (inputs.question, inputs.params, inputs.ranking);
    let weight_of = |i: usize| question.words.get(i).map_or(1.0, |w| w.weight);
    let mut clauses = Vec::new();
    let expansions =
        inputs
            .lexicon
            .expand_with(&inputs.plan.words, ranking.synonyms, ranking.drugs);
    for expansion in expansions {
        let own_weight = expansion.span.clone().map(weight_of).fold(0.0, f32::max);
        if own_weight <= 0.0 {
            continue;
        }
        let Some(alternatives) = synonym_query(&expansion, weighted, terms, params) else {
            continue;
        };
        let weight = if expansion.drug {
            params.drug
        } else {
            params.synonym
        };
        let alternatives = boost(alternatives, weight * own_weight);
        let own = (expansion.span.len() == 1).then_some(expansion.span.start);
        match own.and_then(|i| words.iter_mut().find(|(w, _)| *w == i)) {
            Some((_, clause)) => {
                let original = std::mem::replace(clause, Box::new(tantivy::query::EmptyQuery));
                *clause = Box::new(DisjunctionMaxQuery::new(vec![original, alternatives]));
            }
            None => clauses.push((Occur::Should, alternatives)),
        }
    }
    clauses
}

/// Each quoted phrase must match, in some field; its words are noted as searched.
fn phrase_clauses(
    plan: &QueryPlan,
    weighted: &[WeightedField; 4],
    terms: &mut Vec<QueryTerm>,
) -> Vec<(Occur, Box<dyn Query>)> {
    let mut clauses = Vec::new();
    for phrase in &plan.phrases {
        let per_field = weighted
            .iter()
            .map(|&wf| phrase_query(wf, phrase, 0))
            .collect();
        clauses.push((Occur::Must, any_of(per_field)));
        terms.extend(phrase.iter().map(|term| QueryTerm {
            word: term.clone(),
            term: term.clone(),
            matched: term.clone(),
            via: Via::Exact,
            weight: 1.0,
        }));
    }
    clauses
}

/// `query`, restricted to passages of one category and with the filtered values (the
/// filters add no score).
fn restricted(
    query: Box<dyn Query>,
    fields: &Fields,
    category: Option<Category>,
    filters: &[Filter],
) -> Box<dyn Query> {
    let terms: Vec<Term> = category
        .map(|c| Term::from_field_text(fields.category, c.as_str()))
        .into_iter()
        .chain(filters.iter().map(|f| f.term(fields.category, fields.meta)))
        .collect();
    if terms.is_empty() {
        return query;
    }
    let mut clauses = vec![(Occur::Must, query)];
    for term in terms {
        let filter = Box::new(TermQuery::new(term, IndexRecordOption::Basic));
        clauses.push((
            Occur::Must,
            Box::new(BoostQuery::new(filter, 0.0)) as Box<dyn Query>,
        ));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// One clause per weighted query word (keyed by its place in the plan), noting the
/// terms searched in `terms`.
fn word_clauses(
    plan: &QueryPlan,
    question: &Question,
    weighted: &[WeightedField],
    params: &Params,
    terms: &mut Vec<QueryTerm>,
) -> Vec<(usize, Box<dyn Query>)> {
    let mut out = Vec::new();
    for (i, (word, weighed)) in plan.words.iter().zip(&question.words).enumerate() {
        if weighed.role == Role::Dropped || weighed.weight <= 0.0 {
            continue;
        }
        let (group, weight, via) = match &weighed.corrected {
            Some(fixed) => (
                TermGroup::Single(fixed.clone()),
                weighed.weight * params.fuzzy,
                Via::Fuzzy,
            ),
            None => (word.group.clone(), weighed.weight, Via::Exact),
        };
        out.push((i, boost(group_query(&group, weighted), weight)));
        let lower = word.surface.to_lowercase();
        let term = group.primary().to_string();
        let via = match via {
            Via::Exact if crate::analyze::tokenizer::normalize_word(&lower) != lower => Via::Unit,
            via => via,
        };
        terms.push(QueryTerm {
            word: lower.clone(),
            matched: if via == Via::Fuzzy {
                term.clone()
            } else {
                lower
            },
            term,
            via,
            weight,
        });
    }
    out
}

/// The query for a lexicon expansion's alternatives (unweighted), noting their terms.
fn synonym_query(
    expansion: &super::lexicon::Expansion,
    weighted: &[WeightedField],
    terms: &mut Vec<QueryTerm>,
    params: &Params,
) -> Option<Box<dyn Query>> {
    let mut alternatives = Vec::new();
    for alt in &expansion.alternatives {
        let parts: Vec<String> = alt
            .words
            .iter()
            .cloned()
            .flat_map(TermGroup::into_parts)
            .collect();
        // A phrase scores about the sum of its words: divide by its length, so that a
        // two-word synonym does not outweigh the user's one word.
        let query = if alt.words.len() == 1 {
            group_query(&alt.words[0], weighted)
        } else {
            let phrase = any_of(
                weighted
                    .iter()
                    .map(|&f| phrase_query(f, &parts, 0))
                    .collect(),
            );
            boost(phrase, 1.0 / parts.len() as f32)
        };
        alternatives.push(query);
        for term in alt.words.iter().map(|g| g.primary().to_string()) {
            terms.push(QueryTerm {
                word: expansion.term.clone(),
                term,
                matched: alt.surface.clone(),
                via: Via::Synonym,
                weight: params.synonym,
            });
        }
    }
    (!alternatives.is_empty()).then(|| any_of(alternatives))
}

/// Phrase queries with slack for neighbouring kept words (in query order).
fn proximity_clauses(
    plan: &QueryPlan,
    question: &Question,
    fields: &Fields,
    params: &Params,
) -> Vec<(Occur, Box<dyn Query>)> {
    let kept: Vec<&TermGroup> = plan
        .words
        .iter()
        .zip(&question.words)
        .filter(|(_, w)| w.role != Role::Dropped && w.role != Role::Story && w.corrected.is_none())
        .map(|(word, _)| &word.group)
        .collect();
    let body = WeightedField {
        field: fields.body,
        weight: params.proximity,
    };
    kept.windows(2)
        .take(MAX_PROXIMITY_PAIRS)
        .map(|pair| {
            let parts: Vec<String> = pair
                .iter()
                .flat_map(|g| (*g).clone().into_parts())
                .collect();
            (Occur::Should, phrase_query(body, &parts, PROXIMITY_SLOP))
        })
        .collect()
}

/// How many positions apart neighbouring words may stand for the proximity bonus.
const PROXIMITY_SLOP: u32 = 3;
