"""The real letters the bot was born from, read from ../shared (never copied into the project).

In CI (`CI` set) their absence is a failure; on a laptop without ../shared the tests skip.
OFSTED_SHARED_DIR names another place for ../shared (a worktree that is not beside it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("OFSTED_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
SHARED_LETTERS = SHARED / "letters"
LETTER_2018 = "2018-08-08-st-helens-focused-visit.txt"
LETTER_2021 = "2021-06-22-st-helens-final-report-cover.txt"


def seed_letter(name: str) -> Path:
    return shared_path("letters", name)


def shared_path(*parts: str) -> Path:
    """A file or folder in ../shared; skips the test without it, fails it in CI."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = f"{path} is not there"
        if os.environ.get("CI") or os.environ.get("OFSTED_REQUIRE_SHARED"):
            pytest.fail(f"{message}; CI must have ../shared/{'/'.join(parts)}")
        pytest.skip(message)
    return path
