"""Shared files are fetched with the bot token from Slack's hosts only, within a size limit and
one deadline. A loopback server stands for any other host (it records who knocked, and with what
token); the stand-in is the Slack file host the bot is configured with."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.offline.standin import payloads
from handlers.core.errors import UserError
from handlers.slack.intake import download, file_origin
from tests.factories import pdf_from_text
from tests.handlers.conftest import CHANNEL, OFFICER, all_text

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "bot"
    / "examples"
    / "focused-visit-final-report-cover.txt"
).read_text()
TOKEN = "xoxb-the-bots-token"
MB = 1024 * 1024


@dataclass
class Loopback:
    """A server on 127.0.0.1 that answers each GET with `answer` and records the request."""

    answer: Callable[[BaseHTTPRequestHandler], None]
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    url: str = ""
    sent: int = 0
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def loopback() -> Iterator[Callable[[Callable[[BaseHTTPRequestHandler], None]], Loopback]]:
    started: list[tuple[ThreadingHTTPServer, Loopback]] = []

    def start(answer: Callable[[BaseHTTPRequestHandler], None]) -> Loopback:
        server_state = Loopback(answer)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server_state.requests.append((self.path, self.headers.get("Authorization")))
                # The client stopped reading: what a cut-off looks like from here.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server_state.answer(self)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        server_state.url = f"http://127.0.0.1:{server.server_address[1]}"
        started.append((server, server_state))
        return server_state

    yield start
    for server, state in started:
        state.release.set()
        server.shutdown()
        server.server_close()


def _send(handler: BaseHTTPRequestHandler, body: bytes, *, status: int = 200) -> None:
    handler.send_response(status)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _redirect(location: str) -> Callable[[BaseHTTPRequestHandler], None]:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        if handler.path == "/letter.pdf":
            handler.send_response(302)
            handler.send_header("Location", location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        else:
            _send(handler, b"the letter")

    return answer


# --- Through Slack: a signed message event whose file names somewhere else ---------------------


def _share_event(
    bot: Any, *, url: str | None = None, size: int | None = None, content: bytes = b"%PDF-1.4"
) -> None:
    """As SlackDriver.share_file, with the file object's URL or size changed on its way."""
    bot.slack.ensure_user(OFFICER)
    bot.slack.ensure_channel(CHANNEL)
    info = bot.slack.add_file(content=content, filename="letter.pdf", user_id=OFFICER)
    message = bot.slack.post_as_user(CHANNEL, user_id=OFFICER, file_ids=[info["id"]])
    event = payloads.message_event(message, channel_id=CHANNEL, channel_type="channel")
    for file in event["files"]:
        if url is not None:
            file["url_private"] = file["url_private_download"] = url
        if size is not None:
            file["size"] = size
    response = bot.driver.event(event)
    assert response.status == 200 and response.within_ack_deadline


def _ephemeral(bot: Any, said: str) -> dict[str, Any]:
    answer = bot.slack.wait_for(
        lambda slack: next((e for e in slack.ephemerals if said in e.get("text", "")), None),
        timeout=30,
    )
    assert answer["user"] == OFFICER and "Traceback" not in answer["text"]
    return answer


def test_a_file_on_another_host_is_not_fetched_and_the_token_stays_home(bot, loopback):
    elsewhere = loopback(lambda handler: _send(handler, pdf_from_text(EXAMPLE)))
    _share_event(bot, url=f"{elsewhere.url}/files-pri/T-F1/letter.pdf")
    _ephemeral(bot, "not on Slack's own file servers")
    assert elsewhere.requests == []
    assert not [m for m in bot.slack.messages(CHANNEL) if m.get("thread_ts")]


def test_a_file_url_is_not_opened(bot, tmp_path):
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(pdf_from_text(EXAMPLE))
    _share_event(bot, url=letter.as_uri())
    _ephemeral(bot, "not on Slack's own file servers")
    assert not [m for m in bot.slack.messages(CHANNEL) if m.get("thread_ts")]


def test_a_file_larger_than_slack_said_is_cut_off_at_the_limit(bot):
    # The stand-in serves 21 MB; the event says 1 KB, so only the streaming limit stops it.
    _share_event(bot, size=1000, content=b"%PDF-1.4\n" + b" " * (21 * MB))
    _ephemeral(bot, "more than 20 MB, too large to be a letter")


def test_a_file_on_slacks_host_is_still_read(bot):
    _share_event(bot, content=pdf_from_text(EXAMPLE))
    preview = bot.slack.wait_for(
        lambda slack: next(
            (m for m in slack.messages(CHANNEL) if "Letter read" in all_text(m.get("blocks", []))),
            None,
        ),
        timeout=30,
    )
    assert "Wednesday 6 May 2026" in all_text(preview["blocks"])


# --- The download itself, against loopback servers ----------------------------------------------


def test_a_redirect_within_the_slack_host_is_followed_with_the_token(loopback):
    slack = loopback(_redirect("/elsewhere/letter.pdf"))
    data = download(f"{slack.url}/letter.pdf", token=TOKEN, origins=(slack.url,))
    assert data == b"the letter"
    assert slack.requests == [
        ("/letter.pdf", f"Bearer {TOKEN}"),
        ("/elsewhere/letter.pdf", f"Bearer {TOKEN}"),
    ]


