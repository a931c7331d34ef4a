"""Reading a PDF or Word file in a child process with memory and time limits.

`scheduler.documents` checks what a file says about itself before and while reading it; this is
the backstop for what no check foresaw (a parser bug, a new kind of bomb): the parsing runs in a
fresh interpreter that cannot use more than `READ_MEMORY_BYTES` or run longer than
`READ_SECONDS`, and whatever happens to it, the caller gets a text or an `UnreadableDocument`.

A fresh interpreter (subprocess, not fork) because the web worker that calls this has threads;
the child sets its own limits as its first act, so nothing runs between fork and exec. It is
given no environment beyond what Python needs: no Slack token or database URL for a hostile file
to reach. Plain text needs no parser and is decoded in the caller's process, within the same
size limits.

    python -m scheduler.sandbox FILENAME < bytes > {"text": ...} or {"refused": "..."}
"""

from __future__ import annotations

import json
import logging
import math
import os
import resource
import signal
import subprocess
import sys
import threading
from pathlib import Path

from scheduler.documents import (
    MAX_DOCUMENT_BYTES,
    MB,
    UnreadableDocument,
    document_bytes,
    document_text,
    needs_a_parser,
    too_large,
    unpacks_too_large,
)

logger = logging.getLogger(__name__)
# As for pypdf's reports: on the command line, where logging is not set up, Python would print
# these on stderr beside the one-line error; a server's handlers still get them.
logger.addHandler(logging.NullHandler())

# The child's address space: Python with pypdf and python-docx loaded takes about 55 MB, the
# caller (the command line, about 45 MB) the rest of the 400 MB that a file may cost in all.
READ_MEMORY_BYTES = 320 * MB
# Wall time for one file, start-up included: the other 5 of the 30 s a file may take go to
# reading the text into facts. The CPU limit stops a child whose parent is gone.
READ_SECONDS = 25
# Files read at once by one process: each reader may use READ_MEMORY_BYTES.
READERS_AT_ONCE = 2
_readers = threading.BoundedSemaphore(READERS_AT_ONCE)
_PROJECT_ROOT = Path(__file__).resolve().parent.parent
# What the child may see of the environment: enough for Python to find its packages.
_PASSED_ON = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "VIRTUAL_ENV")


def read_file_bounded(path: Path) -> str:
    """The text of a letter on disk, read within the bounds."""
    return read_document_bounded(document_bytes(path), filename=path.name)


def read_document_bounded(
    data: bytes,
    *,
    filename: str,
    seconds: float = READ_SECONDS,
    memory_bytes: int = READ_MEMORY_BYTES,
) -> str:
    """The text of a letter, read within the bounds; UnreadableDocument says why not."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise too_large(filename, size=len(data))
    if not needs_a_parser(data, filename=filename):
        return document_text(data, filename=filename)
    if not _readers.acquire(timeout=seconds):
        raise UnreadableDocument(
            f"{filename} was not read: other files are being read. Share it again in a minute"
        )
    try:
        return _read_in_child(data, filename=filename, seconds=seconds, memory_bytes=memory_bytes)
    finally:
        _readers.release()


def _read_in_child(data: bytes, *, filename: str, seconds: float, memory_bytes: int) -> str:
    name = filename.replace("\x00", "")
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "scheduler.sandbox", name, str(memory_bytes), str(seconds)],
            input=data,
            capture_output=True,
            timeout=seconds,
            env=_child_environment(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        logger.warning("reading %s took more than %s s: stopped", name, seconds)
        raise _too_slow(name, seconds=seconds) from None
    except OSError as error:
        logger.error("could not start the document reader: %s", error)
        raise UnreadableDocument(f"{name} could not be read just now: try again later") from None
    try:
        answer = json.loads(finished.stdout) if finished.returncode == 0 else None
    except ValueError:
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("text"), str):
        return str(answer["text"])
    if isinstance(answer, dict) and isinstance(answer.get("refused"), str):
        raise UnreadableDocument(str(answer["refused"]))
    last_words = finished.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
    logger.warning(
        "reading %s: the reader ended with status %s: %s",
        name,
        finished.returncode,
        last_words[0] if last_words else "no message",
    )
    if finished.returncode == -signal.SIGXCPU:
        raise _too_slow(name, seconds=seconds)
    raise UnreadableDocument(
        f"{name} needs more than the {memory_bytes // MB} MB a letter may take to read: "
        "share the letter itself"
    )


def _too_slow(name: str, *, seconds: float) -> UnreadableDocument:
    return UnreadableDocument(
        f"{name} took more than {seconds:g} seconds to read: share the letter itself"
    )


def _child_environment() -> dict[str, str]:
    environment = {name: os.environ[name] for name in _PASSED_ON if name in os.environ}
    # The child imports this package however the caller found it (installed or from a checkout).
    paths = [str(_PROJECT_ROOT), *filter(None, environment.get("PYTHONPATH", "").split(os.pathsep))]
    environment["PYTHONPATH"] = os.pathsep.join(paths)
    return environment


def _limit_this_process(*, memory_bytes: int, seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no copy of the letter


def _child(filename: str, *, memory_bytes: int, seconds: int) -> int:
    _limit_this_process(memory_bytes=memory_bytes, seconds=seconds)
    data = sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)
    try:
        answer = {"text": document_text(data, filename=filename)}
    except UnreadableDocument as refusal:
        answer = {"refused": str(refusal)}
    except MemoryError:
        answer = {"refused": str(unpacks_too_large(filename))}
    sys.stdout.buffer.write(json.dumps(answer).encode())
    return 0


if __name__ == "__main__":
    filename, memory, seconds = sys.argv[1:4]
    raise SystemExit(
        _child(filename, memory_bytes=int(memory), seconds=max(1, math.ceil(float(seconds))))
    )
