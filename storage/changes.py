"""Whether anything was committed to the database since an answer was read from it.

An answer that only reads (`/ofsted list`) can be kept and given again for as long as nothing
has been committed since it was read, by any process: the web workers, the dispatcher, a
`ofsted-bot shell`. Each database says so cheaply, without a table of our own to keep up:

- SQLite: `PRAGMA data_version` changes when another connection commits (about 5 µs on a
  connection kept for asking it, and never waiting for a lock in WAL mode);
- PostgreSQL: `pg_current_snapshot()` changes when any transaction that wrote commits or
  starts (one round trip). If two snapshots are equal, no transaction that could have written
  finished between them: one running at the first would have left the running list, one begun
  after it would have moved xmax. It counts the whole server's writes, so it errs on the side
  of reading again.

The token is read before the answer: a commit landing between the two makes the next token
differ, so the answer is read again rather than kept one change too long. Tokens are numbers
that only grow, so an answer read under an older token never replaces one read under a newer.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from functools import partial
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

# Equal tokens: nothing was committed in between; a larger token was given later.
ChangeToken = int
Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")

# How long an answer waits to learn whether the database changed. A database that cannot say
# within this cannot answer the question itself in time for Slack either.
CHANGE_CHECK_TIMEOUT_SECONDS = 1.0


class DatabaseNotAnswering(Exception):
    """The database did not say within the time allowed whether anything changed."""


class ChangeWatch(Protocol):
    def token(self) -> ChangeToken:
        """Equal tokens mean nothing was committed in between; a token given later is never
        smaller. Raises DatabaseNotAnswering."""
        ...

    def close(self) -> None: ...


class SqliteChangeWatch:
    """`PRAGMA data_version`, asked on a connection kept for it in each thread.

    One connection shared by every thread made them queue for it under load (profiled: a third
    of the list's time). Each connection numbers the changes it sees in its own way, so a
    connection that sees its number move advances one generation shared by all, and the
    generation is the token. Any check after a commit either sees the commit itself or comes
    from a connection that already advanced the generation for it: either way its token is
    newer than any taken before the commit.
    """

    def __init__(self, database: str) -> None:
        self._database = database
        self._local = threading.local()
        self._generation = 0
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []

    def token(self) -> ChangeToken:
        local = self._local
        try:
            connection = getattr(local, "connection", None)
            if connection is None:
                # A short busy timeout: in WAL mode the pragma takes no lock, but a reader can
                # wait briefly while another connection rebuilds the WAL index after a crash.
                connection = sqlite3.connect(
                    self._database, timeout=0.5, isolation_level=None, check_same_thread=False
                )
                local.connection, local.seen = connection, None
                with self._lock:
                    self._connections.append(connection)
            version = connection.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error as error:
            self._forget_connection()
            raise DatabaseNotAnswering(str(error)) from error
        if version != local.seen:  # a commit by anyone else since this thread last asked
            with self._lock:
                self._generation += 1
            local.seen = version
        return self._generation

    def _forget_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)
            connection.close()

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()


def _settle(future: Future[Value], work: Callable[[], Value]) -> None:
    """Run `work` and hand its result, or what it raised, to whoever waits on `future`."""
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(work())
    except BaseException as error:
        future.set_exception(error)


def on_daemon_thread(work: Callable[[], Value], *, name: str) -> Future[Value]:
    """Start `work` on a thread of its own. A daemon thread: one stuck on a database that stopped
    answering must not keep the process from exiting, as a thread pool's threads would."""
    future: Future[Value] = Future()
    threading.Thread(target=_settle, args=(future, work), name=name, daemon=True).start()
    return future


class _OneAtATime:
    """Runs jobs one after another on a daemon thread of its own, started on first use."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = (
            queue.SimpleQueue()
        )
        self._started = False
        self._lock = threading.Lock()

    def submit(self, work: Callable[[], Value]) -> Future[Value]:
        future: Future[Value] = Future()
        with self._lock:
            if not self._started:
                threading.Thread(target=self._run, name=self._name, daemon=True).start()
                self._started = True
        self._jobs.put((work, future))
        return future

    def stop(self) -> None:
        self._jobs.put(None)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            work, future = job
            _settle(future, work)


class PostgresChangeWatch:
    """`pg_current_snapshot()` on a connection of its own, asked from one thread.

    The thread is there so that a database that stops answering (dropped packets) holds up only
    that thread, never a request: callers wait at most CHANGE_CHECK_TIMEOUT_SECONDS. Asked one
    at a time, the snapshots come in order: the token counts how often it moved.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._asker = _OneAtATime("change-watch")
        self._connection: Any = None
        self._snapshot_seen: str | None = None
        self._moves = 0

    def token(self) -> ChangeToken:
        future = self._asker.submit(self._snapshot)
        try:
            return future.result(timeout=CHANGE_CHECK_TIMEOUT_SECONDS)
        except FutureTimeout as error:
            raise DatabaseNotAnswering(
                "PostgreSQL did not answer the change check in time"
            ) from error

    def _snapshot(self) -> ChangeToken:
        try:
            if self._connection is None:
                self._connection = self._engine.raw_connection()
                self._connection.driver_connection.autocommit = True
                self._snapshot_seen = None  # what happened while disconnected is not known
            cursor = self._connection.driver_connection.execute(
                "SELECT pg_current_snapshot()::text"
            )
            snapshot = str(cursor.fetchone()[0])
        except Exception as error:
            self._discard_connection()
            raise DatabaseNotAnswering(str(error)) from error
        if snapshot != self._snapshot_seen:
            self._moves += 1
            self._snapshot_seen = snapshot
        return self._moves

    def _discard_connection(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
            except Exception:
                logger.debug("could not discard the change-watch connection", exc_info=True)
            self._connection = None

    def close(self) -> None:
        self._asker.submit(self._discard_connection)
        self._asker.stop()


def change_watch_for(engine: Engine) -> ChangeWatch | None:
    """The watch suited to this engine's database, or None where none can be trusted."""
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        return PostgresChangeWatch(engine)
    if backend == "sqlite":
        database = engine.url.database or ""
        # An in-memory database is a different one on every connection: nothing to watch.
        if (
            database in ("", ":memory:")
            or database.startswith("file:")
            or engine.url.query.get("mode") == "memory"
        ):
            return None
        return SqliteChangeWatch(database)
    return None


class ReadingTakesLong(Exception):
    """The read goes on past the time allowed; `future` gives its answer when it is done."""

    def __init__(self, future: Future[Any]) -> None:
        super().__init__("the read is taking longer than allowed")
        self.future = future


class ReadCache(Generic[Key, Value]):
    """Answers read from the database, kept while nothing has been committed since.

    `get_or_read` gives the kept answer when the database's change token is still the one it
    was read under; otherwise it reads again, on a thread of its own so that the caller can
    stop waiting after `within` seconds (a table locked by a migration holds reads up). The key
    holds whatever else the answer depends on (today's date, say), and who may see it: an answer
    kept for one person must never be given to someone who may not see all it shows (the list
    is keyed by the workspace and the channels the asker is in). A few keys at most are
    kept, the most recently used.
    """

    def __init__(self, *, watch: ChangeWatch | None, size: int = 8) -> None:
        self._watch = watch
        self._size = size
        self._kept: OrderedDict[Key, tuple[ChangeToken, Value]] = OrderedDict()
        # Reads under way, by key and token: askers with the same token wait for the same read.
        # After a commit every asker misses at once; one read each was most of the database's
        # work at 20 commits a second (benchmarks/machinery.py).
        self._reading: dict[tuple[Key, ChangeToken], Future[Value]] = {}
        self._lock = threading.Lock()

    def get_or_read(self, key: Key, read: Callable[[], Value], *, within: float) -> Value:
        """Raises DatabaseNotAnswering when the database cannot say in time whether it changed,
        ReadingTakesLong when reading again takes more than `within` seconds, and whatever
        `read` raises."""
        token = self._watch.token() if self._watch is not None else None  # first: see above
        if token is None:
            future = on_daemon_thread(read, name="read-cache")
        else:
            with self._lock:
                kept = self._kept.get(key)
                if kept is not None and kept[0] == token:
                    self._kept.move_to_end(key)
                    return kept[1]
                under_way = self._reading.get((key, token))
                future = under_way or self._start_reading(key, token, read)
        try:
            return future.result(timeout=within)
        except FutureTimeout:
            raise ReadingTakesLong(future) from None

    def _start_reading(
        self, key: Key, token: ChangeToken, read: Callable[[], Value]
    ) -> Future[Value]:
        """Called holding the lock, so the read cannot finish before it is registered. Reading
        again is rare (once after each change), so a thread each time costs little."""
        work = partial(self._read_and_keep, key, token, read)
        future = on_daemon_thread(work, name="read-cache")
        self._reading[(key, token)] = future
        return future

    def _read_and_keep(self, key: Key, token: ChangeToken, read: Callable[[], Value]) -> Value:
        # The answer is kept before it is given: kept from a done-callback, it was given first
        # and an asker quick to ask again found nothing kept and read again (seen under load).
        try:
            value = read()
            with self._lock:
                kept = self._kept.get(key)
                if kept is None or kept[0] <= token:  # never over an answer read since
                    self._kept[key] = (token, value)
                    self._kept.move_to_end(key)
                    while len(self._kept) > self._size:
                        self._kept.popitem(last=False)
        finally:
            with self._lock:
                del self._reading[(key, token)]
        return value

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
