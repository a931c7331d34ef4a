"""Acks never wait on Slack: answers that need no Web API call are the ack itself, and when the
work queue is full the ack says "busy" at once and nothing is changed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bot.app import LAZY_LIMIT, build_app
from bot.offline.standin import SlackDriver
from bot.offline.standin.boltserver import serve_wsgi
from bot.settings import Settings
from bot.web import wsgi_application
from handlers.slack.errors import BUSY
from storage.models import Visit
from tests.handlers.conftest import ADMIN, OFFICER, SIGNING_SECRET, Bot, all_text
from tests.handlers.test_list_answers import add_visit


@pytest.fixture
def bot_and_queue(slack, bot_engine, clock) -> Iterator[tuple[Bot, Any]]:
    settings = Settings(
        slack_bot_token=slack.token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        ofsted_admins=frozenset({ADMIN}),
    )
    app = build_app(settings=settings, engine=bot_engine, clock=clock)
    with serve_wsgi(wsgi_application(app=app, engine=bot_engine)) as url:
        yield (
            Bot(SlackDriver(url, SIGNING_SECRET, slack), slack, bot_engine, clock, url),
            app.work_queue,
        )


@pytest.fixture
def full_queue(bot_and_queue) -> Iterator[threading.Event]:
    """Every place in the work queue taken by work that waits until the test releases it."""
    _, queue = bot_and_queue
    release = threading.Event()
    held = [queue.submit(release.wait, 60) for _ in range(LAZY_LIMIT)]
    yield release
    release.set()
    for future in held:
        future.result(timeout=60)


def test_help_is_the_acks_own_answer_and_calls_nothing(bot):
    response, before = bot.command("help")
    ack = bot.slack.responses[before]
    assert ack.via == "ack" and ack.response_type == "ephemeral"
    assert "/ofsted letter" in all_text(ack.blocks)
    assert response.json()["text"] == "What ofsted-bot can do"
    # The stand-in records every answer sent to a response_url: help sent none.
    assert [r for r in bot.slack.responses[before:] if r.via == "response_url"] == []


def test_a_usage_error_is_the_acks_own_answer(bot):
    _, before = bot.command("frobnicate")
    ack = bot.slack.responses[before]
    assert ack.via == "ack" and ack.response_type == "ephemeral"
    assert "I don't know `/ofsted frobnicate`" in ack.text
    assert len(bot.slack.responses) == before + 1


def test_with_the_work_queue_full_a_command_is_told_busy_at_once_and_changes_nothing(
    bot_and_queue, full_queue
):
    bot, _ = bot_and_queue
    reference = add_visit(bot.engine, "Ashby")
    audited = len(bot.audit())
    response, before = bot.command(f"close {reference}")
    # Answered while every place is still held: the ack did not wait for room.
    assert not full_queue.is_set()
    assert response.json() == {"response_type": "ephemeral", "text": BUSY}
    assert bot.slack.responses[before].via == "ack" and bot.slack.responses[before].text == BUSY
    full_queue.set()
    # Nothing was queued to run later: the visit stays open and the audit log is unchanged.
    bot.command("list")  # a later request, which waits behind anything the pool ran meanwhile
    visits: list[Visit] = bot.visits()
    assert [v.closed_at for v in visits] == [None]
    assert len(bot.audit()) == audited


def test_with_the_work_queue_full_help_list_and_show_are_still_answered(bot_and_queue, full_queue):
    bot, _ = bot_and_queue
    reference = add_visit(bot.engine, "Ashby")
    for text, expected in (
        ("help", "/ofsted letter"),
        ("list", reference),
        (f"show {reference}", reference),
    ):
        _, before = bot.command(text)
        answer = bot.next_response(before, timeout=30)
        assert expected in all_text(answer.blocks or []) + (answer.text or "")
        assert answer.text != BUSY
    assert not full_queue.is_set()


def test_a_place_reserved_and_not_used_is_given_back(bot_and_queue):
    bot, _ = bot_and_queue
    # A click no listener takes reserves a place and starts no work: more of them than the
    # queue holds never leave a command after them busy.
    for _ in range(LAZY_LIMIT + 2):
        bot.driver.block_action(user_id=OFFICER, action_id="no_listener_takes_this")
    response, before = bot.command("close nowhere-9999")
    assert (response.json() or {}).get("text") != BUSY
    assert "I have no visit called" in bot.next_response(before, timeout=30).text
