"""Endpointing on synthetic speech: older speakers may pause mid-sentence without being cut off."""

from __future__ import annotations

import numpy as np
import pytest

from audio_synth import R, clip, silence, speech
from voice_assistant.audio import EndpointConfig, Endpointer, EventKind, segment, utterances
from voice_assistant.audio.endpoint import NO_SPEECH, SPEECH_STARTED, UTTERANCE_ENDED


def kinds(events):
    return [e.kind for e in events]


def ended(events):
    return [e for e in events if e.kind is UTTERANCE_ENDED]


@pytest.mark.parametrize("noise_db", [None, -60, -45])
def test_a_600ms_pause_does_not_split_the_utterance(noise_db):
    audio = clip(silence(1), speech(1.5, seed=1), silence(0.6), speech(1.2, seed=2), silence(2), noise_db=noise_db)
    events = segment(audio)
    assert kinds(events) == [SPEECH_STARTED, UTTERANCE_ENDED]
    end = events[1]
    assert end.reason == "silence"
    assert end.start_s == pytest.approx(1.0, abs=0.1)
    assert end.end_s == pytest.approx(4.3, abs=0.1)
    assert end.time_s - end.end_s == pytest.approx(1.0, abs=0.05)  # closed after 1 s of trailing silence
    assert end.audio.seconds == pytest.approx(3.3 + 0.3 + 0.3, abs=0.15)  # pre-roll and tail kept


@pytest.mark.parametrize("noise_db", [None, -60, -45])
def test_a_1200ms_pause_splits(noise_db):
    audio = clip(silence(1), speech(1.5, seed=1), silence(1.2), speech(1.2, seed=2), silence(2), noise_db=noise_db)
    events = segment(audio)
    assert kinds(events) == [SPEECH_STARTED, UTTERANCE_ENDED, SPEECH_STARTED, UTTERANCE_ENDED]
    first, second = ended(events)
    assert first.end_s == pytest.approx(2.5, abs=0.1) and second.start_s == pytest.approx(3.7, abs=0.1)
    assert first.audio.seconds == pytest.approx(1.5 + 0.6, abs=0.15)
    assert [u.seconds for u in utterances(audio)] == [first.audio.seconds, second.audio.seconds]


def test_utterance_audio_is_the_speech():
    voice = speech(1.0, seed=3)
    audio = clip(silence(2), voice, silence(2), noise_db=None)
    (end,) = ended(segment(audio))
    got = end.audio.samples.astype(float)
    want = audio.samples[round((end.start_s - 0.3) * R):].astype(float)[: len(got)]
    np.testing.assert_array_equal(got, want)
    assert np.sum(got**2) == pytest.approx(np.sum(audio.samples.astype(float) ** 2), rel=1e-6)


def test_speech_start_is_reported_about_150ms_after_onset():
    events = segment(clip(silence(1), speech(1.0, seed=6), silence(2)))
    start = events[0]
    assert start.kind is SPEECH_STARTED
    assert start.start_s == pytest.approx(1.0, abs=0.06)
    assert 0.149 <= start.time_s - start.start_s <= 0.35


def test_trailing_silence_is_configurable():
    audio = clip(silence(1), speech(1.5, seed=1), silence(1.2), speech(1.2, seed=2), silence(3))
    assert len(ended(segment(audio, EndpointConfig(trailing_silence_s=2.0)))) == 1
    short = EndpointConfig(trailing_silence_s=0.5, min_trailing_silence_s=0.3)
    audio = clip(silence(1), speech(1.5, seed=1), silence(0.6), speech(1.2, seed=2), silence(2))
    assert len(ended(segment(audio, short))) == 2


def test_trailing_silence_is_never_below_1s_by_default():
    assert EndpointConfig().trailing_silence_s == 1.0
    with pytest.raises(ValueError, match="pause mid-sentence"):
        EndpointConfig(trailing_silence_s=0.5)
    for bad in (dict(max_utterance_s=0), dict(no_speech_timeout_s=-1), dict(frame_s=0), dict(pre_roll_s=-0.1),
                dict(continue_margin_db=12.0)):
        with pytest.raises(ValueError):
            EndpointConfig(**bad)


def test_no_speech_timeout():
    events = segment(clip(silence(20)))
    assert kinds(events) == [NO_SPEECH, NO_SPEECH]  # every 8 s while nobody speaks
    assert [round(e.time_s, 1) for e in events] == [8.0, 16.0]
    assert kinds(segment(clip(silence(20)), EndpointConfig(no_speech_timeout_s=None))) == []
    assert len(segment(clip(silence(20)), EndpointConfig(no_speech_timeout_s=3.0))) == 6


def test_no_speech_timer_restarts_after_an_utterance_and_on_reset():
    events = segment(clip(silence(5), speech(1, seed=7), silence(10)))
    assert kinds(events) == [SPEECH_STARTED, UTTERANCE_ENDED, NO_SPEECH]
    assert events[2].time_s - events[1].time_s == pytest.approx(8.0, abs=0.05)

    ep = Endpointer()
    quiet = clip(silence(6)).samples
    assert ep.feed(quiet) == []
    ep.reset()  # a prompt was played: the patient gets 8 s from now
    assert ep.feed(quiet) == []
    assert kinds(ep.feed(quiet)) == [NO_SPEECH]


