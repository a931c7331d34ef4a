"""The access policy as tables: who sees, who acts, who manages, who decides a sign-off."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from handlers.core.access import (
    NOT_FOUND,
    Actor,
    VisitFacts,
    Workspace,
    can_act,
    can_decide_signoff,
    can_manage,
    can_see,
)

HOME = Workspace("T_COUNCIL")
ELSEWHERE = Workspace("T_ELSEWHERE")
CHANNEL_VISIT = VisitFacts(
    workspace=HOME,
    channel_id="C_VISITS",
    created_by="U_CREATOR",
    approvers=frozenset({"U_DCS", "U_HEAD"}),
    named=frozenset({"U_OWNER"}),
)
DM_VISIT = VisitFacts(
    workspace=HOME,
    channel_id=None,
    created_by="U_CREATOR",
    approvers=frozenset({"U_DCS"}),
    named=frozenset({"U_OWNER"}),
)
MEMBERS = frozenset({"U_CREATOR", "U_MEMBER", "U_DCS"})


def actor(user_id: str, *, workspace: Workspace = HOME, admin: bool = False) -> Actor:
    return Actor(workspace=workspace, user_id=user_id, is_admin=admin)


@pytest.mark.parametrize(
    ("who", "visit", "seen"),
    [
        (actor("U_MEMBER"), CHANNEL_VISIT, True),
        (actor("U_STRANGER"), CHANNEL_VISIT, False),
        (actor("U_HEAD"), CHANNEL_VISIT, False),  # an approver who is not in the channel
        (actor("U_ADMIN", admin=True), CHANNEL_VISIT, True),
        (actor("U_MEMBER", workspace=ELSEWHERE), CHANNEL_VISIT, False),
        (actor("U_ADMIN", workspace=ELSEWHERE, admin=True), CHANNEL_VISIT, False),
        (actor("U_CREATOR"), DM_VISIT, True),
        (actor("U_OWNER"), DM_VISIT, True),
        (actor("U_DCS"), DM_VISIT, True),
        (actor("U_MEMBER"), DM_VISIT, False),
        (actor("U_ADMIN", admin=True), DM_VISIT, True),
        (
            actor("U_MEMBER", workspace=Workspace("T_COUNCIL", "E_ONE")),
            VisitFacts(
                workspace=Workspace("T_COUNCIL", "E_TWO"), channel_id="C_VISITS", created_by=None
            ),
            False,
        ),
        (
            actor("U_MEMBER", workspace=Workspace("T_COUNCIL", "E_ONE")),
            VisitFacts(workspace=HOME, channel_id="C_VISITS", created_by=None),
            True,
        ),
    ],
    ids=[
        "channel-member",
        "not-a-member",
        "approver-not-in-channel",
        "administrator",
        "other-workspace",
        "other-workspace-administrator",
        "dm-creator",
        "dm-owner",
        "dm-approver",
        "dm-anyone-else",
        "dm-administrator",
        "other-enterprise",
        "enterprise-not-recorded",
    ],
)
def test_who_sees_a_visit(who: Actor, visit: VisitFacts, seen: bool) -> None:
    decision = can_see(who, visit, channel_members=MEMBERS)
    assert bool(decision) is seen
    assert bool(can_act(who, visit, channel_members=MEMBERS)) is seen  # acting follows seeing
    if not seen:
        assert decision == NOT_FOUND  # answered as if the visit did not exist


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (actor("U_CREATOR"), True),
        (actor("U_DCS"), True),
        (actor("U_ADMIN", admin=True), True),
        (actor("U_MEMBER"), False),
        (actor("U_STRANGER"), False),
        (actor("U_CREATOR", workspace=ELSEWHERE), False),
    ],
    ids=[
        "creator",
        "approver",
        "administrator",
        "member-not-manager",
        "not-a-member",
        "other-workspace",
    ],
)
def test_who_manages_a_visit(who: Actor, allowed: bool) -> None:
    decision = can_manage(who, CHANNEL_VISIT, channel_members=MEMBERS, what="settings")
    assert bool(decision) is allowed
    if who.user_id == "U_MEMBER":
        assert decision.refusal == (
            "Only this visit's managers can change its settings: <@U_CREATOR>, <@U_DCS>, <@U_HEAD>."
        )


@pytest.mark.parametrize(
    ("what", "words"),
    [
        ("settings", "change its settings"),
        ("dates", "change or waive its dates"),
        ("close", "close it"),
        ("reopen", "reopen it"),
    ],
    ids=["settings", "dates", "close", "reopen"],
)
def test_a_refusal_to_manage_says_what_and_who(what: str, words: str) -> None:
    decision = can_manage(actor("U_MEMBER"), CHANNEL_VISIT, channel_members=MEMBERS, what=what)
    assert (
        decision.refusal is not None
        and words in decision.refusal
        and "<@U_CREATOR>" in decision.refusal
    )


def test_a_visit_with_no_creator_or_approvers_names_the_administrators() -> None:
    orphan = VisitFacts(workspace=HOME, channel_id="C_VISITS", created_by=None)
    refusal = can_manage(actor("U_MEMBER"), orphan, channel_members=MEMBERS).refusal
    assert (
        refusal == "Only this visit's managers can change its settings: the bot's administrators."
    )


@pytest.mark.parametrize(
    ("who", "approvers", "requested_by", "allowed", "says"),
    [
        (actor("U_DCS"), {"U_DCS", "U_HEAD"}, "U_MEMBER", True, None),
        (
            actor("U_DCS"),
            {"U_DCS", "U_HEAD"},
            "U_DCS",
            False,
            "someone else must decide it: <@U_HEAD>",
        ),
        (actor("U_DCS"), {"U_DCS"}, "U_DCS", False, "you are this visit's only approver"),
        (
            actor("U_MEMBER"),
            {"U_DCS", "U_HEAD"},
            "U_CREATOR",
            False,
            "Only this visit's approvers can approve or reject: <@U_DCS>, <@U_HEAD>.",
        ),
        (actor("U_MEMBER"), {"U_DCS"}, "U_DCS", False, "Only this visit's approvers"),
        (actor("U_ADMIN", admin=True), {"U_DCS"}, "U_MEMBER", False, "Only this visit's approvers"),
        (actor("U_MEMBER"), set(), "U_CREATOR", False, "it has none yet"),
        (
            actor("U_DCS", workspace=ELSEWHERE),
            {"U_DCS"},
            "U_MEMBER",
            False,
            "cannot see this visit",
        ),
    ],
    ids=[
        "approver",
        "approver-who-requested",
        "only-approver-requested",
        "not-an-approver",
        "not-an-approver-requester-only-approver",
        "administrator-is-not-an-approver",
        "no-approvers",
        "other-workspace",
    ],
)
def test_who_decides_a_sign_off(
    who: Actor, approvers: set[str], requested_by: str, allowed: bool, says: str | None
) -> None:
    visit = VisitFacts(
        workspace=HOME,
        channel_id="C_VISITS",
        created_by="U_CREATOR",
        approvers=frozenset(approvers),
    )
    decision = can_decide_signoff(
        who, visit, channel_members=MEMBERS | {"U_HEAD", "U_ADMIN"}, requested_by=requested_by
    )
    assert bool(decision) is allowed
    if says:
        assert decision.refusal is not None and says in decision.refusal


SLACK_PACKAGES = ("slack_bolt", "slack_sdk")
FRONT_ENDS = ("handlers.slack", "handlers.teams")
"""The core serves the front ends and never reaches into one."""


def test_nothing_under_handlers_core_imports_a_chat_client() -> None:
    core = Path(__file__).resolve().parents[3] / "handlers" / "core"
    found = []
    for path in sorted(core.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            modules = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [
                f"{path.name}: {m}"
                for m in modules
                if m.split(".")[0] in SLACK_PACKAGES or m.startswith(FRONT_ENDS)
            ]
    assert list(core.rglob("*.py")), "handlers/core has no modules to check"
    assert found == []
