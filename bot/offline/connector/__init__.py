"""A Bot Connector stand-in: what Teams' side of the Bot Framework does, over real HTTP on loopback.

It is the service URL the bot answers to: it records every `POST /v3/conversations/{id}/activities`
(and the reply form, `…/activities/{activityId}`) and every `PUT …/activities/{activityId}`,
answers `GET /v3/conversations/{id}/members` and `…/pagedmembers` (paged, with a continuation
token) from the members it is given, and serves the files a test "attaches". It also plays
Teams towards the bot: `send` posts an activity to the bot's `/api/messages`, unauthenticated
or with a JWT signed by its own RSA key, whose JWKS it publishes at `/keys` (point the bot's
validator at it with `handlers.teams.auth.trust_token_issuer(issuer=…, jwks_url=…)`).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
import urllib3
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

_ACTIVITIES = re.compile(r"^/v3/conversations/([^/]+)/activities(?:/([^/]+))?$")
_MEMBERS = re.compile(r"^/v3/conversations/([^/]+)/(members|pagedmembers)$")
KEY_ID = "connector-stand-in"


@dataclass(frozen=True)
class Recorded:
    """One call the bot made to the connector."""

    method: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    authorization: str | None

    @property
    def text(self) -> str:
        return str(self.body.get("text") or "")

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for a in self.body.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]


@dataclass
class Member:
    id: str
    name: str
    aad_object_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        shown = {"id": self.id, "name": self.name}
        if self.aad_object_id:
            shown["aadObjectId"] = self.aad_object_id
        return shown


@dataclass
class ConnectorState:
    calls: list[Recorded] = field(default_factory=list)
    members: dict[str, list[Member]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    member_requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)


class ConnectorStandIn:
    """Start with `with ConnectorStandIn() as connector:`; `connector.url` is the service URL."""

    def __init__(
        self, *, page_size: int = 2, tenant_id: str = "tenant-1", app_id: str = "ofsted-bot-app"
    ) -> None:
        self.state = ConnectorState()
        self.page_size = page_size
        self.tenant_id = tenant_id
        self.app_id = app_id
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="connector-stand-in", daemon=True
        )
        self._http = urllib3.PoolManager(retries=False)

    # --- life -------------------------------------------------------------------------------

    def __enter__(self) -> ConnectorStandIn:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.clear()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    @property
    def issuer(self) -> str:
        return f"{self.url}issuer"

    @property
    def jwks_url(self) -> str:
        return f"{self.url}keys"

    # --- what the test sets up --------------------------------------------------------------

    def set_members(self, conversation_id: str, members: Iterable[Member]) -> None:
        with self.state.lock:
            self.state.members[conversation_id] = list(members)

    def add_file(self, name: str, content: bytes) -> str:
        """A file Teams would keep in SharePoint; its download URL."""
        key = f"{uuid.uuid4().hex}/{name}"
        with self.state.lock:
            self.state.files[key] = content
        return f"{self.url}files/{key}"

    # --- playing Teams ----------------------------------------------------------------------

    def token(self, *, audience: str | None = None, expires_in: int = 600, key: Any = None) -> str:
        """A JWT as the Bot Framework signs one for the bot, with this stand-in's key."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": audience or self.app_id,
            "serviceurl": self.url,
            "nbf": now - 5,
            "iat": now - 5,
            "exp": now + expires_in,
        }
        return jwt.encode(claims, key or self._key, algorithm="RS256", headers={"kid": KEY_ID})

    def send(
        self, bot_url: str, activity: dict[str, Any], *, token: str | None = None
    ) -> tuple[int, Any]:
        """POST an activity to the bot; (status, the JSON answer or None)."""
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self._http.request(
            "POST", bot_url, body=json.dumps(activity).encode(), headers=headers, timeout=60.0
        )
        body = response.data
        try:
            return response.status, json.loads(body) if body else None
        except ValueError:
            return response.status, body.decode("utf-8", "replace")

    def activity(
        self,
        *,
        text: str | None = None,
        user_id: str = "29:alice",
        user_name: str = "Alice",
        conversation_id: str = "a:personal-alice",
        conversation_type: str = "personal",
        tenant_id: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
        activity_type: str = "message",
        name: str | None = None,
        value: Any = None,
        reply_to_id: str | None = None,
    ) -> dict[str, Any]:
        """An activity as Teams sends it."""
        tenant = tenant_id or self.tenant_id
        activity: dict[str, Any] = {
            "type": activity_type,
            "id": uuid.uuid4().hex,
            "timestamp": "2026-06-01T09:00:00.000Z",
            "serviceUrl": self.url,
            "channelId": "msteams",
            "from": {"id": user_id, "name": user_name, "aadObjectId": f"aad-{user_id}"},
            "conversation": {
                "id": conversation_id,
                "conversationType": conversation_type,
                "tenantId": tenant,
            },
            "recipient": {"id": f"28:{self.app_id}", "name": "ofsted-bot"},
            "channelData": {"tenant": {"id": tenant}},
            "locale": "en-GB",
        }
        if text is not None:
            activity["text"] = text
        if attachments:
            activity["attachments"] = attachments
        if name:
            activity["name"] = name
        if value is not None:
            activity["value"] = value
        if reply_to_id:
            activity["replyToId"] = reply_to_id
        return activity

    # --- what the bot did -------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Recorded]:
        with self.state.lock:
            return [c for c in self.state.calls if method is None or c.method == method]

    def wait_for(self, count: int, *, seconds: float = 10.0) -> list[Recorded]:
        """The calls once there are `count` of them (the bot posts after it has answered)."""
        deadline = time.monotonic() + seconds
        with self.state.changed:
            while len(self.state.calls) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.state.changed.wait(left)
            return list(self.state.calls)

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**public, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}


