//! The PDF reader: a PDF's text layer, laid out in reading order, with its headings.
//!
//! Reading a PDF is two steps. [`extract`] (called by the source stage, since a PDF's
//! bytes are not its text) runs `pdf-extract` over every page and collects each glyph
//! with its position and size, then lays the page out:
//! - glyphs on one baseline become lines; a wide gap splits a line in two, so a page
//!   whose lines stand in a left and a right half is read column by column;
//! - running headers and footers (a line in the top or bottom margin that recurs on
//!   other pages, digits aside) and page numbers (`3`, `Page 3 of 8`) are dropped;
//! - a line ending in a hyphen is joined to the word that goes on on the next line;
//! - a vertical gap wider than a line starts a new paragraph (a blank line);
//! - headings come from the outline (bookmarks) when the file has one, else from type
//!   size (larger than the body text), numbering (`2.1 Dosage`) and weight (a bold line
//!   alone in the body size).
//!
//! The result is the file's text (citations' line ranges index into
//! it) and its [`Layout`]: the byte offset where each page starts and the heading lines. [`read`]
//! then turns it into blocks: the headings, and between them the text read as plain
//! text is (so `Q:`/`A:` lines and `1. **…?**`-style items give FAQ passages).
//!
//! Bad files never stop a run: a file that is not a PDF or is cut short, encrypted
//! with a password, without a text layer (scanned), or hostile (a stream that inflates
//! past [`MAX_INFLATED_BYTES`], nesting past the parser's bound, content that takes
//! longer than [`TIME_LIMIT`]) is refused with one line saying so, and any panic inside
//! the PDF crates is caught ([`crate::guard::quietly`]).

// Without the feature `pdf` only the layout half is built, and nothing calls it.
#![cfg_attr(not(feature = "pdf"), allow(dead_code, unused_imports))]

use std::collections::HashMap;
use std::io::Read as _;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

#[cfg(feature = "pdf")]
use pdf_extract::{
    content::Content, Document, MediaBox, Object, ObjectId, OutputDev, OutputError, Transform,
};

use super::{markdown, Block, BlockKind};

/// The most bytes one stream of a PDF may inflate to: a page's content is far
/// smaller; a decompression bomb is far larger.
pub const MAX_INFLATED_BYTES: u64 = 64 << 20;
/// The most bytes all the streams of a PDF may inflate to together.
pub const MAX_TOTAL_INFLATED_BYTES: u64 = 256 << 20;
/// The longest the text of one PDF may take to extract.
pub const TIME_LIMIT: Duration = Duration::from_secs(30);
/// Share of the page height at the top and bottom where running headers, footers and
/// page numbers stand.
const MARGIN_SHARE: f64 = 0.09;
/// A line this much larger than the body text (or more) is a heading.
const HEADING_SIZE_RATIO: f64 = 1.15;
/// The longest line, in characters, read as a heading.
const MAX_HEADING_CHARS: usize = 100;

/// Where the pages and headings of a PDF's extracted text are (the text itself is the
/// [`crate::source::SourceFile`]'s).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    /// Byte offset in the text where each page starts (page 1 first).
    pub page_starts: Vec<usize>,
    /// The heading lines, in text order.
    pub headings: Vec<PdfHeading>,
}

/// One heading line of a PDF's text.
#[derive(Debug, Clone, PartialEq)]
pub struct PdfHeading {
    /// Byte offset of the line's start.
    pub start: usize,
    /// Byte offset just past its end.
    pub end: usize,
    /// Heading level (1 for the document title).
    pub level: u8,
}

impl Layout {
    /// The 1-based page that byte `offset` of the text is on.
    pub fn page_of(&self, offset: usize) -> usize {
        self.page_starts
            .partition_point(|&start| start <= offset)
            .max(1)
    }
}

/// Why a PDF gives no text: the message of a one-line warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

/// Refuses every PDF: this build reads none (feature `pdf`), and the source walk
/// skips `.pdf` files as an unsupported type before they get here.
#[cfg(not(feature = "pdf"))]
pub fn extract(_bytes: &[u8]) -> Result<(String, Layout), Refusal> {
    Err(Refusal(
        "PDF not read: this k2search was built without the `pdf` feature; skipped".into(),
    ))
}

/// Extracts the text of a PDF, laid out (see the module docs); never panics.
#[cfg(feature = "pdf")]
pub fn extract(bytes: &[u8]) -> Result<(String, Layout), Refusal> {
    let started = Instant::now();
    let outcome = crate::guard::quietly(|| {
        panic::catch_unwind(AssertUnwindSafe(|| extract_unguarded(bytes, started)))
    });
    outcome.unwrap_or_else(|_| {
        Err(Refusal(
            "PDF could not be read (the PDF library failed on it); re-save or re-export it, skipped"
                .into(),
        ))
    })
}

