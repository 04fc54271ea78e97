"""Short generated tones so a blind user knows the assistant's state without words (no sound files shipped).

Each earcon has its own pitch contour, under 400 ms, in the 400-1000 Hz band older ears still hear well, with
smooth attacks and releases (no clicks): LISTENING rises, NOT_UNDERSTOOD falls, UNDERSTOOD is one soft chime,
THINKING is two quiet ticks on one low note.
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache

import numpy as np

from voice_assistant.audio.clip import SAMPLE_RATE, AudioClip
from voice_assistant.audio.convert import float_to_int16

PEAK = 0.35  #: peak amplitude (about -9 dBFS): clearly audible next to speech, never startling


class Earcon(str, Enum):
    LISTENING = "listening"  #: the microphone is open: speak now (two notes rising)
    UNDERSTOOD = "understood"  #: heard and understood (one short soft chime)
    NOT_UNDERSTOOD = "not_understood"  #: heard but not understood (two notes falling)
    THINKING = "thinking"  #: working on it (two quiet ticks, same low note)


# (frequency Hz, start s, duration s, relative level, decay) for each note; decay 0 = flat sustain
_NOTES: dict[Earcon, tuple[tuple[float, float, float, float, float], ...]] = {
    Earcon.LISTENING: ((587.33, 0.00, 0.12, 1.0, 0.0), (880.00, 0.14, 0.16, 1.0, 0.0)),  # D5 -> A5
    Earcon.UNDERSTOOD: ((783.99, 0.00, 0.28, 0.8, 9.0),),  # G5 bell, decaying
    Earcon.NOT_UNDERSTOOD: ((493.88, 0.00, 0.14, 1.0, 0.0), (369.99, 0.16, 0.20, 1.0, 0.0)),  # B4 -> F#4
    Earcon.THINKING: ((440.00, 0.00, 0.07, 0.6, 0.0), (440.00, 0.16, 0.07, 0.6, 0.0)),  # A4, A4
}
_ATTACK_S, _RELEASE_S = 0.012, 0.040


def earcon(kind: Earcon | str, sample_rate: int = SAMPLE_RATE) -> AudioClip:
    """The earcon `kind` ("listening", "understood", "not_understood", "thinking") as an AudioClip."""
    return _render(Earcon(kind), int(sample_rate))


@lru_cache(maxsize=32)
def _render(kind: Earcon, sample_rate: int) -> AudioClip:
    notes = _NOTES[kind]
    total = max(start + dur for _, start, dur, _, _ in notes)
    out = np.zeros(int(round(total * sample_rate)) + 1)
    for freq, start, dur, level, decay in notes:
        n = int(round(dur * sample_rate))
        t = np.arange(n) / sample_rate
        # fundamental plus a soft octave: rounder than a pure sine, still gentle
        tone = np.sin(2 * np.pi * freq * t) + 0.25 * np.sin(2 * np.pi * 2 * freq * t)
        env = np.exp(-decay * t) if decay else np.ones(n)
        env *= _fade(n, int(_ATTACK_S * sample_rate), int(_RELEASE_S * sample_rate))
        i = int(round(start * sample_rate))
        out[i:i + n] += level * env * tone
    out *= PEAK * max(note[3] for note in notes) / max(np.max(np.abs(out)), 1e-9)  # softer kinds stay softer
    samples = float_to_int16(out)
    samples.setflags(write=False)  # cached and shared: nobody may change it
    return AudioClip(samples, sample_rate)


def _fade(n: int, attack: int, release: int) -> np.ndarray:
    """Raised-cosine attack and release, so the note starts and ends at zero slope and zero level."""
    env = np.ones(n)
    attack, release = min(attack, n // 2), min(release, n // 2)
    if attack:
        env[:attack] = 0.5 - 0.5 * np.cos(np.pi * np.arange(attack) / attack)
    if release:
        env[n - release:] = 0.5 + 0.5 * np.cos(np.pi * (np.arange(release) + 1) / release)
    return env
