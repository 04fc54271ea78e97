"""The `reminder_alerts` prompts: the same keys and {fields} in every language, words only, and every prompt
the engine names exists."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from voice_assistant.reminders import DueReminder
from voice_assistant.store import Reminder

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
LANGUAGES = ("fr", "en")
FIELD = re.compile(r"\{(\w*)\}")


def alerts(lang: str) -> dict[str, str]:
    data = yaml.safe_load((PROMPTS / f"{lang}.yaml").read_text(encoding="utf-8"))
    return data["reminder_alerts"]


def test_same_keys_and_fields_in_every_language():
    french = alerts("fr")
    for lang in LANGUAGES:
        block = alerts(lang)
        assert set(block) == set(french), lang
        for key, text in block.items():
            assert set(FIELD.findall(text)) == set(FIELD.findall(french[key])), (lang, key)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plain_text_with_no_digits(lang):
    for key, text in alerts(lang).items():
        assert isinstance(text, str) and text.strip(), key
        assert not re.search(r"\d", text), key
        assert len(re.split(r"[.?!]\s", text)) <= 3, key  # short: a few sentences at most


@pytest.mark.parametrize("kind,dose", [("reminder", None), ("reminder", "one tablet"), ("repeat", None),
                                       ("catch_up", None), ("recheck", None)])
def test_every_prompt_the_engine_names_exists(kind, dose):
    reminder = Reminder(id=1, medication_id="metformin", time_of_day="08:00", days="daily", dose_text=dose,
                        active=True, created_at=datetime(2026, 1, 1).astimezone())
    item = DueReminder(kind=kind, scheduled_at=datetime(2026, 3, 29, 8).astimezone(), local_time="08:00",
                       reminder=None if kind == "recheck" else reminder,
                       occurrence_id=None if kind == "recheck" else "2026-03-29T08:00")
    section, key = item.prompt_key.split(".")
    assert section == "reminder_alerts"
    for lang in LANGUAGES:
        assert key in alerts(lang)


def test_the_french_reminder_reads_as_in_the_issue():
    # The issue's wording, without « prise », which is wrong for « le ramipril » or « le gliclazide »:
    # the sentence must fit every medication name.
    text = alerts("fr")["due"].format(time="huit heures", medication="metformine")
    assert text == "Il est huit heures. C'est l'heure de votre metformine. Quand c'est fait, dites « c'est fait »."
    assert alerts("fr")["catch_up"].format(time="huit heures", medication="metformine") == (
        "Vous aviez un rappel à huit heures pour votre metformine. Est-ce que c'est fait ?")
