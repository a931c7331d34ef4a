"""Milestone rules: what a letter starts, and when each step falls due, kept as data.

Each rule carries its source so that a number can be corrected in one place when Ofsted's
framework changes (DOMAIN.md section 2). A rule only gives a default: a date the letter states
always wins, and a disagreement is reported, never resolved silently.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import time


class MilestoneKind(enum.StrEnum):
    COMPLAINT_DEADLINE = "complaint_deadline"
    FACTUAL_ACCURACY_DUE = "factual_accuracy_due"
    EMBARGO_LIFT = "embargo_lift"
    SURVEY_DEADLINE = "survey_deadline"
    ACTION_PLAN_DRAFT_DUE = "action_plan_draft_due"
    ACTION_PLAN_FINAL_DUE = "action_plan_final_due"


class VisitType(enum.StrEnum):
    FOCUSED_VISIT = "focused_visit"
    MONITORING_VISIT = "monitoring_visit"
    STANDARD_INSPECTION = "standard_inspection"
    SHORT_INSPECTION = "short_inspection"
    JTAI = "jtai"
    OTHER = "other"


class DocumentKind(enum.StrEnum):
    """What the council has received; it decides which rules apply, more than the visit type."""

    FINAL_REPORT_COVER = "final_report_cover"  # covering letter sent with the final report
    DRAFT_REPORT_COVER = "draft_report_cover"  # draft report sent for factual-accuracy comments
    FINDINGS_LETTER = "findings_letter"  # a focused or monitoring visit letter, itself the report
    JTAI_LETTER = "jtai_letter"  # findings letter to the safeguarding partners after a JTAI
    INSPECTION_REPORT = "inspection_report"  # a report's front matter, no covering letter
    UNKNOWN = "unknown"


MILESTONE_LABELS: dict[MilestoneKind, str] = {
    MilestoneKind.COMPLAINT_DEADLINE: "Complaint window closes",
    MilestoneKind.FACTUAL_ACCURACY_DUE: "Factual-accuracy comments due",
    MilestoneKind.EMBARGO_LIFT: "Embargo lifts (publication)",
    MilestoneKind.SURVEY_DEADLINE: "Post-inspection survey due",
    MilestoneKind.ACTION_PLAN_DRAFT_DUE: "Draft action plan due",
    MilestoneKind.ACTION_PLAN_FINAL_DUE: "Final action plan due",
}

# The same, as a noun phrase for sentences: "The complaint deadline is …".
MILESTONE_NAMES: dict[MilestoneKind, str] = {
    MilestoneKind.COMPLAINT_DEADLINE: "complaint deadline",
    MilestoneKind.FACTUAL_ACCURACY_DUE: "factual-accuracy deadline",
    MilestoneKind.EMBARGO_LIFT: "publication (embargo lift) date",
    MilestoneKind.SURVEY_DEADLINE: "survey deadline",
    MilestoneKind.ACTION_PLAN_DRAFT_DUE: "draft action plan deadline",
    MilestoneKind.ACTION_PLAN_FINAL_DUE: "final action plan deadline",
}

# Milestones whose completion needs an approver's sign-off (MISSION.md, product point 4): the
# action plan before it is submitted, and the decision to complain or not before the window shuts.
NEEDS_SIGN_OFF: frozenset[MilestoneKind] = frozenset(
    {
        MilestoneKind.ACTION_PLAN_DRAFT_DUE,
        MilestoneKind.ACTION_PLAN_FINAL_DUE,
        MilestoneKind.COMPLAINT_DEADLINE,
    }
)


class MilestoneNature(enum.StrEnum):
    """What kind of date a milestone is, which decides how it is reminded (DOMAIN.md 2 and 6)."""

    TASK = "task"  # the council must do something by the date: reminded, overdue, escalated
    EVENT = "event"  # happens by itself; the council prepares: reminded, announced, never overdue
    WINDOW = "window"  # a decision to take before it closes; closes once, with what was decided


@dataclass(frozen=True)
class Nature:
    nature: MilestoneNature
    source: str
    # What the day's announcement says, for an event ("the embargo lifts today: …").
    on_the_day: str | None = None
    # What must be decided before a window closes.
    decision: str | None = None


NATURES: dict[str, Nature] = {
    MilestoneKind.FACTUAL_ACCURACY_DUE: Nature(
        MilestoneNature.TASK,
        "the council sends its comments within 5 working days (FE News 2020; DOMAIN.md 2)",
    ),
    MilestoneKind.SURVEY_DEADLINE: Nature(
        MilestoneNature.TASK, "the council completes the survey by the stated date (2021 letter)"
    ),
    MilestoneKind.ACTION_PLAN_DRAFT_DUE: Nature(
        MilestoneNature.TASK, "the council sends an early draft (2018 focused-visit letter)"
    ),
    MilestoneKind.ACTION_PLAN_FINAL_DUE: Nature(
        MilestoneNature.TASK, "a written statement of action is due (SI 2007/462 reg 3)"
    ),
    MilestoneKind.EMBARGO_LIFT: Nature(
        MilestoneNature.EVENT,
        "Ofsted publishes; the embargo date is the publication date (2021 letter; DOMAIN.md 2)",
        on_the_day="the embargo lifts today: the report may be shared",
    ),
    MilestoneKind.COMPLAINT_DEADLINE: Nature(
        MilestoneNature.WINDOW,
        "a formal complaint may be made by the end of the 5th working day; none is required "
        "(2021 letter; FE News 2020)",
        decision="decide whether to complain (not complaining is signed off too)",
    ),
}

CUSTOM_EVENT_KIND = "custom_event"
"""The kind of a milestone added by hand as an event; any other custom kind is a task."""
CUSTOM_TASK_KIND = "custom_task"

NATURE_NAMES: dict[MilestoneNature, str] = {
    MilestoneNature.TASK: "task",
    MilestoneNature.EVENT: "event",
    MilestoneNature.WINDOW: "decision window",
}


def closing_note(*, kind: str, approval_status: str | None, passed_before: bool) -> str:
    """What the audit log and the closing post say when a milestone closes by itself."""
    if nature_of(kind) == MilestoneNature.EVENT:
        if passed_before:
            return "closed by itself: its day had passed before the visit was entered"
        return "closed by itself: its day has passed"
    decided = {
        "approved": "the decision was signed off",
        "requested": "the decision was still waiting for sign-off",
        "rejected": "the decision's sign-off was rejected",
    }.get(approval_status or "", "no decision was recorded, so no complaint was made")
    return f"the window closed: {decided}"


def nature_of(kind: str) -> MilestoneNature:
    """A milestone's nature from its kind; a kind added by hand is a task unless it says event."""
    if kind == CUSTOM_EVENT_KIND:
        return MilestoneNature.EVENT
    known = NATURES.get(kind)
    return known.nature if known else MilestoneNature.TASK