#[cfg(feature = "pdf")]
fn extract_unguarded(bytes: &[u8], started: Instant) -> Result<(String, Layout), Refusal> {
    if !bytes.starts_with(b"%PDF-")
        && !bytes[..bytes.len().min(1024)]
            .windows(5)
            .any(|w| w == b"%PDF-")
    {
        return Err(Refusal("not a PDF (no %PDF- header); skipped".into()));
    }
    let mut doc = Document::load_mem(bytes).map_err(|e| {
        Refusal(format!(
            "PDF is damaged or cut short ({e}); re-save or re-export it, skipped"
        ))
    })?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(Refusal(
            "PDF is encrypted with a password; save a copy without one, skipped".into(),
        ));
    }
    check_inflated_sizes(&doc)?;
    give_standard_fonts_widths(&mut doc);
    let outline = outline_titles(&doc);
    let (mut pages, shows): (Vec<_>, Vec<u32>) = match page_lines_of(&doc, bytes.len(), started) {
        Ok(pages) => pages.into_iter().unzip(),
        Err(e) => {
            if started.elapsed() > TIME_LIMIT {
                return Err(Refusal(format!(
                    "PDF took over {} s to read; split it or export it as text, skipped",
                    TIME_LIMIT.as_secs()
                )));
            }
            return Err(Refusal(format!(
                "PDF text could not be extracted ({e}); re-save or re-export it, skipped"
            )));
        }
    };
    if pages.iter().all(Vec::is_empty) {
        return Err(Refusal(
            "PDF has no text layer (scanned pages?); run OCR on it first, skipped".into(),
        ));
    }
    if outline.is_empty() {
        mark_bold_lines(&doc, &mut pages, &shows, started);
    }
    Ok(lay_out(pages, &outline))
}

/// Marks the lines set wholly in a bold font on the pages where that can make a
/// heading (a short line in the body size, see [`heading_levels`]). `pdf-extract`
/// does not say which font drew a glyph, so the page's content is read once more for
/// its font changes and text strings, matched to the glyphs string by string; a page
/// whose strings do not match one for one (text in a form XObject) keeps no weights.
#[cfg(feature = "pdf")]
fn mark_bold_lines(doc: &Document, pages: &mut [PageLines], shows: &[u32], started: Instant) {
    let body = body_size(pages);
    let ids = doc.get_pages();
    for ((page, &count), id) in pages.iter_mut().zip(shows).zip(ids.values()) {
        if started.elapsed() > TIME_LIMIT {
            return;
        }
        if !page.iter().any(|(line, _)| may_be_bold_heading(line, body)) {
            continue;
        }
        let Some(bold) = bold_shows(doc, *id).filter(|b| b.len() == count as usize) else {
            continue;
        };
        for (line, _) in page.iter_mut() {
            let shown = bold.get(line.shows.start as usize..line.shows.end as usize);
            line.bold = shown.is_some_and(|s| !s.is_empty() && s.iter().all(|&b| b));
        }
    }
}

/// Whether each text string the page shows, in the order `pdf-extract` shows them
/// (a `Tj`'s string, each string of a `TJ`), is set in a bold font.
#[cfg(feature = "pdf")]
fn bold_shows(doc: &Document, page: ObjectId) -> Option<Vec<bool>> {
    let fonts = doc.get_page_fonts(page).ok()?;
    let content = Content::decode(&doc.get_page_content(page).ok()?).ok()?;
    let mut saved = Vec::new();
    let mut bold = false;
    let mut shows = Vec::new();
    for operation in &content.operations {
        match operation.operator.as_str() {
            "q" => saved.push(bold),
            "Q" => bold = saved.pop().unwrap_or(bold),
            "Tf" => {
                bold = operation
                    .operands
                    .first()
                    .and_then(|name| name.as_name().ok())
                    .and_then(|name| fonts.get(name))
                    .is_some_and(|font| is_bold_font(doc, font));
            }
            "Tj" => shows.push(bold),
            "TJ" => {
                if let Some(Object::Array(parts)) = operation.operands.first() {
                    let strings = parts.iter().filter(|p| matches!(p, Object::String(..)));
                    shows.extend(strings.map(|_| bold));
                }
            }
            _ => {}
        }
    }
    Some(shows)
}

/// Whether a font is bold: by its name (`Helvetica-Bold`, `ABCDEF+Arial,Bold`,
/// `…-Black`, `…-Heavy`) or its descriptor's weight (600 or more).
#[cfg(feature = "pdf")]
fn is_bold_font(doc: &Document, font: &pdf_extract::Dictionary) -> bool {
    let named_bold = font
        .get(b"BaseFont")
        .and_then(Object::as_name)
        .is_ok_and(|name| {
            let name = String::from_utf8_lossy(name).to_lowercase();
            ["bold", "black", "heavy"].iter().any(|w| name.contains(w))
        });
    let weight = font
        .get(b"FontDescriptor")
        .and_then(Object::as_reference)
        .and_then(|id| doc.get_dictionary(id))
        .and_then(|descriptor| descriptor.get(b"FontWeight"))
        .and_then(Object::as_float);
    named_bold || weight.is_ok_and(|w| w >= 600.0)
}

