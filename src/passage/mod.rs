//! Stage 3 of the pipeline: build section-level passages from an article's blocks.
//!
//! A [`Document`] holds the article's title, aliases and metadata and its
//! [`Passage`]s: one per heading section, one per FAQ question (every form [`faq`]
//! knows), and one for the text before the first heading. Every passage carries its
//! heading path and the line and byte range it came from, so a hit can cite its source.
//! Passages are built from [`crate::reader`] blocks only: markup is the readers' job.
//! Web boilerplate ([`boilerplate`]) is dropped; the title falls back to the file name
//! or the text's subject ([`title`]) when the file declares none. A passage longer
//! than [`MAX_PASSAGE_BYTES`] is cut into pieces ([`cap`]), each citing its own lines.

pub mod boilerplate;
pub mod cap;
pub mod category;
pub mod faq;
pub mod title;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use serde::{Deserialize, Serialize};

pub use cap::MAX_PASSAGE_BYTES;
pub use category::Category;

use cap::Span;

use crate::reader::{self, Article, Block, DeclaredFaq, Join};
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
/// | `text` | string | the passage as plain text, at most [`MAX_PASSAGE_BYTES`] bytes |
/// | `aliases` | array of strings | the document's alternate names (possibly empty) |
/// | `metadata` | object of strings | front-matter scalars (possibly empty) |
/// | `page_start`, `page_end` | integer | only for a PDF: the 1-based pages the passage is on |
///
/// Every field but the page numbers is always present, so every line has the same
/// shape (the strict Quickwit and OpenSearch mappings in `deploy/` need that; they
/// declare the page numbers optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    /// Stable identifier: a hash of the path, kind, heading path and occurrence, so it
    /// survives edits elsewhere in the file. Pieces of a passage cut at
    /// [`MAX_PASSAGE_BYTES`] add their number to it (the first keeps it).
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
    /// First line in the source file (1-based; a section's heading line, and for
    /// later pieces of a cut section, the line the piece starts in).
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
    /// For a PDF, the page the passage starts on (1-based); absent for other formats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_start: Option<usize>,
    /// For a PDF, the page the passage ends on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_end: Option<usize>,
}

/// An article split into passages.
#[derive(Debug, Clone)]
pub struct Document {
    /// Path relative to the corpus root.
    pub path: String,
    /// Title: front matter `title` (or an HTML page's `<h1>`/`<title>`), else the first
    /// H1 or plain-text title line, else the file name or the text's subject.
    pub title: String,
    /// The passages, in file order.
    pub passages: Vec<Passage>,
}

/// Reads one article and splits it into passages; warnings name the file and line.
pub fn split(file: &SourceFile) -> (Document, Vec<Warning>) {
    let (article, warnings) = reader::read(file);
    (build(file, article), warnings)
}

/// Builds the passages of an article read from `file`, none over
/// [`MAX_PASSAGE_BYTES`].
pub fn build(file: &SourceFile, article: Article) -> Document {
    build_capped(file, article, MAX_PASSAGE_BYTES)
}

/// [`build`], cutting passages longer than `max_bytes`.
fn build_capped(file: &SourceFile, article: Article, max_bytes: usize) -> Document {
    let blocks: Vec<Block> = article
        .blocks
        .into_iter()
        .filter(|b| b.heading_level().is_some() || !boilerplate::is_boilerplate(&b.text))
        .collect();
    let title = article
        .title
        .or_else(|| {
            blocks
                .iter()
                .find(|b| b.heading_level() == Some(1))
                .map(|b| b.text.clone())
        })
        .unwrap_or_else(|| title::fallback(&file.rel_path, &blocks));

    let mut builder = Builder {
        file,
        lines: &article.lines,
        title: &title,
        aliases: &article.aliases,
        metadata: &article.metadata,
        passages: Vec::new(),
        seen_ids: HashMap::new(),
        max_bytes,
    };
    let headings: Vec<usize> = (0..blocks.len())
        .filter(|&i| blocks[i].heading_level().is_some())
        .collect();
    let intro_end = headings.first().copied().unwrap_or(blocks.len());
    builder.body(Kind::Intro, &[], None, &blocks[..intro_end], false);

    let mut path: Vec<(u8, String)> = Vec::new();
    for (n, &i) in headings.iter().enumerate() {
        let mark = &blocks[i];
        let level = mark.heading_level().unwrap_or(2);
        while path.last().is_some_and(|(l, _)| *l >= level) {
            path.pop();
        }
        let heading = if level == 1 && mark.text.eq_ignore_ascii_case(&title) {
            None // the H1 that is the title is not part of the section path
        } else {
            Some(mark.text.clone())
        };
        let end = headings.get(n + 1).copied().unwrap_or(blocks.len());
        let in_faq_section = path.iter().any(|(_, h)| faq::is_faq_section(h));
        let section_path: Vec<String> = path
            .iter()
            .map(|(_, h)| h.clone())
            .chain(heading.clone())
            .filter(|h| !h.is_empty())
            .collect();
        path.push((level, heading.unwrap_or_default()));
        builder.heading_section(mark, section_path, in_faq_section, &blocks[i + 1..end]);
    }
    builder.declared_faqs(&article.declared_faqs);
    let mut passages = builder.passages;
    passages.sort_by_key(|p| (p.line_start, p.byte_start));
    Document {
        path: file.rel_path.clone(),
        title,
        passages,
    }
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
    max_bytes: usize,
}

