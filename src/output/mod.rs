//! Stage 6: output. Printers for search responses, passage listings, index runs and
//! evaluation reports, as text for people (with colour on a terminal) or JSON for
//! programs. The JSON shapes are the serde forms of [`crate::search::SearchResponse`],
//! [`crate::passage::Passage`] and [`crate::eval::EvalReport`].

use std::io::{self, Write};

use std::path::Path;

use crate::eval::EvalReport;
use crate::index::IndexReport;
use crate::passage::Passage;
use crate::search::{Hit, Mode, SearchResponse};
use crate::source::SkipReason;

/// How to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Human-readable text, coloured when `color` is set.
    Text {
        /// Use ANSI colours.
        color: bool,
    },
    /// JSON (one object per response; JSON Lines for passage listings).
    Json,
}

const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const CYAN: &str = "\x1b[36m";
const MATCH: &str = "\x1b[1;33m";
const RESET: &str = "\x1b[0m";

/// Prints a search response. `corpus` prefixes hit paths in text citations.
pub fn print_response(
    out: &mut dyn Write,
    response: &SearchResponse,
    corpus: &str,
    format: OutputFormat,
) -> io::Result<()> {
    match format {
        OutputFormat::Json => {
            serde_json::to_writer(&mut *out, response)?;
            writeln!(out)
        }
        OutputFormat::Text { color } => {
            if let Some(corrected) = &response.corrected {
                let (b, r) = if color { (BOLD, RESET) } else { ("", "") };
                writeln!(out, "showing results for {b}{corrected}{r}\n")?;
            }
            for hit in &response.hits {
                print_hit(out, hit, corpus, color)?;
            }
            print_facets(out, response, color)
        }
    }
}

/// Prints the facet counts, one line per field: `category: treatment 12 · causes 4`.
fn print_facets(out: &mut dyn Write, response: &SearchResponse, color: bool) -> io::Result<()> {
    let (b, r) = if color { (BOLD, RESET) } else { ("", "") };
    for (field, values) in &response.facets {
        let counts: Vec<String> = values
            .iter()
            .map(|v| format!("{} {}", v.value, v.count))
            .collect();
        writeln!(out, "{b}{field}:{r} {}", counts.join(" · "))?;
    }
    Ok(())
}

/// Prints how a query was analysed (text `--explain`): focus, question types,
/// corrections and synonyms, and the words with their weights.
pub fn print_analysis(
    out: &mut dyn Write,
    response: &SearchResponse,
    color: bool,
) -> io::Result<()> {
    let Some(analysis) = &response.analysis else {
        return Ok(());
    };
    let (d, r) = if color { (DIM, RESET) } else { ("", "") };
    let mode = match response.mode {
        Mode::Hybrid => "hybrid (text and vectors)",
        Mode::Lexical => "lexical",
    };
    writeln!(
        out,
        "{d}analysis: {}; ranking: {mode}{r}\n",
        analysis.summary()
    )
}

/// The citation of a passage: `corpus/file.txt:127-130 › Heading › Sub`; a PDF's
/// cites its pages, then the lines of its extracted text: `leaflet.pdf p. 3:41-52`.
pub fn citation(corpus: &str, passage: &Passage) -> String {
    let (path, start, end) = (&passage.path, passage.line_start, passage.line_end);
    let pages = match (passage.page_start, passage.page_end) {
        (Some(first), Some(last)) if last > first => format!(" pp. {first}-{last}"),
        (Some(first), _) => format!(" p. {first}"),
        _ => String::new(),
    };
    let mut s = if corpus.is_empty() {
        format!("{path}{pages}:{start}-{end}")
    } else {
        format!(
            "{}/{path}{pages}:{start}-{end}",
            corpus.trim_end_matches('/')
        )
    };
    for h in &passage.headings {
        s.push_str(" › ");
        s.push_str(h);
    }
    s
}

fn print_hit(out: &mut dyn Write, hit: &Hit, corpus: &str, color: bool) -> io::Result<()> {
    let cite = citation(corpus, &hit.passage);
    let (b, c, d, r) = if color {
        (BOLD, CYAN, DIM, RESET)
    } else {
        ("", "", "", "")
    };
    writeln!(
        out,
        "{b}{}.{r} {d}[{:.2}]{r} {c}{cite}{r}",
        hit.rank, hit.score
    )?;
    writeln!(
        out,
        "   {b}{}{r} {d}({}, {}){r}",
        hit.passage.title,
        hit.passage.kind.as_str(),
        hit.passage.category
    )?;
    writeln!(
        out,
        "   {}",
        highlight(&hit.snippet, &hit.highlights, color)
    )?;
    if !hit.matched.is_empty() {
        let matched: Vec<String> = hit
            .matched
            .iter()
            .map(|m| {
                let via = format!("{:?}", m.via).to_lowercase();
                let shown = if m.matched == m.term {
                    m.term.clone()
                } else {
                    format!("{} → {}", m.term, m.matched)
                };
                format!("{shown} ({via}, {}, {:.0}%)", m.field, m.share * 100.0)
            })
            .collect();
        writeln!(out, "   {d}matched: {}{r}", matched.join("; "))?;
    }
    if !hit.lifted.is_empty() {
        writeln!(out, "   {d}lifted: {}{r}", hit.lifted.join("; "))?;
    }
    if let Some(share) = hit.semantic {
        writeln!(
            out,
            "   {d}semantic: {:.0}% of the score from similarity by vector{r}",
            share * 100.0
        )?;
    }
    writeln!(out)
}

