"""Letters reaching the bot: a file shared in a channel, or the `/ofsted letter` modal."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from storage.models import LetterDraft
from tests.factories import image_only_pdf, pdf_from_text
from tests.handlers.conftest import CHANNEL, OFFICER, all_text

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "bot"
    / "examples"
    / "focused-visit-final-report-cover.txt"
).read_text()
# The example letter is dated Tuesday 28 April 2026; the bot reads it the next morning.
NEXT_MORNING = datetime(2026, 4, 29, 8, 0, tzinfo=UTC)


def subscribed(responses):
    """The answer to the `message` event alone: the stand-in also sends `file_shared`, which
    bot/manifest.yml does not subscribe to, so Slack never sends it and the bot has no listener."""
    return responses[:1]


@pytest.fixture(autouse=True)
def _the_morning_after(clock):
    clock.now = NEXT_MORNING


def _share(bot, content, filename="letter.pdf", user_id=OFFICER):
    responses = subscribed(
        bot.driver.share_file(
            content=content, filename=filename, user_id=user_id, channel_id=CHANNEL
        )
    )
    assert all(response.status == 200 and response.within_ack_deadline for response in responses)


def _preview(bot):
    def find(slack):
        return next(
            (
                m
                for m in slack.messages(CHANNEL)
                if m.get("thread_ts") and "Letter read" in all_text(m.get("blocks", []))
            ),
            None,
        )

    return _recorded(bot, bot.slack.wait_for(find))


def _recorded(bot, preview):
    """The preview once the bot has noted which message it is (it posts it, then records its ts
    in a second transaction), so that a test's later look-ups of the draft find it."""

    def noted(_slack):
        with Session(bot.engine) as session:
            recorded = select(LetterDraft).where(LetterDraft.preview_ts == preview["ts"])
            return session.exec(recorded).first()

    bot.slack.wait_for(noted, timeout=30)
    return preview