/// Whether a line could be a bold heading in the body size: about the body's size,
/// heading-shaped, not already a numbered heading.
fn may_be_bold_heading(line: &Line, body: f64) -> bool {
    line.size >= body * 0.95
        && line.size < body * HEADING_SIZE_RATIO
        && heading_shaped(&line.text)
        && numbered_heading_level(&line.text).is_none()
}

/// Whether line `i` of a page is a heading by weight alone: bold, where the lines
/// around it are not (a bold paragraph is emphasis, not a run of headings).
fn is_bold_heading(page: &[(Line, f64)], i: usize) -> bool {
    let bold = |j: Option<usize>| j.and_then(|j| page.get(j)).is_some_and(|(l, _)| l.bold);
    bold(Some(i)) && !bold(i.checked_sub(1)) && !bold(Some(i + 1))
}

/// A page's lines in reading order, each with the page's height.
type PageLines = Vec<(Line, f64)>;

/// The most threads that read the pages of one PDF.
const MAX_PAGE_THREADS: usize = 4;
/// The fewest pages worth a thread of their own.
const MIN_PAGES_PER_THREAD: usize = 8;
/// The largest PDF read on several threads: each thread reads its own copy of the
/// document, so a larger file is read on one.
const MAX_BYTES_FOR_THREADS: usize = 32 << 20;

/// The lines of every page in reading order (see [`page_lines`]) and the number of text
/// strings it showed ([`Page::shows`]), page 1 first.
///
/// The pages are read on up to [`MAX_PAGE_THREADS`] threads, each a run of consecutive
/// pages, from its own copy of the document whose page tree lists only those pages.
/// `pdf-extract` reads each page on its own (its font tables are rebuilt per page), so
/// the lines are the same as in one pass; and its way to read one page alone walks the
/// whole page tree for each page (1,000 pages took 1.7 s of CPU that way against 1.1 s
/// in one pass). The error returned is the first in page order, as in one pass.
#[cfg(feature = "pdf")]
fn page_lines_of(
    doc: &Document,
    pdf_bytes: usize,
    started: Instant,
) -> Result<Vec<(PageLines, u32)>, OutputError> {
    let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_PAGE_THREADS)
        .min(pages.len() / MIN_PAGES_PER_THREAD);
    if threads <= 1 || pdf_bytes > MAX_BYTES_FOR_THREADS {
        return read_pages(doc, started);
    }
    read_on_threads(doc, &pages, threads, started)
}

/// The lines of every page, `pages` (all of `doc`'s) read in runs of consecutive pages
/// on `threads` threads; in one pass when the page tree cannot be copied.
#[cfg(feature = "pdf")]
fn read_on_threads(
    doc: &Document,
    pages: &[ObjectId],
    threads: usize,
    started: Instant,
) -> Result<Vec<(PageLines, u32)>, OutputError> {
    let run = pages.len().div_ceil(threads.max(1)).max(1);
    let parts: Option<Vec<Document>> = pages.chunks(run).map(|run| with_pages(doc, run)).collect();
    let Some(parts) = parts else {
        return read_pages(doc, started);
    };
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let workers: Vec<_> = parts
            .iter()
            .map(|part| scope.spawn(move || crate::guard::quietly(|| read_pages(part, started))))
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|payload| panic::resume_unwind(payload))
            })
            .collect()
    });
    let mut read = Vec::with_capacity(pages.len());
    for outcome in outcomes {
        read.extend(outcome?);
    }
    Ok(read)
}

/// The lines of every page of `doc`, read in one pass.
#[cfg(feature = "pdf")]
fn read_pages(doc: &Document, started: Instant) -> Result<Vec<(PageLines, u32)>, OutputError> {
    let mut collector = Collector::new(started);
    pdf_extract::output_doc(doc, &mut collector)?;
    Ok(collector
        .pages
        .iter()
        .map(|page| (page_lines(page), page.shows))
        .collect())
}

/// A copy of `doc` whose page tree holds only `pages` (each page keeps its parent, so
/// what it inherits from the tree is unchanged).
#[cfg(feature = "pdf")]
fn with_pages(doc: &Document, pages: &[ObjectId]) -> Option<Document> {
    let mut part = doc.clone();
    let root = part
        .catalog()
        .ok()?
        .get(b"Pages")
        .ok()?
        .as_reference()
        .ok()?;
    let tree = part.get_dictionary_mut(root).ok()?;
    let kids = pages.iter().map(|&id| Object::Reference(id)).collect();
    tree.set("Kids", Object::Array(kids));
    tree.set("Count", Object::Integer(pages.len() as i64));
    Some(part)
}

/// The standard 14 fonts, which a PDF may name without their widths.
const STANDARD_FONTS: [&[u8]; 14] = [
    b"Courier",
    b"Courier-Bold",
    b"Courier-BoldOblique",
    b"Courier-Oblique",
    b"Helvetica",
    b"Helvetica-Bold",
    b"Helvetica-BoldOblique",
    b"Helvetica-Oblique",
    b"Symbol",
    b"Times-Bold",
    b"Times-BoldItalic",
    b"Times-Italic",
    b"Times-Roman",
    b"ZapfDingbats",
];

