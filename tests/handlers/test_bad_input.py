"""Random `/ofsted` commands and damaged letter files, sent to the real HTTP endpoint.

Each command is a Slack-signed request to the bot served over HTTP (tests/handlers/conftest.py).
Whatever the text, the bot acknowledges with a 200 within Slack's 3 seconds, answers only the
person who typed it (ephemeral), never shows a stack trace, never fails on its side ("something
went wrong") because of what was typed, and writes nothing to the database unless the command
did what it says (`close` of an open visit). `benchmarks/faults.py` sends 5,000 of them.
"""

from __future__ import annotations

import itertools
import re
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from bot.app import build_app
from bot.offline.standin import (
    BotResponse,
    RecordedCall,
    RecordedResponse,
    SlackDriver,
    SlackStandIn,
)
from bot.offline.standin.boltserver import serve_wsgi
from bot.settings import Settings
from bot.web import wsgi_application
from handlers.slack.errors import SOMETHING_WENT_WRONG
from handlers.slack.forms import FormErrors, read_settings_form, read_visit_form
from scheduler.planning import ReminderDefaults, replan_visit
from storage import repo
from storage.db import create_engine_for
from storage.migrate import upgrade_database
from tests.handlers.conftest import (
    CHANNEL,
    DAY_AFTER_LETTER,
    OFFICER,
    SIGNING_SECRET,
    TEAM,
    Bot,
    Clock,
    all_text,
)
from tests.scheduler.test_letter_mutations import SEEDS, damaged_documents, document_outcome

ACK_DEADLINE = 3.0
# A mention, channel link or broadcast typed by the user must not come back live in an answer.
_SLACK_MARKUP = re.compile(r"<[@#!][^<>]*>")
_BROADCAST = re.compile(r"<!(?:channel|here|everyone)\b")
ANSWER_TIMEOUT = 10.0
# What a Python stack trace or exception looks like in a reply.
TRACEBACK = re.compile(
    r"Traceback \(most recent call last\)|Traceback|File \"|\b[A-Z]\w*(?:Error|Exception):"
)

# --- the commands ------------------------------------------------------------------------------

SUBCOMMANDS = ["help", "letter", "new", "list", "show", "export", "settings", "close"]
REFERENCE = "fernleigh-2106"  # the visit `seed_visit` makes
VISITS = [
    REFERENCE,
    REFERENCE.upper(),
    f" {REFERENCE} ",
    "st-helens-2106",
    "nowhere-9999",
    f"{REFERENCE}-2",
    "-",
    "2106",
]
FORMATS = ["csv", "ics", "CSV", "Ics", "pdf", "xlsx", "csv,ics"]
MARKUP = [
    "`",
    "```",
    "`rm -rf /`",
    "```print(1)```",
    "*bold*",
    "_italic_",
    "~strike~",
    ">quote",
    "<@U123ABC>",
    "<@U0FUZZ|someone>",
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<#C01VISITS|visits>",
    "<https://evil.example/|click me>",
    "<mailto:a@b.example|mail>",
    "&lt;&gt;&amp;",
    "<>",
    "<",
    ">",
    "'; DROP TABLE visits; --",
    "%s %d {0} {visit}",
    "\\n",
    "\\",
    '"',
    "'",
    "’",
    "%00",
]
ODD = [
    "\u00a0",
    "\u200b",
    "\u202e",
    "\ufeff",
    "\u3000",
    "\t",
    "\n",
    "\r\n",
    "\x00",
    "\x0b",
    "\u2028",
    "🎉",
    "👩🏽‍💻",
    "e\u0301",
    "İ",
    "ß",
    "ﬁ",
    "Ω",
    "٣١",
    "ＳＨＯＷ",
    "ｃｓｖ",
    "ǅ",
    "\U0001d54a",
]


def _not_a_trace(s: str) -> bool:
    return not TRACEBACK.search(s)


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30
).filter(_not_a_trace)

words = st.one_of(
    st.sampled_from(SUBCOMMANDS),
    st.sampled_from(SUBCOMMANDS).map(str.upper),
    st.sampled_from(SUBCOMMANDS).map(str.title),
    st.sampled_from(VISITS),
    st.sampled_from(FORMATS),
    st.sampled_from(MARKUP),
    st.sampled_from(ODD),
    _TEXT,
)
separators = st.sampled_from([" ", " ", " ", "  ", "\t", "\n", "\u00a0", "\u3000", ""])