def test_a_shared_pdf_letter_gets_a_threaded_preview_with_evidence(bot):
    _share(bot, pdf_from_text(EXAMPLE))
    preview = _preview(bot)
    shown = all_text(preview["blocks"])
    assert "Saxonford" in shown
    assert "Wednesday 6 May 2026" in shown  # complaint: 5 working days, across May Day
    assert "Monday 11 May 2026" in shown
    assert "Friday 26 June 2026" in shown
    assert "stated in the letter" in shown
    assert "fifth working day" in shown  # the evidence sentence
    buttons = [
        e["text"]["text"]
        for b in preview["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert buttons == ["Create visit", "Edit dates", "Dismiss"]
    assert bot.visits() == []  # nothing is a visit until someone confirms


def test_create_visit_posts_the_timeline_and_a_double_click_creates_one_visit(bot):
    _share(bot, pdf_from_text(EXAMPLE))
    preview = _preview(bot)
    first = bot.driver.block_action(
        user_id=OFFICER, action_id="draft_create", message=preview, channel_id=CHANNEL
    )
    second = bot.driver.block_action(
        user_id="U_OTHER", action_id="draft_create", message=preview, channel_id=CHANNEL
    )
    assert first.status == second.status == 200

    def timeline(slack):
        return next(
            (m for m in slack.messages(CHANNEL) if "New visit by" in m.get("text", "")), None
        )

    posted = bot.slack.wait_for(timeline)
    shown = all_text(posted["blocks"])
    assert "Saxonford: focused visit" in shown
    assert "Complaint window closes" in shown and "Wednesday 6 May 2026" in shown
    assert "4 working days left" in shown  # Thu 30 Apr, Fri 1 May, (May Day), Tue 5, Wed 6
    assert "saxonford-2604" in shown
    # The one who came second is told, and there is still one visit.
    answer = bot.slack.wait_for(
        lambda slack: next(
            (r for r in slack.responses if "already made into a visit" in r.text), None
        )
    )
    assert answer.response_type == "ephemeral"
    visits = bot.visits()
    assert [v.reference for v in visits] == ["saxonford-2604"]
    assert visits[0].channel_id == CHANNEL
    assert {(m.kind, m.due_date, m.source) for m in bot.milestones()} == {
        ("complaint_deadline", date(2026, 5, 6), "letter"),
        ("embargo_lift", date(2026, 5, 11), "letter"),
        ("survey_deadline", date(2026, 6, 26), "letter"),
    }
    # The preview lost its buttons and says who created the visit.
    updated = bot.slack.wait_for(
        lambda slack: (
            "created visit" in (slack.message(CHANNEL, preview["ts"]) or {}).get("text", "")
            and slack.message(CHANNEL, preview["ts"])
        )
    )
    assert not any(b["type"] == "actions" for b in updated["blocks"])
    assert [e.action for e in bot.audit()] == ["visit_created"]


def test_edit_dates_opens_the_review_modal_and_a_changed_date_is_marked_manual(bot):
    _share(bot, pdf_from_text(EXAMPLE))
    preview = _preview(bot)
    bot.driver.block_action(
        user_id=OFFICER, action_id="draft_edit", message=preview, channel_id=CHANNEL
    )
    modal = bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == "letter_review_modal"), None
        )
    )
    initial = {
        b["block_id"]: b["element"].get("initial_date")
        for b in modal["blocks"]
        if b.get("type") == "input" and b["element"]["type"] == "datepicker"
    }
    assert initial["due_complaint_deadline"] == "2026-05-06"
    assert initial["letter_date"] == "2026-04-28"
    response = bot.driver.view_submission(
        user_id=OFFICER,
        view=modal,
        values={
            "local_authority": {"text": "Saxonford"},
            "visit_type": {"choice": "focused_visit"},
            "letter_date": {"date": "2026-04-28"},
            "due_complaint_deadline": {"date": "2026-05-06"},
            "due_embargo_lift": {"date": "2026-05-12"},
            "due_survey_deadline": {"date": "2026-06-26"},
            "channel": {"channel": CHANNEL},
            "approvers": {"users": ["U_DCS"]},
        },
    )
    assert (response.status == 200 and response.json() in (None, {}, "")) or response.text == ""
    bot.slack.wait_for(
        lambda slack: (
            len(bot.visits()) == 1
            and any("New visit by" in m.get("text", "") for m in slack.messages(CHANNEL))
        )
    )
    sources = {m.kind: (m.due_date, m.source) for m in bot.milestones()}
    assert sources["embargo_lift"] == (date(2026, 5, 12), "manual")
    assert sources["complaint_deadline"] == (date(2026, 5, 6), "letter")


def test_the_review_modal_refuses_a_due_date_before_the_letter(bot):
    _share(bot, pdf_from_text(EXAMPLE))
    preview = _preview(bot)
    bot.driver.block_action(
        user_id=OFFICER, action_id="draft_edit", message=preview, channel_id=CHANNEL
    )
    modal = bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == "letter_review_modal"), None
        )
    )
    response = bot.driver.view_submission(
        user_id=OFFICER,
        view=modal,
        values={
            "local_authority": {"text": "Saxonford"},
            "visit_type": {"choice": "focused_visit"},
            "letter_date": {"date": "2026-04-28"},
            "due_complaint_deadline": {"date": "2026-04-20"},
            "channel": {"channel": CHANNEL},
        },
    )
    errors = response.json()
    assert errors["response_action"] == "errors"
    assert "before the letter date" in errors["errors"]["due_complaint_deadline"]
    assert bot.visits() == []


