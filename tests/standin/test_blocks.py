"""Block Kit limits as pure functions: slack_sdk's models, and the few rules they lack."""

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
        (
            [{"type": "section"}],
            ["text or fields attribute must be specified [json-pointer:/blocks/0]"],
        ),
        (
            [{"type": "section", "fields": [TEXT] * 11}],
            ["fields attribute cannot exceed 10 items [json-pointer:/blocks/0]"],
        ),
        (
            [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}],
            ["must be more than 0 characters [json-pointer:/blocks/0/text/text]"],
        ),
        ([{"type": "hologram"}], ["unsupported type: hologram [json-pointer:/blocks/0/type]"]),
        (
            [{"type": "header", "text": TEXT}],
            ["must be plain_text [json-pointer:/blocks/0/text/type]"],
        ),
        (
            [{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}],
            ["duplicate block_id: a [json-pointer:/blocks/1/block_id]"],
        ),
        (
            [
                {
                    "type": "section",
                    "text": TEXT,
                    "accessory": {
                        "type": "overflow",
                        "action_id": "more",
                        "options": [{"text": PLAIN, "value": "v" * 151}],
                    },
                }
            ],
            ["must be less than 151 characters [json-pointer:/blocks/0/options/0/value]"],
        ),
    ],
    ids=[
        "section",
        "50-blocks",
        "51-blocks",
        "not-a-list",
        "empty-section",
        "11-fields",
        "empty-text",
        "unknown-type",
        "mrkdwn-header",
        "duplicate-block-id",
        "option-value-151",
    ],
)
def test_blocks_problems(blocks: object, expected: list[str]) -> None:
    assert blocks_problems(blocks, limit=50) == expected


def test_a_button_style_slack_does_not_know() -> None:
    loud = {"type": "button", "text": PLAIN, "action_id": "go", "style": "loud"}
    [problem] = blocks_problems([{"type": "actions", "elements": [loud]}], limit=50)
    # slack_sdk names the allowed styles from a set, in no fixed order
    assert problem.startswith("style attribute must be one of the following values: ")
    assert {"primary", "danger"} <= set(problem.replace(",", " ").split())
    assert problem.endswith("[json-pointer:/blocks/0]")


@pytest.mark.parametrize(
    ("view", "ok"),
    [
        ({"type": "modal", "title": PLAIN, "blocks": [{"type": "divider"}]}, True),
        ({"type": "home", "blocks": [{"type": "section", "text": TEXT}]}, True),
        ({"type": "modal", "blocks": [{"type": "divider"}]}, False),
        ({"type": "modal", "title": PLAIN, "blocks": []}, False),
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
    ids=["modal", "home", "modal-without-title", "no-blocks", "unknown-type", "mrkdwn-submit"],
)
def test_view_problems(view: dict, ok: bool) -> None:
    assert (view_problems(view) == []) is ok
