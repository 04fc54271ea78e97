"""The capture ring: time-stamped microphone blocks, the assistant's own sounds left out by stream time, a pre-roll
of at least 0.5 s, nothing lost while the reader is busy. Time here is a hand-moved clock, as a stream's is."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from voice_assistant.audio.clip import AudioClip
from voice_assistant.audio.ring import RELEASED, CaptureRing, EchoTail

RATE = 16000
BLOCK = 480  # 30 ms


class Clock:
    def __init__(self, t: float = 100.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def ramp(n: int, start: int) -> np.ndarray:
    """Samples numbered start, start+1... (as uint16 bits: 4 s at 16 kHz): where each read sample came from is
    known exactly."""
    return np.arange(start, start + n).astype(np.uint16).view(np.int16)


def record(ring: CaptureRing, clock: Clock, seconds: float, t0: float, first: int = 0) -> int:
    """Write `seconds` of numbered samples as 30 ms blocks stamped from t0; returns the next sample number."""
    n = first
    t = t0
    for _ in range(round(seconds * RATE / BLOCK)):
        ring.write(ramp(BLOCK, n), t)
        n += BLOCK
        t += BLOCK / RATE
        clock.t = max(clock.t, t)
    return n


def read_all(reader) -> np.ndarray:
    parts = []
    while (got := reader.read(0)) is not None:
        if got is not RELEASED:
            parts.append(got)
    return (np.concatenate(parts) if parts else np.zeros(0, np.int16)).view(np.uint16).astype(np.int64)


def test_nothing_is_lost_while_the_reader_is_busy():
    clock = Clock()
    ring = CaptureRing(clock=clock)
    reader = ring.reader()
    record(ring, clock, 4.0, t0=100.0)  # four seconds nobody read (a reply being synthesised, say)
    got = read_all(reader)
    assert np.array_equal(got, np.arange(round(4.0 * RATE / BLOCK) * BLOCK))


def test_the_assistant_sound_and_its_echo_tail_are_left_out_by_stream_time():
    clock = Clock()
    ring = CaptureRing(echo_tail_s=0.1, clock=clock)
    reader = ring.reader()
    sound = ring.sound_started(101.0)
    ring.sound_ended(sound, 101.5)
    record(ring, clock, 3.0, t0=100.0)
    clock.t = 103.5
    got = read_all(reader)
    # samples stamped 101.0 <= t < 101.6 are gone, and only those (sample k is at 100 + k/RATE)
    times = 100.0 + got / RATE
    assert not np.any((times >= 101.0) & (times < 101.6 - 1e-9))
    assert len(got) == round(3.0 * RATE / BLOCK) * BLOCK - round(0.6 * RATE)
    assert reader.skipped


def test_speech_right_after_a_sound_is_kept_to_the_sample():
    clock = Clock()
    ring = CaptureRing(echo_tail_s=0.05, clock=clock)
    reader = ring.reader()
    sound = ring.sound_started(100.3)
    ring.sound_ended(sound, 100.6)  # the chime's last sample left the speaker at 100.6
    record(ring, clock, 1.5, t0=100.0)
    got = read_all(reader)
    assert got[0] == 0 and got[round(0.3 * RATE) - 1] == round(0.3 * RATE) - 1  # all before the chime
    after = got[got >= round(0.6 * RATE)]
    assert after[0] == round(0.65 * RATE)  # the first sample after the tail, nothing later dropped
    assert np.all(np.diff(after) == 1)


def test_a_sound_cut_before_its_told_end_is_left_out_only_until_the_cut():
    """The player tells a sound's end when its last sample is written (ahead of the device); a stop then cuts it and
    tells the end again, earlier: what the patient says right after the cut is kept."""
    clock = Clock()
    ring = CaptureRing(echo_tail_s=0.05, clock=clock)
    reader = ring.reader()
    sound = ring.sound_started(100.3)
    ring.sound_ended(sound, 101.3)  # written whole: would be heard until 101.3
    ring.sound_ended(sound, 100.6)  # cut at 100.6
    record(ring, clock, 1.5, t0=100.0)
    got = read_all(reader)
    after = got[got >= round(0.6 * RATE)]
    assert after[0] == round(0.65 * RATE) and np.all(np.diff(after) == 1)


def test_samples_a_sound_in_progress_may_cover_are_held_back():
    clock = Clock()
    ring = CaptureRing(echo_tail_s=0.1, clock=clock)
    reader = ring.reader()
    record(ring, clock, 0.3, t0=100.0)
    sound = ring.sound_started(100.3)  # playing, end not known yet
    record(ring, clock, 0.6, t0=100.3, first=round(0.3 * RATE) // BLOCK * BLOCK)
    before = read_all(reader)
    assert len(before) == 0.3 * RATE  # only what came before the sound
    ring.sound_ended(sound, 100.6)
    clock.t = 100.65  # inside the echo tail: still held
    assert reader.read(0) is None or len(read_all(reader)) == 0
    record(ring, clock, 0.3, t0=100.9, first=round(0.9 * RATE))
    clock.t = 101.3
    after = read_all(reader)
    assert after[0] == round(0.7 * RATE)  # nothing from 100.3 to 100.7 came through, then everything
    assert np.array_equal(after, np.arange(round(0.7 * RATE), after[-1] + 1))


def test_seek_keeps_half_a_second_before_the_press():
    clock = Clock()
    ring = CaptureRing(clock=clock)
    reader = ring.reader()
    record(ring, clock, 2.0, t0=100.0)
    reader.seek_to(101.2)  # the key pressed at 101.2
    got = read_all(reader)
    assert got[0] == round(0.7 * RATE)  # from 100.7: 0.5 s of pre-roll
    with pytest.raises(ValueError):
        CaptureRing(pre_roll_s=0.3)


def test_seek_never_reads_the_same_audio_twice():
    clock = Clock()
    ring = CaptureRing(clock=clock)
    reader = ring.reader()
    record(ring, clock, 2.0, t0=100.0)
    read_all(reader)
    reader.seek_to(101.9)
    assert reader.read(0) is None


def test_a_released_button_is_read_in_order_and_seek_stays_after_it():
    clock = Clock()
    ring = CaptureRing(clock=clock)
    reader = ring.reader()
    record(ring, clock, 0.3, t0=100.0)
    ring.mark_release()
    record(ring, clock, 0.3, t0=100.3, first=round(0.3 * RATE) // BLOCK * BLOCK)
    got = []
    while (x := reader.read(0)) is not None:
        got.append("R" if x is RELEASED else len(x))
    assert got == [BLOCK] * 10 + ["R"] + [BLOCK] * 10
    other = ring.reader()
    other.seek_to(100.5)
    assert other.read(0) is not RELEASED


def test_a_full_ring_drops_the_oldest_audio_not_the_newest():
    clock = Clock()
    ring = CaptureRing(capacity_s=1.0, clock=clock)
    reader = ring.reader()
    end = record(ring, clock, 3.0, t0=100.0)
    got = read_all(reader)
    assert got[-1] == end - 1 and len(got) <= RATE and ring.dropped > 0


def test_a_raw_reader_hears_the_assistant_too():
    clock = Clock()
    ring = CaptureRing(clock=clock)
    raw = ring.reader(raw=True)
    sound = ring.sound_started(100.0)
    record(ring, clock, 1.0, t0=100.0)
    assert len(read_all(raw)) == round(1.0 * RATE / BLOCK) * BLOCK  # while the sound still plays
    ring.sound_ended(sound, 101.0)


def test_a_reader_waits_for_the_microphone():
    ring = CaptureRing()
    reader = ring.reader()
    threading.Timer(0.05, lambda: ring.write(np.ones(BLOCK, np.int16))).start()
    got = reader.read(2.0)
    assert got is not None and len(got) == BLOCK
    assert reader.read(0.01) is None


def test_gaps_in_the_stream_time_are_counted():
    clock = Clock()
    ring = CaptureRing(clock=clock)
    ring.write(np.zeros(BLOCK, np.int16), 100.0)
    ring.write(np.zeros(BLOCK, np.int16), 100.03)
    ring.write(np.zeros(BLOCK, np.int16), 100.075)  # 15 ms late: clock jitter, not a gap
    ring.write(np.zeros(BLOCK, np.int16), 100.2)  # 95 ms missing: an overrun upstream
    assert ring.gaps == 1


def test_echo_tail_is_measured_from_the_decay_after_a_sound():
    rng = np.random.default_rng(0)
    floor = rng.normal(0, 30, RATE)
    decay = rng.normal(0, 1, RATE) * 3000 * np.exp(-np.arange(RATE) / (0.03 * RATE)) + rng.normal(0, 30, RATE)
    tail = EchoTail()
    measured = tail.measure(floor.astype(np.int16), decay.astype(np.int16))
    assert 0.08 <= measured <= 0.3  # 3000 -> 30 (-40 dB) at 30 ms per e-fold: about 0.14 s
    assert tail.tail_s == pytest.approx(measured)
    assert EchoTail().tail_s == pytest.approx(0.12)  # nothing measured yet: the default


def blocks(ring: CaptureRing, clock: Clock, samples: np.ndarray, t0: float) -> float:
    """Write `samples` as 30 ms blocks stamped from t0 (the clock follows); returns the time after the last."""
    t = t0
    for i in range(0, len(samples) - BLOCK + 1, BLOCK):
        ring.write(samples[i:i + BLOCK].astype(np.int16), t)
        t += BLOCK / RATE
        clock.t = max(clock.t, t)
    return t


def room(seconds: float, rng, level: float = 30.0) -> np.ndarray:
    return rng.normal(0, level, round(seconds * RATE))


def echo(seconds: float, tail_s: float, rng) -> np.ndarray:
    """The assistant's sound heard back loud, then ringing on for `tail_s` after its end (then the room)."""
    loud = rng.normal(0, 4000, round(seconds * RATE))
    ringing = rng.normal(0, 2000, round(tail_s * RATE))
    return np.concatenate([loud, ringing]) + rng.normal(0, 30, len(loud) + len(ringing))


