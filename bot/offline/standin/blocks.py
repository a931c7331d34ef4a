"""Slack's Block Kit limits, so a message Slack would refuse is refused here too.

Pure functions returning Slack-style problem strings ("must be less than 51 items
[json-pointer:/blocks]"); the caller turns a non-empty list into `invalid_blocks`
(messages) or `invalid_arguments` (views). Only limits that real bots trip over are
checked: counts, text lengths, required text objects, ids.
"""

from __future__ import annotations

from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000

BLOCK_TYPES = {
    "actions",
    "context",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "markdown",
    "rich_text",
    "section",
    "video",
    "call",
    "table",
}
TEXT_TYPES = {"plain_text", "mrkdwn"}


def _too_long(value: Any, limit: int, pointer: str) -> list[str]:
    if isinstance(value, str) and len(value) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{pointer}]"]
    return []


def text_object_problems(
    obj: Any, pointer: str, *, limit: int, plain_only: bool = False
) -> list[str]:
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        return [f"must be a text object [json-pointer:{pointer}]"]
    allowed = {"plain_text"} if plain_only else TEXT_TYPES
    if obj.get("type") not in allowed:
        return [f"must be one of {sorted(allowed)} [json-pointer:{pointer}/type]"]
    if not obj["text"]:
        return [f"must be more than 0 characters [json-pointer:{pointer}/text]"]
    return _too_long(obj["text"], limit, f"{pointer}/text")


def element_problems(element: Any, pointer: str) -> list[str]:
    if not isinstance(element, dict) or not element.get("type"):
        return [f"missing required field: type [json-pointer:{pointer}]"]
    problems = _too_long(element.get("action_id"), 255, f"{pointer}/action_id")
    kind = element["type"]
    if kind == "button":
        problems += text_object_problems(
            element.get("text"), f"{pointer}/text", limit=75, plain_only=True
        )
        problems += _too_long(element.get("value"), 2000, f"{pointer}/value")
        problems += _too_long(element.get("url"), 3000, f"{pointer}/url")
        if element.get("style") not in (None, "primary", "danger"):
            problems.append(f"must be one of primary, danger [json-pointer:{pointer}/style]")
    options = element.get("options")
    if isinstance(options, list):
        if len(options) > 100:
            problems.append(f"must be less than 101 items [json-pointer:{pointer}/options]")
        for i, option in enumerate(options):
            at = f"{pointer}/options/{i}"
            problems += text_object_problems(
                option.get("text") if isinstance(option, dict) else None, f"{at}/text", limit=75
            )
            problems += _too_long(
                option.get("value") if isinstance(option, dict) else None, 150, f"{at}/value"
            )
    return problems


def block_problems(block: Any, pointer: str) -> list[str]:
    if not isinstance(block, dict) or not block.get("type"):
        return [f"missing required field: type [json-pointer:{pointer}]"]
    kind = block["type"]
    if kind not in BLOCK_TYPES:
        return [f"unsupported type: {kind} [json-pointer:{pointer}/type]"]
    problems = _too_long(block.get("block_id"), 255, f"{pointer}/block_id")
    if kind == "section":
        problems += _section_problems(block, pointer)
    elif kind == "header":
        problems += text_object_problems(
            block.get("text"), f"{pointer}/text", limit=150, plain_only=True
        )
    elif kind in ("actions", "context"):
        limit = 25 if kind == "actions" else 10
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            problems.append(f"must provide at least 1 item [json-pointer:{pointer}/elements]")
        elif len(elements) > limit:
            problems.append(
                f"must be less than {limit + 1} items [json-pointer:{pointer}/elements]"
            )
        elif kind == "actions":
            for i, element in enumerate(elements):
                problems += element_problems(element, f"{pointer}/elements/{i}")
    elif kind == "input":
        problems += text_object_problems(
            block.get("label"), f"{pointer}/label", limit=2000, plain_only=True
        )
        problems += element_problems(block.get("element"), f"{pointer}/element")
    return problems


def _section_problems(block: dict[str, Any], pointer: str) -> list[str]:
    if "text" not in block and "fields" not in block:
        return [f"must provide either text or fields [json-pointer:{pointer}]"]
    problems: list[str] = []
    if "text" in block:
        problems += text_object_problems(block["text"], f"{pointer}/text", limit=3000)
    fields = block.get("fields")
    if fields is not None:
        if not isinstance(fields, list) or len(fields) > 10:
            problems.append(f"must be less than 11 items [json-pointer:{pointer}/fields]")
        else:
            for i, field in enumerate(fields):
                problems += text_object_problems(field, f"{pointer}/fields/{i}", limit=2000)
    if "accessory" in block:
        problems += element_problems(block["accessory"], f"{pointer}/accessory")
    return problems


def blocks_problems(blocks: Any, *, limit: int, pointer: str = "/blocks") -> list[str]:
    """Everything wrong with a `blocks` array; [] when Slack would accept it."""
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{pointer}]"]
    if len(blocks) > limit:
        return [f"must be less than {limit + 1} items [json-pointer:{pointer}]"]
    problems: list[str] = []
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        problems += block_problems(block, f"{pointer}/{i}")
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if block_id is not None:
            if block_id in seen:
                problems.append(
                    f"duplicate block_id: {block_id} [json-pointer:{pointer}/{i}/block_id]"
                )
            seen.add(block_id)
    return problems


def view_problems(view: Any) -> list[str]:
    """A modal or Home tab view as views.open/push/update/publish would check it."""
    if not isinstance(view, dict):
        return ["must be an object [json-pointer:/view]"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return ["must be one of modal, home [json-pointer:/view/type]"]
    problems = blocks_problems(view.get("blocks"), limit=MAX_VIEW_BLOCKS, pointer="/view/blocks")
    problems += _too_long(view.get("private_metadata"), 3000, "/view/private_metadata")
    problems += _too_long(view.get("callback_id"), 255, "/view/callback_id")
    if kind == "modal":
        problems += text_object_problems(
            view.get("title"), "/view/title", limit=24, plain_only=True
        )
        for name in ("submit", "close"):
            if name in view:
                problems += text_object_problems(
                    view[name], f"/view/{name}", limit=24, plain_only=True
                )
        has_input = any(
            isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or []
        )
        if has_input and "submit" not in view:
            problems.append(
                "must provide submit when the view has input blocks [json-pointer:/view/submit]"
            )
    return problems
