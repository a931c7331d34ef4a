"""Starting and stopping the shell: the stand-in, the migrated database, the bot on loopback
and a session driving them; `run_shell` is `ofsted-bot shell`."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console

from bot.offline.shell.activity import Activity, track_listeners
from bot.offline.shell.clock import ShellClock
from bot.offline.shell.loop import ShellSession
from bot.offline.shell.officer import SHELL_CHANNEL, SHELL_USER, SHELL_USER_NAME
from bot.offline.shell.terminal import Ask, Output, scripted_input, terminal_input
from bot.offline.shell.tour import DEMO_DATE, run_demo
from bot.offline.standin import SlackDriver, SlackStandIn
from bot.offline.standin.directory import DEFAULT_CHANNELS
from scheduler.calendar import london_date
from scheduler.dates import format_long

SLACK_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL")
EXIT_BAD_INPUT = 2


class _ShellLogHandler(logging.Handler):
    def __init__(self, session: ShellSession) -> None:
        super().__init__(level=logging.WARNING)
        self.session = session

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.session.log(record)


def _pinned_day(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ShellStartError(
            f"--date wants a day as YYYY-MM-DD, such as 2021-06-23, not '{value}'"
        ) from None


@contextlib.contextmanager
def _without_token_warning() -> Iterator[None]:
    """Bolt reads SLACK_BOT_TOKEN itself and warns that the client's token wins: here, where the
    environment's credentials are ignored on purpose (and said so), that warning only confuses."""
    from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped

    unwanted = warning_client_prioritized_and_token_skipped()

    def keep(record: logging.LogRecord) -> bool:
        return record.getMessage() != unwanted

    bolt_logger = logging.getLogger("bot.bolt")
    bolt_logger.addFilter(keep)
    try:
        yield
    finally:
        bolt_logger.removeFilter(keep)


class ShellStartError(Exception):
    """The shell cannot start (a bad option, the configuration, the database): one line."""


def _settings_for_shell(
    *, environ: Mapping[str, str], database_url: str | None
) -> tuple[Any, list[str]]:
    """Settings from the environment less its Slack credentials; the names of those ignored."""
    from bot.settings import Settings, SettingsError

    ignored = [name for name in SLACK_VARIABLES if environ.get(name, "").strip()]
    environment = {k: v for k, v in environ.items() if k not in SLACK_VARIABLES}
    if database_url:
        environment["DATABASE_URL"] = database_url
    try:
        return Settings.from_environ(environment), ignored
    except SettingsError as error:
        raise ShellStartError(f"configuration: {error}") from None


