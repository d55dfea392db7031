//! Health articles as they really come: every heading and FAQ variant, titles, HTML
//! pages. Runs the real binary on `tests/fixtures/formats/` (read in place) and checks
//! each expected passage: kind, heading path, line range, a word of its text, title.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use k2search::passage::Passage;

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

fn run(args: &[&str]) -> Output {
    Command::cargo_bin("k2search")
        .unwrap()
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap()
}

/// Indexes the fixtures into a temporary folder; returns the index run's output and
/// the passages by file.
fn index_fixtures(extra: &[&str]) -> (Output, BTreeMap<String, Vec<Passage>>) {
    let index = tempfile::tempdir().unwrap();
    let dir = index.path().to_str().unwrap();
    let mut args = vec!["index", "--corpus", FIXTURES, "--index", dir];
    args.extend(extra);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = run(&["passages", "--json", "--index", dir]);
    assert!(listed.status.success());
    let mut by_file: BTreeMap<String, Vec<Passage>> = BTreeMap::new();
    for line in String::from_utf8(listed.stdout).unwrap().lines() {
        let p: Passage = serde_json::from_str(line).unwrap();
        by_file.entry(p.path.clone()).or_default().push(p);
    }
    (out, by_file)
}

#[test]
fn every_variant_splits_into_the_expected_passages() {
    let (_, by_file) = index_fixtures(&["--quiet"]);
    let mut failures = Vec::new();
    for (file, title, expected) in EXPECTED {
        let got = by_file.get(*file).cloned().unwrap_or_default();
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
    let (_, by_file) = index_fixtures(&["--quiet"]);
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
    let (_, by_file) = index_fixtures(&["--quiet"]);
    let source = std::fs::read_to_string(Path::new(FIXTURES).join("page.html")).unwrap();
    let lines: Vec<&str> = source.lines().collect();
    for p in &by_file["page.html"] {
        let first = lines[p.line_start - 1];
        match p.headings.last() {
            Some(h) if p.kind.as_str() == "section" => assert!(first.contains(h.as_str()), "{p:?}"),
            Some(q) => assert!(first.contains(q.as_str()), "{p:?}"),
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
    let (out, _) = index_fixtures(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("skipped 1 file of unsupported type: .rst"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("notes.rst"), "{stderr}");
    let (out, _) = index_fixtures(&["--verbose"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("skipped notes.rst (unsupported type .rst)"),
        "{stderr}"
    );
}
