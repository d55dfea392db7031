//! How health articles split into passages, as they really come: every heading and
//! FAQ variant, titles, HTML pages (`tests/fixtures/formats/`, read in place), and the
//! bundled seed articles. Each expected passage is checked: kind, heading path, line
//! range, a word of its text, title.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::sync::OnceLock;

use k2search::passage::{Kind, Passage};

use crate::util::{seed_index, stderr, stdout, Workspace, ROOT};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/formats");

/// Per file: title, then each passage in file order as (kind, headings joined by
/// " > ", first line, last line, a word its text holds).
type Expected = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, usize, usize, &'static str)],
);

const EXPECTED: &[Expected] = &[
    (
        "article-only.htm",
        "Lisinopril",
        &[
            ("section", "Uses", 5, 6, "Lisinopril"),
            ("section", "Side effects", 7, 9, "dizziness"),
        ],
    ),
    (
        "bold-headings-nested.md",
        "Ibuprofen",
        &[
            ("section", "Dosage > Adults", 5, 7, "every"),
            ("section", "Dosage > Children", 9, 11, "pharmacist"),
            ("section", "How it works", 13, 18, "cyclooxygenase"),
        ],
    ),
    (
        "bold-headings.md",
        "Bold headings",
        &[
            ("intro", "", 1, 1, "Metformin"),
            ("section", "What it is used for", 3, 4, "Metformin"),
            ("section", "Dosage", 6, 8, "usually"),
            ("section", "Side effects", 10, 12, "prescribed"),
            ("section", "Storage:", 14, 15, "children"),
        ],
    ),
    (
        "caps-labels.txt",
        "Amoxicillin Patient Leaflet",
        &[
            ("section", "", 1, 3, "Amoxicillin"),
            ("section", "DOSAGE FOR ADULTS", 5, 6, "three"),
            ("section", "DOSAGE FOR CHILDREN", 8, 9, "kilogram"),
            ("section", "SIDE EFFECTS", 11, 11, "diarrhoea"),
            ("section", "STORAGE", 13, 14, "liquid"),
        ],
    ),
    (
        "faq-bold-q.md",
        "Amoxicillin FAQ",
        &[
            ("intro", "", 5, 5, "amoxicillin"),
            (
                "faq",
                "Frequently Asked Questions > Can I drink alcohol while taking amoxicillin?",
                9,
                10,
                "amoxicillin",
            ),
            (
                "faq",
                "Frequently Asked Questions > What if I miss a dose?",
                12,
                14,
                "remember",
            ),
            (
                "faq",
                "Frequently Asked Questions > Can children take it?",
                16,
                18,
                "liquid",
            ),
        ],
    ),
    (
        "faq-dl.html",
        "Asthma inhalers",
        &[
            ("section", "", 4, 5, "Inhalers"),
            (
                "faq",
                "Frequently asked questions > How often should I use my preventer inhaler?",
                8,
                9,
                "Every",
            ),
            (
                "faq",
                "Frequently asked questions > What colour is a reliever inhaler?",
                10,
                11,
                "Usually",
            ),
            (
                "faq",
                "Frequently asked questions > Can I use a spacer?",
                13,
                13,
                "medicine",
            ),
            (
                "section",
                "Frequently asked questions > Storage",
                14,
                15,
                "temperature",
            ),
        ],
    ),
    (
        "faq-numbered.md",
        "Omeprazole: your questions",
        &[
            ("section", "", 1, 8, "pharmacist"),
            (
                "faq",
                "How long does omeprazole take to work?",
                3,
                3,
                "working",
            ),
            (
                "faq",
                "Is it safe to take for a long time?",
                4,
                4,
                "regularly",
            ),
            (
                "faq",
                "Does it interact with clopidogrel?",
                5,
                6,
                "clopidogrel",
            ),
        ],
    ),
    (
        "faq-plain-q-a.md",
        "Vitamin D",
        &[
            ("section", "", 1, 3, "Vitamin"),
            (
                "faq",
                "Questions and answers > How much vitamin D do adults need?",
                7,
                8,
                "micrograms",
            ),
            (
                "faq",
                "Questions and answers > Can I get it from sunlight?",
                10,
                11,
                "September",
            ),
            (
                "faq",
                "Questions and answers > Can I take too much?",
                13,
                14,
                "hypercalcaemia",
            ),
        ],
    ),
    (
        "faq-plain-text.txt",
        "Paracetamol Questions and Answers",
        &[
            ("section", "", 1, 3, "Paracetamol"),
            (
                "faq",
                "How much paracetamol can adults take?",
                5,
                6,
                "tablets",
            ),
            ("faq", "Can I take it with ibuprofen?", 8, 9, "alternately"),
            ("faq", "Is it safe in pregnancy?", 11, 13, "painkiller"),
        ],
    ),
    (
        "faq-question-headings.md",
        "Statins",
        &[
            ("section", "", 1, 3, "cholesterol"),
            (
                "faq",
                "FAQs > Do statins cause muscle pain?",
                7,
                9,
                "happens",
            ),
            (
                "faq",
                "FAQs > Can I eat grapefruit?",
                11,
                13,
                "atorvastatin",
            ),
            ("section", "Side effects", 15, 17, "Headache"),
        ],
    ),
    (
        "faq-schema.html",
        "Metformin questions",
        &[
            (
                "faq",
                "FAQ > Should I take metformin with food?",
                4,
                10,
                "after",
            ),
            ("intro", "", 15, 15, "questions"),
            ("faq", "Does metformin cause weight gain?", 17, 19, "weight"),
        ],
    ),
    (
        "inline-html.md",
        "Warfarin",
        &[
            ("section", "", 1, 3, "anticoagulant"),
            ("section", "Interactions", 5, 6, "antibiotics"),
            ("section", "Dosage", 8, 10, "regular"),
            (
                "faq",
                "Dosage > Can I drink cranberry juice?",
                13,
                14,
                "increase",
            ),
        ],
    ),
    (
        "leaflet-title.txt",
        "Atorvastatin Patient Leaflet",
        &[
            ("section", "", 1, 2, "Atorvastatin"),
            ("section", "Before You Take It", 3, 4, "problems"),
            ("section", "How To Take It", 5, 6, "tablet"),
        ],
    ),
    (
        "mixed.md",
        "Levothyroxine",
        &[
            ("intro", "", 6, 6, "Levothyroxine"),
            ("section", "How to take it", 10, 11, "breakfast"),
            ("section", "Interactions", 13, 15, "supplements"),
            (
                "faq",
                "Interactions > FAQ > Can I take it at night?",
                19,
                20,
                "taken",
            ),
            (
                "faq",
                "Interactions > FAQ > Do I need blood tests?",
                22,
                22,
                "usually",
            ),
        ],
    ),
    (
        "page.html",
        "Ibuprofen",
        &[
            ("section", "", 14, 15, "anti-inflammatory"),
            ("section", "Dosage", 16, 17, "Adults"),
            ("section", "Dosage > Children", 18, 21, "months"),
            ("section", "Side effects", 23, 26, "Indigestion"),
            (
                "faq",
                "Common questions > Can I take ibuprofen with paracetamol?",
                33,
                34,
                "together",
            ),
            (
                "faq",
                "Common questions > Is it safe in pregnancy?",
                37,
                39,
                "recommended",
            ),
        ],
    ),
    (
        "vitamin-b12_deficiency-guide.txt",
        "Vitamin b12 deficiency guide",
        &[
            ("intro", "", 1, 1, "deficiency"),
            ("section", "Symptoms", 3, 4, "Tiredness"),
            ("section", "Treatment", 6, 7, "Injections"),
        ],
    ),
];

