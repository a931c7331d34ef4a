"""Escaping people's and letters' text for Slack's mrkdwn, and keeping a name on one line."""

import pytest

from handlers.core.text import escape_mrkdwn, one_line


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here> now", "&lt;!here&gt; now"),
        ("ask <@U0BOSS>", "ask &lt;@U0BOSS&gt;"),
        ("see <#C0SECRET>", "see &lt;#C0SECRET&gt;"),
        ("<https://evil.example|the report>", "&lt;https://evil.example|the report&gt;"),
        ("Children & Families", "Children &amp; Families"),
        ("&lt; already", "&amp;lt; already"),  # what was written, shown as written
        ("St Helens: *focused* visit_", "St Helens: *focused* visit_"),
        ("", ""),
    ],
    ids=[
        "channel",
        "here",
        "user",
        "channel-link",
        "link-label",
        "ampersand",
        "entity",
        "plain",
        "empty",
    ],
)
def test_escape_mrkdwn(written, shown):
    assert escape_mrkdwn(written) == shown


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("Fernleigh\r\nBEGIN:VEVENT", "Fernleigh BEGIN:VEVENT"),
        ("a\rb\nc", "a b c"),
        ("one line", "one line"),
        ("line\u2028separator", "line separator"),
    ],
    ids=["crlf", "cr-and-lf", "unchanged", "unicode-line-separator"],
)
def test_one_line(written, shown):
    assert one_line(written) == shown