@dataclass(frozen=True)
class MilestoneRule:
    """`working_days` after the letter date (day 0), for one kind of document."""

    kind: MilestoneKind
    document_kind: DocumentKind
    working_days: int
    description: str
    source: str
    # A computed publication date is only what usually happens (DOMAIN.md section 3).
    estimate: bool = False
    # The rule applies only when the letter names areas for priority action / asks for a
    # written statement; otherwise nothing is due.
    needs_priority_action: bool = False


RULES: tuple[MilestoneRule, ...] = (
    MilestoneRule(
        kind=MilestoneKind.COMPLAINT_DEADLINE,
        document_kind=DocumentKind.FINAL_REPORT_COVER,
        working_days=5,
        description="end of the 5th working day from the date of the covering letter",
        source="Ofsted final-report covering letter (2021); FE News 2020 on Ofsted's complaints",
    ),
    MilestoneRule(
        kind=MilestoneKind.EMBARGO_LIFT,
        document_kind=DocumentKind.FINAL_REPORT_COVER,
        working_days=8,
        description="usually 8 working days from the date of the covering letter (an estimate)",
        source="Ofsted final-report covering letter (2021): 'usually eight working days'",
        estimate=True,
    ),
    MilestoneRule(
        kind=MilestoneKind.FACTUAL_ACCURACY_DUE,
        document_kind=DocumentKind.DRAFT_REPORT_COVER,
        working_days=5,
        description="5 working days from the issue of the draft report",
        source="Ofsted post-inspection process, standardised across remits in 2020 (FE News)",
    ),
    MilestoneRule(
        kind=MilestoneKind.ACTION_PLAN_DRAFT_DUE,
        document_kind=DocumentKind.FINDINGS_LETTER,
        working_days=20,
        description="early draft within 20 working days of the letter (priority action)",
        source="Ofsted focused-visit letter, August 2018; ILACS framework from September 2018",
        needs_priority_action=True,
    ),
    MilestoneRule(
        kind=MilestoneKind.ACTION_PLAN_FINAL_DUE,
        document_kind=DocumentKind.FINDINGS_LETTER,
        working_days=70,
        description="70 working days after receipt of the letter (priority action)",
        source="SI 2007/462 reg 3; Ofsted focused-visit letter, August 2018",
        needs_priority_action=True,
    ),
    MilestoneRule(
        kind=MilestoneKind.ACTION_PLAN_FINAL_DUE,
        document_kind=DocumentKind.JTAI_LETTER,
        working_days=70,
        description="written statement of proposed action, 70 working days after receipt",
        source="SI 2015/1792 regs 3-4",
        needs_priority_action=True,
    ),
)


def rules_for(*, document_kind: DocumentKind, priority_action: bool) -> list[MilestoneRule]:
    """The rules that apply to one document."""
    return [
        rule
        for rule in RULES
        if rule.document_kind == document_kind
        and (priority_action or not rule.needs_priority_action)
    ]


# --- Reminder settings as people write them ---------------------------------------------------
# One reading of "09:00" and of "5,2,1,0" for every place that takes them: the settings form,
# the environment (bot.settings) and a visit's stored settings (scheduler.planning). Each caller
# words its own error; these say only whether the text is one.

MOST_REMINDER_OFFSET = 70
"""Working days before a due date: an action plan's 70 working days is the longest period."""

_CLOCK_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_OFFSET = re.compile(r"[0-9]{1,3}")


def reminder_time_from(text: str) -> time:
    """ "9:05" or "09:05" on the 24-hour clock; ValueError otherwise.

    Digits are 0 to 9 only: "²" or "５" is a mistake (str.isdigit says yes to "²", which int()
    then refuses), and what is stored is plain ASCII.
    """
    match = _CLOCK_TIME.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a 24-hour time")
    return time(int(match.group(1)), int(match.group(2)))


def reminder_offsets_from(text: str) -> tuple[int, ...]:
    """ "5, 2,1,0" → (5, 2, 1, 0): working days before the due date, each 0 to 70, latest last;
    ValueError for anything else (nothing given included)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or not all(
        _OFFSET.fullmatch(part) and int(part) <= MOST_REMINDER_OFFSET for part in parts
    ):
        raise ValueError(f"{text!r} is not a list of working days from 0 to {MOST_REMINDER_OFFSET}")
    return tuple(sorted({int(part) for part in parts}, reverse=True))


def reminder_time_text(moment: time) -> str:
    return moment.strftime("%H:%M")


def reminder_offsets_text(offsets: tuple[int, ...]) -> str:
    return ",".join(str(days) for days in offsets)
