"""`ofsted-bot shell`: the real bot in a terminal, offline, for someone with no Slack credentials.

The same Bolt app and the same database as `ofsted-bot serve`, answering real HTTP on loopback,
against the local Slack stand-in (`bot.offline.standin`). The officer types what they would do in
Slack (`/ofsted list`, `share letter.pdf`, `press 1`); the shell sends it as Slack would, waits
for the bot's answers and prints them as plain text, and walks any modal the bot opens.

Three parts, kept apart so the tests can drive each one in-process:
- Block Kit as text: `render_blocks` and `mrkdwn_to_text`, pure functions;
- the session: what the officer does, and what changed in the stand-in since last shown;
- `run_shell`: start everything, read lines (`input_lines`), print (`out`), stop everything.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from importlib import resources
from pathlib import Path
from typing import Any, TextIO, TypeVar

from rich.console import Console
from rich.text import Text

from bot.offline.standin import RecordedCall, RecordedResponse, SlackDriver, SlackStandIn
from bot.offline.standin.directory import DEFAULT_CHANNELS, DEFAULT_USERS
from scheduler.calendar import ENGLAND_AND_WALES, LONDON, london_date, london_time
from scheduler.dates import find_dates, format_long

SHELL_USER = "U0SHELLUSER"
SHELL_USER_NAME = "You"
SHELL_CHANNEL = "C01VISITS"
PROMPT = "ofsted> "
EXAMPLE_LETTER = "focused-visit-final-report-cover.txt"
DEMO_DATE = date(2026, 4, 29)  # the day after the example letter
BOT_NAME = "ofsted-bot"
SLACK_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL")
EXIT_BAD_INPUT = 2

QUIET = 0.3  # seconds without a new record that count as "the bot has finished"
SETTLE_CAP = 5.0  # never wait longer than this for the bot's answers
RULE = "─" * 40

T = TypeVar("T")

# --- Block Kit as text (pure) ----------------------------------------------------------------

EMOJI = {
    "white_check_mark": "✅",
    "heavy_check_mark": "✔",
    "warning": "⚠️",
    "x": "❌",
    "hourglass_flowing_sand": "⏳",
    "hourglass": "⌛",
    "eyes": "👀",
    "heavy_minus_sign": "➖",
    "calendar": "📆",
    "date": "📅",
    "bell": "🔔",
    "alarm_clock": "⏰",
    "rotating_light": "🚨",
    "memo": "📝",
    "page_facing_up": "📄",
    "bust_in_silhouette": "👤",
    "busts_in_silhouette": "👥",
    "zzz": "💤",
    "no_entry": "⛔",
    "information_source": "ℹ️",
    "tada": "🎉",
    "lock": "🔒",
    "point_right": "👉",
    "+1": "👍",
    "thumbsup": "👍",
    "-1": "👎",
    "thumbsdown": "👎",
}
_EMOJI_RE = re.compile(r":([a-z0-9_+-]+):")
_LINK_RE = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")

NameOf = Callable[[str], str | None]


def _no_name(_: str) -> str | None:
    return None


@dataclass(frozen=True)
class Line:
    """One line to print. `style`: header, text, context, rule, controls."""

    text: str
    style: str = "text"


@dataclass(frozen=True)
class Control:
    """A numbered button (or select) as shown: what pressing it sends."""

    number: int
    block_id: str | None
    element: dict[str, Any]

    @property
    def action_id(self) -> str:
        return str(self.element.get("action_id", ""))

    @property
    def label(self) -> str:
        return control_label(self.element)


@dataclass(frozen=True)
class Rendered:
    lines: tuple[Line, ...]
    controls: tuple[Control, ...]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def emojize(text: str) -> str:
    return _EMOJI_RE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def mrkdwn_to_text(
    text: str, *, user_name: NameOf = _no_name, channel_name: NameOf = _no_name
) -> str:
    """Slack mrkdwn as a person reads it: `*bold*` kept, mentions and links turned into names."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return "@" + (user_name(target[1:]) or label or target[1:])
        if target.startswith("#"):
            return "#" + (channel_name(target[1:]) or label or target[1:])
        if target.startswith("!"):
            special = target[1:].split("^", 1)[0]
            if special in ("here", "channel", "everyone"):
                return "@" + special
            return label or special
        return f"{label} ({target})" if label and label != target else target

    shown = []
    for line in text.split("\n"):
        quoted = line.startswith(">")  # a literal ">" starts a quote; a typed one is "&gt;"
        line = _LINK_RE.sub(link, line[1:].lstrip() if quoted else line)
        line = line.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        shown.append("│ " + line if quoted else line)
    return emojize("\n".join(shown))


def text_of(
    obj: dict[str, Any] | str | None,
    *,
    user_name: NameOf = _no_name,
    channel_name: NameOf = _no_name,
) -> str:
    """A Block Kit text object (plain_text or mrkdwn) as text."""
    if obj is None:
        return ""
    if isinstance(obj, str):
        return obj
    value = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_text(value, user_name=user_name, channel_name=channel_name)
    return emojize(value)


def control_label(element: dict[str, Any]) -> str:
    """What an interactive element shows: a button's text, a select's choice or placeholder."""
    kind = element.get("type", "button")
    placeholder = text_of(element.get("placeholder"))
    if kind == "button":
        return text_of(element.get("text")) or str(element.get("action_id", "button"))
    if kind in ("static_select", "external_select", "radio_buttons"):
        chosen = element.get("initial_option")
        return f"{text_of(chosen['text']) if chosen else placeholder or 'Choose'} ▾"
    if kind in ("users_select", "multi_users_select"):
        return f"{placeholder or 'Choose a person'} ▾"
    if kind in ("conversations_select", "channels_select"):
        return f"{placeholder or 'Choose a channel'} ▾"
    if kind == "datepicker":
        return f"{element.get('initial_date') or placeholder or 'Pick a date'} ▾"
    if kind == "overflow":
        return "⋯ More"
    return f"{placeholder or kind} ▾"


