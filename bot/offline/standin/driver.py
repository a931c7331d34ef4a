"""SlackDriver: Slack's side of the requests Slack sends to the app's request URL.

It signs and POSTs slash commands, block actions, view submissions and Events API
callbacks to the bot's `POST /slack/events`, taking response_urls and trigger_ids from
the stand-in, and times how long the bot takes to acknowledge (Slack gives up at 3 s).
Then it does what Slack does with the acknowledgement: a slash command's ack text is
shown to the user, a view_submission's `response_action` closes or updates the modal.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from bot.offline.standin import payloads
from bot.offline.standin.signing import MAX_AGE, signed_headers
from bot.offline.standin.transport import InProcess, OverHTTP, Transport, WSGIApplication
from bot.offline.standin.webapi import SlackStandIn

ACK_DEADLINE = 3.0  # seconds Slack waits for the app's HTTP 200


@dataclass(frozen=True)
class Delivery:
    """How a request reaches the bot: correctly signed, or not, and Slack's retry headers."""

    signature: Literal["valid", "bad", "absent"] = "valid"
    stale: bool = False  # a timestamp older than the five minutes receivers accept
    retry_num: int | None = None
    retry_reason: str | None = None  # "http_timeout", "http_error", ...


@dataclass(frozen=True)
class BotResponse:
    """The bot's answer to one request, and what was sent to get it."""

    status: int
    body: bytes
    headers: dict[str, str]
    latency: float  # seconds from sending the request to reading the whole answer
    payload: dict[str, Any]  # what was sent, decoded (for a form, the fields)
    request_body: bytes = field(repr=False, default=b"")
    content_type: str = "application/json"

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else None

    @property
    def within_ack_deadline(self) -> bool:
        return self.latency <= ACK_DEADLINE


