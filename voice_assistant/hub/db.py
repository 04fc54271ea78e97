"""The hub's own SQLite database: resources with their search indexes, tokens, dashboard sessions, reviews.

One file, WAL mode. Every write runs in `BEGIN IMMEDIATE`, so the check and the insert of a conditional create
are one step for every writer (threads of this process or other processes on the same file), and a unique
index on (type, identifier system, identifier value) makes a duplicate impossible even so.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from voice_assistant.locations import data_dir


SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    patient TEXT,                 -- the Patient id the resource is about (subject, patient or author agent)
    date TEXT,                    -- its clinical time in UTC, fixed width, for date= and ordering
    status TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    last_updated TEXT NOT NULL,   -- when the hub stored it, UTC, fixed width
    author TEXT NOT NULL,         -- "device:NAME" or "clinician:NAME"
    body TEXT NOT NULL,           -- the resource as JSON, with the hub's id and meta
    PRIMARY KEY (type, id)
);
CREATE INDEX IF NOT EXISTS resources_patient ON resources (type, patient, date);
CREATE INDEX IF NOT EXISTS resources_date ON resources (type, date);
CREATE INDEX IF NOT EXISTS resources_patient_all ON resources (patient);

CREATE TABLE IF NOT EXISTS identifiers (
    type TEXT NOT NULL,
    system TEXT NOT NULL,         -- '' when the identifier has no system
    value TEXT NOT NULL,
    id TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS identifiers_unique ON identifiers (type, system, value);

CREATE TABLE IF NOT EXISTS tags (
    type TEXT NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL, id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tags_lookup ON tags (type, system, code);

CREATE TABLE IF NOT EXISTS codes (
    type TEXT NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL, id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS codes_lookup ON codes (type, code, system);

CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY,        -- sha256 of the token, hex; the token itself is never stored
    kind TEXT NOT NULL CHECK (kind IN ('device', 'clinician')),
    name TEXT NOT NULL,
    patient TEXT,                 -- device tokens: the one patient they write and read
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS tokens_name ON tokens (kind, name) WHERE revoked_at IS NULL;

CREATE TABLE IF NOT EXISTS sessions (
    hash TEXT PRIMARY KEY,        -- sha256 of the session cookie
    token_hash TEXT NOT NULL REFERENCES tokens (hash),
    expires_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS reviews (
    patient TEXT PRIMARY KEY,
    reviewed_at TEXT NOT NULL,    -- what arrived up to this time has been looked at
    reviewer TEXT NOT NULL
);
"""


def default_hub_db_path() -> Path:
    """`$XDG_DATA_HOME/voice-assistant/hub.db`, else the platform's user data directory."""
    return data_dir() / "hub.db"


class HubDatabase:
    """Opens connections to the hub's database file; one connection per operation (threads never share one)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        try:
            os.chmod(self.path, 0o600)  # health data and token hashes: the hub's user only
        except OSError:
            pass

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in autocommit mode, for reads and for `transaction()`."""
        conn = self._open()
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction taken up front (`BEGIN IMMEDIATE`): committed on success, rolled back on error."""
        conn = self._open()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()