def render_blocks(
    blocks: Sequence[dict[str, Any]],
    *,
    user_name: NameOf = _no_name,
    channel_name: NameOf = _no_name,
    first_number: int = 1,
) -> Rendered:
    """Blocks as plain lines, each interactive element numbered from `first_number`."""
    lines: list[Line] = []
    controls: list[Control] = []

    def text(obj: dict[str, Any] | None) -> str:
        return text_of(obj, user_name=user_name, channel_name=channel_name)

    def control(element: dict[str, Any], block_id: str | None) -> str:
        number = first_number + len(controls)
        controls.append(Control(number=number, block_id=block_id, element=element))
        return f"[{number}] {control_label(element)}"

    def add(shown: str, style: str = "text") -> None:
        lines.extend(Line(part, style) for part in shown.split("\n"))

    for block in blocks:
        kind, block_id = block.get("type"), block.get("block_id")
        if kind == "header":
            add(text(block.get("text")), "header")
        elif kind == "section":
            if block.get("text"):
                add(text(block["text"]))
            for item in block.get("fields") or []:
                add(text(item))
            accessory = block.get("accessory")
            if isinstance(accessory, dict):
                if accessory.get("type") == "image":
                    add(f"[image: {accessory.get('alt_text', '')}]", "context")
                else:
                    add(control(accessory, block_id), "controls")
        elif kind == "context":
            parts = [
                f"[image: {e.get('alt_text', '')}]" if e.get("type") == "image" else text(e)
                for e in block.get("elements", [])
            ]
            add("  ".join(part for part in parts if part), "context")
        elif kind == "divider":
            add(RULE, "rule")
        elif kind == "actions":
            add("   ".join(control(e, block_id) for e in block.get("elements", [])), "controls")
        elif kind == "image":
            add(f"[image: {block.get('alt_text', '')}]", "context")
        elif kind == "input":
            add(f"{text(block.get('label'))}: {control_label(block.get('element', {}))}")
        elif kind == "rich_text":
            add(_rich_text(block, user_name=user_name, channel_name=channel_name))
        else:
            add(f"[{kind} block]", "context")
    return Rendered(lines=tuple(lines), controls=tuple(controls))


def _rich_text(node: Any, *, user_name: NameOf, channel_name: NameOf) -> str:
    if isinstance(node, list):
        return "".join(_rich_text(n, user_name=user_name, channel_name=channel_name) for n in node)
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "user":
        return "@" + (user_name(node.get("user_id", "")) or node.get("user_id", ""))
    if kind == "channel":
        return "#" + (channel_name(node.get("channel_id", "")) or node.get("channel_id", ""))
    if kind == "link":
        return str(node.get("text") or node.get("url", ""))
    if kind == "emoji":
        return EMOJI.get(node.get("name", ""), f":{node.get('name', '')}:")
    shown = _rich_text(node.get("elements", []), user_name=user_name, channel_name=channel_name)
    return shown + "\n" if kind in ("rich_text_section", "rich_text_preformatted") else shown


def render_message(
    message: dict[str, Any],
    *,
    user_name: NameOf = _no_name,
    channel_name: NameOf = _no_name,
    first_number: int = 1,
    file_content: Callable[[str], bytes | None] = lambda _: None,
) -> Rendered:
    """A message as Slack shows it: its blocks (or else its text), attachments and files."""
    if message.get("blocks"):
        rendered = render_blocks(
            message["blocks"],
            user_name=user_name,
            channel_name=channel_name,
            first_number=first_number,
        )
    else:
        shown = mrkdwn_to_text(
            str(message.get("text") or ""), user_name=user_name, channel_name=channel_name
        )
        rendered = Rendered(
            lines=tuple(Line(part) for part in shown.split("\n")) if shown else (), controls=()
        )
    lines, controls = list(rendered.lines), list(rendered.controls)
    for attachment in message.get("attachments") or []:
        more = render_message(
            attachment,
            user_name=user_name,
            channel_name=channel_name,
            first_number=first_number + len(controls),
        )
        lines.extend(Line("┃ " + line.text, line.style) for line in more.lines)
        controls.extend(more.controls)
    for info in message.get("files") or []:
        lines.extend(_file_lines(info, file_content(str(info.get("id", "")))))
    return Rendered(lines=tuple(lines), controls=tuple(controls))


def _file_lines(info: dict[str, Any], content: bytes | None, *, shown: int = 6) -> list[Line]:
    name = str(info.get("name") or info.get("title") or "file")
    lines = [Line(f"📎 {name} ({info.get('size', len(content or b''))} bytes)")]
    if content is not None and name.lower().endswith((".csv", ".ics")):
        rows = content.decode("utf-8", errors="replace").splitlines()
        lines.extend(Line(row, "context") for row in rows[:shown])
        if len(rows) > shown:
            lines.append(Line(f"… {len(rows) - shown} more lines", "context"))
    return lines


# --- Output and input ------------------------------------------------------------------------

STYLES = {
    "header": "bold underline",
    "context": "dim",
    "rule": "dim",
    "controls": "bold cyan",
    "from": "bold magenta",
    "note": "dim",
    "error": "red",
    "echo": "bold",
}


