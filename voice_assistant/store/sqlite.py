"""One way to open an SQLite file that holds health data, for the patient's database (store/db.py), the
tablet pairing file (tablet/pairing.py) and the clinician hub (hub/db.py).

Every connection gets the same settings:

- `BUSY_TIMEOUT_S` to wait for another process holding the write lock (the hub, a CLI command);
- WAL journal (a crash mid-write leaves the last commit intact; readers never block the writer);
- `synchronous=FULL`: COMMIT returns only once the WAL is on disk, so a value confirmed aloud, or a 201 the hub
  answered, survives a power cut;
- foreign keys on.

Files are private whatever the umask: the folder that holds the database is made 0700, the database and
its `-wal` / `-shm` files 0600 (the file is created 0600 before SQLite opens it, and SQLite gives its WAL and
SHM files the database's mode; the modes are set again after opening, for files an older version left
open to others).

An empty file where a database should be is reported, never silently taken as a new database: it is what a
copy interrupted at the start, or a disk that lost the file's content, leaves behind.

Optional encryption at rest (SQLCipher): `open_connection(..., key=...)` opens the file with
`sqlcipher3` (pip install sqlcipher3-binary) and `PRAGMA key`; see voice_assistant/store/encryption.py.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import StoreError, sqlite_errors

#: How long a write waits for another process to release the database (seconds).
BUSY_TIMEOUT_S = 10.0
DIR_MODE = 0o700
FILE_MODE = 0o600
SIDE_FILES = ("-wal", "-shm", "-journal")



def sqlcipher_module() -> ModuleType:
    """The SQLCipher DB-API module, or a StoreError saying how to install it."""
    try:
        import sqlcipher3.dbapi2 as driver  # type: ignore[import-not-found]
    except ImportError:
        raise StoreError("This database is encrypted (SQLCipher) but the SQLCipher driver is not installed: "
                         "pip install sqlcipher3-binary.", "cannot_open") from None
    return driver

def private_folder(folder: Path) -> None:
    """Make `folder` (and missing parents) and give `folder` itself mode 0700."""
    if folder.exists() and not folder.is_dir():
        raise StoreError(f"{folder} is a file, not a folder: the database cannot be kept there.", "cannot_open")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        if stat.S_IMODE(folder.stat().st_mode) != DIR_MODE:
            os.chmod(folder, DIR_MODE)
    except NotADirectoryError as error:
        raise StoreError(f"The folder {folder} cannot be created: a part of its path is a file.",
                         "cannot_open") from error
    except PermissionError as error:
        raise StoreError(f"The folder {folder} cannot be created or made private: permission denied (a "
                         "read-only place, or another user's).", "read_only") from error
    except OSError as error:
        raise StoreError(f"The folder {folder} cannot be created or made private ({error.strerror or error}).",
                         "cannot_open") from error


def private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 if it does not exist; make it 0600 if it does."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
        os.close(fd)
        if stat.S_IMODE(path.stat().st_mode) != FILE_MODE:
            os.chmod(path, FILE_MODE)
    except PermissionError as error:
        raise StoreError(f"{path} cannot be opened: permission denied (the file or its folder is read-only, or "
                         "belongs to another user).", "read_only") from error
    except IsADirectoryError as error:
        raise StoreError(f"{path} is a folder, not a database file.", "cannot_open") from error
    except OSError as error:
        raise StoreError(f"{path} cannot be created ({error.strerror or error}).", "cannot_open") from error


def _create_private(path: Path, key: bytes | None) -> None:
    """A new, valid, empty database at `path`, mode 0600, appearing there at once: it is made under a
    temporary name and renamed, so a crash never leaves an empty file where the database should be (which
    `check_not_empty` would then refuse)."""
    staged = path.with_name(f".{path.name}.{os.getpid()}.new")
    for leftover in [staged] + [staged.with_name(staged.name + s) for s in SIDE_FILES]:
        leftover.unlink(missing_ok=True)
    private_file(staged)
    driver: Any = sqlite3
    if key is not None:
        driver = sqlcipher_module()
    try:
        with sqlite_errors():
            connection = driver.connect(str(staged), isolation_level=None)
            try:
                if key is not None:
                    connection.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
                connection.execute("PRAGMA journal_mode = WAL")  # writes the header: a database, not 0 bytes
            finally:
                connection.close()
        if path.exists():  # another process made it meanwhile: theirs wins
            staged.unlink(missing_ok=True)
        else:
            os.replace(staged, path)
    finally:
        for leftover in [staged] + [staged.with_name(staged.name + s) for s in SIDE_FILES]:
            leftover.unlink(missing_ok=True)


def tighten(path: Path) -> None:
    """Modes 0600 on the database and its side files that exist (best effort: a read-only mount is left)."""
    for candidate in [path] + [path.with_name(path.name + suffix) for suffix in SIDE_FILES]:
        try:
            if candidate.exists() and stat.S_IMODE(candidate.stat().st_mode) != FILE_MODE:
                os.chmod(candidate, FILE_MODE)
        except OSError:
            pass


def check_not_empty(path: Path, what: str = "database") -> None:
    """An existing empty file is reported (it is never reused as a new database)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    except OSError as error:
        raise StoreError(f"{path} cannot be read ({error.strerror or error}).", "cannot_open") from error
    if stat.S_ISDIR(info.st_mode):
        raise StoreError(f"{path} is a folder, not a {what} file.", "cannot_open")
    if info.st_size == 0:
        raise StoreError(f"{path} is empty (0 bytes): it is not a {what} and was not used as a new one, so "
                         "nothing in it is overwritten. If it should hold data, restore it from a backup; to "
                         "start afresh, move it away.", "corrupt")


def open_connection(path: Path, *, key: bytes | None = None, timeout: float = BUSY_TIMEOUT_S,
                    isolation_level: str | None = None, check_same_thread: bool = True,
                    what: str = "database") -> Any:
    """An open connection to the health-data file at `path`, private and durable (see the module doc).
    `key`: the SQLCipher key (raw bytes) to open an encrypted database. StoreError when it cannot be."""
    path = Path(path)
    private_folder(path.parent)
    check_not_empty(path, what)
    if path.exists():
        tighten(path)
    else:
        _create_private(path, key)
    if key is not None:
        driver: Any = sqlcipher_module()
    else:
        driver = sqlite3
    with sqlite_errors():
        try:
            connection = driver.connect(str(path), timeout=timeout, isolation_level=isolation_level,
                                        check_same_thread=check_same_thread)
        except driver.Error as error:
            raise _as_store_error(error, path, key is not None) from error
        try:
            if key is not None:
                connection.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
            connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()
            del mode
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute("PRAGMA foreign_keys = ON")
        except driver.Error as error:
            connection.close()
            raise _as_store_error(error, path, key is not None) from error
        except BaseException:
            connection.close()
            raise
    tighten(path)
    return connection


def _as_store_error(error: Exception, path: Path, encrypted: bool = False) -> StoreError:
    """A driver error (sqlite3 or sqlcipher3) as a StoreError naming the file."""
    text = str(error)
    if "file is not a database" in text or "malformed" in text:
        key = " (or its encryption key is not the right one)" if encrypted else ""
        return StoreError(f"{path} is damaged or is not a database of this assistant{key}. Nothing was changed. "
                          f"({text})", "corrupt")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"{path} is read-only: nothing can be saved. ({text})", "read_only")
    if "unable to open" in text:
        return StoreError(f"{path} cannot be opened. ({text})", "cannot_open")
    return StoreError(f"{path}: the database refused the operation. ({text})", "other")
