//! Passages of bounded size: an over-long passage text is cut into pieces.
//!
//! Every snippet, highlight and embedding of a hit walks the passage's whole text, so
//! a 5 MB line must not become one 5 MB passage. [`MAX_PASSAGE_BYTES`] bounds it: a
//! longer text is cut into pieces of at most that many bytes, each ending at the
//! coarsest boundary that makes it fit: a paragraph break (blank line) first, then a
//! sentence end (Unicode sentence bounds), a word end, a grapheme end, and for one
//! giant grapheme any character boundary (never inside a UTF-8 character). Pieces are
//! filled greedily, as many whole paragraphs (or sentences, or words) as fit, and
//! trimmed of white space. Only the text around each cut is segmented, so cutting
//! costs little next to indexing the text.
//!
//! `Span`s map a piece back to the source file, so each piece cites its own lines.
//!
//! ```
//! use k2search::passage::cap::cut;
//!
//! let text = "First paragraph. It has two sentences.\n\nSecond one.";
//! let pieces: Vec<&str> = cut(text, 24).into_iter().map(|r| &text[r]).collect();
//! assert_eq!(pieces, ["First paragraph.", "It has two sentences.", "Second one."]);
//! ```

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

/// The longest passage text, in bytes of UTF-8: 64 KiB, some 10,000 words of English.
/// Real sections stay whole: the longest of MedQuAD's 16,369 passages is 27 KB.
pub const MAX_PASSAGE_BYTES: usize = 64 * 1024;

/// The longest UTF-8 character: a cut of fewer bytes could not make progress.
const MAX_CHAR_BYTES: usize = 4;

/// Text past a piece's end that is looked at, so that a boundary there is a real one
/// (a sentence does not end at `etc.` followed by a lower-case word).
const LOOKAHEAD_BYTES: usize = 256;

/// Only the last this-many bytes before a piece's end are searched for a sentence
/// end: Unicode sentence segmentation is the costly step, and a sentence is shorter.
const SENTENCE_SEARCH_BYTES: usize = 8 * 1024;

/// Cuts `text` into pieces of at most `max` bytes (at least 4, one character): byte
/// ranges of `text` in order, trimmed of white space, covering all its other text.
/// A text that fits is one piece.
pub fn cut(text: &str, max: usize) -> Vec<Range<usize>> {
    let max = max.max(MAX_CHAR_BYTES);
    let mut pieces = Vec::new();
    let mut rest = trimmed(text, 0..text.len());
    while rest.len() > max {
        let end = rest.start + piece_len(&text[rest.clone()], max);
        pieces.push(trimmed(text, rest.start..end));
        rest = trimmed(text, end..rest.end);
    }
    if !rest.is_empty() {
        pieces.push(rest);
    }
    pieces
}

/// The length of the piece that `rest` (longer than `max`, starting with text)
/// starts with: up to its last paragraph break within `max` bytes, else its last
/// sentence end, word end, grapheme end, else the last character boundary. Never 0.
fn piece_len(rest: &str, max: usize) -> usize {
    let limit = rest.floor_char_boundary(max);
    let seen = &rest[..rest.floor_char_boundary(limit + LOOKAHEAD_BYTES)];
    let paragraphs = seen.rmatch_indices("\n\n").map(|(i, _)| i);
    let words = seen.split_word_bound_indices().rev().map(|(i, _)| i);
    let graphemes = seen.grapheme_indices(true).rev().map(|(i, _)| i);
    last_within(paragraphs, limit)
        .or_else(|| sentence_end(seen, limit))
        .or_else(|| last_within(words, limit))
        .or_else(|| last_within(graphemes, limit))
        .unwrap_or(limit)
}

/// The first of `bounds` (a backward walk) at or before `limit`, unless it is 0.
fn last_within(mut bounds: impl Iterator<Item = usize>, limit: usize) -> Option<usize> {
    bounds.find(|&b| b <= limit).filter(|&b| b > 0)
}

/// The last sentence end in `seen` at or before `limit` (and after 0), searched for
/// in the [`SENTENCE_SEARCH_BYTES`] before it.
fn sentence_end(seen: &str, limit: usize) -> Option<usize> {
    let from = seen.floor_char_boundary(limit.saturating_sub(SENTENCE_SEARCH_BYTES));
    seen[from..]
        .split_sentence_bound_indices()
        .map(|(i, _)| from + i)
        .skip(1) // where the search starts, not a sentence end
        .take_while(|&b| b <= limit)
        .last()
}

/// `range` without the white space at either end.
fn trimmed(text: &str, range: Range<usize>) -> Range<usize> {
    let slice = &text[range.clone()];
    let start = range.start + (slice.len() - slice.trim_start().len());
    start..start + slice.trim().len()
}

