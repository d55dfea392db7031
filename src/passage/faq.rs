//! FAQ passages: every way a question and its answer are written, in one place.
//!
//! A question is found in a heading, at the start of a block, or in markup that
//! declares it:
//!
//! | written as | question | answer |
//! |---|---|---|
//! | `### Q1: …?` / `**Q: …?**` alone / plain-text `Q. …?` line | the heading | the section's text, `A:` dropped |
//! | `### What is …?` under a heading such as `FAQ` | the heading | the section's text |
//! | `* **Q: …?** A: …` / `1. **…?** …` (a list item) | bold or marked text | the rest of the item |
//! | `Q: …?` then `A: …` lines / `**…?** …` paragraph | the marked or bold text | the lines after it, up to the next question |
//! | `<details><summary>`, schema.org `Question` microdata | the summary / name | the rest |
//! | front matter `faqs:`, schema.org FAQPage JSON-LD | `q` / `name` | `a` / `text`, cleaned of stray `**`/`A:` |
//!
//! Each question becomes one passage: the question is the last heading, the answer is
//! the text, and the line range runs from the question's line to the answer's last.

use crate::reader::{Block, BlockKind, DeclaredFaq, Join};

/// Headings that name a section of questions and answers (compared lower-cased,
/// letters and digits only, see [`normalize_question`]).
const FAQ_SECTION_NAMES: &[&str] = &[
    "faq",
    "faqs",
    "frequentlyaskedquestions",
    "commonquestions",
    "commonlyaskedquestions",
    "questionsandanswers",
    "qa",
    "questions",
    "patientquestions",
];

/// The longest line, in characters, read as an unmarked question in a FAQ section.
const MAX_QUESTION_CHARS: usize = 200;

/// One question found in a section's body, with its answer blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct FaqEntry {
    /// The question, cleaned of markers.
    pub question: String,
    /// The answer, markers removed from its first block.
    pub answer: Vec<Block>,
    /// Byte offset where the question starts.
    pub start: usize,
}

/// Whether a heading names a FAQ section (`FAQ`, `Frequently Asked Questions`, …).
pub fn is_faq_section(heading: &str) -> bool {
    FAQ_SECTION_NAMES.contains(&normalize_question(heading).as_str())
}

/// The question a heading asks, when its section is one FAQ answer: a marked question
/// (`Q1: …`, `Q. …`, `Question: …`) anywhere, or any question under a FAQ section.
pub fn heading_question(heading: &str, in_faq_section: bool) -> Option<String> {
    if let Some(question) = strip_question_marker(heading) {
        return Some(question.to_string());
    }
    (in_faq_section && heading.trim_end().ends_with('?')).then(|| heading.trim().to_string())
}

/// Splits the body blocks of one section into FAQ entries and the other blocks, in order.
pub fn split_body(blocks: &[Block], in_faq_section: bool) -> (Vec<FaqEntry>, Vec<&Block>) {
    let mut entries: Vec<FaqEntry> = Vec::new();
    let mut rest = Vec::new();
    // The entry still taking answer blocks, if any.
    let mut open = false;
    for block in blocks {
        if let BlockKind::Faq { question } = &block.kind {
            entries.push(FaqEntry {
                question: question.clone(),
                answer: vec![block.clone()],
                start: block.start,
            });
            open = false;
            continue;
        }
        if let Some((question, answer)) = block_question(block, in_faq_section) {
            let answer_block = answer.map(|text| Block {
                text,
                ..block.clone()
            });
            entries.push(FaqEntry {
                question,
                answer: answer_block.into_iter().collect(),
                start: block.start,
            });
            // A list item holds its whole answer; a line's answer runs on.
            open = block.kind != BlockKind::ListItem;
            continue;
        }
        match entries.last_mut() {
            Some(entry) if open => {
                let mut block = block.clone();
                if entry.answer.is_empty() {
                    block.text = strip_answer_marker(&block.text).to_string();
                    block.join = Join::Block;
                }
                if !block.text.is_empty() {
                    entry.answer.push(block);
                }
            }
            _ => rest.push(block),
        }
    }
    // A question nobody answered is text, not a FAQ.
    let (answered, unanswered): (Vec<_>, Vec<_>) =
        entries.into_iter().partition(|e| !e.answer.is_empty());
    if !unanswered.is_empty() {
        rest.extend(
            blocks
                .iter()
                .filter(|b| unanswered.iter().any(|e| e.start == b.start)),
        );
        rest.sort_by_key(|b| b.start);
    }
    (answered, rest)
}

