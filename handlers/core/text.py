"""Text that people and letters wrote, made safe to show in Slack's mrkdwn.

Slack reads `<…>` in a message's `text` and in mrkdwn fields as markup: `<!channel>` and
`<!here>` notify everyone, `<@U…>` and `<#C…>` mention, `<https://…|label>` hides a link behind
any label. A visit's name, a file's name, a note, a reason, an evidence sentence or an
inspector's name must be shown as written, never obeyed, so each goes through
`escape_mrkdwn` once, where a message is put together. Slack's own rule is that exactly these
three characters are escaped (https://api.slack.com/reference/surfaces/formatting#escaping).
`plain_text` fields are not read as markup: they take the text as it is.
"""

from __future__ import annotations

_MRKDWN_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape_mrkdwn(text: str) -> str:
    """`text` as Slack must show it literally in mrkdwn: `&`, `<` and `>` escaped.

    Escape each string once, from what was stored: escaping an escaped string shows its
    `&amp;` to the reader.
    """
    return text.translate(_MRKDWN_ESCAPES)


def one_line(text: str) -> str:
    """Text for a single-line field (an iCalendar name, a log line): no CR or LF in it."""
    return " ".join(text.splitlines())
