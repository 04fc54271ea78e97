"""The database schema as an append-only list of migration steps.

Step N (1-based) takes a database from `PRAGMA user_version` N-1 to N. A shipped step is never edited:
patients' devices already ran it. Change the schema by appending a step.

Columns ending in `_utc` hold the same instant as their neighbour in fixed-width UTC text, so SQL can sort
and filter by time even when readings were taken under different offsets (summer time, travel).
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: initial schema
    (
        """
        CREATE TABLE readings (
            uuid            TEXT PRIMARY KEY,   -- made at capture, so a retried save is recognised
            glucose_mg_dl   REAL NOT NULL,
            unit_said       TEXT NOT NULL CHECK (unit_said IN ('g/L', 'mmol/L', 'mg/dL')),
            value_said      REAL NOT NULL,
            words_said      TEXT NOT NULL,
            context         TEXT,               -- fasting | before_meal | after_meal | bedtime
            measured_at     TEXT NOT NULL,      -- ISO-8601 with the patient's UTC offset
            measured_at_utc TEXT NOT NULL,
            transcript      TEXT NOT NULL,
            asr_confidence  REAL,
            nlu_confidence  REAL,
            created_at      TEXT NOT NULL
        )
        """,
        "CREATE INDEX readings_by_time ON readings (measured_at_utc)",
        """
        CREATE TABLE reminders (
            id            INTEGER PRIMARY KEY,
            medication_id TEXT NOT NULL,
            time_of_day   TEXT NOT NULL,        -- 'HH:MM' local wall-clock time: 08:00 stays 08:00 across DST
            days          TEXT NOT NULL,        -- 'daily' or 'mon,tue,...'
            dose_text     TEXT,
            active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            created_at    TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE medication_events (
            id            TEXT PRIMARY KEY,     -- 'reminder-<id>-<YYYY-MM-DD>T<HH:MM>' or a uuid
            medication_id TEXT NOT NULL,
            status        TEXT NOT NULL CHECK (status IN ('taken', 'missed')),
            at            TEXT NOT NULL,
            at_utc        TEXT NOT NULL,
            reminder_id   INTEGER REFERENCES reminders (id),
            occurrence    TEXT,
            source        TEXT NOT NULL CHECK (source IN ('voice', 'reminder', 'catch_up')),
            created_at    TEXT NOT NULL
        )
        """,
        "CREATE INDEX medication_events_by_time ON medication_events (at_utc)",
        """
        CREATE TABLE lab_results (
            id             TEXT PRIMARY KEY,    -- FHIR Observation id or identifier
            report_id      TEXT,
            report_status  TEXT NOT NULL,
            loinc          TEXT NOT NULL,
            display        TEXT NOT NULL,
            value          REAL,
            value_text     TEXT,
            unit           TEXT,
            ref_low        REAL,
            ref_high       REAL,
            interpretation TEXT,
            effective_at   TEXT NOT NULL,       -- as the laboratory wrote it (FHIR dateTime, may be a date)
            imported_at    TEXT NOT NULL
        )
        """,
        "CREATE INDEX lab_results_by_test ON lab_results (loinc, effective_at)",
        """
        CREATE TABLE alerts (
            id           TEXT PRIMARY KEY,
            kind         TEXT NOT NULL,         -- no CHECK: later issues add kinds without rebuilding the table
            reading_uuid TEXT REFERENCES readings (uuid),
            message      TEXT NOT NULL,
            at           TEXT NOT NULL,
            at_utc       TEXT NOT NULL,
            created_at   TEXT NOT NULL
        )
        """,
        "CREATE INDEX alerts_by_time ON alerts (at_utc)",
        """
        CREATE TABLE outbox (
            id              INTEGER PRIMARY KEY,
            resource_type   TEXT NOT NULL,
            resource_key    TEXT NOT NULL UNIQUE,   -- e.g. 'Observation/<reading uuid>': enqueued once
            payload         TEXT NOT NULL,          -- JSON
            state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,                   -- UTC key; NULL means as soon as possible
            last_error      TEXT,
            created_at      TEXT NOT NULL,
            sent_at         TEXT
        )
        """,
        "CREATE INDEX outbox_due ON outbox (state, next_attempt_at)",
        """
        CREATE TABLE settings (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )
        """,
    ),
    # 2: how often each reminder occurrence has been spoken (voice_assistant.reminders), so repeats and the
    # "missed" decision survive a restart. A table rather than one settings key per occurrence: the state is
    # typed and checked, readable with one indexed query (and joinable with medication_events to find the
    # unanswered ones), and written in the same transaction as the missed event and its alert.
    (
        """
        CREATE TABLE reminder_announcements (
            event_id     TEXT PRIMARY KEY,      -- reminder_event_id(reminder_id, occurrence)
            reminder_id  INTEGER NOT NULL REFERENCES reminders (id),
            occurrence   TEXT NOT NULL,         -- local 'YYYY-MM-DDTHH:MM' (the reminder's own HH:MM)
            kind         TEXT NOT NULL CHECK (kind IN ('reminder', 'catch_up')),
            count        INTEGER NOT NULL CHECK (count >= 1),   -- announcements spoken, the first included
            first_at     TEXT NOT NULL,         -- ISO-8601 with the patient's UTC offset
            last_at      TEXT NOT NULL,
            last_at_utc  TEXT NOT NULL
        )
        """,
        "CREATE INDEX reminder_announcements_by_time ON reminder_announcements (last_at_utc)",
    ),
    # 3: whether the patient confirmed what raised an alert (shown to the clinician with the alert's words).
    (
        "ALTER TABLE alerts ADD COLUMN confirmed INTEGER CHECK (confirmed IN (0, 1))",
    ),
)

LATEST_VERSION = len(MIGRATIONS)
