"""Sign-off reaches people: the approvers get the request in a direct message (and are
mentioned in the reminder's thread), the decision and its reason are shown on the message, on
the timeline and to whoever asked, a waiting sign-off is chased, and the form offers only what
can be done now."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.app import build_dispatcher
from bot.settings import Settings
from handlers.slack import blocks
from tests.handlers.conftest import CHANNEL, OFFICER, all_text
from tests.handlers.test_milestone_buttons import (  # noqa: F401 (reminder is a fixture)
    APPROVER,
    _click,
    _wait_redrawn,
    reminder,
)


def dm_to(bot, user_id: str, needle: str) -> dict:
    return bot.slack.wait_for(
        lambda slack: next(
            (
                m
                for m in slack.messages(user_id)
                if needle in m.get("text", "") + all_text(m.get("blocks", []))
            ),
            None,
        )
    )


def request_sign_off(bot, reminder) -> dict:  # noqa: F811
    plan = reminder[2]
    _click(bot, plan, "approval_request")
    _wait_redrawn(bot, plan["ts"], "asked for sign-off")
    return plan


def test_the_approvers_get_a_direct_message_and_are_mentioned_in_the_thread(bot, reminder):  # noqa: F811
    plan = request_sign_off(bot, reminder)
    asked = dm_to(bot, APPROVER, "asks you to sign off")
    assert f"<@{OFFICER}> asks you to sign off *Draft action plan due*" in asked["text"]
    labels = [
        e["text"]["text"] for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels == ["Approve", "Reject"]
    mention = bot.slack.wait_for(
        lambda slack: next(
            (
                m
                for m in slack.messages(CHANNEL)
                if m.get("thread_ts") == plan["ts"] and f"<@{APPROVER}>" in m.get("text", "")
            ),
            None,
        )
    )
    assert "Each of you has it in a direct message" in mention["text"]


def test_a_rejection_and_its_reason_are_shown_on_the_message_the_timeline_and_to_the_requester(
    bot,
    reminder,  # noqa: F811
):
    request_sign_off(bot, reminder)
    asked = dm_to(bot, APPROVER, "asks you to sign off")
    dm_channel = bot.slack.dm_channel(APPROVER)
    response = bot.driver.block_action(
        user_id=APPROVER, action_id="approval_reject", message=asked, channel_id=dm_channel
    )
    assert response.status == 200
    modal = bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == "milestone_sign_off_modal"),
            None,
        )
    )
    bot.driver.view_submission(
        user_id=APPROVER,
        view=modal,
        values={"decision": {"choice": "rejected"}, "reason": {"text": "Needs the MASH actions"}},
    )
    told = dm_to(bot, OFFICER, "rejected")
    assert told["text"] == (
        f":x: <@{APPROVER}> rejected *Draft action plan due* (`fernleigh-2604`): "
        "Needs the MASH actions"
    )
    redrawn = bot.slack.wait_for(
        lambda slack: next(
            (
                m
                for m in slack.messages(dm_channel)
                if "Sign-off rejected by" in all_text(m.get("blocks", []))
            ),
            None,
        )
    )
    assert f"Sign-off rejected by <@{APPROVER}>: Needs the MASH actions" in all_text(
        redrawn["blocks"]
    )
    _, before = bot.command("show fernleigh-2604")
    timeline = all_text(bot.next_response(before).blocks)
    assert (
        f"Sign-off rejected by <@{APPROVER}> on Tuesday 28 April 2026: Needs the MASH actions"
        in timeline
    )


def test_an_approval_from_the_direct_message_tells_the_requester(bot, reminder):  # noqa: F811
    request_sign_off(bot, reminder)
    asked = dm_to(bot, APPROVER, "asks you to sign off")
    bot.driver.block_action(
        user_id=APPROVER,
        action_id="approval_approve",
        message=asked,
        channel_id=bot.slack.dm_channel(APPROVER),
    )
    told = dm_to(bot, OFFICER, "approved")
    assert told["text"].startswith(f":white_check_mark: <@{APPROVER}> approved *Draft action plan")


def test_a_sign_off_waiting_more_than_two_working_days_is_chased_once_a_day(bot, clock, reminder):  # noqa: F811
    request_sign_off(bot, reminder)  # Tuesday 28 April 2026
    settings = Settings(slack_bot_token=bot.slack.token, slack_api_url=bot.slack.api_url)
    dispatcher = build_dispatcher(settings=settings, engine=bot.engine, clock=clock)
    dispatcher.channel_interval = 0

    def chased() -> int:
        return sum(
            "Still waiting for your sign-off" in m.get("text", "")
            for m in bot.slack.messages(APPROVER)
        )

    clock.now = datetime(2026, 4, 30, 8, 0, tzinfo=UTC)  # Thursday: two working days
    dispatcher.run_pass()
    assert chased() == 0
    clock.now = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)  # Friday: three
    dispatcher.run_pass()
    dispatcher.run_pass()
    assert chased() == 1
    clock.now = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)  # the early May bank holiday
    dispatcher.run_pass()
    assert chased() == 1
    clock.now = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)  # Tuesday
    dispatcher.run_pass()
    assert chased() == 2
    assert [e.action for e in bot.audit()].count("approval_reminded") == 2


class _Milestone:
    id = 2
    kind = "action_plan_draft_due"
    label = "Draft action plan due"
    due_date = datetime(2026, 5, 6).date()
    owner_user_id = None
    status = "open"
    source = "rule"
    evidence = None
    needs_approval = True
    estimate = False

    def __init__(self, approval_status):
        self.approval_status = approval_status


class _Visit:
    id = 1
    reference = "fernleigh-2604"
    local_authority = "Fernleigh"
    visit_type = "focused_visit"


def choices(view: dict) -> list[str]:
    return [
        o["value"]
        for b in view["blocks"]
        if b.get("block_id") == "decision"
        for o in b["element"]["options"]
    ]


def test_the_sign_off_form_offers_only_what_can_be_done_now():
    def form(status, may_decide):
        return blocks.sign_off_modal(
            milestone=_Milestone(status),
            visit=_Visit(),
            decision=None,
            origin={},
            may_decide=may_decide,
        )

    assert choices(form(None, False)) == ["requested"]
    assert choices(form("rejected", True)) == ["requested"]
    assert choices(form("requested", True)) == ["approved", "rejected"]
    waiting = form("requested", False)
    assert choices(waiting) == [] and "submit" not in waiting
    assert "only an approver who did not ask" in all_text(waiting["blocks"])
    done = form("approved", True)
    assert choices(done) == [] and "signed off" in all_text(done["blocks"])


def test_the_sign_off_form_sent_from_a_timeline_is_confirmed(bot, reminder):  # noqa: F811
    _, before = bot.command("show fernleigh-2604")
    timeline = bot.next_response(before)
    menu_block = next(
        b
        for b in timeline.blocks
        if b.get("accessory", {}).get("action_id") == "milestone_menu"
        and b["block_id"].endswith(":2")
    )
    sign_off = next(
        o for o in menu_block["accessory"]["options"] if o["value"].startswith("approval_request:")
    )
    bot.driver.block_action(
        user_id=OFFICER,
        action_id="milestone_menu",
        value=sign_off["value"],
        block_id=menu_block["block_id"],
        message={"ts": "1.0", "blocks": timeline.blocks},
        channel_id=CHANNEL,
        container={
            "type": "message",
            "message_ts": "1.0",
            "channel_id": CHANNEL,
            "is_ephemeral": True,
        },
    )
    modal = bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == "milestone_sign_off_modal"),
            None,
        )
    )
    assert choices(modal) == ["requested"]
    bot.driver.view_submission(
        user_id=OFFICER, view=modal, values={"decision": {"choice": "requested"}}
    )
    done = bot.slack.wait_for(
        lambda slack: next((e for e in slack.ephemerals if "Done:" in e.get("text", "")), None)
    )
    assert done["text"].startswith(f":white_check_mark: Done: <@{OFFICER}> asked for sign-off")
    dm_to(bot, APPROVER, "asks you to sign off")
