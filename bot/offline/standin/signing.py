"""Slack's request signing (v0), as slack_sdk.signature.SignatureVerifier checks it.

`X-Slack-Signature: v0=hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}"))` with the
timestamp in `X-Slack-Request-Timestamp`; receivers refuse timestamps more than five
minutes from their clock.
"""

from __future__ import annotations

import hashlib
import hmac
import time

MAX_AGE = 5 * 60


def signature(*, signing_secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    *, signing_secret: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(signing_secret=signing_secret, timestamp=stamp, body=body),
    }
