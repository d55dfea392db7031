//! The Markdown reader: one pass of pulldown-cmark events into [`Block`]s.
//!
//! Top-level headings (ATX and setext, any level, emphasis removed) become heading
//! blocks. A top-level paragraph becomes one block per source line, joined back with
//! [`Join::Line`], so a bold line (`**Dosage**`) or a `Q:`/`A:` line inside a paragraph
//! can be told apart; each item of a top-level list is one block. HTML blocks
//! (`<h2>Interactions</h2>`) are read by the HTML reader, so their headings and text
//! count like the Markdown around them; inline HTML tags are dropped, their text kept.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

#[cfg(feature = "html")]
use super::html;
use super::{promote_bold_lines, tidy, Block, BlockKind, Join};

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// The blocks of Markdown `body`, which starts at byte `base` of the file; bold lines
/// are promoted to headings (see [`promote_bold_lines`]).
pub fn read(body: &str, base: usize) -> Vec<Block> {
    let mut blocks = read_blocks(body, base);
    promote_bold_lines(&mut blocks);
    blocks
}

/// The blocks of `slice` as they are written, without promoting bold lines.
pub fn read_blocks(slice: &str, base: usize) -> Vec<Block> {
    let mut reader = Reader {
        slice,
        base,
        out: Vec::new(),
        depth: 0,
        in_top_list: false,
        in_top_paragraph: false,
        heading: None,
        text: String::new(),
        start: None,
        end: 0,
        join: Join::Block,
        lead: Lead::NotYet,
        strong_depth: 0,
        html_depth: None,
    };
    for (event, range) in Parser::new_ext(slice, options()).into_offset_iter() {
        reader.event(event, range);
    }
    reader.out
}

/// Where the block being read stands with its leading bold text.
enum Lead {
    /// No text yet.
    NotYet,
    /// Inside the bold text it starts with.
    Open(String),
    /// It started with this bold text, now closed.
    Closed(String),
    /// It does not start with bold text.
    None,
}

struct Reader<'a> {
    slice: &'a str,
    base: usize,
    out: Vec<Block>,
    depth: usize,
    in_top_list: bool,
    in_top_paragraph: bool,
    /// The level of the top-level heading being read.
    heading: Option<u8>,
    text: String,
    /// Offset in `slice` where the current block (or paragraph line) starts.
    start: Option<usize>,
    /// Offset just past the last event of the current block.
    end: usize,
    /// How the next paragraph line joins the one before.
    join: Join,
    lead: Lead,
    strong_depth: usize,
    /// Set inside a top-level HTML block: the depth to return to.
    html_depth: Option<usize>,
}