def test_a_click_before_the_preview_is_recorded_still_settles_that_preview(bot):
    """The bot records the preview's ts after Slack has answered the post; a click in between
    (here: the recorded ts taken away again) names its message itself, and that one is settled."""
    _share(bot, pdf_from_text(EXAMPLE))
    preview = _preview(bot)
    with Session(bot.engine) as session:
        draft = session.exec(
            select(LetterDraft).where(LetterDraft.preview_ts == preview["ts"])
        ).one()
        draft.preview_ts = None
        draft.preview_channel_id = None
        session.add(draft)
        session.commit()
    bot.driver.block_action(
        user_id=OFFICER, action_id="draft_dismiss", message=preview, channel_id=CHANNEL
    )
    settled = bot.slack.wait_for(
        lambda slack: (
            "dismissed" in (slack.message(CHANNEL, preview["ts"]) or {}).get("text", "")
            and slack.message(CHANNEL, preview["ts"])
        )
    )
    assert not any(b["type"] == "actions" for b in settled["blocks"])
    assert bot.visits() == []


def test_dismiss_leaves_no_visit(bot):
    _share(bot, pdf_from_text(EXAMPLE))
    preview = _preview(bot)
    bot.driver.block_action(
        user_id=OFFICER, action_id="draft_dismiss", message=preview, channel_id=CHANNEL
    )
    bot.slack.wait_for(
        lambda slack: "dismissed" in (slack.message(CHANNEL, preview["ts"]) or {}).get("text", "")
    )
    assert bot.visits() == []


@pytest.mark.parametrize(
    ("content", "filename", "said"),
    [
        (image_only_pdf(), "scan.pdf", "no text in it"),
        (
            pdf_from_text(
                "Minutes of the allotment society\n\nThe jam competition is on Saturday."
            ),
            "minutes.pdf",
            "does not look like an Ofsted letter",
        ),
        (b"%PDF-1.4 broken", "broken.pdf", "not a readable PDF"),
    ],
    ids=["scanned", "not-a-letter", "damaged"],
)
def test_a_file_that_is_not_a_readable_letter_gets_an_ephemeral_reason(
    bot, content, filename, said
):
    _share(bot, content, filename=filename)
    ephemeral = bot.slack.wait_for(
        lambda slack: next((e for e in slack.ephemerals if said in e.get("text", "")), None)
    )
    assert ephemeral["user"] == OFFICER
    assert "Traceback" not in ephemeral["text"]
    assert not [m for m in bot.slack.messages(CHANNEL) if m.get("thread_ts")]


def test_a_photo_is_not_answered(bot):
    _share(bot, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, filename="team-photo.png")
    # A letter shared after it is answered: by then the photo's event has been handled too.
    _share(bot, pdf_from_text(EXAMPLE), filename="letter.pdf")
    _preview(bot)
    bot.slack.wait_for(lambda slack: len(bot.slack.calls_to("chat.postMessage")) >= 1)
    replies = [m for m in bot.slack.messages(CHANNEL) if m.get("bot_id")]
    assert len(replies) == 1 and "letter.pdf" in replies[0]["text"]
    assert bot.slack.ephemerals == []


def test_a_redelivered_event_makes_one_preview(bot):
    info = bot.slack.add_file(
        content=pdf_from_text(EXAMPLE), filename="letter.pdf", user_id=OFFICER
    )
    message = bot.slack.post_as_user(CHANNEL, user_id=OFFICER, file_ids=[info["id"]])
    from bot.offline.standin import payloads

    event = payloads.message_event(message, channel_id=CHANNEL, channel_type="channel")
    first = bot.driver.event(event)
    bot.driver.redeliver(first, retry_num=1, reason="http_timeout")
    _preview(bot)
    import time

    time.sleep(0.5)
    previews = [m for m in bot.slack.messages(CHANNEL) if m.get("bot_id")]
    assert len(previews) == 1


def _dm_preview(bot, user_id=OFFICER):
    def find(slack):
        return next(
            (m for m in slack.messages(user_id) if "Letter read" in all_text(m.get("blocks", []))),
            None,
        )

    return _recorded(bot, bot.slack.wait_for(find))


def _letter_modal(bot):
    bot.command("letter")
    return bot.slack.wait_for(
        lambda slack: next(
            (v for v in slack.views.values() if v.get("callback_id") == "letter_modal"), None
        )
    )


