"""Property-based test (hypothesis) of `understand` in both languages: no input makes it fail, and what it
returns keeps the contract (a known intent, a finite glucose slot inside what a body can have)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voice_assistant.health.glucose import PHYSICAL_MG_DL
from voice_assistant.nlu import Understander

LOOKALIKES = "⓽➒፫❻١٢٣１２３²³½"
WORDS = {"fr": ["ma", "glycémie", "est", "de", "un", "gramme", "vingt", "virgule", "mmol", "hier", "soir", "il", "y",
                "a", "heures", "rappel", "metformine", "oui", "non", "HI", "LO", "à", "jeun"],
         "en": ["my", "sugar", "is", "one", "twenty", "point", "mmol", "last", "night", "ago", "hours", "remind",
                "metformin", "yes", "no", "hi", "low", "at", "fasting", "oh"]}


def texts(lang: str):
    word = st.sampled_from(WORDS[lang])
    number = st.one_of(st.integers(0, 10**6).map(str), st.integers(1, 500).map(lambda n: "9" * n),
                       st.floats(allow_nan=True, allow_infinity=True).map(str))
    token = st.one_of(word, word, number, st.sampled_from(list(LOOKALIKES)), st.text(max_size=6))
    return st.one_of(st.lists(token, max_size=15).map(" ".join), st.text(max_size=200),
                     st.binary(max_size=60).map(lambda b: b.decode("utf-8", "surrogateescape")))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_understand_never_fails_and_keeps_the_contract(lang):
    understander = Understander(lang)
    intents = set(understander.pack.intents) | {"none"}
    low, high = PHYSICAL_MG_DL

    @settings(max_examples=300, deadline=None)
    @given(texts(lang))
    def check(text):
        u = understander.understand(text)
        assert u.intent in intents
        assert 0.0 <= u.confidence <= 1.0
        if "glucose_mg_dl" in u.slots:
            value = u.slots["glucose_mg_dl"]
            assert math.isfinite(value) and low <= value <= high
        if "time" in u.slots:
            hour, minute = (int(x) for x in u.slots["time"].split(":"))
            assert 0 <= hour < 24 and 0 <= minute < 60

    check()
