"""Reminder engine fixtures: a real SQLite store, the demo profile (Europe/Paris, caregiver Marc), fixed instants.

Every instant is written with its UTC offset, as the patient's clock showed it: 2026-03-29T08:00+02:00 is
eight in the morning in Paris on the day the clocks go forward.
"""

from __future__ import annotations

from dataclasses import replace
import pytest

from voice_assistant.profile import Profile, default_profile
from voice_assistant.store import Store


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "assistant.db") as opened:
        yield opened


@pytest.fixture
def profile() -> Profile:
    return default_profile()


@pytest.fixture
def new_york(profile) -> Profile:
    return replace(profile, timezone="America/New_York")


@pytest.fixture
def alone(profile) -> Profile:
    """No caregiver: missed doses are recorded, without an alert."""
    return replace(profile, caregiver=None)
