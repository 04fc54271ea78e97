"""The reminder engine: what to announce at an instant, repeats, missed doses, catch-up after downtime.

Nothing here reads the clock: every function takes the instant it works for, so the live loop, the CLI
(`reminders due --at ...`) and the tests run the same code. Results are data (which prompt, which values);
the sentences live in `prompts/<lang>.yaml` under `reminder_alerts`.

How the live loop uses it:
  1. `due(...)`/`catch_up(...)` (or `ReminderEngine.tick(now)`) say what is waiting to be said;
  2. when the patient is not speaking, the loop says it, then calls `mark_announced(...)` — only what was
     really said counts, so a reminder held back during a conversation is not lost;
  3. « c'est fait » or yes -> `acknowledge(...)`; « non » to a catch-up question -> `record_missed(...)`;
  4. with no answer, `due` offers the reminder again `repeat_after_minutes` after the last time it was said,
     `max_announcements` times in all; once the last one has gone unanswered as long, the dose is recorded
     missed (and an alert kept for the care team when the profile has a caregiver), exactly once.

What has been said is kept in the store's `reminder_announcements` table (migration step 2), so repeats and the
missed decision survive a restart; the taken/missed answer is the medication event with the occurrence's
stable id, so the clinician side receives each dose once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from voice_assistant import records
from voice_assistant.profile import Profile
from voice_assistant.reminders.schedule import Occurrence, local_instant, next_occurrence, occurrences
from voice_assistant.store import Alert, MedicationEvent, Reminder, ReminderAnnouncement, Store, reminder_event_id
from voice_assistant.store.models import DoseSource

DueKind = Literal["reminder", "repeat", "catch_up", "recheck"]

#: Settings key the dialogue sets for the one-off "check again" reminder after a low (an instant, ISO 8601).
RECHECK_SETTING = "glucose_recheck_at"
#: Settings key holding the instant of the last glucose recheck already announced (the recheck fires once).
RECHECK_ANNOUNCED_SETTING = "glucose_recheck_announced"

#: How long an announced, unanswered occurrence older than the catch-up window is still looked for, to record it
#: missed when the assistant comes back after downtime. Bounds the work of every check.
_CHASE_HORIZON = timedelta(days=7)

#: Suffix of the event recording a dose said taken after it had already been recorded missed.
LATE_SUFFIX = "-late"


@dataclass(frozen=True)
class ReminderPolicy:
    """How insistent the reminders are. Durations are whole minutes or hours."""

    repeat_after_minutes: int = 10
    """No answer: say it again this long after the last time."""
    max_announcements: int = 3
    """How many times an occurrence is said in all, the first included; then the dose is recorded missed."""
    catch_up_window_hours: int = 12
    """After downtime, occurrences up to this old are asked about; older ones never are."""
    announce_window_minutes: int = 5
    """A first announcement is on time up to this long after the occurrence (« Il est huit heures »); later,
    it becomes a catch-up question (« Vous aviez un rappel à huit heures »)."""
    taken_early_minutes: int = 60
    """A dose said taken by voice up to this long before an occurrence answers it (no reminder for a dose
    already taken: an announcement then could make the patient take it twice)."""

    def __post_init__(self) -> None:
        for name in ("repeat_after_minutes", "max_announcements", "catch_up_window_hours"):
            if getattr(self, name) < 1:
                raise ValueError(f"ReminderPolicy.{name} must be at least 1")
        for name in ("announce_window_minutes", "taken_early_minutes"):
            if getattr(self, name) < 0:
                raise ValueError(f"ReminderPolicy.{name} must not be negative")

    @property
    def repeat_after(self) -> timedelta:
        return timedelta(minutes=self.repeat_after_minutes)

    @property
    def catch_up_window(self) -> timedelta:
        return timedelta(hours=self.catch_up_window_hours)

    @property
    def announce_window(self) -> timedelta:
        return timedelta(minutes=self.announce_window_minutes)

    @property
    def taken_early(self) -> timedelta:
        return timedelta(minutes=self.taken_early_minutes)


DEFAULT_POLICY = ReminderPolicy()


@dataclass(frozen=True)
class DueReminder:
    """Something the assistant should say now: a medication reminder, a repeat, a catch-up question, or the
    one-off glucose recheck."""

    kind: DueKind
    """'reminder' (first time, on time), 'repeat', 'catch_up' (after downtime) or 'recheck' (glucose)."""
    scheduled_at: datetime
    """When it was due, in the patient's zone."""
    local_time: str
    """"HH:MM" on the patient's clock at `scheduled_at`: the {time} of the prompt (03:00 for a 02:30 reminder
    on a spring-forward day)."""
    announcement: int = 1
    """1 for the first time it is said, 2 and 3 for the repeats."""
    reminder: Reminder | None = None
    """None for the glucose recheck."""
    occurrence_id: str | None = None
    """Local 'YYYY-MM-DDTHH:MM' (the reminder's own time); None for the glucose recheck."""

    @property
    def is_recheck(self) -> bool:
        return self.kind == "recheck"

    @property
    def is_catch_up(self) -> bool:
        return self.kind == "catch_up"

    @property
    def medication_id(self) -> str | None:
        return self.reminder.medication_id if self.reminder else None

    @property
    def time_of_day(self) -> str | None:
        """The reminder's own "HH:MM" (differs from `local_time` only inside a skipped hour)."""
        return self.reminder.time_of_day if self.reminder else None

    @property
    def dose_text(self) -> str | None:
        return self.reminder.dose_text if self.reminder else None

    @property
    def event_id(self) -> str | None:
        """The stable id of the taken/missed event answering it (None for the recheck)."""
        if self.reminder is None or self.occurrence_id is None:
            return None
        return reminder_event_id(self.reminder.id, self.occurrence_id)

    @property
    def prompt_key(self) -> str:
        """The prompt to say, in `reminder_alerts`; fill {time} with `Speech.time(local_time)`, {medication}
        with the medication's name and {dose} with `dose_text`."""
        if self.kind == "reminder":
            return "reminder_alerts.due_with_dose" if self.dose_text else "reminder_alerts.due"
        return f"reminder_alerts.{self.kind}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "reminder_id": self.reminder.id if self.reminder else None,
            "medication_id": self.medication_id,
            "occurrence_id": self.occurrence_id,
            "event_id": self.event_id,
            "scheduled_at": self.scheduled_at.isoformat(),
            "local_time": self.local_time,
            "announcement": self.announcement,
            "dose_text": self.dose_text,
            "prompt": self.prompt_key,
        }