/// Where a stretch of a passage's text (one block's text) came from in the source.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Span {
    /// Byte range in the passage text.
    pub text: Range<usize>,
    /// Byte range in the source file.
    pub source: Range<usize>,
    /// The text is the source slice byte for byte (a plain line with no markup), so an
    /// offset inside it maps exactly; otherwise only to the whole source range.
    pub verbatim: bool,
}

/// The source byte range of `piece` of a passage text whose spans, in text order,
/// are `spans`: exact inside verbatim spans, else from the start of the span the piece
/// starts in to the end of the one it ends in. `None` without spans.
pub(super) fn source_range(spans: &[Span], piece: &Range<usize>) -> Option<Range<usize>> {
    let first = spans
        .get(spans.partition_point(|s| s.text.end <= piece.start))
        .or(spans.last())?;
    let last = &spans[spans
        .partition_point(|s| s.text.start < piece.end)
        .saturating_sub(1)];
    let start = if first.verbatim && piece.start >= first.text.start {
        first.source.start + (piece.start - first.text.start)
    } else {
        first.source.start
    };
    let end = if last.verbatim && piece.end <= last.text.end {
        last.source.start + (piece.end - last.text.start)
    } else {
        last.source.end
    };
    Some(start..end.max(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str, max: usize) -> Vec<&str> {
        cut(text, max).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn a_text_that_fits_is_one_piece() {
        assert_eq!(pieces("Short text.", 64), ["Short text."]);
        assert_eq!(pieces("", 64), Vec::<&str>::new());
    }

    #[test]
    fn paragraphs_are_packed_whole_before_sentences_are_cut() {
        let text = "Para one.\n\nPara two.\n\nPara three is longer. It has two sentences.";
        assert_eq!(
            pieces(text, 24),
            [
                "Para one.\n\nPara two.",
                "Para three is longer.",
                "It has two sentences."
            ]
        );
    }

    #[test]
    fn a_sentence_too_long_alone_is_cut_at_words() {
        assert_eq!(
            pieces("alpha beta gamma delta epsilon", 12),
            ["alpha beta", "gamma delta", "epsilon"]
        );
    }

    #[test]
    fn a_giant_word_is_cut_at_graphemes_never_inside_a_character() {
        let word = "é".repeat(10); // 20 bytes, 2 per character
        assert_eq!(pieces(&word, 5), ["éé", "éé", "éé", "éé", "éé"]);
        let combining = "e\u{301}".repeat(4); // é as e and a combining accent
        assert_eq!(pieces(&combining, 5), ["e\u{301}"; 4]);
        let mixed = "aé💊b".repeat(3); // 1 + 2 + 4 + 1 bytes
        let got = pieces(&mixed, 6);
        assert!(got.iter().all(|p| p.len() <= 6), "{got:?}");
        assert_eq!(got.concat(), mixed);
        // One grapheme longer than the cap: any character boundary will do.
        let zalgo = format!("e{}", "\u{301}".repeat(10));
        let got = pieces(&zalgo, 5);
        assert!(got.iter().all(|p| p.len() <= 5), "{got:?}");
        assert_eq!(got.concat(), zalgo);
    }

    #[test]
    fn a_sentence_end_needs_the_text_after_it() {
        // Cut at "etc. " the text would seem to end a sentence; "three" says it does not.
        assert_eq!(
            pieces("One. Two etc. three", 14),
            ["One.", "Two etc. three"]
        );
        assert_eq!(
            pieces("One. Two etc. Three", 14),
            ["One. Two etc.", "Three"]
        );
    }

    #[test]
    fn every_piece_fits_and_nothing_is_lost() {
        let text = "Word ".repeat(1000) + "\n\n" + &"x".repeat(3000) + ". Done.";
        let got = pieces(&text, 100);
        assert!(got.iter().all(|p| !p.is_empty() && p.len() <= 100));
        let words = |s: &str| s.split_whitespace().collect::<String>();
        assert_eq!(words(&got.join(" ")), words(&text));
    }

    #[test]
    fn a_piece_maps_to_its_source_bytes() {
        let spans = [
            Span {
                text: 0..5,
                source: 10..15,
                verbatim: true,
            },
            Span {
                text: 7..12,
                source: 20..30,
                verbatim: false,
            },
        ];
        assert_eq!(source_range(&spans, &(1..3)), Some(11..13));
        assert_eq!(source_range(&spans, &(2..9)), Some(12..30));
        assert_eq!(source_range(&spans, &(8..10)), Some(20..30));
        assert_eq!(source_range(&[], &(0..1)), None);
    }
}
