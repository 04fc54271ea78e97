"""Any string gives a result, never an exception (recognisers and keyboards produce anything)."""

import json

import pytest
from hypothesis import given, settings, strategies as st

from voice_assistant.nlu import Understander

UNDERSTANDERS = {lang: Understander(lang) for lang in ("fr", "en")}


def check(result):
    assert isinstance(result.intent, str) and result.intent
    assert 0.0 <= result.confidence <= 1.0
    json.dumps(result.to_json())  # serialisable as the CLI prints it
    if result.intent == "none":
        assert result.slots == {}


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300), lang=st.sampled_from(["fr", "en"]))
def test_any_text(text, lang):
    check(UNDERSTANDERS[lang].understand(text))


@settings(max_examples=150, deadline=None)
@given(text=st.from_regex(r"[0-9 ,.:h]{0,40}", fullmatch=True), lang=st.sampled_from(["fr", "en"]))
def test_only_digits_and_separators(text, lang):
    check(UNDERSTANDERS[lang].understand(text))


@pytest.mark.parametrize("text", [
    "", " ", "\x00\x01\x02", "😀🩸💉", "a" * 10_000, "cent " * 2_000, "9" * 5000, "1,2,3,4.5.6:7h8",
    "glycémie\u200b cent\u00a0vingt", "\ufeffoui", "ÉÀÇ", "--''", "{glucose} <noter> [x] (a|b)",
])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_awkward_inputs(text, lang):
    check(UNDERSTANDERS[lang].understand(text))


def test_out_of_scope_is_none():
    assert UNDERSTANDERS["en"].understand("what's the weather like tomorrow").intent == "none"
    assert UNDERSTANDERS["fr"].understand("raconte-moi une blague").intent == "none"
    assert UNDERSTANDERS["en"].understand("").intent == "none"
