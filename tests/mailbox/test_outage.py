"""A mailbox that stops answering: retried with back-off, reported once, read again when back;
and /healthz says when the mailbox was last read."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from sqlmodel import Session, select

from storage.mail import MailboxState
from tests.handlers.conftest import CHANNEL
from tests.mailbox.conftest import letter_mail, previews
from tests.proxies import SwitchableProxy


def _notices(slack, words):
    return [m for m in slack.messages(CHANNEL) if words in m.get("text", "")]


def _last_read(engine):
    with Session(engine) as session:
        return [state.last_read_at for state in session.exec(select(MailboxState))]


def test_an_outage_is_reported_once_and_mail_is_read_when_the_mailbox_answers_again(
    slack, folders, watch, bot_engine, caplog
):
    proxy = SwitchableProxy((folders.server.host, folders.server.port))
    try:
        url = f"imap://{folders.server.user}@127.0.0.1:{proxy.port}/{folders.inbox}"
        watch(mailbox_url=url, mailbox_interval=0.3)
        slack.wait_for(lambda _: any(_last_read(bot_engine)), timeout=30)

        proxy.refuse()  # the server goes away: the open connection is reset, new ones refused
        folders.deliver(letter_mail(subject="Sent during the outage"))
        slack.wait_for(lambda s: _notices(s, "is not answering"), timeout=30)
        time.sleep(4)  # attempts at 1, 2, 4 s of back-off
        attempts = [r for r in caplog.records if "trying again in" in r.getMessage()]
        assert len(attempts) >= 3
        assert len(_notices(slack, "is not answering")) == 1
        assert previews(slack) == []

        proxy.restore()
        preview = slack.wait_for(lambda s: next(iter(previews(s)), None), timeout=30)
        assert "Sent during the outage" in json.dumps(preview["blocks"])
        slack.wait_for(lambda s: _notices(s, "answers again"), timeout=10)
        assert len(_notices(slack, "is not answering")) == 1
        assert len(_notices(slack, "answers again")) == 1
    finally:
        proxy.close()


@pytest.mark.over_http  # /healthz is read over the wire, as a load balancer does
def test_healthz_says_when_the_mailbox_was_last_read(bot, folders, watch):
    watch()
    bot.slack.wait_for(lambda _: any(_last_read(bot.engine)), timeout=30)
    with urllib.request.urlopen(f"{bot.url}/healthz", timeout=10) as response:
        health = json.loads(response.read())
    assert health["ok"] is True
    [(name, last_read)] = health["mailbox_last_read"].items()
    assert name.endswith(f"/{folders.inbox}") and "ofsted" in name and "password" not in name
    assert last_read is not None and last_read.startswith(time.strftime("%Y-", time.gmtime()))
