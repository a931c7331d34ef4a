"""Letters from a real IMAP mailbox (Dovecot) to the channel: what a council officer sees."""

from __future__ import annotations

import time

from sqlmodel import Session, select

from storage.models import LetterDraft
from tests.factories import pdf_from_text
from tests.handlers.conftest import CHANNEL, all_text
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
    assert buttons(preview) == [
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


def test_the_same_letter_sent_again_is_answered_as_a_duplicate(slack, folders, watch):
    folders.deliver(letter_mail(subject="First"))
    folders.deliver(letter_mail(subject="Sent again"))
    watch()
    slack.wait_for(lambda s: len(mail_posts(s)) == 2, timeout=30)
    first, second = mail_posts(slack)
    assert "Letter read" in all_text(first["blocks"])
    shown = all_text(second["blocks"])
    assert "Sent again" in shown and "The same letter came before" in shown and "First" in shown
    assert buttons(second) == []
