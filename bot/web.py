"""HTTP mode: Slack's requests at POST /slack/events and a health check, as a WSGI application
served by gunicorn (several workers, several threads each): never Bolt's one-request-at-a-time
development server."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.changes import on_daemon_thread
from storage.mail import last_read as mailboxes_last_read

logger = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def wsgi_application(*, app: App, engine: Engine) -> WSGIApp:
    """Bolt at /slack/events, and /healthz answering whether the database answers."""
    bolt = SlackRequestHandler(app, path=SLACK_PATH)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            return _health(engine, start_response)
        if not _timestamp_is_a_number(environ):
            return _unauthorized(start_response)
        return bolt(environ, start_response)

    return application


def _timestamp_is_a_number(environ: dict[str, Any]) -> bool:
    """Whether X-Slack-Request-Timestamp, when sent, is the number Slack's verifier reads.

    The SDK's verifier turns the header into an int unguarded, so `soon` or `1e9` raised out of
    Bolt as a 500 with a traceback in the log; such a request cannot be Slack's, and is answered
    401 like any other unsigned one. (A missing header Bolt already answers 401.)
    """
    stamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
    if stamp is None:
        return True
    try:
        int(stamp)
    except ValueError:
        return False
    return True


def _unauthorized(start_response: StartResponse) -> Iterable[bytes]:
    payload = json.dumps({"error": "invalid request"}).encode()  # what Bolt answers a bad signature
    start_response(
        "401 Unauthorized",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


# A health check that hangs is no answer: a database dropping packets (a partition, not a
# refusal) would hold the check, and a pooled connection's pre-ping, for minutes.
# The check runs on a daemon thread: a pool's threads are joined at exit, and one stuck on a
# dropped connection held a process (the test suite) for TCP's 15 minutes.
HEALTH_TIMEOUT_SECONDS = 2.0


def _database_answers(engine: Engine) -> dict[str, str | None]:
    """SELECT 1, then when each mailbox was last read (the `mailbox` process writes it)."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    with Session(engine) as session:
        read = mailboxes_last_read(session=session)
    return {name: moment.isoformat() if moment else None for name, moment in read.items()}


def _health(engine: Engine, start_response: StartResponse) -> Iterable[bytes]:
    body: dict[str, Any]
    try:
        check = on_daemon_thread(lambda: _database_answers(engine), name="healthz")
        mailboxes = check.result(timeout=HEALTH_TIMEOUT_SECONDS)
        status, body = "200 OK", {"ok": True, "database": "ok"}
        if mailboxes:  # when did the `mailbox` process last hear from each mailbox
            body["mailbox_last_read"] = mailboxes
    except Exception as error:
        logger.warning("health check: database unreachable: %s", error or type(error).__name__)
        status, body = "503 Service Unavailable", {"ok": False, "database": "unreachable"}
    payload = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]


def run_gunicorn(
    *,
    load: Callable[[], WSGIApp],
    port: int,
    host: str = "0.0.0.0",
    workers: int = 2,
    threads: int = 8,
) -> None:
    """Serve under gunicorn; `load` runs in each worker, so each has its own engine and client."""
    from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

    class OfstedBotServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 30)
            self.cfg.set("graceful_timeout", 20)
            self.cfg.set("accesslog", None)
            self.cfg.set("proc_name", "ofsted-bot-web")

        def load(self) -> WSGIApp:
            return load()

    OfstedBotServer().run()
