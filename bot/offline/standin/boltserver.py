"""Serve a Bolt App over real HTTP on loopback, for tests that drive it with SlackDriver.

Bolt's WSGI adapter behind the stdlib's wsgiref, threaded so that the bot can answer
several of Slack's requests at once; no web framework needed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

logger = logging.getLogger("bot.offline.standin")


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = False
    request_queue_size = 128
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(format, *args)


@contextmanager
def serve_wsgi(application: Any, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Yield the base URL while a WSGI application answers there; stop and join on exit."""
    server = make_server(
        host, port, application, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="bot-http", daemon=True
    )
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def serve_bolt(
    app: App, *, host: str = "127.0.0.1", port: int = 0, path: str = "/slack/events"
) -> Iterator[str]:
    """Yield the URL of `path` while `app` answers there; stop and join on exit."""
    with serve_wsgi(SlackRequestHandler(app, path=path), host=host, port=port) as base_url:
        yield base_url + path
