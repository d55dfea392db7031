//! Question analysis: what a query asks, before it is ranked.
//!
//! Real questions to a health library are long messages ("Hello, my mother has
//! shingles, how is it treated? Thank you"). This stage turns the parsed query into a
//! [`Question`]:
//! - the **foci**: the conditions, drugs, tests the question is about, found as the
//!   longest runs of query words that are a document title or alias in the index
//!   (whole, or a part such as `macular degeneration` of `age-related macular
//!   degeneration`), or a lexicon term equivalent to one (`zoloft` → `sertraline`).
//!   Words are matched after analysis and typo correction, so case, plurals,
//!   possessives and typos do not matter;
//! - the **types**: what it asks about the focus (treatment, causes, symptoms…), as
//!   passage [`Category`]s, from cue words;
//! - the **words** with weights: focus words and the message's subject line weigh
//!   more; greetings, thanks and story ("my mother", "I was wondering") weigh little;
//!   a long message keeps its most telling words only.
//!
//! The text query ([`text_query`](super::text_query)) and the rerank consume it;
//! `--explain` and the JSON response show it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::lexicon::Lexicon;
use super::params::{Params, Ranking};
use super::query::{analyze_words, QueryPlan, TermGroup, Word};
use super::words::{self, is_stop, is_story};
use crate::passage::Category;

/// Most question types kept (besides `overview`): a long message touches on many, and
/// lifting them all would lift nothing in particular.
const MAX_TYPES: usize = 2;

/// Longest focus name tried, in words.
const MAX_FOCUS_WORDS: usize = 6;

/// A one-word focus must be rarer than this share of passages: a word as common as
/// "medicine" or "pain" names no one document, even where a title happens to be it.
const MAX_SINGLE_WORD_FOCUS_SHARE: f64 = 0.03;

/// What the index knows, as question analysis needs it. The search stage answers from
/// the Tantivy index; tests answer from a table.
pub trait Vocabulary {
    /// Whether `key` (an [`crate::analyze::topic_key`]) names a document, whole or in part.
    fn topic(&self, key: &str) -> Option<TopicMatch>;
    /// In how many passages `term` occurs (any text field).
    fn doc_freq(&self, term: &str) -> u64;
    /// Passages in the index.
    fn num_docs(&self) -> u64;
    /// A clearly better indexed term for an unknown word, if there is one.
    fn correct(&self, term: &str, surface: &str) -> Option<String>;
}

/// How a focus names a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TopicMatch {
    /// A whole title or alias.
    Whole,
    /// A part of one (a segment, or the ending of a longer name).
    Part,
}

/// One thing the question is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Focus {
    /// The words of the query, as typed.
    pub text: String,
    /// The topic key searched (see [`crate::analyze::topic_key`]).
    pub key: String,
    /// Whether the key is a whole title or alias, or a part of one.
    pub names: TopicMatch,
    /// The lexicon term it was reached through (`zoloft` → `sertraline`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_synonym: Option<String>,
    /// Whether it stands in the message's subject line (its first sentence).
    pub subject: bool,
    /// How sure the analysis is that the question is about it, 0 to 1: its share of
    /// the question's foci, halved when a word beside it is one the index does not
    /// know (a misspelled longer name, of which it may be only a generic part), when
    /// it is named as the asker's context (`I have …`), or when it stands beside a
    /// drug focus. The focus lifts and the focus words' extra weight are scaled by it.
    #[serde(default = "sure")]
    pub confidence: f32,
}

fn sure() -> f32 {
    1.0
}

/// The role of a query word, which sets its weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Part of a focus.
    Focus,
    /// A content word.
    Content,
    /// Greetings, thanks, family and story: weighs little.
    Story,
    /// Dropped: a stop word, or beyond the words a long message keeps.
    Dropped,
}

/// A query word with its weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightedWord {
    /// The word as typed.
    pub word: String,
    /// The indexed term searched (after a correction, if any).
    pub term: String,
    /// Its role.
    pub role: Role,
    /// Its weight in the text score (0 when dropped).
    pub weight: f32,
    /// Whether it stands in the subject line.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub subject: bool,
    /// The correction, when the typed word is not in the index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected: Option<String>,
}

