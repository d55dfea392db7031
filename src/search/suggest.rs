//! Suggestions for a search box's autocomplete list: the titles, headings and words of
//! titles and headings that start with the typed text, the most frequent first.
//!
//! The names are read from the stored passages once per commit of the index (a walk of
//! the document store) into a [`Names`] table; each suggestion is then a scan of that
//! table, with no index work.
//!
//! The same table is the index's list of whole words as written (the index holds only
//! stems): prefix search ([`super::prefix`]) completes a cut word against it where
//! stemming hides the word (`hepatit` is no prefix of the stem `hepat`, but of
//! `hepatitis`), and tells a whole word from a cut one.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// Most suggestions one request may ask for.
pub const MAX_SUGGESTIONS: usize = 50;

/// Longest typed text looked up, in bytes.
pub const MAX_SUGGEST_BYTES: usize = 200;

/// What a suggestion is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SuggestionKind {
    /// A document title.
    Title,
    /// A section heading (a FAQ's question).
    Heading,
    /// A word of a title or heading.
    Term,
}

/// One suggestion. The JSON form (`GET /suggest`) is `{"text", "kind", "count"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The text to offer, as written in the articles.
    pub text: String,
    /// Whether it is a title, a heading or a word.
    pub kind: SuggestionKind,
    /// Passages it names (its frequency).
    pub count: usize,
}

/// The names of an index: each title, heading and word of them, with the passages
/// that carry it.
#[derive(Debug, Default)]
pub struct Names {
    /// Most passages first.
    entries: Vec<Entry>,
    /// The words of titles and headings, lower-cased, in byte order (so the words that
    /// start with a text are one range), each with the passages that carry it.
    words: Vec<(String, usize)>,
}

/// One name of [`Names`].
#[derive(Debug)]
struct Entry {
    /// Lower-cased, to match.
    lower: String,
    /// As written.
    text: String,
    kind: SuggestionKind,
    /// Passages it names.
    count: usize,
}

