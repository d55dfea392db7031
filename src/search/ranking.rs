//! From an analyzed question to ranked passages: the health-aware ranking.
//!
//! Ranking runs in two steps. [`build`] turns the [`Question`] into a Tantivy text
//! query: BM25 over weighted fields, each query word weighted by its role, with
//! synonyms, corrections and proximity. [`rerank`] then reorders the best text matches
//! on what the question asks: passages of a document about a focus, and of the
//! category the question asks about, are lifted; the text score is normalized by the
//! best one first, so the lifts weigh the same for a two-word query and a
//! 150-word message.
//!
//! Each technique can be switched off ([`Ranking`]), so `k2search eval --disable …`
//! measures what it is worth:
//! - `stopwords`: filler words are dropped when the query has content words;
//! - `typos`: a word no field knows is replaced by a clearly better indexed term,
//!   weighted below exact matches ([`typo`](super::typo));
//! - `synonyms`: lexicon equivalents are added below the user's own word, multi-word
//!   ones as phrases ([`lexicon`](super::lexicon));
//! - `drugs`: brand names reach their generic names (the generated drug lexicon);
//! - `fields`: title, heading path (a FAQ's question is its last heading) and aliases
//!   weigh more than body text;
//! - `proximity`: neighbouring query words found close together score extra;
//! - `category`: passages of the category the question asks about are lifted;
//! - `focus`: passages of a document about the question's focus are lifted;
//! - `weights`: focus and subject-line words weigh more, story words less, and a long
//!   message keeps its most telling words.
//!
//! The weights are [`Params`], learned on judged questions with cross-validation
//! (`eval/tune.py`), not set by hand.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tantivy::collector::DocSetCollector;
use tantivy::query::{BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Term};

use super::facets::Filter;
use super::lexicon::Lexicon;
use super::prefix::Completions;
use super::query::{any_of, boost, group_query, phrase_query, QueryPlan, TermGroup, WeightedField};
use super::question::{Question, Role, TopicMatch};
use crate::index::Fields;
use crate::passage::category::Category;

/// The ranking weights. Their one source is `lexicon/ranking.json`, bundled into the
/// binary ([`Params::default`]), written by `eval/tune.py`: learned on the five dev
/// sets, leave-one-set-out. `eval --params FILE` tries others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Field weight of the document title.
    pub title: f32,
    /// Field weight of the heading path.
    pub headings: f32,
    /// Field weight of the document aliases.
    pub aliases: f32,
    /// Field weight of the passage text.
    pub body: f32,
    /// Weight of a lexicon equivalent relative to the user's own word.
    pub synonym: f32,
    /// Weight of a drug's generic name relative to the brand name the user wrote.
    pub drug: f32,
    /// Weight of a typo correction relative to an exact word.
    pub fuzzy: f32,
    /// Weight of a completion of the word being typed relative to an exact word
    /// (scored as if as common as the word: [`super::prefix`]).
    pub prefix: f32,
    /// Weight of a pair of neighbouring query words found close together.
    pub proximity: f32,
    /// Lift of a passage of a category the question asks about (text score 0..1).
    pub category: f32,
    /// Extra lift when it is the category the question asks about first.
    pub first_type: f32,
    /// Lift of a passage of a document named whole by a focus.
    pub focus: f32,
    /// Lift of a passage of a document a focus names in part.
    pub focus_part: f32,
    /// Extra lift when both hold: the focus document's section on what is asked.
    pub focus_category: f32,
    /// Weight of a focus word in the text query.
    pub focus_word: f32,
    /// Weight of a story word (family, greetings, thanks).
    pub story: f32,
    /// Weight factor of words in the subject line of a message.
    pub subject: f32,
    /// Most words a long message is searched with.
    pub max_words: usize,
    /// Text matches reranked.
    pub pool: usize,
    /// Weight of a passage's cosine similarity to the question, when the index has
    /// vectors (hybrid ranking; the text score is 0..1 plus lifts).
    pub semantic: f32,
    /// Passages nearest the question by vector added to the text matches.
    pub semantic_pool: usize,
    /// Weight of a message's body embedded apart from its subject line (0: the
    /// message is embedded whole, cut at `semantic_tokens`).
    pub semantic_body: f32,
    /// Weight of the plain text ranking (no focus, type or word roles) fused with the
    /// analysed one: each passage adds its plain text score, normalized by the best,
    /// times this. The analysis adds evidence to what BM25 finds, and cannot take it
    /// away.
    pub plain: f32,
    /// Tokens of the question that are embedded (the cost of embedding grows with
    /// them; a long message is cut).
    pub semantic_tokens: usize,
}

/// The shipped weights, learned by `eval/tune.py --write lexicon/ranking.json`.
const SHIPPED: &str = include_str!("../../lexicon/ranking.json");

impl Default for Params {
    /// The shipped weights (`lexicon/ranking.json`). The file names every field; a
    /// unit test parses it, so it always does.
    fn default() -> Self {
        static SHIPPED_PARAMS: std::sync::LazyLock<Params> = std::sync::LazyLock::new(|| {
            serde_json::from_str(SHIPPED).expect("lexicon/ranking.json is checked by a test")
        });
        SHIPPED_PARAMS.clone()
    }
}

