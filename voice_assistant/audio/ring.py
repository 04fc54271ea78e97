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
- with a `tail_meter` (EchoTail), `echo_tail_s` is measured: once the microphone has written the half second
  after a sound's end (or up to the next sound), the ring compares what the microphone heard with the level of a
  quiet stretch before the sound (none, at the session's start: the end of that half second). When the player
  gave the sound's samples, the sound's loudness over time is matched against the microphone's to find the echo's
  delay, and the tail is that delay plus how long the room rings after the echo of the sound's last audible
  moment; otherwise the tail is how long the level takes to come back down after the sound's end. The tail in
  use is the median of the recent measurements, clamped between MIN_ECHO_TAIL_S and MAX_ECHO_TAIL_S. Until the
  first measurement, DEFAULT_ECHO_TAIL_S.

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

from voice_assistant.audio.clip import SAMPLE_RATE, AudioClip

#: Audio kept before the moment a turn opens (seconds).
PRE_ROLL_S = 0.5
#: How long the ring keeps audio nobody has read (seconds).
CAPACITY_S = 60.0
#: After the last sample of a sound leaves the speaker, the room still rings and the device's capture path lags:
#: this much more is excluded until a measurement says otherwise (see EchoTail).
DEFAULT_ECHO_TAIL_S = 0.12
MIN_ECHO_TAIL_S = 0.04
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
                 clock=time.monotonic, tail_meter: EchoTail | None = None):
        if pre_roll_s < 0.5:
            raise ValueError("the pre-roll must keep at least 0.5 s of audio")
        self.sample_rate = sample_rate
        self.capacity = int(capacity_s * sample_rate)
        self.pre_roll = int(pre_roll_s * sample_rate)
        self.echo_tail_s = echo_tail_s
        self.clock = clock
        self.tail_meter = tail_meter  #: measures echo_tail_s after each sound (None: echo_tail_s stays as given)
        #: ended sounds whose tail is still to be measured, with what was played when the player said (else None)
        self._unmeasured: deque[tuple[list, AudioClip | None]] = deque(maxlen=16)
        self._playing: dict[int, AudioClip] = {}  #: what each sound still playing plays (by id), when told
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
                if self._last_t_end is not None and t0 - self._last_t_end > len(samples) * step + 0.010:
                    self.gaps += 1
            block = _Block(self._seq, t0, samples, step)
            self._last_t_end = block.t_end if step else None
            self._append(block)
            if step and self._unmeasured:
                self._measure_tails(block.t_end)

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

    def sound_started(self, t: float, clip: AudioClip | None = None) -> list:
        """The assistant's sound leaves the speaker from time `t` on; returns the handle for sound_ended. `clip`:
        what it plays (its samples as they leave the speaker), to find its echo by its shape."""
        with self._cond:
            sound: list[float | None] = [t, None]
            self._sounds.append(sound)
            if clip is not None and self.tail_meter is not None:
                self._playing[id(sound)] = clip
            return sound

    def sound_ended(self, sound: list, t: float) -> None:
        """That sound's last sample left the speaker at time `t` (told again, earlier, when a stop cut a sound whose
        end was told ahead)."""
        with self._cond:
            told = sound[1] is not None
            sound[1] = max(t, sound[0])
            clip = self._playing.pop(id(sound), None)
            if self.tail_meter is not None and not told:
                self._unmeasured.append((sound, clip))
            self._cond.notify_all()

    # --- the echo tail, measured ---------------------------------------------------------------------------

    def _measure_tails(self, written_to: float) -> None:
        """Measure the tail of each ended sound whose following audio is all written (up to `written_to`)."""
        meter = self.tail_meter
        assert meter is not None
        while self._unmeasured:
            sound, clip = self._unmeasured[0]
            start, end = sound
            later = [s for s, _ in self._sounds if s is not None and s > start]
            limit = min([end + meter.WINDOW_S] + later)
            if limit - end < 3 * meter.FRAME_S:  # the next sound follows at once: nothing to measure
                self._unmeasured.popleft()
                continue
            if written_to < limit:
                return  # wait for the microphone to write the rest
            self._unmeasured.popleft()
            quiet_until = self._quiet_before(start)
            before = self._span(quiet_until - meter.FLOOR_S, quiet_until)
            heard = self._span(start, limit)  # from the sound's first sample to the window's end
            after = heard[max(0, round((end - start) * self.sample_rate)):]
            if len(before) < meter.FLOOR_S * self.sample_rate / 2:  # no quiet audio before (the session's start)
                if limit < end + meter.WINDOW_S:
                    continue
                # the end of the window, past the longest tail ever used, gives the microphone's own level
                before = after[-int((meter.WINDOW_S - MAX_ECHO_TAIL_S) * self.sample_rate):]
            full = limit >= end + meter.WINDOW_S
            if clip is not None:
                meter.measure_echo(before, heard, clip, end - start, full_window=full)
            else:
                meter.measure(before, after, full_window=full)
            self.echo_tail_s = meter.tail_s

    def _quiet_before(self, t: float) -> float:
        """The end of the latest stretch (EchoTail.FLOOR_S long) before `t` that no sound or tail covers."""
        assert self.tail_meter is not None
        span = self.tail_meter.FLOOR_S
        for _ in range(len(self._sounds) + 1):
            covering = [s for s, e in self._sounds
                        if s < t and (e is None or e + self.echo_tail_s > t - span)]
            if not covering:
                break
            t = min(covering)
        return t

    def _span(self, t0: float, t1: float) -> np.ndarray:
        """The raw samples (time-stamped blocks only) from time `t0` to `t1`."""
        parts = []
        for b in self._blocks:
            if not b.step or b.t_end <= t0 or b.t0 >= t1:
                continue
            i = max(0, int(np.ceil((t0 - b.t0) / b.step - 1e-9)))
            j = min(len(b.samples), int(np.ceil((t1 - b.t0) / b.step - 1e-9)))
            parts.append(b.samples[i:j])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)

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
    """Measures how long the assistant's own sound goes on reaching the microphone after its last sample left the
    speaker: the capture path's delay and the room's ringing. The tail used is the median of the last RECENT
    measurements, between MIN_ECHO_TAIL_S and MAX_ECHO_TAIL_S: a patient who speaks at once after one reply, a door
    that slams, move it by one vote.

    With the sound's samples (`measure_echo`): the sound's loudness, frame by frame, is matched against the
    microphone's at each delay up to MAX_ECHO_TAIL_S; the best match is the echo's delay. The tail is that delay
    plus the time the microphone takes, after the echo of the sound's last audible frame, to fall back within 3 dB
    of its level in a quiet moment before the sound (and stay there QUIET_FRAMES frames). Looking only at the
    level after the sound's end (`measure`, for a sound whose samples are unknown) takes a pause inside the
    sound's last words, still arriving through the echo, for the end: measured 0.0-0.1 s on a 0.2 s echo path.
    """

    FRAME_S = 0.010
    QUIET_FRAMES = 3  #: 30 ms of quiet: a dip between two echoed syllables is not the end
    FLOOR_S = 0.2  #: the quiet audio before a sound that gives the microphone's own level
    WINDOW_S = MAX_ECHO_TAIL_S + 0.1  #: the audio after a sound's end that is looked at
    RECENT = 9
    SHAPE_DB = 40.0  #: the sound's loudness is compared over its loudest 40 dB
    MATCH = 0.5  #: below this correlation between the sound's and the microphone's loudness, no echo was found
    #: the quietest floor believed (dBFS): a microphone giving digital silence between sounds (a virtual one, a
    #: noise gate) would make any whisper of noise "not quiet"; an echo 70 dB under full scale is lost on recognition
    LOWEST_FLOOR_DB = -70.0
    RISE_DB = 10.0  #: louder than this over the quietest moment since the echo's end: a new sound, not ringing

    def __init__(self, sample_rate: int = SAMPLE_RATE):
        self.sample_rate = sample_rate
        self.measured: deque[float] = deque(maxlen=self.RECENT)

    def _frames(self, samples: np.ndarray, rate: int) -> np.ndarray:
        n = max(1, round(self.FRAME_S * rate))
        return _level(np.asarray(samples)[: len(samples) // n * n].reshape(-1, n))

    def _floor(self, before: np.ndarray) -> float:
        """The microphone's own level: its quietest frame in `before` (never under LOWEST_FLOOR_DB)."""
        frames = self._frames(before[-int(self.FLOOR_S * self.sample_rate):], self.sample_rate)
        return max(self.LOWEST_FLOOR_DB, float(frames.min()))

    def measure(self, before: np.ndarray, after: np.ndarray, full_window: bool = False) -> float | None:
        """`before`: audio just before the sound (or a quiet moment before it); `after`: audio from the sound's
        last sample on. None when the level never comes back down in `after` and `full_window` is False (the next
        sound came first); with `full_window`, the echo outlasted the window: the tail is at least its length."""
        n = max(1, int(self.FRAME_S * self.sample_rate))
        if len(before) < n or len(after) < n:
            return None
        frames = self._frames(after, self.sample_rate) <= self._floor(before) + 3.0
        quiet = self._quiet_from(frames, 0)
        if quiet is not None:
            tail = quiet * self.FRAME_S
        elif full_window:
            tail = len(frames) * self.FRAME_S
        else:
            return None
        self.measured.append(tail)
        return tail

    def measure_echo(self, before: np.ndarray, heard: np.ndarray, clip: AudioClip, played_s: float,
                     full_window: bool = False) -> float | None:
        """`before`: a quiet moment before the sound; `heard`: the microphone from the sound's first sample to the
        end of the window after it; `clip`: what the speaker played (its first `played_s` seconds were heard: a
        stop may have cut it). None when no measurement can be made (the next sound came before the echo died
        down, or the microphone heard something that is not the sound's echo, such as the patient speaking
        over it or over the echo's end); 0 when the sound did not come back at all (headphones). `full_window`:
        `heard` runs the whole window after the sound (else the next sound cut it short)."""
        n = max(1, int(self.FRAME_S * self.sample_rate))
        if len(before) < n:
            return None
        floor = self._floor(before)
        mic = self._frames(heard, self.sample_rate)
        played = max(0, min(len(clip.samples), round(played_s * clip.sample_rate)))
        ref = self._frames(clip.samples[:played], clip.sample_rate)
        if len(ref) < self.QUIET_FRAMES or len(mic) < len(ref):
            return None
        shape = np.clip(ref - ref.max() + self.SHAPE_DB, 0.0, None)
        max_lag = int(round(MAX_ECHO_TAIL_S / self.FRAME_S))
        span = mic[: len(ref) + max_lag]
        if np.count_nonzero(span > floor + 6.0) < self.QUIET_FRAMES:  # nothing came back: no echo path
            tail = 0.0
            self.measured.append(tail)
            return tail
        heard_db = np.clip(mic - floor, 0.0, None)
        lags = range(0, min(max_lag, len(mic) - len(ref)) + 1)
        scores = [_correlation(shape, heard_db[k:k + len(ref)]) for k in lags]
        lag = int(np.argmax(scores))
        if scores[lag] < self.MATCH:
            return None
        # the echo's level relative to the sound's, where the sound is loud: which of its frames came back audibly
        loud = ref >= ref.max() - 20.0
        gain = float(np.median(mic[lag:lag + len(ref)][loud] - ref[loud]))
        audible = np.nonzero(ref + gain > floor + 3.0)[0]
        echo_end = lag + (int(audible[-1]) + 1 if len(audible) else 0)  # frame after the last audible echo
        quiet = self._quiet_from(mic <= floor + 3.0, echo_end)
        rise = self._new_sound_from(mic, echo_end)
        if rise is not None and (quiet is None or rise[0] < quiet):
            ringing = rise[1] - echo_end  # the patient spoke (a door slammed) while the room still rang
        elif quiet is not None:
            ringing = quiet - echo_end
        else:  # loud on to the window's end with no dip: a sound over the echo's end (the patient), no vote
            return None
        tail = (lag + ringing) * self.FRAME_S
        self.measured.append(tail)
        return tail

    def _new_sound_from(self, levels: np.ndarray, start: int) -> tuple[int, int] | None:
        """Ringing only fades: the first frame from `start` on that is RISE_DB louder than the quietest one since
        (a new sound began), with that quietest frame, where the ringing ended."""
        if start >= len(levels):
            return None
        lowest = np.minimum.accumulate(levels[start:])
        risen = np.nonzero(levels[start:] > lowest + self.RISE_DB)[0]
        if not len(risen):
            return None
        at = int(risen[0])
        return start + at, start + int(np.argmin(levels[start:start + at]))

    def _quiet_from(self, quiet_frames: np.ndarray, start: int) -> int | None:
        """The first frame from `start` on that begins QUIET_FRAMES quiet frames in a row."""
        run = np.convolve(quiet_frames[start:].astype(int), np.ones(self.QUIET_FRAMES, dtype=int), "valid")
        found = np.nonzero(run == self.QUIET_FRAMES)[0] if len(run) else np.zeros(0, dtype=int)
        return start + int(found[0]) if len(found) else None

    @property
    def tail_s(self) -> float:
        if not self.measured:
            return DEFAULT_ECHO_TAIL_S
        return float(min(MAX_ECHO_TAIL_S, max(MIN_ECHO_TAIL_S, np.median(list(self.measured)))))


def _level(frames: np.ndarray) -> np.ndarray:
    power = np.mean(np.square(frames.astype(np.float64)), axis=1) / 32768.0 ** 2
    return 10 * np.log10(power + 1e-10)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson's correlation of two equally long series (0 when either is flat)."""
    a, b = a - a.mean(), b - b.mean()
    norm = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
    return float(np.dot(a, b)) / norm if norm > 0 else 0.0