/// The snippet on one line, matched terms marked with colour (or `[…]` without).
fn highlight(snippet: &str, ranges: &[[usize; 2]], color: bool) -> String {
    let (open, close) = if color { (MATCH, RESET) } else { ("", "") };
    let mut s = String::with_capacity(snippet.len() + ranges.len() * 8);
    let mut at = 0;
    for &[start, end] in ranges {
        if start < at
            || end > snippet.len()
            || !snippet.is_char_boundary(start)
            || !snippet.is_char_boundary(end)
        {
            continue;
        }
        s.push_str(&snippet[at..start]);
        s.push_str(open);
        s.push_str(&snippet[start..end]);
        s.push_str(close);
        at = end;
    }
    s.push_str(&snippet[at..]);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Prints every passage: JSON Lines, or one line each for people.
pub fn print_passages(
    out: &mut dyn Write,
    passages: &[Passage],
    corpus: &str,
    format: OutputFormat,
) -> io::Result<()> {
    for p in passages {
        match format {
            OutputFormat::Json => {
                serde_json::to_writer(&mut *out, p)?;
                writeln!(out)?;
            }
            OutputFormat::Text { color } => {
                let (c, d, r) = if color {
                    (CYAN, DIM, RESET)
                } else {
                    ("", "", "")
                };
                let cite = citation(corpus, p);
                writeln!(
                    out,
                    "{c}{cite}{r} {d}[{} {}] {}{r}",
                    p.kind.as_str(),
                    p.category,
                    p.id
                )?;
            }
        }
    }
    Ok(())
}

/// Prints an index run's warnings, one line each.
pub fn print_warnings(out: &mut dyn Write, report: &IndexReport) -> io::Result<()> {
    for w in &report.warnings {
        writeln!(out, "k2search: warning: {w}")?;
    }
    Ok(())
}

/// Prints the entries an index run passed over without a warning (hidden files,
/// other types), for `--verbose`.
pub fn print_quiet_skips(out: &mut dyn Write, report: &IndexReport) -> io::Result<()> {
    for skip in report.skipped.iter().filter(|s| !s.reason.is_warned()) {
        writeln!(
            out,
            "k2search: skipped {} ({})",
            skip.path,
            skip_reason(&skip.reason)
        )?;
    }
    Ok(())
}

fn skip_reason(reason: &SkipReason) -> String {
    match reason {
        SkipReason::UnsupportedType(ext) if ext.is_empty() => "no extension".into(),
        SkipReason::UnsupportedType(ext) => format!("unsupported type {ext}"),
        SkipReason::Hidden => "hidden".into(),
        SkipReason::PdfWithoutText => "PDF without text".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// The one-line summary of an index run into `dir`.
pub fn index_summary(r: &IndexReport, dir: &Path) -> String {
    let what = if r.changed {
        format!(
            "{} indexed, {} unchanged, {} removed",
            r.files_indexed, r.files_unchanged, r.files_removed
        )
    } else {
        "nothing changed".to_string()
    };
    let embedded = match &r.model {
        Some(model) => format!(", {} embedded with {model}", r.passages_embedded),
        None => String::new(),
    };
    let skipped: String = crate::source::describe_skips(&r.skipped)
        .iter()
        .map(|phrase| format!("; skipped {phrase}"))
        .collect();
    format!(
        "indexed {} files ({what}), {} passages{embedded} in {} in {:.2}s{skipped}",
        r.files,
        r.passages,
        dir.display(),
        r.seconds
    )
}

/// Prints an evaluation report: a table of the queries and their mean, or JSON.
pub fn print_eval(out: &mut dyn Write, report: &EvalReport, json: bool) -> io::Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::from)?;
        return writeln!(out);
    }
    writeln!(
        out,
        "{:<6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6}  query",
        "id", "nDCG", "MRR", "P@5", "R@k", "judged", "nDCG'"
    )?;
    for q in &report.per_query {
        writeln!(
            out,
            "{:<6} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3}  {}",
            q.id, q.ndcg, q.mrr, q.p5, q.recall, q.judged, q.ndcg_condensed, q.query
        )?;
    }
    writeln!(
        out,
        "{:<6} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3}  mean of {} queries (k = {}; judged = share of judged hits, nDCG' = condensed: unjudged hits dropped)",
        "all",
        report.ndcg,
        report.mrr,
        report.p5,
        report.recall,
        report.judged,
        report.ndcg_condensed,
        report.queries,
        report.k
    )?;
    if let Some(a) = &report.analysis {
        writeln!(
            out,
            "question analysis on {} labelled queries: focus {:.3} (exact {:.3}), type {:.3} (first type {:.3})",
            a.labelled, a.focus, a.focus_exact, a.types, a.first_type
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citation_format() {
        let passage: Passage = serde_json::from_value(serde_json::json!({
            "id": "0", "path": "002.txt", "title": "", "headings": ["Drug Interactions"],
            "kind": "section", "category": "interactions", "line_start": 127,
            "line_end": 130, "byte_start": 0, "byte_end": 0, "text": ""
        }))
        .expect("a passage");
        assert_eq!(
            citation("corpus", &passage),
            "corpus/002.txt:127-130 › Drug Interactions"
        );
        assert_eq!(
            citation("", &passage),
            "002.txt:127-130 › Drug Interactions"
        );
    }

    #[test]
    fn highlight_plain() {
        assert_eq!(
            highlight("take warfarin daily", &[[5, 13]], false),
            "take warfarin daily"
        );
        assert!(highlight("take warfarin", &[[5, 13]], true).contains("\x1b[1;33mwarfarin"));
    }
}