@contextlib.contextmanager
def started_shell(
    *,
    output: Output,
    ask: Ask,
    day: date | None = None,
    database_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Iterator[ShellSession]:
    """The stand-in, the migrated database and the bot on loopback, with a session driving
    them; everything stopped and joined on exit (server, listener threads, stand-in, engine)."""
    from bot.app import adopt_unowned_visits, build_app, build_dispatcher
    from bot.offline.standin.boltserver import serve_wsgi
    from bot.web import wsgi_application
    from storage.db import create_engine_for
    from storage.migrate import upgrade_database

    base_settings, ignored = _settings_for_shell(
        environ=os.environ if environ is None else environ, database_url=database_url
    )
    activity = Activity()
    with contextlib.ExitStack() as stack:
        slack = stack.enter_context(SlackStandIn())
        slack.add_user(SHELL_USER, real_name=SHELL_USER_NAME, name="you")
        slack.add_listener(activity.on_record)
        signing_secret = secrets.token_hex(16)
        settings = base_settings.model_copy(
            update={
                "slack_bot_token": slack.token,
                "slack_signing_secret": signing_secret,
                "slack_app_token": None,
                "slack_api_url": slack.api_url,
            }
        )
        try:
            engine = create_engine_for(settings.database_url)
            stack.callback(engine.dispose)
            upgrade_database(engine=engine)
        except Exception as error:
            first = (str(error) or type(error).__name__).strip().splitlines()[0]
            raise ShellStartError(f"could not open the database: {first}") from None
        adopt_unowned_visits(
            settings=settings, engine=engine
        )  # a shell database from before workspaces
        clock = ShellClock(day)
        with _without_token_warning():
            app = build_app(settings=settings, engine=engine, clock=clock)
        dispatcher = build_dispatcher(settings=settings, engine=engine, clock=clock)
        dispatcher.channel_interval = 0.0  # the stand-in is not rate limited here
        executor = track_listeners(app, activity)
        if executor is not None:
            # Unwound after the HTTP server has stopped: lets the bot's last answers finish.
            stack.callback(executor.shutdown, wait=True)
        url = stack.enter_context(serve_wsgi(wsgi_application(app=app, engine=engine)))
        driver = SlackDriver(url, signing_secret, slack)
        session = ShellSession(
            slack=slack,
            driver=driver,
            activity=activity,
            output=output,
            ask=ask,
            dispatcher=dispatcher,
            clock=clock,
        )
        handler = _ShellLogHandler(session)
        logging.getLogger().addHandler(handler)
        stack.callback(logging.getLogger().removeHandler, handler)
        _banner(output, settings=settings, day=day, ignored=ignored)
        yield session


def run_shell(
    *,
    input_lines: Iterable[str] | None = None,
    out: TextIO | Console | None = None,
    day: date | str | None = None,
    demo: bool = False,
    database_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    teams: bool = False,
) -> int:
    """Run the shell until quit or the end of input; the exit status (`teams`: the Teams front
    end against the Bot Connector stand-in, bot.offline.shell.teams).

    `input_lines`: the officer's lines (default: the terminal, or stdin echoed when piped);
    `out`: where to print (default stdout); `day` (`--date`): pin the bot's clock to 09:00
    London time that day; `demo`: a short tour first, pinned to the day after the example
    letter unless `day` is given; `database_url`: instead of DATABASE_URL.
    """
    output = Output(out)
    if input_lines is not None:
        ask = scripted_input(iter(input_lines), output)
    elif sys.stdin.isatty():
        ask = terminal_input()
    else:
        ask = scripted_input(iter(sys.stdin), output)
    try:
        pinned = _pinned_day(day)
        if demo and pinned is None:
            pinned = DEMO_DATE
        throw_away = contextlib.ExitStack()
        if demo and database_url is None:
            # The tour's fictional council must not land in the database `serve` uses, nor
            # twice in the same one: unless told which database, the demo has one of its own.
            folder = throw_away.enter_context(tempfile.TemporaryDirectory(prefix="ofsted-demo-"))
            database_url = f"sqlite:///{Path(folder) / 'demo.db'}"
            output.note(
                "The tour uses a database of its own, thrown away when you leave "
                "(--database URL keeps it)."
            )
        opened: Any = started_shell
        tour: Any = run_demo
        if teams:
            from bot.offline.shell.teams import run_teams_demo, started_teams_shell

            opened, tour = started_teams_shell, run_teams_demo
        with throw_away, opened(
            output=output, ask=ask, day=pinned, database_url=database_url, environ=environ
        ) as session:
            if demo:
                tour(session)
            session.run()
            output.note("Stopping the bot and the stand-in.")
    except ShellStartError as error:
        print(f"ofsted-bot: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def _banner(output: Output, *, settings: Any, day: date | None, ignored: Sequence[str]) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    database = url.render_as_string(hide_password=True)
    output.say("ofsted-bot shell: the real bot, offline, against a local Slack stand-in.", "header")
    if url.get_backend_name() == "sqlite":
        output.say("Nothing leaves this machine: Slack here is a stand-in on 127.0.0.1.")
    else:
        output.say(
            "Nothing goes to Slack: Slack here is a stand-in on 127.0.0.1. Only the database "
            "below is reached over the network."
        )
    output.say(
        f"You are {SHELL_USER_NAME} ({SHELL_USER}) in #{DEFAULT_CHANNELS[SHELL_CHANNEL]}. "
        f"Database: {database}."
    )
    if day is not None:
        output.say(f"The bot's clock starts at 09:00 on {format_long(day)} (London).")
    else:
        output.say(
            f"The bot's clock is this computer's: {format_long(london_date(datetime.now(UTC)))} "
            "(London); `later` moves it on."
        )
    if ignored:
        output.note(f"Slack settings in the environment ({', '.join(ignored)}) are ignored here.")
    output.say("Type help for commands, quit to leave.")
