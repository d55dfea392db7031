//! Stage 2 of the pipeline: split one article into section-level passages.
//!
//! A [`Document`] holds the article's title, aliases and metadata and its
//! [`Passage`]s: one per heading section (Markdown headings, or implicit headings in
//! plain text), one per FAQ question (bullets `* **Q: …** A: …`, question headings
//! `### Q1: …` with an `A:` answer, or a front-matter `faqs` list), and one for the
//! text before the first heading. Every passage carries its heading path and the line
//! and byte range it came from, so a hit can cite its source.

pub mod category;
pub mod clean;
pub mod markdown;
pub mod plaintext;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

pub use category::Category;
use markdown::{Block, HeadingMark};

use crate::source::frontmatter::{self, strip_question_marker};
use crate::source::lines::LineIndex;
use crate::source::{SourceFile, Warning};

/// What kind of passage this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The text under one heading.
    Section,
    /// One FAQ question with its answer; the question is the last heading.
    Faq,
    /// The text before the first heading.
    Intro,
}

impl Kind {
    /// The name used in JSON and in the index.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Section => "section",
            Kind::Faq => "faq",
            Kind::Intro => "intro",
        }
    }

    /// Parses the name written by [`Kind::as_str`].
    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Section, Kind::Faq, Kind::Intro]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// One searchable unit of an article, with everything needed to cite it. Its serde
/// form is the wire format of `k2search passages --json` and `k2search export`:
///
/// | field | JSON type | meaning |
/// |---|---|---|
/// | `id` | string | stable passage id |
/// | `path` | string | source file, relative to the corpus root |
/// | `title` | string | document title |
/// | `headings` | array of strings | heading path, outermost first |
/// | `kind` | string | `section`, `faq` or `intro` |
/// | `category` | string | clinical category (`dosage`, `interactions`, …, `overview`) |
/// | `line_start`, `line_end` | integer | 1-based line range in the source file |
/// | `byte_start`, `byte_end` | integer | byte range in the source file |
/// | `text` | string | the passage as plain text |
/// | `aliases` | array of strings | the document's alternate names (possibly empty) |
/// | `metadata` | object of strings | front-matter scalars (possibly empty) |
///
/// Every field is always present, so every line has the same shape (the strict
/// Quickwit and OpenSearch mappings in `deploy/` need that).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    /// Stable identifier: a hash of the path, kind, heading path and occurrence, so it
    /// survives edits elsewhere in the file.
    pub id: String,
    /// Path of the source file relative to the corpus root.
    pub path: String,
    /// The document title.
    pub title: String,
    /// The heading path, outermost first (for a FAQ, the question is last).
    pub headings: Vec<String>,
    /// Section, FAQ or introduction.
    pub kind: Kind,
    /// The clinical section category (dosage, interactions…).
    pub category: Category,
    /// First line in the source file (1-based; a section's heading line).
    pub line_start: usize,
    /// Last line (inclusive).
    pub line_end: usize,
    /// Byte offset of the passage's start in the (decoded) source file.
    pub byte_start: usize,
    /// Byte offset just past its end.
    pub byte_end: usize,
    /// The passage as plain text.
    pub text: String,
    /// The document's alternate names (front matter `synonyms`/`aliases`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The document's front-matter scalar fields other than `title`.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// An article split into passages.
#[derive(Debug, Clone)]
pub struct Document {
    /// Path relative to the corpus root.
    pub path: String,
    /// Title: front matter `title`, else the first H1, else the file name.
    pub title: String,
    /// The passages, in file order.
    pub passages: Vec<Passage>,
}

