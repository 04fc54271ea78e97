"""Property-based tests (hypothesis) of whole conversations, in both languages.

Any sequence of utterances (phrasings from the corpora, yes and no, noise, digit look-alikes, 400-digit
numbers, undecodable bytes) and silences: no turn fails, every stored reading is a value a meter can show,
taken at a moment already past, and nothing is queued for the clinician except on a turn that answers a
question the assistant asked (a confirmed turn).
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voice_assistant.dialogue.manager import DialogueManager
from voice_assistant.health.glucose import PLAUSIBLE_MG_DL
from voice_assistant.profile import default_profile
from voice_assistant.store import Store

CORPORA = Path(__file__).resolve().parents[1] / "corpora"
START = datetime(2025, 3, 12, 7, 40, tzinfo=default_profile().zone)


def corpus_texts(lang: str) -> list[str]:
    texts = []
    for path in sorted((CORPORA / lang).glob("*.yaml")):
        texts += [c["text"] for c in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"] if c.get("text")]
    return texts


ANSWERS = {"fr": ["oui", "non", "c'est ça", "annule", "stop", "aide", "répète", "suivant", "au revoir", "merci"],
           "en": ["yes", "no", "that's it", "cancel", "stop", "help", "say that again", "next", "bye", "thanks"]}
ODD = ["⓽", "➒", "፫", "❻", "9" * 400, "1e400", "0.0001", "\udcff\udcfe", "\x00", "‮", "١٢٠", "１２０", "nan", "inf",
       "-5", "12,5,3", "8:99", "25 h 70", "hi", "lo", "high", "low"]


def utterances(lang: str) -> st.SearchStrategy[str]:
    phrases = st.sampled_from(corpus_texts(lang) + ANSWERS[lang])
    odd = st.sampled_from(ODD)
    return st.one_of(
        phrases, phrases, phrases,
        st.sampled_from(ANSWERS[lang]),
        st.builds(lambda a, b: f"{a} {b}", phrases, odd),
        st.builds(lambda a, b: f"{a} {b}", odd, phrases),
        st.text(max_size=60),
        st.binary(max_size=40).map(lambda b: b.decode("utf-8", "surrogateescape")),
    )


def steps(lang: str):
    """An utterance, or a silence of some seconds (None, seconds)."""
    return st.lists(st.one_of(utterances(lang).map(lambda t: (t, 0)),
                              st.integers(1, 20).map(lambda s: (None, s))), min_size=1, max_size=14)


def outbox_size(store: Store) -> int:
    return len(store.outbox_items())


def run_conversation(lang: str, script) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "a.db")
        try:
            manager = DialogueManager(default_profile(), store, lang, save_profile_changes=False)
            now = START
            for text, silence in script:
                asked = manager.ctx.pending is not None
                before = outbox_size(store)
                if text is None:
                    now += timedelta(seconds=silence)
                    reply = manager.tick(now)
                else:
                    now += timedelta(seconds=3)
                    reply = manager.handle(text, now).reply
                if reply is not None:
                    assert "error" not in reply.events, (text, reply)
                    assert reply.text.strip()
                if outbox_size(store) > before:
                    assert asked, f"queued for the clinician on a turn that answered no question: {text!r}"
            low, high = PLAUSIBLE_MG_DL
            for reading in store.readings():
                assert low <= reading.glucose_mg_dl <= high
                assert reading.measured_at <= now + timedelta(minutes=10)
            for event in store.medication_events():
                assert event.at <= now + timedelta(minutes=10)
        finally:
            store.close()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_any_conversation_keeps_the_rules(lang):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(steps(lang))
    def check(script):
        run_conversation(lang, script)

    check()
