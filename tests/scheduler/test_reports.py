"""Ofsted's own published reports, read as the bot reads a shared file, against their listing.

../shared/reports/ holds 279 real inspection reports (ILACS 2018-2026 and the single inspections
before them) as text, 25 of them with their PDF, and `expected.json`: what Ofsted's listing says
of each (see the README there). The listing is another program's reading, not ground truth, so
each field must be right for at least 97% of the reports rather than all; and no report may give
a milestone, because a report carries no deadline of its own.
"""

import json
from collections import Counter

import pytest

from scheduler.authorities import lookup
from scheduler.documents import document_text
from scheduler.letters import read_letter
from tests.seeds import shared_path

pytestmark = pytest.mark.shared_reports

GOOD_ENOUGH = 0.97


@pytest.fixture(scope="module")
def reports():
    folder = shared_path("reports")
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return folder, expected


def _name(person):
    # The listing writes "Jenny -ellen Scotland" where the report has "Jenny-ellen Scotland".
    return " ".join((person or "").replace(" -", "-").split())


def _score(cases):
    """Per field, the share of reports read right, and the ones read wrong."""
    right, total, wrong = Counter(), Counter(), {}
    for name, expected, facts in cases:
        fields = {
            "local_authority": (facts["local_authority"], expected["local_authority"]),
            "authority_code": (
                facts["authority_code"], lookup(expected["local_authority"]).code
            ),
            "visit_type": (facts["visit_type"], expected["visit_type"]),
        }
        if expected.get("visit_dates"):
            days = facts["visit_dates"]
            fields["visit_dates"] = ([days[0], days[-1]] if days else None, expected["visit_dates"])
        if expected.get("lead_inspector"):
            fields["lead_inspector"] = (
                _name((facts["inspectors"] or [None])[0]), _name(expected["lead_inspector"])
            )
        if facts["report_published"] is not None:
            # Only some reports print their publication date; a date given must be the right one.
            fields["report_published"] = (facts["report_published"], expected["report_published"])
        for field, (got, want) in fields.items():
            total[field] += 1
            right[field] += got == want
            if got != want:
                wrong.setdefault(field, []).append((name, got, want))
    return {field: right[field] / total[field] for field in total}, wrong


def _assert_good_enough(cases):
    shares, wrong = _score(cases)
    for field in ("local_authority", "authority_code", "visit_type", "visit_dates"):
        assert shares[field] >= GOOD_ENOUGH, (field, shares[field], wrong.get(field, [])[:10])
    for field in ("lead_inspector", "report_published"):
        assert shares[field] >= GOOD_ENOUGH, (field, shares[field], wrong.get(field, [])[:10])
    for name, _, facts in cases:
        assert facts["milestones"] == [], (name, facts["milestones"])


def test_every_report_text_is_read_right_and_gives_no_milestone(reports):
    folder, expected = reports
    cases = [
        (entry["file"], entry, read_letter((folder / entry["file"]).read_text("utf-8")).to_json())
        for entry in expected
    ]
    assert len(cases) == len(list((folder / "texts").glob("*.txt")))
    _assert_good_enough(cases)
    # Every report that prints its publication date has it read, none as a deadline.
    published = [facts for _, _, facts in cases if facts["report_published"]]
    assert len(published) >= 90


def test_every_report_pdf_is_read_as_its_text_is(reports):
    folder, expected = reports
    cases = []
    for entry in expected:
        if not entry.get("pdf"):
            continue
        text = document_text((folder / entry["pdf"]).read_bytes(), filename="report.pdf")
        cases.append((entry["pdf"], entry, read_letter(text).to_json()))
    assert len(cases) == 25
    _assert_good_enough(cases)