class Output:
    """Where the shell writes: a rich Console, plain (no colour codes) when not a terminal."""

    def __init__(self, out: TextIO | Console | None = None) -> None:
        if isinstance(out, Console):
            self.console = out
        else:
            self.console = Console(
                file=out, soft_wrap=True, highlight=False, markup=False, emoji=False
            )
        self.printed = 0  # lines so far, so a caller can tell whether anything was said

    def say(self, text: str = "", style: str | None = None, *, indent: int = 0) -> None:
        for part in text.split("\n") if text else [""]:
            self.printed += 1
            self.console.print(Text(" " * indent + part, style=STYLES.get(style or "", "")))

    def note(self, text: str) -> None:
        self.say(text, "note")

    def error(self, text: str) -> None:
        self.say(f"! {text}", "error")

    def lines(self, lines: Iterable[Line], *, indent: int = 2) -> None:
        for line in lines:
            extra = 2 if line.style == "context" else 0
            self.say(line.text, line.style, indent=indent + extra)
            if line.style == "header" and not self.console.is_terminal:
                self.say("‾" * len(line.text), "header", indent=indent)


class EndOfInput(Exception):
    """The officer closed the input (Ctrl-D, or the end of a script)."""


Ask = Callable[[str], str]


def scripted_input(lines: Iterator[str], output: Output) -> Ask:
    """Answers from a script (a test, a pipe), echoed after the prompt as if typed."""

    def ask(prompt: str) -> str:
        try:
            line = next(lines)
        except StopIteration:
            raise EndOfInput from None
        line = line.rstrip("\r\n")
        output.say(prompt + line, "echo")
        return line

    return ask


def terminal_input() -> Ask:
    """Answers typed at a terminal, with line editing and history where readline exists."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401

    def ask(prompt: str) -> str:
        try:
            return input(prompt)
        except EOFError:
            print()
            raise EndOfInput from None

    return ask


# --- Knowing when the bot has finished -------------------------------------------------------


class Activity:
    """The bot's work in flight (its listener executor) and the stand-in's latest record.

    The bot acknowledges first and answers after, in Bolt's listener threads: the answer is
    complete when no listener is running and nothing new has been recorded for a moment.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0
        self._last_record = 0.0
        self.tracking = False
        self.channels: set[str] = set()

    def on_record(self, record: RecordedCall | RecordedResponse) -> None:
        with self._lock:
            self._last_record = time.monotonic()
            if isinstance(record, RecordedResponse):
                if record.channel_id:
                    self.channels.add(record.channel_id)
                return
            for name in ("channel", "channel_id", "channels"):
                value = record.args.get(name)
                values = value if isinstance(value, list) else str(value or "").split(",")
                self.channels.update(str(v).strip() for v in values if str(v).strip())

    def mentioned_channels(self) -> set[str]:
        """Every conversation the bot has named in a call: where to look for its messages."""
        with self._lock:
            return set(self.channels)

    def started(self) -> None:
        with self._lock:
            self._in_flight += 1

    def finished(self, _: object = None) -> None:
        with self._lock:
            self._in_flight -= 1
            self._last_record = max(self._last_record, time.monotonic())

    def track(self, executor: Executor) -> Executor:
        self.tracking = True
        return _TrackedExecutor(executor, self)

    def settle(self, *, quiet: float = QUIET, cap: float = SETTLE_CAP) -> bool:
        """Wait until the bot has finished; False if it was still busy after `cap` seconds.

        With the listeners tracked, finished means none running and 50 ms without a record;
        otherwise it means `quiet` seconds without a record.
        """
        started = time.monotonic()
        wanted_quiet = min(quiet, 0.05) if self.tracking else quiet
        while True:
            now = time.monotonic()
            with self._lock:
                busy = self._in_flight > 0
                since = now - max(self._last_record, started if not self.tracking else 0.0)
            if not busy and since >= wanted_quiet:
                return True
            if now - started >= cap:
                return False
            time.sleep(0.01)


class _TrackedExecutor(Executor):
    def __init__(self, inner: Executor, activity: Activity) -> None:
        self._inner = inner
        self._activity = activity

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        self._activity.started()
        try:
            future = self._inner.submit(fn, *args, **kwargs)
        except BaseException:
            self._activity.finished()
            raise
        future.add_done_callback(self._activity.finished)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait, cancel_futures=cancel_futures)


def track_listeners(app: Any, activity: Activity) -> Executor | None:
    """Count Bolt's listener work by wrapping its executor; the executor, to shut down later.

    Uses Bolt's public `listener_runner` and its runners' executor attributes; if a Bolt
    release moves them, the shell falls back to waiting for quiet.
    """
    runner = getattr(app, "listener_runner", None)
    executor: Executor | None = getattr(runner, "listener_executor", None)
    lazy = getattr(runner, "lazy_listener_runner", None)
    if runner is None or executor is None or lazy is None or not hasattr(lazy, "executor"):
        return None
    tracked = activity.track(executor)
    runner.listener_executor = tracked
    lazy.executor = tracked
    return executor


# --- What the officer sees of the stand-in ---------------------------------------------------


def _ts_key(ts: str) -> tuple[int, ...]:
    return tuple(int(part) for part in ts.split(".") if part.isdigit())


def _content(message: dict[str, Any]) -> str:
    keys = ("text", "blocks", "attachments", "files")
    return json.dumps({k: message.get(k) for k in keys}, sort_keys=True, default=str)


@dataclass
class Seen:
    """The stand-in's content as last shown to the officer."""

    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    ephemerals: dict[str, dict[str, Any]] = field(default_factory=dict)
    modals: dict[str, dict[str, Any]] = field(default_factory=dict)
    home: dict[str, Any] | None = None


