//! The synonym lexicon: groups of equivalent terms (`warfarin, coumadin, jantoven`),
//! expanded at query time, so editing the lexicon needs no re-index.
//!
//! Format (see the header of `lexicon/synonyms.txt`, bundled into the binary): one
//! group per line, terms separated by commas, `#` starts a comment line; a term of
//! several words is matched as a phrase. Terms are run through the index's analyzer, so
//! `blood thinners` in a query matches the `blood thinner` entry. A term listed in two
//! groups is an error naming both lines.

use std::collections::HashMap;
use std::path::Path;

use super::query::{analyze_groups, TermGroup, Word};
use crate::error::{Error, Result};

/// The lexicon bundled with k2search.
pub const BUNDLED: &str = include_str!("../../lexicon/synonyms.txt");

/// Lay and clinical names of conditions (`myocardial infarction, heart attack`),
/// generated from the Human Phenotype Ontology by `lexicon/conditions.py` (see the
/// file's header for source and licence), in the format of [`BUNDLED`].
pub const CONDITIONS: &str = include_str!("../../lexicon/conditions.txt");

/// Brand drug names and their generic names, generated from an open dataset by
/// `lexicon/drugs.py` (see the file's header for source and licence): one
/// `brand<TAB>generic` line per brand, sorted by brand, lower case.
pub const DRUGS: &str = include_str!("../../lexicon/drugs.tsv");

/// Most words of a brand name looked up.
const MAX_BRAND_WORDS: usize = 3;

/// The generic name of a drug name (lower case, words separated by single spaces):
/// a binary search over the lines of the bundled table, found once (a millisecond)
/// on first use.
pub fn generic_of(name: &str) -> Option<&'static str> {
    let lines = drug_lines();
    let at = lines.binary_search_by(|l| drug_key(l).cmp(name)).ok()?;
    drug_line(&lines[at])
        .split_once('\t')
        .map(|(_, generic)| generic)
}

/// Whether `name` (lower case) is a drug: another name of one in the table, or a
/// generic name it maps to.
pub fn is_drug(name: &str) -> bool {
    static GENERICS: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| {
            drug_lines()
                .iter()
                .filter_map(|l| drug_line(l).split_once('\t').map(|(_, generic)| generic))
                .collect()
        });
    generic_of(name).is_some() || GENERICS.contains(name)
}

/// Whether some drug name of the table is `word` or starts with `word` and a space
/// (which sorts right after `word`: a space comes before any other character of a
/// name).
fn begins_drug_name(word: &str) -> bool {
    let lines = drug_lines();
    let at = lines.partition_point(|l| drug_key(l) < word);
    lines.get(at).is_some_and(|l| {
        let key = drug_key(l);
        key == word
            || key
                .strip_prefix(word)
                .is_some_and(|rest| rest.starts_with(' '))
    })
}

/// The (start, end) of each entry line of [`DRUGS`], found once (a millisecond) on
/// first use.
fn drug_lines() -> &'static [(u32, u32)] {
    static LINES: std::sync::LazyLock<Vec<(u32, u32)>> = std::sync::LazyLock::new(|| {
        let mut lines = Vec::with_capacity(50_000);
        let base = header_len();
        let mut start = base;
        for (newline, _) in DRUGS[base..].match_indices('\n') {
            let end = base + newline;
            lines.push((start as u32, end as u32));
            start = end + 1;
        }
        if start < DRUGS.len() {
            lines.push((start as u32, DRUGS.len() as u32));
        }
        lines
    });
    &LINES
}

fn drug_line(&(start, end): &(u32, u32)) -> &'static str {
    &DRUGS[start as usize..end as usize]
}

/// The drug name of an entry line.
fn drug_key(line: &(u32, u32)) -> &'static str {
    let line = drug_line(line);
    line.split_once('\t').map_or(line, |(key, _)| key)
}

/// Bytes of comment lines at the start of [`DRUGS`].
fn header_len() -> usize {
    let mut len = 0;
    for line in DRUGS.split_inclusive('\n') {
        if !line.starts_with('#') {
            break;
        }
        len += line.len();
    }
    len
}

/// One lexicon term: its surface form and its analyzed words.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The term as written in the lexicon.
    pub surface: String,
    /// The analyzed words (one for a single word, several for a phrase).
    pub words: Vec<TermGroup>,
}

/// Parsed synonym groups, indexed by analyzed term sequence.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    groups: Vec<Vec<Entry>>,
    by_words: HashMap<Vec<TermGroup>, usize>,
    longest: usize,
}

/// A lexicon match in a query: which query words, and their equivalents.
#[derive(Debug, Clone, PartialEq)]
pub struct Expansion {
    /// The query words the entry matched (index range into the query's groups).
    pub span: std::ops::Range<usize>,
    /// The user's term as the lexicon writes it.
    pub term: String,
    /// The other terms of its group.
    pub alternatives: Vec<Entry>,
    /// Whether it is a drug's generic name (an exact equivalent, not a loose synonym).
    pub drug: bool,
}

