//! Markdown structure: explicit headings (ATX and setext, any level, emphasis removed)
//! and the top-level blocks of a section rendered to plain text.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// A heading found in an article, explicit (Markdown) or implicit (a short plain line).
#[derive(Debug, Clone, PartialEq)]
pub struct HeadingMark {
    /// 1 for `#`, 2 for `##`…; implicit headings are level 2.
    pub level: u8,
    /// Byte offset where the heading starts.
    pub start: usize,
    /// Byte offset just past the heading (its section body starts here).
    pub end: usize,
    /// The heading as plain text.
    pub text: String,
}

/// A top-level block of a section (paragraph, one item of a top-level list, code
/// block, table…) as plain text with its byte range.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Byte offset of the block's start.
    pub start: usize,
    /// Byte offset just past its last non-whitespace byte.
    pub end: usize,
    /// Plain text (lists keep a `- ` bullet, emphasis and links are dropped).
    pub text: String,
    /// Whether the block is an item of a top-level list.
    pub list_item: bool,
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// The explicit headings of `body`, which starts at byte `base` of the file.
pub fn headings(body: &str, base: usize) -> Vec<HeadingMark> {
    let mut marks = Vec::new();
    let mut current: Option<HeadingMark> = None;
    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                current = Some(HeadingMark {
                    level: level as u8,
                    start: base + range.start,
                    end: base + range.end,
                    text: String::new(),
                });
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(mut mark) = current.take() {
                    mark.text = mark.text.split_whitespace().collect::<Vec<_>>().join(" ");
                    if !mark.text.is_empty() {
                        marks.push(mark);
                    }
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(mark) = current.as_mut() {
                    mark.text.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(mark) = current.as_mut() {
                    mark.text.push(' ');
                }
            }
            _ => {}
        }
    }
    marks
}

/// The top-level blocks of `slice` (which starts at byte `base` of the file), as plain
/// text. Each item of a top-level list is its own block, so FAQ bullets can be told
/// apart.
pub fn blocks(slice: &str, base: usize) -> Vec<Block> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut in_top_list = false;
    let mut text = String::new();
    let mut start = 0usize;
    for (event, range) in Parser::new_ext(slice, options()).into_offset_iter() {
        match event {
            Event::Start(tag) => {
                let is_list = matches!(tag, Tag::List(_));
                if depth == 0 && !is_list {
                    start = range.start;
                    text.clear();
                }
                if depth == 1 && in_top_list && matches!(tag, Tag::Item) {
                    start = range.start;
                    text.clear();
                }
                if depth == 0 && is_list {
                    in_top_list = true;
                }
                open_tag(&tag, &mut text);
                depth += 1;
            }
            Event::End(tag) => {
                depth = depth.saturating_sub(1);
                close_tag(tag, &mut text);
                let item_done = depth == 1 && in_top_list && tag == TagEnd::Item;
                let block_done = depth == 0 && !matches!(tag, TagEnd::List(_));
                if item_done || block_done {
                    push_block(&mut out, slice, base, start, range.end, &text, item_done);
                    text.clear();
                }
                if depth == 0 {
                    in_top_list = false;
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if depth == 0 {
                    start = range.start;
                    text.clear();
                }
                text.push_str(&t);
                if depth == 0 {
                    push_block(&mut out, slice, base, start, range.end, &text, false);
                    text.clear();
                }
            }
            Event::SoftBreak => text.push(' '),
            Event::HardBreak => text.push('\n'),
            Event::TaskListMarker(done) => text.push_str(if done { "[x] " } else { "[ ] " }),
            Event::Rule if depth == 0 => {}
            _ => {}
        }
    }
    out
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

fn push_block(
    out: &mut Vec<Block>,
    slice: &str,
    base: usize,
    start: usize,
    end: usize,
    text: &str,
    list_item: bool,
) {
    let text = super::clean::tidy(text);
    if text.is_empty() {
        return;
    }
    let end = start + slice[start..end].trim_end().len();
    out.push(Block {
        start: base + start,
        end: base + end,
        text,
        list_item,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atx_setext_and_emphasis_headings() {
        let md = "# Top\n\n## **Usage**\ntext\n\nSetext\n------\nmore\n";
        let marks = headings(md, 10);
        let texts: Vec<_> = marks.iter().map(|m| (m.level, m.text.as_str())).collect();
        assert_eq!(texts, vec![(1, "Top"), (2, "Usage"), (2, "Setext")]);
        assert_eq!(marks[1].start, 10 + 7);
    }

    #[test]
    fn list_items_are_blocks() {
        let md =
            "Intro *text* with [a link](http://x).\n\n* **Q: Why?** A: Because.\n* two\n\nafter\n";
        let b = blocks(md, 0);
        let texts: Vec<_> = b.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "Intro text with a link.",
                "- Q: Why? A: Because.",
                "- two",
                "after"
            ]
        );
        assert!(b[1].list_item && !b[0].list_item);
        assert_eq!(&md[b[1].start..b[1].end], "* **Q: Why?** A: Because.");
    }
}
