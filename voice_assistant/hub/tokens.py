"""Bearer tokens (one per device, one per clinician) and the dashboard's login sessions.

A token is shown once, when it is made; the hub keeps only its SHA-256. A device token writes and reads the
data of one patient: the one given with `--patient`, or else the patient named by the first resource it sends
(then fixed). A clinician token reads everything and opens the dashboard; it never writes resources.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from voice_assistant.errors import InputError
from voice_assistant.hub.db import HubDatabase

DEVICE = "device"
CLINICIAN = "clinician"
KINDS = (DEVICE, CLINICIAN)
TOKEN_PREFIX = "vah_"  #: makes a leaked token recognisable in logs and secret scanners
SESSION_HOURS = 12
LAST_USED_RESOLUTION = timedelta(minutes=5)  #: last_used_at is refreshed at most this often


#: A patient id as the hub files it (voice_assistant/hub/resources.py `_PATIENT_REF`).
_PATIENT_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")

class TokenError(InputError):
    """A token could not be made or revoked (a name already in use, an unknown name)."""


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the kind of token, its name, and for a device the patient it is bound to."""

    kind: str
    name: str
    token_hash: str
    patient: str | None = None

    @property
    def is_device(self) -> bool:
        return self.kind == DEVICE

    @property
    def is_clinician(self) -> bool:
        return self.kind == CLINICIAN

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"

    def with_patient(self, patient: str) -> "Principal":
        return Principal(self.kind, self.name, self.token_hash, patient)


@dataclass(frozen=True)
class TokenInfo:
    kind: str
    name: str
    patient: str | None
    created_at: str
    last_used_at: str | None
    revoked_at: str | None

    def to_json(self) -> dict:
        return {"kind": self.kind, "name": self.name, "patient": self.patient, "created_at": self.created_at,
                "last_used_at": self.last_used_at, "revoked": self.revoked_at is not None,
                "revoked_at": self.revoked_at}


class TokenStore:
    def __init__(self, db: HubDatabase):
        self.db = db

    def add(self, kind: str, name: str, patient: str | None = None) -> str:
        """Make a token and return it (the only time it exists in clear)."""
        if kind not in KINDS:
            raise TokenError(f"unknown token kind '{kind}'")
        name = name.strip()
        if not name:
            raise TokenError("a token needs a name")
        if patient is not None and kind != DEVICE:
            raise TokenError("only a device token is bound to a patient")
        if kind == DEVICE:
            patient = (patient or "").strip()
            if not _PATIENT_ID.fullmatch(patient):
                raise TokenError("a device token is made for one patient: give --patient ID (the patient id the "
                                 "device sends, clinician.patient_id in its profile; letters, digits, '-' and "
                                 "'.', at most 64)")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM tokens WHERE kind=? AND name=? AND revoked_at IS NULL",
                            (kind, name)).fetchone():
                raise TokenError(f"a {kind} token named '{name}' already exists: revoke it first "
                                 f"(voice-assistant hub token revoke --{kind} '{name}')")
            conn.execute("INSERT INTO tokens (hash, kind, name, patient, created_at) VALUES (?, ?, ?, ?, ?)",
                         (hash_secret(token), kind, name, patient, _iso(_now())))
        return token

    def revoke(self, kind: str, name: str) -> None:
        with self.db.transaction() as conn:
            row = conn.execute("SELECT hash FROM tokens WHERE kind=? AND name=? AND revoked_at IS NULL",
                               (kind, name)).fetchone()
            if row is None:
                raise TokenError(f"no active {kind} token named '{name}'")
            conn.execute("UPDATE tokens SET revoked_at=? WHERE hash=?", (_iso(_now()), row["hash"]))
            conn.execute("DELETE FROM sessions WHERE token_hash=?", (row["hash"],))

    def list(self) -> list[TokenInfo]:
        with self.db.connect() as conn:
            rows = conn.execute("SELECT kind, name, patient, created_at, last_used_at, revoked_at FROM tokens "
                                "ORDER BY revoked_at IS NOT NULL, kind, name").fetchall()
        return [TokenInfo(**dict(row)) for row in rows]

    def verify(self, token: str | None) -> Principal | None:
        """The principal behind a bearer token, or None for a missing, unknown or revoked one."""
        if not token:
            return None
        digest = hash_secret(token.strip())
        with self.db.connect() as conn:
            row = conn.execute("SELECT hash, kind, name, patient, last_used_at FROM tokens "
                               "WHERE hash=? AND revoked_at IS NULL", (digest,)).fetchone()
            if row is None or not hmac.compare_digest(row["hash"], digest):
                return None
            now = _now()
            if row["last_used_at"] is None or row["last_used_at"] < _iso(now - LAST_USED_RESOLUTION):
                try:
                    conn.execute("UPDATE tokens SET last_used_at=? WHERE hash=?", (_iso(now), digest))
                except Exception:  # a busy database must not refuse the request
                    pass
        return Principal(row["kind"], row["name"], row["hash"], row["patient"])

    # -- dashboard sessions -------------------------------------------------------------------------------

    def open_session(self, principal: Principal) -> str:
        session = secrets.token_urlsafe(32)
        now = _now()
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE expires_at < ?", (_iso(now),))
            conn.execute("INSERT INTO sessions (hash, token_hash, expires_at) VALUES (?, ?, ?)",
                         (hash_secret(session), principal.token_hash, _iso(now + timedelta(hours=SESSION_HOURS))))
        return session

    def session_principal(self, session: str | None) -> Principal | None:
        if not session:
            return None
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT t.hash, t.kind, t.name, t.patient FROM sessions s JOIN tokens t ON t.hash = s.token_hash "
                "WHERE s.hash=? AND s.expires_at > ? AND t.revoked_at IS NULL",
                (hash_secret(session), _iso(_now()))).fetchone()
        if row is None:
            return None
        return Principal(row["kind"], row["name"], row["hash"], row["patient"])

    def close_session(self, session: str | None) -> None:
        if session:
            with self.db.transaction() as conn:
                conn.execute("DELETE FROM sessions WHERE hash=?", (hash_secret(session),))


def csrf_token(session: str) -> str:
    """The form token that goes with a dashboard session (derived from it, so nothing more is stored)."""
    return hashlib.sha256(("csrf:" + session).encode("utf-8")).hexdigest()[:32]