impl Lexicon {
    /// The bundled lexicon: the hand-written groups, then the generated condition
    /// names where they do not repeat a hand-written term.
    pub fn bundled() -> Lexicon {
        // The bundled file is checked by a unit test, so it always parses.
        let mut lexicon =
            Lexicon::parse(BUNDLED, Path::new("lexicon/synonyms.txt")).unwrap_or_default();
        lexicon.add_generated(CONDITIONS);
        lexicon
    }

    /// Adds the groups of a generated file (the format of [`Lexicon::parse`]),
    /// leaving out each term that is already in a group: the groups before win.
    fn add_generated(&mut self, text: &str) {
        let lines = text.lines().map(str::trim);
        for line in lines.filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let mut group: Vec<Entry> = Vec::new();
            for surface in line.split(',').map(str::trim) {
                let words = analyze_groups(surface);
                let taken =
                    self.by_words.contains_key(&words) || group.iter().any(|e| e.words == words);
                if !words.is_empty() && !taken {
                    group.push(Entry {
                        surface: surface.to_string(),
                        words,
                    });
                }
            }
            if group.len() < 2 {
                continue;
            }
            for entry in &group {
                self.by_words.insert(entry.words.clone(), self.groups.len());
                self.longest = self.longest.max(entry.words.len());
            }
            self.groups.push(group);
        }
    }

    /// Reads a lexicon file.
    pub fn load(path: &Path) -> Result<Lexicon> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io("cannot read synonyms file", path, e))?;
        Lexicon::parse(&text, path)
    }

    /// Parses lexicon text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Lexicon> {
        let mut lexicon = Lexicon::default();
        let mut first_line: HashMap<Vec<TermGroup>, usize> = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut group = Vec::new();
            for surface in line.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                let words = analyze_groups(surface);
                if words.is_empty() {
                    continue;
                }
                if let Some(previous) = first_line.insert(words.clone(), i + 1) {
                    return Err(Error::Syntax {
                        path: path.to_path_buf(),
                        line: i + 1,
                        message: format!("term {surface:?} is already in the group on line {previous}; a term may be in one group only"),
                    });
                }
                lexicon.by_words.insert(words.clone(), lexicon.groups.len());
                lexicon.longest = lexicon.longest.max(words.len());
                group.push(Entry {
                    surface: surface.to_string(),
                    words,
                });
            }
            if group.len() > 1 {
                lexicon.groups.push(group);
            } else {
                for entry in &group {
                    lexicon.by_words.remove(&entry.words);
                }
            }
        }
        Ok(lexicon)
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether the lexicon has no groups.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The equivalents of a query's words: lexicon groups (with `synonyms`) and brand
    /// drug names' generic names (with `drugs`), without overlaps.
    pub fn expand_with(&self, words: &[Word], synonyms: bool, drugs: bool) -> Vec<Expansion> {
        let groups: Vec<TermGroup> = words.iter().map(|w| w.group.clone()).collect();
        let mut out = if synonyms {
            self.expand(&groups)
        } else {
            Vec::new()
        };
        if drugs {
            let mut i = 0;
            while i < words.len() {
                if out.iter().any(|e| e.span.contains(&i)) {
                    i += 1;
                    continue;
                }
                match brand_at(&words[i..]) {
                    Some(expansion) => {
                        let len = expansion.span.len();
                        out.push(Expansion {
                            span: i..i + len,
                            ..expansion
                        });
                        i += len;
                    }
                    None => i += 1,
                }
            }
            out.sort_by_key(|e| e.span.start);
        }
        out
    }

    /// The lexicon entries found in a query's words, longest match first, left to
    /// right, without overlaps.
    pub fn expand(&self, words: &[TermGroup]) -> Vec<Expansion> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let found = (1..=self.longest.min(words.len() - i))
                .rev()
                .find_map(|len| self.by_words.get(&words[i..i + len]).map(|&g| (len, g)));
            match found {
                Some((len, g)) => {
                    let group = &self.groups[g];
                    let own = &words[i..i + len];
                    out.push(Expansion {
                        span: i..i + len,
                        term: group
                            .iter()
                            .find(|e| e.words == own)
                            .map_or_else(String::new, |e| e.surface.clone()),
                        alternatives: group.iter().filter(|e| e.words != own).cloned().collect(),
                        drug: false,
                    });
                    i += len;
                }
                None => i += 1,
            }
        }
        out
    }
}