/// Splits one article into passages; warnings name the file and line.
pub fn split(file: &SourceFile) -> (Document, Vec<Warning>) {
    let text = file.text.as_str();
    let lines = LineIndex::new(text);
    let (fm, issues) = frontmatter::parse(text, &lines);
    let warnings = issues
        .into_iter()
        .map(|issue| Warning {
            path: file.rel_path.clone(),
            line: Some(issue.line),
            message: issue.message,
        })
        .collect();
    let mut marks = markdown::headings(&text[fm.body_start..], fm.body_start);
    if marks.is_empty() {
        marks = plaintext::implicit_headings(text, fm.body_start, &lines);
    }
    let title = fm
        .title
        .clone()
        .or_else(|| marks.iter().find(|m| m.level == 1).map(|m| m.text.clone()))
        .unwrap_or_else(|| file_stem(&file.rel_path));

    let mut builder = Builder {
        file,
        lines: &lines,
        title: &title,
        aliases: &fm.aliases,
        metadata: &fm.metadata,
        passages: Vec::new(),
        seen_ids: HashMap::new(),
    };
    let intro_end = marks.first().map_or(text.len(), |m| m.start);
    let intro = markdown::blocks(&text[fm.body_start..intro_end], fm.body_start);
    builder.section(Kind::Intro, Vec::new(), None, &intro);

    let mut path: Vec<(u8, String)> = Vec::new();
    for (i, mark) in marks.iter().enumerate() {
        while path.last().is_some_and(|(level, _)| *level >= mark.level) {
            path.pop();
        }
        let heading = if mark.level == 1 && mark.text.eq_ignore_ascii_case(&title) {
            None // the H1 that is the title is not part of the section path
        } else {
            Some(mark.text.clone())
        };
        let end = marks.get(i + 1).map_or(text.len(), |m| m.start);
        let blocks = markdown::blocks(&text[mark.end..end], mark.end);
        let headings: Vec<String> = path
            .iter()
            .map(|(_, h)| h.clone())
            .chain(heading.clone())
            .filter(|h| !h.is_empty())
            .collect();
        path.push((mark.level, heading.unwrap_or_default()));
        builder.heading_section(mark, headings, &blocks);
    }
    builder.front_matter_faqs(&fm.faqs);
    let mut passages = builder.passages;
    passages.sort_by_key(|p| (p.line_start, p.byte_start));
    (
        Document {
            path: file.rel_path.clone(),
            title,
            passages,
        },
        warnings,
    )
}

fn file_stem(rel_path: &str) -> String {
    let name = rel_path.rsplit('/').next().unwrap_or(rel_path);
    name.rsplit_once('.')
        .map_or(name, |(stem, _)| stem)
        .to_string()
}

/// Collects the passages of one document.
struct Builder<'a> {
    file: &'a SourceFile,
    lines: &'a LineIndex,
    title: &'a str,
    aliases: &'a [String],
    metadata: &'a BTreeMap<String, String>,
    passages: Vec<Passage>,
    seen_ids: HashMap<String, usize>,
}

impl Builder<'_> {
    /// A heading's section: a FAQ question heading becomes one FAQ passage; otherwise
    /// FAQ bullets in the body become FAQ passages and the rest is the section passage.
    fn heading_section(&mut self, mark: &HeadingMark, mut headings: Vec<String>, blocks: &[Block]) {
        let question = strip_question_marker(&mark.text);
        if question.len() < mark.text.len() && !question.is_empty() {
            if let Some(last) = headings.last_mut() {
                *last = question.to_string();
            }
            let answer: Vec<Block> = blocks
                .iter()
                .enumerate()
                .map(|(i, b)| Block {
                    text: if i == 0 {
                        clean::strip_answer_marker(&b.text).to_string()
                    } else {
                        b.text.clone()
                    },
                    ..b.clone()
                })
                .collect();
            self.section(Kind::Faq, headings, Some(mark), &answer);
            return;
        }
        let (faqs, rest): (Vec<&Block>, Vec<&Block>) = blocks
            .iter()
            .partition(|b| b.list_item && faq_bullet(&b.text).is_some());
        for block in faqs {
            let Some((q, a)) = faq_bullet(&block.text) else {
                continue;
            };
            let mut path = headings.clone();
            path.push(q);
            let answer = Block {
                text: a,
                ..block.clone()
            };
            self.section(Kind::Faq, path, None, std::slice::from_ref(&answer));
        }
        let rest: Vec<Block> = rest.into_iter().cloned().collect();
        self.section(Kind::Section, headings, Some(mark), &rest);
    }

    /// Adds one passage made of `blocks` (skipped when they hold no text).
    fn section(
        &mut self,
        kind: Kind,
        headings: Vec<String>,
        mark: Option<&HeadingMark>,
        blocks: &[Block],
    ) {
        let text = blocks
            .iter()
            .map(|b| b.text.as_str())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else {
            return;
        };
        if text.trim().is_empty() {
            return;
        }
        let byte_start = mark.map_or(first.start, |m| m.start);
        let byte_end = last.end.max(byte_start + 1);
        self.push(kind, headings, text, byte_start, byte_end);
    }

    fn push(
        &mut self,
        kind: Kind,
        headings: Vec<String>,
        text: String,
        byte_start: usize,
        byte_end: usize,
    ) {
        let line_start = self.lines.line_of(byte_start);
        let line_end = self
            .lines
            .line_of(byte_end.saturating_sub(1))
            .max(line_start);
        let id = self.stable_id(kind, &headings);
        let category = Category::classify(kind, &headings, &text);
        self.passages.push(Passage {
            id,
            path: self.file.rel_path.clone(),
            title: self.title.to_string(),
            headings,
            kind,
            category,
            line_start,
            line_end,
            byte_start,
            byte_end,
            text,
            aliases: self.aliases.to_vec(),
            metadata: self.metadata.clone(),
        });
    }

    /// Front-matter FAQs, unless the body has the same question (then the body is cited).
    fn front_matter_faqs(&mut self, faqs: &[frontmatter::FrontMatterFaq]) {
        let in_body: HashSet<String> = self
            .passages
            .iter()
            .filter(|p| p.kind == Kind::Faq)
            .filter_map(|p| p.headings.last().map(|q| normalize_question(q)))
            .collect();
        for faq in faqs {
            if in_body.contains(&normalize_question(&faq.question)) || faq.answer.is_empty() {
                continue;
            }
            let start = self.lines.range(&self.file.text, faq.line_start).start;
            let end = self.lines.range(&self.file.text, faq.line_end).end;
            let headings = vec!["FAQ".to_string(), faq.question.clone()];
            self.push(Kind::Faq, headings, faq.answer.clone(), start, end);
        }
    }

    fn stable_id(&mut self, kind: Kind, headings: &[String]) -> String {
        let key = format!(
            "{}\0{}\0{}",
            self.file.rel_path,
            kind.as_str(),
            headings.join("\0")
        );
        let n = self.seen_ids.entry(key.clone()).or_insert(0);
        *n += 1;
        let hash = blake3::hash(format!("{key}\0{n}").as_bytes());
        hash.to_hex()[..16].to_string()
    }
}

