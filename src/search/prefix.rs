//! Prefix search: the word being typed also matches as the start of indexed terms, so
//! a search box finds `warfarin` at `warf` (as Meilisearch and Typesense do).
//!
//! The word being typed is the query's last word when the query ends in it: a space or
//! a question mark after a word says it is complete. Its completions are the indexed
//! terms (stems) that start with the word's analyzed form or with its form before
//! stemming: `osteopor` reaches `osteoporosi` either way, `vitamins` only through its
//! stem `vitamin`, and a cut word that stemming shortens (`nause` → `naus`) still
//! reaches `nausea`. At most [`MAX_COMPLETIONS`], the most frequent first.
//!
//! A word that is already an indexed term of at least [`ENOUGH_PASSAGES`] passages,
//! more than any of its completions, is taken as typed whole and gets no completions:
//! its own passages fill the page, and its completions' postings (each read in every
//! text field, by the analysed and the plain ranking alike) were most of the latency
//! prefix search added (whole-word queries p99 6.0 against 3.2 ms without). A stem
//! that a more common word starts (`die` on the way to `diet`, `trans` to
//! `transplant`) is still completed.
//!
//! The index holds stems, so a cut word can run past the stem of the word it starts:
//! `hepatit` starts `hepatitis`, whose stem is `hepat`. When the word typed is no
//! indexed term, it is also looked up in the whole words of the index's titles and
//! headings ([`Names`]), and the stems of the words it starts are completions too.
//!
//! A cut word that is itself a stem (`pneumon`, the stem of `pneumonitis`, typed on
//! the way to `pneumonia`) weighs its own term as one more completion when stemming
//! left it as typed and its most frequent completion is in [`ON_THE_WAY`] times its
//! passages (pneumonia 219, pneumon 14): Pneumonia comes first. Without those two
//! conditions it also demoted whole words (`cats`, `nuts`, `bar`, `wash` in NFCorpus
//! queries). Otherwise a word keeps its own term's full weight.
//!
//! A completion is scored as if it were as common as the word itself (or, for a cut
//! word or one on its way, as its most frequent completion), times [`Params::prefix`]:
//! a rare completion (`diabetolog`) would otherwise outscore the complete word the
//! user typed (`diabetes`) by its rarity alone.
//!
//! [`Params::prefix`]: super::Params::prefix

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::schema::Field;
use tantivy::{Searcher as TantivySearcher, Term};

use super::query::{QueryPlan, TermGroup};
use super::suggest::Names;
use crate::analyze;

/// Fewest letters typed before a word is completed: two letters complete to too much
/// of the vocabulary to be useful.
pub const MIN_PREFIX_CHARS: usize = 3;

/// Most completions of one word (the most frequent are kept). Each is a term query in
/// four fields, twice (analysed and plain ranking); 8 rank the 30 prefixes of
/// `bench/prefixes.py` and every dev set as 16 did.
pub const MAX_COMPLETIONS: usize = 8;

/// Passages a word's own term must occur in for the word to be taken as complete
/// (no completions), when none of its completions is more common: two pages of hits.
pub const ENOUGH_PASSAGES: u64 = 20;

/// How many times more passages than a word's own term its most frequent completion
/// must have for the word to be taken as on its way to it, when stemming left the
/// word as typed (`pneumon`, the stem of `pneumonitis`, typed toward `pneumonia`, 219
/// passages against 14 in MedQuAD). A word that stemming changed (`nuts`, `candy`) was
/// typed whole. With neither condition (any more frequent completion), whole words
/// ending NFCorpus queries (`cats`, `brazil nuts`, `ALS`) lost their own passages'
/// rank: nDCG@10 0.3120 -> 0.3066; with both, it is unchanged.
pub const ON_THE_WAY: u64 = 10;

/// The word being typed and its completions.
#[derive(Debug, Clone, PartialEq)]
pub struct Completions {
    /// Its place in [`QueryPlan::words`].
    pub word: usize,
    /// Its analyzed term (searched exactly, as always).
    pub term: String,
    /// The passages its term occurs in (0 for a cut word), its most in one field.
    pub freq: u64,
    /// Indexed terms that start with it (the term itself excluded), most frequent
    /// first, each with the number of passages it occurs in.
    pub terms: Vec<(String, u64)>,
    /// Whether the word is more likely on its way to its most frequent completion
    /// than complete ([`ON_THE_WAY`]).
    on_the_way: bool,
}

