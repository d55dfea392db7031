//! PDF files: each fixture of `tests/fixtures/pdf/` (made by
//! `scripts/make-pdf-fixtures.py`) split passage by passage (headings, text, pages,
//! lines), and the hostile ones refused with one line each, under a time and memory
//! bound, by the real binary.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use k2search::passage::{self, Kind, Passage};
use k2search::source::{self, Format};

use crate::util::{assert_no_panic, stderr, stdout, Workspace, ROOT};

fn fixture(name: &str) -> Vec<u8> {
    fs::read(Path::new(ROOT).join("tests/fixtures/pdf").join(name)).unwrap()
}

/// The passages of a fixture, read as the indexer reads it.
fn passages(name: &str) -> Vec<Passage> {
    let (file, _) = source::decode(name, Format::Pdf, &fixture(name)).unwrap();
    passage::split(&file).0.passages
}

/// (heading path, text, pages, lines) of each passage.
type Cited = (String, String, (usize, usize), (usize, usize));

fn cited(passages: &[Passage]) -> Vec<Cited> {
    passages
        .iter()
        .map(|p| {
            (
                p.headings.join(" > "),
                p.text.clone(),
                (p.page_start.unwrap(), p.page_end.unwrap()),
                (p.line_start, p.line_end),
            )
        })
        .collect()
}

/// A passage as a test expects it: (heading path, text, pages, lines).
type Row<'a> = (&'a str, &'a str, (usize, usize), (usize, usize));

fn want(rows: &[Row]) -> Vec<Cited> {
    rows.iter()
        .map(|&(h, t, pages, lines)| (h.to_string(), t.to_string(), pages, lines))
        .collect()
}

/// Why a fixture is refused: the warning's message.
fn refusal(name: &str) -> String {
    match source::decode(name, Format::Pdf, &fixture(name)) {
        Ok((file, _)) => panic!("{name} was read: {:?}", file.text),
        Err((_, message)) => message,
    }
}

#[test]
fn leaflet_with_bookmarks_takes_headings_from_the_outline() {
    let got = passages("leaflet-bookmarks.pdf");
    let faq = "Frequently Asked Questions";
    assert_eq!(
        cited(&got),
        want(&[
            ("", "Read all of this leaflet carefully before you start taking this medicine.", (1, 1), (1, 3)),
            ("What Amoxicillin is used for", "Amoxicillin is an antibiotic. It is used to treat infections caused by bacteria.", (1, 1), (5, 7)),
            // The hyphenated "treat-" / "ment" is one word again.
            ("How to take Amoxicillin > Adults", "Take one capsule three times a day with a glass of water. Do not stop the treatment early, even if you feel better.", (1, 1), (11, 14)),
            // The running header and the "Page 2 of 2" footer are not text.
            ("Possible side effects", "Like all medicines, amoxicillin can cause side effects: diarrhoea, nausea and skin rash.", (2, 2), (16, 18)),
            (&format!("{faq} > Can I drink alcohol?"), "Yes, in moderation.", (2, 2), (22, 23)),
            (&format!("{faq} > What if I miss a dose?"), "Take it as soon as you remember.", (2, 2), (25, 26)),
        ])
    );
    assert!(got.iter().all(|p| p.title == "Amoxicillin 500 mg Capsules"));
}

#[test]
fn leaflet_without_bookmarks_takes_headings_from_type_size_and_numbers() {
    let got = passages("leaflet-fonts.pdf");
    assert_eq!(
        cited(&got),
        want(&[
            (
                "",
                "This guideline covers metformin for adults with type 2 diabetes.",
                (1, 1),
                (1, 3)
            ),
            ("Dosage", "Start low and increase slowly.", (1, 1), (5, 7)),
            (
                "Dosage > 2.1 Starting Dose",
                "500 mg once a day with the evening meal.",
                (1, 1),
                (9, 11)
            ),
            (
                "Dosage > 2.2 Maximum Dose",
                "2000 mg a day, in divided doses.",
                (1, 1),
                (13, 15)
            ),
            (
                "Storage",
                "Store below 25 C, in the original package.",
                (1, 1),
                (17, 19)
            ),
        ])
    );
    assert!(got.iter().all(|p| p.title == "Metformin Guideline"));
}

