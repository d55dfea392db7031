//! The HTML reader: a page (or an HTML block inside Markdown) into blocks.
//!
//! The page is parsed by html5ever, the HTML5 parser of the Servo project, so broken
//! markup is repaired the way browsers repair it and entities are decoded. Then:
//!
//! - the body is `<main>`, else the first `<article>`, else `<body>`;
//! - `nav`, `header`, `footer`, `aside`, `script`, `style`, `noscript`, `template`,
//!   forms and their controls, frames, and hidden elements (`hidden`,
//!   `aria-hidden="true"`, `display:none`, landmark roles of the same kinds) are
//!   never read;
//! - `<h1>`–`<h6>` are headings; paragraphs, list items (`- ` bullets), table rows
//!   (cells apart), quotes and preformatted text are blocks, white space normalized;
//! - `<details><summary>` and schema.org `Question` microdata are FAQ entries;
//!   schema.org FAQPage JSON-LD gives declared FAQs (cited at their `<script>`);
//! - the title is the body's `<h1>`, else `<title>` without a site suffix
//!   (` | Example Health`); the meta description is kept as metadata.
//!
//! Lines come from the parser ([`dom`]), so every block cites the lines of the source
//! it was read from: a heading's line to the last line of its text.

pub mod dom;

use std::collections::BTreeMap;

use dom::{Data, Dom, NodeId};

use super::{promote_bold_lines, tidy, Article, Block, BlockKind, DeclaredFaq};
use crate::source::lines::LineIndex;

/// Elements whose content is never indexed: navigation, page furniture, code, forms.
const SKIPPED: &[&str] = &[
    "nav", "header", "footer", "aside", "script", "style", "noscript", "template", "form",
    "button", "select", "textarea", "input", "iframe", "frame", "frameset", "svg", "canvas",
    "object", "embed", "dialog", "head", "title", "meta", "link",
];

/// ARIA roles of the same page furniture as the [`SKIPPED`] elements.
const SKIPPED_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
    "form",
    "dialog",
];

/// Elements that end the text before them and start a new block.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "body",
    "blockquote",
    "pre",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "address",
    "ul",
    "ol",
    "hr",
    "center",
    "fieldset",
    "legend",
    "caption",
    "hgroup",
    "search",
];

/// Separators between a page's title and the site's name in `<title>`.
const TITLE_SEPARATORS: &[&str] = &[" | ", " – ", " — ", " - ", " :: ", " · ", " • "];

/// The most words a site name after a title separator has.
const MAX_SITE_NAME_WORDS: usize = 5;

/// Reads an HTML page.
pub fn read(source: &str, lines: LineIndex) -> Article {
    let dom = Dom::parse(source);
    let root = content_root(&dom);
    let mut blocks = Extractor::new(&dom, source, &lines, 0).run(root);
    promote_bold_lines(&mut blocks);
    let title = first(&dom, root, "h1")
        .map(|h1| dom.text(h1))
        .filter(|t| !t.is_empty())
        .or_else(|| {
            first(&dom, 0, "title")
                .map(|t| trim_site_name(&dom.text(t)))
                .filter(|t| !t.is_empty())
        });
    let mut metadata = BTreeMap::new();
    if let Some(description) = meta_description(&dom) {
        metadata.insert("description".to_string(), description);
    }
    Article {
        title,
        metadata,
        aliases: Vec::new(),
        blocks,
        declared_faqs: json_ld_faqs(&dom),
        lines,
    }
}

/// Reads HTML that stands inside another file (an HTML block in Markdown) starting at
/// byte `base`: its blocks only, bold lines not yet promoted.
pub fn read_fragment(html: &str, base: usize) -> Vec<Block> {
    let dom = Dom::parse(html);
    let lines = LineIndex::new(html);
    let root = first(&dom, 0, "body").unwrap_or(0);
    Extractor::new(&dom, html, &lines, base).run(root)
}

/// `<main>`, else the first `<article>`, else `<body>`, else the document.
fn content_root(dom: &Dom) -> NodeId {
    ["main", "article", "body"]
        .iter()
        .find_map(|tag| first(dom, 0, tag))
        .unwrap_or(0)
}

/// The first element named `tag` under `from`, in document order.
fn first(dom: &Dom, from: NodeId, tag: &str) -> Option<NodeId> {
    dom.descendants(from).find(|&n| dom.tag(n) == tag)
}

