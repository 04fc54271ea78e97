"""FHIR date, dateTime and instant values as UTC intervals (shared by the hub and the checks)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?"
                   r"(Z|[+-]\d{2}:\d{2})?)?)?)?$")


def is_fhir_date(text: str) -> bool:
    """Whether `text` has the shape of a FHIR date, dateTime or instant (whether it is a real moment or not)."""
    return bool(_DATE.match(text.strip()))


def date_range(text: str) -> tuple[datetime, datetime]:
    """The UTC interval [start, end) a FHIR date, dateTime or instant covers (its precision)."""
    match = _DATE.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a FHIR date or dateTime")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    tz = timezone.utc
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        return _range(text, year, month, day, hour, minute, second, fraction, tz)
    except OverflowError:
        raise ValueError(f"'{text}' is beyond the dates this server can place in time") from None


def _range(text, year, month, day, hour, minute, second, fraction, tz) -> tuple[datetime, datetime]:
    if hour is None:
        try:
            start = datetime(int(year), int(month or 1), int(day or 1), tzinfo=tz)
        except ValueError:
            raise ValueError(f"'{text}' is not a date of the calendar") from None
        if day:
            end = start + timedelta(days=1)
        elif month:
            end = start.replace(year=start.year + (start.month == 12), month=start.month % 12 + 1)
        else:
            end = start.replace(year=start.year + 1)
    else:
        start = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                         int(round(float(fraction) * 1_000_000)) if fraction else 0, tzinfo=tz)
        end = start + (timedelta(minutes=1) if second is None else
                       timedelta(microseconds=1) if fraction else timedelta(seconds=1))
    try:
        return start.astimezone(timezone.utc), end.astimezone(timezone.utc)
    except OverflowError:  # 9999-12-31T23:59:59-14:00 is past the last moment Python can hold in UTC
        raise ValueError(f"'{text}' is beyond the dates this server can place in time") from None


def utc_text(moment: datetime) -> str:
    """Fixed-width UTC text, so SQLite compares times as strings."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")




def instant(text: str) -> str:
    """A stored fixed-width UTC time as a FHIR instant (`2026-11-24T06:40:00.000000Z` -> `...:00Z`)."""
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
