"""The Teams endpoint on loopback, on an event loop of its own in a thread: for the tests, the
offline shell and the benchmarks, which drive it from ordinary (synchronous) code."""

from __future__ import annotations

import asyncio
import threading

from aiohttp import web


class Served:
    """An aiohttp application on 127.0.0.1 at a free port; `close` stops it and its loop."""

    def __init__(self, app: web.Application, *, path: str = "/api/messages") -> None:
        self.path = path
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(app)
        self.thread = threading.Thread(target=self.loop.run_forever, name="teams-bot", daemon=True)
        self.thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=30)

    async def _start(self) -> int:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        return int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