def test_the_echo_tail_left_out_is_measured_from_the_decay_after_each_sound():
    rng = np.random.default_rng(1)
    clock = Clock(100.0)
    meter = EchoTail()
    ring = CaptureRing(clock=clock, tail_meter=meter)
    assert ring.echo_tail_s == pytest.approx(0.12)  # nothing measured yet: the default
    t = blocks(ring, clock, room(0.99, rng), 100.0)
    for _ in range(3):  # three sounds (a chime, a reply...), each echoed with 0.21 s of ringing after its end
        sound = ring.sound_started(t)
        ring.sound_ended(sound, t + 0.99)
        t = blocks(ring, clock, np.concatenate([echo(0.99, 0.21, rng), room(0.99 - 0.21, rng)]), t)
    assert len(meter.measured) == 3
    assert ring.echo_tail_s == pytest.approx(0.21, abs=0.02), meter.measured
    # a sound with no echo at all (headphones): one vote among the recent ones, the median stays
    sound = ring.sound_started(t)
    ring.sound_ended(sound, t + 0.99)
    t = blocks(ring, clock, room(1.98, rng), t)
    assert meter.measured[-1] == pytest.approx(0.0, abs=0.011)
    assert ring.echo_tail_s == pytest.approx(0.21, abs=0.02)