/// `- Q: question? A: answer` → (question, answer).
fn faq_bullet(text: &str) -> Option<(String, String)> {
    let item = text.strip_prefix("- ").unwrap_or(text).trim();
    let question = strip_question_marker(item);
    if question.len() == item.len() {
        return None;
    }
    let at = question.find(" A:").or_else(|| question.find("\nA:"))?;
    let (q, a) = question.split_at(at);
    let answer = clean::strip_answer_marker(a).to_string();
    Some((q.trim().to_string(), answer)).filter(|(q, a)| !q.is_empty() && !a.is_empty())
}

fn normalize_question(q: &str) -> String {
    q.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        let file = SourceFile {
            rel_path: "t.md".into(),
            text: text.into(),
            hash: String::new(),
        };
        split(&file).0
    }

    #[test]
    fn heading_paths_and_lines() {
        let d = doc("# Title\nintro\n## A\nalpha\n### B\nbeta\n## C\ngamma\n");
        let got: Vec<_> = d
            .passages
            .iter()
            .map(|p| (p.headings.join(">"), p.line_start, p.line_end))
            .collect();
        assert_eq!(
            got,
            vec![
                ("".into(), 1, 2),
                ("A".into(), 3, 4),
                ("A>B".into(), 5, 6),
                ("C".into(), 7, 8)
            ]
        );
        assert_eq!(d.title, "Title");
    }

    #[test]
    fn faq_bullets_and_question_headings() {
        let d = doc("## FAQs\n* **Q: Why?** A: Because.\n* **Q: How?** A: So.\n\n### **Q1: When?**\n**A:** Now.\n");
        let faqs: Vec<_> = d
            .passages
            .iter()
            .filter(|p| p.kind == Kind::Faq)
            .map(|p| {
                (
                    p.headings.last().unwrap().clone(),
                    p.text.clone(),
                    p.line_start,
                )
            })
            .collect();
        assert_eq!(
            faqs,
            vec![
                ("Why?".into(), "Because.".into(), 2),
                ("How?".into(), "So.".into(), 3),
                ("When?".into(), "Now.".into(), 5)
            ]
        );
    }

    #[test]
    fn front_matter_faq_duplicated_in_body_is_indexed_once() {
        let d = doc("---\ntitle: T\nfaqs:\n  - q: Why?\n    a: Because.\n  - q: Only here?\n    a: Yes.\n---\n## FAQ\n### Q1: Why?\nA: Because.\n");
        let faqs: Vec<_> = d.passages.iter().filter(|p| p.kind == Kind::Faq).collect();
        assert_eq!(faqs.len(), 2);
        assert_eq!(faqs[0].line_start, 6); // front matter "Only here?"
        assert_eq!(faqs[1].line_start, 10); // body "Why?"
    }

    #[test]
    fn ids_are_stable_and_unique() {
        let a = doc("## A\nx\n## A\ny\n");
        let b = doc("new first line\n\n## A\nx\n## A\ny\n");
        assert_ne!(a.passages[0].id, a.passages[1].id);
        assert_eq!(a.passages[0].id, b.passages[1].id);
    }
}
