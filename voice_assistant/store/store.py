"""`Store`: the repositories the rest of the assistant reads and writes through."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..health.glucose import GlucoseUnit
from . import db
from .errors import sqlite_errors
from .models import (
    Alert,
    AnnouncementKind,
    LabResult,
    MedicationEvent,
    OutboxItem,
    OutboxState,
    Reading,
    Reminder,
    ReminderAnnouncement,
    reminder_event_id,
)
from .paths import default_db_path
from .timestamps import as_said, now_utc_key, parse, utc_key

_TIME_OF_DAY = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# The lab result columns an import may change (everything but the id and the import time).
_LAB_FIELDS = (
    "report_id", "report_status", "loinc", "display", "value", "value_text", "unit",
    "ref_low", "ref_high", "interpretation", "effective_at",
)


class Store:
    """The assistant's database. A write is committed and fsynced before its method returns (or, inside a
    `transaction()` block, before the block ends), so the caller may then confirm it aloud.

    A Store wraps one sqlite3 connection: use it from one thread (open another Store for another thread).
    Every sqlite3 failure surfaces as `StoreError`; malformed arguments raise ValueError.
    """

    def __init__(self, connection: sqlite3.Connection) -> None:
        """Wrap a connection made by `db.connect` (tests may pass one opened otherwise, e.g. read-only,
        as long as it has isolation_level=None: the Store opens and commits its transactions itself)."""
        self._connection = connection
        # sqlite3.Row, or SQLCipher's own Row for an encrypted database (its connections are another class)
        self._connection.row_factory = getattr(sys.modules.get(type(connection).__module__), "Row", sqlite3.Row)
        self._transaction_open = False

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> Store:
        """Open (creating and migrating as needed) the database at `path`, by default `default_db_path()`."""
        return cls(db.connect(Path(path) if path is not None else default_db_path()))

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Commit everything saved in the block together when it ends, or nothing if it raises.

        Use it to save a reading with its outbox entry (and alert) atomically. A nested block is part of the
        outermost one: nothing is committed before the outermost block ends.
        """
        with sqlite_errors():
            if self._transaction_open:
                yield
            else:
                self._transaction_open = True
                try:
                    with db.immediate_transaction(self._connection):
                        yield
                finally:
                    self._transaction_open = False

    # --- readings ---------------------------------------------------------------------------------

    def add_reading(self, reading: Reading) -> bool:
        """Save a reading; True if new, False if this uuid was already saved (the row is left as it was)."""
        with self.transaction():
            cursor = self._connection.execute(
                """INSERT OR IGNORE INTO readings (uuid, glucose_mg_dl, unit_said, value_said, words_said,
                       context, measured_at, measured_at_utc, transcript, asr_confidence, nlu_confidence,
                       created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (reading.uuid, reading.glucose_mg_dl, GlucoseUnit(reading.unit_said).value, reading.value_said,
                 reading.words_said, reading.context, as_said(reading.measured_at), utc_key(reading.measured_at),
                 reading.transcript, reading.asr_confidence, reading.nlu_confidence, now_utc_key()),
            )
            return cursor.rowcount == 1

    def readings(
        self, since: datetime | None = None, until: datetime | None = None, limit: int | None = None
    ) -> list[Reading]:
        """Readings measured in [since, until), newest first."""
        clauses, params = _time_range("measured_at_utc", since, until)
        rows = self._query(
            f"SELECT * FROM readings {_where(clauses)} ORDER BY measured_at_utc DESC, rowid DESC LIMIT ?",
            (*params, _sql_limit(limit)),
        )
        return [_reading(row) for row in rows]

    def last_reading(self) -> Reading | None:
        newest = self.readings(limit=1)
        return newest[0] if newest else None

    # --- medication events ------------------------------------------------------------------------

    def add_medication_event(self, event: MedicationEvent) -> bool:
        """Record a dose taken or missed; True if new, False if this event id was already recorded."""
        with self.transaction():
            cursor = self._connection.execute(
                """INSERT OR IGNORE INTO medication_events (id, medication_id, status, at, at_utc, reminder_id,
                       occurrence, source, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (event.id, event.medication_id, event.status, as_said(event.at), utc_key(event.at),
                 event.reminder_id, event.occurrence, event.source, now_utc_key()),
            )
            return cursor.rowcount == 1

    def medication_events(
        self, since: datetime | None = None, until: datetime | None = None, medication_id: str | None = None
    ) -> list[MedicationEvent]:
        """Events in [since, until), optionally for one medication, newest first."""
        clauses, params = _time_range("at_utc", since, until)
        if medication_id is not None:
            clauses.append("medication_id = ?")
            params.append(medication_id)
        rows = self._query(
            f"SELECT * FROM medication_events {_where(clauses)} ORDER BY at_utc DESC, rowid DESC", params
        )
        return [_medication_event(row) for row in rows]

    def medication_event(self, event_id: str) -> MedicationEvent | None:
        """The event with this id (e.g. `reminder_event_id(...)`), or None."""
        rows = self._query("SELECT * FROM medication_events WHERE id = ?", (event_id,))
        return _medication_event(rows[0]) if rows else None

    # --- reminders --------------------------------------------------------------------------------

    def add_reminder(
        self, medication_id: str, time_of_day: str, days: str = "daily", dose_text: str | None = None
    ) -> Reminder:
        """Create an active reminder at local `time_of_day` ('HH:MM') on `days` ('daily' or 'mon,thu'), or once on
        the local date `days` ('2026-12-07')."""
        if not _TIME_OF_DAY.fullmatch(time_of_day):
            raise ValueError(f"time_of_day must be 'HH:MM' (24 h), not {time_of_day!r}")
        if days != "daily" and not all(day in _WEEKDAYS for day in days.split(",")) and not _is_date(days):
            raise ValueError(f"days must be 'daily', a comma list of {','.join(_WEEKDAYS)} or a date 'YYYY-MM-DD', "
                             f"not {days!r}")
        with self.transaction():
            cursor = self._connection.execute(
                """INSERT INTO reminders (medication_id, time_of_day, days, dose_text, active, created_at)
                   VALUES (?, ?, ?, ?, 1, ?)""",
                (medication_id, time_of_day, days, dose_text, now_utc_key()),
            )
            return self._reminders("WHERE id = ?", (cursor.lastrowid,))[0]

    def active_reminders(self) -> list[Reminder]:
        """Active reminders in the order of the day."""
        return self._reminders("WHERE active = 1", ())

    def cancel_reminders(
        self, *, reminder_id: int | None = None, medication_id: str | None = None, time_of_day: str | None = None
    ) -> list[Reminder]:
        """Deactivate the active reminders matching every criterion given; return them (now inactive)."""
        criteria = {"id": reminder_id, "medication_id": medication_id, "time_of_day": time_of_day}
        given = {column: value for column, value in criteria.items() if value is not None}
        if not given:
            # Cancelling every reminder is never what a vague request means.
            raise ValueError("cancel_reminders needs reminder_id, medication_id or time_of_day")
        where = _where(["active = 1", *(f"{column} = ?" for column in given)])
        with self.transaction():
            matching = self._reminders(where, tuple(given.values()))
            self._connection.executemany("UPDATE reminders SET active = 0 WHERE id = ?", [(r.id,) for r in matching])
            return [replace(reminder, active=False) for reminder in matching]

    def _reminders(self, where: str, params: Sequence[Any]) -> list[Reminder]:
        rows = self._query(f"SELECT * FROM reminders {where} ORDER BY time_of_day, id", params)
        return [_reminder(row) for row in rows]

    # --- reminder announcements ------------------------------------------------------------------

    def record_announcement(
        self, reminder_id: int, occurrence: str, number: int, at: datetime, kind: AnnouncementKind = "reminder"
    ) -> ReminderAnnouncement:
        """Note that announcement `number` (1 = the first) of a reminder occurrence was spoken at `at`.

        Idempotent: recording the same number again, or a lower one, changes nothing (a retried write never
        counts twice). The kind is the one of the first announcement."""
        if number < 1:
            raise ValueError(f"an announcement number starts at 1, not {number}")
        if kind not in ("reminder", "catch_up"):
            raise ValueError(f"kind must be 'reminder' or 'catch_up', not {kind!r}")
        event_id = reminder_event_id(reminder_id, occurrence)
        with self.transaction():
            self._connection.execute(
                """INSERT INTO reminder_announcements (event_id, reminder_id, occurrence, kind, count, first_at,
                       last_at, last_at_utc)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (event_id) DO UPDATE SET count = excluded.count, last_at = excluded.last_at,
                       last_at_utc = excluded.last_at_utc
                   WHERE excluded.count > reminder_announcements.count""",
                (event_id, reminder_id, occurrence, kind, number, as_said(at), as_said(at), utc_key(at)),
            )
            return self._announcements("WHERE a.event_id = ?", (event_id,))[0]

    def reminder_announcement(self, reminder_id: int, occurrence: str) -> ReminderAnnouncement | None:
        found = self._announcements("WHERE a.event_id = ?", (reminder_event_id(reminder_id, occurrence),))
        return found[0] if found else None

    def reminder_announcements(
        self, since: datetime | None = None, unanswered_only: bool = False
    ) -> list[ReminderAnnouncement]:
        """Announcements last spoken from `since` on, oldest first; `unanswered_only`: those whose occurrence
        has no medication event yet (neither taken nor missed)."""
        clauses, params = _time_range("a.last_at_utc", since, None)
        if unanswered_only:
            clauses.append("NOT EXISTS (SELECT 1 FROM medication_events e WHERE e.id = a.event_id)")
        return self._announcements(_where(clauses), params)

    def _announcements(self, where: str, params: Sequence[Any]) -> list[ReminderAnnouncement]:
        rows = self._query(
            f"SELECT a.* FROM reminder_announcements a {where} ORDER BY a.last_at_utc, a.event_id", params
        )
        return [_announcement(row) for row in rows]

    # --- lab results ------------------------------------------------------------------------------

    def upsert_lab_result(self, result: LabResult) -> bool:
        """Add a result or update it in place (an amended report); True if anything changed.
        Importing the same result again changes nothing, not even its import time."""
        columns = ", ".join(_LAB_FIELDS)
        updates = ", ".join(f"{name} = excluded.{name}" for name in _LAB_FIELDS)
        excluded = ", ".join(f"excluded.{name}" for name in _LAB_FIELDS)
        with self.transaction():
            cursor = self._connection.execute(
                f"""INSERT INTO lab_results (id, {columns}, imported_at)
                    VALUES (?, {", ".join("?" for _ in _LAB_FIELDS)}, ?)
                    ON CONFLICT (id) DO UPDATE SET {updates}, imported_at = excluded.imported_at
                    WHERE ({columns}) IS NOT ({excluded})""",
                (result.id, *(getattr(result, name) for name in _LAB_FIELDS), now_utc_key()),
            )
            return cursor.rowcount == 1

    def lab_results(self, loinc: str | None = None) -> list[LabResult]:
        """All results, or those of one test (LOINC code), most recent first."""
        clauses, params = (["loinc = ?"], [loinc]) if loinc is not None else ([], [])
        rows = self._query(f"SELECT * FROM lab_results {_where(clauses)} ORDER BY effective_at DESC, loinc", params)
        return [_lab_result(row) for row in rows]

    # --- alerts -----------------------------------------------------------------------------------

    def add_alert(self, alert: Alert) -> bool:
        """Record an alert; True if new, False if this alert id was already recorded."""
        with self.transaction():
            cursor = self._connection.execute(
                """INSERT OR IGNORE INTO alerts (id, kind, reading_uuid, message, at, at_utc, created_at, confirmed)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                (alert.id, alert.kind, alert.reading_uuid, alert.message, as_said(alert.at), utc_key(alert.at),
                 now_utc_key(), None if alert.confirmed is None else int(alert.confirmed)),
            )
            return cursor.rowcount == 1

    def alerts(self, since: datetime | None = None, limit: int | None = None) -> list[Alert]:
        """Alerts from `since` on, newest first."""
        clauses, params = _time_range("at_utc", since, None)
        rows = self._query(
            f"SELECT * FROM alerts {_where(clauses)} ORDER BY at_utc DESC, rowid DESC LIMIT ?",
            (*params, _sql_limit(limit)),
        )
        return [_alert(row) for row in rows]

    # --- outbox -----------------------------------------------------------------------------------

    def enqueue(self, resource_type: str, resource_key: str, payload: Mapping[str, Any]) -> bool:
        """Queue a resource for sending; True if new, False if `resource_key` was already queued (kept as is)."""
        with self.transaction():
            cursor = self._connection.execute(
                """INSERT OR IGNORE INTO outbox (resource_type, resource_key, payload, created_at)
                   VALUES (?, ?, ?, ?)""",
                (resource_type, resource_key, json.dumps(payload, ensure_ascii=False), now_utc_key()),
            )
            return cursor.rowcount == 1

    def pending_outbox(self, now: datetime, limit: int | None = None) -> list[OutboxItem]:
        """Pending items whose next attempt is due at `now`, oldest first."""
        rows = self._query(
            """SELECT * FROM outbox
               WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
               ORDER BY id LIMIT ?""",
            (utc_key(now), _sql_limit(limit)),
        )
        return [_outbox_item(row) for row in rows]

    def outbox_items(self, state: OutboxState | None = None) -> list[OutboxItem]:
        """Every item, or those in one state, oldest first."""
        clauses, params = (["state = ?"], [state]) if state is not None else ([], [])
        rows = self._query(f"SELECT * FROM outbox {_where(clauses)} ORDER BY id", params)
        return [_outbox_item(row) for row in rows]

    def mark_sent(self, item_id: int, at: datetime) -> None:
        self._update_outbox(
            item_id,
            "state = 'sent', attempts = attempts + 1, sent_at = ?, next_attempt_at = NULL, last_error = NULL",
            (utc_key(at),),
        )

    def mark_retry(self, item_id: int, error: str, next_attempt_at: datetime) -> None:
        """Count a failed attempt and leave the item pending until `next_attempt_at`."""
        self._update_outbox(
            item_id, "attempts = attempts + 1, last_error = ?, next_attempt_at = ?", (error, utc_key(next_attempt_at))
        )

    def mark_dead(self, item_id: int, error: str) -> None:
        """Count a failed attempt and stop retrying (the receiver refused it for good)."""
        self._update_outbox(
            item_id, "state = 'dead', attempts = attempts + 1, last_error = ?, next_attempt_at = NULL", (error,)
        )

    def rekey_outbox_item(self, item_id: int, resource_key: str, payload: Mapping[str, Any],
                          requeue: bool = False) -> bool:
        """Replace an item's key and payload (an identifier migration); `requeue` makes it pending again with
        no attempt counted. When another item already holds `resource_key`, this one is dropped as a
        duplicate; returns False then."""
        with self.transaction():
            taken = self._connection.execute("SELECT id FROM outbox WHERE resource_key = ? AND id != ?",
                                             (resource_key, item_id)).fetchone()
            if taken is not None:
                self._connection.execute("DELETE FROM outbox WHERE id = ?", (item_id,))
                return False
            reset = (", state = 'pending', attempts = 0, next_attempt_at = NULL, last_error = NULL"
                     if requeue else "")
            self._update_outbox(item_id, "resource_key = ?, payload = ?" + reset,
                                (resource_key, json.dumps(payload, ensure_ascii=False)))
            return True

    def _update_outbox(self, item_id: int, assignments: str, params: Sequence[Any]) -> None:
        with self.transaction():
            cursor = self._connection.execute(f"UPDATE outbox SET {assignments} WHERE id = ?", (*params, item_id))
            if cursor.rowcount != 1:
                raise KeyError(f"no outbox item {item_id}")

    # --- settings ---------------------------------------------------------------------------------

    def get_setting(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM settings WHERE key = ?", (key,))
        return rows[0]["value"] if rows else None

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction():
            self._connection.execute(
                """INSERT INTO settings (key, value) VALUES (?, ?)
                   ON CONFLICT (key) DO UPDATE SET value = excluded.value""",
                (key, value),
            )

    # ----------------------------------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        with sqlite_errors():
            return self._connection.execute(sql, params).fetchall()


def _time_range(column: str, since: datetime | None, until: datetime | None) -> tuple[list[str], list[Any]]:
    """Conditions and parameters for `since <= column < until` (either bound optional) on a UTC key column."""
    clauses: list[str] = []
    params: list[Any] = []
    if since is not None:
        clauses.append(f"{column} >= ?")
        params.append(utc_key(since))
    if until is not None:
        clauses.append(f"{column} < ?")
        params.append(utc_key(until))
    return clauses, params


def _where(clauses: Sequence[str]) -> str:
    return "WHERE " + " AND ".join(clauses) if clauses else ""


def _sql_limit(limit: int | None) -> int:
    return -1 if limit is None else limit  # SQLite reads LIMIT -1 as "no limit"


def _reading(row: sqlite3.Row) -> Reading:
    return Reading(
        uuid=row["uuid"], glucose_mg_dl=row["glucose_mg_dl"], unit_said=GlucoseUnit(row["unit_said"]),
        value_said=row["value_said"], words_said=row["words_said"], context=row["context"],
        measured_at=parse(row["measured_at"]), transcript=row["transcript"], asr_confidence=row["asr_confidence"],
        nlu_confidence=row["nlu_confidence"], created_at=parse(row["created_at"]),
    )


def _medication_event(row: sqlite3.Row) -> MedicationEvent:
    return MedicationEvent(
        id=row["id"], medication_id=row["medication_id"], status=row["status"], at=parse(row["at"]),
        source=row["source"], reminder_id=row["reminder_id"], occurrence=row["occurrence"],
        created_at=parse(row["created_at"]),
    )


def _reminder(row: sqlite3.Row) -> Reminder:
    return Reminder(
        id=row["id"], medication_id=row["medication_id"], time_of_day=row["time_of_day"], days=row["days"],
        dose_text=row["dose_text"], active=bool(row["active"]), created_at=parse(row["created_at"]),
    )


def _announcement(row: sqlite3.Row) -> ReminderAnnouncement:
    return ReminderAnnouncement(
        reminder_id=row["reminder_id"], occurrence=row["occurrence"], kind=row["kind"], count=row["count"],
        first_at=parse(row["first_at"]), last_at=parse(row["last_at"]),
    )


def _lab_result(row: sqlite3.Row) -> LabResult:
    return LabResult(
        id=row["id"], **{name: row[name] for name in _LAB_FIELDS}, imported_at=parse(row["imported_at"])
    )


def _alert(row: sqlite3.Row) -> Alert:
    return Alert(
        id=row["id"], kind=row["kind"], reading_uuid=row["reading_uuid"], message=row["message"],
        at=parse(row["at"]), created_at=parse(row["created_at"]),
        confirmed=None if row["confirmed"] is None else bool(row["confirmed"]),
    )


def _outbox_item(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"], resource_type=row["resource_type"], resource_key=row["resource_key"],
        payload=json.loads(row["payload"]), state=row["state"], attempts=row["attempts"],
        next_attempt_at=parse(row["next_attempt_at"]), last_error=row["last_error"],
        created_at=parse(row["created_at"]), sent_at=parse(row["sent_at"]),
    )


def _is_date(text: str) -> bool:
    """'YYYY-MM-DD', a real date."""
    if not _DATE.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
