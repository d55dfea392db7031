//! The plain-text reader: implicit headings, then the text between them as blocks.
//!
//! Used only when an article has no Markdown heading at all. Headings are:
//! - the first line, as the title (level 1), when it reads as one: short, no sentence
//!   punctuation, followed by text (`Amoxicillin Patient Leaflet`);
//! - a short line with no sentence-ending punctuation, standing after a finished
//!   sentence (or a blank line) and followed by body text (level 2);
//! - an ALL-CAPS label, alone (`DOSAGE FOR CHILDREN:`) or leading its text on the same
//!   line (`STORAGE: Keep below 25 °C.`) (level 2).
//!
//! Hard-wrapped text (most lines short, few ending a sentence) additionally requires
//! Title Case or a question, so the middle of a wrapped paragraph is never taken for a
//! heading. The text between headings is read as Markdown blocks (paragraph lines,
//! list items), so `Q:`/`A:` lines and list bullets keep their shape.

use super::markdown;
use super::{Block, BlockKind};
use crate::source::lines::LineIndex;

/// The longest line, in characters, that can be an implicit heading.
const MAX_HEADING_CHARS: usize = 100;
/// The most words an implicit heading can have.
const MAX_HEADING_WORDS: usize = 14;
/// Words that end a wrapped sentence fragment, never a heading.
const CONNECTORS: &[&str] = &[
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "is", "of", "on", "or", "the", "to",
    "with", "that", "which", "are", "was",
];
/// Small words ignored when checking for Title Case.
const SMALL_WORDS: &[&str] = &[
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "vs",
    "with", "your", "its", "is",
];

/// The fewest letters an ALL-CAPS label has (`USE:` has three).
const MIN_LABEL_LETTERS: usize = 3;

/// An implicit heading: its level, byte range and text.
#[derive(Debug, Clone, PartialEq)]
struct HeadingMark {
    level: u8,
    start: usize,
    /// Just past the heading: its section's text starts here.
    end: usize,
    text: String,
}

/// The blocks of plain `text` from byte `body_start` on.
pub fn read(text: &str, body_start: usize, lines: &LineIndex) -> Vec<Block> {
    let marks = implicit_headings(text, body_start, lines);
    let mut blocks = Vec::new();
    let mut from = body_start;
    for mark in marks {
        blocks.extend(markdown::read_blocks(&text[from..mark.start], from));
        let end = mark.start + text[mark.start..mark.end].trim_end().len();
        blocks.push(Block::new(
            BlockKind::Heading(mark.level),
            mark.text,
            mark.start,
            end,
        ));
        from = mark.end;
    }
    blocks.extend(markdown::read_blocks(&text[from..], from));
    blocks
}

/// The implicit headings of the text from byte `body_start` on.
fn implicit_headings(text: &str, body_start: usize, lines: &LineIndex) -> Vec<HeadingMark> {
    let first = lines.line_of(body_start);
    let body: Vec<(usize, std::ops::Range<usize>)> = (first..=lines.count())
        .map(|n| (n, lines.range(text, n)))
        .filter(|(_, r)| r.start >= body_start)
        .collect();
    let hard_wrapped = looks_hard_wrapped(text, &body);
    let mut marks = Vec::new();
    let mut prev: Option<&str> = None;
    let mut blank_before = true;
    let mut after_label = false;
    for (i, (_, range)) in body.iter().enumerate() {
        let line = text[range.clone()].trim();
        if line.is_empty() {
            blank_before = true;
            continue;
        }
        let next = body[i + 1..]
            .iter()
            .map(|(_, r)| text[r.clone()].trim())
            .find(|l| !l.is_empty());
        // The line after a label is the label's text, never a heading.
        let after_sentence = !after_label && (blank_before || prev.is_none_or(ends_block));
        after_label = false;
        let line_start =
            range.start + (text[range.clone()].len() - text[range.clone()].trim_start().len());
        if let Some((label, rest)) = caps_label(line) {
            let end = line_start + line.len() - rest.len();
            after_label = rest.is_empty();
            if next.is_some() || !rest.is_empty() {
                let title = prev.is_none() && rest.is_empty() && !line.ends_with(':');
                marks.push(HeadingMark {
                    level: if title && body_start == 0 { 1 } else { 2 },
                    start: line_start,
                    end,
                    text: label.to_string(),
                });
            }
        } else if after_sentence
            && next.is_some()
            && is_heading_shaped(line)
            && (!hard_wrapped || is_title_case(line) || line.ends_with('?'))
        {
            // The first line of a file without front matter, when it reads as a
            // heading, is the title.
            let level = if prev.is_none() && body_start == 0 {
                1
            } else {
                2
            };
            marks.push(HeadingMark {
                level,
                start: line_start,
                end: range.end,
                text: line.to_string(),
            });
        }
        prev = Some(line);
        blank_before = false;
    }
    marks
}

