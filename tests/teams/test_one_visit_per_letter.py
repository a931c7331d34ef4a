"""One visit per letter in Teams, as in Slack: a letter attached again is answered with the visit
that tracks it (Open it / Track it anyway / Dismiss); a report of a tracked visit is kept with it;
a document with no deadlines is never offered Create visit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bot.offline.connector import Recorded
from storage import repo, teams
from storage.models import AuditEvent, Visit
from tests.teams.conftest import CHANNEL, TeamsBotUnderTest
from tests.teams.test_letters_and_visits import (
    EXAMPLE,
    IN_CHANNEL,
    actions,
    attach_file,
    attach_letter,
    click,
    texts,
)

REPORT = (
    Path(__file__).resolve().parents[1]
    / "scheduler"
    / "letters"
    / "ilacs-report-front-matter-ashcombe.txt"
).read_bytes()


def attach(bot: TeamsBotUnderTest, name: str, content: bytes) -> Recorded:
    return attach_file(bot, name, content, **IN_CHANNEL)


def buttons(shown: Recorded | dict[str, Any]) -> list[str]:
    return [a["title"] for a in actions(shown.cards if isinstance(shown, Recorded) else shown)]


def visits(bot: TeamsBotUnderTest) -> list[Visit]:
    with Session(bot.engine) as session:
        return list(session.exec(select(Visit)).all())


def test_a_letter_attached_again_says_which_visit_tracks_it(teams_bot: TeamsBotUnderTest) -> None:
    click(teams_bot, attach_letter(teams_bot, **IN_CHANNEL), "createVisit", **IN_CHANNEL)

    again = attach(teams_bot, "the-same-letter.txt", EXAMPLE.read_bytes())

    assert again.text == "This letter is already tracked as `saxonford-2604`."
    said = " ".join(texts(again.cards))
    assert "This letter is already tracked as `saxonford-2604`" in said
    assert "shared by Alice Officer on Wednesday 29 April 2026" in said
    assert buttons(again) == ["Open it", "Track it anyway", "Dismiss"]
    before = len(teams_bot.connector.calls("POST"))
    opened = click(teams_bot, again, "openVisit", **IN_CHANNEL)
    assert opened["value"] == "Here is `saxonford-2604`."
    [timeline] = teams_bot.connector.calls("POST")[before:]
    assert timeline.text == "Timeline for saxonford-2604"
    preview = click(teams_bot, again, "trackAnyway", **IN_CHANNEL)["value"]
    assert buttons(preview) == ["Create visit", "Edit dates", "Dismiss"]
    assert len(visits(teams_bot)) == 1


def test_a_document_with_no_deadlines_is_never_offered_create_visit(
    teams_bot: TeamsBotUnderTest,
) -> None:
    preview = attach(teams_bot, "ashcombe-report.txt", REPORT)

    assert "I found no deadlines in this document" in " ".join(texts(preview.cards))
    assert buttons(preview) == ["Add dates", "Dismiss"]
    assert visits(teams_bot) == []


def test_a_report_of_a_tracked_visit_is_kept_with_it(teams_bot: TeamsBotUnderTest) -> None:
    with Session(teams_bot.engine) as session:
        visit = repo.create_visit(
            session=session,
            team_id="teams:tenant-1",
            local_authority="Ashcombe",
            visit_type="standard_inspection",
            letter_date=date(2024, 3, 20),
            visit_dates=[date(2024, 3, 4), date(2024, 3, 15)],
            inspectors=[],
            created_by="29:alice",
            channel_id=CHANNEL,
            now=datetime(2024, 3, 20, 9, tzinfo=UTC),
            milestones=[
                repo.NewMilestone(
                    kind="survey_deadline",
                    label="Survey",
                    due_date=date(2024, 5, 1),
                    source="rule",
                )
            ],
        )
        # Kept with its channel, as a visit made in Teams is: its members see it.
        teams.save_visit_conversation(
            session=session,
            visit_id=visit.id or 0,
            tenant_id="tenant-1",
            conversation_id=CHANNEL,
            conversation_type="channel",
            service_url=teams_bot.connector.url,
            reference={},
            now=datetime(2024, 3, 20, 9, tzinfo=UTC),
        )
        session.commit()
        reference = visit.reference

    kept = attach(teams_bot, "ashcombe-report.txt", REPORT)

    assert kept.text == f"Kept with `{reference}`: it is that visit's report."
    assert "I kept it with that visit, and made no new one" in " ".join(texts(kept.cards))
    assert buttons(kept) == ["Open it"]
    assert len(visits(teams_bot)) == 1
    with Session(teams_bot.engine) as session:
        attached = session.exec(
            select(AuditEvent).where(AuditEvent.action == "report_attached")
        ).all()
        assert [e.note for e in attached] == ["ashcombe-report.txt"]
