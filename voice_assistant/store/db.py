"""Opening the SQLite file: durability settings, transactions and schema migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import StoreError, sqlite_errors
from .schema import LATEST_VERSION, MIGRATIONS

#: How long a write waits for another process (the hub, a CLI command) to release the database.
BUSY_TIMEOUT_S = 5.0


def connect(path: Path) -> sqlite3.Connection:
    """Open the database at `path` (creating it and its folders if needed) and bring its schema up to date."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"The database folder cannot be created. ({error})", "cannot_open") from error
    with sqlite_errors():
        # isolation_level=None: no implicit transactions; every write goes through immediate_transaction().
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            # WAL: a crash mid-write leaves the last commit intact, and readers never block the writer.
            connection.execute("PRAGMA journal_mode = WAL")
            # FULL: COMMIT returns only once the WAL is fsynced, so a value confirmed aloud survives power loss.
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute("PRAGMA foreign_keys = ON")
            migrate(connection)
        except BaseException:
            connection.close()
            raise
    return connection


@contextmanager
def immediate_transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """Commit everything written in the block, or nothing. Takes the write lock up front (BEGIN IMMEDIATE)
    so a busy database fails here, before any work, rather than at COMMIT."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        # SQLite may already have rolled back by itself (e.g. on SQLITE_FULL).
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


def schema_version(connection: sqlite3.Connection) -> int:
    return connection.execute("PRAGMA user_version").fetchone()[0]


def migrate(connection: sqlite3.Connection) -> None:
    """Apply, in order, the migration steps this database has not run yet; each step is one transaction."""
    _refuse_newer_schema(schema_version(connection))
    while schema_version(connection) < LATEST_VERSION:
        with immediate_transaction(connection):
            # Read again under the write lock: another process may have migrated in the meantime.
            version = schema_version(connection)
            if version < LATEST_VERSION:
                for statement in MIGRATIONS[version]:
                    connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {version + 1}")


def _refuse_newer_schema(version: int) -> None:
    # Older code writing into a newer schema could silently drop what the newer code relies on.
    if version > LATEST_VERSION:
        raise StoreError(
            f"The database was written by a newer version of the assistant (schema {version}; this version "
            f"knows up to {LATEST_VERSION}). Update the assistant. Nothing was changed.",
            "too_new",
        )
