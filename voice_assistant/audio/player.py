"""One output stream for the whole session, fed by a queue.

Opening an output stream for each clip costs a second or more on some systems (ALSA through PulseAudio) and loses
what the microphone hears meanwhile. The Player opens its stream once; `play(clip, stop)` queues the clip and
returns when its last sample has left the device, by the stream's own clock (the DAC time PortAudio gives each
buffer), not when a write returned. Between clips the stream plays silence.

Buffers: the stream asks for `latency_s` of device buffering (1 s by default) so that a busy CPU (both cores
taken by other processes) does not starve it: on ALSA's PulseAudio plugin with both cores busy the callback
thread was measured waking 0.5-0.7 s late (not for want of the interpreter lock: the process's other threads ran
meanwhile), and a 0.4 s buffer ran dry a few times per conversation. A buffer that long would also delay every
sound by its length (a stream between sounds holds that much silence: measured 370-525 ms from `play()` to the
first sample heard with 0.4 s), so a sound that starts while nothing else is to be heard restarts the stream
first (abort + start: under 20 ms), dropping the buffered silence; its own samples then fill the buffer, up to
`latency_s` of them ahead of the device. The callback only copies samples. A stop does not wait for the buffer to
drain either: the stream is aborted and started again, so the sound ends within about one callback block (20 ms)
of the stop being seen; the stop is looked at every 10 ms.

Each sound's start and end (seconds on time.monotonic()'s clock) go to `on_sound` listeners: the capture ring
leaves those samples (and an echo tail) out of what the loop hears.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from voice_assistant.audio.clip import AudioClip
from voice_assistant.audio.convert import float_to_int16, resample, to_float_mono

log = logging.getLogger(__name__)

#: device buffering asked for: a loaded CPU must not cause underruns (see above). The callback also needs Python's
#: interpreter lock; pocketsphinx is fed 50 ms at a time so it never holds the lock long (one whole-utterance
#: `process_raw` held it 1.7 s on a loaded machine); Piper's synthesis lets it go (longest hold measured: 9 ms).
LATENCY_S = 1.0
BLOCK_S = 0.020  #: callback block
STOP_POLL_S = 0.010  #: how often a playing clip looks at its stop event


@dataclass
class _Item:
    samples: np.ndarray
    pos: int = 0
    cut: bool = False
    first_t: float | None = None  #: monotonic time its first sample leaves the device
    last_t: float | None = None  #: monotonic time its last sample leaves the device (known once all are written)
    written: threading.Event = field(default_factory=threading.Event)
    handles: list = field(default_factory=list)  #: what each on_sound listener returned for its start
    ended: bool = False  #: its end was told


class Player:
    """`play(clip, stop_event) -> bool` on one session-long output stream.

    `stream_factory(callback, rate, blocksize, latency)` makes the stream (sounddevice.OutputStream by default);
    tests give a fake one and drive its callback with their own stream time."""

    def __init__(self, sample_rate: int, stream_factory: Callable[..., Any], clock: Callable[[], float] = time.monotonic,
                 latency_s: float = LATENCY_S, block_s: float = BLOCK_S):
        self.rate = int(sample_rate)
        self.clock = clock
        self.block = max(1, round(self.rate * block_s))
        self._queue: queue.Queue[_Item] = queue.Queue()
        self._current: _Item | None = None
        self._lock = threading.Lock()
        #: told ("start", t, None) -> handle when a clip's first sample will leave the device at t, and
        #: ("end", t, handle) when its last one will (or when it was cut); called on the audio thread: be quick
        self.on_sound: list[Callable[[str, float, object], object]] = []
        self.underruns = 0  #: times the device ran dry while a clip was playing (PortAudio's underflow flags)
        self.restarts = 0  #: times the stream was restarted (a sound after quiet, or a stop)
        self._sounding = False
        self._priming = False  #: the stream was restarted and has not yet had a callback without an underflow flag
        self._dry = False  #: the last callback was flagged "underflow"
        self._heard_until = 0.0  #: monotonic time the last sound queued so far ends (0: none yet)
        self._restart_lock = threading.Lock()
        self.stream = stream_factory(self._callback, self.rate, self.block, latency_s)
        self._closed = False
        self.stream.start()

    # --- the loop's side ---------------------------------------------------------------------------------------

    def play(self, clip: AudioClip, stop_event=None) -> bool:
        """Queue the clip; True once its last sample has left the device, False when `stop_event` cut it (the
        rest is dropped, the device's buffer too)."""
        samples = np.asarray(clip.samples)
        if clip.sample_rate != self.rate or samples.dtype != np.int16:
            samples = float_to_int16(resample(to_float_mono(samples), clip.sample_rate, self.rate))
        if not len(samples):
            return True
        item = _Item(np.ascontiguousarray(samples, dtype=np.int16))
        with self._restart_lock:
            with self._lock:
                quiet = self._current is None and self._queue.empty() and self.clock() >= self._heard_until
            if quiet:  # what the device holds is silence: drop it, so this sound is heard now, not after it
                self._restart(lambda: self._queue.put(item))
            else:
                self._queue.put(item)
        while True:
            if stop_event is not None and stop_event.is_set():
                self._cut(item)
                return False
            if item.written.is_set() and self.clock() >= item.last_t:
                return True
            if self._closed:
                return False
            time.sleep(STOP_POLL_S)

    def _tell(self, item: _Item, kind: str, t: float) -> None:
        for i, listener in enumerate(self.on_sound):
            try:
                if kind == "start":
                    item.handles.append(listener("start", t, None))
                elif i < len(item.handles):
                    listener("end", t, item.handles[i])
            except Exception:  # noqa: BLE001 - a listener's bug must not silence the speaker
                log.exception("sound listener failed")

    def _cut(self, item: _Item) -> None:
        with self._lock:
            item.cut = True
            # still to be heard: being written, or written whole into the device buffer (up to `latency_s` of it)
            # but its last sample not yet out
            was_playing = self._current is item or (item.first_t is not None and
                                                    (item.last_t is None or self.clock() < item.last_t))
            if self._current is item:
                self._current = None
            if item.first_t is not None and not item.ended:
                item.ended = True
                end = self.clock() if item.last_t is None else min(self.clock(), item.last_t)
                self._tell(item, "end", end)
            elif was_playing and item.last_t is not None:  # its end was told ahead (written whole): heard until now
                self._tell(item, "end", self.clock())
        if was_playing:
            with self._restart_lock:  # drop what the device still holds
                self._restart()

    def _restart(self, while_stopped: Callable[[], None] | None = None) -> None:
        """Abort the stream (its buffer is dropped) and start it again at once; `while_stopped` runs in between,
        so a sound queued there is the first thing the restarted stream plays."""
        try:
            self.stream.abort()
        except Exception as e:  # noqa: BLE001 - a device gone: logged, the sound is queued anyway
            log.warning("the speaker could not be stopped: %s", e)
        self._sounding = False
        self._priming = True  # a restarted stream flags "underflow" on every callback that primes its buffer
        if while_stopped is not None:
            while_stopped()
        try:
            self.stream.start()
            self.restarts += 1
        except Exception as e:  # noqa: BLE001 - a device that cannot restart: logged, the next play says so
            log.warning("the speaker could not be restarted: %s", e)

    def close(self) -> None:
        self._closed = True
        try:
            self.stream.close()
        except Exception:  # noqa: BLE001
            pass

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- PortAudio's thread --------------------------------------------------------------------------------

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        underflow = bool(status and getattr(status, "output_underflow", False))
        if self._priming:  # measured on ALSA: 13 flagged callbacks (0.26 s) after each restart, none audible
            self._priming = underflow
        elif underflow and self._sounding and not self._dry:
            self.underruns += 1  # the device ran dry while a clip played (silence running dry is harmless)
        self._dry = underflow  # one running dry is flagged on every callback that refills the buffer: counted once
        now = self.clock()
        dac = _dac_offset(time_info)  # seconds from now until this buffer's first sample leaves the device
        out = outdata[:, 0] if outdata.ndim == 2 else outdata
        filled = 0
        with self._lock:
            while filled < frames:
                item = self._current
                if item is None or item.cut or item.pos >= len(item.samples):
                    try:
                        item = self._current = self._queue.get_nowait()
                    except queue.Empty:
                        self._current = None
                        break
                    if item.cut:
                        self._current = None
                        continue
                n = min(frames - filled, len(item.samples) - item.pos)
                if item.pos == 0:
                    item.first_t = now + dac + filled / self.rate
                    self._tell(item, "start", item.first_t)
                out[filled:filled + n] = item.samples[item.pos:item.pos + n]
                item.pos += n
                filled += n
                if item.pos >= len(item.samples):
                    item.last_t = now + dac + filled / self.rate
                    self._heard_until = max(self._heard_until, item.last_t)
                    item.ended = True
                    self._tell(item, "end", item.last_t)
                    item.written.set()
                    self._current = None
        out[filled:] = 0
        self._sounding = filled > 0


def _dac_offset(time_info: Any) -> float:
    """How long until the buffer being filled is heard, from PortAudio's stream times (0 when it gives none)."""
    try:
        dac, current = float(time_info.outputBufferDacTime), float(time_info.currentTime)
    except (AttributeError, TypeError, ValueError):
        return 0.0
    if dac <= 0 or current <= 0:
        return 0.0
    return min(max(dac - current, 0.0), 2.0)