/// The place of the first block that asks a question of its own in a written style
/// (`Q:` line, `**…?**` lead, list item, declared FAQ entry), or the number of blocks:
/// where the answer under a question heading ends.
pub fn next_question(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .position(|b| matches!(b.kind, BlockKind::Faq { .. }) || block_question(b, false).is_some())
        .unwrap_or(blocks.len())
}

/// The question a block starts with, and the answer that follows it in the same block.
fn block_question(block: &Block, in_faq_section: bool) -> Option<(String, Option<String>)> {
    if !matches!(block.kind, BlockKind::Paragraph | BlockKind::ListItem) {
        return None;
    }
    let text = block.text.strip_prefix("- ").unwrap_or(&block.text).trim();
    if let Some(marked) = strip_question_marker(text) {
        let (question, answer) = split_at_answer_marker(marked);
        return Some((question.to_string(), answer.map(str::to_string)));
    }
    if let Some(lead) = block.strong_lead.as_deref() {
        let question = strip_question_marker(lead).unwrap_or(lead).trim();
        if question.ends_with('?') && text.starts_with(lead) {
            let answer = strip_answer_marker(&text[lead.len()..]);
            let answer = Some(answer.to_string()).filter(|a| !a.is_empty());
            return Some((question.to_string(), answer));
        }
    }
    let unmarked = in_faq_section
        && block.kind == BlockKind::Paragraph
        && block.join == Join::Block
        && text.ends_with('?')
        && text.chars().count() <= MAX_QUESTION_CHARS;
    unmarked.then(|| (text.to_string(), None))
}

/// Splits `question? A: answer` at its answer marker.
fn split_at_answer_marker(text: &str) -> (&str, Option<&str>) {
    for marker in [" A:", " A.", " Answer:", "\nA:", "\nA."] {
        if let Some(at) = text.find(marker) {
            let answer = strip_answer_marker(&text[at..]);
            return (text[..at].trim(), Some(answer).filter(|a| !a.is_empty()));
        }
    }
    (text.trim(), None)
}

/// Removes a leading question marker: `Q:`, `Q1:`, `Q.`, `Q1)`, `Question:`,
/// `Question 1:`. `None` when there is none.
pub fn strip_question_marker(q: &str) -> Option<&str> {
    let t = q.trim();
    let rest = ["Question", "question", "Q", "q"]
        .iter()
        .find_map(|m| t.strip_prefix(m))?;
    let rest = rest
        .trim_start_matches(' ')
        .trim_start_matches(|c: char| c.is_ascii_digit());
    match rest.strip_prefix([':', '.', ')']) {
        Some(rest) if rest.starts_with(' ') => Some(rest.trim()).filter(|r| !r.is_empty()),
        _ => None,
    }
}

/// Removes a leading answer marker (`A:`, `A.`, `Answer:`, and emphasis stars around it).
pub fn strip_answer_marker(s: &str) -> &str {
    let t = s.trim_start_matches(|c: char| c == '*' || c.is_whitespace());
    let rest = ["Answer:", "answer:", "A:", "a:", "A. "]
        .iter()
        .find_map(|m| t.strip_prefix(m));
    match rest {
        Some(rest) => rest
            .trim_start_matches(|c: char| c == '*' || c.is_whitespace())
            .trim_end(),
        None => s.trim(),
    }
}