#[test]
fn bold_lines_in_the_body_size_are_headings_and_a_bold_paragraph_is_not() {
    let got = passages("leaflet-bold.pdf");
    let warning = "Do not take more than 1,200 mg in 24 hours unless a doctor tells you to, \
                   and keep the tablets out of the reach of children.";
    assert_eq!(
        cited(&got),
        want(&[
            (
                "",
                "Ibuprofen relieves pain and brings down a fever.",
                (1, 1),
                (1, 3)
            ),
            (
                "Before you take it",
                "Tell your doctor if you have asthma or a stomach ulcer.",
                (1, 1),
                (5, 7)
            ),
            (
                "How much to take",
                &format!(
                    "Adults: 200 to 400 mg every 4 to 6 hours, with food.\n\n{warning}\n\n\
                     Stop taking it and see a doctor if your symptoms get worse."
                ),
                (1, 1),
                (9, 16)
            ),
        ])
    );
    assert!(got.iter().all(|p| p.title == "Ibuprofen Tablets"));
}

#[test]
fn two_column_page_is_read_column_by_column() {
    let got = passages("two-columns.pdf");
    let text = "Iron deficiency is the most common nutritional deficiency in the world. \
                It causes tiredness, pale skin and shortness of breath.\n\n\
                Iron is found in red meat, beans, lentils and fortified cereals. \
                Vitamin C helps the body absorb iron from plant foods.";
    assert_eq!(cited(&got), want(&[("", text, (1, 1), (1, 11))]));
    assert_eq!(got[0].title, "Iron Deficiency Fact Sheet");
}

#[test]
fn faq_lines_in_a_pdf_are_faq_passages() {
    let got = passages("leaflet-bookmarks.pdf");
    let faqs: Vec<(&str, &str)> = got
        .iter()
        .filter(|p| p.kind == Kind::Faq)
        .map(|p| (p.headings.last().unwrap().as_str(), p.text.as_str()))
        .collect();
    assert_eq!(
        faqs,
        [
            ("Can I drink alcohol?", "Yes, in moderation."),
            ("What if I miss a dose?", "Take it as soon as you remember.")
        ]
    );
}

#[test]
fn bad_pdfs_are_refused_with_what_to_do() {
    for (name, says) in [
        ("encrypted.pdf", "encrypted"),
        ("scanned.pdf", "no text layer"),
        ("truncated.pdf", "damaged or cut short"),
        ("decompression-bomb.pdf", "inflate past"),
        ("deep-nesting.pdf", "damaged or cut short"),
    ] {
        let started = Instant::now();
        let message = refusal(name);
        assert!(message.contains(says), "{name}: {message}");
        assert!(message.ends_with("skipped"), "{name}: {message}");
        assert!(!message.contains('\n'), "{name}: {message}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{name} took {:?}",
            started.elapsed()
        );
    }
    let not_a_pdf = source::decode("notes.pdf", Format::Pdf, b"just text").unwrap_err();
    assert!(not_a_pdf.1.contains("not a PDF"), "{}", not_a_pdf.1);
}

/// The whole folder of fixtures through the real binary: every bad one is one
/// warning naming it, the good ones are indexed, within 60 s and 300 MB.
#[test]
fn an_index_run_over_bad_pdfs_warns_and_goes_on_within_bounds() {
    let ws = Workspace::empty();
    for entry in fs::read_dir(Path::new(ROOT).join("tests/fixtures/pdf")).unwrap() {
        let entry = entry.unwrap();
        ws.write(entry.file_name(), fs::read(entry.path()).unwrap());
    }
    ws.write("notes.md", "# Notes\n\nPlain text still works.\n");
    let started = Instant::now();
    let (out, max_rss_kib) = ws.run_measured(&["index"]);
    assert_no_panic(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(max_rss_kib < 300 * 1024, "peak RSS {max_rss_kib} KiB");
    let err = stderr(&out);
    for name in [
        "encrypted.pdf",
        "scanned.pdf",
        "truncated.pdf",
        "decompression-bomb.pdf",
        "deep-nesting.pdf",
    ] {
        let lines: Vec<&str> = err.lines().filter(|l| l.contains(name)).collect();
        assert_eq!(lines.len(), 1, "{name}: {err}");
    }
    assert!(
        stdout(&out).contains("5 PDF files without text to index"),
        "{}",
        stdout(&out)
    );
    let all = ws.passages();
    assert!(all
        .iter()
        .any(|p| p.path == "notes.md" && p.page_start.is_none()));
    let leaflet: Vec<&Passage> = all
        .iter()
        .filter(|p| p.path == "leaflet-bookmarks.pdf")
        .collect();
    assert!(leaflet.iter().all(|p| p.page_start.is_some()));
    let text = ws.ok(&["query", "side effects diarrhoea"]);
    assert!(text.contains("leaflet-bookmarks.pdf p. 2:"), "{text}");
}