/// `Amoxicillin: Uses and Dosage | Example Health` → `Amoxicillin: Uses and Dosage`.
fn trim_site_name(title: &str) -> String {
    let cut = TITLE_SEPARATORS
        .iter()
        .filter_map(|sep| title.rfind(sep).map(|at| (at, sep.len())))
        .max_by_key(|&(at, _)| at);
    match cut {
        Some((at, len))
            if at > 0 && title[at + len..].split_whitespace().count() <= MAX_SITE_NAME_WORDS =>
        {
            title[..at].trim().to_string()
        }
        _ => title.trim().to_string(),
    }
}

fn meta_description(dom: &Dom) -> Option<String> {
    let metas: Vec<NodeId> = dom
        .descendants(0)
        .filter(|&n| dom.tag(n) == "meta")
        .collect();
    ["description", "og:description"].iter().find_map(|key| {
        metas.iter().find_map(|&m| {
            let name = dom.attr(m, "name").or_else(|| dom.attr(m, "property"))?;
            if !name.eq_ignore_ascii_case(key) {
                return None;
            }
            let content = dom.attr(m, "content")?;
            let content = content.split_whitespace().collect::<Vec<_>>().join(" ");
            Some(content).filter(|c| !c.is_empty())
        })
    })
}

/// Whether an element and its content are never read.
fn is_skipped(dom: &Dom, id: NodeId) -> bool {
    let tag = dom.tag(id);
    if SKIPPED.contains(&tag) {
        return true;
    }
    let hidden_style = dom.attr(id, "style").is_some_and(|s| {
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        s.contains("display:none") || s.contains("visibility:hidden")
    });
    hidden_style
        || dom.attr(id, "hidden").is_some()
        || dom
            .attr(id, "aria-hidden")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || dom
            .attr(id, "role")
            .is_some_and(|r| SKIPPED_ROLES.contains(&r.to_ascii_lowercase().as_str()))
}

