//! Bytes in, passages out: `source::decode` then `passage::split` must never panic,
//! and every passage must cite a real place in the file. The first byte picks the
//! format (even: Markdown or plain text, odd: HTML), so one target covers every reader.
#![no_main]

use std::collections::HashSet;

use k2search::passage;
use k2search::source::{self, lines::LineIndex};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, data)) = data.split_first() else {
        return;
    };
    let (name, format) = if choice % 2 == 0 {
        ("fuzz.md", source::Format::Text)
    } else {
        ("fuzz.html", source::Format::Html)
    };
    let Ok((file, _)) = source::decode(name, format, data) else {
        return; // binary or empty: skipped, as it should be
    };
    let (doc, _) = passage::split(&file);
    let text = file.text.as_str();
    let lines = LineIndex::new(text);
    let mut ids = HashSet::new();
    let mut previous_start = 1;
    for p in &doc.passages {
        assert!(p.line_start >= 1, "{p:?}");
        assert!(p.line_start <= p.line_end, "{p:?}");
        assert!(
            p.line_end <= lines.count(),
            "{p:?} beyond {} lines",
            lines.count()
        );
        assert!(
            p.line_start >= previous_start,
            "passages out of order: {p:?}"
        );
        previous_start = p.line_start;
        assert!(
            p.byte_start < p.byte_end && p.byte_end <= text.len(),
            "{p:?}"
        );
        assert!(
            text.is_char_boundary(p.byte_start) && text.is_char_boundary(p.byte_end),
            "{p:?}"
        );
        assert_eq!(p.line_start, lines.line_of(p.byte_start), "{p:?}");
        assert!(!p.text.trim().is_empty(), "{p:?}");
        assert!(ids.insert(p.id.clone()), "duplicate id {p:?}");
    }
});
