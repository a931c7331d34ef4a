"""Block Kit builders: pure, within Slack's limits, dates written as the letters write them."""

import json
from datetime import UTC, date, datetime

import pytest

from handlers.slack import blocks
from scheduler.calendar import ENGLAND_AND_WALES
from scheduler.letters import LetterFacts
from storage.models import Milestone, Visit

NOW = datetime(2021, 6, 23, 8, 0, tzinfo=UTC)


def _visit(**changes):
    fields = dict(
        id=1,
        reference="st-helens-2106",
        local_authority="St Helens",
        visit_type="focused_visit",
        letter_date=date(2021, 6, 22),
        inspectors=[],
        channel_id="C1",
        status="open",
        created_at=NOW,
    )
    fields.update(changes)
    return Visit(**fields)


def _milestone(n=1, **changes):
    fields = dict(
        id=n,
        visit_id=1,
        kind="complaint_deadline",
        label="Complaint window closes",
        due_date=date(2021, 6, 29),
        status="open",
        source="letter",
        needs_approval=False,
        created_at=NOW,
        updated_at=NOW,
    )
    fields.update(changes)
    return Milestone(**fields)


@pytest.mark.parametrize(
    ("due", "today", "expected"),
    [
        (date(2021, 6, 29), date(2021, 6, 22), "5 working days left"),
        (date(2021, 6, 23), date(2021, 6, 22), "1 working day left"),
        (date(2021, 6, 22), date(2021, 6, 22), "due today"),
        (date(2021, 6, 26), date(2021, 6, 25), "no working days left"),  # due on a Saturday
        (date(2021, 6, 29), date(2021, 6, 30), "1 working day overdue"),
        (date(2024, 3, 28), date(2024, 4, 2), "1 working day overdue"),  # across Easter
        (
            date(2025, 12, 24),
            date(2026, 1, 2),
            "4 working days overdue",
        ),  # 29, 30, 31 Dec and 2 Jan
    ],
    ids=lambda value: str(value),
)
def test_due_phrase_counts_working_days(due, today, expected):
    assert blocks.due_phrase(due=due, today=today, calendar=ENGLAND_AND_WALES) == expected


def test_a_long_timeline_keeps_within_fifty_blocks_and_says_what_was_left_out():
    many = [_milestone(n, label=f"Custom step {n}") for n in range(1, 80)]
    built = blocks.timeline_blocks(
        visit=_visit(), milestones=many, today=date(2021, 6, 23), calendar=ENGLAND_AND_WALES
    )
    assert len(built) == blocks.MAX_MESSAGE_BLOCKS
    assert "more not shown" in built[-1]["elements"][0]["text"]


def test_texts_are_cut_to_slacks_limit_and_escaped():
    evidence = "A & B <script> " + "x" * 5000
    facts = {
        "local_authority": "Fernleigh",
        "visit_type": "focused_visit",
        "letter_date": "2021-06-22",
        "visit_dates": [],
        "inspectors": [],
        "warnings": ["w" * 4000],
        "milestones": [
            {
                "kind": "survey_deadline",
                "due": "2021-08-20",
                "source": "letter",
                "evidence": evidence,
                "rule": None,
            }
        ],
    }
    built = blocks.letter_preview_blocks(
        facts=LetterFacts.from_json(facts),
        draft_id=7,
        today=date(2021, 6, 23),
        calendar=ENGLAND_AND_WALES,
    )
    for block in built:
        for text in _texts(block):
            assert len(text) <= blocks.MAX_TEXT
    assert "A &amp; B &lt;script&gt;" in json.dumps(built)
    actions = built[-1]
    assert [e["action_id"] for e in actions["elements"]] == [
        "draft_create",
        "draft_edit",
        "draft_dismiss",
    ]
    assert all(e["value"] == "7" for e in actions["elements"])