@st.composite
def command_texts(draw: st.DrawFn) -> str:
    """What someone might type after `/ofsted`: mostly a real subcommand with odd arguments."""
    kind = draw(st.sampled_from(["shaped", "shaped", "command", "command", "junk", "long"]))
    if kind == "shaped":
        # The right number of words, each of them possibly odd.
        name = draw(
            st.sampled_from(SUBCOMMANDS).map(draw(st.sampled_from([str, str.upper, str.title])))
        )
        parts = [name]
        if name.lower() in ("show", "export", "settings", "close"):
            parts.append(draw(st.one_of(st.sampled_from(VISITS), st.sampled_from(MARKUP), _TEXT)))
        if name.lower() == "export":
            parts.append(draw(st.one_of(st.sampled_from(FORMATS), st.sampled_from(ODD))))
        return draw(separators.filter(bool)).join(parts)
    if kind == "long":
        word = draw(st.sampled_from(["show ", "export ", "", "frobnicate ", "close "]))
        filler = draw(st.sampled_from(["a", "x-", "`", "<@U1>", "é", "🎉", " ", "*"]))
        return word + filler * draw(st.integers(500, 8000))
    parts = [draw(st.sampled_from(SUBCOMMANDS))] if kind == "command" else []
    parts += draw(st.lists(words, min_size=0 if parts else 1, max_size=5))
    joined = ""
    for part in parts:
        joined += (draw(separators) if joined else "") + part
    return (
        draw(st.sampled_from(["", " ", "  ", "\n"]))
        + joined
        + draw(st.sampled_from(["", " ", "\n"]))
    )


# --- the bot's state ---------------------------------------------------------------------------


@contextmanager
def serving_bot(folder: Path) -> Iterator[Bot]:
    """The bot of tests/handlers/conftest.py, outside pytest (for benchmarks/faults.py)."""
    with SlackStandIn() as slack:
        engine = create_engine_for(f"sqlite:///{folder / 'ofsted-bot.db'}")
        upgrade_database(engine=engine)
        clock = Clock(DAY_AFTER_LETTER)
        settings = Settings(
            slack_bot_token=slack.token,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.api_url,
        )
        app = build_app(settings=settings, engine=engine, clock=clock)
        try:
            with serve_wsgi(wsgi_application(app=app, engine=engine)) as url:
                yield Bot(SlackDriver(url, SIGNING_SECRET, slack), slack, engine, clock, url)
        finally:
            engine.dispose()


def seed_visit(engine: Engine) -> str:
    """An open visit with milestones and reminders, so show, export, settings and close find one."""
    with Session(engine) as session:
        visit = repo.create_visit(
            session=session,
            team_id=TEAM,
            local_authority="Fernleigh",
            visit_type="focused_visit",
            letter_date=date(2021, 6, 22),
            visit_dates=[date(2021, 6, 8), date(2021, 6, 9)],
            inspectors=["Ann Inspector"],
            created_by=OFFICER,
            channel_id=CHANNEL,
            approvers=["U_DCS"],
            now=DAY_AFTER_LETTER,
            milestones=[
                repo.NewMilestone(
                    kind="complaint_deadline",
                    label="Complaint window closes",
                    due_date=date(2021, 6, 29),
                    source="letter",
                    evidence="by the end of the fifth working day",
                    needs_approval=True,
                ),
                repo.NewMilestone(
                    kind="survey_deadline",
                    label="Post-inspection survey due",
                    due_date=date(2021, 8, 20),
                    source="letter",
                ),
            ],
        )
        replan_visit(
            session=session, visit=visit, defaults=ReminderDefaults(), now=DAY_AFTER_LETTER
        )
        session.commit()
        assert visit.reference == REFERENCE
        return visit.reference


