"""Answers kept between changes: given again while nothing is committed, read again after any
commit from anywhere, and never waited on longer than allowed. On SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from bot.offline.standin.driver import ACK_DEADLINE
from storage import repo
from storage.changes import (
    ChangeToken,
    ChangeWatch,
    DatabaseNotAnswering,
    ReadCache,
    ReadingTakesLong,
    change_watch_for,
)
from storage.db import create_engine_for, read_scope
from storage.models import UNOWNED
from storage.repo import VisibleTo
from tests.proxies import SwitchableProxy

EVERY_VISIT = VisibleTo(team_id=UNOWNED, user_id="U_ANYONE", channel_ids=None)
"""Every visit of the workspace, as an administrator sees them."""

NOW = datetime(2021, 6, 22, 8, 0, tzinfo=UTC)


def add_visit(engine: Engine, local_authority: str) -> str:
    with Session(engine) as session:
        visit = repo.create_visit(
            session=session,
            local_authority=local_authority,
            visit_type="other",
            letter_date=date(2021, 6, 22),
            visit_dates=[],
            inspectors=[],
            created_by="U_CREATOR",
            channel_id="C01VISITS",
            now=NOW,
            milestones=[
                repo.NewMilestone(
                    kind="survey_deadline",
                    label="Survey",
                    due_date=date(2021, 8, 20),
                    source="letter",
                )
            ],
        )
        session.commit()
        return visit.reference


class CountingRead:
    """The open visits' references, read as the bot reads them; counts how often it was asked."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reads = 0

    def __call__(self) -> list[str]:
        self.reads += 1
        with read_scope(self.engine) as session:
            return [
                visit.reference
                for visit in repo.list_open_visits(session=session, visible_to=EVERY_VISIT)
            ]


class TokensSeen:
    """The real watch, noting every token it gives: how many changes there were to read again for.
    (PostgreSQL's counts commits anywhere on the server, other test runs' included.)"""

    def __init__(self, watch: ChangeWatch) -> None:
        self.watch = watch
        self.tokens: list[ChangeToken] = []

    def token(self) -> ChangeToken:
        token = self.watch.token()
        self.tokens.append(token)
        return token

    def close(self) -> None:
        self.watch.close()

    def changes(self) -> int:
        """How many times the token moved, the first token counted as a move (from nothing)."""
        return sum(
            1
            for before, after in zip([None, *self.tokens], self.tokens, strict=False)
            if before != after
        )


@pytest.fixture
def seen(engine):
    watch = change_watch_for(engine)
    assert watch is not None
    return TokensSeen(watch)


@pytest.fixture
def cache(seen):
    kept: ReadCache = ReadCache(watch=seen)
    yield kept
    kept.close()


def test_a_kept_answer_is_given_until_anything_is_committed(engine, seen, cache):
    # On SQLite only this test touches the file: one read, then one more after the commit. On
    # PostgreSQL a commit anywhere on the server (another test run's) moves the token too, so
    # there the count is the token's moves: never a read while the token stands still.
    sqlite = engine.dialect.name == "sqlite"
    add_visit(engine, "Amberley")
    read = CountingRead(engine)
    assert cache.get_or_read("list", read, within=5) == ["amberley-2106"]
    assert cache.get_or_read("list", read, within=5) == ["amberley-2106"]
    CountingRead(engine)()  # other readers commit nothing
    assert cache.get_or_read("list", read, within=5) == ["amberley-2106"]
    assert read.reads == (1 if sqlite else seen.changes())

    other = create_engine_for(engine.url.render_as_string(hide_password=False))  # another pool
    try:
        add_visit(other, "Brackley")
    finally:
        other.dispose()
    assert cache.get_or_read("list", read, within=5) == ["amberley-2106", "brackley-2106"]
    assert read.reads == (2 if sqlite else seen.changes())


def test_a_commit_from_another_process_is_seen(engine, cache):
    read = CountingRead(engine)
    assert cache.get_or_read("list", read, within=5) == []
    url = engine.url.render_as_string(hide_password=False)
    script = (
        "import sys; from tests.storage.test_changes import add_visit; "
        "from storage.db import create_engine_for; "
        "add_visit(create_engine_for(sys.argv[1]), 'Corby')"
    )
    subprocess.run([sys.executable, "-c", script, url], check=True, timeout=60)
    assert cache.get_or_read("list", read, within=5) == ["corby-2106"]