def test_a_preview_with_many_warnings_keeps_its_buttons():
    facts = {
        "local_authority": None,
        "visit_type": "other",
        "letter_date": None,
        "visit_dates": [],
        "inspectors": [],
        "warnings": [f"warning {n}" for n in range(200)],
        "milestones": [
            {
                "kind": "survey_deadline",
                "due": "2021-08-20",
                "source": "letter",
                "evidence": "x",
                "rule": None,
            }
        ]
        * 60,
    }
    built = blocks.letter_preview_blocks(
        facts=LetterFacts.from_json(facts),
        draft_id=1,
        today=date(2021, 6, 23),
        calendar=ENGLAND_AND_WALES,
    )
    assert len(built) <= blocks.MAX_MESSAGE_BLOCKS
    assert built[-1]["type"] == "actions"


def test_button_labels_and_modal_titles_keep_to_their_limits():
    element = blocks.button("x" * 200, action_id="a", value="v" * 3000)
    assert len(element["text"]["text"]) <= 75 and len(element["value"]) <= 2000
    for view in (blocks.letter_modal(channel_id="C1"), blocks.new_visit_modal(channel_id=None)):
        assert len(view["title"]["text"]) <= 24
        assert len(view["blocks"]) <= blocks.MAX_VIEW_BLOCKS


def test_a_computed_publication_date_is_expected_not_due():
    line = blocks.milestone_line(
        _milestone(
            kind="embargo_lift",
            label="Embargo lifts (publication)",
            due_date=date(2021, 7, 2),
            source="rule",
            estimate=True,
        ),
        today=date(2021, 6, 23),
        calendar=ENGLAND_AND_WALES,
    )
    assert "expected Friday 2 July 2021" in line and "computed by rule" in line


def test_a_publication_date_the_letter_says_is_usual_is_expected_in_the_preview():
    """The letter's own "usually eight working days" gives a date from the letter that is still
    an estimate: the preview says "expected", as it does for the rule's."""
    facts = {
        "local_authority": "Fernleigh",
        "visit_type": "standard_inspection",
        "letter_date": "2021-06-22",
        "visit_dates": [],
        "inspectors": [],
        "warnings": [],
        "milestones": [
            {
                "kind": "embargo_lift",
                "due": "2021-07-02",
                "source": "letter",
                "estimate": True,
                "evidence": "usually published eight working days after this letter",
                "rule": None,
            },
            {
                "kind": "complaint_deadline",
                "due": "2021-06-29",
                "source": "letter",
                "estimate": False,
                "evidence": "by the end of the fifth working day",
                "rule": None,
            },
        ],
    }
    built = json.dumps(
        blocks.letter_preview_blocks(
            facts=LetterFacts.from_json(facts),
            draft_id=1,
            today=date(2021, 6, 23),
            calendar=ENGLAND_AND_WALES,
        )
    )
    assert "expected Friday 2 July 2021" in built
    assert "due Tuesday 29 June 2021" in built


def test_the_review_modal_prefills_every_date_and_shows_the_evidence():
    facts = {
        "local_authority": "Fernleigh",
        "visit_type": "focused_visit",
        "letter_date": "2021-06-22",
        "visit_dates": [],
        "inspectors": [],
        "warnings": ["Check the survey date"],
        "milestones": [
            {
                "kind": "survey_deadline",
                "due": "2021-08-20",
                "source": "letter",
                "evidence": "feedback by 20 August 2021",
                "rule": None,
            }
        ],
    }
    view = blocks.review_modal(facts=LetterFacts.from_json(facts), draft_id=3, channel_id="C1")
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert by_id["due_survey_deadline"]["element"]["initial_date"] == "2021-08-20"
    assert "feedback by 20 August 2021" in by_id["due_survey_deadline"]["hint"]["text"]
    assert "initial_date" not in by_id["due_complaint_deadline"]["element"]
    assert json.loads(view["private_metadata"]) == {"draft_id": 3, "channel_id": "C1"}
    assert "Check the survey date" in json.dumps(view["blocks"][0])


def _texts(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)
