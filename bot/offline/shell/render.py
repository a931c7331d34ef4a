"""Block Kit as plain text (pure): messages, blocks and mrkdwn as a person reads them in Slack,
with each interactive element numbered so the officer can press it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

RULE = "─" * 40

EMOJI = {
    "white_check_mark": "✅",
    "heavy_check_mark": "✔",
    "warning": "⚠️",
    "x": "❌",
    "hourglass_flowing_sand": "⏳",
    "hourglass": "⌛",
    "eyes": "👀",
    "heavy_minus_sign": "➖",
    "calendar": "📆",
    "date": "📅",
    "bell": "🔔",
    "alarm_clock": "⏰",
    "rotating_light": "🚨",
    "memo": "📝",
    "page_facing_up": "📄",
    "bust_in_silhouette": "👤",
    "busts_in_silhouette": "👥",
    "zzz": "💤",
    "no_entry": "⛔",
    "information_source": "ℹ️",
    "tada": "🎉",
    "lock": "🔒",
    "point_right": "👉",
    "+1": "👍",
    "thumbsup": "👍",
    "-1": "👎",
    "thumbsdown": "👎",
    "mega": "📣",
    "scales": "⚖️",
    "file_cabinet": "🗄️",
    "arrows_counterclockwise": "🔄",
}
_EMOJI_RE = re.compile(r":([a-z0-9_+-]+):")
_LINK_RE = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")

NameOf = Callable[[str], str | None]


def _no_name(_: str) -> str | None:
    return None


@dataclass(frozen=True)
class Line:
    """One line to print. `style`: header, text, context, rule, controls."""

    text: str
    style: str = "text"


@dataclass(frozen=True)
class Control:
    """A numbered button (or select) as shown: what pressing it sends."""

    number: int
    block_id: str | None
    element: dict[str, Any]

    @property
    def action_id(self) -> str:
        return str(self.element.get("action_id", ""))

    @property
    def label(self) -> str:
        return control_label(self.element)


@dataclass(frozen=True)
class Rendered:
    lines: tuple[Line, ...]
    controls: tuple[Control, ...]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def emojize(text: str) -> str:
    return _EMOJI_RE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def mrkdwn_to_text(
    text: str, *, user_name: NameOf = _no_name, channel_name: NameOf = _no_name
) -> str:
    """Slack mrkdwn as a person reads it: `*bold*` kept, mentions and links turned into names."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return "@" + (user_name(target[1:]) or label or target[1:])
        if target.startswith("#"):
            return "#" + (channel_name(target[1:]) or label or target[1:])
        if target.startswith("!"):
            special = target[1:].split("^", 1)[0]
            if special in ("here", "channel", "everyone"):
                return "@" + special
            return label or special
        return f"{label} ({target})" if label and label != target else target

    shown = []
    for line in text.split("\n"):
        quoted = line.startswith(">")  # a literal ">" starts a quote; a typed one is "&gt;"
        line = _LINK_RE.sub(link, line[1:].lstrip() if quoted else line)
        line = line.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        shown.append("│ " + line if quoted else line)
    return emojize("\n".join(shown))


def text_of(
    obj: dict[str, Any] | str | None,
    *,
    user_name: NameOf = _no_name,
    channel_name: NameOf = _no_name,
) -> str:
    """A Block Kit text object (plain_text or mrkdwn) as text."""
    if obj is None:
        return ""
    if isinstance(obj, str):
        return obj
    value = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_text(value, user_name=user_name, channel_name=channel_name)
    return emojize(value)


def control_label(element: dict[str, Any]) -> str:
    """What an interactive element shows: a button's text, a select's choice or placeholder."""
    kind = element.get("type", "button")
    placeholder = text_of(element.get("placeholder"))
    if kind == "button":
        return text_of(element.get("text")) or str(element.get("action_id", "button"))
    if kind in ("static_select", "external_select", "radio_buttons"):
        chosen = element.get("initial_option")
        return f"{text_of(chosen['text']) if chosen else placeholder or 'Choose'} ▾"
    if kind in ("users_select", "multi_users_select"):
        return f"{placeholder or 'Choose a person'} ▾"
    if kind in ("conversations_select", "channels_select"):
        return f"{placeholder or 'Choose a channel'} ▾"
    if kind == "datepicker":
        return f"{element.get('initial_date') or placeholder or 'Pick a date'} ▾"
    if kind == "overflow":
        return "⋯ More"
    return f"{placeholder or kind} ▾"


