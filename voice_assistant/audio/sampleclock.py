"""Each captured sample placed on time.monotonic()'s clock, from the count of samples and when they arrived."""

from __future__ import annotations


class SampleClock:
    """Places each captured sample on time.monotonic()'s clock from the count of samples and the callbacks'
    arrival times (PortAudio's ADC times through ALSA's pulse plugin jump by a tenth of a second).

    A buffer's last sample cannot have been captured after its callback began, and callbacks are only ever late:
    so the earliest "arrival - samples so far / rate" seen is the stream's start. It may rise by 200 ppm of the
    time elapsed (a sound card's clock running slow); an overflow (samples lost) starts it afresh."""

    DRIFT = 2e-4

    def __init__(self, rate: int):
        self.rate = rate
        self.count = 0
        self.offset: float | None = None
        self.last: float | None = None

    def place(self, frames: int, arrived: float, overflow: bool = False) -> float:
        """The time of the first sample of a buffer of `frames` that arrived at `arrived`."""
        candidate = arrived - (self.count + frames) / self.rate
        if self.offset is None or overflow:
            self.offset = candidate
        else:
            self.offset = min(self.offset + (arrived - self.last) * self.DRIFT, candidate)
        self.last = arrived
        first = self.offset + self.count / self.rate
        self.count += frames
        return first