def test_the_letter_modal_shows_field_errors_and_saves_nothing(bot):
    modal = _letter_modal(bot)
    empty = bot.driver.view_submission(user_id=OFFICER, view=modal, values={})
    assert empty.json()["errors"] == {"letter_text": "Attach the letter, or paste its text here."}
    not_a_letter = bot.driver.view_submission(
        user_id=OFFICER,
        view=modal,
        values={"letter_text": {"text": "Dear all, the canteen is closed on Friday."}},
    )
    assert "does not look like an Ofsted letter" in not_a_letter.json()["errors"]["letter_text"]
    assert bot.visits() == [] and bot.slack.calls_to("chat.postMessage") == []


def test_pasted_text_is_previewed_privately_and_creates_the_visit_in_the_commands_channel(bot):
    modal = _letter_modal(bot)
    pasted = bot.driver.view_submission(
        user_id=OFFICER, view=modal, values={"letter_text": {"text": EXAMPLE}}
    )
    assert pasted.status == 200 and pasted.within_ack_deadline
    preview = _dm_preview(bot)
    assert "Monday 11 May 2026" in all_text(preview["blocks"])
    assert not [m for m in bot.slack.messages(CHANNEL)]  # nothing shown to the channel yet
    bot.driver.block_action(
        user_id=OFFICER,
        action_id="draft_create",
        message=preview,
        channel_id=bot.slack.dm_channel(OFFICER),
    )
    bot.slack.wait_for(
        lambda slack: any("New visit by" in m.get("text", "") for m in slack.messages(CHANNEL))
    )
    assert [v.channel_id for v in bot.visits()] == [CHANNEL]


def test_the_letter_command_reads_an_attached_file(bot):
    modal = _letter_modal(bot)
    info = bot.slack.add_file(
        content=pdf_from_text(EXAMPLE), filename="letter.pdf", user_id=OFFICER
    )
    bot.driver.view_submission(
        user_id=OFFICER,
        view=modal,
        values={"letter_file": {"file": {"type": "file_input", "files": [info]}}},
    )
    preview = _dm_preview(bot)
    assert "Wednesday 6 May 2026" in all_text(preview["blocks"])


def test_an_attached_file_that_is_not_a_letter_is_answered_in_a_direct_message(bot):
    modal = _letter_modal(bot)
    info = bot.slack.add_file(content=image_only_pdf(), filename="scan.pdf", user_id=OFFICER)
    bot.driver.view_submission(
        user_id=OFFICER,
        view=modal,
        values={"letter_file": {"file": {"type": "file_input", "files": [info]}}},
    )
    answer = bot.slack.wait_for(
        lambda slack: next(
            (m for m in slack.messages(OFFICER) if "no text in it" in m.get("text", "")), None
        )
    )
    assert "Traceback" not in answer["text"]
    assert bot.visits() == []


def test_a_publication_date_the_letter_says_is_usual_stays_expected_from_preview_to_timeline(bot):
    """Issue 12: the letter's own "usually takes place eight working days" gives an expected
    date. The flag used to be lost between the reader and the database, and the date showed as
    due; it is now kept on the draft and on the milestone."""
    stated = EXAMPLE.index("You are free to share the findings")
    usual_only = EXAMPLE[:stated] + EXAMPLE[EXAMPLE.index("\n", stated) :]
    _share(bot, usual_only.encode(), filename="letter.txt")
    preview = _preview(bot)
    assert "expected Monday 11 May 2026" in all_text(preview["blocks"])
    bot.driver.block_action(
        user_id=OFFICER, action_id="draft_create", message=preview, channel_id=CHANNEL
    )
    posted = bot.slack.wait_for(
        lambda slack: next(
            (m for m in slack.messages(CHANNEL) if "New visit by" in m.get("text", "")), None
        )
    )
    shown = all_text(posted["blocks"])
    assert "expected Monday 11 May 2026" in shown
    assert "due Monday 11 May 2026" not in shown
    assert {(m.kind, m.source, m.estimate) for m in bot.milestones()} >= {
        ("embargo_lift", "letter", True)
    }
