"""How the driver's signed requests reach the bot: over HTTP, or handed to its WSGI app in-process.

In-process leaves out only the socket. The request is the same signed bytes with the same
headers, the environ is the one a WSGI server builds for it (PEP 3333, via wsgiref), and the
bot's own code answers it: its WSGI app, Bolt's adapter, Bolt's signature check. Tests use it
where a real socket adds nothing and keep a few over HTTP (and gunicorn) to cover the wire.
"""

from __future__ import annotations

import http.client
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit
from wsgiref.util import setup_testing_defaults

SLACK_PATH = "/slack/events"

StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApplication = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


@runtime_checkable
class Transport(Protocol):
    url: str

    def post(self, *, body: bytes, headers: Mapping[str, str]) -> Reply: ...


class OverHTTP:
    """A real POST to the bot's request URL, one connection per request."""

    def __init__(self, url: str, *, timeout: float) -> None:
        """`url`: the bot's base URL or its full `/slack/events` endpoint."""
        if urlsplit(url).path in ("", "/"):
            url = url.rstrip("/") + SLACK_PATH
        self.url = url
        self.timeout = timeout

    def post(self, *, body: bytes, headers: Mapping[str, str]) -> Reply:
        parts = urlsplit(self.url)
        connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port or 80, timeout=self.timeout
        )
        try:
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            connection.request("POST", target, body=body, headers=dict(headers))
            answer = connection.getresponse()
            return Reply(answer.status, dict(answer.getheaders()), answer.read())
        finally:
            connection.close()


class InProcess:
    """The request handed to a WSGI callable on the caller's thread, as a server would."""

    def __init__(self, application: WSGIApplication, *, path: str = SLACK_PATH) -> None:
        self.application = application
        self.url = f"wsgi://in-process{path}"
        self.path = path

    def post(self, *, body: bytes, headers: Mapping[str, str]) -> Reply:
        environ = self._environ(body, headers)
        status: list[str] = []
        response_headers: list[tuple[str, str]] = []
        written: list[bytes] = []

        def start_response(
            status_line: str, headers_sent: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            if exc_info is not None:
                raise exc_info[1].with_traceback(exc_info[2])
            status[:] = [status_line]
            response_headers[:] = headers_sent
            return written.append

        result = self.application(environ, start_response)
        try:
            written.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return Reply(int(status[0].split(" ", 1)[0]), dict(response_headers), b"".join(written))

    def _environ(self, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": self.path,
            "QUERY_STRING": "",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ[key] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        setup_testing_defaults(environ)  # SERVER_NAME, wsgi.version, wsgi.errors and the rest
        return environ