/// The brand name that the words starting `words` spell, longest first, as an
/// expansion to its generic name (span relative to `words`).
fn brand_at(words: &[Word]) -> Option<Expansion> {
    // Drug names start with a letter or digit, never with a stop word.
    let first = &words.first()?.surface;
    if super::words::is_stop(first) || first.len() < 3 {
        return None;
    }
    // Most words begin no drug name: one look-up says so for all the spans they start.
    if !begins_drug_name(&first.to_lowercase()) {
        return None;
    }
    (1..=MAX_BRAND_WORDS.min(words.len())).rev().find_map(|n| {
        let brand: Vec<String> = words[..n]
            .iter()
            .map(|w| w.surface.to_lowercase())
            .collect();
        let brand = brand.join(" ");
        let generic = generic_of(&brand)?;
        Some(Expansion {
            span: 0..n,
            term: brand,
            alternatives: vec![Entry {
                surface: generic.to_string(),
                words: analyze_groups(generic),
            }],
            drug: true,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brands_and_generics_are_drugs() {
        assert!(is_drug("advil") && is_drug("ibuprofen"));
        assert!(!is_drug("arthritis"));
    }

    #[test]
    fn names_that_begin_a_drug_name() {
        assert!(begins_drug_name("tylenol"));
        assert!(!begins_drug_name("headache"));
        let two_words = drug_lines()
            .iter()
            .map(drug_key)
            .find(|k| k.contains(' '))
            .expect("the table has names of two words");
        let first = two_words.split(' ').next().unwrap();
        assert!(begins_drug_name(first), "{two_words}");
    }

    #[test]
    fn drug_table_is_sorted_and_finds_brands() {
        let pairs: Vec<(&str, &str)> = DRUGS[header_len()..]
            .lines()
            .map(|l| l.split_once('\t').unwrap())
            .collect();
        assert!(pairs.len() > 40_000);
        assert!(pairs.windows(2).all(|w| w[0].0 < w[1].0));
        for (name, generic) in pairs.iter().step_by(97) {
            assert_eq!(generic_of(name), Some(*generic), "{name}");
        }
        assert_eq!(generic_of(pairs[0].0), Some(pairs[0].1));
        assert_eq!(
            generic_of(pairs[pairs.len() - 1].0),
            Some(pairs[pairs.len() - 1].1)
        );
        assert_eq!(generic_of("zoloft"), Some("sertraline"));
        assert_eq!(generic_of("advil"), Some("ibuprofen"));
        assert_eq!(generic_of("relief"), None);
    }

    #[test]
    fn bundled_lexicon_parses() {
        let lexicon = Lexicon::parse(BUNDLED, Path::new("lexicon/synonyms.txt")).unwrap();
        assert!(lexicon.len() > 100);
    }

    #[test]
    fn lay_and_clinical_condition_names_reach_each_other() {
        let lexicon = Lexicon::bundled();
        let hand = Lexicon::parse(BUNDLED, Path::new("lexicon/synonyms.txt")).unwrap();
        assert!(lexicon.len() > hand.len() + 1000, "{}", lexicon.len());
        let others = |query: &str| -> Vec<String> {
            let found = lexicon.expand(&analyze_groups(query));
            assert_eq!(found.len(), 1, "{query}: {found:?}");
            found[0]
                .alternatives
                .iter()
                .map(|e| e.surface.clone())
                .collect()
        };
        // Pairs only the generated file holds, both ways.
        for (lay, clinical) in [
            ("loss of bladder control", "urinary incontinence"),
            ("undescended testis", "cryptorchidism"),
            ("tiredness", "fatigue"),
        ] {
            assert!(others(lay).contains(&clinical.to_string()), "{lay}");
            assert!(others(clinical).contains(&lay.to_string()), "{clinical}");
        }
        // Where the hand-written lexicon has the pair, its group answers.
        assert!(others("heart attack").contains(&"myocardial infarction".to_string()));
        // A name both lists hold stays in the hand-written group alone.
        let mut seen = HashMap::new();
        for (g, group) in lexicon.groups.iter().enumerate() {
            for entry in group {
                assert_eq!(
                    seen.insert(entry.words.clone(), g),
                    None,
                    "{}",
                    entry.surface
                );
            }
        }
    }

    #[test]
    fn expands_words_and_phrases() {
        let lex = Lexicon::parse(
            "warfarin, coumadin, jantoven\nanticoagulant, blood thinner\n",
            Path::new("x"),
        )
        .unwrap();
        let words = analyze_groups("Coumadin and blood thinners");
        let found = lex.expand(&words);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].term, "coumadin");
        assert_eq!(found[0].alternatives.len(), 2);
        assert_eq!(found[1].span, 2..4);
        assert_eq!(found[1].alternatives[0].surface, "anticoagulant");
    }

    #[test]
    fn duplicate_terms_are_rejected_with_lines() {
        let err = Lexicon::parse("a1, b1\n# c\nc1, a1\n", Path::new("syn.txt")).unwrap_err();
        assert!(err.to_string().starts_with("syn.txt:3:"), "{err}");
    }
}
