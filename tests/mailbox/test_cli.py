"""`ofsted-bot mailbox` refuses, in one line, to start with what it cannot work with."""

from __future__ import annotations

import pytest

from bot.cli import main


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({}, "MAILBOX_URL is not set"),
        (
            {"MAILBOX_URL": "imaps://letters@mail.example.gov.uk/INBOX"},
            "MAILBOX_CHANNEL is not set",
        ),
        (
            {"MAILBOX_URL": "imaps://letters@mail.example.gov.uk/INBOX", "MAILBOX_CHANNEL": "C1"},
            "MAILBOX_PASSWORD is not set",
        ),
        (
            {"MAILBOX_URL": "pop3://letters@mail.example.gov.uk", "MAILBOX_CHANNEL": "C1"},
            "MAILBOX_URL must start imaps://, imap:// or graph://",
        ),
        (
            {"MAILBOX_URL": "graph://letters@council.gov.uk", "MAILBOX_CHANNEL": "C1"},
            "needs MICROSOFT_APP_ID and MICROSOFT_APP_TENANT_ID",
        ),
        ({"MAILBOX_INTERVAL": "0"}, "MAILBOX_INTERVAL"),
    ],
    ids=["no-url", "no-channel", "no-password", "unknown-scheme", "graph-without-app", "interval"],
)
def test_mailbox_refuses_to_start_without_what_it_needs(
    environment, message, monkeypatch, capsys
):
    for name in ("MAILBOX_URL", "MAILBOX_CHANNEL", "MAILBOX_PASSWORD", "MAILBOX_INTERVAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert main(["mailbox"]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1


def test_serve_can_be_told_to_leave_the_mailbox_to_its_own_process() -> None:
    from bot.cli import _parser

    arguments = _parser().parse_args(["serve", "--http", "--no-mailbox"])
    assert arguments.no_mailbox is True