@dataclass(frozen=True)
class Target:
    """Where a numbered control lives: a message, an ephemeral answer, or the Home tab."""

    surface: str  # "message", "ephemeral", "home"
    channel_id: str | None
    ts: str | None
    control: Control


class FieldProblem(ValueError):
    """An answer to a modal's field that cannot be used; the message says why."""


class _Cancel(Exception):
    pass


_CANCEL_WORDS = {"cancel", "/cancel"}
_MULTILINE_END = "."


class ShellSession:
    """One officer at one terminal, driving the bot through the stand-in."""

    def __init__(
        self,
        *,
        slack: SlackStandIn,
        driver: SlackDriver,
        activity: Activity,
        output: Output,
        ask: Ask,
        user_id: str = SHELL_USER,
        channel_id: str = SHELL_CHANNEL,
        cwd: Path | None = None,
        dispatcher: Any = None,
        clock: ShellClock | None = None,
    ) -> None:
        self.slack, self.driver, self.activity = slack, driver, activity
        self.dispatcher, self.clock = dispatcher, clock
        self.output, self.ask = output, ask
        self.user_id, self.channel_id = user_id, channel_id
        self.cwd = cwd or Path.cwd()
        self.people: dict[str, str] = {**DEFAULT_USERS, user_id: SHELL_USER_NAME}
        self.channel_names: dict[str, str] = dict(DEFAULT_CHANNELS)
        self.targets: dict[int, Target] = {}
        self.seen = Seen()
        self.log_lines: list[str] = []
        self._log_lock = threading.Lock()

    # -- names --------------------------------------------------------------------------

    def user_name(self, user_id: str) -> str | None:
        if user_id in self.people:
            return self.people[user_id]
        user = self.slack.user(user_id)
        return str(user["real_name"]) if user else None

    def channel_name(self, channel_id: str) -> str | None:
        channel = self.slack.channel(channel_id)
        if channel is None:
            return self.channel_names.get(channel_id)
        if channel.get("is_im"):
            return f"DM with {self.user_name(channel.get('user', '')) or 'someone'}"
        return str(channel.get("name") or channel_id)

    def _where(self, channel_id: str | None, message: dict[str, Any] | None = None) -> str:
        channel = self.slack.channel(channel_id or "") or {}
        if channel.get("is_im"):
            person = channel.get("user")
            place = (
                "your DM" if person == self.user_id else f"a DM to {self.user_name(str(person))}"
            )
        else:
            place = f"#{self.channel_name(channel_id or '')}"
        if message and message.get("thread_ts") and message["thread_ts"] != message.get("ts"):
            return f"a thread in {place}"
        return place

    # -- the loop -----------------------------------------------------------------------

    def run(self) -> None:
        """Read and do commands until quit or the end of input."""
        while True:
            try:
                line = self.ask(PROMPT)
            except EndOfInput:
                return
            except KeyboardInterrupt:
                self.output.say()
                return
            if not self.do(line):
                return

    def do(self, line: str) -> bool:
        """Do one command line; False when the officer asked to leave."""
        words = line.strip().split(maxsplit=1)
        if not words:
            return True
        verb, rest = words[0], (words[1].strip() if len(words) > 1 else "")
        try:
            if verb.lower() in ("quit", "exit", "bye"):
                return False
            if verb.lower() in ("help", "?"):
                self.show_help()
            elif verb.startswith("/"):
                self.slash_command(verb, rest)
            elif verb.lower() == "share":
                self.share(rest)
            elif verb.lower() == "home":
                self.open_home()
            elif verb.lower() == "press":
                self.press(rest)
            elif verb.isdigit() and not rest:
                self.press(verb)
            elif verb.lower() == "later":
                self.later(rest)
            else:
                self.output.error(f"I don't know '{verb}'. Type help for what you can do.")
                return True
            self.dispatch_reminders()
        except EndOfInput:
            return False
        except KeyboardInterrupt:
            self.output.error("interrupted")
        except Exception as error:  # noqa: BLE001 (the shell's own trouble: one line, carry on)
            self.output.error(f"{type(error).__name__}: {error}".splitlines()[0])
        return True

    def show_help(self) -> None:
        self.output.say(HELP)

    # -- the reminder dispatcher, run after each command on the bot's clock ----------------

    def dispatch_reminders(self) -> None:
        """Post the reminders that are due by the bot's clock, as the dispatcher would."""
        if self.dispatcher is None:
            return
        report = self.dispatcher.run_pass()
        if report.claimed:
            self.show_news()

    def later(self, text: str) -> None:
        """`later N`: move the bot's clock to 09:00 London, N working days on (default 1)."""
        if self.clock is None or self.dispatcher is None:
            self.output.error("The clock cannot be moved in this session.")
            return
        days = int(text) if text.strip().isdigit() else 1
        day = ENGLAND_AND_WALES.add_working_days(london_date(self.clock()), days)
        self.clock.jump_to(london_time(day, self.dispatcher.defaults.reminder_time))
        self.output.note(f"The bot's clock is now {format_long(day)}, the time reminders go out.")

    # -- what the officer does -----------------------------------------------------------

    def slash_command(self, command: str, text: str) -> None:
        if command.lower() != "/ofsted":
            self.output.error(f"Only /ofsted is installed here; try /ofsted help (not {command}).")
            return
        response = self.driver.slash_command(text, user_id=self.user_id, channel_id=self.channel_id)
        self._check(response)
        self.show_news()

    def share(self, path_text: str) -> None:
        if not path_text:
            self.output.error("share what? Give a path, e.g. share letter.pdf")
            return
        path = self._local_path(path_text)
        if not path.is_file():
            self.output.error(f"share: no such file: {path_text}")
            return
        content = path.read_bytes()
        self.output.note(f"You shared {path.name} in #{self.channel_name(self.channel_id)}.")
        for response in self.driver.share_file(
            content=content, filename=path.name, user_id=self.user_id, channel_id=self.channel_id
        ):
            self._check(response)
        self.show_news()

    def _local_path(self, typed: str) -> Path:
        return (self.cwd / os.path.expanduser(typed.strip().strip("'\""))).resolve()

    def open_home(self) -> None:
        self._check(self.driver.app_home_opened(user_id=self.user_id))
        self.show_news()

    def press(self, number_text: str) -> None:
        if not number_text.strip().isdigit():
            self.output.error("press which button? Give its number, e.g. press 1")
            return
        number = int(number_text)
        target = self.targets.get(number)
        if target is None:
            shown = f"1 to {max(self.targets)}" if self.targets else "none yet"
            self.output.error(f"There is no button {number} (buttons shown so far: {shown}).")
            return
        control = target.control
        found, where = self._find_surface(target)
        what = "the Home tab" if target.surface == "home" else "its message"
        if found is None:
            self.output.error(f"Button {number} is gone: {what} was deleted.")
            return
        if not _has_control(found.get("blocks", []), control):
            self.output.error(f"Button {number} is gone: {what} was updated since.")
            return
        try:
            value = self._choose_for(control)
        except _Cancel:
            self.output.note("Nothing was pressed.")
            return
        if value is None:
            self.output.note(f"You pressed “{control.label}”.")
        else:
            kind = str(control.element.get("type", ""))
            chosen = self._shown(kind, value, _options(control.element))
            self.output.note(f"You chose {chosen} in “{control.label}”.")
        if target.surface == "home":
            response = self.driver.block_action(
                user_id=self.user_id,
                action_id=control.action_id,
                block_id=control.block_id,
                value=value,
                view=str(found["id"]),
            )
        else:
            response = self.driver.block_action(
                user_id=self.user_id,
                action_id=control.action_id,
                block_id=control.block_id,
                value=value,
                message=found,
                channel_id=where,
            )
        self._check(response)
        self.show_news()

    def _find_surface(self, target: Target) -> tuple[dict[str, Any] | None, str | None]:
        if target.surface == "home":
            return self.slack.home_views.get(self.user_id), None
        if target.surface == "ephemeral":
            found = next((e for e in self.slack.ephemerals if e["ts"] == target.ts), None)
            return found, target.channel_id
        return self.slack.message(target.channel_id or "", target.ts or ""), target.channel_id

    def _choose_for(self, control: Control) -> Any:
        """A button sends its own value; a select in a message asks which option first."""
        if control.element.get("type", "button") == "button":
            return None
        block = {"label": {"type": "plain_text", "text": control.label}, "element": control.element}
        return self.ask_field(block)

    def _check(self, response: Any) -> None:
        if response.status != 200:
            self.output.note(f"(the bot answered Slack with HTTP {response.status})")
        elif not response.within_ack_deadline:
            self.output.note(
                f"(the bot took {response.latency:.1f} s to acknowledge: Slack would have shown "
                "the officer a timeout)"
            )

    # -- what the bot did ----------------------------------------------------------------

    def show_news(self) -> None:
        """Wait for the bot to finish, print everything new, then walk any modal it opened."""
        printed = self.output.printed
        if not self.activity.settle():
            self.output.note("(the bot is still working: what it says next will show later)")
        self._show_logs()
        current = self._read()
        previous, self.seen = self.seen, current
        self._show_changes(previous, current)
        if self.output.printed != printed:
            self.output.say()
        for view_id, view in list(current.modals.items()):
            if view_id not in previous.modals and view_id in self.slack.views:
                self.walk_modal(view)

    def _channels(self) -> set[str]:
        known = {self.channel_id, *DEFAULT_CHANNELS}
        for ref in self.activity.mentioned_channels():
            if ref.startswith(("U", "W")):
                dm = self.slack.dm_channel(ref)
                if dm:
                    known.add(dm)
            elif not ref.startswith("#"):
                known.add(ref)
        dm = self.slack.dm_channel(self.user_id)
        if dm:
            known.add(dm)
        return known

    def _read(self) -> Seen:
        messages = {
            (channel_id, m["ts"]): {**m, "channel": channel_id}
            for channel_id in sorted(self._channels())
            for m in self.slack.messages(channel_id)
        }
        ephemerals = {
            e["ts"]: e for e in self.slack.ephemerals if e.get("user") in (None, self.user_id)
        }
        return Seen(
            messages=messages,
            ephemerals=ephemerals,
            modals=self.slack.views,
            home=self.slack.home_views.get(self.user_id),
        )

    def _show_changes(self, before: Seen, after: Seen) -> None:
        for key, message in before.messages.items():
            if key not in after.messages:
                self._from(f"{BOT_NAME} deleted a message in {self._where(key[0], message)}.")
        for key, message in after.messages.items():
            if key in before.messages and _content(before.messages[key]) != _content(message):
                self._from(f"{BOT_NAME} updated its message in {self._where(key[0], message)}:")
                self._show_message(message, surface="message", channel_id=key[0])
        for ts, ephemeral in after.ephemerals.items():
            old = before.ephemerals.get(ts)
            if old is not None and _content(old) != _content(ephemeral):
                self._from(f"{BOT_NAME} updated its answer (only you can see this):")
                self._show_message(
                    ephemeral, surface="ephemeral", channel_id=ephemeral.get("channel")
                )
        for ts in before.ephemerals.keys() - after.ephemerals.keys():
            self._from(f"{BOT_NAME} removed an answer only you could see.")
        fresh: list[tuple[tuple[int, ...], str, dict[str, Any]]] = []
        for key, message in after.messages.items():
            if key not in before.messages and (
                message.get("bot_id") or message.get("user") != self.user_id
            ):
                fresh.append((_ts_key(key[1]), "message", message))
        for ts, ephemeral in after.ephemerals.items():
            if ts not in before.ephemerals:
                fresh.append((_ts_key(ts), "ephemeral", ephemeral))
        for _, surface, message in sorted(fresh, key=lambda item: item[0]):
            channel_id = message.get("channel")
            if surface == "ephemeral":
                self._from(f"{BOT_NAME} (only you can see this, in {self._where(channel_id)}):")
            else:
                self._from(f"{BOT_NAME} in {self._where(channel_id, message)}:")
            self._show_message(message, surface=surface, channel_id=channel_id)
        if after.home is not None and (
            before.home is None or before.home.get("hash") != after.home.get("hash")
        ):
            self._from(f"{BOT_NAME}: your Home tab")
            rendered = self._render_blocks(after.home.get("blocks", []))
            self._remember(rendered, surface="home", channel_id=None, ts=None)
            self.output.lines(rendered.lines)

    def _from(self, text: str) -> None:
        self.output.say()
        self.output.say(text, "from")

    def _render_blocks(self, blocks: Sequence[dict[str, Any]]) -> Rendered:
        return render_blocks(
            blocks,
            user_name=self.user_name,
            channel_name=self.channel_name,
            first_number=self._next_number(),
        )

    def _next_number(self) -> int:
        return max(self.targets, default=0) + 1

    def _show_message(
        self, message: dict[str, Any], *, surface: str, channel_id: str | None
    ) -> None:
        rendered = render_message(
            message,
            user_name=self.user_name,
            channel_name=self.channel_name,
            first_number=self._next_number(),
            file_content=self._file_content,
        )
        self._remember(rendered, surface=surface, channel_id=channel_id, ts=message.get("ts"))
        self.output.lines(rendered.lines)

    def _remember(
        self, rendered: Rendered, *, surface: str, channel_id: str | None, ts: str | None
    ) -> None:
        for control in rendered.controls:
            self.targets[control.number] = Target(surface, channel_id, ts, control)

    def _file_content(self, file_id: str) -> bytes | None:
        return next((u.content for u in self.slack.uploads if u.file_id == file_id), None)

    # -- the bot's log ---------------------------------------------------------------------

    def log(self, record: logging.LogRecord) -> None:
        text = record.getMessage().splitlines()[0] if record.getMessage() else ""
        if record.exc_info and record.exc_info[1] is not None:
            text += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})".splitlines()[0]
        with self._log_lock:
            self.log_lines.append(f"(bot log, {record.levelname.lower()}: {text})")

    def _show_logs(self) -> None:
        with self._log_lock:
            lines, self.log_lines = self.log_lines, []
        for line in lines:
            self.output.note(line)

    # -- modals ------------------------------------------------------------------------------

    def walk_modal(self, view: dict[str, Any]) -> None:
        """Show a modal, ask for each input in order, submit it; ask again what it refuses."""
        view_id = str(view["id"])
        title = text_of(view.get("title")) or "Form"
        self._from(f"{BOT_NAME} opened a form: {title}")
        others = [b for b in view.get("blocks", []) if b.get("type") not in ("input", "actions")]
        self.output.lines(self._render_blocks(others).lines)
        self.output.note(
            "  (Enter keeps the value in [brackets] or skips an optional field; "
            "cancel closes the form)"
        )
        inputs = [b for b in view.get("blocks", []) if b.get("type") == "input"]
        values: dict[str, dict[str, Any]] = {}
        try:
            self._ask_fields(inputs, values)
            while True:
                response = self.driver.view_submission(
                    user_id=self.user_id, view=view_id, values=values
                )
                answer = _json_or_none(response)
                action = answer.get("response_action") if isinstance(answer, dict) else None
                if response.status != 200:
                    self._check(response)
                    return
                if action == "errors":
                    errors: dict[str, str] = dict(answer.get("errors") or {})
                    self.output.say(f"  {title} was not saved:", "error")
                    by_id = {b.get("block_id"): b for b in inputs}
                    for block_id, problem in errors.items():
                        label = text_of(by_id.get(block_id, {}).get("label")) or block_id
                        self.output.say(f"  ✗ {label}: {problem}", "error")
                    again = [by_id[b] for b in errors if b in by_id] or inputs
                    self._ask_fields(again, values)
                    continue
                if action == "push":
                    self.output.note(
                        f"  You submitted “{title}”; the bot answered with a new form, which "
                        "the stand-in does not open from a submission."
                    )
                    self._close_modal(view)
                    break
                if action == "update":
                    replaced = self.slack.views.get(view_id)
                    if replaced is not None:
                        self.output.note(f"  {title} changed:")
                        self.seen.modals[view_id] = replaced
                        self.walk_modal(replaced)
                    return
                self.output.note(f"  You submitted “{title}”.")
                break
        except (_Cancel, EndOfInput, KeyboardInterrupt) as stop:
            if isinstance(stop, KeyboardInterrupt):
                self.output.say()  # after the ^C, on a line of its own
            self._close_modal(view)
            self.output.note(f"  You closed “{title}” without submitting it.")
            if isinstance(stop, EndOfInput):
                raise
            return
        self.show_news()

    def _close_modal(self, view: dict[str, Any]) -> None:
        # As on Slack: the app hears of a closed modal only if it asked to (notify_on_close).
        if view.get("notify_on_close"):
            self._check(self.driver.view_closed(user_id=self.user_id, view=str(view["id"])))
            self.activity.settle()
            self._show_logs()
        else:
            self.slack.close_view(str(view["id"]))
        self.seen.modals.pop(str(view["id"]), None)

    def _ask_fields(
        self, inputs: Sequence[dict[str, Any]], values: dict[str, dict[str, Any]]
    ) -> None:
        for block in inputs:
            block_id = str(block.get("block_id"))
            element = block.get("element", {})
            current = values.get(block_id, {}).get(element.get("action_id", ""))
            value = self.ask_field(block, current=current)
            if value is None:
                values.pop(block_id, None)
            else:
                values[block_id] = {str(element.get("action_id", "value")): value}

    def ask_field(self, block: dict[str, Any], *, current: Any = None) -> Any:
        """Ask for one input's value until it is usable; None skips it. `cancel` raises _Cancel."""
        element = block.get("element", {})
        kind = element.get("type", "plain_text_input")
        label = text_of(block.get("label")) or kind
        optional = bool(block.get("optional"))
        default = current if current is not None else self._initial(element)
        hint = text_of(block.get("hint")) or text_of(element.get("placeholder"))
        options = _options(element)
        if hint or options:
            self.output.say()
        if hint:
            self.output.say(hint, "context", indent=4)
        if options:
            for number, option in enumerate(options, start=1):
                self.output.say(f"{number}. {text_of(option.get('text'))}", indent=4)
        if kind == "plain_text_input" and element.get("multiline"):
            self.output.note("    (several lines: finish with a line holding just a full stop)")
        shown_default = self._shown(kind, default, options)
        prompt = f"  {label}{' (optional)' if optional else ''}"
        prompt += f" [{shown_default}]: " if shown_default else ": "
        while True:
            answer = self.ask(prompt).strip()
            if answer.lower() in _CANCEL_WORDS:
                raise _Cancel
            if not answer:
                if default not in (None, "", []):
                    return default
                if optional or kind in ("conversations_select", "channels_select"):
                    if kind in ("conversations_select", "channels_select"):
                        return self.channel_id
                    return None
                self.output.error("This field is required.")
                continue
            if kind == "plain_text_input" and element.get("multiline"):
                answer = self._more_lines(answer)
            try:
                return self._parse(kind, element, answer, options)
            except FieldProblem as problem:
                self.output.error(str(problem))

    def _more_lines(self, first: str) -> str:
        if first == _MULTILINE_END:
            return ""
        lines = [first]
        while True:
            line = self.ask("  … ")
            if line.strip() == _MULTILINE_END:
                return "\n".join(lines)
            if line.strip().lower() in _CANCEL_WORDS:
                raise _Cancel
            lines.append(line)

    def _initial(self, element: dict[str, Any]) -> Any:
        kind = element.get("type")
        if kind == "plain_text_input":
            return element.get("initial_value")
        if kind == "datepicker":
            return element.get("initial_date")
        if kind in ("static_select", "radio_buttons"):
            return (element.get("initial_option") or {}).get("value")
        if kind in ("multi_static_select", "checkboxes"):
            return [o.get("value") for o in element.get("initial_options") or []] or None
        if kind == "users_select":
            return element.get("initial_user")
        if kind == "multi_users_select":
            return element.get("initial_users") or None
        if kind in ("conversations_select", "channels_select"):
            return element.get("initial_conversation") or element.get("initial_channel")
        if kind == "multi_conversations_select":
            return element.get("initial_conversations") or None
        if kind == "timepicker":
            return element.get("initial_time")
        return element.get("initial_value")

    def _shown(self, kind: str, value: Any, options: list[dict[str, Any]]) -> str:
        """A default value as the officer would recognise it."""
        if value in (None, "", []):
            if kind in ("conversations_select", "channels_select"):
                return f"#{self.channel_name(self.channel_id)}"
            return ""
        values = value if isinstance(value, list) else [value]
        if kind == "file_input" and isinstance(value, dict):
            return ", ".join(str(f.get("name")) for f in value.get("files", []))
        shown = []
        for item in values:
            if options:
                option = next((o for o in options if o.get("value") == item), None)
                shown.append(text_of(option.get("text")) if option else str(item))
            elif kind.endswith("users_select"):
                shown.append(self.user_name(str(item)) or str(item))
            elif "conversations" in kind or "channels" in kind:
                shown.append(f"#{self.channel_name(str(item))}")
            elif kind == "datepicker":
                shown.append(_long_date(str(item)))
            else:
                text = str(item)
                shown.append(text if len(text) <= 60 else text[:59] + "…")
        return ", ".join(shown)

    def _parse(
        self, kind: str, element: dict[str, Any], answer: str, options: list[dict[str, Any]]
    ) -> Any:
        if kind == "datepicker":
            return parse_date_answer(answer).isoformat()
        if kind in ("static_select", "radio_buttons", "external_select", "overflow"):
            return choose_option(answer, options)
        if kind in ("multi_static_select", "checkboxes"):
            return [choose_option(part, options) for part in _split(answer)]
        if kind == "users_select":
            chosen = self._people(answer)
            if len(chosen) != 1:
                raise FieldProblem("Choose one person.")
            return chosen[0]
        if kind == "multi_users_select":
            return self._people(answer)
        if kind in ("conversations_select", "channels_select"):
            return self._channel(answer)
        if kind == "multi_conversations_select":
            return [self._channel(part) for part in _split(answer)]
        if kind == "file_input":
            return {"type": "file_input", "files": [self._upload(answer)]}
        if kind == "timepicker":
            if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", answer):
                raise FieldProblem("Give a time such as 09:00.")
            return answer
        limit = element.get("max_length")
        if limit and len(answer) > int(limit):
            raise FieldProblem(f"That is {len(answer)} characters; this field takes {limit}.")
        if element.get("min_length") and len(answer) < int(element["min_length"]):
            raise FieldProblem(f"Write at least {element['min_length']} characters.")
        return answer

    def _people(self, answer: str) -> list[str]:
        chosen = []
        for part in _split(answer):
            chosen.append(
                find_person(part, self.people, known_id=lambda u: self.slack.user(u) is not None)
            )
        return chosen

    def _channel(self, answer: str) -> str:
        ref = answer.strip()
        if ref.lower() in ("here", "this"):
            return self.channel_id
        if self.slack.channel(ref) is not None:
            return ref
        name = ref.lstrip("#").lower()
        names = {**self.channel_names}
        for channel_id in self._channels():
            names.setdefault(channel_id, self.channel_name(channel_id) or channel_id)
        for channel_id, channel_name in names.items():
            if channel_name.lower() == name:
                return channel_id
        known = ", ".join(f"#{n}" for n in self.channel_names.values())
        raise FieldProblem(f"No channel called {ref}; channels here: {known}.")

    def _upload(self, answer: str) -> dict[str, Any]:
        path = self._local_path(answer)
        if not path.is_file():
            raise FieldProblem(f"No such file: {answer}")
        return self.slack.add_file(
            content=path.read_bytes(), filename=path.name, user_id=self.user_id
        )


