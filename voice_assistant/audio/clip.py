"""Audio as it flows between layers: 16 kHz mono 16-bit PCM, the rate every recogniser here expects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16_000  #: Hz; everything entering recognition is resampled to this


@dataclass(frozen=True)
class AudioClip:
    """A stretch of mono audio."""

    samples: np.ndarray  #: int16 samples, mono
    sample_rate: int = SAMPLE_RATE  #: Hz

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate

    def pcm(self) -> bytes:
        """Little-endian 16-bit PCM bytes, what Vosk and pocketsphinx are fed."""
        return self.samples.astype("<i2", copy=False).tobytes()
