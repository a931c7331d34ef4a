"""Turning a shared file (text, PDF or DOCX) into text: a thin adapter over pypdf and python-docx.

It takes bytes, not a path, so a file downloaded from Slack and a file on disk go the same way.
Every failure is an `UnreadableDocument` whose message a council officer can act on.

Every file is read within fixed bounds, checked before the libraries see it where the file says
enough (pages, unpacked sizes, XML declarations) and while reading where it does not (the text's
length, each PDF stream's unpacked size). What no check foresees is caught by reading in a child
process with memory and time limits: `scheduler/sandbox.py`.
"""

from __future__ import annotations

import io
import logging
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pypdf import Configuration, PageObject, PdfReader

logger = logging.getLogger(__name__)
# pypdf reports what it had to repair in a damaged file through logging. Where logging is not set
# up (the command line) Python would print each report on stderr, around our one-line error;
# where it is (the server), the reports still reach its handlers.
logging.getLogger("pypdf").addHandler(logging.NullHandler())

MB = 1024 * 1024
# Letters are a few pages; a larger upload is not a letter and must not tie up a worker.
MAX_DOCUMENT_BYTES = 20 * MB
# An Ofsted letter is a few thousand characters and the longest of the 279 real reports in
# ../shared/reports about 136,000: a text seven times longer than that is not a letter, and
# reading it into facts would take time the bot owes other people.
MAX_TEXT_CHARACTERS = 1_000_000
# A letter runs to a few pages and the longest of the real reports to 44. 150 pages leaves room
# for a report with its annexes, and still reads inside the child's time limit on a busy machine
# (pypdf takes up to 0.1 s a page there); a 20,000-page file is refused before any page is read.
MAX_PDF_PAGES = 150
# A Word letter unpacks to a few hundred KB, a long report with photographs to some MB.
MAX_UNPACKED_BYTES = 100 * MB
# A .docx holds a few dozen parts; each costs the zip reader and python-docx memory and time.
MAX_ZIP_ENTRIES = 1_000
# Word's XML packs to a fifth or a tenth of its size; a part packed a hundred times smaller (and
# large enough to matter) was made to unpack, as a zip bomb is.
MAX_PACKING_RATIO = 100
PACKING_RATIO_FROM_BYTES = 1 * MB
# pypdf's own limits, lowered from its 75 MB defaults: a page's content stream is tens of KB of
# drawing instructions; 10 MB of them is no letter. Per stream, so per page.
MAX_PDF_STREAM_BYTES = 10 * MB
MAX_PDF_PARSING_WORK = 1_000_000  # operands and operators in one content stream
# pypdf retries a broken deflate stream byte by byte, a Python loop per input byte.
MAX_PDF_RECOVERY_BYTES = 1 * MB
# A page's content streams, and all the pages' together: a 44-page report has about 2 MB in all.
# Checked before a page's text is extracted, since parsing the instructions is what takes the
# time (pypdf parses about 3 MB a second of them on a busy machine).
MAX_PDF_PAGE_CONTENT_BYTES = 4 * MB
MAX_PDF_CONTENT_BYTES = 20 * MB
# python-docx takes about 0.1 ms and 1 KB per paragraph (and lxml memory per element): a long
# report has a few thousand paragraphs and a few hundred thousand elements.
MAX_WORD_PARAGRAPHS = 20_000
MAX_WORD_ELEMENTS = 1_000_000

# A DOCTYPE is the way into entity expansion ("billion laughs") and external entities. Word never
# writes one; python-docx parses with resolve_entities=False, and we refuse the file regardless.
# Word writes its XML in UTF-8, and a part in another encoding is refused, so that the markers
# counted here are all there is.
_DOCTYPE = b"<!DOCTYPE"
_ELEMENT = b"<w:"  # an opening tag in Word's main namespace (a closing one is "</w:")
_PARAGRAPHS = (b"<w:p>", b"<w:p ")
_NOT_UTF_8 = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")


class UnreadableDocument(ValueError):
    """The file cannot be turned into text; the message says why and what to do."""


def needs_a_parser(data: bytes, *, filename: str) -> bool:
    """Whether reading the file runs a PDF or Word parser (read in a child), or only decodes."""
    suffix = Path(filename).suffix.lower()
    return data.startswith((b"%PDF", b"PK")) or suffix in (".pdf", ".docx")


def document_text(data: bytes, *, filename: str) -> str:
    """The text of a letter, from the bytes of a .txt, .pdf or .docx file, within the bounds."""
    if not data:
        raise UnreadableDocument(f"{filename} is empty")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise too_large(filename, size=len(data))
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
    if len(text) > MAX_TEXT_CHARACTERS:
        raise _too_much_text(filename)
    if not text.strip():
        raise UnreadableDocument(
            f"{filename} has no text in it (a scanned image?): share the PDF that Ofsted sent, "
            "or paste the letter's text"
        )
    return text


