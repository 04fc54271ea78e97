"""The session's capture: one microphone stream written into a ring buffer that readers follow at their own pace.

Nothing the microphone hears is dropped because the loop was busy (playing a chime, thinking, speaking): blocks
wait in the ring (`capacity_s`, a minute by default) until a reader takes them. What a reader gets leaves out
only the samples that overlap the assistant's own sound, plus an echo tail, located by time stamps:

- each block carries the time of its first sample (time.monotonic() seconds; the device's ADC time converted to
  that clock, see devices.open_microphone), so each sample has a time;
- the player says when its sound leaves the speaker (`sound_started` at the first sample's time, `sound_ended` at
  the last sample's time); samples from the start to the end plus `echo_tail_s` are excluded from excluding
  readers; a reader never gets a sample that a sound in progress might still cover. (Blocks written without a
  time stamp, from a fake or a web page's microphone, are placed by their arrival and get no echo tail.)

`seek_to(t)` starts a reader at time `t` minus the pre-roll (at least 0.5 s of audio), so a turn opened at the
press of a key keeps speech that began just before the loop looked. A raw reader (the wake-phrase watcher during
a reply) gets everything, sound included.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from voice_assistant.audio.clip import SAMPLE_RATE

#: Audio kept before the moment a turn opens (seconds).
PRE_ROLL_S = 0.5
#: How long the ring keeps audio nobody has read (seconds).
CAPACITY_S = 60.0
#: After the last sample of a sound leaves the speaker, the room still rings and the device's capture path lags:
#: this much more is excluded until a measurement says otherwise (see EchoTail).
DEFAULT_ECHO_TAIL_S = 0.12
MAX_ECHO_TAIL_S = 0.4

#: A reader gets this in place of samples where a held talk button was let go (the tablet): the turn ends there.
RELEASED = np.zeros(0, dtype=np.int16)


@dataclass
class _Block:
    seq: int  #: position in the stream, in blocks
    t0: float  #: time of the first sample
    samples: np.ndarray
    step: float  #: seconds between samples (0 when the source gave no time: the whole block is at t0)
    marker: bool = False

    @property
    def t_end(self) -> float:
        """Time just after the last sample."""
        return self.t0 + len(self.samples) * self.step


class CaptureRing:
    """The microphone's blocks, time-stamped, with the assistant's sounds marked. Thread-safe: the microphone's
    thread writes, the player's thread marks sounds, the loop reads."""

    def __init__(self, sample_rate: int = SAMPLE_RATE, capacity_s: float = CAPACITY_S,
                 pre_roll_s: float = PRE_ROLL_S, echo_tail_s: float = DEFAULT_ECHO_TAIL_S,
                 clock=time.monotonic):
        if pre_roll_s < 0.5:
            raise ValueError("the pre-roll must keep at least 0.5 s of audio")
        self.sample_rate = sample_rate
        self.capacity = int(capacity_s * sample_rate)
        self.pre_roll = int(pre_roll_s * sample_rate)
        self.echo_tail_s = echo_tail_s
        self.clock = clock
        self._blocks: deque[_Block] = deque()
        self._held = 0  #: samples in _blocks
        self._seq = 0  #: the next block's number
        self._last_t_end: float | None = None
        self._sounds: deque[list[float | None]] = deque(maxlen=256)  #: [start, end] of the assistant's sounds
        self._cond = threading.Condition()
        self.dropped = 0  #: blocks dropped unread because the ring was full
        self.gaps = 0  #: blocks whose time stamps show samples missing before them (an overrun upstream)

    # --- the microphone's side ---------------------------------------------------------------------------

    def write(self, samples: np.ndarray, t0: float | None = None) -> None:
        """A block from the microphone; `t0` is its first sample's time (None: it arrived just now, no finer)."""
        samples = np.asarray(samples, dtype=np.int16)
        with self._cond:
            if t0 is None:
                t0, step = self.clock(), 0.0
            else:
                step = 1.0 / self.sample_rate
                if self._last_t_end is not None and t0 - self._last_t_end > 0.5 * len(samples) * step + 0.002:
                    self.gaps += 1
            block = _Block(self._seq, t0, samples, step)
            self._last_t_end = block.t_end if step else None
            self._append(block)

    def mark_release(self) -> None:
        """The held talk button was let go: readers get RELEASED after the audio written so far."""
        with self._cond:
            self._append(_Block(self._seq, self.clock(), RELEASED, 0.0, marker=True))

    def _append(self, block: _Block) -> None:
        self._seq += 1
        self._blocks.append(block)
        self._held += len(block.samples)
        while self._held > self.capacity and len(self._blocks) > 1:
            old = self._blocks.popleft()
            self._held -= len(old.samples)
            self.dropped += 1
        self._cond.notify_all()

    # --- the player's side -------------------------------------------------------------------------------

    def sound_started(self, t: float) -> list:
        """The assistant's sound leaves the speaker from time `t` on; returns the handle for sound_ended."""
        with self._cond:
            sound: list[float | None] = [t, None]
            self._sounds.append(sound)
            return sound

    def sound_ended(self, sound: list, t: float) -> None:
        """That sound's last sample left the speaker at time `t`."""
        with self._cond:
            sound[1] = max(t, sound[0])
            self._cond.notify_all()

    def excluded(self, t: float) -> bool:
        """Is time `t` inside one of the assistant's sounds or its echo tail?"""
        with self._cond:
            return self._covered(np.array([t]))[0]

    def _covered(self, times: np.ndarray, tail: float | None = None) -> np.ndarray:
        tail = self.echo_tail_s if tail is None else tail
        mask = np.zeros(len(times), dtype=bool)
        for start, end in self._sounds:
            stop = np.inf if end is None else end + tail
            mask |= (times >= start) & (times < stop)
        return mask

    def _open_from(self, tail: float | None = None) -> float:
        """Samples from this time on may still be covered by a sound in progress (or its tail): not yet readable."""
        tail = self.echo_tail_s if tail is None else tail
        now = self.clock()
        starts = [s for s, e in self._sounds if e is None]
        tails = [e for s, e in self._sounds if e is not None and e + tail > now]
        return min(starts + [e for e in tails], default=np.inf)

    # --- readers -----------------------------------------------------------------------------------------

    def reader(self, raw: bool = False) -> Reader:
        """A reader that starts at what the microphone writes next. `raw`: the assistant's sounds included."""
        with self._cond:
            return Reader(self, self._seq, raw)