impl Reader<'_> {
    fn event(&mut self, event: Event, range: std::ops::Range<usize>) {
        if self.html_depth.is_some() {
            if let Event::End(TagEnd::HtmlBlock) = event {
                self.depth = self.depth.saturating_sub(1);
                self.html_depth = None;
            }
            return;
        }
        match event {
            Event::Start(tag) => self.start_tag(tag, range),
            Event::End(tag) => self.end_tag(tag, range),
            Event::Text(t) | Event::Code(t) => {
                self.mark(range.start, range.end);
                self.see_text(&t);
                self.text.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak if self.in_top_paragraph => {
                let hard = matches!(event, Event::HardBreak);
                if self.push(BlockKind::Paragraph) {
                    self.join = if hard { Join::HardLine } else { Join::Line };
                }
            }
            Event::SoftBreak => self.text.push(' '),
            Event::HardBreak => self.text.push('\n'),
            Event::TaskListMarker(done) => self.text.push_str(if done { "[x] " } else { "[ ] " }),
            _ => {}
        }
    }

    fn start_tag(&mut self, tag: Tag, range: std::ops::Range<usize>) {
        if self.depth == 0 {
            match &tag {
                Tag::HtmlBlock => {
                    // Without the feature `html`, an HTML block is left out.
                    #[cfg(feature = "html")]
                    self.out.extend(html::read_fragment(
                        &self.slice[range.clone()],
                        self.base + range.start,
                    ));
                    self.html_depth = Some(self.depth);
                    self.depth += 1;
                    return;
                }
                Tag::Heading { level, .. } => self.heading = Some(*level as u8),
                Tag::Paragraph => {
                    self.in_top_paragraph = true;
                    self.join = Join::Block;
                }
                Tag::List(_) => self.in_top_list = true,
                _ => {}
            }
            if !matches!(tag, Tag::List(_)) {
                self.begin(range.start);
            }
        }
        if self.depth == 1 && self.in_top_list && matches!(tag, Tag::Item) {
            self.begin(range.start);
        }
        match tag {
            Tag::Strong => {
                self.strong_depth += 1;
                if matches!(self.lead, Lead::NotYet) {
                    self.lead = Lead::Open(String::new());
                }
                self.mark(range.start, range.start);
            }
            Tag::Emphasis | Tag::Link { .. } | Tag::Strikethrough => {
                self.mark(range.start, range.start)
            }
            _ => open_tag(&tag, &mut self.text),
        }
        self.depth += 1;
    }

    fn end_tag(&mut self, tag: TagEnd, range: std::ops::Range<usize>) {
        self.depth = self.depth.saturating_sub(1);
        if tag == TagEnd::Strong {
            self.strong_depth = self.strong_depth.saturating_sub(1);
            if self.strong_depth == 0 {
                if let Lead::Open(lead) = std::mem::replace(&mut self.lead, Lead::None) {
                    self.lead = Lead::Closed(lead);
                }
            }
        }
        if matches!(
            tag,
            TagEnd::Strong | TagEnd::Emphasis | TagEnd::Link | TagEnd::Strikethrough
        ) {
            self.end = self.end.max(range.end);
        } else {
            close_tag(tag, &mut self.text);
        }
        if self.depth == 0 {
            match tag {
                TagEnd::Heading(_) => {
                    self.end = range.end;
                    let level = self.heading.take().unwrap_or(2);
                    self.text = self.text.split_whitespace().collect::<Vec<_>>().join(" ");
                    self.push(BlockKind::Heading(level));
                }
                TagEnd::Paragraph => {
                    self.push(BlockKind::Paragraph);
                    self.in_top_paragraph = false;
                }
                TagEnd::List(_) => self.in_top_list = false,
                _ => {
                    self.end = range.end;
                    self.push(BlockKind::Paragraph);
                }
            }
        } else if self.depth == 1 && self.in_top_list && tag == TagEnd::Item {
            self.end = range.end;
            self.push(BlockKind::ListItem);
        }
    }

    /// Starts a new block at `start`.
    fn begin(&mut self, start: usize) {
        self.text.clear();
        self.start = Some(start);
        self.end = start;
        self.lead = Lead::NotYet;
        self.strong_depth = 0;
    }

    /// Notes that the current block (or paragraph line) spans `start..end`.
    fn mark(&mut self, start: usize, end: usize) {
        if self.start.is_none() {
            self.start = Some(start);
        }
        self.end = self.end.max(end);
    }

    /// Text was read: it is part of the leading bold text, or ends the hope of one.
    fn see_text(&mut self, t: &str) {
        match &mut self.lead {
            Lead::Open(lead) => lead.push_str(t),
            Lead::NotYet if !t.trim().is_empty() => self.lead = Lead::None,
            _ => {}
        }
    }

    /// Ends the current block (or paragraph line) as a block of `kind`; false when it
    /// held no text.
    fn push(&mut self, kind: BlockKind) -> bool {
        let start = self.start.take();
        let lead = std::mem::replace(&mut self.lead, Lead::NotYet);
        let text = tidy(&self.text);
        self.text.clear();
        let Some(start) = start.filter(|_| !text.is_empty()) else {
            return false;
        };
        let end = self.end.max(start).min(self.slice.len());
        let end = start + self.slice[start..end].trim_end().len();
        let strong_lead = match lead {
            Lead::Closed(lead) | Lead::Open(lead) => {
                let lead = lead.split_whitespace().collect::<Vec<_>>().join(" ");
                Some(lead).filter(|l| !l.is_empty())
            }
            _ => None,
        };
        let join = if kind == BlockKind::Paragraph && self.in_top_paragraph {
            std::mem::replace(&mut self.join, Join::Line)
        } else {
            Join::Block
        };
        self.out.push(Block {
            kind,
            text,
            start: self.base + start,
            end: self.base + end,
            join,
            strong_lead,
        });
        true
    }
}