def read_document(path: Path) -> str:
    """The text of a letter on disk, read in this process: for files we made ourselves.

    A file from anyone else goes through `scheduler.sandbox.read_file_bounded`.
    """
    return document_text(document_bytes(path), filename=path.name)


def document_bytes(path: Path) -> bytes:
    """A file's bytes, refusing one over the size limit before reading it."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise IsADirectoryError
        if size > MAX_DOCUMENT_BYTES:
            raise too_large(path.name, size=size)
        return path.read_bytes()
    except FileNotFoundError:
        raise UnreadableDocument(f"{path} does not exist") from None
    except IsADirectoryError:
        raise UnreadableDocument(f"{path} is a folder, not a letter") from None
    except OSError as error:
        raise UnreadableDocument(f"{path} cannot be read: {error.strerror}") from None


def too_large(filename: str, *, size: int) -> UnreadableDocument:
    return UnreadableDocument(
        f"{filename} is {size / MB:.0f} MB; a letter is at most {MAX_DOCUMENT_BYTES // MB} MB"
    )


def unpacks_too_large(filename: str) -> UnreadableDocument:
    return UnreadableDocument(
        f"{filename} unpacks to more than {MAX_UNPACKED_BYTES // MB} MB: share the letter itself"
    )


def _too_much_text(filename: str) -> UnreadableDocument:
    return UnreadableDocument(
        f"{filename} has more than {MAX_TEXT_CHARACTERS:,} characters of text, far more than a "
        "letter or report: share the letter itself"
    )


def _plain_text(data: bytes, *, filename: str) -> str:
    if b"\x00" in data[:4096]:
        raise UnreadableDocument(
            f"{filename} is not a text, PDF or DOCX file: share the letter as one of those"
        )
    # Each byte is at least one character: a longer file cannot be within the text limit.
    if len(data) > 4 * MAX_TEXT_CHARACTERS:
        raise _too_much_text(filename)
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


def _pdf_limits() -> Configuration:
    from pypdf import Configuration

    return Configuration(
        maximum_declared_stream_length=MAX_PDF_STREAM_BYTES,
        array_based_stream_maximum_output_length=MAX_PDF_STREAM_BYTES,
        zlib_maximum_output_length=MAX_PDF_STREAM_BYTES,
        zlib_maximum_recovery_input_length=MAX_PDF_RECOVERY_BYTES,
        lzw_maximum_output_length=MAX_PDF_STREAM_BYTES,
        run_length_maximum_output_length=MAX_PDF_STREAM_BYTES,
        brotli_maximum_output_length=MAX_PDF_STREAM_BYTES,
        jbig2_maximum_output_length=MAX_PDF_STREAM_BYTES,
        image_maximum_buffer_size=MAX_PDF_STREAM_BYTES,
        stream_decoding_work_maximum_length=4 * MAX_PDF_STREAM_BYTES,
        stream_parsing_work_maximum_count=MAX_PDF_PARSING_WORK,
        # Pages and the nodes that group them; checked while the tree is read, in case its
        # /Count (checked first) is a lie.
        page_tree_maximum_entries=4 * MAX_PDF_PAGES,
        # Text extraction needs no images; never start an outside decoder for one.
        jbig2dec_binary=None,
    )


def _pdf_text(data: bytes, *, filename: str) -> str:
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError

    pages: list[str] = []
    try:
        with apply_configuration(_pdf_limits()):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise UnreadableDocument(
                    f"{filename} is password-protected: share an unprotected copy"
                )
            count = _declared_pages(reader)
            if count <= MAX_PDF_PAGES:
                count = len(reader.pages)
            if count > MAX_PDF_PAGES:
                raise UnreadableDocument(
                    f"{filename} has {count:,} pages; a letter or report has at most "
                    f"{MAX_PDF_PAGES}: share the letter itself"
                )
            characters = content = 0
            for page in reader.pages:
                page_content = _content_bytes(page)
                content += page_content
                if page_content > MAX_PDF_PAGE_CONTENT_BYTES or content > MAX_PDF_CONTENT_BYTES:
                    raise UnreadableDocument(
                        f"{filename} has more page content than a letter (over "
                        f"{MAX_PDF_PAGE_CONTENT_BYTES // MB} MB on a page or "
                        f"{MAX_PDF_CONTENT_BYTES // MB} MB in all): share the letter itself"
                    )
                text = page.extract_text() or ""
                characters += len(text)
                if characters > MAX_TEXT_CHARACTERS:
                    raise _too_much_text(filename)
                pages.append(text)
    except UnreadableDocument:
        raise
    except (LimitReachedError, MemoryError) as error:
        logger.info("pdf over a limit: %s: %s: %s", filename, type(error).__name__, error)
        raise UnreadableDocument(
            f"{filename} is larger inside than a letter (a part unpacks to more than "
            f"{MAX_PDF_STREAM_BYTES // MB} MB, or it has more than {MAX_PDF_PAGES} pages): "
            "share the letter itself"
        ) from None
    except Exception as error:
        logger.info("pdf unreadable: %s: %s: %s", filename, type(error).__name__, error)
        raise UnreadableDocument(f"{filename} is not a readable PDF (it may be damaged)") from None
    # A blank line between pages keeps a page's last sentence apart from the next page's first.
    return "\n\n".join(pages)


def _declared_pages(reader: PdfReader) -> int:
    """The page count the file states, read without walking its page tree."""
    from pypdf.generic import DictionaryObject

    pages = reader.root_object.get("/Pages")
    pages = pages.get_object() if pages is not None else None
    count = pages.get("/Count") if isinstance(pages, DictionaryObject) else None
    return int(count) if isinstance(count, int) else 0


def _content_bytes(page: PageObject) -> int:
    """The unpacked size of a page's content streams (unpacking within pypdf's limits)."""
    from pypdf.generic import ArrayObject, StreamObject

    contents = page.get("/Contents")
    streams = contents.get_object() if contents is not None else []
    if isinstance(streams, StreamObject):
        streams = [streams]
    if not isinstance(streams, ArrayObject | list):
        return 0
    sizes = (item.get_object() for item in streams)
    return sum(len(stream.get_data()) for stream in sizes if isinstance(stream, StreamObject))


def _docx_text(data: bytes, *, filename: str) -> str:
    import docx

    try:
        _check_package(data, filename=filename)
        document = docx.Document(io.BytesIO(data))
        blocks = [paragraph.text for paragraph in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                blocks.append(" | ".join(cell.text for cell in row.cells))
    except UnreadableDocument:
        raise
    except MemoryError:
        raise unpacks_too_large(filename) from None
    except Exception as error:
        logger.info("docx unreadable: %s: %s: %s", filename, type(error).__name__, error)
        raise UnreadableDocument(
            f"{filename} is not a readable Word (.docx) file (it may be damaged)"
        ) from None
    # Word paragraphs are paragraphs: a blank line between them, as in the text letters.
    return "\n\n".join(blocks)


def _check_package(data: bytes, *, filename: str) -> None:
    """Refuse a .docx that unpacks too far, or declares XML entities, before python-docx reads it.

    The sizes come from the zip's own directory; the zip reader stops at each declared size (and
    fails on a part that was longer), so a directory that lies gets no further than one that
    tells the truth.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        parts = package.infolist()
        if len(parts) > MAX_ZIP_ENTRIES:
            raise UnreadableDocument(
                f"{filename} holds {len(parts):,} files; a Word document holds a few dozen: "
                "share the letter itself"
            )
        if sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES:
            raise unpacks_too_large(filename)
        for part in parts:
            packed = max(part.compress_size, 1)
            ratio = part.file_size / packed
            if part.file_size > PACKING_RATIO_FROM_BYTES and ratio > MAX_PACKING_RATIO:
                raise UnreadableDocument(
                    f"{filename} is packed like a zip bomb (a part unpacks to "
                    f"{ratio:,.0f} times its size): share the letter itself"
                )
        paragraphs = elements = 0
        for part in parts:
            if part.filename.lower().endswith((".xml", ".rels")):
                part_paragraphs, part_elements = _scan_xml(package, part, filename=filename)
                paragraphs += part_paragraphs
                elements += part_elements
        if paragraphs > MAX_WORD_PARAGRAPHS or elements > MAX_WORD_ELEMENTS:
            raise UnreadableDocument(
                f"{filename} has {paragraphs:,} paragraphs and {elements:,} elements; a letter or "
                f"report has at most {MAX_WORD_PARAGRAPHS:,} and {MAX_WORD_ELEMENTS:,}: share the "
                "letter itself"
            )


def _scan_xml(package: zipfile.ZipFile, part: zipfile.ZipInfo, *, filename: str) -> tuple[int, int]:
    """A part's paragraphs and elements, counted as it unpacks; refuses a DOCTYPE or non-UTF-8."""
    markers = (_DOCTYPE, _ELEMENT, *_PARAGRAPHS)
    # The last bytes of each chunk go again at the front of the next, so a marker cut in two is
    # seen; they are too short to hold a whole marker, so none is counted twice.
    overlap = max(len(marker) for marker in markers) - 1
    tail = b""
    paragraphs = elements = 0
    with package.open(part) as stream:
        while chunk := stream.read(MB):
            window = tail + chunk
            if (not tail and window.startswith(_NOT_UTF_8)) or _DOCTYPE in window:
                raise UnreadableDocument(
                    f"{filename} has XML that Word does not write (entity declarations or another "
                    "encoding): share the letter as Word saved it, or as a PDF"
                )
            paragraphs += sum(window.count(marker) for marker in _PARAGRAPHS)
            elements += window.count(_ELEMENT)
            tail = window[-overlap:]
    return paragraphs, elements