class SlackDriver:
    def __init__(
        self,
        bot: str | WSGIApplication | Transport,
        signing_secret: str,
        slack: SlackStandIn,
        *,
        timeout: float = 10.0,
        team_id: str | None = None,
    ) -> None:
        """`bot`: the bot's base URL or its full `/slack/events` endpoint (requests go over
        HTTP), or its WSGI application (handed the same signed requests in-process).
        `team_id`: the workspace the requests say they come from (default the stand-in's)."""
        if isinstance(bot, str):
            self.transport: Transport = OverHTTP(bot, timeout=timeout)
        elif isinstance(bot, Transport):
            self.transport = bot
        else:
            self.transport = InProcess(bot)
        self.signing_secret = signing_secret
        self.slack = slack
        self.team_id = team_id or slack.team_id

    @property
    def url(self) -> str:
        """Where requests go: the bot's HTTP endpoint, or `wsgi://in-process/slack/events`."""
        return self.transport.url

    def as_team(self, team_id: str) -> SlackDriver:
        """The same driver, sending requests from another workspace (an org-wide install, a
        shared channel): the bot must answer them from that workspace's data alone."""
        return SlackDriver(self.transport, self.signing_secret, self.slack, team_id=team_id)

    # -- the wire ------------------------------------------------------------------------

    def send(
        self,
        body: bytes,
        *,
        content_type: str,
        payload: dict[str, Any],
        delivery: Delivery = Delivery(),
    ) -> BotResponse:
        """POST `body` as Slack would, signed according to `delivery`."""
        stamp = int(time.time()) - (MAX_AGE + 60 if delivery.stale else 0)
        headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if delivery.signature != "absent":
            headers.update(
                signed_headers(signing_secret=self.signing_secret, body=body, timestamp=stamp)
            )
        if delivery.signature == "bad":
            headers["X-Slack-Signature"] = "v0=" + "0" * 64
        if delivery.retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(delivery.retry_num)
            headers["X-Slack-Retry-Reason"] = delivery.retry_reason or "http_timeout"
        started = time.perf_counter()
        reply = self.transport.post(body=body, headers=headers)
        latency = time.perf_counter() - started
        return BotResponse(
            status=reply.status,
            body=reply.body,
            headers=reply.headers,
            latency=latency,
            payload=payload,
            request_body=body,
            content_type=content_type,
        )

    def redeliver(
        self, response: BotResponse, *, retry_num: int = 1, reason: str = "http_timeout"
    ) -> BotResponse:
        """Send the same request again, freshly signed, as Slack's retries do."""
        return self.send(
            response.request_body,
            content_type=response.content_type,
            payload=response.payload,
            delivery=Delivery(retry_num=retry_num, retry_reason=reason),
        )

    def _form(self, fields: dict[str, str], delivery: Delivery) -> BotResponse:
        return self.send(
            urlencode(fields).encode(),
            content_type="application/x-www-form-urlencoded",
            payload=fields,
            delivery=delivery,
        )

    def _interaction(self, payload: dict[str, Any], delivery: Delivery) -> BotResponse:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.send(
            body,
            content_type="application/x-www-form-urlencoded",
            payload=payload,
            delivery=delivery,
        )

    def _json(self, payload: dict[str, Any], delivery: Delivery) -> BotResponse:
        return self.send(
            json.dumps(payload).encode(),
            content_type="application/json",
            payload=payload,
            delivery=delivery,
        )

    # -- who and where -------------------------------------------------------------------

    def _user(self, user_id: str) -> dict[str, str]:
        self.slack.ensure_user(user_id)
        name = (self.slack.user(user_id) or {}).get("name", user_id)
        return payloads.user(user_id=user_id, user_name=name, team_id=self.team_id)

    def _team(self) -> dict[str, str]:
        return payloads.team(team_id=self.team_id, team_domain=self.slack.team_domain)

    def _channel(self, channel_id: str) -> dict[str, str]:
        self.slack.ensure_channel(channel_id)
        channel = self.slack.channel(channel_id) or {}
        return {"id": channel_id, "name": channel.get("name") or "directmessage"}

    # -- what people do -----------------------------------------------------------------

    def slash_command(
        self,
        text: str,
        *,
        user_id: str,
        channel_id: str,
        command: str = "/ofsted",
        delivery: Delivery = Delivery(),
    ) -> BotResponse:
        user, channel = self._user(user_id), self._channel(channel_id)
        response_url = self.slack.new_response_url(channel_id=channel_id, user_id=user_id)
        fields = payloads.slash_command(
            text=text,
            command=command,
            user_id=user_id,
            user_name=user["name"],
            channel_id=channel_id,
            channel_name=channel["name"],
            team_id=self.team_id,
            team_domain=self.slack.team_domain,
            api_app_id=self.slack.app_id,
            response_url=response_url,
            trigger_id=self.slack.new_trigger_id(user_id=user_id),
        )
        response = self._form(fields, delivery)
        self._show_command_ack(response, response_url)
        return response

    def _show_command_ack(self, response: BotResponse, response_url: str) -> None:
        """A slash command's ack body is shown to the user (ephemeral unless in_channel)."""
        if response.status != 200 or not response.body.strip():
            return
        try:
            shown = response.json()
        except ValueError:
            shown = {"text": response.text}
        if isinstance(shown, dict) and (shown.get("text") or shown.get("blocks")):
            self.slack.deliver_response(response_url, shown, via="ack")

    def block_action(
        self,
        *,
        user_id: str,
        action_id: str,
        value: Any = None,
        block_id: str | None = None,
        message: dict[str, Any] | str | None = None,
        channel_id: str | None = None,
        view: dict[str, Any] | str | None = None,
        values: dict[str, dict[str, Any]] | None = None,
        container: dict[str, Any] | None = None,
        delivery: Delivery = Delivery(),
    ) -> BotResponse:
        """A click (or selection) on an element of a message or of a view.

        `message`: a message dict from the stand-in (from `messages()` or `ephemerals`),
        or its ts with `channel_id`; `view`: a view dict or id (an open modal or an App
        Home), whose inputs hold `values` (`{block_id: {action_id: value}}`). The element
        is found by `action_id` to shape the action as Slack does. As on Slack, a click on
        an ephemeral message carries no `message`, only its container.
        """
        if isinstance(message, str):
            message = self.slack.message(channel_id or "", message)
            if message is None:
                raise LookupError("no such message in the stand-in")
        ephemeral = message is not None and self._is_ephemeral(message)
        if ephemeral and message is not None:
            channel_id = channel_id or message.get("channel")
        view = self._view(view) if view is not None else None
        if view is not None and values is not None:
            view = {**view, "state": {"values": payloads.state_values(view, values)}}
        blocks = (message or view or {}).get("blocks", [])
        block_id, element = payloads.find_element(blocks, action_id=action_id, block_id=block_id)
        response_url = None
        if message is not None:
            response_url = self.slack.new_response_url(
                channel_id=channel_id, user_id=user_id, message_ts=message["ts"]
            )
            container = container or {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel_id,
                "is_ephemeral": ephemeral,
            }
        elif view is not None:
            container = container or {"type": "view", "view_id": view["id"]}
        payload = payloads.block_actions(
            user=self._user(user_id),
            team=self._team(),
            api_app_id=self.slack.app_id,
            trigger_id=self.slack.new_trigger_id(user_id=user_id),
            actions=[
                payloads.action(
                    element=element, action_id=action_id, block_id=block_id, value=value
                )
            ],
            container=container or {},
            channel=self._channel(channel_id) if channel_id else None,
            message=None if ephemeral else message,
            view=view,
            response_url=response_url,
        )
        return self._interaction(payload, delivery)

    def _is_ephemeral(self, message: dict[str, Any]) -> bool:
        return any(e["ts"] == message["ts"] for e in self.slack.ephemerals)

    def _view(self, view: dict[str, Any] | str) -> dict[str, Any]:
        if isinstance(view, dict):
            return view
        found = self.slack.views.get(view) or next(
            (v for v in self.slack.home_views.values() if v["id"] == view), None
        )
        if found is None:
            raise LookupError(f"no open view {view} in the stand-in")
        return found

    def view_submission(
        self,
        *,
        user_id: str,
        view: dict[str, Any] | str,
        values: dict[str, dict[str, Any]],
        delivery: Delivery = Delivery(),
    ) -> BotResponse:
        """Submit a modal with `values` as `{block_id: {action_id: value}}`.

        Then, as Slack does: keep it open on `response_action: errors`, close it otherwise
        (the bot answers no other response_action).
        """
        view = self._view(view)
        payload = payloads.view_submission(
            user=self._user(user_id),
            team=self._team(),
            api_app_id=self.slack.app_id,
            trigger_id=self.slack.new_trigger_id(user_id=user_id),
            view=view,
            values=payloads.state_values(view, values),
        )
        response = self._interaction(payload, delivery)
        if response.status == 200:
            self._follow_response_action(view["id"], response)
        return response

    def _follow_response_action(self, view_id: str, response: BotResponse) -> None:
        try:
            ack = response.json() or {}
        except ValueError:
            ack = {}
        if not (isinstance(ack, dict) and ack.get("response_action") == "errors"):
            self.slack.close_view(view_id)

    def view_closed(
        self,
        *,
        user_id: str,
        view: dict[str, Any] | str,
        is_cleared: bool = False,
        delivery: Delivery = Delivery(),
    ) -> BotResponse:
        """The user dismissed a modal (sent only for views with notify_on_close)."""
        view = self._view(view)
        self.slack.close_view(view["id"])
        payload = payloads.view_closed(
            user=self._user(user_id),
            team=self._team(),
            api_app_id=self.slack.app_id,
            view=view,
            is_cleared=is_cleared,
        )
        return self._interaction(payload, delivery)

    # -- the Events API ------------------------------------------------------------------

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, delivery: Delivery = Delivery()
    ) -> BotResponse:
        envelope = payloads.event_callback(
            event,
            team_id=self.team_id,
            api_app_id=self.slack.app_id,
            bot_user_id=self.slack.bot_user_id,
            event_id=event_id or "Ev" + secrets.token_hex(5).upper(),
            event_time=int(time.time()),
        )
        return self._json(envelope, delivery)

    def url_verification(
        self, *, challenge: str | None = None, delivery: Delivery = Delivery()
    ) -> BotResponse:
        payload = payloads.url_verification(challenge=challenge or secrets.token_urlsafe(24))
        return self._json(payload, delivery)

    def app_home_opened(self, *, user_id: str, delivery: Delivery = Delivery()) -> BotResponse:
        self.slack.ensure_user(user_id)
        event = payloads.app_home_opened_event(
            user_id=user_id,
            channel_id=self.slack.open_dm(user_id),
            view=self.slack.home_views.get(user_id),
        )
        return self.event(event, delivery=delivery)

    def member_joined_channel(self, *, user_id: str, channel_id: str) -> BotResponse:
        """Someone joins a channel: the stand-in's members change and the bot is told."""
        return self._membership(user_id=user_id, channel_id=channel_id, joined=True)

    def member_left_channel(self, *, user_id: str, channel_id: str) -> BotResponse:
        return self._membership(user_id=user_id, channel_id=channel_id, joined=False)

    def _membership(self, *, user_id: str, channel_id: str, joined: bool) -> BotResponse:
        self.slack.ensure_user(user_id)
        self.slack.ensure_channel(channel_id)
        self.slack.change_membership(channel_id, user_id, joined=joined)
        channel = self.slack.channel(channel_id) or {}
        event = payloads.member_channel_event(
            joined=joined, user_id=user_id, channel_id=channel_id,
            channel_type="G" if channel.get("is_private") else "C", team_id=self.team_id,
        )
        return self.event(event)

    def share_file(
        self,
        *,
        content: bytes,
        filename: str,
        user_id: str,
        channel_id: str,
        text: str = "",
        title: str | None = None,
    ) -> list[BotResponse]:
        """A person uploads a file into a conversation: Slack stores it, shows a message with
        it, and sends the app that `message` (subtype file_share). (Slack's `file_shared` event
        is not sent: the bot's manifest does not subscribe to it.)"""
        self.slack.ensure_user(user_id)
        if not channel_id.startswith("D"):
            self.slack.ensure_channel(channel_id)
        info = self.slack.add_file(content=content, filename=filename, user_id=user_id, title=title)
        message = self.slack.post_as_user(
            channel_id, user_id=user_id, text=text, file_ids=[info["id"]]
        )
        channel = self.slack.channel(message["channel"]) or {}
        channel_type = (
            "im" if channel.get("is_im") else "group" if channel.get("is_private") else "channel"
        )
        message_event = payloads.message_event(
            message, channel_id=message["channel"], channel_type=channel_type
        )
        return [self.event(message_event)]
