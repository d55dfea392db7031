#!/usr/bin/env python3
"""Makes the PDF fixtures of tests/fixtures/pdf/ (and, with --bench, the 200-page PDF
of the PDF benchmark). Run it when a fixture should change, then commit the files:

    pip install -r scripts/requirements-pdf.txt      # fpdf2, pinned
    python3 scripts/make-pdf-fixtures.py              # writes tests/fixtures/pdf/
    python3 scripts/make-pdf-fixtures.py --bench OUT  # a 200-page leaflet, for bench/pdf.sh

Every fixture is small and deterministic (fixed creation date, no random ids), so a
rerun changes no bytes unless this script changed. The tests in tests/pdf.rs check each
passage of each fixture; keep the texts here and there in step.
"""

import datetime
import io
import os
import sys
import zlib

from fpdf import FPDF
from fpdf.enums import EncryptionMethod

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "pdf")
FIXED_DATE = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def new_pdf(header=None):
    """An A4 PDF in Helvetica with a fixed date; `header` is a running header and a
    `Page N of M` footer on every page."""

    class Leaflet(FPDF):
        def header(self):
            if header:
                self.set_font("Helvetica", "", 8)
                self.cell(0, 6, header, align="C", new_x="LMARGIN", new_y="NEXT")
                self.ln(4)

        def footer(self):
            if header:
                self.set_y(-15)
                self.set_font("Helvetica", "", 8)
                self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Leaflet(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_margins(20, 15, 20)
    return pdf


def heading(pdf, text, size=14, bookmark_level=None):
    if bookmark_level is not None:
        pdf.start_section(text, level=bookmark_level)
    pdf.set_font("Helvetica", "B", size)
    pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def para(pdf, text, width=0):
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(width, 5.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def line(pdf, text):
    """One line of body text, no paragraph gap after it."""
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")


def leaflet_with_bookmarks():
    pdf = new_pdf(header="Amoxicillin Patient Leaflet - Example Hospital")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 10, "Amoxicillin 500 mg Capsules", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    para(pdf, "Read all of this leaflet carefully before you start taking this medicine.")
    heading(pdf, "What Amoxicillin is used for", bookmark_level=0)
    para(pdf, "Amoxicillin is an antibiotic. It is used to treat infections caused by bacteria.")
    heading(pdf, "How to take Amoxicillin", bookmark_level=0)
    heading(pdf, "Adults", size=12, bookmark_level=1)
    # A word hyphenated at the end of a line: joined in the extracted text.
    line(pdf, "Take one capsule three times a day with a glass of water. Do not stop the treat-")
    line(pdf, "ment early, even if you feel better.")
    pdf.ln(3)
    pdf.add_page()
    heading(pdf, "Possible side effects", bookmark_level=0)
    para(pdf, "Like all medicines, amoxicillin can cause side effects: diarrhoea, nausea and skin rash.")
    heading(pdf, "Frequently Asked Questions", bookmark_level=0)
    line(pdf, "Q: Can I drink alcohol?")
    line(pdf, "A: Yes, in moderation.")
    pdf.ln(3)
    line(pdf, "Q: What if I miss a dose?")
    line(pdf, "A: Take it as soon as you remember.")
    pdf.ln(3)
    return pdf


def bold_line(pdf, text):
    """One line of bold text in the body size."""
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")


def leaflet_without_bookmarks():
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 10, "Metformin Guideline", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    para(pdf, "This guideline covers metformin for adults with type 2 diabetes.")
    heading(pdf, "Dosage", size=14)
    para(pdf, "Start low and increase slowly.")
    # Numbered headings in the body size, bold.
    bold_line(pdf, "2.1 Starting Dose")
    para(pdf, "500 mg once a day with the evening meal.")
    bold_line(pdf, "2.2 Maximum Dose")
    para(pdf, "2000 mg a day, in divided doses.")
    heading(pdf, "Storage", size=14)
    para(pdf, "Store below 25 C, in the original package.")
    return pdf


def leaflet_with_bold_headings():
    """Headings set in bold at the body size (no outline, no numbers), and a bold
    paragraph of two lines that is emphasis, not headings."""
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 10, "Ibuprofen Tablets", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    para(pdf, "Ibuprofen relieves pain and brings down a fever.")
    bold_line(pdf, "Before you take it")
    para(pdf, "Tell your doctor if you have asthma or a stomach ulcer.")
    bold_line(pdf, "How much to take")
    para(pdf, "Adults: 200 to 400 mg every 4 to 6 hours, with food.")
    bold_line(pdf, "Do not take more than 1,200 mg in 24 hours unless a doctor")
    bold_line(pdf, "tells you to, and keep the tablets out of the reach of children.")
    pdf.ln(3)
    para(pdf, "Stop taking it and see a doctor if your symptoms get worse.")
    return pdf


def two_columns():
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, "Iron Deficiency Fact Sheet", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    top = pdf.get_y()
    left = [
        "Iron deficiency is the most common",
        "nutritional deficiency in the world.",
        "It causes tiredness, pale skin and",
        "shortness of breath.",
    ]
    right = [
        "Iron is found in red meat, beans,",
        "lentils and fortified cereals.",
        "Vitamin C helps the body absorb",
        "iron from plant foods.",
    ]
    pdf.set_font("Helvetica", "", 11)
    for column, lines in ((20, left), (110, right)):
        pdf.set_xy(column, top)
        for text in lines:
            pdf.set_x(column)
            pdf.cell(80, 5.5, text, new_x="LEFT", new_y="NEXT")
    return pdf


def scanned():
    """A page with a picture of text and no text layer."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (400, 200), 255)
    draw = ImageDraw.Draw(image)
    draw.text((20, 20), "Scanned leaflet page", fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    pdf = new_pdf()
    pdf.add_page()
    pdf.image(buffer, x=20, y=20, w=160)
    return pdf


def encrypted():
    pdf = leaflet_without_bookmarks()
    pdf.set_encryption(
        owner_password="owner", user_password="secret", encryption_method=EncryptionMethod.RC4
    )
    return pdf


def raw_pdf(objects):
    """A PDF from raw object bodies (object 1 the catalog), with a correct xref."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def page_with_content(content, filter_name=None):
    stream_dict = b"<< /Length %d" % len(content)
    if filter_name:
        stream_dict += b" /Filter /" + filter_name
    stream_dict += b" >>"
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            stream_dict + b"\nstream\n" + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def decompression_bomb():
    """A content stream that inflates to 80 MiB (of spaces inside a text object)."""
    content = b"BT /F1 11 Tf 72 700 Td (" + b" " * (80 << 20) + b") Tj ET"
    return page_with_content(zlib.compress(content, 9), b"FlateDecode")


def deep_nesting():
    """An object nested 100,000 arrays deep, as a parser-crashing file has."""
    depth = 100_000
    pdf = page_with_content(b"BT /F1 11 Tf 72 700 Td (Hello) Tj ET")
    nested = b"[" * depth + b"]" * depth
    return pdf.replace(b"/Count 1 >>", b"/Count 1 /Deep " + nested + b" >>", 1)


def benchmark(path):
    leaflet_of_pages(200).output(path)


def leaflet_of_pages(pages):
    """A leaflet of `pages` pages, a bookmarked section and six paragraphs each (the
    benchmark's, and at 20 pages the fixture of reading pages on threads)."""
    pdf = new_pdf(header="Benchmark Leaflet - Example Hospital")
    words = (
        "Take this medicine exactly as your doctor or pharmacist has told you and check "
        "with them if you are not sure about the dose or how often to take it. "
    )
    for n in range(1, pages + 1):
        pdf.add_page()
        heading(pdf, f"Section {n}", bookmark_level=0)
        for _ in range(6):
            para(pdf, words * 3)
    return pdf


def main():
    if sys.argv[1:2] == ["--bench"]:
        benchmark(sys.argv[2])
        return
    os.makedirs(OUT, exist_ok=True)
    fixtures = {
        "leaflet-bookmarks.pdf": leaflet_with_bookmarks().output(),
        "leaflet-fonts.pdf": leaflet_without_bookmarks().output(),
        "leaflet-bold.pdf": leaflet_with_bold_headings().output(),
        "two-columns.pdf": two_columns().output(),
        "leaflet-20-pages.pdf": leaflet_of_pages(20).output(),
        "scanned.pdf": scanned().output(),
        "encrypted.pdf": encrypted().output(),
        "decompression-bomb.pdf": decompression_bomb(),
        "deep-nesting.pdf": deep_nesting(),
    }
    whole = bytes(fixtures["leaflet-bookmarks.pdf"])
    fixtures["truncated.pdf"] = whole[: len(whole) // 2]
    for name, data in fixtures.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes(data))
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
