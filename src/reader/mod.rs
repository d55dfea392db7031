//! Stage 2 of the pipeline: read one source file into structured blocks.
//!
//! One reader per format turns a [`SourceFile`] into an [`Article`]: its declared
//! title and metadata, and its content as a flat list of [`Block`]s in file order
//! (headings with their level, paragraph lines, list items, FAQ entries that the
//! markup itself declares), each with the byte range it came from. The passage stage
//! builds passages from these blocks and never looks at markup.
//!
//! | format | reader | headings from |
//! |---|---|---|
//! | Markdown | [`markdown`] | ATX and setext headings, bold lines, inline `<h1>`–`<h6>` |
//! | plain text | [`plaintext`] | a title line, short title-shaped lines, ALL-CAPS labels |
//! | HTML | [`html`] | `<h1>`–`<h6>`; `<details>` and schema.org FAQPage give FAQ entries |
//! | PDF | [`pdf`] | the outline (bookmarks), else type size and numbering (`2.1 Dosage`) |
//!
//! `.md`, `.markdown` and `.txt` files are told apart by content, not extension: a
//! text file with any Markdown heading is read as Markdown, otherwise as plain text.
//!
//! ```
//! use k2search::reader::{self, BlockKind};
//! use k2search::source::{Format, SourceFile};
//!
//! let file = SourceFile::new("a.md", Format::Text, "**Dosage**\nTake 1 tablet.\n");
//! let (article, _) = reader::read(&file);
//! assert_eq!(article.blocks[0].kind, BlockKind::Heading(2));
//! assert_eq!(article.blocks[1].text, "Take 1 tablet.");
//! ```

pub mod frontmatter;
#[cfg(feature = "html")]
pub mod html;
pub mod markdown;
pub mod pdf;
pub mod plaintext;

use std::collections::BTreeMap;

use crate::source::lines::LineIndex;
use crate::source::{Format, SourceFile, Warning};

/// The longest bold line, in characters, taken for a heading.
const MAX_BOLD_HEADING_CHARS: usize = 100;

/// A source file read into structure.
#[derive(Debug, Clone)]
pub struct Article {
    /// The title the file declares: front matter `title`, or an HTML page's `<h1>` or
    /// `<title>`. `None` when only the content can tell (an H1, a title line).
    pub title: Option<String>,
    /// Front-matter scalar fields other than `title`, or an HTML page's meta
    /// description.
    pub metadata: BTreeMap<String, String>,
    /// Alternate names of the subject (front matter `synonyms`/`aliases`).
    pub aliases: Vec<String>,
    /// The content, in file order.
    pub blocks: Vec<Block>,
    /// FAQ entries declared apart from the body text (a front-matter `faqs` list,
    /// schema.org FAQPage JSON-LD), as written: the passage stage cleans them and
    /// drops those the body repeats.
    pub declared_faqs: Vec<DeclaredFaq>,
    /// Line starts of the file, for citations.
    pub lines: LineIndex,
}

/// One block of content with the byte range of the file it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// What the block is.
    pub kind: BlockKind,
    /// Plain text (list items keep a `- ` bullet; markup, emphasis and links dropped).
    pub text: String,
    /// Byte offset of the block's start.
    pub start: usize,
    /// Byte offset just past its last non-whitespace byte.
    pub end: usize,
    /// How the block joins the one before it in a passage's text.
    pub join: Join,
    /// The bold text the block starts with, if it starts with some: a label or a
    /// question (`**Dosage**`, `**What is it?** …`).
    pub strong_lead: Option<String>,
}

/// What a [`Block`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockKind {
    /// A heading of the given level (1 for a title-level heading).
    Heading(u8),
    /// A paragraph, or one line of it (see [`Join`]), a code block, table or quote.
    Paragraph,
    /// One item of a top-level list.
    ListItem,
    /// A question and answer the markup declares as such (`<details>`, schema.org
    /// `Question` microdata): the text is the answer.
    Faq {
        /// The question.
        question: String,
    },
}

/// How a block's text joins the text before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// A new paragraph: a blank line between them.
    Block,
    /// The next line of the same paragraph (a soft line break): a space.
    Line,
    /// The next line of the same paragraph after a hard line break: a newline.
    HardLine,
}

/// A question and answer declared apart from the body, as written in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredFaq {
    /// The question, possibly with markup left in it by the generator.
    pub question: String,
    /// The answer, likewise.
    pub answer: String,
    /// First line of the entry in the file (1-based).
    pub line_start: usize,
    /// Last line of the entry.
    pub line_end: usize,
}

impl Block {
    /// A block of `kind` with `text` from bytes `start..end`, starting a new paragraph.
    pub fn new(kind: BlockKind, text: String, start: usize, end: usize) -> Block {
        Block {
            kind,
            text,
            start,
            end,
            join: Join::Block,
            strong_lead: None,
        }
    }

    /// The heading level, when the block is a heading.
    pub fn heading_level(&self) -> Option<u8> {
        match self.kind {
            BlockKind::Heading(level) => Some(level),
            _ => None,
        }
    }
}

