"""Opening the SQLite file: durability settings, transactions and schema migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import encryption, sqlite
from .errors import StoreError, sqlite_errors
from .schema import LATEST_VERSION, MIGRATIONS

#: How long a write waits for another process (the hub, a CLI command) to release the database.
BUSY_TIMEOUT_S = sqlite.BUSY_TIMEOUT_S


def connect(path: Path, key: bytes | None = None) -> sqlite3.Connection:
    """Open the database at `path` (creating it and its private folder if needed) and bring its schema up to
    date. Settings and file modes: voice_assistant/store/sqlite.py (one setup for every database). An
    encrypted database is opened with its key file (store/encryption.py) unless `key` is given."""
    path = Path(path)
    if key is None:
        key = encryption.key_for(path)
    # isolation_level=None: no implicit transactions; every write goes through immediate_transaction().
    connection = sqlite.open_connection(path, key=key, isolation_level=None)
    try:
        with sqlite_errors():
            migrate(connection)
    except sqlite3.Error as error:  # pragma: no cover - sqlite_errors converts these
        connection.close()
        raise StoreError(str(error)) from error
    except StoreError as error:
        connection.close()
        raise StoreError(str(error) if str(path) in str(error) else f"{path}: {error}", error.reason) from error
    except BaseException as error:
        connection.close()
        if type(error).__module__.startswith("sqlcipher3"):
            raise sqlite._as_store_error(error, path, key is not None) from error  # type: ignore[arg-type]
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