def test_the_first_sound_of_a_session_is_measured_with_no_audio_before_it():
    """The greeting starts as the microphone opens: the microphone's own level comes from the end of the half
    second after the sound (past the longest tail used)."""
    rng = np.random.default_rng(4)
    clock = Clock(100.0)
    meter = EchoTail()
    ring = CaptureRing(clock=clock, tail_meter=meter)
    sound = ring.sound_started(100.0)
    ring.sound_ended(sound, 100.99)
    blocks(ring, clock, np.concatenate([echo(0.99, 0.15, rng), room(0.99, rng)]), 100.0)
    assert meter.measured and meter.measured[0] == pytest.approx(0.15, abs=0.02)
    assert ring.echo_tail_s == pytest.approx(0.15, abs=0.02)


def test_speech_right_after_the_measured_tail_is_kept_and_the_ringing_is_not():
    rng = np.random.default_rng(2)
    clock = Clock(100.0)
    ring = CaptureRing(clock=clock, tail_meter=EchoTail())
    t = blocks(ring, clock, room(0.99, rng), 100.0)
    for _ in range(2):  # the greeting and a reply: the tail is measured at 0.30 s (more than the 0.12 s default)
        sound = ring.sound_started(t)
        ring.sound_ended(sound, t + 0.99)
        t = blocks(ring, clock, np.concatenate([echo(0.99, 0.30, rng), room(0.69, rng)]), t)
    assert ring.echo_tail_s == pytest.approx(0.30, abs=0.02)
    reader = ring.reader()
    reader.skip_to_now()
    end = t + 0.99
    sound = ring.sound_started(t)
    ring.sound_ended(sound, end)
    speech = np.arange(1, 1 + round(0.99 * RATE)) % 20000 + 5000  # a patient who speaks 0.33 s after the end
    heard = np.concatenate([echo(0.99, 0.30, rng)[:round(1.32 * RATE)], np.zeros(30 * 16), speech])
    blocks(ring, clock, heard, t)
    got = read_all(reader).astype(np.int16)
    start = round((end + ring.echo_tail_s - t) * RATE)  # the first sample after the measured tail
    assert np.array_equal(got, heard[start:start + len(got)].astype(np.int16)), "the tail was not what was cut"
    assert len(got) >= len(speech) and np.array_equal(got[-len(speech):], speech.astype(np.int16))
    assert np.abs(got[:round(0.02 * RATE)]).max() < 200, "ringing from before the measured tail's end was kept"


