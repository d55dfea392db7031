//! The one analyzer, shared by stage 4 (index) and stage 5 (search): text becomes
//! terms the same way at index and at query time.
//!
//! [`analyzer`] is registered on every index under [`ANALYZER`]; the query builder
//! runs query text through the same definition, so a word is always found in the form
//! it was indexed in. Changing what it produces means bumping [`ANALYZER_VERSION`]:
//! indexes record it and ask to be rebuilt when it differs.

pub mod stem;
pub mod tokenizer;

use tantivy::tokenizer::{
    AsciiFoldingFilter, RemoveLongFilter, TextAnalyzer, TextAnalyzerBuilder, Token, TokenStream,
    Tokenizer,
};

pub use stem::CachedStemmer;
pub use tokenizer::HealthTokenizer;

/// The name the analyzer is registered under on every k2search index.
pub const ANALYZER: &str = "k2_health";

/// Version of the analysis; part of the index's compatibility check.
pub const ANALYZER_VERSION: u32 = 1;

/// Tokens longer than this (in bytes) are dropped: base64 blobs, URLs gone wrong.
const MAX_TOKEN_BYTES: usize = 60;

/// The analyzer: health tokenizer → drop over-long tokens → fold diacritics → English
/// stemming (Snowball, with a per-thread memo: [`CachedStemmer`]).
pub fn analyzer() -> TextAnalyzer {
    words().filter(CachedStemmer).build()
}

/// The analyzer's steps before stemming.
fn words() -> TextAnalyzerBuilder<impl Tokenizer> {
    TextAnalyzer::builder(HealthTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(AsciiFoldingFilter)
}

/// The analyzer without its last step: tokens as [`analyzer`] gives them, unstemmed.
/// Together with [`stem()`] it is the analyzer, for callers (snippets) that need to stem
/// only some of the tokens.
pub fn unstemmed_analyzer() -> TextAnalyzer {
    words().build()
}

/// Stems one token of [`unstemmed_analyzer`] as [`analyzer`] does. Stemming never
/// lengthens a word and keeps its first letter, and its first two but for `dying`,
/// `lying` and `tying` (to `die`, `lie`, `tie`).
pub fn stem(token: &str) -> String {
    let mut word = token.to_string();
    stem::stem_in_place(&mut word);
    word
}

/// Registers the analyzer on an index under [`ANALYZER`].
pub fn register(index: &tantivy::Index) {
    index.tokenizers().register(ANALYZER, analyzer());
}

thread_local! {
    // Building the analyzer (the stemmer above all) costs more than analyzing a query
    // or a lexicon term, so each thread keeps one.
    static THREAD_ANALYZER: std::cell::RefCell<TextAnalyzer> = std::cell::RefCell::new(analyzer());
}

/// Runs `text` through the analyzer, handing each token to `each` (which must not
/// analyze text itself: the thread's analyzer is in use).
fn for_each_token(text: &str, mut each: impl FnMut(&Token)) {
    THREAD_ANALYZER.with_borrow_mut(|analyzer| {
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            each(stream.token());
        }
    })
}

/// Runs `text` through the analyzer.
pub fn analyze(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for_each_token(text, |token| out.push(token.clone()));
    out
}

/// The key a topic name (a document title or alias, or words of a query) is indexed
/// and looked up under: its analyzed words joined by single spaces, a compound by its
/// joined form (`MK-7 Deficiency` → `mk7 defici`). Case, plurals and possessives fall
/// away in the analysis, so `Shingles`, `shingles'` and `SHINGLES` share one key.
pub fn topic_key(text: &str) -> String {
    let mut key = String::new();
    let mut word_end = 0;
    // Streamed rather than through `analyze`: no copy of each token (indexing computes
    // the keys of every article's names).
    for_each_token(text, |token| {
        // A compound's parts lie inside its joined token: the joined form stands for them.
        if !key.is_empty() && token.offset_from < word_end {
            return;
        }
        word_end = token.offset_to;
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(&token.text);
    });
    key
}