impl Builder<'_> {
    /// A heading's section: a question heading makes it one FAQ passage, up to the
    /// next question its body writes in another style (`Q:` lines, `1. **…?**`
    /// items), which are FAQ passages of their own; otherwise its body gives FAQ
    /// passages for the questions in it and a section passage for the rest.
    fn heading_section(
        &mut self,
        mark: &Block,
        mut headings: Vec<String>,
        in_faq_section: bool,
        blocks: &[Block],
    ) {
        if let Some(question) = faq::heading_question(&mark.text, in_faq_section) {
            let parent = headings[..headings.len().saturating_sub(1)].to_vec();
            if let Some(last) = headings.last_mut() {
                *last = question;
            }
            let (answer, others) = blocks.split_at(faq::next_question(blocks));
            let first = answer.first().map(|b| Block {
                text: faq::strip_answer_marker(&b.text).to_string(),
                ..b.clone()
            });
            let answer: Vec<&Block> = first.iter().chain(answer.iter().skip(1)).collect();
            self.passage(Kind::Faq, headings, Some(mark.start), &answer);
            self.body(Kind::Section, &parent, None, others, in_faq_section);
            return;
        }
        let faq_section = in_faq_section || faq::is_faq_section(&mark.text);
        self.body(
            Kind::Section,
            &headings,
            Some(mark.start),
            blocks,
            faq_section,
        );
    }

    /// The passages of a section body: its FAQ entries, then the rest as one passage
    /// of `kind` starting at `start` (the heading), or at its first block.
    fn body(
        &mut self,
        kind: Kind,
        headings: &[String],
        start: Option<usize>,
        blocks: &[Block],
        in_faq_section: bool,
    ) {
        let (entries, rest) = faq::split_body(blocks, in_faq_section);
        for entry in entries {
            let mut path = headings.to_vec();
            path.push(entry.question);
            let answer: Vec<&Block> = entry.answer.iter().collect();
            self.passage(Kind::Faq, path, Some(entry.start), &answer);
        }
        self.passage(kind, headings.to_vec(), start, &rest);
    }

    /// Adds one passage made of `blocks` (skipped when they hold no text).
    fn passage(
        &mut self,
        kind: Kind,
        headings: Vec<String>,
        start: Option<usize>,
        blocks: &[&Block],
    ) {
        let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else {
            return;
        };
        let (text, spans) = join_text(blocks, &self.file.text);
        if text.trim().is_empty() {
            return;
        }
        let byte_start = start.unwrap_or(first.start);
        let byte_end = last.end.max(byte_start + 1).min(self.file.text.len());
        self.push(kind, headings, text, byte_start..byte_end, &spans);
    }

    /// Adds the passage of `text` from `bytes` of the file, or, when it is longer than
    /// the cap, its pieces: each cites the bytes its `spans` give (the first from the
    /// passage's start, the last to its end) and shares the passage's headings, kind
    /// and category. The first piece keeps the passage's id.
    fn push(
        &mut self,
        kind: Kind,
        headings: Vec<String>,
        text: String,
        bytes: Range<usize>,
        spans: &[Span],
    ) {
        let id = self.stable_id(kind, &headings);
        let category = Category::classify(kind, &headings, self.title, &text);
        let whole = Passage {
            id,
            path: self.file.rel_path.clone(),
            title: self.title.to_string(),
            headings,
            kind,
            category,
            line_start: 0,
            line_end: 0,
            byte_start: bytes.start,
            byte_end: bytes.end,
            text: String::new(),
            aliases: self.aliases.to_vec(),
            metadata: self.metadata.clone(),
            page_start: None,
            page_end: None,
        };
        if text.len() <= self.max_bytes {
            self.add(Passage { text, ..whole });
            return;
        }
        let pieces = cap::cut(&text, self.max_bytes);
        for (n, piece) in pieces.iter().enumerate() {
            let source = cap::source_range(spans, piece).unwrap_or_else(|| bytes.clone());
            let byte_start = if n == 0 { bytes.start } else { source.start };
            let byte_end = if n + 1 == pieces.len() {
                bytes.end
            } else {
                source.end.max(byte_start + 1).min(bytes.end)
            };
            self.add(Passage {
                id: piece_id(&whole.id, n),
                byte_start,
                byte_end,
                text: text[piece.clone()].to_string(),
                ..whole.clone()
            });
        }
    }

    /// Adds `passage`, citing the lines (and for a PDF the pages) of its byte range.
    fn add(&mut self, mut passage: Passage) {
        let last_byte = passage.byte_end.saturating_sub(1);
        passage.line_start = self.lines.line_of(passage.byte_start);
        passage.line_end = self.lines.line_of(last_byte).max(passage.line_start);
        if let Some(layout) = &self.file.pdf {
            passage.page_start = Some(layout.page_of(passage.byte_start));
            passage.page_end = Some(
                layout
                    .page_of(last_byte)
                    .max(layout.page_of(passage.byte_start)),
            );
        }
        self.passages.push(passage);
    }

    /// Declared FAQs (front matter, JSON-LD), unless the body has the same question
    /// (then the body is cited).
    fn declared_faqs(&mut self, faqs: &[DeclaredFaq]) {
        let in_body: HashSet<String> = self
            .passages
            .iter()
            .filter(|p| p.kind == Kind::Faq)
            .filter_map(|p| p.headings.last().map(|q| faq::normalize_question(q)))
            .collect();
        for declared in faqs {
            let Some((question, answer)) = faq::clean_declared(declared) else {
                continue;
            };
            if in_body.contains(&faq::normalize_question(&question)) {
                continue;
            }
            let last_line = self.lines.count();
            let start = self
                .lines
                .range(&self.file.text, declared.line_start.clamp(1, last_line))
                .start;
            let end = self
                .lines
                .range(&self.file.text, declared.line_end.clamp(1, last_line))
                .end
                .max(start + 1)
                .min(self.file.text.len());
            let headings = vec!["FAQ".to_string(), question];
            // The answer is cleaned text, not the file's: it maps to the entry's lines.
            let span = Span {
                text: 0..answer.len(),
                source: start..end,
                verbatim: false,
            };
            self.push(Kind::Faq, headings, answer, start..end, &[span]);
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

/// The id of piece `n` of the passage with id `passage_id`: the first piece keeps it,
/// so a passage that grows over the cap keeps its id for its start.
fn piece_id(passage_id: &str, n: usize) -> String {
    if n == 0 {
        return passage_id.to_string();
    }
    let hash = blake3::hash(format!("{passage_id}\0piece\0{n}").as_bytes());
    hash.to_hex()[..16].to_string()
}

/// The text of a passage: its blocks' texts, joined as they were in the file, with
/// where each block's text is in it and in `source` (the file's text).
fn join_text(blocks: &[&Block], source: &str) -> (String, Vec<Span>) {
    let mut text = String::new();
    let mut spans = Vec::with_capacity(blocks.len());
    for block in blocks.iter().filter(|b| !b.text.is_empty()) {
        if !text.is_empty() {
            text.push_str(match block.join {
                Join::Block => "\n\n",
                Join::Line => " ",
                Join::HardLine => "\n",
            });
        }
        let start = text.len();
        text.push_str(&block.text);
        spans.push(Span {
            text: start..text.len(),
            source: block.start..block.end,
            verbatim: source.get(block.start..block.end) == Some(block.text.as_str()),
        });
    }
    (text, spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Format;

    fn doc(text: &str) -> Document {
        split(&SourceFile::new("t.md", Format::Text, text)).0
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

    /// (question, answer, first line, last line) of each FAQ passage.
    fn faqs(d: &Document) -> Vec<(String, String, usize, usize)> {
        d.passages
            .iter()
            .filter(|p| p.kind == Kind::Faq)
            .map(|p| {
                let q = p.headings.last().cloned().unwrap_or_default();
                (q, p.text.clone(), p.line_start, p.line_end)
            })
            .collect()
    }

    #[test]
    fn a_faq_section_mixing_styles_gives_one_passage_per_question() {
        let d = doc("# Drug\nIntro.\n\n## Frequently Asked Questions\n\n**Q: Can I take it with food?**\nA: Yes, with or without food.\n\nQ: Can I drink alcohol?\nA: Better not.\nIt makes you dizzy.\n\n1. **Is it safe in pregnancy?** Ask your doctor.\n2. **Can children take it?** Only from age 12.\n\n## Storage\nKeep cool.\n");
        let want = [
            (
                "Can I take it with food?",
                "Yes, with or without food.",
                6,
                7,
            ),
            (
                "Can I drink alcohol?",
                "Better not. It makes you dizzy.",
                9,
                11,
            ),
            ("Is it safe in pregnancy?", "Ask your doctor.", 13, 13),
            ("Can children take it?", "Only from age 12.", 14, 14),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|&(q, a, s, e)| (q.to_string(), a.to_string(), s, e))
            .collect();
        assert_eq!(faqs(&d), want);
        let storage = d.passages.last().unwrap();
        assert_eq!(
            (storage.text.as_str(), storage.line_start),
            ("Keep cool.", 16)
        );
        assert!(d
            .passages
            .iter()
            .all(
                |p| p.headings.first().map(String::as_str) != Some("Frequently Asked Questions")
                    || p.kind == Kind::Faq
            ));
    }

    #[test]
    fn mixed_faq_styles_in_other_orders() {
        // Plain Q:/A: lines first, then a bold question line, then a numbered item.
        let d = doc("## FAQ\nQ: Why?\nA: Because.\n\n**Q: How often?**\nA: Daily.\n\n1. **When?** In the morning.\n");
        let got: Vec<_> = faqs(&d).into_iter().map(|f| (f.0, f.1, f.2, f.3)).collect();
        assert_eq!(
            got,
            [
                ("Why?".to_string(), "Because.".to_string(), 2, 3),
                ("How often?".into(), "Daily.".into(), 5, 6),
                ("When?".into(), "In the morning.".into(), 8, 8),
            ]
        );
        // Two bold question lines, each followed by Q:/A: lines.
        let d = doc("## FAQs\n**Q: One?**\nA: 1.\n\nQ: Two?\nA: 2.\n\n**Q: Three?**\nA: 3.\n\nQ: Four?\nA: 4.\n");
        let questions: Vec<_> = faqs(&d).into_iter().map(|f| (f.0, f.2, f.3)).collect();
        assert_eq!(
            questions,
            [
                ("One?".to_string(), 2, 3),
                ("Two?".into(), 5, 6),
                ("Three?".into(), 8, 9),
                ("Four?".into(), 11, 12)
            ]
        );
        assert!(d.passages.iter().all(|p| p.kind == Kind::Faq));
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

    /// The passages of `text` (a Markdown or plain text file) cut at `max` bytes.
    fn capped(text: &str, max: usize) -> Document {
        let file = SourceFile::new("t.md", Format::Text, text);
        build_capped(&file, reader::read(&file).0, max)
    }

    /// (text, first line, last line) of each passage.
    fn cited(d: &Document) -> Vec<(&str, usize, usize)> {
        d.passages
            .iter()
            .map(|p| (p.text.as_str(), p.line_start, p.line_end))
            .collect()
    }

    #[test]
    fn an_over_long_section_is_cut_at_paragraphs_citing_their_lines() {
        let d = capped(
            "## Dosage
Take one tablet
daily.

Take it with food.

Never take two.
",
            40,
        );
        assert_eq!(
            cited(&d),
            [
                ("Take one tablet daily.", 1, 3),
                (
                    "Take it with food.

Never take two.",
                    5,
                    7
                )
            ]
        );
        let first = &d.passages[0];
        for p in &d.passages {
            assert_eq!((&p.headings, p.kind), (&first.headings, Kind::Section));
            assert_eq!((&p.title, p.category), (&first.title, Category::Dosage));
        }
        assert_ne!(d.passages[0].id, d.passages[1].id);
    }

    #[test]
    fn a_paragraph_too_long_is_cut_at_sentences_citing_their_lines() {
        let d = capped(
            "## A
One two. Three
four. Five six.
",
            12,
        );
        assert_eq!(
            cited(&d),
            [
                ("One two.", 1, 2),
                ("Three four.", 2, 3),
                ("Five six.", 3, 3)
            ]
        );
        let bytes: Vec<_> = d
            .passages
            .iter()
            .map(|p| (p.byte_start, p.byte_end))
            .collect();
        assert_eq!(bytes, [(0, 13), (14, 25), (26, 35)]);
    }

    #[test]
    fn a_giant_line_is_cut_into_pieces_citing_that_line() {
        let line = "lineword ".repeat(1000);
        let d = capped(
            &format!(
                "## Big
{line}
## Next
small
"
            ),
            100,
        );
        let (big, next) = d.passages.split_at(d.passages.len() - 1);
        assert_eq!(big.len(), 91);
        assert_eq!((big[0].line_start, big[0].line_end), (1, 2));
        assert!(big[1..]
            .iter()
            .all(|p| (p.line_start, p.line_end) == (2, 2)));
        assert!(big
            .iter()
            .all(|p| p.text.len() <= 100 && p.text.starts_with("lineword")));
        assert!(big.windows(2).all(|w| w[0].byte_end <= w[1].byte_start));
        let ids: HashSet<&str> = d.passages.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids.len(), d.passages.len());
        assert_eq!(
            cited(&Document {
                passages: next.to_vec(),
                ..d
            }),
            [("small", 3, 4)]
        );
    }

    #[test]
    fn multibyte_characters_are_never_cut_inside() {
        let text = format!(
            "intro
{}
",
            "é💊".repeat(100)
        );
        let d = capped(&text, 7);
        let pieces = &d.passages[1..];
        assert!(pieces.iter().all(|p| p.text == "é💊" && p.line_start == 2));
        assert_eq!(pieces.len(), 100);
        for p in pieces {
            assert_eq!(&text[p.byte_start..p.byte_end], p.text);
        }
    }

    #[test]
    fn passages_that_fit_are_unchanged_by_the_cap() {
        let text = format!(
            "# T
intro
## Long
{}
## Short
short text
",
            "word ".repeat(50)
        );
        let whole = capped(&text, MAX_PASSAGE_BYTES);
        let cut = capped(&text, 100);
        assert_eq!(whole.passages.len(), 3);
        assert_eq!(cut.passages.len(), 5);
        assert_eq!(cut.passages[0], whole.passages[0]);
        assert_eq!(cut.passages[4], whole.passages[2]);
        // A passage that grows over the cap keeps its id for its first piece.
        assert_eq!(cut.passages[1].id, whole.passages[1].id);
        assert_eq!(cut.passages[1].line_start, whole.passages[1].line_start);
        assert_eq!(cut.passages[3].line_end, whole.passages[1].line_end);
    }

    #[test]
    fn faq_answers_go_through_the_same_cap() {
        let answer = "Yes it can. ".repeat(10);
        let d = capped(
            &format!("---\ntitle: T\nfaqs:\n  - q: Front?\n    a: {answer}\n---\n## FAQ\n### Q1: Why?\nA: {answer}\n"),
            40,
        );
        let (front, body): (Vec<&Passage>, Vec<&Passage>) = d
            .passages
            .iter()
            .partition(|p| p.headings.last().unwrap() == "Front?");
        assert_eq!((front.len(), body.len()), (4, 4));
        assert!(d
            .passages
            .iter()
            .all(|p| p.kind == Kind::Faq && p.text.len() <= 40));
        assert!(front.iter().all(|p| (p.line_start, p.line_end) == (4, 5)));
        assert_eq!((body[0].line_start, body[0].line_end), (8, 9));
        assert!(body[1..]
            .iter()
            .all(|p| (p.line_start, p.line_end) == (9, 9)));
    }
}
