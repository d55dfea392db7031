//! YAML front matter: `---` … `---` at the top of an article.
//!
//! Scalar fields become metadata (`title` is the document title), a list under
//! `synonyms`/`aliases`/`alternate_names` becomes the document's aliases, and a `faqs`
//! list of `q`/`a` items becomes FAQ entries with the lines they stand on, as written
//! (the passage stage cleans them). The YAML
//! parser (serde_yaml_ng) bounds recursion depth and alias expansion, so hostile front
//! matter costs bounded time and memory. Malformed or unclosed front matter is a
//! warning; the body is indexed all the same.

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

use super::DeclaredFaq;
use crate::source::lines::LineIndex;

/// Front matter larger than this is not parsed (a warning says so): real front matter
/// is a few KiB, and YAML parsing is the one super-linear step of reading a file.
const MAX_FRONT_MATTER_BYTES: usize = 256 * 1024;

/// Front matter whose `[`/`{` flow collections nest deeper than this is not parsed (a
/// warning says so): the YAML scanner's work grows with the square of that depth, and
/// real front matter nests two or three levels.
const MAX_FLOW_DEPTH: usize = 32;

/// Keys whose list values name the document's alternate names.
const ALIAS_KEYS: &[&str] = &["synonyms", "aliases", "alternate_names", "also_known_as"];

/// What the front matter of one article holds.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FrontMatter {
    /// The `title` field.
    pub title: Option<String>,
    /// Other scalar fields, as strings.
    pub metadata: BTreeMap<String, String>,
    /// Alternate names of the document's subject.
    pub aliases: Vec<String>,
    /// FAQ entries from a `faqs` list.
    pub faqs: Vec<DeclaredFaq>,
    /// Byte offset where the body (after the closing `---`) starts.
    pub body_start: usize,
}

/// A problem found in the front matter, with its 1-based line.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontMatterIssue {
    /// The line the problem is on.
    pub line: usize,
    /// What is wrong and what k2search did.
    pub message: String,
}

/// Splits off and parses the front matter of `text`. Returns the default (empty) front
/// matter, body starting at 0, when the text has none.
pub fn parse(text: &str, lines: &LineIndex) -> (FrontMatter, Vec<FrontMatterIssue>) {
    let mut issues = Vec::new();
    let Some(first) = first_line(text) else {
        return (FrontMatter::default(), issues);
    };
    if first.trim_end() != "---" {
        return (FrontMatter::default(), issues);
    }
    let Some((yaml_end, body_start, close_line)) = find_close(text, lines) else {
        issues.push(FrontMatterIssue {
            line: 1,
            message:
                "front matter opened with `---` is never closed; the whole file is indexed as text"
                    .into(),
        });
        return (FrontMatter::default(), issues);
    };
    let yaml_start = lines.range(text, 2).start.min(yaml_end);
    let mut fm = FrontMatter {
        body_start,
        ..FrontMatter::default()
    };
    match read_mapping(&text[yaml_start..yaml_end], close_line) {
        Ok(Some(map)) => read_fields(&mut fm, map, text, lines, close_line),
        Ok(None) => {}
        Err(issue) => issues.push(issue),
    }
    (fm, issues)
}

/// The front matter's `key: value` mapping; `None` when it is empty; an issue when it
/// is too big, too deeply nested, malformed or not a mapping.
fn read_mapping(
    yaml: &str,
    close_line: usize,
) -> Result<Option<serde_yaml_ng::Mapping>, FrontMatterIssue> {
    let issue = |line: usize, message: String| FrontMatterIssue { line, message };
    if yaml.len() > MAX_FRONT_MATTER_BYTES {
        return Err(issue(
            2,
            format!(
                "front matter is over {} KiB, not read; the body is indexed",
                MAX_FRONT_MATTER_BYTES / 1024
            ),
        ));
    }
    if flow_depth(yaml) > MAX_FLOW_DEPTH {
        return Err(issue(
            2,
            format!(
                "front matter nests `[`/`{{` deeper than {MAX_FLOW_DEPTH} levels, not read; the body is indexed"
            ),
        ));
    }
    let value: Value = serde_yaml_ng::from_str(yaml).map_err(|e| {
        let line = e.location().map(|l| l.line() + 1).unwrap_or(2);
        issue(
            line.min(close_line),
            format!("malformed front matter ({e}); its fields are ignored, the body is indexed"),
        )
    })?;
    match value {
        Value::Mapping(map) => Ok(Some(map)),
        Value::Null => Ok(None),
        _ => Err(issue(
            2,
            "front matter is not a key: value mapping; ignored".into(),
        )),
    }
}

/// Takes the title, aliases, FAQs and other metadata from the front matter's mapping.
fn read_fields(
    fm: &mut FrontMatter,
    map: serde_yaml_ng::Mapping,
    text: &str,
    lines: &LineIndex,
    close_line: usize,
) {
    let mut raw_faqs = Vec::new();
    for (key, value) in map {
        let Some(key) = key.as_str() else { continue };
        let key = key.to_ascii_lowercase();
        if let Some(scalar) = scalar_string(&value) {
            if key == "title" {
                fm.title = Some(scalar.trim().to_string()).filter(|t| !t.is_empty());
            } else {
                fm.metadata.insert(key, scalar);
            }
        } else if ALIAS_KEYS.contains(&key.as_str()) {
            fm.aliases.extend(string_list(&value));
        } else if key == "faqs" || key == "faq" {
            raw_faqs = faq_items(&value);
        }
    }
    let spans = faq_item_spans(text, lines, close_line);
    for (i, (question, answer)) in raw_faqs.into_iter().enumerate() {
        let (line_start, line_end) = spans.get(i).copied().unwrap_or((2, close_line - 1));
        fm.faqs.push(DeclaredFaq {
            question,
            answer,
            line_start,
            line_end,
        });
    }
}