def reopen_visit(engine: Engine) -> None:
    """After a `close` that worked, open the visit again so the next commands find it open."""
    with Session(engine) as session:
        visit = repo.get_visit(session=session, reference=REFERENCE, team_id=TEAM)
        if visit is None:
            session.close()
            seed_visit(engine)
            return
        if visit.status != "open":
            visit.status = "open"
            session.add(visit)
            replan_visit(
                session=session, visit=visit, defaults=ReminderDefaults(), now=DAY_AFTER_LETTER
            )
            session.commit()


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: what "nothing was written" is checked against."""
    with engine.connect() as connection:
        return {
            table.name: sorted(
                map(tuple, connection.execute(sql(f'SELECT * FROM "{table.name}"'))), key=repr
            )
            for table in SQLModel.metadata.sorted_tables
        }


# --- one command, checked -------------------------------------------------------------------------


@dataclass
class CommandResult:
    text: str
    response: BotResponse | None = None
    answers: list[Any] = field(default_factory=list)
    outcome: str = "none"  # answered, modal, upload, none
    problems: list[str] = field(default_factory=list)
    late: bool = False
    server_error: bool = False
    traceback: bool = False


_users = itertools.count(1)


class Watcher:
    """What the bot said to Slack, indexed as it happens (the stand-in's records are copied
    whole on every read, which would make 5,000 commands quadratic)."""

    def __init__(self, slack: SlackStandIn) -> None:
        self._changed = threading.Condition()
        self.answers: dict[str, list[RecordedResponse]] = {}
        self.opened: dict[str, list[RecordedCall]] = {}
        self.upload_comments: list[str] = []
        slack.add_listener(self._record)

    def _record(self, record: RecordedCall | RecordedResponse) -> None:
        with self._changed:
            if isinstance(record, RecordedResponse):
                self.answers.setdefault(record.url, []).append(record)
            elif record.method == "views.open":
                self.opened.setdefault(str(record.args.get("trigger_id")), []).append(record)
            elif record.method == "files.completeUploadExternal" and record.ok:
                self.upload_comments.append(str(record.args.get("initial_comment", "")))
            self._changed.notify_all()

    def wait(
        self, *, response_url: str, trigger_id: str, user_id: str, timeout: float
    ) -> str | None:
        """How the command was answered: "answered", "modal", "upload"; None if it was not."""

        def outcome() -> str | None:
            if self.answers.get(response_url):
                return "answered"
            opened = self.opened.get(trigger_id)
            if opened and all(call.ok for call in opened):
                return "modal"
            if any(user_id in comment for comment in self.upload_comments):
                return "upload"
            return None

        with self._changed:
            return self._changed.wait_for(outcome, timeout=timeout)


_watchers: weakref.WeakKeyDictionary[SlackStandIn, Watcher] = weakref.WeakKeyDictionary()


def watcher(slack: SlackStandIn) -> Watcher:
    if slack not in _watchers:
        _watchers[slack] = Watcher(slack)
    return _watchers[slack]


def send_command(bot: Bot, text: str, *, user_id: str | None = None) -> CommandResult:
    """Send one command and check all that the brief promises about it."""
    result = CommandResult(text)
    watching = watcher(bot.slack)
    user_id = user_id or f"U_FUZZ{next(_users):05d}"  # a user of its own, to find what answered it
    before = snapshot(bot.engine)
    response = bot.driver.slash_command(text, user_id=user_id, channel_id=CHANNEL)
    result.response = response
    if response.status >= 500:
        result.server_error = True
    if response.status != 200:
        result.problems.append(f"HTTP {response.status}: {response.text[:200]}")
        return result
    if not response.latency <= ACK_DEADLINE:
        result.late = True
        result.problems.append(f"acknowledged after {response.latency:.2f} s")
    if TRACEBACK.search(response.text):
        result.traceback = True
        result.problems.append(f"traceback in the acknowledgement: {response.text[:300]}")
    response_url = response.payload["response_url"]
    outcome = watching.wait(
        response_url=response_url,
        trigger_id=response.payload["trigger_id"],
        user_id=user_id,
        timeout=ANSWER_TIMEOUT,
    )
    if outcome is None:
        result.problems.append(f"no answer, modal or upload within {ANSWER_TIMEOUT} s")
    result.outcome = outcome or "none"
    result.answers = list(watching.answers.get(response_url, []))
    for answer in result.answers:
        shown = (answer.text or "") + "\n" + all_text(answer.blocks or [])
        if answer.response_type != "ephemeral":
            result.problems.append(
                f"answer is {answer.response_type}, not ephemeral: {shown[:200]}"
            )
        if TRACEBACK.search(shown):
            result.traceback = True
            result.problems.append(f"traceback in the answer: {shown[:400]}")
        if SOMETHING_WENT_WRONG in shown:
            result.problems.append("the bot failed on its side (something went wrong)")
        echoed = [token for token in _SLACK_MARKUP.findall(text) if token in shown]
        if echoed or _BROADCAST.search(shown):
            result.problems.append(
                f"the answer repeats Slack markup as markup ({echoed}): {shown[:200]}"
            )
    after = snapshot(bot.engine)
    closed = any((a.text or "").startswith(":white_check_mark: Closed") for a in result.answers)
    changed = sorted(name for name in after if after[name] != before[name])
    # A refusal changes nothing but the audit log, where it is recorded as refused.
    refused = changed == ["audit_events"] and any(
        (a.text or "").startswith(":x: Only this visit's managers") for a in result.answers
    )
    if after != before and not closed and not refused:
        result.problems.append(
            f"the database changed ({', '.join(changed)}) for {result.outcome!r}: "
            f"{[a.text for a in result.answers]}"
        )
    return result


# --- the tests ------------------------------------------------------------------------------------


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=command_texts())
def test_a_random_command_is_acked_in_time_answered_privately_and_changes_nothing_unless_valid(
    bot, text
):
    reopen_visit(bot.engine)
    result = send_command(bot, text)
    assert result.problems == [], repr(text[:300])


@pytest.mark.parametrize(
    "text",
    [
        "show <!channel>",
        "<!here>",
        "close <@U0FUZZ|someone>",
        "export <#C01VISITS|visits> csv",
        "show a`b`c",
        "settings *bold*",
        "show " + "x" * 5000,
        "\x00",
        "show\u00a0" + REFERENCE,
        "SHOW " + REFERENCE.upper(),
        "export " + REFERENCE + " ＣＳＶ",
        "letter please",
    ],
)
def test_odd_commands_people_could_type(bot, text):
    seed_visit(bot.engine)
    result = send_command(bot, text)
    assert result.problems == [] and result.outcome in ("answered", "modal"), result


def test_the_checks_see_a_valid_close_and_its_write(bot):
    seed_visit(bot.engine)
    result = send_command(bot, f"close {REFERENCE}", user_id=OFFICER)  # its creator, a manager
    assert result.problems == [] and result.outcome == "answered"
    assert [v.status for v in bot.visits()] == ["closed"]
    again = send_command(bot, f"CLOSE  {REFERENCE.upper()}", user_id=OFFICER)
    assert again.problems == [] and "already closed" in again.answers[0].text


def _damaged_letters() -> Iterator[tuple[str, bytes]]:
    for filename, data in damaged_documents(SEEDS["example"]):
        if document_outcome(data, filename) == "unreadable":
            yield filename, data


def share_damaged(bot: Bot, filename: str, data: bytes) -> CommandResult:
    """Share an unreadable file in the channel: acked in time, a private reason, no draft."""
    result = CommandResult(filename, outcome="answered")
    user_id = f"U_SHARE{next(_users):05d}"
    drafts = len(snapshot(bot.engine)["letter_drafts"])
    # The `message` event's answer: the stand-in also sends `file_shared`, which bot/manifest.yml
    # does not subscribe to (Slack never sends it; the bot has no listener).
    for response in bot.driver.share_file(
        content=data, filename=filename, user_id=user_id, channel_id=CHANNEL
    )[:1]:
        result.response = response
        if response.status >= 500:
            result.server_error = True
        if response.status != 200 or response.latency > ACK_DEADLINE:
            result.late = True
            result.problems.append(f"HTTP {response.status} after {response.latency:.2f} s")
    try:
        said = bot.slack.wait_for(
            lambda slack: next((e for e in slack.ephemerals if e.get("user") == user_id), None),
            timeout=ANSWER_TIMEOUT,
        )
    except TimeoutError:
        result.problems.append(f"no private answer within {ANSWER_TIMEOUT} s")
        return result
    shown = said.get("text", "") + "\n" + all_text(said.get("blocks", []))
    if TRACEBACK.search(shown):
        result.traceback = True
        result.problems.append(f"traceback in the answer: {shown[:400]}")
    if filename not in shown or not ("could not read" in shown or "not a readable" in shown):
        result.problems.append(f"the answer does not give the reason: {shown[:300]}")
    if len(snapshot(bot.engine)["letter_drafts"]) != drafts:
        result.problems.append("a letter draft was saved")
    return result


def test_a_damaged_pdf_or_docx_shared_in_a_channel_gets_a_private_reason_and_no_draft(bot, clock):
    clock.now = DAY_AFTER_LETTER
    shared = list(_damaged_letters())
    assert len(shared) >= 6
    for filename, data in shared:
        assert share_damaged(bot, filename, data).problems == [], filename
    assert snapshot(bot.engine)["letter_drafts"] == [] and bot.visits() == []
    # Nothing but the private reasons: no preview was posted in the channel.
    assert [m for m in bot.slack.messages(CHANNEL) if m.get("bot_id") or m.get("blocks")] == []


def _settings_modal(bot: Bot) -> dict[str, Any]:
    seed_visit(bot.engine)
    bot.command(f"settings {REFERENCE}")
    return bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == "visit_settings_modal"),
            None,
        )
    )


@pytest.mark.parametrize(
    ("reminder_time", "offsets", "field"),
    [
        ("09:00", "5,²", "reminder_offsets"),
        ("09:00", "¹", "reminder_offsets"),
        ("09:00", "①,0", "reminder_offsets"),
        ("09:00", "３,1", "reminder_offsets"),
        ("09:00", "٣", "reminder_offsets"),
        ("0９:00", "5,2", "reminder_time"),
        ("09:３0", "5", "reminder_time"),
        ("٠٩:٣٠", "5", "reminder_time"),
    ],
)
def test_settings_with_digits_other_than_0_to_9_get_a_field_error_and_change_nothing(
    bot, reminder_time, offsets, field
):
    modal = _settings_modal(bot)
    before = snapshot(bot.engine)
    response = bot.driver.view_submission(
        user_id=OFFICER,
        view=modal,
        values={
            "channel": {"channel": CHANNEL},
            "reminder_time": {"text": reminder_time},
            "reminder_offsets": {"text": offsets},
        },
    )
    assert response.status == 200, response.status
    ack = response.json()
    assert ack["response_action"] == "errors" and list(ack["errors"]) == [field]
    assert snapshot(bot.engine) == before


def test_settings_in_plain_digits_are_saved_tidied(bot):
    modal = _settings_modal(bot)
    response = bot.driver.view_submission(
        user_id=OFFICER,
        view=modal,
        values={
            "channel": {"channel": CHANNEL},
            "reminder_time": {"text": " 9:30 "},
            "reminder_offsets": {"text": " 1, 3 ,,03"},
        },
    )
    assert response.status == 200 and not (response.json() or {}).get("errors"), response.text
    bot.slack.wait_for(lambda slack: next((v for v in bot.visits() if v.reminder_time), None))
    (visit,) = bot.visits()
    assert (visit.reminder_time, visit.reminder_offsets) == ("09:30", "3,1")


_FORM_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(categories=["Nd", "No", "Nl", "Zs", "P", "S"]),
        st.sampled_from("0123456789:, "),
    ),
    max_size=16,
)


@settings(max_examples=300, deadline=None)
@given(reminder_time=_FORM_TEXT, offsets=_FORM_TEXT)
def test_any_settings_text_is_saved_as_plain_digits_or_refused_with_field_errors(
    reminder_time, offsets
):
    state = {
        "reminder_time": {"a": {"value": reminder_time}},
        "reminder_offsets": {"a": {"value": offsets}},
    }
    try:
        form = read_settings_form(state)
    except FormErrors as errors:
        assert set(errors.errors) <= {"reminder_time", "reminder_offsets"} and errors.errors
    else:
        assert re.fullmatch(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]", form.reminder_time)
        assert re.fullmatch(r"[0-9]+(?:,[0-9]+)*", form.reminder_offsets)
        assert all(int(n) <= 70 for n in form.reminder_offsets.split(","))


@settings(max_examples=300, deadline=None)
@given(
    local_authority=st.text(max_size=80),
    visit_type=st.one_of(
        st.none(), st.text(max_size=20), st.sampled_from(["focused_visit", "other", "jtai"])
    ),
    dates=st.dictionaries(
        st.sampled_from(
            [
                "letter_date",
                "visit_start",
                "visit_end",
                "due_complaint_deadline",
                "due_embargo_lift",
                "due_survey_deadline",
            ]
        ),
        st.one_of(
            st.none(),
            st.dates().map(date.isoformat),
            st.text(max_size=12),
            st.sampled_from(["2021-06-31", "2021-02-29", "2021-6-1", "0001-01-01"]),
        ),
    ),
)
def test_any_visit_form_is_read_or_refused_with_field_errors(local_authority, visit_type, dates):
    state = {
        "local_authority": {"a": {"value": local_authority}},
        "visit_type": {
            "a": {"selected_option": {"value": visit_type} if visit_type is not None else None}
        },
        **{block: {"a": {"selected_date": value}} for block, value in dates.items()},
    }
    try:
        form = read_visit_form(state)
    except FormErrors as errors:
        assert errors.errors and all(
            isinstance(message, str) and message for message in errors.errors.values()
        )
    else:
        assert form.local_authority.strip() and form.due_dates
