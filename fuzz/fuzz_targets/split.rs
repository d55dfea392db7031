//! Bytes in, passages out: `source::decode` then `passage::split` must never panic,
//! and every passage must cite a real place in the file. The first byte picks the
//! format (0: Markdown or plain text, 1: HTML, 2: PDF, by the byte modulo 3), so one
//! target covers every reader; a PDF that is refused is skipped, as it should be.
#![no_main]

use std::collections::HashSet;

use k2search::passage;
use k2search::source::{self, lines::LineIndex};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, data)) = data.split_first() else {
        return;
    };
    let (name, format) = match choice % 3 {
        0 => ("fuzz.md", source::Format::Text),
        1 => ("fuzz.html", source::Format::Html),
        _ => ("fuzz.pdf", source::Format::Pdf),
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
