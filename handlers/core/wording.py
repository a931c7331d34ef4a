"""How the product names things and words its answers, the same on every front end.

Visit types and date sources by name, a visit's title, and the answer to a change someone else
made first. Pure; the text is Slack's mrkdwn today (mentions as `<@U…>`, code in backticks),
which a Teams front end renders its own way (handlers.core.access.names says the same).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from handlers.core.text import escape_mrkdwn as escape
from scheduler.calendar import LONDON, WorkingDayCalendar
from scheduler.dates import format_long
from scheduler.letters import LetterFacts, MilestoneFact

if TYPE_CHECKING:
    from handlers.core.letters import ReportAttached, TrackedLetter
    from handlers.core.results import HomeItem, VisitSummary
from scheduler.rules import NATURE_NAMES, MilestoneNature, VisitType, nature_of

VISIT_TYPE_NAMES: dict[str, str] = {
    VisitType.FOCUSED_VISIT: "Focused visit",
    VisitType.MONITORING_VISIT: "Monitoring visit",
    VisitType.STANDARD_INSPECTION: "Standard inspection",
    VisitType.SHORT_INSPECTION: "Short inspection",
    VisitType.JTAI: "Joint targeted area inspection",
    VisitType.OTHER: "Other visit or inspection",
}
STATUS_MARKS = {"open": "⏳", "acknowledged": "👀", "done": "✅", "waived": "➖"}
SOURCE_NAMES = {
    "letter": "stated in the letter",
    "rule": "computed by rule",
    "manual": "entered by hand",
}

# Who made a draft read from the mailbox: no person did (the one who confirms it is
# recorded), so a letter that came by email is "shared by email".
MAILBOX_ACTOR = "mailbox"


class VisitLike(Protocol):
    id: int | None
    reference: str
    local_authority: str | None
    visit_type: str
    letter_date: date | None
    visit_start: date | None
    visit_end: date | None
    inspectors: list[str]
    channel_id: str | None
    status: str


class MilestoneLike(Protocol):
    id: int | None
    kind: str
    label: str
    due_date: date
    owner_user_id: str | None
    status: str
    source: str
    evidence: str | None
    needs_approval: bool
    approval_status: str | None
    # An expected date (a publication date computed from "usually eight working days", or one
    # the letter says is expected): shown as "expected", never as "due".
    estimate: bool


class EventLike(Protocol):
    actor_user_id: str
    action: str
    outcome: str
    note: str | None
    at: Any


def user(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "nobody yet"


def due_phrase(*, due: date, today: date, calendar: WorkingDayCalendar) -> str:
    """How far away a date is, in the working days that count: "3 working days left"."""
    if due == today:
        return "due today"
    if due > today:
        left = calendar.working_days_between(today, due)
        if left == 0:
            return "no working days left"
        return f"{left} working day{'s' if left != 1 else ''} left"
    late = calendar.working_days_between(due, today)
    if late == 0:
        return "overdue"
    return f"{late} working day{'s' if late != 1 else ''} overdue"


REMINDER_LEADS = {
    "ahead": ":bell: Reminder",
    "due_day": ":alarm_clock: Due today",
    "catch_up": ":bell: Catching up",
    "overdue": ":rotating_light: Overdue",
    "escalation": ":rotating_light: Escalated: overdue",
}
ACTION_NAMES = {
    "visit_created": "created the visit",
    "milestone_status_changed": "changed the status",
    "milestone_owner_changed": "changed the owner",
    "milestone_due_date_changed": "moved the due date",
    "milestone_snoozed": "snoozed it",
    "approval_requested": "asked for sign-off",
    "approval_approved": "approved it",
    "approval_rejected": "rejected it",
    "reminder_failed": "could not post a reminder",
    "report_attached": "attached a report",
}

ATTEMPT_NAMES = {
    "milestone_status_changed": "change its status",
    "milestone_owner_changed": "change the owner",
    "milestone_snoozed": "snooze it",
    "milestone_ack": "acknowledge it",
    "milestone_snooze": "snooze it",
    "milestone_assign": "change the owner",
    "approval_request": "ask for sign-off",
    "approval_requested": "ask for sign-off",
    "approval_approved": "approve it",
    "approval_rejected": "reject it",
    "visit_shown": "see the visit",
    "visit_exported": "export the visit",
    "visit_closed": "close the visit",
    "settings_changed": "change the settings",
}
"""What a refused attempt tried to do: "<@U1> tried to approve it and was refused"."""

AUDIT_ACTIONS = {
    "visit_created": "visit created",
    "visit_closed": "visit closed",
    "visit_reopened": "visit reopened",
    "visit_shown": "visit shown",
    "visit_exported": "visit exported",
    "settings_changed": "settings changed",
    "milestone_status_changed": "status changed",
    "milestone_owner_changed": "owner changed",
    "milestone_due_date_changed": "date changed",
    "milestone_snoozed": "snoozed",
    "milestone_ack": "acknowledge",
    "milestone_snooze": "snooze",
    "milestone_assign": "change owner",
    "approval_request": "request sign-off",
    "approval_requested": "sign-off requested",
    "approval_approved": "approved",
    "approval_rejected": "rejected",
    "approval_reminded": "sign-off reminded",
    "reminder_failed": "reminder not posted",
    "report_attached": "report attached",
}
"""An audit action as the CSV an auditor reads says it; an action not listed is spelt out."""


def audit_action(action: str) -> str:
    return AUDIT_ACTIONS.get(action, action.replace("_", " "))


def due_word(*, estimate: bool) -> str:
    """A computed or expected publication date is what usually happens, not a deadline
    (DOMAIN.md 3)."""
    return "expected" if estimate else "due"


def visit_title(visit: VisitLike) -> str:
    kind = VISIT_TYPE_NAMES.get(visit.visit_type, visit.visit_type)
    return f"{visit.local_authority or 'Unknown authority'}: {kind.lower()}"


def settings_fingerprint(
    *,
    channel_id: str | None,
    approvers: Sequence[str],
    escalation_user_id: str | None,
    reminder_time: str,
    reminder_offsets: str,
) -> str:
    """A short digest of a visit's settings as the form shows them (defaults filled in)."""
    shown = [channel_id, sorted(approvers), escalation_user_id, reminder_time, reminder_offsets]
    return hashlib.sha256(json.dumps(shown).encode()).hexdigest()[:16]


