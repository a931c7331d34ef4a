"""Pure parts: which senders are allowed, what a message holds, which attachment is the letter."""

from __future__ import annotations

import pytest

from handlers.core.mailbox import LetterInMail, NoLetter, read_mail
from scheduler.mailbox.messages import (
    DEFAULT_SENDERS,
    envelope_from_headers,
    parse_mail,
    parse_senders,
    sender_allowed,
)
from scheduler.mailbox.watcher import next_backoff
from tests.factories import docx_from_text, pdf_from_text
from tests.mailbox.conftest import EXAMPLE, REPORT, letter_mail


@pytest.mark.parametrize(
    ("sender", "patterns", "allowed"),
    [
        ("protectionofchildren@ofsted.gov.uk", DEFAULT_SENDERS, True),
        ("ProtectionOfChildren@OFSTED.gov.uk", DEFAULT_SENDERS, True),
        ("someone@ofsted.gov.uk.example.com", DEFAULT_SENDERS, False),
        ("ofsted.gov.uk@example.com", DEFAULT_SENDERS, False),
        ("", DEFAULT_SENDERS, False),
        ("clerk@saxonford.gov.uk", parse_senders("*@ofsted.gov.uk, clerk@saxonford.gov.uk"), True),
        ("other@saxonford.gov.uk", parse_senders("*@ofsted.gov.uk clerk@saxonford.gov.uk"), False),
    ],
    ids=["ofsted", "any-case", "look-alike-domain", "name-not-domain", "no-sender", "listed",
         "not-listed"],
)
def test_senders(sender: str, patterns: tuple[str, ...], allowed: bool) -> None:
    assert sender_allowed(sender, patterns) is allowed


@pytest.mark.parametrize(
    ("previous", "following"),
    [(0.0, 1.0), (1.0, 2.0), (64.0, 128.0), (256.0, 300.0), (300.0, 300.0)],
    ids=["first", "doubles", "doubles-again", "capped", "stays-capped"],
)
def test_backoff(previous: float, following: float) -> None:
    assert next_backoff(previous) == following


def _mail(message):
    raw = message.as_bytes()
    envelope = envelope_from_headers(raw, location="1:1", received_at=None)
    return parse_mail(raw, envelope=envelope)


def test_a_message_without_message_id_gets_one_from_its_bytes() -> None:
    message = letter_mail(attachments=())
    del message["Message-ID"]
    first = _mail(message).envelope.message_id
    assert first == _mail(message).envelope.message_id
    assert first.endswith("@no-message-id.invalid>")


def test_the_letter_is_chosen_over_the_report_and_the_report_goes_with_it() -> None:
    mail = _mail(
        letter_mail(
            attachments=(
                ("report.pdf", pdf_from_text(REPORT)),
                ("letter.docx", docx_from_text(EXAMPLE)),
                ("notes.txt", b"Nothing to see here."),
            )
        )
    )
    found = read_mail(mail)
    assert isinstance(found, LetterInMail)
    assert found.letter is not None and found.letter.filename == "letter.docx"
    assert [other.filename for other in found.others] == ["report.pdf", "notes.txt"]
    assert found.facts.local_authority == "Saxonford"


def test_a_letter_pasted_into_the_mail_itself_is_read_from_its_text() -> None:
    found = read_mail(_mail(letter_mail(attachments=(), body=EXAMPLE)))
    assert isinstance(found, LetterInMail) and found.letter is None


def test_attachments_that_are_not_letters_are_named_in_the_answer() -> None:
    found = read_mail(_mail(letter_mail(attachments=(("agenda.txt", b"Team meeting at 10."),))))
    assert isinstance(found, NoLetter)
    assert "agenda.txt" in found.reason