/// The analysis of one query.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// What the question is about, most telling first.
    pub foci: Vec<Focus>,
    /// What it asks about them, as passage categories.
    pub types: Vec<Category>,
    /// The query words with their roles and weights, in query order.
    pub words: Vec<WeightedWord>,
}

/// Analyzes a parsed query. `text` is the query as typed (for the subject line and
/// the type cues).
pub fn analyze(
    plan: &QueryPlan,
    text: &str,
    vocabulary: &dyn Vocabulary,
    lexicon: &Lexicon,
    ranking: &Ranking,
    params: &Params,
) -> Question {
    let reading = Reading {
        text,
        subject: subject_groups(text),
        corrections: if ranking.typos {
            corrections(plan, vocabulary)
        } else {
            HashMap::new()
        },
        vocabulary,
        lexicon,
        ranking,
        params,
    };
    let foci = if ranking.focus {
        find_foci(&plan.sequence, &reading)
    } else {
        Vec::new()
    };
    let types = if ranking.category {
        question_types(text)
    } else {
        Vec::new()
    };
    let words = weigh_words(plan, &foci, &reading);
    Question { foci, types, words }
}

/// What a question's words are read with: the index's vocabulary and the corrections
/// of misspelled words found in it, the subject line's words, the lexicon, and which
/// techniques are on with their weights.
struct Reading<'a> {
    /// The query as typed.
    text: &'a str,
    subject: Vec<TermGroup>,
    corrections: HashMap<String, String>,
    vocabulary: &'a dyn Vocabulary,
    lexicon: &'a Lexicon,
    ranking: &'a Ranking,
    params: &'a Params,
}

/// The words of the subject line: the first sentence of a message of several (people
/// write a subject, then their story). A one-sentence query has no subject line.
fn subject_groups(text: &str) -> Vec<TermGroup> {
    match subject_and_body(text) {
        Some((subject, _)) => analyze_words(subject)
            .into_iter()
            .map(|w| w.group)
            .collect(),
        None => Vec::new(),
    }
}

/// Shortest rest of a message, in bytes, for its first sentence to be a subject line:
/// below it, "What is warfarin? Thanks." is one question, not a subject and a body.
const MIN_BODY_BYTES: usize = 21;

/// A message's subject line (its first sentence) and the rest, when it has both (the
/// rest at least [`MIN_BODY_BYTES`] long), as question analysis reads a subject line.
pub(crate) fn subject_and_body(text: &str) -> Option<(&str, &str)> {
    let end = text.find(['.', '?', '!', '\n'])?;
    let (subject, body) = (text[..end].trim(), text[end + 1..].trim());
    (body.len() >= MIN_BODY_BYTES && !subject.is_empty()).then_some((subject, body))
}

/// Corrections for the words no indexed field knows, keyed by the analyzed word.
fn corrections(plan: &QueryPlan, vocabulary: &dyn Vocabulary) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for word in &plan.words {
        if let TermGroup::Single(term) = &word.group {
            if is_stop(&word.surface) || vocabulary.doc_freq(term) > 0 {
                continue;
            }
            if let Some(fixed) = vocabulary.correct(term, &word.surface) {
                out.insert(term.clone(), fixed);
            }
        }
    }
    out
}

