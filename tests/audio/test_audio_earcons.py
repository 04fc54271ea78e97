"""Earcons: short, audible, gentle, and each with its own pitch contour."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from audio_synth import dominant_freq
from voice_assistant.audio import Earcon, earcon


def _notes(samples: np.ndarray, rate: int) -> list[float]:
    """Pitch of each note: split where the envelope drops below 10 % of its peak for a while."""
    x = np.abs(samples.astype(float))
    win = rate // 200  # 5 ms
    env = np.convolve(x, np.ones(win) / win, mode="same")
    on = env > 0.1 * env.max()
    notes, start = [], None
    for i, v in enumerate(np.append(on, False)):
        if v and start is None:
            start = i
        elif not v and start is not None:
            if i - start > rate // 50:
                notes.append(dominant_freq(samples[start:i], rate))
            start = None
    return notes


@pytest.mark.parametrize("kind", list(Earcon))
@pytest.mark.parametrize("rate", [16000, 22050, 48000])
def test_short_audible_and_gentle(kind, rate):
    clip = earcon(kind, rate)
    s = clip.samples.astype(float) / 32768
    assert clip.sample_rate == rate and clip.samples.dtype == np.int16
    assert 0.1 < clip.seconds < 0.4
    assert 0.1 < np.abs(s).max() <= 0.4  # audible, never startling
    assert np.sqrt(np.mean(s**2)) > 0.02  # not silent
    edge = int(0.001 * rate)  # no click: starts and ends at (near) zero, ramps smoothly
    assert np.abs(s[:edge]).max() < 0.01 and np.abs(s[-edge:]).max() < 0.01
    assert s[0] == 0 and abs(s[-1]) < 1e-3


def test_pitch_contours_are_distinct():
    notes = {k: _notes(earcon(k).samples, 16000) for k in Earcon}
    listening, not_understood = notes[Earcon.LISTENING], notes[Earcon.NOT_UNDERSTOOD]
    assert len(listening) == 2 and listening[1] > listening[0] * 1.2  # rising
    assert len(not_understood) == 2 and not_understood[1] < not_understood[0] / 1.2  # falling
    assert len(notes[Earcon.UNDERSTOOD]) == 1  # one chime
    thinking = notes[Earcon.THINKING]
    assert len(thinking) == 2 and thinking[0] == pytest.approx(thinking[1], rel=0.02)  # flat
    for freqs in notes.values():  # in the band older ears keep
        assert all(300 < f < 1200 for f in freqs)


def test_all_differ():
    clips = {k: earcon(k).samples.astype(float) for k in Earcon}
    for a, b in itertools.combinations(Earcon, 2):
        x, y = clips[a], clips[b]
        n = min(len(x), len(y))
        corr = np.dot(x[:n], y[:n]) / np.sqrt(np.dot(x[:n], x[:n]) * np.dot(y[:n], y[:n]))
        assert len(x) != len(y) or abs(corr) < 0.5, (a, b)


def test_kinds_by_name_and_shared_clips_are_read_only():
    assert earcon("listening") is earcon(Earcon.LISTENING)
    with pytest.raises(ValueError):
        earcon("applause")
    with pytest.raises(ValueError):
        earcon(Earcon.UNDERSTOOD).samples[0] = 1
