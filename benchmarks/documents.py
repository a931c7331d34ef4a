"""Reading files within bounds: what the child reader costs a letter, and what hostile files cost.

    .venv/bin/python benchmarks/documents.py [--repeat 10]

1. A normal letter (the bundled example as PDF and as DOCX, made as the tests make theirs, and a
   real report PDF from ../shared/reports if present): `document_text` in this process (the
   baseline) against `read_document_bounded` (the same reading in a fresh child with memory and
   time limits), median of --repeat runs, the ratio side by side. The difference is the child's
   start: an interpreter, and pypdf or python-docx imported afresh each time.
2. Each hostile file of tests/scheduler/test_document_bounds.py through `ofsted-bot letter` in a
   new process: the outcome, wall time, and the peak memory of the command and of its reader
   (getrusage; their sum bounds what the two held at once; the reader's figure includes the
   command's own memory at the moment it started the reader). The issue's bounds: 30 s, 400 MB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common
from scheduler.documents import document_text
from scheduler.sandbox import read_document_bounded
from tests.factories import docx_from_text, pdf_from_text
from tests.scheduler.test_document_bounds import HOSTILE, measured_cli_command

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "bot" / "examples" / "focused-visit-final-report-cover.txt"
REPORT = REPO.parent / "shared" / "reports" / "pdf" / "birmingham-2016-11-25.pdf"


def median_seconds(action: Callable[[], object], *, repeat: int) -> float:
    action()  # warm: this process's imports, the files' caches
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def measure_letters(repeat: int, report: Path) -> list[list[object]]:
    text = EXAMPLE.read_text()
    letters = [
        ("example letter, PDF", pdf_from_text(text), "letter.pdf"),
        ("example letter, DOCX", docx_from_text(text), "letter.docx"),
    ]
    if report.is_file():
        letters.append((f"real report, PDF ({report.name})", report.read_bytes(), report.name))
    rows: list[list[object]] = []
    for label, data, name in letters:
        baseline = median_seconds(partial(document_text, data, filename=name), repeat=repeat)
        bounded = median_seconds(
            partial(read_document_bounded, data, filename=name), repeat=repeat
        )
        rows.append(
            [
                label,
                f"{len(data) / 1024:.0f}",
                f"{baseline * 1000:.0f}",
                f"{bounded * 1000:.0f}",
                f"{(bounded - baseline) * 1000:+.0f}",
                f"{bounded / baseline:.2f}",
            ]
        )
    return rows


def measure_hostile() -> list[list[object]]:
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as folder:
        for filename, make, _ in HOSTILE:
            path = Path(folder) / filename
            path.write_bytes(make())
            began = time.monotonic()
            finished = subprocess.run(
                measured_cli_command(path),
                capture_output=True,
                text=True,
                timeout=120,
                cwd=REPO,
            )
            seconds = time.monotonic() - began
            *said, measured = finished.stderr.strip().splitlines()
            figures = json.loads(measured)
            own, reader = figures["own_kb"] / 1024, figures["reader_kb"] / 1024
            outcome = (
                " ".join(said).removeprefix("ofsted-bot: error: ").removeprefix(filename + " ")
            )
            rows.append(
                [
                    filename,
                    f"{path.stat().st_size / 1024 / 1024:.1f}",
                    figures["status"],
                    f"{seconds:.1f}",
                    f"{own:.0f}",
                    f"{reader:.0f}",
                    f"{own + reader:.0f}",
                    outcome[:70],
                ]
            )
            path.unlink()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per letter (default 10)")
    parser.add_argument(
        "--report", type=Path, default=REPORT, help=f"a real report PDF (default {REPORT})"
    )
    arguments = parser.parse_args()
    print(
        "machine: " + ", ".join(f"{name} {value}" for name, value in common.machine_facts().items())
    )
    runs = arguments.repeat
    print(f"\n1. a normal letter: in this process vs the bounded child, median of {runs} runs")
    common.print_table(
        ["letter", "KB", "in process ms", "bounded child ms", "child's cost ms", "ratio"],
        measure_letters(arguments.repeat, arguments.report),
    )
    print("\n2. hostile files through `ofsted-bot letter` (bounds: 30 s, 400 MB)")
    common.print_table(
        ["file", "MB", "exit", "seconds", "command MB", "reader MB", "sum MB", "said"],
        measure_hostile(),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
