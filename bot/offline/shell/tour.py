"""The tour `ofsted-bot shell --demo` gives, on the bundled example letter."""

from __future__ import annotations

import contextlib
from datetime import date
from importlib import resources
from pathlib import Path

from bot.offline.shell.loop import PROMPT, ShellSession

EXAMPLE_LETTER = "focused-visit-final-report-cover.txt"
DEMO_DATE = date(2026, 4, 29)  # the day after the example letter


def _shown_path(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def run_demo(session: ShellSession) -> None:
    """The tour `--demo` gives: share the example letter, create the visit, list the visits."""
    with resources.as_file(resources.files("bot") / "examples" / EXAMPLE_LETTER) as example:
        session.output.note("A short tour: a letter is shared, a visit created, the visits listed.")
        for step in (f"share {_shown_path(Path(example))}", "press 1", "/ofsted list"):
            session.output.say(PROMPT + step, "echo")
            session.do(f"share {example}" if step.startswith("share ") else step)
    session.output.note("Your turn: type help for commands, quit to leave.")