fn heading_level(tag: &str) -> Option<u8> {
    match tag {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

fn is_question_item(dom: &Dom, id: NodeId) -> bool {
    dom.attr(id, "itemtype")
        .is_some_and(|t| t.contains("schema.org/Question"))
}

/// The block being filled.
struct Open {
    kind: BlockKind,
    text: String,
    first_line: usize,
    last_line: usize,
    /// The bold text it starts with: `None` before any text, `Some((text, open))` while
    /// it is (or was) bold, and `lead_done` once other text came first.
    lead: Option<(String, bool)>,
    lead_done: bool,
}

/// A `<details>` or schema.org `Question` being read: its question and the line it
/// starts on, and where its answer's blocks start in the output.
struct Capture {
    node: NodeId,
    question: String,
    /// The element whose text is the question (`summary`, `[itemprop=name]`).
    question_node: Option<NodeId>,
    blocks_from: usize,
    line: usize,
}

struct Extractor<'a> {
    dom: &'a Dom,
    src: &'a str,
    lines: &'a LineIndex,
    base: usize,
    out: Vec<Block>,
    open: Option<Open>,
    captures: Vec<Capture>,
    list_depth: usize,
    table_depth: usize,
    pre_depth: usize,
    strong_depth: usize,
    /// The last line that holds text.
    last_line: usize,
}

impl<'a> Extractor<'a> {
    fn new(dom: &'a Dom, src: &'a str, lines: &'a LineIndex, base: usize) -> Self {
        Extractor {
            dom,
            src,
            lines,
            base,
            out: Vec::new(),
            open: None,
            captures: Vec::new(),
            list_depth: 0,
            table_depth: 0,
            pre_depth: 0,
            strong_depth: 0,
            last_line: lines.line_of(src.trim_end().len().saturating_sub(1)),
        }
    }

    /// The blocks under `root`, walked without recursion.
    fn run(mut self, root: NodeId) -> Vec<Block> {
        let mut stack = vec![(root, true)];
        while let Some((id, entering)) = stack.pop() {
            if !entering {
                self.leave(id);
                continue;
            }
            match &self.dom.nodes[id].data {
                Data::Text(text) => self.text(id, text),
                Data::Element { .. } if id != root && is_skipped(self.dom, id) => {}
                Data::Element { .. } | Data::Document => {
                    self.enter(id);
                    stack.push((id, false));
                    let children: Vec<NodeId> = self.dom.children(id).collect();
                    stack.extend(children.into_iter().rev().map(|c| (c, true)));
                }
                Data::Other => {}
            }
        }
        self.flush();
        self.out
    }

    fn enter(&mut self, id: NodeId) {
        let tag = self.dom.tag(id);
        let line = self.dom.nodes[id].line;
        if self.is_question_node(id) {
            self.flush();
            if let Some(capture) = self.captures.last_mut() {
                // The entry is cited from the question's line.
                capture.question_node = Some(id);
                capture.line = line;
            }
        } else if let Some(level) = heading_level(tag) {
            self.flush();
            self.start(BlockKind::Heading(level), line);
        } else if tag == "li" {
            if self.list_depth > 0 && self.open.is_some() {
                self.push_str("\n- ");
            } else {
                self.flush();
                self.start(BlockKind::ListItem, line);
                self.push_str("- ");
            }
            self.list_depth += 1;
        } else if tag == "table" {
            self.flush();
            self.table_depth += 1;
        } else if tag == "tr" || tag == "br" {
            self.push_str("\n");
        } else if tag == "pre" {
            self.flush();
            self.pre_depth += 1;
        } else if tag == "strong" || tag == "b" {
            self.strong_depth += 1;
        } else if tag == "details" || is_question_item(self.dom, id) {
            self.flush();
            self.captures.push(Capture {
                node: id,
                question: String::new(),
                question_node: None,
                blocks_from: self.out.len(),
                line,
            });
        } else if BLOCKS.contains(&tag) && self.list_depth == 0 && self.table_depth == 0 {
            self.flush();
        }
    }

    fn leave(&mut self, id: NodeId) {
        let tag = self.dom.tag(id);
        let question_node = self
            .captures
            .last()
            .is_some_and(|c| c.question_node == Some(id));
        if question_node {
            if let Some(capture) = self.captures.last_mut() {
                capture.question_node = None;
                capture.question = capture
                    .question
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
            }
        } else if heading_level(tag).is_some() {
            self.flush();
        } else if tag == "li" {
            self.list_depth = self.list_depth.saturating_sub(1);
            if self.list_depth == 0 {
                self.flush();
            }
        } else if tag == "table" {
            self.table_depth = self.table_depth.saturating_sub(1);
            if self.table_depth == 0 {
                self.flush();
            }
        } else if tag == "td" || tag == "th" {
            self.push_str("  ");
        } else if tag == "pre" {
            self.flush();
            self.pre_depth = self.pre_depth.saturating_sub(1);
        } else if tag == "strong" || tag == "b" {
            self.strong_depth = self.strong_depth.saturating_sub(1);
            if let Some(Open {
                lead: Some((_, open)),
                ..
            }) = self.open.as_mut()
            {
                if self.strong_depth == 0 {
                    *open = false;
                }
            }
        } else if self.captures.last().is_some_and(|c| c.node == id) {
            self.flush();
            self.finish_capture();
        } else if BLOCKS.contains(&tag) && self.list_depth == 0 && self.table_depth == 0 {
            self.flush();
        }
    }

    /// A `summary` of a `details`, or the `name` of a schema.org `Question`.
    fn is_question_node(&self, id: NodeId) -> bool {
        let Some(capture) = self.captures.last() else {
            return false;
        };
        if !capture.question.is_empty() || capture.question_node.is_some() {
            return false;
        }
        match self.dom.tag(capture.node) {
            "details" => self.dom.tag(id) == "summary",
            _ => self.dom.attr(id, "itemprop") == Some("name"),
        }
    }

    /// Turns the blocks read inside a `details` or `Question` into one FAQ block.
    fn finish_capture(&mut self) {
        let Some(capture) = self.captures.pop() else {
            return;
        };
        if capture.question.is_empty() || capture.blocks_from > self.out.len() {
            return; // no question: its blocks stay as they are
        }
        let answer: Vec<Block> = self.out.drain(capture.blocks_from..).collect();
        let (Some(last), false) = (answer.last(), answer.is_empty()) else {
            return;
        };
        let text = answer
            .iter()
            .map(|b| b.text.as_str())
            .collect::<Vec<_>>()
            .join("\n\n");
        let start = self.line_start(capture.line);
        let end = last.end.max(start);
        self.out.push(Block::new(
            BlockKind::Faq {
                question: capture.question,
            },
            text,
            start,
            end,
        ));
    }

    fn text(&mut self, id: NodeId, text: &str) {
        let node = &self.dom.nodes[id];
        let visible = !text.trim().is_empty();
        if let Some(capture) = self.captures.last_mut() {
            if capture.question_node.is_some() {
                capture.question.push_str(text);
                capture.question.push(' ');
                return;
            }
        }
        if self.open.is_none() {
            if !visible {
                return;
            }
            self.start(BlockKind::Paragraph, node.line);
        }
        let (pre, bold) = (self.pre_depth > 0, self.strong_depth > 0);
        let Some(open) = self.open.as_mut() else {
            return;
        };
        if visible {
            open.last_line = open.last_line.max(node.last_line);
            if !open.lead_done {
                match &mut open.lead {
                    None if bold => open.lead = Some((String::new(), true)),
                    None => open.lead_done = true,
                    Some((_, false)) => open.lead_done = true,
                    Some((_, true)) => {}
                }
            }
        }
        let lead = match &mut open.lead {
            Some((lead, true)) if !open.lead_done => Some(lead),
            _ => None,
        };
        push_collapsed(&mut open.text, text, pre);
        if let Some(lead) = lead {
            push_collapsed(lead, text, false);
        }
    }

    fn start(&mut self, kind: BlockKind, line: usize) {
        self.open = Some(Open {
            kind,
            text: String::new(),
            first_line: line,
            last_line: line,
            lead: None,
            lead_done: false,
        });
    }

    fn push_str(&mut self, s: &str) {
        if let Some(open) = self.open.as_mut() {
            open.text.push_str(s);
        }
    }

    /// Ends the open block.
    fn flush(&mut self) {
        let Some(open) = self.open.take() else {
            return;
        };
        let text = match open.kind {
            BlockKind::Heading(_) => open.text.split_whitespace().collect::<Vec<_>>().join(" "),
            _ => tidy(&open.text),
        };
        if text.is_empty() || text == "-" {
            return;
        }
        let strong_lead = open
            .lead
            .map(|(lead, _)| lead.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty());
        let start = self.line_start(open.first_line);
        let end = self
            .line_end(open.last_line.max(open.first_line))
            .max(start);
        self.out.push(Block {
            strong_lead,
            ..Block::new(open.kind, text, start, end)
        });
    }

    /// A line the parser reported, kept within the lines that hold text (the parser
    /// counts the empty line after a final line break as one).
    fn clamp(&self, line: usize) -> usize {
        line.clamp(1, self.last_line)
    }

    fn line_start(&self, line: usize) -> usize {
        self.base + self.lines.range(self.src, self.clamp(line)).start
    }

    fn line_end(&self, line: usize) -> usize {
        let range = self.lines.range(self.src, self.clamp(line));
        let trimmed = self.src[range.clone()].trim_end().len();
        self.base + range.start + trimmed
    }
}

/// Appends `text` with runs of white space collapsed to one space (kept as is in
/// `<pre>`).
fn push_collapsed(out: &mut String, text: &str, pre: bool) {
    if pre {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with([' ', '\n']) {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
}

/// The FAQs of schema.org FAQPage JSON-LD, cited at their `<script>` element.
fn json_ld_faqs(dom: &Dom) -> Vec<DeclaredFaq> {
    let mut faqs = Vec::new();
    for script in dom.descendants(0).filter(|&n| dom.tag(n) == "script") {
        let is_ld = dom
            .attr(script, "type")
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"));
        if !is_ld {
            continue;
        }
        let json: String = dom
            .children(script)
            .filter_map(|c| match &dom.nodes[c].data {
                Data::Text(t) => Some(t.to_string()),
                _ => None,
            })
            .collect();
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&json) else {
            continue; // broken JSON-LD is not content; the page is read all the same
        };
        let line_start = dom.nodes[script].line;
        let line_end = dom
            .children(script)
            .map(|c| dom.nodes[c].last_line)
            .max()
            .unwrap_or(line_start)
            .max(line_start);
        for (question, answer) in faq_page_entries(&value) {
            faqs.push(DeclaredFaq {
                question,
                answer,
                line_start,
                line_end,
            });
        }
    }
    faqs
}

/// Question/answer pairs of every FAQPage in a JSON-LD value (alone, in a list, or in
/// an `@graph`). Answers may hold HTML: their text is kept.
fn faq_page_entries(value: &serde_json::Value) -> Vec<(String, String)> {
    use serde_json::Value;
    let mut out = Vec::new();
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items.iter().rev()),
            Value::Object(map) => {
                if let Some(graph) = map.get("@graph") {
                    stack.push(graph);
                }
                if !has_type(v, "FAQPage") {
                    continue;
                }
                let entities = match map.get("mainEntity") {
                    Some(Value::Array(items)) => items.iter().collect(),
                    Some(one) => vec![one],
                    None => Vec::new(),
                };
                for q in entities {
                    let name = q.get("name").and_then(Value::as_str).unwrap_or_default();
                    let answer = match q.get("acceptedAnswer") {
                        Some(Value::Array(items)) => items.first(),
                        other => other,
                    };
                    let text = answer
                        .and_then(|a| a.get("text"))
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let text = Dom::parse(text).text(0);
                    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
                    if !name.is_empty() && !text.is_empty() {
                        out.push((name, text));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn has_type(value: &serde_json::Value, wanted: &str) -> bool {
    match value.get("@type") {
        Some(serde_json::Value::String(t)) => t == wanted,
        Some(serde_json::Value::Array(ts)) => ts.iter().any(|t| t.as_str() == Some(wanted)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(html: &str) -> Article {
        read(html, LineIndex::new(html))
    }

    fn kinds_texts(a: &Article) -> Vec<(BlockKind, &str)> {
        a.blocks
            .iter()
            .map(|b| (b.kind.clone(), b.text.as_str()))
            .collect()
    }

    #[test]
    fn body_headings_lists_tables_and_furniture() {
        let a = page(
            "<html><head><title>Amoxicillin | Example Health</title>\n<meta name=\"description\" content=\"About amoxicillin.\"></head>\n<body><nav>Home</nav>\n<main><h2>Dosage</h2>\n<p>Take &amp; swallow\n   whole.</p>\n<ul><li>Adults: 500 mg</li><li>Children: less</li></ul>\n<table><tr><th>Age</th><th>Dose</th></tr><tr><td>5</td><td>125 mg</td></tr></table>\n<div hidden>secret</div><script>var x;</script></main><footer>© 2024</footer></body></html>",
        );
        assert_eq!(a.title.as_deref(), Some("Amoxicillin"));
        assert_eq!(a.metadata["description"], "About amoxicillin.");
        assert_eq!(
            kinds_texts(&a),
            vec![
                (BlockKind::Heading(2), "Dosage"),
                (BlockKind::Paragraph, "Take & swallow whole."),
                (BlockKind::ListItem, "- Adults: 500 mg"),
                (BlockKind::ListItem, "- Children: less"),
                (BlockKind::Paragraph, "Age  Dose\n5  125 mg"),
            ]
        );
        assert_eq!(a.lines.line_of(a.blocks[1].start), 5);
        assert_eq!(a.lines.line_of(a.blocks[1].end - 1), 6);
    }

    #[test]
    fn details_microdata_and_json_ld_faqs() {
        let a = page(concat!(
            "<main><details>\n<summary>Can I drink alcohol?</summary>\n<p>Better not.</p>\n</details>\n",
            "<div itemscope itemtype=\"https://schema.org/Question\"><h3 itemprop=\"name\">Is it safe?</h3>",
            "<div itemprop=\"acceptedAnswer\" itemscope itemtype=\"https://schema.org/Answer\"><p itemprop=\"text\">Mostly.</p></div></div></main>\n",
            "<script type=\"application/ld+json\">{\"@type\":\"FAQPage\",\"mainEntity\":[{\"@type\":\"Question\",\"name\":\"How long?\",\"acceptedAnswer\":{\"@type\":\"Answer\",\"text\":\"<p>Seven days.</p>\"}}]}</script>"
        ));
        assert_eq!(
            kinds_texts(&a),
            vec![
                (
                    BlockKind::Faq {
                        question: "Can I drink alcohol?".into()
                    },
                    "Better not."
                ),
                (
                    BlockKind::Faq {
                        question: "Is it safe?".into()
                    },
                    "Mostly."
                ),
            ]
        );
        assert_eq!(a.lines.line_of(a.blocks[0].start), 2);
        assert_eq!(a.lines.line_of(a.blocks[0].end), 3);
        assert_eq!(a.declared_faqs.len(), 1);
        assert_eq!(a.declared_faqs[0].answer, "Seven days.");
        assert_eq!(a.declared_faqs[0].line_start, 6);
    }

    #[test]
    fn site_names_are_trimmed_from_titles() {
        assert_eq!(
            trim_site_name("Amoxicillin | Example Health"),
            "Amoxicillin"
        );
        assert_eq!(
            trim_site_name(
                "Vitamin K2 - Uses, Dosage, Side Effects and Interactions With Other Drugs"
            ),
            "Vitamin K2 - Uses, Dosage, Side Effects and Interactions With Other Drugs"
        );
        assert_eq!(trim_site_name("Plain"), "Plain");
    }
}
