"""Block Kit checks, so a message or view Slack would refuse is refused here too.

slack_sdk's models do the checking (`Block.parse`, `View`, and their `to_dict()`, which runs
every nested object's validators: text lengths, element counts, button styles, ids). Below
them are only the rules Slack documents that those models do not check; each says where.
Problems read as Slack's do: "... [json-pointer:/blocks/0]".
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50  # "up to 50 blocks in each message" (Block Kit reference)
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000

# What slack_sdk raises for a Block Kit payload it cannot build or that breaks a limit.
_MODEL_ERRORS = (SlackObjectFormationError, TypeError, KeyError, ValueError, AttributeError)


def _model_problem(error: Exception, pointer: str) -> str:
    return f"{str(error) or type(error).__name__} [json-pointer:{pointer}]"


def _text_problems(obj: Any, pointer: str, *, plain_only: bool = False) -> list[str]:
    """Text objects are 1 character at least (section, field, option and header reference);
    `plain_only` where the reference says plain_text only (header text, modal buttons)."""
    if not isinstance(obj, dict):
        return []
    if plain_only and obj.get("type") != "plain_text":
        return [f"must be plain_text [json-pointer:{pointer}/type]"]
    if obj.get("text") == "":
        return [f"must be more than 0 characters [json-pointer:{pointer}/text]"]
    return []


def _options_problems(element: Any, pointer: str) -> list[str]:
    """Option objects: text at most 75 characters, value at most 150 (option reference)."""
    problems: list[str] = []
    options = element.get("options") if isinstance(element, dict) else None
    for i, option in enumerate(options if isinstance(options, list) else []):
        text, value = (option.get("text") or {}).get("text", ""), option.get("value", "")
        if len(str(text)) > 75:
            problems.append(f"must be less than 76 characters [json-pointer:{pointer}/{i}/text]")
        if len(str(value)) > 150:
            problems.append(f"must be less than 151 characters [json-pointer:{pointer}/{i}/value]")
    return problems


def _beyond_slack_sdk(block: dict[str, Any], pointer: str) -> list[str]:
    kind = block["type"]
    problems: list[str] = []
    if kind == "header":
        problems += _text_problems(block.get("text"), f"{pointer}/text", plain_only=True)
    elif kind == "section":
        problems += _text_problems(block.get("text"), f"{pointer}/text")
        for i, field in enumerate(block.get("fields") or []):
            problems += _text_problems(field, f"{pointer}/fields/{i}")
    elements = [
        *(block.get("elements") or []),
        block.get("accessory"),
        block.get("element"),
    ]
    for element in elements:
        problems += _options_problems(element, f"{pointer}/options")
    return problems


def block_problems(block: Any, pointer: str) -> list[str]:
    if not isinstance(block, dict) or not block.get("type"):
        return [f"missing required field: type [json-pointer:{pointer}]"]
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return [f"unsupported type: {block['type']} [json-pointer:{pointer}/type]"]
        parsed.to_dict()
    except _MODEL_ERRORS as error:
        return [_model_problem(error, pointer)]
    return _beyond_slack_sdk(block, pointer)


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
        # "block_id ... should be unique for each message and each iteration of a message"
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if block_id is not None:
            if block_id in seen:
                problems.append(
                    f"duplicate block_id: {block_id} [json-pointer:{pointer}/{i}/block_id]"
                )
            seen.add(block_id)
    return problems


def view_problems(view: Any) -> list[str]:
    """A modal or Home tab as views.open and views.publish check it."""
    if not isinstance(view, dict):
        return ["must be an object [json-pointer:/view]"]
    if view.get("type") not in ("modal", "home"):
        return ["must be one of modal, home [json-pointer:/view/type]"]
    problems = blocks_problems(view.get("blocks"), limit=MAX_VIEW_BLOCKS, pointer="/view/blocks")
    if problems:
        return problems
    try:
        View(**view).to_dict()
    except _MODEL_ERRORS as error:
        return [_model_problem(error, "/view")]
    if view["type"] != "modal":
        return []
    # The modal reference: a title is required, title/submit/close are plain_text, and
    # submit is required when the blocks hold an input.
    if not isinstance(view.get("title"), dict):
        return ["missing required field: title [json-pointer:/view/title]"]
    for name in ("title", "submit", "close"):
        problems += _text_problems(view.get(name), f"/view/{name}", plain_only=True)
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view["blocks"])
    if has_input and "submit" not in view:
        problems.append(
            "must provide submit when the view has input blocks [json-pointer:/view/submit]"
        )
    return problems
