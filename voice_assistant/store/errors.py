"""One exception for every storage failure, with a plain message and a reason the dialogue can voice."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from voice_assistant.errors import VoiceAssistantError

StoreProblem = Literal["full", "read_only", "busy", "corrupt", "cannot_open", "io", "too_new", "other"]

# Primary SQLite result code -> (reason, plain message). Extended codes are folded to their primary code.
_PROBLEMS: dict[int, tuple[StoreProblem, str]] = {
    sqlite3.SQLITE_FULL: ("full", "The storage is full: nothing more can be saved until space is freed."),
    sqlite3.SQLITE_READONLY: ("read_only", "The database is read-only: nothing can be saved."),
    sqlite3.SQLITE_BUSY: ("busy", "The database is busy: another program kept it locked too long."),
    sqlite3.SQLITE_LOCKED: ("busy", "The database is busy: another program kept it locked too long."),
    sqlite3.SQLITE_CORRUPT: ("corrupt", "The database file is damaged."),
    sqlite3.SQLITE_NOTADB: ("corrupt", "The file is not a database of this assistant."),
    sqlite3.SQLITE_CANTOPEN: ("cannot_open", "The database file cannot be opened."),
    sqlite3.SQLITE_IOERR: ("io", "The storage could not be read or written (input/output error)."),
}


class StoreError(VoiceAssistantError):
    """Saving or reading failed; `reason` says why in one word, the message says it in a sentence."""

    def __init__(self, message: str, reason: StoreProblem = "other") -> None:
        super().__init__(message)
        self.reason: StoreProblem = reason


def driver_errors() -> tuple[type[BaseException], ...]:
    """sqlite3's errors, and SQLCipher's when an encrypted database was opened (voice_assistant/store/encryption.py)."""
    cipher = sys.modules.get("sqlcipher3.dbapi2")
    return (sqlite3.Error, cipher.Error) if cipher is not None else (sqlite3.Error,)


@contextmanager
def sqlite_errors() -> Iterator[None]:
    """Turn sqlite3 errors raised inside the block into a StoreError."""
    try:
        yield
    except driver_errors() as error:
        code = getattr(error, "sqlite_errorcode", None)
        reason, message = _PROBLEMS.get((code or 0) & 0xFF, ("other", "The database refused the operation."))
        raise StoreError(f"{message} ({error})", reason) from error
