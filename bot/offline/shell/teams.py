"""`ofsted-bot shell --teams`: the real Teams front end in a terminal, offline.

The same aiohttp application as `ofsted-bot serve --teams` (the Agents SDK's CloudAdapter, the
bot, the core, the database), unauthenticated on loopback as the Bot Framework Emulator runs it,
answering to the local Bot Connector stand-in (`bot.offline.connector`). The officer types what
they would send the bot in a Teams channel (`list`, `show st-helens-2106`, `new`), attaches a
letter (`share letter.pdf`) and presses the buttons of the cards it answers with (`press 2`);
Adaptive Cards are printed as text, each button numbered, and a form's inputs are asked for one
by one. Reminders come from the real dispatcher, on the bot's clock (`later`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bot.offline.connector import ConnectorStandIn, Member, Recorded
from bot.offline.connector.served import Served
from bot.offline.shell.clock import ShellClock
from bot.offline.shell.start import ShellStartError
from bot.offline.shell.terminal import Ask, EndOfInput, Output
from bot.offline.shell.tour import EXAMPLE_LETTER
from scheduler.calendar import ENGLAND_AND_WALES, london_date, london_time
from scheduler.dates import format_long

SHELL_TEAMS_USER = Member(id="29:you-in-the-shell", name="You", aad_object_id=None)
SHELL_TEAMS_COLLEAGUE = Member(id="29:a-colleague", name="Sam Colleague")
SHELL_TEAMS_CHANNEL = "19:ofsted-visits@thread.tacv2"
TEAMS_VARIABLES = ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID")
ANSWER_SECONDS = 30.0
HELP = """The shell's own commands (anything else is sent to the bot, as in a Teams channel):
  share <file>     attach a letter (PDF, Word or text) in the channel
  press <N>        press button N of the cards shown (a form asks for each of its fields)
  later [N]        move the bot's clock on N working days (default 1), to reminder time
  shell            this help;  quit  leave
