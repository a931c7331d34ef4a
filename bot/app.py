"""Assembling the bot: one function builds the Bolt app from settings and registers every
listener."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy.engine import Engine

from bot.settings import Settings
from handlers.slack import actions, changes, commands, events, milestones, views
from handlers.slack import mailbox as mail_previews
from handlers.slack.context import HandlerContext, system_clock
from handlers.slack.errors import BUSY
from handlers.slack.members import ChannelMembers
from handlers.slack.poster import SlackPoster
from handlers.slack.signoffs import SignOffChaser
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
# burst up to that is acked at once; beyond it the ack says at once that the bot is busy and
# nothing is done with the request (see `make_room_or_answer_busy`): an ack never waits.
LAZY_THREADS = 5
LAZY_LIMIT = 16

P = ParamSpec("P")
T = TypeVar("T")


class WorkQueueFull(RuntimeError):
    """Work handed to a full BoundedExecutor without a reserved place."""


class BoundedExecutor(Executor):
    """A thread pool holding at most `limit` tasks, running or waiting; `submit` never waits.

    A request thread reserves a place before it acks (`reserve`); the work its listener then
    hands over on the same thread takes that place. Work with no place reserved takes a free
    one or is refused (`WorkQueueFull`); places reserved and not used are given back when the
    request is done (`release_unused`).
    """

    def __init__(self, *, threads: int, limit: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bolt-lazy")
        self._room = threading.BoundedSemaphore(limit)
        self._reserved = threading.local()

    def reserve(self) -> bool:
        """Hold a place for this thread's next task; False, at once, when there is none."""
        if not self._room.acquire(blocking=False):
            return False
        self._reserved.count = getattr(self._reserved, "count", 0) + 1
        return True

    def release_unused(self) -> None:
        for _ in range(getattr(self._reserved, "count", 0)):
            self._room.release()
        self._reserved.count = 0

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        reserved = getattr(self._reserved, "count", 0)
        if reserved:
            self._reserved.count = reserved - 1
        elif not self._room.acquire(blocking=False):
            raise WorkQueueFull(f"{getattr(fn, '__name__', fn)}: no room for more work")
        try:
            future = self._pool.submit(fn, *args, **kwargs)
        except BaseException:
            self._room.release()
            raise
        future.add_done_callback(lambda _: self._room.release())
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


class RoomReservingApp(App):
    """The Bolt app that gives back, when a request is done, a place in the work queue that it
    reserved and did not use (its listener started no work, or none matched)."""

    def __init__(self, *, work_queue: BoundedExecutor | None, **kwargs: Any) -> None:
        super().__init__(listener_executor=work_queue, **kwargs)
        self.work_queue = work_queue

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        try:
            return super().dispatch(req)
        finally:
            if self.work_queue is not None:
                self.work_queue.release_unused()


def busy_answer(body: dict[str, Any], respond: Respond) -> BoltResponse:
    """The ack that says "busy", in the shape each kind of request can show."""
    if body.get("command"):
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": BUSY})
    if body.get("type") == "view_submission":
        # Pushed over the form, so that closing it gives the person their form back as it was.
        view = {
            "type": "modal",
            "title": {"type": "plain_text", "text": "Busy"},
            "close": {"type": "plain_text", "text": "Back"},
            "blocks": [{"type": "section", "text": {"type": "plain_text", "text": BUSY}}],
        }
        return BoltResponse(status=200, body={"response_action": "push", "view": view})
    if body.get("type") == "block_actions":
        # Slack shows nothing of a click's ack: the answer goes to the response_url, from a
        # thread of its own so that it never holds the ack.
        # Bounded too, and dropped when full: under overload with Slack unreachable, one thread
        # per busy click would pile up.
        if body.get("response_url"):
            with contextlib.suppress(WorkQueueFull):
                BUSY_ANSWERS.submit(_say_busy, respond)
        return BoltResponse(status=200, body="")
    # An event: not acknowledged, so Slack sends it again later.
    return BoltResponse(status=503, body="")


