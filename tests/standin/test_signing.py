"""The driver signs exactly as slack_sdk's SignatureVerifier (used by Bolt) expects."""

from __future__ import annotations

import time

from slack_sdk.signature import SignatureVerifier

from bot.offline.standin.signing import MAX_AGE, signature, signed_headers

BODY = b"token=x&team_id=T0STANDIN&command=%2Fofsted&text=help"


def test_signed_headers_verify() -> None:
    headers = signed_headers(signing_secret="s3cret", body=BODY)
    assert SignatureVerifier("s3cret").is_valid_request(BODY, headers)


def test_other_secret_or_body_fails() -> None:
    headers = signed_headers(signing_secret="s3cret", body=BODY)
    assert not SignatureVerifier("other").is_valid_request(BODY, headers)
    assert not SignatureVerifier("s3cret").is_valid_request(BODY + b"&x=1", headers)


def test_stale_timestamp_fails() -> None:
    old = int(time.time()) - MAX_AGE - 1
    assert not SignatureVerifier("s3cret").is_valid_request(
        BODY, signed_headers(signing_secret="s3cret", body=BODY, timestamp=old)
    )


def test_matches_slack_sdk_generation() -> None:
    expected = SignatureVerifier("s3cret").generate_signature(timestamp="1531420618", body=BODY)
    assert signature(signing_secret="s3cret", timestamp="1531420618", body=BODY) == expected
