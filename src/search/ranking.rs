//! From an analyzed query to a scored Tantivy query: the health-aware ranking.
//!
//! Each technique can be switched off ([`Ranking`]), so `k2search eval --disable …`
//! measures what it is worth:
//! - `stopwords`: filler words are dropped when the query has content words, so a
//!   pasted 150-word message is ranked on its medical terms;
//! - `typos`: a word no field knows is replaced by its closest indexed term, weighted
//!   below exact matches ([`typo`](super::typo));
//! - `synonyms`: lexicon equivalents are added below the user's own word, multi-word
//!   ones as phrases ([`lexicon`](super::lexicon));
//! - `fields`: title, heading path (a FAQ's question is its last heading) and aliases
//!   weigh more than body text;
//! - `proximity`: neighbouring query words found close together score extra;
//! - `category`: a query that asks about a clinical section ("interaction", "dose",
//!   "side effects") lifts passages of that category.

use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;

use super::lexicon::Lexicon;
use super::query::{any_of, group_query, phrase_query, QueryPlan, TermGroup, WeightedField, Word};
use super::typo;
use crate::index::Fields;
use crate::passage::category::{match_rules, Category};

/// Weight of a lexicon equivalent relative to the user's own word.
const SYNONYM_WEIGHT: f32 = 0.6;
/// Weight of a typo correction relative to an exact word.
const FUZZY_WEIGHT: f32 = 0.8;
/// Weight of a pair of neighbouring query words found close together.
const PROXIMITY_WEIGHT: f32 = 0.5;
/// How many positions apart neighbouring words may stand for the proximity bonus.
const PROXIMITY_SLOP: u32 = 3;
/// Constant score added to passages of the category the query asks about.
const CATEGORY_BOOST: f32 = 2.0;

