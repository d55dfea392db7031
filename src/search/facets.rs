//! Facets and filters: counts of the matching passages per category and per value of
//! any front-matter field a request names, and filters on front-matter fields.
//!
//! Each front-matter field of a passage's document is indexed as one exact term
//! `key=value` in the `meta` field, which is also a fast (columnar) field: a
//! [`Filter`] is a term query on it, and [`FacetCollector`] counts the values of every
//! matching passage (not only the page of hits) from the column while the text query
//! runs, in the same pass.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::schema::Field;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader, Term};

use crate::error::{Error, Result};
use crate::passage::Category;

/// The facet (and filter) name of the passage category; every other name is a
/// front-matter field.
pub const CATEGORY: &str = "category";

/// The name of the indexed field of `key=value` terms.
pub const META_FIELD: &str = "meta";

/// Longest front-matter value indexed for filters and facets, in bytes (a longer one
/// is cut, at a character boundary).
pub const MAX_VALUE_BYTES: usize = 256;

/// Most values listed per facet field, the most frequent first.
pub const MAX_FACET_VALUES: usize = 100;

/// The indexed term of one front-matter field (`source=MPlusDrugs`), or `None` for a
/// key no filter can name (empty, or holding `=` or `:`).
pub fn meta_term(key: &str, value: &str) -> Option<String> {
    if key.is_empty() || key.contains(['=', ':']) {
        return None;
    }
    let mut end = value.len().min(MAX_VALUE_BYTES);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    Some(format!("{key}={}", &value[..end]))
}

/// A filter on a front-matter field (or the category): only passages whose document
/// has `field: value`. Written `field:value` (`source:MPlusDrugs`), in JSON too.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Filter {
    /// The front-matter field (or `category`).
    pub field: String,
    /// The value it must have, exactly.
    pub value: String,
}

impl FromStr for Filter {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Filter, String> {
        let (field, value) = text.split_once(':').ok_or_else(|| {
            format!("filter {text:?} is not FIELD:VALUE (e.g. source:MPlusDrugs)")
        })?;
        let (field, value) = (field.trim(), value.trim());
        if field.is_empty() || value.is_empty() || field.contains('=') {
            return Err(format!(
                "filter {text:?} is not FIELD:VALUE (e.g. source:MPlusDrugs)"
            ));
        }
        if field == CATEGORY {
            Category::parse_or_list(value)?;
        }
        Ok(Filter {
            field: field.to_string(),
            value: value.to_string(),
        })
    }
}

impl TryFrom<String> for Filter {
    type Error = String;

    fn try_from(text: String) -> std::result::Result<Filter, String> {
        text.parse()
    }
}

impl From<Filter> for String {
    fn from(filter: Filter) -> String {
        filter.to_string()
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}:{}", self.field, self.value)
    }
}

impl Filter {
    /// The indexed term the filter asks for: in the category field, or `meta`.
    pub fn term(&self, category: Field, meta: Field) -> Term {
        match Category::parse_or_list(&self.value) {
            Ok(c) if self.field == CATEGORY => Term::from_field_text(category, c.as_str()),
            _ => Term::from_field_text(
                meta,
                &meta_term(&self.field, &self.value).unwrap_or_default(),
            ),
        }
    }
}

/// One value of a facet with the number of matching passages that have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetCount {
    /// The category name or front-matter value.
    pub value: String,
    /// Matching passages with it.
    pub count: usize,
}

/// Facet counts by field name, each field's values most frequent first.
pub type Facets = BTreeMap<String, Vec<FacetCount>>;