def test_a_redirect_to_another_host_is_not_followed(loopback):
    elsewhere = loopback(lambda handler: _send(handler, b"the letter"))
    slack = loopback(_redirect(f"{elsewhere.url}/letter.pdf"))
    with pytest.raises(UserError, match="not on Slack's own file servers"):
        download(f"{slack.url}/letter.pdf", token=TOKEN, origins=(slack.url,))
    assert elsewhere.requests == []
    assert slack.requests == [("/letter.pdf", f"Bearer {TOKEN}")]


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "ftp://127.0.0.1/letter.pdf", "http://files.slack.com/letter.pdf"],
    ids=["file", "ftp", "plain-http-to-slack"],
)
def test_a_redirect_to_another_scheme_is_not_followed(loopback, location):
    slack = loopback(_redirect(location))
    with pytest.raises(UserError, match="not on Slack's own file servers"):
        download(f"{slack.url}/letter.pdf", token=TOKEN, origins=(slack.url,))
    assert len(slack.requests) == 1


def test_an_endless_body_is_cut_off_at_the_limit(loopback):
    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()  # no length: the body runs until the connection closes
        chunk = b" " * 65536
        while not state.release.is_set():
            handler.wfile.write(chunk)
            state.sent += len(chunk)

    state = loopback(endless)
    with pytest.raises(UserError, match="more than 1 MB, too large to be a letter"):
        download(f"{state.url}/letter.pdf", token=TOKEN, origins=(state.url,), limit=1 * MB)
    # The bot stopped reading: the server's writes fail once the socket buffers are full.
    wrote = state.sent
    state.release.wait(0.5)
    assert state.sent < wrote + 16 * MB


def test_a_body_declared_too_large_is_not_read(loopback):
    def huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(50 * MB))
        handler.end_headers()
        state.release.wait(10)

    state = loopback(huge)
    began = time.monotonic()
    with pytest.raises(UserError, match="too large to be a letter"):
        download(f"{state.url}/letter.pdf", token=TOKEN, origins=(state.url,))
    assert time.monotonic() - began < 10  # refused on the header, not after waiting for a body


def test_a_stalled_server_meets_the_deadline(loopback):
    def stall(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        handler.wfile.write(b"%PDF-1.4\n")
        handler.wfile.flush()
        state.release.wait(60)

    state = loopback(stall)
    began = time.monotonic()
    with pytest.raises(UserError, match="Slack took more than 1 seconds"):
        download(f"{state.url}/letter.pdf", token=TOKEN, origins=(state.url,), seconds=1)
    assert time.monotonic() - began < 15


def test_a_server_that_drips_meets_the_same_deadline(loopback):
    """A byte every tenth of a second keeps each read alive; the one deadline still holds."""

    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()
        while not state.release.wait(0.1):
            handler.wfile.write(b" ")
            handler.wfile.flush()

    state = loopback(drip)
    began = time.monotonic()
    with pytest.raises(UserError, match="Slack took more than 1 seconds"):
        download(f"{state.url}/letter.pdf", token=TOKEN, origins=(state.url,), seconds=1)
    assert time.monotonic() - began < 15


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://files.slack.com/files-pri/T1-F1/letter.pdf", ("https", "files.slack.com", 443)),
        ("https://FILES.slack.com:443/x", ("https", "files.slack.com", 443)),
        ("http://127.0.0.1:8123/files-pri/x", ("http", "127.0.0.1", 8123)),
        ("http://localhost/x", ("http", "localhost", 80)),
        ("http://files.slack.com/x", None),
        ("file:///etc/passwd", None),
        ("ftp://files.slack.com/x", None),
        ("https://user@files.slack.com/x", None),
        ("https://files.slack.com:99999/x", None),
        ("letter.pdf", None),
    ],
    ids=[
        "slack",
        "case-and-port",
        "loopback-http",
        "localhost",
        "plain-http",
        "file",
        "ftp",
        "userinfo",
        "bad-port",
        "relative",
    ],
)
def test_where_the_token_may_go(url, origin):
    assert file_origin(url) == origin


def test_the_settings_allow_slacks_file_host_and_the_api_host():
    from bot.settings import Settings

    assert Settings().file_origins == ("https://files.slack.com", "https://slack.com")
    assert (
        Settings(slack_api_url="http://127.0.0.1:8123/api/").file_origins[1]
        == "http://127.0.0.1:8123"
    )


def test_the_letter_command_does_not_fetch_an_attachment_from_another_host(bot, loopback):
    elsewhere = loopback(lambda handler: _send(handler, pdf_from_text(EXAMPLE)))
    bot.command("letter")
    modal = bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == "letter_modal"), None
        )
    )
    info = dict(
        bot.slack.add_file(content=pdf_from_text(EXAMPLE), filename="letter.pdf", user_id=OFFICER)
    )
    info["url_private"] = info["url_private_download"] = f"{elsewhere.url}/letter.pdf"
    bot.driver.view_submission(
        user_id=OFFICER,
        view=modal,
        values={"letter_file": {"file": {"type": "file_input", "files": [info]}}},
    )
    answer = bot.slack.wait_for(
        lambda slack: next(
            (
                m
                for m in slack.messages(OFFICER)
                if "not on Slack's own file servers" in m.get("text", "")
            ),
            None,
        ),
        timeout=30,
    )
    assert "Traceback" not in answer["text"]
    assert elsewhere.requests == [] and bot.visits() == []
