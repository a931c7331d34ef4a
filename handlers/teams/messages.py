"""What someone typed to the bot in Teams, read as a command. Pure: text in, a command out.

In a channel or a group chat a message reaches the bot only when it @mentions it, and the
mention is part of the text (`<at>Ofsted bot</at> show st-helens-2106`); in a personal chat the
command is bare. Either way the words after it are the slash command's words, read by the same
parser (`handlers.core.commandline`), and its answers are the slash command's answers with
`/ofsted ` taken off the examples and Slack's mrkdwn turned into Teams' Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import unescape

from handlers.core.commandline import Command, parse_command
from handlers.core.errors import UserError
from handlers.slack.blocks import HELP_TEXT

_MENTION = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SLACK_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_SLACK_MENTION = re.compile(r"<@([^>|]+)>")


@dataclass(frozen=True)
class Typed:
    """A message's text with the bot's @mention taken out, and whether it was mentioned."""

    text: str
    mentioned: bool


def without_mention(text: str | None) -> Typed:
    """The command words: Teams' `<at>…</at>` removed, HTML (Teams sends some) made plain."""
    raw = text or ""
    mentioned = bool(_MENTION.search(raw))
    plain = _TAG.sub(" ", _MENTION.sub(" ", raw))
    return Typed(text=" ".join(unescape(plain).split()), mentioned=mentioned)


def read_command(text: str) -> Command:
    """`show st-helens-2106` → Command("show", visit=…). A mistake is a UserError whose message
    is the slash command's, in Teams' words."""
    try:
        return parse_command(text)
    except UserError as error:
        raise UserError(for_teams(error.message)) from None


def for_teams(slack_text: str, names: Mapping[str, str] | None = None) -> str:
    """An answer written for Slack, as Teams shows it: `/ofsted show` is `show` here, `*bold*` is
    `**bold**`, a `<@U…>` mention is the person's display name (their id when the conversation
    did not say it), and `&lt;` is `<` again."""
    known = names or {}
    text = slack_text.replace("/ofsted ", "").replace("`/ofsted`", "`help`")
    text = _SLACK_BOLD.sub(r"**\1**", text)
    text = _SLACK_MENTION.sub(lambda found: known.get(found[1], found[1]), text)
    for escaped, character in (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")):
        text = text.replace(escaped, character)
    return text


def help_text() -> str:
    """The slash command's help, word for word but for the `/ofsted ` before each command, as
    Markdown lines (Teams joins lines that do not end in a blank line or a list)."""
    lines = for_teams(HELP_TEXT).splitlines()
    shown = []
    for line in lines:
        if line.startswith("• "):
            shown.append("- " + line[2:])
        else:
            shown.append(("\n" if shown and shown[-1].startswith("- ") else "") + line)
    text = "\n".join(shown).replace("a channel I am in", "a channel or chat I am in")
    return text + "\n\nIn a channel, @mention me first: `@ofsted-bot list`."