# --- What a click that came too late is told --------------------------------------------------

_STATUS_DEEDS = {
    "acknowledged": "acknowledged {label}",
    "done": "marked {label} done",
    "waived": "waived {label}",
    "open": "reopened {label}",
}


def _deed(event: EventLike, milestone: MilestoneLike, snoozed_until: date | None) -> str:
    label = f"*{escape(milestone.label)}*"
    if event.action == "milestone_status_changed":
        deed = _STATUS_DEEDS.get(milestone.status, "changed the status of {label}")
        return deed.format(label=label)
    if event.action == "milestone_snoozed":
        until = f" until {format_long(snoozed_until)}" if snoozed_until else ""
        return f"snoozed {label}{until}"
    if event.action == "milestone_owner_changed":
        return f"made {user(milestone.owner_user_id)} the owner of {label}"
    if event.action == "approval_requested":
        return f"asked for sign-off on {label}"
    if event.action == "approval_approved":
        return f"approved {label}"
    if event.action == "approval_rejected":
        return f"rejected {label}"
    return f"changed {label}"


def already_decided_text(
    *, milestone: MilestoneLike, event: EventLike | None, snoozed_until: date | None = None
) -> str:
    """The answer to a click that lost a race or came from an old message: who decided first,
    when, and that nothing was changed ("<@U1> already approved *Draft action plan* at 10:42 on
    Tuesday 28 April 2026; nothing was changed.")."""
    if event is None:
        return f"*{escape(milestone.label)}* is already {milestone.status}: nothing was changed."
    return _done_first(event, _deed(event, milestone, snoozed_until))


