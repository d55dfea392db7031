//! `k2search export`: runs the real binary on the bundled corpus (plus one article with
//! front matter, so `aliases` and `metadata` are filled, and a PDF, so the page numbers
//! are) and checks that the exported
//! fields and JSON types agree with the shipped Quickwit and OpenSearch mappings, in
//! both directions: every exported field is mapped with a fitting type, and every
//! mapped field is exported. This is the mapping check of `deploy/README.md`:
//! `cargo test --test tests export::`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use k2search::passage::Passage;
use serde_json::Value;

use crate::util::{Workspace, PASSAGE_FIELDS, PDF_PAGE_FIELDS, ROOT};

/// The JSON shape of a value, as a mapping sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Shape {
    String,
    StringArray,
    UnsignedInteger,
    StringObject,
}

fn shape_of(value: &Value) -> Option<Shape> {
    match value {
        Value::String(_) => Some(Shape::String),
        Value::Number(n) if n.is_u64() => Some(Shape::UnsignedInteger),
        Value::Array(items) if items.iter().all(Value::is_string) => Some(Shape::StringArray),
        Value::Object(map) if map.values().all(Value::is_string) => Some(Shape::StringObject),
        _ => None,
    }
}

/// What the export of the seeds and the fixture holds, made once for this module.
struct Export {
    /// Field name -> JSON shape (one per field: a field that changes type fails).
    shapes: BTreeMap<String, Shape>,
    /// Each line as the raw JSON object it is (the contract is field presence and type).
    objects: Vec<BTreeMap<String, Value>>,
    /// Each line as the library reads it back.
    passages: Vec<Passage>,
}

fn export() -> &'static Export {
    static EXPORT: OnceLock<Export> = OnceLock::new();
    EXPORT.get_or_init(|| {
        let ws = Workspace::seeds();
        ws.write(
            "metformin.md",
            fs::read(Path::new(ROOT).join("tests/fixtures/export/metformin.md")).unwrap(),
        );
        ws.write(
            "leaflet.pdf",
            fs::read(Path::new(ROOT).join("tests/fixtures/pdf/leaflet-bookmarks.pdf")).unwrap(),
        );
        ws.index(&["--quiet"]);
        let text = ws.ok(&["export", "--format", "ndjson"]);
        let mut shapes = BTreeMap::new();
        let mut objects = Vec::new();
        let mut passages = Vec::new();
        for line in text.lines() {
            let object: BTreeMap<String, Value> = serde_json::from_str(line).unwrap();
            for (name, value) in &object {
                let shape = shape_of(value).unwrap_or_else(|| panic!("{name}: {value}"));
                let first = *shapes.entry(name.clone()).or_insert(shape);
                assert_eq!(first, shape, "field {name} changes type: {line}");
            }
            objects.push(object);
            passages.push(serde_json::from_str::<Passage>(line).unwrap());
        }
        Export {
            shapes,
            objects,
            passages,
        }
    })
}

/// Quickwit field type -> the JSON shape it accepts.
fn quickwit_shape(ty: &str) -> Option<Shape> {
    match ty {
        "text" => Some(Shape::String),
        "array<text>" => Some(Shape::StringArray),
        "u64" => Some(Shape::UnsignedInteger),
        "json" => Some(Shape::StringObject),
        _ => None,
    }
}

/// OpenSearch field type -> the JSON shapes it accepts (any field takes an array).
fn opensearch_shapes(ty: &str) -> Vec<Shape> {
    match ty {
        "text" | "keyword" => vec![Shape::String, Shape::StringArray],
        "long" | "unsigned_long" => vec![Shape::UnsignedInteger],
        "object" => vec![Shape::StringObject],
        _ => Vec::new(),
    }
}

#[test]
fn export_writes_every_citation_field() {
    let Export {
        shapes,
        objects,
        passages: records,
    } = export();
    let names: BTreeSet<&str> = shapes.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = PASSAGE_FIELDS.into_iter().collect();
    let with_pages: BTreeSet<&str> = expected.iter().copied().chain(PDF_PAGE_FIELDS).collect();
    assert_eq!(names, with_pages);
    for object in objects {
        let fields: BTreeSet<&str> = object.keys().map(String::as_str).collect();
        let is_pdf = object["path"].as_str().is_some_and(|p| p.ends_with(".pdf"));
        assert_eq!(
            fields,
            *if is_pdf { &with_pages } else { &expected },
            "every passage has every field (a PDF's its pages too): {object:?}"
        );
    }
    let metformin: Vec<_> = records
        .iter()
        .filter(|r| r.path == "metformin.md")
        .collect();
    assert!(metformin.len() >= 2, "{metformin:?}");
    for r in &metformin {
        assert_eq!(r.aliases, ["Glucophage", "dimethylbiguanide"]);
        assert_eq!(
            r.metadata.get("source").map(String::as_str),
            Some("fixture")
        );
    }
    let ids: BTreeSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), records.len(), "passage ids are unique");
}

