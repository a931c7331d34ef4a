"""Hostile files, made at test time (never kept in the repository): bombs, huge page counts,
entity expansion. Each is built from its compressed form directly, so making a file that unpacks
to gigabytes takes a second, not the gigabytes.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

MB = 1024 * 1024
LETTER_LINE = b"BT /F1 12 Tf 72 720 Td (Dear Ms Example, we will publish the report.) Tj ET\n"


def repeated_deflate(
    *, head: bytes, chunk: bytes, times: int, tail: bytes = b"", raw: bool
) -> bytes:
    """Deflate data for head + chunk * times + tail, from one compressed chunk repeated.

    A full flush makes the compressor forget what came before, so the chunk's compressed form
    is the same each time and can be repeated. `raw` for zip (no zlib header or checksum); a
    zlib stream gets the checksum of the head and one chunk, which no reader gets as far as.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15 if raw else 15)
    first = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + repeated * times + compressor.compress(tail) + compressor.flush()


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF from its numbered objects (1 is the catalogue), with a correct cross-reference."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _stream(data: bytes, *, flate: bool) -> bytes:
    filters = b" /Filter /FlateDecode" if flate else b""
    return b"<< /Length %d%s >>\nstream\n" % (len(data), filters) + data + b"\nendstream"


def _pages_pdf(
    contents: list[bytes], page_contents: list[int], *, declared_count: int | None = None
) -> bytes:
    """Pages drawing the given content streams (by index), all in Helvetica; the page tree
    states `declared_count` pages (the true count unless given)."""
    first_content = 4
    first_page = first_content + len(contents)
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(len(page_contents)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (kids, len(page_contents) if declared_count is None else declared_count),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *contents,
    ]
    for content in page_contents:
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
            % (first_content + content)
        )
    return _pdf(objects)


def pdf_bomb(*, unpacked_mb: int, pages: int = 1) -> bytes:
    """A PDF whose pages' content streams (a line of text, then spaces) unpack to unpacked_mb MB
    in all, shared evenly between `pages` streams: a file of about unpacked_mb KB."""
    per_page = max(unpacked_mb // pages, 1)
    # One stream per page, the same bytes in each: a reader cannot tell they are the same.
    content = _stream(
        repeated_deflate(head=LETTER_LINE, chunk=b" " * MB, times=per_page, raw=False), flate=True
    )
    return _pages_pdf([content] * pages, list(range(pages)))


def pdf_with_pages(count: int, *, declared_count: int | None = None) -> bytes:
    """A PDF of `count` pages that all draw one line of text (one shared content stream)."""
    return _pages_pdf(
        [_stream(LETTER_LINE, flate=False)], [0] * count, declared_count=declared_count
    )


def _zip_entry(name: str, *, data: bytes, crc: int, size: int, offset: int) -> tuple[bytes, bytes]:
    """A deflated zip entry (local header + data) and its central-directory record; zip64 sizes."""
    encoded = name.encode()
    extra = struct.pack("<HHQQ", 1, 16, size, len(data))
    local = (
        struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            45,
            0,
            8,
            0,
            0x21,
            crc,
            0xFFFFFFFF,
            0xFFFFFFFF,
            len(encoded),
            len(extra),
        )
        + encoded
        + extra
        + data
    )
    central_extra = struct.pack("<HHQQQ", 1, 24, size, len(data), offset)
    central = (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            45,
            45,
            0,
            8,
            0,
            0x21,
            crc,
            0xFFFFFFFF,
            0xFFFFFFFF,
            len(encoded),
            len(central_extra),
            0,
            0,
            0,
            0,
            0xFFFFFFFF,
        )
        + encoded
        + central_extra
    )
    return local, central


