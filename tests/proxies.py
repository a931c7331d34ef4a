"""A database reached through a proxy the test can switch off: refused, or silently dropped."""

from __future__ import annotations

import socket
import threading
from contextlib import suppress

from sqlalchemy.engine import make_url


class SwitchableProxy:
    """A TCP proxy on loopback to PostgreSQL that the test can switch off and on.

    `refuse()`: every open connection is reset and new ones are reset as soon as they arrive,
    as when the database restarts or a firewall rejects. `drop()`: nothing is forwarded any more
    and nothing is answered, but connections stay open (packets dropped on the floor; what was
    sent is delivered when `restore()` heals the network, as TCP's retransmissions would).
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.state = "up"
        self._changed = threading.Condition()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)  # so that close() is not kept waiting by accept()
        self.port = self._listener.getsockname()[1]
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="db-proxy", daemon=True)
        self._closed = False
        self._thread.start()

    def refuse(self) -> None:
        self._switch("refused")
        with self._lock:
            for connection in list(self._connections):
                self._reset(connection)

    def drop(self) -> None:
        self._switch("dropped")

    def restore(self) -> None:
        self._switch("up")

    def close(self) -> None:
        self._closed = True
        self._switch("closed")
        with suppress(OSError):
            self._listener.close()
        with self._lock:
            for connection in list(self._connections):
                self._reset(connection)
        self._thread.join(timeout=5)

    def url(self, database_url: str) -> str:
        return (
            make_url(database_url)
            .set(host="127.0.0.1", port=self.port)
            .render_as_string(hide_password=False)
        )

    def _switch(self, state: str) -> None:
        with self._changed:
            self.state = state
            self._changed.notify_all()

    def _reset(self, connection: socket.socket) -> None:
        with suppress(OSError):
            connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
        # close() alone does not end a connection another thread is blocked reading (a pump):
        # the client on the other end was left waiting for TCP to give up, about 15 minutes.
        with suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
        with suppress(OSError):
            connection.close()
        self._connections.discard(connection)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            if self.state == "refused":
                self._reset(client)
                continue
            threading.Thread(target=self._open, args=(client,), daemon=True).start()

    def _wait_until_forwarding(self) -> bool:
        with self._changed:
            self._changed.wait_for(lambda: self.state != "dropped")
            return self.state == "up"

    def _open(self, client: socket.socket) -> None:
        if not self._wait_until_forwarding():
            self._reset(client)
            return
        try:
            server = socket.create_connection(self.target, timeout=5)
            server.settimeout(None)
        except OSError:
            self._reset(client)
            return
        with self._lock:
            if self.state == "refused":
                self._reset(client)
                server.close()
                return
            self._connections.update((client, server))
        for source, sink in ((client, server), (server, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if not self._wait_until_forwarding():
                    break
                sink.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._reset(source)
            self._reset(sink)
