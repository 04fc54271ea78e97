"""Synthetic audio for the audio tests: speech-like bursts, silence, noise. Everything generated, nothing downloaded."""

from __future__ import annotations

import numpy as np

from voice_assistant.audio.clip import SAMPLE_RATE, AudioClip

R = SAMPLE_RATE


def speech(seconds: float, level_db: float = -25.0, seed: int = 0, rate: int = R) -> np.ndarray:
    """Speech-like float signal: syllables of 120-250 ms (harmonic tone on a varying pitch plus breath noise,
    smooth envelope) separated by 30-120 ms gaps, scaled to `level_db` dBFS RMS."""
    rng = np.random.default_rng(seed)
    parts, t = [], 0.0
    while t < seconds:
        n = int(rng.uniform(0.12, 0.25) * rate)
        tt = np.arange(n) / rate
        f0 = rng.uniform(110, 220)
        x = sum(np.sin(2 * np.pi * f0 * k * tt) / k for k in range(1, 6)) + 0.3 * rng.standard_normal(n)
        parts.append(x * np.hanning(n))
        gap = int(rng.uniform(0.03, 0.12) * rate)
        parts.append(np.zeros(gap))
        t += (n + gap) / rate
    x = np.concatenate(parts)[: int(seconds * rate)]
    return x / np.sqrt(np.mean(x**2)) * 10 ** (level_db / 20)


def silence(seconds: float, rate: int = R) -> np.ndarray:
    return np.zeros(int(round(seconds * rate)))


def tone(seconds: float, freq: float = 440.0, amp: float = 0.5, rate: int = R) -> np.ndarray:
    return amp * np.sin(2 * np.pi * freq * np.arange(int(round(seconds * rate))) / rate)


def clip(*parts: np.ndarray, noise_db: float | None = -60.0, seed: int = 1, rate: int = R) -> AudioClip:
    """Concatenate float parts, add background noise at `noise_db` dBFS, return an int16 AudioClip."""
    x = np.concatenate(parts)
    if noise_db is not None:
        x = x + np.random.default_rng(seed).standard_normal(len(x)) * 10 ** (noise_db / 20)
    return AudioClip(np.clip(np.rint(x * 32768), -32768, 32767).astype(np.int16), rate)


def dominant_freq(x: np.ndarray, rate: int = R) -> float:
    x = np.asarray(x, dtype=float)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), n=1 << 16))
    return float(np.fft.rfftfreq(1 << 16, 1 / rate)[np.argmax(spectrum)])