def test_max_utterance_length():
    events = segment(clip(silence(1), speech(25, seed=8), silence(2)))
    first = ended(events)[0]
    assert first.reason == "max_length"
    assert first.time_s - first.start_s == pytest.approx(20.0, abs=0.05)
    assert first.audio.seconds <= 20.0 + 0.3 + 0.3 + 0.05
    events = segment(clip(silence(1), speech(25, seed=8), silence(2)), EndpointConfig(max_utterance_s=5))
    assert [e.reason for e in ended(events)][:4] == ["max_length"] * 4


def test_clicks_and_short_bangs_are_not_speech():
    bang = np.zeros(R // 20) + 0.9  # 50 ms door slam
    bang[::2] *= -1
    events = segment(clip(silence(1), bang, silence(1), bang, silence(1)))
    assert SPEECH_STARTED not in kinds(events)


def test_streaming_in_any_block_size_matches_whole_clip():
    audio = clip(silence(1), speech(1.5, seed=1), silence(1.2), speech(1.2, seed=2), silence(2))
    whole = segment(audio)
    for block in (1, 160, 333, 480, 4096):
        ep = Endpointer()
        got = []
        pcm = audio.pcm()
        for i in range(0, len(pcm), 2 * block):
            got += ep.feed(pcm[i:i + 2 * block])
        got += ep.flush()
        assert [(e.kind, e.time_s, e.start_s, e.end_s) for e in got] == \
               [(e.kind, e.time_s, e.start_s, e.end_s) for e in whole]
        for a, b in zip(ended(got), ended(whole)):
            np.testing.assert_array_equal(a.audio.samples, b.audio.samples)


def test_float_and_2d_blocks_are_accepted():
    audio = clip(silence(1), speech(1.0, seed=9), silence(2))
    as_float = audio.samples.astype(np.float32) / 32768
    ep = Endpointer()
    events = ep.feed(as_float[:, None]) + ep.flush()  # sounddevice delivers (frames, channels)
    assert kinds(events) == kinds(segment(audio))
    with pytest.raises(ValueError):
        Endpointer().feed(b"\x00\x01\x02")


def test_end_of_audio_closes_an_utterance_in_progress():
    events = segment(clip(silence(1), speech(1.0, seed=10)))
    assert kinds(events) == [SPEECH_STARTED, UTTERANCE_ENDED]
    assert events[-1].reason == "end_of_audio"


def test_reset_drops_an_utterance_in_progress():
    ep = Endpointer()
    events = ep.feed(clip(silence(1), speech(1.0, seed=11)).samples)
    assert kinds(events) == [SPEECH_STARTED] and ep.in_speech
    ep.reset()
    assert not ep.in_speech and ep.flush() == []


def test_other_sample_rates():
    rate = 8000
    audio = clip(silence(1, rate), speech(1.5, seed=1, rate=rate), silence(0.6, rate),
                 speech(1.2, seed=2, rate=rate), silence(2, rate), rate=rate)
    (end,) = ended(segment(audio))
    assert end.audio.sample_rate == rate and end.start_s == pytest.approx(1.0, abs=0.1)


def test_a_quiet_speaker_in_a_quiet_room():
    events = segment(clip(silence(1), speech(2.0, level_db=-42, seed=12), silence(2), noise_db=-70))
    assert kinds(events) == [SPEECH_STARTED, UTTERANCE_ENDED]
    assert events[0].start_s == pytest.approx(1.0, abs=0.35)


def test_event_kinds_are_plain_strings_for_logs():
    assert EventKind.NO_SPEECH == "no_speech" and EventKind("utterance_ended") is UTTERANCE_ENDED


# --- the talk button held down (the tablet) -------------------------------------------------------------------

def feed_all(ep: Endpointer, audio) -> list:
    return ep.feed(audio.samples)


def test_held_button_keeps_a_long_pause_in_one_utterance_and_release_ends_it():
    ep = Endpointer()
    ep.hold()
    events = feed_all(ep, clip(silence(1), speech(1.5, seed=1), silence(3.0), speech(1.2, seed=2), silence(2)))
    assert kinds(events) == [SPEECH_STARTED]  # neither the 3 s pause nor the 2 s after ended it
    [end] = ep.release()
    assert end.kind is UTTERANCE_ENDED and end.reason == "released"
    assert end.audio.seconds == pytest.approx(0.3 + 1.5 + 3.0 + 1.2 + 0.3, abs=0.15)  # the tail kept as usual
    assert not ep.held


def test_release_before_any_speech_is_no_speech():
    ep = Endpointer()
    ep.hold()
    assert kinds(feed_all(ep, clip(silence(2)))) == []
    assert kinds(ep.release()) == [NO_SPEECH]


def test_a_hold_lasts_one_utterance_and_never_waits_forever():
    config = EndpointConfig(max_utterance_s=5.0)
    ep = Endpointer(config)
    ep.hold()
    events = feed_all(ep, clip(silence(9)))  # no "no speech" at 8 s while held...
    assert kinds(events) == [NO_SPEECH] and events[0].time_s == pytest.approx(5.0, abs=0.1)  # ...but at 5 s
    assert not ep.held
    ep = Endpointer()
    ep.hold()
    ep.reset()  # the listening chime is drained after the press: the button is still down
    events = feed_all(ep, clip(speech(1.0, seed=3), silence(1.5), speech(1.0, seed=4), silence(1.5)))
    assert kinds(events) == [SPEECH_STARTED]
    assert kinds(ep.release()) == [UTTERANCE_ENDED]
    events = feed_all(ep, clip(speech(1.0, seed=3), silence(1.5), speech(1.0, seed=4), silence(1.5)))
    assert kinds(events) == [SPEECH_STARTED, UTTERANCE_ENDED, SPEECH_STARTED, UTTERANCE_ENDED]  # a tap again