The bot's own: help, letter, new, list, show <visit>, export <visit> csv|ics,
settings <visit>, close <visit>."""


# --- Adaptive Cards as text (pure) -------------------------------------------------------------


@dataclass(frozen=True)
class Button:
    """An `Action.Execute` on a card, with the inputs that go with it (a form's, or those of the
    small card an `Action.ShowCard` opens)."""

    title: str
    verb: str
    data: dict[str, Any]
    inputs: list[dict[str, Any]] = field(default_factory=list)


def _inputs(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for element in elements:
        if str(element.get("type", "")).startswith("Input."):
            found.append(element)
        found += _inputs(element.get("items") or [])
    return found


def _buttons(actions: list[dict[str, Any]], inputs: list[dict[str, Any]]) -> list[Button]:
    found: list[Button] = []
    for action in actions:
        if action.get("type") == "Action.Execute":
            found.append(
                Button(action.get("title", ""), action["verb"], action.get("data") or {}, inputs)
            )
        elif action.get("type") == "Action.ShowCard":
            shown = action.get("card") or {}
            found += _buttons(shown.get("actions") or [], _inputs(shown.get("body") or []))
    return found


def render_card(card: Mapping[str, Any], first_number: int) -> tuple[list[str], list[Button]]:
    """A card as lines of text, its buttons numbered from `first_number` where they stand."""
    lines: list[str] = []
    buttons: list[Button] = []
    form = _inputs(card.get("body") or [])

    def number(found: list[Button], indent: str) -> None:
        for button in found:
            buttons.append(button)
            lines.append(f"{indent}[{first_number + len(buttons) - 1}] {button.title}")

    def walk(elements: list[dict[str, Any]], indent: str) -> None:
        for element in elements:
            kind = element.get("type")
            if kind == "TextBlock":
                lines.extend(indent + line for line in str(element.get("text", "")).splitlines())
            elif kind == "Container":
                if element.get("separator"):
                    lines.append(indent + "-" * 8)
                walk(element.get("items") or [], indent)
            elif kind == "ActionSet":
                number(_buttons(element.get("actions") or [], []), indent + "  ")
            elif str(kind).startswith("Input."):
                value = element.get("value") or ""
                lines.append(f"{indent}{element.get('label', element.get('id'))}: {value or '-'}")

    walk(card.get("body") or [], "")
    number(_buttons(card.get("actions") or [], form), "  ")
    return lines, buttons


def _choices(element: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(c.get("title")), str(c.get("value"))) for c in element.get("choices") or []]


def _answer_for(element: Mapping[str, Any], typed: str) -> str:
    """What the officer typed for an input, as Teams sends it: a choice by number, title or
    value (several separated by commas where the input takes several)."""
    choices = _choices(element)
    if not choices:
        return typed
    chosen = []
    for part in (p.strip() for p in typed.split(",") if p.strip()):
        if part.isdigit() and 1 <= int(part) <= len(choices):
            chosen.append(choices[int(part) - 1][1])
        else:
            chosen += [v for t, v in choices if part.lower() in (t.lower(), v.lower())] or [part]
    return ",".join(chosen)


# --- The session -------------------------------------------------------------------------------


class TeamsShellSession:
    """What the officer does, sent as Teams would; what the bot says, printed."""

    def __init__(
        self,
        *,
        connector: ConnectorStandIn,
        bot_url: str,
        output: Output,
        ask: Ask,
        dispatcher: Any = None,
        clock: ShellClock | None = None,
    ) -> None:
        self.connector, self.bot_url = connector, bot_url
        self.output, self.ask = output, ask
        self.dispatcher, self.clock = dispatcher, clock
        self.buttons: list[Button] = []
        self.seen = 0
        self.cwd = Path.cwd()

    def run(self) -> None:
        while True:
            try:
                line = self.ask("teams> ")
            except EndOfInput:
                return
            if not self.do(line):
                return

    def do(self, line: str) -> bool:
        """One line the officer typed; False to leave."""
        verb, _, rest = line.strip().partition(" ")
        if not verb:
            return True
        if verb.lower() in ("quit", "exit"):
            return False
        if verb.lower() == "shell":
            self.output.say(HELP)
        elif verb.lower() == "share":
            self.share(rest.strip())
        elif verb.lower() == "press":
            self.press(rest.strip())
        elif verb.lower() == "later":
            self.later(rest)
        else:
            self.send(text=f"<at>ofsted-bot</at> {line.strip()}")
        self.dispatch_reminders()
        return True

    # -- what the officer does -----------------------------------------------------------

    def _activity(self, **more: Any) -> dict[str, Any]:
        return self.connector.activity(
            user_id=SHELL_TEAMS_USER.id,
            user_name=SHELL_TEAMS_USER.name,
            conversation_id=SHELL_TEAMS_CHANNEL,
            conversation_type="channel",
            **more,
        )

    def send(self, **activity: Any) -> None:
        status, _ = self.connector.send(self.bot_url, self._activity(**activity))
        if status not in (200, 202):
            self.output.error(f"the bot answered HTTP {status}")
        self.show_news()

    def share(self, typed: str) -> None:
        if not typed:
            self.output.error("share what? Give a path, e.g. share letter.pdf")
            return
        path = (self.cwd / os.path.expanduser(typed.strip("'\""))).resolve()
        if not path.is_file():
            self.output.error(f"share: no such file: {typed}")
            return
        url = self.connector.add_file(path.name, path.read_bytes())
        file_type = path.suffix.lstrip(".").lower() or "txt"
        self.output.note(f"You attached {path.name} in the channel.")
        self.send(
            text="<at>ofsted-bot</at>",
            attachments=[
                {
                    "contentType": "application/vnd.microsoft.teams.file.download.info",
                    "name": path.name,
                    "content": {"downloadUrl": url, "fileType": file_type},
                }
            ],
        )

    def press(self, typed: str) -> None:
        if not typed.isdigit() or not 1 <= int(typed) <= len(self.buttons):
            self.output.error(f"press a button by its number, 1 to {len(self.buttons)}")
            return
        button = self.buttons[int(typed) - 1]
        values: dict[str, str] = {}
        for element in button.inputs:
            label = element.get("label") or element.get("id")
            choices = _choices(element)
            if choices:
                listed = ", ".join(f"{n} {title}" for n, (title, _) in enumerate(choices, 1))
                self.output.say(f"  {label}: {listed}", "context")
            default = str(element.get("value") or "")
            typed_value = self.ask(f"  {label} [{default}]: ").strip()
            values[element["id"]] = _answer_for(element, typed_value) if typed_value else default
        invoke = self._activity(
            activity_type="invoke",
            name="adaptiveCard/action",
            value={
                "action": {
                    "type": "Action.Execute",
                    "verb": button.verb,
                    "data": {**button.data, **values},
                },
                "trigger": "manual",
            },
        )
        status, answer = self.connector.send(self.bot_url, invoke)
        if status != 200 or not isinstance(answer, dict):
            self.output.error(f"the bot answered HTTP {status}")
        elif answer.get("type") == "application/vnd.microsoft.card.adaptive":
            self.show_card(answer.get("value") or {}, heading="The card, updated:")
        else:
            self.output.say(str(answer.get("value", "")))
        self.show_news()

    def later(self, text: str) -> None:
        """`later N`: the bot's clock to reminder time, N working days on (default 1)."""
        if self.clock is None or self.dispatcher is None:
            self.output.error("The clock cannot be moved in this session.")
            return
        days = int(text) if text.strip().isdigit() else 1
        day = ENGLAND_AND_WALES.add_working_days(london_date(self.clock()), days)
        self.clock.jump_to(london_time(day, self.dispatcher.defaults.reminder_time))
        self.output.note(f"The bot's clock is now {format_long(day)}, the time reminders go out.")

    def dispatch_reminders(self) -> None:
        if self.dispatcher is not None and self.dispatcher.run_pass().claimed:
            self.show_news()

    # -- what the bot says ---------------------------------------------------------------

    def show_news(self) -> None:
        """What the bot posted since last shown (a letter's preview follows its reading)."""
        calls = self.connector.wait_for(self.seen + 1, seconds=ANSWER_SECONDS)
        # The bot may post more than one thing for one request: wait until it is quiet.
        while len(more := self.connector.wait_for(len(calls) + 1, seconds=0.3)) > len(calls):
            calls = more
        for call in calls[self.seen :]:
            self.show_call(call)
        self.seen = len(calls)

    def show_call(self, call: Recorded) -> None:
        if call.method == "PUT":
            return  # the card updated in place: shown already as the click's answer
        self.output.say(f"ofsted-bot: {call.text}" if call.text else "ofsted-bot:", "from")
        for card in call.cards:
            self.show_card(card)

    def show_card(self, card: Mapping[str, Any], heading: str | None = None) -> None:
        if heading:
            self.output.note(heading)
        lines, buttons = render_card(card, len(self.buttons) + 1)
        self.buttons += buttons
        for line in lines:
            self.output.say(line, indent=2)


