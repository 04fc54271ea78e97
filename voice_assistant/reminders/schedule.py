"""When a reminder fires: its local-time occurrences between two instants, right across daylight-saving changes.

Pure: no store, no clock. Instants are aware datetimes; the zone is the patient's (`Profile.zone`). A reminder
says a wall-clock time ("08:00"), so 08:00 stays 08:00 when the clocks change, and each local day gives one
occurrence at most, whose id is that day and the reminder's own "HH:MM" ("2026-03-29T08:00").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from voice_assistant.store import Reminder, reminder_event_id

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Occurrence:
    """One firing of a reminder, on one local day."""

    reminder: Reminder
    day: date
    """The local date it belongs to."""
    at: datetime
    """The instant it fires, in the patient's zone. Usually `day` at the reminder's time; on a spring-forward
    day a time inside the skipped hour fires when the clocks jump (02:30 -> 03:00 in Paris)."""

    @property
    def utc(self) -> datetime:
        """`at` in UTC: compare and subtract instants in UTC (two datetimes sharing a ZoneInfo are compared
        and subtracted by wall clock in Python, which is wrong across a change of offset)."""
        return self.at.astimezone(UTC)

    @property
    def id(self) -> str:
        """Stable: local date + the reminder's "HH:MM" ("2026-03-29T02:30" even when it fired at 03:00)."""
        return f"{self.day.isoformat()}T{self.reminder.time_of_day}"

    @property
    def event_id(self) -> str:
        """The id of the medication event (taken or missed) that answers this occurrence."""
        return reminder_event_id(self.reminder.id, self.id)

    @property
    def local_time(self) -> str:
        """"HH:MM" on the patient's clock when it fires."""
        return self.at.strftime("%H:%M")

    @property
    def medication_id(self) -> str:
        return self.reminder.medication_id

    def to_json(self) -> dict[str, Any]:
        return {"occurrence_id": self.id, "event_id": self.event_id, "at": self.at.isoformat(),
                "local_time": self.local_time}


def runs_on(reminder: Reminder, day: date) -> bool:
    """Whether the reminder fires on this local date ('daily', one of its comma-listed weekdays, or the one date of a
    one-off reminder)."""
    if reminder.days == "daily":
        return True
    if (once := reminder.once_on) is not None:
        return day == once
    days = {part.strip() for part in reminder.days.split(",")}
    unknown = days - set(WEEKDAYS)
    if unknown:
        raise ValueError(f"reminder {reminder.id}: unknown day(s) {sorted(unknown)} in {reminder.days!r}")
    return WEEKDAYS[day.weekday()] in days


def local_instant(day: date, time_of_day: str, zone: tzinfo) -> datetime:
    """The instant the wall clock in `zone` shows `time_of_day` ("HH:MM") on `day`.

    - Autumn (the hour is lived twice): the first pass, fold=0 (summer time). The dose is due once, at the
      first 02:30; the second 02:30 is the same occurrence and must not announce it again.
    - Spring (the hour is skipped, e.g. 02:00-03:00 in Paris on 2026-03-29): the moment the clocks jump
      (03:00). The patient still needs the dose that day; firing at the first minute that exists keeps it as
      close as possible to the prescribed time, where skipping it would silently drop a dose.
    """
    hour, minute = (int(part) for part in time_of_day.split(":"))
    wall = datetime.combine(day, time(hour, minute))
    first = wall.replace(tzinfo=zone, fold=0)
    if _wall_clock(first.astimezone(UTC), zone) == wall:
        return first
    return _end_of_gap(wall, zone)


def occurrences(reminder: Reminder, start: datetime, end: datetime, zone: tzinfo) -> list[Occurrence]:
    """The reminder's occurrences with `start <= at <= end` (both ends included), in time order.

    `start` and `end` are aware instants; the reminder's days and time are read on the clock of `zone`.
    Whether the reminder is active is not looked at: the caller chooses which reminders to ask about.
    """
    for moment in (start, end):
        if moment.utcoffset() is None:
            raise ValueError(f"{moment!r} has no time zone; pass an aware datetime")
    # In UTC: aware datetimes sharing one ZoneInfo compare by wall clock, wrong in the autumn's repeated hour.
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end < start:
        return []
    # One local day of margin each side: a time in a gap just before midnight fires on the next date.
    day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    found = []
    while day <= last_day:
        if runs_on(reminder, day):
            occurrence = Occurrence(reminder, day, local_instant(day, reminder.time_of_day, zone))
            if start <= occurrence.utc <= end:
                found.append(occurrence)
        day += timedelta(days=1)
    return sorted(found, key=lambda o: o.utc)


def next_occurrence(reminder: Reminder, after: datetime, zone: tzinfo) -> Occurrence | None:
    """The first occurrence at or after `after` (None only for a reminder with no valid day)."""
    after = after.astimezone(UTC)
    upcoming = occurrences(reminder, after, after + timedelta(days=8), zone)
    return upcoming[0] if upcoming else None


def _wall_clock(instant: datetime, zone: tzinfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _end_of_gap(wall: datetime, zone: tzinfo) -> datetime:
    """The first instant whose wall-clock time in `zone` is at or after `wall`, which does not exist (a gap)."""
    # PEP 495: in a gap, fold=1 reads the time with the offset after the change (an instant before the jump),
    # fold=0 with the offset before it (an instant after the jump). The jump lies between: bisect to the second.
    low = int(wall.replace(tzinfo=zone, fold=1).timestamp())
    high = int(wall.replace(tzinfo=zone, fold=0).timestamp())
    if low > high:
        low, high = high, low
    while high - low > 1:
        middle = (low + high) // 2
        if _wall_clock(datetime.fromtimestamp(middle, UTC), zone) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC).astimezone(zone)
