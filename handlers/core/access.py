"""Who may see a visit and who may change it: one policy, every surface goes through it.

Pure: the caller supplies what is known of the person, of the visit and of its channel's members
(a plain set, looked up by the front end), and gets a `Decision` whose refusal says, in plain
words, who can do the thing instead. Nothing here knows Slack, the database or the clock.

- A visit belongs to one workspace; a person from another sees and changes nothing of it.
- See (and acknowledge, mark done, snooze, assign): members of the visit's channel and the bot's
  administrators; a visit with no channel of its own (kept in a direct message) is seen by its
  creator and the people named on it.
- Manage (settings, dates, closing and reopening): the creator, the approvers, the administrators.
- Decide a sign-off: the approvers only, and never the person who requested it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Workspace:
    """Slack's `team_id` (and `enterprise_id` where it sends one); a Teams tenant later."""

    team_id: str
    enterprise_id: str | None = None

    def holds(self, other: Workspace) -> bool:
        """The same workspace: the same team, and the same enterprise where both name one."""
        if self.team_id != other.team_id:
            return False
        return (
            not (self.enterprise_id and other.enterprise_id)
            or self.enterprise_id == other.enterprise_id
        )


@dataclass(frozen=True)
class Actor:
    """The person asking, in the workspace the request came from."""

    workspace: Workspace
    user_id: str
    is_admin: bool = False


@dataclass(frozen=True)
class VisitFacts:
    """What the policy needs to know of a visit."""

    workspace: Workspace
    channel_id: str | None
    created_by: str | None
    approvers: frozenset[str] = frozenset()
    named: frozenset[str] = frozenset()  # milestone owners, the escalation contact

    @property
    def in_direct_message(self) -> bool:
        """Kept in a direct message, not a channel: no channel membership to go by."""
        return not self.channel_id or self.channel_id.startswith("D")

    @property
    def managers(self) -> frozenset[str]:
        return frozenset(filter(None, {self.created_by, *self.approvers}))

    @property
    def people(self) -> frozenset[str]:
        """Everyone the visit names: who sees a visit kept in a direct message."""
        return self.managers | self.named


@dataclass(frozen=True)
class Decision:
    allowed: bool
    refusal: str | None = None
    # The people who could do it, for the front end to name in its own way.
    who_can: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)

NOT_FOUND = Decision(False, "cannot see this visit")
"""Refused without telling them why: to someone who may not see a visit, it does not exist (the
refusal is for the audit log)."""


def names(user_ids: Iterable[str]) -> str:
    """People as Slack mentions, in a stable order; a Teams front end renders its own."""
    return ", ".join(f"<@{user_id}>" for user_id in sorted(set(user_ids)))


def can_see(actor: Actor, visit: VisitFacts, *, channel_members: frozenset[str]) -> Decision:
    """Whether the visit exists at all as far as this person is concerned.

    `channel_members`: the members of the visit's channel (ignored for a visit kept in a DM).
    A refusal is NOT_FOUND: a hidden visit is answered as if it did not exist.
    """
    if not actor.workspace.holds(visit.workspace):
        return NOT_FOUND
    if actor.is_admin:
        return ALLOWED
    if visit.in_direct_message:
        return ALLOWED if actor.user_id in visit.people else NOT_FOUND
    return ALLOWED if actor.user_id in channel_members else NOT_FOUND


def can_act(actor: Actor, visit: VisitFacts, *, channel_members: frozenset[str]) -> Decision:
    """Acknowledge, mark done, snooze, assign, request sign-off: whoever can see the visit."""
    return can_see(actor, visit, channel_members=channel_members)


MANAGE_WHAT = {
    "settings": "change its settings",
    "dates": "change or waive its dates",
    "close": "close it",
    "reopen": "reopen it",
}


def can_manage(
    actor: Actor, visit: VisitFacts, *, channel_members: frozenset[str], what: str = "settings"
) -> Decision:
    """Settings, dates, closing and reopening: the creator, the approvers, the administrators."""
    seen = can_see(actor, visit, channel_members=channel_members)
    if not seen:
        return seen
    if actor.is_admin or actor.user_id in visit.managers:
        return ALLOWED
    managers = sorted(visit.managers)
    doing = MANAGE_WHAT.get(what, what)
    who = names(managers) or "the bot's administrators"
    return Decision(False, f"Only this visit's managers can {doing}: {who}.", tuple(managers))


def can_decide_signoff(
    actor: Actor, visit: VisitFacts, *, channel_members: frozenset[str], requested_by: str | None
) -> Decision:
    """Approve or reject: the visit's approvers, never the person who asked for the sign-off.

    Separation of duties holds for administrators too: being one does not make you an approver.
    """
    seen = can_see(actor, visit, channel_members=channel_members)
    if not seen:
        return seen
    deciders = sorted(visit.approvers - {requested_by} if requested_by else visit.approvers)
    if actor.user_id in visit.approvers and actor.user_id != requested_by:
        return ALLOWED
    if actor.user_id in visit.approvers:  # the requester
        if not deciders:
            return Decision(
                False,
                "You asked for this sign-off, so someone else must decide it, and you are this "
                "visit's only approver: add another approver with `/ofsted settings`.",
            )
        return Decision(
            False,
            f"You asked for this sign-off, so someone else must decide it: {names(deciders)}.",
            tuple(deciders),
        )
    if not visit.approvers:
        return Decision(
            False,
            "Only this visit's approvers can approve or reject, and it has none yet: its "
            "managers can add them with `/ofsted settings` "
            f"({names(visit.managers) or 'the administrators'}).",
        )
    return Decision(
        False,
        "Only this visit's approvers can approve or reject: "
        f"{names(deciders) or names(visit.approvers)}.",
        tuple(deciders),
    )
