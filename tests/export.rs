//! `k2search export`: runs the real binary on the bundled corpus (plus one article with
//! front matter, so `aliases` and `metadata` are filled) and checks that the exported
//! fields and JSON types agree with the shipped Quickwit and OpenSearch mappings, in
//! both directions: every exported field is mapped with a fitting type, and every
//! mapped field is exported.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use assert_cmd::Command;
use k2search::passage::Passage;
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

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

/// Field name -> shape of every exported passage (asserting one shape per field).
fn exported_shapes() -> (BTreeMap<String, Shape>, Vec<Passage>) {
    let work = tempfile::tempdir().unwrap();
    let corpus = work.path().join("corpus");
    fs::create_dir(&corpus).unwrap();
    for entry in fs::read_dir(Path::new(ROOT).join("corpus")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), corpus.join(entry.file_name())).unwrap();
    }
    fs::copy(
        Path::new(ROOT).join("tests/fixtures/export/metformin.md"),
        corpus.join("metformin.md"),
    )
    .unwrap();
    let index = work.path().join("index");
    let k2 = || Command::cargo_bin("k2search").unwrap();
    k2().args(["index", "--quiet", "--corpus"])
        .arg(&corpus)
        .arg("--index")
        .arg(&index)
        .assert()
        .success();
    let out = k2()
        .args(["export", "--format", "ndjson", "--index"])
        .arg(&index)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut shapes = BTreeMap::new();
    let mut records = Vec::new();
    for line in text.lines() {
        let object: BTreeMap<String, Value> = serde_json::from_str(line).unwrap();
        for (name, value) in &object {
            let shape = shape_of(value).unwrap_or_else(|| panic!("{name}: {value}"));
            let first = *shapes.entry(name.clone()).or_insert(shape);
            assert_eq!(first, shape, "field {name} changes type: {line}");
        }
        records.push(serde_json::from_str::<Passage>(line).unwrap());
    }
    (shapes, records)
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
    let (shapes, records) = exported_shapes();
    let names: BTreeSet<&str> = shapes.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = [
        "id",
        "path",
        "title",
        "headings",
        "kind",
        "category",
        "line_start",
        "line_end",
        "byte_start",
        "byte_end",
        "text",
        "aliases",
        "metadata",
    ]
    .into_iter()
    .collect();
    assert_eq!(names, expected);
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
    let (shapes, _) = exported_shapes();
    let yaml =
        fs::read_to_string(Path::new(ROOT).join("deploy/quickwit/k2search-index.yaml")).unwrap();
    let config: serde_yaml_ng::Value = serde_yaml_ng::from_str(&yaml).unwrap();
    let mapping = &config["doc_mapping"];
    assert_eq!(mapping["mode"].as_str(), Some("strict"));
    let mut mapped = BTreeMap::new();
    for field in mapping["field_mappings"].as_sequence().unwrap() {
        let name = field["name"].as_str().unwrap().to_string();
        let ty = field["type"].as_str().unwrap();
        let shape = quickwit_shape(ty).unwrap_or_else(|| panic!("{name}: type {ty}"));
        if field["tokenizer"].as_str() == Some("en_stem") {
            assert_eq!(field["record"].as_str(), Some("position"), "{name}");
            assert_eq!(field["fieldnorms"].as_bool(), Some(true), "{name}");
        }
        mapped.insert(name, shape);
    }
    assert_eq!(mapped, shapes, "Quickwit mapping vs export (name -> type)");
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
    }
}

#[test]
fn opensearch_mapping_fits_export() {
    let (shapes, _) = exported_shapes();
    let json = fs::read_to_string(Path::new(ROOT).join("deploy/opensearch/k2search-mapping.json"))
        .unwrap();
    let config: Value = serde_json::from_str(&json).unwrap();
    let mappings = &config["mappings"];
    assert_eq!(mappings["dynamic"].as_str(), Some("strict"));
    let properties = mappings["properties"].as_object().unwrap();
    let mapped: BTreeSet<&str> = properties.keys().map(String::as_str).collect();
    let exported: BTreeSet<&str> = shapes.keys().map(String::as_str).collect();
    assert_eq!(mapped, exported, "OpenSearch mapping vs export (names)");
    for (name, shape) in &shapes {
        let ty = properties[name]["type"].as_str().unwrap();
        assert!(
            opensearch_shapes(ty).contains(shape),
            "{name}: exported as {shape:?}, mapped as {ty}"
        );
    }
}
