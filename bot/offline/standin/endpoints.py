"""What the stand-in answers on each of its URLs, given the parsed HTTP request.

The order of checks on /api/ follows Slack: injected faults, authentication,
JSON-string arguments, required arguments, the per-channel rate limit, then the method.
Every answer is recorded as a RecordedCall.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from bot.offline.standin.arguments import Args, decode_json_arguments, media_type, parse_request
from bot.offline.standin.content import message_content
from bot.offline.standin.errors import SlackError
from bot.offline.standin.faults import ChannelRateLimiter, Failure, FaultPlan
from bot.offline.standin.methods import METHODS
from bot.offline.standin.methods.chat import bot_message
from bot.offline.standin.methods.files import receive_upload
from bot.offline.standin.records import RecordedCall, RecordedResponse
from bot.offline.standin.required import check_required
from bot.offline.standin.server import Answer
from bot.offline.standin.workspace import Workspace

logger = logging.getLogger("bot.offline.standin")


@dataclass
class Core:
    """Everything the endpoints share; `lock` guards all of it."""

    workspace: Workspace
    tokens: frozenset[str]
    faults: FaultPlan = field(default_factory=FaultPlan)
    limiter: ChannelRateLimiter | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    calls: list[RecordedCall] = field(default_factory=list)
    # Calls held by a delay before they take effect: a call is recorded only once answered, so
    # a test that stops a client inside a slow call waits for it here.
    held: list[str] = field(default_factory=list)
    listeners: list[Callable[[RecordedCall | RecordedResponse], None]] = field(default_factory=list)


def bearer_token(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[len("bearer ") :].strip() or None
    return None


def answer_api(
    core: Core,
    *,
    method: str,
    content_type: str | None,
    body: bytes,
    query: str,
    authorization: str | None,
) -> Answer:
    at = time.time()
    try:
        parsed = parse_request(content_type=content_type, body=body, query=query)
    except SlackError as error:
        answer, call = _record(core, method, {}, at, Answer.json(200, error.body()), error.error)
    else:
        raw = dict(parsed.args)
        body_token = raw.pop("token", None)
        # Slack ignores a token inside a JSON body: JSON callers must use the header.
        token = bearer_token(authorization) or (None if parsed.is_json else body_token)
        answer, call = _answer_with_faults(core, method, raw, token, at)
    notify(core, call)
    return answer


def _answer_with_faults(
    core: Core, method: str, raw: dict[str, Any], token: str | None, at: float
) -> tuple[Answer, RecordedCall]:
    with core.lock:
        delay, after_effect = core.faults.delay_for(method)
    if delay and not after_effect:
        with core.lock:
            core.held.append(method)
        time.sleep(delay)
    with core.lock:
        failure = core.faults.failure_for(method)
        if failure and not failure.effect_applied:
            return _record(core, method, raw, at, _failure_answer(failure), failure.error)
        args, answer, error_code = _run_method(core, method, raw, token)
        if failure:
            answer, error_code = _failure_answer(failure), failure.error
        recorded = _record(core, method, args, at, answer, error_code)
    if delay and after_effect:
        time.sleep(delay)
    return recorded


def _run_method(
    core: Core, method: str, raw: dict[str, Any], token: str | None
) -> tuple[dict[str, Any], Answer, str | None]:
    args = raw
    try:
        if not token:
            raise SlackError("not_authed")
        if token not in core.tokens:
            raise SlackError("invalid_auth")
        implementation = METHODS.get(method)
        if implementation is None:
            error = SlackError("unknown_method", req_method=method)
            return args, Answer.json(404, error.body()), error.error
        args = decode_json_arguments(raw)
        check_required(method, args)
        if method == "chat.postMessage" and core.limiter is not None:
            channel_id = core.workspace.resolve_channel(args.get("channel"))
            retry_after = core.limiter.retry_after(channel_id)
            if retry_after is not None:
                failure = Failure(status=429, error="ratelimited", retry_after=retry_after)
                return args, _failure_answer(failure), failure.error
        result = implementation(core.workspace, Args(args))
    except SlackError as error:
        return args, Answer.json(200, error.body()), error.error
    return args, Answer.json(200, {"ok": True, **result}), None


def _failure_answer(failure: Failure) -> Answer:
    headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
    return Answer.json(failure.status, {"ok": False, "error": failure.error}, headers=headers)


def _record(
    core: Core, method: str, args: dict[str, Any], at: float, answer: Answer, error: str | None
) -> tuple[Answer, RecordedCall]:
    call = RecordedCall(
        method=method, args=copy.deepcopy(args), at=at, status=answer.status, error=error
    )
    with core.lock:
        core.calls.append(call)
    return answer, call


def notify(core: Core, record: RecordedCall | RecordedResponse) -> None:
    """Tell listeners (the offline shell prints as things happen), outside the lock."""
    with core.lock:
        listeners = list(core.listeners)
    for listener in listeners:
        try:
            listener(record)
        except Exception:  # a listener's bug must not break the Web API
            logger.exception("stand-in listener failed")


def answer_upload(core: Core, *, key: str, content_type: str | None, body: bytes) -> Answer:
    """slack_sdk's files_upload_v2 POSTs the file's raw bytes."""
    content = body
    with core.lock:
        if not receive_upload(core.workspace, key=key, content=content):
            return Answer.text(404, "Not Found")
    return Answer.text(200, f"OK - {len(content)}")


def answer_download(core: Core, *, path: str, authorization: str | None) -> Answer:
    """Files need the bot token, as on Slack (which answers a sign-in page without it)."""
    if bearer_token(authorization) not in core.tokens:
        return Answer(403, b"<html><body>Sign in to Slack</body></html>", content_type="text/html")
    parts = path.split("/")  # ["", "files-pri", "T-F", ("download",) name]
    file_id = parts[2].rsplit("-", 1)[-1] if len(parts) > 3 else ""
    with core.lock:
        stored = core.workspace.files.get(file_id)
    if stored is None:
        return Answer.text(404, "Not Found")
    disposition = f'attachment; filename="{stored.info["name"]}"'
    return Answer(
        200,
        stored.content,
        content_type=stored.info["mimetype"],
        headers={"Content-Disposition": disposition},
    )


def answer_response_url(core: Core, *, key: str, content_type: str | None, body: bytes) -> Answer:
    payload = _response_payload(content_type, body)
    if payload is None:
        return Answer.json(400, {"ok": False, "error": "invalid_payload"})
    return deliver_response(core, key=key, payload=payload, via="response_url")


def deliver_response(core: Core, *, key: str, payload: dict[str, Any], via: str) -> Answer:
    """Show a response where Slack would. `via="ack"` is a slash command's acknowledgement
    body, which Slack shows like a response but does not count as a use of the URL."""
    with core.lock:
        ws = core.workspace
        target = ws.response_urls.get(key)
        if target is None or ws.clock() > target.expires_at:
            return Answer.json(404, {"ok": False, "error": "expired_url"})
        if target.uses_left <= 0 and via == "response_url":
            return Answer.json(404, {"ok": False, "error": "used_url"})
        try:
            content = message_content(payload, require_text=not payload.get("delete_original"))
        except SlackError as error:
            return Answer.json(400, error.body())
        if via == "response_url":
            target.uses_left -= 1
        _apply_response(
            ws,
            payload,
            content,
            channel_id=target.channel_id,
            user_id=target.user_id,
            message_ts=target.message_ts,
        )
        response = RecordedResponse(
            url=f"{ws.base_url}/response/{key}",
            payload=copy.deepcopy(payload),
            at=time.time(),
            channel_id=target.channel_id,
            user_id=target.user_id,
            message_ts=target.message_ts,
            via=via,
        )
        ws.responses.append(response)
    notify(core, response)
    return Answer.json(200, {"ok": True})


def _response_payload(content_type: str | None, body: bytes) -> dict[str, Any] | None:
    try:
        if media_type(content_type) == "application/x-www-form-urlencoded":
            body = dict(parse_qsl(body.decode())).get("payload", "").encode()
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in {"true", "1"}


def _apply_response(
    ws: Workspace,
    payload: dict[str, Any],
    content: dict[str, Any],
    *,
    channel_id: str | None,
    user_id: str | None,
    message_ts: str | None,
) -> None:
    """Show the response where Slack would: replace or delete the original, or post anew."""
    original = _original(ws, channel_id, message_ts)
    if _flag(payload.get("delete_original")) and original is not None:
        if original in ws.ephemerals:
            ws.ephemerals.remove(original)
        elif channel_id:
            ws.remove_message(channel_id, original["ts"])
        return
    if _flag(payload.get("replace_original")) and original is not None:
        original.update(content)
        return
    if payload.get("response_type") == "in_channel" and channel_id:
        extras = {"thread_ts": payload["thread_ts"]} if payload.get("thread_ts") else {}
        ws.append_message(channel_id, bot_message(ws, {**content, **extras}))
        return
    ws.ephemerals.append({"channel": channel_id, "user": user_id, "ts": ws.ts.next(), **content})


def _original(
    ws: Workspace, channel_id: str | None, message_ts: str | None
) -> dict[str, Any] | None:
    if not message_ts:
        return None
    for ephemeral in ws.ephemerals:
        if ephemeral["ts"] == message_ts:
            return ephemeral
    try:
        return ws.find_message(channel_id or "", message_ts)
    except SlackError:
        return None
