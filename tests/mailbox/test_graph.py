"""A Microsoft 365 mailbox through Microsoft Graph, against a stand-in of the endpoints the
mailbox calls (tests/mailbox/graph_standin.py), over real HTTPS on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.mailbox import build_watcher
from bot.settings import Settings
from tests.handlers.conftest import CHANNEL, SIGNING_SECRET, all_text
from tests.mailbox.conftest import (
    DAY_AFTER_THE_LETTERS,
    letter_mail,
    mail_posts,
    mail_rows,
    previews,
    running_from,
)
from tests.mailbox.graph_standin import GraphStandIn

ADDRESS = "letters@saxonford.example.gov.uk"


@pytest.fixture
def graph(tmp_path) -> Iterator[GraphStandIn]:
    standin = GraphStandIn(
        tenant="11111111-2222-3333-4444-555555555555", client_id="app-id-for-tests",
        client_secret="app-secret-for-tests", mailbox=ADDRESS, folder=tmp_path,
    )
    yield standin
    standin.close()


@pytest.fixture
def graph_watch(slack, graph, bot_engine) -> Iterator[Any]:
    started: list[tuple[threading.Event, threading.Thread]] = []

    def start() -> tuple[threading.Event, threading.Thread]:
        settings = Settings(
            slack_bot_token=slack.token, slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.api_url, database_url=str(bot_engine.url),
            mailbox_url=f"graph://{ADDRESS}", mailbox_channel=CHANNEL, mailbox_interval=0.3,
            microsoft_app_id=graph.client_id, microsoft_app_tenant_id=graph.tenant,
            microsoft_app_password=graph.client_secret, microsoft_graph_url=graph.graph_url,
            microsoft_login_url=graph.base_url, mailbox_ca_file=str(graph.ca_file),
        )
        watcher = build_watcher(settings, bot_engine, clock=running_from(DAY_AFTER_THE_LETTERS))
        stop = threading.Event()
        thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
        thread.start()
        started.append((stop, thread))
        return stop, thread

    yield start
    for stop, thread in started:
        stop.set()
        thread.join(timeout=30)


def _delta_reads(graph: GraphStandIn) -> list[str]:
    return [path for method, path in graph.requests if "/messages/delta" in path]


def test_a_letter_in_a_microsoft_365_mailbox_is_previewed_and_moved(
    slack, graph, graph_watch, bot_engine
):
    graph.deliver(letter_mail(subject="Saxonford: final report").as_bytes())
    graph.deliver(letter_mail(sender="someone@example.com", subject="Not Ofsted").as_bytes())
    graph_watch()
    preview = slack.wait_for(lambda s: next(iter(previews(s)), None), timeout=30)
    shown = all_text(preview["blocks"])
    assert "From *protectionofchildren@ofsted.gov.uk*" in shown
    assert "Saxonford: final report" in shown and "Wednesday 6 May 2026" in shown
    slack.wait_for(lambda _: len(graph.in_folder("Processed")) == 1, timeout=10)
    # The sender not allowed is left in the inbox, and never previewed.
    assert [m.folder for m in graph.in_folder("Inbox")] == ["inbox"]
    assert len(mail_posts(slack)) == 1
    # Signed in with the client-credentials flow, the secret, for Graph's scope.
    form = graph.token_requests[0]
    assert form["grant_type"] == ["client_credentials"]
    assert form["scope"] == [f"{graph.base_url}/.default"]

    # Later reads ask only for what changed since (the delta link), never the folder again.
    time.sleep(1)
    graph.deliver(letter_mail(subject="A second letter", attachments=()).as_bytes())
    slack.wait_for(lambda s: len(mail_posts(s)) == 2, timeout=30)
    reads = _delta_reads(graph)
    assert len(reads) >= 3
    assert "$deltatoken" not in reads[0]
    assert all("deltatoken" in read for read in reads[1:])

    def settled(_):
        rows = mail_rows(bot_engine)
        finished = len(rows) == 3 and all(row.status != "claimed" for row in rows)
        return sorted(row.outcome for row in rows) if finished else None

    assert slack.wait_for(settled, timeout=10) == ["ignored", "previewed", "refused"]


def test_the_delta_link_is_kept_across_a_restart(slack, graph, graph_watch, bot_engine):
    for number in range(3):  # more than one page of the delta
        graph.deliver(letter_mail(subject=f"Letter {number}", attachments=()).as_bytes())
    stop, thread = graph_watch()
    slack.wait_for(lambda s: len(mail_posts(s)) == 3, timeout=30)
    stop.set()
    thread.join(timeout=30)
    graph.requests.clear()

    graph.deliver(letter_mail(subject="While the bot was down").as_bytes())
    graph_watch()
    slack.wait_for(lambda s: len(previews(s)) == 1, timeout=30)
    time.sleep(1)
    assert len(mail_posts(slack)) == 4
    assert all("deltatoken" in read for read in _delta_reads(graph))


def test_graph_not_answering_is_reported_once(slack, graph, graph_watch):
    graph.unavailable = True
    graph_watch()
    slack.wait_for(
        lambda s: any("is not answering" in m.get("text", "") for m in s.messages(CHANNEL)),
        timeout=30,
    )
    time.sleep(3.5)
    notices = [m for m in slack.messages(CHANNEL) if "is not answering" in m.get("text", "")]
    assert len(notices) == 1
    assert "HTTP 503" in notices[0]["text"]
    graph.unavailable = False
    slack.wait_for(
        lambda s: any("answers again" in m.get("text", "") for m in s.messages(CHANNEL)),
        timeout=30,
    )