impl Names {
    /// The table of the titles and heading paths of passages (one pair a passage),
    /// and their words.
    pub fn of(passages: impl Iterator<Item = (String, Vec<String>)>) -> Names {
        let mut counts: HashMap<(String, SuggestionKind), (String, usize)> = HashMap::new();
        let mut add = |text: &str, kind| {
            let text = text.trim();
            if text.is_empty() {
                return;
            }
            let entry = counts
                .entry((text.to_lowercase(), kind))
                .or_insert_with(|| (text.to_string(), 0));
            entry.1 += 1;
        };
        for (title, headings) in passages {
            add(&title, SuggestionKind::Title);
            for heading in &headings {
                add(heading, SuggestionKind::Heading);
            }
            let names = std::iter::once(&title).chain(&headings);
            let mut words: Vec<&str> = names
                .flat_map(|n| n.split(|c: char| !c.is_alphanumeric() && c != '-'))
                .map(|w| w.trim_matches('-'))
                .filter(|w| w.chars().count() >= 3)
                .collect();
            words.sort_unstable();
            words.dedup();
            for word in words {
                add(word, SuggestionKind::Term);
            }
        }
        let mut all_words: Vec<(String, usize)> = counts
            .iter()
            .filter(|((_, kind), _)| *kind == SuggestionKind::Term)
            .map(|((lower, _), (_, count))| (lower.clone(), *count))
            .collect();
        all_words.sort_unstable();
        // A word that is a whole title or heading is offered as that.
        let names: HashSet<String> = counts
            .keys()
            .filter(|(_, kind)| *kind != SuggestionKind::Term)
            .map(|(lower, _)| lower.clone())
            .collect();
        let mut entries: Vec<_> = counts
            .into_iter()
            .filter(|((lower, kind), _)| *kind != SuggestionKind::Term || !names.contains(lower))
            .map(|((lower, kind), (text, count))| Entry {
                lower,
                text,
                kind,
                count,
            })
            .collect();
        entries.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.lower.cmp(&b.lower)));
        Names {
            entries,
            words: all_words,
        }
    }

    /// Whether `word` (lower case) is a word of a title or heading.
    pub fn has_word(&self, word: &str) -> bool {
        self.words
            .binary_search_by(|(w, _)| w.as_str().cmp(word))
            .is_ok()
    }

    /// The words of titles and headings that start with `start` (lower case), with the
    /// passages that carry each, in byte order.
    pub fn words_starting_with<'a>(
        &'a self,
        start: &'a str,
    ) -> impl Iterator<Item = (&'a str, usize)> + 'a {
        let from = self.words.partition_point(|(w, _)| w.as_str() < start);
        self.words[from..]
            .iter()
            .take_while(move |(w, _)| w.starts_with(start))
            .map(|(w, n)| (w.as_str(), *n))
    }

    /// The `limit` most frequent names that start with `typed` (any case), a title or
    /// heading also where one of its words does; names that start with it come first.
    pub fn suggest(&self, typed: &str, limit: usize) -> Vec<Suggestion> {
        let typed = typed.trim().to_lowercase();
        if typed.is_empty() {
            return Vec::new();
        }
        let word_start = format!(" {typed}");
        let mut found: Vec<(bool, &Entry)> = self
            .entries
            .iter()
            .filter_map(|e| {
                if e.lower.starts_with(&typed) {
                    Some((true, e))
                } else if e.kind != SuggestionKind::Term && e.lower.contains(&word_start) {
                    Some((false, e))
                } else {
                    None
                }
            })
            .collect();
        // Stable: equal keys keep the table's order (most frequent first).
        found.sort_by_key(|(starts, _)| !starts);
        let mut seen = HashSet::new();
        found
            .into_iter()
            .filter(|(_, e)| seen.insert(e.lower.as_str()))
            .take(limit)
            .map(|(_, e)| Suggestion {
                text: e.text.clone(),
                kind: e.kind,
                count: e.count,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(title: &str, headings: &[&str]) -> (String, Vec<String>) {
        (
            title.to_string(),
            headings.iter().map(|h| h.to_string()).collect(),
        )
    }

    #[test]
    fn names_that_start_with_the_text_most_frequent_first() {
        let names = Names::of(
            [
                passage("Osteoporosis", &["What is Osteoporosis?"]),
                passage("Osteoporosis", &["Treatment"]),
                passage("Juvenile Osteoporosis", &["Causes"]),
                passage("Osteoarthritis", &["Treatment"]),
            ]
            .into_iter(),
        );
        let got = names.suggest("osteop", 10);
        let texts: Vec<(&str, SuggestionKind)> =
            got.iter().map(|s| (s.text.as_str(), s.kind)).collect();
        assert_eq!(
            texts,
            [
                ("Osteoporosis", SuggestionKind::Title),
                ("Juvenile Osteoporosis", SuggestionKind::Title),
                ("What is Osteoporosis?", SuggestionKind::Heading),
            ]
        );
        assert_eq!(got[0].count, 2);
        assert!(names.suggest("tre", 1)[0].text == "Treatment");
        assert!(names.suggest("  ", 5).is_empty());
    }

    #[test]
    fn whole_words_of_names_in_order() {
        let names = Names::of(
            [
                passage("Hepatitis B", &["What is Hepatitis B?"]),
                passage("Hepatitis", &["Treatment"]),
                passage("Liver disease", &["Hepatic encephalopathy"]),
            ]
            .into_iter(),
        );
        let words: Vec<(&str, usize)> = names.words_starting_with("hepat").collect();
        assert_eq!(words, [("hepatic", 1), ("hepatitis", 2)]);
        assert!(names.has_word("treatment") && names.has_word("hepatitis"));
        assert!(!names.has_word("hepat") && !names.has_word("hepatitis b"));
        assert_eq!(names.words_starting_with("zz").count(), 0);
    }
}