def render_blocks(
    blocks: Sequence[dict[str, Any]],
    *,
    user_name: NameOf = _no_name,
    channel_name: NameOf = _no_name,
    first_number: int = 1,
) -> Rendered:
    """Blocks as plain lines, each interactive element numbered from `first_number`."""
    lines: list[Line] = []
    controls: list[Control] = []

    def text(obj: dict[str, Any] | None) -> str:
        return text_of(obj, user_name=user_name, channel_name=channel_name)

    def control(element: dict[str, Any], block_id: str | None) -> str:
        number = first_number + len(controls)
        controls.append(Control(number=number, block_id=block_id, element=element))
        return f"[{number}] {control_label(element)}"

    def add(shown: str, style: str = "text") -> None:
        lines.extend(Line(part, style) for part in shown.split("\n"))

    for block in blocks:
        kind, block_id = block.get("type"), block.get("block_id")
        if kind == "header":
            add(text(block.get("text")), "header")
        elif kind == "section":
            if block.get("text"):
                add(text(block["text"]))
            for item in block.get("fields") or []:
                add(text(item))
            accessory = block.get("accessory")
            if isinstance(accessory, dict):
                if accessory.get("type") == "image":
                    add(f"[image: {accessory.get('alt_text', '')}]", "context")
                else:
                    add(control(accessory, block_id), "controls")
        elif kind == "context":
            parts = [
                f"[image: {e.get('alt_text', '')}]" if e.get("type") == "image" else text(e)
                for e in block.get("elements", [])
            ]
            add("  ".join(part for part in parts if part), "context")
        elif kind == "divider":
            add(RULE, "rule")
        elif kind == "actions":
            add("   ".join(control(e, block_id) for e in block.get("elements", [])), "controls")
        elif kind == "image":
            add(f"[image: {block.get('alt_text', '')}]", "context")
        elif kind == "input":
            add(f"{text(block.get('label'))}: {control_label(block.get('element', {}))}")
        elif kind == "rich_text":
            add(_rich_text(block, user_name=user_name, channel_name=channel_name))
        else:
            add(f"[{kind} block]", "context")
    return Rendered(lines=tuple(lines), controls=tuple(controls))


def _rich_text(node: Any, *, user_name: NameOf, channel_name: NameOf) -> str:
    if isinstance(node, list):
        return "".join(_rich_text(n, user_name=user_name, channel_name=channel_name) for n in node)
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "user":
        return "@" + (user_name(node.get("user_id", "")) or node.get("user_id", ""))
    if kind == "channel":
        return "#" + (channel_name(node.get("channel_id", "")) or node.get("channel_id", ""))
    if kind == "link":
        return str(node.get("text") or node.get("url", ""))
    if kind == "emoji":
        return EMOJI.get(node.get("name", ""), f":{node.get('name', '')}:")
    shown = _rich_text(node.get("elements", []), user_name=user_name, channel_name=channel_name)
    return shown + "\n" if kind in ("rich_text_section", "rich_text_preformatted") else shown


def render_message(
    message: dict[str, Any],
    *,
    user_name: NameOf = _no_name,
    channel_name: NameOf = _no_name,
    first_number: int = 1,
    file_content: Callable[[str], bytes | None] = lambda _: None,
) -> Rendered:
    """A message as Slack shows it: its blocks (or else its text), attachments and files."""
    if message.get("blocks"):
        rendered = render_blocks(
            message["blocks"],
            user_name=user_name,
            channel_name=channel_name,
            first_number=first_number,
        )
    else:
        shown = mrkdwn_to_text(
            str(message.get("text") or ""), user_name=user_name, channel_name=channel_name
        )
        rendered = Rendered(
            lines=tuple(Line(part) for part in shown.split("\n")) if shown else (), controls=()
        )
    lines, controls = list(rendered.lines), list(rendered.controls)
    for attachment in message.get("attachments") or []:
        more = render_message(
            attachment,
            user_name=user_name,
            channel_name=channel_name,
            first_number=first_number + len(controls),
        )
        lines.extend(Line("┃ " + line.text, line.style) for line in more.lines)
        controls.extend(more.controls)
    for info in message.get("files") or []:
        lines.extend(_file_lines(info, file_content(str(info.get("id", "")))))
    return Rendered(lines=tuple(lines), controls=tuple(controls))


def _file_lines(info: dict[str, Any], content: bytes | None, *, shown: int = 6) -> list[Line]:
    name = str(info.get("name") or info.get("title") or "file")
    lines = [Line(f"📎 {name} ({info.get('size', len(content or b''))} bytes)")]
    if content is not None and name.lower().endswith((".csv", ".ics")):
        rows = content.decode("utf-8", errors="replace").splitlines()
        lines.extend(Line(row, "context") for row in rows[:shown])
        if len(rows) > shown:
            lines.append(Line(f"… {len(rows) - shown} more lines", "context"))
    return lines
