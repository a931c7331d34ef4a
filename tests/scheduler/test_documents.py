"""Turning files into text: the adapter answers every bad file with a message an officer can act
on."""

import pytest

from scheduler.documents import UnreadableDocument, document_text, read_document
from tests.factories import docx_from_text, image_only_pdf, pdf_from_text

LETTER = (
    "22 June 2021\n\nDear Ms Example\n\nFinal report: focused visit\n\n"
    "We would be grateful for your feedback by 20 August 2021."
)


def test_text_pdf_and_docx_give_the_same_words():
    for data, name in (
        (LETTER.encode(), "letter.txt"),
        (pdf_from_text(LETTER), "letter.pdf"),
        (docx_from_text(LETTER), "letter.docx"),
    ):
        text = document_text(data, filename=name)
        assert "feedback by 20 August 2021" in " ".join(text.split()), name


def test_a_windows_encoded_text_file_is_read():
    text = document_text(
        "feedback by 20 August 2021 – thank you".encode("cp1252"), filename="a.txt"
    )
    assert "–" in text


def test_a_pdf_is_recognised_by_its_content_whatever_its_name():
    text = document_text(pdf_from_text(LETTER), filename="letter")
    assert "20 August 2021" in text


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "letter.pdf", "letter.pdf is empty"),
        (image_only_pdf(), "scan.pdf", "no text in it (a scanned image?)"),
        (b"%PDF-1.7\nthis is not really a pdf", "broken.pdf", "not a readable PDF"),
        (b"PK\x03\x04 not a zip", "broken.docx", "not a readable Word (.docx) file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.doc", "old Word .doc file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "photo.png", "not a text, PDF or DOCX file"),
        (b" \n\t\n", "blank.txt", "no text in it"),
    ],
    ids=["empty", "image-only-pdf", "damaged-pdf", "damaged-docx", "old-doc", "png", "blank"],
)
def test_unreadable_files_are_refused_with_a_reason(data, filename, message):
    with pytest.raises(UnreadableDocument) as refusal:
        document_text(data, filename=filename)
    assert message in str(refusal.value)


def test_a_password_protected_pdf_is_refused():
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_from_text(LETTER))))
    writer.encrypt(user_password="secret", owner_password="secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(UnreadableDocument, match="password-protected"):
        document_text(buffer.getvalue(), filename="locked.pdf")


def test_a_missing_file_and_a_folder_are_refused(tmp_path):
    with pytest.raises(UnreadableDocument, match="does not exist"):
        read_document(tmp_path / "nowhere.pdf")
    with pytest.raises(UnreadableDocument, match="is a folder"):
        read_document(tmp_path)