def visit_already_changed_text(*, reference: str, event: EventLike | None, deed: str) -> str:
    """The same for a visit ("closed", "changed the settings of"), by someone else first."""
    if event is None:
        return f"Someone already {deed} `{escape(reference)}`; nothing was changed."
    return _done_first(event, f"{deed} `{escape(reference)}`")


def _done_first(event: EventLike, deed: str) -> str:
    when = event.at.astimezone(LONDON)
    return (
        f"{user(event.actor_user_id)} already {deed} at {when:%H:%M} on "
        f"{format_long(when.date())}; "
        "nothing was changed."
    )


class ApprovalLike(Protocol):
    decision: str | None
    decided_by: str | None
    decided_at: Any
    reason: str | None


def sign_off_text(approval: ApprovalLike) -> str:
    """A decided sign-off as a timeline shows it: "rejected by <@U1> on Tuesday 12 May 2026:
    the plan misses the front door"."""
    when = (
        f" on {format_long(approval.decided_at.astimezone(LONDON).date())}"
        if approval.decided_at
        else ""
    )
    reason = f": {escape(' '.join(approval.reason.split()))}" if approval.reason else ""
    return f"{approval.decision} by {user(approval.decided_by)}{when}{reason}"


PERSON_ID = re.compile(r"\b[UW][A-Z0-9]{6,}\b")
"""A Slack user id in an audit note ("owner none → U01QAOFFICER")."""


def nobody_for_none(note: str) -> str:
    """ "owner none → U1": nobody, as a person would say it."""
    return re.sub(r"\bnone\b(?= →)|(?<=→ )none\b", "nobody", note)


def people_mentioned(note: str) -> str:
    """An audit note as a message says it: people as mentions, "none" as nobody
    ("approvers none → U02DCS" → "approvers nobody → <@U02DCS>")."""
    return PERSON_ID.sub(lambda found: f"<@{found.group(0)}>", nobody_for_none(note))


# --- Wording both front ends show, marked up each its own way -----------------------------------


@dataclass(frozen=True)
class Markup:
    """How a front end marks up the shared wording: Slack's mrkdwn or Teams' Markdown differ in
    escaping, bold, code spans and how a person or a channel is shown, not in the words."""

    escape: Callable[[str], str]  # text someone wrote, made safe to show
    code: Callable[[str], str]  # a reference, in a code span
    strong: Callable[[str], str]  # bold
    person: Callable[[str | None], str]  # someone, or "nobody yet"
    channel: Callable[[str], str] | None = None  # None: this front end does not show channels


def at_time(moment: datetime) -> str:
    """ "14:05 3 December 2026", in London."""
    when = moment.astimezone(LONDON)
    return f"{when:%H:%M} {format_long(when.date())}"


def visit_facts_line(visit: VisitLike, markup: Markup) -> str:
    """A visit's reference, letter and visit dates, inspectors, channel and whether closed."""
    parts = [f"Reference {markup.code(visit.reference)}"]
    if visit.letter_date:
        parts.append(f"letter {format_long(visit.letter_date)}")
    if visit.visit_start:
        if visit.visit_end and visit.visit_end != visit.visit_start:
            parts.append(
                f"visit {format_long(visit.visit_start)} to {format_long(visit.visit_end)}"
            )
        else:
            parts.append(f"visit {format_long(visit.visit_start)}")
    if visit.inspectors:
        parts.append("inspectors " + markup.escape(", ".join(visit.inspectors)))
    if visit.channel_id and markup.channel:
        parts.append(f"channel {markup.channel(visit.channel_id)}")
    if visit.status == "closed":
        parts.append(markup.strong("closed"))
    return " · ".join(parts)


