//! A DOM that remembers source lines: html5ever's tree builder fills an arena of
//! nodes, each with the line it was created on and, for text, the last line it
//! spans, so a passage read from HTML can cite its lines.
//!
//! Nodes live in one `Vec` and link to each other by index: no reference counting, no
//! recursion, so a 10,000-deep page is built and dropped in constant stack space, and
//! every tree edit the parser asks for is O(1).

use std::borrow::Cow;
use std::cell::{Cell, RefCell};

use html5ever::interface::{ElemName, ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{parse_document, Attribute, LocalName, Namespace, ParseOpts, QualName};

/// Index of a node in [`Dom::nodes`].
pub type NodeId = usize;

/// What a node is.
#[derive(Debug)]
pub enum Data {
    /// The document (or a template's contents).
    Document,
    /// An element.
    Element {
        /// Its name.
        name: QualName,
        /// Its attributes.
        attrs: Vec<Attribute>,
        /// A `<template>`'s contents.
        template: Option<NodeId>,
    },
    /// Text, entities decoded.
    Text(StrTendril),
    /// A comment, doctype or processing instruction: never content.
    Other,
}

/// One node and its links.
#[derive(Debug)]
pub struct Node {
    /// What it is.
    pub data: Data,
    /// The parent, if attached.
    pub parent: Option<NodeId>,
    /// First child.
    pub first_child: Option<NodeId>,
    last_child: Option<NodeId>,
    prev: Option<NodeId>,
    /// Next sibling.
    pub next: Option<NodeId>,
    /// 1-based source line it was created on.
    pub line: usize,
    /// Last source line its text reaches (text nodes; the creation line otherwise).
    pub last_line: usize,
}

/// A parsed page.
#[derive(Debug)]
pub struct Dom {
    /// All nodes; the document is node 0.
    pub nodes: Vec<Node>,
}

impl Dom {
    /// Parses an HTML document (a fragment parses as the body of one).
    pub fn parse(html: &str) -> Dom {
        let sink = Sink {
            nodes: RefCell::new(vec![new_node(Data::Document, 1)]),
            line: Cell::new(1),
            dummy: QualName::new(None, Namespace::from(""), LocalName::from("")),
        };
        parse_document(sink, ParseOpts::default()).one(StrTendril::from_slice(html))
    }

    /// The element's local name (`div`), or `""` for other nodes.
    pub fn tag(&self, id: NodeId) -> &str {
        match &self.nodes[id].data {
            Data::Element { name, .. } => &name.local,
            _ => "",
        }
    }

    /// The value of attribute `name` of an element.
    pub fn attr(&self, id: NodeId, name: &str) -> Option<&str> {
        match &self.nodes[id].data {
            Data::Element { attrs, .. } => attrs
                .iter()
                .find(|a| &*a.name.local == name)
                .map(|a| &*a.value),
            _ => None,
        }
    }

    /// The children of a node, in order.
    pub fn children(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        std::iter::successors(self.nodes[id].first_child, |&c| self.nodes[c].next)
    }

    /// The node and every node under it, in document order (iteratively: deep trees
    /// cost no stack).
    pub fn descendants(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        let mut stack = vec![id];
        std::iter::from_fn(move || {
            let next = stack.pop()?;
            let children: Vec<NodeId> = self.children(next).collect();
            stack.extend(children.into_iter().rev());
            Some(next)
        })
    }

    /// All text under a node, white space collapsed.
    pub fn text(&self, id: NodeId) -> String {
        let mut out = String::new();
        for n in self.descendants(id) {
            if let Data::Text(t) = &self.nodes[n].data {
                out.push_str(t);
                out.push(' ');
            }
        }
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

fn new_node(data: Data, line: usize) -> Node {
    Node {
        data,
        parent: None,
        first_child: None,
        last_child: None,
        prev: None,
        next: None,
        line,
        last_line: line,
    }
}

/// The tree builder's view of a [`Dom`] under construction.
struct Sink {
    nodes: RefCell<Vec<Node>>,
    line: Cell<usize>,
    /// Returned as the name of a node that is no element (html5ever never asks).
    dummy: QualName,
}

/// An element name handed to the tree builder (an owned copy: the arena is behind a
/// `RefCell`, so no reference into it can be lent out).
#[derive(Debug)]
struct Name(QualName);

impl ElemName for Name {
    fn ns(&self) -> &Namespace {
        &self.0.ns
    }
    fn local_name(&self) -> &LocalName {
        &self.0.local
    }
}

impl Sink {
    fn add(&self, data: Data) -> NodeId {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(new_node(data, self.line.get()));
        nodes.len() - 1
    }

    fn detach(&self, id: NodeId) {
        let mut nodes = self.nodes.borrow_mut();
        let (parent, prev, next) = {
            let n = &mut nodes[id];
            (n.parent.take(), n.prev.take(), n.next.take())
        };
        match prev {
            Some(p) => nodes[p].next = next,
            None => {
                if let Some(parent) = parent {
                    nodes[parent].first_child = next;
                }
            }
        }
        match next {
            Some(n) => nodes[n].prev = prev,
            None => {
                if let Some(parent) = parent {
                    nodes[parent].last_child = prev;
                }
            }
        }
    }

    fn append_node(&self, parent: NodeId, child: NodeId) {
        self.detach(child);
        let mut nodes = self.nodes.borrow_mut();
        let last = nodes[parent].last_child;
        nodes[child].parent = Some(parent);
        nodes[child].prev = last;
        match last {
            Some(last) => nodes[last].next = Some(child),
            None => nodes[parent].first_child = Some(child),
        }
        nodes[parent].last_child = Some(child);
    }

    fn insert_before(&self, sibling: NodeId, child: NodeId) {
        self.detach(child);
        let mut nodes = self.nodes.borrow_mut();
        let (parent, prev) = (nodes[sibling].parent, nodes[sibling].prev);
        nodes[child].parent = parent;
        nodes[child].prev = prev;
        nodes[child].next = Some(sibling);
        nodes[sibling].prev = Some(child);
        match prev {
            Some(p) => nodes[p].next = Some(child),
            None => {
                if let Some(parent) = parent {
                    nodes[parent].first_child = Some(child);
                }
            }
        }
    }

    /// The lines of the first and last visible character of a text chunk. The
    /// tokenizer hands text over when the tag after it starts, so the current line is
    /// the chunk's last; lines before it are counted back from there. `None` for
    /// white space.
    fn visible_lines(&self, text: &str) -> Option<(usize, usize)> {
        let first = text.find(|c: char| !c.is_whitespace())?;
        let last = text.rfind(|c: char| !c.is_whitespace())?;
        let newlines_after = |at: usize| text[at..].bytes().filter(|&b| b == b'\n').count();
        let line = self.line.get();
        Some((
            line.saturating_sub(newlines_after(first)).max(1),
            line.saturating_sub(newlines_after(last)).max(1),
        ))
    }

    /// Appends `text` to node `to` when it is a text node; false otherwise.
    fn merge_text(&self, to: Option<NodeId>, text: &StrTendril) -> bool {
        let Some(to) = to else { return false };
        let visible = self.visible_lines(text);
        let mut nodes = self.nodes.borrow_mut();
        let node = &mut nodes[to];
        if let Data::Text(existing) = &mut node.data {
            // Lines are those of the visible text, not of the white space around it.
            if let Some((first, last)) = visible {
                if existing.trim().is_empty() {
                    node.line = first;
                }
                node.last_line = last;
            }
            existing.push_tendril(text);
            return true;
        }
        false
    }

    /// Puts a new node, or text, where `put` says. Text joins `neighbour` when that is
    /// a text node just before the place (html5ever sends text in pieces).
    fn place(&self, new: NodeOrText<NodeId>, neighbour: Option<NodeId>, put: impl Fn(NodeId)) {
        match new {
            NodeOrText::AppendNode(node) => put(node),
            NodeOrText::AppendText(text) => {
                if !self.merge_text(neighbour, &text) {
                    put(self.text_node(text));
                }
            }
        }
    }

    fn text_node(&self, text: StrTendril) -> NodeId {
        let visible = self.visible_lines(&text);
        let id = self.add(Data::Text(text));
        if let Some((first, last)) = visible {
            let mut nodes = self.nodes.borrow_mut();
            nodes[id].line = first;
            nodes[id].last_line = last;
        }
        id
    }
}

impl TreeSink for Sink {
    type Handle = NodeId;
    type Output = Dom;
    type ElemName<'a> = Name;

    fn finish(self) -> Dom {
        Dom {
            nodes: self.nodes.into_inner(),
        }
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> NodeId {
        0
    }

    fn elem_name<'a>(&'a self, target: &'a NodeId) -> Name {
        match &self.nodes.borrow()[*target].data {
            Data::Element { name, .. } => Name(name.clone()),
            _ => Name(self.dummy.clone()),
        }
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> NodeId {
        let template = flags.template.then(|| self.add(Data::Document));
        self.add(Data::Element {
            name,
            attrs,
            template,
        })
    }

    fn create_comment(&self, _text: StrTendril) -> NodeId {
        self.add(Data::Other)
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> NodeId {
        self.add(Data::Other)
    }

    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        let last = self.nodes.borrow()[*parent].last_child;
        self.place(child, last, |node| self.append_node(*parent, node));
    }

    fn append_based_on_parent_node(
        &self,
        element: &NodeId,
        prev_element: &NodeId,
        child: NodeOrText<NodeId>,
    ) {
        if self.nodes.borrow()[*element].parent.is_some() {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &NodeId) -> NodeId {
        match &self.nodes.borrow()[*target].data {
            Data::Element {
                template: Some(contents),
                ..
            } => *contents,
            _ => *target,
        }
    }

    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &NodeId, new_node: NodeOrText<NodeId>) {
        let prev = self.nodes.borrow()[*sibling].prev;
        self.place(new_node, prev, |node| self.insert_before(*sibling, node));
    }

    fn add_attrs_if_missing(&self, target: &NodeId, new: Vec<Attribute>) {
        if let Data::Element { attrs, .. } = &mut self.nodes.borrow_mut()[*target].data {
            for attr in new {
                if !attrs.iter().any(|a| a.name == attr.name) {
                    attrs.push(attr);
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &NodeId) {
        self.detach(*target);
    }

    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        let mut child = self.nodes.borrow()[*node].first_child;
        while let Some(c) = child {
            child = self.nodes.borrow()[c].next;
            self.append_node(*new_parent, c);
        }
    }

    fn set_current_line(&self, line_number: u64) {
        self.line
            .set(usize::try_from(line_number).unwrap_or(usize::MAX));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_know_their_lines() {
        let dom = Dom::parse("<html>\n<body>\n<h2>Dose</h2>\n<p>Take\none.</p>\n</body></html>");
        let h2 = dom.descendants(0).find(|&n| dom.tag(n) == "h2").unwrap();
        assert_eq!(dom.nodes[h2].line, 3);
        let p = dom.descendants(0).find(|&n| dom.tag(n) == "p").unwrap();
        let text = dom.children(p).next().unwrap();
        assert_eq!((dom.nodes[text].line, dom.nodes[text].last_line), (4, 5));
        assert_eq!(dom.text(p), "Take one.");
    }

    #[test]
    fn deep_nesting_costs_no_stack() {
        let html = "<div>".repeat(10_000) + "deep";
        let dom = Dom::parse(&html);
        let body = dom.descendants(0).find(|&n| dom.tag(n) == "body").unwrap();
        assert_eq!(dom.text(body), "deep");
    }
}
