"""Local SQLite storage: schema, migrations and the repositories the assistant reads and writes through.

A value is committed and fsynced before a method returns, so the assistant may confirm it aloud.
"""

from .errors import StoreError
from .models import (
    Alert,
    LabResult,
    MedicationEvent,
    OutboxItem,
    Reading,
    Reminder,
    ReminderAnnouncement,
    reminder_event_id,
)
from .paths import default_db_path
from .store import Store

__all__ = [
    "Alert",
    "LabResult",
    "MedicationEvent",
    "OutboxItem",
    "Reading",
    "Reminder",
    "ReminderAnnouncement",
    "Store",
    "StoreError",
    "default_db_path",
    "reminder_event_id",
]
