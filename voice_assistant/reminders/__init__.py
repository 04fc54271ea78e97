"""Medication reminders: the schedule (pure, DST-correct), and the engine the live loop and the CLI share.

    occurrences(reminder, start, end, zone)   when a reminder fires between two instants
    due(store, profile, at)                   what to announce at `at` (first times, repeats, glucose recheck)
    catch_up(store, profile, now)             after downtime, one question per medication
    mark_announced / acknowledge / record_missed   what the loop reports back
    retire_one_offs(store, profile, at)      one-off reminders ("in 30 minutes") made inactive once over

The clock is always passed in; results are data, the words are in prompts/<lang>.yaml (`reminder_alerts`).
"""

from .engine import (
    DEFAULT_POLICY,
    RECHECK_ANNOUNCED_SETTING,
    DueReminder,
    MissedDose,
    ReminderCheck,
    ReminderEngine,
    ReminderPolicy,
    acknowledge,
    catch_up,
    check,
    due,
    mark_announced,
    record_missed,
    reminder_listing,
    retire_one_offs,
)
from .schedule import WEEKDAYS, Occurrence, local_instant, next_occurrence, occurrences, runs_on

__all__ = [
    "DEFAULT_POLICY",
    "RECHECK_ANNOUNCED_SETTING",
    "WEEKDAYS",
    "DueReminder",
    "MissedDose",
    "Occurrence",
    "ReminderCheck",
    "ReminderEngine",
    "ReminderPolicy",
    "acknowledge",
    "catch_up",
    "check",
    "due",
    "local_instant",
    "mark_announced",
    "next_occurrence",
    "occurrences",
    "record_missed",
    "reminder_listing",
    "retire_one_offs",
    "runs_on",
]