@dataclass(frozen=True)
class MissedDose:
    """A dose that went unanswered after its last announcement."""

    reminder: Reminder
    occurrence_id: str
    event: MedicationEvent
    """The 'missed' event (stable id), recorded at the moment the last announcement ran out."""
    alert: Alert | None
    """The 'missed_dose' alert for the care team, when the profile has a caregiver."""

    def to_json(self) -> dict[str, Any]:
        return {"reminder_id": self.reminder.id, "medication_id": self.reminder.medication_id,
                "occurrence_id": self.occurrence_id, "event_id": self.event.id, "at": self.event.at.isoformat(),
                "alert": self.alert is not None}


@dataclass(frozen=True)
class ReminderCheck:
    """What `check` found at one instant."""

    due: tuple[DueReminder, ...] = ()
    missed: tuple[MissedDose, ...] = ()
    """Doses that ran out of announcements: recorded by this call when `record` was true."""


# --- what is due -------------------------------------------------------------------------------------


def check(store: Store, profile: Profile, at: datetime, policy: ReminderPolicy = DEFAULT_POLICY, *,
          record: bool = True) -> ReminderCheck:
    """Announcements due at `at` (the glucose recheck first, then by time) and doses that ran out of them.

    With `record` (the live loop), each missed dose is written with its alert, once: calling again finds it
    answered. Without (a what-if such as `reminders due --at`), nothing is written.
    """
    view = _View.load(store, profile, at, policy)
    at = view.at
    announcements: list[DueReminder] = []
    missed: list[MissedDose] = []
    for occurrence in view.candidates():
        if view.answered(occurrence):
            continue
        said = view.announcements.get(occurrence.event_id)
        if said is None:
            if at - occurrence.utc <= policy.announce_window:
                announcements.append(_due(occurrence, "reminder", 1))
            continue  # older and never said: a catch-up question (see catch_up)
        runs_out = said.last_at.astimezone(UTC) + policy.repeat_after
        if at < runs_out:
            continue  # said; waiting for the answer
        limit = 1 if said.kind == "catch_up" else policy.max_announcements
        if said.count < limit and occurrence.utc >= view.window_start:
            announcements.append(_due(occurrence, "repeat", said.count + 1))
        else:
            # The last announcement went unanswered (or the occurrence is now too old to be said again, the
            # assistant having been off meanwhile): the dose is unconfirmed, recorded missed as of then.
            source: DoseSource = "catch_up" if said.kind == "catch_up" else "reminder"
            missed.append(_missed(profile, occurrence, runs_out, source))
    if record:
        missed = [dose for dose in missed if _record_missed_dose(store, dose, profile)]
        retire_one_offs(store, profile, at, policy)
    announcements.sort(key=lambda d: (d.scheduled_at.astimezone(UTC), d.medication_id or ""))
    recheck = _recheck(store, profile, at, policy)
    return ReminderCheck(tuple([recheck] if recheck else []) + tuple(announcements), tuple(missed))


