"""Pairing a tablet without a password: a one-time spoken code, then a long-lived cookie.

`voice-assistant tablet` (or `tablet pair`) makes a 6-digit code that expires after 10 minutes and allows a few
wrong tries; there is only ever one code open. A browser that gives the right code gets a random token, kept in
an HttpOnly cookie; the device keeps only its SHA-256 (like the hub's tokens), in a small SQLite file next to the
patient's database, opened like every health-data file (voice_assistant/store/sqlite.py: folder 0700, files
0600 whatever the umask). The open code is kept as a salted scrypt hash (about 50 ms per try), so the 10^6 codes
cannot be tried offline within the code's 10 minutes even from a copy of the file. Paired tablets can be listed
and revoked; a revoked tablet's open connection is closed by the server at once (`is_paired`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

from voice_assistant.errors import InputError
from voice_assistant.store import sqlite
from voice_assistant.store.errors import sqlite_errors
from voice_assistant.store.paths import default_db_path

CODE_DIGITS = 6
CODE_MINUTES = 10  #: a code can be used this long after it is made
CODE_ATTEMPTS = 5  #: wrong codes tried before the open code is cancelled
TOKEN_PREFIX = "vat_"  #: a leaked tablet token is recognisable in logs

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pairing_code (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    salt TEXT NOT NULL,
    hash TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    attempts_left INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tablets (
    hash TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    paired_at TEXT NOT NULL,
    last_seen_at TEXT
);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class PairingError(InputError):
    """A code was refused. `reason`: "wrong" (try again), "expired", "used_up" (too many tries) or "none"."""

    def __init__(self, reason: str, attempts_left: int = 0):
        super().__init__(reason)
        self.reason = reason
        self.attempts_left = attempts_left


@dataclass(frozen=True)
class PairingCode:
    code: str  #: the digits, said aloud and printed once
    expires_at: datetime


@dataclass(frozen=True)
class Tablet:
    name: str  #: "tablet 1", "tablet 2"... (what `tablet revoke` takes)
    paired_at: str
    last_seen_at: str | None


def default_pairing_path() -> Path:
    """`tablet.db` next to the patient's database (`$XDG_DATA_HOME/voice-assistant/`)."""
    return default_db_path().with_name("tablet.db")


def _hash(secret: str, salt: str = "") -> str:
    """Tokens (256 random bits): a plain SHA-256 is enough."""
    return hashlib.sha256((salt + secret).encode("utf-8")).hexdigest()


def _code_hash(code: str, salt: str) -> str:
    """The 6-digit code: few possibilities, so a slow, memory-hard hash (scrypt, n=2^14)."""
    return hashlib.scrypt(code.encode("utf-8"), salt=salt.encode("ascii"), n=2**14, r=8, p=1, dklen=32).hex()


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class PairingStore:
    """The open pairing code and the paired tablets' token hashes. Safe to use from several threads and
    processes (`tablet pair` while the server runs): every call opens its own short connection."""

    def __init__(self, path: Path | None = None, clock: Callable[[], datetime] | None = None):
        self.path = Path(path) if path is not None else default_pairing_path()
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        with closing(self._connect()) as conn:
            with sqlite_errors():
                conn.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite.open_connection(self.path, isolation_level=None, what="tablet pairing database")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with closing(self._connect()) as conn, sqlite_errors():
            conn.row_factory = sqlite3.Row
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # --- codes --------------------------------------------------------------------------------------------

    def new_code(self) -> PairingCode:
        """A fresh code; any code still open is cancelled."""
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        salt = secrets.token_hex(8)
        expires = self.clock() + timedelta(minutes=CODE_MINUTES)
        with self._transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO pairing_code (id, salt, hash, expires_at, attempts_left) "
                         "VALUES (1, ?, ?, ?, ?)", (salt, _code_hash(code, salt), _iso(expires), CODE_ATTEMPTS))
        return PairingCode(code, expires)

    def redeem(self, code: str) -> str:
        """The token for a tablet that gave the right code (the code is then used up), or PairingError."""
        code = "".join(ch for ch in str(code) if not ch.isspace())
        refused: PairingError | None = None
        with self._transaction() as conn:  # a refusal is committed (tries counted) before it is raised
            row = conn.execute("SELECT salt, hash, expires_at, attempts_left FROM pairing_code WHERE id=1").fetchone()
            if row is None:
                refused = PairingError("none")
            elif row["expires_at"] < _iso(self.clock()):
                conn.execute("DELETE FROM pairing_code")
                refused = PairingError("expired")
            elif not hmac.compare_digest(_code_hash(code, row["salt"]), row["hash"]):
                left = row["attempts_left"] - 1
                if left <= 0:
                    conn.execute("DELETE FROM pairing_code")
                    refused = PairingError("used_up")
                else:
                    conn.execute("UPDATE pairing_code SET attempts_left=?", (left,))
                    refused = PairingError("wrong", left)
            else:
                conn.execute("DELETE FROM pairing_code")
                token = TOKEN_PREFIX + secrets.token_urlsafe(32)
                names = {r["name"] for r in conn.execute("SELECT name FROM tablets")}
                name = next(f"tablet {n}" for n in range(1, len(names) + 2) if f"tablet {n}" not in names)
                conn.execute("INSERT INTO tablets (hash, name, paired_at) VALUES (?, ?, ?)",
                             (_hash(token), name, _iso(self.clock())))
        if refused is not None:
            raise refused
        return token

    def remember_url(self, url: str) -> None:
        """The running server's address, for `tablet pair` (run while it serves) to print and encode."""
        with self._transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO info (key, value) VALUES ('url', ?)", (url,))

    def url(self) -> str | None:
        with self._transaction() as conn:
            row = conn.execute("SELECT value FROM info WHERE key='url'").fetchone()
        return row["value"] if row else None

    # --- paired tablets -------------------------------------------------------------------------------------

    def verify(self, token: str | None) -> str | None:
        """The paired tablet's name for a token, or None (missing, unknown or revoked)."""
        if not token or not token.startswith(TOKEN_PREFIX):
            return None
        digest = _hash(token.strip())
        with self._transaction() as conn:
            row = conn.execute("SELECT hash, name FROM tablets WHERE hash=?", (digest,)).fetchone()
            if row is None or not hmac.compare_digest(row["hash"], digest):
                return None
            conn.execute("UPDATE tablets SET last_seen_at=? WHERE hash=?", (_iso(self.clock()), digest))
        return row["name"]

    def is_paired(self, token: str | None) -> bool:
        """Whether a token is still a paired tablet's (read only: for the server's watch on open connections)."""
        if not token or not token.startswith(TOKEN_PREFIX):
            return False
        with closing(self._connect()) as conn, sqlite_errors():
            return conn.execute("SELECT 1 FROM tablets WHERE hash=?", (_hash(token.strip()),)).fetchone() is not None

    def tablets(self) -> list[Tablet]:
        with self._transaction() as conn:
            rows = conn.execute("SELECT name, paired_at, last_seen_at FROM tablets ORDER BY paired_at").fetchall()
        return [Tablet(**dict(r)) for r in rows]

    def revoke(self, name: str | None = None) -> int:
        """Forget one paired tablet (by name), or all of them (None); the number forgotten."""
        with self._transaction() as conn:
            if name is None:
                return conn.execute("DELETE FROM tablets").rowcount
            return conn.execute("DELETE FROM tablets WHERE name=?", (name,)).rowcount
