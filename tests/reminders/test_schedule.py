"""occurrences(): local wall-clock times, stable ids, weekdays, and both daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voice_assistant.reminders import local_instant, next_occurrence, occurrences, runs_on
from voice_assistant.store import Reminder, reminder_event_id


def t(text: str) -> datetime:
    """An aware instant: t("2026-03-29T08:00+02:00")."""
    return datetime.fromisoformat(text)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def reminder(time_of_day: str = "08:00", days: str = "daily", rid: int = 7, med: str = "metformin") -> Reminder:
    return Reminder(id=rid, medication_id=med, time_of_day=time_of_day, days=days, dose_text=None, active=True,
                    created_at=datetime(2020, 1, 1, tzinfo=UTC))


# --- March: the clocks go forward (02:00 -> 03:00 in Paris on Sunday 29 March 2026) -------------------


def test_eight_oclock_stays_eight_oclock_across_the_spring_change():
    found = occurrences(reminder("08:00"), t("2026-03-28T00:00+01:00"), t("2026-03-30T23:59+02:00"), PARIS)
    assert [o.at.isoformat() for o in found] == [
        "2026-03-28T08:00:00+01:00", "2026-03-29T08:00:00+02:00", "2026-03-30T08:00:00+02:00"]
    assert [o.local_time for o in found] == ["08:00"] * 3
    # 23 hours between the first two: the reminder follows the wall clock, not a 24-hour period
    assert found[1].utc - found[0].utc == timedelta(hours=23)


def test_a_time_in_the_skipped_hour_fires_once_when_the_clocks_jump():
    found = occurrences(reminder("02:30"), t("2026-03-28T00:00+01:00"), t("2026-03-30T23:59+02:00"), PARIS)
    assert [o.id for o in found] == ["2026-03-28T02:30", "2026-03-29T02:30", "2026-03-30T02:30"]
    spring = found[1]
    assert spring.at.isoformat() == "2026-03-29T03:00:00+02:00"
    assert spring.local_time == "03:00"  # what the patient's clock shows when it is said
    assert spring.id == "2026-03-29T02:30"  # the id keeps the reminder's own time
    assert spring.event_id == reminder_event_id(7, "2026-03-29T02:30")


def test_local_instant_resolves_gaps_to_the_first_minute_that_exists():
    assert local_instant(date(2026, 3, 29), "02:00", PARIS).isoformat() == "2026-03-29T03:00:00+02:00"
    assert local_instant(date(2026, 3, 29), "02:59", PARIS).isoformat() == "2026-03-29T03:00:00+02:00"
    assert local_instant(date(2026, 3, 29), "03:00", PARIS).isoformat() == "2026-03-29T03:00:00+02:00"
    assert local_instant(date(2026, 3, 29), "01:59", PARIS).isoformat() == "2026-03-29T01:59:00+01:00"
    assert local_instant(date(2026, 3, 8), "02:15", NEW_YORK).isoformat() == "2026-03-08T03:00:00-04:00"
    # a half-hour change (Lord Howe Island: 02:00 -> 02:30)
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    assert local_instant(date(2026, 10, 4), "02:10", lord_howe).isoformat() == "2026-10-04T02:30:00+11:00"


# --- October: the clocks go back (03:00 -> 02:00 in Paris on Sunday 25 October 2026) ------------------


def test_a_time_in_the_repeated_hour_fires_once_at_its_first_pass():
    whole_day = (t("2026-10-25T00:00+02:00"), t("2026-10-25T23:59+01:00"))
    [once] = occurrences(reminder("02:30"), *whole_day, PARIS)
    assert once.at.isoformat() == "2026-10-25T02:30:00+02:00"  # fold=0: summer time, the first 02:30
    assert once.at.fold == 0
    # the second pass of 02:30 (an hour later) is not another occurrence
    assert occurrences(reminder("02:30"), t("2026-10-25T02:00+01:00"), t("2026-10-25T03:00+01:00"), PARIS) == []


def test_eight_oclock_stays_eight_oclock_across_the_autumn_change():
    found = occurrences(reminder("08:00"), t("2026-10-24T00:00+02:00"), t("2026-10-26T23:59+01:00"), PARIS)
    assert [o.at.isoformat() for o in found] == [
        "2026-10-24T08:00:00+02:00", "2026-10-25T08:00:00+01:00", "2026-10-26T08:00:00+01:00"]
    assert found[1].utc - found[0].utc == timedelta(hours=25)


# --- time zones ----------------------------------------------------------------------------------------


def test_the_profile_zone_decides_the_wall_clock():
    r = reminder("08:00")
    [paris] = occurrences(r, t("2026-03-08T00:00Z"), t("2026-03-08T23:59Z"), PARIS)
    ny_day = occurrences(r, t("2026-03-07T00:00-05:00"), t("2026-03-09T23:59-04:00"), NEW_YORK)
    assert paris.at.isoformat() == "2026-03-08T08:00:00+01:00"
    # the US changes on 8 March 2026, three weeks before Europe
    assert [o.at.isoformat() for o in ny_day] == [
        "2026-03-07T08:00:00-05:00", "2026-03-08T08:00:00-04:00", "2026-03-09T08:00:00-04:00"]
    assert [o.id for o in ny_day] == ["2026-03-07T08:00", "2026-03-08T08:00", "2026-03-09T08:00"]


def test_bounds_are_instants_whatever_offset_they_are_written_in():
    r = reminder("08:00")
    # 08:00 in Paris on 29 March is 06:00 UTC and 02:00 in New York
    assert len(occurrences(r, t("2026-03-29T06:00Z"), t("2026-03-29T06:00Z"), PARIS)) == 1
    assert len(occurrences(r, t("2026-03-29T02:00-04:00"), t("2026-03-29T02:00-04:00"), PARIS)) == 1
    assert occurrences(r, t("2026-03-29T06:00:01Z"), t("2026-03-29T07:00Z"), PARIS) == []
    assert occurrences(r, t("2026-03-29T09:00+02:00"), t("2026-03-29T07:00+02:00"), PARIS) == []


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        occurrences(reminder(), datetime(2026, 3, 29, 8), t("2026-03-30T08:00+02:00"), PARIS)


# --- weekdays ------------------------------------------------------------------------------------------


def test_weekdays_are_read_on_the_local_calendar():
    # Monday 00:30 in Paris is still Sunday 23:30 in UTC
    r = reminder("00:30", days="mon,wed,fri")
    week = occurrences(r, t("2026-03-02T00:00+01:00"), t("2026-03-08T23:59+01:00"), PARIS)
    assert [o.id for o in week] == ["2026-03-02T00:30", "2026-03-04T00:30", "2026-03-06T00:30"]
    assert [o.day.strftime("%a") for o in week] == ["Mon", "Wed", "Fri"]
    assert week[0].at.astimezone(UTC).strftime("%a %H:%M") == "Sun 23:30"


def test_runs_on_daily_and_listed_days():
    assert runs_on(reminder(days="daily"), date(2026, 3, 29))
    assert runs_on(reminder(days="sun"), date(2026, 3, 29))
    assert not runs_on(reminder(days="mon,tue"), date(2026, 3, 29))
    with pytest.raises(ValueError, match="unknown day"):
        runs_on(reminder(days="sunday"), date(2026, 3, 29))


def test_next_occurrence():
    r = reminder("08:00", days="wed")
    upcoming = next_occurrence(r, t("2026-03-29T08:00:01+02:00"), PARIS)  # a Sunday
    assert upcoming.at.isoformat() == "2026-04-01T08:00:00+02:00"
    assert next_occurrence(r, t("2026-04-01T08:00+02:00"), PARIS).id == "2026-04-01T08:00"  # at counts


def test_ids_do_not_depend_on_the_window_asked():
    r = reminder("08:00")
    wide = occurrences(r, t("2026-03-01T00:00+01:00"), t("2026-03-31T00:00+02:00"), PARIS)
    narrow = occurrences(r, t("2026-03-29T07:59+02:00"), t("2026-03-29T08:01+02:00"), PARIS)
    assert narrow[0] in wide and narrow[0].id == "2026-03-29T08:00"


# --- every day of the year, in zones with and without daylight saving ---------------------------------

ZONES = ["Europe/Paris", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Tokyo",
         "America/Santiago", "Europe/London", "Pacific/Auckland"]


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ZONES), day=st.dates(date(2026, 1, 1), date(2027, 12, 31)),
       hour=st.integers(0, 23), minute=st.integers(0, 59))
def test_one_occurrence_per_local_day_at_the_wall_clock_time_or_just_after_a_gap(zone, day, hour, minute):
    tz = ZoneInfo(zone)
    hhmm = f"{hour:02d}:{minute:02d}"
    start = datetime.combine(day, datetime.min.time()).replace(tzinfo=tz)
    end = start + timedelta(days=3)
    found = occurrences(reminder(hhmm), start, end, tz)
    ids = [o.id for o in found]
    assert len(ids) == len(set(ids))  # never twice the same day
    assert [o.at for o in found] == sorted(o.at for o in found)
    for o in found:
        assert o.id.endswith(hhmm)
        wall = o.at.astimezone(tz).replace(tzinfo=None)
        wanted = datetime.combine(o.day, datetime.min.time()).replace(hour=hour, minute=minute)
        if wall == wanted:
            assert o.at.fold == 0  # a repeated hour is taken at its first pass
            continue
        # only when that time does not exist that day: then the first instant after the jump
        assert wanted.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wanted
        assert wall > wanted
        one_second_before = (o.utc - timedelta(seconds=1)).astimezone(tz).replace(tzinfo=None)
        assert one_second_before < wanted
    # the middle day is fully inside the range: exactly one occurrence for it
    middle = day + timedelta(days=1)
    assert sum(o.day == middle for o in found) == 1
