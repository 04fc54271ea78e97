"""The engine over a real store with an injected clock: due, repeats, missed doses, acknowledgement, catch-up,
the glucose recheck. Nothing sleeps and nothing reads the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from voice_assistant.dialogue.glucose import RECHECK_SETTING
from voice_assistant.reminders import (
    DueReminder,
    ReminderEngine,
    ReminderPolicy,
    acknowledge,
    catch_up,
    check,
    due,
    mark_announced,
    occurrences,
    record_missed,
    reminder_listing,
)
from voice_assistant.store import MedicationEvent, Store, reminder_event_id

PARIS = ZoneInfo("Europe/Paris")


def t(text: str) -> datetime:
    """An aware instant: t("2026-03-29T08:00+02:00")."""
    return datetime.fromisoformat(text)


def say_all(store: Store, items: list[DueReminder], at: datetime) -> None:
    """What the live loop does once it has said them."""
    for item in items:
        mark_announced(store, item, at)


def summary(items: list[DueReminder]) -> list[tuple]:
    return [(d.kind, d.medication_id, d.occurrence_id, d.local_time, d.announcement) for d in items]


# --- due: daylight saving and time zones ------------------------------------------------------------------


def test_due_on_the_spring_change_lists_the_eight_oclock_reminder(store, profile):
    morning = store.add_reminder("metformin", "08:00", dose_text="un comprimé")
    store.add_reminder("insulin_glargine", "02:30")
    [item] = due(store, profile, t("2026-03-29T08:00:00+02:00"))
    assert item.reminder == morning
    assert (item.kind, item.occurrence_id, item.local_time, item.announcement) == (
        "reminder", "2026-03-29T08:00", "08:00", 1)
    assert item.scheduled_at.isoformat() == "2026-03-29T08:00:00+02:00"
    assert item.event_id == reminder_event_id(morning.id, "2026-03-29T08:00")
    assert item.prompt_key == "reminder_alerts.due_with_dose" and item.dose_text == "un comprimé"
    assert not item.is_recheck and not item.is_catch_up
    # an hour earlier by the old offset is 07:00 on the new clock: nothing yet
    assert due(store, profile, t("2026-03-29T08:00:00+01:00")) == []  # = 09:00+02:00, past the window
    assert due(store, profile, t("2026-03-29T07:00:00+02:00")) == []


def test_the_skipped_half_past_two_is_announced_once_at_three(store, profile):
    night = store.add_reminder("insulin_glargine", "02:30")
    assert due(store, profile, t("2026-03-29T01:59:59+01:00")) == []
    [item] = due(store, profile, t("2026-03-29T03:00:00+02:00"))
    assert (item.reminder, item.occurrence_id, item.local_time) == (night, "2026-03-29T02:30", "03:00")
    # the same instant written in UTC or in the zone itself gives the same answer
    assert due(store, profile, t("2026-03-29T01:00:00Z")) == [item]
    assert due(store, profile, datetime(2026, 3, 29, 3, 0, tzinfo=PARIS)) == [item]
    # the rest of the night holds no second occurrence
    whole_night = occurrences(night, t("2026-03-29T00:00+01:00"), t("2026-03-29T12:00+02:00"), PARIS)
    assert [o.id for o in whole_night] == ["2026-03-29T02:30"]


def test_the_repeated_half_past_two_is_announced_once_in_october(store, profile):
    store.add_reminder("insulin_glargine", "02:30")
    first = due(store, profile, t("2026-10-25T02:30:00+02:00"))
    assert summary(first) == [("reminder", "insulin_glargine", "2026-10-25T02:30", "02:30", 1)]
    # an hour later the clock shows 02:30 again: not a new reminder
    assert due(store, profile, t("2026-10-25T02:30:00+01:00")) == []
    # answered at the first pass, nothing comes back at the second either
    say_all(store, first, t("2026-10-25T02:30:00+02:00"))
    assert acknowledge(store, first[0], t("2026-10-25T02:35:00+02:00"))
    for minutes in range(0, 120, 5):
        assert due(store, profile, t("2026-10-25T02:30:00+02:00") + timedelta(minutes=minutes)) == []


def test_repeats_follow_real_minutes_through_the_repeated_hour(store, profile):
    # said at the first 02:50, the repeat comes ten real minutes later: at the second 02:00 (fold=1)
    store.add_reminder("insulin_glargine", "02:50")
    engine = ReminderEngine(store, profile)
    at = datetime(2026, 10, 25, 2, 50, tzinfo=PARIS)  # fold=0: 02:50+02:00
    [first] = engine.due(at)
    engine.mark_announced(first, at)
    assert engine.due(datetime(2026, 10, 25, 2, 55, tzinfo=PARIS)) == []
    second_pass_two = datetime(2026, 10, 25, 2, 0, tzinfo=PARIS, fold=1)  # 02:00+01:00, ten minutes later
    assert second_pass_two - timedelta(seconds=1) < second_pass_two  # (wall clock: why the engine uses UTC)
    [repeat] = engine.due(second_pass_two)
    assert (repeat.kind, repeat.announcement, repeat.local_time) == ("repeat", 2, "02:50")


def test_a_new_york_profile_reads_reminders_on_new_york_clocks(store, new_york):
    store.add_reminder("metformin", "08:00")
    # 8 March 2026: the US clocks went forward that night
    [item] = due(store, new_york, t("2026-03-08T08:00:00-04:00"))
    assert (item.occurrence_id, item.local_time) == ("2026-03-08T08:00", "08:00")
    assert item.scheduled_at.isoformat() == "2026-03-08T08:00:00-04:00"
    assert due(store, new_york, t("2026-03-08T08:00:00-05:00")) == []  # 09:00 EDT: past the window
    assert due(store, new_york, t("2026-03-08T08:00:00+01:00")) == []  # eight in Paris is two in New York
    [winter] = due(store, new_york, t("2026-03-07T13:00:00Z"))  # the day before: 08:00 EST
    assert winter.occurrence_id == "2026-03-07T08:00"


def test_weekday_reminders_only_on_their_days(store, profile):
    store.add_reminder("atorvastatin", "20:00", days="mon,wed")
    assert due(store, profile, t("2026-03-03T20:00+01:00")) == []  # Tuesday
    [wednesday] = due(store, profile, t("2026-03-04T20:00+01:00"))
    assert wednesday.occurrence_id == "2026-03-04T20:00"
    assert due(store, profile, t("2026-03-01T20:00+01:00")) == []  # Sunday
    assert len(due(store, profile, t("2026-03-02T20:00+01:00"))) == 1  # Monday


def test_the_announce_window_and_ordering(store, profile):
    gliclazide = store.add_reminder("gliclazide", "08:00")
    metformin = store.add_reminder("metformin", "07:58")
    items = due(store, profile, t("2026-03-29T08:03+02:00"))
    assert [d.reminder for d in items] == [metformin, gliclazide]  # by time of day
    assert [d.reminder for d in due(store, profile, t("2026-03-29T08:03:01+02:00"))] == [gliclazide]
    assert [d.reminder for d in due(store, profile, t("2026-03-29T08:05+02:00"))] == [gliclazide]  # 5 minutes
    assert due(store, profile, t("2026-03-29T08:05:01+02:00")) == []  # later: a catch-up question instead
    assert summary(catch_up(store, profile, t("2026-03-29T08:06+02:00"))) == [
        ("catch_up", "metformin", "2026-03-29T07:58", "07:58", 1),
        ("catch_up", "gliclazide", "2026-03-29T08:00", "08:00", 1)]


def test_due_refuses_a_naive_instant(store, profile):
    with pytest.raises(ValueError, match="time zone"):
        due(store, profile, datetime(2026, 3, 29, 8, 0))


# --- repeats and missed doses -----------------------------------------------------------------------------


def test_no_answer_repeats_at_ten_and_twenty_minutes_then_the_dose_is_missed_once(store, profile):
    reminder = store.add_reminder("metformin", "08:00")
    start = t("2026-03-29T08:00+02:00")
    said_at = []
    for minute in range(0, 60):
        at = start + timedelta(minutes=minute)
        for _ in range(3):  # the loop may ask several times in the same minute
            items = due(store, profile, at)
        say_all(store, items, at)
        said_at += [(minute, d.kind, d.announcement) for d in items]
    assert said_at == [(0, "reminder", 1), (10, "repeat", 2), (20, "repeat", 3)]
    event_id = reminder_event_id(reminder.id, "2026-03-29T08:00")
    [missed] = store.medication_events()
    assert (missed.id, missed.status, missed.source, missed.medication_id) == (event_id, "missed", "reminder",
                                                                              "metformin")
    assert (missed.reminder_id, missed.occurrence) == (reminder.id, "2026-03-29T08:00")
    assert missed.at == t("2026-03-29T08:30+02:00")  # ten minutes after the third announcement
    [alert] = store.alerts()
    assert alert.kind == "missed_dose" and alert.at == missed.at
    assert "metformin" in alert.message and "2026-03-29T08:00" in alert.message
    # and it stays that way, however often the engine runs, even after a restart of the loop
    for hours in range(1, 12):
        assert due(store, profile, start + timedelta(hours=hours)) == []
        assert catch_up(store, profile, start + timedelta(hours=hours)) == []
    assert len(store.medication_events()) == 1 and len(store.alerts()) == 1


def test_check_reports_the_missed_dose_once_and_a_what_if_writes_nothing(store, profile):
    store.add_reminder("metformin", "08:00")
    for minute in (0, 10, 20):
        at = t("2026-03-29T08:00+02:00") + timedelta(minutes=minute)
        say_all(store, due(store, profile, at), at)
    what_if = check(store, profile, t("2026-03-29T08:31+02:00"), record=False)
    assert what_if.due == () and len(what_if.missed) == 1
    assert store.medication_events() == [] and store.alerts() == []
    assert due(store, profile, t("2026-03-29T08:31+02:00"), record=False) == []
    assert store.medication_events() == []
    found = check(store, profile, t("2026-03-29T08:31+02:00"))
    [dose] = found.missed
    assert dose.event.status == "missed" and dose.alert is not None
    assert dose.to_json()["event_id"] == dose.event.id
    assert check(store, profile, t("2026-03-29T08:32+02:00")).missed == ()
    assert len(store.medication_events()) == 1 and len(store.alerts()) == 1


def test_no_caregiver_no_alert(store, alone):
    store.add_reminder("metformin", "08:00")
    for minute in (0, 10, 20, 30):
        at = t("2026-03-29T08:00+02:00") + timedelta(minutes=minute)
        say_all(store, due(store, alone, at), at)
    [missed] = store.medication_events()
    assert missed.status == "missed"
    assert store.alerts() == []


def test_the_number_of_announcements_is_configurable(store, profile):
    store.add_reminder("metformin", "08:00")
    policy = ReminderPolicy(repeat_after_minutes=5, max_announcements=2)
    engine = ReminderEngine(store, profile, policy)
    said = []
    for minute in range(0, 20):
        at = t("2026-03-29T08:00+02:00") + timedelta(minutes=minute)
        for item in engine.tick(at):
            engine.mark_announced(item, at)
            said.append((minute, item.announcement))
    assert said == [(0, 1), (5, 2)]
    assert store.medication_events()[0].at == t("2026-03-29T08:10+02:00")


def test_repeats_survive_a_restart(tmp_path, profile):
    path = tmp_path / "assistant.db"
    with Store.open(path) as store:
        store.add_reminder("metformin", "08:00")
        say_all(store, due(store, profile, t("2026-03-29T08:00+02:00")), t("2026-03-29T08:00+02:00"))
    with Store.open(path) as store:
        assert due(store, profile, t("2026-03-29T08:09+02:00")) == []
        assert summary(due(store, profile, t("2026-03-29T08:10+02:00"))) == [
            ("repeat", "metformin", "2026-03-29T08:00", "08:00", 2)]


def test_an_announcement_held_back_is_offered_until_said(store, profile):
    # the patient was talking: the loop did not say it, so it is offered again (not counted)
    store.add_reminder("metformin", "08:00")
    assert len(due(store, profile, t("2026-03-29T08:00+02:00"))) == 1
    [item] = due(store, profile, t("2026-03-29T08:03+02:00"))
    assert item.announcement == 1
    mark_announced(store, item, t("2026-03-29T08:03+02:00"))
    mark_announced(store, item, t("2026-03-29T08:04+02:00"))  # said twice by mistake: counted once
    announcement = store.reminder_announcement(item.reminder.id, item.occurrence_id)
    assert announcement.count == 1 and announcement.last_at == t("2026-03-29T08:03+02:00")
    assert due(store, profile, t("2026-03-29T08:12+02:00")) == []  # ten minutes after it was really said
    assert due(store, profile, t("2026-03-29T08:13+02:00"))[0].announcement == 2


def test_a_cancelled_reminder_is_not_chased(store, profile):
    reminder = store.add_reminder("metformin", "08:00")
    say_all(store, due(store, profile, t("2026-03-29T08:00+02:00")), t("2026-03-29T08:00+02:00"))
    store.cancel_reminders(reminder_id=reminder.id)
    for minute in (10, 20, 30, 60):
        assert due(store, profile, t("2026-03-29T08:00+02:00") + timedelta(minutes=minute)) == []
    assert store.medication_events() == []


# --- acknowledgement --------------------------------------------------------------------------------------


def test_acknowledging_stops_the_repeats_and_is_recorded_once(store, profile):
    reminder = store.add_reminder("metformin", "08:00")
    [first] = due(store, profile, t("2026-03-29T08:00+02:00"))
    mark_announced(store, first, t("2026-03-29T08:00+02:00"))
    [repeat] = due(store, profile, t("2026-03-29T08:10+02:00"))
    mark_announced(store, repeat, t("2026-03-29T08:10+02:00"))
    assert acknowledge(store, repeat, t("2026-03-29T08:12+02:00")) is True
    assert acknowledge(store, repeat, t("2026-03-29T08:13+02:00")) is False  # « c'est fait », said again
    assert acknowledge(store, first, t("2026-03-29T08:14+02:00")) is False
    for minute in range(12, 120):
        assert due(store, profile, t("2026-03-29T08:00+02:00") + timedelta(minutes=minute)) == []
    [taken] = store.medication_events()
    assert (taken.id, taken.status, taken.source) == (
        reminder_event_id(reminder.id, "2026-03-29T08:00"), "taken", "reminder")
    assert taken.at == t("2026-03-29T08:12+02:00") and taken.occurrence == "2026-03-29T08:00"
    assert store.alerts() == []


def test_acknowledging_an_occurrence_directly(store, profile):
    reminder = store.add_reminder("metformin", "08:00")
    [occurrence] = occurrences(reminder, t("2026-03-29T00:00+01:00"), t("2026-03-29T23:00+02:00"), PARIS)
    assert acknowledge(store, occurrence, t("2026-03-29T07:59+02:00"))
    assert due(store, profile, t("2026-03-29T08:00+02:00")) == []


def test_taken_after_it_was_recorded_missed_is_kept_once_as_a_late_dose(store, profile):
    reminder = store.add_reminder("metformin", "08:00")
    for minute in (0, 10, 20, 30):
        at = t("2026-03-29T08:00+02:00") + timedelta(minutes=minute)
        say_all(store, due(store, profile, at), at)
    assert due(store, profile, t("2026-03-29T08:00+02:00"), record=False) == []  # answered (missed)
    [item] = occurrences(reminder, t("2026-03-29T07:00+02:00"), t("2026-03-29T09:00+02:00"), PARIS)
    assert acknowledge(store, item, t("2026-03-29T08:40+02:00")) is True
    assert acknowledge(store, item, t("2026-03-29T08:41+02:00")) is False
    event_id = reminder_event_id(reminder.id, "2026-03-29T08:00")
    events = {e.id: e.status for e in store.medication_events()}
    assert events == {event_id: "missed", event_id + "-late": "taken"}


def test_a_dose_said_taken_by_voice_before_the_reminder_silences_it(store, profile):
    store.add_reminder("metformin", "08:00")
    store.add_medication_event(MedicationEvent(medication_id="metformin", status="taken",
                                               at=t("2026-03-29T07:20+02:00"), source="voice"))
    assert due(store, profile, t("2026-03-29T08:00+02:00")) == []
    assert catch_up(store, profile, t("2026-03-29T10:00+02:00")) == []
    # a dose taken the evening before does not count for this morning
    assert len(due(store, profile, t("2026-03-30T08:00+02:00"))) == 1
    # another medication is not affected
    store.add_reminder("gliclazide", "08:00")
    assert [d.medication_id for d in due(store, profile, t("2026-03-29T08:00+02:00"))] == ["gliclazide"]


def test_the_recheck_cannot_be_acknowledged_as_a_dose(store, profile):
    store.set_setting(RECHECK_SETTING, "2026-03-29T08:15:00+02:00")
    [recheck] = due(store, profile, t("2026-03-29T08:15+02:00"))
    with pytest.raises(ValueError):
        acknowledge(store, recheck, t("2026-03-29T08:16+02:00"))


# --- catch-up after downtime -------------------------------------------------------------------------------


@pytest.fixture
def day_of_reminders(store):
    """Metformin at 08:00 and 13:00, gliclazide at 08:00, atorvastatin at 20:00, insulin at 13:58."""
    return {
        "metformin_morning": store.add_reminder("metformin", "08:00"),
        "metformin_lunch": store.add_reminder("metformin", "13:00"),
        "gliclazide": store.add_reminder("gliclazide", "08:00"),
        "atorvastatin": store.add_reminder("atorvastatin", "20:00"),
        "insulin": store.add_reminder("insulin_glargine", "13:58"),
    }


def test_catch_up_asks_once_per_medication_about_its_most_recent_dose(store, profile, day_of_reminders):
    now = t("2026-03-29T14:00+02:00")  # the assistant was off since yesterday afternoon
    questions = catch_up(store, profile, now)
    assert summary(questions) == [
        ("catch_up", "gliclazide", "2026-03-29T08:00", "08:00", 1),
        ("catch_up", "metformin", "2026-03-29T13:00", "13:00", 1),
    ]
    assert questions[1].reminder == day_of_reminders["metformin_lunch"]
    assert questions[1].prompt_key == "reminder_alerts.catch_up"
    # atorvastatin's 20:00 is eighteen hours old (beyond the twelve-hour window); insulin's 13:58 is on time
    assert summary(due(store, profile, now)) == [("reminder", "insulin_glargine", "2026-03-29T13:58", "13:58", 1)]
    # asked (and insulin announced): never asked again, and the older metformin dose is never asked about
    say_all(store, questions + due(store, profile, now), now)
    for minutes in (0, 1, 5, 60, 300):
        assert catch_up(store, profile, now + timedelta(minutes=minutes)) == []


def test_catch_up_answers_are_recorded_with_the_catch_up_source(store, profile, day_of_reminders):
    now = t("2026-03-29T14:00+02:00")
    gliclazide, metformin = catch_up(store, profile, now)
    say_all(store, [gliclazide, metformin], now)
    assert acknowledge(store, metformin, t("2026-03-29T14:01+02:00"))
    assert record_missed(store, profile, gliclazide, t("2026-03-29T14:02+02:00"))  # « non »
    assert not record_missed(store, profile, gliclazide, t("2026-03-29T14:03+02:00"))
    events = {(e.medication_id, e.occurrence): (e.status, e.source) for e in store.medication_events()}
    assert events == {("metformin", "2026-03-29T13:00"): ("taken", "catch_up"),
                      ("gliclazide", "2026-03-29T08:00"): ("missed", "catch_up")}
    [alert] = store.alerts()
    assert alert.kind == "missed_dose"
    # answered: neither repeated nor recorded again
    assert [d.medication_id for d in due(store, profile, t("2026-03-29T15:00+02:00"))] == []
    assert len(store.medication_events()) == 2


def test_an_unanswered_catch_up_question_is_not_repeated_and_then_counts_as_missed(store, profile,
                                                                                   day_of_reminders):
    now = t("2026-03-29T14:00+02:00")
    asked = catch_up(store, profile, now)
    say_all(store, asked, now)
    spoken = []
    for minute in range(1, 60):
        at = now + timedelta(minutes=minute)
        items = [d for d in due(store, profile, at) if d.medication_id != "insulin_glargine"]
        spoken += items
    assert spoken == []
    missed = {e.medication_id: (e.status, e.source, e.at) for e in store.medication_events()}
    assert missed == {"metformin": ("missed", "catch_up", t("2026-03-29T14:10+02:00")),
                      "gliclazide": ("missed", "catch_up", t("2026-03-29T14:10+02:00"))}
    assert len(store.alerts()) == 2


def test_catch_up_window_bounds(store, profile):
    store.add_reminder("metformin", "08:00")
    assert len(catch_up(store, profile, t("2026-03-29T20:00+02:00"))) == 1  # exactly twelve hours
    assert catch_up(store, profile, t("2026-03-29T20:00:01+02:00")) == []
    assert catch_up(store, profile, t("2026-03-29T08:05+02:00")) == []  # still on time: due, not catch-up
    assert len(catch_up(store, profile, t("2026-03-29T08:05:01+02:00"))) == 1
    wide = ReminderPolicy(catch_up_window_hours=24)
    assert len(catch_up(store, profile, t("2026-03-30T07:00+02:00"), wide)) == 1


def test_catch_up_skips_a_medication_whose_latest_dose_is_answered_or_being_announced(store, profile):
    store.add_reminder("metformin", "08:00")
    lunch = store.add_reminder("metformin", "13:00")
    [occurrence] = occurrences(lunch, t("2026-03-29T12:00+02:00"), t("2026-03-29T14:00+02:00"), PARIS)
    acknowledge(store, occurrence, t("2026-03-29T13:02+02:00"))
    assert catch_up(store, profile, t("2026-03-29T14:00+02:00")) == []  # the morning one is older: not asked
    store.add_reminder("gliclazide", "07:00")
    store.add_reminder("gliclazide", "14:00")
    assert catch_up(store, profile, t("2026-03-29T14:02+02:00")) == []  # 14:00 is being announced
    assert [d.occurrence_id for d in due(store, profile, t("2026-03-29T14:02+02:00"))] == ["2026-03-29T14:00"]


def test_catch_up_does_not_ask_about_doses_from_before_the_reminder_was_set(store, profile):
    reminder = store.add_reminder("metformin", "08:00")
    created = reminder.created_at
    # a reminder set an hour after its time of day, today on the real clock
    hhmm = (created - timedelta(hours=1)).astimezone(PARIS).strftime("%H:%M")
    store.cancel_reminders(reminder_id=reminder.id)
    late = store.add_reminder("metformin", hhmm)
    assert catch_up(store, profile, late.created_at + timedelta(hours=2)) == []
    assert due(store, profile, late.created_at + timedelta(minutes=1)) == []
    # the next day's dose is the patient's
    [next_day] = occurrences(late, late.created_at, late.created_at + timedelta(days=2), PARIS)[:1]
    assert [d.occurrence_id for d in catch_up(store, profile, next_day.utc + timedelta(hours=1))] == [next_day.id]


def test_an_announced_dose_left_unanswered_during_downtime_is_recorded_missed_on_return(store, profile):
    store.add_reminder("metformin", "08:00")
    say_all(store, due(store, profile, t("2026-03-29T08:00+02:00")), t("2026-03-29T08:00+02:00"))
    # off from 08:01 until the next evening: too late to repeat; missed as of when the announcement ran out
    back = t("2026-03-30T21:00+02:00")
    assert [d.occurrence_id for d in due(store, profile, back)] == []
    [missed] = store.medication_events()
    assert (missed.status, missed.occurrence, missed.at) == ("missed", "2026-03-29T08:00",
                                                             t("2026-03-29T08:10+02:00"))
    assert len(store.alerts()) == 1


# --- the glucose recheck ----------------------------------------------------------------------------------


def test_the_glucose_recheck_is_due_once_at_its_time(store, profile):
    store.set_setting(RECHECK_SETTING, t("2026-03-29T08:15+02:00").isoformat())
    assert due(store, profile, t("2026-03-29T08:14:59+02:00")) == []
    [recheck] = due(store, profile, t("2026-03-29T08:15+02:00"))
    assert recheck.is_recheck and recheck.kind == "recheck" and recheck.local_time == "08:15"
    assert recheck.prompt_key == "reminder_alerts.recheck"
    assert recheck.reminder is None and recheck.event_id is None and recheck.medication_id is None
    assert due(store, profile, t("2026-03-29T08:20+02:00")) == [recheck]  # held back: still due
    mark_announced(store, recheck, t("2026-03-29T08:20+02:00"))
    for minutes in (21, 30, 60, 600):
        assert due(store, profile, t("2026-03-29T08:00+02:00") + timedelta(minutes=minutes)) == []
    # a new low later sets a new recheck: due again, once
    store.set_setting(RECHECK_SETTING, t("2026-03-29T12:40+02:00").isoformat())
    assert [d.kind for d in due(store, profile, t("2026-03-29T12:41+02:00"))] == ["recheck"]


def test_the_recheck_comes_first_and_is_not_due_forever(store, profile):
    store.add_reminder("metformin", "08:15")
    store.set_setting(RECHECK_SETTING, "2026-03-29T08:15:00+02:00")
    assert [d.kind for d in due(store, profile, t("2026-03-29T08:15+02:00"))] == ["recheck", "reminder"]
    assert due(store, profile, t("2026-03-29T21:00+02:00")) == []  # beyond the catch-up window
    assert store.get_setting(RECHECK_SETTING) == "2026-03-29T08:15:00+02:00"  # read, never changed


# --- the engine object and the listing ---------------------------------------------------------------------


def test_engine_tick_gives_due_then_catch_up(store, profile, day_of_reminders):
    engine = ReminderEngine(store, profile)
    items = engine.tick(t("2026-03-29T14:00+02:00"))
    assert [(d.kind, d.medication_id) for d in items] == [
        ("reminder", "insulin_glargine"), ("catch_up", "gliclazide"), ("catch_up", "metformin")]
    for item in items:
        engine.mark_announced(item, t("2026-03-29T14:00+02:00"))
    assert engine.tick(t("2026-03-29T14:01+02:00")) == []
    assert engine.acknowledge(items[0], t("2026-03-29T14:02+02:00"))
    assert engine.record_missed(items[1], t("2026-03-29T14:02+02:00"))


def test_due_reminder_json(store, profile):
    reminder = store.add_reminder("metformin", "02:30")
    [item] = due(store, profile, t("2026-03-29T03:00+02:00"))
    assert item.to_json() == {
        "kind": "reminder", "reminder_id": reminder.id, "medication_id": "metformin",
        "occurrence_id": "2026-03-29T02:30", "event_id": f"reminder-{reminder.id}-2026-03-29T02:30",
        "scheduled_at": "2026-03-29T03:00:00+02:00", "local_time": "03:00", "announcement": 1,
        "dose_text": None, "prompt": "reminder_alerts.due",
    }


def test_reminder_listing_gives_the_next_occurrence(store, profile):
    store.add_reminder("insulin_glargine", "22:00", dose_text="douze unités")
    store.add_reminder("metformin", "02:30", days="sun")
    listing = reminder_listing(store, profile, t("2026-03-28T12:00+01:00"))
    assert [(r["medication_id"], r["next"]["at"]) for r in listing] == [
        ("metformin", "2026-03-29T03:00:00+02:00"), ("insulin_glargine", "2026-03-28T22:00:00+01:00")]
    assert listing[0]["next"]["occurrence_id"] == "2026-03-29T02:30"
    assert listing[1]["dose_text"] == "douze unités" and listing[1]["days"] == "daily"


def test_policy_validation():
    with pytest.raises(ValueError):
        ReminderPolicy(max_announcements=0)
    with pytest.raises(ValueError):
        ReminderPolicy(announce_window_minutes=-1)
    assert ReminderPolicy().repeat_after == timedelta(minutes=10)


def test_nothing_reads_the_clock(monkeypatch, store, profile):
    import voice_assistant.reminders.engine as engine_module
    import voice_assistant.reminders.schedule as schedule_module

    class NoNow(datetime):
        @classmethod
        def now(cls, tz=None):
            raise AssertionError("the engine read the clock")

        utcnow = today = now

    monkeypatch.setattr(engine_module, "datetime", NoNow)
    monkeypatch.setattr(schedule_module, "datetime", NoNow)
    store.add_reminder("metformin", "08:00")
    store.set_setting(RECHECK_SETTING, "2026-03-29T08:00:00+02:00")
    engine = ReminderEngine(store, profile)
    for item in engine.tick(t("2026-03-29T08:00+02:00")):
        engine.mark_announced(item, t("2026-03-29T08:00+02:00"))
    assert catch_up(store, profile, t("2026-03-29T12:00+02:00")) == []
    assert datetime.now(UTC)  # (the real clock is untouched outside the engine)