/// Field weights: (title, headings, aliases, body).
const FIELD_WEIGHTS: [f32; 4] = [1.0, 1.3, 1.0, 1.0];

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
    /// Boost the clinical category the query asks about.
    pub category: bool,
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
    };
    /// Plain BM25 over every field with equal weights.
    pub const NONE: Ranking = Ranking {
        stopwords: false,
        typos: false,
        synonyms: false,
        fields: false,
        proximity: false,
        category: false,
    };

    /// The technique names, for `--disable`.
    pub const NAMES: [&'static str; 6] = [
        "stopwords",
        "typos",
        "synonyms",
        "fields",
        "proximity",
        "category",
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

/// The Tantivy query for a request, with what an explanation needs.
pub struct Built {
    /// The query to run.
    pub query: Box<dyn Query>,
    /// Every term searched, for explanations.
    pub terms: Vec<QueryTerm>,
    /// Corrected words: (as typed, correction as an indexed term).
    pub corrections: Vec<(String, String)>,
    /// The category the query asks about, if any.
    pub intent: Option<Category>,
}

/// The searched fields with their weights (or all 1 when field weights are off).
pub fn weighted_fields(fields: &Fields, ranking: &Ranking) -> [WeightedField; 4] {
    let w = if ranking.fields {
        FIELD_WEIGHTS
    } else {
        [1.0; 4]
    };
    [
        WeightedField {
            field: fields.title,
            weight: w[0],
        },
        WeightedField {
            field: fields.headings,
            weight: w[1],
        },
        WeightedField {
            field: fields.aliases,
            weight: w[2],
        },
        WeightedField {
            field: fields.body,
            weight: w[3],
        },
    ]
}

/// Builds the query for `plan`.
pub fn build(
    plan: &QueryPlan,
    query_text: &str,
    fields: &Fields,
    searcher: &tantivy::Searcher,
    lexicon: &Lexicon,
    ranking: &Ranking,
    section: Option<Category>,
) -> Built {
    let weighted = weighted_fields(fields, ranking);
    let text_fields: Vec<Field> = weighted.iter().map(|w| w.field).collect();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut terms = Vec::new();
    let mut corrections = Vec::new();

    let has_content = plan.words.iter().any(|w| !is_stop(&w.surface));
    let keep = |w: &Word| !(ranking.stopwords && has_content && is_stop(&w.surface));
    let mut kept: Vec<Word> = Vec::new();
    let mut word_clauses: Vec<(TermGroup, Box<dyn Query>)> = Vec::new();
    for word in plan.words.iter().filter(|w| keep(w)) {
        let mut word = word.clone();
        let mut weight = 1.0;
        let mut via = None;
        if ranking.typos {
            if let TermGroup::Single(term) = &word.group {
                if !typo::is_known(searcher, &text_fields, term) {
                    let budget = typo::max_distance(word.surface.chars().count());
                    if let Some(fixed) = typo::correct(searcher, &text_fields, term, budget) {
                        corrections.push((word.surface.clone(), fixed.clone()));
                        word.group = TermGroup::Single(fixed);
                        weight = FUZZY_WEIGHT;
                        via = Some(Via::Fuzzy);
                    }
                }
            }
        }
        let query = boost(group_query(&word.group, &weighted), weight);
        word_clauses.push((word.group.clone(), query));
        for term in terms_of(&word.group) {
            let lower = word.surface.to_lowercase();
            let via = via.unwrap_or(
                if crate::analyze::tokenizer::normalize_word(&lower) != lower {
                    Via::Unit
                } else {
                    Via::Exact
                },
            );
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
        kept.push(word);
    }

    if ranking.synonyms {
        let groups: Vec<TermGroup> = plan.words.iter().map(|w| w.group.clone()).collect();
        for expansion in lexicon.expand(&groups) {
            let mut alternatives = Vec::new();
            for alt in &expansion.alternatives {
                let parts: Vec<String> = alt
                    .words
                    .iter()
                    .cloned()
                    .flat_map(TermGroup::into_parts)
                    .collect();
                // A phrase scores about the sum of its words: divide by its length, so
                // that a two-word synonym does not outweigh the user's one word.
                let query = if alt.words.len() == 1 {
                    group_query(&alt.words[0], &weighted)
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
                for term in alt.words.iter().flat_map(terms_of) {
                    terms.push(QueryTerm {
                        word: expansion.term.clone(),
                        term,
                        matched: alt.surface.clone(),
                        via: Via::Synonym,
                        weight: SYNONYM_WEIGHT,
                    });
                }
            }
            if alternatives.is_empty() {
                continue;
            }
            let alternatives = boost(any_of(alternatives), SYNONYM_WEIGHT);
            // A one-word concept and its synonyms count as one match: the best of them.
            let own = (expansion.span.len() == 1).then(|| &groups[expansion.span.start]);
            match own.and_then(|g| word_clauses.iter_mut().find(|(w, _)| w == g)) {
                Some((_, clause)) => {
                    let original = std::mem::replace(clause, Box::new(tantivy::query::EmptyQuery));
                    *clause = Box::new(DisjunctionMaxQuery::new(vec![original, alternatives]));
                }
                None => clauses.push((Occur::Should, alternatives)),
            }
        }
    }
    clauses.extend(word_clauses.into_iter().map(|(_, q)| (Occur::Should, q)));

    if ranking.proximity {
        for pair in kept.windows(2) {
            let parts: Vec<String> = pair
                .iter()
                .flat_map(|w| w.group.clone().into_parts())
                .collect();
            let body = WeightedField {
                field: fields.body,
                weight: PROXIMITY_WEIGHT,
            };
            clauses.push((Occur::Should, phrase_query(body, &parts, PROXIMITY_SLOP)));
        }
    }

    for phrase in &plan.phrases {
        let per_field = weighted
            .iter()
            .map(|&wf| phrase_query(wf, phrase, 0))
            .collect();
        clauses.push((Occur::Must, any_of(per_field)));
        for term in phrase {
            terms.push(QueryTerm {
                word: term.clone(),
                term: term.clone(),
                matched: term.clone(),
                via: Via::Exact,
                weight: 1.0,
            });
        }
    }

    // Proximity and synonyms only add to passages that match the words themselves or
    // a synonym; the category boost never adds a passage on its own.
    let mut query: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
    let intent = if ranking.category {
        intent(query_text)
    } else {
        None
    };
    let mut outer: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, query)];
    if let Some(category) = intent {
        let term = Term::from_field_text(fields.category, category.as_str());
        let q = TermQuery::new(term, IndexRecordOption::Basic);
        // Text scores grow with the number of query words; the category keeps its share.
        let scale = (kept.len() as f32 / 2.0).max(1.0);
        let boosted = ConstScoreQuery::new(Box::new(q), CATEGORY_BOOST * scale);
        outer.push((Occur::Should, Box::new(boosted)));
    }
    if let Some(category) = section {
        let term = Term::from_field_text(fields.category, category.as_str());
        outer.push((
            Occur::Must,
            Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
        ));
    }
    query = Box::new(BooleanQuery::new(outer));
    Built {
        query,
        terms,
        corrections,
        intent,
    }
}

fn boost(query: Box<dyn Query>, weight: f32) -> Box<dyn Query> {
    if (weight - 1.0).abs() < f32::EPSILON {
        query
    } else {
        Box::new(BoostQuery::new(query, weight))
    }
}

fn terms_of(group: &TermGroup) -> Vec<String> {
    match group {
        TermGroup::Single(t) => vec![t.clone()],
        TermGroup::Compound { joined, .. } => vec![joined.clone()],
    }
}

/// Whether a word is a stop word.
pub fn is_stop(word: &str) -> bool {
    let lower = word.to_lowercase().replace(['\'', '’'], "");
    STOP_WORDS.contains(&lower.as_str())
}

/// Ways people ask about taking two things together, an interaction question even
/// without the word "interaction".
const INTERACTION_CUES: &[&str] = &[
    "together with",
    "take it with",
    "taking it with",
    "take with",
    "taking with",
    "while taking",
    "while on ",
    "along with",
    "combine",
    "mix ",
    "stop working",
    "blood thinner",
    "warfarin",
];

/// The clinical category a query asks about, if it names one.
pub fn intent(query: &str) -> Option<Category> {
    let lower = query.to_lowercase();
    if INTERACTION_CUES.iter().any(|cue| lower.contains(cue)) && !lower.contains("pregnan") {
        return Some(Category::Interactions);
    }
    match match_rules(query)? {
        c @ (Category::Dosage
        | Category::SideEffects
        | Category::Interactions
        | Category::Contraindications
        | Category::Pregnancy
        | Category::FoodSources
        | Category::Storage) => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intents() {
        assert_eq!(intent("warfarin interaction"), Some(Category::Interactions));
        assert_eq!(intent("MK-7 dose for adults"), Some(Category::Dosage));
        assert_eq!(
            intent("side effects of menaquinone"),
            Some(Category::SideEffects)
        );
        assert_eq!(intent("calcium paradox"), None);
        assert_eq!(
            intent("can I take K2 together with my blood thinner"),
            Some(Category::Interactions)
        );
    }

    #[test]
    fn disable_by_name() {
        let mut r = Ranking::ALL;
        assert!(r.disable("synonyms") && !r.synonyms && r.typos);
        assert!(!r.disable("bogus"));
        assert!(r.disable("all") && r == Ranking::NONE);
    }
}
