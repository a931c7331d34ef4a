"""Answers typed into a modal's fields, read as Slack's inputs would take them (pure)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from bot.offline.shell.officer import SHELL_USER
from bot.offline.shell.render import text_of
from scheduler.dates import find_dates, format_long


class FieldProblem(ValueError):
    """An answer to a modal's field that cannot be used; the message says why."""


def options_of(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def split_list(answer: str) -> list[str]:
    return [part.strip() for part in answer.split(",") if part.strip()]


def long_date(iso: str) -> str:
    try:
        return f"{format_long(date.fromisoformat(iso))}"
    except ValueError:
        return iso


def parse_date_answer(answer: str) -> date:
    """`2026-05-06`, or a date as letters write it: `6 May 2026`, `Wednesday 6 May 2026`."""
    text = answer.strip()
    with contextlib.suppress(ValueError):
        return date.fromisoformat(text)
    mentions = [m for m in find_dates(text) if m.dates or m.problem]
    if len(mentions) == 1 and mentions[0].problem:
        raise FieldProblem(mentions[0].problem)
    if len(mentions) == 1 and len(mentions[0].dates) == 1:
        return mentions[0].dates[0]
    raise FieldProblem(f"'{text}' is not one date: write 2026-05-06 or 6 May 2026.")


def choose_option(answer: str, options: Sequence[dict[str, Any]]) -> str:
    """An option's value, by its number in the list, its text or its value."""
    text = answer.strip()
    if text.isdigit() and 1 <= int(text) <= len(options):
        return str(options[int(text) - 1].get("value"))
    for option in options:
        if text.lower() in (text_of(option.get("text")).lower(), str(option.get("value")).lower()):
            return str(option.get("value"))
    raise FieldProblem(f"Choose a number from 1 to {len(options)}.")


def find_person(answer: str, people: Mapping[str, str], *, known_id: Callable[[str], bool]) -> str:
    """A Slack user id, or the name (real name, first name or handle) of someone known."""
    ref = answer.strip().lstrip("@")
    if ref in people or (re.fullmatch(r"[UW][A-Z0-9]+", ref) and known_id(ref)):
        return ref
    wanted = ref.lower()
    matches = [
        user_id
        for user_id, name in people.items()
        if wanted in (name.lower(), name.lower().split()[0], ".".join(name.lower().split()))
    ]
    if wanted in ("me", "you", "myself"):
        matches = [SHELL_USER] if SHELL_USER in people else matches
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(f"{name} ({user_id})" for user_id, name in people.items())
    if matches:
        raise FieldProblem(f"More than one person is called {ref}: use their id. People: {known}.")
    raise FieldProblem(f"No one called {ref} here. People: {known}.")
