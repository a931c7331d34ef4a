"""Block Kit limits as pure functions."""

from __future__ import annotations

import pytest

from bot.offline.standin.blocks import blocks_problems, view_problems

TEXT = {"type": "mrkdwn", "text": "ok"}
PLAIN = {"type": "plain_text", "text": "ok"}


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([{"type": "section", "text": TEXT}], []),
        ([{"type": "divider"}] * 50, []),
        ([{"type": "divider"}] * 51, ["must be less than 51 items [json-pointer:/blocks]"]),
        ("not a list", ["must be an array [json-pointer:/blocks]"]),
        ([{"type": "section"}], ["must provide either text or fields [json-pointer:/blocks/0]"]),
        (
            [{"type": "section", "fields": [TEXT] * 11}],
            ["must be less than 11 items [json-pointer:/blocks/0/fields]"],
        ),
        (
            [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}],
            ["must be more than 0 characters [json-pointer:/blocks/0/text/text]"],
        ),
        (
            [{"type": "actions", "elements": []}],
            ["must provide at least 1 item [json-pointer:/blocks/0/elements]"],
        ),
        (
            [{"type": "actions", "elements": [{"type": "button", "text": PLAIN, "style": "loud"}]}],
            ["must be one of primary, danger [json-pointer:/blocks/0/elements/0/style]"],
        ),
        ([{"type": "carousel"}], ["unsupported type: carousel [json-pointer:/blocks/0/type]"]),
    ],
    ids=[
        "section",
        "50-blocks",
        "51-blocks",
        "not-a-list",
        "empty-section",
        "11-fields",
        "empty-text",
        "no-elements",
        "bad-style",
        "unknown-type",
    ],
)
def test_blocks_problems(blocks: object, expected: list[str]) -> None:
    assert blocks_problems(blocks, limit=50) == expected


@pytest.mark.parametrize(
    ("view", "ok"),
    [
        ({"type": "modal", "title": PLAIN, "blocks": []}, True),
        ({"type": "home", "blocks": [{"type": "section", "text": TEXT}]}, True),
        ({"type": "modal", "blocks": []}, False),
        ({"type": "dialog", "title": PLAIN, "blocks": []}, False),
        (
            {
                "type": "modal",
                "title": PLAIN,
                "submit": {"type": "mrkdwn", "text": "go"},
                "blocks": [],
            },
            False,
        ),
    ],
    ids=["modal", "home", "modal-without-title", "unknown-type", "mrkdwn-submit"],
)
def test_view_problems(view: dict, ok: bool) -> None:
    assert (view_problems(view) == []) is ok
