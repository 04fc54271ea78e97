"""Telephone-band audio for a wide-band recogniser.

Audio that was once 8 kHz (a phone line, an old recorder) and was resampled to 16 kHz has nothing above
4 kHz, where pocketsphinx's en-US model expects fricatives ("s", "f", "sh"). `extend_band` fills the empty
band with a quiet copy of the 2-4 kHz spectrum (random phase): crude, but it brings back some of the words
the model would otherwise lose (see scripts/bench_asr.py, "8 kHz band").
"""

from __future__ import annotations

import numpy as np

#: Under this share of energy above 4.2 kHz the audio is taken as telephone band.
NARROW_SHARE = 1e-4


def high_band_share(samples: np.ndarray, rate: int = 16_000, cutoff: float = 4200.0) -> float:
    x = samples.astype(np.float64)
    if len(x) < 512 or not np.any(x):
        return 1.0
    power = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    return float(power[freqs > cutoff].sum() / (power.sum() + 1e-12))


def is_narrowband(samples: np.ndarray, rate: int = 16_000) -> bool:
    """True when the audio carries (almost) nothing above 4.2 kHz."""
    return high_band_share(samples, rate) < NARROW_SHARE


def extend_band(samples: np.ndarray, rate: int = 16_000, gain_db: float = -20.0, frame: int = 512,
                hop: int = 128, seed: int = 0) -> np.ndarray:
    """int16 audio with its 4-8 kHz band filled from the 2-4 kHz band (`gain_db` quieter, then halved)."""
    x = samples.astype(np.float64)
    n = len(x)
    if n == 0:
        return samples.astype(np.int16)
    padded = np.concatenate([np.zeros(frame), x, np.zeros(frame + hop)])
    starts = np.arange(0, len(padded) - frame, hop)
    window = np.hanning(frame)
    frames = padded[starts[:, None] + np.arange(frame)] * window
    spectrum = np.fft.rfft(frames, axis=1)
    k2, k4, top = int(2000 / rate * frame), int(4000 / rate * frame), frame // 2
    width = k4 - k2
    source = np.abs(spectrum[:, k2:k4])
    rng = np.random.default_rng(seed)
    gain = 10 ** (gain_db / 20)
    for j, lo in enumerate((k4, k4 + width)):
        hi = min(lo + width, top)
        if hi <= lo:
            break
        phase = np.exp(1j * rng.uniform(0, 2 * np.pi, (len(starts), hi - lo)))
        spectrum[:, lo:hi] += source[:, : hi - lo] * gain * (0.5 ** j) * phase
    frames = np.fft.irfft(spectrum, frame, axis=1) * window
    out = np.zeros(len(padded))
    norm = np.zeros(len(padded))
    for i, s in enumerate(starts):  # overlap-add
        out[s:s + frame] += frames[i]
        norm[s:s + frame] += window ** 2
    y = out / np.maximum(norm, 1e-6)
    return np.clip(y[frame:frame + n], -32768, 32767).astype(np.int16)
