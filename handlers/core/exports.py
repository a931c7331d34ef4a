"""Exports: the audit trail as CSV, the milestones as an iCalendar file that Outlook imports.

`export_visit` is the use case; the rest is pure: rows in, file contents out. Each milestone's
UID is fixed by its id, and SEQUENCE grows with every change, so importing the file again
updates the entries instead of adding duplicates.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import icalendar

from handlers.core.context import CoreContext
from handlers.core.people import Asker, Names
from handlers.core.results import ExportFile
from handlers.core.text import one_line
from handlers.core.visits import answers_refusals, find_visit
from handlers.core.wording import (
    PERSON_ID,
    SOURCE_NAMES,
    VisitLike,
    audit_action,
    due_word,
    nobody_for_none,
    visit_title,
)
from scheduler.calendar import LONDON
from scheduler.rules import NATURE_NAMES, MilestoneNature, nature_of
from storage import repo
from storage.models import AuditEvent, Milestone

AUDIT_COLUMNS = (
    "time (London)",
    "visit",
    "milestone",
    "who",
    "name",
    "action",
    "outcome",
    "note",
)

PRODUCT_ID = "-//ofsted-bot//Ofsted deadlines//EN"


def audit_csv(
    *,
    visit: VisitLike,
    events: Sequence[AuditEvent],
    milestones: Sequence[Milestone],
    names: Names | None = None,
) -> str:
    """The audit trail, oldest first, with times in London as the officers read them: who by
    Slack ID and by name, the action in plain words, and people in notes by name too."""
    labels = {milestone.id: milestone.label for milestone in milestones}
    known: dict[str, str | None] = {}

    def name_of(user_id: str) -> str | None:
        if user_id not in known:
            known[user_id] = names.name_of(user_id) if names is not None and user_id else None
        return known[user_id]

    def named(match: re.Match[str]) -> str:
        name = name_of(match.group(0))
        return f"{name} ({match.group(0)})" if name else match.group(0)

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(AUDIT_COLUMNS)
    for event in events:
        writer.writerow(
            (
                event.at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S %Z"),
                visit.reference,
                labels.get(event.milestone_id, "") if event.milestone_id else "",
                event.actor_user_id,
                _spreadsheet_safe(name_of(event.actor_user_id) or ""),
                audit_action(event.action),
                event.outcome,
                _spreadsheet_safe(PERSON_ID.sub(named, nobody_for_none(event.note or ""))),
            )
        )
    return buffer.getvalue()


def _spreadsheet_safe(text: str) -> str:
    # A note starting with = or + would run as a formula when the CSV is opened in Excel.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


NATURE_MEANINGS = {
    MilestoneNature.TASK: "the council must do it by this date",
    MilestoneNature.EVENT: "happens by itself on this date; never overdue",
    MilestoneNature.WINDOW: "a decision to take before this date; it closes by itself",
}


def milestone_uid(milestone: Milestone) -> str:
    return f"milestone-{milestone.id}@ofsted-bot"


def milestones_ics(*, visit: VisitLike, milestones: Sequence[Milestone], now: datetime) -> bytes:
    """All-day events, one a milestone, on the day each falls due."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # An X- property is not known to be text, so icalendar would write it raw: a name holding a
    # line break would end the line (and break the file, or add a property of its own choosing).
    calendar.add("x-wr-calname", icalendar.vText(one_line(f"Ofsted: {visit_title(visit)}")))
    for milestone in milestones:
        calendar.add_component(_event(visit=visit, milestone=milestone, now=now))
    return bytes(calendar.to_ical())


def _event(*, visit: VisitLike, milestone: Milestone, now: datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", milestone_uid(milestone))
    event.add("dtstamp", now)
    event.add("last-modified", milestone.updated_at)
    # Outlook replaces an imported event when the same UID comes with a higher SEQUENCE.
    event.add(
        "sequence", int(milestone.updated_at.timestamp()) - int(milestone.created_at.timestamp())
    )
    word = due_word(estimate=milestone.estimate)
    event.add(
        "summary",
        one_line(f"{milestone.label} ({word}): {visit.local_authority or visit.reference}"),
    )
    event.add("dtstart", milestone.due_date)
    event.add("dtend", milestone.due_date + timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    nature = nature_of(milestone.kind)
    description = [
        f"Visit {visit.reference}: {visit_title(visit)}",
        f"Kind: {NATURE_NAMES[nature]} ({NATURE_MEANINGS[nature]})",
        f"Status: {milestone.status}",
        f"Source: {SOURCE_NAMES.get(milestone.source, milestone.source)}",
    ]
    if milestone.evidence:
        description.append(f"From the letter: {' '.join(milestone.evidence.split())}")
    event.add("description", "\n".join(description))
    event.add("categories", ["Ofsted", NATURE_NAMES[nature].capitalize()])
    if milestone.status == "waived":
        event.add("status", "CANCELLED")
    return event


def export_filename(*, visit: VisitLike, export_format: str, today: date) -> str:
    what = "audit" if export_format == "csv" else "dates"
    return f"ofsted-{visit.reference}-{what}-{today:%Y%m%d}.{export_format}"


@answers_refusals
def export_visit(
    ctx: CoreContext, *, asker: Asker, reference: str, export_format: str
) -> ExportFile:
    """A visit's audit trail ("csv") or dates ("ics"), for someone who may see it."""
    with ctx.session() as session:  # a refusal is written to the audit log
        visit = find_visit(
            session=session,
            reference=reference,
            asker=asker,
            attempt="visit_exported",
            now=ctx.now(),
        )
        milestones = repo.list_milestones(session=session, visit_id=visit.id or 0)
        if export_format == "csv":
            events = repo.list_audit_events(session=session, visit_id=visit.id or 0)
            content = audit_csv(
                visit=visit, events=events, milestones=milestones, names=asker.names
            ).encode()
            what = "audit trail"
        else:
            content = milestones_ics(visit=visit, milestones=milestones, now=ctx.now())
            what = "dates, as a calendar file for Outlook"
    filename = export_filename(visit=visit, export_format=export_format, today=ctx.today())
    return ExportFile(visit=visit, content=content, filename=filename, what=what)