/// Whether a line can stand on its own as a heading.
fn is_heading_shaped(line: &str) -> bool {
    let chars = line.chars().count();
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some(first) = line.chars().next() else {
        return false;
    };
    let last_word = words.last().map(|w| w.to_lowercase()).unwrap_or_default();
    (3..=MAX_HEADING_CHARS).contains(&chars)
        && words.len() <= MAX_HEADING_WORDS
        && (first.is_uppercase() || first.is_ascii_digit())
        && !is_list_item(line)
        && !line.ends_with(['.', ',', ';', ':', '!', '…', ')', '"', '”', '-', '–', '—'])
        && !CONNECTORS.contains(&last_word.as_str())
        && line.chars().filter(|c| c.is_alphabetic()).count() >= 3
}

/// An ALL-CAPS label at the start of `line` (`DOSAGE FOR CHILDREN:` or
/// `STORAGE: Keep below 25 °C.`): the label, without its colon, and the text after it.
fn caps_label(line: &str) -> Option<(&str, &str)> {
    let (label, rest) = match line.split_once(':') {
        Some((label, rest)) => (label.trim(), rest.trim()),
        None => (line, ""),
    };
    let letters = label.chars().filter(|c| c.is_alphabetic()).count();
    let all_caps = label
        .chars()
        .filter(|c| c.is_alphabetic())
        .all(char::is_uppercase);
    let shaped = label.chars().count() <= MAX_HEADING_CHARS
        && label.split_whitespace().count() <= MAX_HEADING_WORDS
        && label.chars().next().is_some_and(char::is_alphabetic)
        && !label.ends_with(['.', ',', ';', '!', '?']);
    (letters >= MIN_LABEL_LETTERS && all_caps && shaped && !is_list_item(label))
        .then_some((label, rest))
}

fn is_list_item(line: &str) -> bool {
    let digits = line.trim_start_matches(|c: char| c.is_ascii_digit());
    line.starts_with(['-', '*', '•', '+', '>', '|', '#'])
        || (digits.len() < line.len() && digits.starts_with(['.', ')']))
}

/// Whether a line finishes what came before it, so that a heading may follow.
fn ends_block(line: &str) -> bool {
    let line = line.trim_end_matches(['"', '”', '’', '\'', ')', '*']);
    line.ends_with(['.', '!', '?', '…', ':']) || is_list_item(line)
}

fn is_title_case(line: &str) -> bool {
    let words: Vec<&str> = line
        .split_whitespace()
        .filter(|w| !SMALL_WORDS.contains(&w.to_lowercase().as_str()))
        .collect();
    let capitalized = words
        .iter()
        .filter(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
        })
        .count();
    !words.is_empty() && capitalized * 10 >= words.len() * 7
}

/// Text is hard-wrapped when most of its lines are short and do not end a sentence.
fn looks_hard_wrapped(text: &str, body: &[(usize, std::ops::Range<usize>)]) -> bool {
    let lines: Vec<&str> = body
        .iter()
        .map(|(_, r)| text[r.clone()].trim())
        .filter(|l| !l.is_empty())
        .collect();
    if lines.len() < 8 {
        return false;
    }
    let open = lines.iter().filter(|l| !ends_block(l)).count();
    open * 2 > lines.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heads(text: &str) -> Vec<String> {
        implicit_headings(text, 0, &LineIndex::new(text))
            .into_iter()
            .map(|m| m.text)
            .collect()
    }

    #[test]
    fn title_line_and_caps_labels() {
        let text = "Amoxicillin Patient Leaflet\nAmoxicillin is an antibiotic.\nDOSAGE FOR CHILDREN:\n25 mg per kg a day\nSTORAGE: Keep below 25 C.\n";
        let marks = implicit_headings(text, 0, &LineIndex::new(text));
        let got: Vec<_> = marks.iter().map(|m| (m.level, m.text.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (1, "Amoxicillin Patient Leaflet"),
                (2, "DOSAGE FOR CHILDREN"),
                (2, "STORAGE")
            ]
        );
        let blocks = read(text, 0, &LineIndex::new(text));
        let last = blocks.last().unwrap();
        assert_eq!(last.text, "Keep below 25 C.");
    }

    #[test]
    fn short_lines_after_sentences_are_headings() {
        let text = "Intro sentence here.\nAids in Blood Clotting\nBody text follows here.\nClotting depends on this fat-soluble vitamin—it’s nature’s repair kit.\nWhich is Better?\nMore body.\n";
        assert_eq!(
            heads(text),
            vec!["Aids in Blood Clotting", "Which is Better?"]
        );
    }

    #[test]
    fn hard_wrapped_paragraphs_are_not_headings() {
        let text = "This is a paragraph that was wrapped\nby an editor at a fixed width so that\nevery line is short and none of them\nends a sentence until the very end.\nThen another sentence starts here and\ncontinues over the next line without\nany punctuation at the end of lines\nso it all looks like short lines.\n";
        assert!(heads(text).is_empty());
    }

    #[test]
    fn last_line_and_list_items_are_not_headings() {
        assert!(heads("Body.\n- Item one\nmore\nTrailing Line").is_empty());
    }
}
