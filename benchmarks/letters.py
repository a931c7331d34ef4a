"""Letter reading: time per letter, text and PDF, with the extraction apart from the reading.

    .venv/bin/python benchmarks/letters.py [--repeat 20]

1. Text letters: the bundled example (bot/examples/), the fictional letters and reports in
   tests/scheduler/letters/ and, if present, the two real letters in ../shared/letters/. For each:
   `document_text` (bytes to text) and `read_letter` (text to facts), median of --repeat runs.
2. A 10-page PDF made from text with fpdf2 (tests/factories.pdf_from_text, as the tests make
   theirs): the bundled example letter followed by the fictional reports' text until it runs to
   ten pages. Baseline: pypdf's bare text extraction of the same file (PdfReader, extract_text
   on each page). Then our `document_text` (that extraction, checked), `read_letter` on its text,
   and both together, which is what a shared PDF costs the bot.
3. `ofsted-bot letter PATH --json` end to end (a new process: interpreter, imports, reading),
   once per file, next to a bare `python -c pass`.
4. Adversarial text, 250 KB, 500 KB and 1 MB side by side: a focused-visit letter's opening
   followed by one kind of filler (repeated working-day phrases, many dates in one sentence,
   long runs of blank lines). The reader must be linear: 1 MB in under 5 s, and each doubling
   about doubles the time. Baseline: a bare pass over the same text (`str.split`), so that the
   machine's speed on the day divides out.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common
from benchmarks.common import percentile
from scheduler.documents import document_text
from scheduler.letters import NotAnOfstedLetter, read_letter

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "bot" / "examples" / "focused-visit-final-report-cover.txt"
FICTIONAL = REPO / "tests" / "scheduler" / "letters"
REAL = REPO.parent / "shared" / "letters"
PAGES = 10


def print_table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    print(f"\n{title}")
    common.print_table(header, rows)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def timed(action: Callable[[], Any], *, repeat: int) -> list[float]:
    action()  # warm: imports, compiled patterns, the bank holidays of the years in the letter
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return times


def word_count(text: str) -> int:
    """The floor for reading a text: splitting it into words."""
    return len(text.split())


def read_or_refuse(text: str) -> str:
    try:
        facts = read_letter(text)
    except NotAnOfstedLetter:
        return "refused (not a letter)"
    return f"{len(facts.milestones)} dates"


def text_letters() -> list[tuple[str, Path]]:
    letters = [("bundled example", EXAMPLE)]
    letters += [("fictional", path) for path in sorted(FICTIONAL.glob("*.txt"))]
    letters += [("real", path) for path in sorted(REAL.glob("*.txt"))] if REAL.is_dir() else []
    return letters


def measure_text(repeat: int) -> tuple[list[list[Any]], list[float]]:
    rows, reads = [], []
    for kind, path in text_letters():
        data = path.read_bytes()
        text = document_text(data, filename=path.name)
        decode = timed(partial(document_text, data, filename=path.name), repeat=repeat)
        read = timed(partial(read_or_refuse, text), repeat=repeat)
        reads.append(statistics.median(read))
        rows.append(
            [
                f"{kind}: {path.name}",
                f"{len(text):,}",
                ms(statistics.median(decode)),
                ms(statistics.median(read)),
                ms(percentile(read, 95)),
                read_or_refuse(text),
            ]
        )
    return rows, reads


def ten_page_pdf() -> tuple[bytes, int]:
    """The bundled example letter, then the fictional reports' text, as many paragraphs as fill
    exactly ten pages (every page full of text, not padded)."""
    from pypdf import PdfReader

    from tests.factories import pdf_from_text

    def pages_of(paragraphs: list[str]) -> tuple[bytes, int]:
        data = pdf_from_text("\n\n".join(paragraphs))
        return data, len(PdfReader(io.BytesIO(data)).pages)

    texts = [EXAMPLE.read_text(encoding="utf-8")]
    texts += [
        path.read_text(encoding="utf-8")
        for path in sorted(FICTIONAL.glob("*.txt"))
        if "not-a-letter" not in path.name
    ]
    paragraphs = [
        paragraph for text in texts for paragraph in text.split("\n\n") if paragraph.strip()
    ]
    while pages_of(paragraphs)[1] <= PAGES:
        paragraphs += paragraphs
    low, high = 1, len(paragraphs)  # the most paragraphs that still fit in PAGES pages
    while low < high:
        middle = (low + high + 1) // 2
        if pages_of(paragraphs[:middle])[1] <= PAGES:
            low = middle
        else:
            high = middle - 1
    return pages_of(paragraphs[:low])


def bare_pypdf(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n\n".join(page.extract_text() or "" for page in reader.pages)


def measure_pdf(repeat: int) -> tuple[list[list[Any]], bytes]:
    data, pages = ten_page_pdf()
    text = document_text(data, filename="letter.pdf")
    rows = []
    for name, action in (
        ("pypdf bare extraction (baseline)", lambda: bare_pypdf(data)),
        ("document_text (extraction, checked)", lambda: document_text(data, filename="letter.pdf")),
        ("read_letter on the extracted text", lambda: read_or_refuse(text)),
        (
            "document_text + read_letter (a shared PDF)",
            lambda: read_or_refuse(document_text(data, filename="letter.pdf")),
        ),
    ):
        times = timed(action, repeat=repeat)
        rows.append([name, ms(statistics.median(times)), ms(percentile(times, 95)), ms(max(times))])
    summary = (
        f"{pages} pages, {len(data) / 1024:.0f} KB, {len(text):,} characters of text, "
        f"read as: {read_or_refuse(text)}"
    )
    rows.append([summary, "", "", ""])
    return rows, data


def measure_cli(pdf: bytes, runs: int) -> list[list[Any]]:
    cli = str(Path(sys.executable).with_name("ofsted-bot"))
    rows = []

    def wall(command: list[str]) -> list[float]:
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            subprocess.run(
                command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            times.append(time.perf_counter() - began)
        return times

    rows.append(
        [
            "bare `python -c pass` (baseline)",
            f"{statistics.median(wall([sys.executable, '-c', 'pass'])):.2f}",
        ]
    )
    rows.append(
        [
            "ofsted-bot letter <bundled example .txt> --json",
            f"{statistics.median(wall([cli, 'letter', str(EXAMPLE), '--json'])):.2f}",
        ]
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "letter.pdf"
        path.write_bytes(pdf)
        rows.append(
            [
                f"ofsted-bot letter <{PAGES}-page .pdf> --json",
                f"{statistics.median(wall([cli, 'letter', str(path), '--json'])):.2f}",
            ]
        )
    return rows


ADVERSARIAL_HEAD = (
    "Ofsted\n\n8 August 2018\n\nDear Ms Example\n\n"
    "Focused visit to St Helens children's services\n\n"
)
ADVERSARIAL_FILLERS = {
    "repeated working-day phrases": (
        "the draft action plan is due within 20 working days of the date of this letter and "
    ),
    "many dates in one sentence": "on 11 and 12 July 2018, 3 to 14 September 2018, ",
    "long runs of blank lines": "\n \n\n",
}
ADVERSARIAL_SIZES = (250_000, 500_000, 1_000_000)


def adversarial_text(filler: str, size: int) -> str:
    return ADVERSARIAL_HEAD + filler * (size // len(filler))


def measure_adversarial(repeat: int) -> list[list[Any]]:
    rows = []
    for name, filler in ADVERSARIAL_FILLERS.items():
        seconds, ratios = [], []
        for size in ADVERSARIAL_SIZES:
            text = adversarial_text(filler, size)
            read = statistics.median(timed(partial(read_or_refuse, text), repeat=repeat))
            bare = statistics.median(timed(partial(word_count, text), repeat=repeat))
            seconds.append(read)
            ratios.append(read / bare)
        rows.append(
            [
                name,
                *(f"{value:.2f}" for value in seconds),
                f"{seconds[-1] / seconds[0]:.1f}",
                " / ".join(f"{ratio:.0f}" for ratio in ratios),
            ]
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeat", type=int, default=20, help="timed runs of each step (default 20)"
    )
    parser.add_argument("--cli-runs", type=int, default=3)
    parser.add_argument(
        "--adversarial-repeat",
        type=int,
        default=3,
        help="timed runs of each adversarial text (default 3)",
    )
    parser.add_argument(
        "--adversarial-only", action="store_true", help="only section 4, the adversarial texts"
    )
    arguments = parser.parse_args()
    if arguments.adversarial_only:
        print(
            "machine: "
            + ", ".join(f"{name} {value}" for name, value in common.machine_facts().items())
        )
        print_adversarial(arguments.adversarial_repeat)
        return 0
    print(
        "machine: " + ", ".join(f"{name} {value}" for name, value in common.machine_facts().items())
    )
    text_rows, reads = measure_text(arguments.repeat)
    pdf_rows, pdf = measure_pdf(arguments.repeat)
    cli_rows = measure_cli(pdf, arguments.cli_runs)
    print_table(
        f"1. text letters, median of {arguments.repeat} runs "
        "(document_text: bytes to text; read_letter: text to facts)",
        [
            "letter",
            "characters",
            "document_text ms",
            "read_letter ms",
            "read_letter p95 ms",
            "outcome",
        ],
        text_rows,
    )
    print(
        f"   read_letter over {len(reads)} text letters: median {ms(statistics.median(reads))} ms, "
        f"slowest {ms(max(reads))} ms"
    )
    print_table(
        f"2. a {PAGES}-page PDF made from text, median of {arguments.repeat} runs",
        ["step", "median ms", "p95 ms", "max ms"],
        pdf_rows,
    )
    print_table(
        f"3. the command line end to end, median of {arguments.cli_runs} runs",
        ["command", "seconds"],
        cli_rows,
    )
    print_adversarial(arguments.adversarial_repeat)
    return 0


def print_adversarial(repeat: int) -> None:
    print_table(
        f"4. adversarial text, read_letter seconds, median of {repeat} runs "
        "(linear: 1 MB in under 5 s, 1 MB / 250 KB about 4)",
        ["filler", "250 KB s", "500 KB s", "1 MB s", "1 MB / 250 KB", "x bare split (each size)"],
        measure_adversarial(repeat),
    )


if __name__ == "__main__":
    raise SystemExit(main())