def due(store: Store, profile: Profile, at: datetime, policy: ReminderPolicy = DEFAULT_POLICY, *,
        record: bool = True) -> list[DueReminder]:
    """What would be announced at `at`: first announcements within the announce window, repeats, and the
    glucose recheck. Records the doses that ran out of announcements unless `record` is false."""
    return list(check(store, profile, at, policy, record=record).due)


def catch_up(store: Store, profile: Profile, now: datetime,
             policy: ReminderPolicy = DEFAULT_POLICY) -> list[DueReminder]:
    """After downtime: one question per medication, about its most recent occurrence, when that occurrence
    passed unsaid (older than the announce window, within the catch-up window) and unanswered.

    Older occurrences of the same medication are never asked about (one question, not a list of doses), and
    a medication whose most recent occurrence is being announced, or was answered, gets no question.
    Nothing is written: the loop calls `mark_announced` once it has asked.
    """
    view = _View.load(store, profile, now, policy)
    now = view.at
    latest: dict[str, Occurrence] = {}
    for occurrence in view.in_window:
        current = latest.get(occurrence.medication_id)
        if current is None or occurrence.utc >= current.utc:
            latest[occurrence.medication_id] = occurrence
    questions = [
        _due(occurrence, "catch_up", 1)
        for occurrence in latest.values()
        if now - occurrence.utc > policy.announce_window
        and occurrence.event_id not in view.announcements
        and not view.answered(occurrence)
    ]
    return sorted(questions, key=lambda d: (d.scheduled_at.astimezone(UTC), d.medication_id or ""))


# --- what the loop reports back ---------------------------------------------------------------------


def mark_announced(store: Store, item: DueReminder, at: datetime) -> None:
    """Note that `item` was said at `at` (idempotent: saying the same announcement number again counts once)."""
    if item.is_recheck:
        store.set_setting(RECHECK_ANNOUNCED_SETTING, item.scheduled_at.isoformat())
        return
    reminder, occurrence_id, kind = _target(item)
    store.record_announcement(reminder.id, occurrence_id, item.announcement, at,
                              "catch_up" if kind == "catch_up" else "reminder")


def acknowledge(store: Store, item: DueReminder | Occurrence, at: datetime, *,
                source: DoseSource | None = None, profile: Profile | None = None) -> bool:
    """Record the dose as taken, under the occurrence's stable id; True if this recorded something new.

    Saying it again records nothing more, and stops the repeats. Said after the dose was already recorded
    missed, it is kept too, as a second event (`<event id>-late`), so the care team alerted about a missed
    dose learns that it was taken after all and does not have it taken twice.
    """
    reminder, occurrence_id, kind = _target(item)
    source = source or ("catch_up" if kind == "catch_up" else "reminder")
    event_id = reminder_event_id(reminder.id, occurrence_id)
    with store.transaction():
        taken = _event(reminder, occurrence_id, "taken", at, source, event_id)
        if records.dose(store, profile, taken):
            return True
        existing = store.medication_event(event_id)
        if existing is not None and existing.status == "missed":
            late = _event(reminder, occurrence_id, "taken", at, source, event_id + LATE_SUFFIX)
            return records.dose(store, profile, late)
        return False


def record_missed(store: Store, profile: Profile, item: DueReminder | Occurrence, at: datetime, *,
                  source: DoseSource | None = None) -> bool:
    """Record the dose as missed now (the patient said they did not take it), with the caregiver alert;
    True if new. Once the occurrence is answered (taken or missed), this records nothing."""
    reminder, occurrence_id, kind = _target(item)
    source = source or ("catch_up" if kind == "catch_up" else "reminder")
    event = _event(reminder, occurrence_id, "missed", at, source, reminder_event_id(reminder.id, occurrence_id))
    return _record_missed_dose(store, MissedDose(reminder, occurrence_id, event, _alert(profile, event)), profile)


