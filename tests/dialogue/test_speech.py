"""Values written for the ear: glucose in the patient's unit, times, moments, emergency numbers."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from voice_assistant.dialogue.prompts import load_prompts
from voice_assistant.health.glucose import GlucoseUnit

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2025, 3, 12, 18, 0, tzinfo=PARIS)  # a Wednesday evening


def speech(lang):
    return load_prompts(lang).speech


@pytest.mark.parametrize("lang, mg_dl, unit, said", [
    ("fr", 120, GlucoseUnit.G_L, "un gramme vingt"),
    ("fr", 105, GlucoseUnit.G_L, "un gramme zéro cinq"),
    ("fr", 100, GlucoseUnit.G_L, "un gramme"),
    ("fr", 90, GlucoseUnit.G_L, "zéro gramme quatre-vingt-dix"),
    ("fr", 250, GlucoseUnit.G_L, "deux grammes cinquante"),
    ("fr", 128, GlucoseUnit.MG_DL, "cent vingt-huit milligrammes par décilitre"),
    ("fr", 129.7, GlucoseUnit.MMOL_L, "sept virgule deux millimoles par litre"),
    ("en", 118, GlucoseUnit.MG_DL, "one hundred and eighteen milligrams per deciliter"),
    ("en", 117.1, GlucoseUnit.MMOL_L, "six point five millimoles per liter"),
    ("en", 120, GlucoseUnit.G_L, "one point two grams per liter"),
    ("en", 100, GlucoseUnit.G_L, "one gram per liter"),
])
def test_glucose_in_the_patients_unit(lang, mg_dl, unit, said):
    assert speech(lang).glucose(mg_dl, unit) == said


@pytest.mark.parametrize("lang, hhmm, said", [
    ("fr", "08:30", "huit heures trente"),
    ("fr", "08:05", "huit heures cinq"),
    ("fr", "01:00", "une heure"),
    ("fr", "21:00", "vingt et une heures"),
    ("fr", "21:21", "vingt et une heures vingt et une"),
    ("fr", "12:00", "midi"),
    ("fr", "12:15", "midi quinze"),
    ("fr", "00:00", "minuit"),
    ("fr", "22:45", "vingt-deux heures quarante-cinq"),
    ("en", "08:30", "eight thirty in the morning"),
    ("en", "08:05", "eight oh five in the morning"),
    ("en", "13:00", "one in the afternoon"),
    ("en", "21:00", "nine in the evening"),
    ("en", "22:00", "ten at night"),
    ("en", "12:00", "noon"),
    ("en", "00:00", "midnight"),
    ("en", "12:40", "twelve forty in the afternoon"),
    ("en", "00:05", "twelve oh five at night"),
])
def test_times_of_day(lang, hhmm, said):
    assert speech(lang).time(hhmm) == said


@pytest.mark.parametrize("lang, delta, hour, minute, said", [
    ("fr", 0, 7, 40, "ce matin à sept heures quarante"),
    ("fr", 0, 15, 0, "cet après-midi à quinze heures"),
    ("fr", 1, 20, 30, "hier soir à vingt heures trente"),
    ("fr", 1, 8, 0, "hier matin à huit heures"),
    ("fr", 2, 8, 0, "lundi à huit heures"),
    ("fr", 20, 9, 0, "le vingt février à neuf heures"),
    ("en", 0, 7, 40, "this morning at seven forty"),
    ("en", 0, 12, 27, "this afternoon at twelve twenty-seven"),  # said once, not "... in the afternoon" again
    ("en", 1, 20, 30, "last night at eight thirty"),
    ("en", 2, 8, 0, "on Monday at eight in the morning"),
    ("en", 20, 9, 0, "on February twenty at nine in the morning"),
])
def test_moments(lang, delta, hour, minute, said):
    moment = (NOW - timedelta(days=delta)).replace(hour=hour, minute=minute)
    assert speech(lang).when(moment, NOW) == said


@pytest.mark.parametrize("lang, number, said", [
    ("fr", "15", "quinze"), ("fr", "112", "cent douze"), ("en", "911", "nine one one"),
    ("en", "999", "nine nine nine"), ("en", "000", "zero zero zero"),
])
def test_emergency_numbers_as_words(lang, number, said):
    assert speech(lang).phone(number) == said
