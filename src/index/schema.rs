//! The Tantivy schema: which passage fields are indexed (with the health analyzer),
//! which are stored to rebuild the passage for display, and the conversions between a
//! [`Passage`] and an index document.

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, Value, FAST,
    STORED, STRING,
};
use tantivy::TantivyDocument;

use crate::analyze::{self, ANALYZER};
use crate::embed::vectors;
use crate::passage::category::title_section;
use crate::passage::{Category, Kind, Passage};
use crate::search::facets;

/// Handles to the fields of a k2search index.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Passage id (exact match, stored).
    pub id: Field,
    /// Source path relative to the corpus (exact match, for deletes; stored).
    pub path: Field,
    /// Document title (analyzed, stored).
    pub title: Field,
    /// Heading path, one value per heading (analyzed, stored).
    pub headings: Field,
    /// Document aliases (analyzed, stored).
    pub aliases: Field,
    /// Passage text (analyzed with positions, stored).
    pub body: Field,
    /// `section`, `faq` or `intro` (exact, stored).
    pub kind: Field,
    /// Category name (exact, stored).
    pub category: Field,
    /// The category as a number (its place in [`Category::ALL`]), a fast field for
    /// ranking.
    pub category_code: Field,
    /// A number drawn from the passage's id (fast field): equal scores rank in its
    /// order, so that two builds of one corpus rank alike (document addresses depend
    /// on the indexing threads).
    pub order: Field,
    /// Topic keys of the document: its title and aliases as [`analyze::topic_key`]s
    /// (exact, not stored). Passages of a document about a query's focus are found by
    /// them.
    pub topic: Field,
    /// Keys of parts of the title and aliases ([`analyze::topic_part_keys`]).
    pub topic_part: Field,
    /// First line (stored).
    pub line_start: Field,
    /// Last line (stored).
    pub line_end: Field,
    /// Byte start (stored).
    pub byte_start: Field,
    /// Byte end (stored).
    pub byte_end: Field,
    /// First page, for a PDF (stored; absent for other formats).
    pub page_start: Field,
    /// Last page, for a PDF (stored).
    pub page_end: Field,
    /// Front-matter metadata as a JSON object string (stored only).
    pub metadata: Field,
    /// Front-matter metadata as exact `key=value` terms, one per field (indexed and
    /// fast, not stored): filters and facet counts ([`crate::search::facets`]).
    pub meta: Field,
    /// The passage's embedding, when the index was built with a model (bytes fast
    /// field, see [`crate::embed::vectors`]).
    pub vector: Field,
    /// Hash of the text the embedding was made from (fast field), to reuse it.
    pub vector_key: Field,
    /// The embeddings of the passage's windows past its start, one after the other,
    /// when the index embeds windows (bytes fast field, see [`crate::embed::Windows`]).
    pub vector_windows: Field,
}

/// The name of the [`Fields::order`] fast field.
pub const ORDER_FIELD: &str = "order";

/// The tie order of a passage: the first 8 bytes of its id's BLAKE3 hash.
pub fn order_of(id: &str) -> u64 {
    let hash = blake3::hash(id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.as_bytes()[..8]);
    u64::from_le_bytes(first)
}

/// Builds the schema and its field handles.
pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let analyzed = |stored: bool| {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let options = TextOptions::default().set_indexing_options(indexing);
        if stored {
            options.set_stored()
        } else {
            options
        }
    };
    let stored_u64 = NumericOptions::default().set_stored();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        path: b.add_text_field("path", STRING | STORED),
        title: b.add_text_field("title", analyzed(true)),
        headings: b.add_text_field("headings", analyzed(true)),
        aliases: b.add_text_field("aliases", analyzed(true)),
        body: b.add_text_field("body", analyzed(true)),
        kind: b.add_text_field("kind", STRING | STORED),
        category: b.add_text_field("category", STRING | STORED),
        category_code: b.add_u64_field("category_code", FAST),
        order: b.add_u64_field(ORDER_FIELD, FAST),
        topic: b.add_text_field("topic", STRING),
        topic_part: b.add_text_field("topic_part", STRING),
        line_start: b.add_u64_field("line_start", stored_u64.clone()),
        line_end: b.add_u64_field("line_end", stored_u64.clone()),
        byte_start: b.add_u64_field("byte_start", stored_u64.clone()),
        byte_end: b.add_u64_field("byte_end", stored_u64.clone()),
        page_start: b.add_u64_field("page_start", stored_u64.clone()),
        page_end: b.add_u64_field("page_end", stored_u64),
        metadata: b.add_text_field("metadata", STORED),
        meta: b.add_text_field(facets::META_FIELD, STRING | FAST),
        vector: b.add_bytes_field(vectors::VECTOR_FIELD, FAST),
        vector_key: b.add_u64_field(vectors::KEY_FIELD, FAST),
        vector_windows: b.add_bytes_field(vectors::WINDOWS_FIELD, FAST),
    };
    (b.build(), fields)
}

/// The topic keys of an article's names (title and aliases), as indexed in the
/// `topic` and `topic_part` fields.
#[derive(Debug, Clone, Default)]
struct TopicKeys {
    /// [`analyze::topic_key`] of each name that has one, in order.
    keys: Vec<String>,
    /// [`analyze::topic_part_keys`] of all names, sorted and deduplicated.
    parts: Vec<String>,
}

