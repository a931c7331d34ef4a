"""`ofsted-bot`: the command line. Thin: parse arguments, call the pure parts, print."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.teams import add_commands as add_teams_commands
from bot.teams import run_serve_teams
from scheduler.calendar import ENGLAND_AND_WALES
from scheduler.dates import format_long
from scheduler.documents import UnreadableDocument, document_text
from scheduler.letters import LetterFacts, NotAnOfstedLetter, read_letter
from scheduler.sandbox import read_file_bounded

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.settings import Settings

EXAMPLE_LETTER = "focused-visit-final-report-cover.txt"
EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        code = int(arguments.run(arguments))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`… --json | head`): what it wanted it has, so end quietly.
        # Python flushes stdout again at exit; pointing it at /dev/null keeps that quiet too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return code


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

    serve = commands.add_parser(
        "serve",
        help="run the Slack app: Socket Mode (SLACK_APP_TOKEN) or HTTP mode (--http)",
        description="Run the Slack app. With SLACK_APP_TOKEN set: Socket Mode, no public URL "
        "needed. With --http: Slack's requests at POST /slack/events, under gunicorn.",
    )
    serve.add_argument("--http", action="store_true", help="HTTP mode instead of Socket Mode")
    serve.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="HTTP address to listen on")
    serve.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (HTTP)")
    serve.add_argument("--threads", type=int, default=8, help="threads per worker (HTTP)")
    serve.add_argument(
        "--no-dispatcher",
        action="store_true",
        help="do not run the reminder dispatcher in this process (run `ofsted-bot worker`)",
    )
    serve.add_argument(
        "--no-mailbox",
        action="store_true",
        help="do not watch MAILBOX_URL in this process (run `ofsted-bot mailbox`)",
    )
    serve.set_defaults(run=_run_serve)
    add_teams_commands(commands, serve=serve)  # serve --teams, teams-package

    mailbox = commands.add_parser(
        "mailbox", help="watch MAILBOX_URL for Ofsted letters (the Procfile's mailbox process)"
    )
    mailbox.set_defaults(run=_run_mailbox)

    worker = commands.add_parser(
        "worker", help="run the reminder dispatcher alone (the Procfile's worker process)"
    )
    worker.set_defaults(run=_run_worker)

    database = commands.add_parser("db", help="database maintenance")
    database_commands = database.add_subparsers(required=True, metavar="ACTION")
    upgrade = database_commands.add_parser(
        "upgrade", help="create or migrate the tables in DATABASE_URL"
    )
    upgrade.set_defaults(run=_run_db_upgrade)

    shell = commands.add_parser(
        "shell",
        help="try the bot offline in a terminal, against a local Slack stand-in",
        description="Run the real bot offline: your lines go to a local Slack stand-in on "
        "127.0.0.1 and the bot's answers are printed. No Slack credentials needed.",
    )
    shell.add_argument(
        "--date", metavar="YYYY-MM-DD", help="pin the bot's clock to 09:00 London time that day"
    )
    shell.add_argument(
        "--demo", action="store_true", help="start with a short tour on the bundled example letter"
    )
    shell.add_argument(
        "--database", metavar="URL", help="use this database instead of DATABASE_URL"
    )
    shell.add_argument(
        "--teams",
        action="store_true",
        help="the Microsoft Teams front end, against a local Bot Connector stand-in",
    )
    shell.set_defaults(run=_run_shell)
    return parser


def _run_shell(arguments: argparse.Namespace) -> int:
    from bot.offline.shell import run_shell

    return run_shell(
        day=arguments.date,
        demo=arguments.demo,
        database_url=arguments.database,
        teams=arguments.teams,
    )


def _fail(message: str) -> int:
    print(f"ofsted-bot: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _run_letter(arguments: argparse.Namespace) -> int:
    try:
        if arguments.example:
            example = resources.files("bot") / "examples" / EXAMPLE_LETTER
            text = document_text(example.read_bytes(), filename=EXAMPLE_LETTER)
        else:
            text = read_file_bounded(arguments.path)
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
    code = f" (ONS {facts.authority_code})" if facts.authority_code else ""
    console.print(f"[bold]Local authority:[/bold] {facts.local_authority or 'not found'}{code}")
    console.print(f"[bold]Visit type:[/bold] {facts.visit_type.value.replace('_', ' ')}")
    console.print(f"[bold]Letter date:[/bold] {_long_or_unknown(facts.letter_date)}")
    visit = ", ".join(format_long(day) for day in facts.visit_dates) or "not stated"
    console.print(f"[bold]Visit dates:[/bold] {visit}")
    console.print(f"[bold]Inspectors:[/bold] {', '.join(facts.inspectors) or 'not stated'}")
    if facts.report_published:
        console.print(f"[bold]Report published:[/bold] {format_long(facts.report_published)}")

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


def _settings() -> Settings:
    from bot.settings import Settings, SettingsError

    try:
        return Settings.from_environ()
    except SettingsError as error:
        raise _BadInput(f"configuration: {error}") from None


class _BadInput(Exception):
    pass


def _migrated_engine(settings: Settings) -> Engine:
    from bot.app import adopt_unowned_visits
    from storage.db import create_engine_for
    from storage.migrate import upgrade_database

    engine = create_engine_for(settings.database_url)
    upgrade_database(engine=engine)
    # Visits stored before they had a workspace.
    adopt_unowned_visits(settings=settings, engine=engine)
    return engine


def _run_db_upgrade(arguments: argparse.Namespace) -> int:
    try:
        settings = _settings()
    except _BadInput as error:
        return _fail(str(error))
    _migrated_engine(settings).dispose()
    print("database is up to date")
    return 0


def _run_serve(arguments: argparse.Namespace) -> int:
    if arguments.teams:
        return run_serve_teams(arguments)
    try:
        settings = _settings()
    except _BadInput as error:
        return _fail(str(error))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not settings.slack_bot_token:
        return _fail(
            "SLACK_BOT_TOKEN is not set: see README.md, 'Connect to Slack'. "
            "To try the bot without Slack, run `ofsted-bot shell`."
        )
    if arguments.http:
        if not settings.slack_signing_secret:
            return _fail(
                "HTTP mode needs SLACK_SIGNING_SECRET (Basic Information → App Credentials)"
            )
        return _serve_http(settings, arguments)
    if not settings.slack_app_token:
        return _fail(
            "Socket Mode needs SLACK_APP_TOKEN (an xapp- token with connections:write); "
            "or run HTTP mode with `ofsted-bot serve --http --port N`"
        )
    return _serve_socket_mode(settings, arguments)


def _start_dispatcher(settings: Settings, engine: Engine) -> Any:
    from bot.app import build_dispatcher
    from scheduler.dispatcher import DispatcherClock

    clock = DispatcherClock(
        build_dispatcher(settings=settings, engine=engine), interval=settings.dispatch_interval
    )
    clock.start()
    logging.getLogger("bot").info(
        "reminder dispatcher started: a pass every %s s", settings.dispatch_interval
    )
    return clock


def _run_worker(arguments: argparse.Namespace) -> int:
    import signal
    import threading

    try:
        settings = _settings()
    except _BadInput as error:
        return _fail(str(error))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not (settings.slack_bot_token or settings.microsoft_app_id):
        return _fail(
            "Neither SLACK_BOT_TOKEN nor MICROSOFT_APP_ID is set: the dispatcher posts reminders "
            "to Slack and Teams with them"
        )
    engine = _migrated_engine(settings)
    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop.set())
    clock = _start_dispatcher(settings, engine)
    try:
        stop.wait()
    finally:
        clock.stop()
        engine.dispose()
    return 0


def _serve_http(settings: Settings, arguments: argparse.Namespace) -> int:
    from bot.app import build_app
    from bot.web import run_gunicorn, wsgi_application

    # Migrate once, before the workers start; each worker then opens its own engine. The
    # dispatcher is one `ofsted-bot worker` process beside gunicorn, so the clock is not
    # multiplied by the web workers, and no scheduler thread is alive in gunicorn's master
    # when it forks them (a fork copies the locks such a thread may hold, not the thread).
    _migrated_engine(settings).dispose()
    dispatcher = None
    if not arguments.no_dispatcher:
        import subprocess

        dispatcher = subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"])

    mailbox = None
    if settings.mailbox_url and not arguments.no_mailbox:
        import subprocess

        mailbox = subprocess.Popen([sys.executable, "-m", "bot.cli", "mailbox"])

    def load() -> Any:
        from storage.db import create_engine_for

        engine = create_engine_for(settings.database_url)
        return wsgi_application(app=build_app(settings=settings, engine=engine), engine=engine)

    try:
        run_gunicorn(
            load=load,
            port=arguments.port,
            host=arguments.host,
            workers=arguments.workers,
            threads=arguments.threads,
        )
    finally:
        for child in (dispatcher, mailbox):
            if child is not None:
                child.terminate()
                child.wait(timeout=30)
    return 0


def _serve_socket_mode(settings: Settings, arguments: argparse.Namespace) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import build_app

    engine = _migrated_engine(settings)
    app = build_app(settings=settings, engine=engine, process_before_response=False)
    dispatcher = None if arguments.no_dispatcher else _start_dispatcher(settings, engine)
    if settings.mailbox_url and not arguments.no_mailbox:
        from bot.mailbox import start_watching

        _, mailbox_stop = start_watching(settings, engine)
    try:
        # slack_bolt leaves start() unannotated; it runs until the process is stopped.
        SocketModeHandler(app, settings.slack_app_token).start()  # type: ignore[no-untyped-call]
    finally:
        if dispatcher is not None:
            dispatcher.stop()
        if settings.mailbox_url and not arguments.no_mailbox:
            mailbox_stop.set()
    return 0


def _run_mailbox(arguments: argparse.Namespace) -> int:
    import signal
    import threading

    from bot.mailbox import MailboxSettingsError, build_watcher, check_settings

    try:
        settings = _settings()
        check_settings(settings)
    except (_BadInput, MailboxSettingsError) as error:
        return _fail(str(error))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    engine = _migrated_engine(settings)
    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop.set())
    try:
        watcher = build_watcher(settings, engine)
        logging.getLogger("bot").info("watching the mailbox %s", watcher.mailbox.name)
        watcher.run(stop)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
