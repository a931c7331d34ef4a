"""Letters from a real IMAP mailbox (Dovecot) to the channel: what a council officer sees."""

from __future__ import annotations

import time

from tests.factories import pdf_from_text
from tests.handlers.conftest import all_text
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
    assert buttons(preview) == ["Create visit", "Attach to an existing visit", "Edit dates", "Dismiss"]
    # Moved to the done folder once previewed; nothing deleted or flagged \Deleted.
    slack.wait_for(lambda _: folders.count(folders.done) == 1)
    assert folders.count(folders.inbox) == 0
    assert folders.deleted_flags() == 0
    assert [row.outcome for row in mail_rows(bot_engine)] == ["previewed"]
