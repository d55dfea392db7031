//! Snippets: the best short fragment of a hit's text, with the query's words marked.
//!
//! A fragment is at most [`SNIPPET_CHARS`] bytes of whole tokens (a text without a
//! match shows its first [`SNIPPET_CHARS`] characters); the one whose matched
//! words weigh most (the earliest on a tie) is kept, as Tantivy's snippet generator
//! does. What differs is the cost: only a window of the text around its first match
//! is analyzed, and only the tokens that start with the first two letters of some
//! query term are stemmed (stemming keeps them). Stemming every word of every window
//! was the largest part of a search's time.

use std::collections::HashMap;
use std::ops::Range;

use tantivy::tokenizer::{TextAnalyzer, TokenStream};

use super::text_query::QueryTerm;
use crate::analyze;

/// Longest fragment, in bytes (in characters for the start of a text without a match).
pub const SNIPPET_CHARS: usize = 240;
/// Bytes of passage text analyzed for the snippet.
const WINDOW: usize = 480;
/// Bytes of text kept before the first match in the window.
const LEAD: usize = 120;

/// A hit's snippet.
#[derive(Debug, Clone, PartialEq)]
pub struct Snippet {
    /// The fragment, plain text.
    pub text: String,
    /// Byte ranges of the marked words in `text`, in order, not overlapping.
    pub highlights: Vec<[usize; 2]>,
    /// The fragment as HTML, the marked words in `<mark>`.
    pub html: String,
}

/// Makes the snippets of one query's hits.
pub struct Snippets {
    /// Each term the query searched, with its weight.
    terms: HashMap<String, f32>,
    /// The first two letters a token must have to stem to one of the terms.
    initials: Vec<[char; 2]>,
    /// The terms' first three characters, to find where a window starts.
    prefixes: Vec<String>,
}

impl Snippets {
    /// Snippets for the terms a query searched (a phrase's or a synonym's words one by
    /// one); terms of two letters or fewer are not marked.
    pub fn new(terms: &[QueryTerm]) -> Snippets {
        let mut weights: HashMap<String, f32> = HashMap::new();
        for term in terms {
            for word in term.term.split_whitespace().filter(|w| w.len() >= 3) {
                let weight = weights.entry(word.to_string()).or_insert(0.0);
                *weight = weight.max(term.weight.max(f32::MIN_POSITIVE));
            }
        }
        let mut initials: Vec<[char; 2]> = weights.keys().flat_map(|t| may_stem_to(t)).collect();
        initials.sort_unstable();
        initials.dedup();
        let mut prefixes: Vec<String> = weights
            .keys()
            .map(|t| t.chars().take(3).collect())
            .collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        Snippets {
            terms: weights,
            initials,
            prefixes,
        }
    }

    /// The snippet of `text`: its best fragment, or its start when no query word is
    /// in it.
    pub fn make(&self, text: &str) -> Snippet {
        let window = window(text, &self.prefixes);
        let offset = window.start;
        let tokens = self.tokens(&text[window]);
        match best_fragment(&tokens, SNIPPET_CHARS) {
            Some((range, marks)) => {
                let (start, end) = (offset + range.start, offset + range.end);
                let highlights = marks
                    .into_iter()
                    .map(|m| [m.start + offset - start, m.end + offset - start])
                    .collect::<Vec<_>>();
                let fragment = &text[start..end];
                Snippet {
                    html: marked_html(fragment, &highlights),
                    text: fragment.to_string(),
                    highlights,
                }
            }
            None => {
                let head = head_chars(text, SNIPPET_CHARS);
                Snippet {
                    text: head.to_string(),
                    highlights: Vec::new(),
                    html: html_escape(head),
                }
            }
        }
    }

    /// The tokens of `window` with their weight: the term's they stem to, or 0.
    fn tokens(&self, window: &str) -> Vec<(Range<usize>, f32)> {
        thread_local! {
            static WORDS: std::cell::RefCell<TextAnalyzer> =
                std::cell::RefCell::new(analyze::unstemmed_analyzer());
        }
        WORDS.with_borrow_mut(|words| {
            let mut stream = words.token_stream(window);
            let mut out = Vec::new();
            while stream.advance() {
                let token = stream.token();
                let mut chars = token.text.chars();
                let may_match = match (chars.next(), chars.next()) {
                    (Some(a), Some(b)) if token.text.len() >= 3 => {
                        self.initials.binary_search(&[a, b]).is_ok()
                    }
                    _ => false,
                };
                let weight = if may_match {
                    let stemmed = analyze::stem(&token.text);
                    self.terms.get(&stemmed).copied().unwrap_or(0.0)
                } else {
                    0.0
                };
                out.push((token.offset_from..token.offset_to, weight));
            }
            out
        })
    }
}

/// The first two letters of the words that may stem to `term` (see what
/// [`analyze::stem`] keeps of a word).
fn may_stem_to(term: &str) -> Vec<[char; 2]> {
    let mut chars = term.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some('i')) => vec![[a, 'i'], [a, 'y']],
        (Some(a), Some(b)) => vec![[a, b]],
        _ => Vec::new(),
    }
}

/// The part of `text` the snippet is taken from: a window starting a little before the
/// first word that begins with a term's first three letters (terms are stems, so
/// `interact` finds `Interactions`), or the start of the text when no word does.
fn window(text: &str, prefixes: &[String]) -> Range<usize> {
    if text.len() <= WINDOW {
        return 0..text.len();
    }
    let first = text
        .char_indices()
        .filter(|&(i, c)| {
            c.is_alphanumeric()
                && !text[..i]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
        })
        .map(|(i, _)| i)
        .find(|&i| {
            prefixes.iter().any(|t| {
                text.get(i..i + t.len())
                    .is_some_and(|w| w.eq_ignore_ascii_case(t))
            })
        });
    let start = text.floor_char_boundary(first.unwrap_or(0).saturating_sub(LEAD));
    let end = text.floor_char_boundary(start + WINDOW);
    start..end
}

