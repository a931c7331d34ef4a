"""Letter facts kept typed from the reader to a draft's row and back, estimate flag and all."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from scheduler.letters import LetterFacts, MilestoneFact, checked_milestones, read_letter
from scheduler.rules import DocumentKind, MilestoneKind, VisitType

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "bot"
    / "examples"
    / "focused-visit-final-report-cover.txt"
).read_text()


def _usual_publication_only() -> str:
    stated = EXAMPLE.index("You are free to share the findings")
    return EXAMPLE[:stated] + EXAMPLE[EXAMPLE.index("\n", stated) :]


def test_facts_come_back_from_their_json_as_they_were_read() -> None:
    facts = read_letter(_usual_publication_only())
    # All but the document's kind, which chose the rules and is not part of the JSON.
    assert LetterFacts.from_json(facts.to_json()) == replace(
        facts, document_kind=DocumentKind.UNKNOWN
    )


def test_a_publication_date_the_letter_calls_usual_is_read_as_an_estimate() -> None:
    facts = read_letter(_usual_publication_only())
    embargo = next(m for m in facts.milestones if m.kind == MilestoneKind.EMBARGO_LIFT)
    assert (embargo.source, embargo.estimate, embargo.due) == ("letter", True, date(2026, 5, 11))
    assert facts.to_json()["milestones"][1]["estimate"] is True


@pytest.mark.parametrize(
    ("kind", "source", "expected"),
    [
        ("embargo_lift", "rule", True),
        ("embargo_lift", "letter", False),
        ("complaint_deadline", "rule", False),
    ],
    ids=["rule-publication", "stated-publication", "rule-complaint"],
)
def test_a_draft_stored_before_the_flag_was_kept_shows_what_it_showed_then(
    kind: str, source: str, expected: bool
) -> None:
    stored = {
        "local_authority": "Fernleigh",
        "visit_type": "focused_visit",
        "letter_date": "2021-06-22",
        "visit_dates": ["2021-06-08"],
        "inspectors": ["Ann Inspector"],
        "warnings": [],
        "milestones": [
            {"kind": kind, "due": "2021-07-02", "source": source, "evidence": None, "rule": None}
        ],
    }
    facts = LetterFacts.from_json(stored)
    assert facts.milestones[0].estimate is expected
    assert (
        facts.visit_type == VisitType.FOCUSED_VISIT and facts.document_kind == DocumentKind.UNKNOWN
    )
    assert facts.visit_dates == (date(2021, 6, 8),)


EXPECTED = MilestoneFact(
    kind=MilestoneKind.EMBARGO_LIFT,
    due=date(2026, 5, 11),
    source="letter",
    evidence="usually",
    rule=None,
    estimate=True,
)


@pytest.mark.parametrize(
    ("due_dates", "expected"),
    [
        (None, (EXPECTED,)),
        ({MilestoneKind.EMBARGO_LIFT: date(2026, 5, 11)}, (EXPECTED,)),
        (
            {MilestoneKind.EMBARGO_LIFT: date(2026, 5, 12)},
            (
                MilestoneFact(
                    kind=MilestoneKind.EMBARGO_LIFT,
                    due=date(2026, 5, 12),
                    source="manual",
                    evidence=None,
                    rule=None,
                ),
            ),
        ),
        ({}, ()),
    ],
    ids=["as-read", "checked-unchanged", "changed-by-hand", "all-removed"],
)
def test_checked_dates_keep_the_letters_evidence_only_where_unchanged(
    due_dates: dict[MilestoneKind, date] | None, expected: tuple[MilestoneFact, ...]
) -> None:
    assert checked_milestones((EXPECTED,), due_dates) == expected
