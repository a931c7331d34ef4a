"""Who is asking, and the means to learn which channels they are in: what every use case is given.

A front end knows the person (an `Actor`) and how to list a channel's members; the use case
knows which channel a visit is in only once it has read the visit, so it is handed the lookup,
which answers a plain channel id with a plain set of user ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from handlers.core.access import Actor, Decision, VisitFacts, can_see
from storage.repo import VisibleTo


class Membership(Protocol):
    """The members of a channel, as the chat platform says (Slack: conversations.members)."""

    def of(self, channel_id: str) -> frozenset[str]:
        """The members as last known (may be kept a few minutes)."""
        ...

    def for_person(self, channel_id: str, user_id: str) -> frozenset[str]:
        """The members, asked afresh when `user_id` is not among those known: what a decision
        about that person should rest on."""
        ...


@dataclass(frozen=True)
class KnownMembers:
    """Members given up front, channel by channel: for tests, and a front end that knows them."""

    channels: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def of(self, channel_id: str) -> frozenset[str]:
        return frozenset(self.channels.get(channel_id, frozenset()))

    def for_person(self, channel_id: str, user_id: str) -> frozenset[str]:
        return self.of(channel_id)


class Names(Protocol):
    """People's names as the chat platform knows them (Slack: users.info), kept a while."""

    def name_of(self, user_id: str) -> str | None:
        """The person's display name, or None when the platform does not say."""
        ...


@dataclass(frozen=True)
class KnownNames:
    """Names given up front: for tests, and a front end that has them to hand."""

    names: Mapping[str, str] = field(default_factory=dict)

    def name_of(self, user_id: str) -> str | None:
        return self.names.get(user_id)


class ActorAsking:
    """Who asks, by the ids a use case checks: theirs and their workspace's."""

    actor: Actor

    @property
    def user_id(self) -> str:
        return self.actor.user_id

    @property
    def team_id(self) -> str:
        return self.actor.workspace.team_id


@dataclass(frozen=True)
class Asker(ActorAsking):
    """The person asking, with the means to find out which channels they are in, and what
    people are called (for an audit trail a person reads)."""

    actor: Actor
    membership: Membership
    names: Names = field(default_factory=KnownNames)

    def channel_members(self, facts: VisitFacts) -> frozenset[str]:
        """The members of the visit's channel; none to look up for a visit kept in a DM, or for
        someone whose answer does not depend on them (another workspace, an administrator)."""
        if (
            facts.in_direct_message
            or self.actor.is_admin
            or not self.actor.workspace.holds(facts.workspace)
        ):
            return frozenset()
        return self.membership.for_person(facts.channel_id or "", self.user_id)

    def sees(self, facts: VisitFacts) -> Decision:
        return can_see(self.actor, facts, channel_members=self.channel_members(facts))

    def visible_to(self, channel_ids: Iterable[str]) -> VisibleTo:
        """The query filter for what this person may see, given the channels holding visits."""
        if self.actor.is_admin:
            return VisibleTo(team_id=self.team_id, user_id=self.user_id, channel_ids=None)
        mine = frozenset(c for c in channel_ids if self.user_id in self.membership.of(c))
        return VisibleTo(team_id=self.team_id, user_id=self.user_id, channel_ids=mine)