/// The foci: longest runs of words that name a document, left to right.
fn find_foci(words: &[Word], reading: &Reading) -> Vec<Focus> {
    let Reading {
        corrections,
        subject,
        vocabulary,
        lexicon,
        ranking,
        ..
    } = reading;
    let terms: Vec<String> = words
        .iter()
        .map(|w| {
            let t = w.group.primary();
            corrections.get(t).cloned().unwrap_or_else(|| t.to_string())
        })
        .collect();
    let synonyms = lexicon_topics(words, lexicon, *vocabulary, ranking);
    let mut foci: Vec<Focus> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let found = (1..=MAX_FOCUS_WORDS.min(words.len() - i))
            .rev()
            .find_map(|n| focus_at(&words[i..i + n], &terms[i..i + n], *vocabulary, &synonyms));
        match found {
            Some((n, mut focus)) => {
                focus.subject = words[i..i + n].iter().all(|w| subject.contains(&w.group));
                let beside = [i.checked_sub(1), Some(i + n)];
                if beside
                    .into_iter()
                    .flatten()
                    .filter_map(|j| words.get(j).zip(terms.get(j)))
                    .any(|(w, t)| is_unknown(w, t, *vocabulary))
                {
                    focus.confidence *= 0.5;
                }
                if !foci.iter().any(|f| f.key == focus.key) {
                    foci.push(focus);
                }
                i += n;
            }
            None => i += 1,
        }
    }
    // A condition named as the asker's context ("I have diabetes and …"), or beside a
    // drug that is a focus too, is what is asked about less surely than the rest.
    let is_drug_focus = |focus: &Focus| {
        reading.ranking.drugs
            && focus
                .text
                .split(' ')
                .any(|w| super::lexicon::is_drug(&w.to_lowercase()))
    };
    let drug_foci: Vec<bool> = foci.iter().map(is_drug_focus).collect();
    let names_drug = drug_foci.contains(&true);
    for (focus, drug) in foci.iter_mut().zip(drug_foci) {
        if (names_drug && !drug) || is_context(reading.text, &focus.text) {
            focus.confidence *= 0.5;
        }
    }
    // Several foci share the certainty of one: the question is about one of them.
    let share = 1.0 / foci.len().max(1) as f32;
    for focus in &mut foci {
        focus.confidence *= share;
    }
    // Most telling first: named in the subject line, a whole name, a longer name.
    foci.sort_by_key(|f| {
        (
            !f.subject,
            f.names != TopicMatch::Whole,
            std::cmp::Reverse(f.key.split(' ').count()),
        )
    });
    foci
}