/// Writes into each standard font that comes without widths (`/Helvetica` with a named
/// encoding and nothing else, as simple PDF writers emit it) the widths `pdf-extract`
/// gives its codes. Without them `pdf-extract` derives the widths from its built-in
/// metrics for every page the font is used on, matching each glyph name against the
/// whole encoding: a quarter of the time of reading such a file. The widths are read
/// back from `pdf-extract` itself (a one-page document that shows codes 0 to 255 in
/// the font), so the text and positions it gives are the same as without them; a font
/// whose widths are not whole numbers, or that the probe fails on, is left as it is.
#[cfg(feature = "pdf")]
fn give_standard_fonts_widths(doc: &mut Document) {
    let bare: Vec<ObjectId> = doc
        .objects
        .iter()
        .filter(|(_, object)| object.as_dict().is_ok_and(is_bare_standard_font))
        .map(|(id, _)| *id)
        .collect();
    for id in bare {
        let Ok(font) = doc.get_dictionary(id) else {
            continue;
        };
        let Some(widths) = probe_widths(font.clone()) else {
            continue;
        };
        if let Ok(font) = doc.get_dictionary_mut(id) {
            font.set("FirstChar", Object::Integer(0));
            font.set("LastChar", Object::Integer(255));
            font.set(
                "Widths",
                Object::Array(widths.into_iter().map(Object::Integer).collect()),
            );
        }
    }
}

/// A Type 1 standard font dictionary with a named encoding and no other entries
/// (no widths, descriptor or `ToUnicode` map that would change how it is read).
#[cfg(feature = "pdf")]
fn is_bare_standard_font(font: &pdf_extract::Dictionary) -> bool {
    let name = |key: &[u8]| font.get(key).and_then(Object::as_name).ok();
    name(b"Type") == Some(b"Font".as_slice())
        && name(b"Subtype") == Some(b"Type1".as_slice())
        && name(b"BaseFont").is_some_and(|base| STANDARD_FONTS.contains(&base))
        && name(b"Encoding").is_some()
        && font.iter().all(|(key, _)| {
            [&b"Type"[..], b"Subtype", b"BaseFont", b"Encoding", b"Name"].contains(&key.as_slice())
        })
}

/// The width `pdf-extract` gives each code 0 to 255 of a font, in thousandths of the
/// type size, if they are all whole numbers (as the standard fonts' metrics are).
#[cfg(feature = "pdf")]
fn probe_widths(font: pdf_extract::Dictionary) -> Option<Vec<i64>> {
    let mut probe = Document::with_version("1.4");
    let font = probe.add_object(font);
    let codes: Vec<u8> = (0..=255).collect();
    let mut content = b"BT /F1 1 Tf <".to_vec();
    content.extend(codes.iter().flat_map(|c| format!("{c:02X}").into_bytes()));
    content.extend_from_slice(b"> Tj ET");
    let content = probe.add_object(pdf_extract::Stream::new(Default::default(), content));
    let pages = probe.new_object_id();
    let mut fonts = pdf_extract::Dictionary::new();
    fonts.set("F1", Object::Reference(font));
    let mut resources = pdf_extract::Dictionary::new();
    resources.set("Font", fonts);
    let mut page = pdf_extract::Dictionary::new();
    page.set("Type", Object::Name(b"Page".to_vec()));
    page.set("Parent", Object::Reference(pages));
    let media_box = [0, 0, 612, 792].map(Object::Integer);
    page.set("MediaBox", Object::Array(media_box.to_vec()));
    page.set("Contents", Object::Reference(content));
    page.set("Resources", resources);
    let page = probe.add_object(page);
    let mut tree = pdf_extract::Dictionary::new();
    tree.set("Type", Object::Name(b"Pages".to_vec()));
    tree.set("Kids", Object::Array(vec![Object::Reference(page)]));
    tree.set("Count", Object::Integer(1));
    probe.objects.insert(pages, Object::Dictionary(tree));
    let mut catalog = pdf_extract::Dictionary::new();
    catalog.set("Type", Object::Name(b"Catalog".to_vec()));
    catalog.set("Pages", Object::Reference(pages));
    let catalog = probe.add_object(catalog);
    probe.trailer.set("Root", Object::Reference(catalog));
    let mut widths = WidthProbe(Vec::with_capacity(256));
    let read = panic::catch_unwind(AssertUnwindSafe(|| {
        pdf_extract::output_doc(&probe, &mut widths)
    }));
    if !matches!(read, Ok(Ok(()))) || widths.0.len() != codes.len() {
        return None;
    }
    widths
        .0
        .iter()
        .map(|&w| {
            let whole = (w * 1000.0).round();
            (whole / 1000.0 == w).then_some(whole as i64)
        })
        .collect()
}

/// Records the width of each glyph shown, as `pdf-extract` passes it (in units of the
/// type size: the font's widths over 1,000).
#[cfg(feature = "pdf")]
struct WidthProbe(Vec<f64>);

