"""A mailed letter's preview in use: Create visit, Attach to an existing visit, and the one-visit-
per-letter rule when the letter comes again, by email or shared in Slack."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session, select

from storage.models import AuditEvent, LetterDraft
from storage.repo import create_visit
from tests.factories import pdf_from_text
from tests.handlers.conftest import CHANNEL, OFFICER, TEAM, all_text
from tests.mailbox.conftest import EXAMPLE, buttons, letter_mail, mail_posts, previews


def _click(bot, preview, action_id):
    response = bot.driver.block_action(
        user_id=OFFICER, action_id=action_id, message=preview, channel_id=CHANNEL
    )
    assert response.status == 200


def _created(bot) -> None:
    bot.slack.wait_for(
        lambda s: any("New visit by" in m.get("text", "") for m in s.messages(CHANNEL)),
        timeout=10,
    )


def test_create_visit_from_a_mailed_letter_and_the_letter_mailed_again_is_tracked(
    bot, folders, watch
):
    letter = (("Saxonford letter.pdf", pdf_from_text(EXAMPLE)),)
    watch()
    folders.deliver(letter_mail(subject="Final report letter", attachments=letter))
    preview = bot.slack.wait_for(lambda s: next(iter(previews(s)), None), timeout=30)
    _click(bot, preview, "draft_create")
    _created(bot)
    [visit] = bot.visits()
    assert visit.local_authority == "Saxonford" and visit.channel_id == CHANNEL

    # The same file again, in a mail of its own (another Message-ID).
    folders.deliver(letter_mail(subject="Final report letter (resent)", attachments=letter))
    # (The first preview was replaced by what became of it: only the answer is a mail post.)
    answer = bot.slack.wait_for(lambda s: next(iter(mail_posts(s)), None), timeout=30)
    shown = all_text(answer["blocks"])
    assert "Final report letter (resent)" in shown
    assert f"This letter is already tracked as `{visit.reference}`" in shown
    assert "shared by email" in shown
    assert buttons(answer) == ["Open it", "Track it anyway", "Dismiss"]
    assert previews(bot.slack) == []
    assert len(bot.visits()) == 1


def test_a_letter_mailed_after_the_same_file_was_shared_in_slack_is_tracked(bot, folders, watch):
    letter = pdf_from_text(EXAMPLE)
    (shared,) = bot.driver.share_file(
        content=letter, filename="letter.pdf", user_id=OFFICER, channel_id=CHANNEL
    )
    assert shared.status == 200
    preview = bot.slack.wait_for(
        lambda s: next((m for m in s.messages(CHANNEL) if "Letter read" in m.get("text", "")
                        or "please check its dates" in m.get("text", "")), None),
        timeout=30,
    )
    _click(bot, preview, "draft_create")
    _created(bot)
    [visit] = bot.visits()

    watch()
    folders.deliver(letter_mail(attachments=(("Saxonford letter.pdf", letter),)))
    answer = bot.slack.wait_for(lambda s: next(iter(mail_posts(s)), None), timeout=30)
    shown = all_text(answer["blocks"])
    assert f"This letter is already tracked as `{visit.reference}`" in shown
    assert f"shared by <@{OFFICER}>" in shown
    assert buttons(answer) == ["Open it", "Track it anyway", "Dismiss"]
    assert len(bot.visits()) == 1


def test_attach_to_an_existing_visit_records_the_letter_on_that_visit(bot, folders, watch):
    with Session(bot.engine) as session:
        existing = create_visit(
            session=session, local_authority="Saxonford", visit_type="focused_visit",
            letter_date=date(2026, 3, 2), visit_dates=[date(2026, 2, 24)], inspectors=[],
            milestones=[], created_by=OFFICER, channel_id=CHANNEL,
            now=datetime(2026, 3, 2, 9, tzinfo=UTC), team_id=TEAM,
        )
        session.commit()
        reference, visit_id = existing.reference, existing.id
    watch()
    folders.deliver(letter_mail())
    preview = bot.slack.wait_for(lambda s: next(iter(previews(s)), None), timeout=30)
    _click(bot, preview, "draft_attach")
    modal = bot.slack.wait_for(
        lambda s: next(
            (v for v in s.views.values() if v.get("callback_id") == "mail_attach_modal"), None
        ),
        timeout=10,
    )
    assert reference in all_text(modal["blocks"])
    submitted = bot.driver.view_submission(
        user_id=OFFICER, view=modal, values={"visit": {"visit": reference}}
    )
    assert submitted.status == 200

    def settled(slack):
        message = slack.message(CHANNEL, preview["ts"])
        return message if "attached this letter" in message.get("text", "") else None

    settled_preview = bot.slack.wait_for(settled, timeout=10)
    assert f"visit `{reference}`" in settled_preview["text"]
    assert len(bot.visits()) == 1  # nothing created
    with Session(bot.engine) as session:
        [draft] = session.exec(select(LetterDraft)).all()
        assert (draft.status, draft.visit_id, draft.resolved_by) == ("created", visit_id, OFFICER)
        events = session.exec(select(AuditEvent).where(AuditEvent.visit_id == visit_id))
        actions = [event.action for event in events]
    assert "letter_attached" in actions
