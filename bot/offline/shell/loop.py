"""The session: what the officer types, sent as Slack would, and what the bot did, shown.

One officer at one terminal: slash commands, shared files, button presses and the Home tab
go to the bot through the driver; after each, the shell waits for the bot to finish and
prints what changed in the stand-in (new and updated messages, answers, the Home tab).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.offline.shell import modals
from bot.offline.shell.activity import Activity
from bot.offline.shell.answers import options_of
from bot.offline.shell.clock import ShellClock
from bot.offline.shell.modals import Cancelled
from bot.offline.shell.officer import BOT_NAME, SHELL_CHANNEL, SHELL_USER, SHELL_USER_NAME
from bot.offline.shell.render import Control, Rendered, render_blocks, render_message
from bot.offline.shell.terminal import Ask, EndOfInput, Output
from bot.offline.standin import SlackDriver, SlackStandIn
from bot.offline.standin.directory import DEFAULT_CHANNELS, DEFAULT_USERS
from scheduler.calendar import ENGLAND_AND_WALES, london_date, london_time
from scheduler.dates import format_long

PROMPT = "ofsted> "
EXPORTS_FOLDER = "exports"

HELP = """Commands:
  /ofsted …        a slash command, as in Slack: /ofsted help, /ofsted list (closed, mine),
                   /ofsted new, /ofsted letter, /ofsted show <visit>,
                   /ofsted export <visit> csv (saved under ./exports/)
  share PATH       share a letter (.txt, .pdf or .docx) in #ofsted-visits
  home             open the bot's Home tab
  press N, or N    press button N (buttons are numbered as they are shown: [1] Create visit)
  later [N]        move the bot's clock on N working days (default 1), to reminder time,
                   and post the reminders then due
  as NAME [COMMAND] act as another member (Priya, Dana, Sam, Lee; "as me" to come back),
                   for one command or until the next "as": to try approvals
  help             this list
  quit             leave (also exit, or Ctrl-D)
