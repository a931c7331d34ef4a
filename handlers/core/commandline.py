"""Reading what someone typed after `/ofsted`. Pure: text in, a command or a UserError out."""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.core.errors import UserError
from handlers.core.text import escape_mrkdwn

SUBCOMMANDS: tuple[str, ...] = ("help", "letter", "new", "list", "show", "export", "settings")
SUBCOMMANDS += ("close", "reopen", "add")
NEEDS_VISIT = {"show", "export", "settings", "close", "reopen", "add"}
EXPORT_FORMATS = ("csv", "ics")
LIST_FILTERS = ("open", "closed", "mine")
"""`/ofsted list` (open visits), `/ofsted list closed`, `/ofsted list mine` (open visits that
name me: I created it, own a milestone, approve or am its escalation contact)."""
# What storage.repo makes a reference of: ASCII letters and digits, dashes between words.
_REFERENCE = re.compile(r"[a-z0-9][a-z0-9-]*")


@dataclass(frozen=True)
class Command:
    name: str
    visit: str | None = None
    export_format: str | None = None
    list_filter: str = "open"


def parse_command(text: str) -> Command:
    """`show st-helens-2106` → Command("show", visit="st-helens-2106")."""
    words = text.split()
    if not words:
        return Command("help")
    name = words[0].lower()
    arguments = words[1:]
    if name not in SUBCOMMANDS:
        raise UserError(
            f"I don't know `/ofsted {_shown(words[0])}`. Try `/ofsted help` for what I can do."
        )
    if name == "list" and len(arguments) == 1 and arguments[0].lower() in LIST_FILTERS:
        return Command(name, list_filter=arguments[0].lower())
    if name == "list" and arguments:
        raise UserError(
            "`/ofsted list` shows the open visits; `/ofsted list closed` the closed ones, and "
            "`/ofsted list mine` the open ones that name you."
        )
    if name not in NEEDS_VISIT:
        if arguments:
            raise UserError(f"`/ofsted {name}` takes nothing after it: try just `/ofsted {name}`.")
        return Command(name)
    if not arguments:
        suffix = " csv" if name == "export" else ""
        raise UserError(
            f"Which visit? Use `/ofsted {name} <visit>{suffix}`, for example "
            f"`/ofsted {name} st-helens-2106{suffix}`. `/ofsted list` shows each visit's reference."
        )
    if name == "export":
        if len(arguments) != 2 or arguments[1].lower() not in EXPORT_FORMATS:
            raise UserError(
                "Say which export: `/ofsted export <visit> csv` for the audit trail, or "
                "`/ofsted export <visit> ics` for the dates as a calendar file for Outlook."
            )
        return Command(name, visit=_reference(arguments[0]), export_format=arguments[1].lower())
    if len(arguments) > 1:
        raise UserError(
            f"`/ofsted {name}` takes one visit reference, such as "
            f"`/ofsted {name} {_shown('-'.join(arguments).lower())}`."
        )
    return Command(name, visit=_reference(arguments[0]))


def _reference(word: str) -> str:
    """A visit reference as typed, lower-cased; a UserError if it cannot be one."""
    reference = word.lower()
    if not _REFERENCE.fullmatch(reference):
        raise UserError(
            f"`{_shown(word)}` is not a visit reference: a reference is letters, digits and "
            "dashes, such as `st-helens-2106`. `/ofsted list` shows each visit's reference."
        )
    return reference


def _shown(word: str) -> str:
    """A user's word, safe to echo inside backticks and short enough to read.

    Backticks would end the code span; `&`, `<` and `>` are escaped as Slack asks, so that an
    echoed `<!channel>` or `<@U123>` is shown as typed, never as a mention.
    """
    cleaned = word.replace("`", "'")
    cleaned = cleaned if len(cleaned) <= 40 else cleaned[:39] + "…"
    return escape_mrkdwn(cleaned)