/// The focus that `words` (with their analyzed `terms`) name, if any.
fn focus_at(
    words: &[Word],
    terms: &[String],
    vocabulary: &dyn Vocabulary,
    synonyms: &HashMap<String, (String, String)>,
) -> Option<(usize, Focus)> {
    if is_stop(&words[0].surface) {
        return None;
    }
    // A single stop word, story word, number or common word names nothing, even
    // when a title happens to ("Medicines", "X").
    if words.len() == 1 {
        let surface = &words[0].surface;
        let common = vocabulary.doc_freq(&terms[0]) as f64
            > MAX_SINGLE_WORD_FOCUS_SHARE * vocabulary.num_docs() as f64;
        if is_stop(surface) || is_story(surface) || surface.chars().count() < 3 || common {
            return None;
        }
        if !has_letters(&terms[0]) {
            return None;
        }
    }
    // "side effects" or "treatment" ask what, not about what, even where a document
    // has them as a title or alias.
    if words.len() <= 2 {
        let text: Vec<&str> = words.iter().map(|w| w.surface.as_str()).collect();
        if question_types(&text.join(" "))
            .iter()
            .any(|t| *t != Category::Overview)
        {
            return None;
        }
    }
    let key = terms.join(" ");
    let text = || {
        words
            .iter()
            .map(|w| w.surface.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let abbreviation = match words {
        [word] => crate::analyze::abbreviation_key(&word.surface, true),
        _ => None,
    };
    let found = abbreviation
        .and_then(|abbr| vocabulary.topic(&abbr).map(|names| (abbr, names)))
        .or_else(|| vocabulary.topic(&key).map(|names| (key.clone(), names)));
    let via_lexicon = || {
        let (synonym_key, synonym) = synonyms.get(&key)?;
        let names = vocabulary.topic(synonym_key)?;
        Some(Focus {
            text: text(),
            key: synonym_key.clone(),
            names,
            via_synonym: Some(synonym.clone()),
            subject: false,
            confidence: 1.0,
        })
    };
    let focus = match found {
        Some((key, names)) => {
            // A part of longer names ("arterial hypertension" of "Pulmonary arterial
            // hypertension") gives way to an equivalent that is a whole name ("high
            // blood pressure"): the words name that document, not those they are a
            // part of.
            let whole_equivalent = (names == TopicMatch::Part)
                .then(via_lexicon)
                .flatten()
                .filter(|f| f.names == TopicMatch::Whole);
            whole_equivalent.unwrap_or_else(|| Focus {
                text: text(),
                key,
                names,
                via_synonym: None,
                subject: false,
                confidence: 1.0,
            })
        }
        None => via_lexicon()?,
    };
    Some((words.len(), focus))
}

/// Whether the focus `focus` (as typed) stands in `text` right after a context cue,
/// in a message that asks something more (another sentence or clause follows).
fn is_context(text: &str, focus: &str) -> bool {
    let lower = text.to_lowercase();
    let focus = focus.to_lowercase();
    let Some(at) = lower.find(&focus) else {
        return false;
    };
    let before = lower[..at].trim_end();
    let after = lower[at + focus.len()..].trim();
    let cued = words::context_cues().iter().any(|cue| {
        before
            .strip_suffix(cue)
            .is_some_and(|rest| rest.is_empty() || rest.ends_with(|c: char| !c.is_alphanumeric()))
    });
    cued && after.split_whitespace().count() >= 3
}

/// Whether a query word is one the index does not know (after correction: `terms`
/// holds corrected terms), and is not a stop word.
fn is_unknown(word: &Word, term: &str, vocabulary: &dyn Vocabulary) -> bool {
    !is_stop(&word.surface) && has_letters(term) && vocabulary.doc_freq(term) == 0
}

fn has_letters(term: &str) -> bool {
    term.chars().any(char::is_alphabetic)
}

/// Query word runs (as topic keys) whose lexicon equivalent names a document: key →
/// (the equivalent's topic key, the equivalent as the lexicon writes it).
fn lexicon_topics(
    words: &[Word],
    lexicon: &Lexicon,
    vocabulary: &dyn Vocabulary,
    ranking: &Ranking,
) -> HashMap<String, (String, String)> {
    let groups: Vec<TermGroup> = words.iter().map(|w| w.group.clone()).collect();
    let mut out = HashMap::new();
    for expansion in lexicon.expand_with(words, ranking.synonyms, ranking.drugs) {
        let own: Vec<&str> = groups[expansion.span.clone()]
            .iter()
            .map(TermGroup::primary)
            .collect();
        let own = own.join(" ");
        // The first equivalent that is a whole name, else the first part of one.
        let named = |alt: &super::lexicon::Entry| {
            let key: Vec<&str> = alt.words.iter().map(TermGroup::primary).collect();
            let key = key.join(" ");
            vocabulary
                .topic(&key)
                .map(|names| (names, key, alt.surface.clone()))
        };
        let first = expansion
            .alternatives
            .iter()
            .filter_map(named)
            .min_by_key(|(names, _, _)| *names != TopicMatch::Whole);
        if let Some((_, key, surface)) = first {
            out.entry(own).or_insert((key, surface));
        }
    }
    out
}

/// The question types the text asks, in the order of `lexicon/question-cues.txt`;
/// `overview` when
/// it asks for information in general or names no other type.
pub fn question_types(text: &str) -> Vec<Category> {
    let lower = format!(
        " {} ",
        text.to_lowercase().replace(['?', '.', ',', '!'], " ")
    );
    let lower = lower
        .replace("diagnosed with", "")
        .replace("been diagnosed", "");
    let cues = Cues::get();
    let mut asked = vec![0usize; words::question_cues().types.len()];
    let mut information = false;
    let mut seen = vec![false; cues.owners.len()];
    for found in cues.automaton.find_overlapping_iter(&lower) {
        let at_word_start = !lower[..found.start()]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        let pattern = found.pattern().as_usize();
        if !at_word_start || std::mem::replace(&mut seen[pattern], true) {
            continue;
        }
        for owner in &cues.owners[pattern] {
            match owner {
                Some(category) => asked[*category] += 1,
                None => information = true,
            }
        }
    }
    // Types by how many of their cues the text has (more first), then list order.
    let mut counted: Vec<(usize, Category)> = asked
        .into_iter()
        .zip(
            words::question_cues()
                .types
                .iter()
                .map(|(category, _)| *category),
        )
        .filter(|(n, _)| *n > 0)
        .collect();
    counted.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    let mut types: Vec<Category> = counted
        .into_iter()
        .map(|(_, c)| c)
        .take(MAX_TYPES)
        .collect();
    // General information is one more thing asked, unless the message already asks
    // as many specific things as are kept.
    if types.len() < MAX_TYPES && information {
        types.push(Category::Overview);
    }
    types
}

/// Every cue of `lexicon/question-cues.txt` in one automaton: a question's
/// types are asked for each word or two of a long message, and one pass over the text
/// costs far less than a search for each of some three hundred cues.
struct Cues {
    automaton: aho_corasick::AhoCorasick,
    /// For each distinct cue, the types it asks for (by place in the file; `None`
    /// for information in general).
    owners: Vec<Vec<Option<usize>>>,
}

impl Cues {
    fn get() -> &'static Cues {
        static CUES: std::sync::LazyLock<Cues> = std::sync::LazyLock::new(Cues::build);
        &CUES
    }

    fn build() -> Cues {
        let mut patterns: Vec<&str> = Vec::new();
        let mut owners: Vec<Vec<Option<usize>>> = Vec::new();
        let cues = words::question_cues();
        let typed = cues
            .types
            .iter()
            .enumerate()
            .flat_map(|(i, (_, cues))| cues.iter().map(move |c| (*c, Some(i))));
        let general = cues.information.iter().map(|c| (*c, None));
        for (cue, owner) in typed.chain(general) {
            match patterns.iter().position(|p| *p == cue) {
                Some(at) => owners[at].push(owner),
                None => {
                    patterns.push(cue);
                    owners.push(vec![owner]);
                }
            }
        }
        let automaton = aho_corasick::AhoCorasick::new(&patterns)
            .expect("the bundled cues make a valid automaton");
        Cues { automaton, owners }
    }
}

/// The query words with roles and weights; a long message keeps its `max_words` most
/// telling words (weight times rarity).
fn weigh_words(plan: &QueryPlan, foci: &[Focus], reading: &Reading) -> Vec<WeightedWord> {
    let Reading {
        corrections,
        subject,
        vocabulary,
        ranking,
        params,
        ..
    } = reading;
    let has_content = plan.words.iter().any(|w| !is_stop(&w.surface));
    // Words of a whole title or alias, and drug names, are what the question is
    // about; a part of a title ("kidney problems") may as well be what it asks.
    let focus_terms: Vec<(&str, f32)> = foci
        .iter()
        .filter(|f| f.via_synonym.is_none() && f.names == TopicMatch::Whole)
        .flat_map(|f| f.key.split(' ').map(|t| (t, f.confidence)))
        .collect();
    // A focus word weighs more as surely as its focus is what is asked about; a drug
    // name surely.
    let focus_confidence = |term: &str| {
        focus_terms
            .iter()
            .filter(|(t, _)| *t == term)
            .map(|(_, c)| *c)
            .reduce(f32::max)
    };
    let is_drug = |surface: &str| {
        ranking.drugs && super::lexicon::generic_of(&surface.to_lowercase()).is_some()
    };
    let mut words: Vec<WeightedWord> = plan
        .words
        .iter()
        .map(|w| {
            let term = w.group.primary().to_string();
            let corrected = corrections.get(&term).cloned();
            let searched = corrected.clone().unwrap_or_else(|| term.clone());
            let in_subject = subject.contains(&w.group);
            let role = if ranking.stopwords && has_content && is_stop(&w.surface) {
                Role::Dropped
            } else if !ranking.weights {
                Role::Content
            } else if focus_confidence(&searched).is_some() || is_drug(&w.surface) {
                Role::Focus
            } else if is_story(&w.surface) {
                Role::Story
            } else {
                Role::Content
            };
            let mut weight = match role {
                Role::Dropped => 0.0,
                Role::Focus => {
                    let sure = if is_drug(&w.surface) {
                        1.0
                    } else {
                        focus_confidence(&searched).unwrap_or(1.0)
                    };
                    1.0 + (params.focus_word - 1.0) * sure
                }
                Role::Story => params.story,
                Role::Content => 1.0,
            };
            if ranking.weights && in_subject && role != Role::Dropped {
                weight *= params.subject;
            }
            WeightedWord {
                word: w.surface.clone(),
                term: searched,
                role,
                weight,
                subject: in_subject,
                corrected,
            }
        })
        .collect();
    keep_most_telling(&mut words, *vocabulary, params.max_words);
    words
}

/// Drops all but the `max` words of highest weight times inverse document frequency.
fn keep_most_telling(words: &mut [WeightedWord], vocabulary: &dyn Vocabulary, max: usize) {
    let live = words.iter().filter(|w| w.role != Role::Dropped).count();
    if live <= max {
        return;
    }
    let n = vocabulary.num_docs().max(1) as f32;
    let mut order: Vec<(usize, f32)> = words
        .iter()
        .enumerate()
        .filter(|(_, w)| w.role != Role::Dropped)
        .map(|(i, w)| {
            let df = vocabulary.doc_freq(&w.term) as f32;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            (i, w.weight * idf)
        })
        .collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1));
    for &(i, _) in &order[max..] {
        words[i].role = Role::Dropped;
        words[i].weight = 0.0;
    }
}

