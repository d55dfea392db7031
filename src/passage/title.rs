//! The title of an article that declares none (no front-matter `title`, no H1, no
//! title line): a readable form of the file name, else the subject the text names
//! most, else its first heading.
//!
//! Generated file names (`003_a3c08815d3bf233e.txt`) are not titles: numbers and
//! hash-like parts are dropped, and only what is left reads as a name.

use crate::reader::Block;

/// A capitalized two-word phrase must occur this often to be the text's subject.
const MIN_SUBJECT_COUNT: usize = 3;

/// Capitalized words that start sentences, never a subject.
const FUNCTION_WORDS: &[&str] = &[
    "a", "an", "and", "as", "at", "but", "by", "for", "from", "how", "if", "in", "is", "it", "its",
    "of", "on", "or", "so", "that", "the", "these", "this", "those", "to", "what", "when", "where",
    "which", "while", "who", "why", "with", "you", "your",
];

/// The title of a file that declares none.
pub fn fallback(rel_path: &str, blocks: &[Block]) -> String {
    readable_file_name(rel_path)
        .or_else(|| subject(blocks))
        .or_else(|| {
            blocks
                .iter()
                .find(|b| b.heading_level().is_some())
                .map(|b| b.text.clone())
        })
        .unwrap_or_else(|| file_stem(rel_path).to_string())
}

fn file_stem(rel_path: &str) -> &str {
    let name = rel_path.rsplit('/').next().unwrap_or(rel_path);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// `amoxicillin-patient_leaflet.txt` → `Amoxicillin patient leaflet`; `None` when
/// nothing but numbers and hash-like parts is left (`003_a3c08815d3bf233e`).
pub fn readable_file_name(rel_path: &str) -> Option<String> {
    let words: Vec<&str> = file_stem(rel_path)
        .split(['_', '-', ' ', '.'])
        .filter(|w| !w.is_empty() && !is_number_or_hash(w))
        .collect();
    if !words
        .iter()
        .any(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
    {
        return None;
    }
    let joined = words.join(" ");
    let mut chars = joined.chars();
    let first = chars.next()?;
    Some(first.to_uppercase().chain(chars).collect())
}

/// Numbers (`003`) and hex digests (`a3c08815d3bf233e`, 8+ hex digits with a digit).
fn is_number_or_hash(word: &str) -> bool {
    let hex = word.chars().all(|c| c.is_ascii_hexdigit());
    word.chars().all(|c| c.is_ascii_digit())
        || (hex && word.len() >= 8 && word.chars().any(|c| c.is_ascii_digit()))
}

/// The capitalized two-word phrase the text uses most (`Vitamin K2`), if it is used
/// at least [`MIN_SUBJECT_COUNT`] times.
fn subject(blocks: &[Block]) -> Option<String> {
    let mut counts: std::collections::HashMap<(&str, &str), usize> = Default::default();
    for block in blocks {
        let words: Vec<&str> = block
            .text
            .split_whitespace()
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
            .collect();
        for pair in words.windows(2) {
            if is_name_word(pair[0]) && is_name_word(pair[1]) {
                *counts.entry((pair[0], pair[1])).or_insert(0) += 1;
            }
        }
    }
    let ((a, b), n) = counts
        .into_iter()
        .max_by(|x, y| x.1.cmp(&y.1).then_with(|| y.0.cmp(&x.0)))?;
    (n >= MIN_SUBJECT_COUNT).then(|| format!("{a} {b}"))
}

fn is_name_word(word: &str) -> bool {
    word.chars().next().is_some_and(|c| c.is_uppercase())
        && !FUNCTION_WORDS.contains(&word.to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::BlockKind;

    #[test]
    fn file_names_read_as_titles_unless_generated() {
        assert_eq!(
            readable_file_name("leaflets/amoxicillin-patient_leaflet.txt").as_deref(),
            Some("Amoxicillin patient leaflet")
        );
        assert_eq!(readable_file_name("003_a3c08815d3bf233e.txt"), None);
        assert_eq!(readable_file_name("12.md"), None);
    }

    #[test]
    fn generated_names_fall_back_to_the_subject() {
        let blocks: Vec<Block> = [
            "Vitamin K2 helps bones.",
            "The Vitamin K2 dose is small.",
            "In Japan Vitamin K2 is eaten as natto.",
        ]
        .iter()
        .map(|t| Block::new(BlockKind::Paragraph, t.to_string(), 0, 1))
        .collect();
        assert_eq!(fallback("003_a3c08815d3bf233e.txt", &blocks), "Vitamin K2");
        assert_eq!(
            fallback("003_a3c08815d3bf233e.txt", &[]),
            "003_a3c08815d3bf233e"
        );
    }
}
