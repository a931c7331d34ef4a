"""Reading what someone typed after `/ofsted`. Pure: text in, a command or a UserError out."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.errors import UserError

SUBCOMMANDS = ("help", "letter", "new", "list", "show", "export", "settings", "close")
NEEDS_VISIT = {"show", "export", "settings", "close"}
EXPORT_FORMATS = ("csv", "ics")


@dataclass(frozen=True)
class Command:
    name: str
    visit: str | None = None
    export_format: str | None = None


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
    visit = arguments[0].lower()
    if name == "export":
        if len(arguments) != 2 or arguments[1].lower() not in EXPORT_FORMATS:
            raise UserError(
                "Say which export: `/ofsted export <visit> csv` for the audit trail, or "
                "`/ofsted export <visit> ics` for the dates as a calendar file for Outlook."
            )
        return Command(name, visit=visit, export_format=arguments[1].lower())
    if len(arguments) > 1:
        raise UserError(
            f"`/ofsted {name}` takes one visit reference, such as `/ofsted {name} {visit}`."
        )
    return Command(name, visit=visit)


def _shown(word: str) -> str:
    """A user's word, safe to echo inside backticks and short enough to read."""
    cleaned = word.replace("`", "'")
    return cleaned if len(cleaned) <= 40 else cleaned[:39] + "…"
