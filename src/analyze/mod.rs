//! Stage 3: the one analyzer, used at index and at query time alike.
//!
//! [`analyzer`] is registered on every index under [`ANALYZER`]; the query builder
//! runs query text through the same definition, so a word is always found in the form
//! it was indexed in. Changing what it produces means bumping [`ANALYZER_VERSION`]:
//! indexes record it and ask to be rebuilt when it differs.

pub mod tokenizer;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, RemoveLongFilter, Stemmer, TextAnalyzer, Token, TokenStream,
};

pub use tokenizer::HealthTokenizer;

/// The name the analyzer is registered under on every k2search index.
pub const ANALYZER: &str = "k2_health";

/// Version of the analysis; part of the index's compatibility check.
pub const ANALYZER_VERSION: u32 = 1;

/// Tokens longer than this (in bytes) are dropped: base64 blobs, URLs gone wrong.
const MAX_TOKEN_BYTES: usize = 60;

/// The analyzer: health tokenizer → drop over-long tokens → fold diacritics → English
/// stemming.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(HealthTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Registers the analyzer on an index under [`ANALYZER`].
pub fn register(index: &tantivy::Index) {
    index.tokenizers().register(ANALYZER, analyzer());
}

/// Runs `text` through the analyzer.
pub fn analyze(text: &str) -> Vec<Token> {
    thread_local! {
        // Building the analyzer (the stemmer above all) costs more than analyzing a
        // query or a lexicon term, so each thread keeps one.
        static ANALYZER: std::cell::RefCell<TextAnalyzer> = std::cell::RefCell::new(analyzer());
    }
    ANALYZER.with_borrow_mut(|analyzer| {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().clone());
        }
        out
    })
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
}