In a form the bot opens: Enter keeps the value in [brackets] or skips an optional field;
dates as 2026-05-06 or 6 May 2026; people by name or id, separated by commas; cancel closes it."""


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
        self.saved_files: set[str] = set()
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
            elif verb.lower() == "as":
                return self.act_as(rest)
            else:
                self.output.error(f"I don't know '{verb}'. Type help for what you can do.")
                return True
            self.dispatch_reminders()
        except EndOfInput:
            return False
        except KeyboardInterrupt:
            self.output.error("interrupted")
        except Exception as error:
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
        typed = text.strip()
        if typed and not (typed.isdigit() and int(typed) > 0):
            self.output.error(
                f"later takes a whole number of working days, 1 or more, such as later 3 "
                f"(not '{typed[:20]}'): the clock did not move."
            )
            return
        days = int(typed) if typed else 1
        day = ENGLAND_AND_WALES.add_working_days(london_date(self.clock()), days)
        self.clock.jump_to(london_time(day, self.dispatcher.defaults.reminder_time))
        self.output.note(f"The bot's clock is now {format_long(day)}, the time reminders go out.")

    # -- who the officer is -----------------------------------------------------------------

    def person_named(self, name: str) -> str | None:
        """The member a name, first name or id means ("Priya", "priya shah", "U01QAOFFICER")."""
        wanted = name.strip().strip("@").lower()
        if wanted in ("me", "you", "myself", SHELL_USER.lower()):
            return SHELL_USER
        for user_id, real_name in self.people.items():
            if wanted in (user_id.lower(), real_name.lower(), real_name.split()[0].lower()):
                return user_id
        return None

    def act_as(self, text: str) -> bool:
        """`as Priya` acts as Priya from now on; `as Priya press 3` for that one command."""
        name, _, command = text.partition(" ")
        person = self.person_named(name) if name else None
        if person is None:
            known = ", ".join(sorted(n.split()[0] for n in self.people.values()))
            self.output.error(f"as whom? Name a member ({known}), or 'as me' to be yourself again.")
            return True
        if not command.strip():
            self.user_id = person
            self.output.note(f"You are now acting as {self.user_name(person)} ({person}).")
            return True
        before, self.user_id = self.user_id, person
        try:
            return self.do(command)
        finally:
            self.user_id = before

    # -- what the officer does -----------------------------------------------------------

    def slash_command(self, command: str, text: str) -> None:
        if command.lower() != "/ofsted":
            self.output.error(f"Only /ofsted is installed here; try /ofsted help (not {command}).")
            return
        response = self.driver.slash_command(text, user_id=self.user_id, channel_id=self.channel_id)
        self.check(response)
        self.show_news()

    def share(self, path_text: str) -> None:
        if not path_text:
            self.output.error("share what? Give a path, e.g. share letter.pdf")
            return
        path = self.local_path(path_text)
        if not path.is_file():
            self.output.error(f"share: no such file: {path_text}")
            return
        content = path.read_bytes()
        self.output.note(f"You shared {path.name} in #{self.channel_name(self.channel_id)}.")
        for response in self.driver.share_file(
            content=content, filename=path.name, user_id=self.user_id, channel_id=self.channel_id
        ):
            self.check(response)
        self.show_news()

    def local_path(self, typed: str) -> Path:
        return (self.cwd / os.path.expanduser(typed.strip().strip("'\""))).resolve()

    def open_home(self) -> None:
        self.check(self.driver.app_home_opened(user_id=self.user_id))
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
        except Cancelled:
            self.output.note("Nothing was pressed.")
            return
        if value is None:
            self.output.note(f"You pressed “{control.label}”.")
        else:
            kind = str(control.element.get("type", ""))
            chosen = modals.shown_value(self, kind, value, options_of(control.element))
            self.output.note(f"You chose {chosen} in “{control.label}”.")
        on: dict[str, Any] = (
            {"view": str(found["id"])}
            if target.surface == "home"
            else {"message": found, "channel_id": where}
        )
        response = self.driver.block_action(
            user_id=self.user_id,
            action_id=control.action_id,
            block_id=control.block_id,
            value=value,
            **on,
        )
        self.check(response)
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
        return modals.ask_field(self, block)

    def check(self, response: Any) -> None:
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
        self.show_logs()
        current = self._read()
        previous, self.seen = self.seen, current
        self._show_changes(previous, current)
        if self.output.printed != printed:
            self.output.say()
        for view_id, view in list(current.modals.items()):
            if view_id not in previous.modals and view_id in self.slack.views:
                modals.walk_modal(self, view)

    def known_channels(self) -> set[str]:
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
            for channel_id in sorted(self.known_channels())
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
                self.announce(f"{BOT_NAME} deleted a message in {self._where(key[0], message)}.")
        for key, message in after.messages.items():
            if key in before.messages and _content(before.messages[key]) != _content(message):
                self.announce(f"{BOT_NAME} updated its message in {self._where(key[0], message)}:")
                self._show_message(message, surface="message", channel_id=key[0])
        for ts, ephemeral in after.ephemerals.items():
            old = before.ephemerals.get(ts)
            if old is not None and _content(old) != _content(ephemeral):
                self.announce(f"{BOT_NAME} updated its answer (only you can see this):")
                self._show_message(
                    ephemeral, surface="ephemeral", channel_id=ephemeral.get("channel")
                )
        for _gone in before.ephemerals.keys() - after.ephemerals.keys():
            self.announce(f"{BOT_NAME} removed an answer only you could see.")
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
                self.announce(f"{BOT_NAME} (only you can see this, in {self._where(channel_id)}):")
            else:
                self.announce(f"{BOT_NAME} in {self._where(channel_id, message)}:")
            self._show_message(message, surface=surface, channel_id=channel_id)
        if after.home is not None and (
            before.home is None or before.home.get("hash") != after.home.get("hash")
        ):
            self.announce(f"{BOT_NAME}: your Home tab")
            rendered = self.render(after.home.get("blocks", []))
            self._remember(rendered, surface="home", channel_id=None, ts=None)
            self.output.lines(rendered.lines)

    def announce(self, text: str) -> None:
        self.output.say()
        self.output.say(text, "from")

    def render(self, blocks: Sequence[dict[str, Any]]) -> Rendered:
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
        if message.get("bot_id") or message.get("user") != self.user_id:
            for info in message.get("files") or []:
                self._save_file(str(info.get("id", "")), str(info.get("name") or "export"))

    def _save_file(self, file_id: str, name: str) -> None:
        """A file the bot sent (an export) is saved under ./exports/, as a download would be."""
        content = self._file_content(file_id)
        if content is None or file_id in self.saved_files:
            return
        folder = self.cwd / EXPORTS_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / Path(name).name
        path.write_bytes(content)
        self.saved_files.add(file_id)
        shown = path.relative_to(self.cwd) if path.is_relative_to(self.cwd) else path
        self.output.note(f"Saved {name} to {shown}.")

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

    def show_logs(self) -> None:
        with self._log_lock:
            lines, self.log_lines = self.log_lines, []
        for line in lines:
            self.output.note(line)


def _has_control(blocks: Sequence[dict[str, Any]], control: Control) -> bool:
    for block in blocks:
        if control.block_id is not None and block.get("block_id") != control.block_id:
            continue
        candidates = [*block.get("elements", []), block.get("accessory"), block.get("element")]
        if any(isinstance(e, dict) and e.get("action_id") == control.action_id for e in candidates):
            return True
    return False