/// Cleans a declared FAQ entry. Some generators leave the answer inside the question
/// (`What is X?**\n**A:** answer`) and a stray `A:**` in front of the answer.
pub fn clean_declared(faq: &DeclaredFaq) -> Option<(String, String)> {
    let (question, answer_in_q) = split_embedded_answer(&faq.question);
    let question = strip_emphasis_markers(question);
    let question = strip_question_marker(&question)
        .unwrap_or(question.trim())
        .to_string();
    let mut answer = strip_answer_marker(&strip_emphasis_markers(&faq.answer)).to_string();
    if answer.is_empty() {
        answer = strip_answer_marker(&strip_emphasis_markers(answer_in_q)).to_string();
    }
    let answer = answer.split_whitespace().collect::<Vec<_>>().join(" ");
    Some((question, answer)).filter(|(q, a)| !q.is_empty() && !a.is_empty())
}

/// Splits `question … A: answer` at the answer marker.
fn split_embedded_answer(q: &str) -> (&str, &str) {
    let bytes = q.as_bytes();
    for (i, _) in q.match_indices("A:") {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        if matches!(before, None | Some(b'*' | b'\n' | b' ' | b'_')) {
            return (&q[..i], &q[i..]);
        }
    }
    (q, "")
}

/// Removes `**` and `__` emphasis markers left as literal text (as in front matter).
fn strip_emphasis_markers(s: &str) -> String {
    s.replace("**", "").replace("__", "").trim().to_string()
}

/// A question reduced to lower-case letters and digits, to find the same question
/// written twice.
pub fn normalize_question(q: &str) -> String {
    q.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(text: &str, lead: Option<&str>, join: Join) -> Block {
        Block {
            join,
            strong_lead: lead.map(str::to_string),
            ..Block::new(BlockKind::Paragraph, text.into(), 0, 1)
        }
    }

    #[test]
    fn markers() {
        assert_eq!(strip_question_marker("Q1: What?"), Some("What?"));
        assert_eq!(strip_question_marker("Q. What?"), Some("What?"));
        assert_eq!(strip_question_marker("Question 2: What?"), Some("What?"));
        assert_eq!(strip_question_marker("Quick: what?"), None);
        assert_eq!(strip_question_marker("Q10 is a coenzyme"), None);
        assert_eq!(strip_answer_marker("A:** 100 mcg"), "100 mcg");
        assert_eq!(strip_answer_marker("**A:** yes"), "yes");
        assert_eq!(strip_answer_marker("A. Twice a day."), "Twice a day.");
        assert_eq!(strip_answer_marker("no marker"), "no marker");
    }

    #[test]
    fn declared_faq_markup_is_cleaned() {
        let faq = DeclaredFaq {
            question: "What is it?**\n**A:** A thing.".into(),
            answer: "A:** A thing.".into(),
            line_start: 3,
            line_end: 6,
        };
        assert_eq!(
            clean_declared(&faq),
            Some(("What is it?".into(), "A thing.".into()))
        );
    }

    #[test]
    fn question_and_answer_lines() {
        let blocks = vec![
            para("Intro.", None, Join::Block),
            para("Q: Can I drink alcohol?", None, Join::Block),
            para("A: Better not.", None, Join::Line),
            para("It makes you dizzy.", None, Join::Block),
            para(
                "Is it safe in pregnancy? Ask first.",
                Some("Is it safe in pregnancy?"),
                Join::Block,
            ),
        ];
        let (faqs, rest) = split_body(&blocks, false);
        let got: Vec<_> = faqs
            .iter()
            .map(|f| {
                let answer: Vec<_> = f.answer.iter().map(|b| b.text.as_str()).collect();
                (f.question.as_str(), answer)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "Can I drink alcohol?",
                    vec!["Better not.", "It makes you dizzy."]
                ),
                ("Is it safe in pregnancy?", vec!["Ask first."]),
            ]
        );
        assert_eq!(rest.len(), 1);
    }

    #[test]
    fn faq_sections_and_question_headings() {
        assert!(is_faq_section("Frequently Asked Questions"));
        assert!(is_faq_section("FAQs"));
        assert!(!is_faq_section("Dosage"));
        assert_eq!(heading_question("What is it?", false), None);
        assert_eq!(
            heading_question("What is it?", true).as_deref(),
            Some("What is it?")
        );
        assert_eq!(heading_question("Q3: Why?", false).as_deref(), Some("Why?"));
    }
}