impl TopicKeys {
    /// The keys of a title and its aliases; a title that names a section of its topic
    /// ("Appendicitis (Treatment)") is also keyed under the topic's name alone, so a
    /// question about the topic lifts it as it lifts the topic's own article.
    fn of(title: &str, aliases: &[String]) -> TopicKeys {
        let mut topic = TopicKeys::default();
        let section_topic = title_section(title).map(|(_, name)| name);
        let names = std::iter::once(title)
            .chain(section_topic.as_deref())
            .chain(aliases.iter().map(String::as_str));
        for name in names {
            if let Some(abbreviation) = analyze::abbreviation_key(name, false) {
                topic.keys.push(abbreviation);
                continue;
            }
            let (key, parts) = analyze::topic_keys(name);
            if !key.is_empty() {
                topic.keys.push(key);
            }
            topic.parts.extend(parts);
        }
        topic.parts.sort();
        topic.parts.dedup();
        topic
    }
}

impl Fields {
    /// The four text fields a query searches, in the order their weights are given
    /// (title, headings, aliases, body).
    pub fn text(&self) -> [Field; 4] {
        [self.title, self.headings, self.aliases, self.body]
    }

    /// Looks the fields up by name in an existing index's schema.
    pub fn from_schema(schema: &Schema) -> Option<Fields> {
        let f = |name: &str| schema.get_field(name).ok();
        Some(Fields {
            id: f("id")?,
            path: f("path")?,
            title: f("title")?,
            headings: f("headings")?,
            aliases: f("aliases")?,
            body: f("body")?,
            kind: f("kind")?,
            category: f("category")?,
            category_code: f("category_code")?,
            order: f(ORDER_FIELD)?,
            topic: f("topic")?,
            topic_part: f("topic_part")?,
            line_start: f("line_start")?,
            line_end: f("line_end")?,
            byte_start: f("byte_start")?,
            byte_end: f("byte_end")?,
            page_start: f("page_start")?,
            page_end: f("page_end")?,
            metadata: f("metadata")?,
            meta: f(facets::META_FIELD)?,
            vector: f(vectors::VECTOR_FIELD)?,
            vector_key: f(vectors::KEY_FIELD)?,
            vector_windows: f(vectors::WINDOWS_FIELD)?,
        })
    }

    /// The index documents for passages, in order. Passages of one article share its
    /// title and aliases, so their topic keys are analyzed once per run of equal names
    /// rather than once per passage (they were a tenth of the indexing time).
    pub fn to_documents<'a>(
        &'a self,
        passages: &'a [Passage],
    ) -> impl Iterator<Item = TantivyDocument> + 'a {
        let mut keys: Option<(&Passage, TopicKeys)> = None;
        passages.iter().map(move |p| {
            let other_names = keys
                .as_ref()
                .is_some_and(|(q, _)| q.title != p.title || q.aliases != p.aliases);
            if other_names {
                keys = None;
            }
            let (_, topic) = keys.get_or_insert_with(|| (p, TopicKeys::of(&p.title, &p.aliases)));
            self.document_with(p, topic)
        })
    }

    /// The index document for a passage whose topic keys are already known.
    fn document_with(&self, p: &Passage, topic: &TopicKeys) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(self.id, &p.id);
        doc.add_text(self.path, &p.path);
        doc.add_text(self.title, &p.title);
        for heading in &p.headings {
            doc.add_text(self.headings, heading);
        }
        for alias in &p.aliases {
            doc.add_text(self.aliases, alias);
        }
        doc.add_text(self.body, &p.text);
        doc.add_text(self.kind, p.kind.as_str());
        doc.add_text(self.category, p.category.as_str());
        doc.add_u64(self.category_code, p.category.code());
        doc.add_u64(self.order, order_of(&p.id));
        for key in &topic.keys {
            doc.add_text(self.topic, key);
        }
        for part in &topic.parts {
            doc.add_text(self.topic_part, part);
        }
        doc.add_u64(self.line_start, p.line_start as u64);
        doc.add_u64(self.line_end, p.line_end as u64);
        doc.add_u64(self.byte_start, p.byte_start as u64);
        doc.add_u64(self.byte_end, p.byte_end as u64);
        for (field, page) in [(self.page_start, p.page_start), (self.page_end, p.page_end)] {
            if let Some(page) = page {
                doc.add_u64(field, page as u64);
            }
        }
        for (key, value) in &p.metadata {
            if let Some(term) = facets::meta_term(key, value) {
                doc.add_text(self.meta, term);
            }
        }
        if !p.metadata.is_empty() {
            doc.add_text(
                self.metadata,
                serde_json::to_string(&p.metadata).unwrap_or_default(),
            );
        }
        doc
    }

    /// The passage stored in an index document.
    pub fn to_passage(&self, doc: &TantivyDocument) -> Passage {
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        };
        let all = |field| {
            doc.get_all(field)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect::<Vec<_>>()
        };
        let page = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_u64())
                .map(|n| n as usize)
        };
        let num = |field| page(field).unwrap_or(0);
        Passage {
            id: text(self.id),
            path: text(self.path),
            title: text(self.title),
            headings: all(self.headings),
            kind: Kind::parse(&text(self.kind)).unwrap_or(Kind::Section),
            category: Category::parse(&text(self.category)).unwrap_or(Category::Overview),
            line_start: num(self.line_start),
            line_end: num(self.line_end),
            byte_start: num(self.byte_start),
            byte_end: num(self.byte_end),
            text: text(self.body),
            aliases: all(self.aliases),
            metadata: serde_json::from_str(&text(self.metadata)).unwrap_or_default(),
            page_start: page(self.page_start),
            page_end: page(self.page_end),
        }
    }
}