/// The fragment of whole tokens, at most `max` bytes, whose matched tokens weigh most
/// (the earliest on a tie), and its matches; `None` when no token matched. Fragments
/// follow each other: a new one starts at the token that would not fit.
fn best_fragment(
    tokens: &[(Range<usize>, f32)],
    max: usize,
) -> Option<(Range<usize>, Vec<Range<usize>>)> {
    let mut best: Option<(f32, Range<usize>, Vec<Range<usize>>)> = None;
    let mut start = 0;
    let mut end = 0;
    let mut score = 0.0;
    let mut marks: Vec<Range<usize>> = Vec::new();
    let mut close = |score: f32, range: Range<usize>, marks: Vec<Range<usize>>| {
        if score > 0.0 && best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, range, marks));
        }
    };
    for (range, weight) in tokens {
        if range.end - start > max {
            close(score, start..end, std::mem::take(&mut marks));
            (start, score) = (range.start, 0.0);
        }
        end = range.end;
        if *weight > 0.0 {
            score += weight;
            marks.push(range.clone());
        }
    }
    close(score, start..end, marks);
    best.map(|(_, range, marks)| (range, merge(marks)))
}

/// Sorts ranges and merges those that overlap (a compound and its parts).
fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match out.last_mut() {
            Some(last) if range.start < last.end => last.end = last.end.max(range.end),
            _ => out.push(range),
        }
    }
    out
}

/// `fragment` as HTML with the `highlights` in `<mark>`.
fn marked_html(fragment: &str, highlights: &[[usize; 2]]) -> String {
    let mut html = String::with_capacity(fragment.len() + 16 * highlights.len());
    let mut at = 0;
    for &[start, end] in highlights {
        html.push_str(&html_escape(&fragment[at..start]));
        html.push_str("<mark>");
        html.push_str(&html_escape(&fragment[start..end]));
        html.push_str("</mark>");
        at = end;
    }
    html.push_str(&html_escape(&fragment[at..]));
    html
}

/// Escapes text for HTML.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The first `n` characters of `text`.
pub fn head_chars(text: &str, n: usize) -> &str {
    match text.char_indices().nth(n) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::text_query::Via;

    fn terms(words: &[&str]) -> Vec<QueryTerm> {
        words
            .iter()
            .map(|w| QueryTerm {
                word: w.to_string(),
                term: analyze::analyze(w)[0].text.clone(),
                matched: w.to_string(),
                via: Via::Exact,
                weight: 1.0,
            })
            .collect()
    }

    fn marked(snippet: &Snippet) -> Vec<&str> {
        snippet
            .highlights
            .iter()
            .map(|&[s, e]| &snippet.text[s..e])
            .collect()
    }

    #[test]
    fn marks_every_form_of_the_query_words() {
        let snippets = Snippets::new(&terms(&["interaction", "warfarin"]));
        let snippet = snippets.make("Drug Interactions: warfarin interacts with vitamin K.");
        assert_eq!(marked(&snippet), ["Interactions", "warfarin", "interacts"]);
        assert!(snippet
            .html
            .starts_with("Drug <mark>Interactions</mark>: <mark>warfarin</mark>"));
    }

    #[test]
    fn the_fragment_with_the_most_matches_wins() {
        let filler = "nothing to see here at all. ".repeat(12);
        let text = format!("warfarin once. {filler} warfarin and vitamin k2 and warfarin again.");
        let snippets = Snippets::new(&terms(&["warfarin", "vitamin"]));
        let snippet = snippets.make(&text);
        assert!(snippet.text.len() <= SNIPPET_CHARS);
        assert_eq!(snippet.highlights.len(), 3, "{snippet:?}");
    }

    #[test]
    fn no_match_gives_the_start_of_the_text_and_html_is_escaped() {
        let snippets = Snippets::new(&terms(&["warfarin"]));
        let snippet = snippets.make("<b>Vitamin</b> & friends");
        assert!(snippet.highlights.is_empty());
        assert_eq!(snippet.html, "&lt;b&gt;Vitamin&lt;/b&gt; &amp; friends");
        let escaped = snippets.make("x < warfarin & y");
        assert_eq!(escaped.html, "x &lt; <mark>warfarin</mark> &amp; y");
    }

    #[test]
    fn words_whose_stem_changes_their_second_letter_are_marked() {
        let snippets = Snippets::new(&terms(&["dying"]));
        let snippet = snippets.make("Cells die; a dying cell.");
        assert_eq!(snippet.highlights.len(), 2, "{snippet:?}");
    }

    #[test]
    fn a_compound_and_its_parts_make_one_mark() {
        let snippets = Snippets::new(&terms(&["mk7", "menaquinone"]));
        let snippet = snippets.make("Take MK-7 (menaquinone-7) daily.");
        assert_eq!(marked(&snippet), ["MK-7", "menaquinone"]);
    }

    #[test]
    fn a_long_text_is_cut_around_its_first_match() {
        let text = format!(
            "{} the warfarin dose {}",
            "word ".repeat(400),
            "tail ".repeat(400)
        );
        let snippet = Snippets::new(&terms(&["warfarin"])).make(&text);
        assert!(snippet.text.contains("warfarin"));
        assert!(snippet.text.len() <= SNIPPET_CHARS);
    }
}