def test_echo_tail_measurements_are_clamped_to_sane_bounds():
    rng = np.random.default_rng(3)
    quiet = room(0.3, rng).astype(np.int16)
    long = EchoTail()
    for _ in range(3):  # the echo never dies down in the half second looked at
        long.measure(quiet, rng.normal(0, 3000, RATE // 2).astype(np.int16), full_window=True)
    assert long.tail_s == pytest.approx(0.4)
    none = EchoTail()
    none.measure(quiet, room(0.5, rng).astype(np.int16))
    assert none.tail_s == pytest.approx(0.04)
    cut_short = EchoTail()  # the next sound came before the echo died down: no measurement
    assert cut_short.measure(quiet, rng.normal(0, 3000, RATE // 10).astype(np.int16)) is None
    assert cut_short.tail_s == pytest.approx(0.12)


# --- the echo found by the sound's shape (the player tells what it plays) -----------------------------------------

#: a spoken sentence's loudness: syllables and short gaps, then a pause inside its last words (0.13 s), then the
#: last syllable; (start, end) in seconds
SYLLABLES = [(0.0, 0.15), (0.22, 0.4), (0.45, 0.62), (0.7, 0.9), (0.95, 1.15), (1.28, 1.4)]
SENTENCE_S = 1.4


def sentence(rate: int, rng, level: float = 6000.0) -> np.ndarray:
    """Noise shaped like the sentence above at `rate`: what the speaker plays (or its echo, delayed)."""
    t = np.arange(round(SENTENCE_S * rate)) / rate
    shape = np.zeros(len(t))
    for a, b in SYLLABLES:
        shape[(t >= a) & (t < b)] = 1.0
    return rng.normal(0, level, len(t)) * shape


def echoed(rng, delay_s: float, ringing_s: float, after_s: float = 1.0, gain: float = 0.3,
           room_level: float = 30.0) -> np.ndarray:
    """What the microphone hears from the sound's first sample on: the room (`room_level`), and the sentence
    `delay_s` late at `gain`, ringing on `ringing_s` after each syllable (decaying 30 dB)."""
    n = round((SENTENCE_S + after_s) * RATE)
    voice = np.zeros(n)
    d = round(delay_s * RATE)
    played = sentence(RATE, rng) * gain
    voice[d:d + len(played)] = played[: n - d]
    if ringing_s:
        decay = np.exp(-np.arange(round(ringing_s * RATE)) / (ringing_s * RATE / 3.5))
        for _, b in SYLLABLES:
            i = d + round(b * RATE)
            m = min(len(decay), n - i)
            voice[i:i + m] += rng.normal(0, 6000 * gain, m) * decay[:m]
    return voice + room(len(voice) / RATE, rng, room_level)


def test_the_echo_is_found_by_the_sound_shape_through_a_pause_in_its_last_words():
    """A 0.2 s echo path: after the sound's end the microphone hears its last 0.2 s, a pause included. Taking the
    first quiet moment after the end for the tail's end (what the level alone gives) measured 0.0-0.1 s on the live
    loopback; matched by shape, the tail is the delay and the ringing after the last syllable's echo."""
    rng = np.random.default_rng(5)
    clock = Clock(100.0)
    meter = EchoTail()
    ring = CaptureRing(clock=clock, tail_meter=meter)
    t = blocks(ring, clock, room(0.99, rng), 100.0)
    for _ in range(3):
        sound = ring.sound_started(t, AudioClip(sentence(22050, rng).astype(np.int16), 22050))
        ring.sound_ended(sound, t + SENTENCE_S)
        t = blocks(ring, clock, echoed(rng, 0.2, 0.05), t)
    assert len(meter.measured) == 3
    # 0.2 s late, then ringing: 30 dB down over 0.05 s, back within 3 dB of the room ~0.04 s after the last echo
    assert all(0.2 <= m <= 0.28 for m in meter.measured), meter.measured
    assert ring.echo_tail_s == pytest.approx(np.median(meter.measured))
    # the level alone, looking after the sound's end, stops at the pause
    before = room(0.3, rng).astype(np.int16)
    after = echoed(rng, 0.2, 0.05)[round(SENTENCE_S * RATE):].astype(np.int16)
    assert EchoTail().measure(before, after, full_window=True) < 0.1


def test_no_echo_is_a_vote_for_no_tail_and_talk_over_the_sound_is_no_vote():
    rng = np.random.default_rng(6)
    quiet = room(0.3, rng).astype(np.int16)
    clip = AudioClip(sentence(16000, rng).astype(np.int16), 16000)
    meter = EchoTail()
    # headphones: nothing of the sound comes back
    assert meter.measure_echo(quiet, room(SENTENCE_S + 0.5, rng).astype(np.int16), clip, SENTENCE_S,
                              full_window=True) == 0.0
    # no echo, but someone speaks steadily over the sound: the microphone's loudness does not follow the sound's
    talk = (rng.normal(0, 3000, round((SENTENCE_S + 0.5) * RATE)) + room(SENTENCE_S + 0.5, rng)).astype(np.int16)
    assert meter.measure_echo(quiet, talk, clip, SENTENCE_S, full_window=True) is None
    assert list(meter.measured) == [0.0] and meter.tail_s == pytest.approx(0.04)


def test_a_microphone_silent_to_the_bit_before_the_sound_still_gives_the_echo_its_length():
    """A virtual microphone gives digital silence between sounds, and its echo path adds a faint hiss (-80 dBFS): the
    floor is taken no lower than -70 dBFS, so that hiss after the echo counts as quiet."""
    rng = np.random.default_rng(7)
    clip = AudioClip(sentence(16000, rng).astype(np.int16), 16000)
    heard = echoed(rng, 0.15, 0.0, room_level=3.0).astype(np.int16)
    tail = EchoTail().measure_echo(np.zeros(RATE // 2, np.int16), heard, clip, SENTENCE_S, full_window=True)
    assert tail is not None and 0.15 <= tail <= 0.2


def test_a_sound_cut_short_is_matched_on_what_was_played():
    rng = np.random.default_rng(8)
    clip = AudioClip(sentence(16000, rng).astype(np.int16), 16000)
    played_s = 0.62  # a stop cut the sound after its third syllable: only that much left the speaker
    heard = echoed(rng, 0.2, 0.0)
    heard[round((played_s + 0.2) * RATE):] = room(len(heard) / RATE - played_s - 0.2, rng)
    tail = EchoTail().measure_echo(room(0.3, rng).astype(np.int16), heard.astype(np.int16), clip, played_s,
                                   full_window=True)
    assert tail is not None and 0.2 <= tail <= 0.25


def test_speech_right_after_the_echo_is_not_counted_as_the_room_ringing():
    """The patient's "yes" 60 ms after the echo died down, before the room's level is back for 30 ms: ringing only
    fades, so the louder sound is not ringing; the tail ends at the quiet moment before it."""
    rng = np.random.default_rng(9)
    clip = AudioClip(sentence(16000, rng).astype(np.int16), 16000)
    heard = echoed(rng, 0.2, 0.05)
    yes_at = round((SENTENCE_S + 0.2 + 0.06) * RATE)
    heard[yes_at:yes_at + round(0.4 * RATE)] += rng.normal(0, 5000, round(0.4 * RATE))
    tail = EchoTail().measure_echo(room(0.3, rng).astype(np.int16), heard.astype(np.int16), clip, SENTENCE_S,
                                   full_window=True)
    assert tail is not None and 0.2 <= tail <= 0.27


def test_speech_over_the_echo_end_is_no_vote():
    """The patient answers before the echo has died down and goes on past the window: no dip, no quiet, no vote
    (counted, it would have been a half-second tail)."""
    rng = np.random.default_rng(10)
    clip = AudioClip(sentence(16000, rng).astype(np.int16), 16000)
    heard = echoed(rng, 0.2, 0.05)
    yes_at = round((SENTENCE_S + 0.12) * RATE)
    heard[yes_at:] += rng.normal(0, 5000, len(heard) - yes_at)
    meter = EchoTail()
    assert meter.measure_echo(room(0.3, rng).astype(np.int16), heard.astype(np.int16), clip, SENTENCE_S,
                              full_window=True) is None
    assert not meter.measured
