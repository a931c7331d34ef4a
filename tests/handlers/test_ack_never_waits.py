"""Acks never wait on Slack: answers that need no Web API call are the ack itself, and when the
work queue is full the ack says "busy" at once and nothing is changed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bot.app import LAZY_LIMIT, WorkQueueFull, build_app
from bot.offline.standin import SlackDriver
from bot.settings import Settings
from bot.web import wsgi_application
from handlers.slack.errors import BUSY
from storage.models import Visit
from tests.handlers.conftest import ADMIN, CHANNEL, OFFICER, SIGNING_SECRET, Bot, all_text
from tests.handlers.test_list_answers import add_visit
from tests.handlers.test_milestone_buttons import post_reminders


@pytest.fixture
def bot_and_queue(slack, bot_engine, clock) -> Iterator[tuple[Bot, Any]]:
    settings = Settings(
        slack_bot_token=slack.token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        ofsted_admins=frozenset({ADMIN}),
    )
    app = build_app(settings=settings, engine=bot_engine, clock=clock)
    application = wsgi_application(app=app, engine=bot_engine)
    yield (
        Bot(SlackDriver(application, SIGNING_SECRET, slack), slack, bot_engine, clock, ""),
        app.work_queue,
    )


@contextmanager
def every_place_taken(queue: Any) -> Iterator[threading.Event]:
    """Every place in the work queue taken by work that waits until the test releases it."""
    release = threading.Event()
    held = []
    deadline = time.monotonic() + 30
    while len(held) < LAZY_LIMIT:
        try:
            held.append(queue.submit(release.wait, 60))
        except WorkQueueFull:  # an earlier request's work still finishing: its place comes back
            assert time.monotonic() < deadline, "the work queue never had room"
            time.sleep(0.01)
    try:
        yield release
    finally:
        release.set()
        for future in held:
            future.result(timeout=60)


@pytest.fixture
def full_queue(bot_and_queue) -> Iterator[threading.Event]:
    _, queue = bot_and_queue
    with every_place_taken(queue) as release:
        yield release


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


def test_with_the_work_queue_full_a_click_is_told_busy_and_changes_nothing(bot_and_queue, clock):
    bot, queue = bot_and_queue
    survey = next(iter(post_reminders(bot, clock).values()))
    audited = len(bot.audit())
    with every_place_taken(queue) as release:
        response = bot.driver.block_action(
            user_id=OFFICER, action_id="milestone_ack", message=survey, channel_id=CHANNEL
        )
        assert response.status == 200 and response.within_ack_deadline
        # Slack shows nothing of a click's ack: the person is told through the response_url.
        told = bot.slack.wait_for(
            lambda slack: next((r for r in slack.responses if r.text == BUSY), None)
        )
        assert told.response_type == "ephemeral"
        assert not release.is_set()
    bot.command("list")  # a later request, behind anything the queue ran meanwhile
    assert [m.status for m in bot.milestones()] == ["open", "open"]
    assert len(bot.audit()) == audited
    assert bot.slack.message(CHANNEL, survey["ts"])["blocks"] == survey["blocks"]


def test_with_the_work_queue_full_a_form_is_told_busy_over_itself_and_changes_nothing(
    bot_and_queue,
):
    bot, queue = bot_and_queue
    reference = add_visit(bot.engine, "Ashby")
    bot.command(f"settings {reference}")
    modal = bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == "visit_settings_modal"),
            None,
        )
    )
    audited = len(bot.audit())
    with every_place_taken(queue):
        answer = bot.driver.view_submission(
            user_id=ADMIN,
            view=modal,
            values={
                "channel": {"channel": CHANNEL},
                "reminder_time": {"text": "8:30"},
                "reminder_offsets": {"text": "10,5,0"},
            },
        )
        assert answer.within_ack_deadline
        # Pushed over the form: closing "Busy" gives the person their form back to send again.
        assert answer.json()["response_action"] == "push"
        assert BUSY in all_text(answer.json()["view"]["blocks"])
    bot.command("list")
    visit = bot.visits()[0]
    assert (visit.reminder_time, visit.reminder_offsets) == (None, None)
    assert len(bot.audit()) == audited


def test_with_the_work_queue_full_an_event_is_left_for_slack_to_send_again(bot_and_queue):
    bot, queue = bot_and_queue
    with every_place_taken(queue):
        refused = bot.driver.app_home_opened(user_id=OFFICER)
        # Not acknowledged: Slack retries an event that got no 2xx (at once, after 1 and 5
        # minutes), so the Home tab is drawn when there is room, not lost.
        assert refused.status == 503 and refused.within_ack_deadline
        assert OFFICER not in bot.slack.home_views
    retried = bot.driver.redeliver(refused, retry_num=1, reason="http_error")
    assert retried.status == 200
    bot.slack.wait_for(lambda slack: OFFICER in slack.home_views)