def test_a_write_begun_before_the_answer_and_committed_after_it_is_seen(engine, cache):
    # The subtle case: the answer is read while another transaction has written but not yet
    # committed, so the answer cannot see it. Its commit must still make the answer stale.
    read = CountingRead(engine)
    writer = create_engine_for(engine.url.render_as_string(hide_password=False))
    try:
        with Session(writer) as session:
            repo.create_visit(
                session=session,
                local_authority="Daventry",
                visit_type="other",
                letter_date=None,
                visit_dates=[],
                inspectors=[],
                created_by="U_CREATOR",
                channel_id="C01VISITS",
                now=NOW,
                milestones=[],
            )
            session.flush()  # written, not committed
            assert cache.get_or_read("list", read, within=5) == []
            session.commit()
        assert cache.get_or_read("list", read, within=5) == ["daventry"]
    finally:
        writer.dispose()


def test_answers_under_different_keys_are_kept_apart(engine, seen, cache):
    assert (
        cache.get_or_read(("list", date(2021, 6, 22)), lambda: "Tuesday's", within=5) == "Tuesday's"
    )
    assert (
        cache.get_or_read(("list", date(2021, 6, 23)), lambda: "Wednesday's", within=5)
        == "Wednesday's"
    )
    again = cache.get_or_read(("list", date(2021, 6, 22)), lambda: "read again", within=5)
    # Kept unless something was committed meanwhile: on PostgreSQL, anywhere on the server.
    unchanged = seen.changes() == 1
    assert unchanged or engine.dialect.name == "postgresql"
    assert again == ("Tuesday's" if unchanged else "read again")


def test_without_a_watch_every_answer_is_read_afresh():
    cache: ReadCache = ReadCache(watch=None)
    answers = iter(["first", "second"])
    assert cache.get_or_read("list", lambda: next(answers), within=5) == "first"
    assert cache.get_or_read("list", lambda: next(answers), within=5) == "second"
    cache.close()


def test_an_in_memory_sqlite_database_is_not_watched():
    assert change_watch_for(create_engine_for("sqlite://")) is None


@pytest.mark.postgres
def test_a_read_held_up_by_a_locked_table_is_not_waited_for(postgres_engine):
    # SQLite's readers never wait in WAL mode; PostgreSQL's wait for ALTER TABLE's lock.
    engine = postgres_engine
    cache: ReadCache = ReadCache(watch=change_watch_for(engine))
    add_visit(engine, "Earls Barton")
    read = CountingRead(engine)
    with engine.connect() as migration:
        migration.execute(text("LOCK TABLE visits IN ACCESS EXCLUSIVE MODE"))  # as ALTER TABLE does
        started = time.monotonic()
        with pytest.raises(ReadingTakesLong) as late:
            cache.get_or_read("list", read, within=0.5)
        # The bound is Slack's, not a speed: a loaded machine may wake the asker late.
        assert time.monotonic() - started < ACK_DEADLINE
        assert not late.value.future.done()
        migration.rollback()
    assert late.value.future.result(timeout=10) == ["earls-barton-2106"]
    assert cache.get_or_read("list", read, within=5) == ["earls-barton-2106"]
    cache.close()


@pytest.mark.postgres
def test_a_database_that_stops_answering_is_reported_within_a_second(postgres_engine):
    url = make_url(postgres_engine.url.render_as_string(hide_password=False))
    proxy = SwitchableProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = create_engine_for(proxy.url(url.render_as_string(hide_password=False)))
    cache: ReadCache = ReadCache(watch=change_watch_for(proxied))
    try:
        read = CountingRead(proxied)
        assert cache.get_or_read("list", read, within=5) == []
        for switch_off in (proxy.drop, proxy.refuse):
            switch_off()
            started = time.monotonic()
            with pytest.raises(DatabaseNotAnswering):
                cache.get_or_read("list", read, within=5)
            # The check gives up after a second; the bound is Slack's: the ack says so in time
            # (a loaded machine can wake the asker late; a check that never gave up never would).
            assert time.monotonic() - started < ACK_DEADLINE
            proxy.restore()
            deadline = time.monotonic() + 30
            while True:  # the watch reconnects once the database is back
                try:
                    assert cache.get_or_read("list", read, within=5) == []
                    break
                except DatabaseNotAnswering:
                    assert time.monotonic() < deadline, "the watch did not recover"
                    time.sleep(0.2)
    finally:
        cache.close()
        proxy.close()
        proxied.dispose()


