"""Documents made in the tests from text: PDFs and DOCX files as a council would receive them."""

from __future__ import annotations

import io

# The PDF core fonts are Latin-1; letters use a few typographic characters outside it.
_LATIN_1_STAND_INS = str.maketrans(
    {"–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "■": "-", "•": "-", "…": "..."}
)


def pdf_from_text(text: str, *, pages_at_least: int = 1) -> bytes:
    """A text PDF, wrapped to the page as a word processor would, one paragraph per line."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    safe = text.translate(_LATIN_1_STAND_INS).encode("latin-1", "replace").decode("latin-1")
    for line in safe.splitlines():
        if line.strip():
            pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.ln(5)
    while pdf.page_no() < pages_at_least:
        pdf.add_page()
        pdf.multi_cell(0, 5, "Annex: continued", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def image_only_pdf() -> bytes:
    """A PDF with a drawing and no text layer, like a scanned letter."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.rect(20, 20, 100, 50, style="F")
    return bytes(pdf.output())


def docx_from_text(text: str) -> bytes:
    """A Word document with one paragraph per block of `text`, its lines kept as line breaks."""
    import re

    import docx

    document = docx.Document()
    # A form feed is a page break; Word keeps it as a break between paragraphs.
    for block in re.split(r"\n\s*\n", text.replace("\f", "\n\n")):
        document.add_paragraph(block.strip("\n"))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