/// The fixtures indexed once with no flags, shared by the tests that only read them.
fn fixtures() -> &'static (Output, BTreeMap<String, Vec<Passage>>) {
    static INDEXED: OnceLock<(Output, BTreeMap<String, Vec<Passage>>)> = OnceLock::new();
    INDEXED.get_or_init(|| index_fixtures(&[]))
}

/// Indexes the fixtures into a temporary folder; returns the index run's output and
/// the passages by file.
fn index_fixtures(extra: &[&str]) -> (Output, BTreeMap<String, Vec<Passage>>) {
    let ws = Workspace::reading(FIXTURES);
    let out = ws.index(extra);
    let mut by_file: BTreeMap<String, Vec<Passage>> = BTreeMap::new();
    for p in ws.passages() {
        by_file.entry(p.path.clone()).or_default().push(p);
    }
    (out, by_file)
}

#[test]
fn every_variant_splits_into_the_expected_passages() {
    let (_, by_file) = fixtures();
    let mut failures = Vec::new();
    for (file, title, expected) in EXPECTED {
        let got = by_file.get(*file).map(Vec::as_slice).unwrap_or_default();
        let got_rows: Vec<String> = got
            .iter()
            .map(|p| {
                format!(
                    "{} [{}] {}-{}",
                    p.kind.as_str(),
                    p.headings.join(" > "),
                    p.line_start,
                    p.line_end
                )
            })
            .collect();
        let want_rows: Vec<String> = expected
            .iter()
            .map(|(kind, headings, start, end, _)| format!("{kind} [{headings}] {start}-{end}"))
            .collect();
        if got_rows != want_rows {
            failures.push(format!(
                "{file}:\n  want {want_rows:#?}\n  got  {got_rows:#?}"
            ));
            continue;
        }
        for (p, (_, _, _, _, word)) in got.iter().zip(expected.iter()) {
            if !p.text.contains(word) {
                failures.push(format!(
                    "{file}: passage {:?} lacks {word:?}: {:?}",
                    p.headings, p.text
                ));
            }
            if p.title != *title {
                failures.push(format!("{file}: title {:?}, want {title:?}", p.title));
            }
        }
    }
    let fixtures = std::fs::read_dir(FIXTURES).unwrap().count();
    assert!(
        EXPECTED.len() + 1 >= fixtures,
        "a fixture has no expectations"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn html_furniture_hidden_text_and_boilerplate_are_never_indexed() {
    let (_, by_file) = fixtures();
    let all: Vec<&Passage> = by_file.values().flatten().collect();
    for never in [
        "Hidden promo",
        "Subscribe",
        "Related:",
        "All rights reserved",
        "analytics",
        "font-family",
        "Enable JavaScript",
        "A to Z",
        "We use cookies",
        "More articles",
        "Thank you for reading",
        "&amp;",
        "&nbsp;",
        "&mdash;",
    ] {
        let leaks: Vec<_> = all.iter().filter(|p| p.text.contains(never)).collect();
        assert!(leaks.is_empty(), "{never:?} indexed: {leaks:?}");
    }
    let page = &by_file["page.html"];
    assert_eq!(
        page[0].metadata.get("description").map(String::as_str),
        Some("What ibuprofen is for, how much to take and its side effects.")
    );
    assert!(page
        .iter()
        .any(|p| p.text.contains("Indigestion & stomach pain")));
    assert!(by_file["article-only.htm"]
        .iter()
        .any(|p| p.text.contains("face — this")));
}

/// A citation can be opened and checked: the first cited line of a section is its
/// heading, and the last holds the end of its text.
#[test]
fn html_citations_point_at_the_source_lines() {
    let (_, by_file) = fixtures();
    let source = std::fs::read_to_string(Path::new(FIXTURES).join("page.html")).unwrap();
    let lines: Vec<&str> = source.lines().collect();
    for p in &by_file["page.html"] {
        let first = lines[p.line_start - 1];
        match p.headings.last() {
            Some(h) => assert!(first.contains(h.as_str()), "{p:?}"),
            None => assert!(first.contains("<h1>"), "{p:?}"),
        }
        let last_word = p.text.split_whitespace().last().unwrap();
        let last_word = last_word.trim_end_matches('.');
        assert!(
            lines[p.line_end - 1].contains(last_word),
            "{p:?} ends at {:?}",
            lines[p.line_end - 1]
        );
    }
}

#[test]
fn unsupported_files_are_counted_and_named_with_verbose() {
    let (out, _) = fixtures();
    let summary = stdout(out);
    assert!(
        summary.contains("skipped 1 file of unsupported type: .rst"),
        "{summary}"
    );
    let warnings = stderr(out);
    assert!(!warnings.contains("notes.rst"), "{warnings}");
    let (out, _) = index_fixtures(&["--verbose"]);
    let warnings = stderr(&out);
    assert!(
        warnings.contains("skipped notes.rst (unsupported type .rst)"),
        "{warnings}"
    );
}

// ------------------------------------------------------------ the seed articles

/// The passages of the bundled seed articles (the shared seed index), read once.
fn seed_passages() -> &'static [Passage] {
    static PASSAGES: OnceLock<Vec<Passage>> = OnceLock::new();
    PASSAGES.get_or_init(|| seed_index().passages())
}

fn headings_of(passages: &[Passage], file_prefix: &str) -> Vec<String> {
    passages
        .iter()
        .filter(|p| p.path.starts_with(file_prefix))
        .filter_map(|p| p.headings.last().cloned())
        .collect()
}

#[test]
fn plain_text_lines_that_look_like_headings_start_sections() {
    let passages = seed_passages();
    let expected: [(&str, &[&str]); 2] = [
        (
            "003_",
            &[
                "How Vitamin K2 Supports Bone Density",
                "Determining the Optimal Daily K2 Dosage",
                "Navigating K2 Forms and Dietary Sources",
                "Safety Profile and Medication Interactions",
            ],
        ),
        (
            "004_",
            &[
                "Key Takeaways",
                "Chemical Structure of Vitamin K2",
                "Aids in Blood Clotting",
                "Vitamin K2 MK7 vs MK4: Which is More Effective?",
                "Vitamin K2 and Anticoagulants: Important Considerations",
                "Foods High in Vitamin K2",
                "Recommended Dosages for Different Conditions",
                "Conclusion",
            ],
        ),
    ];
    for (file, headings) in expected {
        let found = headings_of(passages, file);
        for heading in headings {
            assert!(
                found.iter().any(|h| h == heading),
                "{file} lacks heading {heading:?}: {found:?}"
            );
        }
        let intro = passages.iter().find(|p| p.path.starts_with(file)).unwrap();
        assert_eq!((intro.kind, intro.line_start), (Kind::Intro, 1));
    }
    assert!(!headings_of(passages, "004_")
        .iter()
        .any(|h| h.starts_with("Clotting depends")));
}

#[test]
fn markdown_headings_are_cleaned_with_paths() {
    let passages = seed_passages();
    let adults = passages
        .iter()
        .find(|p| {
            p.path.starts_with("002_") && p.headings.last().map(String::as_str) == Some("Adults:")
        })
        .expect("002 has an Adults: section");
    assert_eq!(adults.headings, ["Dosage", "Standard Dosage", "Adults:"]);
    assert_eq!(adults.line_start, 89);
    assert!(adults.text.contains("100-375 mcg"));
    assert!(passages
        .iter()
        .all(|p| p.headings.iter().all(|h| !h.contains("**"))));
    let usage = passages
        .iter()
        .find(|p| p.path.starts_with("002_") && p.headings == ["Usage"]);
    assert!(usage.is_some(), "## **Usage** is cleaned to Usage");
    assert!(passages
        .iter()
        .filter(|p| p.path.starts_with("002_"))
        .all(|p| p.title == "Vitamin K2-7"));
    assert!(passages
        .iter()
        .filter(|p| p.path.starts_with("000_"))
        .all(|p| p.title == "Menaquinone (Vitamin K2)"));
}

#[test]
fn faq_counts_per_format() {
    let passages = seed_passages();
    let count = |prefix: &str| {
        passages
            .iter()
            .filter(|p| p.path.starts_with(prefix) && p.kind == Kind::Faq)
            .count()
    };
    assert_eq!(count("000_"), 4);
    assert_eq!(count("001_"), 5);
    // 002 has the same nine questions in front matter and body: indexed once, citing the body.
    assert_eq!(count("002_"), 9);
    let faqs_002: Vec<&Passage> = passages
        .iter()
        .filter(|p| p.path.starts_with("002_") && p.kind == Kind::Faq)
        .collect();
    assert!(
        faqs_002.iter().all(|p| p.line_start > 53),
        "cites the body, not the front matter"
    );
    let first = faqs_002[0];
    assert_eq!(
        first.headings.last().unwrap(),
        "What is the recommended dosage for Vitamin K2-7?"
    );
    assert_eq!(
        first.text,
        "100-375 mcg daily for adults, 45 mcg daily for children under 12."
    );
    let bullet = passages
        .iter()
        .find(|p| p.path.starts_with("000_") && p.kind == Kind::Faq)
        .unwrap();
    assert_eq!(
        bullet.headings,
        [
            "FAQs",
            "Can I take Menaquinone without a doctor's prescription?"
        ]
    );
    assert!(bullet
        .text
        .starts_with("While many Menaquinone supplements"));
}

#[test]
fn line_start_is_the_heading_line() {
    let passages = seed_passages();
    for p in passages.iter().filter(|p| p.kind == Kind::Section) {
        let text = std::fs::read_to_string(Path::new(ROOT).join("corpus").join(&p.path)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            p.line_start <= p.line_end && p.line_end <= lines.len(),
            "{p:?}"
        );
        let line = lines[p.line_start - 1];
        let heading = p.headings.last().unwrap();
        assert!(
            line.contains(heading.as_str()),
            "{}:{} is {line:?}, not {heading:?}",
            p.path,
            p.line_start
        );
    }
}