class HeldRead:
    """A read that takes as long as the test wants: it answers once `release` is set."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.release = threading.Event()
        self.reads = 0

    def __call__(self) -> str:
        self.reads += 1
        assert self.release.wait(timeout=30), "the test never released the read"
        return self.answer


def test_asking_again_while_the_answer_is_being_read_waits_for_that_read(engine, seen, cache):
    # After a commit everyone asking misses at once; they share one read rather than each
    # starting their own. (On PostgreSQL a commit elsewhere between two asks means a new read:
    # one per token seen, never one per ask.)
    read = HeldRead("the list")
    waiting = []
    for _ in range(8):
        with pytest.raises(ReadingTakesLong) as late:
            cache.get_or_read("list", read, within=0.01)
        waiting.append(late.value.future)
    assert read.reads == len(set(seen.tokens))
    read.release.set()
    assert [future.result(timeout=10) for future in waiting] == ["the list"] * 8


def test_an_answer_read_before_a_commit_never_replaces_one_read_after_it(engine, seen, cache):
    slow = HeldRead("the list before Kettering")
    with pytest.raises(ReadingTakesLong) as late:
        cache.get_or_read("list", slow, within=0.01)
    add_visit(engine, "Kettering")
    assert cache.get_or_read("list", lambda: "the list with Kettering", within=5) == (
        "the list with Kettering"
    )
    newer = seen.tokens[-1]
    slow.release.set()
    assert late.value.future.result(timeout=10) == "the list before Kettering"  # to its asker
    again = cache.get_or_read("list", lambda: "read again", within=5)
    # Kept unless something was committed meanwhile: on PostgreSQL, anywhere on the server.
    assert again == ("the list with Kettering" if seen.tokens[-1] == newer else "read again")


def test_answers_asked_from_many_threads_at_once_are_all_right(engine, seen, cache):
    # Each thread asks once first: its first change check (on SQLite, on a connection of its own)
    # cannot know what was committed before, so it counts as a change. After that, with nothing
    # committed, the answer is never read again on each of the 50 asks: askers under the same
    # token share one read, an answer is never replaced by one read under an older token, and
    # a thread whose token went stale while it asked reads again at most once for it. So at most
    # one read per thread for each change PostgreSQL reports (commits anywhere on the server).
    add_visit(engine, "Finedon")
    read = CountingRead(engine)
    threads_count, asks = 8, 50
    all_asked_once = threading.Barrier(threads_count + 1)
    go = threading.Event()
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            results.append(cache.get_or_read("list", read, within=5))
            all_asked_once.wait(timeout=60)
            go.wait(timeout=60)
            for _ in range(asks):
                results.append(cache.get_or_read("list", read, within=5))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    all_asked_once.wait(timeout=60)
    reads_before, tokens_before = read.reads, len(seen.tokens)
    go.set()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert results == [["finedon-2106"]] * threads_count * (asks + 1)
    changes = len(set(seen.tokens[tokens_before:]))
    assert read.reads - reads_before <= threads_count * changes, (
        f"{read.reads - reads_before} reads for {threads_count * asks} asks and {changes} tokens"
    )


def test_a_commit_is_seen_whichever_thread_asks_next(engine, cache):
    # The SQLite watch asks on a connection per thread: a thread whose connection has not yet
    # seen a commit must not give an answer another thread kept from before it.
    read = CountingRead(engine)
    asker = ThreadPoolExecutor(max_workers=1)
    try:

        def ask_elsewhere() -> list[str]:
            return asker.submit(cache.get_or_read, "list", read, within=5).result(timeout=10)

        assert ask_elsewhere() == []
        assert cache.get_or_read("list", read, within=5) == []
        add_visit(engine, "Gretton")
        assert ask_elsewhere() == ["gretton-2106"]
        add_visit(engine, "Harringworth")
        assert cache.get_or_read("list", read, within=5) == ["gretton-2106", "harringworth-2106"]
        assert ask_elsewhere() == ["gretton-2106", "harringworth-2106"]
    finally:
        asker.shutdown()