impl Params {
    /// Reads weights from a JSON file: the fields it names replace the shipped ones.
    pub fn load(path: &std::path::Path) -> crate::Result<Params> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| crate::Error::io("cannot read ranking parameters", path, e))?;
        Params::overlay(&text).map_err(|e| crate::Error::Syntax {
            path: path.to_path_buf(),
            line: e.line(),
            message: format!("not ranking parameters ({e})"),
        })
    }

    /// The shipped weights with the fields of the JSON object `text` replaced.
    pub fn overlay(text: &str) -> serde_json::Result<Params> {
        let changes: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)?;
        let mut merged = serde_json::to_value(Params::default())?;
        if let Some(fields) = merged.as_object_mut() {
            fields.extend(changes);
        }
        serde_json::from_value(merged)
    }
}

/// Words that carry no meaning for search on their own.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "done",
    "during",
    "each",
    "even",
    "ever",
    "few",
    "for",
    "from",
    "further",
    "get",
    "got",
    "had",
    "has",
    "have",
    "having",
    "he",
    "hello",
    "her",
    "here",
    "hers",
    "him",
    "his",
    "hi",
    "how",
    "i",
    "if",
    "im",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "know",
    "like",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "out",
    "over",
    "own",
    "please",
    "really",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "thank",
    "thanks",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "wondering",
    "anyone",
    "something",
    "thing",
    "things",
    "okay",
    "ok",
    "ive",
    "dont",
    "cant",
    "wont",
    "whether",
    "tell",
    "said",
    "says",
    "want",
    "wanted",
    "lot",
    "lots",
    "bit",
    "yes",
    "yet",
    "still",
    "since",
    "though",
];

/// Which ranking techniques are on. All are on by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ranking {
    /// Drop stop words from queries that have content words.
    pub stopwords: bool,
    /// Correct words no field knows.
    pub typos: bool,
    /// Expand lexicon synonyms.
    pub synonyms: bool,
    /// Weigh title, headings and aliases above body text.
    pub fields: bool,
    /// Reward query words standing close together.
    pub proximity: bool,
    /// Lift the clinical category the question asks about.
    pub category: bool,
    /// Expand brand drug names to generic ones.
    pub drugs: bool,
    /// Lift passages of documents about the question's focus.
    pub focus: bool,
    /// Weigh words by their role in the question.
    pub weights: bool,
    /// Rank by vector similarity too, when the index has vectors (hybrid ranking).
    pub semantic: bool,
}

impl Default for Ranking {
    fn default() -> Self {
        Ranking::ALL
    }
}

impl Ranking {
    /// Every technique on.
    pub const ALL: Ranking = Ranking {
        stopwords: true,
        typos: true,
        synonyms: true,
        fields: true,
        proximity: true,
        category: true,
        drugs: true,
        focus: true,
        weights: true,
        semantic: true,
    };
    /// Plain BM25 over every field with equal weights.
    pub const NONE: Ranking = Ranking {
        stopwords: false,
        typos: false,
        synonyms: false,
        fields: false,
        proximity: false,
        category: false,
        drugs: false,
        focus: false,
        weights: false,
        semantic: false,
    };

    /// These techniques without the question analysis (focus, category, word roles):
    /// the plain ranking fused with the analysed one.
    pub fn plain(self) -> Ranking {
        Ranking {
            focus: false,
            category: false,
            weights: false,
            semantic: false,
            proximity: false,
            ..self
        }
    }

    /// The technique names, for `--disable`.
    pub const NAMES: [&'static str; 10] = [
        "stopwords",
        "typos",
        "synonyms",
        "drugs",
        "fields",
        "proximity",
        "category",
        "focus",
        "weights",
        "semantic",
    ];

    /// Turns one technique off by name (`all` turns every one off).
    pub fn disable(&mut self, name: &str) -> bool {
        match name.trim() {
            "stopwords" => self.stopwords = false,
            "typos" => self.typos = false,
            "synonyms" => self.synonyms = false,
            "fields" => self.fields = false,
            "proximity" => self.proximity = false,
            "category" => self.category = false,
            "drugs" => self.drugs = false,
            "focus" => self.focus = false,
            "weights" => self.weights = false,
            "semantic" => self.semantic = false,
            "all" => *self = Ranking::NONE,
            _ => return false,
        }
        true
    }
}

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
    let original = std::mem::replace(clause, Box::new(tantivy::query::EmptyQuery));
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
            };
            (
                score + lift(&lifts, params) + lifts.semantic,
                address,
                lifts,
            )
        })
        .collect();
    // Ties (equal scores) in index order, so that a ranking is the same every run.
    out.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
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
    searcher
        .segment_readers()
        .iter()
        .map(|s| s.fast_fields().u64("category_code").ok())
        .collect()
}

/// Whether a word is a stop word.
pub fn is_stop(word: &str) -> bool {
    // Asked for every word and span of a question: a set, not a scan of the list.
    static STOPS: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| STOP_WORDS.iter().copied().collect());
    let lower = word.to_lowercase().replace(['\'', '’'], "");
    STOPS.contains(lower.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_weights_name_every_field() {
        let shipped: Params = serde_json::from_str(SHIPPED).unwrap();
        assert_eq!(shipped, Params::default());
    }

    #[test]
    fn a_params_file_replaces_only_the_fields_it_names() {
        let p = Params::overlay(r#"{"plain": 0.125}"#).unwrap();
        assert_eq!(p.plain, 0.125);
        assert_eq!(
            Params {
                plain: 0.125,
                ..Params::default()
            },
            p
        );
        assert!(Params::overlay(r#"{"bogus": 1}"#).is_err());
    }

    #[test]
    fn disable_by_name() {
        let mut r = Ranking::ALL;
        assert!(r.disable("synonyms") && !r.synonyms && r.typos);
        assert!(!r.disable("bogus"));
        assert!(r.disable("all") && r == Ranking::NONE);
    }
}
