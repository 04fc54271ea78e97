"""Telephone-band audio for a wide-band recogniser.

Audio that was once 8 kHz (a phone line, a Bluetooth headset's narrow-band mode, an old recorder) and was
resampled to 16 kHz has nothing above 4 kHz, where pocketsphinx's en-US model expects fricatives ("s", "f",
"sh") and the upper formants. `extend_band` fills the empty band: a small linear model (`BandModel`)
predicts, frame by frame, the level of six 4-8 kHz bands from the shape of the 0.15-3.9 kHz spectrum around
that frame, and the band is filled with noise at those levels. The recogniser only needs the levels: with
the true levels (random phase) telephone-band speech is recognised as well as the original wide-band audio.

The model was fitted on speech in which the answer is known (wide-band synthetic speech, many voices, and
its own telephone-band copy): `scripts/train_band_extension.py` writes `data/band_extension.npz`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: Under this share of energy above 4.2 kHz the audio is taken as telephone band.
NARROW_SHARE = 1e-4
RATE = 16_000
FRAME, HOP = 512, 128  #: 32 ms frames every 8 ms
LOW_EDGES_HZ = np.geomspace(150.0, 3900.0, 17)  #: 16 bands the prediction reads (log-spaced, like hearing)
HIGH_BANDS = 6  #: equal bands between 4 and 8 kHz the prediction writes
CONTEXT = (-4, -2, -1, 0, 1, 2, 4)  #: frames around the one predicted (a fricative is seen coming)
MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "band_extension.npz"

_BIN_HZ = np.fft.rfftfreq(FRAME, 1.0 / RATE)
_LOW_BINS = [np.flatnonzero((_BIN_HZ >= lo) & (_BIN_HZ < hi)) for lo, hi in zip(LOW_EDGES_HZ[:-1], LOW_EDGES_HZ[1:])]
_HIGH_EDGES = np.linspace(FRAME // 4, FRAME // 2, HIGH_BANDS + 1).astype(int)  #: bin 128 = 4 kHz, 256 = 8 kHz


def high_band_share(samples: np.ndarray, rate: int = RATE, cutoff: float = 4200.0) -> float:
    x = samples.astype(np.float64)
    if len(x) < 512 or not np.any(x):
        return 1.0
    power = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    return float(power[freqs > cutoff].sum() / (power.sum() + 1e-12))


def is_narrowband(samples: np.ndarray, rate: int = RATE) -> bool:
    """True when the audio carries (almost) nothing above 4.2 kHz."""
    return high_band_share(samples, rate) < NARROW_SHARE


# ----------------------------------------------------------------------------------------- features


def spectrogram(samples: np.ndarray) -> np.ndarray:
    """Complex STFT frames (Hann window) of 16 kHz audio, padded so every sample is covered."""
    x = np.concatenate([np.zeros(FRAME), samples.astype(np.float64), np.zeros(FRAME + HOP)])
    starts = np.arange(0, len(x) - FRAME, HOP)
    return np.fft.rfft(x[starts[:, None] + np.arange(FRAME)] * np.hanning(FRAME), axis=1)


def resynthesise(spectrum: np.ndarray, length: int) -> np.ndarray:
    """Overlap-add of `spectrogram` frames back to `length` samples."""
    window = np.hanning(FRAME)
    frames = np.fft.irfft(spectrum, FRAME, axis=1) * window
    total = FRAME + (len(frames) - 1) * HOP
    out, norm = np.zeros(total), np.zeros(total)
    for i, frame in enumerate(frames):
        out[i * HOP:i * HOP + FRAME] += frame
        norm[i * HOP:i * HOP + FRAME] += window ** 2
    return (out / np.maximum(norm, 1e-6))[FRAME:FRAME + length]


def low_band_features(power: np.ndarray) -> np.ndarray:
    """What the prediction reads: log levels of the 16 narrow-band bands, at each `CONTEXT` offset."""
    levels = np.log(np.stack([power[:, bins].mean(axis=1) for bins in _LOW_BINS], axis=1) + 1.0)
    n = len(levels)
    return np.concatenate([levels[np.clip(np.arange(n) + offset, 0, n - 1)] for offset in CONTEXT], axis=1)


def high_band_levels(power: np.ndarray) -> np.ndarray:
    """What the prediction writes: log levels of the six 4-8 kHz bands (the training target)."""
    return np.log(np.stack([power[:, lo:hi].mean(axis=1) for lo, hi in zip(_HIGH_EDGES[:-1], _HIGH_EDGES[1:])],
                           axis=1) + 1.0)


@dataclass(frozen=True)
class BandModel:
    """High-band levels as a linear function of the standardised low-band features."""

    mean: np.ndarray  #: per feature
    scale: np.ndarray  #: per feature
    weights: np.ndarray  #: (features + 1, HIGH_BANDS), the last row the intercept

    def predict(self, features: np.ndarray) -> np.ndarray:
        z = (features - self.mean) / self.scale
        return z @ self.weights[:-1] + self.weights[-1]

    @classmethod
    def fit(cls, features: np.ndarray, levels: np.ndarray, ridge: float = 1.0) -> "BandModel":
        mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-6
        z = np.c_[(features - mean) / scale, np.ones(len(features))]
        weights = np.linalg.solve(z.T @ z + ridge * np.eye(z.shape[1]), z.T @ levels)
        return cls(mean, scale, weights)

    def save(self, path: str | Path) -> None:
        np.savez(path, mean=self.mean, scale=self.scale, weights=self.weights)

    @classmethod
    def load(cls, path: str | Path) -> "BandModel":
        with np.load(path) as data:
            model = cls(data["mean"], data["scale"], data["weights"])
        width = len(_LOW_BINS) * len(CONTEXT)
        if model.mean.shape != (width,) or model.weights.shape != (width + 1, HIGH_BANDS):
            raise ValueError(f"{path} does not fit this feature layout")
        return model


@lru_cache(maxsize=2)
def band_model(path: str = str(MODEL_PATH)) -> BandModel | None:
    """The shipped model, or None (with a warning) when its file is missing or damaged."""
    try:
        return BandModel.load(path)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("telephone-band extension off: cannot read %s (%s); reinstall voice-assistant", path, exc)
        return None


def extend_band(samples: np.ndarray, rate: int = RATE, model: BandModel | None = None, seed: int = 0) -> np.ndarray:
    """int16 audio with its 4-8 kHz band filled with noise at the levels `model` predicts (the shipped model
    by default). Audio at another rate, or without a model, comes back unchanged."""
    if rate != RATE or len(samples) == 0:
        return samples.astype(np.int16)
    model = model or band_model()
    if model is None:
        return samples.astype(np.int16)
    spectrum = spectrogram(samples)
    levels = model.predict(low_band_features(np.abs(spectrum) ** 2))
    rng = np.random.default_rng(seed)
    for band, (lo, hi) in enumerate(zip(_HIGH_EDGES[:-1], _HIGH_EDGES[1:])):
        magnitude = np.sqrt(np.maximum(np.exp(levels[:, band]) - 1.0, 0.0))
        spectrum[:, lo:hi] = magnitude[:, None] * np.exp(2j * np.pi * rng.random((len(spectrum), hi - lo)))
    return np.clip(resynthesise(spectrum, len(samples)), -32768, 32767).astype(np.int16)
