"""A stand-in for the parts of Microsoft Graph (and of Entra ID's token endpoint) that the
mailbox calls, over real HTTPS on loopback with a certificate made for the test.

Entra ID: the tenant's OpenID configuration and the client-credentials token endpoint. Graph:
a user's mail folders (list by name, create), the inbox's messages delta query (paged, with a
delta link that returns only what changed since), a message, its MIME content ($value) and
move. Every Graph call must carry a token the token endpoint issued.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import json
import secrets
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.utils import parseaddr
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PAGE_SIZE = 2


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (certificate, key) files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "graph stand-in")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = folder / "graph-standin.pem", folder / "graph-standin.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_path, key_path


@dataclass
class StoredMessage:
    id: str
    folder: str
    raw: bytes
    received: dt.datetime


@dataclass
class GraphStandIn:
    tenant: str
    client_id: str
    client_secret: str
    mailbox: str
    folder: Path
    messages: dict[str, StoredMessage] = field(default_factory=dict)
    folders: dict[str, str] = field(default_factory=lambda: {"inbox": "Inbox"})
    # (sequence, message id, "added" to the inbox or "removed" from it)
    changes: list[tuple[int, str, str]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    unavailable: bool = False

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        self._sequence = itertools.count(1)
        self.ca_file, key_file = make_certificate(self.folder)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_file, key_file)
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                standin._answer(self, "GET")

            def do_POST(self) -> None:
                standin._answer(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    @property
    def graph_url(self) -> str:
        return f"{self.base_url}/v1.0"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- what a test does --------------------------------------------------------------------

    def deliver(self, raw: bytes) -> str:
        with self.lock:
            message_id = f"AAMk{next(self._ids):04d}{secrets.token_hex(4)}"
            self.messages[message_id] = StoredMessage(
                message_id, "inbox", raw, dt.datetime.now(dt.UTC)
            )
            self.changes.append((next(self._sequence), message_id, "added"))
            return message_id

    def in_folder(self, name: str) -> list[StoredMessage]:
        with self.lock:
            folder_ids = [fid for fid, display in self.folders.items() if display == name]
            return [m for m in self.messages.values() if m.folder in folder_ids]

    # -- the endpoints ------------------------------------------------------------------------

    def _answer(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        query = parse_qs(parts.query)
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        with self.lock:
            self.requests.append((method, request.path))
        path = unquote(parts.path)
        if path.startswith(f"/{self.tenant}/"):
            status, payload = self._entra(method, path, body)
        elif self.unavailable:
            status, payload = 503, {"error": {"code": "ServiceUnavailable", "message": "-"}}
        elif _bearer(request) not in self.tokens:
            status, payload = 401, {"error": {"code": "InvalidAuthenticationToken"}}
        else:
            with self.lock:
                status, payload = self._graph(method, path, query, body)
        if isinstance(payload, bytes):
            data, content_type = payload, "message/rfc822"
        else:
            data, content_type = json.dumps(payload).encode(), "application/json"
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def _entra(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        tenant_root = f"{self.base_url}/{self.tenant}"
        if method == "GET" and path.endswith("/.well-known/openid-configuration"):
            return 200, {
                "token_endpoint": f"{tenant_root}/oauth2/v2.0/token",
                "authorization_endpoint": f"{tenant_root}/oauth2/v2.0/authorize",
                "issuer": f"{tenant_root}/v2.0",
                "jwks_uri": f"{tenant_root}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "token"],
            }
        if method == "POST" and path == f"/{self.tenant}/oauth2/v2.0/token":
            form = parse_qs(body.decode())
            with self.lock:
                self.token_requests.append(form)
            if (
                form.get("grant_type") != ["client_credentials"]
                or form.get("client_id") != [self.client_id]
                or form.get("client_secret") != [self.client_secret]
            ):
                return 401, {"error": "invalid_client", "error_description": "AADSTS7000215"}
            token = secrets.token_urlsafe(24)
            with self.lock:
                self.tokens.add(token)
            return 200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token}
        return 404, {"error": "not_found"}

    def _graph(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[int, Any]:
        prefix = f"/v1.0/users/{self.mailbox}/"
        if not path.lower().startswith(prefix.lower()):
            return 404, {"error": {"code": "ErrorInvalidUser", "message": path}}
        rest = path[len(prefix) :]
        if rest == "mailFolders" and method == "GET":
            wanted = (query.get("$filter") or [""])[0]
            return 200, {
                "value": [
                    {"id": fid, "displayName": name}
                    for fid, name in self.folders.items()
                    if f"'{name}'" in wanted
                ]
            }
        if rest == "mailFolders" and method == "POST":
            fields = {key.lower(): value for key, value in json.loads(body).items()}
            name = fields["displayname"]
            folder_id = f"folder-{len(self.folders)}"
            self.folders[folder_id] = name
            return 201, {"id": folder_id, "displayName": name}
        if rest.lower() == "mailfolders/inbox/messages/delta()" or rest.lower() == (
            "mailfolders/inbox/messages/delta"
        ):
            return 200, self._delta(query)
        if rest.startswith("messages/"):
            message_id, _, action = rest[len("messages/") :].partition("/")
            message = self.messages.get(message_id)
            if message is None:
                return 404, {"error": {"code": "ErrorItemNotFound", "message": "gone"}}
            if action == "$value" and method == "GET":
                return 200, message.raw
            if action == "move" and method == "POST":
                # Graph reads property names without regard to case; the SDK sends DestinationId.
                fields = {key.lower(): value for key, value in json.loads(body).items()}
                destination = fields["destinationid"]
                if destination not in self.folders:
                    return 400, {"error": {"code": "ErrorInvalidIdMalformed", "message": "?"}}
                # As Graph does, a moved message gets a new id.
                del self.messages[message_id]
                moved = StoredMessage(
                    f"{message_id}-moved", destination, message.raw, message.received
                )
                self.messages[moved.id] = moved
                if message.folder == "inbox":
                    self.changes.append((next(self._sequence), message_id, "removed"))
                return 201, self._json(moved)
            if action == "" and method == "GET":
                return 200, self._json(message)
        return 404, {"error": {"code": "NotFound", "message": rest}}

    def _delta(self, query: dict[str, list[str]]) -> dict[str, Any]:
        since = int((query.get("$deltatoken") or ["0"])[0])
        skip = int((query.get("$skiptoken") or ["0"])[0])
        upto = int((query.get("upto") or [str(self.changes[-1][0] if self.changes else 0)])[0])
        changes = [c for c in self.changes if since < c[0] <= upto]
        if since == 0:  # the first sync: what came into the folder, not what left it
            changes = [c for c in changes if c[2] == "added"]
        page = changes[skip : skip + PAGE_SIZE]
        link = f"{self.graph_url}/users/{self.mailbox}/mailFolders/inbox/messages/delta()"
        answer: dict[str, Any] = {
            "value": [
                self._json(self.messages[mid]) if kind == "added" and mid in self.messages
                else {"id": mid, "@removed": {"reason": "deleted"}}
                for _, mid, kind in page
            ]
        }
        if skip + PAGE_SIZE < len(changes):
            answer["@odata.nextLink"] = (
                f"{link}?$deltatoken={since}&$skiptoken={skip + PAGE_SIZE}&upto={upto}"
            )
        else:
            answer["@odata.deltaLink"] = f"{link}?$deltatoken={upto}"
        return answer

    def _json(self, message: StoredMessage) -> dict[str, Any]:
        headers = message_from_bytes(message.raw, policy=policy.default)
        name, address = parseaddr(str(headers.get("From", "")))
        return {
            "id": message.id,
            "internetMessageId": str(headers.get("Message-ID", "")),
            "subject": str(headers.get("Subject", "")),
            "receivedDateTime": message.received.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "from": {"emailAddress": {"name": name, "address": address}},
        }


def _bearer(request: BaseHTTPRequestHandler) -> str:
    return request.headers.get("Authorization", "").removeprefix("Bearer ")