/// The front-matter field names of the index: the keys of its `meta` terms (a walk of
/// the whole dictionary, for error messages).
pub fn field_names(searcher: &tantivy::Searcher, meta: Field) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(meta) else {
            continue;
        };
        let Ok(mut stream) = inverted.terms().stream() else {
            continue;
        };
        while stream.advance() {
            let Ok(term) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            if let Some((key, _)) = term.split_once('=') {
                if names.last().map(String::as_str) != Some(key) {
                    names.push(key.to_string());
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Whether some passage has the front-matter field `name`: a look at the start of its
/// `name=` range of the term dictionaries.
fn has_field(searcher: &tantivy::Searcher, meta: Field, name: &str) -> bool {
    searcher.segment_readers().iter().any(|segment| {
        let Ok(inverted) = segment.inverted_index(meta) else {
            return false;
        };
        // `=` is followed by `>` in byte order: the range holds `name=…` only.
        let range = inverted
            .terms()
            .range()
            .ge(format!("{name}="))
            .lt(format!("{name}>"));
        range.into_stream().is_ok_and(|mut stream| stream.advance())
    })
}

/// Checks that every facet and filter names `category` or a front-matter field of
/// the index; the error lists the fields there are.
pub fn check_names<'a>(
    searcher: &tantivy::Searcher,
    meta: Field,
    mut names: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<()> {
    let unknown = names.find(|(_, name)| *name != CATEGORY && !has_field(searcher, meta, name));
    let Some((what, name)) = unknown else {
        return Ok(());
    };
    let mut all = vec![CATEGORY.to_string()];
    all.extend(field_names(searcher, meta));
    Err(Error::BadRequest(format!(
        "unknown {what} field {name:?}; this index has: {}",
        all.join(", ")
    )))
}

/// Counts the category and the front-matter values of every passage a query matches.
pub struct FacetCollector {
    /// The requested front-matter fields (not `category`).
    fields: Vec<String>,
    /// Whether the category is requested.
    category: bool,
}

impl FacetCollector {
    /// A collector for the facets `names` (`category` and front-matter fields).
    pub fn new(names: &[String]) -> FacetCollector {
        FacetCollector {
            fields: names.iter().filter(|n| *n != CATEGORY).cloned().collect(),
            category: names.iter().any(|n| n == CATEGORY),
        }
    }
}

/// [`FacetCollector`] on one segment.
pub struct FacetSegment {
    categories: Option<Column<u64>>,
    /// Passages per category code (a slot per [`Category::ALL`]): an array, not a
    /// map, as it is bumped once per matching passage.
    category_counts: Vec<usize>,
    /// The meta column's term ords, when front-matter fields are counted.
    meta: Option<Column<u64>>,
    /// Each requested field's run of term ords (`key=…` terms sort together): its
    /// first ord, and where its values start in `values`.
    runs: Vec<(u64, u64, usize)>,
    /// (field, value) of each counted term, and its count.
    values: Vec<((String, String), usize)>,
}

/// What one segment counted: (field, value) → passages.
type Tally = HashMap<(String, String), usize>;

impl FacetCollector {
    /// The meta column of a segment and the runs of term ords of the requested fields,
    /// read from its dictionary once (only those ranges of it).
    fn meta_runs(
        &self,
        segment: &SegmentReader,
    ) -> tantivy::Result<Option<(Column<u64>, FieldRuns)>> {
        if self.fields.is_empty() {
            return Ok(None);
        }
        let Some(column) = segment.fast_fields().str(META_FIELD)? else {
            return Ok(None);
        };
        let mut runs = Vec::new();
        let mut values = Vec::new();
        for field in &self.fields {
            // `=` is followed by `>` in byte order: the range holds `field=…` only.
            let mut stream = column
                .dictionary()
                .range()
                .ge(format!("{field}="))
                .lt(format!("{field}>"))
                .into_stream()?;
            let mut first = None;
            let start = values.len();
            while stream.advance() {
                first.get_or_insert(stream.term_ord());
                let term = String::from_utf8_lossy(stream.key());
                let value = term.split_once('=').map_or("", |(_, v)| v).to_string();
                values.push(((field.clone(), value), 0));
            }
            if let Some(first) = first {
                runs.push((first, (values.len() - start) as u64, start));
            }
        }
        let (_, ords) = column.into_parts();
        Ok(Some((ords, (runs, values))))
    }
}

/// Runs of term ords and the (field, value) counts they index (see [`FacetSegment`]).
type FieldRuns = (Vec<(u64, u64, usize)>, Vec<((String, String), usize)>);

impl Collector for FacetCollector {
    type Fruit = Facets;
    type Child = FacetSegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<FacetSegment> {
        let (meta, (runs, values)) = match self.meta_runs(segment)? {
            Some((column, runs)) => (Some(column), runs),
            None => (None, Default::default()),
        };
        Ok(FacetSegment {
            categories: if self.category {
                segment.fast_fields().u64("category_code").ok()
            } else {
                None
            },
            category_counts: vec![0; Category::ALL.len()],
            meta,
            runs,
            values,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, tallies: Vec<Tally>) -> tantivy::Result<Facets> {
        let mut total: Tally = HashMap::new();
        for tally in tallies {
            for (key, n) in tally {
                *total.entry(key).or_insert(0) += n;
            }
        }
        let mut facets: Facets = BTreeMap::new();
        if self.category {
            facets.insert(CATEGORY.to_string(), Vec::new());
        }
        for field in &self.fields {
            facets.insert(field.clone(), Vec::new());
        }
        for ((field, value), count) in total {
            if let Some(values) = facets.get_mut(&field) {
                values.push(FacetCount { value, count });
            }
        }
        for values in facets.values_mut() {
            values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            values.truncate(MAX_FACET_VALUES);
        }
        Ok(facets)
    }
}

impl SegmentCollector for FacetSegment {
    type Fruit = Tally;

    fn collect(&mut self, doc: DocId, _: Score) {
        if let Some(code) = self.categories.as_ref().and_then(|c| c.first(doc)) {
            if let Some(n) = usize::try_from(code)
                .ok()
                .and_then(|c| self.category_counts.get_mut(c))
            {
                *n += 1;
            }
        }
        if let Some(meta) = &self.meta {
            for ord in meta.values_for_doc(doc) {
                let run = self
                    .runs
                    .iter()
                    .find(|(first, len, _)| ord >= *first && ord < first + len);
                if let Some((first, _, start)) = run {
                    self.values[start + (ord - first) as usize].1 += 1;
                }
            }
        }
    }

    fn harvest(self) -> Tally {
        let mut tally: Tally = self.values.into_iter().filter(|(_, n)| *n > 0).collect();
        for (category, n) in Category::ALL.iter().zip(self.category_counts) {
            if n > 0 {
                tally.insert((CATEGORY.to_string(), category.as_str().to_string()), n);
            }
        }
        tally
    }
}

/// Whether a passage passes the filters, read from the columns (for passages found by
/// vector, not by the filtered text query).
pub struct FilterColumns {
    /// Per segment: the meta column and the term ords each filter needs (`None`: a
    /// value no passage of the segment has).
    segments: Vec<Option<(StrColumn, Vec<Option<u64>>)>>,
}

impl FilterColumns {
    /// The columns of `searcher` for the front-matter `filters` (category filters are
    /// checked by the caller).
    pub fn new(searcher: &tantivy::Searcher, filters: &[&Filter]) -> FilterColumns {
        let segments = searcher
            .segment_readers()
            .iter()
            .map(|segment| {
                let column = segment.fast_fields().str(META_FIELD).ok().flatten()?;
                let ords = filters
                    .iter()
                    .map(|f| {
                        let term = meta_term(&f.field, &f.value)?;
                        column.dictionary().term_ord(term.as_bytes()).ok().flatten()
                    })
                    .collect();
                Some((column, ords))
            })
            .collect();
        FilterColumns { segments }
    }

    /// Whether the passage at `address` has every filtered value.
    pub fn matches(&self, address: DocAddress) -> bool {
        let Some(Some((column, ords))) = self.segments.get(address.segment_ord as usize) else {
            return false;
        };
        ords.iter()
            .all(|ord| ord.is_some_and(|ord| column.term_ords(address.doc_id).any(|o| o == ord)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_field_colon_value() {
        let f: Filter = "source:MPlusDrugs".parse().unwrap();
        assert_eq!(
            (f.field.as_str(), f.value.as_str()),
            ("source", "MPlusDrugs")
        );
        assert_eq!(f.to_string(), "source:MPlusDrugs");
        let url: Filter = "url:http://x.org/a".parse().unwrap();
        assert_eq!(url.value, "http://x.org/a");
        for bad in ["nocolon", ":x", "source:", "a=b:c", "category:bogus"] {
            assert!(bad.parse::<Filter>().is_err(), "{bad}");
        }
        let json: Vec<Filter> = serde_json::from_str(r#"["source:CDC"]"#).unwrap();
        assert_eq!(serde_json::to_string(&json).unwrap(), r#"["source:CDC"]"#);
    }

    #[test]
    fn meta_terms_are_key_equals_a_bounded_value() {
        assert_eq!(meta_term("source", "CDC").as_deref(), Some("source=CDC"));
        assert_eq!(meta_term("a:b", "x"), None);
        let long = "é".repeat(200);
        let term = meta_term("k", &long).unwrap();
        assert!(term.len() <= MAX_VALUE_BYTES + 2);
    }
}