def milestone_headline(
    milestone: MilestoneLike, markup: Markup, *, today: date, calendar: WorkingDayCalendar
) -> str:
    """ "⏳ *Draft action plan*: due 3 December 2026 (3 working days left)"."""
    mark = STATUS_MARKS.get(milestone.status, "•")
    word = due_word(estimate=milestone.estimate)
    if milestone.status in ("done", "waived"):
        distance = milestone.status
    elif milestone.due_date < today and nature_of(milestone.kind) != MilestoneNature.TASK:
        distance = "passed: closes by itself"  # an event or a window is never overdue
    else:
        distance = due_phrase(due=milestone.due_date, today=today, calendar=calendar)
    when = format_long(milestone.due_date)
    return f"{mark} {markup.strong(markup.escape(milestone.label))}: {word} {when} ({distance})"


def milestone_details(milestone: MilestoneLike, markup: Markup) -> str:
    """ "Task · computed by rule · owner … · sign-off requested"."""
    details = [
        NATURE_NAMES[nature_of(milestone.kind)],
        SOURCE_NAMES.get(milestone.source, milestone.source),
        f"owner {markup.person(milestone.owner_user_id)}",
    ]
    if milestone.needs_approval:
        details.append(f"sign-off {milestone.approval_status or 'not requested'}")
    return " · ".join(details)


def history_lines(events: Sequence[EventLike], markup: Markup) -> list[str]:
    """Who did what, when, as a message or a card shows it after each click."""
    lines = []
    for event in events:
        what = ACTION_NAMES.get(event.action, event.action.replace("_", " "))
        if event.outcome == "refused":
            what = f"tried to {ATTEMPT_NAMES.get(event.action, what)} and was refused"
        detail = f" ({markup.escape(_clip(event.note, 200))})" if event.note else ""
        lines.append(f"{markup.person(event.actor_user_id)} {what}{detail}, {at_time(event.at)}")
    return lines


def passed_lines(
    milestones: Sequence[MilestoneLike],
    markup: Markup,
    *,
    bullet: str,
    today: date,
    calendar: WorkingDayCalendar,
) -> str:
    """The dates that passed before the visit was known, one a line under a reminder."""
    return "\n".join(
        f"{bullet} {markup.strong(markup.escape(other.label))}: "
        f"{due_word(estimate=other.estimate)} {format_long(other.due_date)} "
        f"({due_phrase(due=other.due_date, today=today, calendar=calendar)})"
        for other in milestones
    )


def already_tracked_text(tracked: TrackedLetter, markup: Markup) -> str:
    """ "This letter is already tracked as `st-helens-2106` (shared by @Priya on 22 June): open
    it, or track this one as well.", for a letter shared again."""
    what = {
        "document": "This letter is already tracked",
        "letter": "A letter from the same authority, of the same visit type and date, is "
        "already tracked",
    }.get(tracked.why, "This is already tracked")
    by = f" by {markup.person(tracked.shared_by)}" if tracked.shared_by else ""
    if tracked.shared_by == MAILBOX_ACTOR:  # a letter that came by email: no person to name
        by = " by email"
    closed = ", now closed" if tracked.closed else ""
    return (
        f"{what} as {markup.code(tracked.reference)} ({markup.escape(tracked.title)}, shared{by} "
        f"on {format_long(tracked.shared_on)}{closed}): open it, or track this one as well."
    )


def report_attached_text(attached: ReportAttached, filename: str | None, markup: Markup) -> str:
    """A report of a visit already tracked: kept with that visit, and no new one made."""
    return (
        f"{markup.escape(filename or 'This report')} is the report of "
        f"{markup.code(attached.reference)} ({markup.escape(attached.title)}): I kept it with "
        "that visit, and made no new one. It has no deadlines of its own."
    )


