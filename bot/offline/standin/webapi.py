"""SlackStandIn: Slack's Web API on loopback, for the offline shell, tests and benchmarks.

    with SlackStandIn() as slack:
        client = WebClient(token=slack.token, base_url=slack.api_url)
        client.chat_postMessage(channel="C01VISITS", text="hello")
        assert slack.messages("C01VISITS")[-1]["text"] == "hello"

It answers what slack_sdk sends as Slack would (auth, required arguments, Block Kit
limits, trigger and response_url lifetimes), records every call, and misbehaves on
request (fail_next, rate_limit_next, delay_next, a per-channel post rate).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Self, TypeVar

from bot.offline.standin import directory, endpoints
from bot.offline.standin.endpoints import Core
from bot.offline.standin.faults import ChannelRateLimiter, Fault
from bot.offline.standin.methods.files import store_file
from bot.offline.standin.records import RecordedCall, RecordedResponse, ResponseUrl, Upload
from bot.offline.standin.server import Answer, StandInHTTPServer, serve
from bot.offline.standin.workspace import Workspace

DEFAULT_TOKEN = "xoxb-standin"
TRIGGER_TTL = 3.0  # seconds, as Slack's trigger_ids
RESPONSE_URL_TTL = 30 * 60.0  # Slack's response_urls work for 30 minutes, 5 times

T = TypeVar("T")


class SlackStandIn:
    """A fake Slack workspace behind a real HTTP server on 127.0.0.1."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_tokens: Iterable[str] = (DEFAULT_TOKEN,),
        users: Mapping[str, str] | None = None,
        channels: Mapping[str, str] | None = None,
        team_id: str = "T0STANDIN",
        team_domain: str = "ofsted-standin",
        app_id: str = "A0STANDIN",
        bot_id: str = "B0STANDIN",
        bot_user_id: str = "U0STANDINBOT",
        trigger_ttl: float = TRIGGER_TTL,
        post_rate_per_channel: float | None = None,
        post_burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`users` and `channels` map ids to real names and channel names (defaults in
        bot.offline.standin.directory). `post_rate_per_channel` (posts a second, bursts of
        `post_burst`) makes chat.postMessage answer 429 with Retry-After beyond Slack's
        documented pace. `clock` (monotonic seconds) drives trigger and response_url
        expiry and that rate limit, so tests can move time by hand (ManualClock)."""
        self._host, self._port = host, port
        self.tokens = tuple(bot_tokens)
        self.trigger_ttl = trigger_ttl
        workspace = Workspace(
            team_id=team_id,
            team_domain=team_domain,
            app_id=app_id,
            bot_id=bot_id,
            bot_user_id=bot_user_id,
            clock=clock,
        )
        workspace.add_user(bot_user_id, real_name="ofsted-bot", name="ofsted-bot", is_bot=True)
        for user_id, real_name in (directory.DEFAULT_USERS if users is None else users).items():
            workspace.add_user(user_id, real_name=real_name)
        for channel_id, name in (
            directory.DEFAULT_CHANNELS if channels is None else channels
        ).items():
            workspace.add_channel(channel_id, name=name)
        limiter = (
            ChannelRateLimiter(rate=post_rate_per_channel, burst=post_burst, clock=clock)
            if post_rate_per_channel
            else None
        )
        self._core = Core(workspace=workspace, tokens=frozenset(self.tokens), limiter=limiter)
        self._server: StandInHTTPServer | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is None:
            self._server, self._thread = serve(self, host=self._host, port=self._port)
            self._core.workspace.base_url = f"http://{self._host}:{self._server.server_address[1]}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def base_url(self) -> str:
        if not self.running:
            raise RuntimeError("start the stand-in first")
        return self._core.workspace.base_url

    @property
    def api_url(self) -> str:
        """For `WebClient(base_url=...)` and SLACK_API_URL."""
        return f"{self.base_url}/api/"

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[-1])

    @property
    def token(self) -> str:
        return self.tokens[0]

    @property
    def team_id(self) -> str:
        return self._core.workspace.team_id

    @property
    def team_domain(self) -> str:
        return self._core.workspace.team_domain

    @property
    def app_id(self) -> str:
        return self._core.workspace.app_id

    @property
    def bot_user_id(self) -> str:
        return self._core.workspace.bot_user_id

    # -- the server's backend ----------------------------------------------------------

    def answer_api(self, **request: Any) -> Answer:
        return endpoints.answer_api(self._core, **request)

    def answer_upload(self, **request: Any) -> Answer:
        return endpoints.answer_upload(self._core, **request)

    def answer_download(self, **request: Any) -> Answer:
        return endpoints.answer_download(self._core, **request)

    def answer_response_url(self, **request: Any) -> Answer:
        return endpoints.answer_response_url(self._core, **request)

    # -- records (copies, safe to keep and mutate) ----------------------------------------

    def _read(self, read: Callable[[Workspace], T]) -> T:
        with self._core.lock:
            return copy.deepcopy(read(self._core.workspace))

    @property
    def calls(self) -> list[RecordedCall]:
        with self._core.lock:
            return list(self._core.calls)

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.method == method]

    def held_calls_to(self, method: str) -> int:
        """How many calls to `method` a delay (`delay_next`) has held before they took effect."""
        with self._core.lock:
            return self._core.held.count(method)

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """A conversation's messages oldest first, thread replies included, metadata kept.
        `channel` may be a user id, meaning the app's DM with that person."""

        def read(ws: Workspace) -> list[dict[str, Any]]:
            channel_id = ws.dm_by_user.get(channel, channel)
            return ws.history.get(channel_id, [])

        return self._read(read)

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        return next((m for m in self.messages(channel) if m["ts"] == ts), None)

    def dm_channel(self, user_id: str) -> str | None:
        return self._read(lambda ws: ws.dm_by_user.get(user_id))

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        """chat.postEphemeral messages and ephemeral responses, each with channel and user."""
        return self._read(lambda ws: ws.ephemerals)

    @property
    def responses(self) -> list[RecordedResponse]:
        return self._read(lambda ws: ws.responses)

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """Open modals by view id."""
        return self._read(lambda ws: ws.views)

    @property
    def home_views(self) -> dict[str, dict[str, Any]]:
        """Published App Home views by user id."""
        return self._read(lambda ws: ws.home_views)

    @property
    def uploads(self) -> list[Upload]:
        return self._read(lambda ws: ws.uploads)

    def user(self, user_id: str) -> dict[str, Any] | None:
        return self._read(lambda ws: ws.users.get(user_id))

    def channel(self, channel_id: str) -> dict[str, Any] | None:
        return self._read(lambda ws: ws.channels.get(channel_id))

    def reset(self) -> None:
        """Forget calls, content, views, uploads and faults; keep people and channels."""
        with self._core.lock:
            ws = self._core.workspace
            self._core.calls.clear()
            self._core.faults.clear()
            if self._core.limiter:
                self._core.limiter.reset()
            for channel_id in ws.history:
                ws.history[channel_id] = []
            for collection in (
                ws.ephemerals,
                ws.views,
                ws.home_views,
                ws.files,
                ws.pending_uploads,
                ws.uploads,
                ws.triggers,
                ws.response_urls,
                ws.responses,
            ):
                collection.clear()

    def wait_for(
        self,
        predicate: Callable[[SlackStandIn], T | None],
        *,
        timeout: float = 5.0,
        interval: float = 0.01,
    ) -> T:
        """Poll until `predicate(slack)` is truthy and return it; TimeoutError otherwise.
        The bot answers Slack first and calls the Web API after, so tests wait."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate(self)
            if result:
                return result
            if time.monotonic() >= deadline:
                raise TimeoutError(f"stand-in: condition not met within {timeout} s")
            time.sleep(interval)

    def add_listener(self, listener: Callable[[RecordedCall | RecordedResponse], None]) -> None:
        """Call `listener` with each RecordedCall and RecordedResponse as it is recorded,
        on the server's thread and outside its lock (the shell prints as the bot speaks)."""
        with self._core.lock:
            self._core.listeners.append(listener)

    # -- fault injection ---------------------------------------------------------------

    def fail_next(
        self, method: str, *, status: int = 500, times: int = 1, effect_applied: bool = False
    ) -> None:
        """The next `times` calls of `method` ("*": any) answer HTTP `status`.
        With `effect_applied` the call takes effect first (a message is posted) and the
        app still sees the failure, as when Slack posts and the answer is lost."""
        with self._core.lock:
            self._core.faults.add(
                Fault(method=method, times=times, status=status, effect_applied=effect_applied)
            )

    def rate_limit_next(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """HTTP 429, `Retry-After: retry_after` and `{"ok": false, "error": "ratelimited"}`."""
        with self._core.lock:
            self._core.faults.add(
                Fault(method=method, times=times, status=429, retry_after=retry_after)
            )

    def delay_next(
        self, method: str, *, seconds: float, times: int = 1, after_effect: bool = False
    ) -> None:
        """Answer the next calls late, as a slow Slack would. With `after_effect` the call
        takes effect at once (the message is posted and recorded) and only the answer is
        late: the window in which a crashed client has posted but not heard back."""
        with self._core.lock:
            self._core.faults.add(
                Fault(method=method, times=times, delay=seconds, delay_after_effect=after_effect)
            )

    # -- interactivity -----------------------------------------------------------------

    def new_trigger_id(self, *, user_id: str | None = None, ttl: float | None = None) -> str:
        """A trigger_id good for one views.open within `trigger_ttl` seconds."""
        with self._core.lock:
            return self._core.workspace.new_trigger(
                user_id=user_id, ttl=self.trigger_ttl if ttl is None else ttl
            )

    def new_response_url(
        self,
        *,
        channel_id: str | None = None,
        user_id: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """A response_url; `message_ts` is the original that replace/delete_original act on."""
        with self._core.lock:
            ws = self._core.workspace
            key = ws.ids.trigger_id().replace(".", "")
            ws.response_urls[key] = ResponseUrl(
                channel_id=channel_id,
                user_id=user_id,
                message_ts=message_ts,
                expires_at=ws.clock() + RESPONSE_URL_TTL,
            )
            return f"{self.base_url}/response/{key}"

    def deliver_response(
        self, response_url: str, payload: dict[str, Any], *, via: str = "ack"
    ) -> Answer:
        """Show `payload` as Slack shows an answer to `response_url` (see endpoints)."""
        return endpoints.deliver_response(
            self._core, key=response_url.rstrip("/").rsplit("/", 1)[-1], payload=payload, via=via
        )

    def open_dm(self, user_id: str) -> str:
        """The app's DM channel with a person (the App Home's Messages tab)."""
        with self._core.lock:
            return self._core.workspace.open_dm(user_id)[0]

    def close_view(self, view_id: str) -> None:
        """The user closed a modal, or a view_submission was acknowledged."""
        with self._core.lock:
            self._core.workspace.views.pop(view_id, None)

    # -- what people do in Slack --------------------------------------------------------

    def add_user(self, user_id: str, *, real_name: str, **profile: Any) -> dict[str, Any]:
        """Profile keys: name, email, tz, is_admin, is_bot."""
        with self._core.lock:
            return copy.deepcopy(
                self._core.workspace.add_user(user_id, real_name=real_name, **profile)
            )

    def add_channel(
        self, channel_id: str, *, name: str, is_private: bool = False
    ) -> dict[str, Any]:
        with self._core.lock:
            return copy.deepcopy(
                self._core.workspace.add_channel(channel_id, name=name, is_private=is_private)
            )

    def set_members(self, channel_id: str, user_ids: Iterable[str]) -> None:
        """Make exactly these people (and the bot) the channel's members; until this is called
        a channel's members are everyone in the workspace. Slack tells the app of joins and
        leaves by events: SlackDriver.member_joined_channel / member_left_channel send them."""
        with self._core.lock:
            self._core.workspace.set_members(channel_id, list(user_ids))

    def change_membership(self, channel_id: str, user_id: str, *, joined: bool) -> None:
        with self._core.lock:
            self._core.workspace.change_membership(channel_id, user_id, joined=joined)

    def channel_members(self, channel_id: str) -> list[str]:
        with self._core.lock:
            ws = self._core.workspace
            return ws.channel_members(ws.resolve_channel(channel_id))

    def ensure_user(self, user_id: str) -> None:
        with self._core.lock:
            if user_id not in self._core.workspace.users:
                self._core.workspace.add_user(user_id, real_name=f"User {user_id}")

    def ensure_channel(self, channel_id: str) -> None:
        with self._core.lock:
            ws = self._core.workspace
            if channel_id not in ws.channels:
                ws.add_channel(
                    channel_id,
                    name=f"channel-{channel_id.lower()}",
                    is_private=channel_id.startswith("G"),
                )

    def add_file(
        self,
        *,
        content: bytes,
        filename: str,
        user_id: str,
        title: str | None = None,
        mimetype: str | None = None,
    ) -> dict[str, Any]:
        """A file a person uploaded (say, an Ofsted letter); returns its files.info object."""
        if not self.running:
            raise RuntimeError("start the stand-in first: file URLs need its address")
        with self._core.lock:
            return copy.deepcopy(
                store_file(
                    self._core.workspace,
                    content=content,
                    filename=filename,
                    title=title,
                    user_id=user_id,
                    mimetype=mimetype,
                )
            )

    def post_as_user(
        self,
        channel: str,
        *,
        user_id: str,
        text: str = "",
        file_ids: Iterable[str] = (),
        thread_ts: str | None = None,
    ) -> dict[str, Any]:
        """A person's message in a conversation, with files shared as Slack shows them."""
        with self._core.lock:
            ws = self._core.workspace
            channel_id = ws.resolve_channel(channel)
            files = [copy.deepcopy(ws.files[file_id].info) for file_id in file_ids]
            message: dict[str, Any] = {"user": user_id, "text": text, "team": ws.team_id}
            if files:
                message.update(subtype="file_share", upload=True, display_as_bot=False, files=files)
            if thread_ts:
                message["thread_ts"] = thread_ts
            posted = ws.append_message(channel_id, message)
            return copy.deepcopy({**posted, "channel": channel_id})