def _zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip (zip64) of already-deflated entries: (name, deflated data, crc, unpacked size)."""
    body, directory = bytearray(), bytearray()
    for name, data, crc, size in entries:
        local, central = _zip_entry(name, data=data, crc=crc, size=size, offset=len(body))
        body += local
        directory += central
    start, length, count = len(body), len(directory), len(entries)
    end64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, length, start)
    locator = struct.pack("<IIQI", 0x07064B50, 0, start + length, 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return bytes(body + directory + end64 + locator + end)


def _docx_parts() -> dict[str, bytes]:
    """The parts of a small real Word document, made by python-docx."""
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with zipfile.ZipFile(buffer) as package:
        return {name: package.read(name) for name in package.namelist()}


_BODY_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
)
_BODY_TAIL = b"</w:body></w:document>"
_PARAGRAPH = b"<w:p><w:r><w:t>by the end of the fifth working day</w:t></w:r></w:p>"


def _docx_with_document(
    *, head: bytes, chunk: bytes, times: int, tail: bytes, declared_size: int | None = None
) -> bytes:
    """A Word document whose word/document.xml is head + chunk * times + tail."""
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + len(chunk) * times + len(tail)
    entries = []
    for name, content in _docx_parts().items():
        if name == "word/document.xml":
            data = repeated_deflate(head=head, chunk=chunk, times=times, tail=tail, raw=True)
            entries.append((name, data, crc, size if declared_size is None else declared_size))
        else:
            compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
            packed = compressor.compress(content) + compressor.flush()
            entries.append((name, packed, zlib.crc32(content), len(content)))
    return _zip(entries)


def docx_bomb(*, unpacked_mb: int) -> bytes:
    """A Word document whose body is unpacked_mb MB of repeated paragraphs (~1 KB a MB packed)."""
    per_mb = MB // len(_PARAGRAPH)
    return _docx_with_document(
        head=_BODY_HEAD, chunk=_PARAGRAPH * per_mb, times=unpacked_mb, tail=_BODY_TAIL
    )


def docx_bomb_with_a_lying_directory(*, unpacked_mb: int) -> bytes:
    """The bomb, its directory claiming the body unpacks to 10 KB."""
    per_mb = MB // len(_PARAGRAPH)
    return _docx_with_document(
        head=_BODY_HEAD,
        chunk=_PARAGRAPH * per_mb,
        times=unpacked_mb,
        tail=_BODY_TAIL,
        declared_size=10_000,
    )


def docx_with_entities() -> bytes:
    """Billion laughs: ten levels of entities, each ten of the one below, in the body."""
    levels = [b'<!ENTITY lol0 "lol">']
    levels += [b'<!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10) for n in range(1, 10)]
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE w:document ['
        + b"".join(levels)
        + b"]>"
        + _BODY_HEAD.split(b"\n", 1)[1]
    )
    return _docx_with_document(
        head=head, chunk=b"<w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>", times=1, tail=_BODY_TAIL
    )


def docx_nested(*, depth: int) -> bytes:
    """A body of paragraphs nested `depth` deep (Word never nests them at all)."""
    return _docx_with_document(
        head=_BODY_HEAD + b"<w:p>" * depth,
        chunk=b"<w:r><w:t>deep</w:t></w:r>",
        times=1,
        tail=b"</w:p>" * depth + _BODY_TAIL,
    )


def docx_wide(*, unpacked_mb: int) -> bytes:
    """A body of unpacked_mb MB of short, numbered paragraphs: packs like real text (no bomb
    ratio), so only the reader's own limits stand in its way."""
    count = unpacked_mb * MB // len(_PARAGRAPH)
    body = b"".join(
        b"<w:p><w:r><w:t>working day %d of the visit</w:t></w:r></w:p>" % n for n in range(count)
    )
    return _docx_with_document(head=_BODY_HEAD, chunk=body, times=1, tail=_BODY_TAIL)


def long_text(*, mb: int) -> bytes:
    """A plain-text file of `mb` MB of letter-like lines."""
    line = b"We would be grateful for your feedback by the end of the fifth working day.\n"
    return (line * (mb * MB // len(line) + 1))[: mb * MB]