def retire_one_offs(store: Store, profile: Profile, at: datetime, policy: ReminderPolicy = DEFAULT_POLICY) -> list[Reminder]:
    """One-off reminders ("in 30 minutes") whose single occurrence is over, made inactive: answered (taken or missed,
    by its stable id or a dose said taken around it), or past its catch-up window and never said (no dose to chase).
    One still being repeated, or said and waiting for its missed record, stays. Returns those retired (see
    `records.one_off_over`)."""
    once = [r for r in store.active_reminders() if r.once_on is not None]
    if not once:
        return []
    view = _View.load(store, profile, at, policy)
    retired = []
    for reminder in once:
        assert reminder.once_on is not None
        occurrence = Occurrence(reminder, reminder.once_on, local_instant(reminder.once_on, reminder.time_of_day,
                                                                          profile.zone))
        if occurrence.utc > view.at:
            continue
        waiting = occurrence.event_id in view.announcements
        if view.answered(occurrence) or (not waiting and view.at - occurrence.utc > policy.catch_up_window):
            retired += records.one_off_over(store, reminder.id)
    return retired


# --- the reminders as a list -------------------------------------------------------------------------


def reminder_listing(store: Store, profile: Profile, now: datetime) -> list[dict[str, Any]]:
    """The active reminders in the order of the day, each with its next occurrence (for `reminders list`)."""
    listing = []
    for reminder in store.active_reminders():
        upcoming = next_occurrence(reminder, now, profile.zone)
        listing.append({
            "id": reminder.id, "medication_id": reminder.medication_id, "time_of_day": reminder.time_of_day,
            "days": reminder.days, "dose_text": reminder.dose_text,
            "next": upcoming.to_json() if upcoming else None,
        })
    return listing


# --- one engine for the loop and the CLI ---------------------------------------------------------------


@dataclass
class ReminderEngine:
    """The functions above bound to one store, profile and policy."""

    store: Store
    profile: Profile
    policy: ReminderPolicy = field(default_factory=ReminderPolicy)

    def check(self, at: datetime, *, record: bool = True) -> ReminderCheck:
        return check(self.store, self.profile, at, self.policy, record=record)

    def due(self, at: datetime, *, record: bool = True) -> list[DueReminder]:
        return due(self.store, self.profile, at, self.policy, record=record)

    def catch_up(self, now: datetime) -> list[DueReminder]:
        return catch_up(self.store, self.profile, now, self.policy)

    def tick(self, now: datetime) -> list[DueReminder]:
        """Everything to say now, for the live loop: `due` (recording missed doses), then `catch_up`."""
        return self.due(now) + self.catch_up(now)

    def mark_announced(self, item: DueReminder, at: datetime) -> None:
        mark_announced(self.store, item, at)

    def acknowledge(self, item: DueReminder | Occurrence, at: datetime, *, source: DoseSource | None = None) -> bool:
        return acknowledge(self.store, item, at, source=source, profile=self.profile)

    def record_missed(self, item: DueReminder | Occurrence, at: datetime, *,
                      source: DoseSource | None = None) -> bool:
        return record_missed(self.store, self.profile, item, at, source=source)

    def listing(self, now: datetime) -> list[dict[str, Any]]:
        return reminder_listing(self.store, self.profile, now)


# --- inside ---------------------------------------------------------------------------------------------


@dataclass
class _View:
    """The store as the engine needs it at one instant."""

    profile: Profile
    at: datetime
    """The instant looked at, in UTC (all arithmetic here is on UTC instants)."""
    policy: ReminderPolicy
    window_start: datetime
    in_window: list[Occurrence]
    """Occurrences of the active reminders in [at - catch-up window, at]."""
    announced_earlier: list[Occurrence]
    """Said, unanswered, and older than the window (they still need their missed record)."""
    announcements: dict[str, ReminderAnnouncement]
    """Unanswered announcements by event id."""
    events: list[MedicationEvent]

    @classmethod
    def load(cls, store: Store, profile: Profile, at: datetime, policy: ReminderPolicy) -> _View:
        if at.utcoffset() is None:
            raise ValueError(f"{at!r} has no time zone; pass an aware datetime")
        # UTC: two datetimes sharing a ZoneInfo (say, now taken in the profile's zone) are subtracted and
        # compared by wall clock in Python, which is wrong across a change of offset.
        at = at.astimezone(UTC)
        zone = profile.zone
        window_start = at - policy.catch_up_window
        reminders = {reminder.id: reminder for reminder in store.active_reminders()}
        in_window = [occurrence for reminder in reminders.values()
                     for occurrence in occurrences(reminder, window_start, at, zone)
                     if _existed(reminder, occurrence, at)]
        since = window_start - _CHASE_HORIZON
        announcements = {a.event_id: a for a in store.reminder_announcements(since, unanswered_only=True)}
        in_window_ids = {occurrence.event_id for occurrence in in_window}
        announced_earlier = []
        for a in announcements.values():
            reminder = reminders.get(a.reminder_id)  # a cancelled reminder is not chased any more
            if reminder is None or a.event_id in in_window_ids:
                continue
            day = date.fromisoformat(a.occurrence[:10])
            occurrence = Occurrence(reminder, day, local_instant(day, reminder.time_of_day, zone))
            if occurrence.utc <= at:
                announced_earlier.append(occurrence)
        earliest = min([o.utc for o in announced_earlier], default=window_start)
        events = store.medication_events(since=min(earliest, window_start) - policy.taken_early)
        return cls(profile, at, policy, window_start, in_window, announced_earlier, announcements, events)

    def candidates(self) -> list[Occurrence]:
        return self.announced_earlier + self.in_window

    def answered(self, occurrence: Occurrence) -> bool:
        """Taken or missed under its stable id, or a dose of that medication said taken by voice (not tied to
        another occurrence) from `taken_early` before it until the end of its catch-up window."""
        earliest = occurrence.utc - self.policy.taken_early
        latest = occurrence.utc + self.policy.catch_up_window
        for event in self.events:
            if event.id == occurrence.event_id:
                return True
            if (event.occurrence is None and event.status == "taken"
                    and event.medication_id == occurrence.medication_id and earliest <= event.at <= latest):
                return True
        return False


