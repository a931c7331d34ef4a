"""Turning a shared file (text, PDF or DOCX) into text: a thin adapter over pypdf and python-docx.

It takes bytes, not a path, so a file downloaded from Slack and a file on disk go the same way.
Every failure is an `UnreadableDocument` whose message a council officer can act on.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

logger = logging.getLogger(__name__)
# pypdf reports what it had to repair in a damaged file through logging. Where logging is not set
# up (the command line) Python would print each report on stderr, around our one-line error;
# where it is (the server), the reports still reach its handlers.
logging.getLogger("pypdf").addHandler(logging.NullHandler())

# Letters are a few pages; a larger upload is not a letter and must not tie up a worker.
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


class UnreadableDocument(ValueError):
    """The file cannot be turned into text; the message says why and what to do."""


def document_text(data: bytes, *, filename: str) -> str:
    """The text of a letter, from the bytes of a .txt, .pdf or .docx file."""
    if not data:
        raise UnreadableDocument(f"{filename} is empty")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise UnreadableDocument(
            f"{filename} is {len(data) // (1024 * 1024)} MB; a letter is at most "
            f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MB"
        )
    suffix = Path(filename).suffix.lower()
    if data.startswith(b"%PDF") or suffix == ".pdf":
        text = _pdf_text(data, filename=filename)
    elif data.startswith(b"PK") or suffix == ".docx":
        text = _docx_text(data, filename=filename)
    elif suffix == ".doc" or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableDocument(
            f"{filename} is an old Word .doc file: save it as .docx or PDF and share it again"
        )
    else:
        text = _plain_text(data, filename=filename)
    if not text.strip():
        raise UnreadableDocument(
            f"{filename} has no text in it (a scanned image?): share the PDF that Ofsted sent, "
            "or paste the letter's text"
        )
    return text


def read_document(path: Path) -> str:
    """The text of a letter on disk."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableDocument(f"{path} does not exist") from None
    except IsADirectoryError:
        raise UnreadableDocument(f"{path} is a folder, not a letter") from None
    except OSError as error:
        raise UnreadableDocument(f"{path} cannot be read: {error.strerror}") from None
    return document_text(data, filename=path.name)


def _plain_text(data: bytes, *, filename: str) -> str:
    if b"\x00" in data[:4096]:
        raise UnreadableDocument(
            f"{filename} is not a text, PDF or DOCX file: share the letter as one of those"
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableDocument(f"{filename} is not readable text")  # pragma: no cover


# A damaged file can make the PDF and Word libraries fail in almost any way, not only with their
# own errors: an unknown filter name (NotImplementedError), a broken deflate stream (zlib.error),
# XML that does not parse (lxml's XMLSyntaxError), a part of the wrong shape (AttributeError).
# Whatever they raise while reading a file, the file is unreadable, and the person is told so.


def _pdf_text(data: bytes, *, filename: str) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableDocument(
                f"{filename} is password-protected: share an unprotected copy"
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableDocument:
        raise
    except Exception as error:  # noqa: BLE001 - see above
        logger.info("pdf unreadable: %s: %s: %s", filename, type(error).__name__, error)
        raise UnreadableDocument(f"{filename} is not a readable PDF (it may be damaged)") from None
    # A blank line between pages keeps a page's last sentence apart from the next page's first.
    return "\n\n".join(pages)


def _docx_text(data: bytes, *, filename: str) -> str:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        blocks = [paragraph.text for paragraph in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                blocks.append(" | ".join(cell.text for cell in row.cells))
    except Exception as error:  # noqa: BLE001 - see above
        logger.info("docx unreadable: %s: %s: %s", filename, type(error).__name__, error)
        raise UnreadableDocument(
            f"{filename} is not a readable Word (.docx) file (it may be damaged)"
        ) from None
    # Word paragraphs are paragraphs: a blank line between them, as in the text letters.
    return "\n\n".join(blocks)