#[test]
fn quickwit_mapping_fits_export() {
    let shapes = &export().shapes;
    let yaml =
        fs::read_to_string(Path::new(ROOT).join("deploy/quickwit/k2search-index.yaml")).unwrap();
    let config: serde_yaml_ng::Value = serde_yaml_ng::from_str(&yaml).unwrap();
    let mapping = &config["doc_mapping"];
    assert_eq!(mapping["mode"].as_str(), Some("strict"));
    let mut mapped = BTreeMap::new();
    let mut indexed = BTreeMap::new();
    for field in mapping["field_mappings"].as_sequence().unwrap() {
        let name = field["name"].as_str().unwrap().to_string();
        let ty = field["type"].as_str().unwrap();
        let shape = quickwit_shape(ty).unwrap_or_else(|| panic!("{name}: type {ty}"));
        if field["tokenizer"].as_str() == Some("en_stem") {
            assert_eq!(field["record"].as_str(), Some("position"), "{name}");
            assert_eq!(field["fieldnorms"].as_bool(), Some(true), "{name}");
        }
        // Quickwit indexes a field unless told not to.
        indexed.insert(name.clone(), field["indexed"].as_bool() != Some(false));
        mapped.insert(name, shape);
    }
    assert_eq!(&mapped, shapes, "Quickwit mapping vs export (name -> type)");
    let defaults = config["search_settings"]["default_search_fields"]
        .as_sequence()
        .unwrap();
    assert!(!defaults.is_empty());
    for field in defaults {
        let name = field.as_str().unwrap();
        assert!(
            matches!(mapped.get(name), Some(Shape::String | Shape::StringArray)),
            "default search field {name} is not a mapped text field"
        );
        assert!(indexed[name], "default search field {name} is not indexed");
    }
}

#[test]
fn opensearch_mapping_fits_export() {
    let shapes = &export().shapes;
    let json = fs::read_to_string(Path::new(ROOT).join("deploy/opensearch/k2search-mapping.json"))
        .unwrap();
    let config: Value = serde_json::from_str(&json).unwrap();
    let mappings = &config["mappings"];
    assert_eq!(mappings["dynamic"].as_str(), Some("strict"));
    let properties = mappings["properties"].as_object().unwrap();
    let mapped: BTreeSet<&str> = properties.keys().map(String::as_str).collect();
    let exported: BTreeSet<&str> = shapes.keys().map(String::as_str).collect();
    assert_eq!(mapped, exported, "OpenSearch mapping vs export (names)");
    for (name, shape) in shapes {
        let ty = properties[name]["type"].as_str().unwrap();
        assert!(
            opensearch_shapes(ty).contains(shape),
            "{name}: exported as {shape:?}, mapped as {ty}"
        );
    }

    // `metadata` holds strings only: its declared keys must take strings, and if it
    // is strict, every key the export writes must be declared.
    let metadata = &properties["metadata"];
    let declared = metadata["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (key, spec) in &declared {
        let ty = spec["type"].as_str().unwrap_or("object");
        assert!(
            opensearch_shapes(ty).contains(&Shape::String),
            "metadata.{key} is mapped as {ty}, but the export writes strings"
        );
    }
    if metadata["dynamic"].as_str() == Some("strict") {
        for object in &export().objects {
            for key in object["metadata"].as_object().unwrap().keys() {
                assert!(declared.contains_key(key), "metadata.{key} is not mapped");
            }
        }
    }

    // Every analyzer a field names is defined in the settings, or built in.
    let defined = config["settings"]["analysis"]["analyzer"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let builtin = [
        "standard",
        "simple",
        "whitespace",
        "stop",
        "keyword",
        "pattern",
        "fingerprint",
        "english",
    ];
    let mut named = Vec::new();
    collect_analyzers(mappings, &mut named);
    assert!(!named.is_empty(), "no field names an analyzer");
    for analyzer in named {
        assert!(
            defined.contains_key(analyzer) || builtin.contains(&analyzer),
            "analyzer {analyzer} is used but not defined"
        );
    }
}

/// The analyzers named anywhere under `value` (fields, sub-fields, dynamic templates).
fn collect_analyzers<'a>(value: &'a Value, named: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("analyzer" | "search_analyzer", Value::String(name)) => named.push(name),
                    _ => collect_analyzers(value, named),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_analyzers(v, named)),
        _ => {}
    }
}
