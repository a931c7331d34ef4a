"""Letters from a real IMAP mailbox (Dovecot) to the channel: what a council officer sees."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import Session, select

from storage import repo
from storage.models import AuditEvent, LetterDraft, Visit
from tests.factories import pdf_from_text
from tests.handlers.conftest import CHANNEL, OFFICER, TEAM, all_text
from tests.hostile import pdf_bomb
from tests.mailbox.conftest import (
    EXAMPLE,
    REPORT,
    buttons,
    letter_mail,
    mail_posts,
    mail_rows,
    previews,
)

# The front matter of an inspection report: no deadlines of its own.
REPORT_FILE = (
    Path(__file__).resolve().parents[1] / "scheduler" / "letters"
    / "ilacs-report-front-matter-ashcombe.txt"
).read_bytes()


def test_a_letter_emailed_as_a_pdf_is_previewed_within_one_polling_interval(
    slack, folders, watch, bot_engine
):
    watching = watch(mailbox_interval=10.0)
    slack.wait_for(lambda _: mail_rows(bot_engine) == [] and watching.thread.is_alive())
    time.sleep(0.5)  # the watcher has read the empty folder and waits
    sent = time.monotonic()
    folders.deliver(letter_mail(subject="Saxonford focused visit: final report"))

    preview = slack.wait_for(lambda s: next(iter(previews(s)), None), timeout=10.0)
    assert time.monotonic() - sent < watching.watcher.interval
    shown = all_text(preview["blocks"])
    assert "From *protectionofchildren@ofsted.gov.uk*" in shown
    assert "Saxonford focused visit: final report" in shown
    assert "received" in shown
    assert "Saxonford" in shown and "Wednesday 6 May 2026" in shown
    # (After "Track as a record" once every date in the letter has passed.)
    assert buttons(preview)[-4:] == [
        "Create visit", "Attach to an existing visit", "Edit dates", "Dismiss"
    ]
    # Moved to the done folder once previewed; nothing deleted or flagged \Deleted.
    slack.wait_for(lambda _: folders.count(folders.done) == 1)
    assert folders.count(folders.inbox) == 0
    assert folders.deleted_flags() == 0
    assert [row.outcome for row in mail_rows(bot_engine)] == ["previewed"]


def test_without_idle_the_folder_is_read_every_interval(slack, folders, watch):
    watching = watch(idle=False, mailbox_interval=2.0)
    time.sleep(0.5)
    for number in range(2):
        sent = time.monotonic()
        folders.deliver(letter_mail(subject=f"Polled {number}", attachments=()))
        slack.wait_for(lambda s, n=number: len(mail_posts(s)) == n + 1, timeout=15)
        # At most one interval of waiting, and the reading after it (a few seconds at most on
        # a loaded machine: a text attachment, no child reader).
        assert time.monotonic() - sent < watching.watcher.interval + 3.0


def test_a_sender_not_allowed_is_left_alone_and_never_previewed(slack, folders, watch, bot_engine):
    folders.deliver(letter_mail(sender="someone@example.com", subject="Fake Ofsted letter"))
    folders.deliver(letter_mail(subject="The real one"))
    watch()
    slack.wait_for(lambda s: len(previews(s)) == 1, timeout=30)
    slack.wait_for(lambda _: folders.count(folders.done) == 1, timeout=10)
    time.sleep(1)
    assert len(mail_posts(slack)) == 1
    assert "The real one" in all_text(previews(slack)[0]["blocks"])
    assert "Fake Ofsted letter" not in str(slack.messages(CHANNEL))
    # Left where it was, unflagged; noted once as ignored.
    assert folders.count(folders.inbox) == 1
    assert folders.deleted_flags() == 0
    assert sorted(row.outcome for row in mail_rows(bot_engine)) == ["ignored", "previewed"]


def test_a_letter_and_its_report_give_one_preview_with_the_report_attached(
    slack, folders, watch
):
    folders.deliver(
        letter_mail(
            attachments=(
                ("Saxonford inspection report.pdf", pdf_from_text(REPORT)),
                ("Saxonford letter.pdf", pdf_from_text(EXAMPLE)),
            )
        )
    )
    watch()
    preview = slack.wait_for(lambda s: next(iter(previews(s)), None), timeout=30)
    shown = all_text(preview["blocks"])
    assert "Read from Saxonford letter.pdf" in shown
    assert "Also attached (in the thread): Saxonford inspection report.pdf" in shown
    upload = slack.wait_for(lambda s: next(iter(s.uploads), None), timeout=10)
    assert upload.filename == "Saxonford inspection report.pdf"
    assert upload.thread_ts == preview["ts"]
    time.sleep(0.5)
    assert len(mail_posts(slack)) == 1


def test_mail_with_no_attachment_is_answered_and_changes_nothing(
    slack, folders, watch, bot_engine
):
    folders.deliver(
        letter_mail(subject="<!channel> Hello", attachments=(), body="Just saying hello.")
    )
    watch()
    answer = slack.wait_for(lambda s: next(iter(mail_posts(s)), None), timeout=30)
    shown = all_text(answer["blocks"])
    assert "“&lt;!channel&gt; Hello”" in shown  # shown as written, never a mention
    assert "no PDF, Word or text attachment" in shown
    assert buttons(answer) == []
    with Session(bot_engine) as session:
        assert session.exec(select(LetterDraft)).all() == []
    slack.wait_for(lambda _: folders.count(folders.done) == 1, timeout=10)


def test_a_hostile_attachment_is_refused_within_the_readers_bounds(slack, folders, watch):
    folders.deliver(letter_mail(attachments=(("letter.pdf", pdf_bomb(unpacked_mb=600)),)))
    watch()
    answer = slack.wait_for(lambda s: next(iter(mail_posts(s)), None), timeout=60)
    shown = all_text(answer["blocks"])
    assert "I could not read letter.pdf" in shown
    assert "No visit can be made" in shown
    assert buttons(answer) == []


def test_the_same_message_delivered_twice_is_previewed_once(slack, folders, watch, bot_engine):
    twice = letter_mail(message_id="<same-letter-twice@ofsted.gov.uk>")
    folders.deliver(twice)
    folders.deliver(twice)
    watch()
    slack.wait_for(lambda s: len(previews(s)) == 1, timeout=30)
    slack.wait_for(lambda _: folders.count(folders.done) == 2, timeout=10)
    time.sleep(0.5)
    assert len(mail_posts(slack)) == 1
    assert len(mail_rows(bot_engine)) == 1


def _report_mail():
    return letter_mail(subject="Ashcombe report", attachments=(("report.txt", REPORT_FILE),))


def _ashcombe_visit(engine) -> str:
    """A tracked inspection of Ashcombe, 4 to 15 March 2024: the report below is its report."""
    with Session(engine) as session:
        visit = repo.create_visit(
            session=session, team_id=TEAM, local_authority="Ashcombe",
            visit_type="standard_inspection", letter_date=date(2024, 3, 20),
            visit_dates=[date(2024, 3, 4), date(2024, 3, 15)], inspectors=[],
            created_by=OFFICER, channel_id=CHANNEL, now=datetime(2024, 3, 20, 9, tzinfo=UTC),
            milestones=[],
        )
        session.commit()
        return visit.reference


def test_a_report_mailed_for_a_tracked_visit_is_kept_with_it(slack, folders, watch, bot_engine):
    reference = _ashcombe_visit(bot_engine)
    folders.deliver(_report_mail())
    watch()
    answer = slack.wait_for(lambda s: next(iter(mail_posts(s)), None), timeout=30)
    shown = all_text(answer["blocks"])
    assert f"report.txt is the report of `{reference}`" in shown and "made no new one" in shown
    assert buttons(answer) == []  # Open it is beside the text, not a button row
    slack.wait_for(lambda _: folders.count(folders.done) == 1, timeout=10)
    with Session(bot_engine) as session:
        [draft] = session.exec(select(LetterDraft)).all()
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "report_attached"))
        assert [event.note for event in events] == ["report.txt"]
        assert session.exec(select(Visit)).all()[0].reference == reference
        assert len(session.exec(select(Visit)).all()) == 1
    assert (draft.status, draft.resolved_by) == ("created", "mailbox")
    assert [row.outcome for row in mail_rows(bot_engine)] == ["attached"]


def test_a_mailed_document_without_deadlines_is_not_offered_create_visit(slack, folders, watch):
    folders.deliver(_report_mail())
    watch()
    preview = slack.wait_for(lambda s: next(iter(previews(s)), None), timeout=30)
    assert "I found no deadlines in this document" in all_text(preview["blocks"])
    assert buttons(preview) == ["Add dates", "Attach to an existing visit", "Dismiss"]


def test_a_report_whose_answer_failed_to_post_is_kept_once_when_tried_again(
    slack, folders, watch, bot_engine
):
    reference = _ashcombe_visit(bot_engine)
    slack.fail_next("chat.postMessage", status=500, times=3)  # more than the client's retries
    folders.deliver(_report_mail())
    watch(mailbox_interval=1.0)
    answer = slack.wait_for(lambda s: next(iter(mail_posts(s)), None), timeout=60)
    assert f"is the report of `{reference}`" in all_text(answer["blocks"])
    slack.wait_for(lambda _: folders.count(folders.done) == 1, timeout=10)
    time.sleep(1.5)  # another reading: nothing more
    assert len(slack.calls_to("chat.postMessage")) == 4  # three refused, then the answer
    assert len(mail_posts(slack)) == 1
    with Session(bot_engine) as session:
        assert len(session.exec(select(LetterDraft)).all()) == 1
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "report_attached"))
        assert len(events.all()) == 1
    assert [row.outcome for row in mail_rows(bot_engine)] == ["attached"]
