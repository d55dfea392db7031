//! English stemming with a per-thread memo of word → stem.
//!
//! Snowball stemming was the largest single cost of indexing (about 30% of the
//! samples of a MedQuAD build), and text repeats the same few thousand words, so each
//! thread remembers the stems it has computed. A word not seen before is stemmed by
//! tantivy's own [`Stemmer`], so the stems are exactly those of the stock filter.
//!
//! The memo lives in a thread-local rather than in the filter: tantivy clones an
//! analyzer for each segment writer, query and snippet, and a memo held by the filter
//! would start empty every time.
//!
//! ```
//! use k2search::analyze::CachedStemmer;
//! use tantivy::tokenizer::{SimpleTokenizer, TextAnalyzer, TokenStream};
//!
//! let mut analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
//!     .filter(CachedStemmer)
//!     .build();
//! let mut stream = analyzer.token_stream("running interactions");
//! let mut stems = Vec::new();
//! while stream.advance() {
//!     stems.push(stream.token().text.clone());
//! }
//! assert_eq!(stems, ["run", "interact"]);
//! ```

use std::cell::RefCell;

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{
    Language, RawTokenizer, Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// Words remembered per thread (the memo is keyed by the word before stemming). The cap
/// sits above the distinct words of a corpus like MedQuAD and keeps a thread's memo to
/// a few MB on any corpus; the words seen first (the frequent ones, by Zipf's law) are
/// the ones kept.
const MAX_REMEMBERED: usize = 65_536;

/// A token filter that stems English words like [`Stemmer`] (Snowball English), with
/// a per-thread memo of the stems already computed.
#[derive(Clone, Copy, Debug, Default)]
pub struct CachedStemmer;

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter { inner: tokenizer }
    }
}

/// A tokenizer followed by [`CachedStemmer`].
#[derive(Clone)]
pub struct CachedStemmerFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CachedStemmerStream {
            tail: self.inner.token_stream(text),
        }
    }
}

/// The token stream of [`CachedStemmerFilter`].
pub struct CachedStemmerStream<S> {
    tail: S,
}

impl<S: TokenStream> TokenStream for CachedStemmerStream<S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        stem_in_place(&mut self.tail.token_mut().text);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo::new());
}

/// Replaces `word` (a lower-cased, folded token) by its stem, through this thread's memo.
pub(crate) fn stem_in_place(word: &mut String) {
    MEMO.with_borrow_mut(|memo| memo.stem_in_place(word));
}

/// The stems one thread has computed, and the stemmer for the others.
struct Memo {
    /// Tantivy's stemmer behind a tokenizer that passes a word through whole.
    stemmer: TextAnalyzer,
    /// Word → its stem, or `None` when the stem is the word itself (most words:
    /// nothing to copy). FxHash: SipHash was a third of the memo's cost, and the
    /// keys are the corpus's own words, not an attacker's.
    stems: FxHashMap<Box<str>, Option<Box<str>>>,
}

impl Memo {
    fn new() -> Memo {
        Memo {
            stemmer: TextAnalyzer::builder(RawTokenizer::default())
                .filter(Stemmer::new(Language::English))
                .build(),
            stems: FxHashMap::default(),
        }
    }

    /// Replaces `word` by its stem, reusing `word`'s buffer.
    fn stem_in_place(&mut self, word: &mut String) {
        if let Some(known) = self.stems.get(word.as_str()) {
            if let Some(stem) = known {
                word.clear();
                word.push_str(stem);
            }
            return;
        }
        let stem = self.stem(word);
        if self.stems.len() < MAX_REMEMBERED {
            let changed = (stem != *word).then(|| stem.as_str().into());
            self.stems.insert(word.as_str().into(), changed);
        }
        *word = stem;
    }

    /// The stem of `word`, computed.
    fn stem(&mut self, word: &str) -> String {
        let mut stream = self.stemmer.token_stream(word);
        if stream.advance() {
            stream.token().text.clone()
        } else {
            word.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    /// Remembered or not, a word gets the stock stemmer's stem.
    #[test]
    fn same_stems_as_the_stock_stemmer() {
        let text = "Interactions running runs generously caffeine's vitamins \
                    μg mk7 2.5 ab d3 interactions running generously";
        let tokenizer = tantivy::tokenizer::WhitespaceTokenizer::default();
        let mut stock = TextAnalyzer::builder(tokenizer.clone())
            .filter(Stemmer::new(Language::English))
            .build();
        let mut cached = TextAnalyzer::builder(tokenizer)
            .filter(CachedStemmer)
            .build();
        for _ in 0..2 {
            assert_eq!(stems(&mut cached, text), stems(&mut stock, text));
        }
    }
}
