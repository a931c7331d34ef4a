"""`ofsted-bot serve --teams --port N`, as the Procfile's `teams:` process runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from bot.offline.connector import ConnectorStandIn


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_teams_says_it_is_unauthenticated_and_answers_on_loopback(tmp_path: Path) -> None:
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"}
    for name in ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID"):
        environment.pop(name, None)
    server = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--teams", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=environment,
        text=True,
    )
    try:
        said = ""
        while server.stdout and "Teams endpoint" not in said:
            line = server.stdout.readline()
            assert line, "the endpoint ended before saying how it authenticates"
            said = line
        assert "NOT authenticated" in said and "loopback" in said
        with ConnectorStandIn() as connector:
            deadline = time.monotonic() + 30
            while True:
                try:
                    status, _ = connector.send(
                        f"http://127.0.0.1:{port}/api/messages", connector.activity(text="help")
                    )
                    break
                except Exception:
                    assert time.monotonic() < deadline, "the endpoint did not start"
                    time.sleep(0.2)
            assert status in (200, 202)
            [reply] = connector.wait_for(1)
            assert "`show <visit>`" in reply.text
    finally:
        server.terminate()
        server.wait(timeout=10)
