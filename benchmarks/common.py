"""Small helpers shared by the benchmark scripts: percentiles, a plain table, machine facts."""

from __future__ import annotations

import math
import os
import platform
import sys
from collections.abc import Sequence
from typing import TextIO


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method; nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, file: TextIO | None = None
) -> None:
    """Columns padded to their widest cell; numbers right-aligned, text left-aligned."""
    cells = [
        [str(h) for h in headers],
        *[["" if c is None else str(c) for c in row] for row in rows],
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [
        all(_looks_numeric(row[i]) for row in cells[1:] if row[i]) for i in range(len(headers))
    ]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if is_number else cell.ljust(width)
            for cell, width, is_number in zip(row, widths, numeric, strict=False)
        ).rstrip()

    out = file or sys.stdout
    print(line(cells[0]), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells[1:]:
        print(line(row), file=out)


def _looks_numeric(text: str) -> bool:
    try:
        float(text.rstrip("x%"))
    except ValueError:
        return False
    return True


def machine_facts() -> dict[str, str]:
    """What a reader needs to weigh the figures: cores, CPU, Python, load at the start."""
    facts = {
        "cores": str(os.cpu_count()),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
    }
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next(
                (ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")), None
            )
        if model:
            facts["cpu"] = model
    except OSError:
        pass
    if hasattr(os, "getloadavg"):
        facts["load average at start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return facts