/// The topic key of an abbreviation (`COPD`, `ARM`), or `None` when `name` is not
/// one. An article's name written in capitals is indexed under this key, its
/// capitals, rather than under its analyzed words: an everyday word of a question
/// (`arm`, `sad`, `cord`) must not name the rare disorder it abbreviates. A query
/// word names it typed in capitals, or (`typed`) in lower case when it has no vowel,
/// since no English word does (`hpv`, `ptsd`; typed `copd` is not taken for `COPD`,
/// which plain BM25 still finds).
pub fn abbreviation_key(name: &str, typed: bool) -> Option<String> {
    let name = name.trim();
    let letters = name.chars().filter(char::is_ascii_alphabetic).count();
    let shaped = (2..=6).contains(&name.len())
        && letters >= 2
        && name.chars().all(|c| c.is_ascii_alphanumeric());
    if !shaped {
        return None;
    }
    let capitals = name.chars().all(|c| !c.is_ascii_lowercase());
    let no_vowel = !name
        .chars()
        .any(|c| matches!(c.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u'));
    (capitals || (typed && no_vowel)).then(|| name.to_ascii_uppercase())
}

/// Keys for the parts of a topic name that name the topic on their own: the segments
/// of `Parasites - Scabies` or `macular degeneration, age-related`, and the endings of
/// two words or more of a longer name (`age-related macular degeneration` →
/// `macular degeneration`), since English names end in their head noun.
pub fn topic_part_keys(name: &str) -> Vec<String> {
    topic_keys(name).1
}

/// [`topic_key`] and [`topic_part_keys`] of `name` together, analyzing it once.
pub fn topic_keys(name: &str) -> (String, Vec<String>) {
    let whole = topic_key(name);
    let mut keys = Vec::new();
    let segments = name
        .split([',', ':', '(', ')', ';'])
        .flat_map(|s| s.split(" - "));
    for segment in segments {
        let key = if segment == name {
            whole.clone()
        } else {
            topic_key(segment)
        };
        let words: Vec<&str> = key.split(' ').filter(|w| !w.is_empty()).collect();
        if words.is_empty() {
            continue;
        }
        if key != whole {
            keys.push(key.clone());
        }
        for start in 1..words.len().saturating_sub(1) {
            keys.push(words[start..].join(" "));
        }
    }
    keys.sort();
    keys.dedup();
    keys.retain(|k| *k != whole);
    (whole, keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_stems() {
        let terms: Vec<String> = analyze("Interactions with Café MK-7")
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(terms, vec!["interact", "with", "cafe", "mk7", "mk", "7"]);
    }

    #[test]
    fn unstemmed_tokens_and_stem_make_the_analyzer() {
        let text = "Interactions of β-carotene, MK-7 and 5mg naïve families' crying cells";
        let mut unstemmed = unstemmed_analyzer();
        let mut stream = unstemmed.token_stream(text);
        let mut pieced = Vec::new();
        while stream.advance() {
            let token = stream.token();
            let stemmed = stem(&token.text);
            // The first letter survives stemming: snippets rely on it.
            assert_eq!(
                stemmed.chars().next(),
                token.text.chars().next(),
                "{}",
                token.text
            );
            pieced.push(stemmed);
        }
        let whole: Vec<String> = analyze(text).into_iter().map(|t| t.text).collect();
        assert_eq!(pieced, whole);
    }

    #[test]
    fn topic_keys() {
        assert_eq!(topic_key("MK-7 Deficiency"), topic_key("mk7 deficiencies"));
        assert_eq!(topic_key("Shingles"), topic_key("shingles'"));
        assert_eq!(
            topic_part_keys("age-related macular degeneration"),
            vec![topic_key("macular degeneration")]
        );
        assert!(topic_part_keys("Parasites - Scabies").contains(&topic_key("scabies")));
        assert!(topic_part_keys("Migraine").is_empty());
    }

    #[test]
    fn abbreviations_keep_their_capitals() {
        assert_eq!(abbreviation_key("ARM", false).as_deref(), Some("ARM"));
        assert_eq!(abbreviation_key("arm", true), None);
        assert_eq!(abbreviation_key("hpv", true).as_deref(), Some("HPV"));
        assert_eq!(abbreviation_key("hpv", false), None);
        assert_eq!(abbreviation_key("copd", true), None);
        assert_eq!(abbreviation_key("Shingles", false), None);
        assert_eq!(abbreviation_key("MK-7", false), None);
        assert_eq!(abbreviation_key("A", false), None);
    }
}
