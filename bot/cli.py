"""`ofsted-bot`: the command line. Thin: parse arguments, call the pure parts, print."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from importlib import resources
from pathlib import Path

from scheduler.calendar import ENGLAND_AND_WALES
from scheduler.dates import format_long
from scheduler.documents import UnreadableDocument, document_text, read_document
from scheduler.letters import LetterFacts, NotAnOfstedLetter, read_letter

EXAMPLE_LETTER = "focused-visit-final-report-cover.txt"
EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    return int(arguments.run(arguments))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ofsted-bot",
        description="Tracks the deadlines in Ofsted letters to children's services.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    letter = commands.add_parser(
        "letter",
        help="read a letter (text, PDF or DOCX) and print its facts and timeline",
        description="Read an Ofsted letter or report and print its facts and timeline.",
    )
    source = letter.add_mutually_exclusive_group(required=True)
    source.add_argument("path", nargs="?", type=Path, help="the letter: .txt, .pdf or .docx")
    source.add_argument(
        "--example", action="store_true", help="read the bundled example letter instead"
    )
    letter.add_argument("--json", action="store_true", help="print one JSON object")
    letter.set_defaults(run=_run_letter)

    database = commands.add_parser("db", help="database maintenance")
    database_commands = database.add_subparsers(required=True, metavar="ACTION")
    upgrade = database_commands.add_parser(
        "upgrade", help="create or migrate the tables in DATABASE_URL"
    )
    upgrade.set_defaults(run=_run_db_upgrade)
    return parser


def _fail(message: str) -> int:
    print(f"ofsted-bot: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _run_letter(arguments: argparse.Namespace) -> int:
    try:
        if arguments.example:
            example = resources.files("bot") / "examples" / EXAMPLE_LETTER
            text = document_text(example.read_bytes(), filename=EXAMPLE_LETTER)
        else:
            text = read_document(arguments.path)
        facts = read_letter(text)
    except (UnreadableDocument, NotAnOfstedLetter) as error:
        return _fail(str(error))
    if arguments.json:
        print(json.dumps(facts.to_json(), indent=2, ensure_ascii=False))
    else:
        _print_timeline(facts)
    return 0


def _print_timeline(facts: LetterFacts) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]Local authority:[/bold] {facts.local_authority or 'not found'}")
    console.print(f"[bold]Visit type:[/bold] {facts.visit_type.value.replace('_', ' ')}")
    console.print(f"[bold]Letter date:[/bold] {_long_or_unknown(facts.letter_date)}")
    visit = ", ".join(format_long(day) for day in facts.visit_dates) or "not stated"
    console.print(f"[bold]Visit dates:[/bold] {visit}")
    console.print(f"[bold]Inspectors:[/bold] {', '.join(facts.inspectors) or 'not stated'}")

    table = Table(title="Timeline", show_lines=True)
    table.add_column("Milestone", no_wrap=True)
    table.add_column("Due", no_wrap=True)
    table.add_column("Working days\nfrom letter", justify="right")
    table.add_column("Source")
    for milestone in facts.milestones:
        counted = (
            str(ENGLAND_AND_WALES.working_days_between(facts.letter_date, milestone.due))
            if facts.letter_date
            else "-"
        )
        source = "stated in the letter" if milestone.source == "letter" else "computed (rule)"
        if milestone.estimate:
            source += ", expected"
        table.add_row(
            milestone.label,
            format_long(milestone.due),
            counted,
            source,
        )
    if not facts.milestones:
        console.print("No deadlines found in this document.")
    else:
        console.print(table)
        console.print("[bold]Where each date comes from[/bold]")
        for milestone in facts.milestones:
            console.print(f"- {milestone.label}: {milestone.evidence or 'no sentence'}")
            if milestone.rule:
                console.print(f"  [dim]{milestone.rule}[/dim]")
    for warning in facts.warnings:
        console.print(f"[yellow]Check:[/yellow] {warning}")


def _long_or_unknown(value: date | None) -> str:
    return format_long(value) if value else "not found"


def _run_db_upgrade(arguments: argparse.Namespace) -> int:
    from bot.settings import Settings, SettingsError
    from storage.db import create_engine_for
    from storage.migrate import upgrade_database

    try:
        settings = Settings.from_environ()
    except SettingsError as error:
        return _fail(str(error))
    engine = create_engine_for(settings.database_url)
    try:
        upgrade_database(engine=engine)
    finally:
        engine.dispose()
    print("database is up to date")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