impl Question {
    /// The question as the plain ranking reads it: the same words, corrections and
    /// dropped words, every kept word weighing 1, no foci and no types.
    pub fn plain(&self) -> Question {
        let words = self
            .words
            .iter()
            .map(|w| {
                let kept = w.role != Role::Dropped;
                WeightedWord {
                    role: if kept { Role::Content } else { Role::Dropped },
                    weight: if kept { 1.0 } else { 0.0 },
                    ..w.clone()
                }
            })
            .collect();
        Question {
            foci: Vec::new(),
            types: Vec::new(),
            words,
        }
    }

    /// The analysis on one line, for `--explain` in text mode.
    pub fn summary(&self) -> String {
        let foci: Vec<String> = self
            .foci
            .iter()
            .map(|f| match &f.via_synonym {
                Some(s) => format!("{} (= {s})", f.text),
                None => f.text.clone(),
            })
            .collect();
        let types: Vec<&str> = self.types.iter().map(|c| c.as_str()).collect();
        let kept: Vec<String> = self
            .words
            .iter()
            .filter(|w| w.role != Role::Dropped)
            .map(|w| {
                let word = match &w.corrected {
                    Some(c) => format!("{}→{c}", w.word),
                    None => w.word.clone(),
                };
                format!("{word} {:.2}", w.weight)
            })
            .collect();
        format!(
            "focus: {}; asks: {}; words: {}",
            if foci.is_empty() {
                "none".to_string()
            } else {
                foci.join(", ")
            },
            types.join(", "),
            kept.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze;

    /// A vocabulary from a list of titles.
    struct Titles(Vec<&'static str>);

    impl Vocabulary for Titles {
        fn topic(&self, key: &str) -> Option<TopicMatch> {
            for title in &self.0 {
                if analyze::topic_key(title) == key {
                    return Some(TopicMatch::Whole);
                }
                if analyze::topic_part_keys(title).iter().any(|k| k == key) {
                    return Some(TopicMatch::Part);
                }
            }
            None
        }
        fn doc_freq(&self, term: &str) -> u64 {
            if term == "shingl" || term == "treat" {
                10
            } else {
                1
            }
        }
        fn num_docs(&self) -> u64 {
            1000
        }
        fn correct(&self, _term: &str, _surface: &str) -> Option<String> {
            None
        }
    }

    fn ask(text: &str) -> Question {
        let vocabulary = Titles(vec![
            "Shingles",
            "Herpes zoster oticus",
            "age-related macular degeneration",
            "Sertraline",
        ]);
        let lexicon = Lexicon::parse("sertraline, zoloft", std::path::Path::new("x")).unwrap();
        let plan = QueryPlan::parse(text);
        analyze(
            &plan,
            text,
            &vocabulary,
            &lexicon,
            &Ranking::ALL,
            &Params::default(),
        )
    }

    #[test]
    fn a_condition_after_i_have_is_context() {
        let text = "I have diabetes and lately my feet tingle at night";
        assert!(is_context(text, "diabetes"));
        assert!(!is_context("What causes diabetes in children?", "diabetes"));
        assert!(!is_context("I have diabetes", "diabetes"));
        assert!(!is_context(
            "they say chive diabetes helps me a lot",
            "diabetes"
        ));
    }

    #[test]
    fn focus_and_type_of_a_message() {
        let q = ask("my mother has shingles how is it treated");
        assert_eq!(q.foci.len(), 1);
        assert_eq!(q.foci[0].text, "shingles");
        assert_eq!(q.types[0], Category::Treatment);
        let mother = q.words.iter().find(|w| w.word == "mother").unwrap();
        assert_eq!(mother.role, Role::Story);
        let shingles = q.words.iter().find(|w| w.word == "shingles").unwrap();
        assert_eq!(shingles.role, Role::Focus);
        let params = Params::default();
        assert_eq!(mother.weight, params.story);
        assert_eq!(shingles.weight, params.focus_word);
    }

    #[test]
    fn longest_name_wins_and_parts_count() {
        let q = ask("Retina. I wonder about new research on Macular Degeneration please");
        assert_eq!(q.foci[0].names, TopicMatch::Part);
        assert_eq!(q.foci[0].text, "Macular Degeneration");
        assert!(q.types.contains(&Category::Research));
    }

    #[test]
    fn brand_names_reach_the_generic_title() {
        let q = ask("zoloft side effects");
        assert_eq!(q.foci[0].key, analyze::topic_key("sertraline"));
        assert_eq!(q.foci[0].via_synonym.as_deref(), Some("sertraline"));
        assert_eq!(q.types, vec![Category::SideEffects]);
    }

    #[test]
    fn a_part_of_longer_names_gives_way_to_a_whole_equivalent() {
        let vocabulary = Titles(vec![
            "Pulmonary arterial hypertension",
            "High blood pressure",
        ]);
        let ask = |lexicon: &str, text: &str| {
            let lexicon = Lexicon::parse(lexicon, std::path::Path::new("x")).unwrap();
            let plan = QueryPlan::parse(text);
            let params = Params::default();
            analyze(&plan, text, &vocabulary, &lexicon, &Ranking::ALL, &params)
        };
        let equivalent = "high blood pressure, arterial hypertension";
        let q = ask(equivalent, "arterial hypertension");
        assert_eq!(q.foci[0].key, analyze::topic_key("high blood pressure"));
        assert_eq!(q.foci[0].names, TopicMatch::Whole);
        assert_eq!(
            q.foci[0].via_synonym.as_deref(),
            Some("high blood pressure")
        );
        // Without the equivalent, the part is the focus, as before.
        let q = ask("nosebleed, epistaxis", "arterial hypertension");
        assert_eq!(q.foci[0].key, analyze::topic_key("arterial hypertension"));
        assert_eq!(q.foci[0].names, TopicMatch::Part);
        // A whole name typed stays the focus.
        let q = ask(equivalent, "pulmonary arterial hypertension");
        assert_eq!(
            q.foci[0].key,
            analyze::topic_key("pulmonary arterial hypertension")
        );
        assert_eq!(q.foci[0].names, TopicMatch::Whole);
    }

    #[test]
    fn diagnosed_with_is_story_not_a_diagnosis_question() {
        assert_eq!(
            question_types("I was diagnosed with lupus, what is the outlook"),
            vec![Category::Outlook, Category::Overview]
        );
        assert!(question_types("lupus").is_empty());
        assert_eq!(
            question_types("tell me about lupus"),
            vec![Category::Overview]
        );
    }
}
