"""The real letters the bot was born from, read from ../shared (never copied into the project).

In CI (`CI` set) their absence is a failure; on a laptop without ../shared the tests skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_LETTERS = Path(__file__).resolve().parents[2] / "shared" / "letters"
LETTER_2018 = "2018-08-08-st-helens-focused-visit.txt"
LETTER_2021 = "2021-06-22-st-helens-final-report-cover.txt"


def seed_letter(name: str) -> Path:
    path = SHARED_LETTERS / name
    if not path.is_file():
        message = f"the real letter {path} is not there"
        if os.environ.get("CI") or os.environ.get("OFSTED_REQUIRE_SHARED"):
            pytest.fail(f"{message}; CI must have ../shared/letters")
        pytest.skip(message)
    return path