#[cfg(feature = "pdf")]
impl OutputDev for WidthProbe {
    fn begin_page(
        &mut self,
        _page_num: u32,
        _media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn output_character(
        &mut self,
        _trm: &Transform,
        width: f64,
        _spacing: f64,
        _font_size: f64,
        _char: &str,
    ) -> Result<(), OutputError> {
        self.0.push(width);
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// Refuses a PDF any of whose Flate streams inflates past [`MAX_INFLATED_BYTES`] (or
/// all of them past [`MAX_TOTAL_INFLATED_BYTES`]), counting without keeping the bytes.
#[cfg(feature = "pdf")]
fn check_inflated_sizes(doc: &Document) -> Result<(), Refusal> {
    let mut total = 0u64;
    for object in doc.objects.values() {
        let Object::Stream(stream) = object else {
            continue;
        };
        let flate = match stream.dict.get(b"Filter") {
            Ok(Object::Name(name)) => name == b"FlateDecode",
            Ok(Object::Array(filters)) => filters
                .iter()
                .any(|f| matches!(f, Object::Name(n) if n == b"FlateDecode")),
            _ => false,
        };
        if !flate {
            continue;
        }
        let decoder = flate2::read::ZlibDecoder::new(stream.content.as_slice());
        let inflated = std::io::copy(
            &mut decoder.take(MAX_INFLATED_BYTES + 1),
            &mut std::io::sink(),
        )
        .unwrap_or(0);
        total += inflated;
        if inflated > MAX_INFLATED_BYTES || total > MAX_TOTAL_INFLATED_BYTES {
            return Err(Refusal(format!(
                "PDF has streams that inflate past {} MiB (a decompression bomb?); skipped",
                MAX_INFLATED_BYTES >> 20
            )));
        }
    }
    Ok(())
}

/// The outline's titles, normalized, with their level (1 outermost) and page.
#[cfg(feature = "pdf")]
fn outline_titles(doc: &Document) -> Vec<(String, usize, usize)> {
    let Ok(toc) = doc.get_toc() else {
        return Vec::new();
    };
    toc.toc
        .into_iter()
        .map(|t| (normalize(&t.title), t.level, t.page))
        .filter(|(title, _, _)| !title.is_empty())
        .collect()
}

/// One glyph as drawn: its text, left edge, right edge, baseline (from the top of the
/// page) and size.
#[derive(Debug, Clone)]
struct Glyph {
    /// Where its text is in the page's [`Page::text`] (one buffer, not a string per
    /// glyph: a page has thousands).
    text: std::ops::Range<usize>,
    x: f64,
    x_end: f64,
    y: f64,
    size: f64,
    /// Which text string of the page drew it (0 for the first shown): the key to its
    /// font's weight ([`bold_shows`]).
    show: u32,
}

/// The glyphs of one page, with the page's size.
#[derive(Debug, Clone, Default)]
struct Page {
    height: f64,
    width: f64,
    glyphs: Vec<Glyph>,
    /// The text of all the glyphs, in drawing order.
    text: String,
    /// Text strings shown on the page (`pdf-extract` begins a word for each).
    shows: u32,
}

/// Collects glyphs page by page; stops the extraction past [`TIME_LIMIT`].
#[cfg(feature = "pdf")]
struct Collector {
    pages: Vec<Page>,
    started: Instant,
    /// Glyphs seen: the clock is read every [`CLOCK_EVERY`] of them (reading it per
    /// glyph cost 6 % of a run).
    glyphs: u64,
}

#[cfg(feature = "pdf")]
impl Collector {
    fn new(started: Instant) -> Collector {
        Collector {
            pages: Vec::new(),
            started,
            glyphs: 0,
        }
    }
}

/// Glyphs between two readings of the clock against [`TIME_LIMIT`].
const CLOCK_EVERY: u64 = 1024;

#[cfg(feature = "pdf")]
impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        _page_num: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.pages.push(Page {
            height: (media_box.ury - media_box.lly).abs(),
            width: (media_box.urx - media_box.llx).abs(),
            glyphs: Vec::new(),
            text: String::new(),
            shows: 0,
        });
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        char: &str,
    ) -> Result<(), OutputError> {
        self.glyphs += 1;
        if self.glyphs.is_multiple_of(CLOCK_EVERY) && self.started.elapsed() > TIME_LIMIT {
            return Err(OutputError::IoError(std::io::Error::other("time limit")));
        }
        let Some(page) = self.pages.last_mut() else {
            return Ok(());
        };
        // The font size as drawn: the side of the square of the same area as the
        // (size, size) vector under the text matrix (as pdf-extract's own output does).
        let scaled_x = font_size * (trm.m11 + trm.m21);
        let scaled_y = font_size * (trm.m12 + trm.m22);
        let size = (scaled_x * scaled_y).abs().sqrt();
        if !size.is_finite() || size <= 0.0 {
            return Ok(());
        }
        let (x, y) = (trm.m31, page.height - trm.m32);
        let start = page.text.len();
        page.text.push_str(char);
        page.glyphs.push(Glyph {
            text: start..page.text.len(),
            x,
            x_end: x + width * size,
            y,
            size,
            show: page.shows.saturating_sub(1),
        });
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        if let Some(page) = self.pages.last_mut() {
            page.shows += 1;
        }
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// One line of a page as laid out: its text, extent, baseline and type size.
#[derive(Debug, Clone)]
struct Line {
    text: String,
    x: f64,
    x_end: f64,
    y: f64,
    size: f64,
    /// The page's text strings its glyphs came from (see [`Glyph::show`]).
    shows: std::ops::Range<u32>,
    /// Set wholly in a bold font (known only where it can make a heading:
    /// [`mark_bold_lines`]).
    bold: bool,
}

impl Line {
    fn starting(glyph: &Glyph) -> Line {
        Line {
            text: String::new(),
            x: glyph.x,
            x_end: glyph.x,
            y: glyph.y,
            size: glyph.size,
            shows: glyph.show..glyph.show + 1,
            bold: false,
        }
    }

    /// Adds a glyph, with a space before it when it stands apart from the last.
    fn push(&mut self, glyph: &Glyph, page_text: &str) {
        let glyph_text = &page_text[glyph.text.clone()];
        let gap = glyph.x - self.x_end;
        if gap > 0.15 * glyph.size && !self.text.is_empty() && !self.text.ends_with(' ') {
            self.text.push(' ');
        }
        if glyph_text.trim().is_empty() {
            if !self.text.is_empty() && !self.text.ends_with(' ') {
                self.text.push(' ');
            }
        } else {
            self.text.push_str(glyph_text);
        }
        self.x_end = self.x_end.max(glyph.x_end);
        self.size = self.size.max(glyph.size);
        self.shows.start = self.shows.start.min(glyph.show);
        self.shows.end = self.shows.end.max(glyph.show + 1);
    }

    /// Whether `glyph` goes on this line: the same baseline, not back to the left, and
    /// not across a gap as wide as a column gutter.
    fn takes(&self, glyph: &Glyph) -> bool {
        let size = self.size.max(glyph.size);
        (glyph.y - self.y).abs() <= 0.3 * size
            && glyph.x >= self.x_end - 0.5 * size
            && glyph.x <= self.x_end + 1.5 * size
    }
}

/// The lines of a page in reading order, column by column on a two-column page.
fn page_lines(page: &Page) -> Vec<(Line, f64)> {
    let mut runs: Vec<Line> = Vec::new();
    for glyph in &page.glyphs {
        match runs.last_mut() {
            Some(line) if line.takes(glyph) => line.push(glyph, &page.text),
            _ => {
                let mut line = Line::starting(glyph);
                line.push(glyph, &page.text);
                runs.push(line);
            }
        }
    }
    runs.iter_mut()
        .for_each(|l| l.text = l.text.trim().to_string());
    runs.retain(|l| !l.text.is_empty());
    let ordered = if is_two_columns(&runs, page.width) {
        column_order(runs, page.width)
    } else {
        merge_baselines(runs)
    };
    ordered.into_iter().map(|l| (l, page.height)).collect()
}

/// Whether the page's lines stand in a left and a right column: several lines wholly
/// in each half, a fifth of the page wide or more (a table's short cells are not
/// columns).
fn is_two_columns(runs: &[Line], width: f64) -> bool {
    let mid = width / 2.0;
    let wide = |l: &&Line| l.x_end - l.x >= 0.2 * width;
    let left = runs.iter().filter(|l| l.x_end <= mid).filter(wide).count();
    let right = runs.iter().filter(|l| l.x >= mid).filter(wide).count();
    left >= 3 && right >= 3
}

/// Full-width lines above the columns, the left column, the right column, then the
/// full-width lines below.
fn column_order(runs: Vec<Line>, width: f64) -> Vec<Line> {
    let mid = width / 2.0;
    let column = |l: &Line| {
        if l.x_end <= mid {
            Some(0)
        } else if l.x >= mid {
            Some(1)
        } else {
            None
        }
    };
    let top = runs
        .iter()
        .filter(|l| column(l).is_some())
        .map(|l| l.y)
        .fold(f64::INFINITY, f64::min);
    let mut keyed: Vec<(u8, Line)> = runs
        .into_iter()
        .map(|l| {
            let band = match column(&l) {
                Some(c) => 1 + c,
                None if l.y < top => 0,
                None => 3,
            };
            (band, l)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.y.total_cmp(&b.1.y)));
    keyed.into_iter().map(|(_, l)| l).collect()
}

/// Lines top to bottom, pieces on one baseline (table cells) joined left to right.
fn merge_baselines(mut runs: Vec<Line>) -> Vec<Line> {
    runs.sort_by(|a, b| a.y.total_cmp(&b.y));
    let mut lines: Vec<Line> = Vec::new();
    let mut i = 0;
    while i < runs.len() {
        let mut j = i + 1;
        while j < runs.len() && (runs[j].y - runs[i].y).abs() <= 0.3 * runs[i].size {
            j += 1;
        }
        let mut row = runs[i..j].to_vec();
        row.sort_by(|a, b| a.x.total_cmp(&b.x));
        let mut line = row[0].clone();
        for piece in &row[1..] {
            line.text.push(' ');
            line.text.push_str(&piece.text);
            line.x_end = line.x_end.max(piece.x_end);
            line.size = line.size.max(piece.size);
            line.shows.start = line.shows.start.min(piece.shows.start);
            line.shows.end = line.shows.end.max(piece.shows.end);
        }
        lines.push(line);
        i = j;
    }
    lines
}

/// A line reduced to lower-case letters, for comparing headers and outline titles.
fn normalize(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a line is a page number: `3`, `- 3 -`, `Page 3`, `Page 3 of 8`, `3 / 8`.
fn is_page_number(text: &str) -> bool {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '/' || c == '-')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let has_number = words.iter().any(|w| w.chars().all(|c| c.is_ascii_digit()));
    has_number
        && words
            .iter()
            .all(|w| w.chars().all(|c| c.is_ascii_digit()) || w == "page" || w == "of" || w == "p.")
}

/// Whether a line stands in the top or bottom margin of its page.
fn in_margin(line: &Line, height: f64) -> bool {
    line.y < MARGIN_SHARE * height || line.y > (1.0 - MARGIN_SHARE) * height
}

/// The type size most of the text is set in (by characters).
fn body_size(pages: &[Vec<(Line, f64)>]) -> f64 {
    let mut chars: HashMap<i64, usize> = HashMap::new();
    for (line, _) in pages.iter().flatten() {
        *chars.entry((line.size * 2.0).round() as i64).or_default() += line.text.len();
    }
    chars
        .into_iter()
        .max_by_key(|&(size, n)| (n, -size))
        .map_or(10.0, |(size, _)| size as f64 / 2.0)
}

/// Drops running headers and footers (margin lines that recur on other pages, digits
/// aside) and page numbers.
fn drop_running_lines(pages: &mut [Vec<(Line, f64)>]) {
    let key = |line: &Line| {
        line.text
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .collect::<String>()
            .to_lowercase()
    };
    let mut pages_with: HashMap<String, usize> = HashMap::new();
    for page in pages.iter() {
        let mut keys: Vec<String> = page
            .iter()
            .filter(|(l, h)| in_margin(l, *h))
            .map(|(l, _)| key(l))
            .collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            *pages_with.entry(k).or_default() += 1;
        }
    }
    for page in pages.iter_mut() {
        page.retain(|(l, h)| {
            !(in_margin(l, *h) && (is_page_number(&l.text) || pages_with[&key(l)] > 1))
        });
    }
}

/// The level of a numbered heading (`2 Dosage` is 2, `2.1 Dosage` 3), if the line is
/// one: a number, then a capitalized title with no sentence punctuation at its end.
fn numbered_heading_level(text: &str) -> Option<u8> {
    let (number, title) = text.split_once(' ')?;
    let number = number.trim_end_matches('.');
    let parts: Vec<&str> = number.split('.').collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.len() <= 2 && p.chars().all(|c| c.is_ascii_digit()));
    let titled = title.chars().next().is_some_and(char::is_uppercase)
        && !title.ends_with(['.', ',', ';', ':'])
        && title.chars().count() <= 80;
    (numeric && titled).then(|| (1 + parts.len()).min(6) as u8)
}

/// Whether a line reads as a heading at all: short, with letters, not a sentence.
fn heading_shaped(text: &str) -> bool {
    text.chars().count() <= MAX_HEADING_CHARS
        && text.chars().any(char::is_alphabetic)
        && !text.ends_with(['.', ',', ';'])
}

/// Decides the heading level of each line: from the outline when there is one, else
/// from type size (larger than the body text; the largest first line is the title),
/// numbering, and weight (a bold line alone in the body size, one level below the
/// smallest larger size).
fn heading_levels(
    pages: &[Vec<(Line, f64)>],
    outline: &[(String, usize, usize)],
) -> Vec<Vec<Option<u8>>> {
    let body = body_size(pages);
    let mut sizes: Vec<i64> = pages
        .iter()
        .flatten()
        .filter(|(l, _)| l.size >= body * HEADING_SIZE_RATIO && heading_shaped(&l.text))
        .map(|(l, _)| (l.size * 2.0).round() as i64)
        .collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    sizes.dedup();
    let first = pages.iter().flatten().next().map(|(l, _)| l);
    let title_size = first
        .filter(|l| sizes.first() == Some(&((l.size * 2.0).round() as i64)))
        .map(|l| (l.size * 2.0).round() as i64);
    // Bold in the body size ranks below every larger size.
    let larger = sizes.len() - usize::from(title_size.is_some());
    let bold_level = (2 + larger).min(6) as u8;
    pages
        .iter()
        .enumerate()
        .map(|(p, page)| {
            page.iter()
                .enumerate()
                .map(|(i, (line, _))| {
                    let is_first = first.is_some_and(|f| std::ptr::eq(f, line));
                    if !outline.is_empty() {
                        let key = normalize(&line.text);
                        let listed = outline.iter().find(|(title, _, page)| {
                            *title == key && (*page == p + 1 || *page == 0)
                        });
                        return match listed {
                            Some((_, level, _)) => Some((level + 1).min(6) as u8),
                            None if is_first && title_size.is_some() => Some(1),
                            None => None,
                        };
                    }
                    if !heading_shaped(&line.text) {
                        return None;
                    }
                    let size = (line.size * 2.0).round() as i64;
                    if line.size >= body * HEADING_SIZE_RATIO {
                        if is_first && title_size == Some(size) {
                            return Some(1);
                        }
                        let rank = sizes.iter().position(|&s| s == size).unwrap_or(0);
                        let skip_title = usize::from(title_size.is_some());
                        return Some((2 + rank - skip_title.min(rank)).min(6) as u8);
                    }
                    if line.size >= body * 0.95 {
                        return numbered_heading_level(&line.text)
                            .or_else(|| is_bold_heading(page, i).then_some(bold_level));
                    }
                    None
                })
                .collect()
        })
        .collect()
}

/// Writes the pages' lines as one text: a blank line between paragraphs (a gap wider
/// than a line), around headings and between pages; hyphenated words joined.
fn lay_out(
    mut pages: Vec<Vec<(Line, f64)>>,
    outline: &[(String, usize, usize)],
) -> (String, Layout) {
    drop_running_lines(&mut pages);
    let levels = heading_levels(&pages, outline);
    join_hyphenated(&mut pages);
    let mut text = String::new();
    let mut layout = Layout::default();
    for (page, levels) in pages.iter().zip(&levels) {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        layout.page_starts.push(text.len());
        let mut previous: Option<(&Line, bool)> = None;
        for ((line, _), level) in page.iter().zip(levels) {
            if line.text.is_empty() {
                continue;
            }
            if let Some((before, was_heading)) = previous {
                let gap = line.y - before.y;
                let new_paragraph = was_heading
                    || level.is_some()
                    || gap > 1.6 * line.size.max(before.size)
                    || gap < 0.0;
                text.push_str(if new_paragraph { "\n\n" } else { "\n" });
            }
            if let Some(level) = *level {
                layout.headings.push(PdfHeading {
                    start: text.len(),
                    end: text.len() + line.text.len(),
                    level,
                });
            }
            text.push_str(&line.text);
            previous = Some((line, level.is_some()));
        }
    }
    text.push('\n');
    (text, layout)
}

/// Joins a word hyphenated at a line's end (`medi-` / `cation is`) on the first line.
fn join_hyphenated(pages: &mut [Vec<(Line, f64)>]) {
    for page in pages.iter_mut() {
        for i in 1..page.len() {
            let (head, tail) = page.split_at_mut(i);
            let (before, line) = (&mut head[i - 1].0, &mut tail[0].0);
            let mut chars = before.text.chars().rev();
            let hyphenated =
                chars.next() == Some('-') && chars.next().is_some_and(char::is_alphabetic);
            if !hyphenated || !line.text.starts_with(|c: char| c.is_lowercase()) {
                continue;
            }
            let (word, rest) = line.text.split_once(' ').unwrap_or((&line.text, ""));
            before.text.pop();
            before.text.push_str(word);
            line.text = rest.to_string();
        }
    }
}

/// The blocks of a PDF's text: its headings, and between them the text read as plain
/// text is.
pub fn read(text: &str, layout: &Layout) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut from = 0;
    for heading in &layout.headings {
        let Some(title) = text.get(heading.start..heading.end) else {
            continue;
        };
        if heading.start < from {
            continue;
        }
        blocks.extend(markdown::read_blocks(&text[from..heading.start], from));
        blocks.push(Block::new(
            BlockKind::Heading(heading.level),
            title.to_string(),
            heading.start,
            heading.end,
        ));
        from = heading.end;
    }
    blocks.extend(markdown::read_blocks(&text[from..], from));
    blocks
}

#[cfg(all(test, feature = "pdf"))]
mod tests {
    use super::*;

    /// Reading runs of pages on threads gives the lines of one pass, page for page.
    #[test]
    fn pages_read_on_threads_are_the_pages_read_in_one_pass() {
        let bytes = include_bytes!("../../tests/fixtures/pdf/leaflet-20-pages.pdf");
        let doc = Document::load_mem(bytes).unwrap();
        let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
        let started = Instant::now();
        let seen = |read: Vec<(PageLines, u32)>| -> Vec<(Vec<String>, u32)> {
            read.into_iter()
                .map(|(lines, shows)| {
                    let lines = lines.iter().map(|(l, height)| {
                        format!(
                            "{} {} {} {} {} {:?} {height}",
                            l.text, l.x, l.x_end, l.y, l.size, l.shows
                        )
                    });
                    (lines.collect(), shows)
                })
                .collect()
        };
        let one_pass = seen(read_pages(&doc, started).unwrap());
        assert_eq!(one_pass.len(), 20);
        for threads in [2, 3, 7] {
            let threaded = seen(read_on_threads(&doc, &pages, threads, started).unwrap());
            assert_eq!(threaded, one_pass, "{threads} threads");
        }
    }
}