def letter_facts_line(facts: LetterFacts, markup: Markup) -> str:
    """A letter's date, visit dates and inspectors, as its preview shows them."""
    parts = []
    letter_date = facts.letter_date
    parts.append(f"letter {format_long(letter_date)}" if letter_date else "letter date not found")
    if facts.visit_dates:
        parts.append("visit " + " and ".join(format_long(day) for day in facts.visit_dates))
    if facts.inspectors:
        parts.append("inspectors " + markup.escape(", ".join(facts.inspectors)))
    return " · ".join(parts)


def preview_date_line(
    milestone: MilestoneFact, markup: Markup, *, today: date, calendar: WorkingDayCalendar
) -> str:
    """A date a letter preview shows: "*Draft action plan*: due … (…), stated in the letter"."""
    due = milestone.due
    return (
        f"{markup.strong(markup.escape(milestone.label))}: "
        f"{due_word(estimate=milestone.estimate)} {format_long(due)} "
        f"({due_phrase(due=due, today=today, calendar=calendar)}), "
        f"{SOURCE_NAMES[milestone.source]}"
    )


HOME_MOST = 25
"""How many of each Home list are shown; the rest are counted."""


def home_sections(
    *,
    overdue: Sequence[HomeItem],
    due_soon: Sequence[HomeItem],
    waiting_on_me: Sequence[HomeItem],
) -> list[tuple[str, Sequence[HomeItem], str]]:
    """(title, items, what to say when there are none) of each list on the Home tab (Slack) or
    its card (Teams), in their order."""
    return [
        ("Waiting on you", waiting_on_me, "Nothing is waiting on you."),
        ("Overdue", overdue, "Nothing is overdue."),
        ("Due in the next 30 days", due_soon, "Nothing is due in the next 30 days."),
    ]


def home_item_place(item: HomeItem, markup: Markup) -> str:
    """Where a Home item stands: "Fernleigh: focused visit · `fernleigh-2604` · you own it"."""
    where = f"{markup.escape(visit_title(item.visit))} · {markup.code(item.visit.reference)}"
    return f"{where} · {item.why}" if item.why else where


def letter_title(facts: LetterFacts) -> str:
    """ "Fernleigh: focused visit", for a letter read (unescaped)."""
    kind = VISIT_TYPE_NAMES.get(facts.visit_type, facts.visit_type)
    return f"{facts.local_authority or 'Unknown authority'}: {kind.lower()}"


def next_date_text(
    summary: VisitSummary, markup: Markup, *, today: date, calendar: WorkingDayCalendar
) -> str:
    """What comes next for a visit in a list: "next: Draft action plan, 3 December 2026 (…)"."""
    visit, upcoming = summary.visit, summary.next_milestone
    if visit.status == "closed":
        return "closed"
    if upcoming is None:
        return "nothing left open"
    distance = due_phrase(due=upcoming.due_date, today=today, calendar=calendar)
    return f"next: {markup.escape(upcoming.label)}, {format_long(upcoming.due_date)} ({distance})"


def milestone_heading(milestone: MilestoneLike, visit: VisitLike, markup: Markup) -> str:
    """ "*Draft action plan* · Fernleigh: focused visit (`fernleigh-2604`)", for a reminder."""
    return (
        f"{markup.strong(markup.escape(milestone.label))} · "
        f"{markup.escape(visit_title(visit))} ({markup.code(visit.reference)})"
    )


def reminder_due_text(
    milestone: MilestoneLike,
    markup: Markup,
    *,
    kind: str,
    today: date,
    calendar: WorkingDayCalendar,
) -> str:
    """ "Due *3 December 2026*: 2 working days left.", or done, waived or closed."""
    word = due_word(estimate=milestone.estimate).capitalize()
    if milestone.status in ("done", "waived"):
        state = markup.strong(milestone.status)
    elif kind == "closing":
        state = markup.strong("closed")
    else:
        state = due_phrase(due=milestone.due_date, today=today, calendar=calendar)
    return f"{word} {markup.strong(format_long(milestone.due_date))}: {state}."


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