/// Reads one source file with the reader for its format; warnings name the file and line.
pub fn read(file: &SourceFile) -> (Article, Vec<Warning>) {
    let lines = LineIndex::new(&file.text);
    let (article, issues) = match file.format {
        #[cfg(feature = "html")]
        Format::Html => (html::read(&file.text, lines), Vec::new()),
        // Never walked without the feature: `.html` is then an unsupported type.
        #[cfg(not(feature = "html"))]
        Format::Html => (read_text(&file.text, lines).0, Vec::new()),
        Format::Text => read_text(&file.text, lines),
        Format::Pdf => (read_pdf(file, lines), Vec::new()),
    };
    let warnings = issues
        .into_iter()
        .map(|issue| Warning {
            path: file.rel_path.clone(),
            line: Some(issue.line),
            message: issue.message,
        })
        .collect();
    (article, warnings)
}

/// A PDF's extracted text, with the headings its layout found.
fn read_pdf(file: &SourceFile, lines: LineIndex) -> Article {
    let layout = file.pdf.as_deref().cloned().unwrap_or_default();
    Article {
        title: None,
        metadata: BTreeMap::new(),
        aliases: Vec::new(),
        blocks: pdf::read(&file.text, &layout),
        declared_faqs: Vec::new(),
        lines,
    }
}

/// Markdown or plain text: front matter, then Markdown when the body has any heading,
/// plain text otherwise.
fn read_text(text: &str, lines: LineIndex) -> (Article, Vec<frontmatter::FrontMatterIssue>) {
    let (fm, issues) = frontmatter::parse(text, &lines);
    let body = &text[fm.body_start..];
    let mut blocks = markdown::read(body, fm.body_start);
    if !blocks.iter().any(|b| b.heading_level().is_some()) {
        blocks = plaintext::read(text, fm.body_start, &lines);
    }
    let article = Article {
        title: fm.title,
        metadata: fm.metadata,
        aliases: fm.aliases,
        blocks,
        declared_faqs: fm.faqs,
        lines,
    };
    (article, issues)
}

/// Whether a line of bold text reads as a heading: short, and not a sentence (no
/// `.`, `!`, `;` or `,` at its end; a `?` makes it a question, a `:` a label).
pub fn is_heading_text(text: &str) -> bool {
    let text = text.trim();
    let chars = text.chars().count();
    (1..=MAX_BOLD_HEADING_CHARS).contains(&chars)
        && text.chars().any(char::is_alphabetic)
        && !text.ends_with(['.', '!', ';', ',', '…'])
}

/// Turns blocks that are one bold line and nothing else (`**Dosage**`), followed by
/// text, into headings one level below the explicit heading they stand under (level 2
/// under none). A bold label ending in `:` stays text in a document that has explicit
/// section headings: it introduces the text under it inside a section
/// (`**Pharmacokinetics:**` then a list).
pub fn promote_bold_lines(blocks: &mut [Block]) {
    let has_sections = blocks
        .iter()
        .any(|b| b.heading_level().is_some_and(|level| level > 1));
    let bold_only = |b: &Block| {
        b.kind == BlockKind::Paragraph
            && b.strong_lead
                .as_deref()
                .is_some_and(|lead| lead == b.text && is_heading_text(lead))
    };
    let mut explicit_level = 1;
    for i in 0..blocks.len() {
        if let Some(level) = blocks[i].heading_level() {
            explicit_level = level;
            continue;
        }
        // A bold line inside a paragraph is a heading only after a finished sentence.
        let stands_alone = blocks[i].join == Join::Block
            || i.checked_sub(1).is_some_and(|p| {
                blocks[p]
                    .text
                    .trim_end_matches(['*', '"', ')'])
                    .ends_with(['.', '!', '?', ':'])
            });
        let text_follows = blocks
            .get(i + 1)
            .is_some_and(|next| next.heading_level().is_none() && !bold_only(next));
        let label_in_section = has_sections && blocks[i].text.ends_with(':');
        if bold_only(&blocks[i]) && stands_alone && text_follows && !label_in_section {
            blocks[i].kind = BlockKind::Heading((explicit_level + 1).min(6));
            blocks[i].join = Join::Block;
        }
    }
}

/// Collapses runs of blank lines and trailing spaces, so block text reads cleanly.
pub fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if blank {
                out.push('\n');
            }
        }
        blank = false;
        out.push_str(line.trim_start_matches(' '));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(text: &str) -> Vec<(BlockKind, String)> {
        let file = SourceFile::new("t.md", Format::Text, text);
        read(&file)
            .0
            .blocks
            .into_iter()
            .map(|b| (b.kind, b.text))
            .collect()
    }

    #[test]
    fn bold_lines_are_headings_but_bold_sentences_are_not() {
        let blocks = read_str("**Dosage**\nTake one.\n\n**Do not take more than two a day.**\n");
        assert_eq!(blocks[0], (BlockKind::Heading(2), "Dosage".into()));
        assert_eq!(blocks[1].0, BlockKind::Paragraph);
        assert_eq!(blocks[2].0, BlockKind::Paragraph);
    }

    #[test]
    fn bold_labels_with_colon_stay_text_under_explicit_sections() {
        let blocks = read_str("## How It Works\n\n**Pharmacokinetics:**\n\n- absorbed\n");
        assert_eq!(
            blocks[1],
            (BlockKind::Paragraph, "Pharmacokinetics:".into())
        );
        let blocks = read_str("## Dosage\n\n**Adults**\n\nOne a day.\n");
        assert_eq!(blocks[1], (BlockKind::Heading(3), "Adults".into()));
    }

    #[test]
    fn tidy_collapses_blank_runs() {
        assert_eq!(tidy("a  \n\n\n b\nc\n"), "a\n\nb\nc");
    }
}