# --- Starting and stopping ---------------------------------------------------------------------


@contextlib.contextmanager
def started_teams_shell(
    *,
    output: Output,
    ask: Ask,
    day: date | None = None,
    database_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Iterator[TeamsShellSession]:
    """The connector stand-in, the migrated database and the Teams endpoint on loopback (no
    credentials: the environment's MICROSOFT_APP_* are ignored), with a session driving them."""
    from bot.app import build_dispatcher, reminder_defaults
    from bot.settings import Settings, SettingsError
    from handlers.teams.auth import TeamsSettings
    from handlers.teams.bot import TeamsContext
    from handlers.teams.server import build_teams_app
    from storage.db import create_engine_for
    from storage.migrate import upgrade_database

    values = dict(os.environ if environ is None else environ)
    ignored = [name for name in TEAMS_VARIABLES if values.pop(name, "").strip()]
    if database_url:
        values["DATABASE_URL"] = database_url
    try:
        settings = Settings.from_environ(values)
    except SettingsError as error:
        raise ShellStartError(f"configuration: {error}") from None
    with contextlib.ExitStack() as stack:
        connector = stack.enter_context(ConnectorStandIn())
        connector.set_members(SHELL_TEAMS_CHANNEL, [SHELL_TEAMS_USER, SHELL_TEAMS_COLLEAGUE])
        try:
            engine = create_engine_for(settings.database_url)
            stack.callback(engine.dispose)
            upgrade_database(engine=engine)
        except Exception as error:
            first = (str(error) or type(error).__name__).strip().splitlines()[0]
            raise ShellStartError(f"could not open the database: {first}") from None
        clock = ShellClock(day)
        ctx = TeamsContext(
            engine=engine,
            defaults=reminder_defaults(settings),
            clock=clock,
            admins=settings.ofsted_admins,
        )
        served = Served(build_teams_app(ctx=ctx, settings=TeamsSettings()))
        stack.callback(served.close)
        dispatcher = build_dispatcher(settings=settings, engine=engine, clock=clock)
        dispatcher.channel_interval = 0.0
        output.say("ofsted-bot shell --teams: the real Teams front end, offline.", "header")
        output.say(
            "Nothing leaves this machine: Teams here is a Bot Connector stand-in on 127.0.0.1, "
            "and the endpoint takes unauthenticated activities from it (loopback only)."
        )
        output.say(f"You are {SHELL_TEAMS_USER.name} in the channel 'Ofsted visits'.")
        if day is not None:
            output.say(f"The bot's clock starts at 09:00 on {format_long(day)} (London).")
        if ignored:
            output.note(f"Teams settings in the environment ({', '.join(ignored)}) are ignored.")
        output.say("Type help for the bot's commands, shell for the shell's, quit to leave.")
        yield TeamsShellSession(
            connector=connector,
            bot_url=served.url,
            output=output,
            ask=ask,
            dispatcher=dispatcher,
            clock=clock,
        )


def run_teams_demo(session: TeamsShellSession) -> None:
    """The tour: attach the example letter, create the visit, list the visits."""
    from importlib import resources

    with resources.as_file(resources.files("bot") / "examples" / EXAMPLE_LETTER) as example:
        session.output.note(
            "A short tour: a letter is attached, a visit created, the visits listed."
        )
        for step, done in (
            (f"share {example.name}", f"share {example}"),
            ("press 1", "press 1"),
            ("list", "list"),
        ):
            session.output.say("teams> " + step, "echo")
            session.do(done)
    session.output.note("Your turn: type help for the bot's commands, shell for the shell's.")
