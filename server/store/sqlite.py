"""Sessions in one SQLite file (the standard library's ``sqlite3``), shared by any
number of processes on one machine.

WAL mode: readers never block the writer, and a process killed at any moment
(``kill -9``) leaves the database consistent: a transaction is either in the
log or not. ``synchronous=NORMAL`` makes a commit durable against a process
crash (what ``kill -9`` is); after a power cut the last commits may be lost,
never the file. Every change is one short ``BEGIN IMMEDIATE`` transaction, so
no writer waits long; connections are one per thread.

Waiting for the write lock: threads of one process queue on a Python lock,
and between processes a busy database is retried every few hundred
microseconds here, because SQLite's own busy handler sleeps in steps that
grow to 100 ms (a p99 of a second under load, measured with two workers).
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .base import Backend, Lease

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, version INTEGER NOT NULL, state BLOB NOT NULL,
    client TEXT NOT NULL, last_used REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_last_used ON sessions (last_used);
CREATE INDEX IF NOT EXISTS sessions_client ON sessions (client);
CREATE TABLE IF NOT EXISTS leases (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, expires REAL NOT NULL, wanted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS tombstones (id TEXT PRIMARY KEY, why TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS creations (client TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS creations_client ON creations (client, at);
"""

REMEMBER_TOMBSTONES = 10_000
BUSY_WAIT_SECONDS = 60.0
"""How long a write waits for another process's transaction before it fails."""


