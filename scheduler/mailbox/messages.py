"""A message as the bot sees it: who sent it, when, and which of its parts may be a letter.

Pure: bytes in, a `Mail` out; the sender check is a function of the address and the patterns.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from fnmatch import fnmatchcase

DEFAULT_SENDERS = ("*@ofsted.gov.uk",)
# What the reader can read: the same kinds as a file shared in the chat.
LETTER_SUFFIXES = (".pdf", ".docx", ".txt")
LETTER_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "text/plain": ".txt",
}


@dataclass(frozen=True)
class Envelope:
    """What the mailbox says about a message before its body is fetched."""

    location: str
    message_id: str
    sender: str
    subject: str
    received_at: datetime | None
    size: int = 0


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Mail:
    envelope: Envelope
    attachments: tuple[Attachment, ...]
    # The plain-text body: a letter pasted into the mail itself is read from here.
    body: str


def sender_allowed(sender: str, patterns: tuple[str, ...]) -> bool:
    """Whether `sender` (an address) matches one of the patterns, such as *@ofsted.gov.uk."""
    address = sender.strip().lower()
    return bool(address) and any(fnmatchcase(address, pattern.lower()) for pattern in patterns)


def parse_senders(value: str) -> tuple[str, ...]:
    """MAILBOX_SENDERS: patterns separated by commas or spaces."""
    return tuple(part for part in value.replace(",", " ").split() if part)


def sender_address(header: str | None) -> str:
    addresses = [address for _, address in getaddresses([header or ""]) if address]
    return addresses[0].lower() if addresses else ""


def message_id_of(header: str | None, *, raw: bytes) -> str:
    """The Message-ID, or one made from the message's bytes when the sender gave none."""
    found = (header or "").strip()
    if found:
        return found
    return f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid>"


def header_date(header: str | None) -> datetime | None:
    if not header:
        return None
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def envelope_from_headers(
    raw_headers: bytes, *, location: str, received_at: datetime | None, size: int = 0
) -> Envelope:
    headers = email.message_from_bytes(raw_headers, policy=email.policy.default)
    return Envelope(
        location=location,
        message_id=message_id_of(_header(headers, "Message-ID"), raw=raw_headers),
        sender=sender_address(_header(headers, "From")),
        subject=" ".join((_header(headers, "Subject") or "").split()),
        received_at=received_at or header_date(_header(headers, "Date")),
        size=size,
    )


def parse_mail(raw: bytes, *, envelope: Envelope) -> Mail:
    """The message's attachments that could be letters or reports, and its plain-text body."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    attachments: list[Attachment] = []
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        filename = (part.get_filename() or "").strip() or _name_for(part.get_content_type())
        attachments.append(
            Attachment(filename=filename, content_type=part.get_content_type(), data=data)
        )
    body_part = message.get_body(preferencelist=("plain",))
    body = ""
    if isinstance(body_part, EmailMessage):
        try:
            body = str(body_part.get_content())
        except (LookupError, ValueError):
            body = ""
    return Mail(envelope=envelope, attachments=tuple(attachments), body=body)


def is_document(attachment: Attachment) -> bool:
    """Whether the reader could read it: a PDF, a Word file or plain text, by name or by type."""
    name = attachment.filename.lower()
    return name.endswith(LETTER_SUFFIXES) or attachment.content_type in LETTER_TYPES


def _name_for(content_type: str) -> str:
    return "attachment" + LETTER_TYPES.get(content_type, "")


def _header(message: email.message.Message, name: str) -> str | None:
    try:
        value = message.get(name)
    except (IndexError, ValueError):  # a header the policy cannot parse
        return None
    return None if value is None else str(value)