BUSY_ANSWERS = BoundedExecutor(threads=2, limit=32)


def _say_busy(respond: Respond) -> None:
    try:
        respond(text=BUSY, response_type="ephemeral", replace_original=False)
    except Exception:
        logger.exception("could not tell a person that the bot is busy")


def make_room_or_answer_busy(work_queue: BoundedExecutor) -> Callable[..., BoltResponse | None]:
    # Where acks stop waiting for room. Bolt hands a lazy listener to the executor on the
    # request's own thread right after the ack (ThreadLazyListenerRunner.start), when the ack
    # is already made: too late to say "busy". So this middleware, which runs after the
    # signature check and before any listener, reserves the place first; with none free, the
    # ack is "busy" and no listener runs, so nothing changes. Answers that start no work
    # (help, usage errors, list, show) need no place and are always given.
    def reserve_room(
        body: dict[str, Any], respond: Respond, next: Callable[[], None]
    ) -> BoltResponse | None:
        if body.get("command") == "/ofsted" and commands.answered_in_ack(body):
            next()
            return None
        if work_queue.reserve():
            next()
            return None
        logger.warning(
            "the work queue is full: a %s request was answered busy",
            body.get("type") or body.get("command"),
        )
        return busy_answer(body, respond)

    return reserve_room


def web_client(settings: Settings) -> WebClient:
    """The Web API client, retrying what Slack asks to be retried (429 with Retry-After, 5xx)."""
    base_url = (
        settings.slack_api_url
        if settings.slack_api_url.endswith("/")
        else settings.slack_api_url + "/"
    )
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
    work_queue = (
        BoundedExecutor(threads=LAZY_THREADS, limit=LAZY_LIMIT) if process_before_response else None
    )
    app = RoomReservingApp(
        # The client carries the bot token; Bolt takes it from there.
        signing_secret=settings.slack_signing_secret,
        client=web_client(settings),
        process_before_response=process_before_response,
        work_queue=work_queue,
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
    if work_queue is not None:
        app.middleware(make_room_or_answer_busy(work_queue))
    # changes before milestones: its listener takes only its own options of the shared menu.
    for surface in (commands, actions, changes, milestones, views, events, mail_previews):
        surface.register(app, context)

    @app.error
    def handle_unexpected_error(error: Exception, body: dict[str, Any]) -> None:
        # Only errors raised before the work is handed to a lazy listener arrive here: log them
        # with their traceback; Slack shows the user its own generic failure, never ours.
        logger.error(
            "unhandled error on a %s request",
            body.get("type") or body.get("command"),
            exc_info=error,
        )

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
        logger.exception(
            "auth.test failed: visits stored before they had a workspace stay hidden until the "
            "next start"
        )
        return 0
    with session_scope(engine) as session:
        return adopt_unowned_rows(
            session=session,
            team_id=str(identity["team_id"]),
            enterprise_id=identity.get("enterprise_id") or None,
        )


def build_dispatcher(
    *, settings: Settings, engine: Engine, clock: Callable[[], datetime] = system_clock
) -> Dispatcher:
    """The reminder dispatcher: Slack visits' reminders through its own Web API client, Teams'
    through the Bot Connector (one database may hold both)."""
    from bot.teams import teams_poster, teams_side_passes

    defaults = reminder_defaults(settings)
    client = posting_client(settings)
    slack = SlackPoster(client=client, calendar=defaults.calendar)
    poster = teams_poster(settings=settings, engine=engine, slack=slack)
    dispatcher = Dispatcher(
        engine=engine,
        poster=poster,
        clock=clock,
        defaults=defaults,
        lease=timedelta(seconds=settings.dispatch_lease),
    )
    dispatcher.side_passes.append(
        SignOffChaser(engine=engine, client=client, calendar=defaults.calendar)
    )
    dispatcher.side_passes.extend(teams_side_passes(poster=poster, engine=engine))
    return dispatcher
