"""A request whose X-Slack-Request-Timestamp is not a number is refused 401, like any unsigned one:
no 500, no traceback in the log, nothing done."""

from __future__ import annotations

import http.client
import logging
from urllib.parse import urlencode, urlsplit

import pytest

from tests.handlers.conftest import CHANNEL, OFFICER

COMMAND = urlencode(
    {"command": "/ofsted", "text": "list", "user_id": OFFICER, "channel_id": CHANNEL}
).encode()


def _post(url: str, *, timestamp: str) -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port or 80, timeout=10
    )
    try:
        connection.request(
            "POST",
            "/slack/events",
            body=COMMAND,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": "v0=" + "0" * 64,
            },
        )
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


@pytest.mark.parametrize("timestamp", ["soon", "", "1e9", "12.5", "0x10", "12 34"], ids=repr)
def test_a_timestamp_that_is_not_a_number_gets_401_and_no_traceback(bot, caplog, timestamp):
    with caplog.at_level(logging.WARNING):
        status, body = _post(bot.url, timestamp=timestamp)

    assert status == 401, body
    assert b"Traceback" not in body
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
    assert bot.slack.responses == []
    assert [
        call.method for call in bot.slack.calls if call.method != "auth.test"
    ] == []  # Bolt asks on start


def test_a_numeric_timestamp_with_a_bad_signature_still_gets_401(bot):
    status, _ = _post(bot.url, timestamp="1700000000")

    assert status == 401