fn open_tag(tag: &Tag, text: &mut String) {
    match tag {
        Tag::Item => {
            newline(text);
            text.push_str("- ");
        }
        Tag::Paragraph
        | Tag::CodeBlock(_)
        | Tag::BlockQuote(_)
        | Tag::TableRow
        | Tag::TableHead => newline(text),
        _ => {}
    }
}

fn close_tag(tag: TagEnd, text: &mut String) {
    match tag {
        TagEnd::Paragraph
        | TagEnd::Item
        | TagEnd::CodeBlock
        | TagEnd::TableRow
        | TagEnd::TableHead
        | TagEnd::Heading(_) => newline(text),
        TagEnd::TableCell => text.push_str("  "),
        _ => {}
    }
}

fn newline(text: &mut String) {
    if !text.is_empty() && !text.ends_with('\n') && !text.ends_with("- ") {
        text.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(md: &str) -> Vec<(BlockKind, String)> {
        read(md, 0).into_iter().map(|b| (b.kind, b.text)).collect()
    }

    #[test]
    fn atx_setext_and_emphasis_headings() {
        let md = "# Top\n\n## **Usage**\ntext\n\nSetext\n------\nmore\n";
        let blocks = read(md, 10);
        let heads: Vec<_> = blocks
            .iter()
            .filter_map(|b| Some((b.heading_level()?, b.text.as_str())))
            .collect();
        assert_eq!(heads, vec![(1, "Top"), (2, "Usage"), (2, "Setext")]);
        assert_eq!(blocks[1].start, 10 + 7);
    }

    #[test]
    fn list_items_are_blocks_and_paragraph_lines_join() {
        let md = "Intro *text* with [a link](http://x)\nand a second line.\n\n* **Q: Why?** A: Because.\n* two\n\nafter\n";
        let b = read(md, 0);
        let got: Vec<_> = b.iter().map(|b| (b.text.as_str(), b.join)).collect();
        assert_eq!(
            got,
            vec![
                ("Intro text with a link", Join::Block),
                ("and a second line.", Join::Line),
                ("- Q: Why? A: Because.", Join::Block),
                ("- two", Join::Block),
                ("after", Join::Block)
            ]
        );
        assert_eq!(b[2].kind, BlockKind::ListItem);
        assert_eq!(b[2].strong_lead.as_deref(), Some("Q: Why?"));
        assert_eq!(&md[b[2].start..b[2].end], "* **Q: Why?** A: Because.");
        assert_eq!(&md[b[1].start..b[1].end], "and a second line.");
    }

    #[test]
    fn inline_html_headings_and_text_are_read() {
        let got =
            texts("Intro.\n\n<h2>Interactions</h2>\n<p>Avoid <b>alcohol</b>.</p>\n\nAfter.\n");
        assert_eq!(
            got,
            vec![
                (BlockKind::Paragraph, "Intro.".into()),
                (BlockKind::Heading(2), "Interactions".into()),
                (BlockKind::Paragraph, "Avoid alcohol.".into()),
                (BlockKind::Paragraph, "After.".into()),
            ]
        );
    }
}
