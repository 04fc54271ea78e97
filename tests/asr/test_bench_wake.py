"""scripts/bench_wake.py's held-out material (`--programmes unseen`) and the lists of false wakes and misses it
prints: the held-out television, requests and voices share nothing with the ones the wake rule was chosen on, and
each false wake / miss is matched to what was said then."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from voice_assistant.asr.wake import WakeRule
from voice_assistant.audio.clip import SAMPLE_RATE

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import bench_wake as bench  # noqa: E402  (the measurement script)


def sentences(programmes):
    return {s for lines in programmes.values() for s in lines}


def test_held_out_material_shares_nothing_with_the_seen():
    assert len(bench.UNSEEN_PROGRAMMES) >= 6
    assert not set(bench.UNSEEN_PROGRAMMES) & set(bench.PROGRAMMES)
    assert not sentences(bench.UNSEEN_PROGRAMMES) & sentences(bench.PROGRAMMES)
    assert not set(bench.UNSEEN_REQUESTS) & set(bench.REQUESTS)
    assert not set(bench.UNSEEN_VOICES) & set(bench.VOICES)
    assert bench.MATERIAL["seen"] is bench.SEEN and bench.SEEN.voices == bench.VOICES  # the default is unchanged


def test_no_television_sentence_opens_with_the_wake_phrase():
    rule = WakeRule(("assistant",))
    said = sentences(bench.UNSEEN_PROGRAMMES) | sentences(bench.PROGRAMMES)
    assert not [s for s in said if rule.transcript_opens(s.split())]
    # the near-misses the held-out set is meant to carry are there
    text = " ".join(sentences(bench.UNSEEN_PROGRAMMES)).lower()
    for near in ("assistant manager", "his assistant said", "assistance", "assist ", "a system", "this is tense"):
        assert near in text, near


def test_the_fresh_and_fourth_sets_share_nothing_with_the_others():
    fresh = bench.MATERIAL["fresh"]
    others = {**bench.PROGRAMMES, **bench.UNSEEN_PROGRAMMES}
    assert len(fresh.programmes) >= 4 and not set(fresh.programmes) & set(others)
    assert not sentences(fresh.programmes) & sentences(others)
    assert not set(fresh.requests) & set(bench.REQUESTS + bench.UNSEEN_REQUESTS)
    assert not set(fresh.voices) & set(bench.VOICES + bench.UNSEEN_VOICES)
    fourth = bench.MATERIAL["fourth"]
    others = {**others, **fresh.programmes}
    assert len(fourth.programmes) >= 4 and not set(fourth.programmes) & set(others)
    assert not sentences(fourth.programmes) & sentences(others)
    assert not set(fourth.requests) & set(bench.REQUESTS + bench.UNSEEN_REQUESTS + fresh.requests)
    assert not set(fourth.voices) & set(bench.VOICES + bench.UNSEEN_VOICES + fresh.voices)
    text = " ".join(sentences(fresh.programmes)).lower()
    for near in ("a sister", "assistance", "insistent", "consistent", "this is tent", "that's instant", "assessed in"):
        assert near in text, near
    # television does say the word itself at the start of a sentence, once here
    rule = WakeRule(("assistant",))
    assert len([s for s in sentences(fresh.programmes) if rule.transcript_opens(s.split())]) == 1


def test_every_held_out_espeak_voice_exists_and_speaks():
    from voice_assistant.tts.espeak import EspeakSynthesizer

    for voice in bench.UNSEEN_VOICES + bench.FRESH_VOICES + bench.FOURTH_VOICES:
        if bench.is_joe(voice):
            assert 0.5 < bench.joe_factor(voice) < 1.5 and bench.joe_factor(voice) != 1.0
            continue
        synth = EspeakSynthesizer("en", voice=voice)
        assert len(synth.synthesize("hello there", 150)) > 0.2 * synth.sample_rate


class SilentVoices:
    """Stands in for the synthesisers: a second of silence per text, and what was asked of it."""

    def __init__(self):
        self.said = []

    def say(self, text, voice, wpm):
        self.said.append((text, voice, wpm))
        return np.zeros(SAMPLE_RATE, np.int16)


def test_held_out_requests_say_the_phrase_with_and_without_a_pause_in_every_voice():
    voices = SilentVoices()
    _, spans = bench.requests(voices, 24, (115, 160), bench.UNSEEN)
    assert len(spans) == 48
    for voice in bench.UNSEEN_VOICES:
        texts = [t for t, v, _ in voices.said if v == voice]
        assert any(t.startswith("assistant, ") for t in texts) and any(
            t.startswith("assistant ") and not t.startswith("assistant,") for t in texts), voice
    assert {w for _, _, w in voices.said} == {115, 160}
    assert spans[0].text == voices.said[0][0] and spans[0].voice.endswith("115 wpm")


def test_television_script_times_match_the_stream():
    voices = SilentVoices()
    audio, script = bench.television(voices, 0.5, bench.UNSEEN)
    assert script and len(audio) / SAMPLE_RATE >= script[-1].end_s
    assert all(b.start_s >= a.end_s + 0.25 - 1e-6 for a, b in zip(script, script[1:]))
    lo, hi = bench.UNSEEN.tv_rates
    assert all(lo <= w < hi for _, _, w in voices.said)
    _, apart = bench.television(SilentVoices(), 0.5, bench.UNSEEN, pauses=(1.1, 2.0))  # each its own utterance
    gaps = [b.start_s - a.end_s for a, b in zip(apart, apart[1:])]
    assert min(gaps) >= 1.1 - 1e-6 and max(gaps) <= 2.0 + 1.5 + 1e-6  # + the pause between programmes


def test_false_wakes_and_misses_are_listed_with_what_was_said():
    script = [bench.Said(0.0, 2.0, "soap", "en+f5", "Tell me the truth, Danny."),
              bench.Said(2.5, 4.0, "soap", "en+f5", "Call me at six.")]
    tv = [bench.Utterance(0.1, 2.0, ["tell", "me"]), bench.Utterance(2.6, 4.0, ["assistant", "call", "me"])]
    woke = [False, True]
    found = bench.false_wake_detail(tv, woke, script)
    assert len(found) == 1 and found[0]["said"] == ["[soap, en+f5] Call me at six."]
    assert found[0]["heard"] == "assistant call me"

    spans = [bench.Spoken(0, 2 * SAMPLE_RATE, "assistant, help", "joe@0.85 115 wpm"),
             bench.Spoken(3 * SAMPLE_RATE, 5 * SAMPLE_RATE, "assistant goodbye", "en+f5 160 wpm")]
    rq = [bench.Utterance(0.2, 1.9, ["assistant", "help"]), bench.Utterance(3.1, 4.9, ["that's", "instant", "goodbye"])]
    opened = [True, False]
    assert bench.missed(rq, opened, spans) == [1]
    assert bench.accepted(rq, opened, spans) == 1
    (miss,) = bench.miss_detail(rq, spans, [1])
    assert miss["said"] == "assistant goodbye" and miss["utterances"][0]["heard"] == "that's instant goodbye"


def test_the_room_condition_adds_a_reverberant_tail_and_keeps_the_level():
    """`--room`: the speech heard across a room (make_audio_devset.py's reverberation) before the noise; one room for
    the television and the requests, RT60 in make_audio_devset's range."""
    burst = np.zeros(2 * SAMPLE_RATE, np.int16)
    burst[:SAMPLE_RATE // 2] = np.random.default_rng(3).normal(0, 3000, SAMPLE_RATE // 2).astype(np.int16)
    dry, wet = bench.room(burst, seed=1), bench.room(burst, seed=1, reverberant=True)
    after = slice(SAMPLE_RATE // 2 + 800, SAMPLE_RATE)  # 50 ms after the burst ends
    assert np.abs(wet[after].astype(float)).mean() > 5 * np.abs(dry[after].astype(float)).mean()
    level = lambda x: np.sqrt(np.mean(x[:SAMPLE_RATE // 2].astype(float) ** 2))  # noqa: E731
    assert 0.7 < level(wet) / level(dry) < 1.3
    assert 0.3 <= bench.room_rt60() <= 0.7


def test_the_dump_keeps_whisper_s_scores_of_every_text_the_model_gate_may_ask_about():
    """`scored_texts` scores each reading as it is, with its first words replaced by the phrase and without them;
    `likelihood_from` gives the replay the same mean log-probabilities per token the live loop's `likelihood_of`
    computes, and the rule's model margin finds every text it asks for among them."""

    class Scored:
        def __init__(self, text):
            self.token_probs = (0.5,) * len(text.split())

    asked = []

    def scorer(pcm, texts):
        asked.extend(texts)
        return [Scored(t) for t in texts]

    rule = WakeRule(("assistant",))
    u = bench.Utterance(0.2, 2.0, ["assistant", "what's", "on", "my", "reminder"],
                        [["assistant", "what's", "on", "my", "reminder"], ["that's", "the", "instant", "my", "mind"]])
    u.scores = bench.scored_texts(scorer, b"pcm", rule, u)
    assert "assistant what's on my reminder" in u.scores and "assistant my mind" in u.scores
    assert "that's the instant my mind" in u.scores and len(asked) == len(set(asked))
    total, tokens = u.scores["assistant my mind"]
    assert tokens == 3 and abs(total - 3 * np.log(0.5)) < 1e-3
    likelihood = bench.likelihood_from(u)
    assert likelihood(["assistant my mind", "not kept"]) == [total / 3, None]
    assert abs(rule.model_margin(["what's", "on", "my", "reminder"], u.readings, likelihood)) < 1e-3
    assert bench.likelihood_from(bench.Utterance(0.0, 1.0, []))(["assistant"]) is None
