"""What the use cases return: typed results that a front end renders, refusals among them.

A `Refusal` is the answer to anything that changed nothing: a mistake, a refusal by the access
policy (already in the audit log), a click that came too late. Its text is the answer as the
bot has always worded it; a front end shows it to the person who asked, and no one else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from handlers.core.wording import MilestoneLike, VisitLike
from scheduler.letters import LetterFacts
from storage.models import AuditEvent, Milestone, Visit


@dataclass(frozen=True)
class Refusal:
    """Nothing was changed (a refused attempt is audited): say `text` to the person who asked."""

    text: str


@dataclass(frozen=True)
class VisitSummary:
    visit: VisitLike
    next_milestone: MilestoneLike | None


@dataclass(frozen=True)
class HomeItem:
    visit: VisitLike
    milestone: MilestoneLike
    why: str | None = None  # "you own it", "your approval is requested"


@dataclass(frozen=True)
class VisitListing:
    """The open visits whose next date is soonest, and how many are open in all."""

    summaries: list[VisitSummary]
    total: int
    which: str = "open"  # or "closed", "mine" (`/ofsted list closed`, `/ofsted list mine`)

    @property
    def more(self) -> int:
        return self.total - len(self.summaries)


@dataclass(frozen=True)
class Home:
    """(overdue, due in the next 30 days, waiting on this person) across the visits they see."""

    overdue: list[HomeItem]
    due_soon: list[HomeItem]
    waiting: list[HomeItem]
    today: date


@dataclass(frozen=True)
class Timeline:
    """A visit and its milestones, soonest first: what `/ofsted show` draws."""

    visit: Visit
    milestones: list[Milestone]
    # Each decided sign-off, said as a person reads it: milestone id → "rejected by <@U1> on
    # Tuesday 12 May 2026: the plan misses the front door".
    sign_offs: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VisitCreated:
    timeline: Timeline
    created_by: str
    # The letter preview it came from (channel, message), to be settled so nobody presses it twice.
    preview: tuple[str | None, str | None] = (None, None)
    # The letter's facts as read, when the visit was made from one.
    facts: LetterFacts | None = None


@dataclass(frozen=True)
class DraftSaved:
    draft_id: int
    facts: LetterFacts


@dataclass(frozen=True)
class DraftForReview:
    draft_id: int
    facts: LetterFacts
    channel_id: str | None


@dataclass(frozen=True)
class DraftDismissed:
    dismissed_by: str
    preview: tuple[str | None, str | None] = (None, None)


@dataclass(frozen=True)
class SettingsShown:
    visit: Visit
    approvers: list[str]
    escalation_user_id: str | None
    reminder_time: str  # "09:00", the default filled in
    reminder_offsets: str  # "5,2,1,0", the default filled in


@dataclass(frozen=True)
class SettingsSaved:
    reference: str
    # What changed, as the audit log has it; None when the form changed nothing.
    change: str | None


@dataclass(frozen=True)
class VisitClosed:
    reference: str


@dataclass(frozen=True)
class ExportFile:
    visit: Visit
    content: bytes
    filename: str
    what: str  # "audit trail", "dates, as a calendar file for Outlook"


@dataclass(frozen=True)
class MilestoneForm:
    """A milestone someone may change, for the form that asks how (done note, owner, sign-off)."""

    visit: Visit
    milestone: Milestone
    # Whether this person may approve or reject now (the Sign-off form offers only that).
    may_decide: bool = False


@dataclass(frozen=True)
class SignOffNews:
    """Who to tell about a sign-off just requested or decided: its approvers (less whoever
    asked), whoever asked, and the decision with its reason."""

    approvers: tuple[str, ...]
    requested_by: str | None
    decision: str | None = None  # "approved" / "rejected"; None for a request
    decided_by: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class MilestoneChanged:
    """A milestone after a change (or a retry of one already made), with what redraws it."""

    visit: Visit
    milestone: Milestone
    milestones: list[Milestone]  # the visit's, for a timeline
    history: list[AuditEvent] = field(default_factory=list)  # the milestone's latest events
    reminder_kind: str | None = None  # of the reminder the change came from, if one
    sign_off: SignOffNews | None = None  # a sign-off requested or decided: who to tell
