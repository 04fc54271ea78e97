"""What the database holds, as plain frozen dataclasses (one per table)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from uuid import uuid4

from ..health.glucose import GlucoseUnit

GlucoseContext = Literal["fasting", "before_meal", "after_meal", "bedtime"]
DoseStatus = Literal["taken", "missed"]
DoseSource = Literal["voice", "reminder", "catch_up"]
AlertKind = Literal[
    "hypoglycaemia", "severe_hypoglycaemia", "hyperglycaemia", "emergency", "missed_dose", "sync_dead_letter",
    "caregiver_message",
]
OutboxState = Literal["pending", "sent", "dead"]
AnnouncementKind = Literal["reminder", "catch_up"]


def new_id() -> str:
    return str(uuid4())


@dataclass(frozen=True, kw_only=True)
class Reading:
    """One capillary glucose value, as the patient said it."""

    glucose_mg_dl: float
    """The value in mg/dL, the unit everything is stored and compared in."""
    unit_said: GlucoseUnit
    value_said: float
    """The number in the unit said: 1.2 for « un gramme vingt »."""
    words_said: str
    """The words that gave the value, e.g. "un gramme vingt"."""
    measured_at: datetime
    """When it was measured, with the patient's UTC offset (kept as is)."""
    transcript: str
    """The whole utterance the value came from."""
    context: GlucoseContext | None = None
    asr_confidence: float | None = None
    nlu_confidence: float | None = None
    uuid: str = field(default_factory=new_id)
    """Made at capture, so saving the same reading again (a retry after a crash) stores it once."""
    created_at: datetime | None = None
    """When the store wrote it (UTC); None until then."""


@dataclass(frozen=True, kw_only=True)
class MedicationEvent:
    """A dose taken or missed."""

    medication_id: str
    status: DoseStatus
    at: datetime
    source: DoseSource
    reminder_id: int | None = None
    occurrence: str | None = None
    """The reminder's occurrence this answers, local 'YYYY-MM-DDTHH:MM'."""
    id: str = field(default_factory=new_id)
    """Stable: `reminder_event_id()` for an answer to a reminder, a uuid otherwise."""
    created_at: datetime | None = None


def reminder_event_id(reminder_id: int, occurrence: str) -> str:
    """One event per reminder occurrence ('YYYY-MM-DDTHH:MM'): answering it twice records it once."""
    return f"reminder-{reminder_id}-{occurrence}"


@dataclass(frozen=True, kw_only=True)
class Reminder:
    """A medication reminder at a local time of day."""

    id: int
    medication_id: str
    time_of_day: str
    """'HH:MM', local wall-clock time."""
    days: str
    """'daily', a comma list of 'mon'...'sun', or one local date 'YYYY-MM-DD': a one-off reminder ("in 30 minutes"),
    which fires once, that day at `time_of_day`."""
    dose_text: str | None
    active: bool
    created_at: datetime

    @property
    def once_on(self) -> date | None:
        """The local date of a one-off reminder, None for a daily or weekly one."""
        return date.fromisoformat(self.days) if self.days[:1].isdigit() else None


@dataclass(frozen=True, kw_only=True)
class ReminderAnnouncement:
    """How many times one reminder occurrence has been spoken, and when."""

    reminder_id: int
    occurrence: str
    """Local 'YYYY-MM-DDTHH:MM', as in `reminder_event_id()`."""
    kind: AnnouncementKind
    """'reminder' when announced on time (then repeated), 'catch_up' when asked about after downtime."""
    count: int
    """Announcements spoken so far, the first included."""
    first_at: datetime
    last_at: datetime

    @property
    def event_id(self) -> str:
        """The id of the medication event that answers this occurrence."""
        return reminder_event_id(self.reminder_id, self.occurrence)


@dataclass(frozen=True, kw_only=True)
class LabResult:
    """One laboratory result imported from a FHIR Observation."""

    id: str
    """The Observation's id (or identifier): importing the same result again updates it in place."""
    report_status: str
    loinc: str
    display: str
    effective_at: str
    """As the laboratory wrote it (FHIR dateTime: may be a bare date)."""
    report_id: str | None = None
    value: float | None = None
    value_text: str | None = None
    """For results that are not a number ("négatif")."""
    unit: str | None = None
    ref_low: float | None = None
    ref_high: float | None = None
    interpretation: str | None = None
    imported_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Alert:
    """Something the care team must know about."""

    kind: AlertKind
    message: str
    at: datetime
    reading_uuid: str | None = None
    id: str = field(default_factory=new_id)
    created_at: datetime | None = None
    #: whether the patient confirmed what raised it ("yes" to the read-back or to "shall I alert?"); False when
    #: nobody answered and it was sent anyway; None when it was not asked (a meter's HI / LO, a missed dose)
    confirmed: bool | None = None


@dataclass(frozen=True, kw_only=True)
class OutboxItem:
    """A FHIR resource waiting to be sent (or sent, or given up on)."""

    id: int
    resource_type: str
    resource_key: str
    """Unique, e.g. 'Observation/<reading uuid>': a resource is enqueued once."""
    payload: dict[str, Any]
    state: OutboxState
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