def _existed(reminder: Reminder, occurrence: Occurrence, at: datetime) -> bool:
    """An occurrence before the reminder was set is not the patient's to answer (setting an 08:00 reminder at
    ten must not ask about this morning's dose). When `at` itself is before the reminder was set (a what-if
    such as `reminders due --at` a past day, or a test clock), the reminder is taken as having always been."""
    created = reminder.created_at
    return created is None or at < created or occurrence.utc >= created


def _due(occurrence: Occurrence, kind: DueKind, announcement: int) -> DueReminder:
    return DueReminder(kind=kind, scheduled_at=occurrence.at, local_time=occurrence.local_time,
                       announcement=announcement, reminder=occurrence.reminder, occurrence_id=occurrence.id)


def _recheck(store: Store, profile: Profile, at: datetime, policy: ReminderPolicy) -> DueReminder | None:
    """The one-off "check your sugar again" after a low, due from its time on, once, within the window."""
    raw = store.get_setting(RECHECK_SETTING)
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if when.utcoffset() is None:
        when = when.replace(tzinfo=profile.zone)
    when, at = when.astimezone(UTC), at.astimezone(UTC)
    done = store.get_setting(RECHECK_ANNOUNCED_SETTING)
    if done:
        try:
            if datetime.fromisoformat(done) == when:
                return None
        except ValueError:
            pass
    if not when <= at <= when + policy.catch_up_window:
        return None
    when = when.astimezone(profile.zone)
    return DueReminder(kind="recheck", scheduled_at=when, local_time=when.strftime("%H:%M"))


def _target(item: DueReminder | Occurrence) -> tuple[Reminder, str, DueKind]:
    if isinstance(item, Occurrence):
        return item.reminder, item.id, "reminder"
    if item.reminder is None or item.occurrence_id is None:
        raise ValueError("the glucose recheck is not a dose: there is nothing to acknowledge")
    return item.reminder, item.occurrence_id, item.kind


def _event(reminder: Reminder, occurrence_id: str, status: Literal["taken", "missed"], at: datetime,
           source: DoseSource, event_id: str) -> MedicationEvent:
    return MedicationEvent(id=event_id, medication_id=reminder.medication_id, status=status, at=at, source=source,
                           reminder_id=reminder.id, occurrence=occurrence_id)


def _alert(profile: Profile, event: MedicationEvent) -> Alert | None:
    if profile.caregiver is None:
        return None
    # A record for the care team, not a sentence: the medication and the occurrence, as in the event.
    return Alert(id=f"missed-dose-{event.id}", kind="missed_dose", at=event.at,
                 message=f"{event.medication_id} {event.occurrence}")


def _missed(profile: Profile, occurrence: Occurrence, at: datetime, source: DoseSource) -> MissedDose:
    event = _event(occurrence.reminder, occurrence.id, "missed", at.astimezone(profile.zone), source,
                   occurrence.event_id)
    return MissedDose(occurrence.reminder, occurrence.id, event, _alert(profile, event))


def _record_missed_dose(store: Store, dose: MissedDose, profile: Profile | None = None) -> bool:
    """The missed event and its alert together, with their outbox rows, or neither; True if new."""
    return records.dose(store, profile, dose.event, dose.alert)