class Reader:
    """A cursor on a CaptureRing."""

    def __init__(self, ring: CaptureRing, seq: int, raw: bool):
        self.ring = ring
        self._seq = seq  #: the next block to read
        self._skip = 0  #: samples of that block already read
        self.raw = raw
        self.skipped = False  #: set when samples were left out (the assistant's sound); the reader's user clears it

    def seek_to(self, t: float) -> None:
        """Read on from time `t` minus the ring's pre-roll (only audio the ring still holds, never back past a
        released button)."""
        ring = self.ring
        with ring._cond:
            blocks = list(ring._blocks)
            # the sample position of time t: blocks before it whole, the one containing it in part
            lengths = [len(b.samples) for b in blocks]
            position, oldest = 0, 0
            for i, b in enumerate(blocks):
                if b.marker:
                    oldest = position  # never back past a released button
                if b.t0 >= t:
                    break
                if b.t_end > t and b.step:
                    position += int(round((t - b.t0) / b.step))
                    break
                position += lengths[i]
            target = max(oldest, position - ring.pre_roll)
            total = 0
            found = (ring._seq, 0)
            for b, n in zip(blocks, lengths):
                if total + n > target or (n == 0 and total >= target and not b.marker):
                    found = (b.seq, target - total)
                    break
                total += n
            if found > (self._seq, self._skip):  # never read the same audio twice
                self._seq, self._skip = found

    def skip_to_now(self) -> None:
        """Forget everything written so far."""
        with self.ring._cond:
            self._seq, self._skip = self.ring._seq, 0

    def read(self, timeout: float | None = None) -> np.ndarray | None:
        """The next samples (int16; possibly empty when all of a block was excluded), RELEASED where a held button
        was let go, or None when nothing new comes within `timeout` seconds."""
        ring = self.ring
        deadline = None if timeout is None else ring.clock() + timeout
        with ring._cond:
            while True:
                got = self._take()
                if got is not None:
                    return got
                remaining = None if deadline is None else deadline - ring.clock()
                if remaining is not None and remaining <= 0:
                    return None
                ring._cond.wait(0.02 if remaining is None else min(remaining, 0.02))

    def _take(self) -> np.ndarray | None:
        ring = self.ring
        blocks = ring._blocks
        if not blocks or self._seq >= ring._seq:
            return None
        first = blocks[0].seq
        if self._seq < first:  # the ring overflowed under this reader: go on from the oldest block kept
            self._seq, self._skip = first, 0
        block = blocks[self._seq - first]
        if block.marker:
            self._seq, self._skip = self._seq + 1, 0
            return RELEASED
        samples = block.samples[self._skip:]
        if self.raw:
            self._seq, self._skip = self._seq + 1, 0
            return samples
        times = block.t0 + (self._skip + np.arange(len(samples))) * block.step
        # a block without a time stamp (a fake or a page's microphone) is only placed by its arrival: no echo tail
        tail = ring.echo_tail_s if block.step else 0.0
        ready = times < ring._open_from(tail)
        n = int(np.argmin(ready)) if not ready.all() else len(samples)
        if n == 0:
            return None
        keep = ~ring._covered(times[:n], tail)
        if not keep.all():
            self.skipped = True
        if n == len(samples):
            self._seq, self._skip = self._seq + 1, 0
        else:
            self._skip += n
        return samples[:n][keep]


class EchoTail:
    """Measures how long the room (and the capture path) keeps ringing after the assistant's sound stops: the
    time until the microphone's level falls back within 3 dB of its level before the sound. The tail used is the
    median of the measurements, between 40 ms and MAX_ECHO_TAIL_S."""

    FRAME_S = 0.010

    def __init__(self, sample_rate: int = SAMPLE_RATE):
        self.sample_rate = sample_rate
        self.measured: list[float] = []

    def measure(self, before: np.ndarray, after: np.ndarray) -> float | None:
        """`before`: audio just before the sound; `after`: audio from the sound's last sample on."""
        n = max(1, int(self.FRAME_S * self.sample_rate))
        if len(before) < n or len(after) < n:
            return None
        floor = _level(before[-20 * n:].reshape(-1)[: len(before[-20 * n:]) // n * n].reshape(-1, n)).min()
        frames = _level(after[: len(after) // n * n].reshape(-1, n))
        quiet = np.nonzero(frames <= floor + 3.0)[0]
        if not len(quiet):
            return None
        tail = float(quiet[0] * self.FRAME_S)
        self.measured.append(tail)
        return tail

    @property
    def tail_s(self) -> float:
        if not self.measured:
            return DEFAULT_ECHO_TAIL_S
        return float(min(MAX_ECHO_TAIL_S, max(0.04, np.median(self.measured))))


def _level(frames: np.ndarray) -> np.ndarray:
    power = np.mean(np.square(frames.astype(np.float64)), axis=1) / 32768.0 ** 2
    return 10 * np.log10(power + 1e-10)