/// The deepest nesting of `[`/`{` in `yaml`, counting brackets inside quoted strings
/// too: an over-estimate that only real front matter full of brackets could trip.
fn flow_depth(yaml: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in yaml.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn first_line(text: &str) -> Option<&str> {
    text.split(['\n', '\r']).next()
}

/// Finds the closing `---` (or `...`) line: returns the YAML end offset, the body start
/// offset and the closing line's number.
fn find_close(text: &str, lines: &LineIndex) -> Option<(usize, usize, usize)> {
    (2..=lines.count()).find_map(|line| {
        let range = lines.range(text, line);
        let content = text[range.clone()].trim_end();
        if content == "---" || content == "..." {
            let body_start = if line < lines.count() {
                lines.range(text, line + 1).start
            } else {
                text.len()
            };
            Some((range.start, body_start, line))
        } else {
            None
        }
    })
}

fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string_list(value: &Value) -> Vec<String> {
    match value {
        Value::Sequence(items) => items
            .iter()
            .filter_map(scalar_string)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        other => scalar_string(other).into_iter().collect(),
    }
}

fn faq_items(value: &Value) -> Vec<(String, String)> {
    let Value::Sequence(items) = value else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let get = |keys: &[&str]| {
                keys.iter()
                    .find_map(|k| item.get(*k).and_then(scalar_string))
            };
            Some((
                get(&["q", "question"])?,
                get(&["a", "answer"]).unwrap_or_default(),
            ))
        })
        .collect()
}

/// Line spans of the `- q:` items of a `faqs` list, in order.
fn faq_item_spans(text: &str, lines: &LineIndex, close_line: usize) -> Vec<(usize, usize)> {
    let starts: Vec<usize> = (2..close_line)
        .filter(|&line| {
            let content = text[lines.range(text, line)].trim_start();
            content
                .strip_prefix('-')
                .map(|rest| {
                    let rest = rest.trim_start();
                    rest.starts_with("q:") || rest.starts_with("question:")
                })
                .unwrap_or(false)
        })
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let mut end = starts.get(i + 1).map_or(close_line - 1, |next| next - 1);
            while end > start && text[lines.range(text, end)].trim().is_empty() {
                end -= 1;
            }
            (start, end)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> (FrontMatter, Vec<FrontMatterIssue>) {
        parse(text, &LineIndex::new(text))
    }

    #[test]
    fn scalars_title_aliases() {
        let (fm, issues) =
            parse_str("---\ntitle: Gout\nsource: GARD\nsynonyms:\n  - podagra\n---\n# Gout\n");
        assert!(issues.is_empty());
        assert_eq!(fm.title.as_deref(), Some("Gout"));
        assert_eq!(fm.metadata["source"], "GARD");
        assert_eq!(fm.aliases, vec!["podagra"]);
        assert_eq!(
            &"---\ntitle: Gout\nsource: GARD\nsynonyms:\n  - podagra\n---\n# Gout\n"
                [fm.body_start..],
            "# Gout\n"
        );
    }

    #[test]
    fn faq_items_and_their_lines() {
        let text = "---\nfaqs:\n  - q: |-\n      What is it?**\n      **A:** A thing.\n    a: 'A:** A thing.'\n  - q: Why?\n    a: Because.\n---\nbody\n";
        let (fm, _) = parse_str(text);
        assert_eq!(fm.faqs.len(), 2);
        assert_eq!(fm.faqs[0].question, "What is it?**\n**A:** A thing.");
        assert_eq!((fm.faqs[0].line_start, fm.faqs[0].line_end), (3, 6));
        assert_eq!((fm.faqs[1].line_start, fm.faqs[1].line_end), (7, 8));
    }

    #[test]
    fn unclosed_and_malformed_front_matter_warn() {
        let (fm, issues) = parse_str("---\ntitle: x\nno end\n");
        assert_eq!(fm.body_start, 0);
        assert_eq!(issues[0].line, 1);
        let (fm, issues) = parse_str("---\ntitle: [unclosed\n---\nbody");
        assert_eq!(fm.body_start, "---\ntitle: [unclosed\n---\n".len());
        assert!(issues[0].message.contains("malformed"));
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut yaml = String::from("---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (i, prev) in ["a", "b", "c", "d", "e", "f", "g", "h"].iter().enumerate() {
            let name = (b'b' + i as u8) as char;
            yaml.push_str(&format!("{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
        }
        yaml.push_str("---\nbody\n");
        let (_, issues) = parse_str(&yaml);
        assert_eq!(issues.len(), 1);
    }

    #[test]
    fn deep_flow_nesting_is_not_parsed() {
        let text = format!("---\na: {}\n---\nbody\n", "{a: [".repeat(20_000));
        let (fm, issues) = parse_str(&text);
        assert!(issues[0].message.contains("deeper than"), "{issues:?}");
        assert_eq!(&text[fm.body_start..], "body\n");
        let (_, issues) = parse_str("---\na: [[[1], {b: [2]}]]\n---\nbody\n");
        assert!(issues.is_empty(), "{issues:?}");
    }
}
