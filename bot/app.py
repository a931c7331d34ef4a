"""Assembling the bot: one function builds the Bolt app from settings and registers every listener."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy.engine import Engine

from bot.settings import Settings
from handlers import actions, commands, events, milestones, views
from handlers.context import HandlerContext, system_clock
from handlers.members import ChannelMembers
from handlers.poster import SlackPoster
from scheduler.dispatcher import Dispatcher
from scheduler.planning import ReminderDefaults
from storage.changes import ReadCache, change_watch_for

logger = logging.getLogger(__name__)

# Over HTTP, Bolt answers Slack from the request's own thread once the ack listener returns.
# With Bolt's default (False) the ack listener runs on the listener executor, the pool the lazy
# listeners share, and the request thread polls for the ack every 10 ms: each ack costs at
# least 10 ms, and under load it queues behind other requests' lazy work (past 3 s Bolt gives
# up and answers 404). Every listener here acks at once and leaves the work to lazy listeners,
# which Bolt runs on that executor in either mode, so there is nothing to wait for.
# Measured by benchmarks/requests.py.
HTTP_PROCESS_BEFORE_RESPONSE = True
# ... but then nothing holds the acks back when Slack sends more than the lazy listeners can
# answer: the work would queue without end (memory, long GC pauses that stall the acks too,
# answers minutes late, fewer of them done). So in that mode the lazy work of one process is
# bounded: Bolt's five threads, and at most LAZY_LIMIT requests' work running or waiting. A
# burst up to that is acked at once; beyond it a request's ack waits for room, so under
# sustained overload acks slow down to the pace of the answers.
LAZY_THREADS = 5
LAZY_LIMIT = 16

P = ParamSpec("P")
T = TypeVar("T")


class BoundedExecutor(Executor):
    """A thread pool holding at most `limit` tasks, running or waiting; `submit` waits for room."""

    def __init__(self, *, threads: int, limit: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bolt-lazy")
        self._room = threading.BoundedSemaphore(limit)

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        self._room.acquire()
        try:
            future = self._pool.submit(fn, *args, **kwargs)
        except BaseException:
            self._room.release()
            raise
        future.add_done_callback(lambda _: self._room.release())
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def web_client(settings: Settings) -> WebClient:
    """The Web API client, retrying what Slack asks to be retried (429 with Retry-After, 5xx)."""
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    return WebClient(
        token=settings.slack_bot_token,
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def posting_client(settings: Settings) -> WebClient:
    """The dispatcher's client retries only a 429, which Slack answers before posting anything.

    A 5xx or a dropped connection may come after the message was posted; the dispatcher then
    looks for the message in the channel before trying again, rather than the client re-sending.
    """
    client = web_client(settings)
    client.retry_handlers = [RateLimitErrorRetryHandler(max_retry_count=5)]
    return client


def reminder_defaults(settings: Settings) -> ReminderDefaults:
    return ReminderDefaults(
        reminder_time=settings.reminder_time,
        offsets=settings.reminder_offsets,
        escalate_after=settings.escalate_after,
    )


def build_app(
    *,
    settings: Settings,
    engine: Engine,
    clock: Callable[[], datetime] = system_clock,
    process_before_response: bool = HTTP_PROCESS_BEFORE_RESPONSE,
) -> App:
    """The Bolt app with every listener registered; nothing is started here.

    The default suits HTTP (gunicorn, the tests, the shell): acks from the request thread, lazy
    work bounded. Socket Mode passes False and keeps Bolt's defaults throughout.
    """
    app = App(
        # The client carries the bot token; Bolt takes it from there.
        signing_secret=settings.slack_signing_secret,
        client=web_client(settings),
        process_before_response=process_before_response,
        listener_executor=BoundedExecutor(threads=LAZY_THREADS, limit=LAZY_LIMIT)
        if process_before_response
        else None,
        # Socket Mode needs no signing secret: its requests arrive on our own connection.
        request_verification_enabled=settings.slack_signing_secret is not None,
        logger=logging.getLogger("bot.bolt"),
    )
    context = HandlerContext(
        engine=engine,
        bot_token=settings.slack_bot_token,
        file_origins=settings.file_origins,
        defaults=reminder_defaults(settings),
        clock=clock,
        # The list, and the timelines of the visits people are looking at, per day.
        answers=ReadCache(watch=change_watch_for(engine), size=256),
        admins=settings.ofsted_admins,
        members=ChannelMembers(),
    )
    for surface in (commands, actions, milestones, views, events):
        surface.register(app, context)

    @app.error
    def handle_unexpected_error(error: Exception, body: dict[str, Any]) -> None:
        # Only errors raised before the work is handed to a lazy listener arrive here: log them
        # with their traceback; Slack shows the user its own generic failure, never ours.
        logger.error("unhandled error on a %s request", body.get("type") or body.get("command"), exc_info=error)

    return app


def adopt_unowned_visits(*, settings: Settings, engine: Engine) -> int:
    """Give visits stored before visits had a workspace to the one this bot is installed in.

    Called once at start (serve, worker, shell): auth.test says which team the token belongs
    to. Without a token there is no workspace to ask about, and nothing is adopted.
    """
    from storage.db import session_scope
    from storage.repo import adopt_unowned_rows

    if not settings.slack_bot_token:
        return 0
    try:
        identity = web_client(settings).auth_test()
    except Exception:
        logger.exception("auth.test failed: visits stored before they had a workspace stay hidden until the next start")
        return 0
    with session_scope(engine) as session:
        return adopt_unowned_rows(
            session=session, team_id=str(identity["team_id"]), enterprise_id=identity.get("enterprise_id") or None
        )


def build_dispatcher(
    *, settings: Settings, engine: Engine, clock: Callable[[], datetime] = system_clock
) -> Dispatcher:
    """The reminder dispatcher, posting through its own Web API client."""
    defaults = reminder_defaults(settings)
    return Dispatcher(
        engine=engine,
        poster=SlackPoster(client=posting_client(settings), calendar=defaults.calendar),
        clock=clock,
        defaults=defaults,
        lease=timedelta(seconds=settings.dispatch_lease),
    )