def _handler(connector: ConnectorStandIn) -> type[BaseHTTPRequestHandler]:
    state = connector.state

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _record(self, method: str) -> None:
            path = urlsplit(self.path).path
            match = _ACTIVITIES.match(path)
            if not match:
                self._json(404, {"error": {"code": "NotFound", "message": path}})
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            activity_id = unquote(match.group(2)) if match.group(2) else None
            call = Recorded(
                method=method,
                conversation_id=unquote(match.group(1)),
                activity_id=activity_id,
                body=body,
                authorization=self.headers.get("Authorization"),
            )
            with state.changed:
                state.calls.append(call)
                state.changed.notify_all()
            self._json(
                200, {"id": activity_id if method == "PUT" and activity_id else uuid.uuid4().hex}
            )

        def do_POST(self) -> None:
            self._record("POST")

        def do_PUT(self) -> None:
            self._record("PUT")

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/keys":
                self._json(200, connector.jwks())
                return
            if parts.path.startswith("/files/"):
                with state.lock:
                    content = state.files.get(unquote(parts.path.removeprefix("/files/")))
                if content is None:
                    self._json(404, {"error": "no such file"})
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
                return
            match = _MEMBERS.match(parts.path)
            if not match:
                self._json(404, {"error": {"code": "NotFound", "message": parts.path}})
                return
            conversation_id = unquote(match.group(1))
            with state.lock:
                state.member_requests.append(conversation_id)
                members = [m.as_json() for m in state.members.get(conversation_id, [])]
            if match.group(2) == "members":
                self._json(200, members)
                return
            query = parse_qs(parts.query)
            size = int((query.get("pageSize") or [str(connector.page_size)])[0])
            size = min(size, connector.page_size)
            start = int((query.get("continuationToken") or ["0"])[0])
            page = members[start : start + size]
            answer: dict[str, Any] = {"members": page}
            if start + size < len(members):
                answer["continuationToken"] = str(start + size)
            self._json(200, answer)

    return Handler