def _has_control(blocks: Sequence[dict[str, Any]], control: Control) -> bool:
    for block in blocks:
        if control.block_id is not None and block.get("block_id") != control.block_id:
            continue
        candidates = [*block.get("elements", []), block.get("accessory"), block.get("element")]
        if any(isinstance(e, dict) and e.get("action_id") == control.action_id for e in candidates):
            return True
    return False


def _json_or_none(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def _split(answer: str) -> list[str]:
    return [part.strip() for part in answer.split(",") if part.strip()]


def _long_date(iso: str) -> str:
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


HELP = """Commands:
  /ofsted …        a slash command, as in Slack: /ofsted help, /ofsted list, /ofsted new,
                   /ofsted letter, /ofsted show <visit>, /ofsted export <visit> csv
  share PATH       share a letter (.txt, .pdf or .docx) in #ofsted-visits
  home             open the bot's Home tab
  press N, or N    press button N (buttons are numbered as they are shown: [1] Create visit)
  later [N]        move the bot's clock on N working days (default 1), to reminder time,
                   and post the reminders then due
  help             this list
  quit             leave (also exit, or Ctrl-D)
In a form the bot opens: Enter keeps the value in [brackets] or skips an optional field;
dates as 2026-05-06 or 6 May 2026; people by name or id, separated by commas; cancel closes it."""


# --- Starting and stopping -------------------------------------------------------------------


class ShellClock:
    """The bot's clock: real time, or from 09:00 London on a chosen day; `later` moves it on
    so a newcomer can see reminders fall due without waiting for them."""

    def __init__(self, day: date | None = None) -> None:
        real_now = datetime.now(UTC)
        self.start = real_now if day is None else datetime.combine(day, clock_time(9, 0), tzinfo=LONDON)
        self._started = time.monotonic()

    def __call__(self) -> datetime:
        return (self.start + timedelta(seconds=time.monotonic() - self._started)).astimezone(UTC)

    def jump_to(self, moment: datetime) -> None:
        self.start, self._started = moment, time.monotonic()



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


def _shown_path(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


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
        except Exception as error:  # noqa: BLE001 (any driver's error, said in one line)
            first = (str(error) or type(error).__name__).strip().splitlines()[0]
            raise ShellStartError(f"could not open the database: {first}") from None
        adopt_unowned_visits(settings=settings, engine=engine)  # a shell database from before workspaces
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
            slack=slack, driver=driver, activity=activity, output=output, ask=ask,
            dispatcher=dispatcher, clock=clock,
        )
        handler = _ShellLogHandler(session)
        logging.getLogger().addHandler(handler)
        stack.callback(logging.getLogger().removeHandler, handler)
        _banner(output, settings=settings, day=day, ignored=ignored)
        yield session


def run_demo(session: ShellSession) -> None:
    """The tour `--demo` gives: share the example letter, create the visit, list the visits."""
    with resources.as_file(resources.files("bot") / "examples" / EXAMPLE_LETTER) as example:
        session.output.note("A short tour: a letter is shared, a visit created, the visits listed.")
        for step in (f"share {_shown_path(Path(example))}", "press 1", "/ofsted list"):
            session.output.say(PROMPT + step, "echo")
            session.do(f"share {example}" if step.startswith("share ") else step)
    session.output.note("Your turn: type help for commands, quit to leave.")


def run_shell(
    *,
    input_lines: Iterable[str] | None = None,
    out: TextIO | Console | None = None,
    day: date | str | None = None,
    demo: bool = False,
    database_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Run the shell until quit or the end of input; the exit status.

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
        with started_shell(
            output=output, ask=ask, day=pinned, database_url=database_url, environ=environ
        ) as session:
            if demo:
                run_demo(session)
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
    if ignored:
        output.note(f"Slack settings in the environment ({', '.join(ignored)}) are ignored here.")
    output.say("Type help for commands, quit to leave.")
