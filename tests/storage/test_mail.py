"""Mail bookkeeping on SQLite and PostgreSQL: one claim per Message-ID, whoever asks first;
a dead holder's claim taken over when its lease runs out; an outage reported once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from storage import mail
from storage.db import session_scope

NOW = datetime(2026, 4, 29, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)
MAILBOX = "imap://letters@mail.example.gov.uk:993/INBOX"


def _claim(engine: Engine, worker: str, *, now: datetime = NOW, message_id: str = "<a@ofsted>"):
    with session_scope(engine) as session:
        arrival = mail.Arrival(
            mailbox=MAILBOX, message_id=message_id, uid="7:1",
            sender="protectionofchildren@ofsted.gov.uk", subject="Letter", received_at=NOW,
        )
        row = mail.claim_message(
            session=session, arrival=arrival, worker=worker, now=now, lease=LEASE
        )
        return None if row is None else row.id


def test_two_processes_claiming_one_message_at_once_get_it_once(engine: Engine) -> None:
    won: list[int | None] = []
    start = threading.Barrier(8)

    def claim(worker: str) -> None:
        start.wait()
        won.append(_claim(engine, worker))

    threads = [threading.Thread(target=claim, args=(f"worker-{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([row for row in won if row is not None]) == 1


def test_a_claim_is_taken_over_only_when_its_lease_has_run_out(engine: Engine) -> None:
    row_id = _claim(engine, "dead")
    assert row_id is not None
    assert _claim(engine, "alive", now=NOW + LEASE - timedelta(seconds=1)) is None
    assert _claim(engine, "alive", now=NOW + LEASE + timedelta(seconds=1)) == row_id
    with session_scope(engine) as session:
        # The dead process, had it woken up, can no longer finish it.
        assert not mail.finish_message(
            session=session, row_id=row_id, worker="dead", outcome="previewed", now=NOW
        )
        assert mail.finish_message(
            session=session, row_id=row_id, worker="alive", outcome="previewed", now=NOW
        )
    # Done: nobody claims it again, however late.
    assert _claim(engine, "later", now=NOW + timedelta(days=1)) is None
    with session_scope(engine) as session:
        assert mail.is_settled(session=session, mailbox=MAILBOX, message_id="<a@ofsted>")


def test_an_outage_is_reported_once_after_it_has_lasted_and_its_end_once(engine: Engine) -> None:
    def failure(at: datetime) -> bool:
        with session_scope(engine) as session:
            return mail.note_failure(
                session=session, mailbox=MAILBOX, now=at, report_after=timedelta(minutes=3)
            )

    assert [failure(NOW + timedelta(minutes=m)) for m in (0, 1, 2, 3, 4, 10)] == [
        False, False, False, True, False, False,
    ]
    with session_scope(engine) as session:
        assert mail.note_read(session=session, mailbox=MAILBOX, now=NOW + timedelta(minutes=11))
    with session_scope(engine) as session:
        assert not mail.note_read(session=session, mailbox=MAILBOX, now=NOW + timedelta(minutes=12))
        assert mail.last_read(session=session) == {MAILBOX: NOW + timedelta(minutes=12)}


def test_mail_left_alone_is_taken_when_its_sender_is_allowed_later(engine: Engine) -> None:
    arrival = mail.Arrival(
        mailbox=MAILBOX, message_id="<b@council>", uid="7:2", sender="clerk@council.gov.uk",
        subject="Forwarded letter", received_at=NOW,
    )
    with session_scope(engine) as session:
        assert mail.record_ignored(session=session, arrival=arrival, now=NOW)
        assert not mail.record_ignored(session=session, arrival=arrival, now=NOW)
        assert not mail.is_settled(session=session, mailbox=MAILBOX, message_id="<b@council>")
    assert _claim(engine, "worker", message_id="<b@council>") is not None
