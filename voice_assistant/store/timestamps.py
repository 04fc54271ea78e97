"""How instants are written to the database: as said (with their UTC offset) and as a sortable UTC key."""

from __future__ import annotations

from datetime import UTC, datetime

#: Fixed width and always UTC, so plain text comparison in SQL is instant comparison.
_UTC_KEY_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def as_said(moment: datetime) -> str:
    """ISO-8601 keeping the offset the patient lived it in (08:00+02:00 stays 08:00+02:00)."""
    _require_offset(moment)
    return moment.isoformat()


def utc_key(moment: datetime) -> str:
    """The same instant in UTC, for ordering and range queries across offsets (DST, travel)."""
    _require_offset(moment)
    return moment.astimezone(UTC).strftime(_UTC_KEY_FORMAT)


def parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def now_utc_key() -> str:
    return utc_key(datetime.now(UTC))


def _require_offset(moment: datetime) -> None:
    # A naive time is ambiguous once the clock changes or the device travels: refuse it at the door.
    if moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone; pass an aware datetime")
