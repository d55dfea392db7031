//! Passages of bounded size: an over-long passage text is cut into pieces.
//!
//! Every snippet, highlight and embedding of a hit walks the passage's whole text, so
//! a 5 MB line must not become one 5 MB passage. [`MAX_PASSAGE_BYTES`] bounds it: a
//! longer text is cut into pieces of at most that many bytes, at the coarsest
//! boundary that makes them fit: paragraphs (blank lines) first, then sentences
//! (Unicode sentence bounds), then words, and for one giant word any character
//! boundary (never inside a UTF-8 character). Pieces are packed greedily, as many
//! whole paragraphs (or sentences, or words) as fit, and trimmed of white space.
//!
//! [`Span`]s map a piece back to the source file, so each piece cites its own lines.
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

/// A boundary a text may be cut at, coarsest first.
#[derive(Debug, Clone, Copy)]
enum Boundary {
    Paragraph,
    Sentence,
    Word,
}

impl Boundary {
    /// The boundary to try when a unit of this one is too long alone; `None` below
    /// words (cut at any character).
    fn finer(self) -> Option<Boundary> {
        match self {
            Boundary::Paragraph => Some(Boundary::Sentence),
            Boundary::Sentence => Some(Boundary::Word),
            Boundary::Word => None,
        }
    }

    /// The units of `text` between boundaries of this kind: consecutive slices that
    /// cover it, each keeping its trailing separator.
    fn units(self, text: &str) -> Box<dyn Iterator<Item = &str> + '_> {
        match self {
            Boundary::Paragraph => Box::new(text.split_inclusive("\n\n")),
            Boundary::Sentence => Box::new(text.split_sentence_bounds()),
            Boundary::Word => Box::new(text.split_word_bounds()),
        }
    }
}

/// Cuts `text` into pieces of at most `max` bytes (at least 4, one character): byte
/// ranges of `text` in order, trimmed of white space, covering all its other text.
/// A text that fits is one piece.
pub fn cut(text: &str, max: usize) -> Vec<Range<usize>> {
    let mut pieces = Vec::new();
    cut_at(
        text,
        0..text.len(),
        Some(Boundary::Paragraph),
        max.max(MAX_CHAR_BYTES),
        &mut pieces,
    );
    pieces
}

/// Cuts `range` of `text` at `boundary` (any character when `None`) into `out`;
/// units too long alone are cut at the next finer boundary.
fn cut_at(
    text: &str,
    range: Range<usize>,
    boundary: Option<Boundary>,
    max: usize,
    out: &mut Vec<Range<usize>>,
) {
    let range = trimmed(text, range);
    if range.len() <= max {
        push_trimmed(text, range, out);
        return;
    }
    let Some(boundary) = boundary else {
        cut_chars(text, range, max, out);
        return;
    };
    let mut piece = range.start..range.start;
    let mut at = range.start;
    for unit in boundary.units(&text[range.clone()]) {
        let unit = at..at + unit.len();
        at = unit.end;
        if unit.end - piece.start <= max {
            piece.end = unit.end;
            continue;
        }
        push_trimmed(text, piece, out);
        if unit.len() > max {
            piece = unit.end..unit.end;
            cut_at(text, unit, boundary.finer(), max, out);
        } else {
            piece = unit;
        }
    }
    push_trimmed(text, piece, out);
}

/// Cuts `range` into pieces of at most `max` bytes, each ending on a character
/// boundary.
fn cut_chars(text: &str, range: Range<usize>, max: usize, out: &mut Vec<Range<usize>>) {
    let mut start = range.start;
    while start < range.end {
        let mut end = (start + max).min(range.end);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        push_trimmed(text, start..end, out);
        start = end;
    }
}

fn push_trimmed(text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
    let range = trimmed(text, range);
    if !range.is_empty() {
        out.push(range);
    }
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
    fn a_giant_word_is_cut_at_characters_never_inside_one() {
        let word = "é".repeat(10); // 20 bytes, 2 per character
        let got = pieces(&word, 5);
        assert_eq!(got, ["éé", "éé", "éé", "éé", "éé"]);
        let mixed = "aé💊b".repeat(3); // 1 + 2 + 4 + 1 bytes
        let got = pieces(&mixed, 6);
        assert!(got.iter().all(|p| p.len() <= 6), "{got:?}");
        assert_eq!(got.concat(), mixed);
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
