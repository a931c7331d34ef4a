"""HTTP plumbing: a threaded loopback server that hands each request to the stand-in.

Routes, as the stand-in's URLs are laid out:
  POST|GET /api/<method>                    Web API (answer_api)
  POST     /upload/v1/<key>                 upload URLs from files.getUploadURLExternal
  GET      /files-pri/<team>-<file>/...     url_private / url_private_download
  POST     /response/<key>                  response_urls
Answers close the connection (HTTP/1.0), so stopping never waits on idle keep-alives.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

logger = logging.getLogger("bot.offline.standin")


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: Any, *, headers: dict[str, str] | None = None) -> Answer:
        return cls(status, json.dumps(data).encode(), headers=headers or {})

    @classmethod
    def text(cls, status: int, text: str) -> Answer:
        return cls(status, text.encode(), content_type="text/plain; charset=utf-8")


class Backend(Protocol):
    def answer_api(
        self,
        *,
        method: str,
        content_type: str | None,
        body: bytes,
        query: str,
        authorization: str | None,
    ) -> Answer: ...

    def answer_upload(self, *, key: str, content_type: str | None, body: bytes) -> Answer: ...

    def answer_download(self, *, path: str, authorization: str | None) -> Answer: ...

    def answer_response_url(self, *, key: str, content_type: str | None, body: bytes) -> Answer: ...


class StandInHTTPServer(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the threads still answering
    request_queue_size = 128  # dozens of concurrent clients must not be refused
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], backend: Backend) -> None:
        super().__init__(address, _Handler)
        self.backend = backend


class _Handler(BaseHTTPRequestHandler):
    server: StandInHTTPServer
    timeout = 30  # a client that sends half a body does not hold stop() forever
    server_version = "SlackStandIn/1.0"

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def _route(self) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        body = self._body()
        backend = self.server.backend
        content_type = self.headers.get("Content-Type")
        authorization = self.headers.get("Authorization")
        try:
            if path.startswith("/api/"):
                answer = backend.answer_api(
                    method=path[len("/api/") :],
                    content_type=content_type,
                    body=body,
                    query=url.query,
                    authorization=authorization,
                )
            elif path.startswith("/upload/v1/") and self.command == "POST":
                answer = backend.answer_upload(
                    key=path.rsplit("/", 1)[-1], content_type=content_type, body=body
                )
            elif path.startswith("/files-pri/"):
                answer = backend.answer_download(path=path, authorization=authorization)
            elif path.startswith("/response/") and self.command == "POST":
                answer = backend.answer_response_url(
                    key=path.rsplit("/", 1)[-1], content_type=content_type, body=body
                )
            else:
                answer = Answer.text(404, "Not Found")
        except Exception:  # the stand-in's own bug: answer like Slack's 500, keep the trace
            logger.exception("stand-in failed on %s %s", self.command, self.path)
            answer = Answer.json(500, {"ok": False, "error": "fatal_error"})
        self._send(answer)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)


def serve(backend: Backend, *, host: str, port: int) -> tuple[StandInHTTPServer, threading.Thread]:
    server = StandInHTTPServer((host, port), backend)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.01},
        name=f"slack-standin-{server.server_address[1]}",
        daemon=True,
    )
    thread.start()
    return server, thread