class SQLiteBackend(Backend):
    """:class:`~server.store.base.Backend` over one SQLite file at ``path`` (created with its folder)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._write = threading.Lock()  # one writer per process at a time
        try:
            if self.path.is_dir():
                raise ValueError("it is a directory")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db().executescript(SCHEMA)  # its own transaction
            self._identity = _identity(self.path)
        except (sqlite3.Error, OSError, ValueError) as exc:
            # One clear line for the CLI (it exits with it), not a traceback.
            raise ValueError(f"MLP_PLAYGROUND_STORE: cannot use {self.path} as the session store "
                             f"({exc}); move it aside or choose another path") from None

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            if hasattr(self, "_identity"):
                self.check()  # a file that went away is said as such, not as "unable to open"
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE below).
            # A short busy timeout: longer waits are the retry loop's (see the module docstring).
            db = sqlite3.connect(self.path, timeout=0.002, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
            with self._all_lock:
                self._all.append(db)
        return db

    def check(self) -> None:
        """The file is still the one opened. An open connection goes on writing to a file that
        was deleted (its folder removed) or replaced, and those writes would be lost: such a
        store is failing, although SQLite itself says nothing."""
        try:
            same = _identity(self.path) == self._identity
        except OSError:
            same = False
        if not same:
            raise sqlite3.OperationalError(f"the store file {self.path} was deleted or replaced while serving; "
                                           "changes cannot be saved (restore it, or restart the server)")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front (``BEGIN IMMEDIATE``) so it never has to upgrade,
        on the file the store opened (:meth:`check`)."""
        self.check()
        db = self._db()
        with self._write:
            deadline = time.monotonic() + BUSY_WAIT_SECONDS
            delay = 0.0002
            while True:
                try:
                    db.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                        raise
                    time.sleep(delay)
                    delay = min(2 * delay, 0.002)
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def insert(self, session_id: str, state: bytes, client: str, now: float) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO sessions (id, version, state, client, last_used) VALUES (?, 1, ?, ?, ?)",
                       (session_id, state, client, now))

    def load(self, session_id: str) -> tuple[int, bytes] | None:
        row = self._db().execute("SELECT version, state FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else (row[0], bytes(row[1]))

    def acquire(self, session_id: str, owner: str, ttl: float, now: float) -> Lease:
        with self._tx() as db:
            row = db.execute("SELECT version FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                return Lease(True, None)
            held = db.execute("SELECT owner, expires FROM leases WHERE id = ?", (session_id,)).fetchone()
            if held is not None and held[0] != owner and held[1] > now:
                db.execute("UPDATE leases SET wanted = 1 WHERE id = ?", (session_id,))
                return Lease(False, row[0])
            db.execute("INSERT OR REPLACE INTO leases (id, owner, expires, wanted) VALUES (?, ?, ?, 0)",
                       (session_id, owner, now + ttl))
            db.execute("UPDATE sessions SET last_used = ? WHERE id = ?", (now, session_id))
            return Lease(True, row[0])

    def save(self, session_id: str, owner: str, state: bytes, release: bool) -> int | None:
        with self._tx() as db:
            held = db.execute("SELECT owner FROM leases WHERE id = ?", (session_id,)).fetchone()
            if held is None or held[0] != owner:
                return None
            row = db.execute("UPDATE sessions SET version = version + 1, state = ? WHERE id = ? "
                             "RETURNING version", (state, session_id)).fetchone()
            if release or row is None:
                db.execute("DELETE FROM leases WHERE id = ?", (session_id,))
            return None if row is None else row[0]

    def release(self, session_id: str, owner: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM leases WHERE id = ? AND owner = ?", (session_id, owner))

    def renew(self, session_ids: list[str], owner: str, ttl: float, now: float) -> None:
        with self._tx() as db:
            db.executemany("UPDATE leases SET expires = ? WHERE id = ? AND owner = ?",
                           [(now + ttl, sid, owner) for sid in session_ids])

    def wanted(self, session_ids: list[str]) -> set[str]:
        if not session_ids:
            return set()
        marks = ",".join("?" * len(session_ids))
        rows = self._db().execute(f"SELECT id FROM leases WHERE wanted = 1 AND id IN ({marks})", session_ids)
        return {r[0] for r in rows}

    def delete(self, session_id: str, why: str | None) -> bool:
        with self._tx() as db:
            return self._delete(db, [session_id], why) == 1

    def _delete(self, db: sqlite3.Connection, session_ids: list[str], why: str | None) -> int:
        gone = db.executemany("DELETE FROM sessions WHERE id = ?", [(s,) for s in session_ids]).rowcount
        db.executemany("DELETE FROM leases WHERE id = ?", [(s,) for s in session_ids])
        if why is not None and session_ids:
            db.executemany("INSERT OR REPLACE INTO tombstones (id, why, at) VALUES (?, ?, ?)",
                           [(s, why, time.time()) for s in session_ids])
            db.execute("DELETE FROM tombstones WHERE at < (SELECT at FROM tombstones ORDER BY at DESC "
                       "LIMIT 1 OFFSET ?)", (REMEMBER_TOMBSTONES,))
        return gone

    def why_gone(self, session_id: str) -> str | None:
        row = self._db().execute("SELECT why FROM tombstones WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else row[0]

    def ids(self) -> list[str]:
        return [r[0] for r in self._db().execute("SELECT id FROM sessions ORDER BY last_used")]

    def count(self, client: str | None = None) -> int:
        if client is None:
            return self._db().execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
        return self._db().execute("SELECT COUNT(*) FROM sessions WHERE client = ?", (client,)).fetchone()[0]

    def evict(self, keep: int, idle_before: float, why_full: str, why_idle: str) -> list[str]:
        with self._tx() as db:
            idle = [r[0] for r in db.execute("SELECT id FROM sessions WHERE last_used < ?", (idle_before,))]
            self._delete(db, idle, why_idle)
            (n,) = db.execute("SELECT COUNT(*) FROM sessions").fetchone()
            full = [r[0] for r in db.execute("SELECT id FROM sessions ORDER BY last_used LIMIT ?",
                                             (max(0, n - keep),))]
            self._delete(db, full, why_full)
            return idle + full

    def note_creation(self, client: str, now: float, window: float, limit: int) -> bool:
        with self._tx() as db:
            db.execute("DELETE FROM creations WHERE at < ?", (now - window,))
            (n,) = db.execute("SELECT COUNT(*) FROM creations WHERE client = ?", (client,)).fetchone()
            if n >= limit:
                return False
            db.execute("INSERT INTO creations (client, at) VALUES (?, ?)", (client, now))
            return True

    def close(self) -> None:
        with self._all_lock:
            for db in self._all:
                try:
                    db.close()
                except sqlite3.ProgrammingError:  # closed from another thread already
                    pass
            self._all.clear()
        self._local = threading.local()


def _identity(path: Path) -> tuple[int, int]:
    """The file's device and inode: the same while it is the same file."""
    st = os.stat(path)
    return st.st_dev, st.st_ino