impl Completions {
    /// Whether the word is more likely on its way to its most frequent completion than
    /// complete ([`ON_THE_WAY`]). Its own term then weighs as one more completion.
    pub fn on_the_way(&self) -> bool {
        self.on_the_way
    }

    /// The weight of a completion (or, [`on_the_way`](Self::on_the_way), of the
    /// word's own term) relative to the word typed: its BM25 rarity brought down to the
    /// reference's (the word's own term, or else the most frequent completion), so
    /// that rarity alone does not lift it above the word typed.
    pub fn rarity_weight(&self, freq: u64, num_docs: u64) -> f32 {
        let reference = if self.freq > 0 && !self.on_the_way() {
            self.freq
        } else {
            self.terms.first().map_or(freq, |t| t.1)
        };
        let (reference, mine) = (idf(reference, num_docs), idf(freq, num_docs));
        if mine <= 0.0 {
            1.0
        } else {
            (reference / mine).min(1.0)
        }
    }
}

/// BM25's inverse document frequency, as Tantivy computes it.
fn idf(doc_freq: u64, num_docs: u64) -> f32 {
    let (n, df) = (num_docs as f32, doc_freq as f32);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// The place in `plan.words` of the word being typed: the query's last word when
/// nothing follows it, it is a loose word (not quoted) and a single term of at least
/// [`MIN_PREFIX_CHARS`] letters.
pub fn typed_word(plan: &QueryPlan, query: &str) -> Option<usize> {
    let last = plan.sequence.last()?;
    if !query.ends_with(last.surface.as_str())
        || last.surface.chars().count() < MIN_PREFIX_CHARS
        || !matches!(last.group, TermGroup::Single(_))
    {
        return None;
    }
    plan.words.iter().rposition(|w| w.group == last.group)
}

/// The starts a completion of `surface` (the typed word) may have: its analyzed term,
/// and its folded form before stemming when that differs.
pub fn starts(surface: &str, term: &str) -> Vec<String> {
    let mut out = vec![term.to_string()];
    let mut unstemmed = analyze::unstemmed_analyzer();
    let mut stream = unstemmed.token_stream(surface);
    if stream.advance() {
        let folded = stream.token().text.clone();
        if folded != term {
            out.push(folded);
        }
    }
    out
}

/// The completions of the word at `word` in `plan` (`None` when it has none, or is a
/// term of [`ENOUGH_PASSAGES`] more common than each of them): the terms of `fields` that start with one of its
/// [`starts`], and when the word is no term, the stems of the whole words of `names`
/// that it starts (read only then: `names` may have to be built); most frequent first
/// (a term's frequency is its most passages in one field).
pub fn complete(
    searcher: &TantivySearcher,
    fields: &[Field],
    plan: &QueryPlan,
    word: usize,
    names: impl FnOnce() -> Option<Arc<Names>>,
) -> Option<Completions> {
    let typed = plan.words.get(word)?;
    let term = typed.group.primary().to_string();
    let own = doc_freq(searcher, fields, &term);
    let starts = starts(&typed.surface, &term);
    let mut freq: HashMap<String, u64> = HashMap::new();
    for start in &starts {
        for &field in fields {
            for (candidate, n) in terms_starting_with(searcher, field, start) {
                if candidate != term {
                    let best = freq.entry(candidate).or_insert(0);
                    *best = (*best).max(n);
                }
            }
        }
    }
    // The names are read only for a word that is no term (`hepatit`, `warf`): a whole
    // word does not pay for building them (a one-shot CLI query on a cut word does,
    // ~0.4 s on MedQuAD; a server builds them once per commit).
    if own == 0 {
        if let Some(names) = names() {
            // The word as written: the unstemmed start (the typed term when stemming
            // left it alone).
            let written = starts.last().map_or(term.as_str(), String::as_str);
            for stem in word_stems(&names, written) {
                if stem != term && !freq.contains_key(&stem) {
                    let n = doc_freq(searcher, fields, &stem);
                    if n > 0 {
                        freq.insert(stem, n);
                    }
                }
            }
        }
    }
    let mut terms: Vec<(String, u64)> = freq.into_iter().collect();
    terms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    terms.truncate(MAX_COMPLETIONS);
    if own >= ENOUGH_PASSAGES && terms.first().is_none_or(|t| t.1 <= own) {
        return None;
    }
    let on_the_way =
        own > 0 && starts.len() == 1 && terms.first().is_some_and(|t| t.1 >= own * ON_THE_WAY);
    (!terms.is_empty()).then_some(Completions {
        word,
        term,
        freq: own,
        terms,
        on_the_way,
    })
}

/// The stems of the [`MAX_COMPLETIONS`] most frequent whole words of `names` that
/// start with `written` (words of one token only: a compound is its parts).
fn word_stems(names: &Names, written: &str) -> Vec<String> {
    let mut words: Vec<(&str, usize)> = names.words_starting_with(written).collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut stems: Vec<String> = Vec::new();
    for (word, _) in words.into_iter().take(MAX_COMPLETIONS) {
        if let [token] = analyze::analyze(word).as_slice() {
            if !stems.contains(&token.text) {
                stems.push(token.text.clone());
            }
        }
    }
    stems
}

/// The passages `term` occurs in: its most in one of `fields`.
fn doc_freq(searcher: &TantivySearcher, fields: &[Field], term: &str) -> u64 {
    fields
        .iter()
        .filter_map(|&f| searcher.doc_freq(&Term::from_field_text(f, term)).ok())
        .max()
        .unwrap_or(0)
}

/// The terms of one field that start with `start`, with the passages each occurs in
/// (summed over segments). Only that range of each term dictionary is read.
pub fn terms_starting_with(
    searcher: &TantivySearcher,
    field: Field,
    start: &str,
) -> HashMap<String, u64> {
    let mut out: HashMap<String, u64> = HashMap::new();
    // A text field's dictionary keys are the terms' UTF-8 bytes.
    let key = start.as_bytes();
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(field) else {
            continue;
        };
        let Ok(mut stream) = inverted.terms().range().ge(key).into_stream() else {
            continue;
        };
        while stream.advance() {
            if !stream.key().starts_with(key) {
                break;
            }
            if let Ok(candidate) = std::str::from_utf8(stream.key()) {
                *out.entry(candidate.to_string()).or_insert(0) +=
                    u64::from(stream.value().doc_freq);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_word_is_typed_when_nothing_follows_it() {
        let at = |q: &str| typed_word(&QueryPlan::parse(q), q);
        assert_eq!(at("warf"), Some(0));
        assert_eq!(at("warfarin interac"), Some(1));
        assert_eq!(at("warfarin interac "), None);
        assert_eq!(at("what is warfarin?"), None);
        assert_eq!(at("vitamin k2"), None, "two letters");
        assert_eq!(at("\"vitamin k2\" warf"), Some(0));
        assert_eq!(at("warf \"vitamin dose\""), None);
        assert_eq!(at("MK-7"), None, "a compound");
        // A repeated word is the one loose word it stands for.
        assert_eq!(at("warfarin dose warfarin"), Some(0));
    }

    #[test]
    fn a_completion_starts_with_the_stem_or_the_word() {
        assert_eq!(starts("osteopor", "osteopor"), vec!["osteopor"]);
        let typed = analyze::analyze("Vitamins")[0].text.clone();
        assert_eq!(starts("Vitamins", &typed), vec!["vitamin", "vitamins"]);
    }

    #[test]
    fn rare_completions_weigh_as_the_word_typed() {
        let mut c = Completions {
            word: 0,
            term: "diabet".into(),
            freq: 500,
            terms: vec![("diabetolog".into(), 2)],
            on_the_way: false,
        };
        let w = c.rarity_weight(2, 10_000);
        assert!(w > 0.0 && w < 0.5, "{w}");
        // A cut word weighs its completions as its most frequent one.
        c.freq = 0;
        assert_eq!(c.rarity_weight(2, 10_000), 1.0);
    }

    #[test]
    fn a_word_on_its_way_weighs_its_own_term_as_a_completion() {
        let c = Completions {
            word: 0,
            term: "pneumon".into(),
            freq: 14,
            terms: vec![("pneumonia".into(), 219)],
            on_the_way: true,
        };
        // Its own term is brought down to the rarity of `pneumonia`; `pneumonia`
        // weighs as itself.
        let own = c.rarity_weight(14, 16_369);
        assert!(own > 0.0 && own < 0.7, "{own}");
        assert_eq!(c.rarity_weight(219, 16_369), 1.0);
    }

    #[test]
    fn whole_words_give_the_stems_they_hide() {
        let names =
            Names::of([("Hepatitis B".to_string(), vec!["Hepatitis".to_string()])].into_iter());
        assert_eq!(word_stems(&names, "hepatit"), vec!["hepat"]);
        assert!(word_stems(&names, "warf").is_empty());
    }
}
